/* test_determinism.c - purr_sim_compare_runs catches behaviours that read
 * the wall clock or depend on the order tasks run in. The two culprits
 * are registered only here, never in the library. */
#include "sim_test.h"

#include <time.h>

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

/* "racy": two tasks wake on the same touch; each writes its own name to
 * `last`, so what remains depends on which ran last. */
typedef struct racy {
    purr_value *touched, *last;
} racy;

static int
racy_setup(purr_sim_ctx *ctx)
{
    racy *r = purr_sim_alloc(ctx, sizeof *r);
    r->touched = purr_sim_value(ctx, "touched");
    r->last = purr_sim_output(ctx, "last", PURR_T_STRING, NULL);
    purr_sim_set_data(ctx, r);
    return r->last ? 0 : PURR_EFORMAT;
}

static int
racer(racy *r, const char *name)
{
    int rc;
    for (;;) {
        if ((rc = purr_value_wait_transition(r->touched, purr_match_any(),
                                             NULL, NULL)) < 0)
            return rc;
        purr_value_set_string(r->last, name);
    }
}

static int
racer_a(void *arg)
{
    return racer(arg, "a");
}

static int
racer_b(void *arg)
{
    return racer(arg, "b");
}

static int
racy_body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "racy.a", racer_a, arg);
    return rc < 0 ? rc : purr_spawn(n, "racy.b", racer_b, arg);
}

static int
racy_task(purr_sim_ctx *ctx)
{
    return purr_nursery_run(racy_body, purr_sim_data(ctx));
}

static void
register_culprits(void)
{
    if (!purr_sim_is_registered("wallclock")) {
        purr_assert_ok(
            purr_sim_register("wallclock", wallclock_setup, wallclock_task));
        purr_assert_ok(purr_sim_register("racy", racy_setup, racy_task));
    }
}

#define TOUCHES(behaviour)                                                     \
    "name: d\nduration: 2h\nseed: 5\n"                                         \
    "sensors:\n"                                                               \
    "  - {name: touched, type: bool, model: poisson, rate: 30}\n"              \
    "behaviours: [" behaviour "]\n"

static purr_scene *
load(const char *text)
{
    purr_scene *sc;
    purr_diag d = {0};
    int rc = sim_test_load(text, &sc, &d);
    cr_assert_eq(rc, 0, "%ld:%ld: %s", d.line, d.column, d.message);
    return sc;
}

Test(determinism, identical_runs)
{
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_scene *sc = load("name: d\nduration: 2h\nseed: 5\nsensors:\n"
              "  - {name: touched, type: bool, model: poisson, rate: 30}\n"
              "  - {name: battery, type: double, model: constant, value: 50}\n"
              "behaviours: [pet]\n");
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs, "%s / %s", dv.a, dv.b);
    cr_assert(dv.transitions > 50);
    cr_assert_eq(dv.transitions, dv.count_a);
    cr_assert_eq(dv.count_a, dv.count_b);
    purr_scene_free(sc);
}

Test(determinism, catches_wall_clock)
{
    register_culprits();
    purr_scene *sc = load(TOUCHES("wallclock"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(dv.differs);
    /* The first touch is identical; the stamp that follows it is not. */
    cr_assert_eq(dv.transitions, 1);
    cr_assert_not_null(strstr(dv.a, " stamp = "), "%s", dv.a);
    cr_assert_not_null(strstr(dv.b, " stamp = "), "%s", dv.b);
    purr_scene_free(sc);
}

Test(determinism, catches_task_order)
{
    register_culprits();
    purr_scene *sc = load(TOUCHES("racy"));
    purr_sim_divergence dv;
    purr_diag d = {0};
    /* FIFO twice: identical. */
    purr_assert_ok(purr_sim_compare_runs(sc, NULL, NULL, &dv, &d));
    cr_assert(!dv.differs);
    /* FIFO against shuffled schedules: some seed makes b run first. */
    bool caught = false;
    for (uint64_t seed = 1; seed <= 8 && !caught; seed++) {
        purr_sim_options shuffled = {.shuffle = true, .shuffle_seed = seed};
        purr_assert_ok(purr_sim_compare_runs(sc, NULL, &shuffled, &dv, &d));
        caught = dv.differs;
    }
    cr_assert(caught);
    cr_assert_not_null(strstr(dv.a, " last = "), "%s", dv.a);
    purr_scene_free(sc);
}
