/* import_time.c - the times of field logs: seconds with decimals, ms/us/ns
 * counts, durations with units and ISO-8601 date-times, to int64 ns.
 *
 * Every conversion is exact integer arithmetic (no floating point, no
 * strtod): "1.25" is 1250000000 ns whatever the rounding mode. ISO-8601
 * times become ns since the Unix epoch by the days-from-civil arithmetic
 * below rather than timegm/mktime, so no time-zone state of the C library
 * (TZ, /etc/localtime) can change an import: the zone is the one the text
 * states (Z or +hh:mm / -hh:mm), and a time without a zone is refused.
 */
#include "import_int.h"

#include <string.h>

/* Ten years, roughly: a relative time beyond it is surely an epoch time
 * (a field log of ten years is not plausible; 1970 + 10 years is in the
 * past of every logger). */
#define EPOCH_HINT_NS ((int64_t)10 * 365 * 24 * 3600 * PURR_S)

bool
purr__time_looks_epoch(int64_t time_ns)
{
    return time_ns > EPOCH_HINT_NS;
}

int64_t
purr__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm, in eras of 400 years (146097 days) that
     * start on March 1st so that the leap day ends a year. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                             /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

const char *
purr__time_format_what(purr__time_format fmt)
{
    switch (fmt) {
    case PURR__TIME_S:
        return "seconds like 1.25";
    case PURR__TIME_MS:
        return "milliseconds like 1250";
    case PURR__TIME_US:
        return "microseconds like 1250000";
    case PURR__TIME_NS:
        return "nanoseconds like 1250000000";
    case PURR__TIME_ISO8601:
        return "an ISO-8601 time with a zone like 2024-12-05T14:03:12.120Z";
    default:
        return "seconds like 1.25, or a duration like 1.5s or 200ms";
    }
}

int
purr__time_format_parse(const char *name, purr__time_format *out)
{
    static const struct {
        const char *name;
        purr__time_format fmt;
    } names[] = {{"s", PURR__TIME_S},        {"ms", PURR__TIME_MS},
                 {"us", PURR__TIME_US},      {"ns", PURR__TIME_NS},
                 {"iso8601", PURR__TIME_ISO8601}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    return PURR_EINVAL;
}

/* Reads an unsigned decimal "DIGITS[.DIGITS]" from [s, s + len) scaled by
 * unit ns (1 for ns ... 10^9 for s) into *out, exactly. Fractions below
 * 1 ns are refused unless truncate_frac (seconds keep the historical
 * rule: at most 9 decimals are read, the rest ignored). Returns the number
 * of bytes read (the whole number), 0 when there are no digits, or
 * PURR_ERANGE. */
static long
read_scaled(const char *s, size_t len, int64_t unit, bool frac_ok,
            int64_t *out)
{
    size_t i = 0;
    int64_t whole = 0;
    size_t ndig = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        int dgt = s[i++] - '0';
        if (whole > (INT64_MAX - dgt) / 10)
            return PURR_ERANGE;
        whole = whole * 10 + dgt;
        ndig++;
    }
    if (ndig == 0)
        return 0;
    if (whole > INT64_MAX / unit)
        return PURR_ERANGE;
    int64_t ns = whole * unit;
    if (i < len && s[i] == '.') {
        if (!frac_ok)
            return (long)i; /* the caller sees the '.' */
        i++;
        size_t f0 = i;
        int64_t scale = unit;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            int dgt = s[i++] - '0';
            if (scale % 10 == 0) {
                scale /= 10;
                ns += dgt * scale;
                if (ns < 0)
                    return PURR_ERANGE;
            } else if (dgt != 0 && unit != PURR_S) {
                return 0; /* below 1 ns */
            }
        }
        if (i == f0)
            return 0; /* "1." */
    }
    *out = ns;
    return (long)i;
}

/* Reads exactly n digits at s into *v. */
static bool
digits(const char *s, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

static bool
is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|z|+hh:mm|-hh:mm|+hhmm|-hhmm). */
static int
parse_iso8601(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, sec;
    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &sec))
        return PURR_EFORMAT;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 ||
        sec > 60)
        return PURR_EFORMAT;
    if (sec == 60)
        sec = 59; /* a leap second: held at :59 (POSIX time has none) */
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        size_t f0 = i;
        int64_t scale = PURR_S;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
            i++;
        }
        if (i == f0)
            return PURR_EFORMAT;
    }
    int64_t offset_s;
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        offset_s = 0;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        size_t rest = len - i - 1;
        const char *o = s + i + 1;
        if (rest == 5 && o[2] == ':' && digits(o, 2, &oh) &&
            digits(o + 3, 2, &om)) {
        } else if (rest == 4 && digits(o, 2, &oh) && digits(o + 2, 2, &om)) {
        } else if (rest == 2 && digits(o, 2, &oh)) {
            om = 0;
        } else {
            return PURR_EFORMAT;
        }
        if (oh > 23 || om > 59)
            return PURR_EFORMAT;
        offset_s = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    } else {
        return PURR_EFORMAT; /* no zone: which one is unknown */
    }
    int64_t days = purr__days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    /* int64 ns reach from 1677 to 2262 only. */
    if (secs >= INT64_MAX / PURR_S || secs <= INT64_MIN / PURR_S)
        return PURR_ERANGE;
    *out = secs * PURR_S + frac;
    return 0;
}

int
purr__time_parse(const char *s, size_t len, purr__time_format fmt,
                 int64_t *out)
{
    int64_t unit;
    switch (fmt) {
    case PURR__TIME_ISO8601:
        return parse_iso8601(s, len, out);
    case PURR__TIME_MS:
        unit = PURR_MS;
        break;
    case PURR__TIME_US:
        unit = PURR_US;
        break;
    case PURR__TIME_NS:
        unit = 1;
        break;
    default:
        unit = PURR_S;
        break;
    }
    int64_t ns = 0;
    long n = read_scaled(s, len, unit, unit != 1, &ns);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return PURR_EFORMAT;
    if ((size_t)n == len) {
        *out = ns;
        return 0;
    }
    if (fmt != PURR__TIME_DEFAULT)
        return PURR_EFORMAT;
    /* A unit follows: the scene's duration syntax reads the whole. */
    char buf[64];
    if (len >= sizeof buf)
        return PURR_EFORMAT;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return purr_duration_parse(buf, out);
}
