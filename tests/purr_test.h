/* purr_test.h - assertion helpers and fixtures shared by purr's tests.
 *
 * purr_assert_ok / purr_assert_err print the PURR_E* names of both the
 * expected and the actual code, so a failing test says what happened.
 * purr_test_run runs a test body as the main task of a fresh virtual-clock
 * loop and checks the loop closes cleanly afterwards. */
#ifndef PURR_TEST_H
#define PURR_TEST_H

#include <criterion/criterion.h>
#include <purr/purr.h>

#define purr_assert_ok(expr)                                                 \
    do {                                                                     \
        int rc_ = (expr);                                                    \
        cr_assert(rc_ >= 0, "%s: expected success, got %s (%d)", #expr,      \
                  purr_err_name(rc_), rc_);                                  \
    } while (0)

#define purr_assert_err(expr, want)                                          \
    do {                                                                     \
        int rc_ = (expr), want_ = (want);                                    \
        cr_assert(rc_ == want_, "%s: expected %s, got %s (%d)", #expr,       \
                  purr_err_name(want_), purr_err_name(rc_), rc_);            \
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

#endif /* PURR_TEST_H */
