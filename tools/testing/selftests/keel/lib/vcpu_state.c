// SPDX-License-Identifier: GPL-2.0
/* keel selftests: vCPU save and restore; see vcpu_state.h. */
#include <errno.h>
#include <signal.h>

#include "vcpu_state.h"

#define MSR_MTRR_DEF	0x2ff

static u32 msr_idx[KL_MAX_MSRS];
static u32 nr_msrs;

/*
 * The listed MSRs this vCPU can save and restore (KVM lists some that
 * its CPU model lacks, and PV MSRs that restore only with their CPUID;
 * it leaves out MTRRs, which VMMs save by CPUID).
 */
int kl_pick_msrs(struct kl_vcpu *vcpu, int *listed)
{
	struct {
		struct keel_msr_list h;
		u32 idx[KL_MAX_MSRS];
	} l = { .h.nmsrs = KL_MAX_MSRS - 17 };
	struct kl_msr_buf one = { .h.nmsrs = 1 };
	u32 i;

	KL_REQUIRE(!kl_ioctlp(vcpu->vm->sys_fd, KEEL_GET_MSR_INDEX_LIST, &l),
		   "MSR index list");
	*listed = l.h.nmsrs;
	if (kl_is_kvm()) {
		l.idx[l.h.nmsrs++] = MSR_MTRR_DEF;
		for (i = 0x200; i < 0x210; i++)
			l.idx[l.h.nmsrs++] = i;
	}
	nr_msrs = 0;
	for (i = 0; i < l.h.nmsrs; i++) {
		one.e[0].index = l.idx[i];
		if (kl_ioctlp(vcpu->fd, KEEL_GET_MSRS, &one) == 1 &&
		    kl_ioctlp(vcpu->fd, KEEL_SET_MSRS, &one) == 1)
			msr_idx[nr_msrs++] = l.idx[i];
	}
	return nr_msrs;
}

#define IO(fd, cmd, p, what)						\
	do {								\
		int __r = kl_ioctlp(fd, cmd, p);			\
		KL_REQUIRE(__r >= 0, "%s: %s", what, kl_errstr(__r));	\
	} while (0)

void kl_vcpu_state_save(struct kl_vcpu *vcpu, struct kl_vcpu_state *s)
{
	int listed, r;
	u32 i;

	if (!nr_msrs)
		kl_pick_msrs(vcpu, &listed);
	memset(s, 0, sizeof(*s));
	IO(vcpu->fd, KEEL_GET_REGS, &s->regs, "GET_REGS");
	IO(vcpu->fd, KEEL_GET_SREGS, &s->sregs, "GET_SREGS");
	IO(vcpu->fd, KEEL_GET_XSAVE, &s->xsave, "GET_XSAVE");
	IO(vcpu->fd, KEEL_GET_XCRS, &s->xcrs, "GET_XCRS");
	s->msrs.h.nmsrs = nr_msrs;
	for (i = 0; i < nr_msrs; i++)
		s->msrs.e[i].index = msr_idx[i];
	r = kl_ioctlp(vcpu->fd, KEEL_GET_MSRS, &s->msrs);
	KL_REQUIRE(r == (int)nr_msrs, "GET_MSRS: %d of %u", r, nr_msrs);
	IO(vcpu->fd, KEEL_GET_VCPU_EVENTS, &s->events, "GET_VCPU_EVENTS");
	IO(vcpu->fd, KEEL_GET_DEBUGREGS, &s->dbg, "GET_DEBUGREGS");
	IO(vcpu->fd, KEEL_GET_MP_STATE, &s->mp, "GET_MP_STATE");
	if (vcpu->vm->split_irqchip)
		IO(vcpu->fd, KEEL_GET_LAPIC, &s->lapic, "GET_LAPIC");
}

/*
 * QEMU's order: regs, XSAVE, XCRs, sregs, MSRs (the APIC base among
 * them), the local APIC, events, MP state, DRs.
 */
void kl_vcpu_state_restore(struct kl_vcpu *vcpu, struct kl_vcpu_state *s)
{
	u32 n = s->msrs.h.nmsrs;
	int r;

	IO(vcpu->fd, KEEL_SET_REGS, &s->regs, "SET_REGS");
	IO(vcpu->fd, KEEL_SET_XSAVE, &s->xsave, "SET_XSAVE");
	IO(vcpu->fd, KEEL_SET_XCRS, &s->xcrs, "SET_XCRS");
	IO(vcpu->fd, KEEL_SET_SREGS, &s->sregs, "SET_SREGS");
	r = kl_ioctlp(vcpu->fd, KEEL_SET_MSRS, &s->msrs);
	KL_REQUIRE(r == (int)n, "SET_MSRS: %d of %u (stopped at %#x)", r, n,
		   r >= 0 && r < (int)n ? s->msrs.e[r].index : 0);
	if (vcpu->vm->split_irqchip)
		IO(vcpu->fd, KEEL_SET_LAPIC, &s->lapic, "SET_LAPIC");
	IO(vcpu->fd, KEEL_SET_VCPU_EVENTS, &s->events, "SET_VCPU_EVENTS");
	IO(vcpu->fd, KEEL_SET_MP_STATE, &s->mp, "SET_MP_STATE");
	IO(vcpu->fd, KEEL_SET_DEBUGREGS, &s->dbg, "SET_DEBUGREGS");
}

static struct kl_vcpu_state state;
static struct keel_irqchip chips[3];
static struct keel_pit_state2 pit;

struct kl_vcpu *kl_move_vm(struct kl_vcpu *src, u64 mem_size,
			   bool complete_io)
{
	struct kl_vm *svm = src->vm, *dvm;
	struct keel_clock_data clock;
	struct kl_vcpu *dst;
	sigset_t block, old;

	/* Only RUN is to be interrupted (KVM's CREATE_VM can be, too). */
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	dvm = kl_vm_create(mem_size);
	if (svm->full_irqchip)
		kl_vm_create_irqchip(dvm);
	else if (svm->split_irqchip)
		kl_vm_enable_split_irqchip(dvm);
	if (svm->pit_flags >= 0)
		kl_vm_create_pit(dvm, svm->pit_flags);
	if (complete_io) {
		src->run->immediate_exit = 1;
		KL_REQUIRE(kl_vcpu_run(src) == -EINTR, "completing the exit");
		src->run->immediate_exit = 0;
	}
	kl_vcpu_state_save(src, &state);
	for (int i = 0; svm->full_irqchip && i < 3; i++) {
		chips[i].chip_id = i;
		IO(svm->fd, KEEL_GET_IRQCHIP, &chips[i], "GET_IRQCHIP");
	}
	if (svm->pit_flags >= 0)
		IO(svm->fd, KEEL_GET_PIT2, &pit, "GET_PIT2");
	IO(svm->fd, KEEL_GET_CLOCK, &clock, "GET_CLOCK");
	memcpy(dvm->mem, svm->mem, mem_size);
	dst = kl_vcpu_add(dvm, 0);
	IO(dvm->fd, KEEL_SET_CLOCK, &clock, "SET_CLOCK");
	kl_vcpu_state_restore(dst, &state);
	/* After the APIC, so lines the IOAPIC raises again land on it. */
	for (int i = 0; svm->full_irqchip && i < 3; i++)
		IO(dvm->fd, KEEL_SET_IRQCHIP, &chips[i], "SET_IRQCHIP");
	if (svm->pit_flags >= 0)
		IO(dvm->fd, KEEL_SET_PIT2, &pit, "SET_PIT2");
	kl_vcpu_free(src);
	kl_vm_free(svm);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return dst;
}
