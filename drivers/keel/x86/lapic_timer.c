// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the local APIC timer on an hrtimer, in its three modes.
 *
 * One-shot and periodic count at the APIC bus rate, which keel pins to
 * 1 GHz as KVM does, divided by TDCR. TSC-deadline fires when the guest's
 * TSC reaches MSR_IA32_TSC_DEADLINE. The hrtimer only counts expirations
 * and kicks the vCPU; its thread raises the LVT interrupt before entry.
 * Periods shorter than 200 us are stretched to it, as KVM's default
 * min_timer_period_us does, so a guest cannot flood the host.
 */
#include <linux/math64.h>
#include <asm/apicdef.h>
#include <asm/tsc.h>

#include <keel/compat.h>
#include <keel/core.h>

#define KEEL_LVT_TIMER_MODE	(3 << 17)
#define KEEL_APIC_MIN_PERIOD_NS	200000ULL

static u32 keel_timer_reg(struct keel_lapic *apic, u32 off)
{
	return READ_ONCE(*(u32 *)(apic->regs + off));
}

/* TDCR: bits 0, 1 and 3 select a divisor of 2 to 128, or 1. */
static u32 keel_timer_divide(struct keel_lapic *apic)
{
	u32 tdcr = keel_timer_reg(apic, APIC_TDCR);
	u32 n = (tdcr & 3) | ((tdcr & 8) >> 1);

	return n == 7 ? 1 : 2 << n;
}

static enum hrtimer_restart keel_lapic_timer_fn(struct hrtimer *t)
{
	struct keel_lapic *apic = container_of(t, struct keel_lapic, timer);
	struct keel_vcpu *vcpu = apic->vcpu;

	atomic_inc(&apic->timer_fired);
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	keel_vcpu_kick(vcpu);
	if (READ_ONCE(apic->timer_mode) != APIC_LVT_TIMER_PERIODIC ||
	    !apic->period_ns)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(apic->period_ns));
	apic->deadline_ns = hrtimer_get_expires(t);
	return HRTIMER_RESTART;
}

void keel_lapic_timer_init(struct keel_lapic *apic)
{
	keel_hrtimer_setup(&apic->timer, keel_lapic_timer_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_ABS_HARD);
}

void keel_lapic_timer_cancel(struct keel_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
}

static void keel_timer_arm(struct keel_lapic *apic, u64 ns)
{
	apic->deadline_ns = ktime_add_ns(ktime_get(), ns);
	hrtimer_start(&apic->timer, apic->deadline_ns, HRTIMER_MODE_ABS_HARD);
}

/* TMICT written (or restored): count @count ticks, 0 stops the timer. */
void keel_lapic_timer_start(struct keel_lapic *apic, u32 count)
{
	u64 tick = keel_timer_divide(apic);

	hrtimer_cancel(&apic->timer);
	/* An expiry of the old count was raised then, not by this one. */
	keel_lapic_timer_deliver(apic);
	apic->timer_mode = keel_timer_reg(apic, APIC_LVTT) & KEEL_LVT_TIMER_MODE;
	apic->period_ns = 0;
	if (apic->timer_mode == APIC_LVT_TIMER_TSCDEADLINE || !count)
		return;
	if (apic->timer_mode == APIC_LVT_TIMER_PERIODIC)
		apic->period_ns = max(keel_timer_reg(apic, APIC_TMICT) * tick,
				      KEEL_APIC_MIN_PERIOD_NS);
	keel_timer_arm(apic, count * tick);
}

/*
 * SET_LAPIC: carry on from the saved current count, as KVM does. A count
 * of 0 means a periodic timer was reloading, and a one-shot one is due
 * now (QEMU's APIC model keeps no count and always sends 0: an early
 * interrupt beats a lost one); a count beyond TMICT is cut to it.
 */
void keel_lapic_timer_restore(struct keel_lapic *apic, u32 tmcct)
{
	u32 tmict = keel_timer_reg(apic, APIC_TMICT);

	if (!tmcct && apic->timer_mode != APIC_LVT_TIMER_PERIODIC) {
		keel_lapic_timer_start(apic, 0);
		atomic_inc(&apic->timer_fired);
		set_bit(KEEL_REQ_EVENT, &apic->vcpu->requests);
		return;
	}
	keel_lapic_timer_start(apic, tmcct && tmcct <= tmict ? tmcct : tmict);
}

/* TMCCT: what is left of the current period, in ticks. */
u32 keel_lapic_timer_current(struct keel_lapic *apic)
{
	s64 left;

	if (apic->timer_mode == APIC_LVT_TIMER_TSCDEADLINE ||
	    !keel_timer_reg(apic, APIC_TMICT) || !hrtimer_active(&apic->timer))
		return 0;
	left = ktime_to_ns(ktime_sub(apic->deadline_ns, ktime_get()));
	if (left <= 0)
		return 0;
	return div_u64(left, keel_timer_divide(apic));
}

/*
 * LVTT written: entering or leaving TSC-deadline mode stops the timer and
 * clears its count, as KVM; one-shot and periodic switch on the fly.
 */
void keel_lapic_timer_lvtt_written(struct keel_lapic *apic)
{
	u32 mode = keel_timer_reg(apic, APIC_LVTT) & KEEL_LVT_TIMER_MODE;
	bool was_deadline = apic->timer_mode == APIC_LVT_TIMER_TSCDEADLINE;
	bool is_deadline = mode == APIC_LVT_TIMER_TSCDEADLINE;

	if (mode == apic->timer_mode)
		return;
	if (was_deadline != is_deadline) {
		hrtimer_cancel(&apic->timer);
		/* The old mode's expiries went out before LVTT changed. */
		atomic_set(&apic->timer_fired, 0);
		*(u32 *)(apic->regs + APIC_TMICT) = 0;
		apic->period_ns = 0;
		apic->tsc_deadline = 0;
	}
	WRITE_ONCE(apic->timer_mode, mode);
}

/* Before entry: turn expirations into the LVT timer interrupt. */
void keel_lapic_timer_deliver(struct keel_lapic *apic)
{
	u32 lvtt;

	if (!atomic_xchg(&apic->timer_fired, 0))
		return;
	if (apic->timer_mode == APIC_LVT_TIMER_TSCDEADLINE)
		apic->tsc_deadline = 0;
	lvtt = keel_timer_reg(apic, APIC_LVTT);
	if (!(lvtt & APIC_LVT_MASKED) && (lvtt & APIC_VECTOR_MASK) >= 16 &&
	    (keel_timer_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
		keel_lapic_set_irr(apic->vcpu, lvtt & APIC_VECTOR_MASK, false);
}

u64 keel_lapic_get_tsc_deadline(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if (!apic || apic->timer_mode != APIC_LVT_TIMER_TSCDEADLINE)
		return 0;
	return apic->tsc_deadline;
}

/* Ignored unless the LVT timer is in TSC-deadline mode, as on hardware. */
void keel_lapic_set_tsc_deadline(struct keel_vcpu *vcpu, u64 val)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	u64 now;

	if (!apic || apic->timer_mode != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&apic->timer);
	/* The old deadline's expiry, if any, fires now, before the new one. */
	keel_lapic_timer_deliver(apic);
	apic->tsc_deadline = val;
	if (!val)
		return;
	now = rdtsc() + keel_x86_tsc_offset(vcpu);
	if (val <= now) {
		atomic_inc(&apic->timer_fired);
		set_bit(KEEL_REQ_EVENT, &vcpu->requests);
		return;
	}
	/* The guest's TSC runs at the host's rate (no TSC scaling). */
	keel_timer_arm(apic, mul_u64_u32_div(val - now, 1000000, tsc_khz));
}
