// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: message signalled interrupts into the in-kernel local APICs:
 * KEEL_SIGNAL_MSI, MSI routes of the GSI routing table, and what a split
 * irqchip's userspace IOAPIC needs back: an exit when the guest EOIs a
 * level-triggered vector that one of its routes (GSIs below the reserved
 * pin count) sends to the vCPU (KEEL_EXIT_IOAPIC_EOI), as KVM.
 */
#include <linux/uaccess.h>

#include <keel/core.h>

#define MSI_ADDR_BASE		0xfee00000
#define MSI_ADDR_DEST(a)	(((a) >> 12) & 0xff)
#define MSI_ADDR_LOGICAL	BIT(2)
#define MSI_ADDR_VALID		(0xfff00000 | (0xff << 12) | BIT(3) | BIT(2))
#define MSI_DATA_LEVEL		BIT(15)
#define MSI_DATA_VALID		(0xff | (7 << 8) | BIT(14) | BIT(15))

/*
 * An MSI message as the APIC bus carries it. keel checks what KVM
 * ignores: the address is in the APIC's 0xfee00000 window with no
 * extended destination (keel offers neither KVM's x2APIC API nor its
 * 15-bit MSI destinations), reserved data bits are 0, and the delivery
 * mode exists for MSIs.
 */
int keel_x86_msi_decode(u32 address_lo, u32 address_hi, u32 data,
			struct keel_msi_target *t)
{
	u8 dm = (data >> 8) & 7;

	if ((address_lo & 0xfff00000) != MSI_ADDR_BASE ||
	    (address_lo & ~MSI_ADDR_VALID) || address_hi ||
	    (data & ~MSI_DATA_VALID) || dm == 3 || dm == 6)
		return -EINVAL;
	t->dest = MSI_ADDR_DEST(address_lo);
	t->logical = address_lo & MSI_ADDR_LOGICAL;
	t->vector = data & 0xff;
	t->delivery_mode = dm;
	t->level = data & MSI_DATA_LEVEL;
	return 0;
}

/* Every vCPU recomputes its EOI-exit vectors before its next entry. */
void keel_arch_irq_routing_changed(struct keel_vm *vm)
{
	WRITE_ONCE(vm->arch.routing_gen, vm->arch.routing_gen + 1);
}

/* The vectors whose EOI the userspace IOAPIC must hear about, for @vcpu. */
void keel_x86_apic_scan_eoi_exits(struct keel_vcpu *vcpu)
{
	struct keel_lapic *apic = vcpu->arch.apic;
	struct keel_vm *vm = vcpu->vm;
	u32 gen = READ_ONCE(vm->arch.routing_gen), i;
	const struct keel_irq_table *rt;
	struct keel_msi_target t;

	if (apic->routing_gen == gen)
		return;
	apic->routing_gen = gen;
	bitmap_zero(apic->eoi_exit, 256);
	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routing);
	for (i = 0; rt && i < rt->nr; i++) {
		const struct keel_irq_route *r = &rt->e[i];

		if (r->type != KEEL_IRQ_ROUTING_MSI ||
		    r->gsi >= vm->arch.nr_ioapic_pins ||
		    keel_x86_msi_decode(r->msi.address_lo, r->msi.address_hi,
					r->msi.data, &t))
			continue;
		if (t.level && keel_lapic_is_target(vcpu, &t))
			set_bit(t.vector, apic->eoi_exit);
	}
	rcu_read_unlock();
}

/*
 * KEEL_SIGNAL_MSI: returns how many local APICs took the message (0 if
 * none matched or all were disabled).
 */
long keel_x86_signal_msi(struct keel_vm *vm, const struct keel_msi __user *u)
{
	struct keel_msi_target t;
	struct keel_msi m;

	if (copy_from_user(&m, u, sizeof(m)))
		return -EFAULT;
	if (vm->arch.irqchip == KEEL_IRQCHIP_NONE || m.flags || m.devid ||
	    memchr_inv(m.pad, 0, sizeof(m.pad)))
		return -EINVAL;
	if (keel_x86_msi_decode(m.address_lo, m.address_hi, m.data, &t))
		return -EINVAL;
	return keel_lapic_deliver(vm, NULL, &t, 0);
}
