/* test_cli.c - the purr command line's exit statuses and messages, run as
 * a child process (the binary's path comes from CMake). */
#include "sim_test.h"

#include <sys/wait.h>

/* Runs `purr ARGS`, stdout and stderr to files; returns the exit status
 * and leaves the texts in out (may be NULL) and err (truncated to fit). */
static int
run_purr_io(const char *args, char *out, size_t out_cap, char *err,
            size_t cap)
{
    char cmd[1024];
    /* Temporary recordings go to a directory of the test's own. */
    snprintf(cmd, sizeof cmd,
             "export TMPDIR=/tmp/purr-cli-tmp.$PPID; mkdir -p $TMPDIR; "
             "'%s' %s >/tmp/purr-cli-out.$PPID 2>/tmp/purr-cli-err.$PPID; "
             "rc=$?; rm -rf $TMPDIR; exit $rc",
             PURR_BIN, args);
    /* $PPID is the test process: each parallel test has its own files. */
    int status = system(cmd);
    cr_assert(WIFEXITED(status), "purr did not exit normally");
    char path[64];
    snprintf(path, sizeof path, "/tmp/purr-cli-err.%d", (int)getpid());
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(err, 1, cap - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    snprintf(path, sizeof path, "/tmp/purr-cli-out.%d", (int)getpid());
    if (out) {
        f = fopen(path, "r");
        n = f ? fread(out, 1, out_cap - 1, f) : 0;
        out[n] = '\0';
        if (f)
            fclose(f);
    }
    unlink(path);
    return WEXITSTATUS(status);
}

static int
run_purr(const char *args, char *err, size_t cap)
{
    return run_purr_io(args, NULL, 0, err, cap);
}

static int
run_purr_out(const char *args, char *out, size_t cap)
{
    char err[2048];
    return run_purr_io(args, out, cap, err, sizeof err);
}

static size_t
lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(cli, help_exits_0)
{
    char err[1024];
    cr_assert_eq(run_purr("--help", err, sizeof err), 0);
    cr_assert_eq(run_purr("run --help", err, sizeof err), 0);
    cr_assert_eq(run_purr("run -h", err, sizeof err), 0);
}

Test(cli, usage_errors_exit_2_with_one_line)
{
    const char *bad[] = {"",
                         "fly",
                         "run",
                         "run --bogus x.yaml",
                         "run a.yaml b.yaml",
                         "run --seed",
                         "run --seed -3 " PURR_SCENES_DIR "/pet.yaml",
                         "run --duration 10 " PURR_SCENES_DIR "/pet.yaml"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[1024];
        cr_assert_eq(run_purr(bad[i], err, sizeof err), 2, "purr %s", bad[i]);
        cr_assert_eq(lines(err), 1, "purr %s said: %s", bad[i], err);
        cr_assert(strncmp(err, "purr: ", 6) == 0);
    }
}

Test(cli, bad_scene_exits_2_naming_the_place)
{
    const char *path = sim_test_write("name: x\nduration: 1h\nsensors:\n"
                                      "  - name: s\n"
                                      "    type: double\n"
                                      "    model: sine2\n");
    char args[128], err[1024], want[512];
    snprintf(args, sizeof args, "run %s", path);
    cr_assert_eq(run_purr(args, err, sizeof err), 2);
    snprintf(want, sizeof want,
             "purr: %s:6:12: unknown sensor model 'sine2' (expected one of: "
             "constant, timeline, random_walk, poisson, periodic, battery)\n",
             path);
    cr_assert_str_eq(err, want);
    unlink(path);
    cr_assert_eq(run_purr("run /nonexistent.yaml", err, sizeof err), 2);
    cr_assert_eq(lines(err), 1);
}

Test(cli, setup_error_exits_2)
{
    const char *path = sim_test_write("name: x\nduration: 1h\n"
                                      "behaviours: [talk]\n");
    char args[128], err[1024];
    snprintf(args, sizeof args, "run --headless %s", path);
    cr_assert_eq(run_purr(args, err, sizeof err), 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert_not_null(strstr(err, ":3:14: behaviour 'talk' needs"), "%s", err);
    unlink(path);
}

Test(cli, run_exits_0)
{
    char err[1024];
    cr_assert_eq(
        run_purr("run --headless --seed 5 --duration 2h " PURR_SCENES_DIR
                 "/pet.yaml",
                 err, sizeof err),
        0, "%s", err);
    cr_assert_str_eq(err, "");
    cr_assert_eq(
        run_purr("run -q " PURR_SCENES_DIR "/talk.yaml", err, sizeof err), 0,
        "%s", err);
}

Test(cli, failing_expectation_exits_1_with_a_report)
{
    char out[8192];
    cr_assert_eq(run_purr_out("run -q " PURR_SCENES_DIR "/fails.yaml", out,
                              sizeof out),
                 1, "%s", out);
    cr_assert_not_null(
        strstr(out, "FAIL  eventually: docked within 10min after battery < "
                    "20: the window opened at 01:41:00.000; 'docked' was "
                    "still false at 01:51:00.000 (docked = false, battery = "
                    "17.8)"),
        "%s", out);
    cr_assert_not_null(strstr(out, "PASS  always: battery > 5\n"), "%s", out);
    cr_assert_not_null(strstr(out, "3 expectations (1 failed)"), "%s", out);
}

Test(cli, check_determinism)
{
    char out[4096];
    cr_assert_eq(run_purr_out("run --check-determinism " PURR_SCENES_DIR
                              "/pet.yaml",
                              out, sizeof out),
                 0, "%s", out);
    cr_assert_str_eq(out, "deterministic: 2627 transitions identical\n");
    cr_assert_eq(run_purr_out("run --check-determinism --shuffle-seed 3 "
                              "--duration 2h " PURR_SCENES_DIR "/talk.yaml",
                              out, sizeof out),
                 0, "%s", out);
    cr_assert_not_null(strstr(out, "schedule-independent (--shuffle-seed 3)"),
                       "%s", out);
}

Test(cli, speed_and_shuffle_options)
{
    char err[1024];
    cr_assert_eq(run_purr("run -q --speed 10 --shuffle-seed 4 " PURR_SCENES_DIR
                          "/talk.yaml",
                          err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(run_purr("run -q --speed max " PURR_SCENES_DIR "/talk.yaml",
                          err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(run_purr("run --speed fast " PURR_SCENES_DIR "/talk.yaml", err,
                          sizeof err),
                 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert_eq(run_purr("run --shuffle-seed x " PURR_SCENES_DIR "/talk.yaml",
                          err, sizeof err),
                 2);
}

/* Runs `purr ARGS` with TMPDIR set to a fresh directory of the test's own;
 * out receives stdout and *left (out) the number of files left in TMPDIR
 * afterwards. Returns the exit status. */
static int
run_in_tmpdir(const char *args, char *out, size_t cap, int *left)
{
    char dir[] = "/tmp/purr-cli-keep-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "TMPDIR=%s '%s' %s >%s.out 2>/dev/null", dir, PURR_BIN, args,
             dir);
    int status = system(cmd);
    cr_assert(WIFEXITED(status));
    char path[256];
    snprintf(path, sizeof path, "%s.out", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_eq(fscanf(p, "%d", left), 1);
    pclose(p);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    return WEXITSTATUS(status);
}

/* A run without --record that passes leaves nothing behind; one that
 * fails keeps its recording and says where; --keep keeps it always. */
Test(cli, temporary_recording_kept_only_on_failure_or_keep)
{
    char out[8192];
    int left;
    cr_assert_eq(run_in_tmpdir("run -q " PURR_SCENES_DIR "/talk.yaml", out,
                               sizeof out, &left),
                 0, "%s", out);
    cr_assert_null(strstr(out, "recording: "), "%s", out);
    cr_assert_eq(left, 0, "a passing run left %d file(s)", left);

    cr_assert_eq(run_in_tmpdir("run -q --keep " PURR_SCENES_DIR "/talk.yaml",
                               out, sizeof out, &left),
                 0, "%s", out);
    const char *rec = strstr(out, "recording: ");
    cr_assert_not_null(rec, "%s", out);
    cr_assert_not_null(strstr(rec, "/purr-run-"), "%s", out);
    cr_assert_eq(left, 1, "--keep left %d file(s)", left);

    cr_assert_eq(run_in_tmpdir("run -q " PURR_SCENES_DIR "/fails.yaml", out,
                               sizeof out, &left),
                 1, "%s", out);
    rec = strstr(out, "recording: ");
    cr_assert_not_null(rec, "%s", out);
    cr_assert_not_null(strstr(rec, "kept: the run failed"), "%s", out);
    cr_assert_eq(left, 1, "a failing run left %d file(s)", left);
}

Test(cli, record_writes_a_file_once)
{
    char path[64], args[256], err[1024];
    snprintf(path, sizeof path, "/tmp/purr-cli-%d.db", (int)getpid());
    unlink(path);
    snprintf(args, sizeof args,
             "run -q --duration 1h --record %s " PURR_SCENES_DIR "/pet.yaml",
             path);
    cr_assert_eq(run_purr(args, err, sizeof err), 0, "%s", err);
    cr_assert_eq(access(path, R_OK), 0, "no recording at %s", path);
    /* An existing file is never overwritten: bad input, exit 2. */
    cr_assert_eq(run_purr(args, err, sizeof err), 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert_not_null(strstr(err, "already exists"), "%s", err);
    cr_assert_not_null(strstr(err, "--force"), "%s", err);
    /* With --force it is replaced by a whole new recording (of 2 h, where
     * the first was of 1 h). */
    snprintf(args, sizeof args,
             "run -q --duration 2h --force --record %s " PURR_SCENES_DIR
             "/pet.yaml",
             path);
    cr_assert_eq(run_purr(args, err, sizeof err), 0, "%s", err);
    char q[256], end[64] = "";
    snprintf(q, sizeof q,
             "sqlite3 %s \"SELECT value FROM run WHERE key = 'end_ns'\"",
             path);
    FILE *p = popen(q, "r");
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(end, sizeof end, p));
    pclose(p);
    cr_assert_str_eq(end, "7200000000000\n");
    /* --force and --keep need what they act on. */
    cr_assert_eq(run_purr("run -q --force " PURR_SCENES_DIR "/pet.yaml", err,
                          sizeof err),
                 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    unlink(path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}
