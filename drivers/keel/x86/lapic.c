// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: the in-kernel local APIC.
 *
 * The register file is kept in KEEL_GET_LAPIC's layout, so saving and
 * restoring it is a copy plus checks. Senders (other vCPUs' IPIs, MSIs,
 * the timer) only set IRR and TMR bits atomically or post INIT, SIPI and
 * NMI as events, then kick the target; everything else is done by the
 * owning vCPU's thread, which picks the highest deliverable vector before
 * each entry. A guest reaches the registers through MMIO at its APIC base
 * (xAPIC mode) or through MSRs 0x800-0x8ff (x2APIC mode).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>

#include <keel/core.h>
#include <keel/irqchip.h>

#define KEEL_APIC_BASE_ENABLE	BIT_ULL(11)
#define KEEL_APIC_BASE_BSP	BIT_ULL(8)
#define KEEL_LVT_TIMER_MODE	(3 << 17)

/* LVT registers and the bits a write keeps (status and remote IRR are RO). */
static const struct {
	u32 reg;
	u32 mask;
} keel_lvts[] = {
	{ APIC_LVTT, 0x700ff | APIC_LVT_MASKED },
	{ APIC_LVTTHMR, 0x7ff | APIC_LVT_MASKED },
	{ APIC_LVTPC, 0x7ff | APIC_LVT_MASKED },
	{ APIC_LVT0, 0xa7ff | APIC_LVT_MASKED },
	{ APIC_LVT1, 0xa7ff | APIC_LVT_MASKED },
	{ APIC_LVTERR, 0xff | APIC_LVT_MASKED },
};

static u32 reg_get(struct keel_lapic *apic, u32 off)
{
	return READ_ONCE(*(u32 *)(apic->regs + off));
}

static void reg_set(struct keel_lapic *apic, u32 off, u32 val)
{
	WRITE_ONCE(*(u32 *)(apic->regs + off), val);
}

/* The bit of @vector in the 256-bit register (IRR, ISR, TMR) at @base. */
static unsigned long *vec_word(struct keel_lapic *apic, u32 base, u8 vector)
{
	return apic->regs + base + (vector / 32) * 0x10;
}

static bool keel_x2apic_mode(struct keel_vcpu *vcpu)
{
	return vcpu->arch.apic_base & X2APIC_ENABLE;
}

static bool keel_apic_hw_enabled(struct keel_vcpu *vcpu)
{
	return vcpu->arch.apic_base & KEEL_APIC_BASE_ENABLE;
}

static bool keel_apic_sw_enabled(struct keel_lapic *apic)
{
	return reg_get(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static bool keel_apic_enabled(struct keel_vcpu *vcpu)
{
	return keel_apic_hw_enabled(vcpu) && keel_apic_sw_enabled(vcpu->arch.apic);
}

/* The highest vector set in the 256-bit register at @base, or -1. */
static int keel_apic_highest(struct keel_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(apic, base + i * 0x10);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

static u32 keel_apic_ppr(struct keel_lapic *apic)
{
	u32 tpr = reg_get(apic, APIC_TASKPRI) & 0xff;
	int isr = keel_apic_highest(apic, APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr & 0xf0;

	return (tpr & 0xf0) >= isrv ? tpr : isrv;
}

static void keel_apic_update_ppr(struct keel_lapic *apic)
{
	reg_set(apic, APIC_PROCPRI, keel_apic_ppr(apic));
}

/* Something changed what the vCPU should deliver: have it look again. */
static void keel_apic_event(struct keel_vcpu *vcpu)
{
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	keel_vcpu_kick(vcpu);
}

void keel_lapic_set_irr(struct keel_vcpu *vcpu, u8 vector, bool level)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if (level)
		set_bit(vector % 32, vec_word(apic, APIC_TMR, vector));
	else
		clear_bit(vector % 32, vec_word(apic, APIC_TMR, vector));
	set_bit(vector % 32, vec_word(apic, APIC_IRR, vector));
	keel_apic_event(vcpu);
}

/* The highest vector the APIC would deliver now (PPR permitting), or -1. */
int keel_lapic_pending_vector(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int v;

	if (!apic || !keel_apic_hw_enabled(vcpu))
		return -1;
	v = keel_apic_highest(apic, APIC_IRR);
	if (v < 0 || (v & 0xf0) <= (keel_apic_ppr(apic) & 0xf0))
		return -1;
	return v;
}

/* An IRR vector is waiting only because the TPR is too high. */
bool keel_lapic_blocked_by_tpr(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int v, isr;

	if (!apic || !keel_apic_hw_enabled(vcpu))
		return false;
	v = keel_apic_highest(apic, APIC_IRR);
	isr = keel_apic_highest(apic, APIC_ISR);
	return v >= 0 && (isr < 0 || (v & 0xf0) > (isr & 0xf0)) &&
	       (v & 0xf0) <= (reg_get(apic, APIC_TASKPRI) & 0xf0);
}

/* The guest takes the interrupt: IRR to ISR. */
int keel_lapic_ack(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int v = keel_lapic_pending_vector(vcpu);

	if (v < 0)
		return v;
	clear_bit(v % 32, vec_word(apic, APIC_IRR, v));
	set_bit(v % 32, vec_word(apic, APIC_ISR, v));
	keel_apic_update_ppr(apic);
	return v;
}

/* CR8 is TPR[7:4]; the guest writes it without an exit (V_TPR). */
void keel_lapic_sync_tpr(struct keel_vcpu *vcpu, u8 cr8)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if ((reg_get(apic, APIC_TASKPRI) >> 4) == cr8)
		return;
	reg_set(apic, APIC_TASKPRI, cr8 << 4);
	keel_apic_update_ppr(apic);
}

u8 keel_lapic_cr8(struct keel_vcpu *vcpu)
{
	return (reg_get(vcpu->arch.apic, APIC_TASKPRI) >> 4) & 0xf;
}

/* A userspace PIC's interrupt gets in through LINT0 in ExtINT mode. */
bool keel_lapic_accepts_extint(struct keel_vcpu *vcpu)
{
	u32 lvt0 = reg_get(vcpu->arch.apic, APIC_LVT0);

	if (!keel_apic_hw_enabled(vcpu))
		return true;
	return !(lvt0 & APIC_LVT_MASKED) &&
	       GET_APIC_DELIVERY_MODE(lvt0) == APIC_MODE_EXTINT;
}

static void keel_apic_eoi(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int v = keel_apic_highest(apic, APIC_ISR);

	if (v < 0)
		return;
	clear_bit(v % 32, vec_word(apic, APIC_ISR, v));
	keel_apic_update_ppr(apic);
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	/* The in-kernel IOAPIC: level entries wait for this EOI. */
	keel_ioapic_eoi(vcpu, v, test_bit(v % 32, vec_word(apic, APIC_TMR, v)));
	/* The userspace IOAPIC routes this vector here: tell it. */
	if (test_bit(v, apic->eoi_exit))
		apic->eoi_exit_vector = v;
}

/* Take one interrupt message (IPI, MSI) at @vcpu's APIC: 1 if taken. */
static int keel_apic_accept(struct keel_vcpu *vcpu,
			    const struct keel_msi_target *t)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	switch (t->delivery_mode) {
	case APIC_DM_FIXED >> 8:
	case APIC_DM_LOWEST >> 8:
		/* A disabled APIC drops them; vectors 0-15 are illegal. */
		if (!keel_apic_enabled(vcpu) || t->vector < 16)
			return 0;
		keel_lapic_set_irr(vcpu, t->vector, t->level);
		return 1;
	case APIC_DM_NMI >> 8:
		atomic_inc(&apic->nmi_queued);
		keel_apic_event(vcpu);
		return 1;
	case APIC_DM_INIT >> 8:
		/*
		 * A SIPI sent before this INIT is void; one sent after it
		 * (SeaBIOS sends them back to back) starts the vCPU even if
		 * both are still pending when it looks.
		 */
		clear_bit(KEEL_APIC_EV_SIPI, &apic->events);
		set_bit(KEEL_APIC_EV_INIT, &apic->events);
		keel_apic_event(vcpu);
		return 1;
	case APIC_DM_STARTUP >> 8:
		WRITE_ONCE(apic->sipi_vector, t->vector);
		smp_wmb();	/* the vector before the event that names it */
		set_bit(KEEL_APIC_EV_SIPI, &apic->events);
		keel_apic_event(vcpu);
		return 1;
	}
	/* SMI, remote read and ExtINT messages are not supported: dropped. */
	return 0;
}

/* Does @vcpu's APIC answer destination @dest? Sender in x2APIC format if @x2. */
static bool keel_apic_match(struct keel_vcpu *vcpu, u32 dest, bool logical,
			    bool x2)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	u32 bcast = x2 ? 0xffffffff : 0xff;
	u32 ldr = reg_get(apic, APIC_LDR);

	if (dest == bcast)
		return true;
	if (!logical)
		return keel_x2apic_mode(vcpu) ? dest == vcpu->vcpu_id :
		       dest == reg_get(apic, APIC_ID) >> 24;
	if (keel_x2apic_mode(vcpu))
		return x2 && (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	ldr >>= 24;
	if ((reg_get(apic, APIC_DFR) >> 28) == 0xf)
		return ldr & dest;
	/* Cluster model: four bits of cluster, four of members. */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

/* Is @vcpu a destination of message @t from a device (no shorthand)? */
bool keel_lapic_is_target(struct keel_vcpu *vcpu,
			  const struct keel_msi_target *t)
{
	return keel_apic_match(vcpu, t->dest, t->logical, false);
}

/*
 * Deliver a message from @src (NULL for an MSI) with shorthand @shorthand
 * (APIC_DEST_SELF etc. >> 18). Lowest priority goes to the first APIC
 * that matches and is enabled. Returns how many APICs took it.
 */
int keel_lapic_deliver(struct keel_vm *vm, struct keel_vcpu *src,
		       const struct keel_msi_target *t, int shorthand)
{
	bool x2 = src && keel_x2apic_mode(src);
	bool lowest = t->delivery_mode == APIC_DM_LOWEST >> 8;
	struct keel_vcpu *vcpu;
	unsigned long i;
	int n = 0;

	xa_for_each(&vm->vcpus, i, vcpu) {
		bool hit;

		if (!vcpu->arch.apic)
			continue;
		switch (shorthand) {
		case 1:
			hit = vcpu == src;
			break;
		case 2:
			hit = true;
			break;
		case 3:
			hit = vcpu != src;
			break;
		default:
			hit = keel_apic_match(vcpu, t->dest, t->logical, x2);
		}
		if (!hit || (lowest && !keel_apic_enabled(vcpu)))
			continue;
		n += keel_apic_accept(vcpu, t);
		if (lowest && !shorthand)
			break;
	}
	return n;
}

static void keel_apic_send_ipi(struct keel_vcpu *vcpu, u32 icr, u32 dest)
{
	struct keel_msi_target t = {
		.dest = dest,
		.vector = icr & APIC_VECTOR_MASK,
		.delivery_mode = GET_APIC_DELIVERY_MODE(icr),
		.logical = icr & APIC_DEST_LOGICAL,
		.level = icr & APIC_INT_LEVELTRIG,
	};

	/* The INIT level de-assert of old MP bring-up code does nothing. */
	if ((icr & APIC_DM_FIXED_MASK) == APIC_DM_INIT &&
	    (icr & APIC_INT_LEVELTRIG) && !(icr & APIC_INT_ASSERT))
		return;
	keel_lapic_deliver(vcpu->vm, vcpu, &t, (icr >> 18) & 3);
}

static u32 keel_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1 << (id & 0xf));
}

void keel_lapic_set_tpr(struct keel_vcpu *vcpu, u8 tpr)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if ((reg_get(apic, APIC_TASKPRI) & 0xff) == tpr)
		return;
	reg_set(apic, APIC_TASKPRI, tpr);
	keel_apic_update_ppr(apic);
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
}

/* What KEEL_SET_VAPIC_ADDR's mirror holds, in KVM's layout. */
u32 keel_lapic_vapic_data(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int isr = keel_apic_highest(apic, APIC_ISR);
	int irr = keel_apic_highest(apic, APIC_IRR);

	return (reg_get(apic, APIC_TASKPRI) & 0xff) |
	       ((isr < 0 ? 0U : (u32)isr & 0xf0) << 8) |
	       ((irr < 0 ? 0U : (u32)irr) << 24);
}

/* A guest TPR access to report (KEEL_TPR_ACCESS_REPORTING), as KVM. */
static void keel_apic_tpr_accessed(struct keel_vcpu *vcpu, bool write)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if (!apic->tpr_report)
		return;
	apic->tpr_access = write;
	apic->tpr_access_rip = vcpu->arch.rip;
}

/* Register write by the guest; @off is 16-byte aligned. 1: no such register. */
static int keel_apic_reg_write(struct keel_vcpu *vcpu, u32 off, u32 val)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	bool x2 = keel_x2apic_mode(vcpu);
	u32 old;
	int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return 1;
		reg_set(apic, APIC_ID, val & 0xff000000);
		apic->routing_gen = 0;
		return 0;
	case APIC_TASKPRI:
		keel_lapic_set_tpr(vcpu, val & 0xff);
		return 0;
	case APIC_EOI:
		keel_apic_eoi(vcpu);
		return 0;
	case APIC_LDR:
		if (x2)
			return 1;
		reg_set(apic, APIC_LDR, val & APIC_LDR_MASK);
		apic->routing_gen = 0;
		return 0;
	case APIC_DFR:
		if (x2)
			return 1;
		reg_set(apic, APIC_DFR, val | 0x0fffffff);
		apic->routing_gen = 0;
		return 0;
	case APIC_SPIV:
		reg_set(apic, APIC_SPIV, val & 0x3ff);
		/* Software-disabling masks every LVT entry. */
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			for (i = 0; i < ARRAY_SIZE(keel_lvts); i++)
				reg_set(apic, keel_lvts[i].reg,
					reg_get(apic, keel_lvts[i].reg) |
					APIC_LVT_MASKED);
			keel_lapic_timer_lvtt_written(apic);
		}
		set_bit(KEEL_REQ_EVENT, &vcpu->requests);
		return 0;
	case APIC_ESR:
		reg_set(apic, APIC_ESR, 0);
		return 0;
	case APIC_ICR:
		reg_set(apic, APIC_ICR, val & ~APIC_ICR_BUSY);
		keel_apic_send_ipi(vcpu, val, x2 ? reg_get(apic, APIC_ICR2) :
					  reg_get(apic, APIC_ICR2) >> 24);
		return 0;
	case APIC_ICR2:
		if (x2)
			return 1;
		reg_set(apic, APIC_ICR2, val & 0xff000000);
		return 0;
	case APIC_TMICT:
		/* TSC-deadline mode has no initial count, as KVM. */
		if (apic->timer_mode == APIC_LVT_TIMER_TSCDEADLINE)
			return 0;
		reg_set(apic, APIC_TMICT, val);
		keel_lapic_timer_start(apic, val);
		return 0;
	case APIC_TDCR:
		reg_set(apic, APIC_TDCR, val & 0xb);
		return 0;
	case APIC_SELF_IPI:
		if (!x2)
			return 1;
		keel_apic_send_ipi(vcpu, APIC_DEST_SELF | (val & 0xff), 0);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(keel_lvts); i++) {
		if (keel_lvts[i].reg != off)
			continue;
		/* Expiries so far are raised under the LVTT they came with. */
		if (off == APIC_LVTT)
			keel_lapic_timer_deliver(apic);
		old = reg_get(apic, off);
		val &= keel_lvts[i].mask;
		/* TSC-deadline mode only with the guest's CPUID bit. */
		if (off == APIC_LVTT &&
		    !(vcpu->arch.guest_feat & KEEL_GF_TSC_DEADLINE))
			val &= ~APIC_LVT_TIMER_TSCDEADLINE;
		val |= old & (APIC_SEND_PENDING | APIC_LVT_REMOTE_IRR);
		if (!keel_apic_sw_enabled(apic))
			val |= APIC_LVT_MASKED;
		reg_set(apic, off, val);
		if (off == APIC_LVTT)
			keel_lapic_timer_lvtt_written(apic);
		return 0;
	}
	/* Read-only and reserved registers ignore xAPIC writes. */
	return x2 ? 1 : 0;
}

/* Is @off a register the guest may read in the current mode? */
static bool keel_apic_readable(struct keel_vcpu *vcpu, u32 off)
{
	bool x2 = keel_x2apic_mode(vcpu);
	int i;

	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_SPIV: case APIC_ESR: case APIC_ICR:
	case APIC_TMICT: case APIC_TMCCT: case APIC_TDCR:
		return true;
	case APIC_ARBPRI: case APIC_DFR: case APIC_ICR2:
		return !x2;
	}
	if (off >= APIC_ISR && off < APIC_IRR + 0x80)
		return true;
	for (i = 0; i < ARRAY_SIZE(keel_lvts); i++)
		if (keel_lvts[i].reg == off)
			return true;
	return false;
}

static u32 keel_apic_reg_read(struct keel_vcpu *vcpu, u32 off)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	switch (off) {
	case APIC_ID:
		return keel_x2apic_mode(vcpu) ? vcpu->vcpu_id :
					       reg_get(apic, APIC_ID);
	case APIC_PROCPRI:
		return keel_apic_ppr(apic);
	case APIC_TMCCT:
		return keel_lapic_timer_current(apic);
	}
	return reg_get(apic, off);
}

static bool keel_apic_mmio_here(struct keel_vcpu *vcpu, u64 gpa)
{
	u64 base = vcpu->arch.apic_base & PAGE_MASK &
		   ((1ULL << boot_cpu_data.x86_phys_bits) - 1);

	return vcpu->arch.apic && keel_apic_hw_enabled(vcpu) &&
	       !keel_x2apic_mode(vcpu) && gpa >= base && gpa < base + PAGE_SIZE;
}

/* xAPIC MMIO: 0 handled, -EOPNOTSUPP not the APIC's page. */
int keel_lapic_mmio_read(struct keel_vcpu *vcpu, u64 gpa, u32 len, void *val)
{
	u32 off = gpa & (PAGE_SIZE - 1), align = off & 0xf;
	u64 v = 0;

	if (!keel_apic_mmio_here(vcpu, gpa))
		return -EOPNOTSUPP;
	/* Parts of one register read as such; anything else reads 0. */
	if (align + len <= 4 && off < 0x400 &&
	    keel_apic_readable(vcpu, off & ~0xf))
		v = keel_apic_reg_read(vcpu, off & ~0xf) >> (8 * align);
	if (off == APIC_TASKPRI)
		keel_apic_tpr_accessed(vcpu, false);
	memcpy(val, &v, len);
	return 0;
}

int keel_lapic_mmio_write(struct keel_vcpu *vcpu, u64 gpa, u32 len,
			  const void *val)
{
	u32 off = gpa & (PAGE_SIZE - 1), v;

	if (!keel_apic_mmio_here(vcpu, gpa))
		return -EOPNOTSUPP;
	/* Only aligned 32-bit writes reach a register, as on KVM. */
	if (len != 4 || (off & 0xf) || off >= 0x400)
		return 0;
	memcpy(&v, val, 4);
	if (off == APIC_TASKPRI)
		keel_apic_tpr_accessed(vcpu, true);
	keel_apic_reg_write(vcpu, off, v);
	return 0;
}

bool keel_lapic_is_x2apic_msr(u32 msr)
{
	return msr >= APIC_BASE_MSR && msr < APIC_BASE_MSR + 0x100;
}

/* x2APIC MSRs exist only in x2APIC mode; -EINVAL raises #GP. */
int keel_lapic_get_x2apic_msr(struct keel_vcpu *vcpu, u32 msr, u64 *val,
			      bool host)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!vcpu->arch.apic || !keel_x2apic_mode(vcpu) ||
	    !keel_apic_readable(vcpu, off))
		return -EINVAL;
	*val = keel_apic_reg_read(vcpu, off);
	if (off == APIC_ICR)
		*val |= (u64)reg_get(vcpu->arch.apic, APIC_ICR2) << 32;
	return 0;
}

int keel_lapic_set_x2apic_msr(struct keel_vcpu *vcpu, u32 msr, u64 val,
			      bool host)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!vcpu->arch.apic || !keel_x2apic_mode(vcpu))
		return -EINVAL;
	if (off == APIC_ICR) {
		reg_set(vcpu->arch.apic, APIC_ICR2, val >> 32);
		return keel_apic_reg_write(vcpu, off, val) ? -EINVAL : 0;
	}
	/* Reserved upper halves, and EOI takes only 0, as on hardware. */
	if (val >> 32 || (off == APIC_EOI && val))
		return -EINVAL;
	if (off == APIC_TASKPRI && !host)
		keel_apic_tpr_accessed(vcpu, true);
	return keel_apic_reg_write(vcpu, off, val) ? -EINVAL : 0;
}

/*
 * APIC_BASE with an in-kernel APIC: x2APIC needs the guest's CPUID bit,
 * x2APIC without the enable bit is invalid, and a guest may not go from
 * x2APIC straight to xAPIC or from disabled straight to x2APIC (KVM's
 * rules; userspace may, to restore any state).
 */
int keel_lapic_check_base(struct keel_vcpu *vcpu, u64 val, bool host)
{
	u64 old = vcpu->arch.apic_base;
	u64 reserved = 0x2ffULL | ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);

	if (!(vcpu->arch.guest_feat & KEEL_GF_X2APIC))
		reserved |= X2APIC_ENABLE;
	if (val & reserved)
		return -EINVAL;
	if ((val & X2APIC_ENABLE) && !(val & KEEL_APIC_BASE_ENABLE))
		return -EINVAL;
	if (host)
		return 0;
	if ((old & X2APIC_ENABLE) && (val & KEEL_APIC_BASE_ENABLE) &&
	    !(val & X2APIC_ENABLE))
		return -EINVAL;
	if (!(old & KEEL_APIC_BASE_ENABLE) && (val & X2APIC_ENABLE))
		return -EINVAL;
	return 0;
}

int keel_lapic_set_base(struct keel_vcpu *vcpu, u64 val, bool host)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	u64 old = vcpu->arch.apic_base;

	if (keel_lapic_check_base(vcpu, val, host))
		return -EINVAL;
	vcpu->arch.apic_base = val;
	/* Entering a mode gives the APIC its ID in that mode's format. */
	if ((val & X2APIC_ENABLE) && !(old & X2APIC_ENABLE)) {
		reg_set(apic, APIC_ID, vcpu->vcpu_id);
		reg_set(apic, APIC_LDR, keel_x2apic_ldr(vcpu->vcpu_id));
	} else if ((val & KEEL_APIC_BASE_ENABLE) && !(val & X2APIC_ENABLE) &&
		   (!(old & KEEL_APIC_BASE_ENABLE) || (old & X2APIC_ENABLE))) {
		reg_set(apic, APIC_ID, vcpu->vcpu_id << 24);
		reg_set(apic, APIC_LDR, 0);
	}
	apic->routing_gen = 0;
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
	return 0;
}

/* Power-on state, or INIT's (@init: the APIC base and mode survive). */
void keel_lapic_reset(struct keel_vcpu *vcpu, bool init)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	int i;

	keel_lapic_timer_cancel(apic);
	memset(apic->regs, 0, PAGE_SIZE);
	if (!init)
		vcpu->arch.apic_base = keel_x86_default_apic_base(vcpu);
	/* The ID is the vCPU id, in the format of the APIC's mode (as KVM). */
	reg_set(apic, APIC_ID, keel_x2apic_mode(vcpu) ? vcpu->vcpu_id :
						       vcpu->vcpu_id << 24);
	if (keel_x2apic_mode(vcpu))
		reg_set(apic, APIC_LDR, keel_x2apic_ldr(vcpu->vcpu_id));
	reg_set(apic, APIC_LVR, KEEL_APIC_VERSION);
	reg_set(apic, APIC_DFR, 0xffffffff);
	reg_set(apic, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(keel_lvts); i++)
		reg_set(apic, keel_lvts[i].reg, APIC_LVT_MASKED);
	/*
	 * With the in-kernel PIC, the BSP's LINT0 takes its ExtINT from
	 * reset, as KVM's default (LINT0_REENABLED quirk) and firmware
	 * expect.
	 */
	if (vcpu->vm->arch.irqchip == KEEL_IRQCHIP_KERNEL &&
	    vcpu->vcpu_id == 0)
		reg_set(apic, APIC_LVT0, APIC_DM_EXTINT);
	apic->timer_mode = 0;
	apic->tsc_deadline = 0;
	atomic_set(&apic->timer_fired, 0);
	apic->extint = -1;
	apic->eoi_exit_vector = -1;
	apic->tpr_access = -1;
	apic->routing_gen = 0;	/* IDs may have changed: rescan */
	if (!init) {
		apic->events = 0;
		atomic_set(&apic->nmi_queued, 0);
	}
}

int keel_lapic_create(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic;

	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->regs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->regs) {
		kfree(apic);
		return -ENOMEM;
	}
	apic->vcpu = vcpu;
	keel_lapic_timer_init(apic);
	vcpu->arch.apic = apic;
	keel_lapic_reset(vcpu, false);
	return 0;
}

void keel_lapic_free(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return;
	keel_lapic_timer_cancel(apic);
	free_page((unsigned long)apic->regs);
	kfree(apic);
	vcpu->arch.apic = NULL;
}

/*
 * KEEL_GET_LAPIC, KEEL_SET_LAPIC: the register file. In x2APIC mode the
 * ID register holds the x2APIC ID in bits 31:24 (KVM's format without
 * KVM_CAP_X2APIC_API), and TMCCT the timer's current count.
 */
long keel_lapic_get_state(struct keel_vcpu *vcpu, void __user *u)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	struct keel_lapic_state *s;
	long r = 0;

	if (!apic)
		return -EINVAL;
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	if (keel_x2apic_mode(vcpu))
		*(u32 *)(s->regs + APIC_ID) = vcpu->vcpu_id << 24;
	*(u32 *)(s->regs + APIC_PROCPRI) = keel_apic_ppr(apic);
	*(u32 *)(s->regs + APIC_TMCCT) = keel_lapic_timer_current(apic);
	if (copy_to_user(u, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/* The bits each register may hold in a saved state; 0: must be 0. */
static u32 keel_apic_state_mask(struct keel_vcpu *vcpu, u32 off)
{
	bool x2 = keel_x2apic_mode(vcpu);
	int i;

	switch (off) {
	case APIC_ID: case APIC_LDR:
		return x2 ? 0xffffffff : 0xff000000;
	case APIC_LVR: case APIC_DFR: case APIC_PROCPRI: case APIC_TMICT:
	case APIC_TMCCT:
		return 0xffffffff;	/* checked or recomputed below */
	case APIC_TASKPRI:
		return 0xff;
	case APIC_SPIV:
		return 0x3ff;
	case APIC_ESR:
		return 0;
	case APIC_LVTCMCI:
		/* No CMCI: QEMU's model sends it masked; dropped on SET. */
		return APIC_LVT_MASKED;
	case APIC_ICR:
		return 0xcdfff & ~APIC_ICR_BUSY;
	case APIC_ICR2:
		return x2 ? 0xffffffff : 0xff000000;
	case APIC_TDCR:
		return 0xb;
	}
	if (off >= APIC_ISR && off < APIC_IRR + 0x80)
		/* Vectors 0-15 are never pending or in service. */
		return (off - APIC_ISR) % 0x80 ? 0xffffffff : 0xffff0000;
	for (i = 0; i < ARRAY_SIZE(keel_lvts); i++)
		if (keel_lvts[i].reg == off)
			return keel_lvts[i].mask | APIC_LVT_REMOTE_IRR;
	return 0;
}

static int keel_lapic_check_state(struct keel_vcpu *vcpu,
				  struct keel_lapic_state *s)
{
	u32 off, dfr = *(u32 *)(s->regs + APIC_DFR);
	u8 *b = (u8 *)s->regs;

	for (off = 0; off < sizeof(s->regs); off += 16) {
		u32 v = *(u32 *)(b + off);

		if (memchr_inv(b + off + 4, 0, 12) ||
		    (v & ~keel_apic_state_mask(vcpu, off)))
			return -EINVAL;
	}
	/* QEMU's APIC model holds no version: it sends 0 (KVM ignores it). */
	if (*(u32 *)(b + APIC_LVR) && *(u32 *)(b + APIC_LVR) != KEEL_APIC_VERSION)
		return -EINVAL;
	if ((dfr & 0x0fffffff) != 0x0fffffff ||
	    (dfr >> 28 != 0 && dfr >> 28 != 0xf))
		return -EINVAL;
	if (keel_x2apic_mode(vcpu) &&
	    (*(u32 *)(b + APIC_ID) != vcpu->vcpu_id << 24 ||
	     *(u32 *)(b + APIC_LDR) != keel_x2apic_ldr(vcpu->vcpu_id)))
		return -EINVAL;
	return 0;
}

long keel_lapic_set_state(struct keel_vcpu *vcpu, const void __user *u)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	struct keel_lapic_state *s;
	u32 tmcct;
	long r;

	if (!apic)
		return -EINVAL;
	s = memdup_user(u, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	r = keel_lapic_check_state(vcpu, s);
	if (r)
		goto out;
	keel_lapic_timer_cancel(apic);
	/* The replaced timer's expiries belong to the replaced state. */
	atomic_set(&apic->timer_fired, 0);
	tmcct = *(u32 *)(s->regs + APIC_TMCCT);
	memcpy(apic->regs, s->regs, sizeof(s->regs));
	reg_set(apic, APIC_LVR, KEEL_APIC_VERSION);
	reg_set(apic, APIC_LVTCMCI, 0);
	reg_set(apic, APIC_TMCCT, 0);
	if (keel_x2apic_mode(vcpu))
		reg_set(apic, APIC_ID, vcpu->vcpu_id);
	keel_apic_update_ppr(apic);
	apic->routing_gen = 0;
	apic->timer_mode = reg_get(apic, APIC_LVTT) & KEEL_LVT_TIMER_MODE;
	if (reg_get(apic, APIC_TMICT) &&
	    apic->timer_mode != APIC_LVT_TIMER_TSCDEADLINE)
		keel_lapic_timer_restore(apic, tmcct);
	set_bit(KEEL_REQ_EVENT, &vcpu->requests);
out:
	kfree(s);
	return r;
}
