/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AMD SVM: the VMCB layout and SVM constants, from the AMD64 Architecture
 * Programmer's Manual Volume 2, Appendix B and chapter 15. keel keeps its
 * own copy so it does not depend on a kernel's private <asm/svm.h>.
 */
#ifndef _KEEL_SVM_VMCB_H
#define _KEEL_SVM_VMCB_H

#include <linux/types.h>
#include <linux/build_bug.h>

struct vmcb_control {
	u32 intercepts[5];	/* 0x000: CR r/w, DR r/w, exceptions, misc */
	u32 reserved_14[10];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;
	u64 iopm_base_pa;	/* 0x040 */
	u64 msrpm_base_pa;	/* 0x048 */
	u64 tsc_offset;		/* 0x050 */
	u32 asid;		/* 0x058 */
	u8 tlb_control;		/* 0x05c */
	u8 reserved_5d[3];
	u64 int_ctl;		/* 0x060 */
	u64 int_state;		/* 0x068 */
	u64 exit_code;		/* 0x070 */
	u64 exit_info_1;	/* 0x078 */
	u64 exit_info_2;	/* 0x080 */
	u64 exit_int_info;	/* 0x088 */
	u64 nested_ctl;		/* 0x090 */
	u64 avic_vapic_bar;	/* 0x098 */
	u64 ghcb_gpa;		/* 0x0a0 */
	u64 event_inj;		/* 0x0a8 */
	u64 nested_cr3;		/* 0x0b0 */
	u64 virt_ext;		/* 0x0b8 */
	u32 clean;		/* 0x0c0 */
	u32 reserved_c4;
	u64 next_rip;		/* 0x0c8 */
	u8 insn_len;		/* 0x0d0 */
	u8 insn_bytes[15];
	u8 reserved_e0[0x400 - 0xe0];
};

struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x000 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x060 */
	u8 reserved_a0[43];
	u8 cpl;			/* 0x0cb */
	u32 reserved_cc;
	u64 efer;		/* 0x0d0 */
	u8 reserved_d8[112];
	u64 cr4;		/* 0x148 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;		/* 0x178 */
	u8 reserved_180[88];
	u64 rsp;		/* 0x1d8 */
	u64 s_cet;
	u64 ssp;
	u64 isst_addr;
	u64 rax;		/* 0x1f8 */
	u64 star;
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs;
	u64 sysenter_esp;
	u64 sysenter_eip;
	u64 cr2;		/* 0x240 */
	u8 reserved_248[32];
	u64 g_pat;		/* 0x268 */
	u64 dbgctl;
	u64 br_from;
	u64 br_to;
	u64 last_excp_from;
	u64 last_excp_to;	/* 0x290 */
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

static inline void vmcb_layout_checks(void)
{
	BUILD_BUG_ON(offsetof(struct vmcb_control, iopm_base_pa) != 0x40);
	BUILD_BUG_ON(offsetof(struct vmcb_control, asid) != 0x58);
	BUILD_BUG_ON(offsetof(struct vmcb_control, int_ctl) != 0x60);
	BUILD_BUG_ON(offsetof(struct vmcb_control, exit_code) != 0x70);
	BUILD_BUG_ON(offsetof(struct vmcb_control, event_inj) != 0xa8);
	BUILD_BUG_ON(offsetof(struct vmcb_control, nested_cr3) != 0xb0);
	BUILD_BUG_ON(offsetof(struct vmcb_control, clean) != 0xc0);
	BUILD_BUG_ON(offsetof(struct vmcb_control, next_rip) != 0xc8);
	BUILD_BUG_ON(sizeof(struct vmcb_control) != 0x400);
	BUILD_BUG_ON(offsetof(struct vmcb_save, cpl) != 0xcb);
	BUILD_BUG_ON(offsetof(struct vmcb_save, efer) != 0xd0);
	BUILD_BUG_ON(offsetof(struct vmcb_save, cr4) != 0x148);
	BUILD_BUG_ON(offsetof(struct vmcb_save, rip) != 0x178);
	BUILD_BUG_ON(offsetof(struct vmcb_save, rsp) != 0x1d8);
	BUILD_BUG_ON(offsetof(struct vmcb_save, rax) != 0x1f8);
	BUILD_BUG_ON(offsetof(struct vmcb_save, cr2) != 0x240);
	BUILD_BUG_ON(offsetof(struct vmcb_save, g_pat) != 0x268);
	BUILD_BUG_ON(sizeof(struct vmcb) > 4096);
}

/* intercepts[] words */
#define INTERCEPT_CR		0
#define INTERCEPT_DR		1
#define INTERCEPT_EXCEPTION	2
#define INTERCEPT_WORD3		3
#define INTERCEPT_WORD4		4

/* intercepts[0]: bits 0-15 CR reads, 16-31 CR writes */
#define INTERCEPT_CR4_WRITE	BIT(16 + 4)
#define INTERCEPT_CR8_WRITE	BIT(16 + 8)

/* intercepts[1]: bits 0-15 DR reads, 16-31 DR writes */
#define INTERCEPT_DR0_7_RW	0x00ff00ffU

/* intercepts[3] */
#define INTERCEPT_INTR		BIT(0)
#define INTERCEPT_NMI		BIT(1)
#define INTERCEPT_SMI		BIT(2)
#define INTERCEPT_INIT		BIT(3)
#define INTERCEPT_VINTR		BIT(4)
#define INTERCEPT_CPUID		BIT(18)
#define INTERCEPT_IRET		BIT(20)
#define INTERCEPT_INVD		BIT(22)
#define INTERCEPT_HLT		BIT(24)
#define INTERCEPT_INVLPGA	BIT(26)
#define INTERCEPT_IOIO_PROT	BIT(27)
#define INTERCEPT_MSR_PROT	BIT(28)
#define INTERCEPT_SHUTDOWN	BIT(31)
/* intercepts[4] */
#define INTERCEPT_VMRUN		BIT(0)
#define INTERCEPT_VMMCALL	BIT(1)
#define INTERCEPT_VMLOAD	BIT(2)
#define INTERCEPT_VMSAVE	BIT(3)
#define INTERCEPT_STGI		BIT(4)
#define INTERCEPT_CLGI		BIT(5)
#define INTERCEPT_SKINIT	BIT(6)
#define INTERCEPT_RDTSCP	BIT(7)
#define INTERCEPT_MONITOR	BIT(10)
#define INTERCEPT_MWAIT		BIT(11)
#define INTERCEPT_XSETBV	BIT(13)

#define V_TPR_MASK		0xffULL
#define V_IRQ			BIT_ULL(8)
#define V_INTR_PRIO_SHIFT	16
#define V_INTR_PRIO_MASK	(0xfULL << V_INTR_PRIO_SHIFT)
#define V_INTR_MASKING		BIT_ULL(24)

#define SVM_INTERRUPT_SHADOW	BIT_ULL(0)

#define TLB_CONTROL_DO_NOTHING	0
#define TLB_CONTROL_FLUSH_ALL	1

#define NESTED_CTL_NP_ENABLE	BIT_ULL(0)

/* event_inj and exit_int_info */
#define EVTINJ_VEC_MASK		0xffULL
#define EVTINJ_TYPE_SHIFT	8
#define EVTINJ_TYPE_INTR	(0ULL << EVTINJ_TYPE_SHIFT)
#define EVTINJ_TYPE_NMI		(2ULL << EVTINJ_TYPE_SHIFT)
#define EVTINJ_TYPE_EXEPT	(3ULL << EVTINJ_TYPE_SHIFT)
#define EVTINJ_TYPE_SOFT	(4ULL << EVTINJ_TYPE_SHIFT)
#define EVTINJ_TYPE_MASK	(7ULL << EVTINJ_TYPE_SHIFT)
#define EVTINJ_VALID_ERR	BIT_ULL(11)
#define EVTINJ_VALID		BIT_ULL(31)

/* Segment attribute bits in struct vmcb_seg.attrib */
#define SEG_ATTR_TYPE		0x00f
#define SEG_ATTR_S		BIT(4)
#define SEG_ATTR_DPL_SHIFT	5
#define SEG_ATTR_P		BIT(7)
#define SEG_ATTR_AVL		BIT(8)
#define SEG_ATTR_L		BIT(9)
#define SEG_ATTR_DB		BIT(10)
#define SEG_ATTR_G		BIT(11)

/* Exit codes */
#define SVM_EXIT_CR4_WRITE	0x014
#define SVM_EXIT_CR8_WRITE	0x018
#define SVM_EXIT_READ_DR0	0x020
#define SVM_EXIT_READ_DR7	0x027
#define SVM_EXIT_WRITE_DR0	0x030
#define SVM_EXIT_WRITE_DR7	0x037
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	0xffffffffU

/* IOIO exit_info_1 */
#define IOIO_TYPE_IN		BIT(0)
#define IOIO_STR		BIT(2)
#define IOIO_REP		BIT(3)
#define IOIO_SZ_SHIFT		4
#define IOIO_ASZ_SHIFT		7
#define IOIO_PORT_SHIFT		16

/* NPF exit_info_1 */
#define NPF_PRESENT		BIT_ULL(0)
#define NPF_WRITE		BIT_ULL(1)
#define NPF_FETCH		BIT_ULL(4)

/* MSRs and CPUID */
#define MSR_KEEL_VM_CR		0xc0010114
#define MSR_KEEL_VM_HSAVE_PA	0xc0010117
#define VM_CR_SVMDIS		BIT_ULL(4)
#define SVM_CPUID_LEAF		0x8000000a
#define SVM_FEATURE_NPT		BIT(0)
#define SVM_FEATURE_NRIPS	BIT(3)

#endif /* _KEEL_SVM_VMCB_H */
