// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: nested (two-dimensional) paging.
 *
 * One table per VM, in the host's page-table format and with as many
 * levels as the host's own paging (4, or 5 with LA57), maps guest
 * physical to host physical memory with 4 KiB leaves. Leaves are built on
 * demand when the guest faults: the page comes from the memslot's host
 * mapping through get_user_pages (holding a reference for as long as the
 * leaf exists). MMU notifiers, memslot deletion and moves unmap leaves;
 * every unmap is followed by a TLB flush on all vCPUs before the page
 * references are dropped, so the guest can never reach a page the host
 * has reused.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/io.h>

#include <keel/core.h>

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_ADDR	GENMASK_ULL(51, 12)
/* Nested walks are user accesses: U/S must be set at every level. */
#define NPT_TABLE	(NPT_P | NPT_RW | NPT_US | NPT_A)
#define NPT_LEAF_RO	(NPT_P | NPT_US | NPT_A)
#define NPT_LEAF_RW	(NPT_LEAF_RO | NPT_RW | NPT_D)

#define NPT_MAX_LEVELS	5
#define NPT_ENTRIES	512
#define NPT_BATCH	16

struct keel_npt_cache {
	int nr;
	u64 *pages[NPT_MAX_LEVELS - 1];
};

static inline unsigned int npt_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static inline u64 *npt_table(u64 pte)
{
	return __va(pte & NPT_ADDR);
}

/* Nested paging walks with the host's paging mode: 5 levels with LA57. */
static int keel_host_paging_levels(void)
{
	unsigned long cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	return (cr4 & X86_CR4_LA57) ? 5 : 4;
}

int keel_mmu_init_vm(struct keel_vm *vm)
{
	vm->arch.tdp_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->arch.tdp_root)
		return -ENOMEM;
	vm->arch.tdp_levels = keel_host_paging_levels();
	return 0;
}

u64 keel_mmu_root_pa(struct keel_vm *vm)
{
	return __pa(vm->arch.tdp_root);
}

/* Pages dropped from the table, released once no TLB can hold them. */
struct keel_npt_zap {
	int nr;
	u64 leaves[NPT_BATCH];
};

static void keel_npt_release(struct keel_vm *vm, struct keel_npt_zap *z,
			     bool flush)
{
	int i;

	if (!z->nr)
		return;
	if (flush)
		keel_vm_kick_all(vm, KEEL_REQ_TLB_FLUSH);
	for (i = 0; i < z->nr; i++) {
		struct page *page = pfn_to_page((z->leaves[i] & NPT_ADDR) >>
						PAGE_SHIFT);

		if (z->leaves[i] & NPT_D)
			folio_set_dirty(page_folio(page));
		put_page(page);
	}
	z->nr = 0;
}

static void keel_npt_zap_leaf(struct keel_vm *vm, u64 *sptep,
			      struct keel_npt_zap *z, bool flush)
{
	z->leaves[z->nr++] = *sptep;
	WRITE_ONCE(*sptep, 0);
	if (z->nr == NPT_BATCH)
		keel_npt_release(vm, z, flush);
}

static bool keel_npt_unmap(struct keel_vm *vm, u64 start, u64 end, bool flush)
{
	struct keel_npt_zap z = { 0 };
	bool any = false;
	u64 gfn = start;

	lockdep_assert_held(&vm->mmu_lock);
	while (gfn < end) {
		u64 *table = vm->arch.tdp_root;
		int level;

		for (level = vm->arch.tdp_levels; level > 1; level--) {
			u64 pte = table[npt_index(gfn, level)];

			if (!(pte & NPT_P))
				break;
			table = npt_table(pte);
		}
		if (level > 1) {
			/* Nothing mapped below this entry: skip its range. */
			u64 span = 1ULL << (9 * (level - 1));

			gfn = (gfn & ~(span - 1)) + span;
			continue;
		}
		if (table[npt_index(gfn, 1)] & NPT_P) {
			keel_npt_zap_leaf(vm, &table[npt_index(gfn, 1)], &z,
					  flush);
			any = true;
		}
		gfn++;
	}
	keel_npt_release(vm, &z, flush);
	return any;
}

bool keel_arch_mmu_unmap_gfn_range(struct keel_vm *vm, u64 start, u64 end)
{
	return keel_npt_unmap(vm, start, end, true);
}

static void keel_npt_free_table(u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < NPT_ENTRIES; i++)
			if (table[i] & NPT_P)
				keel_npt_free_table(npt_table(table[i]),
						    level - 1);
	}
	free_page((unsigned long)table);
}

void keel_mmu_destroy_vm(struct keel_vm *vm)
{
	if (!vm->arch.tdp_root)
		return;
	/* No vCPU can run any more: release leaves without a flush. */
	spin_lock(&vm->mmu_lock);
	keel_npt_unmap(vm, 0, keel_arch_max_gfn() + 1, false);
	spin_unlock(&vm->mmu_lock);
	keel_npt_free_table(vm->arch.tdp_root, vm->arch.tdp_levels);
	vm->arch.tdp_root = NULL;
}

static int keel_npt_cache_topup(struct keel_npt_cache *c)
{
	while (c->nr < ARRAY_SIZE(c->pages)) {
		u64 *p = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->nr++] = p;
	}
	return 0;
}

static void keel_npt_cache_free(struct keel_npt_cache *c)
{
	while (c->nr)
		free_page((unsigned long)c->pages[--c->nr]);
}

/* Under mmu_lock: the leaf slot for @gfn, building tables from @c. */
static u64 *keel_npt_leaf(struct keel_vm *vm, u64 gfn, struct keel_npt_cache *c)
{
	u64 *table = vm->arch.tdp_root;
	int level;

	for (level = vm->arch.tdp_levels; level > 1; level--) {
		u64 *pte = &table[npt_index(gfn, level)];

		if (!(*pte & NPT_P))
			WRITE_ONCE(*pte, __pa(c->pages[--c->nr]) | NPT_TABLE);
		table = npt_table(*pte);
	}
	return &table[npt_index(gfn, 1)];
}

static int keel_npt_map(struct keel_vm *vm, u64 gfn, struct page *page,
			bool writable, unsigned long seq,
			struct keel_npt_cache *c)
{
	u64 new = page_to_phys(page) | (writable ? NPT_LEAF_RW : NPT_LEAF_RO);
	u64 *sptep;
	int r = 1;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidate_in_progress || vm->mmu_seq != seq) {
		/* The host changed the mapping meanwhile: fault again. */
		put_page(page);
		goto out;
	}
	sptep = keel_npt_leaf(vm, gfn, c);
	if (*sptep & NPT_P) {
		if ((*sptep & NPT_ADDR) == page_to_phys(page) &&
		    (!writable || (*sptep & NPT_RW))) {
			/* Another vCPU got here first. */
			put_page(page);
			goto out;
		}
		keel_npt_unmap(vm, gfn, gfn + 1, true);
	}
	WRITE_ONCE(*sptep, new);
out:
	spin_unlock(&vm->mmu_lock);
	return r;
}

/*
 * A nested page fault: map the page if a memslot backs @gpa, else hand the
 * access to MMIO emulation (as for writes to a read-only slot).
 */
int keel_mmu_page_fault(struct keel_vcpu *vcpu, u64 gpa, bool write,
			bool present)
{
	struct keel_vm *vm = vcpu->vm;
	struct keel_npt_cache cache = { 0 };
	u64 gfn = gpa >> PAGE_SHIFT;
	struct keel_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	bool writable;
	long n;
	int r;

	down_read(&vm->slots_lock);
	slot = keel_gfn_to_memslot(vm, gfn);
	if (!slot || (write && (slot->flags & KEEL_MEM_READONLY))) {
		up_read(&vm->slots_lock);
		return keel_x86_emulate_mmio(vcpu, gpa, write);
	}
	hva = keel_gfn_to_hva(slot, gfn);
	writable = !(slot->flags & KEEL_MEM_READONLY);

	r = keel_npt_cache_topup(&cache);
	if (r)
		goto out;

	seq = READ_ONCE(vm->mmu_seq);
	/* Read the sequence before looking at the host page tables. */
	smp_rmb();
	n = get_user_pages_unlocked(hva, 1, &page, writable ? FOLL_WRITE : 0);
	if (n != 1 && writable && !write) {
		/* A read fault on memory the host maps read-only. */
		writable = false;
		n = get_user_pages_unlocked(hva, 1, &page, 0);
	}
	if (n != 1) {
		r = fatal_signal_pending(current) ? -EINTR : -EFAULT;
		goto out;
	}
	r = keel_npt_map(vm, gfn, page, writable, seq, &cache);
out:
	up_read(&vm->slots_lock);
	keel_npt_cache_free(&cache);
	return r;
}
