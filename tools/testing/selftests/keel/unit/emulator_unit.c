// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of keel's x86 instruction emulator (drivers/keel/x86/
 * emulate_*.c), built for userspace and run on the build machine: byte
 * streams in 16-, 32- and 64-bit modes (ModRM and SIB forms, RIP-relative,
 * moffs, prefixes, segment bases, address-size wrap), the restart rule of
 * a read that waits, the refusals, and the arithmetic flags compared with
 * the CPU this runs on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <asm/processor-flags.h>

#include <keel/emulate.h>

#define MEM_SIZE	0x10000
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static u8 mem[MEM_SIZE];
static int fails;
static bool read_waits;		/* the next read asks to wait */
static unsigned int nwrites;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fails += !ok;
}

static int mem_read(struct keel_emu *e, u64 la, void *val, unsigned int len)
{
	if (la + len > MEM_SIZE)
		return -EFAULT;
	if (read_waits) {
		read_waits = false;
		return KEEL_EMU_EXIT;
	}
	memcpy(val, mem + la, len);
	return 0;
}

static int mem_write(struct keel_emu *e, u64 la, const void *val,
		     unsigned int len)
{
	if (la + len > MEM_SIZE)
		return -EFAULT;
	memcpy(mem + la, val, len);
	nwrites++;
	return 0;
}

static const struct keel_emu_ops ops = { .read = mem_read, .write = mem_write };

static void setup(struct keel_emu *e, u8 mode, const char *bytes,
		  unsigned int len)
{
	memset(e, 0, sizeof(*e));
	memset(mem, 0, sizeof(mem));
	e->mode = mode;
	e->ops = &ops;
	e->rflags = 0x2;
	e->rip = 0x100;
	memcpy(e->insn, bytes, len);
	e->insn_len = len;
	nwrites = 0;
}

static u64 mem_get(u64 la, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, mem + la, len);
	return v;
}

/* Bytes from a string literal, which may hold NULs. */
#define SETUP(e, mode, s) setup(e, mode, s, sizeof(s) - 1)

static void test_16bit(void)
{
	struct keel_emu e;
	int r;

	/* mov [bx+si+0x10], ax with DS base 0x1000 */
	SETUP(&e, 2, "\x89\x40\x10");
	e.seg_base[KEEL_EMU_DS] = 0x1000;
	e.regs[3] = 0x100;
	e.regs[6] = 0x20;
	e.regs[0] = 0xdeadbeef;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x1130, 4) == 0xbeef && e.rip == 0x103,
	      "16-bit: mov [bx+si+disp8], ax writes 2 bytes at DS:0x130");

	/* mov al, [bp+di-2]: BP-based forms use SS */
	SETUP(&e, 2, "\x8a\x43\xfe");
	e.seg_base[KEEL_EMU_SS] = 0x2000;
	e.seg_base[KEEL_EMU_DS] = 0x3000;
	e.regs[5] = 0x10;
	e.regs[7] = 0x4;
	mem[0x2012] = 0x5a;
	e.regs[0] = 0x1234;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 0x125a, "16-bit: mov al, [bp+di-2] reads SS:0x12");

	/* [bx+si] wraps at 64 KiB */
	SETUP(&e, 2, "\x8b\x00");
	e.regs[3] = 0xfff0;
	e.regs[6] = 0x20;
	mem[0x10] = 0x77;
	r = keel_emu_run(&e);
	check(!r && (e.regs[0] & 0xffff) == 0x77,
	      "16-bit: the effective address wraps at 64 KiB");

	/* 66: 32-bit operand; mov [disp16], eax */
	SETUP(&e, 2, "\x66\x89\x06\x34\x12");
	e.regs[0] = 0x89abcdef;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x1234, 4) == 0x89abcdef && e.rip == 0x105,
	      "16-bit: 66 mov [disp16], eax writes 4 bytes");

	/* 67: 32-bit addressing with SIB: mov [ebx+ecx*4], ax */
	SETUP(&e, 2, "\x67\x89\x04\x8b");
	e.regs[3] = 0x1000;
	e.regs[1] = 0x10;
	e.regs[0] = 0x4242;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x1040, 2) == 0x4242,
	      "16-bit: 67 mov [ebx+ecx*4], ax uses 32-bit addressing");

	/* RIP wraps in 16 bits */
	SETUP(&e, 2, "\x88\x07");
	e.rip = 0xffff;
	r = keel_emu_run(&e);
	check(!r && e.rip == 0x1, "16-bit: IP wraps after the instruction");
}

static void test_32bit(void)
{
	struct keel_emu e;
	int r;

	/* mov eax, [esi*2+0x1000]: SIB without base */
	SETUP(&e, 4, "\x8b\x04\x75\x00\x10\x00\x00");
	e.regs[6] = 0x80;
	mem[0x1100] = 0x11;
	mem[0x1103] = 0x44;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 0x44000011 && e.rip == 0x107,
	      "32-bit: mov eax, [esi*2+disp32]");

	/* mov eax, [0x1234] (moffs) with DS base 0x100 */
	SETUP(&e, 4, "\xa1\x34\x12\x00\x00");
	e.seg_base[KEEL_EMU_DS] = 0x100;
	mem[0x1334] = 0x99;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 0x99 && e.rip == 0x105,
	      "32-bit: moffs read through DS");

	/* ES override: mov [es:0x2000], ebx (mod 0, rm 5: disp32) */
	SETUP(&e, 4, "\x26\x89\x1d\x00\x20\x00\x00");
	e.seg_base[KEEL_EMU_ES] = 0x4000;
	e.regs[3] = 0xcafe;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x6000, 4) == 0xcafe, "32-bit: ES override");

	/* The linear address wraps at 4 GiB. */
	SETUP(&e, 4, "\x89\x18");
	e.seg_base[KEEL_EMU_DS] = 0xfffff000;
	e.regs[0] = 0x1010;
	e.regs[3] = 0x5151;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x10, 4) == 0x5151,
	      "32-bit: segment base plus offset wraps at 4 GiB");

	/* 67 A4: MOVSB with 16-bit SI/DI, wrapping without touching bits 16+ */
	SETUP(&e, 4, "\x67\xa4");
	e.regs[6] = 0xabcdffff;
	e.regs[7] = 0x00010020;
	mem[0xffff] = 0x3c;
	r = keel_emu_run(&e);
	check(!r && mem[0x20] == 0x3c && e.regs[6] == 0xabcd0000 &&
	      e.regs[7] == 0x00010021,
	      "32-bit: 67 movsb steps SI and DI in 16 bits");

	/* 63 is ARPL outside 64-bit mode: not emulated */
	SETUP(&e, 4, "\x63\x00");
	check(keel_emu_run(&e) == -EOPNOTSUPP, "32-bit: 63 (ARPL) refused");
}

static void test_64bit(void)
{
	struct keel_emu e;
	int r;

	/* mov eax, [rip-0x10] */
	SETUP(&e, 8, "\x8b\x05\xf0\xff\xff\xff");
	e.rip = 0x3000;
	mem[0x2ff6] = 0x61;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 0x61 && e.rip == 0x3006,
	      "64-bit: RIP-relative read");

	/* movl $imm32, [rip+0x10]: RIP is the end, after the immediate */
	SETUP(&e, 8, "\xc7\x05\x10\x00\x00\x00\x78\x56\x34\x12");
	e.rip = 0x3000;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x301a, 4) == 0x12345678,
	      "64-bit: RIP-relative with an immediate after the displacement");

	/* mov [r8+r9*8], eax: REX.X and REX.B */
	SETUP(&e, 8, "\x43\x89\x04\xc8");
	e.regs[8] = 0x1000;
	e.regs[9] = 3;
	e.regs[0] = 0x1234abcd;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x1018, 4) == 0x1234abcd, "64-bit: REX.X and REX.B");

	/* mov [r13+0], r10d: REX.R, and base 5 needs a displacement */
	SETUP(&e, 8, "\x45\x89\x55\x00");
	e.regs[13] = 0x2000;
	e.regs[10] = 0x77;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x2000, 4) == 0x77 && e.rip == 0x104,
	      "64-bit: [r13+disp8] with REX.R source");

	/* mov sil, [rdi]: with REX, register 6 is SIL, not DH */
	SETUP(&e, 8, "\x40\x8a\x37");
	e.regs[7] = 0x10;
	mem[0x10] = 0xee;
	e.regs[6] = 0x1100;
	e.regs[2] = 0;
	r = keel_emu_run(&e);
	check(!r && e.regs[6] == 0x11ee && e.regs[2] == 0,
	      "64-bit: REX selects SIL over DH");

	/* mov [rdi], bh: without REX, register 7 is BH */
	SETUP(&e, 8, "\x88\x3f");
	e.regs[3] = 0xcd00;
	e.regs[7] = 0x30;
	r = keel_emu_run(&e);
	check(!r && mem[0x30] == 0xcd, "64-bit: BH without REX");

	/* FS base applies in 64-bit mode, DS base does not */
	SETUP(&e, 8, "\x64\x8b\x00");
	e.seg_base[KEEL_EMU_FS] = 0x4000;
	e.seg_base[KEEL_EMU_DS] = 0x8000;
	mem[0x4010] = 0x12;
	e.regs[0] = 0x10;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 0x12, "64-bit: FS base used, DS base ignored");

	/* REX before a legacy prefix is ignored: 48 66 89 07 stores 2 bytes */
	SETUP(&e, 8, "\x48\x66\x89\x07");
	e.regs[0] = 0x1122334455667788ULL;
	e.regs[7] = 0x20;
	r = keel_emu_run(&e);
	check(!r && mem_get(0x20, 8) == 0x7788,
	      "64-bit: a REX followed by a prefix does not count");

	/* movabs rax, [moffs64] */
	SETUP(&e, 8, "\x48\xa1\x00\x30\x00\x00\x00\x00\x00\x00");
	mem[0x3000] = 0x5;
	r = keel_emu_run(&e);
	check(!r && e.regs[0] == 5 && e.rip == 0x10a, "64-bit: moffs64");

	/* bt [rdi], rcx with a negative offset: the word below */
	SETUP(&e, 8, "\x48\x0f\xa3\x0f");
	e.regs[7] = 0x100;
	e.regs[1] = (u64)-63;	/* bit 1 of the qword at 0xf8 */
	mem[0xf8] = 0x2;
	r = keel_emu_run(&e);
	check(!r && (e.rflags & X86_EFLAGS_CF),
	      "64-bit: bt with a negative offset reads below the operand");

	/* REP STOSD with RCX 0 does nothing and ends */
	SETUP(&e, 8, "\xf3\xab");
	r = keel_emu_run(&e);
	check(!r && !nwrites && e.rip == 0x102, "64-bit: rep stos with rcx 0");

	/* REP STOSD iterates: RIP stays until RCX reaches 0 */
	SETUP(&e, 8, "\xf3\xab");
	e.regs[1] = 2;
	e.regs[7] = 0x40;
	e.regs[0] = 0xaabbccdd;
	r = keel_emu_run(&e);
	check(!r && e.rip == 0x100 && e.regs[1] == 1 && e.regs[7] == 0x44,
	      "64-bit: rep stos leaves RIP while rcx is not 0");
	r = keel_emu_run(&e);
	check(!r && e.rip == 0x102 && e.regs[1] == 0 &&
	      mem_get(0x40, 8) == 0xaabbccddaabbccddULL,
	      "64-bit: ... and moves on after the last element");
}

static void test_restart_and_refusals(void)
{
	static const struct {
		const char *b;
		unsigned int len;
		int r;
		const char *what;
	} bad[] = {
		{ "\x0f\x0b", 2, -EOPNOTSUPP, "ud2" },
		{ "\xf7\x30", 2, -EOPNOTSUPP, "div [rax]" },
		{ "\xff\x10", 2, -EOPNOTSUPP, "call [rax]" },
		{ "\x89\xc0", 2, -EOPNOTSUPP, "a register-only mov" },
		{ "\x82\x00\x01", 3, -EOPNOTSUPP, "82 in 64-bit mode" },
		{ "\xc7\x08\x00\x00\x00\x00", 6, -EOPNOTSUPP, "c7 /1" },
		{ "\x0f\xba\x00\x01", 4, -EOPNOTSUPP, "0f ba /0" },
		{ "\x89\x04", 2, -EFAULT, "a truncated instruction" },
		{ "\xf2\x0f\x38\xf0\x07", 5, -EOPNOTSUPP, "crc32" },
	};
	struct keel_emu e, before;
	unsigned int i;
	int r;

	/* add [rdi], eax: the read waits; nothing may change */
	SETUP(&e, 8, "\x01\x07");
	e.regs[7] = 0x10;
	e.regs[0] = 5;
	mem[0x10] = 7;
	before = e;
	read_waits = true;
	r = keel_emu_run(&e);
	check(r == KEEL_EMU_EXIT && !nwrites && e.rip == before.rip &&
	      !memcmp(e.regs, before.regs, sizeof(e.regs)) &&
	      e.rflags == before.rflags,
	      "a read that waits leaves registers, flags, RIP and memory");
	e = before;
	r = keel_emu_run(&e);
	check(!r && mem[0x10] == 12 && e.rip == 0x102,
	      "... and the restart completes the instruction");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int want = bad[i].r;

		setup(&e, 8, bad[i].b, bad[i].len);
		r = keel_emu_run(&e);
		check(r == want && !nwrites, "refused: %s (%d)", bad[i].what, r);
	}
}

/*
 * The CPU's own result and flags for one ALU operation: the instruction,
 * register to register (RDI op= RSI), between POPF and PUSHF in a page of
 * code written for each call. Only defined flags are compared: AF after
 * logic operations is undefined.
 */
static u8 *jit;

static u64 native(enum keel_emu_alu op, unsigned int n, u64 a, u64 b,
		  u64 *fl)
{
	static const u8 tail[] = {
		0x9c,			/* pushf */
		0x8f, 0x02,		/* pop (%rdx) */
		0x48, 0x89, 0xf8,	/* mov %rdi, %rax */
		0xc3,			/* ret */
	};
	u64 (*fn)(u64 a, u64 b, u64 *fl) = (void *)jit;
	u8 *p = jit, wide = n != 1;

	*p++ = 0xff;			/* push (%rdx) */
	*p++ = 0x32;
	*p++ = 0x9d;			/* popf */
	if (n == 2)
		*p++ = 0x66;
	*p++ = n == 8 ? 0x48 : 0x40;	/* REX: DIL/SIL, not BH/DH */
	if (op <= KEEL_ALU_CMP) {
		*p++ = (op << 3) | wide;	/* op %rsi, %rdi */
		*p++ = 0xf7;
	} else if (op == KEEL_ALU_TEST) {
		*p++ = 0x84 | wide;
		*p++ = 0xf7;
	} else if (op == KEEL_ALU_INC || op == KEEL_ALU_DEC) {
		*p++ = 0xfe | wide;	/* FE/FF /0, /1 */
		*p++ = 0xc7 | ((op == KEEL_ALU_DEC) << 3);
	} else {
		*p++ = 0xf6 | wide;	/* F6/F7 /2 NOT, /3 NEG */
		*p++ = 0xc7 | ((op == KEEL_ALU_NEG ? 3 : 2) << 3);
	}
	memcpy(p, tail, sizeof(tail));
	return fn(a, b, fl);
}

static const struct {
	enum keel_emu_alu op;
	const char *name;
	bool logic;
} alu_ops[] = {
	{ KEEL_ALU_ADD, "add", false },
	{ KEEL_ALU_OR, "or", true },
	{ KEEL_ALU_ADC, "adc", false },
	{ KEEL_ALU_SBB, "sbb", false },
	{ KEEL_ALU_AND, "and", true },
	{ KEEL_ALU_SUB, "sub", false },
	{ KEEL_ALU_XOR, "xor", true },
	{ KEEL_ALU_CMP, "cmp", false },
	{ KEEL_ALU_TEST, "test", true },
	{ KEEL_ALU_INC, "inc", false },
	{ KEEL_ALU_DEC, "dec", false },
	{ KEEL_ALU_NEG, "neg", false },
	{ KEEL_ALU_NOT, "not", false },
};

#define STATUS (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
		X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

static u64 rnd(void)
{
	static u64 s = 0x2545f4914f6cdd1dULL;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

/* Operands near the edges, where carries and overflows happen. */
static u64 operand(unsigned int n)
{
	static const u64 edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
				    0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
				    0x7fffffffffffffffULL, ~0ULL };
	u64 r = rnd();

	return (r & 3) ? edge[(r >> 2) % 13] + ((r >> 8) & 1) : rnd();
}

static void report(const char *op, unsigned int n, u64 a, u64 b, u64 fl,
		   u64 re, u64 fe, u64 rn, u64 fn)
{
	printf("# %s%u 0x%llx, 0x%llx flags 0x%llx: keel 0x%llx/0x%llx, CPU 0x%llx/0x%llx\n",
	       op, n * 8, (unsigned long long)a, (unsigned long long)b,
	       (unsigned long long)fl, (unsigned long long)re,
	       (unsigned long long)fe, (unsigned long long)rn,
	       (unsigned long long)fn);
}

static void test_alu(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int i, s, k;

	jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED) {
		check(false, "mmap an executable page: %s", strerror(errno));
		return;
	}

	for (i = 0; i < ARRAY_SIZE(alu_ops); i++) {
		unsigned int bad = 0;

		for (s = 0; s < 4; s++) {
			unsigned int n = sizes[s];
			u64 mask = n == 8 ? ~0ULL : (1ULL << (n * 8)) - 1;

			for (k = 0; k < 20000; k++) {
				u64 a = operand(n), b = operand(n);
				u64 fl = 0x2 | (rnd() & STATUS), fe = fl, fn = fl;
				u64 cmpmask = alu_ops[i].logic ?
					      STATUS & ~X86_EFLAGS_AF : STATUS;
				u64 re = keel_emu_alu(alu_ops[i].op, a, b, n, &fe);
				u64 rn = native(alu_ops[i].op, n, a, b, &fn) & mask;

				if (alu_ops[i].op == KEEL_ALU_CMP ||
				    alu_ops[i].op == KEEL_ALU_TEST)
					re = rn;	/* no result to compare */
				if (re != rn || (fe & cmpmask) != (fn & cmpmask)) {
					if (!bad++)
						report(alu_ops[i].name, n, a, b, fl,
						       re, fe, rn, fn);
				}
			}
		}
		check(!bad, "ALU %s at 8/16/32/64 bits: result and flags as the CPU's (%u differ)",
		      alu_ops[i].name, bad);
	}
}

int main(void)
{
	test_16bit();
	test_32bit();
	test_64bit();
	test_restart_and_refusals();
	test_alu();
	return fails ? 1 : 0;
}
