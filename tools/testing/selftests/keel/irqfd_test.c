// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_IRQFD with MSI routes (split irqchip): another thread's write to
 * the eventfd wakes the halted guest with the routed vector, a new
 * routing table redirects the same irqfd, a signal that came before the
 * irqfd existed is delivered when it is assigned, and after DEASSIGN or
 * closing the eventfd the guest's timer sees nothing else arrive. Every
 * bad input is refused.
 */
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "keel_util.h"
#include "guest_apic.h"
#include "ucall.h"

#define V_TIMER		0x30

static volatile u64 vec_count[256];
static volatile u64 waiting;

static KL_NO_VECTOR void eoi_hook(u64 vector)
{
	vec_count[vector]++;
	apic_write(R_EOI, 0);
}

/* Halt until vector @v arrived @n times in all. */
static void wait_for(u8 v, u64 n)
{
	waiting = v;
	while (vec_count[v] < n)
		asm volatile("sti; hlt; cli" ::: "memory");
	waiting = 0;
}

/* Halt for 20 ms (one-shot APIC timer): nothing else may arrive. */
static void quiet_20ms(void)
{
	u64 before = kl_irq_count, timer = vec_count[V_TIMER];

	apic_write(R_TMICT, 20000000);
	wait_for(V_TIMER, timer + 1);
	GUEST_SYNC2(4, kl_irq_count - before - 1);
}

static void guest_irqfd(void)
{
	kl_irq_hook = eoi_hook;
	apic_write(R_SPIV, 0x1ff);
	apic_write(R_TDCR, 0xb);
	apic_write(R_LVTT, V_TIMER);
	wait_for(0x55, 1);
	GUEST_SYNC(1);
	wait_for(0x56, 1);
	GUEST_SYNC(2);
	wait_for(0x57, 1);
	GUEST_SYNC(3);
	quiet_20ms();		/* after DEASSIGN */
	quiet_20ms();		/* after close() */
	GUEST_DONE();
}

struct routes {
	struct keel_irq_routing h;
	struct keel_irq_routing_entry e[2];
};

static int route(int vm, u32 gsi, u8 vector, u32 gsi2, u8 vector2)
{
	struct routes rt;
	int i;

	memset(&rt, 0, sizeof(rt));
	rt.h.nr = 2;
	for (i = 0; i < 2; i++) {
		rt.e[i].gsi = i ? gsi2 : gsi;
		rt.e[i].type = KEEL_IRQ_ROUTING_MSI;
		rt.e[i].u.msi.address_lo = 0xfee00000;
		rt.e[i].u.msi.data = i ? vector2 : vector;
	}
	return kl_ioctlp(vm, KEEL_SET_GSI_ROUTING, &rt);
}

static int irqfd(int vm, int fd, u32 gsi, u32 flags)
{
	struct keel_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags };

	return kl_ioctlp(vm, KEEL_IRQFD, &a);
}

static void *run_to_ucall(void *p)
{
	struct kl_vcpu *vcpu = p;
	struct kl_ucall uc;

	return (void *)(unsigned long)kl_run_ucall(vcpu, &uc);
}

/* Run in a thread; once the guest halts waiting for @v, signal @efd. */
static bool signalled_wakes(struct kl_vm *vm, struct kl_vcpu *vcpu, u8 v,
			    int efd)
{
	volatile u64 *w = kl_gpa_to_hva(vm, (u64)&waiting);
	u64 one = 1;
	void *ret;
	pthread_t t;
	int i;

	pthread_create(&t, NULL, run_to_ucall, vcpu);
	for (i = 0; i < 5000 && *w != v; i++)
		usleep(1000);
	usleep(20000);
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return false;
	pthread_join(t, &ret);
	return ret == (void *)KL_UCALL_SYNC;
}

static void test_irqfd(void)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	int efd = eventfd(0, EFD_CLOEXEC), efd2 = eventfd(0, EFD_CLOEXEC);
	struct kl_vcpu *vcpu;
	struct kl_ucall uc;
	u64 one = 1;
	int r;

	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r && efd >= 0 && efd2 >= 0, "SPLIT_IRQCHIP: %s",
		   kl_errstr(r));
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_irqfd, 0, 0);

	r = route(vm->fd, 5, 0x55, 6, 0x57);
	r = r ?: irqfd(vm->fd, efd, 5, 0);
	kl_ok(!r, "IRQFD on GSI 5, routed to vector 0x55: %s", kl_errstr(r));
	kl_ok(signalled_wakes(vm, vcpu, 0x55, efd),
	      "another thread's eventfd write woke the halted guest with 0x55");

	r = route(vm->fd, 5, 0x56, 6, 0x57);
	kl_ok(!r && signalled_wakes(vm, vcpu, 0x56, efd),
	      "after a new routing table the same irqfd raises 0x56");

	/* Signalled before it is an irqfd: delivered at assignment. */
	r = write(efd2, &one, sizeof(one)) != sizeof(one);
	r = r ?: irqfd(vm->fd, efd2, 6, 0);
	kl_ok(!r && kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 3,
	      "an eventfd signalled before IRQFD raised 0x57 when assigned");

	r = irqfd(vm->fd, efd, 5, KEEL_IRQFD_FLAG_DEASSIGN);
	kl_ok(!r, "DEASSIGN: %s", kl_errstr(r));
	r = write(efd, &one, sizeof(one)) != sizeof(one);
	kl_ok(!r && kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && !uc.args[1],
	      "a deassigned eventfd raises nothing (%llu interrupts)",
	      (unsigned long long)uc.args[1]);
	close(efd2);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && !uc.args[1],
	      "closing an armed irqfd's eventfd (EPOLLHUP ends it) raised nothing (%llu)",
	      (unsigned long long)uc.args[1]);
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finished");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);

	/* Tearing a VM down with an armed irqfd leaves the eventfd usable. */
	vm = kl_vm_create(0);
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	r = r ?: irqfd(vm->fd, efd, 1, 0);
	kl_vm_free(vm);
	kl_ok(!r && write(efd, &one, sizeof(one)) == sizeof(one),
	      "a VM freed with an armed irqfd leaves its eventfd alone");
	close(efd);
}

static void test_bad_input(void)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	struct kl_vm *vm = kl_vm_create(0);
	int efd = eventfd(0, EFD_CLOEXEC), r, wrong = 0;
	struct keel_irqfd a;

	r = irqfd(vm->fd, efd, 1, 0);
	kl_ok(r == -EINVAL, "IRQFD without an irqchip: %s", kl_errstr(r));
	kl_vm_free(vm);
	vm = kl_vm_create(0);
	r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);
	KL_REQUIRE(!r, "SPLIT_IRQCHIP: %s", kl_errstr(r));

	r = irqfd(vm->fd, efd, 1, 1 << 2);
	kl_ok(r == -EINVAL, "flag bit 2: %s", kl_errstr(r));
	r = irqfd(vm->fd, efd, 1, KEEL_IRQFD_FLAG_RESAMPLE);
	kl_ok(r == -EINVAL, "RESAMPLE with a split irqchip: %s", kl_errstr(r));
	r = irqfd(vm->fd, -1, 1, 0);
	kl_ok(r == -EBADF, "fd -1: %s", kl_errstr(r));
	r = irqfd(vm->fd, vm->fd, 1, 0);
	kl_ok(r == -EINVAL, "fd not an eventfd: %s", kl_errstr(r));
	r = irqfd(vm->fd, efd, 1, 0);
	kl_ok(!r, "IRQFD on GSI 1: %s", kl_errstr(r));
	r = irqfd(vm->fd, efd, 2, 0);
	kl_ok(r == -EBUSY, "the same eventfd again: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_IRQFD, 8);
	kl_ok(r == -EFAULT, "IRQFD from a bad pointer: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("IRQFD strictness: KVM takes pad, resamplefd, any GSI, deassigns anything");
	} else {
		memset(&a, 0, sizeof(a));
		a.fd = efd;
		a.gsi = 3;
		a.pad[15] = 1;
		wrong += kl_ioctlp(vm->fd, KEEL_IRQFD, &a) != -EINVAL;
		a.pad[15] = 0;
		a.resamplefd = efd;
		wrong += kl_ioctlp(vm->fd, KEEL_IRQFD, &a) != -EINVAL;
		wrong += irqfd(vm->fd, efd, 4096, 0) != -EINVAL;
		wrong += irqfd(vm->fd, efd, 2, KEEL_IRQFD_FLAG_DEASSIGN) !=
			 -ENOENT;
		kl_ok(!wrong, "pad, resamplefd, GSI 4096, DEASSIGN of a stranger: refused (%d not)",
		      wrong);
	}
	r = irqfd(vm->fd, efd, 1, KEEL_IRQFD_FLAG_DEASSIGN);
	kl_ok(!r, "DEASSIGN of GSI 1: %s", kl_errstr(r));
	close(efd);
	kl_vm_free(vm);
}

int main(void)
{
	test_irqfd();
	test_bad_input();
	return kl_finish();
}
