/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: guest code's port I/O, the 8259 pair it programs, and
 * its wait for an interrupt.
 */
#ifndef KEEL_GUEST_PIC_H
#define KEEL_GUEST_PIC_H

#include "guest.h"

static inline KL_NO_VECTOR void guest_outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline KL_NO_VECTOR u8 guest_inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* ICW1-4: master vectors from @master, slave from @slave on pin 2. */
static inline KL_NO_VECTOR void guest_pic_init(u8 master, u8 slave)
{
	guest_outb(0x20, 0x11);
	guest_outb(0x21, master);
	guest_outb(0x21, 0x04);
	guest_outb(0x21, 0x01);
	guest_outb(0xa0, 0x11);
	guest_outb(0xa1, slave);
	guest_outb(0xa1, 0x02);
	guest_outb(0xa1, 0x01);
}

/*
 * Let one interrupt in: "sti; hlt", or spinning with "sti; pause" for
 * kvm_amd under QEMU TCG, which returns a guest to the HLT of "sti; hlt"
 * with the interrupt already taken (halt_wake_test).
 */
static inline KL_NO_VECTOR void guest_wait_irq(bool spin)
{
	if (spin)
		asm volatile("sti; pause; cli" ::: "memory");
	else
		asm volatile("sti; hlt; cli" ::: "memory");
}

#endif
