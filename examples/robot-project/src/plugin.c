/* plugin.c - lightbot as a plug-in for the stock `purr`:
 *   purr run --load ./liblightbot_plugin.so scenes/lightbot.yaml */
#include <purr/sim.h>

#include "lightbot.h"

PURR_BEHAVIOURS(lightbot_register);
