/* clash.c - a plug-in whose second registration fails: it registers
 * "plug-fresh", then CLASH_NAME (a compile definition), which the test
 * has already registered elsewhere: in the program, by another plug-in,
 * or just before (CLASH_NAME "plug-fresh": the same name twice). It
 * ignores the codes, as a careless plug-in would; the load must fail
 * anyway and take "plug-fresh" back. */
#include <purr/sim.h>

static int
clash_task(purr_sim_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static int
clash_register(void)
{
    purr_sim_register("plug-fresh", NULL, clash_task);
    purr_sim_register(CLASH_NAME, NULL, clash_task);
    return 0;
}
PURR_BEHAVIOURS(clash_register);
