/* purr/cli.h - the `purr` command line as a library (purr::cli).
 *
 * A team's own testbench is a program of a few lines: register the team's
 * behaviours, then hand the command line to purr:
 *
 *     #include <purr/cli.h>
 *
 *     int
 *     main(int argc, char **argv)
 *     {
 *         if (my_behaviours() < 0)       // calls purr_sim_register
 *             return 2;
 *         return purr_main(argc, argv);
 *     }
 *
 * and every verb (run, replay, view, plot, import) then runs with those
 * behaviours. The stock `purr` executable is this very program with the
 * example behaviours of purr's scenes; it runs a team's behaviours
 * without a rebuild from a plug-in (`purr run --load`, sim.h's
 * PURR_BEHAVIOURS).
 *
 * This layer is the only one that knows every verb: it may use the
 * simulator, the recorder, replay and the window. Below purr_main are the
 * pieces a team's own tools may want: replaying a scene's recording, and
 * importing a log against a scene.
 */
#ifndef PURR_CLI_H
#define PURR_CLI_H

#include "purr/core.h"
#include "purr/recorder.h"
#include "purr/replay.h"
#include "purr/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the purr command line: argv[1] is the verb (run, replay, view,
 * plot, import, or --help), with whatever behaviours were registered
 * before the call. Prints to stdout and stderr as `purr` does. Returns
 * the exit status: 0 success; 1 an expectation failed, a replay
 * diverged or a run failed; 2 bad usage or bad input (one line on stderr
 * naming the file and the place); 3 an output (a recording, a JUnit
 * file, a PNG) could not be written. When several apply, the highest
 * wins. Call it once per process (it loads
 * plug-ins and may fork workers). */
PURR_API int purr_main(int argc, char **argv);

/* Replays rec with the simulator: the scene is opts->scene_path when
 * given, else the scene text stored in the recording (metadata
 * scene_text), else the file its metadata `scene` names (relative to the
 * current directory, then to the recording's). The recorded seed,
 * shuffle seed and duration are used, in shadow or feeder mode as
 * purr_replay_run (replay.h) decides; shadow mode needs a virtual-clock
 * recording of a scene with the same bytes. rec is only read; report is
 * filled in every case.
 * Returns and errors: as purr_replay_run, plus PURR_EFORMAT or
 * PURR_ENOENT for a scene that cannot be loaded (report->diag says where).
 * Not a checkpoint. */
PURR_API int purr_replay_scene(purr_recording *rec,
                               const purr_replay_options *opts,
                               purr_replay_report *report /* out */);

/* Imports the log at log_path (replay.h, purr_import_log) against the
 * scene at scene_path: every sensor of the scene is an input value, with
 * its type and initial datum. The recording stores the scene (metadata
 * scene, scene_hash, scene_text) and its seed, so that `purr replay`
 * runs the scene's behaviours against the log.
 * out_db is never the scene either (PURR_EEXIST).
 * Errors: those of purr_import_log, and of purr_scene_load (bad scene). */
PURR_API int purr_import_scene_log(const char *log_path, const char *out_db,
                                   const char *scene_path,
                                   const purr_import_options *opts,
                                   purr_diag *diag /* out */);

#ifdef __cplusplus
}
#endif
#endif /* PURR_CLI_H */
