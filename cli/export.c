/* export.c - `purr export FILE.db -o OUT`: a recording for other tools,
 * as MCAP (Foxglove, Lichtblick), CSV (wide or long) or JSON Lines
 * (purr_export_run, export.h; docs/export.md).
 *
 * Parses its arguments with getopt_long, prints bad input as one line on
 * stderr and returns the exit status: 0 exported; 2 bad usage, an unknown
 * value, a bad recording, or an output that exists (without --force) or is
 * the recording; 3 the output could not be written (an old OUT is left as
 * it was).
 */
#include "cli_int.h"

#include <purr/export.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_export[] =
    "usage: purr export FILE.db -o OUT [--format mcap|csv|csv-long|jsonl]\n"
    "                   [--values A,B,...] [--inputs] [--all]\n"
    "                   [--from T] [--to T] [--compression zstd|lz4|none]\n"
    "                   [--no-tasks] [--chunk-size BYTES] [--force] [-q]\n"
    "\n"
    "Writes a recording's transitions for other tools: MCAP for Foxglove\n"
    "and Lichtblick (one channel per value, topic /NAME, plot\n"
    "/NAME.value), CSV with one column per value (csv), CSV or JSON Lines\n"
    "with one line per transition as 'purr import' reads them (csv-long,\n"
    "jsonl). Streams: memory stays small whatever the recording's size.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      the file to write (required); an existing\n"
    "                        one is replaced only with --force\n"
    "  -f, --format FMT      mcap, csv, csv-long or jsonl (default: from\n"
    "                        OUT's extension: .mcap .csv .jsonl .ndjson;\n"
    "                        else mcap)\n"
    "  --values A,B,...      export only these values (repeatable)\n"
    "  --inputs              only the inputs (what 'purr import' reads\n"
    "                        back); default: inputs and outputs\n"
    "  --all                 internal values too\n"
    "  --from T, --to T      only transitions at virtual times in [T, T]\n"
    "                        (durations as in scenes: 1.5s, 10min, or\n"
    "                        seconds: 2.5)\n"
    "  --compression C       MCAP chunks: zstd (default), lz4 or none\n"
    "  --no-tasks            MCAP: leave out the /purr/tasks channel\n"
    "  --chunk-size BYTES    MCAP: close a chunk past BYTES uncompressed\n"
    "                        (default 1048576)\n"
    "  --force               replace an existing OUT\n"
    "  -q, --quiet           no summary line on stderr\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 exported; 2 bad usage, an unknown value, a bad\n"
    "recording; 3 the output could not be written\n";

#define EXPORT_MAX_VALUES 1024

/* Prints a usage error as one line, naming the argument, and returns the
 * exit status 2. */
static int
usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr: export: %s%s%s%s (see 'purr export --help')\n",
            msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return 2;
}

/* Parses a time: a duration with a unit (purr_duration_parse) or a bare
 * number of seconds. Returns 0 or a negative code. */
static int
parse_time(const char *text, purr_time *out /* out */)
{
    if (purr_duration_parse(text, out) == 0)
        return 0;
    char with_unit[64];
    if (strlen(text) + 2 > sizeof with_unit)
        return PURR_EFORMAT;
    snprintf(with_unit, sizeof with_unit, "%ss", text);
    return purr_duration_parse(with_unit, out);
}

/* The format OUT's name implies, or mcap. */
static purr_export_format
format_of(const char *out)
{
    const char *dot = strrchr(out, '.');
    purr_export_format f = PURR_EXPORT_MCAP;
    if (dot && strcmp(dot, ".mcap") != 0)
        purr_export_format_parse(dot + 1, &f);
    return f;
}

int
purr__cli_export(int argc, char **argv)
{
    enum { O_VALUES = 256, O_INPUTS, O_ALL, O_FROM, O_TO, O_COMPRESSION,
           O_NO_TASKS, O_FORCE, O_CHUNK };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"values", required_argument, NULL, O_VALUES},
        {"value", required_argument, NULL, O_VALUES},
        {"inputs", no_argument, NULL, O_INPUTS},
        {"all", no_argument, NULL, O_ALL},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"compression", required_argument, NULL, O_COMPRESSION},
        {"no-tasks", no_argument, NULL, O_NO_TASKS},
        {"chunk-size", required_argument, NULL, O_CHUNK},
        {"force", no_argument, NULL, O_FORCE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    purr_export_options opts;
    memset(&opts, 0, sizeof opts);
    const char *out = NULL, *format = NULL;
    bool quiet = false;
    const char *names[EXPORT_MAX_VALUES];
    size_t nnames = 0;
    char *lists[EXPORT_MAX_VALUES]; /* --values copies, split in place */
    size_t nlists = 0;
    int status = -1;

    optind = 1;
    opterr = 0;
    int ch;
    while (status < 0 &&
           (ch = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(usage_export, stdout);
            status = 0;
            break;
        case O_VALUES: {
            if (nlists == EXPORT_MAX_VALUES) {
                status = usage("too many --values options", NULL);
                break;
            }
            char *copy = strdup(optarg);
            if (!copy) {
                status = usage("out of memory", NULL);
                break;
            }
            lists[nlists++] = copy;
            for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                if (nnames == EXPORT_MAX_VALUES) {
                    status = usage("too many values named", NULL);
                    break;
                }
                names[nnames++] = tok;
            }
            if (status < 0 && nnames == 0)
                status = usage("--values names no value", optarg);
            break;
        }
        case O_INPUTS:
            opts.inputs_only = true;
            break;
        case O_ALL:
            opts.all_values = true;
            break;
        case O_FROM:
        case O_TO: {
            purr_time t;
            if (parse_time(optarg, &t) < 0) {
                status = usage(ch == O_FROM ? "--from expects a time (10s, "
                                              "1.5min, 2.5), got"
                                            : "--to expects a time (10s, "
                                              "1.5min, 2.5), got",
                               optarg);
                break;
            }
            if (ch == O_FROM) {
                opts.has_from = true;
                opts.from_ns = t;
            } else {
                opts.has_to = true;
                opts.to_ns = t;
            }
            break;
        }
        case O_COMPRESSION:
            if (strcmp(optarg, "zstd") == 0)
                opts.compression = PURR_EXPORT_ZSTD;
            else if (strcmp(optarg, "lz4") == 0)
                opts.compression = PURR_EXPORT_LZ4;
            else if (strcmp(optarg, "none") == 0)
                opts.compression = PURR_EXPORT_NONE;
            else
                status = usage("--compression expects zstd, lz4 or none, got",
                               optarg);
            break;
        case O_CHUNK: {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' ||
                n < 64 || n > (1ull << 30))
                status = usage("--chunk-size expects a number of bytes "
                               "from 64 to 1073741824, got",
                               optarg);
            else
                opts.chunk_bytes = (size_t)n;
            break;
        }
        case O_NO_TASKS:
            opts.no_tasks = true;
            break;
        case O_FORCE:
            opts.overwrite = true;
            break;
        case ':':
            status = usage("missing argument after", argv[optind - 1]);
            break;
        default:
            status = usage("unknown option", argv[optind - 1]);
            break;
        }
    }

    const char *rec = NULL;
    for (int i = optind; status < 0 && i < argc; i++) {
        if (!argv[i][0])
            status = usage("the recording's file name is empty", NULL);
        else if (rec)
            status = usage("more than one recording given", argv[i]);
        else
            rec = argv[i];
    }
    if (status < 0 && !rec)
        status = usage("no recording given", NULL);
    if (status < 0 && (!out || !out[0]))
        status = usage("no output given (-o OUT)", NULL);
    if (status < 0) {
        if (format) {
            if (purr_export_format_parse(format, &opts.format) < 0)
                status = usage("--format expects mcap, csv, csv-long or "
                               "jsonl, got",
                               format);
        } else {
            opts.format = format_of(out);
        }
    }
    if (status < 0 && opts.has_from && opts.has_to &&
        opts.from_ns > opts.to_ns)
        status = usage("--from is after --to", NULL);
    if (status < 0 && purr__cli_check_output(out, "-o"))
        status = 2;

    if (status < 0) {
        opts.values = names;
        opts.nvalues = nnames;
        purr_export_stats stats;
        purr_diag diag;
        memset(&diag, 0, sizeof diag);
        int rc = purr_export_run(rec, out, &opts, &stats, &diag);
        if (rc < 0) {
            char buf[sizeof diag.file + sizeof diag.message + 64];
            if (diag.message[0])
                purr_diag_format(&diag, buf, sizeof buf);
            else
                snprintf(buf, sizeof buf, "%s: %s", rec, purr_strerror(rc));
            fprintf(stderr, "purr: export: %s\n", buf);
            status = stats.output_failed ? 3 : 2;
        } else {
            if (!quiet && stats.task_events > 0)
                fprintf(stderr,
                        "purr: export: %s: %" PRIu64 " transitions, %" PRIu64
                        " task events, %" PRIu64 " bytes\n",
                        out, stats.transitions, stats.task_events,
                        stats.bytes);
            else if (!quiet)
                fprintf(stderr,
                        "purr: export: %s: %" PRIu64 " transitions, %" PRIu64
                        " bytes\n",
                        out, stats.transitions, stats.bytes);
            status = 0;
        }
    }
    for (size_t i = 0; i < nlists; i++)
        free(lists[i]);
    return status;
}
