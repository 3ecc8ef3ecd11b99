/* purr_test.h - assertion helpers and fixtures shared by purr's tests.
 *
 * purr_assert_ok / purr_assert_err print the PURR_E* names of both the
 * expected and the actual code, so a failing test says what happened.
 * purr_test_run runs a test body as the main task of a fresh virtual-clock
 * loop and checks the loop closes cleanly afterwards. purr_test_run_captured
 * runs code that is meant to crash (a misuse panic, a stack overflow) in a
 * forked child and hands back its stderr, so crash tests can assert on the
 * message. */
#ifndef PURR_TEST_H
#define PURR_TEST_H

#include <criterion/criterion.h>
#include <purr/purr.h>

#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define purr_assert_ok(expr)                                                   \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        cr_assert(rc_ >= 0, "%s: expected success, got %s (%d)", #expr,        \
                  purr_err_name(rc_), rc_);                                    \
    } while (0)

#define purr_assert_err(expr, want)                                            \
    do {                                                                       \
        int rc_ = (expr), want_ = (want);                                      \
        cr_assert(rc_ == want_, "%s: expected %s, got %s (%d)", #expr,         \
                  purr_err_name(want_), purr_err_name(rc_), rc_);              \
    } while (0)

/* Runs fn(arg) as the main task of a new loop with opts (NULL: virtual
 * clock defaults), closes the loop, and returns fn's result. */
static inline int
purr_test_run_opts(const purr_loop_options *opts, purr_task_fn fn, void *arg)
{
    purr_loop *loop = purr_loop_new(opts);
    cr_assert(loop != NULL, "purr_loop_new failed");
    int rc = purr_run(loop, "test-main", fn, arg);
    cr_assert_eq(purr_loop_close(loop), 0, "loop still has tasks");
    return rc;
}

static inline int
purr_test_run(purr_task_fn fn, void *arg)
{
    return purr_test_run_opts(NULL, fn, arg);
}

/* Runs fn(arg) in a forked child whose stderr goes to a pipe, and copies
 * what the child wrote into out: at most cap - 1 bytes, NUL-terminated
 * (cap must be at least 1). Returns the child's wait status, for
 * WIFSIGNALED / WTERMSIG / WEXITSTATUS.
 *
 * The child exits with status 0 if fn returns, so a crash test should
 * check the status as well as the message. fn must not use Criterion's
 * assertions, which belong to the test's own process; it signals failure
 * by crashing or by _exit with a nonzero status.
 *
 * The parent keeps reading after out is full and drops the excess, so a
 * chatty child never blocks on a full pipe and waitpid cannot deadlock.
 * Pending stdio output is flushed before the fork so it is not written
 * twice. */
static inline int
purr_test_run_captured(void (*fn)(void *arg), void *arg, char *out, size_t cap)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        char scratch[256];
        char *dst = len + 1 < cap ? out + len : scratch;
        size_t room = len + 1 < cap ? cap - 1 - len : sizeof scratch;
        ssize_t got = read(fds[0], dst, room);
        if (got <= 0)
            break;
        if (dst != scratch)
            len += (size_t)got;
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

/* An event kind's name, for failure messages. */
static inline const char *
purr_test_kind_name(int k)
{
    switch (k) {
    case PURR_EV_TASK_SPAWNED:
        return "SPAWNED";
    case PURR_EV_TASK_STARTED:
        return "STARTED";
    case PURR_EV_TASK_BLOCKED:
        return "BLOCKED";
    case PURR_EV_TASK_WOKEN:
        return "WOKEN";
    case PURR_EV_TASK_CANCELLED:
        return "CANCELLED";
    case PURR_EV_TASK_ENDED:
        return "ENDED";
    case PURR_EV_VALUE_CREATED:
        return "VALUE_CREATED";
    case PURR_EV_VALUE_SET:
        return "VALUE_SET";
    case PURR_EV_VALUE_CLOSED:
        return "VALUE_CLOSED";
    default:
        return "?";
    }
}

#endif /* PURR_TEST_H */
