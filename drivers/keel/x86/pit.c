// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the in-kernel 8254 PIT (KEEL_CREATE_PIT2), as KVM's.
 *
 * Three channels count down at 1193181 Hz from the time their count was
 * loaded (count_load_time, CLOCK_MONOTONIC ns), so reading a counter is
 * arithmetic on the clock. Channel 0 raises GSI 0 on a hardirq hrtimer:
 * each period in modes 2 and 3 (at least 200 us, as KVM), once in modes
 * 0, 1 and 4. As KVM by default, ticks are reinjected: one at a time,
 * the next when the guest acknowledges the last, so a guest that had
 * interrupts off still counts every tick; unmasking GSI 0 forgets the
 * backlog. KEEL_REINJECT_CONTROL turns it off: a tick not taken by the
 * next one is lost. Channel 2's gate and output are port 0x61's bits 0 and 5
 * with KEEL_PIT_SPEAKER_DUMMY; otherwise userspace owns port 0x61.
 */
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <keel/compat.h>
#include <keel/core.h>
#include <keel/irqchip.h>

#define PIT_HZ			1193181
#define PIT_MIN_PERIOD_NS	200000ULL
#define PIT_MODE_UNSET		0xff	/* never programmed, as KVM */

/* read_state, write_state and count_latched */
#define RW_LSB			1
#define RW_MSB			2
#define RW_WORD0		3
#define RW_WORD1		4

/* PIT clock ticks since @c's count was loaded. */
static u64 pit_ticks(const struct keel_pit_channel_state *c)
{
	s64 ns = ktime_get_ns() - c->count_load_time;

	return ns > 0 ? mul_u64_u32_div(ns, PIT_HZ, NSEC_PER_SEC) : 0;
}

static u32 pit_count(const struct keel_pit_channel_state *c)
{
	u64 d = pit_ticks(c);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		return (c->count - d) & 0xffff;
	case 3:
		/* Square wave: counts down by two, twice per period. */
		return c->count - ((2 * d) % c->count);
	default:
		return c->count - (d % c->count);
	}
}

static int pit_out(const struct keel_pit_channel_state *c)
{
	u64 d = pit_ticks(c);

	switch (c->mode) {
	case 1:
		return d < c->count;
	case 2:
		return d % c->count == 0 && d;
	case 3:
		return d % c->count < (c->count + 1) / 2;
	case 4:
	case 5:
		return d == c->count;
	default:
		return d >= c->count;
	}
}

static void pit_reset_reinject(struct keel_pit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* A tick on GSI 0; when reinjecting, only once the last was acknowledged. */
static void pit_inject(struct keel_pit *pit)
{
	if (READ_ONCE(pit->reinject) && !atomic_xchg(&pit->irq_ack, 0))
		return;
	keel_irq_set(pit->vm, KEEL_IRQ_SRC_PIT, 0, true);
	keel_irq_set(pit->vm, KEEL_IRQ_SRC_PIT, 0, false);
}

/* The guest acknowledged GSI 0: the next tick owed goes out now. */
static void pit_acked(struct keel_irq_notifier *n)
{
	struct keel_pit *pit = container_of(n, struct keel_pit, notifier);

	if (!READ_ONCE(pit->reinject))
		return;
	atomic_set(&pit->irq_ack, 1);
	if (atomic_dec_if_positive(&pit->pending) > 0)
		pit_inject(pit);
}

/* GSI 0 unmasked: the ticks missed while masked are not owed (as KVM). */
static void pit_masked(struct keel_irq_notifier *n, bool masked)
{
	struct keel_pit *pit = container_of(n, struct keel_pit, notifier);

	if (!masked)
		pit_reset_reinject(pit);
}

static enum hrtimer_restart pit_fire(struct hrtimer *t)
{
	struct keel_pit *pit = container_of(t, struct keel_pit, timer);

	if (READ_ONCE(pit->reinject))
		atomic_inc(&pit->pending);
	pit_inject(pit);
	if (!pit->period_ns)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(pit->period_ns));
	return HRTIMER_RESTART;
}

/*
 * Channel 0 changed: time its next interrupt from its load time, so a
 * restored channel keeps its phase and an expired one-shot stays quiet.
 */
static void pit_arm(struct keel_pit *pit)
{
	struct keel_pit_channel_state *c = &pit->s.channels[0];
	u64 ns = mul_u64_u32_div(c->count, NSEC_PER_SEC, PIT_HZ);
	s64 now = ktime_get_ns(), expire = c->count_load_time;

	hrtimer_cancel(&pit->timer);
	pit->period_ns = 0;
	/* The old count's ticks are not owed any more. */
	pit_reset_reinject(pit);
	if (pit->s.flags & KEEL_PIT_FLAGS_HPET_LEGACY)
		return;
	switch (c->mode) {
	case 2:
	case 3:
		pit->period_ns = max(ns, PIT_MIN_PERIOD_NS);
		expire += pit->period_ns;
		if (expire < now)
			expire += (div64_u64(now - expire, pit->period_ns) + 1) *
				  pit->period_ns;
		break;
	case 0:
	case 1:
	case 4:
		expire += ns;
		if (expire <= now)
			return;
		break;
	default:
		return;
	}
	hrtimer_start(&pit->timer, ns_to_ktime(expire), HRTIMER_MODE_ABS_HARD);
}

static void pit_load_count(struct keel_pit *pit, int ch, u32 val)
{
	struct keel_pit_channel_state *c = &pit->s.channels[ch];

	c->count = val ? val : 0x10000;
	c->count_load_time = ktime_get_ns();
	if (ch == 0)
		pit_arm(pit);
}

static void pit_latch_count(struct keel_pit_channel_state *c)
{
	if (c->count_latched)
		return;
	c->latched_count = pit_count(c);
	c->count_latched = c->rw_mode;
}

static void pit_latch_status(struct keel_pit_channel_state *c)
{
	if (c->status_latched)
		return;
	c->status = pit_out(c) << 7 | c->rw_mode << 4 | c->mode << 1 | c->bcd;
	c->status_latched = 1;
}

/* Port 0x43: a control word, a counter latch or a read-back command. */
static void pit_control(struct keel_pit *pit, u8 v)
{
	struct keel_pit_channel_state *c;
	int i;

	if (v >> 6 == 3) {
		for (i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			c = &pit->s.channels[i];
			if (!(v & 0x20))
				pit_latch_count(c);
			if (!(v & 0x10))
				pit_latch_status(c);
		}
		return;
	}
	c = &pit->s.channels[v >> 6];
	if (!(v & 0x30)) {
		pit_latch_count(c);
		return;
	}
	c->rw_mode = (v >> 4) & 3;
	c->read_state = c->rw_mode;
	c->write_state = c->rw_mode;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* modes 6 and 7 are 2 and 3 */
	c->bcd = v & 1;
}

static void pit_write_count(struct keel_pit *pit, int ch, u8 v)
{
	struct keel_pit_channel_state *c = &pit->s.channels[ch];

	switch (c->write_state) {
	case RW_MSB:
		pit_load_count(pit, ch, v << 8);
		break;
	case RW_WORD0:
		c->write_latch = v;
		c->write_state = RW_WORD1;
		break;
	case RW_WORD1:
		pit_load_count(pit, ch, c->write_latch | v << 8);
		c->write_state = RW_WORD0;
		break;
	default:
		pit_load_count(pit, ch, v);
	}
}

static u8 pit_read_count(struct keel_pit_channel_state *c)
{
	u32 n;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	switch (c->count_latched) {
	case 0:
		break;
	case RW_MSB:
		c->count_latched = 0;
		return c->latched_count >> 8;
	case RW_WORD0:
		c->count_latched = RW_MSB;
		return c->latched_count & 0xff;
	default:
		c->count_latched = 0;
		return c->latched_count & 0xff;
	}
	n = pit_count(c);
	switch (c->read_state) {
	case RW_MSB:
		return n >> 8;
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return n & 0xff;
	case RW_WORD1:
		c->read_state = RW_WORD0;
		return n >> 8;
	default:
		return n & 0xff;
	}
}

/* Channel 2's gate: modes 1, 2, 3 and 5 restart on a rising edge. */
static void pit_set_gate2(struct keel_pit *pit, u8 gate)
{
	struct keel_pit_channel_state *c = &pit->s.channels[2];

	if (c->mode != 0 && c->mode != 4 && c->gate < gate)
		c->count_load_time = ktime_get_ns();
	c->gate = gate;
}

static struct keel_pit *pit_of(struct keel_io_device *dev, int i)
{
	return container_of(dev, struct keel_pit, dev[i]);
}

static int pit_io_write(struct keel_vcpu *vcpu, struct keel_io_device *dev,
			u64 addr, u32 len, const void *val)
{
	struct keel_pit *pit = pit_of(dev, 0);
	unsigned long flags;
	u8 v = *(const u8 *)val;
	int ch = addr & 3;

	spin_lock_irqsave(&pit->lock, flags);
	if (ch == 3)
		pit_control(pit, v);
	else
		pit_write_count(pit, ch, v);
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

static int pit_io_read(struct keel_vcpu *vcpu, struct keel_io_device *dev,
		       u64 addr, u32 len, void *val)
{
	struct keel_pit *pit = pit_of(dev, 0);
	unsigned long flags;
	int ch = addr & 3;

	memset(val, 0, len);
	if (ch == 3)
		return 0;	/* the control port is write-only */
	spin_lock_irqsave(&pit->lock, flags);
	*(u8 *)val = pit_read_count(&pit->s.channels[ch]);
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

static const struct keel_io_device_ops keel_pit_ops = {
	.read = pit_io_read,
	.write = pit_io_write,
};

/* Port 0x61: bit 0 gate 2, bit 1 speaker data, bit 5 channel 2's output. */
static int pit_speaker_write(struct keel_vcpu *vcpu,
			     struct keel_io_device *dev, u64 addr, u32 len,
			     const void *val)
{
	struct keel_pit *pit = pit_of(dev, 1);
	unsigned long flags;
	u8 v = *(const u8 *)val;

	spin_lock_irqsave(&pit->lock, flags);
	pit->speaker_data = (v >> 1) & 1;
	pit_set_gate2(pit, v & 1);
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

static int pit_speaker_read(struct keel_vcpu *vcpu, struct keel_io_device *dev,
			    u64 addr, u32 len, void *val)
{
	struct keel_pit *pit = pit_of(dev, 1);
	struct keel_pit_channel_state *c = &pit->s.channels[2];
	/* Bit 4, the DRAM refresh toggle, flips every ~16 us. */
	u8 refresh = (ktime_get_ns() >> 14) & 1;
	unsigned long flags;

	memset(val, 0, len);
	spin_lock_irqsave(&pit->lock, flags);
	*(u8 *)val = pit_out(c) << 5 | refresh << 4 | pit->speaker_data << 1 |
		     c->gate;
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

static const struct keel_io_device_ops keel_speaker_ops = {
	.read = pit_speaker_read,
	.write = pit_speaker_write,
};

static struct keel_pit *keel_vm_pit(struct keel_vm *vm)
{
	return READ_ONCE(vm->arch.pit);
}

long keel_x86_create_pit2(struct keel_vm *vm,
			  const struct keel_pit_config __user *u)
{
	struct keel_pit_config cfg;
	struct keel_pit *pit;
	long r;
	int i;

	if (copy_from_user(&cfg, u, sizeof(cfg)))
		return -EFAULT;
	/* keel only: KVM ignores unknown flags and pad. */
	if ((cfg.flags & ~KEEL_PIT_SPEAKER_DUMMY) ||
	    memchr_inv(cfg.pad, 0, sizeof(cfg.pad)))
		return -EINVAL;
	mutex_lock(&vm->lock);
	/*
	 * As KVM, also before KEEL_CREATE_IRQCHIP (kvmtool's order): GSI 0
	 * goes wherever the routing table says when the PIT fires.
	 */
	r = -EEXIST;
	if (vm->arch.pit)
		goto out;
	r = -ENOMEM;
	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		goto out;
	spin_lock_init(&pit->lock);
	pit->vm = vm;
	pit->reinject = true;	/* KVM's default */
	pit->notifier.gsi = 0;
	pit->notifier.acked = pit_acked;
	pit->notifier.masked = pit_masked;
	keel_hrtimer_setup(&pit->timer, pit_fire, CLOCK_MONOTONIC,
			   HRTIMER_MODE_ABS_HARD);
	for (i = 0; i < 3; i++) {
		pit->s.channels[i].mode = PIT_MODE_UNSET;
		pit->s.channels[i].gate = i != 2;
		pit_load_count(pit, i, 0);
	}
	pit->dev[0].ops = &keel_pit_ops;
	pit->dev[1].ops = &keel_speaker_ops;
	mutex_lock(&vm->io_lock);
	r = keel_io_bus_register(vm, KEEL_PIO_BUS, 0x40, 4, &pit->dev[0]);
	if (!r && (cfg.flags & KEEL_PIT_SPEAKER_DUMMY)) {
		r = keel_io_bus_register(vm, KEEL_PIO_BUS, 0x61, 1,
					 &pit->dev[1]);
		if (r)
			keel_io_bus_unregister(vm, KEEL_PIO_BUS, &pit->dev[0]);
	}
	mutex_unlock(&vm->io_lock);
	if (r) {
		kfree(pit);
		goto out;
	}
	keel_irq_notifier_register(vm, &pit->notifier);
	WRITE_ONCE(vm->arch.pit, pit);
out:
	mutex_unlock(&vm->lock);
	return r;
}

long keel_x86_get_pit2(struct keel_vm *vm, struct keel_pit_state2 __user *u)
{
	struct keel_pit *pit = keel_vm_pit(vm);
	struct keel_pit_state2 st;
	unsigned long flags;

	if (!pit)
		return -ENXIO;
	spin_lock_irqsave(&pit->lock, flags);
	st = pit->s;
	spin_unlock_irqrestore(&pit->lock, flags);
	memset(st.reserved, 0, sizeof(st.reserved));
	return copy_to_user(u, &st, sizeof(st)) ? -EFAULT : 0;
}

/* keel only (KVM copies anything): every field in its range. */
static int pit_state_check(const struct keel_pit_state2 *st)
{
	int i;

	if (st->flags & ~KEEL_PIT_FLAGS_HPET_LEGACY)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		const struct keel_pit_channel_state *c = &st->channels[i];

		if (!c->count || c->count > 0x10000 || c->count_latched > 3 ||
		    c->status_latched > 1 || c->read_state > 4 ||
		    c->write_state > 4 || c->rw_mode > 3 ||
		    (c->mode > 5 && c->mode != PIT_MODE_UNSET) || c->bcd > 1 ||
		    c->gate > 1)
			return -EINVAL;
	}
	return 0;
}

/* QEMU passes reserved[] uninitialised: it is ignored, as by KVM. */
long keel_x86_set_pit2(struct keel_vm *vm,
		       const struct keel_pit_state2 __user *u)
{
	struct keel_pit *pit = keel_vm_pit(vm);
	struct keel_pit_state2 st;
	unsigned long flags;

	if (copy_from_user(&st, u, sizeof(st)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	if (pit_state_check(&st))
		return -EINVAL;
	spin_lock_irqsave(&pit->lock, flags);
	memcpy(pit->s.channels, st.channels, sizeof(st.channels));
	pit->s.flags = st.flags;
	pit_arm(pit);
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

/*
 * KEEL_REINJECT_CONTROL: turn tick reinjection on (the default) or off.
 * keel only: KVM takes any non-zero value as on and ignores reserved.
 */
long keel_x86_reinject_control(struct keel_vm *vm,
			       const struct keel_reinject_control __user *u)
{
	struct keel_reinject_control c;
	struct keel_pit *pit;
	unsigned long flags;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	pit = keel_vm_pit(vm);
	if (!pit)
		return -ENXIO;
	if (c.pit_reinject > 1 || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	spin_lock_irqsave(&pit->lock, flags);
	/* Either way, start with no backlog and the line free. */
	if (pit->reinject != c.pit_reinject)
		pit_reset_reinject(pit);
	WRITE_ONCE(pit->reinject, c.pit_reinject);
	spin_unlock_irqrestore(&pit->lock, flags);
	return 0;
}

/* VM teardown, before the PIC and IOAPIC its timer raises lines on. */
void keel_pit_free(struct keel_vm *vm)
{
	struct keel_pit *pit = vm->arch.pit;

	if (!pit)
		return;
	hrtimer_cancel(&pit->timer);
	keel_irq_notifier_unregister(vm, &pit->notifier);
	mutex_lock(&vm->io_lock);
	keel_io_bus_unregister(vm, KEEL_PIO_BUS, &pit->dev[0]);
	keel_io_bus_unregister(vm, KEEL_PIO_BUS, &pit->dev[1]);
	mutex_unlock(&vm->io_lock);
	vm->arch.pit = NULL;
	kfree(pit);
}
