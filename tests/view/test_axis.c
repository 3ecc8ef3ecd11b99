/* test_axis.c - the time axis (view/axis.c): round ticks at least 90
 * pixels apart with readable labels, pixel <-> time mapping, zoom and pan
 * arithmetic, and the ticks drawn over the window's timelines where the
 * mapping puts them, before and after zooming. */
#include "view_test.h"

static void
expect_ticks(purr_time from, purr_time to, int w, purr_time step,
             const purr_time *want, int n)
{
    purr__axis a = {from, to, 0, w};
    purr__ticks t;
    purr__axis_ticks(&a, 90, &t);
    cr_assert_eq(t.step_ns, step, "[%lld, %lld] over %d px: step %lld",
                 (long long)from, (long long)to, w, (long long)t.step_ns);
    cr_assert_eq(t.count, n, "%d ticks, want %d", t.count, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(t.t[i], want[i], "tick %d", i);
}

Test(axis, ticks_are_round_and_far_enough_apart)
{
    /* Two hours over 500 px: 15 min would be 62.5 px apart, 30 min are
     * 125 px apart. */
    purr_time h[] = {0, 1800 * PURR_S, 3600 * PURR_S, 5400 * PURR_S,
                     7200 * PURR_S};
    expect_ticks(0, 7200 * PURR_S, 500, 1800 * PURR_S, h, 5);
    /* Ten seconds over 500 px: 1 s is 50 px, 2 s is 100 px. */
    purr_time s[] = {0,          2 * PURR_S, 4 * PURR_S,
                     6 * PURR_S, 8 * PURR_S, 10 * PURR_S};
    expect_ticks(0, 10 * PURR_S, 500, 2 * PURR_S, s, 6);
    /* Half a second starting off a tick: 100 ms is 100 px; the first tick
     * is the first multiple at or after the start. */
    purr_time ms[] = {1300 * PURR_MS, 1400 * PURR_MS, 1500 * PURR_MS,
                      1600 * PURR_MS, 1700 * PURR_MS};
    expect_ticks(1250 * PURR_MS, 1750 * PURR_MS, 500, 100 * PURR_MS, ms, 5);
    /* 61 s over 300 px: 15 s is 74 px, 30 s is 148 px. */
    purr_time m[] = {0, 30 * PURR_S, 60 * PURR_S};
    expect_ticks(0, 61 * PURR_S, 300, 30 * PURR_S, m, 3);
    /* An empty span has none. */
    expect_ticks(5, 5, 500, 0, NULL, 0);
}

static void
expect_label(purr_time t, purr_time step, purr_time to, const char *want)
{
    char buf[40];
    purr__axis_label(t, step, to, buf, sizeof buf);
    cr_assert_str_eq(buf, want);
}

Test(axis, labels_say_the_time_in_the_fewest_digits)
{
    expect_label(90 * 60 * PURR_S, 1800 * PURR_S, 7200 * PURR_S, "1:30:00");
    expect_label(90 * PURR_S, 30 * PURR_S, 300 * PURR_S, "1:30");
    expect_label(8 * PURR_S, 2 * PURR_S, 10 * PURR_S, "8s");
    expect_label(1300 * PURR_MS, 100 * PURR_MS, 1750 * PURR_MS, "1.3s");
    expect_label(1250 * PURR_MS, 50 * PURR_MS, 1750 * PURR_MS, "1.25s");
    expect_label(2 * PURR_MS, PURR_MS, 10 * PURR_MS, "0.002s");
    expect_label(65 * PURR_S + 500 * PURR_MS, 500 * PURR_MS, 70 * PURR_S,
                 "1:05.5");
    expect_label(3 * PURR_US, PURR_US, 10 * PURR_US, "0.000003s");
}

Test(axis, pixels_and_times_map_both_ways)
{
    purr__axis a = {10 * PURR_S, 20 * PURR_S, 100, 1000};
    cr_assert_eq(purr__axis_x(&a, 10 * PURR_S), 100);
    cr_assert_eq(purr__axis_x(&a, 15 * PURR_S), 600);
    cr_assert_eq(purr__axis_x(&a, 20 * PURR_S), 1100);
    cr_assert_eq(purr__axis_x(&a, 0), 100);            /* clamped */
    cr_assert_eq(purr__axis_x(&a, 99 * PURR_S), 1100); /* clamped */
    cr_assert_eq(purr__axis_time(&a, 600), 15 * PURR_S);
    cr_assert_eq(purr__axis_time(&a, 101), 10 * PURR_S + 10 * PURR_MS);
    cr_assert_eq(purr__axis_time(&a, 0), 10 * PURR_S);
    cr_assert_eq(purr__axis_time(&a, 5000), 20 * PURR_S);
}

Test(axis, zoom_keeps_the_point_and_stays_in_bounds)
{
    purr_time v0 = 0, v1 = 100 * PURR_S;
    purr__axis_zoom(&v0, &v1, 25 * PURR_S, 0.5, 0, 100 * PURR_S);
    cr_assert_eq(v0, 12500 * PURR_MS); /* 25 - 25/2 */
    cr_assert_eq(v1, 62500 * PURR_MS); /* 25 + 75/2 */
    purr__axis_zoom(&v0, &v1, 50 * PURR_S, 4, 0, 100 * PURR_S);
    cr_assert_eq(v0, 0);
    cr_assert_eq(v1, 100 * PURR_S);
    /* Zooming out near an end keeps the length, shifted inside. */
    v0 = 80 * PURR_S;
    v1 = 100 * PURR_S;
    purr__axis_zoom(&v0, &v1, 95 * PURR_S, 2, 0, 100 * PURR_S);
    cr_assert_eq(v1, 100 * PURR_S);
    cr_assert_eq(v1 - v0, 40 * PURR_S);
    /* Never narrower than the minimum. */
    v0 = 0;
    v1 = 100 * PURR_S;
    for (int i = 0; i < 100; i++)
        purr__axis_zoom(&v0, &v1, 50 * PURR_S, 0.1, 0, 100 * PURR_S);
    cr_assert_eq(v1 - v0, PURR__AXIS_MIN_SPAN);
    cr_assert_eq(v0, 50 * PURR_S - PURR__AXIS_MIN_SPAN / 2);
    /* Pan: clamped at both ends, the length kept. */
    v0 = 10 * PURR_S;
    v1 = 30 * PURR_S;
    purr__axis_pan(&v0, &v1, 5 * PURR_S, 0, 100 * PURR_S);
    cr_assert_eq(v0, 15 * PURR_S);
    purr__axis_pan(&v0, &v1, -50 * PURR_S, 0, 100 * PURR_S);
    cr_assert_eq(v0, 0);
    cr_assert_eq(v1, 20 * PURR_S);
    purr__axis_pan(&v0, &v1, 500 * PURR_S, 0, 100 * PURR_S);
    cr_assert_eq(v0, 80 * PURR_S);
    cr_assert_eq(v1, 100 * PURR_S);
}

/* A model with one int row. */
static void
one_row(purr__view_model *vm)
{
    purr__vm_init(vm);
    purr_datum z = purr_datum_int(0);
    purr__vm_add(vm, 1, "n", PURR_ROLE_INPUT, PURR_T_INT, 0, &z);
    vm->end_ns = 60 * PURR_S;
}

/* The x of every axis-coloured tick mark on the axis strip's tick row. */
static int
tick_marks(offscreen *o, const purr__layout *lay, int *xs, int cap)
{
    int y = lay->axis.y + 2 + 2, n = 0;
    for (int x = lay->tl_x - 2; x <= lay->tl_x + lay->tl_w + 2; x++)
        if (offscreen_at(o, x, y) == PURR__COLOR_AXIS && n < cap)
            xs[n++] = x;
    return n;
}

Test(axis, ticks_are_drawn_over_the_timelines_and_follow_the_zoom)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    one_row(&vm);
    purr__layout lay;
    purr__layout_compute(&lay, o.w, o.h, 1, true);
    /* 60 s over the timelines' width: 15 s ticks when 10 s would be
     * closer than 90 px and 15 s is not. */
    cr_assert(lay.tl_w >= 360 && lay.tl_w < 540, "tl_w %d", lay.tl_w);
    purr_time windows[2][2] = {{0, 60 * PURR_S}, {20 * PURR_S, 40 * PURR_S}};
    /* Zoomed to [20 s, 40 s] the ticks are 5 s apart (2.5 s: 2 is too
     * close... 5 s is at least 90 px over that width). */
    purr_time steps[2] = {15 * PURR_S, 5 * PURR_S};
    for (int k = 0; k < 2; k++) {
        purr__view_ui ui = {0};
        ui.title = "axis";
        ui.from_ns = windows[k][0];
        ui.to_ns = windows[k][1];
        ui.cursor_ns = -1; /* no cursor line */
        ui.scrubber = true;
        ui.selected = -1;
        purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
        offscreen_read(&o);
        int xs[64];
        int n = tick_marks(&o, &lay, xs, 64);
        purr__axis a = {ui.from_ns, ui.to_ns, lay.tl_x, lay.tl_w};
        int want = 0;
        for (purr_time t = ui.from_ns; t <= ui.to_ns; t += steps[k]) {
            int x = purr__axis_x(&a, t);
            bool found = false;
            for (int i = 0; i < n; i++)
                found = found || xs[i] == x;
            cr_assert(found, "window %d: no tick mark at %lld ns (x %d)", k,
                      (long long)t, x);
            want++;
        }
        cr_assert_eq(n, want, "window %d: %d tick marks, want %d", k, n, want);
    }
    purr__vm_close(&vm);
    offscreen_close(&o);
}
