/* switch_aarch64.S - task context switch for AArch64 (AAPCS64, ELF).
 *
 * Implements the contract in core_int.h, section "Context switch":
 * purr__ctx_switch saves exactly the registers AAPCS64 makes callee-saved
 * (x19-x28, x29 (fp), x30 (lr) and the low 64 bits of v8-v15, i.e. d8-d15)
 * on the current stack, stores sp into from->sp, loads to->sp and restores
 * the same frame from the target stack. Everything else is caller-saved, so
 * the C caller has already given it up by calling us. x18 is the platform
 * register (reserved on some OSes) and is never touched. FPCR/FPSR are not
 * switched: like MXCSR on x86-64 they are thread state, and purr never
 * changes them per task.
 *
 * Saved frame, 160 bytes, 16-byte aligned; ctx->sp points at its low end:
 *
 *     sp+0    x29 (fp)      sp+8    x30 (lr: where the switch returns to)
 *     sp+16   x19           sp+24   x20
 *     sp+32   x21           sp+40   x22
 *     sp+48   x23           sp+56   x24
 *     sp+64   x25           sp+72   x26
 *     sp+80   x27           sp+88   x28
 *     sp+96   d8            sp+104  d9
 *     sp+112  d10           sp+120  d11
 *     sp+128  d12           sp+136  d13
 *     sp+144  d14           sp+152  d15
 *
 * x29/x30 sit at the bottom so the frame starts with an ordinary AAPCS64
 * frame record; a debugger command that resumes a suspended task's
 * registers reads this layout (keep the two in sync).
 *
 * Both halves of the switch describe the same frame, so one set of CFI
 * directives is right on either stack: a backtrace taken inside the switch
 * (or from a suspended task's saved frame) unwinds into the task's caller.
 */

#if !defined(__aarch64__) || !defined(__ELF__)
#error "switch_aarch64.S is for AArch64 ELF targets"
#endif

#define FRAME 160

        .text

/* void purr__ctx_switch(purr__ctx *from, purr__ctx *to)
 * x0 = from, x1 = to. Returns (with ret through the restored x30) into
 * whatever last switched away from to, or into the trampoline for a fresh
 * context made by purr__ctx_make. */
        .globl  purr__ctx_switch
        .hidden purr__ctx_switch
        .type   purr__ctx_switch, %function
        .p2align 4
purr__ctx_switch:
        .cfi_startproc
        stp     x29, x30, [sp, #-FRAME]!
        .cfi_def_cfa_offset FRAME
        .cfi_offset x29, -FRAME
        .cfi_offset x30, -FRAME + 8
        stp     x19, x20, [sp, #16]
        .cfi_offset x19, -FRAME + 16
        .cfi_offset x20, -FRAME + 24
        stp     x21, x22, [sp, #32]
        .cfi_offset x21, -FRAME + 32
        .cfi_offset x22, -FRAME + 40
        stp     x23, x24, [sp, #48]
        .cfi_offset x23, -FRAME + 48
        .cfi_offset x24, -FRAME + 56
        stp     x25, x26, [sp, #64]
        .cfi_offset x25, -FRAME + 64
        .cfi_offset x26, -FRAME + 72
        stp     x27, x28, [sp, #80]
        .cfi_offset x27, -FRAME + 80
        .cfi_offset x28, -FRAME + 88
        stp     d8, d9, [sp, #96]
        .cfi_offset d8, -FRAME + 96
        .cfi_offset d9, -FRAME + 104
        stp     d10, d11, [sp, #112]
        .cfi_offset d10, -FRAME + 112
        .cfi_offset d11, -FRAME + 120
        stp     d12, d13, [sp, #128]
        .cfi_offset d12, -FRAME + 128
        .cfi_offset d13, -FRAME + 136
        stp     d14, d15, [sp, #144]
        .cfi_offset d14, -FRAME + 144
        .cfi_offset d15, -FRAME + 152

        /* sp cannot be the operand of str/ldr data transfers: go via x9
         * (caller-saved, free here). */
        mov     x9, sp
        str     x9, [x0]
        ldr     x9, [x1]
        mov     sp, x9

        ldp     d14, d15, [sp, #144]
        ldp     d12, d13, [sp, #128]
        ldp     d10, d11, [sp, #112]
        ldp     d8, d9, [sp, #96]
        ldp     x27, x28, [sp, #80]
        ldp     x25, x26, [sp, #64]
        ldp     x23, x24, [sp, #48]
        ldp     x21, x22, [sp, #32]
        ldp     x19, x20, [sp, #16]
        ldp     x29, x30, [sp], #FRAME
        .cfi_def_cfa_offset 0
        .cfi_restore x29
        .cfi_restore x30
        .cfi_restore x19
        .cfi_restore x20
        .cfi_restore x21
        .cfi_restore x22
        .cfi_restore x23
        .cfi_restore x24
        .cfi_restore x25
        .cfi_restore x26
        .cfi_restore x27
        .cfi_restore x28
        .cfi_restore d8
        .cfi_restore d9
        .cfi_restore d10
        .cfi_restore d11
        .cfi_restore d12
        .cfi_restore d13
        .cfi_restore d14
        .cfi_restore d15
        ret
        .cfi_endproc
        .size   purr__ctx_switch, .-purr__ctx_switch

/* First code a fresh context runs: purr__ctx_switch "returns" here with sp
 * at the 16-byte aligned top of the stack, x29 = 0 (end of the frame-record
 * chain), x19 = entry and x20 = arg. entry must never return; if it does,
 * brk traps (SIGTRAP) instead of running off into whatever follows.
 * x30 is marked undefined so unwinders stop here rather than walking into
 * the garbage above the stack. File-local: nothing calls it by name. */
        .type   purr__ctx_trampoline, %function
        .p2align 4
purr__ctx_trampoline:
        .cfi_startproc
        .cfi_undefined x30
        mov     x0, x20
        blr     x19
        brk     #0x1
        .cfi_endproc
        .size   purr__ctx_trampoline, .-purr__ctx_trampoline

/* void purr__ctx_make(purr__ctx *ctx, void *stack_lo, size_t size,
 *                     void (*entry)(void *), void *arg)
 * x0 = ctx, x1 = stack_lo, x2 = size, x3 = entry, x4 = arg.
 * Builds a saved frame (layout above) just below the 16-byte aligned top of
 * [stack_lo, stack_lo + size) whose x30 is the trampoline, so that the
 * first purr__ctx_switch to ctx pops it and "returns" into the trampoline
 * with sp exactly at the aligned top. The other saved registers are zeroed
 * so a fresh task starts from a known state. Leaf; touches only x9-x10. */
        .globl  purr__ctx_make
        .hidden purr__ctx_make
        .type   purr__ctx_make, %function
        .p2align 4
purr__ctx_make:
        .cfi_startproc
        add     x9, x1, x2
        and     x9, x9, #~15
        sub     x9, x9, #FRAME
        adr     x10, purr__ctx_trampoline
        stp     xzr, x10, [x9, #0]      /* x29 = 0, x30 = trampoline */
        stp     x3, x4, [x9, #16]       /* x19 = entry, x20 = arg */
        stp     xzr, xzr, [x9, #32]
        stp     xzr, xzr, [x9, #48]
        stp     xzr, xzr, [x9, #64]
        stp     xzr, xzr, [x9, #80]
        stp     xzr, xzr, [x9, #96]
        stp     xzr, xzr, [x9, #112]
        stp     xzr, xzr, [x9, #128]
        stp     xzr, xzr, [x9, #144]
        str     x9, [x0]
        ret
        .cfi_endproc
        .size   purr__ctx_make, .-purr__ctx_make

        .section .note.GNU-stack, "", %progbits
