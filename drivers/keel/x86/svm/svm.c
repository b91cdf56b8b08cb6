// SPDX-License-Identifier: GPL-2.0
/*
 * keel AMD SVM backend: feature checks, per-CPU enable, the VMCB of each
 * vCPU, ASIDs and the guest entry. Exit handling is in svm_exit.c.
 *
 * Works without NRIP save, decode assists, VMCB clean bits and
 * flush-by-ASID (QEMU's emulated SVM has none of them): the clean bits are
 * always zero, and a TLB flush takes a fresh ASID, flushing everything
 * only when a CPU runs out of ASIDs.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>
#include <asm/msr-index.h>
#include <asm/debugreg.h>

#include <keel/compat.h>
#include <keel/core.h>
#include "svm.h"

struct keel_svm_cpu {
	struct page *hsave;	/* VM_HSAVE_PA: host state VMRUN saves */
	struct page *host_save;	/* VMSAVE area for the host's other state */
	u64 asid_gen;
	u32 next_asid;
	struct irq_work exit_kick;	/* keel_svm_tcg_event_quirk */
};

static DEFINE_PER_CPU(struct keel_svm_cpu, keel_svm_cpu);
static u32 keel_svm_max_asid;
/*
 * QEMU's emulated SVM (TCG) delivers an injected external interrupt at
 * VMRUN but leaves its vector as the CPU's pending exception, and takes
 * it once more, whatever the guest's IF, the next time its TCG loop
 * leaves to the main loop before a #VMEXIT: a second interrupt at the
 * first instruction of the handler, with IF clear. Linux guests then
 * crash on a user GS base or deadlock on a lock the handler holds
 * (kvm_amd's guests too). A #VMEXIT right after the delivery clears it:
 * with the quirk, keel makes a self-IPI pending whenever it injects an
 * interrupt, so the INTR intercept ends the run at the handler's first
 * instruction. Real CPUs do not need this and do not get it.
 */
static bool keel_svm_tcg_event_quirk;
static struct page *keel_iopm;
static struct page *keel_msrpm;
bool keel_svm_nrips;

#define IOPM_ORDER	2	/* 12 KiB used */
#define MSRPM_ORDER	1	/* 8 KiB */
#define KEEL_DEFAULT_PAT 0x0007040600070406ULL

static inline u64 keel_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((u64)hi << 32);
}

static inline void keel_wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
}

static inline void keel_clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static inline void keel_stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

static inline unsigned long keel_get_dr7(void)
{
	unsigned long v;

	asm volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static inline void keel_set_dr7(unsigned long v)
{
	asm volatile("mov %0, %%dr7" :: "r"(v));
}

static void keel_svm_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct keel_svm_cpu *sd = per_cpu_ptr(&keel_svm_cpu, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = NULL;
		sd->host_save = NULL;
	}
}

static void keel_svm_exit_kick_fn(struct irq_work *work)
{
	/* Nothing to do: the IPI has already ended the guest's run. */
}

/* Is this the CPU QEMU emulates with TCG (model name or CPUID leaf)? */
static bool keel_svm_host_is_qemu_tcg(void)
{
	u32 sig[3] = { 0 }, max;

	if (strstr(boot_cpu_data.x86_model_id, "QEMU TCG CPU"))
		return true;
	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	cpuid(0x40000000, &max, &sig[0], &sig[1], &sig[2]);
	return !memcmp(sig, "TCGTCGTCGTCG", sizeof(sig));
}

static int keel_svm_hardware_setup(void)
{
	u32 a, b, c, d;
	int cpu;

	vmcb_layout_checks();
	if (keel_rdmsr(MSR_KEEL_VM_CR) & VM_CR_SVMDIS) {
		pr_err("AMD SVM is disabled by the firmware; enable it in the BIOS setup\n");
		return -ENODEV;
	}
	cpuid_count(SVM_CPUID_LEAF, 0, &a, &b, &c, &d);
	if (!(d & SVM_FEATURE_NPT)) {
		pr_err("CPU has AMD SVM without nested paging (NPT); keel needs both\n");
		return -ENODEV;
	}
	keel_svm_nrips = d & SVM_FEATURE_NRIPS;
	keel_svm_max_asid = b - 1;
	if (b < 2) {
		pr_err("CPU reports no usable ASIDs\n");
		return -ENODEV;
	}

	keel_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	keel_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!keel_iopm || !keel_msrpm)
		goto nomem;
	/* Intercept every port and every MSR. */
	memset(page_address(keel_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(keel_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);

	for_each_possible_cpu(cpu) {
		struct keel_svm_cpu *sd = per_cpu_ptr(&keel_svm_cpu, cpu);

		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_save)
			goto nomem;
		sd->exit_kick = IRQ_WORK_INIT_HARD(keel_svm_exit_kick_fn);
	}
	keel_svm_tcg_event_quirk = keel_svm_host_is_qemu_tcg();
	if (keel_svm_tcg_event_quirk)
		pr_info("QEMU TCG's SVM: an exit follows every injected interrupt\n");
	return 0;

nomem:
	keel_svm_free_cpu_pages();
	if (keel_iopm)
		__free_pages(keel_iopm, IOPM_ORDER);
	if (keel_msrpm)
		__free_pages(keel_msrpm, MSRPM_ORDER);
	keel_iopm = NULL;
	keel_msrpm = NULL;
	return -ENOMEM;
}

static void keel_svm_hardware_unsetup(void)
{
	int cpu;

	/* No kick may run keel's code once the module is gone. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(&keel_svm_cpu, cpu)->exit_kick);
	keel_svm_free_cpu_pages();
	__free_pages(keel_iopm, IOPM_ORDER);
	__free_pages(keel_msrpm, MSRPM_ORDER);
}

static int keel_svm_cpu_enable(void)
{
	struct keel_svm_cpu *sd = this_cpu_ptr(&keel_svm_cpu);
	u64 efer = keel_rdmsr(MSR_EFER);

	/* Someone else (kvm_amd) owns SVM on this CPU: leave it alone. */
	if (efer & EFER_SVME)
		return -EBUSY;
	keel_wrmsr(MSR_EFER, efer | EFER_SVME);
	keel_wrmsr(MSR_KEEL_VM_HSAVE_PA, page_to_phys(sd->hsave));
	/* TLB entries may survive from an earlier owner: flush on first use. */
	sd->next_asid = keel_svm_max_asid + 1;
	return 0;
}

static void keel_svm_cpu_disable(void)
{
	keel_wrmsr(MSR_KEEL_VM_HSAVE_PA, 0);
	keel_wrmsr(MSR_EFER, keel_rdmsr(MSR_EFER) & ~EFER_SVME);
}

static void keel_svm_init_seg(struct vmcb_seg *s, u16 attrib)
{
	s->selector = 0;
	s->attrib = attrib;
	s->limit = 0xffff;
	s->base = 0;
}

/* The VMCB half of the power-on state, as KVM sets it up on SVM. */
static void keel_svm_vcpu_reset(struct keel_vcpu *vcpu)
{
	struct keel_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control *c = &vmcb->control;
	struct vmcb_save *s = &vmcb->save;

	memset(vmcb, 0, sizeof(*vmcb));
	/* CR4 bits are checked against what the guest may use. */
	c->intercepts[INTERCEPT_CR] = INTERCEPT_CR4_WRITE;
	c->intercepts[INTERCEPT_WORD3] = INTERCEPT_INTR | INTERCEPT_NMI |
		INTERCEPT_SMI | INTERCEPT_CPUID | INTERCEPT_INVD |
		INTERCEPT_HLT | INTERCEPT_INVLPGA | INTERCEPT_IOIO_PROT |
		INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN;
	if (vcpu->vm->arch.disabled_exits & KEEL_X86_DISABLE_EXITS_HLT)
		c->intercepts[INTERCEPT_WORD3] &= ~INTERCEPT_HLT;
	c->intercepts[INTERCEPT_WORD4] = INTERCEPT_VMRUN | INTERCEPT_VMMCALL |
		INTERCEPT_VMLOAD | INTERCEPT_VMSAVE | INTERCEPT_STGI |
		INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_RDTSCP |
		INTERCEPT_MONITOR | INTERCEPT_MWAIT | INTERCEPT_XSETBV;
	c->iopm_base_pa = page_to_phys(keel_iopm);
	c->msrpm_base_pa = page_to_phys(keel_msrpm);
	c->int_ctl = V_INTR_MASKING;
	c->nested_ctl = NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = keel_mmu_root_pa(vcpu->vm);

	keel_svm_init_seg(&s->es, SEG_ATTR_P | SEG_ATTR_S | 0x2);
	keel_svm_init_seg(&s->ss, SEG_ATTR_P | SEG_ATTR_S | 0x2);
	keel_svm_init_seg(&s->ds, SEG_ATTR_P | SEG_ATTR_S | 0x2);
	keel_svm_init_seg(&s->fs, SEG_ATTR_P | SEG_ATTR_S | 0x2);
	keel_svm_init_seg(&s->gs, SEG_ATTR_P | SEG_ATTR_S | 0x2);
	keel_svm_init_seg(&s->cs, SEG_ATTR_P | SEG_ATTR_S | 0xa);
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	keel_svm_init_seg(&s->ldtr, SEG_ATTR_P | 0x2);
	keel_svm_init_seg(&s->tr, SEG_ATTR_P | 0x3);
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->efer = EFER_SVME;
	s->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	s->dr6 = KEEL_DR6_INIT;
	s->dr7 = KEEL_DR7_INIT;
	s->g_pat = KEEL_DEFAULT_PAT;
	svm->force_new_asid = true;
}

static int keel_svm_vcpu_create(struct keel_vcpu *vcpu)
{
	struct keel_svm_vcpu *svm;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	svm->vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = __pa(svm->vmcb);
	vcpu->arch.backend = svm;
	return 0;
}

static void keel_svm_vcpu_free(struct keel_vcpu *vcpu)
{
	struct keel_svm_vcpu *svm = to_svm(vcpu);

	if (!svm)
		return;
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->arch.backend = NULL;
}

static struct vmcb_seg *keel_svm_seg(struct vmcb *vmcb, int seg)
{
	struct vmcb_save *s = &vmcb->save;

	switch (seg) {
	case KEEL_SEG_ES: return &s->es;
	case KEEL_SEG_CS: return &s->cs;
	case KEEL_SEG_SS: return &s->ss;
	case KEEL_SEG_DS: return &s->ds;
	case KEEL_SEG_FS: return &s->fs;
	case KEEL_SEG_GS: return &s->gs;
	case KEEL_SEG_TR: return &s->tr;
	default: return &s->ldtr;
	}
}

static void keel_svm_get_segment(struct keel_vcpu *vcpu,
				 struct keel_segment *var, int seg)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_seg *s = keel_svm_seg(vmcb, seg);

	memset(var, 0, sizeof(*var));
	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->attrib & SEG_ATTR_TYPE;
	var->s = !!(s->attrib & SEG_ATTR_S);
	var->dpl = (s->attrib >> SEG_ATTR_DPL_SHIFT) & 3;
	var->present = !!(s->attrib & SEG_ATTR_P);
	var->avl = !!(s->attrib & SEG_ATTR_AVL);
	var->l = !!(s->attrib & SEG_ATTR_L);
	var->db = !!(s->attrib & SEG_ATTR_DB);
	var->g = !!(s->attrib & SEG_ATTR_G);
	var->unusable = !var->present;

	switch (seg) {
	case KEEL_SEG_TR:
		/* The busy bit is not kept in the VMCB's copy. */
		var->type |= 0x2;
		break;
	case KEEL_SEG_DS:
	case KEEL_SEG_ES:
	case KEEL_SEG_FS:
	case KEEL_SEG_GS:
		/* The cached descriptor of a usable segment is accessed. */
		if (!var->unusable)
			var->type |= 0x1;
		break;
	case KEEL_SEG_SS:
		var->dpl = vmcb->save.cpl;
		break;
	}
}

static void keel_svm_set_segment(struct keel_vcpu *vcpu,
				 const struct keel_segment *var, int seg)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_seg *s = keel_svm_seg(vmcb, seg);

	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = (var->type & SEG_ATTR_TYPE) |
		    (var->s ? SEG_ATTR_S : 0) |
		    ((var->dpl & 3) << SEG_ATTR_DPL_SHIFT) |
		    (var->present && !var->unusable ? SEG_ATTR_P : 0) |
		    (var->avl ? SEG_ATTR_AVL : 0) |
		    (var->l ? SEG_ATTR_L : 0) |
		    (var->db ? SEG_ATTR_DB : 0) |
		    (var->g ? SEG_ATTR_G : 0);
	if (seg == KEEL_SEG_SS)
		vmcb->save.cpl = var->dpl & 3;
}

static void keel_svm_get_dt(struct vmcb_seg *s, struct keel_dtable *dt)
{
	memset(dt, 0, sizeof(*dt));
	dt->base = s->base;
	dt->limit = s->limit;
}

static void keel_svm_get_gdt(struct keel_vcpu *vcpu, struct keel_dtable *dt)
{
	keel_svm_get_dt(&to_svm(vcpu)->vmcb->save.gdtr, dt);
}

static void keel_svm_get_idt(struct keel_vcpu *vcpu, struct keel_dtable *dt)
{
	keel_svm_get_dt(&to_svm(vcpu)->vmcb->save.idtr, dt);
}

static void keel_svm_set_gdt(struct keel_vcpu *vcpu,
			     const struct keel_dtable *dt)
{
	to_svm(vcpu)->vmcb->save.gdtr.base = dt->base;
	to_svm(vcpu)->vmcb->save.gdtr.limit = dt->limit;
}

static void keel_svm_set_idt(struct keel_vcpu *vcpu,
			     const struct keel_dtable *dt)
{
	to_svm(vcpu)->vmcb->save.idtr.base = dt->base;
	to_svm(vcpu)->vmcb->save.idtr.limit = dt->limit;
}

static u64 *keel_svm_cr(struct keel_vcpu *vcpu, int cr)
{
	struct vmcb_save *s = &to_svm(vcpu)->vmcb->save;

	switch (cr) {
	case 0:
		return &s->cr0;
	case 2:
		return &s->cr2;
	case 3:
		return &s->cr3;
	default:
		return &s->cr4;
	}
}

static u64 keel_svm_get_cr(struct keel_vcpu *vcpu, int cr)
{
	return *keel_svm_cr(vcpu, cr);
}

static void keel_svm_set_cr(struct keel_vcpu *vcpu, int cr, u64 val)
{
	*keel_svm_cr(vcpu, cr) = val;
}

static u64 keel_svm_get_efer(struct keel_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.efer & ~EFER_SVME;
}

static void keel_svm_set_efer(struct keel_vcpu *vcpu, u64 efer)
{
	/* VMRUN requires SVME in the guest's EFER; the guest never sees it. */
	to_svm(vcpu)->vmcb->save.efer = efer | EFER_SVME;
}

static u8 keel_svm_get_tpr(struct keel_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_ctl & 0xf;
}

static void keel_svm_set_tpr(struct keel_vcpu *vcpu, u8 tpr)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | (tpr & 0xf);
}

static bool keel_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/*
 * MSRs that live in the VMCB, and how values are checked: canonical
 * addresses, or (SYSENTER_ESP/EIP) only the low 32 bits kept, because
 * AMD CPUs implement these MSRs with 32 bits.
 */
enum { KEEL_MSR_ANY, KEEL_MSR_CANONICAL, KEEL_MSR_32BIT };

struct keel_svm_msr {
	u32 index;
	u8 check;
	size_t offset;
};

#define SAVE_FIELD(f)	offsetof(struct vmcb, save.f)

static const struct keel_svm_msr keel_svm_msrs[] = {
	{ MSR_STAR, KEEL_MSR_ANY, SAVE_FIELD(star) },
	{ MSR_LSTAR, KEEL_MSR_CANONICAL, SAVE_FIELD(lstar) },
	{ MSR_CSTAR, KEEL_MSR_CANONICAL, SAVE_FIELD(cstar) },
	{ MSR_SYSCALL_MASK, KEEL_MSR_ANY, SAVE_FIELD(sfmask) },
	{ MSR_KERNEL_GS_BASE, KEEL_MSR_CANONICAL, SAVE_FIELD(kernel_gs_base) },
	{ MSR_FS_BASE, KEEL_MSR_CANONICAL, SAVE_FIELD(fs.base) },
	{ MSR_GS_BASE, KEEL_MSR_CANONICAL, SAVE_FIELD(gs.base) },
	{ MSR_IA32_SYSENTER_CS, KEEL_MSR_ANY, SAVE_FIELD(sysenter_cs) },
	{ MSR_IA32_SYSENTER_ESP, KEEL_MSR_32BIT, SAVE_FIELD(sysenter_esp) },
	{ MSR_IA32_SYSENTER_EIP, KEEL_MSR_32BIT, SAVE_FIELD(sysenter_eip) },
	{ MSR_IA32_CR_PAT, KEEL_MSR_ANY, SAVE_FIELD(g_pat) },
	{ MSR_IA32_TSC, KEEL_MSR_ANY, offsetof(struct vmcb, control.tsc_offset) },
};

static u64 *keel_svm_msr_field(struct keel_vcpu *vcpu, u32 msr, u8 *check)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(keel_svm_msrs); i++) {
		if (keel_svm_msrs[i].index != msr)
			continue;
		*check = keel_svm_msrs[i].check;
		return (void *)to_svm(vcpu)->vmcb + keel_svm_msrs[i].offset;
	}
	return NULL;
}

static u64 keel_svm_get_msr_field(struct keel_vcpu *vcpu, u32 msr, bool *found)
{
	u8 check;
	u64 *f = keel_svm_msr_field(vcpu, msr, &check);

	*found = f;
	return f ? *f : 0;
}

static bool keel_svm_set_msr_field(struct keel_vcpu *vcpu, u32 msr, u64 val)
{
	u8 check;
	u64 *f = keel_svm_msr_field(vcpu, msr, &check);

	if (!f || (check == KEEL_MSR_CANONICAL && !keel_canonical(val, 48)))
		return false;
	if (check == KEEL_MSR_32BIT)
		val = (u32)val;
	if (msr == MSR_IA32_CR_PAT && !keel_pat_valid(val))
		return false;
	*f = val;
	return true;
}

static const u64 keel_svm_event_types[] = {
	[KEEL_EVENT_INTR] = EVTINJ_TYPE_INTR,
	[KEEL_EVENT_NMI] = EVTINJ_TYPE_NMI,
	[KEEL_EVENT_EXCEPTION] = EVTINJ_TYPE_EXEPT,
	[KEEL_EVENT_SOFT_INTR] = EVTINJ_TYPE_SOFT,
};

static void keel_svm_inject_event(struct keel_vcpu *vcpu,
				  const struct keel_x86_event *ev)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = 0;
	if (!ev)
		return;
	c->event_inj = ev->vector | keel_svm_event_types[ev->type] |
		       EVTINJ_VALID |
		       (ev->has_error ? EVTINJ_VALID_ERR |
					((u64)ev->error << 32) : 0);
}

/*
 * An event whose delivery the exit cut short. Software interrupts (and
 * the INT3/INTO exceptions, see the x86 core) are executed again rather
 * than re-injected, so they push the right return address without NRIP
 * save.
 */
static bool keel_svm_interrupted_event(struct keel_vcpu *vcpu,
				       struct keel_x86_event *ev)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	u64 info = c->exit_int_info;

	c->event_inj = 0;
	if (!(info & EVTINJ_VALID))
		return false;
	switch (info & EVTINJ_TYPE_MASK) {
	case EVTINJ_TYPE_INTR:
		ev->type = KEEL_EVENT_INTR;
		break;
	case EVTINJ_TYPE_NMI:
		ev->type = KEEL_EVENT_NMI;
		break;
	case EVTINJ_TYPE_EXEPT:
		ev->type = KEEL_EVENT_EXCEPTION;
		break;
	default:
		ev->type = KEEL_EVENT_SOFT_INTR;
		break;
	}
	ev->vector = info & EVTINJ_VEC_MASK;
	ev->has_error = info & EVTINJ_VALID_ERR;
	ev->error = info >> 32;
	return true;
}

static bool keel_svm_get_interrupt_shadow(struct keel_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_state & SVM_INTERRUPT_SHADOW;
}

static void keel_svm_set_interrupt_shadow(struct keel_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->int_state = (c->int_state & ~SVM_INTERRUPT_SHADOW) |
		       (on ? SVM_INTERRUPT_SHADOW : 0);
}

static void keel_svm_set_iret_intercept(struct keel_vcpu *vcpu, bool on)
{
	u32 *w3 = &to_svm(vcpu)->vmcb->control.intercepts[INTERCEPT_WORD3];

	*w3 = on ? *w3 | INTERCEPT_IRET : *w3 & ~INTERCEPT_IRET;
}

/* Userspace debugging the guest sees every #DB and owns DR0-3/DR7. */
static void keel_svm_update_debug_intercepts(struct keel_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	u32 dbg = vcpu->arch.guest_debug;

	c->intercepts[INTERCEPT_EXCEPTION] &= ~BIT(KEEL_EXC_DB);
	if (dbg & (KEEL_GUESTDBG_SINGLESTEP | KEEL_GUESTDBG_USE_HW_BP))
		c->intercepts[INTERCEPT_EXCEPTION] |= BIT(KEEL_EXC_DB);
	/* MOV DRs exit while keel emulates them or waits for their first use. */
	c->intercepts[INTERCEPT_DR] = (dbg & KEEL_GUESTDBG_USE_HW_BP) ||
				      !vcpu->arch.db_active ?
				      INTERCEPT_DR0_7_RW : 0;
}

static u64 keel_svm_get_dr(struct keel_vcpu *vcpu, int dr)
{
	struct vmcb_save *s = &to_svm(vcpu)->vmcb->save;

	return dr == 6 ? s->dr6 : s->dr7;
}

static void keel_svm_set_dr(struct keel_vcpu *vcpu, int dr, u64 val)
{
	struct vmcb_save *s = &to_svm(vcpu)->vmcb->save;

	if (dr == 6)
		s->dr6 = val;
	else
		s->dr7 = val;
}

/* With V_INTR_MASKING the guest's own RFLAGS.IF gates its interrupts. */
static bool keel_svm_interrupt_allowed(struct keel_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW);
}

/*
 * A virtual interrupt the guest takes as soon as it can, intercepted
 * before delivery: the VINTR exit marks the open window. Priority 15
 * passes any TPR.
 */
static void keel_svm_set_irq_window(struct keel_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl &= ~(V_IRQ | V_INTR_PRIO_MASK);
	c->intercepts[INTERCEPT_WORD3] &= ~INTERCEPT_VINTR;
	if (!on)
		return;
	c->int_ctl |= V_IRQ | (0xfULL << V_INTR_PRIO_SHIFT);
	c->intercepts[INTERCEPT_WORD3] |= INTERCEPT_VINTR;
}

static void keel_svm_set_cr8_intercept(struct keel_vcpu *vcpu, bool on)
{
	u32 *cr = &to_svm(vcpu)->vmcb->control.intercepts[INTERCEPT_CR];

	*cr = on ? *cr | INTERCEPT_CR8_WRITE : *cr & ~INTERCEPT_CR8_WRITE;
}

static void keel_svm_flush_guest_tlb(struct keel_vcpu *vcpu)
{
	to_svm(vcpu)->force_new_asid = true;
}

/* A fresh ASID has no TLB entries; running out flushes them all. */
static void keel_svm_pick_asid(struct keel_svm_vcpu *svm)
{
	struct keel_svm_cpu *sd = this_cpu_ptr(&keel_svm_cpu);

	if (!svm->force_new_asid && svm->asid_gen == sd->asid_gen)
		return;
	if (sd->next_asid > keel_svm_max_asid) {
		sd->asid_gen++;
		sd->next_asid = 1;
		svm->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	}
	svm->vmcb->control.asid = sd->next_asid++;
	svm->asid_gen = sd->asid_gen;
	svm->force_new_asid = false;
}

static void keel_svm_enter_guest(struct keel_vcpu *vcpu)
{
	struct keel_svm_vcpu *svm = to_svm(vcpu);
	struct keel_svm_cpu *sd = this_cpu_ptr(&keel_svm_cpu);
	struct vmcb *vmcb = svm->vmcb;
	unsigned long *regs = vcpu->arch.regs;
	unsigned long host_dr7, host_db[4];
	bool host_db_saved, spec_ctrl_set;
	u64 host_spec_ctrl;

	keel_svm_pick_asid(svm);
	/* RDTSCP runs natively when the guest's CPUID has it, else #UD. */
	if (vcpu->arch.guest_feat & KEEL_GF_RDTSCP)
		vmcb->control.intercepts[INTERCEPT_WORD4] &= ~INTERCEPT_RDTSCP;
	else
		vmcb->control.intercepts[INTERCEPT_WORD4] |= INTERCEPT_RDTSCP;
	vmcb->save.rax = regs[KEEL_REG_RAX];
	vmcb->save.rsp = regs[KEEL_REG_RSP];
	vmcb->save.rip = vcpu->arch.rip;
	vmcb->save.rflags = vcpu->arch.rflags;
	vmcb->control.clean = 0;

	keel_clgi();
	keel_fpu_switch_xcr0_guest(vcpu);
	host_dr7 = keel_get_dr7();
	/* The host's DR7 cannot fire on the guest's DR0-3 from here on. */
	if (host_dr7 & ~KEEL_DR7_INIT)
		keel_set_dr7(KEEL_DR7_INIT);
	host_db_saved = keel_x86_load_guest_db(vcpu, host_db);
	spec_ctrl_set = keel_x86_spec_ctrl_enter(vcpu, &host_spec_ctrl);
	if (keel_svm_tcg_event_quirk &&
	    (vmcb->control.event_inj & (EVTINJ_VALID | EVTINJ_TYPE_MASK)) ==
	    (EVTINJ_VALID | EVTINJ_TYPE_INTR))
		irq_work_queue(&sd->exit_kick);

	keel_svm_vcpu_run(svm->vmcb_pa, regs, page_to_phys(sd->host_save));

	if (spec_ctrl_set)
		keel_x86_spec_ctrl_exit(host_spec_ctrl);
	/* DR0-3 are not intercepted: the guest may have written them. */
	keel_x86_save_guest_db(vcpu);
	/* Host breakpoints (perf, ptrace) get their addresses, then DR7. */
	if (host_db_saved)
		keel_x86_restore_host_db(host_db);
	if (keel_get_dr7() != host_dr7)
		keel_set_dr7(host_dr7);
	keel_fpu_switch_xcr0_host(vcpu);
	keel_stgi();

	regs[KEEL_REG_RAX] = vmcb->save.rax;
	regs[KEEL_REG_RSP] = vmcb->save.rsp;
	vcpu->arch.rip = vmcb->save.rip;
	vcpu->arch.rflags = vmcb->save.rflags;
	vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;
}

const struct keel_x86_ops keel_svm_ops = {
	.name			= "svm",
	.hardware_setup		= keel_svm_hardware_setup,
	.hardware_unsetup	= keel_svm_hardware_unsetup,
	.cpu_enable		= keel_svm_cpu_enable,
	.cpu_disable		= keel_svm_cpu_disable,
	.vcpu_create		= keel_svm_vcpu_create,
	.vcpu_free		= keel_svm_vcpu_free,
	.vcpu_reset		= keel_svm_vcpu_reset,
	.get_segment		= keel_svm_get_segment,
	.set_segment		= keel_svm_set_segment,
	.get_gdt		= keel_svm_get_gdt,
	.set_gdt		= keel_svm_set_gdt,
	.get_idt		= keel_svm_get_idt,
	.set_idt		= keel_svm_set_idt,
	.get_cr			= keel_svm_get_cr,
	.set_cr			= keel_svm_set_cr,
	.get_efer		= keel_svm_get_efer,
	.set_efer		= keel_svm_set_efer,
	.get_tpr		= keel_svm_get_tpr,
	.set_tpr		= keel_svm_set_tpr,
	.get_msr_field		= keel_svm_get_msr_field,
	.set_msr_field		= keel_svm_set_msr_field,
	.enter_guest		= keel_svm_enter_guest,
	.handle_exit		= keel_svm_handle_exit,
	.inject_event		= keel_svm_inject_event,
	.interrupted_event	= keel_svm_interrupted_event,
	.get_interrupt_shadow	= keel_svm_get_interrupt_shadow,
	.set_interrupt_shadow	= keel_svm_set_interrupt_shadow,
	.set_iret_intercept	= keel_svm_set_iret_intercept,
	.update_debug_intercepts = keel_svm_update_debug_intercepts,
	.get_dr			= keel_svm_get_dr,
	.set_dr			= keel_svm_set_dr,
	.interrupt_allowed	= keel_svm_interrupt_allowed,
	.set_irq_window		= keel_svm_set_irq_window,
	.flush_guest_tlb	= keel_svm_flush_guest_tlb,
	.set_cr8_intercept	= keel_svm_set_cr8_intercept,
};
