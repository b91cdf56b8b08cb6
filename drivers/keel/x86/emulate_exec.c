// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86 emulator: execution of one decoded instruction on the copy of
 * the registers in struct keel_emu. Memory is read first and written last,
 * at most once each (MOVS: once each), so a read that must wait for
 * userspace can restart the instruction from scratch, and nothing is
 * written before every read is done. A REP string instruction does one
 * iteration per call and leaves RIP on itself while rCX is not zero.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <asm/processor-flags.h>

#include <keel/emulate.h>

#define RAX	0
#define RCX	1
#define RSI	6
#define RDI	7

static u64 size_mask(unsigned int bytes)
{
	return bytes == 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

/* Byte registers 4-7 are AH, CH, DH, BH unless there is a REX prefix. */
static bool high_byte(const struct keel_emu *e, unsigned int reg,
		      unsigned int bytes)
{
	return bytes == 1 && !e->d.rex && reg >= 4 && reg < 8;
}

static u64 reg_read(const struct keel_emu *e, unsigned int reg,
		    unsigned int bytes)
{
	if (high_byte(e, reg, bytes))
		return (e->regs[reg - 4] >> 8) & 0xff;
	return e->regs[reg] & size_mask(bytes);
}

/* As the CPU writes: 32-bit results zero-extend, 8/16-bit ones merge. */
static void reg_write(struct keel_emu *e, unsigned int reg,
		      unsigned int bytes, u64 v)
{
	u64 *r;

	if (high_byte(e, reg, bytes)) {
		r = &e->regs[reg - 4];
		*r = (*r & ~0xff00ULL) | ((v & 0xff) << 8);
		return;
	}
	r = &e->regs[reg];
	if (bytes == 4)
		*r = (u32)v;
	else if (bytes == 8)
		*r = v;
	else
		*r = (*r & ~size_mask(bytes)) | (v & size_mask(bytes));
}

static u64 linear(const struct keel_emu *e, unsigned int seg, u64 ea)
{
	if (e->mode == 8)
		return ea + ((seg == KEEL_EMU_FS || seg == KEEL_EMU_GS) ?
			     e->seg_base[seg] : 0);
	return (u32)(e->seg_base[seg] + ea);
}

static int mem_read(struct keel_emu *e, u64 la, unsigned int bytes, u64 *v)
{
	*v = 0;
	return e->ops->read(e, la, v, bytes);
}

static int mem_write(struct keel_emu *e, u64 la, unsigned int bytes, u64 v)
{
	return e->ops->write(e, la, &v, bytes);
}

static void advance(struct keel_emu *e)
{
	u64 next = e->rip + e->d.len;

	e->rip = e->mode == 8 ? next : e->mode == 4 ? (u32)next : (u16)next;
}

/* One iteration of MOVS, STOS or LODS. */
static int exec_string(struct keel_emu *e)
{
	struct keel_emu_insn *d = &e->d;
	unsigned int as = d->addrsize, n = d->opsize;
	u64 amask = size_mask(as), step, v = 0;
	u8 seg = d->seg < KEEL_EMU_NR_SEGS ? d->seg : KEEL_EMU_DS;
	u64 si = e->regs[RSI] & amask, di = e->regs[RDI] & amask;
	int r = 0;

	if (d->rep && !(e->regs[RCX] & amask)) {
		advance(e);
		return 0;
	}
	if (d->form != KEEL_FORM_STOS)
		r = mem_read(e, linear(e, seg, si), n, &v);
	else
		v = e->regs[RAX];
	if (!r && d->form != KEEL_FORM_LODS)
		r = mem_write(e, linear(e, KEEL_EMU_ES, di), n, v);
	if (r)
		return r;

	step = (e->rflags & X86_EFLAGS_DF) ? -(u64)n : n;
	if (d->form == KEEL_FORM_LODS)
		reg_write(e, RAX, n, v);
	if (d->form != KEEL_FORM_STOS)
		reg_write(e, RSI, as, si + step);
	if (d->form != KEEL_FORM_LODS)
		reg_write(e, RDI, as, di + step);
	if (d->rep) {
		reg_write(e, RCX, as, (e->regs[RCX] & amask) - 1);
		if (e->regs[RCX] & amask)
			return 0;	/* the guest runs it again */
	}
	advance(e);
	return 0;
}

/* BT, BTS, BTR, BTC: a register offset may address beyond the operand. */
static int exec_bt(struct keel_emu *e, u64 la)
{
	struct keel_emu_insn *d = &e->d;
	unsigned int bits = d->opsize * 8;
	u64 off, v, bit;
	int r;

	if (d->form == KEEL_FORM_BT_REG) {
		off = reg_read(e, d->reg, d->opsize);
		if (off & (1ULL << (bits - 1)))
			off |= ~size_mask(d->opsize);
		/* Arithmetic shift: a negative offset addresses below. */
		la = linear(e, d->seg, (d->ea + ((s64)off >> (ffs(bits) - 1)) *
					d->opsize) & size_mask(d->addrsize));
	} else {
		off = d->imm;
	}
	bit = 1ULL << (off & (bits - 1));
	r = mem_read(e, la, d->opsize, &v);
	if (r)
		return r;
	e->rflags = (v & bit) ? e->rflags | X86_EFLAGS_CF :
				e->rflags & ~X86_EFLAGS_CF;
	switch (d->bitop) {
	case 1:
		return mem_write(e, la, d->opsize, v | bit);
	case 2:
		return mem_write(e, la, d->opsize, v & ~bit);
	case 3:
		return mem_write(e, la, d->opsize, v ^ bit);
	}
	return 0;
}

/* The forms that read their memory operand and may write it back. */
static int exec_rmw(struct keel_emu *e, u64 la)
{
	struct keel_emu_insn *d = &e->d;
	unsigned int n = d->opsize;
	u64 v, src, res;
	int r;

	r = mem_read(e, la, d->memsize, &v);
	if (r)
		return r;
	switch (d->form) {
	case KEEL_FORM_LOAD:
		if (d->sign && (v & (1ULL << (d->memsize * 8 - 1))))
			v |= ~size_mask(d->memsize);
		reg_write(e, d->reg, n, v);
		return 0;
	case KEEL_FORM_ALU_RM:
		res = keel_emu_alu(d->alu, reg_read(e, d->reg, n), v, n,
				   &e->rflags);
		if (d->alu != KEEL_ALU_CMP)
			reg_write(e, d->reg, n, res);
		return 0;
	case KEEL_FORM_ALU_MR:
	case KEEL_FORM_ALU_MI:
	case KEEL_FORM_UNARY:
		src = d->form == KEEL_FORM_ALU_MR ? reg_read(e, d->reg, n) :
						     d->imm;
		res = keel_emu_alu(d->alu, v, src, n, &e->rflags);
		if (d->alu == KEEL_ALU_CMP || d->alu == KEEL_ALU_TEST)
			return 0;
		return mem_write(e, la, n, res);
	case KEEL_FORM_XCHG:
		r = mem_write(e, la, n, reg_read(e, d->reg, n));
		break;
	case KEEL_FORM_XADD:
		res = keel_emu_alu(KEEL_ALU_ADD, v, reg_read(e, d->reg, n), n,
				   &e->rflags);
		r = mem_write(e, la, n, res);
		break;
	case KEEL_FORM_CMPXCHG:
		keel_emu_alu(KEEL_ALU_CMP, reg_read(e, RAX, n), v, n,
			     &e->rflags);
		/* The CPU writes either way: the old value if unequal. */
		if (e->rflags & X86_EFLAGS_ZF)
			return mem_write(e, la, n, reg_read(e, d->reg, n));
		r = mem_write(e, la, n, v);
		if (!r)
			reg_write(e, RAX, n, v);
		return r;
	default:
		return -EOPNOTSUPP;
	}
	if (!r)
		reg_write(e, d->reg, n, v);	/* XCHG, XADD: the old value */
	return r;
}

int keel_emu_run(struct keel_emu *e)
{
	struct keel_emu_insn *d;
	u64 la, v;
	int r;

	r = keel_emu_decode(e);
	if (r)
		return r;
	d = &e->d;
	if (d->form == KEEL_FORM_MOVS || d->form == KEEL_FORM_STOS ||
	    d->form == KEEL_FORM_LODS)
		return exec_string(e);
	la = linear(e, d->seg, d->ea);
	switch (d->form) {
	case KEEL_FORM_STORE:
	case KEEL_FORM_STORE_IMM:
		v = d->form == KEEL_FORM_STORE ? reg_read(e, d->reg, d->opsize) :
						  d->imm;
		r = mem_write(e, la, d->opsize, v);
		break;
	case KEEL_FORM_BT_REG:
	case KEEL_FORM_BT_IMM:
		r = exec_bt(e, la);
		break;
	default:
		r = exec_rmw(e, la);
	}
	if (!r)
		advance(e);
	return r;
}
