/* value_match.c - matches: the predicates that value waits and iterators
 * test.
 *
 * A purr_match is a small struct the caller builds with the purr_match_*
 * helpers and passes by value. It stays a plain value until a wait or an
 * iterator binds it (purr__match_bind): then its field name is resolved
 * against the value waited on, and a reference match points its arg at
 * itself. The inline halves used on every set (purr__match_value,
 * purr__match_subject) are in value_int.h; this file holds the rest. */
#include "core_int.h"
#include "purr/value.h"
#include "value_int.h"

#include <pthread.h>
#include <string.h>

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


bool
purr__match_bind(purr_match *m, const purr_value *v, const char *func)
{
    uint32_t f = m->flags_;
    if (__builtin_expect(!f, 1) || (f & PURR__M_BOUND))
        return false;
    if (f & PURR__M_FIELD) {
        int i = purr_value_field(v, m->field_);
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
