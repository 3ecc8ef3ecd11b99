/* test_value_match.c - what a wait matches: owned datums, comparisons and
 * fields of composed values.
 *
 * purr_match_equal owns what it compares with (a string built on a stack
 * that is gone, or freed at once, still matches); purr_match_cmp compares
 * numbers across int and double; purr_match_field applies a match to one
 * named field of a composed value, resolved when the wait starts, so
 * trio-util's `wait_value(lambda xy: xy.x > 3, held_for=1)` is one call.
 * Every test runs on the virtual clock and checks exact instants; the
 * misuse test (an unknown field) runs in a forked child. */
#include "value_test.h"

#include <signal.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* purr_match_equal owns its datum                                         */
/* ---------------------------------------------------------------------- */

/* Builds the string to wait for on this frame's stack, and returns a match
 * for it: the buffer and the datum are gone (freed) when it returns. */
static purr_match __attribute__((noinline))
match_mode(const char *prefix, int n)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s-%d", prefix, n);
    purr_datum d = purr_datum_string(buf);
    purr_match m = purr_match_equal(&d);
    purr_datum_free(&d);
    memset(buf, 'x', sizeof buf); /* the frame's bytes no longer say it */
    return m;
}

/* Scribbles over the stack where match_mode's frame was. */
static void __attribute__((noinline))
scribble(void)
{
    volatile char junk[256];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)i;
}

typedef struct setter {
    purr_value *v;
    const char *const *words;
    size_t n;
} setter;

static int
set_words(void *arg)
{
    setter *s = arg;
    for (size_t i = 0; i < s->n; i++) {
        PURR_TRY(purr_sleep(PURR_S));
        purr_value_set_string(s->v, s->words[i]);
    }
    return 0;
}

static int
body_stack_string(purr_nursery *n, void *arg)
{
    setter *s = arg;
    purr_match m = match_mode("run", 2);
    scribble();
    PURR_TRY(purr_spawn(n, "setter", set_words, s));
    purr_datum got;
    PURR_TRY(purr_value_wait(s->v, m, 0, &got));
    cr_assert_str_eq(got.u.s, "run-2");
    cr_assert_eq(purr_now(), 3 * PURR_S);
    purr_datum_free(&got);
    /* The same match again, in a transition wait and an iterator. */
    PURR_TRY(purr_value_wait_transition(s->v, m, &got, NULL));
    cr_assert_str_eq(got.u.s, "run-2");
    cr_assert_eq(purr_now(), 5 * PURR_S);
    purr_datum_free(&got);
    purr_eventual it;
    purr_eventual_open(&it, s->v, match_mode("run", 2), 0);
    scribble();
    const purr_datum *item;
    PURR_TRY(purr_eventual_next(&it, &item)); /* current: at once */
    cr_assert_str_eq(item->u.s, "run-2");
    cr_assert_eq(purr_now(), 5 * PURR_S);
    purr_eventual_close(&it);
    purr_transitions tr;
    purr_transitions_open(&tr, s->v, match_mode("run", 2));
    scribble();
    PURR_TRY(purr_transitions_next(&tr, &item, NULL));
    cr_assert_str_eq(item->u.s, "run-2");
    cr_assert_eq(purr_now(), 7 * PURR_S);
    purr_transitions_close(&tr);
    return 0;
}

static int
main_stack_string(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "mode",
                                   PURR_ROLE_INPUT, PURR_T_STRING, NULL);
    static const char *const words[] = {"idle", "run-1", "run-2", "idle",
                                        "run-2", "idle", "run-2"};
    setter s = {v, words, 7};
    int rc = purr_nursery_run(body_stack_string, &s);
    purr_value_free(v);
    return rc;
}

Test(match, equal_owns_a_stack_string_after_its_frame_is_gone)
{
    purr_assert_ok(purr_test_run(main_stack_string, NULL));
}

/* ---------------------------------------------------------------------- */
/* purr_match_cmp                                                          */
/* ---------------------------------------------------------------------- */

static int
main_cmp(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "battery",
                                   PURR_ROLE_INPUT, PURR_T_DOUBLE, NULL);
    purr_datum three = purr_datum_int(3); /* an int against a double */
    purr_match gt3 = purr_match_cmp(PURR_MATCH_GT, &three);
    purr_assert_ok(purr_value_set_double(v, 3.0));
    purr_datum got;
    /* 3.0 > 3 is false: the wait parks; 3.5 matches. */
    purr_scope s;
    purr_move_on_after(&s, PURR_S);
    purr_assert_err(purr_value_wait(v, gt3, 0, NULL), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    purr_assert_ok(purr_value_set_double(v, 3.5));
    purr_assert_ok(purr_value_wait(v, gt3, 0, &got));
    cr_assert_eq(got.u.d, 3.5);
    purr_datum le = purr_datum_double(3.5);
    purr_assert_ok(purr_value_wait(v, purr_match_cmp(PURR_MATCH_LE, &le), 0,
                                   NULL));
    purr_assert_ok(purr_value_set_double(v, 0.0 / 0.0));
    purr_move_on_after(&s, PURR_S);
    purr_assert_err(purr_value_wait(v, purr_match_cmp(PURR_MATCH_LT, &le),
                                    0, NULL),
                    PURR_ECANCELED); /* NaN is unordered */
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_value_free(v);
    return 0;
}

Test(match, cmp_compares_numbers_across_int_and_double)
{
    purr_assert_ok(purr_test_run(main_cmp, NULL));
}

/* ---------------------------------------------------------------------- */
/* Fields of composed values                                               */
/* ---------------------------------------------------------------------- */

typedef struct xy {
    purr_value *x, *y, *xy;
    const set_at *xs, *ys;
    size_t nx, ny;
} xy;

static int
xy_open(xy *p)
{
    purr_loop *loop = purr_loop_current();
    p->x = purr_value_new(loop, "x", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    p->y = purr_value_new(loop, "y", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    purr_value *srcs[] = {p->x, p->y};
    const char *names[] = {"x", "y"};
    p->xy = purr_value_open_compose("xy", srcs, names, 2, NULL, NULL);
    return 0;
}

static void
xy_close(xy *p)
{
    purr_value_free(p->xy);
    purr_value_free(p->y);
    purr_value_free(p->x);
}

static int
body_scripts(purr_nursery *n, void *arg)
{
    xy *p = arg;
    static script sx, sy;
    sx = (script){p->x, p->xs, p->nx};
    sy = (script){p->y, p->ys, p->ny};
    PURR_TRY(purr_spawn(n, "x-script", script_run, &sx));
    return purr_spawn(n, "y-script", script_run, &sy);
}

static int
scripts_task(void *arg)
{
    return purr_nursery_run(body_scripts, arg);
}

/* "wait until xy.x > 3 held for 1 s", in one call. */
static int
wait_x_above_3_held(void *arg)
{
    xy *p = arg;
    purr_datum three = purr_datum_int(3);
    purr_datum got;
    PURR_TRY(purr_value_wait(
        p->xy, purr_match_field("x", purr_match_cmp(PURR_MATCH_GT, &three)),
        PURR_S, &got));
    cr_assert_eq(purr_now(), 3500 * PURR_MS, "at %lld",
                 (long long)purr_now());
    cr_assert_eq(got.u.items[0].u.i, 5);
    cr_assert_eq(got.u.items[1].u.i, 8, "the value when the hold ends");
    purr_datum_free(&got);
    return 0;
}

static int
main_field_held(void *arg)
{
    (void)arg;
    xy p;
    xy_open(&p);
    /* x > 3 from 1 s, broken at 1.8 s, true again from 2.5 s; y's changes
     * (1.5 s, 3 s) keep the hold going. */
    static const set_at xs[] = {{PURR_S, 4},
                                {1800 * PURR_MS, 2},
                                {2500 * PURR_MS, 5}};
    static const set_at ys[] = {{1500 * PURR_MS, 7}, {3 * PURR_S, 8}};
    p.xs = xs;
    p.nx = 3;
    p.ys = ys;
    p.ny = 2;
    purr_task_fn fns[] = {scripts_task, wait_x_above_3_held};
    void *args[] = {&p, &p};
    purr_assert_ok(purr_wait_all(fns, args, 2));
    xy_close(&p);
    return 0;
}

Test(match, field_predicate_held_for_on_a_composed_value)
{
    purr_assert_ok(purr_test_run(main_field_held, NULL));
}

static bool
rose(const purr_datum *nv, const purr_datum *ov, void *arg)
{
    (void)arg;
    return nv->u.i > ov->u.i;
}

/* A transition predicate sees the field's new and old datums: a change of
 * y alone is not "x rose". */
typedef struct trans_field {
    xy *p;
    purr_time at;
    int64_t x;
} trans_field;

static int
wait_x_rose(void *arg)
{
    trans_field *t = arg;
    purr_datum nv, ov;
    PURR_TRY(purr_value_wait_transition(
        t->p->xy, purr_match_field("x", purr_match_trans(rose, NULL)), &nv,
        &ov));
    t->at = purr_now();
    t->x = nv.u.items[0].u.i;
    cr_assert_eq(ov.u.items[0].u.i, 0);
    purr_datum_free(&nv);
    purr_datum_free(&ov);
    return 0;
}

static int
main_field_trans(void *arg)
{
    (void)arg;
    xy p;
    xy_open(&p);
    static const set_at ys[] = {{PURR_S, 1}};
    static const set_at xs[] = {{2 * PURR_S, 5}, {3 * PURR_S, 9}};
    p.xs = xs;
    p.nx = 2;
    p.ys = ys;
    p.ny = 1;
    trans_field t = {&p, 0, 0};
    purr_task_fn fns[] = {scripts_task, wait_x_rose};
    void *args[] = {&p, &t};
    purr_assert_ok(purr_wait_all(fns, args, 2));
    cr_assert_eq(t.at, 2 * PURR_S);
    cr_assert_eq(t.x, 5);
    xy_close(&p);
    return 0;
}

Test(match, field_transition_predicate_sees_the_fields_new_and_old)
{
    purr_assert_ok(purr_test_run(main_field_trans, NULL));
}

static int
main_field_eventual(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *mode =
        purr_value_new(loop, "mode", PURR_ROLE_INPUT, PURR_T_STRING, NULL);
    purr_value *level =
        purr_value_new(loop, "level", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    purr_value *srcs[] = {mode, level};
    const char *names[] = {"mode", "level"};
    purr_value *st = purr_value_open_compose("st", srcs, names, 2, NULL, NULL);
    purr_eventual it;
    char idle[8] = "idle";
    purr_datum d = purr_datum_string(idle);
    purr_eventual_open(&it, st, purr_match_field("mode", purr_match_equal(&d)),
                       0);
    purr_datum_free(&d);
    strcpy(idle, "busy");
    const purr_datum *item;
    purr_value_set_string(mode, "idle");
    purr_assert_ok(purr_eventual_next(&it, &item)); /* at once */
    cr_assert_eq(purr_now(), 0);
    /* A change of level while mode stays idle is a new item. */
    purr_value_set_int(level, 4);
    purr_assert_ok(purr_eventual_next(&it, &item));
    cr_assert_eq(item->u.items[1].u.i, 4);
    purr_eventual_close(&it);
    purr_value_free(st);
    purr_value_free(level);
    purr_value_free(mode);
    return 0;
}

Test(match, field_match_in_an_iterator)
{
    purr_assert_ok(purr_test_run(main_field_eventual, NULL));
}

static int
wait_unknown_field(void *arg)
{
    (void)arg;
    xy p;
    xy_open(&p);
    if (purr_value_wait(p.xy, purr_match_field("z", purr_match_any()), 0,
                        NULL) < 0)
        return -1;
    return 0;
}

static void
child_unknown_field(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    (void)!purr_run(loop, "fields", wait_unknown_field, NULL);
}

Test(match, unknown_field_aborts_naming_value_and_field)
{
    char err[2048];
    int status =
        purr_test_run_captured(child_unknown_field, NULL, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally; stderr: %s", err);
    cr_assert_not_null(strstr(err, "no field 'z'"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "'xy'"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "purr_value_wait"), "stderr: %s", err);
}
