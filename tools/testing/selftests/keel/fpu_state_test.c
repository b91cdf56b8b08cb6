// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's FPU and vector state from userspace: with the guest stopped
 * after loading its registers, GET_FPU, GET_XSAVE and GET_XCRS show them;
 * values written with SET_FPU and SET_XSAVE are what the guest then reads;
 * GET, SET, GET is an identity for all three; malformed input is refused
 * with the state unchanged.
 */
#include <errno.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"
#include "guest_vec.h"

#define SAVE		((u8 *)KL_GPA_SCRATCH)
#define XS_BV		512
#define XS_XCOMP	520
#define FX_MXCSR	24
#define FX_XMM		160

static u8 pattern[16 * 32] __aligned(32);

static KL_NO_VECTOR void guest(u64 use_avx)
{
	bool avx = use_avx && guest_enable_avx();

	if (avx)
		load_ymm(pattern);
	else
		load_xmm(pattern);
	GUEST_SYNC(avx);		/* the host looks, then rewrites */
	if (avx)
		save_ymm(SAVE);
	else
		save_xmm(SAVE);
	GUEST_SYNC(avx);
	GUEST_DONE();
}

static u32 ymm_offset(void)
{
	u32 a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0xd), "c"(2));
	return b;
}

static int xsave_get(struct kl_vcpu *v, struct keel_xsave *x)
{
	return kl_ioctlp(v->fd, KEEL_GET_XSAVE, x);
}

static int xsave_set(struct kl_vcpu *v, struct keel_xsave *x)
{
	return kl_ioctlp(v->fd, KEEL_SET_XSAVE, x);
}

/* Fill the pattern: byte i of register r (32 bytes each) is r * 32 + i + k. */
static void make_pattern(u8 *p, int k)
{
	int i;

	for (i = 0; i < (int)sizeof(pattern); i++)
		p[i] = i * 7 + k;
}

static void bad_input(struct kl_vcpu *vcpu, bool avx)
{
	struct keel_xsave x, before, after;
	struct keel_fpu f, fb, fa;
	struct keel_xcrs c, cb, ca;
	int r, i, wrong = 0;

	xsave_get(vcpu, &before);
	x = before;
	*(u64 *)((u8 *)x.region + XS_BV) |= 1ULL << 62;
	r = xsave_set(vcpu, &x);
	kl_ok(r == -EINVAL, "SET_XSAVE with XSTATE_BV bit 62: %s", kl_errstr(r));
	x = before;
	*(u64 *)((u8 *)x.region + XS_XCOMP) = 1ULL << 63;
	r = xsave_set(vcpu, &x);
	kl_ok(r == -EINVAL, "SET_XSAVE in compacted format: %s", kl_errstr(r));
	for (i = 528; i < 576; i += 8) {
		x = before;
		((u8 *)x.region)[i] = 1;
		if (xsave_set(vcpu, &x) != -EINVAL)
			wrong++;
	}
	kl_ok(!wrong, "SET_XSAVE with each reserved header qword set: -EINVAL");
	x = before;
	*(u32 *)((u8 *)x.region + FX_MXCSR) |= 1U << 31;
	r = xsave_set(vcpu, &x);
	kl_ok(r == -EINVAL, "SET_XSAVE with a reserved MXCSR bit: %s",
	      kl_errstr(r));
	xsave_get(vcpu, &after);
	kl_ok(!memcmp(&before, &after, sizeof(after)),
	      "failed SET_XSAVEs changed nothing");

	kl_ioctlp(vcpu->fd, KEEL_GET_FPU, &fb);
	if (kl_is_kvm()) {
		kl_skip("SET_FPU padding and MXCSR: KVM takes them");
	} else {
		f = fb;
		f.pad1 = 1;
		r = kl_ioctlp(vcpu->fd, KEEL_SET_FPU, &f);
		wrong = r != -EINVAL;
		f = fb;
		f.pad2 = 1U << 31;
		r = kl_ioctlp(vcpu->fd, KEEL_SET_FPU, &f);
		wrong += r != -EINVAL;
		f = fb;
		f.mxcsr |= 1U << 31;
		r = kl_ioctlp(vcpu->fd, KEEL_SET_FPU, &f);
		wrong += r != -EINVAL;
		kl_ioctlp(vcpu->fd, KEEL_GET_FPU, &fa);
		kl_ok(!wrong && !memcmp(&fa, &fb, sizeof(fa)),
		      "SET_FPU with padding or bad MXCSR: -EINVAL, no change");
	}

	kl_ioctlp(vcpu->fd, KEEL_GET_XCRS, &cb);
	c = cb;
	c.nr_xcrs = KEEL_MAX_XCRS + 1;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c);
	kl_ok(r == -EINVAL, "SET_XCRS with 17 XCRs: %s", kl_errstr(r));
	c = cb;
	c.flags = 1;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c);
	kl_ok(r == -EINVAL, "SET_XCRS with flags: %s", kl_errstr(r));
	c = cb;
	c.xcrs[0].value = 2;	/* SSE without x87 */
	r = kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c);
	kl_ok(r == -EINVAL, "SET_XCRS with XCR0 lacking x87: %s", kl_errstr(r));
	if (avx) {
		c = cb;
		c.xcrs[0].value = 5;	/* AVX without SSE */
		r = kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c);
		kl_ok(r == -EINVAL, "SET_XCRS with AVX but not SSE: %s",
		      kl_errstr(r));
	}
	if (kl_is_kvm()) {
		kl_skip("SET_XCRS reserved fields and other XCRs: KVM ignores them");
	} else {
		wrong = 0;
		c = cb;
		c.xcrs[0].reserved = 1;
		wrong += kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c) != -EINVAL;
		c = cb;
		c.padding[15] = 1;
		wrong += kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c) != -EINVAL;
		c = cb;
		c.nr_xcrs = 2;
		c.xcrs[1].xcr = 1;
		c.xcrs[1].value = 1;
		wrong += kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c) != -EINVAL;
		c = cb;
		c.xcrs[3].value = 1;	/* beyond nr_xcrs */
		wrong += kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c) != -EINVAL;
		/* reserved fields, padding, XCR1, a slot past nr_xcrs */
		kl_ok(!wrong, "SET_XCRS with reserved input: -EINVAL");
	}
	kl_ioctlp(vcpu->fd, KEEL_GET_XCRS, &ca);
	kl_ok(!memcmp(&ca, &cb, sizeof(ca)), "failed SET_XCRS changed nothing");
}

static void guest_sse(void)
{
	static const u8 v[16] __aligned(16) = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	asm volatile("movaps %0, %%xmm3" :: "m"(v));
	GUEST_SYNC(0);
	GUEST_DONE();
}

/*
 * A guest whose CPUID has no XSAVE (QEMU's default CPU model): GET_XSAVE
 * reports x87 and SSE only, whatever the CPU tracks, and goes back
 * through SET_XSAVE. QEMU puts the state back after every
 * cpu_synchronize_state().
 */
static void test_no_xsave_guest(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_sse, 1,
					     &vcpu);
	struct keel_xsave x, x2;
	struct kl_cpuid cpuid;
	struct kl_ucall uc;
	u64 bv;
	u32 i, n = 0;
	int r;

	kl_get_supported_cpuid(vm, &cpuid);
	for (i = 0; i < cpuid.h.nent; i++) {
		struct keel_cpuid_entry2 *e = &cpuid.e[i];

		if (e->function == 0xd)
			continue;
		if (e->function == 1)
			e->ecx &= ~(BIT(26) | BIT(27) | BIT(28));
		if (e->function == 7 && e->index == 0)
			e->ebx &= ~BIT(5);	/* AVX2 */
		cpuid.e[n++] = *e;
	}
	cpuid.h.nent = n;
	KL_REQUIRE(!kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, &cpuid), "SET_CPUID2");
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "sync");
	r = xsave_get(vcpu, &x);
	memcpy(&bv, (u8 *)x.region + 512, sizeof(bv));
	kl_ok(!r && !(bv & ~3ULL),
	      "no XSAVE in CPUID: GET_XSAVE's XSTATE_BV %#llx is x87/SSE only",
	      (unsigned long long)bv);
	r = xsave_set(vcpu, &x);
	r |= xsave_get(vcpu, &x2);
	kl_ok(!r && !memcmp(&x, &x2, sizeof(x)),
	      "no XSAVE in CPUID: GET, SET, GET is an identity (%s)",
	      kl_errstr(r));
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest goes on");
	kl_vm_free(vm);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest, 1, &vcpu);
	static u8 want[sizeof(pattern)];
	struct keel_xsave x, x2;
	struct keel_fpu f, f2;
	struct keel_xcrs c, c2;
	struct kl_ucall uc;
	u32 ymm = ymm_offset();
	bool avx;
	int i, r, bad = 0;

	kl_ok(kl_ioctl(vm->fd, KEEL_CHECK_EXTENSION, KEEL_CAP_XSAVE2) >=
	      (int)sizeof(struct keel_xsave), "KEEL_CAP_XSAVE2 is at least %zu",
	      sizeof(struct keel_xsave));
	make_pattern(pattern, 1);
	memcpy(kl_gpa_to_hva(vm, (unsigned long)pattern), pattern,
	       sizeof(pattern));
	/* kvm_amd on QEMU's SVM loses the guest's XCR0 across exits. */
	kl_vcpu_setup_long_mode(vcpu, guest, !kl_is_kvm(), 0);
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "first sync");
	avx = uc.args[0];
	kl_diag("AVX %s", avx ? "on" : "off");

	/* The host sees what the guest loaded. */
	r = kl_ioctlp(vcpu->fd, KEEL_GET_FPU, &f);
	for (i = 0; i < 16; i++)
		bad += !!memcmp(f.xmm[i], pattern + i * (avx ? 32 : 16), 16);
	kl_ok(!r && !bad, "GET_FPU shows the guest's XMM0-15 (%d wrong)", bad);
	r = xsave_get(vcpu, &x);
	bad = 0;
	for (i = 0; i < 16; i++)
		bad += !!memcmp((u8 *)x.region + FX_XMM + i * 16,
				pattern + i * (avx ? 32 : 16), 16);
	if (avx)
		for (i = 0; i < 16; i++)
			bad += !!memcmp((u8 *)x.region + ymm + i * 16,
					pattern + i * 32 + 16, 16);
	kl_ok(!r && !bad, "GET_XSAVE shows XMM%s (%d wrong)",
	      avx ? " and the YMM upper halves" : "", bad);
	r = kl_ioctlp(vcpu->fd, KEEL_GET_XCRS, &c);
	kl_ok(!r && c.nr_xcrs == 1 && c.xcrs[0].xcr == 0 &&
	      c.xcrs[0].value == (avx ? 7 : 1),
	      "GET_XCRS: XCR0 %#llx", (unsigned long long)c.xcrs[0].value);

	/* GET, SET, GET is an identity for all three. */
	r = kl_ioctlp(vcpu->fd, KEEL_SET_FPU, &f);
	r |= kl_ioctlp(vcpu->fd, KEEL_GET_FPU, &f2);
	kl_ok(!r && !memcmp(&f, &f2, sizeof(f)), "FPU: GET, SET, GET");
	r = xsave_set(vcpu, &x);
	r |= xsave_get(vcpu, &x2);
	kl_ok(!r && !memcmp(&x, &x2, sizeof(x)), "XSAVE: GET, SET, GET");
	r = kl_ioctlp(vcpu->fd, KEEL_SET_XCRS, &c);
	r |= kl_ioctlp(vcpu->fd, KEEL_GET_XCRS, &c2);
	kl_ok(!r && !memcmp(&c, &c2, sizeof(c)), "XCRS: GET, SET, GET");

	bad_input(vcpu, avx);

	/* New values: XMM through SET_FPU, YMM upper halves through SET_XSAVE. */
	make_pattern(want, 77);
	for (i = 0; i < 16; i++)
		memcpy(f.xmm[i], want + i * (avx ? 32 : 16), 16);
	r = kl_ioctlp(vcpu->fd, KEEL_SET_FPU, &f);
	if (avx) {
		xsave_get(vcpu, &x);
		for (i = 0; i < 16; i++)
			memcpy((u8 *)x.region + ymm + i * 16, want + i * 32 + 16, 16);
		r |= xsave_set(vcpu, &x);
	}
	kl_ok(!r, "SET_FPU%s with new values", avx ? " and SET_XSAVE" : "");
	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "second sync");
	kl_ok(!memcmp(kl_gpa_to_hva(vm, KL_GPA_SCRATCH), want,
		      avx ? sizeof(want) : 256),
	      "the guest's registers hold what userspace set");
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finishes");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	test_no_xsave_guest();
	return kl_finish();
}
