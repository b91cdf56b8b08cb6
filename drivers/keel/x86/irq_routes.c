// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: what the GSI routing table's entries mean. An IRQCHIP entry
 * is a pin of the in-kernel PIC pair or IOAPIC (KEEL_CREATE_IRQCHIP
 * only); an MSI entry is a message to the local APICs, sent when its
 * line rises. KEEL_CREATE_IRQCHIP starts with KVM's default table:
 * GSIs 0-15 to the PIC pin and the IOAPIC pin of the same number,
 * GSIs 16-23 to the IOAPIC alone.
 */
#include <linux/slab.h>

#include <keel/core.h>
#include <keel/irqchip.h>

bool keel_arch_irq_routing_allowed(struct keel_vm *vm)
{
	return vm->arch.irqchip != KEEL_IRQCHIP_NONE;
}

int keel_arch_irq_route_check(struct keel_vm *vm,
			      const struct keel_irq_routing_entry *ue)
{
	u32 pin = ue->u.irqchip.pin;

	/*
	 * An MSI route holds what the guest wrote into a device (QEMU also
	 * installs all-zero placeholders): any message is taken, and one
	 * that is not an interrupt message is dropped when its line rises.
	 */
	if (ue->type == KEEL_IRQ_ROUTING_MSI)
		return 0;
	/* A split irqchip has no in-kernel pins. */
	if (vm->arch.irqchip != KEEL_IRQCHIP_KERNEL)
		return -EINVAL;
	switch (ue->u.irqchip.irqchip) {
	case KEEL_IRQCHIP_PIC_MASTER:
	case KEEL_IRQCHIP_PIC_SLAVE:
		return pin < 8 ? 0 : -EINVAL;
	case KEEL_IRQCHIP_IOAPIC:
		return pin < KEEL_IOAPIC_NUM_PINS ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* Drive route @r's line from @src; KVM's status for KEEL_IRQ_LINE_STATUS. */
int keel_arch_set_irq(struct keel_vm *vm, const struct keel_irq_route *r,
		      int src, bool level)
{
	struct keel_msi_target t;

	if (r->type == KEEL_IRQ_ROUTING_MSI) {
		if (!level || keel_x86_msi_decode(r->msi.address_lo,
						  r->msi.address_hi,
						  r->msi.data, &t))
			return -1;
		return keel_lapic_deliver(vm, NULL, &t, 0);
	}
	switch (r->irqchip.irqchip) {
	case KEEL_IRQCHIP_PIC_MASTER:
		return keel_pic_set_irq(vm, r->irqchip.pin, src, level);
	case KEEL_IRQCHIP_PIC_SLAVE:
		return keel_pic_set_irq(vm, 8 + r->irqchip.pin, src, level);
	case KEEL_IRQCHIP_IOAPIC:
		return keel_ioapic_set_irq(vm, r->irqchip.pin, src, level);
	}
	return -1;
}

int keel_x86_default_routing(struct keel_vm *vm)
{
	struct keel_irq_table *rt;
	u32 gsi, n = 0;

	rt = kvzalloc(struct_size(rt, e, KEEL_PIC_PINS + KEEL_IOAPIC_NUM_PINS),
		      GFP_KERNEL_ACCOUNT);
	if (!rt)
		return -ENOMEM;
	for (gsi = 0; gsi < KEEL_IOAPIC_NUM_PINS; gsi++) {
		if (gsi < KEEL_PIC_PINS) {
			rt->e[n].gsi = gsi;
			rt->e[n].type = KEEL_IRQ_ROUTING_IRQCHIP;
			rt->e[n].irqchip.irqchip = gsi < 8 ?
				KEEL_IRQCHIP_PIC_MASTER : KEEL_IRQCHIP_PIC_SLAVE;
			rt->e[n].irqchip.pin = gsi % 8;
			n++;
		}
		rt->e[n].gsi = gsi;
		rt->e[n].type = KEEL_IRQ_ROUTING_IRQCHIP;
		rt->e[n].irqchip.irqchip = KEEL_IRQCHIP_IOAPIC;
		rt->e[n].irqchip.pin = gsi;
		n++;
	}
	rt->nr = n;
	keel_irq_routing_install(vm, rt);
	return 0;
}
