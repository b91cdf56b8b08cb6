// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: RDMSR and WRMSR. Every MSR access exits; the ones a guest
 * needs are emulated here or kept in the backend's state, and every other
 * index (or an invalid value) injects #GP, as on hardware. The same
 * accessors serve KEEL_GET_MSRS/KEEL_SET_MSRS (@host true), which reach
 * every MSR whatever the guest's CPUID says, for save and restore.
 */
#include <asm/msr-index.h>
#include <asm/processor.h>

#include <keel/core.h>

#define KEEL_APIC_BASE_ADDR	0xfee00000ULL
#define KEEL_APIC_BSP		BIT_ULL(8)
#define KEEL_APIC_X2APIC	BIT_ULL(10)
#define KEEL_APIC_ENABLE	BIT_ULL(11)
/* Read-only for the guest: keel has no BTS or PEBS. */
#define KEEL_MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
/* The SDM's architectural bits; keel acts on none of them. */
#define KEEL_MISC_ENABLE_VALID	(MSR_IA32_MISC_ENABLE_FAST_STRING | \
				 MSR_IA32_MISC_ENABLE_TM1 | \
				 MSR_IA32_MISC_ENABLE_EMON | KEEL_MISC_ENABLE_RO | \
				 MSR_IA32_MISC_ENABLE_ENHANCED_SPEEDSTEP | \
				 MSR_IA32_MISC_ENABLE_MWAIT | \
				 MSR_IA32_MISC_ENABLE_LIMIT_CPUID | \
				 MSR_IA32_MISC_ENABLE_XTPR_DISABLE | \
				 MSR_IA32_MISC_ENABLE_XD_DISABLE)

u64 keel_x86_default_apic_base(struct keel_vcpu *vcpu)
{
	return KEEL_APIC_BASE_ADDR | KEEL_APIC_ENABLE |
	       (vcpu->vcpu_id == 0 ? KEEL_APIC_BSP : 0);
}

/* No x2APIC in the guest's CPUID: bit 10 is reserved, as are 0-7, 9. */
int keel_x86_check_apic_base(u64 val)
{
	u64 reserved = 0x2ffULL | KEEL_APIC_X2APIC |
		       ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);

	return (val & reserved) ? -EINVAL : 0;
}

/* A guest may use the MSR only if its CPUID says so; userspace always. */
static bool keel_msr_allowed(struct keel_vcpu *vcpu, u32 feat, bool host)
{
	return host || (vcpu->arch.guest_feat & feat);
}

/* Guest TSC = host TSC + this offset (no scaling). */
u64 keel_x86_tsc_offset(struct keel_vcpu *vcpu)
{
	bool found;

	return keel_x86->get_msr_field(vcpu, MSR_IA32_TSC, &found);
}

/* Only bits 18 (McStatusWrEn) and the ignored 3, 6 and 8, as KVM. */
static int keel_set_hwcr(struct keel_vcpu *vcpu, u64 val)
{
	val &= ~(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8));
	if (val && val != BIT_ULL(18))
		return -EINVAL;
	vcpu->arch.hwcr = val;
	return 0;
}

/*
 * Userspace may set any architectural bit (QEMU resets it to 0x1); the
 * guest cannot change BTS/PEBS unavailable, and its EMON writes are
 * ignored, as KVM.
 */
static int keel_set_misc_enable(struct keel_vcpu *vcpu, u64 val, bool host)
{
	u64 old = vcpu->arch.misc_enable;

	if (val & ~KEEL_MISC_ENABLE_VALID)
		return -EINVAL;
	if (!host) {
		if ((old ^ val) & KEEL_MISC_ENABLE_RO)
			return -EINVAL;
		val = (val & ~MSR_IA32_MISC_ENABLE_EMON) |
		      (old & MSR_IA32_MISC_ENABLE_EMON);
	}
	vcpu->arch.misc_enable = val;
	return 0;
}

int keel_x86_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *val, bool host)
{
	bool found = false;

	if (keel_x86_is_mtrr(index))
		return keel_msr_allowed(vcpu, KEEL_GF_MTRR, host) ?
		       keel_x86_get_mtrr(vcpu, index, val) : -EINVAL;
	if (keel_x86_is_mce(index))
		return keel_x86_get_mce(vcpu, index, val);
	if (keel_lapic_is_x2apic_msr(index))
		return keel_lapic_get_x2apic_msr(vcpu, index, val, host);
	switch (index) {
	case MSR_IA32_TSC_DEADLINE:
		/* Userspace may save it from any vCPU: 0 without an APIC. */
		if (!keel_msr_allowed(vcpu, KEEL_GF_TSC_DEADLINE, host) ||
		    (!host && !vcpu->arch.apic))
			return -EINVAL;
		*val = keel_lapic_get_tsc_deadline(vcpu);
		return 0;
	case KEEL_MSR_KVM_WALL_CLOCK:
	case KEEL_MSR_KVM_SYSTEM_TIME:
	case KEEL_MSR_KVM_WALL_CLOCK_NEW:
	case KEEL_MSR_KVM_SYSTEM_TIME_NEW:
		if (!keel_msr_allowed(vcpu, KEEL_GF_KVMCLOCK, host))
			return -EINVAL;
		return keel_kvmclock_get_msr(vcpu, index, val);
	case MSR_IA32_TSC_ADJUST:
		if (!keel_msr_allowed(vcpu, KEEL_GF_TSC_ADJUST, host))
			return -EINVAL;
		*val = vcpu->arch.tsc_adjust;
		return 0;
	case MSR_TSC_AUX:
		if (!keel_msr_allowed(vcpu, KEEL_GF_RDTSCP, host))
			return -EINVAL;
		*val = vcpu->arch.tsc_aux;
		return 0;
	case MSR_K7_HWCR:
		*val = vcpu->arch.hwcr;
		return 0;
	case MSR_EFER:
		*val = keel_x86->get_efer(vcpu);
		return 0;
	case MSR_IA32_UCODE_REV:
		*val = vcpu->arch.ucode_rev;
		return 0;
	case MSR_IA32_APICBASE:
		*val = vcpu->arch.apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*val = vcpu->arch.misc_enable;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		return keel_x86_get_spec_ctrl(vcpu, val, host);
	case MSR_AMD64_SYSCFG:
		/* Linux's MTRR code reads it on AMD; 0 as KVM, writes #GP. */
		*val = 0;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + keel_x86->get_msr_field(vcpu, index, &found);
		return 0;
	}
	*val = keel_x86->get_msr_field(vcpu, index, &found);
	return found ? 0 : -EINVAL;
}

static int keel_set_efer(struct keel_vcpu *vcpu, u64 val)
{
	u64 old = keel_x86->get_efer(vcpu);

	if (val & ~keel_x86_valid_efer())
		return -EINVAL;
	/* LMA is read-only; LME cannot change while paging is on. */
	val = (val & ~EFER_LMA) | (old & EFER_LMA);
	if (((val ^ old) & EFER_LME) &&
	    (keel_x86->get_cr(vcpu, 0) & X86_CR0_PG))
		return -EINVAL;
	keel_x86->set_efer(vcpu, val);
	return 0;
}

int keel_x86_set_msr(struct keel_vcpu *vcpu, u32 index, u64 val, bool host)
{
	u64 tsc;

	if (keel_x86_is_mtrr(index))
		return keel_msr_allowed(vcpu, KEEL_GF_MTRR, host) ?
		       keel_x86_set_mtrr(vcpu, index, val) : -EINVAL;
	if (keel_x86_is_mce(index))
		return keel_x86_set_mce(vcpu, index, val, host);
	if (keel_lapic_is_x2apic_msr(index))
		return keel_lapic_set_x2apic_msr(vcpu, index, val, host);
	switch (index) {
	case MSR_IA32_TSC_DEADLINE:
		if (!keel_msr_allowed(vcpu, KEEL_GF_TSC_DEADLINE, host) ||
		    (!vcpu->arch.apic && (!host || val)))
			return -EINVAL;
		keel_lapic_set_tsc_deadline(vcpu, val);
		return 0;
	case KEEL_MSR_KVM_WALL_CLOCK:
	case KEEL_MSR_KVM_SYSTEM_TIME:
	case KEEL_MSR_KVM_WALL_CLOCK_NEW:
	case KEEL_MSR_KVM_SYSTEM_TIME_NEW:
		if (!keel_msr_allowed(vcpu, KEEL_GF_KVMCLOCK, host))
			return -EINVAL;
		return keel_kvmclock_set_msr(vcpu, index, val);
	case MSR_IA32_TSC_ADJUST:
		if (!keel_msr_allowed(vcpu, KEEL_GF_TSC_ADJUST, host))
			return -EINVAL;
		/* The guest moves its TSC by the change; a restore does not. */
		if (!host) {
			keel_x86->set_msr_field(vcpu, MSR_IA32_TSC,
						keel_x86_tsc_offset(vcpu) + val -
						vcpu->arch.tsc_adjust);
			set_bit(KEEL_REQ_CLOCK_UPDATE, &vcpu->requests);
		}
		vcpu->arch.tsc_adjust = val;
		return 0;
	case MSR_TSC_AUX:
		if (!keel_msr_allowed(vcpu, KEEL_GF_RDTSCP, host))
			return -EINVAL;
		/* AMD CPUs ignore bits 63:32; userspace gets no truncation. */
		if (host && val >> 32)
			return -EINVAL;
		vcpu->arch.tsc_aux = (u32)val;
		return 0;
	case MSR_K7_HWCR:
		return keel_set_hwcr(vcpu, val);
	case MSR_EFER:
		return keel_set_efer(vcpu, val);
	case MSR_IA32_UCODE_REV:
		/* A guest write asks for an update: ignored, as on KVM. */
		if (host)
			vcpu->arch.ucode_rev = val;
		return 0;
	case MSR_IA32_APICBASE:
		if (vcpu->arch.apic)
			return keel_lapic_set_base(vcpu, val, host);
		if (keel_x86_check_apic_base(val))
			return -EINVAL;
		vcpu->arch.apic_base = val;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		return keel_set_misc_enable(vcpu, val, host);
	case MSR_IA32_SPEC_CTRL:
		return keel_x86_set_spec_ctrl(vcpu, val, host);
	case MSR_IA32_PRED_CMD:
		return keel_x86_set_pred_cmd(vcpu, val, host);
	case MSR_IA32_TSC:
		tsc = rdtsc();
		/* A guest's TSC write shows in TSC_ADJUST, as on hardware. */
		if (!host)
			vcpu->arch.tsc_adjust += val - (tsc + keel_x86_tsc_offset(vcpu));
		val -= tsc;
		/* The kvmclock area is in guest TSC terms. */
		set_bit(KEEL_REQ_CLOCK_UPDATE, &vcpu->requests);
		break;
	}
	return keel_x86->set_msr_field(vcpu, index, val) ? 0 : -EINVAL;
}

int keel_x86_handle_rdmsr(struct keel_vcpu *vcpu, u64 next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	u64 val;

	if (keel_x86_get_msr(vcpu, r[KEEL_REG_RCX], &val, false)) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
		return 1;
	}
	r[KEEL_REG_RAX] = (u32)val;
	r[KEEL_REG_RDX] = val >> 32;
	keel_x86_skip_to(vcpu, next_rip);
	return 1;
}

int keel_x86_handle_wrmsr(struct keel_vcpu *vcpu, u64 next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	u64 val = (u32)r[KEEL_REG_RAX] | ((u64)(u32)r[KEEL_REG_RDX] << 32);

	if (keel_x86_set_msr(vcpu, r[KEEL_REG_RCX], val, false)) {
		keel_x86_queue_exception(vcpu, KEEL_EXC_GP, true, 0);
		return 1;
	}
	keel_x86_skip_to(vcpu, next_rip);
	return 1;
}
