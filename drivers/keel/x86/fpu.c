// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's FPU/SSE/AVX state.
 *
 * The kernel's guest-FPU helpers are exported to KVM only, so keel keeps
 * the guest's state in its own XSAVE area and uses the open kernel FPU API:
 * kernel_fpu_begin() saves the host task's registers (they come back on
 * return to user mode), keel loads the guest's, runs the guest and saves
 * them again before kernel_fpu_end(). The guest state therefore never sits
 * in the registers while the host can be preempted.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/log2.h>
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include <keel/compat.h>
#include <keel/core.h>

#define KEEL_XFEATURES		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM)
#define FXSAVE_SIZE		512
#define XSAVE_HDR_OFFSET	512
#define FXSAVE_FCW		0
#define FXSAVE_MXCSR		24

static u64 keel_host_xcr0;
static u64 keel_guest_xcr0_mask;
static unsigned int keel_xsave_alloc;
static u32 keel_mxcsr_mask;

static inline u64 keel_xgetbv(u32 index)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | ((u64)hi << 32);
}

static inline void keel_xsetbv(u32 index, u64 val)
{
	asm volatile("xsetbv" :: "a"((u32)val), "d"((u32)(val >> 32)),
		     "c"(index));
}

u64 keel_fpu_guest_supported_xcr0(void)
{
	return keel_guest_xcr0_mask;
}

/* Bytes of a vCPU's XSAVE area (zero beyond what the image uses). */
u32 keel_fpu_area_size(void)
{
	return keel_xsave_alloc;
}

/* The MXCSR bits this CPU implements; others make FXRSTOR/XRSTOR fault. */
u32 keel_fpu_mxcsr_mask(void)
{
	return keel_mxcsr_mask;
}

static void keel_fpu_probe_mxcsr_mask(void)
{
	u8 *buf = kzalloc(FXSAVE_SIZE, GFP_KERNEL);

	keel_mxcsr_mask = 0xffbf;	/* what a zero MXCSR_MASK means */
	if (!buf)
		return;
	kernel_fpu_begin();
	asm volatile("fxsave64 (%0)" :: "r"(buf) : "memory");
	kernel_fpu_end();
	if (*(u32 *)(buf + FXSAVE_MXCSR + 4))
		keel_mxcsr_mask = *(u32 *)(buf + FXSAVE_MXCSR + 4);
	kfree(buf);
}

int keel_fpu_setup(void)
{
	unsigned int size = FXSAVE_SIZE;
	u32 a, b, c, d;
	int i;

	if (!boot_cpu_has(X86_FEATURE_FXSR)) {
		pr_err("CPU without FXSAVE is not supported\n");
		return -ENODEV;
	}
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		keel_host_xcr0 = keel_xgetbv(0);
		keel_guest_xcr0_mask = keel_host_xcr0 & KEEL_XFEATURES;
		size = XSAVE_HDR_OFFSET + 64;
		for (i = 2; i < 64; i++) {
			if (!(keel_guest_xcr0_mask & BIT_ULL(i)))
				continue;
			cpuid_count(0xd, i, &a, &b, &c, &d);
			size = max(size, a + b);
		}
	}
	/* A power of two keeps kmalloc's natural (>= 64 byte) alignment. */
	keel_xsave_alloc = roundup_pow_of_two(size);
	keel_fpu_probe_mxcsr_mask();
	return 0;
}

int keel_fpu_vcpu_init(struct keel_vcpu *vcpu)
{
	u8 *area = kzalloc(keel_xsave_alloc, GFP_KERNEL_ACCOUNT);

	if (!area)
		return -ENOMEM;
	/* Power-on state: x87 control word 0x37f, MXCSR 0x1f80. */
	*(u16 *)(area + FXSAVE_FCW) = 0x37f;
	*(u32 *)(area + FXSAVE_MXCSR) = 0x1f80;
	vcpu->arch.fpu.xsave = area;
	vcpu->arch.fpu.xcr0 = XFEATURE_MASK_FP;
	return 0;
}

void keel_fpu_vcpu_free(struct keel_vcpu *vcpu)
{
	kfree(vcpu->arch.fpu.xsave);
	vcpu->arch.fpu.xsave = NULL;
}

/* Enters a kernel-FPU section (preemption off) with the guest's registers. */
void keel_fpu_load_guest(struct keel_vcpu *vcpu)
{
	void *area = vcpu->arch.fpu.xsave;
	u64 m = keel_guest_xcr0_mask;

	kernel_fpu_begin();
	if (m)
		asm volatile("xrstor64 (%0)" :: "r"(area), "a"((u32)m),
			     "d"((u32)(m >> 32)) : "memory");
	else
		asm volatile("fxrstor64 (%0)" :: "r"(area) : "memory");
}

void keel_fpu_put_guest(struct keel_vcpu *vcpu)
{
	void *area = vcpu->arch.fpu.xsave;
	u64 m = keel_guest_xcr0_mask;

	if (m)
		asm volatile("xsave64 (%0)" :: "r"(area), "a"((u32)m),
			     "d"((u32)(m >> 32)) : "memory");
	else
		asm volatile("fxsave64 (%0)" :: "r"(area) : "memory");
	kernel_fpu_end();
}

/* Called with GIF clear, around the guest entry. */
void keel_fpu_switch_xcr0_guest(struct keel_vcpu *vcpu)
{
	if (keel_guest_xcr0_mask && vcpu->arch.fpu.xcr0 != keel_host_xcr0)
		keel_xsetbv(0, vcpu->arch.fpu.xcr0);
}

/*
 * Some CPUs (QEMU's emulated SVM) do not intercept XSETBV, so the guest may
 * have changed XCR0 itself: take its value as the guest's, within what the
 * guest may enable, before the host's comes back.
 */
void keel_fpu_switch_xcr0_host(struct keel_vcpu *vcpu)
{
	u64 cur;

	if (!keel_guest_xcr0_mask)
		return;
	cur = keel_xgetbv(0);
	vcpu->arch.fpu.xcr0 = (cur & keel_guest_xcr0_mask) | XFEATURE_MASK_FP;
	if (cur != keel_host_xcr0)
		keel_xsetbv(0, keel_host_xcr0);
}
