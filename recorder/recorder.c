/* recorder.c - the recorder's owner side: open, attach, close, and the
 * loop thread's appends (events become fixed-size records in batches).
 * The writer thread packs them into chunks and rows (write_batch.c,
 * writer_thread.c); the file's life is in rec_file.c.
 *
 * purr_recorder_open creates the file from the embedded schema's tables
 * (WAL mode while recording, synchronous=OFF), prepares every statement
 * once and starts the writer thread (writer_thread.c). From
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

    if (purr__rec_create_file(r, diag))
        goto fail_free;

    int rc = sqlite3_open_v2(purr__rec_written_path(r), &r->db,
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
    purr__rec_close_db(r);
    purr__rec_remove_db_files(r, purr__rec_written_path(r), false);
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
    purr__rec_finish_db(r, &single);
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
            purr__rec_publish(r);
        /* A failed replacement leaves the old file as it was, and no
         * temporary file. */
        if (r->tmp_path && r->err)
            purr__rec_remove_db_files(r, r->tmp_path, false);
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
    purr__rec_close_db(r);
    /* What went wrong while recording no longer matters; only whether the
     * files could be deleted does. */
    r->err = 0;
    int err = purr__rec_remove_db_files(r, purr__rec_written_path(r), false);
    if (err && diag)
        *diag = r->diag;
    free_recorder(r);
    return err;
}
