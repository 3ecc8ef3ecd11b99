/* writer_thread.c - the recorder's writer thread and its batch queue.
 *
 * The loop thread fills r->cur (recorder.c) and hands it over here; the
 * writer thread takes batches from a FIFO in hand-over order, adds each to
 * the open transaction (purr__rec_txn_add: its rows and packed chunks) and
 * puts it back on the free list at once. It commits the transaction when
 * it holds COMMIT_BATCHES batches' worth of events, or, once the queue is
 * empty, when its first batch is older than batch_age_ns or a flush or
 * close waits for it: so a commit covers a prefix of the events, and
 * fewer, larger commits rewrite fewer partly filled pages. At most
 * max_batches batches exist: when none is free the loop
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
 * wchunks, the detail table: recorder.c). mu
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
    return r->cur->nrows > 0 || r->cur->nevs > 0 || r->tap.n > 0;
}

/* Why the loop appends to a stage on the virtual clock: the batches are
 * far larger than the cache and the writer thread reads each on another
 * core, so every line the loop writes to a batch is a cache miss; those
 * misses (about two a transition, each stalling the loop between its own
 * dependent loads) cost the loop thread more than all the recorder's
 * instructions together (bench_sim: 0.30 s of loop CPU against 0.13 s
 * unrecorded, for 2.4 M transitions). Appends go to a 10 KiB buffer that
 * stays in the loop thread's cache instead, and every REC_AGE_STRIDE
 * events one memcpy moves it to the batch, whose misses overlap (0.19 s;
 * streaming stores measured the same as memcpy). */
void
purr__rec_stage_flush(purr_recorder *r)
{
    rec_batch *b = r->cur;
    size_t n = r->tap.n;
    if (r->tap.buf != r->stage || !n)
        return;
    memcpy(b->evs + b->nevs, r->stage, n * sizeof *b->evs);
    b->nevs += n;
    r->tap.n = 0;
}

void
purr__rec_cur_open(purr_recorder *r, rec_batch *b)
{
    r->cur = b;
    b->started_ns = purr__rec_wall_ns();
    r->tap.n = 0;
    if (r->real) {
        r->tap.buf = b->evs;
        r->tap.cap = r->opts.batch_rows;
        return;
    }
    /* The loop calls tap.full every REC_AGE_STRIDE events at most, which
     * is when the stage is flushed and the batch's age looked at
     * (recorder.c). */
    r->tap.buf = r->stage;
    r->tap.cap = r->opts.batch_rows < REC_AGE_STRIDE ? r->opts.batch_rows
                                                      : REC_AGE_STRIDE;
}

rec_batch *
purr__rec_cur_take(purr_recorder *r)
{
    rec_batch *b = r->cur;
    if (r->tap.buf == r->stage)
        purr__rec_stage_flush(r);
    else
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

/* A transaction is committed once it holds this many batches' worth of
 * events. Each commit rewrites the pages it only partly changed (the last
 * leaf and the interior pages of each chunk table, the value_stats page,
 * the header page) into the WAL, and the checkpoint copies them again:
 * measured with bench_sim, one commit per batch wrote 1.5 pages into the
 * WAL per page of new data. */
#define COMMIT_BATCHES 4

/* Whether the open transaction is to be committed now that the queue is
 * empty: close or a flush waits for it, or it is older than batch_age_ns.
 * Writer thread, mu held. */
static bool
commit_due_locked(const purr_recorder *r, int64_t now)
{
    return r->stop || r->commit_wanted > r->written ||
           now - r->txn_started_ns >= r->opts.batch_age_ns;
}

/* Counts the batches added since the last commit as written, once no
 * transaction holds them (committed, rolled back or never opened), and
 * tells the waiters. Writer thread, mu held. */
static void
settle_locked(purr_recorder *r)
{
    if (!r->txn_open && r->txn_batches) {
        r->written += r->txn_batches;
        r->txn_batches = 0;
    }
    pthread_cond_broadcast(&r->cv_free);
}

/* Mu held, nothing queued, and no commit due: waits for work, or until the
 * open transaction is due. On the real clock also takes r->cur when it
 * holds rows older than batch_age_ns. */
static void
wait_locked(purr_recorder *r)
{
    int64_t now = purr__rec_wall_ns();
    int64_t left = r->txn_open
                       ? r->txn_started_ns + r->opts.batch_age_ns - now
                       : INT64_MAX;
    rec_batch *cur = r->cur;
    if (r->real && cur && purr__rec_cur_busy(r)) {
        int64_t cur_left = cur->started_ns + r->opts.batch_age_ns - now;
        if (cur_left <= 0) {
            rec_batch *b = take_free_locked(r);
            if (b) {
                enqueue_locked(r, purr__rec_cur_take(r));
                purr__rec_cur_open(r, b);
                return;
            }
            cur_left = r->opts.batch_age_ns;
        }
        left = cur_left < left ? cur_left : left;
    } else if (r->real && left > r->opts.batch_age_ns) {
        left = r->opts.batch_age_ns;
    }
    if (left == INT64_MAX) {
        pthread_cond_wait(&r->cv_work, &r->mu);
        return;
    }
    struct timespec ts = deadline_in(left);
    pthread_cond_timedwait(&r->cv_work, &r->mu, &ts);
}

static void *
writer_main(void *arg)
{
    purr_recorder *r = arg;
    size_t commit_events = COMMIT_BATCHES * r->opts.batch_rows;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        rec_batch *b = r->ready_head;
        if (b) {
            r->ready_head = b->next;
            if (!r->ready_head)
                r->ready_tail = NULL;
            pthread_mutex_unlock(&r->mu);

            if (!r->txn_open)
                r->txn_started_ns = b->started_ns;
            purr__rec_txn_add(r, b);
            purr__rec_batch_reset(b);
            if (r->txn_open && r->txn_events >= commit_events)
                purr__rec_txn_commit(r);

            pthread_mutex_lock(&r->mu);
            b->next = r->free_list;
            r->free_list = b;
            r->txn_batches++;
            settle_locked(r);
            continue;
        }
        if (r->txn_open && commit_due_locked(r, purr__rec_wall_ns())) {
            pthread_mutex_unlock(&r->mu);
            purr__rec_txn_commit(r);
            pthread_mutex_lock(&r->mu);
            settle_locked(r);
            continue;
        }
        if (r->stop && !r->txn_open)
            break; /* everything is written */
        wait_locked(r);
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
    r->txn_batches = 0;
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
    if (r->commit_wanted < want) {
        r->commit_wanted = want;
        pthread_cond_signal(&r->cv_work);
    }
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
