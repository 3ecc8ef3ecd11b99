/* playback.c - the state of `purr view` (the selected instant, the
 * timelines' window, the range, the rate) and the input that changes it.
 *
 * Nothing here reads a clock or draws: scrub.c feeds it SDL events and the
 * wall time that passed between frames (purr__pb_advance), and draws what
 * purr__pb_ui says. The tests feed it synthetic events and explicit
 * advances and check the instant exactly.
 *
 * Mouse: the left button over the timelines or the scrubber seeks (drag
 * to scrub); the left button on the time axis, or the right or middle
 * button anywhere over the timelines, drags the window (pan); the wheel
 * zooms around the time under the pointer; a click on a row's name
 * selects it. Keys: see docs/window.md and the footer (scrub.c).
 */
#include "view_int.h"

#include <stdio.h>
#include <string.h>

static purr_time
clamp(purr_time t, purr_time lo, purr_time hi)
{
    return t < lo ? lo : t > hi ? hi : t;
}

void
purr__pb_init(purr__playback *pb, const purr__view_model *vm)
{
    memset(pb, 0, sizeof *pb);
    pb->start_ns = 0;
    pb->end_ns = vm->end_ns > 0 ? vm->end_ns : vm->now_ns;
    if (pb->end_ns <= pb->start_ns)
        pb->end_ns = pb->start_ns + PURR_S; /* an empty recording */
    pb->from_ns = pb->v0_ns = pb->start_ns;
    pb->to_ns = pb->v1_ns = pb->end_ns;
    pb->instant_ns = pb->start_ns;
    pb->rate = 1;
    pb->selected = -1;
}

int
purr__pb_set_range(purr__playback *pb, purr_time from, purr_time to)
{
    from = clamp(from, pb->start_ns, pb->end_ns);
    to = clamp(to, pb->start_ns, pb->end_ns);
    if (from >= to) {
        snprintf(pb->message, sizeof pb->message,
                 "the range's start must be before its end");
        return PURR_EINVAL;
    }
    pb->message[0] = '\0';
    pb->from_ns = pb->v0_ns = from;
    pb->to_ns = pb->v1_ns = to;
    pb->instant_ns = clamp(pb->instant_ns, from, to);
    return 0;
}

/* Scrolls the window, keeping its length, so that the instant is in it. */
static void
follow(purr__playback *pb)
{
    purr_time span = pb->v1_ns - pb->v0_ns;
    if (pb->instant_ns >= pb->v0_ns && pb->instant_ns <= pb->v1_ns)
        return;
    purr_time by = pb->instant_ns < pb->v0_ns
                       ? pb->instant_ns - pb->v0_ns - span / 10
                       : pb->instant_ns - pb->v1_ns + span / 10;
    purr__axis_pan(&pb->v0_ns, &pb->v1_ns, by, pb->from_ns, pb->to_ns);
}

void
purr__pb_seek(purr__playback *pb, purr_time t)
{
    pb->instant_ns = clamp(t, pb->from_ns, pb->to_ns);
    pb->carry_ns = 0;
    follow(pb);
}

double
purr__pb_rate(const purr__playback *pb)
{
    if (pb->rate > 0)
        return pb->rate;
    return (double)(pb->to_ns - pb->from_ns) / (PURR__PB_MAX_WALL_S * 1e9);
}

void
purr__pb_advance(purr__playback *pb, purr_time wall_ns)
{
    if (!pb->playing || wall_ns <= 0)
        return;
    double by = (double)wall_ns * purr__pb_rate(pb) + pb->carry_ns;
    double room = (double)(pb->to_ns - pb->instant_ns);
    if (by >= room) {
        pb->instant_ns = pb->to_ns;
        pb->carry_ns = 0;
        pb->playing = false; /* the end: stop there */
    } else {
        purr_time whole = (purr_time)by;
        pb->instant_ns += whole;
        pb->carry_ns = by - (double)whole;
    }
    follow(pb);
}

/* Moves to t found by a step, if it is within the range. */
static bool
step_to(purr__playback *pb, bool found, purr_time t)
{
    pb->playing = false;
    if (!found || t < pb->from_ns || t > pb->to_ns)
        return false;
    purr__pb_seek(pb, t);
    return true;
}

bool
purr__pb_step(purr__playback *pb, const purr__view_model *vm, int dir)
{
    purr_time t = 0;
    bool found = purr__vm_next(vm, pb->instant_ns, dir, &t);
    return step_to(pb, found, t);
}

bool
purr__pb_step_row(purr__playback *pb, const purr__view_model *vm, int dir)
{
    if (pb->selected < 0 || (size_t)pb->selected >= vm->row_count) {
        pb->playing = false;
        return false;
    }
    purr_time t = 0;
    bool found =
        purr__vm_row_next(&vm->rows[pb->selected], pb->instant_ns, dir, &t);
    return step_to(pb, found, t);
}

void
purr__pb_zoom(purr__playback *pb, purr_time around, double factor)
{
    if (factor <= 0) {
        pb->v0_ns = pb->from_ns;
        pb->v1_ns = pb->to_ns;
        return;
    }
    purr__axis_zoom(&pb->v0_ns, &pb->v1_ns, around, factor, pb->from_ns,
                    pb->to_ns);
}

/* The axes of the timelines and of the scrubber. */
static purr__axis
tl_axis(const purr__playback *pb, const purr__layout *lay)
{
    purr__axis a = {pb->v0_ns, pb->v1_ns, lay->tl_x, lay->tl_w};
    return a;
}

static purr__axis
scrub_axis(const purr__playback *pb, const purr__layout *lay)
{
    purr__axis a = {pb->from_ns, pb->to_ns, lay->scrub_x, lay->scrub_w};
    return a;
}

static bool
in_rect(const SDL_Rect *r, int x, int y)
{
    return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

/* Zoom factors of one wheel notch and of + / -. */
#define ZOOM_IN 0.8
#define ZOOM_OUT 1.25

static bool
handle_key(purr__playback *pb, const purr__view_model *vm,
           const SDL_Keysym *key)
{
    SDL_Keycode k = key->sym;
    purr_time span = pb->v1_ns - pb->v0_ns;
    int rows = (int)vm->row_count;
    switch (k) {
    case SDLK_ESCAPE:
    case SDLK_q:
        pb->quit = true;
        return false;
    case SDLK_SPACE:
        if (!pb->playing && pb->instant_ns >= pb->to_ns)
            purr__pb_seek(pb, pb->from_ns); /* at the end: play again */
        pb->playing = !pb->playing;
        pb->carry_ns = 0;
        return true;
    case SDLK_1:
        pb->rate = 1;
        return true;
    case SDLK_2:
        pb->rate = 10;
        return true;
    case SDLK_3:
        pb->rate = 100;
        return true;
    case SDLK_4:
        pb->rate = 0;
        return true;
    case SDLK_RIGHT:
    case SDLK_PERIOD:
        purr__pb_step(pb, vm, 1);
        return true;
    case SDLK_LEFT:
    case SDLK_COMMA:
        purr__pb_step(pb, vm, -1);
        return true;
    case SDLK_n:
        /* n: next; N (shift): previous, of the selected row */
        purr__pb_step_row(pb, vm, (key->mod & KMOD_SHIFT) ? -1 : 1);
        return true;
    case SDLK_UP:
        if (rows)
            pb->selected = pb->selected <= 0 ? 0 : pb->selected - 1;
        return true;
    case SDLK_DOWN:
        if (rows)
            pb->selected =
                pb->selected + 1 >= rows ? rows - 1 : pb->selected + 1;
        return true;
    case SDLK_HOME:
        purr__pb_seek(pb, pb->from_ns);
        return true;
    case SDLK_END:
        purr__pb_seek(pb, pb->to_ns);
        return true;
    case SDLK_PAGEUP:
        purr__pb_seek(pb, pb->instant_ns - span / 10);
        return true;
    case SDLK_PAGEDOWN:
        purr__pb_seek(pb, pb->instant_ns + span / 10);
        return true;
    case SDLK_LEFTBRACKET:
        purr__pb_set_range(pb, pb->instant_ns, pb->to_ns);
        return true;
    case SDLK_RIGHTBRACKET:
        purr__pb_set_range(pb, pb->from_ns, pb->instant_ns);
        return true;
    case SDLK_BACKSPACE:
        purr__pb_set_range(pb, pb->start_ns, pb->end_ns);
        return true;
    case SDLK_0:
        purr__pb_zoom(pb, 0, 0);
        return true;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        purr__pb_zoom(pb, pb->instant_ns, ZOOM_IN);
        return true;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        purr__pb_zoom(pb, pb->instant_ns, ZOOM_OUT);
        return true;
    default:
        return false;
    }
}

bool
purr__pb_handle(purr__playback *pb, const purr__view_model *vm,
                const purr__layout *lay, const SDL_Event *e)
{
    SDL_Rect tl = {lay->tl_x, lay->rows.y, lay->tl_w, lay->rows.h};
    SDL_Rect scrub = {lay->scrub_x, lay->footer.y, lay->scrub_w, lay->footer.h};
    switch (e->type) {
    case SDL_QUIT:
        pb->quit = true;
        return false;
    case SDL_WINDOWEVENT:
        return true;
    case SDL_KEYDOWN:
        return handle_key(pb, vm, &e->key.keysym);
    case SDL_MOUSEWHEEL: {
        int x = e->wheel.mouseX, y = e->wheel.mouseY;
        int dy = e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -e->wheel.y
                                                              : e->wheel.y;
        if (dy == 0 || !(in_rect(&tl, x, y) || in_rect(&lay->axis, x, y)))
            return false;
        purr__axis a = tl_axis(pb, lay);
        purr_time around = purr__axis_time(&a, x);
        double f = 1;
        for (int i = 0; i < (dy > 0 ? dy : -dy); i++)
            f *= dy > 0 ? ZOOM_IN : ZOOM_OUT;
        purr__pb_zoom(pb, around, f);
        return true;
    }
    case SDL_MOUSEBUTTONDOWN: {
        int x = e->button.x, y = e->button.y;
        bool left = e->button.button == SDL_BUTTON_LEFT;
        if (in_rect(&lay->axis, x, y) && x >= lay->tl_x) {
            pb->drag = 3;
        } else if (in_rect(&tl, x, y)) {
            pb->drag = left ? 1 : 3;
        } else if (left && in_rect(&scrub, x, y)) {
            pb->drag = 2;
        } else if (left) {
            int i = purr__layout_row_at(lay, vm->row_count, x, y);
            if (i >= 0) {
                pb->selected = i;
                return true;
            }
            return false;
        } else {
            return false;
        }
        pb->drag_x = x;
        pb->drag_v0 = pb->v0_ns;
        pb->drag_v1 = pb->v1_ns;
        if (pb->drag == 1) {
            int i = purr__layout_row_at(lay, vm->row_count, x, y);
            if (i >= 0)
                pb->selected = i;
        }
        if (pb->drag == 3)
            return false;
        /* Seeking with the mouse: the same as a motion to here. */
        SDL_Event m = {0};
        m.type = SDL_MOUSEMOTION;
        m.motion.x = x;
        m.motion.y = y;
        return purr__pb_handle(pb, vm, lay, &m);
    }
    case SDL_MOUSEMOTION: {
        int x = e->motion.x;
        if (pb->drag == 1) {
            purr__axis a = tl_axis(pb, lay);
            purr__pb_seek(pb, purr__axis_time(&a, x));
        } else if (pb->drag == 2) {
            purr__axis a = scrub_axis(pb, lay);
            purr__pb_seek(pb, purr__axis_time(&a, x));
        } else if (pb->drag == 3 && lay->tl_w > 0) {
            /* The window follows the pointer: dragging right shows
             * earlier times. */
            double per_px =
                (double)(pb->drag_v1 - pb->drag_v0) / (double)lay->tl_w;
            purr_time by = -(purr_time)((x - pb->drag_x) * per_px);
            pb->v0_ns = pb->drag_v0;
            pb->v1_ns = pb->drag_v1;
            purr__axis_pan(&pb->v0_ns, &pb->v1_ns, by, pb->from_ns, pb->to_ns);
        } else {
            return false;
        }
        return true;
    }
    case SDL_MOUSEBUTTONUP:
        pb->drag = 0;
        return false;
    default:
        return false;
    }
}

void
purr__pb_ui(const purr__playback *pb, purr__view_ui *ui)
{
    ui->from_ns = pb->v0_ns;
    ui->to_ns = pb->v1_ns;
    ui->cursor_ns = pb->instant_ns;
    ui->range_from_ns = pb->from_ns;
    ui->range_to_ns = pb->to_ns;
    ui->restricted = pb->from_ns > pb->start_ns || pb->to_ns < pb->end_ns;
    ui->speed = pb->rate;
    ui->paused = !pb->playing;
    ui->selected = pb->selected;
    ui->scrubber = true;
    ui->cursor_line = true;
}
