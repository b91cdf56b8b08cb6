/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between keel's arch-independent core and an architecture.
 * Each architecture provides struct keel_arch_vm, struct keel_arch_vcpu and
 * the keel_arch_*() functions declared here.
 */
#ifndef _KEEL_ARCH_H
#define _KEEL_ARCH_H

#include <linux/types.h>

#ifdef CONFIG_X86_64
#include <keel/x86.h>
#else
#error "keel supports x86-64 only for now"
#endif

struct keel_vm;
struct keel_vcpu;
struct keel_enable_cap;

int keel_arch_init(void);
void keel_arch_exit(void);
/* Called on the CPU concerned, preemption disabled. */
int keel_arch_cpu_enable(void);
void keel_arch_cpu_disable(void);

/* System fd ioctls of the architecture; -ENOTTY for unknown ones. */
long keel_arch_dev_ioctl(unsigned int cmd, unsigned long arg);

int keel_arch_vm_init(struct keel_vm *vm);
/* VM fd ioctls of the architecture; -ENOTTY for unknown ones. */
long keel_arch_vm_ioctl(struct keel_vm *vm, unsigned int cmd,
			unsigned long arg);
void keel_arch_vm_destroy(struct keel_vm *vm);
/* KEEL_CAP_X86_DISABLE_EXITS (registry entries in caps.c) */
long keel_arch_disable_exits_supported(struct keel_vm *vm);
int keel_arch_enable_disable_exits(struct keel_vm *vm,
				   const struct keel_enable_cap *cap);

/* KEEL_CAP_SET_GUEST_DEBUG2: the KEEL_GUESTDBG_* flags supported */
long keel_arch_guest_debug_supported(void);
/* KEEL_CAP_SPLIT_IRQCHIP: args[0] IOAPIC pins, before the first vCPU. */
int keel_arch_enable_split_irqchip(struct keel_vm *vm,
				   const struct keel_enable_cap *cap);
/* KEEL_CAP_EXCEPTION_PAYLOAD: args[0] 1 on, 0 off, at any time. */
int keel_arch_enable_exception_payload(struct keel_vm *vm,
				       const struct keel_enable_cap *cap);

/* Interrupt routing: does the VM have an irqchip to route to, is one
 * entry valid for it, and a new table is in place (under irq_lock).
 */
struct keel_irq_routing_entry;
bool keel_arch_irq_routing_allowed(struct keel_vm *vm);
int keel_arch_irq_route_check(struct keel_vm *vm,
			      const struct keel_irq_routing_entry *ue);
void keel_arch_irq_routing_changed(struct keel_vm *vm);
/*
 * Drive one route of a GSI from a source (enum keel_irq_source); any
 * context, under rcu_read_lock(). Returns KVM's line status.
 */
struct keel_irq_route;
int keel_arch_set_irq(struct keel_vm *vm, const struct keel_irq_route *r,
		      int src, bool level);
/* May irqfds resample (an irqchip with EOI-able pins)? */
bool keel_arch_irqfd_resample_allowed(struct keel_vm *vm);

int keel_arch_vcpu_create(struct keel_vcpu *vcpu);
void keel_arch_vcpu_free(struct keel_vcpu *vcpu);
long keel_arch_vcpu_ioctl(struct keel_vcpu *vcpu, unsigned int cmd,
			  unsigned long arg);
/* Check and apply the arch's inputs in the run structure, before RUN. */
int keel_arch_run_input(struct keel_vcpu *vcpu);
/* Fill the arch's outputs in the run structure, after RUN. */
void keel_arch_run_output(struct keel_vcpu *vcpu);
/* Finish an exit userspace has handled; <= 0 stops RUN with that value. */
int keel_arch_complete_userspace_exit(struct keel_vcpu *vcpu);
/* Enter the guest once and handle the exit: > 0 re-enter, else return. */
int keel_arch_vcpu_run_once(struct keel_vcpu *vcpu);

/* Highest guest frame number nested paging can map. */
u64 keel_arch_max_gfn(void);

/* Nested paging, called with vm->mmu_lock held; flushes what it unmaps. */
bool keel_arch_mmu_unmap_gfn_range(struct keel_vm *vm, u64 start, u64 end);

#endif /* _KEEL_ARCH_H */
