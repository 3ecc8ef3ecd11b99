/* scrub.c - `purr view FILE.db`: a recording with a timeline scrubber.
 *
 * Loads the recording into a view model and shows it in the same frame as
 * the live window, with the timelines spanning the whole recording and a
 * cursor: drag anywhere over the timelines or the scrubber, or use the
 * arrow keys, and every value (and the robot) shows its state at the
 * cursor's time. --screenshot draws one frame offscreen instead (no
 * display needed), at --at's time.
 */
#include "view_int.h"

#include <purr/core.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_view[] =
    "usage: purr view FILE.db [--at T] [--screenshot OUT.png [--force]]\n"
    "\n"
    "Opens a recording in a window with a timeline scrubber: drag to any\n"
    "time and every value shows its state then.\n"
    "\n"
    "keys: \xe2\x86\x90 \xe2\x86\x92 previous / next transition, PgUp PgDn "
    "a tenth of the run,\n"
    "      Home End the start and the end, Esc quit\n"
    "\n"
    "options:\n"
    "  --at T                start at virtual time T (e.g. 90s, 2h)\n"
    "  --screenshot OUT.png  draw that frame offscreen into a PNG and exit\n"
    "                        (needs no display); written whole or not\n"
    "                        at all, never over the recording itself\n"
    "  --force               replace OUT.png even when it is not a PNG\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 closed normally; 1 no window could be opened; 2 bad\n"
    "usage, not a recording, or an OUT.png that is the recording or an\n"
    "existing file other than a PNG (without --force); 3 the PNG could not\n"
    "be written (an old OUT.png is left as it was)\n";

static int
view_usage(const char *fmt, const char *arg)
{
    fputs("purr: view: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr view --help')\n", stderr);
    return 2;
}

/* The next (dir 1) or previous (-1) transition time of any row after or
 * before t, or t when there is none. */
static purr_time
next_transition(const purr__view_model *vm, purr_time t, int dir)
{
    purr_time best = t;
    bool found = false;
    for (size_t i = 0; i < vm->row_count; i++) {
        const purr__vm_row *row = &vm->rows[i];
        for (size_t j = 1; j < row->count; j++) {
            purr_time pt = row->points[j].time_ns;
            if (dir > 0 && pt > t && (!found || pt < best)) {
                best = pt;
                found = true;
            } else if (dir < 0 && pt < t && (!found || pt > best)) {
                best = pt;
                found = true;
            }
        }
    }
    return best;
}

/* Maps a mouse x over the timelines to a time. */
static purr_time
time_at_x(const purr__layout *lay, const purr__view_ui *ui, int x)
{
    int x0 = lay->marker_x + lay->marker_w + 8 + lay->name_w + lay->value_w;
    int w = lay->rows.x + lay->rows.w - 10 - x0;
    double k = w > 0 ? (double)(x - x0) / w : 0;
    if (k < 0)
        k = 0;
    if (k > 1)
        k = 1;
    return ui->from_ns + (purr_time)(k * (double)(ui->to_ns - ui->from_ns));
}

int
purr_view_cli_view(int argc, char **argv)
{
    const char *in = NULL, *shot = NULL;
    purr_time at = -1;
    bool force = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_view, stdout);
            return 0;
        } else if (strcmp(a, "--at") == 0) {
            if (++i == argc)
                return view_usage("%s needs a value", a);
            if (purr_duration_parse(argv[i], &at) < 0)
                return view_usage("--at expects a time with a unit (e.g. "
                                  "90s, 2h), got '%s'",
                                  argv[i]);
        } else if (strcmp(a, "--screenshot") == 0) {
            if (++i == argc)
                return view_usage("%s needs a file name", a);
            if (!argv[i][0])
                return view_usage("%s needs a file name, got ''", a);
            shot = argv[i];
        } else if (strcmp(a, "--force") == 0) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            return view_usage("unknown option '%s'", a);
        } else if (!a[0]) {
            return view_usage("the recording's file name is empty%s", "");
        } else if (in) {
            return view_usage("more than one recording given ('%s')", a);
        } else {
            in = a;
        }
    }
    if (!in)
        return view_usage("no recording given%s", "");
    if (force && !shot)
        return view_usage("--force replaces the file of --screenshot; there "
                          "is none%s",
                          "");

    purr_diag diag = {0};
    const char *inputs[] = {in};
    if (shot && purr_output_check(shot, inputs, 1, PURR_OUTPUT_PNG, force,
                                  &diag) < 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        return 2;
    }
    purr__view_model vm;
    purr__vm_init(&vm);
    char title[512];
    if (purr__vm_load_recording(&vm, in, title, sizeof title, &diag) < 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        purr__vm_close(&vm);
        return 2;
    }
    purr__view_ui ui = {0};
    ui.title = title;
    ui.from_ns = 0;
    ui.to_ns = vm.end_ns > 0 ? vm.end_ns : PURR_S;
    ui.cursor_ns = at >= 0 ? (at < ui.to_ns ? at : ui.to_ns) : 0;
    ui.scrubber = true;
    ui.selected = -1;
    ui.footer = "drag to scrub   \xe2\x86\x90 \xe2\x86\x92 previous / next "
                "transition   PgUp PgDn 10%   Home End   Esc quit";

    int status = 1, ww = 1200, hh = 760;
    SDL_Window *win = NULL;
    SDL_Surface *surf = NULL;
    SDL_Renderer *ren = NULL;
    purr__fonts fonts = {0};
    if (shot) {
        if (SDL_Init(0) < 0 ||
            !(surf = SDL_CreateRGBSurfaceWithFormat(
                  0, ww, hh, 32, SDL_PIXELFORMAT_ARGB8888)) ||
            !(ren = SDL_CreateSoftwareRenderer(surf))) {
            fprintf(stderr, "purr: view: SDL: %s\n", SDL_GetError());
            goto out;
        }
    } else {
        if (SDL_Init(SDL_INIT_VIDEO) < 0) {
            fprintf(stderr, "purr: view: cannot open a window (%s)\n",
                    SDL_GetError());
            goto out;
        }
        char wt[600];
        snprintf(wt, sizeof wt, "purr view %s", title);
        if (!(win = SDL_CreateWindow(wt, SDL_WINDOWPOS_CENTERED,
                                     SDL_WINDOWPOS_CENTERED, ww, hh,
                                     SDL_WINDOW_RESIZABLE)) ||
            !(ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE))) {
            fprintf(stderr, "purr: view: SDL: %s\n", SDL_GetError());
            goto out;
        }
    }
    if (purr__fonts_open(&fonts, &diag) < 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        goto out;
    }
    if (shot) {
        char err[320];
        purr__render_frame(ren, &fonts, &vm, &ui, ww, hh);
        if (purr__save_png(ren, ww, hh, shot, err, sizeof err) < 0) {
            fprintf(stderr, "purr: view: %s\n", err);
            status = 3;
            goto out;
        }
        status = 0;
        goto out;
    }
    bool quit = false, dragging = false, dirty = true;
    while (!quit) {
        if (dirty) {
            SDL_GetRendererOutputSize(ren, &ww, &hh);
            purr__render_frame(ren, &fonts, &vm, &ui, ww, hh);
            SDL_RenderPresent(ren);
            dirty = false;
        }
        SDL_Event e;
        if (!SDL_WaitEvent(&e))
            break;
        purr__layout lay;
        purr__layout_compute(&lay, ww, hh, vm.row_count, true);
        purr_time span = ui.to_ns - ui.from_ns;
        switch (e.type) {
        case SDL_QUIT:
            quit = true;
            break;
        case SDL_WINDOWEVENT:
            dirty = true;
            break;
        case SDL_KEYDOWN:
            switch (e.key.keysym.sym) {
            case SDLK_ESCAPE:
            case SDLK_q:
                quit = true;
                break;
            case SDLK_RIGHT:
                ui.cursor_ns = next_transition(&vm, ui.cursor_ns, 1);
                break;
            case SDLK_LEFT:
                ui.cursor_ns = next_transition(&vm, ui.cursor_ns, -1);
                break;
            case SDLK_PAGEUP:
                ui.cursor_ns -= span / 10;
                break;
            case SDLK_PAGEDOWN:
                ui.cursor_ns += span / 10;
                break;
            case SDLK_HOME:
                ui.cursor_ns = ui.from_ns;
                break;
            case SDLK_END:
                ui.cursor_ns = ui.to_ns;
                break;
            default:
                break;
            }
            if (ui.cursor_ns < ui.from_ns)
                ui.cursor_ns = ui.from_ns;
            if (ui.cursor_ns > ui.to_ns)
                ui.cursor_ns = ui.to_ns;
            dirty = true;
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (e.button.y >= lay.rows.y) {
                dragging = true;
                ui.cursor_ns = time_at_x(&lay, &ui, e.button.x);
                dirty = true;
            }
            break;
        case SDL_MOUSEMOTION:
            if (dragging) {
                ui.cursor_ns = time_at_x(&lay, &ui, e.motion.x);
                dirty = true;
            }
            break;
        case SDL_MOUSEBUTTONUP:
            dragging = false;
            break;
        default:
            break;
        }
    }
    status = 0;
out:
    purr__fonts_close(&fonts);
    if (ren)
        SDL_DestroyRenderer(ren);
    if (surf)
        SDL_FreeSurface(surf);
    if (win)
        SDL_DestroyWindow(win);
    TTF_Quit();
    SDL_Quit();
    purr__vm_close(&vm);
    return status;
}
