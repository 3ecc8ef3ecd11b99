/* test_import.c - field-log import: CSV and JSON Lines logs become
 * recordings holding only inputs; every bad line is refused with
 * "LOG:LINE: message" and leaves no output file behind. */
#include "rec_test.h"

#include "import_int.h"

#include <purr/cli.h>

#include <math.h>
#include <unistd.h>

static const char SCENE[] =
    "name: imported\n"
    "seed: 7\n"
    "duration: 1h\n"
    "sensors:\n"
    "  - {name: bumper, type: bool, model: constant, value: false}\n"
    "  - {name: ticks, type: int, model: constant, value: 0}\n"
    "  - {name: battery, type: double, model: constant, value: 50.0}\n"
    "  - {name: label, type: string, model: constant, value: \"\"}\n";

/* Writes text to dir/name and returns the path in path. */
static void
write_file(char *path, size_t cap, const char *name, const char *text)
{
    tmp_path(path, cap, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

/* The expected transitions of the good logs, in order. */
struct want {
    purr_time time_ns;
    const char *value;
    const char *text; /* purr_datum_format of the datum */
};

static const struct want GOOD[] = {
    {0, "battery", "42.5"},
    {250 * PURR_MS, "bumper", "true"},
    {1500 * PURR_MS, "ticks", "-9223372036854775808"},
    {1500 * PURR_MS, "label", "\"a,b \\\"q\\\"\\n\""},
    {2 * PURR_S, "battery", "-0.0"},
    {2 * PURR_S + 1, "battery", "1e+300"},
    {3 * PURR_S, "label", "\"\\xc3\\xa9\""},
    {3 * PURR_S, "bumper", "false"},
    {10 * PURR_S, "battery", "7.0"},
};
#define NGOOD (sizeof GOOD / sizeof GOOD[0])

static const char GOOD_CSV[] =
    "time,value,datum\n"
    "0,battery,42.5\n"
    "\n"
    "0.25,bumper,true\n"
    "1500ms,ticks,-9223372036854775808\n"
    "1.5s, label , \"a,b \\\"q\\\"\\n\"\n"
    "2,battery,-0.0\r\n"
    "2.000000001,battery,1e300\n"
    "3,label,\"\\xc3\\xa9\"\n"
    "3.0,bumper,false\n"
    "10s,battery,7\n";

static const char GOOD_JSONL[] =
    "{\"t\": 0, \"value\": \"battery\", \"datum\": 42.5}\n"
    "{\"t\": 0.25, \"value\": \"bumper\", \"datum\": true}\n"
    "{\"value\": \"ticks\", \"t\": \"1500ms\", "
    "\"datum\": -9223372036854775808}\n"
    "{\"t\": 1.5, \"value\": \"label\", \"datum\": \"a,b \\\"q\\\"\\n\"}\n"
    "\n"
    "{\"t\": 2, \"value\": \"battery\", \"datum\": -0.0}\n"
    "{\"t\": 2.000000001, \"value\": \"battery\", \"datum\": 1E+300}\n"
    "{\"t\": 3, \"value\": \"label\", \"datum\": \"\\u00e9\"}\n"
    "{\"t\": 3.0, \"value\": \"bumper\", \"datum\": false}\n"
    "{\"t\": \"10s\", \"value\": \"battery\", \"datum\": 7}";

static void
check_good(const char *db, const char *scene)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    cr_assert_str_eq(purr_recording_meta(rec, "clock"), "imported");
    cr_assert_str_eq(purr_recording_meta(rec, "scene"), scene);
    cr_assert_str_eq(purr_recording_meta(rec, "seed"), "7");
    cr_assert_str_eq(purr_recording_meta(rec, "end_ns"), "10000000001");
    const char *hash = purr_recording_meta(rec, "scene_hash");
    cr_assert(hash && strlen(hash) == 16);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof SCENE - 1; i++)
        h = (h ^ (uint8_t)SCENE[i]) * 0x100000001b3ull;
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    cr_assert_str_eq(hash, want);

    cr_assert_eq(purr_recording_value_count(rec), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(purr_recording_value_at(rec, i)->role,
                     PURR_ROLE_INPUT);
    cr_assert_eq(purr_recording_value_find(rec, "ticks")->type, PURR_T_INT);

    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t i = 0;
    int rc;
    char text[256];
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        cr_assert(i < NGOOD);
        purr_datum_format(&it.datum, text, sizeof text);
        cr_assert_eq(it.time_ns, GOOD[i].time_ns, "row %zu", i);
        cr_assert_str_eq(it.value->name, GOOD[i].value, "row %zu", i);
        cr_assert_str_eq(text, GOOD[i].text, "row %zu", i);
        i++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    cr_assert_eq(i, NGOOD);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* Writes text as the log file log_name, imports it into db_name with the
 * format taken from the extension, and checks the result holds exactly
 * the good rows. */
static void
round_trip(const char *log_name, const char *text, const char *db_name)
{
    char scene[256], log[256], db[256];
    purr_diag diag;
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    write_file(log, sizeof log, log_name, text);
    tmp_path(db, sizeof db, db_name);
    int rc = purr_import_scene_log(log, db, scene, NULL, &diag);
    cr_assert_eq(rc, 0, "%s:%ld: %s", diag.file, diag.line, diag.message);
    check_good(db, scene);
}

Test(import, csv_round_trip)
{
    round_trip("good.csv", GOOD_CSV, "csv.db");
}

Test(import, jsonl_round_trip)
{
    round_trip("good.jsonl", GOOD_JSONL, "jsonl.db");
}

Test(import, format_option_overrides_the_extension)
{
    char scene[256], log[256], db[256];
    purr_diag diag;
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    write_file(log, sizeof log, "good.log", GOOD_JSONL);
    tmp_path(db, sizeof db, "fmt.db");
    purr_assert_err(purr_import_scene_log(log, db, scene, NULL, &diag),
                    PURR_EFORMAT);
    cr_assert(strstr(diag.message, "unknown log format"));
    purr_import_options o = {.format = PURR_IMPORT_JSONL};
    purr_assert_ok(purr_import_scene_log(log, db, scene, &o, &diag));
    check_good(db, scene);
    /* An existing output is kept unless overwrite is asked for. */
    purr_assert_err(purr_import_scene_log(log, db, scene, &o, &diag), PURR_EEXIST);
    o.overwrite = true;
    purr_assert_ok(purr_import_scene_log(log, db, scene, &o, &diag));
}

/* Times are read from their decimal text, not through a double: near an
 * epoch time doubles are 238 ns apart, yet rows a nanosecond apart stay a
 * nanosecond apart. */
Test(import, jsonl_epoch_times_are_exact_to_the_nanosecond)
{
    static const char LOG[] =
        "{\"t\": 1733500000.123456789, \"value\": \"ticks\", \"datum\": 1}\n"
        "{\"t\": 1733500000.12345679, \"value\": \"ticks\", \"datum\": 2}\n"
        "{\"t\": 1733500000.123456791, \"value\": \"ticks\", \"datum\": 3}\n";
    /* Made relative to the first (options.epoch). */
    static const purr_time want[] = {0, 1, 2};
    char scene[256], log[256], db[256];
    purr_diag diag;
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    write_file(log, sizeof log, "epoch.jsonl", LOG);
    tmp_path(db, sizeof db, "epoch.db");
    purr_import_options o = {.epoch = true};
    int rc = purr_import_scene_log(log, db, scene, &o, &diag);
    cr_assert_eq(rc, 0, "%s:%ld: %s", diag.file, diag.line, diag.message);
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    cr_assert_str_eq(purr_recording_meta(rec, "start_epoch_ns"),
                     "1733500000123456789");
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t i = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        cr_assert_lt(i, 3);
        cr_assert_eq(it.time_ns, want[i], "row %zu: %lld", i,
                     (long long)it.time_ns);
        i++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    cr_assert_eq(i, 3);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* Imports text (as name) and expects "LOG:LINE: ...message..." and no
 * output file. */
static void
expect_bad(const char *name, const char *text, long line,
           const char *message)
{
    char scene[256], log[256], db[256];
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    write_file(log, sizeof log, name, text);
    tmp_path(db, sizeof db, "bad.db");
    unlink(db);
    purr_assert_err(purr_import_scene_log(log, db, scene, NULL, &diag),
                    PURR_EFORMAT);
    cr_assert_str_eq(diag.file, log);
    cr_assert_eq(diag.line, line, "%s: line %ld: %s", name, diag.line,
                 diag.message);
    cr_assert(strstr(diag.message, message), "%s: \"%s\" lacks \"%s\"",
              name, diag.message, message);
    cr_assert(strchr(diag.message, '\n') == NULL);
    cr_assert_neq(access(db, F_OK), 0, "%s left an output file", name);
    char buf[600];
    purr_diag_format(&diag, buf, sizeof buf);
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%ld:", log, line);
    if (line > 0)
        cr_assert_eq(strncmp(buf, prefix, strlen(prefix)), 0, "%s", buf);
}

Test(import, csv_errors_name_their_line)
{
    const char *h = "time,value,datum\n0,ticks,1\n";
    char t[512];
    /* Any other header is a wide log's: here, with no input's column. */
    expect_bad("e1.csv", "tyme,value,datum\n0,ticks,1\n", 1,
               "no column is an input of scene");
#define BAD(line_text, msg)                                                  \
    snprintf(t, sizeof t, "%s%s\n", h, line_text);                           \
    expect_bad("e.csv", t, 3, msg)
    BAD("1,ticks", "expected time,value,datum");
    BAD("x,ticks,1", "bad time");
    BAD("-1,ticks,1", "bad time");
    BAD("1.,ticks,1", "bad time");
    BAD("1.5 parsecs,ticks,1", "bad time");
    BAD("1,,1", "empty value name");
    /* A datum that is not of the input's type, in purr's text form or as
     * a logger writes it, names the input, the type and the text. */
    BAD("1,ticks,1 2", "value 'ticks': expected int (an integer), got '1 2'");
    BAD("1,ticks,99999999999999999999", "expected int");
    BAD("1,motor,1", "unknown value 'motor'");
    BAD("1,ticks,1.5", "value 'ticks': expected int (an integer), got '1.5'");
    BAD("1,bumper,maybe", "value 'bumper': expected bool (0/1, true/false, "
                          "yes/no), got 'maybe'");
    BAD("1,ticks,(1, 2)", "expected int");
    BAD("1,battery,\"7\"x", "expected double");
#undef BAD
    expect_bad("e2.csv", "time,value,datum\n2,ticks,1\n1,ticks,2\n", 3,
               "time goes backwards");
    expect_bad("e3.csv", "time,value,datum\n1,ticks,1\n2,ticks,\"abc", 3,
               "truncated");
    expect_bad("e4.csv", "time,value,datum\n1,ticks,1\n2,ti", 3,
               "truncated");
}

Test(import, jsonl_errors_name_their_line)
{
    const char *h = "{\"t\": 0, \"value\": \"ticks\", \"datum\": 1}\n";
    char t[512];
#define BAD(line_text, msg)                                                  \
    snprintf(t, sizeof t, "%s\n%s\n", h, line_text);                         \
    expect_bad("e.jsonl", t, 3, msg)
    BAD("[1, 2]", "'{' expected");
    BAD("{}", "expected");
    BAD("{\"t\": 1, \"value\": \"ticks\"}", "missing \"datum\"");
    BAD("{\"t\": 1, \"datum\": 1}", "missing \"value\"");
    BAD("{\"value\": \"ticks\", \"datum\": 1}", "missing \"t\"");
    BAD("{\"t\": 1, \"t\": 2, \"value\": \"ticks\", \"datum\": 1}",
        "duplicate key");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 1, \"x\": 0}",
        "unknown key");
    BAD("{\"t\": -1, \"value\": \"ticks\", \"datum\": 1}", "bad time");
    BAD("{\"t\": 1e3, \"value\": \"ticks\", \"datum\": 1}", "bad time");
    BAD("{\"t\": 1, \"value\": 5, \"datum\": 1}", "must be a string");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 01}", "',' or '}'");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 1.}", "digits expected");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 1e}", "exponent");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 99999999999999999999}",
        "int64 range");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 1e999}", "out of range");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": tru}", "value expected");
    BAD("{\"t\": 1, \"value\": \"label\", \"datum\": \"\\q\"}", "bad escape");
    BAD("{\"t\": 1, \"value\": \"label\", \"datum\": \"\\ud800\"}",
        "surrogate");
    BAD("{\"t\": 1, \"value\": \"label\", \"datum\": \"a\tb\"}",
        "control character");
    BAD("{\"t\": 1, \"value\": \"label\", \"datum\": {\"a\": 1}}",
        "only allowed at the top level");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": 1} x",
        "text after the object");
    BAD("{\"t\": 1, \"value\": \"motor\", \"datum\": 1}", "unknown value");
    BAD("{\"t\": 1, \"value\": \"ticks\", \"datum\": true}",
        "is int, the datum is bool");
    BAD("{\"t\": 1, \"value\": \"label\", \"datum\": [1, [2]]}",
        "the datum is tuple");
#undef BAD
    expect_bad("e2.jsonl",
               "{\"t\": 2, \"value\": \"ticks\", \"datum\": 1}\n"
               "{\"t\": 1.999, \"value\": \"ticks\", \"datum\": 2}\n",
               2, "time goes backwards");
    expect_bad("e3.jsonl",
               "{\"t\": 1, \"value\": \"ticks\", \"datum\": 1}\n"
               "{\"t\": 2, \"value\": \"ticks\", \"da",
               2, "truncated");
}

Test(import, empty_logs_are_refused)
{
    expect_bad("empty.csv", "", 0, "empty log");
    expect_bad("empty.jsonl", "", 0, "empty log");
    expect_bad("header.csv", "time,value,datum\n", 0, "no records");
    expect_bad("blank.jsonl", "\n\n", 0, "no records");
}

Test(import, missing_files_are_refused)
{
    char scene[256], db[256];
    purr_diag diag;
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    tmp_path(db, sizeof db, "none.db");
    purr_assert_err(purr_import_scene_log("/nonexistent/log.csv", db, scene, NULL,
                                    &diag),
                    PURR_ENOENT);
    cr_assert_str_eq(diag.file, "/nonexistent/log.csv");
    cr_assert_neq(access(db, F_OK), 0);
}

/* The JSON parser reads arrays as tuples, nested, and every scalar. */
Test(import, jsonl_parser_reads_every_type)
{
    purr_import_record rec;
    char err[200], text[256];
    const char *line =
        "{\"datum\": [true, false, null, 0, -12, 0.5, -1e-3, \"\\u0041\\n\","
        " [], [[1]], \"\\ud83d\\ude00\"], \"value\": \"x\", \"t\": 1.000000001}";
    purr_assert_ok(purr__import_parse_jsonl_line(line, strlen(line), &rec,
                                                 err, sizeof err));
    cr_assert_eq(rec.time_ns, PURR_S + 1);
    cr_assert_str_eq(rec.value, "x");
    purr_datum_format(&rec.datum, text, sizeof text);
    cr_assert_str_eq(text, "(true, false, nil, 0, -12, 0.5, -0.001, \"A\\n\","
                           " (), ((1,),), \"\\xf0\\x9f\\x98\\x80\")");
    purr_datum_free(&rec.datum);
}

/* Runs `purr import ...` (purr_main) on a NULL-terminated list of
 * arguments starting with the verb. */
static int
cli(const char *const *args)
{
    char *argv[17];
    int argc = 1;
    argv[0] = strdup("purr");
    for (; args[argc - 1]; argc++)
        argv[argc] = strdup(args[argc - 1]);
    argv[argc] = NULL;
    int status = purr_main(argc, argv);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return status;
}

Test(import, cli_exit_status)
{
    char scene[256], log[256], db[256];
    write_file(scene, sizeof scene, "scene.yaml", SCENE);
    write_file(log, sizeof log, "cli.csv", GOOD_CSV);
    tmp_path(db, sizeof db, "cli.db");
    unlink(db);
    const char *ok[] = {"import", log,     "-o",  db, "--scene",
                        scene,    "--format", "csv", NULL};
    cr_assert_eq(cli(ok), 0);
    check_good(db, scene);
    cr_assert_eq(cli(ok), 2); /* the output exists */
    const char *force[] = {"import", log,       "-o", db, "--scene",
                           scene,    "--force", NULL};
    cr_assert_eq(cli(force), 0);
    const char *noscene[] = {"import", log, "-o", db, NULL};
    cr_assert_eq(cli(noscene), 2);
    const char *badfmt[] = {"import", log,        "-o",  db, "--scene",
                            scene,    "--format", "xml", NULL};
    cr_assert_eq(cli(badfmt), 2);
}
