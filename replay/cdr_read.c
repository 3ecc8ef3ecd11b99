/* cdr_read.c - the CDR reader: one field of a serialized ROS 2 message,
 * by a field path compiled against its schema (cdr.c).
 *
 * The reader walks the message from its start, skipping the fields before
 * the one asked for (strings and sequences make offsets data-dependent).
 * Every element it steps over takes at least one byte (an empty message
 * type has its one uint8, cdr.c), so the work is bounded by the message's
 * length, and every read is checked against it. See cdr_int.h.
 */
#include "cdr_int.h"

#include "purr/core.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Reading CDR                                                             */
/* ---------------------------------------------------------------------- */

/* A position in one message. Offsets count from the end of the
 * encapsulation header, which is where CDR alignment is measured from. */
typedef struct cur {
    const uint8_t *buf; /* the message after its 4-byte header */
    size_t len;         /* bytes after the header */
    size_t pos;         /* the next byte */
    bool be;            /* big endian */
    char *err;
    size_t cap;
} cur;

static size_t
prim_size(uint8_t prim)
{
    switch (prim) {
    case PURR__CDR_BOOL: case PURR__CDR_INT8: case PURR__CDR_UINT8:
        return 1;
    case PURR__CDR_INT16: case PURR__CDR_UINT16:
        return 2;
    case PURR__CDR_INT32: case PURR__CDR_UINT32: case PURR__CDR_FLOAT32:
        return 4;
    case PURR__CDR_INT64: case PURR__CDR_UINT64: case PURR__CDR_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

static int
short_msg(cur *c, size_t need)
{
    purr__cdr_errf(c->err, c->cap, "message too short: %zu more bytes needed at byte "
         "%zu of %zu", need, c->pos + 4, c->len + 4);
    return PURR_EFORMAT;
}

/* Aligns to a (1, 2, 4, 8) and checks n bytes are there. */
static int
need(cur *c, size_t a, size_t n)
{
    size_t p = (c->pos + a - 1) & ~(a - 1);
    if (p > c->len || c->len - p < n)
        return short_msg(c, n);
    c->pos = p;
    return 0;
}

static uint64_t
load(const cur *c, size_t n)
{
    const uint8_t *b = c->buf + c->pos;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)b[c->be ? n - 1 - i : i] << (8 * i);
    return v;
}

static int
read_u32(cur *c, uint32_t *v)
{
    int rc = need(c, 4, 4);
    if (rc < 0)
        return rc;
    *v = (uint32_t)load(c, 4);
    c->pos += 4;
    return 0;
}

/* Reads one primitive into *out. */
static int
read_prim(cur *c, uint8_t prim, purr_datum *out)
{
    if (prim == PURR__CDR_STRING) {
        uint32_t n;
        int rc = read_u32(c, &n);
        if (rc < 0)
            return rc;
        if (n > c->len - c->pos)
            return short_msg(c, n);
        const char *s = (const char *)c->buf + c->pos;
        size_t sl = n;
        if (sl > 0 && s[sl - 1] == '\0')
            sl--; /* the length counts the terminating NUL */
        const char *nul = memchr(s, '\0', sl);
        if (nul)
            sl = (size_t)(nul - s);
        *out = purr_datum_string_n(s, sl);
        c->pos += n;
        return 0;
    }
    size_t sz = prim_size(prim);
    int rc = need(c, sz, sz);
    if (rc < 0)
        return rc;
    uint64_t v = load(c, sz);
    c->pos += sz;
    switch (prim) {
    case PURR__CDR_BOOL:
        *out = purr_datum_bool(v != 0);
        break;
    case PURR__CDR_INT8:
        *out = purr_datum_int((int8_t)v);
        break;
    case PURR__CDR_INT16:
        *out = purr_datum_int((int16_t)v);
        break;
    case PURR__CDR_INT32:
        *out = purr_datum_int((int32_t)v);
        break;
    case PURR__CDR_INT64:
        *out = purr_datum_int((int64_t)v);
        break;
    case PURR__CDR_UINT8: case PURR__CDR_UINT16: case PURR__CDR_UINT32:
        *out = purr_datum_int((int64_t)v);
        break;
    case PURR__CDR_UINT64:
        if (v > (uint64_t)INT64_MAX) {
            purr__cdr_errf(c->err, c->cap, "uint64 %llu does not fit purr's int64",
                 (unsigned long long)v);
            return PURR_ERANGE;
        }
        *out = purr_datum_int((int64_t)v);
        break;
    case PURR__CDR_FLOAT32: {
        uint32_t w = (uint32_t)v;
        float f;
        memcpy(&f, &w, 4);
        *out = purr_datum_double((double)f);
        break;
    }
    default: {
        double d;
        memcpy(&d, &v, 8);
        *out = purr_datum_double(d);
        break;
    }
    }
    return 0;
}

static int skip_type(cur *c, const purr__cdr_schema *s, uint32_t ti,
                     int depth);

/* Skips n elements of a field's type. */
static int
skip_elems(cur *c, const purr__cdr_schema *s, const purr__cdr_field *f,
           uint64_t n, int depth)
{
    if (n == 0)
        return 0;
    if (f->prim == PURR__CDR_STRUCT) {
        for (uint64_t i = 0; i < n; i++) {
            int rc = skip_type(c, s, f->type, depth + 1);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (f->prim == PURR__CDR_STRING) {
        for (uint64_t i = 0; i < n; i++) {
            uint32_t len;
            int rc = read_u32(c, &len);
            if (rc < 0)
                return rc;
            if (len > c->len - c->pos)
                return short_msg(c, len);
            c->pos += len;
        }
        return 0;
    }
    size_t sz = prim_size(f->prim);
    if (n > (c->len / sz) + 1)
        return short_msg(c, (size_t)(n > SIZE_MAX / sz ? SIZE_MAX : n * sz));
    int rc = need(c, sz, (size_t)n * sz);
    if (rc < 0)
        return rc;
    c->pos += (size_t)n * sz;
    return 0;
}

/* Skips a whole field. */
static int
skip_field(cur *c, const purr__cdr_schema *s, const purr__cdr_field *f,
           int depth)
{
    uint64_t n = 1;
    if (f->shape == PURR__CDR_FIXED) {
        n = f->count;
    } else if (f->shape == PURR__CDR_SEQUENCE) {
        uint32_t cnt;
        int rc = read_u32(c, &cnt);
        if (rc < 0)
            return rc;
        n = cnt;
    }
    return skip_elems(c, s, f, n, depth);
}

static int
skip_type(cur *c, const purr__cdr_schema *s, uint32_t ti, int depth)
{
    if (depth > 64) {
        purr__cdr_errf(c->err, c->cap, "message nested more than 64 deep");
        return PURR_EFORMAT;
    }
    const purr__cdr_type *t = &s->types[ti];
    for (uint32_t fi = 0; fi < t->nfields; fi++) {
        int rc = skip_field(c, s, &t->fields[fi], depth);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
purr__cdr_extract(const purr__cdr_schema *s, const purr__cdr_path *path,
                  const uint8_t *msg, size_t len, purr_datum *out, char *err,
                  size_t cap)
{
    *out = purr_datum_nil();
    if (len < 4) {
        purr__cdr_errf(err, cap, "message too short for its encapsulation header "
             "(%zu bytes)", len);
        return PURR_EFORMAT;
    }
    if (msg[0] != 0 || msg[1] > 1) {
        purr__cdr_errf(err, cap, "unsupported CDR encapsulation 0x%02x%02x (purr "
             "reads plain CDR, 0x0000 and 0x0001)", msg[0], msg[1]);
        return PURR_EFORMAT;
    }
    cur c = {.buf = msg + 4, .len = len - 4, .be = msg[1] == 0, .err = err,
             .cap = cap};
    for (uint32_t k = 0; k < path->nsteps; k++) {
        const purr__cdr_type *t = &s->types[path->steps[k].type];
        uint32_t fi = path->steps[k].field;
        for (uint32_t i = 0; i < fi; i++) {
            int rc = skip_field(&c, s, &t->fields[i], (int)k);
            if (rc < 0)
                return rc;
        }
        const purr__cdr_field *f = &t->fields[fi];
        uint64_t n = 1;
        if (f->shape == PURR__CDR_FIXED) {
            n = f->count;
        } else if (f->shape == PURR__CDR_SEQUENCE) {
            uint32_t cnt;
            int rc = read_u32(&c, &cnt);
            if (rc < 0)
                return rc;
            n = cnt;
        }
        int64_t idx = path->steps[k].index;
        if (idx >= 0) {
            if ((uint64_t)idx >= n) {
                purr__cdr_errf(err, cap, "index %lld past the end of '%s' (%llu "
                     "elements in this message)", (long long)idx, f->name,
                     (unsigned long long)n);
                return PURR_EFORMAT;
            }
            int rc = skip_elems(&c, s, f, (uint64_t)idx, (int)k);
            if (rc < 0)
                return rc;
        }
        if (k + 1 < path->nsteps)
            continue; /* into the struct */
        if (!path->whole)
            return read_prim(&c, f->prim, out);
        /* A whole array: each element takes at least one byte. */
        if (n > c.len - c.pos + 1)
            return short_msg(&c, (size_t)n);
        purr_datum *items = n ? calloc((size_t)n, sizeof *items) : NULL;
        if (n && !items)
            abort();
        for (uint64_t i = 0; i < n; i++) {
            int rc = read_prim(&c, f->prim, &items[i]);
            if (rc < 0) {
                for (uint64_t j = 0; j < i; j++)
                    purr_datum_free(&items[j]);
                free(items);
                return rc;
            }
        }
        *out = purr_datum_tuple(items, (size_t)n);
        for (uint64_t j = 0; j < n; j++)
            purr_datum_free(&items[j]);
        free(items);
        return 0;
    }
    purr__cdr_errf(err, cap, "empty field path");
    return PURR_EFORMAT;
}
