/* scrub.c - `purr view FILE.db`: a recording, played back in a window.
 *
 * Loads the recording into a view model and shows it in the same frame as
 * the live window: a time axis over the timelines, a cursor at the
 * selected instant (every value, the robot and the task tree show their
 * state then, exactly as recorded), and a scrubber over the range. The
 * state (instant, window, range, rate) is the playback model
 * (playback.c); this file turns wall time and SDL events into its calls
 * and draws it. --screenshot draws one frame offscreen instead (no
 * display needed).
 */
#include "view_int.h"

#include <purr/core.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_view[] =
    "usage: purr view FILE.db [--from T] [--to T] [--at T] [--play RATE]\n"
    "                 [--screenshot OUT.png [--force]]\n"
    "\n"
    "Plays a recording back in a window: a time axis over every value's\n"
    "timeline, a cursor at the selected instant (every value, the robot and\n"
    "the task tree show their state then, as recorded), and a scrubber.\n"
    "\n"
    "keys: space play / pause   1 2 3 4 rate 1x 10x 100x max\n"
    "      . , (\xe2\x86\x92 \xe2\x86\x90) next / previous transition   n N "
    "next /\n"
    "      previous transition of the selected row   \xe2\x86\x91 \xe2\x86\x93 "
    "select a row\n"
    "      Home End start / end   PgUp PgDn a tenth of the window\n"
    "      [ ] the range starts / ends at the cursor   Backspace whole run\n"
    "      + - zoom   0 whole range   Esc q quit\n"
    "mouse: drag over the timelines or the scrubber to seek; wheel to zoom\n"
    "      around the pointer; drag the time axis (or right-drag the\n"
    "      timelines) to pan; click a row's name to select it\n"
    "\n"
    "options:\n"
    "  --from T, --to T      restrict to the range [T, T] (e.g. 90s, 2h;\n"
    "                        default: the whole recording)\n"
    "  --at T                start at virtual time T (default: --from)\n"
    "  --play RATE           start playing at RATE: 1, 10, 100 or max\n"
    "  --screenshot OUT.png  draw that frame offscreen into a PNG and exit\n"
    "                        (needs no display); written whole or not\n"
    "                        at all, never over the recording itself\n"
    "  --force               replace OUT.png even when it is not a PNG\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 closed normally; 1 no window could be opened; 2 bad\n"
    "usage, not a recording, a range outside it, or an OUT.png that is the\n"
    "recording or an existing file other than a PNG (without --force); 3\n"
    "the PNG could not be written (an old OUT.png is left as it was)\n";

static int
view_usage(const char *fmt, const char *arg)
{
    fputs("purr: view: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'purr view --help')\n", stderr);
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

static const char footer_help[] =
    "space play/pause   1-4 rate   . , step   n N row step   "
    "\xe2\x86\x91\xe2\x86\x93 row   wheel zoom   drag axis pan   [ ] range   0 "
    "unzoom   Esc quit";

/* ---------------------------------------------------------------------- */
/* A session                                                               */
/* ---------------------------------------------------------------------- */

int
purr__scrub_open(purr__scrub *s, const char *path, bool offscreen, int w, int h,
                 purr_diag *diag)
{
    memset(s, 0, sizeof *s);
    purr__vm_init(&s->vm);
    s->w = w;
    s->h = h;
    if (purr__vm_load_recording(&s->vm, path, s->title, sizeof s->title, diag) <
        0)
        return 2;
    purr__pb_init(&s->pb, &s->vm);
    if (offscreen) {
        if (SDL_Init(0) < 0)
            goto sdl_fail;
        s->sdl_up = true;
        if (!(s->surf = SDL_CreateRGBSurfaceWithFormat(
                  0, w, h, 32, SDL_PIXELFORMAT_ARGB8888)) ||
            !(s->ren = SDL_CreateSoftwareRenderer(s->surf)))
            goto sdl_fail;
    } else {
        if (SDL_Init(SDL_INIT_VIDEO) < 0) {
            purr_diag_set(diag, "", 0, 0, "view: cannot open a window (%s)",
                          SDL_GetError());
            return 1;
        }
        s->sdl_up = true;
        char wt[600];
        snprintf(wt, sizeof wt, "purr view %s", s->title);
        if (!(s->win = SDL_CreateWindow(wt, SDL_WINDOWPOS_CENTERED,
                                        SDL_WINDOWPOS_CENTERED, w, h,
                                        SDL_WINDOW_RESIZABLE)) ||
            !(s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE)))
            goto sdl_fail;
    }
    if (purr__fonts_open(&s->fonts, diag) < 0)
        return 1;
    return 0;
sdl_fail:
    purr_diag_set(diag, "", 0, 0, "view: SDL: %s", SDL_GetError());
    return 1;
}

void
purr__scrub_draw(purr__scrub *s)
{
    if (s->win)
        SDL_GetRendererOutputSize(s->ren, &s->w, &s->h);
    purr__view_ui ui = {0};
    ui.title = s->title;
    purr__pb_ui(&s->pb, &ui);
    ui.footer = s->pb.message[0] ? s->pb.message : footer_help;
    ui.tasks = purr__vm_tasks_at(&s->vm, s->pb.instant_ns, &ui.task_count);
    purr__render_frame(s->ren, &s->fonts, &s->vm, &ui, s->w, s->h);
}

bool
purr__scrub_turn(purr__scrub *s, int wait_ms)
{
    purr__layout lay;
    purr__layout_compute(&lay, s->w, s->h, s->vm.row_count, true);
    SDL_Event e;
    bool any = s->pb.playing ? SDL_PollEvent(&e) != 0
                             : SDL_WaitEventTimeout(&e, wait_ms) != 0;
    while (any) {
        purr__pb_handle(&s->pb, &s->vm, &lay, &e);
        if (s->pb.quit)
            return false;
        any = SDL_PollEvent(&e) != 0;
    }
    Uint64 now = SDL_GetTicks64();
    if (s->pb.playing && s->last_ms)
        purr__pb_advance(&s->pb, (purr_time)(now - s->last_ms) * PURR_MS);
    s->last_ms = s->pb.playing ? now : 0;
    purr__scrub_draw(s);
    SDL_RenderPresent(s->ren);
    if (s->pb.playing) {
        /* About 60 frames a second while playing. */
        Uint64 spent = SDL_GetTicks64() - now;
        if (spent < 16)
            SDL_Delay((Uint32)(16 - spent));
    }
    return true;
}

void
purr__scrub_close(purr__scrub *s)
{
    purr__fonts_close(&s->fonts);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->surf)
        SDL_FreeSurface(s->surf);
    if (s->win)
        SDL_DestroyWindow(s->win);
    if (TTF_WasInit())
        TTF_Quit();
    if (s->sdl_up)
        SDL_Quit();
    purr__vm_close(&s->vm);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------- */
/* The command                                                             */
/* ---------------------------------------------------------------------- */

/* Parses a time option's value into *out. */
static int
time_arg(const char *opt, const char *v, purr_time *out)
{
    if (purr_duration_parse(v, out) < 0 || *out < 0) {
        fprintf(stderr,
                "purr: view: %s expects a time with a unit (e.g. 90s, 2h), "
                "got '%s' (see 'purr view --help')\n",
                opt, v);
        return 2;
    }
    return 0;
}

int
purr_view_cli_view(int argc, char **argv)
{
    const char *in = NULL, *shot = NULL;
    purr_time at = -1, from = -1, to = -1;
    double rate = -1;
    bool force = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_view, stdout);
            return 0;
        } else if (strcmp(a, "--at") == 0 || strcmp(a, "--from") == 0 ||
                   strcmp(a, "--to") == 0) {
            if (++i == argc)
                return view_usage("%s needs a value", a);
            purr_time *dst = a[2] == 'a' ? &at : a[2] == 'f' ? &from : &to;
            if (time_arg(a, argv[i], dst))
                return 2;
        } else if (strcmp(a, "--play") == 0) {
            if (++i == argc)
                return view_usage("%s needs a rate (1, 10, 100 or max)", a);
            const char *v = argv[i];
            rate = strcmp(v, "1") == 0     ? 1
                   : strcmp(v, "10") == 0  ? 10
                   : strcmp(v, "100") == 0 ? 100
                   : strcmp(v, "max") == 0 ? 0
                                           : -1;
            if (rate < 0)
                return view_usage("--play expects 1, 10, 100 or max, got '%s'",
                                  v);
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
    if (from >= 0 && to >= 0 && from >= to)
        return view_usage("--from must be before --to%s", "");

    purr_diag diag = {0};
    const char *inputs[] = {in};
    if (shot &&
        purr_output_check(shot, inputs, 1, PURR_OUTPUT_PNG, force, &diag) < 0)
        return print_diag(&diag);
    purr__scrub s;
    int status = purr__scrub_open(&s, in, shot != NULL, 1200, 760, &diag);
    if (status != 0) {
        char line[640];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
        purr__scrub_close(&s);
        return status;
    }
    purr__playback *pb = &s.pb;
    if (from > pb->end_ns || to > pb->end_ns) {
        char end[32];
        purr__format_time(pb->end_ns, end, sizeof end);
        fprintf(stderr,
                "purr: view: %s: the range is outside the recording, which "
                "ends at %s\n",
                in, end);
        purr__scrub_close(&s);
        return 2;
    }
    if (from >= 0 || to >= 0)
        purr__pb_set_range(pb, from >= 0 ? from : pb->start_ns,
                           to >= 0 ? to : pb->end_ns);
    purr__pb_seek(pb, at >= 0 ? at : pb->from_ns);
    if (rate >= 0) {
        pb->rate = rate;
        pb->playing = true;
    }
    if (shot) {
        char err[320];
        purr__scrub_draw(&s);
        status = 0;
        if (purr__save_png(s.ren, s.w, s.h, shot, err, sizeof err) < 0) {
            fprintf(stderr, "purr: view: %s\n", err);
            status = 3;
        }
        purr__scrub_close(&s);
        return status;
    }
    while (purr__scrub_turn(&s, 250))
        ;
    purr__scrub_close(&s);
    return 0;
}
