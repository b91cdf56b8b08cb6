// SPDX-License-Identifier: GPL-2.0
/*
 * SET_USER_MEMORY_REGION: every validation error, create, delete, move,
 * overlap, two slots on one host range, and guest-visible effects of
 * moves and deletions.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

#define P 4096ULL
#define SLOT_GPA 0x4000000ULL	/* 64 MiB, above slot 0 */

static struct kl_vm *vm;
static u8 *host;

static void expect(int want, u32 slot, u32 flags, u64 gpa, u64 size, void *hva,
		   const char *what)
{
	int r = kl_set_region(vm, slot, flags, gpa, size, hva);

	kl_ok(r == want, "%s: %s (want %s)", what, kl_errstr(r),
	      want ? kl_errstr(want) : "0");
}

static void guest_read(u64 gpa)
{
	GUEST_SYNC(*(volatile u64 *)gpa);
	GUEST_DONE();
}

static void guest_write(u64 gpa, u64 val)
{
	*(volatile u64 *)gpa = val;
	GUEST_DONE();
}

/* Run guest_read on a fresh vCPU; returns the exit it produced. */
static struct kl_vcpu *vcpu;
static u32 read_gpa(u64 gpa, u64 *val)
{
	struct kl_ucall uc;
	int r;

	kl_vcpu_setup_long_mode(vcpu, guest_read, gpa, 0);
	r = kl_vcpu_run(vcpu);
	KL_REQUIRE(!r, "RUN: %s", kl_errstr(r));
	if (kl_get_ucall(vcpu, &uc) == KL_UCALL_SYNC)
		*val = uc.args[0];
	return vcpu->run->exit_reason;
}

int main(void)
{
	int max_slots, r;
	struct keel_userspace_memory_region *bad;
	struct kl_ucall uc;
	u64 val = 0;
	u8 *other;

	vm = kl_vm_create(KL_MEM_DEFAULT);
	kl_vm_setup_long_mode(vm);
	vcpu = kl_vcpu_add(vm, 0);
	host = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	other = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KL_REQUIRE(host != MAP_FAILED && other != MAP_FAILED, "mmap");
	max_slots = kl_ioctl(vm->fd, KEEL_CHECK_EXTENSION, KEEL_CAP_NR_MEMSLOTS);

	/* Bad input, each alone. */
	expect(-EINVAL, 1, 1u << 2, SLOT_GPA, 4 * P, host, "unknown flag bit 2");
	expect(-EINVAL, 1, 1u << 31, SLOT_GPA, 4 * P, host, "unknown flag bit 31");
	expect(-EINVAL, max_slots, 0, SLOT_GPA, 4 * P, host, "slot id == NR_MEMSLOTS");
	expect(-EINVAL, 0xffff, 0, SLOT_GPA, 4 * P, host, "slot id 0xffff");
	expect(-EINVAL, 1 | (2u << 16), 0, SLOT_GPA, 4 * P, host, "address space 2");
	expect(-EINVAL, 1, 0, SLOT_GPA, 4 * P + 1, host, "size not page aligned");
	expect(-EINVAL, 1, 0, SLOT_GPA + 8, 4 * P, host, "gpa not page aligned");
	expect(-EINVAL, 1, 0, SLOT_GPA, 4 * P, host + 8, "hva not page aligned");
	expect(-EINVAL, 1, 0, SLOT_GPA, 4 * P, (void *)0xffff800000000000ULL,
	       "hva in kernel space");
	expect(-EINVAL, 1, 0, SLOT_GPA, (u64)-P, host, "hva range wraps");
	expect(-EINVAL, 1, 0, -4 * P, 8 * P, host, "gpa range wraps");
	expect(-EINVAL, 1, 0, 1ULL << 52, 4 * P, host, "gpa beyond MAXPHYADDR");
	expect(-EINVAL, 1, 0, 0, 1ULL << 44, (void *)0x10000000ULL,
	       "more pages than a slot can hold");
	expect(-EINVAL, 1, 0, SLOT_GPA, 0, host, "delete a slot that does not exist");

	bad = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = kl_ioctlp(vm->fd, KEEL_SET_USER_MEMORY_REGION, bad);
	kl_ok(r == -EFAULT, "unreadable argument: %s", kl_errstr(r));

	if (kl_is_kvm()) {
		kl_skip("LOG_DIRTY_PAGES: keel rejects it until dirty logging exists");
		kl_skip("address space 1: keel has no SMM address space");
	} else {
		expect(-EINVAL, 1, KEEL_MEM_LOG_DIRTY_PAGES, SLOT_GPA, 4 * P, host,
		       "LOG_DIRTY_PAGES (no dirty logging yet)");
		expect(-EINVAL, 1 | (1u << 16), 0, SLOT_GPA, 4 * P, host,
		       "address space 1");
	}

	/* Create, overlap, same host memory twice. */
	expect(0, 1, 0, SLOT_GPA, 4 * P, host, "create slot 1");
	expect(-EEXIST, 2, 0, SLOT_GPA, 4 * P, other, "slot 2 on the same range");
	expect(-EEXIST, 2, 0, SLOT_GPA - P, 2 * P, other, "slot 2 overlapping the start");
	expect(-EEXIST, 2, 0, SLOT_GPA + 3 * P, 2 * P, other, "slot 2 overlapping the end");
	expect(-EEXIST, 2, 0, SLOT_GPA + P, P, other, "slot 2 inside slot 1");
	expect(-EEXIST, 2, 0, SLOT_GPA - P, 6 * P, other, "slot 2 around slot 1");
	expect(-EEXIST, 2, 0, 0, P, other, "slot 2 inside slot 0");
	expect(0, 2, 0, SLOT_GPA + 4 * P, 4 * P, host, "slot 2 adjacent, same host memory");
	expect(0, max_slots - 1, 0, SLOT_GPA + 8 * P, P, other, "the highest slot id");

	/* Changing an existing slot: only its address may move. */
	expect(-EINVAL, 1, 0, SLOT_GPA, 8 * P, host, "resize slot 1");
	expect(-EINVAL, 1, 0, SLOT_GPA, 4 * P, other, "new host address for slot 1");
	expect(-EINVAL, 1, KEEL_MEM_READONLY, SLOT_GPA, 4 * P, host, "make slot 1 read-only");
	expect(0, 1, 0, SLOT_GPA, 4 * P, host, "set slot 1 unchanged");
	expect(-EEXIST, 1, 0, SLOT_GPA + 2 * P, 4 * P, host, "move slot 1 onto slot 2");

	/* What the guest sees. */
	host[0] = 0x11;
	host[4 * P] = 0x22;
	r = read_gpa(SLOT_GPA, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x11,
	      "guest reads slot 1 (0x%llx)", (unsigned long long)val);
	r = read_gpa(SLOT_GPA + 4 * P, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x11,
	      "slot 2 shows the same host memory (0x%llx)", (unsigned long long)val);

	expect(0, 1, 0, SLOT_GPA + 32 * P, 4 * P, host, "move slot 1");
	r = read_gpa(SLOT_GPA + 32 * P, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x11,
	      "guest reads slot 1 at its new address");
	r = read_gpa(SLOT_GPA, &val);
	kl_ok(r == KEEL_EXIT_MMIO, "the old address is unbacked after the move (%s)",
	      kl_exit_name(r));

	expect(0, 2, 0, 0, 0, NULL, "delete slot 2");
	r = read_gpa(SLOT_GPA + 4 * P, &val);
	kl_ok(r == KEEL_EXIT_MMIO, "a deleted slot's address is unbacked (%s)",
	      kl_exit_name(r));
	expect(-EINVAL, 2, 0, 0, 0, NULL, "delete slot 2 again");
	expect(0, 2, 0, SLOT_GPA, 4 * P, other, "reuse slot 2's id elsewhere");
	other[0] = 0x33;
	r = read_gpa(SLOT_GPA, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x33,
	      "guest reads the new slot 2");

	/* A failed update left everything in place. */
	expect(-EEXIST, 2, 0, SLOT_GPA + 32 * P, 4 * P, other, "move slot 2 onto slot 1");
	r = read_gpa(SLOT_GPA, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x33,
	      "slot 2 still maps after the failed move");

	/* A read-only slot: reads come from memory, writes exit as MMIO. */
	host[12 * P] = 0x44;
	expect(0, 3, KEEL_MEM_READONLY, SLOT_GPA + 64 * P, P, host + 12 * P,
	       "create a read-only slot");
	r = read_gpa(SLOT_GPA + 64 * P, &val);
	kl_ok(r == KEEL_EXIT_IO && val == 0x44,
	      "guest reads the read-only slot (0x%llx)", (unsigned long long)val);
	kl_vcpu_setup_long_mode(vcpu, guest_write, SLOT_GPA + 64 * P + 8, 0x55);
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_MMIO &&
	      vcpu->run->mmio.is_write &&
	      vcpu->run->mmio.phys_addr == SLOT_GPA + 64 * P + 8 &&
	      vcpu->run->mmio.len == 8 && *(u64 *)vcpu->run->mmio.data == 0x55,
	      "a guest write to it exits as an MMIO write: %s",
	      kl_describe_exit(vcpu));
	r = kl_vcpu_run(vcpu);
	kl_ok(!r && kl_get_ucall(vcpu, &uc) == KL_UCALL_DONE &&
	      host[12 * P + 8] == 0, "the guest goes on and memory is unchanged");

	kl_vm_free(vm);
	return kl_finish();
}
