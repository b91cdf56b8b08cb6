// SPDX-License-Identifier: GPL-2.0
/*
 * keel: follow the host's changes to guest memory.
 *
 * When the host unmaps, migrates, swaps or write-protects pages that back
 * a memslot, the nested page tables drop their translations (and the page
 * references they hold) before the host proceeds. A vCPU fault that raced
 * with an invalidation notices through mmu_seq and retries.
 */
#include <linux/mmu_notifier.h>

#include <keel/core.h>

static struct keel_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct keel_vm, mmu_notifier);
}

/* Under mmu_lock: unmap every guest frame backed by [start, end). */
static void keel_unmap_hva_range(struct keel_vm *vm, unsigned long start,
				 unsigned long end)
{
	int i;

	for (i = 0; i < vm->nr_slots; i++) {
		struct keel_memslot *s = vm->slots_by_gfn[i];
		unsigned long s_end = s->userspace_addr +
				      (s->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s->userspace_addr);
		unsigned long hi = min(end, s_end);
		u64 first, last;

		if (lo >= hi)
			continue;
		first = s->base_gfn + ((lo - s->userspace_addr) >> PAGE_SHIFT);
		last = s->base_gfn +
		       (ALIGN(hi - s->userspace_addr, PAGE_SIZE) >> PAGE_SHIFT);
		keel_arch_mmu_unmap_gfn_range(vm, first, last);
	}
}

static int keel_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct keel_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_in_progress++;
	vm->mmu_seq++;
	keel_unmap_hva_range(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static void keel_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct keel_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidate_in_progress--;
	WARN_ON_ONCE(vm->mmu_invalidate_in_progress < 0);
	spin_unlock(&vm->mmu_lock);
}

static void keel_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct keel_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	keel_unmap_hva_range(vm, 0, ULONG_MAX);
	spin_unlock(&vm->mmu_lock);
}

static const struct mmu_notifier_ops keel_mmu_notifier_ops = {
	.invalidate_range_start	= keel_mn_invalidate_range_start,
	.invalidate_range_end	= keel_mn_invalidate_range_end,
	.release		= keel_mn_release,
};

int keel_vm_mmu_notifier_register(struct keel_vm *vm)
{
	vm->mmu_notifier.ops = &keel_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

void keel_vm_mmu_notifier_unregister(struct keel_vm *vm)
{
	if (vm->mmu_notifier.ops)
		mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}
