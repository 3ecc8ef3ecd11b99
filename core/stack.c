/* stack.c - task stacks: pooled slots in large arenas, guard regions, and
 * the stack-overflow handler that names the task.
 *
 * A pool hands out stacks of one size. Slots are carved from arenas reserved
 * with one mmap each (MAP_NORESERVE: nothing is committed until touched, so
 * an idle task costs the pages it actually used, typically one). Each slot
 * is [guard | stack]; the guard is installed with madvise(MADV_GUARD_INSTALL)
 * (Linux 6.13+), which does not split the mapping, so a million tasks need a
 * handful of VMAs. On older kernels we fall back to mprotect, which costs two
 * VMAs per stack and therefore limits a process to about 32,000 tasks under
 * the default vm.max_map_count of 65,530; spawn then fails with PURR_ENOMEM
 * and a message saying so.
 *
 * Freed stacks go on a LIFO free array so the next spawn reuses warm pages.
 * The top 64 bytes of every slot hold a header (the task using the slot);
 * the SIGSEGV handler, running on an alternate signal stack, maps a
 * faulting address inside a guard back to that header and prints the
 * task's name and spawn site before letting the process die. The registry
 * of arenas it reads is append-only (an entry's addresses never change), so
 * the handler can read it without locks. Arenas are never unmapped: when a
 * loop closes, its pools' arenas pass to the next pool of the same sizes. */
#include "core_int.h"
#include "stack_int.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define GUARD_PAGES 4          /* 16 KiB: larger than any sane frame */
#define MAX_ARENAS 4096
#define ARENA_MIN_SLOTS 16
#define ARENA_MAX_BYTES ((size_t)64 << 30)

/* The registry the SIGSEGV handler reads: every arena ever reserved. */
typedef struct arena_info {
    char *base;          /* first slot */
    char *end;           /* one past the last slot */
    size_t slot_size;    /* bytes per slot */
    size_t stack_size;   /* usable bytes per slot */
    const purr__stack_pool *owner; /* pool carving it; NULL once its pool
                                      closed: free for the next pool of the
                                      same sizes (under arenas_mu) */
} arena_info;

static arena_info arenas[MAX_ARENAS];
static atomic_size_t narenas;
static pthread_mutex_t arenas_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int guard_mode;  /* 0 unknown, 1 madvise, 2 mprotect */
static size_t page_size;

static size_t
page(void)
{
    if (!page_size)
        page_size = (size_t)sysconf(_SC_PAGESIZE);
    return page_size;
}

size_t
purr__stack_guard_size(void)
{
    return GUARD_PAGES * page();
}

static size_t
round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Installs the guard (len bytes) at the start of slot. Returns 0 or an
 * errno value. */
static int
install_guard(char *slot, size_t len)
{
    int mode = atomic_load(&guard_mode);
    if (mode != 2) {
        if (madvise(slot, len, MADV_GUARD_INSTALL) == 0) {
            atomic_store(&guard_mode, 1);
            return 0;
        }
        if (errno != EINVAL)
            return errno;
        atomic_store(&guard_mode, 2);
    }
    if (mprotect(slot, len, PROT_NONE) != 0) {
        if (errno == ENOMEM)
            fprintf(stderr,
                    "purr: cannot install a stack guard (vm.max_map_count "
                    "reached: this kernel lacks MADV_GUARD_INSTALL, so each "
                    "task stack costs two mappings)\n");
        return errno;
    }
    return 0;
}

/* Takes an arena a closed pool of the same sizes left, if there is one
 * (its pages are already touched, and nothing new is mapped: a program
 * that opens loop after loop does not grow). Returns its index or
 * SIZE_MAX. Called with arenas_mu held. */
static size_t
arena_adopt(purr__stack_pool *pool)
{
    size_t n = atomic_load(&narenas);
    for (size_t i = 0; i < n; i++) {
        arena_info *a = &arenas[i];
        if (!a->owner && a->slot_size == pool->slot_size &&
            a->stack_size == pool->stack_size) {
            a->owner = pool;
            return i;
        }
    }
    return SIZE_MAX;
}

/* Gives pool a new arena: one a closed pool left, else a new reservation of
 * pool->arena_slots slots. Returns 0 or errno. */
static int
arena_reserve(purr__stack_pool *pool)
{
    pthread_mutex_lock(&arenas_mu);
    size_t reused = arena_adopt(pool);
    pthread_mutex_unlock(&arenas_mu);
    if (reused != SIZE_MAX) {
        pool->arena_next = arenas[reused].base;
        pool->arena_end = arenas[reused].end;
        return 0;
    }
    size_t slots = pool->arena_slots;
    if (slots < ARENA_MIN_SLOTS)
        slots = ARENA_MIN_SLOTS;
    size_t bytes = slots * pool->slot_size;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return errno;
#ifdef MADV_NOHUGEPAGE
    (void)madvise(p, bytes, MADV_NOHUGEPAGE); /* stacks touch one page each */
#endif
    pthread_mutex_lock(&arenas_mu);
    size_t i = atomic_load(&narenas);
    if (i < MAX_ARENAS) {
        arenas[i] = (arena_info){(char *)p, (char *)p + bytes,
                                 pool->slot_size, pool->stack_size, pool};
        atomic_store(&narenas, i + 1);
    }
    pthread_mutex_unlock(&arenas_mu);
    pool->arena_next = p;
    pool->arena_end = (char *)p + bytes;
    /* Grow geometrically so a million tasks need ~20 arenas. */
    size_t next = slots * 2;
    if (next * pool->slot_size > ARENA_MAX_BYTES)
        next = ARENA_MAX_BYTES / pool->slot_size;
    pool->arena_slots = next;
    return 0;
}

void
purr__stack_pool_init(purr__stack_pool *pool, size_t stack_size)
{
    memset(pool, 0, sizeof *pool);
    pool->stack_size = round_up(stack_size, page());
    /* The guard is GUARD_PAGES pages, or one more to make the slot an odd
     * number of pages. Slot tops are page aligned, so with an even count
     * they fall on a few page offsets modulo the L2 cache's way size (with
     * 68-page slots, 8 of 32 for a 1 MiB 8-way L2) and a thousand tasks'
     * hottest lines compete for a quarter of its sets; an odd count cycles
     * through all of them. It costs a page of address space, not memory. */
    size_t guard = purr__stack_guard_size();
    if (((guard + pool->stack_size) / page()) % 2 == 0)
        guard += page();
    pool->slot_size = guard + pool->stack_size;
    pool->arena_slots = ARENA_MIN_SLOTS;
}

void *
purr__stack_get(purr__stack_pool *pool, uint32_t *colour)
{
    if (pool->nfree) {
        uintptr_t e = pool->free[--pool->nfree];
        *colour = (uint32_t)(e & PURR__COLOUR_MASK);
        return (void *)(e & ~PURR__COLOUR_MASK);
    }
    /* Room to take this stack back later, so that a put never allocates. */
    if (pool->carved == pool->free_cap) {
        size_t cap = pool->free_cap ? pool->free_cap * 2 : 64;
        uintptr_t *f = purr__try_malloc(cap * sizeof *f);
        if (!f)
            return NULL;
        if (pool->nfree)
            memcpy(f, pool->free, pool->nfree * sizeof *f);
        free(pool->free);
        pool->free = f;
        pool->free_cap = cap;
    }
    if (pool->arena_next == pool->arena_end && arena_reserve(pool) != 0)
        return NULL;
    char *slot = pool->arena_next;
    size_t guard = pool->slot_size - pool->stack_size;
    if (install_guard(slot, guard) != 0)
        return NULL;
    pool->arena_next += pool->slot_size;
    void *lo = slot + guard;
    purr__stack_header *h = purr__stack_header_of(lo, pool->stack_size);
    h->task = NULL;
    /* Stagger stack tops by multiples of 64 B within a page: every slot top
     * has the same page offset, and without this the hot frames of many
     * tasks would alias into the same cache sets. */
    *colour = (uint32_t)((pool->carved % 48) * 64) | PURR__STACK_FRESH;
    pool->carved++;
    return lo;
}

void
purr__stack_put(purr__stack_pool *pool, void *stack_lo, uint32_t colour)
{
    PURR_ASSERT(pool->nfree < pool->free_cap); /* room kept by get */
    pool->free[pool->nfree++] = (uintptr_t)stack_lo | colour;
}

void
purr__stack_pool_close(purr__stack_pool *pool)
{
    /* Arenas stay mapped (the overflow handler's registry points into
     * them) and go to the next pool of the same sizes. Every stack is back
     * in the pool by now: the loop has no task left. */
    pthread_mutex_lock(&arenas_mu);
    size_t n = atomic_load(&narenas);
    for (size_t i = 0; i < n; i++)
        if (arenas[i].owner == pool)
            arenas[i].owner = NULL;
    pthread_mutex_unlock(&arenas_mu);
    free(pool->free);
    pool->free = NULL;
    pool->nfree = 0;
    pool->free_cap = 0;
}

/* ---------------------------------------------------------------------- */
/* Overflow handler                                                        */
/* ---------------------------------------------------------------------- */

static struct sigaction old_segv, old_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static _Thread_local void *altstack;

/* Async-signal-safe formatting helpers. */
static size_t
put_str(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    return at;
}

static size_t
put_u64(char *buf, size_t at, size_t cap, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at + 1 < cap)
        buf[at++] = tmp[--n];
    return at;
}

/* Finds the task whose guard contains addr, or NULL. */
static const purr_task *
guard_owner(const char *addr, size_t *stack_size)
{
    size_t n = atomic_load(&narenas);
    for (size_t i = 0; i < n; i++) {
        const arena_info *a = &arenas[i];
        if (addr < a->base || addr >= a->end)
            continue;
        size_t guard = a->slot_size - a->stack_size;
        size_t off = (size_t)(addr - a->base) % a->slot_size;
        if (off >= guard)
            return NULL; /* inside a stack, not its guard */
        const char *slot = addr - off;
        purr__stack_header *h =
            purr__stack_header_of((void *)(slot + guard), a->stack_size);
        *stack_size = a->stack_size;
        return h->task;
    }
    return NULL;
}

static void
on_fault(int sig, siginfo_t *info, void *uctx)
{
    size_t stack_size = 0;
    const purr_task *t = guard_owner((const char *)info->si_addr, &stack_size);
    if (t) {
        char msg[512];
        size_t n = 0;
        n = put_str(msg, n, sizeof msg, "purr: stack overflow in task '");
        n = put_str(msg, n, sizeof msg, t->name);
        n = put_str(msg, n, sizeof msg, "' (#");
        n = put_u64(msg, n, sizeof msg, t->id);
        n = put_str(msg, n, sizeof msg, ", spawned at ");
        n = put_str(msg, n, sizeof msg, t->file ? t->file : "?");
        n = put_str(msg, n, sizeof msg, ":");
        n = put_u64(msg, n, sizeof msg, (unsigned long long)t->line);
        n = put_str(msg, n, sizeof msg, "): its stack is ");
        n = put_u64(msg, n, sizeof msg, stack_size);
        n = put_str(msg, n, sizeof msg,
                    " bytes; give it more with purr_spawn_options."
                    "stack_size or purr_loop_options.stack_size\n");
        ssize_t w = write(STDERR_FILENO, msg, n);
        (void)w;
        signal(sig, SIG_DFL); /* the faulting access repeats and kills us */
        return;
    }
    /* Not ours: hand over to whoever was there before (e.g. ASan). */
    struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, info, uctx);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);
    }
}

static void
install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

void
purr__stack_guard_setup(void)
{
    pthread_once(&handler_once, install_handler);
    if (altstack)
        return;
    /* The handler must not run on the overflowing stack. Keep any
     * alternate stack someone else (ASan) already installed. */
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
        altstack = cur.ss_sp;
        return;
    }
    size_t size = 64 * 1024;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    stack_t ss = {.ss_sp = p, .ss_size = size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0)
        altstack = p;
    else
        munmap(p, size);
}
