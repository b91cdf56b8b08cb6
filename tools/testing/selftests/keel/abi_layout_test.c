// SPDX-License-Identifier: GPL-2.0
/*
 * keel's uapi structs and ioctl numbers for the KVM-shared subset are
 * byte-identical to the system's <linux/kvm.h>. Checked at build time
 * (the test does not compile otherwise) and reported at run time.
 */
#include <stddef.h>
#include <linux/kvm.h>

#include "keel_util.h"

#define SAME_SIZE(k, K) _Static_assert(sizeof(struct k) == sizeof(struct K), #k)
#define SAME_OFF(k, K, f) \
	_Static_assert(offsetof(struct k, f) == offsetof(struct K, f), #k "." #f)
#define SAME(a, b) _Static_assert((a) == (b), #a)

SAME_SIZE(keel_run, kvm_run);
SAME_OFF(keel_run, kvm_run, immediate_exit);
SAME_OFF(keel_run, kvm_run, exit_reason);
SAME_OFF(keel_run, kvm_run, flags);
SAME_OFF(keel_run, kvm_run, cr8);
SAME_OFF(keel_run, kvm_run, apic_base);
SAME_OFF(keel_run, kvm_run, hw);
SAME_OFF(keel_run, kvm_run, io.port);
SAME_OFF(keel_run, kvm_run, io.count);
SAME_OFF(keel_run, kvm_run, io.data_offset);
SAME_OFF(keel_run, kvm_run, mmio.phys_addr);
SAME_OFF(keel_run, kvm_run, mmio.data);
SAME_OFF(keel_run, kvm_run, mmio.len);
SAME_OFF(keel_run, kvm_run, mmio.is_write);
SAME_OFF(keel_run, kvm_run, fail_entry.cpu);
SAME_OFF(keel_run, kvm_run, internal.ndata);
SAME_OFF(keel_run, kvm_run, internal.data);
SAME_OFF(keel_run, kvm_run, kvm_valid_regs);
SAME_OFF(keel_run, kvm_run, kvm_dirty_regs);
SAME_OFF(keel_run, kvm_run, s);
SAME_SIZE(keel_regs, kvm_regs);
SAME_OFF(keel_regs, kvm_regs, rip);
SAME_OFF(keel_regs, kvm_regs, rflags);
SAME_SIZE(keel_segment, kvm_segment);
SAME_OFF(keel_segment, kvm_segment, unusable);
SAME_SIZE(keel_dtable, kvm_dtable);
SAME_SIZE(keel_sregs, kvm_sregs);
SAME_OFF(keel_sregs, kvm_sregs, gdt);
SAME_OFF(keel_sregs, kvm_sregs, cr0);
SAME_OFF(keel_sregs, kvm_sregs, efer);
SAME_OFF(keel_sregs, kvm_sregs, interrupt_bitmap);
SAME_SIZE(keel_userspace_memory_region, kvm_userspace_memory_region);
SAME_OFF(keel_userspace_memory_region, kvm_userspace_memory_region, userspace_addr);

SAME(KEEL_GET_API_VERSION, KVM_GET_API_VERSION);
SAME(KEEL_CREATE_VM, KVM_CREATE_VM);
SAME(KEEL_CHECK_EXTENSION, KVM_CHECK_EXTENSION);
SAME(KEEL_GET_VCPU_MMAP_SIZE, KVM_GET_VCPU_MMAP_SIZE);
SAME(KEEL_CREATE_VCPU, KVM_CREATE_VCPU);
SAME(KEEL_SET_USER_MEMORY_REGION, KVM_SET_USER_MEMORY_REGION);
SAME(KEEL_RUN, KVM_RUN);
SAME(KEEL_GET_REGS, KVM_GET_REGS);
SAME(KEEL_SET_REGS, KVM_SET_REGS);
SAME(KEEL_GET_SREGS, KVM_GET_SREGS);
SAME(KEEL_SET_SREGS, KVM_SET_SREGS);
SAME(KEEL_CAP_USER_MEMORY, KVM_CAP_USER_MEMORY);
SAME(KEEL_CAP_NR_VCPUS, KVM_CAP_NR_VCPUS);
SAME(KEEL_CAP_NR_MEMSLOTS, KVM_CAP_NR_MEMSLOTS);
SAME(KEEL_CAP_SYNC_MMU, KVM_CAP_SYNC_MMU);
SAME(KEEL_CAP_JOIN_MEMORY_REGIONS_WORKS, KVM_CAP_JOIN_MEMORY_REGIONS_WORKS);
SAME(KEEL_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPUS);
SAME(KEEL_CAP_READONLY_MEM, KVM_CAP_READONLY_MEM);
SAME(KEEL_CAP_MAX_VCPU_ID, KVM_CAP_MAX_VCPU_ID);
SAME(KEEL_CAP_IMMEDIATE_EXIT, KVM_CAP_IMMEDIATE_EXIT);
SAME(KEEL_EXIT_IO, KVM_EXIT_IO);
SAME(KEEL_EXIT_HLT, KVM_EXIT_HLT);
SAME(KEEL_EXIT_MMIO, KVM_EXIT_MMIO);
SAME(KEEL_EXIT_SHUTDOWN, KVM_EXIT_SHUTDOWN);
SAME(KEEL_EXIT_FAIL_ENTRY, KVM_EXIT_FAIL_ENTRY);
SAME(KEEL_EXIT_INTR, KVM_EXIT_INTR);
SAME(KEEL_EXIT_INTERNAL_ERROR, KVM_EXIT_INTERNAL_ERROR);
SAME(KEEL_MEM_LOG_DIRTY_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
SAME(KEEL_MEM_READONLY, KVM_MEM_READONLY);
SAME(KEEL_PIO_PAGE_OFFSET, KVM_PIO_PAGE_OFFSET);

int main(void)
{
	kl_ok(sizeof(struct keel_run) == sizeof(struct kvm_run),
	      "struct keel_run is struct kvm_run (%zu bytes)", sizeof(struct keel_run));
	kl_ok(sizeof(struct keel_sregs) == 312 && sizeof(struct keel_regs) == 144 &&
	      sizeof(struct keel_userspace_memory_region) == 32,
	      "shared structs have KVM's sizes and offsets (checked at build time)");
	kl_ok(KEEL_CAP_PRIVATE_BASE > 0x10000,
	      "keel-only capabilities start far above KVM's numbers");
	return kl_finish();
}
