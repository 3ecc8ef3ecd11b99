/* import_int.h - the field-log importer's internal interface: log sources,
 * the map file, times and cell conversion, shared by replay/import*.c.
 *
 * purr_import_log (import.c, the driver) opens one source for the log by
 * its format, pulls updates from it one at a time and hands each to a
 * recorder on a virtual-clock loop; it never holds the log. A source reads
 * its file in blocks and turns it into purr__log_rec's: an update of one
 * schema input at one time, already converted to that input's type.
 *
 * The driver, not the sources, checks what is common to every format: that
 * times do not go backwards, that no gap exceeds the map's max_gap, that a
 * log declared relative does not start at what looks like an epoch time,
 * and it makes absolute (epoch) times relative to the log's start.
 *
 * Adding a format: write purr__import_open_FORMAT with the shape of
 * purr__log_open_fn and add it to the switch in purr__import_open_source
 * (import.c). A source may keep the map's entries it understands (CSV
 * columns, or "/topic.field" for bag formats) and must refuse an entry it
 * cannot find in the log (purr__import_map_entry_missing), and list once
 * what it skips (purr__import_note).
 *
 * This header is internal to the replay layer: it may change, but additions
 * are preferred so that every source keeps building.
 */
#ifndef PURR_IMPORT_INT_H
#define PURR_IMPORT_INT_H

#include "replay_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* Sources                                                                 */
/* ---------------------------------------------------------------------- */

/* One update a log makes. */
typedef struct purr__log_rec {
    int64_t time_ns;   /* since the log's start, or since the Unix epoch
                          when src->absolute */
    size_t input;      /* index into the schema's inputs */
    purr_datum datum;  /* already of the input's type; a string is
                          borrowed (owned by the source) until the next
                          call of next or close: never freed by the caller */
    uint64_t where;    /* line (CSV, JSONL) or message number (bag, MCAP),
                          for messages; 0 when unknown */
    uint32_t time_col; /* column (1-based, in bytes) of the time on that
                          line, for messages about the time; 0: none */
} purr__log_rec;

typedef struct purr__log_src purr__log_src;

/* A log being read. The source allocates it (its own struct beginning
 * with this one) in its open function; close frees it. */
struct purr__log_src {
    /* Reads the next update into *rec (out). Returns 1 (rec filled), 0 at
     * the end of the log, or a negative PURR_E* code with diag set: the
     * log's path, the line (or message number) and column, and a one-line
     * message. */
    int (*next)(purr__log_src *src, purr__log_rec *rec, purr_diag *diag);
    /* Frees the source and everything it holds (accepts NULL via
     * purr__log_src_close). */
    void (*close)(purr__log_src *src);
    uint64_t bytes_total; /* the log's size, for progress; 0 unknown */
    uint64_t bytes_done;  /* bytes consumed so far, kept by next */
    bool absolute;        /* times are ns since the Unix epoch */
    bool has_start;       /* start_ns is set: the log's start, when it is
                             not the first update's time (a wide CSV's
                             first row may set nothing) */
    int64_t start_ns;     /* the log's first time, same base as time_ns */
    const char *path;     /* the log, for messages (borrowed) */
};

/* Closes src when it is not NULL. */
void purr__log_src_close(purr__log_src *src);

/* ---------------------------------------------------------------------- */
/* The map (import_map.c)                                                  */
/* ---------------------------------------------------------------------- */

/* How a time column is written. */
typedef enum purr__time_format {
    PURR__TIME_DEFAULT = 0, /* seconds with decimals, or a duration with a
                               unit ("1.5s", "200ms") */
    PURR__TIME_S,           /* seconds, decimals allowed */
    PURR__TIME_MS,          /* milliseconds, decimals allowed */
    PURR__TIME_US,          /* microseconds, decimals allowed */
    PURR__TIME_NS,          /* nanoseconds, an integer */
    PURR__TIME_ISO8601      /* 2024-12-05T14:03:12.120Z, +hh:mm: absolute */
} purr__time_format;

/* One log field -> scene input. */
typedef struct purr__map_entry {
    char *key;         /* as written: a CSV column name, or
                          "/topic.field.path" */
    char *topic;       /* bag/MCAP: the part before the first '.' after the
                          leading '/'; NULL for a key without '/' */
    char *field;       /* the field path after it ("percentage",
                          "linear.x", "data"); NULL when topic is NULL */
    size_t input;      /* schema input index */
    unsigned line, col; /* where in the map file (0 for one from a flag) */
} purr__map_entry;

/* The map file, parsed once, merged with the command line's flags: what
 * the time column is and how it is written, and which log fields are which
 * inputs. */
typedef struct purr__import_map {
    char *path;                  /* the map file, or NULL (flags only) */
    char *time_column;           /* NULL: the first column (CSV) */
    unsigned time_line, time_col; /* where time was given in the map */
    purr__time_format time_format;
    int epoch;                   /* -1 not said, 0 relative, 1 absolute */
    int64_t max_gap_ns;          /* 0: no limit */
    purr__map_entry *entries;    /* count of them, in map order */
    size_t count;
} purr__import_map;

/* Loads the map file at path against schema into *out (out; zeroed first,
 * free with purr__import_map_free even on failure). Unknown keys, a bad
 * format, an input not in schema are refused with diag naming
 * MAP:LINE:COL. Returns 0, PURR_EFORMAT, PURR_ENOENT or PURR_ENOMEM. */
int purr__import_map_load(const char *path, const purr_import_schema *schema,
                          purr__import_map *out, purr_diag *diag);
/* Frees what *map holds and zeroes it (not map itself). */
void purr__import_map_free(purr__import_map *map);
/* The entry whose key is key, or NULL. */
const purr__map_entry *purr__import_map_find(const purr__import_map *map,
                                             const char *key, size_t len);
/* Sets diag for a map entry whose column/topic/field the log lacks:
 * "MAP:LINE:COL: 'KEY' ...what..." (or the log's path for an entry from
 * the command line). Returns PURR_EFORMAT. */
int purr__import_map_entry_missing(const purr__import_map *map,
                                   const purr__map_entry *e, const char *log,
                                   const char *what, purr_diag *diag);

/* Parses a time format's name ("s", "ms", "us", "ns", "iso8601") into
 * *out. Returns 0 or PURR_EINVAL. */
int purr__time_format_parse(const char *name, purr__time_format *out);

/* ---------------------------------------------------------------------- */
/* What a source is opened with                                            */
/* ---------------------------------------------------------------------- */

/* Reports a note (one line, no newline) to the user, e.g. the list of
 * skipped columns; may be NULL. */
typedef void (*purr__import_note_fn)(void *ctx, const char *line);

typedef struct purr__import_ctx {
    const char *path;                 /* the log */
    const purr_import_schema *schema; /* the inputs */
    const purr__import_map *map;      /* never NULL: empty when none */
    purr__import_note_fn note;        /* may be NULL */
    void *note_ctx;
} purr__import_ctx;

/* Sends a note made like printf through ctx->note (if any). */
void purr__import_note(const purr__import_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Opens a source for ctx->path: *out (out) is set on success. Returns 0
 * or a negative code with diag set. */
typedef int (*purr__log_open_fn)(const purr__import_ctx *ctx,
                                 purr__log_src **out, purr_diag *diag);

int purr__import_open_csv(const purr__import_ctx *ctx, purr__log_src **out,
                          purr_diag *diag);
int purr__import_open_jsonl(const purr__import_ctx *ctx, purr__log_src **out,
                            purr_diag *diag);
/* rosbag2 (.db3) and MCAP: import_bin.c. */
int purr__import_open_rosbag2(const purr__import_ctx *ctx,
                              purr__log_src **out, purr_diag *diag);
int purr__import_open_mcap(const purr__import_ctx *ctx, purr__log_src **out,
                           purr_diag *diag);
/* The format a file's first bytes show (SQLite: rosbag2; the MCAP magic),
 * or PURR_IMPORT_AUTO. */
purr_import_format purr__import_sniff(const char *path);

/* Opens the source for ctx->path in format fmt (the switch every format
 * adds itself to). Returns 0 or a negative code with diag set. */
int purr__import_open_source(purr_import_format fmt,
                             const purr__import_ctx *ctx,
                             purr__log_src **out, purr_diag *diag);

/* ---------------------------------------------------------------------- */
/* Reading a file in blocks (import_read.c)                               */
/* ---------------------------------------------------------------------- */

/* Opens path for reading as a log: a regular file only (a FIFO, device or
 * directory is refused before its first byte). *fd (out) and *size (out).
 * Returns 0, PURR_ENOENT or PURR_EFORMAT with diag set. */
int purr__import_open_file(const char *path, int *fd, uint64_t *size,
                           purr_diag *diag);

/* The longest line a text log may have. */
#define PURR__IMPORT_MAX_LINE (1u << 20)

/* A line reader over a file descriptor with one bounded buffer
 * (import_read.c). With csv_quotes, a '\n' inside a double-quoted CSV
 * field does not end the line (RFC 4180 records). */
typedef struct purr__line_reader {
    int fd;              /* owned; closed by purr__line_reader_close */
    char *buf;           /* the buffer, cap bytes */
    size_t cap;
    size_t start, end;   /* unread bytes are buf[start, end) */
    size_t scan;         /* bytes of buf[start, ...) scanned for the end
                            of the current line */
    bool in_quotes;      /* csv_quotes: the scan is inside a quoted field */
    bool csv_quotes;     /* set by the caller after open */
    bool eof;            /* read returned 0 */
    uint64_t line;       /* number of the first physical line of the last
                            line returned (1-based) */
    uint64_t next_line;  /* number of the next physical line */
    uint64_t rec_line;   /* number of the first physical line of the line
                            being scanned */
    uint64_t offset;     /* bytes consumed before buf[start] */
} purr__line_reader;

/* Opens path (purr__import_open_file) into *r (out). */
int purr__line_reader_open(purr__line_reader *r, const char *path,
                           uint64_t *size, purr_diag *diag);
/* Returns the next line: *line (out; without '\n', with a '\r' if the file
 * has one; valid until the next call) and *len (out); *terminated (out)
 * says whether a '\n' ended it; (*line)[*len] may be overwritten (a NUL
 * there is fine). Returns 1, 0 at the end of the file, or a
 * negative code with diag set (a line longer than PURR__IMPORT_MAX_LINE, a
 * read error). */
int purr__line_reader_next(purr__line_reader *r, const char **line,
                           size_t *len, bool *terminated, const char *path,
                           purr_diag *diag);
/* Frees the buffer and closes the file. */
void purr__line_reader_close(purr__line_reader *r);

/* ---------------------------------------------------------------------- */
/* Times (import_time.c)                                                   */
/* ---------------------------------------------------------------------- */

/* Parses [s, s + len) as a time written in fmt into *out (out): ns (since
 * the log's start, or since the Unix epoch for ISO-8601 or an epoch
 * column). DEFAULT and S read decimals exactly to the ns; MS and US too
 * (fractions below 1 ns are refused); NS is an integer. ISO-8601 is
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm) ('T' or ' '), converted
 * without the C library's time zones. Negative times are refused except
 * ISO-8601 before 1970. Returns 0, PURR_EFORMAT or PURR_ERANGE. */
int purr__time_parse(const char *s, size_t len, purr__time_format fmt,
                     int64_t *out);
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d. */
int64_t purr__days_from_civil(int64_t y, unsigned m, unsigned d);
/* Whether a time said to be relative looks like an epoch time (more than
 * ten years). */
bool purr__time_looks_epoch(int64_t time_ns);
/* What a time format expects, for messages ("seconds like 1.25 or a
 * duration like 200ms", "an ISO-8601 time like 2024-12-05T14:03:12Z"). */
const char *purr__time_format_what(purr__time_format fmt);

/* ---------------------------------------------------------------------- */
/* Cells (import_csv.c)                                                    */
/* ---------------------------------------------------------------------- */

/* Converts the text of one cell, [s, s + len) (already unquoted), to type
 * as loggers write it: bool from 0/1, true/false, yes/no (any case); int
 * from an integer; double from an integer or a decimal (exponent allowed,
 * nan, inf); string from the text itself. *out (out) is scalar, or for a
 * string points at s (borrowed: s must be NUL-terminated at len). Returns 0
 * or PURR_EFORMAT (the text is not of type). */
int purr__cell_convert(const char *s, size_t len, purr_type type,
                       purr_datum *out);
/* What a type's cells look like, for messages ("bool (0/1, true/false,
 * yes/no)"). */
const char *purr__cell_expects(purr_type type);
/* Copies at most 40 bytes of [s, s + len) into out (64 bytes) for a
 * message, every byte outside printable ASCII shown as '?'. Returns out. */
const char *purr__import_printable(const char *s, size_t len, char out[64]);

/* ---------------------------------------------------------------------- */
/* JSON Lines (import_jsonl.c)                                             */
/* ---------------------------------------------------------------------- */

/* One parsed JSON Lines line. */
typedef struct purr_import_record {
    purr_time time_ns;      /* from the start of the run */
    char value[128];        /* the value's name */
    purr_datum datum;       /* owned by the caller after success */
} purr_import_record;

/* Parses one JSON Lines line of len bytes (no newline; need not be
 * NUL-terminated) into rec, "t" in seconds or with a unit. Returns 0, or
 * PURR_EFORMAT (or PURR_ENOMEM) with a message (without file or line) in
 * err; rec->datum is then nil. Exposed for the fuzz target
 * tests/fuzz/fuzz_import.c. */
int purr__import_parse_jsonl_line(const char *line, size_t len,
                                  purr_import_record *rec, char *err,
                                  size_t errcap);

#endif /* PURR_IMPORT_INT_H */
