/* test_replay_expect.c - `purr replay` checks the scene's expectations on
 * the replayed run and says them as `purr run` does: one PASS/FAIL line
 * each after the recording's summary (-q: the failures), exit status 1 on
 * a failure even when every transition matched, in shadow and in feeder
 * mode, in parallel jobs as in one process, and one JUnit testcase per
 * expectation; a replay stopped early by a divergence does not judge what
 * only the end of the run could decide. */
#include "purr_cmd.h"
#include "rec_patch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-replay-expect-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(replay_expect, .init = make_dir, .fini = remove_dir);

static char out[65536], err[8192];

/* purr(fmt, ...): `purr ARGS` in dir (purr_cmd.h). */
PURR_CMD_PRINTF_RUNNER(dir, out, err)

/* The FAIL line of fails.yaml's second expectation, as `purr run` prints
 * it for the recorded run (the reference the replays are held to). */
static char run_fail[1024];

static void
record_fails(void)
{
    cr_assert_eq(purr("run -q --record f.db " PURR_SCENES_DIR "/fails.yaml"),
                 1, "%s%s", out, err);
    const char *p = strstr(out, "FAIL  eventually: ");
    cr_assert_not_null(p, "%s", out);
    const char *nl = strchr(p, '\n');
    snprintf(run_fail, sizeof run_fail, "%.*s", (int)(nl - p + 1), p);
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

Test(replay_expect, shadow_mode_says_the_runs_failure)
{
    record_fails();
    cr_assert_eq(purr("replay f.db"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "f.db: identical (") == out, "%s", out);
    /* The replay's FAIL line is the run's, word for word. */
    cr_assert(strstr(out, run_fail), "want %s in %s", run_fail, out);
    cr_assert(strstr(out, "\nPASS  always: battery > 5\n"), "%s", out);
    cr_assert_str_eq(err, "");
}

Test(replay_expect, feeder_mode_says_it_too)
{
    record_fails();
    /* The same scene with other bytes (a comment): the recording is not a
     * run of this file, so the feeder sets the recorded inputs. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp %s/fails.yaml %s/edited.yaml && echo '# edited' >> "
             "%s/edited.yaml",
             PURR_SCENES_DIR, dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(purr("replay --check f.db --scene edited.yaml"), 1, "%s%s",
                 out, err);
    cr_assert(strstr(out, "f.db: identical (") == out, "%s", out);
    cr_assert(strstr(out, run_fail), "want %s in %s", run_fail, out);
}

Test(replay_expect, jobs_and_junit_carry_the_expectations)
{
    record_fails();
    cr_assert_eq(purr("run -q --record p.db " PURR_SCENES_DIR "/pet.yaml"), 0,
                 "%s%s", out, err);
    cr_assert_eq(purr("replay --junit one.xml p.db f.db"), 1, "%s%s", out,
                 err);
    static char one[65536];
    snprintf(one, sizeof one, "%s", out);
    cr_assert_eq(purr("replay --jobs 2 --junit two.xml p.db f.db"), 1,
                 "%s%s", out, err);
    cr_assert_str_eq(out, one);
    static char xml[65536];
    snprintf(xml, sizeof xml, "%s", read_file("one.xml"));
    cr_assert_str_eq(read_file("two.xml"), xml);
    /* Both recordings replayed identically... */
    cr_assert(strstr(xml, "<testsuite name=\"purr-replay\" tests=\"2\" "
                          "failures=\"0\" errors=\"0\""),
              "%s", xml);
    /* ...and fails.yaml's second expectation failed, in a testcase of its
     * own, with the run's words. */
    cr_assert(strstr(xml, "<testsuite name=\"purr-replay-expect\" "),
              "%s", xml);
    cr_assert(strstr(xml, " failures=\"1\" errors=\"0\" skipped=\"0\">"),
              "%s", xml);
    cr_assert(strstr(xml, "<testcase classname=\"purr.replay.expect\" "
                          "name=\"f.db: eventually: docked within 10min "
                          "after battery &lt; 20\">\n      <failure "
                          "message=\"expectation failed\">the window "
                          "opened at "),
              "%s", xml);
    cr_assert(strstr(xml, "name=\"f.db: always: battery &gt; 5\">\n    "
                          "</testcase>"),
              "%s", xml);
}

Test(replay_expect, quiet_keeps_the_failures)
{
    record_fails();
    cr_assert_eq(purr("replay -q f.db"), 1, "%s%s", out, err);
    cr_assert_eq(purr_count_lines(out), 2, "%s", out);
    cr_assert(strstr(out, run_fail), "%s", out);
    cr_assert_null(strstr(out, "PASS"), "%s", out);
}

Test(replay_expect, a_divergence_does_not_judge_what_the_end_decides)
{
    cr_assert_eq(purr("run -q --record p.db " PURR_SCENES_DIR "/pet.yaml"), 0,
                 "%s%s", out, err);
    /* The first transition of mood, tampered with: the replay diverges
     * there and stops, long before the recording's end. pet.yaml's
     * "count: transitions of sound >= 1" held in the run; by the stop
     * the replay has made no sound yet, which says nothing of the
     * recorded run. */
    char path[512];
    snprintf(path, sizeof path, "%s/p.db", dir);
    rec_flip_payload_bit(path,
                         "seq = (SELECT min(t.seq) FROM transition t JOIN "
                         "value v ON v.id = t.value_id WHERE v.name = "
                         "'mood')",
                         5, 0);
    cr_assert_eq(purr("replay p.db"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "p.db: DIVERGED at ") == out, "%s", out);
    cr_assert(strstr(out, "\n----  count: transitions of sound >= 1: not "
                          "judged: the replay ended at "),
              "%s", out);
    cr_assert_null(strstr(out, "FAIL  count"), "%s", out);
    cr_assert(strstr(out, "\n  (expectations checked up to "), "%s", out);
    /* -q: the summary alone (no failure was judged). */
    cr_assert_eq(purr("replay -q p.db --junit j.xml"), 1, "%s%s", out, err);
    cr_assert_eq(purr_count_lines(out), 1, "%s", out);
    const char *xml = read_file("j.xml");
    cr_assert(strstr(xml, "<skipped message=\"not judged\">"), "%s", xml);
    cr_assert(strstr(xml, " failures=\"0\" errors=\"0\" skipped=\"1\">"),
              "%s", xml);
}
