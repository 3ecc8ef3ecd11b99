/* nursery.c - nurseries: scopes that own child tasks (Trio semantics).
 *
 * A nursery lives on the stack of the task that runs purr_nursery_run. It is
 * a cancel scope plus a count of children (the children themselves are on
 * the task lists of the scopes they are in, scope.c, which is all that
 * cancelling them or listing them needs). The body runs in
 * the calling task; children run as their own tasks, whose scope chain
 * continues into the nursery's scope, so cancelling the nursery (or anything
 * around it) reaches them. When the body returns, the owner parks until the
 * last child has ended; this wait ignores cancellation, because the children
 * are cancelled instead and the owner must not leave before they are gone.
 *
 * The first failure (a negative code that is not the expected unwinding of a
 * cancellation) cancels the nursery and is what purr_nursery_run returns;
 * every failure is counted in the report.
 *
 * purr_start: until the child calls purr_started, it lives under a hidden
 * scope parented to the starter's scope (Trio runs it in the starter's
 * context), and its failure is the starter's, not the nursery's. On
 * purr_started, the hidden scope's contents move under the nursery. */
#include "core_int.h"

#include <string.h>

struct purr_nursery {
    purr_scope scope;              /* the nursery's cancel scope */
    purr_task *owner;              /* task running purr_nursery_run */
    purr_task *last_child;         /* the child spawned last (purr_start
                                      reads it): children are on the
                                      scope lists, not on a list here */
    size_t nchildren;              /* alive children */
    int first_error;               /* first failure, 0 if none */
    purr_nursery_report *report;   /* caller's report, or NULL */
    bool owner_waiting;            /* owner parked until nchildren == 0 */
    bool closed;                   /* finished: spawning is refused */
};

/* purr_start bookkeeping, on the starter's stack. */
struct purr__start {
    purr_scope hidden;             /* the child's scope until started */
    purr_task *starter;            /* task in purr_start */
    purr_task *child;              /* the task being started */
    void *value;                   /* handed over by purr_started */
    int rc;                        /* child's failure before started */
    bool done;                     /* started, or the child ended */
};

purr_scope *
purr_nursery_scope(purr_nursery *n)
{
    return &n->scope;
}

uint64_t
purr__nursery_owner_id(const purr_nursery *n)
{
    return n->owner->id;
}

void
purr_nursery_cancel(purr_nursery *n)
{
    purr_scope_cancel(&n->scope);
}

/* Records a failure of a task (or the body) in n and cancels n. */
static void
record_error(purr_nursery *n, purr_task *t, int code)
{
    if (n->report) {
        size_t i = n->report->count;
        if (i < PURR_NURSERY_MAX_REPORTED) {
            purr_task_error *e = &n->report->errors[i];
            e->code = code;
            e->task_id = t->id;
            size_t len = strnlen(t->name, sizeof e->name - 1);
            memcpy(e->name, t->name, len);
            e->name[len] = '\0';
        }
        n->report->count++;
    }
    if (!n->first_error) {
        n->first_error = code;
        purr_scope_cancel(&n->scope);
    }
}

/* Is rc the expected end of a task unwinding a cancellation that came
 * from scope s or above? */
static bool
is_unwinding(int rc, purr_scope *s)
{
    if (rc != PURR_ECANCELED)
        return false;
    for (; s; s = s->parent) {
        if (s->cancel_called)
            return true;
        if (s->shield)
            return false;
    }
    return false;
}

int
purr__spawn(purr_nursery *n, const char *name, purr_task_fn fn, void *arg,
            const purr_spawn_options *opts, const char *file, int line,
            int name_is_literal)
{
    purr_loop *loop = purr__loop;
    PURR_API_CHECK(loop && loop->running, "purr_spawn outside purr_run");
    PURR_API_CHECK(n != NULL && fn != NULL, "purr_spawn: NULL nursery or fn");
    if (n->closed)
        return PURR_ECLOSED;
    purr_task *t = purr__task_new(loop, name, name_is_literal != 0, fn, arg,
                                  opts ? opts->stack_size : 0, file, line);
    if (!t)
        return PURR_ENOMEM;
    t->nursery = n;
    n->last_child = t;
    n->nchildren++;
    t->scope = &n->scope;
    purr__scope_add_task(&n->scope, t);
    if (purr__observing(loop, PURR_EV_TASK_SPAWNED))
        purr__emit_task(loop, PURR_EV_TASK_SPAWNED, t, 0, NULL);
    purr__runq_push(loop, t);
    return 0;
}

void
purr__nursery_child_done(purr_task *t)
{
    purr_nursery *n = t->nursery;
    struct purr__start *st = t->start;
    PURR_API_CHECK(t->scope == &n->scope || st != NULL,
                   "task returned with a cancel scope still entered");
    purr__scope_remove_task(t->scope, t);
    if (st) {
        /* Ended before purr_started: the failure is the starter's. */
        t->start = NULL;
        st->rc = t->result < 0 ? t->result : PURR_EFAILED;
        st->done = true;
        if (st->starter->state == PURR__BLOCKED)
            purr__wake(st->starter, 0);
    } else if (t->result < 0 && !is_unwinding(t->result, &n->scope)) {
        record_error(n, t, t->result);
    }
    if (n->last_child == t)
        n->last_child = NULL;
    n->nchildren--;
    if (n->nchildren == 0 && n->owner_waiting) {
        n->owner_waiting = false;
        purr__wake(n->owner, 0);
    }
}

int
purr_nursery_run_report(purr_nursery_fn body, void *arg,
                        purr_nursery_report *report)
{
    purr_task *self = purr__self(__func__);
    purr_nursery n;
    memset(&n, 0, sizeof n);
    if (report)
        memset(report, 0, sizeof *report);
    n.report = report;
    n.owner = self;
    purr_scope_enter(&n.scope, PURR_TIME_NEVER);
    int rc = body(&n, arg);
    if (rc < 0 && !is_unwinding(rc, &n.scope))
        record_error(&n, self, rc);
    while (n.nchildren > 0) {
        n.owner_waiting = true;
        purr__park(NULL, false, "nursery: children to end", &n);
    }
    n.closed = true;
    purr_scope_exit(&n.scope);
    if (n.first_error)
        return n.first_error;
    /* A cancellation from outside propagates, as Trio's Cancelled does. */
    if (purr_task_is_cancelled())
        return purr__check_cancel(self);
    return 0;
}

int
purr_nursery_run(purr_nursery_fn body, void *arg)
{
    return purr_nursery_run_report(body, arg, NULL);
}

int
purr__start(purr_nursery *n, const char *name, purr_task_fn fn, void *arg,
            void **value, const char *file, int line)
{
    purr_task *self = purr__self(__func__);
    int rc = purr__check_cancel(self);
    if (rc)
        return rc;
    rc = purr__spawn(n, name, fn, arg, NULL, file, line, 0);
    if (rc)
        return rc;
    purr_task *child = n->last_child;
    struct purr__start st;
    memset(&st, 0, sizeof st);
    st.starter = self;
    st.child = child;
    /* Until started, the child runs under the starter's scopes. */
    purr__scope_init_hidden(&st.hidden, self->scope, self);
    purr__scope_remove_task(&n->scope, child);
    child->scope = &st.hidden;
    purr__scope_add_task(&st.hidden, child);
    child->start = &st;
    while (!st.done)
        purr__park(NULL, false, "purr_start: child to call purr_started", child);
    purr__scope_close_hidden(&st.hidden);
    if (st.rc)
        return st.rc;
    if (value)
        *value = st.value;
    return 0;
}

void
purr_started(void *value)
{
    purr_task *self = purr__self(__func__);
    struct purr__start *st = self->start;
    PURR_API_CHECK(st != NULL,
                   "purr_started in a task not started with purr_start "
                   "(or called twice)");
    purr_nursery *n = self->nursery;
    self->start = NULL;
    st->value = value;
    st->done = true;
    /* Move the child (and any scopes it entered) under the nursery. */
    purr__scope_adopt(&n->scope, &st->hidden);
    if (st->starter->state == PURR__BLOCKED)
        purr__wake(st->starter, 0);
}
