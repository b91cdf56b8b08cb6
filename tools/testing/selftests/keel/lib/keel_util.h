/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: building VMs. The device comes from $KEEL_DEV (default
 * /dev/keel); $KEEL_IMPL=kvm marks a differential run against in-tree KVM,
 * where tests of keel-only behaviour skip.
 *
 * Guest memory: slot 0 maps guest physical 0 .. mem_size to anonymous host
 * memory. The test binary itself (static, non-PIE) is copied into guest
 * memory at its own addresses, so guest code is ordinary C in the test and
 * guest virtual == guest physical == the host's address of the code.
 */
#ifndef KEEL_UTIL_H
#define KEEL_UTIL_H

#include <pthread.h>
#include <linux/keel.h>
#include "test_util.h"

#define KL_MEM_DEFAULT		(32ULL << 20)
#define KL_PAGE_SIZE		4096ULL

/* Guest physical layout used by kl_vcpu_setup_long_mode(). */
#define KL_GPA_PML4		0x1000ULL
#define KL_GPA_PDPT		0x2000ULL
#define KL_GPA_PD		0x3000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define KL_GPA_GDT		0x8000ULL
#define KL_GPA_IDT		0x9000ULL
#define KL_GPA_TSS		0xa000ULL
#define KL_GPA_STACKS		0x200000ULL	/* stacks grow down from here */
#define KL_GPA_SCRATCH		0x1000000ULL	/* 16 MiB: free for tests */
#define KL_MMIO_BASE		0xd0000000ULL	/* never backed by a slot */

#define KL_SEL_CODE64		0x08
#define KL_SEL_DATA		0x10
#define KL_SEL_TSS		0x18

struct kl_vm {
	int sys_fd;
	int fd;
	u8 *mem;		/* host address of guest physical 0 */
	u64 mem_size;
	int run_size;
	bool long_mode_ready;
	bool split_irqchip;	/* local APICs in the kernel */
	bool full_irqchip;	/* ... and the IOAPIC and PICs (and split_irqchip) */
	int pit_flags;		/* -1, or KEEL_CREATE_PIT2's flags */
};

struct kl_vcpu {
	struct kl_vm *vm;
	int fd;
	u32 id;
	struct keel_run *run;
};

const char *kl_dev_path(void);
bool kl_is_kvm(void);		/* differential run against in-tree KVM */
bool kl_host_is_qemu_tcg(void);	/* see keel_util.c */
int kl_open_dev(void);

/* ioctl that returns -errno on failure. */
int kl_ioctl(int fd, unsigned long cmd, unsigned long arg);
#define kl_ioctlp(fd, cmd, p) kl_ioctl(fd, cmd, (unsigned long)(p))

struct kl_vm *kl_vm_create(u64 mem_size);
void kl_vm_free(struct kl_vm *vm);
struct kl_vcpu *kl_vcpu_add(struct kl_vm *vm, u32 id);
/* KEEL_CAP_SPLIT_IRQCHIP with 24 IOAPIC pins, before any vCPU. */
void kl_vm_enable_split_irqchip(struct kl_vm *vm);
void kl_vm_create_irqchip(struct kl_vm *vm);
void kl_vm_create_pit(struct kl_vm *vm, u32 flags);
void kl_vcpu_free(struct kl_vcpu *vcpu);
void kl_vcpu_kvm_cpuid(struct kl_vcpu *vcpu);
int kl_set_region(struct kl_vm *vm, u32 slot, u32 flags, u64 gpa, u64 size,
		  void *hva);

void *kl_gpa_to_hva(struct kl_vm *vm, u64 gpa);

/* Copy the test binary into the guest and set up paging, GDT and IDT. */
void kl_vm_setup_long_mode(struct kl_vm *vm);
/*
 * GET, SET, GET through a vCPU state ioctl pair of @len bytes: true if
 * SET took what GET returned and the second GET equals the first.
 */
bool kl_state_roundtrip(struct kl_vcpu *vcpu, unsigned long get,
			unsigned long set, size_t len, int *set_r);

/* KEEL_GET_SUPPORTED_CPUID into a table with room for 128 entries. */
struct kl_cpuid {
	struct keel_cpuid2 h;
	struct keel_cpuid_entry2 e[128];
};

void kl_get_supported_cpuid(struct kl_vm *vm, struct kl_cpuid *c);

/* Point IDT entry @vector at @handler (guest code ending in IRETQ). */
void kl_vm_set_idt_gate(struct kl_vm *vm, int vector, void *handler);
/* Start @vcpu in 64-bit mode at @fn(arg0, arg1) on its own stack. */
void kl_vcpu_setup_long_mode(struct kl_vcpu *vcpu, void *fn, u64 arg0,
			     u64 arg1);
/* A VM with @nr vCPUs ready to run @fn in long mode. */
struct kl_vm *kl_vm_create_long(u64 mem_size, void *fn, int nr,
				struct kl_vcpu **vcpus);

int kl_vcpu_run(struct kl_vcpu *vcpu);
void kl_vcpu_complete(struct kl_vcpu *vcpu);
void kl_get_regs(struct kl_vcpu *vcpu, struct keel_regs *regs);
void kl_set_regs(struct kl_vcpu *vcpu, const struct keel_regs *regs);
void kl_get_sregs(struct kl_vcpu *vcpu, struct keel_sregs *sregs);
void kl_set_sregs(struct kl_vcpu *vcpu, const struct keel_sregs *sregs);

static inline void *kl_pio_data(struct kl_vcpu *vcpu)
{
	return (u8 *)vcpu->run + vcpu->run->io.data_offset;
}

const char *kl_exit_name(u32 reason);

/* A thread sitting in RUN; kl_runner_stop() signals it out (-EINTR). */
struct kl_runner {
	struct kl_vcpu *vcpu;
	pthread_t thread;
	volatile int entered;
	int r;
};

void kl_runner_start(struct kl_runner *rn, struct kl_vcpu *vcpu);
bool kl_runner_stop(struct kl_runner *rn);
/*
 * Join @t within @seconds, or signal it out of RUN (its RUN then returns
 * -EINTR: see kl_run_ucall_intr()) and return false.
 */
bool kl_join_within(pthread_t t, int seconds);

#endif
