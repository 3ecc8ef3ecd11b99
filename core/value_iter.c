/* value_iter.c - iterators over values: eventual values, transitions,
 * periodic, and RepeatedEvent with its iterators.
 *
 * Iterators are caller-owned and stepped like SQLite statements (open, next
 * until it returns non-zero, close). They allocate nothing per step: the
 * item a next() returns is kept in the iterator and borrowed by the caller
 * until the following call. Each next() may carry its own timeout (rule 13),
 * implemented as a cancel scope around the wait only, never the body. */
#include "value_int.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Per-next timeouts                                                       */
/* ---------------------------------------------------------------------- */

void
purr_iter_move_on_after(purr_iter *it, purr_time timeout)
{
    it->timeout_ns = timeout;
    it->fail = false;
}

void
purr_iter_fail_after(purr_iter *it, purr_time timeout)
{
    it->timeout_ns = timeout;
    it->fail = true;
}

static void
iter_init(purr_iter *it)
{
    it->timeout_ns = PURR_TIME_NEVER;
    it->fail = false;
    it->ended = false;
}

/* Opens the per-next scope if the iterator has a timeout. */
static bool
iter_scope_enter(purr_iter *it, purr_scope *s)
{
    if (it->timeout_ns == PURR_TIME_NEVER)
        return false;
    purr_move_on_after(s, it->timeout_ns);
    return true;
}

/* Closes it and turns its own expiry into the end of the iteration. */
static int
iter_scope_exit(purr_iter *it, purr_scope *s, bool entered, int rc)
{
    if (!entered)
        return rc;
    purr_scope_exit(s);
    if (rc == PURR_ECANCELED && s->cancelled_caught) {
        it->ended = true;
        return it->fail ? PURR_ETIMEDOUT : PURR_ECLOSED;
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* eventual_values                                                         */
/* ---------------------------------------------------------------------- */

void
purr_eventual_open(purr_eventual *it, purr_value *v, purr_match m,
                   purr_time held_for)
{
    iter_init(&it->iter);
    it->v_ = v;
    it->m_ = m;
    purr__match_bind(&it->m_, v, __func__); /* unbound by close */
    it->held_for_ = held_for;
    it->last_ = purr__datum_nil();
    it->started_ = false;
}

/* purr_eventual_next's wait when it has a per-next timeout or a hold:
 * out of line, so the frame of the plain case stays small. */
static int __attribute__((noinline))
eventual_wait_slow(purr_eventual *it, const purr_datum *not_equal,
                   bool unmatched, purr_datum *got)
{
    purr_scope s;
    bool scoped = iter_scope_enter(&it->iter, &s);
    int rc = purr__value_wait(it->v_, it->m_, not_equal, unmatched,
                              it->held_for_, got);
    return iter_scope_exit(&it->iter, &s, scoped, rc);
}

int
purr_eventual_next(purr_eventual *it, const purr_datum **item)
{
    if (it->iter.ended)
        return it->iter.fail ? PURR_ETIMEDOUT : PURR_ECLOSED;
    purr_value *v = it->v_;
    const purr_datum *cur = &v->cur;
    const purr_datum *not_equal = it->started_ ? &it->last_ : NULL;
    /* An item available now is yielded at once: the first, or one that
     * changed while the body ran. */
    bool unmatched = false;
    if (it->held_for_ <= 0) {
        if (purr__match_value(&it->m_, not_equal, cur)) {
            it->started_ = true;
            purr__datum_free(&it->last_);
            it->last_ = purr__datum_copy(cur);
            if (item)
                *item = &it->last_;
            return 0;
        }
        unmatched = true; /* so the wait need not ask again */
    }
    purr_datum got = purr__datum_nil();
    int rc = unmatched && it->iter.timeout_ns == PURR_TIME_NEVER
                 ? purr__value_wait_changed(v, &it->m_, not_equal, &got)
                 : eventual_wait_slow(it, not_equal, unmatched, &got);
    if (rc < 0)
        return rc;
    it->started_ = true;
    purr__datum_free(&it->last_);
    it->last_ = got;
    if (item)
        *item = &it->last_;
    return 0;
}

void
purr_eventual_close(purr_eventual *it)
{
    purr__match_unbind(&it->m_);
    purr_datum_free(&it->last_);
    it->iter.ended = true;
}

/* ---------------------------------------------------------------------- */
/* transitions                                                             */
/* ---------------------------------------------------------------------- */

void
purr_transitions_open(purr_transitions *it, purr_value *v, purr_match m)
{
    iter_init(&it->iter);
    it->v_ = v;
    it->m_ = m;
    purr__match_bind(&it->m_, v, __func__); /* unbound by close */
    it->new_ = purr__datum_nil();
    it->old_ = purr__datum_nil();
}

int
purr_transitions_next(purr_transitions *it, const purr_datum **new_value,
                      const purr_datum **old_value)
{
    if (it->iter.ended)
        return it->iter.fail ? PURR_ETIMEDOUT : PURR_ECLOSED;
    purr_scope s;
    bool scoped = iter_scope_enter(&it->iter, &s);
    purr_datum nv = purr__datum_nil(), ov = purr__datum_nil();
    int rc = purr_value_wait_transition(it->v_, it->m_, &nv, &ov);
    rc = iter_scope_exit(&it->iter, &s, scoped, rc);
    if (rc < 0)
        return rc;
    purr_datum_free(&it->new_);
    purr_datum_free(&it->old_);
    it->new_ = nv;
    it->old_ = ov;
    if (new_value)
        *new_value = &it->new_;
    if (old_value)
        *old_value = &it->old_;
    return 0;
}

void
purr_transitions_close(purr_transitions *it)
{
    purr__match_unbind(&it->m_);
    purr_datum_free(&it->new_);
    purr_datum_free(&it->old_);
    it->iter.ended = true;
}

/* ---------------------------------------------------------------------- */
/* periodic                                                                */
/* ---------------------------------------------------------------------- */

void
purr_periodic_open(purr_periodic *it, purr_time period)
{
    iter_init(&it->iter);
    it->period_ = period;
    it->first_start_ = it->last_start_ = 0;
    it->started_ = false;
}

int
purr_periodic_next(purr_periodic *it, purr_time *elapsed, purr_time *delta)
{
    if (it->iter.ended)
        return it->iter.fail ? PURR_ETIMEDOUT : PURR_ECLOSED;
    purr__self(__func__);
    if (!it->started_) {
        it->started_ = true;
        it->first_start_ = it->last_start_ = purr_now();
        if (elapsed)
            *elapsed = 0;
        if (delta)
            *delta = -1;
        return 0;
    }
    purr_scope s;
    bool scoped = iter_scope_enter(&it->iter, &s);
    /* After an overrun the target is already past: the sleep is a plain
     * checkpoint and the schedule re-bases on the actual start. */
    int rc = purr_sleep_until(it->last_start_ + it->period_);
    rc = iter_scope_exit(&it->iter, &s, scoped, rc);
    if (rc < 0)
        return rc;
    purr_time start = purr_now();
    if (elapsed)
        *elapsed = start - it->first_start_;
    if (delta)
        *delta = start - it->last_start_;
    it->last_start_ = start;
    return 0;
}

void
purr_periodic_close(purr_periodic *it)
{
    it->iter.ended = true;
}

/* ---------------------------------------------------------------------- */
/* RepeatedEvent                                                           */
/* ---------------------------------------------------------------------- */

struct purr_repeated_event {
    purr_value *counter;   /* int value counting the sets */
};

purr_repeated_event *
purr_repeated_event_new(purr_loop *loop, const char *name)
{
    purr_repeated_event *e = purr__calloc(1, sizeof *e);
    e->counter = purr_value_new(loop, name, PURR_ROLE_INTERNAL, PURR_T_INT,
                                NULL);
    return e;
}

void
purr_repeated_event_free(purr_repeated_event *e)
{
    if (!e)
        return;
    purr_value_free(e->counter);
    free(e);
}

void
purr_repeated_event_set(purr_repeated_event *e)
{
    int64_t n = purr_datum_as_int(purr_value_peek(e->counter));
    purr_value_set_int(e->counter, n + 1);
}

purr_value *
purr_repeated_event_value(purr_repeated_event *e)
{
    return e->counter;
}

int
purr_repeated_event_wait(purr_repeated_event *e)
{
    return purr_value_wait_transition(e->counter, purr_match_any(), NULL,
                                      NULL);
}

void
purr_repeated_event_unqueued(purr_repeated_event *e, purr_transitions *it)
{
    purr_transitions_open(it, e->counter, purr_match_any());
}

static bool
greater_than(const purr_datum *x, void *arg)
{
    return purr_datum_as_int(x) > *(const int64_t *)arg;
}

void
purr_events_open(purr_events *it, purr_repeated_event *e, bool repeat_last)
{
    iter_init(&it->iter);
    it->e_ = e;
    it->token_ = repeat_last ? -1
                             : purr_datum_as_int(purr_value_peek(e->counter));
}

int
purr_events_next(purr_events *it)
{
    if (it->iter.ended)
        return it->iter.fail ? PURR_ETIMEDOUT : PURR_ECLOSED;
    purr_scope s;
    bool scoped = iter_scope_enter(&it->iter, &s);
    int rc = purr_value_wait(it->e_->counter,
                             purr_match_pred(greater_than, &it->token_), 0,
                             NULL);
    rc = iter_scope_exit(&it->iter, &s, scoped, rc);
    if (rc < 0)
        return rc;
    it->token_ = purr_datum_as_int(purr_value_peek(it->e_->counter));
    return 0;
}

void
purr_events_close(purr_events *it)
{
    it->iter.ended = true;
}
