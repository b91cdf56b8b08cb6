// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO exits for every instruction form keel decodes, at every size:
 * MOV to and from memory (register, high-byte register, immediate, moffs),
 * MOVZX, MOVSX, MOVSXD and STOS (single and REP). The host checks each
 * exit's address, length, direction and data; the guest checks what a
 * read put in its register.
 */
#include "keel_util.h"
#include "ucall.h"

#define M(off) ((volatile void *)(KL_MMIO_BASE + (off)))

struct access {
	u64 off;
	u8 len;
	bool write;
	u64 data;	/* written by the guest, or returned to it */
};

static const struct access accesses[] = {
	{ 0x10, 1, true, 0x11 },			/* 88 */
	{ 0x20, 2, true, 0x2233 },			/* 66 89 */
	{ 0x30, 4, true, 0x44556677 },			/* 89 */
	{ 0x40, 8, true, 0x8899aabbccddeeffULL },	/* 48 89 */
	{ 0x48, 1, true, 0xcd },			/* 88 with BH */
	{ 0x50, 1, true, 0x5a },			/* c6 */
	{ 0x52, 2, true, 0x1234 },			/* 66 c7 */
	{ 0x54, 4, true, 0x89abcdef },			/* c7 */
	{ 0x58, 8, true, 0xfffffffffffffffeULL },	/* 48 c7, sign-extended */
	{ 0x60, 4, true, 0xcafef00d },			/* rep stos, 3 times */
	{ 0x64, 4, true, 0xcafef00d },
	{ 0x68, 4, true, 0xcafef00d },
	{ 0x6c, 1, true, 0x7e },			/* stosb */
	{ 0x70, 8, true, 0x0123456789abcdefULL },	/* 48 ab */
	{ 0x78, 1, true, 0x77 },			/* a2 */
	{ 0x80, 8, true, 0x1122334455667788ULL },	/* 48 a3 */
	{ 0x100, 1, false, 0x81 },			/* 8a */
	{ 0x108, 2, false, 0x8182 },			/* 66 8b */
	{ 0x110, 4, false, 0x81828384 },		/* 8b */
	{ 0x118, 8, false, 0x8182838485868788ULL },	/* 48 8b */
	{ 0x120, 1, false, 0x9c },			/* 8a into BH */
	{ 0x128, 1, false, 0x80 },			/* movzbl */
	{ 0x130, 2, false, 0x8000 },			/* movzwl */
	{ 0x138, 1, false, 0x80 },			/* movsbl */
	{ 0x140, 2, false, 0x8000 },			/* movswq */
	{ 0x148, 4, false, 0x80000000 },		/* movslq */
	{ 0x150, 1, false, 0x7f },			/* movsbq, positive */
	{ 0x158, 4, false, 0xfeedface },		/* a1 */
};

static void guest_mmio(void)
{
	u64 v, rdi, rcx;
	u32 v32;
	u8 v8;

	asm volatile("movb %b0, (%1)" :: "q"(0x11), "r"(M(0x10)) : "memory");
	asm volatile("movw %w0, (%1)" :: "r"(0x2233), "r"(M(0x20)) : "memory");
	asm volatile("movl %0, (%1)" :: "r"(0x44556677), "r"(M(0x30)) : "memory");
	asm volatile("movq %0, (%1)" :: "r"(0x8899aabbccddeeffULL), "r"(M(0x40)) : "memory");
	asm volatile("movb %%bh, (%0)" :: "D"(M(0x48)), "b"(0xcd00) : "memory");
	asm volatile("movb $0x5a, (%0)" :: "r"(M(0x50)) : "memory");
	asm volatile("movw $0x1234, (%0)" :: "r"(M(0x52)) : "memory");
	asm volatile("movl $0x89abcdef, (%0)" :: "r"(M(0x54)) : "memory");
	asm volatile("movq $-2, (%0)" :: "r"(M(0x58)) : "memory");

	rdi = (u64)M(0x60);
	rcx = 3;
	asm volatile("cld; rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(0xcafef00d) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)M(0x6c));
	GUEST_ASSERT_EQ(rcx, 0);
	asm volatile("stosb" : "+D"(rdi) : "a"(0x7e) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)M(0x6d));
	rdi = (u64)M(0x70);
	asm volatile("stosq" : "+D"(rdi) : "a"(0x0123456789abcdefULL) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)M(0x78));
	asm volatile("movabs %%al, 0xd0000078" :: "a"(0x77) : "memory");
	asm volatile("movabs %%rax, 0xd0000080" :: "a"(0x1122334455667788ULL) : "memory");

	asm volatile("movb (%1), %0" : "=q"(v8) : "r"(M(0x100)) : "memory");
	GUEST_ASSERT_EQ(v8, 0x81);
	v = 0x1111111111111111ULL;
	asm volatile("movw (%1), %w0" : "+r"(v) : "r"(M(0x108)) : "memory");
	GUEST_ASSERT_EQ(v, 0x1111111111118182ULL);
	v = 0x1111111111111111ULL;
	asm volatile("movl (%1), %k0" : "+r"(v) : "r"(M(0x110)) : "memory");
	GUEST_ASSERT_EQ(v, 0x81828384);
	asm volatile("movq (%1), %0" : "=r"(v) : "r"(M(0x118)) : "memory");
	GUEST_ASSERT_EQ(v, 0x8182838485868788ULL);
	v = 0x2222;
	asm volatile("movb (%1), %%bh" : "+b"(v) : "D"(M(0x120)) : "memory");
	GUEST_ASSERT_EQ(v, 0x9c22);
	asm volatile("movzbl (%1), %0" : "=r"(v32) : "r"(M(0x128)) : "memory");
	GUEST_ASSERT_EQ(v32, 0x80);
	asm volatile("movzwl (%1), %0" : "=r"(v32) : "r"(M(0x130)) : "memory");
	GUEST_ASSERT_EQ(v32, 0x8000);
	asm volatile("movsbl (%1), %0" : "=r"(v32) : "r"(M(0x138)) : "memory");
	GUEST_ASSERT_EQ(v32, 0xffffff80);
	asm volatile("movswq (%1), %0" : "=r"(v) : "r"(M(0x140)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff8000ULL);
	asm volatile("movslq (%1), %0" : "=r"(v) : "r"(M(0x148)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffff80000000ULL);
	asm volatile("movsbq (%1), %0" : "=r"(v) : "r"(M(0x150)) : "memory");
	GUEST_ASSERT_EQ(v, 0x7f);
	v = 0x3333333333333333ULL;
	asm volatile("movabs 0xd0000158, %%eax" : "+a"(v) :: "memory");
	GUEST_ASSERT_EQ(v, 0xfeedface);
	GUEST_DONE();
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_mmio, 1, &vcpu);
	unsigned int i, n = ARRAY_SIZE(accesses);
	struct kl_ucall uc;

	for (i = 0; i < n; i++) {
		const struct access *a = &accesses[i];
		struct keel_run *run = vcpu->run;
		u64 data = 0;
		int r = kl_vcpu_run(vcpu);

		KL_REQUIRE(!r, "RUN: %s", kl_errstr(r));
		if (run->exit_reason != KEEL_EXIT_MMIO) {
			kl_ok(false, "access %u: expected MMIO, got %s", i,
			      kl_describe_exit(vcpu));
			kl_run_ucall(vcpu, &uc);	/* report the guest's side */
			return kl_finish();
		}
		memcpy(&data, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
		kl_ok(run->mmio.phys_addr == KL_MMIO_BASE + a->off &&
		      run->mmio.len == a->len && run->mmio.is_write == a->write &&
		      (!a->write || data == a->data),
		      "%s of %u byte(s) at +0x%llx: got %s %u at 0x%llx data 0x%llx",
		      a->write ? "write" : "read", a->len,
		      (unsigned long long)a->off,
		      run->mmio.is_write ? "write" : "read", run->mmio.len,
		      (unsigned long long)run->mmio.phys_addr,
		      (unsigned long long)data);
		if (!a->write)
			memcpy(run->mmio.data, &a->data, a->len);
	}
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE,
	      "the guest saw every read's value in the right register bits");
	kl_vm_free(vm);
	return kl_finish();
}
