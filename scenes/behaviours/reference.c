/* reference.c - the "reference" behaviour of the simulator benchmark
 * (bench/reference.yaml): 20 tasks waiting on 10 sensors and on composed
 * values, the load a busy robot puts on the core.
 *
 * Inputs: s0 .. s9 (double). Internals: pair0 .. pair4, each composing two
 * sensors into a coarse level (their mean in steps of `step`, 10), so it
 * changes far less often than its sources. Outputs: hi0 .. hi9 (the sensor
 * crossed `high`, 70, upwards last, rather than `low`, 30, downwards),
 * zone0 .. zone4 (the pair's level, followed with eventual values) and
 * alarm0 .. alarm4 (the pair's level has been at least `alarm`, 7, for
 * `hold`, 1s). Tasks: 10 on sensor transitions, 5 on eventual values of
 * the pairs, 5 on held waits on the pairs.
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

#include <math.h>
#include <stdio.h>

#define NSENS 10
#define NPAIR 5

typedef struct reference reference;

typedef struct ref_task {
    reference *ref;  /* the whole behaviour */
    int i;           /* which sensor or pair */
} ref_task;

struct reference {
    purr_value *s[NSENS];     /* inputs */
    purr_value *pair[NPAIR];  /* internal, composed in the task */
    purr_value *hi[NSENS];    /* outputs */
    purr_value *zone[NPAIR];
    purr_value *alarm[NPAIR];
    double high, low, step, alarm_level;
    purr_time hold_ns;
    ref_task tasks[NSENS + 2 * NPAIR];
};

static void
level_of(const purr_datum *in, purr_datum *out, void *arg)
{
    const reference *r = arg;
    double a = purr_datum_as_double(purr_datum_tuple_at(in, 0));
    double b = purr_datum_as_double(purr_datum_tuple_at(in, 1));
    *out = purr_datum_int((int64_t)floor((a + b) / 2 / r->step));
}

static bool
crossed(const purr_datum *new_value, const purr_datum *old_value, void *arg)
{
    const reference *r = arg;
    double n = purr_datum_as_double(new_value);
    double o = purr_datum_as_double(old_value);
    return (n >= r->high && o < r->high) || (n <= r->low && o > r->low);
}

static int
watch_sensor(void *arg)
{
    ref_task *t = arg;
    reference *r = t->ref;
    purr_datum now;
    int rc;
    for (;;) {
        if ((rc = purr_value_wait_transition(r->s[t->i],
                                             purr_match_trans(crossed, r),
                                             &now, NULL)) < 0)
            return rc;
        purr_value_set_bool(r->hi[t->i], purr_datum_as_double(&now) >= r->high);
    }
}

static int
follow_pair(void *arg)
{
    ref_task *t = arg;
    reference *r = t->ref;
    purr_eventual it;
    const purr_datum *level;
    int rc;
    purr_eventual_open(&it, r->pair[t->i], purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &level)) == 0)
        purr_value_set(r->zone[t->i], level);
    purr_eventual_close(&it);
    return rc;
}

static bool
alarming(const purr_datum *d, void *arg)
{
    const reference *r = arg;
    return (double)purr_datum_as_int(d) >= r->alarm_level;
}

static bool
calm(const purr_datum *d, void *arg)
{
    return !alarming(d, arg);
}

static int
alarm_pair(void *arg)
{
    ref_task *t = arg;
    reference *r = t->ref;
    int rc;
    for (;;) {
        if ((rc = purr_value_wait(r->pair[t->i], purr_match_pred(alarming, r),
                                  r->hold_ns, NULL)) < 0)
            return rc;
        purr_value_set_bool(r->alarm[t->i], true);
        if ((rc = purr_value_wait(r->pair[t->i], purr_match_pred(calm, r), 0,
                                  NULL)) < 0)
            return rc;
        purr_value_set_bool(r->alarm[t->i], false);
    }
}

static int
reference_body(purr_nursery *n, void *arg)
{
    reference *r = arg;
    char name[32];
    int rc;
    for (int i = 0; i < NPAIR; i++) {
        purr_value *srcs[2] = {r->s[2 * i], r->s[2 * i + 1]};
        snprintf(name, sizeof name, "pair%d", i);
        r->pair[i] = purr_value_open_compose(name, srcs, NULL, 2, level_of, r);
    }
    for (int i = 0; i < NSENS && (rc = 0) == 0; i++) {
        r->tasks[i] = (ref_task){r, i};
        snprintf(name, sizeof name, "reference.s%d", i);
        if ((rc = purr_spawn(n, name, watch_sensor, &r->tasks[i])) < 0)
            return rc;
    }
    for (int i = 0; i < NPAIR; i++) {
        ref_task *t = &r->tasks[NSENS + i], *u = &r->tasks[NSENS + NPAIR + i];
        *t = (ref_task){r, i};
        *u = (ref_task){r, i};
        snprintf(name, sizeof name, "reference.zone%d", i);
        if ((rc = purr_spawn(n, name, follow_pair, t)) < 0)
            return rc;
        snprintf(name, sizeof name, "reference.alarm%d", i);
        if ((rc = purr_spawn(n, name, alarm_pair, u)) < 0)
            return rc;
    }
    return 0;
}

int
purr_example_reference_task(purr_sim_ctx *ctx)
{
    reference *r = purr_sim_data(ctx);
    int rc = purr_nursery_run(reference_body, r);
    for (int i = 0; i < NPAIR; i++) {
        purr_value_free(r->pair[i]);
        r->pair[i] = NULL;
    }
    return rc;
}

int
purr_example_reference_setup(purr_sim_ctx *ctx)
{
    reference *r = purr_sim_alloc(ctx, sizeof *r);
    char name[32];
    int rc;
    if ((rc = purr_sim_param_double(ctx, "high", 70, &r->high)) < 0 ||
        (rc = purr_sim_param_double(ctx, "low", 30, &r->low)) < 0 ||
        (rc = purr_sim_param_double(ctx, "step", 10, &r->step)) < 0 ||
        (rc = purr_sim_param_double(ctx, "alarm", 7, &r->alarm_level)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "hold", PURR_S, &r->hold_ns)) < 0)
        return rc;
    if (r->step <= 0)
        return purr_sim_fail(ctx, "'step' must be above 0");
    for (int i = 0; i < NSENS; i++) {
        snprintf(name, sizeof name, "s%d", i);
        r->s[i] = purr_sim_value(ctx, name);
        if (!r->s[i] || purr_value_type(r->s[i]) != PURR_T_DOUBLE)
            return purr_sim_fail(ctx,
                                 "behaviour 'reference' needs double sensors "
                                 "s0 .. s9 (missing '%s')",
                                 name);
        snprintf(name, sizeof name, "hi%d", i);
        if (!(r->hi[i] = purr_sim_output(ctx, name, PURR_T_BOOL, NULL)))
            return PURR_EFORMAT;
    }
    for (int i = 0; i < NPAIR; i++) {
        snprintf(name, sizeof name, "zone%d", i);
        if (!(r->zone[i] = purr_sim_output(ctx, name, PURR_T_INT, NULL)))
            return PURR_EFORMAT;
        snprintf(name, sizeof name, "alarm%d", i);
        if (!(r->alarm[i] = purr_sim_output(ctx, name, PURR_T_BOOL, NULL)))
            return PURR_EFORMAT;
    }
    purr_sim_set_data(ctx, r);
    return 0;
}
