/* datum_codec.c - the datum's binary encoding: encode, decode, and the hash
 * computed over the encoding.
 *
 * A datum has exactly one encoding (a type tag, then little-endian fixed
 * fields, lengths and counts), and the hash is computed over the encoding
 * itself, so it cannot drift from it. Recordings store this encoding, so
 * it is the same on every host. Hostile input to the decoder is rejected
 * with PURR_EFORMAT, never trusted: lengths and counts are checked against
 * the bytes actually present before anything is allocated. */
#include "core_int.h"
#include "datum_int.h"

#include "purr/datum.h"

#include <stdlib.h>
#include <string.h>

/* encode_walk feeds the encoding to the running FNV-1a hash (encode_to,
 * below, writes the same bytes to memory; tests/core/test_datum.c checks
 * that the hash is FNV-1a of purr_datum_encode's bytes for every type). */
struct sink {
    uint64_t hash; /* FNV-1a state */
};

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static void
sink_put(struct sink *k, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = k->hash;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    k->hash = h;
}

/* Writes the n low bytes of v little-endian, whatever the host order. */
static void
sink_put_le(struct sink *k, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    sink_put(k, b, (size_t)n);
}

/* Returns the size of d's encoding in bytes. */
static size_t
encoded_size(const purr_datum *d)
{
    switch (d->type) {
    case PURR_T_NIL:
        return 1;
    case PURR_T_BOOL:
        return 2;
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        return 9;
    case PURR_T_STRING:
    case PURR_T_BYTES:
        return 5 + (size_t)d->len;
    case PURR_T_TUPLE: {
        size_t n = 5;
        for (uint32_t i = 0; i < d->len; i++)
            n += encoded_size(&d->u.items[i]);
        return n;
    }
    default:
        purr__datum_bad_type(__func__, d->type);
    }
}

/* Sends d's encoding, exactly encoded_size(d) bytes, to k. */
static void
encode_walk(const purr_datum *d, struct sink *k)
{
    uint8_t tag = d->type;
    sink_put(k, &tag, 1);
    switch (d->type) {
    case PURR_T_NIL:
        break;
    case PURR_T_BOOL: {
        uint8_t b = d->u.b ? 1 : 0;
        sink_put(k, &b, 1);
        break;
    }
    case PURR_T_INT:
        sink_put_le(k, (uint64_t)d->u.i, 8);
        break;
    case PURR_T_DOUBLE:
        sink_put_le(k, purr__double_bits(d->u.d), 8);
        break;
    case PURR_T_STRING:
    case PURR_T_BYTES:
        sink_put_le(k, d->len, 4);
        sink_put(k, d->u.bytes, d->len);
        break;
    case PURR_T_TUPLE:
        sink_put_le(k, d->len, 4);
        for (uint32_t i = 0; i < d->len; i++)
            encode_walk(&d->u.items[i], k);
        break;
    default:
        purr__datum_bad_type(__func__, d->type);
    }
}

/* Writes little-endian n bytes of v at p; returns the end. */
static uint8_t *
put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + n;
}

/* encode_walk writing straight to memory (room checked by the caller):
 * the recorder encodes every string and tuple transition on the loop
 * thread, and the sink's per-byte mode test showed in its profile. */
static uint8_t *
encode_to(const purr_datum *d, uint8_t *p)
{
    *p++ = (uint8_t)d->type;
    switch (d->type) {
    case PURR_T_NIL:
        return p;
    case PURR_T_BOOL:
        *p = d->u.b ? 1 : 0;
        return p + 1;
    case PURR_T_INT:
        return put_le(p, (uint64_t)d->u.i, 8);
    case PURR_T_DOUBLE:
        return put_le(p, purr__double_bits(d->u.d), 8);
    case PURR_T_STRING:
    case PURR_T_BYTES:
        p = put_le(p, d->len, 4);
        if (d->len)
            memcpy(p, d->u.bytes, d->len);
        return p + d->len;
    case PURR_T_TUPLE:
        p = put_le(p, d->len, 4);
        for (uint32_t i = 0; i < d->len; i++)
            p = encode_to(&d->u.items[i], p);
        return p;
    default:
        purr__datum_bad_type(__func__, d->type);
    }
    return p;
}

uint64_t
purr_datum_hash(const purr_datum *d)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    struct sink k = {.hash = FNV_OFFSET};
    encode_walk(d, &k);
    return k.hash;
}

size_t
purr_datum_encode(const purr_datum *d, uint8_t *buf, size_t cap)
{
    PURR_API_CHECK(d != NULL, "d is NULL");
    size_t need = encoded_size(d);
    if (cap >= need) {
        PURR_API_CHECK(buf != NULL, "buf is NULL but cap is large enough");
        uint8_t *end = encode_to(d, buf);
        PURR_ASSERT(end == buf + need); /* the two walks agree */
    }
    return need;
}

/* Decoder state. pos only moves forward and never passes len. */
struct dec {
    const uint8_t *buf; /* the input */
    size_t len;         /* its size */
    size_t pos;         /* next byte to read */
};

static uint64_t
read_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Decodes one datum at dc->pos into *out, inside `depth` enclosing tuples.
 * reserve is how many bytes must remain after this datum for the items that
 * enclosing tuples still owe (at least one byte each). Checking every
 * length and count against the bytes left minus reserve bounds all
 * allocations made so far, together, by the input size: a hostile count
 * cannot make nested tuples each allocate for the whole buffer.
 * Returns 0, or -1 with *out nil and nothing left allocated. */
static int
decode_item(struct dec *dc, int depth, size_t reserve, purr_datum *out)
{
    *out = purr__datum_nil();
    if (dc->len - dc->pos <= reserve)
        return -1;
    size_t room = dc->len - dc->pos - reserve; /* >= 1 */
    uint8_t tag = dc->buf[dc->pos++];
    room--;
    switch (tag) {
    case PURR_T_NIL:
        return 0;
    case PURR_T_BOOL: {
        if (room < 1 || dc->buf[dc->pos] > 1)
            return -1;
        *out = purr__datum_bool(dc->buf[dc->pos++] == 1);
        return 0;
    }
    case PURR_T_INT:
    case PURR_T_DOUBLE: {
        if (room < 8)
            return -1;
        uint64_t v = read_le(dc->buf + dc->pos, 8);
        dc->pos += 8;
        if (tag == PURR_T_INT)
            *out = purr__datum_int((int64_t)v);
        else
            *out = purr__datum_double(purr__bits_double(v));
        return 0;
    }
    case PURR_T_STRING:
    case PURR_T_BYTES: {
        if (room < 4)
            return -1;
        uint32_t n = (uint32_t)read_le(dc->buf + dc->pos, 4);
        dc->pos += 4;
        if (n > room - 4)
            return -1;
        out->type = tag;
        out->len = n;
        out->u.bytes = purr__dup_bytes(dc->buf + dc->pos, n);
        dc->pos += n;
        return 0;
    }
    case PURR_T_TUPLE: {
        if (depth + 1 > PURR_DATUM_MAX_DEPTH || room < 4)
            return -1;
        uint32_t n = (uint32_t)read_le(dc->buf + dc->pos, 4);
        dc->pos += 4;
        if (n > room - 4)
            return -1;
#if SIZE_MAX <= UINT32_MAX
        if (n > SIZE_MAX / sizeof(purr_datum)) /* 32-bit hosts only */
            return -1;
#endif
        purr_datum *items = NULL;
        if (n > 0)
            items = purr__malloc((size_t)n * sizeof(purr_datum));
        for (uint32_t i = 0; i < n; i++) {
            if (decode_item(dc, depth + 1, reserve + (n - 1 - i),
                            &items[i]) < 0) {
                for (uint32_t j = 0; j < i; j++)
                    purr_datum_free(&items[j]);
                free(items);
                return -1;
            }
        }
        out->type = PURR_T_TUPLE;
        out->len = n;
        out->u.items = items;
        return 0;
    }
    default:
        return -1;
    }
}

int
purr_datum_decode(const uint8_t *buf, size_t len, purr_datum *out)
{
    PURR_API_CHECK(out != NULL, "out is NULL");
    PURR_API_CHECK(buf != NULL || len == 0, "buf is NULL");
    struct dec dc = {.buf = buf, .len = len, .pos = 0};
    if (decode_item(&dc, 0, 0, out) < 0)
        return PURR_EFORMAT;
    if (dc.pos != len) {
        purr_datum_free(out);
        return PURR_EFORMAT;
    }
    return 0;
}
