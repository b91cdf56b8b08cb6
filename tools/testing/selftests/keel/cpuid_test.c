// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID, defined by userspace: GET_SUPPORTED_CPUID on the
 * system fd, SET_CPUID2 and GET_CPUID2 on a vCPU. The guest executes CPUID
 * and must see exactly the table userspace set (plus the bits that follow
 * its own state), CR4 bits follow the table, the table is frozen once the
 * vCPU has run, and every malformed table is refused with the vCPU's table
 * unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define MAX_ENT		256
#define SIG		KEEL_CPUID_FLAG_SIGNIFCANT_INDEX
#define OSXSAVE		BIT(27)
#define XSAVE		BIT(26)
#define CR4_OSXSAVE	BIT_ULL(18)

struct table {
	struct keel_cpuid2 h;
	struct keel_cpuid_entry2 e[MAX_ENT];
};

static struct keel_cpuid_entry2 *find(struct table *t, u32 fn, u32 idx)
{
	u32 i;

	for (i = 0; i < t->h.nent; i++)
		if (t->e[i].function == fn &&
		    (!(t->e[i].flags & SIG) || t->e[i].index == idx))
			return &t->e[i];
	return NULL;
}

/* Add leaf @fn (index 0), or replace it if the table has it. */
static void add(struct table *t, u32 fn, u32 a, u32 b, u32 c, u32 d)
{
	struct keel_cpuid_entry2 *e = find(t, fn, 0);
	u32 i;

	if (e) {	/* move it to the end: callers adjust the last entry */
		for (i = e - t->e; i + 1 < t->h.nent; i++)
			t->e[i] = t->e[i + 1];
		t->h.nent--;
	}
	e = &t->e[t->h.nent++];

	*e = (struct keel_cpuid_entry2){ .function = fn, .eax = a, .ebx = b,
					 .ecx = c, .edx = d };
}

/*
 * KVM never writes nent back from GET_CPUID2 (on success it is left as
 * passed; with -E2BIG the header is not copied out); keel reports the
 * count. With KVM, count the entries up to the first all-zero one.
 */
static int get_cpuid2(struct kl_vcpu *vcpu, struct table *t)
{
	static const struct keel_cpuid_entry2 zero;
	int r;
	u32 n;

	memset(t, 0, sizeof(*t));
	t->h.nent = MAX_ENT;
	r = kl_ioctlp(vcpu->fd, KEEL_GET_CPUID2, t);
	if (kl_is_kvm() && !r) {
		for (n = 1; n < MAX_ENT; n++)
			if (!memcmp(&t->e[n], &zero, sizeof(zero)))
				break;
		t->h.nent = n;
	}
	return r;
}

static int set_cpuid2(struct kl_vcpu *vcpu, struct table *t)
{
	return kl_ioctlp(vcpu->fd, KEEL_SET_CPUID2, t);
}

/* Entries without the bits that follow guest state. */
static bool same_table(struct table *a, struct table *b)
{
	u32 i;

	if (a->h.nent != b->h.nent) {
		kl_diag("%u entries, other %u", a->h.nent, b->h.nent);
		return false;
	}
	for (i = 0; i < a->h.nent; i++) {
		struct keel_cpuid_entry2 x = a->e[i], y = b->e[i];

		if (x.function == 1) {
			x.ecx &= ~OSXSAVE;
			y.ecx &= ~OSXSAVE;
		}
		if (x.function == 0xd && x.index == 0) {
			x.ebx = 0;
			y.ebx = 0;
			x.ecx = 0;
			y.ecx = 0;
		}
		if (memcmp(&x, &y, sizeof(x))) {
			kl_diag("entry %#x.%u: %#x %#x %#x %#x, other %#x %#x %#x %#x",
				x.function, x.index, x.eax, x.ebx, x.ecx, x.edx,
				y.eax, y.ebx, y.ecx, y.edx);
			return false;
		}
	}
	return true;
}

static const u32 queries[][2] = {
	{ 0, 0 }, { 1, 0 }, { 2, 0 }, { 7, 0 }, { 0xd, 1 }, { 0x40000000, 0 },
	{ 0x40000001, 0 }, { 0x40000001, 5 }, { 0x80000000, 0 },
	{ 0x12345678, 0 },
};

static KL_NO_VECTOR void guest_cpuid(void)
{
	u32 a, b, c, d;
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(queries); i++) {
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			     : "a"(queries[i][0]), "c"(queries[i][1]));
		GUEST_SYNC2(a | (u64)b << 32, c | (u64)d << 32);
	}
	GUEST_DONE();
}

static void guest_set_osxsave(void)
{
	u64 cr4;
	u32 a, b, c, d;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" :: "r"(cr4 | CR4_OSXSAVE));
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(1), "c"(0));
	GUEST_SYNC(c);
	GUEST_DONE();
}

static void supported(struct table *sup)
{
	int sys = kl_open_dev(), r, bad = 0;
	struct table t;
	u32 i;

	memset(sup, 0, sizeof(*sup));
	sup->h.nent = 0;
	r = kl_ioctlp(sys, KEEL_GET_SUPPORTED_CPUID, sup);
	kl_ok(r == -E2BIG, "GET_SUPPORTED_CPUID with nent 0: %s", kl_errstr(r));
	sup->h.nent = MAX_ENT;
	r = kl_ioctlp(sys, KEEL_GET_SUPPORTED_CPUID, sup);
	KL_REQUIRE(!r && sup->h.nent > 0 && sup->h.nent <= MAX_ENT,
		   "GET_SUPPORTED_CPUID: %s, nent %u", kl_errstr(r), sup->h.nent);
	for (i = 0; i < sup->h.nent; i++)
		if ((sup->e[i].flags & ~SIG) || sup->e[i].padding[0] ||
		    sup->e[i].padding[1] || sup->e[i].padding[2])
			bad++;
	kl_ok(find(sup, 0, 0) && find(sup, 1, 0) && !bad,
	      "GET_SUPPORTED_CPUID: %u entries, leaves 0 and 1, clean flags",
	      sup->h.nent);

	memset(&t, 0x5a, sizeof(t));
	t.h.nent = sup->h.nent - 1;
	t.h.padding = 0;
	r = kl_ioctlp(sys, KEEL_GET_SUPPORTED_CPUID, &t);
	kl_ok(r == -E2BIG && t.h.nent == sup->h.nent - 1 &&
	      t.e[0].function == 0x5a5a5a5a,
	      "one entry too few: %s, nothing written", kl_errstr(r));
	if (!kl_is_kvm()) {
		memset(&t, 0, sizeof(t));
		t.h.nent = MAX_ENT;
		t.h.padding = 1;
		r = kl_ioctlp(sys, KEEL_GET_SUPPORTED_CPUID, &t);
		kl_ok(r == -EINVAL, "GET_SUPPORTED_CPUID with padding: %s",
		      kl_errstr(r));
	}
	close(sys);
}

/* The guest sees what userspace set, leaf by leaf. */
static void guest_sees(struct table *sup)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_cpuid, 1,
					     &vcpu);
	struct table t = *sup, back;
	struct keel_cpuid_entry2 *e;
	struct kl_ucall uc;
	int i, r, wrong = 0;

	/* A hypervisor range of our own, one leaf with a significant index. */
	add(&t, 0x40000000, 0x40000001, 0x6c65656b, 0x6c65656b, 0x6c65656b);
	add(&t, 0x40000001, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
	t.e[t.h.nent - 1].flags = SIG;
	t.e[t.h.nent - 1].index = 5;
	/* QEMU's leaf 2 has KVM's obsolete stateful flags: ignored. */
	add(&t, 2, 0x00000001, 0, 0, 0x002c307d);
	t.e[t.h.nent - 1].flags = KEEL_CPUID_FLAG_STATEFUL_FUNC |
				  KEEL_CPUID_FLAG_STATE_READ_NEXT;
	e = find(&t, 1, 0);
	e->ebx = (e->ebx & 0x00ffffff) | (7U << 24);	/* APIC ID 7 */
	r = set_cpuid2(vcpu, &t);
	kl_ok(!r, "SET_CPUID2 with %u entries: %s", t.h.nent, kl_errstr(r));
	r = get_cpuid2(vcpu, &back);
	kl_ok(!r && same_table(&t, &back),
	      "GET_CPUID2 returns the table that was set: %s", kl_errstr(r));

	for (i = 0; i < (int)ARRAY_SIZE(queries); i++) {
		u64 want_ab = 0, want_cd = 0;

		if (kl_run_ucall(vcpu, &uc) != KL_UCALL_SYNC) {
			kl_diag("query %d: %s", i, kl_describe_exit(vcpu));
			wrong++;
			break;
		}
		e = find(&t, queries[i][0], queries[i][1]);
		if (e) {
			want_ab = e->eax | (u64)e->ebx << 32;
			want_cd = e->ecx | (u64)e->edx << 32;
		}
		if (queries[i][0] == 1) {	/* OSXSAVE follows CR4: 0 here */
			want_cd &= ~(u64)OSXSAVE;
			uc.args[1] &= ~(u64)OSXSAVE;
		}
		if (uc.args[0] != want_ab || uc.args[1] != want_cd) {
			kl_diag("CPUID %#x.%u: %#llx %#llx, want %#llx %#llx",
				queries[i][0], queries[i][1],
				(unsigned long long)uc.args[0],
				(unsigned long long)uc.args[1],
				(unsigned long long)want_ab,
				(unsigned long long)want_cd);
			wrong++;
		}
	}
	kl_ok(!wrong, "the guest's CPUID is the table (%zu leaves, one absent)",
	      ARRAY_SIZE(queries));

	/* Stopped mid-run: GET then SET then GET is an identity. */
	r = get_cpuid2(vcpu, &back);
	if (!r)
		r = set_cpuid2(vcpu, &back);
	kl_ok(!r, "after RUN, SET_CPUID2 of the same table: %s", kl_errstr(r));
	e = find(&back, 0x40000001, 5);
	e->eax ^= 1;
	r = set_cpuid2(vcpu, &back);
	kl_ok(r == -EINVAL, "after RUN, a different table: %s", kl_errstr(r));
	r = get_cpuid2(vcpu, &back);
	kl_ok(!r && same_table(&t, &back), "the table is unchanged");
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest carries on");
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

/* CR4.OSXSAVE needs XSAVE in the guest's CPUID, from SET_SREGS or the guest. */
static void cr4_follows(struct table *sup, bool xsave)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_set_osxsave,
					     1, &vcpu);
	struct table t = *sup;
	struct keel_sregs s;
	struct kl_ucall uc;
	u64 cmd;
	int r;

	if (!xsave) {
		struct keel_cpuid_entry2 *e = find(&t, 1, 0);
		u32 i, n = 0;

		e->ecx &= ~XSAVE;
		for (i = 0; i < t.h.nent; i++)	/* drop leaf 0xd */
			if (t.e[i].function != 0xd)
				t.e[n++] = t.e[i];
		t.h.nent = n;
	}
	r = set_cpuid2(vcpu, &t);
	KL_REQUIRE(!r, "SET_CPUID2: %s", kl_errstr(r));
	kl_get_sregs(vcpu, &s);
	s.cr4 |= CR4_OSXSAVE;
	r = kl_ioctlp(vcpu->fd, KEEL_SET_SREGS, &s);
	cmd = kl_vcpu_run(vcpu) ? KL_UCALL_NONE : kl_get_ucall(vcpu, &uc);
	if (xsave) {
		kl_ok(!r, "with XSAVE: SET_SREGS with CR4.OSXSAVE: %s",
		      kl_errstr(r));
		kl_ok(cmd == KL_UCALL_SYNC && (uc.args[0] & OSXSAVE),
		      "with XSAVE: the guest sets CR4.OSXSAVE and CPUID shows it");
	} else {
		kl_ok(r == -EINVAL, "without XSAVE: SET_SREGS with CR4.OSXSAVE: %s",
		      kl_errstr(r));
		kl_ok(cmd == KL_UCALL_EXCEPTION && uc.args[0] == 13,
		      "without XSAVE: the guest's CR4.OSXSAVE write raises #GP: %s",
		      kl_describe_exit(vcpu));
	}
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

struct bad {
	const char *what;
	bool keel_only;
	int want;
	void (*make)(struct table *t, int arg);
	int args;
};

static void bad_flags(struct table *t, int b) { t->e[1].flags |= 1U << (b + 3); }
static void bad_padding(struct table *t, int i) { t->e[1].padding[i] = 1; }
static void bad_header(struct table *t, int i) { t->h.padding = 1U << i; }
static void bad_index(struct table *t, int i) { t->e[0].index = 1 + i; }
static void bad_dup(struct table *t, int i) { t->e[t->h.nent++] = t->e[i]; }
static void bad_nent(struct table *t, int i) { t->h.nent = MAX_ENT + 1 + i; }

static void bad_xcr0(struct table *t, int i)
{
	struct keel_cpuid_entry2 *e = find(t, 0xd, 0);

	if (e)
		e->edx |= 1U << (30 - i);	/* XCR0 bits 62, 61, ... */
}

static void bad_vaddr(struct table *t, int i)
{
	struct keel_cpuid_entry2 *e = find(t, 0x80000008, 0);

	if (e)
		e->eax = (e->eax & ~0xff00U) | ((40U + i) << 8);
}

static void bad_paddr(struct table *t, int i)
{
	struct keel_cpuid_entry2 *e = find(t, 0x80000008, 0);

	if (e)
		e->eax = (e->eax & ~0xffU) | (60U + i);
}

static const struct bad bads[] = {
	{ "undefined entry flag bits", true, -EINVAL, bad_flags, 29 },
	{ "non-zero entry padding", true, -EINVAL, bad_padding, 3 },
	{ "non-zero header padding", true, -EINVAL, bad_header, 32 },
	{ "an index without SIGNIFCANT_INDEX", true, -EINVAL, bad_index, 3 },
	{ "duplicate entries", true, -EINVAL, bad_dup, 3 },
	{ "XCR0 bits the host cannot provide", true, -EINVAL, bad_xcr0, 3 },
	{ "0x80000008 virtual address bits not 48/57", true, -EINVAL,
	  bad_vaddr, 3 },
	{ "0x80000008 physical bits above the host's", true, -EINVAL,
	  bad_paddr, 3 },
	{ "more than 256 entries", false, -E2BIG, bad_nent, 3 },
};

static void bad_tables(struct table *sup)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_cpuid, 1,
					     &vcpu);
	struct table start = *sup, t, now;
	int i, a, r;

	add(&start, 0x40000000, 0x40000000, 1, 2, 3);
	KL_REQUIRE(!set_cpuid2(vcpu, &start), "SET_CPUID2");
	for (i = 0; i < (int)ARRAY_SIZE(bads); i++) {
		int wrong = 0, changed = 0;

		if (bads[i].keel_only && kl_is_kvm()) {
			kl_skip("SET_CPUID2 with %s: KVM accepts it", bads[i].what);
			continue;
		}
		for (a = 0; a < bads[i].args; a++) {
			t = start;
			bads[i].make(&t, a);
			r = set_cpuid2(vcpu, &t);
			if (r != bads[i].want) {
				kl_diag("%s #%d: %s", bads[i].what, a, kl_errstr(r));
				wrong++;
			}
			if (get_cpuid2(vcpu, &now) || !same_table(&start, &now))
				changed++;
			if (!kl_is_kvm() || !r)	/* KVM took it: restore */
				set_cpuid2(vcpu, &start);
		}
		if (changed)
			kl_diag("%s: %d failed calls changed the table",
				bads[i].what, changed);
		kl_ok(!wrong && !changed, "SET_CPUID2 with %s: %d cases, %s",
		      bads[i].what, bads[i].args, kl_errstr(bads[i].want));
	}
	/* An empty table is a table: every leaf reads 0. */
	t.h.nent = 0;
	r = set_cpuid2(vcpu, &t);
	if (!r && !kl_is_kvm())
		r = get_cpuid2(vcpu, &now) || now.h.nent;
	kl_ok(!r, "SET_CPUID2 with no entries, GET_CPUID2 returns none");
	KL_REQUIRE(!set_cpuid2(vcpu, &start), "SET_CPUID2");
	t = start;
	t.h.nent = 1;
	r = kl_ioctlp(vcpu->fd, KEEL_GET_CPUID2, &t);
	kl_ok(r == -E2BIG && t.h.nent == 1, "GET_CPUID2 into too small a buffer: %s",
	      kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
}

int main(void)
{
	struct table *sup = malloc(sizeof(*sup));
	int sys = kl_open_dev();

	KL_REQUIRE(sup, "malloc");
	kl_ok(kl_ioctl(sys, KEEL_CHECK_EXTENSION, KEEL_CAP_EXT_CPUID) == 1,
	      "KEEL_CAP_EXT_CPUID is advertised");
	close(sys);
	supported(sup);
	guest_sees(sup);
	cr4_follows(sup, true);
	cr4_follows(sup, false);
	bad_tables(sup);
	free(sup);
	return kl_finish();
}
