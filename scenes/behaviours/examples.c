/* examples.c - registers the example behaviours under their scene names.
 *
 * The order is fixed (it is the order `purr run` lists registered names
 * in when a scene names an unknown behaviour).
 */
#include "examples.h"

int
purr_examples_register(void)
{
    int rc;
    if ((rc = purr_sim_register("pet", purr_example_pet_setup,
                                purr_example_pet_task)) < 0 ||
        (rc = purr_sim_register("talk", purr_example_talk_setup,
                                purr_example_talk_task)) < 0 ||
        (rc = purr_sim_register("lazy-pet", purr_example_lazy_pet_setup,
                                purr_example_lazy_pet_task)) < 0 ||
        (rc = purr_sim_register("reference", purr_example_reference_setup,
                                purr_example_reference_task)) < 0 ||
        (rc = purr_sim_register("courier", purr_example_courier_setup,
                                purr_example_courier_task)) < 0)
        return rc;
    return 0;
}
