// SPDX-License-Identifier: GPL-2.0
/*
 * A 64-bit guest computes and reports through the ucall channel; CPUID
 * works in the guest; an unknown MSR injects #GP.
 */
#include "keel_util.h"
#include "ucall.h"

#define FIB_N 50

static u64 fib(u64 n)
{
	u64 a = 0, b = 1;

	while (n--) {
		u64 t = a + b;

		a = b;
		b = t;
	}
	return a;
}

static void guest_compute(void)
{
	u32 a, b, c, d;

	GUEST_SYNC2(1, fib(FIB_N));
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	GUEST_SYNC2(2, b);
	GUEST_DONE();
}

static void guest_bad_msr(void)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xdeadbeef));
	GUEST_SYNC(lo);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm;
	struct kl_ucall uc;
	u32 vendor_ebx;
	int r;

	vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_compute, 1, &vcpu);
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 1 && uc.args[1] == fib(FIB_N),
	      "guest computed fib(%d) = %llu", FIB_N,
	      (unsigned long long)uc.args[1]);
	kl_run_ucall(vcpu, &uc);
	asm volatile("cpuid" : "=b"(vendor_ebx) : "a"(0), "c"(0) : "edx");
	kl_ok(uc.args[0] == 2 && uc.args[1] == vendor_ebx,
	      "guest CPUID.0 vendor matches the host (0x%llx)",
	      (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "guest finished");

	kl_vcpu_setup_long_mode(vcpu, guest_bad_msr, 0, 0);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && kl_get_ucall(vcpu, &uc) == KL_UCALL_EXCEPTION &&
	      uc.args[0] == 13 && uc.args[1] == 0,
	      "RDMSR of an unknown MSR raises #GP(0) in the guest: %s",
	      r ? kl_errstr(r) : kl_describe_exit(vcpu));
	kl_vm_free(vm);
	return kl_finish();
}
