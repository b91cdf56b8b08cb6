// SPDX-License-Identifier: GPL-2.0
/*
 * keel x86: an access to guest physical memory no memslot backs (or a
 * write to a read-only slot) is emulated: the instruction is fetched and
 * run by the emulator (emulate_*.c) against guest RAM, the vCPU's local
 * APIC, the in-kernel devices on the MMIO bus and, for anything else,
 * userspace through KEEL_EXIT_MMIO.
 *
 * A read userspace must answer stops the instruction before it changed
 * anything; RUN then restarts it with the answer (reads are replayed from
 * m->reads in order). A write userspace must do comes last: the results
 * are kept and committed when RUN is called again. An instruction keel
 * cannot emulate stops RUN with KEEL_EXIT_INTERNAL_ERROR and its bytes.
 */
#include <linux/mm.h>
#include <linux/string.h>

#include <keel/core.h>
#include <keel/emulate.h>

struct keel_mmio_ctx {
	struct keel_emu emu;
	struct keel_vcpu *vcpu;
	unsigned int nread;	/* reads done in this run */
};

static struct keel_vcpu *ctx_vcpu(struct keel_emu *e)
{
	return container_of(e, struct keel_mmio_ctx, emu)->vcpu;
}

static int keel_guest_rw(struct keel_vm *vm, u64 gpa, void *val,
			 unsigned int len, bool write)
{
	return write ? keel_write_guest(vm, gpa, val, len) :
		       keel_read_guest(vm, gpa, val, len);
}

/* An access within one page that no memslot serves. */
static int keel_mmio_device(struct keel_vcpu *vcpu, u64 gpa, void *val,
			    unsigned int len, bool write)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;

	if (write && (!keel_lapic_mmio_write(vcpu, gpa, len, val) ||
		      !keel_io_bus_write(vcpu, KEEL_MMIO_BUS, gpa, len, val)))
		return 0;
	if (!write && (!keel_lapic_mmio_read(vcpu, gpa, len, val) ||
		       !keel_io_bus_read(vcpu, KEEL_MMIO_BUS, gpa, len, val)))
		return 0;
	if (m->user_exit)
		return -EOPNOTSUPP;	/* a second userspace access */
	m->user_exit = 1;
	m->gpa = gpa;
	m->len = len;
	m->is_write = write;
	m->data = 0;
	if (write) {
		memcpy(&m->data, val, len);
		return 0;
	}
	return KEEL_EMU_EXIT;
}

static int keel_mmio_access(struct keel_vcpu *vcpu, u64 la, void *val,
			    unsigned int len, bool write)
{
	unsigned int first = min_t(unsigned int, len,
				   PAGE_SIZE - offset_in_page(la));
	struct keel_vm *vm = vcpu->vm;
	u64 gpa, gpa2 = 0;
	bool ram, ram2 = true;

	if (keel_gva_to_gpa(vcpu, la, &gpa))
		return -EFAULT;
	ram = keel_gpa_is_ram(vm, gpa, write);
	if (first < len) {
		if (keel_gva_to_gpa(vcpu, la + first, &gpa2))
			return -EFAULT;
		ram2 = keel_gpa_is_ram(vm, gpa2, write);
	}
	if (ram && ram2) {
		if (first < len &&
		    keel_guest_rw(vm, gpa2, val + first, len - first, write))
			return -EFAULT;
		return keel_guest_rw(vm, gpa, val, first, write) ? -EFAULT : 0;
	}
	/* An MMIO access split across pages is not supported. */
	if (first < len)
		return -EOPNOTSUPP;
	return keel_mmio_device(vcpu, gpa, val, len, write);
}

static int keel_mmio_read(struct keel_emu *e, u64 la, void *val,
			  unsigned int len)
{
	struct keel_mmio_ctx *ctx = container_of(e, struct keel_mmio_ctx, emu);
	struct keel_mmio_state *m = &ctx->vcpu->arch.mmio;
	int r;

	if (ctx->nread < m->nreads) {
		memcpy(val, &m->reads[ctx->nread++], len);
		return 0;
	}
	r = keel_mmio_access(ctx->vcpu, la, val, len, false);
	if (!r && m->nreads < ARRAY_SIZE(m->reads)) {
		memcpy(&m->reads[m->nreads++], val, len);
		ctx->nread++;
	}
	return r;
}

static int keel_mmio_write(struct keel_emu *e, u64 la, const void *val,
			   unsigned int len)
{
	return keel_mmio_access(ctx_vcpu(e), la, (void *)val, len, true);
}

static const struct keel_emu_ops keel_mmio_ops = {
	.read = keel_mmio_read,
	.write = keel_mmio_write,
};

static void keel_mmio_commit(struct keel_vcpu *vcpu, const struct keel_emu *e)
{
	unsigned int i;

	for (i = 0; i < KEEL_NR_GPRS; i++)
		vcpu->arch.regs[i] = e->regs[i];
	vcpu->arch.rflags = e->rflags;
	if (e->rip != vcpu->arch.rip)
		keel_x86_skip_to(vcpu, e->rip);
}

/* KVM's emulation-failure report: the instruction bytes, then the GPA. */
static int keel_mmio_failure(struct keel_vcpu *vcpu, u64 gpa)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	struct keel_run *run = vcpu->run;

	run->exit_reason = KEEL_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KEEL_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4;
	run->emulation_failure.flags = m->start.insn_len ?
		KEEL_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES : 0;
	run->emulation_failure.insn_size = m->start.insn_len;
	memset(run->emulation_failure.insn_bytes, 0,
	       sizeof(run->emulation_failure.insn_bytes));
	memcpy(run->emulation_failure.insn_bytes, m->start.insn,
	       m->start.insn_len);
	run->internal.data[3] = gpa;
	return 0;
}

/* Run the instruction from its start; 1: done, 0: exit to userspace. */
static int keel_mmio_run(struct keel_vcpu *vcpu)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	struct keel_run *run = vcpu->run;
	struct keel_mmio_ctx ctx = { .emu = m->start, .vcpu = vcpu };
	int r;

	ctx.emu.ops = &keel_mmio_ops;
	m->user_exit = 0;
	r = keel_emu_run(&ctx.emu);
	if (r < 0)
		return keel_mmio_failure(vcpu, m->fault_gpa);
	if (!m->user_exit) {
		keel_mmio_commit(vcpu, &ctx.emu);
		return 1;
	}
	/* A write is the last access: keep the results for completion. */
	if (m->is_write)
		m->start = ctx.emu;

	run->exit_reason = KEEL_EXIT_MMIO;
	run->mmio.phys_addr = m->gpa;
	run->mmio.len = m->len;
	run->mmio.is_write = m->is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	memcpy(run->mmio.data, &m->data, m->len);
	vcpu->arch.pending = KEEL_PENDING_MMIO;
	vcpu->arch.pending_rip = vcpu->arch.rip;
	return 0;
}

int keel_x86_emulate_mmio(struct keel_vcpu *vcpu, u64 gpa, bool write)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;
	struct keel_emu *e = &m->start;
	unsigned int i, len = KEEL_EMU_MAX_INSN;

	memset(m, 0, sizeof(*m));
	m->fault_gpa = gpa;
	for (i = 0; i < KEEL_NR_GPRS; i++)
		e->regs[i] = vcpu->arch.regs[i];
	e->rflags = vcpu->arch.rflags;
	e->rip = vcpu->arch.rip;
	for (i = 0; i < KEEL_EMU_NR_SEGS; i++)
		e->seg_base[i] = keel_seg_base(vcpu, KEEL_SEG_ES + i);
	e->mode = keel_x86_cpu_mode_bytes(vcpu);
	if (keel_x86_fetch_insn(vcpu, e->insn, &len))
		len = 0;
	e->insn_len = len;
	return keel_mmio_run(vcpu);
}

int keel_x86_complete_mmio(struct keel_vcpu *vcpu)
{
	struct keel_mmio_state *m = &vcpu->arch.mmio;

	if (m->is_write) {
		keel_mmio_commit(vcpu, &m->start);
		return 1;
	}
	/* Replay the reads done so far, then the one userspace answered. */
	if (m->nreads >= ARRAY_SIZE(m->reads))
		return keel_mmio_failure(vcpu, m->fault_gpa);
	memcpy(&m->reads[m->nreads++], vcpu->run->mmio.data, m->len);
	return keel_mmio_run(vcpu);
}
