// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs from userspace: the index list names every MSR a VMM saves, the
 * guest reads what SET_MSRS wrote and GET_MSRS reads what the guest wrote,
 * GET then SET then GET is an identity on a vCPU stopped mid-run, the
 * feature MSRs answer on the system fd, and bad requests stop where KVM's
 * do or are refused whole where keel is stricter.
 */
#include <errno.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define MAX_MSRS	255

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_IA32_TSC		0x10
#define MSR_IA32_UCODE_REV	0x8b
#define MSR_IA32_MISC_ENABLE	0x1a0

/* AMD implements SYSENTER_ESP/EIP with 32 bits; the rest keep 64. */
static u64 as_read(u32 index, u64 v)
{
	if (index == MSR_IA32_SYSENTER_ESP || index == MSR_IA32_SYSENTER_EIP)
		return (u32)v;
	return v;
}

struct msrs {
	struct keel_msrs h;
	struct keel_msr_entry e[MAX_MSRS];
};

struct msr_list {
	struct keel_msr_list h;
	u32 idx[MAX_MSRS];
};

/* The MSRs the guest and the host exchange, with values to set. */
static const struct { u32 index; u64 value; } vals[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000000ULL },
	{ MSR_CSTAR, 0xffffffff81000040ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0x00007f0000002000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0xffffffff82000000ULL },
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000080ULL },
	{ MSR_IA32_CR_PAT, 0x0007010600070106ULL },
};

static void fill(struct msrs *m, u64 delta)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->h.nmsrs = ARRAY_SIZE(vals);
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++) {
		m->e[i].index = vals[i].index;
		m->e[i].data = vals[i].value + (vals[i].index == MSR_IA32_CR_PAT ?
						0 : delta);
	}
}

static u64 guest_rdmsr(u32 index)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | (u64)hi << 32;
}

static void guest_wrmsr(u32 index, u64 v)
{
	asm volatile("wrmsr" :: "c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* Report every MSR, then write them all shifted by 0x1000, then again. */
static void guest_msrs(void)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		GUEST_SYNC2(vals[i].index, guest_rdmsr(vals[i].index));
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		if (vals[i].index != MSR_IA32_CR_PAT)
			guest_wrmsr(vals[i].index, vals[i].value + 0x1000);
	GUEST_SYNC2(MSR_EFER, guest_rdmsr(MSR_EFER));
	GUEST_SYNC2(MSR_IA32_TSC, guest_rdmsr(MSR_IA32_TSC));
	GUEST_DONE();
}

static int msrs_ioctl(int fd, unsigned long cmd, struct msrs *m)
{
	return kl_ioctl(fd, cmd, (unsigned long)m);
}

static void index_lists(int sys)
{
	struct msr_list l = { .h.nmsrs = 0 };
	struct msrs m = { 0 };
	int r, n;

	r = kl_ioctlp(sys, KEEL_GET_MSR_INDEX_LIST, &l);
	n = l.h.nmsrs;
	kl_ok(r == -E2BIG && n > 0, "GET_MSR_INDEX_LIST, room for 0: %s, %d",
	      kl_errstr(r), n);
	l.h.nmsrs = MAX_MSRS;
	r = kl_ioctlp(sys, KEEL_GET_MSR_INDEX_LIST, &l);
	kl_ok(!r && (int)l.h.nmsrs == n, "GET_MSR_INDEX_LIST: %d MSRs", n);

	l.h.nmsrs = MAX_MSRS;
	r = kl_ioctlp(sys, KEEL_GET_MSR_FEATURE_INDEX_LIST, &l);
	kl_ok(!r && l.h.nmsrs >= 1,
	      "GET_MSR_FEATURE_INDEX_LIST: %s, %u MSRs", kl_errstr(r),
	      l.h.nmsrs);
	m.h.nmsrs = 2;
	m.e[0].index = MSR_IA32_UCODE_REV;
	m.e[1].index = MSR_LSTAR;	/* not a feature MSR */
	r = msrs_ioctl(sys, KEEL_GET_MSRS, &m);
	if (kl_is_kvm() && r == 2)
		kl_skip("system fd GET_MSRS of LSTAR: KVM since 6.12 reads 0");
	else
		kl_ok(r == 1, "system fd GET_MSRS stops after the feature MSR: %d",
		      r);
	kl_diag("host microcode revision %#llx", (unsigned long long)m.e[0].data);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_msrs, 1,
					     &vcpu);
	struct msr_list list = { .h.nmsrs = MAX_MSRS };
	struct msrs m, all, back;
	struct kl_ucall uc;
	int i, r, wrong = 0;
	u64 tsc_set = 1ULL << 50;

	index_lists(vm->sys_fd);
	KL_REQUIRE(!kl_ioctlp(vm->sys_fd, KEEL_GET_MSR_INDEX_LIST, &list),
		   "index list");

	/* Everything in the list reads back, before the guest runs. */
	memset(&all, 0, sizeof(all));
	all.h.nmsrs = list.h.nmsrs;
	for (i = 0; i < (int)list.h.nmsrs; i++)
		all.e[i].index = list.idx[i];
	r = msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &all);
	if (kl_is_kvm())	/* KVM lists MSRs this CPU model lacks */
		kl_skip("GET_MSRS of the whole index list: %d of %u on KVM", r,
			list.h.nmsrs);
	else
		kl_ok(r == (int)list.h.nmsrs,
		      "GET_MSRS reads every listed MSR (%d of %u)", r,
		      list.h.nmsrs);

	fill(&m, 0);
	r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m);
	kl_ok(r == (int)ARRAY_SIZE(vals), "SET_MSRS of %zu MSRs: %d",
	      ARRAY_SIZE(vals), r);
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++) {
		if (kl_run_ucall(vcpu, &uc) != KL_UCALL_SYNC ||
		    uc.args[0] != vals[i].index ||
		    uc.args[1] != as_read(vals[i].index, vals[i].value)) {
			kl_diag("MSR %#x: guest read %#llx, want %#llx",
				vals[i].index, (unsigned long long)uc.args[1],
				(unsigned long long)as_read(vals[i].index,
							    vals[i].value));
			wrong++;
		}
	}
	/* SYSENTER_ESP/EIP keep the low 32 bits, as on AMD CPUs. */
	kl_ok(!wrong, "the guest reads what SET_MSRS wrote");

	/* Stopped after the guest's writes: the host sees them. */
	r = kl_run_ucall(vcpu, &uc);
	KL_REQUIRE(r == KL_UCALL_SYNC && uc.args[0] == MSR_EFER, "EFER sync");
	kl_ok((uc.args[1] & 0x500) == 0x500,
	      "the guest reads EFER with LME and LMA (%#llx)",
	      (unsigned long long)uc.args[1]);
	fill(&back, 0);
	r = msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &back);
	fill(&m, 0x1000);
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		m.e[i].data = as_read(m.e[i].index, m.e[i].data);
	/*
	 * kvm_amd lets the guest write SYSENTER_ESP/EIP directly, and QEMU's
	 * emulated AMD CPU keeps all 64 bits where real ones keep 32.
	 */
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		if (kl_is_kvm() && back.e[i].data == vals[i].value + 0x1000)
			back.e[i].data = m.e[i].data;
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		if (back.e[i].data != m.e[i].data)
			kl_diag("MSR %#x: GET_MSRS %#llx, the guest wrote %#llx",
				m.e[i].index, (unsigned long long)back.e[i].data,
				(unsigned long long)m.e[i].data);
	kl_ok(r == (int)ARRAY_SIZE(vals) &&
	      !memcmp(back.e, m.e, sizeof(m.e[0]) * ARRAY_SIZE(vals)),
	      "GET_MSRS reads what the guest wrote");

	/* GET, SET, GET of the whole list, mid-run, TSC included. */
	all.h.nmsrs = list.h.nmsrs;
	r = msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &all);
	if (!kl_is_kvm()) {
		back = all;
		for (i = 0; i < (int)all.h.nmsrs; i++)
			if (all.e[i].index == MSR_IA32_TSC)
				all.e[i].data = tsc_set;
		r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &all);
		kl_ok(r == (int)all.h.nmsrs, "SET_MSRS of the whole list: %d", r);
		r = msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &back);
		for (i = 0; i < (int)all.h.nmsrs; i++) {
			bool tsc = all.e[i].index == MSR_IA32_TSC;

			if (tsc ? back.e[i].data - tsc_set > (1ULL << 40) :
			    back.e[i].data != all.e[i].data)
				wrong++;
		}
		kl_ok(r == (int)all.h.nmsrs && !wrong,
		      "GET, SET, GET of every MSR is an identity (TSC moves on)");
	}
	r = kl_run_ucall(vcpu, &uc);
	if (!kl_is_kvm())
		kl_ok(r == KL_UCALL_SYNC && uc.args[1] - tsc_set < (1ULL << 40),
		      "the guest's TSC continues from the value set (%#llx)",
		      (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finishes");

	/* Bad input. */
	fill(&m, 0);
	m.h.nmsrs = 256;
	r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m);
	kl_ok(r == -E2BIG, "SET_MSRS with 256 entries: %s", kl_errstr(r));
	m.h.nmsrs = 3;
	m.e[1].index = 0x4b4b4b4b;	/* no such MSR */
	r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m);
	kl_ok(r == 1, "an unknown MSR stops SET_MSRS after the first entry: %d",
	      r);
	fill(&m, 0);
	m.e[1].data = 0x8000000000000000ULL;	/* non-canonical LSTAR */
	r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m);
	kl_ok(r == 1, "a non-canonical LSTAR stops SET_MSRS there: %d", r);
	if (kl_is_kvm()) {
		kl_skip("reserved fields and pad: KVM ignores them");
	} else {
		int bad = 0;

		fill(&m, 0x2000);
		m.e[5].reserved = 1;
		r = msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m);
		fill(&back, 0);
		msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &back);
		kl_ok(r == -EINVAL && back.e[0].data == vals[0].value,
		      "a reserved field set in entry 5: %s, nothing written",
		      kl_errstr(r));
		for (i = 0; i < 32; i++) {
			fill(&m, 0);
			m.h.pad = 1U << i;
			if (msrs_ioctl(vcpu->fd, KEEL_SET_MSRS, &m) != -EINVAL ||
			    msrs_ioctl(vcpu->fd, KEEL_GET_MSRS, &m) != -EINVAL)
				bad++;
		}
		kl_ok(!bad, "each pad bit: -EINVAL on GET_MSRS and SET_MSRS");
	}
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
