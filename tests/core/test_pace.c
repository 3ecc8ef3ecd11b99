/* test_pace.c - the virtual clock's pacing hook (options.pace). */
#include "purr_test.h"

typedef struct pace_log {
    purr_time deadlines[16];  /* next_deadline seen by each call */
    purr_time nows[16];       /* purr_now() at each call */
    int calls;
    purr_event *ev;           /* set from a post at the second call */
} pace_log;

static void
set_event(void *arg)
{
    purr_event_set(arg);
}

static void
pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    pace_log *log = ctx;
    cr_assert_null(purr_task_current(), "pace runs outside any task");
    if (log->calls < 16) {
        log->deadlines[log->calls] = next_deadline;
        log->nows[log->calls] = purr_now();
    }
    if (++log->calls == 2 && log->ev)
        purr_loop_post(loop, set_event, log->ev);
}

static int
sleeper(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_assert_ok(purr_sleep(2 * PURR_S));
    return 0;
}

Test(pace, called_before_each_jump_with_the_next_deadline)
{
    pace_log log = {0};
    purr_loop_options opts = {.pace = pace, .pace_ctx = &log};
    cr_assert_eq(purr_test_run_opts(&opts, sleeper, NULL), 0);
    cr_assert_geq(log.calls, 2);
    cr_assert_eq(log.deadlines[0], 1 * PURR_S);
    cr_assert_eq(log.nows[0], 0);
    cr_assert_eq(log.deadlines[1], 3 * PURR_S);
    cr_assert_eq(log.nows[1], 1 * PURR_S);
}

typedef struct waiter_ctx {
    purr_event ev;
    purr_time woke_at;
} waiter_ctx;

static int
wait_event(void *arg)
{
    waiter_ctx *w = arg;
    purr_assert_ok(purr_event_wait(&w->ev));
    w->woke_at = purr_now();
    return 0;
}

static int
wait_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "waiter", wait_event, arg));
    purr_assert_ok(purr_spawn(n, "sleeper", sleeper, NULL));
    return 0;
}

static int
wait_main(void *arg)
{
    return purr_nursery_run(wait_body, arg);
}

Test(pace, posts_from_the_hook_run_before_time_advances)
{
    waiter_ctx w = {0};
    purr_event_init(&w.ev);
    pace_log log = {.ev = &w.ev};
    purr_loop_options opts = {.pace = pace, .pace_ctx = &log};
    cr_assert_eq(purr_test_run_opts(&opts, wait_main, &w), 0);
    /* The post made at the second jump (from 1 s to 3 s) ran at 1 s. */
    cr_assert_eq(w.woke_at, 1 * PURR_S);
}
