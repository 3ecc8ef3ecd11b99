/* scene.c - purr_replay_scene: re-run a recorded scene with its inputs.
 *
 * The harness that `purr replay` uses: the scene the recording names is
 * loaded and run by the simulator exactly as `purr run` ran it (same
 * seed, shuffle seed and duration, from the metadata), in one of two
 * modes (docs/recording.md, "Replay"):
 *
 * - shadow mode, when the recording is a virtual-clock run of this very
 *   scene file whose inputs the scene's sensors set (metadata clock,
 *   inputs and scene_hash): the sensor tasks run again, as they did, and
 *   each of their sets is replaced by the recorded one (session.c). The
 *   run then holds the recorded run's tasks, so a shuffled schedule
 *   (--shuffle-seed) permutes the same batches and replays exactly.
 * - feeder mode, for every other recording (an imported field log, a
 *   real-time run, a changed scene): the sensors do not run, and the
 *   session's feeder takes their place as the run's first task
 *   (purr_sim_options.feed) and sets the recorded inputs at their
 *   recorded times.
 *
 * Either way the session's observer compares the transitions with the
 * recording. A difference stops the simulation there (purr_sim_stop),
 * unless the replayed run is being recorded, which then goes on to the
 * end so that the new recording is whole.
 *
 * Metadata problems (no scene, a seed that is not a number) are bad input
 * and are reported in the report's diag naming the recording.
 */
#include "replay_int.h"

#include <purr/sim.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The session's stop function: ends the simulation now. */
static void
stop_sim(void *ctx)
{
    purr_sim_stop(ctx);
}

/* Reads the unsigned metadata key into *out; absent leaves *present false.
 * Returns 0 or PURR_EFORMAT with rep->diag set. */
static int
meta_u64(purr_recording *rec, const char *key, bool *present,
         uint64_t *out /* out */, purr_replay_report *rep)
{
    const char *s = purr_recording_meta(rec, key);
    *present = s != NULL;
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno == ERANGE) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "metadata %s is '%s', not an unsigned integer", key, s);
        return PURR_EFORMAT;
    }
    *out = v;
    return 0;
}

/* Finds the scene file: the option, else the metadata path as it is
 * (relative to the current directory), else relative to the recording's
 * directory. path (out) receives it. Returns 0, or PURR_EFORMAT /
 * PURR_ENOENT with rep->diag set. */
static int
scene_path(purr_recording *rec, const purr_replay_options *opts,
           char *path, size_t cap, purr_replay_report *rep)
{
    if (opts->scene_path) {
        snprintf(path, cap, "%s", opts->scene_path);
        return 0;
    }
    const char *meta = purr_recording_meta(rec, "scene");
    if (!meta || !meta[0]) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "the recording names no scene (metadata 'scene'); "
                      "give one with --scene");
        return PURR_EFORMAT;
    }
    snprintf(path, cap, "%s", meta);
    if (meta[0] == '/' || access(path, R_OK) == 0)
        return 0;
    const char *file = purr_recording_path(rec);
    const char *slash = strrchr(file, '/');
    if (slash) {
        snprintf(path, cap, "%.*s/%s", (int)(slash - file), file, meta);
        if (access(path, R_OK) == 0)
            return 0;
    }
    purr_diag_set(&rep->diag, rep->file, 0, 0,
                  "the recording's scene %s is not found (from the current "
                  "directory or the recording's); give one with --scene",
                  meta);
    return PURR_ENOENT;
}

/* True when rec can be replayed in shadow mode with scene: a run on the
 * virtual clock (a real clock's lateness cannot be run again) whose inputs
 * the scene's sensors set (not a field log, nor a feeder's replay of
 * one), of a scene file with the very bytes of this one (so the sensors
 * are those that ran). */
static bool
shadow_applies(purr_recording *rec, const purr_scene *scene)
{
    const char *clock = purr_recording_meta(rec, "clock");
    const char *inputs = purr_recording_meta(rec, "inputs");
    const char *hash = purr_recording_meta(rec, "scene_hash");
    char want[32];
    snprintf(want, sizeof want, "%016" PRIx64, scene->hash);
    return clock && strcmp(clock, "virtual") == 0 && inputs &&
           strcmp(inputs, "sensors") == 0 && hash && strcmp(hash, want) == 0;
}

/* Opens the recorder of the replayed run on sim's loop with its metadata.
 * Returns it, or NULL with rep->diag set. */
static purr_recorder *
open_recorder(purr_recording *rec, const purr_replay_options *opts,
              const char *path, const purr_scene *scene, purr_sim *sim,
              const purr_sim_options *so, bool shadow,
              purr_replay_report *rep)
{
    purr_recorder_options ro = {.overwrite = opts->overwrite};
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    purr_recorder *r = purr_recorder_open(opts->record_path, &ro, &diag);
    char num[32], hash[32];
    snprintf(num, sizeof num, "%" PRIu64, purr_sim_seed(sim));
    snprintf(hash, sizeof hash, "%016" PRIx64, scene->hash);
    /* In shadow mode the new recording's inputs were set by the sensor
     * tasks, as purr run's are, so it can be replayed in shadow mode in
     * turn; a feeder's run must be replayed by a feeder. */
    if (!r || purr_recorder_attach(r, purr_sim_loop(sim)) < 0 ||
        purr_recorder_set_meta(r, "scene", path) < 0 ||
        purr_recorder_set_meta(r, "scene_hash", hash) < 0 ||
        purr_recorder_set_meta(r, "inputs",
                               shadow ? "sensors" : "recording") < 0 ||
        purr_recorder_set_meta(r, "seed", num) < 0 ||
        purr_recorder_set_meta(r, "created_by", "purr replay") < 0 ||
        purr_recorder_set_meta(r, "replay_of", purr_recording_path(rec)) <
            0) {
        if (r)
            purr_recorder_close(r, &diag);
        rep->diag = diag;
        return NULL;
    }
    if (so->shuffle) {
        snprintf(num, sizeof num, "%" PRIu64, so->shuffle_seed);
        purr_recorder_set_meta(r, "shuffle_seed", num);
    }
    return r;
}

int
purr_replay_scene(purr_recording *rec, const purr_replay_options *opts,
                  purr_replay_report *rep)
{
    purr_replay_options none = {0};
    if (!opts)
        opts = &none;
    purr__replay r;
    purr__replay_cfg cfg = {.run_on = opts->record_path != NULL,
                            .missing_input_msg = "is not in the scene"};
    const char *clock = purr_recording_meta(rec, "clock");
    cfg.late_ok = clock && strcmp(clock, "real") == 0;
    int rc = purr__replay_load(&r, rec, &cfg, rep);
    purr_scene *scene = NULL;
    purr_sim *sim = NULL;
    purr_recorder *recorder = NULL;
    char path[512];
    if (rc < 0)
        goto error;
    r.cfg.compare = r.nexp > 0;
    if (opts->check && !r.cfg.compare) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "holds only inputs (an imported log?): nothing to "
                      "check; make a baseline with --record");
        rc = PURR_EFORMAT;
        goto error;
    }

    /* The recorded options. */
    purr_sim_options so = {0};
    bool present;
    uint64_t end_ns = 0;
    if ((rc = meta_u64(rec, "seed", &so.has_seed, &so.seed, rep)) < 0 ||
        (rc = meta_u64(rec, "shuffle_seed", &so.shuffle, &so.shuffle_seed,
                       rep)) < 0 ||
        (rc = meta_u64(rec, "end_ns", &present, &end_ns, rep)) < 0)
        goto error;
    if (end_ns > (uint64_t)INT64_MAX) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "metadata end_ns is beyond int64 ns");
        rc = PURR_EFORMAT;
        goto error;
    }
    so.duration_ns = (purr_time)end_ns; /* 0: the scene's */

    if ((rc = scene_path(rec, opts, path, sizeof path, rep)) < 0)
        goto error;
    if ((rc = purr_scene_load(path, &scene, &rep->diag)) < 0)
        goto error;
    /* With nothing to compare (inputs only) there is no run to shadow. */
    r.cfg.shadow = r.cfg.compare && shadow_applies(rec, scene);
    rep->shadow = r.cfg.shadow;
    if (r.cfg.shadow) {
        so.input = purr__replay_sensor_set;
        so.input_arg = &r;
        so.pace = purr__replay_pace;
        so.pace_ctx = &r;
    } else {
        so.feed = purr__replay_feeder;
        so.feed_arg = &r;
    }
    if (!(sim = purr_sim_new(scene, &so))) {
        purr_diag_set(&rep->diag, rep->file, 0, 0, "cannot create a loop");
        rc = PURR_ENOMEM;
        goto error;
    }
    r.cfg.stop = stop_sim;
    r.cfg.stop_ctx = sim;
    /* Both before setup, so they see every value being created. */
    purr__replay_observe(&r, purr_sim_loop(sim));
    if (opts->record_path &&
        !(recorder = open_recorder(rec, opts, path, scene, sim, &so,
                                   r.cfg.shadow, rep))) {
        rc = PURR_EIO;
        goto error;
    }
    if ((rc = purr_sim_setup(sim, &rep->diag)) < 0)
        goto error;
    /* The feeder checks the inputs first thing; without it, check them
     * now that the values exist, before virtual time starts. */
    if (r.cfg.shadow && (rc = purr__replay_check_inputs(&r)) < 0)
        goto error;
    purr_diag run_diag;
    memset(&run_diag, 0, sizeof run_diag);
    rc = purr_sim_run(sim, &run_diag);
    /* A behaviour that fails ends the run, in the recording as in the
     * replay: the transitions say whether the two runs agree. Only the
     * feeder's failures (bad input) are errors of the replay. */
    if (rc < 0 && !r.feed_err)
        rc = 0;
    if (recorder) {
        char num[32];
        snprintf(num, sizeof num, "%" PRId64, purr_sim_end_time(sim));
        purr_recorder_set_meta(recorder, "end_ns", num);
        purr_recorder_set_meta(recorder, "exit_status",
                               purr_sim_expect_failures(sim) ? "1" : "0");
        purr_diag diag;
        memset(&diag, 0, sizeof diag);
        int rrc = purr_recorder_close(recorder, &diag);
        recorder = NULL;
        if (rrc < 0 && !r.feed_err) {
            rep->diag = diag;
            rc = rrc;
            goto error;
        }
    }
    rc = purr__replay_finish(&r, rc);
    purr_sim_free(sim);
    purr_scene_free(scene);
    purr__replay_free(&r);
    return rc;

error:
    rep->outcome = PURR_REPLAY_ERROR;
    if (!rep->diag.file[0])
        snprintf(rep->diag.file, sizeof rep->diag.file, "%s", rep->file);
    purr_recorder_close(recorder, NULL); /* before the sim frees the loop */
    purr_sim_free(sim);
    purr_scene_free(scene);
    purr__replay_free(&r);
    return rc;
}
