/* import_jsonl.c - the JSON Lines log source: one object
 * {"t": SECONDS, "value": NAME, "datum": JSON} per line.
 *
 * Lines come from the block reader (import_read.c), so a log of any size
 * is read in constant memory. Each line is read by the small strict JSON
 * parser below (objects only at the top, numbers, true, false, null,
 * strings, arrays as tuples): it says exactly where a line goes wrong.
 * Why not jansson, which purr uses for every other JSON: jansson (2.14)
 * hands numbers over as doubles, and "t" must be read from its decimal
 * text to be exact: near an epoch time like 1733500000.123456789 doubles
 * are 238 ns apart, and two logs that differ by a nanosecond must not
 * import the same.
 *
 * The value's name is looked up in the map (values:) and then among the
 * schema's inputs; the datum must have the input's type, except that an
 * int is accepted for a double input and converted. "t" is read in the
 * map's time format (seconds, or a duration with a unit, by default).
 */
#include "import_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* JSON Lines: a strict parser for the subset we need                      */
/* ---------------------------------------------------------------------- */

typedef struct jp {
    const char *s;      /* the line */
    size_t len, pos;    /* its length, the read position */
    char *err;          /* message buffer */
    size_t errcap;
} jp;

static int
jfail(jp *p, const char *what)
{
    snprintf(p->err, p->errcap, "column %zu: %s", p->pos + 1, what);
    return PURR_EFORMAT;
}

static void
jws(jp *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
            p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
        p->pos++;
}

static bool
jlit(jp *p, const char *lit)
{
    size_t n = strlen(lit);
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits of a \u escape. Returns the code unit or -1. */
static long
jhex4(jp *p)
{
    if (p->len - p->pos < 4)
        return -1;
    long u = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0)
            return -1;
        u = u * 16 + h;
    }
    p->pos += 4;
    return u;
}

/* Parses a JSON string at p->pos (at its '"') into a fresh heap buffer
 * (*out, *outlen; UTF-8). Returns 0 or PURR_EFORMAT. */
static int
jstring(jp *p, char **out, size_t *outlen)
{
    size_t cap = 32, n = 0;
    char *b = malloc(cap);
    if (!b)
        return PURR_ENOMEM;
    p->pos++; /* the quote */
    for (;;) {
        if (p->pos >= p->len) {
            free(b);
            return jfail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->pos++];
        char enc[4];
        size_t k = 0;
        if (c == '"')
            break;
        if (c < 0x20) {
            p->pos--;
            free(b);
            return jfail(p, "control character in string");
        }
        if (c != '\\') {
            enc[k++] = (char)c;
        } else {
            if (p->pos >= p->len) {
                free(b);
                return jfail(p, "unterminated string");
            }
            char e = p->s[p->pos++];
            long u;
            switch (e) {
            case '"': case '\\': case '/':
                enc[k++] = e;
                break;
            case 'b': enc[k++] = '\b'; break;
            case 'f': enc[k++] = '\f'; break;
            case 'n': enc[k++] = '\n'; break;
            case 'r': enc[k++] = '\r'; break;
            case 't': enc[k++] = '\t'; break;
            case 'u':
                if ((u = jhex4(p)) < 0) {
                    free(b);
                    return jfail(p, "bad \\u escape");
                }
                if (u >= 0xd800 && u < 0xdc00) {
                    long lo = -1;
                    if (jlit(p, "\\u"))
                        lo = jhex4(p);
                    if (lo < 0xdc00 || lo > 0xdfff) {
                        free(b);
                        return jfail(p, "unpaired surrogate in \\u escape");
                    }
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                } else if (u >= 0xdc00 && u < 0xe000) {
                    free(b);
                    return jfail(p, "unpaired surrogate in \\u escape");
                }
                if (u < 0x80) {
                    enc[k++] = (char)u;
                } else if (u < 0x800) {
                    enc[k++] = (char)(0xc0 | u >> 6);
                    enc[k++] = (char)(0x80 | (u & 0x3f));
                } else if (u < 0x10000) {
                    enc[k++] = (char)(0xe0 | u >> 12);
                    enc[k++] = (char)(0x80 | (u >> 6 & 0x3f));
                    enc[k++] = (char)(0x80 | (u & 0x3f));
                } else {
                    enc[k++] = (char)(0xf0 | u >> 18);
                    enc[k++] = (char)(0x80 | (u >> 12 & 0x3f));
                    enc[k++] = (char)(0x80 | (u >> 6 & 0x3f));
                    enc[k++] = (char)(0x80 | (u & 0x3f));
                }
                break;
            default:
                p->pos--;
                free(b);
                return jfail(p, "bad escape in string");
            }
        }
        if (n + k + 1 > cap) {
            cap *= 2;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                return PURR_ENOMEM;
            }
            b = nb;
        }
        memcpy(b + n, enc, k);
        n += k;
    }
    b[n] = '\0';
    *out = b;
    *outlen = n;
    return 0;
}

/* Scans a JSON number at p->pos: sets *start, *n and *is_double. */
static int
jnumber_scan(jp *p, size_t *start, size_t *n, bool *is_double)
{
    size_t i = p->pos;
    *start = i;
    *is_double = false;
    if (i < p->len && p->s[i] == '-')
        i++;
    if (i < p->len && p->s[i] == '0') {
        i++;
    } else if (i < p->len && p->s[i] >= '1' && p->s[i] <= '9') {
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    } else {
        return jfail(p, "bad number");
    }
    if (i < p->len && p->s[i] == '.') {
        *is_double = true;
        i++;
        size_t d = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
        if (i == d) {
            p->pos = i;
            return jfail(p, "bad number: digits expected after '.'");
        }
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        *is_double = true;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        size_t d = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
        if (i == d) {
            p->pos = i;
            return jfail(p, "bad number: digits expected in exponent");
        }
    }
    *n = i - *start;
    p->pos = i;
    return 0;
}

/* Parses one JSON value into *d (nil on failure). depth bounds nesting. */
static int
jvalue(jp *p, purr_datum *d, int depth)
{
    *d = purr_datum_nil();
    jws(p);
    if (p->pos >= p->len)
        return jfail(p, "value expected, the line ended");
    char c = p->s[p->pos];
    if (c == '"') {
        char *s;
        size_t n;
        int rc = jstring(p, &s, &n);
        if (rc < 0)
            return rc;
        if (n > UINT32_MAX) {
            free(s);
            return jfail(p, "string too long");
        }
        *d = purr_datum_string_n(s, n);
        free(s);
        return 0;
    }
    if (c == '[') {
        if (depth >= PURR_DATUM_MAX_DEPTH)
            return jfail(p, "arrays nested too deeply");
        p->pos++;
        purr_datum *items = NULL;
        size_t n = 0, cap = 0;
        int rc = 0;
        jws(p);
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
        } else {
            for (;;) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 4;
                    purr_datum *ni = realloc(items, cap * sizeof *items);
                    if (!ni) {
                        rc = PURR_ENOMEM;
                        break;
                    }
                    items = ni;
                }
                if ((rc = jvalue(p, &items[n], depth + 1)) < 0)
                    break;
                n++;
                jws(p);
                if (p->pos < p->len && p->s[p->pos] == ',') {
                    p->pos++;
                    continue;
                }
                if (p->pos < p->len && p->s[p->pos] == ']') {
                    p->pos++;
                    break;
                }
                rc = jfail(p, "',' or ']' expected in array");
                break;
            }
        }
        if (rc == 0)
            *d = purr_datum_tuple(items, n);
        for (size_t i = 0; i < n; i++)
            purr_datum_free(&items[i]);
        free(items);
        return rc;
    }
    if (jlit(p, "true")) {
        *d = purr_datum_bool(true);
        return 0;
    }
    if (jlit(p, "false")) {
        *d = purr_datum_bool(false);
        return 0;
    }
    if (jlit(p, "null"))
        return 0;
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start, n;
        bool dbl;
        int rc = jnumber_scan(p, &start, &n, &dbl);
        if (rc < 0)
            return rc;
        /* The text form reads JSON numbers the same way: a '.' or an
         * exponent makes a double, else an int (which must fit int64). */
        if (purr_datum_parse(p->s + start, n, d, NULL) < 0) {
            p->pos = start;
            return jfail(p, dbl ? "number out of range"
                                : "integer out of int64 range");
        }
        return 0;
    }
    if (c == '{')
        return jfail(p, "objects are only allowed at the top level");
    return jfail(p, "value expected");
}

/* Parses one line into rec, reading "t" in fmt. */
static int
parse_line(const char *line, size_t len, purr__time_format fmt,
           purr_import_record *rec, char *err, size_t errcap)
{
    jp p = {line, len, 0, err, errcap};
    bool have_t = false, have_v = false, have_d = false;
    int rc;
    rec->datum = purr_datum_nil();
    jws(&p);
    if (p.pos >= p.len || p.s[p.pos] != '{')
        return jfail(&p, "'{' expected");
    p.pos++;
    jws(&p);
    if (p.pos < p.len && p.s[p.pos] == '}')
        return jfail(&p, "\"t\", \"value\" and \"datum\" expected");
    for (;;) {
        jws(&p);
        if (p.pos >= p.len || p.s[p.pos] != '"') {
            rc = jfail(&p, "key expected");
            goto fail;
        }
        size_t key_at = p.pos;
        char *key;
        size_t klen;
        if ((rc = jstring(&p, &key, &klen)) < 0)
            goto fail;
        jws(&p);
        if (p.pos >= p.len || p.s[p.pos] != ':') {
            free(key);
            rc = jfail(&p, "':' expected");
            goto fail;
        }
        p.pos++;
        jws(&p);
        if (strcmp(key, "t") == 0 && !have_t) {
            free(key);
            size_t start, n;
            bool dbl;
            if (p.pos < p.len && p.s[p.pos] == '"') {
                /* A string time may carry a unit: "1.5s". */
                char *ts;
                size_t tn;
                if ((rc = jstring(&p, &ts, &tn)) < 0)
                    goto fail;
                rc = purr__time_parse(ts, tn, fmt, &rec->time_ns);
                free(ts);
            } else if ((rc = jnumber_scan(&p, &start, &n, &dbl)) < 0) {
                goto fail;
            } else {
                rc = purr__time_parse(p.s + start, n, fmt, &rec->time_ns);
            }
            if (rc < 0) {
                rc = jfail(&p, "bad time (seconds >= 0 like 1.25, or a "
                               "string with a unit like \"200ms\")");
                goto fail;
            }
            have_t = true;
        } else if (strcmp(key, "value") == 0 && !have_v) {
            free(key);
            char *name;
            size_t n;
            if (p.pos >= p.len || p.s[p.pos] != '"') {
                rc = jfail(&p, "\"value\" must be a string");
                goto fail;
            }
            if ((rc = jstring(&p, &name, &n)) < 0)
                goto fail;
            if (n == 0 || n >= sizeof rec->value || strlen(name) != n) {
                free(name);
                rc = jfail(&p, "bad value name");
                goto fail;
            }
            memcpy(rec->value, name, n + 1);
            free(name);
            have_v = true;
        } else if (strcmp(key, "datum") == 0 && !have_d) {
            free(key);
            if ((rc = jvalue(&p, &rec->datum, 0)) < 0)
                goto fail;
            have_d = true;
        } else {
            bool dup = strcmp(key, "t") == 0 || strcmp(key, "value") == 0 ||
                       strcmp(key, "datum") == 0;
            free(key);
            p.pos = key_at;
            rc = jfail(&p, dup ? "duplicate key"
                               : "unknown key (expected \"t\", \"value\", "
                                 "\"datum\")");
            goto fail;
        }
        jws(&p);
        if (p.pos < p.len && p.s[p.pos] == ',') {
            p.pos++;
            continue;
        }
        if (p.pos < p.len && p.s[p.pos] == '}') {
            p.pos++;
            break;
        }
        rc = jfail(&p, "',' or '}' expected");
        goto fail;
    }
    jws(&p);
    if (p.pos != p.len) {
        rc = jfail(&p, "text after the object");
        goto fail;
    }
    if (!have_t || !have_v || !have_d) {
        rc = jfail(&p, !have_t   ? "missing \"t\""
                       : !have_v ? "missing \"value\""
                                 : "missing \"datum\"");
        goto fail;
    }
    return 0;
fail:
    purr_datum_free(&rec->datum);
    return rc;
}

int
purr__import_parse_jsonl_line(const char *line, size_t len,
                              purr_import_record *rec, char *err,
                              size_t errcap)
{
    return parse_line(line, len, PURR__TIME_DEFAULT, rec, err, errcap);
}

/* ---------------------------------------------------------------------- */
/* The source                                                              */
/* ---------------------------------------------------------------------- */

typedef struct jsonl_src {
    purr__log_src base;
    const purr_import_schema *schema;
    const purr__import_map *map;
    const char *source;          /* "scene X", for messages */
    purr__line_reader lr;
    purr_datum owned;            /* the last datum handed out */
} jsonl_src;

static int
jsonl_next(purr__log_src *base, purr__log_rec *rec, purr_diag *diag)
{
    jsonl_src *src = (jsonl_src *)base;
    purr_datum_free(&src->owned);
    rec->datum = purr_datum_nil();
    for (;;) {
        const char *line;
        size_t n;
        bool term;
        int rc = purr__line_reader_next(&src->lr, &line, &n, &term,
                                        base->path, diag);
        base->bytes_done = src->lr.offset + src->lr.start;
        if (rc <= 0)
            return rc;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t' ||
                         line[k] == '\r'))
            k++;
        if (k == n)
            continue; /* blank lines are allowed anywhere */
        long ln = (long)src->lr.line;
        purr_import_record r;
        char err[200];
        if ((rc = parse_line(line, n, src->map->time_format, &r, err,
                             sizeof err)) < 0) {
            purr_diag_set(diag, base->path, ln, 0, "%s%s", err,
                          term ? "" : " (last line: truncated?)");
            return rc;
        }
        const purr__map_entry *me =
            purr__import_map_find(src->map, r.value, strlen(r.value));
        size_t in = SIZE_MAX;
        if (me) {
            in = me->input;
        } else {
            for (size_t i = 0; i < src->schema->count; i++)
                if (strcmp(src->schema->inputs[i].name, r.value) == 0)
                    in = i;
        }
        char shown[64];
        if (in == SIZE_MAX) {
            purr_datum_free(&r.datum);
            purr_diag_set(diag, base->path, ln, 0,
                          "unknown value '%s' (not an input of %s)",
                          purr__import_printable(r.value, strlen(r.value),
                                                 shown),
                          src->source);
            return PURR_EFORMAT;
        }
        purr_type want = src->schema->inputs[in].type;
        if (want == PURR_T_DOUBLE && r.datum.type == PURR_T_INT)
            r.datum = purr_datum_double((double)r.datum.u.i);
        if (r.datum.type != want) {
            purr_diag_set(diag, base->path, ln, 0,
                          "value '%s' is %s, the datum is %s",
                          purr__import_printable(r.value, strlen(r.value),
                                                 shown),
                          purr_type_name(want),
                          purr_type_name((purr_type)r.datum.type));
            purr_datum_free(&r.datum);
            return PURR_EFORMAT;
        }
        src->owned = r.datum;
        rec->datum = r.datum;
        rec->time_ns = r.time_ns;
        rec->input = in;
        rec->where = (uint64_t)ln;
        rec->time_col = 0;
        return 1;
    }
}

static void
jsonl_close(purr__log_src *base)
{
    jsonl_src *src = (jsonl_src *)base;
    purr__line_reader_close(&src->lr);
    purr_datum_free(&src->owned);
    free(src);
}

int
purr__import_open_jsonl(const purr__import_ctx *ctx, purr__log_src **out,
                        purr_diag *diag)
{
    jsonl_src *src = calloc(1, sizeof *src);
    if (!src)
        return PURR_ENOMEM;
    src->base.next = jsonl_next;
    src->base.close = jsonl_close;
    src->base.path = ctx->path;
    src->schema = ctx->schema;
    src->map = ctx->map;
    src->source = ctx->schema->source ? ctx->schema->source : "the schema";
    src->owned = purr_datum_nil();
    src->lr.fd = -1;
    int rc = purr__line_reader_open(&src->lr, ctx->path,
                                    &src->base.bytes_total, diag);
    if (rc < 0) {
        jsonl_close(&src->base);
        return rc;
    }
    if (src->base.bytes_total == 0) {
        jsonl_close(&src->base);
        purr_diag_set(diag, ctx->path, 0, 0, "empty log");
        return PURR_EFORMAT;
    }
    src->base.absolute = src->map->time_format == PURR__TIME_ISO8601 ||
                         src->map->epoch == 1;
    *out = &src->base;
    return 0;
}
