/* export_int.h - private declarations of the exporters (export.h): the
 * streaming MCAP writer (mcap_write.c), the JSON text of datums
 * (export_json.c) and the text formats (export_text.c), which export.c
 * drives.
 */
#ifndef PURR_EXPORT_INT_H
#define PURR_EXPORT_INT_H

#include <purr/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------------- */
/* A growable byte buffer                                                  */
/* ---------------------------------------------------------------------- */

typedef struct purr__buf {
    uint8_t *data; /* heap (owned), NULL while empty */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
} purr__buf;

/* Makes room for n more bytes. Returns 0 or PURR_ENOMEM. */
int purr__buf_reserve(purr__buf *b, size_t n);
/* Appends n bytes. Returns 0 or PURR_ENOMEM. */
int purr__buf_put(purr__buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string (without its NUL). */
int purr__buf_puts(purr__buf *b, const char *s);
void purr__buf_free(purr__buf *b);

/* ---------------------------------------------------------------------- */
/* MCAP writer (mcap_write.c)                                              */
/* ---------------------------------------------------------------------- */

/* A streaming MCAP writer: records go to out as they are made, and only
 * the current chunk, its message index entries and one small chunk index
 * per finished chunk stay in memory. Write order: start; schemas,
 * channels and metadata (before the first message: they are written
 * outside chunks); messages, in non-decreasing log time; finish. */
typedef struct purr__mcap purr__mcap;

/* Creates a writer on out (left open by the writer). chunk_bytes: the
 * uncompressed size at which a chunk is closed (0: 1 MiB). Returns NULL
 * when out of memory. */
purr__mcap *purr__mcap_new(FILE *out, purr_export_compression compression,
                           size_t chunk_bytes);
/* Writes the magic and the header record (profile, library). */
int purr__mcap_start(purr__mcap *w, const char *profile, const char *library);
/* Writes a schema record; returns its id (from 1) or a negative code. */
int purr__mcap_schema(purr__mcap *w, const char *name, const char *encoding,
                      const char *data);
/* Writes a channel record (metadata: n key/value pairs, keys[i] and
 * vals[i]); returns its id (from 1) or a negative code. */
int purr__mcap_channel(purr__mcap *w, int schema_id, const char *topic,
                       const char *message_encoding, const char *const *keys,
                       const char *const *vals, size_t n);
/* Writes a metadata record named name (n pairs) and remembers it for the
 * summary's metadata index. */
int purr__mcap_metadata(purr__mcap *w, const char *name,
                        const char *const *keys, const char *const *vals,
                        size_t n);
/* Adds a message (len bytes at data) on channel at log_time (also its
 * publish time) to the current chunk, closing the chunk first when the
 * message would make it larger than chunk_bytes. Log times must not
 * decrease. Returns 0 or a negative code. */
int purr__mcap_message(purr__mcap *w, int channel, uint64_t log_time,
                       const void *data, size_t len);
/* Closes the last chunk and writes the data end, the summary (schemas,
 * channels, chunk indexes, metadata indexes, statistics), the summary
 * offsets, the footer and the closing magic. Returns 0 or a negative
 * code (PURR_EIO when a write failed). */
int purr__mcap_finish(purr__mcap *w);
/* Whether writing to the file (or compressing) failed. */
bool purr__mcap_failed(const purr__mcap *w);
/* Chunks written so far, and bytes written so far. */
uint64_t purr__mcap_chunks(const purr__mcap *w);
uint64_t purr__mcap_bytes(const purr__mcap *w);
/* Frees the writer (NULL accepted). */
void purr__mcap_free(purr__mcap *w);

/* ---------------------------------------------------------------------- */
/* JSON text of datums (export_json.c)                                     */
/* ---------------------------------------------------------------------- */

/* How a datum that JSON cannot hold exactly is written. */
typedef enum purr__json_mode {
    /* For viewers (MCAP): NaN and infinities as the strings "NaN",
     * "Infinity", "-Infinity" (as the protobuf JSON mapping writes them),
     * bytes as base64 strings, bytes of a string that are not UTF-8 as
     * U+FFFD; doubles with %.17g (exact; a viewer prints them shortest). */
    PURR__JSON_VIEW = 0,
    /* For `purr import` (JSON Lines): doubles in purr's shortest text form
     * (always with a '.' or an exponent, so they read back as doubles);
     * NaN, infinities, bytes and non-UTF-8 strings are refused. */
    PURR__JSON_EXACT = 1
} purr__json_mode;

/* Appends d as JSON to b. Returns 0, PURR_ENOMEM, or PURR_EFORMAT (exact
 * mode: a datum JSON Lines cannot hold; *why, when not NULL, says what). */
int purr__json_datum(purr__buf *b, const purr_datum *d, purr__json_mode mode,
                     const char **why /* out */);
/* Writes d as printf's "%.17g" does into out (32 bytes), NUL not
 * included; returns the length. Exact: the text reads back to d. */
size_t purr__json_g17(double d, char *out /* out */);
/* Appends s (len bytes) as a JSON string, quotes included. Exact mode
 * refuses bytes that are not UTF-8 (PURR_EFORMAT). */
int purr__json_string(purr__buf *b, const char *s, size_t len,
                      purr__json_mode mode);

/* ---------------------------------------------------------------------- */
/* Text formats (export_text.c)                                            */
/* ---------------------------------------------------------------------- */

/* Appends time_ns as seconds with nine decimals ("12.500000000"). */
int purr__export_seconds(purr__buf *b, purr_time time_ns);

/* One selected value, as the exporters see it. */
typedef struct purr__export_col {
    const purr_recorded_value *value; /* borrowed from the recording */
    int channel;                      /* MCAP channel id */
    uint64_t count;                   /* transitions written */
} purr__export_col;

/* Writes the transitions of rec (those of cols, in [from_ns, to_ns]) in
 * one of the text formats to out. col_of[i] is the column of value i
 * (recording order) or -1. Returns 0 or a negative code with diag set. */
int purr__export_text(purr_recording *rec, FILE *out,
                      purr_export_format format, purr__export_col *cols,
                      size_t ncols, const int *col_of, purr_time from_ns,
                      purr_time to_ns, purr_export_stats *stats,
                      purr_diag *diag);

#endif /* PURR_EXPORT_INT_H */
