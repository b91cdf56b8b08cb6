// SPDX-License-Identifier: GPL-2.0
/*
 * keel: the VM's GSI routing table (KEEL_SET_GSI_ROUTING). Each GSI maps
 * to interrupt controller pins or to an MSI. The table is replaced whole:
 * checked first, then published under RCU, so interrupt sources (irqfds)
 * read it without a lock and a refused table changes nothing.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include <keel/core.h>

static int keel_route_cmp(const void *a, const void *b)
{
	const struct keel_irq_route *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

/* The fields an entry's type does not use must be zero. */
static int keel_route_entry_check(struct keel_vm *vm,
				  const struct keel_irq_routing_entry *ue)
{
	const u32 *w = ue->u.pad;
	int used, i;

	if (ue->gsi >= KEEL_MAX_IRQ_ROUTES || ue->flags || ue->pad)
		return -EINVAL;
	switch (ue->type) {
	case KEEL_IRQ_ROUTING_IRQCHIP:
		used = 2;
		break;
	case KEEL_IRQ_ROUTING_MSI:
		if (ue->u.msi.pad)
			return -EINVAL;
		used = 4;
		break;
	default:
		return -EINVAL;
	}
	for (i = used; i < ARRAY_SIZE(ue->u.pad); i++)
		if (w[i])
			return -EINVAL;
	return keel_arch_irq_route_check(vm, ue);
}

static void keel_route_from_user(struct keel_irq_route *r,
				 const struct keel_irq_routing_entry *ue)
{
	r->gsi = ue->gsi;
	r->type = ue->type;
	if (ue->type == KEEL_IRQ_ROUTING_IRQCHIP) {
		r->irqchip.irqchip = ue->u.irqchip.irqchip;
		r->irqchip.pin = ue->u.irqchip.pin;
	} else {
		r->msi.address_lo = ue->u.msi.address_lo;
		r->msi.address_hi = ue->u.msi.address_hi;
		r->msi.data = ue->u.msi.data;
	}
}

/*
 * As KVM: a GSI may go to pins of several interrupt controllers, one
 * each, but an MSI route must be its GSI's only one. @r is sorted.
 */
static int keel_routes_conflict(const struct keel_irq_route *r, u32 nr)
{
	u32 i, j;

	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && r[j].gsi == r[i].gsi; j++) {
			u32 k;

			if (r[j].type != KEEL_IRQ_ROUTING_IRQCHIP ||
			    r[i].type != KEEL_IRQ_ROUTING_IRQCHIP)
				return -EINVAL;
			for (k = i; k < j; k++)
				if (r[k].irqchip.irqchip == r[j].irqchip.irqchip)
					return -EINVAL;
		}
	}
	return 0;
}

/* Publish @new (checked, sorted) in place of the current table. */
void keel_irq_routing_install(struct keel_vm *vm, struct keel_irq_table *new)
{
	struct keel_irq_table *old;

	mutex_lock(&vm->irq_lock);
	old = rcu_dereference_protected(vm->irq_routing,
					lockdep_is_held(&vm->irq_lock));
	rcu_assign_pointer(vm->irq_routing, new);
	keel_arch_irq_routing_changed(vm);
	mutex_unlock(&vm->irq_lock);
	if (old)
		kvfree_rcu(old, rcu);
}

long keel_vm_set_gsi_routing(struct keel_vm *vm,
			     struct keel_irq_routing __user *u)
{
	struct keel_irq_routing_entry *ue = NULL;
	struct keel_irq_table *new;
	struct keel_irq_routing hdr;
	long r;
	u32 i;

	if (!keel_arch_irq_routing_allowed(vm))
		return -EINVAL;
	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nr > KEEL_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_user(u->entries, array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	r = -ENOMEM;
	new = kvzalloc(struct_size(new, e, hdr.nr), GFP_KERNEL_ACCOUNT);
	if (!new)
		goto out;
	new->nr = hdr.nr;
	for (i = 0; i < hdr.nr; i++) {
		r = keel_route_entry_check(vm, &ue[i]);
		if (r)
			goto out_free;
		keel_route_from_user(&new->e[i], &ue[i]);
	}
	sort(new->e, new->nr, sizeof(new->e[0]), keel_route_cmp, NULL);
	r = keel_routes_conflict(new->e, new->nr);
	if (r)
		goto out_free;

	keel_irq_routing_install(vm, new);
	r = 0;
	goto out;

out_free:
	kvfree(new);
out:
	kvfree(ue);
	return r;
}

void keel_irq_routing_free(struct keel_vm *vm)
{
	kvfree(rcu_dereference_protected(vm->irq_routing, true));
}

/* The routes of @gsi in @rt (sorted by GSI): the first, and how many. */
const struct keel_irq_route *keel_irq_routes(const struct keel_irq_table *rt,
					     u32 gsi, u32 *n)
{
	u32 lo = 0, hi = rt ? rt->nr : 0, i;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (rt->e[mid].gsi < gsi)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; rt && i < rt->nr && rt->e[i].gsi == gsi; i++)
		;
	*n = i - lo;
	return *n ? &rt->e[lo] : NULL;
}

/*
 * Drive @gsi's line from @src on every route it has. As KVM, the status
 * sums what the routes report, ignoring the ones that held the
 * interrupt back (-1), and is -1 if all did or there is no route.
 */
int keel_irq_set(struct keel_vm *vm, int src, u32 gsi, bool level)
{
	const struct keel_irq_route *r;
	int ret = -1, s;
	u32 n;

	rcu_read_lock();
	r = keel_irq_routes(rcu_dereference(vm->irq_routing), gsi, &n);
	for (; n; n--, r++) {
		s = keel_arch_set_irq(vm, r, src, level);
		if (s >= 0)
			ret = s + (ret < 0 ? 0 : ret);
	}
	rcu_read_unlock();
	return ret;
}

/* KEEL_IRQ_LINE and KEEL_IRQ_LINE_STATUS (@status: report it). */
long keel_vm_irq_line(struct keel_vm *vm, struct keel_irq_level __user *u,
		      bool status)
{
	struct keel_irq_level l;

	if (copy_from_user(&l, u, sizeof(l)))
		return -EFAULT;
	if (!keel_arch_irq_routing_allowed(vm))
		return -ENXIO;
	if (l.irq >= KEEL_MAX_IRQ_ROUTES || l.level > 1)
		return -EINVAL;
	l.status = keel_irq_set(vm, KEEL_IRQ_SRC_USER, l.irq, l.level);
	if (status && put_user(l.status, &u->status))
		return -EFAULT;
	return 0;
}
