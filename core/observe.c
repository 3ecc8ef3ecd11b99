/* observe.c - the observer hook: every task and value event, in order.
 *
 * Shaped like sqlite3_trace_v2: a mask, a callback and a context. Up to 8
 * observers (the recorder, the SDL view, the replay checker...) are called in
 * registration order. Emission costs one mask test when nobody listens to
 * that kind of event. Events are numbered per loop, so an observer can tell
 * their total order even across kinds. */
#include "core_int.h"

#include <string.h>

int
purr_loop_observe(purr_loop *loop, uint32_t mask, purr_observer_fn fn,
                  void *ctx)
{
    size_t i;
    for (i = 0; i < loop->nobs; i++)
        if (loop->obs[i].fn == fn && loop->obs[i].ctx == ctx)
            break;
    if (i == loop->nobs) {
        if (mask == 0)
            return 0;
        if (loop->nobs == sizeof loop->obs / sizeof loop->obs[0])
            return PURR_EBUSY;
        loop->obs[loop->nobs++] = (purr__observer){fn, ctx, mask};
    } else if (mask == 0) {
        memmove(&loop->obs[i], &loop->obs[i + 1],
                (loop->nobs - i - 1) * sizeof loop->obs[0]);
        loop->nobs--;
    } else {
        loop->obs[i].mask = mask;
    }
    loop->obs_mask = 0;
    for (i = 0; i < loop->nobs; i++)
        loop->obs_mask |= loop->obs[i].mask;
    loop->emit_mask = loop->obs_mask | (loop->tap ? loop->tap->mask : 0);
    return 0;
}

int
purr_loop_tap(purr_loop *loop, purr_tap *tap)
{
    const uint32_t tappable = PURR_EV_BIT(PURR_EV_TASK_BLOCKED) |
                              PURR_EV_BIT(PURR_EV_TASK_WOKEN) |
                              PURR_EV_BIT(PURR_EV_VALUE_SET);
    if (tap && (tap->mask & ~tappable))
        return PURR_EINVAL;
    if (tap && loop->tap && loop->tap != tap)
        return PURR_EBUSY;
    loop->tap = tap;
    loop->tap_epoch++;
    loop->emit_mask = loop->obs_mask | (tap ? tap->mask : 0);
    return 0;
}

void
purr__emit_numbered(purr_loop *loop, purr_trace *ev)
{
    uint32_t bit = PURR_EV_BIT(ev->kind);
    if (ev->task) {
        ev->task_id = ev->task->id;
        ev->nursery = ev->task->nursery;
        ev->parent_task_id =
            ev->nursery ? purr__nursery_owner_id(ev->nursery) : 0;
    } else {
        ev->task_id = 0;
        ev->nursery = NULL;
        ev->parent_task_id = 0;
    }
    for (size_t i = 0; i < loop->nobs; i++)
        if (loop->obs[i].mask & bit)
            loop->obs[i].fn(ev, loop->obs[i].ctx);
}


void
purr__emit_task_observers(purr_loop *loop, purr_event_kind kind,
                          purr_task *t, int status, const char *detail,
                          uint64_t seq, purr_time now)
{
    /* Every field is set explicitly: a memset of the whole struct became
     * a `rep stos`, whose start-up cost was the largest part of emitting
     * a task event. */
    purr_trace ev;
    ev.kind = kind;
    ev.time_ns = now;
    ev.seq = seq;
    ev.task = t;
    ev.status = status;
    ev.detail = detail;
    ev.value = NULL;
    ev.old_value = NULL;
    ev.new_value = NULL;
    ev.value_seq = 0;
    purr__emit_numbered(loop, &ev);
}
