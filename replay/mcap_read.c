/* mcap_read.c - a streaming MCAP reader: messages in file order, one chunk
 * in memory at a time, every CRC the file carries checked.
 *
 * The layout (https://mcap.dev/spec): the magic "\x89MCAP0\r\n", records
 * (opcode u8, content length u64 little endian, content), the magic again.
 * The data section (Header, Schema, Channel, Message, Chunk, Message Index,
 * Attachment, Metadata records) ends with a Data End record; the summary
 * section repeats the schemas and channels and indexes the rest; the
 * Footer says where the summary starts. This reader uses the summary only
 * for the channels (and its CRC); everything else it streams. See
 * mcap_read_int.h for the contract.
 */
#include "mcap_read_int.h"
#include "mcap_int.h"

#include "purr/core.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* The footer record: opcode, length, summary_start, summary_offset_start,
 * summary_crc. */
#define FOOTER_LEN (1 + 8 + 8 + 8 + 4)

static int
fail(purr__mcap_reader *r, int rc, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->err, sizeof r->err,
                     "offset %llu: ", (unsigned long long)off);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof r->err)
        vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *c = r->err; *c; c++) /* one line, whatever the file holds */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return rc;
}

static uint64_t
le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Grows *buf to at least n bytes. */
static void
reserve(uint8_t **buf, size_t *cap, size_t n)
{
    if (*cap >= n)
        return;
    size_t c = *cap ? *cap : 4096;
    while (c < n)
        c = c > SIZE_MAX / 2 ? n : c * 2;
    uint8_t *p = realloc(*buf, c);
    if (!p)
        abort(); /* out of memory panics, as purr's copies do */
    *buf = p;
    *cap = c;
}

/* Reads exactly n bytes at the current position, adding them to the data
 * section's CRC while it is computed. */
static int
rd(purr__mcap_reader *r, void *buf, size_t n)
{
    if (n && fread(buf, 1, n, r->f) != n)
        return fail(r, PURR_EIO, r->pos, "cannot read %zu bytes (%s)", n,
                    ferror(r->f) ? strerror(errno) : "end of file");
    if (r->crc_on)
        r->data_crc = (uint32_t)crc32(r->data_crc, buf, (uInt)n);
    r->pos += n;
    return 0;
}

static int
seek_to(purr__mcap_reader *r, uint64_t off)
{
    if (fseeko(r->f, (off_t)off, SEEK_SET) != 0)
        return fail(r, PURR_EIO, off, "cannot seek (%s)", strerror(errno));
    r->pos = off;
    return 0;
}

/* A cursor over a record's content in memory. */
typedef struct span {
    const uint8_t *p;
    size_t n;
} span;

static bool
take(span *s, size_t n, const uint8_t **out)
{
    if (s->n < n)
        return false;
    *out = s->p;
    s->p += n;
    s->n -= n;
    return true;
}

static bool
take_int(span *s, int n, uint64_t *v)
{
    const uint8_t *p;
    if (!take(s, (size_t)n, &p))
        return false;
    *v = le(p, n);
    return true;
}

/* A string or byte array with a u32 length; *out copies it (heap). */
static bool
take_str(span *s, char **out, size_t *len)
{
    uint64_t n;
    const uint8_t *p;
    if (!take_int(s, 4, &n) || !take(s, (size_t)n, &p))
        return false;
    char *c = malloc((size_t)n + 1);
    if (!c)
        abort();
    memcpy(c, p, (size_t)n);
    c[n] = '\0';
    *out = c;
    if (len)
        *len = (size_t)n;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Schemas and channels                                                    */
/* ---------------------------------------------------------------------- */

static int
add_schema(purr__mcap_reader *r, span s, uint64_t off)
{
    uint64_t id;
    purr__mcap_schema sc = {0};
    if (!take_int(&s, 2, &id) || !take_str(&s, &sc.name, NULL) ||
        !take_str(&s, &sc.encoding, NULL) ||
        !take_str(&s, (char **)&sc.data, &sc.len)) {
        free(sc.name);
        free(sc.encoding);
        return fail(r, PURR_EFORMAT, off, "truncated Schema record");
    }
    sc.id = (uint16_t)id;
    if (id == 0 || r->schema_at[id]) {
        /* 0 is "no schema"; a repeat (the summary's copy) is ignored. */
        free(sc.name);
        free(sc.encoding);
        free(sc.data);
        if (id == 0)
            return fail(r, PURR_EFORMAT, off, "Schema record with id 0");
        return 0;
    }
    purr__mcap_schema *a = realloc(r->schemas, (r->nschemas + 1) * sizeof *a);
    if (!a)
        abort();
    r->schemas = a;
    a[r->nschemas++] = sc;
    r->schema_at[id] = (uint32_t)r->nschemas;
    return 0;
}

static int
add_channel(purr__mcap_reader *r, span s, uint64_t off)
{
    uint64_t id, sid, mlen;
    purr__mcap_channel ch = {0};
    const uint8_t *meta;
    if (!take_int(&s, 2, &id) || !take_int(&s, 2, &sid) ||
        !take_str(&s, &ch.topic, NULL) || !take_str(&s, &ch.encoding, NULL) ||
        !take_int(&s, 4, &mlen) || !take(&s, (size_t)mlen, &meta)) {
        free(ch.topic);
        free(ch.encoding);
        return fail(r, PURR_EFORMAT, off, "truncated Channel record");
    }
    ch.id = (uint16_t)id;
    ch.schema_id = (uint16_t)sid;
    if (r->channel_at[id]) {
        free(ch.topic);
        free(ch.encoding);
        return 0;
    }
    purr__mcap_channel *a =
        realloc(r->channels, (r->nchannels + 1) * sizeof *a);
    if (!a)
        abort();
    r->channels = a;
    a[r->nchannels++] = ch;
    r->channel_at[id] = (uint32_t)r->nchannels;
    return 0;
}

const purr__mcap_channel *
purr__mcap_channel_get(const purr__mcap_reader *r, uint16_t id)
{
    uint32_t i = r->channel_at ? r->channel_at[id] : 0;
    return i ? &r->channels[i - 1] : NULL;
}

const purr__mcap_schema *
purr__mcap_schema_get(const purr__mcap_reader *r, uint16_t id)
{
    uint32_t i = r->schema_at ? r->schema_at[id] : 0;
    return i ? &r->schemas[i - 1] : NULL;
}

/* ---------------------------------------------------------------------- */
/* Opening: magics, footer, summary                                        */
/* ---------------------------------------------------------------------- */

/* Reads the summary section [start, end) for its schemas and channels. */
static int
read_summary(purr__mcap_reader *r, uint64_t start, uint64_t end)
{
    int rc = seek_to(r, start);
    uint64_t off = start;
    while (rc == 0 && off < end) {
        uint8_t h[9];
        if (end - off < 9)
            return fail(r, PURR_EFORMAT, off,
                        "truncated record in the "
                        "summary");
        if ((rc = rd(r, h, 9)) < 0)
            return rc;
        uint64_t len = le(h + 1, 8);
        if (len > end - off - 9)
            return fail(r, PURR_EFORMAT, off,
                        "record 0x%02x of %llu bytes "
                        "runs past the end of the summary",
                        h[0], (unsigned long long)len);
        if (h[0] == PURR__MCAP_SCHEMA || h[0] == PURR__MCAP_CHANNEL) {
            reserve(&r->buf, &r->buf_cap, (size_t)len);
            if ((rc = rd(r, r->buf, (size_t)len)) < 0)
                return rc;
            span s = {r->buf, (size_t)len};
            rc = h[0] == PURR__MCAP_SCHEMA ? add_schema(r, s, off)
                                           : add_channel(r, s, off);
        } else {
            rc = seek_to(r, off + 9 + len);
        }
        off += 9 + len;
    }
    return rc;
}

/* CRC of the file's bytes [from, to). */
static int
crc_range(purr__mcap_reader *r, uint64_t from, uint64_t to, uint32_t *crc)
{
    int rc = seek_to(r, from);
    uint32_t c = (uint32_t)crc32(0, NULL, 0);
    while (rc == 0 && r->pos < to) {
        size_t n = to - r->pos > 65536 ? 65536 : (size_t)(to - r->pos);
        reserve(&r->buf, &r->buf_cap, n);
        rc = rd(r, r->buf, n);
        if (rc == 0)
            c = (uint32_t)crc32(c, r->buf, (uInt)n);
    }
    *crc = c;
    return rc;
}

int
purr__mcap_open_file(purr__mcap_reader *r, FILE *f, uint64_t size)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->size = size;
    r->schema_at = calloc(65536, sizeof *r->schema_at);
    r->channel_at = calloc(65536, sizeof *r->channel_at);
    if (!r->schema_at || !r->channel_at)
        abort();
    if (size < 8 + FOOTER_LEN + 8)
        return fail(r, PURR_EFORMAT, 0,
                    "not an MCAP file: %llu bytes is "
                    "too short for the magics and a footer",
                    (unsigned long long)size);
    uint8_t head[8], tail[FOOTER_LEN + 8];
    int rc = rd(r, head, 8);
    if (rc < 0)
        return rc;
    if (memcmp(head, purr__mcap_magic, 8) != 0)
        return fail(r, PURR_EFORMAT, 0, "not an MCAP file (no MCAP magic)");
    r->footer_off = size - 8 - FOOTER_LEN;
    if ((rc = seek_to(r, r->footer_off)) < 0 || (rc = rd(r, tail, sizeof tail)))
        return rc;
    if (memcmp(tail + FOOTER_LEN, purr__mcap_magic, 8) != 0)
        return fail(r, PURR_EFORMAT, size - 8,
                    "no MCAP magic at the end: "
                    "the file is truncated (or still being written)");
    if (tail[0] != PURR__MCAP_FOOTER || le(tail + 1, 8) != FOOTER_LEN - 9)
        return fail(r, PURR_EFORMAT, r->footer_off,
                    "no Footer record "
                    "before the closing magic");
    uint64_t sstart = le(tail + 9, 8);
    uint32_t scrc = (uint32_t)le(tail + 25, 4);
    if (sstart != 0 && (sstart < 8 || sstart > r->footer_off))
        return fail(r, PURR_EFORMAT, r->footer_off,
                    "the footer's summary "
                    "start %llu is outside the file",
                    (unsigned long long)sstart);
    r->summary_start = sstart;
    if (scrc != 0) {
        /* The summary CRC covers the summary and the footer up to the
         * CRC itself. */
        uint32_t c;
        uint64_t from = sstart ? sstart : r->footer_off;
        if ((rc = crc_range(r, from, r->footer_off + FOOTER_LEN - 4, &c)) < 0)
            return rc;
        if (c != scrc)
            return fail(r, PURR_EFORMAT, from,
                        "summary CRC mismatch "
                        "(stored %08x, computed %08x): the file is corrupt",
                        scrc, c);
    }
    if (sstart != 0) {
        if ((rc = read_summary(r, sstart, r->footer_off)) < 0)
            return rc;
        r->has_summary = true;
    }
    if ((rc = seek_to(r, 0)) < 0)
        return rc;
    r->crc_on = true;
    r->data_crc = (uint32_t)crc32(0, NULL, 0);
    return rd(r, head, 8);
}

int
purr__mcap_open(purr__mcap_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    /* O_NONBLOCK: opening a FIFO would wait for a writer; it is refused
     * before it is read, as a directory or a device is. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(r->err, sizeof r->err, "cannot open (%s)", strerror(e));
        return e == ENOENT ? PURR_ENOENT : PURR_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(r->err, sizeof r->err,
                 "not a regular file (a log must be "
                 "a file)");
        return PURR_EFORMAT;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        snprintf(r->err, sizeof r->err, "cannot open (%s)", strerror(errno));
        return PURR_EIO;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    int rc = purr__mcap_open_file(r, f, (uint64_t)st.st_size);
    r->own_f = true;
    return rc;
}

void
purr__mcap_close(purr__mcap_reader *r)
{
    if (!r)
        return;
    if (r->own_f && r->f)
        fclose(r->f);
    for (size_t i = 0; i < r->nschemas; i++) {
        free(r->schemas[i].name);
        free(r->schemas[i].encoding);
        free(r->schemas[i].data);
    }
    for (size_t i = 0; i < r->nchannels; i++) {
        free(r->channels[i].topic);
        free(r->channels[i].encoding);
    }
    free(r->schemas);
    free(r->channels);
    free(r->schema_at);
    free(r->channel_at);
    free(r->chunk);
    free(r->buf);
    ZSTD_freeDCtx(r->zstd);
    LZ4F_freeDecompressionContext(r->lz4);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------------- */
/* Chunks                                                                  */
/* ---------------------------------------------------------------------- */

/* Decompresses src (n bytes) into r->chunk, which must come out exactly
 * want bytes; the buffer grows with the output, never past want. */
static int
inflate_chunk(purr__mcap_reader *r, const char *comp, const uint8_t *src,
              size_t n, size_t want, uint64_t off)
{
    size_t first = want < (size_t)4 * n + 65536 ? want : (size_t)4 * n + 65536;
    reserve(&r->chunk, &r->chunk_cap, first ? first : 1);
    size_t out = 0, in = 0;
    if (strcmp(comp, "zstd") == 0) {
        if (!r->zstd && !(r->zstd = ZSTD_createDCtx()))
            abort();
        ZSTD_DCtx_reset(r->zstd, ZSTD_reset_session_only);
        size_t ret = 1;
        while (ret != 0) {
            size_t room = (r->chunk_cap < want ? r->chunk_cap : want) - out;
            if (room == 0) {
                if (r->chunk_cap >= want)
                    return fail(r, PURR_EFORMAT, off,
                                "zstd chunk "
                                "decompresses past its uncompressed size "
                                "%zu",
                                want);
                reserve(&r->chunk, &r->chunk_cap, r->chunk_cap + 1);
                continue;
            }
            ZSTD_inBuffer ib = {src, n, in};
            ZSTD_outBuffer ob = {r->chunk, out + room, out};
            ret = ZSTD_decompressStream(r->zstd, &ob, &ib);
            if (ZSTD_isError(ret))
                return fail(r, PURR_EFORMAT, off,
                            "zstd chunk does not "
                            "decompress (%s)",
                            ZSTD_getErrorName(ret));
            if (ob.pos == out && ib.pos == in && ret != 0 &&
                (in == n || ob.pos < ob.size))
                return fail(r, PURR_EFORMAT, off,
                            "zstd chunk ends before "
                            "its frame");
            out = ob.pos;
            in = ib.pos;
        }
    } else {
        if (!r->lz4 && LZ4F_isError(LZ4F_createDecompressionContext(
                           (LZ4F_dctx **)&r->lz4, LZ4F_VERSION)))
            abort();
        LZ4F_resetDecompressionContext(r->lz4);
        size_t ret = 1;
        while (ret != 0) {
            size_t room = (r->chunk_cap < want ? r->chunk_cap : want) - out;
            if (room == 0) {
                if (r->chunk_cap >= want)
                    return fail(r, PURR_EFORMAT, off,
                                "lz4 chunk "
                                "decompresses past its uncompressed size "
                                "%zu",
                                want);
                reserve(&r->chunk, &r->chunk_cap, r->chunk_cap + 1);
                continue;
            }
            size_t dn = room, sn = n - in;
            ret = LZ4F_decompress(r->lz4, r->chunk + out, &dn, src + in, &sn,
                                  NULL);
            if (LZ4F_isError(ret))
                return fail(r, PURR_EFORMAT, off,
                            "lz4 chunk does not "
                            "decompress (%s)",
                            LZ4F_getErrorName(ret));
            if (dn == 0 && sn == 0 && ret != 0 && (in == n || dn < room))
                return fail(r, PURR_EFORMAT, off,
                            "lz4 chunk ends before "
                            "its frame");
            out += dn;
            in += sn;
        }
    }
    if (out != want)
        return fail(r, PURR_EFORMAT, off,
                    "%s chunk decompresses to %zu "
                    "bytes, not its uncompressed size %zu",
                    comp, out, want);
    return 0;
}

/* Loads the chunk whose content (len bytes) is in r->buf. */
static int
load_chunk(purr__mcap_reader *r, size_t len, uint64_t off)
{
    span s = {r->buf, len};
    uint64_t t0, t1, usize, ucrc, rlen;
    const uint8_t *cp, *recs;
    uint64_t clen;
    if (!take_int(&s, 8, &t0) || !take_int(&s, 8, &t1) ||
        !take_int(&s, 8, &usize) || !take_int(&s, 4, &ucrc) ||
        !take_int(&s, 4, &clen) || !take(&s, (size_t)clen, &cp) ||
        !take_int(&s, 8, &rlen) || !take(&s, (size_t)rlen, &recs))
        return fail(r, PURR_EFORMAT, off, "truncated Chunk record");
    char comp[16];
    if (clen >= sizeof comp)
        return fail(r, PURR_EFORMAT, off,
                    "unsupported chunk compression "
                    "(a %llu-byte name)",
                    (unsigned long long)clen);
    memcpy(comp, cp, (size_t)clen);
    comp[clen] = '\0';
    if (usize > PURR__MCAP_MAX_CHUNK)
        return fail(r, PURR_EFORMAT, off,
                    "chunk of %llu bytes uncompressed "
                    "is larger than purr reads (%u MiB)",
                    (unsigned long long)usize, PURR__MCAP_MAX_CHUNK >> 20);
    if (comp[0] == '\0') {
        if (rlen != usize)
            return fail(r, PURR_EFORMAT, off,
                        "uncompressed chunk of %llu "
                        "bytes says it has %llu",
                        (unsigned long long)rlen, (unsigned long long)usize);
        reserve(&r->chunk, &r->chunk_cap, (size_t)rlen);
        memcpy(r->chunk, recs, (size_t)rlen);
    } else if (strcmp(comp, "zstd") == 0 || strcmp(comp, "lz4") == 0) {
        int rc = inflate_chunk(r, comp, recs, (size_t)rlen, (size_t)usize, off);
        if (rc < 0)
            return rc;
    } else {
        return fail(r, PURR_EFORMAT, off,
                    "unsupported chunk compression "
                    "'%s' (purr reads none, zstd and lz4)",
                    comp);
    }
    if (ucrc != 0) {
        uint32_t c = (uint32_t)crc32(0, r->chunk, (uInt)usize);
        if (c != ucrc)
            return fail(r, PURR_EFORMAT, off,
                        "chunk CRC mismatch (stored "
                        "%08x, computed %08x): the file is corrupt",
                        (unsigned)ucrc, c);
    }
    r->chunk_len = (size_t)usize;
    r->chunk_pos = 0;
    r->chunk_off = off;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Records                                                                 */
/* ---------------------------------------------------------------------- */

/* Handles one record's content s (at off) of opcode op from a chunk or
 * the data section. Returns 1 with *m filled for a message, 0 otherwise. */
static int
handle(purr__mcap_reader *r, uint8_t op, span s, uint64_t off,
       purr__mcap_msg *m)
{
    switch (op) {
    case PURR__MCAP_SCHEMA:
        return add_schema(r, s, off);
    case PURR__MCAP_CHANNEL:
        return add_channel(r, s, off);
    case PURR__MCAP_MESSAGE: {
        uint64_t ch, seq;
        if (!take_int(&s, 2, &ch) || !take_int(&s, 4, &seq) ||
            !take_int(&s, 8, &m->log_time) ||
            !take_int(&s, 8, &m->publish_time))
            return fail(r, PURR_EFORMAT, off, "truncated Message record");
        m->channel_id = (uint16_t)ch;
        m->sequence = (uint32_t)seq;
        m->data = s.p;
        m->len = s.n;
        m->offset = off;
        if (!purr__mcap_channel_get(r, m->channel_id))
            return fail(r, PURR_EFORMAT, off,
                        "message on channel %u, which "
                        "no Channel record defined before it",
                        (unsigned)m->channel_id);
        r->messages++;
        return 1;
    }
    default:
        return 0; /* indexes, attachments, metadata: not needed */
    }
}

int
purr__mcap_next(purr__mcap_reader *r, purr__mcap_msg *m)
{
    for (;;) {
        /* Records left in the current chunk. */
        while (r->chunk_pos < r->chunk_len) {
            size_t left = r->chunk_len - r->chunk_pos;
            const uint8_t *p = r->chunk + r->chunk_pos;
            if (left < 9 || le(p + 1, 8) > left - 9) {
                r->chunk_len = 0;
                return fail(r, PURR_EFORMAT, r->chunk_off,
                            "a record in the "
                            "chunk runs past the chunk's end (at byte %zu "
                            "of it)",
                            r->chunk_pos);
            }
            size_t len = (size_t)le(p + 1, 8);
            r->chunk_pos += 9 + len;
            int rc = handle(r, p[0], (span){p + 9, len}, r->chunk_off, m);
            if (rc != 0) {
                if (rc < 0)
                    r->chunk_len = 0;
                return rc;
            }
        }
        if (r->done)
            return 0;
        uint64_t off = r->pos;
        if (off >= r->footer_off ||
            (r->summary_start && off >= r->summary_start)) {
            r->done = true; /* no Data End record: tolerated */
            continue;
        }
        uint32_t crc_before = r->data_crc;
        uint8_t h[9];
        if (r->footer_off - off < 9)
            return fail(r, PURR_EFORMAT, off, "truncated record header");
        int rc = rd(r, h, 9);
        if (rc < 0)
            return rc;
        uint64_t len = le(h + 1, 8);
        if (len > r->footer_off - off - 9)
            return fail(r, PURR_EFORMAT, off,
                        "record 0x%02x of %llu bytes "
                        "runs past the end of the file (%llu bytes)",
                        h[0], (unsigned long long)len,
                        (unsigned long long)r->size);
        if (h[0] == PURR__MCAP_DATA_END) {
            uint8_t c[4];
            if (len < 4)
                return fail(r, PURR_EFORMAT, off,
                            "truncated Data End "
                            "record");
            if ((rc = rd(r, c, 4)) < 0)
                return rc;
            uint32_t stored = (uint32_t)le(c, 4);
            if (stored != 0 && stored != crc_before)
                return fail(r, PURR_EFORMAT, off,
                            "data section CRC mismatch "
                            "(stored %08x, computed %08x): the file is "
                            "corrupt",
                            stored, crc_before);
            r->done = true;
            continue;
        }
        if (h[0] == PURR__MCAP_FOOTER)
            return fail(r, PURR_EFORMAT, off,
                        "a Footer record inside the "
                        "data section");
        if (h[0] == PURR__MCAP_SCHEMA || h[0] == PURR__MCAP_CHANNEL ||
            h[0] == PURR__MCAP_MESSAGE || h[0] == PURR__MCAP_CHUNK) {
            reserve(&r->buf, &r->buf_cap, (size_t)len + 1);
            if ((rc = rd(r, r->buf, (size_t)len)) < 0)
                return rc;
            if (h[0] == PURR__MCAP_CHUNK) {
                if ((rc = load_chunk(r, (size_t)len, off)) < 0)
                    return rc;
                continue;
            }
            rc = handle(r, h[0], (span){r->buf, (size_t)len}, off, m);
            if (rc != 0)
                return rc;
            continue;
        }
        /* Anything else is read through (for the CRC), a block at a time. */
        while (len > 0) {
            size_t n = len > 65536 ? 65536 : (size_t)len;
            reserve(&r->buf, &r->buf_cap, n);
            if ((rc = rd(r, r->buf, n)) < 0)
                return rc;
            len -= n;
        }
    }
}
