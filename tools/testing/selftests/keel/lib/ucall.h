/* SPDX-License-Identifier: GPL-2.0 */
/* keel selftests: the host side of the guest-to-host call channel. */
#ifndef KEEL_UCALL_H
#define KEEL_UCALL_H

#include "keel_util.h"
#include "guest.h"

/* The ucall behind the last exit, or KL_UCALL_NONE if it was something else. */
u64 kl_get_ucall(struct kl_vcpu *vcpu, struct kl_ucall *uc);
/*
 * Run until the guest makes a ucall; a guest assertion, exception or any
 * other exit fails the test. Returns the ucall's command.
 */
u64 kl_run_ucall(struct kl_vcpu *vcpu, struct kl_ucall *uc);
/* As kl_run_ucall(), but a signal ending RUN returns KL_UCALL_NONE. */
u64 kl_run_ucall_intr(struct kl_vcpu *vcpu, struct kl_ucall *uc);
/* Describe the last exit, for test messages. */
const char *kl_describe_exit(struct kl_vcpu *vcpu);

#endif
