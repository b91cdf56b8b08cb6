// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug while a VM exists: a vCPU keeps running when its CPU goes
 * offline, and runs on the CPU again once it is back (virtualization is
 * turned on for CPUs that come online).
 */
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static void guest_loop(void)
{
	u64 i;

	for (i = 0;; i++)
		GUEST_SYNC(i);
}

static bool set_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok;
}

static bool pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm;
	struct kl_ucall uc;

	if (access(CPU1_ONLINE, W_OK)) {
		kl_skip("CPU 1 cannot be taken offline here");
		return kl_finish();
	}
	vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_loop, 1, &vcpu);
	KL_REQUIRE(pin(1), "pin to CPU 1");
	kl_run_ucall(vcpu, &uc);
	kl_ok(sched_getcpu() == 1, "the vCPU ran on CPU 1");

	KL_REQUIRE(pin(0), "pin to CPU 0");
	KL_REQUIRE(set_online(0), "take CPU 1 offline");
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC,
	      "the vCPU runs on CPU 0 while CPU 1 is offline");

	KL_REQUIRE(set_online(1), "bring CPU 1 back");
	KL_REQUIRE(pin(1), "pin to CPU 1 again");
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && sched_getcpu() == 1,
	      "the vCPU runs on CPU 1 after it came back online");
	kl_vm_free(vm);

	/* With no VM, hotplug must leave the CPU alone (and not fail). */
	kl_ok(set_online(0) && set_online(1), "CPU 1 cycles offline/online without a VM");
	return kl_finish();
}
