// SPDX-License-Identifier: GPL-2.0
/*
 * keel selftests: 64-bit guests. Copies the (static, non-PIE) test binary
 * into guest memory at its own addresses, identity-maps the first 4 GiB
 * with 2 MiB pages, and installs a GDT, a TSS and an IDT whose exception
 * handlers report through a ucall.
 */
#include <elf.h>
#include <sys/auxv.h>

#include "keel_util.h"
#include "guest.h"
#include "ucall.h"

/* 16-byte exception stubs; each pushes (error, vector) and joins common. */
asm(".pushsection .text\n"
	".macro KL_STUB vec, err\n"
	"  .balign 16\n"
	"  .if \\err == 0\n"
	"  pushq $0\n"
	"  .endif\n"
	"  pushq $\\vec\n"
	"  jmp kl_exc_common\n"
	".endm\n"
	".balign 16\n"
	".globl kl_idt_stubs\n"
	"kl_idt_stubs:\n"
	"KL_STUB 0,0\nKL_STUB 1,0\nKL_STUB 2,0\nKL_STUB 3,0\n"
	"KL_STUB 4,0\nKL_STUB 5,0\nKL_STUB 6,0\nKL_STUB 7,0\n"
	"KL_STUB 8,1\nKL_STUB 9,0\nKL_STUB 10,1\nKL_STUB 11,1\n"
	"KL_STUB 12,1\nKL_STUB 13,1\nKL_STUB 14,1\nKL_STUB 15,0\n"
	"KL_STUB 16,0\nKL_STUB 17,1\nKL_STUB 18,0\nKL_STUB 19,0\n"
	"KL_STUB 20,0\nKL_STUB 21,1\nKL_STUB 22,0\nKL_STUB 23,0\n"
	"KL_STUB 24,0\nKL_STUB 25,0\nKL_STUB 26,0\nKL_STUB 27,0\n"
	"KL_STUB 28,0\nKL_STUB 29,1\nKL_STUB 30,1\nKL_STUB 31,0\n"
	/* Vectors 32-255: count the interrupt and return to the guest. */
	".balign 16\n"
	".globl kl_irq_stubs\n"
	"kl_irq_stubs:\n"
	".set kl_vec, 32\n"
	".rept 224\n"
	"  .balign 16\n"
	"  pushq $kl_vec\n"
	"  jmp kl_irq_common\n"
	"  .set kl_vec, kl_vec + 1\n"
	".endr\n"
	"kl_irq_common:\n"
	"  pushq %rax\n  pushq %rcx\n  pushq %rdx\n  pushq %rsi\n"
	"  pushq %rdi\n  pushq %r8\n  pushq %r9\n  pushq %r10\n"
	"  pushq %r11\n"
	"  movq 72(%rsp), %rdi\n"
	"  movq 96(%rsp), %rsi\n"	/* the interrupted RFLAGS */
	"  subq $8, %rsp\n"
	"  call kl_guest_irq\n"
	"  addq $8, %rsp\n"
	"  popq %r11\n  popq %r10\n  popq %r9\n  popq %r8\n"
	"  popq %rdi\n  popq %rsi\n  popq %rdx\n  popq %rcx\n"
	"  popq %rax\n"
	"  addq $8, %rsp\n"
	"  iretq\n"
	"kl_exc_common:\n"
	"  movq 0(%rsp), %rdi\n"
	"  movq 8(%rsp), %rsi\n"
	"  movq 16(%rsp), %rdx\n"
	"  andq $-16, %rsp\n"
	"  call kl_guest_exception\n"
	"1: hlt\n"
	"  jmp 1b\n"
	".popsection\n");

extern char kl_idt_stubs[];
extern char kl_irq_stubs[];

volatile u64 kl_irq_count;
volatile u64 kl_irq_last;
volatile u64 kl_irq_masked;
void (*volatile kl_irq_hook)(u64 vector);

/* Runs in the guest for each interrupt on vectors 32-255. */
KL_NO_VECTOR void kl_guest_irq(u64 vector, u64 rflags)
{
	/* A maskable interrupt never interrupts code running with IF clear. */
	if (!(rflags & BIT(9)))
		kl_irq_masked++;
	kl_irq_count++;
	kl_irq_last = vector;
	if (kl_irq_hook)
		kl_irq_hook(vector);
}

void kl_guest_exception(u64 vector, u64 error, u64 rip)
{
	kl_ucall(KL_UCALL_EXCEPTION, vector, error, rip, 0);
	for (;;)
		kl_guest_hlt();
}

/* Where a guest entry function returns to. */
static void kl_guest_returned(void)
{
	GUEST_DONE();
	for (;;)
		kl_guest_hlt();
}

static void kl_copy_self(struct kl_vm *vm)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM), i;

	KL_REQUIRE(ph && n, "no program headers");
	for (i = 0; i < n; i++) {
		u64 start, end;

		if (ph[i].p_type != PT_LOAD)
			continue;
		start = ph[i].p_vaddr & ~(KL_PAGE_SIZE - 1);
		end = (ph[i].p_vaddr + ph[i].p_memsz + KL_PAGE_SIZE - 1) &
		      ~(KL_PAGE_SIZE - 1);
		KL_REQUIRE(end <= vm->mem_size,
			   "test binary (to 0x%llx) does not fit in guest memory",
			   (unsigned long long)end);
		memcpy(vm->mem + start, (void *)start, end - start);
	}
}

void kl_vm_setup_long_mode(struct kl_vm *vm)
{
	u64 *pml4 = kl_gpa_to_hva(vm, KL_GPA_PML4);
	u64 *pdpt = kl_gpa_to_hva(vm, KL_GPA_PDPT);
	u64 *pd = kl_gpa_to_hva(vm, KL_GPA_PD);
	u64 *gdt = kl_gpa_to_hva(vm, KL_GPA_GDT);
	u64 i;

	kl_copy_self(vm);

	pml4[0] = KL_GPA_PDPT | 0x3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (KL_GPA_PD + i * KL_PAGE_SIZE) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;	/* P, RW, 2 MiB */

	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;	/* 64-bit code, DPL0 */
	gdt[2] = 0x00cf93000000ffffULL;	/* data */
	gdt[3] = 0x67 | ((KL_GPA_TSS & 0xffffff) << 16) | (0x8bULL << 40) |
		 ((KL_GPA_TSS >> 24) << 56);
	gdt[4] = KL_GPA_TSS >> 32;

	for (i = 0; i < 256; i++)
		kl_vm_set_idt_gate(vm, i, i < 32 ? kl_idt_stubs + i * 16 :
				   kl_irq_stubs + (i - 32) * 16);
	vm->long_mode_ready = true;
}

void kl_vm_set_idt_gate(struct kl_vm *vm, int vector, void *handler)
{
	u64 *idt = kl_gpa_to_hva(vm, KL_GPA_IDT);
	u64 h = (u64)(unsigned long)handler;

	/* A present 64-bit interrupt gate, DPL0, no IST. */
	idt[2 * vector] = (h & 0xffff) | ((u64)KL_SEL_CODE64 << 16) |
			  (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);
	idt[2 * vector + 1] = h >> 32;
}

static void kl_seg(struct keel_segment *s, u16 sel, u8 type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

void kl_vcpu_setup_long_mode(struct kl_vcpu *vcpu, void *fn, u64 arg0,
			     u64 arg1)
{
	struct kl_vm *vm = vcpu->vm;
	struct keel_sregs sregs;
	struct keel_regs regs;
	u64 top = KL_GPA_STACKS - vcpu->id * 0x8000ULL;

	KL_REQUIRE(vm->long_mode_ready, "kl_vm_setup_long_mode first");
	KL_REQUIRE(vcpu->id < 32, "stack for vCPU %u", vcpu->id);
	kl_vcpu_complete(vcpu);

	kl_get_sregs(vcpu, &sregs);
	kl_seg(&sregs.cs, KL_SEL_CODE64, 11, true);
	kl_seg(&sregs.ds, KL_SEL_DATA, 3, false);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = KL_SEL_TSS;
	sregs.tr.base = KL_GPA_TSS;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 11;
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.type = 2;
	sregs.ldt.unusable = 1;
	sregs.gdt.base = KL_GPA_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = KL_GPA_IDT;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sregs.cr3 = KL_GPA_PML4;
	sregs.cr4 = 0x620;		/* OSXMMEXCPT OSFXSR PAE */
	sregs.efer = 0x500;		/* LMA LME */
	kl_set_sregs(vcpu, &sregs);

	*(u64 *)kl_gpa_to_hva(vm, top - 8) =
		(u64)(unsigned long)kl_guest_returned;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (u64)(unsigned long)fn;
	regs.rsp = top - 8;
	regs.rflags = 0x2;
	regs.rdi = arg0;
	regs.rsi = arg1;
	kl_set_regs(vcpu, &regs);
}

struct kl_vm *kl_vm_create_long(u64 mem_size, void *fn, int nr,
				struct kl_vcpu **vcpus)
{
	struct kl_vm *vm = kl_vm_create(mem_size);
	int i;

	kl_vm_setup_long_mode(vm);
	for (i = 0; i < nr; i++) {
		vcpus[i] = kl_vcpu_add(vm, i);
		kl_vcpu_setup_long_mode(vcpus[i], fn, 0, 0);
	}
	return vm;
}
