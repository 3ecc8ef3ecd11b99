/* examples.h - the example behaviours that purr's shipped scenes run.
 *
 * pet, talk, lazy-pet, reference and courier are written only against the public
 * API (<purr/purr.h>, <purr/sim.h>), exactly as a team writes its own: each
 * is a setup function (finds its inputs by name, creates its outputs, reads
 * its parameters) and a task. purr_examples_register registers the five
 * under the names the scenes use; the stock `purr` executable calls it
 * before purr_main, and the same functions build into a plug-in
 * (libpurr_examples.so, loaded with `purr run --load`).
 */
#ifndef PURR_EXAMPLES_H
#define PURR_EXAMPLES_H

#include <purr/sim.h>

/* Registers "pet", "talk", "lazy-pet", "reference" and "courier". Returns 0, or the
 * first purr_sim_register error (PURR_EEXIST when a name is taken). */
int purr_examples_register(void);

int purr_example_pet_setup(purr_sim_ctx *ctx);
int purr_example_pet_task(purr_sim_ctx *ctx);
int purr_example_talk_setup(purr_sim_ctx *ctx);
int purr_example_talk_task(purr_sim_ctx *ctx);
int purr_example_lazy_pet_setup(purr_sim_ctx *ctx);
int purr_example_lazy_pet_task(purr_sim_ctx *ctx);
int purr_example_reference_setup(purr_sim_ctx *ctx);
int purr_example_reference_task(purr_sim_ctx *ctx);
int purr_example_courier_setup(purr_sim_ctx *ctx);
int purr_example_courier_task(purr_sim_ctx *ctx);

#endif /* PURR_EXAMPLES_H */
