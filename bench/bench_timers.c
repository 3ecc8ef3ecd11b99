/* bench_timers.c - virtual-clock timer throughput.
 *
 * 10,000 tasks each sleep 1,000 pseudo-random durations (1 us .. 10 ms,
 * from a fixed-seed PRNG per task) on the virtual clock: 10M timer events,
 * each one an arm, a heap pop when time jumps to it, and a switch to the
 * woken task. The figure is events per wall-clock second (best of several
 * repetitions). Every wake-up folds (task, virtual time) into a checksum,
 * so the line "checksum" must be identical across repetitions and across
 * changes to the core: it is the event order. */
#include "purr/core.h"

#include "bench_util.h"

#include <inttypes.h>

#define TASKS 10000L
#define SLEEPS 1000L
#define REPS 3
#define SEED 0x9075ull

typedef struct sleeper {
    uint64_t rng;       /* splitmix64 state */
    uint64_t *checksum; /* shared order checksum */
    long index;         /* the task's number */
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
    for (long i = 0; i < SLEEPS; i++) {
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
    sleeper *sleepers;  /* TASKS of them */
    uint64_t checksum;  /* out */
    purr_time end_ns;   /* out: virtual time at the end */
    double elapsed_ns;  /* out: wall time */
} run;

static int
spawn_sleepers(purr_nursery *n, void *arg)
{
    run *r = arg;
    for (long i = 0; i < TASKS; i++) {
        r->sleepers[i] = (sleeper){SEED ^ (uint64_t)i * 0x2545f4914f6cdd1dull,
                                   &r->checksum, i};
        int rc = purr_spawn(n, "sleeper", sleeper_fn, &r->sleepers[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int
timers_main(void *arg)
{
    run *r = arg;
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(spawn_sleepers, r);
    r->elapsed_ns = bench_now_ns() - t0;
    r->end_ns = purr_now();
    return rc;
}

int
main(void)
{
    printf("purr %s: %ld tasks x %ld pseudo-random sleeps on the virtual "
           "clock\n",
           purr_version_string(), TASKS, SLEEPS);
    sleeper *sleepers = calloc(TASKS, sizeof *sleepers);
    double rate[REPS];
    uint64_t first_sum = 0;
    for (int i = 0; i < REPS; i++) {
        run r = {sleepers, 0, 0, 0};
        purr_loop *loop = purr_loop_new(NULL);
        if (!loop) {
            fprintf(stderr, "purr_loop_new failed\n");
            return 1;
        }
        BENCH_CHECK(purr_run(loop, "bench_timers", timers_main, &r));
        BENCH_CHECK(purr_loop_close(loop));
        rate[i] = (double)(TASKS * SLEEPS) / (r.elapsed_ns / 1e9);
        printf("run %d: %.0f ms wall, virtual end t=%" PRId64
               " ns, checksum %016" PRIx64 ", %.2f M events/s\n",
               i, r.elapsed_ns / 1e6, r.end_ns, r.checksum, rate[i] / 1e6);
        if (i == 0)
            first_sum = r.checksum;
        else if (r.checksum != first_sum) {
            fprintf(stderr, "event order differs between runs\n");
            return 1;
        }
    }
    double best = rate[0];
    for (int i = 1; i < REPS; i++)
        if (rate[i] > best)
            best = rate[i];
    bench_report("timer_events", best / 1e6, "M/s");
    free(sleepers);
    return 0;
}
