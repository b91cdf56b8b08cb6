// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction emulator against the real CPU. For every instruction
 * form a guest may use on an emulated device (MOV forms, read-modify-write
 * ALU, INC/DEC/NEG/NOT, XCHG, CMPXCHG, XADD, the bit tests, MOVS/STOS/LODS
 * with and without REP, both directions), the guest runs it on RAM and then
 * on MMIO that the host backs with an array, from the same registers,
 * flags and memory, with random values: registers, defined flags and
 * memory must come out the same. An instruction keel does not emulate
 * ends RUN with KEEL_EXIT_INTERNAL_ERROR carrying its bytes.
 */
#include <string.h>

#include "keel_util.h"
#include "ucall.h"

#define WIN		256		/* bytes per memory window */
#define MMIO_WIN(i)	(KL_MMIO_BASE + 0x100 + (i) * 0x800)
#define RUNS		12

#define F_CF	0x001ULL
#define F_PF	0x004ULL
#define F_AF	0x010ULL
#define F_ZF	0x040ULL
#define F_SF	0x080ULL
#define F_OF	0x800ULL
#define F_DF	0x400ULL
#define F_ALL	(F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_LOGIC	(F_ALL & ~F_AF)		/* AF is undefined after logic ops */

enum { CMD_LOAD = 1, CMD_STORE, CMD_RESULT };

/* What RCX holds: a random value, a REP count, a bit offset or an index. */
enum { RCX_RANDOM, RCX_COUNT, RCX_BITOFF, RCX_INDEX };

struct emu_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, r8, rflags;
};

struct emu_case {
	const char *name;
	void (*insn)(void);
	u8 mmio;		/* bit i: window i is MMIO */
	u8 rcx;
	u8 df;			/* run with DF set */
	u8 rax_eq;		/* CMPXCHG: RAX equals memory in even runs */
	u64 flags;		/* flags compared */
};

/*
 * One function per instruction: the instruction, then RET. rdi points at
 * the middle of window 0, rsi at the middle of window 1.
 */
#define INSN(name, text)						\
	void insn_##name(void);						\
	asm(".pushsection .text\ninsn_" #name ": " text		\
	    "; ret\n.popsection")

INSN(mov_st32, "mov %ebx, (%rdi)");
INSN(mov_st8h, "mov %bh, 3(%rdi)");
INSN(mov_ld16, "mov -2(%rdi), %dx");
INSN(mov_ld8h, "mov 5(%rdi), %ch");
INSN(mov_ld64_sib, "mov -8(%rdi,%rcx,8), %rax");
INSN(mov_imm64, "movq $-7, 8(%rdi)");
INSN(mov_imm16, "movw $0x8001, -6(%rdi)");
INSN(mov_gs, "mov %gs:-0x1000(%rdi), %eax");
INSN(mov_addr32, "addr32 mov (%edi), %r8");
INSN(movzwl, "movzwl 2(%rdi), %r8d");
INSN(movsbq, "movsbq 1(%rdi), %rbx");
INSN(movslq, "movslq 4(%rdi), %rdx");
INSN(add_mr32, "add %ebx, (%rdi)");
INSN(adc_mr8, "adc %bl, 1(%rdi)");
INSN(sub_mr64, "sub %rbx, (%rdi)");
INSN(sbb_mr16, "sbb %bx, (%rdi)");
INSN(and_mr32, "and %ebx, (%rdi)");
INSN(or_mr8, "or %bl, (%rdi)");
INSN(xor_mr64, "xor %rbx, (%rdi)");
INSN(cmp_mr32, "cmp %ebx, (%rdi)");
INSN(add_rm32, "add (%rdi), %ebx");
INSN(sub_rm8, "sub (%rdi), %bl");
INSN(cmp_rm64, "cmp (%rdi), %rbx");
INSN(and_rm16, "and (%rdi), %bx");
INSN(or_rm8h, "or 2(%rdi), %ah");
INSN(adc_rm64, "adc (%rdi), %rdx");
INSN(add_mi32, "addl $0x12345678, (%rdi)");
INSN(sub_mi64_s8, "subq $-3, (%rdi)");
INSN(and_mi8, "andb $0x5a, (%rdi)");
INSN(or_mi16, "orw $0x8001, (%rdi)");
INSN(xor_mi32_s8, "xorl $-1, (%rdi)");
INSN(cmp_mi8, "cmpb $0x80, (%rdi)");
INSN(adc_mi64, "adcq $1, (%rdi)");
INSN(sbb_mi32, "sbbl $7, (%rdi)");
INSN(test_mr32, "test %ebx, (%rdi)");
INSN(test_mi8, "testb $0x81, (%rdi)");
INSN(test_mi64, "testq $-2, (%rdi)");
INSN(inc8, "incb (%rdi)");
INSN(dec32, "decl (%rdi)");
INSN(inc64, "incq (%rdi)");
INSN(dec16, "decw (%rdi)");
INSN(neg32, "negl (%rdi)");
INSN(neg8, "negb (%rdi)");
INSN(not64, "notq (%rdi)");
INSN(not16, "notw (%rdi)");
INSN(xchg32, "xchg %ebx, (%rdi)");
INSN(xchg8, "xchg %al, 1(%rdi)");
INSN(xchg64, "xchg %rdx, (%rdi)");
INSN(cmpxchg32, "lock cmpxchg %ebx, (%rdi)");
INSN(cmpxchg8, "cmpxchg %bl, (%rdi)");
INSN(cmpxchg64, "cmpxchg %rbx, (%rdi)");
INSN(xadd32, "xadd %ebx, (%rdi)");
INSN(xadd64, "lock xadd %rbx, (%rdi)");
INSN(xadd8, "xadd %bl, (%rdi)");
INSN(xadd16, "xadd %bx, (%rdi)");
INSN(bt32, "bt %ecx, (%rdi)");
INSN(bts64, "bts %rcx, (%rdi)");
INSN(btr16, "btr %cx, (%rdi)");
INSN(btc32, "btc %ecx, (%rdi)");
INSN(bt_imm32, "btl $33, (%rdi)");
INSN(bts_imm64, "btsq $63, (%rdi)");
INSN(btr_imm16, "btrw $17, (%rdi)");
INSN(btc_imm32, "btcl $5, (%rdi)");
INSN(movsb, "movsb");
INSN(rep_movsb, "rep movsb");
INSN(movsl, "movsl");
INSN(rep_movsq, "rep movsq");
INSN(movsw, "movsw");
INSN(stosb, "stosb");
INSN(rep_stosl, "rep stosl");
INSN(stosq, "stosq");
INSN(rep_stosb_a32, "addr32 rep stosb");
INSN(lodsb, "lodsb");
INSN(lodsq, "lodsq");
INSN(rep_lodsw, "rep lodsw");

#define C(n, mmio, ...) { #n, insn_##n, mmio, __VA_ARGS__ }

static const struct emu_case cases[] = {
	C(mov_st32, 1, .flags = F_ALL),
	C(mov_st8h, 1, .flags = F_ALL),
	C(mov_ld16, 1, .flags = F_ALL),
	C(mov_ld8h, 1, .flags = F_ALL),
	C(mov_ld64_sib, 1, .rcx = RCX_INDEX, .flags = F_ALL),
	C(mov_imm64, 1, .flags = F_ALL),
	C(mov_imm16, 1, .flags = F_ALL),
	C(mov_gs, 1, .flags = F_ALL),
	C(mov_addr32, 1, .flags = F_ALL),
	C(movzwl, 1, .flags = F_ALL),
	C(movsbq, 1, .flags = F_ALL),
	C(movslq, 1, .flags = F_ALL),
	C(add_mr32, 1, .flags = F_ALL),
	C(adc_mr8, 1, .flags = F_ALL),
	C(sub_mr64, 1, .flags = F_ALL),
	C(sbb_mr16, 1, .flags = F_ALL),
	C(and_mr32, 1, .flags = F_LOGIC),
	C(or_mr8, 1, .flags = F_LOGIC),
	C(xor_mr64, 1, .flags = F_LOGIC),
	C(cmp_mr32, 1, .flags = F_ALL),
	C(add_rm32, 1, .flags = F_ALL),
	C(sub_rm8, 1, .flags = F_ALL),
	C(cmp_rm64, 1, .flags = F_ALL),
	C(and_rm16, 1, .flags = F_LOGIC),
	C(or_rm8h, 1, .flags = F_LOGIC),
	C(adc_rm64, 1, .flags = F_ALL),
	C(add_mi32, 1, .flags = F_ALL),
	C(sub_mi64_s8, 1, .flags = F_ALL),
	C(and_mi8, 1, .flags = F_LOGIC),
	C(or_mi16, 1, .flags = F_LOGIC),
	C(xor_mi32_s8, 1, .flags = F_LOGIC),
	C(cmp_mi8, 1, .flags = F_ALL),
	C(adc_mi64, 1, .flags = F_ALL),
	C(sbb_mi32, 1, .flags = F_ALL),
	C(test_mr32, 1, .flags = F_LOGIC),
	C(test_mi8, 1, .flags = F_LOGIC),
	C(test_mi64, 1, .flags = F_LOGIC),
	C(inc8, 1, .flags = F_ALL),
	C(dec32, 1, .flags = F_ALL),
	C(inc64, 1, .flags = F_ALL),
	C(dec16, 1, .flags = F_ALL),
	C(neg32, 1, .flags = F_ALL),
	C(neg8, 1, .flags = F_ALL),
	C(not64, 1, .flags = F_ALL),
	C(not16, 1, .flags = F_ALL),
	C(xchg32, 1, .flags = F_ALL),
	C(xchg8, 1, .flags = F_ALL),
	C(xchg64, 1, .flags = F_ALL),
	C(cmpxchg32, 1, .rax_eq = 1, .flags = F_ALL),
	C(cmpxchg8, 1, .rax_eq = 1, .flags = F_ALL),
	C(cmpxchg64, 1, .rax_eq = 1, .flags = F_ALL),
	C(xadd32, 1, .flags = F_ALL),
	C(xadd64, 1, .flags = F_ALL),
	C(xadd8, 1, .flags = F_ALL),
	C(xadd16, 1, .flags = F_ALL),
	C(bt32, 1, .rcx = RCX_BITOFF, .flags = F_CF),
	C(bts64, 1, .rcx = RCX_BITOFF, .flags = F_CF),
	C(btr16, 1, .rcx = RCX_BITOFF, .flags = F_CF),
	C(btc32, 1, .rcx = RCX_BITOFF, .flags = F_CF),
	C(bt_imm32, 1, .flags = F_CF),
	C(bts_imm64, 1, .flags = F_CF),
	C(btr_imm16, 1, .flags = F_CF),
	C(btc_imm32, 1, .flags = F_CF),
	/* String forms: source window 1 (rsi), destination window 0 (rdi). */
	C(movsb, 2, .flags = F_ALL),
	C(movsb, 1, .flags = F_ALL),
	C(movsb, 3, .flags = F_ALL),
	C(rep_movsb, 2, .rcx = RCX_COUNT, .flags = F_ALL),
	C(rep_movsb, 1, .rcx = RCX_COUNT, .df = 1, .flags = F_ALL),
	C(rep_movsb, 3, .rcx = RCX_COUNT, .flags = F_ALL),
	C(movsl, 3, .df = 1, .flags = F_ALL),
	C(rep_movsq, 2, .rcx = RCX_COUNT, .flags = F_ALL),
	C(rep_movsq, 1, .rcx = RCX_COUNT, .flags = F_ALL),
	C(movsw, 1, .flags = F_ALL),
	C(stosb, 1, .flags = F_ALL),
	C(rep_stosl, 1, .rcx = RCX_COUNT, .flags = F_ALL),
	C(rep_stosl, 1, .rcx = RCX_COUNT, .df = 1, .flags = F_ALL),
	C(stosq, 1, .df = 1, .flags = F_ALL),
	C(rep_stosb_a32, 1, .rcx = RCX_COUNT, .flags = F_ALL),
	C(lodsb, 2, .flags = F_ALL),
	C(lodsq, 2, .df = 1, .flags = F_ALL),
	C(rep_lodsw, 2, .rcx = RCX_COUNT, .flags = F_ALL),
};

/* Load registers and flags, call the instruction, save them (and CLD). */
void emu_call(struct emu_regs *r, void (*insn)(void));
asm(".pushsection .text\n"
	    "emu_call:\n"
	    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	    "	mov %rdi, %r15\n"
	    "	mov %rsi, %r14\n"
	    "	mov 0(%r15), %rax\n"
	    "	mov 8(%r15), %rbx\n"
	    "	mov 16(%r15), %rcx\n"
	    "	mov 24(%r15), %rdx\n"
	    "	mov 32(%r15), %rsi\n"
	    "	mov 40(%r15), %rdi\n"
	    "	mov 48(%r15), %r8\n"
	    "	pushq 56(%r15)\n"
	    "	popfq\n"
	    "	call *%r14\n"
	    "	pushfq\n"
	    "	popq 56(%r15)\n"
	    "	cld\n"
	    "	mov %rax, 0(%r15)\n"
	    "	mov %rbx, 8(%r15)\n"
	    "	mov %rcx, 16(%r15)\n"
	    "	mov %rdx, 24(%r15)\n"
	    "	mov %rsi, 32(%r15)\n"
	    "	mov %rdi, 40(%r15)\n"
	    "	mov %r8, 48(%r15)\n"
	    "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	    "	ret\n"
	    ".popsection\n");

/* The guest's data, reported to the host on a mismatch. */
struct emu_result {
	struct emu_regs in, ram, mmio;
	u64 ram_win[2], mmio_win[2];	/* where the windows were */
	u8 init[2][WIN], ref[2][WIN], got[2][WIN];
};

static struct emu_result res __aligned(64);
static u64 seed = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Guest code cannot call libc; volatile keeps GCC from calling memcpy. */
static void copy_win(void *dst, const void *src, unsigned int len)
{
	volatile u64 *d = dst;
	const volatile u64 *s = src;
	unsigned int i;

	for (i = 0; i < len / 8; i++)
		d[i] = s[i];
}

static bool same_win(const void *a, const void *b, unsigned int len)
{
	const volatile u64 *x = a, *y = b;
	unsigned int i;

	for (i = 0; i < len / 8; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static u64 pick_rcx(const struct emu_case *c)
{
	switch (c->rcx) {
	case RCX_COUNT:
		return 1 + rnd() % 8;
	case RCX_BITOFF:
		return (u64)((s64)(rnd() % 1024) - 512);
	case RCX_INDEX:
		return 1 + rnd() % 8;
	}
	return rnd();
}

/* Run @c with window i at @win[i]. */
static void run_on(const struct emu_case *c, const u64 win[2],
		   struct emu_regs *out)
{
	*out = res.in;
	out->rdi = win[0] + WIN / 2;
	out->rsi = win[1] + WIN / 2;
	emu_call(out, c->insn);
}

static bool same(const struct emu_case *c)
{
	u64 m = ~(F_ALL) | c->flags;

	return res.ram.rax == res.mmio.rax && res.ram.rbx == res.mmio.rbx &&
	       res.ram.rcx == res.mmio.rcx && res.ram.rdx == res.mmio.rdx &&
	       res.ram.rsi - res.ram_win[1] == res.mmio.rsi - res.mmio_win[1] &&
	       res.ram.rdi - res.ram_win[0] == res.mmio.rdi - res.mmio_win[0] &&
	       res.ram.r8 == res.mmio.r8 &&
	       (res.ram.rflags & m) == (res.mmio.rflags & m) &&
	       same_win(res.ref, res.got, sizeof(res.ref));
}

static void guest_emulate(void)
{
	unsigned int i, run, w;

	/* GS base 0x1000 so that mov_gs addresses %gs:-0x1000(%rdi). */
	asm volatile("wrmsr" :: "c"(0xc0000101), "a"(0x1000), "d"(0));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct emu_case *c = &cases[i];
		bool ok = true;

		for (run = 0; run < RUNS && ok; run++) {
			for (w = 0; w < 2; w++)
				for (unsigned int b = 0; b < WIN; b += 8)
					*(u64 *)&res.init[w][b] = rnd();
			res.in = (struct emu_regs) {
				.rax = rnd(), .rbx = rnd(), .rcx = pick_rcx(c),
				.rdx = rnd(), .r8 = rnd(),
				.rflags = 0x2 | (rnd() & F_ALL) |
					  (c->df ? F_DF : 0),
			};
			if (c->rax_eq && !(run & 1))
				res.in.rax = *(u64 *)&res.init[0][WIN / 2];

			/* On RAM: the CPU's own result. */
			copy_win(res.ref, res.init, sizeof(res.ref));
			res.ram_win[0] = (u64)res.ref[0];
			res.ram_win[1] = (u64)res.ref[1];
			run_on(c, res.ram_win, &res.ram);

			/* The MMIO windows start as init; RAM ones too. */
			copy_win(res.got, res.init, sizeof(res.got));
			for (w = 0; w < 2; w++) {
				res.mmio_win[w] = (c->mmio & (1 << w)) ?
						  MMIO_WIN(w) : (u64)res.got[w];
				if (c->mmio & (1 << w))
					kl_ucall(KL_UCALL_SYNC, CMD_LOAD, w,
						 (u64)res.init[w], 0);
			}
			run_on(c, res.mmio_win, &res.mmio);
			for (w = 0; w < 2; w++)
				if (c->mmio & (1 << w))
					kl_ucall(KL_UCALL_SYNC, CMD_STORE, w,
						 (u64)res.got[w], 0);
			ok = same(c);
		}
		kl_ucall(KL_UCALL_SYNC, CMD_RESULT, i, ok, (u64)&res);
	}

	/* CRC32 is not emulated: RUN stops with the instruction's bytes. */
	asm volatile("crc32b (%1), %0" : "+a"(w) : "D"(MMIO_WIN(0)) : "memory");
	GUEST_DONE();
}

static u8 mmio_mem[0x1000];

static void print_diff(const struct emu_result *r)
{
	static const char * const names[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "rflags",
	};
	const u64 *in = &r->in.rax, *a = &r->ram.rax, *b = &r->mmio.rax;
	unsigned int i, w;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		kl_diag("%-6s in %016llx RAM %016llx MMIO %016llx%s", names[i],
			(unsigned long long)in[i], (unsigned long long)a[i],
			(unsigned long long)b[i], a[i] != b[i] ? "  <--" : "");
	for (w = 0; w < 2; w++)
		for (i = 0; i < WIN; i++)
			if (r->ref[w][i] != r->got[w][i])
				kl_diag("window %u byte %u: init %02x RAM %02x MMIO %02x",
					w, i, r->init[w][i], r->ref[w][i],
					r->got[w][i]);
}

static void check_internal_error(struct kl_vcpu *vcpu)
{
	static const u8 crc32[] = { 0xf2, 0x0f, 0x38, 0xf0, 0x07 };
	struct keel_run *run = vcpu->run;
	bool bytes = false;

	if (run->exit_reason == KEEL_EXIT_INTERNAL_ERROR &&
	    run->emulation_failure.suberror == KEEL_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags &
	     KEEL_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		bytes = run->emulation_failure.insn_size >= sizeof(crc32) &&
			!memcmp(run->emulation_failure.insn_bytes, crc32,
				sizeof(crc32));
	kl_ok(bytes, "CRC32 on MMIO: INTERNAL_ERROR (emulation) with its bytes: %s",
	      kl_describe_exit(vcpu));
	if (kl_is_kvm())
		kl_skip("keel-only: data[3] holds the faulting address");
	else
		kl_ok(run->emulation_failure.ndata == 4 &&
		      run->internal.data[3] == MMIO_WIN(0),
		      "... and the faulting address: ndata %u data[3] 0x%llx",
		      run->emulation_failure.ndata,
		      (unsigned long long)run->internal.data[3]);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_emulate, 1,
					     &vcpu);
	unsigned int exits = 0;
	struct kl_ucall uc;

	for (;;) {
		struct keel_run *run = vcpu->run;
		int r = kl_vcpu_run(vcpu);
		u64 off, cmd;

		KL_REQUIRE(!r, "RUN: %s", kl_errstr(r));
		if (run->exit_reason == KEEL_EXIT_MMIO) {
			off = run->mmio.phys_addr - KL_MMIO_BASE;
			KL_REQUIRE(off < sizeof(mmio_mem) &&
				   off + run->mmio.len <= sizeof(mmio_mem),
				   "MMIO outside the windows: %s",
				   kl_describe_exit(vcpu));
			if (run->mmio.is_write)
				memcpy(mmio_mem + off, run->mmio.data,
				       run->mmio.len);
			else
				memcpy(run->mmio.data, mmio_mem + off,
				       run->mmio.len);
			exits++;
			continue;
		}
		if (run->exit_reason == KEEL_EXIT_INTERNAL_ERROR) {
			check_internal_error(vcpu);
			break;
		}
		cmd = kl_get_ucall(vcpu, &uc);
		KL_REQUIRE(cmd == KL_UCALL_SYNC,
			   "unexpected exit: %s (ucall %llu: 0x%llx 0x%llx 0x%llx)",
			   kl_describe_exit(vcpu), (unsigned long long)cmd,
			   (unsigned long long)uc.args[0],
			   (unsigned long long)uc.args[1],
			   (unsigned long long)uc.args[2]);
		off = MMIO_WIN(uc.args[1]) - KL_MMIO_BASE;
		switch (uc.args[0]) {
		case CMD_LOAD:
			memcpy(mmio_mem + off, kl_gpa_to_hva(vm, uc.args[2]), WIN);
			break;
		case CMD_STORE:
			memcpy(kl_gpa_to_hva(vm, uc.args[2]), mmio_mem + off, WIN);
			break;
		case CMD_RESULT: {
			const struct emu_case *c = &cases[uc.args[1]];

			kl_ok(uc.args[2] && exits,
			      "%s (MMIO windows %#x): %u runs like RAM, %u MMIO exits",
			      c->name, c->mmio, RUNS, exits);
			if (!uc.args[2])
				print_diff(kl_gpa_to_hva(vm, uc.args[3]));
			exits = 0;
			break;
		}
		}
	}
	kl_vm_free(vm);
	return kl_finish();
}
