// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's debug registers. DR6 and DR7 are switched by the
 * hardware with the rest of the guest state; DR0-3 are not. Most guests
 * never use them, so while the guest's are all 0 and its DR7 enables
 * nothing, its MOV DRs exit and DR0-3 stay out of the entry path. The
 * first such exit makes them active: from then on they are loaded
 * before every entry and read back after it (keel_x86_load/save_guest_db,
 * called by the backend around the entry with interrupts and the host's
 * DR7 off), and the guest's MOV DRs run natively, until an exit finds
 * them unused again.
 */
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/hw_breakpoint.h>

#include <keel/core.h>

/* The guest's DR0-3 or DR7 hold something a breakpoint could use. */
static bool keel_db_in_use(struct keel_vcpu *vcpu)
{
	u64 *db = vcpu->arch.db;

	return db[0] || db[1] || db[2] || db[3] ||
	       (keel_x86_get_guest_dr7(vcpu) & 0xff);
}

/* Whether DR0-3 go into the CPU, and guest MOV DRs run natively. */
void keel_x86_db_set_active(struct keel_vcpu *vcpu, bool active)
{
	vcpu->arch.db_active = active;
	keel_x86->update_debug_intercepts(vcpu);
}

void keel_x86_debugreg_reset(struct keel_vcpu *vcpu)
{
	memset(vcpu->arch.db, 0, sizeof(vcpu->arch.db));
	vcpu->arch.db_active = false;
}

/* Userspace's breakpoints, or the guest's own while it uses them. */
static bool keel_db_loaded(struct keel_vcpu *vcpu)
{
	return (vcpu->arch.guest_debug & KEEL_GUESTDBG_USE_HW_BP) ||
	       vcpu->arch.db_active;
}

/*
 * Loads the guest's DR0-3, if it needs them, into @host_db the host's
 * when host breakpoints (perf, ptrace) are armed on this CPU. Returns
 * whether it saved them: keel_x86_restore_host_db() must then put them
 * back. (hw_breakpoint_restore() is kept for KVM's modules on 7.x.)
 */
bool keel_x86_load_guest_db(struct keel_vcpu *vcpu, unsigned long *host_db)
{
	u64 *db = keel_x86_active_db(vcpu);
	bool saved = false;

	if (!keel_db_loaded(vcpu))
		return false;
	if (hw_breakpoint_active()) {
		get_debugreg(host_db[0], 0);
		get_debugreg(host_db[1], 1);
		get_debugreg(host_db[2], 2);
		get_debugreg(host_db[3], 3);
		saved = true;
	}
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
	return saved;
}

void keel_x86_restore_host_db(const unsigned long *host_db)
{
	set_debugreg(host_db[0], 0);
	set_debugreg(host_db[1], 1);
	set_debugreg(host_db[2], 2);
	set_debugreg(host_db[3], 3);
}

void keel_x86_save_guest_db(struct keel_vcpu *vcpu)
{
	u64 *db = vcpu->arch.db;

	/* With userspace's breakpoints loaded, guest MOV DRs exit instead. */
	if (!vcpu->arch.db_active || db != keel_x86_active_db(vcpu))
		return;

	get_debugreg(db[0], 0);
	get_debugreg(db[1], 1);
	get_debugreg(db[2], 2);
	get_debugreg(db[3], 3);
}

/* After an exit, interrupts on: unused again, DR0-3 leave the entry path. */
void keel_x86_db_settle(struct keel_vcpu *vcpu)
{
	if (vcpu->arch.db_active && !keel_db_in_use(vcpu))
		keel_x86_db_set_active(vcpu, false);
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
	keel_x86_db_set_active(vcpu, keel_db_in_use(vcpu));
	return 0;
}
