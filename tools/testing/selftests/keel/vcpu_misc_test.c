// SPDX-License-Identifier: GPL-2.0
/*
 * The smaller ioctls a VMM calls on every VM: SET_TSS_ADDR and
 * SET_IDENTITY_MAP_ADDR (checked and recorded; AMD needs neither),
 * GET/SET_MP_STATE without an in-kernel APIC, and SET_SIGNAL_MASK, whose
 * mask holds exactly while RUN runs: a signal the thread blocks can end
 * RUN, a signal the mask blocks cannot, and the thread's own mask is back
 * afterwards.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

static volatile int got_usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR2)
		got_usr2++;
}

static void guest_spin(void)
{
	for (;;)
		asm volatile("" ::: "memory");
}

struct runner {
	struct kl_vcpu *vcpu;
	pthread_t thread;
	sigset_t thread_mask;	/* the thread's own mask */
	volatile int entered;
	int r;
	bool usr2_blocked_after, usr2_pending_after;
};

static void *runner_main(void *p)
{
	struct runner *rn = p;
	sigset_t now, pending;

	pthread_sigmask(SIG_SETMASK, &rn->thread_mask, NULL);
	rn->entered = 1;
	rn->r = kl_vcpu_run(rn->vcpu);
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	sigpending(&pending);
	rn->usr2_blocked_after = sigismember(&now, SIGUSR2);
	rn->usr2_pending_after = sigismember(&pending, SIGUSR2);
	return NULL;
}

static int set_mask(struct kl_vcpu *vcpu, const sigset_t *set, u32 len)
{
	struct {
		struct keel_signal_mask h;
		u8 set[8];
	} m = { .h.len = len };

	memcpy(m.set, set, 8);
	return kl_ioctlp(vcpu->fd, KEEL_SET_SIGNAL_MASK, &m);
}

/* Send @sig until RUN returns or @tries run out; true if it returned. */
static bool poke(struct runner *rn, int sig, int tries)
{
	while (tries--) {
		pthread_kill(rn->thread, sig);
		usleep(50000);
		if (!pthread_tryjoin_np(rn->thread, NULL))
			return true;
	}
	return false;
}

static void signal_mask(struct kl_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct runner rn = { .vcpu = vcpu };
	sigset_t set;
	int r;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	r = set_mask(vcpu, &set, 4);
	kl_ok(r == -EINVAL, "SET_SIGNAL_MASK with len 4: %s", kl_errstr(r));
	r = kl_ioctl(vcpu->fd, KEEL_SET_SIGNAL_MASK, 8);
	kl_ok(r == -EFAULT, "SET_SIGNAL_MASK with a bad pointer: %s",
	      kl_errstr(r));

	/* The thread blocks SIGUSR2; RUN's mask (empty) lets it in. */
	r = set_mask(vcpu, &set, 8);
	kl_ok(!r, "SET_SIGNAL_MASK with an empty mask: %s", kl_errstr(r));
	sigemptyset(&rn.thread_mask);
	sigaddset(&rn.thread_mask, SIGUSR2);
	KL_REQUIRE(!pthread_create(&rn.thread, NULL, runner_main, &rn), "thread");
	while (!rn.entered)
		usleep(1000);
	if (!poke(&rn, SIGUSR2, 100))	/* not let in: get the thread back */
		KL_REQUIRE(poke(&rn, SIGUSR1, 100), "SIGUSR1 ends RUN");
	kl_ok(rn.r == -EINTR, "a signal the thread blocks ends RUN: %s",
	      kl_errstr(rn.r));
	kl_ok(rn.usr2_blocked_after && rn.usr2_pending_after,
	      "after RUN the thread's mask is back; the signal waits, pending");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);

	/* RUN's mask blocks SIGUSR2, the thread does not: only SIGUSR1 ends it. */
	r = set_mask(vcpu, &set, 8);
	KL_REQUIRE(!r, "SET_SIGNAL_MASK {SIGUSR2}");
	sigemptyset(&rn.thread_mask);
	rn.entered = 0;
	got_usr2 = 0;
	KL_REQUIRE(!pthread_create(&rn.thread, NULL, runner_main, &rn), "thread");
	while (!rn.entered)
		usleep(1000);
	kl_ok(!poke(&rn, SIGUSR2, 5), "a signal RUN's mask blocks: RUN goes on");
	KL_REQUIRE(poke(&rn, SIGUSR1, 100), "SIGUSR1 ends RUN");
	kl_ok(rn.r == -EINTR && got_usr2 >= 1,
	      "another signal ends it; the blocked one is delivered after RUN");

	r = kl_ioctl(vcpu->fd, KEEL_SET_SIGNAL_MASK, 0);
	kl_ok(!r, "SET_SIGNAL_MASK(NULL) removes the mask: %s", kl_errstr(r));
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct keel_mp_state mp = { 99 };
	u64 addr;
	int r;

	r = kl_ioctl(vm->fd, KEEL_SET_TSS_ADDR, 0xfffbd000);
	kl_ok(!r, "SET_TSS_ADDR 0xfffbd000 (QEMU's): %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_SET_TSS_ADDR, 0xffffd000);
	kl_ok(!r, "SET_TSS_ADDR at the limit, 3 pages below 4 GiB: %s",
	      kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_SET_TSS_ADDR, 0xffffe000);
	kl_ok(r == -EINVAL, "SET_TSS_ADDR one page higher: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_SET_TSS_ADDR, 1UL << 32);
	kl_ok(r == -EINVAL, "SET_TSS_ADDR at 4 GiB: %s", kl_errstr(r));

	addr = 0xfeffc000;
	r = kl_ioctlp(vm->fd, KEEL_SET_IDENTITY_MAP_ADDR, &addr);
	kl_ok(!r, "SET_IDENTITY_MAP_ADDR 0xfeffc000 (QEMU's): %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("unaligned or high identity map: KVM takes them");
	} else {
		addr = 0xfeffc001;
		r = kl_ioctlp(vm->fd, KEEL_SET_IDENTITY_MAP_ADDR, &addr);
		kl_ok(r == -EINVAL, "SET_IDENTITY_MAP_ADDR unaligned: %s",
		      kl_errstr(r));
		addr = 1ULL << 32;
		r = kl_ioctlp(vm->fd, KEEL_SET_IDENTITY_MAP_ADDR, &addr);
		kl_ok(r == -EINVAL, "SET_IDENTITY_MAP_ADDR at 4 GiB: %s",
		      kl_errstr(r));
	}
	r = kl_ioctl(vm->fd, KEEL_SET_IDENTITY_MAP_ADDR, 8);
	kl_ok(r == -EFAULT, "SET_IDENTITY_MAP_ADDR with a bad pointer: %s",
	      kl_errstr(r));

	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_spin, 0, 0);
	addr = 0xfeffc000;
	r = kl_ioctlp(vm->fd, KEEL_SET_IDENTITY_MAP_ADDR, &addr);
	kl_ok(r == -EINVAL, "SET_IDENTITY_MAP_ADDR after a vCPU exists: %s",
	      kl_errstr(r));

	r = kl_ioctlp(vcpu->fd, KEEL_GET_MP_STATE, &mp);
	kl_ok(!r && mp.mp_state == KEEL_MP_STATE_RUNNABLE,
	      "GET_MP_STATE: runnable (%u)", mp.mp_state);
	r = kl_ioctlp(vcpu->fd, KEEL_SET_MP_STATE, &mp);
	kl_ok(!r, "SET_MP_STATE runnable: %s", kl_errstr(r));
	mp.mp_state = KEEL_MP_STATE_HALTED;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_MP_STATE, &mp);
	kl_ok(r == -EINVAL, "SET_MP_STATE halted without an in-kernel APIC: %s",
	      kl_errstr(r));
	mp.mp_state = 1000;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_MP_STATE, &mp);
	kl_ok(r == -EINVAL, "SET_MP_STATE 1000: %s", kl_errstr(r));

	signal_mask(vcpu);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
