// SPDX-License-Identifier: GPL-2.0
/*
 * keel: CHECK_EXTENSION. Every ABI addition answers here, never through a
 * version number. Unknown capabilities answer 0, as in KVM.
 */
#include <linux/cpumask.h>

#include <keel/core.h>

long keel_check_extension(struct keel_vm *vm, unsigned long ext)
{
	switch (ext) {
	case KEEL_CAP_USER_MEMORY:
	case KEEL_CAP_SYNC_MMU:
	case KEEL_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KEEL_CAP_READONLY_MEM:
	case KEEL_CAP_IMMEDIATE_EXIT:
		return 1;
	case KEEL_CAP_NR_VCPUS:
		return min_t(long, num_online_cpus(), KEEL_MAX_VCPUS);
	case KEEL_CAP_MAX_VCPUS:
		return KEEL_MAX_VCPUS;
	case KEEL_CAP_MAX_VCPU_ID:
		return KEEL_MAX_VCPU_IDS;
	case KEEL_CAP_NR_MEMSLOTS:
		return KEEL_USER_MEM_SLOTS;
	default:
		return keel_arch_check_extension(vm, ext);
	}
}
