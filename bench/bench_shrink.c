/* bench_shrink.c - the shrinking benchmark: `purr shrink` on failing
 * recordings, made first with `purr run --record` (purr_main).
 *
 * Figures, for the test example (tests/cli/scenes/shrink_noisy.yaml: a
 * battery bug among two noisy sensors, 6 h): shrink_replays (candidate
 * runs the search needed), shrink_wall (wall seconds of the search),
 * shrink_inputs_before and shrink_inputs_after (input transitions); and
 * the same for the shipped example scenes/fails.yaml, prefixed
 * shrink_fails_. The search is deterministic, so its replay counts are
 * the same on every machine; only the wall time varies.
 */
#include <purr/cli.h>

#include "cli_int.h"
#include "examples.h"

#include "bench_util.h"

#include <inttypes.h>

/* Records scene into dir/name.db (its expectation fails), shrinks it, and
 * prints the figures under prefix. Returns 0 or 1. */
static int
bench_one(const char *dir, const char *name, const char *scene,
          const char *prefix)
{
    char rec[512], small[512], fig[128];
    snprintf(rec, sizeof rec, "%s/%s.db", dir, name);
    snprintf(small, sizeof small, "%s/%s.shrunk.db", dir, name);
    char a0[] = "purr", a1[] = "run", a2[] = "-q", a3[] = "--record";
    char a5[512];
    snprintf(a5, sizeof a5, "%s", scene);
    char *run[] = {a0, a1, a2, a3, rec, a5, NULL};
    if (purr_main(6, run) != 1) {
        fprintf(stderr, "bench_shrink: %s did not fail\n", scene);
        return 1;
    }
    purr__shrink_result res = {0};
    purr__shrink_options o = {.quiet = true, .result = &res};
    if (purr__cli_shrink(rec, small, &o) != 0) {
        fprintf(stderr, "bench_shrink: shrinking %s failed\n", rec);
        return 1;
    }
    snprintf(fig, sizeof fig, "%sreplays", prefix);
    bench_report(fig, (double)res.replays, "count");
    printf("bench: %swall %.6f s\n", prefix, res.wall_s);
    snprintf(fig, sizeof fig, "%sinputs_before", prefix);
    bench_report(fig, (double)res.before, "count");
    snprintf(fig, sizeof fig, "%sinputs_after", prefix);
    bench_report(fig, (double)res.after, "count");
    return 0;
}

int
main(void)
{
    if (purr_examples_register() < 0)
        return 1;
    char dir[] = "/tmp/purr-bench-shrink-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_shrink: mkdtemp");
        return 1;
    }
    int rc = bench_one(dir, "noisy", PURR_BENCH_NOISY_SCENE, "shrink_");
    if (rc == 0)
        rc = bench_one(dir, "fails", PURR_BENCH_FAILS_SCENE, "shrink_fails_");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
