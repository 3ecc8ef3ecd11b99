/* stack_int.h - the header at the top of every stack slot.
 *
 * stack.c writes it when a slot is carved; task.c places the task struct
 * just below it (minus the slot's colour) and records itself in it, so the
 * overflow handler can name the task owning a guard. */
#ifndef PURR_STACK_INT_H
#define PURR_STACK_INT_H

#include "core_int.h"

typedef struct purr__stack_header {
    purr_task *task;        /* task running on this stack, or NULL */
    void *next_free;        /* free-list link while pooled */
    uint32_t colour;        /* bytes to stagger the stack top by */
} purr__stack_header;

#define PURR__STACK_HEADER_SIZE 64

static inline purr__stack_header *
purr__stack_header_of(void *stack_lo, size_t stack_size)
{
    return (purr__stack_header *)((char *)stack_lo + stack_size -
                                  PURR__STACK_HEADER_SIZE);
}

void purr__stack_pool_init(purr__stack_pool *pool, size_t stack_size);

/* purr__stack_get with its usual case, a pooled stack, inlined. */
static inline void *
purr__stack_take(purr__stack_pool *pool)
{
    void *lo = pool->free_head;
    if (!lo)
        return purr__stack_get(pool);
    purr__stack_header *h = purr__stack_header_of(lo, pool->stack_size);
    pool->free_head = h->next_free;
    pool->nfree--;
    h->next_free = NULL;
    return lo;
}

#endif /* PURR_STACK_INT_H */
