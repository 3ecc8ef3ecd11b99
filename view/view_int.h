/* view_int.h - private declarations shared by the window's files.
 *
 * The window is model.c (what is shown: value rows with their histories
 * and the task tree's history, fed by the live observer or by a
 * recording), render.c (drawing a model onto any SDL_Renderer: a
 * window's or a software renderer on a surface), axis.c (the time axis:
 * ticks, labels, zoom and pan), panel.c (the robot's panel in a frame),
 * draw.h (the drawing primitives render.c and panel.c share), view.c (the
 * live window of `purr run`), playback.c (the state of `purr view`: the
 * instant, zoom, range and rate, driven by events), scrub.c (`purr view
 * FILE.db`) and plot.c (`purr plot`). Only view.h is used outside this
 * folder; this header is also what the tests in tests/view draw through.
 */
#ifndef PURR_VIEW_INT_H
#define PURR_VIEW_INT_H

#include <purr/view.h>

#include <purr/datum.h>
#include <purr/recorder.h>
#include <purr/value.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* The model                                                               */
/* ---------------------------------------------------------------------- */

/* One transition kept for a row's timeline. */
typedef struct purr__vm_point {
    purr_time time_ns; /* when the value became datum */
    purr_datum datum;  /* owned */
} purr__vm_point;

/* One value's row. Rows appear in the value's creation order (ids are
 * creation order, so the layout is the same on every run). */
typedef struct purr__vm_row {
    uint64_t id;            /* purr_value_id (live) or the recording's id */
    char name[64];          /* the value's name, truncated */
    purr_role role;         /* input, output or internal */
    purr_type type;         /* the declared type (nil: any) */
    purr_value *value;      /* live only: to set inputs; NULL once closed
                               and in recordings */
    purr__vm_point *points; /* history, ascending time; the first is the
                               initial datum (owned) */
    size_t count, cap;      /* points used and allocated */
    double min, max;        /* range of the numeric data seen */
    bool has_range;         /* min/max are meaningful */
} purr__vm_row;

/* A task's state as the task events tell it. */
typedef enum purr__vm_task_state {
    PURR__VM_READY = 0,   /* spawned or woken, waiting for its turn */
    PURR__VM_RUNNING = 1, /* started (between a wake and a block) */
    PURR__VM_BLOCKED = 2  /* parked; detail says on what */
} purr__vm_task_state;

typedef struct purr__vm_task {
    uint64_t id, parent_id;    /* purr_task_id, and its nursery's owner */
    char name[40];             /* its name, truncated */
    char detail[48];           /* BLOCKED: what it waits for */
    purr__vm_task_state state; /* from the latest event */
} purr__vm_task;

/* A task tree: the tasks alive, in spawn order. */
typedef struct purr__vm_tree {
    purr__vm_task *tasks;
    size_t count, cap;
} purr__vm_tree;

/* One task event kept for the task tree's history. */
typedef struct purr__vm_task_ev {
    purr_time time_ns;
    uint64_t task_id;
    uint32_t detail; /* 1 + index into details; 0: none */
    uint8_t kind;    /* PURR_EV_TASK_* */
} purr__vm_task_ev;

/* A task's name and parent, once per task seen. */
typedef struct purr__vm_task_info {
    uint64_t id, parent_id;
    char name[40];
} purr__vm_task_info;

/* What the window shows. Points are capped per row (the oldest half is
 * dropped when a row holds PURR__VM_MAX_POINTS), and task events likewise
 * (PURR__VM_MAX_TASK_EVENTS: the oldest half is folded into the tree the
 * history starts from), so a day-long run at full speed keeps bounded
 * memory. */
#define PURR__VM_MAX_POINTS 200000
#define PURR__VM_MAX_TASK_EVENTS 1000000

typedef struct purr__view_model {
    purr__vm_row *rows; /* creation order */
    size_t row_count, row_cap;
    purr__vm_task *tasks; /* the latest task tree: live tasks, spawn order */
    size_t task_count, task_cap;
    purr_time now_ns;     /* the latest event's time (live) */
    purr_time start_ns;   /* the earliest time shown */
    purr_time end_ns;     /* the run's end; 0: unknown */
    uint64_t transitions; /* transitions seen */
    /* The task tree's history (purr__vm_tasks_at): */
    purr__vm_task_ev *tev; /* task events, in order */
    size_t tev_count, tev_cap;
    purr__vm_task_info *tinfo; /* every task seen, in first-seen order */
    size_t tinfo_count, tinfo_cap;
    bool tinfo_unsorted;  /* ids did not come in ascending order */
    char **details;       /* interned detail strings (owned) */
    size_t detail_count, detail_cap;
    purr__vm_tree base;   /* the tree before tev[0] (dropped history) */
    purr__vm_tree at;     /* cache: the tree after tev[0, at_k) */
    size_t at_k;
    purr__vm_tree shown;  /* the last purr__vm_tasks_at result */
    purr__vm_tree *ckpt;  /* ckpt[i]: the tree after tev[0, i * CK) */
    size_t ckpt_count;
    purr_view_panel panel; /* what the robot's panel shows, and units */
} purr__view_model;

void purr__vm_init(purr__view_model *vm);
void purr__vm_close(purr__view_model *vm);
/* Adds a row (or returns the existing one with that id); initial is
 * copied as its first point at time_ns. */
purr__vm_row *purr__vm_add(purr__view_model *vm, uint64_t id, const char *name,
                           purr_role role, purr_type type, purr_time time_ns,
                           const purr_datum *initial);
purr__vm_row *purr__vm_find_id(purr__view_model *vm, uint64_t id);
purr__vm_row *purr__vm_find(purr__view_model *vm, const char *name);
/* Appends a transition (d copied). */
void purr__vm_set(purr__view_model *vm, purr__vm_row *row, purr_time time_ns,
                  const purr_datum *d);
/* The row's datum at time_ns (the last point at or before it; the first
 * point before the first). Borrowed from the row. */
const purr_datum *purr__vm_at(const purr__vm_row *row, purr_time time_ns);
/* The row's current (latest) datum. */
const purr_datum *purr__vm_current(const purr__vm_row *row);
/* The time of the row's next transition after t (dir > 0) or previous
 * one before t (dir < 0), in (lo, hi] or [lo, hi); false when none. The
 * row's first point (its initial datum) is not a transition. */
bool purr__vm_row_next(const purr__vm_row *row, purr_time t, int dir,
                       purr_time *out /* out */);
/* The same over every row. */
bool purr__vm_next(const purr__view_model *vm, purr_time t, int dir,
                   purr_time *out /* out */);
/* Feeds one task event to the task tree and its history. name and
 * parent_id are kept the first time task_id is seen; detail (BLOCKED) is
 * copied. */
void purr__vm_add_task_event(purr__view_model *vm, purr_time time_ns,
                      purr_event_kind kind, uint64_t task_id,
                      uint64_t parent_id, const char *name,
                      const char *detail);
/* Feeds one observed task event (PURR_EV_TASK_*). */
void purr__vm_task_event(purr__view_model *vm, const purr_trace *ev);
/* The task tree at instant t: every task alive at some moment of t, in
 * its state after the events before t and those at t (a task that ends
 * at t is shown as it was before it ended, so the tree at the run's end
 * shows what was running then). Sets *n; the array is borrowed until the
 * next call on vm. */
const purr__vm_task *purr__vm_tasks_at(purr__view_model *vm, purr_time t,
                                       size_t *n /* out */);

/* ---------------------------------------------------------------------- */
/* Drawing                                                                 */
/* ---------------------------------------------------------------------- */

/* The fonts every frame uses. */
typedef struct purr__fonts {
    TTF_Font *ui;   /* DejaVuSans, labels */
    TTF_Font *big;  /* DejaVuSans, larger: the header, the robot's words */
    TTF_Font *mono; /* DejaVuSansMono, values and times */
} purr__fonts;

/* Loads the fonts (TTF_Init first). Returns 0, or PURR_ENOENT with diag
 * naming the missing file and the package that ships it. */
int purr__fonts_open(purr__fonts *f, purr_diag *diag /* out */);
void purr__fonts_close(purr__fonts *f);

/* Where things are in a frame of w x h pixels. Tests read it to know
 * where to look. */
typedef struct purr__layout {
    SDL_Rect header;                 /* title, time, speed, help */
    SDL_Rect robot;                  /* the robot's panel */
    int robot_cx, robot_cy, robot_r; /* the robot's body: centre, radius */
    SDL_Rect tasks;                  /* the task tree */
    SDL_Rect rows;                   /* the value rows */
    int row_h;                       /* height of one row */
    int marker_x;                    /* the rows' marker squares: left edge, */
    int marker_w;                    /* and size */
    int name_w, value_w;             /* columns before the timeline */
    int scale_w;                     /* numeric rows' scale column */
    int tl_x, tl_w;                  /* the timelines' left edge, width */
    SDL_Rect axis;                   /* the time axis, above the rows */
    SDL_Rect footer;                 /* key help, or the scrubber */
    int scrub_x, scrub_w, scrub_y;   /* the scrubber's track (scrubber) */
} purr__layout;

/* nrows: how many value rows must fit (sets row_h). */
void purr__layout_compute(purr__layout *lay, int w, int h, size_t nrows,
                          bool scrubber);
/* The row under point (x, y), or -1. */
int purr__layout_row_at(const purr__layout *lay, size_t nrows, int x, int y);

/* The UI's state that a frame shows beside the model. */
typedef struct purr__view_ui {
    const char *title; /* header text */
    purr_time from_ns; /* the timelines show [from, to] */
    purr_time to_ns;
    purr_time cursor_ns; /* the time whose values the rows and the
                            robot show (live: the latest) */
    double speed;        /* virtual s per wall s; 0 = max */
    bool paused;
    bool finished;      /* the run has ended */
    bool scrubber;      /* draw the scrubber and a cursor line
                           (purr view) */
    bool robot_pressed; /* the user holds the robot */
    int selected;       /* selected row (an input), -1: none */
    const char *footer; /* help line; NULL: the default */
    bool cursor_line;   /* draw the cursor line (also without scrubber) */
    purr_time range_from_ns, range_to_ns; /* the scrubber spans this
                                             (both 0: [from, to]) */
    bool restricted;    /* the range is narrower than the recording */
    const purr__vm_task *tasks; /* the task tree to show; NULL: the
                                   model's latest */
    size_t task_count;
} purr__view_ui;

/* Fixed colours the tests check (0xRRGGBB). */
#define PURR__COLOR_BG 0x1e2127u     /* the window's background */
#define PURR__COLOR_MARKER 0x56b6c2u /* each value row's marker square */
#define PURR__COLOR_HIGHLIGHT 0xe5c07bu /* a highlighted row's marker and
                                           edge (the scene's view:) */
#define PURR__COLOR_TRACK 0x181a1fu  /* a timeline's empty background */
#define PURR__COLOR_INPUT 0x61afefu  /* inputs: names, lines and bands */
#define PURR__COLOR_OUTPUT 0xe5c07bu /* outputs */
#define PURR__COLOR_INTERNAL 0xa0a8b6u
#define PURR__COLOR_CURSOR 0xff79c6u /* the selected instant's line */
#define PURR__COLOR_AXIS 0x8b93a1u   /* time axis ticks and labels */
#define PURR__COLOR_GRID 0x2a2e36u   /* the ticks' grid over the tracks */
#define PURR__COLOR_MOOD_HAPPY 0xf2a65au
#define PURR__COLOR_MOOD_SLEEPY 0x7d8fb3u
#define PURR__COLOR_MOOD_CURIOUS 0x8cc97au
#define PURR__COLOR_MOOD_OTHER 0xc8c8c8u /* no mood value, or another */

/* The robot's body colour for a mood ("happy"...; NULL: none). */
uint32_t purr__mood_color(const char *mood);

/* Draws the robot's panel (lay->robot) as vm stands at ui->cursor_ns
 * (panel.c). */
void purr__panel_draw(SDL_Renderer *r, const purr__fonts *f,
                      const purr__view_model *vm, const purr__view_ui *ui,
                      const purr__layout *lay);

/* ---------------------------------------------------------------------- */
/* The robot panel (panel.c, panel_decl.c)                                 */
/* ---------------------------------------------------------------------- */

/* Colours the panel tests check (0xRRGGBB). */
#define PURR__COLOR_LAMP_ON 0xf5d547u  /* a lamp whose bool is true */
#define PURR__COLOR_LAMP_OFF 0x3b3f46u /* ... false (or not a bool yet) */
#define PURR__COLOR_GAUGE 0x7ec699u    /* a gauge's fill, min to value */
#define PURR__COLOR_GAUGE_BG 0x181a1fu /* a gauge's track, value to max */
#define PURR__COLOR_BODY 0x9aa5b8u     /* a body without a mood */

/* The indicators the panel draws: vm->panel's, or, when it declares
 * nothing, one per output row (a lamp for a bool, a gauge over the range
 * seen for a number, a text otherwise). Fills up to cap; returns how
 * many. */
size_t purr__panel_indicators(const purr__view_model *vm,
                              purr_view_indicator *out, size_t cap);

/* An indicator's place in the panel: its whole cell (name on top) and
 * its widget (lamp, gauge bar, arrow dial, text). */
typedef struct purr__panel_cell {
    SDL_Rect cell, widget;
} purr__panel_cell;

/* Lays out n indicators' cells in lay->robot, in a grid above and below
 * the body. Returns how many fit (<= n). */
size_t purr__panel_cells(const purr__layout *lay, size_t n,
                         purr__panel_cell *cells /* out */);

/* A click on an indicator bound to a settable input. */
typedef struct purr__panel_click {
    purr__vm_row *row;  /* the input's row */
    purr_datum datum;   /* what to set it to (owned by the caller) */
} purr__panel_click;

/* If (x, y) falls on an indicator bound to an input that can be set (a
 * lamp on a bool toggles it; a gauge on a number takes the value under x),
 * fills *out and returns true. */
bool purr__panel_hit(purr__view_model *vm, const purr__layout *lay, int x,
                     int y, purr__panel_click *out /* out */);

/* The bool input a click on the body sets while held (the panel's touch),
 * or NULL. */
purr__vm_row *purr__panel_touch_row(purr__view_model *vm);

/* The unit of the value named name, or NULL. */
const char *purr__panel_unit(const purr_view_panel *p, const char *name);

/* name's place in p's highlight list, or -1 when it is not highlighted. */
int purr__panel_highlight_rank(const purr_view_panel *p, const char *name);

/* Moves the row just added at vm->rows[i] among the highlighted rows,
 * which come first in the panel's highlight order; others keep creation
 * order. Returns the row's new place. */
purr__vm_row *purr__panel_place_row(purr__view_model *vm, size_t i);

/* Reads rec's metadata view_panel and units into *p (the neutral robot
 * without them). Returns 0, or PURR_EFORMAT with diag naming the
 * recording. */
int purr__panel_load(purr_view_panel *p, purr_recording *rec,
                     purr_diag *diag /* out */);

/* ---------------------------------------------------------------------- */
/* `purr plot` (plot_layout.c, plot_png.c, plot_svg.c)                     */
/* ---------------------------------------------------------------------- */

#define PURR__PLOT_MAX_TICKS 24

/* One plotted value: its band, its series colour and its scale. */
typedef struct purr__plot_row {
    const purr__vm_row *row;
    const char *unit;  /* NULL: none */
    uint32_t color;    /* its line, and its legend swatch */
    int y, h;          /* the band (the timeline spans the plot's x) */
    bool numeric;      /* int or double: a line over [lo, hi] */
    double lo, hi;     /* the scale: lo at the band's bottom */
} purr__plot_row;

/* Where everything of a plot is; the PNG and the SVG draw the same. */
typedef struct purr__plot {
    int w, h;
    char title[320];
    purr_time from_ns, to_ns;
    int title_h;          /* the title's band at the top */
    int legend_x;         /* swatch's left; the name follows */
    int scale_x;          /* right edge of the scale's labels */
    int tl_x, tl_w;       /* the timelines */
    int axis_y;           /* the time axis line (under the last row) */
    purr__plot_row *rows; /* owned */
    size_t row_count;
    purr_time ticks[PURR__PLOT_MAX_TICKS];
    char tick_labels[PURR__PLOT_MAX_TICKS][24];
    size_t tick_count;
} purr__plot;

/* Fixed colours the tests check (0xRRGGBB). */
#define PURR__PLOT_BG 0xffffffu   /* a report's white page */
#define PURR__PLOT_AXIS 0x303030u /* the time axis and its ticks */

/* Lays out rows (n of vm's, in that order) over [from, to] on w x h.
 * Free with purr__plot_free. */
void purr__plot_layout(purr__plot *p, const purr__view_model *vm,
                       const purr__vm_row *const *rows, size_t n,
                       purr_time from_ns, purr_time to_ns, const char *title,
                       int w, int h);
void purr__plot_free(purr__plot *p);
/* The x of time t, clamped to the timelines. */
int purr__plot_x(const purr__plot *p, purr_time t);
/* The y of v on row's scale, clamped to its band. */
int purr__plot_y(const purr__plot_row *row, double v);
/* The points of row over the plot's range, each held until the next:
 * calls fn(t0, t1, datum, ctx) for every segment in time order. */
void purr__plot_segments(const purr__plot *p, const purr__vm_row *row,
                         void (*fn)(purr_time t0, purr_time t1,
                                    const purr_datum *d, void *ctx),
                         void *ctx);
/* Draws the plot with the software renderer (plot_png.c). */
void purr__plot_draw(SDL_Renderer *r, const purr__fonts *f,
                     const purr__plot *p);
/* Writes the plot as SVG at path through a temporary file renamed over
 * it (plot_svg.c). Returns 0, or PURR_EIO with err naming path. */
int purr__plot_svg(const purr__plot *p, const char *path, char *err,
                   size_t err_cap);

/* Draws one frame of vm with ui onto r (w x h). */
void purr__render_frame(SDL_Renderer *r, const purr__fonts *f,
                        const purr__view_model *vm, const purr__view_ui *ui,
                        int w, int h);

/* ---------------------------------------------------------------------- */
/* The time axis (axis.c; also used by plot.c)                             */
/* ---------------------------------------------------------------------- */

/* A time span laid over pixels: from_ns at x, to_ns at x + w. */
typedef struct purr__axis {
    purr_time from_ns, to_ns;
    int x, w;
} purr__axis;

#define PURR__AXIS_MAX_TICKS 32
/* The narrowest window zooming goes to. */
#define PURR__AXIS_MIN_SPAN (10 * PURR_US)

/* Tick times: multiples of step_ns within [from, to]. */
typedef struct purr__ticks {
    purr_time step_ns;
    int count;
    purr_time t[PURR__AXIS_MAX_TICKS];
} purr__ticks;

/* The pixel of time t (clamped to the axis's ends). */
int purr__axis_x(const purr__axis *a, purr_time t);
/* The time at pixel x (clamped to [from, to]). */
purr_time purr__axis_time(const purr__axis *a, int x);
/* Round tick times at least min_px pixels apart (purr__axis_draw uses
 * 90). */
void purr__axis_ticks(const purr__axis *a, int min_px,
                      purr__ticks *out /* out */);
/* A tick's label: "15s", "2.5s", "12:30" (M:SS when to_ns is a minute or
 * more), "1:00:00" (H:MM:SS from an hour), with the decimals that step_ns
 * needs. */
void purr__axis_label(purr_time t, purr_time step_ns, purr_time to_ns,
                      char *buf, size_t cap);
/* Draws the ticks (5 px, from y down) and their labels under them, and
 * grid lines from grid_top to grid_bottom (none when they are equal). */
void purr__axis_draw(SDL_Renderer *r, const purr__fonts *f, const purr__axis *a,
                     int y, int grid_top, int grid_bottom);
/* Zooms the window [*v0, *v1] by factor (< 1: in) keeping `around` at
 * the same place, within [lo, hi] and no narrower than
 * PURR__AXIS_MIN_SPAN. */
void purr__axis_zoom(purr_time *v0, purr_time *v1, purr_time around,
                     double factor, purr_time lo, purr_time hi);
/* Moves the window by `by` (ns), within [lo, hi]. */
void purr__axis_pan(purr_time *v0, purr_time *v1, purr_time by, purr_time lo,
                    purr_time hi);

/* ---------------------------------------------------------------------- */
/* Playback (playback.c): what `purr view` shows, driven by events         */
/* ---------------------------------------------------------------------- */

/* The state of a recording's view: which instant is selected, the time
 * window the timelines show, the range playback is restricted to, the
 * rate and whether it plays. Pure: events and explicit advances change it,
 * and the same sequence gives the same state (the tests drive it so). */
typedef struct purr__playback {
    purr_time start_ns, end_ns; /* the recording's span */
    purr_time from_ns, to_ns;   /* the range ([ ], --from, --to) */
    purr_time v0_ns, v1_ns;     /* the timelines' window, within the range */
    purr_time instant_ns;       /* the selected instant, within the range */
    double rate;                /* 1, 10, 100 ...; 0: max */
    bool playing;
    int selected;               /* selected row, -1: none */
    bool quit;                  /* Esc, q or the window closed */
    double carry_ns;            /* advance's fraction of a ns */
    int drag;                   /* mouse drag: 0 none, 1 seek on the
                                   timelines, 2 seek on the scrubber,
                                   3 pan */
    int drag_x;                 /* pan: where it started, */
    purr_time drag_v0;          /* and the window then */
    purr_time drag_v1;
    char message[96];           /* the last refusal ("from must be before
                                   to"), shown in the footer; "" none */
} purr__playback;

/* At max rate, playback crosses the whole range in this many seconds of
 * wall time. */
#define PURR__PB_MAX_WALL_S 5

/* Starts at the recording's span [0, end], instant 0, paused at 1x. */
void purr__pb_init(purr__playback *pb, const purr__view_model *vm);
/* Restricts to [from, to] (clamped to the span; the window becomes the
 * range and the instant moves into it). Returns 0, or PURR_EINVAL when
 * from >= to (nothing changes). */
int purr__pb_set_range(purr__playback *pb, purr_time from, purr_time to);
/* Moves the instant to t (clamped to the range), scrolling the window to
 * show it. */
void purr__pb_seek(purr__playback *pb, purr_time t);
/* Playing: moves the instant on by wall_ns x rate (stopping at the
 * range's end). Does nothing while paused. */
void purr__pb_advance(purr__playback *pb, purr_time wall_ns);
/* Pauses and moves the instant to the next (dir 1) or previous (-1)
 * transition of any row, within the range. Returns false when none. */
bool purr__pb_step(purr__playback *pb, const purr__view_model *vm, int dir);
/* The same for the selected row only. */
bool purr__pb_step_row(purr__playback *pb, const purr__view_model *vm,
                       int dir);
/* Zooms the window by factor around time `around`; resets it to the
 * range with factor 0. */
void purr__pb_zoom(purr__playback *pb, purr_time around, double factor);
/* The effective rate: virtual ns per wall ns. */
double purr__pb_rate(const purr__playback *pb);
/* Handles one input event on a frame laid out as lay. Returns true when
 * the view changed (a redraw is due). */
bool purr__pb_handle(purr__playback *pb, const purr__view_model *vm,
                     const purr__layout *lay, const SDL_Event *e);
/* Fills the ui fields the playback decides (window, cursor, range, rate,
 * paused, selected). */
void purr__pb_ui(const purr__playback *pb, purr__view_ui *ui);

/* ---------------------------------------------------------------------- */
/* `purr view` (scrub.c)                                                   */
/* ---------------------------------------------------------------------- */

/* One `purr view` session: a recording, its playback state, and where it
 * is drawn (a window, or an offscreen surface for --screenshot). */
typedef struct purr__scrub {
    purr__view_model vm;
    purr__playback pb;
    char title[512];
    SDL_Window *win;     /* NULL offscreen */
    SDL_Surface *surf;   /* offscreen target, or NULL */
    SDL_Renderer *ren;
    purr__fonts fonts;
    int w, h;            /* the frame's size */
    Uint64 last_ms;      /* wall time of the last frame (playing) */
    bool sdl_up;         /* SDL_Init succeeded */
} purr__scrub;

/* Loads the recording at path and opens a w x h window (or, offscreen, a
 * surface). Returns 0, or 2 (not a recording: diag says why) or 1 (SDL,
 * fonts: diag says why), as exit statuses. */
int purr__scrub_open(purr__scrub *s, const char *path, bool offscreen, int w,
                     int h, purr_diag *diag /* out */);
/* Draws the current state (no present). */
void purr__scrub_draw(purr__scrub *s);
/* One turn of the interactive loop: handles the pending events (waiting
 * up to wait_ms for one while paused), moves a playing instant on by the
 * wall time since the last turn, draws and presents. Returns false once
 * the user has quit. */
bool purr__scrub_turn(purr__scrub *s, int wait_ms);
/* Closes everything (a zeroed s is fine). */
void purr__scrub_close(purr__scrub *s);

/* Reads r's pixels into a new ARGB8888 surface and saves it as a PNG at
 * path, through a temporary file renamed over path once the whole PNG is
 * written (purr_output, recorder.h): a failed write leaves an old file at
 * path as it was and no temporary file. Checks nothing about path: the
 * commands do that first (purr_output_check).
 * Returns 0, or PURR_EIO (PURR_ENOMEM) with the reason in err, naming
 * path. */
int purr__save_png(SDL_Renderer *r, int w, int h, const char *path, char *err,
                   size_t err_cap);

/* Loads a recording's values and transitions into vm. Returns 0, or an
 * error code with diag. */
int purr__vm_load_recording(purr__view_model *vm, const char *path, char *title,
                            size_t title_cap, purr_diag *diag /* out */);

/* The window's pacing hook (purr_pace_fn; ctx is the purr_window). */
void purr__window_pace(purr_loop *loop, purr_time next_deadline, void *ctx);

/* Formats a virtual time as H:MM:SS.mmm. */
void purr__format_time(purr_time t, char *buf, size_t cap);

#endif /* PURR_VIEW_INT_H */
