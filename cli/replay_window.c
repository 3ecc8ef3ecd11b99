/* replay_window.c - `purr replay --window`: the replay in a live window.
 *
 * The window watches the replayed run as it watches `purr run`: it is the
 * run's observer and, chained before the replay's own hook, the virtual
 * clock's pacing hook, so the replay plays at a rate (--speed) and can be
 * paused and stepped; the comparison with the recording goes on as
 * usual. The window takes no input (the recording drives the inputs), and
 * closing it stops the run, which the replay then reports as cut short.
 */
#include "cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PURR_WITH_VIEW

typedef struct watch_ctx {
    purr_window *w;
    bool quit; /* the user closed the window */
} watch_ctx;

static void
watch_attach(purr_loop *loop, purr_post_fn stop, void *stop_arg, void *ctx)
{
    watch_ctx *wc = ctx;
    purr_window_attach(wc->w, loop);
    purr_window_on_quit(wc->w, stop, stop_arg);
}

static void
watch_detach(void *ctx)
{
    watch_ctx *wc = ctx;
    wc->quit = purr_window_quit_requested(wc->w);
    purr_window_close(wc->w); /* before the loop is freed */
    wc->w = NULL;
}

int
purr__cli_replay_window(purr_recording *rec, const purr_replay_options *opts,
                        double speed, purr_replay_report *rep,
                        purr__replay_expects *ex)
{
    purr_window_options wo = {0};
    const char *end = purr_recording_meta(rec, "end_ns");
    char title[300];
    snprintf(title, sizeof title, "replay %s", purr_recording_path(rec));
    wo.title = title;
    wo.speed = speed;
    wo.no_input = true;
    wo.duration_ns = end ? (purr_time)strtoll(end, NULL, 10) : 0;
    purr_diag diag = {0};
    watch_ctx wc = {0};
    if (ex)
        memset(ex, 0, sizeof *ex);
    /* As `purr run` decides: no display (CI, ssh) unless SDL_VIDEODRIVER
     * names one (dummy, offscreen). */
    bool display = getenv("DISPLAY") || getenv("WAYLAND_DISPLAY") ||
                   getenv("SDL_VIDEODRIVER");
    if (!display)
        purr_diag_set(&diag, "", 0, 0,
                      "--window needs a display (DISPLAY is not set)");
    if (!display || !(wc.w = purr_window_open(&wo, &diag))) {
        memset(rep, 0, sizeof *rep);
        rep->diag = diag;
        snprintf(rep->file, sizeof rep->file, "%s", purr_recording_path(rec));
        if (!rep->diag.file[0])
            snprintf(rep->diag.file, sizeof rep->diag.file, "%s", rep->file);
        rep->outcome = PURR_REPLAY_ERROR;
        return PURR_EIO;
    }
    purr_loop_options lo = {0};
    purr_window_loop_options(wc.w, &lo);
    purr__replay_watch watch = {lo.pace, lo.pace_ctx, watch_attach,
                                watch_detach, &wc};
    int rc = purr__replay_scene_watched(rec, opts, rep, ex, &watch);
    if (wc.w) /* the run never opened: nothing detached it */
        purr_window_close(wc.w);
    if (wc.quit)
        fprintf(stderr, "purr: the window was closed: the replay stopped "
                        "early\n");
    return rc;
}

#else

int
purr__cli_replay_window(purr_recording *rec, const purr_replay_options *opts,
                        double speed, purr_replay_report *rep,
                        purr__replay_expects *ex)
{
    (void)opts;
    (void)speed;
    if (ex)
        memset(ex, 0, sizeof *ex);
    memset(rep, 0, sizeof *rep);
    snprintf(rep->file, sizeof rep->file, "%s", purr_recording_path(rec));
    purr_diag_set(&rep->diag, rep->file, 0, 0,
                  "--window needs a purr built with SDL2 (the window)");
    rep->outcome = PURR_REPLAY_ERROR;
    return PURR_EFORMAT;
}

#endif
