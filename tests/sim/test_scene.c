/* test_scene.c - the scene loader: every model parsed, every error placed
 * at its exact line:column with its exact message, and durations. */
#include "sim_test.h"

#include <sys/stat.h>

/* ---- durations --------------------------------------------------------- */

Test(scene, durations_with_units)
{
    purr_time t;
    purr_assert_ok(purr_sim_duration_parse("24h", &t));
    cr_assert_eq(t, 24 * 3600 * PURR_S);
    purr_assert_ok(purr_sim_duration_parse("90s", &t));
    cr_assert_eq(t, 90 * PURR_S);
    purr_assert_ok(purr_sim_duration_parse("500ms", &t));
    cr_assert_eq(t, 500 * PURR_MS);
    purr_assert_ok(purr_sim_duration_parse("1.5min", &t));
    cr_assert_eq(t, 90 * PURR_S);
    purr_assert_ok(purr_sim_duration_parse("2d", &t));
    cr_assert_eq(t, 2 * 86400 * PURR_S);
    purr_assert_ok(purr_sim_duration_parse("7us", &t));
    cr_assert_eq(t, 7 * PURR_US);
    purr_assert_ok(purr_sim_duration_parse("0.001s", &t));
    cr_assert_eq(t, PURR_MS);
    purr_assert_ok(purr_sim_duration_parse("3ns", &t));
    cr_assert_eq(t, 3);
}

Test(scene, durations_refused)
{
    purr_time t = 0;
    const char *bad[] = {"",    "10",  "h",    "-1s", "1.s",
                         ".5s", "1 s", "1sec", "1m",  "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        purr_assert_err(purr_sim_duration_parse(bad[i], &t), PURR_EFORMAT);
    purr_assert_err(purr_sim_duration_parse("300000d", &t), PURR_ERANGE);
    purr_assert_err(purr_sim_duration_parse("99999999999999999999999h", &t),
                    PURR_ERANGE);
}

/* ---- every model ------------------------------------------------------- */

static const char every_model[] =
    "name: all\n"
    "seed: 123\n"
    "duration: 90s\n"
    "sensors:\n"
    "  - name: k\n"
    "    type: string\n"
    "    model: constant\n"
    "    value: hello\n"
    "  - name: t\n"
    "    type: int\n"
    "    model: timeline\n"
    "    initial: 5\n"
    "    points: [[1s, 1], [2.5s, 2], [1min, 3]]\n"
    "  - name: w\n"
    "    type: double\n"
    "    model: random_walk\n"
    "    start: 10\n"
    "    step: 0.5\n"
    "    min: 0\n"
    "    max: 20\n"
    "    period: 100ms\n"
    "    noise: 0.1\n"
    "  - name: p\n"
    "    type: bool\n"
    "    model: poisson\n"
    "    rate: 12.5\n"
    "    pulse: 3s\n"
    "  - name: q\n"
    "    type: double\n"
    "    model: periodic\n"
    "    shape: square\n"
    "    period: 10s\n"
    "    min: -1\n"
    "    max: 1\n"
    "    sample: 1s\n"
    "    phase: 2s\n"
    "  - name: b\n"
    "    type: double\n"
    "    model: battery\n"
    "    start: 80\n"
    "    drain: 10\n"
    "    charge: 30\n"
    "    docked: docked\n"
    "    sample: 30s\n"
    "behaviours:\n"
    "  - talk\n"
    "  - name: pet\n"
    "    params: {low: 15, purr_for: 1s}\n"
    "expect:\n"
    "  - always: \"b >= 0\"\n"
    "  - never: \"mood == 'angry'\"\n"
    "  - eventually: {after: \"b < 20\", then: docked, within: 10min}\n"
    "  - count: {value: sound, transitions: {min: 1, max: 99}}\n"
    "  - always: {all: [{value: b, op: \">=\", than: 0}, \"not docked\"]}\n";

Test(scene, every_model_parses)
{
    purr_scene *sc;
    purr_diag d = {0};
    int rc = sim_test_load(every_model, &sc, &d);
    cr_assert_eq(rc, 0, "%s:%ld:%ld: %s", d.file, d.line, d.column, d.message);
    cr_assert_str_eq(sc->name, "all");
    cr_assert_eq(sc->seed, 123);
    cr_assert_eq(sc->duration_ns, 90 * PURR_S);
    cr_assert_eq(sc->sensor_count, 6);

    purr_sensor_spec *s = &sc->sensors[0];
    cr_assert_eq(s->model, PURR_MODEL_CONSTANT);
    cr_assert_eq(s->type, PURR_T_STRING);
    cr_assert_str_eq(purr_datum_str(&s->initial, NULL), "hello");
    cr_assert(s->pos.line == 5 && s->pos.column == 5);

    s = &sc->sensors[1];
    cr_assert_eq(s->model, PURR_MODEL_TIMELINE);
    cr_assert_eq(purr_datum_as_int(&s->initial), 5);
    cr_assert_eq(s->timeline.count, 3);
    cr_assert_eq(s->timeline.points[1].at_ns, 2500 * PURR_MS);
    cr_assert_eq(purr_datum_as_int(&s->timeline.points[2].value), 3);
    cr_assert_eq(s->timeline.points[2].at_ns, 60 * PURR_S);

    s = &sc->sensors[2];
    cr_assert_eq(s->model, PURR_MODEL_RANDOM_WALK);
    cr_assert_eq(purr_datum_as_double(&s->initial), 10.0);
    cr_assert_eq(s->random_walk.step, 0.5);
    cr_assert_eq(s->random_walk.max, 20.0);
    cr_assert_eq(s->random_walk.period_ns, 100 * PURR_MS);
    cr_assert_eq(s->noise_sigma, 0.1);

    s = &sc->sensors[3];
    cr_assert_eq(s->model, PURR_MODEL_POISSON);
    cr_assert_eq(s->poisson.rate_per_hour, 12.5);
    cr_assert_eq(s->poisson.pulse_ns, 3 * PURR_S);
    cr_assert_eq(purr_datum_as_bool(&s->initial), false);

    s = &sc->sensors[4];
    cr_assert_eq(s->model, PURR_MODEL_PERIODIC);
    cr_assert(s->periodic.square);
    cr_assert_eq(s->periodic.period_ns, 10 * PURR_S);
    cr_assert_eq(s->periodic.sample_ns, PURR_S);
    cr_assert_eq(s->periodic.phase_ns, 2 * PURR_S);
    cr_assert_eq(purr_datum_as_double(&s->initial), 1.0); /* 2s of 10s */

    s = &sc->sensors[5];
    cr_assert_eq(s->model, PURR_MODEL_BATTERY);
    cr_assert_eq(purr_datum_as_double(&s->initial), 80.0);
    cr_assert_eq(s->battery.drain_per_hour, 10.0);
    cr_assert_eq(s->battery.charge_per_hour, 30.0);
    cr_assert_str_eq(s->battery.docked, "docked");
    cr_assert(s->battery.docked_pos.line == 43 &&
              s->battery.docked_pos.column == 13);
    cr_assert_eq(s->battery.sample_ns, 30 * PURR_S);

    cr_assert_eq(sc->behaviour_count, 2);
    cr_assert_str_eq(sc->behaviours[0].name, "talk");
    cr_assert_eq(sc->behaviours[0].param_count, 0);
    cr_assert_str_eq(sc->behaviours[1].name, "pet");
    cr_assert_eq(sc->behaviours[1].param_count, 2);
    cr_assert_str_eq(sc->behaviours[1].params[0].key, "low");
    cr_assert_str_eq(sc->behaviours[1].params[0].value, "15");

    cr_assert_eq(sc->expect_count, 5);
    cr_assert_eq(sc->expects[0].kind, PURR_EXPECT_ALWAYS);
    cr_assert_eq(sc->expects[0].pred.kind, PURR_PRED_CMP);
    cr_assert_str_eq(sc->expects[0].pred.value, "b");
    cr_assert_eq(sc->expects[0].pred.op, PURR_CMP_GE);
    cr_assert_str_eq(sc->expects[0].pred.than, "0");
    cr_assert_eq(sc->expects[1].kind, PURR_EXPECT_NEVER);
    cr_assert_str_eq(sc->expects[1].pred.than, "angry"); /* unquoted */
    cr_assert_eq(sc->expects[1].pred.op, PURR_CMP_EQ);
    cr_assert_eq(sc->expects[2].kind, PURR_EXPECT_EVENTUALLY);
    cr_assert_eq(sc->expects[2].pred.kind, PURR_PRED_TRUTHY);
    cr_assert_str_eq(sc->expects[2].pred.value, "docked");
    cr_assert_eq(sc->expects[2].after.op, PURR_CMP_LT);
    cr_assert_str_eq(sc->expects[2].after.than, "20");
    cr_assert_eq(sc->expects[2].within_ns, 600 * PURR_S);
    const purr_pred_spec *all = &sc->expects[4].pred;
    cr_assert_eq(all->kind, PURR_PRED_ALL);
    cr_assert_eq(all->count, 2);
    cr_assert_eq(all->items[0].kind, PURR_PRED_CMP);
    cr_assert_eq(all->items[1].kind, PURR_PRED_NOT);
    cr_assert_str_eq(all->items[1].items[0].value, "docked");
    cr_assert_eq(sc->expects[3].kind, PURR_EXPECT_COUNT);
    cr_assert_str_eq(sc->expects[3].value, "sound");
    cr_assert(sc->expects[3].min == 1 && sc->expects[3].max == 99);
    purr_scene_free(sc);
}

Test(scene, defaults)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load("name: d\n"
                                 "duration: 1h\n"
                                 "sensors:\n"
                                 "  - {name: p, type: bool, model: poisson,"
                                 " rate: 1}\n"
                                 "  - {name: s, type: int, model: periodic,"
                                 " period: 1min, min: 0, max: 10}\n"
                                 "  - {name: t, type: bool, model: timeline,"
                                 " points: []}\n",
                                 &sc, &d));
    cr_assert_eq(sc->seed, 0);
    cr_assert_eq(sc->sensors[0].poisson.pulse_ns, PURR_S);
    cr_assert(!sc->sensors[1].periodic.square);
    cr_assert_eq(sc->sensors[1].periodic.sample_ns, PURR_S); /* period/60 */
    cr_assert_eq(purr_datum_as_int(&sc->sensors[1].initial), 5);
    cr_assert_eq(purr_datum_type(&sc->sensors[2].initial), PURR_T_BOOL);
    cr_assert_eq(sc->behaviour_count, 0);
    purr_scene_free(sc);
}

Test(scene, shipped_scenes_load)
{
    const char *files[] = {PURR_SCENES_DIR "/pet.yaml",
                           PURR_SCENES_DIR "/talk.yaml"};
    for (size_t i = 0; i < 2; i++) {
        purr_scene *sc;
        purr_diag d = {0};
        int rc = purr_scene_load(files[i], &sc, &d);
        cr_assert_eq(rc, 0, "%s:%ld:%ld: %s", d.file, d.line, d.column,
                     d.message);
        purr_scene_free(sc);
    }
}

/* ---- errors, each at its exact place ----------------------------------- */

#define HEAD "name: x\nduration: 1h\nsensors:\n"

Test(scene_error, unknown_model)
{
    sim_assert_error(HEAD "  - name: s\n"
                          "    type: double\n"
                          "    model: sine2\n",
                     6, 12,
                     "unknown sensor model 'sine2' (expected one of: "
                     "constant, timeline, random_walk, poisson, periodic, "
                     "battery)");
}

Test(scene_error, yaml_syntax)
{
    sim_assert_error("name: x\n"
                     "duration: 1h\n"
                     "  bad: indent\n",
                     3, 6,
                     "YAML syntax error: mapping values are not allowed in "
                     "this context");
    sim_assert_error("name: x\n\tduration: 1h\n", 2, 1,
                     "YAML syntax error: found a tab character that "
                     "violates indentation (while scanning a plain scalar)");
    sim_assert_error("name: x\nsensors: [\n  foo: : bar\n", 3, 8,
                     "YAML syntax error: did not find expected node content "
                     "(while parsing a flow node)");
}

Test(scene_error, unknown_top_key)
{
    sim_assert_error("name: x\nduraton: 1h\n", 2, 1,
                     "unknown key 'duraton' in the scene (expected one of: "
                     "name, seed, duration, sensors, behaviours, expect, load, "
                     "view)");
}

Test(scene_error, duplicate_key)
{
    sim_assert_error("name: x\nduration: 1h\nname: y\n", 3, 1,
                     "duplicate key 'name' (first at 1:1)");
}

Test(scene_error, missing_duration)
{
    sim_assert_error("name: x\nseed: 3\n", 1, 1,
                     "scene needs 'duration' (e.g. 24h, 90s)");
}

Test(scene_error, not_a_mapping)
{
    sim_assert_error("- a\n- b\n", 1, 1,
                     "expected a mapping for the scene, got a list");
}

Test(scene_error, empty_file)
{
    sim_assert_error("# nothing\n", 1, 1, "empty scene file");
}

Test(scene_error, duration_without_unit)
{
    sim_assert_error("name: x\nduration: 10\n", 2, 11,
                     "expected a duration with a unit for 'duration' (e.g. "
                     "500ms, 90s, 10min, 24h), got '10'");
}

Test(scene_error, bad_seed)
{
    sim_assert_error("name: x\nseed: -4\nduration: 1h\n", 2, 7,
                     "expected an unsigned 64-bit integer for 'seed', got "
                     "'-4'");
}

Test(scene_error, unknown_type)
{
    sim_assert_error(HEAD "  - name: s\n    type: float\n", 5, 11,
                     "unknown sensor type 'float' (expected one of: bool, "
                     "int, double, string)");
}

Test(scene_error, missing_model_param)
{
    sim_assert_error(HEAD "  - name: p\n"
                          "    type: bool\n"
                          "    model: poisson\n",
                     4, 5, "poisson sensor 'p' needs 'rate'");
}

Test(scene_error, key_of_another_model)
{
    sim_assert_error(HEAD "  - name: p\n"
                          "    type: bool\n"
                          "    model: poisson\n"
                          "    step: 3\n",
                     7, 5,
                     "unknown key 'step' in a poisson sensor (expected one "
                     "of: name, type, model, rate, pulse, faults, unit)");
}

Test(scene_error, typo_key)
{
    sim_assert_error(HEAD "  - name: p\n"
                          "    tpye: bool\n",
                     5, 5,
                     "unknown key 'tpye' in sensor (expected one of: name, "
                     "type, model, noise, value, sample, initial, points, "
                     "start, step, min, max, period, rate, pulse, shape, "
                     "phase, drain, charge, docked, faults, unit)");
}

Test(scene_error, bad_number)
{
    sim_assert_error(HEAD "  - name: p\n"
                          "    type: bool\n"
                          "    model: poisson\n"
                          "    rate: fast\n",
                     7, 11, "expected a number for 'rate', got 'fast'");
}

Test(scene_error, model_needs_type)
{
    sim_assert_error(HEAD "  - name: p\n"
                          "    type: double\n"
                          "    model: poisson\n"
                          "    rate: 3\n",
                     5, 11, "poisson sensor 'p' must have type bool");
    sim_assert_error(HEAD "  - name: w\n"
                          "    type: string\n"
                          "    model: random_walk\n",
                     5, 11,
                     "random_walk sensor 'w' must have type int or "
                     "double");
}

Test(scene_error, timeline_order)
{
    sim_assert_error(HEAD "  - name: t\n"
                          "    type: int\n"
                          "    model: timeline\n"
                          "    points:\n"
                          "      - [10s, 1]\n"
                          "      - [5s, 2]\n",
                     9, 10,
                     "timeline points must be in time order ('5s' comes "
                     "before the previous point)");
}

Test(scene_error, timeline_point_shape)
{
    sim_assert_error(HEAD "  - name: t\n"
                          "    type: int\n"
                          "    model: timeline\n"
                          "    points: [[1s, 1], 7]\n",
                     7, 23, "expected a point [time, value], got a scalar");
}

Test(scene_error, timeline_value_type)
{
    sim_assert_error(HEAD "  - name: t\n"
                          "    type: bool\n"
                          "    model: timeline\n"
                          "    points: [[1s, yes]]\n",
                     7, 19,
                     "expected true or false for 'point value', got 'yes'");
}

Test(scene_error, duplicate_sensor)
{
    sim_assert_error(HEAD "  - {name: a, type: int, model: constant, "
                          "value: 1}\n"
                          "  - {name: a, type: int, model: constant, "
                          "value: 2}\n",
                     5, 12, "duplicate sensor 'a' (first at 4:5)");
}

Test(scene_error, noise_needs_numbers)
{
    sim_assert_error(HEAD "  - name: c\n"
                          "    type: string\n"
                          "    model: constant\n"
                          "    value: hi\n"
                          "    noise: 1\n",
                     8, 12, "'noise' needs a sensor of type int or double");
}

Test(scene_error, unknown_shape)
{
    sim_assert_error(HEAD "  - name: l\n"
                          "    type: double\n"
                          "    model: periodic\n"
                          "    period: 1h\n"
                          "    min: 0\n"
                          "    max: 1\n"
                          "    shape: triangle\n",
                     10, 12,
                     "unknown shape 'triangle' (expected one of: sine, "
                     "square)");
}

Test(scene_error, unknown_behaviour)
{
    sim_assert_error("name: x\nduration: 1h\nbehaviours:\n  - dog\n", 4, 5,
                     "unknown behaviour 'dog' (registered: pet, talk, lazy-pet, reference, "
                     "courier)");
}

Test(scene_error, params_must_be_scalars)
{
    sim_assert_error("name: x\nduration: 1h\nbehaviours:\n"
                     "  - name: pet\n"
                     "    params:\n"
                     "      low: [1, 2]\n",
                     6, 12, "expected a scalar for 'low', got a list");
}

Test(scene_error, expectation_kinds)
{
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - always: a\n"
                     "    never: b\n",
                     4, 5,
                     "an expectation has exactly one of always, never, "
                     "eventually, count");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - eventually: {then: a, within: 1}\n",
                     4, 35,
                     "expected a duration with a unit for 'within' (e.g. "
                     "500ms, 90s, 10min, 24h), got '1'");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - eventually: {after: a}\n",
                     4, 17,
                     "'eventually' needs 'then' (what must become true)");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - count: {value: a, transitions: {min: few}}\n",
                     4, 42, "expected an integer for 'min', got 'few'");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - always: \"b >> 3\"\n",
                     4, 13,
                     "expected a predicate such as 'battery >= 20', 'docked' "
                     "or 'not docked', got 'b >> 3'");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - never: {value: b, op: \"=<\", than: 3}\n",
                     4, 27,
                     "unknown operator '=<' (expected one of: ==, !=, <, <=, "
                     ">, >=)");
    sim_assert_error("name: x\nduration: 1h\nexpect:\n"
                     "  - never: {value: b, than: 3}\n",
                     4, 12, "a comparison needs both 'op' and 'than'");
}

Test(scene_error, missing_file)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_err(purr_scene_load("/nonexistent/x.yaml", &sc, &d),
                    PURR_ENOENT);
    cr_assert_str_eq(d.file, "/nonexistent/x.yaml");
    cr_assert_str_eq(d.message,
                     "cannot open the scene: No such file or directory");
}

Test(scene_error, second_yaml_document)
{
    /* A second document was dropped with exit 0: nothing in a scene is
     * silently ignored, so it is refused at its '---'. */
    sim_assert_error("name: two\nduration: 10s\n---\nname: other\n"
                     "duration: 5s\n",
                     3, 1,
                     "a second YAML document: a scene is one document "
                     "(remove the '---' and what follows, or merge it into "
                     "the first)");
    sim_assert_error("name: two\nduration: 10s\n---\n", 3, 1,
                     "a second YAML document: a scene is one document "
                     "(remove the '---' and what follows, or merge it into "
                     "the first)");
    /* A document end marker alone ends the one document. */
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(sim_test_load("name: one\nduration: 10s\n...\n", &sc, &d));
    purr_scene_free(sc);
}

/* Each of these is refused at once: no read without end (/dev/zero), no
 * wait for a writer (a FIFO), nothing but a regular file. */
Test(scene_error, not_a_regular_file)
{
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/purr-scene-fifo.%d", (int)getpid());
    unlink(fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {"/dev/zero", "/dev/null", "/tmp", fifo};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        purr_scene *sc;
        purr_diag d = {0};
        purr_assert_err(purr_scene_load(paths[i], &sc, &d), PURR_EFORMAT);
        cr_assert_null(sc);
        cr_assert_str_eq(d.file, paths[i]);
        cr_assert_str_eq(d.message,
                         "not a regular file (a scene must be a YAML file)");
    }
    unlink(fifo);
}

Test(scene_error, larger_than_the_limit)
{
    /* A file (sparse: its size is what counts) and a text from elsewhere
     * (a recording's scene_text) are refused alike. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/purr-scene-big.%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), PURR_SCENE_MAX_BYTES + 1), 0);
    fclose(f);
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_err(purr_scene_load(path, &sc, &d), PURR_EFORMAT);
    cr_assert_str_eq(d.message, "larger than 4 MiB: not a scene file");
    unlink(path);
    size_t len = (size_t)PURR_SCENE_MAX_BYTES + 1;
    char *text = calloc(1, len);
    purr_assert_err(purr_scene_parse(text, len, "rec.db", &sc, &d),
                    PURR_EFORMAT);
    cr_assert_str_eq(d.message,
                     "larger than 4 MiB (4194305 bytes): not a scene");
    free(text);
}

/* Errors found when the parts meet: setup, not parsing. */
static void
assert_setup_error(const char *text, long line, long column, const char *msg)
{
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

Test(scene_error, battery_without_docked_value)
{
    assert_setup_error(HEAD "  - name: b\n"
                            "    type: double\n"
                            "    model: battery\n"
                            "    drain: 1\n"
                            "    charge: 2\n"
                            "    docked: dock\n",
                       9, 13,
                       "battery 'b' is charged by 'dock', but no sensor or "
                       "behaviour creates a value of that name");
}

Test(scene_error, behaviour_param)
{
    assert_setup_error(HEAD "  - {name: battery, type: double, model: "
                            "constant, value: 50}\n"
                            "  - {name: touched, type: bool, model: "
                            "constant, value: false}\n"
                            "behaviours:\n"
                            "  - name: pet\n"
                            "    params:\n"
                            "      low: abc\n",
                       9, 12, "expected a number for 'low', got 'abc'");
}

Test(scene_error, behaviour_missing_input)
{
    assert_setup_error("name: x\nduration: 1h\nbehaviours:\n  - talk\n", 4, 5,
                       "behaviour 'talk' needs a bool value 'touched' "
                       "(param 'a')");
}
