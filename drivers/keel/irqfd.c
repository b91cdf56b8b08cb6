// SPDX-License-Identifier: GPL-2.0
/*
 * keel: KEEL_IRQFD. Signalling an eventfd raises a GSI, routed by the
 * VM's GSI routing table, without a vCPU thread or an ioctl in the path:
 * this is how vhost and VFIO deliver device interrupts.
 *
 * keel waits on the eventfd with its own wait queue entry. The wake-up
 * runs in the signaller's context with the eventfd's lock held: it
 * consumes the count and injects through the routing table, read under
 * RCU. An irqfd goes away when userspace deassigns it, when its eventfd
 * is closed (EPOLLHUP) or with its VM; removal from the eventfd's wait
 * queue happens in a work item, and deassign and VM teardown wait for it,
 * so nothing is injected into a VM after either returns.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <keel/core.h>

struct keel_irqfd_dev {
	struct keel_vm *vm;
	struct eventfd_ctx *eventfd;
	u32 gsi;
	struct list_head list;		/* in vm->irqfds while active */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
};

static struct workqueue_struct *keel_irqfd_wq;

/* The routes of @gsi in @rt (sorted by GSI): the first, and how many. */
static const struct keel_irq_route *
keel_irq_routes(const struct keel_irq_table *rt, u32 gsi, u32 *n)
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

/* Raise @gsi on every route it has; a GSI without routes goes nowhere. */
static void keel_irqfd_inject(struct keel_irqfd_dev *irqfd)
{
	const struct keel_irq_route *r;
	u32 n;

	rcu_read_lock();
	r = keel_irq_routes(rcu_dereference(irqfd->vm->irq_routing),
			    irqfd->gsi, &n);
	for (; n; n--, r++)
		keel_arch_irqfd_inject(irqfd->vm, r);
	rcu_read_unlock();
}

static void keel_irqfd_shutdown(struct work_struct *work)
{
	struct keel_irqfd_dev *irqfd = container_of(work, struct keel_irqfd_dev,
						shutdown);
	u64 cnt;

	/* Once off the wait queue, no wake-up can still be running. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* Called with vm->irqfds_lock held. */
static void keel_irqfd_deactivate(struct keel_irqfd_dev *irqfd)
{
	if (list_empty(&irqfd->list))
		return;
	list_del_init(&irqfd->list);
	queue_work(keel_irqfd_wq, &irqfd->shutdown);
}

static int keel_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct keel_irqfd_dev *irqfd = container_of(wait, struct keel_irqfd_dev, wait);
	__poll_t flags = key_to_poll(key);
	struct keel_vm *vm = irqfd->vm;
	unsigned long irqflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		keel_irqfd_inject(irqfd);
	}
	if (flags & EPOLLHUP) {
		spin_lock_irqsave(&vm->irqfds_lock, irqflags);
		keel_irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irqfds_lock, irqflags);
	}
	return 0;
}

static void keel_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct keel_irqfd_dev *irqfd = container_of(pt, struct keel_irqfd_dev, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

static int keel_irqfd_assign(struct keel_vm *vm, const struct keel_irqfd *a)
{
	struct keel_irqfd_dev *irqfd, *p;
	struct file *file;
	__poll_t events;
	int r;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = a->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_WORK(&irqfd->shutdown, keel_irqfd_shutdown);

	file = fget(a->fd);
	if (!file) {
		r = -EBADF;
		goto out_free;
	}
	irqfd->eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(irqfd->eventfd)) {
		r = PTR_ERR(irqfd->eventfd);
		goto out_fput;
	}
	init_waitqueue_func_entry(&irqfd->wait, keel_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, keel_irqfd_queue);

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry(p, &vm->irqfds, list) {
		if (p->eventfd == irqfd->eventfd) {
			spin_unlock_irq(&vm->irqfds_lock);
			r = -EBUSY;
			goto out_put;
		}
	}
	list_add_tail(&irqfd->list, &vm->irqfds);
	spin_unlock_irq(&vm->irqfds_lock);

	/* Queue on the eventfd; a signal that came first is taken now. */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		keel_irqfd_inject(irqfd);
	fput(file);
	return 0;

out_put:
	eventfd_ctx_put(irqfd->eventfd);
out_fput:
	fput(file);
out_free:
	kfree(irqfd);
	return r;
}

static int keel_irqfd_deassign(struct keel_vm *vm,
			       const struct keel_irqfd *a)
{
	struct eventfd_ctx *eventfd;
	struct keel_irqfd_dev *p, *tmp;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry_safe(p, tmp, &vm->irqfds, list) {
		if (p->eventfd == eventfd && p->gsi == a->gsi) {
			keel_irqfd_deactivate(p);
			r = 0;
		}
	}
	spin_unlock_irq(&vm->irqfds_lock);
	eventfd_ctx_put(eventfd);
	/* After DEASSIGN returns, the eventfd raises nothing. */
	flush_workqueue(keel_irqfd_wq);
	return r;
}

long keel_vm_irqfd(struct keel_vm *vm, const struct keel_irqfd __user *u)
{
	struct keel_irqfd a;
	long r;

	if (copy_from_user(&a, u, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~KEEL_IRQFD_FLAG_DEASSIGN)
		return -EINVAL;
	if (a.resamplefd || memchr_inv(a.pad, 0, sizeof(a.pad)) ||
	    a.gsi >= KEEL_MAX_IRQ_ROUTES)
		return -EINVAL;
	/*
	 * One at a time: a DEASSIGN racing an assignment could otherwise
	 * free the irqfd while the assignment still queues it.
	 */
	mutex_lock(&vm->irq_lock);
	if (a.flags & KEEL_IRQFD_FLAG_DEASSIGN)
		r = keel_irqfd_deassign(vm, &a);
	else if (!keel_arch_irq_routing_allowed(vm))
		r = -EINVAL;
	else
		r = keel_irqfd_assign(vm, &a);
	mutex_unlock(&vm->irq_lock);
	return r;
}

/* VM teardown: every irqfd is off its eventfd before the VM is freed. */
void keel_irqfds_free(struct keel_vm *vm)
{
	struct keel_irqfd_dev *p, *tmp;

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry_safe(p, tmp, &vm->irqfds, list)
		keel_irqfd_deactivate(p);
	spin_unlock_irq(&vm->irqfds_lock);
	flush_workqueue(keel_irqfd_wq);
}

int keel_irqfd_init(void)
{
	keel_irqfd_wq = alloc_workqueue("keel-irqfd-cleanup", 0, 0);
	return keel_irqfd_wq ? 0 : -ENOMEM;
}

void keel_irqfd_exit(void)
{
	destroy_workqueue(keel_irqfd_wq);
}
