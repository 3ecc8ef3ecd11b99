/* test_value_derived.c - derived values: open_transform and compose_values
 * (docs/values.md).
 *
 * Every test runs on the virtual clock. Transforms count their calls, so a
 * test can tell exactly when a derived value was recomputed; observers and
 * waiters on the derived values tell when it had a transition. Derived
 * values are updated inside the source's set, so most checks need no
 * checkpoint at all: the derived value is current as soon as the set
 * returns. */
#include "purr_test.h"

#include <signal.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static int fn_calls;

static void
times2(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    fn_calls++;
    *out = purr_datum_int(purr_datum_as_int(in) * 2);
}

static void
parity(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    fn_calls++;
    *out = purr_datum_int(purr_datum_as_int(in) % 2);
}

/* The largest int of a tuple. */
static void
max_of(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    fn_calls++;
    int64_t m = INT64_MIN;
    for (size_t i = 0; i < purr_datum_tuple_len(in); i++) {
        int64_t x = purr_datum_as_int(purr_datum_tuple_at(in, i));
        if (x > m)
            m = x;
    }
    *out = purr_datum_int(m);
}

static purr_value *
new_int(const char *name, int64_t initial)
{
    purr_datum d = purr_datum_int(initial);
    return purr_value_new(purr_loop_current(), name, PURR_ROLE_OUTPUT,
                          PURR_T_INT, &d);
}

static int64_t
item_int(const purr_datum *tuple, size_t i)
{
    const purr_datum *x = purr_datum_tuple_at(tuple, i);
    cr_assert_not_null(x);
    cr_assert_eq(x->type, PURR_T_INT);
    return x->u.i;
}

/* Observer: counts VALUE_SET events per value id (ids are small here). */
static int sets_of[16];

static void
count_sets(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == PURR_EV_VALUE_SET && purr_value_id(ev->value) < 16)
        sets_of[purr_value_id(ev->value)]++;
}

/* A task that waits for one transition of a value and records it. */
typedef struct trans_wait {
    purr_value *v;
    purr_match m;
    bool value_wait;     /* wait_value instead of wait_transition */
    int rc;
    purr_datum got, got_old;
    bool done;
} trans_wait;

static int
trans_wait_run(void *arg)
{
    trans_wait *w = arg;
    if (w->value_wait)
        w->rc = purr_value_wait(w->v, w->m, 0, &w->got);
    else
        w->rc = purr_value_wait_transition(w->v, w->m, &w->got,
                                           &w->got_old);
    w->done = true;
    return 0;
}

static void
trans_wait_free(trans_wait *w)
{
    purr_datum_free(&w->got);
    purr_datum_free(&w->got_old);
}

/* ---------------------------------------------------------------------- */
/* Rule 14: open_transform                                                 */
/* ---------------------------------------------------------------------- */

static int
main_transform_open(void *arg)
{
    (void)arg;
    purr_value *src = new_int("speed", 3);
    fn_calls = 0;
    purr_value *d = purr_value_open_transform(src, "speed2", times2, NULL);
    cr_assert_not_null(d);
    cr_assert_eq(fn_calls, 1);
    cr_assert_eq(purr_value_peek(d)->type, PURR_T_INT);
    cr_assert_eq(purr_value_peek(d)->u.i, 6);
    cr_assert_str_eq(purr_value_name(d), "speed2");
    cr_assert_eq(purr_value_role(d), PURR_ROLE_INTERNAL);
    cr_assert_eq(purr_value_type(d), PURR_T_NIL);
    cr_assert_eq(purr_value_transitions(d), 0);

    /* Recomputed inside each real set, and only then. */
    cr_assert_eq(purr_value_set_int(src, 3), 0);
    cr_assert_eq(fn_calls, 1);
    cr_assert_eq(purr_value_set_int(src, 4), 1);
    cr_assert_eq(fn_calls, 2);
    cr_assert_eq(purr_value_peek(d)->u.i, 8);  /* no checkpoint needed */
    cr_assert_eq(purr_value_transitions(d), 1);
    purr_value_free(d);
    purr_value_free(src);
    return 0;
}

Test(value, rule14_transform_computed_at_open_and_on_each_real_set)
{
    purr_assert_ok(purr_test_run(main_transform_open, NULL));
}

static int
parity_body(purr_nursery *n, void *arg)
{
    trans_wait *w = arg;
    purr_value *src = w[1].v;
    purr_assert_ok(purr_spawn(n, "waiter", trans_wait_run, &w[0]));
    purr_assert_ok(purr_checkpoint());
    int calls = fn_calls;
    cr_assert_eq(purr_value_set_int(src, 3), 1); /* parity stays 1 */
    cr_assert_eq(fn_calls, calls + 1);
    cr_assert_eq(purr_value_transitions(w[0].v), 0);
    cr_assert_eq(sets_of[purr_value_id(w[0].v)], 0);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_not(w[0].done, "woken without a transition of the result");
    cr_assert_eq(purr_value_set_int(src, 4), 1); /* parity 0 */
    cr_assert_eq(purr_value_transitions(w[0].v), 1);
    cr_assert_eq(sets_of[purr_value_id(w[0].v)], 1);
    return 0;
}

static int
main_transform_transition(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_loop_observe(purr_loop_current(), PURR_EV_VALUE,
                                     count_sets, NULL));
    purr_value *src = new_int("n", 1);
    purr_value *par = purr_value_open_transform(src, "parity", parity, NULL);
    trans_wait w[2];
    memset(w, 0, sizeof w);
    w[0].v = par;
    w[0].m = purr_match_any();
    w[1].v = src;
    purr_assert_ok(purr_nursery_run(parity_body, w));
    cr_assert(w[0].done);
    purr_assert_ok(w[0].rc);
    cr_assert_eq(w[0].got.u.i, 0);
    cr_assert_eq(w[0].got_old.u.i, 1);
    trans_wait_free(&w[0]);
    purr_value_free(par);
    purr_value_free(src);
    return 0;
}

Test(value, rule14_transition_only_when_the_result_changes)
{
    purr_assert_ok(purr_test_run(main_transform_transition, NULL));
}

static int
main_transform_detach(void *arg)
{
    (void)arg;
    purr_value *src = new_int("n", 5);
    purr_value *d = purr_value_open_transform(src, "n2", times2, NULL);
    purr_value_set_int(src, 6);
    cr_assert_eq(purr_value_peek(d)->u.i, 12);
    int calls = fn_calls;
    purr_value_detach(d);
    purr_value_detach(d); /* idempotent */
    purr_value_detach(src); /* no effect on a plain value */
    purr_value_set_int(src, 7);
    cr_assert_eq(fn_calls, calls, "a detached transform ran");
    cr_assert_eq(purr_value_peek(d)->u.i, 12); /* its last value */
    cr_assert_eq(purr_value_transitions(d), 1);
    /* Nothing follows src any more: it can go first. */
    purr_value_free(src);
    cr_assert_eq(purr_value_peek(d)->u.i, 12);
    purr_value_free(d);
    return 0;
}

Test(value, rule14_after_detach_keeps_its_last_value_and_stops_following)
{
    purr_assert_ok(purr_test_run(main_transform_detach, NULL));
}

static int
main_free_followed(void *arg)
{
    (void)arg;
    purr_value *src = new_int("n", 5);
    purr_value *d = purr_value_open_transform(src, "n2", times2, NULL);
    (void)d;
    purr_value_free(src); /* misuse: d still follows it */
    return 0;
}

Test(value, rule14_freeing_a_followed_source_is_misuse, .signal = SIGABRT)
{
    purr_test_run(main_free_followed, NULL);
}

/* trio-util shares one transform per (source, function): two users that
 * open it with the same function see one derived value, the function runs
 * once per transition of the source, and the value is closed with its
 * last user. */
typedef struct transform_user {
    purr_value *src;
    purr_value *opened;   /* what purr_value_open_transform gave */
    int seen;             /* transitions of it seen */
    int64_t last;
    purr_time free_at;    /* when to free its share */
} transform_user;

static int
transform_user_run(void *arg)
{
    transform_user *u = arg;
    u->opened = purr_value_open_transform(u->src, "twice", times2, NULL);
    purr_scope s;
    purr_move_on_after(&s, u->free_at - purr_now());
    purr_datum got;
    int rc;
    while ((rc = purr_value_wait_transition(u->opened, purr_match_any(),
                                            &got, NULL)) == 0) {
        u->seen++;
        u->last = got.u.i;
    }
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    purr_value_free(u->opened); /* this user's share */
    return 0;
}

static int closed_ids[4], nclosed;

static void
count_closed(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == PURR_EV_VALUE_CLOSED && nclosed < 4)
        closed_ids[nclosed++] = (int)purr_value_id(ev->value);
}

static int
body_two_users(purr_nursery *n, void *arg)
{
    transform_user *u = arg;
    PURR_TRY(purr_spawn(n, "user-a", transform_user_run, &u[0]));
    PURR_TRY(purr_spawn(n, "user-b", transform_user_run, &u[1]));
    PURR_TRY(purr_sleep(1 * PURR_S));
    cr_assert_not_null(u[0].opened);
    cr_assert_eq(u[0].opened, u[1].opened, "one derived value");
    cr_assert_eq(fn_calls, 1, "computed once, at the first open");
    purr_value_set_int(u[0].src, 5);
    cr_assert_eq(fn_calls, 2, "one call per transition, not per user");
    PURR_TRY(purr_sleep(1 * PURR_S));
    purr_value_set_int(u[0].src, 6);
    cr_assert_eq(fn_calls, 3);
    PURR_TRY(purr_sleep(2 * PURR_S)); /* 4 s: user a has freed its share */
    cr_assert_eq(nclosed, 0, "b still uses it");
    purr_value_set_int(u[0].src, 7);
    cr_assert_eq(fn_calls, 4, "still following for user b");
    cr_assert_eq(purr_value_peek(u[1].opened)->u.i, 14);
    PURR_TRY(purr_sleep(2 * PURR_S)); /* 6 s: b has freed it too */
    cr_assert_eq(nclosed, 1, "closed with its last user");
    cr_assert_eq(purr_value_set_int(u[0].src, 8), 1);
    cr_assert_eq(fn_calls, 4, "nobody follows the source any more");
    return 0;
}

static int
main_transform_shared(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *src = new_int("speed", 3);
    fn_calls = 0;
    nclosed = 0;
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_VALUE_CLOSED),
                                     count_closed, NULL));
    transform_user u[2] = {{.src = src, .free_at = 3 * PURR_S},
                           {.src = src, .free_at = 5 * PURR_S}};
    purr_assert_ok(purr_nursery_run(body_two_users, u));
    cr_assert_eq(u[0].seen, 2);
    cr_assert_eq(u[0].last, 12);
    cr_assert_eq(u[1].seen, 3);
    cr_assert_eq(u[1].last, 14);
    cr_assert_eq(closed_ids[0], 2, "the transform (value #2) was closed");
    /* A different arg is a different function: a separate value. */
    purr_value *a = purr_value_open_transform(src, "a", times2, NULL);
    purr_value *b = purr_value_open_transform(src, "b", times2, (void *)1);
    purr_value *c = purr_value_open_transform(src, "c", parity, NULL);
    cr_assert_neq(a, b);
    cr_assert_neq(a, c);
    purr_value_free(c);
    purr_value_free(b);
    purr_value_free(a);
    purr_value_free(src);
    return 0;
}

Test(value, rule14_transform_shared_per_source_and_function)
{
    purr_assert_ok(purr_test_run(main_transform_shared, NULL));
}

static int
main_detach_shared(void *arg)
{
    (void)arg;
    purr_value *src = new_int("speed", 3);
    purr_value *a = purr_value_open_transform(src, "a", times2, NULL);
    purr_value *b = purr_value_open_transform(src, "b", times2, NULL);
    cr_assert_eq(a, b);
    purr_value_detach(a); /* misuse: b's user would be frozen too */
    return 0;
}

Test(value, rule14_detaching_a_shared_transform_is_misuse, .signal = SIGABRT)
{
    purr_test_run(main_detach_shared, NULL);
}

/* ---------------------------------------------------------------------- */
/* Rule 15: compose_values                                                 */
/* ---------------------------------------------------------------------- */

static int
main_compose_tuple(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_datum idle = purr_datum_string("idle");
    purr_value *kitty = purr_value_new(loop, "kitty", PURR_ROLE_INPUT,
                                       PURR_T_STRING, &idle);
    purr_value *puppy = new_int("puppy", 3);
    purr_value *awake = purr_value_new_bool(loop, "awake", PURR_ROLE_INPUT);
    purr_value *srcs[] = {kitty, puppy, awake};
    const char *names[] = {"kitty", "puppy", "awake"};
    purr_value *c = purr_value_open_compose("pets", srcs, names, 3, NULL,
                                            NULL);
    const purr_datum *t = purr_value_peek(c);
    cr_assert_eq(t->type, PURR_T_TUPLE);
    cr_assert_eq(purr_datum_tuple_len(t), 3);
    cr_assert_str_eq(purr_datum_str(purr_datum_tuple_at(t, 0), NULL),
                     "idle");
    cr_assert_eq(item_int(t, 1), 3);
    cr_assert_eq(purr_datum_tuple_at(t, 2)->type, PURR_T_BOOL);
    cr_assert_eq(purr_datum_tuple_at(t, 2)->u.b, false);
    cr_assert_eq(purr_value_role(c), PURR_ROLE_INTERNAL);
    cr_assert_str_eq(purr_value_name(c), "pets");

    cr_assert_eq(purr_value_field(c, "kitty"), 0);
    cr_assert_eq(purr_value_field(c, "puppy"), 1);
    cr_assert_eq(purr_value_field(c, "awake"), 2);
    cr_assert_eq(purr_value_field(c, "parrot"), -1);
    cr_assert_eq(purr_value_field(kitty, "kitty"), -1); /* not composed */

    /* Updated inside each source's set. */
    cr_assert_eq(purr_value_set_string(kitty, "purring"), 1);
    cr_assert_str_eq(
        purr_datum_str(purr_datum_tuple_at(purr_value_peek(c), 0), NULL),
        "purring");
    cr_assert_eq(purr_value_set_bool(awake, true), 1);
    cr_assert(purr_datum_tuple_at(purr_value_peek(c), 2)->u.b);
    cr_assert_eq(purr_value_transitions(c), 2);

    /* Without names, no fields; the names were copied. */
    purr_value *anon = purr_value_open_compose("anon", srcs, NULL, 3, NULL,
                                               NULL);
    cr_assert_eq(purr_value_field(anon, "kitty"), -1);
    char name[] = "x";
    const char *names2[] = {name};
    purr_value *one = purr_value_open_compose("one", srcs, names2, 1, NULL,
                                              NULL);
    name[0] = 'y';
    cr_assert_eq(purr_value_field(one, "x"), 0);
    cr_assert_eq(purr_value_field(one, "y"), -1);

    purr_value_free(one);
    purr_value_free(anon);
    purr_value_free(c);
    purr_value_free(awake);
    purr_value_free(puppy);
    purr_value_free(kitty);
    purr_datum_free(&idle);
    return 0;
}

Test(value, rule15_compose_holds_the_tuple_and_names_its_fields)
{
    purr_assert_ok(purr_test_run(main_compose_tuple, NULL));
}

/* Matches a 2-tuple of ints equal to arg[0], arg[1]. */
static bool
pair_is(const purr_datum *x, void *arg)
{
    const int64_t *want = arg;
    return purr_datum_tuple_len(x) == 2 &&
           purr_datum_as_int(purr_datum_tuple_at(x, 0)) == want[0] &&
           purr_datum_as_int(purr_datum_tuple_at(x, 1)) == want[1];
}

static int
two_updates_body(purr_nursery *n, void *arg)
{
    trans_wait *w = arg;
    purr_assert_ok(purr_spawn(n, "mid", trans_wait_run, &w[0]));
    purr_assert_ok(purr_spawn(n, "trans", trans_wait_run, &w[1]));
    purr_assert_ok(purr_checkpoint());
    purr_value *a = w[2].v, *b = w[3].v, *c = w[0].v;
    /* One step: a then b. */
    purr_value_set_int(a, 1);
    purr_value_set_int(b, 1);
    cr_assert_eq(purr_value_transitions(c), 2);
    cr_assert_eq(sets_of[purr_value_id(c)], 2);
    return 0;
}

static int
main_two_updates(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_loop_observe(purr_loop_current(), PURR_EV_VALUE,
                                     count_sets, NULL));
    purr_value *a = new_int("a", 0), *b = new_int("b", 0);
    purr_value *srcs[] = {a, b};
    purr_value *c = purr_value_open_compose("ab", srcs, NULL, 2, NULL, NULL);
    static int64_t mid[2] = {1, 0};
    trans_wait w[4];
    memset(w, 0, sizeof w);
    /* The intermediate (1, 0) existed, though (1, 1) is current when the
     * waiters run: two updates, not one atomic one. */
    w[0] = (trans_wait){.v = c, .m = purr_match_pred(pair_is, mid),
                        .value_wait = true};
    w[1] = (trans_wait){.v = c, .m = purr_match_any()};
    w[2].v = a;
    w[3].v = b;
    purr_assert_ok(purr_nursery_run(two_updates_body, w));
    purr_assert_ok(w[0].rc);
    cr_assert_eq(item_int(&w[0].got, 0), 1);
    cr_assert_eq(item_int(&w[0].got, 1), 0);
    /* The transition waiter coalesces them: the last pair. */
    purr_assert_ok(w[1].rc);
    cr_assert_eq(item_int(&w[1].got, 0), 1);
    cr_assert_eq(item_int(&w[1].got, 1), 1);
    cr_assert_eq(item_int(&w[1].got_old, 0), 1);
    cr_assert_eq(item_int(&w[1].got_old, 1), 0);
    trans_wait_free(&w[0]);
    trans_wait_free(&w[1]);
    purr_value_free(c);
    purr_value_free(a);
    purr_value_free(b);
    return 0;
}

Test(value, rule15_two_sources_set_in_one_step_are_two_updates)
{
    purr_assert_ok(purr_test_run(main_two_updates, NULL));
}

static int
main_compose_equal(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_loop_observe(purr_loop_current(), PURR_EV_VALUE,
                                     count_sets, NULL));
    purr_value *a = new_int("a", 1), *b = new_int("b", 2);
    purr_value *srcs[] = {a, b};
    fn_calls = 0;
    purr_value *m = purr_value_open_compose("max", srcs, NULL, 2, max_of,
                                            NULL);
    cr_assert_eq(fn_calls, 1);
    cr_assert_eq(purr_value_peek(m)->u.i, 2);
    /* The transform runs, the result is equal: no transition. */
    cr_assert_eq(purr_value_set_int(a, 0), 1);
    cr_assert_eq(fn_calls, 2);
    cr_assert_eq(purr_value_transitions(m), 0);
    cr_assert_eq(sets_of[purr_value_id(m)], 0);
    /* An equal set of a source: nothing runs at all. */
    cr_assert_eq(purr_value_set_int(b, 2), 0);
    cr_assert_eq(fn_calls, 2);
    cr_assert_eq(purr_value_set_int(a, 5), 1);
    cr_assert_eq(purr_value_peek(m)->u.i, 5);
    cr_assert_eq(purr_value_transitions(m), 1);
    cr_assert_eq(sets_of[purr_value_id(m)], 1);
    purr_value_free(m);
    purr_value_free(a);
    purr_value_free(b);
    return 0;
}

Test(value, rule15_no_transition_when_the_result_is_equal)
{
    purr_assert_ok(purr_test_run(main_compose_equal, NULL));
}

static int
main_nested(void *arg)
{
    (void)arg;
    purr_value *a = new_int("a", 1), *b = new_int("b", 2),
               *c = new_int("c", 3);
    purr_value *ab_srcs[] = {a, b};
    const char *ab_names[] = {"x", "y"};
    purr_value *ab = purr_value_open_compose("ab", ab_srcs, ab_names, 2,
                                             NULL, NULL);
    purr_value *outer_srcs[] = {ab, c};
    const char *outer_names[] = {"pair", "z"};
    purr_value *outer = purr_value_open_compose("outer", outer_srcs,
                                                outer_names, 2, NULL, NULL);
    /* A transform over the nest: the max of everything. */
    purr_value *flat_srcs[] = {a, b, c};
    purr_value *mx = purr_value_open_compose("max", flat_srcs, NULL, 3,
                                             max_of, NULL);
    purr_value *mx2 = purr_value_open_transform(mx, "max2", times2, NULL);

    char *text = purr_datum_format_alloc(purr_value_peek(outer));
    cr_assert_str_eq(text, "((1, 2), 3)");
    free(text);
    cr_assert_eq(purr_value_field(outer, "z"), 1);
    cr_assert_eq(purr_value_field(outer, "x"), -1); /* fields are per level */

    purr_value_set_int(a, 10);
    text = purr_datum_format_alloc(purr_value_peek(outer));
    cr_assert_str_eq(text, "((10, 2), 3)");
    free(text);
    cr_assert_eq(purr_value_transitions(outer), 1);
    cr_assert_eq(purr_value_peek(mx2)->u.i, 20);
    purr_value_set_int(c, 30);
    cr_assert_eq(purr_value_transitions(ab), 1);
    cr_assert_eq(purr_value_transitions(outer), 2);
    cr_assert_eq(purr_value_peek(mx2)->u.i, 60);

    /* Frozen after detach, as any derived value. */
    purr_value_detach(outer);
    purr_value_set_int(b, 20);
    text = purr_datum_format_alloc(purr_value_peek(outer));
    cr_assert_str_eq(text, "((10, 2), 30)");
    free(text);
    text = purr_datum_format_alloc(purr_value_peek(ab));
    cr_assert_str_eq(text, "(10, 20)");
    free(text);

    purr_value_free(mx2);
    purr_value_free(mx);
    purr_value_free(outer);
    purr_value_free(ab);
    purr_value_free(a);
    purr_value_free(b);
    purr_value_free(c);
    return 0;
}

Test(value, rule15_compositions_nest_and_freeze_after_detach)
{
    purr_assert_ok(purr_test_run(main_nested, NULL));
}

/* ---------------------------------------------------------------------- */
/* Rule 16: derived values in the observer stream                          */
/* ---------------------------------------------------------------------- */

typedef struct obs_rec {
    purr_event_kind kind;
    purr_time time_ns;
    uint64_t task_id, value_seq;
    char name[16];
    purr_role role;
    char old_text[32], new_text[32];
} obs_rec;

static obs_rec recs[32];
static size_t nrecs;

static void
record(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    cr_assert_lt(nrecs, 32);
    obs_rec *r = &recs[nrecs++];
    r->kind = ev->kind;
    r->time_ns = ev->time_ns;
    r->task_id = ev->task_id;
    r->value_seq = ev->value_seq;
    snprintf(r->name, sizeof r->name, "%s", purr_value_name(ev->value));
    r->role = purr_value_role(ev->value);
    r->old_text[0] = r->new_text[0] = '\0';
    if (ev->old_value)
        purr_datum_format(ev->old_value, r->old_text, sizeof r->old_text);
    if (ev->new_value)
        purr_datum_format(ev->new_value, r->new_text, sizeof r->new_text);
}

static int
set_a_later(void *arg)
{
    purr_assert_ok(purr_sleep(1500 * PURR_MS));
    purr_value_set_int(arg, 2);
    return 0;
}

static int
observed_body(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "setter", set_a_later, arg);
}

static int
main_observed(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_loop_observe(purr_loop_current(), PURR_EV_VALUE,
                                     record, NULL));
    purr_value *a = new_int("a", 1);
    purr_value *b = new_int("b", 5);
    purr_value *a2 = purr_value_open_transform(a, "a2", times2, NULL);
    purr_value *srcs[] = {a2, b};
    purr_value *c = purr_value_open_compose("c", srcs, NULL, 2, NULL, NULL);
    purr_assert_ok(purr_nursery_run(observed_body, a));
    purr_value_free(c);
    purr_value_free(a2);

    static const struct {
        purr_event_kind kind;
        const char *name;
        purr_role role;
        const char *old_text, *new_text;
        uint64_t task_id, value_seq;
        purr_time at;
    } want[] = {
        {PURR_EV_VALUE_CREATED, "a", PURR_ROLE_OUTPUT, "", "1", 1, 0, 0},
        {PURR_EV_VALUE_CREATED, "b", PURR_ROLE_OUTPUT, "", "5", 1, 0, 0},
        {PURR_EV_VALUE_CREATED, "a2", PURR_ROLE_INTERNAL, "", "2", 1, 0, 0},
        {PURR_EV_VALUE_CREATED, "c", PURR_ROLE_INTERNAL, "", "(2, 5)", 1, 0,
         0},
        /* Inside a's set, by the setting task, in order: a, a2, c. */
        {PURR_EV_VALUE_SET, "a", PURR_ROLE_OUTPUT, "1", "2", 2, 1,
         1500 * PURR_MS},
        {PURR_EV_VALUE_SET, "a2", PURR_ROLE_INTERNAL, "2", "4", 2, 2,
         1500 * PURR_MS},
        {PURR_EV_VALUE_SET, "c", PURR_ROLE_INTERNAL, "(2, 5)", "(4, 5)", 2,
         3, 1500 * PURR_MS},
        {PURR_EV_VALUE_CLOSED, "c", PURR_ROLE_INTERNAL, "", "(4, 5)", 1, 0,
         1500 * PURR_MS},
        {PURR_EV_VALUE_CLOSED, "a2", PURR_ROLE_INTERNAL, "", "4", 1, 0,
         1500 * PURR_MS},
    };
    size_t n = sizeof want / sizeof want[0];
    cr_assert_eq(nrecs, n, "%zu events, want %zu", nrecs, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(recs[i].kind, want[i].kind, "event %zu: kind", i);
        cr_assert_str_eq(recs[i].name, want[i].name, "event %zu", i);
        cr_assert_eq(recs[i].role, want[i].role, "event %zu: role", i);
        cr_assert_str_eq(recs[i].old_text, want[i].old_text, "event %zu", i);
        cr_assert_str_eq(recs[i].new_text, want[i].new_text, "event %zu", i);
        cr_assert_eq(recs[i].task_id, want[i].task_id, "event %zu: task",
                     i);
        cr_assert_eq(recs[i].value_seq, want[i].value_seq, "event %zu: seq",
                     i);
        cr_assert_eq(recs[i].time_ns, want[i].at, "event %zu: time", i);
    }
    purr_value_free(a);
    purr_value_free(b);
    return 0;
}

Test(value, rule16_derived_values_are_in_the_observer_stream_as_internal)
{
    purr_assert_ok(purr_test_run(main_observed, NULL));
}
