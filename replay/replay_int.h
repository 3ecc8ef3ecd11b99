/* replay_int.h - private declarations shared by the replay's files.
 *
 * check.c runs the replay and fills the report; report.c prints it and
 * writes JUnit XML; they share the row formatter below. import.c turns
 * field logs into recordings; its line parsers are declared here for the
 * fuzz target. cli.c holds the command-line entry points. */
#ifndef PURR_REPLAY_INT_H
#define PURR_REPLAY_INT_H

#include "purr/replay.h"

/* Fills row with a transition: seq, time, value name and d's text form,
 * each truncated to fit (a truncated text ends in "..."). */
void purr__replay_row_set(purr_replay_row *row, uint64_t seq,
                          purr_time time_ns, const char *value,
                          const purr_datum *d);

/* One parsed log line (import.c). */
typedef struct purr_import_record {
    purr_time time_ns;      /* from the start of the run */
    char value[128];        /* the value's name */
    purr_datum datum;       /* owned by the caller after success */
} purr_import_record;

/* Parses a time: seconds with up to 9 decimals ("1.25") or a duration with
 * a unit ("200ms"). Returns 0, PURR_EFORMAT or PURR_ERANGE. */
int purr__import_parse_time(const char *s, size_t len, purr_time *out);

/* Parse one log line of len bytes (no newline; need not be NUL-terminated)
 * into rec. Return 0, or PURR_EFORMAT (or PURR_ENOMEM) with a message
 * (without file or line) in err; rec->datum is then nil. Exposed for the
 * fuzz target tests/fuzz/fuzz_import.c. */
int purr__import_parse_csv_line(const char *line, size_t len,
                                purr_import_record *rec, char *err,
                                size_t errcap);
int purr__import_parse_jsonl_line(const char *line, size_t len,
                                  purr_import_record *rec, char *err,
                                  size_t errcap);

#endif /* PURR_REPLAY_INT_H */
