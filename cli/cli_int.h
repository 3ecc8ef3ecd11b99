/* cli_int.h - private declarations shared by the command line's files.
 *
 * main.c dispatches on the verb (purr_main); each verb is one file:
 * run.c (`purr run`), replay.c (`purr replay`), import.c (`purr import`),
 * diff.c (`purr diff`), shrink.c (`purr shrink`, with shrink_search.c and
 * shrink_scene.c behind shrink_int.h), sweep.c (`purr sweep`, with
 * sweep_*.c and shard.c, sweep_int.h), export.c (`purr export`);
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
int purr__cli_export(int argc, char **argv);
int purr__cli_shrink_main(int argc, char **argv);

/* What purr__cli_shrink (shrink.c) reports of a shrinking. */
typedef struct purr__shrink_result {
    size_t expect;            /* the expectation kept failing (1-based) */
    uint64_t replays;         /* candidate runs made */
    bool bounded;             /* stopped at max_replays */
    size_t before, after;     /* input transitions */
    size_t inputs_before, inputs_after; /* input values with transitions */
    purr_time duration_before, duration_after;
    double wall_s;            /* wall time of the search */
} purr__shrink_result;

/* Options of purr__cli_shrink; zero means the defaults. */
typedef struct purr__shrink_options {
    const char *scene_out;    /* also write the scene fragment here */
    const char *scene_path;   /* run this scene, not the recording's */
    bool loaded;              /* plug-ins were loaded (--load): do not
                                 load the recorded ones */
    bool force;               /* replace existing outputs */
    uint64_t max_replays;     /* bound on candidate runs (0: 5000) */
    size_t expect;            /* 1-based expectation to keep failing
                                 (0: the first that fails) */
    bool quiet;               /* no progress on stderr, no fragment on
                                 stdout */
    purr__shrink_result *result; /* out (may be NULL) */
} purr__shrink_options;

/* `purr shrink IN [-o OUT]` as a function (docs/shrinking.md): finds a
 * smaller set of IN's inputs that still fails the same expectation, writes
 * it as the recording OUT (NULL: IN without ".db" plus ".shrunk.db") and
 * prints the remaining inputs and a scene fragment on stdout. Returns the
 * exit status: 0 shrunk; 1 IN's inputs, fed, fail no expectation (nothing
 * to shrink); 2 bad input or an output it may not replace; 3 an output
 * could not be written. */
int purr__cli_shrink(const char *in, const char *out,
                     const purr__shrink_options *o);

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

/* The random faults' rate scale (--faults-scale X, metadata
 * faults_scale): parses a plain decimal number >= 0 (at most 1e6) into
 * *scale, false when text is not one; formats scale as the shortest text
 * that reads back as the same double; writes it into r when the sim's
 * scale is not 1 (recordings at the scene's own rates say nothing); and
 * sets so's scale from rec's metadata, if it has one (PURR_EFORMAT, with
 * diag, for a value that is not a scale). */
bool purr__cli_parse_faults_scale(const char *text, double *scale);
void purr__cli_format_faults_scale(double scale, char *buf, size_t cap);
int purr__cli_meta_faults_scale(purr_recorder *r, const purr_sim *sim);
int purr__cli_recorded_faults_scale(purr_recording *rec, purr_sim_options *so,
                                    purr_diag *diag);

/* `purr sweep` (sweep.c): runs a scene once per seed in worker processes,
 * or merges shards' results (--merge). */
int purr__cli_sweep(int argc, char **argv);

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

/* The expectations' results of a replay of a scene (replay_scene.c): the
 * scene's expectations checked on the replayed run, as `purr run` checks
 * them, so that a recording is a regression test of the expectations as
 * well as of the outputs. */
typedef struct purr__expect_line {
    purr_expect_result r; /* the result (spec NULL: the scene is gone) */
    bool unjudged;        /* the replay ended before the recording did (a
                             divergence stopped it, or the recording is
                             cut) and this failure was decided by that
                             early end (a count's minimum): neither a
                             pass nor a failure */
} purr__expect_line;

typedef struct purr__replay_expects {
    bool ran;                     /* the replay's run ran: the results
                                     below are meaningful */
    size_t count;                 /* the scene's expectations */
    size_t failed;                /* of them, failed (unjudged ones not
                                     counted) */
    bool cut;                     /* the run ended before the recording's
                                     end */
    purr_time end_ns;             /* where the run ended: what came later
                                     was not checked */
    purr__expect_line *results;   /* count results (malloc'd) */
} purr__replay_expects;

/* purr_replay_scene, also filling *ex (may be NULL; zeroed first, then
 * filled when the run ran; free with purr__replay_expects_free). */
int purr__cli_replay_scene(purr_recording *rec,
                           const purr_replay_options *opts,
                           purr_replay_report *rep,
                           purr__replay_expects *ex /* out */);
void purr__replay_expects_free(purr__replay_expects *ex);

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

/* purr__cli_replay_scene with a watcher (NULL: none). */
int purr__replay_scene_watched(purr_recording *rec,
                               const purr_replay_options *opts,
                               purr_replay_report *rep,
                               purr__replay_expects *ex /* out */,
                               const purr__replay_watch *watch);

/* `purr replay --window [--speed X]`: replays rec as
 * purr__cli_replay_scene does, in a live window paced at speed (virtual s per wall s; 0: max).
 * Returns what purr_replay_scene returns; a window that cannot open is
 * bad input (rep->diag says why). */
int purr__cli_replay_window(purr_recording *rec,
                            const purr_replay_options *opts, double speed,
                            purr_replay_report *rep,
                            purr__replay_expects *ex /* out */);

/* Loads the scene a replay of rec runs: scene_path when not NULL, else the
 * recording's copy (metadata scene_text), else the file its metadata
 * `scene` names (from the current directory, then the recording's).
 * *scene (out) receives it and path (out, cap bytes) the path it goes by.
 * Returns 0, or PURR_EFORMAT / PURR_ENOENT with diag set. */
int purr__cli_recorded_scene(purr_recording *rec, const char *scene_path,
                             purr_scene **scene, char *path, size_t cap,
                             purr_diag *diag /* out */);

/* Prints diag as one line on stderr ("purr: FILE:LINE:COL: message") and
 * returns the exit status 2. */
int purr__cli_print_diag(const purr_diag *diag);

#endif /* PURR_CLI_INT_H */
