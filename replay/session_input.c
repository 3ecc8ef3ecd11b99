/* session_input.c - the recorded inputs put back into the replay: checked
 * against the run's values, then set at their times.
 *
 * In feeder mode the feeder task (session.c) checks first that every
 * input value the recording sets exists in the run as an input of the
 * recorded type (purr__replay_check_inputs), then sets each input at its
 * recorded time (purr__replay_feed): from its own task, or posted when
 * the recorded run had it posted from outside any task.
 *
 * In shadow mode there is no feeder: the recorded run's own input tasks
 * run again and each of their sets goes through purr__replay_sensor_set,
 * which sets the recorded datum instead of the reading when the next
 * recorded transition is that set; the inputs posted from outside any
 * task are posted again from the virtual clock's pacing hook
 * (purr__replay_pace), which adds no task. A set the recording does not
 * hold is left to the comparison (session.c) to report as the first
 * difference.
 */
#include "session_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Feeding                                                                 */
/* ---------------------------------------------------------------------- */

/* Fails the feed with a message about input row in (bad input). */
static int
feed_fail(purr__replay *r, const purr__in_row *in, int rc, const char *fmt,
          const char *name, const char *detail)
{
    char msg[sizeof r->rep->diag.message];
    snprintf(msg, sizeof msg, fmt, name, detail);
    purr_diag_set(&r->rep->diag, r->rep->file, (long)in->seq, 0,
                  "transition %" PRIu64 ": %s", in->seq, msg);
    return r->feed_err = rc;
}

/* Checks that input row in sets a value of the run's that is an input of
 * the recorded type. Returns 0, or PURR_EFORMAT with rep->diag set. */
static int
check_input(purr__replay *r, const purr__in_row *in, const char *missing)
{
    const purr_recorded_value *rv =
        purr_recording_value_at(r->rec, in->vidx);
    purr_value *v = r->by_vidx[in->vidx];
    if (!v)
        return feed_fail(r, in, PURR_EFORMAT, "input value %s %s",
                         rv->name, missing);
    if (purr_value_role(v) != PURR_ROLE_INPUT)
        return feed_fail(r, in, PURR_EFORMAT,
                         "input value %s is %s in the replay", rv->name,
                         purr_role_name(purr_value_role(v)));
    purr_type t = purr_value_type(v);
    if (t != PURR_T_NIL && t != (purr_type)in->d.type)
        return feed_fail(r, in, PURR_EFORMAT,
                         "input value %s: the recording sets a %s, the "
                         "replay's value is another type",
                         rv->name,
                         purr_type_name((purr_type)in->d.type));
    return 0;
}

/* purr__replay_check_inputs in streaming mode, from what the load noted:
 * the first input (in seq order) of each value and datum type. The one
 * reported is the first input that fails, as when the inputs are loaded. */
static int
check_streamed_inputs(purr__replay *r, const char *missing)
{
    size_t nvalues = purr_recording_value_count(r->rec);
    purr__in_row worst = {0};
    for (size_t vidx = 0; vidx < nvalues; vidx++) {
        purr_value *v = r->by_vidx[vidx];
        for (unsigned t = 0; t < 8; t++) {
            uint64_t seq = r->in_first[vidx][t];
            if (seq == 0 || (worst.seq && worst.seq < seq))
                continue;
            purr_type vt = v ? purr_value_type(v) : PURR_T_NIL;
            if (v && purr_value_role(v) == PURR_ROLE_INPUT &&
                (vt == PURR_T_NIL || vt == (purr_type)t))
                continue;
            worst = (purr__in_row){.seq = seq, .vidx = (uint32_t)vidx};
            worst.d.type = (uint8_t)t;
        }
    }
    return worst.seq ? check_input(r, &worst, missing) : 0;
}

/* Checked before anything is fed: a recording of another scene is bad
 * input, found at once rather than mid-run. */
int
purr__replay_check_inputs(purr__replay *r)
{
    const char *missing = r->cfg.missing_input_msg
                              ? r->cfg.missing_input_msg
                              : "was not created by the behaviour's setup";
    if (r->feed_err) /* a value of another role (check_role) */
        return r->feed_err;
    if (r->cfg.stream_inputs)
        return check_streamed_inputs(r, missing);
    /* What is checked depends only on the value and the datum's type:
     * bit t of passed[vidx] says that a set of vidx to a datum of type t
     * passed, so that the next ones are not checked again. */
    size_t nvalues = purr_recording_value_count(r->rec);
    uint8_t *passed = xrealloc(NULL, nvalues + 1);
    memset(passed, 0, nvalues + 1);
    int rc = 0;
    for (size_t i = 0; i < r->nin && rc == 0; i++) {
        const purr__in_row *in = &r->in[i];
        unsigned bit = 1u << (in->d.type & 7);
        if (passed[in->vidx] & bit)
            continue;
        passed[in->vidx] |= (uint8_t)bit;
        rc = check_input(r, in, missing);
    }
    free(passed);
    return rc;
}

/* A recorded input that was set from outside any task (a window's click,
 * another thread's post) is replayed the same way: posted, so it lands
 * when the loop next goes idle at that instant, after the tasks woken
 * before it have run, exactly as it did when it was recorded. */
typedef struct posted_set {
    purr_value *v;           /* the input */
    const purr_datum *d;     /* the recorded datum */
    int rc;                  /* purr_value_set's result */
    purr_event done;         /* set once the post ran */
} posted_set;

static void
run_posted_set(void *arg)
{
    posted_set *ps = arg;
    ps->rc = purr_value_set(ps->v, ps->d);
    purr_event_set(&ps->done);
}

static int
set_input(purr__replay *r, const purr__in_row *in)
{
    purr_value *v = r->by_vidx[in->vidx];
    if (!in->posted)
        return purr_value_set(v, &in->d);
    posted_set ps = {v, &in->d, 0, {0}};
    purr_event_init(&ps.done);
    int rc = purr_loop_post(purr_value_loop(v), run_posted_set, &ps);
    if (rc < 0)
        return rc;
    /* The post holds a pointer to ps: wait for it even if cancelled. */
    purr_scope shield;
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    rc = purr_event_wait(&ps.done);
    purr_scope_exit(&shield);
    return rc < 0 ? rc : ps.rc;
}

/* Checkpoint (it sleeps until the input's time): see session_int.h. */
int
purr__replay_feed(purr__replay *r, const purr__in_row *in)
{
    int rc;
    if (in->time_ns > purr_now() && (rc = purr_sleep_until(in->time_ns)) < 0)
        return rc;
    if ((rc = set_input(r, in)) < 0) {
        const char *name = purr_recording_value_at(r->rec, in->vidx)->name;
        return feed_fail(r, in, rc, "input value %s: cannot set the "
                                    "recorded datum: %s",
                         name, purr_strerror(rc));
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Shadow mode: substituting the recorded inputs                           */
/* ---------------------------------------------------------------------- */

void
purr__replay_sensor_set(purr_value *input, const purr_datum *reading,
                        void *arg)
{
    purr__replay *r = arg;
    /* A reading equal to the current datum is no transition, so there is
     * no recorded one to take its place: the set is left out, as
     * purr_value_set would. */
    if (purr_datum_equal(purr_value_peek(input), reading))
        return;
    const purr__in_row *in = NULL;
    const purr__exp_row *e;
    if (!r->stopped)
        next_row(r, &in, &e);
    if (in && (int64_t)in->vidx == vidx_of(r, input) &&
        in->time_ns == purr_now() &&
        in->task_id == purr_task_id(purr_task_current())) {
        purr_value_set(input, &in->d);
        return;
    }
    /* The tasks set this input where the recording does not: the reading
     * is set, and the observer reports the transition as the first
     * difference (after it, with run_on, the readings drive the run). */
    purr_value_set(input, reading);
}

/* The next recorded transition when it is an input posted from outside
 * any task at the current time, else NULL. */
static const purr__in_row *
next_posted(const purr__replay *r)
{
    const purr__in_row *in;
    const purr__exp_row *e;
    if (r->stopped)
        return NULL;
    next_row(r, &in, &e);
    return in && in->posted && in->time_ns == purr_now() ? in : NULL;
}

/* Posted by the pacing hook: sets the recorded posted inputs due now, in
 * seq order, for as long as the next recorded transition is one. The
 * transitions a set makes at once (derived values) come in between, as
 * they did when the window's posts ran one after the other. */
static void
run_posted(void *arg)
{
    purr__replay *r = arg;
    const purr__in_row *in;
    while ((in = next_posted(r)) != NULL) {
        size_t before = r->ipos;
        purr_value *v = r->by_vidx[in->vidx];
        purr_value_set(v, &in->d);
        if (r->ipos == before && !r->stopped) {
            /* No transition: the replay's value already holds the datum,
             * so the recorded run's state was another. */
            r->rep->has_expected = r->rep->has_actual = true;
            purr__replay_input_row(r, &r->rep->expected_row, in);
            purr__replay_row_set(&r->rep->actual_row, 0, purr_now(),
                                 purr_value_name(v), purr_value_peek(v));
            stop(r, PURR_REPLAY_DIFFERENT);
        }
    }
}

void
purr__replay_pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    (void)next_deadline;
    /* Every task is blocked and the posts run right after this hook, before
     * time moves: the moment the window posted the user's input. A post
     * that cannot be made (out of memory) leaves the input unset, and the
     * next transition is then reported as a difference. */
    if (next_posted(ctx))
        (void)purr_loop_post(loop, run_posted, ctx);
}
