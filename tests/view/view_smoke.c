/* view_smoke.c - `purr view` in a real window (the Xvfb test): opens a
 * recording, plays it at 100x to its end by wall time, steps back one
 * transition, saves the frame and checks it (the cursor line where the
 * instant is), then closes the window and exits cleanly.
 *
 *     view_smoke FILE.db OUT.png
 *
 * Exit 0 when every check passed; 1 with a message otherwise. */
#include "view_int.h"

#include <SDL_image.h>

#include <stdio.h>
#include <stdlib.h>

static int
fail(purr__scrub *s, const char *msg)
{
    fprintf(stderr, "view_smoke: %s\n", msg);
    purr__scrub_close(s);
    return 1;
}

static void
push_key(SDL_Keycode k)
{
    SDL_Event e = {0};
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    SDL_PushEvent(&e);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: view_smoke FILE.db OUT.png\n");
        return 2;
    }
    purr__scrub s;
    purr_diag diag = {0};
    if (purr__scrub_open(&s, argv[1], false, 1000, 640, &diag) != 0) {
        fprintf(stderr, "view_smoke: %s: %s\n", diag.file, diag.message);
        purr__scrub_close(&s);
        return 1;
    }
    if (!s.win)
        return fail(&s, "no window");
    /* Play at 100x, by wall time, until the end. */
    push_key(SDLK_3);
    push_key(SDLK_SPACE);
    Uint64 start = SDL_GetTicks64();
    bool started = false;
    while (purr__scrub_turn(&s, 50)) {
        started = started || s.pb.playing;
        if (started && !s.pb.playing)
            break;
        if (SDL_GetTicks64() - start > 30000)
            return fail(&s, "playback did not reach the end in 30 s");
    }
    if (s.pb.quit)
        return fail(&s, "the window quit by itself");
    if (s.pb.instant_ns != s.pb.to_ns)
        return fail(&s, "playback stopped before the end");
    Uint64 took = SDL_GetTicks64() - start;
    /* A step back: the last transition. */
    purr_time last;
    if (!purr__vm_next(&s.vm, s.pb.to_ns, -1, &last))
        return fail(&s, "the recording has no transition");
    push_key(SDLK_COMMA);
    if (!purr__scrub_turn(&s, 1000))
        return fail(&s, "the window quit on a step");
    if (s.pb.instant_ns != last)
        return fail(&s, "the step back did not reach the last transition");
    /* The frame as shown (read back before presenting), saved and read
     * from the PNG: the cursor line at the instant's pixel. */
    purr__scrub_draw(&s);
    char err[320];
    if (purr__save_png(s.ren, s.w, s.h, argv[2], err, sizeof err) < 0)
        return fail(&s, err);
    SDL_RenderPresent(s.ren);
    SDL_Surface *png = IMG_Load(argv[2]);
    if (!png)
        return fail(&s, "the PNG does not load");
    SDL_Surface *img = SDL_ConvertSurfaceFormat(png, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(png);
    purr__layout lay;
    purr__layout_compute(&lay, s.w, s.h, s.vm.row_count, true);
    purr__axis a = {s.pb.v0_ns, s.pb.v1_ns, lay.tl_x, lay.tl_w};
    int x = purr__axis_x(&a, s.pb.instant_ns), y = lay.rows.y + lay.row_h / 2;
    Uint32 p = ((const Uint32 *)img->pixels)[(size_t)y * (img->pitch / 4) + x] &
               0xffffffu;
    int w = img->w, h = img->h;
    SDL_FreeSurface(img);
    if (w != s.w || h != s.h)
        return fail(&s, "the PNG is not the window's size");
    if (p != PURR__COLOR_CURSOR) {
        fprintf(stderr, "view_smoke: %06x at (%d, %d), not the cursor\n",
                (unsigned)p, x, y);
        return fail(&s, "no cursor line at the instant");
    }
    /* Closing the window ends the session. */
    SDL_Event quit = {.type = SDL_QUIT};
    SDL_PushEvent(&quit);
    if (purr__scrub_turn(&s, 1000))
        return fail(&s, "the window did not close on SDL_QUIT");
    printf("view_smoke: played %s to its end in %llu ms, %dx%d frame ok\n",
           argv[1], (unsigned long long)took, s.w, s.h);
    purr__scrub_close(&s);
    return 0;
}
