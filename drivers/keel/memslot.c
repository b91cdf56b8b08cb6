// SPDX-License-Identifier: GPL-2.0
/*
 * keel: guest memory slots (SET_USER_MEMORY_REGION) and guest memory
 * access from the kernel.
 *
 * Slots are found by id in an xarray and by guest frame in an array sorted
 * by base_gfn. Updates hold slots_lock for writing and change the sorted
 * array under mmu_lock as well, so MMU notifiers (which may not sleep) can
 * walk it with mmu_lock alone.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <keel/core.h>

static int keel_slot_index(struct keel_vm *vm, u64 gfn)
{
	int lo = 0, hi = vm->nr_slots - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		struct keel_memslot *s = vm->slots_by_gfn[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* Caller holds slots_lock or mmu_lock. */
struct keel_memslot *keel_gfn_to_memslot(struct keel_vm *vm, u64 gfn)
{
	int i = keel_slot_index(vm, gfn);

	return i < 0 ? NULL : vm->slots_by_gfn[i];
}

bool keel_gpa_is_memory(struct keel_vm *vm, u64 gpa)
{
	bool found;

	down_read(&vm->slots_lock);
	found = keel_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	up_read(&vm->slots_lock);
	return found;
}

static bool keel_slot_overlaps(struct keel_vm *vm, u32 skip_id, u64 base,
			       u64 npages)
{
	int i;

	for (i = 0; i < vm->nr_slots; i++) {
		struct keel_memslot *s = vm->slots_by_gfn[i];

		if (s->id == skip_id)
			continue;
		if (base < s->base_gfn + s->npages && s->base_gfn < base + npages)
			return true;
	}
	return false;
}

/* Under mmu_lock: take @slot out of, or put it into, the sorted array. */
static void keel_slot_unlink(struct keel_vm *vm, struct keel_memslot *slot)
{
	int i;

	for (i = 0; i < vm->nr_slots; i++)
		if (vm->slots_by_gfn[i] == slot)
			break;
	if (WARN_ON_ONCE(i == vm->nr_slots))
		return;
	memmove(&vm->slots_by_gfn[i], &vm->slots_by_gfn[i + 1],
		(vm->nr_slots - i - 1) * sizeof(slot));
	vm->nr_slots--;
}

static void keel_slot_link(struct keel_vm *vm, struct keel_memslot *slot)
{
	int i;

	for (i = 0; i < vm->nr_slots; i++)
		if (vm->slots_by_gfn[i]->base_gfn > slot->base_gfn)
			break;
	memmove(&vm->slots_by_gfn[i + 1], &vm->slots_by_gfn[i],
		(vm->nr_slots - i) * sizeof(slot));
	vm->slots_by_gfn[i] = slot;
	vm->nr_slots++;
}

static int keel_slot_array_reserve(struct keel_vm *vm)
{
	struct keel_memslot **a;

	a = krealloc(vm->slots_by_gfn, (vm->nr_slots + 1) * sizeof(*a),
		     GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	spin_lock(&vm->mmu_lock);
	vm->slots_by_gfn = a;
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static int keel_slot_create(struct keel_vm *vm, u32 id, u32 flags, u64 base,
			    u64 npages, unsigned long hva)
{
	struct keel_memslot *slot;
	int r;

	if (keel_slot_overlaps(vm, U32_MAX, base, npages))
		return -EEXIST;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return -ENOMEM;
	slot->id = id;
	slot->flags = flags;
	slot->base_gfn = base;
	slot->npages = npages;
	slot->userspace_addr = hva;

	r = keel_slot_array_reserve(vm);
	if (r)
		goto out_free;
	r = xa_err(xa_store(&vm->slots_by_id, id, slot, GFP_KERNEL_ACCOUNT));
	if (r)
		goto out_free;

	spin_lock(&vm->mmu_lock);
	keel_slot_link(vm, slot);
	spin_unlock(&vm->mmu_lock);
	return 0;

out_free:
	kfree(slot);
	return r;
}

static void keel_slot_delete(struct keel_vm *vm, struct keel_memslot *slot)
{
	spin_lock(&vm->mmu_lock);
	keel_slot_unlink(vm, slot);
	keel_arch_mmu_unmap_gfn_range(vm, slot->base_gfn,
				      slot->base_gfn + slot->npages);
	spin_unlock(&vm->mmu_lock);
	xa_erase(&vm->slots_by_id, slot->id);
	kfree(slot);
}

static int keel_slot_move(struct keel_vm *vm, struct keel_memslot *slot,
			  u64 base)
{
	if (keel_slot_overlaps(vm, slot->id, base, slot->npages))
		return -EEXIST;

	spin_lock(&vm->mmu_lock);
	keel_slot_unlink(vm, slot);
	keel_arch_mmu_unmap_gfn_range(vm, slot->base_gfn,
				      slot->base_gfn + slot->npages);
	slot->base_gfn = base;
	keel_slot_link(vm, slot);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static int keel_check_region(const struct keel_userspace_memory_region *mem)
{
	u16 as_id = mem->slot >> 16;
	u16 id = (u16)mem->slot;

	if (mem->flags & ~KEEL_MEM_READONLY)
		return -EINVAL;
	if (as_id >= KEEL_ADDRESS_SPACES || id >= KEEL_USER_MEM_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr))
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->userspace_addr) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok(u64_to_user_ptr(mem->userspace_addr), mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KEEL_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

int keel_set_user_memory_region(struct keel_vm *vm,
				const struct keel_userspace_memory_region *mem)
{
	u64 base = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u16 id = (u16)mem->slot;
	struct keel_memslot *old;
	int r;

	r = keel_check_region(mem);
	if (r)
		return r;

	down_write(&vm->slots_lock);
	old = xa_load(&vm->slots_by_id, id);

	if (!npages) {
		if (old)
			keel_slot_delete(vm, old);
		else
			r = -EINVAL;
		goto out;
	}

	if (base + npages - 1 > keel_arch_max_gfn()) {
		r = -EINVAL;
		goto out;
	}

	if (!old) {
		r = keel_slot_create(vm, id, mem->flags, base, npages,
				     mem->userspace_addr);
		goto out;
	}

	/* An existing slot may only move or change flags. */
	if (mem->userspace_addr != old->userspace_addr ||
	    npages != old->npages || mem->flags != old->flags) {
		r = -EINVAL;
		goto out;
	}
	if (base != old->base_gfn)
		r = keel_slot_move(vm, old, base);
out:
	up_write(&vm->slots_lock);
	return r;
}

void keel_memslots_free(struct keel_vm *vm)
{
	struct keel_memslot *slot;
	unsigned long i;

	xa_for_each(&vm->slots_by_id, i, slot)
		kfree(slot);
	xa_destroy(&vm->slots_by_id);
	kfree(vm->slots_by_gfn);
}

/* Does a memslot serve this access (not a write to a read-only slot)? */
bool keel_gpa_is_ram(struct keel_vm *vm, u64 gpa, bool write)
{
	struct keel_memslot *slot;
	bool ram;

	down_read(&vm->slots_lock);
	slot = keel_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	ram = slot && !(write && (slot->flags & KEEL_MEM_READONLY));
	up_read(&vm->slots_lock);
	return ram;
}

/* Copy guest memory through the slots' host mappings (current->mm). */
static int keel_guest_copy(struct keel_vm *vm, u64 gpa, void *data,
			   unsigned int len, bool write)
{
	int r = 0;

	down_read(&vm->slots_lock);
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gpa));
		struct keel_memslot *slot;
		void __user *hva;

		slot = keel_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
		if (!slot || (write && (slot->flags & KEEL_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = (void __user *)keel_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
		      offset_in_page(gpa);
		if (write ? copy_to_user(hva, data, n) :
			    copy_from_user(data, hva, n)) {
			r = -EFAULT;
			break;
		}
		gpa += n;
		data += n;
		len -= n;
	}
	up_read(&vm->slots_lock);
	return r;
}

int keel_read_guest(struct keel_vm *vm, u64 gpa, void *data, unsigned int len)
{
	return keel_guest_copy(vm, gpa, data, len, false);
}

int keel_write_guest(struct keel_vm *vm, u64 gpa, const void *data,
		     unsigned int len)
{
	return keel_guest_copy(vm, gpa, (void *)data, len, true);
}
