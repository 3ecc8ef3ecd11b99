/* reader_iter.c - the transition iterator: stepping through a recording's
 * transition_chunk rows and decoding their records.
 *
 * The transitions, which may be millions, are packed in chunks
 * (schema.sql) and stepped through a caller-owned iterator
 * that decodes one payload at a time, or, raw, many records a call
 * (purr_recording_iter_next_rows). Every field is checked as it is read,
 * and a bad one refused with a message naming the table, the row and the
 * field: each chunk's first_seq (the first is 1, each follows the last
 * without a gap), count, first_ns and data, each record, and each
 * transition's value and time (no later than end_ns). The hot path makes
 * no call per transition; the messages are built out of line.
 */
#include "reader_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The transition iterator                                                 */
/* ---------------------------------------------------------------------- */

int
purr_recording_iter_open(purr_recording_iter *it, purr_recording *rec)
{
    sqlite3_stmt *st = NULL;
    memset(it, 0, sizeof *it);
    it->rec_ = rec;
    it->datum = purr_datum_nil();
    if (sqlite3_prepare_v2(rec->db, REC_SQL_TRANSITIONS, -1, &st, NULL) !=
        SQLITE_OK)
        return PURR_EIO;
    it->stmt_ = st;
    return 0;
}

int
purr_recording_iter_open_raw(purr_recording_iter *it, purr_recording *rec)
{
    int rc = purr_recording_iter_open(it, rec);
    it->raw_ = true;
    return rc;
}

/* The 8 bytes at p as a little-endian integer (p need not be aligned). */
static inline uint64_t
load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
#else
    uint64_t x = 0;
    for (unsigned i = 8; i-- > 0;)
        x = x << 8 | p[i];
    return x;
#endif
}

/* The n-byte (0 to 8) little-endian integer at p, read as 8 bytes: the
 * caller has made sure 8 can be read there. */
static inline uint64_t
field_le(const uint8_t *p, unsigned n)
{
    static const uint64_t mask[8] = {
        0, 0xff, 0xffff, 0xffffff, 0xffffffffull, 0xffffffffffull,
        0xffffffffffffull, 0xffffffffffffffull};
    /* n is 0 to 7 (3 header bits): a table, not a shift by 8n. */
    return load_le64(p) & mask[n];
}

/* purr__rec_parse_transition, inlined into the iterator's hot path. */
static inline __attribute__((always_inline)) int
parse_record(const uint8_t **pp, const uint8_t *end, purr__rec_tr *out)
{
    const uint8_t *p = *pp;
    if (end - p < 2)
        return PURR_EFORMAT;
    unsigned h = p[0] | (unsigned)p[1] << 8;
    p += 2;
    if (h >> 12)
        return PURR_EFORMAT;
    unsigned n0 = h & 7, n1 = (h >> 3) & 7, n2 = (h >> 6) & 7,
             n3 = (h >> 9) & 7;
    /* The four fields take at most 28 bytes: when 7 more than that are
     * left, each can be read as 8 bytes at once (the decoding's hot path,
     * every record of a chunk but its last few). */
    if (end - p >= 36) {
        out->len = field_le(p, n0);
        p += n0;
        out->dt = field_le(p, n1);
        p += n1;
        out->task_id = field_le(p, n2);
        p += n2;
        out->value_id = field_le(p, n3);
        p += n3;
    } else if (!purr__rec_take_le(&p, end, n0, &out->len) ||
               !purr__rec_take_le(&p, end, n1, &out->dt) ||
               !purr__rec_take_le(&p, end, n2, &out->task_id) ||
               !purr__rec_take_le(&p, end, n3, &out->value_id)) {
        return PURR_EFORMAT;
    }
    if (out->len > (uint64_t)(end - p) || out->dt > INT64_MAX)
        return PURR_EFORMAT;
    out->payload = p;
    *pp = p + out->len;
    return 0;
}

int
purr__rec_parse_transition(const uint8_t **pp, const uint8_t *end,
                           purr__rec_tr *out)
{
    return parse_record(pp, end, out);
}

/* Decodes payload (len bytes) into *d as purr_datum_decode does, with the
 * scalar encodings (a tag byte, then nothing, a 0/1 byte or 8
 * little-endian bytes) decoded here: they are most transitions, and the
 * call and the general walk cost more than the decoding. Returns 0 or
 * PURR_EFORMAT, as purr_datum_decode. */
static int
decode_payload(const uint8_t *payload, size_t len, purr_datum *d /* out */)
{
    if (len == 9 && payload[0] == PURR_T_DOUBLE) {
        uint64_t bits = load_le64(payload + 1);
        double x;
        memcpy(&x, &bits, sizeof x);
        *d = (purr_datum){.type = PURR_T_DOUBLE, .u.d = x};
        return 0;
    }
    if (len == 9 && payload[0] == PURR_T_INT) {
        *d = (purr_datum){.type = PURR_T_INT,
                          .u.i = (int64_t)load_le64(payload + 1)};
        return 0;
    }
    if (len == 2 && payload[0] == PURR_T_BOOL && payload[1] <= 1) {
        *d = (purr_datum){.type = PURR_T_BOOL, .u.b = payload[1] == 1};
        return 0;
    }
    return purr_datum_decode(payload, len, d);
}

/* Writes the name of the chunk row first_seq = first, for a message (made
 * only for one: an snprintf per chunk showed in the replay's profile). */
static void
chunk_row_name(char *row, size_t size, int64_t first)
{
    snprintf(row, size, "transition_chunk row first_seq = %" PRId64, first);
}

/* Steps to the next chunk row. Returns 0, PURR_ECLOSED after the last, or
 * an error with diag set. */
static int
next_chunk(purr_recording_iter *it, purr_diag *diag)
{
    sqlite3_stmt *st = it->stmt_;
    purr_recording *rec = it->rec_;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        if (it->seq != (uint64_t)rec->stats_total) {
            purr_diag_set(diag, rec->path, (long)it->seq + 1, 0,
                          "transitions missing or added: transition_chunk "
                          "rows end at seq %" PRIu64 ", value_stats rows "
                          "count %" PRId64 " (sum of column transitions)",
                          it->seq, rec->stats_total);
            return PURR_EFORMAT;
        }
        return PURR_ECLOSED;
    }
    if (rc != SQLITE_ROW) {
        purr_diag_set(diag, rec->path, (long)it->seq + 1, 0,
                       "cannot read the transition after seq %" PRIu64
                       ": %s",
                       it->seq, sqlite3_errmsg(rec->db));
        return (rc & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    /* Every field is checked before it is used, and a bad one named with
     * its row. Types first: a conversion would hide them. */
    int types[4];
    for (int i = 0; i < 4; i++)
        types[i] = sqlite3_column_type(st, i);
    int64_t first = sqlite3_column_int64(st, 0);
    int64_t first_ns = sqlite3_column_int64(st, 1);
    int64_t count = sqlite3_column_int64(st, 2);
    long line = first > 0 ? (long)first : 0;
    if (first < 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: first_seq is not a transition number (from 1)",
                      row);
        return PURR_EFORMAT;
    }
    /* Transitions are numbered without gaps from 1: a first chunk that
     * does not start at 1, or one that does not start where the last one
     * ended, means rows were lost or altered. */
    if (!it->started_ && first != 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0,
                      "transitions missing: the first transition is seq "
                      "%" PRId64 ", not 1 (%s)",
                      first, row);
        return PURR_EFORMAT;
    }
    if (it->started_ && (uint64_t)first != it->seq + 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0,
                      "transitions missing: seq %" PRId64
                      " follows seq %" PRIu64 " (%s)",
                      first, it->seq, row);
        return PURR_EFORMAT;
    }
    /* The column at fault (0: none) and what is wrong with it. */
    static const char *const field_name[] = {NULL, "first_ns", "count",
                                             "data"};
    char shown[64];
    const char *want = NULL;
    int col = 0;
    if (types[2] != SQLITE_INTEGER || count < 1 || count > UINT32_MAX) {
        col = 2;
        want = "is not from 1 to 4294967295";
    } else if (first > INT64_MAX - count + 1) {
        col = 2;
        want = "runs past the largest seq";
    } else if (types[1] != SQLITE_INTEGER || first_ns < 0) {
        col = 1;
        want = "is not a time in ns (an integer from 0)";
    } else if (types[3] != SQLITE_BLOB || sqlite3_column_bytes(st, 3) == 0) {
        col = 3;
        want = "is not a blob of records";
    }
    if (col) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0, "%s: %s %s %s", row,
                      field_name[col],
                      purr__rec_column_sql(st, col, types[col], shown,
                                           sizeof shown),
                      want);
        return PURR_EFORMAT;
    }
    it->started_ = true;
    it->first_ = (uint64_t)first;
    it->seq = (uint64_t)first - 1;
    it->ns_ = first_ns;
    it->left_ = (uint32_t)count;
    it->chunk_ = sqlite3_column_blob(st, 3);
    it->chunk_len_ = (size_t)sqlite3_column_bytes(st, 3);
    it->pos_ = 0;
    return 0;
}

/* Steps to the next chunk that holds records, after checking that the
 * current one (if any) held exactly its records. Out of the hot path:
 * once per chunk. Returns 0, PURR_ECLOSED after the last, or an error
 * with diag set. */
static __attribute__((noinline)) int
iter_next_chunk(purr_recording_iter *it, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    if (!it->stmt_)
        return PURR_ECLOSED;
    while (it->left_ == 0) {
        /* A chunk must hold exactly its records. */
        if (it->chunk_ && it->pos_ != it->chunk_len_) {
            purr_diag_set(diag, rec->path, (long)it->seq, 0,
                          "transition_chunk row first_seq = %" PRIu64
                          ": data has %zu bytes left over after its count "
                          "of records (ending at seq %" PRIu64 ")",
                          it->first_, it->chunk_len_ - it->pos_, it->seq);
            return PURR_EFORMAT;
        }
        it->chunk_ = NULL;
        int rc = next_chunk(it, diag);
        if (rc)
            return rc;
    }
    return 0;
}

/* The message for a transition the hot path refused (kind says why:
 * 0 a corrupt record, 1 a time beyond int64, 2 an unknown value, 3 a time
 * after end_ns, 4 a corrupt payload, 5 a payload of another type) in
 * transition seq.
 * Returns PURR_EFORMAT. */
static __attribute__((noinline, cold)) int
iter_fail(purr_recording_iter *it, int kind, uint64_t seq, uint64_t value_id,
          purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    switch (kind) {
    case 0:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 ": corrupt record (byte %zu of "
                      "transition_chunk row first_seq = %" PRIu64 ", data)",
                      seq, it->pos_ + 1, it->first_);
        break;
    case 1:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 ": time beyond int64 ns "
                      "(transition_chunk row first_seq = %" PRIu64 ", data)",
                      seq, it->first_);
        break;
    case 2:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " names unknown value id %" PRIu64
                      " (no value row id %" PRIu64 ")",
                      seq, value_id, value_id);
        break;
    case 3:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): time %" PRId64
                      " ns is after the run's end (run row end_ns = "
                      "%" PRId64 ")",
                      seq, it->value->name, it->time_ns, rec->end_ns);
        break;
    case 4:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): corrupt payload "
                      "(%zu bytes)",
                      seq, it->value->name, it->payload_len);
        break;
    default:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): payload is %s, "
                      "the value is %s",
                      seq, it->value->name,
                      purr_type_name((purr_type)it->datum.type),
                      purr_type_name(it->value->type));
        purr_datum_free(&it->datum);
        break;
    }
    return PURR_EFORMAT;
}

/* The hot path: every check is a predicted branch, and the messages are
 * built out of line (iter_fail) only for a bad transition. */
int
purr_recording_iter_next(purr_recording_iter *it, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    /* Scalars own nothing: only the others are freed (a call saved per
     * transition). */
    if (it->datum.type >= PURR_T_STRING)
        purr_datum_free(&it->datum);
    it->datum = (purr_datum){.type = PURR_T_NIL};
    if (it->left_ == 0) {
        int rc = iter_next_chunk(it, diag);
        if (rc)
            return rc;
    }
    const uint8_t *p = it->chunk_ + it->pos_,
                  *end = it->chunk_ + it->chunk_len_;
    purr__rec_tr tr;
    uint64_t seq = it->seq + 1;
    if (parse_record(&p, end, &tr) < 0)
        return iter_fail(it, 0, seq, 0, diag);
    /* first_ns >= 0 and dt <= INT64_MAX, so the sum fits in uint64. */
    uint64_t ns = (uint64_t)it->ns_ + tr.dt;
    if (ns > INT64_MAX)
        return iter_fail(it, 1, seq, 0, diag);
    it->seq = seq;
    it->ns_ = (purr_time)ns;
    it->time_ns = it->ns_;
    it->task_id = tr.task_id;
    it->payload = tr.payload;
    it->payload_len = (size_t)tr.len;
    it->pos_ = (size_t)(p - it->chunk_);
    it->left_--;
    it->value = value_by_id(rec, tr.value_id);
    if (!it->value)
        return iter_fail(it, 2, seq, tr.value_id, diag);
    /* The run ended at end_ns: a transition after it was not made by the
     * run (a duration of D includes the transitions at D). */
    if (rec->has_end && it->time_ns > rec->end_ns)
        return iter_fail(it, 3, seq, 0, diag);
    if (it->raw_)
        return 0;
    if (decode_payload(it->payload, it->payload_len, &it->datum) < 0)
        return iter_fail(it, 4, seq, 0, diag);
    if (it->value->type != PURR_T_NIL && it->datum.type != it->value->type)
        return iter_fail(it, 5, seq, 0, diag);
    return 0;
}

/* purr_recording_iter_next_rows by purr_recording_iter_next: one row. */
static int
one_row(purr_recording_iter *it, purr_recording_row *rows, purr_diag *diag)
{
    int rc = purr_recording_iter_next(it, diag);
    if (rc)
        return rc;
    rows[0] = (purr_recording_row){it->time_ns, it->task_id, it->value,
                                   it->payload, it->payload_len};
    return 1;
}

/* The raw hot path for many transitions at once: the loop of
 * purr_recording_iter_next, with the iterator's state in locals and no
 * call per transition. A transition it would refuse ends the rows before
 * it; the call after that one reads it with purr_recording_iter_next,
 * which refuses it with its own message. */
int
purr_recording_iter_next_rows(purr_recording_iter *it, purr_recording_row *rows,
                              size_t cap, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    if (cap == 0)
        return PURR_EINVAL;
    if (!it->raw_)
        return one_row(it, rows, diag);
    if (it->left_ == 0) {
        int rc = iter_next_chunk(it, diag);
        if (rc)
            return rc;
    }
    const uint8_t *base = it->chunk_, *p = base + it->pos_,
                  *end = base + it->chunk_len_;
    const purr_recorded_value *const *by_id = rec->by_id;
    const uint64_t nby_id = rec->nby_id;
    /* No end_ns: the largest time, which every time passes. */
    const uint64_t end_ns = rec->has_end ? (uint64_t)rec->end_ns : INT64_MAX;
    uint64_t ns = (uint64_t)it->ns_;
    /* The count must fit the result: a chunk holds at most 2^32 - 1. */
    size_t max = cap < it->left_ ? cap : it->left_, n = 0;
    if (max > INT32_MAX)
        max = INT32_MAX;
    while (n < max) {
        const uint8_t *q = p;
        purr__rec_tr tr;
        if (parse_record(&q, end, &tr) < 0)
            break;
        /* first_ns >= 0 and dt <= INT64_MAX: the sum fits in uint64. */
        uint64_t t = ns + tr.dt;
        const purr_recorded_value *v = tr.value_id < nby_id
                                            ? by_id[tr.value_id]
                                            : value_by_id(rec, tr.value_id);
        if (t > end_ns || !v) /* the time past int64 too */
            break;
        rows[n++] = (purr_recording_row){(purr_time)t, tr.task_id, v,
                                         tr.payload, (size_t)tr.len};
        ns = t;
        p = q;
    }
    if (n == 0) /* the next transition is refused: next says why */
        return one_row(it, rows, diag);
    const purr_recording_row *last = &rows[n - 1];
    it->left_ -= (uint32_t)n;
    it->pos_ = (size_t)(p - base);
    it->seq += n;
    it->ns_ = (purr_time)ns;
    it->time_ns = last->time_ns;
    it->task_id = last->task_id;
    it->value = last->value;
    it->payload = last->payload;
    it->payload_len = last->payload_len;
    return (int)n;
}

void
purr_recording_iter_close(purr_recording_iter *it)
{
    sqlite3_finalize(it->stmt_);
    it->stmt_ = NULL;
    it->chunk_ = NULL; /* SQLite's, freed with the statement */
    it->left_ = 0;     /* so that next goes to the check of stmt_ */
    purr_datum_free(&it->datum);
}
