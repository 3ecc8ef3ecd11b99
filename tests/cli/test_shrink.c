/* test_shrink.c - `purr shrink` end to end, through the built purr binary:
 * a failing recording of scenes/fails.yaml (720 battery transitions, one
 * of which is enough for lazy-pet to dock too late) and of
 * tests/cli/scenes/shrink_noisy.yaml (the same bug among two noisy
 * sensors the behaviour never reads) shrinks to a recording that still
 * fails the same expectation, with at least 10 times fewer input
 * transitions; `purr replay --check` of it is identical and fails that
 * expectation; the scene fragment, run with `purr run`, fails it too, for
 * exactly the shrunk duration; the result is deterministic; outputs are
 * never clobbered; bad input and a recording with nothing to shrink are
 * said in one line. */
#include "purr_cmd.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-shrink-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(shrink, .init = make_dir, .fini = remove_dir);

static char out[65536], err[8192];

/* purr(fmt, ...): `purr ARGS` in dir (purr_cmd.h). */
PURR_CMD_PRINTF_RUNNER(dir, out, err)

/* Records `purr run -q SCENE --record NAME`, whose expectation fails. */
static void
record_failing(const char *name, const char *scene)
{
    cr_assert_eq(purr("run -q --record %s %s", name, scene), 1, "%s%s", out,
                 err);
}

/* The counts shrink printed: "input transitions A -> B, inputs C -> D". */
static void
counts(size_t *before, size_t *after, size_t *in_before, size_t *in_after)
{
    const char *p = strstr(out, "input transitions ");
    cr_assert_not_null(p, "%s", out);
    cr_assert_eq(sscanf(p, "input transitions %zu -> %zu, inputs %zu -> %zu",
                        before, after, in_before, in_after),
                 4, "%s", out);
}

/* The text of the expectation shrink says still fails ("FAIL  TEXT: "),
 * into buf. */
static void
failing_text(const char *s, char *buf, size_t cap)
{
    const char *p = strstr(s, "FAIL  ");
    cr_assert_not_null(p, "%s", s);
    p += 6;
    const char *colon = strstr(p, ": ");
    cr_assert_not_null(colon, "%s", s);
    snprintf(buf, cap, "%.*s", (int)(colon - p), p);
}

static char *
read_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(shrink, fails_yaml_keeps_its_failure_with_ten_times_fewer_inputs)
{
    record_failing("f.db", PURR_SCENES_DIR "/fails.yaml");
    /* The expectation the original run failed. */
    cr_assert_eq(purr("replay -q f.db"), 1, "%s%s", out, err);
    char want[256];
    failing_text(out, want, sizeof want);

    cr_assert_eq(purr("shrink f.db"), 0, "%s%s", out, err);
    char got[256];
    failing_text(out, got, sizeof got);
    cr_assert_str_eq(got, want);
    size_t before, after, in_before, in_after;
    counts(&before, &after, &in_before, &in_after);
    /* Every battery sample of the 12 h run is an input transition. */
    cr_assert_geq(before, 700, "%s", out);
    cr_assert_geq(before, 10 * after, "%s", out);
    cr_assert_gt(after, 0, "the failure needs a low battery: %s", out);
    cr_assert(strstr(out, "recording: f.shrunk.db\n"), "%s", out);
    /* Progress on stderr: a line per phase. */
    cr_assert(strstr(err, "shrink: transitions removed"), "%s", err);

    /* The smaller recording replays identically, with --check, and the
     * replay fails the same expectation. */
    cr_assert_eq(purr("replay --check f.shrunk.db"), 1, "%s%s", out, err);
    cr_assert(strncmp(out, "f.shrunk.db: identical (", 24) == 0, "%s", out);
    failing_text(out, got, sizeof got);
    cr_assert_str_eq(got, want);
    char feed[64];
    snprintf(feed, sizeof feed, "%zu inputs fed)", after);
    cr_assert(strstr(out, feed), "%s", out);
}

Test(shrink, the_scene_fragment_reproduces_the_failure_exactly)
{
    record_failing("f.db", PURR_SCENES_DIR "/fails.yaml");
    cr_assert_eq(purr("shrink f.db -o small.db --scene-out frag.yaml"), 0,
                 "%s%s", out, err);
    char want[256];
    failing_text(out, want, sizeof want);
    /* The duration the shrunk run has, as shrink said it. */
    const char *arrow = strstr(out, ", duration ");
    cr_assert_not_null(arrow, "%s", out);
    arrow = strstr(arrow, "-> ");
    cr_assert_not_null(arrow, "%s", out);
    char duration[32];
    cr_assert_eq(sscanf(arrow, "-> %31s", duration), 1, "%s", out);
    /* The fragment shrink printed is the file's. */
    static char printed[sizeof out];
    snprintf(printed, sizeof printed, "%s", out);
    const char *frag = read_file("frag.yaml");
    cr_assert(strstr(printed, frag), "printed:\n%s\nfile:\n%s", printed,
              frag);
    cr_assert(strstr(frag, "model: timeline"), "%s", frag);
    cr_assert_null(strstr(frag, "model: battery"), "%s", frag);

    /* Without the recording or the original sensor models, the same
     * expectation fails, and the run lasts exactly the shrunk duration. */
    cr_assert_eq(purr("run -q frag.yaml"), 1, "%s%s", out, err);
    char got[256];
    failing_text(out, got, sizeof got);
    cr_assert_str_eq(got, want);
    char virt[64];
    snprintf(virt, sizeof virt, ", %s virtual in ", duration);
    cr_assert(strstr(out, virt), "want %s in %s", virt, out);
}

Test(shrink, whole_inputs_that_do_not_matter_go_first)
{
    record_failing("n.db", PURR_TEST_SCENES_DIR "/shrink_noisy.yaml");
    cr_assert_eq(purr("shrink n.db --scene-out n.yaml"), 0, "%s%s", out,
                 err);
    size_t before, after, in_before, in_after;
    counts(&before, &after, &in_before, &in_after);
    cr_assert_eq(in_before, 3, "%s", out);
    cr_assert_eq(in_after, 1, "%s", out);
    cr_assert_geq(before, 10 * after, "%s", out);
    cr_assert(strstr(out, "  battery = "), "%s", out);
    cr_assert_null(strstr(out, "  light = "), "%s", out);
    /* The inputs that were dropped are still in the fragment (the
     * behaviours may look them up), without points. */
    const char *frag = read_file("n.yaml");
    cr_assert(strstr(frag, "name: \"light\""), "%s", frag);
    cr_assert(strstr(frag, "points: []"), "%s", frag);
    char want[256];
    failing_text(out, want, sizeof want);
    cr_assert_eq(purr("run -q n.yaml"), 1, "%s%s", out, err);
    char got[256];
    failing_text(out, got, sizeof got);
    cr_assert_str_eq(got, want);
}

Test(shrink, the_same_recording_shrinks_the_same_way)
{
    record_failing("n.db", PURR_TEST_SCENES_DIR "/shrink_noisy.yaml");
    cr_assert_eq(purr("shrink -q n.db -o a.db --scene-out a.yaml"), 0,
                 "%s%s", out, err);
    static char first[65536];
    snprintf(first, sizeof first, "%s", read_file("a.yaml"));
    cr_assert_eq(purr("shrink -q n.db -o b.db --scene-out b.yaml"), 0,
                 "%s%s", out, err);
    cr_assert_str_eq(read_file("b.yaml"), first);
    /* The two recordings hold the same transitions. */
    cr_assert_eq(purr("diff a.db b.db"), 0, "%s%s", out, err);
}

Test(shrink, outputs_are_never_clobbered)
{
    record_failing("f.db", PURR_SCENES_DIR "/fails.yaml");
    cr_assert_eq(purr("shrink -q f.db"), 0, "%s%s", out, err);
    struct stat st0, st1;
    char path[512];
    snprintf(path, sizeof path, "%s/f.shrunk.db", dir);
    cr_assert_eq(stat(path, &st0), 0);
    cr_assert_eq(purr("shrink -q f.db"), 2, "%s%s", out, err);
    cr_assert(strstr(err, "f.shrunk.db: already exists; give --force"),
              "%s", err);
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);
    cr_assert_str_eq(out, "");
    cr_assert_eq(stat(path, &st1), 0);
    cr_assert_eq(st0.st_ino, st1.st_ino);
    /* Nor the scene fragment's file, nor the recording read. */
    cr_assert_eq(purr("shrink -q f.db -o g.db --scene-out f.shrunk.db"), 2,
                 "%s%s", out, err);
    cr_assert_eq(purr("shrink -q f.db -o f.db --force"), 2, "%s%s", out,
                 err);
    cr_assert_eq(purr("shrink -q f.db --force"), 0, "%s%s", out, err);
}

Test(shrink, a_recording_that_fails_nothing_has_nothing_to_shrink)
{
    cr_assert_eq(purr("run -q --record p.db " PURR_SCENES_DIR "/pet.yaml"),
                 0, "%s%s", out, err);
    cr_assert_eq(purr("shrink p.db"), 1, "%s%s", out, err);
    cr_assert(strstr(err, "p.db: fed its recorded inputs, the scene fails no "
                          "expectation: nothing to shrink"),
              "%s", err);
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/p.shrunk.db", dir);
    cr_assert_neq(access(path, F_OK), 0, "nothing written");
}

Test(shrink, bad_input_and_usage_are_one_line)
{
    record_failing("f.db", PURR_SCENES_DIR "/fails.yaml");
    char path[512];
    snprintf(path, sizeof path, "%s/notes.db", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("time,value,datum\n", f);
    fclose(f);
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"shrink notes.db", "notes.db"},
        {"shrink missing.db", "missing.db"},
        {"shrink", "no recording given"},
        {"shrink f.db f.db", "one recording at a time"},
        {"shrink f.db --expect 0", "--expect expects"},
        {"shrink f.db --expect 9", "--expect 9: the scene has 3"},
        {"shrink f.db --max-replays x", "--max-replays expects"},
        {"shrink f.db --frobnicate", "unknown option"},
        {"shrink f.db -o ''", "an empty argument"},
        {"shrink f.db -o .", "is a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(purr("%s -q", cases[i].args), 2, "%s: %s%s",
                     cases[i].args, out, err);
        cr_assert_eq(purr_count_lines(err), 1, "%s: %s", cases[i].args,
                     err);
        cr_assert(strncmp(err, "purr: ", 6) == 0, "%s", err);
        cr_assert(strstr(err, cases[i].says), "%s: %s", cases[i].args, err);
    }
    /* --expect names an expectation that does not fail. */
    cr_assert_eq(purr("shrink -q f.db --expect 1"), 1, "%s%s", out, err);
    cr_assert(strstr(err, "does not fail expectation 1"), "%s", err);
}

Test(shrink, max_replays_bounds_the_work)
{
    record_failing("f.db", PURR_SCENES_DIR "/fails.yaml");
    cr_assert_eq(purr("shrink -q f.db --max-replays 5"), 0, "%s%s", out,
                 err);
    cr_assert(strstr(out, " 5 replays in "), "%s", out);
    cr_assert(strstr(out, "stopped at --max-replays"), "%s", out);
    /* What it found by then still fails. */
    char want[256];
    failing_text(out, want, sizeof want);
    cr_assert_eq(purr("replay --check f.shrunk.db"), 1, "%s%s", out, err);
    char got[256];
    failing_text(out, got, sizeof got);
    cr_assert_str_eq(got, want);
}
