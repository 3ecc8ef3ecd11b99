/* test_interrupted.c - interrupted recordings.
 *
 * A recording knows whether its run completed: a clean close writes the
 * run row complete = 1 (open wrote 0); recordings older than the row are
 * complete when they hold start_ns or exit_status. Replay of an
 * interrupted one says so first, compares the prefix it kept, runs only
 * to its last kept transition, and ends with its own outcome
 * (PURR_REPLAY_INTERRUPTED, PURR_EINTERRUPTED; `purr replay` exit status
 * 4, a skipped JUnit testcase), never with a divergence past the cut; a
 * difference inside the prefix is still a divergence (exit status 1). With
 * several files the worst status wins, 0 < 4 < 1 < 2 < 3.
 *
 * The crash test kills the purr command itself (`purr run --record`) 200
 * times (40 under sanitizers) at pseudo-random moments (a seeded PRNG): after
 * reading K bytes of its timeline on stdout (the child blocks on the full pipe,
 * so it is killed near a known point of its run), or, for the end of the run
 * and the close, a seeded delay after most of the timeline, calibrated on
 * unkilled runs. After every kill it checks PRAGMA integrity_check on a
 * copy of the file (and its -wal), that the file read through the reader
 * is a gap-free prefix of an unkilled run's recording (same seqs, times,
 * values and payload bytes), and `purr replay`'s exit status and first
 * line: 4 and "recording interrupted at ...: N transitions kept", or 0 and
 * "identical" when the kill came after the close. */
#include "rec_test.h"
#include "rec_files.h"
#include "rec_patch.h"
#include "purr_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Through the library: the thermostat of rec_test.h, killed               */
/* ---------------------------------------------------------------------- */

/* The thermostat's recording harness, whose driver stops after `readings`
 * readings: it lets the controller react, commits everything, tells the
 * parent and blocks until killed. */
struct cut_run {
    struct thermo t;
    int readings;
    purr_recorder *r;
    int ready_fd, block_fd;
};

static int
cut_driver(void *arg)
{
    struct cut_run *c = arg;
    for (int k = 1; k <= THERMO_READINGS; k++) {
        if (k > c->readings) {
            /* Every reaction to the last reading has happened. */
            char b = 'r';
            if (purr_recorder_flush(c->r) < 0 || write(c->ready_fd, &b, 1) != 1)
                _exit(5);
            (void)!read(c->block_fd, &b, 1);
            _exit(6);
        }
        int rc = purr_sleep_until(k * THERMO_PERIOD);
        if (rc < 0)
            return rc;
        purr_value_set_double(c->t.temp, thermo_reading(k));
        if (k == c->readings && purr_sleep(PURR_MS) < 0)
            return PURR_ECANCELED;
    }
    return 0;
}

static int
cut_body(purr_nursery *n, void *arg)
{
    struct cut_run *c = arg;
    int rc = purr_spawn(n, "driver", cut_driver, c);
    if (rc < 0)
        return rc;
    return thermo_behaviour(n, &c->t);
}

static int
cut_main(void *arg)
{
    struct cut_run *c = arg;
    purr_scope s;
    purr_scope_enter(&s, THERMO_END);
    thermo_setup(purr_loop_current(), &c->t);
    int rc = purr_nursery_run(cut_body, c);
    purr_scope_exit(&s);
    return rc == PURR_ECANCELED ? 0 : rc;
}

/* Records the thermostat (threshold 20) into a fresh path in a child
 * process killed with SIGKILL after `readings` readings (0: before the
 * first), everything up to there committed. */
static void
thermo_killed(char *path, size_t cap, const char *name, int readings)
{
    int ready[2], block[2];
    tmp_path(path, cap, name);
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(block), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(block[1]);
        purr_loop *loop = purr_loop_new(NULL);
        purr_recorder_options o = {.overwrite = true};
        purr_recorder *r = purr_recorder_open(path, &o, NULL);
        if (!r || purr_recorder_attach(r, loop) < 0 ||
            purr_recorder_set_meta(r, "end_ns", "6000000000") < 0)
            _exit(3);
        struct cut_run c = {.t = {.threshold = 20.0},
                            .readings = readings,
                            .r = r,
                            .ready_fd = ready[1],
                            .block_fd = block[0]};
        purr_run(loop, "main", cut_main, &c);
        _exit(4);
    }
    close(ready[1]);
    close(block[0]);
    char b;
    ssize_t got = read(ready[0], &b, 1);
    close(ready[0]);
    if (got == 1)
        cr_assert_eq(kill(pid, SIGKILL), 0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    close(block[1]);
    cr_assert(got == 1 && WIFSIGNALED(status),
              "the recording child ended otherwise (%d)", status);
}

static int
replay_thermo(const char *path, double threshold, purr_replay_report *rep)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = threshold};
    purr_replay_target target = {.setup = thermo_setup,
                                 .behaviour = thermo_behaviour,
                                 .teardown = thermo_teardown,
                                 .arg = &t};
    int rc = purr_replay_check(rec, &target, rep);
    purr_recording_close(rec);
    return rc;
}

/* Whether the recording at path is complete, and its run row complete
 * (NULL: absent) into buf. */
static bool
is_complete(const char *path, char *buf, size_t cap)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    const char *c = purr_recording_meta(rec, "complete");
    snprintf(buf, cap, "%s", c ? c : "NULL");
    bool complete = purr_recording_is_complete(rec);
    purr_recording_close(rec);
    return complete;
}

Test(interrupted, a_clean_close_marks_the_recording_complete)
{
    char path[256], c[16];
    tmp_path(path, sizeof path, "whole.db");
    thermo_record(path, 20.0);
    cr_assert(is_complete(path, c, sizeof c));
    cr_assert_str_eq(c, "1");
    thermo_killed(path, sizeof path, "killed.db", 10);
    cr_assert_not(is_complete(path, c, sizeof c));
    cr_assert_str_eq(c, "0");
    /* Only a clean close may say so. */
    tmp_path(path, sizeof path, "own.db");
    purr_recorder *r = purr_recorder_open(path, NULL, NULL);
    cr_assert_not_null(r);
    purr_assert_err(purr_recorder_set_meta(r, "complete", "1"), PURR_EINVAL);
    purr_assert_ok(purr_recorder_discard(r, NULL));
}

/* Recordings made before purr wrote the row: complete when the end of
 * their run wrote start_ns (close) or exit_status (the harness). */
Test(interrupted, recordings_older_than_the_mark)
{
    char path[256], c[16];
    tmp_path(path, sizeof path, "old.db");
    thermo_record(path, 20.0);
    sql_exec(path, "DELETE FROM run WHERE key = 'complete'");
    cr_assert(is_complete(path, c, sizeof c));
    cr_assert_str_eq(c, "NULL");
    sql_exec(path, "DELETE FROM run WHERE key = 'start_ns'");
    cr_assert_not(is_complete(path, c, sizeof c));
    sql_exec(path, "INSERT INTO run VALUES ('exit_status', '0')");
    cr_assert(is_complete(path, c, sizeof c));
    /* The repository's committed baseline, made by purr 0.1.0 before the
     * row existed, reads as complete and replays (tested with its
     * project). */
}

Test(interrupted, the_prefix_is_compared_up_to_the_cut)
{
    char path[256];
    purr_replay_report rep;
    thermo_killed(path, sizeof path, "cut.db", 20);
    purr_assert_err(replay_thermo(path, 20.0, &rep), PURR_EINTERRUPTED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_INTERRUPTED);
    cr_assert(rep.interrupted);
    /* 20 readings, and every reaction to them. */
    cr_assert_eq(rep.inputs, 20);
    cr_assert_eq(rep.kept, rep.expected + 20);
    cr_assert_eq(rep.matching, rep.expected);
    cr_assert_eq(rep.missing + rep.extra, 0);
    cr_assert_eq(rep.cut_ns, 20 * THERMO_PERIOD);
    /* The replay ran to the cut only: the 21st reading never came. */
    cr_assert_eq(rep.past_cut, 0);

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    purr_replay_report_summary(mem, &rep);
    fclose(mem);
    char want[1024];
    snprintf(want, sizeof want,
             "%s: recording interrupted at 00:00:02.000: %" PRIu64
             " transitions kept\n"
             "%s: interrupted recording: the %" PRIu64 " transitions kept "
             "replayed identically (%" PRIu64 " compared, 20 inputs fed)\n",
             path, rep.kept, path, rep.kept, rep.expected);
    cr_assert_str_eq(text, want);
    free(text);
}

Test(interrupted, a_difference_inside_the_prefix_is_a_divergence)
{
    char path[256];
    purr_replay_report rep;
    thermo_killed(path, sizeof path, "cutdiff.db", 20);
    purr_assert_err(replay_thermo(path, 19.0, &rep), PURR_EDIVERGED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert(rep.interrupted);
    cr_assert_leq(rep.actual_row.time_ns, rep.cut_ns);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    purr_replay_report_summary(mem, &rep);
    fclose(mem);
    char want[1024];
    snprintf(want, sizeof want,
             "%s: recording interrupted at 00:00:02.000: %" PRIu64
             " transitions kept\n%s: DIVERGED at ",
             path, rep.kept, path);
    cr_assert(strncmp(text, want, strlen(want)) == 0, "%s", text);
    free(text);
}

Test(interrupted, nothing_kept)
{
    char path[256];
    purr_replay_report rep;
    thermo_killed(path, sizeof path, "empty.db", 0);
    purr_assert_err(replay_thermo(path, 20.0, &rep), PURR_EINTERRUPTED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_INTERRUPTED);
    cr_assert_eq(rep.kept, 0);
    cr_assert_eq(rep.cut_ns, 0);
    cr_assert_eq(rep.inputs, 0);
}

/* ---------------------------------------------------------------------- */
/* Through the purr command                                                */
/* ---------------------------------------------------------------------- */

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-interrupted-test.%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(interrupted_cli, .init = make_dir, .fini = remove_dir);

/* A scene whose run makes about 13,000 transitions and 26,000 task events
 * in 3 h of virtual time, in a few tens of ms: the recorder commits two
 * batches during the run (16,384 events each) and the rest at close, and
 * the timeline on stdout is about 630 KB. */
static const char kill_scene[] =
    "name: kill\n"
    "seed: 11\n"
    "duration: 3h\n"
    "sensors:\n"
    "  - {name: battery, type: double, model: battery, start: 60, drain: "
    "30,\n"
    "     charge: 60, docked: docked, sample: 1s}\n"
    "  - {name: touched, type: bool, model: poisson, rate: 60, pulse: 5s}\n"
    "  - {name: light, type: double, model: periodic, shape: sine, period: "
    "1h,\n"
    "     min: 0, max: 1000, sample: 10s, noise: 5}\n"
    "behaviours:\n"
    "  - {name: pet, params: {low: 20, full: 95, low_for: 5min, purr_for: "
    "2s}}\n";

static void
write_scene(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kill.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(kill_scene, f);
    cr_assert_eq(fclose(f), 0);
}

/* DIR/name in buf. */
static const char *
in_dir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

/* Deletes DIR/name and anything SQLite may have left beside it. */
static void
remove_db(const char *name)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[512], buf[600];
    in_dir(path, sizeof path, name);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++)
        unlink(beside(buf, sizeof buf, path, suffix[i]));
}

/* Starts `purr run --headless --record NAME kill.yaml` in DIR with its
 * stdout on a pipe (*out) and its stderr on /dev/null. */
static pid_t
run_start(const char *name, int *out /* out */)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (chdir(dir) != 0 || null < 0 || dup2(fds[1], 1) < 0 ||
            dup2(null, 2) < 0)
            _exit(126);
        close(fds[0]);
        close(fds[1]);
        setenv("TMPDIR", dir, 1);
        execl(PURR_BIN, "purr", "run", "--headless", "--record", name,
              "kill.yaml", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out = fds[0];
    return pid;
}

/* Reads up to n bytes from fd (fewer at its end). Returns the count. */
static size_t
read_upto(int fd, size_t n)
{
    static char buf[1 << 16];
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < sizeof buf ? n - got : sizeof buf;
        ssize_t k = read(fd, buf, want);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

static int64_t
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The transitions of a recording, as the reader returns them. */
typedef struct tr_list {
    size_t n, cap;
    int64_t *time_ns;
    uint64_t *value_id;
    char **payload; /* each payload_len[i] bytes */
    size_t *payload_len;
} tr_list;

static void
tr_list_free(tr_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->payload[i]);
    free(l->time_ns);
    free(l->value_id);
    free(l->payload);
    free(l->payload_len);
    memset(l, 0, sizeof *l);
}

/* Reads the recording at path. With ref (the unkilled run's), checks
 * each transition against it instead of keeping it: seq i + 1, the same
 * time, value and payload bytes. Returns the number of transitions, and
 * whether the recording is complete in *complete and the last one's time
 * in *last_ns. */
static size_t
read_recording(const char *path, tr_list *keep, const tr_list *ref,
               bool *complete /* out */, int64_t *last_ns /* out */, int round)
{
    purr_recording *rec;
    purr_diag diag;
    int rc = purr_recording_open(path, &rec, &diag);
    cr_assert_eq(rc, 0, "round %d: %s", round, diag.message);
    *complete = purr_recording_is_complete(rec);
    *last_ns = 0;
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        cr_assert_eq(it.seq, (uint64_t)n + 1, "round %d: gap", round);
        *last_ns = it.time_ns;
        if (ref) {
            cr_assert_lt(n, ref->n, "round %d: more than the whole run", round);
            cr_assert_eq(it.time_ns, ref->time_ns[n],
                         "round %d: transition %zu's time", round, n + 1);
            cr_assert_eq(it.value->id, ref->value_id[n],
                         "round %d: transition %zu's value", round, n + 1);
            cr_assert(it.payload_len == ref->payload_len[n] &&
                          memcmp(it.payload, ref->payload[n], it.payload_len) ==
                              0,
                      "round %d: transition %zu's payload", round, n + 1);
        } else {
            if (keep->n == keep->cap) {
                keep->cap = keep->cap ? 2 * keep->cap : 4096;
                keep->time_ns =
                    realloc(keep->time_ns, keep->cap * sizeof *keep->time_ns);
                keep->value_id =
                    realloc(keep->value_id, keep->cap * sizeof *keep->value_id);
                keep->payload =
                    realloc(keep->payload, keep->cap * sizeof *keep->payload);
                keep->payload_len = realloc(
                    keep->payload_len, keep->cap * sizeof *keep->payload_len);
            }
            keep->time_ns[keep->n] = it.time_ns;
            keep->value_id[keep->n] = it.value->id;
            keep->payload[keep->n] = malloc(it.payload_len + 1);
            memcpy(keep->payload[keep->n], it.payload, it.payload_len);
            keep->payload_len[keep->n] = it.payload_len;
            keep->n++;
        }
        n++;
    }
    cr_assert_eq(rc, PURR_ECLOSED, "round %d: %s", round, diag.message);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return n;
}

/* PRAGMA integrity_check on a copy of DIR/name (and its -wal), so that
 * the check, which may write, leaves the killed run's files as they are. */
static void
check_integrity(const char *name, int round)
{
    char from[512], to[512], a[600], b[600];
    in_dir(from, sizeof from, name);
    in_dir(to, sizeof to, "copy.db");
    remove_db("copy.db");
    copy_path(from, to);
    if (exists(beside(a, sizeof a, from, "-wal")))
        copy_path(a, beside(b, sizeof b, to, "-wal"));
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(to, &db), SQLITE_OK, "round %d", round);
    cr_assert_eq(
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
        SQLITE_OK, "round %d: %s", round, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "round %d", round);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok", "round %d",
                     round);
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove_db("copy.db");
}

/* Formats a time as purr replay does: HH:MM:SS.mmm, then the digits below
 * the millisecond when there are any. */
static void
clock_time(int64_t t, char *buf, size_t cap)
{
    int64_t ms = t / 1000000, sub = t % 1000000;
    int n = snprintf(buf, cap, "%02lld:%02lld:%02lld.%03lld",
                     (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                     (long long)(ms / 1000 % 60), (long long)(ms % 1000));
    if (sub)
        snprintf(buf + n, cap - (size_t)n, "%06lld", (long long)sub);
}

/* Checks `purr replay NAME`: exit status 4 and "recording interrupted"
 * first for an interrupted recording of kept transitions, the last at
 * last_ns; 0 and "identical" for a complete one. */
static void
check_replay(const char *name, bool complete, size_t kept, int64_t last_ns,
             int round)
{
    char cmd[256], out[8192], err[2048], want[512], t[40];
    snprintf(cmd, sizeof cmd, "replay %s", name);
    int st = purr_cmd_in(dir, cmd, out, sizeof out, err, sizeof err);
    if (complete) {
        cr_assert_eq(st, 0, "round %d: %s%s", round, out, err);
        snprintf(want, sizeof want, "%s: identical (", name);
        cr_assert(strncmp(out, want, strlen(want)) == 0, "round %d: %s", round,
                  out);
        return;
    }
    cr_assert_eq(st, 4, "round %d: %s%s", round, out, err);
    clock_time(kept ? last_ns : 0, t, sizeof t);
    int n = snprintf(want, sizeof want,
                     "%s: recording interrupted at %s: %zu transition%s "
                     "kept\n",
                     name, t, kept, kept == 1 ? "" : "s");
    if (kept)
        snprintf(want + n, sizeof want - (size_t)n,
                 "%s: interrupted recording: the %zu transition%s kept "
                 "replayed identically (",
                 name, kept, kept == 1 ? "" : "s");
    else
        snprintf(want + n, sizeof want - (size_t)n,
                 "%s: interrupted recording: no transition kept, nothing "
                 "compared\n",
                 name);
    cr_assert(strncmp(out, want, strlen(want)) == 0,
              "round %d:\nwant %s\ngot  %s", round, want, out);
    cr_assert_str_eq(err, "", "round %d", round);
}

/* A small LCG: the kill moments are pseudo-random but the same each run
 * (test_crash.c's). */
static uint32_t
next_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

/* Kills child pid and reaps it; it may have ended by itself. */
static void
kill_and_reap(pid_t pid, int fd, int round)
{
    int status;
    kill(pid, SIGKILL);
    close(fd);
    cr_assert_eq(waitpid(pid, &status, 0), pid, "round %d", round);
    cr_assert((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
                  (WIFEXITED(status) && WEXITSTATUS(status) <= 1),
              "round %d: purr run ended otherwise (%d)", round, status);
}

/* Records `purr run` of the kill scene into DIR/name, killed once 400 KB
 * of its timeline are out (it then blocks on the full pipe, 100 KB or so
 * before its end) and its writer thread had 500 ms to commit what it was
 * handed: the first batch or two. Returns the transitions kept. */
static size_t
record_cut(const char *name)
{
    int fd;
    char path[512];
    remove_db(name);
    pid_t pid = run_start(name, &fd);
    read_upto(fd, 400000);
    struct timespec ts = {0, 500000000};
    nanosleep(&ts, NULL);
    kill_and_reap(pid, fd, 0);
    bool complete;
    int64_t last_ns;
    tr_list l = {0};
    size_t kept = read_recording(in_dir(path, sizeof path, name), &l, NULL,
                                 &complete, &last_ns, 0);
    tr_list_free(&l);
    cr_assert_not(complete);
    cr_assert_gt(kept, 0, "nothing committed in 500 ms");
    return kept;
}

Test(interrupted_cli, replay_outcomes_and_exit_statuses)
{
    char out[16384], err[2048], cmd[512], path[512];
    write_scene();
    cr_assert_eq(purr_cmd_in(dir, "run -q --record ref.db kill.yaml", out,
                             sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    size_t kept = record_cut("cut.db");

    /* -q changes nothing: the two lines are the whole report. */
    cr_assert_eq(
        purr_cmd_in(dir, "replay -q cut.db", out, sizeof out, err, sizeof err),
        4, "%s%s", out, err);
    cr_assert_eq(purr_count_lines(out), 2, "%s", out);
    char want[512];
    snprintf(want, sizeof want,
             "cut.db: interrupted recording: the %zu "
             "transitions kept replayed identically (",
             kept);
    cr_assert(strstr(out, want), "%s", out);

    /* JUnit: a skipped testcase, neither a failure nor an error. */
    cr_assert_eq(purr_cmd_in(dir, "replay --junit j.xml cut.db ref.db", out,
                             sizeof out, err, sizeof err),
                 4, "%s%s", out, err);
    snprintf(cmd, sizeof cmd,
             "grep -q 'failures=\"0\" errors=\"0\" "
             "skipped=\"1\"' %s/j.xml && grep -q "
             "'<skipped message=\"interrupted recording' "
             "%s/j.xml",
             dir, dir);
    cr_assert_eq(system(cmd), 0, "the JUnit file");

    /* A difference inside the prefix is a divergence, said after the
     * cut's line. */
    snprintf(cmd, sizeof cmd,
             "cd %s && cp cut.db diff.db && { [ ! -e "
             "cut.db-wal ] || cp cut.db-wal diff.db-wal; }",
             dir);
    cr_assert_eq(system(cmd), 0);
    rec_flip_payload_bit(in_dir(path, sizeof path, "diff.db"),
                         "seq = (SELECT min(t.seq) FROM transition t JOIN "
                         "value v ON v.id = t.value_id WHERE v.name = "
                         "'mood')",
                         5, 0);
    cr_assert_eq(
        purr_cmd_in(dir, "replay diff.db", out, sizeof out, err, sizeof err), 1,
        "%s%s", out, err);
    cr_assert(strncmp(out, "diff.db: recording interrupted at ", 34) == 0, "%s",
              out);
    cr_assert(strstr(out, "\ndiff.db: DIVERGED at "), "%s", out);

    /* Several files: the worst wins, 0 < 4 < 1 < 2 < 3, with --jobs too. */
    struct {
        const char *args;
        int status;
    } worst[] = {
        {"replay ref.db", 0},
        {"replay ref.db cut.db", 4},
        {"replay cut.db ref.db diff.db", 1},
        {"replay --jobs 2 diff.db cut.db", 1},
        {"replay cut.db nothing.db", 2},
    };
    for (size_t i = 0; i < sizeof worst / sizeof worst[0]; i++)
        cr_assert_eq(
            purr_cmd_in(dir, worst[i].args, out, sizeof out, err, sizeof err),
            worst[i].status, "%s: %s%s", worst[i].args, out, err);
    /* --help documents the status. */
    cr_assert_eq(
        purr_cmd_in(dir, "replay --help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "0 < 4 < 1 < 2 < 3"), "%s", out);
}

/* 200 kills, about 30 s on two idle cores; fewer under sanitizers
 * (CMakeLists.txt), whose process start-up alone takes ~0.2 s. */
#ifndef PURR_TEST_KILLS
#define PURR_TEST_KILLS 200
#endif
#define KILLS PURR_TEST_KILLS
/* Mode B reads the timeline up to this many bytes before its end: the
 * child is then in its last virtual minutes, its close or its exit. Both
 * modes then wait a seeded delay, up to the wall time an unkilled run
 * takes from there to its exit. */
#define TAIL_BYTES 8192

Test(interrupted_cli, purr_run_killed_at_random_moments, .timeout = 240)
{
    char path[512];
    write_scene();

    /* Unkilled runs: the reference recording, the timeline's length and
     * the wall time from TAIL_BYTES before its end to the exit. */
    size_t total = 0;
    int64_t tail_us = 0;
    for (int i = 0; i < 3; i++) {
        int fd;
        remove_db("ref.db");
        pid_t pid = run_start("ref.db", &fd);
        size_t n = 0, got;
        int64_t t_tail = 0;
        if (total > TAIL_BYTES) {
            n = read_upto(fd, total - TAIL_BYTES);
            t_tail = mono_us();
        }
        while ((got = read_upto(fd, 1 << 16)) > 0)
            n += got;
        int64_t t_end = mono_us();
        close(fd);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1,
                  "purr run: status %d", status);
        if (i == 0)
            total = n;
        /* Only the summary's wall time may differ. */
        cr_assert(n + 64 > total && n < total + 64,
                  "the timeline changed between runs");
        if (t_tail && t_end - t_tail > tail_us)
            tail_us = t_end - t_tail;
    }
    cr_assert_gt(total, 20 * TAIL_BYTES, "a short timeline: %zu", total);
    if (tail_us < 2000)
        tail_us = 2000;
    if (tail_us > 100000) /* a machine too busy to time */
        tail_us = 100000;
    tr_list ref = {0};
    bool complete;
    int64_t last_ns;
    size_t ref_n = read_recording(in_dir(path, sizeof path, "ref.db"), &ref,
                                  NULL, &complete, &last_ns, -1);
    cr_assert(complete);
    cr_assert_gt(ref_n, 10000);
    check_replay("ref.db", true, ref_n, last_ns, -1);

    uint64_t seed = 20261206;
    int n_complete = 0, n_close = 0, n_empty = 0;
    for (int round = 0; round < KILLS; round++) {
        remove_db("k.db");
        int fd;
        pid_t pid = run_start("k.db", &fd);
        uint32_t x = next_rand(&seed), y = next_rand(&seed);
        if (round % 2 == 0) {
            /* Mode A: K bytes into the timeline, 1 <= K <= total - tail.
             * The child then blocks on the full pipe while its writer
             * thread, which lags behind, commits what it was handed
             * during the delay below. */
            size_t k = 1 + x % (total - TAIL_BYTES);
            cr_assert_eq(read_upto(fd, k), k, "round %d", round);
        } else {
            /* Mode B: the end of the run, its close, its exit. */
            read_upto(fd, total - TAIL_BYTES);
        }
        /* Mode A waits up to twice as long: the writer thread commits
         * a batch some ms after it was handed one. */
        int64_t us =
            (int64_t)(y % (uint32_t)((round % 2 ? 1 : 2) * tail_us + 1));
        struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        kill_and_reap(pid, fd, round);

        /* The run printed a transition, so the recorder had opened the
         * file and committed its first rows. */
        cr_assert(exists(in_dir(path, sizeof path, "k.db")), "round %d", round);
        check_integrity("k.db", round);
        size_t kept =
            read_recording(path, NULL, &ref, &complete, &last_ns, round);
        if (complete)
            cr_assert_eq(kept, ref_n, "round %d: complete but short", round);
        check_replay("k.db", complete, kept, last_ns, round);
        n_complete += complete;
        n_close += !complete && kept == ref_n;
        n_empty += kept == 0;
    }
    fprintf(stderr,
            "purr_run_killed_at_random_moments: %d complete, %d in close, "
            "%d empty, %d other; tail %lld us\n",
            n_complete, n_close, n_empty,
            KILLS - n_complete - n_close - n_empty, (long long)tail_us);
    /* Most kills cut the run short; some came at its end (mode B). */
    cr_assert_gt(KILLS - n_complete - n_close, KILLS / 3);
    cr_assert_gt(n_complete + n_close, 0);
    tr_list_free(&ref);
}
