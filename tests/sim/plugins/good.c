/* good.c - a well-formed plug-in: behaviour "plug-good" creates the int
 * output "plugged" (0) and sets it to its parameter "value" (42) after
 * "after" (1s). Built as a plug-in (libplug_good.so) and also linked into
 * test_sim_plugin itself, as a program would link a team's behaviours
 * statically: PURR_BEHAVIOURS must work both ways. */
#include <purr/purr.h>
#include <purr/sim.h>

typedef struct good {
    purr_value *plugged; /* output: int */
    double value;        /* what it is set to */
    purr_time after_ns;  /* when */
} good;

static int
good_setup(purr_sim_ctx *ctx)
{
    good *g = purr_sim_alloc(ctx, sizeof *g);
    int rc;
    if ((rc = purr_sim_param_double(ctx, "value", 42, &g->value)) < 0 ||
        (rc = purr_sim_param_duration(ctx, "after", PURR_S, &g->after_ns)) < 0)
        return rc;
    if (!(g->plugged = purr_sim_output(ctx, "plugged", PURR_T_INT, NULL)))
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, g);
    return 0;
}

static int
good_task(purr_sim_ctx *ctx)
{
    good *g = purr_sim_data(ctx);
    int rc = purr_sleep(g->after_ns);
    if (rc < 0)
        return rc;
    purr_value_set_int(g->plugged, (int64_t)g->value);
    return 0;
}

static int
good_register(void)
{
    return purr_sim_register("plug-good", good_setup, good_task);
}
PURR_BEHAVIOURS(good_register);
