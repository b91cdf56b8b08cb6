// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's TPR-patching interface, which QEMU drives on every VM with an
 * in-kernel APIC: KEEL_SET_VAPIC_ADDR mirrors the TPR, the highest
 * in-service class and the highest pending vector into guest memory
 * before each entry and takes the guest's TPR from there after each
 * exit; KEEL_TPR_ACCESS_REPORTING ends RUN after each xAPIC TPR access
 * with the accessing instruction's address.
 */
#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define V_SELF		0x41

static volatile u32 vapic[32] __aligned(128);
static volatile bool took;
extern char tpr_write_insn[], tpr_read_insn[];

static KL_NO_VECTOR void irq_hook(u64 vector)
{
	/* In service now: the mirror shows its class. */
	GUEST_SYNC2(vector, 0);
	took = true;
	apic_write(R_EOI, 0);
}

static void guest_main(void)
{
	u32 *tpr = (u32 *)(APIC_MMIO + R_TPR), v = 0x10;

	kl_irq_hook = irq_hook;
	apic_write(R_SPIV, 0x1ff);
	apic_write(R_TPR, 0x35);
	GUEST_SYNC(1);				/* mirror: TPR 0x35 */
	vapic[0] = (vapic[0] & ~0xffU) | 0x52;	/* as patched code would */
	GUEST_SYNC2(2, apic_read(R_TPR));	/* the APIC took 0x52 */

	/* TPR 0 in both: KVM takes the mirror's after every exit. */
	vapic[0] &= ~0xffU;
	apic_write(R_TPR, 0);
	asm volatile("cli");
	apic_write(R_ICR, ICR_SELF | V_SELF);
	GUEST_SYNC(3);				/* mirror: 0x41 pending */
	/* The handler syncs with 0x41 in service; spin, as kvm_amd on TCG */
	/* can miss the wake-up of "sti; hlt" (halt_wake_test). */
	asm volatile("sti");
	while (!took)
		asm volatile("pause");
	asm volatile("cli");

	GUEST_SYNC(4);				/* host turns the mirror off */
	vapic[0] = (vapic[0] & ~0xffU) | 0x66;
	GUEST_SYNC2(5, apic_read(R_TPR));	/* still 0 */

	GUEST_SYNC(6);				/* host enables reporting */
	asm volatile("tpr_write_insn: movl %0, (%1)" :: "r"(v), "r"(tpr) : "memory");
	asm volatile("tpr_read_insn: movl (%1), %0" : "=r"(v) : "r"(tpr) : "memory");
	GUEST_SYNC2(7, v);
	GUEST_DONE();
}

static int set_vapic(struct kl_vcpu *vcpu, u64 gpa)
{
	struct keel_vapic_addr a = { .vapic_addr = gpa };

	return kl_ioctlp(vcpu->fd, KEEL_SET_VAPIC_ADDR, &a);
}

static int tpr_reporting(struct kl_vcpu *vcpu, u32 enabled)
{
	struct keel_tpr_access_ctl c = { .enabled = enabled };

	return kl_ioctlp(vcpu->fd, KEEL_TPR_ACCESS_REPORTING, &c);
}

static u64 sync(struct kl_vcpu *vcpu, struct kl_ucall *uc)
{
	int r = kl_run_ucall(vcpu, uc);

	KL_REQUIRE(r == KL_UCALL_SYNC, "GUEST_SYNC: %s", kl_describe_exit(vcpu));
	return uc->args[0];
}

static void test_mirror(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	volatile u32 *mirror = kl_gpa_to_hva(vm, (u64)&vapic[0]);
	struct kl_ucall uc;
	int r;

	kl_vm_enable_split_irqchip(vm);
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_main, 0, 0);

	kl_ok(kl_ioctl(vm->sys_fd, KEEL_CHECK_EXTENSION, KEEL_CAP_VAPIC) == 1,
	      "KEEL_CAP_VAPIC is advertised");
	r = set_vapic(vcpu, (u64)&vapic[0]);
	kl_ok(!r, "SET_VAPIC_ADDR at a guest variable: %s", kl_errstr(r));

	sync(vcpu, &uc);
	if (kl_is_kvm())
		kl_skip("mirror after an MMIO TPR write (%#x): KVM refreshes it only %s",
			*mirror, "when it evaluates interrupts, keel before every entry");
	else
		kl_ok((*mirror & 0xff) == 0x35,
		      "the mirror holds the TPR the guest wrote (%#x)", *mirror);
	sync(vcpu, &uc);
	kl_ok(uc.args[1] == 0x52, "the guest's write to the mirror became its TPR (%#llx)",
	      (unsigned long long)uc.args[1]);
	sync(vcpu, &uc);
	kl_ok(*mirror >> 24 == V_SELF, "the mirror's top byte: the pending vector (%#x)",
	      *mirror);
	sync(vcpu, &uc);
	kl_ok(uc.args[0] == V_SELF && (*mirror & 0xff00) == (V_SELF & 0xf0) << 8,
	      "in the handler: bits 15:8 hold the in-service class (%#x)", *mirror);
	r = sync(vcpu, &uc) == 4 ? set_vapic(vcpu, 0) : -1;
	sync(vcpu, &uc);
	kl_ok(!r && uc.args[1] == 0, "SET_VAPIC_ADDR 0: the mirror is no longer read (%#llx)",
	      (unsigned long long)uc.args[1]);

	sync(vcpu, &uc);
	r = tpr_reporting(vcpu, 1);
	kl_ok(!r, "TPR_ACCESS_REPORTING on: %s", kl_errstr(r));
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_TPR_ACCESS &&
	      vcpu->run->tpr_access.is_write == 1 &&
	      vcpu->run->tpr_access.rip == (u64)tpr_write_insn,
	      "a TPR write exits with TPR_ACCESS, write, at its instruction: %s",
	      kl_describe_exit(vcpu));
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_TPR_ACCESS &&
	      vcpu->run->tpr_access.is_write == 0 &&
	      vcpu->run->tpr_access.rip == (u64)tpr_read_insn,
	      "a TPR read exits with TPR_ACCESS, read, at its instruction: %s",
	      kl_describe_exit(vcpu));
	sync(vcpu, &uc);
	kl_ok(uc.args[1] == 0x10, "both accesses completed before the exits (%#llx)",
	      (unsigned long long)uc.args[1]);
	r = tpr_reporting(vcpu, 0);
	kl_ok(!r && kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE,
	      "reporting off: the guest finishes");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_bad_input(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0);
	struct keel_tpr_access_ctl c = { 0 };
	int r, i, wrong = 0;

	r = set_vapic(vcpu, 0x1000);
	kl_ok(r == -EINVAL, "SET_VAPIC_ADDR without an in-kernel APIC: %s", kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);

	vm = kl_vm_create(KL_MEM_DEFAULT);
	kl_vm_enable_split_irqchip(vm);
	vcpu = kl_vcpu_add(vm, 0);
	r = set_vapic(vcpu, 1ULL << 40);
	kl_ok(r == -EINVAL, "SET_VAPIC_ADDR outside guest memory: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_SET_VAPIC_ADDR, 8);
	kl_ok(r == -EFAULT, "SET_VAPIC_ADDR from a bad pointer: %s", kl_errstr(r));
	c.flags = 1;
	r = kl_ioctlp(vcpu->fd, KEEL_TPR_ACCESS_REPORTING, &c);
	kl_ok(r == -EINVAL, "TPR_ACCESS_REPORTING flags 1: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_TPR_ACCESS_REPORTING, 8);
	kl_ok(r == -EFAULT, "TPR_ACCESS_REPORTING from a bad pointer: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("unaligned vAPIC address, reserved words, enabled 2: KVM takes them");
	} else {
		wrong += set_vapic(vcpu, 0x1002) != -EINVAL;
		c.flags = 0;
		c.enabled = 2;
		wrong += kl_ioctlp(vcpu->fd, KEEL_TPR_ACCESS_REPORTING, &c) != -EINVAL;
		c.enabled = 1;
		for (i = 0; i < 8; i++) {
			c.reserved[i] = 1;
			wrong += kl_ioctlp(vcpu->fd, KEEL_TPR_ACCESS_REPORTING, &c) != -EINVAL;
			c.reserved[i] = 0;
		}
		kl_ok(!wrong, "unaligned address, enabled 2, each reserved word: -EINVAL (%d not)",
		      wrong);
	}
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	test_mirror();
	test_bad_input();
	return kl_finish();
}
