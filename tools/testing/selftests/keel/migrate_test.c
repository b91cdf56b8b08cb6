// SPDX-License-Identifier: GPL-2.0
/*
 * Save everything, create a fresh VM, restore everything, continue: a
 * guest that keeps live state in the x87 stack, all vector registers,
 * general registers, the TSC and MSRs, and takes NMIs, is moved to a new
 * VM at every ucall and whenever a timer interrupts RUN in the middle of
 * its loop. Its final digest must be that of an uninterrupted run, its
 * TSC must never go backwards and every NMI must arrive once. The state
 * moves only through the ioctls, in the order QEMU uses; the guest's
 * memory is copied as a VMM would.
 */
#include <errno.h>
#include <signal.h>
#include <sys/time.h>

#include "keel_util.h"
#include "guest_vec.h"
#include "ucall.h"
#include "vcpu_state.h"

#define MEM		(16ULL << 20)
#define ITERS		200000
#define SYNC_EVERY	4096

#define MSR_STAR	0xc0000081
#define MSR_SFMASK	0xc0000084
#define MSR_KGS_BASE	0xc0000102
#define MSR_TSC_AUX	0xc0000103
#define MSR_PAT		0x277
#define MSR_MTRR_DEF	0x2ff

volatile u64 nmi_count;
extern char nmi_handler[];

asm(".pushsection .text\n"
	"nmi_handler:\n"
	"  incq nmi_count(%rip)\n"
	"  iretq\n"
	".popsection\n");

static u8 vec_init[16 * 32] __aligned(32);
static u8 vec_out[16 * 32] __aligned(32);
static u64 fpu_out[3];

static KL_NO_VECTOR void wrmsr(u32 idx, u64 v)
{
	asm volatile("wrmsr" :: "c"(idx), "a"((u32)v), "d"((u32)(v >> 32)));
}

static KL_NO_VECTOR u64 rdmsr(u32 idx)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
	return lo | ((u64)hi << 32);
}

static KL_NO_VECTOR u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((u64)hi << 32);
}

static KL_NO_VECTOR u64 fnv(u64 h, const u8 *p, int n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* One step on every vector register (all 256 bits with AVX) and x87. */
static KL_NO_VECTOR void step(bool avx)
{
	if (avx)
		asm volatile("vaddpd %%ymm1, %%ymm0, %%ymm0\n\t"
			     "vxorps %%ymm0, %%ymm2, %%ymm2\n\t"
			     "vaddpd %%ymm3, %%ymm2, %%ymm2\n\t"
			     "vxorps %%ymm2, %%ymm4, %%ymm4\n\t"
			     "vaddpd %%ymm5, %%ymm4, %%ymm4\n\t"
			     "vxorps %%ymm4, %%ymm6, %%ymm6\n\t"
			     "vaddpd %%ymm7, %%ymm6, %%ymm6\n\t"
			     "vxorps %%ymm6, %%ymm8, %%ymm8\n\t"
			     "vaddpd %%ymm9, %%ymm8, %%ymm8\n\t"
			     "vxorps %%ymm8, %%ymm10, %%ymm10\n\t"
			     "vaddpd %%ymm11, %%ymm10, %%ymm10\n\t"
			     "vxorps %%ymm10, %%ymm12, %%ymm12\n\t"
			     "vaddpd %%ymm13, %%ymm12, %%ymm12\n\t"
			     "vxorps %%ymm12, %%ymm14, %%ymm14\n\t"
			     "vaddpd %%ymm15, %%ymm14, %%ymm14\n\t"
			     "vxorps %%ymm14, %%ymm1, %%ymm1\n\t"
			     "vxorps %%ymm1, %%ymm3, %%ymm3\n\t"
			     "vxorps %%ymm3, %%ymm5, %%ymm5\n\t"
			     "vxorps %%ymm5, %%ymm7, %%ymm7\n\t"
			     "vxorps %%ymm7, %%ymm9, %%ymm9\n\t"
			     "vxorps %%ymm9, %%ymm11, %%ymm11\n\t"
			     "vxorps %%ymm11, %%ymm13, %%ymm13\n\t"
			     "vxorps %%ymm13, %%ymm15, %%ymm15\n\t"
			     ::: "memory");
	else
		asm volatile("paddq %%xmm1, %%xmm0\n\t"
			     "pxor %%xmm0, %%xmm2\n\t"
			     "paddq %%xmm3, %%xmm2\n\t"
			     "pxor %%xmm2, %%xmm4\n\t"
			     "paddq %%xmm5, %%xmm4\n\t"
			     "pxor %%xmm4, %%xmm6\n\t"
			     "paddq %%xmm7, %%xmm6\n\t"
			     "pxor %%xmm6, %%xmm8\n\t"
			     "paddq %%xmm9, %%xmm8\n\t"
			     "pxor %%xmm8, %%xmm10\n\t"
			     "paddq %%xmm11, %%xmm10\n\t"
			     "pxor %%xmm10, %%xmm12\n\t"
			     "paddq %%xmm13, %%xmm12\n\t"
			     "pxor %%xmm12, %%xmm14\n\t"
			     "paddq %%xmm15, %%xmm14\n\t"
			     "pxor %%xmm14, %%xmm1\n\t"
			     "pshufd $0x39, %%xmm1, %%xmm3\n\t"
			     "pxor %%xmm3, %%xmm5\n\t"
			     "paddq %%xmm5, %%xmm7\n\t"
			     "pxor %%xmm7, %%xmm9\n\t"
			     "paddq %%xmm9, %%xmm11\n\t"
			     "pxor %%xmm11, %%xmm13\n\t"
			     "paddq %%xmm13, %%xmm15\n\t"
			     ::: "memory");
	/* st0 += st1, then rotate st0 and st2 */
	asm volatile("fadd %%st(1), %%st\n\t"
		     "fxch %%st(2)" ::: "memory");
}

static KL_NO_VECTOR void guest_work(u64 use_avx)
{
	bool avx = use_avx && guest_enable_avx();
	u64 acc = 0x123456789abcdefULL, prev = 0, back = 0, tsc, h, i;

	wrmsr(MSR_STAR, 0x0023001000000000ULL);
	wrmsr(MSR_SFMASK, 0x47700);
	wrmsr(MSR_PAT, 0x0007040600070406ULL);
	wrmsr(MSR_MTRR_DEF, 0xc06);
	wrmsr(MSR_TSC_AUX, 0x5a5a);
	if (avx)
		load_ymm(vec_init);
	else
		load_xmm(vec_init);
	asm volatile("fninit; fld1; fldpi; fldl2e" ::: "memory");

	for (i = 0; i < ITERS; i++) {
		step(avx);
		acc = acc * 6364136223846793005ULL + i;
		tsc = rdtsc();
		back += tsc < prev;
		prev = tsc;
		if (!(i % SYNC_EVERY)) {
			wrmsr(MSR_KGS_BASE, 0xffff800000000000ULL + i);
			GUEST_SYNC(i);
		}
	}

	if (avx)
		save_ymm(vec_out);
	else
		save_xmm(vec_out);
	asm volatile("fstpl %0; fstpl %1; fstpl %2"
		     : "=m"(fpu_out[0]), "=m"(fpu_out[1]), "=m"(fpu_out[2]));
	h = fnv(0xcbf29ce484222325ULL, vec_out, avx ? 512 : 256);
	h = fnv(h, (u8 *)fpu_out, sizeof(fpu_out));
	h = fnv(h, (u8 *)&acc, sizeof(acc));
	acc = rdmsr(MSR_KGS_BASE) ^ rdmsr(MSR_STAR) ^ rdmsr(MSR_SFMASK) ^
	      rdmsr(MSR_PAT) ^ rdmsr(MSR_MTRR_DEF) ^ rdmsr(MSR_TSC_AUX);
	h = fnv(h, (u8 *)&acc, sizeof(acc));
	kl_ucall(KL_UCALL_SYNC, ~0ULL, h, back, nmi_count);
	GUEST_DONE();
}

static void set_tsc(struct kl_vcpu *vcpu, u64 tsc)
{
	struct kl_msr_buf m = { .h.nmsrs = 1, .e[0] = { 0x10, 0, tsc } };

	KL_REQUIRE(kl_ioctlp(vcpu->fd, KEEL_SET_MSRS, &m) == 1, "TSC");
}

static int migrations, pending_nmi_moves, intr_moves;

static struct kl_vcpu *migrate(struct kl_vcpu *src, bool complete_io)
{
	migrations++;
	return kl_move_vm(src, MEM, complete_io);
}

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	ticks++;
}

/* Run to the end; returns the final ucall. Migrates if @move. */
static void run_guest(bool move, bool avx, struct kl_ucall *out)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(MEM, guest_work, 1, &vcpu);
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kl_ucall uc;
	int r, syncs = 0;

	kl_vm_set_idt_gate(vm, 2, nmi_handler);
	kl_vcpu_setup_long_mode(vcpu, guest_work, avx, 0);
	if (!move) {
		int listed, n = kl_pick_msrs(vcpu, &listed);

		if (!kl_is_kvm())
			kl_ok(n == listed,
			      "every listed MSR can be saved and restored (%d of %d)",
			      n, listed);
	}
	/*
	 * A guest up for a while: KVM takes a TSC write within a second of
	 * what it expects as a request to synchronize vCPUs and ignores it.
	 */
	set_tsc(vcpu, 1ULL << 44);
	if (move) {
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: RUN stops */
		setitimer(ITIMER_REAL, &it, NULL);
	}
	for (;;) {
		r = kl_vcpu_run(vcpu);
		if (r == -EINTR) {
			if (intr_moves < 10) {
				vcpu = migrate(vcpu, false);
				intr_moves++;
			}
			continue;
		}
		KL_REQUIRE(!r, "RUN: %s", kl_errstr(r));
		KL_REQUIRE(kl_get_ucall(vcpu, &uc) == KL_UCALL_SYNC,
			   "unexpected exit: %s", kl_describe_exit(vcpu));
		if (uc.args[0] == ~0ULL)
			break;
		/* An NMI every fourth stop; sometimes it moves while pending. */
		if (!(syncs % 4)) {
			kl_ioctl(vcpu->fd, KEEL_NMI, 0);
			if (move && !(syncs % 8)) {
				vcpu = migrate(vcpu, true);
				pending_nmi_moves++;
			}
		} else if (move && (syncs % 4) == 2) {
			vcpu = migrate(vcpu, true);
		}
		syncs++;
	}
	if (move) {
		it = (struct itimerval){ 0 };
		setitimer(ITIMER_REAL, &it, NULL);
	}
	*out = uc;
	vm = vcpu->vm;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	bool avx = !kl_is_kvm();
	struct kl_ucall ref, mig;
	int i;

	for (i = 0; i < (int)sizeof(vec_init); i++)
		vec_init[i] = i * 29 + 7;
	/* QEMU's emulated SVM has no XSETBV intercept: KVM loses AVX there. */
	if (!avx)
		kl_diag("KVM on QEMU's emulated SVM: SSE only");

	run_guest(false, avx, &ref);
	kl_ok(!ref.args[2], "reference run: the TSC never went backwards");
	run_guest(true, avx, &mig);
	kl_diag("%d migrations: %d with an NMI pending, %d mid-loop (timer)",
		migrations, pending_nmi_moves, intr_moves);
	kl_ok(migrations > 20 && intr_moves > 0 && pending_nmi_moves > 0,
	      "the guest moved %d times, %d of them mid-loop", migrations,
	      intr_moves);
	kl_ok(mig.args[1] == ref.args[1],
	      "moved guest's digest %#llx, uninterrupted %#llx (%s, x87, GPRs, MSRs)",
	      (unsigned long long)mig.args[1], (unsigned long long)ref.args[1],
	      avx ? "YMM0-15" : "XMM0-15");
	kl_ok(!mig.args[2], "its TSC never went backwards (%llu times)",
	      (unsigned long long)mig.args[2]);
	kl_ok(mig.args[3] == ref.args[3] && ref.args[3] > 0,
	      "every NMI arrived once: %llu, uninterrupted %llu",
	      (unsigned long long)mig.args[3], (unsigned long long)ref.args[3]);
	return kl_finish();
}
