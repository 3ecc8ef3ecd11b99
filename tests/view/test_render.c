/* test_render.c - the window's frame, drawn offscreen: the robot where
 * the layout puts it, in its mood's colour, and one row per value. */
#include "view_test.h"

static purr_datum
str(const char *s)
{
    return purr_datum_string(s);
}

/* A pet-like model: three inputs, three outputs, and the pet's panel
 * (scenes/pet.yaml's `view:`, as the recordings store it). */
static void
pet_model(purr__view_model *vm)
{
    purr__vm_init(vm);
    purr_diag diag = {0};
    purr_assert_ok(purr_view_panel_parse(
        "body\tpet\tpet\nmood\tmood\ntouch\ttouched\nsay\tsound\n"
        "gauge\tbattery\t0\t100\nlamp\tdocked\n",
        NULL, &vm->panel, &diag));
    purr_datum bat = purr_datum_double(60), no = purr_datum_bool(false);
    purr_datum light = purr_datum_double(500), mood = str("curious");
    purr_datum quiet = str("");
    purr__vm_add(vm, 1, "battery", PURR_ROLE_INPUT, PURR_T_DOUBLE, 0, &bat);
    purr__vm_add(vm, 2, "touched", PURR_ROLE_INPUT, PURR_T_BOOL, 0, &no);
    purr__vm_add(vm, 3, "light", PURR_ROLE_INPUT, PURR_T_DOUBLE, 0, &light);
    purr__vm_add(vm, 4, "docked", PURR_ROLE_OUTPUT, PURR_T_BOOL, 0, &no);
    purr__vm_add(vm, 5, "mood", PURR_ROLE_OUTPUT, PURR_T_STRING, 0, &mood);
    purr__vm_add(vm, 6, "sound", PURR_ROLE_OUTPUT, PURR_T_STRING, 0, &quiet);
    for (int k = 1; k <= 30; k++) {
        purr_datum d = purr_datum_double(60 - k);
        purr__vm_set(vm, &vm->rows[0], k * PURR_S, &d);
    }
    purr_datum_free(&mood);
    purr_datum_free(&quiet);
}

static purr__view_ui
ui_at(purr_time t)
{
    purr__view_ui ui = {0};
    ui.title = "test";
    ui.from_ns = 0;
    ui.to_ns = 60 * PURR_S;
    ui.cursor_ns = t;
    ui.speed = 1;
    ui.selected = -1;
    return ui;
}

static uint32_t
robot_centre(offscreen *o, const purr__view_model *vm, purr_time t)
{
    purr__view_ui ui = ui_at(t);
    purr__render_frame(o->ren, &o->fonts, vm, &ui, o->w, o->h);
    offscreen_read(o);
    purr__layout lay;
    purr__layout_compute(&lay, o->w, o->h, vm->row_count, false);
    return offscreen_at(o, lay.robot_cx, lay.robot_cy);
}

Test(render, robot_body_at_its_centre_in_mood_colour)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    pet_model(&vm);
    cr_assert_eq(robot_centre(&o, &vm, 10 * PURR_S), PURR__COLOR_MOOD_CURIOUS,
                 "centre is %06x", robot_centre(&o, &vm, 10 * PURR_S));
    purr__vm_close(&vm);
    offscreen_close(&o);
}

Test(render, mood_changes_the_body_colour)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    pet_model(&vm);
    purr_datum happy = str("happy"), sleepy = str("sleepy");
    purr__vm_set(&vm, purr__vm_find(&vm, "mood"), 20 * PURR_S, &happy);
    purr__vm_set(&vm, purr__vm_find(&vm, "mood"), 40 * PURR_S, &sleepy);
    /* The frame shows the state at the cursor, so one model gives all
     * three moods. */
    cr_assert_eq(robot_centre(&o, &vm, 10 * PURR_S), PURR__COLOR_MOOD_CURIOUS);
    cr_assert_eq(robot_centre(&o, &vm, 20 * PURR_S), PURR__COLOR_MOOD_HAPPY);
    cr_assert_eq(robot_centre(&o, &vm, 50 * PURR_S), PURR__COLOR_MOOD_SLEEPY);
    purr_datum_free(&happy);
    purr_datum_free(&sleepy);
    purr__vm_close(&vm);
    offscreen_close(&o);
}

/* Counts the runs of marker-coloured pixels down the marker column. */
static int
count_rows(offscreen *o, const purr__view_model *vm)
{
    purr__layout lay;
    purr__layout_compute(&lay, o->w, o->h, vm->row_count, false);
    int x = lay.marker_x + lay.marker_w / 2, runs = 0;
    bool in = false;
    for (int y = 0; y < o->h; y++) {
        bool m = offscreen_at(o, x, y) == PURR__COLOR_MARKER;
        if (m && !in)
            runs++;
        in = m;
    }
    return runs;
}

Test(render, one_row_per_value)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    pet_model(&vm);
    purr__view_ui ui = ui_at(30 * PURR_S);
    purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
    offscreen_read(&o);
    cr_assert_eq(count_rows(&o, &vm), 6);

    purr_datum one = purr_datum_int(1);
    purr__vm_add(&vm, 7, "extra", PURR_ROLE_INTERNAL, PURR_T_INT, 0, &one);
    purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
    offscreen_read(&o);
    cr_assert_eq(count_rows(&o, &vm), 7);
    purr__vm_close(&vm);
    offscreen_close(&o);
}

Test(render, battery_timeline_is_drawn)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    pet_model(&vm);
    purr__view_ui ui = ui_at(30 * PURR_S);
    purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
    offscreen_read(&o);
    purr__layout lay;
    purr__layout_compute(&lay, o.w, o.h, vm.row_count, false);
    /* Battery is the first row: its timeline holds pixels of the input
     * colour (the line), in the right half of the row. */
    int x0 = lay.marker_x + lay.marker_w + 8 + lay.name_w + lay.value_w;
    int hits = 0;
    for (int y = lay.rows.y; y < lay.rows.y + lay.row_h; y++)
        for (int x = x0; x < lay.rows.x + lay.rows.w - 10; x++)
            hits += offscreen_at(&o, x, y) == 0x61afefu;
    cr_assert_gt(hits, 50);
    purr__vm_close(&vm);
    offscreen_close(&o);
}

Test(render, history_is_capped)
{
    purr__view_model vm;
    purr__vm_init(&vm);
    purr_datum z = purr_datum_int(0);
    purr__vm_row *row =
        purr__vm_add(&vm, 1, "n", PURR_ROLE_INPUT, PURR_T_INT, 0, &z);
    for (int64_t k = 1; k <= PURR__VM_MAX_POINTS + 10; k++) {
        purr_datum d = purr_datum_int(k);
        purr__vm_set(&vm, row, k, &d);
    }
    cr_assert_leq(row->count, PURR__VM_MAX_POINTS);
    cr_assert_eq(purr__vm_current(row)->u.i, PURR__VM_MAX_POINTS + 10);
    cr_assert_eq(purr__vm_at(row, 0)->u.i, 0); /* the first point stays */
    purr__vm_close(&vm);
}
