/* task_events.c - reading a recording's task events back
 * (purr_recording_task_events): the task_event_chunk records joined with
 * the task table (name, parent) and the detail table (what a blocked task
 * waits for).
 *
 * The record layout is schema.sql's (task_event_chunk). Every chunk,
 * record and reference is checked before use: a bad one is refused with
 * the table, the row and the field named, as the transitions' reader does
 * (reader.c), and a recording made without task events (no_task_events)
 * simply has none.
 */
#include "recorder_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row of the task or detail table, kept sorted by id. */
typedef struct id_text {
    uint64_t id;
    uint64_t parent; /* task: parent_task_id */
    char *text;      /* task: name; detail: text (owned) */
} id_text;

typedef struct table {
    id_text *rows;
    size_t n;
} table;

static void
table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].text);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

static const id_text *
table_find(const table *t, uint64_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->rows[mid].id == id)
            return &t->rows[mid];
        if (t->rows[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Loads sql's rows (id, text[, parent]) in id order. */
static int
table_load(sqlite3 *db, const char *path, const char *sql, const char *what,
           table *t, purr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    size_t cap = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(st)) != SQLITE_ROW)
            break;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 32;
            t->rows = purr__rec_realloc(t->rows, cap * sizeof *t->rows);
        }
        const unsigned char *s = sqlite3_column_text(st, 1);
        id_text *row = &t->rows[t->n++];
        row->id = (uint64_t)sqlite3_column_int64(st, 0);
        row->text = purr__rec_strdup(s ? (const char *)s : "");
        row->parent = sqlite3_column_count(st) > 2
                          ? (uint64_t)sqlite3_column_int64(st, 2)
                          : 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        purr_diag_set(diag, path, 0, 0, "cannot read the %s table: %s", what,
                      sqlite3_errmsg(db));
        return (rc & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    return 0;
}

/* Reads the n-byte little-endian integer at *p (checked against end). */
static bool
take(const uint8_t **p, const uint8_t *end, unsigned n, uint64_t *out)
{
    if ((size_t)(end - *p) < n)
        return false;
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;)
        x = x << 8 | (*p)[i];
    *p += n;
    *out = x;
    return true;
}

/* Walks one chunk's records. */
static int
walk_chunk(const char *path, int64_t first_seq, int64_t first_ns, int64_t count,
           const uint8_t *data, size_t len, const table *tasks,
           const table *details, purr_recorded_task_event_fn fn, void *ctx,
           purr_diag *diag)
{
    const uint8_t *p = data, *end = data + len;
    uint64_t seq = (uint64_t)first_seq;
    uint64_t ns = (uint64_t)first_ns;
    for (int64_t k = 0; k < count; k++) {
        uint64_t dseq, dt, task, zz, detail;
        size_t at = (size_t)(p - data) + 1;
        if (end - p < 3)
            goto bad;
        unsigned kind = p[0], h = p[1] | (unsigned)p[2] << 8;
        p += 3;
        if (kind < PURR_EV_TASK_SPAWNED || kind > PURR_EV_TASK_ENDED ||
            h >> 15 || !take(&p, end, h & 7, &dseq) ||
            !take(&p, end, (h >> 3) & 7, &dt) ||
            !take(&p, end, (h >> 6) & 7, &task) ||
            !take(&p, end, (h >> 9) & 7, &zz) ||
            !take(&p, end, (h >> 12) & 7, &detail) || dt > INT64_MAX ||
            ns + dt > INT64_MAX || (k > 0 && dseq == 0)) {
            p = data + at - 1;
            goto bad;
        }
        seq += dseq;
        ns += dt;
        const id_text *t = table_find(tasks, task);
        const id_text *d = detail ? table_find(details, detail) : NULL;
        if (detail && !d) {
            purr_diag_set(diag, path, (long)seq, 0,
                          "task_event_chunk row first_seq = %" PRId64
                          ": event %" PRIu64 " names detail %" PRIu64
                          ", which the detail table lacks",
                          first_seq, seq, detail);
            return PURR_EFORMAT;
        }
        uint32_t z = (uint32_t)zz;
        purr_recorded_task_event ev = {
            .seq = seq,
            .time_ns = (purr_time)ns,
            .kind = (purr_event_kind)kind,
            .task_id = task,
            .parent_task_id = t ? t->parent : 0,
            .name = t ? t->text : "",
            .detail = d ? d->text : NULL,
            .status = (int32_t)((z >> 1) ^ (0u - (z & 1))),
        };
        fn(&ev, ctx);
    }
    if (p != end) {
        purr_diag_set(diag, path, 0, 0,
                      "task_event_chunk row first_seq = %" PRId64
                      ": data has %zu bytes left over after its count of "
                      "records",
                      first_seq, (size_t)(end - p));
        return PURR_EFORMAT;
    }
    return 0;
bad:
    purr_diag_set(diag, path, 0, 0,
                  "task_event_chunk row first_seq = %" PRId64
                  ": corrupt record at byte %zu of data",
                  first_seq, (size_t)(p - data) + 1);
    return PURR_EFORMAT;
}

int
purr_recording_task_events(purr_recording *rec, purr_recorded_task_event_fn fn,
                           void *ctx, purr_diag *diag)
{
    sqlite3 *db = purr__recording_db(rec);
    const char *path = purr_recording_path(rec);
    table tasks = {0}, details = {0};
    int rc = table_load(db, path,
                        "SELECT id, name, parent_task_id FROM task ORDER BY id",
                        "task", &tasks, diag);
    if (rc == 0)
        rc = table_load(db, path, "SELECT id, text FROM detail ORDER BY id",
                        "detail", &details, diag);
    sqlite3_stmt *st = NULL;
    if (rc == 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT first_seq, first_ns, count, data FROM "
                           "task_event_chunk ORDER BY first_seq",
                           -1, &st, NULL) != SQLITE_OK) {
        purr_diag_set(diag, path, 0, 0, "cannot read task_event_chunk: %s",
                      sqlite3_errmsg(db));
        rc = PURR_EIO;
    }
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0);
        int64_t first_ns = sqlite3_column_int64(st, 1);
        int64_t count = sqlite3_column_int64(st, 2);
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || first < 1 ||
            sqlite3_column_type(st, 1) != SQLITE_INTEGER || first_ns < 0 ||
            sqlite3_column_type(st, 2) != SQLITE_INTEGER || count < 1 ||
            count > UINT32_MAX || sqlite3_column_type(st, 3) != SQLITE_BLOB) {
            purr_diag_set(diag, path, 0, 0,
                          "task_event_chunk row first_seq = %" PRId64
                          ": a bad first_seq, first_ns, count or data",
                          first);
            rc = PURR_EFORMAT;
            break;
        }
        rc =
            walk_chunk(path, first, first_ns, count, sqlite3_column_blob(st, 3),
                       (size_t)sqlite3_column_bytes(st, 3), &tasks, &details,
                       fn, ctx, diag);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        purr_diag_set(diag, path, 0, 0, "cannot read task_event_chunk: %s",
                      sqlite3_errmsg(db));
        rc = (step & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    sqlite3_finalize(st);
    table_free(&tasks);
    table_free(&details);
    return rc;
}
