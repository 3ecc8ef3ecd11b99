/* value_int.h - private structures of the AsyncValue family.
 *
 * Shared by value.c (values, waits, derived values), value_iter.c
 * (iterators, periodic, RepeatedEvent) and combinators.c. */
#ifndef PURR_VALUE_INT_H
#define PURR_VALUE_INT_H

#include "core_int.h"
#include "purr/value.h"

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
    purr__derived **deps;      /* values derived from this one, in order */
    size_t ndeps, deps_cap;
    purr__derived *derivation; /* how this value is derived, or NULL */
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
    purr_match m;              /* the predicate */
    const purr_datum *not_equal; /* also require value != this (iters) */
    bool matched;              /* woken, still capturing (rule 4) */
    bool wake;                 /* to be woken by the set in progress */
    purr_datum got, got_old;   /* captured (new, old), owned */
    purr__timer hold;          /* held_for deadline (PURR__W_HOLD) */
} purr__vwaiter;

/* wait_value with an extra "differs from *not_equal" condition (used by
 * eventual values so that consecutive items never repeat). */
int purr__value_wait(purr_value *v, purr_match m, const purr_datum *not_equal,
                     purr_time held_for, purr_datum *out);
bool purr__match_value(purr_match m, const purr_datum *not_equal,
                       const purr_datum *x);
/* Creates a value holding initial (owned). */
purr_value *purr__value_create(purr_loop *loop, const char *name,
                               purr_role role, purr_type type,
                               purr_datum initial);

#endif /* PURR_VALUE_INT_H */
