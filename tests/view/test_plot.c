/* test_plot.c - `purr plot` and `purr view --screenshot` on a small
 * recording made here: the PNG has the requested size and every value's
 * row has its timeline drawn; bad usage exits 2. */
#include "view_test.h"

#include <purr/recorder.h>

#include <SDL_image.h>
#include <unistd.h>

typedef struct rig {
    purr_value *level, *on, *word;
} rig;

static int
drive(void *arg)
{
    rig *g = arg;
    static const char *const words[] = {"one", "two", "three"};
    for (int k = 1; k <= 9; k++) {
        PURR_TRY(purr_sleep(PURR_S));
        purr_value_set_double(g->level, 10.0 * (k % 4));
        purr_value_set_bool(g->on, k % 2);
        purr_value_set_string(g->word, words[k % 3]);
    }
    return 0;
}

/* Records three values (double input, bool output, string output) over
 * 9 s of virtual time into path. */
static void
make_recording(const char *path)
{
    unlink(path);
    purr_loop *loop = purr_loop_new(NULL);
    purr_diag diag = {0};
    purr_recorder *rec = purr_recorder_open(path, NULL, &diag);
    cr_assert(rec != NULL, "%s", diag.message);
    purr_assert_ok(purr_recorder_attach(rec, loop));
    rig g;
    purr_datum zero = purr_datum_double(0), empty = purr_datum_string("");
    g.level =
        purr_value_new(loop, "level", PURR_ROLE_INPUT, PURR_T_DOUBLE, &zero);
    g.on = purr_value_new_bool(loop, "on", PURR_ROLE_OUTPUT);
    g.word =
        purr_value_new(loop, "word", PURR_ROLE_OUTPUT, PURR_T_STRING, &empty);
    purr_datum_free(&empty);
    purr_assert_ok(purr_run(loop, "drive", drive, &g));
    purr_recorder_set_meta(rec, "end_ns", "10000000000");
    purr_assert_ok(purr_recorder_close(rec, &diag));
    purr_value_free(g.word);
    purr_value_free(g.on);
    purr_value_free(g.level);
    cr_assert_eq(purr_loop_close(loop), 0);
}

static int
plot(int argc, const char **argv)
{
    return purr_view_cli_plot(argc, (char **)argv);
}

Test(plot, png_of_requested_size_with_each_row_drawn)
{
    const char *db = "test_plot.db", *png = "test_plot.png";
    make_recording(db);
    unlink(png);
    const char *argv[] = {db, "-o", png, "--width", "640", "--height", "240"};
    cr_assert_eq(plot(7, argv), 0);

    SDL_Surface *s = IMG_Load(png);
    cr_assert(s != NULL, "IMG_Load: %s", IMG_GetError());
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    cr_assert_eq(c->w, 640);
    cr_assert_eq(c->h, 240);
    /* The layout of render_plot: a 30-pixel title, a 24-pixel axis, the
     * rows share the rest; timelines start after a 140-pixel name column
     * and sit on a dark track. Each row must hold pixels that are neither
     * track nor background: its data. */
    int rh = (240 - 30 - 24) / 3;
    for (int i = 0; i < 3; i++) {
        int drawn = 0;
        for (int y = 30 + i * rh + 3; y < 30 + (i + 1) * rh - 3; y++)
            for (int x = 160; x < 630; x++) {
                uint32_t p = ((Uint32 *)((char *)c->pixels + y * c->pitch))[x] &
                             0xffffffu;
                drawn += p != 0x181a1fu && p != PURR__COLOR_BG &&
                         p != 0x23272eu && p != 0x282c34u;
            }
        cr_assert_gt(drawn, 100, "row %d has %d data pixels", i, drawn);
    }
    SDL_FreeSurface(c);
}

Test(plot, bad_usage_exits_2)
{
    const char *none[] = {"x.db"};
    cr_assert_eq(plot(1, none), 2); /* no -o */
    const char *width[] = {"x.db", "-o", "y.png", "--width", "abc"};
    cr_assert_eq(plot(5, width), 2);
    const char *unknown[] = {"x.db", "--bogus"};
    cr_assert_eq(plot(2, unknown), 2);
    const char *missing[] = {"does-not-exist.db", "-o", "y.png"};
    cr_assert_eq(plot(3, missing), 2);
    const char *help[] = {"--help"};
    cr_assert_eq(plot(1, help), 0);
}

Test(view, screenshot_offscreen)
{
    const char *db = "test_view.db", *png = "test_view.png";
    make_recording(db);
    unlink(png);
    const char *argv[] = {db, "--at", "5s", "--screenshot", png};
    cr_assert_eq(purr_view_cli_view(5, (char **)argv), 0);
    SDL_Surface *s = IMG_Load(png);
    cr_assert(s != NULL, "IMG_Load: %s", IMG_GetError());
    cr_assert_eq(s->w, 1200);
    cr_assert_eq(s->h, 760);
    SDL_FreeSurface(s);
    const char *bad[] = {db, "--at", "soon"};
    cr_assert_eq(purr_view_cli_view(3, (char **)bad), 2);
    const char *none[] = {"--screenshot", png};
    cr_assert_eq(purr_view_cli_view(2, (char **)none), 2);
}
