/* sweep.c - `purr sweep SCENE --seeds A..B`: run a scene once per seed,
 * and `purr sweep --merge DIR...`: merge shards' results.
 *
 * A seed sets the sensors' random streams, the random fault windows and,
 * with --shuffle, the task schedule (the shuffle seed is the seed), so
 * each seed is a different future, and `purr run SCENE --seed N
 * [--shuffle-seed N] [--faults-scale X]` runs it again exactly. The seeds
 * of this shard's slice run in worker processes (sweep_worker.c); this
 * file parses the arguments, checks the outputs before any work, draws the
 * progress, writes the results file and the JUnit report, and prints the
 * distinct failures and the table of failing seeds (sweep_report.c).
 * Wall time is read for the progress and the timings only.
 *
 * Exit status: 0 every seed passed; 1 a seed failed (an expectation, a
 * behaviour, a crash or a timeout); 2 bad usage or input, or a merge whose
 * shards do not cover the range exactly once; 3 an output could not be
 * written.
 */
#define _GNU_SOURCE /* program_invocation_name */
#include "sweep_int.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_sweep[] =
    "usage: purr sweep SCENE --seeds A..B [--shuffle] [--faults-scale X]\n"
    "                  [--jobs N] [--timeout T] [--shard K/N|auto]\n"
    "                  [--junit FILE.xml] [--results FILE.jsonl]\n"
    "                  [--keep-failures DIR [--force]] [--duration T]\n"
    "                  [--load PLUGIN.so] [-q]\n"
    "       purr sweep --merge DIR|FILE.jsonl... [--junit FILE.xml]\n"
    "\n"
    "Runs SCENE once per seed of A..B in worker processes and reports the\n"
    "seeds that fail, grouped by cause, each with the `purr run` command\n"
    "that reproduces it.\n"
    "\n"
    "options:\n"
    "  --seeds A..B   the seeds to run (inclusive); a seed sets the\n"
    "                 sensors' streams and the random fault windows\n"
    "  --shuffle      also shuffle the task schedule, with the seed as\n"
    "                 shuffle seed (purr run --shuffle-seed N)\n"
    "  --faults-scale X\n"
    "                 multiply every random fault's rate by X (0: off)\n"
    "  --jobs N       worker processes (default: one per core)\n"
    "  --timeout T    wall time a run may take (e.g. 10s); a run still\n"
    "                 going is killed and its seed fails as timed out\n"
    "  --shard K/N    run only the K-th (1-based) of N slices of A..B;\n"
    "                 'auto' reads K and N from the engine that started\n"
    "                 purr (Kubernetes, Slurm, CI: see docs/sweeps.md)\n"
    "  --junit FILE   write a JUnit report (and, unless --results says\n"
    "                 otherwise, the results beside it as FILE.jsonl)\n"
    "  --results FILE write the results file: JSON Lines, one per seed\n"
    "  --keep-failures DIR\n"
    "                 keep each failing seed's recording in DIR, as\n"
    "                 DIR/SCENE-seed-N.db (replay it, view it)\n"
    "  --force        let --keep-failures, --junit and --results replace\n"
    "                 existing files\n"
    "  --duration T   virtual time per run (default: the scene's)\n"
    "  --load PLUGIN.so\n"
    "                 load behaviours from a plug-in (repeatable)\n"
    "  --merge        merge the results files of shards (each DIR's\n"
    "                 *.jsonl) into one summary, checking that every seed\n"
    "                 was run exactly once\n"
    "  -q, --quiet    no progress\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 every seed passed; 1 a seed failed; 2 bad usage or\n"
    "input, or merged shards that miss or repeat seeds; 3 an output could\n"
    "not be written\n";

static int
usage_error(const char *fmt, const char *arg)
{
    fputs("purr: sweep: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr sweep --help')\n", stderr);
    return 2;
}

static double
wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses "A..B" (decimal, A <= B <= INT64_MAX). */
static bool
parse_range(const char *s, uint64_t *a, uint64_t *b)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end[0] != '.' || end[1] != '.' || end[2] < '0' ||
        end[2] > '9')
        return false;
    unsigned long long y = strtoull(end + 2, &end, 10);
    if (errno || *end || x > y || y > INT64_MAX)
        return false;
    *a = x;
    *b = y;
    return true;
}

/* ---------------------------------------------------------------------- */
/* The reproduce command                                                   */
/* ---------------------------------------------------------------------- */

/* Appends arg to buf, single-quoted when the shell would split or expand
 * it. */
static void
append_arg(char *buf, size_t cap, size_t *len, const char *arg)
{
    bool plain = arg[0] != '\0';
    for (const char *p = arg; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_./:=,+-@%",
                       *p) != NULL;
    int n;
    if (plain) {
        n = snprintf(buf + *len, cap - *len, "%s%s", *len ? " " : "", arg);
    } else {
        n = snprintf(buf + *len, cap - *len, "%s'", *len ? " " : "");
        for (const char *p = arg; *p && n >= 0 && (size_t)n < cap - *len;
             p++) {
            int m = *p == '\'' ? snprintf(buf + *len + n, cap - *len - n,
                                          "'\\''")
                               : snprintf(buf + *len + n, cap - *len - n,
                                          "%c", *p);
            n += m;
        }
        if ((size_t)n < cap - *len)
            n += snprintf(buf + *len + n, cap - *len - n, "'");
    }
    if (n > 0)
        *len = (size_t)n >= cap - *len ? cap - 1 : *len + (size_t)n;
}

void
purr__sweep_command(const purr__sweep_cfg *cfg, uint64_t seed,
                    const char *record_path, char *buf, size_t cap)
{
    size_t len = 0;
    char num[32], scale[32];
    buf[0] = '\0';
    append_arg(buf, cap, &len, cfg->program);
    append_arg(buf, cap, &len, "run");
    append_arg(buf, cap, &len, cfg->scene_path);
    snprintf(num, sizeof num, "%" PRIu64, seed);
    append_arg(buf, cap, &len, "--seed");
    append_arg(buf, cap, &len, num);
    if (cfg->shuffle) {
        append_arg(buf, cap, &len, "--shuffle-seed");
        append_arg(buf, cap, &len, num);
    }
    if (cfg->has_faults_scale && cfg->faults_scale != 1.0) {
        purr__cli_format_faults_scale(cfg->faults_scale, scale, sizeof scale);
        append_arg(buf, cap, &len, "--faults-scale");
        append_arg(buf, cap, &len, scale);
    }
    if (cfg->duration_text) {
        append_arg(buf, cap, &len, "--duration");
        append_arg(buf, cap, &len, cfg->duration_text);
    }
    for (size_t i = 0; i < cfg->nloads; i++) {
        append_arg(buf, cap, &len, "--load");
        append_arg(buf, cap, &len, cfg->loads[i]);
    }
    if (record_path) {
        append_arg(buf, cap, &len, "--record");
        append_arg(buf, cap, &len, record_path);
    }
}

/* ---------------------------------------------------------------------- */
/* Running a sweep                                                         */
/* ---------------------------------------------------------------------- */

typedef struct sweep_run {
    const purr__sweep_cfg *cfg;
    purr__sweep_tally tally;
    FILE *results;       /* the results file being written, or NULL */
    bool tty;            /* progress as a bar (stderr is a terminal) */
    bool quiet;          /* no progress */
    double start;        /* wall time at the start */
    double last_line;    /* wall time of the last plain progress line */
    bool drawn;          /* a bar is on the line */
} sweep_run;

static void
progress(sweep_run *s, bool force)
{
    if (s->quiet)
        return;
    uint64_t total = s->cfg->hi - s->cfg->lo + 1, done = s->tally.runs;
    double now = wall_s(), el = now - s->start;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    uint64_t failed = (uint64_t)s->tally.nfails;
    if (s->tty) {
        char bar[31];
        int fill = (int)(30.0 * (double)done / (double)total);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr,
                "\r[%s] %" PRIu64 "/%" PRIu64 "  %" PRIu64
                " failed  %.0f runs/s  ETA %.0fs ",
                bar, done, total, failed, rate, eta);
        fflush(stderr);
        s->drawn = true;
    } else if (force || now - s->last_line >= 5.0) {
        s->last_line = now;
        fprintf(stderr,
                "purr: sweep: %" PRIu64 "/%" PRIu64 " runs, %" PRIu64
                " failed, %.0f runs/s, ETA %.0fs\n",
                done, total, failed, rate, eta);
    }
}

static void
on_tick(void *ctx)
{
    progress(ctx, false);
}

static void
on_result(const purr__sweep_result *r, void *ctx)
{
    sweep_run *s = ctx;
    purr__sweep_result full = *r;
    if (r->outcome != PURR__SWEEP_PASS)
        purr__sweep_command(s->cfg, r->seed, NULL, full.command,
                            sizeof full.command);
    purr__sweep_tally_add(&s->tally, &full);
    if (s->results)
        purr__sweep_write_result(s->results, &full);
}

/* Checks the results file's path: an existing non-empty file that is not
 * a sweep's results file is replaced only with force. */
static int
check_results_path(const char *path, bool force)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (!S_ISREG(st.st_mode))
        return usage_error("--results %s is not a regular file", path);
    char head[16] = {0};
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(head, 1, sizeof head - 1, f) : 0;
    if (f)
        fclose(f);
    if (n > 0 && strncmp(head, "{\"purr_sweep\"", 13) != 0 && !force) {
        fprintf(stderr, "purr: %s: exists and is not a sweep's results "
                        "file; give --force to replace it\n",
                path);
        return 2;
    }
    return 0;
}

/* Publishes an output, saying why it failed: exit status 3 then. */
static int
close_output(purr_output *out)
{
    purr_diag d = {0};
    if (purr_output_close(out, &d) < 0)
        return purr__cli_print_diag(&d) + 1;
    return 0;
}

/* The default results file beside a JUnit report: FILE.xml ->
 * FILE.jsonl. */
static char *
beside(const char *junit)
{
    size_t n = strlen(junit);
    char *p = malloc(n + 8);
    if (!p)
        return NULL;
    memcpy(p, junit, n + 1);
    if (n > 4 && strcmp(p + n - 4, ".xml") == 0)
        p[n - 4] = '\0';
    strcat(p, ".jsonl");
    return p;
}

int
purr__cli_sweep(int argc, char **argv)
{
    enum {
        O_SEEDS = 256, O_SHUFFLE, O_SCALE, O_JOBS, O_TIMEOUT, O_SHARD,
        O_JUNIT, O_RESULTS, O_KEEP, O_FORCE, O_DURATION, O_LOAD, O_MERGE
    };
    static const struct option longopts[] = {
        {"seeds", required_argument, NULL, O_SEEDS},
        {"shuffle", no_argument, NULL, O_SHUFFLE},
        {"faults-scale", required_argument, NULL, O_SCALE},
        {"jobs", required_argument, NULL, O_JOBS},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"shard", required_argument, NULL, O_SHARD},
        {"junit", required_argument, NULL, O_JUNIT},
        {"results", required_argument, NULL, O_RESULTS},
        {"keep-failures", required_argument, NULL, O_KEEP},
        {"force", no_argument, NULL, O_FORCE},
        {"duration", required_argument, NULL, O_DURATION},
        {"load", required_argument, NULL, O_LOAD},
        {"merge", no_argument, NULL, O_MERGE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    purr__sweep_cfg cfg = {0};
    cfg.program = program_invocation_name;
    cfg.shard_k = cfg.shard_n = 1;
    bool have_seeds = false, quiet = false, merge = false, shard_auto = false;
    const char *junit = NULL, *results = NULL;
    const char *loads[64];
    size_t nloads = 0;
    long jobs = 0;
    optind = 0; /* glibc: a full re-initialisation for each call */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        const char *v = optarg;
        if (v && !v[0])
            return usage_error("%s needs a value, got ''", argv[optind - 2]);
        switch (c) {
        case O_SEEDS:
            if (!parse_range(v, &cfg.first, &cfg.last))
                return usage_error("--seeds expects A..B (A <= B, decimal), "
                                   "got '%s'",
                                   v);
            have_seeds = true;
            break;
        case O_SHUFFLE: cfg.shuffle = true; break;
        case O_SCALE:
            if (!purr__cli_parse_faults_scale(v, &cfg.faults_scale))
                return usage_error("--faults-scale expects a number >= 0 "
                                   "(e.g. 0.5, 2), got '%s'",
                                   v);
            cfg.has_faults_scale = true;
            break;
        case O_JOBS: {
            char *end;
            jobs = strtol(v, &end, 10);
            if (*end || jobs < 1 || jobs > 1024)
                return usage_error("--jobs expects 1 to 1024, got '%s'", v);
            break;
        }
        case O_TIMEOUT: {
            purr_time t;
            if (purr_sim_duration_parse(v, &t) < 0 || t <= 0)
                return usage_error("--timeout expects a duration with a unit "
                                   "(e.g. 10s), got '%s'",
                                   v);
            cfg.timeout_s = (double)t / 1e9;
            break;
        }
        case O_SHARD:
            if (strcmp(v, "auto") == 0)
                shard_auto = true;
            else if (!purr__shard_parse(v, &cfg.shard_k, &cfg.shard_n))
                return usage_error("--shard expects K/N (1 <= K <= N) or "
                                   "'auto', got '%s'",
                                   v);
            break;
        case O_JUNIT: junit = v; break;
        case O_RESULTS: results = v; break;
        case O_KEEP: cfg.keep_dir = v; break;
        case O_FORCE: cfg.force = true; break;
        case O_DURATION:
            if (purr_sim_duration_parse(v, &cfg.duration_ns) < 0 ||
                cfg.duration_ns <= 0)
                return usage_error("--duration expects a duration with a "
                                   "unit (e.g. 90s), got '%s'",
                                   v);
            cfg.duration_text = v;
            break;
        case O_LOAD:
            if (nloads == sizeof loads / sizeof loads[0])
                return usage_error("more than 64 --load%s", "");
            loads[nloads++] = v;
            break;
        case O_MERGE: merge = true; break;
        case 'q': quiet = true; break;
        case 'h': fputs(usage_sweep, stdout); return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (merge) {
        if (have_seeds || cfg.keep_dir || nloads || results)
            return usage_error("--merge takes results files or directories "
                               "(and --junit)%s",
                               "");
        if (optind == argc)
            return usage_error("--merge needs the shards' directories%s", "");
        return purr__sweep_merge(argc - optind, argv + optind, junit,
                                 cfg.force, quiet);
    }
    if (optind == argc)
        return usage_error("no scene given%s", "");
    if (argc - optind > 1)
        return usage_error("more than one scene given ('%s')",
                           argv[optind + 1]);
    cfg.scene_path = argv[optind];
    if (!have_seeds)
        return usage_error("--seeds A..B is required%s", "");
    if (shard_auto) {
        char msg[256];
        if (purr__shard_auto(&cfg.shard_k, &cfg.shard_n, msg, sizeof msg) < 0)
            return usage_error("%s", msg);
    }
    if (!purr__shard_slice(cfg.first, cfg.last, cfg.shard_k, cfg.shard_n,
                           &cfg.lo, &cfg.hi)) {
        char msg[128];
        snprintf(msg, sizeof msg, "shard %u/%u of %" PRIu64 "..%" PRIu64
                                  " has no seeds (more shards than seeds)",
                 cfg.shard_k, cfg.shard_n, cfg.first, cfg.last);
        return usage_error("%s", msg);
    }
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? n : 1;
    }
    cfg.loads = loads;
    cfg.nloads = nloads;

    /* Outputs, checked before any work. */
    char *results_owned = NULL;
    if (junit && !results)
        results = results_owned = beside(junit);
    int status = 0;
    purr_diag diag = {0};
    const char *inputs[66];
    size_t ni = 0;
    inputs[ni++] = cfg.scene_path;
    for (size_t i = 0; i < nloads; i++)
        inputs[ni++] = loads[i];
    if (junit) {
        inputs[ni] = results;
        if (purr_output_check(junit, inputs, ni + 1, PURR_OUTPUT_XML,
                              cfg.force, &diag) < 0) {
            free(results_owned);
            return purr__cli_print_diag(&diag);
        }
    }
    if (results && (status = check_results_path(results, cfg.force)) != 0) {
        free(results_owned);
        return status;
    }
    /* The scene and its behaviours, loaded once, before the workers fork;
     * one setup shows a bad scene as bad input rather than as a failure of
     * every seed. */
    if ((status = purr__cli_load(loads, nloads)) != 0) {
        free(results_owned);
        return status;
    }
    purr_scene *scene;
    if (purr_scene_load(cfg.scene_path, &scene, &diag) < 0) {
        free(results_owned);
        return purr__cli_print_diag(&diag);
    }
    cfg.scene = scene;
    purr_sim *trial = purr_sim_new(scene, NULL);
    int src = trial ? purr_sim_setup(trial, &diag) : PURR_ENOMEM;
    purr_sim_free(trial);
    if (src < 0) {
        purr_scene_free(scene);
        free(results_owned);
        return purr__cli_print_diag(&diag);
    }

    sweep_run s = {.cfg = &cfg, .quiet = quiet,
                   .tty = isatty(STDERR_FILENO) == 1};
    purr_output res_out = {0};
    if (results) {
        if (purr_output_open(&res_out, results, &diag) < 0) {
            status = purr__cli_print_diag(&diag) + 1;
            goto done;
        }
        s.results = res_out.file;
        purr__sweep_header h = {0};
        snprintf(h.scene, sizeof h.scene, "%s", cfg.scene_path);
        h.first = cfg.first;
        h.last = cfg.last;
        h.lo = cfg.lo;
        h.hi = cfg.hi;
        h.shard_k = cfg.shard_k;
        h.shard_n = cfg.shard_n;
        h.shuffle = cfg.shuffle;
        h.faults_scale = cfg.has_faults_scale ? cfg.faults_scale : 1.0;
        h.duration_ns = cfg.duration_ns;
        purr__sweep_write_header(s.results, &h);
    }
    if (cfg.keep_dir) {
        /* Made once the other outputs could be opened. */
        struct stat st;
        if (stat(cfg.keep_dir, &st) != 0 && mkdir(cfg.keep_dir, 0777) != 0) {
            fprintf(stderr, "purr: --keep-failures %s: %s\n", cfg.keep_dir,
                    strerror(errno));
            purr_output_discard(&res_out);
            status = 2;
            goto done;
        }
        if (stat(cfg.keep_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "purr: --keep-failures %s: not a directory\n",
                    cfg.keep_dir);
            purr_output_discard(&res_out);
            status = 2;
            goto done;
        }
    }
    s.start = s.last_line = wall_s();
    if (!quiet && !s.tty)
        progress(&s, true);
    int prc = purr__sweep_pool_run(&cfg, (unsigned)jobs, on_result, on_tick,
                                   &s);
    double seconds = wall_s() - s.start;
    if (s.drawn)
        fputs("\r\033[K", stderr);
    else if (!quiet && !s.tty)
        progress(&s, true);
    if (prc < 0) {
        purr_output_discard(&res_out);
        status = 3;
        goto done;
    }
    char what[256];
    snprintf(what, sizeof what,
             "sweep '%s', seeds %" PRIu64 "..%" PRIu64 " (shard %u/%u: %" PRIu64
             "..%" PRIu64 ")%s",
             scene->name, cfg.first, cfg.last, cfg.shard_k, cfg.shard_n,
             cfg.lo, cfg.hi, cfg.shuffle ? ", shuffled" : "");
    status = purr__sweep_summarize(what, &s.tally, seconds, stdout);
    int ost = 0;
    if (results && (ost = close_output(&res_out)) == 0)
        printf("results: %s\n", results);
    if (junit) {
        purr_output jo = {0};
        char suite[600];
        snprintf(suite, sizeof suite, "purr sweep %s", scene->name);
        if (purr_output_open(&jo, junit, &diag) < 0) {
            ost = purr__cli_print_diag(&diag) + 1;
        } else {
            purr__sweep_tally_sort(&s.tally);
            purr__sweep_write_junit(jo.file, suite, cfg.lo, cfg.hi, &s.tally,
                                    seconds);
            int jst = close_output(&jo);
            if (jst == 0)
                printf("junit: %s\n", junit);
            else
                ost = jst;
        }
    }
    if (ost)
        status = ost;
done:
    purr__sweep_tally_free(&s.tally);
    purr_scene_free(scene);
    free(results_owned);
    return status;
}
