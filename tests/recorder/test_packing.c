/* test_packing.c - the writer's packing and commits, read back.
 *
 * The writer packs events into chunk records (schema.sql) from the loop's
 * fixed-size records, opens a new chunk when a time or seq step is too
 * wide for a record's 7-byte fields, and commits several batches per
 * transaction (writer_thread.c). These tests compare what an observer saw
 * with what the reader reads back: every transition and task event, with
 * time steps on both sides of the 2^56 ns limit, through many small
 * batches; and that a flush commits every batch handed so far although
 * the writer's transaction spans batches (a run killed after a flush
 * keeps all it flushed). */
#include "rec_files.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* What an observer saw                                                    */
/* ---------------------------------------------------------------------- */

#define MAX_SEEN 20000

struct seen_tr {
    uint64_t seq, task_id;
    purr_time time_ns;
    purr_datum datum; /* owned */
};

struct seen_task {
    uint64_t seq, task_id;
    purr_time time_ns;
    purr_event_kind kind;
    int32_t status;
    const char *detail; /* a constant */
};

struct seen {
    struct seen_tr tr[MAX_SEEN];
    size_t ntr;
    struct seen_task te[MAX_SEEN];
    size_t nte;
};

static void
see(const purr_trace *ev, void *ctx)
{
    struct seen *s = ctx;
    if (ev->kind == PURR_EV_VALUE_SET) {
        cr_assert_lt(s->ntr, MAX_SEEN);
        s->tr[s->ntr++] = (struct seen_tr){.seq = ev->value_seq,
                                           .task_id = ev->task_id,
                                           .time_ns = ev->time_ns,
                                           .datum =
                                               purr_datum_copy(ev->new_value)};
    } else if (ev->kind <= PURR_EV_TASK_ENDED) {
        cr_assert_lt(s->nte, MAX_SEEN);
        s->te[s->nte++] = (struct seen_task){.seq = ev->seq,
                                             .task_id = ev->task_id,
                                             .time_ns = ev->time_ns,
                                             .kind = ev->kind,
                                             .status = ev->status,
                                             .detail = ev->detail};
    }
}

static void
seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->ntr; i++)
        purr_datum_free(&s->tr[i].datum);
}

/* Reads path back and compares every transition and task event with s. */
static void
compare(const char *path, const struct seen *s)
{
    purr_recording *rec;
    purr_diag diag;
    int rc = purr_recording_open(path, &rec, &diag);
    cr_assert_eq(rc, 0, "%s", diag.message);

    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        cr_assert_lt(n, s->ntr);
        const struct seen_tr *w = &s->tr[n++];
        cr_assert_eq(it.seq, w->seq);
        cr_assert_eq(it.time_ns, w->time_ns, "transition %" PRIu64
                     ": %" PRId64 " != %" PRId64, w->seq, it.time_ns,
                     w->time_ns);
        cr_assert_eq(it.task_id, w->task_id);
        cr_assert(purr_datum_equal(&it.datum, &w->datum),
                  "transition %" PRIu64 ": another datum", w->seq);
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s", diag.message);
    cr_assert_eq(n, s->ntr);
    purr_recording_iter_close(&it);

    purr_recording_task_iter ti;
    purr_assert_ok(purr_recording_task_iter_open(&ti, rec, &diag));
    n = 0;
    while ((rc = purr_recording_task_iter_next(&ti, &diag)) == 0) {
        cr_assert_lt(n, s->nte);
        const struct seen_task *w = &s->te[n++];
        cr_assert_eq(ti.seq, w->seq);
        cr_assert_eq(ti.time_ns, w->time_ns, "task event %" PRIu64, w->seq);
        cr_assert_eq(ti.kind, w->kind);
        cr_assert_eq(ti.task_id, w->task_id);
        cr_assert_eq(ti.status, w->status);
        if (w->detail)
            cr_assert_str_eq(ti.detail, w->detail);
        else
            cr_assert_null(ti.detail);
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s", diag.message);
    cr_assert_eq(n, s->nte);
    purr_recording_task_iter_close(&ti);
    purr_recording_close(rec);
}

/* The rows of table in the recording at path. */
static int64_t
count_rows(const char *path, const char *table)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* ---------------------------------------------------------------------- */
/* Wide time steps                                                         */
/* ---------------------------------------------------------------------- */

/* 2^56 ns (about 2.3 years): a record's 7-byte dt holds less. */
#define WIDE ((purr_time)1 << 56)

struct steps {
    purr_value *v;
};

/* Sets 1, then after 2^57 ns 2 (a step no record holds: a new chunk),
 * after 2^56 - 1 ns 3 (the widest step a record holds), after 5 ns 4. */
static int
wide_steps(void *arg)
{
    struct steps *s = arg;
    static const purr_time waits[] = {2 * WIDE, WIDE - 1, 5};
    PURR_TRY(purr_value_set_int(s->v, 1));
    for (int i = 0; i < 3; i++) {
        PURR_TRY(purr_sleep(waits[i]));
        PURR_TRY(purr_value_set_int(s->v, i + 2));
    }
    return 0;
}

Test(packing, time_steps_past_seven_bytes_open_a_chunk)
{
    char path[256];
    tmp_path(path, sizeof path, "wide.db");
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true};
    purr_recorder *r = purr_recorder_open(path, &o, NULL);
    cr_assert_not_null(r);
    purr_assert_ok(purr_recorder_attach(r, loop));
    static struct seen s;
    memset(&s, 0, sizeof s);
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK | PURR_EV_VALUE,
                                     see, &s));
    struct steps st;
    st.v = purr_value_new(loop, "v", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_assert_ok(purr_run(loop, "main", wide_steps, &st));
    purr_assert_ok(purr_recorder_close(r, NULL));
    cr_assert_eq(s.ntr, 4, "%zu transitions, %zu task events", s.ntr, s.nte);
    cr_assert_eq(s.tr[3].time_ns, 3 * WIDE + 4);
    compare(path, &s);
    /* One batch: only the 2^57 step split each stream (the task events
     * too: the main task woke from its first sleep after it). */
    cr_assert_eq(count_rows(path, "transition_chunk"), 2);
    cr_assert_eq(count_rows(path, "task_event_chunk"), 2);
    seen_free(&s);
    purr_value_free(st.v);
    purr_loop_close(loop);
    unlink(path);
}

/* ---------------------------------------------------------------------- */
/* Many small batches                                                      */
/* ---------------------------------------------------------------------- */

struct mixed {
    purr_value *i, *d, *str;
    int n;
};

/* Sets an int, a double and a string (every third step), sleeping 1 ms
 * every seventh: transitions of inline and arena payloads with task
 * events between them. */
static int
mixed_steps(void *arg)
{
    struct mixed *m = arg;
    for (int k = 1; k <= m->n; k++) {
        PURR_TRY(purr_value_set_int(m->i, k));
        PURR_TRY(purr_value_set_double(m->d, k * 0.5));
        if (k % 3 == 0) {
            char buf[32];
            snprintf(buf, sizeof buf, "step %d", k);
            PURR_TRY(purr_value_set_string(m->str, buf));
        }
        if (k % 7 == 0)
            PURR_TRY(purr_sleep(PURR_MS));
    }
    return 0;
}

Test(packing, many_small_batches_read_back_whole)
{
    char path[256];
    tmp_path(path, sizeof path, "batches.db");
    purr_loop *loop = purr_loop_new(NULL);
    /* 3 events a batch: several thousand batches, several per commit. */
    purr_recorder_options o = {.overwrite = true, .batch_rows = 3};
    purr_recorder *r = purr_recorder_open(path, &o, NULL);
    cr_assert_not_null(r);
    purr_assert_ok(purr_recorder_attach(r, loop));
    static struct seen s;
    memset(&s, 0, sizeof s);
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK | PURR_EV_VALUE,
                                     see, &s));
    struct mixed m = {.n = 3000};
    m.i = purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    m.d = purr_value_new(loop, "d", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    m.str = purr_value_new(loop, "s", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    purr_assert_ok(purr_run(loop, "main", mixed_steps, &m));
    purr_assert_ok(purr_recorder_close(r, NULL));
    cr_assert_eq(s.ntr, 3000 + 3000 + 1000);
    compare(path, &s);
    seen_free(&s);
    purr_value_free(m.i);
    purr_value_free(m.d);
    purr_value_free(m.str);
    purr_loop_close(loop);
    unlink(path);
}

/* ---------------------------------------------------------------------- */
/* A flush commits the open transaction                                    */
/* ---------------------------------------------------------------------- */

#define FLUSHED 777

struct flushing {
    purr_value *v;
    purr_recorder *r;
    int ready_fd, block_fd;
};

/* Sets 1..FLUSHED (sleeping every tenth), flushes, tells the parent and
 * blocks until killed. */
static int
set_flush_block(void *arg)
{
    struct flushing *f = arg;
    for (int k = 1; k <= FLUSHED; k++) {
        if (purr_value_set_int(f->v, k) < 0)
            _exit(5);
        if (k % 10 == 0 && purr_sleep(PURR_MS) < 0)
            _exit(5);
    }
    char b = 'r';
    if (purr_recorder_flush(f->r) < 0 || write(f->ready_fd, &b, 1) != 1)
        _exit(5);
    (void)!read(f->block_fd, &b, 1);
    _exit(6);
}

Test(packing, a_flush_commits_every_batch_handed)
{
    char path[256];
    tmp_path(path, sizeof path, "flush.db");
    unlink(path);
    int ready[2], block[2];
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(block), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* A long batch age: only the flush can have committed. */
        purr_recorder_options o = {.batch_rows = 5,
                                   .batch_age_ns = 3600 * PURR_S};
        purr_loop *loop = purr_loop_new(NULL);
        struct flushing f = {.ready_fd = ready[1], .block_fd = block[0]};
        f.r = purr_recorder_open(path, &o, NULL);
        if (!f.r || purr_recorder_attach(f.r, loop) < 0)
            _exit(3);
        f.v = purr_value_new(loop, "n", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
        purr_run(loop, "main", set_flush_block, &f);
        _exit(4);
    }
    char b;
    cr_assert_eq(read(ready[0], &b, 1), 1, "the child failed");
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status));

    purr_recording *rec;
    purr_diag diag;
    int rc = purr_recording_open(path, &rec, &diag);
    cr_assert_eq(rc, 0, "%s", diag.message);
    cr_assert_not(purr_recording_is_complete(rec));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int64_t n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        n++;
        cr_assert_eq(it.seq, (uint64_t)n);
        cr_assert_eq(it.datum.u.i, n);
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s", diag.message);
    purr_recording_iter_close(&it);
    /* Everything before the flush, nothing lost, nothing after it. */
    cr_assert_eq(n, FLUSHED);
    purr_recording_close(rec);
    close(ready[0]);
    close(ready[1]);
    close(block[0]);
    close(block[1]);
    char side[300];
    unlink(beside(side, sizeof side, path, "-wal"));
    unlink(beside(side, sizeof side, path, "-shm"));
    unlink(path);
}
