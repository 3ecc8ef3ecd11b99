/* bench_spawn.c - cost of spawning and joining trivial tasks.
 *
 * 1,000,000 tasks that return 0 at once, spawned and joined two ways:
 * - batched: 1,000 nurseries one after another, 1,000 children each;
 * - one nursery: a single nursery whose body spawns all 1,000,000 and
 *   checkpoints after every 1,000 spawns (so at most ~1,000 are alive).
 * The figure is wall time / tasks (best of several repetitions), which
 * covers the stack taken from the pool, the task set-up, its queueing, its
 * first switch, its end and the release of its stack. Each mode runs in its
 * own process so that its peak RSS (getrusage ru_maxrss) is its own. */
#include "purr/core.h"

#include "bench_util.h"

#define TASKS 1000000L
#define BATCH 1000L
#define REPS 5

static int
trivial(void *arg)
{
    (void)arg;
    return 0;
}

static int
spawn_batch(purr_nursery *n, void *arg)
{
    (void)arg;
    for (long i = 0; i < BATCH; i++) {
        int rc = purr_spawn(n, "trivial", trivial, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int
spawn_all(purr_nursery *n, void *arg)
{
    (void)arg;
    for (long i = 0; i < TASKS; i++) {
        int rc = purr_spawn(n, "trivial", trivial, NULL);
        if (rc)
            return rc;
        if ((i + 1) % BATCH == 0 && (rc = purr_checkpoint()) != 0)
            return rc;
    }
    return 0;
}

static int
batched_main(void *arg)
{
    double *elapsed = arg;
    double t0 = bench_now_ns();
    for (long b = 0; b < TASKS / BATCH; b++) {
        int rc = purr_nursery_run(spawn_batch, NULL);
        if (rc)
            return rc;
    }
    *elapsed = bench_now_ns() - t0;
    return 0;
}

static int
one_nursery_main(void *arg)
{
    double *elapsed = arg;
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(spawn_all, NULL);
    *elapsed = bench_now_ns() - t0;
    return rc;
}

typedef struct mode {
    const char *name;    /* figure name */
    const char *what;    /* description */
    purr_task_fn main_fn;
} mode;

static void
run_mode(void *arg)
{
    const mode *m = arg;
    double ns[REPS + 1];
    for (int r = 0; r <= REPS; r++) { /* r == 0 warms the stack pool */
        purr_loop *loop = purr_loop_new(NULL);
        if (!loop) {
            fprintf(stderr, "purr_loop_new failed\n");
            exit(1);
        }
        double elapsed = 0;
        BENCH_CHECK(purr_run(loop, "bench_spawn", m->main_fn, &elapsed));
        BENCH_CHECK(purr_loop_close(loop));
        ns[r] = elapsed / (double)TASKS;
    }
    double best = bench_min(ns + 1, REPS);
    double median = bench_median(ns + 1, REPS);
    long peak = bench_peak_rss_kib();
    printf("%s: %ld tasks, best of %d = %.2f ns/task, median %.2f, "
           "first (cold) run %.2f; peak RSS %ld KiB\n",
           m->what, TASKS, REPS, best, median, ns[0], peak);
    char name[64];
    bench_report(m->name, best, "ns");
    snprintf(name, sizeof name, "%s_peak_rss", m->name);
    bench_report(name, (double)peak, "KiB");
}

int
main(void)
{
    static const mode modes[] = {
        {"spawn_join", "1000 nurseries x 1000 tasks", batched_main},
        {"spawn_join_one_nursery",
         "one nursery, checkpoint every 1000 spawns", one_nursery_main},
    };
    printf("purr %s: spawn + join of trivial tasks (default 256 KiB "
           "stacks, wall clock)\n",
           purr_version_string());
    int failed = 0;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        failed |= bench_in_child(run_mode, (void *)&modes[i]);
    return failed;
}
