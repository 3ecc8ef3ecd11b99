/* session.c - the run of a replay: the recording read as the replay goes
 * and the run's transitions compared with it, first difference kept.
 *
 * What every replay harness shares is split by job: session_load.c loads
 * the recording (the load pass, which checks every transition); this file
 * reads it again as the run goes, compares and runs the feeder task;
 * session_input.c checks the recorded inputs and sets them (the feeder's
 * sets, shadow mode's substitutions and posts); session_finish.c fills
 * the report once the run is over. This file is the replay's hot path
 * (the tap, the comparison, the run pass's reads): its functions stay
 * static in one file so that they inline into each other; the helpers
 * the files share are static inline in session_int.h.
 *
 * The recording's transitions are read once at load, which checks them
 * all (the payloads in place, payload_surely_ok) and, when shadow mode may
 * apply, keeps the inputs in a flat array (decoded); then they are read
 * again, one after the other, as the run goes ("The run pass"): the
 * expected non-input transitions as the replay matches them (their
 * payload bytes compared in place with the actual datum, encoding_at),
 * and, in streaming mode, the inputs as the feeder sets them, so that a
 * replay's memory does not grow with the recording. An observer on the replay loop maps each
 * actual value to the recorded value of the same name when it is
 * created, and compares each non-input transition with the next expected
 * one: same value, same time, same encoding (in feeder mode, a scalar's
 * transition comes through a tap instead: below, "The tap"). The first difference is kept in the
 * report and the harness's stop function ends the run there (unless it
 * asked to run on, to keep a whole recording of the replay).
 *
 * The two harnesses (check.c, scene.c) differ only in how the run is
 * shaped around the feeder; nothing here knows about scenes.
 *
 * Shadow mode (scene.c decides when it applies) has no feeder: the
 * recorded run's own input tasks run again, so the scheduler holds the
 * same tasks as when the run was recorded, and only the datum of each of
 * their sets is taken from the recording (purr__replay_sensor_set).
 * Inputs posted from outside any task are posted again from the virtual
 * clock's pacing hook (purr__replay_pace), which adds no task. Since the
 * run is then the recorded one, every transition, inputs included, must
 * be the next recorded one in seq order: an input the tasks set at
 * another time or place than the recording says is a difference like any
 * other.
 *
 * An interrupted recording (its run was killed: purr_recording_is_complete
 * is false) holds the run's first transitions, 1 to kept, the last at
 * cut_ns. The replay compares them as any others, but what comes after
 * the last of them is past the cut: not compared, since the recording
 * cannot say what the killed run did next, only that it did it no earlier
 * than cut_ns. A transition the replay makes before cut_ns that the
 * prefix does not hold is still extra, and a kept one the replay does not
 * make still missing. The harness runs to cut_ns + 1 only.
 *
 * Every recorded value is also checked against the run's value of its
 * name as it is created: an input recorded as a non-input, or the other
 * way round, would be compared (or fed) as what it is not, so it is bad
 * input, like a recorded input the run lacks.
 *
 * Invariant: r->pos expected transitions have matched, in order, and
 * nothing has differed while r->stopped is false; in shadow mode the
 * r->pos + r->ipos transitions so far are the recording's first ones.
 */
#include "session_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The run pass: the recording read as the replay goes                     */
/* ---------------------------------------------------------------------- */

/* The expected transitions, and in streaming mode the inputs too, are read
 * by one raw iterator (r->eit) as the run needs them: the comparison asks
 * for the next expected transition and the feeder for the next input, and
 * whichever reads past transitions of the other kind leaves them in the
 * other's queue (the expected ones with their payload copied, since the
 * chunk it lies in is SQLite's only until the next read; the inputs
 * decoded). Both queues hold what lies between the two readers, a few
 * transitions in a replay that goes well, so memory does not grow with
 * the recording. A queue is a ring whose capacity is a power of two. */

/* Copies the n bytes (at most 32) at src to dst, inline: two moves of 16,
 * 8 or 4 bytes that overlap when n is not twice their size (a library
 * call costs more than the copy, for the payloads of scalars and small
 * tuples). */
static inline void
copy_small(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n >= 16) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}

/* Where slot k's payload lies. */
static inline const uint8_t *
slot_payload(const purr__exp_kept *k)
{
    return k->row.len <= sizeof k->small ? k->small : k->buf;
}

/* Doubles a ring of cap elements of size each, n of them used from head,
 * into a fresh array whose used elements start at 0. Returns it. */
static void *
ring_grow(void *ring, size_t size, size_t *cap, size_t *head, size_t n)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    uint8_t *q = xrealloc(NULL, ncap * size);
    const uint8_t *old = ring;
    for (size_t i = 0; i < n; i++)
        memcpy(q + i * size, old + ((*head + i) & (*cap - 1)) * size, size);
    /* Slots past n keep no storage of their own yet. */
    memset(q + n * size, 0, (ncap - n) * size);
    free(ring);
    *cap = ncap;
    *head = 0;
    return q;
}

/* Appends expected transition row (number seq) to the comparison's
 * queue. */
static void
exp_push(purr__replay *r, const purr_recording_row *row, uint64_t seq)
{
    if (r->eq_n == r->eq_cap) {
        /* Slots own their long payloads' buffers: those of the free
         * slots (past eq_n) go, the used ones move. */
        for (size_t i = r->eq_n; i < r->eq_cap; i++)
            free(r->eq[(r->eq_head + i) & (r->eq_cap - 1)].buf);
        r->eq = ring_grow(r->eq, sizeof *r->eq, &r->eq_cap, &r->eq_head,
                          r->eq_n);
        if (r->exp_queued) /* r->exp is slot 0: its payload moved */
            r->exp.payload = slot_payload(&r->eq[0]);
    }
    purr__exp_kept *k = &r->eq[(r->eq_head + r->eq_n) & (r->eq_cap - 1)];
    k->row = (purr__exp_row){seq, row->time_ns,
                             (uint32_t)(row->value - r->v0),
                             (uint32_t)row->payload_len, NULL};
    if (k->row.len <= sizeof k->small) {
        copy_small(k->small, row->payload, k->row.len);
    } else {
        if (k->cap < k->row.len) {
            k->cap = k->row.len + 32;
            k->buf = xrealloc(k->buf, k->cap);
        }
        memcpy(k->buf, row->payload, k->row.len);
    }
    r->eq_n++;
    r->exp_streamed++;
}

/* Appends input transition row (number seq), decoded into d (moved), to
 * the feeder's queue. */
static void
in_push(purr__replay *r, const purr_recording_row *row, uint64_t seq,
        purr_datum d)
{
    if (r->iq_n == r->iq_cap)
        r->iq = ring_grow(r->iq, sizeof *r->iq, &r->iq_cap, &r->iq_head,
                          r->iq_n);
    r->iq[(r->iq_head + r->iq_n) & (r->iq_cap - 1)] =
        (purr__in_row){seq, row->time_ns, d, row->task_id,
                       (uint32_t)(row->value - r->v0), row->task_id == 0};
    r->iq_n++;
    r->in_streamed++;
}

/* Reads the run pass on until it holds the next transition the caller
 * wants: an expected one queued (in == NULL), or, in streaming mode, the
 * next input (moved to *in, its datum then the caller's). What it reads
 * past goes to the other reader's queue (inputs only in streaming mode:
 * else they were loaded and are passed over). One call reads many
 * transitions: the loop, not a call per transition. Returns false when
 * there is none left, or when the read failed: the load read them all
 * once already, so a failure here means the file changed under the
 * replay, bad input, reported like the feeder's failures. */
static bool
stream_until(purr__replay *r, purr__in_row *in /* out, or NULL */)
{
    purr_recording_iter *it = &r->eit;
    purr_diag diag;
    int rc;
    if (!r->eit_open)
        return false;
    for (;;) {
        if (r->rows_at == r->rows_n) {
            if ((rc = purr_recording_iter_next_rows(it, r->rows, ROWS_CAP,
                                                    &diag)) < 0)
                break;
            r->rows_n = (size_t)rc;
            r->rows_at = 0;
            r->rows_seq = it->seq - (uint64_t)rc + 1;
        }
        const purr_recording_row *row = &r->rows[r->rows_at];
        uint64_t seq = r->rows_seq + r->rows_at++;
        if (row->value->role != PURR_ROLE_INPUT) {
            exp_push(r, row, seq);
            if (!in)
                return true;
            continue;
        }
        if (!r->cfg.stream_inputs)
            continue;
        purr_datum d;
        if (!input_decode(row, &d)) {
            purr_diag_set(&diag, r->rep->file, (long)seq, 0,
                          "transition %" PRIu64 " (value %s): corrupt "
                          "payload (%zu bytes; the file changed during the "
                          "replay)",
                          seq, row->value->name, row->payload_len);
            rc = PURR_EFORMAT;
            break;
        }
        if (in) {
            *in = (purr__in_row){seq, row->time_ns, d, row->task_id,
                                 (uint32_t)(row->value - r->v0),
                                 row->task_id == 0};
            r->in_streamed++;
            return true;
        }
        in_push(r, row, seq, d);
    }
    purr_recording_iter_close(it);
    r->eit_open = false;
    if (rc != PURR_ECLOSED && !r->feed_err) {
        r->rep->diag = diag;
        r->feed_err = rc;
        if (r->cfg.stop)
            r->cfg.stop(r->cfg.stop_ctx);
    }
    return false;
}

/* Makes r->exp the next expected transition (r->exp_valid false when there
 * is none): releases the current one's slot, then takes the queue's head,
 * reading on when the queue is empty. */
static void
exp_next(purr__replay *r)
{
    if (r->exp_queued) {
        r->eq_head = (r->eq_head + 1) & (r->eq_cap - 1);
        r->eq_n--;
        r->exp_queued = false;
    }
    r->exp_valid = false;
    if (r->eq_n == 0 &&
        (r->exp_streamed == r->nexp || !stream_until(r, NULL)))
        return;
    const purr__exp_kept *k = &r->eq[r->eq_head];
    r->exp = k->row;
    r->exp.payload = slot_payload(k);
    r->exp_valid = true;
    r->exp_queued = true;
}

/* Streaming mode: moves the next input to *in (its datum then the
 * caller's), reading on when the queue is empty. Returns false when there
 * is none left (or the read failed: r->feed_err). */
static bool
in_next(purr__replay *r, purr__in_row *in /* out */)
{
    if (r->iq_n == 0) /* read on to it: it comes out of no queue */
        return r->in_streamed < r->nin && stream_until(r, in);
    *in = r->iq[r->iq_head];
    r->iq_head = (r->iq_head + 1) & (r->iq_cap - 1);
    r->iq_n--;
    return true;
}

void
purr__replay_exp_start(purr__replay *r)
{
    exp_next(r);
}

/* r->exp matched: keeps it for the report's "before" rows, counts it and
 * reads the next. */
static void
exp_advance(purr__replay *r)
{
    purr__exp_kept *k = &r->kept[r->kept_at];
    uint8_t *to = k->small;
    if (r->exp.len > sizeof k->small) {
        if (k->cap < r->exp.len) {
            k->cap = r->exp.len + 32;
            k->buf = xrealloc(k->buf, k->cap);
        }
        to = k->buf;
    }
    k->row = r->exp;
    /* r->exp lies in a queue slot (exp_next): a payload that fits lies in
     * its small, of the same size, copied whole (no call) */
    if (to == k->small)
        memcpy(k->small, r->exp.payload, sizeof k->small);
    else
        memcpy(to, r->exp.payload, r->exp.len);
    k->row.payload = to;
    r->pos++;
    r->kept_at = r->kept_at + 1 == PURR_REPLAY_CONTEXT ? 0 : r->kept_at + 1;
    exp_next(r);
}

/* ---------------------------------------------------------------------- */
/* Comparing                                                              */
/* ---------------------------------------------------------------------- */

/* Makes room for actual value id in the maps. */
static void
map_reserve(purr__replay *r, uint64_t id)
{
    if (id < r->vidx_cap)
        return;
    size_t cap = r->vidx_cap ? r->vidx_cap * 2 : 64;
    while (cap <= id)
        cap *= 2;
    r->vidx_by_id = xrealloc(r->vidx_by_id, cap * sizeof *r->vidx_by_id);
    r->value_by_id = xrealloc(r->value_by_id, cap * sizeof *r->value_by_id);
    r->input_by_id = xrealloc(r->input_by_id, cap);
    for (size_t i = r->vidx_cap; i < cap; i++) {
        r->vidx_by_id[i] = -1;
        r->value_by_id[i] = NULL;
        r->input_by_id[i] = 0;
    }
    r->vidx_cap = cap;
}

/* Notes actual value v (of id id) in the maps. */
static void
map_set(purr__replay *r, uint64_t id, purr_value *v)
{
    map_reserve(r, id);
    r->value_by_id[id] = v;
    r->input_by_id[id] = purr_value_role(v) == PURR_ROLE_INPUT;
}

/* True when the actual transition (time_ns) is at the expected one's time:
 * exactly, or for a real-clock recording no later than it (the recorded
 * real time includes the timers' lateness, the virtual replay has none). */
static bool
time_matches(const purr__replay *r, purr_time expected, purr_time actual)
{
    return r->cfg.late_ok ? actual <= expected : actual == expected;
}

static size_t encoding_at(const uint8_t *p, size_t len, const purr_datum *d);

/* encoding_at for any datum but a tuple (a tuple: 0, the caller's case). */
static inline __attribute__((always_inline)) size_t
flat_encoding_at(const uint8_t *p, size_t len, const purr_datum *d)
{
    switch (d->type) {
    case PURR_T_NIL:
        return 1;
    case PURR_T_BOOL:
        return len >= 2 && p[1] == (d->u.b ? 1 : 0) ? 2 : 0;
    case PURR_T_INT:
    case PURR_T_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &d->u, 8); /* u.i or u.d: both 8 bytes */
        return len >= 9 && le_at(p + 1, 8) == bits ? 9 : 0;
    }
    case PURR_T_STRING:
    case PURR_T_BYTES:
        return len >= 5 && le_at(p + 1, 4) == d->len &&
                       len - 5 >= d->len &&
                       (d->len == 0 ||
                        memcmp(p + 5, d->u.bytes, d->len) == 0)
                   ? 5 + (size_t)d->len
                   : 0;
    default:
        return 0;
    }
}

/* When the len bytes at p begin with purr_datum_encode's encoding of d,
 * returns its size; else 0 (an encoding is never empty). Compared in
 * place, field by field, with no encoding made: the bytes are the ones
 * encode would write (a tag byte; bool 0/1; int and double bits in 8
 * little-endian bytes; a 4-byte little-endian length or item count and
 * the bytes or items). */
static size_t
encoding_at(const uint8_t *p, size_t len, const purr_datum *d)
{
    if (len == 0 || p[0] != d->type)
        return 0;
    if (d->type != PURR_T_TUPLE)
        return flat_encoding_at(p, len, d);
    if (len < 5 || le_at(p + 1, 4) != d->len)
        return 0;
    size_t pos = 5;
    for (uint32_t i = 0; i < d->len; i++) {
        const purr_datum *item = &d->u.items[i];
        size_t k;
        if (pos == len || p[pos] != item->type)
            return 0;
        if (item->type == PURR_T_TUPLE)
            k = encoding_at(p + pos, len - pos, item);
        else
            k = flat_encoding_at(p + pos, len - pos, item);
        if (k == 0)
            return 0;
        pos += k;
    }
    return pos;
}

/* True when the actual transition ev (of recorded value vidx) is expected
 * transition e: same value, time and payload bytes (the payload is
 * exactly the encoding of ev's datum). */
static inline bool
exp_matches(purr__replay *r, const purr__exp_row *e, int32_t vidx,
            const purr_trace *ev)
{
    return (int64_t)e->vidx == vidx &&
           time_matches(r, e->time_ns, ev->time_ns) &&
           encoding_at(e->payload, e->len, ev->new_value) == e->len;
}

/* True when actual transition ev, made after every transition the
 * recording holds, is past the cut of an interrupted recording: the
 * killed run made its next transitions at cut_ns or later (for a
 * real-clock recording, whose replayed times are earlier than the
 * recorded ones, any time), so nothing can be compared with it. Counted
 * in the report. */
static bool
past_cut(purr__replay *r, const purr_trace *ev)
{
    if (!r->rep->interrupted ||
        (!r->cfg.late_ok && ev->time_ns < r->rep->cut_ns))
        return false;
    r->rep->past_cut++;
    return true;
}

/* Records actual transition ev as the first difference: expected is the
 * recorded transition it should have been (both NULL: there was none
 * left). An input transition is not counted as extra, since the counts
 * are of non-input transitions. */
static void
differ(purr__replay *r, const purr_trace *ev, const purr__in_row *in,
       const purr__exp_row *e)
{
    if (in || e) {
        r->rep->has_expected = true;
        if (in)
            purr__replay_input_row(r, &r->rep->expected_row, in);
        else
            purr__replay_expected_row(r, &r->rep->expected_row, e);
        stop(r, PURR_REPLAY_DIFFERENT);
    } else {
        stop(r, PURR_REPLAY_EXTRA);
    }
    if (purr_value_role(ev->value) != PURR_ROLE_INPUT)
        r->rep->extra++;
    r->rep->has_actual = true;
    purr__replay_row_set(&r->rep->actual_row, 0, ev->time_ns,
                         purr_value_name(ev->value), ev->new_value);
}

/* Shadow mode's comparison: transition ev, input or not, must be the next
 * recorded one. An input's datum is compared with purr_datum_equal, which
 * is bitwise, as the payload encoding is. */
static void
observe_shadow(purr__replay *r, const purr_trace *ev)
{
    if (r->stopped) {
        if (r->cfg.run_on && purr_value_role(ev->value) != PURR_ROLE_INPUT)
            r->rep->extra++;
        return;
    }
    int32_t vidx = vidx_of(r, ev->value);
    const purr__in_row *in;
    const purr__exp_row *e;
    next_row(r, &in, &e);
    if (in && (int64_t)in->vidx == vidx && in->time_ns == ev->time_ns &&
        purr_datum_equal(&in->d, ev->new_value)) {
        r->ipos++;
        return;
    }
    if (e && exp_matches(r, e, vidx, ev)) {
        exp_advance(r);
        return;
    }
    if (!in && !e && past_cut(r, ev))
        return;
    differ(r, ev, in, e);
}

/* Checks that the run's new value v has the recorded role of its name, as
 * far as the replay relies on it (input or not). The first mismatch ends
 * the replay as bad input, with rep->diag naming the value row. */
static void
check_role(purr__replay *r, purr_value *v, const purr_recorded_value *rv)
{
    bool run_in = purr_value_role(v) == PURR_ROLE_INPUT;
    if (r->feed_err || run_in == (rv->role == PURR_ROLE_INPUT))
        return;
    purr_diag_set(&r->rep->diag, r->rep->file, 0, 0,
                  "value row id %" PRIu64 " (%s): role %d (%s), but the "
                  "run's %s is an %s",
                  rv->id, rv->name, (int)rv->role, purr_role_name(rv->role),
                  rv->name, purr_role_name(purr_value_role(v)));
    r->feed_err = PURR_EFORMAT;
    if (r->cfg.stop)
        r->cfg.stop(r->cfg.stop_ctx);
}

static void untap(purr__replay *r);

/* Compares non-input transition ev (feeder mode; the counts are done):
 * the next expected one matched, or the first difference. */
static void
compare_output(purr__replay *r, const purr_trace *ev)
{
    if (r->stopped) {
        if (r->cfg.run_on) /* else the run is ending: not counted */
            r->rep->extra++;
        return;
    }
    if (r->exp_valid && exp_matches(r, &r->exp, vidx_of(r, ev->value), ev)) {
        exp_advance(r);
        return;
    }
    if (!r->exp_valid && past_cut(r, ev))
        return;
    differ(r, ev, NULL, r->exp_valid ? &r->exp : NULL);
}

static void
observe(const purr_trace *ev, void *ctx)
{
    purr__replay *r = ctx;
    purr_value *v = ev->value;

    if (ev->kind == PURR_EV_VALUE_CREATED) {
        uint64_t id = purr_value_id(v);
        const purr_recorded_value *rv =
            purr_recording_value_find(r->rec, purr_value_name(v));
        map_set(r, id, v);
        /* A tap record holds the low 32 bits of the id only. */
        if (id > UINT32_MAX && r->tapped)
            untap(r);
        if (rv) {
            int32_t vidx =
                (int32_t)(rv - purr_recording_value_at(r->rec, 0));
            r->vidx_by_id[id] = vidx;
            r->by_vidx[vidx] = v;
            check_role(r, v, rv);
        }
        return;
    }
    bool input = purr_value_role(v) == PURR_ROLE_INPUT;
    if (input)
        r->rep->inputs++;
    else
        r->produced++;
    if (!r->cfg.compare)
        return;
    if (r->cfg.shadow) {
        observe_shadow(r, ev);
        return;
    }
    if (!input)
        compare_output(r, ev);
}

/* ---------------------------------------------------------------------- */
/* The tap: the transitions of scalars without an observer call            */
/* ---------------------------------------------------------------------- */

/* In feeder mode without run_on (the common replay: purr replay --check,
 * purr_replay_check) the transitions come through a tap whose buffer holds
 * one record: the loop appends a scalar's transition (value id, time, type
 * and bits) and calls tap_full at once, so each is compared as it
 * happens, as an observer would, without the observer's trace and
 * dispatch (which cost more than the comparison). A string, bytes or
 * tuple, and each value's first transition, come through tap_slow with
 * the trace. A recording of the replay (run_on) keeps the tap for its
 * recorder, and shadow mode compares inputs' datums: both observe. */

/* True when tap record rec of recorded value vidx is expected transition
 * e: same value and time, and e's payload is the encoding of the scalar
 * rec holds (a tag byte; bool 0/1; int or double bits, little-endian). */
static inline bool
rec_matches(const purr__replay *r, const purr__exp_row *e, int32_t vidx,
            const purr_tap_rec *rec)
{
    if ((int64_t)e->vidx != vidx || !time_matches(r, e->time_ns,
                                                  rec->time_ns) ||
        e->len == 0 || e->payload[0] != rec->type)
        return false;
    switch (rec->type) {
    case PURR_T_NIL:
        return e->len == 1;
    case PURR_T_BOOL:
        return e->len == 2 && e->payload[1] == rec->arg;
    default: /* int, double */
        return e->len == 9 && le_at(e->payload + 1, 8) == rec->arg;
    }
}

static void
tap_full(purr_tap *tap)
{
    purr__replay *r = tap->ctx;
    const purr_tap_rec *rec = &tap->buf[0];
    tap->n = 0;
    if (r->input_by_id[rec->aux]) {
        r->rep->inputs++;
        return;
    }
    r->produced++;
    if (!r->cfg.compare)
        return;
    int32_t vidx = r->vidx_by_id[rec->aux];
    if (!r->stopped && r->exp_valid && rec_matches(r, &r->exp, vidx, rec)) {
        exp_advance(r);
        return;
    }
    /* Not the expected one (or nothing left, or stopped): as the
     * observer, with the trace the record stands for (the value holds the
     * new datum while the tap runs). */
    purr_trace ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = PURR_EV_VALUE_SET;
    ev.time_ns = rec->time_ns;
    ev.task_id = rec->task_id;
    ev.value = r->value_by_id[rec->aux];
    ev.new_value = purr_value_peek(ev.value);
    ev.value_seq = rec->seq;
    compare_output(r, &ev);
}

static void
tap_slow(purr_tap *tap, const purr_trace *ev)
{
    purr__replay *r = tap->ctx;
    /* The first transition of each value comes here: a value created
     * before the observer (by the runner's open) is met here. */
    uint64_t id = purr_value_id(ev->value);
    if (id < r->vidx_cap && r->value_by_id[id] == ev->value &&
        !r->input_by_id[id]) {
        /* A known output or internal value's string, bytes or tuple: as
         * observe, without its dispatch. */
        r->produced++;
        if (r->cfg.compare)
            compare_output(r, ev);
        return;
    }
    map_set(r, id, ev->value);
    observe(ev, r);
}

/* Stops tapping: every transition goes to the observer from now on. */
static void
untap(purr__replay *r)
{
    purr_loop_tap(r->loop, NULL);
    r->tapped = false;
    purr_loop_observe(r->loop, PURR_EV_BIT(PURR_EV_VALUE_SET) |
                                   PURR_EV_BIT(PURR_EV_VALUE_CREATED),
                      observe, r);
}

void
purr__replay_observe(purr__replay *r, purr_loop *loop)
{
    uint32_t mask = PURR_EV_BIT(PURR_EV_VALUE_SET) |
                    PURR_EV_BIT(PURR_EV_VALUE_CREATED);
    r->loop = loop;
    if (!r->cfg.shadow && !r->cfg.run_on) {
        r->tap = (purr_tap){.mask = PURR_EV_BIT(PURR_EV_VALUE_SET),
                            .buf = &r->tap_rec,
                            .cap = 1,
                            .full = tap_full,
                            .slow = tap_slow,
                            .ctx = r};
        /* Another tap (a recorder the caller attached): observe. */
        r->tapped = purr_loop_tap(loop, &r->tap) == 0;
        if (r->tapped)
            mask &= ~PURR_EV_BIT(PURR_EV_VALUE_SET);
    }
    purr_loop_observe(loop, mask, observe, r);
}

/* ---------------------------------------------------------------------- */
/* The feeder task                                                        */
/* ---------------------------------------------------------------------- */

/* The inputs' consumer of the run pass: each input is read (in_next,
 * inline) and set at its time (purr__replay_feed, session_input.c). */
int
purr__replay_feeder(void *arg)
{
    purr__replay *r = arg;
    int rc;
    if ((rc = purr__replay_check_inputs(r)) < 0)
        return rc;
    if (r->cfg.stream_inputs) {
        purr__in_row in;
        while (in_next(r, &in)) {
            rc = purr__replay_feed(r, &in);
            if (in.d.type >= PURR_T_STRING)
                purr_datum_free(&in.d);
            if (rc < 0)
                return rc;
        }
        return r->feed_err; /* 0, or the read failed */
    }
    for (size_t i = 0; i < r->nin; i++)
        if ((rc = purr__replay_feed(r, &r->in[i])) < 0)
            return rc;
    return 0;
}
