/* test_across.c - `purr run SCENE --check-determinism --across CMD`: the
 * same build across is identical, another build (here: the same purr
 * told another seed by a wrapper) is caught, and bad commands are one
 * line and exit 2.
 *
 * The aarch64 build under qemu is checked by scripts/cross-aarch64.sh. */
#include "purr_test.h"
#include "purr_cmd.h"

#include <string.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-across-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(across, .init = make_dir, .fini = remove_dir);

static char out[16384], err[4096];

/* Runs `purr run pet.yaml --duration 2h --check-determinism --across
 * ACROSS` (ACROSS already quoted for the shell). */
static int
across(const char *quoted)
{
    char args[2048];
    snprintf(args, sizeof args,
             "run " PURR_SCENES_DIR "/pet.yaml --duration 2h "
             "--check-determinism --across %s",
             quoted);
    return purr_cmd_in(dir, args, out, sizeof out, err, sizeof err);
}

/* The number of entries in dir (recordings left behind), less the
 * command's .out and .err. */
static int
entries(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -vc '^\\.\\(out\\|err\\)$'",
             dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert(p && fscanf(p, "%d", &n) == 1);
    pclose(p);
    return n;
}

Test(across, same_build_is_identical)
{
    cr_assert_eq(across("'" PURR_BIN "'"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "identical ("), "%s", out);
    cr_assert(strstr(out, "deterministic across builds"), "%s", out);
    cr_assert_eq(entries(), 0, "the recordings are removed when identical");
}

/* A "build" that records other bits: the same purr, with --seed 99 added
 * after the arguments it is given. */
Test(across, another_build_is_caught)
{
    cr_assert_eq(
        across("'sh -c '\\''exec \"$0\" \"$@\" --seed 99'\\'' " PURR_BIN "'"),
        1, "%s%s", out, err);
    cr_assert(strstr(out, "DIFFERENT at transition"), "%s", out);
    cr_assert(strstr(out, "NOT deterministic across builds: recordings "
                          "kept in "),
              "%s", out);
    cr_assert_eq(entries(), 1, "the recordings are kept when different");
}

Test(across, other_arguments_are_passed_on)
{
    /* The wrapper records what it was given and runs purr with it. */
    char args[1024];
    snprintf(args, sizeof args,
             "'sh -c '\\''echo \"$@\" > args.txt; exec \"$0\" \"$@\"'\\'' "
             "%s'",
             PURR_BIN);
    char run[2048];
    snprintf(run, sizeof run,
             "run " PURR_SCENES_DIR "/pet.yaml --duration 1h --seed 7 "
             "--check-determinism --across %s",
             args);
    cr_assert_eq(purr_cmd_in(dir, run, out, sizeof out, err, sizeof err), 0,
                 "%s%s", out, err);
    char path[128], line[1024] = "";
    snprintf(path, sizeof path, "%s/args.txt", dir);
    FILE *f = fopen(path, "r");
    cr_assert(f && fgets(line, sizeof line, f));
    fclose(f);
    cr_assert(strstr(line, "run " PURR_SCENES_DIR "/pet.yaml --duration 1h "
                           "--seed 7 --record "),
              "%s", line);
    cr_assert(strstr(line, "--headless -q"), "%s", line);
    cr_assert(!strstr(line, "--check-determinism"), "%s", line);
    cr_assert(!strstr(line, "--across"), "%s", line);
}

Test(across, bad_commands)
{
    cr_assert_eq(across("'/nonexistent/purr'"), 2);
    cr_assert(strstr(err, "cannot run '/nonexistent/purr'"), "%s", err);
    cr_assert(strstr(err, "recorded nothing"), "%s", err);

    cr_assert_eq(across("\"'unclosed\""), 2);
    cr_assert(strstr(err, "unclosed quote"), "%s", err);
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);

    cr_assert_eq(across("'  '"), 2);
    cr_assert(strstr(err, "no command"), "%s", err);

    /* A command that is not a purr: exits 2 without a recording. */
    cr_assert_eq(across("false"), 2);
    cr_assert(strstr(err, "'false' exited with status 1 and recorded "
                          "nothing"),
              "%s", err);

    cr_assert_eq(purr_cmd_in(dir, "run " PURR_SCENES_DIR "/pet.yaml --across x",
                             out, sizeof out, err, sizeof err),
                 2);
    cr_assert(strstr(err, "--across goes with --check-determinism"), "%s", err);
    cr_assert_eq(entries(), 0, "nothing is left behind");
}
