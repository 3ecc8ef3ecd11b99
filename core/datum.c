/* datum.c - the tagged datum: construction, copying, equality, order, and
 * access.
 *
 * Every purr value holds a purr_datum, and recordings store datums, so the
 * datum files keep one invariant above all: a datum has exactly one binary
 * encoding (datum_codec.c), and equality, compare, hash, the text form
 * (datum_text.c) and the encoding all agree on what "the same datum" means
 * (same type and the same bits). Datums built by the constructors, parsed
 * or decoded never nest deeper than PURR_DATUM_MAX_DEPTH, which bounds
 * every recursion. The datum files have no mutable global state and
 * nothing depends on addresses, so every result is the same on every run
 * and host. */
#include "core_int.h"
#include "datum_int.h"

#include "purr/datum.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

_Noreturn void
purr__datum_bad_type(const char *func, int type)
{
    purr__panic(__FILE__, __LINE__, func, "corrupt purr_datum: type %d",
                type);
}

/* ---------------------------------------------------------------------- */
/* Constructors and destruction                                            */
/* ---------------------------------------------------------------------- */

purr_datum
purr_datum_nil(void)
{
    return purr__datum_nil();
}

purr_datum
purr_datum_bool(bool b)
{
    return purr__datum_bool(b);
}

purr_datum
purr_datum_int(int64_t i)
{
    return purr__datum_int(i);
}

purr_datum
purr_datum_double(double x)
{
    return purr__datum_double(x);
}

purr_datum
purr_datum_string(const char *s)
{
    PURR_API_CHECK(s != NULL, "s is NULL");
    return purr_datum_string_n(s, strlen(s));
}

purr_datum
purr_datum_string_n(const char *s, size_t len)
{
    PURR_API_CHECK(s != NULL || len == 0, "string pointer is NULL");
    PURR_API_CHECK(len <= UINT32_MAX, "string longer than UINT32_MAX bytes");
    purr_datum d = {.type = PURR_T_STRING, .len = (uint32_t)len};
    d.u.s = purr__dup_bytes(s, len);
    return d;
}

purr_datum
purr_datum_bytes(const void *p, size_t len)
{
    PURR_API_CHECK(p != NULL || len == 0, "bytes pointer is NULL");
    PURR_API_CHECK(len <= UINT32_MAX, "bytes longer than UINT32_MAX bytes");
    purr_datum d = {.type = PURR_T_BYTES, .len = (uint32_t)len};
    d.u.bytes = purr__dup_bytes(p, len);
    return d;
}

/* Deep-copies src into *dst and returns the copy's tuple depth (0 for a
 * scalar). */
static int
copy_into(purr_datum *dst, const purr_datum *src)
{
    *dst = *src;
    switch (src->type) {
    case PURR_T_NIL:
    case PURR_T_BOOL:
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        return 0;
    case PURR_T_STRING:
        dst->u.s = purr__dup_bytes(src->u.s, src->len);
        return 0;
    case PURR_T_BYTES:
        dst->u.bytes = purr__dup_bytes(src->u.bytes, src->len);
        return 0;
    case PURR_T_TUPLE: {
        int depth = 0;
        dst->u.items = NULL;
        if (src->len == 0)
            return 1;
        dst->u.items = purr__malloc((size_t)src->len * sizeof(purr_datum));
        for (uint32_t i = 0; i < src->len; i++) {
            int d = copy_into(&dst->u.items[i], &src->u.items[i]);
            if (d > depth)
                depth = d;
        }
        return depth + 1;
    }
    default:
        purr__datum_bad_type(__func__, src->type);
    }
}

purr_datum
purr_datum_tuple(const purr_datum *items, size_t n)
{
    PURR_API_CHECK(items != NULL || n == 0, "items is NULL");
    PURR_API_CHECK(n <= UINT32_MAX, "tuple of more than UINT32_MAX items");
    purr_datum src = {.type = PURR_T_TUPLE, .len = (uint32_t)n};
    src.u.items = (purr_datum *)items; /* only read by copy_into */
    purr_datum d;
    int depth = copy_into(&d, &src);
    PURR_API_CHECK(depth <= PURR_DATUM_MAX_DEPTH,
                   "tuple nests deeper than PURR_DATUM_MAX_DEPTH");
    return d;
}

purr_datum
purr_datum_copy(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    purr_datum c;
    copy_into(&c, d);
    return c;
}

void
purr_datum_free(purr_datum *d)
{
    if (d == NULL)
        return;
    switch (d->type) {
    case PURR_T_STRING:
        free(d->u.s);
        break;
    case PURR_T_BYTES:
        free(d->u.bytes);
        break;
    case PURR_T_TUPLE:
        for (uint32_t i = 0; i < d->len; i++)
            purr_datum_free(&d->u.items[i]);
        free(d->u.items);
        break;
    default:
        break;
    }
    *d = purr_datum_nil();
}

/* ---------------------------------------------------------------------- */
/* Equality and order                                                      */
/* ---------------------------------------------------------------------- */

bool
purr_datum_equal(const purr_datum *a, const purr_datum *b)
{
    PURR_API_CHECK(a != NULL && b != NULL, "datum is NULL");
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case PURR_T_NIL:
        return true;
    case PURR_T_BOOL:
        return a->u.b == b->u.b;
    case PURR_T_INT:
        return a->u.i == b->u.i;
    case PURR_T_DOUBLE:
        return purr__double_bits(a->u.d) == purr__double_bits(b->u.d);
    case PURR_T_STRING:
    case PURR_T_BYTES:
        return a->len == b->len &&
               (a->len == 0 || memcmp(a->u.bytes, b->u.bytes, a->len) == 0);
    case PURR_T_TUPLE:
        if (a->len != b->len)
            return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!purr_datum_equal(&a->u.items[i], &b->u.items[i]))
                return false;
        return true;
    default:
        purr__datum_bad_type(__func__, a->type);
    }
}

/* Maps a double's bits to an unsigned key whose order is IEEE-754
 * totalOrder: negatives (sign set) are flipped entirely so larger
 * magnitudes sort first; positives get the sign bit set so they sort after
 * every negative. The map is a bijection, so key order agrees with bitwise
 * equality. */
static uint64_t
total_order_key(double d)
{
    uint64_t u = purr__double_bits(d);
    return (u & PURR__DOUBLE_SIGN_BIT) ? ~u : (u | PURR__DOUBLE_SIGN_BIT);
}

/* -1, 0 or 1 as x is below, equal to or above y, for any scalar type. */
#define CMP(x, y) (((x) > (y)) - ((x) < (y)))

int
purr_datum_compare(const purr_datum *a, const purr_datum *b)
{
    PURR_API_CHECK(a != NULL && b != NULL, "datum is NULL");
    if (a->type != b->type)
        return CMP(a->type, b->type);
    switch (a->type) {
    case PURR_T_NIL:
        return 0;
    case PURR_T_BOOL:
        return CMP((int)a->u.b, (int)b->u.b);
    case PURR_T_INT:
        return CMP(a->u.i, b->u.i);
    case PURR_T_DOUBLE:
        return CMP(total_order_key(a->u.d), total_order_key(b->u.d));
    case PURR_T_STRING:
    case PURR_T_BYTES: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        int c = n > 0 ? memcmp(a->u.bytes, b->u.bytes, n) : 0;
        if (c != 0)
            return CMP(c, 0);
        return CMP(a->len, b->len);
    }
    case PURR_T_TUPLE: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = purr_datum_compare(&a->u.items[i], &b->u.items[i]);
            if (c != 0)
                return c;
        }
        return CMP(a->len, b->len);
    }
    default:
        purr__datum_bad_type(__func__, a->type);
    }
}

#undef CMP

/* ---------------------------------------------------------------------- */
/* Accessors                                                               */
/* ---------------------------------------------------------------------- */

purr_type
purr_datum_type(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    return (purr_type)d->type;
}

bool
purr_datum_as_bool(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    return d->type == PURR_T_BOOL && d->u.b;
}

int64_t
purr_datum_as_int(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    return d->type == PURR_T_INT ? d->u.i : 0;
}

double
purr_datum_as_double(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    if (d->type == PURR_T_DOUBLE)
        return d->u.d;
    if (d->type == PURR_T_INT)
        return (double)d->u.i;
    return 0.0;
}

const char *
purr_datum_str(const purr_datum *d, size_t *len)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    if (d->type != PURR_T_STRING && d->type != PURR_T_BYTES) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = d->len;
    return d->type == PURR_T_STRING ? d->u.s : (const char *)d->u.bytes;
}

size_t
purr_datum_tuple_len(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    return d->type == PURR_T_TUPLE ? d->len : 0;
}

const purr_datum *
purr_datum_tuple_at(const purr_datum *d, size_t i)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    if (d->type != PURR_T_TUPLE || i >= d->len)
        return NULL;
    return &d->u.items[i];
}

