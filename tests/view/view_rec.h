/* view_rec.h - a recording with known transitions and tasks, for the
 * tests of `purr view` (playback, rows, the task tree).
 *
 * A 60-second run on the virtual clock. Values (id order):
 *   1 count  int    input    0; 1 at 10 s, 2 at 20 s, 3 at 30 s
 *   2 door   bool   input    false; true at 15 s, false at 25 s
 *   3 alarm  bool   output   false, never set
 *   4 state  string internal "idle"; "busy" at 12 s, "idle" at 40 s
 *   5 level  double output   0.5; 0.25 at 5 s, 0.75 at 50 s
 * Tasks: "main" runs a nursery with "setter" (makes the transitions, ends
 * at 60 s) and "worker" (sleeps until 35 s and ends).
 * So the transitions are at 5, 10, 12, 15, 20, 25, 30, 40 and 50 s. */
#ifndef PURR_VIEW_REC_H
#define PURR_VIEW_REC_H

#include "view_test.h"

#include <purr/recorder.h>

#define REC_END (60 * PURR_S)

typedef struct rec_values {
    purr_value *count, *door, *alarm, *state, *level;
} rec_values;

static inline void
rec_set(purr_value *v, purr_datum d, purr_time at)
{
    purr_time now = purr_now();
    if (at > now)
        cr_assert_eq(purr_sleep(at - now), 0);
    cr_assert_eq(purr_value_set(v, &d), 1);
    purr_datum_free(&d);
}

static inline int
rec_setter(void *arg)
{
    rec_values *v = arg;
    rec_set(v->level, purr_datum_double(0.25), 5 * PURR_S);
    rec_set(v->count, purr_datum_int(1), 10 * PURR_S);
    rec_set(v->state, purr_datum_string("busy"), 12 * PURR_S);
    rec_set(v->door, purr_datum_bool(true), 15 * PURR_S);
    rec_set(v->count, purr_datum_int(2), 20 * PURR_S);
    rec_set(v->door, purr_datum_bool(false), 25 * PURR_S);
    rec_set(v->count, purr_datum_int(3), 30 * PURR_S);
    rec_set(v->state, purr_datum_string("idle"), 40 * PURR_S);
    rec_set(v->level, purr_datum_double(0.75), 50 * PURR_S);
    cr_assert_eq(purr_sleep(REC_END - purr_now()), 0);
    cr_assert_eq(purr_now(), REC_END);
    return 0;
}

static inline int
rec_worker(void *arg)
{
    (void)arg;
    return purr_sleep(35 * PURR_S);
}

static inline int
rec_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "setter", rec_setter, arg));
    purr_assert_ok(purr_spawn(n, "worker", rec_worker, NULL));
    return 0;
}

static inline int
rec_main(void *arg)
{
    return purr_nursery_run(rec_body, arg);
}

/* Records the run at path; with observe non-NULL, it also observes the
 * loop (mask PURR_EV_TASK | PURR_EV_VALUE) with ctx. */
static inline void
rec_make(const char *path, purr_observer_fn observe, void *ctx)
{
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(r, loop));
    if (observe)
        purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK | PURR_EV_VALUE,
                                         observe, ctx));
    rec_values v;
    purr_datum zero = purr_datum_int(0), no = purr_datum_bool(false),
               idle = purr_datum_string("idle"), half = purr_datum_double(0.5);
    v.count = purr_value_new(loop, "count", PURR_ROLE_INPUT, PURR_T_INT, &zero);
    v.door = purr_value_new(loop, "door", PURR_ROLE_INPUT, PURR_T_BOOL, &no);
    v.alarm = purr_value_new(loop, "alarm", PURR_ROLE_OUTPUT, PURR_T_BOOL, &no);
    v.state =
        purr_value_new(loop, "state", PURR_ROLE_INTERNAL, PURR_T_STRING, &idle);
    v.level =
        purr_value_new(loop, "level", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, &half);
    purr_datum_free(&idle);
    purr_assert_ok(purr_run(loop, "main", rec_main, &v));
    purr_value_free(v.count);
    purr_value_free(v.door);
    purr_value_free(v.alarm);
    purr_value_free(v.state);
    purr_value_free(v.level);
    purr_assert_ok(purr_recorder_set_meta(r, "end_ns", "60000000000"));
    purr_assert_ok(purr_recorder_close(r, &diag));
    cr_assert_eq(purr_loop_close(loop), 0);
}

/* The recording loaded into a fresh model. */
static inline void
rec_load(const char *path, purr__view_model *vm)
{
    purr__vm_init(vm);
    purr_diag diag = {0};
    char title[256];
    int rc = purr__vm_load_recording(vm, path, title, sizeof title, &diag);
    cr_assert_eq(rc, 0, "%s", diag.message);
}

#endif /* PURR_VIEW_REC_H */
