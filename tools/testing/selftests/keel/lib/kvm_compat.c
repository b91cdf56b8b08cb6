// SPDX-License-Identifier: GPL-2.0
/*
 * keel selftests: what a VMM does on in-tree KVM that keel does not need
 * yet. On KVM a vCPU's CPUID is empty until userspace sets it, so in
 * differential runs every vCPU gets KVM's supported CPUID, as any VMM does.
 */
#include <linux/kvm.h>

#include "keel_util.h"

void kl_vcpu_kvm_cpuid(struct kl_vcpu *vcpu)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[128];
	} cpuid = { .c.nent = 128 };
	int r;

	r = kl_ioctlp(vcpu->vm->sys_fd, KVM_GET_SUPPORTED_CPUID, &cpuid);
	KL_REQUIRE(!r, "KVM_GET_SUPPORTED_CPUID: %s", kl_errstr(r));
	r = kl_ioctlp(vcpu->fd, KVM_SET_CPUID2, &cpuid);
	KL_REQUIRE(!r, "KVM_SET_CPUID2: %s", kl_errstr(r));
}
