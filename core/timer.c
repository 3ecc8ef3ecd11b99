/* timer.c - the loop's timer heap.
 *
 * A binary min-heap of purr__timer pointers ordered by (deadline_ns, seq).
 * seq is a per-loop counter taken when a timer is armed, so timers with the
 * same deadline fire in the order they were armed: the order never depends
 * on addresses, which keeps runs reproducible (STYLE R14). Each timer knows
 * its heap index, so disarming is O(log n). Both clocks use this heap; only
 * what "now" means differs. */
#include "core_int.h"

static bool
timer_less(const purr__timer *a, const purr__timer *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->seq < b->seq;
}

static void
heap_set(purr_loop *loop, size_t i, purr__timer *t)
{
    loop->heap[i] = t;
    t->heap_index = i;
}

static void
heap_sift_up(purr_loop *loop, size_t i)
{
    purr__timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(t, loop->heap[parent]))
            break;
        heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_set(loop, i, t);
}

static void
heap_sift_down(purr_loop *loop, size_t i)
{
    purr__timer *t = loop->heap[i];
    size_t n = loop->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && timer_less(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_less(loop->heap[child], t))
            break;
        heap_set(loop, i, loop->heap[child]);
        i = child;
    }
    heap_set(loop, i, t);
}

void
purr__timer_init(purr__timer *t, void (*fire)(purr__timer *))
{
    t->deadline_ns = PURR_TIME_NEVER;
    t->seq = 0;
    t->heap_index = SIZE_MAX;
    t->fire = fire;
}

void
purr__timer_arm(purr_loop *loop, purr__timer *t, purr_time deadline)
{
    if (purr__timer_armed(t))
        purr__timer_disarm(loop, t);
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        loop->heap = purr__realloc(loop->heap, cap * sizeof *loop->heap);
        loop->heap_cap = cap;
    }
    t->deadline_ns = deadline;
    t->seq = loop->timer_seq++;
    size_t i = loop->heap_len++;
    heap_set(loop, i, t);
    heap_sift_up(loop, i);
}

void
purr__timer_disarm(purr_loop *loop, purr__timer *t)
{
    size_t i = t->heap_index;
    if (i == SIZE_MAX)
        return;
    PURR_ASSERT(i < loop->heap_len && loop->heap[i] == t);
    t->heap_index = SIZE_MAX;
    size_t last = --loop->heap_len;
    if (i == last)
        return;
    heap_set(loop, i, loop->heap[last]);
    if (i > 0 && timer_less(loop->heap[i], loop->heap[(i - 1) / 2]))
        heap_sift_up(loop, i);
    else
        heap_sift_down(loop, i);
}

purr_time
purr__timers_next(const purr_loop *loop)
{
    return loop->heap_len ? loop->heap[0]->deadline_ns : PURR_TIME_NEVER;
}

/* Pops the earliest timer (the heap must not be empty). */
static purr__timer *
heap_pop(purr_loop *loop)
{
    purr__timer *t = loop->heap[0];
    t->heap_index = SIZE_MAX;
    size_t last = --loop->heap_len;
    if (last > 0) {
        heap_set(loop, 0, loop->heap[last]);
        heap_sift_down(loop, 0);
    }
    return t;
}

size_t
purr__timers_fire(purr_loop *loop, purr_time now)
{
    size_t n = 0;
    while (loop->heap_len && loop->heap[0]->deadline_ns <= now) {
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
    purr_time deadline = loop->heap[0]->deadline_ns;
    if (deadline > loop->now_ns)
        loop->now_ns = deadline;
    return purr__timers_fire(loop, loop->now_ns);
}
