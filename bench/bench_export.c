/* bench_export.c - `purr export` figures: MCAP export throughput and
 * memory.
 *
 * A child process records N transitions (default 1 200 000) of a small
 * robot to DIR/bench_export.db: per 10 ms tick, a random-walk double
 * (input), a sine double (input), a counter int (output) and, every
 * fourth tick, a bool (output). The parent, which has done nothing else
 * (so its peak RSS is the export's), exports the recording to MCAP with
 * the default zstd compression (purr_export_run) and reports:
 *
 * export_mcap_transitions_per_s  transitions written per second of wall
 *                                time, open to rename (and fsync)
 *                                included; best of three runs
 * export_mcap_mb_per_s           MB (10^6 bytes) of MCAP written per second
 * export_mcap_transitions_per_cpu_s  the same per second of CPU time (user
 *                                + system): steadier on a busy machine
 * export_mcap_uncompressed_transitions_per_s  the same, --compression none
 * export_mcap_peak_rss_mb        peak resident set of the exporting
 *                                process, in MiB
 * export_mcap_peak_rss_half_mb   the same for a recording of N/2
 *                                transitions (in a second child): equal
 *                                figures mean the export's memory does not
 *                                grow with the recording
 *
 * Usage: bench_export [DIR] [N] - DIR for the files (/tmp). With
 * BENCH_EXPORT_KEEP set in the environment the files stay (for profiling
 * `purr export DIR/bench_export.db`). */
#include "bench_util.h"

#include <math.h>
#include <purr/export.h>
#include <purr/purr.h>
#include <purr/recorder.h>
#include <sys/stat.h>

struct robot {
    purr_value *walk, *sine, *count, *flag;
    long ticks;
};

static int
robot_main(void *arg)
{
    struct robot *r = arg;
    uint64_t x = 0x9E3779B97F4A7C15u;
    double walk = 50.0;
    for (long k = 1; k <= r->ticks; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        walk += ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 0.1;
        purr_value_set_double(r->walk, walk);
        purr_value_set_double(r->sine, sin((double)k * 0.001));
        purr_value_set_int(r->count, k);
        if (k % 4 == 0)
            purr_value_set_bool(r->flag, (k / 4) % 2 == 0);
        int rc = purr_sleep(10 * PURR_MS);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Records about n transitions to path (in the calling process). */
static void
record(const char *path, long n)
{
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true, .no_task_events = true};
    purr_diag diag;
    purr_recorder *rec = purr_recorder_open(path, &o, &diag);
    if (!rec) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    if (purr_recorder_attach(rec, loop) < 0)
        exit(1);
    struct robot r = {.ticks = (long)((double)n / 3.25) + 1};
    r.walk = purr_value_new(loop, "walk", PURR_ROLE_INPUT, PURR_T_DOUBLE,
                            NULL);
    r.sine = purr_value_new(loop, "sine", PURR_ROLE_INPUT, PURR_T_DOUBLE,
                            NULL);
    r.count = purr_value_new(loop, "count", PURR_ROLE_OUTPUT, PURR_T_INT,
                             NULL);
    r.flag = purr_value_new_bool(loop, "flag", PURR_ROLE_OUTPUT);
    if (purr_run(loop, "main", robot_main, &r) < 0)
        exit(1);
    if (purr_recorder_close(rec, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    purr_value_free(r.walk);
    purr_value_free(r.sine);
    purr_value_free(r.count);
    purr_value_free(r.flag);
    purr_loop_close(loop);
}

/* Runs record(path, n) in a child process, so that the recording's memory
 * does not count in this process's peak. */
static void
record_in_child(const char *path, long n)
{
    pid_t pid = fork();
    if (pid == 0) {
        record(path, n);
        _exit(0);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_export: recording failed\n");
        exit(1);
    }
}

/* CPU time (user + system) of this process so far, in seconds. */
static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Exports rec to out; returns the seconds taken, stats filled. */
static double
export(const char *rec, const char *out, purr_export_compression c,
       purr_export_stats *stats)
{
    purr_export_options o = {.format = PURR_EXPORT_MCAP,
                             .compression = c,
                             .overwrite = true};
    purr_diag diag;
    double t0 = bench_now_ns();
    if (purr_export_run(rec, out, &o, stats, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    return (bench_now_ns() - t0) / 1e9;
}

/* Peak RSS (MiB) of a child that only exports rec. */
static double
peak_in_child(const char *rec, const char *out)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        purr_export_stats s;
        export(rec, out, PURR_EXPORT_ZSTD, &s);
        long kib = bench_peak_rss_kib();
        if (write(fds[1], &kib, sizeof kib) != (ssize_t)sizeof kib)
            _exit(1);
        _exit(0);
    }
    long kib = 0;
    if (read(fds[0], &kib, sizeof kib) != (ssize_t)sizeof kib)
        exit(1);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    return (double)kib / 1024.0;
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long n = argc > 2 ? atol(argv[2]) : 1200000;
    char db[512], half[512], out[512];
    snprintf(db, sizeof db, "%s/bench_export.db", dir);
    snprintf(half, sizeof half, "%s/bench_export_half.db", dir);
    snprintf(out, sizeof out, "%s/bench_export.mcap", dir);

    record_in_child(db, n);
    record_in_child(half, n / 2);

    /* Best of three: on a shared machine single runs move by a factor
     * of two. */
    purr_export_stats s, u;
    double secs = 1e300, cpu = 1e300, usecs = 1e300;
    for (int run = 0; run < 3; run++) {
        double cpu0 = cpu_seconds();
        secs = fmin(secs, export(db, out, PURR_EXPORT_ZSTD, &s));
        cpu = fmin(cpu, cpu_seconds() - cpu0);
    }
    double peak = (double)bench_peak_rss_kib() / 1024.0;
    for (int run = 0; run < 3; run++)
        usecs = fmin(usecs, export(db, out, PURR_EXPORT_NONE, &u));
    double peak_half = peak_in_child(half, out);
    printf("exported %llu transitions in %llu chunks, %.1f MB (zstd), "
           "%.1f MB (none)\n",
           (unsigned long long)s.transitions, (unsigned long long)s.chunks,
           (double)s.bytes / 1e6, (double)u.bytes / 1e6);
    bench_report("export_mcap_transitions_per_s",
                 round((double)s.transitions / secs), "1/s");
    bench_report("export_mcap_mb_per_s", (double)s.bytes / 1e6 / secs,
                 "MB/s");
    bench_report("export_mcap_transitions_per_cpu_s",
                 round((double)s.transitions / cpu), "1/s");
    bench_report("export_mcap_uncompressed_transitions_per_s",
                 round((double)u.transitions / usecs), "1/s");
    bench_report("export_mcap_peak_rss_mb", peak, "MiB");
    bench_report("export_mcap_peak_rss_half_mb", peak_half, "MiB");
    if (!getenv("BENCH_EXPORT_KEEP")) {
        remove(db);
        remove(half);
        remove(out);
    }
    return 0;
}
