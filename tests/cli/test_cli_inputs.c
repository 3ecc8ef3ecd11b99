/* test_cli_inputs.c - what the purr command reads: every file has a size
 * limit and must be a regular file, a scene is one YAML document, and
 * every bad input or usage error is one line naming the argument or the
 * file, with exit status 2.
 *
 * Each test is the exact input that once went wrong: `purr run /dev/zero`
 * doubled a buffer until it aborted, a FIFO blocked forever, a second YAML
 * document was dropped with exit 0, `--record ''` said
 * "purr: : cannot switch to WAL mode". purr runs in a child with an alarm
 * (cli_run.h), so a hang fails the test instead of stalling it. Each test
 * works in a directory of its own under /tmp. */
#include "purr_test.h"
#include "cli/cli_run.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-cli-inputs.%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "rm -rf %s && mkdir -p %s/d && mkfifo %s/fifo && "
             "cp " PURR_SCENES_DIR "/pet.yaml %s/",
             dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
remove_dir(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(cli_inputs, .init = make_dir, .fini = remove_dir);

static char out[16384], err[4096];

/* Runs `purr ARGS` in DIR; returns the exit status, output in out/err. */
static int
purr(const char *args)
{
    return cli_run(dir, NULL, args, out, sizeof out, err, sizeof err);
}

/* Asserts that `purr ARGS` exits with 2 and says exactly want (one line)
 * on stderr, and nothing on stdout. */
static void
refused(const char *args, const char *want)
{
    cr_assert_eq(purr(args), 2, "purr %s: %s%s", args, out, err);
    cr_assert_str_eq(err, want, "purr %s said:\n%s", args, err);
    cr_assert_str_eq(out, "", "purr %s", args);
}

/* Runs SQL on the file DIR/name. */
static void
sql(const char *name, const char *stmt)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "%s", path);
    char *msg = NULL;
    int rc = sqlite3_exec(db, stmt, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    sqlite3_close(db);
}

/* Records pet.yaml for an hour into DIR/name, WAL checkpointed. */
static void
record(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "run -q pet.yaml --duration 1h --record %s",
             name);
    cr_assert_eq(purr(cmd), 0, "%s", err);
    sql(name, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* Writes text to DIR/name. */
static void
write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---------------------------------------------------------------------- */
/* Scenes                                                                  */
/* ---------------------------------------------------------------------- */

Test(cli_inputs, a_scene_must_be_a_regular_file)
{
    refused("run /dev/zero",
            "purr: /dev/zero: not a regular file (a scene must be a YAML "
            "file)\n");
    refused("run /dev/null",
            "purr: /dev/null: not a regular file (a scene must be a YAML "
            "file)\n");
    refused("run d", "purr: d: not a regular file (a scene must be a YAML "
                     "file)\n");
    refused("run fifo", "purr: fifo: not a regular file (a scene must be a "
                        "YAML file)\n");
    /* The same loader for --scene and for import's scene. */
    record("a.db");
    refused("replay a.db --scene /dev/zero",
            "purr: /dev/zero: not a regular file (a scene must be a YAML "
            "file)\n");
    refused("import x.csv -o x.db --scene fifo",
            "purr: fifo: not a regular file (a scene must be a YAML "
            "file)\n");
}

Test(cli_inputs, a_scene_is_at_most_4_MiB)
{
    char path[512];
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), (4 << 20) + 1), 0); /* sparse */
    fclose(f);
    refused("run big.yaml", "purr: big.yaml: larger than 4 MiB: not a scene "
                            "file\n");
}

Test(cli_inputs, an_empty_scene_file_is_an_empty_scene)
{
    write_file("empty.yaml", "");
    refused("run empty.yaml", "purr: empty.yaml:1:1: empty scene file\n");
}

Test(cli_inputs, a_second_yaml_document_is_refused)
{
    write_file("two.yaml", "name: two\nduration: 10s\n---\nname: other\n"
                           "duration: 5s\n");
    refused("run two.yaml",
            "purr: two.yaml:3:1: a second YAML document: a scene is one "
            "document (remove the '---' and what follows, or merge it into "
            "the first)\n");
}

/* ---------------------------------------------------------------------- */
/* Recordings and what they name                                           */
/* ---------------------------------------------------------------------- */

Test(cli_inputs, a_recording_must_be_a_regular_file)
{
    refused("replay /dev/zero", "purr: /dev/zero: not a purr recording: not "
                                "a regular file\n");
    refused("replay fifo", "purr: fifo: not a purr recording: not a regular "
                           "file\n");
    refused("replay d", "purr: d: not a purr recording: not a regular file "
                        "(a directory)\n");
}

Test(cli_inputs, a_recorded_scene_that_is_not_a_file)
{
    /* The metadata scene names /dev/zero and there is no scene_text: the
     * replay read /dev/zero until it aborted. */
    record("z.db");
    sql("z.db", "UPDATE run SET value = '/dev/zero' WHERE key = 'scene'; "
                "DELETE FROM run WHERE key = 'scene_text'");
    refused("replay z.db", "purr: /dev/zero: not a regular file (a scene "
                           "must be a YAML file) (the scene of z.db)\n");
}

Test(cli_inputs, a_recorded_scene_text_is_at_most_4_MiB)
{
    record("t.db");
    sql("t.db", "UPDATE run SET value = 'name: t' || char(10) || "
                "'duration: 1s' || char(10) || '#' || "
                "hex(zeroblob(2097152)) WHERE key = 'scene_text'");
    refused("replay t.db", "purr: pet.yaml (scene_text of t.db): larger "
                           "than 4 MiB (4194326 bytes): not a scene\n");
}

Test(cli_inputs, a_recorded_plugin_that_is_not_a_file)
{
    /* Hashing /dev/zero never ends; opening a FIFO waits for a writer. */
    record("p.db");
    sql("p.db", "INSERT OR REPLACE INTO run VALUES ('plugins', "
                "'zero 0000000000000000 /dev/zero')");
    refused("replay p.db", "purr: p.db: the recording's plug-in zero at "
                           "/dev/zero is not a regular file; give it with "
                           "--load\n");
    char stmt[512];
    snprintf(stmt, sizeof stmt,
             "INSERT OR REPLACE INTO run VALUES ('plugins', "
             "'f 0000000000000000 %s/fifo')",
             dir);
    sql("p.db", stmt);
    cr_assert_eq(purr("replay p.db"), 2, "%s%s", out, err);
    cr_assert(strstr(err, "is not a regular file; give it with --load\n"), "%s",
              err);
}

/* ---------------------------------------------------------------------- */
/* Plug-ins and field logs                                                 */
/* ---------------------------------------------------------------------- */

Test(cli_inputs, a_plugin_must_be_a_regular_file)
{
    refused("run --load /dev/zero pet.yaml",
            "purr: /dev/zero: cannot load the plug-in: not a regular "
            "file\n");
    refused("run --load fifo pet.yaml",
            "purr: fifo: cannot load the plug-in: not a regular file\n");
    refused("run --load d pet.yaml",
            "purr: d: cannot load the plug-in: not a regular file\n");
}

Test(cli_inputs, a_log_must_be_a_regular_file_of_lines_of_at_most_1_MiB)
{
    refused("import /dev/zero --format csv -o x.db --scene pet.yaml",
            "purr: /dev/zero: not a regular file (a log must be a "
            "file)\n");
    refused("import fifo --format csv -o x.db --scene pet.yaml",
            "purr: fifo: not a regular file (a log must be a file)\n");
    refused("import d --format csv -o x.db --scene pet.yaml",
            "purr: d: not a regular file (a log must be a file)\n");
    /* Without --format, /dev/zero's name gives no format: said first. */
    refused("import /dev/zero -o x.db --scene pet.yaml",
            "purr: /dev/zero: unknown log format (name it .csv or .jsonl, or "
            "give the format)\n");
    char path[512];
    snprintf(path, sizeof path, "%s/big.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), (1L << 30) + 1), 0); /* sparse */
    fclose(f);
    /* Logs are streamed, so size is no limit; a line is (1 MiB): the
     * 1 GiB of zeros is refused at its first line, in constant memory. */
    refused("import big.csv -o x.db --scene pet.yaml",
            "purr: big.csv:1: line longer than 1024 KiB: not a text log\n");
    snprintf(path, sizeof path, "%s/x.db", dir);
    cr_assert_neq(access(path, F_OK), 0);
}

/* The new recording is renamed over the output's path: as root, `purr run
 * --record /dev/null --force` replaced /dev/null with a regular file. A
 * path that exists and is not a regular file is refused before anything
 * runs (tested on a FIFO and a directory of the test's own, never on
 * /dev/null). */
Test(cli_inputs, an_output_that_is_not_a_regular_file)
{
    record("a.db");
    write_file("x.csv", "time,value,datum\n0,battery,50.0\n");
    const char *tail = ": is not a regular file; choose a file name\n";
    char want[256];
    snprintf(want, sizeof want, "purr: fifo%s", tail);
    refused("run -q pet.yaml --record fifo --force", want);
    refused("replay a.db --record fifo --force", want);
    refused("run -q pet.yaml --record d --force",
            "purr: d: is a directory; choose a file name\n");
    refused("import x.csv -o fifo --force --scene pet.yaml", want);
    struct stat st;
    char path[512];
    snprintf(path, sizeof path, "%s/fifo", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode));
}

/* ---------------------------------------------------------------------- */
/* Messages name the argument                                              */
/* ---------------------------------------------------------------------- */

Test(cli_inputs, empty_arguments_are_usage_errors_naming_the_option)
{
    record("a.db");
    write_file("x.csv", "time,value,datum\n0,battery,50.0\n");
    refused("run pet.yaml --record ''",
            "purr: run: --record needs a value, got '' (see 'purr run "
            "--help')\n");
    refused("run pet.yaml --load ''",
            "purr: run: --load needs a value, got '' (see 'purr run "
            "--help')\n");
    refused("run ''", "purr: run: the scene's file name is empty (see 'purr "
                      "run --help')\n");
    refused("replay a.db --scene ''",
            "purr: replay: an empty argument after --scene (see 'purr "
            "replay --help')\n");
    refused("replay a.db --junit ''",
            "purr: replay: an empty argument after --junit (see 'purr "
            "replay --help')\n");
    refused("replay a.db --record ''",
            "purr: replay: an empty argument after --record (see 'purr "
            "replay --help')\n");
    refused("replay a.db --load ''",
            "purr: replay: an empty argument after --load (see 'purr "
            "replay --help')\n");
    refused("replay ''", "purr: replay: a recording's file name is empty "
                         "(see 'purr replay --help')\n");
    refused("import x.csv -o '' --scene pet.yaml",
            "purr: import: an empty argument after '-o' (see 'purr import "
            "--help')\n");
    refused("import x.csv -o x.db --scene ''",
            "purr: import: an empty argument after '--scene' (see 'purr "
            "import --help')\n");
    refused("import '' -o x.db --scene pet.yaml",
            "purr: import: the log's file name is empty (see 'purr import "
            "--help')\n");
    /* purr plot and purr view exist only in builds with the window. */
    if (purr("plot --help") == 0) {
        refused("plot a.db -o ''", "purr: plot: -o needs a value, got '' "
                                   "(see 'purr plot --help')\n");
        refused("plot '' -o x.png", "purr: plot: the recording's file name "
                                    "is empty (see 'purr plot --help')\n");
        refused("view a.db --screenshot ''",
                "purr: view: --screenshot needs a file name, got '' (see "
                "'purr view --help')\n");
    }
}

Test(cli_inputs, plot_names_the_option_of_a_bad_time)
{
    if (purr("plot --help") != 0)
        return; /* no window in this build */
    record("a.db");
    refused("plot a.db -o x.png --from abc",
            "purr: plot: --from expects a time with a unit (e.g. 0s, 90s, "
            "24h), got 'abc' (see 'purr plot --help')\n");
    refused("plot a.db -o x.png --to abc",
            "purr: plot: --to expects a time with a unit (e.g. 0s, 90s, "
            "24h), got 'abc' (see 'purr plot --help')\n");
}

Test(cli_inputs, import_names_its_output_not_its_temporary_file)
{
    write_file("x.csv", "time,value,datum\n0,battery,50.0\n1,battery,40\n");
    cr_assert_eq(purr("import x.csv -o nodir/x.db --scene pet.yaml"), 3, "%s%s",
                 out, err);
    cr_assert_str_eq(err, "purr: nodir/x.db: cannot create: No such file or "
                          "directory\n");
}

Test(cli_inputs, import_has_help)
{
    cr_assert_eq(purr("import --help"), 0, "%s", err);
    cr_assert(strstr(out, "usage: purr import LOG -o FILE.db --scene "
                          "SCENE"),
              "%s", out);
    cr_assert(strstr(out, "3 the\nrecording could not be written"), "%s", out);
}
