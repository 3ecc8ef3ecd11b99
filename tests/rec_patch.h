/* rec_patch.h - tampering with a recording's packed transitions, for tests
 * that check bad recordings are caught.
 *
 * Transitions are stored packed in transition_chunk rows (schema.sql); the
 * transition view says which chunk holds a transition's payload and where.
 * These helpers change stored bytes in place, as a flipped bit on disk
 * would, without touching anything else.
 */
#ifndef PURR_REC_PATCH_H
#define PURR_REC_PATCH_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first transition matching where (an SQL condition on the
 * transition view, e.g. "seq = 5"): a statement stepped to its row,
 * selecting cols. */
static inline sqlite3_stmt *
rec_patch_find(sqlite3 *db, const char *cols, const char *where)
{
    sqlite3_stmt *st;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM transition WHERE %s LIMIT 1",
             cols, where);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no transition where %s",
                 where);
    return st;
}

/* Overwrites n bytes of the payload of the first transition matching
 * where (an SQL condition on the transition view, e.g. "seq = 5"),
 * starting at its byte off. Returns that transition's seq. */
static inline int64_t
rec_patch_payload(const char *path, const char *where, size_t off,
                  const void *bytes, size_t n)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = rec_patch_find(
        db, "seq, chunk, payload_pos, length(payload)", where);
    int64_t seq = sqlite3_column_int64(st, 0);
    int64_t chunk = sqlite3_column_int64(st, 1);
    int64_t pos = sqlite3_column_int64(st, 2);
    int64_t len = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    cr_assert_leq((int64_t)(off + n), len, "patch past the payload");

    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT data FROM transition_chunk"
                                    " WHERE first_seq = ?1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, chunk);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int size = sqlite3_column_bytes(st, 0);
    uint8_t *data = malloc((size_t)size);
    memcpy(data, sqlite3_column_blob(st, 0), (size_t)size);
    sqlite3_finalize(st);
    memcpy(data + pos - 1 + off, bytes, n);

    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "UPDATE transition_chunk SET data = ?1"
                                    " WHERE first_seq = ?2",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_blob(st, 1, data, size, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, chunk);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(data);
    sqlite3_close(db);
    return seq;
}

/* Flips bit (0-7) of byte off of the payload of the transition matching
 * where. Returns its seq. */
static inline int64_t
rec_flip_payload_bit(const char *path, const char *where, size_t off,
                     int bit)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = rec_patch_find(db, "payload", where);
    cr_assert_lt((int)off, sqlite3_column_bytes(st, 0));
    uint8_t b = ((const uint8_t *)sqlite3_column_blob(st, 0))[off];
    sqlite3_finalize(st);
    sqlite3_close(db);
    b ^= (uint8_t)(1u << bit);
    return rec_patch_payload(path, where, off, &b, 1);
}

/* One transition of a chunk, as rec_set_time decodes it. */
struct rec_patch_tr {
    int64_t time_ns;
    uint64_t task_id, value_id;
    const uint8_t *payload;
    size_t len;
};

static inline uint64_t
rec_patch_le(const uint8_t *p, unsigned n)
{
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;)
        x = x << 8 | p[i];
    return x;
}

static inline unsigned
rec_patch_width(uint64_t x)
{
    unsigned n = 0;
    while (x) {
        n++;
        x >>= 8;
    }
    return n;
}

static inline uint8_t *
rec_patch_put(uint8_t *p, uint64_t x, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(x >> (8 * i));
    return p + n;
}

/* Changes the recorded time of the transition matching where to time_ns,
 * leaving every other transition's time as it was: its chunk is decoded
 * and packed again (schema.sql's record layout), split around it so that
 * the new time may go back. Returns its seq. */
static inline int64_t
rec_set_time(const char *path, const char *where, int64_t time_ns)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = rec_patch_find(db, "seq, chunk", where);
    int64_t seq = sqlite3_column_int64(st, 0);
    int64_t chunk = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);

    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT first_ns, count, data FROM"
                                    " transition_chunk WHERE first_seq = ?1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, chunk);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t t = sqlite3_column_int64(st, 0);
    int count = sqlite3_column_int(st, 1);
    size_t size = (size_t)sqlite3_column_bytes(st, 2);
    uint8_t *data = malloc(size);
    memcpy(data, sqlite3_column_blob(st, 2), size);
    sqlite3_finalize(st);

    struct rec_patch_tr *tr = calloc((size_t)count, sizeof *tr);
    const uint8_t *p = data;
    for (int i = 0; i < count; i++) {
        unsigned h = p[0] | (unsigned)p[1] << 8;
        unsigned nl = h & 7, nd = (h >> 3) & 7, nt = (h >> 6) & 7,
                 nv = (h >> 9) & 7;
        p += 2;
        tr[i].len = (size_t)rec_patch_le(p, nl);
        p += nl;
        t += (int64_t)rec_patch_le(p, nd);
        p += nd;
        tr[i].time_ns = t;
        tr[i].task_id = rec_patch_le(p, nt);
        p += nt;
        tr[i].value_id = rec_patch_le(p, nv);
        p += nv;
        tr[i].payload = p;
        p += tr[i].len;
    }
    cr_assert_eq((size_t)(p - data), size, "chunk %lld did not decode",
                 (long long)chunk);
    tr[seq - chunk].time_ns = time_ns;

    /* Times only grow within a chunk, so the transition gets a chunk of
     * its own when its new time would go back (or make the next go
     * back): the chunk becomes up to three, [0, k), [k], (k, count). */
    int k = (int)(seq - chunk);
    cr_assert_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "DELETE FROM transition_chunk WHERE"
                                    " first_seq = ?1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, chunk);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    int bounds[4] = {0, k, k + 1, count};
    uint8_t *out = malloc(size + 8 * (size_t)count + 64);
    for (int part = 0; part < 3; part++) {
        int lo = bounds[part], hi = bounds[part + 1];
        if (lo >= hi)
            continue;
        uint8_t *q = out;
        int64_t first_ns = tr[lo].time_ns, prev = first_ns;
        for (int i = lo; i < hi; i++) {
            cr_assert_geq(tr[i].time_ns, prev, "times must not go back");
            uint64_t dt = (uint64_t)(tr[i].time_ns - prev);
            prev = tr[i].time_ns;
            unsigned nl = rec_patch_width(tr[i].len),
                     nd = rec_patch_width(dt),
                     nt = rec_patch_width(tr[i].task_id),
                     nv = rec_patch_width(tr[i].value_id);
            unsigned h = nl | nd << 3 | nt << 6 | nv << 9;
            *q++ = (uint8_t)h;
            *q++ = (uint8_t)(h >> 8);
            q = rec_patch_put(q, tr[i].len, nl);
            q = rec_patch_put(q, dt, nd);
            q = rec_patch_put(q, tr[i].task_id, nt);
            q = rec_patch_put(q, tr[i].value_id, nv);
            memcpy(q, tr[i].payload, tr[i].len);
            q += tr[i].len;
        }
        cr_assert_eq(sqlite3_prepare_v2(db,
                                        "INSERT INTO transition_chunk"
                                        " (first_seq, first_ns, count, data)"
                                        " VALUES (?1, ?2, ?3, ?4)",
                                        -1, &st, NULL),
                     SQLITE_OK);
        sqlite3_bind_int64(st, 1, chunk + lo);
        sqlite3_bind_int64(st, 2, first_ns);
        sqlite3_bind_int64(st, 3, hi - lo);
        sqlite3_bind_blob(st, 4, out, (int)(q - out), SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(out);
    free(tr);
    free(data);
    return seq;
}

#endif /* PURR_REC_PATCH_H */
