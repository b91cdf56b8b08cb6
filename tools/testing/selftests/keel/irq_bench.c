// SPDX-License-Identifier: GPL-2.0
/*
 * irq_bench: interrupt delivery costs through the in-kernel local APIC
 * (split irqchip), on whatever $KEEL_DEV is, printed as
 * "bench: NAME IMPL NS". vmtest.sh --bench runs it on keel and kvm_amd in
 * one boot and prints the ratios. A benchmark, not a test.
 *
 *   ipi_roundtrip  vCPU 0 sends an IPI to vCPU 1, which answers; vCPU 0
 *                  halts (a wake-up), vCPU 1 spins (a kick out of the
 *                  guest). With both halting, kvm_amd in QEMU's emulated
 *                  SVM loses an IPI within about a thousand rounds.
 *   timer_irq_spin a 20 us one-shot APIC timer armed, delivered to a
 *                  vCPU spinning in the guest with interrupts on and
 *                  EOIed, back to back: the time beyond the 20 us
 *   timer_irq      the same to a halted vCPU (a wake-up); kvm_amd under
 *                  TCG loses one of these and never finishes (1-tick
 *                  timers hang it at once), so it runs last
 */
#include <pthread.h>
#include <unistd.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define V_PING		0x50
#define V_TIMER		0x40
#define N_IPI		200	/* kvm_amd under TCG loses IPIs in longer runs */
#define N_TIMER		1000
#define TIMER_NS	20000	/* one-shot length */

static volatile u64 got[2];
static volatile u64 arrived;

static KL_NO_VECTOR void count_hook(u64 vector)
{
	got[vector == V_PING ? apic_read(R_ID) >> 24 : 0]++;
	apic_write(R_EOI, 0);
}

static void guest_ipi(u64 id, u64 khz)
{
	u64 i, t0;

	kl_irq_hook = count_hook;
	apic_write(R_SPIV, 0x1ff);
	asm volatile("lock incq %0" : "+m"(arrived));
	while (arrived < 2)
		asm volatile("pause");
	t0 = rdtsc();
	for (i = 1; i <= N_IPI; i++) {
		if (id == 0) {
			apic_send_ipi(1, V_PING);
			while (got[id] < i)
				asm volatile("sti; hlt; cli" ::: "memory");
		} else {
			asm volatile("sti");
			while (got[id] < i)
				asm volatile("pause" ::: "memory");
			asm volatile("cli");
			apic_send_ipi(0, V_PING);
		}
	}
	GUEST_SYNC2(id, (rdtsc() - t0) * 1000000 / khz / N_IPI);
	GUEST_DONE();
}

static void guest_timer(u64 khz, u64 spin)
{
	u64 i, t0;

	kl_irq_hook = count_hook;
	apic_write(R_SPIV, 0x1ff);
	apic_write(R_TDCR, 0xb);
	apic_write(R_LVTT, V_TIMER);
	t0 = rdtsc();
	for (i = 1; i <= N_TIMER; i++) {
		apic_write(R_TMICT, TIMER_NS);
		if (spin) {
			asm volatile("sti");
			while (got[0] < i)
				asm volatile("pause" ::: "memory");
			asm volatile("cli");
		}
		while (got[0] < i)
			asm volatile("sti; hlt; cli" ::: "memory");
	}
	GUEST_SYNC2(0, (rdtsc() - t0) * 1000000 / khz / N_TIMER - TIMER_NS);
	GUEST_DONE();
}

static struct kl_vm *split_vm(int nr, struct kl_vcpu **vcpus)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct keel_mp_state run = { KEEL_MP_STATE_RUNNABLE };
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	int r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap), i;

	KL_REQUIRE(!r, "SPLIT_IRQCHIP: %s", kl_errstr(r));
	kl_vm_setup_long_mode(vm);
	for (i = 0; i < nr; i++) {
		vcpus[i] = kl_vcpu_add(vm, i);
		r = kl_ioctlp(vcpus[i]->fd, KEEL_SET_MP_STATE, &run);
		KL_REQUIRE(!r, "SET_MP_STATE: %s", kl_errstr(r));
	}
	return vm;
}

struct player {
	struct kl_vcpu *vcpu;
	u64 ns;
};

static void *play(void *p)
{
	struct player *pl = p;
	struct kl_ucall uc;

	KL_REQUIRE(kl_run_ucall(pl->vcpu, &uc) == KL_UCALL_SYNC, "sync");
	pl->ns = uc.args[1];
	KL_REQUIRE(kl_run_ucall(pl->vcpu, &uc) == KL_UCALL_DONE, "done");
	return NULL;
}

int main(void)
{
	const char *impl = kl_is_kvm() ? "kvm" : "keel";
	struct player pl[2];
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = split_vm(2, vcpus);
	long khz = kl_ioctl(vcpus[0]->fd, KEEL_GET_TSC_KHZ, 0);
	pthread_t t[2];
	int i;

	KL_REQUIRE(khz > 0, "GET_TSC_KHZ: %s", kl_errstr(khz));
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A lost interrupt hangs a guest: give up instead of the boot. */
	alarm(120);
	for (i = 0; i < 2; i++) {
		kl_vcpu_setup_long_mode(vcpus[i], guest_ipi, i, khz);
		pl[i].vcpu = vcpus[i];
		pthread_create(&t[i], NULL, play, &pl[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("bench: ipi_roundtrip %s %llu\n", impl,
	       (unsigned long long)pl[0].ns);
	kl_vm_free(vm);

	for (i = 1; i >= 0; i--) {
		vm = split_vm(1, vcpus);
		kl_vcpu_setup_long_mode(vcpus[0], guest_timer, khz, i);
		pl[0].vcpu = vcpus[0];
		play(&pl[0]);
		printf("bench: timer_irq%s %s %llu\n", i ? "_spin" : "", impl,
		       (unsigned long long)pl[0].ns);
		kl_vm_free(vm);
	}
	return 0;
}
