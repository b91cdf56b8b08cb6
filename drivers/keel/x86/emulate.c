// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: decode of the instructions that touch MMIO (guest physical
 * addresses with no memslot), turned into KEEL_EXIT_MMIO.
 *
 * Without decode assists the hardware reports only the faulting address,
 * so the instruction is fetched through the guest's page tables and
 * decoded here. Covered: MOV to/from memory (88, 89, 8A, 8B, C6, C7,
 * A0-A3), MOVZX/MOVSX (0F B6/B7/BE/BF), MOVSXD (63) and STOS (AA, AB,
 * with REP), operands of 1, 2, 4 and 8 bytes. Anything else stops RUN
 * with KEEL_EXIT_INTERNAL_ERROR. An in-kernel device on the MMIO bus
 * completes the access at once; otherwise a read completes on the next RUN.
 */
#include <linux/mm.h>
#include <asm/processor-flags.h>

#include <keel/core.h>

#define KEEL_MAX_INSN	15

struct keel_insn {
	const u8 *b;
	unsigned int avail;
	unsigned int len;
	u8 mode;		/* 2, 4 or 8: code segment size */
	u8 opsize;
	u8 addrsize;
	u8 rex;
	bool rep;
	bool twobyte;
	u8 op;
	u8 modrm;
};

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

static int insn_byte(struct keel_insn *in, u8 *b)
{
	if (in->len >= in->avail)
		return -EINVAL;
	*b = in->b[in->len++];
	return 0;
}

static int insn_imm(struct keel_insn *in, unsigned int bytes, u64 *val,
		    bool sign)
{
	u64 v = 0;
	unsigned int i;

	if (in->len + bytes > in->avail)
		return -EINVAL;
	for (i = 0; i < bytes; i++)
		v |= (u64)in->b[in->len + i] << (8 * i);
	in->len += bytes;
	if (sign && bytes < 8)
		v = (u64)sign_extend64(v, bytes * 8 - 1);
	*val = v;
	return 0;
}

static int insn_prefixes(struct keel_insn *in)
{
	u8 b;

	in->opsize = in->mode == 8 ? 4 : in->mode;
	in->addrsize = in->mode;
	for (;;) {
		if (insn_byte(in, &b))
			return -EINVAL;
		switch (b) {
		case 0x66:
			in->opsize = in->mode == 2 ? 4 : 2;
			continue;
		case 0x67:
			in->addrsize = in->mode == 4 ? 2 : 4;
			continue;
		case 0xf2:
		case 0xf3:
			in->rep = true;
			continue;
		case 0xf0: case 0x26: case 0x2e: case 0x36: case 0x3e:
		case 0x64: case 0x65:
			continue;
		}
		if (in->mode == 8 && (b & 0xf0) == 0x40) {
			in->rex = b;
			/* REX counts only right before the opcode. */
			if (insn_byte(in, &b))
				return -EINVAL;
		}
		break;
	}
	if (in->rex & 0x08)
		in->opsize = 8;
	if (b == 0x0f) {
		in->twobyte = true;
		if (insn_byte(in, &b))
			return -EINVAL;
	}
	in->op = b;
	return 0;
}

/* Skip ModRM, SIB and displacement; the address itself came from the NPF. */
static int insn_modrm(struct keel_insn *in)
{
	u8 mod, rm, sib;
	u64 disp;

	if (insn_byte(in, &in->modrm))
		return -EINVAL;
	mod = in->modrm >> 6;
	rm = in->modrm & 7;
	if (mod == 3)
		return -EINVAL;	/* register operand: not a memory access */

	if (in->addrsize == 2) {
		if (mod == 1)
			return insn_imm(in, 1, &disp, false);
		if (mod == 2 || (mod == 0 && rm == 6))
			return insn_imm(in, 2, &disp, false);
		return 0;
	}
	if (rm == 4) {
		if (insn_byte(in, &sib))
			return -EINVAL;
		if (mod == 0 && (sib & 7) == 5)
			return insn_imm(in, 4, &disp, false);
	}
	if (mod == 1)
		return insn_imm(in, 1, &disp, false);
	if (mod == 2 || (mod == 0 && rm == 5))
		return insn_imm(in, 4, &disp, false);
	return 0;
}

static u8 insn_reg(const struct keel_insn *in)
{
	return ((in->modrm >> 3) & 7) | ((in->rex & 0x04) ? 8 : 0);
}

/* Read an operand register; AH/CH/DH/BH without REX for byte operands. */
static u64 keel_get_reg(struct keel_vcpu *vcpu, const struct keel_insn *in,
			u8 reg, u8 bytes)
{
	if (bytes == 1 && !in->rex && reg >= 4 && reg < 8)
		return (vcpu->arch.regs[reg - 4] >> 8) & 0xff;
	return vcpu->arch.regs[reg];
}

static void keel_mmio_dst(struct keel_vcpu *vcpu, const struct keel_insn *in,
			  u8 reg, u8 bytes)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;

	m->dst_bytes = bytes;
	m->high_byte = bytes == 1 && !in->rex && reg >= 4 && reg < 8;
	m->dst_reg = m->high_byte ? reg - 4 : reg;
}

static int keel_mmio_decode(struct keel_vcpu *vcpu, struct keel_insn *in,
			    bool write, u64 *wval)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	bool store;
	u64 imm;

	if (insn_prefixes(in))
		return -EINVAL;

	if (in->twobyte) {
		switch (in->op) {
		case 0xb6: case 0xb7: case 0xbe: case 0xbf:
			if (write || insn_modrm(in))
				return -EINVAL;
			m->len = (in->op & 1) ? 2 : 1;
			m->sign_extend = in->op >= 0xbe;
			keel_mmio_dst(vcpu, in, insn_reg(in), in->opsize);
			return 0;
		}
		return -EINVAL;
	}

	switch (in->op) {
	case 0x88: case 0x89:
		if (!write || insn_modrm(in))
			return -EINVAL;
		m->len = in->op == 0x88 ? 1 : in->opsize;
		*wval = keel_get_reg(vcpu, in, insn_reg(in), m->len);
		return 0;
	case 0x8a: case 0x8b:
		if (write || insn_modrm(in))
			return -EINVAL;
		m->len = in->op == 0x8a ? 1 : in->opsize;
		keel_mmio_dst(vcpu, in, insn_reg(in), m->len);
		return 0;
	case 0x63:
		if (write || in->mode != 8 || insn_modrm(in))
			return -EINVAL;
		m->len = 4;
		m->sign_extend = in->opsize == 8;
		keel_mmio_dst(vcpu, in, insn_reg(in), in->opsize);
		return 0;
	case 0xc6: case 0xc7:
		if (!write || insn_modrm(in) || ((in->modrm >> 3) & 7))
			return -EINVAL;
		m->len = in->op == 0xc6 ? 1 : in->opsize;
		if (insn_imm(in, min_t(u8, m->len, 4), &imm, true))
			return -EINVAL;
		*wval = imm;
		return 0;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		if (insn_imm(in, in->addrsize, &imm, false))
			return -EINVAL;
		m->len = (in->op & 1) ? in->opsize : 1;
		store = in->op >= 0xa2;
		if (write != store)
			return -EINVAL;
		if (write)
			*wval = vcpu->arch.regs[KEEL_REG_RAX];
		else
			keel_mmio_dst(vcpu, in, KEEL_REG_RAX, m->len);
		return 0;
	case 0xaa: case 0xab:
		if (!write)
			return -EINVAL;
		m->len = in->op == 0xaa ? 1 : in->opsize;
		m->stos = 1;
		m->rep = in->rep;
		m->addr_bytes = in->addrsize;
		*wval = vcpu->arch.regs[KEEL_REG_RAX];
		return 0;
	}
	return -EINVAL;
}

static void keel_mmio_finish_stos(struct keel_vcpu *vcpu)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	unsigned long *r = vcpu->arch.regs;
	u8 ab = m->addr_bytes;
	u64 mask = ab == 8 ? ~0ULL : (1ULL << (ab * 8)) - 1;
	u64 step = (vcpu->arch.rflags & X86_EFLAGS_DF) ? -(u64)m->len : m->len;
	u64 rdi = (r[KEEL_REG_RDI] + step) & mask;

	r[KEEL_REG_RDI] = ab == 8 ? rdi : ab == 4 ? (u32)rdi :
			  (r[KEEL_REG_RDI] & ~0xffffUL) | rdi;
	if (m->rep) {
		u64 rcx = ((r[KEEL_REG_RCX] & mask) - 1) & mask;

		r[KEEL_REG_RCX] = ab == 8 ? rcx : ab == 4 ? (u32)rcx :
				  (r[KEEL_REG_RCX] & ~0xffffUL) | rcx;
		if (rcx)
			return;	/* the next iteration exits again */
	}
	keel_x86_skip_to(vcpu, m->next_rip);
}

/* The access is done (a read returned @v): finish the instruction. */
static int keel_mmio_finish(struct keel_vcpu *vcpu, u64 v)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	unsigned long *reg;

	if (m->stos) {
		keel_mmio_finish_stos(vcpu);
		return 1;
	}
	if (!m->is_write) {
		v &= m->len == 8 ? ~0ULL : (1ULL << (8 * m->len)) - 1;
		if (m->sign_extend)
			v = (u64)sign_extend64(v, m->len * 8 - 1);
		reg = &vcpu->arch.regs[m->dst_reg];
		if (m->high_byte)
			*reg = (*reg & ~0xff00UL) | ((v & 0xff) << 8);
		else if (m->dst_bytes == 1)
			*reg = (*reg & ~0xffUL) | (u8)v;
		else if (m->dst_bytes == 2)
			*reg = (*reg & ~0xffffUL) | (u16)v;
		else if (m->dst_bytes == 4)
			*reg = (u32)v;
		else
			*reg = v;
	}
	keel_x86_skip_to(vcpu, m->next_rip);
	return 1;
}

int keel_x86_emulate_mmio(struct keel_vcpu *vcpu, u64 gpa, bool write)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	struct keel_run *run = vcpu->run;
	u8 buf[KEEL_MAX_INSN];
	struct keel_insn in = { .b = buf };
	unsigned int len = sizeof(buf);
	u64 wval = 0;

	memset(m, 0, sizeof(*m));
	if (keel_x86_fetch_insn(vcpu, buf, &len))
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, gpa, vcpu->arch.rip);
	in.avail = len;
	in.mode = keel_x86_cpu_mode_bytes(vcpu);

	if (keel_mmio_decode(vcpu, &in, write, &wval)) {
		u64 bytes = 0;

		memcpy(&bytes, buf, min_t(unsigned int, len, 8));
		return keel_x86_internal_error(vcpu,
			KEEL_INTERNAL_ERROR_EMULATION, gpa, bytes);
	}

	m->gpa = gpa;
	m->is_write = write;
	m->next_rip = vcpu->arch.rip + in.len;

	/* The vCPU's own local APIC, then the in-kernel devices. */
	if (write && (!keel_lapic_mmio_write(vcpu, gpa, m->len, &wval) ||
		      !keel_io_bus_write(vcpu, KEEL_MMIO_BUS, gpa, m->len,
					 &wval)))
		return keel_mmio_finish(vcpu, 0);
	if (!write && (!keel_lapic_mmio_read(vcpu, gpa, m->len, &wval) ||
		       !keel_io_bus_read(vcpu, KEEL_MMIO_BUS, gpa, m->len,
					 &wval)))
		return keel_mmio_finish(vcpu, wval);

	run->exit_reason = KEEL_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = m->len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &wval, m->len);
	vcpu->arch.pending = KEEL_PENDING_MMIO;
	vcpu->arch.pending_rip = vcpu->arch.rip;
	return 0;
}

int keel_x86_complete_mmio(struct keel_vcpu *vcpu)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	u64 v = 0;

	if (!m->is_write)
		memcpy(&v, vcpu->run->mmio.data, m->len);
	return keel_mmio_finish(vcpu, v);
}
