// SPDX-License-Identifier: GPL-2.0
/*
 * MSIs into the in-kernel local APIC and GSI routing with a split
 * irqchip: KEEL_SIGNAL_MSI from another thread wakes a halted guest; with
 * MSI routes for the userspace IOAPIC's pins, the guest's EOI of a
 * level-triggered vector they use exits with KEEL_EXIT_IOAPIC_EOI, while
 * edge-triggered vectors, routes above the reserved pins and a cleared
 * table do not. Every bad routing table and message is refused, and a
 * refused table leaves the old one in place.
 */
#include <pthread.h>
#include <unistd.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define MSI_ADDR(d)	(0xfee00000 | ((d) << 12))
#define LEVEL		BIT(15)

static volatile u64 vec_count[256];
static volatile u64 ready;

static KL_NO_VECTOR void eoi_hook(u64 vector)
{
	vec_count[vector]++;
	*(volatile u32 *)(APIC_MMIO + R_EOI) = 0;
}

static void guest_msi(void)
{
	kl_irq_hook = eoi_hook;
	*(volatile u32 *)(APIC_MMIO + R_SPIV) = 0x1ff;
	ready = 1;
	while (!vec_count[0x45])
		asm volatile("sti; hlt; cli" ::: "memory");
	GUEST_SYNC(1);
	asm volatile("sti; nop; cli");
	GUEST_SYNC2(vec_count[0x46] + vec_count[0x47] + vec_count[0x48], 2);
	asm volatile("sti; nop; cli");
	GUEST_SYNC2(vec_count[0x46], 3);
	GUEST_DONE();
}

static int signal_msi(int vm, u32 addr, u32 data)
{
	struct keel_msi m = { .address_lo = addr, .data = data };

	return kl_ioctlp(vm, KEEL_SIGNAL_MSI, &m);
}

struct routes {
	struct keel_irq_routing h;
	struct keel_irq_routing_entry e[8];
};

static int set_routes(int vm, struct routes *rt, u32 nr)
{
	rt->h.nr = nr;
	return kl_ioctlp(vm, KEEL_SET_GSI_ROUTING, rt);
}

static void msi_route(struct keel_irq_routing_entry *e, u32 gsi, u32 data)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KEEL_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = MSI_ADDR(0);
	e->u.msi.data = data;
}

static void *run_vcpu(void *p)
{
	struct kl_vcpu *vcpu = p;
	struct kl_ucall uc;

	return (void *)(unsigned long)kl_run_ucall(vcpu, &uc);
}

/* RUN until a ucall or an IOAPIC EOI exit; the EOI vectors seen. */
static u64 run_collect_eois(struct kl_vcpu *vcpu, struct kl_ucall *uc,
			    u64 *eois)
{
	for (;;) {
		int r = kl_vcpu_run(vcpu);

		KL_REQUIRE(!r, "RUN: %s", kl_errstr(r));
		if (vcpu->run->exit_reason != KEEL_EXIT_IOAPIC_EOI)
			return kl_get_ucall(vcpu, uc);
		*eois = (*eois << 8) | vcpu->run->eoi.vector;
	}
}

static void test_msi(void)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct routes rt, bad;
	struct kl_vcpu *vcpu;
	struct kl_ucall uc;
	u64 eois = 0;
	void *ret;
	pthread_t t;
	int r, i;

	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "SPLIT_IRQCHIP: %s", kl_errstr(r));
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_msi, 0, 0);

	pthread_create(&t, NULL, run_vcpu, vcpu);
	for (i = 0; i < 5000 && !*(volatile u64 *)kl_gpa_to_hva(vm, (u64)&ready); i++)
		usleep(1000);
	usleep(20000);		/* let it halt */
	r = signal_msi(vm->fd, MSI_ADDR(0), 0x45);
	kl_ok(r == 1, "SIGNAL_MSI to APIC 0 reached one APIC: %d", r);
	pthread_join(t, &ret);
	kl_ok((u64)(unsigned long)ret == KL_UCALL_SYNC,
	      "... and woke the halted guest, which took vector 0x45");

	/* GSI 3 level and GSI 4 edge are IOAPIC pins; GSI 30 is not. */
	msi_route(&rt.e[0], 3, LEVEL | 0x46);
	msi_route(&rt.e[1], 30, LEVEL | 0x47);
	msi_route(&rt.e[2], 4, 0x48);
	r = set_routes(vm->fd, &rt, 3);
	kl_ok(!r, "SET_GSI_ROUTING with three MSI routes: %s", kl_errstr(r));
	r = signal_msi(vm->fd, MSI_ADDR(0), LEVEL | 0x46);
	r |= signal_msi(vm->fd, MSI_ADDR(0), LEVEL | 0x47);
	r |= signal_msi(vm->fd, MSI_ADDR(0), 0x48);
	KL_REQUIRE(r == 1, "SIGNAL_MSI");
	ret = (void *)(unsigned long)run_collect_eois(vcpu, &uc, &eois);
	kl_ok(ret == (void *)KL_UCALL_SYNC && uc.args[0] == 3 && eois == 0x46,
	      "the guest took 0x48, 0x47, 0x46; only 0x46's EOI exited (%#llx)",
	      (unsigned long long)eois);

	/* A refused table leaves the old one: 0x46 still exits. */
	bad = rt;
	bad.e[2].gsi = bad.e[0].gsi;
	r = set_routes(vm->fd, &bad, 3);
	kl_ok(r == -EINVAL, "a table with two MSI routes for GSI 3: %s",
	      kl_errstr(r));
	if (!r)
		set_routes(vm->fd, &rt, 3);
	signal_msi(vm->fd, MSI_ADDR(0), LEVEL | 0x46);
	eois = 0;
	ret = (void *)(unsigned long)run_collect_eois(vcpu, &uc, &eois);
	kl_ok(ret == (void *)KL_UCALL_SYNC && uc.args[1] == 3 && eois == 0x46,
	      "after the refused table 0x46's EOI still exits (%#llx)",
	      (unsigned long long)eois);
	r = set_routes(vm->fd, &rt, 0);
	signal_msi(vm->fd, MSI_ADDR(0), LEVEL | 0x46);
	eois = 0;
	ret = (void *)(unsigned long)run_collect_eois(vcpu, &uc, &eois);
	kl_ok(!r && ret == (void *)KL_UCALL_DONE && !eois,
	      "an empty table: no EOI exit (%#llx)", (unsigned long long)eois);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

struct bad_route {
	const char *what;
	bool keel_only;
	void (*apply)(struct routes *rt, u32 *nr);
};

#define BAD(name, body) \
	static void bad_##name(struct routes *rt, u32 *nr) { body; }
BAD(gsi, rt->e[0].gsi = 4096)
BAD(type3, rt->e[0].type = 3)
BAD(type0, rt->e[0].type = 0)
BAD(flags, rt->e[0].flags = 1)
BAD(flags2, rt->e[0].flags = 2)
static void bad_irqchip(struct routes *rt, u32 *nr)
{
	rt->e[0].type = KEEL_IRQ_ROUTING_IRQCHIP;
	rt->e[0].u.irqchip.irqchip = KEEL_IRQCHIP_IOAPIC;
	rt->e[0].u.irqchip.pin = 3;
}

BAD(two_msi, rt->e[1].gsi = rt->e[0].gsi)
BAD(pad, rt->e[0].pad = 1)
BAD(msi_pad, rt->e[0].u.msi.pad = 1)
BAD(union_pad, rt->e[0].u.pad[7] = 1)
BAD(hdr_flags, rt->h.flags = 1)
BAD(nr, *nr = 4097)

static const struct bad_route bad_routes[] = {
	{ "GSI 4096", false, bad_gsi },
	{ "type 3 (s390 adapter)", false, bad_type3 },
	{ "type 0", false, bad_type0 },
	{ "entry flags 2", false, bad_flags2 },
	{ "entry flags 1 (KVM's VALID_DEVID, not x86)", true, bad_flags },
	{ "an IOAPIC pin with a split irqchip", false, bad_irqchip },
	{ "two MSI routes for one GSI", false, bad_two_msi },
	{ "table flags 1", false, bad_hdr_flags },
	{ "4097 entries", false, bad_nr },
	{ "entry pad", true, bad_pad },
	{ "MSI pad", true, bad_msi_pad },
	{ "unused union word", true, bad_union_pad },
};

/*
 * Messages a guest may write into a device's MSI registers or an IOAPIC
 * entry, and QEMU's all-zero placeholder: routes take them, since the
 * VMM passes them through (QEMU aborts if the update fails).
 */
static const struct { u32 lo, hi, data; } guest_msgs[] = {
	{ 0, 0, 0 },
	{ 0xfec00000, 0, 0x41 },
	{ 0xfee00000, 1, 0x41 },
	{ 0xfee00020, 0, 0x41 },
	{ 0xfee00000, 0, 0x10041 },
	{ 0xfee00000, 0, 0x341 },
};

static void test_bad_input(void)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(0);
	struct keel_msi m = { .address_lo = MSI_ADDR(0), .data = 0x40 };
	struct routes rt;
	int r, i, n = 0, wrong = 0;

	r = set_routes(vm->fd, &rt, 0);
	kl_ok(r == -EINVAL, "SET_GSI_ROUTING without an irqchip: %s",
	      kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_SIGNAL_MSI, &m);
	kl_ok(r == -EINVAL, "SIGNAL_MSI without an irqchip: %s", kl_errstr(r));
	kl_vm_free(vm);

	vm = kl_vm_create(0);
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "SPLIT_IRQCHIP: %s", kl_errstr(r));
	for (i = 0; i < (int)ARRAY_SIZE(bad_routes); i++) {
		u32 nr = 2;

		if (bad_routes[i].keel_only && kl_is_kvm())
			continue;
		memset(&rt, 0, sizeof(rt));
		msi_route(&rt.e[0], 1, 0x41);
		msi_route(&rt.e[1], 2, 0x42);
		bad_routes[i].apply(&rt, &nr);
		rt.h.nr = nr;
		r = kl_ioctlp(vm->fd, KEEL_SET_GSI_ROUTING, &rt);
		n++;
		if (r != -EINVAL) {
			kl_diag("%s: %s", bad_routes[i].what, kl_errstr(r));
			wrong++;
		}
	}
	kl_ok(!wrong, "SET_GSI_ROUTING bad input: %d cases, each -EINVAL (%d not)",
	      n, wrong);
	memset(&rt, 0, sizeof(rt));
	for (i = 0; i < (int)ARRAY_SIZE(guest_msgs); i++) {
		msi_route(&rt.e[i], i, 0);
		rt.e[i].u.msi.address_lo = guest_msgs[i].lo;
		rt.e[i].u.msi.address_hi = guest_msgs[i].hi;
		rt.e[i].u.msi.data = guest_msgs[i].data;
	}
	r = set_routes(vm->fd, &rt, ARRAY_SIZE(guest_msgs));
	kl_ok(!r, "SET_GSI_ROUTING takes %zu guest-written MSI messages, %s: %s",
	      ARRAY_SIZE(guest_msgs), "QEMU's zero placeholder included", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_SET_GSI_ROUTING, 8);
	kl_ok(r == -EFAULT, "SET_GSI_ROUTING from a bad pointer: %s",
	      kl_errstr(r));

	m.flags = 2;
	r = kl_ioctlp(vm->fd, KEEL_SIGNAL_MSI, &m);
	kl_ok(r == -EINVAL, "SIGNAL_MSI flags 2: %s", kl_errstr(r));
	m.flags = 0;
	if (kl_is_kvm()) {
		kl_skip("SIGNAL_MSI strictness: KVM takes devid, pad, any address");
	} else {
		struct keel_msi bads[5];

		for (i = 0; i < 5; i++)
			bads[i] = m;
		bads[0].flags = 1;		/* KVM's VALID_DEVID: not x86 */
		bads[1].devid = 1;
		bads[2].pad[11] = 1;
		bads[3].address_hi = 1;
		bads[4].address_lo = 0xfed00000;
		for (i = 0, wrong = 0; i < 5; i++)
			wrong += kl_ioctlp(vm->fd, KEEL_SIGNAL_MSI, &bads[i]) !=
				 -EINVAL;
		kl_ok(!wrong, "SIGNAL_MSI: 5 malformed messages, each -EINVAL (%d not)",
		      wrong);
	}
	r = kl_ioctl(vm->fd, KEEL_SIGNAL_MSI, 8);
	kl_ok(r == -EFAULT, "SIGNAL_MSI from a bad pointer: %s", kl_errstr(r));
	kl_vm_free(vm);
}

int main(void)
{
	test_msi();
	test_bad_input();
	return kl_finish();
}
