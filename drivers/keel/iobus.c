// SPDX-License-Identifier: GPL-2.0
/*
 * keel: the in-kernel I/O buses. Each bus is an array of address ranges
 * sorted by start, replaced as a whole under vm->io_lock and read under
 * RCU, so a vCPU finds the device for an access without taking a lock.
 * An unregistered device is first switched, in place, to one that
 * handles nothing; removal itself never has to allocate.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/overflow.h>

#include <keel/core.h>

struct keel_io_range {
	u64 addr;
	u64 end;		/* exclusive */
	struct keel_io_device *dev;
};

struct keel_io_bus {
	struct rcu_head rcu;
	u32 nr;
	u64 max_len;		/* longest range: how far back a lookup looks */
	struct keel_io_range range[];
};

static int keel_io_dead_read(struct keel_vcpu *vcpu, struct keel_io_device *dev,
			     u64 addr, u32 len, void *val)
{
	return -EOPNOTSUPP;
}

static int keel_io_dead_write(struct keel_vcpu *vcpu,
			      struct keel_io_device *dev, u64 addr, u32 len,
			      const void *val)
{
	return -EOPNOTSUPP;
}

static const struct keel_io_device_ops keel_io_dead_ops = {
	.read = keel_io_dead_read,
	.write = keel_io_dead_write,
};

static struct keel_io_device keel_io_dead = { .ops = &keel_io_dead_ops };

static struct keel_io_bus *keel_io_bus_locked(struct keel_vm *vm,
					      enum keel_bus bus)
{
	return rcu_dereference_protected(vm->buses[bus],
					 lockdep_is_held(&vm->io_lock));
}

/*
 * Add @dev for [@addr, @addr + @len); @len 0 claims @addr alone. Called
 * with vm->io_lock held.
 */
int keel_io_bus_register(struct keel_vm *vm, enum keel_bus bus, u64 addr,
			 u32 len, struct keel_io_device *dev)
{
	struct keel_io_bus *old = keel_io_bus_locked(vm, bus), *new;
	u64 end = addr + max_t(u32, len, 1);
	u32 i, n = 0, live = 0;
	bool placed = false;

	lockdep_assert_held(&vm->io_lock);
	if (end <= addr)
		return -EINVAL;
	/* No limit but memory, as KVM for ioeventfds (a VMM may want many). */
	for (i = 0; old && i < old->nr; i++)
		live += old->range[i].dev != &keel_io_dead;

	new = kvzalloc(struct_size(new, range, live + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	for (i = 0; old && i < old->nr; i++) {
		const struct keel_io_range *r = &old->range[i];

		if (r->dev == &keel_io_dead)
			continue;
		if (!placed && r->addr > addr) {
			new->range[n++] = (struct keel_io_range){ addr, end, dev };
			placed = true;
		}
		new->range[n++] = *r;
	}
	if (!placed)
		new->range[n++] = (struct keel_io_range){ addr, end, dev };
	new->nr = n;
	for (i = 0; i < n; i++)
		new->max_len = max(new->max_len,
				   new->range[i].end - new->range[i].addr);

	rcu_assign_pointer(vm->buses[bus], new);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

/*
 * Remove @dev. Called with vm->io_lock held; the caller waits for
 * synchronize_rcu() before freeing @dev.
 */
void keel_io_bus_unregister(struct keel_vm *vm, enum keel_bus bus,
			    struct keel_io_device *dev)
{
	struct keel_io_bus *b = keel_io_bus_locked(vm, bus);
	u32 i;

	lockdep_assert_held(&vm->io_lock);
	for (i = 0; b && i < b->nr; i++)
		if (b->range[i].dev == dev)
			WRITE_ONCE(b->range[i].dev, &keel_io_dead);
}

static int keel_io_bus_access(struct keel_vcpu *vcpu, enum keel_bus bus,
			      u64 addr, u32 len, void *val, bool write)
{
	struct keel_io_bus *b;
	u32 lo, hi, i;
	int r = -EOPNOTSUPP;

	rcu_read_lock();
	b = rcu_dereference(vcpu->vm->buses[bus]);
	if (!b)
		goto out;
	/* lo: the first range that starts after @addr. */
	for (lo = 0, hi = b->nr; lo < hi;) {
		u32 mid = lo + (hi - lo) / 2;

		if (b->range[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > 0;) {
		const struct keel_io_range *rg = &b->range[i];
		struct keel_io_device *dev;

		if (rg->addr + b->max_len <= addr)
			break;
		if (addr >= rg->end)
			continue;
		dev = READ_ONCE(rg->dev);
		r = write ? dev->ops->write(vcpu, dev, addr, len, val) :
			    dev->ops->read(vcpu, dev, addr, len, val);
		if (r != -EOPNOTSUPP)
			break;
	}
out:
	rcu_read_unlock();
	return r;
}

/* 0 if an in-kernel device handled the access, else -EOPNOTSUPP. */
int keel_io_bus_read(struct keel_vcpu *vcpu, enum keel_bus bus, u64 addr,
		     u32 len, void *val)
{
	return keel_io_bus_access(vcpu, bus, addr, len, val, false);
}

int keel_io_bus_write(struct keel_vcpu *vcpu, enum keel_bus bus, u64 addr,
		      u32 len, const void *val)
{
	return keel_io_bus_access(vcpu, bus, addr, len, (void *)val, true);
}

/* VM teardown: no vCPU is left to look anything up. */
void keel_io_buses_free(struct keel_vm *vm)
{
	int i;

	for (i = 0; i < KEEL_NR_BUSES; i++)
		kvfree(rcu_dereference_protected(vm->buses[i], true));
}
