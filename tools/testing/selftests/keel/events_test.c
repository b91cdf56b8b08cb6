// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's events: KEEL_NMI, and KEEL_GET/SET_VCPU_EVENTS for exceptions
 * (with and without payload), interrupts, NMIs and the interrupt shadow.
 * The guest observes what userspace set: its NMI, #PF, #DB and interrupt
 * handlers run with the vector, error code, CR2 and DR6 given, and an NMI
 * marked masked waits for the guest's IRET. At every stop, GET then SET
 * then GET is an identity. Bad input is refused and changes nothing.
 */
#include <errno.h>

#include "keel_util.h"
#include "ucall.h"

#define SPIN	100000000ULL	/* waiting for what must come */
#define SHORT	5000000ULL	/* for what must not */

volatile u64 nmi_count, pf_count, pf_cr2, pf_err, db_count, db_dr6;
extern char nmi_handler[], pf_handler[], db_handler[];

asm(".pushsection .text\n"
	"nmi_handler:\n"
	"  incq nmi_count(%rip)\n"
	"  iretq\n"
	"pf_handler:\n"
	"  popq pf_err(%rip)\n"
	"  pushq %rax\n"
	"  movq %cr2, %rax\n"
	"  movq %rax, pf_cr2(%rip)\n"
	"  popq %rax\n"
	"  incq pf_count(%rip)\n"
	"  iretq\n"
	"db_handler:\n"
	"  pushq %rax\n"
	"  movq %dr6, %rax\n"
	"  movq %rax, db_dr6(%rip)\n"
	"  movq $0xffff0ff0, %rax\n"
	"  movq %rax, %dr6\n"
	"  popq %rax\n"
	"  incq db_count(%rip)\n"
	"  iretq\n"
	".popsection\n");

/* Up to @limit iterations: long enough for a few host timer ticks. */
static void wait_nmis(u64 n, u64 limit)
{
	u64 i;

	for (i = 0; i < limit && nmi_count < n; i++)
		asm volatile("pause");
}

/* An IRET to the next instruction: ends the "NMI handler" it sits in. */
static void iret_to_self(void)
{
	asm volatile("movq %%rsp, %%rax\n\t"
		     "pushq $0x10\n\t"
		     "pushq %%rax\n\t"
		     "pushfq\n\t"
		     "pushq $0x8\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1:" ::: "rax", "memory");
}

static void guest_main(void)
{
	GUEST_SYNC(1);
	wait_nmis(1, SPIN);
	GUEST_SYNC2(2, nmi_count);
	wait_nmis(3, SPIN);
	GUEST_SYNC2(3, nmi_count);
	/* Masked and pending: exits alone must not let the NMI in. */
	wait_nmis(4, SHORT);
	GUEST_SYNC2(4, nmi_count);
	GUEST_SYNC2(5, nmi_count);
	iret_to_self();
	wait_nmis(4, SPIN);
	GUEST_SYNC2(6, nmi_count);
	GUEST_SYNC(7);
	GUEST_SYNC2(kl_irq_count, kl_irq_last);
	GUEST_SYNC(8);
	kl_ucall(KL_UCALL_SYNC, pf_count, pf_cr2, pf_err, 0);
	GUEST_SYNC(9);
	GUEST_SYNC2(db_count, db_dr6);
	kl_guest_hlt();		/* RIP is past it at the exit, on KVM too */
	GUEST_DONE();
}

static void get_events(struct kl_vcpu *vcpu, struct keel_vcpu_events *e)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_GET_VCPU_EVENTS, e);

	KL_REQUIRE(!r, "GET_VCPU_EVENTS: %s", kl_errstr(r));
}

static int set_events(struct kl_vcpu *vcpu, const struct keel_vcpu_events *e)
{
	return kl_ioctlp(vcpu->fd, KEEL_SET_VCPU_EVENTS, e);
}

/* GET, SET, GET on a vCPU stopped in the middle of the guest. */
static void roundtrip(struct kl_vcpu *vcpu, const char *when)
{
	int r;
	bool same = kl_state_roundtrip(vcpu, KEEL_GET_VCPU_EVENTS, KEEL_SET_VCPU_EVENTS,
				       sizeof(struct keel_vcpu_events), &r);

	kl_ok(same, "%s: GET, SET (%s), GET of the events is an identity",
	      when, kl_errstr(r));
}

static u64 sync_arg(struct kl_vcpu *vcpu, u64 tag, int n)
{
	struct kl_ucall uc;

	KL_REQUIRE(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC, "sync");
	if (tag)
		KL_REQUIRE(uc.args[0] == tag, "sync %llu, got %llu",
			   (unsigned long long)tag,
			   (unsigned long long)uc.args[0]);
	return uc.args[n];
}

static void test_nmis(struct kl_vcpu *vcpu)
{
	struct keel_vcpu_events e;
	u64 n;
	int r;

	sync_arg(vcpu, 1, 0);
	get_events(vcpu, &e);
	kl_ok(e.flags == (KEEL_VCPUEVENT_VALID_NMI_PENDING |
			  KEEL_VCPUEVENT_VALID_SHADOW | KEEL_VCPUEVENT_VALID_SMM) &&
	      !e.nmi.pending && !e.nmi.masked && !e.nmi.injected &&
	      !e.exception.injected && !e.interrupt.injected,
	      "fresh events: flags 0x%x, nothing pending or masked", e.flags);
	r = kl_ioctl(vcpu->fd, KEEL_NMI, 0);
	get_events(vcpu, &e);
	kl_ok(!r && e.nmi.pending == 1, "KEEL_NMI (%s): nmi.pending %u",
	      kl_errstr(r), e.nmi.pending);
	roundtrip(vcpu, "NMI pending");
	n = sync_arg(vcpu, 2, 1);
	kl_ok(n == 1, "the guest's NMI handler ran once (%llu)",
	      (unsigned long long)n);
	get_events(vcpu, &e);
	kl_ok(!e.nmi.pending && !e.nmi.masked,
	      "after its IRET: nothing pending (%u), unmasked (%u)",
	      e.nmi.pending, e.nmi.masked);

	/* One NMI is handled while one more waits; a third collapses. */
	kl_ioctl(vcpu->fd, KEEL_NMI, 0);
	kl_ioctl(vcpu->fd, KEEL_NMI, 0);
	kl_ioctl(vcpu->fd, KEEL_NMI, 0);
	n = sync_arg(vcpu, 3, 1);
	kl_ok(n == 3, "three KEEL_NMIs at once: the guest takes two (%llu)",
	      (unsigned long long)n - 1);

	get_events(vcpu, &e);
	kl_ok(!e.nmi.pending, "no NMI left pending (%u)", e.nmi.pending);
	e.nmi.masked = 1;
	e.nmi.pending = 1;
	r = set_events(vcpu, &e);
	kl_ok(!r, "SET_VCPU_EVENTS: NMI masked and pending: %s", kl_errstr(r));
	roundtrip(vcpu, "NMI masked");
	n = sync_arg(vcpu, 4, 1);
	kl_ok(n == 3, "masked: the NMI waits (%llu taken)",
	      (unsigned long long)n - 3);
	n = sync_arg(vcpu, 5, 1);
	get_events(vcpu, &e);
	kl_ok(n == 3 && e.nmi.pending && e.nmi.masked,
	      "masked across exits: %llu taken, pending %u, masked %u",
	      (unsigned long long)n - 3, e.nmi.pending, e.nmi.masked);
	n = sync_arg(vcpu, 6, 1);
	get_events(vcpu, &e);
	kl_ok(n == 4 && !e.nmi.pending && !e.nmi.masked,
	      "the guest's IRET unmasks it: taken %llu, pending %u, masked %u",
	      (unsigned long long)n - 3, e.nmi.pending, e.nmi.masked);
}

static void test_interrupt(struct kl_vcpu *vcpu)
{
	struct keel_vcpu_events e;
	struct keel_sregs s;
	struct kl_ucall uc;
	int r;

	sync_arg(vcpu, 7, 0);
	get_events(vcpu, &e);
	e.interrupt.injected = 1;
	e.interrupt.nr = 0x50;
	r = set_events(vcpu, &e);
	kl_get_sregs(vcpu, &s);
	kl_ok(!r && s.interrupt_bitmap[1] == 1ULL << 16,
	      "interrupt 0x50 injected (%s), GET_SREGS shows it", kl_errstr(r));
	roundtrip(vcpu, "interrupt injected");
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 1 && uc.args[1] == 0x50,
	      "the guest took it with IF=0: %llu interrupts, last 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
}

static void test_payloads(struct kl_vm *vm, struct kl_vcpu *vcpu)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_EXCEPTION_PAYLOAD };
	struct keel_vcpu_events e;
	struct keel_sregs s;
	struct kl_ucall uc;
	int r;

	sync_arg(vcpu, 8, 0);
	get_events(vcpu, &e);
	e.flags |= KEEL_VCPUEVENT_VALID_PAYLOAD;
	r = set_events(vcpu, &e);
	kl_ok(r == -EINVAL, "VALID_PAYLOAD before the capability: %s",
	      kl_errstr(r));
	cap.args[0] = 1;
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "ENABLE_CAP(EXCEPTION_PAYLOAD): %s", kl_errstr(r));

	get_events(vcpu, &e);
	kl_ok(e.flags & KEEL_VCPUEVENT_VALID_PAYLOAD,
	      "with the capability GET reports payloads (flags 0x%x)", e.flags);
	e.exception.pending = 1;
	e.exception.nr = 14;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x2;
	e.exception_has_payload = 1;
	e.exception_payload = 0xdead0000;
	r = set_events(vcpu, &e);
	kl_get_sregs(vcpu, &s);
	kl_ok(!r && s.cr2 != 0xdead0000,
	      "pending #PF with payload (%s): CR2 not written before delivery",
	      kl_errstr(r));
	get_events(vcpu, &e);
	kl_ok(e.exception.pending && !e.exception.injected &&
	      e.exception_has_payload && e.exception_payload == 0xdead0000,
	      "GET shows it pending with its payload");
	roundtrip(vcpu, "#PF pending");
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 1 && uc.args[1] == 0xdead0000 && uc.args[2] == 2,
	      "the guest's #PF handler: %llu taken, CR2 0x%llx, error 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1],
	      (unsigned long long)uc.args[2]);

	sync_arg(vcpu, 9, 0);
	get_events(vcpu, &e);
	e.exception.pending = 1;
	e.exception.nr = 1;
	e.exception.has_error_code = 0;
	e.exception.error_code = 0;
	e.exception_has_payload = 1;
	e.exception_payload = 0x4002;	/* BS and B1 */
	r = set_events(vcpu, &e);
	kl_ok(!r, "pending #DB with payload: %s", kl_errstr(r));
	roundtrip(vcpu, "#DB pending");
	kl_run_ucall(vcpu, &uc);
	kl_ok(uc.args[0] == 1 && uc.args[1] == 0xffff4ff2,
	      "the guest's #DB handler: %llu taken, DR6 0x%llx",
	      (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);
	cap.args[0] = 0;
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "ENABLE_CAP(EXCEPTION_PAYLOAD, 0): %s", kl_errstr(r));
}

/* An injected #GP with its error code, delivered at the current RIP. */
static void test_exception(struct kl_vcpu *vcpu)
{
	struct keel_vcpu_events e;
	struct keel_regs regs;
	struct kl_ucall uc;
	int r;

	r = kl_vcpu_run(vcpu);
	KL_REQUIRE(!r && vcpu->run->exit_reason == KEEL_EXIT_HLT, "HLT exit: %s",
		   kl_describe_exit(vcpu));
	kl_get_regs(vcpu, &regs);
	get_events(vcpu, &e);
	e.exception.injected = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x1234;
	r = set_events(vcpu, &e);
	kl_ok(!r, "#GP injected: %s", kl_errstr(r));
	roundtrip(vcpu, "#GP injected");
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && kl_get_ucall(vcpu, &uc) == KL_UCALL_EXCEPTION,
	      "RUN: %s, %s", kl_errstr(r), kl_describe_exit(vcpu));
	kl_ok(uc.args[0] == 13 && uc.args[1] == 0x1234 && uc.args[2] == regs.rip,
	      "the guest took #GP error 0x%llx at rip 0x%llx (expected 0x%llx)",
	      (unsigned long long)uc.args[1], (unsigned long long)uc.args[2],
	      (unsigned long long)regs.rip);
}

struct bad_case {
	const char *what;
	bool keel_only;		/* KVM accepts it */
	void (*apply)(struct keel_vcpu_events *e);
};

#define BAD(name, body)						\
	static void bad_##name(struct keel_vcpu_events *e) { body; }
BAD(flag40, e->flags |= 0x40)
BAD(flag_high, e->flags |= 0x80000000)
BAD(triple, e->flags |= KEEL_VCPUEVENT_VALID_TRIPLE_FAULT)
BAD(exc32, e->exception.injected = 1; e->exception.nr = 32)
BAD(exc_nmi, e->exception.injected = 1; e->exception.nr = 2)
BAD(exc255, e->exception.injected = 1; e->exception.nr = 255)
BAD(payload_nocap, e->flags |= KEEL_VCPUEVENT_VALID_PAYLOAD)
BAD(nmi_pad, e->nmi.pad = 1)
BAD(bool_exc, e->exception.injected = 2; e->exception.nr = 13)
BAD(bool_err, e->exception.has_error_code = 2)
BAD(bool_irq, e->interrupt.injected = 2)
BAD(bool_soft, e->interrupt.soft = 2)
BAD(bool_nmi, e->nmi.injected = 2)
BAD(bool_masked, e->nmi.masked = 2)
BAD(bool_nmi_pending, e->nmi.pending = 2)
BAD(shadow, e->interrupt.shadow = 4)
BAD(smm, e->flags |= KEEL_VCPUEVENT_VALID_SMM; e->smi.smm = 1)
BAD(smi_pending, e->flags |= KEEL_VCPUEVENT_VALID_SMM; e->smi.pending = 1)
BAD(sipi, e->flags |= KEEL_VCPUEVENT_VALID_SIPI_VECTOR)

static const struct bad_case bad_cases[] = {
	{ "unknown flag 0x40", false, bad_flag40 },
	{ "unknown flag 0x80000000", false, bad_flag_high },
	{ "VALID_TRIPLE_FAULT (not enabled)", false, bad_triple },
	{ "exception vector 32", false, bad_exc32 },
	{ "exception vector 2 (NMI)", false, bad_exc_nmi },
	{ "exception vector 255", false, bad_exc255 },
	{ "VALID_PAYLOAD without the capability", false, bad_payload_nocap },
	{ "nmi.pad 1", true, bad_nmi_pad },
	{ "exception.injected 2", true, bad_bool_exc },
	{ "exception.has_error_code 2", true, bad_bool_err },
	{ "interrupt.injected 2", true, bad_bool_irq },
	{ "interrupt.soft 2", true, bad_bool_soft },
	{ "nmi.injected 2", true, bad_bool_nmi },
	{ "nmi.masked 2", true, bad_bool_masked },
	{ "nmi.pending 2", true, bad_bool_nmi_pending },
	{ "interrupt.shadow 4", true, bad_shadow },
	{ "VALID_SMM with smm 1 (no SMM)", true, bad_smm },
	{ "VALID_SMM with smi.pending 1", true, bad_smi_pending },
	{ "VALID_SIPI_VECTOR (no in-kernel APIC)", true, bad_sipi },
};

/* Each bad input alone on a valid base: -EINVAL, state unchanged. */
static void test_bad_input(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0);
	struct keel_vcpu_events base, e, after;
	int i, r, wrong = 0, changed = 0, n = 0;

	get_events(vcpu, &base);
	base.nmi.pending = 1;
	base.interrupt.injected = 1;
	base.interrupt.nr = 0x30;
	r = set_events(vcpu, &base);
	KL_REQUIRE(!r, "base events: %s", kl_errstr(r));
	get_events(vcpu, &base);

	for (i = 0; i < (int)ARRAY_SIZE(bad_cases); i++) {
		if (bad_cases[i].keel_only && kl_is_kvm())
			continue;
		e = base;
		bad_cases[i].apply(&e);
		r = set_events(vcpu, &e);
		get_events(vcpu, &after);
		n++;
		if (r != -EINVAL) {
			kl_diag("%s: %s", bad_cases[i].what, kl_errstr(r));
			wrong++;
		}
		if (memcmp(&after, &base, sizeof(base))) {
			kl_diag("%s changed the events", bad_cases[i].what);
			changed++;
		}
	}
	kl_ok(!wrong, "SET_VCPU_EVENTS bad input: %d cases, each -EINVAL (%d not)",
	      n, wrong);
	kl_ok(!changed, "... and none changed the events (%d did)", changed);

	if (kl_is_kvm()) {
		kl_skip("reserved bytes: KVM ignores them");
	} else {
		for (i = 0, wrong = 0; i < (int)sizeof(base.reserved); i++) {
			e = base;
			e.reserved[i] = 0x80;
			if (set_events(vcpu, &e) != -EINVAL)
				wrong++;
		}
		get_events(vcpu, &after);
		kl_ok(!wrong && !memcmp(&after, &base, sizeof(base)),
		      "each reserved byte set alone: -EINVAL (%d not), no change",
		      wrong);
	}

	r = kl_ioctl(vcpu->fd, KEEL_GET_VCPU_EVENTS, 8);
	kl_ok(r == -EFAULT, "GET_VCPU_EVENTS to a bad pointer: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_SET_VCPU_EVENTS, 8);
	kl_ok(r == -EFAULT, "SET_VCPU_EVENTS from a bad pointer: %s",
	      kl_errstr(r));

	/* Fields a VALID flag guards are ignored without it, as on KVM. */
	e = base;
	e.flags = 0;
	e.nmi.pending = 0;
	e.sipi_vector = 0x9a;
	e.smi.smm = 1;
	r = set_events(vcpu, &e);
	get_events(vcpu, &after);
	kl_ok(!r && after.nmi.pending == 1,
	      "nmi.pending, sipi_vector and smi without their flags: ignored (%s)",
	      kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_main, 1,
					     &vcpu);

	kl_vm_set_idt_gate(vm, 2, nmi_handler);
	kl_vm_set_idt_gate(vm, 14, pf_handler);
	kl_vm_set_idt_gate(vm, 1, db_handler);

	test_nmis(vcpu);
	test_interrupt(vcpu);
	test_payloads(vm, vcpu);
	test_exception(vcpu);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);

	test_bad_input();
	return kl_finish();
}
