// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's CPUID.
 *
 * Until the CPUID ioctls exist, every guest sees one conservative model
 * derived from the host at module load: the host's vendor, family and
 * brand, and only the features keel virtualizes correctly (no APIC, no
 * MTRR, no SVM/VMX, no PMU, no XSAVES). Leaves outside the table read 0.
 */
#include <asm/processor.h>
#include <asm/cpufeature.h>

#include <keel/core.h>

struct keel_cpuid_entry {
	u32 leaf, subleaf;
	u32 eax, ebx, ecx, edx;
};

#define KEEL_CPUID_MAX_ENTRIES	24
static struct keel_cpuid_entry keel_cpuid[KEEL_CPUID_MAX_ENTRIES];
static int keel_cpuid_nr;

/* Leaf 1 */
#define C1_EDX_KEEP	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | \
			 BIT(5) | BIT(6) | BIT(8) | BIT(11) | BIT(13) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | \
			 BIT(24) | BIT(25) | BIT(26))
#define C1_ECX_KEEP	(BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | \
			 BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | \
			 BIT(26) | BIT(28) | BIT(29) | BIT(30))
#define C1_ECX_OSXSAVE	BIT(27)
#define C1_ECX_HYPERVISOR BIT(31)
/* Leaf 7.0: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT SHA */
#define C7_EBX_KEEP	(BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | \
			 BIT(9) | BIT(19) | BIT(20) | BIT(23) | BIT(29))
/* 0x80000001: LAHF ABM SSE4A MISALIGNSSE PREFETCHW; SYSCALL NX LM */
#define E1_ECX_KEEP	(BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
#define E1_EDX_KEEP	(BIT(11) | BIT(20) | BIT(29))

static void keel_cpuid_add(u32 leaf, u32 subleaf, u32 eax, u32 ebx, u32 ecx,
			   u32 edx)
{
	struct keel_cpuid_entry *e;

	if (WARN_ON_ONCE(keel_cpuid_nr >= KEEL_CPUID_MAX_ENTRIES))
		return;
	e = &keel_cpuid[keel_cpuid_nr++];
	*e = (struct keel_cpuid_entry){ leaf, subleaf, eax, ebx, ecx, edx };
}

int keel_cpuid_init(void)
{
	u32 a, b, c, d, max, xmax, i;
	u64 xcr0 = keel_fpu_guest_supported_xcr0();

	cpuid_count(0, 0, &max, &b, &c, &d);
	max = min_t(u32, max, 0xd);
	keel_cpuid_add(0, 0, max, b, c, d);

	cpuid_count(1, 0, &a, &b, &c, &d);
	/* Keep family/model and CLFLUSH size; APIC ID is per vCPU. */
	keel_cpuid_add(1, 0, a, b & 0xff00, (c & C1_ECX_KEEP) | C1_ECX_HYPERVISOR,
		       d & C1_EDX_KEEP);

	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		keel_cpuid_add(7, 0, 0, b & C7_EBX_KEEP, 0, 0);
	}
	if (max >= 0xd && xcr0) {
		cpuid_count(0xd, 0, &a, &b, &c, &d);
		keel_cpuid_add(0xd, 0, (u32)xcr0, 0, 0, (u32)(xcr0 >> 32));
		cpuid_count(0xd, 1, &a, &b, &c, &d);
		/* XSAVEOPT only: XSAVEC/XSAVES/XFD are not virtualized. */
		keel_cpuid_add(0xd, 1, a & BIT(0), 0, 0, 0);
		for (i = 2; i < 64; i++) {
			if (!(xcr0 & BIT_ULL(i)))
				continue;
			cpuid_count(0xd, i, &a, &b, &c, &d);
			keel_cpuid_add(0xd, i, a, b, c & ~BIT(0), 0);
		}
	}

	cpuid_count(0x80000000, 0, &xmax, &b, &c, &d);
	xmax = min_t(u32, xmax, 0x80000008);
	keel_cpuid_add(0x80000000, 0, xmax, b, c, d);
	if (xmax >= 0x80000001) {
		cpuid_count(0x80000001, 0, &a, &b, &c, &d);
		keel_cpuid_add(0x80000001, 0, a, 0, c & E1_ECX_KEEP,
			       d & E1_EDX_KEEP);
	}
	for (i = 0x80000002; i <= min_t(u32, xmax, 0x80000004); i++) {
		cpuid_count(i, 0, &a, &b, &c, &d);
		keel_cpuid_add(i, 0, a, b, c, d);
	}
	if (xmax >= 0x80000008) {
		cpuid_count(0x80000008, 0, &a, &b, &c, &d);
		keel_cpuid_add(0x80000008, 0, a & 0xffff, 0, 0, 0);
	}
	return 0;
}

/* XSAVE area size for the components enabled in @xcr0 (standard format). */
static u32 keel_xsave_size(u64 xcr0)
{
	u32 size = 576, i;

	for (i = 2; i < 64; i++) {
		u32 a, b, c, d;

		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &a, &b, &c, &d);
		size = max(size, a + b);
	}
	return size;
}

static void keel_cpuid_lookup(struct keel_vcpu *vcpu, u32 leaf, u32 subleaf,
			      u32 *a, u32 *b, u32 *c, u32 *d)
{
	int i;

	*a = *b = *c = *d = 0;
	for (i = 0; i < keel_cpuid_nr; i++) {
		struct keel_cpuid_entry *e = &keel_cpuid[i];

		if (e->leaf != leaf)
			continue;
		/* Leaves 7 and 0xd are indexed by ECX; others ignore it. */
		if ((leaf == 7 || leaf == 0xd) && e->subleaf != subleaf)
			continue;
		*a = e->eax;
		*b = e->ebx;
		*c = e->ecx;
		*d = e->edx;
		break;
	}

	if (leaf == 1) {
		*b |= (vcpu->vcpu_id & 0xff) << 24;
		if (keel_x86->get_cr(vcpu, 4) & X86_CR4_OSXSAVE)
			*c |= C1_ECX_OSXSAVE;
	} else if (leaf == 0xd && subleaf == 0 && *a) {
		*b = keel_xsave_size(vcpu->arch.fpu.xcr0);
		*c = keel_xsave_size(keel_fpu_guest_supported_xcr0());
	}
}

int keel_x86_handle_cpuid(struct keel_vcpu *vcpu, u64 next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	u32 a, b, c, d;

	keel_cpuid_lookup(vcpu, r[KEEL_REG_RAX], r[KEEL_REG_RCX], &a, &b, &c, &d);
	r[KEEL_REG_RAX] = a;
	r[KEEL_REG_RBX] = b;
	r[KEEL_REG_RCX] = c;
	r[KEEL_REG_RDX] = d;
	keel_x86_skip_to(vcpu, next_rip);
	return 1;
}
