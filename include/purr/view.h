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
 * - purr_view_cli_plot: the whole `purr plot FILE.db -o out.png|out.svg`
 *   subcommand.
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

/* ---------------------------------------------------------------------- */
/* The robot panel                                                         */
/* ---------------------------------------------------------------------- */

/* What the robot's panel shows, as plain data: a body (its shape, a
 * label, and the values that colour it, touch it and speak through it)
 * and indicators bound to values. Scenes declare it with a `view:` key
 * (docs/window.md, "The robot panel"); `purr run` stores it in the
 * recording (metadata view_panel and units, text read by
 * purr_view_panel_parse), so `purr view` and `purr plot` draw the same.
 * A panel with declared false is the neutral robot: a round body and
 * one indicator per output. Names longer than PURR_VIEW_NAME_MAX - 1
 * bytes are refused by the parser. */

#define PURR_VIEW_NAME_MAX 64 /* value names and the label, with the NUL */
#define PURR_VIEW_UNIT_MAX 16 /* a unit ("%", "lx", "m/s"), with the NUL */
#define PURR_VIEW_MAX_INDICATORS 16
#define PURR_VIEW_MAX_HIGHLIGHT 16
#define PURR_VIEW_MAX_UNITS 64

/* The body's shape. The numbers are fixed (recordings store the names). */
typedef enum purr_view_shape {
    PURR_VIEW_ROUND = 0, /* a disc with two eyes */
    PURR_VIEW_BOX = 1,   /* a rounded box on wheels */
    PURR_VIEW_PET = 2    /* the cat: ears, and a face that follows mood */
} purr_view_shape;

/* What an indicator draws. */
typedef enum purr_view_kind {
    PURR_VIEW_LAMP = 1,  /* a bool: lit when true */
    PURR_VIEW_GAUGE = 2, /* a number: a bar filled from min to max */
    PURR_VIEW_TEXT = 3,  /* any value, as text */
    PURR_VIEW_ARROW = 4  /* a heading in degrees (0 up, clockwise), or the
                            vector (value, value_y) */
} purr_view_kind;

typedef struct purr_view_indicator {
    purr_view_kind kind;
    char value[PURR_VIEW_NAME_MAX];   /* the bound value's name */
    char value_y[PURR_VIEW_NAME_MAX]; /* ARROW of a vector: the y part;
                                         "" for a heading */
    double min, max;                  /* GAUGE: the range (min < max) */
} purr_view_indicator;

/* A value's unit, for the panel's gauges and `purr plot`'s legend. */
typedef struct purr_view_unit {
    char value[PURR_VIEW_NAME_MAX];
    char unit[PURR_VIEW_UNIT_MAX];
} purr_view_unit;

typedef struct purr_view_panel {
    bool declared;                 /* false: the neutral robot */
    purr_view_shape shape;         /* the body */
    char label[PURR_VIEW_NAME_MAX]; /* under the body; "" none */
    char mood[PURR_VIEW_NAME_MAX];  /* a string value that colours the body
                                       and is written under it; "" none */
    char touch[PURR_VIEW_NAME_MAX]; /* a bool input: true while the body
                                       is held down; "" none */
    char say[PURR_VIEW_NAME_MAX];   /* a string value shown in a speech
                                       bubble while not empty; "" none */
    purr_view_indicator indicators[PURR_VIEW_MAX_INDICATORS];
    size_t indicator_count;
    char highlight[PURR_VIEW_MAX_HIGHLIGHT][PURR_VIEW_NAME_MAX];
    size_t highlight_count; /* rows drawn first, in this order */
    purr_view_unit units[PURR_VIEW_MAX_UNITS]; /* works declared or not */
    size_t unit_count;
} purr_view_panel;

/* Parses a panel from its text form (what recordings store): panel_text
 * is the declaration, one part per line with fields separated by tabs,
 *
 *     body SHAPE LABEL      shape: round, box or pet; LABEL may be empty
 *     mood NAME | touch NAME | say NAME
 *     lamp NAME | text NAME | gauge NAME MIN MAX
 *     arrow NAME | arrow NAME_X NAME_Y
 *     highlight NAME
 *
 * and units_text has one "NAME<tab>UNIT" per line. Either may be NULL:
 * a NULL or empty panel_text leaves the neutral robot (declared false).
 * *out is overwritten. Returns 0.
 * Errors: PURR_EFORMAT with diag (may be NULL) naming the line of the
 * part that is not one of the above, or beyond the limits above. */
PURR_API int purr_view_panel_parse(const char *panel_text,
                                   const char *units_text,
                                   purr_view_panel *out /* out */,
                                   purr_diag *diag /* out */);

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
    bool no_input;         /* clicks and keys never set inputs (a
                              replay's window: the recording drives
                              them) */
    const purr_view_panel *panel; /* the robot panel (copied); NULL:
                                     the neutral robot */
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

/* `purr plot FILE.db -o OUT.png|OUT.svg [--values A,B] [--size WxH]
 * [--width W] [--height H] [--from T] [--to T]`: argv[0] is the first
 * argument after "plot". Needs no display.
 * Returns the exit status: 0, 1, 2 or 3 as purr_view_cli_view. */
PURR_API int purr_view_cli_plot(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* PURR_VIEW_H */
