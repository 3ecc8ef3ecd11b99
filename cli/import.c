/* import.c - `purr import LOG -o FILE.db --scene SCENE`: a field log
 * becomes a recording of the scene's inputs (purr_import_scene_log).
 *
 * Parses its own arguments, prints bad input as one line on stderr and
 * returns the exit status: 0 imported; 1 the recording could not be
 * written (an old FILE.db is left as it was); 2 bad input or usage, or an
 * output that is the log or the scene, or that exists (without --force).
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

static int
usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr import: %s%s%s\n", msg, arg ? ": " : "",
            arg ? arg : "");
    fprintf(stderr, "usage: purr import LOG -o FILE.db --scene SCENE "
                    "[--format csv|jsonl] [--force]\n");
    return 2;
}

int
purr__cli_import(int argc, char **argv)
{
    const char *log = NULL, *out = NULL, *scene = NULL;
    purr_import_options opts = {0};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--scene") == 0 || strcmp(a, "--format") == 0) {
            if (i + 1 >= argc)
                return usage("missing argument after", a);
            const char *v = argv[++i];
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

    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_import_scene_log(log, out, scene, &opts, &diag);
    if (rc < 0) {
        char buf[sizeof diag.file + sizeof diag.message + 64];
        if (diag.message[0])
            purr_diag_format(&diag, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%s: %s", log, purr_strerror(rc));
        fprintf(stderr, "%s\n", buf);
        /* PURR_EIO: a failed write, the I/O-failure exit status 1. */
        return rc == PURR_EIO ? 1 : 2;
    }
    return 0;
}
