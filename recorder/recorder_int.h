/* recorder_int.h - private declarations shared by the recorder's files.
 *
 * Nothing here is visible to users of purr_recorder. The writer
 * (recorder.c) turns observer events into rows (struct rec_row); on the
 * virtual clock it writes each row at once, on the real clock it queues
 * them for the writer thread (writer_thread.c). diag.c builds purr_diag
 * messages, reader.c reads recordings back.
 */
#ifndef PURR_RECORDER_INT_H
#define PURR_RECORDER_INT_H

#include "purr/recorder.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>

/* The schema text (recorder/schema.sql, embedded at build time). */
extern const char purr__recorder_schema[];

/* Allocation that aborts on failure, naming the size (as the core does). */
void *purr__rec_malloc(size_t size);
void *purr__rec_realloc(void *p, size_t size);
char *purr__rec_strdup(const char *s);

/* Fills diag (may be NULL) with file and a printf-style message. */
void purr__diag_set(purr_diag *diag, const char *file, long line,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Monotonic wall time in ns (for batch ages only; never recorded). */
int64_t purr__rec_wall_ns(void);

/* The kinds of rows the writer stores. */
enum rec_row_kind {
    ROW_VALUE = 1,      /* a value table row */
    ROW_TRANSITION = 2, /* a transition table row */
    ROW_TASK = 3,       /* a task table row (insert or ignore) */
    ROW_TASK_EVENT = 4, /* a task_event table row */
    ROW_META = 5        /* a run table row (insert or replace) */
};

/* One row to write. The byte strings are borrowed for the synchronous path
 * and point into the queue's arena on the threaded path. */
typedef struct rec_row {
    int kind;                   /* enum rec_row_kind */
    int32_t status;             /* TASK_EVENT: status; VALUE: role */
    int32_t small;              /* TASK_EVENT: kind; VALUE: type */
    uint64_t seq;               /* TRANSITION/TASK_EVENT: seq; else id */
    int64_t time_ns;            /* event time */
    uint64_t id;                /* TRANSITION: value id; TASK*: task id */
    uint64_t task_id;           /* TRANSITION: setting task id */
    uint64_t parent_id;         /* TASK*: parent task id */
    const void *s1;             /* payload / name / detail / meta key */
    size_t s1_len;              /* its length; SIZE_MAX: NULL */
    const void *s2;             /* text / initial payload / meta value */
    size_t s2_len;              /* its length; SIZE_MAX: NULL */
} rec_row;

/* A queue of rows for the writer thread: row headers plus one byte arena
 * that holds every string (rows store arena offsets in s1/s2 while
 * queued). Two of them are swapped under the mutex. */
typedef struct rec_queue {
    rec_row *rows;              /* queued row headers */
    size_t nrows, rows_cap;     /* used and allocated */
    uint8_t *arena;             /* string bytes of the rows */
    size_t arena_len, arena_cap;
} rec_queue;

struct purr_recorder {
    char *path;                 /* the file (owned) */
    sqlite3 *db;                /* the connection (owned) */
    purr_recorder_options opts; /* with defaults filled in at open */

    /* Statements, prepared once at open, finalized at close. */
    sqlite3_stmt *st_value, *st_transition, *st_task, *st_task_event,
        *st_meta, *st_begin, *st_commit;

    /* Batching: rows in the open transaction and when it began. */
    bool in_txn;                /* a BEGIN is open */
    size_t batch_rows;          /* rows written since BEGIN */
    int64_t batch_started_ns;   /* wall time of BEGIN */

    /* The first error (sticky): 0 while all is well. */
    int err;
    purr_diag diag;

    /* Observer side. */
    purr_loop *loop;            /* attached loop, NULL before attach */
    bool threaded;              /* real clock: writer thread in use */
    uint64_t ntransitions;      /* transitions recorded (or queued) */
    bool *value_seen;           /* by purr_value_id: row already written */
    size_t value_seen_cap;
    bool any_event;             /* first/last times below are set */
    int64_t first_ns, last_ns;  /* loop times of the first/last events */
    bool end_set;               /* the user set end_ns */
    uint8_t *scratch;           /* encoding buffer (observer thread) */
    size_t scratch_cap;
    char *text;                 /* text-form buffer (writing thread) */
    size_t text_cap;

    /* Writer thread (real clock only). mu guards queue, stop, flush_req,
     * flushed and err while the thread runs. */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;     /* signalled: rows queued / stop / flush */
    pthread_cond_t cv_done;     /* signalled: a flush completed */
    rec_queue queue;            /* filled by the observer */
    rec_queue spare;            /* drained by the thread, then swapped */
    bool stop;                  /* close asked the thread to end */
    uint64_t flush_req, flush_done; /* flush generations */
};

/* Writes one row now (inside the batch transaction), committing when the
 * batch is full or old. Returns 0 or the (now sticky) error. Called on the
 * loop thread (virtual clock) or the writer thread (real clock). */
int purr__rec_write_row(purr_recorder *r, const rec_row *row);
/* Commits the open batch, if any. Returns 0 or the sticky error. */
int purr__rec_commit(purr_recorder *r);
/* Records an SQLite failure as the sticky error (the first one wins).
 * Returns the purr code (PURR_EIO, PURR_EEXIST for a UNIQUE violation). */
int purr__rec_fail_sqlite(purr_recorder *r, int rc, const char *what);

/* Writer thread (writer_thread.c). */
int purr__rec_thread_start(purr_recorder *r);
/* Queues a row (copies its strings); called on the loop thread. */
void purr__rec_thread_push(purr_recorder *r, const rec_row *row);
/* Waits until everything queued before the call is committed. */
int purr__rec_thread_flush(purr_recorder *r);
/* Drains the queue, commits and joins the thread. */
void purr__rec_thread_stop(purr_recorder *r);

#endif /* PURR_RECORDER_INT_H */
