/* reader_tasks.c - reading a recording's task events back
 * (purr_recording_task_iter, recorder.h).
 *
 * Task events are stored packed in task_event_chunk rows (schema.sql): each
 * record is a kind byte, a u16 of field widths, then the seq and time
 * differences to the previous record (the first record's to the chunk's
 * first_seq and first_ns), the task id, the zigzag-encoded status and the
 * detail id, as little-endian integers of those widths. The task table
 * (names, parents) and the detail table (what BLOCKED tasks wait for) are
 * small and loaded whole at open; the chunks are stepped through one at a
 * time, so memory does not grow with the number of events.
 *
 * As in reader.c, every field is checked before it is used and a bad one
 * is refused with a message naming the row; a task or detail id missing
 * from its table is not an error (the event reads with an empty name or
 * no detail), since the tables are written in the same batches as the
 * events and a killed run may have committed one but not the other.
 */
#include "reader_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One row of the task table. */
typedef struct task_row {
    uint64_t id, parent;
    char *name;
} task_row;

/* One row of the detail table. */
typedef struct detail_row {
    uint64_t id;
    char *text;
} detail_row;

static const char SQL_TASK_EVENTS[] =
    "SELECT first_seq, first_ns, count, data FROM task_event_chunk"
    " ORDER BY first_seq";

/* Loads the task and detail tables into it. Returns 0 or an error with
 * diag set. */
static int
load_tables(purr_recording_task_iter *it, purr_diag *diag)
{
    sqlite3 *db = purr__recording_db(it->rec_);
    const char *path = purr_recording_path(it->rec_);
    static const char *const sql[2] = {
        "SELECT id, name, parent_task_id FROM task ORDER BY id",
        "SELECT id, text, 0 FROM detail ORDER BY id"};
    for (int t = 0; t < 2; t++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql[t], -1, &st, NULL) != SQLITE_OK) {
            purr_diag_set(diag, path, 0, 0, "cannot read the %s table: %s",
                          t ? "detail" : "task", sqlite3_errmsg(db));
            return PURR_EIO;
        }
        size_t n = 0, cap = 0;
        void *rows = NULL;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
                sqlite3_column_type(st, 1) != SQLITE_TEXT ||
                sqlite3_column_type(st, 2) != SQLITE_INTEGER) {
                purr_diag_set(diag, path, 0, 0,
                              "%s row %" PRId64 ": a field of the wrong type",
                              t ? "detail" : "task",
                              (int64_t)sqlite3_column_int64(st, 0));
                rc = SQLITE_MISMATCH;
                break;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                rows = purr__rec_realloc(rows, cap * (t ? sizeof(detail_row)
                                                        : sizeof(task_row)));
            }
            uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
            char *text =
                purr__rec_strdup((const char *)sqlite3_column_text(st, 1));
            if (t == 0)
                ((task_row *)rows)[n] = (task_row){
                    id, (uint64_t)sqlite3_column_int64(st, 2), text};
            else
                ((detail_row *)rows)[n] = (detail_row){id, text};
            n++;
        }
        if (t == 0) {
            it->tasks_ = rows;
            it->ntasks_ = n;
        } else {
            it->details_ = rows;
            it->ndetails_ = n;
        }
        if (rc != SQLITE_DONE) {
            if (rc != SQLITE_MISMATCH)
                purr_diag_set(diag, path, 0, 0, "cannot read the %s table: %s",
                              t ? "detail" : "task", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return rc == SQLITE_MISMATCH ? PURR_EFORMAT : PURR_EIO;
        }
        sqlite3_finalize(st);
    }
    return 0;
}

int
purr_recording_task_iter_open(purr_recording_task_iter *it,
                              purr_recording *rec, purr_diag *diag)
{
    memset(it, 0, sizeof *it);
    it->rec_ = rec;
    it->task_name = "";
    int rc = load_tables(it, diag);
    if (rc < 0) {
        purr_recording_task_iter_close(it);
        return rc;
    }
    sqlite3 *db = purr__recording_db(rec);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, SQL_TASK_EVENTS, -1, &st, NULL) != SQLITE_OK) {
        purr_diag_set(diag, purr_recording_path(rec), 0, 0,
                      "cannot read the task events: %s", sqlite3_errmsg(db));
        purr_recording_task_iter_close(it);
        return PURR_EIO;
    }
    it->stmt_ = st;
    return 0;
}

void
purr_recording_task_iter_close(purr_recording_task_iter *it)
{
    sqlite3_finalize(it->stmt_);
    it->stmt_ = NULL;
    task_row *t = it->tasks_;
    for (size_t i = 0; i < it->ntasks_; i++)
        free(t[i].name);
    free(t);
    detail_row *d = it->details_;
    for (size_t i = 0; i < it->ndetails_; i++)
        free(d[i].text);
    free(d);
    it->tasks_ = it->details_ = NULL;
    it->ntasks_ = it->ndetails_ = 0;
    it->left_ = 0;
}

/* Steps to the next chunk row: 0, PURR_ECLOSED after the last, or an
 * error with diag set. */
static int
next_chunk(purr_recording_task_iter *it, purr_diag *diag)
{
    sqlite3_stmt *st = it->stmt_;
    const char *path = purr_recording_path(it->rec_);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return PURR_ECLOSED;
    if (rc != SQLITE_ROW) {
        purr_diag_set(diag, path, 0, 0, "cannot read the task events: %s",
                      sqlite3_errmsg(purr__recording_db(it->rec_)));
        return (rc & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    int64_t first = sqlite3_column_int64(st, 0);
    int64_t first_ns = sqlite3_column_int64(st, 1);
    int64_t count = sqlite3_column_int64(st, 2);
    const char *bad = NULL;
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || first < 1)
        bad = "first_seq is not an event number (from 1)";
    else if (sqlite3_column_type(st, 2) != SQLITE_INTEGER || count < 1 ||
             count > UINT32_MAX)
        bad = "count is not from 1 to 4294967295";
    else if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || first_ns < 0)
        bad = "first_ns is not a time in ns (an integer from 0)";
    else if (sqlite3_column_type(st, 3) != SQLITE_BLOB ||
             sqlite3_column_bytes(st, 3) == 0)
        bad = "data is not a blob of records";
    if (bad) {
        purr_diag_set(diag, path, first > 0 ? (long)first : 0, 0,
                      "task_event_chunk row first_seq = %" PRId64 ": %s",
                      first, bad);
        return PURR_EFORMAT;
    }
    it->seq = (uint64_t)first;
    it->time_ns = first_ns;
    it->left_ = (uint32_t)count;
    it->chunk_ = sqlite3_column_blob(st, 3);
    it->chunk_len_ = (size_t)sqlite3_column_bytes(st, 3);
    it->pos_ = 0;
    return 0;
}

static const task_row *
find_task(const purr_recording_task_iter *it, uint64_t id)
{
    const task_row *t = it->tasks_;
    size_t lo = 0, hi = it->ntasks_;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < it->ntasks_ && t[lo].id == id ? &t[lo] : NULL;
}

static const char *
find_detail(const purr_recording_task_iter *it, uint64_t id)
{
    const detail_row *d = it->details_;
    size_t lo = 0, hi = it->ndetails_;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < it->ndetails_ && d[lo].id == id ? d[lo].text : NULL;
}

int
purr_recording_task_iter_next(purr_recording_task_iter *it, purr_diag *diag)
{
    if (!it->stmt_)
        return PURR_ECLOSED;
    const char *path = purr_recording_path(it->rec_);
    bool first = false;
    while (it->left_ == 0) {
        if (it->chunk_ && it->pos_ != it->chunk_len_) {
            purr_diag_set(diag, path, (long)it->seq, 0,
                          "task_event_chunk row: bytes left over after its "
                          "records (seq %" PRIu64 ")",
                          it->seq);
            return PURR_EFORMAT;
        }
        int rc = next_chunk(it, diag);
        if (rc < 0)
            return rc;
        first = true;
    }
    const uint8_t *p = it->chunk_ + it->pos_;
    const uint8_t *end = it->chunk_ + it->chunk_len_;
    uint64_t dseq, dt, task, zz, detail;
    unsigned h = 0;
    uint8_t kind = 0;
    bool ok = end - p >= 3;
    if (ok) {
        kind = p[0];
        h = p[1] | (unsigned)p[2] << 8;
        p += 3;
        ok = kind >= PURR_EV_TASK_SPAWNED && kind <= PURR_EV_TASK_ENDED &&
             !(h >> 15) && purr__rec_take_le(&p, end, h & 7, &dseq) &&
             purr__rec_take_le(&p, end, (h >> 3) & 7, &dt) &&
             purr__rec_take_le(&p, end, (h >> 6) & 7, &task) &&
             purr__rec_take_le(&p, end, (h >> 9) & 7, &zz) &&
             purr__rec_take_le(&p, end, (h >> 12) & 7, &detail) &&
             dt <= (uint64_t)(INT64_MAX - it->time_ns) &&
             dseq <= UINT64_MAX - it->seq && zz <= UINT32_MAX &&
             (first || dseq > 0);
    }
    if (!ok) {
        purr_diag_set(diag, path, (long)it->seq, 0,
                      "task_event_chunk row: a bad record after seq %" PRIu64,
                      it->seq);
        return PURR_EFORMAT;
    }
    it->pos_ = (size_t)(p - it->chunk_);
    it->left_--;
    it->seq += dseq;
    it->time_ns += (purr_time)dt;
    it->kind = (purr_event_kind)kind;
    it->task_id = task;
    const task_row *t = find_task(it, task);
    it->task_name = t ? t->name : "";
    it->parent_task_id = t ? t->parent : 0;
    uint32_t z = (uint32_t)zz;
    it->status = (int32_t)((z >> 1) ^ (0u - (z & 1)));
    it->detail = detail ? find_detail(it, detail) : NULL;
    return 0;
}
