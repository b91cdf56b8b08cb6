// SPDX-License-Identifier: GPL-2.0
/*
 * RUN returns on a pending signal (-EINTR, exit INTR) and honours
 * immediate_exit; a guest spinning forever stays interruptible, and a
 * host thread sharing its CPU keeps running.
 */
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

static void guest_spin(void)
{
	GUEST_SYNC(1);
	for (;;)
		asm volatile("" ::: "memory");
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_spin, 1, &vcpu);
	struct kl_runner rn;
	struct kl_ucall uc;
	time_t t0;
	int r, i;

	vcpu->run->immediate_exit = 1;
	r = kl_vcpu_run(vcpu);
	kl_ok(r == -EINTR, "immediate_exit: RUN returns %s", kl_errstr(r));
	vcpu->run->immediate_exit = 0;
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "RUN enters again after immediate_exit");

	/* The ucall completes on this RUN even with immediate_exit set. */
	vcpu->run->immediate_exit = 1;
	r = kl_vcpu_run(vcpu);
	kl_ok(r == -EINTR, "immediate_exit with a completion pending: %s", kl_errstr(r));
	vcpu->run->immediate_exit = 0;

	pin_to_cpu0();
	kl_runner_start(&rn, vcpu);
	/*
	 * Share CPU 0 with the spinning guest: this thread must still run.
	 * 50 naps of 2 ms; a minute is a liveness bound, not a timing.
	 */
	t0 = time(NULL);
	for (i = 0; i < 50; i++)
		usleep(2000);
	kl_ok(time(NULL) - t0 < 60,
	      "a host thread on the spinning guest's CPU keeps running (%lds for 50 naps)",
	      (long)(time(NULL) - t0));
	KL_REQUIRE(kl_runner_stop(&rn), "the vCPU thread does not stop");
	kl_ok(rn.r == -EINTR && vcpu->run->exit_reason == KEEL_EXIT_INTR,
	      "a signal stops a spinning guest: %s, exit %s", kl_errstr(rn.r),
	      kl_exit_name(vcpu->run->exit_reason));

	kl_runner_start(&rn, vcpu);
	KL_REQUIRE(kl_runner_stop(&rn), "the vCPU thread does not stop");
	kl_ok(rn.r == -EINTR, "and again after re-entering: %s", kl_errstr(rn.r));
	kl_vm_free(vm);
	return kl_finish();
}
