/* combinators.c - wait_any, wait_all, move_on_when, run_and_cancelling.
 *
 * Each is a nursery with a little bookkeeping (ASYNCVALUE.md rules 19-20):
 * the waits run as tasks, so errors and cancellation follow the nursery
 * rules exactly, and nothing returns before every task it started has
 * unwound. */
#include "value_int.h"

#include <string.h>

typedef struct wait_set {
    purr_task_fn const *fns;
    void *const *args;
    size_t n;
    bool any;             /* wait_any: the first return cancels the rest */
    long first;           /* index of the first to return, or -1 */
    purr_nursery *nursery;
    struct wait_child *children; /* one slot per task, freed after all end */
} wait_set;

typedef struct wait_child {
    wait_set *set;
    size_t index;
} wait_child;

static int
wait_child_run(void *arg)
{
    wait_child *c = arg;
    wait_set *set = c->set;
    int rc = set->fns[c->index](set->args[c->index]);
    if (rc >= 0 && set->any && set->first < 0) {
        set->first = (long)c->index;
        purr_nursery_cancel(set->nursery);
    }
    return rc < 0 ? rc : 0;
}

static int
wait_set_body(purr_nursery *n, void *arg)
{
    wait_set *set = arg;
    set->nursery = n;
    wait_child *children = purr__malloc(set->n * sizeof *children);
    set->children = children;
    int rc = 0;
    for (size_t i = 0; i < set->n && rc == 0; i++) {
        children[i] = (wait_child){set, i};
        rc = purr_spawn(n, "wait", wait_child_run, &children[i]);
    }
    return rc;
}

static int
wait_set_run(purr_task_fn const *fns, void *const *args, size_t n, bool any)
{
    wait_set set = {fns, args, n, any, -1, NULL, NULL};
    int rc = purr_nursery_run(wait_set_body, &set);
    free(set.children); /* the children used their slots until they ended */
    if (rc < 0)
        return rc;
    return any ? (int)set.first : 0;
}

int
purr_wait_any(purr_task_fn const *fns, void *const *args, size_t n)
{
    /* With nothing to wait for there is no first index to return. */
    PURR_API_CHECK(n > 0, "purr_wait_any: no waits");
    return wait_set_run(fns, args, n, true);
}

int
purr_wait_all(purr_task_fn const *fns, void *const *args, size_t n)
{
    return wait_set_run(fns, args, n, false);
}

/* ---------------------------------------------------------------------- */

typedef struct move_on_when {
    purr_task_fn wait;
    void *wait_arg, *body_arg;
    purr_task_fn body;        /* purr_move_on_when's body, or NULL */
    purr_scope_body_fn sbody; /* purr_move_on_when_scope's body, or NULL */
    purr_scope *scope;        /* the body's own scope */
    bool body_active;         /* scope is entered */
    int body_rc;
} move_on_when;

static int
mow_wait(void *arg)
{
    move_on_when *m = arg;
    int rc = m->wait(m->wait_arg);
    if (rc >= 0 && m->body_active)
        purr_scope_cancel(m->scope);
    return rc < 0 ? rc : 0;
}

static int
mow_body(purr_nursery *n, void *arg)
{
    move_on_when *m = arg;
    int rc = purr_spawn(n, "move_on_when", mow_wait, m);
    if (rc < 0)
        return rc;
    purr_scope_enter_init(m->scope);
    m->body_active = true;
    m->body_rc = m->sbody ? m->sbody(m->scope, m->body_arg)
                          : m->body(m->body_arg);
    m->body_active = false;
    if (purr_scope_exit(m->scope) < 0) /* no deadline: exit cannot fail */
        PURR_ASSERT(!"move_on_when's scope timed out");
    purr_nursery_cancel(n); /* the body ended: stop waiting */
    if (m->body_rc == PURR_ECANCELED && m->scope->cancelled_caught)
        m->body_rc = 0;
    return m->body_rc < 0 ? m->body_rc : 0;
}

static int
mow_run(move_on_when *m)
{
    purr_scope_init(m->scope, PURR_TIME_NEVER, false);
    int rc = purr_nursery_run(mow_body, m);
    return rc < 0 ? rc : m->body_rc;
}

int
purr_move_on_when(purr_task_fn wait, void *wait_arg, purr_task_fn body,
                  void *body_arg, bool *cancelled_caught)
{
    purr_scope scope;
    move_on_when m;
    memset(&m, 0, sizeof m);
    m.wait = wait;
    m.wait_arg = wait_arg;
    m.body = body;
    m.body_arg = body_arg;
    m.scope = &scope;
    int rc = mow_run(&m);
    if (cancelled_caught)
        *cancelled_caught = scope.cancelled_caught;
    return rc;
}

int
purr_move_on_when_scope(purr_scope *scope, purr_task_fn wait, void *wait_arg,
                        purr_scope_body_fn body, void *body_arg)
{
    PURR_API_CHECK(scope != NULL && body != NULL && wait != NULL,
                   "purr_move_on_when_scope: NULL scope, wait or body");
    move_on_when m;
    memset(&m, 0, sizeof m);
    m.wait = wait;
    m.wait_arg = wait_arg;
    m.sbody = body;
    m.body_arg = body_arg;
    m.scope = scope;
    return mow_run(&m);
}

/* ---------------------------------------------------------------------- */

typedef struct run_cancelling {
    purr_task_fn fn, body;
    void *fn_arg, *body_arg;
    int body_rc;
} run_cancelling;

static int
rc_body(purr_nursery *n, void *arg)
{
    run_cancelling *r = arg;
    int rc = purr_spawn(n, "run_and_cancelling", r->fn, r->fn_arg);
    if (rc < 0)
        return rc;
    r->body_rc = r->body(r->body_arg);
    purr_nursery_cancel(n);
    return r->body_rc < 0 ? r->body_rc : 0;
}

int
purr_run_and_cancelling(purr_task_fn fn, void *fn_arg, purr_task_fn body,
                        void *body_arg)
{
    run_cancelling r = {fn, body, fn_arg, body_arg, 0};
    int rc = purr_nursery_run(rc_body, &r);
    return rc < 0 ? rc : r.body_rc;
}
