/* SPDX-License-Identifier: GPL-2.0 */
/* keel AMD SVM backend: state private to drivers/keel/x86/svm/. */
#ifndef _KEEL_SVM_H
#define _KEEL_SVM_H

#include <keel/core.h>
#include "vmcb.h"

struct keel_svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u64 asid_gen;
	bool force_new_asid;
};

static inline struct keel_svm_vcpu *to_svm(struct keel_vcpu *vcpu)
{
	return vcpu->arch.backend;
}

extern bool keel_svm_nrips;

void keel_svm_vcpu_run(u64 vmcb_pa, unsigned long *regs, u64 host_save_pa);
int keel_svm_handle_exit(struct keel_vcpu *vcpu);

#endif /* _KEEL_SVM_H */
