/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel's x86 instruction emulator: the instructions a guest uses on
 * emulated devices (MMIO), decoded from their bytes and executed on a copy
 * of the registers. It knows nothing of vCPUs: memory is reached through
 * the caller's ops, by linear address, so the same code runs in the module
 * and in a userspace unit test that checks it against the real CPU.
 */
#ifndef _KEEL_EMULATE_H
#define _KEEL_EMULATE_H

#include <linux/types.h>

#define KEEL_EMU_MAX_INSN	15

/* keel_emu_run() and the ops return 0, KEEL_EMU_EXIT or a -errno. */
#define KEEL_EMU_EXIT		1	/* a read waits for its data */

/* Segment registers in the order of their encodings. */
enum keel_emu_seg {
	KEEL_EMU_ES, KEEL_EMU_CS, KEEL_EMU_SS, KEEL_EMU_DS,
	KEEL_EMU_FS, KEEL_EMU_GS, KEEL_EMU_NR_SEGS,
};

/* Arithmetic and logic operations; ADD..CMP in their group-1 order. */
enum keel_emu_alu {
	KEEL_ALU_ADD, KEEL_ALU_OR, KEEL_ALU_ADC, KEEL_ALU_SBB,
	KEEL_ALU_AND, KEEL_ALU_SUB, KEEL_ALU_XOR, KEEL_ALU_CMP,
	KEEL_ALU_TEST, KEEL_ALU_INC, KEEL_ALU_DEC, KEEL_ALU_NEG,
	KEEL_ALU_NOT,
};

/* What an instruction does with its memory operand. */
enum keel_emu_form {
	KEEL_FORM_LOAD,		/* MOV, MOVZX/MOVSX, MOVSXD into a register */
	KEEL_FORM_STORE,	/* MOV from a register */
	KEEL_FORM_STORE_IMM,	/* MOV of an immediate */
	KEEL_FORM_ALU_MR,	/* memory op= register (CMP, TEST: no write) */
	KEEL_FORM_ALU_RM,	/* register op= memory */
	KEEL_FORM_ALU_MI,	/* memory op= immediate */
	KEEL_FORM_UNARY,	/* INC, DEC, NEG, NOT of memory */
	KEEL_FORM_XCHG,
	KEEL_FORM_CMPXCHG,
	KEEL_FORM_XADD,
	KEEL_FORM_BT_REG,	/* BT/BTS/BTR/BTC, bit offset in a register */
	KEEL_FORM_BT_IMM,	/* ... in an immediate */
	KEEL_FORM_MOVS,
	KEEL_FORM_STOS,
	KEEL_FORM_LODS,
};

struct keel_emu;

struct keel_emu_ops {
	/* 0: @val holds the data; KEEL_EMU_EXIT: retry when it is known. */
	int (*read)(struct keel_emu *e, u64 la, void *val, unsigned int len);
	/* An instruction writes memory at most once, as its last access. */
	int (*write)(struct keel_emu *e, u64 la, const void *val,
		     unsigned int len);
};

/* The instruction as decoded. */
struct keel_emu_insn {
	u8 len;
	u8 opsize;		/* operand size in bytes */
	u8 addrsize;		/* address size in bytes */
	u8 rex;
	u8 rep;			/* 0, 0xf2 or 0xf3 */
	u8 seg;			/* segment of the memory operand */
	u8 op;
	u8 twobyte;		/* the opcode followed 0F */
	u8 modrm;
	u8 form;		/* enum keel_emu_form */
	u8 reg;			/* register operand, REX.R included */
	u8 alu;			/* enum keel_emu_alu */
	u8 bitop;		/* 0 BT, 1 BTS, 2 BTR, 3 BTC */
	u8 memsize;		/* bytes of memory the operand covers */
	u8 sign;		/* a load sign-extends */
	u64 imm;
	u64 ea;			/* effective address, before the segment */
};

struct keel_emu {
	/* In: the vCPU's state; out: its state after the instruction. */
	u64 regs[16];
	u64 rflags;
	u64 rip;		/* unchanged while a REP has iterations left */
	u64 seg_base[KEEL_EMU_NR_SEGS];
	u8 mode;		/* code segment: 2, 4 or 8 bytes */
	u8 insn[KEEL_EMU_MAX_INSN];
	u8 insn_len;		/* bytes fetched at RIP, up to 15 */
	const struct keel_emu_ops *ops;
	struct keel_emu_insn d;
};

int keel_emu_decode(struct keel_emu *e);
int keel_emu_run(struct keel_emu *e);
u64 keel_emu_alu(enum keel_emu_alu op, u64 dst, u64 src, unsigned int bytes,
		 u64 *rflags);

#endif
