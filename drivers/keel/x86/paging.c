// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: walks of the guest's own page tables, for the few places that
 * must turn a guest virtual address into a guest physical one in software
 * (instruction fetch for MMIO decode, string PIO buffers). The hardware
 * did the same walk an instant earlier, so only presence is checked.
 */
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include <keel/core.h>

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR_MASK	GENMASK_ULL(51, 12)

u64 keel_seg_base(struct keel_vcpu *vcpu, int seg)
{
	struct keel_segment s;

	if (keel_x86_cpu_mode_bytes(vcpu) == 8 &&
	    seg != KEEL_SEG_FS && seg != KEEL_SEG_GS)
		return 0;
	keel_x86->get_segment(vcpu, &s, seg);
	return s.base;
}

static int keel_read_pte(struct keel_vcpu *vcpu, u64 gpa, u64 *pte,
			 unsigned int size)
{
	*pte = 0;
	return keel_read_guest(vcpu->vm, gpa, pte, size);
}

/* Present? Then narrow the access rights to what this entry allows. */
static bool keel_pte_present(u64 pte, u64 *rights)
{
	if (!(pte & PTE_P))
		return false;
	if (rights)
		*rights &= pte;
	return true;
}

/*
 * Walk the guest's page tables for @gva. *@rights keeps PTE_RW and PTE_US
 * only if every level allows them (without paging, both stay set).
 */
static int keel_gva_walk(struct keel_vcpu *vcpu, u64 gva, u64 *gpa,
			 u64 *rights)
{
	u64 cr0 = keel_x86->get_cr(vcpu, 0);
	u64 cr3 = keel_x86->get_cr(vcpu, 3);
	u64 cr4 = keel_x86->get_cr(vcpu, 4);
	u64 efer = keel_x86->get_efer(vcpu);
	u64 table, pte;
	int level, shift;

	*rights = PTE_RW | PTE_US;
	if (!(cr0 & X86_CR0_PG)) {
		*gpa = (efer & EFER_LMA) ? gva : (u32)gva;
		return 0;
	}

	if (!(cr4 & X86_CR4_PAE)) {
		/* Two-level 32-bit paging, 4 MiB pages with PSE. */
		gva = (u32)gva;
		if (keel_read_pte(vcpu, (cr3 & 0xfffff000) +
				  ((gva >> 22) & 0x3ff) * 4, &pte, 4))
			return -EFAULT;
		if (!keel_pte_present(pte, rights))
			return -ENOENT;
		if ((pte & PTE_PS) && (cr4 & X86_CR4_PSE)) {
			*gpa = (pte & 0xffc00000) | (gva & 0x3fffff);
			return 0;
		}
		if (keel_read_pte(vcpu, (pte & 0xfffff000) +
				  ((gva >> 12) & 0x3ff) * 4, &pte, 4))
			return -EFAULT;
		if (!keel_pte_present(pte, rights))
			return -ENOENT;
		*gpa = (pte & 0xfffff000) | (gva & 0xfff);
		return 0;
	}

	if (efer & EFER_LMA) {
		level = (cr4 & X86_CR4_LA57) ? 5 : 4;
		table = cr3 & PTE_ADDR_MASK;
	} else {
		/* PAE: the PDPTE selected by bits 31:30, then two levels. */
		gva = (u32)gva;
		if (keel_read_pte(vcpu, (cr3 & 0xffffffe0) + (gva >> 30) * 8,
				  &pte, 8))
			return -EFAULT;
		if (!(pte & PTE_P))
			return -ENOENT;
		table = pte & PTE_ADDR_MASK;
		level = 2;
	}

	for (; level > 0; level--) {
		shift = 12 + 9 * (level - 1);
		if (keel_read_pte(vcpu, table + ((gva >> shift) & 0x1ff) * 8,
				  &pte, 8))
			return -EFAULT;
		if (!keel_pte_present(pte, rights))
			return -ENOENT;
		if (level == 1 || ((pte & PTE_PS) && level <= 3)) {
			u64 mask = (1ULL << shift) - 1;

			*gpa = (pte & PTE_ADDR_MASK & ~mask) | (gva & mask);
			return 0;
		}
		table = pte & PTE_ADDR_MASK;
	}
	return -ENOENT;
}

int keel_gva_to_gpa(struct keel_vcpu *vcpu, u64 gva, u64 *gpa)
{
	u64 rights;

	return keel_gva_walk(vcpu, gva, gpa, &rights);
}

/*
 * KEEL_TRANSLATE. Unlike KVM, which always reports writeable 1 and
 * usermode 0, keel reports what the page tables allow.
 */
long keel_x86_translate(struct keel_vcpu *vcpu, struct keel_translation __user *u)
{
	struct keel_translation t;
	u64 gpa = 0, rights = 0;
	bool lma = keel_x86->get_efer(vcpu) & EFER_LMA;
	int bits = keel_x86->get_cr(vcpu, 4) & X86_CR4_LA57 ? 57 : 48;

	if (copy_from_user(&t, u, sizeof(t)))
		return -EFAULT;
	if (memchr_inv(t.pad, 0, sizeof(t.pad)))
		return -EINVAL;
	t.valid = (!lma || keel_canonical(t.linear_address, bits)) &&
		  !keel_gva_walk(vcpu, t.linear_address, &gpa, &rights);
	t.physical_address = t.valid ? gpa : 0;
	t.writeable = t.valid && (rights & PTE_RW);
	t.usermode = t.valid && (rights & PTE_US);
	return copy_to_user(u, &t, sizeof(t)) ? -EFAULT : 0;
}
