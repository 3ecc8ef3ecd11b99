/* recorder_int.h - private declarations shared by the recorder's files.
 *
 * Nothing here is visible to users of purr_recorder. recorder.c turns
 * observer events into fixed-size records (struct rec_row) appended to the
 * current batch (struct rec_batch); writer_thread.c drains full batches into
 * SQLite, one transaction per batch. diag.c holds allocation helpers and
 * name tables, reader*.c read recordings back (reader_int.h), output.c
 * writes the other files purr writes (PNGs, reports) through a temporary
 * file.
 */
#ifndef PURR_RECORDER_INT_H
#define PURR_RECORDER_INT_H

#include "purr/recorder.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>

/* The schema text (recorder/schema.sql, embedded at build time). The
 * tables come before the line starting "-- @views", the views after. */
extern const char purr__recorder_schema[];
#define REC_VIEWS_MARK "-- @views"

/* Allocation that aborts on failure, naming the size (as the core does). */
void *purr__rec_malloc(size_t size);
/* align a power of two, at least sizeof (void *); free with free(). */
void *purr__rec_malloc_aligned(size_t align, size_t size);
void *purr__rec_realloc(void *p, size_t size);
char *purr__rec_strdup(const char *s);

/* The reader's SQLite connection to rec (reader.c), for the other reading
 * files (reader_tasks.c). */
sqlite3 *purr__recording_db(const purr_recording *rec);

/* Monotonic wall time in ns (for batch ages only; never recorded). */
int64_t purr__rec_wall_ns(void);

/* The kinds of rows a batch holds besides its event chunks. */
enum rec_row_kind {
    ROW_VALUE = 1,      /* a value table row */
    ROW_TASK = 3,       /* a task table row (insert or ignore) */
    ROW_META = 5        /* a run table row (insert or replace) */
};

/* Events between two looks at the current batch's age on the loop thread
 * (the tap's full callback). */
#define REC_AGE_STRIDE 256

/* The two event streams, each packed into its own chunk table. */
enum rec_stream_kind { STREAM_TRANSITION = 0, STREAM_TASK_EVENT = 1 };

/* "No string" in a record's s1/s2 length. */
#define REC_NULL UINT32_MAX

/* One row of the small tables (value, task, detail, run), with its byte
 * strings (name, detail text, metadata key and value, initial payload) as
 * offsets into the batch's arena. */
typedef struct rec_row {
    uint8_t kind;               /* enum rec_row_kind */
    uint8_t small;              /* VALUE: type */
    int32_t status;             /* VALUE: role */
    int64_t time_ns;            /* VALUE: creation time */
    uint64_t id;                /* VALUE: value id; TASK: task; DETAIL */
    uint64_t aux;               /* TASK: parent */
    uint32_t s1_off, s1_len;    /* name / detail / meta key */
    uint32_t s2_off, s2_len;    /* VALUE: initial payload; META: value */
} rec_row;

/* A growable byte buffer. */
typedef struct rec_bytes {
    uint8_t *p;
    size_t len, cap;
} rec_bytes;

/* One event as the loop appends it: a purr_tap_rec (core.h), written by
 * the loop itself through the tap for the frequent kinds on the virtual
 * clock, and by the observer (observe below) for the rest. Fields as
 * there, plus: type REC_ARENA means arg is off << 32 | len of the encoded
 * datum in the batch's arena; for task events arg is the detail string
 * (a constant) or 0. */
typedef purr_tap_rec rec_ev;
#define REC_ARENA 0xff

/* A value_stats row as the writer keeps it. */
struct rec_vstat {
    uint64_t transitions;
    int64_t first_ns, last_ns;
    bool dirty;                 /* to be written with this batch */
};

/* One packed chunk: count records at wbuf[stream].p + off. */
typedef struct rec_chunk {
    uint8_t stream;             /* enum rec_stream_kind */
    uint32_t count;
    uint64_t first_seq;
    int64_t first_ns;
    size_t off, len;
} rec_chunk;

/* A batch: rows of the small tables and the events, in the order they
 * happened, plus the arena holding their bytes. The loop thread fills one
 * (r->cur); full batches go to the writer thread, which packs the events
 * and writes everything in one transaction and hands the batch back
 * empty. */
typedef struct rec_batch {
    rec_row *rows;              /* rows_cap rows */
    size_t nrows, rows_cap;
    rec_ev *evs;                /* batch_rows events, allocated once */
    size_t nevs;                /* events in evs; while the batch is
                                   r->cur, r->tap.n more are on their way
                                   (the stage, or evs on the real clock) */
    uint8_t *arena;             /* byte strings and non-scalar payloads */
    size_t arena_len, arena_cap;
    int64_t started_ns;         /* wall time of the first row or event */
    struct rec_batch *next;     /* in the ready queue or the free list */
} rec_batch;

struct purr_recorder {
    char *path;                 /* the recording's name (owned) */
    char *tmp_path;             /* when replacing an existing file: the
                                   temporary file beside it that SQLite
                                   writes and close renames to path
                                   (owned); NULL when SQLite writes path
                                   itself (a new file). Set at open. */
    sqlite3 *db;                /* the connection (owned; the writer
                                   thread's alone while it runs) */
    purr_recorder_options opts; /* with defaults filled in at open */

    /* Statements, prepared once at open, finalized at close. */
    sqlite3_stmt *st_value, *st_tchunk, *st_task, *st_echunk, *st_meta,
        *st_detail, *st_stats, *st_begin, *st_commit;

    /* The first error (sticky): 0 while all is well. Written by the writer
     * thread under mu (or by the owner before the thread starts and after
     * it is joined); failed mirrors it for the observer's cheap check. */
    int err;
    purr_diag diag;
    atomic_bool failed;
    /* Set by purr_recorder_discard before it stops the writer thread: the
     * batches still queued are dropped instead of written. */
    atomic_bool discarding;

    /* Owner (loop thread) side. */
    purr_loop *loop;            /* attached loop, NULL before attach */
    bool real;                  /* real clock: appends lock mu, because
                                   the writer may take an old cur batch */
    rec_batch *cur;             /* the batch being filled */
    purr_tap tap;               /* the events not yet in cur->evs: on
                                   the virtual clock buf = stage, n of
                                   them (cur->nevs are in cur already); on
                                   the real clock buf = cur->evs and n
                                   counts them all. Installed in the loop
                                   on the virtual clock, the recorder's
                                   own cursor on both */
    rec_ev *stage;              /* REC_AGE_STRIDE events, 64-byte aligned
                                   (owned): see purr__rec_stage_flush */
    uint64_t seq_at_attach;     /* the loop's transitions before attach */
    bool *value_seen;           /* by purr_value_id: row already queued */
    size_t value_seen_cap;

    bool end_set;               /* the user set end_ns */

    /* Writer thread. mu guards everything below, and cur on the real
     * clock. */
    pthread_t thread;
    bool thread_started;
    /* Packing (writer thread): the chunks of the batch being written. */
    rec_bytes wbuf[2];          /* packed records, by stream */
    rec_chunk *wchunks;         /* closed chunks */
    size_t nwchunks, wchunks_cap;
    const char **detail_ptrs;   /* details seen: the pointers events
                                   carried (fast path) ... */
    uint32_t *detail_codes;     /* ... their detail ids ... */
    size_t ndetail_ptrs;
    char **detail_texts;        /* ... and each id's text (id - 1) */
    size_t ndetails;
    size_t ndetails_written;    /* detail rows inserted so far */
    struct rec_vstat *vstats;   /* by value id: value_stats rows */
    size_t nvstats;
    uint32_t *vdirty;           /* value ids whose row changed this batch */
    size_t nvdirty;
    bool w_any;                 /* an event was written: ... */
    int64_t w_first_ns, w_last_ns; /* ... the first's and last's times */
    bool views_pending;         /* the views are still to be created (by
                                   the writer's first transaction) */
    bool txn_open;              /* a transaction is open: batches added,
                                   not yet committed */
    size_t txn_events;          /* events added to it */
    size_t txn_batches;         /* batches added to it (writer thread) */
    int64_t txn_started_ns;     /* wall time its first batch started */
    pthread_mutex_t mu;
    pthread_cond_t cv_work;     /* signalled: a batch is ready / stop */
    pthread_cond_t cv_free;     /* signalled: a batch was written */
    rec_batch *ready_head, *ready_tail; /* FIFO of batches to write */
    rec_batch *free_list;       /* empty batches */
    size_t nbatches;            /* allocated so far (cur included) */
    size_t max_batches;         /* back-pressure bound */
    uint64_t handed, written;   /* batches queued / written and committed */
    uint64_t commit_wanted;     /* commit once the queue is empty: the
                                   handed count a flush waits for */
    bool stop;                  /* close asked the thread to end */

};

/* Records an SQLite failure as the sticky error (the first one wins).
 * Returns the purr code (PURR_EIO, PURR_EEXIST for a UNIQUE violation).
 * Called by whoever owns the connection. */
int purr__rec_fail_sqlite(purr_recorder *r, int rc, const char *what);

/* Writes every row of b in one transaction (the owner, when no thread
 * runs). Returns 0 or the sticky error. */
int purr__rec_write_batch(purr_recorder *r, rec_batch *b);
/* Writes b's rows and packed events into the open transaction, opening one
 * if none is (whoever owns the connection). b may be reused afterwards:
 * nothing of it is kept. Returns 0 or the sticky error (the transaction
 * is then rolled back). */
int purr__rec_txn_add(purr_recorder *r, rec_batch *b);
/* Commits the open transaction (with the value_stats rows it changed), if
 * one is open. Returns 0 or the sticky error. */
int purr__rec_txn_commit(purr_recorder *r);

/* Creates the views if they are pending (in the open transaction, if
 * any). Returns 0 or the sticky error. Whoever owns the connection. */
int purr__rec_create_views(purr_recorder *r);

/* One transition record of a chunk (schema.sql), as the reader parses
 * it: the payload points into the chunk. */
typedef struct purr__rec_tr {
    uint64_t len, dt, task_id, value_id;
    const uint8_t *payload;
} purr__rec_tr;

/* Parses the transition record at *p, never reading at or past end, and
 * advances *p past it. Returns 0, or PURR_EFORMAT for a record that runs
 * past end or has unknown header bits (reader_iter.c; fuzzed by
 * tests/fuzz/fuzz_chunk.c). */
int purr__rec_parse_transition(const uint8_t **p, const uint8_t *end,
                               purr__rec_tr *out);

/* The file and the connection (rec_file.c). */
/* Finalizes every statement and closes r->db (a failure becomes the sticky
 * error). */
void purr__rec_close_db(purr_recorder *r);
/* The file SQLite writes: the temporary file when replacing, else path. */
const char *purr__rec_written_path(const purr_recorder *r);
/* Deletes file's -wal, -shm and -journal, and file itself unless
 * only_beside. Returns 0 or PURR_EIO (the sticky error names it). */
int purr__rec_remove_db_files(purr_recorder *r, const char *file,
                              bool only_beside);
/* Creates the file SQLite will write (new: in place; existing and
 * opts.overwrite: a temporary file beside it, r->tmp_path). Returns 0 or a
 * PURR_E* code with diag filled. */
int purr__rec_create_file(purr_recorder *r, purr_diag *diag);
/* Checkpoints the WAL into the file and closes the connection; *single
 * says whether the -wal and -shm are gone. Returns the sticky error. */
int purr__rec_finish_db(purr_recorder *r, bool *single);
/* Renames the temporary file over path. Returns 0 or the sticky error. */
int purr__rec_publish(purr_recorder *r);

/* Writer thread (writer_thread.c). */
int purr__rec_thread_start(purr_recorder *r);
/* Whether b (handed over, nevs set) holds anything to write. */
bool purr__rec_batch_busy(const rec_batch *b);
/* Whether r->cur holds anything. Owner thread, or mu held on the real
 * clock. */
bool purr__rec_cur_busy(const purr_recorder *r);
/* Makes b the current batch (r->cur and the tap's buffer). Same rule. */
void purr__rec_cur_open(purr_recorder *r, rec_batch *b);
/* On the virtual clock, moves the staged events (r->tap) to the end of
 * r->cur->evs. Owner thread. */
void purr__rec_stage_flush(purr_recorder *r);
/* Takes r->cur away (setting its nevs) and returns it. Same rule. */
rec_batch *purr__rec_cur_take(purr_recorder *r);
/* Empties b for reuse. */
void purr__rec_batch_reset(rec_batch *b);

/* Hands r->cur to the writer (when it holds rows) and gives the owner a
 * fresh batch, waiting when max_batches are in flight. Owner thread. */
void purr__rec_handoff(purr_recorder *r);
/* Hands r->cur off and waits until every batch handed so far is
 * committed. Returns 0 or the sticky error. */
int purr__rec_thread_flush(purr_recorder *r);
/* Hands r->cur off, drains the queue and joins the thread. */
void purr__rec_thread_stop(purr_recorder *r);
/* Frees a batch (NULL accepted). */
void purr__rec_batch_free(rec_batch *b);
/* A new empty batch for opts.batch_rows rows and events. */
rec_batch *purr__rec_batch_new(purr_recorder *r);

#endif /* PURR_RECORDER_INT_H */
