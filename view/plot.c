/* plot.c - `purr plot FILE.db -o timeline.png|.svg`: a recording's
 * timelines for a report, as a PNG or an SVG.
 *
 * Loads the recording into a view model, keeps the values asked for
 * (--values; all by default), lays the plot out (plot_layout.c: a title
 * with the scene, its seed and the time range; a legend with each value's
 * unit; a scale for numbers; a time axis) and writes it: a PNG drawn with
 * the software renderer on a plain SDL surface (no video subsystem, so no
 * display: CI and reports, plot_png.c) or an SVG written by hand
 * (plot_svg.c), chosen by the output's extension. Either is written
 * through a temporary file renamed over OUT once complete (purr_output,
 * recorder.h); OUT is checked against the recording before any work.
 */
#include "view_int.h"

#include <purr/core.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage_plot[] =
    "usage: purr plot FILE.db -o OUT.png|OUT.svg [--values A,B,...]\n"
    "                 [--from T] [--to T] [--size WxH] [--force]\n"
    "\n"
    "Draws the timelines of a recording's values for a report: a title with\n"
    "the scene, its seed and the time range, a legend with each value's\n"
    "unit (the scene's `unit:`), a scale for numbers and a time axis. Needs\n"
    "no display.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      the file to write (required): OUT.png or\n"
    "                        OUT.svg, by its extension; written whole or\n"
    "                        not at all (through a temporary file beside\n"
    "                        it); never the recording itself\n"
    "  --values A,B,...      only these values, in this order (default:\n"
    "                        every value)\n"
    "  --from T, --to T      the virtual time range, e.g. 0s, 10min, 24h\n"
    "                        (default: the whole recording)\n"
    "  --size WxH            the size in pixels, e.g. 1200x800 (default:\n"
    "                        1200 wide, 40 high per value)\n"
    "  --width W, --height H the same, one at a time\n"
    "  --force               replace OUT even when it is not a PNG (an\n"
    "                        XML file for .svg)\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 written; 1 the image could not be drawn (SDL, fonts);\n"
    "2 bad usage (an unknown value, an output that is neither .png nor\n"
    ".svg), not a recording, or an OUT that is the recording or an\n"
    "existing file of another kind (without --force); 3 the file could\n"
    "not be written (an old OUT is left as it was)\n";

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

/* Parses "WxH" with each side in [16, 16384]. */
static bool
parse_size(const char *s, int *w, int *h)
{
    const char *x = strchr(s, 'x');
    if (!x || x == s || strchr(x + 1, 'x'))
        return false;
    char a[16];
    if ((size_t)(x - s) >= sizeof a)
        return false;
    memcpy(a, s, (size_t)(x - s));
    a[x - s] = '\0';
    return parse_pixels(a, w) && parse_pixels(x + 1, h);
}

/* ".png" or ".svg" (any case) at the end of path: 'p', 's', or 0. */
static char
format_of(const char *path)
{
    size_t n = strlen(path);
    if (n < 5)
        return 0;
    if (strcasecmp(path + n - 4, ".png") == 0)
        return 'p';
    if (strcasecmp(path + n - 4, ".svg") == 0)
        return 's';
    return 0;
}

/* "pet, seed 42, 0:00:00.000 – 24:00:00.000": the scene's file name
 * without its extension, the seed when the recording has one. */
static void
plot_title(const char *in, purr_time from, purr_time to, char *buf, size_t cap)
{
    char scene[128] = "", seed[48] = "";
    purr_recording *rec;
    purr_diag diag = {0};
    if (purr_recording_open(in, &rec, &diag) == 0) {
        const char *path = purr_recording_meta(rec, "scene");
        const char *sd = purr_recording_meta(rec, "seed");
        if (path) {
            const char *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            snprintf(scene, sizeof scene, "%s", base);
            char *dot = strrchr(scene, '.');
            if (dot && dot != scene)
                *dot = '\0';
        }
        if (sd)
            snprintf(seed, sizeof seed, ", seed %s", sd);
        purr_recording_close(rec);
    }
    if (!scene[0]) {
        const char *base = strrchr(in, '/');
        snprintf(scene, sizeof scene, "%s", base ? base + 1 : in);
    }
    char a[32], b[32];
    purr__format_time(from, a, sizeof a);
    purr__format_time(to, b, sizeof b);
    snprintf(buf, cap, "%s%s, %s \xe2\x80\x93 %s", scene, seed, a, b);
}

/* The rows named in list (comma-separated), in that order, into rows;
 * NULL list: every row. Returns the count, or -1 after saying which name
 * is unknown. */
static long
pick_rows(const purr__view_model *vm, const char *list, const char *in,
          const purr__vm_row **rows)
{
    if (!list) {
        for (size_t i = 0; i < vm->row_count; i++)
            rows[i] = &vm->rows[i];
        return (long)vm->row_count;
    }
    long n = 0;
    for (const char *s = list; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const purr__vm_row *found = NULL;
        for (size_t i = 0; i < vm->row_count && !found; i++)
            if (strlen(vm->rows[i].name) == len &&
                memcmp(vm->rows[i].name, s, len) == 0)
                found = &vm->rows[i];
        if (!found) {
            fprintf(stderr,
                    "purr: plot: --values: %s has no value '%.*s' (see "
                    "'purr plot --help')\n",
                    in, (int)len, s);
            return -1;
        }
        bool dup = false;
        for (long k = 0; k < n; k++)
            dup = dup || rows[k] == found;
        if (!dup && (size_t)n < vm->row_count)
            rows[n++] = found;
        s += comma ? len + 1 : len;
    }
    return n;
}

int
purr_view_cli_plot(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *values = NULL;
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
                     strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 ||
                     strcmp(a, "--size") == 0 || strcmp(a, "--values") == 0;
        if (takes && i + 1 == argc)
            return plot_usage("%s needs a value", a);
        if (takes && !argv[i + 1][0])
            return plot_usage("%s needs a value, got ''", a);
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = argv[++i];
        } else if (strcmp(a, "--values") == 0) {
            values = argv[++i];
        } else if (strcmp(a, "--size") == 0) {
            if (!parse_size(argv[++i], &width, &height))
                return plot_usage("--size expects WxH, each 16 to 16384 "
                                  "pixels (e.g. 1200x800), got '%s'",
                                  argv[i]);
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
        return plot_usage("no output given: use -o OUT.png or -o OUT.svg%s",
                          "");
    char format = format_of(out);
    if (!format)
        return plot_usage("the output must end in .png or .svg, got '%s'", out);
    if (from >= 0 && to >= 0 && to <= from)
        return plot_usage("--to must come after --from%s", "");

    purr_diag diag = {0};
    const char *inputs[] = {in};
    if (purr_output_check(out, inputs, 1,
                          format == 'p' ? PURR_OUTPUT_PNG : PURR_OUTPUT_XML,
                          force, &diag) < 0)
        return print_diag(&diag);
    purr__view_model vm;
    purr__vm_init(&vm);
    if (purr__vm_load_recording(&vm, in, NULL, 0, &diag) < 0) {
        purr__vm_close(&vm);
        return print_diag(&diag);
    }
    const purr__vm_row **rows =
        calloc(vm.row_count ? vm.row_count : 1, sizeof *rows);
    long n = rows ? pick_rows(&vm, values, in, rows) : -1;
    if (n < 0) {
        free(rows);
        purr__vm_close(&vm);
        return 2;
    }
    if (from < 0)
        from = 0;
    if (to < 0)
        to = vm.end_ns > from ? vm.end_ns : from + PURR_S;
    if (to <= from) {
        free(rows);
        purr__vm_close(&vm);
        return plot_usage("--from is past the recording's end%s", "");
    }
    if (!height)
        height = 34 + 30 + 40 * (int)(n ? n : 1);
    char title[320];
    plot_title(in, from, to, title, sizeof title);
    purr__plot plot;
    purr__plot_layout(&plot, &vm, rows, (size_t)n, from, to, title, width,
                      height);

    int status = 1;
    SDL_Surface *surf = NULL;
    SDL_Renderer *ren = NULL;
    purr__fonts fonts = {0};
    char err[320] = "";
    if (format == 's') {
        status = purr__plot_svg(&plot, out, err, sizeof err) < 0 ? 3 : 0;
        if (status)
            fprintf(stderr, "purr: plot: %s\n", err);
        goto done;
    }
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
    purr__plot_draw(ren, &fonts, &plot);
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
done:
    purr__plot_free(&plot);
    free(rows);
    purr__vm_close(&vm);
    return status;
}
