/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: what guest code uses. Guest code is C in the test
 * binary, running at CPL0 in 64-bit mode with interrupts off; it must not
 * call libc. It talks to the host through ucalls: an OUT to KL_UCALL_PORT
 * with RDI pointing at a struct kl_ucall in guest memory.
 */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H

#include "test_util.h"

#define KL_UCALL_PORT	0x1e7

enum {
	KL_UCALL_NONE,
	KL_UCALL_SYNC,
	KL_UCALL_DONE,
	KL_UCALL_ABORT,
	KL_UCALL_EXCEPTION,
};

struct kl_ucall {
	u64 cmd;
	u64 args[5];
};

/* Never touches vector registers, so guests can test theirs across it. */
#define KL_NO_VECTOR __attribute__((target("general-regs-only")))

static inline KL_NO_VECTOR void kl_ucall(u64 cmd, u64 a0, u64 a1, u64 a2, u64 a3)
{
	struct kl_ucall uc = { cmd, { a0, a1, a2, a3 } };

	asm volatile("out %%al, %%dx"
		     :: "d"(KL_UCALL_PORT), "a"(0), "D"(&uc) : "memory");
}

#define GUEST_SYNC(v)		kl_ucall(KL_UCALL_SYNC, (u64)(v), 0, 0, 0)
#define GUEST_SYNC2(a, b)	kl_ucall(KL_UCALL_SYNC, (u64)(a), (u64)(b), 0, 0)
#define GUEST_DONE()		kl_ucall(KL_UCALL_DONE, 0, 0, 0, 0)
#define GUEST_ASSERT(c)							\
	do {								\
		if (!(c))						\
			kl_ucall(KL_UCALL_ABORT, (u64)__FILE__, __LINE__, \
				 (u64)#c, 0);				\
	} while (0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		u64 __a = (u64)(a), __b = (u64)(b);			\
		if (__a != __b)						\
			kl_ucall(KL_UCALL_ABORT, (u64)__FILE__, __LINE__, \
				 (u64)#a " == " #b, __a);		\
	} while (0)

/* Interrupts on vectors 32-255 the guest took, and the last vector. */
extern volatile u64 kl_irq_count;
extern volatile u64 kl_irq_last;
/* ... and those that interrupted code running with IF clear (a bug). */
extern volatile u64 kl_irq_masked;
void kl_guest_irq(u64 vector, u64 rflags);
/* Guest code may set it (in the guest) to act on each interrupt, e.g. EOI. */
extern void (*volatile kl_irq_hook)(u64 vector);

static inline void kl_guest_hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

#endif
