/* replay_scene.c - the simulator as a replay runner: purr_replay_scene,
 * and field-log import against a scene's sensors (purr_import_scene_log).
 *
 * The replay layer knows no scene (replay.h, purr_replay_run); this file
 * hands it a runner built on purr_sim: the scene the recording names is
 * loaded and run by the simulator exactly as `purr run` ran it (same seed,
 * shuffle seed and duration, from the metadata). Shadow mode applies when
 * the recording is a virtual-clock run of this very scene, whose inputs
 * the scene's sensors set (metadata clock, inputs and scene_hash); the
 * sensors then run again and each of their sets is replaced by the
 * recorded one. Otherwise the replay's feeder takes the sensors' place as
 * the run's first task (purr_sim_options.feed).
 *
 * Where the scene comes from (recordings stand alone): --scene when given;
 * else the scene text the recording stores (metadata scene_text, whose
 * hash is scene_hash), so a recording replays from any directory without
 * its scene file; else, for older recordings, the file the metadata
 * `scene` names, relative to the current directory or to the recording.
 */
#include "cli_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The runner's state: one scene, one simulation. */
typedef struct scene_runner {
    purr_recording *rec;     /* the recording being replayed (borrowed) */
    const purr_scene *scene; /* the scene to run (borrowed) */
    const char *scene_path;  /* its path, as the new recording names it */
    purr_sim *sim;           /* the run, between open and close */
    bool ran;                /* run was called: the expectations were
                                checked (up to where the run ended) */
    purr__replay_expects *ex; /* out: the expectations' results, taken
                                 at close (NULL: not wanted) */
    const purr__replay_watch *watch; /* --window, or NULL */
    purr_pace_fn pace;       /* with a watch: the replay's own hook */
    void *pace_ctx;
} scene_runner;

/* With a watch: its pacing hook, then the replay's. */
static void
sr_pace(purr_loop *loop, purr_time next, void *ctx)
{
    scene_runner *sr = ctx;
    sr->watch->pace(loop, next, sr->watch->pace_ctx);
    if (sr->pace)
        sr->pace(loop, next, sr->pace_ctx);
}

static void
sr_stop_posted(void *arg)
{
    scene_runner *sr = arg;
    purr_sim_stop(sr->sim);
}

static bool
sr_can_shadow(void *self, purr_recording *rec)
{
    scene_runner *sr = self;
    const char *clock = purr_recording_meta(rec, "clock");
    const char *inputs = purr_recording_meta(rec, "inputs");
    const char *hash = purr_recording_meta(rec, "scene_hash");
    char want[32];
    snprintf(want, sizeof want, "%016" PRIx64, sr->scene->hash);
    /* A run on the virtual clock (a real clock's lateness cannot be run
     * again) whose inputs the scene's sensors set (not a field log, nor a
     * feeder's replay of one), of a scene with the very bytes of this one
     * (so the sensors are those that ran). */
    return clock && strcmp(clock, "virtual") == 0 && inputs &&
           strcmp(inputs, "sensors") == 0 && hash && strcmp(hash, want) == 0;
}

static purr_loop *
sr_open(void *self, const purr_replay_plan *plan, purr_diag *diag)
{
    scene_runner *sr = self;
    purr_sim_options so = {0};
    so.has_seed = plan->has_seed;
    so.seed = plan->seed;
    so.shuffle = plan->shuffle;
    so.shuffle_seed = plan->shuffle_seed;
    if (purr__cli_recorded_faults_scale(sr->rec, &so, diag) < 0)
        return NULL;
    so.duration_ns = plan->duration_ns;
    so.feed = plan->feed;
    so.feed_arg = plan->feed_arg;
    so.input = plan->input;
    so.input_arg = plan->input_arg;
    so.pace = plan->pace;
    so.pace_ctx = plan->pace_ctx;
    if (sr->watch) {
        sr->pace = plan->pace;
        sr->pace_ctx = plan->pace_ctx;
        so.pace = sr_pace;
        so.pace_ctx = sr;
    }
    if (!(sr->sim = purr_sim_new(sr->scene, &so))) {
        purr_diag_set(diag, purr_recording_path(sr->rec), 0, 0,
                      "cannot create a loop");
        return NULL;
    }
    if (sr->watch)
        sr->watch->attach(purr_sim_loop(sr->sim), sr_stop_posted, sr,
                          sr->watch->ctx);
    return purr_sim_loop(sr->sim);
}

static int
sr_setup(void *self, purr_diag *diag)
{
    scene_runner *sr = self;
    return purr_sim_setup(sr->sim, diag);
}

static int
sr_run(void *self, purr_diag *diag)
{
    scene_runner *sr = self;
    sr->ran = true;
    return purr_sim_run(sr->sim, diag);
}

static void
sr_stop(void *self)
{
    scene_runner *sr = self;
    purr_sim_stop(sr->sim);
}

static purr_time
sr_end_time(void *self)
{
    scene_runner *sr = self;
    return purr_sim_end_time(sr->sim);
}

static int
sr_describe(void *self, purr_recorder *r, bool finished)
{
    scene_runner *sr = self;
    if (finished)
        return purr_recorder_set_meta(r, "exit_status",
                                      purr_sim_expect_failures(sr->sim)
                                          ? "1"
                                          : "0");
    char num[32];
    snprintf(num, sizeof num, "%" PRIu64, purr_sim_seed(sr->sim));
    int rc;
    if ((rc = purr__cli_meta_scene(r, sr->scene, sr->scene_path)) < 0 ||
        (rc = purr__cli_meta_plugins(r)) < 0 ||
        (rc = purr__cli_meta_faults_scale(r, sr->sim)) < 0)
        return rc;
    return purr_recorder_set_meta(r, "seed", num);
}

/* Copies the expectations' results of the run that ended into sr->ex
 * before the simulation (and the scene the results point into) goes.
 * When the run ended before the recording did (a divergence stopped it,
 * or the recording is interrupted), a failure decided at that early end
 * (a count short of its minimum) says nothing of the recorded run: it is
 * unjudged. Failures at an instant before the end stand. */
static void
take_expects(scene_runner *sr)
{
    purr__replay_expects *ex = sr->ex;
    size_t n = purr_sim_expect_count(sr->sim);
    ex->results = n ? calloc(n, sizeof *ex->results) : NULL;
    if (n && !ex->results)
        return; /* out of memory: as if not run (no lines, no verdict) */
    ex->end_ns = purr_sim_end_time(sr->sim);
    const char *end = purr_recording_meta(sr->rec, "end_ns");
    ex->cut = !purr_recording_is_complete(sr->rec) ||
              (end && strtoll(end, NULL, 10) > ex->end_ns);
    for (size_t i = 0; i < n; i++) {
        purr__expect_line *l = &ex->results[i];
        l->r = *purr_sim_expect_result(sr->sim, i);
        l->r.spec = NULL; /* the scene is freed after the run */
        l->unjudged = ex->cut && l->r.failed && l->r.at_ns >= ex->end_ns;
        if (l->r.failed && !l->unjudged)
            ex->failed++;
    }
    ex->count = n;
    ex->ran = true;
}

static void
sr_close(void *self)
{
    scene_runner *sr = self;
    if (sr->ex && sr->ran)
        take_expects(sr);
    if (sr->watch && sr->watch->detach)
        sr->watch->detach(sr->watch->ctx);
    purr_sim_free(sr->sim);
    sr->sim = NULL;
}

/* purr_scene_load of the scene file rec's metadata names: on failure the
 * message also names the recording, which is what the user gave. */
static int
load_named_scene(purr_recording *rec, const char *path, purr_scene **scene,
                 purr_diag *diag)
{
    int rc = purr_scene_load(path, scene, diag);
    if (rc < 0) {
        char msg[sizeof diag->message + 600];
        int n = snprintf(msg, sizeof msg, "%s (the scene of %s)", diag->message,
                         purr_recording_path(rec));
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len >= sizeof diag->message) /* cut, as purr_diag_set does */
            len = sizeof diag->message - 1;
        memcpy(diag->message, msg, len);
        diag->message[len] = '\0';
    }
    return rc;
}

int
purr__cli_recorded_scene(purr_recording *rec, const char *scene_path,
                         purr_scene **scene, char *path, size_t cap,
                         purr_diag *diag)
{
    const char *file = purr_recording_path(rec);
    if (scene_path) {
        snprintf(path, cap, "%s", scene_path);
        return purr_scene_load(path, scene, diag);
    }
    const char *meta = purr_recording_meta(rec, "scene");
    const char *text = purr_recording_meta(rec, "scene_text");
    if (text) {
        snprintf(path, cap, "%s", meta && meta[0] ? meta : "scene");
        /* Diagnostics name the recording's copy, not a file that may not
         * exist here. */
        char where[600];
        snprintf(where, sizeof where, "%s (scene_text of %s)", path, file);
        /* Its plug-ins are loaded already (the recorded ones, or
         * --load): the load: key's paths were relative to a file that
         * may not be here. */
        return purr_scene_parse_flags(text, strlen(text), where,
                                      PURR_SCENE_NO_LOAD, scene, diag);
    }
    if (!meta || !meta[0]) {
        purr_diag_set(diag, file, 0, 0,
                      "the recording names no scene (metadata 'scene'); "
                      "give one with --scene");
        return PURR_EFORMAT;
    }
    snprintf(path, cap, "%s", meta);
    if (meta[0] == '/' || access(path, R_OK) == 0)
        return load_named_scene(rec, path, scene, diag);
    const char *slash = strrchr(file, '/');
    if (slash) {
        snprintf(path, cap, "%.*s/%s", (int)(slash - file), file, meta);
        if (access(path, R_OK) == 0)
            return load_named_scene(rec, path, scene, diag);
    }
    purr_diag_set(diag, file, 0, 0,
                  "the recording's scene %s is not found (from the current "
                  "directory or the recording's); give one with --scene",
                  meta);
    return PURR_ENOENT;
}

int
purr_replay_scene(purr_recording *rec, const purr_replay_options *opts,
                  purr_replay_report *rep)
{
    return purr__cli_replay_scene(rec, opts, rep, NULL);
}

void
purr__replay_expects_free(purr__replay_expects *ex)
{
    if (!ex)
        return;
    free(ex->results);
    memset(ex, 0, sizeof *ex);
}

int
purr__cli_replay_scene(purr_recording *rec, const purr_replay_options *opts,
                       purr_replay_report *rep, purr__replay_expects *ex)
{
    return purr__replay_scene_watched(rec, opts, rep, ex, NULL);
}

int
purr__replay_scene_watched(purr_recording *rec, const purr_replay_options *opts,
                           purr_replay_report *rep, purr__replay_expects *ex,
                           const purr__replay_watch *watch)
{
    if (ex)
        memset(ex, 0, sizeof *ex);
    purr_replay_options none = {0};
    if (!opts)
        opts = &none;
    purr_scene *scene = NULL;
    char path[512];
    memset(&rep->diag, 0, sizeof rep->diag);
    int rc = purr__cli_recorded_scene(rec, opts->scene_path, &scene, path,
                                      sizeof path, &rep->diag);
    if (rc < 0) {
        purr_diag diag = rep->diag;
        memset(rep, 0, sizeof *rep);
        rep->diag = diag;
        snprintf(rep->file, sizeof rep->file, "%s", purr_recording_path(rec));
        if (!rep->diag.file[0])
            snprintf(rep->diag.file, sizeof rep->diag.file, "%s", rep->file);
        rep->outcome = PURR_REPLAY_ERROR;
        return rc;
    }
    scene_runner sr = {
        .rec = rec, .scene = scene, .scene_path = path, .ex = ex,
        .watch = watch};
    purr_replay_runner runner = {
        .self = &sr,
        .can_shadow = sr_can_shadow,
        .open = sr_open,
        .setup = sr_setup,
        .run = sr_run,
        .stop = sr_stop,
        .end_time = sr_end_time,
        .describe = sr_describe,
        .close = sr_close,
        .missing_input_msg = "is not in the scene",
    };
    rc = purr_replay_run(rec, &runner, opts, rep);
    purr_scene_free(scene);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Import against a scene                                                  */
/* ---------------------------------------------------------------------- */

int
purr_import_scene_log(const char *log_path, const char *out_db,
                      const char *scene_path, const purr_import_options *opts,
                      purr_diag *diag)
{
    /* Neither over the log nor over the scene (purr_import_log checks
     * the log again, and the rest). */
    const char *reads[] = {log_path, scene_path};
    int rc = purr_output_check(out_db, reads, 2, PURR_OUTPUT_RECORDING,
                               opts && opts->overwrite, diag);
    if (rc < 0)
        return rc;
    /* Only the sensors matter here: the behaviours (maybe a team's, in a
     * plug-in the replay will load) need not be known, nor plug-ins
     * loaded. */
    purr_scene *scene = NULL;
    rc = purr_scene_load_flags(scene_path,
                               PURR_SCENE_NO_LOAD | PURR_SCENE_ANY_BEHAVIOUR,
                               &scene, diag);
    if (rc < 0)
        return rc;
    purr_import_input *inputs =
        calloc(scene->sensor_count + 1, sizeof *inputs);
    if (!inputs) {
        purr_scene_free(scene);
        return PURR_ENOMEM;
    }
    for (size_t i = 0; i < scene->sensor_count; i++)
        inputs[i] = (purr_import_input){scene->sensors[i].name,
                                        scene->sensors[i].type,
                                        scene->sensors[i].initial};
    char hash[32], seed[32], source[600];
    snprintf(hash, sizeof hash, "%016" PRIx64, scene->hash);
    snprintf(seed, sizeof seed, "%" PRIu64, scene->seed);
    snprintf(source, sizeof source, "scene %s", scene_path);
    const char *meta[] = {"scene", scene_path, "scene_hash", hash,
                          "seed",  seed,       "scene_text", scene->text,
                          NULL};
    purr_import_schema schema = {.source = source,
                                 .inputs = inputs,
                                 .count = scene->sensor_count,
                                 .meta = meta};
    rc = purr_import_log(log_path, out_db, &schema, opts, diag);
    free(inputs);
    purr_scene_free(scene);
    return rc;
}
