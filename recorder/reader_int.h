/* reader_int.h - private declarations shared by the reader's files.
 *
 * reader.c opens a recording and loads its metadata and value rows;
 * reader_file.c opens the file itself (header checks, no writing beside
 * it); reader_iter.c steps through the transitions. reader_tasks.c, which
 * steps through the task events, needs only purr__recording_db
 * (recorder_int.h).
 */
#ifndef PURR_READER_INT_H
#define PURR_READER_INT_H

#include "recorder_int.h"

struct purr_recording {
    char *path;                     /* as given to open (owned) */
    sqlite3 *db;                    /* read-only connection */
    char *copy_dir;                 /* the private directory holding the
                                       copy of a killed run's file and
                                       -wal that db reads, deleted at
                                       close (owned); NULL when db reads
                                       path itself */
    char **meta_keys, **meta_vals;  /* run rows, in key order (owned) */
    size_t nmeta;
    purr_recorded_value *values;    /* value rows, in id order */
    char **value_names;             /* their names (owned) */
    size_t nvalues;
    const purr_recorded_value **by_id; /* by value id, below nby_id
                                       (NULL: none), when the ids are
                                       dense (else NULL: searched) */
    size_t nby_id;
    bool complete;                  /* a clean close ended the recording
                                       (purr_recording_is_complete); set
                                       at open from the run rows */
    bool has_end;                   /* run row end_ns is present: then no */
    purr_time end_ns;               /* transition may come after it */
    int64_t stats_total;            /* the transitions value_stats counts,
                                       committed with the chunks: the
                                       iteration must end at this seq */
    int guard_slot;                 /* read_guard.c's slot for path, or -1
                                       (a private copy needs none) */
};

/* The query the transition iterator steps (reader_iter.c); open prepares
 * it too (reader.c), so that a foreign schema is refused at once. */
#define REC_SQL_TRANSITIONS                                                   \
    "SELECT first_seq, first_ns, count, data FROM transition_chunk"          \
    " ORDER BY first_seq"

/* Reads the n-byte little-endian integer at *p (checked against end) and
 * advances *p. Returns false when the bytes run out. */
static inline bool
purr__rec_take_le(const uint8_t **p, const uint8_t *end, unsigned n,
                  uint64_t *out)
{
    if ((size_t)(end - *p) < n)
        return false;
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;)
        x = x << 8 | (*p)[i];
    *p += n;
    *out = x;
    return true;
}

/* read_guard.c */

/* Registers path (made absolute) as a mapped recording: a SIGBUS inside
 * its mapping then ends the process with one line naming it and status 2.
 * Returns the slot for purr__rec_guard_remove, or -1 (not guarded). */
int purr__rec_guard_add(const char *path);
/* Unregisters a slot from purr__rec_guard_add (-1 accepted). */
void purr__rec_guard_remove(int slot);

/* reader_file.c */

/* Checks the file's SQLite header and size, and tells whether the file
 * must be read with its -wal: its header says WAL mode (file format
 * versions 2) and a -wal is there. Returns 0 or a PURR_E* code with diag
 * filled. */
int purr__rec_check_header(const char *path, bool *with_wal /* out */,
                           purr_diag *diag);
/* Opens rec->path for reading without writing beside it: a private copy
 * with its -wal when with_wal, else the file itself (immutable), read
 * through a memory mapping. Returns 0 or a code with diag set. */
int purr__rec_open_db(purr_recording *rec, bool with_wal, purr_diag *diag);
/* Deletes the private copy, if any, and its directory. */
void purr__rec_remove_copy(purr_recording *rec);
/* Turns an SQLite failure while opening into a code and a diag. */
int purr__rec_open_fail(purr_recording *rec, int rc, const char *what,
                        purr_diag *diag);

/* reader.c */

/* Writes column i of st, whose stored type is type (sqlite3_column_type
 * before any conversion), as SQL shows it into buf: a number, 'text',
 * x'hex' (at most 16 bytes shown) or NULL. Returns buf. */
const char *purr__rec_column_sql(sqlite3_stmt *st, int i, int type,
                                 char *buf, size_t cap);

/* The value with the given id (values are sorted by id), or NULL. */
static inline const purr_recorded_value *
value_by_id(const purr_recording *rec, uint64_t id)
{
    if (id < rec->nby_id)
        return rec->by_id[id];
    if (rec->by_id) /* it holds every id */
        return NULL;
    /* Ids are usually 1, 2, 3...: then the value is at id - 1. */
    if (id - 1 < rec->nvalues && rec->values[id - 1].id == id)
        return &rec->values[id - 1];
    size_t lo = 0, hi = rec->nvalues;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec->values[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rec->nvalues && rec->values[lo].id == id ? &rec->values[lo]
                                                         : NULL;
}

#endif /* PURR_READER_INT_H */
