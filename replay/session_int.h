/* session_int.h - what the replay session's files share (session.c,
 * session_load.c, session_input.c, session_finish.c): small helpers
 * defined here static inline, so that each file's hot paths inline them as
 * when the session was one file, and the few functions one of them calls
 * in another. The session itself (purr__replay) and its entry points are
 * declared in replay_int.h.
 */
#ifndef PURR_SESSION_INT_H
#define PURR_SESSION_INT_H

#include "replay_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "purr: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return q;
}

/* The 4 or 8 bytes at p as a little-endian integer (p need not be
 * aligned). */
static inline uint64_t
le_at(const uint8_t *p, unsigned n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        return x;
    }
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
#else
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;)
        x = x << 8 | p[i];
    return x;
#endif
}

/* Decodes input transition row into *d, checked as the reader checks it
 * (the payload decodes, as the value's type unless that is nil): the
 * scalars here, the rest by purr_datum_decode. Returns false when the
 * transition is bad. */
static inline bool
input_decode(const purr_recording_row *row, purr_datum *d /* out */)
{
    const uint8_t *p = row->payload;
    purr_type type = row->value->type;
    if (row->payload_len == 9 && p[0] == (uint8_t)type &&
        (type == PURR_T_DOUBLE || type == PURR_T_INT)) {
        uint64_t bits = le_at(p + 1, 8);
        *d = (purr_datum){.type = (uint8_t)type};
        memcpy(&d->u, &bits, 8); /* u.i or u.d: both 8 bytes */
        return true;
    }
    if (purr_datum_decode(p, row->payload_len, d) < 0)
        return false;
    if (type != PURR_T_NIL && d->type != type) {
        purr_datum_free(d);
        return false;
    }
    return true;
}

/* Shadow mode: the next recorded transition, the earlier (by seq) of the
 * next input and the next expected one. *in or *e (out) receives it and
 * the other NULL; both are NULL when every recorded transition has
 * happened. */
static inline void
next_row(const purr__replay *r, const purr__in_row **in /* out */,
         const purr__exp_row **e /* out */)
{
    *in = r->ipos < r->nin ? &r->in[r->ipos] : NULL;
    *e = r->exp_valid ? &r->exp : NULL;
    if (*in && *e) {
        if ((*in)->seq < (*e)->seq)
            *e = NULL;
        else
            *in = NULL;
    }
}

/* Records the first difference and asks the harness to end the run. */
static inline void
stop(purr__replay *r, purr_replay_outcome outcome)
{
    r->stopped = true;
    r->rep->outcome = outcome;
    if (!r->cfg.run_on && r->cfg.stop)
        r->cfg.stop(r->cfg.stop_ctx);
}

/* The recorded index of actual value v, or -1 when the recording lacks
 * it. */
static inline int32_t
vidx_of(const purr__replay *r, purr_value *v)
{
    uint64_t id = purr_value_id(v);
    return id < r->vidx_cap ? r->vidx_by_id[id] : -1;
}

/* Reads the first expected transition into r->exp (session.c; the load
 * calls it once the run pass's iterator is open). */
void purr__replay_exp_start(purr__replay *r);

/* Checkpoint. Sets recorded input in at its time (session_input.c; the
 * feeder calls it for each input). Returns 0, or a failure (the run's
 * cancellation, or a set that failed: rep->diag then set). */
int purr__replay_feed(purr__replay *r, const purr__in_row *in);

/* Fill row with expected transition e, or with recorded input transition
 * in, for the report (session_finish.c). */
void purr__replay_expected_row(purr__replay *r, purr_replay_row *row,
                               const purr__exp_row *e);
void purr__replay_input_row(purr__replay *r, purr_replay_row *row,
                            const purr__in_row *in);

#endif /* PURR_SESSION_INT_H */
