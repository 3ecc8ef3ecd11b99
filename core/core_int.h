/* core_int.h - private declarations shared by the core's files.
 *
 * Nothing here is visible to users of purr_core. The structures below are
 * the runtime's state: the loop (one per thread), tasks (whose struct sits at
 * the top of their own stack), the timer heap, wait queues, and the two
 * clocks behind one small vtable.
 *
 * Invariants (checked by PURR_ASSERTs where cheap):
 * - A task is in exactly one of the states below. A RUNNABLE task is on the
 *   run queue (or in the current shuffled batch) and nowhere else; a BLOCKED
 *   task is on at most one wait queue (task->waiter) and owns at most one
 *   armed sleep timer.
 * - Every task is on the task list of exactly one scope: its innermost
 *   (task->scope). Scopes form a tree through parent pointers across tasks:
 *   a child task's chain continues into the scope of the nursery it was
 *   spawned in (or, while purr_start waits, into the starter's scope).
 * - Nothing is ever iterated in address order: run queues, wait queues,
 *   scope task lists and child lists are FIFO lists in insertion order, and
 *   the timer heap is ordered by (deadline_ns, seq). This is what makes a
 *   run reproducible.
 */
#ifndef PURR_CORE_INT_H
#define PURR_CORE_INT_H

#include "purr/core.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------- */
/* Assertions and panics                                                  */
/* ---------------------------------------------------------------------- */

_Noreturn void purr__panic(const char *file, int line, const char *func,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Always compiled: cheap invariants. */
#define PURR_ASSERT(x)                                                       \
    ((x) ? (void)0                                                           \
         : purr__panic(__FILE__, __LINE__, __func__, "assertion failed: %s", \
                       #x))

#ifdef PURR_DEBUG
#define PURR_DEBUG_ASSERT(x) PURR_ASSERT(x)
#else
#define PURR_DEBUG_ASSERT(x) ((void)0)
#endif

/* API misuse: aborts naming the function, the task and file:line. */
#define PURR_API_CHECK(cond, msg)                                            \
    ((cond) ? (void)0 : purr__panic(__FILE__, __LINE__, __func__, "%s", msg))

/* Allocation that panics on failure, naming the size (Redis zmalloc).
 * purr__alloc_fail_after(n) makes the n-th allocation from now fail (tests
 * only: constructors that document PURR_ENOMEM then return it). */
void *purr__malloc(size_t size);
void *purr__calloc(size_t n, size_t size);
void *purr__realloc(void *p, size_t size);
/* Fallible: returns NULL on failure (or on injected failure). */
void *purr__try_malloc(size_t size);
void *purr__try_calloc(size_t n, size_t size);
PURR_API void purr__alloc_fail_after(long n);

/* ---------------------------------------------------------------------- */
/* Context switch (core/arch/)                                             */
/* ---------------------------------------------------------------------- */

/* Saved execution context. With the assembly switches only sp is stored
 * (callee-saved registers are pushed on the task's own stack); the ucontext
 * fallback keeps a whole ucontext_t. */
#if defined(PURR_CTX_UCONTEXT)
#include <ucontext.h>
typedef struct purr__ctx {
    void *sp;
    ucontext_t uc;
} purr__ctx;
#else
typedef struct purr__ctx {
    void *sp; /* stack pointer after pushing callee-saved registers */
} purr__ctx;
#endif

/* Saves the caller's callee-saved state into from and resumes to. Returns
 * when something switches back to from. The only place a task switch
 * happens; the assembly versions save exactly what the ABI requires. */
void purr__ctx_switch(purr__ctx *from, purr__ctx *to);

/* Prepares ctx so that the first purr__ctx_switch to it calls entry(arg) on
 * the stack [stack_lo, stack_lo + size). entry must never return. */
void purr__ctx_make(purr__ctx *ctx, void *stack_lo, size_t size,
                    void (*entry)(void *), void *arg);

/* ---------------------------------------------------------------------- */
/* Stacks (stack.c)                                                        */
/* ---------------------------------------------------------------------- */

/* A pool of equally sized stacks carved from large MAP_NORESERVE arenas,
 * each slot headed (at its low end) by a guard region installed with
 * MADV_GUARD_INSTALL (no extra VMA) or, on older kernels, mprotect.
 * Free stacks are kept in an array, not a list threaded through them: a
 * list made every spawn and every reap touch a stack last used a thousand
 * tasks ago. Each entry is the stack's low end (page aligned) with the
 * stack's colour in the low bits. */
typedef struct purr__stack_pool {
    size_t stack_size;      /* usable bytes per stack */
    size_t slot_size;       /* guard + stack, an odd number of pages */
    uintptr_t *free;        /* free stacks, lo | colour (LIFO: hot pages
                               are reused first) */
    size_t nfree;           /* entries in free */
    size_t free_cap;        /* room in free; >= carved, so a put never
                               allocates */
    size_t carved;          /* slots handed out from arenas so far */
    char *arena_next;       /* next never-used slot in the current arena */
    char *arena_end;        /* end of the current arena */
    size_t arena_slots;     /* size of the next arena to reserve, in slots */
    struct purr__stack_pool *next; /* loop's list of pools (by size) */
} purr__stack_pool;

/* Returns the low end of a stack of pool->stack_size bytes (above its
 * guard) and sets *colour to the bytes its top is staggered by, or returns
 * NULL when no memory or mapping could be had. */
void *purr__stack_get(purr__stack_pool *pool, uint32_t *colour /* out */);
/* Returns a stack (and the colour purr__stack_get gave) to its pool. */
void purr__stack_put(purr__stack_pool *pool, void *stack_lo, uint32_t colour);
/* Releases the pool's bookkeeping. Its arenas stay mapped (the overflow
 * handler's registry points into them until process exit) and are handed
 * to the next pool of the same stack size, in this loop's thread or any
 * other, so that opening loop after loop does not grow the process. */
void purr__stack_pool_close(purr__stack_pool *pool);
/* Installs the SIGSEGV handler and this thread's alternate signal stack. */
void purr__stack_guard_setup(void);
/* Minimum guard size in bytes (several pages: a large frame cannot jump
 * it); a pool's guard may be a page more (see purr__stack_pool_init). */
size_t purr__stack_guard_size(void);

/* ---------------------------------------------------------------------- */
/* Intrusive lists and wait queues                                         */
/* ---------------------------------------------------------------------- */

/* A node on a purr_waitq: one per blocked waiter, on the waiter's stack. */
typedef struct purr__waiter purr__waiter;
struct purr__waiter {
    purr__waiter *prev, *next; /* links in q (FIFO) */
    purr_waitq *q;             /* queue it is on, or NULL */
    purr_task *task;           /* the waiting task */
    void *data;                /* for the primitive (e.g. an item buffer) */
    /* Called (instead of plain unlinking) when the waiter's task is
     * cancelled while parked; NULL = just unlink from q. */
    void (*on_cancel)(purr__waiter *w);
};

/* Appends w to q. Inline: every park and most wakes do it. */
static inline void
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

/* Unlinks w from its queue; nothing if it is on none. */
static inline void
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

purr__waiter *purr__waitq_pop(purr_waitq *q);
static inline purr__waiter *purr__waitq_head(const purr_waitq *q)
{
    return (purr__waiter *)q->head_;
}

/* ---------------------------------------------------------------------- */
/* Tasks and the loop                                                      */
/* ---------------------------------------------------------------------- */

enum purr__task_state {
    PURR__RUNNABLE = 1, /* on the run queue */
    PURR__RUNNING,      /* loop->current */
    PURR__BLOCKED,      /* parked */
    PURR__DONE          /* returned; stack about to be released */
};

struct purr__start; /* purr_start bookkeeping, on the starter's stack */

/* Field order is by temperature, in 64-byte lines (the struct is 64-byte
 * aligned; the line numbers hold for the assembly switches, whose ctx is one
 * pointer). Line 0 is what waking a sleeper and switching to it touch, so
 * the timer heap's prefetch of a sleep timer brings in the saved stack
 * pointer as well; line 1 is what parking touches; line 2 what spawning and
 * joining touch; line 3 what spawning writes and reaping reads; line 4 is
 * touched only for a name that must be copied (and by ASan builds).
 * A spawn+join of a task named by a literal touches lines 0-3 and nothing
 * else of the struct: each line is a cache miss when a thousand tasks are
 * spawned before any runs.
 * The struct stays where it is while its stack is pooled (the slot's
 * colour is fixed), so the fields marked "per slot" are set only when the
 * slot is first carved (purr__task_new). Every other field is set at each
 * spawn; a new field must be set there too. */
struct purr_task {
    /* line 0: switching, waking, sleeping */
    purr__ctx ctx;               /* saved registers while not running */
    purr_loop *loop;             /* owning loop (per slot: pools belong to
                                    one loop) */
    purr_task *run_next;         /* run queue link */
    int state;                   /* enum purr__task_state */
    int wake_rc;                 /* what park returns, set by the waker */
    purr__timer sleep_timer;     /* armed while sleeping */
    /* line 1: parking */
    purr__waiter *waiter;        /* wait-queue node while BLOCKED, or NULL */
    purr_scope *scope;           /* innermost cancel scope */
    purr_nursery *nursery;       /* nursery spawned in; NULL for main */
    const char *blocked_on;      /* what it waits for (static text) */
    const void *blocked_obj;     /* the object waited on (for reports) */
    bool cancellable;            /* parked where cancellation may wake it */
    bool started;                /* has run at least once */
    int result;                  /* fn's return value, once DONE */
    struct purr__start *start;   /* set while purr_start waits on us */
    purr_task_fn fn;             /* body */
    /* line 2: spawning and joining */
    purr_task *scope_prev, *scope_next; /* links in scope's task list */
    void *arg;                   /* fn's argument */
    uint64_t id;                 /* spawn order, main = 1 */
    const char *name;            /* the literal it was given, or name_buf */
    const char *file;            /* spawn site: file */
    int line;                    /* spawn site: line */
    uint32_t cancel_spins;       /* checkpoints in a row that returned
                                    PURR_ECANCELED without parking */
    const char *cancel_what;     /* the last such checkpoint (static) */
    /* line 3: the slot's own (set when the stack is first used; reaping
     * reads them), then cold */
    purr__stack_pool *pool;      /* pool the stack came from */
    void *stack_lo;              /* low end of the usable stack */
    size_t stack_size;           /* usable bytes */
    uint32_t colour;             /* the stack's colour */
    unsigned valgrind_id;        /* VALGRIND_STACK_REGISTER id + 1, or 0 */
    void *asan_fake_stack;       /* ASan fiber bookkeeping (set only in
                                    ASan builds) */
    char name_buf[48];           /* a name that was not a literal, copied
                                    and truncated */
};
#if !defined(PURR_CTX_UCONTEXT) && UINTPTR_MAX == UINT64_MAX
_Static_assert(offsetof(purr_task, waiter) == 64, "line 0 is 64 bytes");
_Static_assert(offsetof(purr_task, scope_prev) == 128, "line 1 is 64 bytes");
_Static_assert(offsetof(purr_task, pool) == 192, "line 2 is 64 bytes");
#endif

/* The loop's timer heap (timer.c) is an array of 16-byte entries, each an
 * armed timer's deadline and slot number; per slot, dense arrays say which
 * timer it holds, where its entry sits in the heap and the timer's seq (the
 * tie-break, needed only between equal deadlines). Sifting reads and moves
 * entries and updates slot positions, never touching the timers themselves,
 * which live in task structs and scopes scattered over thousands of stack
 * pages: reaching them made every level of a sift a cache and TLB miss. */
typedef struct purr__heap_entry {
    purr_time deadline_ns;       /* = timer->deadline_ns */
    size_t slot;                 /* = timer->slot */
} purr__heap_entry;

/* How many of the earliest timers the loop keeps sorted apart from the
 * heap (timer.c): a power of two. */
#define PURR__TFRONT 16

typedef struct purr__timer_slot {
    size_t pos;                  /* heap index of the entry, or
                                    PURR__TSLOT_FRONT; for a free slot, the
                                    next free slot (or SIZE_MAX) */
    uint64_t seq;                /* = timer->seq */
} purr__timer_slot;

typedef struct purr__post purr__post;
struct purr__post {
    purr__post *next;
    purr_post_fn fn;
    void *arg;
};

/* The clock contract. A clock owns the meaning of purr_now() and what the
 * loop does when no task is runnable.
 * - now(loop): current time, monotonic, in ns.
 * - idle(loop): called on the host context when the run queue is empty and
 *   the main task has not ended. It must make progress: fire due timers
 *   (purr__timers_fire), run posted functions (purr__posts_run), block for
 *   I/O if it is a real clock. Returns 1 if it did (or may have) made
 *   something runnable, 0 if nothing can ever happen again (deadlock).
 * - advance(loop): virtual clocks only (may be NULL): called from a task
 *   that is about to block with nothing runnable; jumps time to the next
 *   deadline and fires it, so that the switch goes directly to the woken
 *   task. Returns 1 if something became runnable.
 * - wakeup(loop): thread-safe; makes a blocked idle() return soon.
 * - init/close: set up and tear down the clock's state. */
typedef struct purr__clock_vtable {
    const char *name;
    int (*init)(purr_loop *loop);
    void (*close)(purr_loop *loop);
    purr_time (*now)(purr_loop *loop);
    int (*idle)(purr_loop *loop);
    int (*advance)(purr_loop *loop);
    void (*wakeup)(purr_loop *loop);
} purr__clock_vtable;

extern const purr__clock_vtable purr__clock_virtual;
extern const purr__clock_vtable purr__clock_uv;

typedef struct purr__observer {
    purr_observer_fn fn;
    void *ctx;
    uint32_t mask;
} purr__observer;

struct purr_loop {
    purr_task *current;          /* running task, NULL on the host */
    purr_task *run_head, *run_tail; /* run queue (FIFO) */
    purr_task **batch;           /* shuffled batch being run (shuffle) */
    size_t batch_len, batch_pos, batch_cap;
    uint64_t rng[2];             /* shuffle PRNG state (xorshift128+) */
    bool shuffle;                /* options.shuffle */
    purr_time now_ns;            /* virtual time */
    purr__heap_entry tfront[PURR__TFRONT]; /* the earliest armed timers,
                                    a sorted ring (timer.c) */
    unsigned tfront_head, tfront_len;
    purr__heap_entry *heap;      /* the other timers: a min-heap by
                                    (deadline, seq) */
    void *heap_mem;              /* allocation heap points into (aligned) */
    size_t heap_len, heap_cap;
    purr__timer **tslot_timer;   /* per slot: its armed timer, or NULL */
    purr__timer_slot *tslot;     /* per slot: heap position and seq */
    size_t tslots_len;           /* slots ever used (the rest never were) */
    size_t tslot_free;           /* most recently freed slot, or SIZE_MAX */
    uint64_t timer_seq;          /* next timer seq */
    const purr__clock_vtable *clock;
    void *clock_state;           /* the clock's own data */
    purr_clock_kind clock_kind;
    purr__ctx host;              /* context of the thread in purr_run */
    void *host_stack_lo;         /* host stack bounds (ASan fiber API) */
    size_t host_stack_size;
    purr_task *zombie;           /* ended task whose stack to release */
    purr__stack_pool *pools;     /* stack pools, one per stack size */
    purr__stack_pool *default_pool; /* the pool of default_stack, once made */
    size_t default_stack;        /* options.stack_size */
    size_t ntasks;               /* live tasks (each on its innermost
                                    scope's task list) */
    uint64_t next_task_id;
    purr_task *main;             /* main task of the current purr_run */
    bool main_done;              /* the main task has returned */
    int main_result;             /* and what it returned */
    purr_scope root_scope;       /* main task's outermost scope */
    size_t ncancelled;           /* scopes with cancel_called, not exited */
    purr__observer obs[8];       /* observers in registration order */
    size_t nobs;
    uint32_t obs_mask;           /* union of the observers' masks */
    purr_tap *tap;               /* the tap, or NULL */
    uint32_t emit_mask;          /* obs_mask | the tap's mask */
    uint32_t tap_epoch;          /* bumped by purr_loop_tap: values whose
                                    tap_epoch differs take the slow path */
    uint64_t event_seq;          /* observer event numbering */
    pthread_mutex_t post_mu;     /* protects posts_* and holds */
    pthread_cond_t post_cv;      /* signalled by posts (virtual clock) */
    purr__post *posts_head, *posts_tail;
    atomic_size_t nposts;        /* posts queued (read without the lock) */
    int holds;                   /* purr_loop_hold count */
    size_t nfdwaits;             /* tasks in purr_fd_wait (real clock) */
    bool running;                /* inside purr_run */
    bool deadlocked;             /* a deadlock was reported this run */
    FILE *deadlock_out;          /* options.deadlock_report */
    purr_pace_fn pace;           /* options.pace (virtual clock) */
    void *pace_ctx;              /* options.pace_ctx */
    uint64_t next_value_id;      /* ids of values, in creation order */
    uint64_t value_seq;          /* transition numbering (value.c) */
};

/* The loop running on this thread (thread-local). */
extern _Thread_local purr_loop *purr__loop;

/* The running task; panics (naming func) outside a task. */
_Noreturn void purr__self_panic(const char *func);
static inline purr_task *
purr__self(const char *func)
{
    purr_loop *loop = purr__loop;
    if (__builtin_expect(!loop || !loop->current, 0))
        purr__self_panic(func);
    return loop->current;
}

/* The loop's clock reading (purr_now without the API check). */
static inline purr_time
purr__now(purr_loop *loop)
{
    if (loop->clock_kind == PURR_CLOCK_VIRTUAL)
        return loop->now_ns;
    return loop->clock->now(loop);
}

/* Parks the current task until purr__wake. If w is non-NULL it is on a wait
 * queue and is unlinked (or w->on_cancel runs) if cancellation wakes the
 * task. cancellable=false parks ignore cancellation (e.g. a nursery waiting
 * for its children, who are cancelled instead).
 * Returns the waker's code, or PURR_ECANCELED. A cancellable park returns
 * PURR_ECANCELED at once, without parking, if the task is already
 * cancelled. */
int purr__park(purr__waiter *w, bool cancellable, const char *what,
               const void *obj);
/* Makes a parked task runnable; its park returns rc. */
void purr__wake(purr_task *t, int rc);
/* Yields without looking at cancellation (Trio's cancel-shielded
 * checkpoint): used after an operation that completed, so it is not undone. */
void purr__yield(purr_task *self);
/* Creates a task (state RUNNABLE, not yet queued, no scope). Returns NULL
 * when no stack could be had. */
purr_task *purr__task_new(purr_loop *loop, const char *name,
                          bool name_is_literal, purr_task_fn fn, void *arg,
                          size_t stack_size, const char *file, int line);
/* Queues t at the tail of the run queue. */
static inline void
purr__runq_push(purr_loop *loop, purr_task *t)
{
    t->run_next = NULL;
    if (loop->run_tail)
        loop->run_tail->run_next = t;
    else
        loop->run_head = t;
    loop->run_tail = t;
}

/* Returns the scope responsible if the task would see a cancellation now
 * (the outermost cancelled scope below the first shield), else NULL. */
purr_scope *purr__cancel_scope_of(const purr_task *t);
/* Checkpoint helper: returns PURR_ECANCELED (and records it for
 * cancelled_caught) if t is cancelled, else 0.
 *
 * A cancelled task's checkpoints return at once without parking, so a task
 * that ignores PURR_ECANCELED in a loop (`for (;;) purr_sleep(...)`) spins
 * and nothing else in the loop can run again: in Python the cancellation
 * would have been raised. After PURR__CANCEL_SPIN_LIMIT such checkpoints in
 * a row (reset by a checkpoint that passes and by leaving a scope) the
 * task is reported by name, with the checkpoint it last made and the scope
 * that cancelled it, and the process aborts (a programming error, R6). */
#define PURR__CANCEL_SPIN_LIMIT 1000000u
int purr__check_cancel_slow(purr_task *t);
static inline int
purr__check_cancel(purr_task *t)
{
    /* No scope in the loop is cancelled: nothing to walk (the usual case). */
    if (!t->loop->ncancelled)
        return 0;
    return purr__check_cancel_slow(t);
}
/* Wakes every cancellable parked task inside s (not behind shields). */
void purr__scope_deliver(purr_scope *s);
/* Moves a task into a scope's task list / out of it. */
static inline void
purr__scope_add_task(purr_scope *s, purr_task *t)
{
    t->scope_next = NULL;
    t->scope_prev = s->last_task_;
    if (s->last_task_)
        s->last_task_->scope_next = t;
    else
        s->first_task_ = t;
    s->last_task_ = t;
}

static inline void
purr__scope_remove_task(purr_scope *s, purr_task *t)
{
    if (t->scope_prev)
        t->scope_prev->scope_next = t->scope_next;
    else
        s->first_task_ = t->scope_next;
    if (t->scope_next)
        t->scope_next->scope_prev = t->scope_prev;
    else
        s->last_task_ = t->scope_prev;
    t->scope_prev = t->scope_next = NULL;
}
/* A scope's life-cycle stage (purr_scope.state_). Magic numbers rather than
 * 1, 2, 3, so that a struct that was never initialised (zeroed or stack
 * garbage) is told apart from a scope and its misuse named, not tripped
 * over inside the timer heap. READY: made by purr_scope_init, not entered;
 * ENTERED: in the tree; EXITED: left it (a scope made by init may not be
 * entered again). */
#define PURR__SCOPE_READY 0x5c09e0a1u
#define PURR__SCOPE_ENTERED 0x5c09e0e7u
#define PURR__SCOPE_EXITED 0x5c09e0dfu
/* Re-parents every child scope and task of from into to (purr_started). */
void purr__scope_adopt(purr_scope *to, purr_scope *from);
/* Initialises a scope with a parent but no owner task (hidden scopes). */
void purr__scope_init_hidden(purr_scope *s, purr_scope *parent,
                             purr_task *owner);
void purr__scope_close_hidden(purr_scope *s);

/* Called when a task's fn returned: checks that it exited the scopes it
 * entered, then does the nursery bookkeeping (nursery.c). */
void purr__nursery_child_done(purr_task *t);

/* Timers (timer.c). */
static inline void
purr__timer_init(purr__timer *t, void (*fire)(purr__timer *))
{
    t->deadline_ns = PURR_TIME_NEVER;
    t->seq = 0;
    t->slot = SIZE_MAX; /* idle */
    t->fire = fire;
}
void purr__timer_arm(purr_loop *loop, purr__timer *t, purr_time deadline);
void purr__timer_disarm(purr_loop *loop, purr__timer *t);
static inline bool purr__timer_armed(const purr__timer *t)
{
    return t->slot != SIZE_MAX;
}
/* A hint from the timer heap that t fires soon (task.c): prefetches what
 * firing t and resuming its task will touch. No visible effect. */
void purr__timer_prefetch_owner(purr__timer *t);
/* Whether any timer is armed. */
static inline bool
purr__timers_any(const purr_loop *loop)
{
    return loop->tfront_len || loop->heap_len;
}
/* Earliest deadline, or PURR_TIME_NEVER. */
purr_time purr__timers_next(const purr_loop *loop);
/* Fires every timer with deadline <= now, in (deadline, seq) order.
 * Returns how many fired. */
size_t purr__timers_fire(purr_loop *loop, purr_time now);
/* Fires every timer due at the earliest deadline, after setting the virtual
 * clock to it. Returns how many fired. */
size_t purr__timers_fire_next(purr_loop *loop);

/* Posts (loop.c): runs queued posted functions; returns how many ran. */
size_t purr__posts_run(purr_loop *loop);
static inline bool
purr__posts_pending(purr_loop *loop)
{
    return atomic_load_explicit(&loop->nposts, memory_order_acquire) != 0;
}

/* Observer (observe.c). */
/* Id of the task that owns nursery n (nursery.c). */
uint64_t purr__nursery_owner_id(const purr_nursery *n);
/* Whether an event of kind k goes anywhere (an observer or the tap). */
static inline bool purr__observing(const purr_loop *loop, purr_event_kind k)
{
    return (loop->emit_mask & PURR_EV_BIT(k)) != 0;
}
/* Calls the observers that want ev, which is numbered already. */
void purr__emit_numbered(purr_loop *loop, purr_trace *ev);
/* The tap's next record, to be filled field by field and then counted by
 * purr__tap_commit. (Building a record elsewhere and copying it made the
 * compiler store bytes and reload them as vectors, a store-forwarding
 * stall that cost more than the rest of the event.) */
static inline purr_tap_rec *
purr__tap_slot(purr_loop *loop)
{
    return &loop->tap->buf[loop->tap->n];
}
static inline void
purr__tap_commit(purr_loop *loop)
{
    purr_tap *tap = loop->tap;
    if (++tap->n == tap->cap)
        tap->full(tap);
}
/* The observers' part of purr__emit_task (observe.c): the event numbered
 * seq at now. */
void purr__emit_task_observers(purr_loop *loop, purr_event_kind kind,
                               purr_task *t, int status, const char *detail,
                               uint64_t seq, purr_time now);
/* Emits a task event to the tap and the observers that take its kind.
 * Inline, because the tap's record is the whole of the work when a
 * recorder is all that listens (blocked and woken: two per transition in
 * a typical run); the observers are called out of line. */
static inline void
purr__emit_task(purr_loop *loop, purr_event_kind kind, purr_task *t,
                int status, const char *detail)
{
    uint32_t bit = PURR_EV_BIT(kind);
    uint64_t seq = ++loop->event_seq;
    purr_time now = purr__now(loop); /* once: tap and observers agree */
    purr_tap *tap = loop->tap;
    if (tap && (tap->mask & bit)) {
        purr_tap_rec *rec = &tap->buf[tap->n];
        rec->kind = (uint8_t)kind;
        rec->type = 0;
        rec->reserved = 0;
        rec->aux = (uint32_t)status;
        rec->seq = seq;
        rec->time_ns = now;
        rec->task_id = t->id;
        rec->arg = (uint64_t)(uintptr_t)detail;
        if (++tap->n == tap->cap)
            tap->full(tap);
    }
    if (loop->obs_mask & bit)
        purr__emit_task_observers(loop, kind, t, status, detail, seq, now);
}

/* Translates an errno value into a purr code. */
int purr__err_from_errno(int err);

#endif /* PURR_CORE_INT_H */
