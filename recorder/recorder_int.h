/* recorder_int.h - private declarations shared by the recorder's files.
 *
 * Nothing here is visible to users of purr_recorder. recorder.c turns
 * observer events into fixed-size records (struct rec_row) appended to the
 * current batch (struct rec_batch); writer_thread.c drains full batches into
 * SQLite, one transaction per batch. diag.c holds allocation helpers and
 * name tables, reader.c reads recordings back.
 */
#ifndef PURR_RECORDER_INT_H
#define PURR_RECORDER_INT_H

#include "purr/recorder.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>

/* The schema text (recorder/schema.sql, embedded at build time). */
extern const char purr__recorder_schema[];

/* Allocation that aborts on failure, naming the size (as the core does). */
void *purr__rec_malloc(size_t size);
void *purr__rec_realloc(void *p, size_t size);
char *purr__rec_strdup(const char *s);

/* Monotonic wall time in ns (for batch ages only; never recorded). */
int64_t purr__rec_wall_ns(void);

/* The kinds of records a batch holds. */
enum rec_row_kind {
    ROW_VALUE = 1,      /* a value table row */
    ROW_TRANSITION = 2, /* a transition table row */
    ROW_TASK = 3,       /* a task table row (insert or ignore) */
    ROW_TASK_EVENT = 4, /* one task event (packed into task_event_chunk) */
    ROW_META = 5        /* a run table row (insert or replace) */
};

/* "No string" in a record's s1/s2 length. */
#define REC_NULL UINT32_MAX

/* One record: everything a row needs, with its byte strings (payload,
 * name, detail, metadata key and value) as offsets into the batch's arena,
 * so that appending one costs a struct store and a memcpy. 56 bytes. */
typedef struct rec_row {
    uint8_t kind;               /* enum rec_row_kind */
    uint8_t small;              /* TASK_EVENT: event kind; VALUE: type */
    int32_t status;             /* TASK_EVENT: status; VALUE: role */
    uint64_t seq;               /* TRANSITION: value_seq; TASK_EVENT: seq */
    int64_t time_ns;            /* loop time of the event */
    uint64_t id;                /* TRANSITION/VALUE: value id; TASK*: task */
    uint64_t aux;               /* TRANSITION: setting task; TASK*: parent */
    uint32_t s1_off, s1_len;    /* payload / name / detail / meta key */
    uint32_t s2_off, s2_len;    /* VALUE: initial payload; META: value */
} rec_row;

/* A batch: records plus the arena holding their bytes. The loop thread
 * fills one (r->cur); full batches go to the writer thread, which writes
 * each in one transaction and hands it back empty. */
typedef struct rec_batch {
    rec_row *rows;              /* cap rows, allocated once */
    size_t nrows;               /* used */
    uint8_t *arena;             /* the rows' byte strings */
    size_t arena_len, arena_cap;
    int64_t started_ns;         /* wall time of the first row */
    struct rec_batch *next;     /* in the ready queue or the free list */
} rec_batch;

struct purr_recorder {
    char *path;                 /* the file (owned) */
    sqlite3 *db;                /* the connection (owned; the writer
                                   thread's alone while it runs) */
    purr_recorder_options opts; /* with defaults filled in at open */

    /* Statements, prepared once at open, finalized at close. */
    sqlite3_stmt *st_value, *st_transition, *st_task, *st_chunk, *st_meta,
        *st_begin, *st_commit;

    /* The first error (sticky): 0 while all is well. Written by the writer
     * thread under mu (or by the owner before the thread starts and after
     * it is joined); failed mirrors it for the observer's cheap check. */
    int err;
    purr_diag diag;
    atomic_bool failed;

    /* Owner (loop thread) side. */
    purr_loop *loop;            /* attached loop, NULL before attach */
    bool real;                  /* real clock: appends lock mu, because
                                   the writer may take an old cur batch */
    rec_batch *cur;             /* the batch being filled */
    unsigned age_tick;          /* appends since the last age check */
    uint64_t ntransitions;      /* transitions recorded (queued ones too) */
    bool *value_seen;           /* by purr_value_id: row already queued */
    size_t value_seen_cap;
    bool any_event;             /* first/last times below are set */
    int64_t first_ns, last_ns;  /* loop times of the first/last events */
    bool end_set;               /* the user set end_ns */
    uint8_t *scratch;           /* encoding buffer (owner thread) */
    size_t scratch_cap;

    /* Writer thread. mu guards everything below, and cur on the real
     * clock. */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;     /* signalled: a batch is ready / stop */
    pthread_cond_t cv_free;     /* signalled: a batch was written */
    rec_batch *ready_head, *ready_tail; /* FIFO of batches to write */
    rec_batch *free_list;       /* empty batches */
    size_t nbatches;            /* allocated so far (cur included) */
    size_t max_batches;         /* back-pressure bound */
    uint64_t handed, written;   /* batches queued / written and committed */
    bool stop;                  /* close asked the thread to end */

    /* Writer-thread scratch. */
    char *text;                 /* text-form buffer */
    size_t text_cap;
    char *chunk;                /* task events being packed, as JSON */
    size_t chunk_len, chunk_cap;
    size_t chunk_count;         /* events in chunk */
    uint64_t chunk_seq;         /* seq of its first event */
    int64_t chunk_ns;           /* time of its first event */
};

/* Records an SQLite failure as the sticky error (the first one wins).
 * Returns the purr code (PURR_EIO, PURR_EEXIST for a UNIQUE violation).
 * Called by whoever owns the connection. */
int purr__rec_fail_sqlite(purr_recorder *r, int rc, const char *what);

/* Writes every row of b in one transaction (writer thread, or the owner
 * when no thread runs). Returns 0 or the sticky error. */
int purr__rec_write_batch(purr_recorder *r, rec_batch *b);

/* Writer thread (writer_thread.c). */
int purr__rec_thread_start(purr_recorder *r);
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
/* A new empty batch for opts.batch_rows records. */
rec_batch *purr__rec_batch_new(purr_recorder *r);

#endif /* PURR_RECORDER_INT_H */
