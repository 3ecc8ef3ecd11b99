/* test_fma.c - the FMA case: contraction of a*b + c changes a sensor's and
 * a behaviour's results, and purr's flags keep it from happening.
 *
 * fma_model.h holds a sensor model (the periodic sensor with noise) and a
 * behaviour (an exponential filter and a time integral), compiled into
 * this binary three times (tests/sim/CMakeLists.txt):
 *   fma_fast  -mfma -ffp-contract=fast: what GCC does on aarch64 by
 *             default, and on x86-64 with -mfma or -march=native;
 *   fma_purr  -mfma, with the flags purr's targets export
 *             (-ffp-contract=off): FMA instructions available, not used;
 *   fma_ref   -mno-fma: no fused multiply-add exists to use, the unfused
 *             reference.
 * fma_purr must equal fma_ref exactly; fma_fast must differ, or the test
 * would not show that the difference is caught. The -mfma objects only run
 * on a CPU with FMA (x86-64 since Haswell): elsewhere the tests skip. */
#include "sim_test.h"

#include <stdint.h>

double fma_fast_sensor(double frac, double gaussian);
double fma_purr_sensor(double frac, double gaussian);
double fma_ref_sensor(double frac, double gaussian);
int fma_fast_setup(purr_sim_ctx *ctx);
int fma_purr_setup(purr_sim_ctx *ctx);
int fma_ref_setup(purr_sim_ctx *ctx);
int fma_fast_task(purr_sim_ctx *ctx);
int fma_purr_task(purr_sim_ctx *ctx);
int fma_ref_task(purr_sim_ctx *ctx);

static void
need_fma(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("fma") || !__builtin_cpu_supports("avx"))
        cr_skip_test("this CPU has no FMA: the -mfma builds cannot run");
}

static uint64_t
bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* splitmix64, as the simulator's streams. */
static uint64_t
next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double
uniform(uint64_t *state)
{
    return (double)(next(state) >> 11) * 0x1.0p-53;
}

Test(fma, sensor_model)
{
    need_fma();
    uint64_t state = 42;
    int n = 100000, fast_differs = 0, purr_differs = 0;
    for (int i = 0; i < n; i++) {
        double frac = uniform(&state);
        double g = 4 * uniform(&state) - 2;
        double ref = fma_ref_sensor(frac, g);
        fast_differs += bits(fma_fast_sensor(frac, g)) != bits(ref);
        purr_differs += bits(fma_purr_sensor(frac, g)) != bits(ref);
    }
    cr_log_info("sensor: %d of %d samples differ under contraction",
                fast_differs, n);
    cr_assert_eq(purr_differs, 0,
                 "%d samples differ from the unfused reference with purr's "
                 "flags",
                 purr_differs);
    cr_assert_gt(fast_differs, 0,
                 "contraction changed no sample: this test "
                 "would not catch it");
}

static const char scene_fmt[] = "name: fma\n"
                                "seed: 42\n"
                                "duration: 24h\n"
                                "sensors:\n"
                                "  - name: light\n"
                                "    type: double\n"
                                "    model: periodic\n"
                                "    shape: sine\n"
                                "    period: 24h\n"
                                "    min: 0\n"
                                "    max: 1000\n"
                                "    sample: 1min\n"
                                "    noise: 5\n"
                                "behaviours:\n"
                                "  - %s\n";

/* Runs the scene with behaviour name; log receives the outputs. */
static void
run_behaviour(const char *name, sim_log *log)
{
    char text[sizeof scene_fmt + 32];
    snprintf(text, sizeof text, scene_fmt, name);
    purr_scene *scene = NULL;
    purr_diag diag = {0};
    purr_assert_ok(sim_test_load(text, &scene, &diag));
    purr_assert_ok(sim_test_run(scene, NULL, log));
    purr_scene_free(scene);
}

/* The number of lines that differ between two logs of as many lines. */
static size_t
lines_differing(const char *a, const char *b)
{
    size_t n = 0;
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        if (!ea || !eb)
            break;
        n += ea - a != eb - b || memcmp(a, b, (size_t)(ea - a)) != 0;
        a = ea + 1;
        b = eb + 1;
    }
    return n;
}

Test(fma, behaviour_in_a_scene)
{
    need_fma();
    purr_assert_ok(
        purr_sim_register("fma_fast", fma_fast_setup, fma_fast_task));
    purr_assert_ok(
        purr_sim_register("fma_purr", fma_purr_setup, fma_purr_task));
    purr_assert_ok(purr_sim_register("fma_ref", fma_ref_setup, fma_ref_task));
    sim_log fast = {0}, purr = {0}, ref = {0};
    run_behaviour("fma_fast", &fast);
    run_behaviour("fma_purr", &purr);
    run_behaviour("fma_ref", &ref);
    size_t count = ref.count, fast_count = fast.count;
    bool purr_same = strcmp(purr.text, ref.text) == 0;
    size_t differ = lines_differing(fast.text, ref.text);
    free(fast.text);
    free(purr.text);
    free(ref.text);
    cr_log_info("behaviour: %zu of %zu transitions differ under contraction",
                differ, count);
    cr_assert_gt(count, 2000,
                 "a day of samples each minute, and both "
                 "outputs");
    cr_assert(purr_same, "purr's flags changed the behaviour's results");
    cr_assert_eq(fast_count, count);
    cr_assert_gt(differ, 0,
                 "contraction changed no transition: this test "
                 "would not catch it");
}
