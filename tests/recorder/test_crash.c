/* test_crash.c - crash safety: a recording process killed with SIGKILL at
 * pseudo-random moments (fixed seed) leaves, at the path it was given (a
 * new file is written in place), a file that opens, passes PRAGMA
 * integrity_check and holds a gap-free prefix of the transitions. */
#include "rec_files.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct counter_run {
    purr_value *v;
    int ready_fd;
};

/* Sets the value forever, one transition per step, with a few other
 * values and task events in between, until killed. */
static int
count_forever(void *arg)
{
    struct counter_run *c = arg;
    char b = 'r';
    if (write(c->ready_fd, &b, 1) != 1)
        return PURR_EIO;
    for (int64_t i = 1;; i++) {
        purr_value_set_int(c->v, i);
        if (i % 100 == 0 && purr_sleep(PURR_MS) < 0)
            return 0;
    }
}

static _Noreturn void
child(const char *path, int ready_fd)
{
    purr_loop *loop = purr_loop_new(NULL);
    /* A new file each round (the test deletes the last one). */
    purr_recorder_options o = {.batch_rows = 37};
    purr_recorder *r = purr_recorder_open(path, &o, NULL);
    if (!r || purr_recorder_attach(r, loop) < 0)
        _exit(3);
    struct counter_run c = {.ready_fd = ready_fd};
    c.v = purr_value_new(loop, "counter", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_run(loop, "main", count_forever, &c);
    _exit(4);
}

/* A small LCG: the kill moments are pseudo-random but the same each run. */
static uint32_t
next_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

static void
check_file(const char *path, int round)
{
    /* Through the reader first, which reads the -wal without checkpointing
     * it; then SQLite's own check, which does. */
    int64_t n = 0;
    purr_recording *rec;
    purr_diag diag;
    int rc = purr_recording_open(path, &rec, &diag);
    cr_assert_eq(rc, 0, "round %d: %s", round, diag.message);
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    /* Every transition of the prefix reads back, numbered from 1 without
     * a gap, each holding its own number (count_forever sets 1, 2, ...). */
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        n++;
        cr_assert_eq(it.seq, (uint64_t)n, "round %d: gap", round);
        cr_assert_eq(it.datum.u.i, n, "round %d: transition %" PRId64,
                     round, n);
    }
    cr_assert_eq(rc, PURR_ECLOSED, "round %d: %s", round, diag.message);
    purr_recording_iter_close(&it);
    cr_assert_eq(purr_recording_transition_count(rec), n);
    purr_recording_close(rec);

    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "round %d", round);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
                                    NULL),
                 SQLITE_OK, "round %d: %s", round, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok",
                     "round %d", round);
    sqlite3_finalize(st);
    /* The same prefix as the reader saw. */
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT coalesce(sum(count), 0) FROM "
                                    "transition_chunk",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int64(st, 0), n, "round %d", round);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(crash, sigkill_leaves_a_gap_free_prefix, .timeout = 120)
{
    char dir[256], path[512], buf[600];
    uint64_t seed = 20261124;
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/crash.db", dir);
    for (int round = 0; round < 20; round++) {
        unlink(path);
        unlink(beside(buf, sizeof buf, path, "-wal"));
        unlink(beside(buf, sizeof buf, path, "-shm"));
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(path, fds[1]);
        }
        close(fds[1]);
        char b;
        cr_assert_eq(read(fds[0], &b, 1), 1, "child did not start");
        close(fds[0]);
        /* 0 to 40 ms after the first transition. */
        struct timespec ts = {0, (long)(next_rand(&seed) % 40000) * 1000};
        nanosleep(&ts, NULL);
        cr_assert_eq(kill(pid, SIGKILL), 0);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: child ended otherwise (%d)", round, status);
        /* Written in place: nothing but crash.db and its -wal and -shm. */
        dir_snap snap;
        snap_take(dir, &snap);
        cr_assert_eq(snap_count(&snap, "crash.db", NULL, 0), snap.n,
                     "round %d: a temporary file", round);
        snap_free(&snap);
        check_file(path, round);
    }
}
