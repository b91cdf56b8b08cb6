// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's debug registers. DR6 and DR7 are switched by the
 * hardware with the rest of the guest state; DR0-3 are not, and guest
 * accesses to them do not exit, so they are loaded before every entry
 * and read back after it (keel_x86_load/save_guest_db, called by the
 * backend around the entry with interrupts and the host's DR7 off).
 */
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>

#include <keel/core.h>

void keel_x86_debugreg_reset(struct keel_vcpu *vcpu)
{
	memset(vcpu->arch.db, 0, sizeof(vcpu->arch.db));
}

void keel_x86_load_guest_db(struct keel_vcpu *vcpu)
{
	u64 *db = keel_x86_active_db(vcpu);

	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}

void keel_x86_save_guest_db(struct keel_vcpu *vcpu)
{
	u64 *db = vcpu->arch.db;

	/* With userspace's breakpoints loaded, guest MOV DRs exit instead. */
	if (db != keel_x86_active_db(vcpu))
		return;

	get_debugreg(db[0], 0);
	get_debugreg(db[1], 1);
	get_debugreg(db[2], 2);
	get_debugreg(db[3], 3);
}

long keel_x86_get_debugregs(struct keel_vcpu *vcpu,
			    struct keel_debugregs __user *u)
{
	struct keel_debugregs d;

	memset(&d, 0, sizeof(d));
	memcpy(d.db, vcpu->arch.db, sizeof(d.db));
	d.dr6 = keel_x86->get_dr(vcpu, 6);
	d.dr7 = keel_x86_get_guest_dr7(vcpu);
	return copy_to_user(u, &d, sizeof(d)) ? -EFAULT : 0;
}

/*
 * DR6 and DR7 are 32-bit registers: MOV to them #GPs on bits 63:32.
 * DR0-3 hold linear addresses, which the host loads into the CPU.
 */
long keel_x86_set_debugregs(struct keel_vcpu *vcpu,
			    const struct keel_debugregs __user *u)
{
	int va_bits = boot_cpu_has(X86_FEATURE_LA57) ? 57 : 48;
	struct keel_debugregs d;
	int i;

	if (copy_from_user(&d, u, sizeof(d)))
		return -EFAULT;
	if (d.flags || memchr_inv(d.reserved, 0, sizeof(d.reserved)) ||
	    d.dr6 >> 32 || d.dr7 >> 32)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (!keel_canonical(d.db[i], va_bits))
			return -EINVAL;
	memcpy(vcpu->arch.db, d.db, sizeof(d.db));
	keel_x86->set_dr(vcpu, 6, d.dr6);
	keel_x86_set_guest_dr7(vcpu, d.dr7);
	return 0;
}
