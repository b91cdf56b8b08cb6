// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86 emulator: decode of prefixes, opcode, ModRM, SIB, displacement
 * and immediate, and the effective address of the memory operand. Only
 * the opcodes the executor knows are accepted (emulate_exec.c lists them);
 * anything else is -EOPNOTSUPP before its operands are read.
 */
#include <linux/errno.h>
#include <linux/string.h>

#include <keel/emulate.h>

#define SEG_NONE	KEEL_EMU_NR_SEGS	/* no override prefix */

/* Where the memory operand's address comes from. */
enum addressing { ADDR_MODRM, ADDR_MOFFS, ADDR_STRING };

static int fetch(struct keel_emu *e, u8 *b)
{
	if (e->d.len >= e->insn_len)
		return -EFAULT;	/* past what could be fetched */
	*b = e->insn[e->d.len++];
	return 0;
}

/* A little-endian immediate or displacement, sign-extended if asked. */
static int fetch_imm(struct keel_emu *e, unsigned int bytes, bool sign,
		     u64 *val)
{
	unsigned int i;
	u64 v = 0;
	u8 b;

	for (i = 0; i < bytes; i++) {
		if (fetch(e, &b))
			return -EFAULT;
		v |= (u64)b << (8 * i);
	}
	if (sign && bytes && bytes < 8 && (v & (1ULL << (bytes * 8 - 1))))
		v |= ~0ULL << (bytes * 8);
	*val = v;
	return 0;
}

static int decode_prefixes(struct keel_emu *e, u8 *op)
{
	struct keel_emu_insn *d = &e->d;
	u8 b;

	d->opsize = e->mode == 8 ? 4 : e->mode;
	d->addrsize = e->mode;
	d->seg = SEG_NONE;
	for (;;) {
		if (fetch(e, &b))
			return -EFAULT;
		/* A REX counts only right before the opcode. */
		if (e->mode == 8 && (b & 0xf0) == 0x40) {
			d->rex = b;
			continue;
		}
		switch (b) {
		case 0x66:
			d->opsize = e->mode == 2 ? 4 : 2;
			break;
		case 0x67:
			d->addrsize = e->mode == 4 ? 2 : 4;
			break;
		case 0xf2:
		case 0xf3:
			d->rep = b;
			break;
		case 0xf0:
			break;	/* LOCK: an MMIO access is not atomic anyway */
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			d->seg = (b >> 3) & 3;
			break;
		case 0x64: case 0x65:
			d->seg = b - 0x60;
			break;
		default:
			goto opcode;
		}
		d->rex = 0;
	}
opcode:
	if (d->rex & 0x08)
		d->opsize = 8;
	if (b == 0x0f) {
		d->twobyte = 1;
		if (fetch(e, &b))
			return -EFAULT;
	}
	d->op = b;
	*op = b;
	return 0;
}

/* 16-bit addressing: BX/BP plus SI/DI; BP-based forms default to SS. */
static int decode_ea16(struct keel_emu *e, u8 mod, u8 rm, u64 *ea, u8 *seg)
{
	static const s8 base[8] = { 3, 3, 5, 5, -1, -1, 5, 3 };
	static const s8 index[8] = { 6, 7, 6, 7, 6, 7, -1, -1 };
	u64 disp = 0;

	*seg = (rm == 2 || rm == 3 || (rm == 6 && mod)) ? KEEL_EMU_SS :
							   KEEL_EMU_DS;
	if (mod == 0 && rm == 6) {
		if (fetch_imm(e, 2, false, &disp))
			return -EFAULT;
		*ea = disp;
		return 0;
	}
	if (mod && fetch_imm(e, mod == 1 ? 1 : 2, true, &disp))
		return -EFAULT;
	*ea = disp;
	if (base[rm] >= 0)
		*ea += e->regs[base[rm]];
	if (index[rm] >= 0)
		*ea += e->regs[index[rm]];
	return 0;
}

/*
 * 32/64-bit addressing with SIB. RIP-relative needs the instruction's
 * length, so that form only sets *riprel and the caller adds RIP.
 */
static int decode_ea32(struct keel_emu *e, u8 mod, u8 rm, u64 *ea, u8 *seg,
		       bool *riprel)
{
	u8 rex = e->d.rex, base = rm, sib;
	u64 disp = 0;

	*ea = 0;
	*seg = KEEL_EMU_DS;
	if (rm == 4) {
		u8 idx;

		if (fetch(e, &sib))
			return -EFAULT;
		idx = ((sib >> 3) & 7) | ((rex & 0x02) ? 8 : 0);
		if (idx != 4)
			*ea = e->regs[idx] << (sib >> 6);
		base = sib & 7;
		if (mod == 0 && base == 5) {
			if (fetch_imm(e, 4, true, &disp))
				return -EFAULT;
			*ea += disp;
			return 0;
		}
	} else if (mod == 0 && rm == 5) {
		if (fetch_imm(e, 4, true, &disp))
			return -EFAULT;
		*ea = disp;
		*riprel = e->mode == 8;
		return 0;
	}
	if (base == 4 || base == 5)
		*seg = KEEL_EMU_SS;
	*ea += e->regs[base | ((rex & 0x01) ? 8 : 0)];
	if (mod && fetch_imm(e, mod == 1 ? 1 : 4, true, &disp))
		return -EFAULT;
	*ea += disp;
	return 0;
}

static void set_form(struct keel_emu_insn *d, enum keel_emu_form form,
		     bool byte)
{
	d->form = form;
	if (byte)
		d->opsize = 1;
	d->memsize = d->opsize;
}

static int classify_twobyte(struct keel_emu_insn *d)
{
	u8 op = d->op;

	switch (op) {
	case 0xa3: case 0xab: case 0xb3: case 0xbb:
		set_form(d, KEEL_FORM_BT_REG, false);
		d->bitop = (op >> 3) & 3;
		return ADDR_MODRM;
	case 0xba:
		set_form(d, KEEL_FORM_BT_IMM, false);
		return ADDR_MODRM;
	case 0xb0: case 0xb1:
		set_form(d, KEEL_FORM_CMPXCHG, op == 0xb0);
		return ADDR_MODRM;
	case 0xc0: case 0xc1:
		set_form(d, KEEL_FORM_XADD, op == 0xc0);
		return ADDR_MODRM;
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		set_form(d, KEEL_FORM_LOAD, false);
		d->memsize = (op & 1) ? 2 : 1;
		d->sign = op >= 0xbe;
		return ADDR_MODRM;
	}
	return -EOPNOTSUPP;
}

/* The opcode's form, or -EOPNOTSUPP; groups are refined by ModRM.reg. */
static int classify(struct keel_emu *e)
{
	struct keel_emu_insn *d = &e->d;
	u8 op = d->op;

	if (d->twobyte)
		return classify_twobyte(d);
	if (op < 0x40 && (op & 7) < 4) {
		set_form(d, (op & 2) ? KEEL_FORM_ALU_RM : KEEL_FORM_ALU_MR,
			 !(op & 1));
		d->alu = op >> 3;
		return ADDR_MODRM;
	}
	switch (op) {
	case 0x63:
		if (e->mode != 8 || d->opsize == 2)
			return -EOPNOTSUPP;	/* ARPL outside 64-bit mode */
		set_form(d, KEEL_FORM_LOAD, false);
		d->memsize = 4;
		d->sign = 1;
		return ADDR_MODRM;
	case 0x82:
		if (e->mode == 8)
			return -EOPNOTSUPP;
		fallthrough;
	case 0x80: case 0x81: case 0x83:
		set_form(d, KEEL_FORM_ALU_MI, op == 0x80 || op == 0x82);
		return ADDR_MODRM;
	case 0x84: case 0x85:
		set_form(d, KEEL_FORM_ALU_MR, op == 0x84);
		d->alu = KEEL_ALU_TEST;
		return ADDR_MODRM;
	case 0x86: case 0x87:
		set_form(d, KEEL_FORM_XCHG, op == 0x86);
		return ADDR_MODRM;
	case 0x88: case 0x89:
		set_form(d, KEEL_FORM_STORE, op == 0x88);
		return ADDR_MODRM;
	case 0x8a: case 0x8b:
		set_form(d, KEEL_FORM_LOAD, op == 0x8a);
		return ADDR_MODRM;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		set_form(d, op < 0xa2 ? KEEL_FORM_LOAD : KEEL_FORM_STORE,
			 !(op & 1));
		return ADDR_MOFFS;	/* the accumulator: d->reg is 0 */
	case 0xa4: case 0xa5:
		set_form(d, KEEL_FORM_MOVS, op == 0xa4);
		return ADDR_STRING;
	case 0xaa: case 0xab:
		set_form(d, KEEL_FORM_STOS, op == 0xaa);
		return ADDR_STRING;
	case 0xac: case 0xad:
		set_form(d, KEEL_FORM_LODS, op == 0xac);
		return ADDR_STRING;
	case 0xc6: case 0xc7:
		set_form(d, KEEL_FORM_STORE_IMM, op == 0xc6);
		return ADDR_MODRM;
	case 0xf6: case 0xf7:
	case 0xfe: case 0xff:
		set_form(d, KEEL_FORM_UNARY, !(op & 1));
		return ADDR_MODRM;
	}
	return -EOPNOTSUPP;
}

/* Opcode groups: the operation is ModRM's reg field. */
static int classify_group(struct keel_emu_insn *d)
{
	static const u8 f6_ops[8] = {
		KEEL_ALU_TEST, KEEL_ALU_TEST, KEEL_ALU_NOT, KEEL_ALU_NEG,
	};
	u8 sub = (d->modrm >> 3) & 7;

	if (d->twobyte) {
		if (d->op != 0xba)
			return 0;
		d->bitop = sub & 3;
		return sub >= 4 ? 0 : -EOPNOTSUPP;
	}
	switch (d->op) {
	case 0x80: case 0x81: case 0x82: case 0x83:
		d->alu = sub;
		return 0;
	case 0xc6: case 0xc7:
		return sub ? -EOPNOTSUPP : 0;
	case 0xf6: case 0xf7:
		if (sub >= 4)
			return -EOPNOTSUPP;	/* MUL, IMUL, DIV, IDIV */
		d->alu = f6_ops[sub];
		if (d->alu == KEEL_ALU_TEST)
			d->form = KEEL_FORM_ALU_MI;
		return 0;
	case 0xfe: case 0xff:
		if (sub >= 2)
			return -EOPNOTSUPP;	/* CALL, JMP, PUSH */
		d->alu = sub ? KEEL_ALU_DEC : KEEL_ALU_INC;
		return 0;
	}
	return 0;
}

/* The size of the immediate that follows ModRM, by form. */
static unsigned int imm_bytes(const struct keel_emu *e)
{
	const struct keel_emu_insn *d = &e->d;
	unsigned int full = d->opsize < 4 ? d->opsize : 4;

	switch (d->form) {
	case KEEL_FORM_ALU_MI:
		return (d->twobyte || (d->op != 0x81 && d->op != 0xf7)) ?
		       1 : full;
	case KEEL_FORM_STORE_IMM:
		return d->op == 0xc6 ? 1 : full;
	case KEEL_FORM_BT_IMM:
		return 1;
	}
	return 0;
}

int keel_emu_decode(struct keel_emu *e)
{
	struct keel_emu_insn *d = &e->d;
	bool riprel = false;
	u8 op, mod, rm, seg;
	int addressing, r;
	u64 ea;

	memset(d, 0, sizeof(*d));
	r = decode_prefixes(e, &op);
	if (r)
		return r;
	addressing = classify(e);
	if (addressing < 0)
		return addressing;

	switch (addressing) {
	case ADDR_STRING:
		return 0;	/* addressed through rSI and rDI */
	case ADDR_MOFFS:
		r = fetch_imm(e, d->addrsize, false, &ea);
		seg = KEEL_EMU_DS;
		break;
	default:
		if (fetch(e, &d->modrm))
			return -EFAULT;
		mod = d->modrm >> 6;
		rm = d->modrm & 7;
		if (mod == 3)
			return -EOPNOTSUPP;	/* no memory operand */
		d->reg = ((d->modrm >> 3) & 7) | ((d->rex & 0x04) ? 8 : 0);
		r = classify_group(d);
		if (r)
			return r;
		if (d->addrsize == 2)
			r = decode_ea16(e, mod, rm, &ea, &seg);
		else
			r = decode_ea32(e, mod, rm, &ea, &seg, &riprel);
	}
	if (r)
		return r;
	r = fetch_imm(e, imm_bytes(e), true, &d->imm);
	if (r)
		return r;
	if (riprel)
		ea += e->rip + d->len;
	if (d->addrsize == 4)
		ea = (u32)ea;
	else if (d->addrsize == 2)
		ea = (u16)ea;
	d->ea = ea;
	if (d->seg == SEG_NONE)
		d->seg = seg;
	return 0;
}
