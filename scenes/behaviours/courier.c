/* courier.c - the "courier" behaviour: a delivery robot with a race that
 * only a seed sweep finds (scenes/courier.yaml, docs/sweeps.md).
 *
 * Two tasks share the robot's mode and speed, each ticking every `tick`
 * (100ms) at the same instants:
 *
 *   - the watchdog looks at the range sensor's transition count; when the
 *     sensor has been silent for a whole tick (a dropout) it stops the
 *     robot (mode "stopped", speed 0), and lets it drive again once
 *     readings come back;
 *   - the cruise control reads the mode, and when it is "driving" plans a
 *     speed from the range: the plan is a checkpoint (it yields), and then
 *     it sets the speed it planned.
 *
 * The bug is the classic check-then-act across a yield point: the cruise
 * control decides on a mode it read before the checkpoint. When the
 * watchdog's tick runs in that gap, and that tick is the one that notices
 * a dropout, the cruise control sets a speed after the watchdog stopped
 * the robot: "stopped" with a speed above 0, which the scene's expectation
 * forbids. Both tasks are spawned watchdog first and re-arm their timers
 * in that order, so in FIFO order (no --shuffle-seed) the watchdog always
 * runs first at a shared instant and the scene passes for every seed; it
 * takes a shuffled schedule that puts the cruise control first at the very
 * tick a dropout is first noticed, which a sweep over seeds finds in a few
 * seeds out of a hundred.
 *
 * Inputs: range (double, metres). Outputs: mode (string: "driving" or
 * "stopped"), speed (double, m/s). Parameters: tick (100ms), slow_below
 * (2: closer than this it plans `slow`, else `cruise`), slow (0.5),
 * cruise (1.0).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

typedef struct courier {
    purr_value *range;      /* input: metres to the next obstacle */
    purr_value *mode;       /* output: "driving" or "stopped" */
    purr_value *speed;      /* output: m/s */
    purr_time tick_ns;      /* both tasks' period */
    double slow_below;      /* range under which it plans slow */
    double slow, cruise;    /* the two planned speeds */
} courier;

static bool
is_driving(const courier *c)
{
    const purr_datum *m = purr_value_peek(c->mode);
    return m->type == PURR_T_STRING && m->u.s[0] == 'd';
}

/* The watchdog: stops the robot while the range sensor is silent. */
static int
watchdog(void *arg)
{
    courier *c = arg;
    uint64_t seen = purr_value_transitions(c->range);
    int rc;
    for (purr_time k = 1;; k++) {
        if ((rc = purr_sleep_until(k * c->tick_ns)) < 0)
            return rc;
        uint64_t now = purr_value_transitions(c->range);
        bool silent = now == seen;
        seen = now;
        if (silent && is_driving(c)) {
            purr_value_set_string(c->mode, "stopped");
            purr_value_set_double(c->speed, 0.0);
        } else if (!silent && !is_driving(c)) {
            purr_value_set_string(c->mode, "driving");
        }
    }
}

/* The cruise control: plans a speed while driving. The bug: the mode is
 * read before the plan's checkpoint and trusted after it. */
static int
cruise(void *arg)
{
    courier *c = arg;
    int rc;
    for (purr_time k = 1;; k++) {
        if ((rc = purr_sleep_until(k * c->tick_ns)) < 0)
            return rc;
        if (!is_driving(c))
            continue;
        double range = purr_datum_as_double(purr_value_peek(c->range));
        double plan = range < c->slow_below ? c->slow : c->cruise;
        if ((rc = purr_checkpoint()) < 0) /* planning takes a moment */
            return rc;
        purr_value_set_double(c->speed, plan); /* BUG: mode not re-read */
    }
}

static int
courier_body(purr_nursery *n, void *arg)
{
    int rc;
    if ((rc = purr_spawn(n, "courier-watchdog", watchdog, arg)) < 0)
        return rc;
    return purr_spawn(n, "courier-cruise", cruise, arg);
}

int
purr_example_courier_task(purr_sim_ctx *ctx)
{
    return purr_nursery_run(courier_body, purr_sim_data(ctx));
}

int
purr_example_courier_setup(purr_sim_ctx *ctx)
{
    courier *c = purr_sim_alloc(ctx, sizeof *c);
    int rc;
    if ((rc = purr_sim_param_duration(ctx, "tick", 100 * PURR_MS,
                                      &c->tick_ns)) < 0 ||
        (rc = purr_sim_param_double(ctx, "slow_below", 2.0,
                                    &c->slow_below)) < 0 ||
        (rc = purr_sim_param_double(ctx, "slow", 0.5, &c->slow)) < 0 ||
        (rc = purr_sim_param_double(ctx, "cruise", 1.0, &c->cruise)) < 0)
        return rc;
    if (c->tick_ns <= 0)
        return purr_sim_fail(ctx, "behaviour 'courier': tick must be > 0");
    c->range = purr_sim_value(ctx, "range");
    if (!c->range || purr_value_type(c->range) != PURR_T_DOUBLE)
        return purr_sim_fail(ctx, "behaviour 'courier' needs a double value "
                                  "'range' (a sensor)");
    purr_datum driving = purr_datum_string("driving");
    c->mode = purr_sim_output(ctx, "mode", PURR_T_STRING, &driving);
    purr_datum_free(&driving);
    if (!c->mode ||
        !(c->speed = purr_sim_output(ctx, "speed", PURR_T_DOUBLE, NULL)))
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, c);
    return 0;
}
