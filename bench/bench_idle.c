/* bench_idle.c - memory cost of idle tasks.
 *
 * 1,000,000 tasks alive at once, each parked on one purr_event. The RSS
 * growth between before the spawns and when all of them are parked
 * (/proc/self/statm), divided by the count, is what an idle task costs; the
 * page tables (VmPTE) are reported beside it. The number of mappings
 * (/proc/self/maps lines) shows that the stack arenas do not create one
 * mapping per stack: with mprotect guards, vm.max_map_count (65530 by
 * default) would stop us near 32,000 tasks. The default 256 KiB stack runs
 * first, then smaller stacks; each configuration runs in its own process. */
#include "purr/core.h"

#include "bench_util.h"

#define TASKS 1000000L

typedef struct idle_cfg {
    const char *suffix;  /* figure name suffix ("" for the default) */
    size_t stack_size;   /* loop option; 0 = PURR_STACK_DEFAULT */
    purr_event ev;       /* every task waits on it */
    long parked;         /* tasks that reached the wait */
} idle_cfg;

static int
idler(void *arg)
{
    idle_cfg *cfg = arg;
    cfg->parked++;
    return purr_event_wait(&cfg->ev);
}

static int
spawn_idlers(purr_nursery *n, void *arg)
{
    idle_cfg *cfg = arg;
    char name[80];
    long rss0 = bench_rss_kib();
    long pte0 = bench_pte_kib();
    long vma0 = bench_vma_count();
    double t0 = bench_now_ns();
    for (long i = 0; i < TASKS; i++) {
        int rc = purr_spawn(n, "idler", idler, cfg);
        if (rc) {
            fprintf(stderr, "spawn #%ld failed: %s\n", i, purr_err_name(rc));
            return rc;
        }
    }
    int rc = purr_checkpoint(); /* every child runs once and parks */
    if (rc)
        return rc;
    double t1 = bench_now_ns();
    if (cfg->parked != TASKS) {
        fprintf(stderr, "only %ld of %ld tasks parked\n", cfg->parked, TASKS);
        return PURR_EFAILED;
    }
    long rss1 = bench_rss_kib();
    long pte1 = bench_pte_kib();
    long vma1 = bench_vma_count();
    printf("stack %zu KiB: %ld tasks parked (%zu alive) in %.0f ms; RSS %ld -> "
           "%ld KiB, page tables %ld -> %ld KiB, mappings %ld -> %ld\n",
           cfg->stack_size / 1024, TASKS,
           purr_loop_task_count(purr_loop_current()), (t1 - t0) / 1e6, rss0,
           rss1, pte0, pte1, vma0, vma1);
    snprintf(name, sizeof name, "idle_rss_per_task%s", cfg->suffix);
    bench_report(name, (double)(rss1 - rss0) / (double)TASKS, "KiB");
    snprintf(name, sizeof name, "idle_pte_per_task%s", cfg->suffix);
    bench_report(name, (double)(pte1 - pte0) / (double)TASKS, "KiB");
    snprintf(name, sizeof name, "idle_vmas%s", cfg->suffix);
    bench_report(name, (double)vma1, "mappings");
    purr_event_set(&cfg->ev);
    return 0;
}

static int
idle_main(void *arg)
{
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(spawn_idlers, arg);
    printf("  ... woken and joined; whole nursery took %.0f ms\n",
           (bench_now_ns() - t0) / 1e6);
    return rc;
}

static void
run_cfg(void *arg)
{
    idle_cfg *cfg = arg;
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.stack_size = cfg->stack_size;
    purr_loop *loop = purr_loop_new(&opts);
    if (!loop) {
        fprintf(stderr, "purr_loop_new failed\n");
        exit(1);
    }
    purr_event_init(&cfg->ev);
    BENCH_CHECK(purr_run(loop, "bench_idle", idle_main, cfg));
    BENCH_CHECK(purr_loop_close(loop));
}

int
main(void)
{
    idle_cfg cfgs[] = {
        {"", PURR_STACK_DEFAULT, {0}, 0},
        {"_64k", 64 * 1024, {0}, 0},
        {"_16k", 16 * 1024, {0}, 0},
    };
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long max_map = -1;
    if (f) {
        if (fscanf(f, "%ld", &max_map) != 1)
            max_map = -1;
        fclose(f);
    }
    printf("purr %s: %ld idle tasks parked on one event "
           "(vm.max_map_count = %ld)\n",
           purr_version_string(), TASKS, max_map);
    int failed = 0;
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
        failed |= bench_in_child(run_cfg, &cfgs[i]);
    return failed;
}
