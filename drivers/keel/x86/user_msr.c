// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: MSRs the guest uses directly whose host values only host
 * userspace needs. TSC_AUX (what RDTSCP and RDPID return, the CPU number
 * for the vDSO's getcpu) holds the guest's value from the first entry on
 * a CPU until the thread goes back to userspace, where a user-return
 * notifier puts the host's back: switching on every exit would cost a
 * WRMSR for nothing.
 */
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include <keel/compat.h>
#include <keel/core.h>

struct keel_user_msrs {
	struct user_return_notifier urn;
	bool registered;
	u64 host_tsc_aux;
	u64 curr_tsc_aux;
};

static DEFINE_PER_CPU(struct keel_user_msrs, keel_user_msrs);

static void keel_user_return(struct user_return_notifier *urn)
{
	struct keel_user_msrs *m = container_of(urn, struct keel_user_msrs,
						urn);
	unsigned long flags;

	/* keel_user_msr_drop() may run here too, from the CPU disable IPI. */
	local_irq_save(flags);
	if (m->registered) {
		m->registered = false;
		user_return_notifier_unregister(urn);
	}
	if (m->curr_tsc_aux != m->host_tsc_aux) {
		keel_host_wrmsr(MSR_TSC_AUX, m->host_tsc_aux);
		m->curr_tsc_aux = m->host_tsc_aux;
	}
	local_irq_restore(flags);
}

/* Before an entry, interrupts off: the guest's TSC_AUX into this CPU. */
void keel_user_msr_load_tsc_aux(u64 val)
{
	struct keel_user_msrs *m = this_cpu_ptr(&keel_user_msrs);

	if (!m->registered) {
		keel_host_rdmsr(MSR_TSC_AUX, m->host_tsc_aux);
		m->curr_tsc_aux = m->host_tsc_aux;
		m->urn.on_user_return = keel_user_return;
		user_return_notifier_register(&m->urn);
		m->registered = true;
	}
	if (val != m->curr_tsc_aux) {
		keel_host_wrmsr(MSR_TSC_AUX, val);
		m->curr_tsc_aux = val;
	}
}

/* This CPU stops running guests (keel unloads): restore the host's now. */
void keel_user_msr_drop(void)
{
	keel_user_return(&this_cpu_ptr(&keel_user_msrs)->urn);
}
