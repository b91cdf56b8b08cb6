/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel: the userspace ABI of /dev/keel.
 *
 * For the subset keel shares with KVM (API version 12), every ioctl
 * number, capability number, exit reason and structure layout here is
 * identical to <linux/kvm.h>, so a VMM written against KVM runs unchanged.
 * keel-only additions use capability numbers from KEEL_CAP_PRIVATE_BASE.
 *
 * Rules (Documentation/compat.rst): fixed-width types only, natural
 * alignment, explicit padding, and a released layout never changes.
 */
#ifndef _UAPI_LINUX_KEEL_H
#define _UAPI_LINUX_KEEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KEEL_API_VERSION	12

/* ioctl type byte, shared with KVM */
#define KEELIO			0xAE

/* Capabilities (KVM numbers for the shared subset). */
#define KEEL_CAP_IRQCHIP		0
#define KEEL_CAP_HLT			1
#define KEEL_CAP_USER_MEMORY		3
#define KEEL_CAP_SET_TSS_ADDR		4
#define KEEL_CAP_EXT_CPUID		7
#define KEEL_CAP_NR_VCPUS		9
#define KEEL_CAP_NR_MEMSLOTS		10
#define KEEL_CAP_MP_STATE		14
#define KEEL_CAP_IRQFD			32
#define KEEL_CAP_IRQFD_RESAMPLE		82
#define KEEL_CAP_IRQ_ROUTING		25
#define KEEL_CAP_IRQ_INJECT_STATUS	26
#define KEEL_CAP_PIT2			33
#define KEEL_CAP_PIT_STATE2		35
#define KEEL_CAP_REINJECT_CONTROL	24
#define KEEL_CAP_SIGNAL_MSI		77
#define KEEL_CAP_IOEVENTFD		36
#define KEEL_CAP_IOEVENTFD_NO_LENGTH	100
#define KEEL_CAP_IOEVENTFD_ANY_LENGTH	122
#define KEEL_CAP_USER_NMI		22
#define KEEL_CAP_SET_GUEST_DEBUG	23
#define KEEL_CAP_ADJUST_CLOCK		39
#define KEEL_CAP_TSC_DEADLINE_TIMER	72
#define KEEL_CAP_SPLIT_IRQCHIP		121
#define KEEL_CAP_VAPIC			6
#define KEEL_CAP_VCPU_EVENTS		41
#define KEEL_CAP_INTR_SHADOW		49
#define KEEL_CAP_DEBUGREGS		50
#define KEEL_CAP_GET_TSC_KHZ		61
#define KEEL_CAP_XSAVE			55
#define KEEL_CAP_XCRS			56
#define KEEL_CAP_SYNC_MMU		16
#define KEEL_CAP_JOIN_MEMORY_REGIONS_WORKS 30
#define KEEL_CAP_DESTROY_MEMORY_REGION_WORKS 21
#define KEEL_CAP_SET_IDENTITY_MAP_ADDR	37
#define KEEL_CAP_MAX_VCPUS		66
#define KEEL_CAP_READONLY_MEM		81
#define KEEL_CAP_ENABLE_CAP_VM		98
#define KEEL_CAP_CHECK_EXTENSION_VM	105
#define KEEL_CAP_MAX_VCPU_ID		128
#define KEEL_CAP_IMMEDIATE_EXIT		136
#define KEEL_CAP_X86_DISABLE_EXITS	143
#define KEEL_CAP_EXCEPTION_PAYLOAD	164
#define KEEL_CAP_GET_MSR_FEATURES	153
#define KEEL_CAP_SET_GUEST_DEBUG2	195
#define KEEL_CAP_EXIT_ON_EMULATION_FAILURE 204
#define KEEL_CAP_XSAVE2			208

/* keel-only capabilities live far above anything KVM will allocate. */
#define KEEL_CAP_PRIVATE_BASE		0x4b450000
/*
 * Reserved, never advertised before keel 1.0: "keel's own extensions
 * (capabilities from KEEL_CAP_PRIVATE_BASE) are stable".
 */
#define KEEL_CAP_KEEL_STABLE		(KEEL_CAP_PRIVATE_BASE + 0)

/* KEEL_ENABLE_CAP(KEEL_CAP_X86_DISABLE_EXITS) args[0] */
#define KEEL_X86_DISABLE_EXITS_MWAIT	(1 << 0)
#define KEEL_X86_DISABLE_EXITS_HLT	(1 << 1)
#define KEEL_X86_DISABLE_EXITS_PAUSE	(1 << 2)
#define KEEL_X86_DISABLE_EXITS_CSTATE	(1 << 3)

/* Machine types accepted by KEEL_CREATE_VM. */
#define KEEL_VM_TYPE_DEFAULT		0

/* Exit reasons (struct keel_run.exit_reason). */
#define KEEL_EXIT_UNKNOWN		0
#define KEEL_EXIT_EXCEPTION		1
#define KEEL_EXIT_IO			2
#define KEEL_EXIT_HYPERCALL		3
#define KEEL_EXIT_DEBUG			4
#define KEEL_EXIT_HLT			5
#define KEEL_EXIT_MMIO			6
#define KEEL_EXIT_IRQ_WINDOW_OPEN	7
#define KEEL_EXIT_SHUTDOWN		8
#define KEEL_EXIT_FAIL_ENTRY		9
#define KEEL_EXIT_INTR			10
#define KEEL_EXIT_TPR_ACCESS		12
#define KEEL_EXIT_INTERNAL_ERROR	17
#define KEEL_EXIT_IOAPIC_EOI		26

/* run->internal.suberror */
#define KEEL_INTERNAL_ERROR_EMULATION		1
#define KEEL_INTERNAL_ERROR_SIMUL_EX		2
#define KEEL_INTERNAL_ERROR_DELIVERY_EV		3
#define KEEL_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON 4

/* run->emulation_failure.flags */
#define KEEL_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES	(1ULL << 0)

#define KEEL_EXIT_IO_IN			0
#define KEEL_EXIT_IO_OUT		1

/* The vCPU mmap: run structure, then the PIO data page. */
#define KEEL_PIO_PAGE_OFFSET		1

/* KEEL_EXIT_DEBUG: what stopped the guest */
struct keel_debug_exit_arch {
	__u32 exception;	/* 1 (#DB) or 3 (#BP) */
	__u32 pad;
	__u64 pc;		/* linear address: CS base + RIP */
	__u64 dr6;
	__u64 dr7;
};

struct keel_run {
	/* in */
	__u8 request_interrupt_window;
	__u8 immediate_exit;
	__u8 padding1[6];

	/* out */
	__u32 exit_reason;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u16 flags;

	/* in (before RUN), out (after RUN) */
	__u64 cr8;
	__u64 apic_base;

	union {
		/* KEEL_EXIT_UNKNOWN */
		struct {
			__u64 hardware_exit_reason;
		} hw;
		/* KEEL_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
			__u32 pad;
		} fail_entry;
		/* KEEL_EXIT_EXCEPTION */
		struct {
			__u32 exception;
			__u32 error_code;
		} ex;
		/* KEEL_EXIT_DEBUG */
		struct {
			struct keel_debug_exit_arch arch;
		} debug;
		/* KEEL_EXIT_IO */
		struct {
			__u8 direction;
			__u8 size;	/* bytes */
			__u16 port;
			__u32 count;
			__u64 data_offset;	/* relative to the start of keel_run */
		} io;
		/* KEEL_EXIT_MMIO */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		/* KEEL_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		/* KEEL_EXIT_INTERNAL_ERROR, KEEL_INTERNAL_ERROR_EMULATION */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 flags;
			union {
				struct {
					__u8 insn_size;
					__u8 insn_bytes[15];
				};
			};
			/* then data[3] onwards of internal, as ndata says */
		} emulation_failure;
		/* KEEL_EXIT_IOAPIC_EOI */
		struct {
			__u8 vector;
		} eoi;
		/* KEEL_EXIT_TPR_ACCESS */
		struct {
			__u64 rip;
			__u32 is_write;
			__u32 pad;
		} tpr_access;
		/* Room for future exits; the union is 256 bytes forever. */
		__u8 padding[256];
	};

	__u64 kvm_valid_regs;
	__u64 kvm_dirty_regs;
	union {
		__u8 padding[2048];
	} s;
};

/* KEEL_GET_REGS, KEEL_SET_REGS */
struct keel_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8,  r9,  r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

struct keel_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8  type;
	__u8  present, dpl, db, s, l, g, avl;
	__u8  unusable;
	__u8  padding;
};

struct keel_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

#define KEEL_NR_INTERRUPTS 256

/* KEEL_GET_SREGS, KEEL_SET_SREGS */
struct keel_sregs {
	struct keel_segment cs, ds, es, fs, gs, ss;
	struct keel_segment tr, ldt;
	struct keel_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 interrupt_bitmap[(KEEL_NR_INTERRUPTS + 63) / 64];
};

/* KEEL_SET_USER_MEMORY_REGION */
struct keel_userspace_memory_region {
	__u32 slot;	/* bits 0-15: slot id, bits 16-31: address space */
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;	/* bytes; 0 deletes the slot */
	__u64 userspace_addr;	/* start of the backing host memory */
};

#define KEEL_MEM_LOG_DIRTY_PAGES	(1U << 0)
#define KEEL_MEM_READONLY		(1U << 1)

/* KEEL_GET_SUPPORTED_CPUID, KEEL_SET_CPUID2, KEEL_GET_CPUID2 */
struct keel_cpuid_entry2 {
	__u32 function;	/* EAX on input to CPUID */
	__u32 index;	/* ECX on input, if KEEL_CPUID_FLAG_SIGNIFCANT_INDEX */
	__u32 flags;
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding[3];
};

/* KVM's spelling, kept for source compatibility. */
#define KEEL_CPUID_FLAG_SIGNIFCANT_INDEX	(1 << 0)
/* KVM's obsolete leaf 2 iteration marks: accepted and ignored, as KVM. */
#define KEEL_CPUID_FLAG_STATEFUL_FUNC		(1 << 1)
#define KEEL_CPUID_FLAG_STATE_READ_NEXT		(1 << 2)

struct keel_cpuid2 {
	__u32 nent;
	__u32 padding;
	struct keel_cpuid_entry2 entries[];
};

/* KEEL_GET_MSRS, KEEL_SET_MSRS */
struct keel_msr_entry {
	__u32 index;
	__u32 reserved;	/* must be 0 */
	__u64 data;
};

struct keel_msrs {
	__u32 nmsrs;
	__u32 pad;	/* must be 0 */
	struct keel_msr_entry entries[];
};

/* KEEL_GET_MSR_INDEX_LIST, KEEL_GET_MSR_FEATURE_INDEX_LIST */
struct keel_msr_list {
	__u32 nmsrs;
	__u32 indices[];
};

/* KEEL_GET_FPU, KEEL_SET_FPU: the FXSAVE image, unpacked */
struct keel_fpu {
	__u8  fpr[8][16];	/* ST0-ST7 / MM0-MM7, 10 bytes used of each */
	__u16 fcw;
	__u16 fsw;
	__u8  ftwx;		/* abridged tag word, as FXSAVE stores it */
	__u8  pad1;		/* must be 0 */
	__u16 last_opcode;
	__u64 last_ip;
	__u64 last_dp;
	__u8  xmm[16][16];
	__u32 mxcsr;
	__u32 pad2;		/* must be 0 */
};

/*
 * KEEL_GET_XSAVE, KEEL_SET_XSAVE, KEEL_GET_XSAVE2: the standard-format
 * XSAVE image (legacy area, header, components at the host's CPUID 0xd
 * offsets). KEEL_CAP_XSAVE2 on a VM fd gives the size; at least 4096.
 */
struct keel_xsave {
	__u32 region[1024];
	__u32 extra[];
};

#define KEEL_MAX_XCRS	16

/* KEEL_GET_XCRS, KEEL_SET_XCRS */
struct keel_xcr {
	__u32 xcr;
	__u32 reserved;	/* must be 0 */
	__u64 value;
};

struct keel_xcrs {
	__u32 nr_xcrs;
	__u32 flags;	/* must be 0 */
	struct keel_xcr xcrs[KEEL_MAX_XCRS];
	__u64 padding[16];	/* must be 0 */
};

/* KEEL_TRANSLATE */
struct keel_translation {
	__u64 linear_address;	/* in */
	__u64 physical_address;	/* out, with the three below */
	__u8  valid;
	__u8  writeable;
	__u8  usermode;
	__u8  pad[5];		/* must be 0 */
};

/* KEEL_INTERRUPT */
struct keel_interrupt {
	__u32 irq;	/* vector, 0-255 */
};

/* KEEL_SET_SIGNAL_MASK */
struct keel_signal_mask {
	__u32 len;	/* bytes in sigset: the kernel's sigset_t, 8 */
	__u8  sigset[];
};

/* KEEL_GET_MP_STATE, KEEL_SET_MP_STATE */
struct keel_mp_state {
	__u32 mp_state;
};

#define KEEL_MP_STATE_RUNNABLE		0
#define KEEL_MP_STATE_UNINITIALIZED	1
#define KEEL_MP_STATE_INIT_RECEIVED	2
#define KEEL_MP_STATE_HALTED		3
#define KEEL_MP_STATE_SIPI_RECEIVED	4

/* KEEL_GET_VCPU_EVENTS, KEEL_SET_VCPU_EVENTS */
struct keel_vcpu_events {
	struct {
		__u8  injected;
		__u8  nr;
		__u8  has_error_code;
		__u8  pending;	/* with KEEL_VCPUEVENT_VALID_PAYLOAD */
		__u32 error_code;
	} exception;
	struct {
		__u8  injected;
		__u8  nr;
		__u8  soft;
		__u8  shadow;	/* KEEL_X86_SHADOW_INT_* */
	} interrupt;
	struct {
		__u8  injected;
		__u8  pending;
		__u8  masked;
		__u8  pad;	/* must be 0 */
	} nmi;
	__u32 sipi_vector;
	__u32 flags;	/* KEEL_VCPUEVENT_VALID_* */
	struct {
		__u8  smm;
		__u8  pending;
		__u8  smm_inside_nmi;
		__u8  latched_init;
	} smi;
	struct {
		__u8  pending;
	} triple_fault;
	__u8  reserved[26];	/* must be 0 */
	__u8  exception_has_payload;
	__u64 exception_payload;
};

#define KEEL_VCPUEVENT_VALID_NMI_PENDING	0x00000001
#define KEEL_VCPUEVENT_VALID_SIPI_VECTOR	0x00000002
#define KEEL_VCPUEVENT_VALID_SHADOW		0x00000004
#define KEEL_VCPUEVENT_VALID_SMM		0x00000008
#define KEEL_VCPUEVENT_VALID_PAYLOAD		0x00000010
#define KEEL_VCPUEVENT_VALID_TRIPLE_FAULT	0x00000020

#define KEEL_X86_SHADOW_INT_MOV_SS	0x01
#define KEEL_X86_SHADOW_INT_STI		0x02

/* KEEL_GET_DEBUGREGS, KEEL_SET_DEBUGREGS */
struct keel_debugregs {
	__u64 db[4];
	__u64 dr6;
	__u64 dr7;
	__u64 flags;		/* must be 0 */
	__u64 reserved[9];	/* must be 0 */
};

/* KEEL_SET_GUEST_DEBUG */
struct keel_guest_debug_arch {
	__u64 debugreg[8];	/* DR0-3, unused 4-6, DR7 */
};

struct keel_guest_debug {
	__u32 control;		/* KEEL_GUESTDBG_* */
	__u32 pad;		/* must be 0 */
	struct keel_guest_debug_arch arch;
};

#define KEEL_GUESTDBG_ENABLE		0x00000001
#define KEEL_GUESTDBG_SINGLESTEP	0x00000002
#define KEEL_GUESTDBG_USE_SW_BP		0x00010000
#define KEEL_GUESTDBG_USE_HW_BP		0x00020000
#define KEEL_GUESTDBG_INJECT_DB		0x00040000
#define KEEL_GUESTDBG_INJECT_BP		0x00080000
#define KEEL_GUESTDBG_BLOCKIRQ		0x00100000

/* KEEL_GET_CLOCK, KEEL_SET_CLOCK: the VM's kvmclock */
struct keel_clock_data {
	__u64 clock;		/* nanoseconds */
	__u32 flags;		/* KEEL_CLOCK_* */
	__u32 pad0;		/* must be 0 */
	__u64 realtime;		/* host CLOCK_REALTIME with KEEL_CLOCK_REALTIME */
	__u64 host_tsc;		/* host TSC with KEEL_CLOCK_HOST_TSC */
	__u32 pad[4];		/* must be 0 */
};

#define KEEL_CLOCK_TSC_STABLE		2
#define KEEL_CLOCK_REALTIME		(1 << 2)
#define KEEL_CLOCK_HOST_TSC		(1 << 3)

/* KEEL_TPR_ACCESS_REPORTING */
struct keel_tpr_access_ctl {
	__u32 enabled;		/* 0 or 1 */
	__u32 flags;		/* must be 0 */
	__u32 reserved[8];	/* must be 0 */
};

/* KEEL_SET_VAPIC_ADDR */
struct keel_vapic_addr {
	__u64 vapic_addr;	/* guest-physical; 0 turns the mirror off */
};

/* KEEL_GET_LAPIC, KEEL_SET_LAPIC: the local APIC's register file */
#define KEEL_APIC_REG_SIZE 0x400
struct keel_lapic_state {
	__u8 regs[KEEL_APIC_REG_SIZE];
};

/* KEEL_SIGNAL_MSI: a message signalled interrupt from userspace */
struct keel_msi {
	__u32 address_lo;
	__u32 address_hi;	/* must be 0 */
	__u32 data;
	__u32 flags;		/* must be 0 */
	__u32 devid;		/* must be 0 */
	__u8  pad[12];		/* must be 0 */
};

/* KEEL_SET_GSI_ROUTING: where each GSI goes */
#define KEEL_IRQ_ROUTING_IRQCHIP	1
#define KEEL_IRQ_ROUTING_MSI		2

#define KEEL_IRQCHIP_PIC_MASTER		0
#define KEEL_IRQCHIP_PIC_SLAVE		1
#define KEEL_IRQCHIP_IOAPIC		2

struct keel_irq_routing_irqchip {
	__u32 irqchip;
	__u32 pin;
};

struct keel_irq_routing_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 pad;		/* must be 0 */
};

struct keel_irq_routing_entry {
	__u32 gsi;
	__u32 type;		/* KEEL_IRQ_ROUTING_* */
	__u32 flags;		/* must be 0 */
	__u32 pad;		/* must be 0 */
	union {
		struct keel_irq_routing_irqchip irqchip;
		struct keel_irq_routing_msi msi;
		__u32 pad[8];
	} u;
};

struct keel_irq_routing {
	__u32 nr;
	__u32 flags;		/* must be 0 */
	struct keel_irq_routing_entry entries[];
};

/* KEEL_IRQFD: an eventfd that raises a GSI when signalled */
struct keel_irqfd {
	__u32 fd;
	__u32 gsi;
	__u32 flags;		/* KEEL_IRQFD_FLAG_* */
	__u32 resamplefd;	/* with KEEL_IRQFD_FLAG_RESAMPLE, else 0 */
	__u8  pad[16];		/* must be 0 */
};

#define KEEL_IRQFD_FLAG_DEASSIGN	(1 << 0)
#define KEEL_IRQFD_FLAG_RESAMPLE	(1 << 1)

/* KEEL_IRQ_LINE, KEEL_IRQ_LINE_STATUS: drive a GSI's line */
struct keel_irq_level {
	union {
		__u32 irq;	/* in: the GSI */
		__s32 status;	/* out (LINE_STATUS): see api.rst */
	};
	__u32 level;		/* 0 or 1 */
};

/* KEEL_GET_IRQCHIP, KEEL_SET_IRQCHIP: one in-kernel 8259 PIC */
struct keel_pic_state {
	__u8 last_irr;
	__u8 irr;
	__u8 imr;
	__u8 isr;
	__u8 priority_add;
	__u8 irq_base;
	__u8 read_reg_select;
	__u8 poll;
	__u8 special_mask;
	__u8 init_state;
	__u8 auto_eoi;
	__u8 rotate_on_auto_eoi;
	__u8 special_fully_nested_mode;
	__u8 init4;
	__u8 elcr;
	__u8 elcr_mask;
};

/* ... and the in-kernel IOAPIC */
#define KEEL_IOAPIC_NUM_PINS		24
struct keel_ioapic_state {
	__u64 base_address;
	__u32 ioregsel;
	__u32 id;
	__u32 irr;
	__u32 pad;		/* ignored (see api.rst) */
	__u64 redirtbl[KEEL_IOAPIC_NUM_PINS];
};

struct keel_irqchip {
	__u32 chip_id;		/* KEEL_IRQCHIP_* */
	__u32 pad;		/* ignored (see api.rst) */
	union {
		__u8 dummy[512];
		struct keel_pic_state pic;
		struct keel_ioapic_state ioapic;
	} chip;
};

/* KEEL_CREATE_PIT2: the in-kernel 8254 */
struct keel_pit_config {
	__u32 flags;		/* KEEL_PIT_SPEAKER_DUMMY */
	__u32 pad[15];		/* must be 0 */
};

#define KEEL_PIT_SPEAKER_DUMMY		1

/* KEEL_GET_PIT2, KEEL_SET_PIT2 */
struct keel_pit_channel_state {
	__u32 count;		/* 1 to 65536 */
	__u16 latched_count;
	__u8 count_latched;
	__u8 status_latched;
	__u8 status;
	__u8 read_state;
	__u8 write_state;
	__u8 write_latch;
	__u8 rw_mode;
	__u8 mode;
	__u8 bcd;
	__u8 gate;
	__s64 count_load_time;	/* CLOCK_MONOTONIC ns */
};

struct keel_pit_state2 {
	struct keel_pit_channel_state channels[3];
	__u32 flags;		/* KEEL_PIT_FLAGS_* */
	__u32 reserved[9];	/* ignored (see api.rst) */
};

#define KEEL_PIT_FLAGS_HPET_LEGACY	0x00000001

/* KEEL_REINJECT_CONTROL: the PIT's missed ticks */
struct keel_reinject_control {
	__u8 pit_reinject;	/* 1: reinject (the default), 0: drop */
	__u8 reserved[31];	/* must be 0 */
};

/* KEEL_IOEVENTFD: signal an eventfd when the guest writes an address */
struct keel_ioeventfd {
	__u64 datamatch;	/* with KEEL_IOEVENTFD_FLAG_DATAMATCH */
	__u64 addr;		/* guest physical address or port */
	__u32 len;		/* 1, 2, 4 or 8; 0: any length */
	__s32 fd;		/* an eventfd */
	__u32 flags;		/* KEEL_IOEVENTFD_FLAG_* */
	__u8  pad[36];		/* must be 0 */
};

#define KEEL_IOEVENTFD_FLAG_DATAMATCH	(1 << 0)
#define KEEL_IOEVENTFD_FLAG_PIO		(1 << 1)
#define KEEL_IOEVENTFD_FLAG_DEASSIGN	(1 << 2)

/* KEEL_ENABLE_CAP */
struct keel_enable_cap {
	__u32 cap;
	__u32 flags;	/* must be 0 */
	__u64 args[4];	/* meaning per capability; unused ones must be 0 */
	__u8  pad[64];	/* must be 0 */
};

/* System fd ioctls */
#define KEEL_GET_API_VERSION		_IO(KEELIO, 0x00)
#define KEEL_CREATE_VM			_IO(KEELIO, 0x01)
#define KEEL_GET_MSR_INDEX_LIST		_IOWR(KEELIO, 0x02, struct keel_msr_list)
#define KEEL_CHECK_EXTENSION		_IO(KEELIO, 0x03)
#define KEEL_GET_VCPU_MMAP_SIZE		_IO(KEELIO, 0x04)
#define KEEL_GET_SUPPORTED_CPUID	_IOWR(KEELIO, 0x05, struct keel_cpuid2)
#define KEEL_GET_MSR_FEATURE_INDEX_LIST	\
	_IOWR(KEELIO, 0x0a, struct keel_msr_list)

/* VM fd ioctls */
#define KEEL_CREATE_VCPU		_IO(KEELIO, 0x41)
#define KEEL_SET_USER_MEMORY_REGION	\
	_IOW(KEELIO, 0x46, struct keel_userspace_memory_region)
#define KEEL_SET_TSS_ADDR		_IO(KEELIO, 0x47)
#define KEEL_SET_IDENTITY_MAP_ADDR	_IOW(KEELIO, 0x48, __u64)
#define KEEL_ENABLE_CAP			_IOW(KEELIO, 0xa3, struct keel_enable_cap)
#define KEEL_CREATE_IRQCHIP		_IO(KEELIO, 0x60)
#define KEEL_IRQ_LINE			_IOW(KEELIO, 0x61, struct keel_irq_level)
#define KEEL_GET_IRQCHIP		_IOWR(KEELIO, 0x62, struct keel_irqchip)
#define KEEL_SET_IRQCHIP		_IOR(KEELIO, 0x63, struct keel_irqchip)
#define KEEL_IRQ_LINE_STATUS		_IOWR(KEELIO, 0x67, struct keel_irq_level)
#define KEEL_CREATE_PIT2		_IOW(KEELIO, 0x77, struct keel_pit_config)
#define KEEL_GET_PIT2			_IOR(KEELIO, 0x9f, struct keel_pit_state2)
#define KEEL_SET_PIT2			_IOW(KEELIO, 0xa0, struct keel_pit_state2)
/* _IO as KVM's, though it reads a struct keel_reinject_control */
#define KEEL_REINJECT_CONTROL		_IO(KEELIO, 0x71)
#define KEEL_SET_GSI_ROUTING		_IOW(KEELIO, 0x6a, struct keel_irq_routing)
#define KEEL_IRQFD			_IOW(KEELIO, 0x76, struct keel_irqfd)
#define KEEL_IOEVENTFD			_IOW(KEELIO, 0x79, struct keel_ioeventfd)
#define KEEL_SIGNAL_MSI			_IOW(KEELIO, 0xa5, struct keel_msi)
#define KEEL_SET_CLOCK			_IOW(KEELIO, 0x7b, struct keel_clock_data)
#define KEEL_GET_CLOCK			_IOR(KEELIO, 0x7c, struct keel_clock_data)

/* vCPU fd ioctls */
#define KEEL_RUN			_IO(KEELIO, 0x80)
#define KEEL_GET_REGS			_IOR(KEELIO, 0x81, struct keel_regs)
#define KEEL_SET_REGS			_IOW(KEELIO, 0x82, struct keel_regs)
#define KEEL_GET_SREGS			_IOR(KEELIO, 0x83, struct keel_sregs)
#define KEEL_SET_SREGS			_IOW(KEELIO, 0x84, struct keel_sregs)
#define KEEL_GET_MSRS			_IOWR(KEELIO, 0x88, struct keel_msrs)
#define KEEL_SET_MSRS			_IOW(KEELIO, 0x89, struct keel_msrs)
#define KEEL_TRANSLATE			_IOWR(KEELIO, 0x85, struct keel_translation)
#define KEEL_INTERRUPT			_IOW(KEELIO, 0x86, struct keel_interrupt)
#define KEEL_SET_SIGNAL_MASK		\
	_IOW(KEELIO, 0x8b, struct keel_signal_mask)
#define KEEL_GET_LAPIC			_IOR(KEELIO, 0x8e, struct keel_lapic_state)
#define KEEL_SET_LAPIC			_IOW(KEELIO, 0x8f, struct keel_lapic_state)
#define KEEL_TPR_ACCESS_REPORTING	_IOWR(KEELIO, 0x92, struct keel_tpr_access_ctl)
#define KEEL_SET_VAPIC_ADDR		_IOW(KEELIO, 0x93, struct keel_vapic_addr)
#define KEEL_GET_MP_STATE		_IOR(KEELIO, 0x98, struct keel_mp_state)
#define KEEL_SET_MP_STATE		_IOW(KEELIO, 0x99, struct keel_mp_state)
#define KEEL_GET_FPU			_IOR(KEELIO, 0x8c, struct keel_fpu)
#define KEEL_SET_FPU			_IOW(KEELIO, 0x8d, struct keel_fpu)
#define KEEL_GET_XSAVE			_IOR(KEELIO, 0xa4, struct keel_xsave)
#define KEEL_SET_XSAVE			_IOW(KEELIO, 0xa5, struct keel_xsave)
#define KEEL_GET_XCRS			_IOR(KEELIO, 0xa6, struct keel_xcrs)
#define KEEL_SET_XCRS			_IOW(KEELIO, 0xa7, struct keel_xcrs)
#define KEEL_GET_XSAVE2			_IOR(KEELIO, 0xcf, struct keel_xsave)
#define KEEL_SET_CPUID2			_IOW(KEELIO, 0x90, struct keel_cpuid2)
#define KEEL_GET_CPUID2			_IOWR(KEELIO, 0x91, struct keel_cpuid2)
#define KEEL_NMI			_IO(KEELIO, 0x9a)
#define KEEL_SET_TSC_KHZ		_IO(KEELIO, 0xa2)
#define KEEL_GET_TSC_KHZ		_IO(KEELIO, 0xa3)
#define KEEL_SET_GUEST_DEBUG		_IOW(KEELIO, 0x9b, struct keel_guest_debug)
#define KEEL_GET_VCPU_EVENTS		_IOR(KEELIO, 0x9f, struct keel_vcpu_events)
#define KEEL_SET_VCPU_EVENTS		_IOW(KEELIO, 0xa0, struct keel_vcpu_events)
#define KEEL_GET_DEBUGREGS		_IOR(KEELIO, 0xa1, struct keel_debugregs)
#define KEEL_SET_DEBUGREGS		_IOW(KEELIO, 0xa2, struct keel_debugregs)

#endif /* _UAPI_LINUX_KEEL_H */
