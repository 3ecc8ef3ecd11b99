/* bench_import.c - field-log import throughput: a generated wide CSV (a
 * time column and ten double columns, every cell a transition) imported
 * through purr_import_log, in a child process so that its peak RSS is the
 * import's alone.
 *
 * Figures: import_csv_wide_rows_per_s, import_csv_wide_values_per_s
 * (values set = transitions recorded), import_csv_wide_mb_per_s (of the
 * log), import_csv_peak_rss_mb, and import_csv_wide_values_per_cpu_s (per
 * second of CPU time rather than wall time). Target: at least 1 million transitions a
 * second, in constant memory. Usage: bench_import [ROWS] (default 200000,
 * i.e. 2 million values). */
#include "bench_util.h"

#include <purr/replay.h>

#include <stdint.h>

#define COLS 10

int
main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 200000;
    char dir[] = "/tmp/purr-bench-import-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char log[128], db[128];
    snprintf(log, sizeof log, "%s/wide.csv", dir);
    snprintf(db, sizeof db, "%s/wide.db", dir);

    /* Ten random walks at 100 Hz, with 3 decimals like a logger's. */
    FILE *f = fopen(log, "w");
    if (!f) {
        perror(log);
        return 1;
    }
    fputs("time", f);
    for (int c = 0; c < COLS; c++)
        fprintf(f, ",s%d", c);
    fputc('\n', f);
    uint64_t x = 88172645463325252ull;
    long level[COLS] = {0};
    for (long r = 0; r < rows; r++) {
        fprintf(f, "%ld.%02ld", r / 100, r % 100);
        for (int c = 0; c < COLS; c++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            level[c] += (long)(x % 2000) + 1; /* never equal: a transition */
            fprintf(f, ",%ld.%03ld", level[c] / 1000, level[c] % 1000);
        }
        fputc('\n', f);
    }
    double mb = (double)ftell(f) / 1e6;
    fclose(f);

    purr_import_input in[COLS];
    char names[COLS][8];
    for (int c = 0; c < COLS; c++) {
        snprintf(names[c], sizeof names[c], "s%d", c);
        in[c] = (purr_import_input){names[c], PURR_T_DOUBLE,
                                    purr_datum_double(-1.0)};
    }
    purr_import_schema schema = {.source = "bench", .inputs = in,
                                 .count = COLS};

    double t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        purr_diag diag;
        int rc = purr_import_log(log, db, &schema, NULL, &diag);
        if (rc < 0)
            fprintf(stderr, "bench_import: %s:%ld: %s\n", diag.file,
                    diag.line, diag.message);
        _exit(rc < 0);
    }
    int status;
    waitpid(pid, &status, 0);
    double secs = (bench_now_ns() - t0) / 1e9;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);

    long values = rows * COLS;
    printf("bench_import: %ld rows, %ld values, %.1f MB of CSV in %.3f s\n",
           rows, values, mb, secs);
    bench_report("import_csv_wide_rows_per_s", (double)(long)(rows / secs),
                 "rows/s");
    bench_report("import_csv_wide_values_per_s",
                 (double)(long)(values / secs), "values/s");
    bench_report("import_csv_wide_mb_per_s", mb / secs, "MB/s");
    bench_report("import_csv_peak_rss_mb", (double)ru.ru_maxrss / 1024.0,
                 "MB");
    /* On a shared machine wall time says how busy it was; CPU time (both
     * threads: the reader and the recorder's writer) says what an import
     * costs. */
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    bench_report("import_csv_wide_values_per_cpu_s",
                 (double)(long)(values / cpu), "values/s");
    unlink(log);
    unlink(db);
    rmdir(dir);
    return 0;
}
