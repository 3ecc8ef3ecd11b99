/* value_int.h - private structures of the AsyncValue family.
 *
 * Shared by value.c (values, setting), value_wait.c (waits),
 * value_match.c (matches), value_derived.c (transforms and compositions),
 * value_iter.c (iterators, periodic, RepeatedEvent) and combinators.c. */
#ifndef PURR_VALUE_INT_H
#define PURR_VALUE_INT_H

#include "core_int.h"
#include "datum_int.h"
#include "purr/value.h"

#include <string.h>

typedef struct purr__derived purr__derived;

struct purr_value {
    purr_loop *loop;           /* owning loop */
    char *name;                /* copied at creation */
    purr_role role;            /* input, output, internal */
    purr_type type;            /* declared type; NIL accepts any */
    purr_datum cur;            /* current datum (owned) */
    uint64_t id;               /* creation order in the loop */
    uint64_t ntransitions;     /* transitions so far */
    uint64_t last_seq;         /* loop-wide number of the last transition */
    purr_time changed_at;      /* loop time of the last transition */
    purr_waitq waiters;        /* every waiter (value, hold, transition),
                                  in the order it began to wait */
    size_t ntrans_waiters;     /* how many of them are transition waits:
                                  counted by purr_value_wait_transition
                                  around its park, so a set skips that
                                  pass when there are none */
    purr__derived **deps;      /* values derived from this one, in order */
    size_t ndeps, deps_cap;
    purr__derived *derivation; /* how this value is derived, or NULL */
    uint32_t users;            /* a transform: the opens sharing it (each
                                  purr_value_open_transform of the same
                                  (src, fn, arg) counts one, each free drops
                                  one); 0 for other values */
    uint32_t tap_epoch;        /* loop->tap_epoch once the tap met it */
};

/* A derived value's recipe: a transform (n == 1) or a composition. */
struct purr__derived {
    purr_value *dst;           /* the derived value */
    purr_value **srcs;         /* its sources, in tuple order */
    size_t n;
    char **names;              /* field names (compositions), or NULL */
    purr_transform_fn fn;      /* transform, or NULL for a plain tuple */
    void *arg;
    purr_datum *scratch;       /* n slots for the shallow tuple */
    bool compose;              /* a composition (result is a tuple) */
};

enum {
    PURR__W_VALUE = 1,         /* wait_value: wake on a match */
    PURR__W_HOLD,              /* held_for: wake when the match breaks */
    PURR__W_TRANS              /* wait_transition */
};

/* Wake codes of value waits (positive: never confused with errors). */
enum { PURR__HOLD_DONE = 1, PURR__HOLD_BROKEN = 2 };

/* One waiting task, on its stack. w must stay the first member. */
typedef struct purr__vwaiter {
    purr__waiter w;            /* queue node; on_cancel unlinks */
    purr_value *v;             /* the value waited on */
    int kind;                  /* PURR__W_* */
    const purr_match *m;       /* the predicate: in the frame of the wait
                                  (or in the iterator), which outlives
                                  the waiter; a pointer keeps parked
                                  waiters' frames small */
    const purr_datum *not_equal; /* also require value != this (iters) */
    bool matched;              /* woken, still capturing (rule 4) */
    bool wake;                 /* to be woken by the set in progress */
    purr_datum got, got_old;   /* captured (new, old), owned */
    purr__timer hold;          /* held_for deadline (PURR__W_HOLD) */
} purr__vwaiter;

/* Datum fast paths. Sets and waits mostly carry scalars, for which the
 * datum functions reduce to a struct copy or a field compare; these do that
 * inline and call the general functions only for strings, bytes and
 * tuples, with exactly the same results (purr_datum_copy of a scalar is a
 * plain copy, and purr_datum_free of one only resets it to nil).
 * purr__datum_nil is in datum_int.h. */

/* Owns no storage: nil, bool, int or double. */
static inline bool
purr__datum_is_scalar(const purr_datum *d)
{
    return d->type <= PURR_T_DOUBLE;
}

/* Equality of two scalars of the same type (bitwise for doubles, as
 * purr_datum_equal). */
static inline bool
purr__scalar_equal(const purr_datum *a, const purr_datum *b)
{
    switch (a->type) {
    case PURR_T_BOOL:
        return a->u.b == b->u.b;
    case PURR_T_INT:
        return a->u.i == b->u.i;
    case PURR_T_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    default: /* nil */
        return true;
    }
}

/* purr_datum_equal, with scalars and the items of tuples (the datums of
 * composed values, which every eventual waiter compares with its last
 * item on every set) compared inline. */
static inline bool
purr__datum_equal(const purr_datum *a, const purr_datum *b)
{
    if (a->type != b->type)
        return false;
    if (purr__datum_is_scalar(a))
        return purr__scalar_equal(a, b);
    if (a->type != PURR_T_TUPLE)
        return purr_datum_equal(a, b);
    if (a->len != b->len)
        return false;
    for (uint32_t i = 0; i < a->len; i++) {
        const purr_datum *x = &a->u.items[i], *y = &b->u.items[i];
        if (x->type != y->type)
            return false;
        if (purr__datum_is_scalar(x) ? !purr__scalar_equal(x, y)
                                     : !purr_datum_equal(x, y))
            return false;
    }
    return true;
}

static inline purr_datum
purr__datum_copy(const purr_datum *d)
{
    return purr__datum_is_scalar(d) ? *d : purr_datum_copy(d);
}

static inline void
purr__datum_free(purr_datum *d)
{
    if (purr__datum_is_scalar(d))
        *d = purr__datum_nil();
    else
        purr_datum_free(d);
}

/* purr_match.flags_. A match made by the helpers is a plain value until a
 * wait or iterator binds it (purr__match_bind): then arg points at the
 * bound match itself (whose ref_ the predicate compares with) and
 * field_index_ holds the resolved field. */
enum {
    PURR__M_REF = 1u,       /* ref_ holds a datum (equal, cmp) */
    PURR__M_FIELD = 2u,     /* apply to the field named field_ */
    PURR__M_BOUND = 4u      /* resolved for a wait (arg, field_index_) */
};
#define PURR__M_OP_SHIFT 8  /* purr_match_cmp's op, in bits 8-11 */

/* The datum m's predicate sees for x: x, or its field, or NULL when x has
 * no such field (then nothing matches). */
static inline const purr_datum *
purr__match_subject(const purr_match *m, const purr_datum *x)
{
    if (__builtin_expect(!(m->flags_ & PURR__M_FIELD), 1))
        return x;
    if (x->type != PURR_T_TUPLE || (uint32_t)m->field_index_ >= x->len)
        return NULL;
    return &x->u.items[m->field_index_];
}

/* Does x satisfy m and differ from *not_equal (when not NULL)? Always
 * inline: every set runs it for each value waiter, and a wait for each
 * look at the value (value_wait.c is too small a unit for GCC to choose
 * that by itself). */
static inline __attribute__((always_inline)) bool
purr__match_value(const purr_match *m, const purr_datum *not_equal,
                  const purr_datum *x)
{
    if (not_equal && purr__datum_equal(x, not_equal))
        return false;
    if (!m->fn)
        return !(m->flags_ & PURR__M_FIELD) || purr__match_subject(m, x);
    const purr_datum *y = purr__match_subject(m, x);
    return y && m->fn(y, m->arg);
}

/* Does x satisfy a value waiter (m, and differing from *not_equal)? */
static inline __attribute__((always_inline)) bool
purr__vwaiter_matches(const purr__vwaiter *w, const purr_datum *x)
{
    return purr__match_value(w->m, w->not_equal, x);
}

/* Makes *m ready for a wait on v (func names the caller for messages):
 * resolves a field name and points arg at *m, which must stay put until
 * purr__match_unbind. Returns true if it did bind (the caller unbinds),
 * false for a match that needed nothing or was bound already (by an
 * iterator, which outlives the wait). */
bool purr__match_bind(purr_match *m, const purr_value *v, const char *func);
/* Ends what purr__match_bind began. */
static inline void
purr__match_unbind(purr_match *m)
{
    m->flags_ &= ~(uint32_t)PURR__M_BOUND;
}

/* wait_value with an extra "differs from *not_equal" condition (used by
 * eventual values so that consecutive items never repeat). unmatched: the
 * caller has just found that v does not match, so the wait parks without
 * evaluating the predicate again. */
int purr__value_wait(purr_value *v, purr_match m, const purr_datum *not_equal,
                     bool unmatched, purr_time held_for, purr_datum *out);
/* purr__value_wait(v, m, not_equal, true, 0, out) for a caller that has
 * just found v unmatched: parks until a set matches; *out gets the datum
 * captured (owned). */
int purr__value_wait_changed(purr_value *v, const purr_match *m,
                             const purr_datum *not_equal, purr_datum *out);
/* purr__capture's general case (value.c), out of line. */
void purr__capture_slow(purr_datum *slot, const purr_datum *d);

/* Makes *slot (owned) a copy of d, which every waiter that matches a set
 * does (value.c's transition, value_wait.c's hold): scalars inline, the
 * rest in purr__capture_slow. */
static inline void
purr__capture(purr_datum *slot, const purr_datum *d)
{
    if (purr__datum_is_scalar(d) && purr__datum_is_scalar(slot))
        *slot = *d;
    else
        purr__capture_slow(slot, d);
}

/* Computes a derived value's datum from its sources' current values
 * (value_derived.c; value.c's transition calls it for each dependant). */
purr_datum purr__derived_compute(purr__derived *dv);
/* Creates a value holding initial (owned). */
purr_value *purr__value_create(purr_loop *loop, const char *name,
                               purr_role role, purr_type type,
                               purr_datum initial);

#endif /* PURR_VALUE_INT_H */
