/* alloc.c - the core's allocator wrappers and the fault-injection hook.
 *
 * Out-of-memory in the core is a panic naming the requested size,
 * except in the few constructors documented as fallible, which use the
 * purr__try_* forms. purr__alloc_fail_after(n) makes the n-th allocation
 * from now fail, so tests can drive every fallible constructor's failure
 * path. The counter is thread-local: tests run one loop per thread. */
#include "core_int.h"

#include <stdio.h>

static _Thread_local long fail_countdown; /* 0: off; n: n-th call fails */

void
purr__alloc_fail_after(long n)
{
    fail_countdown = n;
}

static bool
injected_failure(void)
{
    if (fail_countdown <= 0)
        return false;
    return --fail_countdown == 0;
}

void *
purr__try_malloc(size_t size)
{
    if (injected_failure())
        return NULL;
    return malloc(size ? size : 1);
}

void *
purr__try_calloc(size_t n, size_t size)
{
    if (injected_failure())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

static _Noreturn void
oom(size_t size)
{
    fprintf(stderr, "purr: out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

void *
purr__malloc(size_t size)
{
    void *p = purr__try_malloc(size);
    if (!p)
        oom(size);
    return p;
}

void *
purr__calloc(size_t n, size_t size)
{
    void *p = purr__try_calloc(n, size);
    if (!p)
        oom(n * size);
    return p;
}

void *
purr__realloc(void *p, size_t size)
{
    void *q = injected_failure() ? NULL : realloc(p, size ? size : 1);
    if (!q)
        oom(size);
    return q;
}
