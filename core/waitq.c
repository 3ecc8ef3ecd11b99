/* waitq.c - FIFO wait queues of parked tasks.
 *
 * Every primitive that parks tasks (events, locks, semaphores, channels,
 * values) keeps them on a purr_waitq: an intrusive doubly-linked list of
 * purr__waiter nodes that live on the waiting tasks' stacks. FIFO order is
 * what makes wake-up order deterministic and fair. */
#include "core_int.h"

/* purr__waitq_push and purr__waitq_remove are inline, in core_int.h. */

purr__waiter *
purr__waitq_pop(purr_waitq *q)
{
    purr__waiter *w = q->head_;
    if (w)
        purr__waitq_remove(w);
    return w;
}
