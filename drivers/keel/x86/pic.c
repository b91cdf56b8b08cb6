// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the in-kernel pair of 8259A PICs (KEEL_CREATE_IRQCHIP).
 *
 * The master answers ports 0x20-0x21, the slave 0xa0-0xa1 and sits on
 * the master's pin 2; ports 0x4d0-0x4d1 are the PIIX edge/level control
 * registers. The master's output goes to LINT0 of every local APIC that
 * takes ExtINT (in practice the boot vCPU's), which fetches the vector
 * with keel_pic_read_irq(), the INTA cycle. Semantics follow the 8259A
 * data sheet as KVM models it; api.rst lists where keel differs.
 */
#include <linux/slab.h>

#include <keel/core.h>
#include <keel/irqchip.h>

#define PIC_MASTER	0
#define PIC_SLAVE	1
#define PIC_CASCADE	2	/* the master's pin the slave drives */

/* The pins whose trigger mode the ELCR may set: not 0-2 and 8, 13. */
static const u8 keel_pic_elcr_mask[2] = { 0xf8, 0xde };

/* Priority (0 highest) of the best pin in @mask, 8 if none. */
static int pic_priority(const struct keel_pic_state *c, u8 mask)
{
	int p = 0;

	if (!mask)
		return 8;
	while (!(mask & BIT((p + c->priority_add) & 7)))
		p++;
	return p;
}

/* The pin this chip would present in an INTA cycle, or -1. */
static int pic_get_irq(const struct keel_pic_state *c, bool master)
{
	int p = pic_priority(c, c->irr & ~c->imr);
	u8 isr = c->isr;

	if (p == 8)
		return -1;
	/* Special mask mode: masked in-service pins do not block. */
	if (c->special_mask)
		isr &= ~c->imr;
	/* Special fully nested mode: the slave may interrupt itself. */
	if (master && c->special_fully_nested_mode)
		isr &= ~BIT(PIC_CASCADE);
	if (p >= pic_priority(c, isr))
		return -1;
	return (p + c->priority_add) & 7;
}

/*
 * A pin's line changed. Returns KVM's status: -1 masked, 0 coalesced
 * (already requested), 1 requested.
 */
static int pic_set_line(struct keel_pic_state *c, int pin, bool level)
{
	u8 m = BIT(pin);
	int ret = 1;

	if (c->elcr & m) {
		/* Level: IRR follows the line. */
		if (level) {
			ret = !(c->irr & m);
			c->irr |= m;
			c->last_irr |= m;
		} else {
			c->irr &= ~m;
			c->last_irr &= ~m;
		}
	} else if (level) {
		/* Edge: a rising edge requests; the request stays until INTA. */
		if (!(c->last_irr & m)) {
			ret = !(c->irr & m);
			c->irr |= m;
		}
		c->last_irr |= m;
	} else {
		c->last_irr &= ~m;
	}
	return (c->imr & m) ? -1 : ret;
}

static void pic_clear_isr(struct keel_pic *pic, int chip, int pin)
{
	struct keel_pic_state *c = &pic->s[chip];

	if (!(c->isr & BIT(pin)))
		return;
	c->isr &= ~BIT(pin);
	if (chip != PIC_MASTER || pin != PIC_CASCADE)
		pic->acked |= BIT(chip * 8 + pin);
}

/* Recompute the cascade and the master's output, under the lock. */
static void pic_update(struct keel_pic *pic)
{
	/* The slave's request is an edge on the master's cascade pin. */
	if (pic_get_irq(&pic->s[PIC_SLAVE], false) >= 0) {
		pic_set_line(&pic->s[PIC_MASTER], PIC_CASCADE, true);
		pic_set_line(&pic->s[PIC_MASTER], PIC_CASCADE, false);
	}
	WRITE_ONCE(pic->output,
		   pic_get_irq(&pic->s[PIC_MASTER], true) >= 0);
}

static void pic_lock(struct keel_pic *pic, unsigned long *flags)
	__acquires(&pic->lock)
{
	spin_lock_irqsave(&pic->lock, *flags);
}

/* Drop the lock, then wake the vCPUs and run the ack notifiers. */
static void pic_unlock(struct keel_pic *pic, unsigned long flags)
	__releases(&pic->lock)
{
	bool output = pic->output;
	u16 acked = pic->acked;
	int pin;

	pic->acked = 0;
	spin_unlock_irqrestore(&pic->lock, flags);
	if (output)
		keel_x86_extint_kick(pic->vm);
	for (pin = 0; acked; pin++, acked >>= 1)
		if (acked & 1)
			keel_irq_acked(pic->vm, pin < 8 ? KEEL_IRQCHIP_PIC_MASTER :
				       KEEL_IRQCHIP_PIC_SLAVE, pin & 7);
}

/* INTA on one chip: the pin goes in service (or is EOIed at once). */
static void pic_intack(struct keel_pic *pic, int chip, int pin)
{
	struct keel_pic_state *c = &pic->s[chip];

	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (pin + 1) & 7;
		if (chip != PIC_MASTER || pin != PIC_CASCADE)
			pic->acked |= BIT(chip * 8 + pin);
	} else {
		c->isr |= BIT(pin);
	}
	/* A level-triggered request stays while its line is high. */
	if (!(c->elcr & BIT(pin)))
		c->irr &= ~BIT(pin);
}

int keel_pic_set_irq(struct keel_vm *vm, u32 pin, int src, bool level)
{
	struct keel_pic *pic = vm->arch.pic;
	unsigned long flags;
	int ret;

	pic_lock(pic, &flags);
	if (level)
		pic->lines[pin] |= BIT(src);
	else
		pic->lines[pin] &= ~BIT(src);
	ret = pic_set_line(&pic->s[pin / 8], pin % 8, pic->lines[pin]);
	pic_update(pic);
	pic_unlock(pic, flags);
	return ret;
}

bool keel_pic_output(struct keel_vm *vm)
{
	return READ_ONCE(vm->arch.pic->output);
}

/* The INTA cycle: the vector of the best request, or a spurious one. */
int keel_pic_read_irq(struct keel_vm *vm)
{
	struct keel_pic *pic = vm->arch.pic;
	struct keel_pic_state *m = &pic->s[PIC_MASTER];
	struct keel_pic_state *s = &pic->s[PIC_SLAVE];
	unsigned long flags;
	int pin, pin2, vector;

	pic_lock(pic, &flags);
	pin = pic_get_irq(m, true);
	if (pin < 0) {
		vector = m->irq_base + 7;	/* spurious IRQ 7 */
	} else {
		pic_intack(pic, PIC_MASTER, pin);
		if (pin == PIC_CASCADE) {
			pin2 = pic_get_irq(s, false);
			if (pin2 >= 0)
				pic_intack(pic, PIC_SLAVE, pin2);
			else
				pin2 = 7;	/* spurious IRQ 15 */
			vector = s->irq_base + pin2;
		} else {
			vector = m->irq_base + pin;
		}
	}
	pic_update(pic);
	pic_unlock(pic, flags);
	return vector;
}

/* ICW1: start initialisation; what the data sheet says it resets. */
static void pic_icw1(struct keel_pic *pic, int chip, u8 val)
{
	struct keel_pic_state *c = &pic->s[chip];
	int pin;

	c->init4 = val & 1;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	for (pin = 0; pin < 8; pin++)
		pic_clear_isr(pic, chip, pin);
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	c->poll = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;
}

/* OCW2: end of interrupt and priority rotation. */
static void pic_ocw2(struct keel_pic *pic, int chip, u8 val)
{
	struct keel_pic_state *c = &pic->s[chip];
	int p, pin;

	switch (val >> 5) {
	case 0:	/* rotate in automatic EOI mode: clear */
	case 4:	/* ... set */
		c->rotate_on_auto_eoi = val >> 7;
		break;
	case 1:	/* non-specific EOI */
	case 5:	/* ... and rotate */
		p = pic_priority(c, c->isr);
		if (p == 8)
			break;
		pin = (p + c->priority_add) & 7;
		pic_clear_isr(pic, chip, pin);
		if (val >> 5 == 5)
			c->priority_add = (pin + 1) & 7;
		break;
	case 3:	/* specific EOI */
		pic_clear_isr(pic, chip, val & 7);
		break;
	case 6:	/* set priority */
		c->priority_add = (val + 1) & 7;
		break;
	case 7:	/* specific EOI and rotate */
		pic_clear_isr(pic, chip, val & 7);
		c->priority_add = ((val & 7) + 1) & 7;
		break;
	}
}

static void pic_write_cmd(struct keel_pic *pic, int chip, u8 val)
{
	struct keel_pic_state *c = &pic->s[chip];

	if (val & 0x10) {
		pic_icw1(pic, chip, val);
	} else if (val & 0x08) {	/* OCW3 */
		if (val & 0x04)
			c->poll = 1;
		if (val & 0x02)
			c->read_reg_select = val & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {
		pic_ocw2(pic, chip, val);
	}
}

/* OCW1: a new mask; the GSIs of pins it (un)masks hear of it. */
static void pic_ocw1(struct keel_pic *pic, int chip, u8 val)
{
	u8 diff = pic->s[chip].imr ^ val;
	int pin;

	pic->s[chip].imr = val;
	for (pin = 0; diff; pin++, diff >>= 1)
		if (diff & 1)
			keel_irq_mask_changed(pic->vm, chip == PIC_MASTER ?
					      KEEL_IRQCHIP_PIC_MASTER :
					      KEEL_IRQCHIP_PIC_SLAVE, pin,
					      val & BIT(pin));
}

/* OCW1 once initialised; ICW2-4 during initialisation. */
static void pic_write_data(struct keel_pic *pic, int chip, u8 val)
{
	struct keel_pic_state *c = &pic->s[chip];

	switch (c->init_state) {
	case 0:
		pic_ocw1(pic, chip, val);
		break;
	case 1:
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:	/* ICW3: the cascade is wired, nothing to learn */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:
		c->special_fully_nested_mode = (val >> 4) & 1;
		c->auto_eoi = (val >> 1) & 1;
		c->init_state = 0;
		break;
	}
}

/* A poll command's read: an INTA that returns the pin, bit 7 if any. */
static u8 pic_poll(struct keel_pic *pic, int chip)
{
	int pin = pic_get_irq(&pic->s[chip], chip == PIC_MASTER);

	pic->s[chip].poll = 0;
	if (pin < 0)
		return 0;
	pic_intack(pic, chip, pin);
	return 0x80 | pin;
}

static int pic_io_write(struct keel_vcpu *vcpu, struct keel_io_device *dev,
			u64 addr, u32 len, const void *val)
{
	struct keel_pic *pic = vcpu->vm->arch.pic;
	int i = dev - pic->dev;
	unsigned long flags;
	u8 v = *(const u8 *)val;

	/* As KVM: only byte accesses do anything. */
	if (len != 1)
		return 0;
	pic_lock(pic, &flags);
	if (i == 2)
		pic->s[addr & 1].elcr = v & pic->s[addr & 1].elcr_mask;
	else if (addr & 1)
		pic_write_data(pic, i, v);
	else
		pic_write_cmd(pic, i, v);
	pic_update(pic);
	pic_unlock(pic, flags);
	return 0;
}

static int pic_io_read(struct keel_vcpu *vcpu, struct keel_io_device *dev,
		       u64 addr, u32 len, void *val)
{
	struct keel_pic *pic = vcpu->vm->arch.pic;
	int i = dev - pic->dev;
	struct keel_pic_state *c;
	unsigned long flags;
	u8 v;

	memset(val, 0, len);
	if (len != 1)
		return 0;
	pic_lock(pic, &flags);
	if (i == 2) {
		v = pic->s[addr & 1].elcr;
	} else {
		c = &pic->s[i];
		if (c->poll)
			v = pic_poll(pic, i);
		else if (addr & 1)
			v = c->imr;
		else
			v = c->read_reg_select ? c->isr : c->irr;
		pic_update(pic);
	}
	pic_unlock(pic, flags);
	*(u8 *)val = v;
	return 0;
}

static const struct keel_io_device_ops keel_pic_ops = {
	.read = pic_io_read,
	.write = pic_io_write,
};

void keel_pic_get(struct keel_vm *vm, int chip, struct keel_pic_state *st)
{
	struct keel_pic *pic = vm->arch.pic;
	unsigned long flags;

	pic_lock(pic, &flags);
	*st = pic->s[chip];
	pic_unlock(pic, flags);
}

/* Every field in range: flags 0 or 1, the ELCR mask the chip's own. */
static int pic_state_check(int chip, const struct keel_pic_state *st)
{
	const u8 flags[] = {
		st->read_reg_select, st->poll, st->special_mask, st->auto_eoi,
		st->rotate_on_auto_eoi, st->special_fully_nested_mode,
		st->init4,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i] > 1)
			return -EINVAL;
	if (st->priority_add > 7 || st->init_state > 3 ||
	    (st->irq_base & 7) || st->elcr_mask != keel_pic_elcr_mask[chip] ||
	    (st->elcr & ~st->elcr_mask))
		return -EINVAL;
	return 0;
}

/* Restore one chip; its lines are taken as held by userspace. */
int keel_pic_set(struct keel_vm *vm, int chip, const struct keel_pic_state *st)
{
	struct keel_pic *pic = vm->arch.pic;
	unsigned long flags;
	int pin;

	if (pic_state_check(chip, st))
		return -EINVAL;
	pic_lock(pic, &flags);
	pic->s[chip] = *st;
	for (pin = 0; pin < 8; pin++)
		pic->lines[chip * 8 + pin] = (st->last_irr & BIT(pin)) ?
					     BIT(KEEL_IRQ_SRC_USER) : 0;
	pic_update(pic);
	pic_unlock(pic, flags);
	return 0;
}

int keel_pic_create(struct keel_vm *vm)
{
	static const u16 ports[] = { 0x20, 0xa0, 0x4d0 };
	struct keel_pic *pic;
	int i, r;

	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return -ENOMEM;
	spin_lock_init(&pic->lock);
	pic->vm = vm;
	pic->s[PIC_MASTER].elcr_mask = keel_pic_elcr_mask[PIC_MASTER];
	pic->s[PIC_SLAVE].elcr_mask = keel_pic_elcr_mask[PIC_SLAVE];
	vm->arch.pic = pic;
	mutex_lock(&vm->io_lock);
	for (i = 0; i < ARRAY_SIZE(ports); i++) {
		pic->dev[i].ops = &keel_pic_ops;
		r = keel_io_bus_register(vm, KEEL_PIO_BUS, ports[i], 2,
					 &pic->dev[i]);
		if (r) {
			while (i--)
				keel_io_bus_unregister(vm, KEEL_PIO_BUS,
						       &pic->dev[i]);
			mutex_unlock(&vm->io_lock);
			vm->arch.pic = NULL;
			kfree(pic);
			return r;
		}
	}
	mutex_unlock(&vm->io_lock);
	return 0;
}

void keel_pic_free(struct keel_vm *vm)
{
	struct keel_pic *pic = vm->arch.pic;
	int i;

	if (!pic)
		return;
	mutex_lock(&vm->io_lock);
	for (i = 0; i < ARRAY_SIZE(pic->dev); i++)
		keel_io_bus_unregister(vm, KEEL_PIO_BUS, &pic->dev[i]);
	mutex_unlock(&vm->io_lock);
	vm->arch.pic = NULL;
	kfree(pic);
}
