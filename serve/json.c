/* json.c - the JSON a served channel carries: a datum as {"value": ...}
 * and the JSON schema of each type.
 *
 * The mapping (docs/serve.md): nil null; bool true/false; int a JSON
 * integer (all 64 bits: a reader that parses numbers as doubles rounds
 * those beyond 2^53); double a JSON number with 17 significant digits,
 * which reads back as the same bits, or null for NaN and the infinities,
 * which JSON cannot write; string a JSON string (bytes that are not UTF-8
 * become U+FFFD, since JSON text is Unicode); bytes a base64 string;
 * tuple an array of its items, mapped the same way. Built with jansson.
 */
#include "serve_int.h"

#include <jansson.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the UTF-8 sequence starting at p (n bytes left), or 0 when
 * it is not one: truncated, overlong, a surrogate or beyond U+10FFFF. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

char *
purr__serve_utf8(const char *text, size_t *len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = *len;
    /* At most 3 output bytes (U+FFFD) per input byte. */
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns the base64 (RFC 4648, padded) of the n bytes at p as a new
 * jansson string, or NULL when out of memory. */
static json_t *
base64(const unsigned char *p, size_t n)
{
    size_t olen = (n + 2) / 3 * 4;
    char *out = malloc(olen + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

/* Returns d as a new jansson value, or NULL when out of memory. Tuples
 * nest at most PURR_DATUM_MAX_DEPTH deep, which bounds the recursion. */
static json_t *
to_json(const purr_datum *d)
{
    switch ((purr_type)d->type) {
    case PURR_T_NIL:
        return json_null();
    case PURR_T_BOOL:
        return json_boolean(d->u.b);
    case PURR_T_INT:
        return json_integer((json_int_t)d->u.i);
    case PURR_T_DOUBLE:
        return isfinite(d->u.d) ? json_real(d->u.d) : json_null();
    case PURR_T_STRING: {
        size_t n = d->len;
        char *text = purr__serve_utf8(d->u.s, &n);
        if (!text)
            return NULL;
        json_t *j = json_stringn(text, n);
        free(text);
        return j;
    }
    case PURR_T_BYTES:
        return base64(d->u.bytes, d->len);
    case PURR_T_TUPLE: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < d->len; i++) {
            json_t *item = to_json(&d->u.items[i]);
            if (!item || json_array_append_new(a, item) < 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    }
    return json_null();
}

char *
purr__serve_payload(const purr_datum *d, size_t *len)
{
    json_t *v = to_json(d);
    if (!v)
        return NULL;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "value", v) < 0) {
        json_decref(o);
        return NULL;
    }
    /* 17 significant digits: every double reads back as the same bits. */
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (text)
        *len = strlen(text);
    return text;
}

#define SCHEMA(value)                                                          \
    "{\"type\":\"object\",\"properties\":{\"value\":" value                    \
    "},\"required\":[\"value\"]}"

const char *
purr__serve_schema(purr_type t)
{
    switch (t) {
    case PURR_T_NIL: /* a value created without a type: any datum */
        return SCHEMA("{}");
    case PURR_T_BOOL:
        return SCHEMA("{\"type\":\"boolean\"}");
    case PURR_T_INT:
        return SCHEMA("{\"type\":\"integer\"}");
    case PURR_T_DOUBLE:
        return SCHEMA("{\"type\":[\"number\",\"null\"]}");
    case PURR_T_STRING:
        return SCHEMA("{\"type\":\"string\"}");
    case PURR_T_BYTES:
        return SCHEMA("{\"type\":\"string\",\"contentEncoding\":\"base64\"}");
    case PURR_T_TUPLE:
        return SCHEMA("{\"type\":\"array\"}");
    }
    return SCHEMA("{}");
}

const char *
purr__serve_schema_name(purr_type t)
{
    switch (t) {
    case PURR_T_NIL:
        return "purr.any";
    case PURR_T_BOOL:
        return "purr.bool";
    case PURR_T_INT:
        return "purr.int";
    case PURR_T_DOUBLE:
        return "purr.double";
    case PURR_T_STRING:
        return "purr.string";
    case PURR_T_BYTES:
        return "purr.bytes";
    case PURR_T_TUPLE:
        return "purr.tuple";
    }
    return "purr.unknown";
}
