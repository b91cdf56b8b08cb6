// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86 core: the guest entry sequence, register state ioctls, and the
 * glue between keel's core and the vendor backend.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <asm/tsc.h>

#include <keel/core.h>
#include <keel/irqchip.h>

const struct keel_x86_ops *keel_x86;

#define X86_RFLAGS_FIXED	0x2UL
/* What KVM reports until userspace sets the MSR. */
#define KEEL_DEFAULT_UCODE_REV	0x100000000ULL
/* BTS and PEBS unavailable, as KVM */
#define KEEL_MISC_ENABLE_DEFAULT (MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				  MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
/* RFLAGS bits that are reserved (must be zero): 3, 5, 15, 22-63. */
#define X86_RFLAGS_RESERVED	(~0x3f7fd7UL)

#define X86_CR0_VALID_LOW	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | \
				 X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | \
				 X86_CR0_CD | X86_CR0_PG)

int keel_arch_init(void)
{
	int r;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("CPU has no AMD SVM (or it is disabled); keel needs SVM with nested paging\n");
		return -ENODEV;
	}
	keel_x86 = &keel_svm_ops;
	r = keel_x86->hardware_setup();
	if (r)
		return r;
	r = keel_fpu_setup();
	if (!r)
		r = keel_cpuid_init();
	if (r)
		keel_x86->hardware_unsetup();
	return r;
}

void keel_arch_exit(void)
{
	keel_x86->hardware_unsetup();
}

int keel_arch_cpu_enable(void)
{
	return keel_x86->cpu_enable();
}

void keel_arch_cpu_disable(void)
{
	keel_user_msr_drop();
	keel_x86->cpu_disable();
}

u64 keel_arch_max_gfn(void)
{
	return (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;
}

long keel_arch_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KEEL_GET_SUPPORTED_CPUID:
		return keel_x86_get_supported_cpuid((void __user *)arg);
	case KEEL_GET_MSR_INDEX_LIST:
		return keel_x86_get_msr_index_list((void __user *)arg);
	case KEEL_GET_MSR_FEATURE_INDEX_LIST:
		return keel_x86_get_msr_feature_index_list((void __user *)arg);
	case KEEL_GET_MSRS:
		return keel_x86_get_feature_msrs((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/*
 * KVM needs a TSS and an identity-mapped page table for real mode only on
 * Intel CPUs without unrestricted guests; on AMD, as in kvm_amd, the
 * addresses are checked and recorded but unused.
 */
static long keel_x86_set_tss_addr(struct keel_vm *vm, unsigned long addr)
{
	/* Three pages below 4 GiB, as KVM checks. */
	if (addr > 0x100000000ULL - 3 * PAGE_SIZE)
		return -EINVAL;
	vm->arch.tss_addr = addr;
	return 0;
}

static long keel_x86_set_identity_map_addr(struct keel_vm *vm,
					   const u64 __user *u)
{
	u64 addr;
	long r = 0;

	if (copy_from_user(&addr, u, sizeof(addr)))
		return -EFAULT;
	/* keel only: one page, aligned, below 4 GiB. */
	if (!IS_ALIGNED(addr, PAGE_SIZE) || addr > 0x100000000ULL - PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->created_vcpus)
		r = -EINVAL;	/* as KVM: before the first vCPU */
	else
		vm->arch.identity_map_addr = addr;
	mutex_unlock(&vm->lock);
	return r;
}

long keel_arch_vm_ioctl(struct keel_vm *vm, unsigned int cmd,
			unsigned long arg)
{
	switch (cmd) {
	case KEEL_SET_TSS_ADDR:
		return keel_x86_set_tss_addr(vm, arg);
	case KEEL_GET_CLOCK:
		return keel_x86_get_clock(vm, (void __user *)arg);
	case KEEL_SET_CLOCK:
		return keel_x86_set_clock(vm, (void __user *)arg);
	case KEEL_SET_IDENTITY_MAP_ADDR:
		return keel_x86_set_identity_map_addr(vm, (void __user *)arg);
	case KEEL_SIGNAL_MSI:
		return keel_x86_signal_msi(vm, (void __user *)arg);
	case KEEL_CREATE_IRQCHIP:
		return keel_x86_create_irqchip(vm);
	case KEEL_GET_IRQCHIP:
		return keel_x86_get_irqchip(vm, (void __user *)arg);
	case KEEL_SET_IRQCHIP:
		return keel_x86_set_irqchip(vm, (void __user *)arg);
	case KEEL_CREATE_PIT2:
		return keel_x86_create_pit2(vm, (void __user *)arg);
	case KEEL_GET_PIT2:
		return keel_x86_get_pit2(vm, (void __user *)arg);
	case KEEL_SET_PIT2:
		return keel_x86_set_pit2(vm, (void __user *)arg);
	case KEEL_REINJECT_CONTROL:
		return keel_x86_reinject_control(vm, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

long keel_arch_disable_exits_supported(struct keel_vm *vm)
{
	return KEEL_X86_DISABLE_EXITS_HLT;
}

/* As KVM: bits accumulate, and only before the first vCPU exists. */
int keel_arch_enable_disable_exits(struct keel_vm *vm,
				   const struct keel_enable_cap *cap)
{
	int r = 0;

	if (cap->args[0] & ~(u64)keel_arch_disable_exits_supported(vm))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->created_vcpus)
		r = -EBUSY;
	else
		vm->arch.disabled_exits |= cap->args[0];
	mutex_unlock(&vm->lock);
	return r;
}

int keel_arch_vm_init(struct keel_vm *vm)
{
	keel_kvmclock_vm_init(vm);
	return keel_mmu_init_vm(vm);
}

void keel_arch_vm_destroy(struct keel_vm *vm)
{
	keel_x86_irqchip_free(vm);
	keel_mmu_destroy_vm(vm);
}

int keel_arch_vcpu_create(struct keel_vcpu *vcpu)
{
	int r;

	r = keel_fpu_vcpu_init(vcpu);
	if (r)
		return r;
	r = keel_cpuid_vcpu_init(vcpu);
	if (r)
		goto out_fpu;
	r = keel_x86->vcpu_create(vcpu);
	if (r)
		goto out_cpuid;
	vcpu->arch.tsc_khz = tsc_khz;
	keel_x86_vcpu_reset(vcpu);
	r = keel_x86_irqchip_vcpu_create(vcpu);
	if (r)
		goto out_backend;
	return 0;

out_backend:
	keel_x86->vcpu_free(vcpu);
out_cpuid:
	keel_cpuid_vcpu_free(vcpu);
out_fpu:
	keel_fpu_vcpu_free(vcpu);
	return r;
}

/* Power-on (and post-SHUTDOWN) state of a vCPU. */
void keel_x86_vcpu_reset(struct keel_vcpu *vcpu)
{
	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	/* EDX holds the processor signature at reset. */
	vcpu->arch.regs[KEEL_REG_RDX] = 0x600;
	vcpu->arch.rip = 0xfff0;
	vcpu->arch.rflags = X86_RFLAGS_FIXED;
	vcpu->arch.apic_base = keel_x86_default_apic_base(vcpu);
	vcpu->arch.pending = KEEL_PENDING_NONE;
	vcpu->arch.fpu.xcr0 = XFEATURE_MASK_FP;
	vcpu->arch.ucode_rev = KEEL_DEFAULT_UCODE_REV;
	vcpu->arch.tsc_adjust = 0;
	vcpu->arch.tsc_aux = 0;
	vcpu->arch.hwcr = 0;
	vcpu->arch.misc_enable = KEEL_MISC_ENABLE_DEFAULT;
	vcpu->arch.spec_ctrl = 0;
	/* A reset guest has no kvmclock area: keel stops writing it. */
	vcpu->arch.system_time_msr = 0;
	memset(&vcpu->arch.mtrr, 0, sizeof(vcpu->arch.mtrr));
	memset(&vcpu->arch.mce, 0, sizeof(vcpu->arch.mce));
	memset(&vcpu->arch.ev, 0, sizeof(vcpu->arch.ev));
	keel_x86_debugreg_reset(vcpu);
	keel_x86->vcpu_reset(vcpu);
	keel_x86_guest_debug_reset(vcpu);
	if (vcpu->arch.apic)
		keel_lapic_reset(vcpu, false);
}

/*
 * INIT: registers as at power-on, while the MSRs INIT leaves alone (all
 * but EFER) keep their values and userspace's debug setup stays.
 */
void keel_x86_vcpu_init(struct keel_vcpu *vcpu)
{
	static const u32 kept[] = {
		MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
		MSR_KERNEL_GS_BASE, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT, MSR_IA32_TSC,
	};
	u64 val[ARRAY_SIZE(kept)];
	bool found;
	int i;

	for (i = 0; i < ARRAY_SIZE(kept); i++)
		val[i] = keel_x86->get_msr_field(vcpu, kept[i], &found);
	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	vcpu->arch.regs[KEEL_REG_RDX] = 0x600;
	vcpu->arch.rip = 0xfff0;
	vcpu->arch.rflags = X86_RFLAGS_FIXED;
	vcpu->arch.pending = KEEL_PENDING_NONE;
	memset(&vcpu->arch.ev, 0, sizeof(vcpu->arch.ev));
	keel_x86_debugreg_reset(vcpu);
	keel_x86->vcpu_reset(vcpu);
	for (i = 0; i < ARRAY_SIZE(kept); i++)
		keel_x86->set_msr_field(vcpu, kept[i], val[i]);
	keel_x86->update_debug_intercepts(vcpu);
	keel_lapic_reset(vcpu, true);
}

void keel_arch_vcpu_free(struct keel_vcpu *vcpu)
{
	keel_lapic_free(vcpu);
	keel_x86->vcpu_free(vcpu);
	keel_cpuid_vcpu_free(vcpu);
	keel_fpu_vcpu_free(vcpu);
}

/* keel completed the guest's instruction: move on, trapping if stepping. */
void keel_x86_skip_to(struct keel_vcpu *vcpu, u64 next_rip)
{
	vcpu->arch.rip = next_rip;
	/* An STI or MOV SS shadow covered only the instruction now done. */
	keel_x86->set_interrupt_shadow(vcpu, false);
	if ((vcpu->arch.rflags & X86_EFLAGS_TF) ||
	    (vcpu->arch.guest_debug & KEEL_GUESTDBG_SINGLESTEP))
		vcpu->arch.step_trap = true;
}

int keel_x86_internal_error(struct keel_vcpu *vcpu, u32 suberror,
			    u64 data0, u64 data1)
{
	struct keel_run *run = vcpu->run;

	run->exit_reason = KEEL_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 2;
	run->internal.data[0] = data0;
	run->internal.data[1] = data1;
	return 0;
}

/* Operand/address size of the current code segment: 2, 4 or 8 bytes. */
int keel_x86_cpu_mode_bytes(struct keel_vcpu *vcpu)
{
	struct keel_segment cs;

	if (!(keel_x86->get_cr(vcpu, 0) & X86_CR0_PE))
		return 2;
	if (vcpu->arch.rflags & X86_EFLAGS_VM)
		return 2;
	keel_x86->get_segment(vcpu, &cs, KEEL_SEG_CS);
	if ((keel_x86->get_efer(vcpu) & EFER_LMA) && cs.l)
		return 8;
	return cs.db ? 4 : 2;
}

int keel_x86_handle_hlt(struct keel_vcpu *vcpu, u64 next_rip)
{
	keel_x86_skip_to(vcpu, next_rip);
	if (vcpu->arch.apic)
		return keel_x86_apic_halt(vcpu);
	/* No in-kernel APIC: userspace decides, as KVM does. */
	vcpu->run->exit_reason = KEEL_EXIT_HLT;
	return 0;
}

int keel_x86_handle_xsetbv(struct keel_vcpu *vcpu, u64 next_rip)
{
	u32 index = vcpu->arch.regs[KEEL_REG_RCX];
	u64 val = (u32)vcpu->arch.regs[KEEL_REG_RAX] |
		  ((u64)(u32)vcpu->arch.regs[KEEL_REG_RDX] << 32);
	/* x87 must stay on; AVX needs SSE; nothing the guest cannot have. */
	if (index != 0 || !keel_x86_xcr0_valid(vcpu, val) ||
	    !(keel_x86->get_cr(vcpu, 4) & X86_CR4_OSXSAVE)) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
		return 1;
	}
	vcpu->arch.fpu.xcr0 = val;
	keel_x86_skip_to(vcpu, next_rip);
	return 1;
}

int keel_arch_complete_userspace_exit(struct keel_vcpu *vcpu)
{
	enum keel_pending_io p = vcpu->arch.pending;
	int r;

	vcpu->arch.pending = KEEL_PENDING_NONE;
	/* Userspace moved RIP (SET_REGS): the instruction is abandoned. */
	if (p != KEEL_PENDING_NONE && vcpu->arch.rip != vcpu->arch.pending_rip)
		return 1;
	switch (p) {
	case KEEL_PENDING_PIO:
		r = keel_x86_complete_pio(vcpu);
		break;
	case KEEL_PENDING_MMIO:
		r = keel_x86_complete_mmio(vcpu);
		break;
	default:
		r = 1;
	}
	return r > 0 ? keel_x86_deliver_step(vcpu) : r;
}

/* RUN's x86 input: CR8 (the TPR) when there is no in-kernel APIC. */
int keel_arch_run_input(struct keel_vcpu *vcpu)
{
	u64 cr8 = READ_ONCE(vcpu->run->cr8);

	if (cr8 > 15)
		return -EINVAL;
	if (!vcpu->arch.apic)
		keel_x86->set_tpr(vcpu, cr8);
	return 0;
}

/* What every return from RUN reports, as KVM does. */
void keel_arch_run_output(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;

	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = keel_x86_ready_for_interrupt(vcpu);
	run->cr8 = keel_x86_get_cr8(vcpu);
	run->apic_base = vcpu->arch.apic_base;
	run->flags = 0;
}

/*
 * Enter the guest once. IRQs are disabled from the last check of pending
 * work to the entry, so a kick (IPI), a signal or a reschedule request
 * that arrives later makes the hardware leave the guest at once.
 */
int keel_arch_vcpu_run_once(struct keel_vcpu *vcpu)
{
	int cpu, r;
	bool tf;

	/* Halted or waiting for SIPI: wait here; a signal ends the wait. */
	if (vcpu->arch.apic) {
		if (!keel_x86_apic_ready(vcpu))
			return 1;
		keel_x86_apic_scan_eoi_exits(vcpu);
		keel_x86->set_tpr(vcpu, keel_lapic_cr8(vcpu));
	}
	if (keel_check_request(vcpu, KEEL_REQ_CLOCK_UPDATE))
		keel_kvmclock_update(vcpu);
	keel_x86_prepare_events(vcpu);
	if (vcpu->arch.apic && vcpu->arch.apic->vapic_addr)
		keel_vapic_sync_to(vcpu);
	keel_fpu_load_guest(vcpu);
	local_irq_disable();

	if (unlikely(!keel_virt_enabled_this_cpu() || keel_rebooting)) {
		local_irq_enable();
		keel_fpu_put_guest(vcpu);
		if (keel_rebooting)
			return -EIO;
		/* This CPU is going offline; let the scheduler move us. */
		schedule_timeout_uninterruptible(1);
		return 1;
	}

	cpu = smp_processor_id();
	if (vcpu->cpu != cpu) {
		vcpu->cpu = cpu;
		keel_x86->flush_guest_tlb(vcpu);
	}
	if (keel_check_request(vcpu, KEEL_REQ_TLB_FLUSH))
		keel_x86->flush_guest_tlb(vcpu);

	WRITE_ONCE(vcpu->mode, KEEL_IN_GUEST_MODE);
	/* Pairs with the barrier in keel_vm_kick_all(). */
	smp_mb();
	if (READ_ONCE(vcpu->requests) || need_resched() ||
	    signal_pending(current)) {
		WRITE_ONCE(vcpu->mode, KEEL_OUTSIDE_GUEST_MODE);
		local_irq_enable();
		keel_fpu_put_guest(vcpu);
		return 1;
	}

	if (vcpu->arch.guest_feat & KEEL_GF_RDTSCP)
		keel_user_msr_load_tsc_aux(vcpu->arch.tsc_aux);
	tf = keel_x86_singlestep_begin(vcpu);
	keel_x86->enter_guest(vcpu);
	keel_x86_singlestep_end(vcpu, tf);

	WRITE_ONCE(vcpu->mode, KEEL_OUTSIDE_GUEST_MODE);
	local_irq_enable();
	keel_fpu_put_guest(vcpu);
	keel_x86_complete_events(vcpu);
	keel_x86_db_settle(vcpu);
	if (vcpu->arch.apic) {
		keel_lapic_sync_tpr(vcpu, keel_x86->get_tpr(vcpu));
		if (vcpu->arch.apic->vapic_addr)
			keel_vapic_sync_from(vcpu);
	}

	r = keel_x86->handle_exit(vcpu);
	if (r > 0)
		r = keel_x86_deliver_step(vcpu);
	if (r > 0 && vcpu->arch.apic && vcpu->arch.apic->tpr_access >= 0) {
		keel_vapic_report(vcpu, vcpu->run);
		r = 0;
	}
	if (r > 0 && vcpu->arch.apic && vcpu->arch.apic->eoi_exit_vector >= 0) {
		vcpu->run->exit_reason = KEEL_EXIT_IOAPIC_EOI;
		vcpu->run->eoi.vector = vcpu->arch.apic->eoi_exit_vector;
		vcpu->arch.apic->eoi_exit_vector = -1;
		r = 0;
	}
	if (r > 0 && READ_ONCE(vcpu->run->request_interrupt_window) &&
	    keel_x86_ready_for_interrupt(vcpu)) {
		vcpu->run->exit_reason = KEEL_EXIT_IRQ_WINDOW_OPEN;
		r = 0;
	}
	return r;
}

/* Register state ioctls */

/* struct keel_regs lists the GPRs in this order (KVM's), then RIP, RFLAGS. */
static const u8 keel_uapi_gpr_order[KEEL_NR_GPRS] = {
	KEEL_REG_RAX, KEEL_REG_RBX, KEEL_REG_RCX, KEEL_REG_RDX,
	KEEL_REG_RSI, KEEL_REG_RDI, KEEL_REG_RSP, KEEL_REG_RBP,
	KEEL_REG_R8, KEEL_REG_R9, KEEL_REG_R10, KEEL_REG_R11,
	KEEL_REG_R12, KEEL_REG_R13, KEEL_REG_R14, KEEL_REG_R15,
};

static void keel_get_regs(struct keel_vcpu *vcpu, struct keel_regs *r)
{
	u64 *out = &r->rax;
	int i;

	BUILD_BUG_ON(offsetof(struct keel_regs, rip) != KEEL_NR_GPRS * 8);
	for (i = 0; i < KEEL_NR_GPRS; i++)
		out[i] = vcpu->arch.regs[keel_uapi_gpr_order[i]];
	r->rip = vcpu->arch.rip;
	r->rflags = vcpu->arch.rflags;
}

static int keel_set_regs(struct keel_vcpu *vcpu, const struct keel_regs *r)
{
	const u64 *in = &r->rax;
	int i;

	if (r->rflags & X86_RFLAGS_RESERVED)
		return -EINVAL;
	for (i = 0; i < KEEL_NR_GPRS; i++)
		vcpu->arch.regs[keel_uapi_gpr_order[i]] = in[i];
	vcpu->arch.rip = r->rip;
	vcpu->arch.rflags = r->rflags | X86_RFLAGS_FIXED;
	return 0;
}

/* The segment registers of struct keel_sregs and the backend's indices. */
static const struct {
	size_t offset;
	int seg;
} keel_sregs_segs[] = {
	{ offsetof(struct keel_sregs, cs), KEEL_SEG_CS },
	{ offsetof(struct keel_sregs, ds), KEEL_SEG_DS },
	{ offsetof(struct keel_sregs, es), KEEL_SEG_ES },
	{ offsetof(struct keel_sregs, fs), KEEL_SEG_FS },
	{ offsetof(struct keel_sregs, gs), KEEL_SEG_GS },
	{ offsetof(struct keel_sregs, ss), KEEL_SEG_SS },
	{ offsetof(struct keel_sregs, tr), KEEL_SEG_TR },
	{ offsetof(struct keel_sregs, ldt), KEEL_SEG_LDTR },
};

static void *keel_sregs_seg(const struct keel_sregs *s, int i)
{
	return (void *)s + keel_sregs_segs[i].offset;
}

static void keel_get_sregs(struct keel_vcpu *vcpu, struct keel_sregs *s)
{
	const struct keel_x86_ops *ops = keel_x86;
	u8 vector;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ARRAY_SIZE(keel_sregs_segs); i++)
		ops->get_segment(vcpu, keel_sregs_seg(s, i),
				 keel_sregs_segs[i].seg);
	ops->get_gdt(vcpu, &s->gdt);
	ops->get_idt(vcpu, &s->idt);
	s->cr0 = ops->get_cr(vcpu, 0);
	s->cr2 = ops->get_cr(vcpu, 2);
	s->cr3 = ops->get_cr(vcpu, 3);
	s->cr4 = ops->get_cr(vcpu, 4);
	s->cr8 = keel_x86_get_cr8(vcpu);
	s->efer = ops->get_efer(vcpu);
	s->apic_base = vcpu->arch.apic_base;
	if (!keel_x86_irq_queued(vcpu, &vector))
		return;
	s->interrupt_bitmap[vector / 64] |= 1ULL << (vector % 64);
}

/*
 * MOV to CR@cr (0F 22 /r; CR8 needs REX.R, or LOCK outside 64-bit mode),
 * decoded here since the exit carries no operand without decode assists.
 */
static int keel_decode_mov_to_cr(struct keel_vcpu *vcpu, int cr, u64 *val,
				 u64 *next_rip)
{
	int mode = keel_x86_cpu_mode_bytes(vcpu);
	unsigned int len = 15, i = 0;
	u8 insn[15], rex = 0, modrm;
	bool lock = false;

	if (keel_x86_fetch_insn(vcpu, insn, &len))
		return -EFAULT;
	while (i < len && (insn[i] == 0x66 || insn[i] == 0x67 ||
			   insn[i] == 0xf0 || insn[i] == 0xf2 || insn[i] == 0xf3))
		lock |= insn[i++] == 0xf0;
	if (i < len && (insn[i] & 0xf0) == 0x40 && mode == 8)
		rex = insn[i++];
	if (i + 3 > len || insn[i] != 0x0f || insn[i + 1] != 0x22)
		return -EINVAL;
	modrm = insn[i + 2];
	if ((((modrm >> 3) & 7) | ((rex & 4) << 1) | (lock ? 8 : 0)) != cr)
		return -EINVAL;
	*val = vcpu->arch.regs[(modrm & 7) | ((rex & 1) << 3)];
	if (mode != 8)
		*val = (u32)*val;
	*next_rip = vcpu->arch.rip + i + 3;
	return 0;
}

static u64 keel_valid_cr4(struct keel_vcpu *vcpu);

/*
 * MOV to CR4: bits the guest may not set, and leaving PAE in long mode,
 * raise #GP as on hardware.
 */
int keel_x86_handle_cr4_write(struct keel_vcpu *vcpu)
{
	u64 val, next, old = keel_x86->get_cr(vcpu, 4);

	if (keel_decode_mov_to_cr(vcpu, 4, &val, &next))
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, 4, vcpu->arch.rip);
	if ((val & ~keel_valid_cr4(vcpu)) ||
	    ((keel_x86->get_efer(vcpu) & EFER_LMA) && !(val & X86_CR4_PAE))) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
		return 1;
	}
	keel_x86->set_cr(vcpu, 4, val);
	if ((val ^ old) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
			   X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP))
		keel_x86->flush_guest_tlb(vcpu);
	keel_x86_skip_to(vcpu, next);
	return 1;
}

/* CR8 is the APIC's TPR[7:4] when the APIC is in the kernel. */
u8 keel_x86_get_cr8(struct keel_vcpu *vcpu)
{
	return vcpu->arch.apic ? keel_lapic_cr8(vcpu) : keel_x86->get_tpr(vcpu);
}

void keel_x86_set_cr8(struct keel_vcpu *vcpu, u8 cr8)
{
	keel_x86->set_tpr(vcpu, cr8);
	if (vcpu->arch.apic)
		keel_lapic_sync_tpr(vcpu, cr8);
}

/* Intercepted only while an interrupt waits for the TPR to drop. */
int keel_x86_handle_cr8_write(struct keel_vcpu *vcpu)
{
	u64 val, next;

	if (keel_decode_mov_to_cr(vcpu, 8, &val, &next))
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, 8, vcpu->arch.rip);
	if (val > 15) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
		return 1;
	}
	keel_x86_set_cr8(vcpu, val);
	keel_x86_skip_to(vcpu, next);
	return 1;
}

/* CR4 bits the host supports and the guest's CPUID allows. */
static u64 keel_valid_cr4(struct keel_vcpu *vcpu)
{
	u64 v = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		v |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		v |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		v |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		v |= X86_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_UMIP))
		v |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_PCID))
		v |= X86_CR4_PCIDE;
	return v & ~vcpu->arch.cr4_guest_rsvd;
}

u64 keel_x86_valid_efer(void)
{
	u64 v = EFER_SCE | EFER_LME | EFER_LMA;

	if (boot_cpu_has(X86_FEATURE_NX))
		v |= EFER_NX;
	return v;
}

static bool keel_segment_ok(const struct keel_segment *s)
{
	return !s->padding && s->type < 16 && s->present < 2 && s->dpl < 4 &&
	       s->db < 2 && s->s < 2 && s->l < 2 && s->g < 2 && s->avl < 2 &&
	       s->unusable < 2;
}

static bool keel_dtable_ok(const struct keel_dtable *d)
{
	return !d->padding[0] && !d->padding[1] && !d->padding[2];
}

/* Validate everything first: a failed SET_SREGS changes nothing. */
static int keel_check_sregs(struct keel_vcpu *vcpu, const struct keel_sregs *s,
			    int *irq)
{
	u64 maxphys = 1ULL << boot_cpu_data.x86_phys_bits;
	int i, bits = 0;

	for (i = 0; i < ARRAY_SIZE(keel_sregs_segs); i++)
		if (!keel_segment_ok(keel_sregs_seg(s, i)))
			return -EINVAL;
	if (!keel_dtable_ok(&s->gdt) || !keel_dtable_ok(&s->idt))
		return -EINVAL;

	if (s->cr0 & ~(u64)X86_CR0_VALID_LOW)
		return -EINVAL;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return -EINVAL;
	if (s->cr4 & ~keel_valid_cr4(vcpu))
		return -EINVAL;
	if (s->cr3 >= maxphys)
		return -EINVAL;
	if (s->cr8 > 15)
		return -EINVAL;
	if (s->efer & ~keel_x86_valid_efer())
		return -EINVAL;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return -EINVAL;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return -EINVAL;
	}
	if (vcpu->arch.apic ? keel_lapic_check_base(vcpu, s->apic_base, true) :
			      keel_x86_check_apic_base(s->apic_base))
		return -EINVAL;

	*irq = -1;
	for (i = 0; i < ARRAY_SIZE(s->interrupt_bitmap); i++) {
		u64 w = s->interrupt_bitmap[i];

		if (!w)
			continue;
		bits += hweight64(w);
		*irq = i * 64 + __ffs64(w);
	}
	return bits > 1 ? -EINVAL : 0;
}

static int keel_set_sregs(struct keel_vcpu *vcpu, const struct keel_sregs *s)
{
	const struct keel_x86_ops *ops = keel_x86;
	int irq, r, i;

	r = keel_check_sregs(vcpu, s, &irq);
	if (r)
		return r;

	for (i = 0; i < ARRAY_SIZE(keel_sregs_segs); i++)
		ops->set_segment(vcpu, keel_sregs_seg(s, i),
				 keel_sregs_segs[i].seg);
	ops->set_gdt(vcpu, &s->gdt);
	ops->set_idt(vcpu, &s->idt);
	ops->set_cr(vcpu, 0, s->cr0);
	ops->set_cr(vcpu, 2, s->cr2);
	ops->set_cr(vcpu, 3, s->cr3);
	ops->set_cr(vcpu, 4, s->cr4);
	keel_x86_set_cr8(vcpu, s->cr8);
	ops->set_efer(vcpu, s->efer);
	if (vcpu->arch.apic)
		keel_lapic_set_base(vcpu, s->apic_base, true);
	else
		vcpu->arch.apic_base = s->apic_base;
	if (irq >= 0)
		keel_x86_queue_irq(vcpu, irq);
	/* New paging state: drop the guest's cached translations. */
	ops->flush_guest_tlb(vcpu);
	return 0;
}

long keel_arch_vcpu_ioctl(struct keel_vcpu *vcpu, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KEEL_SET_CPUID2:
		return keel_x86_set_cpuid2(vcpu, argp);
	case KEEL_GET_MSRS:
		return keel_x86_get_msrs(vcpu, argp);
	case KEEL_INTERRUPT:
		return keel_x86_interrupt(vcpu, argp);
	case KEEL_NMI:
		return keel_x86_nmi(vcpu);
	case KEEL_SET_TSC_KHZ:
		return keel_x86_set_tsc_khz(vcpu, arg);
	case KEEL_GET_TSC_KHZ:
		return keel_x86_get_tsc_khz(vcpu);
	case KEEL_SET_GUEST_DEBUG:
		return keel_x86_set_guest_debug(vcpu, argp);
	case KEEL_GET_VCPU_EVENTS:
		return keel_x86_get_vcpu_events(vcpu, argp);
	case KEEL_SET_VCPU_EVENTS:
		return keel_x86_set_vcpu_events(vcpu, argp);
	case KEEL_GET_DEBUGREGS:
		return keel_x86_get_debugregs(vcpu, argp);
	case KEEL_SET_DEBUGREGS:
		return keel_x86_set_debugregs(vcpu, argp);
	case KEEL_TRANSLATE:
		return keel_x86_translate(vcpu, argp);
	case KEEL_GET_MP_STATE:
		return keel_x86_get_mp_state(vcpu, argp);
	case KEEL_SET_MP_STATE:
		return keel_x86_set_mp_state(vcpu, argp);
	case KEEL_TPR_ACCESS_REPORTING:
		return keel_x86_tpr_access_reporting(vcpu, argp);
	case KEEL_SET_VAPIC_ADDR:
		return keel_x86_set_vapic_addr(vcpu, argp);
	case KEEL_GET_LAPIC:
		return keel_lapic_get_state(vcpu, argp);
	case KEEL_SET_LAPIC:
		return keel_lapic_set_state(vcpu, argp);
	case KEEL_GET_FPU:
		return keel_x86_get_fpu(vcpu, argp);
	case KEEL_SET_FPU:
		return keel_x86_set_fpu(vcpu, argp);
	case KEEL_GET_XSAVE:
	case KEEL_GET_XSAVE2:
		return keel_x86_get_xsave(vcpu, argp);
	case KEEL_SET_XSAVE:
		return keel_x86_set_xsave(vcpu, argp);
	case KEEL_GET_XCRS:
		return keel_x86_get_xcrs(vcpu, argp);
	case KEEL_SET_XCRS:
		return keel_x86_set_xcrs(vcpu, argp);
	case KEEL_SET_MSRS:
		return keel_x86_set_msrs(vcpu, argp);
	case KEEL_GET_CPUID2:
		return keel_x86_get_cpuid2(vcpu, argp);
	case KEEL_GET_REGS: {
		struct keel_regs regs;

		keel_get_regs(vcpu, &regs);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	case KEEL_SET_REGS: {
		struct keel_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		return keel_set_regs(vcpu, &regs);
	}
	case KEEL_GET_SREGS: {
		struct keel_sregs *sregs;
		int r = 0;

		sregs = kzalloc(sizeof(*sregs), GFP_KERNEL);
		if (!sregs)
			return -ENOMEM;
		keel_get_sregs(vcpu, sregs);
		if (copy_to_user(argp, sregs, sizeof(*sregs)))
			r = -EFAULT;
		kfree(sregs);
		return r;
	}
	case KEEL_SET_SREGS: {
		struct keel_sregs *sregs;
		int r;

		sregs = memdup_user(argp, sizeof(*sregs));
		if (IS_ERR(sregs))
			return PTR_ERR(sregs);
		r = keel_set_sregs(vcpu, sregs);
		kfree(sregs);
		return r;
	}
	default:
		return -ENOTTY;
	}
}
