// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_SET_GUEST_DEBUG: single-stepping reports each instruction as a
 * KEEL_EXIT_DEBUG with the next PC and DR6.BS, hidden from the guest's
 * RFLAGS; INJECT_DB delivers a #DB to the guest; with USE_HW_BP the
 * guest's MOV DR instructions see its own debug registers while
 * userspace's breakpoints are loaded, and a breakpoint hit exits. Bad
 * input is refused and leaves debugging off. A guest stepping itself with
 * TF gets its #DB after an instruction keel executed for it (CPUID).
 */
#include <errno.h>

#include "keel_util.h"
#include "ucall.h"

#define DR7_L0		BIT_ULL(0)
#define DR7_GE		BIT_ULL(9)
#define DR7_RW0_WRITE	BIT_ULL(16)
#define DR7_LEN0_4	(3ULL << 18)
#define DR7_WATCH	(0x400 | DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4)
#define DR6_BS		BIT_ULL(14)
#define RFLAGS_TF	BIT_ULL(8)
#define RFLAGS_IF	BIT_ULL(9)

volatile u64 watched, db_count, tf_rip;
extern char db_handler[], tf_handler[], ss_1[], ss_2[], ss_3[], ss_4[];
extern char bp_after[], cpuid_after[];

/* tf_handler also records where the trap hit and stops the stepping. */
asm(".pushsection .text\n"
	"db_handler:\n"
	"  incq db_count(%rip)\n"
	"  iretq\n"
	"tf_handler:\n"
	"  incq db_count(%rip)\n"
	"  pushq %rax\n"
	"  movq 8(%rsp), %rax\n"
	"  movq %rax, tf_rip(%rip)\n"
	"  andq $~0x100, 24(%rsp)\n"
	"  popq %rax\n"
	"  iretq\n"
	".popsection\n");

static u64 read_dr0(void)
{
	u64 v;

	asm volatile("mov %%dr0, %0" : "=r"(v));
	return v;
}

static u64 read_dr7(void)
{
	u64 v;

	asm volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static void guest_main(void)
{
	struct kl_ucall uc = { KL_UCALL_SYNC, { 1 } };

	/* A ucall whose OUT is followed by instructions at known places. */
	asm volatile("out %%al, %%dx\n\t"
		     "ss_1: nop\n\t"
		     "ss_2: nop\n\t"
		     "ss_3: nop\n\t"
		     "ss_4:"
		     :: "d"(KL_UCALL_PORT), "a"(0), "D"(&uc) : "memory");
	GUEST_SYNC(2);
	GUEST_SYNC2(3, db_count);
	/* Userspace's breakpoints are loaded; these MOV DRs exit. */
	asm volatile("mov %0, %%dr1" :: "r"(0x2222000ULL));
	GUEST_SYNC2(read_dr0(), read_dr7());
	asm volatile("movl $1, watched(%%rip)\n\t"
		     "bp_after:" ::: "memory");
	GUEST_SYNC(5);
	GUEST_SYNC2(read_dr0(), read_dr7());
	GUEST_DONE();
}

/* The guest steps itself over CPUID, which keel executes for it. */
static void guest_tf(void)
{
	asm volatile("pushfq\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popfq\n\t"
		     "cpuid\n"
		     "cpuid_after:"
		     ::: "rax", "rbx", "rcx", "rdx", "memory");
	GUEST_SYNC2(db_count, tf_rip);
}

static int set_debug(struct kl_vcpu *vcpu, u32 control, const u64 *dr)
{
	struct keel_guest_debug d = { .control = control };

	if (dr)
		memcpy(d.arch.debugreg, dr, sizeof(d.arch.debugreg));
	return kl_ioctlp(vcpu->fd, KEEL_SET_GUEST_DEBUG, &d);
}

static void expect_sync(struct kl_vcpu *vcpu, struct kl_ucall *uc,
			const char *what)
{
	KL_REQUIRE(kl_run_ucall(vcpu, uc) == KL_UCALL_SYNC, "%s", what);
}

static void test_singlestep(struct kl_vcpu *vcpu)
{
	/* The OUT completes in this RUN: it is the first step, as on KVM. */
	const char *const want[] = { ss_1, ss_2, ss_3, ss_4 };
	struct keel_run *run = vcpu->run;
	struct keel_regs regs;
	struct kl_ucall uc;
	int i, r, bad = 0;

	expect_sync(vcpu, &uc, "sync 1");
	r = set_debug(vcpu, KEEL_GUESTDBG_ENABLE | KEEL_GUESTDBG_SINGLESTEP,
		      NULL);
	kl_ok(!r, "SET_GUEST_DEBUG(SINGLESTEP): %s", kl_errstr(r));
	for (i = 0; i < 4; i++) {
		r = kl_vcpu_run(vcpu);
		kl_get_regs(vcpu, &regs);
		if (r || run->exit_reason != KEEL_EXIT_DEBUG ||
		    run->debug.arch.exception != 1 ||
		    run->debug.arch.pc != (unsigned long)want[i] ||
		    !(run->debug.arch.dr6 & DR6_BS) ||
		    regs.rip != (unsigned long)want[i] ||
		    (regs.rflags & RFLAGS_TF)) {
			kl_diag("step %d: %s, pc 0x%llx (want %p), dr6 0x%llx, rflags 0x%llx",
				i, kl_describe_exit(vcpu),
				(unsigned long long)run->debug.arch.pc, want[i],
				(unsigned long long)run->debug.arch.dr6,
				(unsigned long long)regs.rflags);
			bad++;
		}
	}
	kl_ok(!bad, "four steps: DEBUG exits at each next instruction, DR6.BS, no TF in RFLAGS");
	r = set_debug(vcpu, 0, NULL);
	expect_sync(vcpu, &uc, "sync 2");
	kl_ok(!r && uc.args[0] == 2, "debugging off: the guest runs on to its next ucall");
}

static void test_inject_db(struct kl_vcpu *vcpu)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_EXCEPTION_PAYLOAD,
				       .args = { 1 } };
	struct keel_vcpu_events e, saved;
	struct kl_ucall uc;
	int r;

	/* A pending exception (visible as such with payloads enabled). */
	KL_REQUIRE(!kl_ioctlp(vcpu->vm->fd, KEEL_ENABLE_CAP, &cap),
		   "EXCEPTION_PAYLOAD");
	kl_ioctlp(vcpu->fd, KEEL_GET_VCPU_EVENTS, &saved);
	e = saved;
	e.exception.pending = 1;
	e.exception.nr = 6;
	kl_ioctlp(vcpu->fd, KEEL_SET_VCPU_EVENTS, &e);
	r = set_debug(vcpu, KEEL_GUESTDBG_INJECT_DB, NULL);
	kl_ok(r == -EBUSY, "INJECT_DB with an exception pending: %s",
	      kl_errstr(r));
	e.exception.pending = 0;
	e.exception.injected = 1;
	kl_ioctlp(vcpu->fd, KEEL_SET_VCPU_EVENTS, &e);
	r = set_debug(vcpu, KEEL_GUESTDBG_INJECT_DB, NULL);
	if (kl_is_kvm())
		kl_skip("INJECT_DB with an exception injected: KVM 6.1 queues it on top");
	else
		kl_ok(r == -EBUSY, "INJECT_DB with an exception injected: %s",
		      kl_errstr(r));
	kl_ioctlp(vcpu->fd, KEEL_SET_VCPU_EVENTS, &saved);
	r = set_debug(vcpu, KEEL_GUESTDBG_INJECT_DB, NULL);
	expect_sync(vcpu, &uc, "sync 3");
	kl_ok(!r && uc.args[1] == 1,
	      "INJECT_DB (%s): the guest's #DB handler ran %llu times",
	      kl_errstr(r), (unsigned long long)uc.args[1]);
}

static void test_hw_bp(struct kl_vcpu *vcpu)
{
	u64 dr[8] = { (unsigned long)&watched, 0, 0, 0, 0, 0, 0, DR7_WATCH };
	struct keel_debugregs d = { .dr6 = 0xffff0ff0, .dr7 = 0x400 | DR7_GE };
	struct keel_run *run = vcpu->run;
	/* QEMU's emulated SVM arms no breakpoint from the VMCB's DR7. */
	bool fires = !kl_host_is_qemu_tcg();
	struct kl_ucall uc;
	int r;

	d.db[0] = 0x1111000;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_DEBUGREGS, &d);
	KL_REQUIRE(!r, "SET_DEBUGREGS: %s", kl_errstr(r));
	r = set_debug(vcpu, KEEL_GUESTDBG_ENABLE | KEEL_GUESTDBG_USE_HW_BP, dr);
	kl_ok(!r, "SET_GUEST_DEBUG(USE_HW_BP) on DR0 = &watched: %s",
	      kl_errstr(r));
	expect_sync(vcpu, &uc, "guest's DR0/DR7");
	kl_ok(uc.args[0] == 0x1111000 && uc.args[1] == (0x400 | DR7_GE),
	      "the guest reads its own DR0 0x%llx and DR7 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	kl_ioctlp(vcpu->fd, KEEL_GET_DEBUGREGS, &d);
	kl_ok(d.db[0] == 0x1111000 && d.db[1] == 0x2222000 &&
	      d.dr7 == (0x400 | DR7_GE),
	      "GET_DEBUGREGS shows the guest's registers (its DR1 write too)");

	r = kl_vcpu_run(vcpu);
	if (!fires) {
		kl_skip("breakpoint hit: QEMU's emulated SVM ignores the VMCB's DR7");
		KL_REQUIRE(!r && kl_get_ucall(vcpu, &uc) == KL_UCALL_SYNC,
			   "sync 5: %s", kl_describe_exit(vcpu));
	} else {
		kl_ok(!r && run->exit_reason == KEEL_EXIT_DEBUG &&
		      run->debug.arch.exception == 1 &&
		      (run->debug.arch.dr6 & 1) &&
		      run->debug.arch.pc == (unsigned long)bp_after,
		      "the write to watched exits: %s, pc 0x%llx, dr6 0x%llx",
		      kl_describe_exit(vcpu),
		      (unsigned long long)run->debug.arch.pc,
		      (unsigned long long)run->debug.arch.dr6);
		expect_sync(vcpu, &uc, "sync 5");
	}
	r = set_debug(vcpu, 0, NULL);
	expect_sync(vcpu, &uc, "guest's DR0/DR7 again");
	kl_ok(!r && uc.args[0] == 0x1111000 && uc.args[1] == (0x400 | DR7_GE),
	      "debugging off: the guest's DR0 0x%llx and DR7 0x%llx are back",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "guest done");
}

static void test_bad_input(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);
	u64 dr[8] = { 0x1000, 0, 0, 0, 0, 0, 0, 0x401 };
	struct keel_guest_debug g = {
		.control = KEEL_GUESTDBG_ENABLE | KEEL_GUESTDBG_SINGLESTEP,
	};
	struct kl_ucall uc;
	int r, wrong = 0, n = 0;

	if (kl_is_kvm()) {
		kl_skip("unknown control, pad, bad debugreg[]: KVM 6.1 takes them");
	} else {
		r = set_debug(vcpu, KEEL_GUESTDBG_ENABLE | 0x200000, NULL);
		kl_ok(r == -EINVAL, "unknown control bit 0x200000: %s",
		      kl_errstr(r));
		g.pad = 1;
		wrong += kl_ioctlp(vcpu->fd, KEEL_SET_GUEST_DEBUG, &g) != -EINVAL;
		wrong += set_debug(vcpu, KEEL_GUESTDBG_ENABLE |
				   KEEL_GUESTDBG_USE_SW_BP, NULL) != -EINVAL;
		wrong += set_debug(vcpu, KEEL_GUESTDBG_ENABLE |
				   KEEL_GUESTDBG_INJECT_BP, NULL) != -EINVAL;
		dr[4] = 1;
		wrong += set_debug(vcpu, KEEL_GUESTDBG_ENABLE |
				   KEEL_GUESTDBG_USE_HW_BP, dr) != -EINVAL;
		dr[4] = 0;
		dr[7] |= 1ULL << 32;
		wrong += set_debug(vcpu, KEEL_GUESTDBG_ENABLE |
				   KEEL_GUESTDBG_USE_HW_BP, dr) != -EINVAL;
		dr[7] = 0x401;
		dr[2] = 0x8000000000000000ULL;
		wrong += set_debug(vcpu, KEEL_GUESTDBG_ENABLE |
				   KEEL_GUESTDBG_USE_HW_BP, dr) != -EINVAL;
		n = 6;
		/* pad, SW_BP, INJECT_BP, dr[4], DR7 63:32, bad DR2 */
		kl_ok(!wrong, "6 more bad inputs: -EINVAL (%d of %d not)",
		      wrong, n);
	}
	r = kl_ioctl(vcpu->fd, KEEL_SET_GUEST_DEBUG, 8);
	kl_ok(r == -EFAULT, "SET_GUEST_DEBUG from a bad pointer: %s",
	      kl_errstr(r));
	/* Without ENABLE nothing is armed, whatever else is set. */
	r = set_debug(vcpu, KEEL_GUESTDBG_SINGLESTEP, NULL);
	kl_ok(!r && kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC,
	      "SINGLESTEP without ENABLE (%s): the guest runs, no DEBUG exit",
	      kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_guest_tf(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_tf, 1,
					     &vcpu);
	struct kl_ucall uc;

	kl_vm_set_idt_gate(vm, 1, tf_handler);
	expect_sync(vcpu, &uc, "guest TF");
	kl_ok(uc.args[0] == 1 && uc.args[1] == (unsigned long)cpuid_after,
	      "guest TF over CPUID: %llu #DB, at 0x%llx (want %p)",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	      cpuid_after);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

/* BLOCKIRQ: userspace is told not to inject while it steps. */
static void test_blockirq(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);
	struct keel_regs regs;
	struct kl_ucall uc;
	int r;

	expect_sync(vcpu, &uc, "sync 1");
	kl_get_regs(vcpu, &regs);
	regs.rflags |= RFLAGS_IF;
	kl_set_regs(vcpu, &regs);
	r = set_debug(vcpu, KEEL_GUESTDBG_ENABLE | KEEL_GUESTDBG_BLOCKIRQ, NULL);
	vcpu->run->immediate_exit = 1;
	kl_vcpu_run(vcpu);
	vcpu->run->immediate_exit = 0;
	if (kl_is_kvm())
		kl_skip("BLOCKIRQ: KVM ignores it without an in-kernel irqchip");
	else
		kl_ok(!r && !vcpu->run->ready_for_interrupt_injection,
		      "BLOCKIRQ (%s): ready_for_interrupt_injection 0 with IF=1",
		      kl_errstr(r));
	set_debug(vcpu, 0, NULL);
	vcpu->run->immediate_exit = 1;
	kl_vcpu_run(vcpu);
	kl_ok(vcpu->run->ready_for_interrupt_injection,
	      "without it: ready_for_interrupt_injection 1");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);

	kl_vm_set_idt_gate(vm, 1, db_handler);
	test_singlestep(vcpu);
	test_inject_db(vcpu);
	test_hw_bp(vcpu);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	test_bad_input();
	test_blockirq();
	test_guest_tf();
	return kl_finish();
}
