/* test_cli.c - the purr command line's exit statuses and messages, run as
 * a child process (the binary's path comes from CMake). */
#include "sim_test.h"

#include <sys/wait.h>

/* Runs `purr ARGS`, stdout and stderr to files; returns the exit status
 * and leaves stderr's text in err (truncated to cap). */
static int
run_purr(const char *args, char *err, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' %s >/tmp/purr-cli-out.$PPID 2>/tmp/purr-cli-err.$PPID",
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
    unlink(path);
    return WEXITSTATUS(status);
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

#ifdef PURR_SIM_WITH_RECORDER
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
    unlink(path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}
#endif
