/* reader.c - reading recordings: open, metadata, values.
 *
 * A recording is opened read-only (reader_file.c opens the file and checks
 * its header). Then the schema version is checked, and every query the
 * reader uses is prepared: a missing table or column (a foreign schema)
 * fails there, again before any row is read.
 *
 * The metadata and the value table are small and loaded at open; the
 * transitions, which may be millions, are stepped through a caller-owned
 * iterator (reader_iter.c) that decodes one payload at a time.
 *
 * Every field the reader or a replay relies on is checked where it is
 * read, and a bad one is refused with a message naming the table, the row
 * and the field ("value row id 2 (temp): role 0 is not ..."): a tampered
 * or damaged recording must never replay as identical, nor as a
 * misleading divergence. At open: the run rows complete, start_ns and
 * end_ns, and every column of every value row (the initial datum must
 * decode, as the value's type). The transitions are checked as they are
 * read (reader_iter.c).
 *
 * Whether the recording is complete (a clean close wrote complete = 1) is
 * decided at open; an interrupted one reads like any other, as the prefix
 * it holds.
 */
#include "reader_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_RUN[] = "SELECT key, value FROM run ORDER BY key";
static const char SQL_VALUES[] =
    "SELECT id, name, role, type, created_ns, initial FROM value ORDER BY id";
static const char SQL_CHUNKS[] =
    "SELECT first_seq, first_ns, count, data FROM task_event_chunk LIMIT 0";
static const char SQL_DETAILS[] = "SELECT id, text FROM detail LIMIT 0";
static const char SQL_STATS[] =
    "SELECT value_id, transitions, first_ns, last_ns FROM value_stats LIMIT 0";
static const char SQL_TASKS[] =
    "SELECT id, name, parent_task_id, spawn_site FROM task LIMIT 0";

/* ---------------------------------------------------------------------- */
/* Open, metadata and values                                               */
/* ---------------------------------------------------------------------- */

static char *
column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return purr__rec_strdup(s ? (const char *)s : "");
}

/* Parses s as a time in ns: decimal digits only, 0 to INT64_MAX. */
static bool
parse_ns(const char *s, purr_time *out /* out */)
{
    uint64_t x = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = (purr_time)x;
    return true;
}

/* Checks the run rows the reader relies on, and decides whether the
 * recording is complete: run row complete is 1 (written by close's last
 * transaction; open's first wrote 0). A recording made before purr wrote
 * it is complete when it holds start_ns or exit_status, which only the
 * end of its run wrote. Returns 0 or PURR_EFORMAT with diag set. */
static int
check_run(purr_recording *rec, purr_diag *diag)
{
    static const char *const times[] = {"start_ns", "end_ns"};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        const char *s = purr_recording_meta(rec, times[i]);
        purr_time t;
        if (!s)
            continue;
        if (!parse_ns(s, &t)) {
            purr_diag_set(diag, rec->path, 0, 0,
                          "run row %s: '%.40s' is not a time in ns (an "
                          "integer from 0)",
                          times[i], s);
            return PURR_EFORMAT;
        }
        if (strcmp(times[i], "end_ns") == 0) {
            rec->has_end = true;
            rec->end_ns = t;
        }
    }
    const char *c = purr_recording_meta(rec, "complete");
    if (c && strcmp(c, "0") != 0 && strcmp(c, "1") != 0) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "run row complete: '%.40s' is not 0 or 1", c);
        return PURR_EFORMAT;
    }
    rec->complete = c ? c[0] == '1'
                      : purr_recording_meta(rec, "start_ns") ||
                            purr_recording_meta(rec, "exit_status");
    return 0;
}

/* Writes column i of st, whose stored type is type (sqlite3_column_type
 * before any conversion), as SQL shows it into buf: a number, 'text',
 * x'hex' (at most 16 bytes shown) or NULL. */
const char *
purr__rec_column_sql(sqlite3_stmt *st, int i, int type, char *buf, size_t cap)
{
    switch (type) {
    case SQLITE_NULL:
        snprintf(buf, cap, "NULL");
        break;
    case SQLITE_INTEGER:
        snprintf(buf, cap, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT:
        snprintf(buf, cap, "%.17g", sqlite3_column_double(st, i));
        break;
    case SQLITE_TEXT:
        snprintf(buf, cap, "'%.40s'", (const char *)sqlite3_column_text(st, i));
        break;
    default: {
        const uint8_t *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        size_t len = (size_t)snprintf(buf, cap, "x'");
        for (int k = 0; k < n && k < 16 && len + 3 < cap; k++)
            len += (size_t)snprintf(buf + len, cap - len, "%02x", p[k]);
        snprintf(buf + len, cap - len, n > 16 ? "...' (%d bytes)" : "'", n);
        break;
    }
    }
    return buf;
}

/* Checks the value row st is on (id, name, role, type, created_ns,
 * initial): the initial datum must decode, and be nil or of the value's
 * type. Returns 0 or PURR_EFORMAT with diag naming the row and field. */
static int
check_value(const purr_recording *rec, sqlite3_stmt *st,
            purr_datum *initial /* out */, purr_diag *diag)
{
    int types[6];
    for (int i = 0; i < 6; i++)
        types[i] = sqlite3_column_type(st, i);
    char row[96], shown[96];
    int64_t id = sqlite3_column_int64(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    snprintf(row, sizeof row, "value row id %lld (%.40s)", (long long)id,
             name ? name : "NULL");
    static const char *const field_name[] = {"id", "name", "role", "type",
                                             "created_ns"};
    static const char *const want[] = {
        "is not a value id (from 1)", "is not a name",
        "is not 1 (input), 2 (output) or 3 (internal)",
        "is not a purr_type (0 to 6)",
        "is not a time in ns (an integer from 0)"};
    int64_t role = sqlite3_column_int64(st, 2),
            type = sqlite3_column_int64(st, 3),
            created = sqlite3_column_int64(st, 4);
    int field = -1;
    if (id < 1)
        field = 0;
    else if (types[1] != SQLITE_TEXT || !name[0])
        field = 1;
    else if (types[2] != SQLITE_INTEGER || role < PURR_ROLE_INPUT ||
             role > PURR_ROLE_INTERNAL)
        field = 2;
    else if (types[3] != SQLITE_INTEGER || type < 0 || type > PURR_T_TUPLE)
        field = 3;
    else if (types[4] != SQLITE_INTEGER || created < 0)
        field = 4;
    if (field >= 0) {
        purr_diag_set(diag, rec->path, 0, 0, "%s: %s %s %s", row,
                      field_name[field],
                      purr__rec_column_sql(st, field, types[field], shown,
                                 sizeof shown),
                      want[field]);
        return PURR_EFORMAT;
    }
    purr_datum d;
    const void *p = sqlite3_column_blob(st, 5);
    size_t n = (size_t)sqlite3_column_bytes(st, 5);
    if (types[5] != SQLITE_BLOB || purr_datum_decode(p, n, &d) < 0) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: initial %s is not a datum in the payload "
                      "encoding",
                      row,
                      purr__rec_column_sql(st, 5, types[5], shown,
                                           sizeof shown));
        return PURR_EFORMAT;
    }
    purr_type dtype = (purr_type)d.type;
    if (type != PURR_T_NIL && dtype != PURR_T_NIL && dtype != type) {
        purr_datum_free(&d);
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: initial is a %s, its type %d says %s", row,
                      purr_type_name(dtype), (int)type,
                      purr_type_name((purr_type)type));
        return PURR_EFORMAT;
    }
    *initial = d;
    return 0;
}

/* Makes rec->by_id, the values by id, when the ids are dense enough for
 * the table to stay small (they are the loop's value ids: 1, 2, 3...
 * unless values were made before the recorder was attached). */
static void
index_values(purr_recording *rec)
{
    uint64_t max = rec->nvalues ? rec->values[rec->nvalues - 1].id : 0;
    if (rec->nvalues == 0 || max > 4 * (uint64_t)rec->nvalues + 1024)
        return;
    rec->nby_id = (size_t)max + 1;
    rec->by_id = purr__rec_malloc(rec->nby_id * sizeof *rec->by_id);
    memset(rec->by_id, 0, rec->nby_id * sizeof *rec->by_id);
    /* Sorted by id: of two rows with one id, the first wins, as in the
     * binary search. */
    for (size_t i = rec->nvalues; i-- > 0;)
        rec->by_id[rec->values[i].id] = &rec->values[i];
}

/* Loads the run and value tables. Returns 0 or a code with diag set. */
static int
load_tables(purr_recording *rec, purr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rec->db, SQL_RUN, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return purr__rec_open_fail(rec, rc, "reading run", diag);
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
        return purr__rec_open_fail(rec, rc, "reading run", diag);
    if ((rc = check_run(rec, diag)))
        return rc;

    if ((rc = sqlite3_prepare_v2(rec->db, SQL_VALUES, -1, &st, NULL)) !=
        SQLITE_OK)
        return purr__rec_open_fail(rec, rc, "reading value", diag);
    cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        purr_datum initial;
        if ((rc = check_value(rec, st, &initial, diag))) {
            sqlite3_finalize(st);
            return rc;
        }
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
        v->initial = initial;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return purr__rec_open_fail(rec, rc, "reading value", diag);
    index_values(rec);

    /* The other tables are not read here, but a recording without them is
     * not one of ours. */
    const char *checks[] = {REC_SQL_TRANSITIONS, SQL_CHUNKS, SQL_TASKS,
                            SQL_DETAILS, SQL_STATS};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        rc = sqlite3_prepare_v2(rec->db, checks[i], -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return purr__rec_open_fail(rec, rc, "checking the schema", diag);
    }
    /* Every commit writes value_stats with its chunks, so its count says
     * where the transitions end: a chunk deleted at the end (or all of
     * them) shows there. */
    rc = sqlite3_prepare_v2(rec->db,
                            "SELECT coalesce(sum(transitions), 0),"
                            " coalesce(min(transitions), 0) FROM value_stats",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rec->stats_total = sqlite3_column_int64(st, 0);
        if (sqlite3_column_int64(st, 1) < 0 || rec->stats_total < 0) {
            sqlite3_finalize(st);
            purr_diag_set(diag, rec->path, 0, 0,
                          "value_stats: a row's transitions is negative");
            return PURR_EFORMAT;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return purr__rec_open_fail(rec, rc, "reading value_stats", diag);
    return 0;
}

int
purr_recording_open(const char *path, purr_recording **out, purr_diag *diag)
{
    *out = NULL;
    bool with_wal;
    int rc = purr__rec_check_header(path, &with_wal, diag);
    if (rc)
        return rc;

    purr_recording *rec = purr__rec_malloc(sizeof *rec);
    memset(rec, 0, sizeof *rec);
    rec->guard_slot = -1;
    rec->path = purr__rec_strdup(path);
    if ((rc = purr__rec_open_db(rec, with_wal, diag)))
        goto fail;

    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(rec->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        rc = purr__rec_open_fail(rec, rc, "reading user_version", diag);
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
    purr__rec_guard_remove(rec->guard_slot);
    purr__rec_remove_copy(rec);
    for (size_t i = 0; i < rec->nmeta; i++) {
        free(rec->meta_keys[i]);
        free(rec->meta_vals[i]);
    }
    for (size_t i = 0; i < rec->nvalues; i++) {
        free(rec->value_names[i]);
        purr_datum_free(&rec->values[i].initial);
    }
    free(rec->meta_keys);
    free(rec->meta_vals);
    free(rec->values);
    free(rec->by_id);
    free(rec->value_names);
    free(rec->path);
    free(rec);
}

sqlite3 *
purr__recording_db(const purr_recording *rec)
{
    return rec->db;
}

const char *
purr_recording_path(const purr_recording *rec)
{
    return rec->path;
}

bool
purr_recording_is_complete(const purr_recording *rec)
{
    return rec->complete;
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
