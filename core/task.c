/* task.c - tasks and the scheduler: spawning, switching, parking, waking.
 *
 * Every blocking operation funnels into purr__park, which picks the next
 * runnable task and switches to it directly (no bounce through a scheduler
 * context). Only when nothing is runnable does a task switch to the host
 * context, the thread that called purr_run, which asks the clock to make
 * progress (block in libuv, or report a deadlock). On the virtual clock the
 * parking task itself advances time to the next deadline and switches
 * straight to the task that woke.
 *
 * The run queue is an intrusive FIFO list; with the shuffle option, each
 * batch of runnable tasks (everything queued when the previous batch ran
 * out) is permuted with a PRNG seeded from options.shuffle_seed, so a given
 * seed always gives the same schedule.
 *
 * A task's struct lives at the top of its own stack (below the slot header),
 * so spawning costs one pooled stack and no malloc. An ended task cannot
 * release the stack it is running on: it becomes the loop's zombie, and
 * whoever runs next releases it right after the switch. */
#include "core_int.h"
#include "stack_int.h"

#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define PURR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PURR_ASAN 1
#endif
#endif

#ifdef PURR_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
                                    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
                                     const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define PURR_VALGRIND 1
#endif
#endif

_Thread_local purr_loop *purr__loop;

void
purr__self_panic(const char *func)
{
    purr__panic(__FILE__, __LINE__, func,
                "must be called from a task (inside purr_run)");
}

/* ---------------------------------------------------------------------- */
/* Run queue                                                               */
/* ---------------------------------------------------------------------- */

static uint64_t
rng_next(purr_loop *loop)
{
    /* xorshift128+: fast, and good enough to permute a batch. */
    uint64_t s1 = loop->rng[0];
    const uint64_t s0 = loop->rng[1];
    loop->rng[0] = s0;
    s1 ^= s1 << 23;
    loop->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return loop->rng[1] + s0;
}

/* Moves everything queued into the batch array and shuffles it. */
static void
batch_refill(purr_loop *loop)
{
    size_t n = 0;
    for (purr_task *t = loop->run_head; t; t = t->run_next)
        n++;
    if (n > loop->batch_cap) {
        size_t cap = loop->batch_cap ? loop->batch_cap : 16;
        while (cap < n)
            cap *= 2;
        loop->batch = purr__realloc(loop->batch, cap * sizeof *loop->batch);
        loop->batch_cap = cap;
    }
    n = 0;
    for (purr_task *t = loop->run_head; t; t = t->run_next)
        loop->batch[n++] = t;
    loop->run_head = loop->run_tail = NULL;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(loop) % i);
        purr_task *tmp = loop->batch[i - 1];
        loop->batch[i - 1] = loop->batch[j];
        loop->batch[j] = tmp;
    }
    loop->batch_len = n;
    loop->batch_pos = 0;
}

static purr_task *
runq_pop_shuffled(purr_loop *loop)
{
    if (loop->batch_pos == loop->batch_len) {
        if (!loop->run_head)
            return NULL;
        batch_refill(loop);
    }
    return loop->batch[loop->batch_pos++];
}

static inline purr_task *
runq_pop(purr_loop *loop)
{
    if (__builtin_expect(loop->shuffle, 0))
        return runq_pop_shuffled(loop);
    purr_task *t = loop->run_head;
    if (t) {
        loop->run_head = t->run_next;
        if (!loop->run_head)
            loop->run_tail = NULL;
    }
    return t;
}

/* ---------------------------------------------------------------------- */
/* Switching                                                               */
/* ---------------------------------------------------------------------- */

/* Releases the stack of the task that ended just before this switch. */
static void
reap_zombie(purr_loop *loop)
{
    purr_task *z = loop->zombie;
    if (!z)
        return;
    loop->zombie = NULL;
#ifdef PURR_VALGRIND
    if (z->valgrind_id) { /* id + 1; 0 when not running under valgrind */
        VALGRIND_STACK_DEREGISTER(z->valgrind_id - 1);
        z->valgrind_id = 0;
    }
#endif
    purr__stack_put(z->pool, z->stack_lo, z->colour);
}

/* Switches from the running context (task from, or the host when from is
 * NULL) to task to (or the host when to is NULL). Returns when something
 * switches back. The single place that calls purr__ctx_switch. */
static void __attribute__((noinline))
switch_to(purr_loop *loop, purr_task *from, purr_task *to)
{
    purr__ctx *from_ctx = from ? &from->ctx : &loop->host;
    purr__ctx *to_ctx = to ? &to->ctx : &loop->host;
#ifdef PURR_ASAN
    void *fake_save = NULL;
    void **fake_slot = from ? (from->state == PURR__DONE ? NULL
                                                         : &from->asan_fake_stack)
                            : &fake_save;
    const void *bottom = to ? to->stack_lo : loop->host_stack_lo;
    size_t size = to ? to->stack_size : loop->host_stack_size;
    __sanitizer_start_switch_fiber(fake_slot, bottom, size);
    purr__ctx_switch(from_ctx, to_ctx);
    const void *old_bottom;
    size_t old_size;
    __sanitizer_finish_switch_fiber(from ? from->asan_fake_stack : fake_save,
                                    &old_bottom, &old_size);
    if (!from) {
        /* nothing to learn: the host's bounds are learnt in task_entry */
    }
#else
    purr__ctx_switch(from_ctx, to_ctx);
#endif
    reap_zombie(loop);
}

/* Starts loading what resuming the parked task t touches: the frames it
 * returns through (from its saved stack pointer up; 328 bytes for a task in
 * purr_sleep on x86-64, so six lines cover the usual case) and the struct
 * line its park reads. A hint only: no effect on what runs. */
static inline void
prefetch_resume(purr_task *t)
{
#ifndef PURR_CTX_UCONTEXT
    const char *sp = (const char *)((uintptr_t)t->ctx.sp & ~(uintptr_t)63);
    __builtin_prefetch(sp, 1);
    __builtin_prefetch(sp + 64, 1);
    __builtin_prefetch(sp + 128, 1);
    __builtin_prefetch(sp + 192, 1);
    __builtin_prefetch(sp + 256, 1);
    __builtin_prefetch(sp + 320, 1);
    __builtin_prefetch((const char *)t + 64, 1);
#else
    (void)t;
#endif
}

/* Leaves the running task self (already queued, parked or ended) and runs
 * the next runnable task, advancing virtual time first if none is. */
static void
switch_away(purr_loop *loop, purr_task *self)
{
    purr_task *next = runq_pop(loop);
    if (!next && loop->clock->advance && loop->clock->advance(loop))
        next = runq_pop(loop);
    if (next == self) {
        self->state = PURR__RUNNING;
        return;
    }
    loop->current = next;
    if (next)
        next->state = PURR__RUNNING;
    switch_to(loop, self, next);
}

/* ---------------------------------------------------------------------- */
/* Park and wake                                                           */
/* ---------------------------------------------------------------------- */

static void
emit_cancelled(purr_loop *loop, purr_task *t)
{
    if (purr__observing(loop, PURR_EV_TASK_CANCELLED))
        purr__emit_task(loop, PURR_EV_TASK_CANCELLED, t, PURR_ECANCELED,
                        NULL);
}

/* A task ignores its cancellation in a loop: name it, say where it last
 * checkpointed and which scope cancelled it, and abort (see
 * PURR__CANCEL_SPIN_LIMIT in core_int.h). */
static _Noreturn void
cancel_spin_panic(purr_task *t, const purr_scope *s)
{
    char where[160] = "";
    if (s->enter_file_)
        snprintf(where, sizeof where, " (the scope entered at %s:%d)",
                 s->enter_file_, s->enter_line_);
    else if (s->owner)
        snprintf(where, sizeof where, " (a scope of task '%s' #%llu)",
                 s->owner->name, (unsigned long long)s->owner->id);
    purr__panic(__FILE__, __LINE__, "purr_checkpoint",
                "task '%s' #%llu keeps running after its scope was "
                "cancelled%s: its last %u checkpoints returned PURR_ECANCELED "
                "without it leaving the scope (the last: %s); a loop "
                "that ignores PURR_ECANCELED never ends (return it: "
                "PURR_TRY)",
                t->name, (unsigned long long)t->id, where,
                PURR__CANCEL_SPIN_LIMIT,
                t->cancel_what ? t->cancel_what : "purr_checkpoint");
}

int
purr__check_cancel_slow(purr_task *t)
{
    purr_loop *loop = t->loop;
    purr_scope *s = purr__cancel_scope_of(t);
    if (!s) {
        t->cancel_spins = 0;
        return 0;
    }
    s->cancelled_caught = true;
    if (__builtin_expect(++t->cancel_spins >= PURR__CANCEL_SPIN_LIMIT, 0))
        cancel_spin_panic(t, s);
    emit_cancelled(loop, t);
    return PURR_ECANCELED;
}

int
purr__park(purr__waiter *w, bool cancellable, const char *what,
           const void *obj)
{
    purr_loop *loop = purr__loop;
    purr_task *self = loop->current;
    if (cancellable && loop->ncancelled && purr__cancel_scope_of(self)) {
        self->cancel_what = what;
        if (w) {
            if (w->on_cancel)
                w->on_cancel(w);
            else
                purr__waitq_remove(w);
        }
        return purr__check_cancel(self);
    }
    self->state = PURR__BLOCKED;
    self->waiter = w;
    self->cancellable = cancellable;
    self->blocked_on = what;
    self->blocked_obj = obj;
    if (purr__observing(loop, PURR_EV_TASK_BLOCKED))
        purr__emit_task(loop, PURR_EV_TASK_BLOCKED, self, 0, what);
    switch_away(loop, self);
    self->waiter = NULL;
    self->blocked_on = NULL;
    self->blocked_obj = NULL;
    int rc = self->wake_rc;
    if (rc == PURR_ECANCELED) {
        purr_scope *s = purr__cancel_scope_of(self);
        if (s)
            s->cancelled_caught = true;
        emit_cancelled(loop, self);
    }
    return rc;
}


void
purr__wake(purr_task *t, int rc)
{
    purr_loop *loop = t->loop;
    PURR_ASSERT(t->state == PURR__BLOCKED); /* only parked tasks wake */
    if (purr__timer_armed(&t->sleep_timer))
        purr__timer_disarm(loop, &t->sleep_timer);
    t->wake_rc = rc;
    t->state = PURR__RUNNABLE;
    purr__runq_push(loop, t);
    if (purr__observing(loop, PURR_EV_TASK_WOKEN))
        purr__emit_task(loop, PURR_EV_TASK_WOKEN, t, rc, NULL);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints and sleeping                                                */
/* ---------------------------------------------------------------------- */

int
purr_checkpoint(void)
{
    purr_task *self = purr__self(__func__);
    int rc = purr__check_cancel(self);
    if (rc) {
        self->cancel_what = "checkpoint";
        return rc;
    }
    purr__yield(self); /* returns at once when nobody else is runnable */
    return 0;
}

void
purr__yield(purr_task *self)
{
    purr_loop *loop = self->loop;
    if (!loop->run_head && (!loop->shuffle || loop->batch_pos == loop->batch_len))
        return;
    self->state = PURR__RUNNABLE;
    purr__runq_push(loop, self);
    switch_away(loop, self);
}

static void
sleep_fire(purr__timer *timer)
{
    purr_task *t =
        (purr_task *)((char *)timer - offsetof(purr_task, sleep_timer));
    purr__wake(t, 0);
}

static int
sleep_until(purr_task *self, purr_time deadline)
{
    purr_loop *loop = self->loop;
    if (deadline <= purr__now(loop))
        return purr_checkpoint();
    /* PURR_TIME_NEVER never comes (purr_sleep saturates to it, and scopes
     * arm no timer for it). A timer armed for it would let the virtual
     * clock jump to INT64_MAX, where it would stay, and return 0. */
    if (deadline == PURR_TIME_NEVER)
        return purr_sleep_forever();
    int rc = purr__check_cancel(self);
    if (rc)
        return rc;
    purr__timer_arm(loop, &self->sleep_timer, deadline);
    return purr__park(NULL, true, "sleep", NULL);
}

void
purr__timer_prefetch_owner(purr__timer *timer)
{
    if (timer->fire == sleep_fire)
        prefetch_resume((purr_task *)((char *)timer -
                                      offsetof(purr_task, sleep_timer)));
    else
        __builtin_prefetch(timer, 1);
}

int
purr_sleep_until(purr_time deadline)
{
    return sleep_until(purr__self(__func__), deadline);
}

int
purr_sleep(purr_time duration)
{
    purr_task *self = purr__self(__func__);
    if (duration <= 0)
        return purr_checkpoint();
    purr_time now = purr__now(self->loop);
    /* Saturates at PURR_TIME_NEVER. Tested as now > NEVER - duration, which
     * cannot overflow for duration > 0, because now may be negative
     * (options.start_time) and NEVER - now would overflow. */
    purr_time deadline =
        now > PURR_TIME_NEVER - duration ? PURR_TIME_NEVER : now + duration;
    return sleep_until(self, deadline);
}

int
purr_sleep_forever(void)
{
    purr__self(__func__);
    return purr__park(NULL, true, "sleep_forever", NULL);
}

/* ---------------------------------------------------------------------- */
/* Task life cycle                                                         */
/* ---------------------------------------------------------------------- */

static void task_entry(void *arg);

static purr__stack_pool *
pool_for(purr_loop *loop, size_t size)
{
    size_t page = 4096;
    size = (size + page - 1) / page * page;
    for (purr__stack_pool *p = loop->pools; p; p = p->next)
        if (p->stack_size == size)
            return p;
    purr__stack_pool *p = purr__try_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    purr__stack_pool_init(p, size);
    p->next = loop->pools;
    loop->pools = p;
    return p;
}

purr_task *
purr__task_new(purr_loop *loop, const char *name, bool name_is_literal,
               purr_task_fn fn, void *arg, size_t stack_size,
               const char *file, int line)
{
    purr__stack_pool *pool = loop->default_pool;
    if (stack_size || !pool) {
        if (!stack_size)
            stack_size = loop->default_stack;
        if (stack_size < PURR_STACK_MIN)
            stack_size = PURR_STACK_MIN;
        pool = pool_for(loop, stack_size);
        if (!pool)
            return NULL;
        if (stack_size == loop->default_stack)
            loop->default_pool = pool;
    }
    uint32_t colour;
    void *lo = purr__stack_take(pool, &colour);
    if (!lo)
        return NULL;
    bool fresh = colour & PURR__STACK_FRESH;
    colour &= ~(uint32_t)PURR__STACK_FRESH;
    purr__stack_header *h = purr__stack_header_of(lo, pool->stack_size);
    uintptr_t top = (uintptr_t)h - colour;
    purr_task *t = (purr_task *)((top - sizeof(purr_task)) & ~(uintptr_t)63);
#ifdef PURR_ASAN
    __asan_unpoison_memory_region(lo, pool->stack_size - PURR__STACK_HEADER_SIZE);
    t->asan_fake_stack = NULL;
#endif
    if (fresh) {
        /* A slot's colour never changes, so neither does where its struct
         * is: what depends only on the slot is written once, and the
         * slot's header line is not touched again. */
        h->task = t;
        t->loop = loop;
        t->pool = pool;
        t->stack_lo = lo;
        t->stack_size = (size_t)((char *)t - (char *)lo);
        t->colour = colour;
        /* And what every task leaves as it found it: a task ends with its
         * sleep timer idle, not parked (task_entry asserts it), and with
         * no valgrind registration once reaped. */
        purr__timer_init(&t->sleep_timer, sleep_fire);
        t->waiter = NULL;
        t->blocked_on = NULL;
        t->blocked_obj = NULL;
        t->cancellable = false;
        t->valgrind_id = 0;
    }
    /* Every other field set one by one: clearing the ~300-byte struct with
     * memset (rep stos on lines that are usually cold) was the largest
     * single cost of a spawn. Keep this list in step with struct
     * purr_task. */
    t->run_next = NULL;
    t->state = PURR__RUNNABLE;
    t->wake_rc = 0;
    t->started = false;
    t->scope = NULL;
    t->nursery = NULL;
    t->scope_prev = t->scope_next = NULL;
    t->start = NULL;
    t->fn = fn;
    t->arg = arg;
    t->result = 0;
    t->line = line;
    t->id = ++loop->next_task_id;
    t->file = file;
    t->cancel_spins = 0;
    t->cancel_what = NULL;
    if (!name) {
        t->name = "task";
    } else if (name_is_literal) {
        t->name = name; /* lives as long as the program */
    } else {
        /* Not snprintf, nor strnlen and memcpy: on a spawn+join of a
         * trivial task the first was a third of the cost, the others a
         * tenth. */
        size_t len = 0;
        for (; len < sizeof t->name_buf - 1 && name[len]; len++)
            t->name_buf[len] = name[len];
        t->name_buf[len] = '\0';
        t->name = t->name_buf;
    }
#ifdef PURR_VALGRIND
    if (RUNNING_ON_VALGRIND) /* stored + 1: valgrind's first id is 0 */
        t->valgrind_id = VALGRIND_STACK_REGISTER(lo, (char *)t) + 1;
#endif
    purr__ctx_make(&t->ctx, lo, t->stack_size, task_entry, t);
    /* Counted only: a live task is always on the task list of its
     * innermost scope, and purr_loop_dump finds them all there. */
    loop->ntasks++;
    return t;
}

static void
task_entry(void *arg)
{
    purr_task *t = arg;
    purr_loop *loop = t->loop;
#ifdef PURR_ASAN
    const void *old_bottom;
    size_t old_size;
    __sanitizer_finish_switch_fiber(NULL, &old_bottom, &old_size);
    if (!loop->host_stack_lo && t == loop->main) {
        loop->host_stack_lo = (void *)old_bottom;
        loop->host_stack_size = old_size;
    }
#endif
    reap_zombie(loop);
    t->started = true;
    if (purr__observing(loop, PURR_EV_TASK_STARTED))
        purr__emit_task(loop, PURR_EV_TASK_STARTED, t, 0, NULL);
    t->result = t->fn(t->arg);
    /* Whoever runs next reaps this task and reads these (cold) fields:
     * start loading them while the task winds up. */
    __builtin_prefetch(&t->pool, 1);
    if (t->nursery) {
        purr__nursery_child_done(t); /* checks the scopes were exited */
    } else {
        PURR_API_CHECK(t->scope == &loop->root_scope,
                       "task returned with a cancel scope still entered");
        purr__scope_remove_task(t->scope, t);
    }
    if (purr__observing(loop, PURR_EV_TASK_ENDED))
        purr__emit_task(loop, PURR_EV_TASK_ENDED, t, t->result, NULL);
    loop->ntasks--;
    if (t == loop->main) {
        /* Read by purr_run after this stack has gone back to the pool. */
        loop->main_result = t->result;
        loop->main_done = true;
    }
    /* What purr__task_new does not set again when it reuses this slot. */
    PURR_ASSERT(!purr__timer_armed(&t->sleep_timer) && !t->waiter &&
                !t->blocked_on && !t->blocked_obj);
    t->state = PURR__DONE;
    loop->zombie = t;
    switch_away(loop, t);
    PURR_ASSERT(!"a dead task was resumed");
}

/* ---------------------------------------------------------------------- */
/* purr_run                                                                */
/* ---------------------------------------------------------------------- */

static void
report_deadlock(purr_loop *loop)
{
    FILE *out = loop->deadlock_out ? loop->deadlock_out : stderr;
    purr_time now = loop->clock->now(loop);
    fprintf(out,
            "purr: deadlock at t=%lld.%09llds: every task is blocked and "
            "nothing is scheduled\n",
            (long long)(now / PURR_S), (long long)(now % PURR_S));
    purr_loop_dump(loop, out);
    fflush(out);
}

int
purr_run(purr_loop *loop, const char *name, purr_task_fn main_fn, void *arg)
{
    PURR_API_CHECK(purr__loop == NULL, "purr_run called inside purr_run");
    PURR_API_CHECK(!loop->running, "loop already running");
    purr__loop = loop;
    loop->running = true;
    loop->deadlocked = false;
    purr__stack_guard_setup();
    purr_task *main_task =
        purr__task_new(loop, name ? name : "main", name == NULL, main_fn, arg,
                       0, __FILE__, __LINE__);
    if (!main_task) {
        purr__loop = NULL;
        loop->running = false;
        return PURR_ENOMEM;
    }
    loop->main = main_task;
    purr__scope_init_hidden(&loop->root_scope, NULL, main_task);
    main_task->scope = &loop->root_scope;
    purr__scope_add_task(&loop->root_scope, main_task);
    if (purr__observing(loop, PURR_EV_TASK_SPAWNED))
        purr__emit_task(loop, PURR_EV_TASK_SPAWNED, main_task, 0, NULL);
    purr__runq_push(loop, main_task);
    loop->main_done = false;
    loop->main_result = 0;
    int deadlocks = 0;
    for (;;) {
        purr_task *next = runq_pop(loop);
        if (next) {
            loop->current = next;
            next->state = PURR__RUNNING;
            switch_to(loop, NULL, next);
            loop->current = NULL;
            /* main ended, and with it everything: nurseries nest in it */
            if (loop->main_done && loop->ntasks == 0)
                break;
            continue;
        }
        if (loop->main_done)
            break;
        if (loop->clock->idle(loop))
            continue;
        /* Deadlock: report, then cancel everything so the tasks unwind
         * and their stacks are released. A second deadlock (tasks that
         * shield themselves from the cancellation) gives up. */
        report_deadlock(loop);
        if (++deadlocks > 1)
            break;
        loop->deadlocked = true;
        purr_scope_cancel(&loop->root_scope);
    }
    purr__scope_close_hidden(&loop->root_scope);
    loop->main = NULL;
    loop->running = false;
    purr__loop = NULL;
    return loop->deadlocked ? PURR_EDEADLOCK : loop->main_result;
}

/* ---------------------------------------------------------------------- */
/* Accessors                                                               */
/* ---------------------------------------------------------------------- */

purr_task *
purr_task_current(void)
{
    purr_loop *loop = purr__loop;
    return loop ? loop->current : NULL;
}

const char *
purr_task_name(const purr_task *task)
{
    return task ? task->name : "(none)";
}

uint64_t
purr_task_id(const purr_task *task)
{
    return task ? task->id : 0;
}

purr_nursery *
purr_task_nursery(const purr_task *task)
{
    return task ? task->nursery : NULL;
}
