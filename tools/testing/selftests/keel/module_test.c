// SPDX-License-Identifier: GPL-2.0
/*
 * The module: any open keel fd pins it, rmmod after the last fd closes
 * works, and devname= renames the device. keel-only; reloads keel.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keel_util.h"

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

int main(void)
{
	int sys, vm, vcpu, fd;

	if (kl_is_kvm()) {
		kl_skip("module handling is keel's own");
		return kl_finish();
	}
	sys = kl_open_dev();
	kl_ok(system("rmmod keel 2>/dev/null") != 0, "an open /dev/keel pins the module");
	vm = kl_ioctl(sys, KEEL_CREATE_VM, 0);
	vcpu = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	KL_REQUIRE(vm >= 0 && vcpu >= 0, "VM and vCPU");
	close(sys);
	kl_ok(system("rmmod keel 2>/dev/null") != 0, "an open VM fd pins the module");
	close(vm);
	kl_ok(system("rmmod keel 2>/dev/null") != 0, "an open vCPU fd pins the module");
	close(vcpu);
	kl_ok(system("rmmod keel") == 0, "rmmod once the last fd is closed");

	kl_ok(system("modprobe keel devname=keel-renamed") == 0 &&
	      exists("/dev/keel-renamed") && !exists("/dev/keel"),
	      "devname= renames the device node");
	fd = open("/dev/keel-renamed", O_RDWR);
	kl_ok(fd >= 0 && kl_ioctl(fd, KEEL_GET_API_VERSION, 0) == 12,
	      "the renamed device answers");
	if (fd >= 0)
		close(fd);
	kl_ok(system("rmmod keel") == 0 && system("modprobe keel") == 0 &&
	      exists("/dev/keel"), "reloaded under the default name");
	return kl_finish();
}
