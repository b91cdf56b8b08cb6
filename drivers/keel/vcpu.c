// SPDX-License-Identifier: GPL-2.0
/*
 * keel: vCPU objects, the vCPU fd, its shared run structure and RUN.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
/* smp_send_reschedule() traces through it since 6.5. */
#include <trace/events/ipi.h>

#include <keel/core.h>

static vm_fault_t keel_vcpu_fault(struct vm_fault *vmf)
{
	struct keel_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KEEL_PIO_PAGE_OFFSET)
		page = vcpu->pio_page;
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct keel_vcpu_vm_ops = {
	.fault = keel_vcpu_fault,
};

static int keel_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &keel_vcpu_vm_ops;
	return 0;
}

static int keel_vcpu_release(struct inode *inode, struct file *filp)
{
	struct keel_vcpu *vcpu = filp->private_data;

	/* The vCPU itself lives until its VM goes away. */
	keel_vm_put(vcpu->vm);
	return 0;
}

/*
 * The run structure's inputs, checked before RUN does anything: flags are
 * 0 or 1, padding is 0, and no register sync is requested (keel offers
 * none, so KVM's KVM_SYNC_X86_* bits are all unknown here).
 */
static bool keel_run_input_valid(const struct keel_run *run)
{
	return READ_ONCE(run->request_interrupt_window) <= 1 &&
	       READ_ONCE(run->immediate_exit) <= 1 &&
	       !memchr_inv(run->padding1, 0, sizeof(run->padding1)) &&
	       !READ_ONCE(run->kvm_valid_regs) &&
	       !READ_ONCE(run->kvm_dirty_regs);
}

static int __keel_vcpu_run(struct keel_vcpu *vcpu)
{
	struct keel_run *run = vcpu->run;
	int r;

	r = keel_arch_complete_userspace_exit(vcpu);
	if (r <= 0)
		return r;

	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KEEL_EXIT_INTR;
		return -EINTR;
	}

	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KEEL_EXIT_INTR;
			return -EINTR;
		}
		cond_resched();
		r = keel_arch_vcpu_run_once(vcpu);
		if (r <= 0)
			return r;
	}
}

static int keel_vcpu_run(struct keel_vcpu *vcpu)
{
	sigset_t saved;
	int r;

	if (!keel_run_input_valid(vcpu->run))
		return -EINVAL;
	r = keel_arch_run_input(vcpu);
	if (r)
		return r;
	/* KEEL_SET_SIGNAL_MASK: the mask that holds while RUN runs. */
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &saved);
	r = __keel_vcpu_run(vcpu);
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	keel_arch_run_output(vcpu);
	return r;
}

/* A NULL argument removes the mask; SIGKILL and SIGSTOP stay deliverable. */
static long keel_vcpu_set_signal_mask(struct keel_vcpu *vcpu,
				      struct keel_signal_mask __user *u)
{
	struct keel_signal_mask m;
	sigset_t set;

	if (!u) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&m, u, sizeof(m)))
		return -EFAULT;
	if (m.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, u->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static long keel_vcpu_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct keel_vcpu *vcpu = filp->private_data;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (cmd) {
	case KEEL_RUN:
		r = arg ? -EINVAL : keel_vcpu_run(vcpu);
		break;
	case KEEL_SET_SIGNAL_MASK:
		r = keel_vcpu_set_signal_mask(vcpu, (void __user *)arg);
		break;
	default:
		r = keel_arch_vcpu_ioctl(vcpu, cmd, arg);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations keel_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= keel_vcpu_release,
	.unlocked_ioctl	= keel_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= keel_vcpu_mmap,
	.llseek		= noop_llseek,
};

void keel_vcpu_destroy(struct keel_vcpu *vcpu)
{
	keel_arch_vcpu_free(vcpu);
	__free_page(vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static struct keel_vcpu *keel_find_vcpu(struct keel_vm *vm, u32 id)
{
	struct keel_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return vcpu;
	return NULL;
}

int keel_vcpu_create(struct keel_vm *vm, unsigned long id)
{
	struct keel_vcpu *vcpu;
	char name[24];
	u32 index;
	int r, fd;

	if (id >= KEEL_MAX_VCPU_IDS)
		return -EINVAL;

	/* From here on, VM-wide setup that vCPUs depend on is closed. */
	mutex_lock(&vm->lock);
	if (vm->created_vcpus >= KEEL_MAX_VCPUS) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->lock);

	r = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_uncount;
	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);

	r = -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto out_free;
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->pio_page)
		goto out_free_run;
	vcpu->pio_data = page_address(vcpu->pio_page);

	r = keel_arch_vcpu_create(vcpu);
	if (r)
		goto out_free_pio;

	mutex_lock(&vm->lock);
	/* The limit may have been lowered by ENABLE_CAP(MAX_VCPU_ID). */
	if (id >= keel_vm_max_vcpu_ids(vm) ||
	    atomic_read(&vm->nr_vcpus) >= KEEL_MAX_VCPUS) {
		r = -EINVAL;
		goto out_unlock;
	}
	if (keel_find_vcpu(vm, id)) {
		r = -EEXIST;
		goto out_unlock;
	}
	r = xa_alloc(&vm->vcpus, &index, vcpu, xa_limit_32b, GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_unlock;

	refcount_inc(&vm->refcount);
	snprintf(name, sizeof(name), "keel-vcpu:%lu", id);
	fd = anon_inode_getfd(name, &keel_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		/* Kicks walk the vCPUs under kick_lock. */
		spin_lock(&vm->kick_lock);
		xa_erase(&vm->vcpus, index);
		spin_unlock(&vm->kick_lock);
		refcount_dec(&vm->refcount);
		goto out_unlock;
	}
	atomic_inc(&vm->nr_vcpus);
	mutex_unlock(&vm->lock);
	return fd;

out_unlock:
	mutex_unlock(&vm->lock);
	keel_arch_vcpu_free(vcpu);
out_free_pio:
	__free_page(vcpu->pio_page);
out_free_run:
	free_page((unsigned long)vcpu->run);
out_free:
	kfree(vcpu);
out_uncount:
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * Make @vcpu notice a posted event: wake it if it waits, and interrupt
 * it if it runs guest code on another CPU (the IPI alone makes the
 * hardware leave the guest). Callable from any context, hardirq too.
 */
void keel_vcpu_kick(struct keel_vcpu *vcpu)
{
	int cpu, me;

	wake_up_interruptible(&vcpu->wq);
	me = get_cpu();
	/*
	 * Pairs with the barrier between mode and requests on entry. The
	 * CPU is read after the mode: it was stored before it, and a value
	 * read earlier may name the CPU the vCPU just left.
	 */
	smp_mb();
	if (READ_ONCE(vcpu->mode) == KEEL_IN_GUEST_MODE) {
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != me)
			smp_send_reschedule(cpu);
	}
	put_cpu();
}
