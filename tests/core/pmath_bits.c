/* pmath_bits.c - purr's sin, cos, log, log1p and exp against the table of
 * known bits (pmath_known.h), as a plain program.
 *
 * test_pmath checks the same table through Criterion; this program needs
 * nothing but the C library, so scripts/cross-aarch64.sh cross-builds it
 * with core/pmath.c and runs it under qemu-aarch64, where Criterion is not
 * available (docs/determinism.md). Exit status 0 when every result has
 * the table's bits, 1 otherwise (each difference is printed).
 */
#include "pmath_known.h"

#include <stdio.h>
#include <string.h>

static uint64_t
bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

int
main(void)
{
    size_t bad = 0;
    for (size_t i = 0; i < PMATH_KNOWN_COUNT; i++) {
        double x;
        memcpy(&x, &pmath_known[i].x, sizeof x);
        double y = pmath_call(pmath_known[i].fn, x);
        if (bits(y) != pmath_known[i].y) {
            printf("pmath_bits: %s(%a) = %a (0x%016llx), the table says "
                   "0x%016llx\n",
                   pmath_fn_names[pmath_known[i].fn], x, y,
                   (unsigned long long)bits(y),
                   (unsigned long long)pmath_known[i].y);
            bad++;
        }
    }
    printf("pmath_bits: %zu of %zu results have the table's bits\n",
           PMATH_KNOWN_COUNT - bad, (size_t)PMATH_KNOWN_COUNT);
    return bad ? 1 : 0;
}
