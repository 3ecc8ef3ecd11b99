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

/* PURR_TIME_NEVER is a deadline that never comes: sleeping until it is
 * sleeping forever, so with nothing else to do the loop deadlocks (the
 * clock must not jump to INT64_MAX and return 0). */
static int never_rc;
static purr_time never_woke_at;

static int
main_sleep_until_never(void *arg)
{
    bool via_duration = arg != NULL;
    never_rc = via_duration ? purr_sleep(PURR_TIME_NEVER)
                            : purr_sleep_until(PURR_TIME_NEVER);
    never_woke_at = purr_now();
    return never_rc;
}

Test(sleep, sleeping_until_never_is_sleeping_forever)
{
    for (int via_duration = 0; via_duration < 2; via_duration++) {
        char *text = NULL;
        size_t len = 0;
        purr_loop_options opts;
        memset(&opts, 0, sizeof opts);
        opts.deadlock_report = open_memstream(&text, &len);
        cr_assert_not_null(opts.deadlock_report);
        never_rc = 0;
        never_woke_at = -1;
        purr_assert_err(purr_test_run_opts(&opts, main_sleep_until_never,
                                           via_duration ? &opts : NULL),
                        PURR_EDEADLOCK);
        fclose(opts.deadlock_report);
        /* Woken only by the deadlock's cancellation, at time 0. */
        purr_assert_err(never_rc, PURR_ECANCELED);
        cr_assert_eq(never_woke_at, 0);
        free(text);
    }
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
        purr_assert_ok(
            purr_spawn(n, "t", arm_then_sleep_until_10s, (void *)(intptr_t)i));
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

/* 1,000 tasks arm sleep timers with many equal deadlines; every third also
 * sits in a scope with its own deadline, so timers leave the heap from the
 * middle (a sleep timer disarmed when the scope wakes its task first, a
 * scope timer disarmed when the scope is exited early). Each task arms its
 * timers in spawn order, scope before sleep, so the firing order must be
 * by (wake time, task index), and a tie between a task's scope and sleep
 * goes to the scope, armed first. Deadlines start at 1 ms: at 0 they
 * would be plain checkpoints, not timers. */
#define NTIMERS 1000

struct wake {
    int task;
    purr_time at;
    int rc;
};

static struct wake wakes[NTIMERS];
static int nwakes;

static purr_time
sleep_deadline(int i)
{
    return (purr_time)(1 + (i * 7919u) % 37u) * PURR_MS;
}

static purr_time
scope_deadline(int i)
{
    return (purr_time)(1 + (i * 104729u) % 41u) * PURR_MS;
}

static int
timer_task(void *arg)
{
    int i = (int)(intptr_t)arg;
    purr_scope s;
    bool scoped = i % 3 == 0;
    if (scoped)
        purr_scope_enter(&s, scope_deadline(i));
    int rc = purr_sleep_until(sleep_deadline(i));
    cr_assert_lt(nwakes, NTIMERS);
    wakes[nwakes++] = (struct wake){i, purr_now(), rc};
    if (scoped)
        purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
body_timers(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < NTIMERS; i++)
        purr_assert_ok(purr_spawn(n, "timer", timer_task, (void *)(intptr_t)i));
    return 0;
}

static int
main_timers(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_timers, NULL));
    cr_assert_eq(nwakes, NTIMERS);
    for (int k = 0; k < NTIMERS; k++) {
        const struct wake *w = &wakes[k];
        int i = w->task;
        purr_time want = sleep_deadline(i);
        int want_rc = 0;
        if (i % 3 == 0 && scope_deadline(i) <= want) {
            want = scope_deadline(i);
            want_rc = PURR_ECANCELED;
        }
        cr_assert_eq(w->at, want, "task %d woke at %lld, want %lld", i,
                     (long long)w->at, (long long)want);
        purr_assert_err(w->rc, want_rc);
        if (k > 0) {
            const struct wake *p = &wakes[k - 1];
            cr_assert(p->at < w->at || (p->at == w->at && p->task < i),
                      "task %d (at %lld) woke after task %d (at %lld)", i,
                      (long long)w->at, p->task, (long long)p->at);
        }
    }
    return 0;
}

Test(sleep, many_timers_fire_in_deadline_then_arming_order)
{
    nwakes = 0;
    purr_assert_ok(purr_test_run(main_timers, NULL));
}

/* Five tasks sleep until 1 s + k ns (k = 0..4), spawned in reverse so the
 * heap is not filled in deadline order. Each wakes at its own instant:
 * when task k runs, the clock reads 1 s + k, and after a checkpoint (every
 * other task of that instant has run) it still does and task k + 1 has not
 * woken. A clock that fired timers due 1 ns apart in one jump would wake
 * two at once, at the later time. */
#define NEAR 5

static int near_woken;
static purr_time near_at[NEAR];

static int
near_sleeper(void *arg)
{
    int k = (int)(intptr_t)arg;
    purr_assert_ok(purr_sleep_until(PURR_S + k));
    near_at[k] = purr_now();
    cr_assert_eq(near_woken, k, "task %d woke after %d others", k, near_woken);
    near_woken++;
    purr_assert_ok(purr_checkpoint());
    cr_assert_eq(purr_now(), PURR_S + k, "task %d: the clock moved", k);
    cr_assert_eq(near_woken, k + 1, "task %d: a later timer fired with it", k);
    return 0;
}

static int
body_near(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int k = NEAR - 1; k >= 0; k--)
        purr_assert_ok(
            purr_spawn(n, "near", near_sleeper, (void *)(intptr_t)k));
    return 0;
}

static int
main_near(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_near, NULL));
    cr_assert_eq(near_woken, NEAR);
    for (int k = 0; k < NEAR; k++)
        cr_assert_eq(near_at[k], PURR_S + k, "task %d woke at %lld", k,
                     (long long)near_at[k]);
    return 0;
}

Test(sleep, timers_due_1ns_apart_fire_at_their_own_instants)
{
    near_woken = 0;
    purr_assert_ok(purr_test_run(main_near, NULL));
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
    purr_assert_ok(
        purr_spawn(n, "a", note_and_checkpoint_3, (void *)(intptr_t)'a'));
    purr_assert_ok(
        purr_spawn(n, "b", note_and_checkpoint_3, (void *)(intptr_t)'b'));
    purr_assert_ok(
        purr_spawn(n, "c", note_and_checkpoint_3, (void *)(intptr_t)'c'));
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

static int
main_negative_start_time(void *arg)
{
    (void)arg;
    cr_assert_eq(purr_now(), -10 * PURR_S);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), -9 * PURR_S);
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_S);
    cr_assert_eq(s.deadline_ns, -8 * PURR_S);
    purr_assert_err(purr_sleep(5 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), -8 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    /* A deadline further in the past than INT64_MIN saturates. */
    purr_move_on_after(&s, INT64_MIN);
    cr_assert_eq(s.deadline_ns, INT64_MIN);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    /* Crossing zero is nothing special. */
    purr_assert_ok(purr_sleep(8 * PURR_S + 1));
    cr_assert_eq(purr_now(), 1);
    /* And past INT64_MAX, deadlines saturate to PURR_TIME_NEVER. */
    purr_move_on_after(&s, PURR_TIME_NEVER);
    cr_assert_eq(s.deadline_ns, PURR_TIME_NEVER);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

Test(sleep, negative_start_time_is_exact_too)
{
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.start_time = -10 * PURR_S;
    purr_assert_ok(purr_test_run_opts(&opts, main_negative_start_time, NULL));
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

/* ---------------------------------------------------------------------- */
/* Order through many re-arms                                              */
/* ---------------------------------------------------------------------- */

/* 300 tasks, 60 rounds each. In a round a task takes an arming number
 * (a counter shared by all tasks, bumped at every arm, so it is the
 * order the core sees the arms in) for a scope deadline in half the
 * rounds, then one for a sleep; durations mix a few microseconds (timers
 * that land among the next to fire, ahead of timers armed long before),
 * equal values (ties) and tens of milliseconds. When the scope's deadline
 * comes first the scope wakes the task and the sleep's timer is taken out;
 * when the sleep ends first the scope's timer is taken out on exit. Every
 * wake is noted with the time and the arming number of the timer that
 * fired: times must be exact and the notes sorted by (time, arming
 * number), which is the order the core promises. */
#define RE_TASKS 300
#define RE_ROUNDS 60

struct rewake {
    purr_time at;
    uint64_t armed;
};

static struct rewake rewakes[RE_TASKS * RE_ROUNDS];
static int nrewakes;
static uint64_t arms;

static purr_time
re_duration(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t x = *rng >> 33;
    switch (x % 4) {
    case 0:
        return (purr_time)(1 + x / 4 % 20) * PURR_US;
    case 1:
        return 5 * PURR_US; /* ties */
    default:
        return (purr_time)(1 + x / 4 % 40000) * PURR_US;
    }
}

static int
rearm_task(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    for (int round = 0; round < RE_ROUNDS; round++) {
        bool scoped = (rng >> 40) & 1;
        purr_scope s;
        purr_time scope_at = PURR_TIME_NEVER;
        uint64_t scope_arm = 0;
        if (scoped) {
            scope_at = purr_now() + re_duration(&rng);
            scope_arm = arms++;
            purr_scope_enter(&s, scope_at);
        }
        purr_time sleep_at = purr_now() + re_duration(&rng);
        uint64_t sleep_arm = arms++;
        int rc = purr_sleep_until(sleep_at);
        bool by_scope = scoped && scope_at <= sleep_at;
        cr_assert_eq(purr_now(), by_scope ? scope_at : sleep_at);
        purr_assert_err(rc, by_scope ? PURR_ECANCELED : 0);
        cr_assert_lt(nrewakes, RE_TASKS * RE_ROUNDS);
        rewakes[nrewakes++] =
            (struct rewake){purr_now(), by_scope ? scope_arm : sleep_arm};
        if (scoped)
            purr_assert_ok(purr_scope_exit(&s));
    }
    return 0;
}

static int
body_rearm(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < RE_TASKS; i++)
        purr_assert_ok(
            purr_spawn(n, "rearm", rearm_task, (void *)(uintptr_t)i));
    return 0;
}

static int
main_rearm(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_rearm, NULL));
    cr_assert_eq(nrewakes, RE_TASKS * RE_ROUNDS);
    for (int k = 1; k < nrewakes; k++) {
        const struct rewake *p = &rewakes[k - 1], *w = &rewakes[k];
        cr_assert(p->at < w->at || (p->at == w->at && p->armed < w->armed),
                  "wake %d (t=%lld, arm %llu) after (t=%lld, arm %llu)", k,
                  (long long)w->at, (unsigned long long)w->armed,
                  (long long)p->at, (unsigned long long)p->armed);
    }
    return 0;
}

Test(sleep, timers_keep_their_order_through_many_rearms)
{
    purr_assert_ok(purr_test_run(main_rearm, NULL));
}
