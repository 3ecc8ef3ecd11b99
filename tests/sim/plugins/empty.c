/* empty.c - a plug-in whose registration function registers nothing, as
 * one linked with its own copy of purr would appear to purr. */
#include <purr/sim.h>

static int
empty_register(void)
{
    return 0;
}
PURR_BEHAVIOURS(empty_register);
