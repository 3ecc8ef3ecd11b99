/* test_lock.c - locks and semaphores: exclusion, FIFO hand-off,
 * cancellation of waiters, misuse.
 *
 * Virtual clock throughout; orders and times are recorded and asserted
 * exactly. The misuse test runs the offending code in a forked child and
 * asserts on the panic message. */
#include "purr_test.h"

#include <signal.h>
#include <string.h>

typedef struct ctx ctx;

/* One task's argument: its test and its index. */
typedef struct task_arg {
    ctx *c;
    int index;
    purr_time delay; /* sleep before asking for the resource */
} task_arg;

/* Shared state of one test. */
struct ctx {
    purr_lock lock;
    purr_semaphore sem;
    int inside;       /* tasks currently holding the lock */
    int max_inside;   /* the most ever seen at once */
    int order[16];    /* task indices in the order they got in */
    purr_time at[16]; /* purr_now() when they got in */
    int rc[16];       /* acquire results, by task index */
    size_t n;
    task_arg args[8];
};

static void
log_step(ctx *c, int who)
{
    cr_assert_lt(c->n, 16);
    c->order[c->n] = who;
    c->at[c->n] = purr_now();
    c->n++;
}

/* ---------------------------------------------------------------------- */
/* Lock                                                                    */
/* ---------------------------------------------------------------------- */

/* Holds the lock across two sleeps; no one else may be inside meanwhile. */
static int
exclusive(void *arg)
{
    task_arg *a = arg;
    ctx *c = a->c;
    purr_assert_ok(purr_lock_acquire(&c->lock));
    cr_assert_eq(c->lock.owner, purr_task_current());
    log_step(c, a->index);
    if (++c->inside > c->max_inside)
        c->max_inside = c->inside;
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_eq(c->inside, 1);
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    c->inside--;
    purr_lock_release(&c->lock);
    return 0;
}

static int
exclusion_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    for (int i = 0; i < 3; i++) {
        c->args[i] = (task_arg){.c = c, .index = i};
        purr_assert_ok(purr_spawn(n, "worker", exclusive, &c->args[i]));
    }
    return 0;
}

static int
exclusion_main(void *arg)
{
    ctx *c = arg;
    purr_lock_init(&c->lock);
    purr_assert_ok(purr_nursery_run(exclusion_body, c));
    cr_assert_null(c->lock.owner);
    cr_assert_eq(purr_now(), 6 * PURR_MS);
    return 0;
}

Test(lock, mutual_exclusion_across_sleeps)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(exclusion_main, &c));
    cr_assert_eq(c.max_inside, 1);
    cr_assert_eq(c.n, 3);
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(c.order[k], (int)k);
        cr_assert_eq(c.at[k], (purr_time)(2 * k) * PURR_MS);
    }
}

/* ---------------------------------------------------------------------- */

/* The holder takes the lock at 0; five waiters, spawned in index order,
 * start waiting in the order 3, 1, 4, 0, 2 (at 1..5 ms). The holder
 * releases at 10 ms and at once asks again: it must not barge past them.
 * Each waiter holds for 1 ms, so they get in at 10, 11, ... 14 ms and the
 * holder last, at 15 ms. */
static const int fifo_order[5] = {3, 1, 4, 0, 2};

static int
fifo_waiter(void *arg)
{
    task_arg *a = arg;
    purr_assert_ok(purr_sleep(a->delay));
    a->c->rc[a->index] = purr_lock_acquire(&a->c->lock);
    log_step(a->c, a->index);
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    purr_lock_release(&a->c->lock);
    return 0;
}

static int
fifo_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_lock_acquire(&c->lock));
    for (int pos = 0; pos < 5; pos++) {
        int i = fifo_order[pos];
        c->args[i] =
            (task_arg){.c = c, .index = i, .delay = (pos + 1) * PURR_MS};
    }
    for (int i = 0; i < 5; i++)
        purr_assert_ok(purr_spawn(n, "waiter", fifo_waiter, &c->args[i]));
    purr_assert_ok(purr_sleep(10 * PURR_MS));
    purr_lock_release(&c->lock);
    purr_assert_ok(purr_lock_acquire(&c->lock));
    log_step(c, 5);
    purr_lock_release(&c->lock);
    return 0;
}

static int
fifo_main(void *arg)
{
    ctx *c = arg;
    purr_lock_init(&c->lock);
    return purr_nursery_run(fifo_body, c);
}

Test(lock, fifo_handoff_among_five_waiters)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(fifo_main, &c));
    cr_assert_eq(c.n, 6);
    for (size_t k = 0; k < 6; k++) {
        int want = k < 5 ? fifo_order[k] : 5;
        cr_assert_eq(c.order[k], want, "hand-off #%zu went to %d, want %d", k,
                     c.order[k], want);
        cr_assert_eq(c.at[k], (purr_time)(10 + k) * PURR_MS);
    }
    for (int i = 0; i < 5; i++)
        purr_assert_ok(c.rc[i]);
}

/* ---------------------------------------------------------------------- */

/* Waiter 0 gives up at 2 ms (move_on_after); waiter 1 keeps waiting. The
 * release at 5 ms must go to waiter 1, and nothing may remain queued. */
static int
lock_cancel_waiter(void *arg)
{
    task_arg *a = arg;
    ctx *c = a->c;
    purr_assert_ok(purr_sleep(a->delay));
    purr_scope s;
    purr_move_on_after(&s, a->index == 0 ? 2 * PURR_MS : PURR_TIME_NEVER);
    c->rc[a->index] = purr_lock_acquire(&c->lock);
    log_step(c, a->index);
    if (c->rc[a->index] == 0)
        purr_lock_release(&c->lock);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
lock_cancel_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_lock_acquire(&c->lock));
    purr_task *me = purr_task_current();
    for (int i = 0; i < 2; i++) {
        c->args[i] = (task_arg){.c = c, .index = i, .delay = i * PURR_US};
        purr_assert_ok(
            purr_spawn(n, "waiter", lock_cancel_waiter, &c->args[i]));
    }
    purr_assert_ok(purr_sleep(3 * PURR_MS));
    cr_assert_eq(c->lock.owner, me); /* the cancelled waiter took nothing */
    purr_assert_ok(purr_sleep(2 * PURR_MS));
    purr_lock_release(&c->lock);
    return 0;
}

static int
lock_cancel_main(void *arg)
{
    ctx *c = arg;
    purr_lock_init(&c->lock);
    purr_assert_ok(purr_nursery_run(lock_cancel_body, c));
    cr_assert_null(c->lock.owner);
    /* No trace: the lock is free and taken at once, with no hand-off to a
     * stale waiter. */
    purr_assert_ok(purr_lock_acquire(&c->lock));
    cr_assert_eq(c->lock.owner, purr_task_current());
    purr_lock_release(&c->lock);
    cr_assert_null(c->lock.owner);
    return 0;
}

Test(lock, cancelled_waiter_leaves_no_trace)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(lock_cancel_main, &c));
    purr_assert_err(c.rc[0], PURR_ECANCELED);
    purr_assert_ok(c.rc[1]);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.order[0], 0);
    cr_assert_eq(c.at[0], 2 * PURR_MS);
    cr_assert_eq(c.order[1], 1);
    cr_assert_eq(c.at[1], 5 * PURR_MS);
}

/* ---------------------------------------------------------------------- */

/* Child side of the misuse test: runs the purr_task_fn that arg points
 * to as the main task of a fresh loop. The misuse it commits must abort
 * the child; if purr_run comes back, the child exits with status 0 and the
 * test sees it did not abort. */
static void
child_run_task(void *arg)
{
    purr_task_fn *fn = arg;
    purr_loop *loop = purr_loop_new(NULL);
    purr_run(loop, "child-main", *fn, NULL);
}

/* Releases a lock nobody holds. */
static int
release_unheld(void *arg)
{
    (void)arg;
    purr_lock lock;
    purr_lock_init(&lock);
    purr_lock_release(&lock);
    return 0;
}

/* Takes the lock in one task and releases it from another. */
static int
holder(void *arg)
{
    purr_assert_ok(purr_lock_acquire(arg));
    return purr_sleep(1 * PURR_MS);
}

static int
release_other_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "holder", holder, arg));
    purr_assert_ok(purr_checkpoint());
    purr_lock_release(arg);
    return 0;
}

static int
release_others(void *arg)
{
    (void)arg;
    purr_lock lock;
    purr_lock_init(&lock);
    return purr_nursery_run(release_other_body, &lock);
}

Test(lock, release_unheld_aborts_naming_the_function)
{
    purr_task_fn cases[2] = {release_unheld, release_others};
    for (int i = 0; i < 2; i++) {
        char err[4096];
        int status =
            purr_test_run_captured(child_run_task, &cases[i], err, sizeof err);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                  "case %d: child did not abort (status %#x); stderr: %s", i,
                  status, err);
        cr_assert_not_null(strstr(err, "purr_lock_release"),
                           "case %d: stderr does not name the function: %s", i,
                           err);
        cr_assert_not_null(strstr(err, "not held"), "case %d: %s", i, err);
    }
}

/* ---------------------------------------------------------------------- */
/* Semaphore                                                               */
/* ---------------------------------------------------------------------- */

/* Initial count 2: tasks 0 and 1 get in at 0 ms, task 2 waits until task 0
 * releases at 3 ms. */
static int
sem_user(void *arg)
{
    task_arg *a = arg;
    ctx *c = a->c;
    purr_assert_ok(purr_sleep(a->delay));
    c->rc[a->index] = purr_semaphore_acquire(&c->sem);
    log_step(c, a->index);
    purr_assert_ok(purr_sleep((3 + a->index) * PURR_MS));
    purr_semaphore_release(&c->sem);
    return 0;
}

static int
sem_count_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    for (int i = 0; i < 3; i++) {
        c->args[i] = (task_arg){.c = c, .index = i};
        purr_assert_ok(purr_spawn(n, "user", sem_user, &c->args[i]));
    }
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_eq(c->sem.value, 0);
    return 0;
}

static int
sem_count_main(void *arg)
{
    ctx *c = arg;
    purr_semaphore_init(&c->sem, 2);
    cr_assert_eq(c->sem.value, 2);
    purr_assert_ok(purr_nursery_run(sem_count_body, c));
    cr_assert_eq(c->sem.value, 2);
    /* task 2 got in at 3 ms and held for 5 ms */
    cr_assert_eq(purr_now(), 8 * PURR_MS);
    return 0;
}

Test(semaphore, counts)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(sem_count_main, &c));
    cr_assert_eq(c.n, 3);
    int want[3] = {0, 1, 2};
    purr_time want_at[3] = {0, 0, 3 * PURR_MS};
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(c.order[k], want[k]);
        cr_assert_eq(c.at[k], want_at[k]);
        purr_assert_ok(c.rc[k]);
    }
}

/* ---------------------------------------------------------------------- */

/* Count 0; waiters start waiting in the order 2, 0, 1. Each release (at 5,
 * 6, 7 ms) wakes the first waiter and hands it the unit: the count stays 0
 * and a task that acquires right after a release does not barge. */
static const int sem_order[3] = {2, 0, 1};

static int
sem_waiter(void *arg)
{
    task_arg *a = arg;
    ctx *c = a->c;
    purr_assert_ok(purr_sleep(a->delay));
    c->rc[a->index] = purr_semaphore_acquire(&c->sem);
    log_step(c, a->index);
    return 0;
}

static int
sem_fifo_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    for (int pos = 0; pos < 3; pos++) {
        int i = sem_order[pos];
        c->args[i] =
            (task_arg){.c = c, .index = i, .delay = (pos + 1) * PURR_MS};
    }
    for (int i = 0; i < 3; i++)
        purr_assert_ok(purr_spawn(n, "waiter", sem_waiter, &c->args[i]));
    purr_assert_ok(purr_sleep(5 * PURR_MS));
    for (int k = 0; k < 3; k++) {
        purr_semaphore_release(&c->sem);
        cr_assert_eq(c->sem.value, 0,
                     "release %d: the unit was not handed "
                     "to the waiter",
                     k);
        purr_assert_ok(purr_sleep(1 * PURR_MS));
    }
    purr_semaphore_release(&c->sem);
    cr_assert_eq(c->sem.value, 1);
    return 0;
}

static int
sem_fifo_main(void *arg)
{
    ctx *c = arg;
    purr_semaphore_init(&c->sem, 0);
    return purr_nursery_run(sem_fifo_body, c);
}

Test(semaphore, fifo_release_wakes_the_first_waiter)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(sem_fifo_main, &c));
    cr_assert_eq(c.n, 3);
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(c.order[k], sem_order[k], "wake #%zu: %d, want %d", k,
                     c.order[k], sem_order[k]);
        cr_assert_eq(c.at[k], (purr_time)(5 + k) * PURR_MS);
        purr_assert_ok(c.rc[c.order[k]]);
    }
}

/* ---------------------------------------------------------------------- */

/* Count 0; waiter 0 gives up at 2 ms, waiter 1 keeps waiting. The release
 * at 4 ms goes to waiter 1; the next release raises the count to 1. */
static int
sem_cancel_waiter(void *arg)
{
    task_arg *a = arg;
    ctx *c = a->c;
    purr_assert_ok(purr_sleep(a->delay));
    purr_scope s;
    purr_move_on_after(&s, a->index == 0 ? 2 * PURR_MS : PURR_TIME_NEVER);
    c->rc[a->index] = purr_semaphore_acquire(&c->sem);
    log_step(c, a->index);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
sem_cancel_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    for (int i = 0; i < 2; i++) {
        c->args[i] = (task_arg){.c = c, .index = i, .delay = i * PURR_US};
        purr_assert_ok(purr_spawn(n, "waiter", sem_cancel_waiter, &c->args[i]));
    }
    purr_assert_ok(purr_sleep(3 * PURR_MS));
    cr_assert_eq(c->sem.value, 0);
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    purr_semaphore_release(&c->sem);
    cr_assert_eq(c->sem.value, 0);
    return 0;
}

static int
sem_cancel_main(void *arg)
{
    ctx *c = arg;
    purr_semaphore_init(&c->sem, 0);
    purr_assert_ok(purr_nursery_run(sem_cancel_body, c));
    purr_semaphore_release(&c->sem);
    cr_assert_eq(c->sem.value, 1);
    purr_assert_ok(purr_semaphore_acquire(&c->sem));
    cr_assert_eq(c->sem.value, 0);
    return 0;
}

Test(semaphore, cancel_while_waiting)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(sem_cancel_main, &c));
    purr_assert_err(c.rc[0], PURR_ECANCELED);
    purr_assert_ok(c.rc[1]);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.order[0], 0);
    cr_assert_eq(c.at[0], 2 * PURR_MS);
    cr_assert_eq(c.order[1], 1);
    cr_assert_eq(c.at[1], 4 * PURR_MS);
}
