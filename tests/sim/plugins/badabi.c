/* badabi.c - a plug-in built for another ABI version: what PURR_BEHAVIOURS
 * would export, by hand, with a version this purr does not support. */
#include <purr/sim.h>

static int
badabi_register(void)
{
    return 0;
}

extern __attribute__((visibility("default")))
const purr_sim_plugin_info purr_sim_plugin_entry;
__attribute__((visibility("default")))
const purr_sim_plugin_info purr_sim_plugin_entry = {PURR_SIM_ABI_VERSION + 100,
                                                    badabi_register};
