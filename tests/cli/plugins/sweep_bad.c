/* sweep_bad.c - test plug-in for `purr sweep`: behaviours that crash or
 * hang for some seeds. Never shipped.
 *
 * "sweep-bad" reads the double sensor `dice` (a random walk, so its value
 * at 1s depends on the seed) at 1s of virtual time; when the value is at
 * least the parameter `above` (4), it does what `mode` says: "segv"
 * raises SIGSEGV, "abort" calls abort(), "hang" spins forever on wall
 * time (no checkpoint, so the virtual clock never moves on again).
 * Otherwise it does nothing and the run passes. */
#include <purr/purr.h>
#include <purr/sim.h>

#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

typedef struct bad {
    purr_value *dice; /* input: double */
    double above;     /* the threshold */
    char mode;        /* 's', 'a' or 'h' */
} bad;

static int
bad_setup(purr_sim_ctx *ctx)
{
    bad *b = purr_sim_alloc(ctx, sizeof *b);
    const char *mode;
    int rc;
    if ((rc = purr_sim_param_double(ctx, "above", 4, &b->above)) < 0 ||
        (rc = purr_sim_param_string(ctx, "mode", "segv", &mode)) < 0)
        return rc;
    b->mode = mode[0];
    if (!(b->dice = purr_sim_value(ctx, "dice")))
        return purr_sim_fail(ctx, "sweep-bad needs a sensor 'dice'");
    purr_sim_set_data(ctx, b);
    return 0;
}

static int
bad_task(purr_sim_ctx *ctx)
{
    bad *b = purr_sim_data(ctx);
    int rc = purr_sleep(PURR_S);
    if (rc < 0)
        return rc;
    if (purr_datum_as_double(purr_value_peek(b->dice)) < b->above)
        return 0;
    if (b->mode == 's') {
        /* A real faulting access (a raised SIGSEGV would return from the
         * handler the core installs for stack overflows), to a page that
         * allows none, so no sanitizer turns it into a report first. */
        volatile int *page = mmap(NULL, 4096, PROT_NONE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page != MAP_FAILED)
            *page = 1;
        abort();
    }
    else if (b->mode == 'a')
        abort();
    for (volatile unsigned long spin = 0;; spin++)
        ;
}

static int
bad_register(void)
{
    return purr_sim_register("sweep-bad", bad_setup, bad_task);
}
PURR_BEHAVIOURS(bad_register);
