/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel AMD SVM: the world switch.
 *
 * keel_svm_vcpu_run(vmcb_pa, regs, host_save_pa) is entered with GIF clear
 * and IRQs disabled. VMSAVE/VMLOAD move the state VMRUN does not switch
 * (FS/GS/TR/LDTR and their bases, KERNEL_GS_BASE, the SYSCALL and SYSENTER
 * MSRs) through a per-CPU host save area. The host's GS base is back
 * before any C code runs. STI right before VMRUN lets a physical interrupt
 * end the guest's run (GIF is still clear, so none is taken here).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define R_RCX	(1 * 8)
#define R_RDX	(2 * 8)
#define R_RBX	(3 * 8)
#define R_RBP	(5 * 8)
#define R_RSI	(6 * 8)
#define R_RDI	(7 * 8)
#define R_R8	(8 * 8)
#define R_R9	(9 * 8)
#define R_R10	(10 * 8)
#define R_R11	(11 * 8)
#define R_R12	(12 * 8)
#define R_R13	(13 * 8)
#define R_R14	(14 * 8)
#define R_R15	(15 * 8)

	.section .text, "ax"

SYM_FUNC_START(keel_svm_vcpu_run)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx

	push %rdx		/* 16(%rsp): host save area */
	push %rsi		/*  8(%rsp): guest GPRs */
	push %rdi		/*  0(%rsp): VMCB */

	mov  %rdx, %rax
	vmsave %rax

	mov  8(%rsp), %rax
	mov  R_RCX(%rax), %rcx
	mov  R_RDX(%rax), %rdx
	mov  R_RBX(%rax), %rbx
	mov  R_RBP(%rax), %rbp
	mov  R_RSI(%rax), %rsi
	mov  R_RDI(%rax), %rdi
	mov  R_R8(%rax),  %r8
	mov  R_R9(%rax),  %r9
	mov  R_R10(%rax), %r10
	mov  R_R11(%rax), %r11
	mov  R_R12(%rax), %r12
	mov  R_R13(%rax), %r13
	mov  R_R14(%rax), %r14
	mov  R_R15(%rax), %r15

	mov  0(%rsp), %rax
	vmload %rax
	sti
	vmrun %rax
	cli
	vmsave %rax

	mov  16(%rsp), %rax
	vmload %rax

	mov  8(%rsp), %rax
	mov  %rcx, R_RCX(%rax)
	mov  %rdx, R_RDX(%rax)
	mov  %rbx, R_RBX(%rax)
	mov  %rbp, R_RBP(%rax)
	mov  %rsi, R_RSI(%rax)
	mov  %rdi, R_RDI(%rax)
	mov  %r8,  R_R8(%rax)
	mov  %r9,  R_R9(%rax)
	mov  %r10, R_R10(%rax)
	mov  %r11, R_R11(%rax)
	mov  %r12, R_R12(%rax)
	mov  %r13, R_R13(%rax)
	mov  %r14, R_R14(%rax)
	mov  %r15, R_R15(%rax)

	/* Leave no guest value in a register for speculation to use. */
	xor  %ecx, %ecx
	xor  %edx, %edx
	xor  %esi, %esi
	xor  %edi, %edi
	xor  %r8d, %r8d
	xor  %r9d, %r9d
	xor  %r10d, %r10d
	xor  %r11d, %r11d

	add  $24, %rsp
	pop  %rbx
	pop  %r12
	pop  %r13
	pop  %r14
	pop  %r15
	pop  %rbp
	RET
SYM_FUNC_END(keel_svm_vcpu_run)
