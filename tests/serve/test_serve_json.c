/* test_serve_json.c - the JSON a served channel carries ({"value": ...})
 * for every datum type, and the schemas (serve/json.c).
 *
 * Each payload is parsed back with jansson and compared with the datum:
 * doubles by their bits (17 significant digits read back exactly), bytes
 * by decoding RFC 4648's alphabet by hand. */
#include "purr_test.h"
#include "serve_int.h"

#include <jansson.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The "value" of d's payload, parsed (the caller decrefs the root). */
static json_t *
payload_value(const purr_datum *d, json_t **root)
{
    size_t len = 0;
    char *text = purr__serve_payload(d, &len);
    cr_assert(text != NULL);
    cr_assert_eq(len, strlen(text));
    json_error_t err;
    *root = json_loads(text, JSON_ALLOW_NUL, &err);
    cr_assert(*root != NULL, "not JSON: %s (%s)", text, err.text);
    cr_assert(json_is_object(*root) && json_object_size(*root) == 1,
              "not {\"value\": ...}: %s", text);
    free(text);
    json_t *v = json_object_get(*root, "value");
    cr_assert(v != NULL);
    return v;
}

Test(serve_json, scalars)
{
    json_t *root;
    /* (json_is_* are macros that use their argument twice.) */
    purr_datum d = purr_datum_nil();
    json_t *v = payload_value(&d, &root);
    cr_assert(json_is_null(v));
    json_decref(root);

    d = purr_datum_bool(true);
    v = payload_value(&d, &root);
    cr_assert(json_is_true(v));
    json_decref(root);

    /* All 64 bits of an int, beyond a double's 53. */
    d = purr_datum_int(INT64_MIN + 1);
    v = payload_value(&d, &root);
    cr_assert(json_is_integer(v));
    cr_assert_eq(json_integer_value(v), INT64_MIN + 1);
    json_decref(root);
}

Test(serve_json, doubles_keep_their_bits)
{
    /* 0.1 + 0.2 and 1/3 need all 17 digits; 2^-1074 is the smallest
     * subnormal; 1e300 is far from an integer's range. */
    const double xs[] = {0.1 + 0.2, 1.0 / 3.0, 4.9406564584124654e-324,
                         1e300,     -2.5,      71.0};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        json_t *root;
        purr_datum d = purr_datum_double(xs[i]);
        json_t *v = payload_value(&d, &root);
        cr_assert(json_is_number(v));
        double back = json_number_value(v);
        cr_assert(memcmp(&back, &xs[i], sizeof back) == 0,
                  "%.17g came back as %.17g", xs[i], back);
        json_decref(root);
    }
    /* JSON has no NaN or infinity: null. */
    const double odd[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        json_t *root;
        purr_datum d = purr_datum_double(odd[i]);
        json_t *v = payload_value(&d, &root);
        cr_assert(json_is_null(v));
        json_decref(root);
    }
}

Test(serve_json, strings_are_utf8)
{
    json_t *root;
    /* Valid UTF-8 (é, U+1F431) passes as it is; an embedded NUL too. */
    const char text[] = "caf\xc3\xa9 \xf0\x9f\x90\xb1\0!";
    purr_datum d = purr_datum_string_n(text, sizeof text - 1);
    json_t *v = payload_value(&d, &root);
    cr_assert_eq(json_string_length(v), sizeof text - 1);
    cr_assert(memcmp(json_string_value(v), text, sizeof text - 1) == 0);
    json_decref(root);
    purr_datum_free(&d);

    /* A lone continuation byte, an overlong '/', a surrogate and a
     * truncated sequence each become one U+FFFD per byte. */
    const char bad[] = "a\x80"
                       "b\xc0\xaf"
                       "c\xed\xa0\x80"
                       "d\xe2\x82";
    const char want[] = "a\xef\xbf\xbd"
                        "b\xef\xbf\xbd\xef\xbf\xbd"
                        "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "d\xef\xbf\xbd\xef\xbf\xbd";
    d = purr_datum_string_n(bad, sizeof bad - 1);
    v = payload_value(&d, &root);
    cr_assert_str_eq(json_string_value(v), want);
    json_decref(root);
    purr_datum_free(&d);
}

/* Decodes base64 (RFC 4648, padded) into out; returns its length. */
static size_t
unbase64(const char *s, unsigned char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0, len = strlen(s);
    cr_assert_eq(len % 4, 0, "base64 of a bad length: %s", s);
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char *p = s[i + k] == '=' ? NULL : strchr(abc, s[i + k]);
            cr_assert(p || s[i + k] == '=', "not base64: %s", s);
            pad += !p;
            v = (v << 6) | (p ? (unsigned)(p - abc) : 0);
        }
        out[n++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[n++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[n++] = (unsigned char)v;
    }
    return n;
}

Test(serve_json, bytes_are_base64)
{
    /* Lengths 0 to 5 cover no padding, one '=' and two. */
    const unsigned char raw[] = {0x00, 0xff, 0x10, 0x80, 0x7f};
    for (size_t n = 0; n <= sizeof raw; n++) {
        json_t *root;
        purr_datum d = purr_datum_bytes(raw, n);
        json_t *v = payload_value(&d, &root);
        cr_assert(json_is_string(v));
        cr_assert_eq(strlen(json_string_value(v)), (n + 2) / 3 * 4);
        unsigned char back[8];
        cr_assert_eq(unbase64(json_string_value(v), back), n);
        cr_assert(n == 0 || memcmp(back, raw, n) == 0);
        json_decref(root);
        purr_datum_free(&d);
    }
}

Test(serve_json, tuples_are_arrays)
{
    purr_datum inner[] = {purr_datum_int(7), purr_datum_string("x")};
    purr_datum items[] = {purr_datum_bool(false), purr_datum_tuple(inner, 2),
                          purr_datum_nil()};
    purr_datum d = purr_datum_tuple(items, 3);
    json_t *root;
    json_t *v = payload_value(&d, &root);
    cr_assert(json_is_array(v) && json_array_size(v) == 3);
    cr_assert(json_is_false(json_array_get(v, 0)));
    json_t *in = json_array_get(v, 1);
    cr_assert(json_is_array(in) && json_array_size(in) == 2);
    cr_assert_eq(json_integer_value(json_array_get(in, 0)), 7);
    cr_assert_str_eq(json_string_value(json_array_get(in, 1)), "x");
    cr_assert(json_is_null(json_array_get(v, 2)));
    json_decref(root);
    purr_datum_free(&d);
    purr_datum_free(&items[1]);
    purr_datum_free(&inner[1]);
}

Test(serve_json, schemas_are_json_schemas)
{
    /* Each schema is a JSON object requiring "value", whose type is the
     * datum's JSON type (none for an untyped value: any datum). */
    const struct {
        purr_type t;
        const char *name, *type;
    } cases[] = {{PURR_T_NIL, "purr.any", NULL},
                 {PURR_T_BOOL, "purr.bool", "boolean"},
                 {PURR_T_INT, "purr.int", "integer"},
                 {PURR_T_STRING, "purr.string", "string"},
                 {PURR_T_BYTES, "purr.bytes", "string"},
                 {PURR_T_TUPLE, "purr.tuple", "array"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t err;
        json_t *s = json_loads(purr__serve_schema(cases[i].t), 0, &err);
        cr_assert(s != NULL, "schema of %s: %s", cases[i].name, err.text);
        cr_assert_str_eq(json_string_value(json_object_get(s, "type")),
                         "object");
        cr_assert_str_eq(json_string_value(
                             json_array_get(json_object_get(s, "required"), 0)),
                         "value");
        json_t *value =
            json_object_get(json_object_get(s, "properties"), "value");
        cr_assert(json_is_object(value));
        const char *type = json_string_value(json_object_get(value, "type"));
        if (cases[i].type)
            cr_assert_str_eq(type, cases[i].type);
        else
            cr_assert_null(json_object_get(value, "type"));
        cr_assert_str_eq(purr__serve_schema_name(cases[i].t), cases[i].name);
        json_decref(s);
    }
    /* A double may be null (NaN, infinities). */
    json_t *s = json_loads(purr__serve_schema(PURR_T_DOUBLE), 0, NULL);
    json_t *types = json_object_get(
        json_object_get(json_object_get(s, "properties"), "value"), "type");
    cr_assert_str_eq(json_string_value(json_array_get(types, 0)), "number");
    cr_assert_str_eq(json_string_value(json_array_get(types, 1)), "null");
    json_decref(s);
}
