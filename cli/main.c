/* main.c - purr_main: the purr command line's dispatch on the verb.
 *
 * Each verb parses its own arguments and returns its exit status (0
 * success, 1 a failed expectation, divergence or run, 2 bad usage or bad
 * input, 3 an output that could not be written). Behaviours are whatever the
 * program registered before calling purr_main, plus the plug-ins that `--load`
 * and a scene's `load:` bring.
 */
#include "cli_int.h"
#include "serve_int.h"

#ifdef PURR_WITH_VIEW
#include <purr/view.h>
#endif

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_main[] =
    "usage: purr COMMAND [ARGS]\n"
    "\n"
    "Develop and test robot behaviours on a deterministic virtual clock.\n"
    "\n"
    "commands:\n"
    "  run SCENE    run a scene (YAML), check its expectations\n"
    "  replay FILE  re-run recordings with their inputs, compare outputs\n"
    "  import LOG   turn a field log (CSV, JSON Lines) into a recording\n"
    "  diff A B     compare two recordings transition by transition\n"
    "  export FILE  a recording as MCAP (Foxglove), CSV or JSON Lines\n"
    "  shrink FILE  find a smaller recording failing the same expectation\n"
    "  sweep SCENE  run a scene once per seed, report the failing seeds\n"
#ifdef PURR_WITH_VIEW
    "  view FILE    open a recording with a timeline scrubber\n"
    "  plot FILE    draw a recording's timelines into a PNG or an SVG\n"
#endif
    "  view FILE --serve PORT\n"
    "               stream a recording to Foxglove or Lichtblick\n"
    "\n"
    "options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit status (every command): 0 success; 1 an expectation failed, a\n"
    "replay diverged; 2 bad usage or bad input; 3 an output (a recording,\n"
    "a JUnit file, a PNG) could not be written\n"
    "\n"
    "Run 'purr COMMAND --help' for a command's options.\n";

int
purr__cli_print_diag(const purr_diag *diag)
{
    char line[sizeof diag->file + sizeof diag->message + 64];
    purr_diag_format(diag, line, sizeof line);
    fprintf(stderr, "purr: %s\n", line);
    return 2;
}

int
purr__cli_check_output(const char *path, const char *opt)
{
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0; /* a new file, or one to replace (--force) */
    if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return 0;
    /* The same words as purr_output_check (recorder.h), which the
     * writers use too: this runs first, before any work. */
    (void)opt;
    fprintf(stderr, "purr: %s: %s; choose a file name\n", path,
            S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
    return 2;
}

int
purr_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("purr: no command given (see 'purr --help')\n", stderr);
        return 2;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(verb, "run") == 0)
        return purr__cli_run(argc - 1, argv + 1);
    if (strcmp(verb, "replay") == 0)
        return purr__cli_replay(argc - 1, argv + 1);
    if (strcmp(verb, "import") == 0)
        return purr__cli_import(argc - 1, argv + 1);
    if (strcmp(verb, "diff") == 0)
        return purr__cli_diff(argc - 1, argv + 1);
    if (strcmp(verb, "export") == 0)
        return purr__cli_export(argc - 1, argv + 1);
    if (strcmp(verb, "shrink") == 0)
        return purr__cli_shrink_main(argc - 1, argv + 1);
    if (strcmp(verb, "sweep") == 0)
        return purr__cli_sweep(argc - 1, argv + 1);
    if (strcmp(verb, "view") == 0 &&
        purr__cli_serve_wanted(argc - 1, argv + 1))
        return purr__cli_serve_view(argc - 1, argv + 1);
#ifdef PURR_WITH_VIEW
    if (strcmp(verb, "view") == 0)
        return purr_view_cli_view(argc - 2, argv + 2);
    if (strcmp(verb, "plot") == 0)
        return purr_view_cli_plot(argc - 2, argv + 2);
#endif
    fprintf(stderr, "purr: unknown command '%s' (see 'purr --help')\n",
            verb);
    return 2;
}
