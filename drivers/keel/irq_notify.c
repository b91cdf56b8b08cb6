// SPDX-License-Identifier: GPL-2.0
/*
 * keel: what in-kernel devices hear of an interrupt controller's pins.
 *
 * An interrupt controller reports its pin (irqchip, pin) when the guest
 * acknowledges it (EOI) and when the guest masks or unmasks it; the GSIs
 * routed to that pin hear it: resampling irqfds lower their line and ask
 * userspace, and registered notifiers (the PIT's tick reinjection) run.
 * As KVM's ack and mask notifiers.
 */
#include <linux/rculist.h>

#include <keel/core.h>

/*
 * Tells the GSIs routed to (@irqchip, @pin) that the guest acknowledged
 * it (@ack) or changed its mask to @masked.
 */
static void keel_irq_notify(struct keel_vm *vm, u32 irqchip, u32 pin,
			    bool ack, bool masked)
{
	const struct keel_irq_table *rt;
	struct keel_irq_notifier *n;
	u32 i;

	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routing);
	for (i = 0; rt && i < rt->nr; i++) {
		const struct keel_irq_route *r = &rt->e[i];

		if (r->type != KEEL_IRQ_ROUTING_IRQCHIP ||
		    r->irqchip.irqchip != irqchip || r->irqchip.pin != pin)
			continue;
		if (ack)
			keel_irqfd_resample(vm, r->gsi);
		hlist_for_each_entry_rcu(n, &vm->irq_notifiers, link) {
			if (n->gsi != r->gsi)
				continue;
			if (ack && n->acked)
				n->acked(n);
			else if (!ack && n->masked)
				n->masked(n, masked);
		}
	}
	rcu_read_unlock();
}

/* The guest acknowledged (EOI) pin @pin of interrupt controller @irqchip. */
void keel_irq_acked(struct keel_vm *vm, u32 irqchip, u32 pin)
{
	if (!list_empty(&vm->resamplers) || !hlist_empty(&vm->irq_notifiers))
		keel_irq_notify(vm, irqchip, pin, true, false);
}

/*
 * The guest masked or unmasked pin @pin of @irqchip. Called under the
 * interrupt controller's lock: notifiers must not drive a line.
 */
void keel_irq_mask_changed(struct keel_vm *vm, u32 irqchip, u32 pin,
			   bool masked)
{
	if (!hlist_empty(&vm->irq_notifiers))
		keel_irq_notify(vm, irqchip, pin, false, masked);
}

void keel_irq_notifier_register(struct keel_vm *vm, struct keel_irq_notifier *n)
{
	mutex_lock(&vm->irq_lock);
	hlist_add_head_rcu(&n->link, &vm->irq_notifiers);
	mutex_unlock(&vm->irq_lock);
}

/* After it returns, @n runs nowhere and may be freed. */
void keel_irq_notifier_unregister(struct keel_vm *vm,
				  struct keel_irq_notifier *n)
{
	mutex_lock(&vm->irq_lock);
	hlist_del_init_rcu(&n->link);
	mutex_unlock(&vm->irq_lock);
	synchronize_rcu();
}
