/* diag.c - purr_diag messages, small allocation helpers and name tables.
 *
 * Bad recordings produce a purr_diag (core.h): the file, the row
 * when there is one, and a one-line message; purr_diag_print writes it. Allocation failures in the
 * recorder abort naming the size, as in the core: the recorder's buffers
 * are small and a failure there leaves nothing sensible to do.
 */
#include "recorder_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Noreturn void
oom(size_t size)
{
    fprintf(stderr, "purr: out of memory allocating %zu bytes\n", size);
    abort();
}

void *
purr__rec_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *
purr__rec_malloc_aligned(size_t align, size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, align, size ? size : 1))
        oom(size);
    return p;
}

void *
purr__rec_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        oom(size);
    return q;
}

char *
purr__rec_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = purr__rec_malloc(len);
    memcpy(p, s, len);
    return p;
}

int64_t
purr__rec_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
purr_diag_print(FILE *out, const purr_diag *diag)
{
    char buf[sizeof diag->file + sizeof diag->message + 64];
    purr_diag_format(diag, buf, sizeof buf);
    fprintf(out, "%s\n", buf);
}

const char *
purr_role_name(purr_role role)
{
    switch (role) {
    case PURR_ROLE_INPUT:
        return "input";
    case PURR_ROLE_OUTPUT:
        return "output";
    case PURR_ROLE_INTERNAL:
        return "internal";
    }
    return "?";
}

const char *
purr_type_name(purr_type type)
{
    static const char *const names[] = {"nil",    "bool",  "int",  "double",
                                        "string", "bytes", "tuple"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type]
                                                            : "?";
}

const char *
purr_event_kind_name(purr_event_kind kind)
{
    switch (kind) {
    case PURR_EV_TASK_SPAWNED:
        return "spawned";
    case PURR_EV_TASK_STARTED:
        return "started";
    case PURR_EV_TASK_BLOCKED:
        return "blocked";
    case PURR_EV_TASK_WOKEN:
        return "woken";
    case PURR_EV_TASK_CANCELLED:
        return "cancelled";
    case PURR_EV_TASK_ENDED:
        return "ended";
    case PURR_EV_VALUE_CREATED:
        return "value_created";
    case PURR_EV_VALUE_SET:
        return "value_set";
    case PURR_EV_VALUE_CLOSED:
        return "value_closed";
    }
    return "?";
}
