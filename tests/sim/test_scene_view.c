/* test_scene_view.c - the scene keys of the robot panel: `view:` (body,
 * indicators, highlight) and a sensor's `unit:`; each malformed form is
 * refused at its line:col when loading, and each name that is not a value
 * of the right type when the sim is set up (behaviours' outputs exist only
 * then). */
#include "sim_test.h"

/* A pet scene: inputs battery (double, %), touched (bool); the pet
 * behaviour's outputs docked (bool), mood and sound (strings). */
#define PET                                                                    \
    "name: x\n"                                                                \
    "duration: 1h\n"                                                           \
    "sensors:\n"                                                               \
    "  - {name: battery, type: double, model: battery, docked: docked,\n"     \
    "     drain: 1, charge: 1, unit: \"%\"}\n"                                 \
    "  - {name: touched, type: bool, model: poisson, rate: 1, pulse: 1s}\n"   \
    "behaviours:\n"                                                            \
    "  - name: pet\n"

Test(scene_view, parses)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load(
        PET "view:\n"
            "  body: {shape: pet, label: my pet, mood: mood, touch: touched,\n"
            "         say: sound}\n"
            "  indicators:\n"
            "    - {gauge: battery, min: 0, max: 100}\n"
            "    - {lamp: docked}\n"
            "    - {text: mood}\n"
            "    - {arrow: battery}\n"
            "    - {arrow: [battery, battery]}\n"
            "  highlight: [mood, battery]\n",
        &sc, &d));
    cr_assert_str_eq(sc->sensors[0].unit, "%");
    cr_assert_null(sc->sensors[1].unit);
    const purr_scene_view *v = sc->view;
    cr_assert_not_null(v);
    cr_assert_str_eq(v->shape, "pet");
    cr_assert_str_eq(v->label, "my pet");
    cr_assert_str_eq(v->touch.name, "touched");
    cr_assert(v->touch.pos.line == 10 && v->touch.pos.column == 56,
              "touch at %ld:%ld", v->touch.pos.line, v->touch.pos.column);
    cr_assert_eq(v->indicator_count, 5);
    cr_assert_eq(v->indicators[0].kind, PURR_SCENE_GAUGE);
    cr_assert(v->indicators[0].min == 0 && v->indicators[0].max == 100);
    cr_assert_eq(v->indicators[1].kind, PURR_SCENE_LAMP);
    cr_assert_eq(v->indicators[2].kind, PURR_SCENE_TEXT);
    cr_assert_null(v->indicators[3].value_y.name);
    cr_assert_str_eq(v->indicators[4].value_y.name, "battery");
    cr_assert_eq(v->highlight_count, 2);
    cr_assert_str_eq(v->highlight[1].name, "battery");
    /* Every name is a value of the right type: setup accepts it. */
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_assert_ok(purr_sim_setup(sim, &d));
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(scene_view, defaults_and_absence)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load(PET, &sc, &d));
    cr_assert_null(sc->view);
    purr_scene_free(sc);
    purr_assert_ok(sim_test_load(PET "view: {}\n", &sc, &d));
    cr_assert_str_eq(sc->view->shape, "round");
    cr_assert_null(sc->view->label);
    cr_assert_eq(sc->view->indicator_count, 0);
    purr_scene_free(sc);
}

Test(scene_view, malformed_refused_at_line_col)
{
    static const struct {
        const char *tail;
        int line, col;
        const char *msg;
    } bad[] = {
        {"view: {bodyy: {}}\n", 9, 8,
         "unknown key 'bodyy' in view (expected one of: body, indicators, "
         "highlight)"},
        {"view:\n  body: {shape: blob}\n", 10, 17,
         "unknown body shape 'blob' (expected one of: round, box, pet)"},
        {"view:\n  body: {colour: red}\n", 10, 10,
         "unknown key 'colour' in the view's body (expected one of: shape, "
         "label, mood, touch, say)"},
        {"view:\n  indicators:\n    - {dial: x}\n", 11, 8,
         "unknown key 'dial' in an indicator (expected one of: lamp, gauge, "
         "text, arrow, min, max)"},
        {"view:\n  indicators:\n    - {gauge: battery}\n", 11, 7,
         "gauge 'battery' needs its range: 'min' and 'max'"},
        {"view:\n  indicators:\n    - {gauge: battery, min: 5, max: 5}\n", 11,
         37, "gauge 'battery': 'max' must be above 'min'"},
        {"view:\n  indicators:\n    - {lamp: docked, max: 1}\n", 11, 27,
         "'max' is for a gauge, not a lamp"},
        {"view:\n  indicators:\n    - {lamp: docked, text: mood}\n", 11, 28,
         "an indicator is one of lamp, gauge, text, arrow, not both 'lamp' "
         "and 'text'"},
        {"view:\n  indicators:\n    - {arrow: [a, b, c]}\n", 11, 15,
         "an arrow's vector is two values [x, y]"},
        {"view:\n  indicators:\n    - {}\n", 11, 7,
         "an indicator needs one of: lamp, gauge, text, arrow (the value it "
         "shows)"},
        {"view:\n  indicators: {lamp: docked}\n", 10, 15,
         "expected a list for 'indicators', got a mapping"},
        {"view:\n  highlight: [\"\"]\n", 10, 15,
         "'highlight' must not be empty"},
        {"view:\n  body: {label: "
         "0123456789012345678901234567890123456789012345678901234567890123}\n",
         10, 17, "'label' is longer than 63 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", PET, bad[i].tail);
        sim_assert_error(text, bad[i].line, bad[i].col, bad[i].msg);
    }
}

Test(scene_view, bad_unit_refused)
{
    sim_assert_error(
        "name: x\nduration: 1h\nsensors:\n"
        "  - {name: l, type: double, model: constant, value: 1, unit: \"\"}\n",
        4, 62, "'unit' must not be empty");
    sim_assert_error("name: x\nduration: 1h\nsensors:\n"
                     "  - {name: l, type: double, model: constant, value: 1,\n"
                     "     unit: kilolux-per-hour}\n",
                     5, 12, "'unit' is longer than 15 bytes");
}

/* Errors found at setup, at the name's position. */
static void
assert_setup_error(const char *tail, long line, long column, const char *msg)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", PET, tail);
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load(text, &sc, &d));
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_assert_err(purr_sim_setup(sim, &d), PURR_EFORMAT);
    cr_assert_str_eq(d.message, msg);
    cr_assert(d.line == line && d.column == column, "got %ld:%ld", d.line,
              d.column);
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(scene_view, names_checked_at_setup)
{
    assert_setup_error("view:\n  indicators:\n    - {lamp: bumper}\n", 11, 14,
                       "the view's lamp shows 'bumper', but no sensor or "
                       "behaviour creates a value of that name");
    assert_setup_error("view:\n  indicators:\n    - {lamp: mood}\n", 11, 14,
                       "the view's lamp shows 'mood', which is not a bool");
    assert_setup_error("view:\n  indicators:\n"
                       "    - {gauge: sound, min: 0, max: 1}\n",
                       11, 15,
                       "the view's gauge shows 'sound', which is not a "
                       "number (int or double)");
    assert_setup_error("view:\n  body: {mood: docked}\n", 10, 16,
                       "the view's mood shows 'docked', which is not a "
                       "string");
    assert_setup_error("view:\n  body: {touch: docked}\n", 10, 17,
                       "the view's touch shows 'docked', which is not a "
                       "bool input");
    assert_setup_error("view:\n  highlight: [battery, nothing]\n", 10, 24,
                       "the view's highlight shows 'nothing', but no sensor "
                       "or behaviour creates a value of that name");
}
