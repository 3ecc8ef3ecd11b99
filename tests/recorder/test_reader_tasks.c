/* test_reader_tasks.c - reading task events back
 * (purr_recording_task_iter): every event the SQL view task_event lists,
 * with the task's name and parent, an ended task's negative status and a
 * blocked task's detail; no events for a recording made without them; a
 * damaged chunk refused with a message naming it.
 */
#include "purr_test.h"

#include <purr/purr.h>
#include <purr/recorder.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static int
failing_child(void *arg)
{
    (void)arg;
    int rc = purr_sleep(5 * PURR_MS);
    return rc < 0 ? rc : PURR_ETIMEDOUT;
}

static int
sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        int rc = purr_sleep(PURR_MS);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "sleeper", sleeper, arg);
    if (rc < 0)
        return rc;
    return purr_spawn(n, "failing", failing_child, arg);
}

static int
main_task(void *arg)
{
    /* The nursery's error (the failing child's) is the point. */
    int rc = purr_nursery_run(body, arg);
    return rc == PURR_ETIMEDOUT ? 0 : -1;
}

static void
record(bool no_task_events)
{
    snprintf(path, sizeof path, "/tmp/purr_test_reader_tasks.%d.db",
             (int)getpid());
    unlink(path);
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.no_task_events = no_task_events};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "%s", diag.message);
    cr_assert_eq(purr_recorder_attach(r, loop), 0);
    cr_assert_eq(purr_run(loop, "main", main_task, NULL), 0);
    cr_assert_eq(purr_recorder_close(r, &diag), 0, "%s", diag.message);
    purr_loop_close(loop);
}

static void
cleanup(void)
{
    unlink(path);
}

TestSuite(reader_tasks, .fini = cleanup);

Test(reader_tasks, every_event_as_the_view_lists_it)
{
    record(false);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(
                     db,
                     "SELECT seq, time_ns, kind, task_id, parent_task_id, "
                     "status, detail, (SELECT name FROM task WHERE id = "
                     "task_id) FROM task_event ORDER BY seq",
                     -1, &st, NULL),
                 SQLITE_OK);

    purr_recording *rec;
    purr_diag diag;
    cr_assert_eq(purr_recording_open(path, &rec, &diag), 0, "%s",
                 diag.message);
    purr_recording_task_iter it;
    cr_assert_eq(purr_recording_task_iter_open(&it, rec, &diag), 0);
    int n = 0, rc;
    bool failed_seen = false, sleep_seen = false;
    while ((rc = purr_recording_task_iter_next(&it, &diag)) == 0) {
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "more events than rows");
        cr_assert_eq(it.seq, (uint64_t)sqlite3_column_int64(st, 0));
        cr_assert_eq(it.time_ns, sqlite3_column_int64(st, 1));
        cr_assert_eq((int)it.kind, sqlite3_column_int(st, 2));
        cr_assert_eq(it.task_id, (uint64_t)sqlite3_column_int64(st, 3));
        cr_assert_eq(it.parent_task_id,
                     (uint64_t)sqlite3_column_int64(st, 4));
        cr_assert_eq(it.status, sqlite3_column_int(st, 5));
        const char *detail = (const char *)sqlite3_column_text(st, 6);
        if (detail && detail[0])
            cr_assert_str_eq(it.detail, detail);
        else
            cr_assert_null(it.detail);
        cr_assert_str_eq(it.task_name,
                         (const char *)sqlite3_column_text(st, 7));
        if (it.kind == PURR_EV_TASK_ENDED &&
            strcmp(it.task_name, "failing") == 0) {
            /* A negative status survives the zigzag encoding. */
            cr_assert_eq(it.status, PURR_ETIMEDOUT);
            cr_assert_eq(it.time_ns, 5 * PURR_MS);
            failed_seen = true;
        }
        if (it.kind == PURR_EV_TASK_BLOCKED && it.detail &&
            strcmp(it.detail, "sleep") == 0)
            sleep_seen = true;
        n++;
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s", diag.message);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "fewer events than rows");
    cr_assert(failed_seen && sleep_seen);
    cr_assert_gt(n, 10);
    purr_recording_task_iter_close(&it);
    purr_recording_task_iter_close(&it); /* idempotent */
    purr_recording_close(rec);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(reader_tasks, none_without_task_events)
{
    record(true);
    purr_recording *rec;
    purr_diag diag;
    cr_assert_eq(purr_recording_open(path, &rec, &diag), 0);
    purr_recording_task_iter it;
    cr_assert_eq(purr_recording_task_iter_open(&it, rec, &diag), 0);
    cr_assert_eq(purr_recording_task_iter_next(&it, &diag), PURR_ECLOSED);
    purr_recording_task_iter_close(&it);
    purr_recording_close(rec);
}

Test(reader_tasks, damaged_chunk_refused)
{
    record(false);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    /* An unknown kind (9) at the start of the first chunk. */
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT first_seq, data FROM "
                                    "task_event_chunk ORDER BY first_seq "
                                    "LIMIT 1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t first = sqlite3_column_int64(st, 0);
    int len = sqlite3_column_bytes(st, 1);
    uint8_t *data = malloc((size_t)len);
    memcpy(data, sqlite3_column_blob(st, 1), (size_t)len);
    sqlite3_finalize(st);
    data[0] = 9;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "UPDATE task_event_chunk SET data = ?1 "
                                    "WHERE first_seq = ?2",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_blob(st, 1, data, len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, first);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(data);
    sqlite3_close(db);
    purr_recording *rec;
    purr_diag diag;
    cr_assert_eq(purr_recording_open(path, &rec, &diag), 0, "%s",
                 diag.message);
    purr_recording_task_iter it;
    cr_assert_eq(purr_recording_task_iter_open(&it, rec, &diag), 0);
    cr_assert_eq(purr_recording_task_iter_next(&it, &diag), PURR_EFORMAT);
    cr_assert(strstr(diag.message, "task_event_chunk"), "%s", diag.message);
    cr_assert(strstr(diag.file, "purr_test_reader_tasks"));
    purr_recording_task_iter_close(&it);
    purr_recording_close(rec);
}
