/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel's in-kernel local APIC (KEEL_CAP_SPLIT_IRQCHIP): one per vCPU,
 * xAPIC through MMIO and x2APIC through MSRs, its timer on an hrtimer.
 */
#ifndef _KEEL_LAPIC_H
#define _KEEL_LAPIC_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

struct keel_vm;
struct keel_vcpu;

/* lapic->events: INIT and SIPI sent by other vCPUs, taken by the owner. */
#define KEEL_APIC_EV_INIT	0
#define KEEL_APIC_EV_SIPI	1

/**
 * struct keel_lapic - a vCPU's local APIC
 * @vcpu: its vCPU
 * @regs: the register file in KEEL_GET_LAPIC's layout (1 KiB used). IRR
 *	and TMR bits are set atomically by any sender; everything else is
 *	written by the owning vCPU's thread only.
 * @timer: fires the LVT timer
 * @timer_mode: the LVTT mode the timer was armed for
 * @period_ns: period of a periodic timer, or the length of a one-shot
 * @deadline_ns: when the armed timer expires (host ktime)
 * @tsc_deadline: MSR_IA32_TSC_DEADLINE, 0 when not armed
 * @timer_fired: expirations not yet turned into an interrupt
 * @events: KEEL_APIC_EV_* bits
 * @sipi_vector: the vector of the last SIPI
 * @nmi_queued: NMIs sent by other vCPUs, not yet in the vCPU's events
 * @extint: an ExtINT vector from KEEL_INTERRUPT (a userspace PIC), or -1
 * @eoi_exit: vectors whose EOI exits to the userspace IOAPIC
 * @routing_gen: the routing table generation @eoi_exit was computed for
 * @eoi_exit_vector: an EOI to report (KEEL_EXIT_IOAPIC_EOI), or -1
 * @vapic_addr: KEEL_SET_VAPIC_ADDR's guest-physical TPR mirror, 0: none
 * @tpr_report: KEEL_TPR_ACCESS_REPORTING is on
 * @tpr_access: a TPR access to report (1 write, 0 read), or -1
 * @tpr_access_rip: the address of the instruction that made it
 */
struct keel_lapic {
	struct keel_vcpu *vcpu;
	void *regs;
	struct hrtimer timer;
	u32 timer_mode;
	u64 period_ns;
	ktime_t deadline_ns;
	u64 tsc_deadline;
	atomic_t timer_fired;
	unsigned long events;
	u8 sipi_vector;
	atomic_t nmi_queued;
	int extint;
	DECLARE_BITMAP(eoi_exit, 256);
	u32 routing_gen;
	int eoi_exit_vector;
	u64 vapic_addr;
	bool tpr_report;
	s8 tpr_access;
	u64 tpr_access_rip;
};

/* The APIC version register: version 0x14, six LVT entries, as KVM. */
#define KEEL_APIC_VERSION	0x50014

/* Message signalled interrupts (KEEL_SIGNAL_MSI, MSI routes). */
struct keel_msi_target {
	u32 dest;
	u8 vector;
	u8 delivery_mode;
	bool logical;
	bool level;
};

/* lapic.c */
int keel_lapic_create(struct keel_vcpu *vcpu);
void keel_lapic_free(struct keel_vcpu *vcpu);
void keel_lapic_reset(struct keel_vcpu *vcpu, bool init);
int keel_lapic_mmio_read(struct keel_vcpu *vcpu, u64 gpa, u32 len, void *val);
int keel_lapic_mmio_write(struct keel_vcpu *vcpu, u64 gpa, u32 len,
			  const void *val);
bool keel_lapic_is_x2apic_msr(u32 msr);
int keel_lapic_get_x2apic_msr(struct keel_vcpu *vcpu, u32 msr, u64 *val,
			      bool host);
int keel_lapic_set_x2apic_msr(struct keel_vcpu *vcpu, u32 msr, u64 val,
			      bool host);
int keel_lapic_check_base(struct keel_vcpu *vcpu, u64 val, bool host);
int keel_lapic_set_base(struct keel_vcpu *vcpu, u64 val, bool host);
int keel_lapic_deliver(struct keel_vm *vm, struct keel_vcpu *src,
		       const struct keel_msi_target *t, int shorthand);
bool keel_lapic_is_target(struct keel_vcpu *vcpu,
			  const struct keel_msi_target *t);
int keel_lapic_pending_vector(struct keel_vcpu *vcpu);
int keel_lapic_ack(struct keel_vcpu *vcpu);
bool keel_lapic_blocked_by_tpr(struct keel_vcpu *vcpu);
void keel_lapic_sync_tpr(struct keel_vcpu *vcpu, u8 cr8);
u8 keel_lapic_cr8(struct keel_vcpu *vcpu);
bool keel_lapic_accepts_extint(struct keel_vcpu *vcpu);
void keel_lapic_set_irr(struct keel_vcpu *vcpu, u8 vector, bool level);
long keel_lapic_get_state(struct keel_vcpu *vcpu, void __user *u);
long keel_lapic_set_state(struct keel_vcpu *vcpu, const void __user *u);
u32 keel_lapic_vapic_data(struct keel_vcpu *vcpu);
void keel_lapic_set_tpr(struct keel_vcpu *vcpu, u8 tpr);

/* vapic.c */
long keel_x86_tpr_access_reporting(struct keel_vcpu *vcpu,
				   struct keel_tpr_access_ctl __user *u);
long keel_x86_set_vapic_addr(struct keel_vcpu *vcpu,
			     const struct keel_vapic_addr __user *u);
void keel_vapic_sync_to(struct keel_vcpu *vcpu);
void keel_vapic_sync_from(struct keel_vcpu *vcpu);
void keel_vapic_report(struct keel_vcpu *vcpu, struct keel_run *run);

/* msi.c */
int keel_x86_msi_decode(u32 address_lo, u32 address_hi, u32 data,
			struct keel_msi_target *t);
void keel_x86_apic_scan_eoi_exits(struct keel_vcpu *vcpu);
long keel_x86_signal_msi(struct keel_vm *vm, const struct keel_msi __user *u);

/* lapic_timer.c */
void keel_lapic_timer_init(struct keel_lapic *apic);
void keel_lapic_timer_cancel(struct keel_lapic *apic);
void keel_lapic_timer_start(struct keel_lapic *apic, u32 count);
void keel_lapic_timer_restore(struct keel_lapic *apic, u32 tmcct);
u32 keel_lapic_timer_current(struct keel_lapic *apic);
void keel_lapic_timer_lvtt_written(struct keel_lapic *apic);
void keel_lapic_timer_deliver(struct keel_lapic *apic);
u64 keel_lapic_get_tsc_deadline(struct keel_vcpu *vcpu);
void keel_lapic_set_tsc_deadline(struct keel_vcpu *vcpu, u64 val);

#endif /* _KEEL_LAPIC_H */
