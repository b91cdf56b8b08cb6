// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86 emulator: integer arithmetic and logic with the status flags
 * the CPU leaves, computed in C so that the result does not depend on the
 * host CPU's treatment of undefined flags (AF after logic ops is cleared,
 * as on AMD and QEMU).
 */
#include <asm/processor-flags.h>

#include <keel/emulate.h>

#define KEEL_STATUS_FLAGS (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			   X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

static u64 size_mask(unsigned int bytes)
{
	return bytes == 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

/* PF: set when the low byte of the result has an even number of ones. */
static bool parity_even(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

u64 keel_emu_alu(enum keel_emu_alu op, u64 dst, u64 src, unsigned int bytes,
		 u64 *rflags)
{
	u64 mask = size_mask(bytes), sign = 1ULL << (bytes * 8 - 1);
	u64 c = *rflags & X86_EFLAGS_CF ? 1 : 0;
	u64 keep = 0, fl = 0, res;

	dst &= mask;
	src &= mask;
	switch (op) {
	case KEEL_ALU_ADD:
	case KEEL_ALU_ADC:
		c = op == KEEL_ALU_ADC ? c : 0;
		res = (dst + src + c) & mask;
		if (res < dst || (c && res == dst))
			fl |= X86_EFLAGS_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			fl |= X86_EFLAGS_OF;
		fl |= (dst ^ src ^ res) & X86_EFLAGS_AF;
		break;
	case KEEL_ALU_SUB:
	case KEEL_ALU_SBB:
	case KEEL_ALU_CMP:
		c = op == KEEL_ALU_SBB ? c : 0;
		res = (dst - src - c) & mask;
		if (dst < src || (c && dst == src))
			fl |= X86_EFLAGS_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			fl |= X86_EFLAGS_OF;
		fl |= (dst ^ src ^ res) & X86_EFLAGS_AF;
		break;
	case KEEL_ALU_AND:
	case KEEL_ALU_TEST:
		res = dst & src;
		break;
	case KEEL_ALU_OR:
		res = dst | src;
		break;
	case KEEL_ALU_XOR:
		res = dst ^ src;
		break;
	case KEEL_ALU_INC:
	case KEEL_ALU_DEC:
		/* INC and DEC leave CF alone. */
		keep = X86_EFLAGS_CF;
		res = (op == KEEL_ALU_INC ? dst + 1 : dst - 1) & mask;
		if (res == (op == KEEL_ALU_INC ? sign : sign - 1))
			fl |= X86_EFLAGS_OF;
		fl |= (dst ^ 1 ^ res) & X86_EFLAGS_AF;
		break;
	case KEEL_ALU_NEG:
		res = (0 - dst) & mask;
		if (dst)
			fl |= X86_EFLAGS_CF;
		if (dst == sign)
			fl |= X86_EFLAGS_OF;
		fl |= (dst ^ res) & X86_EFLAGS_AF;
		break;
	case KEEL_ALU_NOT:
	default:
		/* NOT changes no flags. */
		return ~dst & mask;
	}
	if (!res)
		fl |= X86_EFLAGS_ZF;
	if (res & sign)
		fl |= X86_EFLAGS_SF;
	if (parity_even(res))
		fl |= X86_EFLAGS_PF;
	*rflags = (*rflags & ~(KEEL_STATUS_FLAGS & ~keep)) | fl;
	return res;
}
