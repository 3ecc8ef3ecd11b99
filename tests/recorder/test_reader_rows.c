/* test_reader_rows.c - purr_recording_iter_next_rows reads the rows
 * purr_recording_iter_next reads, several at once and never past a chunk,
 * and refuses a bad transition as next does, once the rows before it are
 * read. */
#include "rec_test.h"

/* Records the thermostat into path in batches of 8 events: a chunk per
 * batch, so the transitions lie in many small chunks. */
static void
record_small_chunks(const char *path)
{
    thermo_record_rows(path, 20.0, 8);
}

/* One integer from an SQL query on the file at path. */
static int64_t
sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t x = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return x;
}

/* Reads the recording at path with two raw iterators, one by next_rows
 * (cap rows a call), the other by next, and checks that they read the same
 * rows and end the same way (the same code and message). Returns that
 * code; *nread receives the rows read before it, *calls the next_rows
 * calls that returned rows, and msg (256 bytes) the message of an error. */
static int
read_both(const char *path, size_t cap, uint64_t *nread, size_t *calls,
          char *msg)
{
    purr_recording *rec;
    purr_diag da, db;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    purr_assert_ok(purr_recording_open(path, &rec, &da));
    purr_recording_iter a, b;
    purr_assert_ok(purr_recording_iter_open_raw(&a, rec));
    purr_assert_ok(purr_recording_iter_open_raw(&b, rec));
    purr_recording_row *rows = calloc(cap, sizeof *rows);
    int n;
    *nread = 0;
    *calls = 0;
    while ((n = purr_recording_iter_next_rows(&a, rows, cap, &da)) > 0) {
        cr_assert_leq((size_t)n, cap);
        ++*calls;
        for (int i = 0; i < n; i++) {
            purr_assert_ok(purr_recording_iter_next(&b, &db));
            const purr_recording_row *row = &rows[i];
            cr_assert_eq(b.seq, a.seq - (uint64_t)n + 1 + (uint64_t)i);
            cr_assert_eq(row->time_ns, b.time_ns, "seq %llu",
                         (unsigned long long)b.seq);
            cr_assert_eq(row->task_id, b.task_id);
            cr_assert_eq(row->value, b.value);
            cr_assert_eq(row->payload_len, b.payload_len);
            cr_assert_eq(memcmp(row->payload, b.payload, b.payload_len), 0);
            cr_assert_eq(b.datum.type, PURR_T_NIL); /* raw: not decoded */
        }
        /* The iterator's fields hold the last row, as after next. */
        cr_assert_eq(a.seq, b.seq);
        cr_assert_eq(a.time_ns, b.time_ns);
        cr_assert_eq(a.task_id, b.task_id);
        cr_assert_eq(a.value, b.value);
        cr_assert_eq(a.payload_len, b.payload_len);
        *nread += (uint64_t)n;
    }
    int nb = purr_recording_iter_next(&b, &db);
    cr_assert_eq(n, nb, "next_rows ended with %d, next with %d", n, nb);
    cr_assert_str_eq(da.message, db.message);
    cr_assert_eq(da.line, db.line);
    snprintf(msg, 256, "%s", da.message);
    free(rows);
    purr_recording_iter_close(&a);
    purr_recording_iter_close(&b);
    purr_recording_close(rec);
    return n;
}

Test(reader_rows, same_rows_as_next_a_chunk_at_most_a_call)
{
    char path[256], msg[256];
    tmp_path(path, sizeof path, "rows.db");
    record_small_chunks(path);
    int64_t chunks = sql_int(path, "SELECT count(*) FROM transition_chunk");
    int64_t total = sql_int(path, "SELECT sum(count) FROM transition_chunk");
    int64_t largest =
        sql_int(path, "SELECT max(count) FROM transition_chunk");
    cr_assert_gt(chunks, 10, "the recording is meant to have many chunks");
    static const size_t caps[] = {1, 2, 3, 7, 256};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        uint64_t n;
        size_t calls;
        purr_assert_err(read_both(path, caps[k], &n, &calls, msg),
                        PURR_ECLOSED);
        cr_assert_eq(n, (uint64_t)total);
        /* A call never reads past its chunk: at least one per chunk,
         * and with a cap past the largest chunk, exactly one. */
        cr_assert_geq(calls, (size_t)chunks);
        if (caps[k] >= (size_t)largest)
            cr_assert_eq(calls, (size_t)chunks, "cap %zu", caps[k]);
        if (caps[k] == 1)
            cr_assert_eq(calls, (size_t)total);
    }
}

Test(reader_rows, cap_zero_is_refused_and_decoding_reads_one_row)
{
    char path[256];
    tmp_path(path, sizeof path, "rows0.db");
    record_small_chunks(path);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_recording_row rows[16];
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    purr_assert_err(purr_recording_iter_next_rows(&it, rows, 0, &diag),
                    PURR_EINVAL);
    /* A decoding iteration reads one row a call, and decodes it. */
    int n;
    uint64_t seq = 0;
    while ((n = purr_recording_iter_next_rows(&it, rows, 16, &diag)) > 0) {
        cr_assert_eq(n, 1);
        cr_assert_eq(it.seq, ++seq);
        cr_assert_eq(it.datum.type, it.value->type);
        cr_assert_eq(rows[0].value, it.value);
    }
    purr_assert_err(n, PURR_ECLOSED);
    cr_assert_gt(seq, 100);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* The rows before a bad transition come back, then the error, with
 * next's message: a time after end_ns, an unknown value (with ids that
 * the reader indexes, and with ids too sparse for that), a record that
 * runs past its chunk's data. */
Test(reader_rows, bad_transition_refused_after_the_rows_before_it)
{
    static const struct {
        const char *name, *sql, *msg;
    } cases[] = {
        {"end.db", "UPDATE run SET value = '2550000000' WHERE key = 'end_ns'",
         "is after the run's end"},
        {"unknown.db", "UPDATE value SET id = 77 WHERE name = 'count'",
         NULL /* below: "names unknown value id N", N count's id */},
        /* Ids too sparse for the reader's table by id: searched. */
        {"sparse.db", "UPDATE value SET id = 1000000 WHERE name = 'count'",
         NULL},
        {"cut.db",
         "UPDATE transition_chunk SET data = substr(data, 1, length(data)"
         " - 2) WHERE first_seq = (SELECT max(first_seq) FROM"
         " transition_chunk)",
         "corrupt record"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[256], msg[256], want[64];
        tmp_path(path, sizeof path, cases[k].name);
        record_small_chunks(path);
        snprintf(want, sizeof want, "names unknown value id %lld",
                 (long long)sql_int(path, "SELECT id FROM value WHERE"
                                          " name = 'count'"));
        const char *what = cases[k].msg ? cases[k].msg : want;
        /* The first transition refused, by the same test in SQL. */
        int64_t bad;
        if (k == 0)
            bad = sql_int(path, "SELECT min(seq) FROM transition WHERE"
                                " time_ns > 2550000000");
        else if (k <= 2)
            bad = sql_int(path, "SELECT min(seq) FROM transition t JOIN"
                                " value v ON v.id = t.value_id WHERE"
                                " v.name = 'count'");
        else
            bad = sql_int(path, "SELECT max(seq) FROM transition");
        sql_exec(path, cases[k].sql);
        static const size_t caps[] = {1, 5, 256};
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            uint64_t n;
            size_t calls;
            purr_assert_err(read_both(path, caps[c], &n, &calls, msg),
                            PURR_EFORMAT);
            cr_assert_eq(n, (uint64_t)bad - 1, "%s, cap %zu: %llu rows",
                         cases[k].name, caps[c], (unsigned long long)n);
            cr_assert(strstr(msg, what), "%s: %s", cases[k].name, msg);
        }
    }
}
