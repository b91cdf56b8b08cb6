/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels keel supports
 * (Documentation/kernels.rst), hidden behind one name each.
 */
#ifndef _KEEL_COMPAT_H
#define _KEEL_COMPAT_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#ifdef KEEL_HAVE_ASM_CPUID_API
/* After 6.12, cpuid_count() left <asm/processor.h> for this header. */
#include <asm/cpuid/api.h>
#endif

/*
 * Each KEEL_* switch here is set by Kbuild from the target kernel's
 * headers, so a distribution backport is detected too.
 */

/* 6.8 dropped eventfd_signal()'s count: it always adds 1. */
static inline void keel_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef KEEL_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* 6.13 added hrtimer_setup(); 6.15 dropped hrtimer_init(). */
static inline void
keel_hrtimer_setup(struct hrtimer *timer,
		   enum hrtimer_restart (*fn)(struct hrtimer *),
		   clockid_t clock, enum hrtimer_mode mode)
{
#ifdef KEEL_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* After 6.12, rdmsrl() and friends became rdmsrq(). */
#ifdef KEEL_HAVE_MSRQ
#define keel_host_rdmsr(msr, val)		rdmsrq(msr, val)
#define keel_host_wrmsr(msr, val)		wrmsrq(msr, val)
#define keel_host_rdmsr_safe(msr, p)		rdmsrq_safe(msr, p)
#else
#define keel_host_rdmsr(msr, val)		rdmsrl(msr, val)
#define keel_host_wrmsr(msr, val)		wrmsrl(msr, val)
#define keel_host_rdmsr_safe(msr, p)		rdmsrl_safe(msr, p)
#endif

#endif /* _KEEL_COMPAT_H */
