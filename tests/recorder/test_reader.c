/* test_reader.c - the reader refuses bad recordings with one-line messages
 * naming the file (and the row, for a bad row), and never crashes. */
#include "rec_test.h"

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
                   "recording schema version 99, this purr reads 2");
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
    sql_exec(path, "PRAGMA user_version = 2;"
                   "CREATE TABLE run (key TEXT, value TEXT);"
                   "CREATE TABLE other (x INTEGER)");
    expect_refused(path, PURR_EFORMAT, "foreign schema");
}

Test(reader, corrupt_payload_names_the_row)
{
    char path[256];
    tmp_path(path, sizeof path, "badrow.db");
    thermo_record(path, 20.0);
    sql_exec(path, "UPDATE transition SET payload = x'09' WHERE seq = 5");

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
    sql_exec(path, "UPDATE transition SET payload = x'020100000000000000'"
                   " WHERE seq = 1");
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
