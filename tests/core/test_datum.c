/* test_datum.c - tests for purr_datum: equality, order, hashing, and the
 * text and binary forms.
 *
 * Every sample value is pushed through both forms and must come back bit for
 * bit; the decoder and parser are fed malformed input and must reject it
 * with PURR_EFORMAT (and, for text, the offset of the problem). Datums need
 * no loop, so these tests run without one. The randomized test uses a fixed
 * seed so a failure reproduces. */
#include "purr_test.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static double
dbits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint64_t
bitsof(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* FNV-1a over a byte buffer, written independently of datum.c. */
static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Formats d, checks the text is printable ASCII, parses it back and checks
 * the result is the same datum and formats to the same text. */
static void
check_text_round_trip(const purr_datum *d)
{
    char *text = purr_datum_format_alloc(d);
    size_t n = strlen(text);
    cr_assert_eq(n, purr_datum_format(d, NULL, 0), "length for %s", text);
    for (size_t i = 0; i < n; i++)
        cr_assert(text[i] >= 0x20 && text[i] < 0x7f,
                  "non-printable byte 0x%02x at %zu", (unsigned char)text[i],
                  i);
    purr_datum back;
    size_t off = 12345;
    int rc = purr_datum_parse(text, n, &back, &off);
    cr_assert_eq(rc, 0, "parse %s failed at %zu", text, off);
    cr_assert_eq(off, 12345, "error_offset touched on success");
    cr_assert(purr_datum_equal(d, &back), "round trip of %s differs", text);
    char *again = purr_datum_format_alloc(&back);
    cr_assert_str_eq(again, text);
    free(again);
    free(text);
    purr_datum_free(&back);
}

/* Encodes d, decodes it back, and checks the result is the same datum with
 * the same encoding, and that the hash is FNV-1a of that encoding. */
static void
check_binary_round_trip(const purr_datum *d)
{
    size_t n = purr_datum_encode(d, NULL, 0);
    cr_assert_gt(n, 0);
    uint8_t *buf = malloc(n);
    cr_assert_eq(purr_datum_encode(d, buf, n), n);
    cr_assert_eq(purr_datum_hash(d), fnv1a(buf, n));
    purr_datum back;
    purr_assert_ok(purr_datum_decode(buf, n, &back));
    cr_assert(purr_datum_equal(d, &back));
    cr_assert_eq(purr_datum_compare(d, &back), 0);
    cr_assert_eq(purr_datum_hash(d), purr_datum_hash(&back));
    uint8_t *buf2 = malloc(n);
    cr_assert_eq(purr_datum_encode(&back, buf2, n), n);
    cr_assert_eq(memcmp(buf, buf2, n), 0);
    free(buf2);
    free(buf);
    purr_datum_free(&back);
}

/* Checks that d formats to exactly want, and that want parses to d. */
static void
check_text_is(const purr_datum *d, const char *want)
{
    char *text = purr_datum_format_alloc(d);
    cr_assert_str_eq(text, want);
    free(text);
    check_text_round_trip(d);
}

/* Parses text, asserting success; returns the datum (caller frees). */
static purr_datum
parse_ok(const char *text)
{
    purr_datum d;
    size_t off = 0;
    int rc = purr_datum_parse(text, strlen(text), &d, &off);
    cr_assert_eq(rc, 0, "parse \"%s\" failed at %zu", text, off);
    return d;
}

/* Parses the n bytes of text, asserting PURR_EFORMAT at offset want. */
static void
check_parse_fails_n(const char *text, size_t n, size_t want)
{
    purr_datum d = purr_datum_int(99);
    size_t off = 777;
    purr_assert_err(purr_datum_parse(text, n, &d, &off), PURR_EFORMAT);
    cr_assert_eq(off, want, "parse \"%.*s\": error at %zu, want %zu",
                 (int)n, text, off, want);
    cr_assert_eq(purr_datum_type(&d), PURR_T_NIL, "out not nil on failure");
}

static void
check_parse_fails(const char *text, size_t want)
{
    check_parse_fails_n(text, strlen(text), want);
}

/* Decodes buf, asserting PURR_EFORMAT and a nil out. */
static void
check_decode_fails(const uint8_t *buf, size_t n)
{
    purr_datum d = purr_datum_int(99);
    purr_assert_err(purr_datum_decode(buf, n, &d), PURR_EFORMAT);
    cr_assert_eq(purr_datum_type(&d), PURR_T_NIL, "out not nil on failure");
}

/* Wraps d in `levels` one-tuples: (((d,),),). Consumes d. */
static purr_datum
nest(purr_datum d, int levels)
{
    for (int i = 0; i < levels; i++) {
        purr_datum t = purr_datum_tuple(&d, 1);
        purr_datum_free(&d);
        d = t;
    }
    return d;
}

/* The special doubles every test runs through. */
static const uint64_t special_double_bits[] = {
    UINT64_C(0x0000000000000000), /* 0.0 */
    UINT64_C(0x8000000000000000), /* -0.0 */
    UINT64_C(0x3ff0000000000000), /* 1.0 */
    UINT64_C(0xbff0000000000000), /* -1.0 */
    UINT64_C(0x3fb999999999999a), /* 0.1 */
    UINT64_C(0x3fd5555555555555), /* 1/3 */
    UINT64_C(0x0010000000000000), /* DBL_MIN */
    UINT64_C(0x7fefffffffffffff), /* DBL_MAX */
    UINT64_C(0xffefffffffffffff), /* -DBL_MAX */
    UINT64_C(0x0000000000000001), /* smallest denormal */
    UINT64_C(0x000fffffffffffff), /* largest denormal */
    UINT64_C(0x800123456789abcd), /* negative denormal */
    UINT64_C(0x4340000000000000), /* 2^53 */
    UINT64_C(0x4341c37937e08000), /* 1e16 */
    UINT64_C(0x7ff0000000000000), /* inf */
    UINT64_C(0xfff0000000000000), /* -inf */
    UINT64_C(0x7ff8000000000000), /* default NaN */
    UINT64_C(0xfff8000000000000), /* negative NaN (x86 0/0) */
    UINT64_C(0x7ff8000000000001), /* quiet NaN with payload */
    UINT64_C(0x7ff0000000000001), /* signalling NaN */
    UINT64_C(0x7fffffffffffffff), /* all payload bits */
    UINT64_C(0xffffffffffffffff), /* all bits */
};
#define NSPECIAL_DOUBLES                                                     \
    (sizeof special_double_bits / sizeof special_double_bits[0])

/* Fills out with the sample datums and returns how many (at most 64). The
 * last one is nested PURR_DATUM_MAX_DEPTH deep. */
static size_t
make_samples(purr_datum *out)
{
    size_t n = 0;
    out[n++] = purr_datum_nil();
    out[n++] = purr_datum_bool(false);
    out[n++] = purr_datum_bool(true);
    out[n++] = purr_datum_int(0);
    out[n++] = purr_datum_int(1);
    out[n++] = purr_datum_int(-7);
    out[n++] = purr_datum_int(INT64_MIN);
    out[n++] = purr_datum_int(INT64_MAX);
    for (size_t i = 0; i < NSPECIAL_DOUBLES; i++)
        out[n++] = purr_datum_double(dbits(special_double_bits[i]));
    out[n++] = purr_datum_double(DBL_MIN);
    out[n++] = purr_datum_double(DBL_MAX);
    out[n++] = purr_datum_double(1e300);
    out[n++] = purr_datum_double(123456789.0);
    out[n++] = purr_datum_string("");
    out[n++] = purr_datum_string("hello");
    out[n++] = purr_datum_string_n("a\0b", 3);
    out[n++] = purr_datum_string_n("\0", 1);
    out[n++] = purr_datum_string("\"quoted\" \\ \n\t\r");
    out[n++] = purr_datum_bytes(NULL, 0);
    out[n++] = purr_datum_bytes("hello", 5);
    out[n++] = purr_datum_bytes("\x00\x80\xff", 3);
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    out[n++] = purr_datum_string_n((const char *)all, 256);
    out[n++] = purr_datum_bytes(all, 256);
    out[n++] = purr_datum_tuple(NULL, 0);
    out[n++] = purr_datum_tuple(&out[4], 1);                  /* (1,) */
    out[n++] = purr_datum_tuple(&out[0], 8);                  /* scalars */
    out[n++] = nest(purr_datum_tuple(NULL, 0), 1);            /* ((),) */
    out[n++] = nest(purr_datum_string("deep"), 10);
    purr_datum mixed[3] = {purr_datum_string("a"), purr_datum_bytes("b", 1),
                           nest(purr_datum_nil(), 3)};
    out[n++] = purr_datum_tuple(mixed, 3);
    for (int i = 0; i < 3; i++)
        purr_datum_free(&mixed[i]);
    /* Last, so that tests can leave it out when they nest the samples. */
    out[n++] = nest(purr_datum_int(3), PURR_DATUM_MAX_DEPTH);
    cr_assert_leq(n, 64);
    return n;
}

static void
free_samples(purr_datum *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        purr_datum_free(&s[i]);
}

/* ---------------------------------------------------------------------- */
/* Text form                                                               */
/* ---------------------------------------------------------------------- */

Test(datum, text_round_trip_samples)
{
    purr_datum s[64];
    size_t n = make_samples(s);
    for (size_t i = 0; i < n; i++)
        check_text_round_trip(&s[i]);
    free_samples(s, n);
}

Test(datum, text_form_scalars)
{
    purr_datum d;
    check_text_is(&(purr_datum){.type = PURR_T_NIL}, "nil");
    d = purr_datum_bool(true);
    check_text_is(&d, "true");
    d = purr_datum_bool(false);
    check_text_is(&d, "false");
    d = purr_datum_int(42);
    check_text_is(&d, "42");
    d = purr_datum_int(-7);
    check_text_is(&d, "-7");
    d = purr_datum_int(INT64_MIN);
    check_text_is(&d, "-9223372036854775808");
    d = purr_datum_int(INT64_MAX);
    check_text_is(&d, "9223372036854775807");
}

Test(datum, text_form_doubles_look_like_doubles)
{
    static const struct {
        double d;
        const char *text;
    } cases[] = {
        {1.0, "1.0"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {0.1, "0.1"},
        {1e300, "1e+300"},
        {100.0, "100.0"},
        {-2.5, "-2.5"},
        {1e15, "1e+15"},
        {5e-324, "4.94065645841247e-324"},
        {1.0 / 3.0, "0.3333333333333333"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        purr_datum d = purr_datum_double(cases[i].d);
        check_text_is(&d, cases[i].text);
    }
}

Test(datum, text_round_trip_special_doubles)
{
    for (size_t i = 0; i < NSPECIAL_DOUBLES; i++) {
        purr_datum d = purr_datum_double(dbits(special_double_bits[i]));
        check_text_round_trip(&d);
        char *text = purr_datum_format_alloc(&d);
        purr_datum back = parse_ok(text);
        cr_assert_eq(purr_datum_type(&back), PURR_T_DOUBLE);
        cr_assert_eq(bitsof(back.u.d), special_double_bits[i],
                     "%s read back as %016llx", text,
                     (unsigned long long)bitsof(back.u.d));
        free(text);
    }
}

Test(datum, text_round_trip_nan_payload)
{
    static const struct {
        uint64_t bits;
        const char *text;
    } cases[] = {
        {UINT64_C(0x7ff8000000000000), "nan"},
        {UINT64_C(0x7ff8000000000001), "nan(0x7ff8000000000001)"},
        {UINT64_C(0xfff8000000000000), "nan(0xfff8000000000000)"},
        {UINT64_C(0x7ff0000000000001), "nan(0x7ff0000000000001)"},
        {UINT64_C(0xffffffffffffffff), "nan(0xffffffffffffffff)"},
        {UINT64_C(0x7ff0000000000000), "inf"},
        {UINT64_C(0xfff0000000000000), "-inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        purr_datum d = purr_datum_double(dbits(cases[i].bits));
        check_text_is(&d, cases[i].text);
        purr_datum back = parse_ok(cases[i].text);
        cr_assert_eq(bitsof(back.u.d), cases[i].bits);
    }
    /* Upper-case hex and short payloads are read too. */
    purr_datum d = parse_ok("nan(0X7FF0000000000ABC)");
    cr_assert_eq(bitsof(d.u.d), UINT64_C(0x7ff0000000000abc));
}

Test(datum, zero_signs_differ)
{
    purr_datum pz = purr_datum_double(0.0), nz = purr_datum_double(-0.0);
    cr_assert(!purr_datum_equal(&pz, &nz));
    cr_assert_lt(purr_datum_compare(&nz, &pz), 0);
    cr_assert_neq(purr_datum_hash(&pz), purr_datum_hash(&nz));
    purr_datum back = parse_ok("-0.0");
    cr_assert(purr_datum_equal(&back, &nz));
    back = parse_ok("0.0");
    cr_assert(purr_datum_equal(&back, &pz));
}

Test(datum, text_form_strings_and_bytes)
{
    purr_datum d = purr_datum_string("");
    check_text_is(&d, "\"\"");
    purr_datum_free(&d);
    d = purr_datum_string_n("a\0" "1", 3);
    check_text_is(&d, "\"a\\01\"");
    purr_datum_free(&d);
    d = purr_datum_string("q\"b\\n\nt\tr\r\x01\x7f\xc3\xa9");
    check_text_is(&d, "\"q\\\"b\\\\n\\nt\\tr\\r\\x01\\x7f\\xc3\\xa9\"");
    purr_datum_free(&d);
    d = purr_datum_bytes(NULL, 0);
    check_text_is(&d, "b\"\"");
    purr_datum_free(&d);
    d = purr_datum_bytes("\x00\xff" "A", 3);
    check_text_is(&d, "b\"\\0\\xffA\"");
    purr_datum_free(&d);
}

Test(datum, text_round_trip_all_byte_values)
{
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    purr_datum s = purr_datum_string_n((const char *)all, 256);
    purr_datum b = purr_datum_bytes(all, 256);
    check_text_round_trip(&s);
    check_text_round_trip(&b);
    cr_assert(!purr_datum_equal(&s, &b), "string and bytes must differ");
    /* Each byte alone too, so every escape is checked at a boundary. */
    for (int i = 0; i < 256; i++) {
        purr_datum one = purr_datum_string_n((const char *)&all[i], 1);
        check_text_round_trip(&one);
        purr_datum_free(&one);
    }
    purr_datum_free(&s);
    purr_datum_free(&b);
}

Test(datum, text_form_tuples)
{
    purr_datum e = purr_datum_tuple(NULL, 0);
    check_text_is(&e, "()");
    purr_datum one_item = purr_datum_int(1);
    purr_datum one = purr_datum_tuple(&one_item, 1);
    check_text_is(&one, "(1,)");
    purr_datum items[3] = {purr_datum_int(1), purr_datum_string("a"),
                           purr_datum_copy(&one)};
    purr_datum t = purr_datum_tuple(items, 3);
    check_text_is(&t, "(1, \"a\", (1,))");
    purr_datum nested = nest(purr_datum_tuple(NULL, 0), 2);
    check_text_is(&nested, "(((),),)");
    purr_datum_free(&items[1]);
    purr_datum_free(&items[2]);
    purr_datum_free(&one);
    purr_datum_free(&t);
    purr_datum_free(&nested);
}

Test(datum, text_round_trip_nested_depth_10)
{
    /* Ten levels with a few items at each, so commas and nesting mix. */
    purr_datum d = purr_datum_string("leaf");
    for (int i = 0; i < 10; i++) {
        purr_datum items[3] = {purr_datum_int(i), d, purr_datum_double(i)};
        purr_datum t = purr_datum_tuple(items, 3);
        purr_datum_free(&d);
        d = t;
    }
    check_text_round_trip(&d);
    check_binary_round_trip(&d);
    purr_datum_free(&d);
}

Test(datum, parse_accepts_lenient_forms)
{
    static const struct {
        const char *text, *canonical;
    } cases[] = {
        {"  42\n", "42"},
        {"\t( 1 ,2, ) ", "(1, 2)"},
        {"(1,)", "(1,)"},
        {"( )", "()"},
        {"007", "7"},
        {"-0", "0"},
        {"1e300", "1e+300"},
        {"1E-2", "0.01"},
        {"2.50", "2.5"},
        {"\"\\xAB\"", "\"\\xab\""},
        {"\"caf\xc3\xa9\"", "\"caf\\xc3\\xa9\""},
        {"b\"\\\"\"", "b\"\\\"\""},
        {"(nil,true,false,inf,-inf,nan)",
         "(nil, true, false, inf, -inf, nan)"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"5e-324", "4.94065645841247e-324"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        purr_datum d = parse_ok(cases[i].text);
        char *text = purr_datum_format_alloc(&d);
        cr_assert_str_eq(text, cases[i].canonical, "parsing %s",
                         cases[i].text);
        free(text);
        purr_datum_free(&d);
    }
}

Test(datum, parse_rejects_with_offset)
{
    check_parse_fails("", 0);
    check_parse_fails("   ", 3);
    check_parse_fails("nul", 0);
    check_parse_fails("truex", 0);
    check_parse_fails("1 2", 2);
    check_parse_fails("(1 2)", 3);
    check_parse_fails("(1)", 2);             /* one-tuple needs its comma */
    check_parse_fails("(1,,)", 3);
    check_parse_fails("(,)", 1);
    check_parse_fails("(1,", 3);
    check_parse_fails("(1", 2);
    check_parse_fails(")", 0);
    check_parse_fails("\"abc", 4);
    check_parse_fails("\"a\\qb\"", 2);
    check_parse_fails("\"a\\x4g\"", 2);
    check_parse_fails("\"a\\", 3);
    check_parse_fails("\"a\nb\"", 2);       /* raw control byte */
    check_parse_fails("b\"\\x\"", 2);
    check_parse_fails("-", 1);
    check_parse_fails("-x", 1);
    check_parse_fails("-nan", 1);
    check_parse_fails("-infinity", 1);
    check_parse_fails("+1", 0);
    check_parse_fails("1.", 2);
    check_parse_fails(".5", 0);
    check_parse_fails("1e", 2);
    check_parse_fails("1e+", 3);
    check_parse_fails("1.5.3", 3);
    check_parse_fails("12abc", 2);
    check_parse_fails("9223372036854775808", 0);
    check_parse_fails("-9223372036854775809", 0);
    check_parse_fails("99999999999999999999", 0);
    check_parse_fails("1e999", 0);           /* not a finite double */
    check_parse_fails("nan(", 4);
    check_parse_fails("nan(0x", 6);
    check_parse_fails("nan(7ff8)", 4);
    check_parse_fails("nan(0x7ff8000000000001", 22);
    check_parse_fails("nan(0x0)", 6);        /* 0.0 is not a NaN */
    check_parse_fails("nan(0x7ff0000000000000)", 6); /* that is inf */
    check_parse_fails("nan(0x7ff80000000000001)", 22); /* 17 digits */
    check_parse_fails("b", 0);
    check_parse_fails("b'x'", 0);
    check_parse_fails("nil nil", 4);
    check_parse_fails_n("1\0", 2, 1);        /* embedded NUL after a value */
    check_parse_fails_n("\"\0\"", 3, 1);     /* raw NUL inside quotes */
}

/* Switches LC_NUMERIC to the first of names that exists. */
static bool
use_numeric_locale(const char *const *names)
{
    for (; *names != NULL; names++)
        if (setlocale(LC_NUMERIC, *names) != NULL)
            return true;
    return false;
}

Test(datum, text_form_ignores_numeric_locale)
{
    /* A comma decimal point (German), then a multibyte one (Pashto, U+066B).
     * The text form must keep '.', or tuples and recordings would break. */
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8",
                                        "fr_FR.UTF-8", "fr_FR.utf8", NULL};
    static const char *const arabic[] = {"ps_AF.UTF-8", "ps_AF.utf8", NULL};
    const char *const *locales[] = {comma, arabic};
    purr_datum items[4] = {purr_datum_double(1.5), purr_datum_double(-0.25),
                           purr_datum_double(1e-300 / 3),
                           purr_datum_double(1.0 / 3)};
    purr_datum t = purr_datum_tuple(items, 4);
    char *want = purr_datum_format_alloc(&t); /* in the "C" locale */
    cr_assert_str_eq(want, "(1.5, -0.25, 3.3333333333333334e-301, "
                           "0.3333333333333333)");
    int tried = 0;
    for (size_t l = 0; l < 2; l++) {
        if (!use_numeric_locale(locales[l]))
            continue;
        tried++;
        char *text = purr_datum_format_alloc(&t);
        cr_assert_str_eq(text, want, "in locale %s",
                         setlocale(LC_NUMERIC, NULL));
        purr_datum back = parse_ok(text);
        cr_assert(purr_datum_equal(&t, &back));
        purr_datum_free(&back);
        free(text);
        setlocale(LC_NUMERIC, "C");
    }
    free(want);
    purr_datum_free(&t);
    if (tried == 0)
        cr_skip_test("no de_DE, fr_FR or ps_AF locale installed");
}

Test(datum, parse_does_not_read_past_len)
{
    /* The text is not NUL-terminated: only len bytes count. */
    char text[] = {'1', '2', '3', '4'};
    purr_datum d;
    purr_assert_ok(purr_datum_parse(text, 2, &d, NULL));
    cr_assert_eq(purr_datum_as_int(&d), 12);
    char dbl[] = {'1', '.', '5', '5'};
    purr_assert_ok(purr_datum_parse(dbl, 3, &d, NULL));
    cr_assert_eq(purr_datum_as_double(&d), 1.5);
    char str[] = {'"', 'a', '"', 'b'};
    purr_assert_ok(purr_datum_parse(str, 3, &d, NULL));
    cr_assert_str_eq(purr_datum_str(&d, NULL), "a");
    purr_datum_free(&d);
    purr_assert_err(purr_datum_parse(str, 2, &d, NULL), PURR_EFORMAT);
}

/* Returns n open parens, a 0 and n close parens plus commas: n nested
 * one-tuples around 0. The caller frees it. */
static char *
nested_text(int n)
{
    char *s = malloc((size_t)n * 3 + 2);
    size_t k = 0;
    for (int i = 0; i < n; i++)
        s[k++] = '(';
    s[k++] = '0';
    for (int i = 0; i < n; i++) {
        s[k++] = ',';
        s[k++] = ')';
    }
    s[k] = '\0';
    return s;
}

Test(datum, parse_depth_limit)
{
    char *ok = nested_text(PURR_DATUM_MAX_DEPTH);
    purr_datum d = parse_ok(ok);
    purr_datum want = nest(purr_datum_int(0), PURR_DATUM_MAX_DEPTH);
    cr_assert(purr_datum_equal(&d, &want));
    purr_datum_free(&d);
    purr_datum_free(&want);
    free(ok);
    char *deep = nested_text(PURR_DATUM_MAX_DEPTH + 1);
    check_parse_fails(deep, PURR_DATUM_MAX_DEPTH);
    free(deep);
}

Test(datum, format_truncates_like_snprintf)
{
    purr_datum items[2] = {purr_datum_int(12), purr_datum_string("ab")};
    purr_datum t = purr_datum_tuple(items, 2);
    purr_datum_free(&items[1]);
    const char *full = "(12, \"ab\")";
    size_t n = strlen(full);
    cr_assert_eq(purr_datum_format(&t, NULL, 0), n);
    for (size_t cap = 1; cap <= n + 2; cap++) {
        char buf[32];
        memset(buf, 'X', sizeof buf);
        cr_assert_eq(purr_datum_format(&t, buf, cap), n);
        size_t w = cap - 1 < n ? cap - 1 : n;
        cr_assert_eq(memcmp(buf, full, w), 0);
        cr_assert_eq(buf[w], '\0');
        cr_assert_eq(buf[w + 1], 'X', "wrote past cap %zu", cap);
    }
    purr_datum_free(&t);
}

/* ---------------------------------------------------------------------- */
/* Binary encoding                                                         */
/* ---------------------------------------------------------------------- */

Test(datum, binary_round_trip_samples)
{
    purr_datum s[64];
    size_t n = make_samples(s);
    for (size_t i = 0; i < n; i++)
        check_binary_round_trip(&s[i]);
    free_samples(s, n);
}

/* Checks d encodes to exactly the n bytes at want. */
static void
check_encoding_is(const purr_datum *d, const uint8_t *want, size_t n)
{
    uint8_t buf[64];
    cr_assert_eq(purr_datum_encode(d, buf, sizeof buf), n);
    cr_assert_eq(memcmp(buf, want, n), 0);
}

Test(datum, binary_encoding_is_exact)
{
    purr_datum d = purr_datum_nil();
    check_encoding_is(&d, (const uint8_t[]){0}, 1);
    d = purr_datum_bool(true);
    check_encoding_is(&d, (const uint8_t[]){1, 1}, 2);
    d = purr_datum_int(-2);
    check_encoding_is(&d,
                      (const uint8_t[]){2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff},
                      9);
    d = purr_datum_int(0x0102030405060708);
    check_encoding_is(&d, (const uint8_t[]){2, 8, 7, 6, 5, 4, 3, 2, 1}, 9);
    d = purr_datum_double(1.0);
    check_encoding_is(&d, (const uint8_t[]){3, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f},
                      9);
    d = purr_datum_string("ab");
    check_encoding_is(&d, (const uint8_t[]){4, 2, 0, 0, 0, 'a', 'b'}, 7);
    purr_datum_free(&d);
    d = purr_datum_bytes("\0", 1);
    check_encoding_is(&d, (const uint8_t[]){5, 1, 0, 0, 0, 0}, 6);
    purr_datum_free(&d);
    purr_datum items[2] = {purr_datum_nil(), purr_datum_bool(false)};
    d = purr_datum_tuple(items, 2);
    check_encoding_is(&d, (const uint8_t[]){6, 2, 0, 0, 0, 0, 1, 0}, 8);
    purr_datum_free(&d);
}

Test(datum, encode_needs_room)
{
    purr_datum d = purr_datum_string("hello");
    uint8_t buf[16];
    memset(buf, 0xaa, sizeof buf);
    cr_assert_eq(purr_datum_encode(&d, buf, 9), 10);
    for (size_t i = 0; i < sizeof buf; i++)
        cr_assert_eq(buf[i], 0xaa, "encode wrote with too small a buffer");
    cr_assert_eq(purr_datum_encode(&d, buf, 10), 10);
    cr_assert_eq(buf[10], 0xaa);
    purr_datum_free(&d);
}

Test(datum, decode_rejects_every_truncation)
{
    purr_datum s[64];
    size_t n = make_samples(s);
    purr_datum all = purr_datum_tuple(s, n - 1); /* all but the deepest */
    free_samples(s, n);
    size_t len = purr_datum_encode(&all, NULL, 0);
    uint8_t *buf = malloc(len);
    purr_datum_encode(&all, buf, len);
    for (size_t k = 0; k < len; k++) {
        /* A fresh, exactly sized copy so ASan catches any overread. */
        uint8_t *cut = malloc(k ? k : 1);
        memcpy(cut, buf, k);
        check_decode_fails(cut, k);
        free(cut);
    }
    purr_datum back;
    purr_assert_ok(purr_datum_decode(buf, len, &back));
    cr_assert(purr_datum_equal(&all, &back));
    purr_datum_free(&back);
    purr_datum_free(&all);
    free(buf);
}

Test(datum, decode_rejects_trailing_byte)
{
    uint8_t buf[] = {2, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    purr_datum d;
    purr_assert_ok(purr_datum_decode(buf, 9, &d));
    cr_assert_eq(purr_datum_as_int(&d), 1);
    check_decode_fails(buf, 10);
    uint8_t nils[] = {0, 0};
    check_decode_fails(nils, 2);
}

Test(datum, decode_rejects_bad_tag)
{
    for (int tag = 7; tag < 256; tag++) {
        uint8_t buf[] = {(uint8_t)tag, 0, 0, 0, 0, 0, 0, 0, 0};
        check_decode_fails(buf, 1);
        check_decode_fails(buf, sizeof buf);
    }
    /* Inside a tuple too. */
    uint8_t t[] = {6, 1, 0, 0, 0, 7};
    check_decode_fails(t, sizeof t);
}

Test(datum, decode_rejects_bool_2)
{
    uint8_t ok[] = {1, 1};
    purr_datum d;
    purr_assert_ok(purr_datum_decode(ok, 2, &d));
    cr_assert(purr_datum_as_bool(&d));
    for (int v = 2; v < 256; v++) {
        uint8_t buf[] = {1, (uint8_t)v};
        check_decode_fails(buf, 2);
    }
}

Test(datum, decode_rejects_huge_length)
{
    uint8_t str[] = {4, 0xff, 0xff, 0xff, 0xff, 'a', 'b'};
    check_decode_fails(str, sizeof str);
    uint8_t bytes[] = {5, 0xff, 0xff, 0xff, 0xff, 'a'};
    check_decode_fails(bytes, sizeof bytes);
    uint8_t tuple[] = {6, 0xff, 0xff, 0xff, 0xff, 0, 0, 0};
    check_decode_fails(tuple, sizeof tuple);
    uint8_t off_by_one[] = {4, 3, 0, 0, 0, 'a', 'b'};
    check_decode_fails(off_by_one, sizeof off_by_one);
    uint8_t tuple_short[] = {6, 3, 0, 0, 0, 0, 0};
    check_decode_fails(tuple_short, sizeof tuple_short);
}

Test(datum, decode_rejects_hostile_nested_counts)
{
    /* 64 nested tuples, each claiming as many items as bytes remain. A
     * decoder that trusted each count separately would allocate 64 times
     * the input; this one must refuse (the items are not there). */
    enum { LEVELS = PURR_DATUM_MAX_DEPTH, PAD = 4096 };
    size_t len = LEVELS * 5 + PAD;
    uint8_t *buf = calloc(len, 1);
    for (int i = 0; i < LEVELS; i++) {
        uint32_t left = (uint32_t)(len - (size_t)i * 5 - 5);
        buf[i * 5] = PURR_T_TUPLE;
        buf[i * 5 + 1] = (uint8_t)left;
        buf[i * 5 + 2] = (uint8_t)(left >> 8);
        buf[i * 5 + 3] = (uint8_t)(left >> 16);
        buf[i * 5 + 4] = (uint8_t)(left >> 24);
    }
    check_decode_fails(buf, len);
    free(buf);
}

/* Returns the encoding of n nested one-tuples around nil, in *len. */
static uint8_t *
nested_encoding(int n, size_t *len)
{
    *len = (size_t)n * 5 + 1;
    uint8_t *buf = malloc(*len);
    for (int i = 0; i < n; i++) {
        uint8_t *p = buf + i * 5;
        p[0] = PURR_T_TUPLE;
        p[1] = 1;
        p[2] = p[3] = p[4] = 0;
    }
    buf[*len - 1] = PURR_T_NIL;
    return buf;
}

Test(datum, decode_depth_limit)
{
    size_t len;
    uint8_t *ok = nested_encoding(PURR_DATUM_MAX_DEPTH, &len);
    purr_datum d;
    purr_assert_ok(purr_datum_decode(ok, len, &d));
    purr_datum want = nest(purr_datum_nil(), PURR_DATUM_MAX_DEPTH);
    cr_assert(purr_datum_equal(&d, &want));
    purr_datum_free(&d);
    purr_datum_free(&want);
    free(ok);
    uint8_t *deep = nested_encoding(PURR_DATUM_MAX_DEPTH + 1, &len);
    check_decode_fails(deep, len);
    free(deep);
}

Test(datum, decode_empty_input)
{
    check_decode_fails(NULL, 0);
}

/* ---------------------------------------------------------------------- */
/* Equality, order, hashing                                                */
/* ---------------------------------------------------------------------- */

Test(datum, equal_compare_hash_consistent)
{
    purr_datum s[64], c[64];
    size_t n = make_samples(s);
    for (size_t i = 0; i < n; i++)
        c[i] = purr_datum_copy(&s[i]);
    for (size_t i = 0; i < n; i++) {
        cr_assert(purr_datum_equal(&s[i], &c[i]));
        cr_assert_eq(purr_datum_compare(&s[i], &c[i]), 0);
        cr_assert_eq(purr_datum_hash(&s[i]), purr_datum_hash(&c[i]));
        for (size_t j = 0; j < n; j++) {
            bool eq = purr_datum_equal(&s[i], &s[j]);
            int ab = purr_datum_compare(&s[i], &s[j]);
            int ba = purr_datum_compare(&s[j], &s[i]);
            cr_assert_eq(eq, ab == 0, "samples %zu, %zu", i, j);
            cr_assert_eq(ab < 0, ba > 0, "antisymmetry %zu, %zu", i, j);
            cr_assert_eq(ab > 0, ba < 0, "antisymmetry %zu, %zu", i, j);
            if (eq)
                cr_assert_eq(purr_datum_hash(&s[i]), purr_datum_hash(&s[j]));
            for (size_t k = 0; k < n; k++) {
                if (ab <= 0 && purr_datum_compare(&s[j], &s[k]) <= 0)
                    cr_assert_leq(purr_datum_compare(&s[i], &s[k]), 0,
                                  "transitivity %zu %zu %zu", i, j, k);
            }
        }
    }
    free_samples(s, n);
    free_samples(c, n);
}

Test(datum, equality_is_bitwise_and_typed)
{
    purr_datum i1 = purr_datum_int(1), d1 = purr_datum_double(1.0);
    cr_assert(!purr_datum_equal(&i1, &d1), "int 1 must differ from 1.0");
    purr_datum n1 = purr_datum_double(dbits(UINT64_C(0x7ff8000000000001)));
    purr_datum n1b = purr_datum_double(dbits(UINT64_C(0x7ff8000000000001)));
    purr_datum n2 = purr_datum_double(dbits(UINT64_C(0x7ff8000000000002)));
    cr_assert(purr_datum_equal(&n1, &n1b), "same NaN bits are equal");
    cr_assert(!purr_datum_equal(&n1, &n2), "other NaN bits differ");
    purr_datum s = purr_datum_string("x"), b = purr_datum_bytes("x", 1);
    cr_assert(!purr_datum_equal(&s, &b));
    purr_datum s0 = purr_datum_string_n("x\0", 2);
    cr_assert(!purr_datum_equal(&s, &s0), "embedded NUL counts");
    purr_datum_free(&s);
    purr_datum_free(&b);
    purr_datum_free(&s0);
}

Test(datum, compare_order)
{
    /* Each strictly before the next. */
    purr_datum seq[] = {
        purr_datum_nil(),
        purr_datum_bool(false),
        purr_datum_bool(true),
        purr_datum_int(INT64_MIN),
        purr_datum_int(-1),
        purr_datum_int(0),
        purr_datum_int(INT64_MAX),
        purr_datum_double(dbits(UINT64_C(0xffffffffffffffff))), /* -NaN */
        purr_datum_double(dbits(UINT64_C(0xfff8000000000000))),
        purr_datum_double(-INFINITY),
        purr_datum_double(-DBL_MAX),
        purr_datum_double(-1.0),
        purr_datum_double(-DBL_MIN),
        purr_datum_double(-0.0),
        purr_datum_double(0.0),
        purr_datum_double(dbits(1)),
        purr_datum_double(DBL_MIN),
        purr_datum_double(1.0),
        purr_datum_double(INFINITY),
        purr_datum_double(dbits(UINT64_C(0x7ff0000000000001))),
        purr_datum_double(dbits(UINT64_C(0x7ff8000000000000))),
        purr_datum_double(dbits(UINT64_C(0x7fffffffffffffff))),
        purr_datum_string(""),
        purr_datum_string_n("\0", 1),
        purr_datum_string("a"),
        purr_datum_string("ab"),
        purr_datum_string("b"),
        purr_datum_string("\xff"),
        purr_datum_bytes(NULL, 0),
        purr_datum_bytes("a", 1),
        purr_datum_tuple(NULL, 0),
        nest(purr_datum_nil(), 1),
        nest(purr_datum_int(0), 1),
    };
    size_t n = sizeof seq / sizeof seq[0];
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            cr_assert_lt(purr_datum_compare(&seq[i], &seq[j]), 0,
                         "item %zu should sort before %zu", i, j);
    purr_datum pair_a[2] = {purr_datum_int(1), purr_datum_int(2)};
    purr_datum pair_b[2] = {purr_datum_int(1), purr_datum_int(3)};
    purr_datum ta = purr_datum_tuple(pair_a, 2);
    purr_datum tb = purr_datum_tuple(pair_b, 2);
    purr_datum tp = purr_datum_tuple(pair_a, 1);
    cr_assert_lt(purr_datum_compare(&ta, &tb), 0);
    cr_assert_lt(purr_datum_compare(&tp, &ta), 0, "a prefix sorts first");
    purr_datum_free(&ta);
    purr_datum_free(&tb);
    purr_datum_free(&tp);
    for (size_t i = 0; i < n; i++)
        purr_datum_free(&seq[i]);
}

Test(datum, hash_is_fixed)
{
    /* FNV-1a of the encoding; these constants must never change. */
    purr_datum d = purr_datum_nil();
    cr_assert_eq(purr_datum_hash(&d), UINT64_C(0xaf63bd4c8601b7df));
    d = purr_datum_int(42);
    cr_assert_eq(purr_datum_hash(&d), UINT64_C(0x21fdd47119083f4f));
}

/* ---------------------------------------------------------------------- */
/* Constructors and accessors                                              */
/* ---------------------------------------------------------------------- */

Test(datum, accessors)
{
    purr_datum b = purr_datum_bool(true), i = purr_datum_int(-5);
    purr_datum d = purr_datum_double(2.5), s = purr_datum_string_n("a\0b", 3);
    purr_datum y = purr_datum_bytes("xy", 2), n = purr_datum_nil();
    cr_assert_eq(purr_datum_type(&b), PURR_T_BOOL);
    cr_assert_eq(purr_datum_type(&y), PURR_T_BYTES);
    cr_assert(purr_datum_as_bool(&b));
    cr_assert(!purr_datum_as_bool(&i));
    cr_assert_eq(purr_datum_as_int(&i), -5);
    cr_assert_eq(purr_datum_as_int(&d), 0);
    cr_assert_eq(purr_datum_as_double(&d), 2.5);
    cr_assert_eq(purr_datum_as_double(&i), -5.0);
    cr_assert_eq(purr_datum_as_double(&s), 0.0);
    size_t len = 99;
    const char *p = purr_datum_str(&s, &len);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(p, "a\0b", 4), 0, "NUL-terminated after len");
    p = purr_datum_str(&y, &len);
    cr_assert_eq(len, 2);
    cr_assert_str_eq(p, "xy");
    cr_assert_null(purr_datum_str(&i, &len));
    cr_assert_eq(len, 0);
    cr_assert_null(purr_datum_str(&n, NULL));
    purr_datum items[2] = {i, d};
    purr_datum t = purr_datum_tuple(items, 2);
    cr_assert_eq(purr_datum_tuple_len(&t), 2);
    cr_assert_eq(purr_datum_tuple_len(&i), 0);
    cr_assert_eq(purr_datum_as_int(purr_datum_tuple_at(&t, 0)), -5);
    cr_assert_null(purr_datum_tuple_at(&t, 2));
    cr_assert_null(purr_datum_tuple_at(&s, 0));
    purr_datum e = purr_datum_string("");
    cr_assert_str_eq(purr_datum_str(&e, NULL), "");
    purr_datum_free(&e);
    purr_datum_free(&s);
    purr_datum_free(&y);
    purr_datum_free(&t);
}

Test(datum, copies_are_deep)
{
    char src[] = "mutable";
    purr_datum s = purr_datum_string(src);
    src[0] = 'M';
    cr_assert_str_eq(purr_datum_str(&s, NULL), "mutable");
    purr_datum t = purr_datum_tuple(&s, 1);
    purr_datum_free(&s);
    purr_datum c = purr_datum_copy(&t);
    cr_assert_neq(c.u.items, t.u.items);
    cr_assert_neq(c.u.items[0].u.s, t.u.items[0].u.s);
    purr_datum_free(&t);
    cr_assert_str_eq(purr_datum_str(purr_datum_tuple_at(&c, 0), NULL),
                     "mutable");
    purr_datum_free(&c);
}

Test(datum, free_leaves_nil)
{
    purr_datum s = purr_datum_string("x");
    purr_datum_free(&s);
    cr_assert_eq(purr_datum_type(&s), PURR_T_NIL);
    purr_datum_free(&s); /* twice is harmless */
    purr_datum_free(NULL);
}

Test(datum, tuple_deeper_than_limit_panics, .signal = SIGABRT)
{
    purr_datum d = nest(purr_datum_nil(), PURR_DATUM_MAX_DEPTH);
    purr_datum too_deep = purr_datum_tuple(&d, 1);
    (void)too_deep;
}

/* ---------------------------------------------------------------------- */
/* Large and random values                                                 */
/* ---------------------------------------------------------------------- */

Test(datum, large_values_round_trip)
{
    /* Big enough that quadratic behaviour would time out. */
    enum { N = 200000 };
    purr_datum *items = malloc(N * sizeof *items);
    for (int i = 0; i < N; i++)
        items[i] = (i % 3 == 0) ? purr_datum_int(i)
                   : (i % 3 == 1) ? purr_datum_double(i * 0.5)
                                  : purr_datum_bool(i & 4);
    purr_datum t = purr_datum_tuple(items, N);
    free(items);
    check_text_round_trip(&t);
    check_binary_round_trip(&t);
    purr_datum_free(&t);

    size_t len = (size_t)1 << 20;
    char *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)(i * 131 + (i >> 8));
    purr_datum s = purr_datum_string_n(big, len);
    purr_datum b = purr_datum_bytes(big, len);
    free(big);
    check_text_round_trip(&s);
    check_binary_round_trip(&s);
    check_text_round_trip(&b);
    purr_datum_free(&s);
    purr_datum_free(&b);
}

/* splitmix64: a tiny PRNG with a fixed seed, so failures reproduce. */
static uint64_t
rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Returns a random datum at most depth tuples deep. */
static purr_datum
random_datum(uint64_t *rng, int depth)
{
    uint64_t r = rng_next(rng);
    switch (r % (depth > 0 ? 9 : 8)) {
    case 0:
        return purr_datum_nil();
    case 1:
        return purr_datum_bool(r & 256);
    case 2:
        return purr_datum_int((int64_t)rng_next(rng) >> (r >> 8) % 64);
    case 3:
        /* Any bits at all: NaN payloads, denormals, infinities. */
        return purr_datum_double(dbits(rng_next(rng)));
    case 4:
        /* Short decimal-ish doubles, the common case in scenes. */
        return purr_datum_double((double)((int64_t)(rng_next(rng) % 2000001) -
                                          1000000) /
                                 (double)(1 + (r >> 8) % 1000));
    case 5:
        return purr_datum_double(
            dbits(special_double_bits[(r >> 8) % NSPECIAL_DOUBLES]));
    case 6:
    case 7: {
        char buf[24];
        size_t n = (r >> 8) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rng_next(rng) >> 56);
        return (r & 1) ? purr_datum_bytes(buf, n)
                       : purr_datum_string_n(buf, n);
    }
    default: {
        purr_datum items[5] = {{.type = PURR_T_NIL}};
        size_t n = (r >> 8) % 6;
        for (size_t i = 0; i < n; i++)
            items[i] = random_datum(rng, depth - 1);
        purr_datum t = purr_datum_tuple(items, n);
        for (size_t i = 0; i < n; i++)
            purr_datum_free(&items[i]);
        return t;
    }
    }
}

Test(datum, randomized_round_trip)
{
    uint64_t rng = UINT64_C(0x5eed0fdeadbeef);
    purr_datum prev = purr_datum_nil();
    for (int iter = 0; iter < 3000; iter++) {
        purr_datum d = random_datum(&rng, 4);
        check_text_round_trip(&d);
        check_binary_round_trip(&d);
        purr_datum c = purr_datum_copy(&d);
        cr_assert(purr_datum_equal(&d, &c));
        cr_assert_eq(purr_datum_hash(&d), purr_datum_hash(&c));
        bool eq = purr_datum_equal(&d, &prev);
        int ab = purr_datum_compare(&d, &prev);
        int ba = purr_datum_compare(&prev, &d);
        cr_assert_eq(eq, ab == 0);
        cr_assert_eq(ab < 0, ba > 0);
        if (eq)
            cr_assert_eq(purr_datum_hash(&d), purr_datum_hash(&prev));
        purr_datum_free(&c);
        purr_datum_free(&prev);
        prev = d;
    }
    purr_datum_free(&prev);
}
