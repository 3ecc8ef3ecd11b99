/* axis.c - the time axis: mapping time to pixels and back, choosing
 * readable ticks, drawing them, and the zoom and pan arithmetic on a time
 * window.
 *
 * Shared by the window (render.c: the live view and `purr view`) and by
 * `purr plot` (plot.c), so every timeline purr draws reads the same way.
 * Ticks fall on round times (1, 2 or 5 units of a power of ten below a
 * second; 1, 2, 5, 10, 15 or 30 seconds or minutes; 1, 2, 3, 6 or 12
 * hours; days), at least a minimum number of pixels apart, and their
 * labels say the time in the fewest digits that tell the ticks apart.
 */
#include "view_int.h"

#include <stdio.h>
#include <string.h>

int
purr__axis_x(const purr__axis *a, purr_time t)
{
    if (a->to_ns <= a->from_ns)
        return a->x + a->w;
    if (t <= a->from_ns)
        return a->x;
    if (t >= a->to_ns)
        return a->x + a->w;
    double k = (double)(t - a->from_ns) / (double)(a->to_ns - a->from_ns);
    return a->x + (int)(k * a->w + 0.5);
}

purr_time
purr__axis_time(const purr__axis *a, int x)
{
    if (a->w <= 0 || x <= a->x)
        return a->from_ns;
    if (x >= a->x + a->w)
        return a->to_ns;
    double k = (double)(x - a->x) / a->w;
    return a->from_ns + (purr_time)(k * (double)(a->to_ns - a->from_ns) + 0.5);
}

/* The tick steps, in ascending order. */
static const purr_time steps[] = {
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    PURR_US,
    2 * PURR_US,
    5 * PURR_US,
    10 * PURR_US,
    20 * PURR_US,
    50 * PURR_US,
    100 * PURR_US,
    200 * PURR_US,
    500 * PURR_US,
    PURR_MS,
    2 * PURR_MS,
    5 * PURR_MS,
    10 * PURR_MS,
    20 * PURR_MS,
    50 * PURR_MS,
    100 * PURR_MS,
    200 * PURR_MS,
    500 * PURR_MS,
    PURR_S,
    2 * PURR_S,
    5 * PURR_S,
    10 * PURR_S,
    15 * PURR_S,
    30 * PURR_S,
    60 * PURR_S,
    2 * 60 * PURR_S,
    5 * 60 * PURR_S,
    10 * 60 * PURR_S,
    15 * 60 * PURR_S,
    30 * 60 * PURR_S,
    3600 * PURR_S,
    2 * 3600 * PURR_S,
    3 * 3600 * PURR_S,
    6 * 3600 * PURR_S,
    12 * 3600 * PURR_S,
    24 * 3600 * PURR_S,
    2 * 24 * 3600 * PURR_S,
    7 * 24 * 3600 * PURR_S,
    30 * 24 * 3600 * PURR_S,
    365 * 24 * 3600 * PURR_S,
};

void
purr__axis_ticks(const purr__axis *a, int min_px, purr__ticks *out)
{
    memset(out, 0, sizeof *out);
    purr_time span = a->to_ns - a->from_ns;
    if (span <= 0 || a->w <= 0)
        return;
    if (min_px < 1)
        min_px = 1;
    /* The smallest step at least min_px apart (and few enough ticks). */
    size_t nsteps = sizeof steps / sizeof steps[0];
    size_t i = 0;
    while (i + 1 < nsteps &&
           ((double)steps[i] * a->w < (double)min_px * (double)span ||
            span / steps[i] >= PURR__AXIS_MAX_TICKS))
        i++;
    purr_time step = steps[i];
    out->step_ns = step;
    /* The first multiple of step at or after from. */
    purr_time t = a->from_ns / step * step;
    if (t < a->from_ns)
        t += step;
    for (; t <= a->to_ns && out->count < PURR__AXIS_MAX_TICKS; t += step)
        out->t[out->count++] = t;
}

void
purr__axis_label(purr_time t, purr_time step_ns, purr_time to_ns, char *buf,
                 size_t cap)
{
    if (t < 0)
        t = 0;
    long long s = (long long)(t / PURR_S);
    long long frac = (long long)(t % PURR_S);
    /* Decimals that tell ticks step_ns apart: none for whole seconds. */
    int dec = step_ns % PURR_S == 0    ? 0
              : step_ns % PURR_MS == 0 ? (step_ns % (100 * PURR_MS) == 0  ? 1
                                          : step_ns % (10 * PURR_MS) == 0 ? 2
                                                                          : 3)
              : step_ns % PURR_US == 0 ? 6
                                       : 9;
    char fs[16] = "";
    if (dec) {
        long long div = 1;
        for (int k = dec; k < 9; k++)
            div *= 10;
        snprintf(fs, sizeof fs, ".%0*lld", dec, frac / div);
    }
    if (to_ns >= 3600 * PURR_S)
        snprintf(buf, cap, "%lld:%02lld:%02lld%s", s / 3600, s / 60 % 60,
                 s % 60, fs);
    else if (to_ns >= 60 * PURR_S)
        snprintf(buf, cap, "%lld:%02lld%s", s / 60, s % 60, fs);
    else
        snprintf(buf, cap, "%lld%ss", s, fs);
}

void
purr__axis_draw(SDL_Renderer *r, const purr__fonts *f, const purr__axis *a,
                int y, int grid_top, int grid_bottom)
{
    purr__ticks ticks;
    purr__axis_ticks(a, 90, &ticks);
    int right_edge = -1000; /* where the last label drawn ends */
    for (int i = 0; i < ticks.count; i++) {
        int x = purr__axis_x(a, ticks.t[i]);
        if (grid_bottom > grid_top) {
            SDL_SetRenderDrawColor(r, PURR__COLOR_GRID >> 16,
                                   (PURR__COLOR_GRID >> 8) & 0xff,
                                   PURR__COLOR_GRID & 0xff, 255);
            SDL_RenderDrawLine(r, x, grid_top, x, grid_bottom - 1);
        }
        SDL_Rect tick = {x, y, 1, 5};
        SDL_SetRenderDrawColor(r, PURR__COLOR_AXIS >> 16,
                               (PURR__COLOR_AXIS >> 8) & 0xff,
                               PURR__COLOR_AXIS & 0xff, 255);
        SDL_RenderFillRect(r, &tick);
        char label[40];
        purr__axis_label(ticks.t[i], ticks.step_ns, a->to_ns, label,
                         sizeof label);
        int tw = 0, th = 0;
        TTF_SizeUTF8(f->mono, label, &tw, &th);
        int lx = x - tw / 2;
        if (lx < a->x - 4)
            lx = a->x - 4;
        if (lx + tw > a->x + a->w + 4)
            lx = a->x + a->w + 4 - tw;
        if (lx < right_edge + 8)
            continue; /* would overlap the previous label */
        SDL_Color c = {PURR__COLOR_AXIS >> 16, (PURR__COLOR_AXIS >> 8) & 0xff,
                       PURR__COLOR_AXIS & 0xff, 255};
        SDL_Surface *s = TTF_RenderUTF8_Blended(f->mono, label, c);
        if (!s)
            continue;
        SDL_Texture *tex = SDL_CreateTextureFromSurface(r, s);
        SDL_Rect dst = {lx, y + 5, s->w, s->h};
        if (tex) {
            SDL_RenderCopy(r, tex, NULL, &dst);
            SDL_DestroyTexture(tex);
        }
        SDL_FreeSurface(s);
        right_edge = lx + tw;
    }
}

/* ---------------------------------------------------------------------- */
/* Zoom and pan                                                            */
/* ---------------------------------------------------------------------- */

/* Puts [*v0, *v1] inside [lo, hi], keeping its length when it fits. */
static void
clamp_window(purr_time *v0, purr_time *v1, purr_time lo, purr_time hi)
{
    purr_time span = *v1 - *v0;
    if (span >= hi - lo) {
        *v0 = lo;
        *v1 = hi;
        return;
    }
    if (*v0 < lo) {
        *v0 = lo;
        *v1 = lo + span;
    }
    if (*v1 > hi) {
        *v1 = hi;
        *v0 = hi - span;
    }
}

void
purr__axis_zoom(purr_time *v0, purr_time *v1, purr_time around, double factor,
                purr_time lo, purr_time hi)
{
    if (around < *v0)
        around = *v0;
    if (around > *v1)
        around = *v1;
    double left = (double)(around - *v0) * factor,
           right = (double)(*v1 - around) * factor;
    /* No narrower than PURR__AXIS_MIN_SPAN: the ticks need room. */
    if (left + right < (double)PURR__AXIS_MIN_SPAN) {
        double k =
            (double)PURR__AXIS_MIN_SPAN / (left + right > 0 ? left + right : 1);
        if (left + right <= 0)
            left = right = (double)PURR__AXIS_MIN_SPAN / 2;
        else {
            left *= k;
            right *= k;
        }
    }
    *v0 = around - (purr_time)(left + 0.5);
    *v1 = around + (purr_time)(right + 0.5);
    clamp_window(v0, v1, lo, hi);
}

void
purr__axis_pan(purr_time *v0, purr_time *v1, purr_time by, purr_time lo,
               purr_time hi)
{
    *v0 += by;
    *v1 += by;
    clamp_window(v0, v1, lo, hi);
}
