/* purr/replay.h - re-running a behaviour against a recording.
 *
 * purr_replay_check re-runs a behaviour given as functions on a fresh
 * virtual-clock loop, and purr_replay_run re-runs whatever run a runner
 * builds (below; the simulator's runner is purr_replay_scene, cli.h). This
 * layer loads no scene. The input values come from the recording: a
 * feeder task sets each at its recorded time (or, in shadow mode, the
 * run's own input tasks run and each of their sets takes the recorded
 * datum). Every
 * other transition is compared, as it happens, with the recording's
 * non-input transitions in order: same value name, same time, same payload
 * bytes. The first difference stops the run and is described in a
 * purr_replay_report: what was expected and what happened (as text), the
 * ten transitions before it, and how many transitions matched, were
 * missing or extra.
 *
 * The run has the recorded shape: the main task enters a cancel scope whose
 * deadline is the recording's end_ns, calls the target's setup (which
 * creates the values), then runs a nursery whose body spawns the feeder and
 * then calls the target's behaviour body. A harness that records runs
 * should have the same shape (deadline scope first, then the values, then
 * one nursery with the input driver spawned first) so task ids and timer
 * order agree.
 */
#ifndef PURR_REPLAY_H
#define PURR_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "purr/core.h"
#include "purr/recorder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates the behaviour's values in loop (called in the main task, at the
 * recording's start time). Returns 0 or a negative code, which ends the
 * replay with that code. */
typedef int (*purr_replay_setup_fn)(purr_loop *loop, void *arg);
/* Frees what setup created (called after the run, before the loop is
 * closed). */
typedef void (*purr_replay_teardown_fn)(void *arg);

/* What to replay: the behaviour's entry point. */
typedef struct purr_replay_target {
    purr_replay_setup_fn setup;  /* creates the values; may be NULL */
    purr_nursery_fn behaviour;   /* the behaviour's nursery body */
    purr_replay_teardown_fn teardown; /* frees the values; may be NULL */
    void *arg;                   /* passed to all three */
    purr_time deadline_ns;       /* 0: the recording's end_ns */
} purr_replay_target;

/* One transition in a report. */
typedef struct purr_replay_row {
    uint64_t seq;                /* recorded seq (0 for an actual row) */
    purr_time time_ns;           /* loop time */
    char value[64];              /* value name, truncated */
    char text[160];              /* datum text form, truncated with "..." */
} purr_replay_row;

/* How a replay ended. */
typedef enum purr_replay_outcome {
    PURR_REPLAY_IDENTICAL = 0,   /* every transition matched */
    PURR_REPLAY_DIFFERENT = 1,   /* a transition differs (value/time/bits) */
    PURR_REPLAY_MISSING = 2,     /* the run ended before a recorded one */
    PURR_REPLAY_EXTRA = 3,       /* the run made one after the last */
    PURR_REPLAY_ERROR = 4,       /* the replay could not run (see diag) */
    PURR_REPLAY_INTERRUPTED = 5  /* the recording is interrupted (its run
                                    was killed) and every transition it
                                    kept matched; a difference among them
                                    is DIFFERENT or MISSING as always */
} purr_replay_outcome;

#define PURR_REPLAY_CONTEXT 10

typedef struct purr_replay_report {
    char file[256];              /* the recording's path */
    purr_replay_outcome outcome;
    uint64_t expected;           /* non-input transitions recorded */
    uint64_t matching;           /* matched, in order, before the first
                                    difference */
    uint64_t missing;            /* recorded but not reproduced */
    uint64_t extra;              /* produced but not recorded */
    uint64_t inputs;             /* input transitions fed */
    bool has_expected, has_actual; /* which rows below are set */
    purr_replay_row expected_row; /* the first differing transition: */
    purr_replay_row actual_row;   /* recorded and actual */
    size_t nbefore;              /* rows in before[] (up to 10) */
    purr_replay_row before[PURR_REPLAY_CONTEXT]; /* the transitions before
                                    it, oldest first */
    int run_status;              /* what purr_run returned */
    purr_diag diag;              /* set when outcome is ERROR */
    bool checked;                /* transitions were compared (false: the
                                    recording held only inputs, which were
                                    fed, and nothing was compared) */
    uint64_t produced;           /* non-input transitions the replay made */
    bool shadow;                 /* purr_replay_run only: the run's input
                                    tasks (a scene's sensors) ran, their
                                    sets replaced by the recorded inputs,
                                    and every transition, inputs included,
                                    was compared in order (shadow mode);
                                    false: a feeder set the inputs (feeder
                                    mode) */
    bool output_failed;          /* with outcome ERROR: the new recording
                                    (purr_replay_options.record_path)
                                    could not be written; diag says why */
    bool interrupted;            /* the recording is not complete
                                    (purr_recording_is_complete): its run
                                    was killed, and only the prefix it
                                    kept was compared; the replay ran to
                                    cut_ns + 1 ns, not to end_ns */
    uint64_t kept;               /* interrupted: the transitions it holds
                                    (1 to kept, inputs included) */
    purr_time cut_ns;            /* interrupted: the time of the last of
                                    them (0 when none) */
    uint64_t past_cut;           /* interrupted: transitions the replay
                                    made after the kept ones, at or after
                                    cut_ns, which nothing is compared
                                    with */
} purr_replay_report;

/* Replays rec with target and fills report (see the top of this header).
 * rec: open recording; only read. report: out, filled in every case.
 * An interrupted recording (purr_recording_is_complete false: its run was
 * killed) is replayed up to its last kept transition only (the deadline is
 * then that transition's time + 1 ns, whatever target->deadline_ns says),
 * and what the replay makes after the kept transitions is not compared.
 * Returns 0 when the replay is identical.
 * Errors: PURR_EINTERRUPTED when the recording is interrupted and every
 *   transition it kept matched (outcome PURR_REPLAY_INTERRUPTED: not
 *   identical, since the rest of the run was never recorded);
 *   PURR_EDIVERGED when a transition differs, is missing or is extra
 *   (report says which; within an interrupted recording's prefix too);
 *   PURR_EFORMAT when the recording is corrupt, names an input value setup
 *   did not create, or records a value as an input that setup created as
 *   a non-input or the other way round (report->diag says which);
 *   PURR_ENOMEM; the code setup returned. Not a checkpoint: it runs its own
 *   loop, so it must not be called inside purr_run. */
PURR_API int purr_replay_check(purr_recording *rec,
                               const purr_replay_target *target,
                               purr_replay_report *report /* out */);

/* ---------------------------------------------------------------------- */
/* Replaying through a runner (`purr replay`)                              */
/* ---------------------------------------------------------------------- */

/* purr_replay_run replays a recording with a run that a runner builds:
 * the replay layer knows nothing of scenes. It reads the recorded options
 * (metadata seed, shuffle_seed, end_ns) and picks one of two modes
 * (docs/recording.md, "Replay"):
 *
 * - Shadow mode, when the runner says the recording's input tasks are the
 *   ones its run has (can_shadow; for the simulator: a virtual-clock run
 *   of this very scene, whose inputs its sensors set): those tasks run
 *   again, but each transition they make takes its datum from the
 *   recording (plan.input), and inputs set from outside any task (task id
 *   0) are posted again at the moment they were (plan.pace). The run holds
 *   the recorded run's tasks, so even a shuffled schedule replays exactly.
 *   Every transition, inputs included, is compared in seq order.
 * - Feeder mode, for every other recording (imported logs, real-time
 *   runs, a changed scene file): the run's own input tasks do not run; its
 *   first task is plan.feed, which sets each recorded input at its
 *   recorded time, and every other transition is compared as in
 *   purr_replay_check.
 *
 * Recordings made on the real clock (metadata clock=real) are replayed on
 * the virtual clock too; there, real timers fired late by a
 * non-deterministic amount, so a transition's value, payload and order
 * must match exactly, but its time only has to be no later than the
 * recorded one (docs/recording.md, "Replay"). */

/* Shadow mode's hook on a run's input tasks: called in the task with every
 * datum the task would set on its input value, instead of
 * purr_value_set(input, reading). The hook sets whatever it chooses, or
 * nothing; reading is borrowed for the call. (The same shape as
 * purr_sim_input_fn, sim.h.) */
typedef void (*purr_replay_input_fn)(purr_value *input,
                                     const purr_datum *reading, void *arg);

/* What purr_replay_run asks the runner to build (runner->open). */
typedef struct purr_replay_plan {
    bool has_seed;          /* the recording names a seed: */
    uint64_t seed;          /*   use it */
    bool shuffle;           /* the recorded run shuffled its schedule: */
    uint64_t shuffle_seed;  /*   with this seed */
    purr_time duration_ns;  /* the recorded run's end; 0: not recorded,
                               use the run's own */
    bool shadow;            /* shadow mode (input, pace set) or feeder
                               mode (feed set) */
    purr_task_fn feed;      /* feeder mode: spawn feed(feed_arg) as the
                               run's first task, and do not run the input
                               tasks (create the input values with their
                               initial datums all the same) */
    void *feed_arg;
    purr_replay_input_fn input; /* shadow mode: run the input tasks as
                               recorded, each set going through
                               input(value, reading, input_arg) */
    void *input_arg;
    purr_pace_fn pace;      /* shadow mode: the virtual clock's pacing
                               hook (a loop option) */
    void *pace_ctx;
} purr_replay_plan;

/* A run that purr_replay_run drives. Every function gets self. */
typedef struct purr_replay_runner {
    void *self;
    /* True when rec's inputs were set by the input tasks this runner's
     * run has (shadow mode applies). NULL: never. */
    bool (*can_shadow)(void *self, purr_recording *rec);
    /* Builds the run as plan says, on a new virtual-clock loop, creating
     * no value yet (observers attached now must see every value). Returns
     * the loop, or NULL with diag filled (bad input: exit status 2). */
    purr_loop *(*open)(void *self, const purr_replay_plan *plan,
                       purr_diag *diag);
    /* Creates the values (behaviours' setup). Returns 0, or a negative
     * code with diag filled. */
    int (*setup)(void *self, purr_diag *diag);
    /* Runs to the end (plan.duration_ns, or the run's own). Returns 0 or
     * the run's failure (a failing behaviour is not an error of the
     * replay: the transitions say whether the two runs agree). */
    int (*run)(void *self, purr_diag *diag);
    /* Ends the run now; called from an observer at the first
     * difference. */
    void (*stop)(void *self);
    /* Virtual time at which the run ended. */
    purr_time (*end_time)(void *self);
    /* Writes the runner's metadata (what it ran, e.g. scene and
     * scene_hash; with finished, the outcome, e.g. exit_status) into the
     * recording of the replayed run (options.record_path). May be NULL.
     * Returns 0 or a negative code. */
    int (*describe)(void *self, purr_recorder *r, bool finished);
    /* Frees the run (the loop and its values); called once after open
     * succeeded, whatever happened next. */
    void (*close)(void *self);
    /* How to say that a recorded input value is missing from the run, e.g.
     * "is not in the scene"; NULL: a generic phrase. */
    const char *missing_input_msg;
} purr_replay_runner;

/* Options for purr_replay_run (and purr_replay_scene, cli.h); NULL means
 * all defaults. */
typedef struct purr_replay_options {
    const char *scene_path; /* purr_replay_scene only: the scene to run
                               instead of the recording's own */
    bool check;             /* demand a comparison: a recording holding only
                               inputs is then bad input. Without it the
                               replay compares whenever the recording holds
                               non-input transitions, and otherwise only
                               feeds the inputs (an imported field log) */
    const char *record_path; /* keep the replayed run as a new recording
                               here (NULL: none); the run then goes on to
                               the end after a difference */
    bool overwrite;         /* replace an existing record_path */
} purr_replay_options;

/* Replays rec through runner and fills report. rec: open recording; only
 * read. report: out, filled in every case; report->diag names the file
 * (and the transition's seq as line) when the result is bad input.
 * An interrupted recording (purr_recording_is_complete false) is compared
 * as far as it goes: the run's duration is its last kept transition's
 * time + 1 ns, and what the run makes after the kept transitions is not
 * compared (docs/recording.md, "Interrupted recordings").
 * Returns 0 when identical (or, with nothing to compare, when the inputs
 * were fed).
 * Errors: PURR_EINTERRUPTED (the recording is interrupted and every
 *   transition it kept matched: outcome PURR_REPLAY_INTERRUPTED);
 *   PURR_EDIVERGED (a transition differs, is missing or is extra, within
 *   an interrupted recording's prefix too);
 *   PURR_EFORMAT (bad input: a bad seed or end_ns, a recorded input value
 *   the run lacks or types differently, a value recorded as an input that
 *   the run has as a non-input or the other way round, --check on a
 *   complete recording of inputs only, a corrupt row, or the runner's
 *   open failing); PURR_EEXIST or
 *   PURR_EIO (record_path cannot be written); the code runner->setup
 *   returned; PURR_ENOMEM. Not a checkpoint. */
PURR_API int purr_replay_run(purr_recording *rec,
                             const purr_replay_runner *runner,
                             const purr_replay_options *opts,
                             purr_replay_report *report /* out */);

/* Writes the report as one line: "FILE: identical (N transitions, M
 * inputs fed)", "FILE: DIVERGED at HH:MM:SS.mmm name: expected X, got Y",
 * "FILE: replayed, nothing to compare (...)" or "FILE: ERROR: ...". For an
 * interrupted recording (report->interrupted) that line is preceded by
 * "FILE: recording interrupted at HH:MM:SS.mmm: N transitions kept", and
 * when they all matched it is "FILE: interrupted recording: the N
 * transitions kept replayed identically (M compared, K inputs fed)" (with
 * none kept: "FILE: interrupted recording: no transition kept, nothing
 * compared"). */
PURR_API void purr_replay_report_summary(FILE *out,
                                         const purr_replay_report *report);

/* Writes report for people: one summary line, then on divergence the ten
 * transitions before it, the expected and actual transitions and the
 * counts. */
PURR_API void purr_replay_report_print(FILE *out,
                                       const purr_replay_report *report);

/* Writes n reports as a JUnit XML file at path (one testcase per
 * recording, a failure element on divergence, an error element on error,
 * a skipped element for an interrupted recording whose kept transitions
 * all matched: not a pass, since most of the run was never checked, and
 * not a failure), through a temporary file renamed over path once
 * complete (recorder.h, "Files purr writes"): on failure a file already
 * at path is left as it was. path is not checked; a command calls
 * purr_output_check (PURR_OUTPUT_XML) first.
 * Returns 0.
 * Errors: PURR_EIO when the file cannot be written. */
PURR_API int purr_replay_junit(const char *path,
                               const purr_replay_report *reports, size_t n);

/* Writes the same JUnit XML to out (a purr_output's file, for a caller
 * that wants purr_output_close's message). out stays open.
 * Returns 0. Errors: PURR_EIO when a write to out failed (ferror). */
PURR_API int purr_replay_junit_write(FILE *out,
                                     const purr_replay_report *reports,
                                     size_t n);

/* A verdict a replay's runner reached besides the comparison, reported as
 * a JUnit testcase of its own: for a scene, one of its expectations
 * checked on the replayed run (`purr replay` prints them as PASS/FAIL
 * lines). */
typedef struct purr_replay_case {
    size_t report;       /* the index of the report (the recording) it
                            belongs to */
    const char *name;    /* what was checked, e.g. "always: battery > 5"
                            (borrowed) */
    bool failed;
    bool skipped;        /* neither passed nor failed (e.g. a replay that
                            ended early could not judge it): reported
                            <skipped> with message */
    const char *message; /* failed: what happened (borrowed; may be
                            NULL) */
} purr_replay_case;

/* As purr_replay_junit_write, plus a second testsuite, "purr-replay-
 * expect", holding one testcase per case (named "FILE: NAME", classname
 * "purr.replay.expect"; a failed case has a <failure>, a skipped one a <skipped>), in the order
 * given; with ncases 0 the output is purr_replay_junit_write's.
 * Returns 0. Errors: PURR_EIO when a write to out failed (ferror). */
PURR_API int purr_replay_junit_write_cases(FILE *out,
                                           const purr_replay_report *reports,
                                           size_t n,
                                           const purr_replay_case *cases,
                                           size_t ncases);

/* ---------------------------------------------------------------------- */
/* Field-log import (docs/import.md)                                       */
/* ---------------------------------------------------------------------- */

/* A real robot's log of its inputs becomes a recording holding only inputs
 * (role input), which `purr replay FILE.db --record baseline.db` then runs
 * the behaviours against. Formats: CSV, long (the header line
 * "time,value,datum", datum in purr_datum_format text form or as a logger
 * writes it) or wide (a time column and one column per value, empty cells
 * meaning no update), and JSON Lines ({"t": 1.25, "value": "battery",
 * "datum": 42.5}). Times are seconds from the start of the run (with
 * decimals or a unit, "1.5s", "200ms"), or in the unit or ISO-8601 form the
 * options or a map file name; absolute (epoch) times are made relative to
 * the log's start. Times must not decrease. The log is streamed: any size
 * imports in constant memory. */

/* Log formats. */
typedef enum purr_import_format {
    PURR_IMPORT_AUTO = 0,   /* by extension: .csv, .jsonl, .ndjson, .db3,
                               .mcap; else by the file's first bytes */
    PURR_IMPORT_CSV = 1,
    PURR_IMPORT_JSONL = 2,
    PURR_IMPORT_ROSBAG2 = 3, /* rosbag2 SQLite storage (.db3) */
    PURR_IMPORT_MCAP = 4     /* MCAP (.mcap), CDR or JSON channels */
} purr_import_format;

/* Receives a note for the user, one line without a newline (the columns
 * a log has that nothing maps, that times were made relative). */
typedef void (*purr_import_note_fn)(const char *line, void *ctx);
/* Receives progress: bytes of the log read so far, of total (0 when
 * unknown). Called every few thousand updates and once at the end. */
typedef void (*purr_import_progress_fn)(uint64_t done, uint64_t total,
                                        void *ctx);

/* Options for purr_import_log; NULL means all defaults. The map and time
 * settings are those of docs/import.md; a setting given here wins over the
 * map file's. */
typedef struct purr_import_options {
    purr_import_format format; /* AUTO: from log_path's extension */
    bool overwrite;            /* replace an existing out_db */
    const char *map_path;      /* the map file (MAP.yaml), or NULL */
    const char *time_column;   /* CSV: the time column's name; NULL: the
                                  map's, else the first column */
    const char *time_format;   /* "s", "ms", "us", "ns" or "iso8601";
                                  NULL: the map's, else seconds */
    bool epoch;                /* the times are absolute (since the Unix
                                  epoch); they are made relative to the
                                  first row */
    purr_time max_gap_ns;      /* a larger gap between updates is an
                                  error; 0: the map's, else no limit */
    purr_import_note_fn note;  /* may be NULL */
    purr_import_progress_fn progress; /* may be NULL */
    void *ctx;                 /* handed to note and progress */
} purr_import_options;

/* The format log_path's extension names, or PURR_IMPORT_AUTO. */
PURR_API purr_import_format purr_import_format_of(const char *log_path);

/* One input value of an import: the values a log may set. */
typedef struct purr_import_input {
    const char *name;   /* the value's name */
    purr_type type;     /* PURR_T_BOOL, _INT, _DOUBLE or _STRING */
    purr_datum initial; /* its datum before the log's first line */
} purr_import_input;

/* What a log is imported against: its input values and the metadata that
 * makes the recording replayable (for a scene: scene, scene_hash, seed,
 * scene_text; purr_import_scene_log, cli.h, fills it from a scene file). */
typedef struct purr_import_schema {
    const char *source;              /* what declared the inputs, for
                                        messages, e.g. "scene pet.yaml" */
    const purr_import_input *inputs; /* count of them, borrowed */
    size_t count;
    const char *const *meta;         /* key, value, key, value, ...,
                                        NULL: written into the recording */
} purr_import_schema;

/* Imports the log at log_path into a new recording at out_db, with the
 * inputs of schema: every input is an input value (with its type and
 * initial datum) and every update of the log one transition of it at its
 * time. Cells convert as loggers write them (docs/import.md, "Types"); a
 * datum equal to the value's current one is no transition and leaves no
 * row. Metadata: schema's, then clock "imported", source (the log),
 * created_by "purr import", end_ns (the last time + 1 ns) and, for
 * absolute times, start_epoch_ns (the log's start, decimal ns since the
 * Unix epoch).
 * The log is read in blocks as the recording is written (constant memory),
 * to a temporary name next to out_db (".NAME.purr-tmp-PID") that is renamed
 * at the end: on failure no output file is left behind (and an existing
 * out_db is kept). out_db is checked first as purr_output_check does for
 * PURR_OUTPUT_RECORDING (recorder.h): never the log (or the map) itself,
 * and an existing file only with opts->overwrite.
 * diag: may be NULL; receives a one-line reason: "LOG:LINE:COL: message"
 *   for a bad line, "MAP:LINE:COL: message" for a bad map.
 * Returns 0.
 * Errors: PURR_EFORMAT (a line that does not parse, an unknown value name,
 *   a cell not of its input's type, a time going backwards or a gap over
 *   max_gap, epoch-like times in a log said relative, an empty log, an
 *   unknown format, a log that is not a regular file, a bad map),
 *   PURR_EINVAL (a bad option), PURR_ENOENT (the log or map cannot be
 *   read), PURR_EEXIST (out_db exists and opts->overwrite is false, or
 *   out_db is the log or not a regular file), PURR_EIO (the recording
 *   cannot be written), PURR_ENOMEM.
 * Not a checkpoint: it runs its own loop, so it must not be called inside
 * purr_run. */
PURR_API int purr_import_log(const char *log_path, const char *out_db,
                             const purr_import_schema *schema,
                             const purr_import_options *opts,
                             purr_diag *diag /* out */);

#ifdef __cplusplus
}
#endif
#endif /* PURR_REPLAY_H */
