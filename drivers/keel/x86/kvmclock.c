// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: kvmclock, the paravirtual clock of KVM's guest ABI (Linux's
 * kvm-clock), and the vCPU's TSC frequency.
 *
 * The VM's clock is one function of the host TSC: master_ns plus the TSC
 * ticks since master_tsc, scaled to nanoseconds at the host's TSC rate.
 * Each vCPU's kvmclock area holds that function in guest TSC terms, so
 * all vCPUs read the same time, and KEEL_GET_CLOCK evaluates it for
 * userspace. KEEL_SET_CLOCK moves the master point; TSC writes rewrite the
 * areas (their tsc_timestamp is in guest TSC).
 */
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include <keel/core.h>

#define KEEL_PVCLOCK_TSC_STABLE	BIT(0)
#define KEEL_CLOCK_FLAGS	(KEEL_CLOCK_TSC_STABLE | KEEL_CLOCK_REALTIME | \
				 KEEL_CLOCK_HOST_TSC)
/* As KVM without TSC scaling: the host's rate within 250 ppm. */
#define KEEL_TSC_TOLERANCE_PPM	250

/* The guest's kvmclock area (struct pvclock_vcpu_time_info). */
struct keel_pvclock {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __packed;

/* MSR_KVM_WALL_CLOCK_NEW's area: host real time at kvmclock 0. */
struct keel_pvclock_wall {
	u32 version;
	u32 sec;
	u32 nsec;
} __packed;

/*
 * ns = ((ticks << shift, or >> -shift) * mul) >> 32, as the guest
 * computes it: the largest mul below 2^32 for the best precision.
 */
static void keel_clock_scale(u64 hz, u32 *mul, s8 *shift)
{
	int s = 0;
	u64 m = div64_u64(NSEC_PER_SEC << 32, hz);

	while (m >> 32) {
		s++;
		m = div64_u64(NSEC_PER_SEC << (32 - s), hz);
	}
	while (!(m >> 31) && s > -2) {
		s--;
		m = div64_u64(NSEC_PER_SEC << (32 - s), hz);
	}
	*mul = m;
	*shift = s;
}

static u64 keel_scale(u64 ticks, u32 mul, s8 shift)
{
	ticks = shift < 0 ? ticks >> -shift : ticks << shift;
	return mul_u64_u32_shr(ticks, mul, 32);
}

/* A TSC that runs at one rate and agrees across CPUs. */
bool keel_kvmclock_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

void keel_kvmclock_vm_init(struct keel_vm *vm)
{
	struct keel_arch_vm *a = &vm->arch;

	spin_lock_init(&a->clock_lock);
	keel_clock_scale((u64)tsc_khz * 1000, &a->clock_mul, &a->clock_shift);
	a->master_tsc = rdtsc();
	a->master_ns = 0;
}

static u64 keel_clock_ns(struct keel_vm *vm, u64 host_tsc)
{
	struct keel_arch_vm *a = &vm->arch;
	u64 ns;

	spin_lock(&a->clock_lock);
	ns = a->master_ns + keel_scale(host_tsc - a->master_tsc, a->clock_mul,
				       a->clock_shift);
	spin_unlock(&a->clock_lock);
	return ns;
}

/* Before an entry: the vCPU's area with the current master point. */
void keel_kvmclock_update(struct keel_vcpu *vcpu)
{
	struct keel_arch_vm *a = &vcpu->vm->arch;
	u64 gpa = vcpu->arch.system_time_msr & ~1ULL;
	struct keel_pvclock pv = { 0 };

	if (!(vcpu->arch.system_time_msr & 1))
		return;
	spin_lock(&a->clock_lock);
	pv.tsc_timestamp = a->master_tsc + keel_x86_tsc_offset(vcpu);
	pv.system_time = a->master_ns;
	pv.tsc_to_system_mul = a->clock_mul;
	pv.tsc_shift = a->clock_shift;
	spin_unlock(&a->clock_lock);
	pv.flags = keel_kvmclock_stable() ? KEEL_PVCLOCK_TSC_STABLE : 0;

	/* Odd while it changes; a reader retries until it reads even twice. */
	vcpu->arch.pvclock_version += 2;
	pv.version = vcpu->arch.pvclock_version - 1;
	if (keel_write_guest(vcpu->vm, gpa, &pv.version, sizeof(pv.version)))
		return;
	/* Another vCPU may read it: the odd version before the data. */
	smp_wmb();
	keel_write_guest(vcpu->vm, gpa + 4, (u8 *)&pv + 4, sizeof(pv) - 4);
	/* ... and the data before the even version. */
	smp_wmb();
	pv.version++;
	keel_write_guest(vcpu->vm, gpa, &pv.version, sizeof(pv.version));
}

static void keel_write_wall_clock(struct keel_vm *vm, u64 gpa)
{
	struct keel_pvclock_wall w = { 0 };
	u64 host_tsc, real, boot;
	u32 nsec;

	local_irq_disable();
	host_tsc = rdtsc();
	real = ktime_get_real_ns();
	local_irq_enable();
	boot = real - keel_clock_ns(vm, host_tsc);
	w.sec = div_u64_rem(boot, NSEC_PER_SEC, &nsec);
	w.nsec = nsec;
	w.version = 2;
	keel_write_guest(vm, gpa, &w, sizeof(w));
}

int keel_kvmclock_get_msr(struct keel_vcpu *vcpu, u32 msr, u64 *val)
{
	*val = msr == KEEL_MSR_KVM_SYSTEM_TIME_NEW || msr == KEEL_MSR_KVM_SYSTEM_TIME ?
	       vcpu->arch.system_time_msr : vcpu->vm->arch.wall_clock_msr;
	return 0;
}

int keel_kvmclock_set_msr(struct keel_vcpu *vcpu, u32 msr, u64 val)
{
	if (msr == KEEL_MSR_KVM_WALL_CLOCK_NEW || msr == KEEL_MSR_KVM_WALL_CLOCK) {
		vcpu->vm->arch.wall_clock_msr = val;
		keel_write_wall_clock(vcpu->vm, val);
		return 0;
	}
	/* Bit 0 enables; the 32-byte area is 32-byte aligned (as Linux). */
	if (val & 0x1e)
		return -EINVAL;
	vcpu->arch.system_time_msr = val;
	set_bit(KEEL_REQ_CLOCK_UPDATE, &vcpu->requests);
	return 0;
}

long keel_x86_get_clock(struct keel_vm *vm, struct keel_clock_data __user *u)
{
	struct keel_clock_data d = { 0 };

	local_irq_disable();
	d.host_tsc = rdtsc();
	d.realtime = ktime_get_real_ns();
	local_irq_enable();
	d.clock = keel_clock_ns(vm, d.host_tsc);
	d.flags = KEEL_CLOCK_REALTIME | KEEL_CLOCK_HOST_TSC |
		  (keel_kvmclock_stable() ? KEEL_CLOCK_TSC_STABLE : 0);
	return copy_to_user(u, &d, sizeof(d)) ? -EFAULT : 0;
}

/*
 * The clock reads data.clock now, or, with KEEL_CLOCK_REALTIME, plus the
 * real time passed since data.realtime (a guest moved between hosts).
 * The flags GET reports are accepted back; only REALTIME means anything.
 */
long keel_x86_set_clock(struct keel_vm *vm,
			const struct keel_clock_data __user *u)
{
	struct keel_arch_vm *a = &vm->arch;
	struct keel_clock_data d;
	u64 host_tsc, real;

	if (copy_from_user(&d, u, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~KEEL_CLOCK_FLAGS || d.pad0 ||
	    memchr_inv(d.pad, 0, sizeof(d.pad)))
		return -EINVAL;
	local_irq_disable();
	host_tsc = rdtsc();
	real = ktime_get_real_ns();
	local_irq_enable();
	if ((d.flags & KEEL_CLOCK_REALTIME) && real > d.realtime)
		d.clock += real - d.realtime;
	spin_lock(&a->clock_lock);
	a->master_tsc = host_tsc;
	a->master_ns = d.clock;
	spin_unlock(&a->clock_lock);
	keel_vm_kick_all(vm, KEEL_REQ_CLOCK_UPDATE);
	return 0;
}

/* No TSC scaling: the host's rate, give or take 250 ppm; 0 means it. */
long keel_x86_set_tsc_khz(struct keel_vcpu *vcpu, unsigned long khz)
{
	u64 host = tsc_khz, slack = div_u64(host * KEEL_TSC_TOLERANCE_PPM,
					     1000000);

	if (!khz)
		khz = host;
	if (khz < host - slack || khz > host + slack)
		return -EINVAL;
	vcpu->arch.tsc_khz = khz;
	return 0;
}

long keel_x86_get_tsc_khz(struct keel_vcpu *vcpu)
{
	return vcpu->arch.tsc_khz;
}
