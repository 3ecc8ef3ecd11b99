/* test_deadlock.c - deadlock detection, its report, and loop shutdown.
 *
 * On the virtual clock, a loop where every task is blocked and no timer is
 * armed can never make progress. purr_run then prints every task and what
 * it waits for to options.deadlock_report, cancels everything so the tasks
 * unwind, and returns PURR_EDEADLOCK; the loop can then be closed. The
 * report goes to an open_memstream here so its text can be checked. */
#include "purr_test.h"

#include <string.h>

/* The report's text, captured through open_memstream. */
struct report_buf {
    char *text;
    size_t len;
    FILE *f;
};

static void
report_open(struct report_buf *r, purr_loop_options *opts)
{
    memset(r, 0, sizeof *r);
    r->f = open_memstream(&r->text, &r->len);
    cr_assert_not_null(r->f);
    memset(opts, 0, sizeof *opts);
    opts->deadlock_report = r->f;
}

/* Closes the stream; r->text stays valid until report_free. */
static void
report_close(struct report_buf *r)
{
    cr_assert_eq(fclose(r->f), 0);
    r->f = NULL;
}

static void
report_free(struct report_buf *r)
{
    free(r->text);
}

/* Returns the line of text that mentions task 'name', or fails. */
static const char *
line_of(const char *text, const char *name, char *line, size_t cap)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "'%s'", name);
    const char *p = strstr(text, quoted);
    cr_assert_not_null(p, "report does not name %s:\n%s", quoted, text);
    const char *start = p;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    if (len >= cap)
        len = cap - 1;
    memcpy(line, start, len);
    line[len] = '\0';
    return p;
}

/* ---------------------------------------------------------------------- */
/* A deadlock among several primitives                                     */
/* ---------------------------------------------------------------------- */

struct world {
    purr_event never; /* nobody sets it */
    purr_lock lock;   /* held by "holder" forever */
    purr_chan_tx *tx; /* kept open, nobody sends */
    purr_chan_rx *rx;
    int rc_waiter, rc_holder, rc_locker, rc_receiver;
    bool holder_has_lock;
};

static int
waiter(void *arg)
{
    struct world *w = arg;
    w->rc_waiter = purr_event_wait(&w->never);
    return w->rc_waiter;
}

static int
holder(void *arg)
{
    struct world *w = arg;
    purr_assert_ok(purr_lock_acquire(&w->lock));
    w->holder_has_lock = true;
    w->rc_holder = purr_event_wait(&w->never);
    purr_lock_release(&w->lock);
    return w->rc_holder;
}

static int
locker(void *arg)
{
    struct world *w = arg;
    w->rc_locker = purr_lock_acquire(&w->lock);
    if (w->rc_locker == 0)
        purr_lock_release(&w->lock);
    return w->rc_locker;
}

static int
receiver(void *arg)
{
    struct world *w = arg;
    int item;
    w->rc_receiver = purr_chan_recv(w->rx, &item);
    return w->rc_receiver;
}

static int
body_deadlock(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "waiter", waiter, arg));
    purr_assert_ok(purr_spawn(n, "holder", holder, arg));
    purr_assert_ok(purr_spawn(n, "locker", locker, arg));
    purr_assert_ok(purr_spawn(n, "receiver", receiver, arg));
    return 0;
}

static int
main_deadlock(void *arg)
{
    struct world *w = arg;
    purr_event_init(&w->never);
    purr_lock_init(&w->lock);
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &w->tx, &w->rx));
    purr_assert_ok(purr_sleep(2 * PURR_S)); /* so the report's time shows */
    int rc = purr_nursery_run(body_deadlock, w);
    purr_chan_tx_close(w->tx);
    purr_chan_rx_close(w->rx);
    return rc;
}

Test(deadlock, every_task_blocked_is_reported_and_unwound)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    struct world w;
    memset(&w, 0, sizeof w);

    purr_loop *loop = purr_loop_new(&opts);
    cr_assert_not_null(loop);
    purr_assert_err(purr_run(loop, "test-main", main_deadlock, &w),
                    PURR_EDEADLOCK);
    /* The tasks were cancelled and unwound, so the loop can be freed. */
    cr_assert_eq(purr_loop_task_count(loop), 0);
    purr_assert_ok(purr_loop_close(loop));
    report_close(&r);

    cr_assert(w.holder_has_lock);
    purr_assert_err(w.rc_waiter, PURR_ECANCELED);
    purr_assert_err(w.rc_holder, PURR_ECANCELED);
    purr_assert_err(w.rc_locker, PURR_ECANCELED);
    purr_assert_err(w.rc_receiver, PURR_ECANCELED);

    cr_assert_not_null(strstr(r.text, "deadlock at t=2.000000000s"), "%s",
                       r.text);
    /* Every blocked task, in spawn order, with what it waits for. */
    static const struct {
        const char *name;
        const char *on;
    } expect[] = {
        {"test-main", "on nursery"},
        {"waiter", "on event"},
        {"holder", "on event"},
        {"locker", "on lock"},
        {"receiver", "on channel receive"},
    };
    const char *prev = r.text;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        char line[256];
        const char *at = line_of(r.text, expect[i].name, line, sizeof line);
        cr_assert_gt(at, prev, "'%s' out of spawn order:\n%s", expect[i].name,
                     r.text);
        prev = at;
        cr_assert_not_null(strstr(line, "blocked"), "line: %s", line);
        cr_assert_not_null(strstr(line, expect[i].on), "line: %s", line);
        char id[16];
        snprintf(id, sizeof id, "#%zu ", i + 1);
        cr_assert_not_null(strstr(line, id), "line: %s", line);
    }
    report_free(&r);
}

static int
main_waits_alone(void *arg)
{
    (void)arg;
    purr_event ev;
    purr_event_init(&ev);
    return purr_event_wait(&ev);
}

Test(deadlock, main_task_alone)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    purr_assert_err(purr_test_run_opts(&opts, main_waits_alone, NULL),
                    PURR_EDEADLOCK);
    report_close(&r);
    char line[256];
    line_of(r.text, "test-main", line, sizeof line);
    cr_assert_not_null(strstr(line, "on event"), "line: %s", line);
    cr_assert_not_null(strstr(r.text, "deadlock at t=0.000000000s"), "%s",
                       r.text);
    report_free(&r);
}

/* ---------------------------------------------------------------------- */
/* The report finds tasks wherever they are                                */
/* ---------------------------------------------------------------------- */

/* Tasks in inner cancel scopes, in a nested nursery and under purr_start's
 * hidden scope: the report lists each once, in spawn order, whatever the
 * scope it is blocked in. */

static purr_event never_set;

static int
waits_in_scope(void *arg)
{
    (void)arg;
    purr_scope outer, inner;
    purr_scope_enter(&outer, PURR_TIME_NEVER);
    purr_scope_enter(&inner, PURR_TIME_NEVER);
    int rc = purr_event_wait(&never_set);
    purr_scope_exit(&inner);
    purr_scope_exit(&outer);
    return rc;
}

static int
waits(void *arg)
{
    (void)arg;
    return purr_event_wait(&never_set);
}

static int
inner_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "b1", waits_in_scope, NULL));
    purr_assert_ok(purr_spawn(n, "b2", waits, NULL));
    return purr_event_wait(&never_set);
}

static int
runs_inner_nursery(void *arg)
{
    (void)arg;
    return purr_nursery_run(inner_body, NULL);
}

static int
never_started(void *arg)
{
    (void)arg;
    return purr_event_wait(&never_set); /* never calls purr_started */
}

static int
outer_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "a1", waits_in_scope, NULL));
    purr_assert_ok(purr_spawn(n, "a2", runs_inner_nursery, NULL));
    return purr_start(n, "a3", never_started, NULL, NULL);
}

static int
main_nested(void *arg)
{
    (void)arg;
    purr_event_init(&never_set);
    return purr_nursery_run(outer_body, NULL);
}

Test(deadlock, report_lists_tasks_of_every_scope_in_spawn_order)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    purr_assert_err(purr_test_run_opts(&opts, main_nested, NULL),
                    PURR_EDEADLOCK);
    report_close(&r);
    /* a3 is spawned by purr_start before a2 runs and spawns b1 and b2. */
    static const char *const order[] = {"test-main", "a1", "a2", "a3",
                                        "b1", "b2"};
    size_t n = sizeof order / sizeof order[0];
    char head[32];
    snprintf(head, sizeof head, "purr: %zu task(s):", n);
    cr_assert_not_null(strstr(r.text, head), "%s", r.text);
    const char *prev = r.text;
    for (size_t i = 0; i < n; i++) {
        char line[256];
        const char *at = line_of(r.text, order[i], line, sizeof line);
        cr_assert_gt(at, prev, "'%s' out of spawn order:\n%s", order[i],
                     r.text);
        prev = at;
        char quoted[16];
        snprintf(quoted, sizeof quoted, "'%s'", order[i]);
        cr_assert_null(strstr(at + 1, quoted), "'%s' listed twice:\n%s",
                       order[i], r.text);
        char id[16];
        snprintf(id, sizeof id, "#%zu ", i + 1);
        cr_assert_not_null(strstr(line, id), "line: %s", line);
        cr_assert_not_null(strstr(line, "blocked"), "line: %s", line);
    }
    report_free(&r);
}

/* ---------------------------------------------------------------------- */
/* What is not a deadlock                                                  */
/* ---------------------------------------------------------------------- */

static purr_event late_event;

static int
sets_event_later(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_event_set(&late_event);
    return 0;
}

static int
body_blocked_but_timer(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "setter", sets_event_later, NULL));
    /* Everyone is blocked, but a timer is armed: time jumps instead. */
    purr_assert_ok(purr_event_wait(&late_event));
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

static int
main_not_deadlocked(void *arg)
{
    (void)arg;
    purr_event_init(&late_event);
    return purr_nursery_run(body_blocked_but_timer, NULL);
}

Test(deadlock, armed_timer_is_not_a_deadlock)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    purr_assert_ok(purr_test_run_opts(&opts, main_not_deadlocked, NULL));
    report_close(&r);
    cr_assert_eq(r.len, 0, "spurious report: %s", r.text);
    report_free(&r);
}

/* ---------------------------------------------------------------------- */
/* purr_loop_close                                                         */
/* ---------------------------------------------------------------------- */

static purr_loop *running_loop;

static int
try_close_while_running(void *arg)
{
    (void)arg;
    running_loop = purr_loop_current();
    cr_assert_not_null(running_loop);
    cr_assert_eq(purr_loop_task_count(running_loop), 1);
    /* The loop is running and this task is alive: nothing is freed. */
    purr_assert_err(purr_loop_close(running_loop), PURR_EBUSY);
    return 0;
}

Test(deadlock, loop_close_is_ebusy_while_tasks_live_and_0_after)
{
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    purr_assert_ok(purr_run(loop, "test-main", try_close_while_running, NULL));
    cr_assert_eq(running_loop, loop);
    cr_assert_eq(purr_loop_task_count(loop), 0);
    cr_assert_null(purr_loop_current(), "no loop outside purr_run");
    purr_assert_ok(purr_loop_close(loop));
    purr_assert_ok(purr_loop_close(NULL));
}

static int
reusable_main(void *arg)
{
    int *runs = arg;
    (*runs)++;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return 0;
}

static int
main_waits_forever_shielded(void *arg)
{
    (void)arg;
    purr_scope shield;
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    purr_event ev;
    purr_event_init(&ev);
    /* Shielded: the deadlock's cancellation cannot reach this wait. */
    if (purr_event_wait(&ev) < 0) { /* shielded: no cancel reaches it */ }
    purr_scope_exit(&shield);
    return 0;
}

Test(deadlock, loop_runs_again_after_a_deadlock)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    purr_loop *loop = purr_loop_new(&opts);
    cr_assert_not_null(loop);
    purr_assert_err(purr_run(loop, "stuck", main_waits_alone, NULL),
                    PURR_EDEADLOCK);
    int runs = 0;
    purr_assert_ok(purr_run(loop, "again", reusable_main, &runs));
    cr_assert_eq(runs, 1);
    purr_assert_ok(purr_loop_close(loop));
    report_close(&r);
    report_free(&r);
}

/* A task that shields itself from the deadlock's cancellation cannot be
 * unwound: purr_run reports twice and gives up, and the loop, with a task
 * still alive, refuses to close. (The loop is deliberately leaked: its
 * task's stack can never be released.) */
static purr_loop *leaked_loop;

Test(deadlock, unkillable_task_keeps_loop_busy)
{
    struct report_buf r;
    purr_loop_options opts;
    report_open(&r, &opts);
    leaked_loop = purr_loop_new(&opts);
    cr_assert_not_null(leaked_loop);
    purr_assert_err(
        purr_run(leaked_loop, "stubborn", main_waits_forever_shielded, NULL),
        PURR_EDEADLOCK);
    cr_assert_eq(purr_loop_task_count(leaked_loop), 1);
    purr_assert_err(purr_loop_close(leaked_loop), PURR_EBUSY);
    report_close(&r);
    /* Reported twice: once before cancelling, once on giving up. */
    const char *first = strstr(r.text, "deadlock at");
    cr_assert_not_null(first);
    cr_assert_not_null(strstr(first + 1, "deadlock at"), "%s", r.text);
    report_free(&r);
}
