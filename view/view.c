/* view.c - the live window of `purr run`: observer, pacing hook, input.
 *
 * The window is an observer of the loop (every value gets a row, every
 * task event updates the task tree) and the virtual clock's pacing hook.
 * The hook runs on the loop's thread whenever every task is blocked and
 * time is about to jump to next_deadline: there it handles SDL events,
 * draws at most every 16 ms, and at speed S waits until wall time catches
 * up with anchor_wall + (next_deadline - anchor_virt) / S. Pausing keeps
 * the hook looping; stepping lets exactly one jump through.
 *
 * What the user does becomes input transitions: a click on the robot sets
 * the input "touched" to true (false on release), Up/Down change the
 * selected input. They are posted with purr_loop_post, so they run before
 * time advances, at the current virtual time, through purr_value_set like
 * any sensor's set, and the recorder stores them: an interactive session
 * replays bit for bit. After posting, the hook returns at once so the
 * input is applied now. (If no task waits on that input, the loop then
 * goes on to the next deadline straight away, a little ahead of the wall
 * clock; the next waits absorb that.)
 *
 * The window holds the loop (purr_loop_hold) while attached, so that a
 * loop with nothing scheduled waits for the user instead of reporting a
 * deadlock; the hook then keeps the window alive until the user does
 * something. The hold ends when the user quits, when virtual time reaches
 * the run's duration, and in purr_window_close.
 */
#include "view_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_MS 16 /* at most ~60 frames a second */

struct purr_window {
    char title[128];       /* header text (copied from the options) */
    bool offscreen;        /* drawing on surface, no window */
    int width, height;     /* surface size (offscreen) */
    SDL_Window *win;       /* the window, or NULL offscreen */
    SDL_Surface *surface;  /* offscreen target, or NULL */
    SDL_Renderer *ren;     /* draws into win or surface */
    purr__fonts fonts;     /* loaded at open */
    purr__view_model vm;   /* fed by the observer */
    purr_loop *loop;       /* set by attach */
    bool held;             /* we hold loop (purr_loop_hold) */
    purr_time duration_ns; /* the run's end, 0 unknown */
    double speed;          /* virtual s per wall s; 0 = max */
    bool paused;           /* the user paused */
    bool step;             /* let one jump through while paused */
    bool quit;             /* Esc or the window closed */
    purr_post_fn on_quit;  /* posted once at quit, may be NULL */
    void *on_quit_arg;
    bool robot_pressed;       /* mouse held on the robot */
    int selected;             /* selected input row, -1: none */
    int posted;               /* inputs posted during this hook call */
    bool anchored;            /* anchor_* are meaningful */
    Uint64 anchor_wall_ms;    /* wall time matching anchor_virt_ns */
    purr_time anchor_virt_ns; /* virtual time at the anchor */
    Uint64 last_frame_ms;     /* when we last drew */
    bool drew;                /* at least one frame drawn */
    bool no_input;            /* never post input sets (options) */
    bool zoomed;              /* the user zoomed or panned the timelines: */
    purr_time v0_ns, v1_ns;   /* they show [v0, v1] instead of following */
    bool panning;             /* dragging the window */
    int pan_x;                /* where the drag started, */
    purr_time pan_v0, pan_v1; /* and the window then */
    purr_time shown_ns;       /* the time of the last frame */
    char err[256];            /* the last failure (purr_window_error) */
};

static const double speeds[] = {1, 10, 100, 0};

static void observe(const purr_trace *ev, void *ctx);

/* ---------------------------------------------------------------------- */
/* Open and close                                                          */
/* ---------------------------------------------------------------------- */

purr_window *
purr_window_open(const purr_window_options *opts, purr_diag *diag)
{
    purr_window_options none = {0};
    if (!opts)
        opts = &none;
    purr_window *w = calloc(1, sizeof *w);
    if (!w) {
        purr_diag_set(diag, "", 0, 0, "out of memory");
        return NULL;
    }
    snprintf(w->title, sizeof w->title, "%s",
             opts->title ? opts->title : "purr");
    w->offscreen = opts->offscreen;
    w->width = opts->width > 0 ? opts->width : 1200;
    w->height = opts->height > 0 ? opts->height : 760;
    w->speed = opts->speed > 0 ? opts->speed : 0;
    w->paused = opts->start_paused;
    w->duration_ns = opts->duration_ns;
    w->no_input = opts->no_input;
    w->selected = -1;
    purr__vm_init(&w->vm);
    w->vm.end_ns = opts->duration_ns;
    if (opts->panel)
        w->vm.panel = *opts->panel;

    if (w->offscreen) {
        /* No video subsystem: a software renderer on a plain surface
         * (TOOLCHAIN.md §4), which needs no display at all. */
        if (SDL_Init(0) < 0)
            goto sdl_fail;
        w->surface = SDL_CreateRGBSurfaceWithFormat(0, w->width, w->height, 32,
                                                    SDL_PIXELFORMAT_ARGB8888);
        if (!w->surface)
            goto sdl_fail;
        w->ren = SDL_CreateSoftwareRenderer(w->surface);
    } else {
        if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
            purr_diag_set(diag, "", 0, 0,
                          "cannot open a window (%s); use --headless",
                          SDL_GetError());
            goto fail;
        }
        w->win = SDL_CreateWindow(w->title, SDL_WINDOWPOS_CENTERED,
                                  SDL_WINDOWPOS_CENTERED, w->width, w->height,
                                  SDL_WINDOW_RESIZABLE);
        if (!w->win)
            goto sdl_fail;
        /* The software renderer: the same pixels as the tests see, and
         * no GL driver to depend on. */
        w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!w->ren)
        goto sdl_fail;
    if (purr__fonts_open(&w->fonts, diag) < 0)
        goto fail;
    return w;

sdl_fail:
    purr_diag_set(diag, "", 0, 0, "SDL: %s", SDL_GetError());
fail:
    purr_window_close(w);
    return NULL;
}

void
purr_window_close(purr_window *w)
{
    if (!w)
        return;
    if (w->loop) {
        purr_loop_observe(w->loop, 0, observe, w); /* mask 0 removes it */
        if (w->held)
            purr_loop_unhold(w->loop);
    }
    purr__fonts_close(&w->fonts);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->surface)
        SDL_FreeSurface(w->surface);
    if (w->win) {
        SDL_DestroyWindow(w->win);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    }
    TTF_Quit();
    SDL_Quit();
    purr__vm_close(&w->vm);
    free(w);
}

const char *
purr_window_error(const purr_window *w)
{
    return w->err;
}

bool
purr_window_quit_requested(const purr_window *w)
{
    return w->quit;
}

void
purr_window_on_quit(purr_window *w, purr_post_fn fn, void *arg)
{
    w->on_quit = fn;
    w->on_quit_arg = arg;
}

/* ---------------------------------------------------------------------- */
/* Observer                                                                */
/* ---------------------------------------------------------------------- */

static void
observe(const purr_trace *ev, void *ctx)
{
    purr_window *w = ctx;
    purr__view_model *vm = &w->vm;
    if (ev->time_ns > vm->now_ns)
        vm->now_ns = ev->time_ns;
    if (ev->kind < PURR_EV_VALUE_CREATED) {
        purr__vm_task_event(vm, ev);
        return;
    }
    purr_value *v = ev->value;
    uint64_t id = purr_value_id(v);
    purr__vm_row *row = purr__vm_find_id(vm, id);
    switch (ev->kind) {
    case PURR_EV_VALUE_CREATED:
    case PURR_EV_VALUE_SET:
        if (!row) {
            const purr_datum *init =
                ev->kind == PURR_EV_VALUE_CREATED && ev->new_value
                    ? ev->new_value
                    : purr_value_peek(v);
            row = purr__vm_add(vm, id, purr_value_name(v), purr_value_role(v),
                               purr_value_type(v), ev->time_ns, init);
            row->value = v;
            if (ev->kind == PURR_EV_VALUE_CREATED)
                break;
        }
        purr__vm_set(vm, row, ev->time_ns, ev->new_value);
        break;
    case PURR_EV_VALUE_CLOSED:
        if (row)
            row->value = NULL; /* it is gone: never set it again */
        break;
    default:
        break;
    }
}

void
purr_window_loop_options(purr_window *w, purr_loop_options *lopts)
{
    lopts->pace = purr__window_pace;
    lopts->pace_ctx = w;
}

int
purr_window_attach(purr_window *w, purr_loop *loop)
{
    int rc = purr_loop_observe(loop, PURR_EV_TASK | PURR_EV_VALUE, observe, w);
    if (rc < 0)
        return rc;
    w->loop = loop;
    if (!w->offscreen) {
        purr_loop_hold(loop);
        w->held = true;
    }
    return 0;
}

static void
release_hold(purr_window *w)
{
    if (w->held) {
        w->held = false;
        purr_loop_unhold(w->loop);
    }
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                 */
/* ---------------------------------------------------------------------- */

/* The whole run so far: [0, the run's length or now]. */
static purr_time
run_span(const purr_window *w, purr_time shown_ns)
{
    purr_time end = w->duration_ns > shown_ns ? w->duration_ns : shown_ns;
    return end > 0 ? end : PURR_S;
}

/* The time window the timelines show at shown_ns: the user's zoom; else,
 * finished or offscreen (a screenshot), the whole run; else 1 minute of
 * virtual time per 1x of speed, filling from the left and then
 * scrolling; at max speed the whole run. */
static void
time_window(const purr_window *w, purr_time shown_ns, bool finished,
            purr_time *from, purr_time *to)
{
    if (w->zoomed) {
        *from = w->v0_ns;
        *to = w->v1_ns;
        return;
    }
    if (finished || w->offscreen || w->speed == 0) {
        *from = 0;
        *to = run_span(w, shown_ns);
        return;
    }
    purr_time span = (purr_time)(w->speed * 60 * PURR_S);
    *to = span > shown_ns ? span : shown_ns;
    *from = *to - span;
}

static void
draw(purr_window *w, purr_time shown_ns, bool finished)
{
    int ww = w->width, hh = w->height;
    if (w->win)
        SDL_GetRendererOutputSize(w->ren, &ww, &hh);
    purr__view_ui ui = {0};
    ui.title = w->title;
    ui.cursor_ns = shown_ns;
    time_window(w, shown_ns, finished, &ui.from_ns, &ui.to_ns);
    ui.speed = w->speed;
    ui.paused = w->paused;
    ui.finished = finished;
    ui.robot_pressed = w->robot_pressed;
    ui.selected = w->selected;
    ui.cursor_line = w->zoomed;
    /* The tasks alive at that instant (at the end of a run: those that
     * were running when it ended). */
    ui.tasks = purr__vm_tasks_at(&w->vm, shown_ns, &ui.task_count);
    purr__render_frame(w->ren, &w->fonts, &w->vm, &ui, ww, hh);
    w->last_frame_ms = SDL_GetTicks64();
    w->drew = true;
    w->shown_ns = shown_ns;
}

static void
present(purr_window *w, purr_time shown_ns)
{
    draw(w, shown_ns, false);
    if (w->win)
        SDL_RenderPresent(w->ren);
}

int
purr_window_save_png(purr_window *w, const char *path)
{
    int ww = w->width, hh = w->height;
    if (w->win)
        SDL_GetRendererOutputSize(w->ren, &ww, &hh);
    /* Read back before presenting: after a present the back buffer's
     * content is undefined. */
    draw(w, w->vm.now_ns, true);
    int rc = purr__save_png(w->ren, ww, hh, path, w->err, sizeof w->err);
    if (w->win)
        SDL_RenderPresent(w->ren);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Input                                                                   */
/* ---------------------------------------------------------------------- */

/* A set to run on the loop at the current virtual time. */
typedef struct input_set {
    purr_value *value; /* alive until the run ends (rows are cleared when
                          values close) */
    purr_datum datum;  /* owned */
} input_set;

static void
run_input(void *arg)
{
    input_set *in = arg;
    purr_value_set(in->value, &in->datum);
    purr_datum_free(&in->datum);
    free(in);
}

/* Posts value := d (copied). */
static void
post_set(purr_window *w, purr__vm_row *row, purr_datum d)
{
    if (!row || !row->value || !w->loop || w->no_input) {
        purr_datum_free(&d);
        return;
    }
    input_set *in = malloc(sizeof *in);
    if (!in) {
        purr_datum_free(&d);
        return;
    }
    in->value = row->value;
    in->datum = d;
    if (purr_loop_post(w->loop, run_input, in) < 0) {
        purr_datum_free(&in->datum);
        free(in);
        return;
    }
    w->posted++;
}

static bool
settable(const purr__vm_row *row)
{
    return row->role == PURR_ROLE_INPUT && row->value &&
           (row->type == PURR_T_BOOL || row->type == PURR_T_INT ||
            row->type == PURR_T_DOUBLE);
}

/* Up (dir 1) or Down (-1) on the selected input. */
static void
nudge_input(purr_window *w, int dir)
{
    if (w->selected < 0 || (size_t)w->selected >= w->vm.row_count)
        return;
    purr__vm_row *row = &w->vm.rows[w->selected];
    if (!settable(row))
        return;
    const purr_datum *cur = purr__vm_current(row);
    double range = row->has_range ? row->max - row->min : 0;
    double step = 1;
    if (range > 20) /* a step of about a hundredth of the range seen */
        while (step * 100 < range)
            step *= 10;
    switch (row->type) {
    case PURR_T_BOOL:
        post_set(w, row, purr_datum_bool(dir > 0));
        break;
    case PURR_T_INT:
        post_set(w, row,
                 purr_datum_int(purr_datum_as_int(cur) + dir * (int64_t)step));
        break;
    default:
        post_set(w, row,
                 purr_datum_double(purr_datum_as_double(cur) + dir * step));
        break;
    }
}

static void
select_next_input(purr_window *w)
{
    size_t n = w->vm.row_count;
    for (size_t k = 1; k <= n; k++) {
        size_t i = (size_t)(w->selected + (int)k) % n;
        if (settable(&w->vm.rows[i])) {
            w->selected = (int)i;
            return;
        }
    }
}

static void
re_anchor(purr_window *w, purr_time now)
{
    w->anchored = true;
    w->anchor_wall_ms = SDL_GetTicks64();
    w->anchor_virt_ns = now;
}

static void
request_quit(purr_window *w)
{
    if (w->quit)
        return;
    w->quit = true;
    release_hold(w);
    if (w->on_quit && w->loop)
        purr_loop_post(w->loop, w->on_quit, w->on_quit_arg);
}

/* Zooms the timelines by dy wheel notches (up: in) around pixel x. */
static void
zoom_at(purr_window *w, const purr__layout *lay, int x, int dy)
{
    purr__axis a = {0, 0, lay->tl_x, lay->tl_w};
    time_window(w, w->shown_ns, false, &a.from_ns, &a.to_ns);
    double f = 1;
    for (int i = 0; i < (dy > 0 ? dy : -dy); i++)
        f *= dy > 0 ? 0.8 : 1.25;
    w->v0_ns = a.from_ns;
    w->v1_ns = a.to_ns;
    purr__axis_zoom(&w->v0_ns, &w->v1_ns, purr__axis_time(&a, x), f, 0,
                    run_span(w, w->shown_ns));
    w->zoomed = true;
}

static void
handle_event(purr_window *w, const SDL_Event *e, purr_time now)
{
    int ww = w->width, hh = w->height;
    if (w->win)
        SDL_GetRendererOutputSize(w->ren, &ww, &hh);
    purr__layout lay;
    purr__layout_compute(&lay, ww, hh, w->vm.row_count, false);
    switch (e->type) {
    case SDL_QUIT:
        request_quit(w);
        break;
    case SDL_KEYDOWN:
        switch (e->key.keysym.sym) {
        case SDLK_ESCAPE:
        case SDLK_q:
            request_quit(w);
            break;
        case SDLK_SPACE:
            w->paused = !w->paused;
            re_anchor(w, now);
            break;
        case SDLK_n:
        case SDLK_RIGHT:
            w->paused = true;
            w->step = true;
            break;
        case SDLK_1:
        case SDLK_2:
        case SDLK_3:
        case SDLK_4:
            w->speed = speeds[e->key.keysym.sym - SDLK_1];
            re_anchor(w, now);
            break;
        case SDLK_TAB:
            select_next_input(w);
            break;
        case SDLK_0:
            w->zoomed = false; /* follow the run again */
            break;
        case SDLK_UP:
            nudge_input(w, 1);
            break;
        case SDLK_DOWN:
            nudge_input(w, -1);
            break;
        default:
            break;
        }
        break;
    case SDL_MOUSEWHEEL: {
        int x = e->wheel.mouseX, y = e->wheel.mouseY;
        int dy = e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -e->wheel.y
                                                              : e->wheel.y;
        if (dy == 0 || x < lay.tl_x || x >= lay.tl_x + lay.tl_w ||
            y < lay.axis.y || y >= lay.rows.y + lay.rows.h)
            break;
        zoom_at(w, &lay, x, dy);
        break;
    }
    case SDL_MOUSEBUTTONDOWN: {
        int x = e->button.x, y = e->button.y;
        bool on_axis =
            x >= lay.tl_x && y >= lay.axis.y && y < lay.axis.y + lay.axis.h;
        bool on_tl = x >= lay.tl_x && x < lay.tl_x + lay.tl_w &&
                     y >= lay.rows.y && y < lay.rows.y + lay.rows.h;
        if (on_axis || (on_tl && e->button.button != SDL_BUTTON_LEFT)) {
            /* Drag the timelines' window. */
            time_window(w, w->shown_ns, false, &w->pan_v0, &w->pan_v1);
            w->panning = true;
            w->pan_x = x;
            break;
        }
        purr__panel_click click;
        if (purr__panel_hit(&w->vm, &lay, e->button.x, e->button.y, &click)) {
            post_set(w, click.row, click.datum);
            break;
        }
        int dx = e->button.x - lay.robot_cx, dy = e->button.y - lay.robot_cy;
        int rr = lay.robot_r + 8;
        if (dx * dx + dy * dy <= rr * rr) {
            w->robot_pressed = true;
            post_set(w, purr__panel_touch_row(&w->vm), purr_datum_bool(true));
            break;
        }
        int i = purr__layout_row_at(&lay, w->vm.row_count, e->button.x,
                                    e->button.y);
        if (i >= 0 && settable(&w->vm.rows[i]))
            w->selected = i;
        break;
    }
    case SDL_MOUSEMOTION:
        if (w->panning && lay.tl_w > 0) {
            double per_px = (double)(w->pan_v1 - w->pan_v0) / lay.tl_w;
            w->v0_ns = w->pan_v0;
            w->v1_ns = w->pan_v1;
            purr__axis_pan(&w->v0_ns, &w->v1_ns,
                           -(purr_time)((e->motion.x - w->pan_x) * per_px), 0,
                           run_span(w, w->shown_ns));
            w->zoomed = true;
        }
        break;
    case SDL_MOUSEBUTTONUP:
        w->panning = false;
        if (w->robot_pressed) {
            w->robot_pressed = false;
            post_set(w, purr__panel_touch_row(&w->vm), purr_datum_bool(false));
        }
        break;
    default:
        break;
    }
}

/* Handles every pending event. */
static void
poll_events(purr_window *w, purr_time now)
{
    SDL_Event e;
    while (!w->quit && SDL_PollEvent(&e))
        handle_event(w, &e, now);
}

/* ---------------------------------------------------------------------- */
/* The pacing hook                                                         */
/* ---------------------------------------------------------------------- */

/* Posted after the user's input when nothing is scheduled: it posts once
 * more, so that if the input woke no task the idle loop finds a post
 * pending, runs it and comes back to the hook, instead of sleeping on the
 * hold's condition variable where nobody could wake it (the window lives
 * on the loop's own thread). */
static void
nudge_again(void *arg)
{
    (void)arg;
}

static void
nudge(void *arg)
{
    purr_window *w = arg;
    purr_loop_post(w->loop, nudge_again, NULL);
}

void
purr__window_pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    purr_window *w = ctx;
    if (w->quit || w->offscreen)
        return; /* offscreen frames are drawn only for save_png */
    if (purr_loop_task_count(loop) == 0) {
        /* The last task is ending: the run is over, whatever ended it. */
        release_hold(w);
        return;
    }
    purr_time now = purr_now();
    if (w->duration_ns > 0 &&
        (now >= w->duration_ns ||
         (next_deadline != PURR_TIME_NEVER && next_deadline >= w->duration_ns)))
        release_hold(w); /* the run's end is next: nothing to wait for */
    if (!w->anchored)
        re_anchor(w, now);
    w->posted = 0;
    for (;;) {
        poll_events(w, now);
        if (w->quit)
            return;
        Uint64 t = SDL_GetTicks64();
        bool due = !w->drew || t - w->last_frame_ms >= FRAME_MS;
        if (w->posted) {
            /* Apply the user's input now, at the current virtual time. */
            if (next_deadline == PURR_TIME_NEVER && w->held)
                purr_loop_post(w->loop, nudge, w);
            if (due)
                present(w, now);
            return;
        }
        if (w->paused) {
            if (w->step) {
                w->step = false;
                present(w, now);
                return;
            }
            if (due)
                present(w, now);
            SDL_WaitEventTimeout(NULL, FRAME_MS);
            continue;
        }
        if (next_deadline == PURR_TIME_NEVER) {
            /* Nothing scheduled: only the user can move things on. */
            if (due)
                present(w, now);
            if (!w->held)
                return; /* let the loop report it */
            SDL_WaitEventTimeout(NULL, FRAME_MS);
            continue;
        }
        if (w->speed == 0) {
            if (due)
                present(w, next_deadline);
            return;
        }
        purr_time ahead = next_deadline - w->anchor_virt_ns;
        Uint64 target =
            w->anchor_wall_ms + (Uint64)((double)ahead / PURR_MS / w->speed);
        if (t >= target) {
            if (t > target + 250)
                re_anchor(w, next_deadline); /* too far behind: catch up
                                                no more than this */
            if (due)
                present(w, next_deadline);
            return;
        }
        /* Between events: the timelines keep scrolling with wall time. */
        purr_time shown =
            w->anchor_virt_ns +
            (purr_time)((double)(t - w->anchor_wall_ms) * PURR_MS * w->speed);
        if (shown < now)
            shown = now;
        if (due)
            present(w, shown);
        Uint64 wait = target - t < FRAME_MS ? target - t : FRAME_MS;
        SDL_WaitEventTimeout(NULL, (int)wait);
    }
}
