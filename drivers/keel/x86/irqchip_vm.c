// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: KEEL_CREATE_IRQCHIP and the controllers' state.
 *
 * KEEL_CREATE_IRQCHIP gives the VM what KVM's does: a local APIC per
 * vCPU, a pair of 8259 PICs and an IOAPIC, wired by the default GSI
 * routing table. KEEL_GET_IRQCHIP and KEEL_SET_IRQCHIP save and restore
 * the PICs and the IOAPIC (the local APICs have KEEL_GET/SET_LAPIC).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <keel/core.h>
#include <keel/irqchip.h>

long keel_x86_create_irqchip(struct keel_vm *vm)
{
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->arch.irqchip)
		goto out;
	/* As KVM: -EINVAL once a vCPU exists. */
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = keel_pic_create(vm);
	if (r)
		goto out;
	r = keel_ioapic_create(vm);
	if (r)
		goto out_pic;
	r = keel_x86_default_routing(vm);
	if (r)
		goto out_ioapic;
	/* Nothing injects before irqchip is set: the controllers go first. */
	smp_wmb();
	vm->arch.irqchip = KEEL_IRQCHIP_KERNEL;
	vm->arch.routing_gen = 1;
	goto out;
out_ioapic:
	keel_ioapic_free(vm);
out_pic:
	keel_pic_free(vm);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* VM teardown, once no vCPU or irqfd can reach the controllers. */
void keel_x86_irqchip_free(struct keel_vm *vm)
{
	keel_pit_free(vm);
	keel_ioapic_free(vm);
	keel_pic_free(vm);
}

bool keel_arch_irqfd_resample_allowed(struct keel_vm *vm)
{
	return vm->arch.irqchip == KEEL_IRQCHIP_KERNEL;
}

/*
 * As KVM, only chip_id is read besides the state: QEMU passes the rest
 * of the union and pad uninitialised, so keel ignores them and returns
 * them zeroed.
 */
long keel_x86_get_irqchip(struct keel_vm *vm, struct keel_irqchip __user *u)
{
	struct keel_irqchip *c;
	long r = 0;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	if (get_user(c->chip_id, &u->chip_id)) {
		r = -EFAULT;
		goto out;
	}
	if (vm->arch.irqchip != KEEL_IRQCHIP_KERNEL) {
		r = -ENXIO;
		goto out;
	}
	switch (c->chip_id) {
	case KEEL_IRQCHIP_PIC_MASTER:
	case KEEL_IRQCHIP_PIC_SLAVE:
		keel_pic_get(vm, c->chip_id, &c->chip.pic);
		break;
	case KEEL_IRQCHIP_IOAPIC:
		keel_ioapic_get(vm, &c->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (copy_to_user(u, c, sizeof(*c)))
		r = -EFAULT;
out:
	kfree(c);
	return r;
}

long keel_x86_set_irqchip(struct keel_vm *vm,
			  const struct keel_irqchip __user *u)
{
	struct keel_irqchip *c;
	long r;

	c = memdup_user(u, sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	r = -ENXIO;
	if (vm->arch.irqchip != KEEL_IRQCHIP_KERNEL)
		goto out;
	switch (c->chip_id) {
	case KEEL_IRQCHIP_PIC_MASTER:
	case KEEL_IRQCHIP_PIC_SLAVE:
		r = keel_pic_set(vm, c->chip_id, &c->chip.pic);
		break;
	case KEEL_IRQCHIP_IOAPIC:
		r = keel_ioapic_set(vm, &c->chip.ioapic);
		break;
	default:
		r = -EINVAL;
	}
out:
	kfree(c);
	return r;
}
