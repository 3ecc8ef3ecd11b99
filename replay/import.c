/* import.c - field-log import: a real robot's input log becomes a
 * recording holding only inputs.
 *
 * Two formats (docs/import.md): CSV with the header "time,value,datum",
 * where datum is in purr_datum_format text form, and JSON Lines, one object
 * {"t": SECONDS, "value": NAME, "datum": JSON} per line, read by the small
 * strict JSON parser below (objects only at the top, numbers, true, false,
 * null, strings, arrays). Times are seconds with decimals ("1.25", read
 * exactly to the ns, no floating point) or durations with a unit ("1.5s",
 * "200ms"; purr_duration_parse).
 *
 * The whole log is read and checked before anything is written: every
 * value must be one of the schema's inputs and the datum of its type (an
 * int is accepted for a double input and converted), and times must not go
 * backwards. The first bad line ends the import with "LOG:LINE: message".
 * The recording is then made the ordinary way, by the recorder observing a
 * virtual-clock loop on which a task sets each input at its time, into a
 * temporary file that is renamed over the output at the end, so a failed
 * import leaves no partial output behind.
 *
 * Layering: the inputs come as a schema (names, types, initial datums and
 * metadata), so this file knows no scene; the command line builds the
 * schema from a scene (purr_import_scene_log, cli.h). The line parsers are
 * what fuzz_import.c drives.
 */
#include "replay_int.h"


#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Times                                                                   */
/* ---------------------------------------------------------------------- */

int
purr__import_parse_time(const char *s, size_t len, purr_time *out)
{
    size_t i = 0;
    int64_t sec = 0, frac = 0;
    int ndig = 0, nfrac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (sec > (INT64_MAX / PURR_S - 9) / 10)
            return PURR_ERANGE;
        sec = sec * 10 + (s[i++] - '0');
        ndig++;
    }
    if (ndig == 0)
        return PURR_EFORMAT;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nfrac < 9) {
                frac = frac * 10 + (s[i] - '0');
                nfrac++;
            }
            i++;
            ndig++;
        }
        if (ndig == 0 || s[i - 1] == '.')
            return PURR_EFORMAT;
    }
    if (i == len) {
        while (nfrac++ < 9)
            frac *= 10;
        *out = sec * PURR_S + frac;
        return 0;
    }
    /* A unit follows: let the scene's duration syntax read the whole. */
    char buf[64];
    if (len >= sizeof buf)
        return PURR_EFORMAT;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return purr_duration_parse(buf, out);
}

/* Copies at most 40 bytes of [s, s + len) into out (64 bytes) for a
 * message, with every byte outside printable ASCII shown as '?', so that a
 * message stays one line of text whatever the log holds. */
static const char *
printable(const char *s, size_t len, char out[64])
{
    size_t n = len > 40 ? 40 : len;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[n] = '\0';
    if (len > n)
        memcpy(out + n, "...", 4);
    return out;
}

/* ---------------------------------------------------------------------- */
/* CSV                                                                     */
/* ---------------------------------------------------------------------- */

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Trims spaces (and a CR) at both ends of [*s, *s + *len). */
static void
trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

int
purr__import_parse_csv_line(const char *line, size_t len,
                            purr_import_record *rec, char *err,
                            size_t errcap)
{
    const char *c1 = memchr(line, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line))
                        : NULL;
    rec->datum = purr_datum_nil();
    if (!c2) {
        snprintf(err, errcap, "expected time,value,datum");
        return PURR_EFORMAT;
    }
    const char *t = line, *v = c1 + 1, *d = c2 + 1;
    size_t tlen = (size_t)(c1 - line), vlen = (size_t)(c2 - v);
    size_t dlen = len - (size_t)(d - line);
    trim(&t, &tlen);
    trim(&v, &vlen);
    int rc = purr__import_parse_time(t, tlen, &rec->time_ns);
    if (rc < 0) {
        char shown[64];
        snprintf(err, errcap, "bad time '%s' (seconds like 1.25, or a "
                 "duration like 1.5s or 200ms)", printable(t, tlen, shown));
        return rc == PURR_ERANGE ? PURR_EFORMAT : rc;
    }
    if (vlen == 0 || vlen >= sizeof rec->value) {
        snprintf(err, errcap, vlen ? "value name too long" : "empty value "
                                                             "name");
        return PURR_EFORMAT;
    }
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)v[i] < 0x20) {
            snprintf(err, errcap, "control character in the value name");
            return PURR_EFORMAT;
        }
    memcpy(rec->value, v, vlen);
    rec->value[vlen] = '\0';
    size_t off = 0;
    if (purr_datum_parse(d, dlen, &rec->datum, &off) < 0) {
        snprintf(err, errcap, "bad datum at column %zu (purr text form, "
                 "e.g. 42, 1.5, true, \"text\", (1, 2))",
                 (size_t)(d - line) + off + 1);
        return PURR_EFORMAT;
    }
    return 0;
}

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

int
purr__import_parse_jsonl_line(const char *line, size_t len,
                              purr_import_record *rec, char *err,
                              size_t errcap)
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
                rc = purr__import_parse_time(ts, tn, &rec->time_ns);
                free(ts);
            } else if ((rc = jnumber_scan(&p, &start, &n, &dbl)) < 0) {
                goto fail;
            } else {
                rc = purr__import_parse_time(p.s + start, n, &rec->time_ns);
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

/* ---------------------------------------------------------------------- */
/* Reading a whole log                                                     */
/* ---------------------------------------------------------------------- */

/* One input to set. */
typedef struct in_set {
    purr_time time_ns;
    size_t sensor;          /* index in the schema's inputs */
    purr_datum d;           /* owned */
} in_set;

typedef struct importer {
    const char *log_path;
    const purr_import_schema *schema;
    in_set *sets;
    size_t nsets, cap;
    purr_value **values;    /* by sensor index, during the run */
    int run_err;
} importer;

/* Reads the whole log at path into *text (out, malloc'd) and *len (out).
 * Only a regular file of at most PURR_IMPORT_MAX_BYTES is read: anything
 * else (/dev/zero, a FIFO, a directory) is refused before its first byte,
 * and a file that grows past the limit while read is refused too.
 * Returns 0 or a code with diag set. */
static int
read_file(const char *path, char **text, size_t *len, purr_diag *diag)
{
    if (!path[0]) {
        purr_diag_set(diag, "", 0, 0, "no log given (an empty path)");
        return PURR_ENOENT;
    }
    /* O_NONBLOCK: opening a FIFO would wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return PURR_ENOENT;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        purr_diag_set(diag, path, 0, 0,
                      "not a regular file (a log must be a CSV or JSON "
                      "Lines file)");
        return PURR_EFORMAT;
    }
    FILE *f = st.st_size <= PURR_IMPORT_MAX_BYTES ? fdopen(fd, "rb") : NULL;
    if (!f) {
        close(fd);
        if (st.st_size <= PURR_IMPORT_MAX_BYTES) {
            purr_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
            return PURR_ENOENT;
        }
        goto too_big;
    }
    /* At most one byte past the limit is read: enough to tell. */
    const size_t most = (size_t)PURR_IMPORT_MAX_BYTES + 1;
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap || n == most)
            break;
        cap = cap * 2 < most ? cap * 2 : most;
        char *nb = realloc(b, cap);
        if (!nb)
            free(b);
        b = nb;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!b)
        return PURR_ENOMEM;
    if (n > PURR_IMPORT_MAX_BYTES) {
        free(b);
        goto too_big;
    }
    if (bad) {
        free(b);
        purr_diag_set(diag, path, 0, 0, "read error");
        return PURR_ENOENT; /* the log cannot be read; EIO is the output's */
    }
    *text = b;
    *len = n;
    return 0;

too_big:
    purr_diag_set(diag, path, 0, 0, "larger than %d MiB: not a field log",
                  PURR_IMPORT_MAX_BYTES >> 20);
    return PURR_EFORMAT;
}

/* Finds the input called name, or returns SIZE_MAX. */
static size_t
find_sensor(const purr_import_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->count; i++)
        if (strcmp(schema->inputs[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* Checks one parsed record against the schema and appends it. */
static int
accept_record(importer *im, long lineno, purr_import_record *rec,
              purr_time last, purr_diag *diag)
{
    size_t si = find_sensor(im->schema, rec->value);
    char shown[64];
    if (si == SIZE_MAX) {
        purr_diag_set(diag, im->log_path, lineno, 0,
                      "unknown value '%s' (not an input of %s)",
                      printable(rec->value, strlen(rec->value), shown),
                      im->schema->source ? im->schema->source
                                         : "the schema");
        return PURR_EFORMAT;
    }
    purr_type want = im->schema->inputs[si].type;
    if (want == PURR_T_DOUBLE && rec->datum.type == PURR_T_INT)
        rec->datum = purr_datum_double((double)rec->datum.u.i);
    if (rec->datum.type != want) {
        purr_diag_set(diag, im->log_path, lineno, 0,
                      "value '%s' is %s, the datum is %s",
                      printable(rec->value, strlen(rec->value), shown),
                      purr_type_name(want),
                      purr_type_name((purr_type)rec->datum.type));
        return PURR_EFORMAT;
    }
    if (rec->time_ns < last) {
        purr_diag_set(diag, im->log_path, lineno, 0,
                      "time goes backwards (%" PRId64 " ns after %" PRId64
                      " ns)",
                      rec->time_ns, last);
        return PURR_EFORMAT;
    }
    if (im->nsets == im->cap) {
        im->cap = im->cap ? im->cap * 2 : 1024;
        in_set *ns = realloc(im->sets, im->cap * sizeof *ns);
        if (!ns)
            return PURR_ENOMEM;
        im->sets = ns;
    }
    im->sets[im->nsets++] = (in_set){rec->time_ns, si, rec->datum};
    rec->datum = purr_datum_nil();
    return 0;
}

static int
parse_log(importer *im, const char *text, size_t len, purr_import_format fmt,
          purr_diag *diag)
{
    long lineno = 0;
    size_t pos = 0;
    bool header = fmt == PURR_IMPORT_CSV;
    purr_time last = 0;
    char err[200];

    if (len == 0) {
        purr_diag_set(diag, im->log_path, 0, 0, "empty log");
        return PURR_EFORMAT;
    }
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        const char *t = line;
        size_t tn = n;
        trim(&t, &tn);
        if (tn == 0)
            continue; /* blank lines are allowed anywhere */
        if (header) {
            header = false;
            if (tn != 16 || memcmp(t, "time,value,datum", 16) != 0) {
                purr_diag_set(diag, im->log_path, lineno, 0,
                              "expected the header line time,value,datum");
                return PURR_EFORMAT;
            }
            continue;
        }
        purr_import_record rec;
        int rc = fmt == PURR_IMPORT_CSV
                     ? purr__import_parse_csv_line(line, n, &rec, err,
                                                   sizeof err)
                     : purr__import_parse_jsonl_line(line, n, &rec, err,
                                                     sizeof err);
        if (rc < 0) {
            purr_diag_set(diag, im->log_path, lineno, 0, "%s%s", err,
                          nl ? "" : " (last line: truncated?)");
            return rc;
        }
        if ((rc = accept_record(im, lineno, &rec, last, diag)) < 0) {
            purr_datum_free(&rec.datum);
            return rc;
        }
        last = rec.time_ns;
    }
    if (header || im->nsets == 0) {
        purr_diag_set(diag, im->log_path, 0, 0, "empty log: no records");
        return PURR_EFORMAT;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing the recording                                                   */
/* ---------------------------------------------------------------------- */

static int
feed(void *arg)
{
    importer *im = arg;
    int rc;
    for (size_t i = 0; i < im->nsets; i++) {
        in_set *s = &im->sets[i];
        if (s->time_ns > purr_now() &&
            (rc = purr_sleep_until(s->time_ns)) < 0)
            return im->run_err = rc;
        if ((rc = purr_value_set(im->values[s->sensor], &s->d)) < 0)
            return im->run_err = rc;
    }
    return 0;
}

static int
import_main(void *arg)
{
    importer *im = arg;
    purr_loop *loop = purr_loop_current();
    const purr_import_schema *sc = im->schema;
    for (size_t i = 0; i < sc->count; i++) {
        const purr_import_input *s = &sc->inputs[i];
        im->values[i] = purr_value_new(loop, s->name, PURR_ROLE_INPUT,
                                       s->type, &s->initial);
        if (!im->values[i])
            return PURR_ENOMEM;
    }
    return feed(im);
}

/* Records im's inputs into path (a fresh file). */
static int
write_recording(importer *im, const char *path, purr_diag *diag)
{
    char buf[32];
    int rc;
    purr_recorder_options ro = {.overwrite = true, .no_task_events = true};
    purr_recorder *r = purr_recorder_open(path, &ro, diag);
    if (!r)
        return PURR_EIO;
    purr_loop *loop = purr_loop_new(NULL);
    if (!loop) {
        purr_recorder_close(r, NULL);
        return PURR_ENOMEM;
    }
    im->values = calloc(im->schema->count + 1, sizeof *im->values);
    if (!im->values) {
        purr_recorder_close(r, NULL);
        purr_loop_close(loop);
        return PURR_ENOMEM;
    }
    rc = purr_recorder_attach(r, loop);
    if (rc == 0)
        rc = purr_run(loop, "purr-import", import_main, im);
    if (rc == 0 && im->run_err)
        rc = im->run_err;
    if (rc < 0)
        purr_diag_set(diag, im->log_path, 0, 0, "cannot replay the log: %s",
                      purr_strerror(rc));
    for (const char *const *m = im->schema->meta; m && m[0] && m[1]; m += 2)
        purr_recorder_set_meta(r, m[0], m[1]);
    purr_recorder_set_meta(r, "clock", "imported");
    purr_recorder_set_meta(r, "created_by", "purr import");
    purr_recorder_set_meta(r, "source", im->log_path);
    snprintf(buf, sizeof buf, "%" PRId64,
             im->sets[im->nsets - 1].time_ns + 1);
    purr_recorder_set_meta(r, "end_ns", buf);
    purr_diag cdiag;
    int crc = purr_recorder_close(r, &cdiag);
    for (size_t i = 0; i < im->schema->count; i++)
        purr_value_free(im->values[i]);
    purr_loop_close(loop);
    if (rc == 0 && crc < 0) {
        if (diag)
            *diag = cdiag;
        rc = crc;
    }
    return rc;
}

/* Removes the -wal and -shm side files of the database at path. */
static void
remove_sides(const char *path)
{
    char side[4200];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Removes path and its -wal and -shm side files. */
static void
remove_db(const char *path)
{
    unlink(path);
    remove_sides(path);
}

purr_import_format
purr_import_format_of(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".csv") == 0)
        return PURR_IMPORT_CSV;
    if ((n >= 6 && strcmp(path + n - 6, ".jsonl") == 0) ||
        (n >= 7 && strcmp(path + n - 7, ".ndjson") == 0))
        return PURR_IMPORT_JSONL;
    return PURR_IMPORT_AUTO;
}

int
purr_import_log(const char *log_path, const char *out_db,
                const purr_import_schema *schema,
                const purr_import_options *opts,
                purr_diag *diag)
{
    purr_import_options o = {0};
    if (opts)
        o = *opts;
    purr_import_format fmt = o.format;
    if (fmt == PURR_IMPORT_AUTO)
        fmt = purr_import_format_of(log_path);
    if (fmt == PURR_IMPORT_AUTO) {
        purr_diag_set(diag, log_path, 0, 0,
                      "unknown log format (name it .csv or .jsonl, or give "
                      "the format)");
        return PURR_EFORMAT;
    }
    if (!out_db[0]) {
        purr_diag_set(diag, "", 0, 0,
                      "no output recording given (an empty "
                      "path)");
        return PURR_EINVAL;
    }
    /* Never over the log itself; an existing file only when asked. */
    const char *inputs[] = {log_path};
    int crc = purr_output_check(out_db, inputs, 1, PURR_OUTPUT_RECORDING,
                                o.overwrite, diag);
    if (crc < 0)
        return crc;
    if (strlen(out_db) > 4000) {
        purr_diag_set(diag, out_db, 0, 0, "path too long");
        return PURR_EINVAL;
    }

    int rc;
    importer im = {.log_path = log_path, .schema = schema};
    char *text = NULL;
    size_t len = 0;
    if ((rc = read_file(log_path, &text, &len, diag)) < 0)
        goto done;
    if ((rc = parse_log(&im, text, len, fmt, diag)) < 0)
        goto done;

    /* The temporary file is named as purr_output names its own (a dot
     * file, ".NAME.purr-tmp-..."), beside out_db so the rename is atomic. */
    char tmp[4100];
    const char *slash = strrchr(out_db, '/');
    int dirlen = slash ? (int)(slash - out_db) + 1 : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.purr-tmp-%ld", dirlen, out_db,
             out_db + dirlen, (long)getpid());
    remove_db(tmp);
    rc = write_recording(&im, tmp, diag);
    if (rc < 0 && diag && strcmp(diag->file, tmp) == 0) {
        /* The temporary name is ours, not the user's: name the output. */
        char msg[sizeof diag->message];
        memcpy(msg, diag->message, sizeof msg);
        purr_diag_set(diag, out_db, 0, 0, "%s", msg);
    }
    if (rc == 0) {
        /* rename replaces an old out_db atomically: until it happens the
         * old file is whole. */
        if (rename(tmp, out_db) != 0) {
            purr_diag_set(diag, out_db, 0, 0, "cannot rename %s: %s", tmp,
                          strerror(errno));
            rc = PURR_EIO;
        } else {
            /* An old out_db's side files would be read into the new one. */
            remove_sides(out_db);
        }
    }
    if (rc < 0) {
        remove_db(tmp);
        /* The user knows the output by its name, not the temporary one. */
        if (diag && strcmp(diag->file, tmp) == 0)
            snprintf(diag->file, sizeof diag->file, "%s", out_db);
    }

done:
    for (size_t i = 0; i < im.nsets; i++)
        purr_datum_free(&im.sets[i].d);
    free(im.sets);
    free(im.values);
    free(text);
    return rc;
}
