/* value_wait.c - AsyncValues: waiting for a value or a transition.
 *
 * Each wait puts a purr__vwaiter, on the waiting task's stack, on the
 * value's one wait queue, and parks; value.c's transition evaluates the
 * waiters' predicates and wakes them. A waiter unlinks itself when it
 * resumes; cancellation unlinks a parked waiter, after which its predicate
 * is never evaluated again. A wait with held_for parks a second
 * time, as a hold, until the match has lasted held_for or a set breaks
 * it. */
#include "core_int.h"
#include "purr/value.h"
#include "value_int.h"

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
    purr__capture(&vw->got, &vw->v->cur);
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
        if (unmatched || !purr__vwaiter_matches(&probe, &v->cur)) {
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
            if (!purr__vwaiter_matches(&probe, &v->cur))
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
    /* The flag test inline, as in purr__value_wait: most matches need no
     * binding, and then there is no call. */
    bool bound = __builtin_expect(m.flags_ != 0, 0) &&
                 purr__match_bind(&m, v, __func__);
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
