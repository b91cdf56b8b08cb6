// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_GET/SET_DEBUGREGS: the guest reads the DR0-3, DR6 and DR7 that
 * userspace set, userspace reads back what the guest wrote, and a data
 * breakpoint set from userspace fires in the guest as a #DB with DR6
 * naming it. A host breakpoint keeps working after a guest used DR0-3.
 * GET then SET then GET is an identity on a running guest;
 * bad input is refused and changes nothing.
 */
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define DR7_L0		BIT_ULL(0)
#define DR7_RW0_WRITE	BIT_ULL(16)
#define DR7_LEN0_4	(3ULL << 18)

volatile u64 watched, db_count, db_dr6;
extern char db_handler[];

asm(".pushsection .text\n"
	"db_handler:\n"
	"  pushq %rax\n"
	"  movq %dr6, %rax\n"
	"  movq %rax, db_dr6(%rip)\n"
	"  movq $0xffff0ff0, %rax\n"
	"  movq %rax, %dr6\n"
	"  popq %rax\n"
	"  incq db_count(%rip)\n"
	"  iretq\n"
	".popsection\n");

static u64 read_dr(int n)
{
	u64 v = 0;

	switch (n) {
	case 0:
		asm volatile("mov %%dr0, %0" : "=r"(v));
		break;
	case 1:
		asm volatile("mov %%dr1, %0" : "=r"(v));
		break;
	case 2:
		asm volatile("mov %%dr2, %0" : "=r"(v));
		break;
	case 3:
		asm volatile("mov %%dr3, %0" : "=r"(v));
		break;
	case 6:
		asm volatile("mov %%dr6, %0" : "=r"(v));
		break;
	case 7:
		asm volatile("mov %%dr7, %0" : "=r"(v));
		break;
	}
	return v;
}

static void write_dr(int n, u64 v)
{
	switch (n) {
	case 0:
		asm volatile("mov %0, %%dr0" :: "r"(v));
		break;
	case 1:
		asm volatile("mov %0, %%dr1" :: "r"(v));
		break;
	case 2:
		asm volatile("mov %0, %%dr2" :: "r"(v));
		break;
	case 3:
		asm volatile("mov %0, %%dr3" :: "r"(v));
		break;
	case 7:
		asm volatile("mov %0, %%dr7" :: "r"(v));
		break;
	}
}

static void guest_main(void)
{
	GUEST_SYNC(1);
	kl_ucall(KL_UCALL_SYNC, read_dr(0), read_dr(1), read_dr(2), read_dr(3));
	GUEST_SYNC2(read_dr(6), read_dr(7));
	write_dr(0, 0x1000);
	write_dr(1, 0x2000);
	write_dr(2, 0x3000);
	write_dr(3, 0x4000);
	GUEST_SYNC(2);
	/*
	 * Userspace armed a write breakpoint on "watched". QEMU's emulated
	 * SVM arms breakpoints only on a MOV to DR7, not from the VMCB at
	 * VMRUN, and only the enable bits that change, so the guest clears
	 * DR7 and writes it back (a no-op on hardware) to test keel rather
	 * than that limitation.
	 */
	{
		u64 dr7 = read_dr(7);

		write_dr(7, 0x400);
		write_dr(7, dr7);
	}
	watched = 1;
	/* Disarm: QEMU keeps a breakpoint armed across VM exits. */
	write_dr(7, 0x400);
	GUEST_SYNC2(db_count, db_dr6);
	GUEST_DONE();
}

/* A vCPU whose debug registers were never used writes one. */
static void guest_first_use(void)
{
	write_dr(0, 0x5000);
	GUEST_SYNC(read_dr(0));
	write_dr(0, 0);
	GUEST_SYNC(read_dr(0));
	GUEST_SYNC(read_dr(7));
	GUEST_DONE();
}

/* A guest that keeps its own DR0-3 loaded across exits. */
static void guest_own_breakpoints(void)
{
	write_dr(0, 0x1000);
	write_dr(1, 0x2000);
	write_dr(2, 0x3000);
	write_dr(3, 0x4000);
	for (int i = 0; i < 3; i++)
		GUEST_SYNC(read_dr(0));
	GUEST_DONE();
}

static volatile u64 host_var;

/* Writes to host_var that a host breakpoint on it has counted. */
static u64 host_writes_seen(int fd, int n)
{
	u64 count = 0;

	for (int i = 0; i < n; i++)
		host_var = i;
	KL_REQUIRE(read(fd, &count, sizeof(count)) == sizeof(count),
		   "read perf count");
	return count;
}

/*
 * A host breakpoint (perf, as a debugger sets) on the VMM's own memory
 * keeps firing after a guest that uses DR0-3 ran on the same thread.
 */
static void test_host_breakpoint(void)
{
	struct perf_event_attr pe = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(pe),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (unsigned long)&host_var,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	struct kl_vcpu *vcpu;
	struct kl_vm *vm;
	struct kl_ucall uc;
	u64 before, after;
	int fd, syncs = 0;

	fd = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
	if (fd < 0) {
		kl_skip("no hardware breakpoint for perf here: %s", strerror(errno));
		return;
	}
	before = host_writes_seen(fd, 10);
	vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_own_breakpoints, 1, &vcpu);
	while (kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 0x1000)
		syncs++;
	after = host_writes_seen(fd, 10);
	kl_ok(before == 10 && after == 20 && syncs == 3,
	      "a host breakpoint counts 10 writes, then 10 more after a guest ran with its own DR0-3 (%llu, %llu)",
	      (unsigned long long)before, (unsigned long long)after);
	close(fd);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void get_dbg(struct kl_vcpu *vcpu, struct keel_debugregs *d)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_GET_DEBUGREGS, d);

	KL_REQUIRE(!r, "GET_DEBUGREGS: %s", kl_errstr(r));
}

static int set_dbg(struct kl_vcpu *vcpu, const struct keel_debugregs *d)
{
	return kl_ioctlp(vcpu->fd, KEEL_SET_DEBUGREGS, d);
}

/* GET, SET, GET on a vCPU stopped in the middle of the guest. */
static void roundtrip(struct kl_vcpu *vcpu, const char *when)
{
	int r;
	bool same = kl_state_roundtrip(vcpu, KEEL_GET_DEBUGREGS, KEEL_SET_DEBUGREGS,
				       sizeof(struct keel_debugregs), &r);

	kl_ok(same, "%s: GET, SET (%s), GET of the debug registers is an identity",
	      when, kl_errstr(r));
}

/*
 * keel keeps DR0-3 out of the entry path until the guest uses them: the
 * first MOV DR switches them in, and they leave again once unused.
 */
static void test_first_use(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_first_use, 1,
					     &vcpu);
	struct keel_debugregs d;
	struct kl_ucall uc;
	bool ok;

	ok = kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 0x5000;
	get_dbg(vcpu, &d);
	kl_ok(ok && d.db[0] == 0x5000,
	      "a fresh vCPU's first DR0 write reads back, in the guest and GET");
	ok = kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 0;
	get_dbg(vcpu, &d);
	kl_ok(ok && d.db[0] == 0, "cleared again: 0 in the guest and GET");
	ok = kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 0x400;
	kl_ok(ok, "a later read of DR7 still works (0x%llx)",
	      (unsigned long long)uc.args[0]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "guest done");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_bad_input(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0);
	struct keel_debugregs base, d, after;
	int i, r, wrong = 0;

	get_dbg(vcpu, &base);
	base.db[1] = 0x5000;
	KL_REQUIRE(!set_dbg(vcpu, &base), "base debug registers");

	d = base;
	d.flags = 1;
	r = set_dbg(vcpu, &d);
	kl_ok(r == -EINVAL, "flags 1: %s", kl_errstr(r));
	d = base;
	d.dr6 |= 1ULL << 32;
	r = set_dbg(vcpu, &d);
	kl_ok(r == -EINVAL, "DR6 bit 32: %s", kl_errstr(r));
	d = base;
	d.dr7 |= 1ULL << 63;
	r = set_dbg(vcpu, &d);
	kl_ok(r == -EINVAL, "DR7 bit 63: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("reserved words and non-canonical DR0-3: KVM takes them");
	} else {
		for (i = 0; i < 9; i++) {
			d = base;
			d.reserved[i] = 1;
			if (set_dbg(vcpu, &d) != -EINVAL)
				wrong++;
		}
		for (i = 0; i < 4; i++) {
			d = base;
			d.db[i] = 0x8000000000000000ULL;
			if (set_dbg(vcpu, &d) != -EINVAL)
				wrong++;
		}
		kl_ok(!wrong, "each reserved word, each non-canonical DR0-3: -EINVAL (%d not)",
		      wrong);
	}
	get_dbg(vcpu, &after);
	kl_ok(!memcmp(&after, &base, sizeof(base)),
	      "no failed SET_DEBUGREGS changed anything");
	r = kl_ioctl(vcpu->fd, KEEL_GET_DEBUGREGS, 8);
	kl_ok(r == -EFAULT, "GET_DEBUGREGS to a bad pointer: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_SET_DEBUGREGS, 8);
	kl_ok(r == -EFAULT, "SET_DEBUGREGS from a bad pointer: %s",
	      kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);
	struct keel_debugregs d;
	struct kl_ucall uc;
	int r;

	kl_vm_set_idt_gate(vm, 1, db_handler);
	get_dbg(vcpu, &d);
	kl_ok(!d.db[0] && !d.db[1] && !d.db[2] && !d.db[3] &&
	      d.dr6 == 0xffff0ff0 && d.dr7 == 0x400 && !d.flags,
	      "reset values: DR0-3 0, DR6 0x%llx, DR7 0x%llx",
	      (unsigned long long)d.dr6, (unsigned long long)d.dr7);

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "sync 1");
	d.db[0] = 0x7000;
	d.db[1] = 0xffffffff80001000ULL;
	d.db[2] = 0x123456789000ULL;
	d.db[3] = 0x8008;
	d.dr6 = 0xffff0ff1;
	d.dr7 = 0x400 | (1ULL << 9);	/* GE: no breakpoint enabled */
	r = set_dbg(vcpu, &d);
	kl_ok(!r, "SET_DEBUGREGS: %s", kl_errstr(r));
	roundtrip(vcpu, "after SET");
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == d.db[0] && uc.args[1] == d.db[1] &&
	      uc.args[2] == d.db[2] && uc.args[3] == d.db[3],
	      "the guest reads DR0-3 0x%llx 0x%llx 0x%llx 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	      (unsigned long long)uc.args[2], (unsigned long long)uc.args[3]);
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == d.dr6 && uc.args[1] == d.dr7,
	      "the guest reads DR6 0x%llx, DR7 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	kl_run_ucall(vcpu, &uc);
	get_dbg(vcpu, &d);
	kl_ok(d.db[0] == 0x1000 && d.db[1] == 0x2000 && d.db[2] == 0x3000 &&
	      d.db[3] == 0x4000,
	      "userspace reads the DR0-3 the guest wrote: 0x%llx 0x%llx 0x%llx 0x%llx",
	      (unsigned long long)d.db[0], (unsigned long long)d.db[1],
	      (unsigned long long)d.db[2], (unsigned long long)d.db[3]);
	roundtrip(vcpu, "after guest writes");

	d.db[0] = (unsigned long)&watched;
	d.dr7 = 0x400 | DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4;
	r = set_dbg(vcpu, &d);
	KL_REQUIRE(!r, "arming DR0: %s", kl_errstr(r));
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 1 && (uc.args[1] & 0xf) == 1,
	      "a write to the DR0 address: %llu #DB, DR6 0x%llx (B0)",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "guest done");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);

	test_first_use();
	test_host_breakpoint();
	test_bad_input();
	return kl_finish();
}
