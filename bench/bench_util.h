/* bench_util.h - helpers shared by the core benchmarks.
 *
 * Benchmarks measure wall time with CLOCK_MONOTONIC (never done in the
 * library itself, which reads only its loop's clock) and print every figure
 * as one line "bench: <name> <value> <unit>", which bench/run and scripts
 * grep for. Everything else they print is context for people. */
#ifndef PURR_BENCH_UTIL_H
#define PURR_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Monotonic wall time in ns. */
static inline double
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Prints one machine-readable figure: whole numbers (counts, KiB) without
 * decimals, others with two below 100 and one above. */
static inline void
bench_report(const char *name, double value, const char *unit)
{
    int decimals = value == (double)(long long)value ? 0 : value < 100 ? 2 : 1;
    printf("bench: %s %.*f %s\n", name, decimals, value, unit);
    fflush(stdout);
}

/* Resident set size now, in KiB (from /proc/self/statm). */
static inline long
bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Peak resident set size of the process so far, in KiB. */
static inline long
bench_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

/* Number of mappings (VMAs) of the process: lines of /proc/self/maps. */
static inline long
bench_vma_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n')
            n++;
    fclose(f);
    return n;
}

/* Page-table memory of the process, in KiB (VmPTE in /proc/self/status). */
static inline long
bench_pte_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmPTE:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* Median of n doubles (sorts v in place). */
static inline int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double
bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline double
bench_min(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

/* Runs fn(arg) in a forked child, so that its peak RSS and mappings are
 * its own. Output is flushed first so lines keep their order. Returns 0 if
 * the child exited with status 0, else 1. */
static inline int
bench_in_child(void (*fn)(void *arg), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: child failed (status 0x%x)\n", status);
        return 1;
    }
    return 0;
}

/* Aborts the benchmark with a message when a purr call failed. */
#define BENCH_CHECK(expr)                                                    \
    do {                                                                     \
        int bench_rc_ = (expr);                                              \
        if (bench_rc_ < 0) {                                                 \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__,    \
                    #expr, purr_err_name(bench_rc_));                        \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

#endif /* PURR_BENCH_UTIL_H */
