/* waitq.c - FIFO wait queues of parked tasks.
 *
 * Every primitive that parks tasks (events, locks, semaphores, channels,
 * values) keeps them on a purr_waitq: an intrusive doubly-linked list of
 * purr__waiter nodes that live on the waiting tasks' stacks. FIFO order is
 * what makes wake-up order deterministic and fair. */
#include "core_int.h"

void
purr__waitq_push(purr_waitq *q, purr__waiter *w)
{
    purr__waiter *tail = q->tail_;
    w->q = q;
    w->next = NULL;
    w->prev = tail;
    if (tail)
        tail->next = w;
    else
        q->head_ = w;
    q->tail_ = w;
}

void
purr__waitq_remove(purr__waiter *w)
{
    purr_waitq *q = w->q;
    if (!q)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head_ = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail_ = w->prev;
    w->prev = w->next = NULL;
    w->q = NULL;
}

purr__waiter *
purr__waitq_pop(purr_waitq *q)
{
    purr__waiter *w = q->head_;
    if (w)
        purr__waitq_remove(w);
    return w;
}
