/* write_batch.c - the writer thread's half of the recorder: a batch's
 * events packed into chunks (the record layout of schema.sql), its rows,
 * chunks, value_stats and detail rows written with prepared statements,
 * and the transaction that holds them (added to per batch, committed by
 * writer_thread.c). Determinism: the records are a function of the events
 * alone; only where commits fall depends on wall time. */
#include "recorder_int.h"

#include <stdlib.h>
#include <string.h>

/* A chunk's records stay under this many bytes: small enough that the
 * views' unpacking (which re-reads the chunk per record) stays quick and
 * that four chunk rows fill a 16 KiB page, large enough that SQLite's
 * per-row cost is a few ns per event. */
#define CHUNK_BYTES 4000

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
