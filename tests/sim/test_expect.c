/* test_expect.c - expectations: always, never, eventually and count,
 * passing and failing, with the exact virtual times of their reports. */
#include "sim_test.h"

/* Loads text, runs it, and returns the sim (freed by the caller) with the
 * scene in *scene. */
static purr_sim *
run_scene(const char *text, purr_scene **scene)
{
    purr_diag d = {0};
    int rc = sim_test_load(text, scene, &d);
    cr_assert_eq(rc, 0, "%s:%ld:%ld: %s", d.file, d.line, d.column,
                 d.message);
    purr_sim *sim = purr_sim_new(*scene, NULL);
    purr_assert_ok(purr_sim_run(sim, &d));
    return sim;
}

/* A timeline x: 0 until 10s, 5 at 10s, 1 at 20s, 7 at 30s; a bool b that is
 * true from 15s to 25s. */
#define WORLD                                                                  \
    "name: w\n"                                                                \
    "duration: 1min\n"                                                         \
    "sensors:\n"                                                               \
    "  - {name: x, type: int, model: timeline,\n"                              \
    "     points: [[10s, 5], [20s, 1], [30s, 7]]}\n"                           \
    "  - {name: b, type: bool, model: timeline,\n"                             \
    "     points: [[15s, true], [25s, false]]}\n"                              \
    "expect:\n"

Test(expect, always_and_never_pass_and_fail)
{
    purr_scene *sc;
    purr_sim *sim = run_scene(WORLD "  - always: \"x >= 0\"\n"
                                    "  - always: \"x != 1\"\n"
                                    "  - never: {all: [b, \"x > 3\"]}\n"
                                    "  - never: {any: [\"x == 9\", {not: "
                                    "{value: x, op: '<', than: 8}}]}\n",
                              &sc);
    cr_assert_eq(purr_sim_expect_count(sim), 4);
    cr_assert_eq(purr_sim_expect_failures(sim), 2);
    const purr_expect_result *r = purr_sim_expect_result(sim, 0);
    cr_assert(!r->failed);
    cr_assert_str_eq(r->text, "always: x >= 0");
    r = purr_sim_expect_result(sim, 1);
    cr_assert(r->failed);
    cr_assert_eq(r->at_ns, 20 * PURR_S);
    cr_assert_str_eq(r->detail, "false at 00:00:20.000 (x = 1)");
    r = purr_sim_expect_result(sim, 2);
    cr_assert(r->failed);
    cr_assert_eq(r->at_ns, 15 * PURR_S); /* b true while x = 5 */
    cr_assert_str_eq(r->text, "never: b and x > 3");
    cr_assert_str_eq(r->detail,
                     "true at 00:00:15.000 (b = true, x = 5)");
    r = purr_sim_expect_result(sim, 3);
    cr_assert(!r->failed, "%s", r->detail);
    cr_assert_str_eq(r->text, "never: x == 9 or not x < 8");
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(expect, eventually_names_the_window)
{
    purr_scene *sc;
    purr_sim *sim =
        run_scene(WORLD
                  /* b rises at 15s; x < 3 at 20s: in time */
                  "  - eventually: {after: b, then: \"x < 3\", within: 5s}\n"
                  /* b rises at 15s; x > 6 only at 30s: too late */
                  "  - eventually: {after: b, then: \"x > 6\", within: 10s}\n"
                  /* no after: from the start; x > 0 at 10s */
                  "  - eventually: {then: \"x > 0\", within: 10s}\n"
                  "  - eventually: {then: \"x > 0\", within: 9999ms}\n"
                  /* opens at 25s (b falls), never closes before the end */
                  "  - eventually: {after: \"not b\", then: \"x == 42\"}\n",
                  &sc);
    const purr_expect_result *r = purr_sim_expect_result(sim, 0);
    cr_assert(!r->failed, "%s", r->detail);
    cr_assert_str_eq(r->detail, "1 windows, each closed in time");
    r = purr_sim_expect_result(sim, 1);
    cr_assert(r->failed);
    cr_assert_eq(r->window_ns, 15 * PURR_S);
    cr_assert_eq(r->at_ns, 25 * PURR_S);
    cr_assert_str_eq(r->text, "eventually: x > 6 within 10s after b");
    cr_assert_str_eq(r->detail,
                     "the window opened at 00:00:15.000; 'x > 6' was still "
                     "false at 00:00:25.000 (x = 1, b = false)");
    cr_assert(!purr_sim_expect_result(sim, 2)->failed);
    r = purr_sim_expect_result(sim, 3);
    cr_assert(r->failed);
    cr_assert_eq(r->window_ns, 0);
    cr_assert_eq(r->at_ns, 9999 * PURR_MS);
    /* "not b" is true at the start: the window opens at 0 and stays open
     * (no deadline): it has not failed. */
    r = purr_sim_expect_result(sim, 4);
    cr_assert(!r->failed);
    cr_assert_str_eq(r->detail, "1 windows; the last, opened at "
                                "00:00:00.000, was still open at the end");
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(expect, eventually_fails_at_the_end_of_the_run)
{
    purr_scene *sc;
    purr_sim *sim = run_scene(
        WORLD "  - eventually: {after: \"x == 7\", then: \"x == 8\", within: "
              "30s}\n"
              "  - eventually: {after: \"x == 7\", then: \"x == 8\", within: "
              "31s}\n",
        &sc);
    /* x == 7 from 30s; the run ends at 60s: a 30s window expires at 60s,
     * within the run; a 31s one would expire after it. */
    const purr_expect_result *r = purr_sim_expect_result(sim, 0);
    cr_assert(r->failed);
    cr_assert_eq(r->at_ns, 60 * PURR_S);
    cr_assert(!purr_sim_expect_result(sim, 1)->failed);
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(expect, count_bounds)
{
    purr_scene *sc;
    purr_sim *sim =
        run_scene(WORLD "  - count: {value: x, transitions: {min: 3}}\n"
                        "  - count: {value: x, transitions: {min: 4}}\n"
                        "  - count: {value: x, transitions: {max: 1}}\n"
                        "  - count: {value: b, transitions: {min: 2, max: 2}}\n",
                  &sc);
    cr_assert(!purr_sim_expect_result(sim, 0)->failed);
    const purr_expect_result *r = purr_sim_expect_result(sim, 1);
    cr_assert(r->failed);
    cr_assert_eq(r->count, 3);
    cr_assert_eq(r->at_ns, 60 * PURR_S);
    cr_assert_str_eq(r->detail,
                     "3 transitions by the end, expected at least 4");
    r = purr_sim_expect_result(sim, 2);
    cr_assert(r->failed);
    cr_assert_eq(r->at_ns, 20 * PURR_S); /* the second transition */
    cr_assert_str_eq(r->text, "count: transitions of x in [0, 1]");
    cr_assert(!purr_sim_expect_result(sim, 3)->failed);
    purr_sim_free(sim);
    purr_scene_free(sc);
}

/* Two sets in one instant: a glitch between them is not seen, because
 * predicates are evaluated at the end of each instant. */
Test(expect, instants_settle_before_evaluation)
{
    purr_scene *sc;
    purr_sim *sim = run_scene("name: w\nduration: 1min\n"
                              "sensors:\n"
                              "  - {name: x, type: int, model: timeline,\n"
                              "     points: [[10s, 5], [10s, 0]]}\n"
                              "expect:\n"
                              "  - never: \"x == 5\"\n"
                              "  - count: {value: x, transitions: {min: 2}}\n",
                              &sc);
    cr_assert_eq(purr_sim_expect_failures(sim), 0);
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(expect, report_lines)
{
    purr_scene *sc;
    purr_sim *sim = run_scene(WORLD "  - always: \"x >= 0\"\n"
                                    "  - always: \"x != 1\"\n",
                              &sc);
    char buf[1024] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    purr_sim_report(sim, f);
    fclose(f);
    cr_assert_str_eq(buf, "PASS  always: x >= 0\n"
                          "FAIL  always: x != 1: false at 00:00:20.000 "
                          "(x = 1)\n");
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(expect_error, unknown_value_and_bad_literal)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load(WORLD "  - always: \"y > 0\"\n", &sc, &d));
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_assert_err(purr_sim_setup(sim, &d), PURR_EFORMAT);
    cr_assert_eq(d.line, 9);
    cr_assert_eq(d.column, 13);
    cr_assert_str_eq(d.message, "the expectation reads 'y', but no sensor or "
                                "behaviour creates a value of that name");
    purr_sim_free(sim);
    purr_scene_free(sc);

    purr_assert_ok(sim_test_load(
        WORLD "  - always: {value: b, op: '==', than: yes}\n", &sc, &d));
    sim = purr_sim_new(sc, NULL);
    purr_assert_err(purr_sim_setup(sim, &d), PURR_EFORMAT);
    cr_assert_eq(d.line, 9);
    cr_assert_eq(d.column, 40);
    cr_assert_str_eq(d.message, "expected true or false to compare with 'b' "
                                "(a bool), got 'yes'");
    purr_sim_free(sim);
    purr_scene_free(sc);
}
