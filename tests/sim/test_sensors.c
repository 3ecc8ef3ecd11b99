/* test_sensors.c - sensor models on the virtual clock: exact times for the
 * scripted models, statistics for the random ones (fixed seeds, so each
 * result is exact and repeatable; the tolerances only say what a correct
 * model must give for any seed), per-sensor stream independence, and
 * whole-run determinism. */
#include "sim_test.h"

#include <math.h>

static purr_scene *
load(const char *text)
{
    purr_scene *sc;
    purr_diag d = {0};
    int rc = sim_test_load(text, &sc, &d);
    cr_assert_eq(rc, 0, "%ld:%ld: %s", d.line, d.column, d.message);
    return sc;
}

/* Runs text and returns the log of `only` (NULL: all values). */
static sim_log
run_text(const char *text, const char *only)
{
    purr_scene *sc = load(text);
    sim_log log = {0};
    log.only = only;
    purr_assert_ok(sim_test_run(sc, NULL, &log));
    purr_scene_free(sc);
    return log;
}

/* ---- scripted models: exact times -------------------------------------- */

Test(sensors, timeline_sets_at_exact_times)
{
    sim_log log = run_text("name: t\nduration: 1min\nsensors:\n"
                           "  - name: t\n"
                           "    type: int\n"
                           "    model: timeline\n"
                           "    points: [[1s, 1], [2500ms, 2], [2500ms, 2],"
                           " [2h, 3]]\n",
                           "t");
    cr_assert_str_eq(log.text, "1000000000 t = 1\n2500000000 t = 2\n");
    free(log.text);
}

Test(sensors, square_wave_flips_every_half_period)
{
    sim_log log = run_text("name: q\nduration: 25s\nsensors:\n"
                           "  - name: q\n"
                           "    type: int\n"
                           "    model: periodic\n"
                           "    shape: square\n"
                           "    period: 10s\n"
                           "    min: 0\n"
                           "    max: 1\n",
                           "q");
    cr_assert_str_eq(log.text, "5000000000 q = 0\n"
                               "10000000000 q = 1\n"
                               "15000000000 q = 0\n"
                               "20000000000 q = 1\n"
                               "25000000000 q = 0\n");
    free(log.text);
}

Test(sensors, constant_without_noise_never_changes)
{
    sim_log log = run_text("name: c\nduration: 1h\nsensors:\n"
                           "  - {name: c, type: double, model: constant,"
                           " value: 21.5}\n",
                           NULL);
    cr_assert_eq(log.count, 0);
    free(log.text);
}

/* ---- random models: statistics over long runs -------------------------- */

typedef struct stats {
    const char *name;
    size_t n, rises;
    double sum, sumsq, min, max, last;
    bool have_last, max_step_ok;
    double step;
} stats;

static void
stats_observer(const purr_trace *ev, void *ctx)
{
    stats *st = ctx;
    if (strcmp(purr_value_name(ev->value), st->name) != 0)
        return;
    if (purr_datum_type(ev->new_value) == PURR_T_BOOL) {
        st->rises += purr_datum_as_bool(ev->new_value);
        return;
    }
    double x = purr_datum_as_double(ev->new_value);
    if (st->have_last && st->step > 0 &&
        fabs(fabs(x - st->last) - st->step) > 1e-9)
        st->max_step_ok = false;
    st->last = x;
    st->have_last = true;
    st->n++;
    st->sum += x;
    st->sumsq += x * x;
    st->min = st->n == 1 || x < st->min ? x : st->min;
    st->max = st->n == 1 || x > st->max ? x : st->max;
}

static stats
run_stats(const char *text, const char *name, double step)
{
    purr_scene *sc = load(text);
    stats st = {.name = name, .max_step_ok = true, .step = step};
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      stats_observer, &st);
    purr_assert_ok(purr_sim_run(sim, NULL));
    purr_sim_free(sim);
    purr_scene_free(sc);
    return st;
}

Test(sensors, poisson_rate_over_a_long_run)
{
    /* 30 events an hour for 1000 h: 30000 expected, sd ~173; pulses of 1 s
     * overlap with probability ~1/120 per event, which the retriggering
     * merges. 3% is > 5 sd. */
    stats st = run_stats("name: p\nseed: 99\nduration: 1000h\nsensors:\n"
                         "  - {name: p, type: bool, model: poisson,"
                         " rate: 30, pulse: 1s}\n",
                         "p", 0);
    double expected = 30.0 * 1000 * exp(-30.0 / 3600);
    cr_assert(fabs((double)st.rises - expected) < 0.03 * expected,
              "rises %zu, expected about %.0f", st.rises, expected);
}

Test(sensors, random_walk_steps_and_bounds)
{
    stats st = run_stats("name: w\nseed: 5\nduration: 10h\nsensors:\n"
                         "  - {name: w, type: double, model: random_walk,"
                         " start: 50, step: 0.5, min: 40, max: 60,"
                         " period: 1s}\n",
                         "w", 0.5);
    cr_assert(st.n > 30000, "%zu transitions", st.n); /* clamped: fewer */
    cr_assert(st.min >= 40.0 && st.max <= 60.0);
    cr_assert(st.min == 40.0 && st.max == 60.0,
              "a 36000-step walk reaches both bounds");
    cr_assert(st.max_step_ok, "every transition is one step");
}

Test(sensors, noise_is_gaussian_with_sigma)
{
    stats st = run_stats("name: n\nseed: 11\nduration: 10h\nsensors:\n"
                         "  - {name: n, type: double, model: constant,"
                         " value: 20, noise: 2, sample: 1s}\n",
                         "n", 0);
    double mean = st.sum / (double)st.n;
    double sd = sqrt(st.sumsq / (double)st.n - mean * mean);
    cr_assert(st.n > 35000);
    cr_assert(fabs(mean - 20.0) < 0.05, "mean %f", mean);
    cr_assert(fabs(sd - 2.0) < 0.05, "sd %f", sd);
}

Test(sensors, sine_stays_within_min_max)
{
    stats st = run_stats("name: l\nduration: 48h\nsensors:\n"
                         "  - {name: l, type: double, model: periodic,"
                         " period: 24h, min: 0, max: 1000, sample: 1min}\n",
                         "l", 0);
    cr_assert(st.min >= 0.0 && st.max <= 1000.0);
    cr_assert(st.min < 0.01 && st.max > 999.99);
    cr_assert(fabs(st.sum / (double)st.n - 500.0) < 1.0);
}

/* ---- battery: charged by an output --------------------------------------*/

/* The docking behaviours' setup: their `docked` output. */
static int
dock_setup(purr_sim_ctx *ctx)
{
    purr_value *v = purr_sim_output(ctx, "docked", PURR_T_BOOL, NULL);
    purr_sim_set_data(ctx, v);
    return v ? 0 : PURR_EFORMAT;
}

/* "dock_1h": docks from 1 h to 2 h. */
static int
dock_task(purr_sim_ctx *ctx)
{
    purr_value *docked = purr_sim_data(ctx);
    int rc;
    if ((rc = purr_sleep_until(3600 * PURR_S)) < 0)
        return rc;
    purr_value_set_bool(docked, true);
    if ((rc = purr_sleep_until(7200 * PURR_S)) < 0)
        return rc;
    purr_value_set_bool(docked, false);
    return purr_sleep_forever();
}

Test(sensors, battery_drains_and_charges_by_docked)
{
    purr_assert_ok(purr_sim_register("dock_1h", dock_setup, dock_task));
    purr_assert_err(purr_sim_register("dock_1h", dock_setup, dock_task),
                    PURR_EEXIST);
    purr_scene *sc = load("name: b\nduration: 3h\nsensors:\n"
                          "  - name: b\n"
                          "    type: double\n"
                          "    model: battery\n"
                          "    start: 50\n"
                          "    drain: 10\n"
                          "    charge: 30\n"
                          "    docked: docked\n"
                          "    sample: 30min\n"
                          "behaviours: [dock_1h]\n");
    sim_log log = {0};
    log.only = "b";
    purr_assert_ok(sim_test_run(sc, NULL, &log));
    /* Samples every 0.5 h step by the dock state of the half hour that
     * ends there. The behaviour docks at 1 h and leaves at 2 h, both
     * sample instants (its timer even fires first there, having been
     * armed first), and each change acts from the next sample on: the
     * docked half hours are 1 h to 1.5 h and 1.5 h to 2 h, so
     * 50 -5 -5 +15 +15 -5 -5. */
    cr_assert_str_eq(log.text, "1800000000000 b = 45.0\n"
                               "3600000000000 b = 40.0\n"
                               "5400000000000 b = 55.0\n"
                               "7200000000000 b = 70.0\n"
                               "9000000000000 b = 65.0\n"
                               "10800000000000 b = 60.0\n");
    free(log.text);
    purr_scene_free(sc);
}

/* "dock_3_5": docks at 3 min and leaves at 5 min, exactly at the samples
 * of a battery sampling every minute. */
static int
dock_at_samples_task(purr_sim_ctx *ctx)
{
    purr_value *docked = purr_sim_data(ctx);
    int rc;
    if ((rc = purr_sleep_until(3 * 60 * PURR_S)) < 0)
        return rc;
    purr_value_set_bool(docked, true);
    if ((rc = purr_sleep_until(5 * 60 * PURR_S)) < 0)
        return rc;
    purr_value_set_bool(docked, false);
    return purr_sleep_forever();
}

/* The lines of log text whose value is name, in order, into out. */
static void
lines_of(const char *text, const char *name, char *out, size_t cap)
{
    size_t n = 0, len = strlen(name);
    out[0] = '\0';
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t ll = (size_t)(end - line) + 1;
        const char *sp = strchr(line, ' ');
        if (strncmp(sp + 1, name, len) == 0 && sp[1 + len] == ' ') {
            cr_assert_lt(n + ll, cap);
            memcpy(out + n, line, ll);
            n += ll;
            out[n] = '\0';
        }
        line = end + 1;
    }
}

/* A dock change in the very instant of a sample acts from the next sample
 * on, whichever of the two tasks runs first in that instant: the sample
 * at 3 min still drains, the one at 4 min charges, and the one at 5 min,
 * when the robot leaves, still charges. The shuffled schedules do run the
 * battery both before and after the behaviour at 3 min. */
Test(sensors, battery_ignores_a_dock_change_in_its_sample_instant)
{
    purr_assert_ok(
        purr_sim_register("dock_3_5", dock_setup, dock_at_samples_task));
    purr_scene *sc = load("name: b\nduration: 6min\nsensors:\n"
                          "  - {name: b, type: double, model: battery,"
                          " start: 50, drain: 6, charge: 60,"
                          " docked: docked, sample: 1min}\n"
                          "behaviours: [dock_3_5]\n");
    /* 50 -0.1 -0.1 -0.1 +1 +1 -0.1 */
    static const char want[] = "60000000000 b = 49.9\n"
                               "120000000000 b = 49.8\n"
                               "180000000000 b = 49.7\n"
                               "240000000000 b = 50.7\n"
                               "300000000000 b = 51.7\n"
                               "360000000000 b = 51.6\n";
    int battery_first = 0, dock_first = 0;
    for (uint64_t seed = 0; seed <= 10; seed++) {
        /* seed 0: the plain FIFO schedule */
        purr_sim_options o = {.shuffle = seed > 0, .shuffle_seed = seed};
        sim_log log = {0};
        purr_assert_ok(sim_test_run(sc, &o, &log));
        char b[512];
        lines_of(log.text, "b", b, sizeof b);
        cr_assert_str_eq(b, want, "shuffle seed %llu",
                         (unsigned long long)seed);
        const char *bat = strstr(log.text, "\n180000000000 b = ");
        const char *dock = strstr(log.text, "\n180000000000 docked = true\n");
        cr_assert(bat && dock);
        battery_first += bat < dock;
        dock_first += dock < bat;
        free(log.text);
    }
    cr_assert(battery_first > 0 && dock_first > 0,
              "battery first in %d schedules, docking first in %d",
              battery_first, dock_first);
    purr_scene_free(sc);
}

/* ---- determinism -------------------------------------------------------- */

Test(sensors, streams_are_independent_per_sensor)
{
    static const char base[] =
        "  - {name: w, type: double, model: random_walk, start: 0,"
        " step: 1, min: -50, max: 50, period: 1s, noise: 0.5}\n"
        "  - {name: p, type: bool, model: poisson, rate: 60}\n";
    static const char extra[] =
        "  - {name: extra, type: double, model: random_walk, start: 0,"
        " step: 1, min: -50, max: 50, period: 300ms}\n"
        "  - {name: more, type: bool, model: poisson, rate: 600}\n";
    char one[1024], two[1024];
    snprintf(one, sizeof one, "name: s\nseed: 3\nduration: 2h\nsensors:\n%s",
             base);
    /* The extra sensors come first, so they are spawned and draw first. */
    snprintf(two, sizeof two, "name: s\nseed: 3\nduration: 2h\nsensors:\n%s%s",
             extra, base);
    const char *names[] = {"w", "p"};
    for (size_t i = 0; i < 2; i++) {
        sim_log a = run_text(one, names[i]);
        sim_log b = run_text(two, names[i]);
        cr_assert(a.count > 50, "%s: %zu transitions", names[i], a.count);
        cr_assert_str_eq(a.text, b.text, "sensor %s changed", names[i]);
        free(a.text);
        free(b.text);
    }
    /* And a different seed does change them. */
    char three[1024];
    snprintf(three, sizeof three,
             "name: s\nseed: 4\nduration: 2h\nsensors:\n%s", base);
    sim_log a = run_text(one, "w"), c = run_text(three, "w");
    cr_assert_str_neq(a.text, c.text);
    free(a.text);
    free(c.text);
}

Test(sensors, seed_option_overrides_scene)
{
    purr_scene *sc = load("name: s\nseed: 3\nduration: 1h\nsensors:\n"
                          "  - {name: p, type: bool, model: poisson,"
                          " rate: 60}\n");
    purr_sim_options o3 = {.has_seed = true, .seed = 3};
    purr_sim_options o4 = {
        .has_seed = true, .seed = 4, .duration_ns = 1800 * PURR_S};
    sim_log a = {0}, b = {0}, c = {0};
    purr_assert_ok(sim_test_run(sc, NULL, &a));
    purr_assert_ok(sim_test_run(sc, &o3, &b));
    purr_assert_ok(sim_test_run(sc, &o4, &c));
    cr_assert_str_eq(a.text, b.text);
    cr_assert_str_neq(a.text, c.text);
    free(a.text);
    free(b.text);
    free(c.text);
    purr_scene_free(sc);
}

Test(sensors, pet_scene_runs_identically_twice)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(purr_scene_load(PURR_SCENES_DIR "/pet.yaml", &sc, &d));
    sim_log a = {0}, b = {0};
    purr_assert_ok(sim_test_run(sc, NULL, &a));
    purr_assert_ok(sim_test_run(sc, NULL, &b));
    cr_assert(a.count > 1000, "%zu transitions", a.count);
    cr_assert_eq(a.count, b.count);
    cr_assert_str_eq(a.text, b.text);
    /* The behaviour did its job: it docked and it purred. */
    cr_assert_not_null(strstr(a.text, " docked = true\n"));
    cr_assert_not_null(strstr(a.text, " sound = \"purr\"\n"));
    cr_assert_not_null(strstr(a.text, " mood = \"sleepy\"\n"));
    free(a.text);
    free(b.text);
    purr_scene_free(sc);
}

Test(sensors, talk_scene_does_something_cute)
{
    purr_scene *sc;
    purr_diag d = {0};
    purr_assert_ok(purr_scene_load(PURR_SCENES_DIR "/talk.yaml", &sc, &d));
    sim_log a = {0};
    a.only = "action";
    purr_assert_ok(sim_test_run(sc, NULL, &a));
    cr_assert_not_null(strstr(a.text, "\"doing something cute\""));
    free(a.text);
    purr_scene_free(sc);
}

/* ---- failures ----------------------------------------------------------- */

static int
fail_task(purr_sim_ctx *ctx)
{
    (void)ctx;
    int rc = purr_sleep(90 * PURR_S);
    return rc < 0 ? rc : PURR_EIO;
}

Test(sensors, failing_behaviour_ends_the_run)
{
    purr_assert_ok(purr_sim_register("fails", NULL, fail_task));
    purr_assert_err(purr_sim_register("", NULL, fail_task), PURR_EINVAL);
    purr_scene *sc = load("name: f\nduration: 1h\nsensors:\n"
                          "  - {name: p, type: bool, model: poisson,"
                          " rate: 60}\n"
                          "behaviours: [fails]\n");
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_diag d = {0};
    purr_assert_err(purr_sim_run(sim, &d), PURR_EIO);
    cr_assert_str_eq(d.message, "task 'fails' failed at 00:01:30: "
                                "input/output error (PURR_EIO)");
    purr_assert_err(purr_sim_run(sim, &d), PURR_EBUSY);
    purr_sim_free(sim);
    purr_scene_free(sc);
}

Test(sensors, failed_setup_cannot_be_retried)
{
    purr_scene *sc = load("name: f\nduration: 1h\nbehaviours: [pet]\n");
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_diag d = {0};
    purr_assert_err(purr_sim_setup(sim, &d), PURR_EFORMAT);
    purr_assert_err(purr_sim_setup(sim, &d), PURR_EFORMAT);
    purr_assert_err(purr_sim_run(sim, &d), PURR_EFORMAT);
    purr_sim_free(sim);
    purr_scene_free(sc);
}
