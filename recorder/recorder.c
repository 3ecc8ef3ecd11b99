/* recorder.c - the recorder: observer events become records, records
 * become rows of a recording.
 *
 * purr_recorder_open creates the file from the embedded schema (WAL mode,
 * synchronous=NORMAL), prepares every statement once (STYLE R17) and starts
 * the writer thread (writer_thread.c). From then on, on both clocks, the
 * loop thread never touches SQLite: the observer appends one fixed-size
 * record per event to the current batch (the payload is purr_datum_encode'd
 * straight into the batch's arena), and the writer thread writes each full
 * batch in one transaction with bind/step/reset. A batch is handed over
 * when it holds batch_rows records, when it is older than batch_age_ns of
 * wall time (checked every 64 records on the loop thread; on the real clock
 * the writer also takes an idle loop's old batch itself), on flush and at
 * close. At most a few batches are in flight: when the writer falls behind,
 * the loop thread waits for it (back-pressure), so memory stays bounded.
 *
 * Determinism: the records are appended in event order by the loop thread,
 * and the writer writes them in that order with content computed from the
 * record alone, so every row (and every task event seen through the
 * task_event view) is a deterministic function of the run. Only where the
 * commits fall, and so how task events are grouped into task_event_chunk
 * rows, depends on wall time.
 *
 * Crash safety: transitions are written in seq order and every commit
 * covers a prefix of them; WAL commits are atomic, so a killed run's file
 * holds a gap-free prefix and an interrupted batch simply vanishes.
 *
 * Invariant: r->err, once set, never changes; every entry point returns it
 * and nothing more is written.
 */
#include "recorder_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BATCH_ROWS 10000
#define DEFAULT_BATCH_AGE_NS (250 * PURR_MS)
/* Records between two looks at the wall clock on the loop thread. */
#define AGE_CHECK_EVERY 64
/* Task events per task_event_chunk row at most. */
#define CHUNK_EVENTS 1024

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

/* Formats d into r->text. Returns the text's length. */
static size_t
format_text(purr_recorder *r, const purr_datum *d)
{
    size_t n = purr_datum_format(d, r->text, r->text_cap);
    if (n >= r->text_cap) {
        r->text_cap = n + 64;
        r->text = purr__rec_realloc(r->text, r->text_cap);
        purr_datum_format(d, r->text, r->text_cap);
    }
    return n;
}

static uint64_t
le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

/* Binds the num (3) and text (4) columns of a transition from its payload:
 * bool and int as INTEGER, doubles as REAL (NaN as text, because SQLite
 * stores a NaN REAL as NULL), strings, bytes and tuples as text. */
static int
bind_num_text(purr_recorder *r, sqlite3_stmt *st, const uint8_t *p,
              uint32_t len)
{
    int rc = SQLITE_OK;
    purr_type type = len ? (purr_type)p[0] : PURR_T_NIL;
    if (type == PURR_T_BOOL && len == 2)
        return sqlite3_bind_int(st, 3, p[1]) | sqlite3_bind_null(st, 4);
    if (type == PURR_T_INT && len == 9)
        return sqlite3_bind_int64(st, 3, (sqlite3_int64)le64(p + 1)) |
               sqlite3_bind_null(st, 4);
    if (type == PURR_T_DOUBLE && len == 9) {
        uint64_t bits = le64(p + 1);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isnan(x))
            return sqlite3_bind_double(st, 3, x) | sqlite3_bind_null(st, 4);
    }
    rc |= sqlite3_bind_null(st, 3);
    purr_datum d;
    if (type == PURR_T_NIL || r->opts.no_text ||
        purr_datum_decode(p, len, &d) < 0)
        return rc | sqlite3_bind_null(st, 4);
    size_t n = format_text(r, &d);
    purr_datum_free(&d);
    return rc | sqlite3_bind_text(st, 4, r->text, (int)n, SQLITE_STATIC);
}

/* Appends len bytes to the JSON chunk buffer. */
static void
chunk_put(purr_recorder *r, const char *p, size_t len)
{
    if (r->chunk_len + len > r->chunk_cap) {
        size_t cap = r->chunk_cap ? r->chunk_cap * 2 : 65536;
        while (cap < r->chunk_len + len)
            cap *= 2;
        r->chunk = purr__rec_realloc(r->chunk, cap);
        r->chunk_cap = cap;
    }
    memcpy(r->chunk + r->chunk_len, p, len);
    r->chunk_len += len;
}

/* Writes x in decimal at p; returns the length. */
static size_t
put_i64(char *p, int64_t x)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        p[len++] = '-';
    while (n)
        p[len++] = tmp[--n];
    return len;
}

/* Writes the open chunk of task events as one task_event_chunk row. */
static int
chunk_flush(purr_recorder *r)
{
    if (r->chunk_count == 0)
        return r->err;
    chunk_put(r, "]", 1);
    sqlite3_stmt *st = r->st_chunk;
    int rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)r->chunk_seq) |
             sqlite3_bind_int64(st, 2, r->chunk_ns) |
             sqlite3_bind_int64(st, 3, (sqlite3_int64)r->chunk_count) |
             sqlite3_bind_text(st, 4, r->chunk, (int)r->chunk_len,
                               SQLITE_STATIC);
    r->chunk_count = 0;
    r->chunk_len = 0;
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return purr__rec_fail_sqlite(r, rc, "inserting task events");
    }
    return run_stmt(r, st, "inserting task events");
}

/* Adds one task event to the open chunk, as the JSON array
 * [seq - first_seq, time_ns - first_ns, kind, task, parent, status(,
 * "detail")]; see schema.sql. */
static int
chunk_add(purr_recorder *r, const rec_batch *b, const rec_row *row)
{
    char buf[160];
    size_t n = 0;
    if (r->chunk_count == 0) {
        r->chunk_seq = row->seq;
        r->chunk_ns = row->time_ns;
        buf[n++] = '[';
    } else {
        buf[n++] = ',';
    }
    buf[n++] = '[';
    n += put_i64(buf + n, (int64_t)(row->seq - r->chunk_seq));
    buf[n++] = ',';
    n += put_i64(buf + n, row->time_ns - r->chunk_ns);
    buf[n++] = ',';
    n += put_i64(buf + n, row->small);
    buf[n++] = ',';
    n += put_i64(buf + n, (int64_t)row->id);
    buf[n++] = ',';
    n += put_i64(buf + n, (int64_t)row->aux);
    buf[n++] = ',';
    n += put_i64(buf + n, row->status);
    if (row->s1_len != REC_NULL) {
        buf[n++] = ',';
        buf[n++] = '"';
        chunk_put(r, buf, n);
        n = 0;
        const uint8_t *s = b->arena + row->s1_off;
        for (uint32_t i = 0; i < row->s1_len; i++) {
            char e[8];
            size_t k = 0;
            if (s[i] == '"' || s[i] == '\\') {
                e[k++] = '\\';
                e[k++] = (char)s[i];
            } else if (s[i] < 0x20 || s[i] >= 0x7f) {
                /* Non-ASCII too: the chunk must be valid JSON whatever
                 * bytes the detail holds. */
                k = (size_t)snprintf(e, sizeof e, "\\u%04x", s[i]);
            } else {
                e[k++] = (char)s[i];
            }
            chunk_put(r, e, k);
        }
        buf[n++] = '"';
    }
    buf[n++] = ']';
    chunk_put(r, buf, n);
    if (++r->chunk_count == CHUNK_EVENTS)
        return chunk_flush(r);
    return r->err;
}

/* Writes one record. Returns 0 or the sticky error. */
static int
write_row(purr_recorder *r, const rec_batch *b, const rec_row *row)
{
    sqlite3_stmt *st;
    const char *what;
    const uint8_t *s1 = b->arena + row->s1_off, *s2 = b->arena + row->s2_off;
    int rc = SQLITE_OK;

    switch (row->kind) {
    case ROW_TRANSITION:
        st = r->st_transition;
        what = "inserting a transition";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->seq);
        rc |= sqlite3_bind_int64(st, 2, row->time_ns);
        rc |= sqlite3_bind_int64(st, 5, (sqlite3_int64)row->id);
        rc |= sqlite3_bind_int64(st, 6, (sqlite3_int64)row->aux);
        rc |= bind_bytes(st, 7, s1, row->s1_len, true);
        rc |= bind_num_text(r, st, s1, row->s1_len);
        break;
    case ROW_TASK_EVENT:
        return chunk_add(r, b, row);
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

int
purr__rec_write_batch(purr_recorder *r, rec_batch *b)
{
    int rc;
    if (r->err || b->nrows == 0)
        return r->err;
    if ((rc = run_stmt(r, r->st_begin, "BEGIN")))
        return rc;
    for (size_t i = 0; i < b->nrows && !rc; i++)
        rc = write_row(r, b, &b->rows[i]);
    if (!rc)
        rc = chunk_flush(r);
    if (!rc)
        rc = run_stmt(r, r->st_commit, "COMMIT");
    if (rc)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Appending records (owner thread)                                        */
/* ---------------------------------------------------------------------- */

/* Makes room for one more record with bytes arena bytes in r->cur and
 * returns the record's slot (not yet counted). On the real clock it returns
 * with mu held; row_end releases it. */
static rec_row *
row_begin(purr_recorder *r, size_t bytes)
{
    if (r->real)
        pthread_mutex_lock(&r->mu);
    if (r->cur->nrows == r->opts.batch_rows) {
        if (r->real)
            pthread_mutex_unlock(&r->mu);
        purr__rec_handoff(r);
        if (r->real)
            pthread_mutex_lock(&r->mu);
    }
    rec_batch *b = r->cur;
    if (b->arena_len + bytes > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap * 2 : 65536;
        while (cap < b->arena_len + bytes)
            cap *= 2;
        b->arena = purr__rec_realloc(b->arena, cap);
        b->arena_cap = cap;
    }
    return &b->rows[b->nrows];
}

/* Counts the record row_begin returned, releases mu on the real clock and,
 * on the virtual clock, hands the batch off when it is old. */
static void
row_end(purr_recorder *r)
{
    rec_batch *b = r->cur;
    if (b->nrows++ == 0)
        b->started_ns = purr__rec_wall_ns();
    if (r->real) {
        pthread_mutex_unlock(&r->mu);
        return;
    }
    if (++r->age_tick == AGE_CHECK_EVERY) {
        r->age_tick = 0;
        if (purr__rec_wall_ns() - b->started_ns >= r->opts.batch_age_ns)
            purr__rec_handoff(r);
    }
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

static void
observe(const purr_trace *ev, void *ctx)
{
    purr_recorder *r = ctx;

    if (atomic_load_explicit(&r->failed, memory_order_relaxed))
        return;
    if (!r->any_event) {
        r->any_event = true;
        r->first_ns = ev->time_ns;
    }
    r->last_ns = ev->time_ns;

    switch (ev->kind) {
    case PURR_EV_VALUE_CREATED:
        value_row(r, ev->value, ev->new_value, ev->time_ns);
        return;
    case PURR_EV_VALUE_SET: {
        uint64_t id = purr_value_id(ev->value);
        if (id >= r->value_seen_cap || !r->value_seen[id])
            value_row(r, ev->value, ev->old_value, ev->time_ns);
        rec_row *row = row_begin(r, 64);
        row->kind = ROW_TRANSITION;
        row->seq = ev->value_seq;
        row->time_ns = ev->time_ns;
        row->id = id;
        row->aux = ev->task_id;
        row->s2_len = REC_NULL;
        put_datum(r, ev->new_value, &row->s1_off, &row->s1_len);
        r->ntransitions++;
        row_end(r);
        return;
    }
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
    uint32_t dlen = ev->detail ? (uint32_t)strlen(ev->detail) : REC_NULL;
    rec_row *row = row_begin(r, ev->detail ? dlen : 0);
    row->kind = ROW_TASK_EVENT;
    row->small = (uint8_t)ev->kind;
    row->status = ev->status;
    row->seq = ev->seq;
    row->time_ns = ev->time_ns;
    row->id = ev->task_id;
    row->aux = ev->parent_task_id;
    row->s1_len = dlen;
    row->s2_len = REC_NULL;
    put_bytes(r, ev->detail, dlen, &row->s1_off);
    row_end(r);
}

/* ---------------------------------------------------------------------- */
/* Open, attach, metadata, close                                           */
/* ---------------------------------------------------------------------- */

static const char SQL_VALUE[] =
    "INSERT INTO value (id, name, role, type, created_ns, initial)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TRANSITION[] =
    "INSERT INTO transition (seq, time_ns, num, text, value_id, task_id,"
    " payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_TASK[] =
    "INSERT OR IGNORE INTO task (id, name, parent_task_id) VALUES (?1, ?2, ?3)";
static const char SQL_CHUNK[] =
    "INSERT INTO task_event_chunk (first_seq, first_ns, count, events)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char SQL_META[] =
    "INSERT OR REPLACE INTO run (key, value) VALUES (?1, ?2)";

/* Closes the connection after finalizing every statement. */
static void
close_db(purr_recorder *r)
{
    sqlite3_stmt **sts[] = {&r->st_value, &r->st_transition, &r->st_task,
                            &r->st_chunk, &r->st_meta,       &r->st_begin,
                            &r->st_commit};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) {
        sqlite3_finalize(*sts[i]);
        *sts[i] = NULL;
    }
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
    free(r->path);
    free(r->value_seen);
    free(r->scratch);
    free(r->text);
    free(r->chunk);
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

purr_recorder *
purr_recorder_open(const char *path, const purr_recorder_options *opts,
                   purr_diag *diag)
{
    purr_recorder *r = purr__rec_malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    atomic_init(&r->failed, false);
    r->path = purr__rec_strdup(path);
    if (opts)
        r->opts = *opts;
    if (r->opts.batch_rows == 0)
        r->opts.batch_rows = DEFAULT_BATCH_ROWS;
    if (r->opts.batch_age_ns <= 0)
        r->opts.batch_age_ns = DEFAULT_BATCH_AGE_NS;
    r->text_cap = 256;
    r->text = purr__rec_malloc(r->text_cap);

    if (access(path, F_OK) == 0) {
        if (!r->opts.overwrite) {
            purr_diag_set(diag, path, 0, 0, "already exists");
            goto fail_free;
        }
        /* A stale -wal would be replayed into the new file: remove all. */
        size_t n = strlen(path) + 5;
        char *side = purr__rec_malloc(n);
        unlink(path);
        snprintf(side, n, "%s-wal", path);
        unlink(side);
        snprintf(side, n, "%s-shm", path);
        unlink(side);
        free(side);
    }

    int rc = sqlite3_open_v2(path, &r->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        purr__rec_fail_sqlite(r, rc, "creating the recording");
        goto fail;
    }
    /* Larger pages mean fewer b-tree splits per row; set before WAL so
     * the empty file takes it. */
    if (exec_sql(r, "PRAGMA page_size=16384"))
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
    /* NORMAL: a commit does not fsync (only checkpoints do), and WAL keeps
     * the file consistent at any kill. The larger autocheckpoint and cache
     * keep the writer thread in memory between checkpoints. */
    if (exec_sql(r, "PRAGMA synchronous=NORMAL") ||
        exec_sql(r, "PRAGMA wal_autocheckpoint=4000") ||
        exec_sql(r, "PRAGMA cache_size=-32768"))
        goto fail;
    /* One transaction, so that a crash never leaves half a schema. */
    if ((rc = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK ||
        (rc = sqlite3_exec(r->db, purr__recorder_schema, NULL, NULL,
                           NULL)) != SQLITE_OK ||
        (rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        purr__rec_fail_sqlite(r, rc, "creating the schema");
        goto fail;
    }

    struct {
        sqlite3_stmt **st;
        const char *sql;
    } prep[] = {{&r->st_value, SQL_VALUE},  {&r->st_transition, SQL_TRANSITION},
                {&r->st_task, SQL_TASK},    {&r->st_chunk, SQL_CHUNK},
                {&r->st_meta, SQL_META},    {&r->st_begin, "BEGIN"},
                {&r->st_commit, "COMMIT"}};
    for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++) {
        rc = sqlite3_prepare_v3(r->db, prep[i].sql, -1,
                                SQLITE_PREPARE_PERSISTENT, prep[i].st, NULL);
        if (rc != SQLITE_OK) {
            purr__rec_fail_sqlite(r, rc, "preparing a statement");
            goto fail;
        }
    }
    r->cur = purr__rec_batch_new(r);
    r->nbatches = 1;
    append_meta(r, "purr_version", purr_version_string());
    append_meta(r, "created_by", "purr");
    /* Write the first rows now, so that open reports a file that cannot
     * be written. */
    if (purr__rec_write_batch(r, r->cur))
        goto fail;
    r->cur->nrows = 0;
    r->cur->arena_len = 0;
    if (purr__rec_thread_start(r))
        goto fail;
    return r;

fail:
    if (diag)
        *diag = r->diag;
    close_db(r);
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
    int rc = purr_loop_observe(loop, mask, observe, r);
    if (rc < 0)
        return rc;
    append_meta(r, "clock", real ? "real" : "virtual");
    /* From here the writer thread may take an idle loop's old batch. */
    pthread_mutex_lock(&r->mu);
    r->real = real;
    if (real)
        r->max_batches = 64;
    pthread_mutex_unlock(&r->mu);
    r->loop = loop;
    return 0;
}

int
purr_recorder_set_meta(purr_recorder *r, const char *key, const char *value)
{
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
    return r->ntransitions;
}

int
purr_recorder_close(purr_recorder *r, purr_diag *diag)
{
    if (!r)
        return 0;
    if (r->loop)
        purr_loop_observe(r->loop, 0, observe, r);
    if (r->any_event) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, r->first_ns);
        append_meta(r, "start_ns", buf);
        if (!r->end_set) {
            snprintf(buf, sizeof buf, "%" PRId64, r->last_ns + 1);
            append_meta(r, "end_ns", buf);
        }
    }
    purr__rec_thread_stop(r);
    close_db(r);
    int err = r->err;
    if (err && diag)
        *diag = r->diag;
    free_recorder(r);
    return err;
}
