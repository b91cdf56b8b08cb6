// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs run in two threads at once, sharing guest memory: both finish
 * and their atomic increments of one counter all land.
 */
#include <pthread.h>

#include "keel_util.h"
#include "ucall.h"

#define LOOPS 200000
#define COUNTER ((volatile u64 *)KL_GPA_SCRATCH)
#define ARRIVED ((volatile u64 *)(KL_GPA_SCRATCH + 64))

static void guest_count(u64 id)
{
	int i;

	/* Wait until both vCPUs run, so they really overlap. */
	asm volatile("lock incq (%0)" :: "r"(ARRIVED) : "memory");
	while (*ARRIVED < 2)
		asm volatile("pause");
	for (i = 0; i < LOOPS; i++)
		asm volatile("lock incq (%0)" :: "r"(COUNTER) : "memory");
	GUEST_SYNC(id);
	GUEST_DONE();
}

struct runner {
	struct kl_vcpu *vcpu;
	u64 id_seen;
	u64 last;
};

static void *run_thread(void *p)
{
	struct runner *rn = p;
	struct kl_ucall uc;

	kl_run_ucall(rn->vcpu, &uc);
	rn->id_seen = uc.args[0];
	rn->last = kl_run_ucall(rn->vcpu, &uc);
	return NULL;
}

int main(void)
{
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_count, 2, vcpus);
	struct runner rn[2];
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++) {
		kl_vcpu_setup_long_mode(vcpus[i], guest_count, i, 0);
		rn[i] = (struct runner){ .vcpu = vcpus[i] };
		pthread_create(&t[i], NULL, run_thread, &rn[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++)
		kl_ok(rn[i].id_seen == (u64)i && rn[i].last == KL_UCALL_DONE,
		      "vCPU %d ran to completion in its own thread", i);
	kl_ok(*(u64 *)kl_gpa_to_hva(vm, KL_GPA_SCRATCH) == 2 * LOOPS,
	      "all %d locked increments from both vCPUs landed (%llu)", 2 * LOOPS,
	      (unsigned long long)*(u64 *)kl_gpa_to_hva(vm, KL_GPA_SCRATCH));
	kl_vm_free(vm);
	return kl_finish();
}
