/* test_value_wait.c - waiting on values: wait_value with and without a
 * hold, wait_transition, and cancellation of waiters (docs/values.md).
 *
 * Every test runs on the virtual clock. A "script" task sets a value at
 * exact times (entries with the same time are set in one step, with no
 * checkpoint between them); the waiting task records what its wait
 * returned and when, and the test asserts both exactly, to the nanosecond.
 * Predicates count their calls so that a test can tell that a cancelled
 * waiter's predicate is never evaluated again. */
#include "value_test.h"

#include <signal.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* What the waiting side does: one wait, recorded. */
typedef struct wait_call {
    purr_value *v;
    bool transition;     /* wait_transition instead of wait_value */
    purr_match m;
    purr_time held_for;
    purr_time timeout;   /* > 0: inside move_on_after(timeout) */
    int rc;
    purr_datum got, got_old;
    purr_time at;        /* when the wait returned */
    int after_rc;        /* the next checkpoint's result */
    purr_scope *scope;   /* published while waiting (for cancel tests) */
    bool done;
} wait_call;

static int
wait_call_run(void *arg)
{
    wait_call *c = arg;
    purr_scope s;
    purr_scope_enter(&s, c->timeout > 0 ? purr_now() + c->timeout
                                        : PURR_TIME_NEVER);
    c->scope = &s;
    if (c->transition)
        c->rc = purr_value_wait_transition(c->v, c->m, &c->got, &c->got_old);
    else
        c->rc = purr_value_wait(c->v, c->m, c->held_for, &c->got);
    c->at = purr_now();
    c->done = true;
    c->after_rc = purr_checkpoint();
    c->scope = NULL;
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static void
wait_call_free(wait_call *c)
{
    purr_datum_free(&c->got);
    purr_datum_free(&c->got_old);
}

/* Runs a script and a wait side by side; returns when both have ended. */
typedef struct duo {
    script *sc;
    wait_call *wc;
} duo;

static int
duo_body(purr_nursery *n, void *arg)
{
    duo *d = arg;
    purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, d->wc));
    if (d->sc)
        purr_assert_ok(purr_spawn(n, "script", script_run, d->sc));
    return 0;
}

static void
run_duo(script *sc, wait_call *wc)
{
    duo d = {sc, wc};
    purr_assert_ok(purr_nursery_run(duo_body, &d));
    cr_assert(wc->done);
}

static purr_value *
new_int(int64_t initial)
{
    purr_datum d = purr_datum_int(initial);
    return purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                          PURR_T_INT, &d);
}

static int pred_calls;

static bool
ge_pred(const purr_datum *x, void *arg)
{
    pred_calls++;
    return purr_datum_as_int(x) >= *(const int64_t *)arg;
}

static bool
eq_pred(const purr_datum *x, void *arg)
{
    pred_calls++;
    return purr_datum_as_int(x) == *(const int64_t *)arg;
}

static int tpred_calls;

static bool
any_tpred(const purr_datum *nv, const purr_datum *ov, void *arg)
{
    (void)nv;
    (void)ov;
    (void)arg;
    tpred_calls++;
    return true;
}

static const int64_t ONE = 1, TEN = 10;

/* ---------------------------------------------------------------------- */
/* Rule 6: wait_value                                                      */
/* ---------------------------------------------------------------------- */

static bool other_ran;

static int
other_sets_6(void *arg)
{
    other_ran = true;
    cr_assert_eq(purr_value_set_int(arg, 6), 1);
    return 0;
}

static int
match_now_body(purr_nursery *n, void *arg)
{
    purr_value *v = arg;
    purr_assert_ok(purr_spawn(n, "other", other_sets_6, v));
    purr_datum five = purr_datum_int(5), got = purr_datum_nil();
    purr_assert_ok(purr_value_wait(v, purr_match_equal(&five), 0, &got));
    /* The wait passed a checkpoint: the other task ran (and changed the
     * value), yet the wait returns the value it saw. */
    cr_assert(other_ran);
    cr_assert_eq(got.u.i, 5);
    cr_assert_eq(purr_value_peek(v)->u.i, 6);
    cr_assert_eq(purr_now(), 0);
    return 0;
}

static int
main_match_now(void *arg)
{
    (void)arg;
    purr_value *v = new_int(5);
    purr_assert_ok(purr_nursery_run(match_now_body, v));
    purr_value_free(v);
    return 0;
}

Test(value, rule06_match_now_still_passes_a_checkpoint)
{
    purr_assert_ok(purr_test_run(main_match_now, NULL));
}

static int
main_match_now_cancelled(void *arg)
{
    (void)arg;
    purr_value *v = new_int(5);
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    purr_datum got = purr_datum_int(99);
    purr_assert_err(purr_value_wait(v, purr_match_any(), 0, &got),
                    PURR_ECANCELED);
    cr_assert_eq(got.u.i, 99); /* out untouched */
    purr_assert_err(purr_value_wait(v, purr_match_any(), PURR_S, &got),
                    PURR_ECANCELED);
    purr_assert_err(purr_value_wait_transition(v, purr_match_any(), &got,
                                               NULL),
                    PURR_ECANCELED);
    cr_assert_eq(got.u.i, 99);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    cr_assert_eq(purr_now(), 0);
    purr_value_free(v);
    return 0;
}

Test(value, rule06_match_now_is_still_a_checkpoint_when_cancelled)
{
    purr_assert_ok(purr_test_run(main_match_now_cancelled, NULL));
}

static int
main_parks_until_match(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    const set_at steps[] = {{1 * PURR_S, 3}, {2 * PURR_S, 10},
                            {3 * PURR_S, 11}};
    script sc = {v, steps, 3};
    wait_call wc = {.v = v, .m = purr_match_pred(ge_pred, (void *)&TEN)};
    run_duo(&sc, &wc);
    purr_assert_ok(wc.rc);
    cr_assert_eq(wc.at, 2 * PURR_S);
    cr_assert_eq(wc.got.u.i, 10);
    wait_call_free(&wc);
    purr_value_free(v);
    return 0;
}

Test(value, rule06_parks_until_the_value_matches)
{
    purr_assert_ok(purr_test_run(main_parks_until_match, NULL));
}

static int
main_last_match_of_the_step(void *arg)
{
    (void)arg;
    /* Only value waiters on v (the set path that wakes as it goes): at
     * 1 s, in one step, 10 and 12 match (>= 10) and 3 does not. The
     * waiter runs after the step and gets the last value that matched
     * before it ran, 12: neither the first match (10) nor the current
     * value (3). */
    purr_value *v = new_int(0);
    const set_at steps[] = {
        {1 * PURR_S, 10}, {1 * PURR_S, 12}, {1 * PURR_S, 3}};
    script sc = {v, steps, 3};
    wait_call wc = {.v = v, .m = purr_match_pred(ge_pred, (void *)&TEN)};
    run_duo(&sc, &wc);
    purr_assert_ok(wc.rc);
    cr_assert_eq(wc.at, 1 * PURR_S);
    cr_assert_eq(wc.got.u.i, 12, "got %lld", (long long)wc.got.u.i);
    cr_assert_eq(purr_value_peek(v)->u.i, 3);
    wait_call_free(&wc);
    purr_value_free(v);
    return 0;
}

Test(value, rule04_value_waiter_woken_twice_in_a_step_gets_the_last_match)
{
    purr_assert_ok(purr_test_run(main_last_match_of_the_step, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 7: held_for                                                        */
/* ---------------------------------------------------------------------- */

/* Runs wait_value(pred, held_for) against steps; checks when and what. */
static void
check_hold(int64_t initial, purr_match m, purr_time held_for,
           const set_at *steps, size_t n, purr_time want_at,
           int64_t want_value)
{
    purr_value *v = new_int(initial);
    script sc = {v, steps, n};
    wait_call wc = {.v = v, .m = m, .held_for = held_for};
    run_duo(&sc, &wc);
    purr_assert_ok(wc.rc);
    cr_assert_eq(wc.at, want_at, "returned at %lld ns, want %lld ns",
                 (long long)wc.at, (long long)want_at);
    cr_assert_eq(wc.got.u.i, want_value);
    wait_call_free(&wc);
    purr_value_free(v);
}

static int
main_hold_interrupted(void *arg)
{
    (void)arg;
    /* Match at 0.5 s (hold until 1.5 s), broken at 1.0 s, match again at
     * 1.2 s + 7 ns: the hold completes at 2.2 s + 7 ns exactly. */
    const set_at steps[] = {{500 * PURR_MS, 1},
                            {1000 * PURR_MS, 0},
                            {1200 * PURR_MS + 7, 1}};
    check_hold(0, purr_match_pred(eq_pred, (void *)&ONE), PURR_S, steps, 3,
               2200 * PURR_MS + 7, 1);
    return 0;
}

Test(value, rule07_held_for_interrupted_then_satisfied_at_the_exact_ns)
{
    purr_assert_ok(purr_test_run(main_hold_interrupted, NULL));
}

static int
main_hold_starts(void *arg)
{
    (void)arg;
    /* Matching at the call: the hold starts at once. */
    check_hold(1, purr_match_pred(eq_pred, (void *)&ONE), PURR_S, NULL, 0,
               1 * PURR_S, 1);
    /* Parked: a match that is undone in the same step is never seen; the
     * hold starts at 2.5 s, when the waiter sees a match. */
    const set_at steps[] = {{2 * PURR_S, 1}, {2 * PURR_S, 0},
                            {2500 * PURR_MS, 1}};
    check_hold(0, purr_match_pred(eq_pred, (void *)&ONE), PURR_S, steps, 3,
               3500 * PURR_MS, 1);
    return 0;
}

Test(value, rule07_hold_starts_when_the_waiter_sees_a_match)
{
    purr_assert_ok(purr_test_run(main_hold_starts, NULL));
}

static int
main_hold_aba(void *arg)
{
    (void)arg;
    /* 1 -> 0 -> 1 in one step at 0.5 s restarts the hold: 1.5 s, not 1 s. */
    const set_at steps[] = {{500 * PURR_MS, 0}, {500 * PURR_MS, 1}};
    check_hold(1, purr_match_pred(eq_pred, (void *)&ONE), PURR_S, steps, 2,
               1500 * PURR_MS, 1);
    return 0;
}

Test(value, rule07_a_b_a_in_one_step_restarts_the_hold)
{
    purr_assert_ok(purr_test_run(main_hold_aba, NULL));
}

static int
main_hold_kept(void *arg)
{
    (void)arg;
    /* v >= 10 holds through 11 and 12: done at 1 s, not restarted. */
    const set_at steps[] = {{300 * PURR_MS, 11}, {600 * PURR_MS, 12}};
    check_hold(10, purr_match_pred(ge_pred, (void *)&TEN), PURR_S, steps, 2,
               1 * PURR_S, 12);
    return 0;
}

Test(value, rule07_sets_that_keep_it_true_do_not_restart_the_hold)
{
    purr_assert_ok(purr_test_run(main_hold_kept, NULL));
}

static int
main_hold_value(void *arg)
{
    (void)arg;
    /* purr: the hold started with 10 (trio-util would return 10); the
     * value current when it completes is 13. */
    const set_at steps[] = {{100 * PURR_MS, 11}, {900 * PURR_MS, 13}};
    check_hold(10, purr_match_pred(ge_pred, (void *)&TEN), PURR_S, steps, 2,
               1 * PURR_S, 13);
    return 0;
}

Test(value, rule07_purr_returns_the_value_current_when_the_hold_completes)
{
    purr_assert_ok(purr_test_run(main_hold_value, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 8: wait_transition                                                 */
/* ---------------------------------------------------------------------- */

static int
main_transition_parks(void *arg)
{
    (void)arg;
    purr_value *v = new_int(5);
    purr_datum five = purr_datum_int(5);
    /* The current value 5 does not satisfy "a change into 5". */
    wait_call wc = {.v = v, .transition = true,
                    .m = purr_match_equal(&five), .timeout = PURR_S};
    run_duo(NULL, &wc);
    purr_assert_err(wc.rc, PURR_ECANCELED);
    cr_assert_eq(wc.at, 1 * PURR_S);
    /* Not even with a match-anything predicate. */
    wait_call any = {.v = v, .transition = true, .m = purr_match_any(),
                     .timeout = PURR_S};
    run_duo(NULL, &any);
    purr_assert_err(any.rc, PURR_ECANCELED);
    cr_assert_eq(any.at, 2 * PURR_S);

    /* 5 -> 6 does not match; 6 -> 5 does. */
    const set_at steps[] = {{2500 * PURR_MS, 6}, {3 * PURR_S, 5}};
    script sc = {v, steps, 2};
    wait_call wc2 = {.v = v, .transition = true,
                     .m = purr_match_equal(&five)};
    run_duo(&sc, &wc2);
    purr_assert_ok(wc2.rc);
    cr_assert_eq(wc2.at, 3 * PURR_S);
    cr_assert_eq(wc2.got.u.i, 5);
    cr_assert_eq(wc2.got_old.u.i, 6);
    wait_call_free(&wc2);
    purr_value_free(v);
    return 0;
}

Test(value, rule08_wait_transition_always_parks)
{
    purr_assert_ok(purr_test_run(main_transition_parks, NULL));
}

static int
main_change_into(void *arg)
{
    (void)arg;
    purr_value *v = new_int(3);
    purr_datum five = purr_datum_int(5);
    /* From 3, and from 7: either way a change into 5. */
    const set_at a[] = {{1 * PURR_S, 5}};
    script sa = {v, a, 1};
    wait_call wa = {.v = v, .transition = true, .m = purr_match_equal(&five)};
    run_duo(&sa, &wa);
    cr_assert_eq(wa.got.u.i, 5);
    cr_assert_eq(wa.got_old.u.i, 3);
    const set_at b[] = {{2 * PURR_S, 7}, {3 * PURR_S, 5}};
    script sb = {v, b, 2};
    wait_call wb = {.v = v, .transition = true, .m = purr_match_equal(&five)};
    run_duo(&sb, &wb);
    cr_assert_eq(wb.at, 3 * PURR_S);
    cr_assert_eq(wb.got.u.i, 5);
    cr_assert_eq(wb.got_old.u.i, 7);
    wait_call_free(&wa);
    wait_call_free(&wb);
    purr_value_free(v);
    return 0;
}

Test(value, rule08_plain_datum_match_is_a_change_into_it)
{
    purr_assert_ok(purr_test_run(main_change_into, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 9: cancellation                                                    */
/* ---------------------------------------------------------------------- */

static int
main_cancel_parked(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    int64_t big = 1000;
    wait_call wv = {.v = v, .m = purr_match_pred(ge_pred, &big),
                    .timeout = PURR_S};
    wait_call wt = {.v = v, .transition = true,
                    .m = purr_match_trans(any_tpred, NULL),
                    .timeout = PURR_S};
    /* Hold v >= 0 for 10 s, cancelled after 1 s. */
    int64_t zero = 0;
    wait_call wh = {.v = v, .m = purr_match_pred(ge_pred, &zero),
                    .held_for = 10 * PURR_S, .timeout = PURR_S};
    run_duo(NULL, &wv);
    run_duo(NULL, &wt);
    run_duo(NULL, &wh);
    purr_assert_err(wv.rc, PURR_ECANCELED);
    purr_assert_err(wt.rc, PURR_ECANCELED);
    purr_assert_err(wh.rc, PURR_ECANCELED);
    cr_assert_eq(wv.at, 1 * PURR_S);
    cr_assert_eq(wt.at, 2 * PURR_S);
    cr_assert_eq(wh.at, 3 * PURR_S);
    cr_assert_eq(wh.got.type, PURR_T_NIL); /* out untouched */

    int calls = pred_calls, tcalls = tpred_calls;
    for (int64_t i = 1; i <= 2000; i++)
        purr_value_set_int(v, i);
    cr_assert_eq(pred_calls, calls, "a cancelled waiter's predicate ran");
    cr_assert_eq(tpred_calls, tcalls);
    /* The hold's timer went with it: nothing fires at 11 s. */
    purr_assert_ok(purr_sleep(20 * PURR_S));
    cr_assert_eq(purr_now(), 23 * PURR_S);
    purr_value_free(v); /* no waiter left: not misuse */
    return 0;
}

Test(value, rule09_cancelled_while_parked_never_evaluated_again)
{
    purr_assert_ok(purr_test_run(main_cancel_parked, NULL));
}

/* The waiter is parked; main makes it match and cancels its scope in the
 * same step. */
static int
woken_then_cancelled_body(purr_nursery *n, void *arg)
{
    wait_call *c = arg;
    purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, &c[0]));
    purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, &c[1]));
    purr_assert_ok(purr_checkpoint());
    cr_assert(c[0].scope && c[1].scope && !c[0].done && !c[1].done);
    purr_value_set_int(c[0].v, 12);
    purr_scope_cancel(c[0].scope);
    purr_scope_cancel(c[1].scope);
    return 0;
}

static int
main_woken_then_cancelled(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    wait_call c[2] = {
        {.v = v, .m = purr_match_pred(ge_pred, (void *)&TEN)},
        {.v = v, .transition = true, .m = purr_match_any()},
    };
    purr_assert_ok(purr_nursery_run(woken_then_cancelled_body, c));
    for (int i = 0; i < 2; i++) {
        purr_assert_ok(c[i].rc);
        cr_assert_eq(c[i].got.u.i, 12);
        /* The cancellation arrives at the next checkpoint. */
        purr_assert_err(c[i].after_rc, PURR_ECANCELED);
        wait_call_free(&c[i]);
    }
    cr_assert_eq(c[1].got_old.u.i, 0);
    purr_value_free(v);
    return 0;
}

Test(value, rule09_woken_then_cancelled_in_the_same_step_returns_its_value)
{
    purr_assert_ok(purr_test_run(main_woken_then_cancelled, NULL));
}

/* The hold completes (a timer wakes the waiter) and, in the same instant
 * but before the waiter runs, its scope is cancelled: it still returns the
 * value, and the cancellation arrives at its next checkpoint. */
typedef struct hold_race {
    purr_value *v;
    wait_call c;
} hold_race;

static int
cancel_at_1s(void *arg)
{
    hold_race *h = arg;
    /* Armed before the waiter's hold timer: fires first at 1 s. */
    purr_assert_ok(purr_sleep_until(1 * PURR_S));
    cr_assert(h->c.scope != NULL && !h->c.done);
    purr_scope_cancel(h->c.scope);
    return 0;
}

static int
hold_race_body(purr_nursery *n, void *arg)
{
    hold_race *h = arg;
    purr_assert_ok(purr_spawn(n, "canceller", cancel_at_1s, h));
    purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, &h->c));
    return 0;
}

static int
main_hold_race(void *arg)
{
    (void)arg;
    hold_race h;
    memset(&h, 0, sizeof h);
    h.v = new_int(1);
    h.c.v = h.v;
    h.c.m = purr_match_pred(eq_pred, (void *)&ONE);
    h.c.held_for = PURR_S;
    purr_assert_ok(purr_nursery_run(hold_race_body, &h));
    purr_assert_ok(h.c.rc);
    cr_assert_eq(h.c.got.u.i, 1);
    cr_assert_eq(h.c.at, 1 * PURR_S);
    purr_assert_err(h.c.after_rc, PURR_ECANCELED);
    wait_call_free(&h.c);
    purr_value_free(h.v);
    return 0;
}

Test(value, rule09_hold_completed_then_cancelled_in_the_same_step_returns)
{
    purr_assert_ok(purr_test_run(main_hold_race, NULL));
}

#define CROWD 100

typedef struct crowd {
    purr_value *v;
    wait_call c[CROWD];
} crowd;

static int
crowd_body(purr_nursery *n, void *arg)
{
    crowd *cr = arg;
    for (int i = 0; i < CROWD; i++)
        purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, &cr->c[i]));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_nursery_cancel(n);
    return 0;
}

static int
main_crowd(void *arg)
{
    (void)arg;
    static const int64_t big = 1000, zero = 0;
    crowd cr;
    memset(&cr, 0, sizeof cr);
    cr.v = new_int(0);
    for (int i = 0; i < CROWD; i++) {
        wait_call *c = &cr.c[i];
        c->v = cr.v;
        switch (i % 3) {
        case 0: /* never matches */
            c->m = purr_match_pred(ge_pred, (void *)&big);
            break;
        case 1: /* matches now, holding for 10 s */
            c->m = purr_match_pred(ge_pred, (void *)&zero);
            c->held_for = 10 * PURR_S;
            break;
        default:
            c->transition = true;
            c->m = purr_match_trans(any_tpred, NULL);
        }
    }
    purr_assert_ok(purr_nursery_run(crowd_body, &cr));
    cr_assert_eq(purr_now(), 1 * PURR_S);
    for (int i = 0; i < CROWD; i++) {
        purr_assert_err(cr.c[i].rc, PURR_ECANCELED);
        cr_assert_eq(cr.c[i].at, 1 * PURR_S);
    }
    int calls = pred_calls, tcalls = tpred_calls;
    purr_value_set_int(cr.v, 5000);
    purr_value_set_int(cr.v, -1);
    cr_assert_eq(pred_calls, calls);
    cr_assert_eq(tpred_calls, tcalls);
    purr_assert_ok(purr_sleep(30 * PURR_S)); /* no hold timer left */
    cr_assert_eq(purr_value_transitions(cr.v), 2);
    purr_value_free(cr.v);
    return 0;
}

Test(value, rule09_cancelling_a_nursery_of_100_waiters)
{
    purr_assert_ok(purr_test_run(main_crowd, NULL));
}

static int
main_no_trace(void *arg)
{
    (void)arg;
    /* Every way a wait can end, on one value, which is then freed: a
     * waiter left behind would make purr_value_free abort. */
    purr_value *v = new_int(1);
    const set_at steps[] = {{1 * PURR_S, 0}, {1500 * PURR_MS, 1},
                            {3 * PURR_S, 2}};
    script sc = {v, steps, 3};
    wait_call held = {.v = v, .m = purr_match_pred(eq_pred, (void *)&ONE),
                      .held_for = PURR_S + PURR_S / 2};
    run_duo(&sc, &held); /* broken at 1 s, done at 3 s */
    cr_assert_eq(held.at, 3 * PURR_S);
    cr_assert_eq(held.got.u.i, 1);
    wait_call now = {.v = v, .m = purr_match_any()};
    run_duo(NULL, &now);
    wait_call trans = {.v = v, .transition = true, .m = purr_match_any(),
                       .timeout = PURR_S};
    run_duo(NULL, &trans);
    purr_assert_err(trans.rc, PURR_ECANCELED);
    wait_call_free(&held);
    wait_call_free(&now);
    wait_call_free(&trans);
    purr_value_free(v);
    return 0;
}

Test(value, rule09_waiters_leave_no_trace_on_the_value)
{
    purr_assert_ok(purr_test_run(main_no_trace, NULL));
}

/* The check rule 9's tests rely on: freeing a value someone is parked on is
 * misuse and aborts. */
static int
free_while_parked_body(purr_nursery *n, void *arg)
{
    static wait_call c;
    c.v = arg;
    c.m = purr_match_pred(ge_pred, (void *)&TEN);
    purr_assert_ok(purr_spawn(n, "waiter", wait_call_run, &c));
    purr_assert_ok(purr_checkpoint());
    purr_value_free(arg);
    return 0;
}

static int
main_free_while_parked(void *arg)
{
    (void)arg;
    return purr_nursery_run(free_while_parked_body, new_int(0));
}

Test(value, free_with_a_parked_waiter_is_misuse, .signal = SIGABRT)
{
    purr_test_run(main_free_while_parked, NULL);
}
