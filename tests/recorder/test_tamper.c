/* test_tamper.c - tampered recordings are refused, never replayed as
 * identical nor as a misleading divergence.
 *
 * Each case changes one field of a good recording, as an edit or a
 * damaged disk would (the tables are STRICT, so SQLite itself refuses a
 * value of the wrong storage class): a first chunk that does not start at seq 1
 * (or starts at INT64_MIN), a deleted first or last chunk, an initial datum
 * that does not decode (x'07ff', x'', a string cut short), a role that is
 * not one (0) or another one (an input made an output and the other way
 * round), a negative first_ns, an input moved after end_ns. Through the
 * library (purr_recording_open and the iterator, or purr_replay_check for
 * roles) each is PURR_EFORMAT with a message naming the table, the row
 * and the field; through `purr replay` it is exit status 2 with that
 * message as the one line on stderr. */
#include "rec_test.h"
#include "rec_patch.h"
#include "purr_cmd.h"

#include <inttypes.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Through the library: the thermostat of rec_test.h                       */
/* ---------------------------------------------------------------------- */

/* Opens path and reads every transition. Returns the first error (0 when
 * the whole recording reads), with its diag. */
static int
read_all(const char *path, purr_diag *diag)
{
    purr_recording *rec;
    memset(diag, 0, sizeof *diag);
    int rc = purr_recording_open(path, &rec, diag);
    if (rc < 0)
        return rc;
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    while ((rc = purr_recording_iter_next(&it, diag)) == 0)
        ;
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return rc == PURR_ECLOSED ? 0 : rc;
}

/* Records the thermostat (threshold 20) into name, with chunks of at most
 * 8 transitions (one commit each), and applies stmt to it. */
static void
thermo_tampered(char *path, size_t cap, const char *name, const char *stmt)
{
    tmp_path(path, cap, name);
    unlink(path);
    thermo_record_rows(path, 20.0, 8);
    if (stmt)
        sql_exec(path, stmt);
}

/* Expects path to be refused with PURR_EFORMAT and exactly message (and
 * line, the transition's seq, or 0). */
static void
expect_refused(const char *path, long line, const char *message)
{
    purr_diag diag;
    purr_assert_err(read_all(path, &diag), PURR_EFORMAT);
    cr_assert_str_eq(diag.file, path);
    cr_assert_str_eq(diag.message, message);
    cr_assert_eq(diag.line, line, "%s", diag.message);
}

Test(tamper, untouched_recording_reads)
{
    char path[256];
    purr_diag diag;
    thermo_tampered(path, sizeof path, "good.db", NULL);
    purr_assert_ok(read_all(path, &diag));
}

Test(tamper, first_chunk_not_at_seq_1)
{
    char path[256];
    thermo_tampered(path, sizeof path, "first2.db",
                    "UPDATE transition_chunk SET first_seq = 2 WHERE "
                    "first_seq = 1");
    expect_refused(path, 2,
                   "transitions missing: the first transition is seq 2, "
                   "not 1 (transition_chunk row first_seq = 2)");
    thermo_tampered(path, sizeof path, "firstmin.db",
                    "UPDATE transition_chunk SET first_seq = "
                    "-9223372036854775808 WHERE first_seq = 1");
    expect_refused(path, 0,
                   "transition_chunk row first_seq = -9223372036854775808: "
                   "first_seq is not a transition number (from 1)");
}

Test(tamper, deleted_first_or_last_chunk)
{
    char path[256];
    thermo_tampered(path, sizeof path, "nofirst.db",
                    "DELETE FROM transition_chunk WHERE first_seq = 1");
    /* The chunks hold 8 transitions or fewer (a commit each). */
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT min(first_seq), (SELECT "
                                    "max(first_seq + count - 1) FROM "
                                    "transition_chunk) FROM transition_chunk",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t second = sqlite3_column_int64(st, 0);
    int64_t last = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    cr_assert(second > 1 && second <= 9, "%" PRId64, second);
    char want[256];
    snprintf(want, sizeof want,
             "transitions missing: the first transition is seq %" PRId64
             ", not 1 (transition_chunk row first_seq = %" PRId64 ")",
             second, second);
    expect_refused(path, second, want);

    /* All of them: value_stats still counts what was committed. */
    thermo_tampered(path, sizeof path, "nochunk.db",
                    "DELETE FROM transition_chunk");
    snprintf(want, sizeof want,
             "transitions missing or added: transition_chunk rows end at "
             "seq 0, value_stats rows count %" PRId64
             " (sum of column transitions)",
             last);
    expect_refused(path, 1, want);
    /* The last one. */
    thermo_tampered(path, sizeof path, "nolast.db",
                    "DELETE FROM transition_chunk WHERE first_seq = (SELECT "
                    "max(first_seq) FROM transition_chunk)");
    purr_diag diag;
    purr_assert_err(read_all(path, &diag), PURR_EFORMAT);
    cr_assert(strstr(diag.message, "transitions missing or added: "
                                   "transition_chunk rows end at seq "),
              "%s", diag.message);
}

Test(tamper, corrupt_initial_datums)
{
    char path[256];
    /* temp is value 1, an input double; count is value 3, an int. */
    thermo_tampered(path, sizeof path, "init07ff.db",
                    "UPDATE value SET initial = x'07ff' WHERE id = 1");
    expect_refused(path, 0,
                   "value row id 1 (temp): initial x'07ff' is not a datum "
                   "in the payload encoding");
    thermo_tampered(path, sizeof path, "initempty.db",
                    "UPDATE value SET initial = x'' WHERE id = 1");
    expect_refused(path, 0,
                   "value row id 1 (temp): initial x'' is not a datum in "
                   "the payload encoding");
    /* A string of 5 bytes with 3 left. */
    thermo_tampered(path, sizeof path, "initcut.db",
                    "UPDATE value SET type = 4, initial = x'0405000000616263'"
                    " WHERE id = 3");
    expect_refused(path, 0,
                   "value row id 3 (count): initial x'0405000000616263' is "
                   "not a datum in the payload encoding");
    /* A datum of another type than the value's. */
    thermo_tampered(path, sizeof path, "inittype.db",
                    "UPDATE value SET initial = x'0101' WHERE id = 1");
    expect_refused(path, 0,
                   "value row id 1 (temp): initial is a bool, its type 3 "
                   "says double");
}

Test(tamper, role_that_is_none)
{
    char path[256];
    thermo_tampered(path, sizeof path, "role0.db",
                    "UPDATE value SET role = 0 WHERE id = 2");
    expect_refused(path, 0,
                   "value row id 2 (heater): role 0 is not 1 (input), 2 "
                   "(output) or 3 (internal)");
}

/* Replays path with the thermostat (threshold 20). */
static int
replay_thermo(const char *path, purr_replay_report *rep)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = 20.0};
    purr_replay_target target = {.setup = thermo_setup,
                                 .behaviour = thermo_behaviour,
                                 .teardown = thermo_teardown,
                                 .arg = &t};
    int rc = purr_replay_check(rec, &target, rep);
    purr_recording_close(rec);
    return rc;
}

Test(tamper, role_of_another_kind)
{
    char path[256];
    purr_replay_report rep;
    /* The input recorded as an output: it would be compared, not fed. */
    thermo_tampered(path, sizeof path, "inout.db",
                    "UPDATE value SET role = 2 WHERE id = 1");
    purr_assert_err(replay_thermo(path, &rep), PURR_EFORMAT);
    cr_assert_eq(rep.outcome, PURR_REPLAY_ERROR);
    cr_assert_str_eq(rep.diag.message,
                     "value row id 1 (temp): role 2 (output), but the run's "
                     "temp is an input");
    /* An output recorded as an input: it would be fed, not compared. */
    thermo_tampered(path, sizeof path, "outin.db",
                    "UPDATE value SET role = 1 WHERE id = 2");
    purr_assert_err(replay_thermo(path, &rep), PURR_EFORMAT);
    cr_assert_str_eq(rep.diag.message,
                     "value row id 2 (heater): role 1 (input), but the run's "
                     "heater is an output");
    /* Output and internal are both compared: no difference to the
     * replay. */
    thermo_tampered(path, sizeof path, "outint.db",
                    "UPDATE value SET role = 3 WHERE id = 2");
    purr_assert_ok(replay_thermo(path, &rep));
}

Test(tamper, negative_first_ns)
{
    char path[256];
    thermo_tampered(path, sizeof path, "negns.db",
                    "UPDATE transition_chunk SET first_ns = -1 WHERE "
                    "first_seq = 1");
    expect_refused(path, 1,
                   "transition_chunk row first_seq = 1: first_ns -1 is not "
                   "a time in ns (an integer from 0)");
    thermo_tampered(path, sizeof path, "minns.db",
                    "UPDATE transition_chunk SET first_ns = "
                    "-9223372036854775808 WHERE first_seq = 1");
    expect_refused(path, 1,
                   "transition_chunk row first_seq = 1: first_ns "
                   "-9223372036854775808 is not a time in ns (an integer "
                   "from 0)");
}

Test(tamper, input_after_end_ns)
{
    char path[256];
    thermo_tampered(path, sizeof path, "late.db", NULL);
    /* The last reading (5 s) moved to 1 ns after the end (6 s). */
    int64_t seq = rec_set_time(path,
                               "seq = (SELECT max(seq) FROM transition "
                               "WHERE value_id = 1)",
                               6 * PURR_S + 1);
    char want[256];
    snprintf(want, sizeof want,
             "transition %" PRId64 " (value temp): time 6000000001 ns is "
             "after the run's end (run row end_ns = 6000000000)",
             seq);
    expect_refused(path, seq, want);
    /* At the end itself is the run's (a duration includes its end). */
    thermo_tampered(path, sizeof path, "atend.db", NULL);
    rec_set_time(path,
                 "seq = (SELECT max(seq) FROM transition WHERE "
                 "value_id = 1)",
                 6 * PURR_S);
    purr_diag diag;
    purr_assert_ok(read_all(path, &diag));
}

Test(tamper, bad_run_rows)
{
    char path[256];
    thermo_tampered(path, sizeof path, "endtext.db",
                    "UPDATE run SET value = '6s' WHERE key = 'end_ns'");
    expect_refused(path, 0,
                   "run row end_ns: '6s' is not a time in ns (an integer "
                   "from 0)");
    thermo_tampered(path, sizeof path, "endneg.db",
                    "UPDATE run SET value = '-1' WHERE key = 'start_ns'");
    expect_refused(path, 0,
                   "run row start_ns: '-1' is not a time in ns (an integer "
                   "from 0)");
    thermo_tampered(path, sizeof path, "complete2.db",
                    "UPDATE run SET value = 'yes' WHERE key = 'complete'");
    expect_refused(path, 0, "run row complete: 'yes' is not 0 or 1");
}

/* ---------------------------------------------------------------------- */
/* Through `purr replay`: a recording of the pet scene                     */
/* ---------------------------------------------------------------------- */

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-tamper-test.%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(tamper_cli, .init = make_dir, .fini = remove_dir);

/* Runs SQL on DIR/name, and returns the first column of its last row as
 * an integer (0 without one). */
static int64_t
sql_in(const char *name, const char *stmt)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sqlite3 *db;
    sqlite3_stmt *st;
    const char *tail = stmt;
    int64_t x = 0;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "%s", path);
    while (*tail) {
        cr_assert_eq(sqlite3_prepare_v2(db, tail, -1, &st, &tail), SQLITE_OK,
                     "%s: %s", stmt, sqlite3_errmsg(db));
        if (!st)
            break;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            x = sqlite3_column_int64(st, 0);
        cr_assert_eq(rc, SQLITE_DONE, "%s: %s", stmt, sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return x;
}

Test(tamper_cli, every_case_exits_2_naming_table_row_and_field, .timeout = 120)
{
    char out[8192], err[2048], cmd[512];
    cr_assert_eq(
        purr_cmd_in(dir, "run -q --record base.db " PURR_SCENES_DIR "/pet.yaml",
                    out, sizeof out, err, sizeof err),
        0, "%s%s", out, err);
    cr_assert_eq(
        purr_cmd_in(dir, "replay base.db", out, sizeof out, err, sizeof err), 0,
        "%s%s", out, err);
    int64_t second = sql_in("base.db", "SELECT min(first_seq) FROM "
                                       "transition_chunk WHERE first_seq > 1");
    int64_t battery = sql_in("base.db", "SELECT id FROM value WHERE name = "
                                        "'battery'");
    int64_t mood = sql_in("base.db", "SELECT id FROM value WHERE name = "
                                     "'mood'");
    cr_assert_gt(second, 1, "the recording has one chunk only");
    char want[16][256];
    struct {
        const char *file, *stmt;
    } bad[] = {
        {"first2.db", "UPDATE transition_chunk SET first_seq = 2 WHERE "
                      "first_seq = 1"},
        {"firstmin.db", "UPDATE transition_chunk SET first_seq = "
                        "-9223372036854775808 WHERE first_seq = 1"},
        {"nofirst.db", "DELETE FROM transition_chunk WHERE first_seq = 1"},
        {"init07ff.db", "UPDATE value SET initial = x'07ff' WHERE name = "
                        "'battery'"},
        {"initempty.db", "UPDATE value SET initial = x'' WHERE name = "
                         "'battery'"},
        {"initcut.db", "UPDATE value SET initial = x'0405000000626f72' "
                       "WHERE name = 'mood'"},
        {"role0.db", "UPDATE value SET role = 0 WHERE name = 'battery'"},
        {"inout.db", "UPDATE value SET role = 2 WHERE name = 'battery'"},
        {"outin.db", "UPDATE value SET role = 1 WHERE name = 'mood'"},
        {"negns.db", "UPDATE transition_chunk SET first_ns = -1 WHERE "
                     "first_seq = 1"},
        {"late.db", NULL},
    };
    size_t n = sizeof bad / sizeof bad[0];
    snprintf(want[0], sizeof want[0],
             "first2.db:2: transitions missing: the first transition is seq "
             "2, not 1 (transition_chunk row first_seq = 2)");
    snprintf(want[1], sizeof want[1],
             "firstmin.db: transition_chunk row first_seq = "
             "-9223372036854775808: first_seq is not a transition number "
             "(from 1)");
    snprintf(want[2], sizeof want[2],
             "nofirst.db:%" PRId64 ": transitions missing: the first "
             "transition is seq %" PRId64 ", not 1 (transition_chunk row "
             "first_seq = %" PRId64 ")",
             second, second, second);
    snprintf(want[3], sizeof want[3],
             "init07ff.db: value row id %" PRId64 " (battery): initial "
             "x'07ff' is not a datum in the payload encoding",
             battery);
    snprintf(want[4], sizeof want[4],
             "initempty.db: value row id %" PRId64 " (battery): initial x'' "
             "is not a datum in the payload encoding",
             battery);
    snprintf(want[5], sizeof want[5],
             "initcut.db: value row id %" PRId64 " (mood): initial "
             "x'0405000000626f72' is not a datum in the payload encoding",
             mood);
    snprintf(want[6], sizeof want[6],
             "role0.db: value row id %" PRId64 " (battery): role 0 is not 1 "
             "(input), 2 (output) or 3 (internal)",
             battery);
    snprintf(want[7], sizeof want[7],
             "inout.db: value row id %" PRId64 " (battery): role 2 "
             "(output), but the run's battery is an input",
             battery);
    snprintf(want[8], sizeof want[8],
             "outin.db: value row id %" PRId64 " (mood): role 1 (input), but "
             "the run's mood is an output",
             mood);
    snprintf(want[9], sizeof want[9],
             "negns.db:1: transition_chunk row first_seq = 1: first_ns -1 is "
             "not a time in ns (an integer from 0)");
    for (size_t i = 0; i < n; i++) {
        snprintf(cmd, sizeof cmd, "cd %s && cp base.db %s", dir, bad[i].file);
        cr_assert_eq(system(cmd), 0);
        if (bad[i].stmt)
            sql_in(bad[i].file, bad[i].stmt);
    }
    /* The last battery reading moved 1 ns past the end (24 h). */
    char path[512];
    snprintf(path, sizeof path, "%s/late.db", dir);
    int64_t seq = rec_set_time(path,
                               "seq = (SELECT max(t.seq) FROM transition t "
                               "JOIN value v ON v.id = t.value_id WHERE "
                               "v.name = 'battery')",
                               24 * 3600 * PURR_S + 1);
    snprintf(want[10], sizeof want[10],
             "late.db:%" PRId64 ": transition %" PRId64 " (value battery): "
             "time 86400000000001 ns is after the run's end (run row end_ns "
             "= 86400000000000)",
             seq, seq);
    for (size_t i = 0; i < n; i++) {
        snprintf(cmd, sizeof cmd, "replay %s", bad[i].file);
        cr_assert_eq(purr_cmd_in(dir, cmd, out, sizeof out, err, sizeof err), 2,
                     "%s: %s%s", bad[i].file, out, err);
        cr_assert_str_eq(out, "", "%s", bad[i].file);
        char line[sizeof want[0] + 16];
        snprintf(line, sizeof line, "purr: %.255s\n", want[i]);
        cr_assert_str_eq(err, line);
    }
}
