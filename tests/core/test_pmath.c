/* test_pmath.c - purr's own sin, cos, log, log1p and exp (pmath.h).
 *
 * Two kinds of test. The known-bits table pins the exact output of each
 * function on arguments chosen across their ranges (the sensor models'
 * ranges, reduction boundaries near multiples of pi/2, subnormals, the
 * overflow edges): the table was produced by these functions on x86-64
 * and checked to be identical on aarch64, and every build on every machine
 * must reproduce it bit for bit, since recordings depend on it. The
 * accuracy tests compare with this machine's C library on many random
 * arguments: the C library is correctly rounded or nearly so, and purr's
 * functions stay within 1 ulp of it (within 1 ulp of the true value).
 */
#include "purr_test.h"

#include "pmath_known.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static double
libm(enum pmath_fn f, double x)
{
    switch (f) {
    case SIN:
        return sin(x);
    case COS:
        return cos(x);
    case LOG:
        return log(x);
    case LOG1P:
        return log1p(x);
    default:
        return exp(x);
    }
}

static uint64_t
bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double
from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The distance in ulps between two finite doubles of any sign. */
static uint64_t
ulps(double a, double b)
{
    uint64_t x = bits(a), y = bits(b);
    /* Map the sign-magnitude bits onto one monotonic scale. */
    x = x >> 63 ? UINT64_C(0x8000000000000000) - (x & ~(UINT64_C(1) << 63))
                : x + UINT64_C(0x8000000000000000);
    y = y >> 63 ? UINT64_C(0x8000000000000000) - (y & ~(UINT64_C(1) << 63))
                : y + UINT64_C(0x8000000000000000);
    return x > y ? x - y : y - x;
}

/* ---------------------------------------------------------------------- */
/* Known bits                                                              */
/* ---------------------------------------------------------------------- */

/* The table is in pmath_known.h. */
Test(pmath, known_bits)
{
    size_t bad = 0;
    const struct known *known = pmath_known; /* the table */
    for (size_t i = 0; i < PMATH_KNOWN_COUNT; i++) {
        double x = from_bits(known[i].x);
        double y = pmath_call(known[i].fn, x);
        if (bits(y) != known[i].y) {
            cr_log_error("%s(%a) = %a (0x%016llx), want %a (0x%016llx)",
                         pmath_fn_names[known[i].fn], x, y,
                         (unsigned long long)bits(y), from_bits(known[i].y),
                         (unsigned long long)known[i].y);
            bad++;
        }
    }
    cr_assert_eq(bad, 0, "%zu of %zu results differ from the table", bad,
                 PMATH_KNOWN_COUNT);
}

/* ---------------------------------------------------------------------- */
/* Special values                                                          */
/* ---------------------------------------------------------------------- */

Test(pmath, special_values)
{
    cr_assert_eq(bits(purr_math_sin(-0.0)), bits(-0.0));
    cr_assert_eq(bits(purr_math_sin(0.0)), bits(0.0));
    cr_assert_eq(purr_math_cos(0.0), 1.0);
    cr_assert(isnan(purr_math_sin(INFINITY)));
    cr_assert(isnan(purr_math_cos(-INFINITY)));
    cr_assert(isnan(purr_math_sin(NAN)));
    /* Beyond the reduction's range: NaN, not a guess. */
    cr_assert(isnan(purr_math_sin(nextafter(PURR_MATH_TRIG_MAX, INFINITY))));
    cr_assert(isnan(purr_math_cos(-2e6)));
    cr_assert(!isnan(purr_math_cos(-PURR_MATH_TRIG_MAX)));

    cr_assert_eq(purr_math_log(1.0), 0.0);
    cr_assert_eq(purr_math_log(0.0), -INFINITY);
    cr_assert_eq(purr_math_log(-0.0), -INFINITY);
    cr_assert(isnan(purr_math_log(-1.0)));
    cr_assert_eq(purr_math_log(INFINITY), INFINITY);
    cr_assert(isnan(purr_math_log(NAN)));

    cr_assert_eq(bits(purr_math_log1p(-0.0)), bits(-0.0));
    cr_assert_eq(bits(purr_math_log1p(0.0)), bits(0.0));
    cr_assert_eq(purr_math_log1p(0x1p-60), 0x1p-60);
    cr_assert_eq(purr_math_log1p(-1.0), -INFINITY);
    cr_assert(isnan(purr_math_log1p(-1.5)));
    cr_assert_eq(purr_math_log1p(INFINITY), INFINITY);

    cr_assert_eq(purr_math_exp(0.0), 1.0);
    cr_assert_eq(purr_math_exp(-0.0), 1.0);
    cr_assert_eq(purr_math_exp(710.0), INFINITY);
    cr_assert_eq(purr_math_exp(INFINITY), INFINITY);
    cr_assert_eq(bits(purr_math_exp(-INFINITY)), bits(0.0));
    cr_assert_eq(bits(purr_math_exp(-746.0)), bits(0.0));
    cr_assert(isnan(purr_math_exp(NAN)));
}

/* ---------------------------------------------------------------------- */
/* Accuracy against the C library                                          */
/* ---------------------------------------------------------------------- */

/* splitmix64, so the arguments are the same on every run and machine. */
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

#define DRAWS 200000

/* Compares fn with the C library on DRAWS arguments lo + (hi - lo) u, and
 * on as many with a random binary exponent in [elo, ehi) when elo < ehi:
 * at most 1 ulp apart, everywhere. */
static void
check_range(enum pmath_fn f, double lo, double hi, int elo, int ehi)
{
    uint64_t state = 0x5eed0000u + (uint64_t)f;
    uint64_t worst = 0, same = 0, n = 0;
    double worst_x = 0;
    for (int i = 0; i < 2 * DRAWS; i++) {
        double x;
        if (i < DRAWS)
            x = lo + (hi - lo) * uniform(&state);
        else if (elo < ehi)
            x = ldexp(1.0 + uniform(&state),
                      elo + (int)(next(&state) % (uint64_t)(ehi - elo)));
        else
            break;
        uint64_t d = ulps(pmath_call(f, x), libm(f, x));
        n++;
        same += d == 0;
        if (d > worst) {
            worst = d;
            worst_x = x;
        }
    }
    cr_log_info("%s on [%g, %g]: %.2f%% identical to the C library, "
                "at most %llu ulp apart",
                pmath_fn_names[f], lo, hi, 100.0 * (double)same / (double)n,
                (unsigned long long)worst);
    cr_assert_leq(worst, 1, "%s(%a): %a, the C library says %a",
                  pmath_fn_names[f], worst_x, pmath_call(f, worst_x),
                  libm(f, worst_x));
}

Test(pmath, sin_near_libm)
{
    check_range(SIN, 0.0, 2 * M_PI, 0, 0); /* the sensors' range */
    check_range(SIN, -PURR_MATH_TRIG_MAX, PURR_MATH_TRIG_MAX, -40, 20);
}

Test(pmath, cos_near_libm)
{
    check_range(COS, 0.0, 2 * M_PI, 0, 0);
    check_range(COS, -PURR_MATH_TRIG_MAX, PURR_MATH_TRIG_MAX, -40, 20);
}

Test(pmath, log_near_libm)
{
    check_range(LOG, 0x1p-53, 1.0, -1074, 1024); /* Box-Muller's (0, 1] */
}

Test(pmath, log1p_near_libm)
{
    check_range(LOG1P, -1.0 + 0x1p-53, 0.0, -1074, 1024); /* Poisson gaps */
    check_range(LOG1P, -0.3, 0.42, 0, 0);
}

Test(pmath, exp_near_libm)
{
    check_range(EXP, -745.0, 709.7, -60, 9);
    check_range(EXP, -1.0, 1.0, 0, 0);
}

/* Arguments next to multiples of pi/2, where reduction cancels most
 * digits: sin and cos still agree with the C library. */
Test(pmath, near_multiples_of_pi_over_2)
{
    uint64_t worst = 0;
    for (int k = 1; k < 200000; k += (k < 1000 ? 1 : 997)) {
        double x = (double)k * M_PI_2; /* within a few ulps of k pi/2 */
        for (int d = -2; d <= 2; d++) {
            double y = x;
            for (int j = 0; j < (d < 0 ? -d : d); j++)
                y = nextafter(y, d < 0 ? 0.0 : INFINITY);
            uint64_t a = ulps(purr_math_sin(y), sin(y));
            uint64_t b = ulps(purr_math_cos(y), cos(y));
            worst = a > worst ? a : worst;
            worst = b > worst ? b : worst;
        }
    }
    cr_assert_leq(worst, 1);
}
