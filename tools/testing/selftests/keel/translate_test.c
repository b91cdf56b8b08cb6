// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_TRANSLATE walks the guest's page tables as the guest set them up:
 * mapped addresses translate, unmapped and non-canonical ones are not
 * valid, and (keel only; KVM reports constants) the writeable and
 * usermode bits follow the page-table entries.
 */
#include <errno.h>

#include "keel_util.h"
#include "ucall.h"

static void guest_done(void)
{
	GUEST_DONE();
}

static int translate(struct kl_vcpu *vcpu, u64 la, struct keel_translation *t)
{
	memset(t, 0, sizeof(*t));
	t->linear_address = la;
	return kl_ioctlp(vcpu->fd, KEEL_TRANSLATE, t);
}

int main(void)
{
	struct kl_vcpu *vcpu;
	struct kl_vm *vm = kl_vm_create_long(KL_MEM_DEFAULT, guest_done, 1,
					     &vcpu);
	u64 *pd = kl_gpa_to_hva(vm, KL_GPA_PD);
	struct keel_translation t;
	int r;

	r = translate(vcpu, 0x200123, &t);
	kl_ok(!r && t.valid && t.physical_address == 0x200123,
	      "a mapped address translates: %#llx -> %#llx, valid %u",
	      0x200123ULL, (unsigned long long)t.physical_address, t.valid);
	r = translate(vcpu, 1ULL << 40, &t);
	kl_ok(!r && !t.valid, "an unmapped address is not valid (%u)", t.valid);
	r = translate(vcpu, 0x0000800000000000ULL, &t);
	kl_ok(!r && !t.valid, "a non-canonical address is not valid (%u)",
	      t.valid);

	if (kl_is_kvm()) {
		kl_skip("writeable/usermode: KVM reports 1 and 0 always");
	} else {
		r = translate(vcpu, 0x200123, &t);
		kl_ok(!r && t.writeable && !t.usermode,
		      "a supervisor read-write page: writeable %u, usermode %u",
		      t.writeable, t.usermode);
		pd[1] &= ~2ULL;			/* the 2 MiB page at 2 MiB: RO */
		pd[2] |= 4ULL;			/* the one at 4 MiB: user */
		r = translate(vcpu, 0x200123, &t);
		kl_ok(!r && t.valid && !t.writeable,
		      "a read-only entry: writeable %u", t.writeable);
		r = translate(vcpu, 0x400000, &t);
		kl_ok(!r && t.valid && !t.usermode,
		      "user bit only in the last level: usermode %u", t.usermode);
		((u64 *)kl_gpa_to_hva(vm, KL_GPA_PML4))[0] |= 4ULL;
		((u64 *)kl_gpa_to_hva(vm, KL_GPA_PDPT))[0] |= 4ULL;
		r = translate(vcpu, 0x400000, &t);
		kl_ok(!r && t.valid && t.usermode,
		      "user bit at every level: usermode %u", t.usermode);
		pd[1] |= 2ULL;
		pd[2] &= ~4ULL;
		memset(&t, 0, sizeof(t));
		t.linear_address = 0x200123;
		t.pad[4] = 1;
		r = kl_ioctlp(vcpu->fd, KEEL_TRANSLATE, &t);
		kl_ok(r == -EINVAL, "a non-zero pad byte: %s", kl_errstr(r));
	}
	r = kl_ioctl(vcpu->fd, KEEL_TRANSLATE, 8);
	kl_ok(r == -EFAULT, "a bad pointer: %s", kl_errstr(r));
	kl_vcpu_free(vcpu);
	kl_vm_free(vm);
	return kl_finish();
}
