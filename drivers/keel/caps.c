// SPDX-License-Identifier: GPL-2.0
/*
 * keel: the capability registry. One table says, for every capability,
 * where it applies, how its value is computed, whether it can be enabled
 * and whether it is stable. CHECK_EXTENSION on the system and VM fds and
 * ENABLE_CAP on the VM fd are answered from it and nothing else, so what is
 * advertised and what works cannot drift apart. Every ABI addition answers
 * here, never through a version number.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <keel/core.h>

static bool experimental;
module_param(experimental, bool, 0444);
MODULE_PARM_DESC(experimental,
		 "expose experimental capabilities (their ABI may still change)");

enum keel_cap_scope {
	KEEL_SCOPE_SYSTEM,	/* one value for the module */
	KEEL_SCOPE_VM,		/* per VM; the system fd gives the default */
};

struct keel_cap {
	u32 nr;
	u8 scope;
	bool experimental;
	/* The value CHECK_EXTENSION returns; @vm is NULL on the system fd. */
	long (*value)(struct keel_vm *vm);
	/* ENABLE_CAP on the VM fd; NULL if it cannot be enabled. */
	int (*enable)(struct keel_vm *vm, const struct keel_enable_cap *cap);
	/* How many of args[] enable() reads; the rest must be 0. */
	u8 nr_args;
};

static long keel_cap_one(struct keel_vm *vm)
{
	return 1;
}

static long keel_cap_nr_vcpus(struct keel_vm *vm)
{
	return min_t(long, num_online_cpus(), KEEL_MAX_VCPUS);
}

static long keel_cap_max_vcpus(struct keel_vm *vm)
{
	return KEEL_MAX_VCPUS;
}

static long keel_cap_nr_memslots(struct keel_vm *vm)
{
	return KEEL_USER_MEM_SLOTS;
}

/* The KEEL_GET_XSAVE2 buffer size: the 4096-byte struct keel_xsave. */
static long keel_cap_xsave2(struct keel_vm *vm)
{
	return sizeof(struct keel_xsave);
}

/* The KEEL_CLOCK_* flags KEEL_GET_CLOCK reports. */
static long keel_cap_adjust_clock(struct keel_vm *vm)
{
	return KEEL_CLOCK_TSC_STABLE | KEEL_CLOCK_REALTIME | KEEL_CLOCK_HOST_TSC;
}

/* The KEEL_GUESTDBG_* bits KEEL_SET_GUEST_DEBUG accepts. */
static long keel_cap_guest_debug2(struct keel_vm *vm)
{
	return keel_arch_guest_debug_supported();
}

/* KEEL_SET_GSI_ROUTING takes GSIs below this, as KVM. */
static long keel_cap_irq_routes(struct keel_vm *vm)
{
	return KEEL_MAX_IRQ_ROUTES;
}

static long keel_cap_max_vcpu_id(struct keel_vm *vm)
{
	return vm ? keel_vm_max_vcpu_ids(vm) : KEEL_MAX_VCPU_IDS;
}

/* Lower the VM's vCPU id limit, once, before any vCPU exists. */
static int keel_enable_max_vcpu_id(struct keel_vm *vm,
				   const struct keel_enable_cap *cap)
{
	u64 ids = cap->args[0];
	int r = 0;

	if (!ids || ids > KEEL_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->max_vcpu_ids == ids)
		goto out;
	if (vm->max_vcpu_ids)
		r = -EINVAL;
	else if (vm->created_vcpus)
		r = -EBUSY;
	else
		vm->max_vcpu_ids = ids;
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * keel ends RUN with KEEL_EXIT_INTERNAL_ERROR on every emulation failure,
 * which is what enabling asks for; 0, KVM's "may inject #UD instead",
 * changes nothing either.
 */
static int keel_enable_exit_on_emulation_failure(struct keel_vm *vm,
						 const struct keel_enable_cap *cap)
{
	return cap->args[0] > 1 ? -EINVAL : 0;
}

static const struct keel_cap keel_caps[] = {
	{ KEEL_CAP_USER_MEMORY, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_EXT_CPUID, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_SET_TSS_ADDR, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_MP_STATE, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IOEVENTFD, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IOEVENTFD_NO_LENGTH, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IOEVENTFD_ANY_LENGTH, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_one },
	{ KEEL_CAP_SET_IDENTITY_MAP_ADDR, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_one },
	{ KEEL_CAP_NR_VCPUS, KEEL_SCOPE_SYSTEM, false, keel_cap_nr_vcpus },
	{ KEEL_CAP_NR_MEMSLOTS, KEEL_SCOPE_SYSTEM, false, keel_cap_nr_memslots },
	{ KEEL_CAP_SYNC_MMU, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_JOIN_MEMORY_REGIONS_WORKS, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_one },
	{ KEEL_CAP_DESTROY_MEMORY_REGION_WORKS, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_one },
	{ KEEL_CAP_MAX_VCPUS, KEEL_SCOPE_SYSTEM, false, keel_cap_max_vcpus },
	{ KEEL_CAP_READONLY_MEM, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_ENABLE_CAP_VM, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_CHECK_EXTENSION_VM, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_MAX_VCPU_ID, KEEL_SCOPE_VM, false, keel_cap_max_vcpu_id,
	  keel_enable_max_vcpu_id, 1 },
	{ KEEL_CAP_IMMEDIATE_EXIT, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_GET_MSR_FEATURES, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_XSAVE, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_XCRS, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_XSAVE2, KEEL_SCOPE_SYSTEM, false, keel_cap_xsave2 },
	{ KEEL_CAP_USER_NMI, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_SET_GUEST_DEBUG, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_SET_GUEST_DEBUG2, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_guest_debug2 },
	{ KEEL_CAP_VCPU_EVENTS, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_INTR_SHADOW, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_DEBUGREGS, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_GET_TSC_KHZ, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_ADJUST_CLOCK, KEEL_SCOPE_SYSTEM, false,
	  keel_cap_adjust_clock },
	{ KEEL_CAP_EXCEPTION_PAYLOAD, KEEL_SCOPE_VM, false, keel_cap_one,
	  keel_arch_enable_exception_payload, 1 },
	{ KEEL_CAP_SPLIT_IRQCHIP, KEEL_SCOPE_VM, false, keel_cap_one,
	  keel_arch_enable_split_irqchip, 1 },
	{ KEEL_CAP_TSC_DEADLINE_TIMER, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_VAPIC, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_EXIT_ON_EMULATION_FAILURE, KEEL_SCOPE_VM, false,
	  keel_cap_one, keel_enable_exit_on_emulation_failure, 1 },
	{ KEEL_CAP_IRQ_ROUTING, KEEL_SCOPE_SYSTEM, false, keel_cap_irq_routes },
	{ KEEL_CAP_SIGNAL_MSI, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IRQFD, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IRQCHIP, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_HLT, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IRQ_INJECT_STATUS, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_IRQFD_RESAMPLE, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_PIT2, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_PIT_STATE2, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	{ KEEL_CAP_REINJECT_CONTROL, KEEL_SCOPE_SYSTEM, false, keel_cap_one },
	/* Experimental until the in-kernel LAPIC decides how a guest halted
	 * in guest mode is woken (issue 5).
	 */
	{ KEEL_CAP_X86_DISABLE_EXITS, KEEL_SCOPE_VM, true,
	  keel_arch_disable_exits_supported, keel_arch_enable_disable_exits, 1 },
};

/* The entry for @nr if it exists and is visible with this module's options. */
static const struct keel_cap *keel_cap_find(unsigned long nr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(keel_caps); i++) {
		const struct keel_cap *c = &keel_caps[i];

		if (c->nr != nr)
			continue;
		if (c->experimental && !experimental)
			return NULL;
		return c;
	}
	return NULL;
}

/* Unknown and hidden capabilities answer 0, as KVM does. */
long keel_check_extension(struct keel_vm *vm, unsigned long ext)
{
	const struct keel_cap *c = keel_cap_find(ext);

	return c ? c->value(vm) : 0;
}

int keel_vm_enable_cap(struct keel_vm *vm, const struct keel_enable_cap __user *u)
{
	struct keel_enable_cap cap;
	const struct keel_cap *c;
	int i;

	if (copy_from_user(&cap, u, sizeof(cap)))
		return -EFAULT;
	c = keel_cap_find(cap.cap);
	if (!c || !c->enable || c->scope != KEEL_SCOPE_VM || cap.flags)
		return -EINVAL;
	if (memchr_inv(cap.pad, 0, sizeof(cap.pad)))
		return -EINVAL;
	for (i = c->nr_args; i < ARRAY_SIZE(cap.args); i++)
		if (cap.args[i])
			return -EINVAL;
	/* Advertised as 0 (e.g. nothing the host can offer): not enableable. */
	if (!c->value(vm))
		return -EINVAL;
	return c->enable(vm, &cap);
}

void keel_caps_init(void)
{
	if (experimental)
		pr_warn("experimental capabilities exposed; their ABI may change\n");
}
