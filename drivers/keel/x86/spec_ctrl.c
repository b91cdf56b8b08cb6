// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the speculation controls, IA32_SPEC_CTRL and IA32_PRED_CMD,
 * where the host has them (AMD's CPUID 0x80000008 EBX bits, as KVM's SVM).
 *
 * SPEC_CTRL stays intercepted. The guest runs with the host's bits and
 * its own: the host never has fewer mitigations than it chose, not even
 * between #VMEXIT and the restore, which is then plain C. The guest reads
 * back only what it wrote. The host's value is read at each entry with a
 * non-zero guest value, since Linux changes it per task (SSBD by prctl).
 * An IBPB the guest asks for is done on the host CPU.
 */
#include <asm/cpufeature.h>
#include <asm/msr-index.h>

#include <keel/compat.h>
#include <keel/core.h>

/* CPUID 0x80000008 EBX */
#define E8_EBX_IBPB	BIT(12)
#define E8_EBX_IBRS	BIT(14)
#define E8_EBX_STIBP	BIT(15)
#define E8_EBX_SSBD	BIT(24)

/* SPEC_CTRL bits the host CPU takes: none when it has no SPEC_CTRL. */
static u64 keel_spec_ctrl_host_bits(void)
{
	u64 bits = 0;

	if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		return 0;
	if (boot_cpu_has(X86_FEATURE_AMD_IBRS))
		bits |= SPEC_CTRL_IBRS;
	if (boot_cpu_has(X86_FEATURE_AMD_STIBP))
		bits |= SPEC_CTRL_STIBP;
	if (boot_cpu_has(X86_FEATURE_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return bits;
}

static bool keel_pred_cmd_host(void)
{
	return boot_cpu_has(X86_FEATURE_AMD_IBPB);
}

bool keel_x86_spec_ctrl_supported(void)
{
	return keel_spec_ctrl_host_bits();
}

/* The 0x80000008 EBX bits keel offers: the host's, for the MSRs above. */
u32 keel_x86_spec_ctrl_cpuid(void)
{
	u64 bits = keel_spec_ctrl_host_bits();

	return (keel_pred_cmd_host() ? E8_EBX_IBPB : 0) |
	       (bits & SPEC_CTRL_IBRS ? E8_EBX_IBRS : 0) |
	       (bits & SPEC_CTRL_STIBP ? E8_EBX_STIBP : 0) |
	       (bits & SPEC_CTRL_SSBD ? E8_EBX_SSBD : 0);
}

/*
 * What the guest may use (KEEL_GF_*): its CPUID 0x80000008 EBX bits that
 * the host has too (as KVM since 6.x; a bit the host lacks is #GP).
 */
u32 keel_x86_spec_ctrl_features(u32 e8_ebx)
{
	u32 f = 0;

	e8_ebx &= keel_x86_spec_ctrl_cpuid();
	if (e8_ebx & E8_EBX_IBPB)
		f |= KEEL_GF_IBPB;
	if (e8_ebx & E8_EBX_IBRS)
		f |= KEEL_GF_IBRS;
	if (e8_ebx & E8_EBX_STIBP)
		f |= KEEL_GF_STIBP;
	if (e8_ebx & E8_EBX_SSBD)
		f |= KEEL_GF_SSBD;
	return f;
}

/* The bits a value may hold: the host's, and for the guest its own. */
static u64 keel_spec_ctrl_valid(struct keel_vcpu *vcpu, bool host)
{
	u32 f = vcpu->arch.guest_feat;

	if (host)
		return keel_spec_ctrl_host_bits();
	return (f & KEEL_GF_IBRS ? SPEC_CTRL_IBRS : 0) |
	       (f & KEEL_GF_STIBP ? SPEC_CTRL_STIBP : 0) |
	       (f & KEEL_GF_SSBD ? SPEC_CTRL_SSBD : 0);
}

static bool keel_spec_ctrl_guest_has(struct keel_vcpu *vcpu)
{
	return vcpu->arch.guest_feat &
	       (KEEL_GF_IBRS | KEEL_GF_STIBP | KEEL_GF_SSBD);
}

/* As KVM: userspace reads the value on any host, the guest per CPUID. */
int keel_x86_get_spec_ctrl(struct keel_vcpu *vcpu, u64 *val, bool host)
{
	if (!host && !keel_spec_ctrl_guest_has(vcpu))
		return -EINVAL;
	*val = vcpu->arch.spec_ctrl;
	return 0;
}

/* A host without SPEC_CTRL takes no value, not even 0 (as KVM). */
int keel_x86_set_spec_ctrl(struct keel_vcpu *vcpu, u64 val, bool host)
{
	if (!keel_spec_ctrl_host_bits() ||
	    (!host && !keel_spec_ctrl_guest_has(vcpu)) ||
	    (val & ~keel_spec_ctrl_valid(vcpu, host)))
		return -EINVAL;
	vcpu->arch.spec_ctrl = val;
	return 0;
}

/* PRED_CMD is write-only: IBPB now, on this CPU. */
int keel_x86_set_pred_cmd(struct keel_vcpu *vcpu, u64 val, bool host)
{
	if (!keel_pred_cmd_host() ||
	    (!host && !(vcpu->arch.guest_feat & KEEL_GF_IBPB)) ||
	    (val & ~PRED_CMD_IBPB))
		return -EINVAL;
	if (val)
		keel_host_wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
	return 0;
}

/*
 * With GIF clear before VMRUN: adds the guest's bits to the CPU's value.
 * Returns whether it did; @host_val is then what keel_x86_spec_ctrl_exit()
 * puts back.
 */
bool keel_x86_spec_ctrl_enter(struct keel_vcpu *vcpu, u64 *host_val)
{
	u64 guest = vcpu->arch.spec_ctrl;

	if (!guest)
		return false;
	keel_host_rdmsr(MSR_IA32_SPEC_CTRL, *host_val);
	if (!(guest & ~*host_val))
		return false;
	keel_host_wrmsr(MSR_IA32_SPEC_CTRL, *host_val | guest);
	return true;
}

void keel_x86_spec_ctrl_exit(u64 host_val)
{
	keel_host_wrmsr(MSR_IA32_SPEC_CTRL, host_val);
}
