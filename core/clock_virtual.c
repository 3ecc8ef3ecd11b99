/* clock_virtual.c - the deterministic virtual clock (Trio's MockClock with
 * autojump_threshold = 0).
 *
 * Time moves only when every task is blocked: it then jumps to the earliest
 * deadline in the timer heap, and everything due at that instant fires in
 * (deadline, seq) order. The jump is normally made by the task that is about
 * to block (advance), which then switches straight to the first task woken.
 * Posted functions (from other threads) run before time advances. If nothing
 * is runnable, no timer is armed and no post can arrive (no holds), idle()
 * reports a deadlock. A pacing hook (options.pace) runs before each jump; a
 * simulator window uses it to hold virtual time to a multiple of wall time
 * and to inject the user's input. */
#include "core_int.h"

static int
virtual_init(purr_loop *loop)
{
    (void)loop;
    return 0;
}

static void
virtual_close(purr_loop *loop)
{
    (void)loop;
}

static purr_time
virtual_now(purr_loop *loop)
{
    return loop->now_ns;
}

static int
virtual_advance(purr_loop *loop)
{
    if (loop->pace) {
        /* The hook runs outside any task, like a posted function. */
        purr_task *saved = loop->current;
        loop->current = NULL;
        loop->pace(loop, purr__timers_next(loop), loop->pace_ctx);
        loop->current = saved;
    }
    if (purr__posts_pending(loop)) {
        purr__posts_run(loop);
        if (loop->run_head)
            return 1;
    }
    while (!loop->run_head && purr__timers_any(loop))
        purr__timers_fire_next(loop);
    return loop->run_head != NULL;
}

static int
virtual_idle(purr_loop *loop)
{
    if (virtual_advance(loop))
        return 1;
    /* Nothing runnable and nothing scheduled: only another thread holding
     * the loop can still make progress, by posting. */
    pthread_mutex_lock(&loop->post_mu);
    while (loop->holds > 0 && !purr__posts_pending(loop))
        pthread_cond_wait(&loop->post_cv, &loop->post_mu);
    bool more = purr__posts_pending(loop);
    pthread_mutex_unlock(&loop->post_mu);
    if (more) {
        purr__posts_run(loop);
        return 1;
    }
    return 0;
}

static void
virtual_wakeup(purr_loop *loop)
{
    (void)loop; /* posts signal post_cv themselves */
}

const purr__clock_vtable purr__clock_virtual = {
    .name = "virtual",
    .init = virtual_init,
    .close = virtual_close,
    .now = virtual_now,
    .idle = virtual_idle,
    .advance = virtual_advance,
    .wakeup = virtual_wakeup,
};
