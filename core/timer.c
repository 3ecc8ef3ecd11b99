/* timer.c - the loop's timer heap.
 *
 * A 4-ary min-heap ordered by (deadline_ns, seq). seq is a per-loop counter
 * taken when a timer is armed, so timers with the same deadline fire in the
 * order they were armed: (deadline_ns, seq) is a total order that never
 * depends on addresses, which keeps runs reproducible (STYLE R14), and any
 * correct heap pops timers in exactly that order.
 *
 * Timers live in task structs and scopes spread over thousands of stack
 * pages, so the heap never looks at them while it sifts. Each armed timer
 * owns a slot in loop->tslots (its number is kept in timer->slot) that
 * records the timer and the index of its heap entry; a heap entry is the
 * timer's key plus its slot number. A sift compares and moves entries in the
 * heap array and updates slots in the slot array, two dense arrays that stay
 * in cache, where chasing timer pointers made every level a cache and TLB
 * miss. Four children per node halve the depth of a binary heap. Disarming
 * finds the entry through the slot, so it is O(log n). Both clocks use this
 * heap; only what "now" means differs.
 *
 * Invariants: for every armed timer t, tslots[t->slot].timer == t and
 * heap[tslots[t->slot].heap_index].slot == t->slot; an idle timer has
 * slot == SIZE_MAX. */
#include "core_int.h"

#define ARITY 4

/* Is entry a before entry b in firing order? Written with & and | rather
 * than && and || so that it compiles to flag arithmetic: which child is
 * smallest is a coin toss, and a mispredicted branch per comparison cost
 * more than the comparison. */
static inline bool
entry_less(const purr__heap_entry *a, const purr__heap_entry *b)
{
    return (a->deadline_ns < b->deadline_ns) |
           ((a->deadline_ns == b->deadline_ns) & (a->seq < b->seq));
}

/* The earlier of two entries. */
static inline const purr__heap_entry *
entry_min(const purr__heap_entry *a, const purr__heap_entry *b)
{
    return entry_less(b, a) ? b : a;
}

/* The earliest of the children of node i, which has at least one. */
static inline const purr__heap_entry *
min_child(const purr__heap_entry *heap, size_t n, size_t i)
{
    size_t first = ARITY * i + 1;
    const purr__heap_entry *c = &heap[first];
    if (first + ARITY <= n) /* the usual case: all four, as a tournament */
        return entry_min(entry_min(&c[0], &c[1]), entry_min(&c[2], &c[3]));
    const purr__heap_entry *best = c;
    for (size_t k = first + 1; k < n; k++)
        best = entry_min(best, &heap[k]);
    return best;
}

/* Stores e at heap slot i and records the position in e's timer slot. */
static inline void
heap_set(purr_loop *loop, size_t i, purr__heap_entry e)
{
    loop->heap[i] = e;
    loop->tslots[e.slot].heap_index = i;
}

/* Moves e, destined for index i, up while it precedes its parent. */
static void
heap_sift_up(purr_loop *loop, size_t i, purr__heap_entry e)
{
    purr__heap_entry *heap = loop->heap;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!entry_less(&e, &heap[parent]))
            break;
        heap_set(loop, i, heap[parent]);
        i = parent;
    }
    heap_set(loop, i, e);
}

/* Moves e, destined for index i, down while a child precedes it. */
static void
heap_sift_down(purr_loop *loop, size_t i, purr__heap_entry e)
{
    purr__heap_entry *heap = loop->heap;
    size_t n = loop->heap_len;
    while (ARITY * i + 1 < n) {
        const purr__heap_entry *best = min_child(heap, n, i);
        if (!entry_less(best, &e))
            break;
        size_t b = (size_t)(best - heap);
        heap_set(loop, i, *best);
        i = b;
    }
    heap_set(loop, i, e);
}

/* Grows the heap and the slot table together (a slot per armed timer). */
static void
heap_grow(purr_loop *loop)
{
    size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
    loop->heap = purr__realloc(loop->heap, cap * sizeof *loop->heap);
    loop->tslots = purr__realloc(loop->tslots, cap * sizeof *loop->tslots);
    loop->heap_cap = cap;
}

/* Takes a free slot for t. There is one: slots in use == heap_len < cap. */
static size_t
slot_take(purr_loop *loop, purr__timer *t)
{
    size_t s = loop->tslot_free;
    if (s != SIZE_MAX)
        loop->tslot_free = loop->tslots[s].heap_index;
    else
        s = loop->tslots_len++;
    loop->tslots[s].timer = t;
    t->slot = s;
    return s;
}

/* Returns t's slot to the free list and marks t idle. */
static void
slot_release(purr_loop *loop, purr__timer *t)
{
    size_t s = t->slot;
    loop->tslots[s].timer = NULL;
    loop->tslots[s].heap_index = loop->tslot_free;
    loop->tslot_free = s;
    t->slot = SIZE_MAX;
}

void
purr__timer_arm(purr_loop *loop, purr__timer *t, purr_time deadline)
{
    if (purr__timer_armed(t))
        purr__timer_disarm(loop, t);
    if (loop->heap_len == loop->heap_cap)
        heap_grow(loop);
    t->deadline_ns = deadline;
    t->seq = loop->timer_seq++;
    purr__heap_entry e = {deadline, t->seq, slot_take(loop, t)};
    heap_sift_up(loop, loop->heap_len++, e);
}

void
purr__timer_disarm(purr_loop *loop, purr__timer *t)
{
    if (t->slot == SIZE_MAX)
        return;
    PURR_ASSERT(t->slot < loop->tslots_len &&
                loop->tslots[t->slot].timer == t);
    size_t i = loop->tslots[t->slot].heap_index;
    slot_release(loop, t);
    size_t last = --loop->heap_len;
    if (i == last)
        return;
    purr__heap_entry e = loop->heap[last];
    if (i > 0 && entry_less(&e, &loop->heap[(i - 1) / ARITY]))
        heap_sift_up(loop, i, e);
    else
        heap_sift_down(loop, i, e);
}

purr_time
purr__timers_next(const purr_loop *loop)
{
    return loop->heap_len ? loop->heap[0].deadline_ns : PURR_TIME_NEVER;
}

/* Pops the earliest timer (the heap must not be empty). */
static purr__timer *
heap_pop(purr_loop *loop)
{
    purr__timer *t = loop->tslots[loop->heap[0].slot].timer;
    slot_release(loop, t);
    size_t last = --loop->heap_len;
    if (last > 0) {
        heap_sift_down(loop, 0, loop->heap[last]);
        /* The timers that fire next belong to tasks (or scopes) that went
         * cold while they waited: thousands of sleepers means a cache and a
         * TLB miss for each. Prefetch as a pipeline: the new top fires
         * next, and its owner's first line was prefetched one pop ago (as
         * the runner-up), so its owner can now prefetch what resuming it
         * needs; the runner-up, the earliest of the top's children, gets
         * its first line fetched for next time. Hints only: they change no
         * order. */
        purr__timer_prefetch_owner(loop->tslots[loop->heap[0].slot].timer);
        if (last > 1)
            __builtin_prefetch(
                loop->tslots[min_child(loop->heap, last, 0)->slot].timer, 1);
    }
    return t;
}

size_t
purr__timers_fire(purr_loop *loop, purr_time now)
{
    size_t n = 0;
    while (loop->heap_len && loop->heap[0].deadline_ns <= now) {
        purr__timer *t = heap_pop(loop);
        t->fire(t);
        n++;
    }
    return n;
}

size_t
purr__timers_fire_next(purr_loop *loop)
{
    if (!loop->heap_len)
        return 0;
    purr_time deadline = loop->heap[0].deadline_ns;
    if (deadline > loop->now_ns)
        loop->now_ns = deadline;
    return purr__timers_fire(loop, loop->now_ns);
}
