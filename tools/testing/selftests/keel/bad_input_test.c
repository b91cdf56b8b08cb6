// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input, systematically: for every ioctl keel has, each undefined
 * argument or flag bit, each reserved or padding byte and the boundary
 * values, set one at a time. Each must fail with -EINVAL and leave the
 * state it would have changed exactly as it was. (ENABLE_CAP is in
 * caps_test.) In differential mode, the cases where KVM accepts the input
 * are skipped with the reason; Documentation/compat.rst lists them.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

/* Tally one group of cases into a single result line. */
struct group {
	const char *what;
	int cases, wrong;
	bool keel_only;		/* KVM accepts these inputs */
};

static void expect(struct group *g, long r, const char *fmt, unsigned long v)
{
	g->cases++;
	if (r == -EINVAL)
		return;
	g->wrong++;
	if (g->keel_only && kl_is_kvm())
		return;
	kl_diag(fmt, v);
	kl_diag("  -> %s", kl_errstr(r));
}

static void report(struct group *g)
{
	if (g->keel_only && kl_is_kvm()) {
		kl_skip("%s: KVM accepts these", g->what);
		return;
	}
	kl_ok(!g->wrong && g->cases, "%s: %d cases, each -EINVAL (%d not)",
	      g->what, g->cases, g->wrong);
}

static void system_ioctls(void)
{
	struct group api = { .what = "GET_API_VERSION argument bits" };
	struct group mmap_size = { .what = "GET_VCPU_MMAP_SIZE argument bits" };
	struct group type = { .what = "CREATE_VM machine type bits" };
	int sys = kl_open_dev(), b;

	for (b = 0; b < 64; b++) {
		unsigned long v = 1UL << b;

		expect(&api, kl_ioctl(sys, KEEL_GET_API_VERSION, v),
		       "GET_API_VERSION(%#lx)", v);
		expect(&mmap_size, kl_ioctl(sys, KEEL_GET_VCPU_MMAP_SIZE, v),
		       "GET_VCPU_MMAP_SIZE(%#lx)", v);
		expect(&type, kl_ioctl(sys, KEEL_CREATE_VM, v),
		       "CREATE_VM(%#lx)", v);
	}
	report(&api);
	report(&mmap_size);
	report(&type);
	close(sys);
}

static void create_vcpu(void)
{
	/* KVM truncates ids to 32 bits */
	struct group ids = { .what = "CREATE_VCPU ids out of range",
			     .keel_only = true };
	int vm = kl_ioctl(kl_open_dev(), KEEL_CREATE_VM, 0);
	long max = kl_ioctl(vm, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPU_ID);
	unsigned long bad[] = { max, max + 1, 1UL << 32, (1UL << 32) + 1,
				1UL << 63, ~0UL };
	int i, fd;

	for (i = 0; i < (int)ARRAY_SIZE(bad); i++)
		expect(&ids, kl_ioctl(vm, KEEL_CREATE_VCPU, bad[i]),
		       "CREATE_VCPU(%#lx)", bad[i]);
	report(&ids);
	/* Had 2^32 been truncated, vCPU 0 and 1 would exist now. */
	fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	if (kl_is_kvm()) {
		kl_skip("CREATE_VCPU 2^32: KVM created vCPU 0");
	} else {
		kl_ok(fd >= 0 && kl_ioctl(vm, KEEL_CREATE_VCPU, 1) >= 0,
		      "failed CREATE_VCPUs left no vCPU behind");
	}
	close(vm);
}

static int region(int vm, u32 slot, u32 flags, u64 gpa, u64 size, void *hva)
{
	struct keel_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (unsigned long)hva,
	};

	return kl_ioctl(vm, KEEL_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

static void memory_region(void)
{
	struct group flags = { .what = "SET_USER_MEMORY_REGION undefined flag bits" };
	/* KVM ignores the bits above its address space count */
	struct group as = { .what = "SET_USER_MEMORY_REGION address space bits",
			    .keel_only = true };
	struct group slots = { .what = "SET_USER_MEMORY_REGION slot ids out of range" };
	struct group modify = { .what = "SET_USER_MEMORY_REGION flag changes on a slot" };
	int vm = kl_ioctl(kl_open_dev(), KEEL_CREATE_VM, 0);
	long nslots = kl_ioctl(vm, KEEL_CHECK_EXTENSION, KEEL_CAP_NR_MEMSLOTS);
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u32 v;
	int b;

	KL_REQUIRE(region(vm, 5, 0, 0x100000, 4096, p) == 0, "slot 5");
	for (b = 2; b < 32; b++) {
		v = 1U << b;
		expect(&flags, region(vm, 6, v, 0x200000, 4096, p),
		       "flags %#lx on a new slot", v);
		expect(&modify, region(vm, 5, v, 0x100000, 4096, p),
		       "flags %#lx on slot 5", v);
	}
	expect(&modify, region(vm, 5, KEEL_MEM_READONLY, 0x100000, 4096, p),
	       "READONLY added to slot 5 (%#lx)", 5);
	/* Address space 1 is SMM in KVM; keel has none. */
	for (b = 17; b < 32; b++) {
		v = (1U << b) | 6;
		expect(&as, region(vm, v, 0, 0x200000, 4096, p),
		       "slot %#lx", v);
	}
	expect(&slots, region(vm, nslots, 0, 0x200000, 4096, p),
	       "slot id %lu", nslots);
	expect(&slots, region(vm, 0xffff, 0, 0x200000, 4096, p),
	       "slot id %#lx", 0xffff);
	report(&flags);
	report(&modify);
	report(&as);
	report(&slots);

	/*
	 * No trace: slot 6 was never created (deleting it fails), and slot 5
	 * still has its flags (re-setting it unchanged is a no-op success).
	 */
	kl_ok(region(vm, 6, 0, 0, 0, p) == -EINVAL &&
	      region(vm, 5, 0, 0x100000, 4096, p) == 0,
	      "failed SET_USER_MEMORY_REGIONs changed no slot");
	close(vm);
	munmap(p, 8192);
}

static void regs(struct kl_vcpu *vcpu)
{
	struct group rf = { .what = "SET_REGS reserved RFLAGS bits", .keel_only = true };
	struct keel_regs before, r, after;
	unsigned long v;
	int b;

	kl_get_regs(vcpu, &before);
	for (b = 0; b < 64; b++) {
		v = 1UL << b;
		if (!(v & ~0x3f7fd7UL))	/* defined bits */
			continue;
		r = before;
		r.rflags |= v;
		expect(&rf, kl_ioctl(vcpu->fd, KEEL_SET_REGS, (unsigned long)&r),
		       "RFLAGS bit %lu", b);
	}
	report(&rf);
	kl_get_regs(vcpu, &after);
	if (!kl_is_kvm())
		kl_ok(!memcmp(&before, &after, sizeof(after)),
		      "failed SET_REGS changed no register");
}

static long set_sregs(struct kl_vcpu *vcpu, const struct keel_sregs *s)
{
	return kl_ioctl(vcpu->fd, KEEL_SET_SREGS, (unsigned long)s);
}

static void sregs(struct kl_vcpu *vcpu)
{
	struct group pad = { .what = "SET_SREGS padding bytes", .keel_only = true };
	struct group range = { .what = "SET_SREGS out-of-range segment fields",
			       .keel_only = true };
	struct group ctl = { .what = "SET_SREGS reserved CR0/CR8/EFER values",
			     .keel_only = true };
	struct group irq = { .what = "SET_SREGS more than one pending interrupt",
			     .keel_only = true };
	struct keel_sregs before, s, after;
	struct keel_segment *segs[8];
	int i, b;

	kl_get_sregs(vcpu, &before);
	s = before;
	segs[0] = &s.cs; segs[1] = &s.ds; segs[2] = &s.es; segs[3] = &s.fs;
	segs[4] = &s.gs; segs[5] = &s.ss; segs[6] = &s.tr; segs[7] = &s.ldt;
	for (i = 0; i < 8; i++) {
		u8 *flag = &segs[i]->present;
		int f;

		s = before;
		segs[i]->padding = 1;
		expect(&pad, set_sregs(vcpu, &s), "segment %lu padding", i);
		/* present, dpl, db, s, l, g, avl, unusable: one byte each */
		for (f = 0; f < 8; f++) {
			s = before;
			flag[f] = f == 1 ? 4 : 2;
			expect(&range, set_sregs(vcpu, &s),
			       "segment flag byte %lu out of range", f);
		}
		s = before;
		segs[i]->type = 16;
		expect(&range, set_sregs(vcpu, &s), "segment %lu type 16", i);
	}
	for (i = 0; i < 3; i++) {
		s = before;
		s.gdt.padding[i] = 1;
		expect(&pad, set_sregs(vcpu, &s), "gdt padding[%lu]", i);
		s = before;
		s.idt.padding[i] = 0x8000;
		expect(&pad, set_sregs(vcpu, &s), "idt padding[%lu]", i);
	}
	for (b = 32; b < 64; b++) {
		s = before;
		s.cr0 |= 1UL << b;
		expect(&ctl, set_sregs(vcpu, &s), "CR0 bit %lu", b);
	}
	s = before;
	s.cr8 = 16;
	expect(&ctl, set_sregs(vcpu, &s), "CR8 %lu", 16);
	for (b = 12; b < 64; b++) {
		if (b == 14)	/* LMSLE / FFXSR / TCE exist on some CPUs */
			continue;
		s = before;
		s.efer |= 1UL << b;
		if (b > 15)
			expect(&ctl, set_sregs(vcpu, &s), "EFER bit %lu", b);
	}
	for (i = 1; i < 256; i += 37) {
		s = before;
		s.interrupt_bitmap[0] = 1;
		s.interrupt_bitmap[i / 64] |= 1UL << (i % 64);
		expect(&irq, set_sregs(vcpu, &s), "interrupts 0 and %lu", i);
	}
	report(&pad);
	report(&range);
	report(&ctl);
	report(&irq);
	kl_get_sregs(vcpu, &after);
	if (!kl_is_kvm())
		kl_ok(!memcmp(&before, &after, sizeof(after)),
		      "failed SET_SREGS changed no register");
}

static void guest_count(void)
{
	for (;;)
		GUEST_SYNC(0);
}

static void run_inputs(struct kl_vcpu *vcpu)
{
	struct group arg = { .what = "RUN argument bits" };
	struct group in = { .what = "RUN run-structure inputs", .keel_only = true };
	struct keel_run *rs = vcpu->run;
	struct keel_regs before, after;
	int i, b;

	kl_get_regs(vcpu, &before);
	for (b = 0; b < 64; b++)
		expect(&arg, kl_ioctl(vcpu->fd, KEEL_RUN, 1UL << b),
		       "RUN(1 << %lu)", b);
	report(&arg);

	for (i = 0; i < (int)sizeof(rs->padding1); i++) {
		rs->padding1[i] = 1;
		expect(&in, kl_ioctl(vcpu->fd, KEEL_RUN, 0), "padding1[%lu]", i);
		rs->padding1[i] = 0;
	}
	rs->immediate_exit = 2;
	expect(&in, kl_ioctl(vcpu->fd, KEEL_RUN, 0), "immediate_exit %lu", 2);
	rs->immediate_exit = 0;
	rs->request_interrupt_window = 2;
	expect(&in, kl_ioctl(vcpu->fd, KEEL_RUN, 0),
	       "request_interrupt_window %lu", 2);
	rs->request_interrupt_window = 0;
	for (b = 0; b < 64; b++) {
		rs->kvm_valid_regs = 1ULL << b;
		expect(&in, kl_ioctl(vcpu->fd, KEEL_RUN, 0),
		       "kvm_valid_regs bit %lu", b);
		rs->kvm_valid_regs = 0;
		rs->kvm_dirty_regs = 1ULL << b;
		expect(&in, kl_ioctl(vcpu->fd, KEEL_RUN, 0),
		       "kvm_dirty_regs bit %lu", b);
		rs->kvm_dirty_regs = 0;
	}
	report(&in);
	if (kl_is_kvm()) {
		kl_skip("RUN after bad inputs: KVM applied the sync-regs requests");
		return;
	}
	kl_get_regs(vcpu, &after);
	kl_ok(before.rip == after.rip && before.rdi == after.rdi,
	      "no failed RUN entered the guest");
	b = kl_vcpu_run(vcpu);
	kl_ok(b == 0 && rs->exit_reason == KEEL_EXIT_IO,
	      "RUN with clean inputs still runs the guest: %s",
	      kl_describe_exit(vcpu));
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm;

	system_ioctls();
	create_vcpu();
	memory_region();

	vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_count, 1, &vcpu);
	regs(vcpu);
	sregs(vcpu);
	run_inputs(vcpu);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
