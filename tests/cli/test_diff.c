/* test_diff.c - `purr diff A.db B.db`: identical recordings, one ULP apart,
 * reordered, shifted by a nanosecond, truncated, filtered, and bad input.
 *
 * Recordings are made by the stock purr from scenes/pet.yaml (2 h) and
 * tampered with by tests/rec_patch.h, as a flipped bit on disk would be. */
#include "purr_test.h"
#include "purr_cmd.h"
#include "rec_patch.h"

#include <string.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-diff-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(diff, .init = make_dir, .fini = remove_dir);

static char out[16384], err[2048];

static int
purr(const char *fmt, const char *a)
{
    char args[1024];
    snprintf(args, sizeof args, fmt, a);
    return purr_cmd_in(dir, args, out, sizeof out, err, sizeof err);
}

/* Records pet.yaml into DIR/name with extra run options. */
static void
record(const char *name, const char *opts)
{
    char args[1024];
    snprintf(args, sizeof args,
             "run -q --duration 2h %s --record %s " PURR_SCENES_DIR
             "/pet.yaml",
             opts, name);
    cr_assert_eq(purr_cmd_in(dir, args, out, sizeof out, err, sizeof err), 0,
                 "%s", err);
}

static void
copy(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && cp %s %s", dir, from, to);
    cr_assert_eq(system(cmd), 0);
}

static const char *
at(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

Test(diff, identical_recordings)
{
    record("a.db", "");
    record("b.db", "");
    cr_assert_eq(purr("diff a.db b.db%s", ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "a.db and b.db: identical ("), "%s", out);
    cr_assert_str_eq(err, "");
}

/* The last bit of a double input: one ULP. Found, with the value, the
 * transition and the distance; filtering it out makes them identical. */
Test(diff, one_ulp_apart)
{
    record("a.db", "");
    copy("a.db", "b.db");
    /* Payload: the type byte, then the 8 bytes little-endian: byte 1 is
     * the least significant. */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(at("b.db"), &db), SQLITE_OK);
    sqlite3_stmt *st = rec_patch_find(
        db, "seq, hex(substr(payload, 2, 1))",
        "value_id = (SELECT id FROM value WHERE name = 'battery') AND seq > 5");
    int64_t seq = sqlite3_column_int64(st, 0);
    unsigned low;
    cr_assert_eq(sscanf((const char *)sqlite3_column_text(st, 1), "%2x", &low),
                 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    uint8_t flipped = (uint8_t)(low ^ 1u);
    char where[64];
    snprintf(where, sizeof where, "seq = %lld", (long long)seq);
    rec_patch_payload(at("b.db"), where, 1, &flipped, 1);

    cr_assert_eq(purr("diff a.db b.db%s", ""), 1, "%s%s", out, err);
    char want[96];
    snprintf(want, sizeof want, "DIFFERENT at transition %lld (another datum",
             (long long)seq);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "battery = "), "%s", out);
    cr_assert(strstr(out, "(1 ULP)"), "%s", out);
    cr_assert(strstr(out, "the 10 transitions before it"), "%s", out);
    /* Only the outputs, or another value: identical. */
    cr_assert_eq(purr("diff a.db b.db --outputs%s", ""), 0, "%s", out);
    cr_assert_eq(purr("diff --value mood --value docked a.db b.db%s", ""), 0,
                 "%s", out);
    cr_assert_eq(purr("diff --value battery a.db b.db -q%s", ""), 1, "%s",
                 out);
    cr_assert_eq(purr_count_lines(out), 1, "%s", out);
}

/* One transition a nanosecond late. */
Test(diff, another_time)
{
    record("a.db", "");
    copy("a.db", "b.db");
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(at("b.db"), &db), SQLITE_OK);
    sqlite3_stmt *st = rec_patch_find(db, "time_ns", "seq = 40");
    int64_t t = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    rec_set_time(at("b.db"), "seq = 40", t + 1);
    cr_assert_eq(purr("diff a.db b.db%s", ""), 1, "%s%s", out, err);
    cr_assert(strstr(out, "DIFFERENT at transition 40 (another time"), "%s",
              out);
}

/* A shuffled schedule makes the same transitions of an instant in another
 * order: per value they agree (--check-determinism passes), but the
 * recordings are not the same bytes, and diff says where. */
Test(diff, reordered_transitions)
{
    record("a.db", "");
    record("b.db", "--shuffle-seed 3");
    cr_assert_eq(purr("diff a.db b.db%s", ""), 1, "%s%s", out, err);
    cr_assert(strstr(out, "(another value;"), "%s", out);
    /* The two transitions are at one instant. */
    const char *a = strstr(out, "  A "), *b = strstr(out, "  B ");
    cr_assert(a && b, "%s", out);
    cr_assert_eq(strncmp(strstr(a, "t="), strstr(b, "t="), 16), 0, "%s", out);
}

/* A recording cut short is a prefix of the whole one: identical up to the
 * cut, then one side has no more. */
Test(diff, truncated_recording)
{
    record("a.db", "");
    char args[512];
    snprintf(args, sizeof args,
             "run -q --duration 1h --record short.db " PURR_SCENES_DIR
             "/pet.yaml");
    cr_assert_eq(purr_cmd_in(dir, args, out, sizeof out, err, sizeof err), 0);
    cr_assert_eq(purr("diff short.db a.db%s", ""), 1, "%s%s", out, err);
    cr_assert(strstr(out, "(A ended;"), "%s", out);
    cr_assert(strstr(out, "A         (no more transitions)"), "%s", out);
    cr_assert_eq(purr("diff a.db short.db%s", ""), 1, "%s%s", out, err);
    cr_assert(strstr(out, "(B ended;"), "%s", out);
}

Test(diff, bad_input_exits_2_with_one_line)
{
    record("a.db", "");
    FILE *f = fopen(at("text.db"), "w");
    cr_assert_not_null(f);
    fputs("not a recording\n", f);
    fclose(f);
    const char *cases[] = {
        "diff a.db missing.db", "diff text.db a.db", "diff a.db",
        "diff a.db a.db a.db", "diff --value nosuch a.db a.db",
        "diff --bogus a.db a.db", "diff --value",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(purr("%s", cases[i]), 2, "%s: %s%s", cases[i], out, err);
        cr_assert_eq(purr_count_lines(err), 1, "%s: %s", cases[i], err);
        cr_assert_str_eq(out, "", "%s", cases[i]);
    }
    cr_assert_eq(purr("diff a.db missing.db%s", ""), 2);
    cr_assert(strstr(err, "missing.db"), "%s", err);
    cr_assert_eq(purr("diff --value nosuch a.db a.db%s", ""), 2);
    cr_assert(strstr(err, "nosuch"), "%s", err);
    cr_assert_eq(purr("diff --help%s", ""), 0);
}
