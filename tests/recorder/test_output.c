/* test_output.c - purr_output (recorder.h, "Files purr writes"): the
 * check refuses an output that is an input (by name, by hard link, by two
 * new names for one file), a non-regular file, and an existing file of
 * another kind unless forced; writing goes through a temporary file that
 * only a complete, error-free close renames into place, keeping the old
 * file's mode and a symbolic link; a failed write (RLIMIT_FSIZE, in a
 * child) or a discard leaves the old file byte for byte and no temporary
 * file. Each test works in a directory of its own under /tmp. */
#include "purr_test.h"

#include <purr/recorder.h>
#include <purr/replay.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-output-test.%d", (int)getpid());
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(chdir(dir), 0);
}

static void
remove_dir(void)
{
    char cmd[160];
    cr_assert_eq(chdir("/"), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(output, .init = make_dir, .fini = remove_dir);

static void
write_bytes(const char *name, const void *p, size_t len)
{
    FILE *f = fopen(name, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static void
write_text(const char *name, const char *text)
{
    write_bytes(name, text, strlen(text));
}

/* name's content, NUL-terminated (static buffer, one at a time). */
static const char *
content(const char *name)
{
    static char buf[4096];
    FILE *f = fopen(name, "rb");
    cr_assert_not_null(f, "cannot read %s", name);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The number of entries of the test's directory that are temporary
 * files. */
static int
temps(void)
{
    DIR *d = opendir(".");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".purr-tmp-") != NULL;
    closedir(d);
    return n;
}

static int
check(const char *path, const char *const *others, size_t n,
      purr_output_kind kind, bool force, purr_diag *diag)
{
    memset(diag, 0, sizeof *diag);
    return purr_output_check(path, others, n, kind, force, diag);
}

/* ---------------------------------------------------------------------- */
/* The check                                                               */
/* ---------------------------------------------------------------------- */

Test(output, an_input_is_refused_by_name_link_and_new_name)
{
    purr_diag diag;
    write_text("in.db", "SQLite format 3");
    const char *in[] = {NULL, "in.db"};
    purr_assert_err(check("in.db", in, 2, PURR_OUTPUT_PNG, true, &diag),
                    PURR_EEXIST);
    cr_assert_str_eq(diag.file, "in.db");
    cr_assert_eq(link("in.db", "hard.db"), 0);
    purr_assert_err(check("hard.db", in, 2, PURR_OUTPUT_RECORDING, true,
                          &diag),
                    PURR_EEXIST);
    cr_assert_str_eq(diag.file, "hard.db");
    cr_assert_not_null(strstr(diag.message, "in.db"), "%s", diag.message);
    /* Through another directory name. */
    char other[128];
    snprintf(other, sizeof other, "%s/in.db", dir);
    purr_assert_err(check(other, in, 2, PURR_OUTPUT_PNG, true, &diag),
                    PURR_EEXIST);
    /* Two new names for one file: the same name in the same directory. */
    const char *out2[] = {"./new.png"};
    purr_assert_err(check("new.png", out2, 1, PURR_OUTPUT_PNG, false, &diag),
                    PURR_EEXIST);
    const char *out3[] = {"other.png"};
    purr_assert_ok(check("new.png", out3, 1, PURR_OUTPUT_PNG, false, &diag));
    purr_assert_ok(check("new.png", NULL, 0, PURR_OUTPUT_RECORDING, false,
                         &diag));
}

Test(output, another_kind_needs_force)
{
    purr_diag diag;
    static const unsigned char png[] = {0x89, 'P', 'N',  'G',  '\r',
                                        '\n', 0x1a, '\n', 0,    0};
    write_bytes("a.png", png, sizeof png);
    write_text("a.txt", "notes\n");
    write_text("a.xml", "<?xml version=\"1.0\"?><testsuites/>\n");
    write_text("b.xml", "<testsuites></testsuites>\n");
    write_bytes("a.db", "SQLite format 3\0rest", 20);
    write_text("empty", "");

    purr_assert_ok(check("a.png", NULL, 0, PURR_OUTPUT_PNG, false, &diag));
    purr_assert_err(check("a.txt", NULL, 0, PURR_OUTPUT_PNG, false, &diag),
                    PURR_EEXIST);
    cr_assert_str_eq(diag.file, "a.txt");
    cr_assert_not_null(strstr(diag.message, "--force"), "%s", diag.message);
    purr_assert_ok(check("a.txt", NULL, 0, PURR_OUTPUT_PNG, true, &diag));
    purr_assert_err(check("a.db", NULL, 0, PURR_OUTPUT_PNG, false, &diag),
                    PURR_EEXIST);

    purr_assert_ok(check("a.xml", NULL, 0, PURR_OUTPUT_XML, false, &diag));
    purr_assert_ok(check("b.xml", NULL, 0, PURR_OUTPUT_XML, false, &diag));
    purr_assert_err(check("a.png", NULL, 0, PURR_OUTPUT_XML, false, &diag),
                    PURR_EEXIST);
    purr_assert_err(check("a.db", NULL, 0, PURR_OUTPUT_XML, false, &diag),
                    PURR_EEXIST);

    /* A recording is replaced only when forced, even by a recording. */
    purr_assert_err(check("a.db", NULL, 0, PURR_OUTPUT_RECORDING, false,
                          &diag),
                    PURR_EEXIST);
    cr_assert_str_eq(diag.message, "already exists; give --force to replace "
                                   "it");
    purr_assert_err(check("a.png", NULL, 0, PURR_OUTPUT_RECORDING, false,
                          &diag),
                    PURR_EEXIST);
    cr_assert_not_null(strstr(diag.message, "not a recording"), "%s",
                       diag.message);
    purr_assert_ok(check("a.db", NULL, 0, PURR_OUTPUT_RECORDING, true,
                         &diag));

    /* An empty file holds nothing to lose; but a recording's output is
     * never replaced unasked (the recorder refuses any existing file). */
    purr_assert_ok(check("empty", NULL, 0, PURR_OUTPUT_PNG, false, &diag));
    purr_assert_ok(check("empty", NULL, 0, PURR_OUTPUT_XML, false, &diag));
    purr_assert_err(check("empty", NULL, 0, PURR_OUTPUT_RECORDING, false,
                          &diag),
                    PURR_EEXIST);
}

Test(output, a_non_regular_file_is_refused_even_forced)
{
    purr_diag diag;
    cr_assert_eq(mkdir("d.png", 0755), 0);
    purr_assert_err(check("d.png", NULL, 0, PURR_OUTPUT_PNG, true, &diag),
                    PURR_EEXIST);
    cr_assert_str_eq(diag.file, "d.png");
    purr_assert_err(check("/dev/null", NULL, 0, PURR_OUTPUT_XML, true,
                          &diag),
                    PURR_EEXIST);
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */
/* ---------------------------------------------------------------------- */

Test(output, close_publishes_the_whole_file)
{
    purr_diag diag = {0};
    purr_output out;
    umask(022);
    purr_assert_ok(purr_output_open(&out, "new.txt", &diag));
    cr_assert_not_null(out.file);
    cr_assert_not_null(strstr(out.tmp_path, ".new.txt.purr-tmp-"), "%s",
                       out.tmp_path);
    fputs("hello\n", out.file);
    cr_assert_neq(access("new.txt", F_OK), 0, "written before close");
    cr_assert_eq(temps(), 1);
    purr_assert_ok(purr_output_close(&out, &diag));
    cr_assert_str_eq(content("new.txt"), "hello\n");
    cr_assert_eq(temps(), 0);
    struct stat st;
    cr_assert_eq(stat("new.txt", &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644, "mode %o", st.st_mode & 0777);
    /* A replacement keeps the old file's mode. */
    cr_assert_eq(chmod("new.txt", 0640), 0);
    purr_assert_ok(purr_output_open(&out, "new.txt", &diag));
    fputs("again\n", out.file);
    purr_assert_ok(purr_output_close(&out, &diag));
    cr_assert_str_eq(content("new.txt"), "again\n");
    cr_assert_eq(stat("new.txt", &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
    /* A zeroed output (after a failed open) is a no-op. */
    memset(&out, 0, sizeof out);
    purr_assert_ok(purr_output_close(&out, &diag));
    purr_output_discard(&out);
}

Test(output, a_symbolic_link_stays_a_link)
{
    purr_diag diag = {0};
    purr_output out;
    write_text("target.txt", "old\n");
    cr_assert_eq(symlink("target.txt", "link.txt"), 0);
    purr_assert_ok(purr_output_open(&out, "link.txt", &diag));
    fputs("new\n", out.file);
    purr_assert_ok(purr_output_close(&out, &diag));
    struct stat st;
    cr_assert_eq(lstat("link.txt", &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
    cr_assert_str_eq(content("target.txt"), "new\n");
    cr_assert_eq(temps(), 0);
}

Test(output, discard_leaves_the_old_file)
{
    purr_diag diag = {0};
    purr_output out;
    write_text("keep.txt", "old\n");
    purr_assert_ok(purr_output_open(&out, "keep.txt", &diag));
    fputs("new\n", out.file);
    purr_output_discard(&out);
    cr_assert_str_eq(content("keep.txt"), "old\n");
    cr_assert_eq(temps(), 0);
    cr_assert_null(out.file);
}

Test(output, open_in_a_missing_directory_names_the_path)
{
    purr_diag diag = {0};
    purr_output out;
    purr_assert_err(purr_output_open(&out, "no/such/dir/x.png", &diag),
                    PURR_ENOENT);
    cr_assert_str_eq(diag.file, "no/such/dir/x.png");
    cr_assert_null(out.file);
    purr_output_discard(&out); /* zeroed: a no-op */
}

/* In a child whose files may not grow beyond 1 KiB (SIGXFSZ ignored, so a
 * write past it fails with EFBIG): writes 64 KiB through purr_output to
 * old.txt (or, junit, a JUnit report through purr_replay_junit). Exits 0
 * when close failed with PURR_EIO and a message naming old.txt, 1 when
 * it succeeded, 2 otherwise. */
static int
write_limited(bool junit)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct rlimit rl = {1024, 1024};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(3);
        if (junit) {
            static purr_replay_report reps[64];
            for (size_t i = 0; i < 64; i++) {
                snprintf(reps[i].file, sizeof reps[i].file,
                         "recording-%zu-with-a-long-name.db", i);
                reps[i].outcome = PURR_REPLAY_IDENTICAL;
            }
            int rc = purr_replay_junit("old.txt", reps, 64);
            _exit(rc == PURR_EIO ? 0 : rc == 0 ? 1 : 2);
        }
        purr_diag diag = {0};
        purr_output out;
        if (purr_output_open(&out, "old.txt", &diag) < 0)
            _exit(2);
        for (int i = 0; i < 1024; i++)
            fputs("0123456789abcdef0123456789abcdef0123456789abcdef"
                  "0123456789abcde\n",
                  out.file);
        int rc = purr_output_close(&out, &diag);
        if (rc == 0)
            _exit(1);
        _exit(rc == PURR_EIO && strcmp(diag.file, "old.txt") == 0 &&
                      strstr(diag.message, "unchanged")
                  ? 0
                  : 2);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the writer was killed (signal %d)",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return WEXITSTATUS(status);
}

Test(output, a_failed_write_leaves_the_old_file_and_no_temporary)
{
    write_text("old.txt", "the old file\n");
    cr_assert_eq(write_limited(false), 0);
    cr_assert_str_eq(content("old.txt"), "the old file\n");
    cr_assert_eq(temps(), 0);
}

Test(output, a_failed_junit_report_leaves_the_old_one)
{
    write_text("old.txt", "<?xml version=\"1.0\"?>\n<testsuites/>\n");
    cr_assert_eq(write_limited(true), 0);
    cr_assert_str_eq(content("old.txt"),
                     "<?xml version=\"1.0\"?>\n<testsuites/>\n");
    cr_assert_eq(temps(), 0);
}
