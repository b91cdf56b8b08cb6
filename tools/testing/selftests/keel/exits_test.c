// SPDX-License-Identifier: GPL-2.0
/*
 * Exits other than I/O: HLT (RIP past it), a triple fault (SHUTDOWN),
 * an entry the CPU refuses (FAIL_ENTRY), an MMIO access by an
 * instruction that is not emulated (INTERNAL_ERROR; emulate_test covers
 * the emulated ones) and MMIO touched by an exception's delivery.
 */
#include "keel_util.h"
#include "ucall.h"

extern char kl_after_hlt[];

static void guest_hlt(void)
{
	asm volatile("hlt\n\t.globl kl_after_hlt\nkl_after_hlt:" ::: "memory");
	GUEST_DONE();
}

static void guest_triple_fault(void)
{
	struct { u16 limit; u64 base; } __packed idtr = { 0, 0 };

	asm volatile("lidt %0; ud2" :: "m"(idtr));
}

static void guest_crc32_mmio(void)
{
	u32 v = 0;

	asm volatile("crc32l (%1), %0" : "+r"(v) : "r"(KL_MMIO_BASE) : "memory");
	GUEST_DONE();
}

/* #UD with the stack on MMIO: the exception's delivery faults there. */
static void guest_mmio_stack(void)
{
	asm volatile("mov %0, %%rsp; ud2" :: "r"(KL_MMIO_BASE + 0x1000) : "memory");
}

/*
 * keel ends RUN with KVM 6.14+'s DELIVERY_EV and the GPA. Observed on
 * kvm_amd under QEMU TCG: 6.1 emulates the instruction at RIP (UD2: an
 * emulation failure), 7.2 never returns from RUN. keel's answer only.
 */
static void test_mmio_stack(struct kl_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;
	struct keel_vcpu_events ev;
	int r;

	if (kl_is_kvm()) {
		kl_skip("#UD delivered onto MMIO: kvm_amd 6.1 emulates RIP, 7.2 loops");
		return;
	}
	kl_vcpu_setup_long_mode(vcpu, guest_mmio_stack, 0, 0);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && run->exit_reason == KEEL_EXIT_INTERNAL_ERROR &&
	      run->internal.suberror == KEEL_INTERNAL_ERROR_DELIVERY_EV &&
	      run->internal.ndata >= 4 && run->internal.data[1] == 0x400 &&
	      run->internal.data[0] >= KL_MMIO_BASE + 0x1000 - 64 &&
	      run->internal.data[0] < KL_MMIO_BASE + 0x1000,
	      "#UD delivered onto a stack on MMIO: DELIVERY_EV, #NPF at the GPA: %s",
	      kl_describe_exit(vcpu));
	memset(&ev, 0, sizeof(ev));
	r = kl_ioctlp(vcpu->fd, KEEL_GET_VCPU_EVENTS, &ev);
	kl_ok(!r && ev.exception.injected && ev.exception.nr == 6,
	      "... and the #UD is still to be delivered (%s, injected %u, vector %u)",
	      kl_errstr(r), ev.exception.injected, ev.exception.nr);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_hlt, 1, &vcpu);
	struct keel_sregs sregs;
	struct keel_regs regs;
	struct kl_ucall uc;
	int r;

	r = kl_vcpu_run(vcpu);
	kl_get_regs(vcpu, &regs);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_HLT, "HLT exits to userspace: %s",
	      kl_exit_name(vcpu->run->exit_reason));
	kl_ok(regs.rip == (u64)(unsigned long)kl_after_hlt,
	      "RIP points past the HLT (0x%llx)", (unsigned long long)regs.rip);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest goes on after HLT");

	kl_vcpu_setup_long_mode(vcpu, guest_triple_fault, 0, 0);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_SHUTDOWN,
	      "a triple fault exits with SHUTDOWN: %s", kl_describe_exit(vcpu));

	kl_vcpu_setup_long_mode(vcpu, guest_hlt, 0, 0);
	kl_get_sregs(vcpu, &sregs);
	sregs.cs.db = 1;	/* L and D together are invalid in long mode */
	kl_set_sregs(vcpu, &sregs);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_FAIL_ENTRY,
	      "an invalid CS (L and D set) fails entry: %s", kl_describe_exit(vcpu));
	if (!r && vcpu->run->exit_reason == KEEL_EXIT_FAIL_ENTRY)
		kl_diag("hardware_entry_failure_reason 0x%llx",
			(unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);

	/* Neither keel nor KVM emulates CRC32. */
	kl_vcpu_setup_long_mode(vcpu, guest_crc32_mmio, 0, 0);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_INTERNAL_ERROR &&
	      vcpu->run->internal.suberror == KEEL_INTERNAL_ERROR_EMULATION,
	      "an MMIO access by an instruction not emulated: %s",
	      kl_describe_exit(vcpu));

	test_mmio_stack(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
