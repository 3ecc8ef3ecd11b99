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
    return 0;
}

void
purr__emit(purr_loop *loop, purr_trace *ev)
{
    uint32_t bit = PURR_EV_BIT(ev->kind);
    ev->seq = ++loop->event_seq;
    if (ev->task) {
        ev->task_id = ev->task->id;
        ev->nursery = ev->task->nursery;
        ev->parent_task_id = ev->nursery ? purr__nursery_owner_id(ev->nursery)
                                         : 0;
    }
    for (size_t i = 0; i < loop->nobs; i++)
        if (loop->obs[i].mask & bit)
            loop->obs[i].fn(ev, loop->obs[i].ctx);
}

void
purr__emit_task(purr_loop *loop, purr_event_kind kind, purr_task *t,
                int status, const char *detail)
{
    purr_trace ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.time_ns = purr_now();
    ev.task = t;
    ev.status = status;
    ev.detail = detail;
    purr__emit(loop, &ev);
}
