// SPDX-License-Identifier: GPL-2.0
/*
 * Guest and host see each other's writes through the slot mapping;
 * MADV_DONTNEED on guest memory under a running guest gives the guest
 * fresh zero pages (MMU notifiers and remote TLB flushes at work); and
 * munmap of a slot's memory under a running guest makes RUN fail with
 * -EFAULT instead of letting the guest keep the freed page.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define PAGE ((volatile u64 *)KL_GPA_SCRATCH)
#define MAGIC 0x6b65656c6b65656cULL

static void guest_memory(void)
{
	int i;

	/* 1: guest writes, host reads */
	for (i = 0; i < 512; i++)
		PAGE[i] = MAGIC ^ i;
	GUEST_SYNC(1);
	/* 2: host wrote; guest reads */
	GUEST_SYNC2(2, PAGE[7]);
	/* 3: spin until the page the guest sees stops holding MAGIC */
	while (PAGE[0] == MAGIC)
		asm volatile("" ::: "memory");
	GUEST_SYNC2(3, PAGE[0] | PAGE[1] | PAGE[511]);
	GUEST_DONE();
}

#define SLOT1_GPA 0x4000000ULL

static void guest_spin_on(u64 gpa)
{
	while (*(volatile u64 *)gpa == MAGIC)
		asm volatile("" ::: "memory");
	GUEST_SYNC(*(volatile u64 *)gpa);
}

static void on_sigusr1(int sig)
{
}

static struct kl_vcpu *vcpu;
static struct kl_ucall uc3;
static volatile int cmd3;

static void *run_thread(void *p)
{
	cmd3 = kl_run_ucall(vcpu, &uc3);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_memory, 1, &vcpu);
	u64 *host = kl_gpa_to_hva(vm, KL_GPA_SCRATCH);
	struct kl_ucall uc;
	pthread_t t;
	int i, bad = 0;

	sigaction(SIGUSR1, &sa, NULL);
	kl_run_ucall(vcpu, &uc);
	for (i = 0; i < 512; i++)
		bad += host[i] != (MAGIC ^ i);
	kl_ok(uc.args[0] == 1 && !bad, "host sees the guest's writes (%d wrong)", bad);

	host[7] = 0x1234abcd;
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 2 && uc.args[1] == 0x1234abcd,
	      "guest sees the host's write (0x%llx)", (unsigned long long)uc.args[1]);

	host[0] = MAGIC;
	host[1] = 1;
	host[511] = 2;
	pthread_create(&t, NULL, run_thread, NULL);
	usleep(200000);		/* let the guest spin on the mapped page */
	KL_REQUIRE(!madvise(host, 4096, MADV_DONTNEED), "madvise");
	for (i = 0; i < 300 && pthread_tryjoin_np(t, NULL); i++)
		usleep(100000);
	if (i == 300) {
		pthread_kill(t, SIGUSR1);
		pthread_join(t, NULL);
	}
	kl_ok(i < 300 && cmd3 == KL_UCALL_SYNC && uc3.args[0] == 3 && uc3.args[1] == 0,
	      "MADV_DONTNEED under the running guest: it sees a zero page (0x%llx)",
	      (unsigned long long)uc3.args[1]);
	host[5] = 77;
	kl_ok(host[0] == 0 && host[5] == 77, "the host still uses the page");

	{
		u64 *extra = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct kl_runner rn;
		int r;

		KL_REQUIRE(extra != MAP_FAILED, "mmap");
		extra[0] = MAGIC;
		r = kl_set_region(vm, 1, 0, SLOT1_GPA, 4096, extra);
		KL_REQUIRE(!r, "slot 1: %s", kl_errstr(r));
		kl_vcpu_setup_long_mode(vcpu, guest_spin_on, SLOT1_GPA, 0);
		kl_runner_start(&rn, vcpu);
		usleep(200000);
		KL_REQUIRE(!munmap(extra, 4096), "munmap");
		for (i = 0; i < 300 && pthread_tryjoin_np(rn.thread, NULL); i++)
			usleep(100000);
		if (i == 300)
			kl_runner_stop(&rn);
		kl_ok(i < 300 && rn.r == -EFAULT,
		      "munmap under the running guest: RUN fails with %s",
		      kl_errstr(rn.r));
	}
	kl_vm_free(vm);
	return kl_finish();
}
