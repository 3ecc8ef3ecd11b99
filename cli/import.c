/* import.c - `purr import LOG -o FILE.db --scene SCENE [--map MAP.yaml]`:
 * a field log becomes a recording of the scene's inputs
 * (purr_import_scene_log).
 *
 * Parses its own arguments (getopt_long), prints bad input as one line on
 * stderr and returns the exit status: 0 imported; 2 bad input or usage, or
 * an output that is the log or the scene, or that exists (without
 * --force); 3 the recording could not be written (an old FILE.db is left
 * as it was). Notes from the importer (skipped columns, times made
 * relative) go to stderr, one line each; on a terminal a progress bar is
 * drawn on stderr while the log is read.
 */
#include "cli_int.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_import[] =
    "usage: purr import LOG -o FILE.db --scene SCENE [--map MAP.yaml]\n"
    "                   [--format csv|jsonl|rosbag2|mcap]\n"
    "                   [--time-column NAME]\n"
    "                   [--time-format s|ms|us|ns|iso8601] [--epoch]\n"
    "                   [--max-gap DURATION] [--force]\n"
    "\n"
    "Turns a field log into a recording of SCENE's inputs, which\n"
    "'purr replay' runs the scene's behaviours against. Logs: CSV, long\n"
    "(header time,value,datum) or wide (a time column, one column per\n"
    "value, empty cells meaning no update), JSON Lines, rosbag2 (.db3)\n"
    "and MCAP (ROS 2 CDR or JSON channels; a map names /topic.field for\n"
    "each input). Columns named like the scene's inputs are taken; a map\n"
    "file names the others. The log is streamed (any size, constant\n"
    "memory); a bad line stops the import and leaves no output.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.db    the recording to write (required); an\n"
    "                          existing one is replaced only with --force\n"
    "  --scene SCENE           the scene whose sensors the log sets\n"
    "                          (required: it gives the inputs' types)\n"
    "  --map MAP.yaml          which column is the time and how it is\n"
    "                          written, which columns are which inputs\n"
    "                          (docs/import.md)\n"
    "  --format F              csv, jsonl, rosbag2 or mcap (default: from\n"
    "                          its name, else its first bytes)\n"
    "  --time-column NAME      CSV: the time column (default: the first)\n"
    "  --time-format F         s (default; a unit like 200ms allowed), ms,\n"
    "                          us, ns, or iso8601 (absolute, with a zone)\n"
    "  --epoch                 the times are since the Unix epoch: they are\n"
    "                          made relative to the log's start\n"
    "  --max-gap DURATION      a larger gap between updates is an error\n"
    "  --force                 replace an existing FILE.db\n"
    "  -h, --help              show this help\n"
    "\n"
    "exit status: 0 imported; 2 bad usage, a bad log, map or scene; 3 the\n"
    "recording could not be written\n";

/* Prints a usage error as one line, naming the argument, and returns the
 * exit status 2. */
static int
usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr: import: %s%s%s%s (see 'purr import --help')\n", msg,
            arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return 2;
}

/* What the note and progress callbacks share. */
typedef struct bar_state {
    bool bar;  /* stderr is a terminal: draw the bar */
    int shown; /* the percentage drawn, -1: none */
} bar_state;

static void
note(const char *line, void *ctx)
{
    bar_state *b = ctx;
    if (b->bar)
        fputs("\r\033[K", stderr); /* the bar's line, cleared */
    fprintf(stderr, "purr: %s\n", line);
}

/* Draws "purr: import: [#####.....] 45% 120/270 MB" on stderr, redrawn
 * only when the percentage moves. */
static void
progress(uint64_t done, uint64_t total, void *ctx)
{
    bar_state *b = ctx;
    if (!b->bar || total == 0)
        return;
    int pct = done >= total ? 100 : (int)(done * 100 / total);
    if (pct == b->shown && done < total)
        return;
    b->shown = pct;
    char cells[21];
    for (int i = 0; i < 20; i++)
        cells[i] = i < pct / 5 ? '#' : '.';
    cells[20] = '\0';
    fprintf(stderr, "\rpurr: import: [%s] %3d%% %" PRIu64 "/%" PRIu64 " MB",
            cells, pct, done >> 20, total >> 20);
    if (done >= total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* The option c as the user knows it: "-o", or "--NAME". */
static const char *
option_name(const struct option *longopts, int c)
{
    static char name[40];
    if (c == 'o')
        return "-o";
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == c) {
            snprintf(name, sizeof name, "--%s", o->name);
            return name;
        }
    return "?";
}

enum {
    OPT_SCENE = 256,
    OPT_MAP,
    OPT_FORMAT,
    OPT_TIME_COLUMN,
    OPT_TIME_FORMAT,
    OPT_EPOCH,
    OPT_MAX_GAP,
    OPT_FORCE
};

int
purr__cli_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"scene", required_argument, NULL, OPT_SCENE},
        {"map", required_argument, NULL, OPT_MAP},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"time-column", required_argument, NULL, OPT_TIME_COLUMN},
        {"time-format", required_argument, NULL, OPT_TIME_FORMAT},
        {"epoch", no_argument, NULL, OPT_EPOCH},
        {"max-gap", required_argument, NULL, OPT_MAX_GAP},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *log = NULL, *out = NULL, *scene = NULL;
    bar_state bar = {.bar = isatty(STDERR_FILENO) == 1, .shown = -1};
    purr_import_options opts = {.note = note, .progress = progress,
                                .ctx = &bar};
    int c;

    /* "+": stop at nothing but parse in order; the log may come anywhere
     * (non-options are collected by the '\1' case). optind 0 resets
     * getopt fully: purr_main may run many times in one process. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "-:o:h", longopts, NULL)) != -1) {
        const char *a = argv[optind - 1];
        if (optarg && c != 1 && !optarg[0])
            return usage("an empty argument after", option_name(longopts, c));
        switch (c) {
        case 1:
            if (!optarg[0])
                return usage("the log's file name is empty", NULL);
            if (log)
                return usage("more than one log given", optarg);
            log = optarg;
            break;
        case 'h':
            fputs(usage_import, stdout);
            return 0;
        case 'o':
            out = optarg;
            break;
        case OPT_SCENE:
            scene = optarg;
            break;
        case OPT_MAP:
            opts.map_path = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "csv") == 0)
                opts.format = PURR_IMPORT_CSV;
            else if (strcmp(optarg, "jsonl") == 0)
                opts.format = PURR_IMPORT_JSONL;
            else if (strcmp(optarg, "rosbag2") == 0)
                opts.format = PURR_IMPORT_ROSBAG2;
            else if (strcmp(optarg, "mcap") == 0)
                opts.format = PURR_IMPORT_MCAP;
            else
                return usage("--format expects csv, jsonl, rosbag2 or mcap, "
                             "got", optarg);
            break;
        case OPT_TIME_COLUMN:
            opts.time_column = optarg;
            break;
        case OPT_TIME_FORMAT:
            if (strcmp(optarg, "s") && strcmp(optarg, "ms") &&
                strcmp(optarg, "us") && strcmp(optarg, "ns") &&
                strcmp(optarg, "iso8601"))
                return usage("--time-format expects s, ms, us, ns or "
                             "iso8601, got", optarg);
            opts.time_format = optarg;
            break;
        case OPT_EPOCH:
            opts.epoch = true;
            break;
        case OPT_MAX_GAP:
            if (purr_duration_parse(optarg, &opts.max_gap_ns) < 0 ||
                opts.max_gap_ns <= 0)
                return usage("--max-gap expects a duration like 10s, got",
                             optarg);
            break;
        case OPT_FORCE:
            opts.overwrite = true;
            break;
        case ':':
            return usage("missing argument after",
                         optopt ? option_name(longopts, optopt) : a);
        default:
            return usage("unknown option", a);
        }
    }
    if (!log)
        return usage("no log given", NULL);
    if (!out)
        return usage("no output given (-o FILE.db)", NULL);
    if (!scene)
        return usage("no scene given (--scene SCENE)", NULL);
    if (purr__cli_check_output(out, "-o"))
        return 2;

    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_import_scene_log(log, out, scene, &opts, &diag);
    if (bar.bar && bar.shown >= 0)
        fputs("\r\033[K", stderr);
    if (rc < 0) {
        char buf[sizeof diag.file + sizeof diag.message + 64];
        if (diag.message[0])
            purr_diag_format(&diag, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%s: %s", log, purr_strerror(rc));
        fprintf(stderr, "purr: %s\n", buf);
        /* PURR_EIO is the output's (purr_import_log): nothing else is
         * written. */
        return rc == PURR_EIO ? 3 : 2;
    }
    return 0;
}
