/* test_recording.c - the recorder: every datum type round-trips bit for bit
 * through a recording, the views are readable, metadata is stored, and the
 * real-clock (threaded) path writes the same rows. */
#include "rec_test.h"

#include <math.h>

static double
bits_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

#define NDATUMS 22

/* Every datum type, with the awkward cases; consecutive entries differ so
 * that each set is a transition. */
static void
make_datums(purr_datum *d)
{
    static char longs[100001];
    for (size_t i = 0; i < sizeof longs - 1; i++)
        longs[i] = (char)('a' + i % 26);
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    int i = 0;
    d[i++] = purr_datum_nil();
    d[i++] = purr_datum_bool(true);
    d[i++] = purr_datum_bool(false);
    d[i++] = purr_datum_int(0);
    d[i++] = purr_datum_int(INT64_MIN);
    d[i++] = purr_datum_int(INT64_MAX);
    d[i++] = purr_datum_double(0.0);
    d[i++] = purr_datum_double(-0.0);
    d[i++] = purr_datum_double(NAN);
    d[i++] = purr_datum_double(bits_double(0x7ff0000000000001ull));
    d[i++] = purr_datum_double(bits_double(0xfff8000000000000ull));
    d[i++] = purr_datum_double(INFINITY);
    d[i++] = purr_datum_double(5e-324);
    d[i++] = purr_datum_string("");
    d[i++] = purr_datum_string(longs);
    d[i++] = purr_datum_string_n("a\0b", 3);
    d[i++] = purr_datum_bytes("", 0);
    d[i++] = purr_datum_bytes(all, sizeof all);
    d[i++] = purr_datum_tuple(NULL, 0);
    purr_datum inner[2] = {purr_datum_int(1), purr_datum_string("a")};
    purr_datum t1 = purr_datum_tuple(inner, 2);
    purr_datum deep = purr_datum_tuple(&t1, 1);
    purr_datum outer[3] = {t1, deep, purr_datum_double(-0.0)};
    d[i++] = purr_datum_tuple(outer, 3);
    d[i++] = purr_datum_tuple(&deep, 1);
    d[i++] = purr_datum_int(-1);
    cr_assert_eq(i, NDATUMS);
    purr_datum_free(&inner[1]);
    purr_datum_free(&t1);
    purr_datum_free(&deep);
}

struct any_run {
    purr_value *v;
    purr_datum *d;
};

static int
set_all(void *arg)
{
    struct any_run *a = arg;
    for (int i = 1; i < NDATUMS; i++) {
        purr_assert_ok(purr_sleep(PURR_MS));
        cr_assert_eq(purr_value_set(a->v, &a->d[i]), 1, "datum %d", i);
    }
    return 0;
}

static void
record_all(const char *path, purr_datum *d, bool real)
{
    purr_loop_options lo = {.clock = real ? PURR_CLOCK_REAL
                                          : PURR_CLOCK_VIRTUAL};
    purr_loop *loop = purr_loop_new(&lo);
    purr_recorder_options o = {.overwrite = true, .batch_rows = 5};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(r, loop));
    struct any_run a = {.d = d};
    a.v = purr_value_new(loop, "any", PURR_ROLE_OUTPUT, PURR_T_NIL, &d[0]);
    purr_assert_ok(purr_run(loop, "main", set_all, &a));
    cr_assert_eq(purr_recorder_transitions(r), NDATUMS - 1);
    purr_value_free(a.v);
    purr_assert_ok(purr_recorder_set_meta(r, "seed", "42"));
    purr_assert_ok(purr_recorder_close(r, &diag));
    cr_assert_eq(purr_loop_close(loop), 0);
}

static void
check_all(const char *path, purr_datum *d, const char *clock)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    cr_assert_str_eq(purr_recording_meta(rec, "seed"), "42");
    cr_assert_str_eq(purr_recording_meta(rec, "clock"), clock);
    cr_assert_str_eq(purr_recording_meta(rec, "purr_version"),
                     purr_version_string());
    cr_assert_eq(purr_recording_value_count(rec), 1);
    const purr_recorded_value *v = purr_recording_value_at(rec, 0);
    cr_assert_str_eq(v->name, "any");
    cr_assert_eq(v->role, PURR_ROLE_OUTPUT);
    cr_assert_eq(purr_recording_transition_count(rec), NDATUMS - 1);

    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int i = 1, rc;
    uint8_t buf[1 << 17];
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        cr_assert_eq(it.seq, (uint64_t)i);
        cr_assert(purr_datum_equal(&it.datum, &d[i]), "datum %d differs", i);
        size_t n = purr_datum_encode(&d[i], buf, sizeof buf);
        cr_assert_eq(it.payload_len, n);
        cr_assert_eq(memcmp(it.payload, buf, n), 0);
        i++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    cr_assert_eq(i, NDATUMS);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* The views unpack the chunks with SQL alone: the transition view must give
 * back exactly what the C reader does (seq, time, value, task, payload
 * bytes), and transitions_text a readable form of every type. */
Test(recording, views_unpack_every_datum_type)
{
    char path[256];
    purr_datum d[NDATUMS];
    make_datums(d);
    tmp_path(path, sizeof path, "types_view.db");
    record_all(path, d, false);

    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT t.seq, t.time_ns, t.value_id,"
                                    " t.task_id, t.payload, x.payload"
                                    " FROM transition t JOIN transitions_text"
                                    " x ON x.seq = t.seq ORDER BY t.seq",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    static const char *const text[NDATUMS] = {
        NULL, "true", "false", "0", "-9223372036854775808",
        "9223372036854775807", "0.0", "-0.0", "nan", "nan", "nan", "inf",
        "4.94065645841247e-324", "\"\"", NULL, "\"a", "x''", NULL, "()",
        "(...)", "(...)", "-1"};
    int i = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        purr_assert_ok(purr_recording_iter_next(&it, &diag));
        cr_assert_eq(sqlite3_column_int64(st, 0), (int64_t)it.seq);
        cr_assert_eq(sqlite3_column_int64(st, 1), it.time_ns);
        cr_assert_eq(sqlite3_column_int64(st, 2), (int64_t)it.value->id);
        cr_assert_eq(sqlite3_column_int64(st, 3), (int64_t)it.task_id);
        cr_assert_eq(sqlite3_column_bytes(st, 4), (int)it.payload_len,
                     "datum %d", i);
        cr_assert_eq(memcmp(sqlite3_column_blob(st, 4), it.payload,
                            it.payload_len),
                     0, "datum %d", i);
        const char *got = (const char *)sqlite3_column_text(st, 5);
        cr_assert(got, "datum %d has no text", i);
        if (text[i])
            cr_assert_str_eq(got, text[i], "datum %d", i);
        i++;
    }
    cr_assert_eq(i, NDATUMS);
    purr_assert_err(purr_recording_iter_next(&it, &diag), PURR_ECLOSED);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    sqlite3_finalize(st);

    /* The long string and the 256 bytes, whole. */
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT length(payload), substr(payload, 1, 12) FROM"
             " transitions_text WHERE seq = %d", 14);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 100002);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 1),
                     "\"abcdefghijk");
    sqlite3_finalize(st);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT payload FROM transitions_text"
                                    " WHERE seq = 17",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    char want[520] = "x'";
    for (int b = 0; b < 256; b++)
        snprintf(want + 2 + 2 * b, 3, "%02X", b);
    strcat(want, "'");
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (int k = 0; k < NDATUMS; k++)
        purr_datum_free(&d[k]);
}

/* Task events through the task_event view are the events an observer saw
 * (kind, seq, time, task, parent, status, detail), in order. */
struct seen {
    purr_trace ev[4096];
    char detail[4096][32];
    size_t n;
};

static void
see(const purr_trace *ev, void *ctx)
{
    struct seen *s = ctx;
    if (s->n < 4096) {
        s->ev[s->n] = *ev;
        snprintf(s->detail[s->n], sizeof s->detail[0], "%s",
                 ev->detail ? ev->detail : "");
        s->n++;
    }
}

Test(recording, task_event_view_matches_the_observer)
{
    char path[256];
    tmp_path(path, sizeof path, "events.db");
    static struct seen s;
    s.n = 0;
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true, .batch_rows = 50};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(r, loop));
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK, see, &s));
    struct thermo t;
    memset(&t, 0, sizeof t);
    t.threshold = 20.0;
    purr_assert_ok(purr_run(loop, "main", thermo_record_main, &t));
    thermo_teardown(&t);
    purr_assert_ok(purr_recorder_close(r, &diag));
    cr_assert_eq(purr_loop_close(loop), 0);
    cr_assert_gt(s.n, 100);
    cr_assert_lt(s.n, 4096);

    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT seq, time_ns, kind, task_id,"
                                    " parent_task_id, status,"
                                    " coalesce(detail, '') FROM task_event",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    size_t i = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cr_assert_lt(i, s.n);
        const purr_trace *e = &s.ev[i];
        cr_assert_eq(sqlite3_column_int64(st, 0), (int64_t)e->seq, "%zu", i);
        cr_assert_eq(sqlite3_column_int64(st, 1), e->time_ns, "%zu", i);
        cr_assert_eq(sqlite3_column_int(st, 2), (int)e->kind, "%zu", i);
        cr_assert_eq(sqlite3_column_int64(st, 3), (int64_t)e->task_id);
        cr_assert_eq(sqlite3_column_int64(st, 4),
                     (int64_t)e->parent_task_id, "%zu", i);
        cr_assert_eq(sqlite3_column_int(st, 5), e->status, "%zu", i);
        cr_assert_str_eq((const char *)sqlite3_column_text(st, 6),
                         s.detail[i], "%zu", i);
        i++;
    }
    cr_assert_eq(i, s.n);
    sqlite3_finalize(st);
    /* Several chunks were written (batch_rows 50), so the walk crossed
     * chunk boundaries. */
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT count(*) FROM task_event_chunk",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_gt(sqlite3_column_int(st, 0), 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(recording, every_datum_type_round_trips)
{
    char path[256];
    purr_datum d[NDATUMS];
    make_datums(d);
    tmp_path(path, sizeof path, "types.db");
    record_all(path, d, false);
    check_all(path, d, "virtual");
    for (int i = 0; i < NDATUMS; i++)
        purr_datum_free(&d[i]);
}

Test(recording, real_clock_writes_through_the_writer_thread)
{
    char path[256];
    purr_datum d[NDATUMS];
    make_datums(d);
    tmp_path(path, sizeof path, "real.db");
    record_all(path, d, true);
    check_all(path, d, "real");
    for (int i = 0; i < NDATUMS; i++)
        purr_datum_free(&d[i]);
}

/* Reads column 0 of every row of sql into one "|"-joined string. */
static void
sql_column(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t len = 0;
    out[0] = 0;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
                 "%s", sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW)
        len += (size_t)snprintf(out + len, cap - len, "%s|",
                                (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(recording, views_are_readable)
{
    char path[256], out[4096];
    tmp_path(path, sizeof path, "thermo.db");
    thermo_record(path, 20.0);
    sql_column(path,
               "SELECT time_s || ' ' || value || ' ' || role || ' ' || "
               "task || ' ' || payload FROM transitions_text LIMIT 4",
               out, sizeof out);
    cr_assert_str_eq(out, "0.100000000 temp input driver 22.0|"
                          "0.100000000 count internal controller 1|"
                          "0.200000000 temp input driver 18.0|"
                          "0.200000000 heater output controller true|");
    sql_column(path,
               "SELECT name || ' ' || role || ' ' || type || ' ' || "
               "transitions || ' ' || first_s FROM values_summary",
               out, sizeof out);
    cr_assert_str_eq(out, "temp input double 50 0.100000000|"
                          "heater output bool 36 0.200000000|"
                          "count internal int 50 0.100000000|");
    sql_column(path,
               "SELECT kind FROM task_events_text WHERE task = 'controller'"
               " LIMIT 2",
               out, sizeof out);
    cr_assert_str_eq(out, "spawned|started|");
    /* Written in WAL mode, closed as a single file (docs/recording.md,
     * "Files"). */
    sql_column(path, "PRAGMA journal_mode", out, sizeof out);
    cr_assert_str_eq(out, "delete|");
}

Test(recording, existing_file_is_refused_without_overwrite)
{
    char path[256];
    purr_diag diag;
    tmp_path(path, sizeof path, "exists.db");
    FILE *f = fopen(path, "w");
    fputs("keep me\n", f);
    fclose(f);
    cr_assert_null(purr_recorder_open(path, NULL, &diag));
    cr_assert_str_eq(diag.file, path);
    cr_assert_str_eq(diag.message, "already exists");
}
