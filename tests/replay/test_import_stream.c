/* test_import_stream.c - a big log is streamed: `purr import` of a
 * multi-MB wide CSV runs in about the memory of a tiny one (the peak RSS
 * of the child processes, getrusage RUSAGE_CHILDREN), and a failure on its
 * last line still leaves no output. */
#include <criterion/criterion.h>

#include "purr_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char dir[256];

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-import-stream", NULL);
}

static void
teardown(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(import_stream, .init = setup, .fini = teardown);

static const char SCENE[] =
    "name: stream\nseed: 1\nduration: 1h\nsensors:\n"
    "  - {name: bumper, type: bool, model: constant, value: false}\n"
    "  - {name: ticks, type: int, model: constant, value: 0}\n"
    "  - {name: battery, type: double, model: constant, value: 0.0}\n"
    "  - {name: label, type: string, model: constant, value: \"\"}\n";

/* Writes DIR/name: a wide CSV of rows rows (4 values a row), ending with
 * tail (a last line). Returns its size in bytes. */
static long
write_log(const char *name, long nrows, const char *tail)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    /* A skipped column of 40 bytes a row makes the file big without
     * making the test slow. */
    fputs("time,battery,ticks,bumper,label,note\n", f);
    for (long i = 0; i < nrows; i++)
        fprintf(f, "%ld.%03ld,%ld.%02ld,%ld,%ld,\"l%ld, x\",%s\n", i / 1000,
                i % 1000, i % 100, i % 97, i, i % 2, i % 13,
                "a note the importer skips: forty bytes.");
    fputs(tail, f);
    long size = ftell(f);
    fclose(f);
    return size;
}

static long
children_maxrss_kb(void)
{
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    return ru.ru_maxrss;
}

Test(import_stream, a_big_log_imports_in_bounded_memory)
{
    char out[256], err[1024], path[512];
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(SCENE, f);
    fclose(f);
    /* Under AddressSanitizer freed memory is held in a quarantine (256 MB
     * by default) that grows with the number of frees, not with what is
     * live: without it, RSS measures what the import holds. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts,
             "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
             asan ? asan : "", asan && asan[0] ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);

    write_log("small.csv", 100, "");
    cr_assert_eq(purr_cmd_in(dir, "import small.csv -o small.db --scene "
                             "s.yaml", out, sizeof out, err, sizeof err),
                 0, "%s", err);
    long small_kb = children_maxrss_kb();

    long big = write_log("big.csv", 400000, ""); /* 1.6 M values */
    cr_assert_gt(big, 24L << 20);
    cr_assert_eq(purr_cmd_in(dir, "import big.csv -o big.db --scene s.yaml",
                             out, sizeof out, err, sizeof err),
                 0, "%s", err);
    long big_kb = children_maxrss_kb();
    /* Holding the log would cost more than its size; streaming costs a
     * block buffer and SQLite's page cache whatever the size. */
    cr_assert_lt((big_kb - small_kb) * 1024L, big / 4,
                 "peak RSS %ld KiB for %ld bytes of log (%ld KiB for a "
                 "tiny one)", big_kb, big, small_kb);

    /* Bad on its very last line: refused, no output, the old one kept. */
    write_log("bad.csv", 400000, "399.999,1,2,maybe,x,y\n");
    cr_assert_eq(purr_cmd_in(dir, "import bad.csv -o small.db --force "
                             "--scene s.yaml", out, sizeof out, err,
                             sizeof err),
                 2);
    cr_assert(strstr(err, "bad.csv:400002:"), "%s", err);
    cr_assert(strstr(err, "column 'bumper': expected bool"), "%s", err);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q purr-tmp", dir);
    cr_assert_neq(system(cmd), 0, "a temporary file was left");
}
