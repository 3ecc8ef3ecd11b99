/* purr/view.h - the SDL window: live view of a run, recording viewer,
 * timeline plots (purr::view, built when SDL2 is found). The window's
 * look may change between versions; the functions below are stable.
 *
 * Three entry points serve the `purr` command line (purr_main, cli.h):
 * - purr_window_*: the live window of `purr run` (or, with offscreen set,
 *   an SDL surface that only `--screenshot FILE.png` ever sees). It is an
 *   ordinary observer of the loop (values and tasks) plus the virtual
 *   clock's pacing hook, which holds virtual time to a multiple of wall
 *   time, draws at up to 60 frames a second and turns the user's clicks
 *   and keys into input transitions posted with purr_loop_post, so they
 *   happen at the current virtual time and are recorded like any other.
 * - purr_view_cli_view: the whole `purr view FILE.db` subcommand.
 * - purr_view_cli_plot: the whole `purr plot FILE.db -o out.png` subcommand.
 *
 * How `purr run` wires the window (the order matters):
 *
 *     purr_window_options wo = {.title = scene->name, .speed = speed,
 *                               .duration_ns = purr_sim_duration(sim)};
 *     purr_window *w = purr_window_open(&wo, &diag);    // NULL: print diag
 *     purr_loop_options lo = {0};
 *     purr_window_loop_options(w, &lo);   // sets lo.pace and lo.pace_ctx;
 *                                         // copy them into the loop options
 *                                         // before the loop is created
 *     ... create the loop (purr_sim_new with those pace fields) ...
 *     purr_window_attach(w, loop);        // before the values are created
 *     purr_window_on_quit(w, cancel_fn, cancel_arg);   // optional
 *     ... purr_sim_run ...
 *     if (screenshot) purr_window_save_png(w, path);
 *     purr_window_close(w);               // before the loop is freed
 *
 * Quitting (Esc or closing the window) sets purr_window_quit_requested()
 * and posts the on_quit function, if one was given, to the loop: the
 * runner can cancel its run there (purr_scope_cancel on a scope of its
 * own). Whether or not it does, from then on the pacing hook returns at
 * once without drawing, so the run finishes at full speed; the runner
 * reads purr_window_quit_requested() afterwards to say the run was cut
 * short.
 *
 * Nothing here is thread-safe: every function runs on the loop's thread.
 */
#ifndef PURR_VIEW_H
#define PURR_VIEW_H

#include "purr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

typedef struct purr_window purr_window;

/* Options for purr_window_open. Zero-initialise and set what you need. */
typedef struct purr_window_options {
    const char *title;     /* window title and header text (copied);
                              NULL: "purr" */
    int width, height;     /* in pixels; 0: 1200 x 760 */
    bool offscreen;        /* draw on an SDL surface, open no window
                              (needs no display; for --screenshot) */
    double speed;          /* virtual seconds per wall second (1, 10,
                              100, or any positive number); 0: as fast
                              as possible */
    bool start_paused;     /* wait for space before virtual time moves */
    purr_time duration_ns; /* the run's length, for the header and the
                              timelines' span; 0: unknown */
} purr_window_options;

/* Opens the window (or the offscreen surface) and loads the fonts.
 * Returns NULL on failure, with diag (may be NULL) saying why: no display,
 * SDL or SDL_ttf failing, a font missing (fonts-dejavu-core). */
PURR_API purr_window *purr_window_open(const purr_window_options *opts,
                              purr_diag *diag /* out */);

/* Sets lopts->pace and lopts->pace_ctx to the window's pacing hook. Call
 * before the loop is created (the hook is a loop option). An offscreen
 * window needs no hook (it never waits and draws only for save_png), so
 * a headless runner may keep its own. */
PURR_API void purr_window_loop_options(purr_window *w, purr_loop_options *lopts);

/* Starts observing loop (values and tasks) and, unless offscreen, holds
 * it (purr_loop_hold) so that an idle loop waits for the user's input instead
 * of reporting a deadlock; the hold is released when the user quits, when
 * virtual time reaches options.duration_ns, or by purr_window_close. Call
 * before the values are created, so every value gets its row. Returns 0, or
 * PURR_EBUSY when the loop has 8 observers already. */
PURR_API int purr_window_attach(purr_window *w, purr_loop *loop);

/* fn(arg) is posted to the loop once, when the user asks to quit. */
PURR_API void purr_window_on_quit(purr_window *w, purr_post_fn fn, void *arg);

/* True once the user has pressed Esc or closed the window. */
PURR_API bool purr_window_quit_requested(const purr_window *w);

/* Draws the current state once more and saves it as a PNG at path,
 * through a temporary file renamed over path once the PNG is complete
 * (recorder.h, "Files purr writes"): on failure a file already at path is
 * left as it was and no temporary file remains. path is not checked (a
 * command calls purr_output_check with PURR_OUTPUT_PNG first).
 * Returns 0, or PURR_EIO when the file cannot be written (then
 * purr_window_error says why, naming path). */
PURR_API int purr_window_save_png(purr_window *w, const char *path);

/* The last failure's message (one line; "" when none). Borrowed until the
 * next call on w. */
PURR_API const char *purr_window_error(const purr_window *w);

/* Stops observing, releases the hold, closes the window and frees w
 * (NULL accepted). Call before the loop is freed. */
PURR_API void purr_window_close(purr_window *w);

/* `purr view FILE.db [--at T]`: argv[0] is the first argument after
 * "view". Returns the exit status: 0, 1 (runtime failure), 2 (bad usage
 * or a file that is not a recording), 3 (the PNG of --screenshot could
 * not be written). */
PURR_API int purr_view_cli_view(int argc, char **argv);

/* `purr plot FILE.db -o OUT.png [--width W] [--height H] [--from T]
 * [--to T]`: argv[0] is the first argument after "plot". Needs no display.
 * Returns the exit status: 0, 1, 2 or 3 as purr_view_cli_view. */
PURR_API int purr_view_cli_plot(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* PURR_VIEW_H */
