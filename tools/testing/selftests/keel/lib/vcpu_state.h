/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: saving a vCPU through the ioctls and restoring it in a
 * fresh VM, as a VMM migrating a guest does (api.rst section 8).
 */
#ifndef KEEL_VCPU_STATE_H
#define KEEL_VCPU_STATE_H

#include "keel_util.h"

#define KL_MAX_MSRS	128

struct kl_msr_buf {
	struct keel_msrs h;
	struct keel_msr_entry e[KL_MAX_MSRS];
};

struct kl_vcpu_state {
	struct keel_regs regs;
	struct keel_sregs sregs;
	struct keel_xsave xsave;
	struct keel_xcrs xcrs;
	struct kl_msr_buf msrs;
	struct keel_vcpu_events events;
	struct keel_debugregs dbg;
	struct keel_mp_state mp;
	struct keel_lapic_state lapic;	/* with an in-kernel APIC */
};

/* The MSRs of the index list this vCPU saves and restores; how many. */
int kl_pick_msrs(struct kl_vcpu *vcpu, int *listed);
void kl_vcpu_state_save(struct kl_vcpu *vcpu, struct kl_vcpu_state *s);
void kl_vcpu_state_restore(struct kl_vcpu *vcpu, struct kl_vcpu_state *s);
/*
 * Move vCPU 0 and the memory of its VM (@mem_size bytes) to a new VM,
 * with the VM's clock; @complete_io finishes a pending exit first. The
 * old VM is freed.
 */
struct kl_vcpu *kl_move_vm(struct kl_vcpu *src, u64 mem_size,
			   bool complete_io);

#endif
