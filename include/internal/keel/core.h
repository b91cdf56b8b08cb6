/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel core objects: VM, vCPU, memslots, and the arch-independent
 * functions the files of drivers/keel/ share.
 */
#ifndef _KEEL_CORE_H
#define _KEEL_CORE_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/mmu_notifier.h>
#include <linux/refcount.h>
#include <linux/cpumask.h>
#include <linux/signal.h>
#include <linux/wait.h>
#include <uapi/linux/keel.h>

#include <keel/arch.h>
#include <keel/iobus.h>

#define KEEL_MAX_VCPUS		1024
#define KEEL_MAX_VCPU_IDS	1024
#define KEEL_USER_MEM_SLOTS	32764
#define KEEL_ADDRESS_SPACES	1
#define KEEL_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

/**
 * struct keel_memslot - one range of guest physical memory
 * @id: slot id from SET_USER_MEMORY_REGION (address space 0)
 * @flags: KEEL_MEM_* flags
 * @base_gfn: first guest frame number
 * @npages: number of pages
 * @userspace_addr: host virtual address backing @base_gfn
 */
struct keel_memslot {
	u32 id;
	u32 flags;
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
};

/* As KVM: GSIs 0 to 4095. */
#define KEEL_MAX_IRQ_ROUTES	4096

/* One route of a GSI, from KEEL_SET_GSI_ROUTING. */
struct keel_irq_route {
	u32 gsi;
	u32 type;		/* KEEL_IRQ_ROUTING_* */
	union {
		struct {
			u32 irqchip;
			u32 pin;
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	};
};

/* Who drives a GSI's line; each source holds its own level. */
enum keel_irq_source {
	KEEL_IRQ_SRC_USER,	/* KEEL_IRQ_LINE, irqfds without resample */
	KEEL_IRQ_SRC_RESAMPLE,	/* irqfds with KEEL_IRQFD_FLAG_RESAMPLE */
	KEEL_IRQ_SRC_PIT,
};

/* The routing table, sorted by GSI, replaced whole under RCU. */
struct keel_irq_table {
	struct rcu_head rcu;
	u32 nr;
	struct keel_irq_route e[];
};

struct keel_vm {
	refcount_t refcount;
	struct mm_struct *mm;

	/* Serialises memslot updates and vCPU creation. */
	struct mutex lock;

	/* Readers: vCPU faults. Writers: memslot updates. */
	struct rw_semaphore slots_lock;
	struct xarray slots_by_id;
	/* Active slots sorted by base_gfn; written under mmu_lock too. */
	struct keel_memslot **slots_by_gfn;
	int nr_slots;

	/* Protects the nested page tables and the fields below. */
	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	long mmu_invalidate_in_progress;
	struct mmu_notifier mmu_notifier;

	/* vCPUs, indexed by creation order. */
	struct xarray vcpus;
	atomic_t nr_vcpus;
	/* vCPUs being or having been created; under lock. VM-wide setup
	 * that vCPUs depend on must come before the first.
	 */
	u32 created_vcpus;
	/* vCPU ids are below this; 0 means KEEL_MAX_VCPU_IDS. Under lock. */
	u32 max_vcpu_ids;

	/* In-kernel devices: bus updates and the ioeventfd list. */
	struct mutex io_lock;
	struct keel_io_bus __rcu *buses[KEEL_NR_BUSES];
	struct list_head ioeventfds;

	/*
	 * Interrupt routing: writers hold irq_lock, readers use RCU. It also
	 * serialises irqfd assignment and removal.
	 */
	struct mutex irq_lock;
	struct keel_irq_table __rcu *irq_routing;
	/* Active irqfds; taken in eventfd wake-ups, so irq-safe. */
	spinlock_t irqfds_lock;
	struct list_head irqfds;
	/* Resampling irqfds by GSI: RCU readers, writers irqfds_lock. */
	struct list_head resamplers;
	/* keel_irq_notifiers: RCU readers, writers irq_lock. */
	struct hlist_head irq_notifiers;

	/* Scratch mask for kicks, under kick_lock. */
	spinlock_t kick_lock;
	cpumask_var_t kick_mask;

	struct keel_arch_vm arch;
};

/* vcpu->mode: whether the vCPU may be executing guest code right now. */
enum {
	KEEL_OUTSIDE_GUEST_MODE,
	KEEL_IN_GUEST_MODE,
};

/* vcpu->requests bits */
#define KEEL_REQ_TLB_FLUSH	0
#define KEEL_REQ_CLOCK_UPDATE	1	/* rewrite the guest's kvmclock area */
#define KEEL_REQ_EVENT		2	/* an interrupt or event was posted */

/**
 * struct keel_vcpu - a virtual CPU
 * @vm: the VM it belongs to (a vCPU lives as long as its VM)
 * @vcpu_id: id given to CREATE_VCPU
 * @cpu: CPU of the last guest entry, or -1
 * @mode: KEEL_IN_GUEST_MODE while it may execute guest code
 * @requests: KEEL_REQ_* bits to handle before the next entry
 * @mutex: one vCPU ioctl at a time
 * @run: the shared run structure (mmap page 0)
 * @pio_page: the port I/O data page (mmap page KEEL_PIO_PAGE_OFFSET)
 * @pio_data: kernel address of @pio_page
 * @sigset: the signal mask RUN runs with, if @sigset_active
 * @sigset_active: KEEL_SET_SIGNAL_MASK gave a mask
 * @wq: where the vCPU waits for an event (halted, waiting for SIPI)
 * @arch: architecture state
 */
struct keel_vcpu {
	struct keel_vm *vm;
	u32 vcpu_id;
	int cpu;
	int mode;
	unsigned long requests;
	struct mutex mutex;	/* one ioctl at a time */
	struct keel_run *run;
	struct page *pio_page;
	void *pio_data;
	sigset_t sigset;
	bool sigset_active;
	wait_queue_head_t wq;
	struct keel_arch_vcpu arch;
};

/* main.c */
extern bool keel_rebooting;

/* virt_enable.c: per-CPU virtualization ownership */
int keel_virt_get(void);
void keel_virt_put(void);
int keel_virt_init(void);
void keel_virt_exit(void);
bool keel_virt_enabled_this_cpu(void);

/* caps.c */
long keel_check_extension(struct keel_vm *vm, unsigned long ext);
int keel_vm_enable_cap(struct keel_vm *vm,
		       const struct keel_enable_cap __user *cap);
void keel_caps_init(void);

static inline u32 keel_vm_max_vcpu_ids(struct keel_vm *vm)
{
	return vm->max_vcpu_ids ? vm->max_vcpu_ids : KEEL_MAX_VCPU_IDS;
}

/* vm.c */
int keel_vm_create(unsigned long type);
void keel_vm_put(struct keel_vm *vm);
void keel_vm_kick_all(struct keel_vm *vm, unsigned int req);

/* ioeventfd.c */
long keel_vm_ioeventfd(struct keel_vm *vm,
		       const struct keel_ioeventfd __user *u);
void keel_ioeventfds_free(struct keel_vm *vm);

/* irqfd.c */
long keel_vm_irqfd(struct keel_vm *vm, const struct keel_irqfd __user *u);
void keel_irqfds_free(struct keel_vm *vm);
int keel_irqfd_init(void);
void keel_irqfd_exit(void);
void keel_irqfd_resample(struct keel_vm *vm, u32 gsi);

/* irq_routing.c */
long keel_vm_set_gsi_routing(struct keel_vm *vm,
			     struct keel_irq_routing __user *u);
void keel_irq_routing_free(struct keel_vm *vm);
void keel_irq_routing_install(struct keel_vm *vm, struct keel_irq_table *new);
const struct keel_irq_route *keel_irq_routes(const struct keel_irq_table *rt,
					     u32 gsi, u32 *n);
int keel_irq_set(struct keel_vm *vm, int src, u32 gsi, bool level);
long keel_vm_irq_line(struct keel_vm *vm, struct keel_irq_level __user *u,
		      bool status);

/* irq_notify.c: a device's interest in GSI @gsi's acks and mask. */
struct keel_irq_notifier {
	struct hlist_node link;
	u32 gsi;
	void (*acked)(struct keel_irq_notifier *n);
	void (*masked)(struct keel_irq_notifier *n, bool masked);
};

void keel_irq_acked(struct keel_vm *vm, u32 irqchip, u32 pin);
void keel_irq_mask_changed(struct keel_vm *vm, u32 irqchip, u32 pin,
			   bool masked);
void keel_irq_notifier_register(struct keel_vm *vm,
				struct keel_irq_notifier *n);
void keel_irq_notifier_unregister(struct keel_vm *vm,
				  struct keel_irq_notifier *n);

/* mmu_notifier.c */
int keel_vm_mmu_notifier_register(struct keel_vm *vm);
void keel_vm_mmu_notifier_unregister(struct keel_vm *vm);

/* memslot.c */
int keel_set_user_memory_region(struct keel_vm *vm,
				const struct keel_userspace_memory_region *mem);
struct keel_memslot *keel_gfn_to_memslot(struct keel_vm *vm, u64 gfn);
bool keel_gpa_is_memory(struct keel_vm *vm, u64 gpa);
void keel_memslots_free(struct keel_vm *vm);
int keel_read_guest(struct keel_vm *vm, u64 gpa, void *data, unsigned int len);
int keel_write_guest(struct keel_vm *vm, u64 gpa, const void *data,
		     unsigned int len);
bool keel_gpa_is_ram(struct keel_vm *vm, u64 gpa, bool write);

static inline unsigned long keel_gfn_to_hva(const struct keel_memslot *slot,
					    u64 gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

/* vcpu.c */
int keel_vcpu_create(struct keel_vm *vm, unsigned long id);
void keel_vcpu_destroy(struct keel_vcpu *vcpu);
void keel_vcpu_kick(struct keel_vcpu *vcpu);

static inline bool keel_check_request(struct keel_vcpu *vcpu, unsigned int req)
{
	return test_and_clear_bit(req, &vcpu->requests);
}

#endif /* _KEEL_CORE_H */
