/* test_value_set.c - setting values: equality, what a set does, in which
 * order, coalescing, wake order, the observer stream, types, and sets from
 * another thread (docs/values.md).
 *
 * Every test but the last runs on the virtual clock: times are exact and
 * the order things happen in is deterministic. Tests record what predicates,
 * transforms, waiters and observers did (call counts, a log string, arrays
 * of indices and datums) and assert the exact outcome. "One step" means sets
 * made by one task with no checkpoint between them. */
#include "purr_test.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* The allocator's fault-injection hook (core/alloc.c, tests only). */
void purr__alloc_fail_after(long n);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static double
double_from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A log of short names, comma-separated, in the order things happened. */
static char order_log[512];

static void
log_name(const char *name)
{
    if (order_log[0])
        strncat(order_log, ",", sizeof order_log - strlen(order_log) - 1);
    strncat(order_log, name, sizeof order_log - strlen(order_log) - 1);
}

/* What a waiting task does and what it got. */
enum { WAIT_VALUE, WAIT_TRANSITION };

typedef struct waiter {
    purr_value *v;
    int kind;             /* WAIT_VALUE or WAIT_TRANSITION */
    purr_match m;
    purr_time delay;      /* slept before waiting (orders the waits) */
    const char *name;     /* logged when the wait returns */
    int rc;               /* the wait's result */
    purr_datum got, got_old; /* what it returned */
    purr_time at;         /* purr_now() when it returned */
    bool done;
} waiter;

static int
waiter_run(void *arg)
{
    waiter *w = arg;
    purr_assert_ok(purr_sleep(w->delay));
    if (w->kind == WAIT_VALUE)
        w->rc = purr_value_wait(w->v, w->m, 0, &w->got);
    else
        w->rc = purr_value_wait_transition(w->v, w->m, &w->got, &w->got_old);
    w->at = purr_now();
    w->done = true;
    if (w->name)
        log_name(w->name);
    return 0;
}

static void
waiter_init(waiter *w, purr_value *v, int kind, purr_match m,
            const char *name)
{
    memset(w, 0, sizeof *w);
    w->v = v;
    w->kind = kind;
    w->m = m;
    w->name = name;
}

static void
waiter_free(waiter *w)
{
    purr_datum_free(&w->got);
    purr_datum_free(&w->got_old);
}

/* A nursery that spawns the waiters of a test, lets them park, then calls
 * the test's step function from the body. */
typedef struct scenario {
    waiter *w;
    size_t nw;
    int (*step)(struct scenario *s); /* runs in the body, waiters parked */
    void *data;           /* for the step */
    purr_nursery *n;      /* the nursery, for steps that spawn more */
} scenario;

static int
scenario_body(purr_nursery *n, void *arg)
{
    scenario *s = arg;
    s->n = n;
    for (size_t i = 0; i < s->nw; i++)
        purr_assert_ok(purr_spawn(n, "waiter", waiter_run, &s->w[i]));
    purr_time longest = 0;
    for (size_t i = 0; i < s->nw; i++)
        if (s->w[i].delay > longest)
            longest = s->w[i].delay;
    /* Every waiter is parked once its delay has passed and it has run. */
    purr_assert_ok(purr_sleep(longest));
    purr_assert_ok(purr_checkpoint());
    return s->step(s);
}

/* A predicate that counts its calls; arg points at an int64 threshold. */
static int ge_calls;

static bool
ge_pred(const purr_datum *x, void *arg)
{
    ge_calls++;
    return purr_datum_as_int(x) >= *(const int64_t *)arg;
}

static bool
lt_pred(const purr_datum *x, void *arg)
{
    return purr_datum_as_int(x) < *(const int64_t *)arg;
}

/* ---------------------------------------------------------------------- */
/* Observer                                                                */
/* ---------------------------------------------------------------------- */

typedef struct obs_rec {
    purr_event_kind kind;
    purr_time time_ns;
    uint64_t task_id;
    uint64_t value_id;
    uint64_t value_seq;
    purr_role role;
    purr_datum old_v, new_v;  /* copies */
} obs_rec;

static obs_rec recs[256];
static size_t nrecs;

static void
record_value_event(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    cr_assert_lt(nrecs, sizeof recs / sizeof recs[0]);
    obs_rec *r = &recs[nrecs++];
    r->kind = ev->kind;
    r->time_ns = ev->time_ns;
    r->task_id = ev->task_id;
    r->value_id = purr_value_id(ev->value);
    r->value_seq = ev->value_seq;
    r->role = purr_value_role(ev->value);
    r->old_v = ev->old_value ? purr_datum_copy(ev->old_value)
                             : purr_datum_nil();
    r->new_v = ev->new_value ? purr_datum_copy(ev->new_value)
                             : purr_datum_nil();
}

static void
recs_free(void)
{
    for (size_t i = 0; i < nrecs; i++) {
        purr_datum_free(&recs[i].old_v);
        purr_datum_free(&recs[i].new_v);
    }
    nrecs = 0;
}

/* Counts VALUE_SET events only. */
static int set_events;

static void
count_set_events(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == PURR_EV_VALUE_SET)
        set_events++;
}

/* ---------------------------------------------------------------------- */
/* Rule 1: a set is a transition only when the datum differs (bitwise)     */
/* ---------------------------------------------------------------------- */

static int
main_nan_payloads(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    double nan1 = double_from_bits(0x7ff8000000000001ull);
    double nan1_again = double_from_bits(0x7ff8000000000001ull);
    double nan2 = double_from_bits(0x7ff8000000000002ull);
    purr_datum init = purr_datum_double(nan1);
    purr_value *v =
        purr_value_new(loop, "x", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, &init);
    cr_assert_not_null(v);

    /* The same NaN bits: no transition (trio-util's != would say changed). */
    cr_assert_eq(purr_value_set_double(v, nan1_again), 0);
    cr_assert_eq(purr_value_transitions(v), 0);
    /* Another payload is another datum. */
    cr_assert_eq(purr_value_set_double(v, nan2), 1);
    cr_assert_eq(purr_value_transitions(v), 1);
    uint64_t bits;
    double got = purr_value_peek(v)->u.d;
    memcpy(&bits, &got, sizeof bits);
    cr_assert_eq(bits, 0x7ff8000000000002ull);
    /* The default NaN, set twice: one transition. */
    cr_assert_eq(purr_value_set_double(v, NAN), 1);
    cr_assert_eq(purr_value_set_double(v, NAN), 0);
    cr_assert_eq(purr_value_transitions(v), 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule01_nan_equals_nan_with_same_bits_only)
{
    purr_assert_ok(purr_test_run(main_nan_payloads, NULL));
}

static int
main_negative_zero(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                                   PURR_T_DOUBLE, NULL);
    cr_assert_eq(purr_value_set_double(v, 0.0), 0); /* the zero of double */
    cr_assert_eq(purr_value_set_double(v, -0.0), 1);
    cr_assert(signbit(purr_value_peek(v)->u.d));
    cr_assert_eq(purr_value_set_double(v, -0.0), 0);
    cr_assert_eq(purr_value_set_double(v, 0.0), 1);
    cr_assert_eq(purr_value_transitions(v), 2);
    purr_value_free(v);

    /* Types never mix: in an untyped value, the int 1 and 1.0 differ. */
    purr_value *any = purr_value_new(purr_loop_current(), "any",
                                     PURR_ROLE_INTERNAL, PURR_T_NIL, NULL);
    cr_assert_eq(purr_value_set_int(any, 1), 1);
    cr_assert_eq(purr_value_set_double(any, 1.0), 1);
    cr_assert_eq(purr_value_set_int(any, 1), 1);
    cr_assert_eq(purr_value_set_int(any, 1), 0);
    purr_value_free(any);
    return 0;
}

Test(value, rule01_negative_zero_differs_from_zero)
{
    purr_assert_ok(purr_test_run(main_negative_zero, NULL));
}

static int
main_strings_compare_bytes(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "s", PURR_ROLE_OUTPUT,
                                   PURR_T_STRING, NULL);
    cr_assert_eq(purr_value_set_string(v, "idle"), 1);
    char copy[] = "idle"; /* another buffer, same bytes */
    cr_assert_eq(purr_value_set_string(v, copy), 0);
    /* Embedded NULs count: "idle\0x" is not "idle". */
    purr_datum d = purr_datum_string_n("idle\0x", 6);
    cr_assert_eq(purr_value_set(v, &d), 1);
    cr_assert_eq(purr_value_set(v, &d), 0);
    purr_datum_free(&d);
    cr_assert_eq(purr_value_transitions(v), 2);
    purr_value_free(v);
    return 0;
}

Test(value, rule01_strings_are_equal_byte_for_byte)
{
    purr_assert_ok(purr_test_run(main_strings_compare_bytes, NULL));
}

static int
main_changed_at(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                                   PURR_T_INT, NULL);
    cr_assert_eq(purr_value_changed_at(v), 0);
    purr_assert_ok(purr_sleep(1500 * PURR_MS));
    cr_assert_eq(purr_value_set_int(v, 4), 1);
    cr_assert_eq(purr_value_changed_at(v), 1500 * PURR_MS);
    purr_assert_ok(purr_sleep(500 * PURR_MS));
    cr_assert_eq(purr_value_set_int(v, 4), 0); /* not a transition */
    cr_assert_eq(purr_value_changed_at(v), 1500 * PURR_MS);
    cr_assert_eq(purr_value_transitions(v), 1);
    purr_value_free(v);
    return 0;
}

Test(value, rule01_only_transitions_are_counted_and_stamped)
{
    purr_assert_ok(purr_test_run(main_changed_at, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 2: an equal set does nothing at all                                */
/* ---------------------------------------------------------------------- */

static int trans_calls, transform_calls;

static bool
counting_tpred(const purr_datum *nv, const purr_datum *ov, void *arg)
{
    (void)nv;
    (void)ov;
    (void)arg;
    trans_calls++;
    return true;
}

static void
counting_transform(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    transform_calls++;
    *out = purr_datum_int(purr_datum_as_int(in) * 10);
}

static int
equal_set_step(scenario *s)
{
    purr_value *v = s->w[0].v;
    purr_value *derived = s->data;
    int ge0 = ge_calls, tr0 = trans_calls, tf0 = transform_calls;
    int ev0 = set_events;
    uint64_t dt0 = purr_value_transitions(derived);

    cr_assert_eq(purr_value_set_int(v, 5), 0); /* equal to the current 5 */
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(ge_calls, ge0, "a value predicate ran on an equal set");
    cr_assert_eq(trans_calls, tr0, "a transition predicate ran");
    cr_assert_eq(transform_calls, tf0, "a transform ran");
    cr_assert_eq(set_events, ev0, "the observer saw an equal set");
    cr_assert_eq(purr_value_transitions(derived), dt0);
    cr_assert_not(s->w[0].done, "a value waiter woke");
    cr_assert_not(s->w[1].done, "a transition waiter woke");

    /* A real set runs each of them once. */
    cr_assert_eq(purr_value_set_int(v, 6), 1);
    cr_assert_eq(ge_calls, ge0 + 1);
    cr_assert_eq(trans_calls, tr0 + 1);
    cr_assert_eq(transform_calls, tf0 + 1);
    cr_assert_eq(set_events, ev0 + 2); /* v and the derived value */
    purr_assert_ok(purr_checkpoint());
    cr_assert(s->w[0].done && s->w[1].done);
    cr_assert_eq(s->w[0].at, 1 * PURR_S);
    return 0;
}

static int
main_equal_set(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_VALUE, count_set_events,
                                     NULL));
    purr_datum five = purr_datum_int(5);
    purr_value *v =
        purr_value_new(loop, "x", PURR_ROLE_OUTPUT, PURR_T_INT, &five);
    purr_value *derived =
        purr_value_open_transform(v, "x10", counting_transform, NULL);
    int64_t six = 6;
    waiter w[2];
    waiter_init(&w[0], v, WAIT_VALUE, purr_match_pred(ge_pred, &six), NULL);
    waiter_init(&w[1], v, WAIT_TRANSITION,
                purr_match_trans(counting_tpred, NULL), NULL);
    scenario s = {w, 2, equal_set_step, derived, NULL};
    purr_assert_ok(purr_nursery_run(scenario_body, &s));
    waiter_free(&w[0]);
    waiter_free(&w[1]);
    purr_value_free(derived);
    purr_value_free(v);
    return 0;
}

Test(value, rule02_equal_set_does_nothing_at_all)
{
    purr_assert_ok(purr_test_run(main_equal_set, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 3: a set never blocks, is not a checkpoint, and runs predicates    */
/* and derived values in a fixed order                                     */
/* ---------------------------------------------------------------------- */

static bool other_ran;

static int
note_other_ran(void *arg)
{
    (void)arg;
    other_ran = true;
    return 0;
}

static int
not_a_checkpoint_step(scenario *s)
{
    purr_value *v = s->w[0].v;
    purr_nursery *n = s->n;
    other_ran = false;
    purr_assert_ok(purr_spawn(n, "other", note_other_ran, NULL));

    /* In a cancelled scope a checkpoint would fail; a set does not. */
    purr_scope sc;
    purr_scope_enter(&sc, PURR_TIME_NEVER);
    purr_scope_cancel(&sc);
    for (int i = 1; i <= 100; i++)
        cr_assert_eq(purr_value_set_int(v, i), 1);
    purr_assert_ok(purr_scope_exit(&sc));
    cr_assert_not(sc.cancelled_caught, "a set acted as a checkpoint");

    /* Nobody ran in between: neither the other task nor the woken waiter. */
    cr_assert_not(other_ran);
    cr_assert_not(s->w[0].done);
    cr_assert_eq(purr_now(), 0);
    purr_assert_ok(purr_checkpoint());
    cr_assert(other_ran);
    cr_assert(s->w[0].done);
    cr_assert_eq(purr_datum_as_int(&s->w[0].got), 100);
    return 0;
}

static int
main_not_a_checkpoint(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                                   PURR_T_INT, NULL);
    waiter w;
    waiter_init(&w, v, WAIT_TRANSITION, purr_match_any(), NULL);
    scenario s = {&w, 1, not_a_checkpoint_step, NULL, NULL};
    purr_assert_ok(purr_nursery_run(scenario_body, &s));
    waiter_free(&w);
    purr_value_free(v);
    return 0;
}

Test(value, rule03_set_is_not_a_checkpoint_and_woken_tasks_run_later)
{
    purr_assert_ok(purr_test_run(main_not_a_checkpoint, NULL));
}

static bool
logging_pred(const purr_datum *x, void *arg)
{
    log_name(arg);
    return purr_datum_as_int(x) == 1;
}

static bool
logging_tpred(const purr_datum *nv, const purr_datum *ov, void *arg)
{
    (void)nv;
    (void)ov;
    log_name(arg);
    return true;
}

static void
logging_transform(const purr_datum *in, purr_datum *out, void *arg)
{
    log_name(arg);
    *out = purr_datum_copy(in);
}

static int
order_step(scenario *s)
{
    purr_value *v = s->w[0].v;
    purr_value *d2 = purr_value_open_transform(v, "d2", logging_transform,
                                               (void *)"D2");
    order_log[0] = '\0';
    cr_assert_eq(purr_value_set_int(v, 1), 1);
    /* Registration order was D1, T1, V1, V2, T2, D2. */
    cr_assert_str_eq(order_log, "V1,V2,T1,T2,D1,D2");
    order_log[0] = '\0';
    purr_assert_ok(purr_checkpoint());
    /* The woken tasks run in the order they began to wait. */
    cr_assert_str_eq(order_log, "T1,V1,V2,T2");
    purr_value_free(d2);
    return 0;
}

static int
main_order(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "x", PURR_ROLE_OUTPUT,
                                   PURR_T_INT, NULL);
    purr_value *d1 = purr_value_open_transform(v, "d1", logging_transform,
                                               (void *)"D1");
    waiter w[4];
    waiter_init(&w[0], v, WAIT_TRANSITION,
                purr_match_trans(logging_tpred, (void *)"T1"), "T1");
    waiter_init(&w[1], v, WAIT_VALUE,
                purr_match_pred(logging_pred, (void *)"V1"), "V1");
    waiter_init(&w[2], v, WAIT_VALUE,
                purr_match_pred(logging_pred, (void *)"V2"), "V2");
    waiter_init(&w[3], v, WAIT_TRANSITION,
                purr_match_trans(logging_tpred, (void *)"T2"), "T2");
    for (int i = 0; i < 4; i++)
        w[i].delay = (i + 1) * PURR_MS; /* they begin to wait in index order */
    scenario s = {w, 4, order_step, NULL, NULL};
    purr_assert_ok(purr_nursery_run(scenario_body, &s));
    for (int i = 0; i < 4; i++)
        waiter_free(&w[i]);
    purr_value_free(d1);
    purr_value_free(v);
    return 0;
}

Test(value, rule03_value_then_transition_predicates_then_derived_in_order)
{
    purr_assert_ok(purr_test_run(main_order, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 4: several sets in one step, each waiter gets its own last match   */
/* ---------------------------------------------------------------------- */

static bool
rising(const purr_datum *nv, const purr_datum *ov, void *arg)
{
    (void)arg;
    return purr_datum_as_int(nv) > purr_datum_as_int(ov);
}

static int
spec_examples_step(scenario *s)
{
    purr_value *v = s->w[0].v;
    purr_value *u = s->w[1].v;
    /* 12 then 3 in one step: wait_value(v >= 10) returns 12. */
    purr_value_set_int(v, 12);
    purr_value_set_int(v, 3);
    /* 1, 2, 3 in one step: wait_transition() returns (3, 2). */
    purr_value_set_int(u, 1);
    purr_value_set_int(u, 2);
    purr_value_set_int(u, 3);
    purr_assert_ok(purr_checkpoint());
    cr_assert(s->w[0].done && s->w[1].done);
    cr_assert_eq(purr_datum_as_int(&s->w[0].got), 12);
    cr_assert_eq(purr_datum_as_int(purr_value_peek(v)), 3);
    cr_assert_eq(purr_datum_as_int(&s->w[1].got), 3);
    cr_assert_eq(purr_datum_as_int(&s->w[1].got_old), 2);
    return 0;
}

static int
main_spec_examples(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *v = purr_value_new(loop, "v", PURR_ROLE_OUTPUT, PURR_T_INT,
                                   NULL);
    purr_value *u = purr_value_new(loop, "u", PURR_ROLE_OUTPUT, PURR_T_INT,
                                   NULL);
    int64_t ten = 10;
    waiter w[2];
    waiter_init(&w[0], v, WAIT_VALUE, purr_match_pred(ge_pred, &ten), NULL);
    waiter_init(&w[1], u, WAIT_TRANSITION, purr_match_any(), NULL);
    scenario s = {w, 2, spec_examples_step, NULL, NULL};
    purr_assert_ok(purr_nursery_run(scenario_body, &s));
    waiter_free(&w[0]);
    waiter_free(&w[1]);
    purr_value_free(v);
    purr_value_free(u);
    return 0;
}

Test(value, rule04_last_matching_value_in_one_step)
{
    purr_assert_ok(purr_test_run(main_spec_examples, NULL));
}

static int
own_predicate_step(scenario *s)
{
    purr_value *v = s->w[0].v;
    purr_value_set_int(v, 12);
    purr_value_set_int(v, 3);
    purr_value_set_int(v, 11);
    purr_value_set_int(v, 7);
    purr_assert_ok(purr_checkpoint());
    for (size_t i = 0; i < s->nw; i++)
        cr_assert(s->w[i].done);
    cr_assert_eq(purr_datum_as_int(&s->w[0].got), 11);     /* v >= 10 */
    cr_assert_eq(purr_datum_as_int(&s->w[1].got), 3);      /* v < 5 */
    cr_assert_eq(purr_datum_as_int(&s->w[2].got), 7);      /* any */
    cr_assert_eq(purr_datum_as_int(&s->w[2].got_old), 11);
    cr_assert_eq(purr_datum_as_int(&s->w[3].got), 11);     /* rising */
    cr_assert_eq(purr_datum_as_int(&s->w[3].got_old), 3);
    return 0;
}

static int
main_own_predicate(void *arg)
{
    (void)arg;
    purr_datum five = purr_datum_int(5);
    purr_value *v = purr_value_new(purr_loop_current(), "v", PURR_ROLE_OUTPUT,
                                   PURR_T_INT, &five);
    int64_t ten = 10, lim = 5;
    waiter w[4];
    waiter_init(&w[0], v, WAIT_VALUE, purr_match_pred(ge_pred, &ten), NULL);
    waiter_init(&w[1], v, WAIT_VALUE, purr_match_pred(lt_pred, &lim), NULL);
    waiter_init(&w[2], v, WAIT_TRANSITION, purr_match_any(), NULL);
    waiter_init(&w[3], v, WAIT_TRANSITION, purr_match_trans(rising, NULL),
                NULL);
    scenario s = {w, 4, own_predicate_step, NULL, NULL};
    purr_assert_ok(purr_nursery_run(scenario_body, &s));
    for (int i = 0; i < 4; i++)
        waiter_free(&w[i]);
    purr_value_free(v);
    return 0;
}

Test(value, rule04_each_waiter_gets_the_last_match_of_its_own_predicate)
{
    purr_assert_ok(purr_test_run(main_own_predicate, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 5: woken waiters run in the order in which they began to wait      */
/* ---------------------------------------------------------------------- */

static const char *const wnames[8] = {"w0", "w1", "w2", "w3",
                                      "w4", "w5", "w6", "w7"};

static int
set_at_10ms_step(scenario *s)
{
    purr_assert_ok(purr_sleep_until(10 * PURR_MS));
    order_log[0] = '\0';
    cr_assert_eq(purr_value_set_int(s->w[0].v, 1), 1);
    /* Not a checkpoint: with the shuffle option, main may run again before
     * every woken waiter has; by 11 ms they all have. */
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    for (size_t i = 0; i < s->nw; i++) {
        cr_assert(s->w[i].done);
        cr_assert_eq(s->w[i].at, 10 * PURR_MS);
    }
    return 0;
}

static int
main_scenario(void *arg)
{
    return purr_nursery_run(scenario_body, arg);
}

/* Runs waiters of the given kinds ('v': wait_value(v >= 1), 't':
 * wait_transition()), spawned in index order but beginning to wait in
 * reverse (waiter i sleeps n - i ms); one set at 10 ms wakes them all.
 * Writes the order in which they returned into out. */
static void
run_wake_order(const char *kinds, const purr_loop_options *opts, char *out,
               size_t cap)
{
    static int64_t one = 1;
    purr_loop *loop = purr_loop_new(opts);
    cr_assert_not_null(loop);
    purr_value *v = purr_value_new(loop, "x", PURR_ROLE_OUTPUT, PURR_T_INT,
                                   NULL);
    size_t n = strlen(kinds);
    cr_assert_leq(n, 8);
    waiter w[8];
    for (size_t i = 0; i < n; i++) {
        if (kinds[i] == 'v')
            waiter_init(&w[i], v, WAIT_VALUE, purr_match_pred(ge_pred, &one),
                        wnames[i]);
        else
            waiter_init(&w[i], v, WAIT_TRANSITION, purr_match_any(),
                        wnames[i]);
        w[i].delay = (purr_time)(n - i) * PURR_MS;
    }
    scenario s = {w, n, set_at_10ms_step, NULL, NULL};
    purr_assert_ok(purr_run(loop, "main", main_scenario, &s));
    snprintf(out, cap, "%s", order_log);
    for (size_t i = 0; i < n; i++)
        waiter_free(&w[i]);
    purr_value_free(v);
    cr_assert_eq(purr_loop_close(loop), 0);
}

Test(value, rule05_value_waiters_run_in_the_order_they_began_to_wait)
{
    char got[512];
    run_wake_order("vvvvv", NULL, got, sizeof got);
    cr_assert_str_eq(got, "w4,w3,w2,w1,w0");
}

Test(value, rule05_transition_waiters_run_in_the_order_they_began_to_wait)
{
    char got[512];
    run_wake_order("ttttt", NULL, got, sizeof got);
    cr_assert_str_eq(got, "w4,w3,w2,w1,w0");
}

/* purr: the order is the order of the waits, whatever their kind (rule 3
 * orders the predicates, not the wake-ups). */
Test(value, rule05_mixed_waiters_run_in_the_order_they_began_to_wait)
{
    char got[512];
    run_wake_order("vtvtvt", NULL, got, sizeof got);
    cr_assert_str_eq(got, "w5,w4,w3,w2,w1,w0");
    run_wake_order("ttvvtv", NULL, got, sizeof got);
    cr_assert_str_eq(got, "w5,w4,w3,w2,w1,w0");
}

Test(value, rule05_shuffle_permutes_woken_waiters_by_seed)
{
    const char *fifo = "w7,w6,w5,w4,w3,w2,w1,w0";
    char a[512], b[512];
    bool permuted = false;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        purr_loop_options opts;
        memset(&opts, 0, sizeof opts);
        opts.shuffle = true;
        opts.shuffle_seed = seed;
        run_wake_order("vtvtvtvt", &opts, a, sizeof a);
        run_wake_order("vtvtvtvt", &opts, b, sizeof b);
        cr_assert_str_eq(a, b, "seed %llu: not reproducible",
                         (unsigned long long)seed);
        /* Every waiter woke exactly once. */
        for (int i = 0; i < 8; i++)
            cr_assert_not_null(strstr(a, wnames[i]));
        if (strcmp(a, fifo) != 0)
            permuted = true;
    }
    cr_assert(permuted, "the shuffle never changed the wake order");
}

/* ---------------------------------------------------------------------- */
/* The observer stream (for plain values)                          */
/* ---------------------------------------------------------------------- */

static int
set_7_later(void *arg)
{
    purr_assert_ok(purr_sleep(1500 * PURR_MS));
    cr_assert_eq(purr_value_set_int(arg, 7), 1);
    return 0;
}

static int
observed_body(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "setter", set_7_later, arg);
}

static int
main_observer(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_VALUE, record_value_event,
                                     NULL));
    purr_value *v = purr_value_new(loop, "speed", PURR_ROLE_OUTPUT,
                                   PURR_T_INT, NULL);
    purr_value *u = purr_value_new(loop, "mood", PURR_ROLE_INPUT,
                                   PURR_T_STRING, NULL);
    purr_assert_ok(purr_nursery_run(observed_body, v));    /* task 2 sets */
    purr_assert_ok(purr_sleep(500 * PURR_MS));             /* t = 2 s */
    cr_assert_eq(purr_value_set_string(u, "idle"), 1);
    cr_assert_eq(purr_value_set_int(v, 8), 1);
    cr_assert_eq(purr_value_set_int(v, 8), 0);             /* no event */
    cr_assert_eq(purr_value_set_string(v, "x"), PURR_ETYPE); /* no event */
    purr_assert_ok(purr_sleep(1 * PURR_S));                /* t = 3 s */
    purr_value_free(v);

    cr_assert_eq(nrecs, 6);
    obs_rec *r = recs;
    cr_assert_eq(r[0].kind, PURR_EV_VALUE_CREATED);
    cr_assert_eq(r[0].value_id, 1);
    cr_assert_eq(r[0].time_ns, 0);
    cr_assert_eq(r[0].task_id, 1);
    cr_assert_eq(r[0].role, PURR_ROLE_OUTPUT);
    cr_assert_eq(r[0].new_v.type, PURR_T_INT);
    cr_assert_eq(r[0].new_v.u.i, 0);
    cr_assert_eq(r[1].kind, PURR_EV_VALUE_CREATED);
    cr_assert_eq(r[1].value_id, 2);
    cr_assert_eq(r[1].role, PURR_ROLE_INPUT);

    cr_assert_eq(r[2].kind, PURR_EV_VALUE_SET);
    cr_assert_eq(r[2].value_id, 1);
    cr_assert_eq(r[2].time_ns, 1500 * PURR_MS);
    cr_assert_eq(r[2].task_id, 2);      /* the setter, not main */
    cr_assert_eq(r[2].old_v.u.i, 0);
    cr_assert_eq(r[2].new_v.u.i, 7);
    cr_assert_eq(r[2].value_seq, 1);

    cr_assert_eq(r[3].kind, PURR_EV_VALUE_SET);
    cr_assert_eq(r[3].value_id, 2);
    cr_assert_eq(r[3].time_ns, 2 * PURR_S);
    cr_assert_eq(r[3].task_id, 1);
    cr_assert_str_eq(purr_datum_str(&r[3].old_v, NULL), "");
    cr_assert_str_eq(purr_datum_str(&r[3].new_v, NULL), "idle");
    cr_assert_eq(r[3].value_seq, 2);    /* numbered across the loop */

    cr_assert_eq(r[4].kind, PURR_EV_VALUE_SET);
    cr_assert_eq(r[4].value_id, 1);
    cr_assert_eq(r[4].old_v.u.i, 7);
    cr_assert_eq(r[4].new_v.u.i, 8);
    cr_assert_eq(r[4].value_seq, 3);

    cr_assert_eq(r[5].kind, PURR_EV_VALUE_CLOSED);
    cr_assert_eq(r[5].value_id, 1);
    cr_assert_eq(r[5].time_ns, 3 * PURR_S); /* when it was closed */
    cr_assert_eq(r[5].task_id, 1);
    recs_free();
    purr_value_free(u);
    recs_free();
    return 0;
}

Test(value, observer_sees_created_set_and_closed_with_old_and_new)
{
    purr_assert_ok(purr_test_run(main_observer, NULL));
}

/* ---------------------------------------------------------------------- */
/* Types                                                                   */
/* ---------------------------------------------------------------------- */

static int
main_types(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_VALUE, count_set_events,
                                     NULL));
    purr_datum s = purr_datum_string("x");
    cr_assert_null(purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT,
                                  &s));
    purr_value *v = purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT,
                                   NULL);
    purr_assert_err(purr_value_set(v, &s), PURR_ETYPE);
    purr_assert_err(purr_value_set_string(v, "x"), PURR_ETYPE);
    purr_assert_err(purr_value_set_bool(v, true), PURR_ETYPE);
    purr_assert_err(purr_value_set_double(v, 1.0), PURR_ETYPE);
    cr_assert_eq(purr_value_transitions(v), 0);
    cr_assert_eq(set_events, 0);
    cr_assert_eq(purr_value_peek(v)->type, PURR_T_INT);
    cr_assert_eq(purr_value_type(v), PURR_T_INT);

    /* A nil-typed value takes any datum. */
    purr_value *any = purr_value_new(loop, "any", PURR_ROLE_INTERNAL,
                                     PURR_T_NIL, &s);
    cr_assert_not_null(any);
    cr_assert_eq(purr_value_set_bool(any, true), 1);
    purr_datum t = purr_datum_tuple(&s, 1);
    cr_assert_eq(purr_value_set(any, &t), 1);
    cr_assert_eq(set_events, 2);
    purr_datum_free(&t);
    purr_datum_free(&s);
    purr_value_free(any);
    purr_value_free(v);
    return 0;
}

Test(value, set_of_the_wrong_type_is_etype_and_does_nothing)
{
    purr_assert_ok(purr_test_run(main_types, NULL));
}

/* ---------------------------------------------------------------------- */
/* Sets from another thread                                                */
/* ---------------------------------------------------------------------- */

#define FEED_N 200

typedef struct feeder {
    purr_value *v;
    purr_loop *loop;
} feeder;

static void *
feeder_thread(void *arg)
{
    feeder *f = arg;
    for (int64_t i = 1; i <= FEED_N; i++) {
        purr_datum d = purr_datum_int(i);
        cr_assert_eq(purr_value_set_threadsafe(f->v, &d), 0);
    }
    purr_loop_unhold(f->loop);
    return NULL;
}

static int
main_threadsafe(void *arg)
{
    purr_clock_kind kind = *(const purr_clock_kind *)arg;
    purr_loop *loop = purr_loop_current();
    cr_assert_eq(purr_loop_clock(loop), kind);
    purr_value *v = purr_value_new(loop, "sensor", PURR_ROLE_INPUT,
                                   PURR_T_INT, NULL);
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_VALUE, record_value_event,
                                     NULL));
    feeder f = {v, loop};
    purr_loop_hold(loop); /* the thread may still post: no deadlock */
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, feeder_thread, &f), 0);
    purr_datum last = purr_datum_int(FEED_N);
    purr_datum got = purr_datum_nil();
    purr_assert_ok(purr_value_wait(v, purr_match_equal(&last), 0, &got));
    cr_assert_eq(got.u.i, FEED_N);
    cr_assert_eq(pthread_join(th, NULL), 0);
    if (kind == PURR_CLOCK_VIRTUAL)
        cr_assert_eq(purr_now(), 0); /* posts run before time advances */

    /* Every set arrived, in order, each a transition made by no task. */
    cr_assert_eq(nrecs, FEED_N);
    for (size_t i = 0; i < nrecs; i++) {
        cr_assert_eq(recs[i].kind, PURR_EV_VALUE_SET);
        cr_assert_eq(recs[i].new_v.u.i, (int64_t)i + 1);
        cr_assert_eq(recs[i].old_v.u.i, (int64_t)i);
        cr_assert_eq(recs[i].task_id, 0);
    }
    cr_assert_eq(purr_value_transitions(v), FEED_N);
    recs_free();
    purr_value_free(v);
    recs_free();
    return 0;
}

Test(value, set_threadsafe_from_a_thread_arrives_in_order_real_clock)
{
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.clock = PURR_CLOCK_REAL;
    purr_clock_kind kind = PURR_CLOCK_REAL;
    purr_assert_ok(purr_test_run_opts(&opts, main_threadsafe, &kind));
}

Test(value, set_threadsafe_from_a_thread_arrives_in_order_virtual_clock)
{
    purr_clock_kind kind = PURR_CLOCK_VIRTUAL;
    purr_assert_ok(purr_test_run(main_threadsafe, &kind));
}

/* Out of memory in either of its two allocations (the set's record, the
 * post): PURR_ENOMEM, and the set has not happened and never will. (An int
 * needs no copy; copying a string that cannot be allocated panics, as
 * every datum copy does.) */
static int
main_threadsafe_enomem(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "sensor",
                                   PURR_ROLE_INPUT, PURR_T_INT, NULL);
    purr_datum d = purr_datum_int(42);
    for (long nth = 1; nth <= 2; nth++) {
        purr__alloc_fail_after(nth);
        purr_assert_err(purr_value_set_threadsafe(v, &d), PURR_ENOMEM);
        purr__alloc_fail_after(0);
    }
    purr_assert_ok(purr_sleep(PURR_S)); /* posts would have run by now */
    cr_assert_eq(purr_value_transitions(v), 0);
    /* The third allocation is not needed: with two, it works. */
    purr__alloc_fail_after(3);
    purr_assert_ok(purr_value_set_threadsafe(v, &d));
    purr__alloc_fail_after(0);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(purr_value_transitions(v), 1);
    /* The wrong type is found on the loop thread: the set is dropped. */
    purr_datum s = purr_datum_string("x");
    purr_assert_ok(purr_value_set_threadsafe(v, &s));
    purr_datum_free(&s);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(purr_value_transitions(v), 1);
    cr_assert_eq(purr_value_peek(v)->u.i, 42);
    purr_datum_free(&d);
    purr_value_free(v);
    return 0;
}

Test(value, set_threadsafe_out_of_memory_is_enomem_and_sets_nothing)
{
    purr_assert_ok(purr_test_run(main_threadsafe_enomem, NULL));
}
