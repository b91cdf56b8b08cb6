// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the in-kernel IOAPIC (KEEL_CREATE_IRQCHIP), 24 pins at
 * 0xfec00000, version 0x11 as KVM's.
 *
 * A pin's redirection entry turns its line into an APIC message. Edge
 * pins send one per rising edge. Level pins send while the line is high
 * and no earlier message is in service (remote IRR); the guest's EOI of
 * the vector clears remote IRR and, if the line is still high, sends
 * again. The guest reaches the registers through IOREGSEL (0x00) and
 * IOWIN (0x10); 0x40 is the EOI register of later IOAPIC versions,
 * which KVM also answers.
 */
#include <linux/slab.h>

#include <keel/core.h>
#include <keel/irqchip.h>

#define IOAPIC_MMIO_LEN		0x100
#define IOAPIC_REG_SELECT	0x00
#define IOAPIC_REG_WINDOW	0x10
#define IOAPIC_REG_EOI		0x40

#define IOAPIC_ID		0x00
#define IOAPIC_VER		0x01
#define IOAPIC_ARB		0x02
#define IOAPIC_REDTBL		0x10

#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY_STATUS	BIT_ULL(12)
#define RTE_REMOTE_IRR		BIT_ULL(14)
#define RTE_LEVEL		BIT_ULL(15)
#define RTE_MASKED		BIT_ULL(16)
/* What a redirection entry holds: bits 17-55 are reserved. */
#define RTE_VALID		(GENMASK_ULL(16, 0) | GENMASK_ULL(63, 56))
/* ... and what the guest may write: status and remote IRR are RO. */
#define RTE_WRITABLE		(RTE_VALID & ~RTE_DELIVERY_STATUS & \
				 ~RTE_REMOTE_IRR)

static bool rte_level(u64 e)
{
	return e & RTE_LEVEL;
}

/* Send @pin's message; the count of APICs that took it, -1 if held. */
static int ioapic_service(struct keel_ioapic *io, int pin)
{
	u64 *e = &io->s.redirtbl[pin];
	struct keel_msi_target t = {
		.dest = *e >> 56,
		.vector = *e & RTE_VECTOR,
		.delivery_mode = (*e >> 8) & 7,
		.logical = *e & BIT_ULL(11),
		.level = rte_level(*e),
	};
	int n;

	if ((*e & RTE_MASKED) || (t.level && (*e & RTE_REMOTE_IRR)))
		return -1;
	if (!t.level)
		io->irr_delivered |= BIT(pin);
	n = keel_lapic_deliver(io->vm, NULL, &t, 0);
	if (n && t.level)
		*e |= RTE_REMOTE_IRR;
	return n;
}

/* @pin's line is now @high; KVM's status (-1 held, 0 coalesced, > 0 sent). */
static int ioapic_line(struct keel_ioapic *io, int pin, bool high)
{
	u32 m = BIT(pin), old = io->s.irr;

	if (!high) {
		io->s.irr &= ~m;
		return 1;
	}
	io->s.irr |= m;
	if (!rte_level(io->s.redirtbl[pin])) {
		io->irr_delivered &= ~m;
		if (old & m)
			return 0;	/* no new edge */
	}
	return ioapic_service(io, pin);
}

int keel_ioapic_set_irq(struct keel_vm *vm, u32 pin, int src, bool level)
{
	struct keel_ioapic *io = vm->arch.ioapic;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&io->lock, flags);
	if (level)
		io->lines[pin] |= BIT(src);
	else
		io->lines[pin] &= ~BIT(src);
	ret = ioapic_line(io, pin, io->lines[pin]);
	spin_unlock_irqrestore(&io->lock, flags);
	return ret;
}

/* After an entry changed: the vectors the EOI path must look at. */
static void ioapic_update_vectors(struct keel_ioapic *io)
{
	DECLARE_BITMAP(v, 256);
	int i;

	bitmap_zero(v, 256);
	for (i = 0; i < KEEL_IOAPIC_NUM_PINS; i++)
		__set_bit(io->s.redirtbl[i] & RTE_VECTOR, v);
	/* Word by word, so a vector kept in use never reads as clear. */
	for (i = 0; i < BITS_TO_LONGS(256); i++)
		WRITE_ONCE(io->vectors[i], v[i]);
}

/*
 * The guest EOIed @vector (@level: its TMR bit was set). Level entries
 * with that vector leave remote IRR; ack notifiers (resampling irqfds)
 * run without the lock, then lines still high send again.
 */
static void ioapic_eoi(struct keel_ioapic *io, u8 vector, bool level)
{
	unsigned long flags;
	u32 acked = 0;
	int pin;

	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < KEEL_IOAPIC_NUM_PINS; pin++) {
		u64 *e = &io->s.redirtbl[pin];

		if ((*e & RTE_VECTOR) != vector)
			continue;
		acked |= BIT(pin);
		if (level && rte_level(*e))
			*e &= ~RTE_REMOTE_IRR;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	if (!acked)
		return;
	for (pin = 0; pin < KEEL_IOAPIC_NUM_PINS; pin++)
		if (acked & BIT(pin))
			keel_irq_acked(io->vm, KEEL_IRQCHIP_IOAPIC, pin);
	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < KEEL_IOAPIC_NUM_PINS; pin++)
		if ((acked & BIT(pin)) && (io->s.irr & BIT(pin)) &&
		    rte_level(io->s.redirtbl[pin]))
			ioapic_service(io, pin);
	spin_unlock_irqrestore(&io->lock, flags);
}

void keel_ioapic_eoi(struct keel_vcpu *vcpu, u8 vector, bool level)
{
	struct keel_ioapic *io = vcpu->vm->arch.ioapic;

	if (io && test_bit(vector, io->vectors))
		ioapic_eoi(io, vector, level);
}

static u32 ioapic_read_indirect(struct keel_ioapic *io)
{
	u32 sel = io->s.ioregsel, n = (sel - IOAPIC_REDTBL) / 2;

	switch (sel) {
	case IOAPIC_ID:
	case IOAPIC_ARB:
		return io->s.id << 24;
	case IOAPIC_VER:
		return KEEL_IOAPIC_VERSION;
	}
	if (sel < IOAPIC_REDTBL)
		return 0;
	if (n >= KEEL_IOAPIC_NUM_PINS)
		return ~0U;
	return io->s.redirtbl[n] >> (sel & 1 ? 32 : 0);
}

static void ioapic_write_indirect(struct keel_ioapic *io, u32 val)
{
	u32 sel = io->s.ioregsel, n = (sel - IOAPIC_REDTBL) / 2;
	u64 *e, w, was;

	if (sel == IOAPIC_ID) {
		io->s.id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REDTBL || n >= KEEL_IOAPIC_NUM_PINS)
		return;
	e = &io->s.redirtbl[n];
	was = *e;
	if (sel & 1)
		w = (*e & 0xffffffffULL) | ((u64)val << 32);
	else
		w = (*e & ~0xffffffffULL) | val;
	*e = (w & RTE_WRITABLE) | (*e & ~RTE_WRITABLE & RTE_VALID);
	/* An edge entry has no message in service. */
	if (!rte_level(*e))
		*e &= ~RTE_REMOTE_IRR;
	ioapic_update_vectors(io);
	if ((was ^ *e) & RTE_MASKED)
		keel_irq_mask_changed(io->vm, KEEL_IRQCHIP_IOAPIC, n,
				      *e & RTE_MASKED);
	/* A level line held back by the mask goes out once unmasked. */
	if (rte_level(*e) && (io->s.irr & BIT(n)))
		ioapic_service(io, n);
}

static int ioapic_mmio_write(struct keel_vcpu *vcpu,
			     struct keel_io_device *dev, u64 addr, u32 len,
			     const void *val)
{
	struct keel_ioapic *io = container_of(dev, struct keel_ioapic, dev);
	unsigned long flags;
	u32 data;

	/* As KVM: 32- and 64-bit writes; others are dropped. */
	if (len != 4 && len != 8)
		return 0;
	data = *(const u32 *)val;
	switch (addr - KEEL_IOAPIC_BASE) {
	case IOAPIC_REG_SELECT:
		spin_lock_irqsave(&io->lock, flags);
		io->s.ioregsel = data & 0xff;
		spin_unlock_irqrestore(&io->lock, flags);
		break;
	case IOAPIC_REG_WINDOW:
		spin_lock_irqsave(&io->lock, flags);
		ioapic_write_indirect(io, data);
		spin_unlock_irqrestore(&io->lock, flags);
		break;
	case IOAPIC_REG_EOI:
		if (test_bit(data & 0xff, io->vectors))
			ioapic_eoi(io, data & 0xff, true);
		break;
	}
	return 0;
}

static int ioapic_mmio_read(struct keel_vcpu *vcpu,
			    struct keel_io_device *dev, u64 addr, u32 len,
			    void *val)
{
	struct keel_ioapic *io = container_of(dev, struct keel_ioapic, dev);
	unsigned long flags;
	u64 v = 0;

	spin_lock_irqsave(&io->lock, flags);
	switch (addr - KEEL_IOAPIC_BASE) {
	case IOAPIC_REG_SELECT:
		v = io->s.ioregsel;
		break;
	case IOAPIC_REG_WINDOW:
		v = ioapic_read_indirect(io);
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	memcpy(val, &v, min_t(u32, len, sizeof(v)));
	return 0;
}

static const struct keel_io_device_ops keel_ioapic_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

/* Edge requests already sent are not reported, so a restore resends none. */
void keel_ioapic_get(struct keel_vm *vm, struct keel_ioapic_state *st)
{
	struct keel_ioapic *io = vm->arch.ioapic;
	unsigned long flags;

	spin_lock_irqsave(&io->lock, flags);
	*st = io->s;
	st->irr &= ~io->irr_delivered;
	spin_unlock_irqrestore(&io->lock, flags);
	st->pad = 0;
}

static int ioapic_state_check(const struct keel_ioapic_state *st)
{
	int i;

	if (st->base_address != KEEL_IOAPIC_BASE || st->ioregsel > 0xff ||
	    st->id > 0xf || st->irr >> KEEL_IOAPIC_NUM_PINS)
		return -EINVAL;
	for (i = 0; i < KEEL_IOAPIC_NUM_PINS; i++) {
		u64 e = st->redirtbl[i];

		if ((e & ~RTE_VALID) ||
		    (!rte_level(e) && (e & RTE_REMOTE_IRR)))
			return -EINVAL;
	}
	return 0;
}

/*
 * Restore: the IRR pins are lines held high by userspace; they are
 * raised again, so a pending edge or an unserviced level line is sent.
 */
int keel_ioapic_set(struct keel_vm *vm, const struct keel_ioapic_state *st)
{
	struct keel_ioapic *io = vm->arch.ioapic;
	unsigned long flags;
	int pin;

	if (ioapic_state_check(st))
		return -EINVAL;
	spin_lock_irqsave(&io->lock, flags);
	io->s = *st;
	io->s.pad = 0;
	io->s.irr = 0;
	io->irr_delivered = 0;
	ioapic_update_vectors(io);
	for (pin = 0; pin < KEEL_IOAPIC_NUM_PINS; pin++) {
		bool high = st->irr & BIT(pin);

		io->lines[pin] = high ? BIT(KEEL_IRQ_SRC_USER) : 0;
		if (high)
			ioapic_line(io, pin, true);
	}
	spin_unlock_irqrestore(&io->lock, flags);
	return 0;
}

int keel_ioapic_create(struct keel_vm *vm)
{
	struct keel_ioapic *io;
	int i, r;

	io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	if (!io)
		return -ENOMEM;
	spin_lock_init(&io->lock);
	io->vm = vm;
	io->s.base_address = KEEL_IOAPIC_BASE;
	for (i = 0; i < KEEL_IOAPIC_NUM_PINS; i++)
		io->s.redirtbl[i] = RTE_MASKED;
	ioapic_update_vectors(io);
	io->dev.ops = &keel_ioapic_ops;
	mutex_lock(&vm->io_lock);
	r = keel_io_bus_register(vm, KEEL_MMIO_BUS, KEEL_IOAPIC_BASE,
				 IOAPIC_MMIO_LEN, &io->dev);
	mutex_unlock(&vm->io_lock);
	if (r) {
		kfree(io);
		return r;
	}
	vm->arch.ioapic = io;
	return 0;
}

void keel_ioapic_free(struct keel_vm *vm)
{
	struct keel_ioapic *io = vm->arch.ioapic;

	if (!io)
		return;
	mutex_lock(&vm->io_lock);
	keel_io_bus_unregister(vm, KEEL_MMIO_BUS, &io->dev);
	mutex_unlock(&vm->io_lock);
	vm->arch.ioapic = NULL;
	kfree(io);
}
