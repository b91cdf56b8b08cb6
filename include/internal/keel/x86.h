/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 state shared by the x86 core (drivers/keel/x86/) and its vendor
 * backends, and the operations table through which the core reaches a
 * backend. Only the backend touches hardware virtualization state.
 */
#ifndef _KEEL_X86_H
#define _KEEL_X86_H

#include <linux/bits.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

#include <keel/emulate.h>

struct keel_vm;
struct keel_vcpu;
struct keel_segment;
struct keel_dtable;
struct keel_pic;
struct keel_ioapic;
struct keel_pit;
struct keel_irqchip;

enum keel_reg {
	KEEL_REG_RAX, KEEL_REG_RCX, KEEL_REG_RDX, KEEL_REG_RBX,
	KEEL_REG_RSP, KEEL_REG_RBP, KEEL_REG_RSI, KEEL_REG_RDI,
	KEEL_REG_R8, KEEL_REG_R9, KEEL_REG_R10, KEEL_REG_R11,
	KEEL_REG_R12, KEEL_REG_R13, KEEL_REG_R14, KEEL_REG_R15,
	KEEL_NR_GPRS,
};

enum keel_seg {
	KEEL_SEG_ES, KEEL_SEG_CS, KEEL_SEG_SS, KEEL_SEG_DS,
	KEEL_SEG_FS, KEEL_SEG_GS, KEEL_SEG_TR, KEEL_SEG_LDTR,
	KEEL_NR_SEGS,
};

/* What userspace must finish before the vCPU re-enters the guest. */
enum keel_pending_io {
	KEEL_PENDING_NONE,
	KEEL_PENDING_PIO,
	KEEL_PENDING_MMIO,
};

struct keel_pio_state {
	u16 port;
	u8 size;
	u8 in;
	u8 string;
	u8 rep;
	u8 addr_bytes;
	u32 count;		/* iterations handed to userspace */
	u64 gva;		/* guest buffer of a string op */
	u64 next_rip;
};

/* The MMIO instruction being emulated (mmio.c). */
struct keel_mmio_state {
	struct keel_emu start;	/* state before it; after it, once written */
	u64 fault_gpa;		/* the address of the nested page fault */
	u64 reads[2];		/* data of the reads done, in order */
	u8 nreads;
	/* The access userspace is asked to do. */
	u8 user_exit;
	u8 is_write;
	u8 len;
	u64 gpa;
	u64 data;
};

/* An event in the form the backend injects it or reports it interrupted. */
enum keel_event_type {
	KEEL_EVENT_INTR,
	KEEL_EVENT_NMI,
	KEEL_EVENT_EXCEPTION,
	KEEL_EVENT_SOFT_INTR,	/* INTn, INT3, INTO: re-executed, never kept */
};

struct keel_x86_event {
	enum keel_event_type type;
	u8 vector;
	bool has_error;
	u32 error;
};

/*
 * The vCPU's events in KVM's model (KEEL_GET/SET_VCPU_EVENTS). "Injected"
 * events were being delivered when the guest last exited, or come from
 * KEEL_INTERRUPT; a "pending" exception has not started delivery, so its
 * payload (CR2, DR6) is not applied yet. Fields userspace set are kept
 * as given, even those that mean nothing while their event is absent.
 */
struct keel_x86_events {
	bool exc_injected;
	bool exc_pending;
	u8 exc_nr;
	bool exc_has_error;
	u32 exc_error;
	bool exc_has_payload;
	u64 exc_payload;
	bool irq_injected;
	u8 irq_nr;
	bool nmi_injected;
	bool nmi_masked;
	u8 nmi_pending;		/* NMIs waiting, at most 2 as on hardware */
	/* Intercepted IRET of the NMI handler: unmask once it executed. */
	bool nmi_iret;
	u64 nmi_iret_rip;
};

/* The guest's MTRRs: only stored, nested paging ignores memory types. */
#define KEEL_NR_VAR_MTRR	8
/* Machine-check MSRs (mce.c): MCG_STATUS, MCG_CTL, MCi_CTL/STATUS/ADDR/MISC */
#define KEEL_MCE_BANKS	10
struct keel_mce {
	u64 status;
	u64 ctl;
	u64 banks[4 * KEEL_MCE_BANKS];
};

struct keel_mtrrs {
	u64 def_type;
	u64 fixed[11];
	u64 var[2 * KEEL_NR_VAR_MTRR];	/* base, mask pairs */
};

/* Features of the guest's CPUID that change what keel does. */
#define KEEL_GF_RDTSCP		BIT(0)
#define KEEL_GF_TSC_ADJUST	BIT(1)
#define KEEL_GF_MTRR		BIT(2)
#define KEEL_GF_KVMCLOCK	BIT(3)
#define KEEL_GF_X2APIC		BIT(4)
#define KEEL_GF_TSC_DEADLINE	BIT(5)
#define KEEL_GF_IBPB		BIT(6)	/* PRED_CMD */
#define KEEL_GF_IBRS		BIT(7)	/* SPEC_CTRL and its bits */
#define KEEL_GF_STIBP		BIT(8)
#define KEEL_GF_SSBD		BIT(9)

struct keel_guest_fpu {
	void *xsave;		/* standard-format XSAVE area, 64-byte aligned */
	u64 xcr0;
};

struct keel_arch_vcpu {
	unsigned long regs[KEEL_NR_GPRS];
	unsigned long rip;
	unsigned long rflags;
	u64 apic_base;
	enum keel_pending_io pending;
	unsigned long pending_rip;	/* RIP of the instruction pending */
	struct keel_pio_state pio;
	struct keel_mmio_state mmio;
	struct keel_guest_fpu fpu;
	/* The guest's CPUID table and what it implies. */
	struct keel_cpuid_entry2 *cpuid;
	u32 cpuid_nent;
	u64 cr4_guest_rsvd;	/* CR4 bits the guest's CPUID does not allow */
	u64 guest_xcr0;		/* XCR0 bits the guest's CPUID allows */
	u32 guest_feat;		/* KEEL_GF_*: what the guest's CPUID offers */
	u64 ucode_rev;		/* MSR_IA32_UCODE_REV as the guest reads it */
	u64 tsc_adjust;		/* MSR_IA32_TSC_ADJUST */
	u64 tsc_aux;		/* MSR_TSC_AUX, in the CPU while the guest runs */
	u64 hwcr;		/* MSR_K7_HWCR */
	u64 misc_enable;	/* MSR_IA32_MISC_ENABLE */
	u64 spec_ctrl;		/* MSR_IA32_SPEC_CTRL as the guest wrote it */
	u32 tsc_khz;		/* KEEL_SET/GET_TSC_KHZ */
	u64 system_time_msr;	/* MSR_KVM_SYSTEM_TIME_NEW: kvmclock area */
	u32 pvclock_version;
	struct keel_mtrrs mtrr;
	struct keel_mce mce;
	struct keel_x86_events ev;
	u64 db[4];		/* the guest's DR0-3 */
	bool db_active;		/* ... are in the CPU while it runs */
	/* KEEL_SET_GUEST_DEBUG: KEEL_GUESTDBG_* and userspace's breakpoints */
	u32 guest_debug;
	u64 eff_db[4];		/* DR0-3 in the CPU while USE_HW_BP */
	u64 debug_dr7;		/* DR7 in the VMCB while USE_HW_BP */
	u64 guest_dr7;		/* the guest's own DR7 meanwhile */
	/* keel completed an instruction for the guest with TF set */
	bool step_trap;
	/* The in-kernel local APIC, if the VM has an irqchip */
	struct keel_lapic *apic;
	u32 mp_state;		/* KEEL_MP_STATE_* */
	void *backend;		/* the vendor backend's per-vCPU state */
};

/* Which interrupt controllers the kernel emulates for a VM. */
enum keel_irqchip_mode {
	KEEL_IRQCHIP_NONE,
	KEEL_IRQCHIP_SPLIT,	/* local APICs; IOAPIC and PIC in userspace */
	KEEL_IRQCHIP_KERNEL,	/* local APICs, IOAPIC and PICs in the kernel */
};

struct keel_arch_vm {
	u64 *tdp_root;		/* nested page table root (host virtual) */
	int tdp_levels;
	/*
	 * kvmclock: ns = master_ns + scale(host TSC - master_tsc), the same
	 * function for every vCPU and for KEEL_GET_CLOCK.
	 */
	spinlock_t clock_lock;
	u64 master_tsc;
	u64 master_ns;
	u32 clock_mul;
	s8 clock_shift;
	u64 wall_clock_msr;	/* MSR_KVM_WALL_CLOCK_NEW */
	/* KEEL_CAP_EXCEPTION_PAYLOAD enabled */
	bool exception_payload;
	/* KEEL_X86_DISABLE_EXITS_*: set before the first vCPU, then fixed. */
	u32 disabled_exits;
	/* KEEL_IRQCHIP_*: set before the first vCPU, then fixed. */
	u8 irqchip;
	u32 nr_ioapic_pins;	/* KEEL_CAP_SPLIT_IRQCHIP's args[0] */
	u32 routing_gen;	/* bumped by each KEEL_SET_GSI_ROUTING */
	/* KEEL_IRQCHIP_KERNEL's controllers, set before irqchip is. */
	struct keel_pic *pic;
	struct keel_ioapic *ioapic;
	struct keel_pit *pit;		/* KEEL_CREATE_PIT2, under vm->lock */
	/* Recorded for KVM compatibility; AMD needs neither (see api.rst). */
	u64 tss_addr;
	u64 identity_map_addr;
};

/*
 * The vendor backend. Segment, descriptor-table and control-register
 * accessors work in keel's uapi formats so the x86 core never sees a
 * VMCB or VMCS.
 */
struct keel_x86_ops {
	const char *name;
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	int (*vcpu_create)(struct keel_vcpu *vcpu);
	void (*vcpu_free)(struct keel_vcpu *vcpu);
	void (*vcpu_reset)(struct keel_vcpu *vcpu);

	void (*get_segment)(struct keel_vcpu *vcpu, struct keel_segment *var,
			    int seg);
	void (*set_segment)(struct keel_vcpu *vcpu,
			    const struct keel_segment *var, int seg);
	void (*get_gdt)(struct keel_vcpu *vcpu, struct keel_dtable *dt);
	void (*set_gdt)(struct keel_vcpu *vcpu, const struct keel_dtable *dt);
	void (*get_idt)(struct keel_vcpu *vcpu, struct keel_dtable *dt);
	void (*set_idt)(struct keel_vcpu *vcpu, const struct keel_dtable *dt);
	u64 (*get_cr)(struct keel_vcpu *vcpu, int cr);
	void (*set_cr)(struct keel_vcpu *vcpu, int cr, u64 val);
	u64 (*get_efer)(struct keel_vcpu *vcpu);
	void (*set_efer)(struct keel_vcpu *vcpu, u64 efer);
	u8 (*get_tpr)(struct keel_vcpu *vcpu);
	void (*set_tpr)(struct keel_vcpu *vcpu, u8 tpr);
	u64 (*get_msr_field)(struct keel_vcpu *vcpu, u32 msr, bool *found);
	bool (*set_msr_field)(struct keel_vcpu *vcpu, u32 msr, u64 val);

	/* One guest entry, IRQs off and guest FPU loaded; returns 0. */
	void (*enter_guest)(struct keel_vcpu *vcpu);
	/* Dispatch the last exit: > 0 re-enter, 0 to userspace, < 0 error. */
	int (*handle_exit)(struct keel_vcpu *vcpu);
	/* Deliver @ev (NULL: nothing) on the next entry. */
	void (*inject_event)(struct keel_vcpu *vcpu,
			     const struct keel_x86_event *ev);
	/* After an exit: the event whose delivery the exit interrupted. */
	bool (*interrupted_event)(struct keel_vcpu *vcpu,
				  struct keel_x86_event *ev);
	/* STI or MOV SS shadow: no interrupt or NMI before one instruction. */
	bool (*get_interrupt_shadow)(struct keel_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct keel_vcpu *vcpu, bool on);
	/* Exit before the guest's next IRET (the end of an NMI handler). */
	void (*set_iret_intercept)(struct keel_vcpu *vcpu, bool on);
	/* Intercept #DB and MOV DR as arch.guest_debug requires. */
	void (*update_debug_intercepts)(struct keel_vcpu *vcpu);
	/* DR6 and DR7 live in the backend; DR0-3 in struct keel_arch_vcpu. */
	u64 (*get_dr)(struct keel_vcpu *vcpu, int dr);
	void (*set_dr)(struct keel_vcpu *vcpu, int dr, u64 val);
	/* IF set and no interrupt shadow: an interrupt would be taken now. */
	bool (*interrupt_allowed)(struct keel_vcpu *vcpu);
	/* Exit (VINTR) as soon as the guest can take an interrupt. */
	void (*set_irq_window)(struct keel_vcpu *vcpu, bool on);
	/* Make the next entry use fresh guest TLB entries. */
	void (*flush_guest_tlb)(struct keel_vcpu *vcpu);
	/* Exit on guest CR8 writes (an interrupt waits for a lower TPR). */
	void (*set_cr8_intercept)(struct keel_vcpu *vcpu, bool on);
};

extern const struct keel_x86_ops *keel_x86;
extern const struct keel_x86_ops keel_svm_ops;

/* DR6 and DR7 at reset; the DR6 bits a #DB sets for DR0-3 matches. */
#define KEEL_DR6_INIT		0xffff0ff0ULL
#define KEEL_DR7_INIT		0x400ULL
#define KEEL_DR6_TRAP_BITS	0xfULL
#define KEEL_DR6_BS		BIT_ULL(14)

#define KEEL_EXC_DE	0
#define KEEL_EXC_DB	1
#define KEEL_EXC_NMI	2
#define KEEL_EXC_BP	3
#define KEEL_EXC_OF	4
#define KEEL_EXC_UD	6
#define KEEL_EXC_GP	13
#define KEEL_EXC_PF	14

/* x86.c */
void keel_x86_vcpu_reset(struct keel_vcpu *vcpu);
void keel_x86_vcpu_init(struct keel_vcpu *vcpu);
u8 keel_x86_get_cr8(struct keel_vcpu *vcpu);
void keel_x86_set_cr8(struct keel_vcpu *vcpu, u8 cr8);
int keel_x86_handle_cr8_write(struct keel_vcpu *vcpu);
void keel_x86_skip_to(struct keel_vcpu *vcpu, u64 next_rip);
int keel_x86_internal_error(struct keel_vcpu *vcpu, u32 suberror,
			    u64 data0, u64 data1);
int keel_x86_cpu_mode_bytes(struct keel_vcpu *vcpu);
int keel_x86_handle_hlt(struct keel_vcpu *vcpu, u64 next_rip);
int keel_x86_handle_xsetbv(struct keel_vcpu *vcpu, u64 next_rip);
u64 keel_x86_valid_efer(void);
int keel_x86_handle_cr4_write(struct keel_vcpu *vcpu);

/* events.c */
void keel_x86_queue_exception(struct keel_vcpu *vcpu, u8 nr, bool has_error,
			      u32 error);
void keel_x86_prepare_events(struct keel_vcpu *vcpu);
void keel_x86_complete_events(struct keel_vcpu *vcpu);
void keel_x86_iret_exit(struct keel_vcpu *vcpu);
bool keel_x86_ready_for_interrupt(struct keel_vcpu *vcpu);
bool keel_x86_irq_queued(struct keel_vcpu *vcpu, u8 *vector);
void keel_x86_queue_irq(struct keel_vcpu *vcpu, u8 vector);
long keel_x86_interrupt(struct keel_vcpu *vcpu,
			const struct keel_interrupt __user *u);
long keel_x86_nmi(struct keel_vcpu *vcpu);
long keel_x86_get_vcpu_events(struct keel_vcpu *vcpu,
			      struct keel_vcpu_events __user *u);
long keel_x86_set_vcpu_events(struct keel_vcpu *vcpu,
			      const struct keel_vcpu_events __user *u);

/* debugreg.c */
void keel_x86_debugreg_reset(struct keel_vcpu *vcpu);
bool keel_x86_load_guest_db(struct keel_vcpu *vcpu, unsigned long *host_db);

/* spec_ctrl.c */
bool keel_x86_spec_ctrl_supported(void);
u32 keel_x86_spec_ctrl_cpuid(void);
u32 keel_x86_spec_ctrl_features(u32 e8_ebx);
int keel_x86_get_spec_ctrl(struct keel_vcpu *vcpu, u64 *val, bool host);
int keel_x86_set_spec_ctrl(struct keel_vcpu *vcpu, u64 val, bool host);
int keel_x86_set_pred_cmd(struct keel_vcpu *vcpu, u64 val, bool host);
bool keel_x86_spec_ctrl_enter(struct keel_vcpu *vcpu, u64 *host_val);
void keel_x86_spec_ctrl_exit(u64 host_val);
void keel_x86_restore_host_db(const unsigned long *host_db);
void keel_x86_save_guest_db(struct keel_vcpu *vcpu);
void keel_x86_db_set_active(struct keel_vcpu *vcpu, bool active);
void keel_x86_db_settle(struct keel_vcpu *vcpu);
long keel_x86_get_debugregs(struct keel_vcpu *vcpu,
			    struct keel_debugregs __user *u);
long keel_x86_set_debugregs(struct keel_vcpu *vcpu,
			    const struct keel_debugregs __user *u);

/* guest_debug.c */
u64 *keel_x86_active_db(struct keel_vcpu *vcpu);
u64 keel_x86_get_guest_dr7(struct keel_vcpu *vcpu);
void keel_x86_set_guest_dr7(struct keel_vcpu *vcpu, u64 val);
void keel_x86_guest_debug_reset(struct keel_vcpu *vcpu);
bool keel_x86_singlestep_begin(struct keel_vcpu *vcpu);
void keel_x86_singlestep_end(struct keel_vcpu *vcpu, bool set);
bool keel_x86_irqs_blocked(struct keel_vcpu *vcpu);
int keel_x86_debug_exit(struct keel_vcpu *vcpu);
int keel_x86_deliver_step(struct keel_vcpu *vcpu);
int keel_x86_handle_dr_access(struct keel_vcpu *vcpu, int dr, bool write);
long keel_x86_set_guest_debug(struct keel_vcpu *vcpu,
			      const struct keel_guest_debug __user *u);

/* fpu_state.c */
long keel_x86_get_fpu(struct keel_vcpu *vcpu, struct keel_fpu __user *u);
long keel_x86_set_fpu(struct keel_vcpu *vcpu, const struct keel_fpu __user *u);
long keel_x86_get_xsave(struct keel_vcpu *vcpu, void __user *u);
long keel_x86_set_xsave(struct keel_vcpu *vcpu, const void __user *u);
long keel_x86_get_xcrs(struct keel_vcpu *vcpu, struct keel_xcrs __user *u);
long keel_x86_set_xcrs(struct keel_vcpu *vcpu, const struct keel_xcrs __user *u);
bool keel_x86_xcr0_valid(struct keel_vcpu *vcpu, u64 val);

/* An address whose bits above @bits - 1 repeat bit @bits - 1. */
static inline bool keel_canonical(u64 v, int bits)
{
	return (u64)((s64)(v << (64 - bits)) >> (64 - bits)) == v;
}

/* irqchip.c */
int keel_arch_enable_split_irqchip(struct keel_vm *vm,
				   const struct keel_enable_cap *cap);
int keel_x86_irqchip_vcpu_create(struct keel_vcpu *vcpu);
void keel_x86_extint_kick(struct keel_vm *vm);

/* irqchip_vm.c */
long keel_x86_create_irqchip(struct keel_vm *vm);
long keel_x86_get_irqchip(struct keel_vm *vm, struct keel_irqchip __user *u);
long keel_x86_set_irqchip(struct keel_vm *vm,
			  const struct keel_irqchip __user *u);
void keel_x86_irqchip_free(struct keel_vm *vm);
bool keel_x86_apic_ready(struct keel_vcpu *vcpu);
int keel_x86_apic_halt(struct keel_vcpu *vcpu);
bool keel_x86_apic_inject(struct keel_vcpu *vcpu, bool may_inject);
long keel_x86_apic_extint(struct keel_vcpu *vcpu, u8 vector);
bool keel_x86_apic_extint_ready(struct keel_vcpu *vcpu);
long keel_x86_get_mp_state(struct keel_vcpu *vcpu,
			   struct keel_mp_state __user *u);
long keel_x86_set_mp_state(struct keel_vcpu *vcpu,
			   const struct keel_mp_state __user *u);

/* msr.c, msr_ioctl.c */
u64 keel_x86_tsc_offset(struct keel_vcpu *vcpu);
int keel_x86_get_msr(struct keel_vcpu *vcpu, u32 index, u64 *val, bool host);
int keel_x86_set_msr(struct keel_vcpu *vcpu, u32 index, u64 val, bool host);
long keel_x86_get_msr_index_list(struct keel_msr_list __user *u);
long keel_x86_get_msr_feature_index_list(struct keel_msr_list __user *u);
long keel_x86_get_msrs(struct keel_vcpu *vcpu, struct keel_msrs __user *u);
long keel_x86_set_msrs(struct keel_vcpu *vcpu, struct keel_msrs __user *u);
long keel_x86_get_feature_msrs(struct keel_msrs __user *u);

/* kvmclock.c */
/* KVM's first kvmclock MSRs: the same two registers under other names */
#define KEEL_MSR_KVM_WALL_CLOCK		0x11
#define KEEL_MSR_KVM_SYSTEM_TIME	0x12
#define KEEL_MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define KEEL_MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
void keel_kvmclock_vm_init(struct keel_vm *vm);
void keel_kvmclock_update(struct keel_vcpu *vcpu);
int keel_kvmclock_get_msr(struct keel_vcpu *vcpu, u32 msr, u64 *val);
int keel_kvmclock_set_msr(struct keel_vcpu *vcpu, u32 msr, u64 val);
long keel_x86_get_clock(struct keel_vm *vm, struct keel_clock_data __user *u);
long keel_x86_set_clock(struct keel_vm *vm,
			const struct keel_clock_data __user *u);
long keel_x86_set_tsc_khz(struct keel_vcpu *vcpu, unsigned long khz);
long keel_x86_get_tsc_khz(struct keel_vcpu *vcpu);
bool keel_kvmclock_stable(void);

/* mce.c */
bool keel_x86_is_mce(u32 msr);
int keel_x86_get_mce(struct keel_vcpu *vcpu, u32 msr, u64 *val);
int keel_x86_set_mce(struct keel_vcpu *vcpu, u32 msr, u64 val, bool host);

/* mtrr.c */
bool keel_x86_is_mtrr(u32 msr);
int keel_x86_get_mtrr(struct keel_vcpu *vcpu, u32 msr, u64 *val);
int keel_x86_set_mtrr(struct keel_vcpu *vcpu, u32 msr, u64 val);

/* user_msr.c: host MSRs restored on the way back to userspace */
void keel_user_msr_load_tsc_aux(u64 val);
void keel_user_msr_drop(void);

/* cpuid.c */
int keel_cpuid_init(void);
int keel_cpuid_vcpu_init(struct keel_vcpu *vcpu);
void keel_cpuid_vcpu_free(struct keel_vcpu *vcpu);
int keel_x86_handle_cpuid(struct keel_vcpu *vcpu, u64 next_rip);
long keel_x86_get_supported_cpuid(struct keel_cpuid2 __user *u);
long keel_x86_get_cpuid2(struct keel_vcpu *vcpu, struct keel_cpuid2 __user *u);
long keel_x86_set_cpuid2(struct keel_vcpu *vcpu, struct keel_cpuid2 __user *u);

/* msr.c */
int keel_x86_handle_rdmsr(struct keel_vcpu *vcpu, u64 next_rip);
int keel_x86_handle_wrmsr(struct keel_vcpu *vcpu, u64 next_rip);
int keel_x86_check_apic_base(u64 val);
u64 keel_x86_default_apic_base(struct keel_vcpu *vcpu);

/* pio.c */
struct keel_pio_exit {
	u16 port;
	u8 size;
	bool in, string, rep;
	u8 addr_bytes;
	u64 next_rip;
};

int keel_x86_handle_pio(struct keel_vcpu *vcpu, const struct keel_pio_exit *e);
int keel_x86_complete_pio(struct keel_vcpu *vcpu);

/* paging.c: guest page-table walks */
int keel_gva_to_gpa(struct keel_vcpu *vcpu, u64 gva, u64 *gpa);
u64 keel_seg_base(struct keel_vcpu *vcpu, int seg);
long keel_x86_translate(struct keel_vcpu *vcpu,
			struct keel_translation __user *u);

/* emulate.c: MMIO instruction decode and completion */
int keel_x86_emulate_mmio(struct keel_vcpu *vcpu, u64 gpa, bool write);
int keel_x86_complete_mmio(struct keel_vcpu *vcpu);
int keel_x86_fetch_insn(struct keel_vcpu *vcpu, u8 *buf, unsigned int *len);
bool keel_x86_at_sti_hlt(struct keel_vcpu *vcpu);
void keel_x86_window_opened(struct keel_vcpu *vcpu);

/* mmu.c: nested (two-dimensional) paging */
int keel_mmu_init_vm(struct keel_vm *vm);
void keel_mmu_destroy_vm(struct keel_vm *vm);
u64 keel_mmu_root_pa(struct keel_vm *vm);
int keel_mmu_page_fault(struct keel_vcpu *vcpu, u64 gpa, bool write,
			bool present);

/* fpu.c */
int keel_fpu_setup(void);
int keel_fpu_vcpu_init(struct keel_vcpu *vcpu);
void keel_fpu_vcpu_free(struct keel_vcpu *vcpu);
void keel_fpu_load_guest(struct keel_vcpu *vcpu);
void keel_fpu_put_guest(struct keel_vcpu *vcpu);
void keel_fpu_switch_xcr0_guest(struct keel_vcpu *vcpu);
void keel_fpu_switch_xcr0_host(struct keel_vcpu *vcpu);
u64 keel_fpu_guest_supported_xcr0(void);
u32 keel_fpu_area_size(void);
u32 keel_fpu_mxcsr_mask(void);

#include <keel/lapic.h>

#endif /* _KEEL_X86_H */
