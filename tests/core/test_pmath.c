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

#include <purr/pmath.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

enum fn { SIN, COS, LOG, LOG1P, EXP };

static const char *const fn_names[] = {"sin", "cos", "log", "log1p", "exp"};

static double
call(enum fn f, double x)
{
    switch (f) {
    case SIN: return purr_math_sin(x);
    case COS: return purr_math_cos(x);
    case LOG: return purr_math_log(x);
    case LOG1P: return purr_math_log1p(x);
    default: return purr_math_exp(x);
    }
}

static double
libm(enum fn f, double x)
{
    switch (f) {
    case SIN: return sin(x);
    case COS: return cos(x);
    case LOG: return log(x);
    case LOG1P: return log1p(x);
    default: return exp(x);
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

static const struct known {
    enum fn fn;
    uint64_t x, y; /* the argument's and the result's bits */
} known[] = {
    {SIN, 0x3e10000000000000u, 0x3e10000000000000u},
    {SIN, 0x3fb999999999999au, 0x3fb98eaecb8bcb2cu},
    {SIN, 0x3fe0000000000000u, 0x3fdeaee8744b05f0u},
    {SIN, 0x3fe921fb54442d18u, 0x3fe6a09e667f3bccu},
    {SIN, 0x3ff0000000000000u, 0x3feaed548f090ceeu},
    {SIN, 0x3ff921fb54442d18u, 0x3ff0000000000000u},
    {SIN, 0x4000000000000000u, 0x3fed18f6ead1b446u},
    {SIN, 0x400921fb54442d18u, 0x3ca1a62633145c07u},
    {SIN, 0x4010000000000000u, 0xbfe837b9dddc1eaeu},
    {SIN, 0x4012d97c7f3321d2u, 0xbff0000000000000u},
    {SIN, 0x4016000000000000u, 0xbfe693c94e0ab057u},
    {SIN, 0x401921fb54442d18u, 0xbcb1a62633145c07u},
    {SIN, 0xbfd3333333333333u, 0xbfd2e9cd95baba33u},
    {SIN, 0xc004000000000000u, 0xbfe326af0dcfcab0u},
    {SIN, 0x4059000000000000u, 0xbfe03425b78c4db8u},
    {SIN, 0x40c81cd6c8b43958u, 0xbfe687d5890974a5u},
    {SIN, 0x4130000000000000u, 0x3fd526ccb2fc8656u},
    {SIN, 0x3fe921fb54442d18u, 0x3fe6a09e667f3bccu},
    {SIN, 0x3ffe28c731eb6950u, 0x3fee6f0e13445500u},
    {SIN, 0x401197c987c952c4u, 0xbfee6f0e134454ffu},
    {SIN, 0x401921f9ae9bdfe0u, 0xbeda5a84d383aae2u},
    {SIN, 0x400921fb54442d19u, 0xbcb72cece675d1fdu},
    {SIN, 0x401921fb54442d18u, 0xbcb1a62633145c07u},
    {COS, 0x3e10000000000000u, 0x3ff0000000000000u},
    {COS, 0x3fb999999999999au, 0x3fefd712f9a817c1u},
    {COS, 0x3fe0000000000000u, 0x3fec1528065b7d50u},
    {COS, 0x3fe921fb54442d18u, 0x3fe6a09e667f3bcdu},
    {COS, 0x3ff0000000000000u, 0x3fe14a280fb5068cu},
    {COS, 0x3ff921fb54442d18u, 0x3c91a62633145c07u},
    {COS, 0x4000000000000000u, 0xbfdaa22657537205u},
    {COS, 0x400921fb54442d18u, 0xbff0000000000000u},
    {COS, 0x4010000000000000u, 0xbfe4eaa606db24c1u},
    {COS, 0x4012d97c7f3321d2u, 0xbcaa79394c9e8a0au},
    {COS, 0x4016000000000000u, 0x3fe6ad6c3c07d448u},
    {COS, 0x401921fb54442d18u, 0x3ff0000000000000u},
    {COS, 0xbfd3333333333333u, 0x3fee921dd42f09bau},
    {COS, 0xc004000000000000u, 0xbfe9a2f7ef858b7du},
    {COS, 0x4059000000000000u, 0x3feb981dbf665fdfu},
    {COS, 0x40c81cd6c8b43958u, 0x3fe6b94c3bbe24b8u},
    {COS, 0x4130000000000000u, 0x3fee33ada92fe2aeu},
    {COS, 0x3fe921fb54442d18u, 0x3fe6a09e667f3bcdu},
    {COS, 0x3ffe28c731eb6950u, 0xbfd3c6ef372fe94eu},
    {COS, 0x401197c987c952c4u, 0xbfd3c6ef372fe952u},
    {COS, 0x401921f9ae9bdfe0u, 0x3feffffffffd497du},
    {COS, 0x400921fb54442d19u, 0xbff0000000000000u},
    {COS, 0x401921fb54442d18u, 0x3ff0000000000000u},
    {LOG, 0x0000000000000001u, 0xc0874385446d71c3u},
    {LOG, 0x01a56e1fc2f8f359u, 0xc085963447f87fb5u},
    {LOG, 0x3ddb7cdfd9d7bdbbu, 0xc037069e2aa2aa5bu},
    {LOG, 0x3fb999999999999au, 0xc0026bb1bbb55515u},
    {LOG, 0x3fe0000000000000u, 0xbfe62e42fefa39efu},
    {LOG, 0x3fe6a09e667f3bcdu, 0xbfd62e42fefa39eeu},
    {LOG, 0x3fefffffca501acbu, 0xbe7ad7f2b1049b9fu},
    {LOG, 0x3ff0000000000000u, 0x0000000000000000u},
    {LOG, 0x3ff000001ad7f29bu, 0x3e7ad7f2847b6492u},
    {LOG, 0x3ff8000000000000u, 0x3fd9f323ecbf984cu},
    {LOG, 0x4000000000000000u, 0x3fe62e42fefa39efu},
    {LOG, 0x4005bf0a8b145769u, 0x3ff0000000000000u},
    {LOG, 0x4024000000000000u, 0x40026bb1bbb55516u},
    {LOG, 0x40c81cd6c8b43958u, 0x4022d79559791e31u},
    {LOG, 0x7e37e43c8800759cu, 0x4085963447f87fb5u},
    {LOG, 0x7fefffffffffffffu, 0x40862e42fefa39efu},
    {LOG, 0x3fefffffffffffffu, 0xbca0000000000000u},
    {LOG1P, 0xbfeffffffff24190u, 0xc037069e293f4c5cu},
    {LOG1P, 0xbfe8000000000000u, 0xbff62e42fefa39efu},
    {LOG1P, 0xbfe0000000000000u, 0xbfe62e42fefa39efu},
    {LOG1P, 0xbfd28f5c28f5c28fu, 0xbfd5eb5c7907e4c8u},
    {LOG1P, 0xbfb999999999999au, 0xbfbaf8e8210a415eu},
    {LOG1P, 0xbddb7cdfd9d7bdbbu, 0xbddb7cdfd9dda4e3u},
    {LOG1P, 0x3bc79ca10c924223u, 0x3bc79ca10c924223u},
    {LOG1P, 0x3ddb7cdfd9d7bdbbu, 0x3ddb7cdfd9d1d693u},
    {LOG1P, 0x3fb999999999999au, 0x3fb8663f793c46c7u},
    {LOG1P, 0x3fd3333333333333u, 0x3fd0ca937be1b9dcu},
    {LOG1P, 0x3fe0000000000000u, 0x3fd9f323ecbf984cu},
    {LOG1P, 0x3ff0000000000000u, 0x3fe62e42fefa39efu},
    {LOG1P, 0x4008000000000000u, 0x3ff62e42fefa39efu},
    {LOG1P, 0x4202a05f20000000u, 0x4037069e2aa3184eu},
    {LOG1P, 0x7e37e43c8800759cu, 0x4085963447f87fb5u},
    {LOG1P, 0xbfefffffffffffffu, 0xc0425e4f7b2737fau},
    {LOG1P, 0xbca0000000000000u, 0xbca0000000000000u},
    {EXP, 0xc087480000000000u, 0x0000000000000001u},
    {EXP, 0xc087240000000000u, 0x0000000000000033u},
    {EXP, 0xc086240000000000u, 0x000e6cf6d08897acu},
    {EXP, 0xc034000000000000u, 0x3e21b48655f37267u},
    {EXP, 0xbff0000000000000u, 0x3fd78b56362cef38u},
    {EXP, 0xbfd3333333333333u, 0x3fe7b4c869c37c05u},
    {EXP, 0xbddb7cdfd9d7bdbbu, 0x3feffffffff24190u},
    {EXP, 0x3c32725dd1d243acu, 0x3ff0000000000000u},
    {EXP, 0x3fd0000000000000u, 0x3ff48b5e3c3e8186u},
    {EXP, 0x3fe0000000000000u, 0x3ffa61298e1e069cu},
    {EXP, 0x3ff0000000000000u, 0x4005bf0a8b14576au},
    {EXP, 0x40026bb1bbb55516u, 0x4024000000000001u},
    {EXP, 0x4024000000000000u, 0x40d5829dcf950560u},
    {EXP, 0x4059000000000000u, 0x48f3494a9b171bf5u},
    {EXP, 0x4085e00000000000u, 0x7f0d945df4f8ec8eu},
    {EXP, 0x40862d999999999au, 0x7fed75ae7a50ee14u},
};

Test(pmath, known_bits)
{
    size_t bad = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        double x = from_bits(known[i].x);
        double y = call(known[i].fn, x);
        if (bits(y) != known[i].y) {
            cr_log_error("%s(%a) = %a (0x%016llx), want %a (0x%016llx)",
                         fn_names[known[i].fn], x, y,
                         (unsigned long long)bits(y),
                         from_bits(known[i].y),
                         (unsigned long long)known[i].y);
            bad++;
        }
    }
    cr_assert_eq(bad, 0, "%zu of %zu results differ from the table", bad,
                 sizeof known / sizeof known[0]);
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
check_range(enum fn f, double lo, double hi, int elo, int ehi)
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
        uint64_t d = ulps(call(f, x), libm(f, x));
        n++;
        same += d == 0;
        if (d > worst) {
            worst = d;
            worst_x = x;
        }
    }
    cr_log_info("%s on [%g, %g]: %.2f%% identical to the C library, "
                "at most %llu ulp apart", fn_names[f], lo, hi,
                100.0 * (double)same / (double)n, (unsigned long long)worst);
    cr_assert_leq(worst, 1, "%s(%a): %a, the C library says %a", fn_names[f],
                  worst_x, call(f, worst_x), libm(f, worst_x));
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
