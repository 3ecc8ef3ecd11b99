/* datum_int.h - private helpers shared by the datum files.
 *
 * datum.c (construction, equality, order, access), datum_codec.c (the
 * binary encoding and the hash) and datum_text.c (the text form) share
 * these: a double's bits, the inline scalar constructors (which the value
 * files use too), the byte copy every string and bytes datum is made with,
 * and the panic on a corrupt tag. */
#ifndef PURR_DATUM_INT_H
#define PURR_DATUM_INT_H

#include "core_int.h"
#include "purr/datum.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

_Static_assert(FLT_RADIX == 2 && DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024,
               "doubles must be IEEE-754 binary64: the encoding stores bits");

/* The sign bit of a double's bits. */
#define PURR__DOUBLE_SIGN_BIT UINT64_C(0x8000000000000000)

static inline uint64_t
purr__double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double
purr__bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The scalar constructors, inline: the decoder and the parser build
 * scalars without a call (the public purr_datum_nil etc. return these). */
static inline purr_datum
purr__datum_nil(void)
{
    return (purr_datum){.type = PURR_T_NIL};
}

static inline purr_datum
purr__datum_bool(bool b)
{
    return (purr_datum){.type = PURR_T_BOOL, .u.b = b};
}

static inline purr_datum
purr__datum_int(int64_t i)
{
    return (purr_datum){.type = PURR_T_INT, .u.i = i};
}

static inline purr_datum
purr__datum_double(double x)
{
    return (purr_datum){.type = PURR_T_DOUBLE, .u.d = x};
}

/* Returns a fresh heap copy of the n bytes at p followed by a NUL. */
static inline void *
purr__dup_bytes(const void *p, size_t n)
{
    char *s = purr__malloc(n + 1);
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Panics on a datum whose tag is not a purr_type (func names the caller):
 * only a hand-built or corrupted datum can get here. */
_Noreturn void purr__datum_bad_type(const char *func, int type);

#endif /* PURR_DATUM_INT_H */
