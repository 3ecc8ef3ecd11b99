/* bench_timers.c - virtual-clock timer throughput.
 *
 * 10,000 tasks each sleep 1,000 pseudo-random durations (1 us .. 10 ms,
 * from a fixed-seed PRNG per task) on the virtual clock: 10M timer events,
 * each one an arm, a heap pop when time jumps to it, and a switch to the
 * woken task. The figure is events per wall-clock second, from when every
 * task has armed its first timer to the end (best of several repetitions).
 * Every wake-up folds (task, virtual time) into a checksum, which must be
 * identical across repetitions and across changes to the core: it is the
 * event order. A second figure runs 1,000 tasks (the same 10M events), to
 * show the cost of 10,000 stacks' worth of TLB misses. */
#include "purr/core.h"

#include "bench_util.h"

#include <inttypes.h>

#define EVENTS 10000000L
/* Event-order checksums, as the first core (commit 8ad4eec) gave them. */
#define EXPECTED_10000 0xa3df0fe552f16345ull
#define EXPECTED_1000 0xc0e5e82888e64392ull
#define REPS 3
#define SEED 0x9075ull

typedef struct sleeper {
    uint64_t rng;       /* splitmix64 state */
    uint64_t *checksum; /* shared order checksum */
    long index;         /* the task's number */
    long sleeps;        /* how many times it sleeps */
} sleeper;

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int
sleeper_fn(void *arg)
{
    sleeper *s = arg;
    for (long i = 0; i < s->sleeps; i++) {
        purr_time d = PURR_US + (purr_time)(splitmix64(&s->rng) %
                                            (uint64_t)(10 * PURR_MS));
        int rc = purr_sleep(d);
        if (rc)
            return rc;
        *s->checksum = (*s->checksum ^ (uint64_t)s->index) *
                           0x100000001b3ull +
                       (uint64_t)purr_now();
    }
    return 0;
}

typedef struct run {
    long ntasks;        /* sleepers */
    long sleeps;        /* sleeps each */
    sleeper *sleepers;  /* ntasks of them */
    uint64_t checksum;  /* out */
    purr_time end_ns;   /* out: virtual time at the end */
    double start_ns;    /* wall time when every sleeper had armed its first
                           timer (spawning is not what is measured) */
    double elapsed_ns;  /* out: wall time from start_ns to the end */
} run;

static int
spawn_sleepers(purr_nursery *n, void *arg)
{
    run *r = arg;
    for (long i = 0; i < r->ntasks; i++) {
        r->sleepers[i] = (sleeper){SEED ^ (uint64_t)i * 0x2545f4914f6cdd1dull,
                                   &r->checksum, i, r->sleeps};
        int rc = purr_spawn(n, "sleeper", sleeper_fn, &r->sleepers[i]);
        if (rc)
            return rc;
    }
    /* Every sleeper runs once and parks in its first sleep before the body
     * runs again (no virtual time passes while the body is runnable). */
    int rc = purr_checkpoint();
    r->start_ns = bench_now_ns();
    return rc;
}

static int
timers_main(void *arg)
{
    run *r = arg;
    int rc = purr_nursery_run(spawn_sleepers, r);
    r->elapsed_ns = bench_now_ns() - r->start_ns;
    r->end_ns = purr_now();
    return rc;
}

/* Runs the benchmark with ntasks sleepers; reports it as name. expected is
 * the checksum the event order must give (0: only check that repetitions
 * agree). Returns 0, or 1 when the order is wrong. */
static int
measure(const char *name, long ntasks, uint64_t expected)
{
    sleeper *sleepers = calloc((size_t)ntasks, sizeof *sleepers);
    double rate[REPS];
    uint64_t first_sum = 0;
    printf("%s: %ld tasks x %ld pseudo-random sleeps on the virtual clock\n",
           name, ntasks, EVENTS / ntasks);
    for (int i = 0; i < REPS; i++) {
        run r = {ntasks, EVENTS / ntasks, sleepers, 0, 0, 0, 0};
        purr_loop *loop = purr_loop_new(NULL);
        if (!loop) {
            fprintf(stderr, "purr_loop_new failed\n");
            exit(1);
        }
        BENCH_CHECK(purr_run(loop, "bench_timers", timers_main, &r));
        BENCH_CHECK(purr_loop_close(loop));
        rate[i] = (double)(r.ntasks * r.sleeps) / (r.elapsed_ns / 1e9);
        printf("  run %d: %.0f ms wall, virtual end t=%" PRId64
               " ns, checksum %016" PRIx64 ", %.2f M events/s\n",
               i, r.elapsed_ns / 1e6, r.end_ns, r.checksum, rate[i] / 1e6);
        if (i == 0)
            first_sum = r.checksum;
        if (r.checksum != first_sum ||
            (expected && r.checksum != expected)) {
            fprintf(stderr,
                    "%s: wrong event order: checksum %016" PRIx64
                    ", expected %016" PRIx64 "\n",
                    name, r.checksum, expected ? expected : first_sum);
            free(sleepers);
            return 1;
        }
    }
    double best = rate[0];
    for (int i = 1; i < REPS; i++)
        if (rate[i] > best)
            best = rate[i];
    bench_report(name, best / 1e6, "M/s");
    free(sleepers);
    return 0;
}

int
main(void)
{
    printf("purr %s: virtual-clock timers (the checksums are the event "
           "order, fixed since the first core)\n",
           purr_version_string());
    int failed = measure("timer_events", 10000, EXPECTED_10000);
    failed |= measure("timer_events_1000_tasks", 1000, EXPECTED_1000);
    return failed;
}
