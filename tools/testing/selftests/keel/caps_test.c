// SPDX-License-Identifier: GPL-2.0
/*
 * The capability registry, from userspace: every capability advertised on
 * the system or VM fd works when used, every one not advertised is refused
 * by ENABLE_CAP, the reserved "keel extensions are stable" capability stays
 * hidden, experimental capabilities appear only with the module parameter
 * experimental=1, and ENABLE_CAP rejects every malformed request without
 * changing the VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define SCAN_KVM	512	/* capability numbers scanned from 0 */
#define SCAN_PRIVATE	64	/* and from KEEL_CAP_PRIVATE_BASE */

static int enable_cap(int fd, u32 cap, u64 arg0)
{
	struct keel_enable_cap ec = { .cap = cap, .args = { arg0 } };

	return kl_ioctl(fd, KEEL_ENABLE_CAP, (unsigned long)&ec);
}

static int create_vm(void)
{
	int sys = kl_open_dev(), vm = kl_ioctl(sys, KEEL_CREATE_VM, 0);

	close(sys);
	KL_REQUIRE(vm >= 0, "CREATE_VM: %s", kl_errstr(vm));
	return vm;
}

static int add_slot(int vm, u32 slot, u32 flags, u64 gpa, u64 size, void *hva)
{
	struct keel_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (unsigned long)hva,
	};

	return kl_ioctl(vm, KEEL_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

/* ---- one usage check per capability ---- */

static bool use_user_memory(long v)
{
	int vm = create_vm();
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r = add_slot(vm, 0, 0, 0, 4096, p);

	close(vm);
	munmap(p, 4096);
	return v == 1 && r == 0;
}

static bool use_nr_vcpus(long v)
{
	int sys = kl_open_dev();
	long max = kl_ioctl(sys, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPUS);

	close(sys);
	return v >= 1 && v <= max;
}

static bool use_nr_memslots(long v)
{
	int vm = create_vm();
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int last = add_slot(vm, v - 1, 0, 0, 4096, p);
	int beyond = add_slot(vm, v, 0, 0x10000, 4096, p);

	close(vm);
	munmap(p, 4096);
	return last == 0 && beyond == -EINVAL;
}

static void guest_read_twice(void)
{
	volatile u64 *p = (u64 *)KL_GPA_SCRATCH;

	GUEST_SYNC(*p);
	GUEST_SYNC(*p);
	GUEST_DONE();
}

/* The host drops the page under the guest; the guest sees the new page. */
static bool use_sync_mmu(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_read_twice,
					     1, &vcpu);
	u64 *host = kl_gpa_to_hva(vm, KL_GPA_SCRATCH);
	struct kl_ucall a, b;

	*host = 0x5a5a;
	kl_run_ucall(vcpu, &a);
	madvise(host, 4096, MADV_DONTNEED);
	kl_run_ucall(vcpu, &b);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return v == 1 && a.args[0] == 0x5a5a && b.args[0] == 0;
}

#define JOIN_GPA	0x40000000ULL

static void guest_read_across(void)
{
	GUEST_SYNC(*(volatile u64 *)(JOIN_GPA + 4096 - 4));
	GUEST_DONE();
}

/* A read spanning two adjacent slots sees both halves. */
static bool use_join_memory_regions(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_read_across,
					     1, &vcpu);
	u8 *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u8 *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kl_ucall uc;
	bool ok;

	memcpy(a + 4092, "\x11\x22\x33\x44", 4);
	memcpy(b, "\x55\x66\x77\x88", 4);
	ok = kl_set_region(vm, 1, 0, JOIN_GPA, 4096, a) == 0 &&
	     kl_set_region(vm, 2, 0, JOIN_GPA + 4096, 4096, b) == 0 &&
	     kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC &&
	     uc.args[0] == 0x8877665544332211ULL;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	munmap(a, 4096);
	munmap(b, 4096);
	return v == 1 && ok;
}

static void guest_read_join_twice(void)
{
	GUEST_SYNC(*(volatile u64 *)JOIN_GPA);
	GUEST_SYNC(*(volatile u64 *)JOIN_GPA);
	GUEST_DONE();
}

/* A deleted slot's addresses read as MMIO; its memory is not touched. */
static bool use_destroy_memory_region(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT,
					     guest_read_join_twice, 1, &vcpu);
	u64 *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kl_ucall uc;
	bool ok;

	*a = 0x1234;
	ok = kl_set_region(vm, 1, 0, JOIN_GPA, 4096, a) == 0 &&
	     kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 0x1234 &&
	     kl_set_region(vm, 1, 0, JOIN_GPA, 0, a) == 0 &&
	     kl_vcpu_run(vcpu) == 0 &&
	     vcpu->run->exit_reason == KEEL_EXIT_MMIO &&
	     !vcpu->run->mmio.is_write && vcpu->run->mmio.phys_addr == JOIN_GPA;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	munmap(a, 4096);
	return v == 1 && ok;
}

/* GET_SUPPORTED_CPUID answers (cpuid_test covers the rest). */
static bool use_ext_cpuid(long v)
{
	struct {
		struct keel_cpuid2 h;
		struct keel_cpuid_entry2 e[256];
	} t = { .h.nent = 256 };
	int sys = kl_open_dev();
	int r = kl_ioctl(sys, KEEL_GET_SUPPORTED_CPUID, (unsigned long)&t);

	close(sys);
	return v == 1 && !r && t.h.nent && t.e[0].function == 0;
}

/* The first feature MSR reads on the system fd (msr_test covers more). */
static bool use_msr_features(long v)
{
	struct {
		struct keel_msr_list h;
		u32 idx[64];
	} l = { .h.nmsrs = 64 };
	struct {
		struct keel_msrs h;
		struct keel_msr_entry e[1];
	} m = { .h.nmsrs = 1 };
	int sys = kl_open_dev(), r;

	r = kl_ioctl(sys, KEEL_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)&l);
	if (!r && l.h.nmsrs) {
		m.e[0].index = l.idx[0];
		r = kl_ioctl(sys, KEEL_GET_MSRS, (unsigned long)&m) == 1 ? 0 : -1;
	}
	close(sys);
	return v == 1 && !r && l.h.nmsrs;
}

/* A vCPU's state through @get then @set of the same bytes (size @len). */
static bool get_set(unsigned long get, unsigned long set, size_t len)
{
	int vm = create_vm(), fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0), r = -1;
	void *buf = calloc(1, len);

	if (fd >= 0 && buf) {
		r = kl_ioctl(fd, get, (unsigned long)buf);
		if (!r && set)
			r = kl_ioctl(fd, set, (unsigned long)buf);
		close(fd);
	}
	free(buf);
	close(vm);
	return !r;
}

static bool use_xsave(long v)
{
	return v == 1 && get_set(KEEL_GET_XSAVE, KEEL_SET_XSAVE,
				 sizeof(struct keel_xsave));
}

static bool use_xcrs(long v)
{
	return v == 1 && get_set(KEEL_GET_XCRS, KEEL_SET_XCRS,
				 sizeof(struct keel_xcrs));
}

static bool use_xsave2(long v)
{
	return v >= (long)sizeof(struct keel_xsave) &&
	       get_set(KEEL_GET_XSAVE2, 0, v);
}

static bool use_set_tss_addr(long v)
{
	int vm = create_vm(), r = kl_ioctl(vm, KEEL_SET_TSS_ADDR, 0xfffbd000);

	close(vm);
	return v == 1 && !r;
}

static bool use_identity_map_addr(long v)
{
	u64 addr = 0xfeffc000;
	int vm = create_vm();
	int r = kl_ioctl(vm, KEEL_SET_IDENTITY_MAP_ADDR, (unsigned long)&addr);

	close(vm);
	return v == 1 && !r;
}

static bool use_mp_state(long v)
{
	return v == 1 && get_set(KEEL_GET_MP_STATE, KEEL_SET_MP_STATE,
				 sizeof(struct keel_mp_state));
}

/* v vCPUs fit in one VM (their fds closed at once; the vCPUs stay). */
static bool use_max_vcpus(long v)
{
	int vm = create_vm(), i, fd, r = 0;

	for (i = 0; i < v; i++) {
		fd = kl_ioctl(vm, KEEL_CREATE_VCPU, i);
		if (fd < 0) {
			kl_diag("vCPU %d: %s", i, kl_errstr(fd));
			close(vm);
			return false;
		}
		close(fd);
	}
	if (!kl_is_kvm())	/* KVM's MAX_VCPU_ID is above MAX_VCPUS */
		r = kl_ioctl(vm, KEEL_CREATE_VCPU, v);
	close(vm);
	return kl_is_kvm() || r == -EINVAL;
}

static void guest_write(void)
{
	*(volatile u32 *)JOIN_GPA = 0xabcd;
	GUEST_DONE();
}

static bool use_readonly_mem(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_write, 1,
					     &vcpu);
	u32 *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	ok = kl_set_region(vm, 1, KEEL_MEM_READONLY, JOIN_GPA, 4096, p) == 0 &&
	     kl_vcpu_run(vcpu) == 0 &&
	     vcpu->run->exit_reason == KEEL_EXIT_MMIO &&
	     vcpu->run->mmio.is_write && vcpu->run->mmio.phys_addr == JOIN_GPA &&
	     *p == 0;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	munmap(p, 4096);
	return v == 1 && ok;
}

/* ENABLE_CAP on the VM fd works for the one VM-enableable capability. */
static bool use_enable_cap_vm(long v)
{
	int vm = create_vm(), r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 4);

	close(vm);
	return v == 1 && r == 0;
}

/* The VM fd answers CHECK_EXTENSION like the system fd. */
static bool use_check_extension_vm(long v)
{
	int sys = kl_open_dev(), vm = create_vm();
	bool same = kl_ioctl(vm, KEEL_CHECK_EXTENSION, KEEL_CAP_USER_MEMORY) ==
		    kl_ioctl(sys, KEEL_CHECK_EXTENSION, KEEL_CAP_USER_MEMORY);

	close(vm);
	close(sys);
	return v == 1 && same;
}

static bool use_max_vcpu_id(long v)
{
	int vm = create_vm();
	int last = kl_ioctl(vm, KEEL_CREATE_VCPU, v - 1);
	int beyond = kl_ioctl(vm, KEEL_CREATE_VCPU, v);

	if (last >= 0)
		close(last);
	close(vm);
	return last >= 0 && beyond == -EINVAL;
}

static bool use_immediate_exit(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_write, 1,
					     &vcpu);
	int r;

	vcpu->run->immediate_exit = 1;
	r = kl_vcpu_run(vcpu);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return v == 1 && r == -EINTR;
}

static void guest_hlt_thrice(void)
{
	int i;

	for (i = 0; i < 3; i++)
		kl_guest_hlt();
	GUEST_DONE();
}

/*
 * With HLT exits disabled the guest halts in guest mode, is woken by the
 * next host interrupt (the guest has IF=0, the host's IF is what counts)
 * and goes on; userspace sees no HLT exit.
 */
static bool use_disable_exits(long v)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	struct kl_vcpu *vcpu;
	struct kl_ucall uc;
	bool ok;
	int r;

	r = enable_cap(vm->fd, KEEL_CAP_X86_DISABLE_EXITS,
		       KEEL_X86_DISABLE_EXITS_HLT);
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	kl_vcpu_setup_long_mode(vcpu, guest_hlt_thrice, 0, 0);
	ok = r == 0 && kl_run_ucall(vcpu, &uc) == KL_UCALL_DONE;
	if (!ok)
		kl_diag("enable %s, then %s", kl_errstr(r), kl_describe_exit(vcpu));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return (v & KEEL_X86_DISABLE_EXITS_HLT) && ok;
}

volatile u64 caps_nmi_count;
extern char caps_nmi_handler[];
asm(".pushsection .text\n"
	"caps_nmi_handler:\n"
	"  incq caps_nmi_count(%rip)\n"
	"  iretq\n"
	".popsection\n");

static void guest_wait_nmi(void)
{
	u64 i;

	for (i = 0; i < 100000000 && !caps_nmi_count; i++)
		asm volatile("pause");
	GUEST_SYNC(caps_nmi_count);
}

/* KEEL_NMI reaches the guest's NMI handler. */
static bool use_user_nmi(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_wait_nmi, 1,
					     &vcpu);
	struct kl_ucall uc;
	bool ok;

	kl_vm_set_idt_gate(vm, 2, caps_nmi_handler);
	ok = !kl_ioctl(vcpu->fd, KEEL_NMI, 0) &&
	     kl_run_ucall(vcpu, &uc) == KL_UCALL_SYNC && uc.args[0] == 1;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return v == 1 && ok;
}

static bool use_vcpu_events(long v)
{
	return v == 1 && get_set(KEEL_GET_VCPU_EVENTS, KEEL_SET_VCPU_EVENTS,
				 sizeof(struct keel_vcpu_events));
}

static bool use_debugregs(long v)
{
	return v == 1 && get_set(KEEL_GET_DEBUGREGS, KEEL_SET_DEBUGREGS,
				 sizeof(struct keel_debugregs));
}

/* An interrupt shadow set through VCPU_EVENTS reads back. */
static bool use_intr_shadow(long v)
{
	int vm = create_vm(), fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	struct keel_vcpu_events e;
	bool ok = false;

	if (fd >= 0 && !kl_ioctl(fd, KEEL_GET_VCPU_EVENTS, (unsigned long)&e)) {
		e.interrupt.shadow = KEEL_X86_SHADOW_INT_MOV_SS;
		e.flags = KEEL_VCPUEVENT_VALID_SHADOW;
		ok = !kl_ioctl(fd, KEEL_SET_VCPU_EVENTS, (unsigned long)&e) &&
		     !kl_ioctl(fd, KEEL_GET_VCPU_EVENTS, (unsigned long)&e) &&
		     (e.flags & KEEL_VCPUEVENT_VALID_SHADOW) &&
		     e.interrupt.shadow;
		close(fd);
	}
	close(vm);
	return v == 1 && ok;
}

static void guest_nops(void)
{
	asm volatile("nop; nop");
	GUEST_DONE();
}

/* Single-stepping a guest gives a DEBUG exit. */
static bool use_set_guest_debug(long v)
{
	struct keel_guest_debug d = { .control = KEEL_GUESTDBG_ENABLE |
					      KEEL_GUESTDBG_SINGLESTEP };
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_nops, 1,
					     &vcpu);
	bool ok;

	ok = !kl_ioctlp(vcpu->fd, KEEL_SET_GUEST_DEBUG, &d) &&
	     !kl_vcpu_run(vcpu) && vcpu->run->exit_reason == KEEL_EXIT_DEBUG;
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return v == 1 && ok;
}

/*
 * The advertised control bits: each is accepted (on a vCPU of its own,
 * as the INJECT bits queue an exception), ENABLE and SINGLESTEP among
 * them; on keel nothing else is.
 */
static bool use_set_guest_debug2(long v)
{
	struct keel_guest_debug d = { 0 };
	bool ok = (v & KEEL_GUESTDBG_ENABLE) && (v & KEEL_GUESTDBG_SINGLESTEP);
	int vm = create_vm(), fd, i;

	for (i = 0; ok && i < 32; i++) {
		fd = kl_ioctl(vm, KEEL_CREATE_VCPU, i);
		if (fd < 0)
			return false;
		d.control = KEEL_GUESTDBG_ENABLE | BIT(i);
		if (v & BIT(i))
			ok = !kl_ioctlp(fd, KEEL_SET_GUEST_DEBUG, &d);
		else if (!kl_is_kvm())
			ok = kl_ioctlp(fd, KEEL_SET_GUEST_DEBUG, &d) == -EINVAL;
		close(fd);
	}
	close(vm);
	return ok;
}

/* GET_CLOCK reports the flags advertised, at most (REALTIME, HOST_TSC). */
static bool use_adjust_clock(long v)
{
	struct keel_clock_data c;
	int vm = create_vm(), r = kl_ioctl(vm, KEEL_GET_CLOCK, (unsigned long)&c);

	if (!r)
		r = kl_ioctl(vm, KEEL_SET_CLOCK, (unsigned long)&c);
	close(vm);
	return !r && (v & KEEL_CLOCK_REALTIME) && !(c.flags & ~v);
}

static bool use_get_tsc_khz(long v)
{
	int vm = create_vm(), fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	long khz = fd >= 0 ? kl_ioctl(fd, KEEL_GET_TSC_KHZ, 0) : -1;

	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && khz > 0;
}

static void guest_crc32_mmio(void)
{
	u32 v = 0;

	asm volatile("crc32l (%1), %0" : "+r"(v) : "r"(KL_MMIO_BASE) : "memory");
	GUEST_DONE();
}

/*
 * Enabled, an MMIO access by an instruction that is not emulated (CRC32)
 * ends RUN with the emulation_failure layout; args[0] 2 is refused.
 */
static bool use_exit_on_emulation_failure(long v)
{
	static const u8 crc32[] = { 0xf2, 0x0f, 0x38, 0xf1 };
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_crc32_mmio,
					     1, &vcpu);
	struct keel_run *run = vcpu->run;
	bool ok;

	ok = !enable_cap(vm->fd, KEEL_CAP_EXIT_ON_EMULATION_FAILURE, 1) &&
	     enable_cap(vm->fd, KEEL_CAP_EXIT_ON_EMULATION_FAILURE, 2) ==
	     -EINVAL && !kl_vcpu_run(vcpu) &&
	     run->exit_reason == KEEL_EXIT_INTERNAL_ERROR &&
	     run->emulation_failure.suberror == KEEL_INTERNAL_ERROR_EMULATION &&
	     (run->emulation_failure.flags &
	      KEEL_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	     run->emulation_failure.insn_size >= sizeof(crc32) &&
	     !memcmp(run->emulation_failure.insn_bytes, crc32, sizeof(crc32));
	if (!ok)
		kl_diag("EXIT_ON_EMULATION_FAILURE: %s", kl_describe_exit(vcpu));
	kl_vcpu_free(vcpu);	/* caps_test reloads keel: no fd may stay */
	kl_vm_free(vm);
	return v == 1 && ok;
}

/* Enabling it makes GET_VCPU_EVENTS report payloads; 0 turns it off. */
static bool use_exception_payload(long v)
{
	int vm = create_vm(), fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	struct keel_vcpu_events e;
	bool on = false, off = false;

	if (fd >= 0 && !enable_cap(vm, KEEL_CAP_EXCEPTION_PAYLOAD, 1) &&
	    !kl_ioctl(fd, KEEL_GET_VCPU_EVENTS, (unsigned long)&e))
		on = e.flags & KEEL_VCPUEVENT_VALID_PAYLOAD;
	if (fd >= 0 && !enable_cap(vm, KEEL_CAP_EXCEPTION_PAYLOAD, 0) &&
	    !kl_ioctl(fd, KEEL_GET_VCPU_EVENTS, (unsigned long)&e))
		off = !(e.flags & KEEL_VCPUEVENT_VALID_PAYLOAD);
	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && on && off;
}

static void guest_doorbell(void)
{
	*(volatile u32 *)(KL_MMIO_BASE + 0x10) = 1;
	asm volatile("outb %%al, $0x60" :: "a"(1));
	GUEST_DONE();
}

/*
 * Register one ioeventfd, let the guest write an MMIO and a port doorbell:
 * the registered one must signal once and never exit to userspace.
 */
static bool ioeventfd_rings(u64 addr, u32 len, u32 flags)
{
	struct keel_ioeventfd a = { .addr = addr, .len = len, .flags = flags };
	bool pio = flags & KEEL_IOEVENTFD_FLAG_PIO, exited = false;
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_doorbell, 1,
					     &vcpu);
	struct kl_ucall uc;
	u64 count = 0;
	int i;

	a.fd = eventfd(0, EFD_NONBLOCK);
	if (a.fd < 0 || kl_ioctlp(vm->fd, KEEL_IOEVENTFD, &a))
		goto out;
	for (i = 0; i < 4 && kl_get_ucall(vcpu, &uc) != KL_UCALL_DONE; i++) {
		if (kl_vcpu_run(vcpu))
			break;
		if (pio && vcpu->run->exit_reason == KEEL_EXIT_IO)
			exited |= vcpu->run->io.port == addr;
		if (!pio && vcpu->run->exit_reason == KEEL_EXIT_MMIO)
			exited |= vcpu->run->mmio.phys_addr == addr;
	}
	if (read(a.fd, &count, sizeof(count)) != sizeof(count))
		count = 0;
out:
	if (a.fd >= 0)
		close(a.fd);
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return count == 1 && !exited;
}

static bool use_ioeventfd(long v)
{
	return v == 1 && ioeventfd_rings(KL_MMIO_BASE + 0x10, 4, 0);
}

/* Length 0 on the MMIO bus: any access size matches. */
static bool use_ioeventfd_no_length(long v)
{
	return v == 1 && ioeventfd_rings(KL_MMIO_BASE + 0x10, 0, 0);
}

/* Length 0 on the PIO bus too. */
static bool use_ioeventfd_any_length(long v)
{
	return v == 1 && ioeventfd_rings(0x60, 0, KEEL_IOEVENTFD_FLAG_PIO);
}

/* A VM with an in-kernel APIC: GET_LAPIC works on its vCPUs. */
static bool use_split_irqchip(long v)
{
	struct keel_lapic_state s;
	int vm = create_vm(), fd, r;

	r = enable_cap(vm, KEEL_CAP_SPLIT_IRQCHIP, 24);
	fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	if (!r && fd >= 0)
		r = kl_ioctl(fd, KEEL_GET_LAPIC, (unsigned long)&s);
	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && !r && s.regs[0x30] == 0x14;
}

/* TSC-deadline mode exists: the LVT timer keeps mode 2 once CPUID has it. */
static bool use_tsc_deadline(long v)
{
	struct keel_lapic_state s;
	struct kl_cpuid c;
	int vm = create_vm(), fd, r, i;
	u32 lvtt = 2 << 17 | 0x40;

	r = enable_cap(vm, KEEL_CAP_SPLIT_IRQCHIP, 24);
	fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	c.h.nent = ARRAY_SIZE(c.e);
	if (!r && fd >= 0)
		r = kl_ioctl(fd, KEEL_GET_CPUID2, (unsigned long)&c);
	for (i = 0; !r && i < (int)c.h.nent; i++)
		if (c.e[i].function == 1)
			c.e[i].ecx |= 1 << 24;
	if (!r)
		r = kl_ioctl(fd, KEEL_SET_CPUID2, (unsigned long)&c);
	if (!r)
		r = kl_ioctl(fd, KEEL_GET_LAPIC, (unsigned long)&s);
	if (!r) {
		memcpy(s.regs + 0x320, &lvtt, 4);
		r = kl_ioctl(fd, KEEL_SET_LAPIC, (unsigned long)&s);
	}
	if (!r)
		r = kl_ioctl(fd, KEEL_GET_LAPIC, (unsigned long)&s);
	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && !r && !memcmp(s.regs + 0x320, &lvtt, 4);
}

/* GSIs below the value route; the value itself does not. */
static bool use_irq_routing(long v)
{
	struct {
		struct keel_irq_routing h;
		struct keel_irq_routing_entry e;
	} rt = { { .nr = 1 }, { .type = KEEL_IRQ_ROUTING_MSI,
			  .u.msi = { .address_lo = 0xfee00000, .data = 0x40 } } };
	int vm = create_vm();
	bool ok = !enable_cap(vm, KEEL_CAP_SPLIT_IRQCHIP, 24);

	rt.e.gsi = v - 1;
	ok = ok && !kl_ioctl(vm, KEEL_SET_GSI_ROUTING, (unsigned long)&rt);
	rt.e.gsi = v;
	ok = ok && kl_ioctl(vm, KEEL_SET_GSI_ROUTING, (unsigned long)&rt) ==
		   -EINVAL;
	close(vm);
	return v > 0 && ok;
}

/*
 * A VM with an in-kernel APIC and vCPU 0 (its fd in *@fd), the APIC
 * software-enabled; 0 or a negative error.
 */
static int apic_vm(int *vm, int *fd)
{
	struct keel_lapic_state s;
	u32 spiv = 0x1ff;
	int r;

	*vm = create_vm();
	r = enable_cap(*vm, KEEL_CAP_SPLIT_IRQCHIP, 24);
	*fd = kl_ioctl(*vm, KEEL_CREATE_VCPU, 0);
	if (*fd < 0)
		return *fd;
	r = r ?: kl_ioctl(*fd, KEEL_GET_LAPIC, (unsigned long)&s);
	memcpy(s.regs + 0xf0, &spiv, 4);
	return r ?: kl_ioctl(*fd, KEEL_SET_LAPIC, (unsigned long)&s);
}

/* With an in-kernel APIC both ioctls take settings (the mirror in a slot). */
static bool use_vapic(long v)
{
	struct keel_tpr_access_ctl c = { .enabled = 1 };
	struct keel_vapic_addr a = { .vapic_addr = 0x1000 };
	static u8 page[4096] __aligned(4096);
	int vm, fd, r = apic_vm(&vm, &fd);

	r = r ?: add_slot(vm, 0, 0, 0x1000, sizeof(page), page);

	r = r ?: kl_ioctl(fd, KEEL_TPR_ACCESS_REPORTING, (unsigned long)&c);
	r = r ?: kl_ioctl(fd, KEEL_SET_VAPIC_ADDR, (unsigned long)&a);
	c.enabled = 0;
	a.vapic_addr = 0;
	r = r ?: kl_ioctl(fd, KEEL_TPR_ACCESS_REPORTING, (unsigned long)&c);
	r = r ?: kl_ioctl(fd, KEEL_SET_VAPIC_ADDR, (unsigned long)&a);
	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && !r;
}

/* Is vector 0x40 pending in vCPU @fd's IRR? */
static bool irr_0x40(int fd)
{
	struct keel_lapic_state s;

	return !kl_ioctl(fd, KEEL_GET_LAPIC, (unsigned long)&s) &&
	       (s.regs[0x200 + 0x20] & 1);
}

/* An MSI to a VM with an in-kernel APIC is taken by vCPU 0's APIC. */
static bool use_signal_msi(long v)
{
	struct keel_msi m = { .address_lo = 0xfee00000, .data = 0x40 };
	int vm, fd, r = apic_vm(&vm, &fd);
	bool ok;

	if (!r)
		r = kl_ioctl(vm, KEEL_SIGNAL_MSI, (unsigned long)&m) != 1;
	ok = !r && irr_0x40(fd);
	if (fd >= 0)
		close(fd);
	close(vm);
	return v == 1 && ok;
}

/* An eventfd write raises an MSI route's vector in vCPU 0's IRR. */
static bool use_irqfd(long v)
{
	struct {
		struct keel_irq_routing h;
		struct keel_irq_routing_entry e;
	} rt = { { .nr = 1 }, { .gsi = 3, .type = KEEL_IRQ_ROUTING_MSI,
			  .u.msi = { .address_lo = 0xfee00000, .data = 0x40 } } };
	struct keel_irqfd a = { .fd = eventfd(0, 0), .gsi = 3 };
	int vm, fd, r = apic_vm(&vm, &fd);
	u64 one = 1;
	bool ok;

	r = r ?: kl_ioctl(vm, KEEL_SET_GSI_ROUTING, (unsigned long)&rt);
	r = r ?: kl_ioctl(vm, KEEL_IRQFD, (unsigned long)&a);
	if (!r && write(a.fd, &one, sizeof(one)) != sizeof(one))
		r = -EIO;
	ok = !r && irr_0x40(fd);
	if (fd >= 0)
		close(fd);
	close(vm);
	close(a.fd);
	return v == 1 && ok;
}

/* IRQ_LINE raises a line of the in-kernel PIC and IOAPIC. */
static bool use_irqchip(long v)
{
	struct keel_irq_level l = { .irq = 1, .level = 1 };
	struct keel_irqchip pic = { .chip_id = KEEL_IRQCHIP_PIC_MASTER };
	struct keel_irqchip io = { .chip_id = KEEL_IRQCHIP_IOAPIC };
	int vm = create_vm();
	int r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);

	r = r ?: kl_ioctl(vm, KEEL_IRQ_LINE, (unsigned long)&l);
	r = r ?: kl_ioctl(vm, KEEL_GET_IRQCHIP, (unsigned long)&pic);
	r = r ?: kl_ioctl(vm, KEEL_GET_IRQCHIP, (unsigned long)&io);
	close(vm);
	return v == 1 && !r && (pic.chip.pic.irr & 2) &&
	       (io.chip.ioapic.irr & 2) &&
	       io.chip.ioapic.base_address == 0xfec00000;
}

/*
 * Status: 1 for an edge into an unmasked PIC pin, 0 for a second edge
 * while the first still waits for INTA (the IOAPIC pin is masked: -1).
 */
static bool use_irq_inject_status(long v)
{
	struct keel_irq_level l = { .irq = 1, .level = 1 };
	int vm = create_vm(), r, first;

	r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);
	r = r ?: kl_ioctl(vm, KEEL_IRQ_LINE_STATUS, (unsigned long)&l);
	first = l.status;
	l.irq = 1;
	l.level = 0;
	r = r ?: kl_ioctl(vm, KEEL_IRQ_LINE, (unsigned long)&l);
	l.level = 1;
	r = r ?: kl_ioctl(vm, KEEL_IRQ_LINE_STATUS, (unsigned long)&l);
	close(vm);
	return v == 1 && !r && first == 1 && l.status == 0;
}

static void guest_hlt(void)
{
	asm volatile("hlt");
	GUEST_DONE();
}

/* HLT without an in-kernel APIC exits to userspace with KEEL_EXIT_HLT. */
static bool use_hlt(long v)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_hlt, 1,
					     &vcpu);
	bool ok = kl_vcpu_run(vcpu) == 0 &&
		  vcpu->run->exit_reason == KEEL_EXIT_HLT;

	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return v == 1 && ok;
}

/* A resampling irqfd holds an IOAPIC line high: IRR shows it. */
static bool use_irqfd_resample(long v)
{
	struct keel_irqchip io = { .chip_id = KEEL_IRQCHIP_IOAPIC };
	struct keel_irqfd a = { .fd = eventfd(0, 0), .gsi = 20,
				.flags = KEEL_IRQFD_FLAG_RESAMPLE,
				.resamplefd = eventfd(0, 0) };
	int vm = create_vm(), r, i;
	u64 one = 1;

	r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);
	r = r ?: kl_ioctl(vm, KEEL_IRQFD, (unsigned long)&a);
	if (!r && write(a.fd, &one, sizeof(one)) != sizeof(one))
		r = -EIO;
	/* KVM raises a resampling irqfd's line from a work item: wait. */
	for (i = 0; !r && i < 100; i++) {
		r = kl_ioctl(vm, KEEL_GET_IRQCHIP, (unsigned long)&io);
		if (io.chip.ioapic.irr & BIT(20))
			break;
		usleep(10000);
	}
	close(vm);
	close(a.fd);
	close(a.resamplefd);
	return v == 1 && !r && (io.chip.ioapic.irr & BIT(20));
}

/* A PIT whose channel 0 was given a count reports it in GET_PIT2. */
static bool use_pit2(long v)
{
	struct keel_pit_config cfg = { 0 };
	struct keel_pit_state2 s;
	int vm = create_vm(), r;

	r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);
	r = r ?: kl_ioctl(vm, KEEL_CREATE_PIT2, (unsigned long)&cfg);
	r = r ?: kl_ioctl(vm, KEEL_GET_PIT2, (unsigned long)&s);
	close(vm);
	return v == 1 && !r && s.channels[0].count == 0x10000;
}

/* REINJECT_CONTROL switches a PIT's reinjection; without a PIT, -ENXIO. */
static bool use_reinject_control(long v)
{
	struct keel_reinject_control c = { 0 };
	struct keel_pit_config cfg = { 0 };
	int vm = create_vm(), r, nopit;

	r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);
	nopit = kl_ioctl(vm, KEEL_REINJECT_CONTROL, (unsigned long)&c);
	r = r ?: kl_ioctl(vm, KEEL_CREATE_PIT2, (unsigned long)&cfg);
	r = r ?: kl_ioctl(vm, KEEL_REINJECT_CONTROL, (unsigned long)&c);
	c.pit_reinject = 1;
	r = r ?: kl_ioctl(vm, KEEL_REINJECT_CONTROL, (unsigned long)&c);
	close(vm);
	return v == 1 && !r && nopit == -ENXIO;
}

/* SET_PIT2 takes a state GET_PIT2 then reports. */
static bool use_pit_state2(long v)
{
	struct keel_pit_config cfg = { 0 };
	struct keel_pit_state2 s;
	int vm = create_vm(), r;

	r = kl_ioctl(vm, KEEL_CREATE_IRQCHIP, 0);
	r = r ?: kl_ioctl(vm, KEEL_CREATE_PIT2, (unsigned long)&cfg);
	r = r ?: kl_ioctl(vm, KEEL_GET_PIT2, (unsigned long)&s);
	s.channels[1].count = 1000;
	s.channels[1].mode = 2;
	r = r ?: kl_ioctl(vm, KEEL_SET_PIT2, (unsigned long)&s);
	r = r ?: kl_ioctl(vm, KEEL_GET_PIT2, (unsigned long)&s);
	close(vm);
	return v == 1 && !r && s.channels[1].count == 1000 &&
	       s.channels[1].mode == 2;
}

static const struct {
	u32 nr;
	const char *name;
	bool (*use)(long value);
} checks[] = {
	{ KEEL_CAP_USER_MEMORY, "USER_MEMORY", use_user_memory },
	{ KEEL_CAP_EXT_CPUID, "EXT_CPUID", use_ext_cpuid },
	{ KEEL_CAP_SET_TSS_ADDR, "SET_TSS_ADDR", use_set_tss_addr },
	{ KEEL_CAP_MP_STATE, "MP_STATE", use_mp_state },
	{ KEEL_CAP_IOEVENTFD, "IOEVENTFD", use_ioeventfd },
	{ KEEL_CAP_IOEVENTFD_NO_LENGTH, "IOEVENTFD_NO_LENGTH",
	  use_ioeventfd_no_length },
	{ KEEL_CAP_IOEVENTFD_ANY_LENGTH, "IOEVENTFD_ANY_LENGTH",
	  use_ioeventfd_any_length },
	{ KEEL_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR",
	  use_identity_map_addr },
	{ KEEL_CAP_NR_VCPUS, "NR_VCPUS", use_nr_vcpus },
	{ KEEL_CAP_NR_MEMSLOTS, "NR_MEMSLOTS", use_nr_memslots },
	{ KEEL_CAP_SYNC_MMU, "SYNC_MMU", use_sync_mmu },
	{ KEEL_CAP_JOIN_MEMORY_REGIONS_WORKS, "JOIN_MEMORY_REGIONS_WORKS",
	  use_join_memory_regions },
	{ KEEL_CAP_DESTROY_MEMORY_REGION_WORKS, "DESTROY_MEMORY_REGION_WORKS",
	  use_destroy_memory_region },
	{ KEEL_CAP_MAX_VCPUS, "MAX_VCPUS", use_max_vcpus },
	{ KEEL_CAP_READONLY_MEM, "READONLY_MEM", use_readonly_mem },
	{ KEEL_CAP_ENABLE_CAP_VM, "ENABLE_CAP_VM", use_enable_cap_vm },
	{ KEEL_CAP_CHECK_EXTENSION_VM, "CHECK_EXTENSION_VM",
	  use_check_extension_vm },
	{ KEEL_CAP_MAX_VCPU_ID, "MAX_VCPU_ID", use_max_vcpu_id },
	{ KEEL_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT", use_immediate_exit },
	{ KEEL_CAP_X86_DISABLE_EXITS, "X86_DISABLE_EXITS", use_disable_exits },
	{ KEEL_CAP_GET_MSR_FEATURES, "GET_MSR_FEATURES", use_msr_features },
	{ KEEL_CAP_XSAVE, "XSAVE", use_xsave },
	{ KEEL_CAP_XCRS, "XCRS", use_xcrs },
	{ KEEL_CAP_XSAVE2, "XSAVE2", use_xsave2 },
	{ KEEL_CAP_USER_NMI, "USER_NMI", use_user_nmi },
	{ KEEL_CAP_SET_GUEST_DEBUG, "SET_GUEST_DEBUG", use_set_guest_debug },
	{ KEEL_CAP_SET_GUEST_DEBUG2, "SET_GUEST_DEBUG2", use_set_guest_debug2 },
	{ KEEL_CAP_VCPU_EVENTS, "VCPU_EVENTS", use_vcpu_events },
	{ KEEL_CAP_INTR_SHADOW, "INTR_SHADOW", use_intr_shadow },
	{ KEEL_CAP_DEBUGREGS, "DEBUGREGS", use_debugregs },
	{ KEEL_CAP_ADJUST_CLOCK, "ADJUST_CLOCK", use_adjust_clock },
	{ KEEL_CAP_GET_TSC_KHZ, "GET_TSC_KHZ", use_get_tsc_khz },
	{ KEEL_CAP_EXCEPTION_PAYLOAD, "EXCEPTION_PAYLOAD",
	  use_exception_payload },
	{ KEEL_CAP_SPLIT_IRQCHIP, "SPLIT_IRQCHIP", use_split_irqchip },
	{ KEEL_CAP_TSC_DEADLINE_TIMER, "TSC_DEADLINE_TIMER", use_tsc_deadline },
	{ KEEL_CAP_IRQ_ROUTING, "IRQ_ROUTING", use_irq_routing },
	{ KEEL_CAP_SIGNAL_MSI, "SIGNAL_MSI", use_signal_msi },
	{ KEEL_CAP_IRQFD, "IRQFD", use_irqfd },
	{ KEEL_CAP_IRQCHIP, "IRQCHIP", use_irqchip },
	{ KEEL_CAP_IRQ_INJECT_STATUS, "IRQ_INJECT_STATUS", use_irq_inject_status },
	{ KEEL_CAP_HLT, "HLT", use_hlt },
	{ KEEL_CAP_IRQFD_RESAMPLE, "IRQFD_RESAMPLE", use_irqfd_resample },
	{ KEEL_CAP_PIT2, "PIT2", use_pit2 },
	{ KEEL_CAP_PIT_STATE2, "PIT_STATE2", use_pit_state2 },
	{ KEEL_CAP_REINJECT_CONTROL, "REINJECT_CONTROL", use_reinject_control },
	{ KEEL_CAP_VAPIC, "VAPIC", use_vapic },
	{ KEEL_CAP_EXIT_ON_EMULATION_FAILURE, "EXIT_ON_EMULATION_FAILURE",
	  use_exit_on_emulation_failure },
};

static int find_check(u32 nr)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(checks); i++)
		if (checks[i].nr == nr)
			return i;
	return -1;
}

/*
 * Scan the capability space on both fds. Every advertised capability must
 * have a usage check here and pass it; every other one must be refused by
 * ENABLE_CAP. Tells whether X86_DISABLE_EXITS was advertised.
 */
static void scan(const char *when, bool *seen_disable_exits)
{
	int sys = kl_open_dev(), vm = create_vm();
	int advertised = 0, unchecked = 0, unrefused = 0, differ = 0;
	u32 nr;
	int i;

	*seen_disable_exits = false;
	for (i = 0; i < SCAN_KVM + SCAN_PRIVATE; i++) {
		long sv, vv;
		int c, r;

		nr = i < SCAN_KVM ? i : KEEL_CAP_PRIVATE_BASE + i - SCAN_KVM;
		sv = kl_ioctl(sys, KEEL_CHECK_EXTENSION, nr);
		vv = kl_ioctl(vm, KEEL_CHECK_EXTENSION, nr);
		if (sv != vv) {
			kl_diag("capability %u: system fd %ld, VM fd %ld", nr, sv, vv);
			differ++;
		}
		if (!sv && !vv) {
			r = enable_cap(vm, nr, 0);
			if (r != -EINVAL) {
				kl_diag("unadvertised capability %u: ENABLE_CAP %s",
					nr, kl_errstr(r));
				unrefused++;
			}
			continue;
		}
		if (nr == KEEL_CAP_X86_DISABLE_EXITS)
			*seen_disable_exits = true;
		c = find_check(nr);
		if (c < 0) {
			if (!kl_is_kvm()) {
				kl_diag("advertised capability %u has no usage check", nr);
				unchecked++;
			}
			continue;
		}
		advertised++;
		kl_ok(checks[c].use(sv), "%s: %s (%ld) works", when,
		      checks[c].name, sv);
	}
	close(vm);
	close(sys);
	kl_ok(!unchecked, "%s: every advertised capability is exercised (%d are)",
	      when, advertised);
	if (kl_is_kvm() && unrefused)
		kl_skip("%s: KVM enables %d capabilities it does not advertise",
			when, unrefused);
	else
		kl_ok(!unrefused,
		      "%s: ENABLE_CAP refuses every unadvertised capability", when);
	if (kl_is_kvm())
		kl_skip("fd agreement: KVM answers some capabilities per fd");
	else
		kl_ok(!differ, "%s: the system and VM fds agree on a fresh VM", when);
}

static void enable_cap_bad_input(void)
{
	struct keel_enable_cap ec = { .cap = KEEL_CAP_MAX_VCPU_ID, .args = { 2 } };
	int vm = create_vm(), r, i, bad = 0, fd, sys = kl_open_dev();
	long max_id = kl_ioctl(sys, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPU_ID);

	close(sys);

	for (i = 0; i < 32; i++) {
		ec.flags = 1U << i;
		if (kl_ioctl(vm, KEEL_ENABLE_CAP, (unsigned long)&ec) != -EINVAL)
			bad++;
	}
	ec.flags = 0;
	kl_ok(!bad, "ENABLE_CAP: each flags bit set alone is refused");

	bad = 0;
	for (i = 0; i < (int)sizeof(ec.pad); i++) {
		ec.pad[i] = 0x80;
		if (kl_ioctl(vm, KEEL_ENABLE_CAP, (unsigned long)&ec) != -EINVAL)
			bad++;
		ec.pad[i] = 0;
	}
	kl_ok(!bad, "ENABLE_CAP: each padding byte set alone is refused");

	bad = 0;
	for (i = 1; i < 4; i++) {
		ec.args[i] = 1;
		if (kl_ioctl(vm, KEEL_ENABLE_CAP, (unsigned long)&ec) != -EINVAL)
			bad++;
		ec.args[i] = 0;
	}
	kl_ok(!bad, "ENABLE_CAP(MAX_VCPU_ID): args[1..3] must be 0");

	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 0);
	kl_ok(r == -EINVAL, "MAX_VCPU_ID 0: %s", kl_errstr(r));
	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, max_id + 1);
	kl_ok(r == -EINVAL, "MAX_VCPU_ID above the limit: %s", kl_errstr(r));
	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, (1ULL << 32) + 2);
	kl_ok(r == -EINVAL, "MAX_VCPU_ID 2^32 + 2 (no truncation): %s",
	      kl_errstr(r));
	r = kl_ioctl(vm, KEEL_ENABLE_CAP, 8);
	kl_ok(r == -EFAULT, "ENABLE_CAP with an unreadable argument: %s",
	      kl_errstr(r));
	kl_ok(kl_ioctl(vm, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPU_ID) ==
	      max_id, "failed requests left the limit alone");

	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 2);
	kl_ok(r == 0 && kl_ioctl(vm, KEEL_CHECK_EXTENSION,
				 KEEL_CAP_MAX_VCPU_ID) == 2,
	      "MAX_VCPU_ID lowered to 2; the VM fd reports it: %s", kl_errstr(r));
	kl_ok(enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 2) == 0,
	      "setting the same limit again succeeds");
	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 3);
	kl_ok(r == -EINVAL, "changing it is refused: %s", kl_errstr(r));
	fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 1);
	r = kl_ioctl(vm, KEEL_CREATE_VCPU, 2);
	kl_ok(fd >= 0 && r == -EINVAL, "vCPU id 1 exists, id 2 is refused: %s",
	      kl_errstr(r));
	if (fd >= 0)
		close(fd);
	close(vm);

	vm = create_vm();
	fd = kl_ioctl(vm, KEEL_CREATE_VCPU, 0);
	r = enable_cap(vm, KEEL_CAP_MAX_VCPU_ID, 8);
	kl_ok(r == -EBUSY, "MAX_VCPU_ID after the first vCPU: %s", kl_errstr(r));
	if (fd >= 0)
		close(fd);
	close(vm);
}

static bool reload(const char *params)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rmmod keel && modprobe keel %s", params);
	return system(cmd) == 0;
}

int main(void)
{
	bool seen;
	int sys = kl_open_dev();

	kl_ok(kl_ioctl(sys, KEEL_CHECK_EXTENSION, KEEL_CAP_KEEL_STABLE) == 0,
	      "the reserved KEEL_CAP_KEEL_STABLE is not advertised");
	close(sys);

	scan("default", &seen);
	if (kl_is_kvm()) {
		kl_skip("ENABLE_CAP strictness and experimental=: keel's own");
		return kl_finish();
	}
	kl_ok(!seen, "experimental X86_DISABLE_EXITS is hidden by default");
	enable_cap_bad_input();

	KL_REQUIRE(reload("experimental=1"), "reload keel with experimental=1");
	scan("experimental=1", &seen);
	kl_ok(seen, "experimental=1 exposes X86_DISABLE_EXITS");
	{
		int vm = create_vm(), r;

		r = enable_cap(vm, KEEL_CAP_X86_DISABLE_EXITS,
			       KEEL_X86_DISABLE_EXITS_MWAIT);
		kl_ok(r == -EINVAL, "DISABLE_EXITS with an unsupported bit: %s",
		      kl_errstr(r));
		close(kl_ioctl(vm, KEEL_CREATE_VCPU, 0));
		r = enable_cap(vm, KEEL_CAP_X86_DISABLE_EXITS,
			       KEEL_X86_DISABLE_EXITS_HLT);
		kl_ok(r == -EBUSY, "DISABLE_EXITS after the first vCPU: %s",
		      kl_errstr(r));
		close(vm);
	}
	KL_REQUIRE(reload(""), "reload keel with default parameters");
	return kl_finish();
}
