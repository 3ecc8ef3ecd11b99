/* fuzz_scene.c - libFuzzer target for the scene parser.
 *
 * Any bytes must either load as a scene or be refused with a diagnostic
 * naming a position; never crash, leak or read out of bounds (built with
 * -fsanitize=fuzzer,address by scripts/fuzz.sh). A scene that loads is
 * also set up, so predicates and faults are bound too, and freed. The
 * parser runs with PURR_SCENE_NO_LOAD: `load:` is parsed and resolved,
 * but arbitrary input never dlopens a file. */
#include <purr/purr.h>
#include <purr/sim.h>

#include "sim_int.h" /* purr_scene_parse_flags (scripts/fuzz.sh: -I sim) */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    purr_scene *scene = NULL;
    purr_diag diag = {0};
    int rc = purr_scene_parse_flags((const char *)data, size, "fuzz.yaml",
                               PURR_SCENE_NO_LOAD, &scene, &diag);
    if (rc < 0) {
        if (scene || !diag.message[0])
            abort(); /* a refusal always says why, and returns nothing */
        return 0;
    }
    purr_sim *sim = purr_sim_new(scene, NULL);
    if (sim && purr_sim_setup(sim, &diag) < 0 && !diag.message[0])
        abort();
    purr_sim_free(sim);
    purr_scene_free(scene);
    return 0;
}
