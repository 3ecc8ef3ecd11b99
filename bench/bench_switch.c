/* bench_switch.c - cost of one task switch through purr_checkpoint.
 *
 * Two tasks in a nursery yield to each other with purr_checkpoint, 10M
 * yields in total: every yield queues the caller and switches directly to
 * the other task (the nursery's owner is parked, so the run queue holds
 * exactly one task). The figure is wall time / yields, best of several
 * repetitions. A second figure runs 1,000 tasks round-robin (the same 10M
 * yields) to show the cost when the working set no longer fits in L1. */
#include "purr/core.h"

#include "bench_util.h"

#define YIELDS 10000000L
#define REPS 5

typedef struct ping_cfg {
    long ntasks;       /* tasks yielding round-robin */
    long per_task;     /* checkpoints each */
    double elapsed_ns; /* out: time of the nursery */
} ping_cfg;

static int
pinger(void *arg)
{
    const ping_cfg *cfg = arg;
    for (long i = 0; i < cfg->per_task; i++) {
        int rc = purr_checkpoint();
        if (rc)
            return rc;
    }
    return 0;
}

static int
spawn_pingers(purr_nursery *n, void *arg)
{
    ping_cfg *cfg = arg;
    for (long i = 0; i < cfg->ntasks; i++) {
        int rc = purr_spawn(n, "pinger", pinger, cfg);
        if (rc)
            return rc;
    }
    return 0;
}

static int
bench_main(void *arg)
{
    ping_cfg *cfg = arg;
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(spawn_pingers, cfg);
    cfg->elapsed_ns = bench_now_ns() - t0;
    return rc;
}

/* Runs the ping-pong once; returns ns per yield. */
static double
run_once(long ntasks)
{
    ping_cfg cfg = {ntasks, YIELDS / ntasks, 0};
    purr_loop *loop = purr_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "purr_loop_new failed\n");
        exit(1);
    }
    BENCH_CHECK(purr_run(loop, "bench_switch", bench_main, &cfg));
    BENCH_CHECK(purr_loop_close(loop));
    return cfg.elapsed_ns / (double)(cfg.ntasks * cfg.per_task);
}

static void
measure(const char *name, long ntasks)
{
    double ns[REPS];
    run_once(ntasks); /* warm-up: stacks mapped, caches and predictors hot */
    for (int r = 0; r < REPS; r++)
        ns[r] = run_once(ntasks);
    double best = bench_min(ns, REPS);
    double median = bench_median(ns, REPS);
    printf("%s: %ld tasks, %ld yields, best of %d = %.2f ns, median %.2f ns\n",
           name, ntasks, YIELDS, REPS, best, median);
    bench_report(name, best, "ns");
}

int
main(void)
{
    printf("purr %s: purr_checkpoint switch cost (wall clock)\n",
           purr_version_string());
    measure("task_switch", 2);
    measure("task_switch_1000_tasks", 1000);
    return 0;
}
