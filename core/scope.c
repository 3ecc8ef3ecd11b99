/* scope.c - cancel scopes: deadlines, cancel(), shields, delivery.
 *
 * Scopes live on their owner's stack and form a tree: each has a parent
 * (the scope that was innermost when it was entered, possibly a nursery's
 * scope in another task), a list of child scopes and a list of the tasks
 * whose innermost scope it is. A task sees a cancellation when some scope on
 * its chain, up to and including the first shielded one, is cancelled.
 *
 * Cancelling walks the subtree below the scope in list order (never address
 * order), stopping at shielded scopes, and wakes every task parked in a
 * cancellable wait with PURR_ECANCELED. Checkpoints that run later find the
 * cancellation by walking their chain; the walk is skipped entirely while no
 * scope in the loop is cancelled (loop->ncancelled == 0), which is the
 * common case and keeps checkpoints cheap. */
#include "core_int.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Tree bookkeeping                                                        */
/* ---------------------------------------------------------------------- */

static void
child_link(purr_scope *parent, purr_scope *s)
{
    s->next_sibling_ = NULL;
    s->prev_sibling_ = parent->last_child_;
    if (parent->last_child_)
        parent->last_child_->next_sibling_ = s;
    else
        parent->first_child_ = s;
    parent->last_child_ = s;
}

static void
child_unlink(purr_scope *parent, purr_scope *s)
{
    if (s->prev_sibling_)
        s->prev_sibling_->next_sibling_ = s->next_sibling_;
    else
        parent->first_child_ = s->next_sibling_;
    if (s->next_sibling_)
        s->next_sibling_->prev_sibling_ = s->prev_sibling_;
    else
        parent->last_child_ = s->prev_sibling_;
    s->prev_sibling_ = s->next_sibling_ = NULL;
}

static void
deadline_fire(purr__timer *timer)
{
    purr_scope *s = (purr_scope *)((char *)timer - offsetof(purr_scope, timer_));
    if (!s->cancel_called)
        s->deadline_hit = true;
    purr_scope_cancel(s);
}

/* Links s (whose settings are already made) into the tree below parent,
 * as entered by owner. */
static void
scope_link(purr_scope *s, purr_scope *parent, purr_task *owner)
{
    s->parent = parent;
    s->owner = owner;
    s->first_child_ = s->last_child_ = NULL;
    s->prev_sibling_ = s->next_sibling_ = NULL;
    s->first_task_ = s->last_task_ = NULL;
    s->state_ = PURR__SCOPE_ENTERED;
    if (parent)
        child_link(parent, s);
}

/* Makes s a fresh scope: no deadline, not shielded, not cancelled; keeps
 * s->data. */
static void
scope_reset(purr_scope *s, uint32_t state)
{
    void *data = s->data;
    memset(s, 0, sizeof *s);
    s->data = data;
    s->deadline_ns = PURR_TIME_NEVER;
    s->relative_ns_ = PURR_TIME_NEVER;
    s->state_ = state;
    purr__timer_init(&s->timer_, deadline_fire);
}

static void
scope_init(purr_scope *s, purr_scope *parent, purr_task *owner)
{
    scope_reset(s, PURR__SCOPE_ENTERED);
    scope_link(s, parent, owner);
}

/* Panics unless s is a scope (initialised or entered at some point),
 * naming func: a zeroed or garbage struct must not reach the timer heap. */
static void
scope_check(const purr_scope *s, const char *func)
{
    if (s && (s->state_ == PURR__SCOPE_READY ||
              s->state_ == PURR__SCOPE_ENTERED ||
              s->state_ == PURR__SCOPE_EXITED))
        return;
    purr__panic(__FILE__, __LINE__, func,
                "the scope %p was neither initialised (purr_scope_init) nor "
                "entered (purr_scope_enter, purr_move_on_after...)",
                (const void *)s);
}

/* now + duration, saturated both ways: now may be negative
 * (options.start_time), and so may duration (a deadline in the past). */
static purr_time
time_after(purr_time now, purr_time duration)
{
    if (duration > 0 && now > PURR_TIME_NEVER - duration)
        return PURR_TIME_NEVER;
    if (duration < 0 && now < INT64_MIN - duration)
        return INT64_MIN;
    return now + duration;
}

void
purr__scope_init_hidden(purr_scope *s, purr_scope *parent, purr_task *owner)
{
    scope_init(s, parent, owner);
}

void
purr__scope_close_hidden(purr_scope *s)
{
    purr_loop *loop = purr__loop;
    s->state_ = PURR__SCOPE_EXITED;
    if (purr__timer_armed(&s->timer_))
        purr__timer_disarm(loop, &s->timer_);
    if (s->cancel_called)
        loop->ncancelled--;
    if (s->parent)
        child_unlink(s->parent, s);
}

/* Re-parents every child scope and task of from into to. */
void
purr__scope_adopt(purr_scope *to, purr_scope *from)
{
    while (from->first_child_) {
        purr_scope *c = from->first_child_;
        child_unlink(from, c);
        c->parent = to;
        child_link(to, c);
    }
    while (from->first_task_) {
        purr_task *t = from->first_task_;
        purr__scope_remove_task(from, t);
        t->scope = to;
        purr__scope_add_task(to, t);
    }
}

/* ---------------------------------------------------------------------- */
/* Cancellation                                                            */
/* ---------------------------------------------------------------------- */

purr_scope *
purr__cancel_scope_of(const purr_task *t)
{
    purr_scope *resp = NULL;
    for (purr_scope *s = t->scope; s; s = s->parent) {
        if (s->cancel_called)
            resp = s;
        if (s->shield)
            break;
    }
    return resp;
}

/* Wakes the cancellable parked tasks whose innermost scope is s. */
static void
deliver_tasks(purr_scope *s)
{
    purr_task *t = s->first_task_;
    while (t) {
        purr_task *next = t->scope_next;
        if (t->state == PURR__BLOCKED && t->cancellable) {
            purr__waiter *w = t->waiter;
            if (w) {
                if (w->on_cancel)
                    w->on_cancel(w);
                else
                    purr__waitq_remove(w);
            }
            purr__wake(t, PURR_ECANCELED);
        }
        t = next;
    }
}

/* The first scope from c on (along the sibling list) that is not shielded,
 * or NULL. */
static purr_scope *
unshielded_from(purr_scope *c)
{
    while (c && c->shield)
        c = c->next_sibling_;
    return c;
}

/* Walks s's subtree in pre-order (list order, skipping shielded subtrees)
 * without recursion: the tree is as deep as the chain of nested nurseries,
 * which is unbounded, and this runs on whatever stack cancelled s, often
 * that of the task that happened to advance the clock. Waking tasks does
 * not change the tree, so the parent and sibling links stay valid. */
void
purr__scope_deliver(purr_scope *s)
{
    purr_scope *c = s;
    for (;;) {
        deliver_tasks(c);
        purr_scope *next = unshielded_from(c->first_child_);
        while (!next && c != s) {
            next = unshielded_from(c->next_sibling_);
            if (!next)
                c = c->parent;
        }
        if (!next)
            return;
        c = next;
    }
}

void
purr_scope_cancel(purr_scope *s)
{
    scope_check(s, __func__);
    if (s->cancel_called)
        return;
    if (s->state_ != PURR__SCOPE_ENTERED) {
        /* Not in the tree: nothing inside to wake. Entering a READY scope
         * that is cancelled counts it in loop->ncancelled then. */
        s->cancel_called = true;
        return;
    }
    purr_loop *loop = purr__loop;
    PURR_API_CHECK(loop != NULL, "cancel outside purr_run");
    s->cancel_called = true;
    loop->ncancelled++;
    if (purr__timer_armed(&s->timer_))
        purr__timer_disarm(loop, &s->timer_);
    /* If an enclosing shield hides s from its own tasks, that's fine: the
     * cancellation belongs to s, and s's own subtree sees it. */
    purr__scope_deliver(s);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */
/* ---------------------------------------------------------------------- */

void
purr_scope_init(purr_scope *s, purr_time deadline, bool shield)
{
    PURR_API_CHECK(s != NULL, "s is NULL");
    scope_reset(s, PURR__SCOPE_READY);
    s->deadline_ns = deadline;
    s->shield = shield;
}

void
purr_scope_init_after(purr_scope *s, purr_time duration, bool shield)
{
    PURR_API_CHECK(duration >= 0, "negative relative deadline");
    purr_scope_init(s, PURR_TIME_NEVER, shield);
    s->relative_ns_ = duration;
}

/* Enters s (linked and settings made) in self: moves the task into it,
 * then applies what was decided before entry (a cancel, a deadline). */
static void
scope_enter_task(purr_scope *s, purr_task *self, purr_time deadline)
{
    purr_scope *parent = self->scope;
    scope_link(s, parent, self);
    s->depth_ = parent && parent->owner == self ? parent->depth_ + 1 : 1;
    purr__scope_remove_task(parent, self);
    purr__scope_add_task(s, self);
    self->scope = s;
    if (s->cancel_called) {
        /* Cancelled before entry: cancelled from the first checkpoint on,
         * and counted as a live cancelled scope until exit. */
        self->loop->ncancelled++;
        s->deadline_ns = deadline;
        return;
    }
    s->deadline_ns = PURR_TIME_NEVER;
    purr_scope_set_deadline(s, deadline);
}

void
purr__scope_enter_init(purr_scope *s, const char *what, const char *file,
                       int line)
{
    purr_task *self = purr__self("purr_scope_enter_init");
    if (!s || s->state_ != PURR__SCOPE_READY) {
        if (s && (s->state_ == PURR__SCOPE_ENTERED ||
                  s->state_ == PURR__SCOPE_EXITED))
            purr__panic(file, line, "purr_scope_enter_init",
                        "scope '%s' entered twice (first entered at %s:%d%s); "
                        "a scope made by purr_scope_init is entered once, as "
                        "Trio's CancelScope",
                        what, s->enter_file_ ? s->enter_file_ : "?",
                        s->enter_line_,
                        s->state_ == PURR__SCOPE_ENTERED ? ", still entered"
                                                         : ", since exited");
        purr__panic(file, line, "purr_scope_enter_init",
                    "scope '%s' was not initialised with purr_scope_init",
                    what);
    }
    s->enter_file_ = file;
    s->enter_line_ = line;
    purr_time deadline = s->deadline_ns;
    if (s->relative_ns_ != PURR_TIME_NEVER) {
        purr_time rel = time_after(purr__now(self->loop), s->relative_ns_);
        if (rel < deadline)
            deadline = rel;
    }
    scope_enter_task(s, self, deadline);
}

void
purr_scope_enter(purr_scope *s, purr_time deadline)
{
    purr_task *self = purr__self(__func__);
    /* A scope still entered cannot be remade: its tree links are live.
     * (An exited one can: each enter makes a fresh scope.) Only the task's
     * own chain is searched: s may be uninitialised storage, whose fields
     * must not be read (valgrind would rightly object). */
    for (purr_scope *p = self->scope; p && p->owner == self; p = p->parent)
        PURR_API_CHECK(p != s, "the scope is still entered: entered twice");
    scope_reset(s, PURR__SCOPE_ENTERED);
    scope_enter_task(s, self, deadline);
}

int
purr_scope_exit(purr_scope *s)
{
    purr_task *self = purr__self(__func__);
    PURR_API_CHECK(self->scope == s && s->owner == self,
                   "scope exited out of order (not the task's innermost)");
    PURR_ASSERT(s->first_child_ == NULL); /* inner scopes exit first */
    purr_loop *loop = self->loop;
    if (purr__timer_armed(&s->timer_))
        purr__timer_disarm(loop, &s->timer_);
    if (s->cancel_called)
        loop->ncancelled--;
    purr_scope *parent = s->parent;
    purr__scope_remove_task(s, self);
    child_unlink(parent, s);
    purr__scope_add_task(parent, self);
    self->scope = parent;
    self->cancel_spins = 0; /* it left a scope: it is not ignoring it */
    s->owner = NULL;
    s->state_ = PURR__SCOPE_EXITED;
    if (s->fail_on_deadline && s->deadline_hit && s->cancelled_caught)
        return PURR_ETIMEDOUT;
    return 0;
}

bool
purr_scope_cancel_called(const purr_scope *s)
{
    scope_check(s, __func__);
    if (s->cancel_called)
        return true;
    /* Trio: a deadline that has passed counts even before the timer (or,
     * for a scope not entered, the entry) has noticed it. */
    purr_loop *loop = purr__loop;
    return s->state_ != PURR__SCOPE_EXITED && loop && loop->running &&
           s->deadline_ns != PURR_TIME_NEVER &&
           s->deadline_ns <= purr__now(loop);
}

void
purr_scope_set_deadline(purr_scope *s, purr_time deadline)
{
    scope_check(s, __func__);
    if (s->state_ != PURR__SCOPE_ENTERED) {
        PURR_API_CHECK(s->state_ != PURR__SCOPE_READY ||
                           s->relative_ns_ == PURR_TIME_NEVER ||
                           deadline == PURR_TIME_NEVER,
                       "the scope has a relative deadline (set it with "
                       "purr_scope_set_relative_deadline), not an absolute "
                       "one, until it is entered");
        s->deadline_ns = deadline;
        return;
    }
    purr_loop *loop = purr__loop;
    s->deadline_ns = deadline;
    if (s->cancel_called)
        return;
    if (deadline == PURR_TIME_NEVER) {
        if (purr__timer_armed(&s->timer_))
            purr__timer_disarm(loop, &s->timer_);
        return;
    }
    if (deadline <= purr_now()) {
        s->deadline_hit = true;
        purr_scope_cancel(s);
        return;
    }
    purr__timer_arm(loop, &s->timer_, deadline);
}

purr_time
purr_scope_relative_deadline(const purr_scope *s)
{
    scope_check(s, __func__);
    if (s->state_ == PURR__SCOPE_READY) {
        PURR_API_CHECK(s->deadline_ns == PURR_TIME_NEVER,
                       "the scope has an absolute deadline and is not "
                       "entered: it has no relative deadline");
        return s->relative_ns_;
    }
    if (s->deadline_ns == PURR_TIME_NEVER)
        return PURR_TIME_NEVER;
    purr_loop *loop = purr__loop;
    PURR_API_CHECK(loop != NULL, "relative deadline read outside purr_run");
    purr_time now = purr__now(loop);
    /* deadline - now, saturated */
    if (now < 0 && s->deadline_ns > PURR_TIME_NEVER + now)
        return PURR_TIME_NEVER - 1;
    if (now > 0 && s->deadline_ns < INT64_MIN + now)
        return INT64_MIN;
    return s->deadline_ns - now;
}

void
purr_scope_set_relative_deadline(purr_scope *s, purr_time duration)
{
    scope_check(s, __func__);
    PURR_API_CHECK(duration >= 0, "negative relative deadline");
    if (s->state_ == PURR__SCOPE_READY) {
        PURR_API_CHECK(s->deadline_ns == PURR_TIME_NEVER,
                       "the scope has an absolute deadline and is not "
                       "entered: it cannot take a relative one");
        s->relative_ns_ = duration;
        return;
    }
    purr_loop *loop = purr__loop;
    PURR_API_CHECK(loop != NULL, "relative deadline set outside purr_run");
    purr_scope_set_deadline(s, time_after(purr__now(loop), duration));
}

void
purr_scope_set_shield(purr_scope *s, bool shield)
{
    scope_check(s, __func__);
    if (s->shield == shield)
        return;
    s->shield = shield;
    if (s->state_ != PURR__SCOPE_ENTERED)
        return;
    /* Unshielding may expose an enclosing cancellation to parked tasks. */
    if (!shield && s->parent) {
        purr_loop *loop = purr__loop;
        if (loop && loop->ncancelled) {
            for (purr_scope *p = s->parent; p; p = p->parent) {
                if (p->cancel_called) {
                    purr__scope_deliver(s);
                    break;
                }
                if (p->shield)
                    break;
            }
        }
    }
}

bool
purr_task_is_cancelled(void)
{
    purr_task *self = purr__self(__func__);
    return self->loop->ncancelled && purr__cancel_scope_of(self) != NULL;
}

void
purr_move_on_after(purr_scope *s, purr_time duration)
{
    purr__self(__func__);
    purr_scope_enter(s, time_after(purr_now(), duration));
}

void
purr_fail_after(purr_scope *s, purr_time duration)
{
    purr_move_on_after(s, duration);
    s->fail_on_deadline = true;
}
