/* talk.c - the "talk" behaviour: the PyCon talk's AsyncValue example.
 *
 * Two values composed into one, and a loop over its eventual values that
 * "does something cute" whenever both are true: the shape of trio-util's
 * `async for a, b in compose_values(a=x, b=y).eventual_values(): ...`.
 * Because eventual values are level-triggered, a burst of changes while
 * the robot is busy being cute collapses into the latest state.
 *
 * Parameters: a, b (names of two bool inputs; default "touched",
 * "face_seen"), cute_for (how long each cute act lasts; 3s).
 * Outputs: action (string: "idle" or "doing something cute") and
 * cute_count (int: acts so far).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

typedef struct talk {
    purr_value *a, *b;      /* inputs: bool */
    purr_value *action;     /* output: string */
    purr_value *cute_count; /* output: int */
    purr_time cute_for_ns;  /* length of one cute act */
} talk;

/* (a, b) -> both true */
static void
both(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    *out = purr_datum_bool(purr_datum_as_bool(purr_datum_tuple_at(in, 0)) &&
                           purr_datum_as_bool(purr_datum_tuple_at(in, 1)));
}

int
purr_example_talk_task(purr_sim_ctx *ctx)
{
    talk *t = purr_sim_data(ctx);
    purr_value *srcs[] = {t->a, t->b};
    const char *names[] = {"a", "b"};
    purr_value *together =
        purr_value_open_compose("talk.both", srcs, names, 2, both, NULL);
    purr_eventual it;
    const purr_datum *item;
    int64_t count = 0;
    int rc;
    purr_eventual_open(&it, together, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &item)) == 0) {
        if (!purr_datum_as_bool(item)) {
            purr_value_set_string(t->action, "idle");
            continue;
        }
        purr_value_set_string(t->action, "doing something cute");
        purr_value_set_int(t->cute_count, ++count);
        if ((rc = purr_sleep(t->cute_for_ns)) < 0)
            break;
    }
    purr_eventual_close(&it);
    purr_value_free(together);
    return rc;
}

static int
input(purr_sim_ctx *ctx, const char *key, const char *dflt, purr_value **out)
{
    const char *name;
    purr_sim_param_string(ctx, key, dflt, &name);
    *out = purr_sim_value(ctx, name);
    if (!*out || purr_value_type(*out) != PURR_T_BOOL)
        return purr_sim_fail(ctx,
                             "behaviour 'talk' needs a bool value '%s' "
                             "(param '%s')",
                             name, key);
    return 0;
}

int
purr_example_talk_setup(purr_sim_ctx *ctx)
{
    talk *t = purr_sim_alloc(ctx, sizeof *t);
    int rc;
    if ((rc = input(ctx, "a", "touched", &t->a)) < 0 ||
        (rc = input(ctx, "b", "face_seen", &t->b)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "cute_for", 3 * PURR_S,
                                      &t->cute_for_ns)) < 0)
        return rc;
    purr_datum idle = purr_datum_string("idle");
    t->action = purr_sim_output(ctx, "action", PURR_T_STRING, &idle);
    purr_datum_free(&idle);
    t->cute_count = purr_sim_output(ctx, "cute_count", PURR_T_INT, NULL);
    if (!t->action || !t->cute_count)
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, t);
    return 0;
}
