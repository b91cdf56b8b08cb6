// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's FPU, vector and XCR state from userspace
 * (KEEL_GET/SET_FPU, KEEL_GET/SET_XSAVE, KEEL_GET_XSAVE2, KEEL_GET/SET_XCRS).
 *
 * keel's per-vCPU area (fpu.c) is already a standard-format XSAVE image,
 * so the uapi image is that area, zero-extended to 4096 bytes. Components
 * the image marks as in their init state (XSTATE_BV clear) are reported
 * with their init values, so GET is deterministic and GET, SET, GET is an
 * identity. Everything is validated before the area changes.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>

#include <keel/compat.h>
#include <keel/core.h>

#define KEEL_XSAVE_UABI_SIZE	4096
#define FX_FCW			0
#define FX_FTW			4
#define FX_FOP			6
#define FX_FIP			8
#define FX_FDP			16
#define FX_MXCSR		24
#define FX_ST			32
#define FX_XMM			160
#define XS_HDR			512
#define XS_XSTATE_BV		512
#define XS_XCOMP_BV		520
#define XS_HDR_RSVD		528
#define XS_HDR_END		576

/* The XSTATE_BV bits a SET may carry: the guest's XCR0 bits, x87, SSE. */
static u64 keel_xstate_allowed(struct keel_vcpu *vcpu)
{
	return vcpu->arch.guest_xcr0 | XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
}

/* Rewrite components in their init state with their init values. */
static void keel_xsave_normalize(u8 *img)
{
	u64 bv = *(u64 *)(img + XS_XSTATE_BV);
	u32 a, b, c, d;
	int i;

	if (!keel_fpu_guest_supported_xcr0())
		return;
	if (!(bv & XFEATURE_MASK_FP)) {
		memset(img, 0, FX_MXCSR);
		memset(img + FX_ST, 0, FX_XMM - FX_ST);
		*(u16 *)(img + FX_FCW) = 0x37f;
	}
	if (!(bv & XFEATURE_MASK_SSE))
		memset(img + FX_XMM, 0, 16 * 16);
	for (i = 2; i < 64; i++) {
		if (!(keel_fpu_guest_supported_xcr0() & BIT_ULL(i)) ||
		    (bv & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &a, &b, &c, &d);
		if (b + a <= KEEL_XSAVE_UABI_SIZE)
			memset(img + b, 0, a);
	}
}

static u8 *keel_xsave_image(struct keel_vcpu *vcpu)
{
	u8 *img = kzalloc(KEEL_XSAVE_UABI_SIZE, GFP_KERNEL_ACCOUNT);

	if (!img)
		return NULL;
	memcpy(img, vcpu->arch.fpu.xsave,
	       min_t(u32, keel_fpu_area_size(), KEEL_XSAVE_UABI_SIZE));
	/* Without XSAVE the area is an FXSAVE image: x87 and SSE are live. */
	if (!keel_fpu_guest_supported_xcr0())
		*(u64 *)(img + XS_XSTATE_BV) = XFEATURE_MASK_FP |
					      XFEATURE_MASK_SSE;
	/*
	 * As KVM: only components the guest's CPUID allows, so that the
	 * image goes back through SET_XSAVE. A CPU may report others in
	 * use (QEMU's emulated XSAVE reports every one).
	 */
	*(u64 *)(img + XS_XSTATE_BV) &= keel_xstate_allowed(vcpu);
	keel_xsave_normalize(img);
	return img;
}

long keel_x86_get_xsave(struct keel_vcpu *vcpu, void __user *u)
{
	u8 *img = keel_xsave_image(vcpu);
	long r = 0;

	if (!img)
		return -ENOMEM;
	if (copy_to_user(u, img, KEEL_XSAVE_UABI_SIZE))
		r = -EFAULT;
	kfree(img);
	return r;
}

long keel_x86_set_xsave(struct keel_vcpu *vcpu, const void __user *u)
{
	u8 *img = memdup_user(u, KEEL_XSAVE_UABI_SIZE);
	u64 bv;

	if (IS_ERR(img))
		return PTR_ERR(img);
	bv = *(u64 *)(img + XS_XSTATE_BV);
	/* As the XRSTOR the image will meet, and KVM's uabi checks. */
	if ((bv & ~keel_xstate_allowed(vcpu)) || *(u64 *)(img + XS_XCOMP_BV) ||
	    memchr_inv(img + XS_HDR_RSVD, 0, XS_HDR_END - XS_HDR_RSVD) ||
	    (*(u32 *)(img + FX_MXCSR) & ~keel_fpu_mxcsr_mask())) {
		kfree(img);
		return -EINVAL;
	}
	keel_xsave_normalize(img);
	memcpy(vcpu->arch.fpu.xsave, img,
	       min_t(u32, keel_fpu_area_size(), KEEL_XSAVE_UABI_SIZE));
	kfree(img);
	return 0;
}

long keel_x86_get_fpu(struct keel_vcpu *vcpu, struct keel_fpu __user *u)
{
	u8 *img = keel_xsave_image(vcpu);
	struct keel_fpu f = { 0 };
	int i;

	if (!img)
		return -ENOMEM;
	for (i = 0; i < 8; i++)
		memcpy(f.fpr[i], img + FX_ST + 16 * i, 16);
	f.fcw = *(u16 *)(img + FX_FCW);
	f.fsw = *(u16 *)(img + FX_FCW + 2);
	f.ftwx = img[FX_FTW];
	f.last_opcode = *(u16 *)(img + FX_FOP);
	f.last_ip = *(u64 *)(img + FX_FIP);
	f.last_dp = *(u64 *)(img + FX_FDP);
	memcpy(f.xmm, img + FX_XMM, sizeof(f.xmm));
	f.mxcsr = *(u32 *)(img + FX_MXCSR);
	kfree(img);
	return copy_to_user(u, &f, sizeof(f)) ? -EFAULT : 0;
}

long keel_x86_set_fpu(struct keel_vcpu *vcpu, const struct keel_fpu __user *u)
{
	u8 *area = vcpu->arch.fpu.xsave;
	struct keel_fpu f;
	int i;

	if (copy_from_user(&f, u, sizeof(f)))
		return -EFAULT;
	if (f.pad1 || f.pad2 || (f.mxcsr & ~keel_fpu_mxcsr_mask()))
		return -EINVAL;
	for (i = 0; i < 8; i++)
		memcpy(area + FX_ST + 16 * i, f.fpr[i], 16);
	*(u16 *)(area + FX_FCW) = f.fcw;
	*(u16 *)(area + FX_FCW + 2) = f.fsw;
	area[FX_FTW] = f.ftwx;
	*(u16 *)(area + FX_FOP) = f.last_opcode;
	*(u64 *)(area + FX_FIP) = f.last_ip;
	*(u64 *)(area + FX_FDP) = f.last_dp;
	memcpy(area + FX_XMM, f.xmm, sizeof(f.xmm));
	*(u32 *)(area + FX_MXCSR) = f.mxcsr;
	/* The values just written are live: XRSTOR must load them. */
	if (keel_fpu_guest_supported_xcr0())
		*(u64 *)(area + XS_XSTATE_BV) |= XFEATURE_MASK_FP |
						 XFEATURE_MASK_SSE;
	return 0;
}

long keel_x86_get_xcrs(struct keel_vcpu *vcpu, struct keel_xcrs __user *u)
{
	struct keel_xcrs x = { 0 };

	if (keel_fpu_guest_supported_xcr0()) {
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = vcpu->arch.fpu.xcr0;
	}
	return copy_to_user(u, &x, sizeof(x)) ? -EFAULT : 0;
}

/* The rules of XSETBV, against what the guest's CPUID allows. */
bool keel_x86_xcr0_valid(struct keel_vcpu *vcpu, u64 val)
{
	return !(val & ~(vcpu->arch.guest_xcr0 | XFEATURE_MASK_FP)) &&
	       (val & XFEATURE_MASK_FP) &&
	       (!(val & XFEATURE_MASK_YMM) || (val & XFEATURE_MASK_SSE));
}

long keel_x86_set_xcrs(struct keel_vcpu *vcpu, const struct keel_xcrs __user *u)
{
	struct keel_xcrs x;
	u64 xcr0 = vcpu->arch.fpu.xcr0;
	u32 i;

	if (copy_from_user(&x, u, sizeof(x)))
		return -EFAULT;
	if (x.flags || x.nr_xcrs > KEEL_MAX_XCRS ||
	    memchr_inv(x.padding, 0, sizeof(x.padding)))
		return -EINVAL;
	for (i = 0; i < KEEL_MAX_XCRS; i++) {
		struct keel_xcr *e = &x.xcrs[i];

		/* Unused slots are reserved, like the fields of used ones. */
		if (i >= x.nr_xcrs) {
			if (e->xcr || e->reserved || e->value)
				return -EINVAL;
			continue;
		}
		if (e->xcr != 0 || e->reserved ||
		    !keel_fpu_guest_supported_xcr0() ||
		    !keel_x86_xcr0_valid(vcpu, e->value))
			return -EINVAL;
		xcr0 = e->value;
	}
	vcpu->arch.fpu.xcr0 = xcr0;
	return 0;
}
