/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel's in-kernel x86 interrupt controllers behind KEEL_CREATE_IRQCHIP:
 * a cascaded pair of 8259 PICs and an IOAPIC. Their pins are driven by
 * several sources at once (enum keel_irq_source); a pin's line is high
 * while any source holds it high, as on a shared wire.
 */
#ifndef _KEEL_IRQCHIP_H
#define _KEEL_IRQCHIP_H

#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/keel.h>

#include <keel/iobus.h>

struct keel_vm;
struct keel_vcpu;

#define KEEL_PIC_PINS		16

/**
 * struct keel_pic - the two 8259s, the slave on the master's pin 2
 * @lock: guards everything below
 * @vm: the VM
 * @s: master and slave, in KEEL_GET_IRQCHIP's layout
 * @lines: per pin, the sources holding it high
 * @output: the master's INT line, read without @lock by the vCPUs
 * @acked: pins whose in-service bit an EOI cleared, for the ack
 *	notifiers that run once @lock is dropped
 * @dev: command/data ports of the master and slave, and the ELCRs
 */
struct keel_pic {
	spinlock_t lock;	/* guards the rest */
	struct keel_vm *vm;
	struct keel_pic_state s[2];
	u8 lines[KEEL_PIC_PINS];
	bool output;
	u16 acked;
	struct keel_io_device dev[3];
};

/**
 * struct keel_ioapic - the IOAPIC at 0xfec00000
 * @lock: guards everything below
 * @vm: the VM
 * @s: registers in KEEL_GET_IRQCHIP's layout; irr holds the pins that
 *	are high (level) or have an edge not yet delivered (edge)
 * @irr_delivered: edge pins whose interrupt went out
 * @lines: per pin, the sources holding it high
 * @vectors: vectors some redirection entry uses, read without @lock by
 *	the EOI path to skip EOIs the IOAPIC does not care about
 * @dev: the MMIO window
 */
struct keel_ioapic {
	spinlock_t lock;	/* guards the rest */
	struct keel_vm *vm;
	struct keel_ioapic_state s;
	u32 irr_delivered;
	u8 lines[KEEL_IOAPIC_NUM_PINS];
	DECLARE_BITMAP(vectors, 256);
	struct keel_io_device dev;
};

#define KEEL_IOAPIC_BASE	0xfec00000ULL
/* Version 0x11 with 24 redirection entries, as KVM. */
#define KEEL_IOAPIC_VERSION	(0x11 | ((KEEL_IOAPIC_NUM_PINS - 1) << 16))

/**
 * struct keel_pit - the 8254 at ports 0x40-0x43 (KEEL_CREATE_PIT2)
 * @lock: guards @s and @speaker_data
 * @vm: the VM
 * @s: the three channels and flags, in KEEL_GET_PIT2's layout
 * @speaker_data: port 0x61 bit 1, with KEEL_PIT_SPEAKER_DUMMY
 * @timer: channel 0's interrupt; the callback reads only @period_ns,
 *	which changes only while the timer is cancelled
 * @period_ns: channel 0's period, 0 for a one-shot count
 * @dev: the PIT's ports and, with KEEL_PIT_SPEAKER_DUMMY, port 0x61
 * @reinject: owe missed ticks (KEEL_REINJECT_CONTROL); written under
 *	@lock, read without it, as are the two atomics (as KVM's)
 * @pending: ticks owed: fired, not yet acknowledged
 * @irq_ack: the last tick sent was acknowledged: the next may go
 * @notifier: GSI 0's acknowledgements and mask changes
 */
struct keel_pit {
	spinlock_t lock;	/* guards the rest */
	struct keel_vm *vm;
	struct keel_pit_state2 s;
	u8 speaker_data;
	struct hrtimer timer;
	u64 period_ns;
	struct keel_io_device dev[2];
	bool reinject;
	atomic_t pending;
	atomic_t irq_ack;
	struct keel_irq_notifier notifier;
};

/* pic.c */
int keel_pic_create(struct keel_vm *vm);
void keel_pic_free(struct keel_vm *vm);
int keel_pic_set_irq(struct keel_vm *vm, u32 pin, int src, bool level);
bool keel_pic_output(struct keel_vm *vm);
int keel_pic_read_irq(struct keel_vm *vm);
void keel_pic_get(struct keel_vm *vm, int chip, struct keel_pic_state *st);
int keel_pic_set(struct keel_vm *vm, int chip,
		 const struct keel_pic_state *st);

/* ioapic.c */
int keel_ioapic_create(struct keel_vm *vm);
void keel_ioapic_free(struct keel_vm *vm);
int keel_ioapic_set_irq(struct keel_vm *vm, u32 pin, int src, bool level);
void keel_ioapic_eoi(struct keel_vcpu *vcpu, u8 vector, bool level);
void keel_ioapic_get(struct keel_vm *vm, struct keel_ioapic_state *st);
int keel_ioapic_set(struct keel_vm *vm, const struct keel_ioapic_state *st);

/* pit.c */
long keel_x86_create_pit2(struct keel_vm *vm,
			  const struct keel_pit_config __user *u);
long keel_x86_get_pit2(struct keel_vm *vm, struct keel_pit_state2 __user *u);
long keel_x86_set_pit2(struct keel_vm *vm,
		       const struct keel_pit_state2 __user *u);
long keel_x86_reinject_control(struct keel_vm *vm,
			       const struct keel_reinject_control __user *u);
void keel_pit_free(struct keel_vm *vm);

/* irq_routes.c */
int keel_x86_default_routing(struct keel_vm *vm);

#endif /* _KEEL_IRQCHIP_H */
