/* datum_text.c - the datum's text form: formatting and parsing.
 *
 * The text form is what people read and write (scene files, expectations,
 * the CLI): nil, true, 42, 1.5, nan(0x...), "escaped", b"bytes", (1, "a").
 * Formatting then parsing gives back the same datum, bit for bit, doubles
 * included, whatever the C locale. Parsing rejects anything malformed with
 * PURR_EFORMAT and the offset of the problem, and never nests tuples deeper
 * than PURR_DATUM_MAX_DEPTH. */
#include "core_int.h"
#include "datum_int.h"

#include "purr/datum.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default NaN, written "nan": positive, quiet, no payload. */
#define DEFAULT_NAN_BITS UINT64_C(0x7ff8000000000000)
#define EXP_MASK UINT64_C(0x7ff0000000000000)
#define MANT_MASK UINT64_C(0x000fffffffffffff)

/* ---------------------------------------------------------------------- */
/* Text form: writing                                                      */
/* ---------------------------------------------------------------------- */

/* An snprintf-style writer: counts every byte of the text in n, stores the
 * ones that fit in cap - 1 bytes, and NUL-terminates at the end. */
struct out {
    char *buf;  /* destination, or NULL when cap is 0 */
    size_t cap; /* its size, including room for the NUL */
    size_t n;   /* length of the text so far (may exceed cap) */
};

static void
out_put(struct out *o, const char *s, size_t k)
{
    size_t room = o->cap > 0 ? o->cap - 1 : 0;
    if (o->n < room) {
        size_t w = room - o->n < k ? room - o->n : k;
        memcpy(o->buf + o->n, s, w);
    }
    o->n += k;
}

static void
out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

/* Returns the locale's decimal point as snprintf writes it (normally "."),
 * in buf. Only needed when LC_NUMERIC is not "C". */
static const char *
locale_decimal_point(char buf[16])
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.1f", 0.5); /* "0" point "5" */
    if (n < 3 || n - 2 >= 16)
        return ".";
    size_t k = (size_t)n - 2;
    memcpy(buf, tmp + 1, k);
    buf[k] = '\0';
    return buf;
}

/* True for the bytes %g writes in every locale: all but the decimal
 * point. */
static bool
is_g_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e';
}

/* Writes the text form of d into buf (which must hold 32 bytes) and returns
 * its length. Finite values use the shortest %.15g/%.16g/%.17g that strtod
 * reads back to the same bits (%.17g always does); a locale decimal point
 * other than '.' is replaced by '.', and ".0" is appended when the text
 * would otherwise read as an int. */
static size_t
format_double(double d, char buf[32])
{
    uint64_t u = purr__double_bits(d);
    if ((u & EXP_MASK) == EXP_MASK) {
        if ((u & MANT_MASK) == 0)
            return (size_t)snprintf(buf, 32, "%s",
                                    (u & PURR__DOUBLE_SIGN_BIT) ? "-inf"
                                                                : "inf");
        if (u == DEFAULT_NAN_BITS)
            return (size_t)snprintf(buf, 32, "nan");
        return (size_t)snprintf(buf, 32, "nan(0x%016" PRIx64 ")", u);
    }
    char tmp[48];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (prec == 17 || purr__double_bits(strtod(tmp, NULL)) == u)
            break;
    }
    /* Copy, turning the one run of bytes %g does not otherwise produce
     * (the locale's decimal point, possibly multibyte) into '.'. */
    size_t n = 0;
    bool looks_double = false;
    for (const char *p = tmp; *p != '\0';) {
        if (is_g_char(*p)) {
            looks_double |= *p == 'e';
            buf[n++] = *p++;
            continue;
        }
        while (*p != '\0' && !is_g_char(*p))
            p++;
        buf[n++] = '.';
        looks_double = true;
    }
    if (!looks_double) {
        buf[n++] = '.';
        buf[n++] = '0';
    }
    buf[n] = '\0';
    return n;
}

/* Returns the letter of c's two-character escape (\n for a newline), or 0
 * when c is written as \xHH. */
static char
named_escape(uint8_t c)
{
    switch (c) {
    case '"':
    case '\\':
        return (char)c;
    case '\n':
        return 'n';
    case '\t':
        return 't';
    case '\r':
        return 'r';
    case '\0':
        return '0';
    default:
        return 0;
    }
}

/* Writes the quoted, escaped form of the n bytes at p. Runs of bytes that
 * need no escape are written in one piece, so this is linear in n. */
static void
format_quoted(struct out *o, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the pending unescaped run */
    out_put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            continue;
        out_put(o, (const char *)p + run, i - run);
        run = i + 1;
        char esc[4] = {'\\', named_escape(c), 0, 0};
        if (esc[1] == 0) {
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
        }
        out_put(o, esc, esc[2] != 0 ? 4 : 2);
    }
    out_put(o, (const char *)p + run, n - run);
    out_put(o, "\"", 1);
}

static void
format_rec(struct out *o, const purr_datum *d)
{
    char tmp[32];
    switch (d->type) {
    case PURR_T_NIL:
        out_str(o, "nil");
        break;
    case PURR_T_BOOL:
        out_str(o, d->u.b ? "true" : "false");
        break;
    case PURR_T_INT:
        out_put(o, tmp, (size_t)snprintf(tmp, sizeof tmp, "%" PRId64,
                                         d->u.i));
        break;
    case PURR_T_DOUBLE:
        out_put(o, tmp, format_double(d->u.d, tmp));
        break;
    case PURR_T_STRING:
        format_quoted(o, (const uint8_t *)d->u.s, d->len);
        break;
    case PURR_T_BYTES:
        out_put(o, "b", 1);
        format_quoted(o, d->u.bytes, d->len);
        break;
    case PURR_T_TUPLE:
        out_put(o, "(", 1);
        for (uint32_t i = 0; i < d->len; i++) {
            if (i > 0)
                out_put(o, ", ", 2);
            format_rec(o, &d->u.items[i]);
        }
        if (d->len == 1)
            out_put(o, ",", 1);
        out_put(o, ")", 1);
        break;
    default:
        purr__datum_bad_type(__func__, d->type);
    }
}

size_t
purr_datum_format(const purr_datum *d, char *buf, size_t cap)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    PURR_API_CHECK(buf != NULL || cap == 0, "buf is NULL");
    struct out o = {.buf = buf, .cap = cap, .n = 0};
    format_rec(&o, d);
    if (cap > 0)
        buf[o.n < cap - 1 ? o.n : cap - 1] = '\0';
    return o.n;
}

char *
purr_datum_format_alloc(const purr_datum *d)
{
    size_t n = purr_datum_format(d, NULL, 0);
    char *s = purr__malloc(n + 1);
    size_t m = purr_datum_format(d, s, n + 1);
    PURR_ASSERT(m == n); /* formatting is deterministic */
    return s;
}

/* ---------------------------------------------------------------------- */
/* Text form: parsing                                                      */
/* ---------------------------------------------------------------------- */

/* Parser state. On failure err holds the offset of the problem. */
struct parser {
    const char *text; /* the input, not NUL-terminated */
    size_t len;       /* its size */
    size_t pos;       /* next byte to read */
    size_t err;       /* set by fail() */
};

/* Records a failure at offset at and returns -1. */
static int
fail(struct parser *ps, size_t at)
{
    ps->err = at;
    return -1;
}

/* Returns the byte at pos + ahead, or -1 past the end. */
static int
peek(const struct parser *ps, size_t ahead)
{
    if (ps->len - ps->pos <= ahead)
        return -1;
    return (unsigned char)ps->text[ps->pos + ahead];
}

static void
skip_ws(struct parser *ps)
{
    while (ps->pos < ps->len) {
        char c = ps->text[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Returns the value of hex digit c, or -1. */
static int
hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Returns the byte that the escape \letter stands for, with 'x' (\xHH)
 * handled by the caller, or -1 when \letter is not an escape. The inverse
 * of named_escape. */
static int
unescape(char letter)
{
    switch (letter) {
    case '"':
    case '\\':
        return letter;
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case '0':
        return '\0';
    default:
        return -1;
    }
}

/* Parses a quoted string or bytes literal whose opening quote is at pos.
 * The first pass validates and measures, the second decodes into a buffer
 * of exactly the right size. */
static int
parse_quoted(struct parser *ps, purr_type type, purr_datum *out)
{
    const char *t = ps->text;
    size_t start = ++ps->pos; /* after the opening quote */
    size_t n = 0;             /* decoded length */
    size_t i = start;
    for (;;) {
        if (i >= ps->len)
            return fail(ps, ps->len);
        unsigned char c = (unsigned char)t[i];
        if (c == '"')
            break;
        if (c < 0x20 || c == 0x7f)
            return fail(ps, i); /* raw control bytes must be escaped */
        n++;
        if (c != '\\') {
            i++;
        } else if (i + 1 >= ps->len) {
            return fail(ps, ps->len);
        } else if (t[i + 1] == 'x') {
            if (ps->len - i < 4 || hex_value(t[i + 2]) < 0 ||
                hex_value(t[i + 3]) < 0)
                return fail(ps, i);
            i += 4;
        } else if (unescape(t[i + 1]) >= 0) {
            i += 2;
        } else {
            return fail(ps, i);
        }
    }
    if (n > UINT32_MAX)
        return fail(ps, start - 1);
    size_t end = i; /* the closing quote */
    uint8_t *b = purr__malloc(n + 1);
    size_t k = 0;
    for (i = start; i < end; k++) {
        if (t[i] != '\\') {
            b[k] = (uint8_t)t[i++];
        } else if (t[i + 1] == 'x') {
            b[k] = (uint8_t)(hex_value(t[i + 2]) << 4 | hex_value(t[i + 3]));
            i += 4;
        } else {
            b[k] = (uint8_t)unescape(t[i + 1]);
            i += 2;
        }
    }
    PURR_ASSERT(k == n); /* both passes read the same escapes */
    b[n] = '\0';
    out->type = (uint8_t)type;
    out->len = (uint32_t)n;
    out->u.bytes = b;
    ps->pos = end + 1;
    return 0;
}

/* Converts the double token t[0..n) (validated: -?digits[.digits][e[+-]
 * digits]) with strtod. If strtod stops early, LC_NUMERIC has a decimal
 * point other than '.', so the '.' is swapped for it and strtod retried.
 * Returns false when the token does not convert completely. */
static bool
convert_double(const char *t, size_t n, double *d /* out */)
{
    char small[128];
    char *buf = n + 16 < sizeof small ? small : purr__malloc(n + 16);
    memcpy(buf, t, n);
    buf[n] = '\0';
    char *end;
    *d = strtod(buf, &end);
    bool ok = end == buf + n;
    const char *dot = memchr(t, '.', n);
    if (!ok && dot != NULL) {
        char dp[16];
        const char *pt = locale_decimal_point(dp);
        size_t k = strlen(pt), at = (size_t)(dot - t);
        memcpy(buf, t, at);
        memcpy(buf + at, pt, k);
        memcpy(buf + at + k, dot + 1, n - at - 1);
        buf[n - 1 + k] = '\0';
        *d = strtod(buf, &end);
        ok = end == buf + n - 1 + k;
    }
    if (buf != small)
        free(buf);
    return ok;
}

/* Parses an int or double starting at pos (a '-' or a digit). */
static int
parse_number(struct parser *ps, purr_datum *out)
{
    const char *t = ps->text;
    size_t start = ps->pos, i = start;
    bool neg = false, is_double = false;
    if (t[i] == '-') {
        neg = true;
        i++;
    }
    size_t digits = i;
    while (i < ps->len && is_digit(t[i]))
        i++;
    if (i == digits)
        return fail(ps, i);
    size_t digits_end = i;
    if (i < ps->len && t[i] == '.') {
        is_double = true;
        size_t f = ++i;
        while (i < ps->len && is_digit(t[i]))
            i++;
        if (i == f)
            return fail(ps, i);
    }
    if (i < ps->len && (t[i] == 'e' || t[i] == 'E')) {
        is_double = true;
        i++;
        if (i < ps->len && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t e = i;
        while (i < ps->len && is_digit(t[i]))
            i++;
        if (i == e)
            return fail(ps, i);
    }
    if (is_double) {
        double d;
        if (!convert_double(t + start, i - start, &d) || isinf(d))
            return fail(ps, start); /* overflow: not a finite double */
        *out = purr__datum_double(d);
    } else {
        /* Accumulate the magnitude unsigned: -2^63 has no positive twin. */
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        uint64_t v = 0;
        for (size_t j = digits; j < digits_end; j++) {
            unsigned dig = (unsigned)(t[j] - '0');
            if (v > (limit - dig) / 10)
                return fail(ps, start);
            v = v * 10 + dig;
        }
        *out = purr__datum_int(neg ? (int64_t)(0 - v) : (int64_t)v);
    }
    ps->pos = i;
    return 0;
}

/* Parses "(0x" hex digits ")" after "nan": a NaN with the given bits. */
static int
parse_nan_payload(struct parser *ps, purr_datum *out)
{
    const char *t = ps->text;
    size_t i = ps->pos + 1; /* after '(' */
    if (ps->len - i < 2 || t[i] != '0' || (t[i + 1] != 'x' && t[i + 1] != 'X'))
        return fail(ps, i);
    i += 2;
    size_t start = i; /* first hex digit */
    uint64_t u = 0;
    while (i < ps->len && hex_value(t[i]) >= 0) {
        if (i - start == 16)
            return fail(ps, i);
        u = u << 4 | (uint64_t)hex_value(t[i]);
        i++;
    }
    if (i == start)
        return fail(ps, i);
    if ((u & EXP_MASK) != EXP_MASK || (u & MANT_MASK) == 0)
        return fail(ps, start); /* those bits are not a NaN */
    if (i >= ps->len || t[i] != ')')
        return fail(ps, i);
    *out = purr__datum_double(purr__bits_double(u));
    ps->pos = i + 1;
    return 0;
}

/* Parses a bare word at pos: nil, true, false, inf, nan, nan(0x...). */
static int
parse_word(struct parser *ps, purr_datum *out)
{
    const char *t = ps->text;
    size_t start = ps->pos, i = start;
    while (i < ps->len && ((t[i] >= 'a' && t[i] <= 'z') ||
                           (t[i] >= 'A' && t[i] <= 'Z') || is_digit(t[i]) ||
                           t[i] == '_'))
        i++;
    size_t n = i - start;
#define WORD(w) (n == sizeof(w) - 1 && memcmp(t + start, w, n) == 0)
    if (WORD("nil"))
        *out = purr__datum_nil();
    else if (WORD("true"))
        *out = purr__datum_bool(true);
    else if (WORD("false"))
        *out = purr__datum_bool(false);
    else if (WORD("inf"))
        *out = purr__datum_double(INFINITY);
    else if (WORD("nan")) {
        ps->pos = i;
        if (peek(ps, 0) == '(')
            return parse_nan_payload(ps, out);
        *out = purr__datum_double(purr__bits_double(DEFAULT_NAN_BITS));
    } else
        return fail(ps, start);
#undef WORD
    ps->pos = i;
    return 0;
}

static int parse_value(struct parser *ps, int depth, purr_datum *out);

/* Parses a tuple whose '(' is at pos, inside `depth` enclosing tuples. The
 * item array grows by doubling, so a long tuple costs linear time. A single
 * item needs its trailing comma: "(1)" is rejected rather than guessed. */
static int
parse_tuple(struct parser *ps, int depth, purr_datum *out)
{
    if (depth + 1 > PURR_DATUM_MAX_DEPTH)
        return fail(ps, ps->pos);
    ps->pos++;
    purr_datum *items = NULL;
    size_t n = 0, cap = 0;
    bool comma = false; /* a comma followed the last item */
    for (;;) {
        skip_ws(ps);
        if (peek(ps, 0) == ')') {
            if (n == 1 && !comma)
                goto fail_here;
            ps->pos++;
            break;
        }
        if (n > 0 && !comma)
            goto fail_here;
        if (n == UINT32_MAX)
            goto fail_here;
        if (n == cap) {
            cap = cap ? 2 * cap : 4;
            items = purr__realloc(items, cap * sizeof(purr_datum));
        }
        if (parse_value(ps, depth + 1, &items[n]) < 0)
            goto fail;
        n++;
        skip_ws(ps);
        comma = peek(ps, 0) == ',';
        if (comma)
            ps->pos++;
    }
    if (n > 0 && n < cap)
        items = purr__realloc(items, n * sizeof(purr_datum));
    out->type = PURR_T_TUPLE;
    out->len = (uint32_t)n;
    out->u.items = items;
    return 0;
fail_here:
    fail(ps, ps->pos);
fail:
    for (size_t j = 0; j < n; j++)
        purr_datum_free(&items[j]);
    free(items);
    return -1;
}

/* Parses one datum at pos (after whitespace) into *out, inside `depth`
 * enclosing tuples. Returns 0, or -1 with ps->err set and nothing left
 * allocated. */
static int
parse_value(struct parser *ps, int depth, purr_datum *out)
{
    *out = purr__datum_nil();
    int c = peek(ps, 0);
    if (c == '"')
        return parse_quoted(ps, PURR_T_STRING, out);
    if (c == 'b' && peek(ps, 1) == '"') {
        ps->pos++;
        return parse_quoted(ps, PURR_T_BYTES, out);
    }
    if (c == '(')
        return parse_tuple(ps, depth, out);
    if (c == '-' && peek(ps, 1) == 'i') {
        ps->pos++;
        size_t word = ps->pos;
        if (parse_word(ps, out) < 0)
            return -1;
        if (out->type != PURR_T_DOUBLE || !isinf(out->u.d))
            return fail(ps, word); /* only "-inf" may follow a '-' */
        out->u.d = -INFINITY;
        return 0;
    }
    if (c == '-' || is_digit(c))
        return parse_number(ps, out);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return parse_word(ps, out);
    return fail(ps, ps->pos);
}

int
purr_datum_parse(const char *text, size_t len, purr_datum *out,
                 size_t *error_offset)
{
    PURR_API_CHECK(out != NULL, "out is NULL");
    PURR_API_CHECK(text != NULL || len == 0, "text is NULL");
    struct parser ps = {.text = text, .len = len, .pos = 0, .err = 0};
    skip_ws(&ps);
    if (parse_value(&ps, 0, out) < 0)
        goto fail;
    skip_ws(&ps);
    if (ps.pos != len) {
        purr_datum_free(out);
        fail(&ps, ps.pos);
        goto fail;
    }
    return 0;
fail:
    *out = purr__datum_nil();
    if (error_offset != NULL)
        *error_offset = ps.err;
    return PURR_EFORMAT;
}
