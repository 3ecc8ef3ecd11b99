/* export_text.c - the text exports (export.h): CSV wide, CSV long and JSON
 * Lines, streamed one transition (or, wide, one instant) at a time.
 *
 * Times are seconds since the run's start with nine decimals, which
 * `purr import` reads back to the exact ns.
 *
 * - CSV long and JSON Lines are the two formats `purr import` reads
 *   (docs/import.md): "time,value,datum" with the datum in purr's text form
 *   (purr_datum_format), and {"t": ..., "value": ..., "datum": ...}.
 * - CSV wide (RFC 4180): a header "time,NAME,..." and one row per instant
 *   at which a chosen value changed, the cells of the values that did not
 *   change empty. A cell holds a string datum as the string itself, always
 *   quoted (so that the empty string "" differs from an empty cell), and
 *   any other datum in purr's text form, quoted when it holds a comma, a
 *   quote or a line break; quotes inside quoted cells are doubled. A value
 *   that changes twice at one instant starts a second row with the same
 *   time, so no transition is lost.
 */
#include "export_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int
purr__export_seconds(purr__buf *b, purr_time time_ns)
{
    char tmp[48];
    uint64_t ns = time_ns < 0 ? 0 - (uint64_t)time_ns : (uint64_t)time_ns;
    int n = snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%09" PRIu64,
                     time_ns < 0 ? "-" : "", ns / 1000000000u,
                     ns % 1000000000u);
    return purr__buf_put(b, tmp, (size_t)n);
}

/* Appends d's text form (purr_datum_format). */
static int
text_datum(purr__buf *b, const purr_datum *d)
{
    size_t n = purr_datum_format(d, NULL, 0);
    int rc = purr__buf_reserve(b, n + 1);
    if (rc < 0)
        return rc;
    purr_datum_format(d, (char *)b->data + b->len, n + 1);
    b->len += n;
    return 0;
}

/* Appends len bytes at s as one RFC 4180 field: quoted when always is
 * set or the text holds a comma, a quote, CR or LF; quotes doubled. */
static int
csv_field(purr__buf *b, const char *s, size_t len, bool always)
{
    bool quote = always || memchr(s, ',', len) || memchr(s, '"', len) ||
                 memchr(s, '\n', len) || memchr(s, '\r', len);
    if (!quote)
        return purr__buf_put(b, s, len);
    int rc = purr__buf_reserve(b, 2 * len + 2);
    if (rc < 0)
        return rc;
    uint8_t *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *o++ = '"';
        *o++ = (uint8_t)s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

/* Appends d as a wide CSV cell. */
static int
csv_cell(purr__buf *b, purr__buf *tmp, const purr_datum *d)
{
    if (d->type == PURR_T_STRING)
        return csv_field(b, d->u.s, d->len, true);
    tmp->len = 0;
    int rc = text_datum(tmp, d);
    if (rc < 0)
        return rc;
    return csv_field(b, (const char *)tmp->data, tmp->len, false);
}

/* The state of a wide export: the row being gathered. */
typedef struct wide {
    size_t ncols;
    purr__buf *cells;   /* per column: its cell in the open row */
    bool *set;          /* per column: the open row has its cell */
    bool open;          /* a row is being gathered */
    purr_time time_ns;  /* the open row's time */
} wide;

/* Writes the open row to line, then closes it. */
static int
wide_row(wide *w, purr__buf *line)
{
    int rc = purr__export_seconds(line, w->time_ns);
    for (size_t c = 0; c < w->ncols && rc == 0; c++) {
        rc = purr__buf_puts(line, ",");
        if (rc == 0 && w->set[c])
            rc = purr__buf_put(line, w->cells[c].data, w->cells[c].len);
        w->set[c] = false;
    }
    if (rc == 0)
        rc = purr__buf_puts(line, "\r\n");
    w->open = false;
    return rc;
}

/* Writes line to out and empties it, counting the bytes. */
static int
flush_line(FILE *out, purr__buf *line, purr_export_stats *stats)
{
    if (line->len && fwrite(line->data, 1, line->len, out) != line->len)
        return PURR_EIO;
    stats->bytes += line->len;
    line->len = 0;
    return 0;
}

int
purr__export_text(purr_recording *rec, FILE *out, purr_export_format format,
                  purr__export_col *cols, size_t ncols, const int *col_of,
                  purr_time from_ns, purr_time to_ns,
                  purr_export_stats *stats, purr_diag *diag)
{
    const char *path = purr_recording_path(rec);
    purr__buf line = {0}, tmp = {0};
    wide w = {0};
    int rc = 0;

    /* The header. */
    if (format == PURR_EXPORT_CSV) {
        w.ncols = ncols;
        w.cells = calloc(ncols + 1, sizeof *w.cells);
        w.set = calloc(ncols + 1, sizeof *w.set);
        if (!w.cells || !w.set)
            rc = PURR_ENOMEM;
        if (rc == 0)
            rc = purr__buf_puts(&line, "time");
        for (size_t c = 0; c < ncols && rc == 0; c++) {
            const char *name = cols[c].value->name;
            if ((rc = purr__buf_puts(&line, ",")) == 0)
                rc = csv_field(&line, name, strlen(name), false);
        }
        if (rc == 0)
            rc = purr__buf_puts(&line, "\r\n");
    } else if (format == PURR_EXPORT_CSV_LONG) {
        rc = purr__buf_puts(&line, "time,value,datum\n");
    }

    purr_recording_iter it;
    bool open = false;
    const purr_recorded_value *first = purr_recording_value_at(rec, 0);
    if (rc == 0) {
        rc = purr_recording_iter_open(&it, rec);
        open = rc == 0;
    }
    while (rc == 0 && (rc = purr_recording_iter_next(&it, diag)) == 0) {
        if (it.time_ns < from_ns)
            continue;
        if (it.time_ns > to_ns)
            break;
        int c = col_of[it.value - first];
        if (c < 0)
            continue;
        const char *why = NULL;
        switch (format) {
        case PURR_EXPORT_CSV:
            if (w.open && (it.time_ns != w.time_ns || w.set[c]))
                rc = wide_row(&w, &line);
            if (rc == 0) {
                w.open = true;
                w.time_ns = it.time_ns;
                w.set[c] = true;
                w.cells[c].len = 0;
                rc = csv_cell(&w.cells[c], &tmp, &it.datum);
            }
            break;
        case PURR_EXPORT_CSV_LONG:
            if ((rc = purr__export_seconds(&line, it.time_ns)) == 0 &&
                (rc = purr__buf_puts(&line, ",")) == 0 &&
                (rc = purr__buf_puts(&line, it.value->name)) == 0 &&
                (rc = purr__buf_puts(&line, ",")) == 0 &&
                (rc = text_datum(&line, &it.datum)) == 0)
                rc = purr__buf_puts(&line, "\n");
            break;
        default: /* JSON Lines */
            if ((rc = purr__buf_puts(&line, "{\"t\": ")) == 0 &&
                (rc = purr__export_seconds(&line, it.time_ns)) == 0 &&
                (rc = purr__buf_puts(&line, ", \"value\": ")) == 0 &&
                (rc = purr__json_string(&line, it.value->name,
                                        strlen(it.value->name),
                                        PURR__JSON_VIEW)) == 0 &&
                (rc = purr__buf_puts(&line, ", \"datum\": ")) == 0 &&
                (rc = purr__json_datum(&line, &it.datum, PURR__JSON_EXACT,
                                       &why)) == 0)
                rc = purr__buf_puts(&line, "}\n");
            if (rc == PURR_EFORMAT) {
                char t[48];
                purr__buf tb = {0};
                purr__export_seconds(&tb, it.time_ns);
                snprintf(t, sizeof t, "%.*s", (int)tb.len,
                         tb.data ? (const char *)tb.data : "");
                purr__buf_free(&tb);
                purr_diag_set(diag, path, (long)it.seq, 0,
                              "%s at %ss is %s, which JSON Lines cannot "
                              "hold; export it with --format csv-long",
                              it.value->name, t, why ? why : "a datum");
            }
            break;
        }
        cols[c].count++;
        stats->transitions++;
        if (rc == 0 && line.len >= 1 << 16 &&
            (rc = flush_line(out, &line, stats)) < 0)
            stats->output_failed = true;
    }
    if (rc == PURR_ECLOSED)
        rc = 0;
    if (open)
        purr_recording_iter_close(&it);
    if (rc == 0 && w.open)
        rc = wide_row(&w, &line);
    if (rc == 0 && (rc = flush_line(out, &line, stats)) < 0)
        stats->output_failed = true;
    if (stats->output_failed)
        purr_diag_set(diag, "", 0, 0, "cannot write the export: %s",
                      strerror(errno ? errno : EIO));
    for (size_t c = 0; w.cells && c < ncols; c++)
        purr__buf_free(&w.cells[c]);
    free(w.cells);
    free(w.set);
    purr__buf_free(&line);
    purr__buf_free(&tmp);
    return rc;
}
