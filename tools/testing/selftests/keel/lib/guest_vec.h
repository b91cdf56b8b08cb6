/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: guest code that moves all sixteen vector registers to
 * and from memory, touching nothing else, and turns AVX on.
 */
#ifndef KEEL_GUEST_VEC_H
#define KEEL_GUEST_VEC_H

#include "guest.h"

/* All sixteen vector registers to and from memory, nothing else. */
static inline KL_NO_VECTOR void load_xmm(const u8 *p)
{
	asm volatile("movdqu 0(%0), %%xmm0\n\t"
		     "movdqu 16(%0), %%xmm1\n\t"
		     "movdqu 32(%0), %%xmm2\n\t"
		     "movdqu 48(%0), %%xmm3\n\t"
		     "movdqu 64(%0), %%xmm4\n\t"
		     "movdqu 80(%0), %%xmm5\n\t"
		     "movdqu 96(%0), %%xmm6\n\t"
		     "movdqu 112(%0), %%xmm7\n\t"
		     "movdqu 128(%0), %%xmm8\n\t"
		     "movdqu 144(%0), %%xmm9\n\t"
		     "movdqu 160(%0), %%xmm10\n\t"
		     "movdqu 176(%0), %%xmm11\n\t"
		     "movdqu 192(%0), %%xmm12\n\t"
		     "movdqu 208(%0), %%xmm13\n\t"
		     "movdqu 224(%0), %%xmm14\n\t"
		     "movdqu 240(%0), %%xmm15\n\t"
		     :: "r"(p) : "memory");
}

static inline KL_NO_VECTOR void save_xmm(u8 *p)
{
	asm volatile("movdqu %%xmm0, 0(%0)\n\t"
		     "movdqu %%xmm1, 16(%0)\n\t"
		     "movdqu %%xmm2, 32(%0)\n\t"
		     "movdqu %%xmm3, 48(%0)\n\t"
		     "movdqu %%xmm4, 64(%0)\n\t"
		     "movdqu %%xmm5, 80(%0)\n\t"
		     "movdqu %%xmm6, 96(%0)\n\t"
		     "movdqu %%xmm7, 112(%0)\n\t"
		     "movdqu %%xmm8, 128(%0)\n\t"
		     "movdqu %%xmm9, 144(%0)\n\t"
		     "movdqu %%xmm10, 160(%0)\n\t"
		     "movdqu %%xmm11, 176(%0)\n\t"
		     "movdqu %%xmm12, 192(%0)\n\t"
		     "movdqu %%xmm13, 208(%0)\n\t"
		     "movdqu %%xmm14, 224(%0)\n\t"
		     "movdqu %%xmm15, 240(%0)\n\t"
		     :: "r"(p) : "memory");
}

static inline KL_NO_VECTOR void load_ymm(const u8 *p)
{
	asm volatile("vmovdqu 0(%0), %%ymm0\n\t"
		     "vmovdqu 32(%0), %%ymm1\n\t"
		     "vmovdqu 64(%0), %%ymm2\n\t"
		     "vmovdqu 96(%0), %%ymm3\n\t"
		     "vmovdqu 128(%0), %%ymm4\n\t"
		     "vmovdqu 160(%0), %%ymm5\n\t"
		     "vmovdqu 192(%0), %%ymm6\n\t"
		     "vmovdqu 224(%0), %%ymm7\n\t"
		     "vmovdqu 256(%0), %%ymm8\n\t"
		     "vmovdqu 288(%0), %%ymm9\n\t"
		     "vmovdqu 320(%0), %%ymm10\n\t"
		     "vmovdqu 352(%0), %%ymm11\n\t"
		     "vmovdqu 384(%0), %%ymm12\n\t"
		     "vmovdqu 416(%0), %%ymm13\n\t"
		     "vmovdqu 448(%0), %%ymm14\n\t"
		     "vmovdqu 480(%0), %%ymm15\n\t"
		     :: "r"(p) : "memory");
}

static inline KL_NO_VECTOR void save_ymm(u8 *p)
{
	asm volatile("vmovdqu %%ymm0, 0(%0)\n\t"
		     "vmovdqu %%ymm1, 32(%0)\n\t"
		     "vmovdqu %%ymm2, 64(%0)\n\t"
		     "vmovdqu %%ymm3, 96(%0)\n\t"
		     "vmovdqu %%ymm4, 128(%0)\n\t"
		     "vmovdqu %%ymm5, 160(%0)\n\t"
		     "vmovdqu %%ymm6, 192(%0)\n\t"
		     "vmovdqu %%ymm7, 224(%0)\n\t"
		     "vmovdqu %%ymm8, 256(%0)\n\t"
		     "vmovdqu %%ymm9, 288(%0)\n\t"
		     "vmovdqu %%ymm10, 320(%0)\n\t"
		     "vmovdqu %%ymm11, 352(%0)\n\t"
		     "vmovdqu %%ymm12, 384(%0)\n\t"
		     "vmovdqu %%ymm13, 416(%0)\n\t"
		     "vmovdqu %%ymm14, 448(%0)\n\t"
		     "vmovdqu %%ymm15, 480(%0)\n\t"
		     :: "r"(p) : "memory");
}

/* Turn AVX on if CPUID has it; returns whether it did. */
static inline KL_NO_VECTOR bool guest_enable_avx(void)
{
	u32 a, b, c, d;
	u64 cr4;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 28)) || !(c & (1u << 26)))
		return false;
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" :: "r"(cr4 | (1ULL << 18)));
	asm volatile("xsetbv" :: "a"(7), "d"(0), "c"(0));
	return true;
}

#endif
