/* plot_layout.c - where everything of a `purr plot` goes.
 *
 * A plot is a title, one band per value (a legend with the value's name,
 * its unit and a swatch of its colour; for numbers a scale with the
 * band's bottom and top values; the timeline) and a time axis with ticks
 * at round times. The layout is computed once, here; plot_png.c draws it
 * with SDL and plot_svg.c writes it as SVG, so both show the same plot.
 * (The window's timelines have their own axis code in render.c: the plot
 * is for a printed page, with a white background and a value scale.)
 */
#include "view_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t series[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e,
                                  0x9467bd, 0x8c564b, 0xe377c2, 0x17becf,
                                  0xbcbd22, 0x7f7f7f};

/* The time axis's ticks and labels, as the window's (axis.c): round
 * steps at least 90 pixels apart. */
static void
ticks(purr__plot *p)
{
    purr__axis a = {.from_ns = p->from_ns, .to_ns = p->to_ns, .x = p->tl_x,
                    .w = p->tl_w};
    purr__ticks tk;
    purr__axis_ticks(&a, 90, &tk);
    for (int k = 0; k < tk.count && p->tick_count < PURR__PLOT_MAX_TICKS;
         k++) {
        p->ticks[p->tick_count] = tk.t[k];
        purr__axis_label(tk.t[k], tk.step_ns, p->to_ns,
                         p->tick_labels[p->tick_count],
                         sizeof p->tick_labels[0]);
        p->tick_count++;
    }
}

void
purr__plot_layout(purr__plot *p, const purr__view_model *vm,
                  const purr__vm_row *const *rows, size_t n, purr_time from_ns,
                  purr_time to_ns, const char *title, int w, int h)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    p->h = h;
    snprintf(p->title, sizeof p->title, "%s", title);
    p->from_ns = from_ns;
    p->to_ns = to_ns;
    p->title_h = 34;
    p->legend_x = 10;
    int legend_w = w >= 700 ? 190 : w / 4;
    p->scale_x = legend_w + 56;
    p->tl_x = p->scale_x + 6;
    p->tl_w = w - p->tl_x - 16;
    if (p->tl_w < 8)
        p->tl_w = 8;
    int axis_h = 30;
    int rh = n ? (h - p->title_h - axis_h) / (int)n : 0;
    if (rh < 12)
        rh = 12;
    p->rows = calloc(n ? n : 1, sizeof *p->rows);
    if (!p->rows) {
        fprintf(stderr, "purr: out of memory\n");
        abort();
    }
    int y = p->title_h;
    for (size_t i = 0; i < n && y + rh <= h - axis_h; i++, y += rh) {
        purr__plot_row *pr = &p->rows[p->row_count++];
        pr->row = rows[i];
        pr->unit = purr__panel_unit(&vm->panel, rows[i]->name);
        pr->color = series[i % (sizeof series / sizeof series[0])];
        pr->y = y;
        pr->h = rh;
        pr->numeric = rows[i]->type == PURR_T_INT ||
                      rows[i]->type == PURR_T_DOUBLE ||
                      (rows[i]->type == PURR_T_NIL && rows[i]->has_range);
        pr->lo = rows[i]->has_range ? rows[i]->min : 0;
        pr->hi = rows[i]->has_range ? rows[i]->max : 1;
        if (pr->hi <= pr->lo) {
            pr->lo -= 1;
            pr->hi += 1;
        }
    }
    p->axis_y = y;
    ticks(p);
}

void
purr__plot_free(purr__plot *p)
{
    free(p->rows);
    p->rows = NULL;
    p->row_count = 0;
}

int
purr__plot_x(const purr__plot *p, purr_time t)
{
    if (p->to_ns <= p->from_ns)
        return p->tl_x;
    double k = (double)(t - p->from_ns) / (double)(p->to_ns - p->from_ns);
    k = k < 0 ? 0 : k > 1 ? 1 : k;
    return p->tl_x + (int)(k * p->tl_w + 0.5);
}

int
purr__plot_y(const purr__plot_row *row, double v)
{
    int top = row->y + 4, base = row->y + row->h - 4;
    double k = (v - row->lo) / (row->hi - row->lo);
    k = k < 0 ? 0 : k > 1 ? 1 : k;
    return base - (int)(k * (base - top) + 0.5);
}

void
purr__plot_segments(const purr__plot *p, const purr__vm_row *row,
                    void (*fn)(purr_time t0, purr_time t1, const purr_datum *d,
                               void *ctx),
                    void *ctx)
{
    if (!row->count || p->to_ns <= p->from_ns)
        return;
    /* The point in force at from: the last at or before it. */
    size_t lo = 0, hi = row->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row->points[mid].time_ns <= p->from_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo ? lo - 1 : 0; i < row->count; i++) {
        purr_time t0 = row->points[i].time_ns;
        if (t0 > p->to_ns)
            break;
        purr_time t1 =
            i + 1 < row->count ? row->points[i + 1].time_ns : p->to_ns;
        if (t0 < p->from_ns)
            t0 = p->from_ns;
        if (t1 > p->to_ns)
            t1 = p->to_ns;
        if (t1 >= t0)
            fn(t0, t1, &row->points[i].datum, ctx);
    }
}
