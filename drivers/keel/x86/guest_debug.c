// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: KEEL_SET_GUEST_DEBUG, debugging a guest from userspace.
 * Single-stepping sets RFLAGS.TF for the guest, hidden from it and from
 * GET_REGS; hardware breakpoints put userspace's DR0-3 and DR7 in the CPU
 * while the guest's own debug registers move to a shadow that its
 * (then intercepted) MOV DR instructions use. Either makes every #DB exit
 * to userspace as KEEL_EXIT_DEBUG.
 */
#include <linux/uaccess.h>
#include <asm/cpufeature.h>

#include <keel/core.h>

/* What keel supports; KEEL_CAP_SET_GUEST_DEBUG2 reports it. */
#define KEEL_GUESTDBG_VALID	(KEEL_GUESTDBG_ENABLE | \
				 KEEL_GUESTDBG_SINGLESTEP | \
				 KEEL_GUESTDBG_USE_HW_BP | \
				 KEEL_GUESTDBG_INJECT_DB | \
				 KEEL_GUESTDBG_BLOCKIRQ)

long keel_arch_guest_debug_supported(void)
{
	return KEEL_GUESTDBG_VALID;
}

static bool keel_hw_bp(struct keel_vcpu *vcpu)
{
	return vcpu->arch.guest_debug & KEEL_GUESTDBG_USE_HW_BP;
}

/* The DR0-3 values the CPU holds while the guest runs. */
u64 *keel_x86_active_db(struct keel_vcpu *vcpu)
{
	return keel_hw_bp(vcpu) ? vcpu->arch.eff_db : vcpu->arch.db;
}

/* The guest's own DR7, wherever it lives. */
u64 keel_x86_get_guest_dr7(struct keel_vcpu *vcpu)
{
	return keel_hw_bp(vcpu) ? vcpu->arch.guest_dr7 :
				  keel_x86->get_dr(vcpu, 7);
}

void keel_x86_set_guest_dr7(struct keel_vcpu *vcpu, u64 val)
{
	if (keel_hw_bp(vcpu))
		vcpu->arch.guest_dr7 = val;
	else
		keel_x86->set_dr(vcpu, 7, val);
}

/* After a reset: the guest's DR7 is back to 0x400, userspace's stays. */
void keel_x86_guest_debug_reset(struct keel_vcpu *vcpu)
{
	if (keel_hw_bp(vcpu)) {
		vcpu->arch.guest_dr7 = KEEL_DR7_INIT;
		keel_x86->set_dr(vcpu, 7, vcpu->arch.debug_dr7);
	}
	keel_x86->update_debug_intercepts(vcpu);
}

/* Set TF for one entry if single-stepping; true if keel set it. */
bool keel_x86_singlestep_begin(struct keel_vcpu *vcpu)
{
	if (!(vcpu->arch.guest_debug & KEEL_GUESTDBG_SINGLESTEP) ||
	    (vcpu->arch.rflags & X86_EFLAGS_TF))
		return false;
	vcpu->arch.rflags |= X86_EFLAGS_TF;
	return true;
}

void keel_x86_singlestep_end(struct keel_vcpu *vcpu, bool set)
{
	if (set)
		vcpu->arch.rflags &= ~X86_EFLAGS_TF;
}

/* BLOCKIRQ: no interrupt reaches a guest being stepped. */
bool keel_x86_irqs_blocked(struct keel_vcpu *vcpu)
{
	return vcpu->arch.guest_debug & KEEL_GUESTDBG_BLOCKIRQ;
}

/* A #DB while userspace debugs the guest: report it. */
int keel_x86_debug_exit(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;

	run->exit_reason = KEEL_EXIT_DEBUG;
	memset(&run->debug, 0, sizeof(run->debug));
	run->debug.arch.exception = KEEL_EXC_DB;
	run->debug.arch.pc = keel_seg_base(vcpu, KEEL_SEG_CS) + vcpu->arch.rip;
	run->debug.arch.dr6 = keel_x86->get_dr(vcpu, 6);
	run->debug.arch.dr7 = keel_x86->get_dr(vcpu, 7);
	return 0;
}

/*
 * An instruction keel completed for the guest ran with TF set: the trap
 * it owes is a DEBUG exit when userspace single-steps, else a #DB with
 * DR6.BS for the guest, as if the CPU had executed it.
 */
int keel_x86_deliver_step(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;

	if (!vcpu->arch.step_trap)
		return 1;
	vcpu->arch.step_trap = false;
	if (!(vcpu->arch.guest_debug & KEEL_GUESTDBG_SINGLESTEP)) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_DB, false, 0);
		vcpu->arch.ev.exc_has_payload = true;
		vcpu->arch.ev.exc_payload = KEEL_DR6_BS;
		return 1;
	}
	keel_x86_debug_exit(vcpu);
	run->debug.arch.dr6 = KEEL_DR6_INIT | KEEL_DR6_BS;
	return 0;
}

/*
 * MOV to or from a debug register (0F 21 /r, 0F 23 /r): the GPR operand
 * and the instruction's length. No decode assists are assumed.
 */
static int keel_decode_mov_dr(struct keel_vcpu *vcpu, int *gpr,
			      unsigned int *len)
{
	u8 insn[15];
	unsigned int n = sizeof(insn), i = 0;
	u8 rex = 0;

	if (keel_x86_fetch_insn(vcpu, insn, &n))
		return -EFAULT;
	/* Operand-size, address-size and segment prefixes change nothing. */
	while (i < n && (insn[i] == 0x66 || insn[i] == 0x67 ||
			 insn[i] == 0x26 || insn[i] == 0x2e ||
			 insn[i] == 0x36 || insn[i] == 0x3e ||
			 insn[i] == 0x64 || insn[i] == 0x65))
		i++;
	if (keel_x86_cpu_mode_bytes(vcpu) == 8 && i < n &&
	    (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (i + 3 > n || insn[i] != 0x0f ||
	    (insn[i + 1] != 0x21 && insn[i + 1] != 0x23))
		return -EINVAL;
	*gpr = (insn[i + 2] & 7) | ((rex & 1) << 3);
	*len = i + 3;
	return 0;
}

/*
 * An intercepted MOV DR. Unless userspace owns the breakpoints, this is
 * the guest's first use: make its registers active and run it again.
 */
int keel_x86_handle_dr_access(struct keel_vcpu *vcpu, int dr, bool write)
{
	unsigned long *r = vcpu->arch.regs;
	bool wide = keel_x86_cpu_mode_bytes(vcpu) == 8;
	unsigned int len;
	int gpr;
	u64 val;

	if (!keel_hw_bp(vcpu)) {
		keel_x86_db_set_active(vcpu, true);
		return 1;
	}
	if (keel_decode_mov_dr(vcpu, &gpr, &len))
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, dr, write);
	/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined. */
	if (dr == 4 || dr == 5) {
		if (keel_x86->get_cr(vcpu, 4) & X86_CR4_DE) {
			keel_x86_queue_exception(vcpu, KEEL_EXC_UD, false, 0);
			return 1;
		}
		dr += 2;
	}
	if (write) {
		val = wide ? r[gpr] : (u32)r[gpr];
		if (dr >= 6 && val >> 32) {
			keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
			return 1;
		}
		if (dr < 4)
			vcpu->arch.db[dr] = val;
		else if (dr == 6)
			keel_x86->set_dr(vcpu, 6, val);
		else
			keel_x86_set_guest_dr7(vcpu, val);
	} else {
		if (dr < 4)
			val = vcpu->arch.db[dr];
		else if (dr == 6)
			val = keel_x86->get_dr(vcpu, 6);
		else
			val = keel_x86_get_guest_dr7(vcpu);
		r[gpr] = wide ? val : (u32)val;
	}
	keel_x86_skip_to(vcpu, vcpu->arch.rip + len);
	return 1;
}

long keel_x86_set_guest_debug(struct keel_vcpu *vcpu,
			      const struct keel_guest_debug __user *u)
{
	int va_bits = boot_cpu_has(X86_FEATURE_LA57) ? 57 : 48;
	struct keel_x86_events *ev = &vcpu->arch.ev;
	struct keel_guest_debug dbg;
	bool was_hw, hw, inject;
	u64 *d;
	int i;

	if (copy_from_user(&dbg, u, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~KEEL_GUESTDBG_VALID || dbg.pad)
		return -EINVAL;
	/* Injection works without ENABLE; everything else needs it. */
	inject = dbg.control & KEEL_GUESTDBG_INJECT_DB;
	if (!(dbg.control & KEEL_GUESTDBG_ENABLE))
		dbg.control = 0;
	dbg.control &= ~KEEL_GUESTDBG_INJECT_DB;
	hw = dbg.control & KEEL_GUESTDBG_USE_HW_BP;
	/* debugreg[] is read only with USE_HW_BP; 4-6 mean nothing. */
	d = dbg.arch.debugreg;
	if (hw) {
		for (i = 0; i < 4; i++)
			if (!keel_canonical(d[i], va_bits))
				return -EINVAL;
		if (d[4] || d[5] || d[6] || d[7] >> 32)
			return -EINVAL;
	}
	if (inject && (ev->exc_pending || ev->exc_injected))
		return -EBUSY;

	was_hw = keel_hw_bp(vcpu);
	if (was_hw && !hw) {
		keel_x86->set_dr(vcpu, 7, vcpu->arch.guest_dr7);
		/* The guest's registers come back into the CPU if in use. */
		vcpu->arch.db_active = true;
	} else if (!was_hw && hw) {
		vcpu->arch.guest_dr7 = keel_x86->get_dr(vcpu, 7);
	}
	vcpu->arch.guest_debug = dbg.control;
	if (hw) {
		memcpy(vcpu->arch.eff_db, d, sizeof(vcpu->arch.eff_db));
		vcpu->arch.debug_dr7 = d[7] | KEEL_DR7_INIT;
		keel_x86->set_dr(vcpu, 7, vcpu->arch.debug_dr7);
	}
	if (inject)
		keel_x86_queue_exception(vcpu, KEEL_EXC_DB, false, 0);
	keel_x86->update_debug_intercepts(vcpu);
	return 0;
}
