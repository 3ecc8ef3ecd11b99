/* run.c - `purr run SCENE`: run a scene, print its timeline, check its
 * expectations.
 *
 * Runs a scene headless on the virtual clock (or in a window, or with
 * --real-time on the real clock), prints each input and output transition
 * as a timeline line, one PASS/FAIL line per expectation, then a summary
 * (transitions, expectations, virtual time, wall time, speed-up over real
 * time). On a terminal a progress bar is drawn from the virtual clock's
 * pacing hook. Wall time is read here, for the bar and the summary only;
 * nothing the run computes depends on it.
 *
 * Every run is recorded: to --record FILE (replacing an existing FILE only
 * with --force, and then only once the run is complete), or else to a
 * temporary file that is kept, and named, only when the run fails (or
 * with --keep), so a failure can be replayed and viewed.
 * Exit status: 0 every expectation held; 1 an expectation or a behaviour
 * failed, or --check-determinism found a difference; 2 bad usage or a bad
 * scene (one line on stderr, as the project asks of bad input); 3 an output (the
 * recording, the screenshot) could not be written, which outranks 1: the
 * run's verdict is printed, but what it was to leave behind is missing.
 */
#include "cli_int.h"
#include "serve_int.h"

#ifdef PURR_WITH_VIEW
#include <purr/view.h>
#endif

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_run[] =
    "usage: purr run SCENE [--seed N] [--duration T] [--headless]\n"
    "                [--record FILE.db [--force]] [--keep] [--load PLUGIN.so]\n"
    "                [--speed X|max] [--shuffle-seed N] "
    "[--check-determinism [--across CMD]] [-q]\n"
    "                [--real-time] [--faults-scale X]\n"
    "                [--serve [ADDR:]PORT [--serve-wait N]\n"
    "                [--serve-buffer SIZE]]\n"
    "\n"
    "Runs SCENE on the virtual clock, printing every input and output\n"
    "transition, then one PASS/FAIL line per expectation and a summary.\n"
    "\n"
    "options:\n"
    "  --seed N       seed of the sensors' random streams (default: the\n"
    "                 scene's)\n"
    "  --duration T   virtual time to run, e.g. 90s, 10min, 24h (default:\n"
    "                 the scene's)\n"
    "  --headless     no window (headless runs go as fast as they can);\n"
    "                 the default when there is no display\n"
#ifdef PURR_WITH_VIEW
    "  --screenshot FILE.png\n"
    "                 save the window's last frame (offscreen when\n"
    "                 --headless), whole or not at all; an existing\n"
    "                 FILE.png that is not a PNG is replaced only with\n"
    "                 --force\n"
#endif
    "  --record FILE  record every transition to FILE (SQLite); an\n"
    "                 existing FILE is replaced only with --force, and only\n"
    "                 once the run is complete (an interrupted run leaves\n"
    "                 it whole)\n"
    "  --force        let --record replace an existing file, and\n"
    "                 --screenshot a file that is not a PNG (never the\n"
    "                 scene or a plug-in)\n"
    "  --load PLUGIN.so\n"
    "                 load behaviours from a plug-in (built with\n"
    "                 PURR_BEHAVIOURS; repeatable; a scene's load: key does\n"
    "                 the same); the recording names every plug-in loaded\n"
    "  --keep         without --record: keep the run's temporary recording\n"
    "                 (by default it is kept only when the run fails)\n"
    "  --speed X|max  virtual seconds per wall second in a window (1, 10,\n"
    "                 100...; default 1); headless runs are always max\n"
    "  --shuffle-seed N\n"
    "                 run tasks woken together in a seeded random order\n"
    "                 instead of FIFO order\n"
    "  --faults-scale X\n"
    "                 multiply the rate of every random fault (rate-based\n"
    "                 windows, spikes) by X: 2 doubles them, 0 turns them\n"
    "                 off (scripted windows stay); the recording keeps X\n"
    "  --check-determinism\n"
    "                 run the scene twice (and, with --shuffle-seed, once\n"
    "                 more under that schedule) and compare them instant\n"
    "                 by instant, value by value (under the shuffle, values\n"
    "                 set in one instant may interleave in any order);\n"
    "                 report the first instant and value that differ\n"
    "  --across CMD   with --check-determinism: instead, record the run\n"
    "                 with this purr and with CMD, another build of the\n"
    "                 same behaviours given the same arguments (one\n"
    "                 string, split like a shell command, e.g.\n"
    "                 'qemu-aarch64 -L / ./build-arm64/cli/purr'), and\n"
    "                 compare the recordings bit for bit (purr diff)\n"
    "  --real-time    run on the real (libuv) clock: sensors and behaviours\n"
    "                 sleep in real time (use a short --duration); headless.\n"
    "                 The recording says clock=real; 'purr replay' replays\n"
    "                 it on the virtual clock (see 'purr replay --help')\n"
    "  --serve [ADDR:]PORT\n"
    "                 stream the run over the Foxglove WebSocket protocol\n"
    "                 (Foxglove, Lichtblick: open ws://localhost:PORT);\n"
    "                 on 127.0.0.1 unless ADDR is given; PORT 0 picks a\n"
    "                 free one (printed on stderr). Served runs go at\n"
    "                 --speed (default 1) even headless (docs/serve.md)\n"
    "  --serve-wait N start the run once N clients have subscribed\n"
    "  --serve-buffer SIZE\n"
    "                 bytes queued per client (default 8M); a client that\n"
    "                 reads slower misses messages, counted at the end\n"
    "  -q, --quiet    print only the expectations and the summary\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 every expectation held; 1 an expectation failed, a\n"
    "behaviour failed or the runs differ; 2 bad usage or scene, or an\n"
    "output that is the scene, a plug-in, the other output or an existing\n"
    "file it may not replace; 3 an output (the recording, the screenshot)\n"
    "could not be written (an old file is left as it was)\n";

/* Prints a usage error as one line and returns the exit status 2. */
static int
usage_error(const char *fmt, const char *arg)
{
    fputs("purr: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr run --help')\n", stderr);
    return 2;
}

/* Whether option a takes a value (the next argument). */
static bool
takes_value(const char *a)
{
    static const char *const with[] = {
        "--seed",   "--shuffle-seed", "--duration",  "--speed",
        "--record", "--load",         "--screenshot", "--faults-scale"};
    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
        if (strcmp(a, with[i]) == 0)
            return true;
    return false;
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
    purr_time_format(ev->time_ns, when, sizeof when);
    purr_datum_format(ev->new_value, text, sizeof text);
    fprintf(tl->out, "%s  %-6s %-12s = %s\n", when,
            role == PURR_ROLE_INPUT ? "input" : "output",
            purr_value_name(ev->value), text);
}

/* Wall time, for the progress bar and the summary only: nothing the run
 * computes depends on it. */
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
    return purr__cli_print_diag(diag);
}

/* Parses an unsigned decimal integer option value. */
static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Progress bar                                                            */
/* ---------------------------------------------------------------------- */

/* The progress bar is drawn from the virtual clock's pacing hook, which
 * runs between time jumps, outside every task: it reads the wall clock
 * and writes to stderr, and changes nothing in the run. */
typedef struct progress {
    purr_time duration_ns; /* the run's length */
    double start;          /* wall time at the start */
    double last;           /* wall time of the last drawing */
    bool drawn;            /* something is on the line */
} progress;

static void
progress_draw(progress *p, purr_time at_ns, double now)
{
    if (at_ns > p->duration_ns)
        at_ns = p->duration_ns;
    double frac = (double)at_ns / (double)p->duration_ns;
    char bar[31], done[32], total[32];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    purr_time_format(at_ns, done, sizeof done);
    purr_time_format(p->duration_ns, total, sizeof total);
    double wall = now - p->start;
    fprintf(stderr, "\r[%s] %s / %s  %.0fx ", bar, done, total,
            wall > 0 ? (double)at_ns / 1e9 / wall : 0.0);
    fflush(stderr);
    p->drawn = true;
}

static void
progress_pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    (void)loop;
    progress *p = ctx;
    double now = wall_seconds();
    if (now - p->last < 0.1) /* at most 10 drawings a wall second */
        return;
    p->last = now;
    progress_draw(p, next_deadline, now);
}

static void
progress_clear(progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
}

/* ---------------------------------------------------------------------- */
/* purr run --check-determinism                                            */
/* ---------------------------------------------------------------------- */

/* Compares two runs with options a and b; prints the verdict. Returns 0
 * identical, 1 different, 2 the runs could not run. */
static int
compare(const purr_scene *scene, const purr_sim_options *a,
        const purr_sim_options *b, const char *what)
{
    purr_sim_divergence dv;
    purr_diag diag = {0};
    int rc = purr_sim_compare_runs(scene, a, b, &dv, &diag);
    if (rc == PURR_EFORMAT)
        return print_diag(&diag);
    if (rc < 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        return 1;
    }
    if (!dv.differs) {
        printf("%s: %" PRIu64 " transitions identical\n", what,
               dv.transitions);
        return 0;
    }
    char when[32];
    purr_time_format(dv.at_ns, when, sizeof when);
    if (dv.order_only)
        printf("NOT %s: at %s the same transitions came in another order, "
               "from %s on",
               what, when, dv.value);
    else
        printf("NOT %s: at %s %s differs", what, when, dv.value);
    printf(" (after %" PRIu64 " matching transitions)\n"
           "  first run:  %s\n"
           "  second run: %s\n",
           dv.transitions, dv.a, dv.b);
    return 1;
}

static int
check_determinism(const purr_scene *scene, const purr_sim_options *opts,
                  bool shuffle)
{
    purr_sim_options plain = *opts;
    plain.shuffle = false;
    int status = compare(scene, &plain, &plain, "deterministic");
    if (status == 0 && shuffle) {
        char what[80];
        snprintf(what, sizeof what,
                 "schedule-independent (--shuffle-seed %" PRIu64 ")",
                 opts->shuffle_seed);
        status = compare(scene, &plain, opts, what);
    }
    return status;
}

/* ---------------------------------------------------------------------- */
/* purr run                                                                */
/* ---------------------------------------------------------------------- */

/* Creates an empty temporary file for the run's recording; path (out)
 * receives its name. Returns false when none can be made. */
static bool
temp_recording(char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(path, cap, "%s/purr-run-XXXXXX.db", dir);
    int fd = mkstemps(path, 3);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* Refuses, before the run, an output (--record, --screenshot) that is the
 * scene, a plug-in or the other output, or an existing file it may not
 * replace (purr_output_check): one line on stderr. Returns 0, or 2. */
static int
check_outputs(const char *scene_path, const char *const *loads,
              size_t nloads, const char *record_path, const char *screenshot,
              bool force)
{
    const char *others[64 + 2];
    size_t k = 0;
    others[k++] = scene_path;
    for (size_t i = 0; i < nloads; i++)
        others[k++] = loads[i];
    purr_diag diag = {0};
    others[k] = screenshot;
    if (record_path && purr_output_check(record_path, others, k + 1,
                                         PURR_OUTPUT_RECORDING, force,
                                         &diag) < 0)
        return print_diag(&diag);
    others[k] = record_path;
    if (screenshot && purr_output_check(screenshot, others, k + 1,
                                        PURR_OUTPUT_PNG, force, &diag) < 0)
        return print_diag(&diag);
    return 0;
}

#ifdef PURR_WITH_VIEW
/* Posted by the window when the user closes it: ends the run now. */
static void
stop_run(void *arg)
{
    purr_sim_stop(arg);
}
#endif

int
purr__cli_run(int argc, char **argv)
{
    const char *scene_path = NULL;
    purr_sim_options opts = {0};
    bool quiet = false, determinism = false;
    const char *record_path = NULL;
    double speed = 1; /* virtual s per wall s in a window; 0: max */
    bool headless = false;
    const char *screenshot = NULL;
    bool force = false, keep = false;
    const char *loads[64];
    size_t nloads = 0;
    const char *across = NULL; /* --across CMD (across.c) */
    purr__serve_cli serve = {0}; /* --serve (serve.c) */
    int sv;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* An empty value ('') names no file and no number: said here,
         * with its option, rather than as an empty file name later. */
        if (takes_value(a) && i + 1 < argc && !argv[i + 1][0])
            return usage_error("run: %s needs a value, got ''", a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_run, stdout);
            return 0;
        } else if (strcmp(a, "--seed") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a value", a);
            if (!parse_u64(argv[i], &opts.seed))
                return usage_error(
                    "run: --seed expects an unsigned integer, got "
                    "'%s'",
                    argv[i]);
            opts.has_seed = true;
        } else if (strcmp(a, "--shuffle-seed") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a value", a);
            if (!parse_u64(argv[i], &opts.shuffle_seed))
                return usage_error("run: --shuffle-seed expects an unsigned "
                                   "integer, got '%s'",
                                   argv[i]);
            opts.shuffle = true;
        } else if (strcmp(a, "--faults-scale") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a value", a);
            if (!purr__cli_parse_faults_scale(argv[i], &opts.faults_scale))
                return usage_error("run: --faults-scale expects a number >= "
                                   "0 (e.g. 0.5, 2), got '%s'",
                                   argv[i]);
            opts.has_faults_scale = true;
        } else if (strcmp(a, "--duration") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a value", a);
            if (purr_sim_duration_parse(argv[i], &opts.duration_ns) < 0 ||
                opts.duration_ns <= 0)
                return usage_error("run: --duration expects a duration with a "
                                   "unit (e.g. 90s, 24h), got '%s'",
                                   argv[i]);
        } else if (strcmp(a, "--speed") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a value", a);
            char *end;
            if (strcmp(argv[i], "max") == 0)
                speed = 0;
            else if ((speed = strtod(argv[i], &end)) <= 0 || *end ||
                     !isfinite(speed))
                return usage_error("run: --speed expects a positive number or "
                                   "'max', got '%s'",
                                   argv[i]);
        } else if (strcmp(a, "--record") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a file name", a);
            record_path = argv[i];
        } else if (strcmp(a, "--load") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a plug-in file", a);
            if (nloads == sizeof loads / sizeof loads[0])
                return usage_error("run: more than 64 --load%s", "");
            loads[nloads++] = argv[i];
        } else if (strcmp(a, "--force") == 0) {
            force = true;
        } else if (strcmp(a, "--keep") == 0) {
            keep = true;
        } else if (strcmp(a, "--check-determinism") == 0) {
            determinism = true;
        } else if (strcmp(a, "--across") == 0) {
            if (++i == argc)
                return usage_error("%s needs a command", a);
            across = argv[i];
        } else if (strcmp(a, "--headless") == 0) {
            headless = true;
        } else if (strcmp(a, "--real-time") == 0) {
            opts.real_time = true;
#ifdef PURR_WITH_VIEW
        } else if (strcmp(a, "--screenshot") == 0) {
            if (++i == argc)
                return usage_error("run: %s needs a file name", a);
            screenshot = argv[i];
#endif
        } else if ((sv = purr__cli_serve_option(&serve, argc, argv, &i,
                                                "run")) != 0) {
            if (sv == 2)
                return 2;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("run: unknown option '%s'", a);
        } else if (!a[0]) {
            return usage_error("run: the scene's file name is empty%s", "");
        } else if (scene_path) {
            return usage_error("run: more than one scene given ('%s')", a);
        } else {
            scene_path = a;
        }
    }
    if (!scene_path)
        return usage_error("run: no scene given%s", "");
    if (keep && record_path)
        return usage_error("run: --keep is for runs without --record (the "
                           "recording %s is kept)",
                           record_path);
    if (force && !record_path && !screenshot)
        return usage_error("run: --force replaces the file of --record or "
                           "--screenshot; there is none%s",
                           "");
    if (check_outputs(scene_path, loads, nloads, record_path, screenshot,
                      force) != 0)
        return 2;
    if (determinism && record_path)
        return usage_error("run: --check-determinism records nothing; drop "
                           "--record %s",
                           record_path);
    if (determinism && opts.real_time)
        return usage_error("run: --check-determinism compares virtual-clock "
                           "runs; drop --real-time%s",
                           "");
    if (record_path && purr__cli_check_output(record_path, "--record"))
        return 2;
    if (purr__cli_serve_check(&serve, "run") ||
        (serve.listen && determinism &&
         usage_error("run: --serve streams one run; drop "
                     "--check-determinism%s", "")))
        return 2;
    if (across && !determinism)
        return usage_error("run: --across goes with --check-determinism%s",
                           "");
    if (across)
        return purr__cli_across(across, argc, argv);
    if (opts.real_time)
        headless = true; /* the window paces the virtual clock only */
#ifndef PURR_WITH_VIEW
    headless = true; /* no window in this build */
    (void)speed;
#else
    /* No display to open a window on (CI, ssh): run headless, as asked
     * ("headless runs never need a display"). SDL_VIDEODRIVER set by the
     * user (e.g. dummy, offscreen) counts as a display. */
    if (!headless && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") &&
        !getenv("SDL_VIDEODRIVER"))
        headless = true;
#endif
    (void)screenshot;

    /* Plug-ins first: the scene names their behaviours. */
    int lst = purr__cli_load(loads, nloads);
    if (lst != 0)
        return lst;
    purr_diag diag = {0};
    purr_scene *scene;
    if (purr_scene_load(scene_path, &scene, &diag) < 0)
        return print_diag(&diag);
    if (determinism) {
        int st = check_determinism(scene, &opts, opts.shuffle);
        purr_scene_free(scene);
        return st;
    }
    progress prog = {0};
    if (headless && !opts.real_time && isatty(STDERR_FILENO)) {
        opts.pace = progress_pace;
        opts.pace_ctx = &prog;
    }
#ifdef PURR_WITH_VIEW
    /* The window (or, headless with --screenshot, an offscreen surface):
     * its pacing hook is a loop option, so it is opened before the sim. */
    purr_window *win = NULL;
    if (!headless || screenshot) {
        purr_window_options wo = {0};
        wo.title = scene->name;
        wo.offscreen = headless;
        wo.speed = speed;
        wo.duration_ns =
            opts.duration_ns > 0 ? opts.duration_ns : scene->duration_ns;
        purr_view_panel panel;
        if (purr__cli_panel(scene, &panel))
            wo.panel = &panel;
        if (!(win = purr_window_open(&wo, &diag))) {
            purr_scene_free(scene);
            return print_diag(&diag);
        }
        if (!headless) {
            purr_loop_options lo = {0};
            purr_window_loop_options(win, &lo);
            opts.pace = lo.pace;
            opts.pace_ctx = lo.pace_ctx;
        }
    }
#endif
    if (purr__cli_serve_start(&serve, scene->name, 0) != 0) {
#ifdef PURR_WITH_VIEW
        purr_window_close(win);
#endif
        purr_scene_free(scene);
        return 2;
    }
    /* Served headless, the run goes at --speed; a window paces itself. */
    purr__cli_serve_pace(&serve, &opts.pace, &opts.pace_ctx,
                         headless ? speed : 0);
    purr_sim *sim = purr_sim_new(scene, &opts);
    if (!sim) {
#ifdef PURR_WITH_VIEW
        purr_window_close(win);
#endif
        purr__cli_serve_end(&serve, 0);
        purr_scene_free(scene);
        fprintf(stderr, "purr: cannot create a loop\n");
        return 1;
    }
#ifdef PURR_WITH_VIEW
    if (win) {
        /* Before setup, so every value gets its row. */
        purr_window_attach(win, purr_sim_loop(sim));
        purr_window_on_quit(win, stop_run, sim);
    }
#endif
    if (serve.server)
        purr_server_attach(serve.server, purr_sim_loop(sim));
    prog.duration_ns = purr_sim_duration(sim);
    timeline tl = {quiet ? NULL : stdout, 0};
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      print_transition, &tl);
    int status = 0;
    purr_recorder *rec = NULL;
    char temp_path[512];
    bool temp = false;
    if (!record_path && temp_recording(temp_path, sizeof temp_path)) {
        record_path = temp_path;
        temp = true;
    }
    if (record_path) {
        char seed[32];
        /* A temporary file exists (mkstemps made it empty): overwrite it.
         * An existing --record file is replaced only with --force, and
         * the recorder then writes beside it until the run is complete. */
        purr_recorder_options ro = {.overwrite = temp || force};
        snprintf(seed, sizeof seed, "%" PRIu64, purr_sim_seed(sim));
        /* Attached before setup, so it sees every value being created.
         * scene_hash and inputs=sensors let replay run the sensors again
         * (docs/recording.md, "Replay"); scene_text lets it do so without
         * the scene file. */
        if (!(rec = purr_recorder_open(record_path, &ro, &diag))) {
            /* An existing file without --force is bad usage; any other
             * failure is an output that cannot be written. */
            bool exists = !temp && !force && access(record_path, F_OK) == 0;
            if (exists)
                purr_diag_set(&diag, record_path, 0, 0,
                              "already exists; give --force to replace it "
                              "(it is replaced only once the run is "
                              "complete)");
            print_diag(&diag);
            status = exists ? 2 : 3;
            goto out;
        }
        if (purr_recorder_attach(rec, purr_sim_loop(sim)) < 0 ||
            purr__cli_meta_scene(rec, scene, scene_path) < 0 ||
            purr__cli_meta_plugins(rec) < 0 ||
            purr_recorder_set_meta(rec, "inputs", "sensors") < 0 ||
            purr_recorder_set_meta(rec, "seed", seed) < 0 ||
            purr_recorder_set_meta(rec, "created_by", "purr run") < 0) {
            purr_recorder_close(rec, &diag);
            rec = NULL;
            print_diag(&diag);
            status = 3;
            goto out;
        }
        if (opts.shuffle) {
            snprintf(seed, sizeof seed, "%" PRIu64, opts.shuffle_seed);
            purr_recorder_set_meta(rec, "shuffle_seed", seed);
        }
        purr__cli_meta_faults_scale(rec, sim);
    }
    if (purr_sim_setup(sim, &diag) < 0) {
        status = print_diag(&diag);
        goto out;
    }
    purr__cli_serve_wait(&serve);
    double start = wall_seconds();
    prog.start = prog.last = start;
    int rc = purr_sim_run(sim, &diag);
    double wall = wall_seconds() - start;
    progress_clear(&prog);
    if (rc < 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        status = 1;
    }
#ifdef PURR_WITH_VIEW
    bool shot_failed = false;
    if (win && screenshot && purr_window_save_png(win, screenshot) < 0) {
        fprintf(stderr, "purr: --screenshot %s: %s\n", screenshot,
                purr_window_error(win));
        shot_failed = true;
    }
    if (win && purr_window_quit_requested(win))
        fprintf(stderr, "purr: the window was closed: the run stopped "
                        "early\n");
#endif
    size_t failed = purr_sim_expect_failures(sim);
    if (failed)
        status = 1;
    bool recorded = false; /* the recording is whole on disk */
    if (rec && temp && status == 0 && !keep) {
        /* Nothing to look into: the temporary recording goes. */
        purr_recorder_discard(rec, NULL);
        rec = NULL;
    } else if (rec) {
        char end[32];
        snprintf(end, sizeof end, "%" PRId64, purr_sim_end_time(sim));
        purr_recorder_set_meta(rec, "end_ns", end);
        purr_recorder_set_meta(rec, "exit_status", status ? "1" : "0");
        int rrc = purr_recorder_close(rec, &diag);
        rec = NULL;
        if (rrc < 0) {
            char line[640];
            purr_diag_format(&diag, line, sizeof line);
            fprintf(stderr, "purr: recording failed: %s\n", line);
        }
        recorded = rrc == 0;
    }
    /* The verdict above stands, but an output that is missing outranks
     * it: a run asked to leave a file behind has not done its job. */
    bool output_failed =
        record_path && !recorded && !(temp && status == 0 && !keep);
#ifdef PURR_WITH_VIEW
    output_failed = output_failed || shot_failed;
#endif
    if (output_failed)
        status = 3;
    purr_sim_report(sim, stdout);
    char vt[32];
    purr_time_format(purr_sim_end_time(sim), vt, sizeof vt);
    double virt = (double)purr_sim_end_time(sim) / (double)PURR_S;
    size_t nexp = purr_sim_expect_count(sim);
    printf("scene '%s', seed %" PRIu64 ": %" PRIu64 " transitions, "
           "%zu expectation%s (%zu failed), %s virtual in %.3f s wall "
           "(%.0fx real time)%s\n",
           scene->name, purr_sim_seed(sim), tl.transitions, nexp,
           nexp == 1 ? "" : "s", failed, vt, wall,
           wall > 0 ? virt / wall : 0.0, rc < 0 ? ", FAILED" : "");
    /* A temporary recording is worth keeping only to look into a
     * failure, or when asked; one that failed is named by its error line
     * only. */
    if (recorded && temp)
        printf("recording: %s%s\n", record_path,
               status != 0 ? " (kept: the run failed; replay or view it)"
                           : "");
    else if (recorded)
        printf("recording: %s\n", record_path);
out:
    purr__cli_serve_end(&serve, purr_sim_end_time(sim));
    if (rec) /* setup failed after the recorder was attached */
        purr_recorder_close(rec, NULL);
    if (temp && (status == 2 || status == 3 || (status == 0 && !keep)))
        unlink(temp_path);
#ifdef PURR_WITH_VIEW
    purr_window_close(win); /* before the sim frees the loop */
#endif
    purr_sim_free(sim);
    purr_scene_free(scene);
    return status;
}
