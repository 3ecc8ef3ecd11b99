/* fma_model.h - a sensor model and a behaviour whose results change when
 * a*b + c is contracted into a fused multiply-add, compiled three times
 * into test_fma (fma_fast.c, fma_purr.c, fma_ref.c) under three names.
 *
 * Include it after defining FMA_NAME (fma_fast, fma_purr or fma_ref): the
 * functions are FMA_NAME_sensor, FMA_NAME_setup and FMA_NAME_task, and the
 * behaviour registers as "FMA_NAME". Nothing here differs between the
 * three: only the flags they are compiled with do (tests/sim/CMakeLists.txt).
 */
#include <purr/purr.h>
#include <purr/sim.h>

#include <math.h>

#define FMA_CAT2(a, b) a##_##b
#define FMA_CAT(a, b) FMA_CAT2(a, b)
#define FMA_SYM(what) FMA_CAT(FMA_NAME, what)

double FMA_SYM(sensor)(double frac, double gaussian);
int FMA_SYM(setup)(purr_sim_ctx *ctx);
int FMA_SYM(task)(purr_sim_ctx *ctx);

/* The periodic sensor with noise, as sim/sensors.c computes it: a sine
 * between lo and hi at phase frac of its period, plus sigma times a
 * standard normal draw. Two products feed two sums. */
double
FMA_SYM(sensor)(double frac, double gaussian)
{
    const double lo = 0, hi = 1000, sigma = 5;
    double x = (lo + hi) / 2 + (hi - lo) / 2 * purr_math_sin(2 * M_PI * frac);
    return x + sigma * gaussian;
}

/* The behaviour: follows `light` with an exponential filter (estimate)
 * and integrates it over time (exposure, lux hours), as a robot would
 * smooth a reading and keep a dead-reckoned sum. */
typedef struct fma_state {
    purr_value *light, *estimate, *exposure;
    double est, sum;
    purr_time last_ns;
} fma_state;

int
FMA_SYM(setup)(purr_sim_ctx *ctx)
{
    fma_state *s = purr_sim_alloc(ctx, sizeof *s);
    s->light = purr_sim_value(ctx, "light");
    s->estimate = purr_sim_output(ctx, "estimate", PURR_T_DOUBLE, NULL);
    s->exposure = purr_sim_output(ctx, "exposure", PURR_T_DOUBLE, NULL);
    if (!s->light || !s->estimate || !s->exposure)
        return PURR_EFORMAT;
    purr_sim_set_data(ctx, s);
    return 0;
}

int
FMA_SYM(task)(purr_sim_ctx *ctx)
{
    fma_state *s = purr_sim_data(ctx);
    const double alpha = 0.1, per_hour = 1.0 / 3600e9;
    purr_datum now;
    int rc;
    for (;;) {
        if ((rc = purr_value_wait_transition(s->light, purr_match_any(), &now,
                                             NULL)) < 0)
            return rc;
        double x = purr_datum_as_double(&now);
        purr_time t = purr_now();
        s->est = s->est + alpha * (x - s->est);
        s->sum = s->sum + x * (double)(t - s->last_ns) * per_hour;
        s->last_ns = t;
        purr_datum_free(&now);
        purr_value_set_double(s->estimate, s->est);
        purr_value_set_double(s->exposure, s->sum);
    }
}
