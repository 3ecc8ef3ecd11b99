/* lightbot.h - a light-following robot with a bumper: the behaviour of
 * this example project, registered under the name "lightbot". */
#ifndef LIGHTBOT_H
#define LIGHTBOT_H

/* Registers "lightbot" (purr_sim_register). Returns 0 or a PURR_E* code.
 * The testbench program calls it before purr_main; the plug-in build
 * declares it with PURR_BEHAVIOURS, so the stock `purr` calls it. */
int lightbot_register(void);

#endif
