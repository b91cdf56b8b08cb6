// SPDX-License-Identifier: GPL-2.0
/*
 * System fd: API version, capabilities (system and VM fd), mmap size,
 * CREATE_VM types and unknown ioctls.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "keel_util.h"

static void check_caps(int fd, const char *which)
{
	int nr = kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_NR_VCPUS);
	int max = kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPUS);
	int max_id = kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPU_ID);
	int slots = kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_NR_MEMSLOTS);

	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_USER_MEMORY) == 1,
	      "%s: CAP_USER_MEMORY is 1", which);
	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_IMMEDIATE_EXIT) == 1,
	      "%s: CAP_IMMEDIATE_EXIT is 1", which);
	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_SYNC_MMU) == 1,
	      "%s: CAP_SYNC_MMU is 1", which);
	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_READONLY_MEM) == 1,
	      "%s: CAP_READONLY_MEM is 1", which);
	kl_ok(nr >= 1 && max >= nr, "%s: 1 <= NR_VCPUS (%d) <= MAX_VCPUS (%d)",
	      which, nr, max);
	kl_ok(max_id >= max, "%s: MAX_VCPU_ID (%d) >= MAX_VCPUS (%d)", which,
	      max_id, max);
	kl_ok(slots >= 32, "%s: NR_MEMSLOTS (%d) >= 32", which, slots);
	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, 0x7fffffff) == 0,
	      "%s: an unknown capability reads 0", which);
	kl_ok(kl_ioctl(fd, KEEL_CHECK_EXTENSION, KEEL_CAP_PRIVATE_BASE + 0xffff) == 0,
	      "%s: an unallocated keel capability reads 0", which);
}

int main(void)
{
	int sys = kl_open_dev(), vm, r;

	kl_ok(kl_ioctl(sys, KEEL_GET_API_VERSION, 0) == 12, "API version is 12");
	r = kl_ioctl(sys, KEEL_GET_API_VERSION, 1);
	kl_ok(r == -EINVAL, "GET_API_VERSION with an argument: %s", kl_errstr(r));

	check_caps(sys, "system fd");

	r = kl_ioctl(sys, KEEL_GET_VCPU_MMAP_SIZE, 0);
	kl_ok(r >= 2 * 4096 && r % 4096 == 0,
	      "VCPU_MMAP_SIZE (%d) holds the run page and the PIO page", r);

	r = kl_ioctl(sys, KEEL_CREATE_VM, 0xff);
	kl_ok(r == -EINVAL, "CREATE_VM type 0xff: %s", kl_errstr(r));
	r = kl_ioctl(sys, KEEL_CREATE_VM, 1UL << 40);
	kl_ok(r == -EINVAL, "CREATE_VM with a type above 32 bits: %s", kl_errstr(r));

	vm = kl_ioctl(sys, KEEL_CREATE_VM, 0);
	kl_ok(vm >= 0, "CREATE_VM type 0: %s", kl_errstr(vm));
	if (vm >= 0) {
		check_caps(vm, "VM fd");
		close(vm);
	}

	if (kl_is_kvm()) {
		kl_skip("unknown system ioctl: keel answers -ENOTTY, KVM -EINVAL");
	} else {
		r = kl_ioctl(sys, _IO(KEELIO, 0x7f), 0);
		kl_ok(r == -ENOTTY, "unknown system ioctl: %s", kl_errstr(r));
	}
	r = kl_ioctl(sys, _IO('x', 0x01), 0);
	kl_ok(r == -ENOTTY || r == -EINVAL, "foreign ioctl rejected: %s",
	      kl_errstr(r));
	close(sys);
	return kl_finish();
}
