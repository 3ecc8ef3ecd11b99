/* cli_int.h - private declarations shared by the command line's files.
 *
 * main.c dispatches on the verb (purr_main); each verb is one file:
 * run.c (`purr run`), replay.c (`purr replay`), import.c (`purr import`),
 * diff.c (`purr diff`);
 * `purr view` and `purr plot` are the window's (view.h). replay_scene.c
 * is the simulator as a replay runner; meta.c writes the metadata that
 * makes a recording stand alone (the scene's text, the plug-ins).
 */
#ifndef PURR_CLI_INT_H
#define PURR_CLI_INT_H

#include <purr/cli.h>
#ifdef PURR_WITH_VIEW
#include <purr/view.h>
#endif

/* The verbs: argv[0] is the verb's name. Each returns the exit status. */
int purr__cli_run(int argc, char **argv);
int purr__cli_replay(int argc, char **argv);
int purr__cli_import(int argc, char **argv);
int purr__cli_diff(int argc, char **argv);

/* A watcher of a replayed run (`purr replay --window`, replay_window.c):
 * pace is chained before the replay's own pacing hook; attach(loop, stop,
 * stop_arg, ctx) is called once the loop exists, before the values are
 * (posting stop(stop_arg) to the loop ends the run); detach(ctx) before
 * the loop is freed. */
typedef struct purr__replay_watch {
    purr_pace_fn pace;
    void *pace_ctx;
    void (*attach)(purr_loop *loop, purr_post_fn stop, void *stop_arg,
                   void *ctx);
    void (*detach)(void *ctx);
    void *ctx;
} purr__replay_watch;

/* purr_replay_scene with a watcher (NULL: none). */
int purr__replay_scene_watched(purr_recording *rec,
                               const purr_replay_options *opts,
                               const purr__replay_watch *watch,
                               purr_replay_report *rep);

/* `purr replay --window [--speed X]`: replays rec as purr_replay_scene
 * does, in a live window paced at speed (virtual s per wall s; 0: max).
 * Returns what purr_replay_scene returns; a window that cannot open is
 * bad input (rep->diag says why). */
int purr__cli_replay_window(purr_recording *rec,
                            const purr_replay_options *opts, double speed,
                            purr_replay_report *rep);

/* `purr run ... --check-determinism --across CMD` (across.c): records the
 * run (argv as purr__cli_run got it) with this program and with CMD, and
 * compares the recordings. Returns the exit status. */
int purr__cli_across(const char *cmd, int argc, char **argv);

/* Writes scene's metadata into r: scene (path), scene_hash and scene_text
 * (the file's bytes, so the recording replays without the file). Returns
 * 0 or the recorder's error. */
int purr__cli_meta_scene(purr_recorder *r, const purr_scene *scene,
                         const char *path);

/* The scene's robot panel and units in the text form recordings store
 * (metadata view_panel and units; purr_view_panel_parse, view.h): *panel
 * is NULL without a `view:` key, *units NULL when no sensor has a unit;
 * both malloc'd. */
void purr__cli_panel_text(const purr_scene *sc, char **panel /* out */,
                          char **units /* out */);
#ifdef PURR_WITH_VIEW
/* The scene's panel for the window; false if it does not parse. */
bool purr__cli_panel(const purr_scene *sc, purr_view_panel *out /* out */);
#endif

/* Writes the loaded plug-ins into r (metadata plugins: one line per
 * plug-in, "NAME HASH PATH"). Returns 0 or the recorder's error. */
int purr__cli_meta_plugins(purr_recorder *r);

/* Loads the plug-ins at paths (--load), in order. Returns 0, or prints the
 * first failure as one line and returns the exit status 2. */
int purr__cli_load(const char *const *paths, size_t n);

/* Loads the plug-ins rec was recorded with (metadata plugins), saying on
 * stderr, as information, when one differs from the recorded file.
 * Returns 0, or PURR_ENOENT / PURR_EFORMAT with diag set (a plug-in that
 * is gone or does not load). */
int purr__cli_load_recorded(purr_recording *rec, purr_diag *diag);

/* Says on stderr, as information, which loaded plug-ins (--load) differ
 * from those rec was recorded with. */
void purr__cli_note_plugin_changes(purr_recording *rec);

/* Checks the file an output option (opt: "--record", "-o") names before
 * anything is run: an existing path that is not a regular file (a
 * directory, /dev/null, a FIFO) is refused, since the new recording is
 * renamed over it. Returns 0, or prints one line and returns the exit
 * status 2. */
int purr__cli_check_output(const char *path, const char *opt);

/* Prints diag as one line on stderr ("purr: FILE:LINE:COL: message") and
 * returns the exit status 2. */
int purr__cli_print_diag(const purr_diag *diag);

#endif /* PURR_CLI_INT_H */
