/* import_csv.c - the CSV log source: long logs (time,value,datum) and wide
 * ones (a time column and one column per value), read a line at a time.
 *
 * The header line decides the shape: exactly "time,value,datum" is a long
 * log, anything else a wide one. A wide log's columns are RFC 4180 fields
 * (quoted fields may hold commas, doubled quotes and newlines; CRLF line
 * ends; a UTF-8 BOM before the header is skipped) and are unquoted in
 * place in the line reader's buffer, so a row costs no allocation. Which
 * column is the time, how it is written and which columns are which inputs
 * comes from the map (import_map.c, merged with the command line's flags);
 * a column neither the map nor an input's name claims is skipped, and
 * listed once. An empty cell means "no update" of its value on that row
 * (a quoted empty cell, "", is an empty string).
 *
 * Cells convert as loggers write them (purr__cell_convert): 0/1, yes/no,
 * true/false for bools, integers for doubles, strings quoted or bare. A
 * long log's datum is first read in purr's text form (what `purr export`
 * and earlier versions write), then, when that is not of the input's type,
 * as a logger's cell.
 */
#include "import_int.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Cells                                                                   */
/* ---------------------------------------------------------------------- */

const char *
purr__import_printable(const char *s, size_t len, char out[64])
{
    size_t n = len > 40 ? 40 : len;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[n] = '\0';
    if (len > n)
        memcpy(out + n, "...", 4);
    return out;
}

const char *
purr__cell_expects(purr_type type)
{
    switch (type) {
    case PURR_T_BOOL:
        return "bool (0/1, true/false, yes/no)";
    case PURR_T_INT:
        return "int (an integer)";
    case PURR_T_DOUBLE:
        return "double (a number)";
    case PURR_T_STRING:
        return "string";
    default:
        return purr_type_name(type);
    }
}

/* Whether [s, s + len) is word, ignoring ASCII case. */
static bool
word_is(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* Reads [s, s + len) as a decimal int64 with an optional sign. */
static bool
parse_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len)
        return false;
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Reads a plain decimal "[-+]DIGITS[.DIGITS]" of at most 15 significant
 * digits (and a '.') exactly: m / 10^k with m < 2^53 and k <= 22 is one correctly
 * rounded IEEE division of two exact doubles (Clinger's fast path), the
 * same double strtod gives, at a fraction of its cost. Returns false for
 * anything else (the caller falls back to the full parser). */
static bool
fast_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,
                                   1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16};
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int ndig = 0, nfrac = 0;
    bool dot = false, any = false;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (m != 0 || c != '0')
                ndig++;
            if (ndig > 15)
                return false;
            m = m * 10 + (uint64_t)(c - '0');
            nfrac += dot;
            any = true;
        } else if (c == '.' && !dot && any) {
            dot = true;
        } else {
            return false;
        }
    }
    if (!any || !dot || s[len - 1] == '.' || nfrac > 16)
        return false; /* integers are read as ints: "-0" is 0.0 */
    double v = (double)m / pow10[nfrac];
    *out = neg ? -v : v;
    return true;
}

int
purr__cell_convert(const char *s, size_t len, purr_type type,
                   purr_datum *out)
{
    int64_t i;
    switch (type) {
    case PURR_T_BOOL:
        if (word_is(s, len, "1") || word_is(s, len, "true") ||
            word_is(s, len, "yes")) {
            *out = purr_datum_bool(true);
            return 0;
        }
        if (word_is(s, len, "0") || word_is(s, len, "false") ||
            word_is(s, len, "no")) {
            *out = purr_datum_bool(false);
            return 0;
        }
        return PURR_EFORMAT;
    case PURR_T_INT:
        if (!parse_int(s, len, &i))
            return PURR_EFORMAT;
        *out = purr_datum_int(i);
        return 0;
    case PURR_T_DOUBLE: {
        double fast;
        if (fast_decimal(s, len, &fast)) {
            *out = purr_datum_double(fast);
            return 0;
        }
        if (parse_int(s, len, &i)) {
            *out = purr_datum_double((double)i);
            return 0;
        }
        /* Only number characters (and nan/inf words) reach the text-form
         * parser, so a quoted string or a tuple is never a double. */
        size_t k = 0;
        if (k < len && (s[k] == '-' || s[k] == '+'))
            k++;
        bool word = word_is(s + k, len - k, "nan") ||
                    word_is(s + k, len - k, "inf") ||
                    word_is(s + k, len - k, "infinity");
        if (len == 0 || len > 64)
            return PURR_EFORMAT;
        char buf[72];
        size_t n = 0;
        if (word) {
            if (s[0] == '-')
                buf[n++] = '-';
            memcpy(buf + n, s[k] == 'n' || s[k] == 'N' ? "nan" : "inf", 3);
            n += 3;
        } else {
            for (size_t j = s[0] == '+' ? 1 : 0; j < len; j++) {
                char c = s[j];
                if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' ||
                      c == 'E' || c == '-' || c == '+'))
                    return PURR_EFORMAT;
                buf[n++] = c;
            }
        }
        purr_datum d;
        if (purr_datum_parse(buf, n, &d, NULL) < 0)
            return PURR_EFORMAT;
        if (d.type == PURR_T_INT)
            d = purr_datum_double((double)d.u.i);
        if (d.type != PURR_T_DOUBLE) {
            purr_datum_free(&d);
            return PURR_EFORMAT;
        }
        *out = d;
        return 0;
    }
    case PURR_T_STRING:
        if (len > UINT32_MAX)
            return PURR_EFORMAT;
        /* Borrowed: the caller keeps s alive and NUL-terminated. */
        out->type = PURR_T_STRING;
        out->len = (uint32_t)len;
        out->u.s = (char *)(uintptr_t)s;
        return 0;
    default:
        return PURR_EFORMAT;
    }
}

/* ---------------------------------------------------------------------- */
/* Splitting a line                                                        */
/* ---------------------------------------------------------------------- */

/* One field of a line, unquoted and NUL-terminated in the buffer. */
typedef struct field {
    char *s;
    size_t len;
    uint32_t col; /* 1-based byte column of its first byte on the line */
    bool quoted;  /* written in quotes: "" is an empty string, not an
                     empty cell */
} field;

typedef struct csv_src {
    purr__log_src base;
    const purr_import_schema *schema;
    const char *source;          /* "scene X", for messages */
    purr__line_reader lr;
    bool long_form;              /* time,value,datum */
    purr__time_format tfmt;
    const purr__import_map *map;
    size_t ncols;                /* the header's columns */
    size_t time_col;             /* index of the time column */
    const char *time_name;       /* its name (in names) */
    size_t *input_of;            /* per column: input, or SIZE_MAX */
    char **names;                /* per column: the header's names */
    field *fields;               /* the current row's fields */
    size_t fcap;
    /* The row being handed out. */
    size_t nfields;
    size_t next_col;             /* next column to look at */
    int64_t row_time;
    uint64_t row_line;
    uint32_t row_time_col;
    purr_datum owned;            /* a long log's datum, freed at the next
                                    call */
} csv_src;

/* Trims spaces and tabs at both ends of [*s, *s + *len). */
static void
trim(char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* Splits the line [p, p + n) into src->fields (RFC 4180), unquoting in
 * place. p[n] may be written. Returns 0 or PURR_EFORMAT with diag set. */
static int
split(csv_src *src, char *p, size_t n, uint64_t line, purr_diag *diag)
{
    size_t i = 0;
    src->nfields = 0;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    for (;;) {
        if (src->nfields == src->fcap) {
            size_t cap = src->fcap ? src->fcap * 2 : 16;
            field *nf = realloc(src->fields, cap * sizeof *nf);
            if (!nf)
                return PURR_ENOMEM;
            src->fields = nf;
            src->fcap = cap;
        }
        field *f = &src->fields[src->nfields++];
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        f->col = (uint32_t)(i + 1);
        f->quoted = i < n && p[i] == '"';
        if (f->quoted) {
            size_t w = i, q = i;
            i++;
            for (;;) {
                if (i >= n) {
                    purr_diag_set(diag, src->base.path, (long)line,
                                  (long)q + 1,
                                  "unterminated quoted field (last line: "
                                  "truncated?)");
                    return PURR_EFORMAT;
                }
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        p[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                p[w++] = p[i++];
            }
            while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
            if (i < n && p[i] != ',') {
                purr_diag_set(diag, src->base.path, (long)line, (long)i + 1,
                              "text after a quoted field's closing quote "
                              "(a quote inside a field is written \"\")");
                return PURR_EFORMAT;
            }
            f->s = p + q;
            f->len = w - q;
            /* w < i: the quotes were two bytes at least. */
            p[w] = '\0';
        } else {
            size_t j = i;
            while (j < n && p[j] != ',')
                j++;
            char *s = p + i;
            size_t len = j - i;
            trim(&s, &len);
            f->s = s;
            f->len = len;
            i = j;
            s[len] = '\0'; /* at the comma, a space, or p[n] */
        }
        if (i >= n)
            return 0;
        i++; /* the comma */
    }
}

/* ---------------------------------------------------------------------- */
/* The header                                                              */
/* ---------------------------------------------------------------------- */

static size_t
find_input(const purr_import_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->count; i++)
        if (strcmp(schema->inputs[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static int
set_up_wide(csv_src *src, const purr__import_ctx *ctx, purr_diag *diag)
{
    const purr__import_map *map = ctx->map;
    size_t nc = src->nfields;
    uint64_t line = src->lr.line;
    src->ncols = nc;
    src->input_of = malloc(nc * sizeof *src->input_of);
    src->names = calloc(nc, sizeof *src->names);
    if (!src->input_of || !src->names)
        return PURR_ENOMEM;
    for (size_t c = 0; c < nc; c++) {
        src->names[c] = strdup(src->fields[c].s);
        if (!src->names[c])
            return PURR_ENOMEM;
        src->input_of[c] = SIZE_MAX;
        if (src->fields[c].len == 0) {
            purr_diag_set(diag, src->base.path, (long)line,
                          (long)src->fields[c].col,
                          "column %zu has no name in the header", c + 1);
            return PURR_EFORMAT;
        }
        for (size_t d = 0; d < c; d++)
            if (strcmp(src->names[d], src->names[c]) == 0) {
                char shown[64];
                purr_diag_set(diag, src->base.path, (long)line,
                              (long)src->fields[c].col,
                              "column '%s' appears twice in the header",
                              purr__import_printable(src->names[c],
                                                     strlen(src->names[c]),
                                                     shown));
                return PURR_EFORMAT;
            }
    }
    /* The time column. */
    src->time_col = 0;
    if (map->time_column) {
        src->time_col = SIZE_MAX;
        for (size_t c = 0; c < nc; c++)
            if (strcmp(src->names[c], map->time_column) == 0)
                src->time_col = c;
        if (src->time_col == SIZE_MAX) {
            char shown[64];
            const char *t = map->time_column;
            if (map->path && map->time_line)
                purr_diag_set(diag, map->path, map->time_line, map->time_col,
                              "time column '%s' is not in %s's header",
                              purr__import_printable(t, strlen(t), shown),
                              src->base.path);
            else
                purr_diag_set(diag, src->base.path, (long)line, 0,
                              "no time column '%s' in the header",
                              purr__import_printable(t, strlen(t), shown));
            return PURR_EFORMAT;
        }
    }
    src->time_name = src->names[src->time_col];
    /* The map's columns, then the columns named like inputs. */
    for (size_t e = 0; e < map->count; e++) {
        const purr__map_entry *me = &map->entries[e];
        size_t c = 0;
        while (c < nc && strcmp(src->names[c], me->key) != 0)
            c++;
        if (c == nc)
            return purr__import_map_entry_missing(map, me, src->base.path,
                                                  "is not a column of",
                                                  diag);
        if (c == src->time_col) {
            purr_diag_set(diag, map->path ? map->path : src->base.path,
                          me->line, me->col,
                          "column '%s' is the time column", me->key);
            return PURR_EFORMAT;
        }
        src->input_of[c] = me->input;
    }
    for (size_t c = 0; c < nc; c++) {
        if (c == src->time_col || src->input_of[c] != SIZE_MAX)
            continue;
        size_t in = find_input(src->schema, src->names[c]);
        bool taken = false;
        for (size_t e = 0; e < map->count && in != SIZE_MAX; e++)
            taken |= map->entries[e].input == in;
        if (!taken)
            src->input_of[c] = in;
    }
    /* What is skipped, said once. */
    char list[400];
    size_t used = 0, skipped = 0, mapped = 0;
    list[0] = '\0';
    for (size_t c = 0; c < nc; c++) {
        if (c == src->time_col)
            continue;
        if (src->input_of[c] != SIZE_MAX) {
            mapped++;
            continue;
        }
        char shown[64];
        purr__import_printable(src->names[c], strlen(src->names[c]), shown);
        if (used + strlen(shown) + 8 < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     skipped ? ", " : "", shown);
        else if (used + 5 < sizeof list && !strstr(list, "..."))
            used += (size_t)snprintf(list + used, sizeof list - used, ", ...");
        skipped++;
    }
    if (skipped)
        purr__import_note(ctx, "%s: skipped %zu column%s (not an input, "
                          "not in the map): %s", src->base.path, skipped,
                          skipped == 1 ? "" : "s", list);
    if (mapped == 0) {
        purr_diag_set(diag, src->base.path, (long)line, 0,
                      "no column is an input of %s (name columns like the "
                      "inputs, or map them in a map file)", src->source);
        return PURR_EFORMAT;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Rows                                                                    */
/* ---------------------------------------------------------------------- */

/* Sets diag for a time that does not parse or is out of range. */
static int
bad_time(csv_src *src, const char *t, size_t len, uint64_t line,
         uint32_t col, purr_diag *diag)
{
    char shown[64];
    purr_diag_set(diag, src->base.path, (long)line, (long)col,
                  "bad time '%s' (expected %s%s)",
                  purr__import_printable(t, len, shown),
                  purr__time_format_what(src->tfmt),
                  src->tfmt == PURR__TIME_DEFAULT &&
                          (memchr(t, '-', len) || memchr(t, ':', len))
                      ? "; an ISO-8601 time needs --time-format iso8601"
                      : "");
    return PURR_EFORMAT;
}

/* Reads the next non-blank line into src->fields (wide) or leaves it for
 * the long parser (*line, *len). Returns 1, 0 at the end, or an error. */
static int
next_line(csv_src *src, char **line, size_t *len, bool *terminated,
          purr_diag *diag)
{
    for (;;) {
        const char *l;
        size_t n;
        int rc = purr__line_reader_next(&src->lr, &l, &n, terminated,
                                        src->base.path, diag);
        src->base.bytes_done = src->lr.offset + src->lr.start;
        if (rc <= 0)
            return rc;
        size_t k = 0;
        while (k < n && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r'))
            k++;
        if (k == n)
            continue; /* blank lines are allowed anywhere */
        *line = (char *)(uintptr_t)l;
        *len = n;
        return 1;
    }
}

/* A long log's line: time,value,datum with the datum in text form. */
static int
next_long(csv_src *src, purr__log_rec *rec, purr_diag *diag)
{
    char *line;
    size_t n;
    bool term;
    int rc = next_line(src, &line, &n, &term, diag);
    if (rc <= 0)
        return rc;
    uint64_t ln = src->lr.line;
    const char *trunc = term ? "" : " (last line: truncated?)";
    if (n > 0 && line[n - 1] == '\r')
        n--;
    char *c1 = memchr(line, ',', n);
    char *c2 = c1 ? memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2) {
        purr_diag_set(diag, src->base.path, (long)ln, 0,
                      "expected time,value,datum%s", trunc);
        return PURR_EFORMAT;
    }
    char *t = line, *v = c1 + 1, *d = c2 + 1;
    size_t tlen = (size_t)(c1 - line), vlen = (size_t)(c2 - v);
    size_t dlen = n - (size_t)(d - line);
    trim(&t, &tlen);
    trim(&v, &vlen);
    trim(&d, &dlen);
    uint32_t tcol = (uint32_t)(t - line + 1);
    if (purr__time_parse(t, tlen, src->tfmt, &rec->time_ns) < 0)
        return bad_time(src, t, tlen, ln, tcol, diag);
    char shown[64];
    if (vlen == 0) {
        purr_diag_set(diag, src->base.path, (long)ln, (long)(v - line + 1),
                      "empty value name");
        return PURR_EFORMAT;
    }
    v[vlen] = '\0'; /* at the second comma, or a space before it */
    const purr__map_entry *me = purr__import_map_find(src->map, v, vlen);
    size_t in = me ? me->input : find_input(src->schema, v);
    if (in == SIZE_MAX || memchr(v, '\0', vlen)) {
        purr_diag_set(diag, src->base.path, (long)ln, (long)(v - line + 1),
                      "unknown value '%s' (not an input of %s)",
                      purr__import_printable(v, vlen, shown), src->source);
        return PURR_EFORMAT;
    }
    purr_type want = src->schema->inputs[in].type;
    purr_datum_free(&src->owned);
    purr_datum dt;
    size_t off = 0;
    if (purr_datum_parse(d, dlen, &dt, &off) == 0) {
        if (want == PURR_T_DOUBLE && dt.type == PURR_T_INT)
            dt = purr_datum_double((double)dt.u.i);
        if (dt.type == want) {
            src->owned = dt;
            rec->datum = dt;
            goto done;
        }
        purr_datum_free(&dt);
    }
    /* A logger's cell: RFC 4180 quotes, then 0/1, yes/no, bare text. */
    char *cs = d;
    size_t clen = dlen;
    if (dlen >= 2 && d[0] == '"' && d[dlen - 1] == '"') {
        size_t w = 0;
        bool ok = true;
        for (size_t i = 1; i + 1 < dlen; i++) {
            if (d[i] == '"') {
                if (i + 2 < dlen && d[i + 1] == '"')
                    i++;
                else
                    ok = false;
            }
            d[w++] = d[i];
        }
        if (ok) {
            cs = d;
            clen = w;
        }
    }
    cs[clen] = '\0';
    if (purr__cell_convert(cs, clen, want, &dt) < 0) {
        purr_diag_set(diag, src->base.path, (long)ln, (long)(d - line + 1),
                      "value '%s': expected %s, got '%s'%s",
                      src->schema->inputs[in].name, purr__cell_expects(want),
                      purr__import_printable(cs, clen, shown), trunc);
        return PURR_EFORMAT;
    }
    rec->datum = dt;
done:
    rec->input = in;
    rec->where = ln;
    rec->time_col = tcol;
    return 1;
}

/* A wide log's updates: each row's non-empty mapped cells in column
 * order. */
static int
next_wide(csv_src *src, purr__log_rec *rec, purr_diag *diag)
{
    for (;;) {
        while (src->next_col < src->nfields) {
            size_t c = src->next_col++;
            size_t in = src->input_of[c];
            field *f = &src->fields[c];
            if (in == SIZE_MAX || (f->len == 0 && !f->quoted))
                continue; /* an empty cell: no update */
            purr_type want = src->schema->inputs[in].type;
            if (purr__cell_convert(f->s, f->len, want, &rec->datum) < 0) {
                char shown[64], name[64];
                purr_diag_set(diag, src->base.path, (long)src->row_line,
                              (long)f->col,
                              "column '%s': expected %s, got '%s'",
                              purr__import_printable(src->names[c],
                                                     strlen(src->names[c]),
                                                     name),
                              purr__cell_expects(want),
                              purr__import_printable(f->s, f->len, shown));
                return PURR_EFORMAT;
            }
            rec->time_ns = src->row_time;
            rec->input = in;
            rec->where = src->row_line;
            rec->time_col = src->row_time_col;
            return 1;
        }
        char *line;
        size_t n;
        bool term;
        int rc = next_line(src, &line, &n, &term, diag);
        if (rc <= 0)
            return rc;
        uint64_t ln = src->lr.line;
        if ((rc = split(src, line, n, ln, diag)) < 0)
            return rc;
        if (src->nfields != src->ncols) {
            purr_diag_set(diag, src->base.path, (long)ln, 0,
                          "%zu fields, the header has %zu%s", src->nfields,
                          src->ncols, term ? "" : " (last line: truncated?)");
            return PURR_EFORMAT;
        }
        field *tf = &src->fields[src->time_col];
        if (tf->len == 0) {
            purr_diag_set(diag, src->base.path, (long)ln, (long)tf->col,
                          "empty time in column '%s'", src->time_name);
            return PURR_EFORMAT;
        }
        if (purr__time_parse(tf->s, tf->len, src->tfmt, &src->row_time) < 0)
            return bad_time(src, tf->s, tf->len, ln, tf->col, diag);
        if (!src->base.has_start) {
            src->base.has_start = true;
            src->base.start_ns = src->row_time;
        }
        src->row_line = ln;
        src->row_time_col = tf->col;
        src->next_col = 0;
    }
}

static int
csv_next(purr__log_src *base, purr__log_rec *rec, purr_diag *diag)
{
    csv_src *src = (csv_src *)base;
    rec->datum = purr_datum_nil();
    return src->long_form ? next_long(src, rec, diag)
                          : next_wide(src, rec, diag);
}

static void
csv_close(purr__log_src *base)
{
    csv_src *src = (csv_src *)base;
    purr__line_reader_close(&src->lr);
    purr_datum_free(&src->owned);
    for (size_t c = 0; src->names && c < src->ncols; c++)
        free(src->names[c]);
    free(src->names);
    free(src->input_of);
    free(src->fields);
    free(src);
}

int
purr__import_open_csv(const purr__import_ctx *ctx, purr__log_src **out,
                      purr_diag *diag)
{
    csv_src *src = calloc(1, sizeof *src);
    if (!src)
        return PURR_ENOMEM;
    src->base.next = csv_next;
    src->base.close = csv_close;
    src->base.path = ctx->path;
    src->schema = ctx->schema;
    src->source = ctx->schema->source ? ctx->schema->source : "the schema";
    src->map = ctx->map;
    src->tfmt = ctx->map->time_format;
    src->owned = purr_datum_nil();
    src->lr.fd = -1;
    int rc = purr__line_reader_open(&src->lr, ctx->path,
                                    &src->base.bytes_total, diag);
    if (rc < 0)
        goto fail;
    char *line;
    size_t n;
    bool term;
    if ((rc = next_line(src, &line, &n, &term, diag)) < 0)
        goto fail;
    if (rc == 0) {
        purr_diag_set(diag, ctx->path, 0, 0, "empty log");
        rc = PURR_EFORMAT;
        goto fail;
    }
    if (src->lr.line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3; /* a UTF-8 byte order mark */
        n -= 3;
    }
    if ((rc = split(src, line, n, src->lr.line, diag)) < 0)
        goto fail;
    if (src->nfields == 3 && strcmp(src->fields[0].s, "time") == 0 &&
        strcmp(src->fields[1].s, "value") == 0 &&
        strcmp(src->fields[2].s, "datum") == 0) {
        src->long_form = true;
        if (ctx->map->time_column &&
            strcmp(ctx->map->time_column, "time") != 0) {
            purr_diag_set(diag, ctx->path, (long)src->lr.line, 0,
                          "a long log (time,value,datum) has its time in "
                          "column 'time', not '%s'", ctx->map->time_column);
            rc = PURR_EFORMAT;
            goto fail;
        }
    } else {
        src->lr.csv_quotes = true;
        if ((rc = set_up_wide(src, ctx, diag)) < 0)
            goto fail;
    }
    src->nfields = 0; /* the header is no row */
    src->base.absolute = src->tfmt == PURR__TIME_ISO8601 ||
                         ctx->map->epoch == 1;
    *out = &src->base;
    return 0;
fail:
    csv_close(&src->base);
    return rc;
}
