/* diag.c - diagnostics about bad input, and the time format of reports
 * and of durations given on command lines and in scenes.
 *
 * Every loader (scenes, recordings, field logs) reports bad input through a
 * purr_diag, and every command-line tool prints it with purr_diag_format as
 * a single "FILE:LINE:COLUMN: message" line before exiting with status 2. */
#include "core_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void
purr_diag_set(purr_diag *diag, const char *file, long line, long column,
              const char *fmt, ...)
{
    if (!diag)
        return;
    size_t len = strnlen(file ? file : "", sizeof diag->file - 1);
    memcpy(diag->file, file ? file : "", len);
    diag->file[len] = '\0';
    diag->line = line;
    diag->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
}

size_t
purr_diag_format(const purr_diag *diag, char *buf, size_t cap)
{
    int n;
    if (diag->line > 0 && diag->column > 0)
        n = snprintf(buf, cap, "%s:%ld:%ld: %s", diag->file, diag->line,
                     diag->column, diag->message);
    else if (diag->line > 0)
        n = snprintf(buf, cap, "%s:%ld: %s", diag->file, diag->line,
                     diag->message);
    else if (diag->file[0])
        n = snprintf(buf, cap, "%s: %s", diag->file, diag->message);
    else /* no file to name (an empty path given): the message says so */
        n = snprintf(buf, cap, "%s", diag->message);
    return n < 0 ? 0 : (size_t)n;
}

size_t
purr_time_format(purr_time t, char *buf, size_t cap)
{
    long long ms = (long long)(t / PURR_MS);
    int n = snprintf(buf, cap, "%02lld:%02lld:%02lld.%03lld", ms / 3600000,
                     ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
    return n < 0 ? 0 : (size_t)n;
}

/* Durations: a decimal number and a unit, exact to the ns. */
int
purr_duration_parse(const char *text, purr_time *duration)
{
    static const struct {
        const char *name;
        purr_time ns;
    } units[] = {
        {"ns", PURR_NS},       {"us", PURR_US},      {"ms", PURR_MS},
        {"s", PURR_S},         {"min", 60 * PURR_S}, {"h", 3600 * PURR_S},
        {"d", 86400 * PURR_S},
    };
    const char *p = text;
    uint64_t whole = 0;
    int digits = 0;
    bool overflow = false;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (UINT64_MAX - 9) / 10)
            overflow = true;
        else
            whole = whole * 10 + (uint64_t)(*p - '0');
    }
    /* The fraction is kept as up to 18 digits over a power of ten, so
     * "1.5min" is exact. */
    uint64_t frac = 0, frac_scale = 1;
    if (*p == '.') {
        p++;
        int fdigits = 0;
        for (; *p >= '0' && *p <= '9'; p++, fdigits++) {
            if (frac_scale < 1000000000000000000u) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            }
        }
        if (fdigits == 0)
            return PURR_EFORMAT;
    }
    if (digits == 0)
        return PURR_EFORMAT;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].name) != 0)
            continue;
        uint64_t unit = (uint64_t)units[i].ns;
        if (overflow || whole > (uint64_t)INT64_MAX / unit)
            return PURR_ERANGE;
        /* frac / frac_scale * unit without overflow: unit <= 8.64e13 and
         * frac < 1e18, so split the unit. */
        __uint128_t part = (__uint128_t)frac * unit / frac_scale;
        __uint128_t total = (__uint128_t)whole * unit + part;
        if (total > (__uint128_t)INT64_MAX)
            return PURR_ERANGE;
        *duration = (purr_time)total;
        return 0;
    }
    return PURR_EFORMAT;
}
