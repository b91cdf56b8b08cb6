// SPDX-License-Identifier: GPL-2.0
/*
 * "sti; hlt" waits for an interrupt, and the one that comes wakes it:
 * a guest arms a 20 us one-shot APIC timer and halts, 3000 times back
 * to back (after a warm-up VM that spins instead). The interrupt must
 * return past the HLT. QEMU's emulated SVM opens the interrupt window
 * inside the STI shadow, before the HLT; an interrupt injected there
 * returns to the HLT, which then halts with nothing left to wake it.
 * keel runs the HLT first, as hardware does. A watchdog fails the test
 * instead of hanging, with the vCPU's state.
 */
#include <unistd.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define V_TIMER		0x40
#define ROUNDS		3000

static volatile u64 got;

static KL_NO_VECTOR void hook(u64 v)
{
	got++;
	apic_write(R_EOI, 0);
}

static void guest(u64 spin)
{
	u64 i;

	kl_irq_hook = hook;
	apic_write(R_SPIV, 0x1ff);
	apic_write(R_TDCR, 0xb);
	apic_write(R_LVTT, V_TIMER);
	for (i = 1; i <= ROUNDS; i++) {
		apic_write(R_TMICT, 20000);
		if (spin) {
			asm volatile("sti");
			while (got < i)
				asm volatile("pause" ::: "memory");
			asm volatile("cli");
		}
		while (got < i)
			asm volatile("sti; hlt; cli" ::: "memory");
	}
	GUEST_DONE();
}

/* Run ROUNDS timer interrupts; false if they stop coming for 2 s. */
static bool rounds(bool spin)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct keel_mp_state mp = { 0 };
	struct keel_regs regs;
	struct kl_vcpu *vcpu;
	struct kl_runner rn;
	volatile u64 *g;
	u64 last = 0;
	int idle = 0;

	kl_vm_enable_split_irqchip(vm);
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest, spin, 0);
	g = kl_gpa_to_hva(vm, (u64)&got);
	kl_runner_start(&rn, vcpu);
	while (*g < ROUNDS && idle < 10) {
		usleep(200000);
		idle = *g == last ? idle + 1 : 0;
		last = *g;
	}
	kl_runner_stop(&rn);
	if (*g < ROUNDS) {
		kl_ioctlp(vcpu->fd, KEEL_GET_MP_STATE, &mp);
		kl_get_regs(vcpu, &regs);
		kl_diag("stuck after %llu interrupts: mp_state %u, rip %#llx",
			(unsigned long long)*g, mp.mp_state,
			(unsigned long long)regs.rip);
	}
	last = *g;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return last == ROUNDS;
}

int main(void)
{
	if (kl_is_kvm() && kl_host_is_qemu_tcg()) {
		kl_skip("kvm_amd under QEMU TCG halts past the interrupt it waits for");
		return kl_finish();
	}
	kl_ok(rounds(true), "%d one-shot timer interrupts to a spinning guest",
	      ROUNDS);
	kl_ok(rounds(false), "%d one-shot timer interrupts each wake sti; hlt",
	      ROUNDS);
	return kl_finish();
}
