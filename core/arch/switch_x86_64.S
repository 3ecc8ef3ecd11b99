/* switch_x86_64.S - task context switch for x86-64 System V.
 *
 * purr__ctx_switch(from, to) pushes the six callee-saved integer registers
 * on the current stack, stores rsp into from->sp, loads to->sp and pops the
 * target's registers, then returns into the target. That is all the ABI
 * requires: caller-saved registers are dead across the call, and the SSE
 * control word / x87 control word are left as they are (purr never changes
 * them; a task that does must restore them before its next checkpoint).
 *
 * A fresh context (purr__ctx_make, below in C terms) holds a frame whose
 * return address is purr__ctx_trampoline with r12 = arg and r13 = entry. */

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
    movq    (%rsi), %rsp
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
    /* A task's first resume would `ret` into the trampoline, never where
     * the return-address predictor expects (the call site in switch_to that
     * every other resume returns to): a mispredict per spawned task. Jump
     * there directly instead. rax is free: caller-saved. */
    leaq    purr__ctx_trampoline(%rip), %rax
    cmpq    %rax, (%rsp)
    je      1f
    ret
1:
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
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
 * Lays out, at the 16-byte aligned top of the stack:
 *   [top-8], [top-16]  0 (padding; a zero return address ends unwinding)
 *   [top-24] purr__ctx_trampoline  <- popped by ret
 *   then rbp, rbx, r12 = arg, r13 = entry, r14, r15 (popped in reverse)
 * so that after ret rsp = top - 16 is 16-byte aligned at the trampoline's
 * call, and entry starts with rsp + 8 aligned to 16, as the ABI requires. */
    .globl  purr__ctx_make
    .hidden purr__ctx_make
    .type   purr__ctx_make, @function
    .p2align 4
purr__ctx_make:
    .cfi_startproc
    leaq    (%rsi,%rdx), %rax       /* top = stack_lo + size */
    andq    $-16, %rax
    movq    $0, -8(%rax)
    movq    $0, -16(%rax)
    leaq    purr__ctx_trampoline(%rip), %r10
    movq    %r10, -24(%rax)
    movq    $0, -32(%rax)           /* rbp */
    movq    $0, -40(%rax)           /* rbx */
    movq    %r8, -48(%rax)          /* r12 = arg */
    movq    %rcx, -56(%rax)         /* r13 = entry */
    movq    $0, -64(%rax)           /* r14 */
    movq    $0, -72(%rax)           /* r15 */
    leaq    -72(%rax), %rax
    movq    %rax, (%rdi)
    ret
    .cfi_endproc
    .size   purr__ctx_make, .-purr__ctx_make

    .section .note.GNU-stack,"",@progbits
