/* shrink_int.h - private declarations shared by `purr shrink`'s files.
 *
 * shrink.c is the verb and purr__cli_shrink (reading the failing
 * recording, writing the smaller one and printing the result);
 * shrink_search.c runs candidate input sets against the scene and
 * searches for a small one that fails the same expectation;
 * shrink_scene.c writes the remaining inputs as a timeline and as a scene
 * fragment of timeline sensors.
 */
#ifndef PURR_CLI_SHRINK_INT_H
#define PURR_CLI_SHRINK_INT_H

#include "cli_int.h"

#include <stdio.h>

/* One input value of the failing recording. */
typedef struct purr__sh_input {
    const char *name;          /* borrowed from the recording */
    purr_type type;            /* the recorded type */
    const purr_sensor_spec *sensor; /* the scene's sensor of that name
                                  (borrowed from the scene) */
} purr__sh_input;

/* One input transition of a candidate: at at_ns, input becomes d. The
 * datum is borrowed from the recording's transitions (strings) or a
 * scalar made by the simplification (nothing to free). */
typedef struct purr__sh_tr {
    uint32_t input;  /* index into the inputs */
    purr_time at_ns; /* when it is set */
    purr_datum d;    /* what it is set to (borrowed or scalar) */
} purr__sh_tr;

/* Hooks of one run of a candidate (purr__shrink_run): attach is called
 * once the simulation exists, before its setup (a recorder attaches
 * there); done after the run, before the simulation is freed. Either may
 * be NULL. */
typedef struct purr__sh_hooks {
    int (*attach)(purr_sim *sim, void *arg);
    void (*done)(purr_sim *sim, int run_rc, void *arg);
    void *arg;
} purr__sh_hooks;

/* A shrinking in progress. The caller fills the first block and cur (the
 * recording's input transitions, in recorded order) with duration_ns, then
 * calls purr__shrink_search. */
typedef struct purr__shrink {
    const purr_scene *scene;       /* the scene run (borrowed) */
    purr_sim_options base;         /* seed and shuffle of the recorded
                                      run (feed and duration are set per
                                      candidate) */
    const purr__sh_input *inputs;  /* the recording's inputs (borrowed) */
    size_t ninputs;
    uint64_t max_replays;          /* the bound on candidate runs */
    size_t want;                   /* 1-based expectation to keep failing;
                                      0: the first that fails */
    FILE *progress;                /* progress lines (NULL: none) */
    bool tty;                      /* progress is a terminal: redraw one
                                      line with \r */

    purr__sh_tr *cur;              /* the smallest failing candidate so
                                      far (malloc'd) */
    size_t ncur;
    purr_time duration_ns;         /* its duration */

    size_t target;                 /* the expectation (0-based) */
    purr_expect_result fail;       /* its failure in the last run of cur
                                      (spec NULL) */
    size_t nbefore;                /* input transitions before */
    size_t inputs_before;          /* input values with transitions */
    purr_time duration_before;
    uint64_t replays;              /* candidate runs made */
    bool bounded;                  /* stopped at max_replays */
    purr_diag diag;                /* an error's message */
} purr__shrink;

/* Runs the scene once with the inputs c[0..n) fed at their times (feeder
 * mode: the sensors do not run) for duration, with hooks h (may be NULL).
 * *failed (out, may be NULL) receives whether expectation s->target
 * failed and *res (may be NULL) its result. Counts as a replay. Returns 0,
 * or PURR_EFORMAT with s->diag set (the scene's setup failed, an input is
 * not in the scene or has another type). */
int purr__shrink_run(purr__shrink *s, const purr__sh_tr *c, size_t n,
                     purr_time duration, const purr__sh_hooks *h,
                     bool *failed, purr_expect_result *res);

/* Shrinks s->cur (see shrink_search.c). Returns 0 with s->cur the smaller
 * candidate that still fails s->target; PURR_ENOENT when the recording's
 * inputs, fed, fail no expectation (or not the one s->want names), with
 * s->diag set; PURR_EFORMAT (a run could not be set up). */
int purr__shrink_search(purr__shrink *s);

/* The number of input values with transitions in c[0..n). */
size_t purr__shrink_inputs_used(const purr__shrink *s, const purr__sh_tr *c,
                                size_t n);

/* Writes time as a duration the scene loader reads back exactly: the
 * largest unit (h, min, s, ms, us, ns) that divides it, e.g. "3h",
 * "192500ms", "1ns" (and "0s"). */
void purr__shrink_duration(purr_time t, char *buf, size_t cap);

/* Prints the candidate as a timeline, one line per transition:
 * "00:03:12.500  battery = 18.5". */
void purr__shrink_print_timeline(FILE *out, const purr__shrink *s);

/* Writes the scene fragment that reproduces the failure without the
 * original sensors: the scene's name (with " (shrunk)"), seed, the shrunk
 * duration, a timeline sensor per input of the recording (initial and
 * points), the plug-ins loaded (by canonical path), and the scene's
 * behaviours and expectations. from names the failing recording, for the
 * header comment. Returns 0 or PURR_EIO (ferror). */
int purr__shrink_write_scene(FILE *out, const purr__shrink *s,
                             const char *from);

#endif /* PURR_CLI_SHRINK_INT_H */
