/* test_export_json.c - the JSON text of datums in exports
 * (replay/export_json.c), against printf and jansson.
 *
 * MCAP messages write doubles as "%.17g" does, but without printf where it
 * can (the fixed-notation range): the text must be printf's, byte for byte,
 * and read back to the same bits, for doubles drawn from the whole range
 * (random bit patterns), round decimals like sensor readings, and the
 * edges of the fast range. Whole datums must parse with jansson.
 */
#include "purr_test.h"

#include "export_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x243F6A8885A308D3u;

static uint64_t
next64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Checks one double: the same text as printf, and back to the same bits. */
static void
check_g17(double d)
{
    char fast[40], want[40];
    size_t n = purr__json_g17(d, fast);
    fast[n] = '\0';
    snprintf(want, sizeof want, "%.17g", d);
    cr_assert_str_eq(fast, want, "%a", d);
    double back = strtod(fast, NULL);
    cr_assert(memcmp(&back, &d, sizeof d) == 0, "%s does not read back", fast);
}

Test(export_json, g17_is_printfs_for_random_bits)
{
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = next64();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            continue;
        check_g17(d);
    }
}

Test(export_json, g17_is_printfs_in_the_fast_range)
{
    /* Uniform in log scale over [1e-5, 1e16): every decimal exponent of
     * the fixed-notation range and a little beyond it on both sides. */
    for (int i = 0; i < 300000; i++) {
        double u = (double)(next64() >> 11) / 9007199254740992.0;
        double d = pow(10.0, -5.0 + 21.0 * u);
        check_g17(d);
        check_g17(-d);
        check_g17(nextafter(d, 0.0));
    }
}

Test(export_json, g17_is_printfs_for_decimals_and_edges)
{
    /* Readings like 59.8 or 0.001, and the powers of ten, which are the
     * edges of the decimal exponent's estimate. */
    for (int64_t k = 1; k < 200000; k += 7)
        for (int p = 0; p <= 8; p++)
            check_g17((double)k / pow(10.0, p));
    for (int p = -6; p <= 17; p++) {
        double t = pow(10.0, p);
        check_g17(t);
        check_g17(nextafter(t, 0.0));
        check_g17(nextafter(t, INFINITY));
    }
    const double edges[] = {0.0, -0.0, 1e-4, 9.9999999999999991e-05, 1e15,
                            999999999999999.88, 0.5, 0.1, 0.2, 0.3,
                            5e-324, 1.7976931348623157e308, 2.5, 0.125};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_g17(edges[i]);
}

Test(export_json, datums_parse_with_jansson)
{
    purr_datum items[4] = {purr_datum_int(INT64_MIN), purr_datum_double(59.8),
                           purr_datum_string_n("a\0\"\\\n\x7f\xc3\xa9", 8),
                           purr_datum_nil()};
    purr_datum t = purr_datum_tuple(items, 4);
    purr__buf b = {0};
    cr_assert_eq(purr__json_datum(&b, &t, PURR__JSON_VIEW, NULL), 0);
    cr_assert_eq(purr__buf_put(&b, "", 1), 0);
    json_error_t e;
    json_t *j = json_loads((const char *)b.data, JSON_ALLOW_NUL, &e);
    cr_assert(j, "%s: %s", e.text, (const char *)b.data);
    cr_assert(json_is_array(j) && json_array_size(j) == 4);
    cr_assert_eq(json_integer_value(json_array_get(j, 0)), INT64_MIN);
    cr_assert_eq(json_real_value(json_array_get(j, 1)), 59.8);
    cr_assert_eq(json_string_length(json_array_get(j, 2)), 8);
    cr_assert(memcmp(json_string_value(json_array_get(j, 2)),
                     "a\0\"\\\n\x7f\xc3\xa9", 8) == 0);
    cr_assert(json_is_null(json_array_get(j, 3)));
    json_decref(j);

    /* A whole double is still a real: "60.0", "-0.0", "1e+300". */
    const double wholes[] = {60.0, -0.0, 1e300, 1e16};
    const char *const texts[] = {"60.0", "-0.0", "1.0000000000000001e+300",
                                 "10000000000000000.0"};
    for (int i = 0; i < 4; i++) {
        purr_datum w = purr_datum_double(wholes[i]);
        b.len = 0;
        cr_assert_eq(purr__json_datum(&b, &w, PURR__JSON_VIEW, NULL), 0);
        cr_assert_eq(purr__buf_put(&b, "", 1), 0);
        cr_assert_str_eq((const char *)b.data, texts[i]);
    }

    /* Exact mode (JSON Lines): doubles in purr's shortest form with a '.',
     * and what JSON cannot hold refused. */
    b.len = 0;
    purr_datum one = purr_datum_double(1.0);
    cr_assert_eq(purr__json_datum(&b, &one, PURR__JSON_EXACT, NULL), 0);
    cr_assert_eq(b.len, 3);
    cr_assert(memcmp(b.data, "1.0", 3) == 0);
    const char *why = NULL;
    purr_datum nan = purr_datum_double(NAN);
    cr_assert_eq(purr__json_datum(&b, &nan, PURR__JSON_EXACT, &why),
                 PURR_EFORMAT);
    cr_assert_not_null(why);
    purr_datum bytes = purr_datum_bytes("ab", 2);
    cr_assert_eq(purr__json_datum(&b, &bytes, PURR__JSON_EXACT, &why),
                 PURR_EFORMAT);
    b.len = 0;
    cr_assert_eq(purr__json_datum(&b, &bytes, PURR__JSON_VIEW, NULL), 0);
    cr_assert_eq(b.len, 6);
    cr_assert(memcmp(b.data, "\"YWI=\"", 6) == 0);
    purr_datum_free(&bytes);
    purr_datum_free(&t);
    purr_datum_free(&items[2]);
    purr__buf_free(&b);
}
