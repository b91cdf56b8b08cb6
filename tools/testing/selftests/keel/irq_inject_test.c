// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts from a userspace interrupt controller: KEEL_INTERRUPT queues
 * a vector the guest takes on the next entry; if_flag and
 * ready_for_interrupt_injection report whether it could; with
 * request_interrupt_window RUN returns KEEL_EXIT_IRQ_WINDOW_OPEN as soon
 * as the guest can take one; a halted guest wakes on one; run->cr8 is the
 * TPR going in. Bad input is refused and queues nothing.
 */
#include <errno.h>

#include "keel_util.h"
#include "ucall.h"

static void guest_irqs(void)
{
	int i;

	asm volatile("sti");
	GUEST_SYNC(1);			/* IF=1: ready */
	GUEST_SYNC2(kl_irq_count, kl_irq_last);
	asm volatile("cli");
	GUEST_SYNC(2);			/* IF=0: not ready */
	for (i = 0; i < 1000; i++)
		asm volatile("" ::: "memory");
	asm volatile("sti; nop");	/* the window opens here */
	GUEST_SYNC2(kl_irq_count, kl_irq_last);
	asm volatile("hlt");		/* woken by an interrupt */
	GUEST_SYNC2(kl_irq_count, kl_irq_last);
	GUEST_DONE();
}

static int interrupt(struct kl_vcpu *vcpu, u32 irq)
{
	struct keel_interrupt i = { .irq = irq };

	return kl_ioctlp(vcpu->fd, KEEL_INTERRUPT, &i);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_irqs, 1,
					     &vcpu);
	struct keel_run *run = vcpu->run;
	struct keel_sregs s;
	struct kl_ucall uc;
	int r;

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 1,
		   "first sync");
	kl_ok(run->if_flag == 1 && run->ready_for_interrupt_injection == 1,
	      "IF set: if_flag %u, ready_for_interrupt_injection %u",
	      run->if_flag, run->ready_for_interrupt_injection);

	r = interrupt(vcpu, 256);
	kl_ok(r == -EINVAL, "KEEL_INTERRUPT with vector 256: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_INTERRUPT, 8);
	kl_ok(r == -EFAULT, "KEEL_INTERRUPT with a bad pointer: %s",
	      kl_errstr(r));
	r = interrupt(vcpu, 0x40);
	kl_ok(!r, "KEEL_INTERRUPT 0x40: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		/* KVM 6.1 replaces the queued vector: the first one is lost. */
		kl_skip("a second KEEL_INTERRUPT before RUN: KVM overwrites");
	} else {
		r = interrupt(vcpu, 0x41);
		kl_ok(r == -EEXIST, "a second one before RUN: %s", kl_errstr(r));
	}
	kl_get_sregs(vcpu, &s);
	kl_ok(s.interrupt_bitmap[1] == 1ULL << 0 && !s.interrupt_bitmap[0],
	      "GET_SREGS shows vector 0x40 pending");

	run->cr8 = 16;
	r = kl_vcpu_run(vcpu);
	kl_ok(r == -EINVAL, "RUN with run->cr8 16: %s", kl_errstr(r));
	run->cr8 = 0;

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "second sync");
	kl_ok(uc.args[0] == 1 && uc.args[1] == 0x40,
	      "the guest took vector 0x40 once (%llu taken, last %#llx)",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 2,
		   "third sync");
	kl_ok(run->if_flag == 0 && run->ready_for_interrupt_injection == 0,
	      "IF clear: if_flag %u, ready_for_interrupt_injection %u",
	      run->if_flag, run->ready_for_interrupt_injection);

	run->request_interrupt_window = 1;
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && run->exit_reason == KEEL_EXIT_IRQ_WINDOW_OPEN &&
	      run->ready_for_interrupt_injection && run->if_flag,
	      "request_interrupt_window: RUN returns when the guest sets IF: %s",
	      kl_describe_exit(vcpu));
	run->request_interrupt_window = 0;
	r = interrupt(vcpu, 0x41);
	kl_ok(!r, "KEEL_INTERRUPT 0x41 in the window: %s", kl_errstr(r));
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "fourth sync");
	kl_ok(uc.args[0] == 2 && uc.args[1] == 0x41,
	      "the guest took vector 0x41 (%llu taken, last %#llx)",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	r = kl_vcpu_run(vcpu);
	kl_ok(!r && run->exit_reason == KEEL_EXIT_HLT &&
	      run->ready_for_interrupt_injection,
	      "the guest halts, ready for an interrupt: %s",
	      kl_describe_exit(vcpu));
	r = interrupt(vcpu, 0x42);
	KL_REQUIRE(!r && kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "fifth sync");
	kl_ok(uc.args[0] == 3 && uc.args[1] == 0x42,
	      "vector 0x42 wakes the halted guest (%llu taken, last %#llx)",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finishes");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
