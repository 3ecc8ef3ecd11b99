/* lazy_pet.c - the "lazy-pet" behaviour: a pet robot that polls its battery.
 *
 * The cautionary tale of scenes/fails.yaml. Instead of waiting on the
 * battery value (as "pet" does), it looks at the battery only every
 * check_every (45min) and docks if it is then below low (20%); it leaves
 * the dock when the battery is full (95%). Polling this rarely misses the
 * moment the battery goes low by up to 45 minutes, so the scene's
 * expectation "docked within 10 minutes of the battery going below 20%"
 * fails, and the report says when.
 *
 * Inputs: battery (double, %). Outputs: docked (bool).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

typedef struct lazy_pet {
    purr_value *battery;      /* input: percent */
    purr_value *docked;       /* output */
    double low, full;         /* thresholds in percent */
    purr_time check_every_ns; /* how often it looks at the battery */
} lazy_pet;

static bool
is_full(const purr_datum *d, void *arg)
{
    const lazy_pet *p = arg;
    return purr_datum_as_double(d) >= p->full;
}

int
purr_example_lazy_pet_task(purr_sim_ctx *ctx)
{
    lazy_pet *p = purr_sim_data(ctx);
    int rc;
    for (;;) {
        if ((rc = purr_sleep(p->check_every_ns)) < 0)
            return rc;
        if (purr_datum_as_double(purr_value_peek(p->battery)) >= p->low)
            continue;
        purr_value_set_bool(p->docked, true);
        if ((rc = purr_value_wait(p->battery, purr_match_pred(is_full, p), 0,
                                  NULL)) < 0)
            return rc;
        purr_value_set_bool(p->docked, false);
    }
}

int
purr_example_lazy_pet_setup(purr_sim_ctx *ctx)
{
    lazy_pet *p = purr_sim_alloc(ctx, sizeof *p);
    int rc;
    if ((rc = purr_sim_param_double(ctx, "low", 20.0, &p->low)) < 0 ||
        (rc = purr_sim_param_double(ctx, "full", 95.0, &p->full)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "check_every", 45 * 60 * PURR_S,
                                      &p->check_every_ns)) < 0)
        return rc;
    p->battery = purr_sim_value(ctx, "battery");
    if (!p->battery || purr_value_type(p->battery) != PURR_T_DOUBLE)
        return purr_sim_fail(ctx, "behaviour 'lazy-pet' needs a double value "
                                  "'battery' (a sensor)");
    if (!(p->docked = purr_sim_output(ctx, "docked", PURR_T_BOOL, NULL)))
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, p);
    return 0;
}
