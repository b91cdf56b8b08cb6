// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock and the TSC frequency: the guest finds KVM's signature and
 * CLOCKSOURCE2 in CPUID, enables its kvmclock and wall-clock areas, and
 * reads a clock that advances with host time, never goes backwards,
 * matches KEEL_GET_CLOCK, jumps by what KEEL_SET_CLOCK adds, stays put
 * across a TSC write and across a move to a new VM. KEEL_GET/SET_TSC_KHZ
 * report and accept the host's rate only. Bad input is refused.
 */
#include <errno.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"
#include "vcpu_state.h"

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_WALL_CLOCK	0x11	/* KVM's first names for the two */
#define MSR_KVM_SYSTEM_TIME	0x12
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define NS			1000000000ULL
#define MS			1000000ULL

struct pvclock {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 mul;
	s8 shift;
	u8 flags;
	u8 pad[2];
} __packed;

struct pvwall {
	u32 version;
	u32 sec;
	u32 nsec;
} __packed;

static volatile struct pvclock pvti __aligned(64);
static volatile struct pvwall wall __aligned(64);
volatile u64 fault_vec;
extern char gp_skip[];

/* #GP: skip the 2-byte RDMSR/WRMSR. */
asm(".pushsection .text\n"
	"gp_skip:\n"
	"  addq $8, %rsp\n"
	"  movq $13, fault_vec(%rip)\n"
	"  addq $2, (%rsp)\n"
	"  iretq\n"
	".popsection\n");

static void wrmsr(u32 idx, u64 v)
{
	asm volatile("wrmsr" :: "c"(idx), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}

static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((u64)hi << 32);
}

static u64 kvmclock(void)
{
	u64 delta, ns;
	u32 v;

	do {
		v = pvti.version;
		asm volatile("" ::: "memory");
		delta = rdtsc() - pvti.tsc_timestamp;
		delta = pvti.shift < 0 ? delta >> -pvti.shift :
					 delta << pvti.shift;
		ns = pvti.system_time +
		     (u64)(((__uint128_t)delta * pvti.mul) >> 32);
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != pvti.version);
	return ns;
}

static void guest_main(void)
{
	u32 a, b, c, d;
	u64 t, prev, back = 0;
	int i;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0x40000000), "c"(0));
	kl_ucall(KL_UCALL_SYNC, a, b, c, d);
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0x40000001), "c"(0));
	GUEST_SYNC(a);
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (unsigned long)&pvti | 1);
	/* The first wall-clock MSR is the same register (QEMU uses both). */
	wrmsr(MSR_KVM_WALL_CLOCK, (unsigned long)&wall);
	t = kvmclock();
	kl_ucall(KL_UCALL_SYNC, t, pvti.flags, wall.sec * NS + wall.nsec, 0);
	/* userspace sleeps here */
	t = kvmclock();
	prev = t;
	for (i = 0; i < 2000; i++) {
		u64 now = kvmclock();

		back += now < prev;
		prev = now;
	}
	GUEST_SYNC2(t, back);
	GUEST_SYNC(kvmclock());		/* after SET_CLOCK */
	GUEST_SYNC(kvmclock());		/* after a TSC write */
	GUEST_SYNC(kvmclock());		/* after a move to a new VM */
	GUEST_DONE();
}

/* Without KVM's leaves in CPUID the kvmclock MSRs #GP. */
static void guest_bare(void)
{
	fault_vec = 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (unsigned long)&pvti | 1);
	GUEST_SYNC(fault_vec);
	GUEST_DONE();
}

static u64 sync_arg(struct kl_vcpu *vcpu, int n, struct kl_ucall *uc)
{
	KL_REQUIRE(kl_run_ucall(vcpu, uc) == KL_UCALL_SYNC, "sync");
	return uc->args[n];
}

static struct keel_clock_data get_clock(struct kl_vm *vm)
{
	struct keel_clock_data c;
	int r = kl_ioctlp(vm->fd, KEEL_GET_CLOCK, &c);

	KL_REQUIRE(!r, "GET_CLOCK: %s", kl_errstr(r));
	return c;
}

static void test_clock(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);
	struct keel_clock_data c;
	struct kl_ucall uc;
	u64 t1, t2, t3, t4, t5, wall_ns;
	s64 skew;
	int r;

	sync_arg(vcpu, 0, &uc);
	kl_ok(uc.args[0] >= 0x40000001 && uc.args[1] == 0x4b4d564b &&
	      uc.args[2] == 0x564b4d56 && uc.args[3] == 0x4d,
	      "CPUID 0x40000000: KVMKVMKVM, up to 0x%llx",
	      (unsigned long long)uc.args[0]);
	r = sync_arg(vcpu, 0, &uc);
	kl_ok((r & 0xb) == 0xb,
	      "CPUID 0x40000001: CLOCKSOURCE, NOP_IO_DELAY, CLOCKSOURCE2 (%#x)", r);

	t1 = sync_arg(vcpu, 0, &uc);
	{
		struct kl_msr_buf m = { .h.nmsrs = 4, .e = {
			{ MSR_KVM_SYSTEM_TIME }, { MSR_KVM_SYSTEM_TIME_NEW },
			{ MSR_KVM_WALL_CLOCK }, { MSR_KVM_WALL_CLOCK_NEW } } };

		r = kl_ioctlp(vcpu->fd, KEEL_GET_MSRS, &m);
		kl_ok(r == 4 && (m.e[0].data & 1) && m.e[0].data == m.e[1].data &&
		      m.e[2].data && m.e[2].data == m.e[3].data,
		      "GET_MSRS: 0x12 and 0x11 are the NEW MSRs' registers (%#llx, %#llx)",
		      (unsigned long long)m.e[0].data, (unsigned long long)m.e[2].data);
	}
	c = get_clock(vm);
	wall_ns = uc.args[2];
	kl_ok(c.clock >= t1 && c.clock - t1 < 2 * NS,
	      "GET_CLOCK %llu ns, just after the guest read %llu",
	      (unsigned long long)c.clock, (unsigned long long)t1);
	kl_ok(!(c.flags & KEEL_CLOCK_TSC_STABLE) || (uc.args[1] & 1),
	      "the guest's area says stable where GET_CLOCK does (%#x, %#llx)",
	      c.flags, (unsigned long long)uc.args[1]);
	skew = (s64)(c.realtime - c.clock - wall_ns);
	kl_ok((c.flags & KEEL_CLOCK_REALTIME) && skew > -(s64)(50 * MS) &&
	      skew < (s64)(50 * MS),
	      "wall clock at kvmclock 0 matches the host's (%lld ns off)",
	      (long long)skew);

	usleep(300000);
	t2 = sync_arg(vcpu, 0, &uc);
	kl_ok(t2 >= c.clock && t2 - t1 >= 300 * MS && t2 - t1 < 2 * NS,
	      "300 ms of host sleep: the guest's clock moved %llu ms",
	      (unsigned long long)(t2 - t1) / MS);
	kl_ok(!uc.args[1], "2000 reads in a row never went backwards (%llu did)",
	      (unsigned long long)uc.args[1]);

	c = get_clock(vm);
	c.clock += 10 * NS;
	c.flags &= ~KEEL_CLOCK_REALTIME;
	r = kl_ioctlp(vm->fd, KEEL_SET_CLOCK, &c);
	t3 = sync_arg(vcpu, 0, &uc);
	kl_ok(!r && t3 - t2 >= 10 * NS && t3 - t2 < 12 * NS,
	      "SET_CLOCK (%s) 10 s ahead: the guest's clock jumped %llu ms",
	      kl_errstr(r), (unsigned long long)(t3 - t2) / MS);

	{
		struct kl_msr_buf m = { .h.nmsrs = 1,
					.e[0] = { 0x10, 0, 1ULL << 45 } };

		r = kl_ioctlp(vcpu->fd, KEEL_SET_MSRS, &m);
	}
	t4 = sync_arg(vcpu, 0, &uc);
	kl_ok(r == 1 && t4 >= t3 && t4 - t3 < 2 * NS,
	      "a TSC write does not move the clock (%llu ms later)",
	      (unsigned long long)(t4 - t3) / MS);

	vcpu = kl_move_vm(vcpu, KL_MEM_DEFAULT, true);
	t5 = sync_arg(vcpu, 0, &uc);
	kl_ok(t5 >= t4 && t5 - t4 < 2 * NS,
	      "moved to a new VM with GET/SET_CLOCK: %llu ms later",
	      (unsigned long long)(t5 - t4) / MS);
	vm = vcpu->vm;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_bad_clock(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct keel_clock_data c = get_clock(vm), d;
	int r, i, wrong = 0;

	d = c;
	d.flags |= 1;
	r = kl_ioctlp(vm->fd, KEEL_SET_CLOCK, &d);
	kl_ok(r == -EINVAL, "SET_CLOCK with flag 1: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("SET_CLOCK padding: KVM ignores it");
	} else {
		d = c;
		d.pad0 = 1;
		wrong += kl_ioctlp(vm->fd, KEEL_SET_CLOCK, &d) != -EINVAL;
		for (i = 0; i < 4; i++) {
			d = c;
			d.pad[i] = 1;
			wrong += kl_ioctlp(vm->fd, KEEL_SET_CLOCK, &d) != -EINVAL;
		}
		kl_ok(!wrong, "SET_CLOCK with a padding word set: -EINVAL (%d not)",
		      wrong);
	}
	d = get_clock(vm);
	kl_ok(d.clock >= c.clock && d.clock - c.clock < 2 * NS,
	      "failed SET_CLOCKs left the clock alone");
	r = kl_ioctl(vm->fd, KEEL_GET_CLOCK, 8);
	kl_ok(r == -EFAULT, "GET_CLOCK to a bad pointer: %s", kl_errstr(r));
	kl_vm_free(vm);
}

static void test_tsc_khz(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0);
	long khz = kl_ioctl(vcpu->fd, KEEL_GET_TSC_KHZ, 0);
	int r;

	kl_ok(khz > 100000, "GET_TSC_KHZ: %ld kHz", khz);
	r = kl_ioctl(vcpu->fd, KEEL_SET_TSC_KHZ, khz + 1);
	kl_ok(!r && kl_ioctl(vcpu->fd, KEEL_GET_TSC_KHZ, 0) == khz + 1,
	      "SET_TSC_KHZ within 250 ppm of the host's: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_SET_TSC_KHZ, khz / 2);
	kl_ok(r == -EINVAL, "half the host's rate: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("twice the host's rate: KVM falls back to TSC catch-up");
	} else {
		r = kl_ioctl(vcpu->fd, KEEL_SET_TSC_KHZ, khz * 2);
		kl_ok(r == -EINVAL, "twice the host's rate: %s", kl_errstr(r));
	}
	r = kl_ioctl(vcpu->fd, KEEL_SET_TSC_KHZ, 0);
	kl_ok(!r && kl_ioctl(vcpu->fd, KEEL_GET_TSC_KHZ, 0) == khz,
	      "SET_TSC_KHZ 0: the host's rate again");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_bare(void)
{
	struct kl_cpuid cpuid;
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_bare, 1,
					     &vcpu);
	struct kl_ucall uc;
	u32 i, n = 0;

	kl_vm_set_idt_gate(vm, 13, gp_skip);
	kl_get_supported_cpuid(vm, &cpuid);
	for (i = 0; i < cpuid.h.nent; i++)
		if ((cpuid.e[i].function & 0xffff0000) != 0x40000000)
			cpuid.e[n++] = cpuid.e[i];
	cpuid.h.nent = n;
	KL_REQUIRE(!kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, &cpuid), "SET_CPUID2");
	if (kl_is_kvm())
		kl_skip("kvmclock MSR without KVM's CPUID leaves: KVM 6.1 takes it");
	else
		kl_ok(sync_arg(vcpu, 0, &uc) == 13,
		      "without KVM's CPUID leaves the kvmclock MSR #GPs");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	test_clock();
	test_bad_clock();
	test_tsc_khz();
	test_bare();
	return kl_finish();
}
