/* replay_int.h - private declarations shared by the replay's files.
 *
 * The session holds what every replay harness shares, in four files:
 * session_load.c loads a recording; session.c reads it again as the run
 * goes, compares the transitions (the observer and the tap) and runs the
 * feeder task; session_input.c checks and sets the inputs (the feeder's
 * sets or, in shadow mode, the hooks that substitute them in the sets of
 * the recorded run's own sensor tasks); session_finish.c fills the report
 * after the run (their shared helpers: session_int.h).
 * check.c (purr_replay_check, a behaviour given as functions) and scene.c
 * (purr_replay_scene, a scene run by the simulator) are the two harnesses
 * around it. report.c prints reports and writes JUnit XML. import.c turns
 * field logs into recordings; its line parsers are declared here for the
 * fuzz target. cli.c holds the command-line entry points. */
#ifndef PURR_REPLAY_INT_H
#define PURR_REPLAY_INT_H

#include "purr/replay.h"

/* ---------------------------------------------------------------------- */
/* The replay session (session*.c)                                        */
/* ---------------------------------------------------------------------- */

/* The transitions read from the recording at once (a chunk holds a few
 * hundred). */
#define ROWS_CAP 256

/* An expected (non-input) transition. */
typedef struct purr__exp_row {
    uint64_t seq;            /* recorded seq */
    purr_time time_ns;       /* recorded time */
    uint32_t vidx;           /* index of its value in the recording */
    uint32_t len;            /* payload length */
    const uint8_t *payload;  /* payload bytes (borrowed: the reader's for
                                the next one, a ring slot's for a matched
                                one) */
} purr__exp_row;

/* A matched expected transition kept for the report's "before" rows. */
typedef struct purr__exp_kept {
    purr__exp_row row;       /* row.payload points into small (a payload
                                that fits) or buf */
    uint8_t small[32];       /* a payload up to 32 bytes, copied without
                                a capacity check */
    uint8_t *buf;            /* a longer one (owned) */
    size_t cap;              /* buf's size */
} purr__exp_kept;

/* An input transition to feed (or, in shadow mode, to substitute). The
 * fields are ordered to leave no padding (48 bytes): the array of them is
 * most of a replay's memory, and fresh memory is slow to touch. */
typedef struct purr__in_row {
    uint64_t seq;            /* recorded seq: for messages, and in shadow
                                mode its place among all transitions */
    purr_time time_ns;       /* when to set it */
    purr_datum d;            /* the datum (owned) */
    uint64_t task_id;        /* the task that set it in the recorded run */
    uint32_t vidx;           /* its value's index in the recording */
    bool posted;             /* set from outside any task (task id 0: a
                                window's input, a thread's post) */
} purr__in_row;

/* Called by the observer at the first difference, to end the run there
 * (cancel a scope, stop a simulation). */
typedef void (*purr__replay_stop_fn)(void *ctx);

/* What a harness sets before purr__replay_load. */
typedef struct purr__replay_cfg {
    bool compare;            /* compare non-input transitions; false: only
                                feed (an input-only recording) */
    bool late_ok;            /* clock=real recording: an actual transition
                                may come earlier than the recorded time,
                                never later (docs/recording.md, "Replay") */
    bool run_on;             /* after the first difference keep running
                                (for --record), only counting extras */
    bool shadow;             /* shadow mode: the recorded run's own input
                                tasks run again and their sets go through
                                purr__replay_sensor_set; recorded posted
                                inputs are posted by purr__replay_pace; and
                                every transition, inputs included, is
                                compared in seq order. false: the feeder
                                sets the inputs and only non-input
                                transitions are compared */
    bool stream_inputs;      /* feeder mode (never shadow mode): the
                                inputs are read as the feeder goes, not
                                loaded (session.c, "The run pass") */
    const char *missing_input_msg; /* how to say that an input value does
                                not exist in the replay, e.g. "is not in the
                                scene" */
    purr__replay_stop_fn stop;
    void *stop_ctx;
} purr__replay_cfg;

/* One replay in progress. Invariant: pos expected transitions have
 * matched, in order, and nothing has differed while stopped is false; exp
 * is the next expected one (pos + 1st) when exp_valid. In shadow mode
 * also: the replay's transitions so far are the recording's first pos +
 * ipos, in seq order, so the next one must be the earlier of exp and
 * in[ipos].
 *
 * The load reads every transition once first, so a corrupt one is still
 * found before anything runs. Then the expected transitions are read from
 * the recording as the replay matches them, by a second iterator, so that
 * a replay's memory does not grow with the recording's length (loading
 * them into arrays was most of a replay's time: fresh memory is slow to
 * touch). When shadow mode may apply (it looks ahead among the inputs) the
 * inputs are loaded whole; otherwise (cfg.stream_inputs) the same second
 * iterator reads them for the feeder, and the load only notes, per value
 * and datum type, the first input, for purr__replay_check_inputs. */
typedef struct purr__replay {
    purr_recording *rec;     /* the recording (borrowed) */
    const purr_recorded_value *v0; /* its first value: a value's index
                                is its offset from v0 */
    purr__replay_cfg cfg;
    purr_replay_report *rep; /* filled as the replay goes */

    size_t nexp;             /* expected transitions in the recording */
    purr_recording_iter eit; /* reads them, at exp (when eit_open) */
    bool eit_open;
    purr__exp_row exp;       /* the next expected transition */
    bool exp_valid;          /* false: none left (or the read failed) */
    purr__exp_kept kept[PURR_REPLAY_CONTEXT]; /* matched number k (from 0)
                                in kept[k % PURR_REPLAY_CONTEXT] */
    unsigned kept_at;        /* pos % PURR_REPLAY_CONTEXT: the next
                                match's slot */
    purr__in_row *in;        /* inputs, seq order (not streaming) */
    size_t nin, in_cap;      /* nin: the recording's inputs (streaming
                                too) */
    uint64_t (*in_first)[8]; /* streaming: per recorded value and datum
                                type, the seq of its first input (0:
                                none) */
    purr__exp_kept *eq;      /* the run pass's expected transitions not
                                yet matched (a ring: eq_n from eq_head) */
    size_t eq_cap, eq_head, eq_n;
    bool exp_queued;         /* r->exp is eq[eq_head]'s (released when the
                                next is taken) */
    uint64_t exp_streamed;   /* expected transitions read into eq */
    purr_recording_row *rows; /* ROWS_CAP rows, read at once (both
                                passes): the run pass's are rows[rows_at
                                .. rows_n), numbered from rows_seq */
    size_t rows_n, rows_at;
    uint64_t rows_seq;
    purr__in_row *iq;        /* streaming: inputs read but not fed (a
                                ring: iq_n from iq_head) */
    size_t iq_cap, iq_head, iq_n;
    uint64_t in_streamed;    /* inputs read into iq */

    purr_value **by_vidx;    /* actual value per recorded value */
    int32_t *vidx_by_id;     /* recorded index per actual value id (-1:
                                not in the recording) */
    purr_value **value_by_id; /* the actual value per id (NULL: none) */
    uint8_t *input_by_id;    /* 1: the actual value of that id is an
                                input */
    size_t vidx_cap;

    size_t pos;              /* expected transitions matched */
    size_t ipos;             /* shadow mode: inputs matched (in[0..ipos)
                                have happened, in order) */
    bool stopped;            /* a difference was found */
    uint64_t produced;       /* non-input transitions of the replay */
    int feed_err;            /* the feeder's failure, rep->diag set */
    purr_loop *loop;         /* the loop observed (purr__replay_observe) */
    purr_tap tap;            /* the tap, when tapped (see session.c) */
    purr_tap_rec tap_rec;    /* its one-record buffer */
    bool tapped;             /* tap installed on loop */
} purr__replay;

/* Zeroes r and the report, and loads rec's transitions. Returns 0, or
 * PURR_EFORMAT / PURR_EIO (a corrupt row: rep->diag names it). */
int purr__replay_load(purr__replay *r, purr_recording *rec,
                      const purr__replay_cfg *cfg,
                      purr_replay_report *rep /* out */);
/* Registers the observer on loop (before any value is created). */
void purr__replay_observe(purr__replay *r, purr_loop *loop);
/* The feeder task (arg: the purr__replay). Checks first that every
 * recorded input value exists as an input of the replay with the recorded
 * type; then sets each input at its recorded time. Returns 0, or
 * PURR_EFORMAT with rep->diag naming the file and the row. */
int purr__replay_feeder(void *arg);
/* Checks that every input value the recording sets exists in the replay
 * as an input of the recorded type (the feeder does it first thing; in
 * shadow mode the harness calls it once the values exist). Returns 0, or
 * PURR_EFORMAT with rep->diag naming the file and the row. */
int purr__replay_check_inputs(purr__replay *r);
/* Shadow mode's purr_sim_input_fn (arg: the purr__replay): a sensor's set
 * of reading on input. When the reading would be a transition and the next
 * recorded transition is this task's set of input, now, the recorded datum
 * is set instead; otherwise the reading is, and the observer reports the
 * difference. A reading equal to the current datum sets nothing. */
void purr__replay_sensor_set(purr_value *input, const purr_datum *reading,
                             void *arg);
/* Shadow mode's pacing hook (ctx: the purr__replay), run whenever every
 * task is blocked: when the next recorded transition is an input posted
 * from outside any task at this very time, posts its set (and those of
 * the posted inputs right after it), as the window did. Adds no task. */
void purr__replay_pace(purr_loop *loop, purr_time next_deadline, void *ctx);
/* Fills the counts, the "before" rows and the outcome after the run, whose
 * result was run_rc. Returns the function's result (see
 * purr_replay_check): 0 identical, PURR_EDIVERGED, or an error. */
int purr__replay_finish(purr__replay *r, int run_rc);
/* Frees what load allocated. */
void purr__replay_free(purr__replay *r);

/* Fills row with a transition: seq, time, value name and d's text form,
 * each truncated to fit (a truncated text ends in "..."). */
void purr__replay_row_set(purr_replay_row *row, uint64_t seq,
                          purr_time time_ns, const char *value,
                          const purr_datum *d);

/* The field-log importer's own declarations are in import_int.h. */

#endif /* PURR_REPLAY_INT_H */
