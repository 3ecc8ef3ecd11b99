/* recorder.c - the recorder: observer events become rows of a recording.
 *
 * purr_recorder_open creates the file from the embedded schema (WAL mode,
 * synchronous=NORMAL) and prepares every statement once (STYLE R17). The
 * observer turns each event into a rec_row. On the virtual clock it writes
 * the row at once, inside the loop thread, so the file is a deterministic
 * function of the run; on the real clock it queues the row for the writer
 * thread (writer_thread.c) so that SQLite never blocks the loop.
 *
 * Rows are written inside a batch transaction that is committed every
 * batch_rows rows, when the batch is older than batch_age_ns of wall time
 * (checked every 64 rows, so the clock costs nothing per row), on flush and
 * at close. Transitions are written in seq order and every commit covers a
 * prefix of them, which is what makes a killed run's file a gap-free
 * prefix: WAL commits are atomic, so an interrupted batch simply vanishes.
 *
 * Invariant: r->err, once set, never changes; every entry point returns it
 * and nothing more is written.
 */
#include "recorder_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BATCH_ROWS 10000
#define DEFAULT_BATCH_AGE_NS (250 * PURR_MS)
/* Rows between two looks at the wall clock. */
#define AGE_CHECK_EVERY 64

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
        purr__diag_set(&r->diag, r->path, 0, "%s: %s (sqlite rc %d)", what,
                       r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc),
                       rc);
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
/* Writing rows                                                            */
/* ---------------------------------------------------------------------- */

int
purr__rec_commit(purr_recorder *r)
{
    if (!r->in_txn)
        return r->err;
    r->in_txn = false;
    r->batch_rows = 0;
    int rc = run_stmt(r, r->st_commit, "COMMIT");
    if (rc)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Binds len bytes at p as text or blob to parameter i; SIZE_MAX means NULL.
 * SQLITE_STATIC is right here: every byte string outlives the step that
 * reads it (the statement is reset before the caller's buffer changes, and
 * every parameter is bound again before the next step). */
static int
bind_bytes(sqlite3_stmt *st, int i, const void *p, size_t len, bool blob)
{
    if (len == SIZE_MAX)
        return sqlite3_bind_null(st, i);
    if (blob)
        return sqlite3_bind_blob64(st, i, len ? p : "", len, SQLITE_STATIC);
    return sqlite3_bind_text64(st, i, len ? p : "", len, SQLITE_STATIC,
                               SQLITE_UTF8);
}

/* Formats the datum encoded in the row's payload into r->text.
 * Returns the text's length, or SIZE_MAX when the payload does not decode
 * (it was produced by purr_datum_encode, so that would be a bug). */
static size_t
format_payload(purr_recorder *r, const purr_datum *d)
{
    size_t n = purr_datum_format(d, r->text, r->text_cap);
    if (n >= r->text_cap) {
        r->text_cap = n + 64;
        r->text = purr__rec_realloc(r->text, r->text_cap);
        purr_datum_format(d, r->text, r->text_cap);
    }
    return n;
}

int
purr__rec_write_row(purr_recorder *r, const rec_row *row)
{
    sqlite3_stmt *st;
    const char *what;
    int rc = SQLITE_OK;

    if (r->err)
        return r->err;
    if (!r->in_txn) {
        if ((rc = run_stmt(r, r->st_begin, "BEGIN")))
            return rc;
        r->in_txn = true;
        r->batch_rows = 0;
        r->batch_started_ns = purr__rec_wall_ns();
    }

    switch (row->kind) {
    case ROW_TRANSITION: {
        const void *text = row->s2;
        size_t text_len = row->s2_len;
        if (r->opts.no_text) {
            text_len = SIZE_MAX;
        } else if (!text) {
            /* Queued row: the text is made here, off the loop thread. */
            purr_datum d;
            if (purr_datum_decode(row->s1, row->s1_len, &d) == 0) {
                text_len = format_payload(r, &d);
                text = r->text;
                purr_datum_free(&d);
            } else {
                text_len = SIZE_MAX;
            }
        }
        st = r->st_transition;
        what = "inserting a transition";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->seq);
        rc |= sqlite3_bind_int64(st, 2, row->time_ns);
        rc |= sqlite3_bind_int64(st, 3, (sqlite3_int64)row->id);
        rc |= sqlite3_bind_int64(st, 4, (sqlite3_int64)row->task_id);
        rc |= bind_bytes(st, 5, row->s1, row->s1_len, true);
        rc |= bind_bytes(st, 6, text, text_len, false);
        break;
    }
    case ROW_VALUE:
        st = r->st_value;
        what = "inserting a value";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->id);
        rc |= bind_bytes(st, 2, row->s1, row->s1_len, false);
        rc |= sqlite3_bind_int(st, 3, row->status);
        rc |= sqlite3_bind_int(st, 4, row->small);
        rc |= sqlite3_bind_int64(st, 5, row->time_ns);
        rc |= bind_bytes(st, 6, row->s2, row->s2_len, true);
        break;
    case ROW_TASK:
        st = r->st_task;
        what = "inserting a task";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->id);
        rc |= bind_bytes(st, 2, row->s1, row->s1_len, false);
        rc |= sqlite3_bind_int64(st, 3, (sqlite3_int64)row->parent_id);
        break;
    case ROW_TASK_EVENT:
        st = r->st_task_event;
        what = "inserting a task event";
        rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)row->seq);
        rc |= sqlite3_bind_int64(st, 2, row->time_ns);
        rc |= sqlite3_bind_int(st, 3, row->small);
        rc |= sqlite3_bind_int64(st, 4, (sqlite3_int64)row->id);
        rc |= sqlite3_bind_int64(st, 5, (sqlite3_int64)row->parent_id);
        rc |= sqlite3_bind_int(st, 6, row->status);
        rc |= bind_bytes(st, 7, row->s1, row->s1_len, false);
        break;
    case ROW_META:
        st = r->st_meta;
        what = "setting run metadata";
        rc |= bind_bytes(st, 1, row->s1, row->s1_len, false);
        rc |= bind_bytes(st, 2, row->s2, row->s2_len, false);
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
    if ((rc = run_stmt(r, st, what)))
        return rc;

    r->batch_rows++;
    if (r->batch_rows >= r->opts.batch_rows)
        return purr__rec_commit(r);
    if (r->batch_rows % AGE_CHECK_EVERY == 0 &&
        purr__rec_wall_ns() - r->batch_started_ns >= r->opts.batch_age_ns)
        return purr__rec_commit(r);
    return 0;
}

/* Writes row now (virtual clock, or no loop) or queues it (real clock). */
static void
emit(purr_recorder *r, const rec_row *row)
{
    if (r->threaded)
        purr__rec_thread_push(r, row);
    else
        purr__rec_write_row(r, row);
}

/* ---------------------------------------------------------------------- */
/* The observer                                                            */
/* ---------------------------------------------------------------------- */

/* Encodes d into r->scratch. Returns the encoding's length. */
static size_t
encode(purr_recorder *r, const purr_datum *d)
{
    size_t n = purr_datum_encode(d, r->scratch, r->scratch_cap);
    if (n > r->scratch_cap) {
        r->scratch_cap = n + 256;
        r->scratch = purr__rec_realloc(r->scratch, r->scratch_cap);
        purr_datum_encode(d, r->scratch, r->scratch_cap);
    }
    return n;
}

/* Writes v's value-table row once, with initial as its initial datum. */
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
    rec_row row = {.kind = ROW_VALUE,
                   .id = id,
                   .status = (int32_t)purr_value_role(v),
                   .small = (int32_t)purr_value_type(v),
                   .time_ns = time_ns,
                   .s1 = name,
                   .s1_len = strlen(name)};
    row.s2_len = encode(r, initial ? initial : &nil);
    row.s2 = r->scratch;
    emit(r, &row);
}

static void
observe(const purr_trace *ev, void *ctx)
{
    purr_recorder *r = ctx;

    /* On the threaded path err belongs to the writer thread; the rows it
     * would refuse are simply dropped there. */
    if (!r->threaded && r->err)
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
        rec_row row = {.kind = ROW_TRANSITION,
                       .seq = ev->value_seq,
                       .time_ns = ev->time_ns,
                       .id = id,
                       .task_id = ev->task_id};
        row.s1_len = encode(r, ev->new_value);
        row.s1 = r->scratch;
        if (!r->threaded && !r->opts.no_text) {
            row.s2_len = format_payload(r, ev->new_value);
            row.s2 = r->text;
        }
        r->ntransitions++;
        emit(r, &row);
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
        rec_row row = {.kind = ROW_TASK,
                       .id = ev->task_id,
                       .parent_id = ev->parent_task_id,
                       .s1 = name,
                       .s1_len = strlen(name)};
        emit(r, &row);
    }
    rec_row row = {.kind = ROW_TASK_EVENT,
                   .seq = ev->seq,
                   .time_ns = ev->time_ns,
                   .small = (int32_t)ev->kind,
                   .id = ev->task_id,
                   .parent_id = ev->parent_task_id,
                   .status = ev->status,
                   .s1 = ev->detail,
                   .s1_len = ev->detail ? strlen(ev->detail) : SIZE_MAX};
    emit(r, &row);
}

/* ---------------------------------------------------------------------- */
/* Open, attach, metadata, close                                           */
/* ---------------------------------------------------------------------- */

static const char SQL_VALUE[] =
    "INSERT INTO value (id, name, role, type, created_ns, initial)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TRANSITION[] =
    "INSERT INTO transition (seq, time_ns, value_id, task_id, payload, text)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TASK[] =
    "INSERT OR IGNORE INTO task (id, name, parent_task_id) VALUES (?1, ?2, ?3)";
static const char SQL_TASK_EVENT[] =
    "INSERT INTO task_event (seq, time_ns, kind, task_id, parent_task_id,"
    " status, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_META[] =
    "INSERT OR REPLACE INTO run (key, value) VALUES (?1, ?2)";

/* Writes one metadata row synchronously (no writer thread running). */
static int
meta_now(purr_recorder *r, const char *key, const char *value)
{
    rec_row row = {.kind = ROW_META,
                   .s1 = key,
                   .s1_len = strlen(key),
                   .s2 = value,
                   .s2_len = strlen(value)};
    return purr__rec_write_row(r, &row);
}

/* Closes the connection after finalizing every statement. */
static void
close_db(purr_recorder *r)
{
    sqlite3_stmt **sts[] = {&r->st_value, &r->st_transition, &r->st_task,
                            &r->st_task_event, &r->st_meta, &r->st_begin,
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
    free(r->queue.rows);
    free(r->queue.arena);
    free(r->spare.rows);
    free(r->spare.arena);
    free(r);
}

purr_recorder *
purr_recorder_open(const char *path, const purr_recorder_options *opts,
                   purr_diag *diag)
{
    purr_recorder *r = purr__rec_malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->path = purr__rec_strdup(path);
    if (opts)
        r->opts = *opts;
    if (r->opts.batch_rows == 0)
        r->opts.batch_rows = DEFAULT_BATCH_ROWS;
    if (r->opts.batch_age_ns <= 0)
        r->opts.batch_age_ns = DEFAULT_BATCH_AGE_NS;
    r->text_cap = 256;
    r->text = purr__rec_malloc(r->text_cap);
    r->scratch_cap = 256;
    r->scratch = purr__rec_malloc(r->scratch_cap);

    if (access(path, F_OK) == 0) {
        if (!r->opts.overwrite) {
            purr__diag_set(diag, path, 0, "already exists");
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
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        purr__rec_fail_sqlite(r, rc, "creating the recording");
        goto fail;
    }
    /* journal_mode returns the mode it ended up in: insist on WAL, which
     * is what the crash-safety argument above relies on. */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        sqlite3_finalize(st);
        purr__diag_set(&r->diag, path, 0, "cannot switch to WAL mode");
        r->err = PURR_EIO;
        goto fail;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        purr__rec_fail_sqlite(r, rc, "PRAGMA journal_mode");
        goto fail;
    }
    if ((rc = sqlite3_exec(r->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
                           NULL)) != SQLITE_OK) {
        purr__rec_fail_sqlite(r, rc, "PRAGMA synchronous");
        goto fail;
    }
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
    } prep[] = {{&r->st_value, SQL_VALUE},
                {&r->st_transition, SQL_TRANSITION},
                {&r->st_task, SQL_TASK},
                {&r->st_task_event, SQL_TASK_EVENT},
                {&r->st_meta, SQL_META},
                {&r->st_begin, "BEGIN"},
                {&r->st_commit, "COMMIT"}};
    for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++) {
        rc = sqlite3_prepare_v3(r->db, prep[i].sql, -1,
                                SQLITE_PREPARE_PERSISTENT, prep[i].st, NULL);
        if (rc != SQLITE_OK) {
            purr__rec_fail_sqlite(r, rc, "preparing a statement");
            goto fail;
        }
    }
    if (meta_now(r, "purr_version", purr_version_string()) ||
        meta_now(r, "created_by", "purr") || purr__rec_commit(r))
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
    if (r->err)
        return r->err;
    if (r->loop)
        return PURR_EBUSY;
    bool real = purr_loop_clock(loop) == PURR_CLOCK_REAL;
    int rc = meta_now(r, "clock", real ? "real" : "virtual");
    if (rc)
        return rc;
    if (real) {
        /* The thread owns the connection from here until close. */
        if ((rc = purr__rec_commit(r)) || (rc = purr__rec_thread_start(r)))
            return rc;
        r->threaded = true;
    }
    uint32_t mask = PURR_EV_VALUE | (r->opts.no_task_events ? 0 : PURR_EV_TASK);
    if ((rc = purr_loop_observe(loop, mask, observe, r)) < 0) {
        if (real) {
            purr__rec_thread_stop(r);
            r->threaded = false;
        }
        return rc;
    }
    r->loop = loop;
    return 0;
}

int
purr_recorder_set_meta(purr_recorder *r, const char *key, const char *value)
{
    if (strcmp(key, "end_ns") == 0)
        r->end_set = true;
    if (!r->threaded)
        return meta_now(r, key, value);
    rec_row row = {.kind = ROW_META,
                   .s1 = key,
                   .s1_len = strlen(key),
                   .s2 = value,
                   .s2_len = strlen(value)};
    purr__rec_thread_push(r, &row);
    return 0;
}

int
purr_recorder_flush(purr_recorder *r)
{
    if (r->threaded)
        return purr__rec_thread_flush(r);
    return purr__rec_commit(r);
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
    if (r->threaded) {
        purr__rec_thread_stop(r);
        r->threaded = false;
    }
    if (r->any_event) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, r->first_ns);
        meta_now(r, "start_ns", buf);
        if (!r->end_set) {
            snprintf(buf, sizeof buf, "%" PRId64, r->last_ns + 1);
            meta_now(r, "end_ns", buf);
        }
    }
    purr__rec_commit(r);
    close_db(r);
    int err = r->err;
    if (err && diag)
        *diag = r->diag;
    free_recorder(r);
    return err;
}
