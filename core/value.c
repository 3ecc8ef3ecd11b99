/* value.c - AsyncValues: creation, reading, and setting.
 *
 * A value keeps one FIFO wait queue of value waiters (wait_value, and the
 * "hold breakers" of wait_value with held_for) and transition waiters, in
 * the order they began to wait (value_wait.c parks them there). A set that
 * is a transition runs, synchronously and in that order, the value
 * waiters' predicates, then the transition waiters', then wakes the tasks
 * that matched in queue order, then updates the values derived from this
 * one: the order include/purr/value.h promises for the whole family.
 *
 * Coalescing: a waiter whose predicate matches is woken, but stays
 * on the queue until its task actually runs; every later set that matches
 * its predicate before then replaces the datum it captured. So each waiter
 * receives the last value of the step that matched its own predicate.
 *
 * Every transition is also an event: this file sends it to the loop's tap
 * (a fixed-size record, inline on the set path) and to the observers.
 * Derived values (value_derived.c) are recomputed inside the source's set,
 * so they never miss a change. */
#include "core_int.h"
#include "purr/value.h"
#include "value_int.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Creation                                                                */
/* ---------------------------------------------------------------------- */

static purr_datum
zero_of(purr_type type)
{
    switch (type) {
    case PURR_T_BOOL:
        return purr_datum_bool(false);
    case PURR_T_INT:
        return purr_datum_int(0);
    case PURR_T_DOUBLE:
        return purr_datum_double(0.0);
    case PURR_T_STRING:
        return purr_datum_string_n("", 0);
    case PURR_T_BYTES:
        return purr_datum_bytes("", 0);
    case PURR_T_TUPLE:
        return purr_datum_tuple(NULL, 0);
    default:
        return purr__datum_nil();
    }
}

static purr_time
loop_time(purr_loop *loop)
{
    if (loop->running && loop->clock_kind == PURR_CLOCK_REAL)
        return loop->clock->now(loop);
    return loop->now_ns;
}

/* Fills ev for a value event numbered seq. */
static void
value_trace(purr_value *v, purr_event_kind kind, const purr_datum *old,
            uint64_t seq, purr_trace *ev)
{
    purr_loop *loop = v->loop;
    /* Every field set: see purr__emit_task. */
    ev->kind = kind;
    /* A transition (or creation) is stamped when it happened; a close,
     * now. */
    ev->time_ns = kind == PURR_EV_VALUE_CLOSED ? loop_time(loop)
                                               : v->changed_at;
    ev->seq = seq;
    ev->task = loop->running ? loop->current : NULL;
    ev->value = v;
    ev->old_value = old;
    ev->new_value = &v->cur;
    ev->value_seq = kind == PURR_EV_VALUE_SET ? v->last_seq : 0;
    ev->status = 0;
    ev->detail = NULL;
}

/* The tap's slow path for a transition: the trace through tap->slow (a
 * datum a record cannot hold, or the tap's first look at v). */
static void __attribute__((noinline))
tap_transition_slow(purr_value *v, const purr_datum *old, uint64_t seq,
                    uint64_t task_id)
{
    purr_loop *loop = v->loop;
    v->tap_epoch = loop->tap_epoch;
    purr_trace ev;
    value_trace(v, PURR_EV_VALUE_SET, old, seq, &ev);
    ev.task_id = task_id;
    ev.nursery = ev.task ? ev.task->nursery : NULL;
    ev.parent_task_id =
        ev.nursery ? purr__nursery_owner_id(ev.nursery) : 0;
    loop->tap->slow(loop->tap, &ev);
}

/* Sends a transition to the tap: a record when it can hold the datum and
 * the tap has met the value, else the trace through tap->slow. */
static inline void
tap_transition(purr_value *v, const purr_datum *old, uint64_t seq)
{
    purr_loop *loop = v->loop;
    uint64_t task_id =
        loop->running && loop->current ? loop->current->id : 0;
    uint64_t arg = 0;
    switch (v->cur.type) {
    case PURR_T_NIL:
        break;
    case PURR_T_BOOL:
        arg = v->cur.u.b ? 1 : 0;
        break;
    case PURR_T_INT:
    case PURR_T_DOUBLE:
        memcpy(&arg, &v->cur.u, sizeof arg);
        break;
    default:
        tap_transition_slow(v, old, seq, task_id);
        return;
    }
    if (__builtin_expect(v->tap_epoch != loop->tap_epoch, 0)) {
        tap_transition_slow(v, old, seq, task_id);
        return;
    }
    purr_tap *tap = loop->tap;
    purr_tap_rec *rec = &tap->buf[tap->n];
    rec->kind = PURR_EV_VALUE_SET;
    rec->type = (uint8_t)v->cur.type;
    rec->reserved = 0;
    rec->aux = (uint32_t)v->id;
    rec->seq = v->last_seq;
    rec->time_ns = v->changed_at;
    rec->task_id = task_id;
    rec->arg = arg;
    if (++tap->n == tap->cap)
        tap->full(tap);
}

/* The observers' part of emit_value. */
static void __attribute__((noinline))
emit_value_observers(purr_value *v, purr_event_kind kind,
                     const purr_datum *old, uint64_t seq)
{
    purr_trace ev;
    value_trace(v, kind, old, seq, &ev);
    purr__emit_numbered(v->loop, &ev);
}

/* Emits a value event to the tap and the observers. Inline (as
 * purr__emit_task): a transition's tap record is all the work when a
 * recorder alone listens. */
static inline __attribute__((always_inline)) void
emit_value(purr_value *v, purr_event_kind kind, const purr_datum *old)
{
    purr_loop *loop = v->loop;
    uint32_t bit = PURR_EV_BIT(kind);
    uint64_t seq = ++loop->event_seq;
    if (loop->tap && (loop->tap->mask & bit))
        tap_transition(v, old, seq);
    if (loop->obs_mask & bit)
        emit_value_observers(v, kind, old, seq);
}

purr_value *
purr__value_create(purr_loop *loop, const char *name, purr_role role,
                   purr_type type, purr_datum initial)
{
    purr_value *v = purr__calloc(1, sizeof *v);
    size_t len = strlen(name ? name : "value");
    v->name = purr__malloc(len + 1);
    memcpy(v->name, name ? name : "value", len + 1);
    v->loop = loop;
    v->role = role;
    v->type = type;
    v->cur = initial;
    v->id = ++loop->next_value_id;
    v->changed_at = loop_time(loop);
    if (purr__observing(loop, PURR_EV_VALUE_CREATED))
        emit_value(v, PURR_EV_VALUE_CREATED, NULL);
    return v;
}

purr_value *
purr_value_new(purr_loop *loop, const char *name, purr_role role,
               purr_type type, const purr_datum *initial)
{
    PURR_API_CHECK(loop != NULL, "purr_value_new: NULL loop");
    if (initial && type != PURR_T_NIL && initial->type != type)
        return NULL;
    purr_datum init = initial ? purr_datum_copy(initial) : zero_of(type);
    return purr__value_create(loop, name, role, type, init);
}

purr_value *
purr_value_new_bool(purr_loop *loop, const char *name, purr_role role)
{
    return purr_value_new(loop, name, role, PURR_T_BOOL, NULL);
}

void
purr_value_free(purr_value *v)
{
    if (!v)
        return;
    if (v->users > 1) {
        v->users--; /* a shared transform: one user fewer */
        return;
    }
    purr_value_detach(v);
    PURR_API_CHECK(!purr__waitq_head(&v->waiters),
                   "purr_value_free: tasks are still waiting on the value");
    PURR_API_CHECK(v->ndeps == 0,
                   "purr_value_free: derived values still follow it");
    if (purr__observing(v->loop, PURR_EV_VALUE_CLOSED))
        emit_value(v, PURR_EV_VALUE_CLOSED, NULL);
    purr_datum_free(&v->cur);
    free(v->deps);
    free(v->name);
    free(v);
}

const purr_datum *
purr_value_peek(const purr_value *v)
{
    return &v->cur;
}

const char *
purr_value_name(const purr_value *v)
{
    return v->name;
}

purr_role
purr_value_role(const purr_value *v)
{
    return v->role;
}

purr_type
purr_value_type(const purr_value *v)
{
    return v->type;
}

purr_loop *
purr_value_loop(const purr_value *v)
{
    return v->loop;
}

uint64_t
purr_value_id(const purr_value *v)
{
    return v->id;
}

uint64_t
purr_loop_transitions(const purr_loop *loop)
{
    return loop->value_seq;
}

uint64_t
purr_value_transitions(const purr_value *v)
{
    return v->ntransitions;
}

purr_time
purr_value_changed_at(const purr_value *v)
{
    return v->changed_at;
}

/* ---------------------------------------------------------------------- */
/* Setting                                                                 */
/* ---------------------------------------------------------------------- */

/* purr__capture's general case. A tuple of scalars replacing a tuple of
 * scalars of the same length reuses the slot's storage: composed values
 * are such tuples, and each of their waiters captures every transition. */
void
purr__capture_slow(purr_datum *slot, const purr_datum *d)
{
    if (d->type == PURR_T_TUPLE && slot->type == PURR_T_TUPLE &&
        d->len == slot->len && d->len > 0) {
        uint32_t i;
        for (i = 0; i < d->len; i++)
            if (!purr__datum_is_scalar(&d->u.items[i]) ||
                !purr__datum_is_scalar(&slot->u.items[i]))
                break;
        if (i == d->len) {
            memcpy(slot->u.items, d->u.items, d->len * sizeof *d->u.items);
            return;
        }
    }
    purr__datum_free(slot);
    *slot = purr__datum_copy(d);
}

/* Does a transition from ov to nv satisfy a transition waiter? */
static bool
trans_matches(const purr__vwaiter *w, const purr_datum *nv,
              const purr_datum *ov)
{
    const purr_match *m = w->m;
    if (__builtin_expect(m->flags_ & PURR__M_FIELD, 0)) {
        nv = purr__match_subject(m, nv);
        ov = purr__match_subject(m, ov);
        if (!nv || !ov)
            return false;
    }
    if (m->tfn)
        return m->tfn(nv, ov, m->arg);
    return !m->fn || m->fn(nv, m->arg);
}

static void derived_update(purr__derived *dv);

/* The transition itself: d (owned, already known to differ) becomes the
 * current datum. Runs waiters and derived values as rule 3 says. */
static void
transition(purr_value *v, purr_datum d)
{
    purr_loop *loop = v->loop;
    purr_datum old = v->cur;
    v->cur = d;
    v->ntransitions++;
    v->last_seq = ++loop->value_seq;
    v->changed_at = loop_time(loop);
    if (purr__observing(loop, PURR_EV_VALUE_SET))
        emit_value(v, PURR_EV_VALUE_SET, &old);

    /* Rule 3: value predicates, then transition predicates, each in the
     * order the waits began. Rule 5: the tasks this set wakes run in the
     * order they began to wait, whatever their kind, so waking is a pass
     * of its own over the one queue. Without transition waiters the value
     * pass can wake as it goes: the order of predicates and of wakes is
     * the same, only interleaved (predicates may not look at either). */
    purr__waiter *w, *next;
    if (v->ntrans_waiters == 0) {
        for (w = purr__waitq_head(&v->waiters); w; w = next) {
            purr__vwaiter *vw = (purr__vwaiter *)w;
            next = w->next;
            bool ok = purr__vwaiter_matches(vw, &v->cur);
            if (vw->kind == PURR__W_HOLD) {
                if (!ok) { /* the hold is broken */
                    purr__waitq_remove(w);
                    purr__timer_disarm(loop, &vw->hold);
                    purr__wake(w->task, PURR__HOLD_BROKEN);
                }
            } else if (ok) {
                purr__capture(&vw->got, &v->cur);
                if (!vw->matched) {
                    vw->matched = true;
                    purr__wake(w->task, 0); /* stays queued until it runs */
                }
            }
        }
        goto derived;
    }
    for (w = purr__waitq_head(&v->waiters); w; w = w->next) {
        purr__vwaiter *vw = (purr__vwaiter *)w;
        if (vw->kind == PURR__W_TRANS)
            continue;
        bool ok = purr__vwaiter_matches(vw, &v->cur);
        if (vw->kind == PURR__W_HOLD) {
            vw->wake = !ok; /* the hold is broken */
        } else if (ok) {
            purr__capture(&vw->got, &v->cur);
            if (!vw->matched)
                vw->matched = vw->wake = true;
        }
    }
    for (w = purr__waitq_head(&v->waiters); w; w = w->next) {
        purr__vwaiter *vw = (purr__vwaiter *)w;
        if (vw->kind != PURR__W_TRANS || !trans_matches(vw, &v->cur, &old))
            continue;
        purr__capture(&vw->got, &v->cur);
        purr__capture(&vw->got_old, &old);
        if (!vw->matched)
            vw->matched = vw->wake = true;
    }
    for (w = purr__waitq_head(&v->waiters); w; w = next) {
        purr__vwaiter *vw = (purr__vwaiter *)w;
        next = w->next;
        if (!vw->wake)
            continue;
        vw->wake = false;
        if (vw->kind == PURR__W_HOLD) {
            purr__waitq_remove(w);
            purr__timer_disarm(loop, &vw->hold);
            purr__wake(w->task, PURR__HOLD_BROKEN);
        } else {
            purr__wake(w->task, 0); /* stays queued until it runs */
        }
    }
derived:
    for (size_t i = 0; i < v->ndeps; i++)
        derived_update(v->deps[i]);
    purr__datum_free(&old);
}

int
purr_value_set(purr_value *v, const purr_datum *d)
{
    if (v->type != PURR_T_NIL && d->type != v->type)
        return PURR_ETYPE;
    if (purr__datum_equal(&v->cur, d))
        return 0;
    transition(v, purr__datum_copy(d));
    return 1;
}

/* As purr_value_set, taking ownership of *d (left nil). Declared inline
 * so that it is inlined into derived_update and purr_value_set_string:
 * without the hint GCC keeps it out of line (a call per derived update),
 * because it recurses through transition. */
static inline int
set_owned(purr_value *v, purr_datum *d)
{
    if (purr__datum_equal(&v->cur, d)) {
        purr__datum_free(d);
        return 0;
    }
    transition(v, *d);
    *d = purr__datum_nil();
    return 1;
}

/* Recomputes a derived value from its sources, as part of their set. */
static void
derived_update(purr__derived *dv)
{
    purr_datum d = purr__derived_compute(dv);
    set_owned(dv->dst, &d);
}

int
purr_value_set_bool(purr_value *v, bool b)
{
    purr_datum d = purr_datum_bool(b);
    return purr_value_set(v, &d);
}

int
purr_value_set_int(purr_value *v, int64_t i)
{
    purr_datum d = purr_datum_int(i);
    return purr_value_set(v, &d);
}

int
purr_value_set_double(purr_value *v, double x)
{
    purr_datum d = purr_datum_double(x);
    return purr_value_set(v, &d);
}

int
purr_value_set_string(purr_value *v, const char *s)
{
    if (v->type != PURR_T_NIL && v->type != PURR_T_STRING)
        return PURR_ETYPE;
    purr_datum d = purr_datum_string(s);
    return set_owned(v, &d);
}

typedef struct threadsafe_set {
    purr_value *v;
    purr_datum d;
} threadsafe_set;

static void
run_threadsafe_set(void *arg)
{
    threadsafe_set *ts = arg;
    purr_value_set(ts->v, &ts->d);
    purr_datum_free(&ts->d);
    free(ts);
}

int
purr_value_set_threadsafe(purr_value *v, const purr_datum *d)
{
    threadsafe_set *ts = purr__try_malloc(sizeof *ts);
    if (!ts)
        return PURR_ENOMEM;
    ts->v = v;
    ts->d = purr_datum_copy(d);
    int rc = purr_loop_post(v->loop, run_threadsafe_set, ts);
    if (rc) {
        purr_datum_free(&ts->d);
        free(ts);
    }
    return rc;
}
