// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: the cost of a guest exit, on whatever $KEEL_DEV is, printed
 * as "bench: NAME IMPL NS-PER-EXIT". vmtest.sh --bench runs it on keel and
 * on kvm_amd in the same emulated host and prints the ratios. A benchmark,
 * not a test: it never passes or fails.
 *
 *   pio_roundtrip  OUT to a port, handled by this program (full round trip)
 *   cpuid_kernel   CPUID, handled in the kernel without leaving RUN
 */
#include <time.h>

#include "keel_util.h"
#include "ucall.h"

#define N_PIO	20000
#define N_CPUID	50000

static void guest_bench(void)
{
	u32 a, b, c, d;
	int i;

	for (i = 0; i < N_PIO; i++)
		asm volatile("outb %%al, $0x80" :: "a"(0));
	GUEST_SYNC(1);
	for (i = 0; i < N_CPUID; i++)
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	GUEST_SYNC(2);
	GUEST_DONE();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
	const char *impl = kl_is_kvm() ? "kvm" : "keel";
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_bench, 1, &vcpu);
	struct kl_ucall uc;
	double t0, t1;
	int i, r;

	/* Warm up: fault in the guest's code and stack. */
	r = kl_vcpu_run(vcpu);
	KL_REQUIRE(!r && vcpu->run->exit_reason == KEEL_EXIT_IO, "first exit");

	t0 = now_ns();
	for (i = 1; i < N_PIO; i++) {
		r = kl_vcpu_run(vcpu);
		KL_REQUIRE(!r && vcpu->run->io.port == 0x80, "pio exit %d", i);
	}
	t1 = now_ns();
	printf("bench: pio_roundtrip %s %.0f\n", impl, (t1 - t0) / (N_PIO - 1));

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 1, "sync 1");
	t0 = now_ns();
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 2, "sync 2");
	t1 = now_ns();
	printf("bench: cpuid_kernel %s %.0f\n", impl, (t1 - t0) / N_CPUID);
	kl_vm_free(vm);
	return 0;
}
