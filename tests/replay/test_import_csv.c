/* test_import_csv.c - CSV logs as loggers write them: wide logs (rows at
 * different rates, empty cells), long logs with loggers' datums, RFC 4180
 * quoting, ISO-8601 and epoch times made relative, and every bad file
 * refused at its line and column with no output left behind. */
#include "import_test.h"

#include <time.h>

static char rows[8192];

/* Imports text and returns its rows (asserting success). */
static const char *
import_ok(const char *name, const char *text, purr_import_options *o,
          char *db, size_t cap)
{
    purr_diag d;
    int rc = it_import(name, text, o, db, cap, &d);
    cr_assert_eq(rc, 0, "%s: %s:%ld:%ld: %s", name, d.file, d.line, d.column,
                 d.message);
    it_rows(db, rows, sizeof rows);
    return rows;
}

/* A wide log: one time column, rows at different rates, an empty cell is
 * no update, a datum equal to the current one is no transition (bumper
 * starts false, so row 2's 0 leaves no row), unknown columns skipped. */
Test(import_csv, wide_rows_at_different_rates)
{
    char db[256], meta[64];
    const char *log = "t,battery,bumper,ticks,label,junk\n"
                      "0,50.5,0,1,\"a, \"\"q\"\"\",x\n"
                      "0.1,,1,,,y\n"
                      "0.2,49.75,,2,,\n"
                      "\n"
                      "0.25,,,,plain,\n"
                      "0.3,,false,3,, \n";
    cr_assert_str_eq(import_ok("w.csv", log, NULL, db, sizeof db),
                     "0 battery 50.5\n"
                     "0 ticks 1\n"
                     "0 label \"a, \\\"q\\\"\"\n"
                     "100000000 bumper true\n"
                     "200000000 battery 49.75\n"
                     "200000000 ticks 2\n"
                     "250000000 label \"plain\"\n"
                     "300000000 bumper false\n"
                     "300000000 ticks 3\n");
    cr_assert_str_eq(it_meta(db, "end_ns", meta, sizeof meta), "300000001");
    /* Relative times: no absolute start to keep. */
    cr_assert_str_eq(it_meta(db, "start_epoch_ns", meta, sizeof meta), "");
    cr_assert(strstr(it_notes, "w.csv: skipped 1 column (not an input, not "
                               "in the map): junk\n"), "%s", it_notes);
}

/* Skipped columns are listed once, in one line, whatever the rows. */
Test(import_csv, skipped_columns_are_listed_once)
{
    char db[256];
    import_ok("s.csv",
              "time,other,ticks,junk\n0,a,1,b\n1,c,2,d\n2,e,3,f\n", NULL,
              db, sizeof db);
    char *p = strstr(it_notes, "skipped 2 columns (not an input, not in "
                               "the map): other, junk\n");
    cr_assert(p, "%s", it_notes);
    cr_assert_null(strstr(p + 1, "skipped"), "%s", it_notes);
}

/* RFC 4180: quoted fields with commas, doubled quotes and a CRLF inside,
 * CRLF line ends, a UTF-8 byte order mark; lines are counted as lines of
 * the file (the quoted CRLF makes row 2 two lines long). */
Test(import_csv, rfc4180_quoting_crlf_and_bom)
{
    char db[256];
    const char *log = "\xef\xbb\xbftime,label,ticks\r\n"
                      "1,\"two\r\nlines, \"\"q\"\"\",5\r\n"
                      "2,  bare text ,6\r\n";
    cr_assert_str_eq(import_ok("q.csv", log, NULL, db, sizeof db),
                     "1000000000 label \"two\\r\\nlines, \\\"q\\\"\"\n"
                     "1000000000 ticks 5\n"
                     "2000000000 label \"bare text\"\n"
                     "2000000000 ticks 6\n");
    it_expect_bad("q2.csv",
                  "time,label,ticks\r\n1,\"two\r\nlines\",5\r\n2,x,six\r\n",
                  NULL, 4, 5,
                  "column 'ticks': expected int (an integer), got 'six'");
}

/* A long log's datum in purr's text form (what export writes) or as a
 * logger writes it. */
Test(import_csv, long_log_with_loggers_datums)
{
    char db[256];
    const char *log = "time,value,datum\n"
                      "0,bumper,yes\n"
                      "0.5,battery,7\n"
                      "1,label,plain text\n"
                      "1.5,label,\"quoted \\\"text\\\"\"\n"
                      "2,bumper,FALSE\n"
                      "2.5,ticks,-3\n"
                      "3,bumper,\"1\"\n";
    cr_assert_str_eq(import_ok("l.csv", log, NULL, db, sizeof db),
                     "0 bumper true\n"
                     "500000000 battery 7.0\n"
                     "1000000000 label \"plain text\"\n"
                     "1500000000 label \"quoted \\\"text\\\"\"\n"
                     "2000000000 bumper false\n"
                     "2500000000 ticks -3\n"
                     "3000000000 bumper true\n");
}

/* The instant 2024-12-05T14:03:12.120Z as ns since the epoch, by the C
 * library's timegm (UTC): an oracle independent of import_time.c. */
static long long
instant(void)
{
    struct tm tm = {.tm_year = 2024 - 1900, .tm_mon = 11, .tm_mday = 5,
                    .tm_hour = 14, .tm_min = 3, .tm_sec = 12};
    return (long long)timegm(&tm) * 1000000000LL + 120000000LL;
}

/* ISO-8601 with Z and with +02:00 name the same instants: the same
 * recording, relative to the first row, with the absolute start kept. */
Test(import_csv, iso8601_with_zones)
{
    char db[256], meta[64], want[64];
    purr_import_options o = {.time_format = "iso8601"};
    const char *expect = "0 battery 1.0\n880000000 battery 2.0\n"
                         "90000880000000 battery 3.0\n";
    snprintf(want, sizeof want, "%lld", instant());
    const char *logs[] = {
        "stamp,battery\n2024-12-05T14:03:12.120Z,1\n"
        "2024-12-05T14:03:13Z,2\n2024-12-06T15:03:13Z,3\n",
        "stamp,battery\n2024-12-05T16:03:12.12+02:00,1\n"
        "2024-12-05 16:03:13+02:00,2\n2024-12-06T15:33:13+0030,3\n",
        "stamp,battery\n2024-12-05T09:03:12.120000000-05:00,1\n"
        "2024-12-05T09:03:13-05:00,2\n2024-12-06T10:03:13-05:00,3\n"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(import_ok("iso.csv", logs[i], &o, db, sizeof db),
                         expect, "log %zu", i);
        cr_assert_str_eq(it_meta(db, "start_epoch_ns", meta, sizeof meta),
                         want, "log %zu", i);
        cr_assert(strstr(it_notes, "made relative to the log's start "
                                   "2024-12-05T14:03:12.120000000Z"),
                  "%s", it_notes);
    }
    /* A time without a zone could be any instant: refused. */
    it_expect_bad("nz.csv", "stamp,battery\n2024-12-05T14:03:12,1\n", &o, 2,
                  1, "bad time '2024-12-05T14:03:12'");
    /* Without --time-format, an ISO time is a bad time with a hint. */
    it_expect_bad("hint.csv", "stamp,battery\n2024-12-05T14:03:12Z,1\n",
                  NULL, 2, 1, "--time-format iso8601");
}

/* Epoch seconds, ms and ns, said absolute, become relative to the first
 * row; the start is kept. */
Test(import_csv, epoch_seconds_ms_ns)
{
    char db[256], meta[64];
    struct {
        const char *fmt, *log;
    } cases[] = {
        {NULL, "time,ticks\n1733407392.5,1\n1733407393,2\n1733407400,3\n"},
        {"s", "time,ticks\n1733407392.5,1\n1733407393,2\n1733407400,3\n"},
        {"ms", "time,ticks\n1733407392500,1\n1733407393000,2\n"
               "1733407400000,3\n"},
        {"us", "time,ticks\n1733407392500000,1\n1733407393000000,2\n"
               "1733407400000000,3\n"},
        {"ns", "time,ticks\n1733407392500000000,1\n1733407393000000000,2\n"
               "1733407400000000000,3\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        purr_import_options o = {.time_format = cases[i].fmt, .epoch = true};
        cr_assert_str_eq(import_ok("e.csv", cases[i].log, &o, db, sizeof db),
                         "0 ticks 1\n500000000 ticks 2\n7500000000 ticks 3\n",
                         "%s", cases[i].fmt ? cases[i].fmt : "default");
        cr_assert_str_eq(it_meta(db, "start_epoch_ns", meta, sizeof meta),
                         "1733407392500000000");
        cr_assert_str_eq(it_meta(db, "end_ns", meta, sizeof meta),
                         "7500000001");
    }
}

/* A relative column in ms (and us, ns) is exact to the ns. */
Test(import_csv, relative_milliseconds)
{
    char db[256];
    purr_import_options o = {.time_format = "ms"};
    cr_assert_str_eq(import_ok("ms.csv", "time,ticks\n0,1\n1500,2\n1500.25,3\n",
                               &o, db, sizeof db),
                     "0 ticks 1\n1500000000 ticks 2\n1500250000 ticks 3\n");
    o.time_format = "ns";
    cr_assert_str_eq(import_ok("ns.csv", "time,ticks\n0,1\n7,2\n", &o, db,
                               sizeof db),
                     "0 ticks 1\n7 ticks 2\n");
}

/* A last line without its newline is a line all the same. */
Test(import_csv, last_line_without_newline)
{
    char db[256];
    cr_assert_str_eq(import_ok("nl.csv", "time,ticks\n0,1\n1,2", NULL, db,
                               sizeof db),
                     "0 ticks 1\n1000000000 ticks 2\n");
}

/* The time column by name, anywhere in the row. */
Test(import_csv, time_column_by_name)
{
    char db[256];
    purr_import_options o = {.time_column = "when"};
    cr_assert_str_eq(import_ok("tc.csv", "ticks,when\n1,0.5\n2,1\n", &o, db,
                               sizeof db),
                     "500000000 ticks 1\n1000000000 ticks 2\n");
    it_expect_bad("tc2.csv", "ticks,time\n1,0\n", &o, 1, 0,
                  "no time column 'when' in the header");
}

Test(import_csv, bad_files_name_their_line_and_column)
{
    it_expect_bad("b1.csv", "time,ticks\n1,1\n2,2\n1.5,3\n", NULL, 4, 1,
                  "time goes backwards");
    /* Epoch seconds taken as offsets would be a 55-year run. */
    it_expect_bad("b2.csv", "time,ticks\n1733407392,1\n1733407393,2\n", NULL,
                  2, 1, "looks like an epoch time (give --epoch");
    purr_import_options ms = {.time_format = "ms"};
    it_expect_bad("b3.csv", "x,ticks\n1733407392000,1\n", &ms, 2, 1,
                  "looks like an epoch time");
    it_expect_bad("b4.csv", "time,ticks,bumper\n0,1,1\n0.5,2,maybe\n", NULL,
                  3, 7,
                  "column 'bumper': expected bool (0/1, true/false, "
                  "yes/no), got 'maybe'");
    it_expect_bad("b5.csv", "time,battery\n0,1.5x\n", NULL, 2, 3,
                  "column 'battery': expected double (a number), got '1.5x'");
    it_expect_bad("b6.csv", "time,ticks\n0,1,2\n", NULL, 2, 0,
                  "3 fields, the header has 2");
    it_expect_bad("b7.csv", "time,label\n0,\"abc\n", NULL, 2, 3,
                  "unterminated quoted field");
    it_expect_bad("b8.csv", "time,label\n0,\"abc\"d\n", NULL, 2, 8,
                  "text after a quoted field's closing quote");
    it_expect_bad("b9.csv", "time,ticks\n,1\n", NULL, 2, 1, "empty time");
    it_expect_bad("b10.csv", "time,ticks\n0,1\n1,\"2", NULL, 3, 3,
                  "unterminated quoted field (last line: truncated?)");
    purr_import_options gap = {.max_gap_ns = PURR_S};
    it_expect_bad("b11.csv", "time,ticks\n0,1\n0.5,2\n2,3\n", &gap, 4, 1,
                  "larger than max_gap");
    it_expect_bad("b12.csv", "time,x,y\n0,1,2\n", NULL, 1, 0,
                  "no column is an input of scene test.yaml");
    it_expect_bad("b13.csv", "time,ticks,ticks\n0,1,2\n", NULL, 1, 12,
                  "column 'ticks' appears twice");
    it_expect_bad("b14.csv", "", NULL, 0, 0, "empty log");
    it_expect_bad("b15.csv", "time,ticks\n", NULL, 0, 0, "no records");
}

/* Writes db's transitions as the export formats are specified: wide (a
 * header "time,<input>,...", the time in seconds with 9 decimals, one row
 * per time with an empty cell for a value without update, a new row when a
 * value changes twice at one time; strings as RFC 4180 fields) or long
 * (time,value,datum in purr's text form). */
static void
export_like(const char *db, bool wide, char *out, size_t cap)
{
    const purr_import_schema *sc = it_schema();
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t n = 0;
    char cells[4][256];
    bool have[4] = {false, false, false, false}, any = false;
    purr_time row_t = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
    if (wide) {
        PUT("time");
        for (size_t i = 0; i < sc->count; i++)
            PUT(",%s", sc->inputs[i].name);
        PUT("\n");
    } else {
        PUT("time,value,datum\n");
    }
    int rc;
    for (;;) {
        rc = purr_recording_iter_next(&it, &diag);
        size_t k = 0;
        if (rc == 0)
            while (strcmp(sc->inputs[k].name, it.value->name) != 0)
                k++;
        if (wide && any && (rc != 0 || it.time_ns != row_t || have[k])) {
            PUT("%lld.%09lld", (long long)(row_t / PURR_S),
                (long long)(row_t % PURR_S));
            for (size_t i = 0; i < sc->count; i++)
                PUT(",%s", have[i] ? cells[i] : "");
            PUT("\n");
            memset(have, 0, sizeof have);
            any = false;
        }
        if (rc != 0)
            break;
        char text[200];
        purr_datum_format(&it.datum, text, sizeof text);
        if (!wide) {
            PUT("%lld.%09lld,%s,%s\n", (long long)(it.time_ns / PURR_S),
                (long long)(it.time_ns % PURR_S), it.value->name, text);
            continue;
        }
        if (it.datum.type == PURR_T_STRING) {
            size_t w = 0;
            cells[k][w++] = '"';
            for (const char *s = it.datum.u.s; *s; s++) {
                if (*s == '"')
                    cells[k][w++] = '"';
                cells[k][w++] = *s;
            }
            cells[k][w++] = '"';
            cells[k][w] = '\0';
        } else {
            snprintf(cells[k], sizeof cells[k], "%s", text);
        }
        have[k] = any = true;
        row_t = it.time_ns;
    }
#undef PUT
    cr_assert_lt(n, cap);
    purr_assert_err(rc, PURR_ECLOSED);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* What export writes, import reads back into the same transitions. (A
 * wide row's updates come in column order, so values changing at one time
 * are logged here in the schema's order; an empty string is written "",
 * which is not an empty cell.) */
Test(import_csv, round_trips_from_the_export_formats)
{
    char db[256], first[4096], text[8192];
    const char *log = "time,value,datum\n"
                      "0,battery,42.5\n"
                      "0.25,bumper,true\n"
                      "1.5,ticks,-9223372036854775808\n"
                      "1.5,label,\"a,b \\\"q\\\" (x)\"\n"
                      "2,battery,-0.0\n"
                      "2.000000001,battery,1e300\n"
                      "2.000000001,battery,nan\n"
                      "3,bumper,false\n"
                      "3,label,\"\"\n"
                      "10,battery,-inf\n";
    snprintf(first, sizeof first, "%s",
             import_ok("orig.csv", log, NULL, db, sizeof db));
    for (int wide = 0; wide < 2; wide++) {
        char again[256];
        snprintf(again, sizeof again, "%s", db);
        export_like(again, wide, text, sizeof text);
        cr_assert_str_eq(import_ok(wide ? "wide.csv" : "long.csv", text,
                                   NULL, db, sizeof db),
                         first, "%s:\n%s\ngot:\n%s\nwant:\n%s",
                         wide ? "wide" : "long", text, rows, first);
    }
}
