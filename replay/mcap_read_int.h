/* mcap_read_int.h - a streaming MCAP reader (replay/mcap_read.c) for the
 * MCAP importer (replay/import_bin.c) and its fuzz target.
 *
 * The reader goes through the file once, front to back, and hands out its
 * messages in file order with their channel; it holds one chunk at a time
 * (decompressed: "" , "zstd" or "lz4"), so memory does not grow with the
 * file. At open it checks both magics, reads the footer and, when the file
 * has a summary, its Schema and Channel records (so the channels are known
 * before the first message) and the summary CRC when it is not zero. On
 * the way it checks each chunk's uncompressed CRC and, at the Data End
 * record, the data section's CRC (both when not zero). Every length is
 * checked against the bytes that remain before anything is allocated: a
 * record that runs past the end of the file is an error naming its
 * offset. Errors are one line in r->err: "offset N: what".
 */
#ifndef PURR_MCAP_READ_INT_H
#define PURR_MCAP_READ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The largest chunk purr decompresses (bytes, uncompressed). */
#define PURR__MCAP_MAX_CHUNK (256u << 20)

typedef struct purr__mcap_schema {
    uint16_t id;
    char *name;       /* "sensor_msgs/msg/BatteryState" (heap) */
    char *encoding;   /* "ros2msg", "jsonschema", ... (heap) */
    uint8_t *data;    /* the definition (heap, NUL-terminated), len bytes */
    size_t len;
} purr__mcap_schema;

typedef struct purr__mcap_channel {
    uint16_t id;
    uint16_t schema_id; /* 0: none */
    char *topic;        /* heap */
    char *encoding;     /* the message encoding: "cdr", "json", ... (heap) */
} purr__mcap_channel;

/* One message, borrowed from the reader until its next call. */
typedef struct purr__mcap_msg {
    uint16_t channel_id;
    uint32_t sequence;
    uint64_t log_time;     /* ns since the Unix epoch */
    uint64_t publish_time;
    const uint8_t *data;
    size_t len;
    uint64_t offset;       /* the file offset of the message's record, or
                              of the chunk that holds it */
} purr__mcap_msg;

/* A reader. Caller storage; every field is private to mcap_read.c. */
typedef struct purr__mcap_reader {
    FILE *f;              /* owned when opened by path */
    bool own_f;
    uint64_t size;        /* the file's size */
    uint64_t pos;         /* offset of the next byte f gives */
    uint64_t footer_off;  /* offset of the Footer record */
    uint64_t summary_start;
    bool has_summary;     /* the summary's channels were read at open */
    bool crc_on;          /* the data section's CRC is being computed */
    uint32_t data_crc;    /* running CRC of the data section */
    bool done;            /* the Data End record (or the footer) is read */
    /* The current chunk, decompressed: records [chunk_pos, chunk_len). */
    uint8_t *chunk;
    size_t chunk_cap, chunk_len, chunk_pos;
    uint64_t chunk_off;   /* the chunk record's file offset */
    uint8_t *buf;         /* one record's content (or a compressed chunk) */
    size_t buf_cap;
    void *zstd;           /* ZSTD_DCtx, made on the first zstd chunk */
    void *lz4;            /* LZ4F_dctx, made on the first lz4 chunk */
    purr__mcap_schema *schemas;
    size_t nschemas;
    purr__mcap_channel *channels;
    size_t nchannels;
    uint32_t *schema_at;  /* id -> index + 1 in schemas (65536 entries) */
    uint32_t *channel_at; /* id -> index + 1 in channels (65536 entries) */
    uint64_t messages;    /* messages handed out so far */
    char err[320];        /* the last error, one line */
} purr__mcap_reader;

/* Opens the MCAP file at path. Returns 0, or PURR_ENOENT / PURR_EIO /
 * PURR_EFORMAT with r->err set (close r even then). */
int purr__mcap_open(purr__mcap_reader *r, const char *path);
/* Opens an MCAP already open as f (size bytes, at offset 0; not closed by
 * purr__mcap_close): for the fuzz target (fmemopen). */
int purr__mcap_open_file(purr__mcap_reader *r, FILE *f, uint64_t size);
/* The next message into *m (out). Returns 1, 0 at the end, or a negative
 * PURR_E* code with r->err set. */
int purr__mcap_next(purr__mcap_reader *r, purr__mcap_msg *m);
/* The channel / schema with id, or NULL when not (yet) seen. */
const purr__mcap_channel *purr__mcap_channel_get(const purr__mcap_reader *r,
                                                 uint16_t id);
const purr__mcap_schema *purr__mcap_schema_get(const purr__mcap_reader *r,
                                               uint16_t id);
/* Frees everything r holds (a zeroed or failed reader is fine). */
void purr__mcap_close(purr__mcap_reader *r);

#endif /* PURR_MCAP_READ_INT_H */
