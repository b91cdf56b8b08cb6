/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: guest code's view of its local APIC (xAPIC registers
 * at the default base, x2APIC MSRs) and of the TSC.
 */
#ifndef KEEL_GUEST_APIC_H
#define KEEL_GUEST_APIC_H

#include "guest.h"

#define APIC_MMIO	0xfee00000UL
#define X2APIC_MSR(r)	(0x800 + ((r) >> 4))

#define R_ID		0x20
#define R_LVR		0x30
#define R_TPR		0x80
#define R_PPR		0xa0
#define R_EOI		0xb0
#define R_LDR		0xd0
#define R_SPIV		0xf0
#define R_ISR		0x100
#define R_IRR		0x200
#define R_ICR		0x300
#define R_ICR2		0x310
#define R_LVTT		0x320
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0

#define ICR_SELF	0x40000		/* destination shorthand: self */

static inline u32 apic_read(u32 r)
{
	return *(volatile u32 *)(APIC_MMIO + r);
}

static inline void apic_write(u32 r, u32 v)
{
	*(volatile u32 *)(APIC_MMIO + r) = v;
}

/* xAPIC IPI to physical APIC ID @dest. */
static inline void apic_send_ipi(u32 dest, u32 icr)
{
	apic_write(R_ICR2, dest << 24);
	apic_write(R_ICR, icr);
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((u64)hi << 32);
}

#endif
