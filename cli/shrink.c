/* shrink.c - `purr shrink FAILING.db [-o SMALL.db]`: a smaller recording
 * that still fails the same expectation.
 *
 * Reads the failing recording's inputs, loads its scene and plug-ins as
 * `purr replay` does, and hands them to the search (shrink_search.c),
 * which runs the scene against smaller and simpler input sets in feeder
 * mode. The result is written as a full recording of the shrunk run
 * (inputs and outputs, metadata inputs=recording so that `purr replay`
 * feeds it, shrunk_from naming the original), which `purr replay --check`
 * replays identically while the same expectation fails, and printed as a
 * timeline and a scene fragment of timeline sensors (shrink_scene.c).
 *
 * Bad input is one line on stderr and exit status 2; an output that
 * cannot be written, 3 (the recorder writes beside an existing file and
 * renames at the end, the fragment goes through purr_output).
 */
#include "shrink_int.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_shrink[] =
    "usage: purr shrink FAILING.db [-o SMALL.db] [--scene-out FILE.yaml]\n"
    "                   [--expect N] [--max-replays N] [--force]\n"
    "                   [--scene SCENE] [--load PLUGIN.so] [-q]\n"
    "\n"
    "Finds a smaller recording that still fails the same expectation.\n"
    "The scene's behaviours are run again and again (feeder mode: the\n"
    "recorded inputs are set at their times, the sensors do not run)\n"
    "against smaller input sets: the run is cut just past the failure,\n"
    "whole inputs and then single transitions are removed (delta\n"
    "debugging), numbers are moved toward the input's initial value and\n"
    "events earlier, each step kept only while the same expectation still\n"
    "fails. Progress goes to stderr. At the end it prints the remaining\n"
    "inputs as a timeline and a scene fragment (a timeline sensor per\n"
    "input, the scene's behaviours and expectations) that reproduces the\n"
    "failure with 'purr run', and writes SMALL.db: a recording of the\n"
    "shrunk run, which 'purr replay --check' replays identically while\n"
    "the expectation fails.\n"
    "\n"
    "options:\n"
    "  -o SMALL.db    the smaller recording (default: FAILING.shrunk.db);\n"
    "                 an existing file is replaced only with --force\n"
    "  --scene-out FILE.yaml\n"
    "                 also write the scene fragment to FILE.yaml\n"
    "  --expect N     keep expectation N (1-based, in scene order)\n"
    "                 failing (default: the first that fails)\n"
    "  --max-replays N\n"
    "                 run at most N candidates (default 5000); the\n"
    "                 smallest failing one found by then is the result\n"
    "  --force        let -o and --scene-out replace existing files\n"
    "  --scene SCENE  run SCENE instead of the recording's scene\n"
    "  --load PLUGIN.so\n"
    "                 load behaviours from this plug-in instead of the\n"
    "                 recorded ones (repeatable)\n"
    "  -q, --quiet    no progress, no fragment on stdout\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 a smaller failing recording was written; 1 the\n"
    "recording's inputs, fed, fail no expectation (nothing to shrink); 2\n"
    "bad usage or input (not a recording, an input the scene lacks, an\n"
    "existing output without --force); 3 an output could not be written\n";

/* Prints a usage error as one line and returns the exit status 2. */
static int
shrink_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr: shrink: %s%s%s (see 'purr shrink --help')\n", msg,
            arg ? " " : "", arg ? arg : "");
    return 2;
}

static double
wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the unsigned metadata key of rec into *out (absent: false). */
static int
meta_u64(purr_recording *rec, const char *key, bool *present, uint64_t *out)
{
    const char *s = purr_recording_meta(rec, key);
    *present = s != NULL;
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno == ERANGE) {
        fprintf(stderr, "purr: %s: metadata %s is '%s', not an unsigned "
                        "integer\n",
                purr_recording_path(rec), key, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Reading the failing recording                                           */
/* ---------------------------------------------------------------------- */

/* What is read from the failing recording. */
typedef struct source {
    purr__sh_input *inputs; /* one per recorded input value */
    size_t ninputs;
    purr_datum *datums;     /* the input transitions' datums (owned) */
    purr__sh_tr *trs;       /* the input transitions, recorded order */
    size_t n, cap;
    purr_time last_ns;      /* time of the last transition, any value */
} source;

static void
source_free(source *src)
{
    for (size_t i = 0; i < src->n; i++)
        purr_datum_free(&src->datums[i]);
    free(src->datums);
    free(src->trs);
    free(src->inputs);
}

/* Reads rec's input values (each must be a sensor of scene) and input
 * transitions into src. Returns 0, or prints one line and returns 2. */
static int
read_source(purr_recording *rec, const purr_scene *scene, source *src)
{
    const char *file = purr_recording_path(rec);
    size_t nv = purr_recording_value_count(rec);
    int32_t *input_of = calloc(nv + 1, sizeof *input_of);
    src->inputs = calloc(nv + 1, sizeof *src->inputs);
    if (!input_of || !src->inputs) {
        free(input_of);
        fprintf(stderr, "purr: shrink: out of memory\n");
        return 2;
    }
    for (size_t v = 0; v < nv; v++) {
        const purr_recorded_value *rv = purr_recording_value_at(rec, v);
        input_of[v] = -1;
        if (rv->role != PURR_ROLE_INPUT)
            continue;
        const purr_sensor_spec *sensor = NULL;
        for (size_t k = 0; k < scene->sensor_count; k++)
            if (strcmp(scene->sensors[k].name, rv->name) == 0)
                sensor = &scene->sensors[k];
        if (!sensor) {
            fprintf(stderr, "purr: %s: input value %s is not in the scene\n",
                    file, rv->name);
            free(input_of);
            return 2;
        }
        input_of[v] = (int32_t)src->ninputs;
        src->inputs[src->ninputs++] =
            (purr__sh_input){rv->name, rv->type, sensor};
    }
    const purr_recorded_value *v0 = purr_recording_value_at(rec, 0);
    purr_recording_iter it;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_recording_iter_open(&it, rec);
    while (rc == 0 && (rc = purr_recording_iter_next(&it, &diag)) == 0) {
        src->last_ns = it.time_ns;
        int32_t in = input_of[it.value - v0];
        if (in < 0)
            continue;
        if (src->n == src->cap) {
            src->cap = src->cap ? 2 * src->cap : 256;
            purr_datum *d = realloc(src->datums, src->cap * sizeof *d);
            if (d)
                src->datums = d;
            purr__sh_tr *t = realloc(src->trs, src->cap * sizeof *t);
            if (t)
                src->trs = t;
            if (!d || !t) {
                fprintf(stderr, "purr: shrink: out of memory\n");
                rc = PURR_ENOMEM;
                break;
            }
        }
        /* Move the decoded datum out of the iterator. */
        src->datums[src->n] = it.datum;
        it.datum = purr_datum_nil();
        src->trs[src->n] =
            (purr__sh_tr){(uint32_t)in, it.time_ns, src->datums[src->n]};
        src->n++;
    }
    purr_recording_iter_close(&it);
    free(input_of);
    if (rc == PURR_ENOMEM)
        return 2;
    if (rc != PURR_ECLOSED)
        return purr__cli_print_diag(&diag);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing the smaller recording                                           */
/* ---------------------------------------------------------------------- */

/* The recording of the shrunk run, attached by the run's hooks. */
typedef struct small_rec {
    const char *path;         /* SMALL.db */
    bool force;
    const char *from;         /* FAILING.db */
    const purr__shrink *s;
    const char *scene_path;   /* the scene's path as recorded */
    purr_recorder *r;         /* open from attach to done */
    int status;               /* 0, or the exit status of a failure */
    purr_expect_result fail;  /* the target's result in this run */
} small_rec;

static int
small_attach(purr_sim *sim, void *arg)
{
    small_rec *sr = arg;
    purr_recorder_options ro = {.overwrite = sr->force};
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    char num[64], what[300];
    if (!(sr->r = purr_recorder_open(sr->path, &ro, &diag))) {
        /* An existing file was refused before the search: this is one
         * that cannot be written. */
        purr__cli_print_diag(&diag);
        sr->status = 3;
        return PURR_EIO;
    }
    snprintf(num, sizeof num, "%" PRIu64, purr_sim_seed(sim));
    snprintf(what, sizeof what, "%zu: %s", sr->s->target + 1,
             sr->s->fail.text);
    /* inputs=recording: a replay feeds these inputs, as the search did
     * (the sensors that made the original ones do not run). */
    if (purr_recorder_attach(sr->r, purr_sim_loop(sim)) < 0 ||
        purr__cli_meta_scene(sr->r, sr->s->scene, sr->scene_path) < 0 ||
        purr__cli_meta_plugins(sr->r) < 0 ||
        purr_recorder_set_meta(sr->r, "seed", num) < 0 ||
        purr_recorder_set_meta(sr->r, "inputs", "recording") < 0 ||
        purr_recorder_set_meta(sr->r, "created_by", "purr shrink") < 0 ||
        purr_recorder_set_meta(sr->r, "shrunk_from", sr->from) < 0 ||
        purr_recorder_set_meta(sr->r, "shrink_expect", what) < 0) {
        purr_recorder_discard(sr->r, NULL);
        sr->r = NULL;
        fprintf(stderr, "purr: %s: cannot write the recording\n", sr->path);
        sr->status = 3;
        return PURR_EIO;
    }
    if (sr->s->base.shuffle) {
        snprintf(num, sizeof num, "%" PRIu64, sr->s->base.shuffle_seed);
        purr_recorder_set_meta(sr->r, "shuffle_seed", num);
    }
    return 0;
}

static void
small_done(purr_sim *sim, int run_rc, void *arg)
{
    small_rec *sr = arg;
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, purr_sim_end_time(sim));
    purr_recorder_set_meta(sr->r, "end_ns", num);
    bool failed = run_rc < 0 || purr_sim_expect_failures(sim) > 0;
    purr_recorder_set_meta(sr->r, "exit_status", failed ? "1" : "0");
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    if (purr_recorder_close(sr->r, &diag) < 0) {
        purr__cli_print_diag(&diag);
        sr->status = 3;
    }
    sr->r = NULL;
}

/* Writes the fragment text to path through a temporary file. Returns 0,
 * or prints one line and returns 3. */
static int
write_fragment(const char *path, const char *text, size_t len)
{
    purr_output out;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_output_open(&out, path, &diag);
    if (rc == 0) {
        fwrite(text, 1, len, out.file);
        rc = purr_output_close(&out, &diag);
    }
    if (rc < 0) {
        purr__cli_print_diag(&diag);
        return 3;
    }
    return 0;
}

/* Refuses an output that is an input, the other output, not a regular
 * file, or (without force) an existing file. Returns 0 or 2. */
static int
check_output(const char *path, const char *const *others, size_t n,
             bool force)
{
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "purr: %s: already exists; give --force to replace "
                        "it\n",
                path);
        return 2;
    }
    if (purr_output_check(path, others, n, PURR_OUTPUT_RECORDING, true,
                          &diag) < 0)
        return purr__cli_print_diag(&diag);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* purr__cli_shrink                                                        */
/* ---------------------------------------------------------------------- */

/* Prints the result of the shrinking s of in, with the fragment text. */
static void
print_result(const char *in, const char *out, const purr__shrink *s,
             const purr__shrink_options *o, const char *fragment,
             double wall)
{
    char d0[32], d1[32];
    purr_time_format(s->duration_before, d0, sizeof d0);
    purr_time_format(s->duration_ns, d1, sizeof d1);
    printf("%s: shrunk: expectation %zu still fails\n"
           "  input transitions %zu -> %zu, inputs %zu -> %zu, duration %s "
           "-> %s\n"
           "  %" PRIu64 " replays in %.3f s wall%s\n",
           in, s->target + 1, s->nbefore, s->ncur, s->inputs_before,
           purr__shrink_inputs_used(s, s->cur, s->ncur), d0, d1, s->replays,
           wall,
           s->bounded ? " (stopped at --max-replays: not minimal)" : "");
    printf("FAIL  %s: %s\n", s->fail.text, s->fail.detail);
    printf("remaining inputs:\n");
    purr__shrink_print_timeline(stdout, s);
    if (!o->quiet) {
        printf("scene fragment%s%s%s:\n", o->scene_out ? " (written to " : "",
               o->scene_out ? o->scene_out : "", o->scene_out ? ")" : "");
        fputs(fragment, stdout);
    } else if (o->scene_out) {
        printf("scene fragment: %s\n", o->scene_out);
    }
    printf("recording: %s\n", out);
}

int
purr__cli_shrink(const char *in, const char *out,
                 const purr__shrink_options *opts)
{
    purr__shrink_options none = {0};
    const purr__shrink_options *o = opts ? opts : &none;
    char outbuf[4096];
    if (!out) {
        size_t len = strlen(in);
        if (len > 3 && strcmp(in + len - 3, ".db") == 0)
            len -= 3;
        snprintf(outbuf, sizeof outbuf, "%.*s.shrunk.db", (int)len, in);
        out = outbuf;
    }
    const char *others[] = {in, o->scene_out, o->scene_path};
    if (purr__cli_check_output(out, "-o") ||
        check_output(out, others, 3, o->force))
        return 2;
    others[1] = out;
    if (o->scene_out && (purr__cli_check_output(o->scene_out, "--scene-out") ||
                         check_output(o->scene_out, others, 3, o->force)))
        return 2;

    purr_recording *rec = NULL;
    purr_scene *scene = NULL;
    source src;
    memset(&src, 0, sizeof src);
    purr__shrink s;
    memset(&s, 0, sizeof s);
    char *fragment = NULL;
    size_t fragment_len = 0;
    int status = 2;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    if (purr_recording_open(in, &rec, &diag) < 0) {
        status = purr__cli_print_diag(&diag);
        goto done;
    }
    if (o->loaded)
        purr__cli_note_plugin_changes(rec);
    else if (purr__cli_load_recorded(rec, &diag) < 0) {
        status = purr__cli_print_diag(&diag);
        goto done;
    }
    char scene_path[512];
    if (purr__cli_recorded_scene(rec, o->scene_path, &scene, scene_path,
                                 sizeof scene_path, &diag) < 0) {
        status = purr__cli_print_diag(&diag);
        goto done;
    }
    if ((status = read_source(rec, scene, &src)) != 0)
        goto done;
    status = 2;

    /* The recorded run's options: seed, shuffle seed, duration. */
    uint64_t end_ns = 0;
    bool has_end;
    if (meta_u64(rec, "seed", &s.base.has_seed, &s.base.seed) < 0 ||
        meta_u64(rec, "shuffle_seed", &s.base.shuffle, &s.base.shuffle_seed) <
            0 ||
        meta_u64(rec, "end_ns", &has_end, &end_ns) < 0)
        goto done;
    s.duration_ns = has_end && end_ns > 0 && end_ns <= (uint64_t)INT64_MAX &&
                            purr_recording_is_complete(rec)
                        ? (purr_time)end_ns
                        : src.last_ns + 1;
    s.scene = scene;
    s.inputs = src.inputs;
    s.ninputs = src.ninputs;
    s.max_replays = o->max_replays ? o->max_replays : 5000;
    s.want = o->expect;
    s.progress = o->quiet ? NULL : stderr;
    s.tty = !o->quiet && isatty(STDERR_FILENO);
    s.cur = calloc(src.n + 1, sizeof *s.cur);
    if (!s.cur) {
        fprintf(stderr, "purr: shrink: out of memory\n");
        goto done;
    }
    memcpy(s.cur, src.trs, src.n * sizeof *s.cur);
    s.ncur = src.n;

    double start = wall_seconds();
    int rc = purr__shrink_search(&s);
    double wall = wall_seconds() - start;
    if (rc == PURR_ENOENT) {
        fprintf(stderr, "purr: %s: %s\n", in, s.diag.message);
        status = 1;
        goto done;
    }
    if (rc < 0) {
        status = purr__cli_print_diag(&s.diag);
        goto done;
    }

    /* The smaller recording: the shrunk run once more, recorded. */
    small_rec sr = {out, o->force, in, &s, scene_path, NULL, 0, {0}};
    purr__sh_hooks hooks = {small_attach, small_done, &sr};
    bool failed = false;
    uint64_t replays = s.replays; /* the search's, not this run */
    rc = purr__shrink_run(&s, s.cur, s.ncur, s.duration_ns, &hooks, &failed,
                          NULL);
    s.replays = replays;
    if (sr.r) /* the run could not be set up after the recorder opened */
        purr_recorder_discard(sr.r, NULL);
    if (sr.status) {
        status = sr.status;
        goto done;
    }
    if (rc < 0) {
        status = purr__cli_print_diag(&s.diag);
        goto done;
    }
    if (!failed) {
        /* The search's last failing run, run again, passed: the
         * behaviours do not depend on their inputs alone. */
        fprintf(stderr, "purr: %s: the shrunk run, run again, did not fail "
                        "expectation %zu: the behaviours are not "
                        "deterministic (see 'purr run --check-determinism')\n",
                in, s.target + 1);
        unlink(out);
        status = 1;
        goto done;
    }

    FILE *mem = open_memstream(&fragment, &fragment_len);
    if (!mem || purr__shrink_write_scene(mem, &s, in) < 0 || fclose(mem)) {
        fprintf(stderr, "purr: shrink: cannot write the scene fragment\n");
        status = 3;
        goto done;
    }
    if (o->scene_out &&
        (status = write_fragment(o->scene_out, fragment, fragment_len)) != 0)
        goto done;
    print_result(in, out, &s, o, fragment, wall);
    status = 0;
    if (o->result) {
        purr__shrink_result *r = o->result;
        r->expect = s.target + 1;
        r->replays = s.replays;
        r->bounded = s.bounded;
        r->before = s.nbefore;
        r->after = s.ncur;
        r->inputs_before = s.inputs_before;
        r->inputs_after = purr__shrink_inputs_used(&s, s.cur, s.ncur);
        r->duration_before = s.duration_before;
        r->duration_after = s.duration_ns;
        r->wall_s = wall;
    }

done:
    free(fragment);
    free(s.cur);
    source_free(&src);
    purr_scene_free(scene);
    purr_recording_close(rec);
    return status;
}

/* ---------------------------------------------------------------------- */
/* The verb                                                                */
/* ---------------------------------------------------------------------- */

/* Parses a positive decimal number option value into *out. */
static bool
parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '1' || s[0] > '9' || *end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

int
purr__cli_shrink_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, 'f'},
        {"scene-out", required_argument, NULL, 'S'},
        {"scene", required_argument, NULL, 's'},
        {"expect", required_argument, NULL, 'e'},
        {"max-replays", required_argument, NULL, 'm'},
        {"load", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0}};
    purr__shrink_options o;
    memset(&o, 0, sizeof o);
    const char *out = NULL;
    const char *loads[64];
    size_t nloads = 0;
    uint64_t num;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:q", longs, NULL)) != -1) {
        /* An empty value ('') names no file and no number. */
        if (optarg && !optarg[0])
            return shrink_usage("an empty argument after", argv[optind - 2]);
        switch (c) {
        case 'h':
            fputs(usage_shrink, stdout);
            return 0;
        case 'o':
            out = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'f':
            o.force = true;
            break;
        case 'S':
            o.scene_out = optarg;
            break;
        case 's':
            o.scene_path = optarg;
            break;
        case 'e':
            if (!parse_count(optarg, &num) || num > 1u << 20)
                return shrink_usage("--expect expects an expectation's "
                                    "number (1, 2...), got",
                                    optarg);
            o.expect = (size_t)num;
            break;
        case 'm':
            if (!parse_count(optarg, &num))
                return shrink_usage("--max-replays expects a positive number, "
                                    "got",
                                    optarg);
            o.max_replays = num;
            break;
        case 'l':
            if (nloads == 64)
                return shrink_usage("more than 64", "--load");
            loads[nloads++] = optarg;
            break;
        case ':':
            return shrink_usage("missing argument after", argv[optind - 1]);
        default: {
            char opt[3] = {'-', (char)optopt, '\0'};
            return shrink_usage("unknown option",
                                optopt ? opt : argv[optind - 1]);
        }
        }
    }
    if (optind >= argc)
        return shrink_usage("no recording given", NULL);
    if (optind + 1 < argc)
        return shrink_usage("one recording at a time; got also",
                            argv[optind + 1]);
    if (!argv[optind][0])
        return shrink_usage("the recording's file name is empty", NULL);
    int st = purr__cli_load(loads, nloads);
    if (st != 0)
        return st;
    o.loaded = nloads > 0;
    return purr__cli_shrink(argv[optind], out, &o);
}
