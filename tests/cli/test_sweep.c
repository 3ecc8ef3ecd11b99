/* test_sweep.c - `purr sweep`: a sweep finds the shipped race
 * (scenes/courier.yaml), its printed command and kept recording reproduce
 * it; shards cover a range exactly once; --shard auto reads each engine's
 * variables; --merge reports missing and repeated seeds; crashing and
 * hanging behaviours fail their seeds while the sweep completes. */
#include "purr_cmd.h"
#include "sweep_int.h"

#include <purr/recorder.h>

#include <criterion/criterion.h>

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];
static char out[1 << 16], err[1 << 14];

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-test-sweep", NULL);
}

static void
teardown(void)
{
    purr_cmd_dir_remove(dir);
}

static int
sweep(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sweep %s", args);
    return purr_cmd_in(dir, cmd, out, sizeof out, err, sizeof err);
}

/* Runs a shell command in dir; returns its exit status (128+N: signal N
 * in the child, as the shell reports it). */
static int
sh(const char *fmt, const char *a, const char *b)
{
    char cmd[4096], inner[3000];
    snprintf(inner, sizeof inner, fmt, a, b);
    snprintf(cmd, sizeof cmd, "cd %s && (%s) >.sh.out 2>&1", dir, inner);
    int st = system(cmd);
    cr_assert(WIFEXITED(st));
    if (WEXITSTATUS(st)) {
        snprintf(cmd, sizeof cmd, "cat %s/.sh.out >&2", dir);
        (void)!system(cmd);
    }
    return WEXITSTATUS(st);
}

TestSuite(sweep, .init = setup, .fini = teardown);

Test(sweep, finds_the_race_and_reproduces_it)
{
    /* FIFO schedule: the watchdog always runs first, so no seed fails. */
    cr_assert_eq(sweep(PURR_SCENES_DIR "/courier.yaml --seeds 1..100 -q"), 0,
                 "%s%s", out, err);
    cr_assert(strstr(out, "100 runs, 0 failed"), "%s", out);
    /* Shuffled: some seeds (not most) fail, all of one cause. */
    cr_assert_eq(sweep(PURR_SCENES_DIR "/courier.yaml --seeds 1..300 "
                                       "--shuffle --jobs 2 -q --keep-failures "
                                       "kept --junit out.xml"),
                 1, "%s%s", out, err);
    cr_assert(strstr(out, "1 distinct failure, "), "%s", out);
    unsigned nfail = 0;
    const char *p = strstr(out, "300 runs, ");
    cr_assert(p && sscanf(p, "300 runs, %u failed", &nfail) == 1, "%s", out);
    cr_assert(nfail > 0 && nfail < 100, "%u failing seeds", nfail);
    /* The smallest seed's command, from the table, run with --record. */
    const char *r = strstr(out, "reproduce: ");
    cr_assert(r);
    r += strlen("reproduce: ");
    char command[1024];
    size_t n = strcspn(r, "\n");
    cr_assert(n < sizeof command);
    memcpy(command, r, n);
    command[n] = '\0';
    cr_assert(strstr(command, "--shuffle-seed"), "%s", command);
    uint64_t seed = 0;
    const char *s = strstr(out, "smallest: seed ");
    cr_assert(s && sscanf(s, "smallest: seed %" SCNu64, &seed) == 1);
    cr_assert_eq(sh("%s --record again.db -q | grep -q 'FAIL  never'", command,
                    NULL),
                 0, "the printed command does not reproduce: %s", command);
    /* The kept recording is the one that command makes, transition for
     * transition (purr diff: bit for bit; the files' bytes may differ
     * only in where the recorder's wall-time batches fell, recorder.c),
     * and replays with the same failure. */
    char kept[128];
    snprintf(kept, sizeof kept, "kept/courier-seed-%" PRIu64 ".db", seed);
    cr_assert_eq(sh("'" PURR_BIN "' diff again.db %s", kept, NULL), 0);
    /* Replay re-checks the expectations: identical transitions, the same
     * expectation failing again, so exit 1. */
    cr_assert_eq(sh("'%s' replay --check %s | grep -q 'FAIL  never'",
                    PURR_BIN, kept),
                 0, "the kept recording does not replay the failure");
    cr_assert_eq(sh("'%s' replay --check %s -q >/dev/null; test $? -eq 1",
                    PURR_BIN, kept),
                 0, "replaying a failing seed must exit 1");
    cr_assert_eq(sh("test $(ls kept | wc -l) -eq %s", "$(grep -c '\"fail\"' "
                                                      "out.jsonl)",
                    NULL),
                 0, "one recording per failing seed, no more");
    cr_assert_eq(sh("grep -c '<failure' out.xml | grep -qx %s", "$(grep -c "
                                                                "'\"fail\"' "
                                                                "out.jsonl)",
                    NULL),
                 0);
}

/* The recording's metadata value for key ("" when absent). */
static void
meta_of(const char *file, const char *key, char *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    purr_recording *rec;
    purr_diag d = {0};
    cr_assert_eq(purr_recording_open(path, &rec, &d), 0, "%s", d.message);
    const char *v = purr_recording_meta(rec, key);
    snprintf(buf, cap, "%s", v ? v : "");
    purr_recording_close(rec);
}

Test(sweep, faults_scale_reaches_every_seed_and_the_command)
{
    /* No random dropout, no race: every seed passes. */
    cr_assert_eq(sweep(PURR_SCENES_DIR "/courier.yaml --seeds 1..60 "
                                       "--shuffle --faults-scale 0 -q"),
                 0, "%s%s", out, err);
    /* Four times the dropouts: more seeds fail than at 1 (5 of 1..60). */
    cr_assert_eq(sweep(PURR_SCENES_DIR "/courier.yaml --seeds 1..60 "
                                       "--shuffle --faults-scale 4 -q "
                                       "--keep-failures kept"),
                 1, "%s%s", out, err);
    unsigned nfail = 0;
    const char *p = strstr(out, "60 runs, ");
    cr_assert(p && sscanf(p, "60 runs, %u failed", &nfail) == 1, "%s", out);
    cr_assert_gt(nfail, 5, "%s", out);
    const char *r = strstr(out, "reproduce: ");
    cr_assert(r);
    char command[1024];
    size_t n = strcspn(r + 11, "\n");
    memcpy(command, r + 11, n);
    command[n] = '\0';
    cr_assert(strstr(command, " --faults-scale 4"), "%s", command);
    cr_assert_eq(sh("%s --record again.db -q | grep -q 'FAIL  never'", command,
                    NULL),
                 0, "%s", command);
    char scale[32];
    meta_of("again.db", "faults_scale", scale, sizeof scale);
    cr_assert_str_eq(scale, "4");
    uint64_t seed = 0;
    const char *s = strstr(out, "smallest: seed ");
    cr_assert(s && sscanf(s, "smallest: seed %" SCNu64, &seed) == 1);
    char kept[128];
    snprintf(kept, sizeof kept, "kept/courier-seed-%" PRIu64 ".db", seed);
    cr_assert_eq(sh("'" PURR_BIN "' diff again.db %s", kept, NULL), 0, "%s",
                 kept);
    /* --faults-scale 1 is the plain run, bit for bit: no metadata. */
    cr_assert_eq(sh("'%s' run %s --seed 3 -q --record one.db --faults-scale 1 "
                    ">/dev/null && '" PURR_BIN "' run " PURR_SCENES_DIR
                    "/courier.yaml --seed 3 -q --record plain.db >/dev/null && "
                    "'" PURR_BIN "' diff one.db plain.db",
                    PURR_BIN, PURR_SCENES_DIR "/courier.yaml"),
                 0);
    meta_of("one.db", "faults_scale", scale, sizeof scale);
    cr_assert_str_eq(scale, "");
}

Test(sweep, shards_cover_the_range_once)
{
    static const uint64_t ranges[][2] = {{1, 1}, {1, 10}, {0, 299},
                                         {17, 1016}, {5, 11}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        uint64_t a = ranges[r][0], b = ranges[r][1];
        for (unsigned n = 1; n <= 9; n++) {
            uint64_t next = a; /* slices are contiguous, in order */
            for (unsigned k = 1; k <= n; k++) {
                uint64_t lo, hi;
                if (!purr__shard_slice(a, b, k, n, &lo, &hi)) {
                    cr_assert(n > b - a + 1, "empty slice %u/%u", k, n);
                    continue;
                }
                cr_assert_eq(lo, next, "%u/%u of %" PRIu64 "..%" PRIu64, k,
                             n, a, b);
                cr_assert(hi >= lo && hi <= b);
                next = hi + 1;
            }
            cr_assert_eq(next, b + 1, "N=%u misses the end", n);
        }
    }
    unsigned k, n;
    cr_assert(purr__shard_parse("3/4", &k, &n) && k == 3 && n == 4);
    cr_assert(!purr__shard_parse("0/4", &k, &n));
    cr_assert(!purr__shard_parse("5/4", &k, &n));
    cr_assert(!purr__shard_parse("1/", &k, &n));
    cr_assert(!purr__shard_parse("-1/4", &k, &n));
}

static void
clear_engines(void)
{
    static const char *const vars[] = {
        "JOB_COMPLETION_INDEX", "PURR_SHARD_COUNT", "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP", "CI_NODE_INDEX", "CI_NODE_TOTAL"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

Test(sweep, shard_auto_reads_each_engine)
{
    unsigned k = 0, n = 0;
    char msg[256];
    clear_engines();
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    cr_assert(strstr(msg, "no shard index"), "%s", msg);
    /* Kubernetes: 0-based index, count from the manifest. */
    setenv("JOB_COMPLETION_INDEX", "0", 1);
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    setenv("PURR_SHARD_COUNT", "4", 1);
    cr_assert_eq(purr__shard_auto(&k, &n, msg, sizeof msg), 0, "%s", msg);
    cr_assert(k == 1 && n == 4);
    setenv("JOB_COMPLETION_INDEX", "4", 1);
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    clear_engines();
    /* Slurm: the ID counts from SLURM_ARRAY_TASK_MIN. */
    setenv("SLURM_ARRAY_TASK_ID", "1", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    cr_assert_eq(purr__shard_auto(&k, &n, msg, sizeof msg), 0, "%s", msg);
    cr_assert(k == 1 && n == 3, "%u/%u", k, n);
    setenv("SLURM_ARRAY_TASK_MIN", "0", 1);
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    cr_assert_eq(purr__shard_auto(&k, &n, msg, sizeof msg), 0, "%s", msg);
    cr_assert(k == 3 && n == 3, "%u/%u", k, n);
    setenv("SLURM_ARRAY_TASK_STEP", "2", 1);
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    clear_engines();
    /* GitLab parallel (or a GitHub matrix setting them): 1-based. */
    setenv("CI_NODE_INDEX", "2", 1);
    setenv("CI_NODE_TOTAL", "5", 1);
    cr_assert_eq(purr__shard_auto(&k, &n, msg, sizeof msg), 0, "%s", msg);
    cr_assert(k == 2 && n == 5, "%u/%u", k, n);
    setenv("CI_NODE_INDEX", "0", 1);
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    setenv("CI_NODE_INDEX", "x", 1);
    cr_assert_lt(purr__shard_auto(&k, &n, msg, sizeof msg), 0);
    clear_engines();
}

Test(sweep, merge_reports_missing_and_repeated_seeds)
{
    const char *scene = PURR_SCENES_DIR "/pet.yaml";
    char args[512];
    cr_assert_eq(sh("mkdir -p all part dup%s", "", NULL), 0);
    for (int k = 1; k <= 3; k++) {
        snprintf(args, sizeof args,
                 "%s --seeds 1..30 --shard %d/3 -q --jobs 2 --results "
                 "all/s%d.jsonl",
                 scene, k, k);
        cr_assert_eq(sweep(args), 0, "%s%s", out, err);
    }
    cr_assert_eq(sweep("--merge all --junit merged.xml"), 0, "%s%s", out,
                 err);
    cr_assert(strstr(out, "30 runs, 0 failed"), "%s", out);
    cr_assert(strstr(out, "(3 shards)"), "%s", out);
    /* Shard 2 never reported. */
    cr_assert_eq(sh("cp all/s1.jsonl all/s3.jsonl part/%s", "", NULL), 0);
    cr_assert_eq(sweep("--merge part"), 2, "%s%s", out, err);
    cr_assert(strstr(err, "no results of shard 2/3 (seeds 11..20)"), "%s",
              err);
    cr_assert(strstr(err, "10 seeds missing (never run): 11..20"), "%s", err);
    /* Shard 1 twice. */
    cr_assert_eq(sh("cp all/*.jsonl dup/ && cp all/s1.jsonl dup/again.jsonl%s",
                    "", NULL),
                 0);
    cr_assert_eq(sweep("--merge dup"), 2, "%s%s", out, err);
    cr_assert(strstr(err, "10 seeds run more than once: 1..10"), "%s", err);
    /* Another sweep's file. */
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml --seeds 1..30 --shard 1/2 "
                                       "-q --results other.jsonl"),
                 0);
    cr_assert_eq(sweep("--merge all other.jsonl"), 2);
    cr_assert(strstr(err, "another sweep"), "%s", err);
}

Test(sweep, crashes_and_hangs_fail_their_seeds)
{
    /* ASan would turn the SIGSEGV into an exit: let it be a signal. */
    setenv("ASAN_OPTIONS", "handle_segv=0:handle_abort=0", 1);
    static const char *const modes[] = {"segv", "abort", "hang"};
    static const char *const says[] = {"crashed (SIGSEGV)",
                                       "crashed (SIGABRT)", "timed out"};
    /* The oracle: which seeds go bad, from purr run of each seed alone in
     * segv mode (dying, or passing). The dice, hence the seeds, are the
     * same in every mode: the mode only says what a bad seed does. */
    bool bad[11] = {false};
    int nbad = 0;
    for (int m = 0; m < 3; m++) {
        char scene[512];
        snprintf(scene, sizeof scene,
                 "printf 'name: bad\\nseed: 1\\nduration: 2s\\nload: [%s]\\n"
                 "sensors:\\n  - {name: dice, type: double, model: "
                 "random_walk, start: 0, step: 1, min: -100, max: 100, "
                 "period: 100ms}\\nbehaviours:\\n  - {name: sweep-bad, "
                 "params: {mode: %s, above: 2}}\\n' > bad.yaml",
                 SWEEP_BAD, modes[m]);
        cr_assert_eq(sh("%s%s", scene, ""), 0);
        if (m == 0)
            for (int seed = 1; seed <= 10; seed++) {
                char num[16];
                snprintf(num, sizeof num, "%d", seed);
                int st = sh("'" PURR_BIN "' run bad.yaml -q --seed %s", num,
                            NULL);
                cr_assert(st == 0 || st == 128 + SIGSEGV, "seed %d: %d",
                          seed, st);
                bad[seed] = st != 0;
                nbad += bad[seed];
            }
        cr_assert(nbad > 0 && nbad < 10, "%d bad seeds of 10", nbad);
        cr_assert_eq(sweep("bad.yaml --seeds 1..10 --jobs 2 --timeout 1s "
                           "-q --results bad.jsonl --force"),
                     1, "%s%s", out, err);
        cr_assert(strstr(out, "10 runs, "), "%s", out);
        cr_assert(strstr(out, says[m]), "%s", out);
        /* The sweep says the same, seed by seed, and went on after each. */
        for (int seed = 1; seed <= 10; seed++) {
            char args[128];
            snprintf(args, sizeof args, "\"seed\":%d,\"outcome\":\"%s\"", seed,
                     !bad[seed] ? "pass" : m == 2 ? "timeout" : "crash");
            cr_assert_eq(sh("grep -q '%s' bad.jsonl", args, NULL), 0,
                         "seed %d: %s", seed, args);
        }
    }
    unsetenv("ASAN_OPTIONS");
}

Test(sweep, bad_usage)
{
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml"), 2);
    cr_assert(strstr(err, "--seeds A..B is required"), "%s", err);
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml --seeds 5..1"), 2);
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml --seeds 1..3 --shard 4/3"),
                 2);
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml --seeds 1..2 --shard 1/3"),
                 2);
    cr_assert(strstr(err, "has no seeds"), "%s", err);
    cr_assert_eq(sweep(PURR_SCENES_DIR "/pet.yaml --seeds 1..3 --faults-scale "
                                       "-1"),
                 2);
    cr_assert_eq(sweep("nosuch.yaml --seeds 1..3"), 2);
    cr_assert(strstr(err, "nosuch.yaml"), "%s", err);
    cr_assert_eq(sweep("--merge nosuchdir"), 2);
}
