/* reader.c - reading recordings: open, metadata, values, transitions.
 *
 * A recording is opened read-only. Before SQLite sees the file, its 100-byte
 * header is checked by hand: SQLite accepts a text file until the first
 * query and reads a truncated file until it meets the missing pages, and a
 * bad recording must be refused at once with a message naming the file
 * (STYLE R6). Then the schema version is checked, and every query the reader
 * uses is prepared: a missing table or column (a foreign schema) fails
 * there, again before any row is read.
 *
 * The metadata and the value table are small and loaded at open; the
 * transitions, which may be millions, are stepped through a caller-owned
 * iterator (STYLE R12) that decodes one payload at a time.
 */
#include "recorder_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct purr_recording {
    char *path;                     /* as given to open (owned) */
    sqlite3 *db;                    /* read-only connection */
    char **meta_keys, **meta_vals;  /* run rows, in key order (owned) */
    size_t nmeta;
    purr_recorded_value *values;    /* value rows, in id order */
    char **value_names;             /* their names (owned) */
    size_t nvalues;
};

static const char SQL_RUN[] = "SELECT key, value FROM run ORDER BY key";
static const char SQL_VALUES[] =
    "SELECT id, name, role, type, created_ns, initial FROM value ORDER BY id";
static const char SQL_TRANSITIONS[] =
    "SELECT first_seq, first_ns, count, data FROM transition_chunk"
    " ORDER BY first_seq";
static const char SQL_CHUNKS[] =
    "SELECT first_seq, first_ns, count, data FROM task_event_chunk LIMIT 0";
static const char SQL_DETAILS[] = "SELECT id, text FROM detail LIMIT 0";
static const char SQL_STATS[] =
    "SELECT value_id, transitions, first_ns, last_ns FROM value_stats LIMIT 0";
static const char SQL_TASKS[] =
    "SELECT id, name, parent_task_id, spawn_site FROM task LIMIT 0";

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Checks the file's SQLite header and size. Returns 0 or a PURR_E* code
 * with diag filled. */
static int
check_header(const char *path, purr_diag *diag)
{
    static const char magic[16] = "SQLite format 3";
    uint8_t h[100];
    struct stat stbuf;
    FILE *f = fopen(path, "rb");
    if (!f) {
        purr_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return PURR_ENOENT;
    }
    size_t n = fread(h, 1, sizeof h, f);
    int fd_ok = fstat(fileno(f), &stbuf) == 0;
    fclose(f);
    if (n < sizeof h || !fd_ok) {
        purr_diag_set(diag, path, 0, 0,
                       n == 0 ? "not a purr recording: empty file"
                              : "not a purr recording: truncated file "
                                "(%zu bytes)",
                       n);
        return PURR_EFORMAT;
    }
    if (memcmp(h, magic, sizeof magic) != 0) {
        purr_diag_set(diag, path, 0, 0,
                       "not a purr recording: not an SQLite database");
        return PURR_EFORMAT;
    }
    /* Page size 1 means 65536. The in-header page count is valid only when
     * the change counter (offset 24) equals version-valid-for (92). */
    uint64_t page = ((uint32_t)h[16] << 8) | h[17];
    if (page == 1)
        page = 65536;
    uint64_t pages = be32(h + 28);
    if (page >= 512 && be32(h + 24) == be32(h + 92) && pages > 0 &&
        (uint64_t)stbuf.st_size < pages * page) {
        purr_diag_set(diag, path, 0, 0,
                       "truncated recording: %" PRIu64 " bytes, its header "
                       "says %" PRIu64,
                       (uint64_t)stbuf.st_size, pages * page);
        return PURR_EFORMAT;
    }
    return 0;
}

/* Turns an SQLite failure while opening into a code and a diag. */
static int
open_fail(purr_recording *rec, int rc, const char *what, purr_diag *diag)
{
    int code = PURR_EIO;
    const char *msg = rec->db ? sqlite3_errmsg(rec->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        code = PURR_EFORMAT;
        purr_diag_set(diag, rec->path, 0, 0, "corrupt recording: %s: %s", what,
                       msg);
        return code;
    case SQLITE_ERROR: /* no such table / column */
        code = PURR_EFORMAT;
        purr_diag_set(diag, rec->path, 0, 0,
                       "not a purr recording (foreign schema): %s", msg);
        return code;
    case SQLITE_CANTOPEN:
        code = PURR_ENOENT;
        break;
    }
    purr_diag_set(diag, rec->path, 0, 0, "%s: %s", what, msg);
    return code;
}

static char *
column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return purr__rec_strdup(s ? (const char *)s : "");
}

/* Loads the run and value tables. Returns 0 or a code with diag set. */
static int
load_tables(purr_recording *rec, purr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rec->db, SQL_RUN, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return open_fail(rec, rc, "reading run", diag);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rec->nmeta == cap) {
            cap = cap ? cap * 2 : 16;
            rec->meta_keys = purr__rec_realloc(rec->meta_keys,
                                               cap * sizeof(char *));
            rec->meta_vals = purr__rec_realloc(rec->meta_vals,
                                               cap * sizeof(char *));
        }
        rec->meta_keys[rec->nmeta] = column_strdup(st, 0);
        rec->meta_vals[rec->nmeta] = column_strdup(st, 1);
        rec->nmeta++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return open_fail(rec, rc, "reading run", diag);

    if ((rc = sqlite3_prepare_v2(rec->db, SQL_VALUES, -1, &st, NULL)) !=
        SQLITE_OK)
        return open_fail(rec, rc, "reading value", diag);
    cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rec->nvalues == cap) {
            cap = cap ? cap * 2 : 16;
            rec->values = purr__rec_realloc(rec->values,
                                            cap * sizeof *rec->values);
            rec->value_names = purr__rec_realloc(rec->value_names,
                                                 cap * sizeof(char *));
        }
        purr_recorded_value *v = &rec->values[rec->nvalues];
        char *name = column_strdup(st, 1);
        rec->value_names[rec->nvalues++] = name;
        v->id = (uint64_t)sqlite3_column_int64(st, 0);
        v->name = name;
        v->role = (purr_role)sqlite3_column_int(st, 2);
        v->type = (purr_type)sqlite3_column_int(st, 3);
        v->created_ns = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return open_fail(rec, rc, "reading value", diag);

    /* The other tables are not read here, but a recording without them is
     * not one of ours. */
    const char *checks[] = {SQL_TRANSITIONS, SQL_CHUNKS, SQL_TASKS,
                            SQL_DETAILS, SQL_STATS};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        rc = sqlite3_prepare_v2(rec->db, checks[i], -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return open_fail(rec, rc, "checking the schema", diag);
    }
    return 0;
}

int
purr_recording_open(const char *path, purr_recording **out, purr_diag *diag)
{
    *out = NULL;
    int rc = check_header(path, diag);
    if (rc)
        return rc;

    purr_recording *rec = purr__rec_malloc(sizeof *rec);
    memset(rec, 0, sizeof *rec);
    rec->path = purr__rec_strdup(path);
    rc = sqlite3_open_v2(path, &rec->db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        rc = open_fail(rec, rc, "opening", diag);
        goto fail;
    }

    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(rec->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        rc = open_fail(rec, rc, "reading user_version", diag);
        goto fail;
    }
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version != PURR_RECORDING_VERSION) {
        purr_diag_set(diag, path, 0, 0,
                       "recording schema version %d, this purr reads %d",
                       version, PURR_RECORDING_VERSION);
        rc = PURR_EVERSION;
        goto fail;
    }
    if ((rc = load_tables(rec, diag)))
        goto fail;
    *out = rec;
    return 0;

fail:
    purr_recording_close(rec);
    return rc;
}

void
purr_recording_close(purr_recording *rec)
{
    if (!rec)
        return;
    sqlite3_close(rec->db);
    for (size_t i = 0; i < rec->nmeta; i++) {
        free(rec->meta_keys[i]);
        free(rec->meta_vals[i]);
    }
    for (size_t i = 0; i < rec->nvalues; i++)
        free(rec->value_names[i]);
    free(rec->meta_keys);
    free(rec->meta_vals);
    free(rec->values);
    free(rec->value_names);
    free(rec->path);
    free(rec);
}

const char *
purr_recording_path(const purr_recording *rec)
{
    return rec->path;
}

const char *
purr_recording_meta(const purr_recording *rec, const char *key)
{
    for (size_t i = 0; i < rec->nmeta; i++)
        if (strcmp(rec->meta_keys[i], key) == 0)
            return rec->meta_vals[i];
    return NULL;
}

size_t
purr_recording_meta_count(const purr_recording *rec)
{
    return rec->nmeta;
}

void
purr_recording_meta_at(const purr_recording *rec, size_t i, const char **key,
                       const char **value)
{
    *key = rec->meta_keys[i];
    *value = rec->meta_vals[i];
}

size_t
purr_recording_value_count(const purr_recording *rec)
{
    return rec->nvalues;
}

const purr_recorded_value *
purr_recording_value_at(const purr_recording *rec, size_t i)
{
    return i < rec->nvalues ? &rec->values[i] : NULL;
}

const purr_recorded_value *
purr_recording_value_find(const purr_recording *rec, const char *name)
{
    for (size_t i = 0; i < rec->nvalues; i++)
        if (strcmp(rec->values[i].name, name) == 0)
            return &rec->values[i];
    return NULL;
}

/* The value with the given id (values are sorted by id), or NULL. */
static const purr_recorded_value *
value_by_id(const purr_recording *rec, uint64_t id)
{
    size_t lo = 0, hi = rec->nvalues;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec->values[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rec->nvalues && rec->values[lo].id == id ? &rec->values[lo]
                                                         : NULL;
}

int64_t
purr_recording_transition_count(purr_recording *rec)
{
    sqlite3_stmt *st = NULL;
    int64_t n = PURR_EIO;
    if (sqlite3_prepare_v2(rec->db,
                           "SELECT coalesce(sum(count), 0) FROM "
                           "transition_chunk",
                           -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---------------------------------------------------------------------- */
/* The transition iterator                                                 */
/* ---------------------------------------------------------------------- */

int
purr_recording_iter_open(purr_recording_iter *it, purr_recording *rec)
{
    sqlite3_stmt *st = NULL;
    memset(it, 0, sizeof *it);
    it->rec_ = rec;
    it->datum = purr_datum_nil();
    if (sqlite3_prepare_v2(rec->db, SQL_TRANSITIONS, -1, &st, NULL) !=
        SQLITE_OK)
        return PURR_EIO;
    it->stmt_ = st;
    return 0;
}

/* Reads the n-byte little-endian integer at *p (checked against end) and
 * advances *p. Returns false when the bytes run out. */
static bool
take_le(const uint8_t **p, const uint8_t *end, unsigned n, uint64_t *out)
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

int
purr__rec_parse_transition(const uint8_t **pp, const uint8_t *end,
                           purr__rec_tr *out)
{
    const uint8_t *p = *pp;
    if (end - p < 2)
        return PURR_EFORMAT;
    unsigned h = p[0] | (unsigned)p[1] << 8;
    p += 2;
    if (h >> 12 || !take_le(&p, end, h & 7, &out->len) ||
        !take_le(&p, end, (h >> 3) & 7, &out->dt) ||
        !take_le(&p, end, (h >> 6) & 7, &out->task_id) ||
        !take_le(&p, end, (h >> 9) & 7, &out->value_id) ||
        out->len > (uint64_t)(end - p) || out->dt > INT64_MAX)
        return PURR_EFORMAT;
    out->payload = p;
    *pp = p + out->len;
    return 0;
}

/* Steps to the next chunk row. Returns 0, PURR_ECLOSED after the last, or
 * an error with diag set. */
static int
next_chunk(purr_recording_iter *it, purr_diag *diag)
{
    sqlite3_stmt *st = it->stmt_;
    purr_recording *rec = it->rec_;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return PURR_ECLOSED;
    if (rc != SQLITE_ROW) {
        purr_diag_set(diag, rec->path, (long)it->seq + 1, 0,
                       "cannot read the transition after seq %" PRIu64
                       ": %s",
                       it->seq, sqlite3_errmsg(rec->db));
        return (rc & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    uint64_t first = (uint64_t)sqlite3_column_int64(st, 0);
    int64_t count = sqlite3_column_int64(st, 2);
    /* Transitions are numbered without gaps: a chunk that does not start
     * where the last one ended means rows were lost or altered. */
    if (it->started_ && first != it->seq + 1) {
        purr_diag_set(diag, rec->path, (long)first, 0,
                       "transitions missing: seq %" PRIu64
                       " follows seq %" PRIu64,
                       first, it->seq);
        return PURR_EFORMAT;
    }
    if (count <= 0 || count > UINT32_MAX || first == 0 ||
        sqlite3_column_type(st, 3) != SQLITE_BLOB ||
        sqlite3_column_bytes(st, 3) == 0) {
        purr_diag_set(diag, rec->path, (long)first, 0,
                       "transition chunk at seq %" PRIu64 " is corrupt",
                       first);
        return PURR_EFORMAT;
    }
    it->started_ = true;
    it->seq = first - 1;
    it->ns_ = sqlite3_column_int64(st, 1);
    it->left_ = (uint32_t)count;
    it->chunk_ = sqlite3_column_blob(st, 3);
    it->chunk_len_ = (size_t)sqlite3_column_bytes(st, 3);
    it->pos_ = 0;
    return 0;
}

int
purr_recording_iter_next(purr_recording_iter *it, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    purr_datum_free(&it->datum);
    if (!it->stmt_)
        return PURR_ECLOSED;
    while (it->left_ == 0) {
        /* A chunk must hold exactly its records. */
        if (it->chunk_ && it->pos_ != it->chunk_len_) {
            purr_diag_set(diag, rec->path, (long)it->seq, 0,
                           "transition chunk ending at seq %" PRIu64
                           " has %zu bytes left over",
                           it->seq, it->chunk_len_ - it->pos_);
            return PURR_EFORMAT;
        }
        it->chunk_ = NULL;
        int rc = next_chunk(it, diag);
        if (rc)
            return rc;
    }
    uint64_t seq = it->seq + 1;
    const uint8_t *p = it->chunk_ + it->pos_,
                  *end = it->chunk_ + it->chunk_len_;
    purr__rec_tr tr;
    if (purr__rec_parse_transition(&p, end, &tr) < 0) {
        purr_diag_set(diag, rec->path, (long)seq, 0,
                       "transition %" PRIu64 ": corrupt record", seq);
        return PURR_EFORMAT;
    }
    uint64_t value_id = tr.value_id;
    it->seq = seq;
    /* Unsigned: a corrupt file's steps may add up past INT64_MAX. */
    it->ns_ = (purr_time)((uint64_t)it->ns_ + tr.dt);
    it->time_ns = it->ns_;
    it->task_id = tr.task_id;
    it->payload = tr.payload;
    it->payload_len = (size_t)tr.len;
    it->pos_ = (size_t)(p - it->chunk_);
    it->left_--;
    it->value = value_by_id(rec, value_id);
    if (!it->value) {
        purr_diag_set(diag, rec->path, (long)it->seq, 0,
                       "transition %" PRIu64 " names unknown value id %" PRIu64,
                       it->seq, value_id);
        return PURR_EFORMAT;
    }
    if (purr_datum_decode(it->payload, it->payload_len, &it->datum) < 0) {
        purr_diag_set(diag, rec->path, (long)it->seq, 0,
                       "transition %" PRIu64 " (value %s): corrupt payload "
                       "(%zu bytes)",
                       it->seq, it->value->name, it->payload_len);
        return PURR_EFORMAT;
    }
    if (it->value->type != PURR_T_NIL && it->datum.type != it->value->type) {
        purr_diag_set(diag, rec->path, (long)it->seq, 0,
                       "transition %" PRIu64 " (value %s): payload is %s, "
                       "the value is %s",
                       it->seq, it->value->name,
                       purr_type_name((purr_type)it->datum.type),
                       purr_type_name(it->value->type));
        purr_datum_free(&it->datum);
        return PURR_EFORMAT;
    }
    return 0;
}

void
purr_recording_iter_close(purr_recording_iter *it)
{
    sqlite3_finalize(it->stmt_);
    it->stmt_ = NULL;
    purr_datum_free(&it->datum);
}
