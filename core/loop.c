/* loop.c - the loop object: creation, options, posts, dumps.
 *
 * One loop per thread. It owns the tasks' stacks, the timer heap and the
 * clock. Posts are the only thread-safe entry point: other threads queue a
 * function under post_mu and wake the clock; the loop thread runs posted
 * functions in the order they were posted, outside any task. */
#include "core_int.h"
#include "stack_int.h"

#include <stdlib.h>
#include <string.h>

purr_loop *
purr_loop_new(const purr_loop_options *opts)
{
    purr_loop_options defaults;
    memset(&defaults, 0, sizeof defaults);
    if (!opts)
        opts = &defaults;
    purr_loop *loop = purr__try_calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->clock_kind = opts->clock;
    loop->clock = opts->clock == PURR_CLOCK_REAL ? &purr__clock_uv
                                                 : &purr__clock_virtual;
    loop->default_stack = opts->stack_size ? opts->stack_size
                                           : PURR_STACK_DEFAULT;
    if (loop->default_stack < PURR_STACK_MIN)
        loop->default_stack = PURR_STACK_MIN;
    loop->shuffle = opts->shuffle;
    /* splitmix64 of the seed, so seeds 0, 1, 2... give unrelated streams */
    uint64_t z = opts->shuffle_seed;
    for (int i = 0; i < 2; i++) {
        z += 0x9e3779b97f4a7c15ull;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        loop->rng[i] = x ^ (x >> 31);
    }
    if (!loop->rng[0] && !loop->rng[1])
        loop->rng[0] = 1;
    loop->now_ns = opts->start_time;
    loop->tslot_free = SIZE_MAX;
    loop->deadlock_out = opts->deadlock_report;
    loop->pace = opts->pace;
    loop->pace_ctx = opts->pace_ctx;
    pthread_mutex_init(&loop->post_mu, NULL);
    pthread_cond_init(&loop->post_cv, NULL);
    atomic_init(&loop->nposts, 0);
    if (loop->clock->init(loop) != 0) {
        pthread_mutex_destroy(&loop->post_mu);
        pthread_cond_destroy(&loop->post_cv);
        free(loop);
        return NULL;
    }
    return loop;
}

int
purr_loop_close(purr_loop *loop)
{
    if (!loop)
        return 0;
    if (loop->ntasks || loop->running)
        return PURR_EBUSY;
    loop->clock->close(loop);
    for (purr__stack_pool *p = loop->pools, *next; p; p = next) {
        next = p->next;
        purr__stack_pool_close(p);
        free(p);
    }
    for (purr__post *p = loop->posts_head, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    free(loop->heap_mem);
    free(loop->tslot_timer);
    free(loop->tslot);
    free(loop->batch);
    pthread_mutex_destroy(&loop->post_mu);
    pthread_cond_destroy(&loop->post_cv);
    free(loop);
    return 0;
}

purr_loop *
purr_loop_current(void)
{
    return purr__loop;
}

purr_time
purr_now(void)
{
    purr_loop *loop = purr__loop;
    PURR_API_CHECK(loop != NULL, "purr_now outside purr_run");
    return purr__now(loop);
}

purr_clock_kind
purr_loop_clock(const purr_loop *loop)
{
    return loop->clock_kind;
}

size_t
purr_loop_task_count(const purr_loop *loop)
{
    return loop->ntasks;
}

static const char *
state_name(int state)
{
    switch (state) {
    case PURR__RUNNABLE:
        return "runnable";
    case PURR__RUNNING:
        return "running";
    case PURR__BLOCKED:
        return "blocked";
    default:
        return "ended";
    }
}

static void
dump_task(const purr_task *t, FILE *out)
{
    fprintf(out, "  #%llu '%s' (spawned at %s:%d): %s",
            (unsigned long long)t->id, t->name, t->file ? t->file : "?",
            t->line, state_name(t->state));
    if (t->state == PURR__BLOCKED && t->blocked_on)
        fprintf(out, " on %s", t->blocked_on);
    if (t->state == PURR__BLOCKED && purr__timer_armed(&t->sleep_timer))
        fprintf(out, " until t=%lldns", (long long)t->sleep_timer.deadline_ns);
    fputc('\n', out);
}

static int
by_id(const void *a, const void *b)
{
    const purr_task *x = *(const purr_task *const *)a;
    const purr_task *y = *(const purr_task *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The scope after s in a depth-first walk of the tree under root (NULL at
 * the end): no recursion, however deep the nesting. */
static const purr_scope *
scope_walk_next(const purr_scope *s, const purr_scope *root)
{
    if (s->first_child_)
        return s->first_child_;
    while (s != root && !s->next_sibling_)
        s = s->parent;
    return s == root ? NULL : s->next_sibling_;
}

void
purr_loop_dump(const purr_loop *loop, FILE *out)
{
    fprintf(out, "purr: %zu task(s):\n", loop->ntasks);
    if (!loop->ntasks)
        return;
    /* Every live task is on the task list of its innermost scope, and
     * every scope hangs under the root scope: the walk finds them all,
     * and sorting by id lists them in spawn order. Without memory for the
     * sort they are listed in walk order. */
    const purr_task **all = purr__try_malloc(loop->ntasks * sizeof *all);
    size_t n = 0;
    const purr_scope *root = &loop->root_scope;
    for (const purr_scope *s = root; s; s = scope_walk_next(s, root)) {
        for (const purr_task *t = s->first_task_; t; t = t->scope_next) {
            if (all && n < loop->ntasks)
                all[n++] = t;
            else if (!all)
                dump_task(t, out);
        }
    }
    if (!all)
        return;
    qsort(all, n, sizeof *all, by_id);
    for (size_t i = 0; i < n; i++)
        dump_task(all[i], out);
    free(all);
}

/* ---------------------------------------------------------------------- */
/* Posts                                                                   */
/* ---------------------------------------------------------------------- */

int
purr_loop_post(purr_loop *loop, purr_post_fn fn, void *arg)
{
    purr__post *p = purr__try_malloc(sizeof *p);
    if (!p)
        return PURR_ENOMEM;
    p->next = NULL;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&loop->post_mu);
    if (loop->posts_tail)
        loop->posts_tail->next = p;
    else
        loop->posts_head = p;
    loop->posts_tail = p;
    atomic_fetch_add(&loop->nposts, 1);
    pthread_cond_signal(&loop->post_cv);
    pthread_mutex_unlock(&loop->post_mu);
    loop->clock->wakeup(loop);
    return 0;
}

size_t
purr__posts_run(purr_loop *loop)
{
    if (!purr__posts_pending(loop))
        return 0;
    pthread_mutex_lock(&loop->post_mu);
    purr__post *p = loop->posts_head;
    loop->posts_head = loop->posts_tail = NULL;
    atomic_store(&loop->nposts, 0);
    pthread_mutex_unlock(&loop->post_mu);
    size_t n = 0;
    /* Posted functions run outside any task, on the loop thread. */
    purr_task *saved = loop->current;
    loop->current = NULL;
    while (p) {
        purr__post *next = p->next;
        p->fn(p->arg);
        free(p);
        p = next;
        n++;
    }
    loop->current = saved;
    return n;
}

void
purr_loop_hold(purr_loop *loop)
{
    pthread_mutex_lock(&loop->post_mu);
    loop->holds++;
    pthread_mutex_unlock(&loop->post_mu);
}

void
purr_loop_unhold(purr_loop *loop)
{
    pthread_mutex_lock(&loop->post_mu);
    loop->holds--;
    pthread_cond_signal(&loop->post_cv);
    pthread_mutex_unlock(&loop->post_mu);
    loop->clock->wakeup(loop);
}
