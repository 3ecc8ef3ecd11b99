/* mcap_write.c - a small streaming MCAP writer (the MCAP format, major
 * version 0: mcap.dev/spec), for `purr export`.
 *
 * File layout, as written:
 *
 *   magic  Header  Schema...  Channel...  Metadata
 *   [Chunk  MessageIndex...]...                     the data section
 *   DataEnd(crc of every byte before it, magic included)
 *   Schema... Channel... ChunkIndex... MetadataIndex Statistics  (summary)
 *   SummaryOffset...                                (one per summary group)
 *   Footer(summary start, summary offset start, summary crc)  magic
 *
 * Every record is an opcode byte, a u64 content length and the content;
 * integers are little-endian, strings and byte arrays have a u32 length
 * prefix, maps a u32 byte length. Schemas and channels are written once,
 * outside chunks, before the first message, so that a streaming reader
 * meets them before any message that needs them; the summary repeats
 * them for readers that seek.
 *
 * Memory is bounded: the current chunk (closed once its records would pass
 * chunk_bytes), its message index entries, its compressed copy, and the
 * summary's records (a chunk index of a few dozen bytes per chunk, per
 * channel present in it a further 10 bytes). Records go to the FILE as
 * they are finished; the writer counts the bytes it writes (so it never
 * seeks and can write to a pipe) and keeps the running CRC-32 (zlib's
 * crc32, the CRC MCAP specifies) of the data section, then of the
 * summary.
 */
#include "export_int.h"
#include "mcap_int.h"

#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* ---------------------------------------------------------------------- */
/* Byte buffers                                                            */
/* ---------------------------------------------------------------------- */

int
purr__buf_reserve(purr__buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2)
            return PURR_ENOMEM;
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return PURR_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
purr__buf_put(purr__buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    int rc = purr__buf_reserve(b, n);
    if (rc < 0)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int
purr__buf_puts(purr__buf *b, const char *s)
{
    return purr__buf_put(b, s, strlen(s));
}

void
purr__buf_free(purr__buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------------- */
/* Record encoding                                                         */
/* ---------------------------------------------------------------------- */

static inline void
le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void
le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Appenders for record contents; the buffer's error is checked once per
 * record through rec_end (a failed reserve leaves len as it was and sets
 * the sticky flag). */
typedef struct recb {
    purr__buf *b;
    size_t start; /* offset of the record's opcode in b */
    int err;      /* first error */
} recb;

static void
put(recb *r, const void *p, size_t n)
{
    if (!r->err)
        r->err = purr__buf_put(r->b, p, n);
}

static void
put8(recb *r, uint8_t v)
{
    put(r, &v, 1);
}

static void
put16(recb *r, uint16_t v)
{
    uint8_t p[2];
    le16(p, v);
    put(r, p, 2);
}

static void
put32(recb *r, uint32_t v)
{
    uint8_t p[4];
    le32(p, v);
    put(r, p, 4);
}

static void
put64(recb *r, uint64_t v)
{
    uint8_t p[8];
    le64(p, v);
    put(r, p, 8);
}

static void
put_str(recb *r, const char *s)
{
    size_t n = strlen(s);
    put32(r, (uint32_t)n);
    put(r, s, n);
}

/* Starts a record with opcode op in b (its length is patched by rec_end). */
static recb
rec_begin(purr__buf *b, uint8_t op)
{
    recb r = {b, b->len, 0};
    put8(&r, op);
    put64(&r, 0);
    return r;
}

/* Patches the record's content length. Returns 0 or the first error. */
static int
rec_end(recb *r)
{
    if (r->err)
        return r->err;
    le64(r->b->data + r->start + 1, (uint64_t)(r->b->len - r->start - 9));
    return 0;
}

/* A map<string, string> (u32 byte length, then key and value strings). */
static void
put_str_map(recb *r, const char *const *keys, const char *const *vals, size_t n)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += 8 + strlen(keys[i]) + strlen(vals[i]);
    put32(r, (uint32_t)bytes);
    for (size_t i = 0; i < n; i++) {
        put_str(r, keys[i]);
        put_str(r, vals[i]);
    }
}

/* ---------------------------------------------------------------------- */
/* The writer                                                              */
/* ---------------------------------------------------------------------- */

/* One message of the current chunk, for its message indexes. */
typedef struct index_entry {
    uint64_t log_time;
    uint64_t offset; /* of the message record in the uncompressed chunk */
    uint16_t channel;
} index_entry;

struct purr__mcap {
    FILE *out; /* where records go (not owned) */
    purr_export_compression compression;
    size_t chunk_bytes; /* close a chunk past this many bytes */
    uint64_t pos;       /* bytes written to out so far */
    uLong crc;          /* running CRC-32 of the data section, then
                           (after the data end) of the summary */
    int err;            /* sticky: first write error */

    purr__buf rec;    /* scratch: the record being made */
    purr__buf chunk;  /* the current chunk's records */
    purr__buf packed; /* its compressed copy */
    index_entry *idx; /* the current chunk's messages */
    size_t nidx, capidx;
    uint64_t chunk_start_time, chunk_end_time;
    ZSTD_CCtx *zstd; /* reused compression context */

    purr__buf schemas;       /* every schema record, for the summary */
    purr__buf channels;      /* every channel record, likewise */
    purr__buf chunk_indexes; /* one chunk index record per chunk */
    purr__buf meta_indexes;  /* one metadata index per metadata record */
    uint16_t nschemas, nchannels;
    uint32_t nmetadata;
    uint32_t nchunks;
    uint64_t *counts;   /* messages per channel id (1-based) */
    uint32_t *sequence; /* next sequence number per channel */
    size_t *scratch;    /* per-channel work space of a chunk flush */
    uint64_t nmessages;
    uint64_t start_time, end_time; /* of all messages */
};

purr__mcap *
purr__mcap_new(FILE *out, purr_export_compression compression,
               size_t chunk_bytes)
{
    purr__mcap *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->compression = compression;
    w->chunk_bytes = chunk_bytes ? chunk_bytes : (size_t)1 << 20;
    w->crc = crc32(0L, Z_NULL, 0);
    if (compression == PURR_EXPORT_ZSTD && !(w->zstd = ZSTD_createCCtx())) {
        free(w);
        return NULL;
    }
    return w;
}

void
purr__mcap_free(purr__mcap *w)
{
    if (!w)
        return;
    purr__buf_free(&w->rec);
    purr__buf_free(&w->chunk);
    purr__buf_free(&w->packed);
    purr__buf_free(&w->schemas);
    purr__buf_free(&w->channels);
    purr__buf_free(&w->chunk_indexes);
    purr__buf_free(&w->meta_indexes);
    ZSTD_freeCCtx(w->zstd);
    free(w->idx);
    free(w->counts);
    free(w->sequence);
    free(w->scratch);
    free(w);
}

bool
purr__mcap_failed(const purr__mcap *w)
{
    return w->err != 0;
}

uint64_t
purr__mcap_chunks(const purr__mcap *w)
{
    return w->nchunks;
}

uint64_t
purr__mcap_bytes(const purr__mcap *w)
{
    return w->pos;
}

/* Writes n bytes to the file, counting them into pos and the CRC. */
static int
emit(purr__mcap *w, const void *p, size_t n)
{
    if (w->err)
        return w->err;
    if (n == 0)
        return 0;
    if (fwrite(p, 1, n, w->out) != n)
        return w->err = PURR_EIO;
    w->pos += n;
    /* zlib's crc32 takes a uInt length: feed it in pieces. */
    const uint8_t *q = p;
    while (n > 0) {
        uInt part = n > (1u << 30) ? (1u << 30) : (uInt)n;
        w->crc = crc32(w->crc, q, part);
        q += part;
        n -= part;
    }
    return 0;
}

/* Emits the record made in w->rec and empties it. */
static int
emit_rec(purr__mcap *w)
{
    int rc = emit(w, w->rec.data, w->rec.len);
    w->rec.len = 0;
    return rc;
}

int
purr__mcap_start(purr__mcap *w, const char *profile, const char *library)
{
    int rc;
    if ((rc = emit(w, purr__mcap_magic, sizeof purr__mcap_magic)) < 0)
        return rc;
    recb r = rec_begin(&w->rec, PURR__MCAP_HEADER);
    put_str(&r, profile);
    put_str(&r, library);
    if ((rc = rec_end(&r)) < 0)
        return rc;
    return emit_rec(w);
}

int
purr__mcap_schema(purr__mcap *w, const char *name, const char *encoding,
                  const char *data)
{
    if (w->nschemas == UINT16_MAX)
        return PURR_ERANGE;
    uint16_t id = (uint16_t)(w->nschemas + 1);
    size_t at = w->schemas.len;
    recb r = rec_begin(&w->schemas, PURR__MCAP_SCHEMA);
    put16(&r, id);
    put_str(&r, name);
    put_str(&r, encoding);
    put_str(&r, data); /* bytes with a u32 length: the same layout */
    int rc = rec_end(&r);
    if (rc < 0)
        return rc;
    if ((rc = emit(w, w->schemas.data + at, w->schemas.len - at)) < 0)
        return rc;
    w->nschemas = id;
    return id;
}

int
purr__mcap_channel(purr__mcap *w, int schema_id, const char *topic,
                   const char *message_encoding, const char *const *keys,
                   const char *const *vals, size_t n)
{
    if (w->nchannels == UINT16_MAX - 1)
        return PURR_ERANGE;
    uint16_t id = (uint16_t)(w->nchannels + 1);
    /* Per-channel tables, indexed by id (0 unused). */
    uint64_t *c = realloc(w->counts, (id + 1u) * sizeof *c);
    if (!c)
        return PURR_ENOMEM;
    w->counts = c;
    uint32_t *s = realloc(w->sequence, (id + 1u) * sizeof *s);
    if (!s)
        return PURR_ENOMEM;
    w->sequence = s;
    size_t *k = realloc(w->scratch, (id + 1u) * sizeof *k);
    if (!k)
        return PURR_ENOMEM;
    w->scratch = k;
    c[id] = 0;
    s[id] = 0;
    c[0] = 0;
    s[0] = 0;

    size_t at = w->channels.len;
    recb r = rec_begin(&w->channels, PURR__MCAP_CHANNEL);
    put16(&r, id);
    put16(&r, (uint16_t)schema_id);
    put_str(&r, topic);
    put_str(&r, message_encoding);
    put_str_map(&r, keys, vals, n);
    int rc = rec_end(&r);
    if (rc < 0)
        return rc;
    if ((rc = emit(w, w->channels.data + at, w->channels.len - at)) < 0)
        return rc;
    w->nchannels = id;
    return id;
}

int
purr__mcap_metadata(purr__mcap *w, const char *name, const char *const *keys,
                    const char *const *vals, size_t n)
{
    uint64_t offset = w->pos;
    recb r = rec_begin(&w->rec, PURR__MCAP_METADATA);
    put_str(&r, name);
    put_str_map(&r, keys, vals, n);
    int rc = rec_end(&r);
    if (rc < 0)
        return rc;
    uint64_t length = w->rec.len;
    if ((rc = emit_rec(w)) < 0)
        return rc;
    recb m = rec_begin(&w->meta_indexes, PURR__MCAP_METADATA_INDEX);
    put64(&m, offset);
    put64(&m, length);
    put_str(&m, name);
    if ((rc = rec_end(&m)) < 0)
        return rc;
    w->nmetadata++;
    return 0;
}

static const char *
compression_name(purr_export_compression c)
{
    return c == PURR_EXPORT_ZSTD ? "zstd" : c == PURR_EXPORT_LZ4 ? "lz4" : "";
}

/* Compresses the current chunk into w->packed. Returns 0 or PURR_EIO. */
static int
compress_chunk(purr__mcap *w, const uint8_t **data /* out */,
               size_t *len /* out */)
{
    const purr__buf *c = &w->chunk;
    int rc;
    w->packed.len = 0;
    if (w->compression == PURR_EXPORT_ZSTD) {
        size_t bound = ZSTD_compressBound(c->len);
        if ((rc = purr__buf_reserve(&w->packed, bound)) < 0)
            return rc;
        size_t n = ZSTD_compressCCtx(w->zstd, w->packed.data, bound, c->data,
                                     c->len, 1);
        if (ZSTD_isError(n))
            return w->err = PURR_EIO;
        w->packed.len = n;
    } else if (w->compression == PURR_EXPORT_LZ4) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof prefs);
        prefs.frameInfo.contentSize = c->len;
        size_t bound = LZ4F_compressFrameBound(c->len, &prefs);
        if ((rc = purr__buf_reserve(&w->packed, bound)) < 0)
            return rc;
        size_t n =
            LZ4F_compressFrame(w->packed.data, bound, c->data, c->len, &prefs);
        if (LZ4F_isError(n))
            return w->err = PURR_EIO;
        w->packed.len = n;
    } else {
        *data = c->data;
        *len = c->len;
        return 0;
    }
    *data = w->packed.data;
    *len = w->packed.len;
    return 0;
}

/* Writes the current chunk, its message indexes (one per channel present,
 * in channel order), and keeps its chunk index for the summary. */
static int
flush_chunk(purr__mcap *w)
{
    if (w->nidx == 0)
        return 0;
    int rc;
    const uint8_t *data;
    size_t len;
    uLong ucrc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < w->chunk.len;) {
        size_t part = w->chunk.len - done;
        if (part > (1u << 30))
            part = 1u << 30;
        ucrc = crc32(ucrc, w->chunk.data + done, (uInt)part);
        done += part;
    }
    if ((rc = compress_chunk(w, &data, &len)) < 0)
        return rc;

    uint64_t chunk_start = w->pos;
    recb r = rec_begin(&w->rec, PURR__MCAP_CHUNK);
    put64(&r, w->chunk_start_time);
    put64(&r, w->chunk_end_time);
    put64(&r, w->chunk.len);
    put32(&r, (uint32_t)ucrc);
    put_str(&r, compression_name(w->compression));
    put64(&r, len);
    if ((rc = rec_end(&r)) < 0)
        return rc;
    /* The length covers the records that follow the header part. */
    le64(w->rec.data + 1, (uint64_t)(w->rec.len - 9 + len));
    if ((rc = emit_rec(w)) < 0 || (rc = emit(w, data, len)) < 0)
        return rc;
    uint64_t chunk_length = w->pos - chunk_start;

    /* Group the entries by channel (a counting sort, stable: each
     * channel's entries stay in time order). scratch[ch] first counts,
     * then is the next slot of channel ch. */
    size_t *slot = w->scratch;
    memset(slot, 0, (w->nchannels + 1u) * sizeof *slot);
    for (size_t i = 0; i < w->nidx; i++)
        slot[w->idx[i].channel]++;
    uint16_t present = 0;
    size_t sum = 0;
    for (uint16_t ch = 1; ch <= w->nchannels; ch++) {
        size_t n = slot[ch];
        present += n > 0;
        slot[ch] = sum;
        sum += n;
    }
    /* One message index record per channel present, straight into the
     * scratch record buffer (channel order follows from the sort). */
    if ((rc = purr__buf_reserve(&w->rec, w->nidx * 16 + present * 15u)) < 0)
        return rc;
    size_t *first = calloc(w->nchannels + 1u, sizeof *first);
    uint64_t *offsets = calloc(w->nchannels + 1u, sizeof *offsets);
    if (!first || !offsets) {
        free(first);
        free(offsets);
        return PURR_ENOMEM;
    }
    for (uint16_t ch = 1; ch <= w->nchannels; ch++)
        first[ch] = slot[ch];
    /* Lay the entries out per channel in record form: each record is
     * 1 + 8 + 2 + 4 bytes of header, then 16 bytes per entry. */
    size_t total = w->nidx * 16 + present * 15u;
    uint8_t *base = w->rec.data;
    size_t at = 0;
    size_t *rec_at = calloc(w->nchannels + 1u, sizeof *rec_at);
    if (!rec_at) {
        free(first);
        free(offsets);
        return PURR_ENOMEM;
    }
    for (uint16_t ch = 1; ch <= w->nchannels; ch++) {
        size_t n = (ch < w->nchannels ? first[ch + 1] : w->nidx) - first[ch];
        if (n == 0)
            continue;
        rec_at[ch] = at;
        offsets[ch] = w->pos + at;
        base[at] = PURR__MCAP_MESSAGE_INDEX;
        le64(base + at + 1, 2 + 4 + 16 * (uint64_t)n);
        le16(base + at + 9, ch);
        le32(base + at + 11, (uint32_t)(16 * n));
        at += 15 + 16 * n;
    }
    for (size_t i = 0; i < w->nidx; i++) {
        const index_entry *e = &w->idx[i];
        size_t k = slot[e->channel]++ - first[e->channel];
        uint8_t *p = base + rec_at[e->channel] + 15 + 16 * k;
        le64(p, e->log_time);
        le64(p + 8, e->offset);
    }
    w->rec.len = total;
    free(rec_at);
    rc = emit_rec(w);

    if (rc == 0) {
        recb ci = rec_begin(&w->chunk_indexes, PURR__MCAP_CHUNK_INDEX);
        put64(&ci, w->chunk_start_time);
        put64(&ci, w->chunk_end_time);
        put64(&ci, chunk_start);
        put64(&ci, chunk_length);
        put32(&ci, (uint32_t)(present * 10u));
        for (uint16_t ch = 1; ch <= w->nchannels; ch++) {
            if (offsets[ch] == 0)
                continue;
            put16(&ci, ch);
            put64(&ci, offsets[ch]);
        }
        put64(&ci, total);
        put_str(&ci, compression_name(w->compression));
        put64(&ci, len);
        put64(&ci, w->chunk.len);
        rc = rec_end(&ci);
    }
    free(first);
    free(offsets);
    if (rc < 0)
        return rc;
    w->nchunks++;
    w->chunk.len = 0;
    w->nidx = 0;
    return 0;
}

int
purr__mcap_message(purr__mcap *w, int channel, uint64_t log_time,
                   const void *data, size_t len)
{
    int rc;
    size_t size = 9 + 2 + 4 + 8 + 8 + len;
    if (w->nidx > 0 && w->chunk.len + size > w->chunk_bytes &&
        (rc = flush_chunk(w)) < 0)
        return rc;
    if (w->nidx == w->capidx) {
        size_t cap = w->capidx ? 2 * w->capidx : 1024;
        index_entry *p = realloc(w->idx, cap * sizeof *p);
        if (!p)
            return PURR_ENOMEM;
        w->idx = p;
        w->capidx = cap;
    }
    if ((rc = purr__buf_reserve(&w->chunk, size)) < 0)
        return rc;
    uint16_t ch = (uint16_t)channel;
    uint8_t *p = w->chunk.data + w->chunk.len;
    w->idx[w->nidx++] = (index_entry){log_time, w->chunk.len, ch};
    p[0] = PURR__MCAP_MESSAGE;
    le64(p + 1, size - 9);
    le16(p + 9, ch);
    le32(p + 11, w->sequence[ch]++);
    le64(p + 15, log_time);
    le64(p + 23, log_time);
    memcpy(p + 31, data, len);
    w->chunk.len += size;

    if (w->nidx == 1)
        w->chunk_start_time = log_time;
    w->chunk_end_time = log_time;
    if (w->nmessages == 0)
        w->start_time = log_time;
    w->end_time = log_time;
    w->nmessages++;
    w->counts[ch]++;
    return 0;
}

/* Emits buf's records as one summary group, remembering its place in
 * offs (a buffer of summary offset records). */
static int
emit_group(purr__mcap *w, const purr__buf *buf, uint8_t op, purr__buf *offs)
{
    if (buf->len == 0)
        return 0;
    uint64_t start = w->pos;
    int rc = emit(w, buf->data, buf->len);
    if (rc < 0)
        return rc;
    recb r = rec_begin(offs, PURR__MCAP_SUMMARY_OFFSET);
    put8(&r, op);
    put64(&r, start);
    put64(&r, buf->len);
    return rec_end(&r);
}

int
purr__mcap_finish(purr__mcap *w)
{
    int rc;
    if ((rc = flush_chunk(w)) < 0)
        return rc;

    recb r = rec_begin(&w->rec, PURR__MCAP_DATA_END);
    put32(&r, (uint32_t)w->crc);
    if ((rc = rec_end(&r)) < 0 || (rc = emit_rec(w)) < 0)
        return rc;

    /* The summary, with its own CRC from here to the footer's fields. */
    uint64_t summary_start = w->pos;
    w->crc = crc32(0L, Z_NULL, 0);
    purr__buf stats = {0}, offs = {0};
    recb s = rec_begin(&stats, PURR__MCAP_STATISTICS);
    put64(&s, w->nmessages);
    put16(&s, w->nschemas);
    put32(&s, w->nchannels);
    put32(&s, 0); /* attachments */
    put32(&s, w->nmetadata);
    put32(&s, w->nchunks);
    put64(&s, w->start_time);
    put64(&s, w->end_time);
    put32(&s, (uint32_t)(w->nchannels * 10u));
    for (uint16_t ch = 1; ch <= w->nchannels; ch++) {
        put16(&s, ch);
        put64(&s, w->counts[ch]);
    }
    rc = rec_end(&s);
    if (rc == 0)
        rc = emit_group(w, &w->schemas, PURR__MCAP_SCHEMA, &offs);
    if (rc == 0)
        rc = emit_group(w, &w->channels, PURR__MCAP_CHANNEL, &offs);
    if (rc == 0)
        rc = emit_group(w, &w->chunk_indexes, PURR__MCAP_CHUNK_INDEX, &offs);
    if (rc == 0)
        rc = emit_group(w, &w->meta_indexes, PURR__MCAP_METADATA_INDEX, &offs);
    if (rc == 0)
        rc = emit_group(w, &stats, PURR__MCAP_STATISTICS, &offs);
    uint64_t offset_start = w->pos;
    if (rc == 0)
        rc = emit(w, offs.data, offs.len);
    purr__buf_free(&stats);
    purr__buf_free(&offs);
    if (rc < 0)
        return rc;

    uint8_t footer[1 + 8 + 8 + 8 + 4];
    footer[0] = PURR__MCAP_FOOTER;
    le64(footer + 1, 20);
    le64(footer + 9, summary_start);
    le64(footer + 17, offset_start);
    if ((rc = emit(w, footer, 25)) < 0)
        return rc;
    le32(footer + 25, (uint32_t)w->crc);
    if ((rc = emit(w, footer + 25, 4)) < 0)
        return rc;
    return emit(w, purr__mcap_magic, sizeof purr__mcap_magic);
}
