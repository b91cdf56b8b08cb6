// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_IOEVENTFD: guest writes that match a registration signal its
 * eventfd and never reach userspace; every other access still exits. The
 * guest writes port I/O and MMIO of each length, with and without
 * datamatch, with length 0 ("any length"), and with REP STOS (whose
 * second element, at the next address, exits); the host checks the
 * exact exits it sees and every eventfd's count. Then a deassigned
 * doorbell exits again, and every bad input is refused.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define M(off)		(KL_MMIO_BASE + (off))
#define MV(off)		((volatile void *)M(off))
#define PORT_A		0x510	/* len 2, any value */
#define PORT_B		0x512	/* len 1, datamatch 0x42 */
#define PORT_E		0x514	/* len 0 */

static inline void pio_out8(u16 port, u8 v)
{
	asm volatile("outb %b0, %w1" :: "a"(v), "Nd"(port));
}

static inline void pio_out16(u16 port, u16 v)
{
	asm volatile("outw %w0, %w1" :: "a"(v), "Nd"(port));
}

static inline void pio_out32(u16 port, u32 v)
{
	asm volatile("outl %0, %w1" :: "a"(v), "Nd"(port));
}

static void guest_doorbells(void)
{
	u64 rdi, rcx;
	u32 v;

	pio_out16(PORT_A, 0xbeef);					/* a */
	pio_out8(PORT_A, 1);					/* exit: len 1 */
	pio_out8(PORT_B, 0x42);					/* b */
	pio_out8(PORT_B, 0x43);					/* exit: value */
	*(volatile u32 *)MV(0x100) = 0x1234;			/* c */
	*(volatile u32 *)MV(0x100) = 0x1235;			/* exit: value */
	*(volatile u16 *)MV(0x100) = 0x1234;			/* exit: len 2 */
	*(volatile u8 *)MV(0x200) = 1;				/* d */
	*(volatile u16 *)MV(0x200) = 2;				/* d */
	*(volatile u32 *)MV(0x200) = 3;				/* d */
	*(volatile u64 *)MV(0x200) = 4;				/* d */
	v = *(volatile u32 *)MV(0x200);				/* exit: read */
	GUEST_ASSERT_EQ(v, 0x55);
	pio_out8(PORT_E, 1);					/* e */
	pio_out16(PORT_E, 2);					/* e */
	pio_out32(PORT_E, 3);					/* e */
	*(volatile u64 *)MV(0x300) = 5;				/* f */
	*(volatile u16 *)MV(0x308) = 7;				/* f */
	*(volatile u16 *)MV(0x308) = 8;				/* exit: value */
	rdi = M(0x200);
	rcx = 2;
	asm volatile("cld; rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(9) : "memory");
	GUEST_ASSERT_EQ(rcx, 0);			/* d, then exit */
	GUEST_ASSERT_EQ(rdi, M(0x208));
	GUEST_SYNC(1);

	*(volatile u8 *)MV(0x200) = 1;				/* exit: gone */
	pio_out16(PORT_A, 0xbeef);					/* a */
	GUEST_SYNC(2);
	GUEST_DONE();
}

struct expect_exit {
	bool pio;
	u64 addr;
	u8 len;
	bool write;
	u64 data;
};

static const struct expect_exit phase1_exits[] = {
	{ true, PORT_A, 1, true, 1 },
	{ true, PORT_B, 1, true, 0x43 },
	{ false, M(0x100), 4, true, 0x1235 },
	{ false, M(0x100), 2, true, 0x1234 },
	{ false, M(0x200), 4, false, 0x55 },
	{ false, M(0x308), 2, true, 8 },
	{ false, M(0x204), 4, true, 9 },	/* REP STOS, 2nd element */
};

enum { EA, EB, EC, ED, EE, EF, NR_EFDS };

static int efd[NR_EFDS];
static const char * const efd_what[NR_EFDS] = {
	"PIO len 2", "PIO datamatch", "MMIO datamatch",
	"MMIO len 0 (4 sizes and REP STOS)", "PIO len 0 (3 sizes)",
	"one eventfd on two MMIO doorbells",
};

static int ioeventfd(int vm, u64 addr, u32 len, int fd, u32 flags, u64 match)
{
	struct keel_ioeventfd a = {
		.datamatch = match, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return kl_ioctlp(vm, KEEL_IOEVENTFD, &a);
}

/* The eventfd's count since the last read (0 if never signalled). */
static u64 efd_count(int fd)
{
	u64 v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void register_all(int vm)
{
	const u32 pio = KEEL_IOEVENTFD_FLAG_PIO, dm = KEEL_IOEVENTFD_FLAG_DATAMATCH;
	int r = 0;

	r |= ioeventfd(vm, PORT_A, 2, efd[EA], pio, 0);
	r |= ioeventfd(vm, PORT_B, 1, efd[EB], pio | dm, 0x42);
	r |= ioeventfd(vm, M(0x100), 4, efd[EC], dm, 0x1234);
	r |= ioeventfd(vm, M(0x200), 0, efd[ED], 0, 0);
	r |= ioeventfd(vm, PORT_E, 0, efd[EE], pio, 0);
	r |= ioeventfd(vm, M(0x300), 8, efd[EF], 0, 0);
	r |= ioeventfd(vm, M(0x308), 2, efd[EF], dm, 7);
	KL_REQUIRE(!r, "registering the doorbells failed");
}

/* Run to the next exit that is not a ucall; check it against @e. */
static bool run_expect(struct kl_vcpu *vcpu, const struct expect_exit *e)
{
	struct keel_run *run = vcpu->run;
	u64 data = 0;
	int r = kl_vcpu_run(vcpu);

	if (r) {
		kl_diag("RUN: %s", kl_errstr(r));
		return false;
	}
	if (e->pio) {
		if (run->exit_reason != KEEL_EXIT_IO || run->io.port != e->addr ||
		    run->io.size != e->len ||
		    run->io.direction != KEEL_EXIT_IO_OUT) {
			kl_diag("expected OUT %u to %#llx, got %s", e->len,
				(unsigned long long)e->addr, kl_describe_exit(vcpu));
			return false;
		}
		memcpy(&data, kl_pio_data(vcpu), e->len);
		return data == e->data;
	}
	if (run->exit_reason != KEEL_EXIT_MMIO || run->mmio.phys_addr != e->addr ||
	    run->mmio.len != e->len || run->mmio.is_write != e->write) {
		kl_diag("expected MMIO %s %u at %#llx, got %s",
			e->write ? "write" : "read", e->len,
			(unsigned long long)e->addr, kl_describe_exit(vcpu));
		return false;
	}
	if (!e->write) {
		memcpy(run->mmio.data, &e->data, e->len);
		return true;
	}
	memcpy(&data, run->mmio.data, e->len);
	return data == e->data;
}

static void test_doorbells(struct kl_vm *vm, struct kl_vcpu *vcpu)
{
	static const u64 want[NR_EFDS] = { 1, 1, 1, 5, 3, 2 };
	u64 got[NR_EFDS];
	struct kl_ucall uc;
	unsigned int i, bad = 0;
	int r;

	register_all(vm->fd);
	for (i = 0; i < ARRAY_SIZE(phase1_exits); i++)
		if (!run_expect(vcpu, &phase1_exits[i])) {
			kl_ok(false, "exit %u of the first phase", i);
			return;
		}
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 1,
	      "only the %zu unmatched accesses exited to userspace",
	      ARRAY_SIZE(phase1_exits));
	for (i = 0; i < NR_EFDS; i++) {
		got[i] = efd_count(efd[i]);
		if (got[i] != want[i])
			kl_diag("%s: signalled %llu times, expected %llu",
				efd_what[i], (unsigned long long)got[i],
				(unsigned long long)want[i]);
		bad += got[i] != want[i];
	}
	kl_ok(!bad, "each eventfd signalled once per matching write (%u wrong)",
	      bad);

	r = ioeventfd(vm->fd, M(0x200), 0, efd[ED], KEEL_IOEVENTFD_FLAG_DEASSIGN, 0);
	kl_ok(!r, "DEASSIGN the length-0 MMIO doorbell: %s", kl_errstr(r));
	{
		const struct expect_exit gone = { false, M(0x200), 1, true, 1 };

		kl_ok(run_expect(vcpu, &gone),
		      "its address exits to userspace again");
	}
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 2 &&
	      efd_count(efd[EA]) == 1 && efd_count(efd[ED]) == 0,
	      "the other doorbells still ring, the deassigned one does not");
	kl_ok(kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE, "the guest finished");
}

struct bad_case {
	const char *what;
	bool keel_only;		/* KVM accepts it */
	int err;
	u64 addr;
	u32 len;
	u32 flags;
	u64 match;
	int pad;		/* n > 0: set pad byte n - 1 */
	int fd;			/* which fd to pass: FD_* */
};

enum { FD_A, FD_NONE, FD_VM, FD_C, FD_B };

#define PIO	KEEL_IOEVENTFD_FLAG_PIO
#define DM	KEEL_IOEVENTFD_FLAG_DATAMATCH
#define DEAS	KEEL_IOEVENTFD_FLAG_DEASSIGN
#define BAD(w, k, e, a, l, f, m, ...) \
	{ .what = w, .keel_only = k, .err = e, .addr = a, .len = l, \
	  .flags = f, .match = m, __VA_ARGS__ }

static const struct bad_case bad_cases[] = {
	BAD("virtio-ccw flag (not x86)", true, EINVAL, M(0x800), 4, 1 << 3, 0),
	BAD("flag bit 4 (KVM's internal fast-MMIO)", true, EINVAL, M(0x800), 4,
	    1 << 4, 0),
	BAD("flag bit 5", false, EINVAL, M(0x800), 4, 1 << 5, 0),
	BAD("flag bit 31", false, EINVAL, M(0x800), 4, 1U << 31, 0),
	BAD("pad byte 0", true, EINVAL, M(0x800), 4, 0, 0, .pad = 1),
	BAD("pad byte 35", true, EINVAL, M(0x800), 4, 0, 0, .pad = 36),
	BAD("len 3", false, EINVAL, M(0x800), 3, 0, 0),
	BAD("len 16", false, EINVAL, M(0x800), 16, 0, 0),
	BAD("len 0 with DATAMATCH", false, EINVAL, M(0x800), 0, DM, 0),
	BAD("address wraps", false, EINVAL, ~0ULL - 3, 8, 0, 0),
	BAD("port 0x10000", true, EINVAL, 0x10000, 1, PIO, 0),
	BAD("port 0xffff, len 2", true, EINVAL, 0xffff, 2, PIO, 0),
	BAD("MMIO above the physical address width", true, EINVAL, 1ULL << 62,
	    4, 0, 0),
	BAD("datamatch 0x100 for len 1", true, EINVAL, M(0x800), 1, DM, 0x100),
	BAD("datamatch 2^32 for len 4", true, EINVAL, M(0x800), 4, DM,
	    1ULL << 32),
	BAD("fd -1", false, EBADF, M(0x800), 4, 0, 0, .fd = FD_NONE),
	BAD("fd not an eventfd (the VM fd)", false, EINVAL, M(0x800), 4, 0, 0,
	    .fd = FD_VM),
	BAD("same PIO doorbell again", false, EEXIST, PORT_A, 2, PIO, 0),
	BAD("length 0 where a length-2 one is", false, EEXIST, PORT_A, 0, PIO,
	    0),
	BAD("same datamatch again", false, EEXIST, PORT_B, 1, PIO | DM, 0x42),
	BAD("wildcard over a datamatch", false, EEXIST, M(0x100), 4, 0, 0),
	BAD("DEASSIGN of nothing", false, ENOENT, M(0x900), 4, DEAS, 0),
	BAD("DEASSIGN with another datamatch", false, ENOENT, M(0x100), 4,
	    DEAS | DM, 0x1235, .fd = FD_C),
	BAD("DEASSIGN with another length", false, ENOENT, PORT_A, 1,
	    DEAS | PIO, 0),
	BAD("DEASSIGN with another eventfd", false, ENOENT, PORT_A, 2,
	    DEAS | PIO, 0, .fd = FD_B),
	BAD("DEASSIGN on the wrong bus", false, ENOENT, PORT_A, 2, DEAS, 0),
	BAD("DEASSIGN with pad byte 7", true, EINVAL, PORT_A, 2, DEAS | PIO, 0,
	    .pad = 8),
};

static void test_bad_input(struct kl_vm *vm)
{
	int i, n = 0, wrong = 0, r;

	register_all(vm->fd);
	for (i = 0; i < (int)ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct keel_ioeventfd a = {
			.datamatch = b->match, .addr = b->addr, .len = b->len,
			.flags = b->flags, .fd = efd[EA],
		};

		if (b->keel_only && kl_is_kvm())
			continue;
		if (b->fd == FD_NONE)
			a.fd = -1;
		else if (b->fd == FD_VM)
			a.fd = vm->fd;
		else if (b->fd == FD_C)
			a.fd = efd[EC];
		else if (b->fd == FD_B)
			a.fd = efd[EB];
		if (b->pad)
			a.pad[b->pad - 1] = 1;
		r = kl_ioctlp(vm->fd, KEEL_IOEVENTFD, &a);
		n++;
		if (r != -b->err) {
			kl_diag("%s: %s, expected -%s", b->what, kl_errstr(r),
				strerrorname_np(b->err));
			wrong++;
		}
	}
	kl_ok(!wrong, "IOEVENTFD bad input: %d cases, each refused as KVM%s (%d not)",
	      n, kl_is_kvm() ? "" : " or stricter", wrong);
	if (kl_is_kvm())
		kl_skip("keel-only refusals: padding, flags 3-4, range, datamatch width");

	r = ioeventfd(vm->fd, PORT_B, 1, efd[EC], PIO | DM, 0x43);
	kl_ok(!r, "another datamatch on the same port is accepted: %s",
	      kl_errstr(r));
	r = ioeventfd(vm->fd, PORT_B, 1, efd[EC], PIO | DM | DEAS, 0x43);
	kl_ok(!r, "... and deassigned: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_IOEVENTFD, 8);
	kl_ok(r == -EFAULT, "IOEVENTFD from a bad pointer: %s", kl_errstr(r));
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm;
	int i;

	for (i = 0; i < NR_EFDS; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		KL_REQUIRE(efd[i] >= 0, "eventfd");
	}
	vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_doorbells, 1, &vcpu);
	test_doorbells(vm, vcpu);
	kl_vm_free(vm);

	/* Bad input on a VM of its own, its doorbells in place. */
	vm = kl_vm_create(KL_MEM_DEFAULT);
	test_bad_input(vm);
	kl_vm_free(vm);
	for (i = 0; i < NR_EFDS; i++)
		close(efd[i]);
	return kl_finish();
}
