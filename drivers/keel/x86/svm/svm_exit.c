// SPDX-License-Identifier: GPL-2.0
/*
 * keel AMD SVM backend: #VMEXIT dispatch. Each handler decodes the exit
 * information and calls the vendor-neutral x86 code.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <keel/core.h>
#include "svm.h"

/* Without NRIP save, the length of the (prefix-free) instruction. */
static u64 keel_svm_next_rip(struct keel_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (keel_svm_nrips && vmcb->control.next_rip)
		return vmcb->control.next_rip;
	return vcpu->arch.rip + len;
}

static int keel_svm_ioio(struct keel_vcpu *vcpu, struct vmcb *vmcb)
{
	u64 info = vmcb->control.exit_info_1;
	struct keel_pio_exit e = {
		.port = info >> IOIO_PORT_SHIFT,
		.in = info & IOIO_TYPE_IN,
		.string = info & IOIO_STR,
		.rep = info & IOIO_REP,
		/* exit_info_2 holds the next RIP even without NRIP save. */
		.next_rip = vmcb->control.exit_info_2,
	};
	u32 sz = (info >> IOIO_SZ_SHIFT) & 7;
	u32 asz = (info >> IOIO_ASZ_SHIFT) & 7;

	e.size = (sz & 1) ? 1 : (sz & 2) ? 2 : 4;
	e.addr_bytes = (asz & 1) ? 2 : (asz & 2) ? 4 : 8;
	return keel_x86_handle_pio(vcpu, &e);
}

/*
 * MMIO touched while delivering an event (the guest's IDT or stack on
 * MMIO): the instruction at RIP did not fault, so emulating it would be
 * wrong. Userspace gets KVM's exit for this (6.14+; 6.1 emulated RIP).
 */
static int keel_svm_vectoring_error(struct keel_vcpu *vcpu, struct vmcb *vmcb)
{
	struct keel_run *run = vcpu->run;

	run->exit_reason = KEEL_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KEEL_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.ndata = 5;
	run->internal.data[0] = vmcb->control.exit_info_2;
	run->internal.data[1] = vmcb->control.exit_code;
	run->internal.data[2] = vmcb->control.exit_info_1;
	run->internal.data[3] = vmcb->control.exit_info_2;	/* the GPA */
	run->internal.data[4] = vcpu->cpu;
	return 0;
}

static int keel_svm_npf(struct keel_vcpu *vcpu, struct vmcb *vmcb)
{
	u64 err = vmcb->control.exit_info_1;
	u64 gpa = vmcb->control.exit_info_2;
	bool vectoring = vmcb->control.exit_int_info & EVTINJ_VALID;

	/* Only these two need the memslot lookup before the fault path. */
	if ((vectoring || (err & NPF_FETCH)) &&
	    !keel_gpa_is_memory(vcpu->vm, gpa))
		return vectoring ? keel_svm_vectoring_error(vcpu, vmcb) :
		       keel_x86_internal_error(vcpu,
					       KEEL_INTERNAL_ERROR_EMULATION,
					       gpa, err);
	return keel_mmu_page_fault(vcpu, gpa, err & NPF_WRITE,
				   err & NPF_PRESENT);
}

static int keel_svm_ud(struct keel_vcpu *vcpu)
{
	keel_x86_queue_exception(vcpu, KEEL_EXC_UD, false, 0);
	return 1;
}

int keel_svm_handle_exit(struct keel_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct keel_run *run = vcpu->run;
	/* Exit codes are 32 bits wide in practice, VMEXIT_INVALID included. */
	u32 code = vmcb->control.exit_code;

	pr_debug("vcpu %u exit 0x%x info 0x%llx 0x%llx rip 0x%lx intinfo 0x%llx\n",
		 vcpu->vcpu_id, code, vmcb->control.exit_info_1,
		 vmcb->control.exit_info_2, vcpu->arch.rip,
		 vmcb->control.exit_int_info);
	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		return 1;
	case SVM_EXIT_VINTR:
		/* The window is open; the x86 core tells userspace. */
		keel_x86->set_irq_window(vcpu, false);
		keel_x86_window_opened(vcpu);
		return 1;
	case SVM_EXIT_EXCP_BASE + KEEL_EXC_DB:
		return keel_x86_debug_exit(vcpu);
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7:
		return keel_x86_handle_dr_access(vcpu, code - SVM_EXIT_READ_DR0,
						 false);
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7:
		return keel_x86_handle_dr_access(vcpu, code - SVM_EXIT_WRITE_DR0,
						 true);
	case SVM_EXIT_IRET:
		/* Before the IRET executes: see keel_x86_iret_exit(). */
		vmcb->control.intercepts[INTERCEPT_WORD3] &= ~INTERCEPT_IRET;
		keel_x86_iret_exit(vcpu);
		return 1;
	case SVM_EXIT_CR4_WRITE:
		return keel_x86_handle_cr4_write(vcpu);
	case SVM_EXIT_CR8_WRITE:
		return keel_x86_handle_cr8_write(vcpu);
	case SVM_EXIT_CPUID:
		return keel_x86_handle_cpuid(vcpu, keel_svm_next_rip(vcpu, 2));
	case SVM_EXIT_HLT:
		return keel_x86_handle_hlt(vcpu, keel_svm_next_rip(vcpu, 1));
	case SVM_EXIT_IOIO:
		return keel_svm_ioio(vcpu, vmcb);
	case SVM_EXIT_MSR:
		if (vmcb->control.exit_info_1)
			return keel_x86_handle_wrmsr(vcpu,
						     keel_svm_next_rip(vcpu, 2));
		return keel_x86_handle_rdmsr(vcpu, keel_svm_next_rip(vcpu, 2));
	case SVM_EXIT_XSETBV:
		return keel_x86_handle_xsetbv(vcpu, keel_svm_next_rip(vcpu, 3));
	case SVM_EXIT_INVD:
		keel_x86_skip_to(vcpu, keel_svm_next_rip(vcpu, 2));
		return 1;
	case SVM_EXIT_NPF:
		return keel_svm_npf(vcpu, vmcb);
	case SVM_EXIT_SHUTDOWN:
		/* The VMCB is undefined after a shutdown: reset the vCPU. */
		keel_x86_vcpu_reset(vcpu);
		run->exit_reason = KEEL_EXIT_SHUTDOWN;
		return 0;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
		/* None of these is in the guest's CPUID. */
		return keel_svm_ud(vcpu);
	case SVM_EXIT_INVALID:
		run->exit_reason = KEEL_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = code;
		run->fail_entry.cpu = vcpu->cpu;
		return 0;
	default:
		run->exit_reason = KEEL_EXIT_INTERNAL_ERROR;
		run->internal.suberror = KEEL_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
		run->internal.ndata = 2;
		run->internal.data[0] = code;
		run->internal.data[1] = vcpu->cpu;
		return 0;
	}
}
