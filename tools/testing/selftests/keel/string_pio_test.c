// SPDX-License-Identifier: GPL-2.0
/*
 * String port I/O: OUTS and INS of 1, 2 and 4 bytes, with and without
 * REP, across a guest page boundary and for more than a page of data.
 * The host checks the data in the PIO page; the guest checks the data it
 * received and where RSI, RDI and RCX ended.
 */
#include "keel_util.h"
#include "ucall.h"

#define PORT 0x3f8
#define BIG 5000
#define BUF ((u8 *)KL_GPA_SCRATCH)
/* A buffer that straddles two guest pages. */
#define EDGE ((u8 *)(KL_GPA_SCRATCH + 0x10000 - 6))

static void guest_strings(void)
{
	u64 rsi, rdi, rcx;
	int i;

	for (i = 0; i < BIG; i++)
		BUF[i] = i * 7;
	for (i = 0; i < 12; i++)
		EDGE[i] = (0x10000 - 6 + i) * 7;

	rsi = (u64)BUF; rcx = 12;
	asm volatile("cld; rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rsi, (u64)BUF + 12);
	GUEST_ASSERT_EQ(rcx, 0);

	rsi = (u64)BUF; rcx = 4;
	asm volatile("rep outsw" : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rsi, (u64)BUF + 8);

	rsi = (u64)EDGE; rcx = 3;
	asm volatile("rep outsl" : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rsi, (u64)EDGE + 12);

	rsi = (u64)BUF;
	asm volatile("outsb" : "+S"(rsi) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rsi, (u64)BUF + 1);

	rsi = (u64)BUF; rcx = BIG;
	asm volatile("rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rsi, (u64)BUF + BIG);
	GUEST_ASSERT_EQ(rcx, 0);

	rdi = (u64)BUF; rcx = 16;
	asm volatile("rep insb" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)BUF + 16);
	for (i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(BUF[i], (u8)(0xa0 + i));

	rdi = (u64)EDGE; rcx = 3;
	asm volatile("rep insl" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)EDGE + 12);
	for (i = 0; i < 12; i++)
		GUEST_ASSERT_EQ(EDGE[i], (u8)(0xa0 + i));

	rdi = (u64)BUF; rcx = 2;
	asm volatile("std; rep insw; cld" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(rdi, (u64)BUF - 4);
	GUEST_DONE();
}

/* Collect @bytes of OUTS data of element @size; returns the exit count. */
static int collect_out(struct kl_vcpu *vcpu, u8 size, u8 *buf, int bytes)
{
	int got = 0, exits = 0;

	while (got < bytes) {
		struct keel_run *run = vcpu->run;
		int r = kl_vcpu_run(vcpu), n;

		KL_REQUIRE(!r && run->exit_reason == KEEL_EXIT_IO &&
			   run->io.direction == KEEL_EXIT_IO_OUT &&
			   run->io.port == PORT && run->io.size == size &&
			   run->io.count >= 1,
			   "outs exit: %s", kl_describe_exit(vcpu));
		n = run->io.count * size;
		KL_REQUIRE(got + n <= bytes, "%d bytes more than asked", got + n - bytes);
		memcpy(buf + got, kl_pio_data(vcpu), n);
		got += n;
		exits++;
	}
	return exits;
}

/* Answer INS exits with 0xa0, 0xa1, ... until @bytes were given. */
static void answer_in(struct kl_vcpu *vcpu, u8 size, int bytes)
{
	int given = 0;

	while (given < bytes) {
		struct keel_run *run = vcpu->run;
		int r = kl_vcpu_run(vcpu), i;
		u8 *d;

		KL_REQUIRE(!r && run->exit_reason == KEEL_EXIT_IO &&
			   run->io.direction == KEEL_EXIT_IO_IN &&
			   run->io.size == size,
			   "ins exit: %s", kl_describe_exit(vcpu));
		d = kl_pio_data(vcpu);
		for (i = 0; i < (int)(run->io.count * size); i++)
			d[i] = 0xa0 + given + i;
		given += run->io.count * size;
	}
}

static bool same(const u8 *a, int off, int n, int mul)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i] != (u8)((off + i) * mul))
			return false;
	return true;
}

int main(void)
{
	static u8 buf[BIG];
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_strings, 1, &vcpu);
	struct kl_ucall uc;
	int exits;

	collect_out(vcpu, 1, buf, 12);
	kl_ok(same(buf, 0, 12, 7), "rep outsb: 12 bytes arrive in order");
	collect_out(vcpu, 2, buf, 8);
	kl_ok(same(buf, 0, 8, 7), "rep outsw: 4 words arrive in order");
	collect_out(vcpu, 4, buf, 12);
	kl_ok(same(buf, 0x10000 - 6, 12, 7), "rep outsl across a page boundary");
	exits = collect_out(vcpu, 1, buf, 1);
	kl_ok(exits == 1 && buf[0] == 0, "outsb without rep: one byte");
	exits = collect_out(vcpu, 1, buf, BIG);
	kl_ok(same(buf, 0, BIG, 7), "rep outsb of %d bytes (%d exits)", BIG, exits);

	answer_in(vcpu, 1, 16);
	answer_in(vcpu, 4, 12);
	answer_in(vcpu, 2, 4);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE,
	      "rep insb/insl/insw (DF=1) data and registers check out in the guest");
	kl_vm_free(vm);
	return kl_finish();
}
