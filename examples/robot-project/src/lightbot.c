/* lightbot.c - "lightbot": a robot that drives towards light and backs
 * off when its bumper hits something.
 *
 * Inputs (the scene's sensors): light (double, % of full brightness ahead)
 * and bumper (bool). Outputs: motor (string: "search", "forward",
 * "reverse") and mood (string, composed from both inputs).
 *
 * Three tasks in one nursery:
 * - drive: once the light has stayed at or above `threshold` for
 *   `settle` (wait_value with held_for), drive forward; when it drops
 *   below, search again;
 * - bump: on every press of the bumper, reverse for `reverse_for` inside a
 *   cancel scope (move_on_after), then hand the motor back to drive;
 * - mood: follows compose_values(light, bumper).
 * When the scene's duration ends, the simulator cancels the nursery and
 * every task returns PURR_ECANCELED from its checkpoint.
 *
 * Built with -DLIGHTBOT_CHANGED it reverses for longer: the "changed
 * build" that the committed baseline must catch.
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "lightbot.h"

#ifdef LIGHTBOT_CHANGED
#define REVERSE_DEFAULT (3 * PURR_S)
#else
#define REVERSE_DEFAULT (2 * PURR_S)
#endif

typedef struct lightbot {
    purr_value *light, *bumper;  /* inputs */
    purr_value *motor, *mood;    /* outputs */
    double threshold;            /* % of light that counts as bright */
    purr_time settle_ns;         /* how long it must stay bright */
    purr_time reverse_ns;        /* how long a bump reverses */
    bool reversing;              /* bump owns the motor */
} lightbot;

static bool
bright(const purr_datum *d, void *arg)
{
    const lightbot *b = arg;
    return purr_datum_as_double(d) >= b->threshold;
}

static bool
dark(const purr_datum *d, void *arg)
{
    return !bright(d, arg);
}

/* Sets the motor unless a bump is reversing. */
static void
drive_motor(lightbot *b, const char *what)
{
    if (!b->reversing)
        purr_value_set_string(b->motor, what);
}

static int
drive(void *arg)
{
    lightbot *b = arg;
    for (;;) {
        drive_motor(b, "search");
        PURR_TRY(purr_value_wait(b->light, purr_match_pred(bright, b),
                                 b->settle_ns, NULL));
        drive_motor(b, "forward");
        PURR_TRY(purr_value_wait(b->light, purr_match_pred(dark, b), 0, NULL));
    }
}

static int
bump(void *arg)
{
    lightbot *b = arg;
    purr_datum on = purr_datum_bool(true);
    int rc;
    while ((rc = purr_value_wait_transition(b->bumper, purr_match_equal(&on),
                                            NULL, NULL)) == 0) {
        b->reversing = true;
        purr_value_set_string(b->motor, "reverse");
        purr_scope s;
        purr_move_on_after(&s, b->reverse_ns);
        rc = purr_sleep_forever(); /* until the scope's deadline */
        purr_scope_exit(&s);
        b->reversing = false;
        if (!s.cancelled_caught)
            return rc; /* cancelled from outside: the run is ending */
        bool is_bright = bright(purr_value_peek(b->light), b);
        purr_value_set_string(b->motor, is_bright ? "forward" : "search");
    }
    return rc;
}

/* (light, bumper) -> "ouch", "happy" or "bored". */
static void
feel(const purr_datum *in, purr_datum *out, void *arg)
{
    const lightbot *b = arg;
    if (purr_datum_as_bool(purr_datum_tuple_at(in, 1)))
        *out = purr_datum_string("ouch");
    else if (bright(purr_datum_tuple_at(in, 0), (void *)b))
        *out = purr_datum_string("happy");
    else
        *out = purr_datum_string("bored");
}

static int
mood(void *arg)
{
    lightbot *b = arg;
    purr_value *srcs[] = {b->light, b->bumper};
    const char *names[] = {"light", "bumper"};
    purr_value *feeling =
        purr_value_open_compose("lightbot.feeling", srcs, names, 2, feel, b);
    purr_eventual it;
    const purr_datum *item;
    int rc;
    purr_eventual_open(&it, feeling, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &item)) == 0)
        purr_value_set(b->mood, item);
    purr_eventual_close(&it);
    purr_value_free(feeling);
    return rc;
}

static int
body(purr_nursery *n, void *arg)
{
    PURR_TRY(purr_spawn(n, "lightbot.drive", drive, arg));
    PURR_TRY(purr_spawn(n, "lightbot.bump", bump, arg));
    return purr_spawn(n, "lightbot.mood", mood, arg);
}

static int
lightbot_task(purr_sim_ctx *ctx)
{
    return purr_nursery_run(body, purr_sim_data(ctx));
}

static int
lightbot_setup(purr_sim_ctx *ctx)
{
    lightbot *b = purr_sim_alloc(ctx, sizeof *b);
    int rc;
    if ((rc = purr_sim_param_double(ctx, "threshold", 50.0,
                                    &b->threshold)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "settle", 2 * PURR_S,
                                      &b->settle_ns)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "reverse_for", REVERSE_DEFAULT,
                                      &b->reverse_ns)) < 0)
        return rc;
    b->light = purr_sim_value(ctx, "light");
    b->bumper = purr_sim_value(ctx, "bumper");
    if (!b->light || purr_value_type(b->light) != PURR_T_DOUBLE)
        return purr_sim_fail(ctx, "lightbot needs a double input 'light'");
    if (!b->bumper || purr_value_type(b->bumper) != PURR_T_BOOL)
        return purr_sim_fail(ctx, "lightbot needs a bool input 'bumper'");
    purr_datum search = purr_datum_string("search");
    purr_datum bored = purr_datum_string("bored");
    b->motor = purr_sim_output(ctx, "motor", PURR_T_STRING, &search);
    b->mood = purr_sim_output(ctx, "mood", PURR_T_STRING, &bored);
    purr_datum_free(&search);
    purr_datum_free(&bored);
    if (!b->motor || !b->mood)
        return PURR_EFORMAT; /* a name taken: the diag says which */
    purr_sim_set_data(ctx, b);
    return 0;
}

int
lightbot_register(void)
{
    return purr_sim_register("lightbot", lightbot_setup, lightbot_task);
}
