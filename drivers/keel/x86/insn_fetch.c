// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: reading the guest's instructions through its page tables.
 * Without decode assists an intercept reports no instruction bytes, so
 * whoever decodes (MMIO emulation, string PIO, single-step) fetches them.
 */
#include <linux/mm.h>

#include <keel/core.h>

/* Up to *@len bytes of guest code at CS:@rip; *@len says how many. */
static int keel_read_code(struct keel_vcpu *vcpu, u64 rip, u8 *buf,
			  unsigned int *len)
{
	u64 gva, gpa;
	unsigned int got = 0;

	if (keel_x86_cpu_mode_bytes(vcpu) != 8)
		rip = (u32)rip;
	gva = keel_seg_base(vcpu, KEEL_SEG_CS) + rip;
	if (keel_x86_cpu_mode_bytes(vcpu) != 8)
		gva = (u32)gva;

	while (got < *len) {
		unsigned int n = min_t(unsigned int, *len - got,
				       PAGE_SIZE - offset_in_page(gva + got));

		if (keel_gva_to_gpa(vcpu, gva + got, &gpa) ||
		    keel_read_guest(vcpu->vm, gpa, buf + got, n))
			break;
		got += n;
	}
	*len = got;
	return got ? 0 : -EFAULT;
}

int keel_x86_fetch_insn(struct keel_vcpu *vcpu, u8 *buf, unsigned int *len)
{
	return keel_read_code(vcpu, vcpu->arch.rip, buf, len);
}

/* Is the guest between the STI and the HLT of "sti; hlt"? */
bool keel_x86_at_sti_hlt(struct keel_vcpu *vcpu)
{
	unsigned int len = 2;
	u8 b[2];

	return !keel_read_code(vcpu, vcpu->arch.rip - 1, b, &len) &&
	       len == 2 && b[0] == 0xfb && b[1] == 0xf4;
}
