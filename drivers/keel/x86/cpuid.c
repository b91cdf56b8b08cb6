// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the guest's CPUID.
 *
 * keel supports one conservative model derived from the host at module
 * load: the host's vendor, family and brand, and only the features keel
 * virtualizes correctly (no APIC, no SVM/VMX, no PMU, no XSAVES), plus the
 * ones it emulates (MTRR, TSC_ADJUST).
 * KEEL_GET_SUPPORTED_CPUID reports it, and every vCPU starts with it.
 * KEEL_SET_CPUID2 replaces a vCPU's table entirely; CPUID exits answer
 * from the vCPU's table only (leaves it lacks read 0, as on AMD), with the
 * bits that follow guest state (OSXSAVE, the XSAVE area size) kept live.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>

#include <keel/compat.h>
#include <keel/core.h>

/* As KVM: a table larger than this is refused before anything is copied. */
#define KEEL_MAX_CPUID_ENTRIES	256

#define SIG_INDEX		KEEL_CPUID_FLAG_SIGNIFCANT_INDEX

static struct keel_cpuid_entry2 keel_supported[32];
static int keel_supported_nr;

/* KVM's paravirtual leaves: the signature, then kvmclock (CLOCKSOURCE2)
 * and its stable bit.
 */
#define KVM_SIG_EBX		0x4b4d564b	/* "KVMKVMKVM\0\0\0" */
#define KVM_SIG_ECX		0x564b4d56
#define KVM_SIG_EDX		0x4d
#define KVM_F_CLOCKSOURCE	BIT(0)
#define KVM_F_NOP_IO_DELAY	BIT(1)
#define KVM_F_CLOCKSOURCE2	BIT(3)
#define KVM_F_CLOCK_STABLE	BIT(24)

/* Leaf 1 */
#define C1_EDX_KEEP	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | \
			 BIT(5) | BIT(6) | BIT(8) | BIT(11) | BIT(13) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | \
			 BIT(24) | BIT(25) | BIT(26))
#define C1_ECX_KEEP	(BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | \
			 BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | \
			 BIT(26) | BIT(28) | BIT(29) | BIT(30))
#define C1_EDX_MTRR	BIT(12)
#define C1_EDX_APIC	BIT(9)
#define C1_ECX_X2APIC	BIT(21)
#define C1_ECX_TSC_DEADLINE BIT(24)
#define C1_ECX_PCID	BIT(17)
#define C1_ECX_XSAVE	BIT(26)
#define C1_ECX_OSXSAVE	BIT(27)
#define C1_ECX_HYPERVISOR BIT(31)
/* Leaf 7.0: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT SHA */
#define C7_EBX_KEEP	(BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | \
			 BIT(9) | BIT(19) | BIT(20) | BIT(23) | BIT(29))
#define C7_EBX_FSGSBASE	BIT(0)
#define C7_EBX_TSC_ADJUST BIT(1)
#define C7_EBX_SMEP	BIT(7)
#define C7_EBX_SMAP	BIT(20)
#define C7_ECX_UMIP	BIT(2)
/* 0x80000001: LAHF ABM SSE4A MISALIGNSSE PREFETCHW; SYSCALL NX LM */
#define E1_ECX_KEEP	(BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
/* ... and RDTSCP, with TSC_AUX switched for the guest */
#define E1_EDX_KEEP	(BIT(11) | BIT(20) | BIT(27) | BIT(29))
#define E1_EDX_RDTSCP	BIT(27)

static void keel_cpuid_add(u32 function, u32 index, u32 flags, u32 eax,
			   u32 ebx, u32 ecx, u32 edx)
{
	if (WARN_ON_ONCE(keel_supported_nr >= ARRAY_SIZE(keel_supported)))
		return;
	keel_supported[keel_supported_nr++] = (struct keel_cpuid_entry2){
		.function = function, .index = index, .flags = flags,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

int keel_cpuid_init(void)
{
	u32 a, b, c, d, max, xmax, i;
	u64 xcr0 = keel_fpu_guest_supported_xcr0();

	cpuid_count(0, 0, &max, &b, &c, &d);
	max = min_t(u32, max, 0xd);
	keel_cpuid_add(0, 0, 0, max, b, c, d);

	cpuid_count(1, 0, &a, &b, &c, &d);
	/*
	 * Keep family/model and CLFLUSH size; the APIC ID is per vCPU. The
	 * in-kernel APIC (xAPIC and x2APIC) is keel's, whatever the host has.
	 */
	keel_cpuid_add(1, 0, 0, a, b & 0xff00,
		       (c & C1_ECX_KEEP) | C1_ECX_HYPERVISOR | C1_ECX_X2APIC,
		       (d & C1_EDX_KEEP) | C1_EDX_MTRR | C1_EDX_APIC);

	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		keel_cpuid_add(7, 0, SIG_INDEX, 0,
			       (b & C7_EBX_KEEP) | C7_EBX_TSC_ADJUST, 0, 0);
	}
	if (max >= 0xd && xcr0) {
		cpuid_count(0xd, 0, &a, &b, &c, &d);
		keel_cpuid_add(0xd, 0, SIG_INDEX, (u32)xcr0, 0, 0, xcr0 >> 32);
		cpuid_count(0xd, 1, &a, &b, &c, &d);
		/* XSAVEOPT only: XSAVEC/XSAVES/XFD are not virtualized. */
		keel_cpuid_add(0xd, 1, SIG_INDEX, a & BIT(0), 0, 0, 0);
		for (i = 2; i < 64; i++) {
			if (!(xcr0 & BIT_ULL(i)))
				continue;
			cpuid_count(0xd, i, &a, &b, &c, &d);
			keel_cpuid_add(0xd, i, SIG_INDEX, a, b, c & ~BIT(0), 0);
		}
	}

	keel_cpuid_add(0x40000000, 0, 0, 0x40000001, KVM_SIG_EBX, KVM_SIG_ECX,
		       KVM_SIG_EDX);
	/* NOP_IO_DELAY is only a hint: port 0x80 delays are not needed. */
	keel_cpuid_add(0x40000001, 0, 0, KVM_F_CLOCKSOURCE | KVM_F_NOP_IO_DELAY |
		       KVM_F_CLOCKSOURCE2 |
		       (keel_kvmclock_stable() ? KVM_F_CLOCK_STABLE : 0), 0, 0, 0);

	cpuid_count(0x80000000, 0, &xmax, &b, &c, &d);
	xmax = min_t(u32, xmax, 0x80000008);
	keel_cpuid_add(0x80000000, 0, 0, xmax, b, c, d);
	if (xmax >= 0x80000001) {
		cpuid_count(0x80000001, 0, &a, &b, &c, &d);
		keel_cpuid_add(0x80000001, 0, 0, a, 0, c & E1_ECX_KEEP,
			       d & E1_EDX_KEEP);
	}
	for (i = 0x80000002; i <= min_t(u32, xmax, 0x80000004); i++) {
		cpuid_count(i, 0, &a, &b, &c, &d);
		keel_cpuid_add(i, 0, 0, a, b, c, d);
	}
	if (xmax >= 0x80000008) {
		cpuid_count(0x80000008, 0, &a, &b, &c, &d);
		keel_cpuid_add(0x80000008, 0, 0, a & 0xffff,
			       keel_x86_spec_ctrl_cpuid(), 0, 0);
	}
	return 0;
}

static struct keel_cpuid_entry2 *
keel_cpuid_find(struct keel_cpuid_entry2 *e, int nent, u32 function, u32 index)
{
	int i;

	for (i = 0; i < nent; i++)
		if (e[i].function == function &&
		    (!(e[i].flags & SIG_INDEX) || e[i].index == index))
			return &e[i];
	return NULL;
}

/* Features of a table keel acts on (KEEL_GF_*). */
static u32 keel_cpuid_features(struct keel_cpuid_entry2 *e, int nent)
{
	struct keel_cpuid_entry2 *l1 = keel_cpuid_find(e, nent, 1, 0);
	struct keel_cpuid_entry2 *l7 = keel_cpuid_find(e, nent, 7, 0);
	struct keel_cpuid_entry2 *e1 = keel_cpuid_find(e, nent, 0x80000001, 0);
	struct keel_cpuid_entry2 *e8 = keel_cpuid_find(e, nent, 0x80000008, 0);
	struct keel_cpuid_entry2 *kv = keel_cpuid_find(e, nent, 0x40000000, 0);
	struct keel_cpuid_entry2 *kf = keel_cpuid_find(e, nent, 0x40000001, 0);
	u32 f = 0;

	if (kv && kv->ebx == KVM_SIG_EBX && kv->ecx == KVM_SIG_ECX &&
	    kv->edx == KVM_SIG_EDX && kf &&
	    (kf->eax & (KVM_F_CLOCKSOURCE | KVM_F_CLOCKSOURCE2)))
		f |= KEEL_GF_KVMCLOCK;
	if (l1 && (l1->edx & C1_EDX_MTRR))
		f |= KEEL_GF_MTRR;
	if (l1 && (l1->ecx & C1_ECX_X2APIC))
		f |= KEEL_GF_X2APIC;
	if (l1 && (l1->ecx & C1_ECX_TSC_DEADLINE))
		f |= KEEL_GF_TSC_DEADLINE;
	if (l7 && (l7->ebx & C7_EBX_TSC_ADJUST))
		f |= KEEL_GF_TSC_ADJUST;
	/* RDTSCP runs natively: only if the CPU has it. */
	if (e1 && (e1->edx & E1_EDX_RDTSCP) && boot_cpu_has(X86_FEATURE_RDTSCP))
		f |= KEEL_GF_RDTSCP;
	if (e8)
		f |= keel_x86_spec_ctrl_features(e8->ebx);
	return f;
}

/* Derived state a table implies: CR4 bits and XCR0 bits it allows. */
static void keel_cpuid_derive(struct keel_cpuid_entry2 *e, int nent,
			      u64 *cr4_rsvd, u64 *xcr0)
{
	struct keel_cpuid_entry2 *l1 = keel_cpuid_find(e, nent, 1, 0);
	struct keel_cpuid_entry2 *l7 = keel_cpuid_find(e, nent, 7, 0);
	struct keel_cpuid_entry2 *xd = keel_cpuid_find(e, nent, 0xd, 0);
	u32 c1 = l1 ? l1->ecx : 0, b7 = l7 ? l7->ebx : 0, c7 = l7 ? l7->ecx : 0;
	u64 rsvd = 0;

	if (!(c1 & C1_ECX_XSAVE))
		rsvd |= X86_CR4_OSXSAVE;
	if (!(c1 & C1_ECX_PCID))
		rsvd |= X86_CR4_PCIDE;
	if (!(b7 & C7_EBX_FSGSBASE))
		rsvd |= X86_CR4_FSGSBASE;
	if (!(b7 & C7_EBX_SMEP))
		rsvd |= X86_CR4_SMEP;
	if (!(b7 & C7_EBX_SMAP))
		rsvd |= X86_CR4_SMAP;
	if (!(c7 & C7_ECX_UMIP))
		rsvd |= X86_CR4_UMIP;
	*cr4_rsvd = rsvd;
	*xcr0 = xd && (c1 & C1_ECX_XSAVE) ?
		(xd->eax | ((u64)xd->edx << 32)) & keel_fpu_guest_supported_xcr0() :
		0;
}

static void keel_cpuid_install(struct keel_vcpu *vcpu,
			       struct keel_cpuid_entry2 *e, int nent)
{
	kvfree(vcpu->arch.cpuid);
	vcpu->arch.cpuid = e;
	vcpu->arch.cpuid_nent = nent;
	keel_cpuid_derive(e, nent, &vcpu->arch.cr4_guest_rsvd,
			  &vcpu->arch.guest_xcr0);
	vcpu->arch.guest_feat = keel_cpuid_features(e, nent);
}

static struct keel_cpuid_entry2 *
keel_cpuid_dup(const struct keel_cpuid_entry2 *src, int nent)
{
	struct keel_cpuid_entry2 *e;

	e = kvmalloc_array(max(nent, 1), sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (e && nent)
		memcpy(e, src, nent * sizeof(*e));
	return e;
}

/*
 * A new vCPU starts with the supported model and its own APIC ID; the
 * APIC bits only where the VM has an in-kernel APIC, as before it did.
 */
int keel_cpuid_vcpu_init(struct keel_vcpu *vcpu)
{
	struct keel_cpuid_entry2 *e, *l1;

	e = keel_cpuid_dup(keel_supported, keel_supported_nr);
	if (!e)
		return -ENOMEM;
	l1 = keel_cpuid_find(e, keel_supported_nr, 1, 0);
	if (l1)
		l1->ebx |= (vcpu->vcpu_id & 0xff) << 24;
	if (l1 && !vcpu->vm->arch.irqchip) {
		l1->ecx &= ~C1_ECX_X2APIC;
		l1->edx &= ~C1_EDX_APIC;
	}
	keel_cpuid_install(vcpu, e, keel_supported_nr);
	return 0;
}

void keel_cpuid_vcpu_free(struct keel_vcpu *vcpu)
{
	kvfree(vcpu->arch.cpuid);
	vcpu->arch.cpuid = NULL;
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

/* The bits of an entry that follow guest state, as the CPU would show. */
static void keel_cpuid_live(struct keel_vcpu *vcpu, struct keel_cpuid_entry2 *e)
{
	if (e->function == 1 && (e->ecx & C1_ECX_XSAVE)) {
		e->ecx &= ~C1_ECX_OSXSAVE;
		if (keel_x86->get_cr(vcpu, 4) & X86_CR4_OSXSAVE)
			e->ecx |= C1_ECX_OSXSAVE;
	} else if (e->function == 0xd && e->index == 0 &&
		   (e->flags & SIG_INDEX) && vcpu->arch.guest_xcr0) {
		e->ebx = keel_xsave_size(vcpu->arch.fpu.xcr0);
		e->ecx = keel_xsave_size(vcpu->arch.guest_xcr0);
	}
}

int keel_x86_handle_cpuid(struct keel_vcpu *vcpu, u64 next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	struct keel_cpuid_entry2 *f, e = { 0 };

	f = keel_cpuid_find(vcpu->arch.cpuid, vcpu->arch.cpuid_nent,
			    r[KEEL_REG_RAX], r[KEEL_REG_RCX]);
	if (f) {
		e = *f;
		keel_cpuid_live(vcpu, &e);
	}
	r[KEEL_REG_RAX] = e.eax;
	r[KEEL_REG_RBX] = e.ebx;
	r[KEEL_REG_RCX] = e.ecx;
	r[KEEL_REG_RDX] = e.edx;
	keel_x86_skip_to(vcpu, next_rip);
	return 1;
}

/* Copy @nent entries out after the header, or -E2BIG if they do not fit. */
static int keel_cpuid_copy_out(struct keel_cpuid2 __user *u,
			       const struct keel_cpuid2 *hdr,
			       const struct keel_cpuid_entry2 *e, u32 nent)
{
	struct keel_cpuid2 out = { .nent = nent };

	if (hdr->nent < nent)
		return -E2BIG;
	if (copy_to_user(u->entries, e, nent * sizeof(*e)) ||
	    copy_to_user(u, &out, sizeof(out)))
		return -EFAULT;
	return 0;
}

static int keel_cpuid_read_header(struct keel_cpuid2 __user *u,
				  struct keel_cpuid2 *hdr)
{
	if (copy_from_user(hdr, u, sizeof(*hdr)))
		return -EFAULT;
	return hdr->padding ? -EINVAL : 0;
}

long keel_x86_get_supported_cpuid(struct keel_cpuid2 __user *u)
{
	struct keel_cpuid2 hdr;
	int r = keel_cpuid_read_header(u, &hdr);

	return r ? r : keel_cpuid_copy_out(u, &hdr, keel_supported,
					   keel_supported_nr);
}

long keel_x86_get_cpuid2(struct keel_vcpu *vcpu, struct keel_cpuid2 __user *u)
{
	struct keel_cpuid_entry2 *e;
	struct keel_cpuid2 hdr;
	int r, i, n = vcpu->arch.cpuid_nent;

	r = keel_cpuid_read_header(u, &hdr);
	if (r)
		return r;
	if (hdr.nent < n)
		return -E2BIG;
	e = keel_cpuid_dup(vcpu->arch.cpuid, n);
	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keel_cpuid_live(vcpu, &e[i]);
	r = keel_cpuid_copy_out(u, &hdr, e, n);
	kvfree(e);
	return r;
}

/* Same table, ignoring the bits that follow guest state? */
static bool keel_cpuid_same(struct keel_vcpu *vcpu,
			    const struct keel_cpuid_entry2 *e, u32 nent)
{
	struct keel_cpuid_entry2 a, b;
	u32 i;

	if (nent != vcpu->arch.cpuid_nent)
		return false;
	for (i = 0; i < nent; i++) {
		a = e[i];
		b = vcpu->arch.cpuid[i];
		keel_cpuid_live(vcpu, &a);
		keel_cpuid_live(vcpu, &b);
		if (memcmp(&a, &b, sizeof(a)))
			return false;
	}
	return true;
}

/* keel's rules for a table; KVM checks only the 0x80000008 address bits. */
static int keel_cpuid_check(struct keel_cpuid_entry2 *e, int nent)
{
	struct keel_cpuid_entry2 *x;
	u64 xcr0;
	int i, j;

	for (i = 0; i < nent; i++) {
		if (e[i].flags & ~(SIG_INDEX | KEEL_CPUID_FLAG_STATEFUL_FUNC |
				   KEEL_CPUID_FLAG_STATE_READ_NEXT))
			return -EINVAL;
		if (e[i].padding[0] || e[i].padding[1] || e[i].padding[2])
			return -EINVAL;
		if (!(e[i].flags & SIG_INDEX) && e[i].index)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (e[j].function == e[i].function &&
			    e[j].index == e[i].index)
				return -EINVAL;
	}
	x = keel_cpuid_find(e, nent, 0xd, 0);
	if (x) {
		xcr0 = x->eax | ((u64)x->edx << 32);
		if (xcr0 & ~keel_fpu_guest_supported_xcr0())
			return -EINVAL;
	}
	x = keel_cpuid_find(e, nent, 0x80000008, 0);
	if (x) {
		u32 phys = x->eax & 0xff, virt = (x->eax >> 8) & 0xff;

		if (virt != 0 && virt != 48 && virt != 57)
			return -EINVAL;
		if (phys > boot_cpu_data.x86_phys_bits)
			return -EINVAL;
	}
	return 0;
}

long keel_x86_set_cpuid2(struct keel_vcpu *vcpu, struct keel_cpuid2 __user *u)
{
	struct keel_cpuid_entry2 *e = NULL;
	struct keel_cpuid2 hdr;
	size_t size;
	int r;

	r = keel_cpuid_read_header(u, &hdr);
	if (r)
		return r;
	if (hdr.nent > KEEL_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = hdr.nent * sizeof(*e);
	if (hdr.nent) {
		e = vmemdup_user(u->entries, size);
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	r = keel_cpuid_check(e, hdr.nent);
	/* As KVM: once the vCPU has run, only the same table is accepted. */
	if (!r && vcpu->cpu >= 0 && !keel_cpuid_same(vcpu, e, hdr.nent))
		r = -EINVAL;
	if (r) {
		kvfree(e);
		return r;
	}
	keel_cpuid_install(vcpu, e, hdr.nent);
	return 0;
}
