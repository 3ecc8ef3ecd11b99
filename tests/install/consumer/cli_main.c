/* cli_main.c - a team's testbench in one call: purr_main. */
#include <purr/cli.h>

int
main(int argc, char **argv)
{
    return purr_main(argc, argv);
}
