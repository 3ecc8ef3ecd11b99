/* switch_ucontext.c - portable task context switch on POSIX ucontext.
 *
 * The fallback for architectures without an assembly switch (PURR_ARCH=
 * ucontext, or any CPU CMake does not recognise). It meets the contract in
 * core_int.h, section "Context switch", with getcontext/makecontext/
 * swapcontext. It is slow (swapcontext also saves and restores the signal
 * mask, a system call per switch: ~160 ns against ~4 ns for the assembly
 * versions), so it is never the default where an assembly switch exists.
 *
 * purr__ctx carries a whole ucontext_t here; its sp field is not used.
 * makecontext passes only int arguments to the new context's function, so
 * entry and arg travel as four 32-bit halves and are put back together in
 * the trampoline. This is exact on LP64 and ILP32 alike, and needs no
 * static or thread-local handoff, which would break if two contexts were
 * made before either first ran.
 */
#include "core_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#ifndef PURR_CTX_UCONTEXT
/* Without it purr__ctx has no ucontext_t and callers would allocate too
 * little: fail the build rather than corrupt memory. */
#error "switch_ucontext.c needs PURR_CTX_UCONTEXT defined"
#endif

/* Halves of a pointer-sized value, as makecontext's int arguments. The
 * unsigned-to-int conversion keeps the bit pattern on every compiler purr
 * supports; unsplit() reverses it through unsigned int. */
static int
hi32(uintptr_t v)
{
    return (int)(unsigned int)((uint64_t)v >> 32);
}

static int
lo32(uintptr_t v)
{
    return (int)(unsigned int)((uint64_t)v & 0xffffffffu);
}

static uintptr_t
unsplit(int hi, int lo)
{
    return (uintptr_t)(((uint64_t)(unsigned int)hi << 32) |
                       (uint64_t)(unsigned int)lo);
}

/* First function a fresh context runs (via makecontext): rebuilds entry and
 * arg from their halves and calls entry(arg). entry must never return; if it
 * does, uc_link is NULL and returning would silently end the thread, so
 * abort loudly instead. */
static void
trampoline(int entry_hi, int entry_lo, int arg_hi, int arg_lo)
{
    void (*entry)(void *) = (void (*)(void *))unsplit(entry_hi, entry_lo);
    void *arg = (void *)unsplit(arg_hi, arg_lo);

    entry(arg);
    fputs("purr: a context's entry function returned\n", stderr);
    abort();
}

void
purr__ctx_make(purr__ctx *ctx, void *stack_lo, size_t size,
               void (*entry)(void *), void *arg)
{
    uintptr_t e = (uintptr_t)entry;
    uintptr_t a = (uintptr_t)arg;

    /* getcontext only fails on platforms that stub it out (ENOSYS); there
     * is no fallback left to fall back to. */
    if (getcontext(&ctx->uc) != 0) {
        perror("purr: getcontext");
        abort();
    }
    ctx->uc.uc_stack.ss_sp = stack_lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    /* makecontext aligns the top of the stack as the ABI requires. The cast
     * to void (*)(void) is the one makecontext's prototype demands. */
    makecontext(&ctx->uc, (void (*)(void))trampoline, 4, hi32(e), lo32(e),
                hi32(a), lo32(a));
}

void
purr__ctx_switch(purr__ctx *from, purr__ctx *to)
{
    if (swapcontext(&from->uc, &to->uc) != 0) {
        perror("purr: swapcontext");
        abort();
    }
}
