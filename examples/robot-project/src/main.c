/* main.c - the team's testbench: every purr verb, with lightbot. */
#include <purr/cli.h>

#include "lightbot.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
    int rc = lightbot_register();
    if (rc < 0) {
        fprintf(stderr, "lightbench: %s\n", purr_strerror(rc));
        return 2;
    }
    return purr_main(argc, argv);
}
