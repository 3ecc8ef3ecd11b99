/* error.c - error codes, their names and messages, panics, version.
 *
 * Everything here is generated from PURR_ERRNO_MAP so the enum, the names
 * and the messages cannot drift apart. purr__panic is the single exit for
 * API misuse and broken invariants: it names the function, the running
 * task (with its spawn site) and file:line, then aborts. */
#include "core_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define STR_(x) #x
#define STR(x) STR_(x)

const char *
purr_version_string(void)
{
    return STR(PURR_VERSION_MAJOR) "." STR(PURR_VERSION_MINOR) "." STR(
        PURR_VERSION_PATCH);
}

const char *
purr_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, val, msg)                                                   \
    case PURR_##name:                                                        \
        return msg;
        PURR_ERRNO_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}

const char *
purr_err_name(int err)
{
    switch (err) {
    case 0:
        return "0";
#define XX(name, val, msg)                                                   \
    case PURR_##name:                                                        \
        return "PURR_" #name;
        PURR_ERRNO_MAP(XX)
#undef XX
    default:
        return "PURR_E?";
    }
}

int
purr__err_from_errno(int err)
{
    switch (err) {
    case 0:
        return 0;
    case ENOMEM:
        return PURR_ENOMEM;
    case EINVAL:
        return PURR_EINVAL;
    case EAGAIN:
        return PURR_EAGAIN;
    case EBUSY:
        return PURR_EBUSY;
    case ENOENT:
        return PURR_ENOENT;
    case EEXIST:
        return PURR_EEXIST;
    case EIO:
        return PURR_EIO;
    case ETIMEDOUT:
        return PURR_ETIMEDOUT;
    case ENOTSUP:
        return PURR_ENOTSUP;
    case ERANGE:
        return PURR_ERANGE;
    case EPIPE:
        return PURR_EBROKEN;
    default:
        return PURR_ESYS;
    }
}

void
purr__panic(const char *file, int line, const char *func, const char *fmt,
            ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    purr_loop *loop = purr__loop;
    purr_task *t = loop ? loop->current : NULL;
    if (t)
        fprintf(stderr,
                "purr: %s: %s (task '%s' #%llu spawned at %s:%d; at %s:%d)\n",
                func, msg, t->name, (unsigned long long)t->id,
                t->file ? t->file : "?", t->line, file, line);
    else
        fprintf(stderr, "purr: %s: %s (outside any task; at %s:%d)\n", func,
                msg, file, line);
    fflush(stderr);
    abort();
}
