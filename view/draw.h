/* draw.h - the drawing primitives and palette the window's files share.
 *
 * Filled rectangles, discs, triangles, thick lines, rings and text on an
 * SDL_Renderer, and the colours they are drawn in. They are small, so
 * they live here as static inline functions: render.c (frames, plots)
 * and panel.c (the robot's panel) draw with the same ones.
 */
#ifndef PURR_VIEW_DRAW_H
#define PURR_VIEW_DRAW_H

#include "view_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Palette (0xRRGGBB); the ones tests check are in view_int.h. */
#define C_PANEL 0x252932u
#define C_ROW_A 0x23272eu
#define C_ROW_B 0x282c34u
#define C_ROW_SEL 0x3a4150u
#define C_TRACK 0x181a1fu
#define C_TEXT 0xdcdfe4u
#define C_DIM 0x8b93a1u
#define C_INPUT 0x61afefu
#define C_OUTPUT 0xe5c07bu
#define C_INTERNAL 0xa0a8b6u
#define C_RED 0xe06c75u
#define C_GREEN 0x98c379u
#define C_CURSOR 0xff79c6u

/* ---------------------------------------------------------------------- */
/* Primitives                                                              */
/* ---------------------------------------------------------------------- */

static inline SDL_Color
rgb(uint32_t c)
{
    SDL_Color k = {(Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c, 255};
    return k;
}

static inline void
set_color(SDL_Renderer *r, uint32_t c)
{
    SDL_SetRenderDrawColor(r, (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c, 255);
}

static inline void
fill(SDL_Renderer *r, uint32_t c, int x, int y, int w, int h)
{
    SDL_Rect rc = {x, y, w, h};
    set_color(r, c);
    SDL_RenderFillRect(r, &rc);
}

static inline void
outline(SDL_Renderer *r, uint32_t c, int x, int y, int w, int h)
{
    SDL_Rect rc = {x, y, w, h};
    set_color(r, c);
    SDL_RenderDrawRect(r, &rc);
}

/* Scales colour c by k (0..1: darker, >1: lighter, clamped). */
static inline uint32_t
shade(uint32_t c, double k)
{
    uint32_t out = 0;
    for (int s = 16; s >= 0; s -= 8) {
        double v = (double)((c >> s) & 0xff) * k;
        out |= (uint32_t)(v > 255 ? 255 : v) << s;
    }
    return out;
}

/* Blends a toward b by t in [0, 1]. */
static inline uint32_t
blend(uint32_t a, uint32_t b, double t)
{
    uint32_t out = 0;
    for (int s = 16; s >= 0; s -= 8) {
        double v = (1 - t) * ((a >> s) & 0xff) + t * ((b >> s) & 0xff);
        out |= (uint32_t)(v + 0.5) << s;
    }
    return out;
}

/* A filled disc as a triangle fan (SDL_RenderGeometry). */
static inline void
disc(SDL_Renderer *r, uint32_t c, float cx, float cy, float rad)
{
    enum { N = 48 };
    SDL_Vertex v[N + 1];
    int idx[N * 3];
    SDL_Color k = rgb(c);
    v[0].position.x = cx;
    v[0].position.y = cy;
    v[0].color = k;
    for (int i = 0; i < N; i++) {
        double a = 2 * M_PI * i / N;
        v[i + 1].position.x = cx + rad * (float)cos(a);
        v[i + 1].position.y = cy + rad * (float)sin(a);
        v[i + 1].color = k;
        idx[3 * i] = 0;
        idx[3 * i + 1] = i + 1;
        idx[3 * i + 2] = (i + 1) % N + 1;
    }
    SDL_RenderGeometry(r, NULL, v, N + 1, idx, N * 3);
}

static inline void
triangle(SDL_Renderer *r, uint32_t c, float x0, float y0, float x1, float y1,
         float x2, float y2)
{
    SDL_Color k = rgb(c);
    SDL_Vertex v[3] = {
        {{x0, y0}, k, {0, 0}}, {{x1, y1}, k, {0, 0}}, {{x2, y2}, k, {0, 0}}};
    SDL_RenderGeometry(r, NULL, v, 3, NULL, 0);
}

/* A thick line as a quad. */
static inline void
thick_line(SDL_Renderer *r, uint32_t c, float x0, float y0, float x1, float y1,
           float width)
{
    float dx = x1 - x0, dy = y1 - y0;
    float len = sqrtf(dx * dx + dy * dy);
    if (len <= 0)
        return;
    float nx = -dy / len * width / 2, ny = dx / len * width / 2;
    triangle(r, c, x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny);
    triangle(r, c, x0 + nx, y0 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny);
}

/* A circle's outline, width pixels thick. */
static inline void
ring(SDL_Renderer *r, uint32_t c, float cx, float cy, float rad, float width)
{
    enum { N = 64 };
    for (int i = 0; i < N; i++) {
        double a0 = 2 * M_PI * i / N, a1 = 2 * M_PI * (i + 1) / N;
        thick_line(r, c, cx + rad * (float)cos(a0), cy + rad * (float)sin(a0),
                   cx + rad * (float)cos(a1), cy + rad * (float)sin(a1), width);
    }
}

enum { LEFT, CENTER, RIGHT };

/* Draws text with its top at y, aligned on x; clipped to max_w pixels when
 * max_w > 0. Returns the width drawn. */
static inline int
text(SDL_Renderer *r, TTF_Font *font, const char *s, int x, int y, uint32_t c,
     int align, int max_w)
{
    if (!s || !s[0])
        return 0;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(font, s, rgb(c));
    if (!surf)
        return 0;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(r, surf);
    int w = surf->w, h = surf->h;
    SDL_FreeSurface(surf);
    if (!tex)
        return 0;
    if (max_w > 0 && w > max_w)
        w = max_w;
    SDL_Rect src = {0, 0, w, h};
    SDL_Rect dst = {align == LEFT     ? x
                    : align == CENTER ? x - w / 2
                                      : x - w,
                    y, w, h};
    SDL_RenderCopy(r, tex, &src, &dst);
    SDL_DestroyTexture(tex);
    return w;
}

static inline int
text_width(TTF_Font *font, const char *s)
{
    int w = 0, h = 0;
    if (s && s[0])
        TTF_SizeUTF8(font, s, &w, &h);
    return w;
}

/* The datum's text for a value column: strings without quotes. */
static inline void
datum_text(const purr_datum *d, char *buf, size_t cap)
{
    if (d->type == PURR_T_STRING)
        snprintf(buf, cap, "\"%s\"", d->u.s);
    else if (d->type == PURR_T_DOUBLE)
        snprintf(buf, cap, "%.6g", d->u.d);
    else
        purr_datum_format(d, buf, cap);
}

/* A pastel colour for a string, fixed by its content (FNV-1a). */
static inline uint32_t
string_color(const char *s, size_t len)
{
    static const uint32_t palette[] = {0x4f7cac, 0x7a5fa3, 0x3f8f7f, 0xa3705a,
                                       0x5a8f3f, 0x9c5a7d, 0x6b7fa8, 0xa38f3f};
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return palette[h % (sizeof palette / sizeof palette[0])];
}

static inline uint32_t
role_color(purr_role role)
{
    return role == PURR_ROLE_INPUT    ? C_INPUT
           : role == PURR_ROLE_OUTPUT ? C_OUTPUT
                                      : C_INTERNAL;
}

#endif /* PURR_VIEW_DRAW_H */
