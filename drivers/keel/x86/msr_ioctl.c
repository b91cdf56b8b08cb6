// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: MSRs from userspace. KEEL_GET_MSR_INDEX_LIST says which MSRs
 * a VMM saves and restores, KEEL_GET_MSRS/KEEL_SET_MSRS move them (KVM's
 * semantics: entries are processed in order and the call returns how many
 * succeeded), and the feature MSRs describe the host on the system fd.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#include <keel/compat.h>
#include <keel/core.h>

/* As KVM: more entries than this is -E2BIG, before anything is copied. */
#define KEEL_MAX_IO_MSRS	256

/* Every MSR GET/SET_MSRS accept on a vCPU, in save/restore order. */
static const u32 keel_msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_CR_PAT, MSR_EFER, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE, MSR_IA32_UCODE_REV,
	MSR_IA32_TSC, MSR_IA32_TSC_ADJUST, MSR_TSC_AUX, MSR_K7_HWCR,
	KEEL_MSR_KVM_SYSTEM_TIME_NEW, KEEL_MSR_KVM_WALL_CLOCK_NEW,
	KEEL_MSR_KVM_SYSTEM_TIME, KEEL_MSR_KVM_WALL_CLOCK,
	MSR_IA32_TSC_DEADLINE,
	/* MTRRs: default type, fixed ranges, variable base/mask pairs */
	0x2ff, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
	0x26e, 0x26f,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	/* machine check: MCG_STATUS, MCG_CTL, ten banks of four */
	0x17a, 0x17b,
	0x400, 0x401, 0x402, 0x403, 0x404, 0x405, 0x406, 0x407, 0x408, 0x409,
	0x40a, 0x40b, 0x40c, 0x40d, 0x40e, 0x40f, 0x410, 0x411, 0x412, 0x413,
	0x414, 0x415, 0x416, 0x417, 0x418, 0x419, 0x41a, 0x41b, 0x41c, 0x41d,
	0x41e, 0x41f, 0x420, 0x421, 0x422, 0x423, 0x424, 0x425, 0x426, 0x427,
};

/* MSRs that describe what the host offers (system fd GET_MSRS). */
static const u32 keel_feature_msrs[] = {
	MSR_IA32_UCODE_REV,
};

/* @list, then @n_more of @more: what the host has of the optional ones. */
static long keel_msr_list_out(struct keel_msr_list __user *u,
			      const u32 *list, u32 n, const u32 *more,
			      u32 n_more)
{
	struct keel_msr_list hdr;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	/* As KVM: the count is written back, also when it does not fit. */
	if (put_user(n + n_more, &u->nmsrs))
		return -EFAULT;
	if (hdr.nmsrs < n + n_more)
		return -E2BIG;
	if (copy_to_user(u->indices, list, n * sizeof(*list)) ||
	    copy_to_user(u->indices + n, more, n_more * sizeof(*more)))
		return -EFAULT;
	return 0;
}

long keel_x86_get_msr_index_list(struct keel_msr_list __user *u)
{
	static const u32 spec_ctrl = MSR_IA32_SPEC_CTRL;

	/* Listed only where the host has it, as KVM probes its list. */
	return keel_msr_list_out(u, keel_msrs_to_save,
				 ARRAY_SIZE(keel_msrs_to_save), &spec_ctrl,
				 keel_x86_spec_ctrl_supported() ? 1 : 0);
}

long keel_x86_get_msr_feature_index_list(struct keel_msr_list __user *u)
{
	return keel_msr_list_out(u, keel_feature_msrs,
				 ARRAY_SIZE(keel_feature_msrs), NULL, 0);
}

static int keel_get_feature_msr(struct keel_vcpu *unused, u32 index, u64 *val)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		return keel_host_rdmsr_safe(index, val) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/*
 * Read the header and entries, validate what keel checks up front (pad
 * and reserved fields), then run @fn on each entry in order until one
 * fails. Returns the number of entries processed.
 */
static long keel_msrs_do(struct keel_vcpu *vcpu, struct keel_msrs __user *u,
			 int (*fn)(struct keel_vcpu *, u32, u64 *), bool write)
{
	struct keel_msr_entry *e;
	struct keel_msrs hdr;
	long r;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	if (hdr.nmsrs >= KEEL_MAX_IO_MSRS)
		return -E2BIG;
	if (!hdr.nmsrs)
		return 0;
	e = memdup_user(u->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++) {
		if (e[i].reserved) {
			kfree(e);
			return -EINVAL;
		}
	}
	for (i = 0; i < hdr.nmsrs; i++)
		if (fn(vcpu, e[i].index, &e[i].data))
			break;
	r = i;
	if (!write && copy_to_user(u->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static int keel_get_msr_one(struct keel_vcpu *vcpu, u32 index, u64 *val)
{
	return keel_x86_get_msr(vcpu, index, val, true);
}

static int keel_set_msr_one(struct keel_vcpu *vcpu, u32 index, u64 *val)
{
	return keel_x86_set_msr(vcpu, index, *val, true);
}

long keel_x86_get_msrs(struct keel_vcpu *vcpu, struct keel_msrs __user *u)
{
	return keel_msrs_do(vcpu, u, keel_get_msr_one, false);
}

long keel_x86_set_msrs(struct keel_vcpu *vcpu, struct keel_msrs __user *u)
{
	return keel_msrs_do(vcpu, u, keel_set_msr_one, true);
}

long keel_x86_get_feature_msrs(struct keel_msrs __user *u)
{
	return keel_msrs_do(NULL, u, keel_get_feature_msr, false);
}
