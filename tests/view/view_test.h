/* view_test.h - fixtures for the window's tests: an offscreen software
 * renderer (no video subsystem, no display) and pixel reads. */
#ifndef PURR_VIEW_TEST_H
#define PURR_VIEW_TEST_H

#include "purr_test.h"

#include "view_int.h"

typedef struct offscreen {
    SDL_Surface *surface;
    SDL_Renderer *ren;
    purr__fonts fonts;
    int w, h;
    Uint32 *pixels; /* ARGB8888 read back by offscreen_read */
} offscreen;

static inline void
offscreen_open(offscreen *o, int w, int h)
{
    memset(o, 0, sizeof *o);
    o->w = w;
    o->h = h;
    cr_assert(SDL_Init(0) == 0, "SDL_Init: %s", SDL_GetError());
    o->surface =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    cr_assert(o->surface != NULL);
    o->ren = SDL_CreateSoftwareRenderer(o->surface);
    cr_assert(o->ren != NULL);
    purr_diag diag = {0};
    cr_assert(purr__fonts_open(&o->fonts, &diag) == 0, "%s", diag.message);
    o->pixels = calloc((size_t)w * h, 4);
}

static inline void
offscreen_read(offscreen *o)
{
    cr_assert(SDL_RenderReadPixels(o->ren, NULL, SDL_PIXELFORMAT_ARGB8888,
                                   o->pixels, o->w * 4) == 0);
}

/* The pixel at (x, y) as 0xRRGGBB. */
static inline uint32_t
offscreen_at(const offscreen *o, int x, int y)
{
    return o->pixels[(size_t)y * o->w + x] & 0xffffffu;
}

static inline void
offscreen_close(offscreen *o)
{
    purr__fonts_close(&o->fonts);
    SDL_DestroyRenderer(o->ren);
    SDL_FreeSurface(o->surface);
    free(o->pixels);
    TTF_Quit();
    SDL_Quit();
}

#endif /* PURR_VIEW_TEST_H */
