/* test_determinism.c - purr_sim_compare_runs judges the behaviour, not the
 * scheduler.
 *
 * Two plain runs must be identical transition by transition, so a
 * behaviour that reads the wall clock, or changes between runs only in the
 * order it sets values, is caught. Against a shuffled schedule, values set
 * in one virtual instant may interleave in any order, but every value's
 * own transitions (and so the state at the end of each instant) must
 * match: a behaviour whose outputs depend on which task runs first is
 * still caught, while the pet and failing scenes, whose sensors and tasks
 * meet in the same instants all day, agree under every seed tried. The
 * culprits are registered only here, never in the library; scenes are
 * parsed from strings, and every time is virtual.
 */
#include "sim_test.h"

#include <time.h>

/* ---------------------------------------------------------------------- */
/* Culprits                                                                */
/* ---------------------------------------------------------------------- */

/* "wallclock": on every touch, sets `stamp` to the wall clock's ns. */
static int
wallclock_setup(purr_sim_ctx *ctx)
{
    purr_value *out = purr_sim_output(ctx, "stamp", PURR_T_INT, NULL);
    purr_sim_set_data(ctx, out);
    return out ? 0 : PURR_EFORMAT;
}

static int
wallclock_task(purr_sim_ctx *ctx)
{
    purr_value *stamp = purr_sim_data(ctx);
    purr_value *touched = purr_sim_value(ctx, "touched");
    int rc;
    for (;;) {
        if ((rc = purr_value_wait_transition(touched, purr_match_any(), NULL,
                                             NULL)) < 0)
            return rc;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts); /* the bug under test */
        purr_value_set_int(stamp, (int64_t)ts.tv_nsec + ts.tv_sec);
    }
}

/* Two tasks ("<behaviour>.a" and ".b") woken by every touch, each doing
 * what its behaviour's `act` says with its own name; shared by "racy" and
 * "relay". */
typedef struct pair {
    purr_value *touched, *out;
    void (*act)(purr_value *out, const char *who); /* what a task does */
} pair;

static int
pair_task(pair *p, const char *who)
{
    int rc;
    for (;;) {
        if ((rc = purr_value_wait_transition(p->touched, purr_match_any(), NULL,
                                             NULL)) < 0)
            return rc;
        p->act(p->out, who);
    }
}

static int
pair_a(void *arg)
{
    return pair_task(arg, "a");
}

static int
pair_b(void *arg)
{
    return pair_task(arg, "b");
}

static int
pair_body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "pair.a", pair_a, arg);
    return rc < 0 ? rc : purr_spawn(n, "pair.b", pair_b, arg);
}

static int
pair_run(purr_sim_ctx *ctx)
{
    return purr_nursery_run(pair_body, purr_sim_data(ctx));
}

static int
pair_setup(purr_sim_ctx *ctx, const char *out,
           void (*act)(purr_value *, const char *))
{
    pair *p = purr_sim_alloc(ctx, sizeof *p);
    p->touched = purr_sim_value(ctx, "touched");
    p->out = purr_sim_output(ctx, out, PURR_T_STRING, NULL);
    p->act = act;
    purr_sim_set_data(ctx, p);
    return p->out ? 0 : PURR_EFORMAT;
}

/* "racy": each task writes its name to `last`; the last writer wins, so
 * the state at the end of the instant depends on the order. */
static void
racy_act(purr_value *last, const char *who)
{
    purr_value_set_string(last, who);
}

static int
racy_setup(purr_sim_ctx *ctx)
{
    return pair_setup(ctx, "last", racy_act);
}

/* "relay": each task writes its name to `log`, then "idle"; the state at
 * the end of the instant is always "idle", but the value's own sequence
 * within the instant depends on the order. */
static void
relay_act(purr_value *log, const char *who)
{
    purr_value_set_string(log, who);
    purr_value_set_string(log, "idle");
}

static int
relay_setup(purr_sim_ctx *ctx)
{
    return pair_setup(ctx, "log", relay_act);
}

/* Runs of the current test so far; each culprit's setup counts one, so a
 * behaviour can do something else in the second run of a comparison. */
static int runs;

/* "flip": on the k-th touch sets x and y to k, x first in odd runs and y
 * first in even ones: every value's sequence is the same in every run,
 * only their interleaving within the instant changes. */
typedef struct flip {
    purr_value *touched, *x, *y;
    int run; /* this run's number (from 1) */
} flip;

static int
flip_setup(purr_sim_ctx *ctx)
{
    flip *f = purr_sim_alloc(ctx, sizeof *f);
    f->touched = purr_sim_value(ctx, "touched");
    f->x = purr_sim_output(ctx, "x", PURR_T_INT, NULL);
    f->y = purr_sim_output(ctx, "y", PURR_T_INT, NULL);
    f->run = ++runs;
    purr_sim_set_data(ctx, f);
    return f->x && f->y ? 0 : PURR_EFORMAT;
}

static int
flip_task(purr_sim_ctx *ctx)
{
    flip *f = purr_sim_data(ctx);
    int rc;
    for (int64_t k = 1;; k++) {
        if ((rc = purr_value_wait_transition(f->touched, purr_match_any(), NULL,
                                             NULL)) < 0)
            return rc;
        purr_value *first = f->run % 2 ? f->x : f->y;
        purr_value_set_int(first, k);
        purr_value_set_int(first == f->x ? f->y : f->x, k);
    }
}

/* "extra": sets x to 1 at 1s and to 2 at 4s in every run, and y to 1 at
 * extra_at_ns only in run number extra_run. */
static int extra_run;
static purr_time extra_at_ns;

typedef struct extra {
    purr_value *x, *y;
    bool extra; /* this run sets y */
} extra;

static int
extra_setup(purr_sim_ctx *ctx)
{
    extra *e = purr_sim_alloc(ctx, sizeof *e);
    e->x = purr_sim_output(ctx, "x", PURR_T_INT, NULL);
    e->y = purr_sim_output(ctx, "y", PURR_T_INT, NULL);
    e->extra = ++runs == extra_run;
    purr_sim_set_data(ctx, e);
    return e->x && e->y ? 0 : PURR_EFORMAT;
}

/* Sleeps until deadline, then sets v to i (when v is not NULL). */
static int
set_at(purr_time deadline, purr_value *v, int64_t i)
{
    int rc = purr_sleep_until(deadline);
    if (rc >= 0 && v)
        purr_value_set_int(v, i);
    return rc;
}

static int
extra_task(purr_sim_ctx *ctx)
{
    extra *e = purr_sim_data(ctx);
    purr_value *y = e->extra ? e->y : NULL;
    bool early = extra_at_ns < 4 * PURR_S;
    int rc;
    if ((rc = set_at(PURR_S, e->x, 1)) < 0 ||
        (early && (rc = set_at(extra_at_ns, y, 1)) < 0) ||
        (rc = set_at(4 * PURR_S, e->x, 2)) < 0 ||
        (!early && (rc = set_at(extra_at_ns, y, 1)) < 0))
        return rc;
    return purr_sleep_forever();
}

static void
register_culprits(void)
{
    if (purr_sim_is_registered("wallclock"))
        return;
    purr_assert_ok(
        purr_sim_register("wallclock", wallclock_setup, wallclock_task));
    purr_assert_ok(purr_sim_register("racy", racy_setup, pair_run));
    purr_assert_ok(purr_sim_register("relay", relay_setup, pair_run));
    purr_assert_ok(purr_sim_register("flip", flip_setup, flip_task));
    purr_assert_ok(purr_sim_register("extra", extra_setup, extra_task));
}

/* ---------------------------------------------------------------------- */
/* Scenes                                                                  */
/* ---------------------------------------------------------------------- */

/* Random touches for two hours. */
#define TOUCHES(behaviour)                                                     \
    "name: d\nduration: 2h\nseed: 5\n"                                         \
    "sensors:\n"                                                               \
    "  - {name: touched, type: bool, model: poisson, rate: 30}\n"              \
    "behaviours: [" behaviour "]\n"

/* Touches at exactly 1s, 2s (released) and 3s; ten seconds. */
#define TIMELINE(behaviour)                                                    \
    "name: d\nduration: 10s\n"                                                 \
    "sensors:\n"                                                               \
    "  - {name: touched, type: bool, model: timeline,\n"                       \
    "     points: [[1s, true], [2s, false], [3s, true]]}\n"                    \
    "behaviours: [" behaviour "]\n"

/* scenes/pet.yaml. The pet docks 5min (five battery samples) after the
 * battery went low, in the very instant of the battery's next sample, and
 * the battery and light sample in the same instants now and then, while
 * every touch wakes the mood and purring tasks together. */
static const char pet_scene[] =
    "name: pet\nseed: 42\nduration: 24h\n"
    "sensors:\n"
    "  - {name: battery, type: double, model: battery, start: 60,\n"
    "     drain: 12, charge: 40, docked: docked, sample: 1min}\n"
    "  - {name: touched, type: bool, model: poisson, rate: 6, pulse: 5s}\n"
    "  - {name: light, type: double, model: periodic, shape: sine,\n"
    "     period: 24h, phase: 18h, min: 0, max: 1000, sample: 10min,\n"
    "     noise: 5}\n"
    "behaviours:\n"
    "  - name: pet\n"
    "    params: {low: 20, full: 95, low_for: 5min, purr_for: 2s}\n"
    "expect:\n"
    "  - always: \"battery > 0\"\n"
    "  - eventually: {after: \"battery < 20\", then: docked, within: 10min}\n"
    "  - count: {value: sound, transitions: {min: 1}}\n";

/* scenes/fails.yaml. The lazy pet glances at the battery every 45min, on
 * a battery sample, and docks or leaves in that instant. */
static const char fails_scene[] =
    "name: fails\nseed: 1\nduration: 12h\n"
    "sensors:\n"
    "  - {name: battery, type: double, model: battery, start: 40,\n"
    "     drain: 12, charge: 40, docked: docked, sample: 1min}\n"
    "behaviours:\n"
    "  - name: lazy-pet\n"
    "    params: {low: 20, check_every: 45min}\n"
    "expect:\n"
    "  - always: \"battery > 5\"\n"
    "  - eventually: {after: \"battery < 20\", then: docked, within: 10min}\n"
    "  - count: {value: docked, transitions: {min: 2}}\n";

static purr_scene *
load(const char *text)
{
    purr_scene *sc;
    purr_diag d = {0};
    int rc = purr_scene_parse(text, strlen(text), "test.yaml", &sc, &d);
    cr_assert_eq(rc, 0, "%ld:%ld: %s", d.line, d.column, d.message);
    return sc;
}

/* Compares a plain run with runs shuffled by seeds 1..max, stopping at
 * the first that differs; returns that seed, or 0 when all agree. */
static uint64_t
first_differing_seed(const purr_scene *sc, uint64_t max,
                     purr_sim_divergence *dv /* out */)
{
    purr_diag d = {0};
    for (uint64_t seed = 1; seed <= max; seed++) {
        purr_sim_options shuffled = {.shuffle = true, .shuffle_seed = seed};
        purr_assert_ok(purr_sim_compare_runs(sc, NULL, &shuffled, dv, &d));
        if (dv->differs)
            return seed;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                   */
/* ---------------------------------------------------------------------- */

Test(determinism, identical_runs)
{
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_scene *sc = load(pet_scene);
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs, "%s: %s / %s", dv.value, dv.a, dv.b);
    cr_assert(dv.transitions > 1000);
    cr_assert_eq(dv.transitions, dv.count_a);
    cr_assert_eq(dv.count_a, dv.count_b);
    purr_scene_free(sc);
}

/* Asserts that the scene in text agrees with itself under shuffle seeds
 * 1..10, and returns in how many of those schedules its transitions came
 * in another order than in the plain run (same count, other text). */
static int
agrees_under_ten_shuffles(const char *text)
{
    purr_scene *sc = load(text);
    purr_sim_divergence dv;
    uint64_t seed = first_differing_seed(sc, 10, &dv);
    cr_assert_eq(seed, 0, "seed %llu: at %lld %s: %s / %s",
                 (unsigned long long)seed, (long long)dv.at_ns, dv.value, dv.a,
                 dv.b);
    cr_assert_eq(dv.count_a, dv.count_b);
    cr_assert_eq(dv.transitions, dv.count_a);

    sim_log plain = {0};
    purr_assert_ok(sim_test_run(sc, NULL, &plain));
    int reordered = 0;
    for (uint64_t s = 1; s <= 10; s++) {
        sim_log shuffled = {0};
        purr_sim_options o = {.shuffle = true, .shuffle_seed = s};
        purr_assert_ok(sim_test_run(sc, &o, &shuffled));
        cr_assert_eq(shuffled.count, plain.count);
        reordered += strcmp(shuffled.text, plain.text) != 0;
        free(shuffled.text);
    }
    free(plain.text);
    purr_scene_free(sc);
    return reordered;
}

/* The pet scene agrees with itself under ten shuffled schedules, although
 * its streams really are interleaved differently (so the old check,
 * transition by transition, would have failed it), and although the pet
 * docks in the instant of a battery sample: the battery reads the dock
 * state from before that instant, whichever task runs first. */
Test(determinism, shuffled_pet_scene_agrees)
{
    int reordered = agrees_under_ten_shuffles(pet_scene);
    cr_assert(reordered >= 5, "only %d of 10 schedules reordered", reordered);
}

/* So does the failing scene, whose lazy pet docks and leaves only in
 * instants of battery samples (five of the ten schedules order such an
 * instant otherwise than the plain run). */
Test(determinism, shuffled_fails_scene_agrees)
{
    int reordered = agrees_under_ten_shuffles(fails_scene);
    cr_assert(reordered >= 3, "only %d of 10 schedules reordered", reordered);
}

Test(determinism, wall_clock_is_caught)
{
    register_culprits();
    purr_scene *sc = load(TIMELINE("wallclock"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(dv.differs);
    cr_assert(!dv.order_only);
    /* The first touch is identical; the stamp made in its instant is not. */
    cr_assert_eq(dv.at_ns, PURR_S);
    cr_assert_str_eq(dv.value, "stamp");
    cr_assert_eq(dv.transitions, 0);
    cr_assert_str_neq(dv.a, dv.b);
    cr_assert_null(strchr(dv.a, '('), "%s", dv.a); /* one transition each */
    cr_assert_null(strchr(dv.b, '('), "%s", dv.b);
    purr_scene_free(sc);
}

/* Two tasks woken together both write `last`: the end-of-instant state
 * depends on the order, which a shuffled schedule exposes. */
Test(determinism, last_writer_is_caught_under_shuffle)
{
    register_culprits();
    purr_scene *sc = load(TIMELINE("racy"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs, "%s / %s", dv.a, dv.b);
    /* The same shuffled schedule twice is compared exactly, and agrees. */
    purr_sim_options s3 = {.shuffle = true, .shuffle_seed = 3};
    purr_assert_ok(purr_sim_compare_runs(sc, &s3, &s3, &dv, &d));
    cr_assert(!dv.differs, "%s / %s", dv.a, dv.b);

    cr_assert_neq(first_differing_seed(sc, 16, &dv), 0);
    cr_assert(!dv.order_only);
    cr_assert_str_eq(dv.value, "last");
    cr_assert(dv.at_ns == PURR_S || dv.at_ns == 2 * PURR_S ||
                  dv.at_ns == 3 * PURR_S,
              "%lld", (long long)dv.at_ns);
    /* Before it, one transition of touched and two of last per instant. */
    cr_assert_eq(dv.transitions, 3 * (uint64_t)(dv.at_ns / PURR_S - 1));
    /* FIFO runs a then b; the shuffled run ran b first (which is no
     * transition when last is already "b", after the first instant). */
    cr_assert_str_eq(dv.a, "\"b\" (2 transitions: \"a\", then \"b\")");
    if (dv.at_ns == PURR_S)
        cr_assert_str_eq(dv.b, "\"a\" (2 transitions: \"b\", then \"a\")");
    else
        cr_assert_str_eq(dv.b, "\"a\"");
    purr_scene_free(sc);
}

/* Two tasks woken together each write `log` twice, ending "idle" either
 * way: the state at the end of the instant agrees, but the value's own
 * sequence does not. */
Test(determinism, own_sequence_is_caught_under_shuffle)
{
    register_culprits();
    purr_scene *sc = load(TIMELINE("relay"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs, "%s / %s", dv.a, dv.b);

    cr_assert_neq(first_differing_seed(sc, 16, &dv), 0);
    cr_assert(!dv.order_only);
    cr_assert_str_eq(dv.value, "log");
    cr_assert_str_eq(dv.a, "\"idle\" (4 transitions: \"a\", then \"idle\", "
                           "then \"b\", then \"idle\")");
    cr_assert_str_eq(dv.b, "\"idle\" (4 transitions: \"b\", then \"idle\", "
                           "then \"a\", then \"idle\")");
    cr_assert_eq(dv.count_a, dv.count_b);
    purr_scene_free(sc);
}

/* The second run sets x and y in the other order: nothing a value does
 * changes, so a shuffled comparison accepts it, but two plain runs must
 * be identical, and are not. */
Test(determinism, plain_runs_must_match_in_order)
{
    register_culprits();
    purr_scene *sc = load(TIMELINE("flip"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    runs = 0;
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(dv.differs);
    cr_assert(dv.order_only);
    cr_assert_eq(dv.at_ns, PURR_S);
    cr_assert_eq(dv.transitions, 0);
    cr_assert_str_eq(dv.value, "x");
    cr_assert_str_eq(dv.a, "x = 1, y = 1");
    cr_assert_str_eq(dv.b, "y = 1, x = 1");

    runs = 0;
    purr_sim_options shuffled = {.shuffle = true, .shuffle_seed = 1};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, &shuffled, &dv, &d));
    cr_assert(!dv.differs, "%s: %s / %s", dv.value, dv.a, dv.b);
    cr_assert_eq(dv.transitions, 9); /* 3 touches, 3 x, 3 y */
    purr_scene_free(sc);
}

/* Checks a comparison of "extra" where only run `in_run` sets y at
 * `at_ns`; the other run has no transition there. */
static void
check_extra(const purr_scene *sc, int in_run, purr_time at_ns)
{
    purr_sim_divergence dv;
    purr_diag d = {0};
    runs = 0;
    extra_run = in_run;
    extra_at_ns = at_ns;
    purr_sim_options shuffled = {.shuffle = true, .shuffle_seed = 2};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, &shuffled, &dv, &d));
    cr_assert(dv.differs, "y at %lld in run %d", (long long)at_ns, in_run);
    cr_assert(!dv.order_only);
    cr_assert_eq(dv.at_ns, at_ns);
    cr_assert_str_eq(dv.value, "y");
    cr_assert_str_eq(in_run == 1 ? dv.a : dv.b, "1");
    cr_assert_str_eq(in_run == 1 ? dv.b : dv.a, "0 (no transition)");
    cr_assert_eq(in_run == 1 ? dv.count_a : dv.count_b,
                 (in_run == 1 ? dv.count_b : dv.count_a) + 1);
}

/* A transition present in one run and missing in the other: in an instant
 * both runs have (2s, touched released), in one only the run with it has
 * (2.5s), and after everything else the other run did (9s, so the
 * difference shows when a run ends). */
Test(determinism, missing_transition_is_caught)
{
    register_culprits();
    purr_scene *sc = load(TIMELINE("extra"));
    purr_time at[] = {2 * PURR_S, 2500 * PURR_MS, 9 * PURR_S};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        check_extra(sc, 1, at[i]);
        check_extra(sc, 2, at[i]);
    }
    /* Without the extra set the runs agree. */
    purr_sim_divergence dv;
    purr_diag d = {0};
    runs = 0;
    extra_run = 0;
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs, "%s: %s / %s", dv.value, dv.a, dv.b);
    cr_assert_eq(dv.transitions, 5); /* touched 3, x 2 */
    purr_scene_free(sc);
}
