/* faults.c - scripted and random sensor faults: dropout, stuck, spikes,
 * delay.
 *
 * Faults sit between a sensor's model and its input value. The model task
 * sleeps with purr__sensor_sleep_until, which wakes at each fault event
 * that falls before the model's next deadline (a window opening or
 * closing, an outlier, a delayed update coming due) and applies it in the
 * same task, so faults add no task and a sensor without faults behaves
 * exactly as before. The model hands every reading to purr__sensor_emit,
 * which keeps it as the sensor's current reading and then drops it (dropout,
 * stuck), holds it back (delay) or sets it.
 *
 * Windows are [start, end): a reading made at the opening time is affected,
 * one made at the closing time is not. When a dropout or stuck window
 * closes, the sensor reports its current reading again (as a sensor that
 * reconnects would), unless the model sets a new one at that very time.
 * Events of one instant are applied in the order of the scene's faults, and
 * delayed updates are delivered in the order they were made, so everything
 * here is a function of (seed, sensor name, fault index) and virtual time.
 */
#include "sim_int.h"

#include <math.h>
#include <stdlib.h>

static purr_time
add_sat(purr_time a, purr_time b)
{
    return a >= PURR_TIME_NEVER - b ? PURR_TIME_NEVER : a + b;
}

/* Time to the next event of a Poisson process at rate per hour, >= 1 ns;
 * PURR_TIME_NEVER at rate 0 (random faults scaled off), which draws
 * nothing. Scenes only admit rates above 0, so at the default scale of 1
 * every draw is the one it always was. */
static purr_time
gap(purr__stream *rng, double rate_per_hour)
{
    if (!(rate_per_hour > 0))
        return PURR_TIME_NEVER;
    double rate_per_ns = rate_per_hour / (3600.0 * 1e9);
    double g = -purr_math_log1p(-purr__stream_uniform(rng)) / rate_per_ns;
    if (g > 9.0e18)
        return (purr_time)9.0e18;
    return g < 1.0 ? 1 : (purr_time)llround(g);
}

/* A random window's next start after from; the end follows. */
static void
next_random_window(purr__fault *f, purr_time from)
{
    f->start_ns = add_sat(from, gap(&f->rng, f->rate_per_hour));
    f->end_ns = add_sat(f->start_ns, f->spec->for_ns);
}

void
purr__sensor_faults_init(purr__sensor *s, uint64_t seed, double faults_scale)
{
    const purr_sensor_spec *spec = s->spec;
    s->fault_count = spec->fault_count;
    if (!s->fault_count)
        return;
    s->faults = purr__sim_calloc(s->fault_count, sizeof *s->faults);
    s->current = purr_datum_copy(&spec->initial);
    for (size_t i = 0; i < s->fault_count; i++) {
        purr__fault *f = &s->faults[i];
        f->spec = &spec->faults[i];
        /* x * 1.0 is x exactly: the default scale changes no bit. */
        f->rate_per_hour = f->spec->rate_per_hour * faults_scale;
        purr__stream_init(&f->rng, seed, spec->name, PURR__SALT_FAULTS + i);
        f->spike_ns = f->spike_end_ns = PURR_TIME_NEVER;
        if (f->spec->at_ns >= 0) {
            f->start_ns = f->spec->at_ns;
            f->end_ns = add_sat(f->start_ns, f->spec->for_ns);
        } else if (f->spec->kind == PURR_FAULT_SPIKES) {
            f->start_ns = 0; /* spikes during the whole run */
            f->end_ns = PURR_TIME_NEVER;
        } else {
            next_random_window(f, 0);
        }
    }
}

void
purr__sensor_faults_free(purr__sensor *s)
{
    for (size_t i = 0; i < s->q_len; i++)
        purr_datum_free(&s->queue[(s->q_head + i) % s->q_cap].d);
    free(s->queue);
    free(s->faults);
    purr_datum_free(&s->current);
    s->queue = NULL;
    s->faults = NULL;
    s->q_len = s->q_cap = s->q_head = 0;
}

/* True while a dropout or stuck window is open: no update gets through. */
static bool
blocked(const purr__sensor *s)
{
    for (size_t i = 0; i < s->fault_count; i++)
        if (s->faults[i].active &&
            (s->faults[i].spec->kind == PURR_FAULT_DROPOUT ||
             s->faults[i].spec->kind == PURR_FAULT_STUCK))
            return true;
    return false;
}

/* As blocked, not counting fault f. */
static bool
blocked_except(const purr__sensor *s, const purr__fault *f)
{
    for (size_t i = 0; i < s->fault_count; i++)
        if (&s->faults[i] != f && s->faults[i].active &&
            (s->faults[i].spec->kind == PURR_FAULT_DROPOUT ||
             s->faults[i].spec->kind == PURR_FAULT_STUCK))
            return true;
    return false;
}

/* The longest delay of the open delay windows, 0 when none is open. */
static purr_time
delay_by(const purr__sensor *s)
{
    purr_time by = 0;
    for (size_t i = 0; i < s->fault_count; i++)
        if (s->faults[i].active && s->faults[i].spec->kind == PURR_FAULT_DELAY &&
            s->faults[i].spec->by_ns > by)
            by = s->faults[i].spec->by_ns;
    return by;
}

static void
enqueue(purr__sensor *s, purr_time at_ns, const purr_datum *d)
{
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? 2 * s->q_cap : 16;
        purr__delayed *q = purr__sim_calloc(cap, sizeof *q);
        for (size_t i = 0; i < s->q_len; i++)
            q[i] = s->queue[(s->q_head + i) % s->q_cap];
        free(s->queue);
        s->queue = q;
        s->q_cap = cap;
        s->q_head = 0;
    }
    purr__delayed *slot = &s->queue[(s->q_head + s->q_len) % s->q_cap];
    slot->at_ns = at_ns;
    slot->d = purr_datum_copy(d);
    s->q_len++;
}

void
purr__sensor_emit(purr__sensor *s, const purr_datum *d)
{
    if (!s->fault_count) {
        purr__sensor_set(s, d);
        return;
    }
    purr_datum_free(&s->current);
    s->current = purr_datum_copy(d);
    if (blocked(s))
        return;
    purr_time by = delay_by(s);
    if (by > 0)
        enqueue(s, add_sat(purr_now(), by), d);
    else
        purr__sensor_set(s, d);
}

/* Reports the current reading again (end of a dropout, stuck window or
 * outlier), unless the model is about to set a new one at this instant. */
static void
restore(purr__sensor *s, purr_time now, purr_time deadline)
{
    if (now != deadline && !blocked(s))
        purr__sensor_set(s, &s->current);
}

static void
spike(purr__sensor *s, purr__fault *f)
{
    double sign = purr__stream_uniform(&f->rng) < 0.5 ? -1.0 : 1.0;
    if (blocked(s))
        return;
    purr_datum out;
    switch (s->spec->type) {
    case PURR_T_BOOL:
        out = purr_datum_bool(!purr_datum_as_bool(&s->current));
        break;
    case PURR_T_INT:
        out = purr_datum_int((int64_t)llround(
            purr_datum_as_double(&s->current) + sign * f->spec->size));
        break;
    default:
        out = purr_datum_double(purr_datum_as_double(&s->current) +
                                sign * f->spec->size);
        break;
    }
    purr__sensor_set(s, &out);
}

/* The time of the sensor's next fault event, or PURR_TIME_NEVER. */
static purr_time
next_event(const purr__sensor *s)
{
    purr_time t = PURR_TIME_NEVER;
    for (size_t i = 0; i < s->fault_count; i++) {
        const purr__fault *f = &s->faults[i];
        purr_time e = f->active ? f->end_ns : f->start_ns;
        if (e < t)
            t = e;
        if (f->spike_ns < t)
            t = f->spike_ns;
        if (f->spike_end_ns < t)
            t = f->spike_end_ns;
    }
    if (s->q_len && s->queue[s->q_head].at_ns < t)
        t = s->queue[s->q_head].at_ns;
    return t;
}

/* Applies every fault event due at now (the model's deadline is deadline). */
static void
apply_events(purr__sensor *s, purr_time now, purr_time deadline)
{
    for (size_t i = 0; i < s->fault_count; i++) {
        purr__fault *f = &s->faults[i];
        const purr_fault_spec *spec = f->spec;
        if (!f->active && f->start_ns == now) {
            f->active = true;
            if (spec->kind == PURR_FAULT_STUCK && spec->has_value &&
                !blocked_except(s, f))
                purr__sensor_set(s, &spec->value);
            if (spec->kind == PURR_FAULT_SPIKES) {
                f->spike_ns = add_sat(now, gap(&f->rng, f->rate_per_hour));
                if (f->spike_ns >= f->end_ns)
                    f->spike_ns = PURR_TIME_NEVER;
            }
        }
        if (f->spike_end_ns == now) {
            f->spike_end_ns = PURR_TIME_NEVER;
            restore(s, now, deadline);
        }
        if (f->active && f->spike_ns == now) {
            spike(s, f);
            f->spike_end_ns = add_sat(now, spec->width_ns);
            f->spike_ns = add_sat(now, gap(&f->rng, f->rate_per_hour));
            if (f->spike_ns >= f->end_ns)
                f->spike_ns = PURR_TIME_NEVER;
        }
        if (f->active && f->end_ns == now) {
            f->active = false;
            if (spec->kind == PURR_FAULT_DROPOUT ||
                spec->kind == PURR_FAULT_STUCK)
                restore(s, now, deadline);
            if (spec->at_ns < 0 && spec->kind != PURR_FAULT_SPIKES)
                next_random_window(f, now);
            else
                f->start_ns = f->end_ns = PURR_TIME_NEVER;
        }
    }
    while (s->q_len && s->queue[s->q_head].at_ns <= now) {
        purr__delayed *item = &s->queue[s->q_head];
        if (!blocked(s))
            purr__sensor_set(s, &item->d);
        purr_datum_free(&item->d);
        s->q_head = (s->q_head + 1) % s->q_cap;
        s->q_len--;
    }
}

int
purr__sensor_sleep_until(purr__sensor *s, purr_time deadline)
{
    int rc;
    if (s->fault_count) {
        purr_time t;
        while ((t = next_event(s)) <= deadline && t != PURR_TIME_NEVER) {
            if ((rc = purr_sleep_until(t)) < 0)
                return rc;
            apply_events(s, t, deadline);
        }
    }
    if (deadline == PURR_TIME_NEVER)
        return purr_sleep_forever();
    return purr_sleep_until(deadline);
}
