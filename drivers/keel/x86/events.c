// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the events a vCPU delivers (exceptions, NMIs, interrupts), in
 * KVM's model, so KEEL_GET/SET_VCPU_EVENTS can move them between VMs.
 *
 * Before each entry one event is chosen for the backend to inject; after
 * the exit, whatever the exit interrupted is kept as "injected" for the
 * next entry. NMIs stay masked from their injection until the handler's
 * IRET has executed: the IRET is intercepted, and the NMI is unmasked at
 * the first exit that finds RIP past it.
 */
#include <linux/uaccess.h>

#include <keel/core.h>

/* An exception raised by keel itself (#GP from WRMSR, #UD, ...). */
void keel_x86_queue_exception(struct keel_vcpu *vcpu, u8 nr, bool has_error,
			      u32 error)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;

	ev->exc_pending = true;
	ev->exc_injected = false;
	ev->exc_nr = nr;
	ev->exc_has_error = has_error;
	ev->exc_error = error;
	ev->exc_has_payload = false;
	ev->exc_payload = 0;
}

/* Start delivering a pending exception: its payload lands now, as on KVM. */
static void keel_deliver_payload(struct keel_vcpu *vcpu)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;
	u64 dr6;

	if (!ev->exc_has_payload)
		return;
	if (ev->exc_nr == KEEL_EXC_PF) {
		keel_x86->set_cr(vcpu, 2, ev->exc_payload);
	} else if (ev->exc_nr == KEEL_EXC_DB) {
		/* The payload's bits are the DR6 bits that read as set. */
		dr6 = keel_x86->get_dr(vcpu, 6);
		dr6 &= ~KEEL_DR6_TRAP_BITS;
		dr6 |= KEEL_DR6_INIT;
		dr6 |= ev->exc_payload;
		dr6 ^= ev->exc_payload & KEEL_DR6_INIT;
		dr6 &= ~BIT(12);
		keel_x86->set_dr(vcpu, 6, dr6);
	}
	ev->exc_has_payload = false;
	ev->exc_payload = 0;
}

static bool keel_event_in_flight(struct keel_x86_events *ev)
{
	return ev->exc_injected || ev->exc_pending || ev->nmi_injected ||
	       ev->irq_injected;
}

/*
 * Choose the next entry's event: one being delivered comes first, then a
 * new exception, then an NMI or interrupt in flight, then a new NMI.
 * Interrupts from userspace are already "injected" (KVM's model).
 */
void keel_x86_prepare_events(struct keel_vcpu *vcpu)
{
	const struct keel_x86_ops *ops = keel_x86;
	struct keel_x86_events *ev = &vcpu->arch.ev;
	struct keel_x86_event e = { 0 };
	bool inject = true, irq_wait = false;

	if (ev->exc_pending) {
		keel_deliver_payload(vcpu);
		ev->exc_pending = false;
		ev->exc_injected = true;
	}
	if (!keel_event_in_flight(ev) && ev->nmi_pending && !ev->nmi_masked &&
	    !ops->get_interrupt_shadow(vcpu)) {
		ev->nmi_pending--;
		ev->nmi_injected = true;
	}
	/*
	 * The in-kernel APIC's interrupt, when nothing else goes first;
	 * behind an event in flight it waits for the next window.
	 */
	if (vcpu->arch.apic)
		irq_wait = keel_x86_apic_inject(vcpu,
						!keel_event_in_flight(ev));

	if (ev->exc_injected) {
		e.type = KEEL_EVENT_EXCEPTION;
		e.vector = ev->exc_nr;
		/* Real mode pushes no error code. */
		e.has_error = ev->exc_has_error &&
			      (ops->get_cr(vcpu, 0) & X86_CR0_PE);
		e.error = ev->exc_error;
	} else if (ev->nmi_injected) {
		e.type = KEEL_EVENT_NMI;
		e.vector = KEEL_EXC_NMI;
		ev->nmi_masked = true;
	} else if (ev->irq_injected) {
		e.type = KEEL_EVENT_INTR;
		e.vector = ev->irq_nr;
	} else {
		inject = false;
	}
	ops->inject_event(vcpu, inject ? &e : NULL);
	ops->set_iret_intercept(vcpu, ev->nmi_masked && !ev->nmi_iret);
	ops->set_irq_window(vcpu, irq_wait ||
			    READ_ONCE(vcpu->run->request_interrupt_window));
	if (vcpu->arch.apic)
		ops->set_cr8_intercept(vcpu, keel_lapic_blocked_by_tpr(vcpu));
}

/* After an exit: what was delivered is done, what was cut off is kept. */
void keel_x86_complete_events(struct keel_vcpu *vcpu)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;
	struct keel_x86_event e;

	ev->exc_injected = false;
	ev->nmi_injected = false;
	ev->irq_injected = false;
	if (ev->nmi_iret && vcpu->arch.rip != ev->nmi_iret_rip) {
		ev->nmi_iret = false;
		ev->nmi_masked = false;
	}
	if (!keel_x86->interrupted_event(vcpu, &e))
		return;
	switch (e.type) {
	case KEEL_EVENT_EXCEPTION:
		/* #BP and #OF come from INT3 and INTO, which run again. */
		if (e.vector == KEEL_EXC_BP || e.vector == KEEL_EXC_OF)
			break;
		ev->exc_injected = true;
		ev->exc_nr = e.vector;
		ev->exc_has_error = e.has_error;
		ev->exc_error = e.error;
		break;
	case KEEL_EVENT_NMI:
		ev->nmi_injected = true;
		break;
	case KEEL_EVENT_INTR:
		ev->irq_injected = true;
		ev->irq_nr = e.vector;
		break;
	case KEEL_EVENT_SOFT_INTR:
		break;
	}
}

/*
 * An interrupt window exit (VINTR): the guest can take an interrupt
 * now. QEMU's emulated SVM also opens the window inside the STI shadow
 * of "sti; hlt" and reports no shadow, so an interrupt injected there
 * returns to the HLT and the guest halts with the interrupt it waited
 * for already taken (kvm_amd loses IPIs and timer interrupts to this
 * under QEMU TCG). Hardware executes the HLT first and the interrupt
 * wakes it, returning past the HLT: keel does that, which on hardware,
 * where the window never opens there, changes nothing.
 */
void keel_x86_window_opened(struct keel_vcpu *vcpu)
{
	if ((vcpu->arch.rflags & X86_EFLAGS_IF) &&
	    !keel_x86->get_interrupt_shadow(vcpu) && keel_x86_at_sti_hlt(vcpu))
		keel_x86_skip_to(vcpu, vcpu->arch.rip + 1);
}

/* The guest is about to execute an IRET while NMIs are masked. */
void keel_x86_iret_exit(struct keel_vcpu *vcpu)
{
	vcpu->arch.ev.nmi_iret = true;
	vcpu->arch.ev.nmi_iret_rip = vcpu->arch.rip;
}

/* Could userspace inject an interrupt that the guest takes at once? */
bool keel_x86_ready_for_interrupt(struct keel_vcpu *vcpu)
{
	if (vcpu->arch.apic && !keel_x86_apic_extint_ready(vcpu))
		return false;
	return !keel_event_in_flight(&vcpu->arch.ev) &&
	       !keel_x86_irqs_blocked(vcpu) &&
	       keel_x86->interrupt_allowed(vcpu);
}

/* The hardware interrupt waiting for delivery (GET_SREGS's bitmap). */
bool keel_x86_irq_queued(struct keel_vcpu *vcpu, u8 *vector)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;

	if (!ev->irq_injected)
		return false;
	*vector = ev->irq_nr;
	return true;
}

void keel_x86_queue_irq(struct keel_vcpu *vcpu, u8 vector)
{
	vcpu->arch.ev.irq_injected = true;
	vcpu->arch.ev.irq_nr = vector;
}

long keel_x86_interrupt(struct keel_vcpu *vcpu,
			const struct keel_interrupt __user *u)
{
	struct keel_interrupt irq;

	if (copy_from_user(&irq, u, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KEEL_NR_INTERRUPTS)
		return -EINVAL;
	/* As KVM: the in-kernel PIC's interrupts come from the PIC. */
	if (vcpu->vm->arch.irqchip == KEEL_IRQCHIP_KERNEL)
		return -ENXIO;
	if (vcpu->arch.apic)
		return keel_x86_apic_extint(vcpu, irq.irq);
	/* One interrupt at a time, as with KVM's userspace irqchip. */
	if (vcpu->arch.ev.irq_injected)
		return -EEXIST;
	keel_x86_queue_irq(vcpu, irq.irq);
	return 0;
}

/*
 * KEEL_NMI: hardware latches one NMI while another is being handled, so
 * at most two are outstanding; more collapse into those, as on KVM.
 */
long keel_x86_nmi(struct keel_vcpu *vcpu)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;
	u8 limit = (ev->nmi_masked || ev->nmi_injected) ? 1 : 2;

	if (ev->nmi_pending < limit)
		ev->nmi_pending++;
	return 0;
}

long keel_x86_get_vcpu_events(struct keel_vcpu *vcpu,
			      struct keel_vcpu_events __user *u)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;
	bool payload = vcpu->vm->arch.exception_payload;
	struct keel_vcpu_events e;

	memset(&e, 0, sizeof(e));
	/* Without the payload capability a pending exception looks injected. */
	e.exception.injected = ev->exc_injected || (!payload && ev->exc_pending);
	e.exception.pending = payload && ev->exc_pending;
	e.exception.nr = ev->exc_nr;
	e.exception.has_error_code = ev->exc_has_error;
	e.exception.error_code = ev->exc_error;
	if (payload) {
		e.exception_has_payload = ev->exc_has_payload;
		e.exception_payload = ev->exc_payload;
	}
	e.interrupt.injected = ev->irq_injected;
	e.interrupt.nr = ev->irq_nr;
	e.interrupt.shadow = keel_x86->get_interrupt_shadow(vcpu) ?
			     KEEL_X86_SHADOW_INT_MOV_SS : 0;
	e.nmi.injected = ev->nmi_injected;
	e.nmi.pending = !!ev->nmi_pending;
	e.nmi.masked = ev->nmi_masked;
	/* sipi_vector is never reported, as on KVM; SMM does not exist. */
	e.flags = KEEL_VCPUEVENT_VALID_NMI_PENDING | KEEL_VCPUEVENT_VALID_SHADOW |
		  KEEL_VCPUEVENT_VALID_SMM;
	if (payload)
		e.flags |= KEEL_VCPUEVENT_VALID_PAYLOAD;
	return copy_to_user(u, &e, sizeof(e)) ? -EFAULT : 0;
}

int keel_arch_enable_exception_payload(struct keel_vm *vm,
				       const struct keel_enable_cap *cap)
{
	if (cap->args[0] > 1)
		return -EINVAL;
	WRITE_ONCE(vm->arch.exception_payload, cap->args[0]);
	return 0;
}

static bool keel_bools_ok(const u8 *b, int n)
{
	while (n--)
		if (b[n] > 1)
			return false;
	return true;
}

/*
 * Fields a KEEL_VCPUEVENT_VALID_* flag guards are read only with that
 * flag: KVM documents them so, and VMMs hand back what GET returned.
 * Everything else is checked.
 */
static int keel_check_vcpu_events(struct keel_vcpu *vcpu,
				  const struct keel_vcpu_events *e)
{
	u32 known = KEEL_VCPUEVENT_VALID_NMI_PENDING |
		    KEEL_VCPUEVENT_VALID_SIPI_VECTOR |
		    KEEL_VCPUEVENT_VALID_SHADOW | KEEL_VCPUEVENT_VALID_SMM |
		    KEEL_VCPUEVENT_VALID_PAYLOAD;
	bool payload = e->flags & KEEL_VCPUEVENT_VALID_PAYLOAD;
	bool exc;
	u8 b[] = { e->exception.injected, e->exception.has_error_code,
		   e->interrupt.injected, e->interrupt.soft, e->nmi.injected,
		   e->nmi.masked, payload ? e->exception.pending : 0,
		   payload ? e->exception_has_payload : 0,
		   (e->flags & KEEL_VCPUEVENT_VALID_NMI_PENDING) ?
		   e->nmi.pending : 0 };

	if (e->flags & ~known || e->nmi.pad ||
	    memchr_inv(e->reserved, 0, sizeof(e->reserved)) ||
	    !keel_bools_ok(b, ARRAY_SIZE(b)))
		return -EINVAL;
	if (payload && !vcpu->vm->arch.exception_payload)
		return -EINVAL;
	/* A pending exception has not started: it cannot also be injected. */
	if (payload && e->exception.pending && e->exception.injected)
		return -EINVAL;
	exc = e->exception.injected || (payload && e->exception.pending);
	if (exc && (e->exception.nr > 31 || e->exception.nr == KEEL_EXC_NMI))
		return -EINVAL;
	/* Only #PF (CR2) and #DB (DR6) have a payload, only before delivery. */
	if (payload && e->exception_has_payload &&
	    (!e->exception.pending || (e->exception.nr != KEEL_EXC_PF &&
				       e->exception.nr != KEEL_EXC_DB)))
		return -EINVAL;
	if (payload && !e->exception_has_payload && e->exception_payload)
		return -EINVAL;
	if ((e->flags & KEEL_VCPUEVENT_VALID_SHADOW) &&
	    (e->interrupt.shadow & ~(KEEL_X86_SHADOW_INT_MOV_SS |
				     KEEL_X86_SHADOW_INT_STI)))
		return -EINVAL;
	/* keel has no SMM: only "outside SMM, nothing pending" exists. */
	if ((e->flags & KEEL_VCPUEVENT_VALID_SMM) &&
	    (e->smi.smm || e->smi.pending || e->smi.smm_inside_nmi ||
	     e->smi.latched_init))
		return -EINVAL;
	/* SIPIs need the in-kernel local APIC; vectors are 8 bits. */
	if ((e->flags & KEEL_VCPUEVENT_VALID_SIPI_VECTOR) &&
	    (!vcpu->arch.apic || e->sipi_vector > 0xff))
		return -EINVAL;
	return 0;
}

long keel_x86_set_vcpu_events(struct keel_vcpu *vcpu,
			      const struct keel_vcpu_events __user *u)
{
	struct keel_x86_events *ev = &vcpu->arch.ev;
	struct keel_vcpu_events e;
	bool payload;
	int r;

	if (copy_from_user(&e, u, sizeof(e)))
		return -EFAULT;
	r = keel_check_vcpu_events(vcpu, &e);
	if (r)
		return r;
	payload = e.flags & KEEL_VCPUEVENT_VALID_PAYLOAD;
	/* The vector a SIPI_RECEIVED vCPU starts at (QEMU restores both). */
	if (e.flags & KEEL_VCPUEVENT_VALID_SIPI_VECTOR)
		WRITE_ONCE(vcpu->arch.apic->sipi_vector, e.sipi_vector);

	ev->exc_injected = e.exception.injected;
	ev->exc_pending = payload && e.exception.pending;
	ev->exc_nr = e.exception.nr;
	ev->exc_has_error = e.exception.has_error_code;
	ev->exc_error = e.exception.error_code;
	ev->exc_has_payload = payload && e.exception_has_payload;
	ev->exc_payload = payload ? e.exception_payload : 0;
	/*
	 * A soft interrupt (INTn) is not kept: RIP is at the instruction,
	 * which delivers it again when it runs. KVM never reports one.
	 */
	ev->irq_injected = e.interrupt.injected && !e.interrupt.soft;
	ev->irq_nr = e.interrupt.nr;
	if (e.flags & KEEL_VCPUEVENT_VALID_SHADOW)
		keel_x86->set_interrupt_shadow(vcpu, e.interrupt.shadow);
	ev->nmi_injected = e.nmi.injected;
	if (e.flags & KEEL_VCPUEVENT_VALID_NMI_PENDING)
		ev->nmi_pending = e.nmi.pending;
	ev->nmi_masked = e.nmi.masked;
	ev->nmi_iret = false;
	return 0;
}
