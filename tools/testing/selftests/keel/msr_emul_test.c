// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs keel emulates for the guest: MTRRs (MTRRcap read-only, types and
 * reserved bits checked), HWCR, MISC_ENABLE, machine-check banks,
 * TSC_ADJUST (moving the guest's TSC, and following the guest's TSC
 * writes), TSC_AUX (what the guest's RDTSCP
 * returns, with the host's value back in the CPU for host userspace).
 * Without the CPUID bits, the guest gets #GP or #UD while userspace can
 * still save and restore the MSRs.
 */
#include <errno.h>
#include <sched.h>

#include "keel_util.h"
#include "ucall.h"

#define MSR_TSC		0x10
#define MSR_TSC_ADJUST	0x3b
#define MSR_MTRRCAP	0xfe
#define MSR_MTRR_BASE0	0x200
#define MSR_MTRR_MASK0	0x201
#define MSR_MTRR_DEF	0x2ff
#define MSR_TSC_AUX	0xc0000103
#define MSR_HWCR	0xc0010015
#define MSR_MISC_ENABLE	0x1a0
#define MSR_SYSCFG	0xc0010010
#define MSR_MCG_CAP	0x179
#define MSR_MC0_CTL	0x400
#define MSR_MC0_STATUS	0x401
#define MSR_MC4_CTL	0x410
#define MSR_SPEC_CTRL	0x48
#define MSR_PRED_CMD	0x49

/* CPUID 0x80000008 EBX: IBPB, IBRS, STIBP, SSBD; their SPEC_CTRL bits */
#define E8_IBPB		BIT(12)
#define E8_IBRS		BIT(14)
#define E8_STIBP	BIT(15)
#define E8_SSBD		BIT(24)
#define E8_SPEC		(E8_IBPB | E8_IBRS | E8_STIBP | E8_SSBD)

volatile u64 fault_vec, skip_len;
extern char gp_handler[], ud_handler[];

/* Skip the faulting instruction (skip_len bytes) and note the vector. */
asm(".pushsection .text\n"
	"gp_handler:\n"
	"  addq $8, %rsp\n"
	"  movq $13, fault_vec(%rip)\n"
	"  jmp 1f\n"
	"ud_handler:\n"
	"  movq $6, fault_vec(%rip)\n"
	"1: pushq %rax\n"
	"  movq skip_len(%rip), %rax\n"
	"  addq %rax, 8(%rsp)\n"
	"  popq %rax\n"
	"  iretq\n"
	".popsection\n");

static u64 rdmsr_safe(u32 idx, u64 *val)
{
	u32 lo = 0, hi = 0;

	fault_vec = 0;
	skip_len = 2;
	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(idx) : "memory");
	*val = lo | ((u64)hi << 32);
	return fault_vec;
}

static u64 wrmsr_safe(u32 idx, u64 val)
{
	fault_vec = 0;
	skip_len = 2;
	asm volatile("wrmsr" :: "c"(idx), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
	return fault_vec;
}

static u64 rdmsr(u32 idx)
{
	u64 v;

	GUEST_ASSERT(!rdmsr_safe(idx, &v));
	return v;
}

static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((u64)hi << 32);
}

/* RDTSCP's ECX, or ~0 after #UD. */
static u64 rdtscp_aux(void)
{
	u32 lo, hi, aux = ~0U;

	fault_vec = 0;
	skip_len = 3;
	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "+c"(aux) :: "memory");
	return fault_vec ? ~0ULL : aux;
}

static void guest_main(void)
{
	u64 v, f, before, adj;

	GUEST_SYNC2(rdmsr(MSR_MTRRCAP), wrmsr_safe(MSR_MTRRCAP, 0));
	f = wrmsr_safe(MSR_MTRR_DEF, 0xc06);
	GUEST_SYNC2(f, rdmsr(MSR_MTRR_DEF));
	/* Type 2 is reserved; mask bit 0 is reserved. */
	GUEST_SYNC2(wrmsr_safe(MSR_MTRR_DEF, 0xc02),
		    wrmsr_safe(MSR_MTRR_MASK0, 1));
	f = wrmsr_safe(MSR_MTRR_BASE0, 0x80000006);
	GUEST_SYNC2(f, rdmsr(MSR_MTRR_BASE0));

	v = rdmsr(MSR_HWCR);
	f = wrmsr_safe(MSR_HWCR, 1ULL << 18);
	GUEST_SYNC2(v | (f << 32), rdmsr(MSR_HWCR));
	GUEST_SYNC(wrmsr_safe(MSR_HWCR, 1));

	/* MISC_ENABLE is stored; BTS/PEBS unavailable are read-only. */
	v = rdmsr(MSR_MISC_ENABLE);
	f = wrmsr_safe(MSR_MISC_ENABLE, v | 1);
	GUEST_SYNC2(v | (f << 32), rdmsr(MSR_MISC_ENABLE));
	GUEST_SYNC(wrmsr_safe(MSR_MISC_ENABLE, 1));

	/*
	 * Machine-check banks: MCi_CTL 0 or all ones (bit 10 may be clear:
	 * Linux's K8 workaround); MCi_STATUS only with McStatusWrEn.
	 */
	f = wrmsr_safe(MSR_MC0_CTL, ~0ULL);
	f |= wrmsr_safe(MSR_MC4_CTL, ~BIT_ULL(10)) << 8;
	f |= wrmsr_safe(MSR_MC0_CTL + 4, 5) << 16;
	f |= wrmsr_safe(MSR_MC0_STATUS, 0x1234) << 24;	/* HWCR bit 18 is set */
	wrmsr_safe(MSR_HWCR, 0);
	f |= wrmsr_safe(MSR_MC0_STATUS, 0x5678) << 32;
	GUEST_SYNC2(f, rdmsr(MSR_MCG_CAP));

	/* SYSCFG reads 0 (Linux's MTRR code reads it on AMD); no writes. */
	f = rdmsr_safe(MSR_SYSCFG, &v);
	GUEST_SYNC2(f | wrmsr_safe(MSR_SYSCFG, 0) << 8, v);

	/* TSC_ADJUST moves the TSC by the change. */
	v = rdmsr(MSR_TSC_ADJUST);
	before = rdtsc();
	f = wrmsr_safe(MSR_TSC_ADJUST, 1ULL << 40);
	GUEST_SYNC2(v | f, rdtsc() - before);
	/* A TSC write shows in TSC_ADJUST: by new TSC - TSC before it. */
	before = rdtsc();
	wrmsr_safe(MSR_TSC, 1ULL << 50);
	adj = rdmsr(MSR_TSC_ADJUST);
	GUEST_SYNC2(adj, (1ULL << 40) + (1ULL << 50) - before);

	/* TSC_AUX: set by userspace, then by the guest (AMD: 32 bits). */
	GUEST_SYNC(rdtscp_aux());
	f = wrmsr_safe(MSR_TSC_AUX, 0xffffffff00000abcULL);
	GUEST_SYNC2(f, rdtscp_aux());
	GUEST_SYNC(rdmsr(MSR_TSC_AUX));
	GUEST_DONE();
}

/* Without MTRR, TSC_ADJUST and RDTSCP in CPUID. */
static void guest_bare(void)
{
	u64 v, a, b, c, d;

	a = rdmsr_safe(MSR_MTRRCAP, &v);
	b = rdmsr_safe(MSR_TSC_ADJUST, &v);
	c = rdmsr_safe(MSR_TSC_AUX, &v);
	rdtscp_aux();
	d = fault_vec;
	kl_ucall(KL_UCALL_SYNC, a, b, c, d);
	GUEST_DONE();
}

static u64 sync2(struct kl_vcpu *vcpu, u64 *b)
{
	struct kl_ucall uc;

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "sync");
	*b = uc.args[1];
	return uc.args[0];
}

static int msr_io(struct kl_vcpu *vcpu, unsigned long cmd, u32 idx, u64 *v)
{
	struct {
		struct keel_msrs h;
		struct keel_msr_entry e[1];
	} m = { .h.nmsrs = 1, .e[0] = { .index = idx, .data = *v } };
	int r = kl_ioctlp(vcpu->fd, cmd, &m);

	*v = m.e[0].data;
	return r;
}

/* The host's RDTSCP gives this CPU's number again. */
static bool host_tsc_aux_ok(void)
{
	u32 lo, hi, aux;
	int i, cpu;

	for (i = 0; i < 100; i++) {
		cpu = sched_getcpu();
		asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		if (cpu == sched_getcpu())
			return (aux & 0xfff) == (u32)cpu;
	}
	return false;
}

static void test_main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);
	struct kl_ucall uc;
	bool kvm_hwcr;
	u64 a, b, v;
	int r;

	kl_vm_set_idt_gate(vm, 13, gp_handler);
	kl_vm_set_idt_gate(vm, 6, ud_handler);

	a = sync2(vcpu, &b);
	kl_ok(a == 0x508 && b == 13,
	      "MTRRcap reads 0x%llx (8 variable, fixed, WC); a write #GPs (%llu)",
	      (unsigned long long)a, (unsigned long long)b);
	v = 0x508;
	r = msr_io(vcpu, KEEL_SET_MSRS, MSR_MTRRCAP, &v);
	kl_ok(r == 0, "userspace cannot write MTRRcap either: %d", r);
	a = sync2(vcpu, &b);
	kl_ok(!a && b == 0xc06, "MTRRdefType 0xc06 written and read back (0x%llx)",
	      (unsigned long long)b);
	a = sync2(vcpu, &b);
	kl_ok(a == 13 && b == 13, "reserved type 2, reserved mask bit: #GP");
	a = sync2(vcpu, &b);
	v = 0;
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_MTRR_BASE0, &v);
	kl_ok(!a && b == 0x80000006 && r == 1 && v == b,
	      "PhysBase0 0x%llx, GET_MSRS 0x%llx", (unsigned long long)b,
	      (unsigned long long)v);

	a = sync2(vcpu, &b);
	kl_ok(a == 0 && b == 1ULL << 18,
	      "HWCR reads 0, takes McStatusWrEn (0x%llx)", (unsigned long long)b);
	a = sync2(vcpu, &b);
	kl_ok(a == 13, "HWCR bit 0: #GP (%llu)", (unsigned long long)a);

	a = sync2(vcpu, &b);
	kl_ok(a == 0x1800 && b == 0x1801,
	      "MISC_ENABLE reads 0x%llx (BTS, PEBS unavailable), takes fast strings (0x%llx)",
	      (unsigned long long)a, (unsigned long long)b);
	a = sync2(vcpu, &b);
	kl_ok(a == 13, "MISC_ENABLE: clearing BTS/PEBS unavailable #GPs (%llu)",
	      (unsigned long long)a);
	v = 1;
	r = msr_io(vcpu, KEEL_SET_MSRS, MSR_MISC_ENABLE, &v);
	v = 0;
	r += msr_io(vcpu, KEEL_GET_MSRS, MSR_MISC_ENABLE, &v);
	kl_ok(r == 2 && v == 1, "userspace sets MISC_ENABLE to QEMU's reset value 1 (%#llx)",
	      (unsigned long long)v);
	a = sync2(vcpu, &b);
	/* KVM 6.1 ignores a guest's HWCR write of 0: McStatusWrEn stays. */
	kvm_hwcr = kl_is_kvm() && !(a >> 32);
	if (kvm_hwcr)
		kl_diag("KVM kept HWCR.McStatusWrEn after the guest wrote 0");
	kl_ok(a == (13ULL << 16 | (kvm_hwcr ? 0 : 13ULL << 32)),
	      "MCi_CTL takes 0/all ones (bit 10 aside), MCi_STATUS needs McStatusWrEn (%#llx)",
	      (unsigned long long)a);
	if (kl_is_kvm())
		kl_skip("MCG_CAP %#llx: KVM's differs until KVM_X86_SETUP_MCE",
			(unsigned long long)b);
	else
		kl_ok(b == 0x10a, "MCG_CAP: 10 banks and MCG_CTL, as QEMU's model (%#llx)",
		      (unsigned long long)b);
	{
		struct {
			struct keel_msrs h;
			struct keel_msr_entry e[3];
		} m = { .h.nmsrs = 3, .e = { { MSR_MC0_CTL }, { MSR_MC0_STATUS },
					     { MSR_MC4_CTL } } };

		r = kl_ioctlp(vcpu->fd, KEEL_GET_MSRS, &m);
		kl_ok(r == 3 && m.e[0].data == ~0ULL &&
		      m.e[1].data == (kvm_hwcr ? 0x5678 : 0x1234) &&
		      m.e[2].data == ~BIT_ULL(10),
		      "GET_MSRS reads the banks the guest wrote");
	}
	a = sync2(vcpu, &b);
	kl_ok(a == 13 << 8 && b == 0, "SYSCFG reads 0, a write #GPs (%#llx, %#llx)",
	      (unsigned long long)a, (unsigned long long)b);
	if (kl_is_kvm()) {
		kl_skip("MISC_ENABLE bit 1 from userspace: KVM stores any value");
	} else {
		v = 3;
		r = msr_io(vcpu, KEEL_SET_MSRS, MSR_MISC_ENABLE, &v);
		kl_ok(r == 0, "SET_MSRS of MISC_ENABLE with reserved bit 1 stops there: %d",
		      r);
	}

	a = sync2(vcpu, &b);
	kl_ok(a == 0 && b >= 1ULL << 40 && b < (1ULL << 40) + (1ULL << 36),
	      "TSC_ADJUST 0, then +2^40 moves the TSC by %#llx",
	      (unsigned long long)b);
	a = sync2(vcpu, &b);
	kl_ok(a <= b && b - a < 1ULL << 36,
	      "a TSC write changes TSC_ADJUST by its jump (%#llx, %#llx)",
	      (unsigned long long)a, (unsigned long long)b);
	v = 0;
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC_ADJUST, &v);
	kl_ok(r == 1 && v == a, "GET_MSRS reads TSC_ADJUST %#llx",
	      (unsigned long long)v);
	/* A restore of TSC_ADJUST does not move the TSC. */
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC, &a);
	v = 12345;
	r += msr_io(vcpu, KEEL_SET_MSRS, MSR_TSC_ADJUST, &v);
	r += msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC, &b);
	kl_ok(r == 3 && b - a < 1ULL << 36,
	      "SET_MSRS of TSC_ADJUST leaves the TSC alone (moved %#llx)",
	      (unsigned long long)(b - a));

	v = 0x1234;
	r = msr_io(vcpu, KEEL_SET_MSRS, MSR_TSC_AUX, &v);
	a = sync2(vcpu, &b);
	kl_ok(r == 1 && a == 0x1234, "RDTSCP returns the TSC_AUX userspace set (0x%llx)",
	      (unsigned long long)a);
	kl_ok(host_tsc_aux_ok(), "host RDTSCP returns this CPU's number again");
	a = sync2(vcpu, &b);
	kl_ok(!a && b == 0xabc, "the guest's TSC_AUX write keeps 32 bits (0x%llx)",
	      (unsigned long long)b);
	a = sync2(vcpu, &b);
	v = 0;
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC_AUX, &v);
	kl_ok(a == 0xabc && r == 1 && v == 0xabc, "RDMSR and GET_MSRS agree");
	if (kl_is_kvm()) {
		kl_skip("TSC_AUX bits 63:32 from userspace: KVM drops them");
	} else {
		v = 1ULL << 32;
		r = msr_io(vcpu, KEEL_SET_MSRS, MSR_TSC_AUX, &v);
		kl_ok(r == 0, "SET_MSRS of TSC_AUX with bit 32 stops there: %d", r);
	}
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "guest done");
	kl_ok(host_tsc_aux_ok(), "after the guest: host TSC_AUX intact");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void clear_bit_in(struct kl_cpuid *c, u32 fn, int reg, u32 bit)
{
	u32 i;

	for (i = 0; i < c->h.nent; i++) {
		if (c->e[i].function != fn)
			continue;
		if (reg == 1)
			c->e[i].ebx &= ~bit;
		else
			c->e[i].edx &= ~bit;
	}
}

static void test_bare(void)
{
	struct kl_cpuid cpuid;
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_bare, 1,
					     &vcpu);
	struct kl_ucall uc;
	u64 v;
	int r;

	kl_vm_set_idt_gate(vm, 13, gp_handler);
	kl_vm_set_idt_gate(vm, 6, ud_handler);
	kl_get_supported_cpuid(vm, &cpuid);
	clear_bit_in(&cpuid, 1, 3, BIT(12));			/* MTRR */
	clear_bit_in(&cpuid, 7, 1, BIT(1));			/* TSC_ADJUST */
	clear_bit_in(&cpuid, 0x80000001, 3, BIT(27));		/* RDTSCP */
	r = kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, &cpuid);
	KL_REQUIRE(!r, "SET_CPUID2: %s", kl_errstr(r));
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "sync");
	kl_ok(uc.args[2] == 13, "without RDTSCP in CPUID: TSC_AUX #GP (%llu)",
	      (unsigned long long)uc.args[2]);
	if (kl_is_kvm())
		kl_skip("MTRRcap, TSC_ADJUST without CPUID: KVM 6.1 lets the guest read them");
	else
		kl_ok(uc.args[0] == 13 && uc.args[1] == 13,
		      "without MTRR, TSC_ADJUST in CPUID: their MSRs #GP (%llu %llu)",
		      (unsigned long long)uc.args[0],
		      (unsigned long long)uc.args[1]);
	/* Observed: QEMU 7.2's emulated SVM never intercepts RDTSCP. */
	if (kl_host_is_qemu_tcg() && uc.args[3] != 6)
		kl_skip("RDTSCP #UD: QEMU's emulated SVM has no RDTSCP intercept");
	else
		kl_ok(uc.args[3] == 6, "and RDTSCP #UD (%llu)",
		      (unsigned long long)uc.args[3]);
	v = 0;
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_MTRR_DEF, &v);
	r += msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC_ADJUST, &v);
	r += msr_io(vcpu, KEEL_GET_MSRS, MSR_TSC_AUX, &v);
	kl_ok(r == 3, "userspace still reads them for save/restore (%d of 3)",
	      r);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

volatile u64 spec_val;	/* what guest_spec() writes to SPEC_CTRL */

static void guest_spec(void)
{
	u64 v = 0, f;

	f = rdmsr_safe(MSR_SPEC_CTRL, &v);
	GUEST_SYNC2(f, v);
	f = wrmsr_safe(MSR_SPEC_CTRL, spec_val);
	f |= rdmsr_safe(MSR_SPEC_CTRL, &v) << 8;
	GUEST_SYNC2(f, v);
	f = wrmsr_safe(MSR_SPEC_CTRL, BIT_ULL(63) | spec_val);
	f |= rdmsr_safe(MSR_SPEC_CTRL, &v) << 8;
	GUEST_SYNC2(f, v);
	f = wrmsr_safe(MSR_PRED_CMD, 1);
	f |= wrmsr_safe(MSR_PRED_CMD, 2) << 8;
	f |= rdmsr_safe(MSR_PRED_CMD, &v) << 16;
	GUEST_SYNC(f);
	GUEST_DONE();
}

static bool index_list_has(int sys, u32 idx)
{
	struct {
		struct keel_msr_list h;
		u32 i[512];
	} l = { .h.nmsrs = 512 };
	u32 i;

	KL_REQUIRE(!kl_ioctlp(sys, KEEL_GET_MSR_INDEX_LIST, &l), "index list");
	for (i = 0; i < l.h.nmsrs; i++)
		if (l.i[i] == idx)
			return true;
	return false;
}

static u32 *e8_ebx(struct kl_cpuid *c)
{
	u32 i;

	for (i = 0; i < c->h.nent; i++)
		if (c->e[i].function == 0x80000008)
			return &c->e[i].ebx;
	return NULL;
}

/* A guest with @ebx in 0x80000008 runs guest_spec(), writing @val. */
static struct kl_vcpu *spec_vcpu(struct kl_vm **vm, u32 ebx, u64 val)
{
	struct kl_cpuid cpuid;
	struct kl_vcpu *vcpu;
	int r;

	*vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_spec, 1, &vcpu);
	kl_vm_set_idt_gate(*vm, 13, gp_handler);
	kl_get_supported_cpuid(*vm, &cpuid);
	KL_REQUIRE(e8_ebx(&cpuid), "no CPUID 0x80000008");
	*e8_ebx(&cpuid) = (*e8_ebx(&cpuid) & ~E8_SPEC) | ebx;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, &cpuid);
	KL_REQUIRE(!r, "SET_CPUID2: %s", kl_errstr(r));
	*(volatile u64 *)kl_gpa_to_hva(*vm, (u64)&spec_val) = val;
	return vcpu;
}

/* The guest with every bit keel offers: it reads back what it wrote. */
static void spec_ctrl_offered(u32 offered, u64 bits)
{
	struct kl_vm *vm;
	struct kl_vcpu *vcpu = spec_vcpu(&vm, offered, bits);
	u64 f, v, got = 0;
	int r;

	f = sync2(vcpu, &v);
	kl_ok(!f && !v, "SPEC_CTRL starts at 0 (#%llu, %#llx)",
	      (unsigned long long)f, (unsigned long long)v);
	f = sync2(vcpu, &v);
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_SPEC_CTRL, &got);
	kl_ok(!f && v == bits && r == 1 && got == bits,
	      "the guest wrote %#llx: reads %#llx, GET_MSRS %#llx (%#llx)",
	      (unsigned long long)bits, (unsigned long long)v,
	      (unsigned long long)got, (unsigned long long)f);
	f = sync2(vcpu, &v);
	kl_ok(f == 13 && v == bits,
	      "bit 63: #GP, value kept (%#llx, %#llx)",
	      (unsigned long long)f, (unsigned long long)v);
	got = 0;
	r = msr_io(vcpu, KEEL_SET_MSRS, MSR_SPEC_CTRL, &got);
	kl_ok(r == 1, "SET_MSRS SPEC_CTRL 0: %d", r);
	f = sync2(vcpu, &v);
	if (offered & E8_IBPB)
		kl_ok(f == 0x0d0d00,
		      "PRED_CMD: IBPB taken, bit 1 #GP, reads #GP (%#llx)",
		      (unsigned long long)f);
	else
		kl_ok(f == 0x0d0d0d, "PRED_CMD without IBPB: #GP (%#llx)",
		      (unsigned long long)f);
	kl_ok(kl_run_ucall(vcpu, &(struct kl_ucall){}) == KL_UCALL_DONE,
	      "the guest finished");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

/*
 * kvm_amd finds the MSR by RDMSR/WRMSR on the host, which QEMU's TCG
 * accepts without the CPUID bits; keel goes by the CPUID Linux uses.
 */
static bool peer_probed_spec_ctrl(void)
{
	return kl_is_kvm() && kl_host_is_qemu_tcg();
}

/*
 * A host without SPEC_CTRL (QEMU's TCG offers none in system mode): a
 * guest whose CPUID claims IBRS and IBPB still gets #GP, as on KVM 7.2
 * (6.1 lets it read and write SPEC_CTRL where the host's RDMSR works).
 */
static void spec_ctrl_absent(void)
{
	struct kl_vm *vm;
	struct kl_vcpu *vcpu = spec_vcpu(&vm, E8_IBRS | E8_IBPB, 0);
	u64 a, f, v, zero = 0;
	int r;

	a = sync2(vcpu, &v);
	f = sync2(vcpu, &v);
	if (peer_probed_spec_ctrl() && !a && !f)
		kl_skip("host without SPEC_CTRL, IBRS in CPUID: KVM 6.1 lets the guest use it");
	else
		kl_ok(a == 13 && f == 0x0d0d,
		      "host without SPEC_CTRL, IBRS in CPUID: read and write #GP (%#llx %#llx)",
		      (unsigned long long)a, (unsigned long long)f);
	sync2(vcpu, &v);
	f = sync2(vcpu, &v);
	kl_ok(f == 0x0d0d0d, "PRED_CMD without host IBPB: #GP (%#llx)",
	      (unsigned long long)f);
	r = msr_io(vcpu, KEEL_SET_MSRS, MSR_SPEC_CTRL, &zero);
	if (peer_probed_spec_ctrl() && r == 1)
		kl_skip("SET_MSRS SPEC_CTRL 0: kvm_amd takes it (QEMU's TCG has the MSR)");
	else
		kl_ok(r == 0, "SET_MSRS SPEC_CTRL 0 on such a host: %d entries",
		      r);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

static void test_spec_ctrl(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_cpuid cpuid;
	u32 a, b, c, d, offered;
	struct kl_vcpu *vcpu;
	u64 bits = 0, v = 1;
	bool listed;
	int r;

	kl_get_supported_cpuid(vm, &cpuid);
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0x80000008), "c"(0));
	offered = e8_ebx(&cpuid) ? *e8_ebx(&cpuid) & E8_SPEC : 0;
	kl_ok(!(offered & ~b), "0x80000008 EBX speculation bits %#x, the host has %#x",
	      offered, (u32)(b & E8_SPEC));
	bits |= offered & E8_IBRS ? 1 : 0;
	bits |= offered & E8_STIBP ? 2 : 0;
	bits |= offered & E8_SSBD ? 4 : 0;
	listed = index_list_has(vm->sys_fd, MSR_SPEC_CTRL);
	if (peer_probed_spec_ctrl() && listed && !bits)
		kl_skip("SPEC_CTRL listed without CPUID bits: kvm_amd probed QEMU's TCG");
	else
		kl_ok(listed == !!bits,
		      "SPEC_CTRL in the MSR index list: %d (bits %#llx)",
		      listed, (unsigned long long)bits);
	vcpu = kl_vcpu_add(vm, 0);
	r = msr_io(vcpu, KEEL_GET_MSRS, MSR_SPEC_CTRL, &v);
	kl_ok(r == 1 && v == 0, "GET_MSRS SPEC_CTRL on a new vCPU: %d, %#llx",
	      r, (unsigned long long)v);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	if (bits)
		spec_ctrl_offered(offered, bits);
	else
		spec_ctrl_absent();
}

int main(void)
{
	test_main();
	test_bare();
	test_spec_ctrl();
	return kl_finish();
}
