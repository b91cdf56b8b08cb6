// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: KVM's interface for QEMU's TPR patching (kvmvapic, which
 * speeds up 32-bit Windows guests that touch the TPR through the xAPIC
 * page). KEEL_TPR_ACCESS_REPORTING ends RUN after each such access with
 * KEEL_EXIT_TPR_ACCESS, so QEMU can patch the instruction to use a
 * guest-memory copy of the TPR; KEEL_SET_VAPIC_ADDR names that copy,
 * which keel refreshes before every entry and reads back after every
 * exit, as KVM. QEMU calls both on every VM with an in-kernel APIC.
 */
#include <linux/uaccess.h>

#include <keel/core.h>

long keel_x86_tpr_access_reporting(struct keel_vcpu *vcpu,
				   struct keel_tpr_access_ctl __user *u)
{
	struct keel_tpr_access_ctl c;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	if (!vcpu->arch.apic || c.enabled > 1 || c.flags ||
	    memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	vcpu->arch.apic->tpr_report = c.enabled;
	return 0;
}

long keel_x86_set_vapic_addr(struct keel_vcpu *vcpu,
			     const struct keel_vapic_addr __user *u)
{
	struct keel_vapic_addr a;
	u32 probe;

	if (copy_from_user(&a, u, sizeof(a)))
		return -EFAULT;
	if (!vcpu->arch.apic)
		return -EINVAL;
	/* Aligned, so never split across pages; in guest memory now. */
	if (a.vapic_addr && ((a.vapic_addr & 3) ||
			     keel_read_guest(vcpu->vm, a.vapic_addr, &probe,
					     sizeof(probe))))
		return -EINVAL;
	vcpu->arch.apic->vapic_addr = a.vapic_addr;
	return 0;
}

/* Before entry: TPR, highest in-service class and highest pending vector. */
void keel_vapic_sync_to(struct keel_vcpu *vcpu)
{
	u32 data = keel_lapic_vapic_data(vcpu);

	/* A slot deleted since SET_VAPIC_ADDR: nothing to mirror into. */
	keel_write_guest(vcpu->vm, vcpu->arch.apic->vapic_addr, &data,
			 sizeof(data));
}

/* After exit: the guest's patched code may have changed the TPR copy. */
void keel_vapic_sync_from(struct keel_vcpu *vcpu)
{
	u32 data;

	if (!keel_read_guest(vcpu->vm, vcpu->arch.apic->vapic_addr, &data,
			     sizeof(data)))
		keel_lapic_set_tpr(vcpu, data & 0xff);
}

/* After the access completed: tell userspace where the guest was. */
void keel_vapic_report(struct keel_vcpu *vcpu, struct keel_run *run)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	run->exit_reason = KEEL_EXIT_TPR_ACCESS;
	run->tpr_access.rip = apic->tpr_access_rip;
	run->tpr_access.is_write = apic->tpr_access;
	run->tpr_access.pad = 0;
	apic->tpr_access = -1;
}
