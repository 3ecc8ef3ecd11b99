/* bench_values.c - throughput and memory of the AsyncValue family.
 *
 * Four figure families, all on the virtual clock (nothing here sleeps, so
 * the loop never waits for time) and timed with CLOCK_MONOTONIC around the
 * work only, best of REPS runs:
 * - value_pingpong: two tasks alternately set a value and wait for the
 *   other's (A sets ping = i and waits for pong == i; B waits for ping == i
 *   and sets pong = i). Each round is two transitions; the figure is
 *   transitions (of ping and pong together) per second.
 * - value_fanout_*: one setter, FANOUT_TASKS tasks each iterating
 *   purr_eventual_next over the same int value, FANOUT_SETS sets with a
 *   checkpoint after each, so every set wakes every consumer. Wake-ups are
 *   the items the consumers receive after their first.
 * - value_compose: COMPOSE_SRCS int values composed into one tuple value,
 *   COMPOSE_CONSUMERS tasks iterating its eventual values, and a setter
 *   making pseudo-random sets (fixed-seed xorshift, so every run does the
 *   same work) of random sources with a checkpoint every COMPOSE_BATCH sets.
 *   The figure is transitions of the composed value per second.
 * - value_bytes_per_*: memory of MEM_N values (malloc accounting, mallinfo2)
 *   and of MEM_N tasks parked in purr_value_wait (RSS delta, which counts
 *   the touched part of each task's stack). Each runs in a forked child so
 *   that the figures are its own. */
#include "purr/core.h"
#include "purr/value.h"

#include "bench_util.h"

#include <malloc.h>

#define REPS 3

#define PINGPONG_ROUNDS 2000000L

#define FANOUT_TASKS 1000
#define FANOUT_SETS 10000L

#define COMPOSE_SRCS 10
#define COMPOSE_CONSUMERS 100
#define COMPOSE_SETS 200000L
#define COMPOSE_BATCH 4

#define MEM_N 100000L
/* Tasks of the waiter-memory figure use the smallest stack purr allows
 * (PURR_STACK_MIN, 16 KiB; only the touched pages count in RSS). */
#define MEM_STACK PURR_STACK_MIN

/* Runs fn(arg) as the main task of a fresh virtual-clock loop. */
static void
run_loop(const char *name, purr_task_fn fn, void *arg, size_t stack_size)
{
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.clock = PURR_CLOCK_VIRTUAL;
    opts.stack_size = stack_size;
    purr_loop *loop = purr_loop_new(&opts);
    if (!loop) {
        fprintf(stderr, "purr_loop_new failed\n");
        exit(1);
    }
    BENCH_CHECK(purr_run(loop, name, fn, arg));
    BENCH_CHECK(purr_loop_close(loop));
}

/* ---------------------------------------------------------------------- */
/* Ping-pong                                                               */
/* ---------------------------------------------------------------------- */

typedef struct pingpong {
    purr_value *ping, *pong;
    double elapsed_ns; /* out */
} pingpong;

static bool
int_is(const purr_datum *x, void *arg)
{
    return x->u.i == *(const int64_t *)arg;
}

static int
pinger(void *arg)
{
    pingpong *pp = arg;
    for (int64_t i = 1; i <= PINGPONG_ROUNDS; i++) {
        purr_value_set_int(pp->ping, i);
        int rc = purr_value_wait(pp->pong, purr_match_pred(int_is, &i), 0,
                                 NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int
ponger(void *arg)
{
    pingpong *pp = arg;
    for (int64_t i = 1; i <= PINGPONG_ROUNDS; i++) {
        int rc = purr_value_wait(pp->ping, purr_match_pred(int_is, &i), 0,
                                 NULL);
        if (rc)
            return rc;
        purr_value_set_int(pp->pong, i);
    }
    return 0;
}

static int
pingpong_spawn(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "ponger", ponger, arg);
    return rc ? rc : purr_spawn(n, "pinger", pinger, arg);
}

static int
pingpong_main(void *arg)
{
    pingpong *pp = arg;
    purr_loop *loop = purr_loop_current();
    pp->ping = purr_value_new(loop, "ping", PURR_ROLE_INTERNAL, PURR_T_INT,
                              NULL);
    pp->pong = purr_value_new(loop, "pong", PURR_ROLE_INTERNAL, PURR_T_INT,
                              NULL);
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(pingpong_spawn, pp);
    pp->elapsed_ns = bench_now_ns() - t0;
    if (purr_value_transitions(pp->ping) != PINGPONG_ROUNDS ||
        purr_value_transitions(pp->pong) != PINGPONG_ROUNDS) {
        fprintf(stderr, "value_pingpong: wrong transition count\n");
        exit(1);
    }
    purr_value_free(pp->ping);
    purr_value_free(pp->pong);
    return rc;
}

static void
bench_pingpong(void)
{
    double best = 0;
    for (int r = 0; r < REPS; r++) {
        pingpong pp = {0};
        run_loop("bench_pingpong", pingpong_main, &pp, 0);
        double rate = 2.0 * PINGPONG_ROUNDS / (pp.elapsed_ns / 1e9);
        if (rate > best)
            best = rate;
    }
    printf("value_pingpong: %ld rounds (2 transitions each), best of %d\n",
           PINGPONG_ROUNDS, REPS);
    bench_report("value_pingpong", best, "transitions/s");
}

/* ---------------------------------------------------------------------- */
/* Fan-out                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct fanout {
    purr_value *v;
    long wakeups;      /* items received after each consumer's first */
    double elapsed_ns; /* out */
} fanout;

static int
fanout_consumer(void *arg)
{
    fanout *fo = arg;
    purr_eventual it;
    const purr_datum *item;
    int rc;
    long items = 0;
    purr_eventual_open(&it, fo->v, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &item)) == 0) {
        items++;
        if (item->u.i == FANOUT_SETS)
            break;
    }
    purr_eventual_close(&it);
    fo->wakeups += items - 1; /* the first item comes without waiting */
    return rc;
}

static int
fanout_setter(void *arg)
{
    fanout *fo = arg;
    for (int64_t i = 1; i <= FANOUT_SETS; i++) {
        purr_value_set_int(fo->v, i);
        int rc = purr_checkpoint();
        if (rc)
            return rc;
    }
    return 0;
}

static int
fanout_spawn(purr_nursery *n, void *arg)
{
    for (int i = 0; i < FANOUT_TASKS; i++) {
        int rc = purr_spawn(n, "consumer", fanout_consumer, arg);
        if (rc)
            return rc;
    }
    /* Spawned last, so every consumer has parked before the first set. */
    return purr_spawn(n, "setter", fanout_setter, arg);
}

static int
fanout_main(void *arg)
{
    fanout *fo = arg;
    fo->v = purr_value_new(purr_loop_current(), "fan", PURR_ROLE_INTERNAL,
                           PURR_T_INT, NULL);
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(fanout_spawn, fo);
    fo->elapsed_ns = bench_now_ns() - t0;
    purr_value_free(fo->v);
    return rc;
}

static void
bench_fanout(void)
{
    double best_wakeups = 0, best_sets = 0;
    long wakeups = 0;
    for (int r = 0; r < REPS; r++) {
        fanout fo = {0};
        run_loop("bench_fanout", fanout_main, &fo, 0);
        double s = fo.elapsed_ns / 1e9;
        if (fo.wakeups / s > best_wakeups) {
            best_wakeups = fo.wakeups / s;
            best_sets = FANOUT_SETS / s;
        }
        wakeups = fo.wakeups;
    }
    printf("value_fanout: %d consumers, %ld sets, %ld wake-ups, best of %d "
           "(includes spawning the consumers)\n",
           FANOUT_TASKS, FANOUT_SETS, wakeups, REPS);
    bench_report("value_fanout_wakeups", best_wakeups, "wakeups/s");
    bench_report("value_fanout_sets", best_sets, "sets/s");
}

/* ---------------------------------------------------------------------- */
/* Compose                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct compose {
    purr_value *srcs[COMPOSE_SRCS];
    purr_value *all;
    long items;            /* items received by all consumers */
    uint64_t transitions;  /* out: of the composed value */
    double elapsed_ns;     /* out */
} compose;

/* xorshift64: fixed seed, so every run makes the same sets. */
static uint64_t
rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int
compose_consumer(void *arg)
{
    compose *c = arg;
    purr_eventual it;
    const purr_datum *item;
    int rc;
    purr_eventual_open(&it, c->all, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &item)) == 0) {
        c->items++;
        if (item->u.items[0].u.i < 0) /* the setter's last set */
            break;
    }
    purr_eventual_close(&it);
    return rc;
}

static int
compose_setter(void *arg)
{
    compose *c = arg;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (long k = 1; k <= COMPOSE_SETS; k++) {
        uint64_t r = rng_next(&seed);
        purr_value_set_int(c->srcs[r % COMPOSE_SRCS], (int64_t)(r >> 40));
        if (k % COMPOSE_BATCH == 0) {
            int rc = purr_checkpoint();
            if (rc)
                return rc;
        }
    }
    purr_value_set_int(c->srcs[0], -1);
    return 0;
}

static int
compose_spawn(purr_nursery *n, void *arg)
{
    for (int i = 0; i < COMPOSE_CONSUMERS; i++) {
        int rc = purr_spawn(n, "consumer", compose_consumer, arg);
        if (rc)
            return rc;
    }
    return purr_spawn(n, "setter", compose_setter, arg);
}

static int
compose_main(void *arg)
{
    compose *c = arg;
    purr_loop *loop = purr_loop_current();
    for (int i = 0; i < COMPOSE_SRCS; i++)
        c->srcs[i] = purr_value_new(loop, "src", PURR_ROLE_INTERNAL,
                                    PURR_T_INT, NULL);
    c->all = purr_value_open_compose("all", c->srcs, NULL, COMPOSE_SRCS, NULL,
                                     NULL);
    double t0 = bench_now_ns();
    int rc = purr_nursery_run(compose_spawn, c);
    c->elapsed_ns = bench_now_ns() - t0;
    c->transitions = purr_value_transitions(c->all);
    purr_value_free(c->all);
    for (int i = 0; i < COMPOSE_SRCS; i++)
        purr_value_free(c->srcs[i]);
    return rc;
}

static void
bench_compose(void)
{
    double best = 0;
    uint64_t transitions = 0;
    long items = 0;
    for (int r = 0; r < REPS; r++) {
        compose c;
        memset(&c, 0, sizeof c);
        run_loop("bench_compose", compose_main, &c, 0);
        transitions = c.transitions;
        items = c.items;
        double rate = (double)transitions / (c.elapsed_ns / 1e9);
        if (rate > best)
            best = rate;
    }
    printf("value_compose: %d sources, %d consumers, %ld sets (checkpoint "
           "every %d), %llu composed transitions, %ld items, best of %d\n",
           COMPOSE_SRCS, COMPOSE_CONSUMERS, COMPOSE_SETS, COMPOSE_BATCH,
           (unsigned long long)transitions, items, REPS);
    bench_report("value_compose", best, "transitions/s");
}

/* ---------------------------------------------------------------------- */
/* Memory                                                                  */
/* ---------------------------------------------------------------------- */

static void
mem_values(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    purr_value **vs = malloc(MEM_N * sizeof *vs);
    char name[32];
    if (!loop || !vs)
        exit(1);
    size_t before = mallinfo2().uordblks;
    long rss0 = bench_rss_kib();
    for (long i = 0; i < MEM_N; i++) {
        snprintf(name, sizeof name, "v%ld", i);
        vs[i] = purr_value_new(loop, name, PURR_ROLE_INTERNAL, PURR_T_INT,
                               NULL);
    }
    size_t after = mallinfo2().uordblks;
    long rss1 = bench_rss_kib();
    printf("value_bytes_per_value: %ld int values named \"v<i>\", malloc "
           "accounting (mallinfo2 in use); RSS delta %.1f bytes/value\n",
           MEM_N, (rss1 - rss0) * 1024.0 / MEM_N);
    bench_report("value_bytes_per_value", (double)(after - before) / MEM_N,
                 "bytes");
    for (long i = 0; i < MEM_N; i++)
        purr_value_free(vs[i]);
    free(vs);
    purr_loop_close(loop);
}

typedef struct waiters {
    purr_value *vs[100];  /* MEM_N / 100 tasks wait on each */
    long parked;          /* tasks that reached their wait */
    long rss0_kib, rss1_kib;
} waiters;

static int
mem_waiter(void *arg)
{
    waiters *w = arg;
    long k = w->parked++;
    return purr_value_wait(w->vs[k % 100], purr_match_any(), 0, NULL) < 0;
}

static int
mem_spawn(purr_nursery *n, void *arg)
{
    waiters *w = arg;
    purr_spawn_options o = {MEM_STACK};
    for (long i = 0; i < MEM_N; i++) {
        int rc = purr_spawn_ex(n, "waiter", mem_waiter, w, &o);
        if (rc)
            return rc;
    }
    while (w->parked < MEM_N) {
        int rc = purr_checkpoint();
        if (rc)
            return rc;
    }
    w->rss1_kib = bench_rss_kib();
    for (int i = 0; i < 100; i++)
        purr_value_set_int(w->vs[i], 1);
    return 0;
}

static int
mem_waiters_main(void *arg)
{
    waiters *w = arg;
    purr_loop *loop = purr_loop_current();
    for (int i = 0; i < 100; i++)
        w->vs[i] = purr_value_new(loop, "w", PURR_ROLE_INTERNAL, PURR_T_INT,
                                  NULL);
    w->rss0_kib = bench_rss_kib();
    int rc = purr_nursery_run(mem_spawn, w);
    for (int i = 0; i < 100; i++)
        purr_value_free(w->vs[i]);
    return rc;
}

static void
mem_waiters(void *arg)
{
    (void)arg;
    waiters w;
    memset(&w, 0, sizeof w);
    run_loop("bench_waiters", mem_waiters_main, &w, MEM_STACK);
    printf("value_bytes_per_waiter: %ld tasks parked in purr_value_wait on "
           "100 values, stack size %zu (PURR_STACK_MIN), RSS delta\n",
           MEM_N, (size_t)MEM_STACK);
    bench_report("value_bytes_per_waiter",
                 (w.rss1_kib - w.rss0_kib) * 1024.0 / MEM_N, "bytes");
}

/* Is family name selected? No arguments select them all (for profiling:
 * bench_values pingpong fanout compose memory). */
static bool
selected(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int
main(int argc, char **argv)
{
    int failed = 0;
    printf("purr %s: AsyncValue benchmarks (virtual clock, wall time)\n",
           purr_version_string());
    if (selected(argc, argv, "pingpong"))
        bench_pingpong();
    if (selected(argc, argv, "fanout"))
        bench_fanout();
    if (selected(argc, argv, "compose"))
        bench_compose();
    if (selected(argc, argv, "memory")) {
        failed |= bench_in_child(mem_values, NULL);
        failed |= bench_in_child(mem_waiters, NULL);
    }
    return failed;
}
