/* timer.c - the loop's timer heap.
 *
 * An 8-ary min-heap ordered by (deadline_ns, seq). seq is a per-loop
 * counter taken when a timer is armed, so timers with the same deadline fire
 * in the order they were armed: (deadline_ns, seq) is a total order that
 * never depends on addresses, which keeps runs reproducible, and
 * any correct heap pops timers in exactly that order.
 *
 * Timers live in task structs and scopes spread over thousands of stack
 * pages, so the heap never looks at them while it sifts. Each armed timer
 * owns a slot (its number is kept in timer->slot); per slot, loop->tslot
 * holds the index of the timer's heap entry and its seq, and
 * loop->tslot_timer the timer. A heap entry is the deadline plus the slot
 * number, 16 bytes: a node's eight children fill two cache lines, and the
 * array is offset so that they are exactly two aligned lines. Comparing
 * entries reads only the deadlines unless they are equal. With 10,000 armed
 * timers a pop goes down five levels instead of thirteen for a binary heap,
 * each level a pair of lines the hardware fetches together. Disarming finds
 * the entry through the slot, so it is O(log n). Both clocks use this heap;
 * only what "now" means differs.
 *
 * The earliest PURR__TFRONT timers are kept apart, sorted, in a ring (the
 * front): popping is taking the ring's head, and the timers that fire in
 * the next few steps are known exactly. That is what the front is for.
 * With thousands of sleepers, firing a timer and resuming its task touch a
 * page nobody touched since the task fell asleep: a TLB miss, whose page
 * walk costs 50-150 ns on a virtual machine (nested paging), more than all
 * the rest of a wake-up. When the front runs short (REFILL_AT left), it is
 * refilled from the heap and the owners of every timer moved in are
 * prefetched at once: their page walks overlap, and finish several
 * wake-ups before the timers fire. A newly armed timer earlier than the
 * front's last goes into the front (pushing its last back into the heap
 * when it is full), any other into the heap.
 *
 * Invariants: every entry of the front precedes every entry of the heap;
 * for every armed timer t, tslot_timer[t->slot] == t and tslot[t->slot].seq
 * == t->seq; if t is in the front, tslot[t->slot].pos == PURR__TSLOT_FRONT,
 * else heap[tslot[t->slot].pos].slot == t->slot; an idle timer has slot ==
 * SIZE_MAX. */
#include "core_int.h"

#include <stdint.h>
#include <string.h>

#define ARITY 8 /* min_child's tournament is written for eight */
#define LINE 64
/* tslot[].pos of a timer in the front. */
#define PURR__TSLOT_FRONT (SIZE_MAX - 1)
/* The front is refilled from the heap when it holds no more than this
 * many timers: the prefetches of a refill get that many wake-ups to land. */
#define REFILL_AT 4
#define FRONT_MASK (PURR__TFRONT - 1)
_Static_assert((PURR__TFRONT & FRONT_MASK) == 0, "a power of two");
_Static_assert(REFILL_AT < PURR__TFRONT, "refilling adds entries");

/* Is entry a before entry b in firing order? The deadline test is the one
 * that decides in practice (a compare and a conditional move, no branch on
 * a coin toss); equal deadlines fall back on the slots' seqs. */
static inline bool
entry_less(const purr__timer_slot *tslot, const purr__heap_entry *a,
           const purr__heap_entry *b)
{
    if (__builtin_expect(a->deadline_ns != b->deadline_ns, 1))
        return a->deadline_ns < b->deadline_ns;
    return tslot[a->slot].seq < tslot[b->slot].seq;
}

/* Of the entries at indices a and b, the index of the earlier. */
static inline size_t
index_min(const purr__heap_entry *heap, const purr__timer_slot *tslot,
          size_t a, size_t b)
{
    return entry_less(tslot, &heap[b], &heap[a]) ? b : a;
}

/* One match of the tournament below: the index (ia or ib) and deadline of
 * the earlier of two children, setting tie when their deadlines are
 * equal (only then would seq have to decide). */
#define MATCH(ia, da, ib, db, i_out, d_out)                                  \
    do {                                                                     \
        bool lt_ = (db) < (da);                                              \
        tie |= (da) == (db);                                                 \
        (i_out) = lt_ ? (ib) : (ia);                                         \
        (d_out) = lt_ ? (db) : (da);                                         \
    } while (0)

/* The index of the earliest child of node i, which has at least one. */
static inline size_t
min_child(const purr__heap_entry *heap, const purr__timer_slot *tslot,
          size_t n, size_t i)
{
    size_t c = ARITY * i + 1;
    if (c + ARITY <= n) {
        /* The usual case, all eight present: a knock-out tournament on the
         * deadlines alone, in registers and conditional moves, with the
         * exact comparison only when two deadlines met and were equal. */
        const purr__heap_entry *e = &heap[c];
        bool tie = false;
        size_t i01, i23, i45, i67, i03, i47, im;
        purr_time d01, d23, d45, d67, d03, d47, dm;
        MATCH(c, e[0].deadline_ns, c + 1, e[1].deadline_ns, i01, d01);
        MATCH(c + 2, e[2].deadline_ns, c + 3, e[3].deadline_ns, i23, d23);
        MATCH(c + 4, e[4].deadline_ns, c + 5, e[5].deadline_ns, i45, d45);
        MATCH(c + 6, e[6].deadline_ns, c + 7, e[7].deadline_ns, i67, d67);
        MATCH(i01, d01, i23, d23, i03, d03);
        MATCH(i45, d45, i67, d67, i47, d47);
        MATCH(i03, d03, i47, d47, im, dm);
        (void)dm;
        if (__builtin_expect(!tie, 1))
            return im;
    }
    size_t best = c;
    size_t end = c + ARITY < n ? c + ARITY : n;
    for (size_t k = c + 1; k < end; k++)
        best = index_min(heap, tslot, best, k);
    return best;
}

#undef MATCH

/* Stores e at heap index i and records the position in e's slot. */
static inline void
heap_set(purr_loop *loop, size_t i, purr__heap_entry e)
{
    loop->heap[i] = e;
    loop->tslot[e.slot].pos = i;
}

/* Moves e, destined for index i, up while it precedes its parent. */
static void
heap_sift_up(purr_loop *loop, size_t i, purr__heap_entry e)
{
    purr__heap_entry *heap = loop->heap;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!entry_less(loop->tslot, &e, &heap[parent]))
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
    const purr__timer_slot *tslot = loop->tslot;
    size_t n = loop->heap_len;
    while (ARITY * i + 1 < n) {
        size_t best = min_child(heap, tslot, n, i);
        if (!entry_less(tslot, &heap[best], &e))
            break;
        heap_set(loop, i, heap[best]);
        i = best;
    }
    heap_set(loop, i, e);
}

/* Grows the heap and the slot arrays together (one slot per armed timer).
 * The heap is placed so that the children of every node, which start at
 * index ARITY * i + 1, start on a line boundary. */
static void
heap_grow(purr_loop *loop)
{
    size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
    size_t pad = ARITY - 1; /* entries before heap[0] */
    void *mem = purr__malloc((cap + pad) * sizeof(purr__heap_entry) + LINE);
    uintptr_t at = ((uintptr_t)mem + LINE - 1) & ~(uintptr_t)(LINE - 1);
    purr__heap_entry *heap = (purr__heap_entry *)at + pad;
    if (loop->heap_len)
        memcpy(heap, loop->heap, loop->heap_len * sizeof *heap);
    free(loop->heap_mem);
    loop->heap_mem = mem;
    loop->heap = heap;
    loop->tslot_timer =
        purr__realloc(loop->tslot_timer, cap * sizeof *loop->tslot_timer);
    loop->tslot = purr__realloc(loop->tslot, cap * sizeof *loop->tslot);
    loop->heap_cap = cap;
}

/* Takes a free slot for t, whose seq is set. There is one: slots in use ==
 * tfront_len + heap_len < heap_cap. */
static size_t
slot_take(purr_loop *loop, purr__timer *t)
{
    size_t s = loop->tslot_free;
    if (s != SIZE_MAX)
        loop->tslot_free = loop->tslot[s].pos;
    else
        s = loop->tslots_len++;
    loop->tslot_timer[s] = t;
    loop->tslot[s].seq = t->seq;
    t->slot = s;
    return s;
}

/* Returns t's slot to the free list and marks t idle. */
static void
slot_release(purr_loop *loop, purr__timer *t)
{
    size_t s = t->slot;
    loop->tslot_timer[s] = NULL;
    loop->tslot[s].pos = loop->tslot_free;
    loop->tslot_free = s;
    t->slot = SIZE_MAX;
}

/* ---- the front --------------------------------------------------------- */

/* The i-th earliest entry of the front (i < tfront_len). */
static inline purr__heap_entry *
front_at(purr_loop *loop, unsigned i)
{
    return &loop->tfront[(loop->tfront_head + i) & FRONT_MASK];
}

/* Starts the page walk and the cache miss for the first line of the timer
 * of entry e (in its owner: a task struct or a scope). */
static inline void
prefetch_timer(const purr_loop *loop, const purr__heap_entry *e)
{
    __builtin_prefetch(loop->tslot_timer[e->slot], 1);
}

/* Pushes e into the heap. */
static void
heap_push(purr_loop *loop, purr__heap_entry e)
{
    if (loop->heap_len == loop->heap_cap)
        heap_grow(loop);
    heap_sift_up(loop, loop->heap_len++, e);
}

/* Removes and returns the heap's earliest entry (the heap must not be
 * empty); the slot's position is left to the caller. */
static purr__heap_entry
heap_take(purr_loop *loop)
{
    purr__heap_entry top = loop->heap[0];
    size_t n = --loop->heap_len;
    if (n == 0)
        return top;
    /* Bottom-up (Floyd): the hole left at the root goes down to a leaf
     * along the earliest children, without comparing each level with the
     * entry that fills it, then the heap's last entry goes into the hole
     * and up. The last entry came from the bottom, so it seldom moves up
     * more than a level: one comparison and one unpredictable branch per
     * level fewer than sifting it down from the root. */
    purr__heap_entry *heap = loop->heap;
    const purr__timer_slot *tslot = loop->tslot;
    purr__heap_entry e = heap[n];
    size_t i = 0;
    while (ARITY * i + 1 < n) {
        size_t best = min_child(heap, tslot, n, i);
        heap_set(loop, i, heap[best]);
        i = best;
    }
    heap_sift_up(loop, i, e);
    return top;
}

/* Inserts e, which precedes the front's last entry or belongs at its end,
 * in order. A full front first gives its last entry back to the heap. */
static void
front_insert(purr_loop *loop, purr__heap_entry e)
{
    if (loop->tfront_len == PURR__TFRONT) {
        purr__heap_entry last = *front_at(loop, PURR__TFRONT - 1);
        loop->tfront_len--;
        heap_push(loop, last);
    }
    unsigned i = loop->tfront_len++;
    for (; i > 0; i--) {
        purr__heap_entry *prev = front_at(loop, i - 1);
        if (!entry_less(loop->tslot, &e, prev))
            break;
        *front_at(loop, i) = *prev;
    }
    *front_at(loop, i) = e;
    loop->tslot[e.slot].pos = PURR__TSLOT_FRONT;
}

/* Moves the heap's earliest entries to the end of the front until it is
 * full or the heap is empty, then prefetches their timers. The prefetches
 * are issued together, after the sifts: a prefetch that misses the TLB
 * holds up retirement until its page walk is done, so walks overlap only
 * when their prefetches are a few instructions apart. One refill's batch
 * then costs about one walk, instead of one walk per wake-up. */
static void
front_refill(purr_loop *loop)
{
    unsigned first = loop->tfront_len;
    while (loop->tfront_len < PURR__TFRONT && loop->heap_len) {
        purr__heap_entry e = heap_take(loop);
        loop->tslot[e.slot].pos = PURR__TSLOT_FRONT;
        *front_at(loop, loop->tfront_len++) = e;
    }
    for (unsigned i = first; i < loop->tfront_len; i++)
        prefetch_timer(loop, front_at(loop, i));
}

/* Removes the front's entry for slot s. */
static void
front_remove(purr_loop *loop, size_t s)
{
    unsigned n = loop->tfront_len, i = 0;
    while (i < n && front_at(loop, i)->slot != s)
        i++;
    PURR_ASSERT(i < n);
    if (i == 0) {
        loop->tfront_head = (loop->tfront_head + 1) & FRONT_MASK;
    } else {
        for (; i + 1 < n; i++)
            *front_at(loop, i) = *front_at(loop, i + 1);
    }
    loop->tfront_len = n - 1;
}

/* ---- arming ------------------------------------------------------------ */

void
purr__timer_arm(purr_loop *loop, purr__timer *t, purr_time deadline)
{
    if (purr__timer_armed(t))
        purr__timer_disarm(loop, t);
    if (loop->tfront_len + loop->heap_len == loop->heap_cap)
        heap_grow(loop); /* one slot per armed timer */
    t->deadline_ns = deadline;
    t->seq = loop->timer_seq++;
    purr__heap_entry e = {deadline, slot_take(loop, t)};
    unsigned n = loop->tfront_len;
    /* Into the front when it precedes the front's last, or when the front
     * has room and e precedes the whole heap. */
    if ((n && entry_less(loop->tslot, &e, front_at(loop, n - 1))) ||
        (n < PURR__TFRONT &&
         (!loop->heap_len || entry_less(loop->tslot, &e, &loop->heap[0]))))
        front_insert(loop, e);
    else
        heap_push(loop, e);
}

void
purr__timer_disarm(purr_loop *loop, purr__timer *t)
{
    if (t->slot == SIZE_MAX)
        return;
    PURR_ASSERT(t->slot < loop->tslots_len &&
                loop->tslot_timer[t->slot] == t);
    size_t i = loop->tslot[t->slot].pos;
    size_t s = t->slot;
    slot_release(loop, t);
    if (i == PURR__TSLOT_FRONT) {
        front_remove(loop, s);
        return;
    }
    size_t last = --loop->heap_len;
    if (i == last)
        return;
    purr__heap_entry e = loop->heap[last];
    if (i > 0 && entry_less(loop->tslot, &e, &loop->heap[(i - 1) / ARITY]))
        heap_sift_up(loop, i, e);
    else
        heap_sift_down(loop, i, e);
}

purr_time
purr__timers_next(const purr_loop *loop)
{
    if (loop->tfront_len)
        return loop->tfront[loop->tfront_head].deadline_ns;
    return loop->heap_len ? loop->heap[0].deadline_ns : PURR_TIME_NEVER;
}

/* Pops the earliest timer (one must be armed). */
static purr__timer *
timer_pop(purr_loop *loop)
{
    if (loop->tfront_len <= REFILL_AT)
        front_refill(loop);
    purr__heap_entry e = loop->tfront[loop->tfront_head];
    loop->tfront_head = (loop->tfront_head + 1) & FRONT_MASK;
    unsigned n = --loop->tfront_len;
    purr__timer *t = loop->tslot_timer[e.slot];
    slot_release(loop, t);
    /* A hint only, which changes no order: the next timer's line came in
     * with its refill, so its owner can now load what resuming it will
     * touch (a task's saved frames). */
    if (n)
        purr__timer_prefetch_owner(
            loop->tslot_timer[loop->tfront[loop->tfront_head].slot]);
    return t;
}

size_t
purr__timers_fire(purr_loop *loop, purr_time now)
{
    size_t n = 0;
    while (purr__timers_any(loop) && purr__timers_next(loop) <= now) {
        purr__timer *t = timer_pop(loop);
        t->fire(t);
        n++;
    }
    return n;
}

size_t
purr__timers_fire_next(purr_loop *loop)
{
    if (!purr__timers_any(loop))
        return 0;
    purr_time deadline = purr__timers_next(loop);
    if (deadline > loop->now_ns)
        loop->now_ns = deadline;
    return purr__timers_fire(loop, loop->now_ns);
}
