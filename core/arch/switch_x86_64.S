/* switch_x86_64.S - task context switch for x86-64 System V.
 *
 * purr__ctx_switch(from, to) pushes the six callee-saved integer registers
 * on the current stack, stores rsp into from->sp, loads to->sp and pops the
 * target's registers, then returns into the target. That is all the ABI
 * requires: caller-saved registers are dead across the call, and the SSE
 * control word / x87 control word are left as they are (purr never changes
 * them; a task that does must restore them before its next checkpoint).
 *
 * A fresh context (purr__ctx_make, below) holds no saved frame: its sp has
 * bit 0 set and points at entry and arg, the last 16 bytes below the top
 * of its stack. The switch sees the bit, takes entry and arg, and jumps to
 * purr__ctx_trampoline with rsp at the top. Making a context then writes
 * 16 bytes (one cache line) instead of a 72-byte frame (two), and starting
 * it reads one: with a thousand tasks spawned before any runs, each line is
 * a miss. */

    .text
    .globl  purr__ctx_switch
    .hidden purr__ctx_switch
    .type   purr__ctx_switch, @function
    .p2align 4
purr__ctx_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    movq    %rsp, (%rdi)
    movq    (%rsi), %rax
    testb   $1, %al
    jnz     1f
    movq    %rax, %rsp
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    ret
1:
    /* A fresh context: rax = (top - 16) | 1, with entry at [top - 16] and
     * arg at [top - 8]. Nothing above the top is a frame: unwinding stops
     * here. Jumping (not returning) into the trampoline also spares the
     * return-address predictor a miss per new task. */
    .cfi_undefined rip
    leaq    -1(%rax), %rsp
    popq    %r13                    /* entry */
    popq    %r12                    /* arg */
    jmp     purr__ctx_trampoline
    .cfi_endproc
    .size   purr__ctx_switch, .-purr__ctx_switch

/* First code a new task runs: entry(arg). The caller frame is undefined so
 * debuggers stop the backtrace here. entry never returns; ud2 if it does. */
    .globl  purr__ctx_trampoline
    .hidden purr__ctx_trampoline
    .type   purr__ctx_trampoline, @function
    .p2align 4
purr__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r12, %rdi
    xorl    %ebp, %ebp
    callq   *%r13
    ud2
    .cfi_endproc
    .size   purr__ctx_trampoline, .-purr__ctx_trampoline

/* void purr__ctx_make(purr__ctx *ctx, void *stack_lo, size_t size,
 *                     void (*entry)(void *), void *arg)
 * At the 16-byte aligned top of the stack, stores
 *   [top-16] entry, [top-8] arg
 * and sets ctx->sp = (top - 16) | 1 (stack pointers are 8-byte aligned, so
 * bit 0 marks a fresh context). The first switch to it jumps to the
 * trampoline with rsp = top, 16-byte aligned at the trampoline's call, so
 * entry starts with rsp + 8 aligned to 16, as the ABI requires. */
    .globl  purr__ctx_make
    .hidden purr__ctx_make
    .type   purr__ctx_make, @function
    .p2align 4
purr__ctx_make:
    .cfi_startproc
    leaq    (%rsi,%rdx), %rax       /* top = stack_lo + size */
    andq    $-16, %rax
    movq    %rcx, -16(%rax)         /* entry */
    movq    %r8, -8(%rax)           /* arg */
    leaq    -15(%rax), %rax         /* (top - 16) | 1 */
    movq    %rax, (%rdi)
    ret
    .cfi_endproc
    .size   purr__ctx_make, .-purr__ctx_make

    .section .note.GNU-stack,"",@progbits
