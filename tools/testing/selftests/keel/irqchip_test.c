// SPDX-License-Identifier: GPL-2.0
/*
 * The full in-kernel irqchip (KEEL_CREATE_IRQCHIP): the guest programs
 * the IOAPIC and the 8259 pair itself and takes the interrupts that
 * KEEL_IRQ_LINE(_STATUS) and irqfds raise.
 *
 * - IOAPIC level pin: remote IRR holds a line that stays high, the EOI
 *   sends it again, lowering it ends it; edge pin: one interrupt per
 *   rising edge, a held line is coalesced.
 * - PIC cascade: a slave IRQ arrives through the master's pin 2 as the
 *   BSP's ExtINT (LINT0 is ExtINT from reset), with both in-service
 *   bits set in the handler; the master's IRQ 1 goes before the slave's
 *   IRQ 12.
 * - KEEL_GET/SET_IRQCHIP: GET, SET, GET is an identity mid-run; a guest
 *   moved to a new VM with an IRQ in service and a lower one pending, or
 *   with a level line in remote IRR, carries on correctly.
 * - A resampling irqfd: one interrupt per signal, the resamplefd hears
 *   each EOI.
 * - Bad input for every new ioctl, with the state unchanged.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "guest_pic.h"
#include "ucall.h"
#include "vcpu_state.h"

#define IOAPIC_MMIO	0xfec00000UL
#define RTE_LEVEL	BIT(15)
#define RTE_MASKED	BIT(16)
#define RTE_REMOTE_IRR	BIT(14)

static volatile u64 cnt[256];
static volatile u64 seq;		/* vectors taken, last in the low byte */
static volatile u64 isr_seen;		/* master ISR << 8 | slave ISR */
static volatile u64 mode;		/* what the handler does: see hook */
/* Set by the host for kvm_amd under QEMU TCG (see guest_wait_irq()). */
static volatile u64 spin_wait;

static KL_NO_VECTOR void ioapic_write(u32 reg, u32 v)
{
	*(volatile u32 *)IOAPIC_MMIO = reg;
	*(volatile u32 *)(IOAPIC_MMIO + 0x10) = v;
}

static KL_NO_VECTOR u32 ioapic_read(u32 reg)
{
	*(volatile u32 *)IOAPIC_MMIO = reg;
	return *(volatile u32 *)(IOAPIC_MMIO + 0x10);
}

static KL_NO_VECTOR void rte_set(int pin, u32 lo)
{
	ioapic_write(0x11 + 2 * pin, 0);	/* destination APIC 0 */
	ioapic_write(0x10 + 2 * pin, lo);
}

enum { M_EOI, M_SYNC_FIRST };

static KL_NO_VECTOR void hook(u64 v)
{
	cnt[v]++;
	seq = (seq << 8) | v;
	if (v >= 0x30 && v < 0x40) {
		/* PIC: look at both in-service registers (OCW3), then EOI. */
		guest_outb(0x20, 0x0b);
		guest_outb(0xa0, 0x0b);
		isr_seen = (u64)guest_inb(0x20) << 8 | guest_inb(0xa0);
		if (mode == M_SYNC_FIRST && v == 0x31)
			GUEST_SYNC(11);		/* IRQ 1 in service */
		if (v >= 0x38)
			guest_outb(0xa0, 0x20);
		guest_outb(0x20, 0x20);
		return;
	}
	/* IOAPIC: report the level pin with its remote IRR, then EOI. */
	if (v == 0x50)
		GUEST_SYNC2(0x50, ioapic_read(0x10 + 2 * 10));
	apic_write(R_EOI, 0);
}

/* Enable interrupts until @n interrupts of vector @v were taken. */
static KL_NO_VECTOR void wait_for(u8 v, u64 n)
{
	while (cnt[v] < n)
		guest_wait_irq(spin_wait);
	/* Give anything that should not come a chance to. */
	for (int i = 0; i < 100; i++)
		asm volatile("sti; nop; cli" ::: "memory");
}

static void guest_main(void)
{
	kl_irq_hook = hook;
	guest_outb(0x21, 0xff);		/* PICs masked: IOAPIC first */
	guest_outb(0xa1, 0xff);
	apic_write(R_SPIV, 0x1ff);
	rte_set(10, RTE_LEVEL | 0x50);
	rte_set(11, 0x51);
	GUEST_SYNC(1);
	wait_for(0x50, 2);
	GUEST_SYNC2(2, cnt[0x50]);
	wait_for(0x51, 1);
	GUEST_SYNC(4);
	wait_for(0x51, 2);
	GUEST_SYNC2(5, cnt[0x51]);

	/* The 8259s: master at 0x30, slave at 0x38 on pin 2. */
	rte_set(10, RTE_MASKED | RTE_LEVEL | 0x50);
	rte_set(11, RTE_MASKED | 0x51);
	guest_pic_init(0x30, 0x38);
	guest_outb(0x21, (u8)~(BIT(1) | BIT(2) | BIT(3)));
	guest_outb(0xa1, (u8)~BIT(4));
	GUEST_SYNC2(6, apic_read(0x350));
	wait_for(0x3c, 1);
	GUEST_SYNC2(7, isr_seen);
	seq = 0;
	GUEST_SYNC(8);
	wait_for(0x3c, 2);
	GUEST_SYNC2(9, seq);

	/* In service and pending across a move. */
	seq = 0;
	mode = M_SYNC_FIRST;
	GUEST_SYNC(10);
	wait_for(0x33, 1);
	GUEST_SYNC2(12, seq);
	mode = M_EOI;

	/* A level line in remote IRR across a move. */
	guest_outb(0x21, 0xff);
	guest_outb(0xa1, 0xff);
	rte_set(10, RTE_LEVEL | 0x50);
	GUEST_SYNC(13);
	wait_for(0x50, 4);
	GUEST_SYNC2(15, cnt[0x50]);

	/* Resampling irqfd on pin 5, plain irqfd on the edge pin 11. */
	rte_set(5, RTE_LEVEL | 0x55);
	rte_set(11, 0x51);
	GUEST_SYNC(16);
	wait_for(0x55, 1);
	GUEST_SYNC2(17, cnt[0x55]);
	wait_for(0x55, 2);
	wait_for(0x51, 3);
	GUEST_SYNC2(18, cnt[0x55] << 8 | cnt[0x51]);
	GUEST_DONE();
}

static u64 run_sync(struct kl_vcpu *vcpu, struct kl_ucall *uc, u64 want)
{
	u64 cmd = kl_run_ucall(vcpu, uc);

	KL_REQUIRE(cmd == KL_UCALL_SYNC && uc->args[0] == want,
		   "expected sync %llu, got cmd %llu arg %#llx",
		   (unsigned long long)want, (unsigned long long)cmd,
		   (unsigned long long)uc->args[0]);
	return uc->args[1];
}

static int irq_line(struct kl_vm *vm, u32 irq, u32 level)
{
	struct keel_irq_level l = { .irq = irq, .level = level };
	int r = kl_ioctlp(vm->fd, KEEL_IRQ_LINE_STATUS, &l);

	KL_REQUIRE(!r, "IRQ_LINE_STATUS %u %u: %s", irq, level, kl_errstr(r));
	return l.status;
}

static void get_chip(struct kl_vm *vm, u32 id, struct keel_irqchip *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->chip_id = id;
	r = kl_ioctlp(vm->fd, KEEL_GET_IRQCHIP, c);
	KL_REQUIRE(!r, "GET_IRQCHIP %u: %s", id, kl_errstr(r));
}

/* GET, SET, GET on each chip gives what the first GET gave. */
static bool chips_roundtrip(struct kl_vm *vm)
{
	struct keel_irqchip a, b;
	bool same = true;
	u32 i;

	for (i = 0; i < 3; i++) {
		get_chip(vm, i, &a);
		if (kl_ioctlp(vm->fd, KEEL_SET_IRQCHIP, &a))
			return false;
		get_chip(vm, i, &b);
		same &= !memcmp(&a, &b, sizeof(a));
	}
	return same;
}

static void test_ioapic_pic(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct keel_irqchip io;
	struct kl_vcpu *vcpu;
	struct kl_ucall uc;
	int s1, s2, s3, s4;
	u64 v;

	kl_vm_create_irqchip(vm);
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_main, 0, 0);
	*(volatile u64 *)kl_gpa_to_hva(vm, (u64)&spin_wait) =
		kl_is_kvm() && kl_host_is_qemu_tcg();

	/* IOAPIC level pin 10 (the PIC's IRQ 10 is masked). */
	run_sync(vcpu, &uc, 1);
	s1 = irq_line(vm, 10, 1);
	v = run_sync(vcpu, &uc, 0x50);
	get_chip(vm, KEEL_IRQCHIP_IOAPIC, &io);
	s2 = irq_line(vm, 10, 1);
	kl_ok(s1 == 1 && (v & RTE_REMOTE_IRR) &&
	      (io.chip.ioapic.redirtbl[10] & RTE_REMOTE_IRR) &&
	      (io.chip.ioapic.irr & BIT(10)) && s2 == -1,
	      "level line sent (%d), in remote IRR, raising again held (%d)",
	      s1, s2);
	v = run_sync(vcpu, &uc, 0x50);
	kl_ok(v & RTE_REMOTE_IRR,
	      "the EOI with the line still high sent it again");
	irq_line(vm, 10, 0);
	v = run_sync(vcpu, &uc, 2);
	get_chip(vm, KEEL_IRQCHIP_IOAPIC, &io);
	kl_ok(v == 2 && !(io.chip.ioapic.redirtbl[10] & RTE_REMOTE_IRR) &&
	      !(io.chip.ioapic.irr & BIT(10)),
	      "lowered before the EOI: no third interrupt, remote IRR clear (%llu)",
	      (unsigned long long)v);

	/* IOAPIC edge pin 11. */
	s1 = irq_line(vm, 11, 1);
	run_sync(vcpu, &uc, 4);
	s2 = irq_line(vm, 11, 1);
	s3 = irq_line(vm, 11, 0);
	s4 = irq_line(vm, 11, 1);
	v = run_sync(vcpu, &uc, 5);
	kl_ok(v == 2 && s1 == 1 && s2 == 0 && s3 == 1 && s4 == 1,
	      "edge pin: held line coalesced (%d), new edge sent (%d %d %d): %llu",
	      s2, s1, s3, s4, (unsigned long long)v);

	/* PIC cascade. */
	v = run_sync(vcpu, &uc, 6);
	kl_ok(v == 0x700, "the BSP's LINT0 is ExtINT from reset: %#llx",
	      (unsigned long long)v);
	s1 = irq_line(vm, 12, 1);
	irq_line(vm, 12, 0);
	v = run_sync(vcpu, &uc, 7);
	kl_ok(s1 == 1 && v == 0x0410,
	      "slave IRQ 12 came as 0x3c, master/slave ISR %#llx (status %d)",
	      (unsigned long long)v, s1);
	run_sync(vcpu, &uc, 8);
	irq_line(vm, 12, 1);
	irq_line(vm, 12, 0);
	irq_line(vm, 1, 1);
	irq_line(vm, 1, 0);
	s1 = irq_line(vm, 5, 1);
	irq_line(vm, 5, 0);
	v = run_sync(vcpu, &uc, 9);
	kl_ok(v == 0x313c, "IRQ 1 and IRQ 12 together: 0x31, then 0x3c (%#llx)",
	      (unsigned long long)v);
	kl_ok(s1 == -1, "a line masked in the PIC and the IOAPIC: status %d",
	      s1);

	/* IRQ 1 in service, IRQ 3 pending behind it: move the VM. */
	run_sync(vcpu, &uc, 10);
	irq_line(vm, 1, 1);
	irq_line(vm, 1, 0);
	run_sync(vcpu, &uc, 11);
	irq_line(vm, 3, 1);
	irq_line(vm, 3, 0);
	kl_ok(chips_roundtrip(vm),
	      "GET_IRQCHIP, SET_IRQCHIP, GET_IRQCHIP is an identity mid-run");
	vcpu = kl_move_vm(vcpu, KL_MEM_DEFAULT, true);
	vm = vcpu->vm;
	v = run_sync(vcpu, &uc, 12);
	kl_ok(v == 0x3133, "moved with IRQ 1 in service, IRQ 3 pending: 3 after the EOI (%#llx)",
	      (unsigned long long)v);

	/* A level line in remote IRR: move, EOI, sent again. */
	run_sync(vcpu, &uc, 13);
	irq_line(vm, 10, 1);
	run_sync(vcpu, &uc, 0x50);
	vcpu = kl_move_vm(vcpu, KL_MEM_DEFAULT, true);
	vm = vcpu->vm;
	v = run_sync(vcpu, &uc, 0x50);
	irq_line(vm, 10, 0);
	kl_ok(v & RTE_REMOTE_IRR,
	      "moved in remote IRR: the EOI in the new VM resent the high line");
	v = run_sync(vcpu, &uc, 15);
	kl_ok(v == 4, "... and only once (%llu interrupts in all)",
	      (unsigned long long)v);

	/* irqfds: a resampling one on level pin 5, a plain one on pin 11. */
	{
		int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		int efd2 = eventfd(0, EFD_CLOEXEC);
		struct keel_irqfd a = { .fd = efd, .gsi = 5,
					.flags = KEEL_IRQFD_FLAG_RESAMPLE,
					.resamplefd = rfd };
		struct keel_irqfd b = { .fd = efd2, .gsi = 11 };
		u64 one = 1, got = 0;
		int r;

		run_sync(vcpu, &uc, 16);
		r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
		KL_REQUIRE(!r, "IRQFD RESAMPLE: %s", kl_errstr(r));
		r = kl_ioctlp(vm->fd, KEEL_IRQFD, &b);
		KL_REQUIRE(!r, "IRQFD: %s", kl_errstr(r));
		KL_REQUIRE(write(efd, &one, 8) == 8, "write");
		v = run_sync(vcpu, &uc, 17);
		r = read(rfd, &got, 8);
		get_chip(vm, KEEL_IRQCHIP_IOAPIC, &io);
		kl_ok(v == 1 && r == 8 && got == 1 &&
		      !(io.chip.ioapic.irr & BIT(5)),
		      "resampling irqfd: %llu interrupt, EOI signalled resamplefd (%llu)",
		      (unsigned long long)v, (unsigned long long)got);
		KL_REQUIRE(write(efd, &one, 8) == 8, "write");
		KL_REQUIRE(write(efd2, &one, 8) == 8, "write");
		v = run_sync(vcpu, &uc, 18);
		kl_ok(v == 0x203, "resampled, then plain irqfd on the edge pin (%#llx)",
		      (unsigned long long)v);
		a.flags = KEEL_IRQFD_FLAG_DEASSIGN;
		a.resamplefd = 0;
		r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
		kl_ok(!r, "DEASSIGN of the resampling irqfd: %s", kl_errstr(r));
		close(efd);
		close(efd2);
		close(rfd);
	}
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finished");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

/* A SET_IRQCHIP that must fail and leave the chip as it was. */
static int bad_set(struct kl_vm *vm, const char *what,
		   const struct keel_irqchip *c)
{
	struct keel_irqchip before, after;
	int r;

	get_chip(vm, c->chip_id, &before);
	r = kl_ioctlp(vm->fd, KEEL_SET_IRQCHIP, c);
	get_chip(vm, c->chip_id, &after);
	if (r == -EINVAL && !memcmp(&before, &after, sizeof(before)))
		return 0;
	kl_diag("%s: %s%s", what, kl_errstr(r),
		memcmp(&before, &after, sizeof(before)) ? ", state changed" : "");
	return 1;
}

static void test_bad_input(void)
{
	struct keel_irq_level l = { .irq = 1, .level = 1 };
	struct keel_irqchip c = { .chip_id = 0 }, base;
	struct keel_interrupt intr = { .irq = 0x30 };
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(0);
	struct kl_vcpu *vcpu;
	int r, wrong, n, i;

	r = kl_ioctlp(vm->fd, KEEL_IRQ_LINE, &l);
	kl_ok(r == -ENXIO, "IRQ_LINE without an irqchip: %s", kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_GET_IRQCHIP, &c);
	kl_ok(r == -ENXIO, "GET_IRQCHIP without an irqchip: %s", kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_SET_IRQCHIP, &c);
	kl_ok(r == -ENXIO, "SET_IRQCHIP without an irqchip: %s", kl_errstr(r));
	vcpu = kl_vcpu_add(vm, 0);
	r = kl_ioctl(vm->fd, KEEL_CREATE_IRQCHIP, 0);
	kl_ok(r == -EINVAL, "CREATE_IRQCHIP after a vCPU: %s", kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);

	vm = kl_vm_create(0);
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "SPLIT_IRQCHIP: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_CREATE_IRQCHIP, 0);
	kl_ok(r == -EEXIST, "CREATE_IRQCHIP with a split irqchip: %s",
	      kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_GET_IRQCHIP, &c);
	kl_ok(r == -ENXIO, "GET_IRQCHIP with a split irqchip: %s", kl_errstr(r));
	{
		int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC);
		struct keel_irqfd a = { .fd = efd, .gsi = 5,
					.flags = KEEL_IRQFD_FLAG_RESAMPLE,
					.resamplefd = rfd };

		r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
		kl_ok(r == -EINVAL, "IRQFD RESAMPLE with a split irqchip: %s",
		      kl_errstr(r));
		close(efd);
		close(rfd);
	}
	kl_vm_free(vm);

	vm = kl_vm_create(0);
	kl_vm_create_irqchip(vm);
	r = kl_ioctl(vm->fd, KEEL_CREATE_IRQCHIP, 0);
	kl_ok(r == -EEXIST, "CREATE_IRQCHIP twice: %s", kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	kl_ok(r == -EEXIST, "SPLIT_IRQCHIP after CREATE_IRQCHIP: %s",
	      kl_errstr(r));
	vcpu = kl_vcpu_add(vm, 0);
	r = kl_ioctlp(vcpu->fd, KEEL_INTERRUPT, &intr);
	kl_ok(r == -ENXIO, "KEEL_INTERRUPT with the in-kernel PIC: %s",
	      kl_errstr(r));
	c.chip_id = 3;
	r = kl_ioctlp(vm->fd, KEEL_GET_IRQCHIP, &c);
	kl_ok(r == -EINVAL, "GET_IRQCHIP chip 3: %s", kl_errstr(r));
	r = kl_ioctlp(vm->fd, KEEL_SET_IRQCHIP, &c);
	kl_ok(r == -EINVAL, "SET_IRQCHIP chip 3: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_GET_IRQCHIP, 8);
	kl_ok(r == -EFAULT, "GET_IRQCHIP from a bad pointer: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_IRQ_LINE_STATUS, 8);
	kl_ok(r == -EFAULT, "IRQ_LINE_STATUS from a bad pointer: %s",
	      kl_errstr(r));

	/* QEMU leaves pad and the rest of the union uninitialised. */
	get_chip(vm, KEEL_IRQCHIP_PIC_SLAVE, &c);
	c.pad = 0xdeadbeef;
	memset(c.chip.dummy + sizeof(c.chip.pic), 0xa5,
	       sizeof(c.chip.dummy) - sizeof(c.chip.pic));
	r = kl_ioctlp(vm->fd, KEEL_SET_IRQCHIP, &c);
	kl_ok(!r, "SET_IRQCHIP ignores pad and the union's tail: %s",
	      kl_errstr(r));

	if (kl_is_kvm()) {
		kl_skip("keel's IRQ_LINE, SET_IRQCHIP checks: KVM takes anything");
	} else {
		l.level = 2;
		r = kl_ioctlp(vm->fd, KEEL_IRQ_LINE, &l);
		l.level = 1;
		l.irq = 4096;
		if (r == -EINVAL)
			r = kl_ioctlp(vm->fd, KEEL_IRQ_LINE_STATUS, &l);
		kl_ok(r == -EINVAL, "IRQ_LINE level 2 and GSI 4096: %s",
		      kl_errstr(r));

		wrong = 0;
		n = 0;
		get_chip(vm, KEEL_IRQCHIP_PIC_MASTER, &base);
#define PIC_BAD(field, val) do {					\
		c = base; c.chip.pic.field = val; n++;			\
		wrong += bad_set(vm, "PIC " #field " " #val, &c);	\
	} while (0)
		PIC_BAD(read_reg_select, 2);
		PIC_BAD(poll, 2);
		PIC_BAD(auto_eoi, 2);
		PIC_BAD(init4, 5);
		PIC_BAD(priority_add, 8);
		PIC_BAD(init_state, 4);
		PIC_BAD(irq_base, 0x31);
		PIC_BAD(elcr_mask, 0xff);
		PIC_BAD(elcr, 0x01);
		get_chip(vm, KEEL_IRQCHIP_IOAPIC, &base);
#define IO_BAD(stmt, what) do {						\
		c = base; stmt; n++;					\
		wrong += bad_set(vm, what, &c);				\
	} while (0)
		IO_BAD(c.chip.ioapic.base_address = 0xfec01000, "IOAPIC moved");
		IO_BAD(c.chip.ioapic.ioregsel = 0x100, "IOREGSEL 0x100");
		IO_BAD(c.chip.ioapic.id = 16, "IOAPIC ID 16");
		IO_BAD(c.chip.ioapic.irr = BIT(24), "IRR bit 24");
		IO_BAD(c.chip.ioapic.redirtbl[3] |= BIT(17), "RTE bit 17");
		IO_BAD(c.chip.ioapic.redirtbl[3] |= 1ULL << 48, "RTE bit 48");
		IO_BAD(c.chip.ioapic.redirtbl[3] = RTE_REMOTE_IRR | 0x40,
		       "remote IRR on an edge entry");
		kl_ok(!wrong, "SET_IRQCHIP: %d bad states, -EINVAL, chip unchanged (%d not)",
		      n, wrong);
	}

	/* Routes to pins that do not exist. */
	{
		struct {
			struct keel_irq_routing h;
			struct keel_irq_routing_entry e[1];
		} rt = { .h.nr = 1 };
		static const u32 bad[][2] = {
			{ 3, 0 }, { KEEL_IRQCHIP_PIC_MASTER, 8 },
			{ KEEL_IRQCHIP_PIC_SLAVE, 8 }, { KEEL_IRQCHIP_IOAPIC, 24 },
		};

		rt.e[0].type = KEEL_IRQ_ROUTING_IRQCHIP;
		for (i = 0, wrong = 0; i < 4; i++) {
			rt.e[0].u.irqchip.irqchip = bad[i][0];
			rt.e[0].u.irqchip.pin = bad[i][1];
			r = kl_ioctlp(vm->fd, KEEL_SET_GSI_ROUTING, &rt);
			wrong += r != -EINVAL;
		}
		kl_ok(!wrong, "routes to chip 3, PIC pins 8, IOAPIC pin 24: -EINVAL (%d not)",
		      wrong);
	}

	/* irqfd resampling: a bad resamplefd, flags keel refuses. */
	{
		int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC);
		struct keel_irqfd a = { .fd = efd, .gsi = 5,
					.flags = KEEL_IRQFD_FLAG_RESAMPLE,
					.resamplefd = 1000 };

		r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
		kl_ok(r == -EBADF, "IRQFD RESAMPLE with a closed resamplefd: %s",
		      kl_errstr(r));
		if (!kl_is_kvm()) {
			a.resamplefd = rfd;
			a.flags = 0;
			r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
			a.flags = KEEL_IRQFD_FLAG_RESAMPLE |
				  KEEL_IRQFD_FLAG_DEASSIGN;
			if (r == -EINVAL)
				r = kl_ioctlp(vm->fd, KEEL_IRQFD, &a);
			kl_ok(r == -EINVAL, "IRQFD resamplefd w/o RESAMPLE, +DEASSIGN: %s",
			      kl_errstr(r));
		}
		close(efd);
		close(rfd);
	}
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	test_ioapic_pic();
	test_bad_input();
	return kl_finish();
}
