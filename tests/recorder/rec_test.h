/* rec_test.h - fixtures shared by the recorder and replay tests.
 *
 * A tiny thermostat: input "temp" (double), output "heater" (bool, on
 * while temp < threshold) and internal "count" (int, one per reading). The
 * recording harness has the shape purr_replay_check expects: a deadline
 * scope, then the values, then one nursery whose body spawns the input
 * driver first and then runs the behaviour. */
#ifndef PURR_REC_TEST_H
#define PURR_REC_TEST_H

#include "purr_test.h"

#include <purr/recorder.h>
#include <purr/replay.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THERMO_READINGS 50
#define THERMO_PERIOD (100 * PURR_MS)
#define THERMO_END (6 * PURR_S)

struct thermo {
    double threshold;           /* heater on below it */
    purr_value *temp, *heater, *count;
};

/* The k-th reading (k from 1): 15 + (7k mod 11). */
static inline double
thermo_reading(int k)
{
    return 15.0 + (double)((7 * k) % 11);
}

static inline int
thermo_setup(purr_loop *loop, void *arg)
{
    struct thermo *t = arg;
    purr_datum zero = purr_datum_double(0.0);
    t->temp = purr_value_new(loop, "temp", PURR_ROLE_INPUT, PURR_T_DOUBLE,
                             &zero);
    t->heater = purr_value_new_bool(loop, "heater", PURR_ROLE_OUTPUT);
    t->count = purr_value_new(loop, "count", PURR_ROLE_INTERNAL, PURR_T_INT,
                              NULL);
    return 0;
}

static inline void
thermo_teardown(void *arg)
{
    struct thermo *t = arg;
    purr_value_free(t->temp);
    purr_value_free(t->heater);
    purr_value_free(t->count);
}

static inline int
thermo_controller(void *arg)
{
    struct thermo *t = arg;
    purr_datum d = purr_datum_nil();
    int rc;
    while ((rc = purr_value_wait_transition(t->temp, purr_match_any(), &d,
                                            NULL)) == 0) {
        purr_value_set_bool(t->heater, purr_datum_as_double(&d) <
                                           t->threshold);
        purr_value_set_int(t->count,
                           purr_datum_as_int(purr_value_peek(t->count)) + 1);
    }
    return rc;
}

static inline int
thermo_behaviour(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "controller", thermo_controller, arg);
}

static inline int
thermo_driver(void *arg)
{
    struct thermo *t = arg;
    for (int k = 1; k <= THERMO_READINGS; k++) {
        int rc = purr_sleep_until(k * THERMO_PERIOD);
        if (rc < 0)
            return rc;
        purr_value_set_double(t->temp, thermo_reading(k));
    }
    return 0;
}

static inline int
thermo_record_body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "driver", thermo_driver, arg);
    if (rc < 0)
        return rc;
    return thermo_behaviour(n, arg);
}

static inline int
thermo_record_main(void *arg)
{
    purr_scope s;
    purr_scope_enter(&s, THERMO_END);
    thermo_setup(purr_loop_current(), arg);
    int rc = purr_nursery_run(thermo_record_body, arg);
    purr_scope_exit(&s);
    return rc == PURR_ECANCELED ? 0 : rc;
}

/* Runs main_fn(arg) on a new virtual-clock loop recorded to path (an
 * existing file replaced) in batches of batch_rows events (0: the
 * default), with end_ns as the recording's end; teardown(arg) runs after
 * the run, before the recorder is closed. */
static inline void
rec_record_run_rows(const char *path, size_t batch_rows, const char *end_ns,
                    purr_task_fn main_fn, void *arg,
                    void (*teardown)(void *))
{
    purr_recorder_options o = {.overwrite = true, .batch_rows = batch_rows};
    purr_diag diag;
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    cr_assert(r, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(r, loop));
    purr_assert_ok(purr_recorder_set_meta(r, "end_ns", end_ns));
    purr_assert_ok(purr_run(loop, "main", main_fn, arg));
    teardown(arg);
    purr_assert_ok(purr_recorder_close(r, &diag));
    cr_assert_eq(purr_loop_close(loop), 0);
}

/* rec_record_run_rows in batches of the default size. */
static inline void
rec_record_run(const char *path, const char *end_ns, purr_task_fn main_fn,
               void *arg, void (*teardown)(void *))
{
    rec_record_run_rows(path, 0, end_ns, main_fn, arg, teardown);
}

/* Records the thermostat with threshold into path, in batches of
 * batch_rows events (0: the default; 8 makes chunks of at most 8
 * transitions, one commit each). */
static inline void
thermo_record_rows(const char *path, double threshold, size_t batch_rows)
{
    struct thermo t = {.threshold = threshold};
    rec_record_run_rows(path, batch_rows, "6000000000", thermo_record_main,
                        &t, thermo_teardown);
}

/* Records the thermostat with threshold into path. */
static inline void
thermo_record(const char *path, double threshold)
{
    thermo_record_rows(path, threshold, 0);
}

/* A fresh directory for the test's files; path receives dir/name. */
static inline void
tmp_path(char *path, size_t cap, const char *name)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/purr-rec-XXXXXX");
        cr_assert(mkdtemp(dir) != NULL);
    }
    snprintf(path, cap, "%s/%s", dir, name);
}

/* Runs one SQL statement on the file at path (read-write). */
static inline void
sql_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK,
                 "%s: %s", sql, err ? err : "");
    sqlite3_close(db);
}

#endif /* PURR_REC_TEST_H */
