/* pmath.c - sin, cos, log, log1p and exp with bits fixed by purr.
 *
 * Sensor noise (Box-Muller: log and cos), periodic sensors (sin) and
 * Poisson arrivals (log1p) feed recordings, and recordings are compared bit
 * for bit across machines, so these results cannot be left to the C
 * library. Each function here is a fixed sequence of IEEE 754 double
 * operations (+, -, *, / and conversions, each correctly rounded, in
 * round-to-nearest), so it returns the same bits on every conforming
 * machine. What could still change them is the compiler fusing a*b + c
 * into one rounding, or evaluating in a wider format (x87); the pragmas
 * and #errors below rule both out for this file whatever flags it is
 * built with (GCC and Clang; purr's build adds -ffp-contract=off as well).
 *
 * The methods, all textbook: arguments are reduced exactly or carried as a
 * double-double (hi + lo), and the reduced function is a Taylor polynomial
 * with enough terms that truncation costs < 0.05 ulp, evaluated by Horner's
 * rule with the large leading terms added last. Coefficients are 1/n!
 * (sin, cos, exp) and 2/(2n+1) (the atanh series behind log), each rounded
 * to nearest. tests/core/test_pmath.c pins the output bits of a table of
 * arguments and checks the accuracy against the C library on many random
 * ones.
 */
#include "purr/pmath.h"

#include <float.h>
#include <math.h> /* NAN and INFINITY only: no libm call is made */
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__FAST_MATH__)
#error "pmath.c must not be built with -ffast-math: it relies on IEEE 754"
#endif
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "pmath.c needs doubles evaluated as doubles (SSE2, not x87)"
#endif
_Static_assert(FLT_RADIX == 2 && DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024,
               "doubles must be IEEE 754 binary64");

/* ---------------------------------------------------------------------- */
/* Bits and error-free transformations                                    */
/* ---------------------------------------------------------------------- */

static uint64_t
bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double
double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 2^e for -1022 <= e <= 1023, exactly. */
static double
pow2(int e)
{
    return double_of((uint64_t)(e + 1023) << 52);
}

/* s + *err == a + b exactly, s = fl(a + b), for any a and b (Knuth's
 * TwoSum: six operations, no branch, no condition on the magnitudes). */
static double
two_sum(double a, double b, double *err /* out */)
{
    double s = a + b;
    double bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* p + *err == a * a exactly, p = fl(a * a), without a fused multiply-add:
 * Dekker's product, a split into two 26-bit halves whose products are
 * exact. Valid for |a| < 2^995 (no overflow in the split). */
static double
two_square(double a, double *err /* out */)
{
    double p = a * a;
    double c = 134217729.0 * a; /* 2^27 + 1 */
    double ahi = c - (c - a);
    double alo = a - ahi;
    *err = ((ahi * ahi - p) + 2.0 * ahi * alo) + alo * alo;
    return p;
}

/* c[0] + z (c[1] + z (c[2] + ... + z c[n-1])), by Horner's rule: one
 * multiplication and one addition per coefficient, innermost first. */
static double
horner(const double *c, int n, double z)
{
    double p = c[n - 1];
    for (int i = n - 2; i >= 0; i--)
        p = c[i] + z * p;
    return p;
}

/* ---------------------------------------------------------------------- */
/* sin and cos                                                             */
/* ---------------------------------------------------------------------- */

/* pi/2 in four parts (Cody and Waite): the first three have 33 significant
 * bits, so k * PIO2_n is exact for |k| < 2^20, and the fourth carries the
 * next 53. Their sum is pi/2 to within 2^-159. */
#define PIO2_1 0x1.921fb54400000p+0
#define PIO2_2 0x1.0b4611a600000p-34
#define PIO2_3 0x1.3198a2e000000p-69
#define PIO2_4 0x1.b839a252049c1p-104
#define INV_PIO2 0x1.45f306dc9c883p-1 /* 2/pi */
#define PIO4 0x1.921fb54442d18p-1     /* pi/4, rounded */

/* Reduces x (|x| <= PURR_MATH_TRIG_MAX) to r = x - k pi/2 with |r| <=
 * pi/4 (to within rounding of k), returned as *hi + *lo with a relative
 * error below 2^-75, and returns k mod 4. x - k*PIO2_1 is exact (both are
 * multiples of 2^-53 or coarser and their difference is below 1), the
 * next two products are exact and their subtraction is error-free
 * (two_sum); only k*PIO2_4 and the sum of the small terms round, at
 * about 2^-136 absolute, and pi/2 itself is short by 2^-139 k. The closest
 * a double up to 2^20 comes to a multiple of pi/2 is about 2^-60, so lo
 * is always far below hi. */
static int
reduce_pio2(double x, double *hi /* out */, double *lo /* out */)
{
    if (x > -PIO4 && x < PIO4) {
        *hi = x;
        *lo = 0.0;
        return 0;
    }
    double kx = x * INV_PIO2;
    double half = kx < 0 ? -0.5 : 0.5;
    int32_t k = (int32_t)(kx + half); /* nearest, ties away from zero */
    double fk = (double)k;
    double a = x - fk * PIO2_1;
    double e1, e2;
    double t = two_sum(a, -(fk * PIO2_2), &e1);
    double u = two_sum(t, -(fk * PIO2_3), &e2);
    double l = (e1 + e2) - fk * PIO2_4;
    double h = u + l;
    *hi = h;
    *lo = l - (h - u); /* exact: |u| > |l| */
    return (int)(k & 3);
}

/* Taylor coefficients of sin: (-1)^n / (2n+1)!, n = 1..8. Up to x^17; the
 * first term left out, x^19/19!, is below 2^-60 relative for |x| <= pi/4. */
static const double sin_c[] = {
    -0x1.5555555555555p-3,  0x1.1111111111111p-7,   -0x1.a01a01a01a01ap-13,
    0x1.71de3a556c734p-19,  -0x1.ae64567f544e4p-26, 0x1.6124613a86d09p-33,
    -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49,
};

/* Taylor coefficients of cos: (-1)^n / (2n)!, n = 2..8. Up to x^16;
 * x^18/18! is below 2^-57 relative for |x| <= pi/4. */
static const double cos_c[] = {
    0x1.5555555555555p-5,   -0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-16,
    -0x1.27e4fb7789f5cp-22, 0x1.1eed8eff8d898p-29,  -0x1.93974a8c07c9dp-37,
    0x1.ae7f3e733b81fp-45,
};

/* sin(hi + lo) for |hi| <= pi/4 and |lo| <= ulp(hi). The answer is hi
 * plus a correction at most 0.08 times as large, so the correction's own
 * rounding errors cost about 0.1 ulp and the last addition 0.5. lo enters
 * to first order, times cos(hi) ~ 1 - hi^2/2. */
static double
sin_kernel(double hi, double lo)
{
    double z = hi * hi;
    double v = z * hi;
    double p = z * horner(sin_c + 1, 7, z);
    return hi + (v * (sin_c[0] + p) + lo * (1.0 - 0.5 * z));
}

/* cos(hi + lo) for |hi| <= pi/4 and |lo| <= ulp(hi). The answer is
 * w = 1 - hi^2/2 (rounded) plus a small correction: the rounding error of
 * w, recovered exactly ((1 - w) and then - hz are exact by Sterbenz's
 * lemma), the rounding error of hi^2 (two_square), the tail of the series,
 * and lo to first order (times -sin(hi) ~ -hi). */
static double
cos_kernel(double hi, double lo)
{
    double zlo;
    double z = two_square(hi, &zlo);
    double hz = 0.5 * z;
    double w = 1.0 - hz;
    double tail = z * z * horner(cos_c, 7, z);
    double corr = ((1.0 - w) - hz) - 0.5 * zlo;
    return w + (corr + (tail - hi * lo));
}

double
purr_math_sin(double x)
{
    if (!(x >= -PURR_MATH_TRIG_MAX && x <= PURR_MATH_TRIG_MAX))
        return NAN; /* NaN, infinities, and arguments too large to reduce */
    if (x == 0.0)
        return x; /* keeps the sign of zero, which hi + (+0) would lose */
    double hi, lo;
    switch (reduce_pio2(x, &hi, &lo)) {
    case 0:
        return sin_kernel(hi, lo);
    case 1:
        return cos_kernel(hi, lo);
    case 2:
        return -sin_kernel(hi, lo);
    default:
        return -cos_kernel(hi, lo);
    }
}

double
purr_math_cos(double x)
{
    if (!(x >= -PURR_MATH_TRIG_MAX && x <= PURR_MATH_TRIG_MAX))
        return NAN;
    double hi, lo;
    switch (reduce_pio2(x, &hi, &lo)) {
    case 0:
        return cos_kernel(hi, lo);
    case 1:
        return -sin_kernel(hi, lo);
    case 2:
        return -cos_kernel(hi, lo);
    default:
        return sin_kernel(hi, lo);
    }
}

/* ---------------------------------------------------------------------- */
/* log and log1p                                                           */
/* ---------------------------------------------------------------------- */

/* ln 2 in two parts: LN2_HI has 42 significant bits, so e * LN2_HI is
 * exact for every binary exponent e of a double. */
#define LN2_HI 0x1.62e42fefa3800p-1
#define LN2_LO 0x1.ef35793c76730p-45
#define SQRT2 0x1.6a09e667f3bcdp+0

/* The atanh series: log(1 + f) = 2 atanh(s) = 2s + s R(s^2) with
 * s = f / (2 + f) and R(z) = sum 2 z^n / (2n + 1). For f in
 * [sqrt(2)/2 - 1, sqrt(2) - 1], |s| <= 0.1716 and z <= 0.0295, and ten
 * terms leave out less than 2^-60. */
static const double log_c[] = {
    0x1.5555555555555p-1, 0x1.999999999999ap-2, 0x1.2492492492492p-2,
    0x1.c71c71c71c71cp-3, 0x1.745d1745d1746p-3, 0x1.3b13b13b13b14p-3,
    0x1.1111111111111p-3, 0x1.e1e1e1e1e1e1ep-4, 0x1.af286bca1af28p-4,
    0x1.8618618618618p-4,
};

/* e ln 2 + log(1 + f) + c, for f in [sqrt(2)/2 - 1, sqrt(2) - 1] exact
 * and c a tiny correction (|c| <= 2^-52 |1 + f|, the part of the argument
 * that 1 + f could not hold).
 *
 * 2s is not computed as such: with hfsq = f^2/2, algebra gives
 * 2s = f - hfsq + s hfsq, so log(1 + f) = f - (hfsq - s (hfsq + R)).
 * f is exact and the bracket is at most a fifth of the result, so the
 * bracket's errors cost little; hfsq's own rounding error is kept
 * (two_square) and added back. */
static double
log_kernel(int e, double f, double c)
{
    double s = f / (2.0 + f);
    double z = s * s;
    double r = z * horner(log_c, 10, z);
    double fflo;
    double hfsq = 0.5 * two_square(f, &fflo);
    double hflo = 0.5 * fflo;
    double de = (double)e;
    double small = (s * (hfsq + r) - hflo) + (de * LN2_LO + c);
    if (e == 0)
        return f - (hfsq - small);
    return de * LN2_HI + (f - (hfsq - small));
}

/* Splits a positive finite m * 2^e with m in [sqrt(2)/2, sqrt(2)): returns
 * m, exactly, and stores e. Subnormals are scaled up by 2^54 first. */
static double
split_sqrt2(double x, int *e /* out */)
{
    int bias = 0;
    if (x < DBL_MIN) {
        x *= 0x1.0p54;
        bias = 54;
    }
    uint64_t u = bits_of(x);
    int ex = (int)(u >> 52) - 1023;
    double m = double_of((u & UINT64_C(0x000fffffffffffff)) |
                         UINT64_C(0x3ff0000000000000));
    if (m >= SQRT2) {
        m *= 0.5;
        ex += 1;
    }
    *e = ex - bias;
    return m;
}

double
purr_math_log(double x)
{
    if (x != x || x == INFINITY)
        return x;
    if (x == 0.0)
        return -INFINITY;
    if (x < 0.0)
        return NAN;
    int e;
    double m = split_sqrt2(x, &e);
    return log_kernel(e, m - 1.0, 0.0); /* m - 1 exact (Sterbenz) */
}

double
purr_math_log1p(double x)
{
    if (x != x || x == INFINITY)
        return x;
    if (x == -1.0)
        return -INFINITY;
    if (x < -1.0)
        return NAN;
    /* In the kernel's own range, f is x itself: nothing to round. This
     * also keeps log1p(-0) = -0 and log1p(tiny) = tiny. */
    if (x >= SQRT2 * 0.5 - 1.0 && x < SQRT2 - 1.0)
        return log_kernel(0, x, 0.0);
    /* Otherwise u = fl(1 + x) and err = 1 + x - u exactly (Fast2Sum with
     * the larger operand first); log(1 + x) = log(u) + err/u to well
     * below an ulp, since |err/u| <= 2^-53. */
    double u = 1.0 + x;
    double err = x > 1.0 ? 1.0 - (u - x) : x - (u - 1.0);
    int e;
    double m = split_sqrt2(u, &e);
    return log_kernel(e, m - 1.0, err / u);
}

/* ---------------------------------------------------------------------- */
/* exp                                                                     */
/* ---------------------------------------------------------------------- */

#define INV_LN2 0x1.71547652b82fep+0
/* Above EXP_MAX, e^x overflows; below EXP_MIN it rounds to 0. */
#define EXP_MAX 0x1.62e42fefa39efp+9
#define EXP_MIN -0x1.74910d52d3052p+9

/* Taylor coefficients of e^r: 1/n!, n = 2..13. Up to r^13: for |r| <= ln2/2,
 * r^14/14! is below 2^-57. */
static const double exp_c[] = {
    0x1.0000000000000p-1,  0x1.5555555555555p-3,  0x1.5555555555555p-5,
    0x1.1111111111111p-7,  0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22,
    0x1.ae64567f544e4p-26, 0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33,
};

/* e^x = 2^k e^r with r = x - k ln 2, |r| <= ln2/2: x - k*LN2_HI is exact,
 * k*LN2_LO rounds at 2^-85, and its subtraction's error is kept (c). The
 * result is 1 + (r + r^2 P(r) + c): the bracket is below 0.42, so its
 * errors cost at most a quarter ulp, and the last addition half an ulp.
 * Scaling by 2^k is exact except for subnormal results, which round once. */
double
purr_math_exp(double x)
{
    if (x != x)
        return x;
    if (x > EXP_MAX)
        return INFINITY;
    if (x < EXP_MIN)
        return 0.0;
    double kx = x * INV_LN2;
    double half = kx < 0 ? -0.5 : 0.5;
    int k = (int)(kx + half);
    double fk = (double)k;
    double a = x - fk * LN2_HI;
    double c;
    double r = two_sum(a, -(fk * LN2_LO), &c);
    double p = horner(exp_c, 12, r);
    double y = 1.0 + (r + (r * r * p + c));
    if (k > 1023)
        return y * pow2(k - 1) * 2.0;
    if (k < -1022)
        return y * pow2(k + 54) * 0x1.0p-54; /* one rounding, the last */
    return y * pow2(k);
}
