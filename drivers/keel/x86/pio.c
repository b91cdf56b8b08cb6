// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: port I/O exits to userspace (KEEL_EXIT_IO).
 *
 * A plain IN or OUT first goes to the in-kernel devices on the PIO bus;
 * string forms always go to userspace.
 *
 * The data travels through the PIO page of the vCPU mmap. An IN, and every
 * string form, completes on the next RUN: the value lands in the guest,
 * RSI/RDI/RCX advance and RIP moves on. A REP string instruction hands
 * userspace up to a page of elements per exit (one when DF is set) and is
 * re-executed until RCX reaches zero.
 */
#include <linux/mm.h>
#include <asm/processor-flags.h>

#include <keel/core.h>

static u64 keel_addr_mask(u8 addr_bytes)
{
	return addr_bytes == 8 ? ~0ULL : (1ULL << (addr_bytes * 8)) - 1;
}

/* Write @val to a register the way an @bytes-wide operation does. */
static void keel_reg_write(unsigned long *reg, u64 val, u8 bytes)
{
	switch (bytes) {
	case 1:
		*reg = (*reg & ~0xffUL) | (u8)val;
		break;
	case 2:
		*reg = (*reg & ~0xffffUL) | (u16)val;
		break;
	case 4:
		*reg = (u32)val;
		break;
	default:
		*reg = val;
	}
}

/* Copy between the PIO page and guest virtual memory, page by page. */
static int keel_pio_copy_gva(struct keel_vcpu *vcpu, u64 gva, void *buf,
			     unsigned int len, bool to_guest)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		u64 gpa;
		int r;

		r = keel_gva_to_gpa(vcpu, gva, &gpa);
		if (!r)
			r = to_guest ? keel_write_guest(vcpu->vm, gpa, buf, n) :
				       keel_read_guest(vcpu->vm, gpa, buf, n);
		if (r)
			return r;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Segment of an OUTS: DS unless a prefix overrides it. */
static int keel_outs_segment(struct keel_vcpu *vcpu)
{
	static const int prefix_seg[] = {
		[0x26] = KEEL_SEG_ES + 1, [0x2e] = KEEL_SEG_CS + 1,
		[0x36] = KEEL_SEG_SS + 1, [0x3e] = KEEL_SEG_DS + 1,
		[0x64] = KEEL_SEG_FS + 1, [0x65] = KEEL_SEG_GS + 1,
	};
	unsigned int len = 15, i;
	int seg = KEEL_SEG_DS;
	u8 insn[15];

	if (keel_x86_fetch_insn(vcpu, insn, &len))
		return seg;
	for (i = 0; i < len; i++) {
		u8 b = insn[i];

		if (b < ARRAY_SIZE(prefix_seg) && prefix_seg[b])
			seg = prefix_seg[b] - 1;
		else if (b != 0x66 && b != 0x67 && b != 0xf2 && b != 0xf3 &&
			 (b & 0xf0) != 0x40)
			break;
	}
	return seg;
}

int keel_x86_handle_pio(struct keel_vcpu *vcpu, const struct keel_pio_exit *e)
{
	struct keel_pio_state *p = &vcpu->arch.pio;
	struct keel_run *run = vcpu->run;
	unsigned long *regs = vcpu->arch.regs;
	u32 count = 1;

	p->port = e->port;
	p->size = e->size;
	p->in = e->in;
	p->string = e->string;
	p->rep = e->rep;
	p->addr_bytes = e->addr_bytes;
	p->next_rip = e->next_rip;

	/* An in-kernel device (ioeventfd, irqchip) may take a plain IN/OUT. */
	if (!e->string) {
		u64 v = regs[KEEL_REG_RAX];

		if (e->in && !keel_io_bus_read(vcpu, KEEL_PIO_BUS, e->port,
					       e->size, &v)) {
			keel_reg_write(&regs[KEEL_REG_RAX], v, e->size);
			keel_x86_skip_to(vcpu, e->next_rip);
			return 1;
		}
		if (!e->in && !keel_io_bus_write(vcpu, KEEL_PIO_BUS, e->port,
						 e->size, &v)) {
			keel_x86_skip_to(vcpu, e->next_rip);
			return 1;
		}
	}

	if (e->string) {
		u64 mask = keel_addr_mask(e->addr_bytes);
		u64 rcx = e->rep ? regs[KEEL_REG_RCX] & mask : 1;
		int seg = e->in ? KEEL_SEG_ES : keel_outs_segment(vcpu);
		u64 index = regs[e->in ? KEEL_REG_RDI : KEEL_REG_RSI] & mask;
		u64 gva = keel_seg_base(vcpu, seg) + index;

		if (!rcx) {
			keel_x86_skip_to(vcpu, e->next_rip);
			return 1;
		}
		if (!(vcpu->arch.rflags & X86_EFLAGS_DF)) {
			u64 room = (PAGE_SIZE - offset_in_page(gva)) / e->size;

			count = clamp_t(u64, min(rcx, room), 1,
					PAGE_SIZE / e->size);
		}
		p->gva = gva;
		if (!e->in &&
		    keel_pio_copy_gva(vcpu, gva, vcpu->pio_data,
				      count * e->size, false))
			return keel_x86_internal_error(vcpu,
				KEEL_INTERNAL_ERROR_EMULATION, gva, e->port);
	} else if (!e->in) {
		u64 v = regs[KEEL_REG_RAX];

		memcpy(vcpu->pio_data, &v, e->size);
	}

	p->count = count;
	run->exit_reason = KEEL_EXIT_IO;
	run->io.direction = e->in ? KEEL_EXIT_IO_IN : KEEL_EXIT_IO_OUT;
	run->io.size = e->size;
	run->io.port = e->port;
	run->io.count = count;
	run->io.data_offset = KEEL_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->arch.pending = KEEL_PENDING_PIO;
	vcpu->arch.pending_rip = vcpu->arch.rip;
	return 0;
}

int keel_x86_complete_pio(struct keel_vcpu *vcpu)
{
	struct keel_pio_state *p = &vcpu->arch.pio;
	unsigned long *regs = vcpu->arch.regs;
	unsigned int bytes = p->count * p->size;
	int ireg;
	u64 mask, step;

	if (!p->string) {
		if (p->in) {
			u64 v = 0;

			memcpy(&v, vcpu->pio_data, p->size);
			keel_reg_write(&regs[KEEL_REG_RAX], v, p->size);
		}
		keel_x86_skip_to(vcpu, p->next_rip);
		return 1;
	}

	if (p->in && keel_pio_copy_gva(vcpu, p->gva, vcpu->pio_data, bytes,
				       true))
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, p->gva, p->port);

	mask = keel_addr_mask(p->addr_bytes);
	ireg = p->in ? KEEL_REG_RDI : KEEL_REG_RSI;
	step = (vcpu->arch.rflags & X86_EFLAGS_DF) ? -(u64)bytes : bytes;
	keel_reg_write(&regs[ireg], (regs[ireg] + step) & mask, p->addr_bytes);
	if (p->rep) {
		u64 rcx = ((regs[KEEL_REG_RCX] & mask) - p->count) & mask;

		keel_reg_write(&regs[KEEL_REG_RCX], rcx, p->addr_bytes);
		if (rcx)
			return 1;	/* re-execute for the rest */
	}
	keel_x86_skip_to(vcpu, p->next_rip);
	return 1;
}
