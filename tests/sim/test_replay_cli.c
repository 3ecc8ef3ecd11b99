/* test_replay_cli.c - `purr replay` end to end, through the built purr
 * binary: a recording replays identically; a tampered payload and a
 * changed behaviour are divergences naming the transition, transitions
 * after a shortened end_ns bad input; the field-log workflow (import, replay --record, replay --check); several
 * files in parallel jobs with one-line summaries in file order; JUnit;
 * every kind of bad input exits 2 with one line; a real-time recording
 * replays on the virtual clock. */
#include "purr_test.h"
#include "purr_cmd.h"
#include "rec_patch.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-replay-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(replay_cli, .init = make_dir, .fini = remove_dir);

/* Runs `cd DIR && purr ARGS`; returns the exit status, with stdout in out
 * and stderr in err (truncated to fit). */
static int
purr(const char *args, char *out, size_t out_cap, char *err, size_t err_cap)
{
    return purr_cmd_in(dir, args, out, out_cap, err, err_cap);
}

static size_t
lines(const char *s)
{
    return purr_count_lines(s);
}

/* The lines of s that start with prefix ("PASS  ", "FAIL  "): the
 * expectations' results a replay prints after a recording's summary. */
static size_t
expect_lines(const char *s, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

/* Opens the database file DIR/name read-write; the caller closes it. */
static sqlite3 *
open_db(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "%s", path);
    return db;
}

/* Runs SQL on the file DIR/name. */
static void
sql(const char *name, const char *stmt)
{
    sqlite3 *db = open_db(name);
    char *msg = NULL;
    int rc = sqlite3_exec(db, stmt, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    sqlite3_close(db);
}

/* Records `purr run -q ARGS --record NAME SCENE` into DIR. */
static void
record(const char *name, const char *scene, const char *args)
{
    char cmd[512], out[8192], err[2048];
    snprintf(cmd, sizeof cmd, "run -q %s --record %s %s", args, name, scene);
    int st = purr(cmd, out, sizeof out, err, sizeof err);
    cr_assert(st == 0 || st == 1, "purr %s: %s", cmd, err);
    /* A read-write open checkpoints the WAL into the file, so the file can
     * be copied alone. */
    sql(name, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* Writes text to DIR/name. */
static void
write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Formats a time as purr replay's summary does: HH:MM:SS.mmm, then the
 * digits below the millisecond when there are any. */
static void
clock_time(int64_t t, char *buf, size_t cap)
{
    int64_t ms = t / 1000000, sub = t % 1000000;
    int n = snprintf(buf, cap, "%02lld:%02lld:%02lld.%03lld",
                     (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                     (long long)(ms / 1000 % 60), (long long)(ms % 1000));
    if (sub)
        snprintf(buf + n, cap - (size_t)n, "%06lld", (long long)sub);
}

Test(replay_cli, recording_replays_identically)
{
    char out[8192], err[2048];
    record("a.db", PURR_SCENES_DIR "/pet.yaml", "");
    cr_assert_eq(purr("replay a.db --check", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strncmp(out, "a.db: identical (", 17) == 0, "%s", out);
    /* The summary, then the scene's expectations checked on the replayed
     * run, one line each (pet.yaml's all hold). */
    cr_assert_eq(lines(out), 1 + expect_lines(out, "PASS  "), "%s", out);
    cr_assert_gt(expect_lines(out, "PASS  "), 0, "%s", out);
    cr_assert_str_eq(err, "");
    /* -q: the summary alone, since no expectation failed. */
    cr_assert_eq(purr("replay -q a.db --check", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert_eq(lines(out), 1, "%s", out);
    /* The seed drives the sensors. This replay runs them again (shadow
     * mode: the recording is of this very scene file): with another seed
     * in the metadata they set their inputs at other times than the
     * recording says, a divergence naming the first such input. */
    sql("a.db", "UPDATE run SET value = '99' WHERE key = 'seed'");
    cr_assert_eq(purr("replay -q a.db", out, sizeof out, err, sizeof err), 1,
                 "%s%s", out, err);
    cr_assert(strncmp(out, "a.db: DIVERGED at ", 18) == 0, "%s", out);
    cr_assert(strstr(out, "touched") || strstr(out, "battery") ||
                  strstr(out, "light"),
              "%s", out);
    /* Without the scene's hash the replay cannot tell that the scene is
     * the one recorded: the feeder sets the recorded inputs instead of the
     * sensors, and the seed then changes nothing. */
    sql("a.db", "DELETE FROM run WHERE key = 'scene_hash'");
    cr_assert_eq(purr("replay a.db", out, sizeof out, err, sizeof err), 0,
                 "%s%s", out, err);
}

/* A scene of scripted inputs, touched first set at %s. */
static const char timeline_fmt[] =
    "name: timeline\n"
    "duration: 1min\n"
    "sensors:\n"
    "  - {name: touched, type: bool, model: timeline,\n"
    "     points: [[%s, true], [20s, false], [30s, true], [40s, false]]}\n"
    "  - {name: face_seen, type: bool, model: timeline,\n"
    "     points: [[12s, true], [25s, false], [30s, true]]}\n"
    "behaviours:\n"
    "  - {name: talk, params: {cute_for: 2s}}\n";

/* A sensor that sets its input at another time than the recording says is
 * a divergence naming that input: the sensors run again, but the recorded
 * inputs drive the replay. The recording is of a scene setting touched at
 * 10 s; its metadata is made to name (path and hash) a copy that sets it
 * at 10.25 s. */
Test(replay_cli, input_at_another_time_is_a_divergence)
{
    char out[8192], err[2048], text[1024];
    snprintf(text, sizeof text, timeline_fmt, "10s");
    write_file("a.yaml", text);
    snprintf(text, sizeof text, timeline_fmt, "10250ms");
    write_file("b.yaml", text);
    record("a.db", "a.yaml", "--shuffle-seed 4");
    record("b.db", "b.yaml", "");
    char stmt[512];
    snprintf(stmt, sizeof stmt,
             "ATTACH '%s/b.db' AS b; UPDATE run SET value = (SELECT value "
             "FROM b.run WHERE key = 'scene_hash') WHERE key = "
             "'scene_hash'; UPDATE run SET value = (SELECT value FROM b.run "
             "WHERE key = 'scene_text') WHERE key = 'scene_text'; UPDATE "
             "run SET value = 'b.yaml' WHERE key = 'scene'",
             dir);
    sql("a.db", stmt);
    cr_assert_eq(purr("replay a.db", out, sizeof out, err, sizeof err), 1,
                 "%s%s", out, err);
    const char *want = "a.db: DIVERGED at 00:00:10.000: expected touched = "
                       "true, got touched = true at 00:00:10.250\n";
    cr_assert(strncmp(out, want, strlen(want)) == 0, "want %s got %s", want,
              out);
    cr_assert(strstr(out, "  expected  t=10.000000000s  touched = true"),
              "%s", out);
}

/* The pet scene with faults on every sensor and touches that often come
 * at the instant a light or battery sample is taken, so that many tasks
 * wake together: the shuffled scheduler then has batches to permute. */
static const char busy_scene[] =
    "name: busy\n"
    "seed: 5\n"
    "duration: 3h\n"
    "sensors:\n"
    "  - {name: battery, type: double, model: battery, start: 30, drain: "
    "30,\n"
    "     charge: 60, docked: docked, sample: 1min,\n"
    "     faults: [{kind: spikes, rate: 20, size: 15, width: 1s},\n"
    "              {kind: delay, at: 40min, for: 20min, by: 5s},\n"
    "              {kind: stuck, at: 70min, for: 10min, value: 50}]}\n"
    "  - {name: touched, type: bool, model: timeline,\n"
    "     points: [[1min, true], [2min, false], [10min, true], [11min, "
    "false],\n"
    "              [30min, true], [30min, false], [60min, true], [70min, "
    "false]],\n"
    "     faults: [{kind: dropout, rate: 2, for: 3min}]}\n"
    "  - {name: light, type: double, model: periodic, shape: square,\n"
    "     period: 20min, min: 0, max: 100, sample: 1min, noise: 2,\n"
    "     faults: [{kind: spikes, rate: 30, size: 50}]}\n"
    "behaviours:\n"
    "  - {name: pet, params: {low: 20, full: 80, low_for: 2min, purr_for: "
    "1min}}\n";

/* A recording made with the shuffled scheduler (--shuffle-seed) replays
 * identically, whatever the seed: the run batches of the replay hold the
 * tasks they held in the recorded run, so the seeded shuffle permutes them
 * alike. */
Test(replay_cli, shuffled_recordings_replay_identically, .timeout = 120)
{
    char out[8192], err[2048], name[64], args[64], cmd[128];
    write_file("busy.yaml", busy_scene);
    const char *scenes[] = {PURR_SCENES_DIR "/pet.yaml",
                            PURR_SCENES_DIR "/talk.yaml", "busy.yaml"};
    const unsigned seeds[] = {1, 2, 3, 7, 12345};
    for (size_t i = 0; i < sizeof scenes / sizeof scenes[0]; i++) {
        for (size_t j = 0; j < sizeof seeds / sizeof seeds[0]; j++) {
            snprintf(name, sizeof name, "s%zu-%u.db", i, seeds[j]);
            snprintf(args, sizeof args, "--shuffle-seed %u --duration 2h",
                     seeds[j]);
            record(name, scenes[i], args);
            snprintf(cmd, sizeof cmd, "replay %s --check", name);
            cr_assert_eq(purr(cmd, out, sizeof out, err, sizeof err), 0,
                         "%s %s: %s%s", scenes[i], args, out, err);
            cr_assert(strncmp(out, name, strlen(name)) == 0 &&
                          strncmp(out + strlen(name), ": identical (", 13) ==
                              0,
                      "%s", out);
        }
    }
}

/* A recording of a run whose expectation failed replays identically (the
 * behaviour did not change: no divergence), and the replay checks the
 * expectations again: the same one fails, said as `purr run` says it, and
 * the exit status is 1, as it was for the run (a field log is a
 * regression test of the expectations as well as of the outputs). */
Test(replay_cli, failing_expectations_are_not_a_divergence)
{
    char out[8192], err[2048];
    record("fails.db", PURR_SCENES_DIR "/fails.yaml", "");
    cr_assert_eq(purr("replay --check fails.db", out, sizeof out, err,
                      sizeof err),
                 1, "%s%s", out, err);
    cr_assert(strncmp(out, "fails.db: identical (", 21) == 0, "%s", out);
    cr_assert_null(strstr(out, "DIVERGED"), "%s", out);
    cr_assert(strstr(out, "\nFAIL  eventually: docked within 10min after "
                          "battery < 20: the window opened at "),
              "%s", out);
    cr_assert_eq(expect_lines(out, "PASS  "), 2, "%s", out);
    cr_assert_eq(expect_lines(out, "FAIL  "), 1, "%s", out);
    /* -q keeps the failure only. */
    cr_assert_eq(purr("replay -q fails.db", out, sizeof out, err,
                      sizeof err),
                 1, "%s%s", out, err);
    cr_assert_eq(lines(out), 2, "%s", out);
    cr_assert_eq(expect_lines(out, "FAIL  "), 1, "%s", out);
    /* The exit status is the worst of the files': a failed expectation
     * (1) outranks an identical replay (0). */
    record("pet.db", PURR_SCENES_DIR "/pet.yaml", "");
    cr_assert_eq(purr("replay -q pet.db fails.db", out, sizeof out, err,
                      sizeof err),
                 1, "%s%s", out, err);
    cr_assert_eq(purr("replay -q pet.db", out, sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
}

Test(replay_cli, flipped_payload_byte_names_the_transition)
{
    char out[8192], err[2048];
    record("a.db", PURR_SCENES_DIR "/pet.yaml", "");
    /* The first transition of the string output "mood": flip the low bit
     * of its last character. */
    sqlite3 *db = open_db("a.db");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT t.seq, t.time_ns, x.payload, "
                                    "t.payload FROM transition t JOIN value "
                                    "v ON v.id = t.value_id JOIN "
                                    "transitions_text x ON x.seq = t.seq "
                                    "WHERE v.name = 'mood' ORDER BY t.seq "
                                    "LIMIT 1",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t seq = sqlite3_column_int64(st, 0);
    int64_t time_ns = sqlite3_column_int64(st, 1);
    char text[128], tampered[128], where[64];
    snprintf(text, sizeof text, "%s", sqlite3_column_text(st, 2));
    int len = sqlite3_column_bytes(st, 3);
    cr_assert(len > 5 && len < 128);
    sqlite3_finalize(st);
    sqlite3_close(db);
    snprintf(tampered, sizeof tampered, "%s", text);
    tampered[strlen(tampered) - 2] ^= 0x01; /* before the closing quote */
    snprintf(where, sizeof where, "seq = %lld", (long long)seq);
    char path[512];
    snprintf(path, sizeof path, "%s/a.db", dir);
    rec_flip_payload_bit(path, where, (size_t)len - 1, 0);

    cr_assert_eq(purr("replay a.db --check", out, sizeof out, err,
                      sizeof err),
                 1, "%s%s", out, err);
    char when[48], want[512];
    clock_time(time_ns, when, sizeof when);
    snprintf(want, sizeof want, "a.db: DIVERGED at %s mood: expected %s, "
                                "got %s\n",
             when, tampered, text);
    cr_assert(strncmp(out, want, strlen(want)) == 0, "want %s got %s", want,
              out);
    /* The readable report: the transitions before it and the counts. */
    cr_assert(strstr(out, "  expected  t="), "%s", out);
    cr_assert(strstr(out, "  actual    t="), "%s", out);
    cr_assert(strstr(out, ", missing "), "%s", out);
    /* -q: the summary alone. */
    cr_assert_eq(purr("replay -q a.db", out, sizeof out, err, sizeof err), 1);
    cr_assert_str_eq(out, want);
}

Test(replay_cli, changed_behaviour_is_detected)
{
    char out[8192], err[2048];
    record("talk.db", PURR_SCENES_DIR "/talk.yaml", "");
    /* The same scene with a much longer cute act: the behaviour changed. */
    FILE *f = fopen(PURR_SCENES_DIR "/talk.yaml", "r");
    cr_assert_not_null(f);
    char scene[4096];
    size_t n = fread(scene, 1, sizeof scene - 1, f);
    scene[n] = '\0';
    fclose(f);
    char *at = strstr(scene, "cute_for: 3s");
    cr_assert_not_null(at);
    at[10] = '\0';
    char changed[4200];
    snprintf(changed, sizeof changed, "%s9min%s", scene, at + 12);
    write_file("talk2.yaml", changed);
    cr_assert_eq(purr("replay --scene talk2.yaml talk.db", out, sizeof out,
                      err, sizeof err),
                 1, "%s%s", out, err);
    cr_assert(strstr(out, "talk.db: DIVERGED at "), "%s", out);
    cr_assert(strstr(out, "matching "), "%s", out);
}

/* A run ends at end_ns: transitions recorded after it were not made by
 * the run, so a recording holding them is bad input, not a divergence. */
Test(replay_cli, transitions_after_the_end_are_bad_input)
{
    char out[8192], err[2048];
    record("a.db", PURR_SCENES_DIR "/talk.yaml", "");
    sql("a.db", "UPDATE run SET value = '1800000000000' WHERE key = "
                "'end_ns'");
    cr_assert_eq(purr("replay a.db", out, sizeof out, err, sizeof err), 2,
                 "%s%s", out, err);
    cr_assert_str_eq(out, "");
    cr_assert(strstr(err, "is after the run's end (run row end_ns = "
                          "1800000000000)"),
              "%s", err);
}

Test(replay_cli, field_log_workflow)
{
    char out[8192], err[2048];
    record("a.db", PURR_SCENES_DIR "/pet.yaml", "--duration 2h");
    /* A CSV of a.db's inputs, as a robot's log would hold them. */
    sqlite3 *db = open_db("a.db");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT time_s, value, payload FROM "
                                    "transitions_text WHERE role = 'input'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/field.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("time,value,datum\n", f);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        fprintf(f, "%s,%s,%s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
        rows++;
    }
    fclose(f);
    sqlite3_finalize(st);
    sqlite3_close(db);
    cr_assert(rows > 100);

    cr_assert_eq(purr("import field.csv -o field.db --scene " PURR_SCENES_DIR
                      "/pet.yaml",
                      out, sizeof out, err, sizeof err),
                 0, "%s", err);
    /* Inputs only: nothing to compare, and --check says so. */
    cr_assert_eq(purr("replay --check field.db", out, sizeof out, err,
                      sizeof err),
                 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "field.db: holds only inputs"), "%s", err);
    cr_assert_eq(purr("replay field.db --record baseline.db", out, sizeof out,
                      err, sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "field.db: replayed, nothing to compare"), "%s",
              out);
    cr_assert_eq(purr("replay --check baseline.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "baseline.db: identical ("), "%s", out);
    /* The baseline's outputs are the recording's: the inputs are the same,
     * to the precision of the CSV's doubles. */
}

Test(replay_cli, several_files_in_parallel_jobs)
{
    char out[16384], err[2048];
    record("a.db", PURR_SCENES_DIR "/pet.yaml", "");
    record("c.db", PURR_SCENES_DIR "/talk.yaml", "");
    write_file("b.db", "time,value,datum\n");
    cr_assert_eq(purr("replay --jobs 2 --junit out.xml a.db b.db c.db", out,
                      sizeof out, err, sizeof err),
                 2, "%s%s", out, err);
    const char *a = strstr(out, "a.db: identical (");
    const char *c = strstr(out, "c.db: identical (");
    cr_assert(a && c && a < c, "%s", out);
    /* Two summaries, each followed by its scene's expectations. */
    cr_assert_eq(lines(out), 2 + expect_lines(out, "PASS  "), "%s", out);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "purr: b.db: not a purr recording"), "%s", err);
    char path[256], xml[8192];
    snprintf(path, sizeof path, "%s/out.xml", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(xml, 1, sizeof xml - 1, f);
    xml[n] = '\0';
    fclose(f);
    cr_assert(strstr(xml, "tests=\"3\" failures=\"0\" errors=\"1\""), "%s",
              xml);
    cr_assert(strstr(xml, "<testcase classname=\"purr.replay\" "
                          "name=\"a.db\">"),
              "%s", xml);
    cr_assert(strstr(xml, "name=\"b.db\">\n      <error"), "%s", xml);
    /* And a testcase per expectation of the replayed scenes, in a second
     * testsuite: all of pet.yaml's and talk.yaml's hold. */
    cr_assert(strstr(xml, "<testsuite name=\"purr-replay-expect\" tests=\""),
              "%s", xml);
    cr_assert(strstr(xml, "<testcase classname=\"purr.replay.expect\" "
                          "name=\"a.db: "),
              "%s", xml);
    cr_assert(strstr(xml, "<testcase classname=\"purr.replay.expect\" "
                          "name=\"c.db: "),
              "%s", xml);
    cr_assert_null(strstr(xml, "<failure"), "%s", xml);
    /* The same in one process gives the same output. */
    char out1[16384];
    cr_assert_eq(purr("replay a.db b.db c.db", out1, sizeof out1, err,
                      sizeof err),
                 2);
    cr_assert_str_eq(out1, out);
}

Test(replay_cli, bad_input_exits_2_with_one_line)
{
    char out[8192], err[2048];
    record("a.db", PURR_SCENES_DIR "/talk.yaml", "--duration 10min");
    write_file("text.db", "not a database at all, just text: a line that is "
                          "long enough to fill the 100 bytes of an SQLite "
                          "header\n");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && head -c 20000 a.db > trunc.db && cp a.db version.db "
             "&& cp a.db ghost.db && cp a.db noscene.db && cp a.db "
             "typed.db",
             dir);
    cr_assert_eq(system(cmd), 0);
    sql("version.db", "PRAGMA user_version = 7");
    sql("ghost.db", "UPDATE value SET name = 'ghost' WHERE name = "
                    "'touched'");
    sql("noscene.db", "UPDATE run SET value = 'nowhere/x.yaml' WHERE key = "
                      "'scene'; DELETE FROM run WHERE key = 'scene_text'");
    sql("typed.db", "UPDATE value SET type = 2 WHERE name = 'touched'");
    sql("foreign.db", "CREATE TABLE t(x); PRAGMA user_version = 3");
    struct {
        const char *file, *says;
    } bad[] = {
        {"text.db", "text.db: not a purr recording: not an SQLite database"},
        {"trunc.db", "trunc.db: truncated recording"},
        {"foreign.db", "foreign.db: not a purr recording (foreign schema)"},
        {"version.db", "version.db: recording schema version 7, this purr "
                       "reads 3"},
        {"ghost.db", "ghost.db:"},
        {"noscene.db", "noscene.db: the recording's scene nowhere/x.yaml is "
                       "not found"},
        {"typed.db", "typed.db:"},
        {"missing.db", "missing.db: cannot open"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "replay %s", bad[i].file);
        cr_assert_eq(purr(cmd, out, sizeof out, err, sizeof err), 2,
                     "%s: %s%s", bad[i].file, out, err);
        cr_assert_eq(lines(err), 1, "%s: %s", bad[i].file, err);
        cr_assert_str_eq(out, "");
        char want[256];
        snprintf(want, sizeof want, "purr: %s", bad[i].says);
        cr_assert(strncmp(err, want, strlen(want)) == 0, "want %s got %s",
                  want, err);
    }
    /* The unknown input value names its first row. */
    cr_assert_eq(purr("replay ghost.db", out, sizeof out, err, sizeof err),
                 2);
    cr_assert(strstr(err, ": input value ghost is not in the scene"), "%s",
              err);
    /* Usage. */
    const char *usage[] = {"replay", "replay --jobs 0 a.db",
                           "replay --bogus a.db",
                           "replay --record x.db a.db a.db"};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        cr_assert_eq(purr(usage[i], out, sizeof out, err, sizeof err), 2,
                     "%s", usage[i]);
        cr_assert_eq(lines(err), 1, "%s: %s", usage[i], err);
    }
    cr_assert_eq(purr("replay --help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "clock=real"), "%s", out);
}

/* A recording stores its scene's text: it replays from any directory
 * with the scene file gone, and a stored scene that was tampered with is
 * reported with the recording's name. */
Test(replay_cli, recording_stands_alone)
{
    char out[8192], err[2048], cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p a b && cp " PURR_SCENES_DIR
             "/talk.yaml a/t.yaml",
             dir);
    cr_assert_eq(system(cmd), 0);
    record("a/t.db", "a/t.yaml", "--duration 20min");
    snprintf(cmd, sizeof cmd, "cd %s && rm a/t.yaml && mv a/t.db b/", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(purr("replay --check b/t.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "identical"), "%s", out);
    /* Shadow mode still applies: the stored text has the recorded hash. */
    cr_assert(strstr(out, "shadow") || !strstr(out, "feeder"), "%s", out);
    sql("b/t.db", "UPDATE run SET value = 'name: [' WHERE key = "
                  "'scene_text'");
    cr_assert_eq(purr("replay b/t.db", out, sizeof out, err, sizeof err), 2,
                 "%s%s", out, err);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "scene_text of b/t.db"), "%s", err);
}

Test(replay_cli, scene_is_found_next_to_the_recording)
{
    char out[8192], err[2048], cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p sub && cp " PURR_SCENES_DIR
             "/talk.yaml sub/t.yaml",
             dir);
    cr_assert_eq(system(cmd), 0);
    record("sub/t.db", "sub/t.yaml", "--duration 20min");
    /* The metadata says sub/t.yaml, relative to DIR; make it relative to
     * the recording's directory instead. */
    sql("sub/t.db", "UPDATE run SET value = 't.yaml' WHERE key = 'scene'; "
                    "DELETE FROM run WHERE key = 'scene_text'");
    cr_assert_eq(purr("replay sub/t.db", out, sizeof out, err, sizeof err), 0,
                 "%s%s", out, err);
}

Test(replay_cli, real_time_recording_replays_on_the_virtual_clock,
     .timeout = 60)
{
    char out[8192], err[2048];
    write_file("tiny.yaml",
               "name: tiny\n"
               "duration: 2s\n"
               "sensors:\n"
               "  - {name: touched, type: bool, model: timeline,\n"
               "     points: [[200ms, true], [900ms, false], [1300ms, "
               "true]]}\n"
               "  - {name: face_seen, type: bool, model: timeline,\n"
               "     points: [[500ms, true], [1700ms, false]]}\n"
               "behaviours:\n"
               "  - {name: talk, params: {cute_for: 250ms}}\n");
    cr_assert_eq(purr("run -q --real-time --record rt.db tiny.yaml", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    sql("rt.db", "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3 *db = open_db("rt.db");
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT value FROM run WHERE key = "
                                        "'clock'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "real");
    sqlite3_finalize(st);
    /* Real timers fire late: the first input is recorded at or after
     * 200 ms, never before. */
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT min(time_ns) FROM "
                                        "transition",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_geq(sqlite3_column_int64(st, 0), 200 * PURR_MS);
    sqlite3_finalize(st);
    sqlite3_close(db);

    cr_assert_eq(purr("replay --check rt.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "rt.db: identical ("), "%s", out);

    /* An output recorded earlier than the virtual replay makes it is a
     * divergence: real timers are late, never early. */
    char path[512];
    snprintf(path, sizeof path, "%s/rt.db", dir);
    rec_set_time(path,
                 "seq = (SELECT min(t.seq) FROM transition t JOIN value v ON "
                 "v.id = t.value_id WHERE v.name = 'cute_count')",
                 450000000);
    cr_assert_eq(purr("replay rt.db", out, sizeof out, err, sizeof err), 1,
                 "%s%s", out, err);
    cr_assert(strstr(out, "rt.db: DIVERGED at 00:00:00.450: expected "
                          "cute_count = 1, got cute_count = 1 at "
                          "00:00:00.5"), /* at the recorded, late, input */
              "%s", out);
}
