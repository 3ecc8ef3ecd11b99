/* stack_int.h - the header at the top of every stack slot.
 *
 * stack.c writes it when a slot is carved; task.c places the task struct
 * just below it (minus the slot's colour) and records itself in it, so the
 * overflow handler can name the task owning a guard. */
#ifndef PURR_STACK_INT_H
#define PURR_STACK_INT_H

#include "core_int.h"

typedef struct purr__stack_header {
    purr_task *task;        /* task last spawned on this stack (set at spawn;
                               stale while the stack is pooled, when nothing
                               runs on it to fault in its guard) */
} purr__stack_header;

#define PURR__STACK_HEADER_SIZE 64

static inline purr__stack_header *
purr__stack_header_of(void *stack_lo, size_t stack_size)
{
    return (purr__stack_header *)((char *)stack_lo + stack_size -
                                  PURR__STACK_HEADER_SIZE);
}

void purr__stack_pool_init(purr__stack_pool *pool, size_t stack_size);

/* Stack colours are multiples of 64 below a page: they fit in the low bits
 * of a page-aligned address. */
#define PURR__COLOUR_MASK ((uintptr_t)4095)
/* Set in the colour purr__stack_get returns for a slot just carved (never
 * handed out by this pool before); never stored in the free array. */
#define PURR__STACK_FRESH 1u

/* purr__stack_get with its usual case, a pooled stack, inlined. */
static inline void *
purr__stack_take(purr__stack_pool *pool, uint32_t *colour /* out */)
{
    if (!pool->nfree)
        return purr__stack_get(pool, colour);
    uintptr_t e = pool->free[--pool->nfree];
    *colour = (uint32_t)(e & PURR__COLOUR_MASK);
    return (void *)(e & ~PURR__COLOUR_MASK);
}

#endif /* PURR_STACK_INT_H */
