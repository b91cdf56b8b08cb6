// SPDX-License-Identifier: GPL-2.0
/*
 * keel: KEEL_IOEVENTFD. A guest write to a registered address or port
 * signals an eventfd and the guest carries on, with no exit to userspace;
 * this is how a VMM's I/O threads (vhost, virtio backends) hear a
 * doorbell. Matching follows KVM: the address must be equal, the length
 * too unless it was registered as 0, and the value with DATAMATCH.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <keel/core.h>
#include <keel/compat.h>

struct keel_ioeventfd_dev {
	struct list_head list;
	struct keel_io_device dev;
	struct eventfd_ctx *eventfd;
	enum keel_bus bus;
	u64 addr;
	u32 len;		/* 0: any length */
	bool wildcard;		/* no DATAMATCH */
	u64 datamatch;
};

#define KEEL_IOEVENTFD_VALID_FLAGS	(KEEL_IOEVENTFD_FLAG_DATAMATCH | \
					 KEEL_IOEVENTFD_FLAG_PIO | \
					 KEEL_IOEVENTFD_FLAG_DEASSIGN)

static struct keel_ioeventfd_dev *to_ioeventfd(struct keel_io_device *dev)
{
	return container_of(dev, struct keel_ioeventfd_dev, dev);
}

static int keel_ioeventfd_write(struct keel_vcpu *vcpu,
				struct keel_io_device *dev, u64 addr, u32 len,
				const void *val)
{
	struct keel_ioeventfd_dev *p = to_ioeventfd(dev);
	u64 v = 0;

	if (addr != p->addr || (p->len && len != p->len))
		return -EOPNOTSUPP;
	if (!p->wildcard) {
		memcpy(&v, val, min_t(u32, len, sizeof(v)));
		if (v != p->datamatch)
			return -EOPNOTSUPP;
	}
	keel_eventfd_signal(p->eventfd);
	return 0;
}

/* Reads are never an ioeventfd's: they go on to userspace. */
static int keel_ioeventfd_read(struct keel_vcpu *vcpu,
			       struct keel_io_device *dev, u64 addr, u32 len,
			       void *val)
{
	return -EOPNOTSUPP;
}

static const struct keel_io_device_ops keel_ioeventfd_ops = {
	.read = keel_ioeventfd_read,
	.write = keel_ioeventfd_write,
};

/*
 * KVM's checks, plus keel's: no unknown flag (KVM takes virtio-ccw's on
 * every architecture), zero padding, ports that exist, and a datamatch
 * that fits the length (KVM accepts one that can never match).
 */
static int keel_ioeventfd_check(const struct keel_ioeventfd *a)
{
	u64 limit = (a->flags & KEEL_IOEVENTFD_FLAG_PIO) ? 0x10000 :
			(keel_arch_max_gfn() + 1) << PAGE_SHIFT;

	if (a->flags & ~KEEL_IOEVENTFD_VALID_FLAGS)
		return -EINVAL;
	if (memchr_inv(a->pad, 0, sizeof(a->pad)))
		return -EINVAL;
	if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
	    a->len != 8)
		return -EINVAL;
	if (a->addr >= limit || a->len > limit - a->addr)
		return -EINVAL;
	if (a->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH) {
		if (!a->len)
			return -EINVAL;
		if (a->len < 8 && a->datamatch >> (8 * a->len))
			return -EINVAL;
	}
	return 0;
}

/* Two registrations one access could both match are refused. */
static bool keel_ioeventfd_collides(struct keel_vm *vm,
				    const struct keel_ioeventfd_dev *p)
{
	struct keel_ioeventfd_dev *q;

	list_for_each_entry(q, &vm->ioeventfds, list)
		if (q->bus == p->bus && q->addr == p->addr &&
		    (!q->len || !p->len ||
		     (q->len == p->len &&
		      (q->wildcard || p->wildcard ||
		       q->datamatch == p->datamatch))))
			return true;
	return false;
}

static int keel_ioeventfd_assign(struct keel_vm *vm,
				 const struct keel_ioeventfd *a,
				 struct eventfd_ctx *eventfd)
{
	struct keel_ioeventfd_dev *p;
	int r;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->dev.ops = &keel_ioeventfd_ops;
	p->eventfd = eventfd;
	p->bus = (a->flags & KEEL_IOEVENTFD_FLAG_PIO) ? KEEL_PIO_BUS :
						       KEEL_MMIO_BUS;
	p->addr = a->addr;
	p->len = a->len;
	p->wildcard = !(a->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH);
	p->datamatch = p->wildcard ? 0 : a->datamatch;

	mutex_lock(&vm->io_lock);
	if (keel_ioeventfd_collides(vm, p))
		r = -EEXIST;
	else
		r = keel_io_bus_register(vm, p->bus, p->addr, p->len, &p->dev);
	if (!r)
		list_add_tail(&p->list, &vm->ioeventfds);
	mutex_unlock(&vm->io_lock);
	if (r)
		kfree(p);
	return r;
}

static int keel_ioeventfd_deassign(struct keel_vm *vm,
				   const struct keel_ioeventfd *a,
				   struct eventfd_ctx *eventfd)
{
	enum keel_bus bus = (a->flags & KEEL_IOEVENTFD_FLAG_PIO) ?
			    KEEL_PIO_BUS : KEEL_MMIO_BUS;
	bool wildcard = !(a->flags & KEEL_IOEVENTFD_FLAG_DATAMATCH);
	struct keel_ioeventfd_dev *p, *found = NULL;

	mutex_lock(&vm->io_lock);
	list_for_each_entry(p, &vm->ioeventfds, list) {
		if (p->bus != bus || p->eventfd != eventfd ||
		    p->addr != a->addr || p->len != a->len ||
		    p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != a->datamatch))
			continue;
		keel_io_bus_unregister(vm, bus, &p->dev);
		list_del(&p->list);
		found = p;
		break;
	}
	mutex_unlock(&vm->io_lock);
	if (!found)
		return -ENOENT;
	/* No vCPU may still be inside the device when it is freed. */
	synchronize_rcu();
	eventfd_ctx_put(found->eventfd);
	kfree(found);
	return 0;
}

long keel_vm_ioeventfd(struct keel_vm *vm, const struct keel_ioeventfd __user *u)
{
	struct eventfd_ctx *eventfd;
	struct keel_ioeventfd a;
	int r;

	if (copy_from_user(&a, u, sizeof(a)))
		return -EFAULT;
	r = keel_ioeventfd_check(&a);
	if (r)
		return r;
	eventfd = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	if (a.flags & KEEL_IOEVENTFD_FLAG_DEASSIGN) {
		r = keel_ioeventfd_deassign(vm, &a, eventfd);
		eventfd_ctx_put(eventfd);	/* the lookup's reference */
		return r;
	}
	r = keel_ioeventfd_assign(vm, &a, eventfd);
	if (r)
		eventfd_ctx_put(eventfd);
	return r;
}

/* VM teardown, after its vCPUs are gone. */
void keel_ioeventfds_free(struct keel_vm *vm)
{
	struct keel_ioeventfd_dev *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vm->ioeventfds, list) {
		eventfd_ctx_put(p->eventfd);
		kfree(p);
	}
}
