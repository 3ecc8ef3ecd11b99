/* purr/value.h - the AsyncValue family: values that tasks wait on.
 *
 * A purr_value is a named, typed datum living in a loop. Setting it to a
 * different datum is a *transition*: numbered, stamped with the loop's time,
 * delivered to the observer hook, and it wakes the tasks waiting on it.
 * Setting an equal datum does nothing at all. The semantics follow
 * trio-util's AsyncValue rule by rule (docs/values.md is the tour); where purr
 * departs from trio-util it says "purr:" below.
 *
 * Rules that hold for the whole family:
 * - Equality is bitwise (purr_datum_equal): NaN equals a NaN with the same
 *   bits, -0.0 differs from 0.0. So "changed" is exact and replayable.
 * - purr_value_set never blocks and is not a checkpoint. Inside it,
 *   synchronously: value waiters' predicates run, then transition waiters'
 *   predicates, then derived values (transforms, compositions) update, each
 *   in registration order. Woken tasks run after the setter's next
 *   checkpoint. Predicates and transforms must not set values or block.
 * - Several sets before a woken waiter runs: it receives the LAST value (or
 *   (new, old) pair) that matched ITS OWN predicate, which need not be the
 *   current value (12 then 3 in one step: wait_value(v >= 10) returns 12).
 * - purr: several waiters woken by one set run in the order in which they
 *   began to wait, whatever their kind (value, held or transition waits;
 *   trio-util: unspecified). With the loop's shuffle option the scheduler
 *   permutes them like any batch.
 * - Every wait is a checkpoint: in a cancelled scope it returns
 *   PURR_ECANCELED, and a cancelled waiter leaves no trace on the value (its
 *   predicate is never evaluated again). A waiter that was woken and then
 *   cancelled in the same step still returns its value.
 * - Deadlines come from cancel scopes (purr_move_on_after ...), never from
 *   parameters.
 * - Datums handed out through `out` parameters are copies owned by the
 *   caller (free them with purr_datum_free; scalars need no freeing but it is
 *   always safe). Pointers returned by peek/next functions are borrowed, as
 *   each function says.
 */
#ifndef PURR_VALUE_H
#define PURR_VALUE_H

#include "purr/core.h"
#include "purr/datum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Values                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct purr_value purr_value;

/* Roles. Numbers are fixed: recordings store them. */
typedef enum purr_role {
    PURR_ROLE_INPUT = 1,    /* set from outside (sensors, replay) */
    PURR_ROLE_OUTPUT = 2,   /* set by behaviours; compared in replay */
    PURR_ROLE_INTERNAL = 3  /* derived or private state */
} purr_role;

/* Creates a value in loop with a name (copied), a role and a type. initial
 * (copied) may be NULL: the type's zero (false, 0, 0.0, "", empty bytes,
 * empty tuple, nil). A value of type PURR_T_NIL accepts datums of any type.
 * May be called outside purr_run. Emits PURR_EV_VALUE_CREATED.
 * Returns NULL when initial's type does not match type. */
PURR_API purr_value *purr_value_new(purr_loop *loop, const char *name,
                                    purr_role role, purr_type type,
                                    const purr_datum *initial);

/* AsyncBool: a bool value, false by default. */
PURR_API purr_value *purr_value_new_bool(purr_loop *loop, const char *name,
                                         purr_role role);

/* Frees v (NULL accepted). A derived value stops following its sources
 * first; a transform shared by several users (purr_value_open_transform)
 * only loses this user's share until the last one frees it. Freeing a value that still has waiting tasks or derived values
 * depending on it is misuse. Emits PURR_EV_VALUE_CLOSED. */
PURR_API void purr_value_free(purr_value *v);

/* The current datum, borrowed until the value's next transition. */
PURR_API const purr_datum *purr_value_peek(const purr_value *v);

PURR_API const char *purr_value_name(const purr_value *v);
PURR_API purr_role purr_value_role(const purr_value *v);
PURR_API purr_type purr_value_type(const purr_value *v);
PURR_API purr_loop *purr_value_loop(const purr_value *v);
/* Creation order in the loop, from 1. Stable across runs. */
PURR_API uint64_t purr_value_id(const purr_value *v);
/* Number of transitions so far. */
PURR_API uint64_t purr_value_transitions(const purr_value *v);
/* Transitions of every value of loop so far: the value_seq of the last
 * one (transitions are numbered from 1 per loop, without gaps). */
PURR_API uint64_t purr_loop_transitions(const purr_loop *loop);
/* Loop time of the last transition (or of creation). */
PURR_API purr_time purr_value_changed_at(const purr_value *v);

/* Sets v to d (copied). Not a checkpoint; never blocks; callable from any
 * task or from a posted function on the loop thread.
 * Returns 1 for a transition, 0 when d equals the current datum (nothing
 * happens at all), PURR_ETYPE when d's type differs from v's type. */
PURR_API int purr_value_set(purr_value *v, const purr_datum *d);
/* Shorthands for scalar sets. */
PURR_API int purr_value_set_bool(purr_value *v, bool b);
PURR_API int purr_value_set_int(purr_value *v, int64_t i);
PURR_API int purr_value_set_double(purr_value *v, double d);
PURR_API int purr_value_set_string(purr_value *v, const char *s);

/* Thread-safe set, for another thread feeding a loop (typically on the real
 * clock): d is copied now and set on the loop thread, in the order of the
 * calls, through purr_loop_post (the observer sees it with task_id 0).
 * Returns 0, or PURR_ENOMEM when the set could not be queued (nothing will
 * be set; copying d's own storage panics on out-of-memory, as every datum
 * copy does). A type mismatch is found only on the loop thread, where the
 * set is then dropped. */
PURR_API int purr_value_set_threadsafe(purr_value *v, const purr_datum *d);

/* ---------------------------------------------------------------------- */
/* Predicates                                                              */
/* ---------------------------------------------------------------------- */

typedef bool (*purr_pred_fn)(const purr_datum *value, void *arg);
typedef bool (*purr_trans_pred_fn)(const purr_datum *new_value,
                                   const purr_datum *old_value, void *arg);

/* What a wait matches. Build it with the helpers below. For value waits
 * only fn applies; for transition waits tfn (new, old) if set, else fn on
 * the new value. Both NULL: anything matches. A match is a small value,
 * passed and copied by value, that needs no closing; a field name is
 * resolved when the wait or iterator using it starts. */
typedef struct purr_match {
    purr_pred_fn fn;
    purr_trans_pred_fn tfn;
    void *arg;
    /* private: set by purr_match_equal, _cmp and _field */
    uint32_t flags_;            /* what the fields below hold */
    int32_t field_index_;       /* resolved by the wait from field_ */
    const char *field_;         /* purr_match_field's name */
    purr_datum ref_;            /* purr_match_equal / _cmp's datum (a
                                   scalar, or over an interned copy) */
} purr_match;

/* Matches anything. */
PURR_API purr_match purr_match_any(void);

/* Matches a datum equal to *d (bitwise, as purr_datum_equal).
 * Ownership: the match owns what it compares with; d is only read here and
 * may be freed, changed or go out of scope at once (a helper may build a
 * string on its stack and return a match for it). A scalar is kept inside
 * the match; a string, bytes or tuple is interned: one copy per distinct
 * datum, kept for the life of the process and shared by every match of an
 * equal datum (so matching against ever new strings grows the process).
 * (trio-util: any Python value, kept alive by reference.) */
PURR_API purr_match purr_match_equal(const purr_datum *d);

/* Comparison operators of purr_match_cmp. */
typedef enum purr_match_op {
    PURR_MATCH_LT = 3,   /* value <  d */
    PURR_MATCH_LE = 4,   /* value <= d */
    PURR_MATCH_GT = 5,   /* value >  d */
    PURR_MATCH_GE = 6    /* value >= d */
} purr_match_op;

/* Matches a value that compares with *d as op says: ints and doubles
 * compare numerically with each other (an int with a double as doubles;
 * a NaN matches nothing); other types only with a datum of the same type,
 * in purr_datum_compare's order (strings, bytes: bytewise; tuples:
 * item by item); a value of another type never matches. d as for
 * purr_match_equal. The lambda of trio-util's `wait_value(lambda v: v > 3)`
 * in one call: purr_match_cmp(PURR_MATCH_GT, &three). */
PURR_API purr_match purr_match_cmp(purr_match_op op, const purr_datum *d);

/* Matches when fn(value, arg) is true. */
PURR_API purr_match purr_match_pred(purr_pred_fn fn, void *arg);
/* Matches a transition when tfn(new, old, arg) is true. */
PURR_API purr_match purr_match_trans(purr_trans_pred_fn tfn, void *arg);

/* Applies m to one field of a composed value (purr_value_open_compose with
 * names), as trio-util's predicates read a namedtuple's field: `wait until
 * xy.x > 3 held for 1 s` is
 *     purr_value_wait(xy, purr_match_field("x",
 *                         purr_match_cmp(PURR_MATCH_GT, &three)), PURR_S, NULL)
 * m sees the field's datum (a transition predicate: the field's new and old
 * datums). The name is resolved once, when the wait or iterator starts
 * (name must be alive until then: usually a literal); a name the value has
 * no field of is misuse and aborts naming both. The other conditions of
 * the wait (held_for, eventual values' "differs from the last item") apply
 * to the whole value. */
PURR_API purr_match purr_match_field(const char *name, purr_match m);

/* ---------------------------------------------------------------------- */
/* Waiting                                                                 */
/* ---------------------------------------------------------------------- */

/* Checkpoint. Waits until v matches m:
 * - if v matches now, passes one checkpoint and returns the value it saw;
 * - else parks and returns the last value that matched before it ran;
 * - held_for > 0: the value must then keep matching for held_for ns. The
 *   hold starts when the waiter sees a match (at the call or when it
 *   resumes); any transition that makes m false restarts the whole wait,
 *   even if the value flips back before the waiter runs. purr: the value
 *   returned is the one current when the hold completes (trio-util returns
 *   the one seen at the start of the hold).
 * out (may be NULL) receives a copy. Returns 0.
 * Errors: PURR_ECANCELED (out untouched). */
PURR_API PURR_MUST_CHECK int purr_value_wait(purr_value *v, purr_match m, purr_time held_for,
                             purr_datum *out /* out */);

/* Checkpoint. Waits for the next transition matching m (always parks: the
 * current value never satisfies it). With a plain datum match, "a change
 * into this datum, whatever the old one was". new_out and old_out (each may
 * be NULL) receive copies of the last matching pair before the waiter ran.
 * Returns 0. Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_value_wait_transition(purr_value *v, purr_match m,
                                        purr_datum *new_out /* out */,
                                        purr_datum *old_out /* out */);

/* ---------------------------------------------------------------------- */
/* Iterators (caller-owned: open, next, close; no allocation per step)     */
/* ---------------------------------------------------------------------- */

/* Every iterator starts with this header; purr_iter_move_on_after and
 * purr_iter_fail_after set a timeout for each next() call (the
 * loop body is not covered): when a next() waits longer, the iteration ends
 * (PURR_ECLOSED) or fails (PURR_ETIMEDOUT). */
typedef struct purr_iter {
    purr_time timeout_ns;   /* per-next timeout, PURR_TIME_NEVER for none */
    bool fail;              /* ETIMEDOUT instead of ECLOSED on expiry */
    bool ended;             /* the iteration has ended */
} purr_iter;

PURR_API void purr_iter_move_on_after(purr_iter *it, purr_time timeout);
PURR_API void purr_iter_fail_after(purr_iter *it, purr_time timeout);

/* eventual_values, level-triggered. The first next returns the
 * current value at once, without a checkpoint, if it matches; else it waits
 * for a match. Each later next returns at once if the value has changed
 * since the last item and matches; else it waits for a matching value that
 * differs from the last item. A slow consumer skips intermediate values but
 * always ends on the latest; a change and change back while the body runs
 * (A->B->A) yields nothing. purr: consecutive items never repeat (trio-util
 * yields A twice when A->B->A happens in one step while it is parked; purr
 * yields B, then A, since B was the last match of that step that differs).
 * With held_for, each item must hold as in purr_value_wait, and the item is
 * the value current when the hold completes. */
typedef struct purr_eventual {
    purr_iter iter;          /* public: timeouts */
    /* private: */
    purr_value *v_;
    purr_match m_;
    purr_time held_for_;
    purr_datum last_;        /* the last item yielded */
    bool started_;
} purr_eventual;

PURR_API void purr_eventual_open(purr_eventual *it, purr_value *v,
                                 purr_match m, purr_time held_for);
/* Checkpoint, except when an item is available at once (the first, or a
 * change made while the loop body ran, without held_for): then it returns
 * without one. *item is borrowed until the next call or close. Returns 0;
 * PURR_ECANCELED; PURR_ECLOSED or PURR_ETIMEDOUT when a per-next timeout
 * expired (and on every later call: the iteration has ended). */
PURR_API PURR_MUST_CHECK int purr_eventual_next(purr_eventual *it,
                                const purr_datum **item /* out */);
PURR_API void purr_eventual_close(purr_eventual *it);

/* transitions, edge-triggered: (new, old) of the transitions that
 * happen while the consumer is parked in next. Transitions during the loop
 * body are dropped, including the last one (unlike eventual values): a slow
 * consumer misses what happened while it was busy, as in trio-util.
 * Several transitions before the consumer runs give one item (the last
 * matching pair). Listening starts at the first next. */
typedef struct purr_transitions {
    purr_iter iter;
    /* private: */
    purr_value *v_;
    purr_match m_;
    purr_datum new_, old_;
} purr_transitions;

PURR_API void purr_transitions_open(purr_transitions *it, purr_value *v,
                                    purr_match m);
/* Checkpoint. *new_value and *old_value (each may be NULL) are borrowed
 * until the next call or close. Errors as purr_eventual_next. */
PURR_API PURR_MUST_CHECK int purr_transitions_next(purr_transitions *it,
                                   const purr_datum **new_value /* out */,
                                   const purr_datum **old_value /* out */);
PURR_API void purr_transitions_close(purr_transitions *it);

/* periodic: the first item comes at once (elapsed 0, delta -1
 * meaning none); each next at the previous item's start + period. After an
 * overrun the schedule re-bases on the actual start: no catch-up burst and
 * no snapping to the grid (period 1 s with bodies of 0.3, 1.5, 0.3, 2.2 s
 * gives items at 0, 1.0, 2.5, 3.5, 5.7 s). */
typedef struct purr_periodic {
    purr_iter iter;
    /* private: */
    purr_time period_;
    purr_time first_start_, last_start_;
    bool started_;
} purr_periodic;

PURR_API void purr_periodic_open(purr_periodic *it, purr_time period);
/* Checkpoint, except the first call, which returns at once without one.
 * elapsed: ns since the first item; delta: ns since the previous item (-1
 * for the first). Errors as purr_eventual_next. */
PURR_API PURR_MUST_CHECK int purr_periodic_next(purr_periodic *it,
                                purr_time *elapsed /* out */,
                                purr_time *delta /* out */);
PURR_API void purr_periodic_close(purr_periodic *it);

/* ---------------------------------------------------------------------- */
/* Derived values                                                         */
/* ---------------------------------------------------------------------- */

/* Computes *out from in. out starts as nil; the function stores a new datum
 * in it (which the value then owns). Must not block or set values. */
typedef void (*purr_transform_fn)(const purr_datum *in, purr_datum *out,
                                  void *arg);

/* open_transform: a value (role internal, type nil = any) holding fn(src),
 * computed at the first open and updated inside each transition of src; it
 * has a transition only when the result changes.
 * Shared, as trio-util's: one derived value per (src, fn, arg). Opening it
 * again with the same fn and arg returns the same value (named by the
 * first open; name is then ignored) and counts one more user, so fn runs
 * once per transition of src however many users there are, and they all
 * see one value, one transition sequence. Each user ends its use with
 * purr_value_free, which drops its share; the last one's free detaches and
 * frees the value (trio-util closes it with the last context). A different
 * fn or arg makes a separate value.
 * purr_value_detach (keep the last value, stop following) applies to a
 * transform with one user; on one that other users share it is misuse. */
PURR_API purr_value *purr_value_open_transform(purr_value *src,
                                               const char *name,
                                               purr_transform_fn fn,
                                               void *arg);

/* compose_values: a new value (role internal) holding the tuple of the
 * sources' current values, in the given order, or transform(tuple) when fn
 * is non-NULL. Updated inside each source's transition, so it never misses
 * one; not atomic across sources (two sources set in one step are two
 * updates, which waiters coalesce by the rule above). No transition when
 * the result is equal. Compositions nest. names (copied; may be NULL) name
 * the tuple's fields for purr_value_field. */
PURR_API purr_value *purr_value_open_compose(const char *name,
                                             purr_value *const *srcs,
                                             const char *const *names,
                                             size_t n, purr_transform_fn fn,
                                             void *arg);

/* Index of a composed value's field by name, or -1. */
PURR_API int purr_value_field(const purr_value *composed, const char *name);

/* Stops a derived value following its sources: it keeps its last value
 * (trio-util's context-manager exit). Idempotent; no effect on plain
 * values. */
PURR_API void purr_value_detach(purr_value *derived);

/* ---------------------------------------------------------------------- */
/* RepeatedEvent                                                 */
/* ---------------------------------------------------------------------- */

/* A counter underneath (an int value named after the event, role
 * internal): every set counts, never dropped by equality. */
typedef struct purr_repeated_event purr_repeated_event;

PURR_API purr_repeated_event *purr_repeated_event_new(purr_loop *loop,
                                                      const char *name);
PURR_API void purr_repeated_event_free(purr_repeated_event *e);
/* Signals the event. Not a checkpoint. */
PURR_API void purr_repeated_event_set(purr_repeated_event *e);
/* The underlying counter value (to wait on or compose). */
PURR_API purr_value *purr_repeated_event_value(purr_repeated_event *e);
/* Checkpoint. Waits for a set after the call. Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_repeated_event_wait(purr_repeated_event *e);

/* unqueued_events: transitions of the counter. Sets during the body are
 * dropped; several sets in one step are one event. Use the returned
 * iterator with purr_transitions_next / purr_transitions_close. */
PURR_API void purr_repeated_event_unqueued(purr_repeated_event *e,
                                           purr_transitions *it);

/* events(repeat_last): eventual values of "counter > token": a set during
 * the body gives exactly one more item; with repeat_last the first item
 * comes at once even if nothing was ever set. */
typedef struct purr_events {
    purr_iter iter;
    /* private: */
    purr_repeated_event *e_;
    int64_t token_;
} purr_events;

PURR_API void purr_events_open(purr_events *it, purr_repeated_event *e,
                               bool repeat_last);
/* Checkpoint. Returns 0 for each event; errors as purr_eventual_next. */
PURR_API PURR_MUST_CHECK int purr_events_next(purr_events *it);
PURR_API void purr_events_close(purr_events *it);

/* ---------------------------------------------------------------------- */
/* Combinators                                                            */
/* ---------------------------------------------------------------------- */

/* Checkpoint. Runs fns[i](args[i]) as tasks in a nursery; the first to
 * return cancels the rest; returns when all have unwound. Returns the index
 * of the first to return (>= 0), or the first error by nursery rules
 * (PURR_ECANCELED if the caller was cancelled): a wait that fails is not
 * "first", its error cancels the rest and is returned. n must be at least
 * 1 (n == 0 is misuse: there would be no index to return). */
PURR_API PURR_MUST_CHECK int purr_wait_any(purr_task_fn const *fns, void *const *args,
                           size_t n);

/* Checkpoint. Runs them all; returns 0 when all have returned, or the first
 * error by nursery rules (which cancels the rest). */
PURR_API PURR_MUST_CHECK int purr_wait_all(purr_task_fn const *fns, void *const *args,
                           size_t n);

/* Checkpoint. move_on_when: runs wait(wait_arg) as a task beside
 * body(body_arg), which runs in the calling task inside its own cancel
 * scope. When wait returns, the body's scope is cancelled and the block
 * ends normally with *cancelled_caught = true (may be NULL); if the body
 * ends first, wait is cancelled. Returns the body's result (0 when the
 * cancellation ended it), or an error of wait by nursery rules (a failing
 * wait cancels the body through the nursery, and *cancelled_caught stays
 * false). */
PURR_API PURR_MUST_CHECK int purr_move_on_when(purr_task_fn wait, void *wait_arg,
                               purr_task_fn body, void *body_arg,
                               bool *cancelled_caught /* out */);

/* The body of purr_move_on_when_scope: runs in the calling task inside
 * scope, which it may read or act on. */
typedef int (*purr_scope_body_fn)(purr_scope *scope, void *arg);

/* Checkpoint. move_on_when yielding its cancel scope, as trio-util's
 * `async with move_on_when(wait) as cancel_scope:`. As purr_move_on_when,
 * but scope (caller storage, made here with purr_scope_init: no deadline,
 * not shielded) is the body's own scope and is passed to body, which may
 * read scope->cancel_called, cancel it early (purr_scope_cancel: the body's
 * checkpoints then return PURR_ECANCELED and the block ends normally, as
 * when wait returns), move its deadline or shield it. After the call,
 * scope->cancelled_caught says whether the cancellation ended the body and
 * scope->cancel_called whether it was cancelled at all.
 * Returns and errors as purr_move_on_when. */
PURR_API PURR_MUST_CHECK int purr_move_on_when_scope(
    purr_scope *scope, purr_task_fn wait, void *wait_arg,
    purr_scope_body_fn body, void *body_arg);

/* Checkpoint. run_and_cancelling: runs fn(fn_arg) as a task beside
 * body(body_arg) (in the calling task) and cancels fn when the body ends,
 * never interrupting the body: fn returning 0 early leaves the body alone.
 * Returns the body's result, or fn's error (a failing fn does cancel the
 * body, by nursery rules, as in trio-util). */
PURR_API PURR_MUST_CHECK int purr_run_and_cancelling(purr_task_fn fn, void *fn_arg,
                                     purr_task_fn body, void *body_arg);

#ifdef __cplusplus
}
#endif
#endif /* PURR_VALUE_H */
