/* session_load.c - a replay's start and end of life: loading the
 * recording (purr__replay_load) and freeing what it took
 * (purr__replay_free).
 *
 * The load reads every transition once, raw (the load pass), and checks
 * each payload in place as the decoding reader would (payload_surely_ok,
 * else by decoding), so a corrupt recording is bad input found before
 * anything runs. It counts the expected (non-input) transitions, which
 * the run pass reads again as the replay matches them (session.c); the
 * inputs it either keeps decoded in a flat array (when shadow mode may
 * apply: it looks ahead among them) or, in streaming mode, only notes the
 * first of per value and datum type, for purr__replay_check_inputs, the
 * feeder reading them again as it goes. It also notes where an
 * interrupted recording was cut (the last transition kept and its time).
 */
#include "session_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Grows the block p, whose first used bytes are kept, to size bytes. A
 * large block (the loaded arrays run to tens of MB) is aligned to 2 MiB
 * and asked for transparent huge pages: writing it then takes one page
 * fault per 2 MiB instead of one per 4 KiB, which is most of the cost of
 * loading a recording on machines whose page faults are slow (virtual
 * machines). */
static void *
grow(void *p, size_t used, size_t size)
{
    const size_t huge = (size_t)2 << 20;
#ifdef MADV_HUGEPAGE
    if (size >= 2 * huge) {
        void *q;
        size = (size + huge - 1) / huge * huge;
        if (posix_memalign(&q, huge, size) != 0) {
            fprintf(stderr, "purr: out of memory allocating %zu bytes\n",
                    size);
            abort();
        }
        (void)madvise(q, size, MADV_HUGEPAGE); /* a hint: may be refused */
        if (used)
            memcpy(q, p, used);
        free(p);
        return q;
    }
#else
    (void)used;
#endif
    return xrealloc(p, size);
}

/* The size of the valid encoding of a scalar, string or bytes datum at p
 * (left bytes there), or 0 when it is none of those or not valid. */
static inline size_t
flat_size(const uint8_t *p, size_t left)
{
    if (left == 0)
        return 0;
    switch (p[0]) {
    case PURR_T_NIL:
        return 1;
    case PURR_T_BOOL:
        return left >= 2 && p[1] <= 1 ? 2 : 0;
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        return left >= 9 ? 9 : 0;
    case PURR_T_STRING:
    case PURR_T_BYTES: {
        if (left < 5)
            return 0;
        uint64_t n = le_at(p + 1, 4);
        return n <= left - 5 ? 5 + (size_t)n : 0;
    }
    default:
        return 0;
    }
}

/* True when payload (len bytes) is certainly a valid encoding of a datum
 * of type (purr_datum_decode would accept it, of that type): the scalar,
 * string and bytes encodings, and tuples of those, are walked here as the
 * recording documents them, allocating nothing (a value of type nil
 * takes any). False when it is not, or when only decoding can tell
 * (nested tuples): the caller then decodes. */
static inline bool
payload_surely_ok(const uint8_t *payload, size_t len, purr_type type)
{
    if (len == 0 || (type != PURR_T_NIL && payload[0] != (uint8_t)type))
        return false;
    if (payload[0] != PURR_T_TUPLE)
        return flat_size(payload, len) == len;
    if (len < 5)
        return false;
    uint64_t n = le_at(payload + 1, 4);
    size_t pos = 5;
    for (uint64_t i = 0; i < n; i++) {
        size_t k = flat_size(payload + pos, len - pos);
        if (k == 0)
            return false;
        pos += k;
    }
    return pos == len;
}

/* The load pass's work on transition row (number seq): see load_pass.
 * Returns false when its payload is bad. */
static inline bool
load_row(purr__replay *r, const purr_recording_row *row, uint64_t seq)
{
    const purr_recorded_value *v = row->value;
    if (v->role != PURR_ROLE_INPUT) {
        if (!payload_surely_ok(row->payload, row->payload_len, v->type)) {
            purr_datum d;
            if (purr_datum_decode(row->payload, row->payload_len, &d) < 0)
                return false;
            bool ok = v->type == PURR_T_NIL || d.type == v->type;
            purr_datum_free(&d);
            if (!ok)
                return false;
        }
        r->nexp++; /* read again as the replay goes (exp_next) */
        return true;
    }
    if (r->cfg.stream_inputs) {
        /* Checked, and noted for purr__replay_check_inputs; read again as
         * the feeder goes (in_next). */
        if (!payload_surely_ok(row->payload, row->payload_len, v->type)) {
            purr_datum d;
            if (!input_decode(row, &d))
                return false;
            purr_datum_free(&d);
        }
        uint64_t *first = &r->in_first[v - r->v0][row->payload[0] & 7];
        if (*first == 0)
            *first = seq;
        r->nin++;
        return true;
    }
    if (r->nin == r->in_cap) {
        r->in_cap = r->in_cap ? r->in_cap * 2 : 256;
        r->in = grow(r->in, r->nin * sizeof *r->in,
                     r->in_cap * sizeof *r->in);
    }
    purr__in_row *in = &r->in[r->nin];
    if (!input_decode(row, &in->d))
        return false;
    in->seq = seq;
    in->time_ns = row->time_ns;
    in->vidx = (uint32_t)(v - r->v0);
    in->task_id = row->task_id;
    in->posted = row->task_id == 0;
    r->nin++;
    return true;
}

/* The load's first pass: reads every transition raw, keeps the decoded
 * inputs and counts the others, checking every payload as
 * purr_recording_iter_next would (payload_surely_ok, else by decoding):
 * the expected transitions' datums are not needed, so they are not made.
 * Returns PURR_ECLOSED once every transition is read; 1 when a payload
 * is bad (the caller reads again with a decoding iterator, whose message
 * names it); or the iterator's error with diag set. */
static int
load_pass(purr__replay *r, purr_recording_iter *it, purr_diag *diag)
{
    purr_replay_report *rep = r->rep;
    int rc;
    while ((rc = purr_recording_iter_next_rows(it, r->rows, ROWS_CAP,
                                               diag)) > 0) {
        uint64_t seq = it->seq - (uint64_t)rc + 1;
        for (int i = 0; i < rc; i++)
            if (!load_row(r, &r->rows[i], seq + (uint64_t)i))
                return 1;
    }
    /* The last transition read (none: 0, 0). */
    rep->kept = it->seq;
    rep->cut_ns = it->time_ns;
    return rc;
}

/* Reads the transitions with a decoding iterator up to the first bad one,
 * for its message (after load_pass found a bad payload). Returns the
 * iterator's error, with diag set. */
static int
load_diag(purr__replay *r, purr_diag *diag)
{
    purr_recording_iter it;
    int rc;
    if ((rc = purr_recording_iter_open(&it, r->rec)) < 0)
        return rc;
    while ((rc = purr_recording_iter_next(&it, diag)) == 0)
        ;
    purr_recording_iter_close(&it);
    /* The decoder refuses what the check refused: should it not, the
     * payload is still refused, by the generic message. */
    if (rc == PURR_ECLOSED) {
        purr_diag_set(diag, r->rep->file, 0, 0, "corrupt payload");
        rc = PURR_EFORMAT;
    }
    return rc;
}

int
purr__replay_load(purr__replay *r, purr_recording *rec,
                  const purr__replay_cfg *cfg, purr_replay_report *rep)
{
    purr_recording_iter it;
    purr_diag diag;
    int rc;

    memset(r, 0, sizeof *r);
    memset(rep, 0, sizeof *rep);
    memset(&diag, 0, sizeof diag);
    snprintf(rep->file, sizeof rep->file, "%s", purr_recording_path(rec));
    r->rec = rec;
    r->v0 = purr_recording_value_at(rec, 0);
    r->cfg = *cfg;
    r->rep = rep;
    r->rows = xrealloc(NULL, ROWS_CAP * sizeof *r->rows);
    r->by_vidx = xrealloc(NULL, (purr_recording_value_count(rec) + 1) *
                                    sizeof *r->by_vidx);
    memset(r->by_vidx, 0,
           (purr_recording_value_count(rec) + 1) * sizeof *r->by_vidx);
    if (cfg->stream_inputs) {
        size_t n = (purr_recording_value_count(rec) + 1) *
                   sizeof *r->in_first;
        r->in_first = xrealloc(NULL, n);
        memset(r->in_first, 0, n);
    }

    if ((rc = purr_recording_iter_open_raw(&it, rec)) < 0) {
        purr_diag_set(&rep->diag, rep->file, 0, 0,
                      "cannot read the transitions");
        return rc;
    }
    rc = load_pass(r, &it, &diag);
    purr_recording_iter_close(&it);
    if (rc == 1)
        rc = load_diag(r, &diag);
    if (rc != PURR_ECLOSED) {
        rep->diag = diag;
        return rc;
    }
    rep->expected = r->nexp;
    rep->interrupted = !purr_recording_is_complete(rec);
    if (!rep->interrupted)
        rep->kept = rep->cut_ns = 0;
    if (r->nexp || (r->cfg.stream_inputs && r->nin)) {
        if ((rc = purr_recording_iter_open_raw(&r->eit, rec)) < 0) {
            purr_diag_set(&rep->diag, rep->file, 0, 0,
                          "cannot read the transitions");
            return rc;
        }
        r->eit_open = true;
        purr__replay_exp_start(r);
    }
    return 0;
}

void
purr__replay_free(purr__replay *r)
{
    for (size_t i = 0; r->in && i < r->nin; i++) /* streaming: no in */
        if (r->in[i].d.type >= PURR_T_STRING) /* scalars own nothing */
            purr_datum_free(&r->in[i].d);
    free(r->in);
    for (size_t i = 0; i < r->iq_n; i++) {
        purr__in_row *in = &r->iq[(r->iq_head + i) & (r->iq_cap - 1)];
        if (in->d.type >= PURR_T_STRING)
            purr_datum_free(&in->d);
    }
    free(r->iq);
    for (size_t i = 0; i < r->eq_cap; i++)
        free(r->eq[i].buf);
    free(r->eq);
    free(r->in_first);
    free(r->rows);
    if (r->eit_open)
        purr_recording_iter_close(&r->eit);
    for (size_t i = 0; i < PURR_REPLAY_CONTEXT; i++)
        free(r->kept[i].buf);
    free(r->by_vidx);
    free(r->vidx_by_id);
    free(r->value_by_id);
    free(r->input_by_id);
    memset(r, 0, sizeof *r);
}
