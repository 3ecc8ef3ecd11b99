/* test_sleep.c - virtual time: sleeping, timer order, checkpoints.
 *
 * The virtual clock moves only when every task is blocked, and then jumps
 * straight to the earliest deadline; timers due at the same instant fire in
 * the order they were armed (the heap is ordered by (deadline, seq)). These
 * tests assert exact times and exact interleavings, including a run of
 * 100,000 sleeps that covers hours of virtual time in well under a second
 * of real time. */
#include "purr_test.h"

#include <string.h>

static char trace[1024];

static void
note(const char *s)
{
    strncat(trace, s, sizeof trace - strlen(trace) - 1);
}

/* ---------------------------------------------------------------------- */
/* Exact sleeping                                                          */
/* ---------------------------------------------------------------------- */

static int
main_sleep_exact(void *arg)
{
    (void)arg;
    cr_assert_eq(purr_now(), 0);
    purr_assert_ok(purr_sleep(1500 * PURR_MS));
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_assert_ok(purr_sleep(1 * PURR_NS));
    cr_assert_eq(purr_now(), 1500 * PURR_MS + 1);
    purr_assert_ok(purr_sleep_until(4 * PURR_S));
    cr_assert_eq(purr_now(), 4 * PURR_S);
    /* A deadline in the past, zero and negative durations: a checkpoint
     * only, no time passes. */
    purr_assert_ok(purr_sleep_until(1 * PURR_S));
    purr_assert_ok(purr_sleep_until(4 * PURR_S));
    purr_assert_ok(purr_sleep(0));
    purr_assert_ok(purr_sleep(-3 * PURR_S));
    cr_assert_eq(purr_now(), 4 * PURR_S);
    purr_assert_ok(purr_sleep(3 * PURR_US));
    cr_assert_eq(purr_now(), 4 * PURR_S + 3 * PURR_US);
    return 0;
}

Test(sleep, sleep_and_sleep_until_are_exact)
{
    purr_assert_ok(purr_test_run(main_sleep_exact, NULL));
}

static purr_time spinner_times[1000];
static int spinner_steps;

static int
spin_1000(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        spinner_times[i] = purr_now();
        purr_assert_ok(purr_checkpoint());
        spinner_steps++;
    }
    note("spinner-done;");
    return 0;
}

static int
sleep_1s_note(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(spinner_steps, 1000, "woke while a task was runnable");
    note("sleeper-woke;");
    return 0;
}

static int
body_spinner_sleeper(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_1s_note, NULL));
    purr_assert_ok(purr_spawn(n, "spinner", spin_1000, NULL));
    return 0;
}

static int
main_time_waits_for_idle(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_spinner_sleeper, NULL));
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(spinner_times[i], 0, "time moved at step %d", i);
    cr_assert_str_eq(trace, "spinner-done;sleeper-woke;");
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

Test(sleep, time_advances_only_when_every_task_is_blocked)
{
    trace[0] = '\0';
    purr_assert_ok(purr_test_run(main_time_waits_for_idle, NULL));
}

static int
main_sleep_forever(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 7 * PURR_S);
    purr_assert_err(purr_sleep_forever(), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 7 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

Test(sleep, sleep_forever_ends_only_by_cancellation)
{
    purr_assert_ok(purr_test_run(main_sleep_forever, NULL));
}

/* ---------------------------------------------------------------------- */
/* Timer order                                                             */
/* ---------------------------------------------------------------------- */

/* Task i first sleeps a different amount, so the tasks arm their 10 s
 * timers in an order unrelated to their spawn order (and ids), then all
 * wake at exactly 10 s and note their index. */
static const int arm_delay_s[8] = {5, 2, 7, 1, 3, 6, 4, 0};

static int
arm_then_sleep_until_10s(void *arg)
{
    int i = (int)(intptr_t)arg;
    if (arm_delay_s[i])
        purr_assert_ok(purr_sleep(arm_delay_s[i] * PURR_S));
    purr_assert_ok(purr_sleep_until(10 * PURR_S));
    cr_assert_eq(purr_now(), 10 * PURR_S);
    char buf[4];
    snprintf(buf, sizeof buf, "%d", i);
    note(buf);
    return 0;
}

static int
body_equal_deadlines(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < 8; i++)
        purr_assert_ok(purr_spawn(n, "t", arm_then_sleep_until_10s,
                                  (void *)(intptr_t)i));
    return 0;
}

static int
main_equal_deadlines(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_equal_deadlines, NULL));
    /* Arming order: delays 0,1,2,...,7 s are tasks 7,3,1,4,6,0,5,2. */
    cr_assert_str_eq(trace, "73146052");
    return 0;
}

Test(sleep, equal_deadlines_fire_in_arming_order)
{
    trace[0] = '\0';
    purr_assert_ok(purr_test_run(main_equal_deadlines, NULL));
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                             */
/* ---------------------------------------------------------------------- */

static int
note_and_checkpoint_3(void *arg)
{
    char s[2] = {(char)(intptr_t)arg, '\0'};
    for (int i = 0; i < 3; i++) {
        note(s);
        purr_assert_ok(purr_checkpoint());
    }
    return 0;
}

static int
body_interleave(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "a", note_and_checkpoint_3,
                              (void *)(intptr_t)'a'));
    purr_assert_ok(purr_spawn(n, "b", note_and_checkpoint_3,
                              (void *)(intptr_t)'b'));
    purr_assert_ok(purr_spawn(n, "c", note_and_checkpoint_3,
                              (void *)(intptr_t)'c'));
    return 0;
}

static int
main_interleave(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_interleave, NULL));
    cr_assert_str_eq(trace, "abcabcabc");
    cr_assert_eq(purr_now(), 0);
    /* Alone, a checkpoint returns at once. */
    purr_assert_ok(purr_checkpoint());
    return 0;
}

Test(sleep, checkpoint_yields_to_the_other_runnable_tasks)
{
    trace[0] = '\0';
    purr_assert_ok(purr_test_run(main_interleave, NULL));
}

/* ---------------------------------------------------------------------- */
/* Options and long runs                                                   */
/* ---------------------------------------------------------------------- */

static int
main_start_time(void *arg)
{
    (void)arg;
    cr_assert_eq(purr_now(), 1000 * PURR_S);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), 1001 * PURR_S);
    purr_scope s;
    purr_move_on_after(&s, 250 * PURR_MS);
    cr_assert_eq(s.deadline_ns, 1001 * PURR_S + 250 * PURR_MS);
    purr_assert_err(purr_sleep_forever(), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1001 * PURR_S + 250 * PURR_MS);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

Test(sleep, start_time_sets_the_initial_clock)
{
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.start_time = 1000 * PURR_S;
    purr_assert_ok(purr_test_run_opts(&opts, main_start_time, NULL));
}

#define LONG_RUN_SLEEPS 100000

static long ticks[2];

static int
ticker(void *arg)
{
    int i = (int)(intptr_t)arg;
    purr_time period = i == 0 ? 100 * PURR_MS : 150 * PURR_MS;
    for (long k = 0; k < LONG_RUN_SLEEPS; k++) {
        purr_assert_ok(purr_sleep(period));
        ticks[i]++;
    }
    cr_assert_eq(purr_now(), LONG_RUN_SLEEPS * period);
    return 0;
}

static int
body_tickers(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "fast", ticker, (void *)0));
    purr_assert_ok(purr_spawn(n, "slow", ticker, (void *)1));
    return 0;
}

static int
main_long_run(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_tickers, NULL));
    cr_assert_eq(ticks[0], LONG_RUN_SLEEPS);
    cr_assert_eq(ticks[1], LONG_RUN_SLEEPS);
    /* 100,000 x 150 ms: over four hours of virtual time. */
    cr_assert_eq(purr_now(), LONG_RUN_SLEEPS * 150 * PURR_MS);
    cr_assert_gt(purr_now(), 4 * 3600 * PURR_S);
    return 0;
}

Test(sleep, long_simulated_run_takes_virtual_hours)
{
    purr_assert_ok(purr_test_run(main_long_run, NULL));
}
