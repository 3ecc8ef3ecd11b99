/* check.c - purr_replay_check: re-run a behaviour given as functions.
 *
 * The harness around the shared session (session.c): a fresh virtual-clock
 * loop starting at the recording's start_ns, whose main task enters a
 * cancel scope with the recording's end_ns as deadline, calls the target's
 * setup (which creates the values), then runs one nursery whose body
 * spawns the feeder first and then runs the behaviour's body. The first
 * difference cancels that scope, so the run stops there.
 */
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct check {
    purr__replay r;                  /* the session */
    const purr_replay_target *target;
    purr_loop *loop;                 /* the replay loop */
    purr_scope scope;                /* the run's outer scope */
} check;

/* The session's stop function: cancels the run's outer scope. */
static void
stop_check(void *ctx)
{
    check *c = ctx;
    purr_scope_cancel(&c->scope);
}

static int
body(purr_nursery *n, void *arg)
{
    check *c = arg;
    int rc = purr_spawn(n, "purr-replay-feeder", purr__replay_feeder, &c->r);
    if (rc < 0)
        return rc;
    return c->target->behaviour(n, c->target->arg);
}

static int
replay_main(void *arg)
{
    check *c = arg;
    purr_time deadline = c->target->deadline_ns;
    const char *end = purr_recording_meta(c->r.rec, "end_ns");
    if (deadline <= 0)
        deadline = end ? strtoll(end, NULL, 10) : PURR_TIME_NEVER;
    /* An interrupted recording says nothing past its last transition. */
    if (c->r.rep->interrupted)
        deadline = c->r.rep->cut_ns + 1;

    purr_scope_enter(&c->scope, deadline);
    int rc = 0;
    if (c->target->setup)
        rc = c->target->setup(c->loop, c->target->arg);
    if (rc == 0)
        rc = purr_nursery_run(body, c);
    purr_scope_exit(&c->scope);
    /* The deadline, or the stop function, ends the run: not a failure. */
    if (rc == PURR_ECANCELED && c->scope.cancel_called)
        rc = 0;
    return rc;
}

int
purr_replay_check(purr_recording *rec, const purr_replay_target *target,
                  purr_replay_report *rep)
{
    check c;
    memset(&c, 0, sizeof c);
    c.target = target;
    /* Always feeder mode: the inputs are read as the feeder goes. */
    purr__replay_cfg cfg = {.compare = true, .stream_inputs = true,
                            .stop = stop_check, .stop_ctx = &c};
    int rc = purr__replay_load(&c.r, rec, &cfg, rep);
    if (rc < 0) {
        rep->outcome = PURR_REPLAY_ERROR;
        purr__replay_free(&c.r);
        return rc;
    }
    const char *start = purr_recording_meta(rec, "start_ns");
    purr_loop_options lo = {.clock = PURR_CLOCK_VIRTUAL};
    if (start)
        lo.start_time = strtoll(start, NULL, 10);
    if (!(c.loop = purr_loop_new(&lo))) {
        rep->outcome = PURR_REPLAY_ERROR;
        purr_diag_set(&rep->diag, rep->file, 0, 0, "cannot create a loop");
        purr__replay_free(&c.r);
        return PURR_ENOMEM;
    }
    purr__replay_observe(&c.r, c.loop);
    rc = purr_run(c.loop, "purr-replay", replay_main, &c);
    if (target->teardown)
        target->teardown(target->arg);
    purr_loop_close(c.loop);
    rc = purr__replay_finish(&c.r, rc);
    purr__replay_free(&c.r);
    return rc;
}
