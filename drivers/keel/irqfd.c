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
 *
 * A resampling irqfd (KEEL_IRQFD_FLAG_RESAMPLE) holds its GSI's line high
 * instead of pulsing it, as a level-triggered device does. When the
 * guest EOIs the interrupt, keel lowers the line and signals the
 * resamplefd; userspace checks its device and signals the irqfd again
 * if it still needs service. irqfds of one GSI share a resampler.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <keel/compat.h>
#include <keel/core.h>

/* The resampling irqfds of one GSI, in vm->resamplers. */
struct keel_resampler {
	u32 gsi;
	struct list_head irqfds;	/* keel_irqfd_dev.resample_link */
	struct list_head link;
	struct rcu_head rcu;
};

struct keel_irqfd_dev {
	struct keel_vm *vm;
	struct eventfd_ctx *eventfd;
	u32 gsi;
	struct list_head list;		/* in vm->irqfds while active */
	struct keel_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resample_link;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
};

static struct workqueue_struct *keel_irqfd_wq;

/*
 * The eventfd fired: a resampling irqfd holds its line high until the
 * EOI; any other pulses it, which for MSI routes sends the message.
 */
static void keel_irqfd_inject(struct keel_irqfd_dev *irqfd)
{
	if (irqfd->resampler) {
		keel_irq_set(irqfd->vm, KEEL_IRQ_SRC_RESAMPLE, irqfd->gsi, true);
		return;
	}
	keel_irq_set(irqfd->vm, KEEL_IRQ_SRC_USER, irqfd->gsi, true);
	keel_irq_set(irqfd->vm, KEEL_IRQ_SRC_USER, irqfd->gsi, false);
}

/* The guest EOIed @gsi: lower the resampled line, ask userspace. */
void keel_irqfd_resample(struct keel_vm *vm, u32 gsi)
{
	struct keel_resampler *res;
	struct keel_irqfd_dev *irqfd;

	rcu_read_lock();
	list_for_each_entry_rcu(res, &vm->resamplers, link) {
		if (res->gsi != gsi)
			continue;
		keel_irq_set(vm, KEEL_IRQ_SRC_RESAMPLE, gsi, false);
		list_for_each_entry_rcu(irqfd, &res->irqfds, resample_link)
			keel_eventfd_signal(irqfd->resamplefd);
	}
	rcu_read_unlock();
}

/* Leave the resampler; the last one out lowers the line. */
static void keel_irqfd_resampler_leave(struct keel_irqfd_dev *irqfd)
{
	struct keel_resampler *res = irqfd->resampler;
	struct keel_vm *vm = irqfd->vm;
	bool last;

	spin_lock_irq(&vm->irqfds_lock);
	list_del_rcu(&irqfd->resample_link);
	last = list_empty(&res->irqfds);
	if (last)
		list_del_rcu(&res->link);
	spin_unlock_irq(&vm->irqfds_lock);
	if (last) {
		keel_irq_set(vm, KEEL_IRQ_SRC_RESAMPLE, res->gsi, false);
		kfree_rcu(res, rcu);
	}
	/* No EOI may still be signalling our resamplefd. */
	synchronize_rcu();
	eventfd_ctx_put(irqfd->resamplefd);
}

static void keel_irqfd_shutdown(struct work_struct *work)
{
	struct keel_irqfd_dev *irqfd = container_of(work, struct keel_irqfd_dev,
						shutdown);
	u64 cnt;

	/* Once off the wait queue, no wake-up can still be running. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler)
		keel_irqfd_resampler_leave(irqfd);
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

/*
 * Join the resampler of @irqfd's GSI, or make @irqfd->resampler (a new
 * one) that. Under vm->irqfds_lock, as the last irqfd leaving frees it.
 * Returns the new resampler if it went unused.
 */
static struct keel_resampler *
keel_irqfd_resampler_join(struct keel_vm *vm, struct keel_irqfd_dev *irqfd)
{
	struct keel_resampler *res, *spare = irqfd->resampler;

	list_for_each_entry(res, &vm->resamplers, link) {
		if (res->gsi == irqfd->gsi) {
			irqfd->resampler = res;
			list_add_rcu(&irqfd->resample_link, &res->irqfds);
			return spare;
		}
	}
	list_add_rcu(&spare->link, &vm->resamplers);
	list_add_rcu(&irqfd->resample_link, &spare->irqfds);
	return NULL;
}

/* RESAMPLE: take the resamplefd and a resampler to join on activation. */
static int keel_irqfd_resample_prepare(struct keel_irqfd_dev *irqfd, u32 fd)
{
	struct keel_resampler *res;
	struct eventfd_ctx *ctx;

	res = kzalloc(sizeof(*res), GFP_KERNEL_ACCOUNT);
	if (!res)
		return -ENOMEM;
	res->gsi = irqfd->gsi;
	INIT_LIST_HEAD(&res->irqfds);
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx)) {
		kfree(res);
		return PTR_ERR(ctx);
	}
	irqfd->resamplefd = ctx;
	irqfd->resampler = res;
	return 0;
}

static int keel_irqfd_assign(struct keel_vm *vm, const struct keel_irqfd *a)
{
	struct keel_resampler *spare = NULL;
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
	if (a->flags & KEEL_IRQFD_FLAG_RESAMPLE) {
		r = keel_irqfd_resample_prepare(irqfd, a->resamplefd);
		if (r)
			goto out_put;
	}
	init_waitqueue_func_entry(&irqfd->wait, keel_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, keel_irqfd_queue);

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry(p, &vm->irqfds, list) {
		if (p->eventfd == irqfd->eventfd) {
			spin_unlock_irq(&vm->irqfds_lock);
			r = -EBUSY;
			goto out_resampler;
		}
	}
	list_add_tail(&irqfd->list, &vm->irqfds);
	if (irqfd->resampler)
		spare = keel_irqfd_resampler_join(vm, irqfd);
	spin_unlock_irq(&vm->irqfds_lock);
	kfree(spare);

	/* Queue on the eventfd; a signal that came first is taken now. */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		keel_irqfd_inject(irqfd);
	fput(file);
	return 0;

out_resampler:
	kfree(irqfd->resampler);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
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
	if (a.flags & ~(KEEL_IRQFD_FLAG_DEASSIGN | KEEL_IRQFD_FLAG_RESAMPLE) ||
	    a.flags == (KEEL_IRQFD_FLAG_DEASSIGN | KEEL_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	/* keel: a resamplefd only with RESAMPLE (KVM ignores it). */
	if ((a.resamplefd && !(a.flags & KEEL_IRQFD_FLAG_RESAMPLE)) ||
	    memchr_inv(a.pad, 0, sizeof(a.pad)) || a.gsi >= KEEL_MAX_IRQ_ROUTES)
		return -EINVAL;
	/*
	 * One at a time: a DEASSIGN racing an assignment could otherwise
	 * free the irqfd while the assignment still queues it.
	 */
	mutex_lock(&vm->irq_lock);
	if (a.flags & KEEL_IRQFD_FLAG_DEASSIGN)
		r = keel_irqfd_deassign(vm, &a);
	else if (!keel_arch_irq_routing_allowed(vm) ||
		 ((a.flags & KEEL_IRQFD_FLAG_RESAMPLE) &&
		  !keel_arch_irqfd_resample_allowed(vm)))
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
	/*
	 * Teardown work runs on any CPU. Saying so matters: 7.x warns
	 * about a queue that is neither WQ_UNBOUND nor WQ_PERCPU.
	 */
	keel_irqfd_wq = alloc_workqueue("keel-irqfd-cleanup", WQ_UNBOUND, 0);
	return keel_irqfd_wq ? 0 : -ENOMEM;
}

void keel_irqfd_exit(void)
{
	destroy_workqueue(keel_irqfd_wq);
}
