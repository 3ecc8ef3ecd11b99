/* main.c - the purr command line: `purr run SCENE` and help.
 *
 * Runs a scene headless on the virtual clock, prints each input and output
 * transition as a timeline line, then a summary (transitions, virtual time,
 * wall time, speed-up over real time). Wall time is read here, for the
 * summary only; nothing the run computes depends on it.
 * Exit status: 0 the run completed; 1 a behaviour or sensor failed; 2 bad
 * usage or a bad scene (one line on stderr, as STYLE R6 asks).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#ifdef PURR_SIM_WITH_RECORDER
#include <purr/recorder.h>
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_main[] =
    "usage: purr COMMAND [ARGS]\n"
    "\n"
    "Develop and test robot behaviours on a deterministic virtual clock.\n"
    "\n"
    "commands:\n"
    "  run SCENE    run a scene (YAML) and print its timeline\n"
    "\n"
    "options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Run 'purr COMMAND --help' for a command's options.\n";

static const char usage_run[] =
    "usage: purr run SCENE [--seed N] [--duration T] [--headless]"
#ifdef PURR_SIM_WITH_RECORDER
    " [--record FILE.db]"
#endif
    "\n"
    "\n"
    "Runs SCENE on the virtual clock, printing every input and output\n"
    "transition, then a summary.\n"
    "\n"
    "options:\n"
    "  --seed N       seed of the sensors' random streams (default: the\n"
    "                 scene's)\n"
    "  --duration T   virtual time to run, e.g. 90s, 10min, 24h (default:\n"
    "                 the scene's)\n"
    "  --headless     no window (the only mode in this build)\n"
#ifdef PURR_SIM_WITH_RECORDER
    "  --record FILE  record every transition to FILE (SQLite; must not\n"
    "                 exist yet)\n"
#endif
    "  -q, --quiet    print only the summary\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 ran to the end; 1 a behaviour failed; 2 bad usage or\n"
    "scene\n";

/* Prints a usage error as one line and returns the exit status 2. */
static int
usage_error(const char *fmt, const char *arg)
{
    fputs("purr: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr --help')\n", stderr);
    return 2;
}

/* Formats a virtual time as HH:MM:SS.mmm (hours may exceed 24). */
static void
format_time(purr_time t, char *buf, size_t cap)
{
    long long ms = (long long)(t / PURR_MS);
    snprintf(buf, cap, "%02lld:%02lld:%02lld.%03lld", ms / 3600000,
             ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

typedef struct timeline {
    FILE *out;            /* where transitions go; NULL: quiet */
    uint64_t transitions; /* input and output transitions seen */
} timeline;

static void
print_transition(const purr_trace *ev, void *ctx)
{
    timeline *tl = ctx;
    purr_role role = purr_value_role(ev->value);
    if (role == PURR_ROLE_INTERNAL)
        return;
    tl->transitions++;
    if (!tl->out)
        return;
    char when[32], text[160];
    format_time(ev->time_ns, when, sizeof when);
    purr_datum_format(ev->new_value, text, sizeof text);
    fprintf(tl->out, "%s  %-6s %-12s = %s\n", when,
            role == PURR_ROLE_INPUT ? "input" : "output",
            purr_value_name(ev->value), text);
}

static double
wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
print_diag(const purr_diag *diag)
{
    char line[640];
    purr_sim_diag_format(diag, line, sizeof line);
    fprintf(stderr, "purr: %s\n", line);
    return 2;
}

static int
cmd_run(int argc, char **argv)
{
    const char *scene_path = NULL;
    purr_sim_options opts = {0};
    bool quiet = false;
    const char *record_path = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_run, stdout);
            return 0;
        } else if (strcmp(a, "--seed") == 0) {
            if (++i == argc)
                return usage_error("%s needs a value", a);
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[i], &end, 10);
            if (argv[i][0] < '0' || argv[i][0] > '9' || *end || errno == ERANGE)
                return usage_error("--seed expects an unsigned integer, got "
                                   "'%s'",
                                   argv[i]);
            opts.has_seed = true;
            opts.seed = v;
        } else if (strcmp(a, "--duration") == 0) {
            if (++i == argc)
                return usage_error("%s needs a value", a);
            if (purr_sim_duration_parse(argv[i], &opts.duration_ns) < 0 ||
                opts.duration_ns <= 0)
                return usage_error("--duration expects a duration with a "
                                   "unit (e.g. 90s, 24h), got '%s'",
                                   argv[i]);
#ifdef PURR_SIM_WITH_RECORDER
        } else if (strcmp(a, "--record") == 0) {
            if (++i == argc)
                return usage_error("%s needs a file name", a);
            record_path = argv[i];
#endif
        } else if (strcmp(a, "--headless") == 0) {
            /* The only mode until the window exists. */
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("run: unknown option '%s'", a);
        } else if (scene_path) {
            return usage_error("run: more than one scene given ('%s')", a);
        } else {
            scene_path = a;
        }
    }
    if (!scene_path)
        return usage_error("run: no scene given%s", "");

    purr_diag diag = {0};
    purr_scene *scene;
    if (purr_scene_load(scene_path, &scene, &diag) < 0)
        return print_diag(&diag);
    purr_sim *sim = purr_sim_new(scene, &opts);
    if (!sim) {
        purr_scene_free(scene);
        fprintf(stderr, "purr: cannot create a loop\n");
        return 1;
    }
    timeline tl = {quiet ? NULL : stdout, 0};
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      print_transition, &tl);
    int status = 0;
#ifdef PURR_SIM_WITH_RECORDER
    purr_recorder *rec = NULL;
    if (record_path) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, purr_sim_seed(sim));
        /* Attached before setup, so it sees every value being created. */
        if (!(rec = purr_recorder_open(record_path, NULL, &diag)) ||
            purr_recorder_attach(rec, purr_sim_loop(sim)) < 0 ||
            purr_recorder_set_meta(rec, "scene", scene_path) < 0 ||
            purr_recorder_set_meta(rec, "seed", seed) < 0 ||
            purr_recorder_set_meta(rec, "created_by", "purr run") < 0) {
            if (rec)
                purr_recorder_close(rec, &diag);
            rec = NULL;
            status = print_diag(&diag);
            goto out;
        }
    }
#else
    (void)record_path;
#endif
    if (purr_sim_setup(sim, &diag) < 0) {
        status = print_diag(&diag);
        goto out;
    }
    double start = wall_seconds();
    int rc = purr_sim_run(sim, &diag);
    double wall = wall_seconds() - start;
    if (rc < 0) {
        char line[640];
        purr_sim_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        status = 1;
    }
#ifdef PURR_SIM_WITH_RECORDER
    if (rec) {
        char end[32];
        snprintf(end, sizeof end, "%" PRId64, purr_sim_duration(sim));
        purr_recorder_set_meta(rec, "end_ns", end);
        purr_recorder_set_meta(rec, "exit_status", status ? "1" : "0");
        int rrc = purr_recorder_close(rec, &diag);
        rec = NULL;
        if (rrc < 0) {
            char line[640];
            purr_sim_diag_format(&diag, line, sizeof line);
            fprintf(stderr, "purr: recording failed: %s\n", line);
            status = 1;
        }
    }
#endif
    char vt[32];
    format_time(purr_sim_duration(sim), vt, sizeof vt);
    double virt = (double)purr_sim_duration(sim) / (double)PURR_S;
    printf("scene '%s', seed %" PRIu64 ": %" PRIu64 " transitions, %s "
           "virtual in %.3f s wall (%.0fx real time)%s\n",
           scene->name, purr_sim_seed(sim), tl.transitions, vt, wall,
           wall > 0 ? virt / wall : 0.0, rc < 0 ? ", FAILED" : "");
out:
#ifdef PURR_SIM_WITH_RECORDER
    if (rec) /* setup failed after the recorder was attached */
        purr_recorder_close(rec, NULL);
#endif
    purr_sim_free(sim);
    purr_scene_free(scene);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given%s", "");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", argv[1]);
}
