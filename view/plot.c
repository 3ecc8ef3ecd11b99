/* plot.c - `purr plot FILE.db -o timeline.png`: a recording's timelines as
 * a PNG, drawn offscreen.
 *
 * Loads the recording into a view model and draws every value's timeline
 * with the software renderer on a plain SDL surface (no video subsystem,
 * so no display is needed: CI and reports), then saves it with SDL_image
 * through a temporary file renamed over OUT.png once complete (purr_output,
 * recorder.h); OUT.png is checked against the recording before any work.
 */
#include "view_int.h"

#include <purr/core.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_plot[] =
    "usage: purr plot FILE.db -o OUT.png [--width W] [--height H]\n"
    "                 [--from T] [--to T] [--force]\n"
    "\n"
    "Draws the timeline of every value of a recording into a PNG. Needs no\n"
    "display.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.png  the image to write (required); written whole\n"
    "                        or not at all (through a temporary file\n"
    "                        beside it); never the recording itself\n"
    "  --force               replace OUT.png even when it is not a PNG\n"
    "  --width W             width in pixels (default 1200)\n"
    "  --height H            height in pixels (default: 40 per value)\n"
    "  --from T, --to T      the virtual time range, e.g. 0s, 10min, 24h\n"
    "                        (default: the whole recording)\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 written; 1 the image could not be drawn (SDL, fonts);\n"
    "2 bad usage, not a recording, or an OUT.png that is the recording or\n"
    "an existing file other than a PNG (without --force); 3 the image\n"
    "could not be written (an old OUT.png is left as it was)\n";

static int
plot_usage(const char *fmt, const char *arg)
{
    fputs("purr: plot: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr plot --help')\n", stderr);
    return 2;
}

static int
print_diag(const purr_diag *diag)
{
    char line[640];
    purr_diag_format(diag, line, sizeof line);
    fprintf(stderr, "purr: %s\n", line);
    return 2;
}

/* Parses a positive pixel count in [16, 16384]. */
static bool
parse_pixels(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < 16 || v > 16384)
        return false;
    *out = (int)v;
    return true;
}

int
purr_view_cli_plot(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int width = 1200, height = 0;
    purr_time from = -1, to = -1;
    bool force = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_plot, stdout);
            return 0;
        }
        bool takes = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                     strcmp(a, "--width") == 0 || strcmp(a, "--height") == 0 ||
                     strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0;
        if (takes && i + 1 == argc)
            return plot_usage("%s needs a value", a);
        if (takes && !argv[i + 1][0])
            return plot_usage("%s needs a value, got ''", a);
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = argv[++i];
        } else if (strcmp(a, "--width") == 0) {
            if (!parse_pixels(argv[++i], &width))
                return plot_usage("--width expects 16 to 16384 pixels, got "
                                  "'%s'",
                                  argv[i]);
        } else if (strcmp(a, "--height") == 0) {
            if (!parse_pixels(argv[++i], &height))
                return plot_usage("--height expects 16 to 16384 pixels, got "
                                  "'%s'",
                                  argv[i]);
        } else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
            purr_time *t = a[2] == 'f' ? &from : &to;
            if (purr_duration_parse(argv[++i], t) < 0)
                return plot_usage(a[2] == 'f'
                                      ? "--from expects a time with a unit "
                                        "(e.g. 0s, 90s, 24h), got '%s'"
                                      : "--to expects a time with a unit "
                                        "(e.g. 0s, 90s, 24h), got '%s'",
                                  argv[i]);
        } else if (strcmp(a, "--force") == 0) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            return plot_usage("unknown option '%s'", a);
        } else if (!a[0]) {
            return plot_usage("the recording's file name is empty%s", "");
        } else if (in) {
            return plot_usage("more than one recording given ('%s')", a);
        } else {
            in = a;
        }
    }
    if (!in)
        return plot_usage("no recording given%s", "");
    if (!out)
        return plot_usage("no output given: use -o OUT.png%s", "");

    purr_diag diag = {0};
    const char *inputs[] = {in};
    if (purr_output_check(out, inputs, 1, PURR_OUTPUT_PNG, force, &diag) < 0)
        return print_diag(&diag);
    purr__view_model vm;
    purr__vm_init(&vm);
    char title[512];
    if (purr__vm_load_recording(&vm, in, title, sizeof title, &diag) < 0) {
        purr__vm_close(&vm);
        return print_diag(&diag);
    }
    if (from < 0)
        from = vm.start_ns < 0 ? 0 : 0;
    if (to < 0)
        to = vm.end_ns > from ? vm.end_ns : from + PURR_S;
    if (to <= from) {
        purr__vm_close(&vm);
        return plot_usage("--to must come after --from%s", "");
    }
    if (!height)
        height = 30 + 24 + 40 * (int)(vm.row_count ? vm.row_count : 1);

    int status = 1;
    SDL_Surface *surf = NULL;
    SDL_Renderer *ren = NULL;
    purr__fonts fonts = {0};
    char err[320] = "";
    if (SDL_Init(0) < 0 ||
        !(surf = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32,
                                                SDL_PIXELFORMAT_ARGB8888)) ||
        !(ren = SDL_CreateSoftwareRenderer(surf))) {
        fprintf(stderr, "purr: plot: SDL: %s\n", SDL_GetError());
        goto out;
    }
    if (purr__fonts_open(&fonts, &diag) < 0) {
        print_diag(&diag);
        goto out;
    }
    purr__render_plot(ren, &fonts, &vm, from, to, title, width, height);
    if (purr__save_png(ren, width, height, out, err, sizeof err) < 0) {
        fprintf(stderr, "purr: plot: %s\n", err);
        status = 3;
        goto out;
    }
    status = 0;
out:
    purr__fonts_close(&fonts);
    if (ren)
        SDL_DestroyRenderer(ren);
    if (surf)
        SDL_FreeSurface(surf);
    TTF_Quit();
    SDL_Quit();
    purr__vm_close(&vm);
    return status;
}
