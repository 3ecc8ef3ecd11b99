/* test_cli_outputs.c - the files purr writes, through the stock `purr`:
 * every verb refuses an output that is one of its inputs (by name and by
 * a hard link: the same inode under another name) and an existing file of
 * another kind without --force, with one line naming the file, exit status
 * 2 and the file's bytes unchanged; with --force (where it applies) the
 * file is replaced. And a write that fails (a file size limit, set in the
 * child with RLIMIT_FSIZE and SIGXFSZ ignored) leaves the old file byte for
 * byte, no temporary file, and a non-zero exit status.
 *
 * Each test works in a directory of its own under /tmp; the scenes are
 * purr's own (PURR_SCENES_DIR). */
#include "purr_test.h"
#include "purr_cmd.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-cli-outputs", "tmp");
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(outputs, .init = make_dir, .fini = remove_dir);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static char out[16384], err[4096];

/* Runs `cd DIR && purr ARGS`; stdout and stderr into out and err. Returns
 * the exit status. */
static int
purr(const char *args)
{
    return purr_cmd_in(dir, args, out, sizeof out, err, sizeof err);
}

/* Runs a shell command in DIR; asserts it succeeded. */
static void
sh(const char *cmd)
{
    char full[1200];
    snprintf(full, sizeof full, "cd %s && %s", dir, cmd);
    cr_assert_eq(system(full), 0, "%s", full);
}

/* The path of DIR/name in a static buffer (one at a time). */
static const char *
at(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* A file's bytes, as a snapshot to compare with later. */
typedef struct bytes {
    char *p;
    size_t len;
} bytes;

static bytes
slurp(const char *name)
{
    FILE *f = fopen(at(name), "rb");
    cr_assert_not_null(f, "cannot read %s", name);
    bytes b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.len == cap) {
            cap = cap ? 2 * cap : 65536;
            b.p = realloc(b.p, cap);
            cr_assert_not_null(b.p);
        }
        size_t n = fread(b.p + b.len, 1, cap - b.len, f);
        if (n == 0)
            break;
        b.len += n;
    }
    fclose(f);
    return b;
}

/* Asserts that name still holds exactly the bytes of before. */
static void
assert_unchanged(const char *name, bytes before)
{
    bytes now = slurp(name);
    cr_assert(now.len == before.len && memcmp(now.p, before.p, now.len) == 0,
              "%s changed (%zu bytes, was %zu)", name, now.len, before.len);
    free(now.p);
}

/* True when the file name starts with the len bytes of magic. */
static bool
starts_with(const char *name, const char *magic, size_t len)
{
    bytes b = slurp(name);
    bool yes = b.len >= len && memcmp(b.p, magic, len) == 0;
    free(b.p);
    return yes;
}

#define PNG_MAGIC "\x89PNG\r\n\x1a\n", 8
#define XML_MAGIC "<?xml", 5
#define SQLITE_MAGIC "SQLite format 3", 16

static void
write_text(const char *name, const char *text)
{
    FILE *f = fopen(at(name), "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* The names in DIR, sorted, one per line (the listing compared before and
 * after a failed write: a temporary file left behind shows). */
static char *
listing(void)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    cr_assert_geq(n, 0);
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t l = strlen(nm);
        if (strcmp(nm, ".") && strcmp(nm, "..") && strcmp(nm, ".out") &&
            strcmp(nm, ".err")) {
            while (len + l + 2 > cap)
                s = realloc(s, cap *= 2);
            memcpy(s + len, nm, l);
            len += l;
            s[len++] = '\n';
            s[len] = '\0';
        }
        free(names[i]);
    }
    free(names);
    return s;
}

/* Asserts that err is one line naming name. */
static void
assert_one_line_naming(const char *name)
{
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);
    cr_assert_not_null(strstr(err, name), "%s", err);
}

/* Runs `purr ARGS` (split at spaces) in DIR in a child whose files may
 * not grow beyond limit bytes (RLIMIT_FSIZE), with SIGXFSZ ignored so that
 * a write past the limit fails with EFBIG instead of killing the process.
 * Temporary recordings go to DIR/TMPDIR; stdout is dropped and stderr (a
 * pipe, which the limit does not touch) lands in err. Returns the exit
 * status; asserts the child was not killed. */
static int
purr_limited_in(const char *tmpdir, long limit, const char *args)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", args);
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)PURR_BIN;
    for (char *t = strtok(copy, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%s/%s", dir, tmpdir);
        int null = open("/dev/null", O_WRONLY);
        if (chdir(dir) != 0 || setenv("TMPDIR", tmp, 1) != 0 || null < 0 ||
            dup2(null, STDOUT_FILENO) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
            _exit(126);
        close(fds[0]);
        struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(126);
        execv(PURR_BIN, argv);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], err + n, sizeof err - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "purr %s: killed by signal %d", args,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    cr_assert_neq(WEXITSTATUS(status), 126, "the child could not be set up");
    return WEXITSTATUS(status);
}

static int
purr_limited(long limit, const char *args)
{
    return purr_limited_in("tmp", limit, args);
}

/* A recording of pet.yaml's first hour, a.db, in DIR. */
static void
record_a(void)
{
    int st = purr("run -q --headless --duration 1h --record a.db "
                  PURR_SCENES_DIR "/pet.yaml");
    cr_assert(st == 0 || st == 1, "%s", err);
}

/* ---------------------------------------------------------------------- */
/* Outputs that are inputs, and files of another kind                      */
/* ---------------------------------------------------------------------- */

#ifdef PURR_TEST_WITH_VIEW
Test(outputs, plot_refuses_its_recording_and_other_kinds)
{
    record_a();
    bytes a = slurp("a.db");
    /* The recording itself, by its name and by a hard link. */
    cr_assert_eq(purr("plot a.db -o a.db"), 2, "%s", err);
    assert_one_line_naming("a.db");
    assert_unchanged("a.db", a);
    sh("ln a.db link.db");
    cr_assert_eq(purr("plot a.db -o link.db --force"), 2, "%s", err);
    assert_one_line_naming("link.db");
    assert_unchanged("a.db", a);
    /* Another recording, and a text file, named .png: not PNGs. */
    sh("cp a.db b.png");
    cr_assert_eq(purr("plot a.db -o b.png"), 2, "%s", err);
    assert_one_line_naming("b.png");
    assert_unchanged("b.png", a);
    write_text("notes.png", "keep me\n");
    bytes notes = slurp("notes.png");
    cr_assert_eq(purr("plot a.db -o notes.png"), 2, "%s", err);
    assert_one_line_naming("notes.png");
    cr_assert_not_null(strstr(err, "--force"), "%s", err);
    assert_unchanged("notes.png", notes);
    /* The format is the extension's: .png or .svg, nothing else, even
     * with --force. */
    write_text("notes.txt", "keep me\n");
    cr_assert_eq(purr("plot a.db -o notes.txt --force"), 2, "%s", err);
    assert_one_line_naming("notes.txt");
    assert_unchanged("notes.txt", notes);
    /* --force replaces it; a PNG is then replaced without it. */
    cr_assert_eq(purr("plot a.db -o notes.png --force"), 0, "%s", err);
    cr_assert(starts_with("notes.png", PNG_MAGIC));
    cr_assert_eq(purr("plot a.db -o notes.png --width 300"), 0, "%s", err);
    cr_assert(starts_with("notes.png", PNG_MAGIC));
    /* A directory is no file to write, whatever --force says. */
    sh("mkdir d.png");
    cr_assert_eq(purr("plot a.db -o d.png --force"), 2, "%s", err);
    assert_one_line_naming("d.png");
    free(a.p);
    free(notes.p);
}

Test(outputs, view_screenshot_refuses_its_recording_and_other_kinds)
{
    record_a();
    bytes a = slurp("a.db");
    cr_assert_eq(purr("view a.db --screenshot a.db"), 2, "%s", err);
    assert_one_line_naming("a.db");
    assert_unchanged("a.db", a);
    sh("ln a.db link.db");
    cr_assert_eq(purr("view a.db --screenshot link.db --force"), 2, "%s",
                 err);
    assert_one_line_naming("link.db");
    assert_unchanged("a.db", a);
    write_text("notes.txt", "keep me\n");
    bytes notes = slurp("notes.txt");
    cr_assert_eq(purr("view a.db --screenshot notes.txt"), 2, "%s", err);
    assert_one_line_naming("notes.txt");
    assert_unchanged("notes.txt", notes);
    cr_assert_eq(purr("view a.db --screenshot notes.txt --force"), 0, "%s",
                 err);
    cr_assert(starts_with("notes.txt", PNG_MAGIC));
    /* --force without --screenshot is bad usage. */
    cr_assert_eq(purr("view a.db --force"), 2, "%s", err);
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);
    free(a.p);
    free(notes.p);
}

Test(outputs, run_screenshot_refuses_its_scene_and_other_kinds)
{
    sh("cp " PURR_SCENES_DIR "/talk.yaml s.yaml");
    bytes s = slurp("s.yaml");
    cr_assert_eq(purr("run -q --headless s.yaml --screenshot s.yaml"), 2,
                 "%s", err);
    assert_one_line_naming("s.yaml");
    assert_unchanged("s.yaml", s);
    sh("ln s.yaml link.yaml");
    cr_assert_eq(purr("run -q --headless s.yaml --screenshot link.yaml "
                      "--force"),
                 2, "%s", err);
    assert_one_line_naming("link.yaml");
    assert_unchanged("s.yaml", s);
    /* The recording over the scene, even with --force; and the two outputs
     * given one name. */
    cr_assert_eq(purr("run -q --headless s.yaml --record s.yaml --force"), 2,
                 "%s", err);
    assert_one_line_naming("s.yaml");
    assert_unchanged("s.yaml", s);
    cr_assert_eq(purr("run -q --headless s.yaml --record x --screenshot x"),
                 2, "%s", err);
    assert_one_line_naming("x");
    cr_assert_neq(access(at("x"), F_OK), 0, "x was written");
    /* Another kind of file, then --force. */
    write_text("notes.txt", "keep me\n");
    bytes notes = slurp("notes.txt");
    cr_assert_eq(purr("run -q --headless s.yaml --screenshot notes.txt"), 2,
                 "%s", err);
    assert_one_line_naming("notes.txt");
    assert_unchanged("notes.txt", notes);
    cr_assert_eq(purr("run -q --headless s.yaml --screenshot notes.txt "
                      "--force"),
                 0, "%s", err);
    cr_assert(starts_with("notes.txt", PNG_MAGIC));
    free(s.p);
    free(notes.p);
}
#endif

Test(outputs, replay_junit_refuses_recordings_and_other_kinds)
{
    record_a();
    sh("cp a.db b.db");
    bytes a = slurp("a.db");
    cr_assert_eq(purr("replay a.db --junit a.db"), 2, "%s", err);
    assert_one_line_naming("a.db");
    assert_unchanged("a.db", a);
    /* Another recording being replayed, by name and by a hard link. */
    cr_assert_eq(purr("replay a.db b.db --junit b.db --force"), 2, "%s", err);
    assert_one_line_naming("b.db");
    assert_unchanged("b.db", a);
    sh("ln a.db link.db");
    cr_assert_eq(purr("replay a.db --junit link.db --force"), 2, "%s", err);
    assert_one_line_naming("link.db");
    assert_unchanged("a.db", a);
    /* A recording not replayed is not a report either. */
    cr_assert_eq(purr("replay a.db --junit b.db"), 2, "%s", err);
    assert_one_line_naming("b.db");
    cr_assert_not_null(strstr(err, "--force"), "%s", err);
    assert_unchanged("b.db", a);
    /* --record over the recording replayed, even with --force; both
     * outputs given one name. */
    cr_assert_eq(purr("replay a.db --record a.db --force"), 2, "%s", err);
    assert_one_line_naming("a.db");
    assert_unchanged("a.db", a);
    cr_assert_eq(purr("replay a.db --record x --junit x"), 2, "%s", err);
    assert_one_line_naming("x");
    cr_assert_neq(access(at("x"), F_OK), 0, "x was written");
    /* A report is replaced without --force; another file only with it. */
    cr_assert_eq(purr("replay a.db --junit r.xml"), 0, "%s", err);
    cr_assert(starts_with("r.xml", XML_MAGIC));
    cr_assert_eq(purr("replay a.db b.db --junit r.xml"), 0, "%s", err);
    write_text("notes.txt", "keep me\n");
    bytes notes = slurp("notes.txt");
    cr_assert_eq(purr("replay a.db --junit notes.txt"), 2, "%s", err);
    assert_one_line_naming("notes.txt");
    assert_unchanged("notes.txt", notes);
    cr_assert_eq(purr("replay a.db --junit notes.txt --force"), 0, "%s", err);
    cr_assert(starts_with("notes.txt", XML_MAGIC));
    free(a.p);
    free(notes.p);
}

static const char log_csv[] = "time,value,datum\n"
                              "0,battery,60\n"
                              "1,touched,true\n"
                              "6,touched,false\n";

Test(outputs, import_refuses_its_log_and_scene)
{
    sh("cp " PURR_SCENES_DIR "/pet.yaml s.yaml");
    write_text("l.csv", log_csv);
    bytes l = slurp("l.csv"), s = slurp("s.yaml");
    cr_assert_eq(purr("import l.csv -o l.csv --scene s.yaml --force"), 2,
                 "%s", err);
    assert_one_line_naming("l.csv");
    assert_unchanged("l.csv", l);
    sh("ln l.csv link.csv");
    cr_assert_eq(purr("import l.csv -o link.csv --scene s.yaml --force"), 2,
                 "%s", err);
    assert_one_line_naming("link.csv");
    assert_unchanged("l.csv", l);
    cr_assert_eq(purr("import l.csv -o s.yaml --scene s.yaml --force"), 2,
                 "%s", err);
    assert_one_line_naming("s.yaml");
    assert_unchanged("s.yaml", s);
    /* Another kind of file: only with --force. */
    write_text("notes.txt", "keep me\n");
    bytes notes = slurp("notes.txt");
    cr_assert_eq(purr("import l.csv -o notes.txt --scene s.yaml"), 2, "%s",
                 err);
    assert_one_line_naming("notes.txt");
    assert_unchanged("notes.txt", notes);
    cr_assert_eq(purr("import l.csv -o notes.txt --scene s.yaml --force"), 0,
                 "%s", err);
    cr_assert(starts_with("notes.txt", SQLITE_MAGIC));
    free(l.p);
    free(s.p);
    free(notes.p);
}

/* ---------------------------------------------------------------------- */
/* Failed writes                                                           */
/* ---------------------------------------------------------------------- */

#ifdef PURR_TEST_WITH_VIEW
Test(outputs, plot_write_failure_keeps_the_old_png)
{
    record_a();
    cr_assert_eq(purr("plot a.db -o old.png --width 64 --height 32"), 0,
                 "%s", err);
    bytes old = slurp("old.png");
    char *before = listing();
    cr_assert_neq(purr_limited(2048, "plot a.db -o old.png"), 0, "%s", err);
    assert_one_line_naming("old.png");
    assert_unchanged("old.png", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}

Test(outputs, view_screenshot_write_failure_keeps_the_old_png)
{
    record_a();
    cr_assert_eq(purr("plot a.db -o old.png --width 64 --height 32"), 0,
                 "%s", err);
    bytes old = slurp("old.png");
    char *before = listing();
    cr_assert_neq(purr_limited(2048, "view a.db --screenshot old.png"), 0,
                  "%s", err);
    assert_one_line_naming("old.png");
    assert_unchanged("old.png", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}

Test(outputs, run_screenshot_write_failure_keeps_the_old_png)
{
    record_a();
    cr_assert_eq(purr("plot a.db -o old.png --width 64 --height 32"), 0,
                 "%s", err);
    bytes old = slurp("old.png");
    char *before = listing();
    /* Without a TMPDIR to put it in, the run keeps no recording of its
     * own (which would fail under the limit first): the screenshot is the
     * only file written. */
    cr_assert_neq(purr_limited_in("none", 2048,
                                  "run -q --headless --screenshot old.png "
                                  PURR_SCENES_DIR "/talk.yaml"),
                  0, "%s", err);
    assert_one_line_naming("old.png");
    assert_unchanged("old.png", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}
#endif

Test(outputs, replay_junit_write_failure_keeps_the_old_report)
{
    record_a();
    write_text("r.xml", "<?xml version=\"1.0\"?>\n<testsuites/>\n");
    bytes old = slurp("r.xml");
    char *before = listing();
    cr_assert_neq(purr_limited(64, "replay a.db --junit r.xml"), 0, "%s",
                  err);
    assert_one_line_naming("r.xml");
    assert_unchanged("r.xml", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}

Test(outputs, import_write_failure_keeps_the_old_recording)
{
    sh("cp " PURR_SCENES_DIR "/pet.yaml s.yaml");
    write_text("l.csv", log_csv);
    cr_assert_eq(purr("import l.csv -o old.db --scene s.yaml"), 0, "%s", err);
    bytes old = slurp("old.db");
    char *before = listing();
    cr_assert_neq(purr_limited(4096,
                               "import l.csv -o old.db --scene s.yaml --force"),
                  0, "%s", err);
    cr_assert_not_null(strstr(err, "old.db"), "%s", err);
    assert_unchanged("old.db", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}

Test(outputs, run_record_write_failure_keeps_the_old_recording)
{
    record_a();
    bytes old = slurp("a.db");
    char *before = listing();
    cr_assert_neq(purr_limited(8192, "run -q --headless --duration 1h "
                                     "--record a.db --force "
                                     PURR_SCENES_DIR "/pet.yaml"),
                  0, "%s", err);
    cr_assert_not_null(strstr(err, "a.db"), "%s", err);
    assert_unchanged("a.db", old);
    char *after = listing();
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    free(old.p);
}
