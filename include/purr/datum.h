/* purr/datum.h - the tagged datum every purr value holds.
 *
 * A purr_datum is a small tagged union: nil, bool, int64, double, string,
 * bytes, or a tuple of datums. Values, transitions and recordings all carry
 * datums, so a datum has to be exact and replayable:
 * - Equality is bitwise. A NaN equals a NaN with the same bits, -0.0 differs
 *   from 0.0, and types never mix (the int 1 differs from the double 1.0).
 * - compare, hash, the text form and the binary encoding are all consistent
 *   with that equality and fixed across runs, hosts and architectures.
 * - The text form round-trips every datum bit for bit, and so does the binary
 *   encoding, which recordings store (see purr_datum_encode).
 *
 * Ownership: a datum owns its string, bytes and tuple storage. Constructors
 * deep-copy what they are given (R9); purr_datum_free releases it. Datums are
 * returned by value, so a datum can be moved by plain assignment, after which
 * only one of the two copies may be freed. Out-of-memory in a constructor is
 * a panic naming the size, as everywhere in the core.
 *
 * Limits: a string or bytes datum holds at most UINT32_MAX bytes, a tuple at
 * most UINT32_MAX items, and tuples nest at most PURR_DATUM_MAX_DEPTH deep.
 * Exceeding a limit in a constructor is API misuse and panics; the same
 * limits make parse and decode reject such input, so anything that can be
 * built can be written out and read back.
 *
 * Nothing here blocks: no function in this header is a checkpoint, and none
 * needs a loop or a task. A datum may be used from any thread, as long as
 * no thread frees it while another reads it.
 */
#ifndef PURR_DATUM_H
#define PURR_DATUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "purr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* The datum type                                                          */
/* ---------------------------------------------------------------------- */

/* The type tag. The numbers are fixed: recordings store them (they are the
 * tag byte of the binary encoding), and compare orders types by them. */
typedef enum purr_type {
    PURR_T_NIL = 0,    /* no value */
    PURR_T_BOOL = 1,   /* u.b */
    PURR_T_INT = 2,    /* u.i, int64 */
    PURR_T_DOUBLE = 3, /* u.d, IEEE-754 binary64 */
    PURR_T_STRING = 4, /* u.s, len bytes plus a NUL; NULs may be embedded */
    PURR_T_BYTES = 5,  /* u.bytes, len bytes plus a NUL (for convenience) */
    PURR_T_TUPLE = 6   /* u.items, len datums */
} purr_type;

/* Tuples nest at most this many levels deep: a scalar has depth 0, a tuple
 * of scalars depth 1. Parse, decode and the tuple constructor enforce it,
 * which also bounds the recursion of every function below. */
#define PURR_DATUM_MAX_DEPTH 64

/* A datum. The fields are public so that datums can be inspected cheaply and
 * built on the stack for scalars, e.g.
 *     purr_datum d = purr_datum_int(42);
 * Treat them as read-only for strings, bytes and tuples: the storage behind
 * u.s, u.bytes and u.items belongs to the datum and is released by
 * purr_datum_free. */
typedef struct purr_datum {
    uint8_t type; /* purr_type */
    uint32_t len; /* string/bytes length in bytes, tuple item count, else 0 */
    union {
        bool b;                  /* PURR_T_BOOL */
        int64_t i;               /* PURR_T_INT */
        double d;                /* PURR_T_DOUBLE */
        char *s;                 /* PURR_T_STRING: heap, NUL-terminated */
        uint8_t *bytes;          /* PURR_T_BYTES: heap, NUL-terminated */
        struct purr_datum *items; /* PURR_T_TUPLE: heap, NULL when len 0 */
    } u;
} purr_datum;

#ifndef __cplusplus
_Static_assert(sizeof(double) == 8 && sizeof(int64_t) == 8,
               "purr_datum stores binary64 doubles in 8 bytes");
_Static_assert(PURR_T_TUPLE == 6 && PURR_T_NIL == 0,
               "purr_type numbers are stored by recordings");
#endif

/* ---------------------------------------------------------------------- */
/* Constructors and destruction                                            */
/* ---------------------------------------------------------------------- */

/* The constructors return a datum by value. Scalars allocate nothing;
 * strings, bytes and tuples are deep-copied into fresh heap storage, and the
 * result must eventually be released with purr_datum_free (or handed to
 * something that takes ownership). Out of memory panics. */

/* Returns the nil datum. Allocates nothing. */
PURR_API purr_datum purr_datum_nil(void);

/* Returns a bool datum holding b. Allocates nothing. */
PURR_API purr_datum purr_datum_bool(bool b);

/* Returns an int datum holding i. Allocates nothing. */
PURR_API purr_datum purr_datum_int(int64_t i);

/* Returns a double datum holding d's exact bits (NaN payloads and the sign
 * of zero are kept). Allocates nothing. */
PURR_API purr_datum purr_datum_double(double d);

/* Returns a string datum holding a copy of the NUL-terminated s.
 * s: must not be NULL; strlen(s) must be at most UINT32_MAX.
 * Ownership: s is copied; the caller keeps s. Free the result. */
PURR_API purr_datum purr_datum_string(const char *s);

/* Returns a string datum holding a copy of the len bytes at s. Embedded NULs
 * are kept; the copy is also NUL-terminated after len bytes.
 * s: may be NULL only when len is 0. len: in bytes, at most UINT32_MAX.
 * Ownership: s is copied; the caller keeps s. Free the result. */
PURR_API purr_datum purr_datum_string_n(const char *s, size_t len);

/* Returns a bytes datum holding a copy of the len bytes at p (stored with a
 * NUL after them, which len does not count).
 * p: may be NULL only when len is 0. len: in bytes, at most UINT32_MAX.
 * Ownership: p is copied; the caller keeps p. Free the result. */
PURR_API purr_datum purr_datum_bytes(const void *p, size_t len);

/* Returns a tuple datum holding deep copies of the n datums at items.
 * items: may be NULL only when n is 0. n: at most UINT32_MAX. The tuple's
 * depth (1 + the deepest item's) must not exceed PURR_DATUM_MAX_DEPTH.
 * Ownership: items are copied; the caller keeps (and frees) its own. Free
 * the result. */
PURR_API purr_datum purr_datum_tuple(const purr_datum *items, size_t n);

/* Returns a deep copy of d.
 * Ownership: the copy is independent of d; free both. */
PURR_API purr_datum purr_datum_copy(const purr_datum *d);

/* Releases the storage d owns (recursively) and leaves *d as nil, so freeing
 * twice is harmless. d may be NULL. */
PURR_API void purr_datum_free(purr_datum *d);

/* ---------------------------------------------------------------------- */
/* Equality, order, hashing                                                */
/* ---------------------------------------------------------------------- */

/* Returns true when a and b are the same datum: same type and, for doubles,
 * the same bits (NaN == NaN with equal bits; -0.0 != 0.0); strings and bytes
 * byte for byte; tuples item by item. The int 1 and the double 1.0 differ,
 * and so do a string and bytes with the same content. */
PURR_API bool purr_datum_equal(const purr_datum *a, const purr_datum *b);

/* Returns <0, 0 or >0 as a sorts before, equal to or after b, in a total
 * order consistent with purr_datum_equal (0 exactly when equal):
 * - first by type number (nil < bool < int < double < string < bytes <
 *   tuple);
 * - bools false < true; ints numerically;
 * - doubles by IEEE-754 totalOrder: -NaN < -inf < ... < -0.0 < 0.0 < ... <
 *   inf < NaN, NaNs ordered by payload;
 * - strings and bytes lexicographically by unsigned byte, a prefix first;
 * - tuples lexicographically by item, a prefix first. */
PURR_API int purr_datum_compare(const purr_datum *a, const purr_datum *b);

/* Returns a 64-bit hash of d: FNV-1a over its binary encoding. Equal datums
 * hash equal, and the value is the same on every run and host. */
PURR_API uint64_t purr_datum_hash(const purr_datum *d);

/* ---------------------------------------------------------------------- */
/* Accessors                                                               */
/* ---------------------------------------------------------------------- */

/* Returns d's type. */
PURR_API purr_type purr_datum_type(const purr_datum *d);

/* Returns d's bool, or false when d is not a bool. */
PURR_API bool purr_datum_as_bool(const purr_datum *d);

/* Returns d's int, or 0 when d is not an int. */
PURR_API int64_t purr_datum_as_int(const purr_datum *d);

/* Returns d's double; an int is converted (rounded to nearest when beyond
 * 2^53). Returns 0.0 for any other type. */
PURR_API double purr_datum_as_double(const purr_datum *d);

/* Returns the contents of a string or bytes datum, NUL-terminated after len
 * bytes (there may be NULs before). Returns NULL for other types.
 * len: out, may be NULL; receives the length in bytes (0 when NULL is
 *   returned).
 * Ownership: borrowed; valid until d is freed or overwritten. */
PURR_API const char *purr_datum_str(const purr_datum *d,
                                    size_t *len /* out */);

/* Returns the number of items of a tuple datum, or 0 for other types. */
PURR_API size_t purr_datum_tuple_len(const purr_datum *d);

/* Returns item i of a tuple datum, or NULL when d is not a tuple or i is out
 * of range.
 * Ownership: borrowed; valid until d is freed or overwritten. */
PURR_API const purr_datum *purr_datum_tuple_at(const purr_datum *d, size_t i);

/* ---------------------------------------------------------------------- */
/* Text form                                                               */
/* ---------------------------------------------------------------------- */

/* The text form is ASCII and round-trips every datum exactly:
 *   nil  true  false
 *   42  -7                       ints: optional '-', decimal digits
 *   1.0  -0.0  0.1  1e+300  5e-324  inf  -inf  nan
 *   nan(0x7ff8000000000001)      any NaN other than the default one
 *   "text\n"  b"\x00\xff"        strings and bytes
 *   ()  (1,)  (1, "a", (nil,))   tuples
 * Doubles are written with the shortest of %.15g, %.16g and %.17g that reads
 * back to the same bits, with ".0" appended when that would otherwise look
 * like an int. "nan" is the positive quiet NaN 0x7ff8000000000000; every
 * other NaN (another payload, or the sign bit set, as x86 produces for 0/0)
 * is written as nan(0x...) with all 64 bits in hex.
 * Strings and bytes use the escapes \" \\ \n \t \r \0 and \xHH, with exactly
 * two hex digits, for every other byte below 0x20 or from 0x7f up. Unlike C,
 * \0 never takes further octal digits and \x never takes more than two hex
 * digits, so "\0" followed by "1" is written \01 and reads back the same.
 *
 * The parser reads exactly this form, and is lenient only in ways that
 * cannot lose information: whitespace (space, tab, CR, LF) around any token,
 * a trailing comma in a tuple ("(1, 2,)"), leading zeros, exponents without
 * a sign or with 'E', extra digits (rounded as strtod rounds), upper-case hex
 * digits, and raw bytes from 0x80 up inside quotes (so UTF-8 text can be
 * typed as is). Numbers with a '.' or an exponent are doubles, others ints;
 * a number needs a digit on both sides of its '.'. A one-item tuple needs
 * its comma: "(1)" is rejected rather than guessed at.
 *
 * Locale: number conversion uses snprintf and strtod. purr never calls
 * setlocale; should the program switch LC_NUMERIC to a locale whose decimal
 * point is not '.', the text form is still written and read with '.'. */

/* Writes d's text form into buf, snprintf-style.
 * buf: may be NULL when cap is 0. cap: size of buf in bytes; at most cap - 1
 *   characters are written, followed by a NUL (nothing when cap is 0).
 * Returns the length of the full text in bytes, not counting the NUL; the
 *   text was truncated when the result is >= cap. */
PURR_API size_t purr_datum_format(const purr_datum *d, char *buf, size_t cap);

/* Returns d's text form, NUL-terminated, in a fresh heap buffer.
 * Ownership: the caller frees it with free(). Out of memory panics. */
PURR_API char *purr_datum_format_alloc(const purr_datum *d);

/* Parses the text form in the len bytes at text (which need not be
 * NUL-terminated); the whole text must be one datum, optionally surrounded
 * by whitespace.
 * out: out; receives the datum (owned by the caller, free it), or nil on
 *   failure.
 * error_offset: out, may be NULL; on failure receives the byte offset of the
 *   problem (len when the text ended too early). Untouched on success.
 * Returns 0.
 * Errors: PURR_EFORMAT when the text is not exactly one datum, an int does
 *   not fit int64, a double overflows to infinity (1e999), a string or tuple
 *   exceeds the UINT32_MAX limit, or tuples nest deeper than
 *   PURR_DATUM_MAX_DEPTH. */
PURR_API int purr_datum_parse(const char *text, size_t len,
                              purr_datum *out /* out */,
                              size_t *error_offset /* out */);

/* ---------------------------------------------------------------------- */
/* Binary encoding                                                         */
/* ---------------------------------------------------------------------- */

/* The exact binary encoding, which recordings store. It is the same on every
 * host (little-endian, whatever the host's byte order):
 *   tag byte (the purr_type number), then
 *   nil:           nothing
 *   bool:          1 byte, 0 or 1
 *   int:           8 bytes, little-endian two's complement
 *   double:        8 bytes, little-endian IEEE-754 bits
 *   string, bytes: u32 little-endian length, then the bytes (no NUL)
 *   tuple:         u32 little-endian count, then each item encoded
 * Each datum has exactly one encoding, so equal datums encode equal. */

/* Encodes d into buf.
 * buf: may be NULL when cap is smaller than what is needed.
 * cap: size of buf in bytes.
 * Returns the number of bytes the encoding needs. Writes to buf only when
 *   cap is at least that; otherwise buf is untouched. */
PURR_API size_t purr_datum_encode(const purr_datum *d, uint8_t *buf,
                                  size_t cap);

/* Decodes exactly one datum from the len bytes at buf. Never reads outside
 * them, and allocates at most a small multiple of len however hostile the
 * input (lengths and counts are checked against the bytes left first).
 * out: out; receives the datum (owned by the caller, free it), or nil on
 *   failure.
 * Returns 0.
 * Errors: PURR_EFORMAT on an unknown tag, a bool other than 0 or 1, a
 *   truncated item, a length or count beyond the bytes left, tuples nested
 *   deeper than PURR_DATUM_MAX_DEPTH, or bytes left over after the datum. */
PURR_API int purr_datum_decode(const uint8_t *buf, size_t len,
                               purr_datum *out /* out */);

#ifdef __cplusplus
}
#endif
#endif /* PURR_DATUM_H */
