/* purr.c - the stock `purr` executable: the example behaviours of purr's
 * scenes, then the command line.
 *
 * This is the whole program a team writes for its own testbench, with its
 * own behaviours in place of the examples (docs/tutorial.md). Teams that
 * keep the stock executable load their behaviours as plug-ins instead
 * (`purr run --load libmybehaviours.so`).
 */
#include <purr/cli.h>

#include "examples.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
    int rc = purr_examples_register();
    if (rc < 0) {
        fprintf(stderr, "purr: cannot register the example behaviours: %s\n",
                purr_strerror(rc));
        return 2;
    }
    return purr_main(argc, argv);
}
