/* test_import_time.c - the importer's times and cells, as tables: every
 * time format read exactly to the ns, ISO-8601 to epoch ns checked
 * against the C library's timegm (UTC) as an independent oracle, and the
 * cells loggers write converted to each type or refused. */
#include "import_test.h"

#include <time.h>

static int64_t
t_of(const char *s, purr__time_format f, int *rc)
{
    int64_t t = -1;
    *rc = purr__time_parse(s, strlen(s), f, &t);
    return t;
}

Test(import_time, relative_formats_are_exact)
{
    static const struct {
        const char *text;
        purr__time_format fmt;
        int64_t want; /* -1: refused */
    } cases[] = {
        {"0", PURR__TIME_DEFAULT, 0},
        {"1.25", PURR__TIME_DEFAULT, 1250000000},
        {"3.000000001", PURR__TIME_DEFAULT, 3000000001},
        {"3.0000000019", PURR__TIME_DEFAULT, 3000000001}, /* 9 decimals */
        {"1500ms", PURR__TIME_DEFAULT, 1500000000},
        {"2min", PURR__TIME_DEFAULT, 120000000000},
        {"1.5", PURR__TIME_S, 1500000000},
        {"1500ms", PURR__TIME_S, -1}, /* a unit only by default */
        {"1500", PURR__TIME_MS, 1500000000},
        {"0.000001", PURR__TIME_MS, 1},
        {"0.0000001", PURR__TIME_MS, -1}, /* below 1 ns */
        {"12.5", PURR__TIME_US, 12500},
        {"42", PURR__TIME_NS, 42},
        {"42.0", PURR__TIME_NS, -1},
        {"9223372036854775807", PURR__TIME_NS, INT64_MAX},
        {"9223372036854775808", PURR__TIME_NS, -1},
        {"9223372037", PURR__TIME_S, -1}, /* beyond int64 ns */
        {"-1", PURR__TIME_DEFAULT, -1},
        {"1.", PURR__TIME_DEFAULT, -1},
        {"", PURR__TIME_DEFAULT, -1},
        {"1e3", PURR__TIME_S, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        int64_t t = t_of(cases[i].text, cases[i].fmt, &rc);
        if (cases[i].want < 0)
            cr_assert_lt(rc, 0, "'%s' read as %lld", cases[i].text,
                         (long long)t);
        else
            cr_assert(rc == 0 && t == cases[i].want, "'%s': rc %d, %lld",
                      cases[i].text, rc, (long long)t);
    }
}

/* ns since the epoch by timegm, for the oracle. */
static int64_t
oracle(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * PURR_S;
}

Test(import_time, iso8601_against_timegm)
{
    int rc;
    purr__time_format f = PURR__TIME_ISO8601;
    cr_assert_eq(t_of("1970-01-01T00:00:00Z", f, &rc), 0);
    cr_assert_eq(t_of("2024-12-05T14:03:12.120Z", f, &rc),
                 oracle(2024, 12, 5, 14, 3, 12) + 120000000);
    cr_assert_eq(t_of("2024-12-05T16:03:12.120+02:00", f, &rc),
                 oracle(2024, 12, 5, 14, 3, 12) + 120000000);
    cr_assert_eq(t_of("2024-12-05 09:03:12,5-05:00", f, &rc),
                 oracle(2024, 12, 5, 14, 3, 12) + 500000000);
    cr_assert_eq(t_of("1969-12-31T23:59:59.5Z", f, &rc), -500000000);
    cr_assert_eq(t_of("2000-02-29T12:00:00z", f, &rc),
                 oracle(2000, 2, 29, 12, 0, 0));
    /* Every day of four years around a leap year and century rules. */
    for (int y = 1899; y <= 2101; y += 101)
        for (int doy = 0; doy < 366; doy++) {
            struct tm tm = {.tm_year = y - 1900, .tm_mday = 1 + doy};
            time_t tt = timegm(&tm); /* normalises the day */
            struct tm n;
            gmtime_r(&tt, &n);
            char s[40];
            snprintf(s, sizeof s, "%04d-%02d-%02dT00:00:00Z",
                     n.tm_year + 1900, n.tm_mon + 1, n.tm_mday);
            cr_assert_eq(t_of(s, f, &rc), (int64_t)tt * PURR_S, "%s", s);
        }
    const char *bad[] = {"2024-12-05T14:03:12",       /* no zone */
                         "2024-02-30T00:00:00Z",      /* no such day */
                         "2023-02-29T00:00:00Z",      /* not a leap year */
                         "2024-13-01T00:00:00Z",      "2024-12-05T24:00:00Z",
                         "2024-12-05T14:03:12.Z",     "2024-12-05T14:03Z",
                         "2024-12-05T14:03:12+2:00",  "2024-12-05T14:03:12Zx",
                         "1733407392",
                         "5975-12-05T14:03:12Z",      /* beyond int64 ns */
                         "1600-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_of(bad[i], f, &rc);
        cr_assert_lt(rc, 0, "'%s' accepted", bad[i]);
    }
}

Test(import_time, epoch_detection)
{
    cr_assert_not(purr__time_looks_epoch(3600 * PURR_S));
    cr_assert_not(purr__time_looks_epoch((int64_t)9 * 365 * 86400 * PURR_S));
    cr_assert(purr__time_looks_epoch((int64_t)1733407392 * PURR_S));
}

Test(import_time, cells_convert_as_loggers_write_them)
{
    static const struct {
        const char *text;
        purr_type type;
        const char *want; /* purr_datum_format; NULL: refused */
    } cases[] = {
        {"1", PURR_T_BOOL, "true"},       {"0", PURR_T_BOOL, "false"},
        {"true", PURR_T_BOOL, "true"},    {"False", PURR_T_BOOL, "false"},
        {"YES", PURR_T_BOOL, "true"},     {"no", PURR_T_BOOL, "false"},
        {"2", PURR_T_BOOL, NULL},         {"maybe", PURR_T_BOOL, NULL},
        {"", PURR_T_BOOL, NULL},          {"42", PURR_T_INT, "42"},
        {"-9223372036854775808", PURR_T_INT, "-9223372036854775808"},
        {"9223372036854775808", PURR_T_INT, NULL},
        {"+7", PURR_T_INT, "7"},          {"1.0", PURR_T_INT, NULL},
        {"0x10", PURR_T_INT, NULL},       {"7", PURR_T_DOUBLE, "7.0"},
        {"-0.5", PURR_T_DOUBLE, "-0.5"},  {"1e300", PURR_T_DOUBLE, "1e+300"},
        {"2.5E-3", PURR_T_DOUBLE, "0.0025"}, {".5", PURR_T_DOUBLE, NULL},
        {"nan", PURR_T_DOUBLE, "nan"},    {"-inf", PURR_T_DOUBLE, "-inf"},
        {"1,5", PURR_T_DOUBLE, NULL},     {"\"1\"", PURR_T_DOUBLE, NULL},
        {"1e999", PURR_T_DOUBLE, NULL},   {"abc", PURR_T_STRING, "\"abc\""},
        {"", PURR_T_STRING, "\"\""},      {"(1, 2)", PURR_T_STRING, "\"(1, 2)\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        purr_datum d = purr_datum_nil();
        int rc = purr__cell_convert(cases[i].text, strlen(cases[i].text),
                                    cases[i].type, &d);
        if (!cases[i].want) {
            cr_assert_lt(rc, 0, "'%s' as %s accepted", cases[i].text,
                         purr_type_name(cases[i].type));
            continue;
        }
        cr_assert_eq(rc, 0, "'%s' as %s refused", cases[i].text,
                     purr_type_name(cases[i].type));
        cr_assert_eq(d.type, cases[i].type);
        char text[64];
        purr_datum_format(&d, text, sizeof text);
        cr_assert_str_eq(text, cases[i].want, "'%s'", cases[i].text);
        if (d.type != PURR_T_STRING) /* strings are borrowed */
            purr_datum_free(&d);
    }
}

/* Decimals read by the fast path are the doubles strtod reads (the C
 * library as the oracle), bit for bit, across magnitudes and lengths. */
Test(import_time, decimal_cells_are_read_as_strtod_reads_them)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int n = 0; n < 200000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* IP.FRAC with 0 to 8 integer digits and 1 to 17 decimals. */
        int ip = (int)(x % 9), frac = 1 + (int)((x >> 8) % 17);
        char s[48];
        size_t k = 0;
        if (x >> 63)
            s[k++] = '-';
        uint64_t y = x;
        for (int d = 0; d < ip + frac; d++) {
            if (d == ip)
                k += (size_t)snprintf(s + k, 3, "%s", ip ? "." : "0.");
            s[k++] = (char)('0' + y % 10);
            y = y / 10 ^ (y << 7);
        }
        s[k] = '\0';
        purr_datum d;
        cr_assert_eq(purr__cell_convert(s, k, PURR_T_DOUBLE, &d), 0, "%s", s);
        double want = strtod(s, NULL);
        cr_assert_eq(memcmp(&d.u.d, &want, sizeof want), 0, "%s: %.17g, "
                     "strtod %.17g", s, d.u.d, want);
    }
}
