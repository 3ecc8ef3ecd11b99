/* test_faults.c - sensor faults: dropout, stuck, spikes and delay, at
 * scripted times (exact virtual times) and at seeded random rates. */
#include "sim_test.h"

/* x counts 1..10, one step a second from 1s. */
#define COUNTER                                                                \
    "name: f\n"                                                                \
    "duration: 12s\n"                                                          \
    "sensors:\n"                                                               \
    "  - name: x\n"                                                            \
    "    type: int\n"                                                          \
    "    model: timeline\n"                                                    \
    "    points: [[1s, 1], [2s, 2], [3s, 3], [4s, 4], [5s, 5], [6s, 6],\n"     \
    "             [7s, 7], [8s, 8], [9s, 9], [10s, 10]]\n"                      \
    "    faults:\n"

static char *
run_log(const char *text, const purr_sim_options *opts)
{
    purr_scene *sc;
    purr_diag d = {0};
    int rc = sim_test_load(text, &sc, &d);
    cr_assert_eq(rc, 0, "%ld:%ld: %s", d.line, d.column, d.message);
    sim_log log = {0};
    purr_assert_ok(sim_test_run(sc, opts, &log));
    purr_scene_free(sc);
    return log.text ? log.text : calloc(1, 1);
}

#define S "000000000"

Test(faults, dropout_drops_updates_then_reports_again)
{
    char *log = run_log(COUNTER "      - {kind: dropout, at: 3s, for: 2500ms}\n",
                        NULL);
    /* 3, 4 and 5 are lost; at 5.5s the sensor reports its reading (5). */
    cr_assert_str_eq(log, "1" S " x = 1\n2" S " x = 2\n5500000000 x = 5\n"
                          "6" S " x = 6\n7" S " x = 7\n8" S " x = 8\n"
                          "9" S " x = 9\n10" S " x = 10\n");
    free(log);
}

Test(faults, stuck_at_a_value)
{
    char *log = run_log(
        COUNTER "      - {kind: stuck, at: 3s, for: 3s, value: 0}\n", NULL);
    /* Stuck at 0 from 3s; it ends at 6s, when the model sets 6 itself. */
    cr_assert_str_eq(log, "1" S " x = 1\n2" S " x = 2\n3" S " x = 0\n"
                          "6" S " x = 6\n7" S " x = 7\n8" S " x = 8\n"
                          "9" S " x = 9\n10" S " x = 10\n");
    free(log);
}

Test(faults, stuck_where_it_was)
{
    char *log = run_log(COUNTER "      - {kind: stuck, at: 2500ms, for: 5s}\n",
                        NULL);
    cr_assert_str_eq(log, "1" S " x = 1\n2" S " x = 2\n7500000000 x = 7\n"
                          "8" S " x = 8\n9" S " x = 9\n10" S " x = 10\n");
    free(log);
}

Test(faults, delay_holds_updates_back)
{
    char *log = run_log(
        COUNTER "      - {kind: delay, at: 3s, for: 2s, by: 1500ms}\n", NULL);
    /* 3 and 4 are made inside the window and arrive 1.5 s late; 5 (made at
     * the window's end) is on time, so 4 arrives after it. */
    cr_assert_str_eq(log, "1" S " x = 1\n2" S " x = 2\n4500000000 x = 3\n"
                          "5" S " x = 5\n5500000000 x = 4\n6" S " x = 6\n"
                          "7" S " x = 7\n8" S " x = 8\n9" S " x = 9\n"
                          "10" S " x = 10\n");
    free(log);
}

/* A constant 50 with spikes of +-10 lasting 1 s, at 20 per hour for 10 h. */
#define SPIKY                                                                  \
    "name: s\n"                                                                \
    "duration: 10h\n"                                                          \
    "sensors:\n"                                                               \
    "  - name: v\n"                                                            \
    "    type: double\n"                                                       \
    "    model: constant\n"                                                    \
    "    value: 50\n"                                                          \
    "    faults:\n"

Test(faults, spikes_are_outliers_that_return)
{
    char *log =
        run_log(SPIKY "      - {kind: spikes, rate: 20, size: 10, width: 1s}\n",
                NULL);
    size_t spikes = 0;
    long long prev_t = -1;
    double prev_v = 50;
    for (char *line = log; *line;) {
        long long t;
        double v;
        cr_assert_eq(sscanf(line, "%lld v = %lf", &t, &v), 2, "%s", line);
        if (v != 50) {
            cr_assert(v == 40 || v == 60, "%s", line);
            cr_assert_eq(prev_v, 50);
            spikes++;
        } else {
            cr_assert(prev_v != 50);
            cr_assert_eq(t - prev_t, PURR_S, "outlier lasts exactly 1 s");
        }
        prev_t = t;
        prev_v = v;
        line = strchr(line, '\n') + 1;
    }
    /* About 200 in 10 h (Poisson: 3 sigma is about 42). */
    cr_assert(spikes > 150 && spikes < 250, "%zu spikes", spikes);
    char *again = run_log(
        SPIKY "      - {kind: spikes, rate: 20, size: 10, width: 1s}\n", NULL);
    cr_assert_str_eq(log, again);
    free(again);
    free(log);
}

Test(faults, spikes_in_a_window_on_a_bool)
{
    char *log = run_log("name: s\nduration: 3h\nsensors:\n"
                        "  - name: b\n"
                        "    type: bool\n"
                        "    model: constant\n"
                        "    value: false\n"
                        "    faults:\n"
                        "      - {kind: spikes, at: 1h, for: 1h, rate: 60,\n"
                        "         width: 2s}\n",
                        NULL);
    for (char *line = log; *line; line = strchr(line, '\n') + 1) {
        long long t;
        cr_assert_eq(sscanf(line, "%lld", &t), 1);
        cr_assert(t >= 3600 * PURR_S && t < 7202 * PURR_S, "%s", line);
    }
    cr_assert(strlen(log) > 0);
    free(log);
}

Test(faults, random_dropouts_have_exact_length_and_own_stream)
{
    /* A 10 Hz counter-like walk, random dropouts of 30 s at 2 per hour. */
    const char *scene = "name: r\nduration: 5h\nsensors:\n"
                        "  - name: w\n"
                        "    type: int\n"
                        "    model: random_walk\n"
                        "    start: 0\n"
                        "    step: 1\n"
                        "    min: -1000000\n"
                        "    max: 1000000\n"
                        "    period: 1s\n"
                        "    faults:\n"
                        "      - {kind: dropout, rate: 2, for: 30s}\n";
    char *log = run_log(scene, NULL);
    /* Every gap between transitions is 1 s, except the dropouts: a gap
     * of 30 s or 31 s (the reading after the window may be equal). */
    long long prev = 0, gaps = 0;
    for (char *line = log; *line; line = strchr(line, '\n') + 1) {
        long long t;
        cr_assert_eq(sscanf(line, "%lld", &t), 1);
        long long g = t - prev;
        if (g != PURR_S) {
            cr_assert(g % PURR_S != 0 || g >= 2 * PURR_S, "gap %lld", g);
            gaps++;
        }
        prev = t;
    }
    cr_assert(gaps >= 3 && gaps <= 25, "%lld dropouts", gaps);
    /* Same seed: same faults; another seed: other faults. */
    char *again = run_log(scene, NULL);
    cr_assert_str_eq(log, again);
    purr_sim_options o = {.has_seed = true, .seed = 99};
    char *other = run_log(scene, &o);
    cr_assert_str_neq(log, other);
    free(other);
    free(again);
    free(log);
}

Test(faults, random_window_lasts_exactly_its_for)
{
    /* x counts the seconds (x = n at n s) for 2 h, so every update is a
     * transition; random dropouts of 30 s, at 6 per hour. A window opens
     * at a random instant S (not on a second, in practice) and closes at
     * E = S + 30 s, where the sensor reports its reading again: the only
     * transitions off the whole second. The updates at the whole seconds
     * in [S, E) are lost, the one just before S is not: a window one
     * update period too long (31 s) would lose that one too. */
    enum { N = 7200 };
    size_t cap = 64 + (size_t)N * 24, len = 0;
    char *scene = malloc(cap);
    len += (size_t)snprintf(scene + len, cap - len,
                            "name: r\nduration: 7201s\nsensors:\n"
                            "  - name: x\n    type: int\n"
                            "    model: timeline\n    points: [");
    for (int n = 1; n <= N; n++)
        len += (size_t)snprintf(scene + len, cap - len, "%s[%ds, %d]",
                                n > 1 ? ", " : "", n, n);
    snprintf(scene + len, cap - len,
             "]\n    faults:\n"
             "      - {kind: dropout, rate: 6, for: 30s}\n");
    char *log = run_log(scene, NULL);
    free(scene);

    long long prev = 0, windows = 0;
    for (char *line = log; *line; line = strchr(line, '\n') + 1) {
        long long t, v;
        cr_assert_eq(sscanf(line, "%lld x = %lld", &t, &v), 2, "%s", line);
        if (t % PURR_S != 0) {
            long long start = t - 30 * PURR_S; /* S */
            cr_assert_lt(prev, start,
                         "a transition at %lld, inside the "
                         "window [%lld, %lld)",
                         prev, start, t);
            cr_assert_eq(prev, start / PURR_S * PURR_S,
                         "the window [%lld, %lld) lost the update at %lld "
                         "(the last one before it)",
                         start, t, start / PURR_S * PURR_S);
            cr_assert_eq(v, t / PURR_S, "the reading reported at %lld", t);
            windows++;
        } else if (prev % PURR_S == 0) {
            cr_assert_eq(t - prev, PURR_S, "a gap of %lld ns at %lld", t - prev,
                         t);
        }
        prev = t;
    }
    cr_assert(windows >= 5, "only %lld windows in 2 h", windows);
    free(log);
}

Test(faults_error, refused)
{
    sim_assert_error(COUNTER "      - {kind: melt, at: 1s, for: 1s}\n", 10, 16,
                     "unknown fault 'melt' (expected one of: dropout, stuck, "
                     "spikes, delay)");
    sim_assert_error(COUNTER "      - {kind: dropout, at: 1s}\n", 10, 9,
                     "'dropout' needs 'for' (how long each fault lasts)");
    sim_assert_error(COUNTER "      - {kind: dropout, at: 1s, for: 1s, "
                             "rate: 2}\n",
                     10, 9,
                     "'dropout' needs either 'at' (a scripted time) or 'rate' "
                     "(faults per hour, at random)");
    sim_assert_error(COUNTER "      - {kind: delay, at: 1s, for: 1s}\n", 10, 9,
                     "'delay' needs 'by' (how late updates arrive)");
    sim_assert_error(COUNTER "      - {kind: dropout, at: 1s, for: 1s, "
                             "by: 1s}\n",
                     10, 46, "'by' is only for 'delay' faults");
    sim_assert_error(COUNTER "      - {kind: spikes, rate: 1}\n", 10, 9,
                     "'spikes' on a number needs 'size' (how far an outlier "
                     "is)");
}

/* The walk of random_dropouts_have_exact_length_and_own_stream, with a
 * scripted dropout too, and spikes: every kind of random fault. */
#define SCALED                                                                 \
    "name: r\nduration: 5h\nsensors:\n"                                        \
    "  - name: w\n"                                                            \
    "    type: int\n"                                                          \
    "    model: random_walk\n"                                                 \
    "    start: 0\n"                                                           \
    "    step: 1\n"                                                            \
    "    min: -1000000\n"                                                      \
    "    max: 1000000\n"                                                       \
    "    period: 1s\n"                                                         \
    "    faults:\n"                                                            \
    "      - {kind: dropout, rate: 2, for: 30s}\n"                             \
    "      - {kind: dropout, at: 1h, for: 10s}\n"                              \
    "      - {kind: spikes, rate: 4, size: 1000, width: 1s}\n"

/* Gaps in w's log other than 1 s (dropouts, spikes' returns), and the
 * readings beyond +-100000 (spikes: the walk never gets that far). */
static void
count_faults(const char *log, long long *gaps, long long *spikes)
{
    long long prev = 0;
    *gaps = *spikes = 0;
    for (const char *line = log; *line; line = strchr(line, '\n') + 1) {
        long long t, v;
        cr_assert_eq(sscanf(line, "%lld w = %lld", &t, &v), 2, "%s", line);
        if (t - prev != PURR_S)
            ++*gaps;
        if (v > 500 || v < -500)
            ++*spikes;
        prev = t;
    }
}

Test(faults, scale_one_changes_nothing)
{
    char *plain = run_log(SCALED, NULL);
    purr_sim_options one = {.has_faults_scale = true, .faults_scale = 1.0};
    char *scaled = run_log(SCALED, &one);
    cr_assert_str_eq(plain, scaled, "scale 1 is the scene's own rates");
    /* A scale that is no scale (negative, NaN) counts as 1. */
    purr_sim_options bad = {.has_faults_scale = true, .faults_scale = -2};
    char *neg = run_log(SCALED, &bad);
    cr_assert_str_eq(plain, neg);
    free(neg);
    free(scaled);
    free(plain);
}

Test(faults, scale_zero_keeps_only_scripted_windows)
{
    purr_sim_options zero = {.has_faults_scale = true, .faults_scale = 0};
    char *log = run_log(SCALED, &zero);
    long long gaps, spikes;
    count_faults(log, &gaps, &spikes);
    cr_assert_eq(spikes, 0);
    /* Only the scripted window: updates at 1h..1h+9s are lost, so one gap
     * (from 3599 s to 3610 s, where the sensor reports again). */
    cr_assert_eq(gaps, 1, "%lld gaps", gaps);
    cr_assert(strstr(log, "\n3599" S " w = "));
    cr_assert(strstr(log, "\n3610" S " w = "));
    cr_assert_null(strstr(log, "\n3605" S " w = "));
    free(log);
}

Test(faults, scale_multiplies_the_rates)
{
    /* Over several seeds, scale 4 brings about four times the random
     * faults of scale 1 (5 seeds of 5 h: ~50 dropouts and ~100 spikes at
     * scale 1; Poisson: a 3-sigma band is inside 2x..6x). */
    long long g1 = 0, s1 = 0, g4 = 0, s4 = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        purr_sim_options a = {.has_seed = true, .seed = seed};
        purr_sim_options b = a;
        b.has_faults_scale = true;
        b.faults_scale = 4;
        long long g, s;
        char *log = run_log(SCALED, &a);
        count_faults(log, &g, &s);
        g1 += g;
        s1 += s;
        free(log);
        log = run_log(SCALED, &b);
        count_faults(log, &g, &s);
        g4 += g;
        s4 += s;
        free(log);
    }
    cr_assert(s4 > 2 * s1 && s4 < 6 * s1, "spikes %lld vs %lld", s4, s1);
    cr_assert(g4 > 2 * g1 && g4 < 6 * g1, "gaps %lld vs %lld", g4, g1);
}
