/* import.c - `purr import LOG -o FILE.db --scene SCENE`: a field log
 * becomes a recording of the scene's inputs (purr_import_scene_log).
 *
 * Parses its own arguments, prints bad input as one line on stderr and
 * returns the exit status: 0 imported; 2 bad input or usage, or an output
 * that is the log or the scene, or that exists (without --force); 3 the
 * recording could not be written (an old FILE.db is left as it was).
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

static const char usage_import[] =
    "usage: purr import LOG -o FILE.db --scene SCENE [--format csv|jsonl]\n"
    "                   [--force]\n"
    "\n"
    "Turns a field log (CSV: time,value,datum; JSON Lines) into a\n"
    "recording of SCENE's inputs, which 'purr replay' runs the scene's\n"
    "behaviours against. The whole log (a regular file of at most 1 GiB)\n"
    "is checked before anything is written.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE.db  the recording to write (required); an\n"
    "                        existing one is replaced only with --force\n"
    "  --scene SCENE         the scene whose sensors the log sets\n"
    "                        (required)\n"
    "  --format csv|jsonl    the log's format (default: from its name)\n"
    "  --force               replace an existing FILE.db\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 imported; 2 bad usage, a bad log or scene; 3 the\n"
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

int
purr__cli_import(int argc, char **argv)
{
    const char *log = NULL, *out = NULL, *scene = NULL;
    purr_import_options opts = {0};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_import, stdout);
            return 0;
        }
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--scene") == 0 || strcmp(a, "--format") == 0) {
            if (i + 1 >= argc)
                return usage("missing argument after", a);
            const char *v = argv[++i];
            if (!v[0])
                return usage("an empty argument after", a);
            if (a[1] == 'o' || a[2] == 'o')
                out = v;
            else if (a[2] == 's')
                scene = v;
            else if (strcmp(v, "csv") == 0)
                opts.format = PURR_IMPORT_CSV;
            else if (strcmp(v, "jsonl") == 0)
                opts.format = PURR_IMPORT_JSONL;
            else
                return usage("--format expects csv or jsonl, got", v);
        } else if (strcmp(a, "--force") == 0) {
            opts.overwrite = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage("unknown option", a);
        } else if (!a[0]) {
            return usage("the log's file name is empty", NULL);
        } else if (!log) {
            log = a;
        } else {
            return usage("more than one log given", a);
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
