/* sim_test.h - helpers for the simulator's tests: scene text to a
 * temporary file, and an observer collecting a run's transitions. */
#ifndef PURR_SIM_TEST_H
#define PURR_SIM_TEST_H

#include "purr_test.h"

#include <purr/sim.h>

#include "examples_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a fresh temporary file; returns its path (static buffer:
 * one per call site is enough for these tests). */
static inline const char *
sim_test_write(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/purr-scene-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp failed");
    size_t len = strlen(text);
    cr_assert(write(fd, text, len) == (ssize_t)len);
    close(fd);
    return path;
}

/* Loads text through a temporary file. Returns purr_scene_load's code. */
static inline int
sim_test_load(const char *text, purr_scene **scene, purr_diag *diag)
{
    const char *path = sim_test_write(text);
    int rc = purr_scene_load(path, scene, diag);
    unlink(path);
    return rc;
}

/* Asserts that text is refused at line:column with exactly message. */
#define sim_assert_error(text, want_line, want_col, want_msg)                  \
    do {                                                                       \
        purr_scene *sc_ = NULL;                                                \
        purr_diag d_ = {0};                                                    \
        purr_assert_err(sim_test_load((text), &sc_, &d_), PURR_EFORMAT);       \
        cr_assert_null(sc_);                                                   \
        cr_assert_str_eq(d_.message, (want_msg));                              \
        cr_assert(d_.line == (want_line) && d_.column == (want_col),           \
                  "expected %d:%d, got %ld:%ld (%s)", (want_line), (want_col), \
                  d_.line, d_.column, d_.message);                             \
    } while (0)

/* A run's transitions, one text line each: "time name = value". */
typedef struct sim_log {
    char *text; /* concatenated lines (heap) */
    size_t len, cap;
    size_t count;     /* lines */
    const char *only; /* NULL: every value; else just this one */
} sim_log;

static inline void
sim_log_observer(const purr_trace *ev, void *ctx)
{
    sim_log *log = ctx;
    if (log->only && strcmp(log->only, purr_value_name(ev->value)) != 0)
        return;
    char line[256], val[160];
    purr_datum_format(ev->new_value, val, sizeof val);
    int n = snprintf(line, sizeof line, "%lld %s = %s\n",
                     (long long)ev->time_ns, purr_value_name(ev->value), val);
    if (log->len + (size_t)n + 1 > log->cap) {
        log->cap = (log->cap + (size_t)n + 1) * 2;
        log->text = realloc(log->text, log->cap);
    }
    memcpy(log->text + log->len, line, (size_t)n + 1);
    log->len += (size_t)n;
    log->count++;
}

/* Runs scene (with opts, may be NULL) and logs transitions of `only` (NULL:
 * all). Returns the run's code. */
static inline int
sim_test_run(const purr_scene *scene, const purr_sim_options *opts,
             sim_log *log)
{
    purr_sim *sim = purr_sim_new(scene, opts);
    cr_assert_not_null(sim);
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      sim_log_observer, log);
    purr_diag d = {0};
    int rc = purr_sim_run(sim, &d);
    purr_sim_free(sim);
    return rc;
}

#endif /* PURR_SIM_TEST_H */
