/* purr_cmd.h - running the purr executable (PURR_BIN) from a test, in a
 * directory of the test's own, and looking at what it printed.
 *
 * The command runs as `cd DIR && TMPDIR=DIR PURR_BIN ARGS`, so temporary
 * recordings stay in DIR too; stdout and stderr go to DIR/.out and
 * DIR/.err and are read back whole (truncated to the buffers). */
#ifndef PURR_CMD_H
#define PURR_CMD_H

#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PURR_BIN
#error "purr_cmd.h needs PURR_BIN, the purr executable's path"
#endif

/* Runs `purr ARGS` in dir. Returns the exit status; out and err receive
 * stdout and stderr. */
static inline int
purr_cmd_in(const char *dir, const char *args, char *out, size_t out_cap,
            char *err, size_t err_cap)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd %s && TMPDIR=%s '%s' %s >%s/.out 2>%s/.err", dir, dir,
             PURR_BIN, args, dir, dir);
    int status = system(cmd);
    cr_assert(WIFEXITED(status), "purr did not exit normally: %s", args);
    char *bufs[] = {out, err};
    size_t caps[] = {out_cap, err_cap};
    const char *names[] = {".out", ".err"};
    for (int i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(bufs[i], 1, caps[i] - 1, f) : 0;
        bufs[i][n] = '\0';
        if (f)
            fclose(f);
    }
    return WEXITSTATUS(status);
}

/* Makes dir (cap bytes) a fresh, empty /tmp/NAME.PID, with the
 * subdirectory sub when it is not NULL: a test suite's .init. */
static inline void
purr_cmd_dir_make(char *dir, size_t cap, const char *name, const char *sub)
{
    snprintf(dir, cap, "/tmp/%s.%d", name, (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/%s", dir, dir,
             sub ? sub : ".");
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Removes dir and everything in it: a test suite's .fini. */
static inline void
purr_cmd_dir_remove(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Defines `static int purr(const char *fmt, ...)`: runs `purr ARGS`
 * (printf-style) in DIR with purr_cmd_in, stdout into OUT and stderr into
 * ERR (arrays), and returns the exit status. For tests that build their
 * arguments. */
#define PURR_CMD_PRINTF_RUNNER(DIR, OUT, ERR)                                 \
    static int purr(const char *fmt, ...)                                     \
        __attribute__((format(printf, 1, 2)));                                \
    static int purr(const char *fmt, ...)                                     \
    {                                                                         \
        char args_[2048];                                                     \
        va_list ap_;                                                          \
        va_start(ap_, fmt);                                                   \
        vsnprintf(args_, sizeof args_, fmt, ap_);                             \
        va_end(ap_);                                                          \
        return purr_cmd_in(DIR, args_, OUT, sizeof OUT, ERR, sizeof ERR);     \
    }

/* The number of lines (newlines) in s. */
static inline size_t
purr_count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#endif /* PURR_CMD_H */
