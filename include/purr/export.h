/* purr/export.h - exporting a recording for other tools: MCAP (Foxglove,
 * Lichtblick), CSV (wide and long) and JSON Lines.
 *
 * An export reads a recording with the recorder's reader (recorder.h) and
 * streams its transitions, one at a time, into the output: memory stays
 * bounded whatever the recording's length (for MCAP: one chunk, plus a few
 * dozen bytes of summary per chunk written).
 *
 * - MCAP (the published MCAP format, major version 0), written by purr
 *   itself: one channel per value (topic "/NAME", message encoding json,
 *   a JSON Schema per value type), each transition one message
 *   {"value": ...} whose log and publish time are the transition's virtual
 *   time, plus the recording's metadata start_epoch_ns when it has one (so
 *   a field log keeps its wall-clock times). Messages are packed in chunks
 *   of at most opts.chunk_bytes (uncompressed), zstd-compressed by default,
 *   each followed by its message indexes; the summary holds the schemas,
 *   the channels, the chunk indexes, a metadata index and the statistics;
 *   every chunk, the data section and the summary carry a CRC-32. The
 *   recording's run metadata is one metadata record named "purr". A viewer
 *   can therefore seek, and plots /NAME.value.
 * - CSV, wide: a header "time,NAME,...", one row per instant at which a
 *   selected value changed, empty cells for the values that did not.
 * - CSV, long: "time,value,datum", one line per transition, exactly as
 *   `purr import` reads it (docs/import.md).
 * - JSON Lines: {"t": SECONDS, "value": NAME, "datum": ...} per
 *   transition, exactly as `purr import` reads it.
 *
 * The text formats write times as seconds since the run's start with nine
 * decimals (exact to the ns). docs/export.md describes every format.
 *
 * Outputs follow purr's rules for files it writes (recorder.h, "Files purr
 * writes"): an existing file is replaced only when asked, the bytes go to a
 * temporary file renamed at the end, and a failed export leaves the old
 * file whole.
 */
#ifndef PURR_EXPORT_H
#define PURR_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "purr/core.h"
#include "purr/recorder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output formats. */
typedef enum purr_export_format {
    PURR_EXPORT_MCAP = 0,     /* MCAP, JSON messages (the default) */
    PURR_EXPORT_CSV = 1,      /* CSV, one column per value ("wide") */
    PURR_EXPORT_CSV_LONG = 2, /* CSV, time,value,datum */
    PURR_EXPORT_JSONL = 3     /* JSON Lines, one object per transition */
} purr_export_format;

/* MCAP chunk compression. Both zstd and lz4 are read by Foxglove,
 * Lichtblick and the mcap tools; zstd (the mcap tools' own default) makes
 * the smaller files. */
typedef enum purr_export_compression {
    PURR_EXPORT_ZSTD = 0, /* zstd, level 3 (the default) */
    PURR_EXPORT_LZ4 = 1,  /* lz4 frames */
    PURR_EXPORT_NONE = 2  /* uncompressed chunks */
} purr_export_compression;

/* Options for purr_export_run; zero-initialise and set what you need.
 * NULL means all defaults. */
typedef struct purr_export_options {
    purr_export_format format;
    purr_export_compression compression; /* MCAP only */
    const char *const *values; /* the values to export, by name (nvalues
                                  of them, borrowed); none: see below */
    size_t nvalues;
    bool inputs_only;      /* with no values named: the inputs only (what
                              `purr import` reads back) */
    bool all_values;       /* with no values named: internal values too */
    bool has_from;         /* export from from_ns on (inclusive) */
    purr_time from_ns;     /* virtual time, ns since the run's start */
    bool has_to;           /* export up to to_ns (inclusive) */
    purr_time to_ns;
    bool no_tasks;         /* MCAP: no /purr/tasks channel */
    size_t chunk_bytes;    /* MCAP: uncompressed bytes per chunk at most
                              (a larger single message gets a chunk of its
                              own); 0 = 1 MiB */
    bool overwrite;        /* replace an existing output file */
} purr_export_options;

/* What an export wrote. */
typedef struct purr_export_stats {
    uint64_t transitions;  /* transitions written */
    uint64_t task_events;  /* task events written (MCAP) */
    uint64_t chunks;       /* MCAP chunks */
    uint64_t bytes;        /* bytes of output */
    bool output_failed;    /* set on failure when the output, not the
                              recording or the options, was at fault
                              (the command line's exit status 3) */
} purr_export_stats;

/* Which values: the ones named in opts->values (in recording order;
 * naming one twice is the same as once); with none named, the inputs and
 * outputs (opts->inputs_only: the inputs; opts->all_values: every value).
 * Which transitions: those of the chosen values with from_ns <= time_ns
 * <= to_ns. Task events (MCAP): every recorded task event in that range,
 * unless opts->no_tasks.
 *
 * Writes the export of the recording rec to out (opened for writing,
 * binary; left open; nothing else is written to it meanwhile). Streams:
 * memory does not grow with the number of transitions.
 * stats: may be NULL; receives what was written.
 * diag: may be NULL; receives a one-line reason on failure.
 * Returns 0.
 * Errors: PURR_ENOENT (a named value is not in the recording: diag names
 *   it), PURR_EINVAL (from_ns > to_ns, a negative time, an unknown format
 *   or compression), PURR_EFORMAT (the recording is corrupt: diag names
 *   the row; or a datum JSON Lines cannot hold: a NaN or an infinity, a
 *   bytes datum, a string that is not UTF-8), PURR_EIO (a write failed, or
 *   the compressor did), PURR_ENOMEM.
 * Not a checkpoint. */
PURR_API int purr_export_write(purr_recording *rec, FILE *out,
                               const purr_export_options *opts,
                               purr_export_stats *stats /* out */,
                               purr_diag *diag /* out */);

/* Opens the recording at rec_path, checks out_path (as purr_output_check:
 * never the recording itself; an existing file only with opts->overwrite),
 * and writes the export (purr_export_write) to a temporary file renamed
 * over out_path at the end (purr_output_open / purr_output_close).
 * Returns 0.
 * Errors: those of purr_recording_open (the recording: PURR_ENOENT,
 *   PURR_EFORMAT, PURR_EVERSION, PURR_EIO), PURR_EEXIST (out_path exists
 *   without opts->overwrite, is the recording, or is no regular file), and
 *   those of purr_export_write; PURR_EIO also when the output cannot be
 *   created or published (then out_path is as it was).
 * stats->output_failed tells an output that could not be written (exit
 * status 3 in the command line) from bad input.
 * Not a checkpoint. */
PURR_API int purr_export_run(const char *rec_path, const char *out_path,
                             const purr_export_options *opts,
                             purr_export_stats *stats /* out */,
                             purr_diag *diag /* out */);

/* The format named name: "mcap", "csv", "csv-long", "jsonl" (also
 * "ndjson"). Returns 0 with *format set, or PURR_EINVAL. */
PURR_API int purr_export_format_parse(const char *name,
                                      purr_export_format *format /* out */);

#ifdef __cplusplus
}
#endif
#endif /* PURR_EXPORT_H */
