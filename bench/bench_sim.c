/* bench_sim.c - the simulator benchmark: a simulated day of the reference
 * scene (bench/reference.yaml: 10 sensors at 10 Hz, 20 behaviour tasks)
 * headless, with recording as `purr run` does it, then without.
 *
 * Figures: sim_day_wall (wall seconds for 24 h simulated, recording),
 * sim_speedup (virtual over wall time), sim_peak_rss, sim_rss_growth (RSS
 * at 100% of the run minus RSS at 25%: flat means no per-transition
 * growth), sim_record_bytes_per_transition, and sim_day_wall_norec.
 * RSS is sampled from the virtual clock's pacing hook, which runs between
 * time jumps and changes nothing in the run.
 *
 * Then the recorder's cost as ratios, recording over not recording, each
 * the best of three more runs of the whole duration (the target is the
 * simulated day's; a shorter run would weigh the recorder's fixed cost,
 * about 10 ms to open and close a recording, several times more; wall
 * time moves 2x with the machine's load, CPU time much less):
 * sim_record_slowdown (wall time), sim_record_slowdown_loop_cpu (the loop
 * thread's CPU time: the wall-time ratio when the recorder's writer thread
 * has a core to itself) and sim_record_slowdown_process_cpu (loop and
 * writer threads over the loop alone: the wall-time ratio when it has
 * none). Open and close are inside the timed span.
 *
 * Usage: bench_sim [DURATION [rec|norec]]; with rec or norec it runs only
 * that one run of DURATION and prints its times (for a profiler).
 */
#include <purr/purr.h>
#include <purr/recorder.h>
#include <purr/sim.h>

#include "examples.h"

#include "bench_util.h"

#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

typedef struct sampler {
    purr_time quarter_ns; /* when to sample */
    purr_time end_ns;     /* the run's end */
    long rss_quarter_kib; /* RSS at 25% of the run */
    long rss_end_kib;     /* RSS at the last time jump (100%) */
} sampler;

static void
sample(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    (void)loop;
    sampler *s = ctx;
    if (!s->rss_quarter_kib && next_deadline >= s->quarter_ns)
        s->rss_quarter_kib = bench_rss_kib();
    if (!s->rss_end_kib && next_deadline >= s->end_ns)
        s->rss_end_kib = bench_rss_kib();
}

static uint64_t transitions;

/* CPU time of the calling thread or of the whole process, in s. */
static double
cpu_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The last run's CPU seconds: the loop thread's and the process's. */
static double g_loop_cpu, g_proc_cpu;
/* The last run's wall time from before the recorder's open, in s. */
static double g_wall;

static void
count(const purr_trace *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    transitions++;
}

/* Runs the scene for duration; records to path when not NULL. Returns the
 * wall time in s from after the recorder's open to after its close (sets
 * g_wall, g_loop_cpu and g_proc_cpu from before the open). */
static double
run(const purr_scene *scene, purr_time duration, const char *path,
    sampler *smp, uint64_t *recorded)
{
    purr_sim_options o = {.duration_ns = duration, .pace = sample,
                          .pace_ctx = smp};
    purr_sim *sim = purr_sim_new(scene, &o);
    purr_diag d = {0};
    purr_recorder *rec = NULL;
    transitions = 0;
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      count, NULL);
    double w0 = bench_now_ns();
    double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    double p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    if (path) {
        purr_recorder_options ro = {.overwrite = true};
        rec = purr_recorder_open(path, &ro, &d);
        if (!rec || purr_recorder_attach(rec, purr_sim_loop(sim)) < 0) {
            fprintf(stderr, "bench_sim: %s\n", d.message);
            exit(1);
        }
        purr_recorder_set_meta(rec, "scene", PURR_BENCH_SCENE);
    }
    double t0 = bench_now_ns();
    if (purr_sim_run(sim, &d) < 0) {
        fprintf(stderr, "bench_sim: %s\n", d.message);
        exit(1);
    }
    if (rec) {
        *recorded = purr_recorder_transitions(rec);
        if (purr_recorder_close(rec, &d) < 0) {
            fprintf(stderr, "bench_sim: %s\n", d.message);
            exit(1);
        }
    }
    double t1 = bench_now_ns();
    double wall = (t1 - t0) / 1e9;
    g_wall = (t1 - w0) / 1e9;
    g_loop_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    g_proc_cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    if (purr_sim_expect_failures(sim))
        purr_sim_report(sim, stderr);
    purr_sim_free(sim);
    return wall;
}

/* Deletes the recording at path and anything beside it. */
static void
remove_recording(const char *path)
{
    char side[80];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int
main(int argc, char **argv)
{
    purr_time duration = 24 * 3600 * PURR_S;
    if (purr_examples_register() < 0)
        return 2;
    int only = 0; /* 1: only the recording run, -1: only the other */
    if (argc > 2)
        only = !strcmp(argv[2], "rec") ? 1 : !strcmp(argv[2], "norec") ? -1 : 2;
    if (argc > 3 || only == 2 ||
        (argc > 1 && purr_sim_duration_parse(argv[1], &duration) < 0)) {
        fprintf(stderr, "usage: bench_sim [DURATION, e.g. 24h [rec|norec]]\n");
        return 2;
    }
    purr_scene *scene;
    purr_diag d = {0};
    if (purr_scene_load(PURR_BENCH_SCENE, &scene, &d) < 0) {
        fprintf(stderr, "bench_sim: %s: %s\n", d.file, d.message);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/purr-bench-sim-%d.db", (int)getpid());
    sampler smp = {duration / 4, duration, 0, 0};
    uint64_t recorded = 0;
    if (only) {
        double w = run(scene, duration, only > 0 ? path : NULL, &smp, &recorded);
        printf("%s: wall %.3f s, loop thread CPU %.3f s, process CPU %.3f s\n",
               only > 0 ? "recording" : "not recording", w, g_loop_cpu,
               g_proc_cpu);
        remove_recording(path);
        purr_scene_free(scene);
        return 0;
    }
    double wall = run(scene, duration, path, &smp, &recorded);
    double virt = (double)duration / 1e9;
    struct stat st;
    long long bytes = 0;
    if (stat(path, &st) == 0)
        bytes = (long long)st.st_size;
    printf("%" PRIu64 " transitions (%" PRIu64 " recorded), %.0f s virtual, "
           "%.1f MB recording; CPU: loop thread %.3f s, process %.3f s\n",
           transitions, recorded, virt, (double)bytes / 1e6, g_loop_cpu,
           g_proc_cpu);
    bench_report("sim_day_wall", wall * (86400.0 / virt), "s");
    bench_report("sim_speedup", virt / wall, "x");
    bench_report("sim_peak_rss", (double)bench_peak_rss_kib(), "KiB");
    bench_report("sim_rss_growth", (double)(smp.rss_end_kib - smp.rss_quarter_kib),
                 "KiB");
    bench_report("sim_record_bytes_per_transition",
                 recorded ? (double)bytes / (double)recorded : 0, "bytes");
    remove_recording(path);
    sampler none = {PURR_TIME_NEVER, PURR_TIME_NEVER, 0, 0};
    double norec = run(scene, duration, NULL, &none, NULL);
    bench_report("sim_day_wall_norec", norec * (86400.0 / virt), "s");

    /* The ratios: best of three each, interleaved, over the whole
     * duration; each recording to a new file (the previous one deleted
     * untimed, as above). */
    double best[2][3] = {{1e9, 1e9, 1e9}, {1e9, 1e9, 1e9}};
    for (int rep = 0; rep < 3; rep++) {
        for (int on = 0; on < 2; on++) {
            sampler s = {PURR_TIME_NEVER, PURR_TIME_NEVER, 0, 0};
            run(scene, duration, on ? path : NULL, &s, &recorded);
            double got[3] = {g_wall, g_loop_cpu, g_proc_cpu};
            for (int k = 0; k < 3; k++)
                best[on][k] = got[k] < best[on][k] ? got[k] : best[on][k];
            if (on)
                remove_recording(path);
        }
    }
    printf("best of 3: wall %.3f s off, %.3f s "
           "on; loop thread CPU %.3f s off, %.3f s on; process CPU %.3f s "
           "on\n",
           best[0][0], best[1][0], best[0][1], best[1][1], best[1][2]);
    bench_report("sim_record_slowdown", best[1][0] / best[0][0], "x");
    bench_report("sim_record_slowdown_loop_cpu", best[1][1] / best[0][1], "x");
    bench_report("sim_record_slowdown_process_cpu", best[1][2] / best[0][1],
                 "x");
    purr_scene_free(scene);
    return 0;
}
