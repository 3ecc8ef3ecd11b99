/* purr/replay.h - re-running a behaviour against a recording.
 *
 * purr_replay_check re-runs a behaviour on a fresh virtual-clock loop, and
 * purr_replay_scene re-runs a scene with the simulator (below). The
 * input values come from the recording: a feeder task sets each at its
 * recorded time (or, for purr_replay_scene's shadow mode, the scene's own
 * sensors run and each of their sets takes the recorded datum). Every
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
    PURR_REPLAY_ERROR = 4        /* the replay could not run (see diag) */
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
    bool shadow;                 /* purr_replay_scene only: the scene's
                                    sensors ran, their sets replaced by the
                                    recorded inputs, and every transition,
                                    inputs included, was compared in order
                                    (shadow mode); false: a feeder set the
                                    inputs (feeder mode) */
} purr_replay_report;

/* Replays rec with target and fills report (see the top of this header).
 * rec: open recording; only read. report: out, filled in every case.
 * Returns 0 when the replay is identical.
 * Errors: PURR_EDIVERGED when a transition differs, is missing or is extra
 *   (report says which); PURR_EFORMAT when the recording is corrupt or
 *   names an input value setup did not create (report->diag says which);
 *   PURR_ENOMEM; the code setup returned. Not a checkpoint: it runs its own
 *   loop, so it must not be called inside purr_run. */
PURR_API int purr_replay_check(purr_recording *rec,
                               const purr_replay_target *target,
                               purr_replay_report *report /* out */);

/* ---------------------------------------------------------------------- */
/* Replaying a scene's recording (`purr replay`)                           */
/* ---------------------------------------------------------------------- */

/* purr_replay_scene re-runs the scene a recording names (metadata `scene`)
 * with the simulator (sim.h), with the recorded seed (`seed`), shuffle seed
 * (`shuffle_seed`) and duration (`end_ns`), in one of two modes
 * (docs/recording.md, "Replay"):
 *
 * - Shadow mode, for a recording of this scene file run on the virtual
 *   clock by `purr run` (metadata clock=virtual, inputs=sensors and
 *   scene_hash equal to the file's): the scene's sensors run as they did,
 *   but each transition they make takes its datum from the recording, and
 *   inputs set from outside any task (task id 0) are posted again at the
 *   moment they were. The run holds the recorded run's tasks, so even a
 *   shuffled schedule replays exactly. Every transition, inputs included,
 *   is compared in seq order: a sensor that sets its input at another time
 *   or place than the recording is a difference.
 * - Feeder mode, for every other recording (imported logs, real-time
 *   runs, a changed scene file): the sensors do not run; the feeder sets
 *   each recorded input at its recorded time, and every other transition
 *   is compared as in purr_replay_check.
 *
 * Recordings made on the real clock (metadata clock=real, `purr run
 * --real-time`) are replayed on the virtual clock too; there, real timers
 * fired late by a non-deterministic amount, so a transition's value,
 * payload and order must match exactly, but its time only has to be no
 * later than the recorded one (docs/recording.md, "Replay"). */

/* Options for purr_replay_scene; NULL means all defaults. */
typedef struct purr_replay_options {
    const char *scene_path; /* the scene to run; NULL: the recording's
                               `scene` metadata, relative to the current
                               directory or else to the recording's */
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

/* Replays rec's scene and fills report. rec: open recording; only read.
 * report: out, filled in every case; report->diag names the file (and the
 * transition's seq as line) when the result is bad input.
 * Returns 0 when identical (or, with nothing to compare, when the inputs
 * were fed).
 * Errors: PURR_EDIVERGED (a transition differs, is missing or is extra);
 *   PURR_EFORMAT (bad input: no scene in the metadata, a bad scene file, a
 *   bad seed or end_ns, a recorded input value the scene lacks or types
 *   differently, --check on a recording of inputs only, a corrupt row);
 *   PURR_ENOENT (the scene file cannot be found); PURR_EEXIST or PURR_EIO
 *   (record_path cannot be written); PURR_ENOMEM. Not a checkpoint. */
PURR_API int purr_replay_scene(purr_recording *rec,
                               const purr_replay_options *opts,
                               purr_replay_report *report /* out */);

/* Writes the report as one line: "FILE: identical (N transitions, M
 * inputs fed)", "FILE: DIVERGED at HH:MM:SS.mmm name: expected X, got Y",
 * "FILE: replayed, nothing to compare (...)" or "FILE: ERROR: ...". */
PURR_API void purr_replay_report_summary(FILE *out,
                                         const purr_replay_report *report);

/* Writes report for people: one summary line, then on divergence the ten
 * transitions before it, the expected and actual transitions and the
 * counts. */
PURR_API void purr_replay_report_print(FILE *out,
                                       const purr_replay_report *report);

/* Writes n reports as a JUnit XML file (one testcase per recording, a
 * failure element on divergence or error). Returns 0.
 * Errors: PURR_EIO when the file cannot be written. */
PURR_API int purr_replay_junit(const char *path,
                               const purr_replay_report *reports, size_t n);

/* ---------------------------------------------------------------------- */
/* Field-log import (docs/import.md)                                       */
/* ---------------------------------------------------------------------- */

/* A real robot's log of its inputs becomes a recording holding only inputs
 * (role input), which `purr replay FILE.db --record baseline.db` then runs
 * the behaviours against. Two formats: CSV with the header line
 * "time,value,datum" (datum in purr_datum_format text form) and JSON Lines
 * ({"t": 1.25, "value": "battery", "datum": 42.5}). Times are seconds from
 * the start of the run, with decimals or with a unit ("1.5s", "200ms"),
 * and must not decrease. */

/* Log formats. */
typedef enum purr_import_format {
    PURR_IMPORT_AUTO = 0,   /* by extension: .csv, .jsonl or .ndjson */
    PURR_IMPORT_CSV = 1,
    PURR_IMPORT_JSONL = 2
} purr_import_format;

/* Options for purr_import_log; NULL means all defaults. */
typedef struct purr_import_options {
    purr_import_format format; /* AUTO: from log_path's extension */
    bool overwrite;            /* replace an existing out_db */
} purr_import_options;

/* The format log_path's extension names, or PURR_IMPORT_AUTO. */
PURR_API purr_import_format purr_import_format_of(const char *log_path);

/* Imports the log at log_path into a new recording at out_db, with the
 * value table of the scene at scene_path: every sensor of the scene is an
 * input value (with its type and initial datum) and every log line one
 * transition of it at its time. An int datum for a double sensor is
 * converted; a datum equal to the value's current one is no transition and
 * leaves no row. Metadata: scene, scene_hash (FNV-1a 64 of the scene file's
 * bytes, 16 hex digits), seed (the scene's), clock "imported", source,
 * created_by "purr import", end_ns (the last time + 1 ns).
 * The whole log is checked before anything is written, and the recording is
 * written to a temporary name next to out_db and renamed at the end: on
 * failure no output file is left behind (and an existing out_db is kept).
 * diag: may be NULL; receives a one-line reason: "LOG:LINE: message" for a
 *   bad line.
 * Returns 0.
 * Errors: PURR_EFORMAT (a line that does not parse, an unknown value name,
 *   a datum of the wrong type, a time going backwards, an empty log, an
 *   unknown format; or a bad scene file), PURR_ENOENT (log or scene cannot
 *   be read), PURR_EEXIST (out_db exists and opts->overwrite is false),
 *   PURR_EIO (the recording cannot be written), PURR_ENOMEM.
 * Not a checkpoint: it runs its own loop, so it must not be called inside
 * purr_run. */
PURR_API int purr_import_log(const char *log_path, const char *out_db,
                             const char *scene_path,
                             const purr_import_options *opts,
                             purr_diag *diag /* out */);

/* ---------------------------------------------------------------------- */
/* Command-line entry points (for the purr executable)                     */
/* ---------------------------------------------------------------------- */

/* `purr replay FILE.db... [--check] [--junit OUT.xml] [--record NEW.db]
 * [--scene SCENE] [--jobs N] [-q]`: argv[0] is "replay". Returns the exit
 * status: 0 every recording identical, 1 one diverged, 2 bad input or
 * usage (the worst over the files). */
PURR_API int purr_replay_cli_replay(int argc, char **argv);

/* `purr import LOG -o FILE.db --scene SCENE [--format csv|jsonl]
 * [--force]`: argv[0] is "import". Prints errors as one line on stderr.
 * Returns the exit status: 0 imported, 2 bad input or usage. */
PURR_API int purr_replay_cli_import(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* PURR_REPLAY_H */
