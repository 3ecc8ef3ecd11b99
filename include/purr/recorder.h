/* purr/recorder.h - recording every transition of a loop to SQLite, and
 * reading recordings back.
 *
 * A recording is one SQLite file per run (schema: docs/recording.md, the
 * same text as recorder/schema.sql). The recorder is an ordinary observer
 * (purr_loop_observe): it stores every value, every value transition with
 * its exact binary payload (purr_datum_encode), and optionally every task
 * event. Writes are batched in transactions in WAL mode, so a process killed
 * at any moment leaves a file that opens, passes PRAGMA integrity_check and
 * holds every transition up to the last committed batch, as a gap-free
 * prefix of the run (with its -wal and -shm beside it).
 *
 * Files (docs/recording.md, "Files"): a recording closed by
 * purr_recorder_close is a single self-contained file, with no -wal or
 * -shm beside it, ready to commit to git. A new file is written in place.
 * An existing one (opts.overwrite) is replaced atomically: the run writes
 * a temporary file ".NAME.purr-tmp-XXXXXX" in the same directory, which a
 * successful close renames over NAME; a run that is killed or whose close
 * fails leaves the old file byte for byte. purr_recorder_discard abandons a
 * recording, deleting what it wrote.
 *
 * On the virtual clock the recorder writes synchronously inside the
 * observer callback, so a recording is as deterministic as the run. On the
 * real (libuv) clock the observer only copies rows into a queue and a writer
 * thread does the SQLite work, so recording never blocks the loop thread.
 *
 * Errors inside the observer cannot be returned to the code that caused the
 * event: the first one is kept (sticky), recording stops, and
 * purr_recorder_close returns it with its purr_diag.
 *
 * The reader (purr_recording_*) opens a recording read-only, refuses files
 * that are not purr recordings of this schema version with a one-line
 * purr_diag naming the file, and iterates over the transitions in sequence
 * order. Reading never writes into the recording's directory:
 * the file, and a killed run's -wal and -shm, keep their bytes, and no
 * -wal or -shm appears, also in a read-only directory.
 *
 * "Files purr writes" (purr_output_*) is the check and the temporary-file
 * writer every purr command uses for its outputs (PNGs, JUnit reports, and
 * the check for recordings); it lives here, the lowest layer every writer
 * links.
 *
 * This header includes no SQLite header.
 */
#ifndef PURR_RECORDER_H
#define PURR_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "purr/core.h"
#include "purr/datum.h"
#include "purr/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                             */
/* ---------------------------------------------------------------------- */

/* purr_diag (core.h) reports bad recordings: line is the transition's seq
 * (0 when the problem is not about one row) and column is 0. */

/* Writes diag as one line (purr_diag_format) with a trailing newline. */
PURR_API void purr_diag_print(FILE *out, const purr_diag *diag);

/* The schema version this purr writes and reads (PRAGMA user_version). */
#define PURR_RECORDING_VERSION 3

/* ---------------------------------------------------------------------- */
/* Recorder                                                                */
/* ---------------------------------------------------------------------- */

typedef struct purr_recorder purr_recorder;

/* Options for purr_recorder_open. Zero-initialise and set what you need;
 * NULL means all defaults. */
typedef struct purr_recorder_options {
    size_t batch_rows;      /* events (and rows) per batch handed to the
                               writer thread, which commits every 4
                               batches; 0 = 16384 */
    purr_time batch_age_ns; /* wall time after which an open batch is
                               handed over and committed; 0 = 250 ms.
                               Checked every 256 events (virtual clock)
                               or by the writer thread (real clock) */
    bool no_task_events;    /* do not record task events or the task table */
    bool no_text;           /* no effect since schema version 3, whose
                               views compute the text from the payload;
                               kept so that old callers still compile */
    bool overwrite;         /* replace an existing file at path, at a
                               successful close only (the run writes a
                               temporary file beside it); else an
                               existing file is PURR_EEXIST */
} purr_recorder_options;

/* Creates a recording at path and prepares every statement. A new path is
 * created at once (exclusively: two recorders never share a file) and
 * written in place. An existing path, with opts->overwrite, is not touched:
 * the recording goes to a temporary file ".NAME.purr-tmp-XXXXXX" in path's
 * directory, created with the old file's permission bits, which
 * purr_recorder_close renames over path.
 * path: copied. opts: may be NULL. diag: may be NULL; receives the reason
 *   on failure.
 * Returns the recorder, or NULL on failure, which leaves no file behind:
 * Errors (in diag): the file exists and opts->overwrite is false, or it is
 *   a directory; the file (or the temporary file) cannot be created (the
 *   system's message); SQLite could not initialise it (its message).
 * Ownership: the caller ends the recorder with purr_recorder_close or
 * purr_recorder_discard. */
PURR_API purr_recorder *purr_recorder_open(const char *path,
                                           const purr_recorder_options *opts,
                                           purr_diag *diag /* out */);

/* Starts recording loop: registers an observer for PURR_EV_VALUE (and
 * PURR_EV_TASK unless opts->no_task_events). Attach before the values are
 * created: values created earlier are recorded at their first transition
 * (their initial datum is then the one before that transition). On a
 * PURR_CLOCK_REAL loop this starts the writer thread. Also stores the run
 * metadata purr_version, clock and created_by.
 * Returns 0.
 * Errors: PURR_EBUSY when the loop already has 8 observers or r is already
 *   attached; PURR_ESYS when the writer thread cannot start; the sticky
 *   error if r has already failed. */
PURR_API int purr_recorder_attach(purr_recorder *r, purr_loop *loop);

/* Sets run metadata key to value (both copied; replaces an earlier value).
 * Well-known keys (docs/recording.md): scene, scene_hash, seed,
 * shuffle_seed, options, start_ns, end_ns, exit_status, created_by.
 * end_ns is the deadline the run stopped at; replay stops there too. When
 * not set, close stores the time of the last event + 1 ns. The key
 * complete is the recorder's own (0 at open, 1 written by a clean close).
 * Not a checkpoint. May be called before attach, during the run (from the
 * loop thread) or after it, until close.
 * Returns 0. Errors: PURR_EINVAL for the key complete; the sticky error
 * if r has failed. */
PURR_API int purr_recorder_set_meta(purr_recorder *r, const char *key,
                                    const char *value);

/* Commits the open batch now (on the real clock: waits until the writer
 * thread has written and committed everything queued so far).
 * Returns 0, or the sticky error. */
PURR_API int purr_recorder_flush(purr_recorder *r);

/* Number of transitions recorded so far (queued ones included). */
PURR_API uint64_t purr_recorder_transitions(const purr_recorder *r);

/* Stops recording and publishes the recording: unregisters the observer
 * (the loop must still exist: close the recorder before the loop), stops
 * the writer thread, stores start_ns, end_ns and complete = 1 (the mark of
 * a clean close, purr_recording_is_complete) in the last transaction,
 * finalizes every statement, checkpoints the WAL into the file and
 * switches it to the rollback journal (so no -wal or -shm stays beside
 * it), closes it, and
 * when replacing renames the temporary file over path and deletes a
 * -wal and -shm the old file had left. r is freed whatever happens. NULL
 * is accepted (returns 0).
 * diag: may be NULL; receives the first error's message.
 * Returns 0, or the first error met while recording or closing. When
 * replacing, an error leaves the old file as it was and deletes the
 * temporary file; a new file keeps what was committed (as after a crash).
 * Errors: PURR_EIO (SQLite failed: disk full, I/O error...; the rename
 *   failed; a -wal or -shm of the replaced file could not be deleted, the
 *   new recording being in place), PURR_EEXIST (two values with the same
 *   name), PURR_ENOMEM; PURR_EBUSY when replacing and another process has
 *   the temporary file open. When another process has a new file open,
 *   the file stays in WAL mode with its -wal beside it until that process
 *   closes it; that is no error. */
PURR_API int purr_recorder_close(purr_recorder *r, purr_diag *diag /* out */);

/* Abandons the recording: stops recording as purr_recorder_close does, but
 * writes nothing more and deletes what the recorder wrote (the new file or
 * the temporary file, with their -wal and -shm). A replaced file stays as
 * it was. For runs that keep a recording only when something failed: record
 * to the path you would keep, then close or discard. r is freed whatever
 * happens. NULL is accepted (returns 0).
 * diag: may be NULL; receives the reason on failure.
 * Returns 0 (errors met while recording are dropped with the recording).
 * Errors: PURR_EIO when a file could not be deleted (diag names it). */
PURR_API int purr_recorder_discard(purr_recorder *r,
                                   purr_diag *diag /* out */);

/* ---------------------------------------------------------------------- */
/* Files purr writes                                                       */
/* ---------------------------------------------------------------------- */

/* Every file a purr command writes (a recording, a PNG, a JUnit report)
 * follows the same two rules, so that a mistyped argument never destroys
 * a file and a failed write never leaves half a file:
 *
 * - Before doing any work, the command checks the output with
 *   purr_output_check: an output that is one of the command's inputs (the
 *   same file, whatever its name: a hard link counts) is refused, as is an
 *   existing file that is not of the kind the command writes unless the
 *   user says --force, and anything but a regular file.
 * - The bytes go to a temporary file ".NAME.purr-tmp-XXXXXX" in NAME's
 *   directory (purr_output_open), which purr_output_close renames over
 *   NAME only when every write, the flush, the fsync and the close
 *   succeeded. On any failure the temporary file is deleted and the old
 *   NAME stays as it was, byte for byte.
 *
 * Recordings are written by the recorder (purr_recorder_open, with its own
 * temporary file when replacing); the check is the same for them.
 *
 *     purr_output out;
 *     if (purr_output_check(path, inputs, n, PURR_OUTPUT_PNG, force,
 *                           &diag) < 0)
 *         return usage(&diag);                // exit status 2
 *     ...the work...
 *     if (purr_output_open(&out, path, &diag) < 0)
 *         return fail(&diag);                 // nothing was written
 *     write_png(out.file);
 *     if (purr_output_close(&out, &diag) < 0)
 *         return fail(&diag);                 // old file whole, no temp
 */

/* The kinds of files purr writes, each told by how it starts. */
typedef enum purr_output_kind {
    PURR_OUTPUT_RECORDING = 1, /* an SQLite file ("SQLite format 3") */
    PURR_OUTPUT_PNG = 2,       /* the 8-byte PNG signature */
    PURR_OUTPUT_XML = 3        /* a JUnit report: "<?xml" or "<testsuites" */
} purr_output_kind;

/* Says whether a command may write its output at path, before it does any
 * work. Refused, whatever force says:
 * - path is the same file as one of others[0..n) (the command's inputs,
 *   and its other outputs): the same inode when both exist, else the same
 *   name in the same directory. NULL entries are skipped;
 * - path exists and is not a regular file (a directory, a device, a FIFO;
 *   a symbolic link counts as what it points to).
 * Refused unless force:
 * - path is an existing non-empty file that does not start as kind says,
 *   or cannot be read to tell;
 * - for PURR_OUTPUT_RECORDING, any existing file: a recording is
 *   replaced only when asked (purr_recorder_options.overwrite).
 * A missing file may be written, and for a PNG or XML output an empty one
 * (it holds nothing to lose). Nothing is changed.
 * diag: may be NULL; receives one line naming path and what to do.
 * Returns 0. Errors: PURR_EEXIST when refused. Not a checkpoint. */
PURR_API int purr_output_check(const char *path, const char *const *others,
                               size_t n, purr_output_kind kind, bool force,
                               purr_diag *diag /* out */);

/* An output being written: caller-owned, from purr_output_open
 * to purr_output_close or purr_output_discard. */
typedef struct purr_output {
    /* read-only: */
    FILE *file;           /* the temporary file, open for writing ("wb") */
    const char *tmp_path; /* its name, borrowed until close or discard */
    /* private: */
    char *path_;          /* the output's path as given, for messages */
    char *target_;        /* the file the rename replaces (a symbolic
                             link's target) */
    char *tmp_;           /* the temporary file's name */
} purr_output;

/* Creates the temporary file ".NAME.purr-tmp-XXXXXX" in the directory of
 * path (of the file a symbolic link at path points to), with the
 * permission bits of the file it replaces, or 0666 less the umask for a
 * new one, and opens it as out->file. path itself is not touched.
 * path: copied. diag: may be NULL; receives a line naming path.
 * Returns 0, or an error with *out zeroed (then close and discard are
 * no-ops): PURR_ENOENT when the directory does not exist; PURR_EIO when the
 * file cannot be created (the system's message).
 * Not a checkpoint. */
PURR_API int purr_output_open(purr_output *out, const char *path,
                              purr_diag *diag /* out */);

/* Publishes the output: flushes out->file, checks that no write to it
 * failed, fsyncs and closes it, and renames the temporary file over the
 * path given to open. On any failure deletes the temporary file and leaves
 * the file at path as it was. Releases *out either way (a zeroed out is a
 * no-op returning 0).
 * diag: may be NULL; receives a line naming path and the system's reason.
 * Returns 0. Errors: PURR_EIO (a write, the flush, the fsync, the close or
 * the rename failed). Not a checkpoint. */
PURR_API int purr_output_close(purr_output *out, purr_diag *diag /* out */);

/* Abandons the output: closes and deletes the temporary file; the file at
 * path stays as it was. Releases *out (a zeroed out is a no-op). */
PURR_API void purr_output_discard(purr_output *out);

/* ---------------------------------------------------------------------- */
/* Reader                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct purr_recording purr_recording;

/* One row of the value table. */
typedef struct purr_recorded_value {
    uint64_t id;             /* purr_value_id in the recorded run */
    const char *name;        /* borrowed until purr_recording_close */
    purr_role role;          /* as stored */
    purr_type type;          /* as stored */
    purr_time created_ns;    /* loop time of creation */
    purr_datum initial;      /* the datum at creation (column initial;
                                owned by the recording, borrowed until
                                purr_recording_close) */
} purr_recorded_value;

/* Opens the recording at path read-only and loads its metadata and value
 * table. Nothing is written beside the file, and neither the file nor a
 * -wal or -shm beside it changes: a single file (or a WAL-mode one without
 * a -wal) is opened as immutable; a killed run's file with its -wal is
 * copied, with the -wal, into a private temporary directory (under
 * $TMPDIR, else /tmp), read from there, and the copy deleted at close. The
 * file must not be written while it is read.
 * rec: out; receives the recording (NULL on failure).
 * diag: may be NULL; receives a one-line reason on failure, naming path.
 * Returns 0.
 * Errors: PURR_ENOENT when the file is missing or unreadable; PURR_EFORMAT
 *   when it is not an SQLite database, is truncated (shorter than its header
 *   says), is corrupt, lacks a table or column of the schema (a foreign
 *   schema), or holds a bad field in a run row it relies on (complete,
 *   start_ns, end_ns) or in a value row (an id below 1, an empty name, a
 *   role not 1-3, a type not 0-6, a negative created_ns, an initial datum
 *   that does not decode or is of another type): diag names the table,
 *   the row and the field; PURR_EVERSION when its user_version is not
 *   PURR_RECORDING_VERSION ("recording schema version N, this purr reads
 *   3"); PURR_EIO when SQLite fails otherwise, or the private copy of a
 *   killed run's file cannot be made (disk full).
 * Ownership: close *rec with purr_recording_close. (Unlike the other
 * constructors this returns a code, because callers such as the CLI turn
 * the reason into an exit status.) */
PURR_API int purr_recording_open(const char *path,
                                 purr_recording **rec /* out */,
                                 purr_diag *diag /* out */);

/* Closes the recording (NULL accepted). Every pointer borrowed from it
 * becomes invalid; open iterators must be closed first. */
PURR_API void purr_recording_close(purr_recording *rec);

/* The path given to open (borrowed until close). */
PURR_API const char *purr_recording_path(const purr_recording *rec);

/* Whether a clean purr_recorder_close ended the recording: true for a
 * finished recording; false for one whose run was killed (or whose close
 * failed), which holds a gap-free prefix of the run's transitions
 * (docs/recording.md, "Interrupted recordings"). Decided at open from the
 * run row complete (0 from the recorder's open, 1 from its close); a
 * recording made before purr wrote that row is complete when it holds
 * start_ns or exit_status, which only the end of its run wrote. */
PURR_API bool purr_recording_is_complete(const purr_recording *rec);

/* The metadata value of key, or NULL when absent. Borrowed until close. */
PURR_API const char *purr_recording_meta(const purr_recording *rec,
                                         const char *key);

/* The number of metadata rows, and row i's key and value (borrowed until
 * close; i in [0, count)). Rows are in key order. */
PURR_API size_t purr_recording_meta_count(const purr_recording *rec);
PURR_API void purr_recording_meta_at(const purr_recording *rec, size_t i,
                                     const char **key /* out */,
                                     const char **value /* out */);

/* The number of recorded values, and value i in id order (borrowed until
 * close). */
PURR_API size_t purr_recording_value_count(const purr_recording *rec);
PURR_API const purr_recorded_value *
purr_recording_value_at(const purr_recording *rec, size_t i);
/* The value named name, or NULL. Borrowed until close. */
PURR_API const purr_recorded_value *
purr_recording_value_find(const purr_recording *rec, const char *name);

/* The number of transitions stored. Errors: as iterator next. */
PURR_API int64_t purr_recording_transition_count(purr_recording *rec);

/* An iterator over the transitions in seq order: caller-owned; the fields after "read-only" hold the current row after next
 * returns 0.
 *     purr_recording_iter it;
 *     purr_recording_iter_open(&it, rec);
 *     while ((rc = purr_recording_iter_next(&it, &diag)) == 0)
 *         use(it.seq, it.time_ns, it.value->name, &it.datum);
 *     purr_recording_iter_close(&it);    rc ends as PURR_ECLOSED or an error
 */
typedef struct purr_recording_iter {
    /* read-only: the current row, valid until the next call or close */
    uint64_t seq;                       /* transition number, from 1 */
    purr_time time_ns;                  /* loop time of the transition */
    uint64_t task_id;                   /* setting task (0: none) */
    const purr_recorded_value *value;   /* the value (borrowed) */
    purr_datum datum;                   /* decoded payload (owned by it) */
    const uint8_t *payload;             /* the raw encoding (borrowed) */
    size_t payload_len;                 /* its length in bytes */
    /* private: */
    purr_recording *rec_;
    void *stmt_;
    const uint8_t *chunk_;              /* the current chunk's records */
    size_t chunk_len_, pos_;
    uint32_t left_;                     /* records left in it */
    uint64_t first_;                    /* its first_seq, for messages */
    bool started_;                      /* a chunk was read */
    bool raw_;                          /* payloads not decoded */
    purr_time ns_;                      /* time of the last record */
} purr_recording_iter;

/* Prepares the iteration. Returns 0. Errors: PURR_EIO when SQLite cannot
 * prepare the query (diag of the recording is then kept for next). */
PURR_API int purr_recording_iter_open(purr_recording_iter *it,
                                      purr_recording *rec);
/* As purr_recording_iter_open, for a pass that needs only the raw
 * payloads: next leaves datum nil and neither decodes a payload nor checks
 * its type (the rest is checked as by purr_recording_iter_open), which
 * makes a transition about twice as fast to read. For a second pass over
 * a recording whose first pass checked everything (the replay reads the
 * expected transitions this way as it compares them). */
PURR_API int purr_recording_iter_open_raw(purr_recording_iter *it,
                                          purr_recording *rec);
/* Steps to the next transition. Returns 0 with a row; PURR_ECLOSED after
 * the last row; PURR_EFORMAT when a transition_chunk row is bad (the first
 * does not start at seq 1: "transitions missing"; one does not follow the
 * last; a first_seq below 1, a count not 1 to 2^32-1, a negative first_ns,
 * data that is not a blob, a record that runs past it or bytes left over)
 * or a transition is (its time beyond int64 or after the run row end_ns,
 * an unknown value, a payload that does not decode or is of another
 * type); PURR_EIO when SQLite fails (a corrupt file): then diag (may be
 * NULL) names the file, the row's seq as line, and the table, row and
 * field. */
PURR_API int purr_recording_iter_next(purr_recording_iter *it,
                                      purr_diag *diag /* out */);
/* One transition as purr_recording_iter_next_rows reads it: the fields
 * of the iterator's current row but the datum. */
typedef struct purr_recording_row {
    purr_time time_ns;                  /* loop time of the transition */
    uint64_t task_id;                   /* setting task (0: none) */
    const purr_recorded_value *value;   /* the value (borrowed) */
    const uint8_t *payload;             /* the raw encoding (borrowed
                                           until the next call or close) */
    size_t payload_len;                 /* its length in bytes */
} purr_recording_row;

/* Steps over up to cap transitions at once, into rows[0..n), and returns
 * n (from 1): the transitions it.seq - n + 1 to it.seq, each checked as
 * purr_recording_iter_next checks it; the iterator's fields then hold the
 * last one, as if next had read them one by one. Fewer than cap come back
 * at the end of a chunk and before a transition next would refuse (the
 * call after reports it). For a raw iteration
 * (purr_recording_iter_open_raw), where a transition costs a few dozen
 * instructions and a call per transition would be a good part of them;
 * on a decoding one it reads one row at a time. Returns PURR_ECLOSED
 * after the last row, PURR_EINVAL when cap is 0, or next's errors. */
PURR_API int purr_recording_iter_next_rows(purr_recording_iter *it,
                                           purr_recording_row *rows,
                                           size_t cap,
                                           purr_diag *diag /* out */);
/* Releases the iteration (the datum and the statement). Idempotent. */
PURR_API void purr_recording_iter_close(purr_recording_iter *it);

/* An iterator over the recorded task events (table task_event_chunk) in
 * seq order, with each task's name and parent from the task table and a
 * BLOCKED event's detail from the detail table: caller-owned, stepped like purr_recording_iter. A recording made with
 * no_task_events has none (next returns PURR_ECLOSED at once). The task
 * and detail tables are loaded at open (a few bytes per task); the events
 * are read one chunk at a time.
 *     purr_recording_task_iter it;
 *     purr_recording_task_iter_open(&it, rec, &diag);
 *     while ((rc = purr_recording_task_iter_next(&it, &diag)) == 0)
 *         use(it.time_ns, it.kind, it.task_name);
 *     purr_recording_task_iter_close(&it);  rc ends as PURR_ECLOSED
 */
typedef struct purr_recording_task_iter {
    /* read-only: the current event, valid until the next call or close */
    uint64_t seq;            /* loop-wide event number (shared with value
                                events: task events have gaps) */
    purr_time time_ns;       /* loop time of the event */
    purr_event_kind kind;    /* PURR_EV_TASK_SPAWNED ... _ENDED */
    uint64_t task_id;        /* the task */
    uint64_t parent_task_id; /* the task owning its nursery (0: none) */
    const char *task_name;   /* "" when the task table lacks the task */
    int32_t status;          /* ENDED: the task's result; WOKEN: the wake
                                code; else 0 */
    const char *detail;      /* BLOCKED: what the task waits for; else
                                NULL */
    /* private: */
    purr_recording *rec_;
    void *stmt_;
    const uint8_t *chunk_;
    size_t chunk_len_, pos_;
    uint32_t left_;
    void *tasks_, *details_; /* the loaded tables, sorted by id */
    size_t ntasks_, ndetails_;
} purr_recording_task_iter;

/* Prepares the iteration and loads the task and detail tables.
 * Returns 0. Errors: PURR_EIO (SQLite failed), PURR_EFORMAT (a task or
 * detail row of the wrong type), PURR_ENOMEM; diag (may be NULL) names the
 * file. */
PURR_API int purr_recording_task_iter_open(purr_recording_task_iter *it,
                                           purr_recording *rec,
                                           purr_diag *diag /* out */);
/* Steps to the next task event. Returns 0 with an event; PURR_ECLOSED
 * after the last; PURR_EFORMAT when a task_event_chunk row is bad (a
 * first_seq below 1, a count not 1 to 2^32-1, a negative first_ns, data
 * that is not a blob, a record with an unknown kind or that runs past the
 * data, bytes left over, a time beyond int64) and PURR_EIO when SQLite
 * fails: diag (may be NULL) names the file and the row. */
PURR_API int purr_recording_task_iter_next(purr_recording_task_iter *it,
                                           purr_diag *diag /* out */);
/* Releases the iteration. Idempotent. */
PURR_API void purr_recording_task_iter_close(purr_recording_task_iter *it);

/* Names for stored numbers: "input", "output", "internal"; "bool",
 * "int"...; "spawned", "value_set"... Static strings; "?" when unknown. */
PURR_API const char *purr_role_name(purr_role role);
PURR_API const char *purr_type_name(purr_type type);
PURR_API const char *purr_event_kind_name(purr_event_kind kind);

#ifdef __cplusplus
}
#endif
#endif /* PURR_RECORDER_H */
