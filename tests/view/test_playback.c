/* test_playback.c - `purr view`'s playback, driven by scripted input on a
 * recording with known transitions (view_rec.h): synthetic SDL events go
 * straight into the event handler (purr__pb_handle), and wall time is
 * given by explicit advances (no sleeping). After each action the instant
 * is checked exactly, and every value there against the script the
 * recording was made from. Also the command's range options. */
#include "view_rec.h"

#include <unistd.h>

/* Criterion runs each test in a process of its own, in parallel: one
 * recording per process. */
static char DB[64];

static void
db_name(void)
{
    snprintf(DB, sizeof DB, "playback.%d.db", (int)getpid());
}

/* The values the script gives at t (view_rec.h), independently of the
 * model: the oracle for what the view shows. */
static void
expect_values(const purr__view_model *vm, purr_time t)
{
    long long s = t / PURR_S; /* every transition is on a whole second */
    purr_datum want[5] = {
        purr_datum_int(s < 10   ? 0
                       : s < 20 ? 1
                       : s < 30 ? 2
                                : 3),
        purr_datum_bool(s >= 15 && s < 25),
        purr_datum_bool(false),
        purr_datum_string(s >= 12 && s < 40 ? "busy" : "idle"),
        purr_datum_double(s < 5    ? 0.5
                          : s < 50 ? 0.25
                                   : 0.75),
    };
    static const char *const names[] = {"count", "door", "alarm", "state",
                                        "level"};
    cr_assert_eq(vm->row_count, 5);
    for (int i = 0; i < 5; i++) {
        const purr_datum *got = purr__vm_at(&vm->rows[i], t);
        char a[64], b[64];
        purr_datum_format(got, a, sizeof a);
        purr_datum_format(&want[i], b, sizeof b);
        cr_assert(purr_datum_equal(got, &want[i]), "%s at %lld ns: %s, want %s",
                  names[i], (long long)t, a, b);
        purr_datum_free(&want[i]);
    }
}

typedef struct fixture {
    purr__view_model vm;
    purr__playback pb;
    purr__layout lay;
} fixture;

static void
setup(fixture *f)
{
    db_name();
    unlink(DB);
    rec_make(DB, NULL, NULL);
    rec_load(DB, &f->vm);
    purr__pb_init(&f->pb, &f->vm);
    purr__layout_compute(&f->lay, 1200, 760, f->vm.row_count, true);
    cr_assert_eq(f->pb.instant_ns, 0);
    cr_assert_eq(f->pb.to_ns, REC_END);
}

static void
teardown(fixture *f)
{
    purr__vm_close(&f->vm);
    unlink(DB);
}

static bool
key_mod(fixture *f, SDL_Keycode k, Uint16 mod)
{
    SDL_Event e = {0};
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    e.key.keysym.mod = mod;
    return purr__pb_handle(&f->pb, &f->vm, &f->lay, &e);
}

static bool
key(fixture *f, SDL_Keycode k)
{
    return key_mod(f, k, 0);
}

static void
mouse(fixture *f, Uint32 type, int x, int y, Uint8 button)
{
    SDL_Event e = {0};
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
    } else {
        e.button.x = x;
        e.button.y = y;
        e.button.button = button;
    }
    purr__pb_handle(&f->pb, &f->vm, &f->lay, &e);
}

static void
wheel(fixture *f, int x, int y, int notches)
{
    SDL_Event e = {0};
    e.type = SDL_MOUSEWHEEL;
    e.wheel.y = notches;
    e.wheel.mouseX = x;
    e.wheel.mouseY = y;
    purr__pb_handle(&f->pb, &f->vm, &f->lay, &e);
}

/* The instant is t exactly, and every value there is the script's. */
static void
at(fixture *f, purr_time t)
{
    cr_assert_eq(f->pb.instant_ns, t, "instant %lld ns, want %lld ns",
                 (long long)f->pb.instant_ns, (long long)t);
    expect_values(&f->vm, f->pb.instant_ns);
}

static purr__axis
tl_axis(const fixture *f)
{
    purr__axis a = {f->pb.v0_ns, f->pb.v1_ns, f->lay.tl_x, f->lay.tl_w};
    return a;
}

Test(playback, step_visits_every_transition_both_ways)
{
    fixture f;
    setup(&f);
    static const int secs[] = {5, 10, 12, 15, 20, 25, 30, 40, 50};
    at(&f, 0);
    for (int i = 0; i < 9; i++) {
        key(&f, i % 2 ? SDLK_PERIOD : SDLK_RIGHT);
        at(&f, secs[i] * PURR_S);
    }
    key(&f, SDLK_PERIOD); /* none after 50 s: stays */
    at(&f, 50 * PURR_S);
    for (int i = 7; i >= 0; i--) {
        key(&f, i % 2 ? SDLK_COMMA : SDLK_LEFT);
        at(&f, secs[i] * PURR_S);
    }
    key(&f, SDLK_COMMA); /* the initial datums are not transitions */
    at(&f, 5 * PURR_S);
    teardown(&f);
}

Test(playback, n_steps_through_the_selected_row)
{
    fixture f;
    setup(&f);
    key(&f, SDLK_n); /* no row selected: nothing */
    at(&f, 0);
    key(&f, SDLK_DOWN);
    key(&f, SDLK_DOWN);
    cr_assert_eq(f.pb.selected, 1); /* door */
    key(&f, SDLK_n);
    at(&f, 15 * PURR_S);
    key(&f, SDLK_n);
    at(&f, 25 * PURR_S);
    key(&f, SDLK_n); /* door changes no more */
    at(&f, 25 * PURR_S);
    key_mod(&f, SDLK_n, KMOD_LSHIFT); /* N: back */
    at(&f, 15 * PURR_S);
    key(&f, SDLK_UP);
    cr_assert_eq(f.pb.selected, 0); /* count */
    key(&f, SDLK_n);
    at(&f, 20 * PURR_S);
    key(&f, SDLK_UP); /* stays on the first row */
    cr_assert_eq(f.pb.selected, 0);
    for (int i = 0; i < 9; i++)
        key(&f, SDLK_DOWN);
    cr_assert_eq(f.pb.selected, 4); /* and on the last */
    teardown(&f);
}

Test(playback, play_pause_and_rates)
{
    fixture f;
    setup(&f);
    purr__pb_advance(&f.pb, PURR_S); /* paused: nothing moves */
    at(&f, 0);
    key(&f, SDLK_SPACE);
    cr_assert(f.pb.playing);
    purr__pb_advance(&f.pb, PURR_S); /* 1x */
    at(&f, 1 * PURR_S);
    key(&f, SDLK_2); /* 10x */
    purr__pb_advance(&f.pb, 500 * PURR_MS);
    at(&f, 6 * PURR_S);
    key(&f, SDLK_3); /* 100x */
    purr__pb_advance(&f.pb, 100 * PURR_MS);
    at(&f, 16 * PURR_S);
    key(&f, SDLK_SPACE); /* pause */
    purr__pb_advance(&f.pb, 10 * PURR_S);
    at(&f, 16 * PURR_S);
    key(&f, SDLK_SPACE);
    key(&f, SDLK_4); /* max: the 60 s range in PURR__PB_MAX_WALL_S */
    purr__pb_advance(&f.pb, PURR_S);
    at(&f, 16 * PURR_S + REC_END / PURR__PB_MAX_WALL_S);
    purr__pb_advance(&f.pb, 100 * PURR_S); /* runs into the end: stops */
    at(&f, REC_END);
    cr_assert(!f.pb.playing);
    key(&f, SDLK_SPACE); /* at the end, play starts over */
    cr_assert(f.pb.playing);
    at(&f, 0);
    /* A step pauses. */
    key(&f, SDLK_PERIOD);
    cr_assert(!f.pb.playing);
    at(&f, 5 * PURR_S);
    teardown(&f);
}

Test(playback, drag_seeks_on_the_timelines_and_the_scrubber)
{
    fixture f;
    setup(&f);
    purr__axis a = tl_axis(&f);
    int y = f.lay.rows.y + f.lay.row_h / 2; /* over the first row */
    int x30 = purr__axis_x(&a, 30 * PURR_S),
        x45 = purr__axis_x(&a, 45 * PURR_S);
    purr_time px = REC_END / f.lay.tl_w + 1; /* a pixel's worth of time */
    mouse(&f, SDL_MOUSEBUTTONDOWN, x30, y, SDL_BUTTON_LEFT);
    cr_assert_eq(f.pb.instant_ns, purr__axis_time(&a, x30));
    cr_assert_leq(llabs(f.pb.instant_ns - 30 * PURR_S), px);
    cr_assert_eq(f.pb.selected, 0); /* the row clicked */
    expect_values(&f.vm, f.pb.instant_ns);
    mouse(&f, SDL_MOUSEMOTION, x45, y, 0);
    cr_assert_eq(f.pb.instant_ns, purr__axis_time(&a, x45));
    cr_assert_leq(llabs(f.pb.instant_ns - 45 * PURR_S), px);
    expect_values(&f.vm, f.pb.instant_ns);
    mouse(&f, SDL_MOUSEBUTTONUP, x45, y, SDL_BUTTON_LEFT);
    mouse(&f, SDL_MOUSEMOTION, x30, y, 0); /* released: no seek */
    cr_assert_eq(f.pb.instant_ns, purr__axis_time(&a, x45));
    /* Dragging past the end stops at the end, exactly. */
    mouse(&f, SDL_MOUSEBUTTONDOWN, x30, y, SDL_BUTTON_LEFT);
    mouse(&f, SDL_MOUSEMOTION, f.lay.tl_x + f.lay.tl_w + 50, y, 0);
    mouse(&f, SDL_MOUSEBUTTONUP, 0, 0, SDL_BUTTON_LEFT);
    at(&f, REC_END);
    /* The scrubber spans the range even when the timelines are zoomed. */
    purr__pb_zoom(&f.pb, 30 * PURR_S, 0.5);
    purr__axis s = {0, REC_END, f.lay.scrub_x, f.lay.scrub_w};
    int sx = purr__axis_x(&s, 10 * PURR_S);
    mouse(&f, SDL_MOUSEBUTTONDOWN, sx, f.lay.scrub_y + 4, SDL_BUTTON_LEFT);
    mouse(&f, SDL_MOUSEBUTTONUP, sx, f.lay.scrub_y + 4, SDL_BUTTON_LEFT);
    cr_assert_eq(f.pb.instant_ns, purr__axis_time(&s, sx));
    cr_assert_leq(llabs(f.pb.instant_ns - 10 * PURR_S), px);
    /* ... and the window scrolled to show the instant. */
    cr_assert_leq(f.pb.v0_ns, f.pb.instant_ns);
    cr_assert_geq(f.pb.v1_ns, f.pb.instant_ns);
    cr_assert_eq(f.pb.v1_ns - f.pb.v0_ns, 30 * PURR_S);
    teardown(&f);
}

Test(playback, wheel_zooms_around_the_pointer_and_drag_pans)
{
    fixture f;
    setup(&f);
    purr__pb_zoom(&f.pb, 30 * PURR_S, 0.5);
    cr_assert_eq(f.pb.v0_ns, 15 * PURR_S);
    cr_assert_eq(f.pb.v1_ns, 45 * PURR_S);
    key(&f, SDLK_0);
    cr_assert_eq(f.pb.v0_ns, 0);
    cr_assert_eq(f.pb.v1_ns, REC_END);

    /* One notch in: the window is 0.8 as long, and the time under the
     * pointer stays under it. */
    purr__axis a = tl_axis(&f);
    int x = f.lay.tl_x + f.lay.tl_w / 4, y = f.lay.rows.y + 5;
    purr_time under = purr__axis_time(&a, x);
    wheel(&f, x, y, 1);
    cr_assert_leq(llabs((f.pb.v1_ns - f.pb.v0_ns) - REC_END * 4 / 5), 1);
    purr__axis b = tl_axis(&f);
    cr_assert_leq(llabs(purr__axis_time(&b, x) - under),
                  (f.pb.v1_ns - f.pb.v0_ns) / f.lay.tl_w + 1);
    /* Out again, past the range: clamped to it. */
    wheel(&f, x, y, -5);
    cr_assert_eq(f.pb.v0_ns, 0);
    cr_assert_eq(f.pb.v1_ns, REC_END);
    /* The wheel outside the timelines does nothing. */
    wheel(&f, 10, 10, 3);
    cr_assert_eq(f.pb.v1_ns - f.pb.v0_ns, REC_END);

    /* Pan: drag the axis a third of the width to the right: the window
     * shows earlier times by a third of its length. */
    purr__pb_zoom(&f.pb, 30 * PURR_S, 0.5); /* [15 s, 45 s] */
    int ay = f.lay.axis.y + 4, x0 = f.lay.tl_x + 30;
    mouse(&f, SDL_MOUSEBUTTONDOWN, x0, ay, SDL_BUTTON_LEFT);
    cr_assert_eq(f.pb.instant_ns, 0); /* the axis does not seek */
    mouse(&f, SDL_MOUSEMOTION, x0 + f.lay.tl_w / 3, ay, 0);
    double per_px = (double)(30 * PURR_S) / f.lay.tl_w;
    purr_time moved = (purr_time)((f.lay.tl_w / 3) * per_px);
    cr_assert_eq(f.pb.v0_ns, 15 * PURR_S - moved);
    cr_assert_eq(f.pb.v1_ns - f.pb.v0_ns, 30 * PURR_S);
    /* Further than the start: stops there, keeping the length. */
    mouse(&f, SDL_MOUSEMOTION, x0 + f.lay.tl_w, ay, 0);
    cr_assert_eq(f.pb.v0_ns, 0);
    cr_assert_eq(f.pb.v1_ns, 30 * PURR_S);
    mouse(&f, SDL_MOUSEBUTTONUP, 0, 0, SDL_BUTTON_LEFT);
    /* The right button pans over the timelines too. */
    mouse(&f, SDL_MOUSEBUTTONDOWN, x0 + f.lay.tl_w / 2, f.lay.rows.y + 5,
          SDL_BUTTON_RIGHT);
    mouse(&f, SDL_MOUSEMOTION, x0, f.lay.rows.y + 5, 0);
    mouse(&f, SDL_MOUSEBUTTONUP, 0, 0, SDL_BUTTON_RIGHT);
    cr_assert_gt(f.pb.v0_ns, 0);
    cr_assert_eq(f.pb.instant_ns, 0);
    /* + and - zoom around the instant; the narrowest window is
     * PURR__AXIS_MIN_SPAN. */
    key(&f, SDLK_0);
    for (int i = 0; i < 200; i++)
        key(&f, SDLK_PLUS);
    cr_assert_eq(f.pb.v0_ns, 0);
    cr_assert_eq(f.pb.v1_ns, PURR__AXIS_MIN_SPAN);
    key(&f, SDLK_MINUS);
    cr_assert_gt(f.pb.v1_ns, PURR__AXIS_MIN_SPAN);
    teardown(&f);
}

Test(playback, range_keys_and_playing_within_it)
{
    fixture f;
    setup(&f);
    for (int i = 0; i < 5; i++)
        key(&f, SDLK_PERIOD);
    at(&f, 20 * PURR_S);
    key(&f, SDLK_LEFTBRACKET); /* from 20 s */
    cr_assert_eq(f.pb.from_ns, 20 * PURR_S);
    cr_assert_eq(f.pb.to_ns, REC_END);
    key(&f, SDLK_PERIOD);
    key(&f, SDLK_PERIOD);
    key(&f, SDLK_PERIOD);
    at(&f, 40 * PURR_S);
    key(&f, SDLK_RIGHTBRACKET); /* to 40 s */
    cr_assert_eq(f.pb.to_ns, 40 * PURR_S);
    cr_assert_eq(f.pb.v0_ns, 20 * PURR_S); /* the window is the range */
    cr_assert_eq(f.pb.v1_ns, 40 * PURR_S);
    key(&f, SDLK_PERIOD); /* the next transition (50 s) is outside */
    at(&f, 40 * PURR_S);
    key(&f, SDLK_HOME);
    at(&f, 20 * PURR_S);
    key(&f, SDLK_COMMA); /* 15 s is outside too */
    at(&f, 20 * PURR_S);
    key(&f, SDLK_3);
    key(&f, SDLK_SPACE);
    purr__pb_advance(&f.pb, 150 * PURR_MS); /* 100x: 15 s */
    at(&f, 35 * PURR_S);
    purr__pb_advance(&f.pb, PURR_S); /* stops at the range's end */
    at(&f, 40 * PURR_S);
    cr_assert(!f.pb.playing);
    key(&f, SDLK_RIGHTBRACKET); /* to == instant == 40 s: unchanged */
    key(&f, SDLK_HOME);
    key(&f, SDLK_RIGHTBRACKET); /* to = from: refused, with a message */
    cr_assert_eq(f.pb.to_ns, 40 * PURR_S);
    cr_assert(f.pb.message[0]);
    purr_assert_err(purr__pb_set_range(&f.pb, 30 * PURR_S, 10 * PURR_S),
                    PURR_EINVAL);
    key(&f, SDLK_BACKSPACE); /* the whole run again */
    cr_assert_eq(f.pb.from_ns, 0);
    cr_assert_eq(f.pb.to_ns, REC_END);
    cr_assert_eq(f.pb.message[0], '\0');
    key(&f, SDLK_END);
    at(&f, REC_END);
    /* Esc quits. */
    cr_assert(!f.pb.quit);
    key(&f, SDLK_ESCAPE);
    cr_assert(f.pb.quit);
    teardown(&f);
}

/* Playing in a zoomed window scrolls it along with the instant. */
Test(playback, the_window_follows_a_playing_instant)
{
    fixture f;
    setup(&f);
    purr__pb_zoom(&f.pb, 0, 1.0 / 6); /* [0, 10 s] */
    cr_assert_eq(f.pb.v1_ns, 10 * PURR_S);
    key(&f, SDLK_2);
    key(&f, SDLK_SPACE);
    purr__pb_advance(&f.pb, 2 * PURR_S);
    at(&f, 20 * PURR_S);
    cr_assert_leq(f.pb.v0_ns, 20 * PURR_S);
    cr_assert_geq(f.pb.v1_ns, 20 * PURR_S);
    cr_assert_eq(f.pb.v1_ns - f.pb.v0_ns, 10 * PURR_S);
    teardown(&f);
}

/* What a frame shows follows the model: the cursor line at the instant's
 * pixel, before and after zooming. */
Test(playback, the_cursor_line_is_drawn_at_the_instant)
{
    fixture f;
    setup(&f);
    offscreen o;
    offscreen_open(&o, 1200, 760);
    for (int z = 0; z < 2; z++) {
        key(&f, SDLK_RIGHT);
        key(&f, SDLK_RIGHT); /* two transitions on: 10 s, then 15 s */
        if (z)
            purr__pb_zoom(&f.pb, 15 * PURR_S, 0.25);
        purr__view_ui ui = {0};
        purr__pb_ui(&f.pb, &ui);
        purr__render_frame(o.ren, &o.fonts, &f.vm, &ui, o.w, o.h);
        offscreen_read(&o);
        purr__axis a = tl_axis(&f);
        int cx = purr__axis_x(&a, f.pb.instant_ns);
        int y = f.lay.rows.y + f.lay.row_h / 2;
        cr_assert_eq(offscreen_at(&o, cx, y), PURR__COLOR_CURSOR,
                     "zoom %d: %06x at x %d", z, offscreen_at(&o, cx, y), cx);
        cr_assert_neq(offscreen_at(&o, cx + 3, y), PURR__COLOR_CURSOR);
    }
    offscreen_close(&o);
    teardown(&f);
}

/* --from, --to, --at and --play on the command line. */
Test(playback, range_options)
{
    db_name();
    unlink(DB);
    rec_make(DB, NULL, NULL);
    const char *good[] = {DB,    "--from",       "10s",         "--to",
                          "40s", "--at",         "20s",         "--play",
                          "max", "--screenshot", "playback.png"};
    unlink("playback.png");
    cr_assert_eq(purr_view_cli_view(11, (char **)good), 0);
    cr_assert_eq(access("playback.png", F_OK), 0);
    const char *backwards[] = {DB, "--from", "40s", "--to", "10s"};
    cr_assert_eq(purr_view_cli_view(5, (char **)backwards), 2);
    const char *beyond[] = {DB, "--to", "2h", "--screenshot", "x.png"};
    cr_assert_eq(purr_view_cli_view(5, (char **)beyond), 2);
    const char *rate[] = {DB, "--play", "fast"};
    cr_assert_eq(purr_view_cli_view(3, (char **)rate), 2);
    const char *unit[] = {DB, "--from", "10"};
    cr_assert_eq(purr_view_cli_view(3, (char **)unit), 2);
    cr_assert_neq(access("x.png", F_OK), 0);
    unlink("playback.png");
    unlink(DB);
}
