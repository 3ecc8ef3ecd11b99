/* pet.c - the "pet" behaviour: a pet robot that docks, has moods and purrs.
 *
 * Adapted from examples/pet_demo.c, with the scripted world replaced by the
 * scene's sensors. Written only against the public API, as any behaviour
 * would be. Inputs: a double battery level in percent and a touched bool
 * (names are parameters). Outputs: docked (bool, which a battery sensor
 * usually charges from), mood (string) and sound (string).
 *
 * Parameters: battery, touched (input names; default "battery", "touched"),
 * low (% below which it is sleepy and wants to dock; 20), full (% at which
 * it leaves the dock; 95), low_for (how long the battery must stay low
 * before docking; 5min), purr_for (how long each purr lasts; 2s).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

typedef struct pet {
    purr_value *battery;   /* input: percent, double */
    purr_value *touched;   /* input: bool */
    purr_value *docked;    /* output: bool */
    purr_value *mood;      /* output: string */
    purr_value *sound;     /* output: string */
    double low, full;      /* thresholds in percent */
    purr_time low_for_ns;  /* low must hold this long before docking */
    purr_time purr_for_ns; /* length of a purr */
} pet;

static bool
battery_low(const purr_datum *d, void *arg)
{
    const pet *p = arg;
    return purr_datum_as_double(d) < p->low;
}

static bool
battery_full(const purr_datum *d, void *arg)
{
    const pet *p = arg;
    return purr_datum_as_double(d) >= p->full;
}

/* Docks when the battery has been low for low_for; undocks when full. */
static int
docking(void *arg)
{
    pet *p = arg;
    for (;;) {
        PURR_TRY(purr_value_wait(p->battery, purr_match_pred(battery_low, p),
                                 p->low_for_ns, NULL));
        purr_value_set_bool(p->docked, true);
        PURR_TRY(purr_value_wait(p->battery, purr_match_pred(battery_full, p),
                                 0, NULL));
        purr_value_set_bool(p->docked, false);
    }
}

/* (battery, touched) -> mood */
static void
mood_of(const purr_datum *in, purr_datum *out, void *arg)
{
    const pet *p = arg;
    double battery = purr_datum_as_double(purr_datum_tuple_at(in, 0));
    bool touched = purr_datum_as_bool(purr_datum_tuple_at(in, 1));
    const char *mood = touched            ? "happy"
                       : battery < p->low ? "sleepy"
                                          : "curious";
    *out = purr_datum_string(mood);
}

/* Sets the mood output to each new composed mood. */
static int
moods(void *arg)
{
    pet *p = arg;
    purr_value *srcs[] = {p->battery, p->touched};
    const char *names[] = {"battery", "touched"};
    purr_value *mood =
        purr_value_open_compose("pet.mood_calc", srcs, names, 2, mood_of, p);
    purr_eventual it;
    const purr_datum *m;
    int rc;
    purr_eventual_open(&it, mood, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &m)) == 0)
        purr_value_set(p->mood, m);
    purr_eventual_close(&it);
    purr_value_free(mood);
    return rc;
}

/* Purrs for purr_for on every touch. */
static int
purring(void *arg)
{
    pet *p = arg;
    purr_datum yes = purr_datum_bool(true);
    for (;;) {
        PURR_TRY(purr_value_wait_transition(p->touched, purr_match_equal(&yes),
                                            NULL, NULL));
        purr_value_set_string(p->sound, "purr");
        PURR_TRY(purr_sleep(p->purr_for_ns));
        purr_value_set_string(p->sound, "");
    }
}

static int
pet_body(purr_nursery *n, void *arg)
{
    PURR_TRY(purr_spawn(n, "pet.docking", docking, arg));
    PURR_TRY(purr_spawn(n, "pet.moods", moods, arg));
    return purr_spawn(n, "pet.purring", purring, arg);
}

/* Looks up an input named by parameter key, of the given type. */
static int
input(purr_sim_ctx *ctx, const char *key, const char *dflt, purr_type type,
      purr_value **out)
{
    const char *name;
    purr_sim_param_string(ctx, key, dflt, &name);
    *out = purr_sim_value(ctx, name);
    if (!*out || purr_value_type(*out) != type)
        return purr_sim_fail(ctx,
                             "behaviour 'pet' needs a %s value '%s' "
                             "(a sensor)",
                             type == PURR_T_BOOL ? "bool" : "double", name);
    return 0;
}

int
purr_example_pet_setup(purr_sim_ctx *ctx)
{
    pet *p = purr_sim_alloc(ctx, sizeof *p);
    int rc;
    if ((rc = input(ctx, "battery", "battery", PURR_T_DOUBLE, &p->battery)) <
            0 ||
        (rc = input(ctx, "touched", "touched", PURR_T_BOOL, &p->touched)) < 0 ||
        (rc = purr_sim_param_double(ctx, "low", 20.0, &p->low)) < 0 ||
        (rc = purr_sim_param_double(ctx, "full", 95.0, &p->full)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "low_for", 5 * 60 * PURR_S,
                                      &p->low_for_ns)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "purr_for", 2 * PURR_S,
                                      &p->purr_for_ns)) < 0)
        return rc;
    purr_datum none = purr_datum_string("");
    p->docked = purr_sim_output(ctx, "docked", PURR_T_BOOL, NULL);
    p->mood = purr_sim_output(ctx, "mood", PURR_T_STRING, NULL);
    p->sound = purr_sim_output(ctx, "sound", PURR_T_STRING, &none);
    purr_datum_free(&none);
    if (!p->docked || !p->mood || !p->sound)
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, p);
    return 0;
}

int
purr_example_pet_task(purr_sim_ctx *ctx)
{
    return purr_nursery_run(pet_body, purr_sim_data(ctx));
}
