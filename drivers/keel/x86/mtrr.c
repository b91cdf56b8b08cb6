// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's MTRRs. Nested paging takes memory types from the
 * host and the guest's PAT, so MTRRs are state to keep, validate and
 * migrate (firmware and guests program them), not to apply. Eight
 * variable ranges, the fixed ranges and write-combining, as KVM offers.
 */
#include <asm/processor.h>

#include <keel/core.h>

#define KEEL_MTRRCAP	(0x500 | KEEL_NR_VAR_MTRR)	/* WC, FIX, VCNT */
#define KEEL_MTRR_DEF_FE	BIT_ULL(10)
#define KEEL_MTRR_DEF_E		BIT_ULL(11)
#define KEEL_MTRR_VAR0		0x200	/* PhysBase0; PhysMask0 follows */

#define KEEL_MSR_MTRRCAP	0xfe
#define KEEL_MSR_MTRR_DEF	0x2ff

/* 64K at 0, 16K at 0x80000 and 0xa0000, 4K from 0xc0000 to 0xf8000 */
static const u32 keel_fixed_mtrrs[11] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e,
	0x26f,
};

static int keel_fixed_index(u32 msr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(keel_fixed_mtrrs); i++)
		if (keel_fixed_mtrrs[i] == msr)
			return i;
	return -1;
}

bool keel_x86_is_mtrr(u32 msr)
{
	return msr == KEEL_MSR_MTRRCAP || msr == KEEL_MSR_MTRR_DEF ||
	       (msr >= KEEL_MTRR_VAR0 &&
		msr < KEEL_MTRR_VAR0 + 2 * KEEL_NR_VAR_MTRR) ||
	       keel_fixed_index(msr) >= 0;
}

/* UC, WC, WT, WP, WB */
static bool keel_mtrr_type_ok(u8 t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static u64 keel_phys_rsvd(void)
{
	return ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);
}

static bool keel_mtrr_valid(u32 msr, u64 val)
{
	int i;

	if (msr == KEEL_MSR_MTRR_DEF)
		return !(val & ~(0xffULL | KEEL_MTRR_DEF_FE | KEEL_MTRR_DEF_E)) &&
		       keel_mtrr_type_ok(val);
	if (keel_fixed_index(msr) >= 0) {
		for (i = 0; i < 8; i++)
			if (!keel_mtrr_type_ok(val >> (i * 8)))
				return false;
		return true;
	}
	/* Variable ranges: even MSRs are bases, odd ones masks. */
	if (!((msr - KEEL_MTRR_VAR0) & 1))
		return !(val & (keel_phys_rsvd() | 0xf00)) &&
		       keel_mtrr_type_ok(val);
	return !(val & (keel_phys_rsvd() | 0x7ff));
}

int keel_x86_get_mtrr(struct keel_vcpu *vcpu, u32 msr, u64 *val)
{
	struct keel_mtrrs *m = &vcpu->arch.mtrr;
	int i = keel_fixed_index(msr);

	if (msr == KEEL_MSR_MTRRCAP)
		*val = KEEL_MTRRCAP;
	else if (msr == KEEL_MSR_MTRR_DEF)
		*val = m->def_type;
	else if (i >= 0)
		*val = m->fixed[i];
	else
		*val = m->var[msr - KEEL_MTRR_VAR0];
	return 0;
}

/* MTRRcap is read-only, for userspace too (as KVM). */
int keel_x86_set_mtrr(struct keel_vcpu *vcpu, u32 msr, u64 val)
{
	struct keel_mtrrs *m = &vcpu->arch.mtrr;
	int i = keel_fixed_index(msr);

	if (msr == KEEL_MSR_MTRRCAP || !keel_mtrr_valid(msr, val))
		return -EINVAL;
	if (msr == KEEL_MSR_MTRR_DEF)
		m->def_type = val;
	else if (i >= 0)
		m->fixed[i] = val;
	else
		m->var[msr - KEEL_MTRR_VAR0] = val;
	return 0;
}
