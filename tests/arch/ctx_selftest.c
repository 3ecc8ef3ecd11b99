/* ctx_selftest.c - self-checking test of the context-switch contract.
 *
 * Exercises purr__ctx_make/purr__ctx_switch (core_int.h, section "Context
 * switch") on whichever switch it is linked with: switch_x86_64.S,
 * switch_aarch64.S or switch_ucontext.c (build with -DPURR_CTX_UCONTEXT).
 * It is deliberately plain C with libc only, no Criterion and no purr_core,
 * so it can be cross-built statically and run under qemu-aarch64
 * (scripts/test-aarch64.sh). Build by hand, e.g.:
 *
 *     cc -O2 -Iinclude -Icore tests/arch/ctx_selftest.c \
 *        core/arch/switch_x86_64.S -o ctx_selftest
 *
 * It prints "ctx_selftest: N checks passed" and exits 0, or names the first
 * failed check and exits 1. What it checks:
 * - ping-pong between main and three contexts, passing values both ways;
 * - callee-saved registers: an assembly probe (x86-64, aarch64) fills every
 *   callee-saved register with a pattern, switches, and compares; and a C
 *   computation with many live integer and double locals gives the same
 *   result with and without switching in the middle of it;
 * - 16-byte stack alignment in entry and its callees, also for stack
 *   bounds that are not themselves aligned, and that the context runs on
 *   the stack it was given and writes nothing outside it;
 * - switches between contexts other than main, and contexts made from
 *   inside another context;
 * - printf and deep recursion on a context's stack, suspended mid-way;
 * - that backtrace() from inside a context ends at the trampoline (glibc);
 * - that entry receives its argument bit for bit, and that a returning
 *   entry kills the process (trap or abort) instead of running on.
 */
#include "core_int.h"

#include <fcntl.h>
#ifdef __GLIBC__
#include <execinfo.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Checks and stacks                                                       */
/* ---------------------------------------------------------------------- */

static unsigned long checks; /* checks passed so far */

static void fail(const char *file, int line, const char *expr,
                 const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

static void
fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "ctx_selftest: FAIL %s:%d: %s", file, line, expr);
    if (fmt) {
        fputs(" (", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc(')', stderr);
    }
    fprintf(stderr, " after %lu passed checks\n", checks);
    exit(1);
}

#define CHECK(cond)                                                          \
    ((cond) ? (void)checks++ : fail(__FILE__, __LINE__, #cond, NULL))
#define CHECKF(cond, ...)                                                    \
    ((cond) ? (void)checks++ : fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

/* Each stack is a malloc'd block with a canary band on both sides of the
 * region handed to purr__ctx_make, so a switch or make that writes outside
 * [lo, lo + size) is caught by stack_free. */
#define STACK_SIZE (256 * 1024)
#define CANARY 64
#define CANARY_BYTE 0xa5

typedef struct stack {
    unsigned char *block; /* malloc'd: canary, usable region, canary */
    unsigned char *lo;    /* low end of the region given to the context */
    size_t size;          /* bytes in that region */
} stack;

/* Allocates a stack whose region starts skew_lo bytes into the usable area
 * and ends trim_hi bytes before its end (to test unaligned bounds). */
static stack
stack_new(size_t skew_lo, size_t trim_hi)
{
    stack s;

    s.block = malloc(STACK_SIZE + 2 * CANARY);
    if (!s.block) {
        fputs("ctx_selftest: out of memory\n", stderr);
        exit(1);
    }
    memset(s.block, CANARY_BYTE, STACK_SIZE + 2 * CANARY);
    s.lo = s.block + CANARY + skew_lo;
    s.size = STACK_SIZE - skew_lo - trim_hi;
    return s;
}

static int
stack_contains(const stack *s, const void *p)
{
    uintptr_t a = (uintptr_t)p;

    return a >= (uintptr_t)s->lo && a < (uintptr_t)s->lo + s->size;
}

/* Checks both canary bands, then frees the stack. The context using it
 * must never be resumed again. */
static void
stack_free(stack *s)
{
    unsigned char *top = s->lo + s->size;

    for (unsigned char *p = s->block; p < s->lo; p++)
        CHECKF(*p == CANARY_BYTE, "byte %td below the stack was written",
               s->lo - p);
    for (unsigned char *p = top; p < s->block + STACK_SIZE + 2 * CANARY; p++)
        CHECKF(*p == CANARY_BYTE, "byte %td above the stack was written",
               p - top);
    free(s->block);
}

static purr__ctx main_ctx; /* where main is suspended while a context runs */

/* ---------------------------------------------------------------------- */
/* Ping-pong with values                                                   */
/* ---------------------------------------------------------------------- */

#define PP_N 3
#define PP_ROUNDS 20000

typedef struct pingpong {
    purr__ctx ctx;
    int id;
    long in;   /* set by main before each switch in */
    long out;  /* set by the context before each switch out */
    long seen; /* rounds the context has answered */
} pingpong;

static pingpong pp[PP_N];

static void
pp_entry(void *arg)
{
    pingpong *p = arg;

    CHECK(p >= pp && p < pp + PP_N);
    for (;;) {
        p->out = p->in * 3 + p->id;
        p->seen++;
        purr__ctx_switch(&p->ctx, &main_ctx);
    }
}

static void
test_pingpong(void)
{
    stack st[PP_N];

    for (int i = 0; i < PP_N; i++) {
        st[i] = stack_new(0, 0);
        pp[i].id = i;
        purr__ctx_make(&pp[i].ctx, st[i].lo, st[i].size, pp_entry, &pp[i]);
    }
    for (long round = 0; round < PP_ROUNDS; round++) {
        for (int i = 0; i < PP_N; i++) {
            pp[i].in = round * 7 + i;
            purr__ctx_switch(&main_ctx, &pp[i].ctx);
            CHECKF(pp[i].out == (round * 7 + i) * 3 + i,
                   "context %d round %ld answered %ld", i, round, pp[i].out);
        }
    }
    for (int i = 0; i < PP_N; i++) {
        CHECK(pp[i].seen == PP_ROUNDS);
        stack_free(&st[i]);
    }
}

/* ---------------------------------------------------------------------- */
/* Argument passing                                                        */
/* ---------------------------------------------------------------------- */

/* A pointer with bits set in both 32-bit halves and the top bit set, so a
 * ucontext switch that splits it into ints must get sign and halves right.
 * It is compared, never dereferenced. */
#define ARG_BITS                                                             \
    ((void *)(uintptr_t)(UINTPTR_MAX - (uintptr_t)0x0123456789abcdefULL))

static purr__ctx arg_ctx;
static void *arg_got;

static void
arg_entry(void *arg)
{
    arg_got = arg;
    for (;;)
        purr__ctx_switch(&arg_ctx, &main_ctx);
}

static void
test_arg(void)
{
    stack st = stack_new(0, 0);

    purr__ctx_make(&arg_ctx, st.lo, st.size, arg_entry, ARG_BITS);
    purr__ctx_switch(&main_ctx, &arg_ctx);
    CHECKF(arg_got == ARG_BITS, "entry got %p, expected %p", arg_got,
           ARG_BITS);
    stack_free(&st);
}

/* ---------------------------------------------------------------------- */
/* Callee-saved registers: assembly probe                                  */
/* ---------------------------------------------------------------------- */

/* uint64_t ctx_regcheck(purr__ctx *from, purr__ctx *to, uint64_t base)
 * Saves the callee-saved registers (it is an ordinary function itself),
 * loads each callee-saved register with base + a per-register offset,
 * calls purr__ctx_switch(from, to) and, once switched back, returns the OR
 * of (actual ^ expected) over those registers: 0 if all survived. On
 * aarch64 it also checks that x29 came back equal to sp. */
#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_REGCHECK 1
uint64_t ctx_regcheck(purr__ctx *from, purr__ctx *to, uint64_t base);
#endif

#if defined(__x86_64__)
__asm__(
    "   .pushsection .text\n"
    "   .globl ctx_regcheck\n"
    "   .hidden ctx_regcheck\n"
    "   .type ctx_regcheck, @function\n"
    "   .p2align 4\n"
    "ctx_regcheck:\n"
    "   pushq %rbp\n"
    "   pushq %rbx\n"
    "   pushq %r12\n"
    "   pushq %r13\n"
    "   pushq %r14\n"
    "   pushq %r15\n"
    "   subq $8, %rsp\n" /* base lives at (%rsp); rsp is 16-aligned */
    "   movq %rdx, (%rsp)\n"
    "   leaq 1(%rdx), %rbx\n"
    "   leaq 2(%rdx), %rbp\n"
    "   .irp n, 12, 13, 14, 15\n"
    "   leaq \\n(%rdx), %r\\n\n"
    "   .endr\n"
    "   call purr__ctx_switch@PLT\n"
    "   movq (%rsp), %rdx\n"
    "   xorl %eax, %eax\n"
    "   leaq 1(%rdx), %rcx\n"
    "   xorq %rbx, %rcx\n"
    "   orq %rcx, %rax\n"
    "   leaq 2(%rdx), %rcx\n"
    "   xorq %rbp, %rcx\n"
    "   orq %rcx, %rax\n"
    "   .irp n, 12, 13, 14, 15\n"
    "   leaq \\n(%rdx), %rcx\n"
    "   xorq %r\\n, %rcx\n"
    "   orq %rcx, %rax\n"
    "   .endr\n"
    "   addq $8, %rsp\n"
    "   popq %r15\n"
    "   popq %r14\n"
    "   popq %r13\n"
    "   popq %r12\n"
    "   popq %rbx\n"
    "   popq %rbp\n"
    "   ret\n"
    "   .size ctx_regcheck, .-ctx_regcheck\n"
    "   .popsection\n");
#elif defined(__aarch64__)
__asm__(
    "   .pushsection .text\n"
    "   .globl ctx_regcheck\n"
    "   .hidden ctx_regcheck\n"
    "   .type ctx_regcheck, %function\n"
    "   .p2align 4\n"
    "ctx_regcheck:\n"
    "   stp x29, x30, [sp, #-176]!\n"
    "   mov x29, sp\n"
    "   stp x19, x20, [sp, #16]\n"
    "   stp x21, x22, [sp, #32]\n"
    "   stp x23, x24, [sp, #48]\n"
    "   stp x25, x26, [sp, #64]\n"
    "   stp x27, x28, [sp, #80]\n"
    "   stp d8, d9, [sp, #96]\n"
    "   stp d10, d11, [sp, #112]\n"
    "   stp d12, d13, [sp, #128]\n"
    "   stp d14, d15, [sp, #144]\n"
    "   str x2, [sp, #160]\n"
    "   .irp n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28\n"
    "   add x\\n, x2, #\\n\n"
    "   .endr\n"
    "   .irp n, 8, 9, 10, 11, 12, 13, 14, 15\n"
    "   add x9, x2, #(100 + \\n)\n"
    "   fmov d\\n, x9\n"
    "   .endr\n"
    "   bl purr__ctx_switch\n"
    "   ldr x2, [sp, #160]\n"
    "   mov x0, xzr\n"
    "   .irp n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28\n"
    "   add x9, x2, #\\n\n"
    "   eor x9, x9, x\\n\n"
    "   orr x0, x0, x9\n"
    "   .endr\n"
    "   .irp n, 8, 9, 10, 11, 12, 13, 14, 15\n"
    "   add x9, x2, #(100 + \\n)\n"
    "   fmov x10, d\\n\n"
    "   eor x9, x9, x10\n"
    "   orr x0, x0, x9\n"
    "   .endr\n"
    "   mov x9, sp\n"
    "   eor x9, x9, x29\n"
    "   orr x0, x0, x9\n"
    "   ldp d14, d15, [sp, #144]\n"
    "   ldp d12, d13, [sp, #128]\n"
    "   ldp d10, d11, [sp, #112]\n"
    "   ldp d8, d9, [sp, #96]\n"
    "   ldp x27, x28, [sp, #80]\n"
    "   ldp x25, x26, [sp, #64]\n"
    "   ldp x23, x24, [sp, #48]\n"
    "   ldp x21, x22, [sp, #32]\n"
    "   ldp x19, x20, [sp, #16]\n"
    "   ldp x29, x30, [sp], #176\n"
    "   ret\n"
    "   .size ctx_regcheck, .-ctx_regcheck\n"
    "   .popsection\n");
#endif

#ifdef HAVE_REGCHECK
#define REG_ROUNDS 200
#define BASE_MAIN 0x5a5a5a5a00000000ULL
#define BASE_CTX 0xa5a5a5a500000000ULL

static purr__ctx reg_ctx;
static long reg_rounds; /* probes the context has completed */
static uint64_t reg_bad; /* OR of the context's probe results */

static void
reg_entry(void *arg)
{
    (void)arg;
    for (;;) {
        reg_bad |= ctx_regcheck(&reg_ctx, &main_ctx, BASE_CTX);
        reg_rounds++;
    }
}

static void
test_registers_asm(void)
{
    stack st = stack_new(0, 0);

    purr__ctx_make(&reg_ctx, st.lo, st.size, reg_entry, NULL);
    for (int i = 0; i < REG_ROUNDS; i++) {
        uint64_t bad =
            ctx_regcheck(&main_ctx, &reg_ctx, BASE_MAIN + i * 0x1000);
        CHECKF(bad == 0, "main round %d: differing bits %#llx", i,
               (unsigned long long)bad);
    }
    /* The context's first probe switched out before checking: it has
     * completed one probe fewer than main. */
    CHECKF(reg_rounds == REG_ROUNDS - 1, "context completed %ld probes",
           reg_rounds);
    CHECKF(reg_bad == 0, "context: differing bits %#llx",
           (unsigned long long)reg_bad);
    stack_free(&st);
}
#endif

/* ---------------------------------------------------------------------- */
/* Callee-saved registers: many live locals                                */
/* ---------------------------------------------------------------------- */

typedef void yield_fn(void *arg);

static void
no_yield(void *arg)
{
    (void)arg;
}

static uint64_t
mix_double(uint64_t h, double d)
{
    uint64_t bits;

    memcpy(&bits, &d, sizeof bits);
    return (h ^ bits) * 0x100000001b3ULL;
}

/* A computation with more live integer and double values than there are
 * callee-saved registers, calling yield(arg) every round. Whatever the
 * yield does, the result must equal the one with no_yield: every value is
 * either in a callee-saved register or spilled to this stack across the
 * call. noinline keeps the compiler from folding it into the caller. */
static __attribute__((noinline)) uint64_t
churn(uint64_t seed, int rounds, yield_fn *yield, void *arg)
{
    uint64_t a = seed, b = seed * 3 + 1, c = seed ^ 0x9e3779b97f4a7c15ULL;
    uint64_t d = 5, e = 7, f = 11, g = 13, h = 17, i = 19, j = 23, k = 29;
    uint64_t l = 31;
    double x = 1.5 + (double)seed, y = 2.25, z = 3.125, u = 0.5, v = -1.75;
    double w = 4.0, p = 0.1, q = 0.2;

    for (int r = 0; r < rounds; r++) {
        a = a * 6364136223846793005ULL + b;
        b ^= a >> 13;
        c += b * 3;
        d = d * 31 + c;
        e ^= d << 7;
        f += e;
        g = g * 17 ^ f;
        h += g >> 3;
        i ^= h;
        j += i * 5;
        k ^= j >> 11;
        l += k;
        x = x * 0.5 + y * 0.25 + (double)(a & 0xff);
        y = y * 0.75 - z * 0.125;
        z = z * 0.5 + u;
        u = u * 0.25 + v * 0.5 + (double)(l & 0xf);
        v = v * 0.5 - w * 0.25;
        w = w * 0.75 + p;
        p = p * 0.5 + q * 0.125 + x * 0.001;
        q = q * 0.25 + (double)(r & 7);
        yield(arg);
    }
    uint64_t hash = a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l;
    hash = mix_double(hash, x);
    hash = mix_double(hash, y);
    hash = mix_double(hash, z);
    hash = mix_double(hash, u);
    hash = mix_double(hash, v);
    hash = mix_double(hash, w);
    hash = mix_double(hash, p);
    return mix_double(hash, q);
}

#define CHURN_ROUNDS 5000

/* A ring main -> ring[0] -> ring[1] -> main, each member running churn
 * with its own seed and switching to the next member at every yield. */
typedef struct ring_member {
    purr__ctx ctx;    /* unused for main, which has main_ctx */
    purr__ctx *self;  /* where this member is saved when it yields */
    purr__ctx *next;  /* where this member's yield switches to */
    uint64_t seed;
    uint64_t result;  /* set when its churn has returned */
    int done;
} ring_member;

static ring_member ring[2];

static void
ring_yield(void *arg)
{
    ring_member *m = arg;

    purr__ctx_switch(m->self, m->next);
}

static void
ring_entry(void *arg)
{
    ring_member *m = arg;

    m->result = churn(m->seed, CHURN_ROUNDS, ring_yield, m);
    m->done = 1;
    for (;;)
        purr__ctx_switch(&m->ctx, &main_ctx);
}

static void
test_registers_live(void)
{
    ring_member me = {0}; /* main's own place in the ring */
    stack st[2];

    for (int n = 0; n < 2; n++) {
        st[n] = stack_new(0, 0);
        ring[n].seed = 100 + n;
        ring[n].done = 0;
        ring[n].self = &ring[n].ctx;
        purr__ctx_make(&ring[n].ctx, st[n].lo, st[n].size, ring_entry,
                       &ring[n]);
    }
    ring[0].next = &ring[1].ctx;
    ring[1].next = &main_ctx;
    me.self = &main_ctx;
    me.next = &ring[0].ctx;

    uint64_t got = churn(99, CHURN_ROUNDS, ring_yield, &me);
    CHECK(got == churn(99, CHURN_ROUNDS, no_yield, NULL));

    /* Both members are suspended in their last yield: let them finish. */
    for (int n = 0; n < 2; n++) {
        CHECK(!ring[n].done);
        purr__ctx_switch(&main_ctx, &ring[n].ctx);
        CHECK(ring[n].done);
        CHECKF(ring[n].result ==
                   churn(ring[n].seed, CHURN_ROUNDS, no_yield, NULL),
               "member %d", n);
        stack_free(&st[n]);
    }
}

/* ---------------------------------------------------------------------- */
/* Stack alignment and bounds                                              */
/* ---------------------------------------------------------------------- */

/* Stores the address of a local the compiler places 16-byte aligned by
 * assuming the ABI's 16-byte sp alignment at calls (alignment 16 never
 * makes it realign the stack), and this function's frame address. Both are
 * read back through volatile, so the check cannot be folded away. */
static __attribute__((noinline)) void
align_probe(volatile uintptr_t *local_addr, volatile uintptr_t *frame_addr)
{
    unsigned char buf[16] __attribute__((aligned(16)));

    /* buf is never written: an inlined memset would use aligned vector
     * stores and crash on a misaligned stack before the check could name
     * the problem. The asm only forces buf to exist in this frame. */
    __asm__ volatile("" : : "r"(buf) : "memory");
    *local_addr = (uintptr_t)buf;
    *frame_addr = (uintptr_t)__builtin_frame_address(0);
}

typedef struct align_case {
    purr__ctx ctx;
    stack st;
    volatile uintptr_t local_addr; /* from align_probe called by entry */
    volatile uintptr_t frame_addr;
    volatile uintptr_t entry_local; /* address of a local of entry */
    int ran;
} align_case;

static void
align_entry(void *arg)
{
    align_case *c = arg;
    volatile int marker = 1;

    c->entry_local = (uintptr_t)&marker;
    align_probe(&c->local_addr, &c->frame_addr);
    c->ran = marker;
    for (;;)
        purr__ctx_switch(&c->ctx, &main_ctx);
}

static void
test_alignment(void)
{
    /* (skew of lo, trim of the top): aligned, and every odd combination. */
    static const size_t geometry[][2] = {
        {0, 0}, {1, 0}, {0, 1}, {3, 5}, {8, 8}, {7, 9}, {15, 15}, {16, 24},
    };

    for (size_t n = 0; n < sizeof geometry / sizeof geometry[0]; n++) {
        align_case c = {0};

        c.st = stack_new(geometry[n][0], geometry[n][1]);
        purr__ctx_make(&c.ctx, c.st.lo, c.st.size, align_entry, &c);
        purr__ctx_switch(&main_ctx, &c.ctx);
        CHECK(c.ran == 1);
        CHECKF(c.local_addr % 16 == 0, "geometry %zu: aligned local at %#lx",
               n, (unsigned long)c.local_addr);
        CHECKF(c.frame_addr % 16 == 0, "geometry %zu: frame address %#lx",
               n, (unsigned long)c.frame_addr);
        CHECKF(stack_contains(&c.st, (void *)c.entry_local),
               "geometry %zu: entry's local at %#lx is off its stack", n,
               (unsigned long)c.entry_local);
        CHECK(stack_contains(&c.st, (void *)c.local_addr));
        stack_free(&c.st);
    }
}

/* ---------------------------------------------------------------------- */
/* Switches between contexts, and contexts made inside contexts            */
/* ---------------------------------------------------------------------- */

static purr__ctx nest_a, nest_b, nest_c;
static stack nest_b_stack;
static char trace[32];
static size_t trace_len;

static void
trace_add(char ch)
{
    if (trace_len + 1 < sizeof trace)
        trace[trace_len++] = ch;
}

static void
nest_b_entry(void *arg)
{
    (void)arg;
    trace_add('b');
    purr__ctx_switch(&nest_b, &nest_c);
    trace_add('B');
    purr__ctx_switch(&nest_b, &nest_a);
    for (;;)
        purr__ctx_switch(&nest_b, &main_ctx);
}

static void
nest_a_entry(void *arg)
{
    (void)arg;
    trace_add('a');
    /* B is made and first entered from here, not from main. */
    purr__ctx_make(&nest_b, nest_b_stack.lo, nest_b_stack.size,
                   nest_b_entry, NULL);
    purr__ctx_switch(&nest_a, &nest_b);
    trace_add('A');
    purr__ctx_switch(&nest_a, &nest_c);
    for (;;)
        purr__ctx_switch(&nest_a, &main_ctx);
}

static void
nest_c_entry(void *arg)
{
    (void)arg;
    trace_add('c');
    purr__ctx_switch(&nest_c, &main_ctx);
    trace_add('C');
    for (;;)
        purr__ctx_switch(&nest_c, &main_ctx);
}

static void
test_nested(void)
{
    stack sa = stack_new(0, 0), sc = stack_new(0, 0);

    nest_b_stack = stack_new(0, 0);
    purr__ctx_make(&nest_a, sa.lo, sa.size, nest_a_entry, NULL);
    purr__ctx_make(&nest_c, sc.lo, sc.size, nest_c_entry, NULL);
    purr__ctx_switch(&main_ctx, &nest_a); /* a -> b -> c -> main */
    trace_add('M');
    purr__ctx_switch(&main_ctx, &nest_b); /* B -> A -> C -> main */
    trace_add('M');
    trace[trace_len] = '\0';
    CHECKF(strcmp(trace, "abcMBACM") == 0, "trace \"%s\"", trace);
    stack_free(&sa);
    stack_free(&nest_b_stack);
    stack_free(&sc);
}

/* ---------------------------------------------------------------------- */
/* Deep recursion and printf on context stacks                             */
/* ---------------------------------------------------------------------- */

#define DEPTH 600

typedef struct deep {
    purr__ctx ctx;
    stack st;
    uint64_t result;
    int bottom_on_stack; /* the deepest frame lay inside st */
    int printed_ok;
} deep;

/* Recurses depth levels (not a tail call: each level uses its pad after
 * the call returns). At the bottom it switches self -> back when self is
 * set, so the whole chain of frames stays suspended on the stack. */
static __attribute__((noinline)) uint64_t
recurse(int depth, deep *self, purr__ctx *back)
{
    volatile unsigned char pad[64];
    uint64_t below;

    for (size_t n = 0; n < sizeof pad; n++)
        pad[n] = (unsigned char)(depth * 7 + n);
    if (depth == 0) {
        if (self) {
            self->bottom_on_stack = stack_contains(&self->st, (void *)pad);
            purr__ctx_switch(&self->ctx, back);
        }
        below = 1;
    } else {
        below = recurse(depth - 1, self, back);
    }
    uint64_t sum = below * 31 + (uint64_t)depth;
    for (size_t n = 0; n < sizeof pad; n++)
        sum += pad[n];
    return sum;
}

static void
deep_entry(void *arg)
{
    deep *d = arg;
    char buf[128];

    /* Variadic doubles: x86-64 saves xmm argument registers with aligned
     * stores in printf's prologue, so a misaligned stack crashes here. */
    snprintf(buf, sizeof buf, "%.3f|%s|%d|%.2Lf|%g", 3.14159, "purr", 42,
             (long double)2.5, 1e-3);
    d->printed_ok = strcmp(buf, "3.142|purr|42|2.50|0.001") == 0;
    printf("ctx_selftest: printf on a context stack: %s\n", buf);
    fflush(stdout);
    d->result = recurse(DEPTH, d, &main_ctx);
    for (;;)
        purr__ctx_switch(&d->ctx, &main_ctx);
}

static void
test_deep(void)
{
    deep d[2];
    uint64_t expect = recurse(DEPTH, NULL, NULL);

    for (int n = 0; n < 2; n++) {
        memset(&d[n], 0, sizeof d[n]);
        d[n].st = stack_new(0, 0);
        purr__ctx_make(&d[n].ctx, d[n].st.lo, d[n].st.size, deep_entry,
                       &d[n]);
    }
    /* Both contexts end up suspended at the bottom of DEPTH frames at
     * once; then each unwinds. */
    for (int n = 0; n < 2; n++) {
        purr__ctx_switch(&main_ctx, &d[n].ctx);
        CHECK(d[n].printed_ok);
        CHECK(d[n].bottom_on_stack);
    }
    for (int n = 1; n >= 0; n--) {
        purr__ctx_switch(&main_ctx, &d[n].ctx);
        CHECKF(d[n].result == expect, "context %d: %#llx != %#llx", n,
               (unsigned long long)d[n].result, (unsigned long long)expect);
        stack_free(&d[n].st);
    }
}

/* ---------------------------------------------------------------------- */
/* Unwinding stops at the trampoline                                       */
/* ---------------------------------------------------------------------- */

#ifdef __GLIBC__
#define HAVE_BACKTRACE 1
#define BT_DEPTH 8
#define BT_MAX 64

static purr__ctx bt_ctx;
static int bt_frames; /* frames backtrace() found inside the context */

/* Recurses depth levels, then counts the frames above it. The volatile
 * read after the call keeps each level from becoming a tail call. */
static __attribute__((noinline)) int
bt_recurse(int depth)
{
    volatile int keep = depth;
    void *frames[BT_MAX];

    if (depth == 0)
        return backtrace(frames, BT_MAX);
    return bt_recurse(depth - 1) + (keep - depth);
}

static void
bt_entry(void *arg)
{
    (void)arg;
    bt_frames = bt_recurse(BT_DEPTH);
    for (;;)
        purr__ctx_switch(&bt_ctx, &main_ctx);
}

/* The unwinder (DWARF CFI, as used by backtrace, C++ exceptions and
 * sanitizers) must walk from a context's frames up to its entry and then
 * stop at the trampoline, not run off into the memory above the stack. */
static void
test_backtrace(void)
{
    stack st = stack_new(0, 0);

    purr__ctx_make(&bt_ctx, st.lo, st.size, bt_entry, NULL);
    purr__ctx_switch(&main_ctx, &bt_ctx);
    /* BT_DEPTH + 1 levels, bt_entry, the trampoline, with ucontext glibc's
     * __start_context, and under ASan an interceptor frame: a few more than
     * the recursion, far fewer than BT_MAX (which a runaway unwind fills). */
    CHECKF(bt_frames > BT_DEPTH && bt_frames <= BT_DEPTH + 8,
           "backtrace found %d frames for %d recursion levels", bt_frames,
           BT_DEPTH + 1);
    stack_free(&st);
}
#endif

/* ---------------------------------------------------------------------- */
/* A returning entry must kill the process                                 */
/* ---------------------------------------------------------------------- */

/* How each switch reports a returning entry: the ucontext trampoline
 * aborts, the x86-64 one executes ud2, the aarch64 one brk. Elsewhere any
 * fatal signal is accepted. */
#if defined(PURR_CTX_UCONTEXT)
#define RETURN_SIGNAL SIGABRT
#elif defined(__x86_64__)
#define RETURN_SIGNAL SIGILL
#elif defined(__aarch64__)
#define RETURN_SIGNAL SIGTRAP
#endif

static purr__ctx ret_ctx;
static int ret_pipe = -1; /* write end: the entry reports that it ran */

static void
returning_entry(void *arg)
{
    (void)arg;
    if (write(ret_pipe, "R", 1) != 1)
        _exit(4);
    /* returns: contract violation, must trap */
}

static void
test_entry_returns(void)
{
    int fds[2];
    int status;
    char got = 0;

    CHECK(pipe(fds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        int devnull = open("/dev/null", O_WRONLY);
        stack st = stack_new(0, 0);

        setrlimit(RLIMIT_CORE, &no_core);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO); /* the abort message, if any */
        close(fds[0]);
        ret_pipe = fds[1];
        purr__ctx_make(&ret_ctx, st.lo, st.size, returning_entry, NULL);
        purr__ctx_switch(&main_ctx, &ret_ctx);
        _exit(3); /* came back: nothing should ever switch to main_ctx */
    }
    close(fds[1]);
    CHECK(read(fds[0], &got, 1) == 1 && got == 'R');
    close(fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECKF(WIFSIGNALED(status), "child %s %d instead of dying by a signal",
           WIFEXITED(status) ? "exited with" : "status",
           WIFEXITED(status) ? WEXITSTATUS(status) : status);
#ifdef RETURN_SIGNAL
    CHECKF(WTERMSIG(status) == RETURN_SIGNAL,
           "child died by signal %d, expected %d", WTERMSIG(status),
           RETURN_SIGNAL);
#endif
}

/* ---------------------------------------------------------------------- */

int
main(void)
{
    /* The most specific probes first, so a broken switch is named by them
     * before the broader tests crash on it. */
#ifdef HAVE_REGCHECK
    test_registers_asm();
#endif
    test_alignment();
    test_arg();
    test_pingpong();
    test_registers_live();
    test_nested();
    test_deep();
#ifdef HAVE_BACKTRACE
    test_backtrace();
#endif
    test_entry_returns();
    printf("ctx_selftest: %lu checks passed\n", checks);
    return 0;
}
