// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the in-kernel interrupt controller as the vCPU sees it.
 *
 * KEEL_CAP_SPLIT_IRQCHIP gives every vCPU a local APIC in the kernel
 * while the IOAPIC and PIC stay in userspace, which sends their
 * interrupts as MSIs (or, for the PIC, through KEEL_INTERRUPT);
 * KEEL_CREATE_IRQCHIP puts them in the kernel too (irqchip_vm.c). With a
 * local APIC the vCPU's run state (MP_STATE) is the kernel's: HLT waits
 * in the kernel for an interrupt, an application processor waits for
 * INIT and SIPI, and INIT resets the vCPU.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <keel/core.h>
#include <keel/irqchip.h>

int keel_arch_enable_split_irqchip(struct keel_vm *vm,
				   const struct keel_enable_cap *cap)
{
	int r = 0;

	/* As KVM: at most as many reserved IOAPIC pins as GSI routes. */
	if (cap->args[0] > KEEL_MAX_IRQ_ROUTES)
		return -EINVAL;
	mutex_lock(&vm->lock);
	/* As KVM: -EEXIST also once vCPUs exist. */
	if (vm->arch.irqchip || vm->created_vcpus)
		r = -EEXIST;
	else
		vm->arch.nr_ioapic_pins = cap->args[0];
	if (!r) {
		vm->arch.irqchip = KEEL_IRQCHIP_SPLIT;
		vm->arch.routing_gen = 1;	/* 0: a vCPU must rescan */
	}
	mutex_unlock(&vm->lock);
	return r;
}

static bool keel_vcpu_is_bsp(struct keel_vcpu *vcpu)
{
	return vcpu->vcpu_id == 0;
}

/* A new vCPU of a VM with an irqchip: application processors wait for SIPI. */
int keel_x86_irqchip_vcpu_create(struct keel_vcpu *vcpu)
{
	int r;

	vcpu->arch.mp_state = KEEL_MP_STATE_RUNNABLE;
	if (!vcpu->vm->arch.irqchip)
		return 0;
	r = keel_lapic_create(vcpu);
	if (r)
		return r;
	if (!keel_vcpu_is_bsp(vcpu))
		vcpu->arch.mp_state = KEEL_MP_STATE_UNINITIALIZED;
	return 0;
}

/* SIPI: start in real mode at vector * 4 KiB. */
static void keel_x86_sipi(struct keel_vcpu *vcpu, u8 vector)
{
	struct keel_segment cs;

	keel_x86->get_segment(vcpu, &cs, KEEL_SEG_CS);
	cs.selector = vector << 8;
	cs.base = (u64)vector << 12;
	keel_x86->set_segment(vcpu, &cs, KEEL_SEG_CS);
	vcpu->arch.rip = 0;
}

/* Take what other vCPUs and the timer posted; only this vCPU's thread. */
static void keel_x86_apic_take_events(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int n;

	if (test_and_clear_bit(KEEL_APIC_EV_INIT, &apic->events)) {
		keel_x86_vcpu_init(vcpu);
		vcpu->arch.mp_state = keel_vcpu_is_bsp(vcpu) ?
			KEEL_MP_STATE_RUNNABLE : KEEL_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(KEEL_APIC_EV_SIPI, &apic->events) &&
	    vcpu->arch.mp_state == KEEL_MP_STATE_INIT_RECEIVED) {
		smp_rmb();	/* pairs with the sender's: the vector first */
		keel_x86_sipi(vcpu, READ_ONCE(apic->sipi_vector));
		vcpu->arch.mp_state = KEEL_MP_STATE_RUNNABLE;
	}
	for (n = atomic_xchg(&apic->nmi_queued, 0); n > 0; n--)
		keel_x86_nmi(vcpu);
	keel_lapic_timer_deliver(apic);
}

/* Does a PIC (userspace's or the kernel's) offer @vcpu an ExtINT? */
static bool keel_x86_extint_pending(struct keel_vcpu *vcpu)
{
	struct keel_vm *vm = vcpu->vm;

	if (vcpu->arch.apic->extint < 0 &&
	    !(vm->arch.pic && keel_pic_output(vm)))
		return false;
	return keel_lapic_accepts_extint(vcpu);
}

/* The in-kernel PIC's output rose: wake the vCPUs that would take it. */
void keel_x86_extint_kick(struct keel_vm *vm)
{
	struct keel_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		if (!vcpu->arch.apic || !keel_lapic_accepts_extint(vcpu))
			continue;
		set_bit(KEEL_REQ_EVENT, &vcpu->requests);
		keel_vcpu_kick(vcpu);
	}
}

/* Could an interrupt from the APIC or a PIC be taken now? */
static bool keel_x86_apic_irq_ready(struct keel_vcpu *vcpu)
{
	if (!keel_x86->interrupt_allowed(vcpu) || keel_x86_irqs_blocked(vcpu))
		return false;
	return keel_lapic_pending_vector(vcpu) >= 0 ||
	       keel_x86_extint_pending(vcpu);
}

/* Events that end HLT, as KVM's kvm_vcpu_has_events(). */
static bool keel_x86_halt_ends(struct keel_vcpu *vcpu)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;

	if (ev->exc_pending || ev->exc_injected || ev->irq_injected ||
	    ev->nmi_injected)
		return true;
	if (ev->nmi_pending && !ev->nmi_masked)
		return true;
	return keel_x86_apic_irq_ready(vcpu);
}

/*
 * Before an entry: take posted events, and wait while the vCPU is halted
 * or waiting for SIPI. False: do not enter (a signal is pending).
 */
bool keel_x86_apic_ready(struct keel_vcpu *vcpu)
{
	for (;;) {
		keel_check_request(vcpu, KEEL_REQ_EVENT);
		keel_x86_apic_take_events(vcpu);
		if (vcpu->arch.mp_state == KEEL_MP_STATE_HALTED &&
		    keel_x86_halt_ends(vcpu))
			vcpu->arch.mp_state = KEEL_MP_STATE_RUNNABLE;
		if (vcpu->arch.mp_state == KEEL_MP_STATE_RUNNABLE)
			return true;
		if (wait_event_interruptible(vcpu->wq,
					     test_bit(KEEL_REQ_EVENT,
						      &vcpu->requests)))
			return false;
	}
}

/* HLT with an in-kernel APIC: wait in the kernel (keel_x86_apic_ready). */
int keel_x86_apic_halt(struct keel_vcpu *vcpu)
{
	vcpu->arch.mp_state = KEEL_MP_STATE_HALTED;
	return 1;
}

/*
 * The interrupt for the next entry, if @may_inject (no other event goes
 * first) and the guest can take one now: a PIC's ExtINT first (the
 * in-kernel PIC's vector comes from its INTA cycle), then the APIC's
 * highest vector. Returns whether one waits for an interrupt window.
 */
bool keel_x86_apic_inject(struct keel_vcpu *vcpu, bool may_inject)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	bool extint = keel_x86_extint_pending(vcpu);
	int v;

	if (!extint && keel_lapic_pending_vector(vcpu) < 0)
		return false;
	/* Userspace's BLOCKIRQ holds it back without a window. */
	if (keel_x86_irqs_blocked(vcpu))
		return false;
	if (!may_inject || !keel_x86->interrupt_allowed(vcpu))
		return true;
	if (extint && apic->extint >= 0) {
		v = apic->extint;
		apic->extint = -1;
	} else if (extint) {
		v = keel_pic_read_irq(vcpu->vm);
	} else {
		v = keel_lapic_ack(vcpu);
	}
	keel_x86_queue_irq(vcpu, v);
	return false;
}

/* KEEL_INTERRUPT with a split irqchip: the userspace PIC's ExtINT. */
long keel_x86_apic_extint(struct keel_vcpu *vcpu, u8 vector)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if (apic->extint >= 0)
		return -EEXIST;
	apic->extint = vector;
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	return 0;
}

/* ready_for_interrupt_injection: the PIC's input is free and open. */
bool keel_x86_apic_extint_ready(struct keel_vcpu *vcpu)
{
	return vcpu->arch.apic->extint < 0 && keel_lapic_accepts_extint(vcpu);
}

long keel_x86_get_mp_state(struct keel_vcpu *vcpu,
			   struct keel_mp_state __user *u)
{
	struct keel_mp_state mp;

	if (vcpu->arch.apic)
		keel_x86_apic_take_events(vcpu);
	mp.mp_state = vcpu->arch.mp_state;
	return copy_to_user(u, &mp, sizeof(mp)) ? -EFAULT : 0;
}

/*
 * Without an in-kernel APIC only RUNNABLE exists. SIPI_RECEIVED is a
 * vCPU in INIT_RECEIVED with a SIPI pending (its vector from
 * KEEL_SET_VCPU_EVENTS), as KVM.
 */
long keel_x86_set_mp_state(struct keel_vcpu *vcpu,
			   const struct keel_mp_state __user *u)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	struct keel_mp_state mp;

	if (copy_from_user(&mp, u, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KEEL_MP_STATE_RUNNABLE:
		break;
	case KEEL_MP_STATE_UNINITIALIZED:
	case KEEL_MP_STATE_INIT_RECEIVED:
	case KEEL_MP_STATE_HALTED:
	case KEEL_MP_STATE_SIPI_RECEIVED:
		if (!apic)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (mp.mp_state == KEEL_MP_STATE_SIPI_RECEIVED) {
		vcpu->arch.mp_state = KEEL_MP_STATE_INIT_RECEIVED;
		set_bit(KEEL_APIC_EV_SIPI, &apic->events);
	} else {
		vcpu->arch.mp_state = mp.mp_state;
	}
	if (apic)
		set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	return 0;
}
