/* test_clock_uv.c - the real-time clock (libuv): sleeping, waiting for file
 * descriptors, posts from another thread; and the same task code on both
 * clocks.
 *
 * Real time cannot be asserted exactly, so these tests assert only what the
 * clock guarantees: a sleep of d lasts at least d (a lower bound, never a
 * tolerance), and orders are the same as on the virtual clock, where times
 * are asserted exactly. */
#include "purr_test.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

static const purr_loop_options real_opts = {.clock = PURR_CLOCK_REAL};

/* ---------------------------------------------------------------------- */
/* Sleeping                                                                */
/* ---------------------------------------------------------------------- */

static int
real_sleep_main(void *arg)
{
    (void)arg;
    cr_assert_eq(purr_loop_clock(purr_loop_current()), PURR_CLOCK_REAL);
    purr_time start = purr_now();
    cr_assert_geq(start, 0);
    purr_assert_ok(purr_sleep(20 * PURR_MS));
    purr_time slept = purr_now() - start;
    cr_assert_geq(slept, 20 * PURR_MS, "slept only %lld ns", (long long)slept);
    return 0;
}

Test(clock_uv, sleep_lasts_at_least_its_duration)
{
    purr_assert_ok(purr_test_run_opts(&real_opts, real_sleep_main, NULL));
}

/* Sleepers of 20, 5 and 10 ms side by side: each wake-up must respect its
 * own deadline (an earlier timer's wake-up fires nothing early), and they
 * wake in deadline order. */
typedef struct sleepers sleepers;

typedef struct sleeper_arg {
    sleepers *s;
    int index;
    purr_time duration;
} sleeper_arg;

struct sleepers {
    purr_time start;
    int order[3];       /* sleeper indices in wake order */
    purr_time slept[3]; /* by index */
    size_t n;
    sleeper_arg args[3];
};

static int
sleeper(void *arg)
{
    sleeper_arg *a = arg;
    purr_assert_ok(purr_sleep_until(a->s->start + a->duration));
    a->s->slept[a->index] = purr_now() - a->s->start;
    a->s->order[a->s->n++] = a->index;
    return 0;
}

static const purr_time sleeper_durations[3] = {20 * PURR_MS, 5 * PURR_MS,
                                               10 * PURR_MS};

static int
sleepers_body(purr_nursery *n, void *arg)
{
    sleepers *s = arg;
    s->start = purr_now();
    for (int i = 0; i < 3; i++) {
        s->args[i] =
            (sleeper_arg){.s = s, .index = i, .duration = sleeper_durations[i]};
        purr_assert_ok(purr_spawn(n, "sleeper", sleeper, &s->args[i]));
    }
    return 0;
}

static int
sleepers_main(void *arg)
{
    return purr_nursery_run(sleepers_body, arg);
}

Test(clock_uv, concurrent_sleeps_each_last_their_duration)
{
    sleepers s = {0};
    purr_assert_ok(purr_test_run_opts(&real_opts, sleepers_main, &s));
    cr_assert_eq(s.n, 3);
    int want[3] = {1, 2, 0};
    for (size_t k = 0; k < 3; k++)
        cr_assert_eq(s.order[k], want[k]);
    for (int i = 0; i < 3; i++)
        cr_assert_geq(s.slept[i], sleeper_durations[i], "sleeper %d: %lld ns",
                      i, (long long)s.slept[i]);
}

/* A task that computes for longer than its next sleep (5 ms of work with
 * no checkpoint, then a 2 ms sleep) must still wake. libuv measures its
 * timers from a cached loop time that is as old as the last time the loop
 * polled; counted from there, the timer had expired before the poll, which
 * then waited forever. The Criterion timeout turns such a hang into a
 * failure. */
static int
busy_then_sleep_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        purr_time start = purr_now();
        while (purr_now() - start < 5 * PURR_MS)
            ; /* CPU work: the loop does not run meanwhile */
        start = purr_now();
        purr_assert_ok(purr_sleep(2 * PURR_MS));
        cr_assert_geq(purr_now() - start, 2 * PURR_MS);
    }
    return 0;
}

Test(clock_uv, sleep_after_long_computation_wakes, .timeout = 20)
{
    purr_assert_ok(purr_test_run_opts(&real_opts, busy_then_sleep_main, NULL));
}

/* ---------------------------------------------------------------------- */
/* File descriptors                                                        */
/* ---------------------------------------------------------------------- */

typedef struct pipe_ctx {
    int fds[2];        /* pipe: [0] read end, [1] write end */
    int rc;            /* purr_fd_wait's result */
    purr_time woke_at; /* purr_now() when it returned */
    char buf[16];      /* bytes read after waking */
    ssize_t nread;
} pipe_ctx;

static int
pipe_reader(void *arg)
{
    pipe_ctx *p = arg;
    p->rc = purr_fd_wait(p->fds[0], PURR_FD_READ);
    p->woke_at = purr_now();
    p->nread = read(p->fds[0], p->buf, sizeof p->buf);
    return 0;
}

static int
pipe_writer(void *arg)
{
    pipe_ctx *p = arg;
    purr_assert_ok(purr_sleep(5 * PURR_MS));
    cr_assert_eq(write(p->fds[1], "purr!", 5), 5);
    return 0;
}

static int
pipe_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "reader", pipe_reader, arg));
    return purr_spawn(n, "writer", pipe_writer, arg);
}

static int
pipe_main(void *arg)
{
    pipe_ctx *p = arg;
    /* writable at once: the pipe is empty */
    purr_assert_err(purr_fd_wait(p->fds[1], PURR_FD_WRITE), PURR_FD_WRITE);
    return purr_nursery_run(pipe_body, p);
}

Test(clock_uv, fd_wait_wakes_when_a_pipe_becomes_readable)
{
    pipe_ctx p = {0};
    cr_assert_eq(pipe(p.fds), 0);
    purr_assert_ok(purr_test_run_opts(&real_opts, pipe_main, &p));
    cr_assert_eq(p.rc, PURR_FD_READ, "purr_fd_wait returned %d (%s)", p.rc,
                 purr_err_name(p.rc));
    cr_assert_geq(p.woke_at, 5 * PURR_MS);
    cr_assert_eq(p.nread, 5);
    cr_assert_eq(memcmp(p.buf, "purr!", 5), 0);
    close(p.fds[0]);
    close(p.fds[1]);
}

/* ---------------------------------------------------------------------- */

/* A wait for a pipe nobody writes to is cancelled by its deadline; the fd
 * can be waited for again afterwards, and the loop closes cleanly
 * (purr_test_run_opts asserts purr_loop_close == 0). */
static int
fd_cancel_main(void *arg)
{
    pipe_ctx *p = arg;
    purr_time start = purr_now();
    purr_scope s;
    purr_move_on_after(&s, 10 * PURR_MS);
    purr_assert_err(purr_fd_wait(p->fds[0], PURR_FD_READ), PURR_ECANCELED);
    cr_assert_geq(purr_now() - start, 10 * PURR_MS);
    /* in a cancelled scope it refuses at once */
    purr_assert_err(purr_fd_wait(p->fds[0], PURR_FD_READ), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);

    cr_assert_eq(write(p->fds[1], "x", 1), 1);
    p->rc = purr_fd_wait(p->fds[0], PURR_FD_READ);
    p->nread = read(p->fds[0], p->buf, sizeof p->buf);
    return 0;
}

Test(clock_uv, cancelled_fd_wait_returns_ecanceled_and_loop_closes)
{
    pipe_ctx p = {0};
    cr_assert_eq(pipe(p.fds), 0);
    purr_assert_ok(purr_test_run_opts(&real_opts, fd_cancel_main, &p));
    cr_assert_eq(p.rc, PURR_FD_READ);
    cr_assert_eq(p.nread, 1);
    close(p.fds[0]);
    close(p.fds[1]);
}

/* ---------------------------------------------------------------------- */

static int
fd_virtual_main(void *arg)
{
    pipe_ctx *p = arg;
    purr_assert_err(purr_fd_wait(p->fds[0], PURR_FD_READ), PURR_ENOTSUP);
    purr_assert_err(purr_fd_wait(p->fds[1], PURR_FD_WRITE), PURR_ENOTSUP);
    cr_assert_eq(purr_now(), 0);
    return 0;
}

Test(clock_uv, fd_wait_on_the_virtual_clock_is_not_supported)
{
    pipe_ctx p = {0};
    cr_assert_eq(pipe(p.fds), 0);
    purr_assert_ok(purr_test_run(fd_virtual_main, &p));
    close(p.fds[0]);
    close(p.fds[1]);
}

/* A regular file cannot be polled (epoll refuses it): libuv's refusal is
 * PURR_ESYS, and leaves nothing behind (the loop still closes). */
static int
fd_refused_main(void *arg)
{
    int fd = fileno(arg);
    purr_assert_err(purr_fd_wait(fd, PURR_FD_READ), PURR_ESYS);
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    return 0;
}

Test(clock_uv, fd_wait_on_a_regular_file_returns_esys)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    purr_assert_ok(purr_test_run_opts(&real_opts, fd_refused_main, f));
    fclose(f);
}

/* ---------------------------------------------------------------------- */
/* Posts from another thread                                               */
/* ---------------------------------------------------------------------- */

#define NPOSTS 1000

typedef struct post_ctx post_ctx;

/* One posted call: which test, which index. */
typedef struct post_item {
    post_ctx *p;
    int index;
} post_item;

struct post_ctx {
    purr_loop *loop;
    purr_event done; /* set by the last posted call */
    post_item items[NPOSTS];
    int got[NPOSTS]; /* indices, in the order the calls ran */
    size_t n;
    int bad_context;   /* calls that ran inside a task or elsewhere */
    int post_failures; /* purr_loop_post calls that failed */
};

static void
on_post(void *arg)
{
    post_item *it = arg;
    post_ctx *p = it->p;
    if (purr_task_current() != NULL || purr_loop_current() != p->loop)
        p->bad_context++;
    if (p->n < NPOSTS)
        p->got[p->n] = it->index;
    p->n++;
    if (it->index == NPOSTS - 1)
        purr_event_set(&p->done);
}

static void *
poster(void *arg)
{
    post_ctx *p = arg;
    for (int i = 0; i < NPOSTS; i++) {
        p->items[i] = (post_item){.p = p, .index = i};
        if (purr_loop_post(p->loop, on_post, &p->items[i]) != 0)
            p->post_failures++;
        if (i % 100 == 0)
            usleep(100); /* let the loop run some posts mid-stream */
    }
    return NULL;
}

static int
post_main(void *arg)
{
    post_ctx *p = arg;
    p->loop = purr_loop_current();
    purr_event_init(&p->done);
    /* The hold keeps the loop from declaring a deadlock while the thread
     * may still post: nothing else is scheduled. */
    purr_loop_hold(p->loop);
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, poster, p), 0);
    int rc = purr_event_wait(&p->done);
    cr_assert_eq(pthread_join(thread, NULL), 0);
    purr_loop_unhold(p->loop);
    if (purr_loop_clock(p->loop) == PURR_CLOCK_VIRTUAL)
        cr_assert_eq(purr_now(), 0); /* posts do not move virtual time */
    return rc;
}

static void
check_posts(const post_ctx *p)
{
    cr_assert_eq(p->post_failures, 0);
    cr_assert_eq(p->bad_context, 0);
    cr_assert_eq(p->n, NPOSTS);
    for (int i = 0; i < NPOSTS; i++)
        cr_assert_eq(p->got[i], i, "post #%d ran as #%d", p->got[i], i);
}

Test(clock_uv, posts_from_a_thread_run_in_order_real)
{
    post_ctx p = {0};
    purr_assert_ok(purr_test_run_opts(&real_opts, post_main, &p));
    check_posts(&p);
}

Test(clock_uv, posts_from_a_thread_run_in_order_virtual)
{
    post_ctx p = {0};
    purr_assert_ok(purr_test_run(post_main, &p));
    check_posts(&p);
}

/* ---------------------------------------------------------------------- */
/* The same code on both clocks                                            */
/* ---------------------------------------------------------------------- */

/* Three tasks using sleep, a nursery and an event. Deadlines are spaced
 * 30 ms apart and taken from one start time, so the order of steps is a
 * property of the code, not of how promptly a real loop wakes. */
enum { M0, A1, B1, B2, A2, C1, END, NSTEPS };

typedef struct script {
    purr_time start;
    purr_event ev;
    int order[NSTEPS];
    purr_time at[NSTEPS]; /* time of each step, relative to start */
    size_t n;
} script;

static void
step(script *s, int what)
{
    cr_assert_lt(s->n, NSTEPS);
    s->order[s->n] = what;
    s->at[s->n] = purr_now() - s->start;
    s->n++;
}

static int
script_a(void *arg)
{
    script *s = arg;
    purr_assert_ok(purr_sleep(30 * PURR_MS));
    step(s, A1);
    purr_event_set(&s->ev);
    purr_assert_ok(purr_sleep_until(s->start + 90 * PURR_MS));
    step(s, A2);
    return 0;
}

static int
script_b(void *arg)
{
    script *s = arg;
    purr_assert_ok(purr_event_wait(&s->ev));
    step(s, B1);
    purr_assert_ok(purr_sleep_until(s->start + 60 * PURR_MS));
    step(s, B2);
    return 0;
}

static int
script_c(void *arg)
{
    script *s = arg;
    purr_assert_ok(purr_sleep_until(s->start + 120 * PURR_MS));
    step(s, C1);
    return 0;
}

static int
script_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "a", script_a, arg));
    purr_assert_ok(purr_spawn(n, "b", script_b, arg));
    purr_assert_ok(purr_spawn(n, "c", script_c, arg));
    step(arg, M0);
    return 0;
}

static int
script_main(void *arg)
{
    script *s = arg;
    s->start = purr_now();
    purr_event_init(&s->ev);
    purr_assert_ok(purr_nursery_run(script_body, s));
    step(s, END);
    return 0;
}

Test(clock_uv, same_code_same_result_on_both_clocks)
{
    static const int want[NSTEPS] = {M0, A1, B1, B2, A2, C1, END};
    static const purr_time want_at[NSTEPS] = {0,
                                              30 * PURR_MS,
                                              30 * PURR_MS,
                                              60 * PURR_MS,
                                              90 * PURR_MS,
                                              120 * PURR_MS,
                                              120 * PURR_MS};
    script virt = {0}, real = {0};
    purr_assert_ok(purr_test_run(script_main, &virt));
    purr_assert_ok(purr_test_run_opts(&real_opts, script_main, &real));
    cr_assert_eq(virt.n, NSTEPS);
    cr_assert_eq(real.n, NSTEPS);
    for (size_t k = 0; k < NSTEPS; k++) {
        cr_assert_eq(virt.order[k], want[k], "virtual step %zu: %d, want %d", k,
                     virt.order[k], want[k]);
        cr_assert_eq(real.order[k], virt.order[k],
                     "real step %zu: %d, virtual %d", k, real.order[k],
                     virt.order[k]);
        cr_assert_eq(virt.at[k], want_at[k]);
        cr_assert_geq(real.at[k], want_at[k], "real step %zu at %lld ns", k,
                      (long long)real.at[k]);
    }
}
