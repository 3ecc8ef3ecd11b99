/* undef.c - a plug-in that calls a purr function the program does not
 * have (as when the program does not export purr's API): dlopen with
 * RTLD_NOW refuses it. */
#include <purr/sim.h>

int purr_sim_no_such_function(void);

static int
undef_register(void)
{
    return purr_sim_no_such_function();
}
PURR_BEHAVIOURS(undef_register);
