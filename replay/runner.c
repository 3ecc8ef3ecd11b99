/* runner.c - purr_replay_run: replay a recording through a runner.
 *
 * The harness behind `purr replay`, with everything that depends on how a
 * run is built left to the runner it is handed (replay.h): the simulator's
 * runner (purr_replay_scene, cli.h) loads a scene, and a team's own runner
 * may build its run any other way. What this file decides, from the
 * recording alone:
 *
 * - the recorded options: seed, shuffle seed and duration (metadata seed,
 *   shuffle_seed, end_ns);
 * - the mode (docs/recording.md, "Replay"): shadow mode when the runner
 *   says the recording's input tasks are its own (can_shadow) and there is
 *   something to compare; feeder mode otherwise;
 * - the comparison: the session's observer (session.c) compares every
 *   transition with the recording and stops the run at the first
 *   difference (runner->stop), unless the replayed run is being recorded,
 *   which then goes on to the end so that the new recording is whole.
 *
 * - the cut: an interrupted recording (its run was killed) is replayed
 *   up to its last kept transition only (cut_ns + 1 ns, instead of end_ns),
 *   and always compared, since the killed run made outputs the prefix may
 *   not have kept yet.
 *
 * Metadata problems (a seed that is not a number) are bad input, reported
 * in the report's diag naming the recording.
 */
#include "replay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Opens the recorder of the replayed run on loop with the runner's
 * metadata and the replay's own. Returns it, or NULL with rep->diag set. */
static purr_recorder *
open_recorder(purr_recording *rec, const purr_replay_options *opts,
              const purr_replay_runner *runner, purr_loop *loop,
              const purr_replay_plan *plan, purr_replay_report *rep)
{
    purr_recorder_options ro = {.overwrite = opts->overwrite};
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    purr_recorder *r = purr_recorder_open(opts->record_path, &ro, &diag);
    char num[32];
    /* In shadow mode the new recording's inputs were set by the run's own
     * input tasks, as purr run's are, so it can be replayed in shadow mode
     * in turn; a feeder's run must be replayed by a feeder. */
    if (!r || purr_recorder_attach(r, loop) < 0 ||
        (runner->describe && runner->describe(runner->self, r, false) < 0) ||
        purr_recorder_set_meta(r, "inputs",
                               plan->shadow ? "sensors" : "recording") < 0 ||
        purr_recorder_set_meta(r, "created_by", "purr replay") < 0 ||
        purr_recorder_set_meta(r, "replay_of", purr_recording_path(rec)) <
            0) {
        if (r)
            purr_recorder_close(r, &diag);
        rep->diag = diag;
        /* An existing file without overwrite is the caller's to fix; any
         * other failure is an output that could not be written. */
        bool exists =
            !r && !opts->overwrite && access(opts->record_path, F_OK) == 0;
        rep->output_failed = !exists;
        return NULL;
    }
    if (plan->shuffle) {
        snprintf(num, sizeof num, "%" PRIu64, plan->shuffle_seed);
        purr_recorder_set_meta(r, "shuffle_seed", num);
    }
    return r;
}

/* The session's stop function: asks the runner to end its run now. */
static void
stop_run(void *ctx)
{
    const purr_replay_runner *runner = ctx;
    runner->stop(runner->self);
}

int
purr_replay_run(purr_recording *rec, const purr_replay_runner *runner,
                const purr_replay_options *opts, purr_replay_report *rep)
{
    purr_replay_options none = {0};
    if (!opts)
        opts = &none;
    purr__replay r;
    purr__replay_cfg cfg = {.run_on = opts->record_path != NULL,
                            .missing_input_msg = runner->missing_input_msg};
    const char *clock = purr_recording_meta(rec, "clock");
    cfg.late_ok = clock && strcmp(clock, "real") == 0;
    /* Shadow mode looks ahead among the inputs: they are loaded when it
     * may apply, and read as the feeder goes when it cannot. */
    bool can_shadow = runner->can_shadow &&
                      runner->can_shadow(runner->self, rec);
    cfg.stream_inputs = !can_shadow;
    int rc = purr__replay_load(&r, rec, &cfg, rep);
    purr_loop *loop = NULL;
    purr_recorder *recorder = NULL;
    if (rc < 0)
        goto error;
    /* An interrupted recording that kept only inputs is a run of
     * behaviours all the same: outputs made before the cut are extra. So
     * is a recording the recorder made of a live run (clock virtual or
     * real, not an import's "imported") in which the behaviours made no
     * output: the replay must make none either (e.g. a shrunk recording,
     * cut before the behaviours did anything). */
    const char *made = purr_recording_meta(rec, "clock");
    bool run = made && (strcmp(made, "virtual") == 0 ||
                        strcmp(made, "real") == 0);
    r.cfg.compare = r.nexp > 0 || rep->interrupted || run;
    if (opts->check && !r.cfg.compare) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "holds only inputs (an imported log?): nothing to "
                      "check; make a baseline with --record");
        rc = PURR_EFORMAT;
        goto error;
    }

    /* The recorded options. */
    purr_replay_plan plan;
    memset(&plan, 0, sizeof plan);
    bool present;
    uint64_t end_ns = 0;
    if ((rc = meta_u64(rec, "seed", &plan.has_seed, &plan.seed, rep)) < 0 ||
        (rc = meta_u64(rec, "shuffle_seed", &plan.shuffle,
                       &plan.shuffle_seed, rep)) < 0 ||
        (rc = meta_u64(rec, "end_ns", &present, &end_ns, rep)) < 0)
        goto error;
    if (end_ns > (uint64_t)INT64_MAX) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "metadata end_ns is beyond int64 ns");
        rc = PURR_EFORMAT;
        goto error;
    }
    plan.duration_ns = (purr_time)end_ns; /* 0: the runner's own */
    /* Not past the cut: the recording says nothing of what came after it
     * (+ 1 ns: never 0, which would mean the runner's own duration). */
    if (rep->interrupted)
        plan.duration_ns = rep->cut_ns + 1;

    /* With nothing to compare (inputs only) there is no run to shadow. */
    r.cfg.shadow = r.cfg.compare && can_shadow;
    rep->shadow = r.cfg.shadow;
    plan.shadow = r.cfg.shadow;
    if (r.cfg.shadow) {
        plan.input = purr__replay_sensor_set;
        plan.input_arg = &r;
        plan.pace = purr__replay_pace;
        plan.pace_ctx = &r;
    } else {
        plan.feed = purr__replay_feeder;
        plan.feed_arg = &r;
    }
    if (!(loop = runner->open(runner->self, &plan, &rep->diag))) {
        if (!rep->diag.message[0])
            purr_diag_set(&rep->diag, rep->file, 0, 0,
                          "cannot create the run");
        rc = PURR_EFORMAT;
        goto error;
    }
    r.cfg.stop = stop_run;
    r.cfg.stop_ctx = (void *)runner;
    /* Both before setup, so they see every value being created. */
    purr__replay_observe(&r, loop);
    if (opts->record_path &&
        !(recorder = open_recorder(rec, opts, runner, loop, &plan, rep))) {
        rc = PURR_EIO;
        goto error;
    }
    if ((rc = runner->setup(runner->self, &rep->diag)) < 0)
        goto error;
    /* Check the inputs (and the values' roles) now that the values exist,
     * before virtual time starts; the feeder checks them again first
     * thing. */
    if ((rc = purr__replay_check_inputs(&r)) < 0)
        goto error;
    purr_diag run_diag;
    memset(&run_diag, 0, sizeof run_diag);
    rc = runner->run(runner->self, &run_diag);
    /* A behaviour that fails ends the run, in the recording as in the
     * replay: the transitions say whether the two runs agree. Only the
     * feeder's failures (bad input) are errors of the replay. */
    if (rc < 0 && !r.feed_err)
        rc = 0;
    if (recorder) {
        char num[32];
        snprintf(num, sizeof num, "%" PRId64,
                 runner->end_time(runner->self));
        purr_recorder_set_meta(recorder, "end_ns", num);
        if (runner->describe)
            runner->describe(runner->self, recorder, true);
        purr_diag diag;
        memset(&diag, 0, sizeof diag);
        int rrc = purr_recorder_close(recorder, &diag);
        recorder = NULL;
        if (rrc < 0 && !r.feed_err) {
            rep->diag = diag;
            rep->output_failed = true;
            rc = rrc;
            goto error;
        }
    }
    rc = purr__replay_finish(&r, rc);
    runner->close(runner->self);
    purr__replay_free(&r);
    return rc;

error:
    rep->outcome = PURR_REPLAY_ERROR;
    if (!rep->diag.file[0])
        snprintf(rep->diag.file, sizeof rep->diag.file, "%s", rep->file);
    purr_recorder_close(recorder, NULL); /* before the run frees the loop */
    if (loop)
        runner->close(runner->self);
    purr__replay_free(&r);
    return rc;
}
