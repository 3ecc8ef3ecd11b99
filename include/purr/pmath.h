/* purr/pmath.h - elementary functions whose every bit purr fixes.
 *
 * The C library's sin, cos, log, log1p and exp are not the same function on
 * every machine: glibc promises no particular bits, and its results have
 * changed between versions and differ between architectures. A behaviour or
 * a sensor model whose output feeds a recording must not depend on them.
 * These functions are purr's own: written with +, -, *, / only, compiled
 * without floating-point contraction, so an x86-64 and an aarch64 build (and
 * any C library) return the same double for the same argument. The bits are
 * part of purr's contract: a test pins them, and a change to them is a
 * change to every recording made with noise (docs/determinism.md).
 *
 * Accuracy: within 1 ulp of the true value over the ranges below (they
 * agree with glibc's correctly rounded results on most arguments and
 * differ by 1 ulp on the rest). sqrt, +, -, *, / and the rounding
 * functions (floor, round, llround...) are exact in IEEE 754 and need no
 * replacement: use the C library's.
 *
 * Special values follow C's Annex F: NaN in, NaN out; signed zeros are kept
 * where C keeps them (sin(-0) is -0, log1p(-0) is -0).
 */
#ifndef PURR_PMATH_H
#define PURR_PMATH_H

#include "purr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest |x| that purr_math_sin and purr_math_cos accept: 2^20, about
 * 1.05e6 radians (167,000 turns). Beyond it they return NaN rather than a
 * value they cannot promise: reduce angles (e.g. keep a heading in
 * [-pi, pi)) before they grow that large. */
#define PURR_MATH_TRIG_MAX 1048576.0

/* sin(x), x in radians. Returns NaN for |x| > PURR_MATH_TRIG_MAX, an
 * infinity or a NaN. */
PURR_API double purr_math_sin(double x);

/* cos(x), x in radians. Returns NaN for |x| > PURR_MATH_TRIG_MAX, an
 * infinity or a NaN. */
PURR_API double purr_math_cos(double x);

/* The natural logarithm. Every positive double, subnormals included;
 * log(+-0) is -inf, log(x < 0) is NaN, log(+inf) is +inf. */
PURR_API double purr_math_log(double x);

/* log(1 + x), accurate for x near 0. Every x > -1; log1p(-1) is -inf,
 * log1p(x < -1) is NaN, log1p(+inf) is +inf. */
PURR_API double purr_math_log1p(double x);

/* e^x. Overflows to +inf above about 709.78 and underflows to +0 below
 * about -745.13 (results below 2^-1022 are subnormal); exp(-inf) is +0. */
PURR_API double purr_math_exp(double x);

#ifdef __cplusplus
}
#endif

#endif /* PURR_PMATH_H */
