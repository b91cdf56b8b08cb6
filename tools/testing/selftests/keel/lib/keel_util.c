// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_util.h"

const char *kl_dev_path(void)
{
	const char *p = getenv("KEEL_DEV");

	return p && *p ? p : "/dev/keel";
}

bool kl_is_kvm(void)
{
	const char *p = getenv("KEEL_IMPL");

	return p && !strcmp(p, "kvm");
}

/*
 * The host is QEMU's emulated x86 CPU (TCG), whose SVM lacks a few
 * intercepts real CPUs have: tests of those report a skip there.
 */
bool kl_host_is_qemu_tcg(void)
{
	static int known = -1;
	char line[256];
	FILE *f;

	if (known >= 0)
		return known;
	known = 0;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			known = !!strstr(line, "QEMU TCG CPU");
			break;
		}
	fclose(f);
	return known;
}

int kl_open_dev(void)
{
	int fd = open(kl_dev_path(), O_RDWR | O_CLOEXEC);

	KL_REQUIRE(fd >= 0, "open %s: %s", kl_dev_path(), strerror(errno));
	return fd;
}

int kl_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

int kl_set_region(struct kl_vm *vm, u32 slot, u32 flags, u64 gpa, u64 size,
		  void *hva)
{
	struct keel_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)(unsigned long)hva,
	};

	return kl_ioctlp(vm->fd, KEEL_SET_USER_MEMORY_REGION, &r);
}

struct kl_vm *kl_vm_create(u64 mem_size)
{
	struct kl_vm *vm = calloc(1, sizeof(*vm));
	int r;

	KL_REQUIRE(vm, "calloc");
	vm->pit_flags = -1;
	vm->sys_fd = kl_open_dev();
	vm->fd = kl_ioctl(vm->sys_fd, KEEL_CREATE_VM, 0);
	KL_REQUIRE(vm->fd >= 0, "CREATE_VM: %s", kl_errstr(vm->fd));
	vm->run_size = kl_ioctl(vm->sys_fd, KEEL_GET_VCPU_MMAP_SIZE, 0);
	KL_REQUIRE(vm->run_size > 0, "GET_VCPU_MMAP_SIZE: %s",
		   kl_errstr(vm->run_size));
	if (mem_size) {
		vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		KL_REQUIRE(vm->mem != MAP_FAILED, "mmap guest memory");
		vm->mem_size = mem_size;
		r = kl_set_region(vm, 0, 0, 0, mem_size, vm->mem);
		KL_REQUIRE(!r, "SET_USER_MEMORY_REGION slot 0: %s",
			   kl_errstr(r));
	}
	return vm;
}

void kl_vm_free(struct kl_vm *vm)
{
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	close(vm->fd);
	close(vm->sys_fd);
	free(vm);
}

void kl_vm_enable_split_irqchip(struct kl_vm *vm)
{
	struct keel_enable_cap cap = { .cap = KEEL_CAP_SPLIT_IRQCHIP,
				       .args = { 24 } };
	int r = kl_ioctlp(vm->fd, KEEL_ENABLE_CAP, &cap);

	KL_REQUIRE(!r, "ENABLE_CAP(SPLIT_IRQCHIP): %s", kl_errstr(r));
	vm->split_irqchip = true;
}

void kl_vm_create_irqchip(struct kl_vm *vm)
{
	int r = kl_ioctl(vm->fd, KEEL_CREATE_IRQCHIP, 0);

	KL_REQUIRE(!r, "CREATE_IRQCHIP: %s", kl_errstr(r));
	vm->split_irqchip = true;
	vm->full_irqchip = true;
}

void kl_vm_create_pit(struct kl_vm *vm, u32 flags)
{
	struct keel_pit_config cfg = { .flags = flags };
	int r = kl_ioctlp(vm->fd, KEEL_CREATE_PIT2, &cfg);

	KL_REQUIRE(!r, "CREATE_PIT2: %s", kl_errstr(r));
	vm->pit_flags = flags;
}

struct kl_vcpu *kl_vcpu_add(struct kl_vm *vm, u32 id)
{
	struct kl_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	KL_REQUIRE(vcpu, "calloc");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, id);
	KL_REQUIRE(vcpu->fd >= 0, "CREATE_VCPU %u: %s", id,
		   kl_errstr(vcpu->fd));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	KL_REQUIRE(vcpu->run != MAP_FAILED, "mmap vcpu: %s", strerror(errno));
	if (kl_is_kvm())
		kl_vcpu_kvm_cpuid(vcpu);
	return vcpu;
}

void kl_vcpu_free(struct kl_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

void *kl_gpa_to_hva(struct kl_vm *vm, u64 gpa)
{
	KL_REQUIRE(gpa < vm->mem_size, "gpa 0x%llx outside slot 0",
		   (unsigned long long)gpa);
	return vm->mem + gpa;
}

int kl_vcpu_run(struct kl_vcpu *vcpu)
{
	return kl_ioctl(vcpu->fd, KEEL_RUN, 0);
}

/*
 * Finish an exit userspace was handed (an IN's data, an MMIO read) without
 * running guest code, as the API asks before state is changed or saved.
 */
void kl_vcpu_complete(struct kl_vcpu *vcpu)
{
	int r;

	vcpu->run->immediate_exit = 1;
	r = kl_vcpu_run(vcpu);
	vcpu->run->immediate_exit = 0;
	KL_REQUIRE(r == -EINTR, "RUN with immediate_exit: %s", kl_errstr(r));
}

void kl_get_regs(struct kl_vcpu *vcpu, struct keel_regs *regs)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_GET_REGS, regs);

	KL_REQUIRE(!r, "GET_REGS: %s", kl_errstr(r));
}

void kl_set_regs(struct kl_vcpu *vcpu, const struct keel_regs *regs)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_SET_REGS, regs);

	KL_REQUIRE(!r, "SET_REGS: %s", kl_errstr(r));
}

void kl_get_sregs(struct kl_vcpu *vcpu, struct keel_sregs *sregs)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_GET_SREGS, sregs);

	KL_REQUIRE(!r, "GET_SREGS: %s", kl_errstr(r));
}

void kl_set_sregs(struct kl_vcpu *vcpu, const struct keel_sregs *sregs)
{
	int r = kl_ioctlp(vcpu->fd, KEEL_SET_SREGS, sregs);

	KL_REQUIRE(!r, "SET_SREGS: %s", kl_errstr(r));
}

const char *kl_exit_name(u32 reason)
{
	static const char * const names[] = {
		[KEEL_EXIT_UNKNOWN] = "UNKNOWN", [KEEL_EXIT_EXCEPTION] = "EXCEPTION",
		[KEEL_EXIT_IO] = "IO", [KEEL_EXIT_HYPERCALL] = "HYPERCALL",
		[KEEL_EXIT_DEBUG] = "DEBUG", [KEEL_EXIT_HLT] = "HLT",
		[KEEL_EXIT_MMIO] = "MMIO", [KEEL_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW",
		[KEEL_EXIT_SHUTDOWN] = "SHUTDOWN", [KEEL_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KEEL_EXIT_INTR] = "INTR", [KEEL_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

bool kl_state_roundtrip(struct kl_vcpu *vcpu, unsigned long get,
			unsigned long set, size_t len, int *set_r)
{
	void *a = calloc(2, len), *b = (char *)a + len;
	bool same;
	int r;

	KL_REQUIRE(a, "out of memory");
	r = kl_ioctlp(vcpu->fd, get, a);
	KL_REQUIRE(!r, "GET: %s", kl_errstr(r));
	*set_r = kl_ioctlp(vcpu->fd, set, a);
	r = kl_ioctlp(vcpu->fd, get, b);
	KL_REQUIRE(!r, "GET: %s", kl_errstr(r));
	same = !*set_r && !memcmp(a, b, len);
	free(a);
	return same;
}

void kl_get_supported_cpuid(struct kl_vm *vm, struct kl_cpuid *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->h.nent = ARRAY_SIZE(c->e);
	r = kl_ioctlp(vm->sys_fd, KEEL_GET_SUPPORTED_CPUID, c);
	KL_REQUIRE(!r, "GET_SUPPORTED_CPUID: %s", kl_errstr(r));
}
