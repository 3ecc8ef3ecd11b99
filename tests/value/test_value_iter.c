/* test_value_iter.c - iterators over values: eventual_values, transitions,
 * periodic, and per-next timeouts (docs/values.md).
 *
 * Every test runs on the virtual clock. A script task sets a value at exact
 * times (entries with the same time are one step); the consumer, in the
 * main task, loops over an iterator with a loop body that sleeps for a
 * fixed time, and records each item with the time it arrived. The tests
 * assert the exact list of items and times. */
#include "value_test.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* One item as the consumer saw it. */
typedef struct item {
    int64_t value, old;  /* old: transitions only */
    purr_time at;
} item;

/* A consumer: what to do, and what it saw. body[i] is slept after item i.
 * The loop stops after max items, or when next fails (rc). */
typedef struct consumer {
    script *sc;           /* run beside the consumer (may be NULL) */
    int (*loop)(struct consumer *c);
    purr_value *v;
    purr_match m;
    purr_time held_for;
    purr_time timeout;    /* per-next timeout, 0 for none */
    bool fail;            /* iter_fail_after instead of move_on_after */
    purr_time start;      /* sleep until then before opening */
    const purr_time *body;
    size_t nbody;
    size_t max;
    item items[16];
    size_t n;
    int rc;               /* what ended the loop (0: max reached) */
    purr_time end_at;     /* when it ended */
} consumer;

static void
add_item(consumer *c, int64_t value, int64_t old)
{
    cr_assert_lt(c->n, 16);
    c->items[c->n++] = (item){value, old, purr_now()};
}

static void
body_sleep(consumer *c)
{
    size_t i = c->n - 1;
    if (i < c->nbody)
        purr_assert_ok(purr_sleep(c->body[i]));
}

static void
set_timeout(consumer *c, purr_iter *it)
{
    if (c->timeout <= 0)
        return;
    if (c->fail)
        purr_iter_fail_after(it, c->timeout);
    else
        purr_iter_move_on_after(it, c->timeout);
}

static int
loop_eventual(consumer *c)
{
    purr_eventual it;
    purr_eventual_open(&it, c->v, c->m, c->held_for);
    set_timeout(c, &it.iter);
    const purr_datum *d;
    while (c->n < c->max && (c->rc = purr_eventual_next(&it, &d)) == 0) {
        add_item(c, d->u.i, 0);
        body_sleep(c);
    }
    purr_eventual_close(&it);
    return 0;
}

static int
loop_transitions(consumer *c)
{
    purr_transitions it;
    purr_transitions_open(&it, c->v, c->m);
    set_timeout(c, &it.iter);
    purr_assert_ok(purr_sleep_until(c->start));
    const purr_datum *nv, *ov;
    while (c->n < c->max &&
           (c->rc = purr_transitions_next(&it, &nv, &ov)) == 0) {
        add_item(c, nv->u.i, ov->u.i);
        body_sleep(c);
    }
    purr_transitions_close(&it);
    return 0;
}

static int
consumer_body(purr_nursery *n, void *arg)
{
    consumer *c = arg;
    if (c->sc)
        purr_assert_ok(purr_spawn(n, "script", script_run, c->sc));
    c->rc = 0;
    c->loop(c);
    c->end_at = purr_now();
    return 0;
}

static void
run_consumer(consumer *c)
{
    purr_assert_ok(purr_nursery_run(consumer_body, c));
}

static void
check_items(const consumer *c, const item *want, size_t n)
{
    cr_assert_eq(c->n, n, "got %zu items, want %zu", c->n, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(c->items[i].value, want[i].value,
                     "item %zu: value %lld, want %lld", i,
                     (long long)c->items[i].value, (long long)want[i].value);
        cr_assert_eq(c->items[i].old, want[i].old, "item %zu: old", i);
        cr_assert_eq(c->items[i].at, want[i].at,
                     "item %zu: at %lld ns, want %lld ns", i,
                     (long long)c->items[i].at, (long long)want[i].at);
    }
}

static purr_value *
new_int(int64_t initial)
{
    purr_datum d = purr_datum_int(initial);
    return purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                          PURR_T_INT, &d);
}

static bool
ge_pred(const purr_datum *x, void *arg)
{
    return purr_datum_as_int(x) >= *(const int64_t *)arg;
}

static bool
even_pred(const purr_datum *x, void *arg)
{
    (void)arg;
    return purr_datum_as_int(x) % 2 == 0;
}

static const purr_time ONE_S[] = {PURR_S, PURR_S, PURR_S, PURR_S,
                                  PURR_S, PURR_S, PURR_S, PURR_S};

/* ---------------------------------------------------------------------- */
/* Rule 10: eventual_values                                                */
/* ---------------------------------------------------------------------- */

static int
main_slow_consumer(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    const set_at steps[] = {{400 * PURR_MS, 1}, {800 * PURR_MS, 2},
                            {1200 * PURR_MS, 3}};
    script sc = {v, steps, 3};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_any(), .timeout = 500 * PURR_MS,
                  .body = ONE_S, .nbody = 3, .max = 8};
    run_consumer(&c);
    /* 1 is skipped; 3 comes when the second body ends; then nothing. */
    const item want[] = {{0, 0, 0}, {2, 0, 1 * PURR_S}, {3, 0, 2 * PURR_S}};
    check_items(&c, want, 3);
    purr_assert_err(c.rc, PURR_ECLOSED);
    cr_assert_eq(c.end_at, 3500 * PURR_MS);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_slow_consumer_gets_0_2_3_example)
{
    purr_assert_ok(purr_test_run(main_slow_consumer, NULL));
}

static bool other_ran;

static int
note_other(void *arg)
{
    (void)arg;
    other_ran = true;
    return 0;
}

static int
at_once_body(purr_nursery *n, void *arg)
{
    purr_value *v = arg;
    purr_assert_ok(purr_spawn(n, "other", note_other, NULL));
    purr_eventual it;
    purr_eventual_open(&it, v, purr_match_any(), 0);
    const purr_datum *d = NULL;
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    /* The first item is there: no checkpoint, so neither the cancellation
     * nor the other task gets in. */
    purr_assert_ok(purr_eventual_next(&it, &d));
    cr_assert_eq(d->u.i, 7);
    cr_assert_not(other_ran);
    /* Changed since the last item: again at once. */
    purr_value_set_int(v, 8);
    purr_assert_ok(purr_eventual_next(&it, &d));
    cr_assert_eq(d->u.i, 8);
    cr_assert_not(other_ran);
    /* Unchanged: it would have to park, which is a checkpoint. */
    purr_assert_err(purr_eventual_next(&it, &d), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    purr_eventual_close(&it);
    return 0;
}

static int
main_at_once(void *arg)
{
    (void)arg;
    purr_value *v = new_int(7);
    purr_assert_ok(purr_nursery_run(at_once_body, v));
    cr_assert(other_ran);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_first_item_at_once_without_a_checkpoint)
{
    purr_assert_ok(purr_test_run(main_at_once, NULL));
}

static int
main_first_parks(void *arg)
{
    (void)arg;
    static const int64_t ten = 10;
    purr_value *v = new_int(0);
    const set_at steps[] = {{1 * PURR_S, 5}, {2 * PURR_S, 12},
                            {3 * PURR_S, 4}, {4 * PURR_S, 10}};
    script sc = {v, steps, 4};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_pred(ge_pred, (void *)&ten), .max = 2};
    run_consumer(&c);
    const item want[] = {{12, 0, 2 * PURR_S}, {10, 0, 4 * PURR_S}};
    check_items(&c, want, 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_first_next_parks_until_a_match)
{
    purr_assert_ok(purr_test_run(main_first_parks, NULL));
}

static int
main_aba_body(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    /* 0 -> 1 -> 0 while the first body runs: nothing; then 5 at 2 s. */
    const set_at steps[] = {{300 * PURR_MS, 1}, {600 * PURR_MS, 0},
                            {2 * PURR_S, 5}};
    script sc = {v, steps, 3};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_any(), .body = ONE_S, .nbody = 1,
                  .max = 2};
    run_consumer(&c);
    const item want[] = {{0, 0, 0}, {5, 0, 2 * PURR_S}};
    check_items(&c, want, 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_a_b_a_during_the_body_yields_nothing)
{
    purr_assert_ok(purr_test_run(main_aba_body, NULL));
}

/* purr departure: trio-util's eventual_values, parked when 0 -> 1 -> 0
 * happens in one step, wakes with the current value and yields 0 a second
 * time. purr never repeats an item: the parked next() receives the last
 * value of that step that differs from the last item (1), and the next
 * next() then finds 0, which differs from 1, at once. */
static int
main_aba_parked(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    const set_at steps[] = {{1 * PURR_S, 1}, {1 * PURR_S, 0}};
    script sc = {v, steps, 2};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_any(), .timeout = 1500 * PURR_MS,
                  .max = 8};
    run_consumer(&c);
    const item want[] = {{0, 0, 0}, {1, 0, 1 * PURR_S}, {0, 0, 1 * PURR_S}};
    check_items(&c, want, 3);
    purr_assert_err(c.rc, PURR_ECLOSED); /* no third 0 */
    cr_assert_eq(c.end_at, 2500 * PURR_MS);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_purr_a_b_a_in_one_step_while_parked_yields_b_then_a)
{
    purr_assert_ok(purr_test_run(main_aba_parked, NULL));
}

static int
main_never_repeats(void *arg)
{
    (void)arg;
    purr_value *v = new_int(2);
    /* Matching values only (even): 2, then 3 -> 2 in one step (the only
     * match differs not from the last item: nothing), then 4. */
    const set_at steps[] = {{1 * PURR_S, 3}, {1 * PURR_S, 2},
                            {2 * PURR_S, 4}};
    script sc = {v, steps, 3};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_pred(even_pred, NULL), .max = 2};
    run_consumer(&c);
    const item want[] = {{2, 0, 0}, {4, 0, 2 * PURR_S}};
    check_items(&c, want, 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_purr_consecutive_items_never_repeat)
{
    purr_assert_ok(purr_test_run(main_never_repeats, NULL));
}

static int
main_eventual_held(void *arg)
{
    (void)arg;
    static const int64_t one = 1;
    purr_value *v = new_int(1);
    /* v >= 1 held 1 s. First item: held from 0, 2 is current at 1 s.
     * Then 0 at 1.5 s, 3 at 2 s (hold starts), 4 at 2.5 s (still a match
     * that differs from the last item 2): item 4 at 3 s. */
    const set_at steps[] = {{500 * PURR_MS, 2}, {1500 * PURR_MS, 0},
                            {2 * PURR_S, 3}, {2500 * PURR_MS, 4}};
    script sc = {v, steps, 4};
    consumer c = {.sc = &sc, .loop = loop_eventual, .v = v,
                  .m = purr_match_pred(ge_pred, (void *)&one),
                  .held_for = PURR_S, .max = 2};
    run_consumer(&c);
    const item want[] = {{2, 0, 1 * PURR_S}, {4, 0, 3 * PURR_S}};
    check_items(&c, want, 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule10_held_for_items_hold_and_are_current_at_completion)
{
    purr_assert_ok(purr_test_run(main_eventual_held, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 11: transitions                                                    */
/* ---------------------------------------------------------------------- */

static int
main_transitions_body(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    /* 1 at 1 s is an item; 2 at 1.5 s, the last change during the body,
     * is dropped (eventual_values would yield it at 2 s); 3 at 3 s. */
    const set_at steps[] = {{1 * PURR_S, 1}, {1500 * PURR_MS, 2},
                            {3 * PURR_S, 3}};
    script sc = {v, steps, 3};
    consumer c = {.sc = &sc, .loop = loop_transitions, .v = v,
                  .m = purr_match_any(), .body = ONE_S, .nbody = 1,
                  .max = 2};
    run_consumer(&c);
    const item want[] = {{1, 0, 1 * PURR_S}, {3, 2, 3 * PURR_S}};
    check_items(&c, want, 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule11_transitions_during_the_body_are_dropped_incl_the_last)
{
    purr_assert_ok(purr_test_run(main_transitions_body, NULL));
}

static int
main_transitions_step(void *arg)
{
    (void)arg;
    /* 1, 2, 3 in one step: one item (3, 2), then nothing. */
    purr_value *v = new_int(0);
    const set_at steps[] = {{1 * PURR_S, 1}, {1 * PURR_S, 2},
                            {1 * PURR_S, 3}};
    script sc = {v, steps, 3};
    consumer c = {.sc = &sc, .loop = loop_transitions, .v = v,
                  .m = purr_match_any(), .timeout = 1500 * PURR_MS,
                  .max = 8};
    run_consumer(&c);
    const item want[] = {{3, 2, 1 * PURR_S}};
    check_items(&c, want, 1);
    purr_assert_err(c.rc, PURR_ECLOSED);
    cr_assert_eq(c.end_at, 2500 * PURR_MS);

    /* 5, 6, 5, 7 in one step with "a change into 5": one item, the last
     * matching pair (5, 6), though the value is 7 by then. */
    purr_value *w = new_int(0);
    purr_datum five = purr_datum_int(5);
    const set_at steps5[] = {{3500 * PURR_MS, 5}, {3500 * PURR_MS, 6},
                             {3500 * PURR_MS, 5}, {3500 * PURR_MS, 7}};
    script sc5 = {w, steps5, 4};
    consumer c5 = {.sc = &sc5, .loop = loop_transitions, .v = w,
                   .m = purr_match_equal(&five), .timeout = 1500 * PURR_MS,
                   .max = 8};
    run_consumer(&c5);
    const item want5[] = {{5, 6, 3500 * PURR_MS}};
    check_items(&c5, want5, 1);
    purr_assert_err(c5.rc, PURR_ECLOSED);
    cr_assert_eq(c5.end_at, 5 * PURR_S);
    purr_value_free(w);
    purr_value_free(v);
    return 0;
}

Test(value, rule11_several_transitions_in_one_step_give_one_item)
{
    purr_assert_ok(purr_test_run(main_transitions_step, NULL));
}

static int
main_transitions_listen(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    /* Opened at 0, first next at 1 s: the change at 0.5 s is not seen. */
    const set_at steps[] = {{500 * PURR_MS, 1}, {2 * PURR_S, 2}};
    script sc = {v, steps, 2};
    consumer c = {.sc = &sc, .loop = loop_transitions, .v = v,
                  .m = purr_match_any(), .start = 1 * PURR_S, .max = 1};
    run_consumer(&c);
    const item want[] = {{2, 1, 2 * PURR_S}};
    check_items(&c, want, 1);
    purr_value_free(v);
    return 0;
}

Test(value, rule11_listening_starts_at_the_first_next)
{
    purr_assert_ok(purr_test_run(main_transitions_listen, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 12: periodic                                                       */
/* ---------------------------------------------------------------------- */

static int
main_periodic(void *arg)
{
    purr_time t0 = *(const purr_time *)arg;
    cr_assert_eq(purr_now(), t0);
    static const purr_time bodies[] = {300 * PURR_MS, 1500 * PURR_MS,
                                       300 * PURR_MS, 2200 * PURR_MS};
    static const purr_time starts[] = {0, 1000 * PURR_MS, 2500 * PURR_MS,
                                       3500 * PURR_MS, 5700 * PURR_MS};
    static const purr_time deltas[] = {-1, 1000 * PURR_MS, 1500 * PURR_MS,
                                       1000 * PURR_MS, 2200 * PURR_MS};
    purr_periodic it;
    purr_periodic_open(&it, PURR_S);
    purr_time elapsed, delta;
    for (int i = 0; i < 5; i++) {
        if (i == 0) {
            /* The first item comes at once, without a checkpoint. */
            purr_scope s;
            purr_scope_enter(&s, PURR_TIME_NEVER);
            purr_scope_cancel(&s);
            purr_assert_ok(purr_periodic_next(&it, &elapsed, &delta));
            purr_assert_ok(purr_scope_exit(&s));
            cr_assert_not(s.cancelled_caught);
        } else {
            purr_assert_ok(purr_periodic_next(&it, &elapsed, &delta));
        }
        cr_assert_eq(purr_now(), t0 + starts[i], "item %d at %lld", i,
                     (long long)(purr_now() - t0));
        cr_assert_eq(elapsed, starts[i], "item %d: elapsed", i);
        cr_assert_eq(delta, deltas[i], "item %d: delta", i);
        if (i < 4)
            purr_assert_ok(purr_sleep(bodies[i]));
    }
    purr_periodic_close(&it);
    return 0;
}

Test(value, rule12_periodic_rebases_after_an_overrun_example)
{
    purr_time t0 = 0;
    purr_assert_ok(purr_test_run(main_periodic, &t0));
    /* The same from another start time: elapsed counts from the first. */
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.start_time = t0 = 100 * PURR_S + 1;
    purr_assert_ok(purr_test_run_opts(&opts, main_periodic, &t0));
}

/* ---------------------------------------------------------------------- */
/* Rule 13: per-next timeouts                                              */
/* ---------------------------------------------------------------------- */

static void
check_timeout_end(bool fail)
{
    purr_value *v = new_int(0);
    /* Timeout 1 s per next. The 2 s body is not counted: the second item
     * comes 0.7 s into its next. The third next expires at 4.2 s. */
    const set_at steps[] = {{500 * PURR_MS, 1}, {3200 * PURR_MS, 2}};
    script sc = {v, steps, 2};
    static const purr_time bodies[] = {2 * PURR_S, 0};
    consumer c = {.sc = &sc, .loop = loop_transitions, .v = v,
                  .m = purr_match_any(), .timeout = PURR_S, .fail = fail,
                  .body = bodies, .nbody = 2, .max = 8};
    run_consumer(&c);
    const item want[] = {{1, 0, 500 * PURR_MS}, {2, 1, 3200 * PURR_MS}};
    check_items(&c, want, 2);
    purr_assert_err(c.rc, fail ? PURR_ETIMEDOUT : PURR_ECLOSED);
    cr_assert_eq(c.end_at, 4200 * PURR_MS);
    purr_value_free(v);
}

static int
main_move_on(void *arg)
{
    (void)arg;
    check_timeout_end(false);
    return 0;
}

Test(value, rule13_iter_move_on_after_ends_the_iteration_per_next)
{
    purr_assert_ok(purr_test_run(main_move_on, NULL));
}

static int
main_fail(void *arg)
{
    (void)arg;
    check_timeout_end(true);
    return 0;
}

Test(value, rule13_iter_fail_after_fails_with_etimedout)
{
    purr_assert_ok(purr_test_run(main_fail, NULL));
}

static int
main_ended_stays_ended(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    purr_eventual ev;
    purr_eventual_open(&ev, v, purr_match_any(), 0);
    purr_iter_fail_after(&ev.iter, PURR_S);
    const purr_datum *d;
    purr_assert_ok(purr_eventual_next(&ev, &d)); /* 0, at once */
    purr_assert_err(purr_eventual_next(&ev, &d), PURR_ETIMEDOUT);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    /* Ended: later calls return at once, even after a change. */
    purr_value_set_int(v, 1);
    purr_assert_err(purr_eventual_next(&ev, &d), PURR_ETIMEDOUT);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_eventual_close(&ev);

    purr_periodic p;
    purr_periodic_open(&p, 2 * PURR_S);
    purr_iter_move_on_after(&p.iter, PURR_S);
    purr_assert_ok(purr_periodic_next(&p, NULL, NULL));
    purr_assert_err(purr_periodic_next(&p, NULL, NULL), PURR_ECLOSED);
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_assert_err(purr_periodic_next(&p, NULL, NULL), PURR_ECLOSED);
    purr_periodic_close(&p);

    purr_transitions t;
    purr_transitions_open(&t, v, purr_match_any());
    purr_iter_move_on_after(&t.iter, 250 * PURR_MS);
    purr_assert_err(purr_transitions_next(&t, NULL, NULL), PURR_ECLOSED);
    cr_assert_eq(purr_now(), 2250 * PURR_MS);
    purr_transitions_close(&t);
    purr_value_free(v);
    return 0;
}

Test(value, rule13_timeouts_on_every_iterator_and_ended_stays_ended)
{
    purr_assert_ok(purr_test_run(main_ended_stays_ended, NULL));
}

static int
main_outer_cancel(void *arg)
{
    (void)arg;
    purr_value *v = new_int(0);
    purr_transitions t;
    purr_transitions_open(&t, v, purr_match_any());
    purr_iter_move_on_after(&t.iter, PURR_S);
    purr_scope outer;
    purr_move_on_after(&outer, 500 * PURR_MS);
    /* Not the per-next timeout: a plain cancellation, iteration goes on. */
    purr_assert_err(purr_transitions_next(&t, NULL, NULL), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    cr_assert_eq(purr_now(), 500 * PURR_MS);
    cr_assert_not(t.iter.ended);
    purr_assert_err(purr_transitions_next(&t, NULL, NULL), PURR_ECLOSED);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_transitions_close(&t);
    purr_value_free(v);
    return 0;
}

Test(value, rule13_an_outer_cancellation_is_not_the_timeout)
{
    purr_assert_ok(purr_test_run(main_outer_cancel, NULL));
}

/* The robot gets drowsy when nobody has touched it for 10 s. */
typedef struct petting {
    purr_repeated_event *touch;
    purr_time touched[8];
    size_t ntouched;
    purr_time drowsy_at;
} petting;

static int
toucher(void *arg)
{
    petting *p = arg;
    static const purr_time at[] = {3 * PURR_S, 8 * PURR_S, 20 * PURR_S};
    for (int i = 0; i < 3; i++) {
        purr_assert_ok(purr_sleep_until(at[i]));
        purr_repeated_event_set(p->touch);
    }
    return 0;
}

static int
petting_body(purr_nursery *n, void *arg)
{
    petting *p = arg;
    purr_assert_ok(purr_spawn(n, "toucher", toucher, p));
    purr_transitions touches;
    purr_repeated_event_unqueued(p->touch, &touches);
    purr_iter_move_on_after(&touches.iter, 10 * PURR_S);
    int rc;
    while ((rc = purr_transitions_next(&touches, NULL, NULL)) == 0) {
        p->touched[p->ntouched++] = purr_now();
        purr_assert_ok(purr_sleep(1 * PURR_S)); /* purr... */
    }
    purr_transitions_close(&touches);
    purr_assert_err(rc, PURR_ECLOSED);
    p->drowsy_at = purr_now();
    return 0;
}

static int
main_no_touch(void *arg)
{
    (void)arg;
    petting p;
    memset(&p, 0, sizeof p);
    p.touch = purr_repeated_event_new(purr_loop_current(), "touch");
    purr_assert_ok(purr_nursery_run(petting_body, &p));
    cr_assert_eq(p.ntouched, 2);
    cr_assert_eq(p.touched[0], 3 * PURR_S);
    cr_assert_eq(p.touched[1], 8 * PURR_S);
    /* The last purr ended at 9 s; 10 s later, no touch: drowsy at 19 s
     * (the touch at 20 s is too late). */
    cr_assert_eq(p.drowsy_at, 19 * PURR_S);
    purr_repeated_event_free(p.touch);
    return 0;
}

Test(value, rule13_no_touch_for_10_s_example)
{
    purr_assert_ok(purr_test_run(main_no_touch, NULL));
}
