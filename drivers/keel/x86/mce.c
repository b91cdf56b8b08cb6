// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's machine-check MSRs. keel injects no machine
 * checks (no KEEL_CAP_MCE yet), but QEMU offers MCE and MCA in every
 * CPUID and saves and restores MCG_STATUS, MCG_CTL and ten banks of
 * MCi_CTL/STATUS/ADDR/MISC, and guests program them at boot: state to
 * keep, validate and migrate, with KVM's rules. MCG_CAP is fixed at QEMU's
 * default model: ten banks and MCG_CTL.
 */
#include <linux/nospec.h>
#include <asm/msr-index.h>

#include <keel/core.h>

#define KEEL_MCG_CTL_P		BIT_ULL(8)
#define KEEL_MCG_CAP		(KEEL_MCG_CTL_P | KEEL_MCE_BANKS)
/* RIPV, EIPV, MCIP, LMCE_S */
#define KEEL_MCG_STATUS_VALID	0xfULL
#define KEEL_HWCR_MCSTATUSWREN	BIT_ULL(18)

bool keel_x86_is_mce(u32 msr)
{
	return msr == MSR_IA32_MCG_CAP || msr == MSR_IA32_MCG_STATUS ||
	       msr == MSR_IA32_MCG_CTL ||
	       (msr >= MSR_IA32_MC0_CTL &&
		msr < MSR_IA32_MC0_CTL + 4 * KEEL_MCE_BANKS);
}

int keel_x86_get_mce(struct keel_vcpu *vcpu, u32 msr, u64 *val)
{
	struct keel_mce *m = &vcpu->arch.mce;

	switch (msr) {
	case MSR_IA32_MCG_CAP:
		*val = KEEL_MCG_CAP;
		break;
	case MSR_IA32_MCG_STATUS:
		*val = m->status;
		break;
	case MSR_IA32_MCG_CTL:
		*val = m->ctl;
		break;
	default:
		/* The guest picks the index (RDMSR's ECX): no speculation. */
		*val = m->banks[array_index_nospec(msr - MSR_IA32_MC0_CTL,
						   4 * KEEL_MCE_BANKS)];
	}
	return 0;
}

int keel_x86_set_mce(struct keel_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	struct keel_mce *m = &vcpu->arch.mce;
	u32 i = msr - MSR_IA32_MC0_CTL;

	switch (msr) {
	case MSR_IA32_MCG_CAP:
		/* Read-only, as MTRRcap; a restore of the same value is fine. */
		return host && val == KEEL_MCG_CAP ? 0 : -EINVAL;
	case MSR_IA32_MCG_STATUS:
		if (val & ~KEEL_MCG_STATUS_VALID)
			return -EINVAL;
		m->status = val;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (val && val != ~0ULL)
			return -EINVAL;
		m->ctl = val;
		return 0;
	}
	/*
	 * MCi_CTL: 0 or all ones, bits 10 and 0 excepted (Linux clears bit
	 * 10 of bank 4 on K8, UnixWare bit 0 of bank 1), as KVM.
	 */
	if (i % 4 == 0 && val && (val | BIT_ULL(10) | 1) != ~0ULL)
		return -EINVAL;
	/* AMD: a guest writes MCi_STATUS only with HWCR.McStatusWrEn. */
	if (i % 4 == 1 && !host && val &&
	    !(vcpu->arch.hwcr & KEEL_HWCR_MCSTATUSWREN))
		return -EINVAL;
	m->banks[array_index_nospec(i, 4 * KEEL_MCE_BANKS)] = val;
	return 0;
}
