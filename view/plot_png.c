/* plot_png.c - a `purr plot` drawn with SDL's software renderer (the PNG).
 *
 * Draws the layout of plot_layout.c on a white page: the title, each
 * value's band with its legend (a swatch in the value's colour, the name
 * and the unit) and, for numbers, the scale's bottom and top values; the
 * timelines (numbers as a stepped line, bools as filled spans, strings as
 * coloured spans with their text where it fits); the time axis with its
 * ticks and labels.
 */
#include "draw.h"

#define P_TEXT 0x202020u
#define P_DIM 0x606060u
#define P_BAND_A 0xf7f7f7u
#define P_BAND_B 0xffffffu
#define P_GRID 0xd8d8d8u

typedef struct seg_ctx {
    SDL_Renderer *r;
    const purr__fonts *f;
    const purr__plot *p;
    const purr__plot_row *row;
    int prev_y; /* numbers: the last segment's y, -1 before the first */
} seg_ctx;

static void
segment(purr_time t0, purr_time t1, const purr_datum *d, void *arg)
{
    seg_ctx *c = arg;
    const purr__plot_row *row = c->row;
    int x0 = purr__plot_x(c->p, t0), x1 = purr__plot_x(c->p, t1);
    int top = row->y + 4, base = row->y + row->h - 4;
    if (row->numeric) {
        if (d->type != PURR_T_INT && d->type != PURR_T_DOUBLE)
            return;
        int y = purr__plot_y(row, purr_datum_as_double(d));
        if (c->prev_y >= 0 && c->prev_y != y) /* the step */
            fill(c->r, row->color, x0, y < c->prev_y ? y : c->prev_y, 2,
                 abs(y - c->prev_y) + 2);
        fill(c->r, row->color, x0, y, x1 - x0 > 0 ? x1 - x0 : 1, 2);
        c->prev_y = y;
        return;
    }
    if (d->type == PURR_T_BOOL) {
        if (d->u.b)
            fill(c->r, row->color, x0, top, x1 - x0 > 0 ? x1 - x0 : 1,
                 base - top);
        else
            fill(c->r, shade(row->color, 0.5), x0, base - 1, x1 - x0, 2);
    } else if ((d->type == PURR_T_STRING || d->type == PURR_T_BYTES) &&
               d->len) {
        fill(c->r, string_color(d->u.s, d->len), x0, top,
             x1 - x0 > 0 ? x1 - x0 : 1, base - top);
        if (d->type == PURR_T_STRING && row->h >= 18 &&
            text_width(c->f->mono, d->u.s) + 6 <= x1 - x0)
            text(c->r, c->f->mono, d->u.s, x0 + 3,
                 row->y + (row->h - TTF_FontHeight(c->f->mono)) / 2, 0xffffffu,
                 LEFT, 0);
    } else {
        fill(c->r, P_GRID, x0, base - 1, x1 - x0, 1);
    }
}

void
purr__plot_draw(SDL_Renderer *r, const purr__fonts *f, const purr__plot *p)
{
    set_color(r, PURR__PLOT_BG);
    SDL_RenderClear(r);
    text(r, f->big, p->title, 10, 7, P_TEXT, LEFT, p->w - 20);
    for (size_t i = 0; i < p->row_count; i++) {
        const purr__plot_row *row = &p->rows[i];
        fill(r, i % 2 ? P_BAND_B : P_BAND_A, 0, row->y, p->w, row->h);
        int ty = row->y + (row->h - TTF_FontHeight(f->ui)) / 2;
        int sw = row->h - 4 < 10 ? row->h - 4 : 10;
        fill(r, row->color, p->legend_x, row->y + (row->h - sw) / 2, 10, sw);
        char name[PURR_VIEW_NAME_MAX + PURR_VIEW_UNIT_MAX + 8];
        if (row->unit)
            snprintf(name, sizeof name, "%s (%s)", row->row->name, row->unit);
        else
            snprintf(name, sizeof name, "%s", row->row->name);
        if (row->h >= 14)
            text(r, f->ui, name, p->legend_x + 16, ty, P_TEXT, LEFT,
                 p->scale_x - 56 - p->legend_x - 16);
        if (row->numeric && row->h >= 30) {
            char lo[32], hi[32];
            snprintf(lo, sizeof lo, "%.4g", row->lo);
            snprintf(hi, sizeof hi, "%.4g", row->hi);
            text(r, f->mono, hi, p->scale_x - 4, row->y + 1, P_DIM, RIGHT, 0);
            text(r, f->mono, lo, p->scale_x - 4,
                 row->y + row->h - 1 - TTF_FontHeight(f->mono), P_DIM, RIGHT,
                 0);
            fill(r, P_GRID, p->tl_x, purr__plot_y(row, row->hi), p->tl_w, 1);
            fill(r, P_GRID, p->tl_x, purr__plot_y(row, row->lo), p->tl_w, 1);
        }
        seg_ctx c = {r, f, p, row, -1};
        purr__plot_segments(p, row->row, segment, &c);
    }
    /* The time axis. */
    fill(r, PURR__PLOT_AXIS, p->tl_x, p->axis_y, p->tl_w + 1, 1);
    for (size_t k = 0; k < p->tick_count; k++) {
        int x = purr__plot_x(p, p->ticks[k]);
        fill(r, PURR__PLOT_AXIS, x, p->axis_y, 1, 6);
        int tw = text_width(f->mono, p->tick_labels[k]);
        int align = x - tw / 2 < 0 ? LEFT : x + tw / 2 > p->w ? RIGHT : CENTER;
        text(r, f->mono, p->tick_labels[k], x, p->axis_y + 8, P_DIM, align, 0);
    }
}
