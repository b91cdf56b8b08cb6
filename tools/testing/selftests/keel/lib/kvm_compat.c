// SPDX-License-Identifier: GPL-2.0
/*
 * keel selftests: what a VMM does on in-tree KVM that keel does not need
 * yet. On KVM a vCPU's CPUID is empty until userspace sets it, so in
 * differential runs every vCPU gets KVM's supported CPUID, as any VMM does.
 */
#include "keel_util.h"

void kl_vcpu_kvm_cpuid(struct kl_vcpu *vcpu)
{
	struct kl_cpuid cpuid;
	int r;

	kl_get_supported_cpuid(vcpu->vm, &cpuid);
	r = kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, &cpuid);
	KL_REQUIRE(!r, "KVM_SET_CPUID2: %s", kl_errstr(r));
}
