// SPDX-License-Identifier: GPL-2.0
/*
 * keel: VM objects and the VM fd.
 *
 * A VM lives as long as its fd or any of its vCPU fds is open. The VM
 * holds its creator's mm (guest memory is that process's memory) and owns
 * every vCPU it created; vCPUs are freed with the VM.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <keel/core.h>

static void keel_vm_destroy(struct keel_vm *vm)
{
	struct keel_vcpu *vcpu;
	unsigned long i;

	/* No notifier may kick the vCPUs once they are freed. */
	keel_vm_mmu_notifier_unregister(vm);
	/* Nor an irqfd raise their interrupts. */
	keel_irqfds_free(vm);

	xa_for_each(&vm->vcpus, i, vcpu)
		keel_vcpu_destroy(vcpu);
	xa_destroy(&vm->vcpus);
	keel_arch_vm_destroy(vm);
	keel_ioeventfds_free(vm);
	keel_irq_routing_free(vm);
	keel_io_buses_free(vm);
	keel_memslots_free(vm);
	free_cpumask_var(vm->kick_mask);
	mmdrop(vm->mm);
	kfree(vm);
	keel_virt_put();
}

void keel_vm_put(struct keel_vm *vm)
{
	if (refcount_dec_and_test(&vm->refcount))
		keel_vm_destroy(vm);
}

static void keel_kick_ipi(void *unused)
{
	/* Nothing: the interrupt alone makes a running vCPU leave the guest. */
}

/*
 * Post @req to every vCPU and wait until none of them still runs guest code
 * that started before the request. Callable with spinlocks held.
 */
void keel_vm_kick_all(struct keel_vm *vm, unsigned int req)
{
	struct keel_vcpu *vcpu;
	unsigned long i;
	int me;

	spin_lock(&vm->kick_lock);
	cpumask_clear(vm->kick_mask);
	me = smp_processor_id();
	xa_for_each(&vm->vcpus, i, vcpu) {
		set_bit(req, &vcpu->requests);
		/* Pairs with the barrier between mode and requests on entry. */
		smp_mb__after_atomic();
		if (READ_ONCE(vcpu->mode) == KEEL_IN_GUEST_MODE) {
			int cpu = READ_ONCE(vcpu->cpu);

			if (cpu >= 0 && cpu != me)
				cpumask_set_cpu(cpu, vm->kick_mask);
		}
	}
	if (!cpumask_empty(vm->kick_mask))
		smp_call_function_many(vm->kick_mask, keel_kick_ipi, NULL, true);
	spin_unlock(&vm->kick_lock);
}

static int keel_vm_release(struct inode *inode, struct file *filp)
{
	keel_vm_put(filp->private_data);
	return 0;
}

static long keel_vm_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct keel_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KEEL_CREATE_VCPU:
		return keel_vcpu_create(vm, arg);
	case KEEL_SET_USER_MEMORY_REGION: {
		struct keel_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return keel_set_user_memory_region(vm, &mem);
	}
	case KEEL_CHECK_EXTENSION:
		return keel_check_extension(vm, arg);
	case KEEL_ENABLE_CAP:
		return keel_vm_enable_cap(vm, argp);
	case KEEL_IOEVENTFD:
		return keel_vm_ioeventfd(vm, argp);
	case KEEL_SET_GSI_ROUTING:
		return keel_vm_set_gsi_routing(vm, argp);
	case KEEL_IRQFD:
		return keel_vm_irqfd(vm, argp);
	case KEEL_IRQ_LINE:
		return keel_vm_irq_line(vm, argp, false);
	case KEEL_IRQ_LINE_STATUS:
		return keel_vm_irq_line(vm, argp, true);
	default:
		return keel_arch_vm_ioctl(vm, cmd, arg);
	}
}

static const struct file_operations keel_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= keel_vm_release,
	.unlocked_ioctl	= keel_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int keel_vm_create(unsigned long type)
{
	struct keel_vm *vm;
	int r, fd;

	if (type != KEEL_VM_TYPE_DEFAULT)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&vm->kick_mask, GFP_KERNEL_ACCOUNT)) {
		kfree(vm);
		return -ENOMEM;
	}

	refcount_set(&vm->refcount, 1);
	mutex_init(&vm->lock);
	init_rwsem(&vm->slots_lock);
	xa_init(&vm->slots_by_id);
	spin_lock_init(&vm->mmu_lock);
	spin_lock_init(&vm->kick_lock);
	mutex_init(&vm->io_lock);
	mutex_init(&vm->irq_lock);
	spin_lock_init(&vm->irqfds_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	INIT_LIST_HEAD(&vm->resamplers);
	INIT_HLIST_HEAD(&vm->irq_notifiers);
	INIT_LIST_HEAD(&vm->ioeventfds);
	xa_init_flags(&vm->vcpus, XA_FLAGS_ALLOC);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	r = keel_virt_get();
	if (r)
		goto out_free;

	r = keel_arch_vm_init(vm);
	if (r)
		goto out_virt;

	r = keel_vm_mmu_notifier_register(vm);
	if (r)
		goto out_arch;

	/* Every VM and vCPU fd pins the module through its fops owner. */
	fd = anon_inode_getfd("keel-vm", &keel_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		keel_vm_put(vm);
	return fd;

out_arch:
	keel_arch_vm_destroy(vm);
out_virt:
	keel_virt_put();
out_free:
	mmdrop(vm->mm);
	free_cpumask_var(vm->kick_mask);
	kfree(vm);
	return r;
}
