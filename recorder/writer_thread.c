/* writer_thread.c - the recorder's writer thread and its batch queue.
 *
 * The loop thread fills r->cur (recorder.c) and hands it over here; the
 * writer thread takes batches from a FIFO in hand-over order, writes each
 * in one transaction (purr__rec_write_batch) and puts it back on the free
 * list. At most max_batches batches exist: when none is free the loop
 * thread waits on cv_free until the writer has written one, so memory stays
 * bounded and a run that produces events faster than SQLite takes them runs
 * at the writer's speed. On the virtual clock the bound is 4 (one being
 * filled, up to three queued); on the real clock it is 64, so that a loop
 * that must not stall has a deep buffer before it ever waits.
 *
 * On the real clock an idle loop may leave rows in r->cur indefinitely, so
 * the writer itself takes the current batch when it is older than
 * batch_age_ns; that is why appends lock mu on the real clock.
 *
 * Ownership: from purr__rec_thread_start to purr__rec_thread_stop the
 * thread alone touches the SQLite connection and the packing state (wbuf,
 * wst, wchunks, the detail table: recorder.c). mu
 * guards the queue, the free list, the counters, stop and r->err (which the
 * thread writes under mu only via its return path below).
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "recorder_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Batches on the virtual clock: one being filled plus three in flight. */
#define MAX_BATCHES_VIRTUAL 4

rec_batch *
purr__rec_batch_new(purr_recorder *r)
{
    rec_batch *b = purr__rec_malloc(sizeof *b);
    memset(b, 0, sizeof *b);
    b->evs = purr__rec_malloc(r->opts.batch_rows * sizeof *b->evs);
    b->rows_cap = 64;
    b->rows = purr__rec_malloc(b->rows_cap * sizeof *b->rows);
    b->arena_cap = 4096;
    b->arena = purr__rec_malloc(b->arena_cap);
    return b;
}

bool
purr__rec_batch_busy(const rec_batch *b)
{
    return b->nrows > 0 || b->nevs > 0;
}

bool
purr__rec_cur_busy(const purr_recorder *r)
{
    return r->cur->nrows > 0 || r->tap.n > 0;
}

void
purr__rec_cur_open(purr_recorder *r, rec_batch *b)
{
    r->cur = b;
    b->started_ns = purr__rec_wall_ns();
    r->tap.buf = b->evs;
    r->tap.n = 0;
    /* The loop calls tap.full every REC_AGE_STRIDE events, which is when the
     * batch's age is looked at (recorder.c). */
    r->tap.cap = r->real || r->opts.batch_rows < REC_AGE_STRIDE
                     ? r->opts.batch_rows
                     : REC_AGE_STRIDE;
}

rec_batch *
purr__rec_cur_take(purr_recorder *r)
{
    rec_batch *b = r->cur;
    b->nevs = r->tap.n;
    r->cur = NULL;
    r->tap.buf = NULL;
    r->tap.n = r->tap.cap = 0;
    return b;
}

void
purr__rec_batch_reset(rec_batch *b)
{
    b->nrows = 0;
    b->nevs = 0;
    b->arena_len = 0;
}

void
purr__rec_batch_free(rec_batch *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->evs);
    free(b->arena);
    free(b);
}

/* Queues b for writing. mu held. */
static void
enqueue_locked(purr_recorder *r, rec_batch *b)
{
    b->next = NULL;
    if (r->ready_tail)
        r->ready_tail->next = b;
    else
        r->ready_head = b;
    r->ready_tail = b;
    r->handed++;
    pthread_cond_signal(&r->cv_work);
}

/* An empty batch: from the free list, or a new one while fewer than
 * max_batches exist. Returns NULL when the caller must wait. mu held. */
static rec_batch *
take_free_locked(purr_recorder *r)
{
    rec_batch *b = r->free_list;
    if (b) {
        r->free_list = b->next;
        return b;
    }
    if (r->nbatches < r->max_batches) {
        r->nbatches++;
        return purr__rec_batch_new(r);
    }
    return NULL;
}

void
purr__rec_handoff(purr_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    if (purr__rec_cur_busy(r)) {
        enqueue_locked(r, purr__rec_cur_take(r));
        rec_batch *b;
        while (!(b = take_free_locked(r)))
            pthread_cond_wait(&r->cv_free, &r->mu);
        purr__rec_cur_open(r, b);
    }
    pthread_mutex_unlock(&r->mu);
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

/* Real clock, mu held, nothing queued: waits for work, taking r->cur when
 * it holds rows older than batch_age_ns. */
static void
wait_real_locked(purr_recorder *r)
{
    rec_batch *cur = r->cur;
    int64_t left = r->opts.batch_age_ns;
    if (cur && purr__rec_cur_busy(r)) {
        left = cur->started_ns + r->opts.batch_age_ns - purr__rec_wall_ns();
        if (left <= 0) {
            rec_batch *b = take_free_locked(r);
            if (b) {
                enqueue_locked(r, purr__rec_cur_take(r));
                purr__rec_cur_open(r, b);
                return;
            }
            left = r->opts.batch_age_ns;
        }
    }
    struct timespec ts = deadline_in(left);
    pthread_cond_timedwait(&r->cv_work, &r->mu, &ts);
}

static void *
writer_main(void *arg)
{
    purr_recorder *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->ready_head && !r->stop) {
            if (r->real)
                wait_real_locked(r);
            else
                pthread_cond_wait(&r->cv_work, &r->mu);
        }
        rec_batch *b = r->ready_head;
        if (!b)
            break; /* stop, and everything is written */
        r->ready_head = b->next;
        if (!r->ready_head)
            r->ready_tail = NULL;
        pthread_mutex_unlock(&r->mu);

        purr__rec_write_batch(r, b);
        purr__rec_batch_reset(b);

        pthread_mutex_lock(&r->mu);
        b->next = r->free_list;
        r->free_list = b;
        r->written++;
        pthread_cond_broadcast(&r->cv_free);
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
    pthread_cond_init(&r->cv_free, NULL);
    pthread_condattr_destroy(&ca);
    r->stop = false;
    r->max_batches = MAX_BATCHES_VIRTUAL;
    if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        pthread_cond_destroy(&r->cv_work);
        pthread_cond_destroy(&r->cv_free);
        pthread_mutex_destroy(&r->mu);
        purr_diag_set(&r->diag, r->path, 0, 0,
                      "cannot start the recorder's writer thread");
        return r->err = PURR_ESYS;
    }
    /* Named, so that top and perf show the recorder apart from the loop. */
    pthread_setname_np(r->thread, "purr-recorder");
    r->thread_started = true;
    return 0;
}

int
purr__rec_thread_flush(purr_recorder *r)
{
    purr__rec_handoff(r);
    pthread_mutex_lock(&r->mu);
    uint64_t want = r->handed;
    while (r->written < want)
        pthread_cond_wait(&r->cv_free, &r->mu);
    int err = r->err;
    pthread_mutex_unlock(&r->mu);
    return err;
}

void
purr__rec_thread_stop(purr_recorder *r)
{
    if (!r->thread_started)
        return;
    purr__rec_handoff(r);
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    r->thread_started = false;
    /* A run that recorded nothing after open still gets its views. */
    purr__rec_create_views(r);
    pthread_cond_destroy(&r->cv_work);
    pthread_cond_destroy(&r->cv_free);
    pthread_mutex_destroy(&r->mu);
    /* Every batch is back on the free list (or is r->cur). */
}
