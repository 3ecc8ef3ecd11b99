/* view_int.h - private declarations shared by the window's files.
 *
 * The window is model.c (what is shown: value rows with their histories
 * and the task tree, fed by the live observer or by a recording), render.c
 * (drawing a model onto any SDL_Renderer: a window's or a software
 * renderer on a surface), view.c (the live window of `purr run`), scrub.c
 * (`purr view FILE.db`) and plot.c (`purr plot`). Only view.h is used
 * outside this folder; this header is also what the tests in tests/view
 * draw through.
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
    SDL_Rect footer;                 /* key help, or the scrubber */
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
} purr__view_ui;

/* Fixed colours the tests check (0xRRGGBB). */
#define PURR__COLOR_BG 0x1e2127u     /* the window's background */
#define PURR__COLOR_MARKER 0x56b6c2u /* each value row's marker square */
#define PURR__COLOR_MOOD_HAPPY 0xf2a65au
#define PURR__COLOR_MOOD_SLEEPY 0x7d8fb3u
#define PURR__COLOR_MOOD_CURIOUS 0x8cc97au
#define PURR__COLOR_MOOD_OTHER 0xc8c8c8u /* no mood value, or another */

/* The robot's body colour for a mood ("happy"...; NULL: none). */
uint32_t purr__mood_color(const char *mood);

/* Draws one frame of vm with ui onto r (w x h). */
void purr__render_frame(SDL_Renderer *r, const purr__fonts *f,
                        const purr__view_model *vm, const purr__view_ui *ui,
                        int w, int h);

/* Draws only the value timelines over [from, to] into the whole w x h
 * (`purr plot`). */
void purr__render_plot(SDL_Renderer *r, const purr__fonts *f,
                       const purr__view_model *vm, purr_time from_ns,
                       purr_time to_ns, const char *title, int w, int h);

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
