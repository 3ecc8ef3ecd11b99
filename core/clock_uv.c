/* clock_uv.c - the real-time clock on a libuv event loop.
 *
 * purr_now() is monotonic time (uv_hrtime) since the loop was created. The
 * timer heap is the same as the virtual clock's; one uv_timer is armed for
 * its earliest deadline whenever the loop goes idle, and uv_run(UV_RUN_ONCE)
 * then blocks until that timer, a file descriptor a task waits for
 * (uv_poll), or a post from another thread (uv_async) wakes it. After each
 * wake-up, posted functions run first, then every timer that is due.
 * libuv is private to this file: nothing in a public header mentions it. */
#include "core_int.h"

#include <uv.h>

typedef struct uv_clock {
    uv_loop_t uv;          /* the libuv loop */
    uv_timer_t timer;      /* armed for the heap's earliest deadline */
    uv_async_t async;      /* woken by purr_loop_post from other threads */
    uint64_t start_ns;     /* uv_hrtime() at creation */
} uv_clock;

static uv_clock *
state(purr_loop *loop)
{
    return loop->clock_state;
}

static void
on_timer(uv_timer_t *h)
{
    (void)h; /* the heap is fired after uv_run returns */
}

static void
on_async(uv_async_t *h)
{
    (void)h; /* posts are run after uv_run returns */
}

static int
uvclock_init(purr_loop *loop)
{
    uv_clock *c = purr__try_calloc(1, sizeof *c);
    if (!c)
        return PURR_ENOMEM;
    if (uv_loop_init(&c->uv) != 0) {
        free(c);
        return PURR_ESYS;
    }
    uv_timer_init(&c->uv, &c->timer);
    uv_async_init(&c->uv, &c->async, on_async);
    c->start_ns = uv_hrtime();
    loop->clock_state = c;
    return 0;
}

static void
uvclock_close(purr_loop *loop)
{
    uv_clock *c = state(loop);
    uv_close((uv_handle_t *)&c->timer, NULL);
    uv_close((uv_handle_t *)&c->async, NULL);
    uv_run(&c->uv, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&c->uv);
    PURR_ASSERT(rc == 0); /* every fd wait closed its handle */
    free(c);
    loop->clock_state = NULL;
}

static purr_time
uvclock_now(purr_loop *loop)
{
    return (purr_time)(uv_hrtime() - state(loop)->start_ns);
}

static int
uvclock_idle(purr_loop *loop)
{
    uv_clock *c = state(loop);
    if (purr__posts_run(loop) || purr__timers_fire(loop, uvclock_now(loop)))
        return 1;
    pthread_mutex_lock(&loop->post_mu);
    int holds = loop->holds;
    pthread_mutex_unlock(&loop->post_mu);
    if (!purr__timers_any(loop) && !loop->nfdwaits && !holds &&
        !purr__posts_pending(loop))
        return 0; /* nothing can ever wake anyone */
    uv_run_mode mode = UV_RUN_ONCE;
    purr_time next = purr__timers_next(loop);
    if (next != PURR_TIME_NEVER) {
        purr_time wait = next - uvclock_now(loop);
        if (wait <= 0) {
            mode = UV_RUN_NOWAIT; /* already due: look at fds, don't block */
        } else {
            /* libuv counts a timer from its cached loop time, which is as
             * old as the previous uv_run: refresh it, or a task that ran
             * longer than the wait would find the timer already expired.
             * An expired timer is dangerous because UV_RUN_ONCE (libuv
             * 1.44) runs due timers before it polls and then polls with
             * no timeout; the 1 ms repeat bounds the poll should ours
             * still expire in that window (the thread was preempted). */
            uint64_t ms = (uint64_t)((wait + PURR_MS - 1) / PURR_MS);
            uv_update_time(&c->uv);
            uv_timer_start(&c->timer, on_timer, ms, 1);
        }
    }
    uv_run(&c->uv, mode);
    uv_timer_stop(&c->timer);
    purr__posts_run(loop);
    purr__timers_fire(loop, uvclock_now(loop));
    return 1;
}

static void
uvclock_wakeup(purr_loop *loop)
{
    uv_clock *c = state(loop);
    if (c)
        uv_async_send(&c->async);
}

const purr__clock_vtable purr__clock_uv = {
    .name = "uv",
    .init = uvclock_init,
    .close = uvclock_close,
    .now = uvclock_now,
    .idle = uvclock_idle,
    .advance = NULL,
    .wakeup = uvclock_wakeup,
};

/* ---------------------------------------------------------------------- */
/* Waiting for file descriptors                                            */
/* ---------------------------------------------------------------------- */

typedef struct fd_wait {
    uv_poll_t poll;        /* the libuv handle (on the task's stack) */
    purr__waiter w;        /* for cancellation */
    int ready;             /* PURR_FD_* mask seen */
    bool waiting;          /* still parked for readiness */
    bool closed;           /* uv_close callback ran */
} fd_wait;

static void
on_poll(uv_poll_t *h, int status, int events)
{
    fd_wait *fw = h->data;
    if (!fw->waiting)
        return;
    fw->waiting = false;
    uv_poll_stop(h);
    if (status < 0) {
        fw->ready = PURR_ESYS;
    } else {
        fw->ready = ((events & UV_READABLE) ? PURR_FD_READ : 0) |
                    ((events & UV_WRITABLE) ? PURR_FD_WRITE : 0);
    }
    purr__wake(fw->w.task, 0);
}

static void
on_fd_cancel(purr__waiter *w)
{
    fd_wait *fw = (fd_wait *)((char *)w - offsetof(fd_wait, w));
    fw->waiting = false;
    uv_poll_stop(&fw->poll);
}

static void
on_poll_closed(uv_handle_t *h)
{
    fd_wait *fw = h->data;
    fw->closed = true;
    if (fw->w.task->state == PURR__BLOCKED)
        purr__wake(fw->w.task, 0);
}

int
purr_fd_wait(int fd, int events)
{
    purr_task *self = purr__self(__func__);
    purr_loop *loop = self->loop;
    if (loop->clock_kind != PURR_CLOCK_REAL)
        return PURR_ENOTSUP;
    PURR_API_CHECK(events & (PURR_FD_READ | PURR_FD_WRITE),
                   "purr_fd_wait: no events requested");
    int rc = purr__check_cancel(self);
    if (rc)
        return rc;
    uv_clock *c = state(loop);
    fd_wait fw = {.ready = 0, .waiting = true};
    fw.w.task = self;
    fw.w.on_cancel = on_fd_cancel;
    if (uv_poll_init(&c->uv, &fw.poll, fd) != 0)
        return PURR_ESYS;
    fw.poll.data = &fw;
    int uv_events = ((events & PURR_FD_READ) ? UV_READABLE : 0) |
                    ((events & PURR_FD_WRITE) ? UV_WRITABLE : 0);
    loop->nfdwaits++;
    if (uv_poll_start(&fw.poll, uv_events, on_poll) != 0) {
        fw.waiting = false;
        rc = PURR_ESYS;
    } else {
        rc = purr__park(&fw.w, true, "fd", NULL);
    }
    /* The handle lives on this stack: wait until libuv lets go of it. */
    uv_close((uv_handle_t *)&fw.poll, on_poll_closed);
    while (!fw.closed)
        purr__park(NULL, false, "fd close", NULL);
    loop->nfdwaits--;
    if (rc < 0)
        return rc;
    return fw.ready;
}
