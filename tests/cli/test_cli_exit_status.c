/* test_cli_exit_status.c - exit status 3: an output could not be written.
 *
 * A recording whose disk filled up used to end with exit 1 (documented as
 * "an expectation failed") while stdout still said `recording: b.db`. An
 * output that cannot be written (a recording, a JUnit file, a PNG) now
 * ends with status 3, distinct from 1 (a verdict) and 2 (bad input), and
 * no line names a recording that failed. A full disk is a file size limit
 * (RLIMIT_FSIZE, SIGXFSZ ignored, so a write fails with EFBIG); a
 * directory that may not be written is a read-only one, entered as user
 * 65534 when the tests run as root (root writes anywhere). Each test works
 * in a directory of its own under /tmp. */
#include "purr_test.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-cli-exit.%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "rm -rf %s && mkdir -p %s/ro && cp " PURR_SCENES_DIR
             "/pet.yaml %s/ && chmod 755 %s && chmod 555 %s/ro",
             dir, dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
remove_dir(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(cli_exit_status, .init = make_dir, .fini = remove_dir);

static char out[65536], err[4096];

static int
purr_lim(const cli_limits *lim, const char *args)
{
    return cli_run(dir, lim, args, out, sizeof out, err, sizeof err);
}

static int
purr(const char *args)
{
    return purr_lim(NULL, args);
}

/* A full disk: files may not grow past 256 KiB, which the schema fits in
 * and 100 simulated days of pet.yaml do not. */
static const cli_limits full_disk = {.fsize = 256 << 10};

/* A directory it may not write: user 65534 (from root), or anyone in a
 * 0555 directory. */
static const cli_limits nobody = {.as_nobody = true};

Test(cli_exit_status, a_full_disk_is_not_an_expectation_failure)
{
    int st = purr_lim(&full_disk, "run -q pet.yaml --duration 2400h "
                                  "--record b.db");
    cr_assert_eq(st, 3, "%s%s", out, err);
    cr_assert(strstr(err, "purr: recording failed: b.db: "), "%s", err);
    cr_assert(strstr(err, "disk I/O error"), "%s", err);
    /* The verdict is still printed; no line claims the recording. */
    cr_assert(strstr(out, "PASS  always: battery > 0"), "%s", out);
    cr_assert_null(strstr(out, "recording:"), "%s", out);
}

Test(cli_exit_status, a_full_disk_under_the_temporary_recording)
{
    /* Without --record the run records to a temporary file in TMPDIR (the
     * test's directory), named only when kept. */
    int st = purr_lim(&full_disk, "run -q pet.yaml --duration 2400h --keep");
    cr_assert_eq(st, 3, "%s%s", out, err);
    cr_assert(strstr(err, "purr: recording failed: "), "%s", err);
    cr_assert_null(strstr(out, "recording:"), "%s", out);
}

Test(cli_exit_status, a_recording_that_cannot_be_created)
{
    int st = purr_lim(&nobody, "run -q pet.yaml --record ro/b.db");
    cr_assert_eq(st, 3, "%s%s", out, err);
    cr_assert_str_eq(err, "purr: ro/b.db: cannot create: Permission "
                          "denied\n");
    cr_assert_eq(purr("run -q pet.yaml --record nodir/b.db"), 3, "%s", err);
    cr_assert_str_eq(err, "purr: nodir/b.db: cannot create: No such file or "
                          "directory\n");
    /* An existing file without --force is bad usage, not a failed
     * output. */
    cr_assert_eq(purr("run -q pet.yaml --duration 1h --record a.db"), 0, "%s",
                 err);
    cr_assert(strstr(out, "recording: a.db\n"), "%s", out);
    cr_assert_eq(purr("run -q pet.yaml --duration 1h --record a.db"), 2, "%s",
                 err);
}

Test(cli_exit_status, replay_outputs_that_cannot_be_written)
{
    cr_assert_eq(purr("run -q pet.yaml --duration 1h --record a.db"), 0, "%s",
                 err);
    cr_assert_eq(purr_lim(&nobody, "replay a.db --record ro/n.db"), 3, "%s%s",
                 out, err);
    cr_assert_str_eq(err, "purr: ro/n.db: cannot create: Permission "
                          "denied\n");
    cr_assert_eq(purr("replay a.db --junit nodir/j.xml"), 3, "%s%s", out, err);
    cr_assert_str_eq(err, "purr: nodir/j.xml: cannot create a temporary file "
                          "beside it: No such file or directory\n");
    /* An existing --record file without --force stays bad usage. */
    cr_assert_eq(purr("replay a.db --record a.db"), 2, "%s%s", out, err);
}

Test(cli_exit_status, import_output_that_cannot_be_written)
{
    char path[512];
    snprintf(path, sizeof path, "%s/x.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("time,value,datum\n0,battery,50.0\n1,battery,40\n", f);
    fclose(f);
    cr_assert_eq(purr_lim(&nobody, "import x.csv -o ro/x.db --scene "
                                   "pet.yaml"),
                 3, "%s%s", out, err);
    cr_assert_str_eq(err, "purr: ro/x.db: cannot create: Permission "
                          "denied\n");
}

Test(cli_exit_status, png_that_cannot_be_written)
{
    if (purr("plot --help") != 0)
        return; /* no window in this build */
    cr_assert_eq(purr("run -q pet.yaml --duration 1h --record a.db"), 0, "%s",
                 err);
    cr_assert_eq(purr("plot a.db -o nodir/x.png"), 3, "%s%s", out, err);
    cr_assert(strstr(err, "nodir/x.png: cannot create a temporary file"),
              "%s", err);
    cr_assert_eq(purr("view a.db --screenshot nodir/x.png"), 3, "%s%s", out,
                 err);
    cr_assert(strstr(err, "nodir/x.png: cannot create a temporary file"),
              "%s", err);
}

Test(cli_exit_status, every_help_documents_status_3)
{
    const char *verbs[] = {"--help",        "run --help",  "replay --help",
                           "import --help", "plot --help", "view --help"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        int st = purr(verbs[i]);
        if (st == 2 && i >= 4)
            continue; /* no window in this build */
        cr_assert_eq(st, 0, "purr %s: %s", verbs[i], err);
        cr_assert(strstr(out, "; 3 ") || strstr(out, "; 3\n"),
                  "purr %s does not document exit status 3:\n%s", verbs[i],
                  out);
    }
}
