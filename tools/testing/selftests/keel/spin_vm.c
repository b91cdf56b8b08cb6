// SPDX-License-Identifier: GPL-2.0
/*
 * spin-vm: a VM whose only vCPU spins forever, kept in RUN until the
 * process is killed. vmtest.sh reboots the emulated host under it.
 */
#include <stdio.h>

#include "keel_util.h"

static void guest_spin(void)
{
	for (;;)
		asm volatile("" ::: "memory");
}

int main(void)
{
	struct kl_vcpu *vcpu;

	kl_vm_create_long(KL_MEM_DEFAULT, guest_spin, 1, &vcpu);
	printf("spin-vm: guest running\n");
	fflush(stdout);
	for (;;) {
		int r = kl_vcpu_run(vcpu);

		if (r && r != -EINTR) {
			printf("spin-vm: RUN returned %s\n", kl_errstr(r));
			return 1;
		}
	}
}
