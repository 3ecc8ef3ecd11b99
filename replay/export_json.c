/* export_json.c - the JSON text of a datum, for MCAP messages and JSON
 * Lines (export.h).
 *
 * Written by hand rather than through jansson: an MCAP export formats one
 * small JSON document per transition, millions of them, and building a
 * jansson tree per message costs more than all the rest of the export.
 * The tests parse what is written here with jansson and with the MCAP
 * oracle's JSON.parse, and compare it with the recording.
 *
 * Two modes (export_int.h): VIEW, for viewers, always writes something
 * (NaN as "NaN", bytes as base64, invalid UTF-8 as U+FFFD); EXACT, for
 * `purr import`, writes only what reads back to the same datum and refuses
 * the rest.
 */
#include "export_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int
purr__json_string(purr__buf *b, const char *str, size_t len,
                  purr__json_mode mode)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)str;
    /* Worst case: every byte becomes a 6-byte \u escape or 3 bytes of
     * U+FFFD, plus the quotes. */
    if (len > (SIZE_MAX - 2) / 6)
        return PURR_ENOMEM;
    int rc = purr__buf_reserve(b, len * 6 + 2);
    if (rc < 0)
        return rc;
    uint8_t *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = c;
            i++;
            continue;
        }
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\n': *o++ = 'n'; break;
            case '\t': *o++ = 't'; break;
            case '\r': *o++ = 'r'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = (uint8_t)hex[c >> 4];
                *o++ = (uint8_t)hex[c & 15];
            }
            i++;
            continue;
        }
        size_t n = utf8_len(s + i, len - i);
        if (n > 0) {
            memcpy(o, s + i, n);
            o += n;
            i += n;
        } else if (mode == PURR__JSON_EXACT) {
            return PURR_EFORMAT;
        } else {
            *o++ = 0xEF; /* U+FFFD, the replacement character */
            *o++ = 0xBF;
            *o++ = 0xBD;
            i++;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

/* Appends len bytes as a base64 string (RFC 4648, with padding). */
static int
json_base64(purr__buf *b, const uint8_t *s, size_t len)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = purr__buf_reserve(b, (len + 2) / 3 * 4 + 2);
    if (rc < 0)
        return rc;
    char *o = (char *)b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = a[v >> 18];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
        *o++ = a[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        *o++ = a[v >> 18];
        *o++ = a[(v >> 12) & 63];
        *o++ = i + 1 < len ? a[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o++ = '"';
    b->len = (size_t)((uint8_t *)o - b->data);
    return 0;
}

/* Appends the decimal digits of v. */
static int
json_int(purr__buf *b, int64_t v)
{
    int rc = purr__buf_reserve(b, 21);
    if (rc < 0)
        return rc;
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    memcpy(b->data + b->len, p, (size_t)(e - p));
    b->len += (size_t)(e - p);
    return 0;
}

/* Writes d as printf's "%.17g" would, for d in [1e-4, 1e15) (the range
 * of most recorded quantities, where %g uses fixed notation), without
 * printf's multi-precision arithmetic, which costs more than the rest of
 * an MCAP export: d = m * 2^e exactly, with m < 2^53 and -67 < e < 0, so
 * the 17 significant digits are round(m * 10^(16 - X) / 2^-e) for X, the
 * decimal exponent, from -4 to 14: a 120-bit product, rounded half to
 * even as printf rounds. Returns the length written to out (at least 24
 * bytes), or 0 when d is outside the range (then use snprintf). */
static size_t
g17_fixed(double d, char *out)
{
#ifndef __SIZEOF_INT128__
    (void)d;
    (void)out;
    return 0; /* no 128-bit integers here: printf does it */
#else
    if (!(d >= 1e-4 && d < 1e15))
        return 0;
    int e2;
    double frac = frexp(d, &e2); /* d = frac * 2^e2, frac in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(frac, 53);
    int shift = 53 - e2; /* d = m / 2^shift, shift in [4, 67] */
    static const double pow10[] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0,  1e1,
                                   1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                   1e14, 1e15};
    int x = -4;
    while (x < 14 && d >= pow10[x + 5])
        x++;
    unsigned __int128 n = 0;
    for (int tries = 0; tries < 3; tries++) {
        unsigned __int128 num = m;
        for (int k = 0; k < 16 - x; k++)
            num *= 10;
        unsigned __int128 q = num >> shift;
        unsigned __int128 r = num - (q << shift);
        unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        n = q;
        /* The estimate of x was off by one when the digits are not 17
         * (a power of ten not exact in binary, or rounding up to 10^17). */
        if (n >= (unsigned __int128)100000000000000000ull && x < 14)
            x++;
        else if (n < (unsigned __int128)10000000000000000ull && x > -4)
            x--;
        else
            break;
    }
    if (n < 10000000000000000ull || n >= 100000000000000000ull)
        return 0;
    char digits[17];
    uint64_t v = (uint64_t)n;
    for (int i = 16; i >= 0; i--) {
        digits[i] = (char)('0' + v % 10);
        v /= 10;
    }
    /* Fixed notation: X + 1 digits before the point (or "0." and -X - 1
     * zeros), then the rest, trailing zeros and a bare point dropped. */
    int last = 16;
    while (last > 0 && digits[last] == '0' && last > x)
        last--;
    char *o = out;
    if (x >= 0) {
        memcpy(o, digits, (size_t)x + 1);
        o += x + 1;
        if (last > x) {
            *o++ = '.';
            memcpy(o, digits + x + 1, (size_t)(last - x));
            o += last - x;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -x - 1; z++)
            *o++ = '0';
        memcpy(o, digits, (size_t)last + 1);
        o += last + 1;
    }
    return (size_t)(o - out);
#endif
}

static int
json_double(purr__buf *b, double d, purr__json_mode mode, const char **why)
{
    char tmp[64];
    if (!isfinite(d)) {
        if (mode == PURR__JSON_EXACT) {
            if (why)
                *why = "a NaN or an infinity";
            return PURR_EFORMAT;
        }
        return purr__buf_puts(b, isnan(d)  ? "\"NaN\""
                                 : d > 0   ? "\"Infinity\""
                                           : "\"-Infinity\"");
    }
    if (mode == PURR__JSON_EXACT) {
        /* purr's shortest round-tripping text, with ".0" where it would
         * look like an int: `purr import` reads it back as this double. */
        purr_datum dd = purr_datum_double(d);
        size_t len = purr_datum_format(&dd, tmp, sizeof tmp);
        return purr__buf_put(b, tmp, len < sizeof tmp ? len : 0);
    }
    /* 17 significant digits always read back to the same bits; one
     * conversion, where the shortest form would take up to three. A
     * whole number gets ".0", so that JSON readers that keep ints and
     * reals apart (and an importer reading a tuple's items) see a double,
     * as in the text form. */
    size_t len = purr__json_g17(d, tmp);
    if (!memchr(tmp, '.', len) && !memchr(tmp, 'e', len)) {
        tmp[len++] = '.';
        tmp[len++] = '0';
    }
    return purr__buf_put(b, tmp, len);
}

size_t
purr__json_g17(double d, char *out)
{
    size_t len = g17_fixed(d < 0 ? -d : d, out + 1);
    if (len > 0) {
        if (d < 0) {
            out[0] = '-';
            return len + 1;
        }
        memmove(out, out + 1, len);
        return len;
    }
    return (size_t)snprintf(out, 32, "%.17g", d);
}

int
purr__json_datum(purr__buf *b, const purr_datum *d, purr__json_mode mode,
                 const char **why)
{
    int rc;
    switch (d->type) {
    case PURR_T_NIL:
        return purr__buf_puts(b, "null");
    case PURR_T_BOOL:
        return purr__buf_puts(b, d->u.b ? "true" : "false");
    case PURR_T_INT:
        return json_int(b, d->u.i);
    case PURR_T_DOUBLE:
        return json_double(b, d->u.d, mode, why);
    case PURR_T_STRING:
        rc = purr__json_string(b, d->u.s, d->len, mode);
        if (rc == PURR_EFORMAT && why)
            *why = "a string that is not UTF-8";
        return rc;
    case PURR_T_BYTES:
        if (mode == PURR__JSON_EXACT) {
            if (why)
                *why = "a bytes datum";
            return PURR_EFORMAT;
        }
        return json_base64(b, d->u.bytes, d->len);
    case PURR_T_TUPLE:
        if ((rc = purr__buf_puts(b, "[")) < 0)
            return rc;
        for (uint32_t i = 0; i < d->len; i++) {
            if (i > 0 && (rc = purr__buf_puts(b, ", ")) < 0)
                return rc;
            if ((rc = purr__json_datum(b, &d->u.items[i], mode, why)) < 0)
                return rc;
        }
        return purr__buf_puts(b, "]");
    default:
        return PURR_EFORMAT;
    }
}
