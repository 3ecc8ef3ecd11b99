/* event.c - one-shot events (Trio's Event).
 *
 * An event starts unset; purr_event_set wakes every waiter in the order they
 * began waiting and leaves the event set for good, so later waits pass after
 * one checkpoint. Waiters are FIFO purr__waiter nodes on their own stacks. */
#include "core_int.h"

void
purr_event_init(purr_event *ev)
{
    ev->is_set = false;
    ev->waiters_.head_ = ev->waiters_.tail_ = NULL;
}

void
purr_event_set(purr_event *ev)
{
    if (ev->is_set)
        return;
    ev->is_set = true;
    purr__waiter *w;
    while ((w = purr__waitq_pop(&ev->waiters_)) != NULL)
        purr__wake(w->task, 0);
}

bool
purr_event_is_set(const purr_event *ev)
{
    return ev->is_set;
}

int
purr_event_wait(purr_event *ev)
{
    purr_task *self = purr__self(__func__);
    if (ev->is_set)
        return purr_checkpoint();
    purr__waiter w = {.task = self};
    purr__waitq_push(&ev->waiters_, &w);
    return purr__park(&w, true, "event", ev);
}
