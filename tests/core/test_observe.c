/* test_observe.c - the observer hook: task events, masks, registration.
 *
 * An observer registered on the loop receives every task event it asked
 * for, numbered by a per-loop sequence, stamped with the virtual time, the
 * task's id, its parent nursery and the id of the task that owns that
 * nursery. The first test records a whole small run and compares it with
 * the exact expected list of events; the others check that masks filter,
 * that mask 0 removes an observer, that re-registering replaces the mask,
 * and that a ninth observer is refused. */
#include "purr_test.h"

#include <string.h>

#define MAX_EVENTS 64

/* One recorded event (the trace's pointers are only borrowed). */
struct rec {
    purr_event_kind kind;
    purr_time time_ns;
    uint64_t seq;
    uint64_t task_id;
    purr_nursery *nursery;
    uint64_t parent_task_id;
    int status;
    char detail[48];
    int observer; /* which observer saw it */
};

struct log {
    struct rec ev[MAX_EVENTS];
    size_t n;
};

static struct log shared_log;

/* ctx is the observer's number; every observer appends to shared_log, so
 * the log shows the order in which observers were called. */
static void
record(const purr_trace *ev, void *ctx)
{
    cr_assert_lt(shared_log.n, MAX_EVENTS);
    struct rec *r = &shared_log.ev[shared_log.n++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->time_ns = ev->time_ns;
    r->seq = ev->seq;
    r->task_id = ev->task_id;
    r->nursery = ev->nursery;
    r->parent_task_id = ev->parent_task_id;
    r->status = ev->status;
    if (ev->detail)
        snprintf(r->detail, sizeof r->detail, "%s", ev->detail);
    r->observer = (int)(intptr_t)ctx;
    /* The task pointer and its id agree. */
    cr_assert_eq(purr_task_id(ev->task), ev->task_id);
}

/* ---------------------------------------------------------------------- */
/* The scenario                                                            */
/* ---------------------------------------------------------------------- */

/* main (#1) opens a nursery with "sleeper" (#2, sleeps 1 s and ends) and
 * "victim" (#3, sleeps 10 s); at 2 s the body cancels the nursery, so the
 * victim wakes cancelled and ends with PURR_ECANCELED. */
static purr_nursery *scenario_nursery;

static int
sleeper(void *arg)
{
    (void)arg;
    return purr_sleep(1 * PURR_S);
}

static int
victim(void *arg)
{
    (void)arg;
    return purr_sleep(10 * PURR_S);
}

static int
body_scenario(purr_nursery *n, void *arg)
{
    (void)arg;
    scenario_nursery = n;
    purr_assert_ok(purr_spawn(n, "sleeper", sleeper, NULL));
    purr_assert_ok(purr_spawn(n, "victim", victim, NULL));
    purr_assert_ok(purr_sleep(2 * PURR_S));
    purr_nursery_cancel(n);
    return 0;
}

static int
main_scenario(void *arg)
{
    (void)arg;
    return purr_nursery_run(body_scenario, NULL);
}

/* Runs the scenario on a new loop with observers 1..nobs registered with
 * masks[i]; fills shared_log. */
static void
run_scenario(const uint32_t *masks, int nobs)
{
    memset(&shared_log, 0, sizeof shared_log);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    for (int i = 0; i < nobs; i++)
        purr_assert_ok(purr_loop_observe(loop, masks[i], record,
                                         (void *)(intptr_t)(i + 1)));
    purr_assert_ok(purr_run(loop, "main", main_scenario, NULL));
    purr_assert_ok(purr_loop_close(loop));
}

struct want {
    purr_event_kind kind;
    purr_time time_ns;
    uint64_t task_id;
    int status;
    const char *detail; /* NULL: none */
};

#define S PURR_S
static const struct want scenario[] = {
    {PURR_EV_TASK_SPAWNED, 0, 1, 0, NULL},
    {PURR_EV_TASK_STARTED, 0, 1, 0, NULL},
    {PURR_EV_TASK_SPAWNED, 0, 2, 0, NULL},
    {PURR_EV_TASK_SPAWNED, 0, 3, 0, NULL},
    {PURR_EV_TASK_BLOCKED, 0, 1, 0, "sleep"},
    {PURR_EV_TASK_STARTED, 0, 2, 0, NULL},
    {PURR_EV_TASK_BLOCKED, 0, 2, 0, "sleep"},
    {PURR_EV_TASK_STARTED, 0, 3, 0, NULL},
    {PURR_EV_TASK_BLOCKED, 0, 3, 0, "sleep"},
    {PURR_EV_TASK_WOKEN, 1 * S, 2, 0, NULL},
    {PURR_EV_TASK_ENDED, 1 * S, 2, 0, NULL},
    {PURR_EV_TASK_WOKEN, 2 * S, 1, 0, NULL},
    /* purr_nursery_cancel wakes the victim with the cancellation. */
    {PURR_EV_TASK_WOKEN, 2 * S, 3, PURR_ECANCELED, NULL},
    {PURR_EV_TASK_BLOCKED, 2 * S, 1, 0, "nursery: children to end"},
    {PURR_EV_TASK_CANCELLED, 2 * S, 3, PURR_ECANCELED, NULL},
    /* The last child's end wakes the owner, then the child is gone. */
    {PURR_EV_TASK_WOKEN, 2 * S, 1, 0, NULL},
    {PURR_EV_TASK_ENDED, 2 * S, 3, PURR_ECANCELED, NULL},
    {PURR_EV_TASK_ENDED, 2 * S, 1, 0, NULL},
};
#undef S
#define NSCENARIO (sizeof scenario / sizeof scenario[0])

static void
assert_event(const struct rec *r, const struct want *w, size_t i)
{
    cr_assert_eq(r->kind, w->kind, "event %zu: %s, want %s", i,
                 purr_test_kind_name(r->kind), purr_test_kind_name(w->kind));
    cr_assert_eq(r->time_ns, w->time_ns, "event %zu (%s) at %lld", i,
                 purr_test_kind_name(r->kind), (long long)r->time_ns);
    cr_assert_eq(r->task_id, w->task_id, "event %zu (%s): task %llu", i,
                 purr_test_kind_name(r->kind), (unsigned long long)r->task_id);
    cr_assert_eq(r->status, w->status, "event %zu (%s): status %s", i,
                 purr_test_kind_name(r->kind), purr_err_name(r->status));
    cr_assert_str_eq(r->detail, w->detail ? w->detail : "", "event %zu (%s)", i,
                     purr_test_kind_name(r->kind));
    /* Parentage: main has none; the children belong to the scenario's
     * nursery, owned by main. */
    if (w->task_id == 1) {
        cr_assert_null(r->nursery, "event %zu", i);
        cr_assert_eq(r->parent_task_id, 0, "event %zu", i);
    } else {
        cr_assert_eq(r->nursery, scenario_nursery, "event %zu", i);
        cr_assert_eq(r->parent_task_id, 1, "event %zu", i);
    }
}

Test(observe, sees_every_task_event_with_time_ids_and_parents)
{
    uint32_t mask = PURR_EV_TASK;
    run_scenario(&mask, 1);
    cr_assert_eq(shared_log.n, NSCENARIO, "saw %zu events", shared_log.n);
    for (size_t i = 0; i < NSCENARIO; i++) {
        assert_event(&shared_log.ev[i], &scenario[i], i);
        if (i > 0)
            cr_assert_gt(shared_log.ev[i].seq, shared_log.ev[i - 1].seq);
    }
}

Test(observe, masks_filter_and_observers_run_in_registration_order)
{
    /* Observer 1 wants only ENDED, observer 2 everything, observer 3
     * SPAWNED and CANCELLED. */
    uint32_t masks[3] = {
        PURR_EV_BIT(PURR_EV_TASK_ENDED),
        PURR_EV_TASK,
        PURR_EV_BIT(PURR_EV_TASK_SPAWNED) | PURR_EV_BIT(PURR_EV_TASK_CANCELLED),
    };
    run_scenario(masks, 3);
    size_t per[4] = {0};
    size_t j = 0; /* index into the expected scenario, via observer 2 */
    for (size_t i = 0; i < shared_log.n; i++) {
        const struct rec *r = &shared_log.ev[i];
        per[r->observer]++;
        if (r->observer == 1)
            cr_assert_eq(r->kind, PURR_EV_TASK_ENDED);
        if (r->observer == 3)
            cr_assert(r->kind == PURR_EV_TASK_SPAWNED ||
                      r->kind == PURR_EV_TASK_CANCELLED);
        if (r->observer == 2) {
            cr_assert_lt(j, NSCENARIO);
            assert_event(r, &scenario[j++], i);
        } else {
            /* The same event is delivered to each observer in turn, in
             * registration order: an observer that wants it sees it just
             * around observer 2. */
            const struct rec *twin = r->observer == 1 ? &shared_log.ev[i + 1]
                                                      : &shared_log.ev[i - 1];
            cr_assert_eq(twin->observer, 2);
            cr_assert_eq(twin->seq, r->seq, "one event, one seq");
        }
    }
    cr_assert_eq(j, NSCENARIO);
    cr_assert_eq(per[1], 3, "three tasks ended");
    cr_assert_eq(per[3], 4, "three spawns and one cancellation");
}

/* ---------------------------------------------------------------------- */
/* Registration                                                            */
/* ---------------------------------------------------------------------- */

static int
main_unregisters(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_assert_ok(purr_sleep(1 * PURR_S));
    size_t before = shared_log.n;
    cr_assert_gt(before, 0);
    /* Mask 0 removes the observer: nothing more arrives. */
    purr_assert_ok(purr_loop_observe(loop, 0, record, (void *)1));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(shared_log.n, before);
    /* Registering again (only ENDED now) brings it back. */
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_TASK_ENDED),
                                     record, (void *)1));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(shared_log.n, before, "sleeping is not an ENDED event");
    return 0;
}

Test(observe, mask_0_removes_and_reregistering_replaces)
{
    memset(&shared_log, 0, sizeof shared_log);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    /* Removing an observer that was never registered is a no-op. */
    purr_assert_ok(purr_loop_observe(loop, 0, record, (void *)9));
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK, record, (void *)1));
    /* The same (fn, ctx) again replaces the mask instead of adding. */
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK, record, (void *)1));
    purr_assert_ok(purr_run(loop, "main", main_unregisters, NULL));
    purr_assert_ok(purr_loop_close(loop));
    /* Before removal: SPAWNED, STARTED, BLOCKED, WOKEN of main, each once
     * (a duplicate registration would have doubled them). After: only
     * main's ENDED. */
    cr_assert_eq(shared_log.n, 5);
    cr_assert_eq(shared_log.ev[0].kind, PURR_EV_TASK_SPAWNED);
    cr_assert_eq(shared_log.ev[1].kind, PURR_EV_TASK_STARTED);
    cr_assert_eq(shared_log.ev[2].kind, PURR_EV_TASK_BLOCKED);
    cr_assert_eq(shared_log.ev[3].kind, PURR_EV_TASK_WOKEN);
    cr_assert_eq(shared_log.ev[3].time_ns, 1 * PURR_S);
    cr_assert_eq(shared_log.ev[4].kind, PURR_EV_TASK_ENDED);
    cr_assert_eq(shared_log.ev[4].time_ns, 3 * PURR_S);
}

static void
ignore(const purr_trace *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

Test(observe, ninth_observer_is_ebusy)
{
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    static int ctx[10];
    for (int i = 0; i < 8; i++)
        purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK, ignore, &ctx[i]));
    purr_assert_err(purr_loop_observe(loop, PURR_EV_TASK, ignore, &ctx[8]),
                    PURR_EBUSY);
    /* Changing the mask of a registered one still works when full. */
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_VALUE, ignore, &ctx[3]));
    /* Removing one makes room. */
    purr_assert_ok(purr_loop_observe(loop, 0, ignore, &ctx[0]));
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_TASK, ignore, &ctx[8]));
    purr_assert_err(purr_loop_observe(loop, PURR_EV_TASK, ignore, &ctx[9]),
                    PURR_EBUSY);
    purr_assert_ok(purr_loop_close(loop));
}
