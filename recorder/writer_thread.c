/* writer_thread.c - the recorder's writer thread, for real-time loops.
 *
 * On the real clock the loop thread must never wait for SQLite (DESIGN:
 * recording never blocks the real-time loop). The observer therefore only
 * copies each row into r->queue under a mutex (a memcpy and no syscall in
 * the common case); this thread swaps the queue with an empty spare, writes
 * the rows with the same code as the synchronous path, and commits when a
 * batch is full, when it is older than batch_age_ns, on flush and at stop.
 *
 * Ownership: from purr__rec_thread_start to purr__rec_thread_stop the
 * thread alone touches the SQLite connection and r->text. The mutex guards
 * queue, stop and the flush generations; r->err is written by the thread
 * only and read by others after a flush or the join, which order it.
 */
#include "recorder_int.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Appends len bytes to q's arena and returns their offset. */
static size_t
arena_put(rec_queue *q, const void *p, size_t len)
{
    if (len == SIZE_MAX || len == 0)
        return 0;
    if (q->arena_len + len > q->arena_cap) {
        size_t cap = q->arena_cap ? q->arena_cap * 2 : 4096;
        while (cap < q->arena_len + len)
            cap *= 2;
        q->arena = purr__rec_realloc(q->arena, cap);
        q->arena_cap = cap;
    }
    size_t off = q->arena_len;
    memcpy(q->arena + off, p, len);
    q->arena_len += len;
    return off;
}

void
purr__rec_thread_push(purr_recorder *r, const rec_row *row)
{
    pthread_mutex_lock(&r->mu);
    rec_queue *q = &r->queue;
    if (q->nrows == q->rows_cap) {
        q->rows_cap = q->rows_cap ? q->rows_cap * 2 : 1024;
        q->rows = purr__rec_realloc(q->rows, q->rows_cap * sizeof *q->rows);
    }
    rec_row *slot = &q->rows[q->nrows++];
    *slot = *row;
    /* While queued, s1 and s2 hold arena offsets plus one (the arena may
     * move), and stay NULL for "no string". */
    if (row->s1) {
        size_t off = arena_put(q, row->s1, row->s1_len);
        slot->s1 = (const void *)(uintptr_t)(off + 1);
    }
    if (row->s2) {
        size_t off = arena_put(q, row->s2, row->s2_len);
        slot->s2 = (const void *)(uintptr_t)(off + 1);
    }
    if (q->nrows == 1)
        pthread_cond_signal(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
}

/* Writes every row of q (offsets turned back into pointers), then empties
 * it. Rows after a sticky error are dropped by purr__rec_write_row. */
static void
write_queue(purr_recorder *r, rec_queue *q)
{
    for (size_t i = 0; i < q->nrows; i++) {
        rec_row row = q->rows[i];
        if (row.s1)
            row.s1 = q->arena + ((uintptr_t)row.s1 - 1);
        if (row.s2)
            row.s2 = q->arena + ((uintptr_t)row.s2 - 1);
        purr__rec_write_row(r, &row);
    }
    q->nrows = 0;
    q->arena_len = 0;
}

/* Absolute CLOCK_MONOTONIC time ns from now, for pthread_cond_timedwait. */
static struct timespec
deadline_in(int64_t ns)
{
    int64_t at = purr__rec_wall_ns() + (ns > 0 ? ns : 0);
    struct timespec ts = {.tv_sec = at / 1000000000,
                          .tv_nsec = at % 1000000000};
    return ts;
}

static void *
writer_main(void *arg)
{
    purr_recorder *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->queue.nrows == 0 && !r->stop &&
               r->flush_req == r->flush_done) {
            if (!r->in_txn) {
                pthread_cond_wait(&r->cv_work, &r->mu);
                continue;
            }
            int64_t left = r->batch_started_ns + r->opts.batch_age_ns -
                           purr__rec_wall_ns();
            struct timespec ts = deadline_in(left);
            if (left <= 0 ||
                pthread_cond_timedwait(&r->cv_work, &r->mu, &ts) ==
                    ETIMEDOUT) {
                if (r->queue.nrows == 0) {
                    pthread_mutex_unlock(&r->mu);
                    purr__rec_commit(r);
                    pthread_mutex_lock(&r->mu);
                }
            }
        }
        rec_queue work = r->queue;
        r->queue = r->spare;
        uint64_t req = r->flush_req;
        bool stopping = r->stop;
        pthread_mutex_unlock(&r->mu);

        write_queue(r, &work);
        if (req != r->flush_done || stopping)
            purr__rec_commit(r);

        pthread_mutex_lock(&r->mu);
        r->spare = work;
        if (req != r->flush_done) {
            r->flush_done = req;
            pthread_cond_broadcast(&r->cv_done);
        }
        if (stopping && r->queue.nrows == 0)
            break;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int
purr__rec_thread_start(purr_recorder *r)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv_work, &ca);
    pthread_cond_init(&r->cv_done, NULL);
    pthread_condattr_destroy(&ca);
    r->stop = false;
    if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        pthread_cond_destroy(&r->cv_work);
        pthread_cond_destroy(&r->cv_done);
        pthread_mutex_destroy(&r->mu);
        purr__diag_set(&r->diag, r->path, 0,
                       "cannot start the recorder's writer thread");
        return r->err = PURR_ESYS;
    }
    return 0;
}

int
purr__rec_thread_flush(purr_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t req = ++r->flush_req;
    pthread_cond_signal(&r->cv_work);
    while (r->flush_done < req)
        pthread_cond_wait(&r->cv_done, &r->mu);
    int err = r->err;
    pthread_mutex_unlock(&r->mu);
    return err;
}

void
purr__rec_thread_stop(purr_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv_work);
    pthread_cond_destroy(&r->cv_done);
    pthread_mutex_destroy(&r->mu);
}
