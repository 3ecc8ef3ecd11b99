/* diag.c - diagnostics about bad input, and the time format of reports.
 *
 * Every loader (scenes, recordings, field logs) reports bad input through a
 * purr_diag, and every command-line tool prints it with purr_diag_format as
 * a single "FILE:LINE:COLUMN: message" line before exiting with status 2. */
#include "core_int.h"

#include <stdarg.h>
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
    else
        n = snprintf(buf, cap, "%s: %s", diag->file, diag->message);
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
