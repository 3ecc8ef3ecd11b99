/* sweep_int.h - private declarations shared by `purr sweep`'s files.
 *
 * sweep.c is the verb (arguments, outputs, progress, the run's
 * summary); sweep_worker.c the worker processes that run seeds;
 * sweep_report.c what a sweep writes and reads (failure causes, the
 * summary and failure table, JSON Lines results, JUnit); sweep_merge.c
 * `--merge`; shard.c the slicing of a seed range into shards and --shard
 * auto.
 */
#ifndef PURR_SWEEP_INT_H
#define PURR_SWEEP_INT_H

#include "cli_int.h"

#include <stdio.h>

/* ---------------------------------------------------------------------- */
/* One seed's result                                                       */
/* ---------------------------------------------------------------------- */

/* What became of one seed. The names (purr__sweep_outcome_name) are those
 * of the results file. */
typedef enum purr__sweep_outcome {
    PURR__SWEEP_PASS = 0,    /* every expectation held */
    PURR__SWEEP_FAIL = 1,    /* an expectation failed */
    PURR__SWEEP_ERROR = 2,   /* a behaviour or sensor task failed */
    PURR__SWEEP_CRASH = 3,   /* the worker died of a signal */
    PURR__SWEEP_TIMEOUT = 4  /* the run outlived --timeout (wall time) */
} purr__sweep_outcome;

/* A seed's result, as a worker sends it through its pipe (a fixed-size
 * struct between processes of one program image) and as the results
 * file stores it. */
typedef struct purr__sweep_result {
    uint64_t seed;
    int outcome;          /* purr__sweep_outcome */
    int signal;           /* CRASH: the signal */
    purr_time at_ns;      /* FAIL, ERROR: virtual time of the failure
                             (the first failed expectation's instant) */
    double run_ms;        /* wall time of the run itself, in the worker */
    double total_ms;      /* wall time from dispatch to result, in the
                             parent (the run plus the worker's overhead) */
    char what[192];       /* FAIL: the expectation's text; ERROR: the
                             task's message; CRASH, TIMEOUT: "crashed
                             (SIGSEGV)", "timed out after 5s" */
    char detail[320];     /* FAIL: the expectation's detail */
    char cause[512];      /* what + the detail's shape: equal causes are
                             one distinct failure */
    char recording[512];  /* the kept recording, "" when none */
    char command[1024];   /* the `purr run` line that reproduces it (set
                             by the parent, or read from a results file) */
} purr__sweep_result;

/* "pass", "fail", "error", "crash", "timeout". */
const char *purr__sweep_outcome_name(int outcome);
/* The outcome named name, or -1. */
int purr__sweep_outcome_parse(const char *name);

/* Fills r->cause from r->what and the shape of r->detail: every number
 * (and time) in it becomes '#', so that the same bug with other values
 * is one cause. */
void purr__sweep_cause(purr__sweep_result *r);

/* ---------------------------------------------------------------------- */
/* The sweep's settings                                                    */
/* ---------------------------------------------------------------------- */

typedef struct purr__sweep_cfg {
    const char *scene_path;   /* as given (and as commands name it) */
    const char *program;      /* the executable, for the commands */
    const purr_scene *scene;  /* loaded by the parent, before the fork */
    uint64_t first, last;     /* the whole range, inclusive */
    uint64_t lo, hi;          /* this shard's slice, inclusive */
    unsigned shard_k, shard_n;/* 1-based shard of n (1/1: all) */
    bool shuffle;             /* shuffle seed = seed */
    bool has_faults_scale;
    double faults_scale;
    purr_time duration_ns;    /* --duration, 0: the scene's */
    const char *duration_text;/* --duration as given, or NULL */
    const char *const *loads; /* --load plug-ins, in order */
    size_t nloads;
    const char *keep_dir;     /* --keep-failures DIR, or NULL */
    bool force;               /* kept recordings may replace files */
    double timeout_s;         /* wall time per run; 0: none */
} purr__sweep_cfg;

/* Writes the `purr run` command that reproduces seed (recording to
 * record_path when it is not NULL) into buf, shell-quoted. */
void purr__sweep_command(const purr__sweep_cfg *cfg, uint64_t seed,
                         const char *record_path, char *buf, size_t cap);

/* ---------------------------------------------------------------------- */
/* Workers (sweep_worker.c)                                                */
/* ---------------------------------------------------------------------- */

typedef struct purr__sweep_pool purr__sweep_pool;

/* Called by the pool with each seed's result as it arrives. */
typedef void (*purr__sweep_result_fn)(const purr__sweep_result *r,
                                      void *ctx);
/* Called by the pool about every 200ms of wall time while it waits. */
typedef void (*purr__sweep_tick_fn)(void *ctx);

/* Runs every seed of [cfg->lo, cfg->hi] in jobs worker processes (forked
 * from this one, each running many seeds), calling on_result for each
 * seed (in completion order) and on_tick while waiting. A worker that
 * dies or outlives cfg->timeout_s is replaced and its seed reported as a
 * crash or a timeout. Returns 0, or PURR_EIO (with a message on stderr)
 * when workers cannot be started at all. */
int purr__sweep_pool_run(const purr__sweep_cfg *cfg, unsigned jobs,
                         purr__sweep_result_fn on_result,
                         purr__sweep_tick_fn on_tick, void *ctx);

/* Runs one seed in this process (no recording): the workers' job.
 * *r (out) is filled. */
void purr__sweep_run_seed(const purr__sweep_cfg *cfg, uint64_t seed,
                          purr__sweep_result *r /* out */);

/* ---------------------------------------------------------------------- */
/* Reports (sweep_report.c)                                                */
/* ---------------------------------------------------------------------- */

/* A sweep's (or a merge's) results: the failures, kept in full, and
 * counts. */
typedef struct purr__sweep_tally {
    uint64_t runs;                 /* results seen */
    uint64_t by_outcome[5];        /* per purr__sweep_outcome */
    double run_ms, total_ms;       /* sums over the runs */
    purr__sweep_result *fails;     /* every non-pass result */
    size_t nfails, capfails;
} purr__sweep_tally;

void purr__sweep_tally_add(purr__sweep_tally *t, const purr__sweep_result *r);
void purr__sweep_tally_free(purr__sweep_tally *t);

/* Prints the distinct failures (grouped by cause, each with its number
 * of seeds and smallest seed) and the table of failing seeds (seed,
 * virtual time, what failed, the command that reproduces it). */
void purr__sweep_print_failures(purr__sweep_tally *t, FILE *out);

/* Prints the summary line (what, then runs, failures by outcome, and
 * with seconds > 0 the wall time, runs per second and the mean run and
 * worker overhead), then the failures (purr__sweep_print_failures).
 * Returns the exit status: 1 when a seed failed, else 0. */
int purr__sweep_summarize(const char *what, purr__sweep_tally *t,
                          double seconds, FILE *out);

/* The results file (JSON Lines): a header line describing the sweep,
 * then one line per seed. */
typedef struct purr__sweep_header {
    char scene[512];
    uint64_t first, last;  /* the whole range */
    uint64_t lo, hi;       /* the shard's slice */
    unsigned shard_k, shard_n;
    bool shuffle;
    double faults_scale;
    purr_time duration_ns; /* 0: the scene's */
} purr__sweep_header;

/* Writes h as the header line, r as a seed's line, to f. */
void purr__sweep_write_header(FILE *f, const purr__sweep_header *h);
void purr__sweep_write_result(FILE *f, const purr__sweep_result *r);

/* Parses one line of a results file: a header (*is_header set, h
 * filled) or a seed (r filled). Returns 0, or PURR_EFORMAT with msg
 * saying what is wrong. */
int purr__sweep_parse_line(const char *line, bool *is_header,
                           purr__sweep_header *h, purr__sweep_result *r,
                           char *msg, size_t msg_cap);

/* Sorts t's failures by seed (for the JUnit report and the table). */
void purr__sweep_tally_sort(purr__sweep_tally *t);

/* Writes a JUnit report of the seeds [lo, hi]: one testcase per failing
 * seed (t's failures, sorted by seed: its failure names what failed, the
 * command and the recording) and one per run of consecutive passing
 * seeds ("seeds 6..12"). suite names the test suite. */
void purr__sweep_write_junit(FILE *f, const char *suite, uint64_t lo,
                             uint64_t hi, const purr__sweep_tally *t,
                             double seconds);

/* `purr sweep --merge` (sweep_merge.c): ins are results files or
 * directories of them. Returns the exit status. */
int purr__sweep_merge(int nin, char **ins, const char *junit, bool force,
                      bool quiet);

/* ---------------------------------------------------------------------- */
/* Shards (shard.c)                                                        */
/* ---------------------------------------------------------------------- */

/* Parses "K/N" (1 <= K <= N) into *k and *n. False when it is not one. */
bool purr__shard_parse(const char *text, unsigned *k, unsigned *n);

/* --shard auto: reads the shard from the engine that started this
 * process: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based, with
 * PURR_SHARD_COUNT), a Slurm array (SLURM_ARRAY_TASK_ID minus
 * SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT), a CI matrix
 * (CI_NODE_INDEX, 1-based, CI_NODE_TOTAL: GitLab's parallel, or set by a
 * GitHub Actions matrix). Returns 0 with *k (1-based) and *n, or -1 with
 * msg saying what is missing or wrong. */
int purr__shard_auto(unsigned *k, unsigned *n, char *msg, size_t msg_cap);

/* The k-th (1-based) of n contiguous slices of [first, last]: *lo..*hi
 * (inclusive). Slices differ in length by at most one seed and cover the
 * range exactly once. False when the slice is empty (more shards than
 * seeds). */
bool purr__shard_slice(uint64_t first, uint64_t last, unsigned k, unsigned n,
                       uint64_t *lo, uint64_t *hi);

#endif /* PURR_SWEEP_INT_H */
