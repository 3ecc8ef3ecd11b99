/* test_panel.c - the robot panel a scene declares, drawn offscreen: a
 * lamp lit when its bool is true and dark when false, a gauge filled up
 * to its value, the neutral robot's indicator per output, highlighted
 * rows first, and the declaration's text form refused line by line. */
#include "view_test.h"

/* A light-following robot: light (0..100) and bumper inputs, a motor. */
static void
bot_model(purr__view_model *vm, const char *panel_text, bool bumper,
          double light)
{
    purr__vm_init(vm);
    purr_diag diag = {0};
    purr_assert_ok(purr_view_panel_parse(panel_text, "light\t%\n", &vm->panel,
                                         &diag));
    purr_datum l = purr_datum_double(light), b = purr_datum_bool(bumper);
    purr_datum m = purr_datum_string("search");
    purr__vm_add(vm, 1, "light", PURR_ROLE_INPUT, PURR_T_DOUBLE, 0, &l);
    purr__vm_add(vm, 2, "bumper", PURR_ROLE_INPUT, PURR_T_BOOL, 0, &b);
    purr__vm_add(vm, 3, "motor", PURR_ROLE_OUTPUT, PURR_T_STRING, 0, &m);
    purr_datum_free(&m);
}

static const char bot_panel[] = "body\tbox\tlightbot\n"
                                "lamp\tbumper\n"
                                "gauge\tlight\t0\t100\n"
                                "text\tmotor\n";

/* Draws vm's frame and returns the panel's cells (n of them). */
static void
draw(offscreen *o, const purr__view_model *vm, purr__layout *lay,
     purr__panel_cell *cells, size_t n)
{
    purr__view_ui ui = {0};
    ui.title = "test";
    ui.to_ns = 60 * PURR_S;
    ui.selected = -1;
    purr__render_frame(o->ren, &o->fonts, vm, &ui, o->w, o->h);
    offscreen_read(o);
    purr__layout_compute(lay, o->w, o->h, vm->row_count, false);
    cr_assert_eq(purr__panel_cells(lay, n, cells), n);
}

static uint32_t
lamp_centre(offscreen *o, const purr__panel_cell *c)
{
    return offscreen_at(o, c->widget.x + c->widget.h / 2,
                        c->widget.y + c->widget.h / 2);
}

Test(panel, lamp_lit_when_its_bool_is_true)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    purr__layout lay;
    purr__panel_cell cells[3];
    bot_model(&vm, bot_panel, true, 30);
    draw(&o, &vm, &lay, cells, 3);
    cr_assert_eq(lamp_centre(&o, &cells[0]), PURR__COLOR_LAMP_ON, "%06x",
                 lamp_centre(&o, &cells[0]));
    purr__vm_close(&vm);
    bot_model(&vm, bot_panel, false, 30);
    draw(&o, &vm, &lay, cells, 3);
    cr_assert_eq(lamp_centre(&o, &cells[0]), PURR__COLOR_LAMP_OFF, "%06x",
                 lamp_centre(&o, &cells[0]));
    purr__vm_close(&vm);
    offscreen_close(&o);
}

/* The fill's right end: the last gauge-coloured pixel along the bar's
 * middle, as a fraction of the bar. */
static double
gauge_level(offscreen *o, const purr__panel_cell *c)
{
    const SDL_Rect *w = &c->widget;
    int y = w->y + w->h / 2, last = -1;
    for (int x = w->x; x < w->x + w->w; x++)
        if (offscreen_at(o, x, y) == PURR__COLOR_GAUGE)
            last = x - w->x + 1;
    return last < 0 ? 0 : (double)last / w->w;
}

Test(panel, gauge_filled_to_its_value)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    purr__layout lay;
    purr__panel_cell cells[3];
    static const double values[] = {30, 80};
    for (int i = 0; i < 2; i++) {
        bot_model(&vm, bot_panel, false, values[i]);
        draw(&o, &vm, &lay, cells, 3);
        /* The needle (2 px) covers the fill's last pixel or so. */
        double k = gauge_level(&o, &cells[1]);
        cr_assert(fabs(k - values[i] / 100) < 0.04, "light %g: fill to %.3f",
                  values[i], k);
        /* Past the value, the track. */
        const SDL_Rect *w = &cells[1].widget;
        int x = w->x + (int)(w->w * (values[i] / 100 + 0.1));
        cr_assert_eq(offscreen_at(&o, x, w->y + w->h / 2),
                     PURR__COLOR_GAUGE_BG);
        purr__vm_close(&vm);
    }
    offscreen_close(&o);
}

Test(panel, neutral_robot_has_an_indicator_per_output)
{
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_model vm;
    bot_model(&vm, NULL, true, 30); /* no declaration */
    purr_datum on = purr_datum_bool(true), speed = purr_datum_double(5);
    purr__vm_add(&vm, 4, "moving", PURR_ROLE_OUTPUT, PURR_T_BOOL, 0, &on);
    purr__vm_add(&vm, 5, "speed", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, 0, &speed);
    purr_view_indicator inds[8];
    cr_assert_eq(purr__panel_indicators(&vm, inds, 8), 3);
    cr_assert_str_eq(inds[0].value, "motor");
    cr_assert_eq(inds[0].kind, PURR_VIEW_TEXT);
    cr_assert_eq(inds[1].kind, PURR_VIEW_LAMP);
    cr_assert_eq(inds[2].kind, PURR_VIEW_GAUGE);
    purr__layout lay;
    purr__panel_cell cells[3];
    draw(&o, &vm, &lay, cells, 3);
    /* The output lamp is lit; the body is the neutral colour. */
    cr_assert_eq(lamp_centre(&o, &cells[1]), PURR__COLOR_LAMP_ON);
    cr_assert_eq(offscreen_at(&o, lay.robot_cx, lay.robot_cy + lay.robot_r / 2),
                 PURR__COLOR_BODY);
    /* A neutral panel binds no input: a click on it sets nothing. */
    purr__panel_click click;
    cr_assert(!purr__panel_hit(&vm, &lay, cells[1].widget.x + 2,
                               cells[1].widget.y + 2, &click));
    purr__vm_close(&vm);
    offscreen_close(&o);
}

Test(panel, highlighted_rows_come_first)
{
    purr__view_model vm;
    bot_model(&vm, "body\tround\t\nhighlight\tmotor\nhighlight\tbumper\n",
              false, 0);
    cr_assert_str_eq(vm.rows[0].name, "motor");
    cr_assert_str_eq(vm.rows[1].name, "bumper");
    cr_assert_str_eq(vm.rows[2].name, "light");
    /* Drawn: the highlighted rows' markers in the highlight colour, the
     * other row's in the ordinary one. */
    offscreen o;
    offscreen_open(&o, 1200, 760);
    purr__view_ui ui = {0};
    ui.title = "test";
    ui.to_ns = 60 * PURR_S;
    ui.selected = -1;
    purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
    offscreen_read(&o);
    purr__layout lay;
    purr__layout_compute(&lay, o.w, o.h, vm.row_count, false);
    for (int i = 0; i < 3; i++) {
        int y = lay.rows.y + i * lay.row_h + lay.row_h / 2;
        uint32_t want = i < 2 ? PURR__COLOR_HIGHLIGHT : PURR__COLOR_MARKER;
        cr_assert_eq(offscreen_at(&o, lay.marker_x + lay.marker_w / 2, y), want,
                     "row %d: marker %06x", i,
                     offscreen_at(&o, lay.marker_x + lay.marker_w / 2, y));
    }
    offscreen_close(&o);
    purr__vm_close(&vm);
}

Test(panel, text_form_round_trip_and_errors)
{
    purr_view_panel p;
    purr_diag diag = {0};
    purr_assert_ok(purr_view_panel_parse(
        "body\tpet\tmy pet\narrow\tvx\tvy\ngauge\tb\t-5\t5.5\n",
        "b\tm/s\n", &p, &diag));
    cr_assert(p.declared);
    cr_assert_eq(p.shape, PURR_VIEW_PET);
    cr_assert_str_eq(p.label, "my pet");
    cr_assert_eq(p.indicator_count, 2);
    cr_assert_str_eq(p.indicators[0].value_y, "vy");
    cr_assert(p.indicators[1].min == -5 && p.indicators[1].max == 5.5);
    cr_assert_str_eq(purr__panel_unit(&p, "b"), "m/s");
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"body\tblob\tx\n", "view_panel, line 1: unknown body shape "
                            "(expected round, box or pet)"},
        {"lamp\tx\ngauge\ty\t5\t1\n",
         "view_panel, line 2: 'gauge' needs a value name, then min < max"},
        {"dial\tx\n", "view_panel, line 1: unknown part (expected body, mood, "
                      "touch, say, lamp, gauge, text, arrow or highlight)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        purr_assert_err(purr_view_panel_parse(bad[i].text, NULL, &p, &diag),
                        PURR_EFORMAT);
        cr_assert_str_eq(diag.message, bad[i].msg);
        cr_assert(!p.declared);
    }
}
