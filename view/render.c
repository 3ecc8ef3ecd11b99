/* render.c - drawing a view model onto an SDL_Renderer.
 *
 * One frame is a header (title, virtual time, speed or rate), the robot's
 * panel (panel.c), the task tree at the instant shown, the time axis
 * (axis.c) over one row per value (a marker square, the name, the value at
 * the cursor, a numeric row's value scale, and its timeline), and a footer
 * (key help, and in `purr view` the scrubber). The same code draws into a
 * window and into a software renderer on a surface (tests, --screenshot).
 * Drawing reads the model only; it never touches the loop. Text goes
 * through SDL_ttf, rendered afresh each frame: a frame holds a few dozen
 * strings, which the software renderer draws in well under a millisecond
 * each.
 */
#include "view_int.h"

#include <SDL_image.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT_DIR "/usr/share/fonts/truetype/dejavu/"
#define FONT_SANS FONT_DIR "DejaVuSans.ttf"
#define FONT_MONO FONT_DIR "DejaVuSansMono.ttf"

#include "draw.h"

/* ---------------------------------------------------------------------- */
/* Fonts                                                                   */
/* ---------------------------------------------------------------------- */

int
purr__fonts_open(purr__fonts *f, purr_diag *diag)
{
    memset(f, 0, sizeof *f);
    if (!TTF_WasInit() && TTF_Init() < 0) {
        purr_diag_set(diag, "", 0, 0, "SDL_ttf: %s", TTF_GetError());
        return PURR_ESYS;
    }
    static const char *const files[] = {FONT_SANS, FONT_MONO};
    for (size_t i = 0; i < 2; i++) {
        FILE *fp = fopen(files[i], "rb");
        if (!fp) {
            purr_diag_set(diag, files[i], 0, 0,
                          "font not found: install fonts-dejavu-core");
            return PURR_ENOENT;
        }
        fclose(fp);
    }
    f->ui = TTF_OpenFont(FONT_SANS, 14);
    f->big = TTF_OpenFont(FONT_SANS, 18);
    f->mono = TTF_OpenFont(FONT_MONO, 13);
    if (!f->ui || !f->big || !f->mono) {
        purr_diag_set(diag, FONT_SANS, 0, 0, "cannot load the font: %s",
                      TTF_GetError());
        purr__fonts_close(f);
        return PURR_EIO;
    }
    return 0;
}

void
purr__fonts_close(purr__fonts *f)
{
    if (f->ui)
        TTF_CloseFont(f->ui);
    if (f->big)
        TTF_CloseFont(f->big);
    if (f->mono)
        TTF_CloseFont(f->mono);
    memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------------- */
/* Layout                                                                  */
/* ---------------------------------------------------------------------- */

void
purr__layout_compute(purr__layout *lay, int w, int h, size_t nrows,
                     bool scrubber)
{
    memset(lay, 0, sizeof *lay);
    int header_h = 40, footer_h = scrubber ? 64 : 26;
    int left_w = w * 28 / 100;
    if (left_w < 240)
        left_w = 240;
    if (left_w > 360)
        left_w = 360;
    lay->header = (SDL_Rect){0, 0, w, header_h};
    lay->footer = (SDL_Rect){0, h - footer_h, w, footer_h};
    int body_h = h - header_h - footer_h;
    int robot_h = left_w < body_h * 55 / 100 ? left_w : body_h * 55 / 100;
    lay->robot = (SDL_Rect){0, header_h, left_w, robot_h};
    lay->robot_cx = left_w / 2;
    lay->robot_cy = header_h + robot_h * 52 / 100;
    lay->robot_r = (left_w < robot_h ? left_w : robot_h) * 20 / 100;
    lay->tasks = (SDL_Rect){0, header_h + robot_h, left_w, body_h - robot_h};
    /* The time axis above the rows; rows as tall as fit, up to 64 px
     * (tall enough for a numeric row's y-axis). */
    int axis_h = 22;
    lay->axis = (SDL_Rect){left_w, header_h, w - left_w, axis_h};
    lay->rows =
        (SDL_Rect){left_w, header_h + axis_h, w - left_w, body_h - axis_h};
    int row_h = nrows ? lay->rows.h / (int)nrows : 40;
    lay->row_h = row_h > 64 ? 64 : row_h < 18 ? 18 : row_h;
    lay->marker_x = left_w + 8;
    lay->marker_w = 10;
    lay->name_w = 140;
    lay->value_w = 120;
    lay->scale_w = 52;
    lay->tl_x = lay->marker_x + lay->marker_w + 8 + lay->name_w + lay->value_w +
                lay->scale_w;
    lay->tl_w = lay->rows.x + lay->rows.w - 10 - lay->tl_x;
    if (lay->tl_w < 10)
        lay->tl_w = 10;
    lay->scrub_x = lay->tl_x;
    lay->scrub_w = lay->tl_w;
    lay->scrub_y = lay->footer.y + 8;
}

int
purr__layout_row_at(const purr__layout *lay, size_t nrows, int x, int y)
{
    if (x < lay->rows.x || x >= lay->rows.x + lay->rows.w || y < lay->rows.y)
        return -1;
    int i = (y - lay->rows.y) / lay->row_h;
    return i < (int)nrows && lay->rows.y + (i + 1) * lay->row_h <=
                                 lay->rows.y + lay->rows.h
               ? i
               : -1;
}

/* ---------------------------------------------------------------------- */
/* Timelines                                                               */
/* ---------------------------------------------------------------------- */

/* First point index with time > t (binary search). */
static size_t
upper_bound(const purr__vm_row *row, purr_time t)
{
    size_t lo = 0, hi = row->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row->points[mid].time_ns <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
x_of(purr_time t, purr_time from, purr_time to, int x0, int w)
{
    if (to <= from)
        return x0 + w;
    double k = (double)(t - from) / (double)(to - from);
    if (k < 0)
        k = 0;
    if (k > 1)
        k = 1;
    return x0 + (int)(k * w + 0.5);
}

/* The value range a numeric row's timeline spans: what it has seen,
 * widened by 1 either side when that is a single value. */
static void
num_scale(const purr__vm_row *row, double *lo, double *hi)
{
    *lo = row->min;
    *hi = row->max;
    if (!row->has_range || *hi <= *lo) {
        *lo -= 1;
        *hi += 1;
    }
}

static bool
numeric(const purr__vm_row *row)
{
    if (row->type == PURR_T_INT || row->type == PURR_T_DOUBLE)
        return true;
    return row->type == PURR_T_NIL && row->has_range;
}

/* A number for a scale label: at most 5 significant digits. */
static void
num_label(double v, char *buf, size_t cap)
{
    if (v == 0)
        v = 0; /* no "-0" */
    snprintf(buf, cap, "%.5g", v);
}

/* Round values for a y-axis over [lo, hi], at most max of them. */
static int
value_ticks(double lo, double hi, int max, double *out)
{
    double span = hi - lo;
    if (!(span > 0))
        return 0;
    double step = pow(10, floor(log10(span / max)));
    static const double mult[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (span / (step * mult[i]) <= max) {
            step *= mult[i];
            break;
        }
    int n = 0;
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9 && n < max;
         v += step)
        out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* Draws a numeric row's value scale: min and max labels in the scale
 * column beside the track (x0 is the track's left edge, top and base its
 * inner top and bottom pixels), or, when the row is tall enough, a y-axis
 * of round values with ticks and faint grid lines across the track. */
static void
value_scale(SDL_Renderer *r, const purr__fonts *f, const purr__vm_row *row,
            int x0, int w, int top, int base)
{
    double lo, hi;
    num_scale(row, &lo, &hi);
    char buf[32];
    int fh = TTF_FontHeight(f->mono);
    int lx = x0 - 4;
    if (base - top >= 3 * fh) {
        double v[8];
        int n = value_ticks(lo, hi, (base - top) / (fh + 2), v);
        for (int i = 0; i < n; i++) {
            int yy = base - (int)((v[i] - lo) / (hi - lo) * (base - top) + 0.5);
            fill(r, PURR__COLOR_GRID, x0, yy, w, 1);
            fill(r, C_DIM, x0 - 3, yy, 3, 1);
            num_label(v[i], buf, sizeof buf);
            int ty = yy - fh / 2;
            if (ty < top - 3)
                ty = top - 3;
            if (ty + fh > base + 3)
                ty = base + 3 - fh;
            text(r, f->mono, buf, lx, ty, C_DIM, RIGHT, 0);
        }
        return;
    }
    /* Short rows: the extremes only, top and bottom. */
    num_label(hi, buf, sizeof buf);
    if (base - top >= 2 * fh - 4) {
        text(r, f->mono, buf, lx, top - 3, C_DIM, RIGHT, 0);
        num_label(lo, buf, sizeof buf);
        text(r, f->mono, buf, lx, base + 3 - fh, C_DIM, RIGHT, 0);
    } else {
        char both[72], lob[32];
        num_label(lo, lob, sizeof lob);
        snprintf(both, sizeof both, "%s..%s", lob, buf);
        text(r, f->mono, both, lx, (top + base - fh) / 2, C_DIM, RIGHT, 0);
    }
}

/* Draws row's history over [from, to] into the rectangle (x, y, w, h). */
static void
timeline(SDL_Renderer *r, const purr__fonts *f, const purr__vm_row *row,
         purr_time from, purr_time to, int x, int y, int w, int h)
{
    /* The track (and its grid) is drawn by the caller. */
    if (row->count == 0 || to <= from)
        return;
    uint32_t c = role_color(row->role);
    /* Segments: each point holds from its time until the next point (or
     * `to`). Start at the point in force at `from`. */
    size_t i = upper_bound(row, from);
    i = i ? i - 1 : 0;
    size_t end = upper_bound(row, to);
    int base = y + h - 3, top = y + 3;
    double lo, hi;
    num_scale(row, &lo, &hi);
    int prev_y = -1;
    int col = -1, col_min = 0, col_max = 0; /* numeric: per-pixel extent */
    for (; i < end; i++) {
        const purr__vm_point *p = &row->points[i];
        purr_time t0 = p->time_ns < from ? from : p->time_ns;
        purr_time t1 = i + 1 < row->count ? row->points[i + 1].time_ns : to;
        if (t1 > to)
            t1 = to;
        int x0 = x_of(t0, from, to, x, w), x1 = x_of(t1, from, to, x, w);
        const purr_datum *d = &p->datum;
        switch (d->type) {
        case PURR_T_BOOL:
            if (d->u.b)
                fill(r, c, x0, top + 2, x1 - x0 > 0 ? x1 - x0 : 1,
                     base - top - 2);
            else
                fill(r, shade(c, 0.45), x0, base - 1, x1 - x0, 2);
            break;
        case PURR_T_INT:
        case PURR_T_DOUBLE: {
            double v = d->type == PURR_T_INT ? (double)d->u.i : d->u.d;
            int yy = base - (int)((v - lo) / (hi - lo) * (base - top) + 0.5);
            if (yy < top)
                yy = top;
            if (yy > base)
                yy = base;
            /* Many points in one pixel column become one vertical line
             * from their lowest to their highest. */
            if (x0 == col) {
                if (yy < col_min)
                    col_min = yy;
                if (yy > col_max)
                    col_max = yy;
            } else {
                if (col >= 0) {
                    set_color(r, c);
                    SDL_RenderDrawLine(r, col, col_min, col, col_max);
                }
                col = x0;
                col_min = col_max = yy;
                if (prev_y >= 0) {
                    if (prev_y < col_min)
                        col_min = prev_y;
                    if (prev_y > col_max)
                        col_max = prev_y;
                }
            }
            fill(r, c, x0, yy, x1 - x0 > 0 ? x1 - x0 : 1, 2);
            prev_y = yy;
            break;
        }
        case PURR_T_STRING:
        case PURR_T_BYTES:
            if (d->len > 0) {
                fill(r, string_color(d->u.s, d->len), x0, top + 2,
                     x1 - x0 > 0 ? x1 - x0 : 1, base - top - 2);
                /* The text, only where it fits whole: a clipped
                 * "curio" reads as another value. */
                if (d->type == PURR_T_STRING && x1 - x0 > 24 && h >= 16 &&
                    text_width(f->mono, d->u.s) + 6 <= x1 - x0) {
                    SDL_Rect clip = {x0 + 2, y, x1 - x0 - 3, h};
                    SDL_RenderSetClipRect(r, &clip);
                    text(r, f->mono, d->u.s, x0 + 3,
                         y + (h - TTF_FontHeight(f->mono)) / 2, C_TEXT, LEFT,
                         0);
                    SDL_RenderSetClipRect(r, NULL);
                }
            } else {
                fill(r, shade(c, 0.45), x0, base - 1, x1 - x0, 2);
            }
            break;
        default: /* nil, tuples: a tick per transition */
            fill(r, shade(c, 0.6), x0, top + 2, 1, base - top - 2);
            break;
        }
    }
    if (col >= 0) {
        set_color(r, c);
        SDL_RenderDrawLine(r, col, col_min, col, col_max);
    }
}

/* Draws the time axis and the value rows into lay->axis and lay->rows. */
static void
rows(SDL_Renderer *r, const purr__fonts *f, const purr__view_model *vm,
     const purr__view_ui *ui, const purr__layout *lay)
{
    int tl_x = lay->tl_x, tl_w = lay->tl_w;
    int rh = lay->row_h;
    int shown = 0; /* rows that fit */
    for (size_t i = 0; i < vm->row_count; i++) {
        if (lay->rows.y + ((int)i + 1) * rh > lay->rows.y + lay->rows.h)
            break;
        shown++;
    }
    purr__axis axis = {ui->from_ns, ui->to_ns, tl_x, tl_w};
    fill(r, C_PANEL, lay->axis.x, lay->axis.y, lay->axis.w, lay->axis.h);
    for (int i = 0; i < shown; i++) {
        int y = lay->rows.y + i * rh;
        const purr__vm_row *row = &vm->rows[i];
        uint32_t bg = i == ui->selected ? C_ROW_SEL : i % 2 ? C_ROW_B : C_ROW_A;
        fill(r, bg, lay->rows.x, y, lay->rows.w, rh);
        /* A row the scene highlights (view: highlight) has its marker
         * and its left edge in the highlight colour. */
        bool hl = purr__panel_highlight_rank(&vm->panel, row->name) >= 0;
        if (hl)
            fill(r, PURR__COLOR_HIGHLIGHT, lay->rows.x, y, 3, rh);
        int mh = lay->marker_w < rh - 4 ? lay->marker_w : rh - 4;
        fill(r, hl ? PURR__COLOR_HIGHLIGHT : PURR__COLOR_MARKER, lay->marker_x,
             y + (rh - mh) / 2, lay->marker_w, mh);
        int ty = y + (rh - TTF_FontHeight(f->ui)) / 2;
        int nx = lay->marker_x + lay->marker_w + 8;
        text(r, f->ui, row->name, nx, ty, role_color(row->role), LEFT,
             lay->name_w - 8);
        char buf[96];
        datum_text(purr__vm_at(row, ui->cursor_ns), buf, sizeof buf);
        text(r, f->mono, buf, nx + lay->name_w,
             y + (rh - TTF_FontHeight(f->mono)) / 2, C_TEXT, LEFT,
             lay->value_w - 8);
        fill(r, C_TRACK, tl_x, y + 2, tl_w, rh - 4);
        /* The time grid under the data. */
        purr__ticks ticks;
        purr__axis_ticks(&axis, 90, &ticks);
        for (int k = 0; k < ticks.count; k++)
            fill(r, PURR__COLOR_GRID, purr__axis_x(&axis, ticks.t[k]), y + 2, 1,
                 rh - 4);
        if (numeric(row))
            value_scale(r, f, row, tl_x, tl_w, y + 2 + 3, y + rh - 2 - 3);
        timeline(r, f, row, ui->from_ns, ui->to_ns, tl_x, y + 2, tl_w, rh - 4);
        if (i == ui->selected)
            outline(r, C_INPUT, lay->rows.x, y, lay->rows.w, rh);
    }
    purr__axis_draw(r, f, &axis, lay->axis.y + 2, 0, 0);
    if ((ui->scrubber || ui->cursor_line) && ui->to_ns > ui->from_ns &&
        ui->cursor_ns >= ui->from_ns && ui->cursor_ns <= ui->to_ns) {
        int cx = purr__axis_x(&axis, ui->cursor_ns);
        fill(r, C_CURSOR, cx, lay->axis.y, 1, lay->axis.h + shown * rh);
    }
    if (vm->row_count == 0)
        text(r, f->ui, "no values yet", lay->rows.x + 20, lay->rows.y + 20,
             C_DIM, LEFT, 0);
}

/* ---------------------------------------------------------------------- */
/* Tasks, header, footer                                                   */
/* ---------------------------------------------------------------------- */

static int
task_depth(const purr__vm_task *all, size_t n, const purr__vm_task *t)
{
    int depth = 0;
    uint64_t parent = t->parent_id;
    while (parent && depth < 8) {
        const purr__vm_task *p = NULL;
        for (size_t i = 0; i < n; i++)
            if (all[i].id == parent)
                p = &all[i];
        if (!p)
            break;
        depth++;
        parent = p->parent_id;
    }
    return depth;
}

static void
tasks(SDL_Renderer *r, const purr__fonts *f, const purr__view_model *vm,
      const purr__view_ui *ui, const purr__layout *lay)
{
    const purr__vm_task *all = ui->tasks ? ui->tasks : vm->tasks;
    size_t n = ui->tasks ? ui->task_count : vm->task_count;
    const SDL_Rect *p = &lay->tasks;
    fill(r, C_PANEL, p->x, p->y, p->w, p->h);
    char buf[96];
    snprintf(buf, sizeof buf, "tasks (%zu)", n);
    text(r, f->ui, buf, p->x + 10, p->y + 6, C_DIM, LEFT, 0);
    int lh = TTF_FontHeight(f->mono) + 2;
    int y = p->y + 28;
    SDL_RenderSetClipRect(r, p);
    for (size_t i = 0; i < n && y + lh <= p->y + p->h; i++) {
        const purr__vm_task *t = &all[i];
        int x = p->x + 12 + 14 * task_depth(all, n, t);
        uint32_t c = t->state == PURR__VM_BLOCKED   ? C_DIM
                     : t->state == PURR__VM_RUNNING ? C_GREEN
                                                    : C_OUTPUT;
        disc(r, c, (float)x + 4, (float)y + lh / 2.0f, 4);
        int w = text(r, f->mono, t->name, x + 12, y, C_TEXT, LEFT, 0);
        if (t->state == PURR__VM_BLOCKED && t->detail[0]) {
            snprintf(buf, sizeof buf, "on %s", t->detail);
            text(r, f->mono, buf, x + 20 + w, y, C_DIM, LEFT, 0);
        } else if (t->state != PURR__VM_BLOCKED) {
            text(r, f->mono, "runnable", x + 20 + w, y, c, LEFT, 0);
        }
        y += lh;
    }
    SDL_RenderSetClipRect(r, NULL);
}

static void
header(SDL_Renderer *r, const purr__fonts *f, const purr__view_model *vm,
       const purr__view_ui *ui, const purr__layout *lay)
{
    const SDL_Rect *p = &lay->header;
    fill(r, C_PANEL, p->x, p->y, p->w, p->h);
    text(r, f->big, ui->title ? ui->title : "purr", 12, 9, C_TEXT, LEFT,
         p->w / 3);
    char now[32], end[32], buf[96];
    purr__format_time(ui->cursor_ns, now, sizeof now);
    if (vm->end_ns > 0) {
        purr__format_time(vm->end_ns, end, sizeof end);
        snprintf(buf, sizeof buf, "%s / %s", now, end);
    } else {
        snprintf(buf, sizeof buf, "%s", now);
    }
    text(r, f->mono, buf, p->w / 2, 12, C_TEXT, CENTER, 0);
    {
        const char *state = ui->scrubber   ? (ui->paused ? "paused" : "playing")
                            : ui->finished ? "finished"
                            : ui->paused   ? "PAUSED"
                                           : NULL;
        char sp[32];
        if (ui->speed > 0)
            snprintf(sp, sizeof sp, "%gx", ui->speed);
        else
            snprintf(sp, sizeof sp, "max speed");
        int w = text(r, f->ui, sp, p->w - 12, 11, C_TEXT, RIGHT, 0);
        if (state)
            text(r, f->ui, state, p->w - 28 - w, 11,
                 ui->paused && !ui->scrubber ? C_RED
                 : ui->paused                ? C_DIM
                                             : C_GREEN,
                 RIGHT, 0);
    }
    if (vm->end_ns > 0) { /* progress along the bottom edge */
        double k = (double)ui->cursor_ns / (double)vm->end_ns;
        fill(r, C_TRACK, 0, p->h - 3, p->w, 3);
        fill(r, C_INPUT, 0, p->h - 3, (int)(p->w * (k > 1 ? 1 : k)), 3);
    }
}

static void
footer(SDL_Renderer *r, const purr__fonts *f, const purr__view_ui *ui,
       const purr__layout *lay)
{
    const SDL_Rect *p = &lay->footer;
    fill(r, C_PANEL, p->x, p->y, p->w, p->h);
    const char *help =
        ui->footer ? ui->footer
                   : "space pause   n / \xe2\x86\x92 step   1-4 speed 1x 10x "
                     "100x max   click the robot to touch it   Tab select "
                     "input   \xe2\x86\x91 \xe2\x86\x93 change it   wheel "
                     "zoom   drag axis pan   0 follow   Esc quit";
    text(r, f->ui, help, 12, p->y + p->h - 22, C_DIM, LEFT, p->w - 24);
    if (!ui->scrubber || ui->to_ns <= ui->from_ns)
        return;
    /* The scrubber: a track under the timelines spanning the range, the
     * timelines' window on it, and a handle at the cursor. */
    purr_time rf = ui->range_from_ns, rt = ui->range_to_ns;
    if (rf == 0 && rt == 0) {
        rf = ui->from_ns;
        rt = ui->to_ns;
    }
    purr__axis a = {rf, rt, lay->scrub_x, lay->scrub_w};
    int ty = lay->scrub_y;
    fill(r, C_TRACK, a.x, ty, a.w, 10);
    int wx0 = purr__axis_x(&a, ui->from_ns), wx1 = purr__axis_x(&a, ui->to_ns);
    fill(r, shade(C_INPUT, 0.45), wx0, ty + 3, wx1 - wx0 > 1 ? wx1 - wx0 : 1,
         4);
    int hx = purr__axis_x(&a, ui->cursor_ns);
    fill(r, C_CURSOR, hx - 4, ty - 4, 9, 18);
    char b0[32], b1[32], buf[80];
    purr__format_time(rf, b0, sizeof b0);
    purr__format_time(rt, b1, sizeof b1);
    uint32_t lc = ui->restricted ? C_OUTPUT : C_DIM;
    snprintf(buf, sizeof buf, "%s%s", ui->restricted ? "range " : "", b0);
    text(r, f->mono, buf, a.x, ty + 13, lc, LEFT, 0);
    text(r, f->mono, b1, a.x + a.w, ty + 13, lc, RIGHT, 0);
}

void
purr__render_frame(SDL_Renderer *r, const purr__fonts *f,
                   const purr__view_model *vm, const purr__view_ui *ui, int w,
                   int h)
{
    purr__layout lay;
    purr__layout_compute(&lay, w, h, vm->row_count, ui->scrubber);
    set_color(r, PURR__COLOR_BG);
    SDL_RenderClear(r);
    header(r, f, vm, ui, &lay);
    purr__panel_draw(r, f, vm, ui, &lay);
    tasks(r, f, vm, ui, &lay);
    fill(r, PURR__COLOR_BG, lay.rows.x, lay.rows.y, lay.rows.w, lay.rows.h);
    rows(r, f, vm, ui, &lay);
    footer(r, f, ui, &lay);
}

int
purr__save_png(SDL_Renderer *r, int w, int h, const char *path, char *err,
               size_t err_cap)
{
    SDL_Surface *s =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) {
        snprintf(err, err_cap, "cannot allocate %dx%d pixels: %s", w, h,
                 SDL_GetError());
        return PURR_ENOMEM;
    }
    int rc = 0;
    purr_output out;
    purr_diag diag = {0};
    if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels,
                             s->pitch) < 0) {
        snprintf(err, err_cap, "cannot read the frame back: %s",
                 SDL_GetError());
        rc = PURR_EIO;
    } else if (purr_output_open(&out, path, &diag) < 0) {
        purr_diag_format(&diag, err, err_cap);
        rc = PURR_EIO;
    } else {
        /* Into the temporary file through its stream: a write that fails
         * there (a full disk, a file size limit) sets the stream's error,
         * which purr_output_close checks, whether or not SDL_image looks
         * at what its writes return. */
        SDL_RWops *rw = SDL_RWFromFP(out.file, SDL_FALSE);
        if (!rw || IMG_SavePNG_RW(s, rw, 1) < 0) {
            snprintf(err, err_cap, "%s: cannot write the PNG: %s", path,
                     rw ? IMG_GetError() : SDL_GetError());
            purr_output_discard(&out);
            rc = PURR_EIO;
        } else if (purr_output_close(&out, &diag) < 0) {
            purr_diag_format(&diag, err, err_cap);
            rc = PURR_EIO;
        }
    }
    SDL_FreeSurface(s);
    return rc;
}
