/* session_finish.c - the replay's report once the run is over: the
 * outcome, the counts and the "before" rows (purr__replay_finish).
 *
 * The comparison (session.c) stops at the first difference and fills the
 * expected and actual rows as it finds it; what is left when the run ends
 * is filled here: a recorded transition the run never made (missing), the
 * counts, the last transitions matched before the end (kept by the
 * comparison in a small ring), and the outcome of an interrupted
 * recording. The rows of recorded transitions are made here for both.
 */
#include "session_int.h"

/* Fills row with expected transition e. */
void
purr__replay_expected_row(purr__replay *r, purr_replay_row *row,
                          const purr__exp_row *e)
{
    purr_datum d;
    const purr_recorded_value *v = purr_recording_value_at(r->rec, e->vidx);
    if (purr_datum_decode(e->payload, e->len, &d) < 0)
        d = purr_datum_nil(); /* decoded once already by the reader */
    purr__replay_row_set(row, e->seq, e->time_ns, v->name, &d);
    purr_datum_free(&d);
}

/* Fills row with recorded input transition in. */
void
purr__replay_input_row(purr__replay *r, purr_replay_row *row,
                       const purr__in_row *in)
{
    purr__replay_row_set(row, in->seq, in->time_ns,
                         purr_recording_value_at(r->rec, in->vidx)->name,
                         &in->d);
}

/* ---------------------------------------------------------------------- */
/* The report                                                              */
/* ---------------------------------------------------------------------- */

/* Fills the report's "before" rows: the last transitions matched, oldest
 * first (in shadow mode inputs and others merged in seq order). */
static void
fill_before(purr__replay *r)
{
    purr_replay_report *rep = r->rep;
    size_t e = r->pos, i = r->cfg.shadow ? r->ipos : 0;
    /* Walk back from the last match, then fill forwards. */
    bool is_in[PURR_REPLAY_CONTEXT];
    size_t idx[PURR_REPLAY_CONTEXT], n = 0;
    while (n < PURR_REPLAY_CONTEXT && (e > 0 || i > 0)) {
        bool take_in =
            i > 0 &&
            (e == 0 ||
             r->in[i - 1].seq >
                 r->kept[(e - 1) % PURR_REPLAY_CONTEXT].row.seq);
        is_in[n] = take_in;
        idx[n++] = take_in ? --i : --e;
    }
    rep->nbefore = 0;
    while (n-- > 0) {
        purr_replay_row *row = &rep->before[rep->nbefore++];
        if (is_in[n])
            purr__replay_input_row(r, row, &r->in[idx[n]]);
        else
            purr__replay_expected_row(r, row,
                         &r->kept[idx[n] % PURR_REPLAY_CONTEXT].row);
    }
}

int
purr__replay_finish(purr__replay *r, int run_rc)
{
    purr_replay_report *rep = r->rep;
    rep->run_status = run_rc;
    if (r->feed_err) {
        rep->outcome = PURR_REPLAY_ERROR;
        return r->feed_err;
    }
    if (run_rc < 0 && !r->stopped) {
        rep->outcome = PURR_REPLAY_ERROR;
        if (!rep->diag.message[0])
            purr_diag_set(&rep->diag, rep->file, 0, 0,
                          "the replayed behaviour failed: %s",
                          purr_err_name(run_rc));
        return run_rc;
    }
    if (r->cfg.compare && !r->stopped) {
        const purr__in_row *in = NULL;
        const purr__exp_row *e = r->exp_valid ? &r->exp : NULL;
        if (r->cfg.shadow)
            next_row(r, &in, &e);
        if (in || e) {
            rep->outcome = PURR_REPLAY_MISSING;
            rep->has_expected = true;
            if (in)
                purr__replay_input_row(r, &rep->expected_row, in);
            else
                purr__replay_expected_row(r, &rep->expected_row, e);
        }
    }
    rep->matching = r->pos;
    rep->missing = r->cfg.compare ? r->nexp - r->pos : 0;
    rep->produced = r->produced;
    rep->checked = r->cfg.compare;
    fill_before(r);
    /* Every kept transition matched, but the recording says nothing of
     * what came after them: not identical, and no divergence. */
    if (rep->outcome == PURR_REPLAY_IDENTICAL && rep->interrupted) {
        rep->outcome = PURR_REPLAY_INTERRUPTED;
        return PURR_EINTERRUPTED;
    }
    return rep->outcome == PURR_REPLAY_IDENTICAL ? 0 : PURR_EDIVERGED;
}
