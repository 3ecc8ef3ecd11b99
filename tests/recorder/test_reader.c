/* test_reader.c - the reader refuses bad recordings with one-line messages
 * naming the file (and the row, for a bad row), and never crashes. */
#include "rec_test.h"
#include "rec_patch.h"

#include <unistd.h>

static void
expect_refused(const char *path, int want, const char *message)
{
    purr_recording *rec = (purr_recording *)1;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    purr_assert_err(purr_recording_open(path, &rec, &diag), want);
    cr_assert_null(rec);
    cr_assert_str_eq(diag.file, path);
    cr_assert(strstr(diag.message, message) != NULL,
              "message \"%s\" lacks \"%s\"", diag.message, message);
    cr_assert(strchr(diag.message, '\n') == NULL);
}

Test(reader, other_version_is_refused)
{
    char path[256];
    tmp_path(path, sizeof path, "v99.db");
    thermo_record(path, 20.0);
    sql_exec(path, "PRAGMA user_version = 99");
    expect_refused(path, PURR_EVERSION,
                   "recording schema version 99, this purr reads 3");
}

Test(reader, text_file_is_refused)
{
    char path[256];
    tmp_path(path, sizeof path, "notes.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 20; i++)
        fputs("this is not a database, just some text\n", f);
    fclose(f);
    expect_refused(path, PURR_EFORMAT, "not an SQLite database");
}

Test(reader, short_and_empty_files_are_refused)
{
    char path[256];
    tmp_path(path, sizeof path, "short.db");
    FILE *f = fopen(path, "w");
    fputs("SQLite format 3", f);
    fclose(f);
    expect_refused(path, PURR_EFORMAT, "truncated file");
    f = fopen(path, "w");
    fclose(f);
    expect_refused(path, PURR_EFORMAT, "empty file");
}

Test(reader, missing_file_is_refused)
{
    expect_refused("/nonexistent/purr.db", PURR_ENOENT, "cannot open");
}

Test(reader, truncated_file_is_refused)
{
    char path[256];
    tmp_path(path, sizeof path, "trunc.db");
    thermo_record(path, 20.0);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert(size > 8192);
    cr_assert_eq(truncate(path, size / 2), 0);
    expect_refused(path, PURR_EFORMAT, "truncated recording");
}

Test(reader, foreign_schema_is_refused)
{
    char path[256];
    tmp_path(path, sizeof path, "foreign.db");
    sql_exec(path, "PRAGMA user_version = 3;"
                   "CREATE TABLE run (key TEXT, value TEXT);"
                   "CREATE TABLE other (x INTEGER)");
    expect_refused(path, PURR_EFORMAT, "foreign schema");
}

Test(reader, corrupt_payload_names_the_row)
{
    char path[256];
    tmp_path(path, sizeof path, "badrow.db");
    thermo_record(path, 20.0);
    /* An unknown tag byte. */
    rec_patch_payload(path, "seq = 5", 0, "\x09", 1);

    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int rc, rows = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0)
        rows++;
    purr_assert_err(rc, PURR_EFORMAT);
    cr_assert_eq(rows, 4);
    cr_assert_eq(diag.line, 5);
    cr_assert_str_eq(diag.file, path);
    cr_assert(strstr(diag.message, "transition 5") &&
                  strstr(diag.message, "corrupt payload"),
              "%s", diag.message);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

Test(reader, payload_of_the_wrong_type_names_the_row)
{
    char path[256];
    tmp_path(path, sizeof path, "badtype.db");
    thermo_record(path, 20.0);
    /* seq 1 is temp (a double): store a valid int encoding instead. */
    rec_patch_payload(path, "seq = 1", 0, "\x02\x01\0\0\0\0\0\0\0", 9);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    purr_assert_err(purr_recording_iter_next(&it, &diag), PURR_EFORMAT);
    cr_assert_str_eq(diag.message, "transition 1 (value temp): payload is "
                                   "int, the value is double");
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* Records the thermostat with small batches, so that its transitions span
 * several chunks. Returns the number of chunks. */
static int
record_chunked(const char *path)
{
    struct thermo t = {.threshold = 20.0};
    purr_recorder_options o = {.overwrite = true, .batch_rows = 20};
    purr_diag diag;
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(r, loop));
    purr_assert_ok(purr_run(loop, "main", thermo_record_main, &t));
    thermo_teardown(&t);
    purr_assert_ok(purr_recorder_close(r, &diag));
    cr_assert_eq(purr_loop_close(loop), 0);
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM transition_chunk",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    cr_assert_gt(n, 3);
    return n;
}

/* Reads every transition; returns the iterator's last code, with diag. */
static int
read_all(const char *path, int *rows, purr_diag *diag)
{
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(path, &rec, diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int rc;
    *rows = 0;
    while ((rc = purr_recording_iter_next(&it, diag)) == 0)
        (*rows)++;
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return rc;
}

Test(reader, chunked_recording_reads_whole)
{
    char path[256];
    purr_diag diag;
    int rows;
    tmp_path(path, sizeof path, "chunked.db");
    record_chunked(path);
    purr_assert_err(read_all(path, &rows, &diag), PURR_ECLOSED);
    cr_assert_eq(rows, 136);

    /* value_stats, kept batch by batch, agrees with the transitions. */
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(
                     db,
                     "SELECT s.transitions, s.first_ns, s.last_ns,"
                     " (SELECT count(*) FROM transition t WHERE t.value_id ="
                     " s.value_id), (SELECT min(time_ns) FROM transition t"
                     " WHERE t.value_id = s.value_id), (SELECT max(time_ns)"
                     " FROM transition t WHERE t.value_id = s.value_id)"
                     " FROM value_stats s",
                     -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    int values = 0, total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_column_int(st, 0), sqlite3_column_int(st, 3));
        cr_assert_eq(sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 4));
        cr_assert_eq(sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 5));
        total += sqlite3_column_int(st, 0);
        values++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    cr_assert_eq(values, 3);
    cr_assert_eq(total, 136);

    /* The views list the chunks' events in seq order, as they stream. */
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *views[] = {"SELECT seq FROM transition",
                           "SELECT seq FROM transitions_text",
                           "SELECT seq FROM task_event",
                           "SELECT seq FROM task_events_text"};
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        cr_assert_eq(sqlite3_prepare_v2(db, views[v], -1, &st, NULL),
                     SQLITE_OK);
        int64_t last = 0, n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t seq = sqlite3_column_int64(st, 0);
            cr_assert_gt(seq, last, "%s: %lld after %lld", views[v],
                         (long long)seq, (long long)last);
            last = seq;
            n++;
        }
        int full = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
        sqlite3_finalize(st);
        cr_assert_gt(n, 100, "%s", views[v]);

        /* ... and stream: the first rows cost a small part of the whole
         * (a plan that unpacks everything first would cost it all). */
        char sql[128];
        snprintf(sql, sizeof sql, "%s LIMIT 3", views[v]);
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            ;
        int first = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
        sqlite3_finalize(st);
        cr_assert_lt(first * 4, full, "%s: %d VM steps for 3 rows, %d for all",
                     views[v], first, full);
    }
    sqlite3_close(db);
}

Test(reader, missing_chunk_is_reported_as_a_gap)
{
    char path[256];
    purr_diag diag;
    int rows;
    tmp_path(path, sizeof path, "gap.db");
    record_chunked(path);
    sql_exec(path, "DELETE FROM transition_chunk WHERE first_seq ="
                   " (SELECT first_seq FROM transition_chunk"
                   "  ORDER BY first_seq LIMIT 1 OFFSET 2)");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert_str_eq(diag.file, path);
    cr_assert(strstr(diag.message, "transitions missing: seq ") &&
                  strstr(diag.message, " follows seq "),
              "%s", diag.message);
    cr_assert_gt(diag.line, rows + 1); /* names the first seq after the gap */
}

Test(reader, truncated_chunk_is_refused)
{
    char path[256];
    purr_diag diag;
    int rows;
    tmp_path(path, sizeof path, "cut.db");
    record_chunked(path);
    /* The third chunk loses its last bytes: its last record is cut. */
    sql_exec(path, "UPDATE transition_chunk SET data ="
                   " substr(data, 1, length(data) - 3) WHERE first_seq ="
                   " (SELECT first_seq FROM transition_chunk"
                   "  ORDER BY first_seq LIMIT 1 OFFSET 2)");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert_str_eq(diag.file, path);
    cr_assert(strstr(diag.message, "corrupt"), "%s", diag.message);
    cr_assert_eq(diag.line, rows + 1, "%s", diag.message);
}

Test(reader, empty_or_misnumbered_chunk_is_refused)
{
    char path[256];
    purr_diag diag;
    int rows;
    tmp_path(path, sizeof path, "empty.db");
    record_chunked(path);
    sql_exec(path, "UPDATE transition_chunk SET data = x'' WHERE"
                   " first_seq = 1");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert_eq(rows, 0);
    cr_assert(strstr(diag.message, "transition_chunk row first_seq = 1: "
                                   "data x'' is not a blob of records"),
              "%s", diag.message);
    tmp_path(path, sizeof path, "zero.db");
    record_chunked(path);
    sql_exec(path, "UPDATE transition_chunk SET first_seq = 0 WHERE"
                   " first_seq = 1");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert_eq(rows, 0);
}

Test(reader, chunk_count_beyond_its_records_is_refused)
{
    char path[256];
    purr_diag diag;
    int rows;
    tmp_path(path, sizeof path, "count.db");
    record_chunked(path);
    sql_exec(path, "UPDATE transition_chunk SET count = count + 1 WHERE"
                   " first_seq = 1");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert(strstr(diag.message, "transition"), "%s", diag.message);
    sql_exec(path, "UPDATE transition_chunk SET count = count - 2 WHERE"
                   " first_seq = 1");
    purr_assert_err(read_all(path, &rows, &diag), PURR_EFORMAT);
    cr_assert(strstr(diag.message, "left over"), "%s", diag.message);
}

/* The raw iterator reads the same transitions as the decoding one, with
 * the same payload bytes, and leaves every datum nil. */
Test(reader, raw_iterator_reads_the_same_transitions)
{
    char path[256];
    tmp_path(path, sizeof path, "raw.db");
    thermo_record(path, 20.0);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it, raw;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    purr_assert_ok(purr_recording_iter_open_raw(&raw, rec));
    int rc, n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        purr_assert_ok(purr_recording_iter_next(&raw, &diag));
        cr_assert_eq(raw.seq, it.seq);
        cr_assert_eq(raw.time_ns, it.time_ns);
        cr_assert_eq(raw.task_id, it.task_id);
        cr_assert_eq(raw.value, it.value);
        cr_assert_eq(raw.payload_len, it.payload_len);
        cr_assert(memcmp(raw.payload, it.payload, it.payload_len) == 0);
        cr_assert_eq(raw.datum.type, PURR_T_NIL);
        cr_assert_neq(it.datum.type, PURR_T_NIL);
        n++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_assert_err(purr_recording_iter_next(&raw, &diag), PURR_ECLOSED);
    /* 50 readings, 50 counts and the heater's 36 changes. */
    cr_assert_eq(n, 50 + 50 + 36);
    purr_recording_iter_close(&it);
    purr_recording_iter_close(&raw);
    purr_recording_close(rec);
}
