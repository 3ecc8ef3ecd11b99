/* test_value_family.c - the other members of the family: AsyncBool,
 * RepeatedEvent, wait_any / wait_all, move_on_when and run_and_cancelling
 * (docs/values.md).
 *
 * Every test runs on the virtual clock. Tasks record what they returned
 * and when; the tests assert exact times, results and counts. */
#include "purr_test.h"

#include <signal.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* What one task (or body) saw. */
typedef struct outcome {
    purr_time duration;  /* how long it sleeps (sleeper) */
    int result;          /* what it returns after its sleep (sleeper) */
    purr_time cleanup;   /* shielded sleep after being cancelled */
    int rc;              /* the result of its sleep */
    purr_time at;        /* when it ended */
    bool ended;
} outcome;

static int
sleeper(void *arg)
{
    outcome *o = arg;
    o->rc = purr_sleep(o->duration);
    if (o->rc == PURR_ECANCELED && o->cleanup > 0) {
        purr_scope shield;
        purr_scope_enter(&shield, PURR_TIME_NEVER);
        purr_scope_set_shield(&shield, true);
        purr_assert_ok(purr_sleep(o->cleanup));
        purr_assert_ok(purr_scope_exit(&shield));
    }
    o->at = purr_now();
    o->ended = true;
    return o->rc < 0 ? o->rc : o->result;
}

/* Calls fn at time at (a "script" of one or more events). */
typedef struct timed_call {
    purr_time at;
    void (*fn)(void *arg);
    void *arg;
} timed_call;

typedef struct schedule {
    const timed_call *calls;
    size_t n;
} schedule;

static int
schedule_run(void *arg)
{
    schedule *s = arg;
    for (size_t i = 0; i < s->n; i++) {
        if (i == 0 || s->calls[i].at != s->calls[i - 1].at)
            purr_assert_ok(purr_sleep_until(s->calls[i].at));
        s->calls[i].fn(s->calls[i].arg);
    }
    return 0;
}

static void
fire_event(void *arg)
{
    purr_repeated_event_set(arg);
}

static void
set_true(void *arg)
{
    purr_value_set_bool(arg, true);
}

/* Runs a schedule beside fn(arg) in the calling task. */
typedef struct beside {
    schedule *sched;
    int (*fn)(void *arg);
    void *arg;
    int rc;
} beside;

static int
beside_body(purr_nursery *n, void *arg)
{
    beside *b = arg;
    purr_assert_ok(purr_spawn(n, "schedule", schedule_run, b->sched));
    b->rc = b->fn(b->arg);
    return 0;
}

static int
run_beside(schedule *sched, int (*fn)(void *), void *arg)
{
    beside b = {sched, fn, arg, 0};
    purr_assert_ok(purr_nursery_run(beside_body, &b));
    return b.rc;
}

/* ---------------------------------------------------------------------- */
/* Rule 17: AsyncBool                                                      */
/* ---------------------------------------------------------------------- */

static int
wait_true(void *arg)
{
    purr_datum t = purr_datum_bool(true), got = purr_datum_nil();
    int rc = purr_value_wait(arg, purr_match_equal(&t), 0, &got);
    if (rc == 0)
        cr_assert(got.type == PURR_T_BOOL && got.u.b);
    return rc;
}

static int
main_bool(void *arg)
{
    (void)arg;
    purr_value *b = purr_value_new_bool(purr_loop_current(), "awake",
                                        PURR_ROLE_INPUT);
    cr_assert_eq(purr_value_type(b), PURR_T_BOOL);
    cr_assert_eq(purr_value_role(b), PURR_ROLE_INPUT);
    cr_assert_eq(purr_value_peek(b)->type, PURR_T_BOOL);
    cr_assert_eq(purr_value_peek(b)->u.b, false);
    cr_assert_eq(purr_value_set_bool(b, false), 0); /* already false */
    purr_assert_err(purr_value_set_int(b, 1), PURR_ETYPE);
    timed_call calls[] = {{2 * PURR_S, set_true, b}};
    schedule s = {calls, 1};
    purr_assert_ok(run_beside(&s, wait_true, b));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    cr_assert_eq(purr_value_transitions(b), 1);
    purr_value_free(b);
    return 0;
}

Test(value, rule17_async_bool_is_false_by_default)
{
    purr_assert_ok(purr_test_run(main_bool, NULL));
}

static int
main_zero_of_type(void *arg)
{
    (void)arg;
    static const char *const want[] = {"nil", "false", "0", "0.0", "\"\"",
                                       "b\"\"", "()"};
    for (int t = PURR_T_NIL; t <= PURR_T_TUPLE; t++) {
        purr_value *v = purr_value_new(purr_loop_current(), "v",
                                       PURR_ROLE_INTERNAL, (purr_type)t,
                                       NULL);
        char buf[16];
        purr_datum_format(purr_value_peek(v), buf, sizeof buf);
        cr_assert_str_eq(buf, want[t]);
        purr_value_free(v);
    }
    return 0;
}

Test(value, rule17_values_start_at_the_zero_of_their_type)
{
    purr_assert_ok(purr_test_run(main_zero_of_type, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 18: RepeatedEvent                                                  */
/* ---------------------------------------------------------------------- */

static int event_sets;

static void
count_event_sets(const purr_trace *ev, void *ctx)
{
    if (ev->kind == PURR_EV_VALUE_SET && ev->value == ctx)
        event_sets++;
}

static int
main_event_counts(void *arg)
{
    (void)arg;
    purr_repeated_event *e =
        purr_repeated_event_new(purr_loop_current(), "touch");
    purr_value *counter = purr_repeated_event_value(e);
    purr_assert_ok(purr_loop_observe(purr_loop_current(), PURR_EV_VALUE,
                                     count_event_sets, counter));
    cr_assert_str_eq(purr_value_name(counter), "touch");
    cr_assert_eq(purr_value_role(counter), PURR_ROLE_INTERNAL);
    cr_assert_eq(purr_value_peek(counter)->u.i, 0);
    /* Never dropped by equality: each set is a transition. */
    purr_repeated_event_set(e);
    purr_repeated_event_set(e);
    purr_repeated_event_set(e);
    cr_assert_eq(purr_value_peek(counter)->u.i, 3);
    cr_assert_eq(purr_value_transitions(counter), 3);
    cr_assert_eq(event_sets, 3);
    purr_repeated_event_free(e);
    purr_repeated_event_free(NULL);
    return 0;
}

Test(value, rule18_set_always_counts)
{
    purr_assert_ok(purr_test_run(main_event_counts, NULL));
}

static int
wait_event(void *arg)
{
    return purr_repeated_event_wait(arg);
}

static int
main_event_wait(void *arg)
{
    (void)arg;
    purr_repeated_event *e =
        purr_repeated_event_new(purr_loop_current(), "touch");
    purr_repeated_event_set(e); /* before the call: does not count */
    timed_call calls[] = {{1 * PURR_S, fire_event, e}};
    schedule s = {calls, 1};
    purr_assert_ok(run_beside(&s, wait_event, e));
    cr_assert_eq(purr_now(), 1 * PURR_S);

    purr_scope sc;
    purr_move_on_after(&sc, PURR_S);
    purr_assert_err(purr_repeated_event_wait(e), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&sc));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_repeated_event_free(e);
    return 0;
}

Test(value, rule18_wait_waits_for_a_set_after_the_call)
{
    purr_assert_ok(purr_test_run(main_event_wait, NULL));
}

typedef struct event_loop {
    purr_repeated_event *e;
    bool unqueued;
    bool repeat_last;
    purr_time timeout;
    purr_time body;
    purr_time at[8];
    size_t n;
    int rc;
    purr_time end_at;
} event_loop;

static int
run_event_loop(void *arg)
{
    event_loop *l = arg;
    if (l->unqueued) {
        purr_transitions it;
        purr_repeated_event_unqueued(l->e, &it);
        purr_iter_move_on_after(&it.iter, l->timeout);
        while ((l->rc = purr_transitions_next(&it, NULL, NULL)) == 0) {
            l->at[l->n++] = purr_now();
            purr_assert_ok(purr_sleep(l->body));
        }
        purr_transitions_close(&it);
    } else {
        purr_events it;
        purr_events_open(&it, l->e, l->repeat_last);
        purr_iter_move_on_after(&it.iter, l->timeout);
        while ((l->rc = purr_events_next(&it)) == 0) {
            l->at[l->n++] = purr_now();
            purr_assert_ok(purr_sleep(l->body));
        }
        purr_events_close(&it);
    }
    l->end_at = purr_now();
    return 0;
}

static int
main_unqueued(void *arg)
{
    (void)arg;
    purr_repeated_event *e =
        purr_repeated_event_new(purr_loop_current(), "touch");
    /* 1 s: an event; 1.5 s: during the 1 s body, dropped; 3 s: two sets
     * in one step, one event. */
    timed_call calls[] = {{1 * PURR_S, fire_event, e},
                          {1500 * PURR_MS, fire_event, e},
                          {3 * PURR_S, fire_event, e},
                          {3 * PURR_S, fire_event, e}};
    schedule s = {calls, 4};
    event_loop l = {.e = e, .unqueued = true, .timeout = 1500 * PURR_MS,
                    .body = PURR_S};
    purr_assert_ok(run_beside(&s, run_event_loop, &l));
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.at[0], 1 * PURR_S);
    cr_assert_eq(l.at[1], 3 * PURR_S);
    purr_assert_err(l.rc, PURR_ECLOSED);
    cr_assert_eq(l.end_at, 5500 * PURR_MS);
    purr_repeated_event_free(e);
    return 0;
}

Test(value, rule18_unqueued_events_drop_body_sets_and_coalesce_a_step)
{
    purr_assert_ok(purr_test_run(main_unqueued, NULL));
}

static int
main_events_repeat_last(void *arg)
{
    (void)arg;
    purr_repeated_event *e =
        purr_repeated_event_new(purr_loop_current(), "touch");
    /* repeat_last, never set: the first item at once, then nothing. */
    event_loop l = {.e = e, .repeat_last = true, .timeout = PURR_S};
    purr_assert_ok(run_event_loop(&l));
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.at[0], 0);
    purr_assert_err(l.rc, PURR_ECLOSED);
    cr_assert_eq(l.end_at, 1 * PURR_S);

    /* Without repeat_last, a set before the open is not an item. */
    purr_repeated_event_set(e);
    timed_call calls[] = {{3 * PURR_S, fire_event, e}};
    schedule s = {calls, 1};
    event_loop l2 = {.e = e, .timeout = 2500 * PURR_MS};
    purr_assert_ok(run_beside(&s, run_event_loop, &l2));
    cr_assert_eq(l2.n, 1);
    cr_assert_eq(l2.at[0], 3 * PURR_S);
    cr_assert_eq(l2.end_at, 5500 * PURR_MS);
    purr_repeated_event_free(e);
    return 0;
}

Test(value, rule18_events_repeat_last_gives_the_first_item_at_once)
{
    purr_assert_ok(purr_test_run(main_events_repeat_last, NULL));
}

static int
main_events_body(void *arg)
{
    (void)arg;
    purr_repeated_event *e =
        purr_repeated_event_new(purr_loop_current(), "touch");
    /* An item at 1 s; three sets during its 1 s body: exactly one more
     * item, when the body ends; then nothing until the timeout. */
    timed_call calls[] = {{1 * PURR_S, fire_event, e},
                          {1200 * PURR_MS, fire_event, e},
                          {1400 * PURR_MS, fire_event, e},
                          {1600 * PURR_MS, fire_event, e}};
    schedule s = {calls, 4};
    event_loop l = {.e = e, .timeout = 1500 * PURR_MS, .body = PURR_S};
    purr_assert_ok(run_beside(&s, run_event_loop, &l));
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.at[0], 1 * PURR_S);
    cr_assert_eq(l.at[1], 2 * PURR_S);
    purr_assert_err(l.rc, PURR_ECLOSED);
    cr_assert_eq(l.end_at, 4500 * PURR_MS);
    purr_repeated_event_free(e);
    return 0;
}

Test(value, rule18_events_a_set_during_the_body_gives_exactly_one_more)
{
    purr_assert_ok(purr_test_run(main_events_body, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 19: wait_any, wait_all                                             */
/* ---------------------------------------------------------------------- */

static int
main_wait_any(void *arg)
{
    (void)arg;
    outcome o[3] = {{.duration = 3 * PURR_S},
                    {.duration = 1 * PURR_S},
                    {.duration = 2 * PURR_S, .cleanup = 500 * PURR_MS}};
    purr_task_fn fns[] = {sleeper, sleeper, sleeper};
    void *args[] = {&o[0], &o[1], &o[2]};
    int rc = purr_wait_any(fns, args, 3);
    cr_assert_eq(rc, 1, "wait_any returned %d", rc);
    purr_assert_ok(o[1].rc);
    cr_assert_eq(o[1].at, 1 * PURR_S);
    purr_assert_err(o[0].rc, PURR_ECANCELED);
    cr_assert_eq(o[0].at, 1 * PURR_S);
    purr_assert_err(o[2].rc, PURR_ECANCELED);
    /* It returned when the last one had unwound (a 0.5 s cleanup). */
    cr_assert_eq(o[2].at, 1500 * PURR_MS);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    return 0;
}

Test(value, rule19_wait_any_returns_the_first_index_cancels_and_unwinds)
{
    purr_assert_ok(purr_test_run(main_wait_any, NULL));
}

/* wait_any over value waits: a battery low or a touch. */
typedef struct value_wait_arg {
    purr_value *v;
    purr_match m;
} value_wait_arg;

static int
value_wait_fn(void *arg)
{
    value_wait_arg *a = arg;
    return purr_value_wait(a->v, a->m, 0, NULL);
}

static int
event_wait_fn(void *arg)
{
    return purr_repeated_event_wait(arg);
}

static bool
below_20(const purr_datum *x, void *arg)
{
    (void)arg;
    return purr_datum_as_int(x) < 20;
}

static void
set_battery_15(void *arg)
{
    purr_value_set_int(arg, 15);
}

static int
any_of_battery_or_touch(void *arg)
{
    void **a = arg;
    purr_task_fn fns[] = {value_wait_fn, event_wait_fn};
    void *args[] = {a[0], a[1]};
    return purr_wait_any(fns, args, 2);
}

static int
main_wait_any_values(void *arg)
{
    (void)arg;
    purr_datum full = purr_datum_int(100);
    purr_value *battery = purr_value_new(purr_loop_current(), "battery",
                                         PURR_ROLE_INPUT, PURR_T_INT, &full);
    purr_repeated_event *touch =
        purr_repeated_event_new(purr_loop_current(), "touch");
    value_wait_arg low = {battery, purr_match_pred(below_20, NULL)};
    void *args[] = {&low, touch};
    timed_call calls[] = {{2 * PURR_S, fire_event, touch},
                          {3 * PURR_S, set_battery_15, battery}};
    schedule s = {calls, 2};
    cr_assert_eq(run_beside(&s, any_of_battery_or_touch, args), 1);
    cr_assert_eq(purr_now(), 3 * PURR_S); /* the schedule ran to its end */
    purr_repeated_event_free(touch);
    purr_value_free(battery); /* the losing wait left no trace */
    return 0;
}

Test(value, rule19_wait_any_over_value_waits)
{
    purr_assert_ok(purr_test_run(main_wait_any_values, NULL));
}

static int
main_wait_all(void *arg)
{
    (void)arg;
    outcome o[3] = {{.duration = 3 * PURR_S},
                    {.duration = 1 * PURR_S},
                    {.duration = 2 * PURR_S}};
    purr_task_fn fns[] = {sleeper, sleeper, sleeper};
    void *args[] = {&o[0], &o[1], &o[2]};
    purr_assert_ok(purr_wait_all(fns, args, 3));
    cr_assert_eq(purr_now(), 3 * PURR_S);
    for (int i = 0; i < 3; i++) {
        purr_assert_ok(o[i].rc);
        cr_assert_eq(o[i].at, o[i].duration);
    }
    /* None at all: done at once. */
    purr_assert_ok(purr_wait_all(fns, args, 0));
    cr_assert_eq(purr_now(), 3 * PURR_S);
    return 0;
}

Test(value, rule19_wait_all_returns_when_all_have_returned)
{
    purr_assert_ok(purr_test_run(main_wait_all, NULL));
}

static int
main_wait_errors(void *arg)
{
    (void)arg;
    purr_task_fn fns[] = {sleeper, sleeper};
    /* A failure is no "first return": it cancels the rest and is
     * returned, for wait_any as for wait_all. */
    for (int all = 0; all < 2; all++) {
        purr_time t0 = purr_now();
        outcome o[2] = {{.duration = 5 * PURR_S},
                        {.duration = 1 * PURR_S, .result = PURR_EIO}};
        void *args[] = {&o[0], &o[1]};
        int rc = all ? purr_wait_all(fns, args, 2)
                     : purr_wait_any(fns, args, 2);
        purr_assert_err(rc, PURR_EIO);
        cr_assert_eq(purr_now(), t0 + 1 * PURR_S);
        purr_assert_err(o[0].rc, PURR_ECANCELED);
    }
    /* The caller cancelled: everything unwinds, ECANCELED. */
    for (int all = 0; all < 2; all++) {
        purr_time t0 = purr_now();
        outcome o[2] = {{.duration = 5 * PURR_S},
                        {.duration = 1 * PURR_S}};
        void *args[] = {&o[0], &o[1]};
        purr_scope s;
        purr_move_on_after(&s, 500 * PURR_MS);
        int rc = all ? purr_wait_all(fns, args, 2)
                     : purr_wait_any(fns, args, 2);
        purr_assert_ok(purr_scope_exit(&s));
        purr_assert_err(rc, PURR_ECANCELED);
        cr_assert(s.cancelled_caught);
        cr_assert_eq(purr_now(), t0 + 500 * PURR_MS);
        purr_assert_err(o[0].rc, PURR_ECANCELED);
        purr_assert_err(o[1].rc, PURR_ECANCELED);
    }
    return 0;
}

Test(value, rule19_errors_propagate_by_nursery_rules)
{
    purr_assert_ok(purr_test_run(main_wait_errors, NULL));
}

static int
main_wait_any_none(void *arg)
{
    (void)arg;
    return purr_wait_any(NULL, NULL, 0); /* nothing can be first */
}

Test(value, rule19_wait_any_of_nothing_is_misuse, .signal = SIGABRT)
{
    purr_test_run(main_wait_any_none, NULL);
}

/* ---------------------------------------------------------------------- */
/* Rule 20: move_on_when, run_and_cancelling                               */
/* ---------------------------------------------------------------------- */

/* A body made of n sleeps of step each; records the first failure. */
typedef struct stepper {
    int n;
    purr_time step;
    int result;       /* returned when all sleeps succeeded */
    int rc;           /* first failed sleep, or 0 */
    int done;         /* sleeps completed */
    purr_time at;     /* when it ended */
} stepper;

static int
stepper_run(void *arg)
{
    stepper *s = arg;
    for (int i = 0; i < s->n; i++) {
        int rc = purr_sleep(s->step);
        if (rc < 0) {
            s->rc = rc;
            s->at = purr_now();
            return rc;
        }
        s->done++;
    }
    s->at = purr_now();
    return s->result;
}

static int
mow_value(void *arg)
{
    bool caught = false;
    stepper *body = ((void **)arg)[1];
    int rc = purr_move_on_when(value_wait_fn, ((void **)arg)[0], stepper_run,
                               body, &caught);
    cr_assert(caught, "cancelled_caught is false");
    return rc;
}

static int
main_move_on_when(void *arg)
{
    (void)arg;
    purr_value *touched = purr_value_new_bool(purr_loop_current(), "touched",
                                              PURR_ROLE_INPUT);
    purr_datum t = purr_datum_bool(true);
    value_wait_arg w = {touched, purr_match_equal(&t)};
    stepper body = {.n = 5, .step = PURR_S};
    void *args[] = {&w, &body};
    timed_call calls[] = {{1500 * PURR_MS, set_true, touched}};
    schedule s = {calls, 1};
    /* The block ends normally (0) when the wait returns. */
    purr_assert_ok(run_beside(&s, mow_value, args));
    purr_assert_err(body.rc, PURR_ECANCELED);
    cr_assert_eq(body.done, 1);
    cr_assert_eq(body.at, 1500 * PURR_MS);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_value_free(touched);
    return 0;
}

Test(value, rule20_move_on_when_cancels_the_body_when_the_wait_returns)
{
    purr_assert_ok(purr_test_run(main_move_on_when, NULL));
}

static int
main_move_on_when_body_first(void *arg)
{
    (void)arg;
    outcome wait = {.duration = 10 * PURR_S};
    stepper body = {.n = 2, .step = 250 * PURR_MS, .result = 3};
    bool caught = true;
    /* The body's result is the block's. */
    cr_assert_eq(purr_move_on_when(sleeper, &wait, stepper_run, &body,
                                   &caught),
                 3);
    cr_assert_not(caught);
    purr_assert_ok(body.rc);
    cr_assert_eq(body.done, 2);
    purr_assert_err(wait.rc, PURR_ECANCELED);
    cr_assert_eq(wait.at, 500 * PURR_MS);
    cr_assert_eq(purr_now(), 500 * PURR_MS);

    /* A failing body: its error. */
    outcome wait2 = {.duration = 10 * PURR_S};
    outcome failing = {.duration = PURR_S, .result = PURR_EIO};
    purr_assert_err(purr_move_on_when(sleeper, &wait2, sleeper, &failing,
                                      NULL),
                    PURR_EIO);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_assert_err(wait2.rc, PURR_ECANCELED);

    /* A failing wait: its error, and the body is cancelled. */
    outcome wait3 = {.duration = PURR_S, .result = PURR_EIO};
    stepper body3 = {.n = 5, .step = PURR_S};
    caught = true;
    purr_assert_err(purr_move_on_when(sleeper, &wait3, stepper_run, &body3,
                                      &caught),
                    PURR_EIO);
    cr_assert_not(caught);
    purr_assert_err(body3.rc, PURR_ECANCELED);
    cr_assert_eq(purr_now(), 2500 * PURR_MS);
    return 0;
}

Test(value, rule20_move_on_when_cancels_the_wait_if_the_body_ends_first)
{
    purr_assert_ok(purr_test_run(main_move_on_when_body_first, NULL));
}

/* trio-util's move_on_when yields the body's cancel scope: a body that
 * cancels its own scope after 2 steps ends the block normally, the wait is
 * cancelled, and the caller reads cancelled_caught from the scope. */
typedef struct self_cancel {
    int steps;          /* sleeps before cancelling */
    int rc;             /* what the sleep after the cancel returned */
    bool saw_called;    /* scope->cancel_called after the cancel */
    bool called_before; /* ...and before it */
} self_cancel;

static int
body_cancels_own_scope(purr_scope *scope, void *arg)
{
    self_cancel *b = arg;
    for (int i = 0; i < b->steps; i++)
        PURR_TRY(purr_sleep(PURR_S));
    b->called_before = scope->cancel_called;
    purr_scope_cancel(scope);
    b->saw_called = scope->cancel_called;
    b->rc = purr_sleep(PURR_S); /* returns at once */
    return b->rc;
}

/* The wait's scope fires first: the body sees cancel_called, then its
 * checkpoint fails. */
static int
body_reads_cancel_called(purr_scope *scope, void *arg)
{
    self_cancel *b = arg;
    int rc;
    while ((rc = purr_sleep(300 * PURR_MS)) == 0)
        b->steps++;
    b->saw_called = scope->cancel_called;
    b->rc = rc;
    return rc;
}

static int
main_move_on_when_scope(void *arg)
{
    (void)arg;
    purr_scope scope;
    outcome wait = {.duration = 10 * PURR_S};
    self_cancel b = {.steps = 2};
    purr_assert_ok(purr_move_on_when_scope(&scope, sleeper, &wait,
                                           body_cancels_own_scope, &b));
    cr_assert_not(b.called_before);
    cr_assert(b.saw_called);
    purr_assert_err(b.rc, PURR_ECANCELED);
    cr_assert(scope.cancel_called);
    cr_assert(scope.cancelled_caught);
    purr_assert_err(wait.rc, PURR_ECANCELED);
    cr_assert_eq(wait.at, 2 * PURR_S, "the wait ends with the body");
    cr_assert_eq(purr_now(), 2 * PURR_S);

    /* The wait returns first (at 3 s): the body reads cancel_called. */
    outcome wait2 = {.duration = PURR_S};
    self_cancel b2 = {0};
    purr_assert_ok(purr_move_on_when_scope(&scope, sleeper, &wait2,
                                           body_reads_cancel_called, &b2));
    cr_assert(b2.saw_called);
    cr_assert_eq(b2.steps, 3);
    cr_assert(scope.cancelled_caught);
    cr_assert_eq(purr_now(), 3 * PURR_S);

    return 0;
}

Test(value, rule20_move_on_when_scope_body_cancels_its_own_scope)
{
    purr_assert_ok(purr_test_run(main_move_on_when_scope, NULL));
}

/* Ticks every 70 ms until cancelled (never at a whole second). */
typedef struct ticker {
    int ticks;
    int rc;
    purr_time at;
    int stop_after;   /* > 0: return 0 after that many ticks */
    int result;       /* returned then */
} ticker;

static int
ticker_run(void *arg)
{
    ticker *t = arg;
    for (;;) {
        int rc = purr_sleep(70 * PURR_MS);
        if (rc < 0) {
            t->rc = rc;
            t->at = purr_now();
            return rc;
        }
        t->ticks++;
        if (t->stop_after > 0 && t->ticks == t->stop_after) {
            t->at = purr_now();
            return t->result;
        }
    }
}

static int
main_run_and_cancelling(void *arg)
{
    (void)arg;
    /* A ticker beside a 3 s body: cancelled when the body ends. */
    ticker t = {0};
    stepper body = {.n = 3, .step = PURR_S, .result = 4};
    cr_assert_eq(purr_run_and_cancelling(ticker_run, &t, stepper_run, &body),
                 4);
    cr_assert_eq(body.done, 3); /* never interrupted */
    cr_assert_eq(t.ticks, 42);  /* 42 * 70 ms = 2.94 s */
    purr_assert_err(t.rc, PURR_ECANCELED);
    cr_assert_eq(t.at, 3 * PURR_S);
    cr_assert_eq(purr_now(), 3 * PURR_S);

    /* fn ending early (successfully) does not touch the body. */
    ticker early = {.stop_after = 5};
    stepper body2 = {.n = 3, .step = PURR_S};
    purr_assert_ok(purr_run_and_cancelling(ticker_run, &early, stepper_run,
                                           &body2));
    cr_assert_eq(early.at, 3350 * PURR_MS);
    cr_assert_eq(body2.done, 3);
    purr_assert_ok(body2.rc);
    cr_assert_eq(purr_now(), 6 * PURR_S);

    /* fn failing cancels the body by nursery rules: its error. */
    ticker failing = {.stop_after = 5, .result = PURR_EIO};
    stepper body3 = {.n = 3, .step = PURR_S};
    purr_assert_err(purr_run_and_cancelling(ticker_run, &failing,
                                            stepper_run, &body3),
                    PURR_EIO);
    purr_assert_err(body3.rc, PURR_ECANCELED);
    cr_assert_eq(body3.at, 6350 * PURR_MS);
    return 0;
}

Test(value, rule20_run_and_cancelling_never_interrupts_the_body)
{
    purr_assert_ok(purr_test_run(main_run_and_cancelling, NULL));
}
