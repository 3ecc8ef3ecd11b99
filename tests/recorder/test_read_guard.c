/* test_read_guard.c - a recording cut short by another program while it
 * is read ends the reading process with one line naming the file and
 * status 2, not a crash (the reader maps the file: read_guard.c).
 *
 * Each case reads in a child process, which truncates the file under its
 * own open recording, the way `cp other.db rec.db` or `: > rec.db` in
 * another shell would; the parent checks how the child ended and what it
 * printed. */
#include "rec_test.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETS 100000

static int
setter_main(void *arg)
{
    purr_value **v = arg;
    *v = purr_value_new(purr_loop_current(), "n", PURR_ROLE_OUTPUT, PURR_T_INT,
                        NULL);
    for (int i = 1; i <= SETS; i++) {
        purr_value_set_int(*v, i);
        purr_assert_ok(purr_sleep(PURR_MS));
    }
    return 0;
}

static void
setter_teardown(void *arg)
{
    purr_value **v = arg;
    purr_value_free(*v);
}

/* A recording of SETS transitions (about 3 MB) at path. */
static void
record(const char *path)
{
    purr_value *v = NULL;
    rec_record_run(path, "100000000000", setter_main, &v, setter_teardown);
}

/* Child: opens path, reads `before` transitions, truncates the file to 16
 * KiB, then reads on. Exits 0 if it read everything, 1 on a read error. */
static void
child_read(const char *path, int before)
{
    purr_recording *rec;
    purr_diag diag;
    if (purr_recording_open(path, &rec, &diag) < 0)
        _exit(3);
    purr_recording_iter it;
    if (purr_recording_iter_open(&it, rec) < 0)
        _exit(3);
    int rc = 0, n = 0;
    while (n < before && (rc = purr_recording_iter_next(&it, &diag)) == 0)
        n++;
    if (truncate(path, 16384) != 0)
        _exit(4);
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0)
        n++;
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    _exit(rc == PURR_ECLOSED && n == SETS ? 0 : 1);
}

/* Runs child_read in a child with stderr to a pipe; returns its wait
 * status and what it printed in err. */
static int
run_child(const char *path, int before, char *err, size_t cap)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        child_read(path, before);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < cap && (got = read(fds[0], err + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    err[len] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

Test(read_guard, cut_short_mid_read_exits_2_naming_the_file)
{
    char path[256], err[1024];
    tmp_path(path, sizeof path, "cut.db");
    record(path);
    int status = run_child(path, 1000, err, sizeof err);
    cr_assert(!WIFSIGNALED(status), "the reader died of signal %d: %s",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0, err);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 2, "exit %d: %s", WEXITSTATUS(status),
                 err);
    char *real = realpath(path, NULL);
    cr_assert_not_null(real);
    char want[600];
    snprintf(want, sizeof want, "purr: %s: the recording was cut short", real);
    free(real);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "stderr: %s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1,
                 "one line: %s", err);
}

Test(read_guard, the_whole_file_is_read_as_before)
{
    /* The guard changes nothing for a file nobody touches: the same child
     * without the truncation reads every transition. */
    char path[256];
    tmp_path(path, sizeof path, "whole.db");
    record(path);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int rc, n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0)
        cr_assert_eq(purr_datum_as_int(&it.datum), ++n);
    purr_assert_err(rc, PURR_ECLOSED);
    cr_assert_eq(n, SETS);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}
