/* value.c - AsyncValues: setting, waiting, and derived values.
 *
 * A value keeps one FIFO wait queue of value waiters (wait_value, and the
 * "hold breakers" of wait_value with held_for) and transition waiters, in
 * the order they began to wait. A set that is a transition runs,
 * synchronously and in that order, the value waiters' predicates, then the
 * transition waiters', then wakes the tasks that matched in queue order
 * (rule 5), then updates the values derived from this one (ASYNCVALUE.md
 * rule 3).
 *
 * Coalescing (rule 4): a waiter whose predicate matches is woken, but stays
 * on the queue until its task actually runs; every later set that matches
 * its predicate before then replaces the datum it captured. So each waiter
 * receives the last value of the step that matched its own predicate. The
 * waiter unlinks itself when it resumes; cancellation unlinks a parked
 * waiter, after which its predicate is never evaluated again (rule 9).
 *
 * Derived values (transforms and compositions) are recomputed inside the
 * source's set, so they never miss a change; they are ordinary values of
 * role internal, visible to observers like any other. */
#include "core_int.h"
#include "purr/value.h"
#include "value_int.h"

#include <pthread.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Matching                                                                */
/* ---------------------------------------------------------------------- */

/* The predicates of purr_match_equal and purr_match_cmp: arg is the match
 * itself, bound by the wait (its ref_ is the wait's own copy). */
static bool
equal_pred(const purr_datum *x, void *arg)
{
    const purr_match *m = arg;
    return purr__datum_equal(x, &m->ref_);
}

static bool
numeric(const purr_datum *d, double *out)
{
    if (d->type == PURR_T_INT) {
        *out = (double)d->u.i;
        return true;
    }
    if (d->type == PURR_T_DOUBLE) {
        *out = d->u.d;
        return true;
    }
    return false;
}

static bool
cmp_pred(const purr_datum *x, void *arg)
{
    const purr_match *m = arg;
    const purr_datum *ref = &m->ref_;
    int c;
    double a, b;
    if (x->type == PURR_T_INT && ref->type == PURR_T_INT) {
        c = (x->u.i > ref->u.i) - (x->u.i < ref->u.i);
    } else if (numeric(x, &a) && numeric(ref, &b)) {
        if (a != a || b != b)
            return false; /* NaN: unordered */
        c = (a > b) - (a < b);
    } else if (x->type == ref->type) {
        c = purr_datum_compare(x, ref);
    } else {
        return false;
    }
    switch ((m->flags_ >> PURR__M_OP_SHIFT) & 15u) {
    case PURR_MATCH_LT:
        return c < 0;
    case PURR_MATCH_LE:
        return c <= 0;
    case PURR_MATCH_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

purr_match
purr_match_any(void)
{
    return (purr_match){.fn = NULL};
}

/* The datums of purr_match_equal and purr_match_cmp that own storage
 * (strings, bytes, tuples) are interned: one copy per distinct datum, kept
 * for the life of the process, so that a match owns what it compares with
 * whatever happens to the caller's datum, however long the match is kept
 * and however often it is copied, with nothing to close. What is matched
 * against is typically a few constants ("idle", "on"), so the table stays
 * small. It is a lookup table only (nothing iterates over it), shared by
 * every loop and thread, hence the lock. */
static struct {
    pthread_mutex_t mu;
    purr_datum **slots;          /* open addressing by purr_datum_hash */
    size_t cap, n;               /* cap is a power of two, or 0 */
} interned = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static void
intern_put(purr_datum **slots, size_t cap, purr_datum *d)
{
    size_t i = (size_t)purr_datum_hash(d) & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = d;
}

/* The interned copy of d (non-scalar), made on first use. */
static const purr_datum *
intern(const purr_datum *d)
{
    uint64_t h = purr_datum_hash(d);
    pthread_mutex_lock(&interned.mu);
    if (interned.cap) {
        for (size_t i = (size_t)h & (interned.cap - 1); interned.slots[i];
             i = (i + 1) & (interned.cap - 1)) {
            if (purr_datum_equal(interned.slots[i], d)) {
                const purr_datum *hit = interned.slots[i];
                pthread_mutex_unlock(&interned.mu);
                return hit;
            }
        }
    }
    if (2 * (interned.n + 1) > interned.cap) {
        size_t cap = interned.cap ? 2 * interned.cap : 16;
        purr_datum **slots = purr__calloc(cap, sizeof *slots);
        for (size_t i = 0; i < interned.cap; i++)
            if (interned.slots[i])
                intern_put(slots, cap, interned.slots[i]);
        free(interned.slots);
        interned.slots = slots;
        interned.cap = cap;
    }
    purr_datum *copy = purr__malloc(sizeof *copy);
    *copy = purr_datum_copy(d);
    intern_put(interned.slots, interned.cap, copy);
    interned.n++;
    pthread_mutex_unlock(&interned.mu);
    return copy;
}

/* A match comparing with *d: scalars are kept whole in ref_, other datums
 * as a shallow ref_ over their interned copy. */
static purr_match
ref_match(purr_pred_fn fn, const purr_datum *d, uint32_t flags)
{
    PURR_API_CHECK(d != NULL, "datum is NULL");
    purr_match m = {.fn = fn, .flags_ = PURR__M_REF | flags};
    m.ref_ = purr__datum_is_scalar(d) ? *d : *intern(d);
    return m;
}

purr_match
purr_match_equal(const purr_datum *d)
{
    return ref_match(equal_pred, d, 0);
}

purr_match
purr_match_cmp(purr_match_op op, const purr_datum *d)
{
    PURR_API_CHECK(op >= PURR_MATCH_LT && op <= PURR_MATCH_GE,
                   "purr_match_cmp: unknown operator");
    return ref_match(cmp_pred, d, (uint32_t)op << PURR__M_OP_SHIFT);
}

purr_match
purr_match_pred(purr_pred_fn fn, void *arg)
{
    return (purr_match){.fn = fn, .arg = arg};
}

purr_match
purr_match_trans(purr_trans_pred_fn tfn, void *arg)
{
    return (purr_match){.tfn = tfn, .arg = arg};
}

purr_match
purr_match_field(const char *name, purr_match m)
{
    PURR_API_CHECK(name != NULL, "purr_match_field: NULL name");
    PURR_API_CHECK(!(m.flags_ & PURR__M_FIELD),
                   "purr_match_field: a match already has a field");
    m.flags_ |= PURR__M_FIELD;
    m.field_ = name;
    return m;
}

static int field_index(const purr_value *v, const char *name);

bool
purr__match_bind(purr_match *m, const purr_value *v, const char *func)
{
    uint32_t f = m->flags_;
    if (__builtin_expect(!f, 1) || (f & PURR__M_BOUND))
        return false;
    if (f & PURR__M_FIELD) {
        int i = field_index(v, m->field_);
        if (i < 0)
            purr__panic(__FILE__, __LINE__, func,
                        "purr_match_field: value '%s' has no field '%s' "
                        "(fields are named by purr_value_open_compose)",
                        v->name, m->field_);
        m->field_index_ = i;
    }
    if (f & PURR__M_REF)
        m->arg = m;
    m->flags_ = f | PURR__M_BOUND;
    return true;
}

void
purr__match_unbind(purr_match *m)
{
    m->flags_ &= ~(uint32_t)PURR__M_BOUND;
}

/* Does x satisfy a value waiter (m, and differing from *not_equal)? */
static inline bool
value_matches(const purr__vwaiter *w, const purr_datum *x)
{
    return purr__match_value(w->m, w->not_equal, x);
}

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

/* capture's general case. A tuple of scalars replacing a tuple of scalars
 * of the same length reuses the slot's storage: composed values are such
 * tuples, and each of their waiters captures every transition. */
static void
capture_slow(purr_datum *slot, const purr_datum *d)
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

/* Makes *slot (owned) a copy of d, which every waiter that matches a set
 * does: scalars inline, the rest in capture_slow. */
static inline void
capture(purr_datum *slot, const purr_datum *d)
{
    if (purr__datum_is_scalar(d) && purr__datum_is_scalar(slot))
        *slot = *d;
    else
        capture_slow(slot, d);
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
            bool ok = value_matches(vw, &v->cur);
            if (vw->kind == PURR__W_HOLD) {
                if (!ok) { /* the hold is broken */
                    purr__waitq_remove(w);
                    purr__timer_disarm(loop, &vw->hold);
                    purr__wake(w->task, PURR__HOLD_BROKEN);
                }
            } else if (ok) {
                capture(&vw->got, &v->cur);
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
        bool ok = value_matches(vw, &v->cur);
        if (vw->kind == PURR__W_HOLD) {
            vw->wake = !ok; /* the hold is broken */
        } else if (ok) {
            capture(&vw->got, &v->cur);
            if (!vw->matched)
                vw->matched = vw->wake = true;
        }
    }
    for (w = purr__waitq_head(&v->waiters); w; w = w->next) {
        purr__vwaiter *vw = (purr__vwaiter *)w;
        if (vw->kind != PURR__W_TRANS || !trans_matches(vw, &v->cur, &old))
            continue;
        capture(&vw->got, &v->cur);
        capture(&vw->got_old, &old);
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

/* As purr_value_set, taking ownership of *d (left nil). */
static int
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

/* ---------------------------------------------------------------------- */
/* Waiting                                                                 */
/* ---------------------------------------------------------------------- */

static void
vwaiter_cancel(purr__waiter *w)
{
    purr__vwaiter *vw = (purr__vwaiter *)w;
    purr__waitq_remove(w);
    if (purr__timer_armed(&vw->hold))
        purr__timer_disarm(vw->v->loop, &vw->hold);
}

static void
hold_done(purr__timer *t)
{
    purr__vwaiter *vw =
        (purr__vwaiter *)((char *)t - offsetof(purr__vwaiter, hold));
    /* purr: the value current when the hold completes is returned. */
    capture(&vw->got, &vw->v->cur);
    purr__waitq_remove(&vw->w);
    purr__wake(vw->w.task, PURR__HOLD_DONE);
}

static void
vwaiter_init(purr__vwaiter *vw, purr_value *v, purr_task *self, int kind,
             const purr_match *m, const purr_datum *not_equal)
{
    /* Field by field rather than memset: this runs on every wait. */
    vw->w.prev = vw->w.next = NULL;
    vw->w.q = NULL;
    vw->w.task = self;
    vw->w.data = NULL;
    vw->w.on_cancel = vwaiter_cancel;
    vw->v = v;
    vw->kind = kind;
    vw->m = m;
    vw->not_equal = not_equal;
    vw->matched = vw->wake = false;
    vw->got = purr__datum_nil();
    vw->got_old = purr__datum_nil();
    purr__timer_init(&vw->hold, hold_done);
}

int
purr__value_wait(purr_value *v, purr_match m, const purr_datum *not_equal,
                 bool unmatched, purr_time held_for, purr_datum *out)
{
    purr_task *self = purr__self("purr_value_wait");
    purr__vwaiter probe;
    /* m lives in this call's argument area, for the whole wait: bind it
     * there (a copy that dies with the call needs no unbinding). */
    if (__builtin_expect(m.flags_ != 0, 0))
        purr__match_bind(&m, v, "purr_value_wait");
    probe.m = &m;
    probe.not_equal = not_equal;
    for (;;) {
        if (unmatched || !value_matches(&probe, &v->cur)) {
            unmatched = false;
            purr__vwaiter w;
            vwaiter_init(&w, v, self, PURR__W_VALUE, &m, not_equal);
            purr__waitq_push(&v->waiters, &w.w);
            int rc = purr__park(&w.w, true, "value", v);
            purr__waitq_remove(&w.w); /* still queued if woken by a match */
            if (rc < 0 || held_for <= 0) {
                if (rc < 0)
                    purr__datum_free(&w.got);
                else if (out)
                    *out = w.got;
                else
                    purr__datum_free(&w.got);
                return rc < 0 ? rc : 0;
            }
            purr__datum_free(&w.got);
            /* The hold starts when the waiter sees the match: now, if the
             * value still matches; otherwise wait again. */
            if (!value_matches(&probe, &v->cur))
                continue;
        } else if (held_for <= 0) {
            purr_datum seen = purr__datum_copy(&v->cur);
            int rc = purr_checkpoint();
            if (rc < 0) {
                purr__datum_free(&seen);
                return rc;
            }
            if (out)
                *out = seen;
            else
                purr__datum_free(&seen);
            return 0;
        }
        /* Hold: park until held_for passes or a set breaks the match. */
        purr__vwaiter h;
        vwaiter_init(&h, v, self, PURR__W_HOLD, &m, not_equal);
        purr_time now = purr_now();
        /* now + held_for, saturated (held_for > 0 here; now may be < 0) */
        purr_time deadline = now > PURR_TIME_NEVER - held_for
                                 ? PURR_TIME_NEVER
                                 : now + held_for;
        purr__waitq_push(&v->waiters, &h.w);
        if (deadline != PURR_TIME_NEVER) /* a hold for ever never ends */
            purr__timer_arm(v->loop, &h.hold, deadline);
        int rc = purr__park(&h.w, true, "value (held)", v);
        if (rc < 0)
            return rc; /* vwaiter_cancel unlinked it and its timer */
        if (rc == PURR__HOLD_DONE) {
            if (out)
                *out = h.got;
            else
                purr__datum_free(&h.got);
            return 0;
        }
        purr__datum_free(&h.got); /* broken: start over */
    }
}

/* Starts loading what resuming the task after the next one to run will
 * touch: its struct's parking line and the frames from its saved stack
 * pointer up (ten lines: about 600 bytes of them for a task parked in
 * purr_eventual_next). When a set has woken many iterating tasks, each one
 * parking here brings in the stack of the one that runs after its
 * successor. A hint only: no effect on what runs. */
static inline void
prefetch_after_next(purr_loop *loop)
{
#ifndef PURR_CTX_UCONTEXT
    purr_task *next = loop->run_head;
    purr_task *t = next ? next->run_next : NULL;
    if (!t)
        return;
    const char *sp = (const char *)((uintptr_t)t->ctx.sp & ~(uintptr_t)63);
    for (int i = 0; i < 10; i++)
        __builtin_prefetch(sp + 64 * i, 1);
    __builtin_prefetch((const char *)t + 64, 1);
#else
    (void)loop;
#endif
}

int
purr__value_wait_changed(purr_value *v, const purr_match *m,
                         const purr_datum *not_equal, purr_datum *out)
{
    /* purr__value_wait(v, m, not_equal, true, 0, out), with one waiter in
     * a small frame: what an eventual iterator parks through between items,
     * so the stack its task resumes on spans fewer cache lines. */
    purr_task *self = purr__self("purr_value_wait");
    purr__vwaiter w;
    vwaiter_init(&w, v, self, PURR__W_VALUE, m, not_equal);
    purr__waitq_push(&v->waiters, &w.w);
    prefetch_after_next(v->loop);
    int rc = purr__park(&w.w, true, "value", v);
    purr__waitq_remove(&w.w); /* still queued if woken by a match */
    if (rc < 0) {
        purr__datum_free(&w.got);
        return rc;
    }
    *out = w.got;
    return 0;
}

int
purr_value_wait(purr_value *v, purr_match m, purr_time held_for,
                purr_datum *out)
{
    return purr__value_wait(v, m, NULL, false, held_for, out);
}

int
purr_value_wait_transition(purr_value *v, purr_match m, purr_datum *new_out,
                           purr_datum *old_out)
{
    purr_task *self = purr__self(__func__);
    bool bound = purr__match_bind(&m, v, __func__);
    purr__vwaiter w;
    vwaiter_init(&w, v, self, PURR__W_TRANS, &m, NULL);
    purr__waitq_push(&v->waiters, &w.w);
    v->ntrans_waiters++;
    int rc = purr__park(&w.w, true, "value transition", v);
    v->ntrans_waiters--; /* off the queue now, whatever woke it */
    purr__waitq_remove(&w.w);
    if (bound)
        purr__match_unbind(&m);
    if (rc < 0) {
        purr__datum_free(&w.got);
        purr__datum_free(&w.got_old);
        return rc;
    }
    if (new_out)
        *new_out = w.got;
    else
        purr__datum_free(&w.got);
    if (old_out)
        *old_out = w.got_old;
    else
        purr__datum_free(&w.got_old);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Derived values                                                          */
/* ---------------------------------------------------------------------- */

static void
deps_add(purr_value *src, purr__derived *dv)
{
    if (src->ndeps == src->deps_cap) {
        size_t cap = src->deps_cap ? src->deps_cap * 2 : 4;
        src->deps = purr__realloc(src->deps, cap * sizeof *src->deps);
        src->deps_cap = cap;
    }
    src->deps[src->ndeps++] = dv;
}

static void
deps_remove(purr_value *src, purr__derived *dv)
{
    for (size_t i = 0; i < src->ndeps; i++) {
        if (src->deps[i] == dv) {
            memmove(&src->deps[i], &src->deps[i + 1],
                    (src->ndeps - i - 1) * sizeof *src->deps);
            src->ndeps--;
            return;
        }
    }
}

/* Computes the derived datum from the sources' current values. */
static purr_datum
derived_compute(purr__derived *dv)
{
    purr_datum out = purr__datum_nil();
    if (!dv->compose) {
        dv->fn(&dv->srcs[0]->cur, &out, dv->arg);
        return out;
    }
    /* A shallow tuple over the sources' datums: nothing is copied unless
     * the result is kept. */
    purr_datum *items = dv->scratch;
    for (size_t i = 0; i < dv->n; i++)
        items[i] = dv->srcs[i]->cur;
    purr_datum tuple;
    memset(&tuple, 0, sizeof tuple);
    tuple.type = PURR_T_TUPLE;
    tuple.len = (uint32_t)dv->n;
    tuple.u.items = items;
    if (dv->fn)
        dv->fn(&tuple, &out, dv->arg);
    else
        out = purr_datum_copy(&tuple);
    return out;
}

static void
derived_update(purr__derived *dv)
{
    purr_datum d = derived_compute(dv);
    set_owned(dv->dst, &d);
}

static purr_value *
derived_open(const char *name, purr_value *const *srcs,
             const char *const *names, size_t n, purr_transform_fn fn,
             void *arg, bool compose)
{
    PURR_API_CHECK(n > 0 && srcs != NULL, "derived value without sources");
    purr__derived *dv = purr__calloc(1, sizeof *dv);
    dv->compose = compose;
    dv->n = n;
    dv->fn = fn;
    dv->arg = arg;
    dv->srcs = purr__malloc(n * sizeof *dv->srcs);
    memcpy(dv->srcs, srcs, n * sizeof *dv->srcs);
    dv->scratch = purr__calloc(n, sizeof *dv->scratch);
    if (names) {
        dv->names = purr__calloc(n, sizeof *dv->names);
        for (size_t i = 0; i < n; i++) {
            const char *s = names[i] ? names[i] : "";
            size_t len = strlen(s);
            dv->names[i] = purr__malloc(len + 1);
            memcpy(dv->names[i], s, len + 1);
        }
    }
    purr_loop *loop = srcs[0]->loop;
    purr_value *v = purr__value_create(loop, name, PURR_ROLE_INTERNAL,
                                       PURR_T_NIL, derived_compute(dv));
    dv->dst = v;
    v->derivation = dv;
    for (size_t i = 0; i < n; i++) {
        PURR_API_CHECK(srcs[i]->loop == loop,
                       "derived value over values of different loops");
        deps_add(srcs[i], dv);
    }
    return v;
}

purr_value *
purr_value_open_transform(purr_value *src, const char *name,
                          purr_transform_fn fn, void *arg)
{
    PURR_API_CHECK(fn != NULL, "purr_value_open_transform: NULL fn");
    /* trio-util shares one derived value per (source, function): a second
     * open with the same fn and arg gets the value the first one made, so
     * fn runs once per transition whatever the number of users. Searching
     * src's dependants is lookup only: the order of deps is registration
     * order, never addresses. */
    for (size_t i = 0; i < src->ndeps; i++) {
        purr__derived *dv = src->deps[i];
        if (!dv->compose && dv->fn == fn && dv->arg == arg) {
            dv->dst->users++;
            return dv->dst;
        }
    }
    purr_value *v = derived_open(name, &src, NULL, 1, fn, arg, false);
    v->users = 1;
    return v;
}

purr_value *
purr_value_open_compose(const char *name, purr_value *const *srcs,
                        const char *const *names, size_t n,
                        purr_transform_fn fn, void *arg)
{
    return derived_open(name, srcs, names, n, fn, arg, true);
}

int
purr_value_field(const purr_value *composed, const char *name)
{
    return field_index(composed, name);
}

static int
field_index(const purr_value *composed, const char *name)
{
    const purr__derived *dv = composed->derivation;
    if (!dv || !dv->compose)
        return -1;
    for (size_t i = 0; i < dv->n; i++)
        if (dv->names && strcmp(dv->names[i], name) == 0)
            return (int)i;
    return -1;
}

void
purr_value_detach(purr_value *v)
{
    purr__derived *dv = v->derivation;
    if (!dv)
        return;
    PURR_API_CHECK(v->users <= 1,
                   "purr_value_detach: the transform is shared by other "
                   "users, for whom it would stop following its source "
                   "(each user ends its own use with purr_value_free)");
    for (size_t i = 0; i < dv->n; i++)
        deps_remove(dv->srcs[i], dv);
    if (dv->names) {
        for (size_t i = 0; i < dv->n; i++)
            free(dv->names[i]);
        free(dv->names);
    }
    free(dv->scratch);
    free(dv->srcs);
    free(dv);
    v->derivation = NULL;
}
