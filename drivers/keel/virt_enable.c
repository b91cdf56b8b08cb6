// SPDX-License-Identifier: GPL-2.0
/*
 * keel: ownership of the CPUs' virtualization extension.
 *
 * keel turns virtualization on in every online CPU when the first VM is
 * created and off again when the last VM is gone, rather than at module
 * load. While no VM exists the CPUs are left free for another hypervisor
 * (kvm_amd), and a loaded but idle keel costs nothing. If another
 * hypervisor already owns a CPU, VM creation fails with -EBUSY and touches
 * nothing. CPUs that come online while VMs exist are enabled by a hotplug
 * callback; CPUs going offline and a reboot turn it off.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/smp.h>

#include <keel/core.h>

static DEFINE_MUTEX(keel_virt_lock);
static unsigned int keel_virt_users;
static DEFINE_PER_CPU(bool, keel_cpu_enabled);
static enum cpuhp_state keel_cpuhp_state;

bool keel_virt_enabled_this_cpu(void)
{
	return this_cpu_read(keel_cpu_enabled);
}

static int keel_cpu_enable(void)
{
	int r;

	if (this_cpu_read(keel_cpu_enabled) || keel_rebooting)
		return keel_rebooting ? -EBUSY : 0;
	r = keel_arch_cpu_enable();
	if (!r)
		this_cpu_write(keel_cpu_enabled, true);
	return r;
}

static void keel_cpu_disable(void)
{
	if (!this_cpu_read(keel_cpu_enabled))
		return;
	keel_arch_cpu_disable();
	this_cpu_write(keel_cpu_enabled, false);
}

static void keel_cpu_enable_ipi(void *failed)
{
	int r = keel_cpu_enable();

	if (r)
		atomic_cmpxchg(failed, 0, r);
}

static void keel_cpu_disable_ipi(void *unused)
{
	keel_cpu_disable();
}

int keel_virt_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	mutex_lock(&keel_virt_lock);
	cpus_read_lock();
	if (!keel_virt_users) {
		on_each_cpu(keel_cpu_enable_ipi, &failed, 1);
		r = atomic_read(&failed);
		if (r)
			on_each_cpu(keel_cpu_disable_ipi, NULL, 1);
		if (r == -EBUSY && !keel_rebooting)
			pr_warn_ratelimited("virtualization is in use by another hypervisor; unload it (rmmod kvm_amd) or load it with enable_virt_at_load=0\n");
	}
	if (!r)
		keel_virt_users++;
	cpus_read_unlock();
	mutex_unlock(&keel_virt_lock);
	return r;
}

void keel_virt_put(void)
{
	mutex_lock(&keel_virt_lock);
	cpus_read_lock();
	if (!WARN_ON_ONCE(!keel_virt_users) && !--keel_virt_users)
		on_each_cpu(keel_cpu_disable_ipi, NULL, 1);
	cpus_read_unlock();
	mutex_unlock(&keel_virt_lock);
}

/* Hotplug callbacks run on the CPU going up or down. */
static int keel_cpu_online(unsigned int cpu)
{
	if (!keel_virt_users)
		return 0;
	return keel_cpu_enable();
}

static int keel_cpu_offline(unsigned int cpu)
{
	keel_cpu_disable();
	return 0;
}

int keel_virt_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "keel:online",
				      keel_cpu_online, keel_cpu_offline);
	if (r < 0)
		return r;
	keel_cpuhp_state = r;
	return 0;
}

/* Module unload (no VM can exist) and reboot (VMs may still exist). */
void keel_virt_exit(void)
{
	if (keel_cpuhp_state) {
		cpuhp_remove_state_nocalls(keel_cpuhp_state);
		keel_cpuhp_state = 0;
	}
	on_each_cpu(keel_cpu_disable_ipi, NULL, 1);
}
