/* sensors.c - the sensor models: one task per sensor, setting its input.
 *
 * Each model is a task that sleeps until absolute virtual times computed
 * from the start (k * period, never "now + period", so no drift creeps in)
 * and sets its input value. Random models draw only from the sensor's own
 * streams (stream.c): the model stream for the model's state, a separate
 * noise stream for the noise option, so turning noise on does not change
 * the underlying walk or events. Noise is added to each value a numeric
 * model sets and never feeds back into the model's state. Every set, the
 * models' and the faults' (faults.c), goes through purr__sensor_set, where
 * a replay can substitute the recorded datum (purr_sim_options.input).
 * A model that reads another value (the battery reads its docked bool)
 * reads the state at the end of the previous instant, not the current
 * one, so that its output does not depend on whether the task setting
 * that value ran before or after it in the same instant.
 */
#include "sim_int.h"

#include <math.h>

void
purr__sensor_set(purr__sensor *s, const purr_datum *d)
{
    if (s->input)
        s->input(s->value, d, s->input_arg);
    else
        purr_value_set(s->value, d);
}

/* Sets a numeric sensor to x plus its noise, rounded for int sensors. */
static void
set_number(purr__sensor *s, double x)
{
    if (s->spec->noise_sigma > 0)
        x += s->spec->noise_sigma * purr__stream_gaussian(&s->noise_rng);
    purr_datum d = s->spec->type == PURR_T_INT
                       ? purr_datum_int((int64_t)llround(x))
                       : purr_datum_double(x);
    purr__sensor_emit(s, &d);
}

/* Sets d, through set_number when the sensor is numeric. */
static void
set_datum(purr__sensor *s, const purr_datum *d)
{
    if (s->spec->type == PURR_T_INT || s->spec->type == PURR_T_DOUBLE)
        set_number(s, purr_datum_as_double(d));
    else
        purr__sensor_emit(s, d);
}

static double
clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* The periodic model's noiseless value at time t (ns from the start). */
static double
periodic_at(const purr_sensor_spec *spec, purr_time t)
{
    purr_time period = spec->periodic.period_ns;
    purr_time in = ((t + spec->periodic.phase_ns) % period + period) % period;
    double frac = (double)in / (double)period;
    double lo = spec->periodic.min, hi = spec->periodic.max;
    if (spec->periodic.square)
        return frac < 0.5 ? hi : lo;
    return (lo + hi) / 2 + (hi - lo) / 2 * purr_math_sin(2 * M_PI * frac);
}

purr_datum
purr__sensor_initial(const purr_sensor_spec *spec)
{
    double x = periodic_at(spec, 0);
    return spec->type == PURR_T_INT ? purr_datum_int((int64_t)llround(x))
                                    : purr_datum_double(x);
}

/* ---------------------------------------------------------------------- */
/* Models                                                                  */
/* ---------------------------------------------------------------------- */

static int
run_constant(purr__sensor *s)
{
    const purr_sensor_spec *spec = s->spec;
    int rc;
    if (spec->noise_sigma <= 0)
        return purr__sensor_sleep_until(s, PURR_TIME_NEVER);
    double x = purr_datum_as_double(&spec->initial);
    set_number(s, x);
    if (spec->constant.sample_ns <= 0)
        return purr__sensor_sleep_until(s, PURR_TIME_NEVER);
    for (purr_time k = 1;; k++) {
        if ((rc = purr__sensor_sleep_until(s, k * spec->constant.sample_ns)) < 0)
            return rc;
        set_number(s, x);
    }
}

static int
run_timeline(purr__sensor *s)
{
    const purr_sensor_spec *spec = s->spec;
    int rc;
    for (size_t i = 0; i < spec->timeline.count; i++) {
        if ((rc = purr__sensor_sleep_until(s, spec->timeline.points[i].at_ns)) < 0)
            return rc;
        set_datum(s, &spec->timeline.points[i].value);
    }
    return purr__sensor_sleep_until(s, PURR_TIME_NEVER);
}

static int
run_random_walk(purr__sensor *s)
{
    const purr_sensor_spec *spec = s->spec;
    double x = purr_datum_as_double(&spec->initial);
    int rc;
    for (purr_time k = 1;; k++) {
        if ((rc = purr__sensor_sleep_until(s, k * spec->random_walk.period_ns)) < 0)
            return rc;
        double dir = purr__stream_uniform(&s->model_rng) < 0.5 ? -1.0 : 1.0;
        x = clamp(x + dir * spec->random_walk.step, spec->random_walk.min,
                  spec->random_walk.max);
        set_number(s, x);
    }
}

/* Time to the next event of a Poisson process: exponential, >= 1 ns. */
static purr_time
poisson_gap(purr__sensor *s)
{
    double rate_per_ns = s->spec->poisson.rate_per_hour / (3600.0 * 1e9);
    double u = purr__stream_uniform(&s->model_rng);
    double gap = -purr_math_log1p(-u) / rate_per_ns;
    if (gap > 9.0e18)
        return (purr_time)9.0e18;
    return gap < 1.0 ? 1 : (purr_time)llround(gap);
}

/* Events are a Poisson process in absolute time. Each holds the value true
 * for pulse; an event arriving while it is true extends the pulse (a
 * retriggerable monostable), so every event is either a rising edge or
 * keeps the value up. */
static int
run_poisson(purr__sensor *s)
{
    purr_time pulse = s->spec->poisson.pulse_ns;
    purr_time next = poisson_gap(s);
    int rc;
    for (;;) {
        if ((rc = purr__sensor_sleep_until(s, next)) < 0)
            return rc;
        purr_datum on = purr_datum_bool(true);
        purr__sensor_emit(s, &on);
        purr_time end = next + pulse;
        next += poisson_gap(s);
        while (next < end) {
            end = next + pulse;
            next += poisson_gap(s);
        }
        if ((rc = purr__sensor_sleep_until(s, end)) < 0)
            return rc;
        purr_datum off = purr_datum_bool(false);
        purr__sensor_emit(s, &off);
    }
}

static int
run_periodic(purr__sensor *s)
{
    const purr_sensor_spec *spec = s->spec;
    int rc;
    for (purr_time k = 1;; k++) {
        purr_time at = k * spec->periodic.sample_ns;
        if ((rc = purr__sensor_sleep_until(s, at)) < 0)
            return rc;
        set_number(s, periodic_at(spec, at));
    }
}

void
purr__sensor_docked_changed(purr__sensor *s, purr_time at_ns,
                            const purr_datum *old)
{
    /* Only the first transition of an instant holds the state before it;
     * later ones in the same instant go through states that never held
     * for any length of time. */
    if (at_ns == s->docked_changed_ns)
        return;
    s->docked_changed_ns = at_ns;
    s->docked_before = purr_datum_as_bool(old);
}

/* Whether the battery was docked during the interval that ends now: the
 * docked state at the end of the previous instant. A transition at this
 * very instant, before or after the sample's task runs, acts on the next
 * interval, so the sample reads the same state in every schedule. */
static bool
docked_until_now(const purr__sensor *s)
{
    if (s->docked_changed_ns == purr_now())
        return s->docked_before;
    return purr_datum_as_bool(purr_value_peek(s->docked));
}

/* Each sample steps the level by the charge or drain of the interval that
 * just ended, which depends on whether the robot was docked during it
 * (docked_until_now). */
static int
run_battery(purr__sensor *s)
{
    const purr_sensor_spec *spec = s->spec;
    double level = purr_datum_as_double(&spec->initial);
    double hours = (double)spec->battery.sample_ns / (3600.0 * PURR_S);
    int rc;
    for (purr_time k = 1;; k++) {
        if ((rc = purr__sensor_sleep_until(s, k * spec->battery.sample_ns)) < 0)
            return rc;
        level += (docked_until_now(s) ? spec->battery.charge_per_hour
                                      : -spec->battery.drain_per_hour) *
                 hours;
        /* Rounded to a billionth of a percent so that repeated steps of
         * 0.2 read as 59.8, 59.6 rather than accumulating binary
         * representation error into the timeline. */
        level = clamp(round(level * 1e9) / 1e9, 0.0, 100.0);
        set_number(s, level);
    }
}

int
purr__sensor_task(void *arg)
{
    purr__sensor *s = arg;
    switch (s->spec->model) {
    case PURR_MODEL_CONSTANT:
        return run_constant(s);
    case PURR_MODEL_TIMELINE:
        return run_timeline(s);
    case PURR_MODEL_RANDOM_WALK:
        return run_random_walk(s);
    case PURR_MODEL_POISSON:
        return run_poisson(s);
    case PURR_MODEL_PERIODIC:
        return run_periodic(s);
    case PURR_MODEL_BATTERY:
        return run_battery(s);
    }
    return PURR_EINVAL; /* unreachable: the loader admits no other model */
}
