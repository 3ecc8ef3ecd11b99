/* test_read_only.c - reading a recording never writes: after opening,
 * iterating and closing a finished recording, or a killed run's with its
 * -wal and -shm, the directory holds the same files with the same bytes
 * and mtimes, also when the directory is read-only; and the data only in a
 * killed run's -wal is read all the same. */
#include "rec_files.h"

#include <fcntl.h>
#include <grp.h>

#define KILLED_COUNT 3000

/* The transitions the file at path holds without its -wal: the file alone
 * is copied into dir and read by SQLite. -1 when it holds no table yet. */
static int64_t
transitions_without_wal(const char *path, const char *dir)
{
    char copy[512], uri[600];
    snprintf(copy, sizeof copy, "%s/alone.db", dir);
    copy_path(path, copy);
    snprintf(uri, sizeof uri, "file:%s?immutable=1", copy);
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t count = -1;
    cr_assert_eq(
        sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL),
        SQLITE_OK);
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(sum(count), 0) FROM "
                           "transition_chunk",
                           -1, &st, NULL) == SQLITE_OK) {
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        count = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    unlink(copy);
    return count;
}

/* Makes a killed run's recording at dir/name, and checks that some of its
 * committed transitions are only in its -wal (so a reader that ignored
 * the -wal would miss them). */
static void
make_killed(const char *dir, const char *name, char *path, size_t cap)
{
    char scratch[256], wal[600];
    snprintf(path, cap, "%s/%s", dir, name);
    record_killed(path, NULL, KILLED_COUNT);
    cr_assert(exists(beside(wal, sizeof wal, path, "-wal")),
              "a killed run leaves its -wal");
    fresh_dir(scratch, sizeof scratch);
    cr_assert_lt(transitions_without_wal(path, scratch), KILLED_COUNT,
                 "the -wal holds committed transitions");
    rmdir(scratch);
}

Test(read_only, finished_recording_is_one_file_in_rollback_mode)
{
    char dir[256], path[512];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    record_counter(path, NULL, 500);
    dir_snap s;
    snap_take(dir, &s);
    cr_assert_eq(s.n, 1, "only run.db: no -wal, no -shm");
    cr_assert_str_eq(s.f[0].name, "run.db");
    /* File format bytes 18 and 19: 1 is the rollback journal. */
    cr_assert_eq(s.f[0].bytes[18], 1);
    cr_assert_eq(s.f[0].bytes[19], 1);
    snap_free(&s);
    cr_assert_eq(read_counter(path), 500);
}

Test(read_only, reading_a_finished_recording_changes_nothing)
{
    char dir[256], path[512];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    record_counter(path, NULL, 500);
    dir_snap before, after;
    snap_take(dir, &before);
    cr_assert_eq(read_counter(path), 500);
    snap_take(dir, &after);
    snap_assert_same(&before, &after, NULL, "finished recording");
    snap_free(&before);
    snap_free(&after);
}

Test(read_only, reading_a_killed_recording_changes_nothing_and_loses_nothing)
{
    char dir[256], path[512];
    fresh_dir(dir, sizeof dir);
    make_killed(dir, "killed.db", path, sizeof path);
    dir_snap before, after;
    snap_take(dir, &before);
    cr_assert_eq(snap_count(&before, "killed.db-", NULL, 0), 2,
                 "-wal and -shm");
    cr_assert_eq(read_counter(path), KILLED_COUNT);
    snap_take(dir, &after);
    snap_assert_same(&before, &after, NULL, "killed recording");
    snap_free(&before);
    snap_free(&after);
}

Test(read_only, killed_recording_is_read_from_a_private_copy_removed_at_close)
{
    char dir[256], tmp[256], path[512];
    fresh_dir(dir, sizeof dir);
    fresh_dir(tmp, sizeof tmp);
    make_killed(dir, "killed.db", path, sizeof path);
    cr_assert_eq(setenv("TMPDIR", tmp, 1), 0);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    dir_snap s;
    snap_take(tmp, &s);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(snap_count(&s, "purr-read-", NULL, 0), 1);
    cr_assert(S_ISDIR(s.f[0].mode));
    snap_free(&s);
    purr_recording_close(rec);
    snap_take(tmp, &s);
    cr_assert_eq(s.n, 0, "the copy is deleted at close");
    /* A finished recording is read in place: no copy. */
    char done[512];
    snprintf(done, sizeof done, "%s/done.db", dir);
    record_counter(done, NULL, 10);
    purr_assert_ok(purr_recording_open(done, &rec, &diag));
    snap_take(tmp, &s);
    cr_assert_eq(s.n, 0);
    purr_recording_close(rec);
}

Test(read_only, stale_wal_beside_a_finished_recording_is_ignored)
{
    /* A -wal beside a file in rollback mode belongs to another database
     * (a replaced recording's, left by a kill between the rename and its
     * deletion): SQLite would read it into the file; purr must not. */
    char dir[256], path[512], killed[512], from[600], to[600];
    fresh_dir(dir, sizeof dir);
    make_killed(dir, "killed.db", killed, sizeof killed);
    snprintf(path, sizeof path, "%s/run.db", dir);
    record_counter(path, NULL, 20);
    copy_path(beside(from, sizeof from, killed, "-wal"),
              beside(to, sizeof to, path, "-wal"));
    dir_snap before, after;
    snap_take(dir, &before);
    cr_assert_eq(read_counter(path), 20);
    snap_take(dir, &after);
    snap_assert_same(&before, &after, NULL, "stale -wal");
    snap_free(&before);
    snap_free(&after);
}

/* What the child of the read-only directory test found. */
struct ro_result {
    int stage; /* 0: all read; else where it failed */
    int64_t finished, killed;
    char message[256];
};

/* Reads a counter recording without Criterion (in the child). */
static int64_t
child_count(const char *path, struct ro_result *res)
{
    purr_recording *rec;
    purr_diag diag;
    if (purr_recording_open(path, &rec, &diag) < 0) {
        snprintf(res->message, sizeof res->message, "%s", diag.message);
        return -1;
    }
    purr_recording_iter it;
    int64_t n = 0;
    int rc = purr_recording_iter_open(&it, rec);
    while (rc == 0 && (rc = purr_recording_iter_next(&it, &diag)) == 0) {
        n++;
        if (it.seq != (uint64_t)n || it.datum.u.i != n) {
            snprintf(diag.message, sizeof diag.message,
                     "transition %" PRId64 " is wrong", n);
            rc = PURR_EFORMAT;
        }
    }
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    if (rc != PURR_ECLOSED) {
        snprintf(res->message, sizeof res->message, "%s", diag.message);
        return -1;
    }
    return n;
}

Test(read_only, reading_from_a_read_only_directory)
{
    char dir[256], finished[512], killed[512];
    fresh_dir(dir, sizeof dir);
    snprintf(finished, sizeof finished, "%s/run.db", dir);
    record_counter(finished, NULL, 500);
    make_killed(dir, "killed.db", killed, sizeof killed);
    cr_assert_eq(chmod(dir, 0555), 0);
    dir_snap before, after;
    snap_take(dir, &before);

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        struct ro_result res = {0};
        close(fds[0]);
        /* root writes anywhere: read as nobody instead. */
        if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
                               setuid(65534) != 0))
            res.stage = 1;
        char probe[600];
        snprintf(probe, sizeof probe, "%s/probe", dir);
        int fd = res.stage ? -1 : open(probe, O_WRONLY | O_CREAT, 0644);
        if (!res.stage && (fd >= 0 || errno != EACCES))
            res.stage = 2; /* the directory is writable: no test */
        if (!res.stage && (res.finished = child_count(finished, &res)) < 0)
            res.stage = 3;
        if (!res.stage && (res.killed = child_count(killed, &res)) < 0)
            res.stage = 4;
        (void)!write(fds[1], &res, sizeof res);
        _exit(0);
    }
    close(fds[1]);
    struct ro_result res;
    cr_assert_eq(read(fds[0], &res, sizeof res), (ssize_t)sizeof res);
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    chmod(dir, 0755);
    cr_assert_eq(res.stage, 0, "stage %d: %s", res.stage, res.message);
    cr_assert_eq(res.finished, 500);
    cr_assert_eq(res.killed, KILLED_COUNT);
    snap_take(dir, &after);
    snap_assert_same(&before, &after, NULL, "read-only directory");
    snap_free(&before);
    snap_free(&after);
}
