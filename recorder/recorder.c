/* recorder.c - the recorder: events become fixed-size records, records
 * become packed chunks and rows of a recording.
 *
 * purr_recorder_open creates the file from the embedded schema's tables
 * (WAL mode while recording, synchronous=OFF), prepares every statement
 * once (STYLE R17) and starts the writer thread (writer_thread.c). From
 * then on the loop thread never touches SQLite. Each event becomes one
 * 40-byte rec_ev in the current batch: on the virtual clock the loop
 * appends blocked, woken and scalar transitions itself through the tap
 * (core.h; the tap's buffer is the batch), and the observer appends the
 * rest (task lifecycle, value rows, and transitions of strings, bytes and
 * tuples, whose encoding goes into the batch's arena); on the real clock
 * the observer appends everything, under mu, because the writer may take
 * the current batch.
 * The writer thread packs each batch's events into chunks (the record
 * layout of schema.sql) and writes rows and chunks in one transaction
 * with bind/step/reset; its first transaction also creates the views.
 *
 * A batch is handed over when it holds batch_rows events, when it is older
 * than batch_age_ns of wall time (looked at every REC_AGE_STRIDE events on
 * the loop thread; on the real clock the writer also takes an idle loop's
 * old batch itself), on flush and at close. At most a few batches are in
 * flight: when the writer falls behind, the loop thread waits for it
 * (back-pressure), so memory stays bounded.
 *
 * Determinism: events are appended in event order and packed from the
 * records alone, so every event read back (through the reader or the
 * views) is a deterministic function of the run. Only where the commits
 * fall, and so how events are grouped into chunk rows, depends on wall
 * time.
 *
 * Crash safety: transitions are written in seq order and every commit
 * covers a prefix of them; WAL commits are atomic, so a killed run's file
 * holds a gap-free prefix and an interrupted batch simply vanishes. The
 * run row complete is written 0 by open's first transaction and 1 by
 * close's last, so a reader tells a finished recording from a killed one.
 *
 * Files: a new path is written in place (a killed run leaves its prefix
 * under the name it was given); an existing one is replaced only by a
 * successful close, which renames a temporary file over it (create_file,
 * publish). Close makes the file single (finish_db: journal_mode=DELETE
 * checkpoints the WAL and deletes the -wal and -shm), so that a finished
 * recording can be committed, copied and read as one file.
 *
 * Invariant: r->err, once set, never changes; every entry point returns it
 * and nothing more is written.
 */
#include "recorder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BATCH_ROWS 16384
#define DEFAULT_BATCH_AGE_NS (250 * PURR_MS)
/* A chunk's records stay under this many bytes: small enough that the
 * views' unpacking (which re-reads the chunk per record) stays quick and
 * that four chunk rows fill a 16 KiB page, large enough that SQLite's
 * per-row cost is a few ns per event. */
#define CHUNK_BYTES 4000

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

int
purr__rec_fail_sqlite(purr_recorder *r, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        code = PURR_EEXIST;
        break;
    case SQLITE_NOMEM:
        code = PURR_ENOMEM;
        break;
    default:
        code = PURR_EIO;
        break;
    }
    if (!r->err) {
        r->err = code;
        purr_diag_set(&r->diag, r->path, 0, 0, "%s: %s (sqlite rc %d)", what,
                      r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc), rc);
        atomic_store(&r->failed, true);
    }
    return r->err;
}

/* Runs one prepared statement that returns no rows, then resets it.
 * Returns 0 or the sticky error. */
static int
run_stmt(purr_recorder *r, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int rc2 = sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return purr__rec_fail_sqlite(r, rc2 != SQLITE_OK ? rc2 : rc, what);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing a batch (writer thread)                                         */
/* ---------------------------------------------------------------------- */

/* Binds len bytes at p as text or blob to parameter i; REC_NULL means
 * NULL. SQLITE_STATIC is right here: the batch's arena outlives the step
 * that reads it, and every parameter is bound again before the next step. */
static int
bind_bytes(sqlite3_stmt *st, int i, const void *p, uint32_t len, bool blob)
{
    if (len == REC_NULL)
        return sqlite3_bind_null(st, i);
    if (blob)
        return sqlite3_bind_blob(st, i, len ? p : "", (int)len,
                                 SQLITE_STATIC);
    return sqlite3_bind_text(st, i, len ? p : "", (int)len, SQLITE_STATIC);
}

/* Writes one row of a small table. Returns 0 or the sticky error. */
static int
write_row(purr_recorder *r, const rec_batch *b, const rec_row *row)
{
    sqlite3_stmt *st;
    const char *what;
    const uint8_t *s1 = b->arena + row->s1_off, *s2 = b->arena + row->s2_off;
    int rc = SQLITE_OK;

    switch (row->kind) {
    case ROW_VALUE:
        st = r->st_value;
        what = "inserting a value";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->id);
        rc |= bind_bytes(st, 2, s1, row->s1_len, false);
        rc |= sqlite3_bind_int(st, 3, row->status);
        rc |= sqlite3_bind_int(st, 4, row->small);
        rc |= sqlite3_bind_int64(st, 5, row->time_ns);
        rc |= bind_bytes(st, 6, s2, row->s2_len, true);
        break;
    case ROW_TASK:
        st = r->st_task;
        what = "inserting a task";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->id);
        rc |= bind_bytes(st, 2, s1, row->s1_len, false);
        rc |= sqlite3_bind_int64(st, 3, (sqlite3_int64)row->aux);
        break;
    case ROW_META:
        st = r->st_meta;
        what = "setting run metadata";
        rc |= bind_bytes(st, 1, s1, row->s1_len, false);
        rc |= bind_bytes(st, 2, s2, row->s2_len, false);
        break;
    default:
        return 0;
    }
    /* Bind calls return SQLITE_OK (0) or an error; OR-ing keeps "any
     * failed" without a branch per column. */
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return purr__rec_fail_sqlite(r, SQLITE_ERROR, what);
    }
    return run_stmt(r, st, what);
}

/* ---- packing (writer thread) ------------------------------------------- */

/* Bytes needed for x as a little-endian integer without leading zero
 * bytes: 0 for 0, else 1 to 8. */
static inline unsigned
le_width(uint64_t x)
{
    return x ? (unsigned)(71 - __builtin_clzll(x)) >> 3 : 0;
}

/* Stores the n low bytes of x little-endian at p (writing 8 bytes: the
 * caller leaves 8 bytes of room) and returns the end. */
static inline uint8_t *
put_le(uint8_t *p, uint64_t x, unsigned n)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    memcpy(p, &x, sizeof x);
    return p + n;
}

/* The packing state of one stream while pack_batch runs: the open chunk
 * and where the next record goes. A local of pack_batch that never
 * escapes, so that the compiler keeps it in registers: the records are
 * stored through byte pointers, which may alias anything in memory, so
 * state kept in *r would be reloaded after every store. */
typedef struct packer {
    uint8_t *base;              /* r->wbuf[k].p */
    uint8_t *p;                 /* where the next record goes */
    uint8_t *start;             /* the open chunk's first record */
    uint64_t first_seq, last_seq;
    int64_t first_ns, last_ns;
    uint32_t count;
    bool open;
} packer;

/* Appends the chunk of count records at base + off, len bytes, to
 * r->wchunks. */
static void __attribute__((noinline))
push_chunk(purr_recorder *r, int k, uint32_t count, uint64_t first_seq,
           int64_t first_ns, size_t off, size_t len)
{
    if (r->nwchunks == r->wchunks_cap) {
        r->wchunks_cap = r->wchunks_cap ? r->wchunks_cap * 2 : 16;
        r->wchunks =
            purr__rec_realloc(r->wchunks, r->wchunks_cap * sizeof *r->wchunks);
    }
    r->wchunks[r->nwchunks++] = (rec_chunk){.stream = (uint8_t)k,
                                            .count = count,
                                            .first_seq = first_seq,
                                            .first_ns = first_ns,
                                            .off = off,
                                            .len = len};
}

/* Closes stream k's open chunk, if any. */
static inline void
close_chunk(purr_recorder *r, int k, packer *s)
{
    if (s->open)
        push_chunk(r, k, s->count, s->first_seq, s->first_ns,
                   (size_t)(s->start - s->base), (size_t)(s->p - s->start));
    s->open = false;
}

/* Reserves room for n more bytes (plus the 8 put_le may write past the
 * end) in w. */
static void
reserve(rec_bytes *w, size_t n)
{
    if (w->len + n + 8 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 65536;
        while (cap < w->len + n + 8)
            cap *= 2;
        w->p = purr__rec_realloc(w->p, cap);
        w->cap = cap;
    }
}

/* Makes s's next record, of at most need bytes, for the event at (seq, t)
 * the start of a new chunk when it cannot join the open one: the chunk
 * would pass CHUNK_BYTES, or the event does not follow on (time going
 * back, or a time step too wide for 7 bytes; for task events a seq not
 * past the last one or a step too wide; for transitions a seq that is not
 * the next one); or when no chunk is open. (A step that went backwards is
 * huge as an unsigned number, so one shift tests both.) */
static inline void
record_room(purr_recorder *r, int k, packer *s, size_t need, uint64_t seq,
            int64_t t)
{
    uint64_t dseq = seq - s->last_seq;
    bool seq_breaks = k == STREAM_TRANSITION ? dseq != 1
                                             : dseq == 0 || dseq >> 56;
    if (__builtin_expect(!s->open || s->p + need > s->start + CHUNK_BYTES ||
                             (uint64_t)(t - s->last_ns) >> 56 || seq_breaks,
                         0)) {
        close_chunk(r, k, s);
        s->open = true;
        s->start = s->p;
        s->count = 0;
        s->first_seq = s->last_seq = seq;
        s->first_ns = s->last_ns = t;
    }
}

/* Counts a transition of value id at t in its value_stats row. */
static inline void
count_transition(purr_recorder *r, uint32_t id, int64_t t)
{
    if (id >= r->nvstats) {
        size_t n = r->nvstats ? r->nvstats * 2 : 64;
        while (n <= id)
            n *= 2;
        r->vstats = purr__rec_realloc(r->vstats, n * sizeof *r->vstats);
        memset(r->vstats + r->nvstats, 0,
               (n - r->nvstats) * sizeof *r->vstats);
        r->vdirty = purr__rec_realloc(r->vdirty, n * sizeof *r->vdirty);
        r->nvstats = n;
    }
    struct rec_vstat *v = &r->vstats[id];
    if (v->transitions++ == 0)
        v->first_ns = t;
    v->last_ns = t;
    if (!v->dirty) {
        v->dirty = true;
        r->vdirty[r->nvdirty++] = id;
    }
}

/* Packs one transition (schema.sql: transition_chunk). */
static inline void
pack_transition(purr_recorder *r, packer *s, const rec_batch *b,
                const rec_ev *e)
{
    size_t plen;
    switch (e->type) {
    case PURR_T_NIL:
        plen = 1;
        break;
    case PURR_T_BOOL:
        plen = 2;
        break;
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        plen = 9;
        break;
    default:
        plen = (uint32_t)e->arg;
        break;
    }
    record_room(r, STREAM_TRANSITION, s, 2 + 4 * 8 + plen, e->seq,
                e->time_ns);
    uint8_t *p0 = s->p;
    uint64_t dt = (uint64_t)(e->time_ns - s->last_ns);
    unsigned n_len = le_width(plen), n_dt = le_width(dt),
             n_task = le_width(e->task_id), n_value = le_width(e->aux);
    uint16_t h = (uint16_t)(n_len | n_dt << 3 | n_task << 6 | n_value << 9);
    p0[0] = (uint8_t)h;
    p0[1] = (uint8_t)(h >> 8);
    uint8_t *p = put_le(p0 + 2, plen, n_len);
    p = put_le(p, dt, n_dt);
    p = put_le(p, e->task_id, n_task);
    p = put_le(p, e->aux, n_value);
    if (e->type == REC_ARENA) {
        memcpy(p, b->arena + (e->arg >> 32), plen);
    } else {
        /* The encoding of a scalar: its tag, then its value bytes. */
        p[0] = e->type;
        put_le(p + 1, e->arg, (unsigned)plen - 1);
    }
    s->p = p + plen;
    s->last_seq = e->seq;
    s->last_ns = e->time_ns;
    s->count++;
    count_transition(r, e->aux, e->time_ns);
}

/* The detail id of text (1, 2, ... in the order first seen; the writer
 * inserts the detail row with the batch). Event records carry the string
 * constant's address, so the pointer usually identifies the text; equal
 * texts at other addresses still share an id, and ids never depend on
 * addresses. Writer thread. */
static uint32_t
detail_id(purr_recorder *r, const char *text)
{
    for (size_t i = 0; i < r->ndetail_ptrs; i++)
        if (r->detail_ptrs[i] == text)
            return r->detail_codes[i];
    uint32_t id = 0;
    for (size_t i = 0; i < r->ndetails && !id; i++)
        if (strcmp(r->detail_texts[i], text) == 0)
            id = (uint32_t)i + 1;
    if (!id) {
        r->detail_texts = purr__rec_realloc(
            r->detail_texts, (r->ndetails + 1) * sizeof *r->detail_texts);
        r->detail_texts[r->ndetails++] = purr__rec_strdup(text);
        id = (uint32_t)r->ndetails;
    }
    /* Remember a bounded number of pointers: events carrying fresh
     * buffers each time take the strcmp path, never unbounded memory. */
    if (r->ndetail_ptrs < 64) {
        r->detail_ptrs = purr__rec_realloc(
            r->detail_ptrs, (r->ndetail_ptrs + 1) * sizeof *r->detail_ptrs);
        r->detail_codes = purr__rec_realloc(
            r->detail_codes, (r->ndetail_ptrs + 1) * sizeof *r->detail_codes);
        r->detail_ptrs[r->ndetail_ptrs] = text;
        r->detail_codes[r->ndetail_ptrs++] = id;
    }
    return id;
}

/* Packs one task event (schema.sql: task_event_chunk). */
static inline void
pack_task_event(purr_recorder *r, packer *s, const rec_ev *e)
{
    uint32_t detail =
        e->arg ? detail_id(r, (const char *)(uintptr_t)e->arg) : 0;
    record_room(r, STREAM_TASK_EVENT, s, 3 + 5 * 8, e->seq, e->time_ns);
    uint8_t *p0 = s->p;
    uint64_t dseq = e->seq - s->last_seq,
             dt = (uint64_t)(e->time_ns - s->last_ns);
    int32_t status = (int32_t)e->aux;
    uint64_t zz = (uint32_t)(e->aux << 1) ^ (uint32_t)(status >> 31);
    unsigned n_dseq = le_width(dseq), n_dt = le_width(dt),
             n_task = le_width(e->task_id), n_status = le_width(zz),
             n_detail = le_width(detail);
    uint16_t h = (uint16_t)(n_dseq | n_dt << 3 | n_task << 6 | n_status << 9 |
                            n_detail << 12);
    p0[0] = e->kind;
    p0[1] = (uint8_t)h;
    p0[2] = (uint8_t)(h >> 8);
    uint8_t *p = put_le(p0 + 3, dseq, n_dseq);
    p = put_le(p, dt, n_dt);
    p = put_le(p, e->task_id, n_task);
    p = put_le(p, zz, n_status);
    s->p = put_le(p, detail, n_detail);
    s->last_seq = e->seq;
    s->last_ns = e->time_ns;
    s->count++;
}

/* Packs b's events into chunks (r->wchunks, over r->wbuf). Chunks never
 * straddle a batch, so packing starts afresh. */
static void
pack_batch(purr_recorder *r, const rec_batch *b)
{
    r->wbuf[0].len = r->wbuf[1].len = 0;
    r->nwchunks = 0;
    /* Every record fits in 43 bytes plus its payload in the arena. */
    reserve(&r->wbuf[0], b->nevs * 43 + b->arena_len);
    reserve(&r->wbuf[1], b->nevs * 43);
    if (b->nevs) {
        if (!r->w_any) {
            r->w_any = true;
            r->w_first_ns = b->evs[0].time_ns;
        }
        r->w_last_ns = b->evs[b->nevs - 1].time_ns;
    }
    packer tr = {.base = r->wbuf[0].p, .p = r->wbuf[0].p};
    packer te = {.base = r->wbuf[1].p, .p = r->wbuf[1].p};
    const rec_ev *e = b->evs, *end = b->evs + b->nevs;
    for (; e < end; e++) {
        if (e->kind == PURR_EV_VALUE_SET)
            pack_transition(r, &tr, b, e);
        else
            pack_task_event(r, &te, e);
    }
    close_chunk(r, STREAM_TRANSITION, &tr);
    close_chunk(r, STREAM_TASK_EVENT, &te);
    r->wbuf[0].len = (size_t)(tr.p - tr.base);
    r->wbuf[1].len = (size_t)(te.p - te.base);
}

/* Writes value id's value_stats row. Returns 0 or the sticky error. */
static int
write_stats(purr_recorder *r, uint32_t id)
{
    sqlite3_stmt *st = r->st_stats;
    const struct rec_vstat *v = &r->vstats[id];
    int rc = sqlite3_bind_int64(st, 1, id) |
             sqlite3_bind_int64(st, 2, (sqlite3_int64)v->transitions) |
             sqlite3_bind_int64(st, 3, v->first_ns) |
             sqlite3_bind_int64(st, 4, v->last_ns);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return purr__rec_fail_sqlite(r, SQLITE_ERROR, "counting transitions");
    }
    return run_stmt(r, st, "counting transitions");
}

/* Inserts detail row i + 1. Returns 0 or the sticky error. */
static int
write_detail(purr_recorder *r, size_t i)
{
    sqlite3_stmt *st = r->st_detail;
    const char *text = r->detail_texts[i];
    int rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1) |
             sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return purr__rec_fail_sqlite(r, SQLITE_ERROR, "inserting a detail");
    }
    return run_stmt(r, st, "inserting a detail");
}

/* Writes one chunk row. Returns 0 or the sticky error. */
static int
write_chunk(purr_recorder *r, const rec_chunk *c)
{
    sqlite3_stmt *st =
        c->stream == STREAM_TRANSITION ? r->st_tchunk : r->st_echunk;
    const char *what = c->stream == STREAM_TRANSITION
                           ? "inserting transitions"
                           : "inserting task events";
    int rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)c->first_seq) |
             sqlite3_bind_int64(st, 2, c->first_ns) |
             sqlite3_bind_int64(st, 3, c->count) |
             sqlite3_bind_blob(st, 4, r->wbuf[c->stream].p + c->off,
                               (int)c->len, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return purr__rec_fail_sqlite(r, SQLITE_ERROR, what);
    }
    return run_stmt(r, st, what);
}

int
purr__rec_create_views(purr_recorder *r)
{
    if (!r->views_pending || r->err ||
        atomic_load_explicit(&r->discarding, memory_order_relaxed))
        return r->err;
    r->views_pending = false;
    const char *views = strstr(purr__recorder_schema, "\n" REC_VIEWS_MARK);
    int rc = sqlite3_exec(r->db, views, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : purr__rec_fail_sqlite(r, rc, "creating views");
}

/* Ends the open transaction after a failure (the sticky error is set). */
static void
txn_abort(purr_recorder *r)
{
    if (r->txn_open) {
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        r->txn_open = false;
    }
    r->txn_events = 0;
}

int
purr__rec_txn_add(purr_recorder *r, rec_batch *b)
{
    int rc;
    if (r->err || !purr__rec_batch_busy(b) ||
        atomic_load_explicit(&r->discarding, memory_order_relaxed)) {
        if (r->err || atomic_load_explicit(&r->discarding,
                                           memory_order_relaxed))
            txn_abort(r);
        return r->err;
    }
    if (!r->txn_open) {
        if ((rc = run_stmt(r, r->st_begin, "BEGIN")))
            return rc;
        r->txn_open = true;
        r->txn_events = 0;
        if ((rc = purr__rec_create_views(r))) {
            txn_abort(r);
            return rc;
        }
    }
    rc = 0;
    for (size_t i = 0; i < b->nrows && !rc; i++)
        rc = write_row(r, b, &b->rows[i]);
    pack_batch(r, b);
    for (; r->ndetails_written < r->ndetails && !rc; r->ndetails_written++)
        rc = write_detail(r, r->ndetails_written);
    for (size_t i = 0; i < r->nwchunks && !rc; i++)
        rc = write_chunk(r, &r->wchunks[i]);
    r->txn_events += b->nevs;
    if (rc)
        txn_abort(r);
    return rc;
}

int
purr__rec_txn_commit(purr_recorder *r)
{
    int rc = r->err;
    if (!r->txn_open || rc ||
        atomic_load_explicit(&r->discarding, memory_order_relaxed)) {
        txn_abort(r);
        return rc;
    }
    for (size_t i = 0; i < r->nvdirty; i++) {
        uint32_t id = r->vdirty[i];
        r->vstats[id].dirty = false;
        if (!rc)
            rc = write_stats(r, id);
    }
    r->nvdirty = 0;
    if (!rc)
        rc = run_stmt(r, r->st_commit, "COMMIT");
    if (rc) {
        txn_abort(r);
        return rc;
    }
    r->txn_open = false;
    r->txn_events = 0;
    return 0;
}

int
purr__rec_write_batch(purr_recorder *r, rec_batch *b)
{
    int rc = purr__rec_txn_add(r, b);
    if (!rc)
        rc = purr__rec_txn_commit(r);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Appending rows and events (owner thread)                                */
/* ---------------------------------------------------------------------- */

/* The tap's full callback, and the recorder's own after each append on
 * the virtual clock: every REC_AGE_STRIDE events (tap.cap,
 * writer_thread.c) the stage is flushed to the batch, and the batch is
 * handed over if it is full or older than batch_age_ns, else it may take
 * REC_AGE_STRIDE more. Loop thread. */
static void
tap_full(purr_tap *tap)
{
    purr_recorder *r = tap->ctx;
    purr__rec_stage_flush(r);
    rec_batch *b = r->cur;
    if (b->nevs + b->nrows >= r->opts.batch_rows ||
        purr__rec_wall_ns() - b->started_ns >= r->opts.batch_age_ns) {
        purr__rec_handoff(r);
        return;
    }
    size_t room = r->opts.batch_rows - b->nevs;
    tap->cap = room < REC_AGE_STRIDE ? room : REC_AGE_STRIDE;
}

/* Starts an append: on the real clock takes mu (append_end releases it)
 * and hands r->cur over first when it is full; on the virtual clock the
 * tap's cap did that already. Returns the batch. */
static rec_batch *
append_begin(purr_recorder *r)
{
    if (r->real) {
        pthread_mutex_lock(&r->mu);
        if (r->tap.n + r->cur->nrows >= r->opts.batch_rows) {
            pthread_mutex_unlock(&r->mu);
            purr__rec_handoff(r);
            pthread_mutex_lock(&r->mu);
        }
    }
    return r->cur;
}

static void
append_end(purr_recorder *r)
{
    if (r->real)
        pthread_mutex_unlock(&r->mu);
}

/* Makes room for one more row with bytes arena bytes in r->cur and
 * returns the row's slot (not yet counted); row_end counts it. */
static rec_row *
row_begin(purr_recorder *r, size_t bytes)
{
    rec_batch *b = append_begin(r);
    if (b->nrows == b->rows_cap) {
        b->rows_cap *= 2;
        b->rows = purr__rec_realloc(b->rows, b->rows_cap * sizeof *b->rows);
    }
    if (b->arena_len + bytes > b->arena_cap) {
        size_t cap = b->arena_cap * 2;
        while (cap < b->arena_len + bytes)
            cap *= 2;
        b->arena = purr__rec_realloc(b->arena, cap);
        b->arena_cap = cap;
    }
    return &b->rows[b->nrows];
}

static void
row_end(purr_recorder *r)
{
    r->cur->nrows++;
    append_end(r);
}

/* Copies len bytes (REC_NULL: none) into r->cur's arena (room was made by
 * row_begin) and sets *off. */
static void
put_bytes(purr_recorder *r, const void *p, uint32_t len, uint32_t *off)
{
    rec_batch *b = r->cur;
    *off = (uint32_t)b->arena_len;
    if (len != REC_NULL && len) {
        memcpy(b->arena + b->arena_len, p, len);
        b->arena_len += len;
    }
}

/* Encodes d into r->cur's arena at its end (room for hint bytes was made
 * by row_begin; grows it when d needs more). Sets *off and *len. */
static void
put_datum(purr_recorder *r, const purr_datum *d, uint32_t *off,
          uint32_t *len)
{
    rec_batch *b = r->cur;
    size_t room = b->arena_cap - b->arena_len;
    size_t n = purr_datum_encode(d, b->arena + b->arena_len, room);
    if (n > room) {
        size_t cap = b->arena_cap * 2;
        while (cap < b->arena_len + n)
            cap *= 2;
        b->arena = purr__rec_realloc(b->arena, cap);
        b->arena_cap = cap;
        purr_datum_encode(d, b->arena + b->arena_len, n);
    }
    *off = (uint32_t)b->arena_len;
    *len = (uint32_t)n;
    b->arena_len += n;
}

/* Appends a metadata row. */
static void
append_meta(purr_recorder *r, const char *key, const char *value)
{
    uint32_t klen = (uint32_t)strlen(key), vlen = (uint32_t)strlen(value);
    rec_row *row = row_begin(r, (size_t)klen + vlen);
    memset(row, 0, sizeof *row);
    row->kind = ROW_META;
    row->s1_len = klen;
    put_bytes(r, key, klen, &row->s1_off);
    row->s2_len = vlen;
    put_bytes(r, value, vlen, &row->s2_off);
    row_end(r);
}

/* ---- events ------------------------------------------------------------ */

/* The current batch's next event slot (append_begin made room), to be
 * filled field by field (see purr__tap_slot in the core) and counted by
 * ev_commit. */
static inline rec_ev *
ev_slot(purr_recorder *r)
{
    return &r->tap.buf[r->tap.n];
}

static inline void
ev_commit(purr_recorder *r)
{
    if (++r->tap.n == r->tap.cap && !r->real)
        tap_full(&r->tap);
}

/* Appends one transition. Scalars travel inline; anything else is encoded
 * into the arena now, while the datum exists. */
static void
append_transition(purr_recorder *r, const purr_trace *ev, uint64_t value_id)
{
    append_begin(r);
    const purr_datum *d = ev->new_value;
    rec_ev *e = ev_slot(r);
    e->kind = PURR_EV_VALUE_SET;
    e->reserved = 0;
    e->aux = (uint32_t)value_id;
    e->seq = ev->value_seq;
    e->time_ns = ev->time_ns;
    e->task_id = ev->task_id;
    switch (d->type) {
    case PURR_T_NIL:
        e->type = PURR_T_NIL;
        e->arg = 0;
        break;
    case PURR_T_BOOL:
        e->type = PURR_T_BOOL;
        e->arg = d->u.b ? 1 : 0;
        break;
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        e->type = (uint8_t)d->type;
        memcpy(&e->arg, &d->u, sizeof e->arg);
        break;
    default: {
        uint32_t off, len;
        put_datum(r, d, &off, &len);
        e->type = REC_ARENA;
        e->arg = (uint64_t)off << 32 | len;
        break;
    }
    }
    ev_commit(r);
    append_end(r);
}

/* Appends one task event; the detail string (a constant: core.h) is
 * numbered by the writer thread. */
static void
append_task_event(purr_recorder *r, const purr_trace *ev)
{
    append_begin(r);
    rec_ev *e = ev_slot(r);
    e->kind = (uint8_t)ev->kind;
    e->type = 0;
    e->reserved = 0;
    e->aux = (uint32_t)ev->status;
    e->seq = ev->seq;
    e->time_ns = ev->time_ns;
    e->task_id = ev->task_id;
    e->arg = (uint64_t)(uintptr_t)ev->detail;
    ev_commit(r);
    append_end(r);
}

/* ---------------------------------------------------------------------- */
/* The observer                                                            */
/* ---------------------------------------------------------------------- */

/* Appends v's value-table row once, with initial as its initial datum. */
static void
value_row(purr_recorder *r, purr_value *v, const purr_datum *initial,
          purr_time time_ns)
{
    uint64_t id = purr_value_id(v);
    if (id >= r->value_seen_cap) {
        size_t cap = r->value_seen_cap ? r->value_seen_cap * 2 : 64;
        while (cap <= id)
            cap *= 2;
        r->value_seen = purr__rec_realloc(r->value_seen, cap);
        memset(r->value_seen + r->value_seen_cap, 0, cap - r->value_seen_cap);
        r->value_seen_cap = cap;
    }
    if (r->value_seen[id])
        return;
    r->value_seen[id] = true;
    purr_datum nil = purr_datum_nil();
    const char *name = purr_value_name(v);
    uint32_t nlen = (uint32_t)strlen(name);
    rec_row *row = row_begin(r, (size_t)nlen + 64);
    *row = (rec_row){.kind = ROW_VALUE,
                     .id = id,
                     .status = (int32_t)purr_value_role(v),
                     .small = (uint8_t)purr_value_type(v),
                     .time_ns = time_ns,
                     .s1_len = nlen};
    put_bytes(r, name, nlen, &row->s1_off);
    put_datum(r, initial ? initial : &nil, &row->s2_off, &row->s2_len);
    row_end(r);
}

/* A transition: the value's row first if it has none yet. */
static void
record_transition(purr_recorder *r, const purr_trace *ev)
{
    uint64_t id = purr_value_id(ev->value);
    if (id >= r->value_seen_cap || !r->value_seen[id])
        value_row(r, ev->value, ev->old_value, ev->time_ns);
    append_transition(r, ev, id);
}

/* The tap's slow path: transitions of strings, bytes and tuples, and each
 * value's first transition (core.h). */
static void
tap_slow(purr_tap *tap, const purr_trace *ev)
{
    record_transition(tap->ctx, ev);
}

/* The observer: every event on the real clock; on the virtual clock the
 * kinds the tap does not take. */
static void
observe(const purr_trace *ev, void *ctx)
{
    purr_recorder *r = ctx;

    if (atomic_load_explicit(&r->failed, memory_order_relaxed))
        return;
    switch (ev->kind) {
    case PURR_EV_VALUE_CREATED:
        value_row(r, ev->value, ev->new_value, ev->time_ns);
        return;
    case PURR_EV_VALUE_SET:
        record_transition(r, ev);
        return;
    case PURR_EV_VALUE_CLOSED:
        return;
    default:
        break;
    }

    /* Task events. */
    if (ev->kind == PURR_EV_TASK_SPAWNED || ev->kind == PURR_EV_TASK_STARTED) {
        const char *name = ev->task ? purr_task_name(ev->task) : "";
        uint32_t nlen = (uint32_t)strlen(name);
        rec_row *row = row_begin(r, nlen);
        *row = (rec_row){.kind = ROW_TASK,
                         .id = ev->task_id,
                         .aux = ev->parent_task_id,
                         .s1_len = nlen,
                         .s2_len = REC_NULL};
        put_bytes(r, name, nlen, &row->s1_off);
        row_end(r);
    }
    append_task_event(r, ev);
}

/* ---------------------------------------------------------------------- */
/* Statements and the connection                                           */
/* ---------------------------------------------------------------------- */

static const char SQL_VALUE[] =
    "INSERT INTO value (id, name, role, type, created_ns, initial)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TCHUNK[] =
    "INSERT INTO transition_chunk (first_seq, first_ns, count, data)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TASK[] =
    "INSERT OR IGNORE INTO task (id, name, parent_task_id) VALUES (?1, ?2, ?3)";
static const char SQL_ECHUNK[] =
    "INSERT INTO task_event_chunk (first_seq, first_ns, count, data)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char SQL_DETAIL[] =
    "INSERT INTO detail (id, text) VALUES (?1, ?2)";
static const char SQL_STATS[] =
    "INSERT OR REPLACE INTO value_stats (value_id, transitions, first_ns,"
    " last_ns) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_META[] =
    "INSERT OR REPLACE INTO run (key, value) VALUES (?1, ?2)";

/* Finalizes every statement (NULL ones are skipped). */
static void
finalize_stmts(purr_recorder *r)
{
    sqlite3_stmt **sts[] = {&r->st_value,  &r->st_tchunk, &r->st_task,
                            &r->st_echunk, &r->st_meta,   &r->st_detail,
                            &r->st_stats,  &r->st_begin,  &r->st_commit};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) {
        sqlite3_finalize(*sts[i]);
        *sts[i] = NULL;
    }
}

/* Closes the connection after finalizing every statement. */
static void
close_db(purr_recorder *r)
{
    finalize_stmts(r);
    if (r->db) {
        int rc = sqlite3_close(r->db);
        if (rc != SQLITE_OK)
            purr__rec_fail_sqlite(r, rc, "closing");
        r->db = NULL;
    }
}

static void
free_recorder(purr_recorder *r)
{
    free(r->tmp_path);
    free(r->path);
    free(r->value_seen);
    free(r->stage);
    free(r->wbuf[0].p);
    free(r->wbuf[1].p);
    free(r->wchunks);
    free(r->vstats);
    free(r->vdirty);
    free(r->detail_ptrs);
    free(r->detail_codes);
    for (size_t i = 0; i < r->ndetails; i++)
        free(r->detail_texts[i]);
    free(r->detail_texts);
    purr__rec_batch_free(r->cur);
    while (r->free_list) {
        rec_batch *b = r->free_list;
        r->free_list = b->next;
        purr__rec_batch_free(b);
    }
    free(r);
}

/* Runs one PRAGMA or statement whose result is ignored. */
static int
exec_sql(purr_recorder *r, const char *sql)
{
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : purr__rec_fail_sqlite(r, rc, sql);
}

/* ---------------------------------------------------------------------- */
/* The file: where SQLite writes, and how a recording is published         */
/* ---------------------------------------------------------------------- */

/* Records a failed system call about file as the sticky error (PURR_EIO,
 * with errno's text; the first error wins). Returns PURR_EIO. */
static int
fail_sys(purr_recorder *r, const char *what, const char *file)
{
    int e = errno;
    if (!r->err) {
        r->err = PURR_EIO;
        purr_diag_set(&r->diag, r->path, 0, 0, "%s %s: %s", what, file,
                      strerror(e));
        atomic_store(&r->failed, true);
    }
    return PURR_EIO;
}

/* The file SQLite writes: the temporary file when replacing, else path. */
static const char *
written_path(const purr_recorder *r)
{
    return r->tmp_path ? r->tmp_path : r->path;
}

/* Deletes the SQLite files beside file: its -wal, -shm and -journal, and
 * file itself unless only_beside. A missing one is no error. Returns 0 or
 * PURR_EIO (the sticky error names the first file that could not go). */
static int
remove_db_files(purr_recorder *r, const char *file, bool only_beside)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal", ""};
    size_t cap = strlen(file) + 16;
    char *p = purr__rec_malloc(cap);
    int rc = 0;
    /* The database last: a -wal without its database is harmless, the
     * other way round a recording could lose committed data. */
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if (only_beside && !suffix[i][0])
            break;
        snprintf(p, cap, "%s%s", file, suffix[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = fail_sys(r, "cannot remove", p);
    }
    free(p);
    return rc;
}

/* Creates the file SQLite will write and sets r->tmp_path. A new path is
 * claimed with O_EXCL (so two recorders never share a file) and written in
 * place: a killed run leaves its gap-free prefix there. An existing path
 * (opts.overwrite) is left untouched until close: SQLite writes a
 * temporary file ".NAME.purr-tmp-XXXXXX" in path's directory (the same
 * file system, so close can rename it over path atomically; a dot file, so
 * a leftover of a killed run is recognisable and out of the way), with the
 * replaced file's permission bits. Returns 0, or a PURR_E* code with diag
 * filled. */
static int
create_file(purr_recorder *r, purr_diag *diag /* out */)
{
    const char *path = r->path;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
        close(fd);
        /* A -wal left beside a deleted recording would be read into the
         * new one. */
        if (remove_db_files(r, path, true)) {
            *diag = r->diag;
            unlink(path);
            return PURR_EIO;
        }
        return 0;
    }
    struct stat st;
    if (errno != EEXIST) {
        purr_diag_set(diag, path, 0, 0, "cannot create: %s", strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? PURR_ENOENT : PURR_EIO;
    }
    if (!r->opts.overwrite) {
        purr_diag_set(diag, path, 0, 0, "already exists");
        return PURR_EEXIST;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        purr_diag_set(diag, path, 0, 0, "cannot replace: is a directory");
        return PURR_EEXIST;
    }
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    size_t cap = strlen(path) + 32;
    char *tmp = purr__rec_malloc(cap);
    snprintf(tmp, cap, "%.*s.%s.purr-tmp-XXXXXX", dirlen, path, path + dirlen);
    fd = mkstemp(tmp);
    if (fd < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot create a temporary file %s: %s",
                      tmp, strerror(errno));
        free(tmp);
        return PURR_EIO;
    }
    /* mkstemp makes it 0600; the replacement reads as the old file did. */
    if (stat(path, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    close(fd);
    r->tmp_path = tmp;
    return 0;
}

/* Makes the written file a single self-contained file and closes it: after
 * the statements are finalized, journal_mode=DELETE checkpoints the WAL
 * into the file and deletes the -wal and -shm. *single receives whether
 * that happened: it does not when another connection has the file open
 * (SQLITE_BUSY), which is no error here (the file is whole, with its -wal
 * beside it until that connection ends); every other failure becomes the
 * sticky error. Returns the sticky error. */
static int
finish_db(purr_recorder *r, bool *single /* out */)
{
    *single = false;
    finalize_stmts(r);
    if (!r->db)
        return r->err;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode=DELETE", -1, &st,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *single = strcmp((const char *)sqlite3_column_text(st, 0),
                         "delete") == 0;
    else if ((rc & 0xff) != SQLITE_BUSY)
        purr__rec_fail_sqlite(r, rc, "PRAGMA journal_mode=DELETE");
    sqlite3_finalize(st);
    close_db(r);
    return r->err;
}

/* Renames the finished temporary file over path, which replaces the old
 * recording in one step, then deletes the -wal and -shm a killed run of
 * the old one may have left beside path: SQLite would read that -wal into
 * the new file (whatever its header says; the reader ignores it, the
 * sqlite3 shell does not). Returns 0 or the sticky error; on a failed
 * rename the temporary file is still there. */
static int
publish(purr_recorder *r)
{
    if (rename(r->tmp_path, r->path) != 0)
        return fail_sys(r, "cannot rename", r->tmp_path);
    free(r->tmp_path);
    r->tmp_path = NULL;
    return remove_db_files(r, r->path, true);
}

/* ---------------------------------------------------------------------- */
/* Open, attach, metadata, close                                           */
/* ---------------------------------------------------------------------- */

purr_recorder *
purr_recorder_open(const char *path, const purr_recorder_options *opts,
                   purr_diag *diag)
{
    purr_diag scratch;
    if (!diag)
        diag = &scratch;
    purr_recorder *r = purr__rec_malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    atomic_init(&r->failed, false);
    atomic_init(&r->discarding, false);
    r->path = purr__rec_strdup(path);
    if (opts)
        r->opts = *opts;
    if (r->opts.batch_rows == 0)
        r->opts.batch_rows = DEFAULT_BATCH_ROWS;
    if (r->opts.batch_age_ns <= 0)
        r->opts.batch_age_ns = DEFAULT_BATCH_AGE_NS;

    if (create_file(r, diag))
        goto fail_free;

    int rc = sqlite3_open_v2(written_path(r), &r->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        purr__rec_fail_sqlite(r, rc, "creating the recording");
        goto fail;
    }
    /* Larger pages mean fewer b-tree splits per row; set before WAL so
     * the empty file takes it. */
    /* synchronous first: switching to WAL commits a rollback-journal
     * transaction, which would otherwise fsync four times. */
    if (exec_sql(r, "PRAGMA synchronous=OFF") ||
        exec_sql(r, "PRAGMA page_size=16384"))
        goto fail;
    /* journal_mode returns the mode it ended up in: insist on WAL, which
     * is what the crash-safety argument above relies on. */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        sqlite3_finalize(st);
        purr_diag_set(&r->diag, path, 0, 0, "cannot switch to WAL mode");
        r->err = PURR_EIO;
        goto fail;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        purr__rec_fail_sqlite(r, rc, "PRAGMA journal_mode");
        goto fail;
    }
    /* OFF: nothing is fsynced. A killed process loses nothing that was
     * committed (the data is in the kernel's page cache, and WAL keeps the
     * file consistent at any kill); an OS crash or power cut may lose the
     * recording's last seconds. fsync at every checkpoint or at close
     * would cost more than the whole recording does (docs/recording.md).
     * The small autocheckpoint (32 pages, 512 KiB) makes the writer thread
     * copy the WAL into the file as it goes, while it is still in the
     * page cache, so that close has little left to do; the small cache is
     * enough for appending and leaves the loop's data in the CPU caches.
     * (Measured with bench_recorder: 256 pages and a 32 MiB cache made
     * the writer 30% slower.) */
    if (exec_sql(r, "PRAGMA synchronous=OFF") || /* again, for WAL mode */
        exec_sql(r, "PRAGMA wal_autocheckpoint=32") ||
        exec_sql(r, "PRAGMA cache_size=-1024"))
        goto fail;
    /* The tables, in one transaction, so that a crash never leaves half
     * a schema. The views follow in the writer's first transaction. */
    const char *mark = strstr(purr__recorder_schema, "\n" REC_VIEWS_MARK);
    char *tables = purr__rec_malloc((size_t)(mark - purr__recorder_schema) + 2);
    memcpy(tables, purr__recorder_schema,
           (size_t)(mark - purr__recorder_schema) + 1);
    tables[mark - purr__recorder_schema + 1] = 0;
    if ((rc = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK ||
        (rc = sqlite3_exec(r->db, tables, NULL, NULL, NULL)) != SQLITE_OK ||
        (rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        free(tables);
        purr__rec_fail_sqlite(r, rc, "creating the schema");
        goto fail;
    }
    free(tables);

    struct {
        sqlite3_stmt **st;
        const char *sql;
    } prep[] = {{&r->st_value, SQL_VALUE},   {&r->st_tchunk, SQL_TCHUNK},
                {&r->st_task, SQL_TASK},     {&r->st_echunk, SQL_ECHUNK},
                {&r->st_meta, SQL_META},     {&r->st_detail, SQL_DETAIL},
                {&r->st_stats, SQL_STATS},
                {&r->st_begin, "BEGIN"},     {&r->st_commit, "COMMIT"}};
    for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++) {
        rc = sqlite3_prepare_v3(r->db, prep[i].sql, -1,
                                SQLITE_PREPARE_PERSISTENT, prep[i].st, NULL);
        if (rc != SQLITE_OK) {
            purr__rec_fail_sqlite(r, rc, "preparing a statement");
            goto fail;
        }
    }
    r->stage = purr__rec_malloc_aligned(64, REC_AGE_STRIDE * sizeof *r->stage);
    purr__rec_cur_open(r, purr__rec_batch_new(r));
    r->nbatches = 1;
    append_meta(r, "purr_version", purr_version_string());
    append_meta(r, "created_by", "purr");
    /* Not complete until close says so, in its last transaction: a run
     * killed at any moment leaves complete = 0 (docs/recording.md,
     * "Interrupted recordings"). */
    append_meta(r, "complete", "0");
    /* Write the first rows now, so that open reports a file that cannot
     * be written. */
    rec_batch *first = purr__rec_cur_take(r);
    rc = purr__rec_write_batch(r, first);
    purr__rec_batch_reset(first);
    purr__rec_cur_open(r, first);
    if (rc)
        goto fail;
    r->views_pending = true;
    if (purr__rec_thread_start(r))
        goto fail;
    return r;

fail:
    /* Nothing of a failed open stays: the file it created goes (a
     * replaced recording is untouched). */
    close_db(r);
    remove_db_files(r, written_path(r), false);
    *diag = r->diag; /* the first error */
fail_free:
    free_recorder(r);
    return NULL;
}

int
purr_recorder_attach(purr_recorder *r, purr_loop *loop)
{
    if (atomic_load(&r->failed))
        return purr_recorder_flush(r);
    if (r->loop)
        return PURR_EBUSY;
    bool real = purr_loop_clock(loop) == PURR_CLOCK_REAL;
    uint32_t mask = PURR_EV_VALUE | (r->opts.no_task_events ? 0 : PURR_EV_TASK);
    /* On the virtual clock the loop appends the frequent events itself
     * (the tap, core.h); on the real clock the writer thread may take the
     * current batch at any moment, so every append goes through observe,
     * under mu. */
    if (!real) {
        r->tap.mask = mask & (PURR_EV_BIT(PURR_EV_TASK_BLOCKED) |
                              PURR_EV_BIT(PURR_EV_TASK_WOKEN) |
                              PURR_EV_BIT(PURR_EV_VALUE_SET));
        r->tap.full = tap_full;
        r->tap.slow = tap_slow;
        r->tap.ctx = r;
        if (purr_loop_tap(loop, &r->tap) == 0)
            mask &= ~r->tap.mask;
        else
            r->tap.mask = 0; /* another tap: observe everything */
    }
    int rc = purr_loop_observe(loop, mask, observe, r);
    if (rc < 0) {
        if (r->tap.mask)
            purr_loop_tap(loop, NULL);
        return rc;
    }
    r->seq_at_attach = purr_loop_transitions(loop);
    append_meta(r, "clock", real ? "real" : "virtual");
    /* From here the writer thread may take an idle loop's old batch. */
    pthread_mutex_lock(&r->mu);
    r->real = real;
    if (real) {
        /* No stage: the writer may take r->cur at any moment. No events
         * were appended yet, only rows. */
        r->max_batches = 64;
        r->tap.buf = r->cur->evs;
        r->tap.n = 0;
        r->tap.cap = r->opts.batch_rows;
    }
    pthread_mutex_unlock(&r->mu);
    r->loop = loop;
    return 0;
}

int
purr_recorder_set_meta(purr_recorder *r, const char *key, const char *value)
{
    /* Only a clean close may say the recording is complete. */
    if (strcmp(key, "complete") == 0)
        return PURR_EINVAL;
    if (strcmp(key, "end_ns") == 0)
        r->end_set = true;
    if (atomic_load(&r->failed))
        return purr_recorder_flush(r);
    append_meta(r, key, value);
    return 0;
}

int
purr_recorder_flush(purr_recorder *r)
{
    return purr__rec_thread_flush(r);
}

uint64_t
purr_recorder_transitions(const purr_recorder *r)
{
    /* Every transition since attach is recorded (the tap's too, which the
     * recorder does not see one by one). */
    return r->loop ? purr_loop_transitions(r->loop) - r->seq_at_attach : 0;
}

/* Stops recording loop: unregisters the observer and the tap. */
static void
detach(purr_recorder *r)
{
    if (r->loop) {
        purr_loop_observe(r->loop, 0, observe, r);
        if (r->tap.mask)
            purr_loop_tap(r->loop, NULL);
        r->loop = NULL;
    }
}

int
purr_recorder_close(purr_recorder *r, purr_diag *diag)
{
    if (!r)
        return 0;
    detach(r);
    purr__rec_thread_stop(r);
    /* The run's first and last event times, which only the writer saw,
     * and the clean-close marker, in the last transaction: complete = 1
     * means every batch before it was committed too. */
    r->real = false; /* the thread is gone: no more locking */
    if (!r->err) {
        char buf[32];
        if (r->w_any) {
            snprintf(buf, sizeof buf, "%" PRId64, r->w_first_ns);
            append_meta(r, "start_ns", buf);
            if (!r->end_set) {
                snprintf(buf, sizeof buf, "%" PRId64, r->w_last_ns + 1);
                append_meta(r, "end_ns", buf);
            }
        }
        append_meta(r, "complete", "1");
        rec_batch *b = purr__rec_cur_take(r);
        purr__rec_write_batch(r, b);
        purr__rec_batch_free(b);
    }
    /* A new file is made single even after an error: it keeps what was
     * committed, as a killed run's would. */
    bool single;
    finish_db(r, &single);
    if (r->tmp_path) {
        /* Renaming a file whose -wal is still beside it would lose that
         * -wal's commits. */
        if (!r->err && !single) {
            purr_diag_set(&r->diag, r->path, 0, 0,
                          "cannot finish %s: another process has it open",
                          r->tmp_path);
            r->err = PURR_EBUSY;
        }
        if (!r->err)
            publish(r);
        /* A failed replacement leaves the old file as it was, and no
         * temporary file. */
        if (r->tmp_path && r->err)
            remove_db_files(r, r->tmp_path, false);
    }
    int err = r->err;
    if (err && diag)
        *diag = r->diag;
    free_recorder(r);
    return err;
}

int
purr_recorder_discard(purr_recorder *r, purr_diag *diag)
{
    if (!r)
        return 0;
    detach(r);
    /* The writer drops what is still queued instead of writing it. */
    atomic_store(&r->discarding, true);
    purr__rec_thread_stop(r);
    close_db(r);
    /* What went wrong while recording no longer matters; only whether the
     * files could be deleted does. */
    r->err = 0;
    int err = remove_db_files(r, written_path(r), false);
    if (err && diag)
        *diag = r->diag;
    free_recorder(r);
    return err;
}
