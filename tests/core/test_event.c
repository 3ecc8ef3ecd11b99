/* test_event.c - one-shot events: wake-up time and order, set events,
 * cancellation of waiters.
 *
 * Every test runs on the virtual clock, records what happened (an order of
 * task indices, the virtual time of each wake-up) into arrays and asserts
 * the exact sequence. */
#include "purr_test.h"

typedef struct ctx ctx;

/* A waiter's argument: its test, its index, and how long it sleeps before
 * it starts waiting. */
typedef struct waiter_arg {
    ctx *c;
    int index;
    purr_time delay;
} waiter_arg;

/* Shared state of one test: the event, and the log the tasks append to. */
struct ctx {
    purr_event ev;
    int order[16];     /* task indices, in the order things happened */
    purr_time at[16];  /* purr_now() at each logged step */
    int rc[16];        /* wait results, by task index */
    size_t n;          /* entries in order/at */
    purr_scope *scope; /* a waiter's scope, for the cancel tests */
    waiter_arg w[5];   /* the waiters' arguments */
};

static void
log_step(ctx *c, int who)
{
    cr_assert_lt(c->n, 16);
    c->order[c->n] = who;
    c->at[c->n] = purr_now();
    c->n++;
}

/* Sleeps w->delay, waits on the event, logs its index. */
static int
waiter(void *arg)
{
    waiter_arg *w = arg;
    purr_assert_ok(purr_sleep(w->delay));
    w->c->rc[w->index] = purr_event_wait(&w->c->ev);
    log_step(w->c, w->index);
    return 0;
}

/* ---------------------------------------------------------------------- */

static int
set_later(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_sleep(3 * PURR_MS));
    purr_event_set(&c->ev);
    return 0;
}

static int
wake_at_set_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    c->w[0] = (waiter_arg){.c = c, .index = 0, .delay = 0};
    purr_assert_ok(purr_spawn(n, "waiter", waiter, &c->w[0]));
    return purr_spawn(n, "setter", set_later, c);
}

static int
wake_at_set_main(void *arg)
{
    ctx *c = arg;
    purr_event_init(&c->ev);
    cr_assert(!purr_event_is_set(&c->ev));
    purr_assert_ok(purr_nursery_run(wake_at_set_body, c));
    cr_assert(purr_event_is_set(&c->ev));
    cr_assert_eq(purr_now(), 3 * PURR_MS);
    return 0;
}

Test(event, wait_before_set_wakes_at_set_time)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(wake_at_set_main, &c));
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.rc[0], 0);
    cr_assert_eq(c.at[0], 3 * PURR_MS);
}

/* ---------------------------------------------------------------------- */

/* Five waiters are spawned in index order but begin waiting in the order
 * 3, 1, 4, 0, 2 (by sleeping first); they must wake in that order, which is
 * neither spawn order nor its reverse. */
static const int wait_order[5] = {3, 1, 4, 0, 2};

static int
order_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    for (int pos = 0; pos < 5; pos++) {
        int i = wait_order[pos];
        c->w[i] = (waiter_arg){.c = c, .index = i, .delay = pos * PURR_MS};
    }
    for (int i = 0; i < 5; i++)
        purr_assert_ok(purr_spawn(n, "waiter", waiter, &c->w[i]));
    purr_assert_ok(purr_sleep(10 * PURR_MS));
    purr_event_set(&c->ev);
    return 0;
}

static int
order_main(void *arg)
{
    ctx *c = arg;
    purr_event_init(&c->ev);
    return purr_nursery_run(order_body, c);
}

Test(event, waiters_wake_in_the_order_they_began_waiting)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(order_main, &c));
    cr_assert_eq(c.n, 5);
    for (size_t k = 0; k < 5; k++) {
        cr_assert_eq(c.order[k], wait_order[k], "wake #%zu: task %d, want %d",
                     k, c.order[k], wait_order[k]);
        cr_assert_eq(c.at[k], 10 * PURR_MS);
        cr_assert_eq(c.rc[c.order[k]], 0);
    }
}

/* ---------------------------------------------------------------------- */

/* Waiting on an event that is already set is one checkpoint: the other
 * runnable task runs before the wait returns, and time does not move. */
static int
other(void *arg)
{
    log_step(arg, 1);
    return 0;
}

static int
set_wait_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_spawn(n, "other", other, c));
    log_step(c, 0);
    purr_assert_ok(purr_event_wait(&c->ev));
    log_step(c, 0);
    return 0;
}

static int
set_wait_main(void *arg)
{
    ctx *c = arg;
    purr_event_init(&c->ev);
    purr_event_set(&c->ev);
    purr_event_set(&c->ev); /* idempotent */
    purr_assert_ok(purr_nursery_run(set_wait_body, c));

    /* ...and, being a checkpoint, it fails in a cancelled scope even
     * though the event is set. */
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    purr_assert_err(purr_event_wait(&c->ev), PURR_ECANCELED);
    purr_scope_exit(&s);
    cr_assert(s.cancelled_caught);
    return 0;
}

Test(event, wait_on_set_event_returns_after_one_checkpoint)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(set_wait_main, &c));
    cr_assert_eq(c.n, 3);
    int want[3] = {0, 1, 0};
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(c.order[k], want[k], "step %zu: %d, want %d", k,
                     c.order[k], want[k]);
        cr_assert_eq(c.at[k], 0);
    }
}

/* ---------------------------------------------------------------------- */

/* A waiter cancelled by its deadline at 2 ms returns PURR_ECANCELED; the
 * event stays usable: a waiter that starts at 4 ms wakes when it is set at
 * 5 ms. If the cancelled waiter's node stayed queued, set would wake a task
 * that is not parked (or touch a dead stack). */
static int
cancelled_waiter(void *arg)
{
    ctx *c = arg;
    purr_scope s;
    purr_move_on_after(&s, 2 * PURR_MS);
    c->rc[0] = purr_event_wait(&c->ev);
    log_step(c, 0);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

static int
cancel_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    c->w[1] = (waiter_arg){.c = c, .index = 1, .delay = 4 * PURR_MS};
    purr_assert_ok(purr_spawn(n, "cancelled", cancelled_waiter, c));
    purr_assert_ok(purr_spawn(n, "later", waiter, &c->w[1]));
    purr_assert_ok(purr_sleep(5 * PURR_MS));
    purr_event_set(&c->ev);
    return 0;
}

static int
cancel_main(void *arg)
{
    ctx *c = arg;
    purr_event_init(&c->ev);
    return purr_nursery_run(cancel_body, c);
}

Test(event, cancelled_waiter_leaves_event_usable)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(cancel_main, &c));
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.order[0], 0);
    cr_assert_eq(c.at[0], 2 * PURR_MS);
    purr_assert_err(c.rc[0], PURR_ECANCELED);
    cr_assert_eq(c.order[1], 1);
    cr_assert_eq(c.at[1], 5 * PURR_MS);
    purr_assert_ok(c.rc[1]);
}

/* ---------------------------------------------------------------------- */

/* The setter sets the event and then cancels the waiter's scope in the same
 * step. The wake-up already happened, so the wait returns 0; the
 * cancellation is seen at the waiter's next checkpoint. */
static int
woken_cancelled_waiter(void *arg)
{
    ctx *c = arg;
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    c->scope = &s;
    c->rc[0] = purr_event_wait(&c->ev);
    log_step(c, 0);
    c->rc[1] = purr_checkpoint();
    log_step(c, 0);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancel_called);
    cr_assert(s.cancelled_caught);
    return 0;
}

static int
set_then_cancel(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_not_null(c->scope);
    purr_event_set(&c->ev);
    purr_scope_cancel(c->scope);
    log_step(c, 1);
    return 0;
}

static int
same_step_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "waiter", woken_cancelled_waiter, arg));
    return purr_spawn(n, "setter", set_then_cancel, arg);
}

static int
same_step_main(void *arg)
{
    ctx *c = arg;
    purr_event_init(&c->ev);
    return purr_nursery_run(same_step_body, c);
}

Test(event, woken_then_cancelled_in_same_step_returns_0)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(same_step_main, &c));
    purr_assert_ok(c.rc[0]);
    purr_assert_err(c.rc[1], PURR_ECANCELED);
    cr_assert_eq(c.n, 3);
    int want[3] = {1, 0, 0};
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(c.order[k], want[k]);
        cr_assert_eq(c.at[k], 1 * PURR_MS);
    }
}
