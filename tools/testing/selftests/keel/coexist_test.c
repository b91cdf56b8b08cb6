// SPDX-License-Identifier: GPL-2.0
/*
 * keel and the in-tree kvm_amd never share the CPU's virtualization
 * extension: whoever holds it first wins, the other gets -EBUSY, and
 * keel's dmesg line names the fix. Since 6.12 kvm_amd takes it when it
 * loads (unless kvm has enable_virt_at_load=0), so it cannot load while
 * keel holds it. keel-only (needs both modules).
 */
#include <fcntl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "keel_util.h"

static bool dmesg_has(const char *s)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "dmesg | grep -q '%s'", s);
	return system(cmd) == 0;
}

#define VIRT_AT_LOAD "/sys/module/kvm/parameters/enable_virt_at_load"

/* kvm enables virtualization when it loads (6.12+, the default there). */
static bool virt_at_load(void)
{
	return system("grep -q Y " VIRT_AT_LOAD " 2>/dev/null") == 0;
}

int main(void)
{
	int kvm, kvm_vm, sys, vm, r;

	if (kl_is_kvm()) {
		kl_skip("coexistence is tested from keel's side");
		return kl_finish();
	}
	KL_REQUIRE(system("modprobe kvm_amd") == 0, "modprobe kvm_amd");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	KL_REQUIRE(kvm >= 0, "open /dev/kvm");
	sys = kl_open_dev();

	/* kvm_amd enables SVM for its first VM (or at load, since 6.12). */
	kvm_vm = kl_ioctl(kvm, KVM_CREATE_VM, 0);
	KL_REQUIRE(kvm_vm >= 0, "KVM_CREATE_VM: %s", kl_errstr(kvm_vm));
	r = kl_ioctl(sys, KEEL_CREATE_VM, 0);
	kl_ok(r == -EBUSY, "keel CREATE_VM while kvm_amd owns SVM: %s", kl_errstr(r));
	kl_ok(dmesg_has("keel: virtualization is in use by another hypervisor"),
	      "dmesg says why and names the fix");
	close(kvm_vm);
	close(kvm);
	KL_REQUIRE(system("rmmod kvm_amd kvm") == 0, "rmmod kvm_amd kvm");

	vm = kl_ioctl(sys, KEEL_CREATE_VM, 0);
	kl_ok(vm >= 0, "keel CREATE_VM once kvm_amd is gone: %s", kl_errstr(vm));

	/*
	 * keel holds SVM: kvm_amd cannot have it. Since 6.12 kvm_amd takes
	 * it when it loads, which then fails, unless kvm is loaded with
	 * enable_virt_at_load=0; before, its first VM fails.
	 */
	if (system("modprobe kvm_amd") != 0) {
		kl_ok(virt_at_load(),
		      "kvm_amd cannot load: it enables SVM at load, keel owns it");
		system("rmmod kvm");
		KL_REQUIRE(system("modprobe kvm enable_virt_at_load=0") == 0 &&
			   system("modprobe kvm_amd") == 0,
			   "modprobe kvm_amd with enable_virt_at_load=0");
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	r = kvm >= 0 ? kl_ioctl(kvm, KVM_CREATE_VM, 0) : -errno;
	kl_ok(r == -EBUSY || r == -EIO, "KVM_CREATE_VM while keel owns SVM: %s",
	      kl_errstr(r));
	if (r >= 0)
		close(r);
	if (kvm >= 0)
		close(kvm);
	/* kvm_amd loaded, without a VM of its own: keel's VMs still work. */
	r = kl_ioctl(sys, KEEL_CREATE_VM, 0);
	kl_ok(r >= 0, "keel CREATE_VM beside an idle kvm_amd: %s", kl_errstr(r));
	if (r >= 0)
		close(r);
	system("rmmod kvm_amd kvm");
	close(vm);

	/* With no VM left keel let go of SVM: kvm_amd can have it. */
	KL_REQUIRE(system("modprobe kvm_amd") == 0, "modprobe kvm_amd a third time");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	r = kvm >= 0 ? kl_ioctl(kvm, KVM_CREATE_VM, 0) : -errno;
	kl_ok(r >= 0, "kvm_amd runs VMs after keel's last VM closed: %s", kl_errstr(r));
	if (r >= 0)
		close(r);
	close(kvm);
	system("rmmod kvm_amd kvm");
	close(sys);
	return kl_finish();
}
