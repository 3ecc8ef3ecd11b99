/* pmath_known.h - known output bits of purr's sin, cos, log, log1p and
 * exp (pmath.h), shared by tests/core/test_pmath.c and the plain program
 * tests/core/pmath_bits.c that scripts/cross-aarch64.sh runs under qemu.
 *
 * Each row is a function, an argument and the result's exact bits. The
 * arguments span the functions' ranges: the sensor models' (2 pi u for
 * sin and cos, (0, 1] for log, (-1, 0] for log1p), reduction boundaries
 * next to multiples of pi/2, subnormals and the overflow edges. The rows
 * were produced by these functions on x86-64 and checked to be the same
 * on aarch64; every build on every machine must reproduce them, since
 * recordings depend on them. A change here is a change of purr's output:
 * say so in the release notes.
 */
#ifndef PURR_PMATH_KNOWN_H
#define PURR_PMATH_KNOWN_H

#include <purr/pmath.h>

#include <stdint.h>

enum pmath_fn { SIN, COS, LOG, LOG1P, EXP };

static const char *const pmath_fn_names[] = {"sin", "cos", "log", "log1p",
                                             "exp"};

/* Calls purr's function f on x. */
static inline double
pmath_call(enum pmath_fn f, double x)
{
    switch (f) {
    case SIN:
        return purr_math_sin(x);
    case COS:
        return purr_math_cos(x);
    case LOG:
        return purr_math_log(x);
    case LOG1P:
        return purr_math_log1p(x);
    default:
        return purr_math_exp(x);
    }
}

static const struct known {
    enum pmath_fn fn;
    uint64_t x, y; /* the argument's and the result's bits */
} pmath_known[] = {
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

#define PMATH_KNOWN_COUNT (sizeof pmath_known / sizeof pmath_known[0])

#endif /* PURR_PMATH_KNOWN_H */
