// SPDX-License-Identifier: GPL-2.0
/*
 * GET/SET_REGS and GET/SET_SREGS: the reset state KVM defines, round trips
 * that are identities, and invalid input rejected without changing state.
 */
#include "keel_util.h"

static void dump_seg(const char *n, const struct keel_segment *s)
{
	kl_diag("%s: base 0x%llx limit 0x%x sel 0x%x type %u p %u dpl %u",
		n, (unsigned long long)s->base, s->limit, s->selector, s->type,
		s->present, s->dpl);
	kl_diag("%s: db %u s %u l %u g %u avl %u unusable %u",
		n, s->db, s->s, s->l, s->g, s->avl, s->unusable);
}

static bool seg_is(const struct keel_segment *s, u64 base, u32 limit, u16 sel,
		   u8 type, u8 sbit)
{
	return s->base == base && s->limit == limit && s->selector == sel &&
	       s->type == type && s->present == 1 && s->s == sbit && !s->dpl &&
	       !s->db && !s->l && !s->g && !s->avl;
}

static int try_sregs(struct kl_vcpu *vcpu, const struct keel_sregs *s)
{
	return kl_ioctlp(vcpu->fd, KEEL_SET_SREGS, s);
}

int main(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0), *v1 = kl_vcpu_add(vm, 1);
	struct keel_sregs s, s2, good;
	struct keel_regs r, r2;
	int ret, i;

	kl_get_regs(vcpu, &r);
	kl_ok(r.rip == 0xfff0 && r.rflags == 0x2 && r.rdx == 0x600 && !r.rax &&
	      !r.rsp && !r.r15, "reset GPRs: rip 0x%llx rflags 0x%llx rdx 0x%llx",
	      (unsigned long long)r.rip, (unsigned long long)r.rflags,
	      (unsigned long long)r.rdx);

	kl_get_sregs(vcpu, &s);
	dump_seg("cs", &s.cs);
	dump_seg("ds", &s.ds);
	dump_seg("ss", &s.ss);
	dump_seg("tr", &s.tr);
	dump_seg("ldt", &s.ldt);
	kl_diag("cr0 0x%llx cr4 0x%llx efer 0x%llx apic_base 0x%llx gdt 0x%llx/0x%x",
		(unsigned long long)s.cr0, (unsigned long long)s.cr4,
		(unsigned long long)s.efer, (unsigned long long)s.apic_base,
		(unsigned long long)s.gdt.base, s.gdt.limit);
	kl_ok(seg_is(&s.cs, 0xffff0000, 0xffff, 0xf000, s.cs.type, 1) &&
	      (s.cs.type & 0xa) == 0xa, "reset CS: 0xf000 at 0xffff0000, code");
	kl_ok(seg_is(&s.ds, 0, 0xffff, 0, 3, 1) && seg_is(&s.es, 0, 0xffff, 0, 3, 1) &&
	      seg_is(&s.fs, 0, 0xffff, 0, 3, 1) && seg_is(&s.gs, 0, 0xffff, 0, 3, 1),
	      "reset DS/ES/FS/GS: read/write data, accessed, limit 0xffff");
	kl_ok(seg_is(&s.tr, 0, 0xffff, 0, 11, 0) || seg_is(&s.tr, 0, 0xffff, 0, 3, 0),
	      "reset TR: busy TSS, limit 0xffff (type %u)", s.tr.type);
	kl_ok(seg_is(&s.ldt, 0, 0xffff, 0, 2, 0), "reset LDTR: LDT, limit 0xffff");
	kl_ok(s.gdt.limit == 0xffff && !s.gdt.base && s.idt.limit == 0xffff &&
	      !s.idt.base, "reset GDTR and IDTR: base 0, limit 0xffff");
	kl_ok(s.cr0 == 0x60000010 && !s.cr2 && !s.cr3 && !s.cr4 && !s.cr8 && !s.efer,
	      "reset control registers: CR0 0x60000010, the rest 0");

	/* Round trips */
	for (i = 0; i < 16; i++)
		((u64 *)&r)[i] = 0x0101010101010101ULL * (i + 1);
	r.rip = 0x123456789aULL;
	r.rflags = 0x246;
	kl_set_regs(vcpu, &r);
	kl_get_regs(vcpu, &r2);
	kl_ok(!memcmp(&r, &r2, sizeof(r)), "SET_REGS then GET_REGS is an identity");

	kl_get_sregs(vcpu, &s);
	s.cs = (struct keel_segment){ .base = 0, .limit = 0xffffffff, .selector = 8,
		.type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
	s.ds = (struct keel_segment){ .base = 0x1000, .limit = 0xffffffff,
		.selector = 0x10, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
	s.es = s.ds;
	s.ss = s.ds;
	s.fs.base = 0x7f0000001000ULL;
	s.gs.base = 0xffff800000002000ULL;
	s.gdt.base = 0x5000;
	s.gdt.limit = 0x27;
	s.idt.base = 0x6000;
	s.idt.limit = 0xfff;
	s.cr0 = 0x80050033;
	s.cr2 = 0xdead000;
	s.cr3 = 0x1000;
	s.cr4 = 0x620;
	s.cr8 = 5;
	s.efer = 0x500;
	kl_set_sregs(vcpu, &s);
	kl_get_sregs(vcpu, &s2);
	kl_ok(!memcmp(&s, &s2, sizeof(s)), "SET_SREGS then GET_SREGS is an identity");
	if (memcmp(&s, &s2, sizeof(s))) {
		dump_seg("set ss", &s.ss);
		dump_seg("got ss", &s2.ss);
	}
	good = s;

	/* Invalid input is refused and changes nothing. */
	s = good; s.efer = 0x400;
	ret = try_sregs(vcpu, &s);
	kl_ok(ret == -EINVAL, "EFER.LMA without LME: %s", kl_errstr(ret));
	s = good; s.cr4 &= ~0x20ULL;
	ret = try_sregs(vcpu, &s);
	kl_ok(ret == -EINVAL, "long mode without CR4.PAE: %s", kl_errstr(ret));
	s = good; s.cr0 &= ~0x80000000ULL; s.efer = 0;
	ret = try_sregs(vcpu, &s);
	kl_ok(ret == -EINVAL, "CS.L outside long mode: %s", kl_errstr(ret));
	s = good; s.cr4 |= 1ULL << 31;
	ret = try_sregs(vcpu, &s);
	kl_ok(ret == -EINVAL, "reserved CR4 bit 31: %s", kl_errstr(ret));
	s = good; s.cr3 = 1ULL << 60;
	ret = try_sregs(vcpu, &s);
	kl_ok(ret == -EINVAL, "CR3 beyond MAXPHYADDR in long mode: %s", kl_errstr(ret));
	if (kl_is_kvm()) {
		kl_skip("keel's stricter checks (reserved RFLAGS, CR0, EFER, CR8, padding)");
	} else {
		struct keel_regs rr = r2;

		rr.rflags |= 1ULL << 40;
		ret = kl_ioctlp(vcpu->fd, KEEL_SET_REGS, &rr);
		kl_ok(ret == -EINVAL, "reserved RFLAGS bit 40: %s", kl_errstr(ret));
		s = good; s.cr0 |= 1ULL << 32;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "CR0 bit 32: %s", kl_errstr(ret));
		s = good; s.cr0 = 0x80000000;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "CR0.PG without PE: %s", kl_errstr(ret));
		s = good; s.cr0 |= 1ULL << 29; s.cr0 &= ~(1ULL << 30);
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "CR0.NW without CD: %s", kl_errstr(ret));
		s = good; s.efer |= 1ULL << 20;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "reserved EFER bit 20: %s", kl_errstr(ret));
		s = good; s.cr8 = 16;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "CR8 16: %s", kl_errstr(ret));
		s = good; s.ds.padding = 1;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "segment padding: %s", kl_errstr(ret));
		s = good; s.gdt.padding[2] = 1;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "descriptor table padding: %s", kl_errstr(ret));
		s = good; s.ss.present = 2;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "segment flag 2: %s", kl_errstr(ret));
		s = good; s.interrupt_bitmap[0] = 3;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "two pending interrupts: %s", kl_errstr(ret));
		s = good; s.apic_base |= 1;
		ret = try_sregs(vcpu, &s);
		kl_ok(ret == -EINVAL, "reserved APIC base bit 0: %s", kl_errstr(ret));
		kl_get_regs(vcpu, &rr);
		kl_ok(!memcmp(&rr, &r2, sizeof(rr)), "failed SET_REGS changed nothing");
	}
	kl_get_sregs(vcpu, &s2);
	kl_ok(!memcmp(&good, &s2, sizeof(s2)), "failed SET_SREGS changed nothing");

	s = good;
	s.interrupt_bitmap[1] = 1ULL << 3;	/* vector 67 */
	ret = try_sregs(vcpu, &s);
	kl_get_sregs(vcpu, &s2);
	kl_ok(!ret && s2.interrupt_bitmap[1] == 1ULL << 3,
	      "a pending interrupt round-trips through the bitmap: %s", kl_errstr(ret));

	kl_get_sregs(v1, &s);
	kl_ok((s.apic_base & ~0x100ULL) == (good.apic_base & ~0x100ULL) &&
	      !(s.apic_base & 0x100), "vCPU 1 is not the BSP (APIC base 0x%llx)",
	      (unsigned long long)s.apic_base);
	kl_vm_free(vm);
	return kl_finish();
}
