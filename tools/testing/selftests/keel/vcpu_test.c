// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE_VCPU limits and errors, the vCPU mmap, RUN's argument, two
 * threads calling RUN on one vCPU, a vCPU outliving its VM fd, and a
 * process killed in the middle of RUN.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_util.h"
#include "ucall.h"

static void guest_spin(void)
{
	for (;;)
		asm volatile("" ::: "memory");
}

static void guest_done(void)
{
	GUEST_DONE();
}

int main(void)
{
	struct kl_vm *vm = kl_vm_create(KL_MEM_DEFAULT);
	int max_id = kl_ioctl(vm->fd, KEEL_CHECK_EXTENSION, KEEL_CAP_MAX_VCPU_ID);
	struct kl_vcpu *v0, *v1;
	struct kl_runner a, b;
	struct kl_ucall uc;
	int r, status;
	bool stopped;
	pid_t child;
	void *p;

	r = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, max_id);
	kl_ok(r == -EINVAL, "vCPU id MAX_VCPU_ID (%d): %s", max_id, kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("vCPU id 2^32: KVM truncates it to 0");
	} else {
		r = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, 1UL << 32);
		kl_ok(r == -EINVAL, "vCPU id 2^32 (no truncation): %s", kl_errstr(r));
	}
	r = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, max_id - 1);
	kl_ok(r >= 0, "vCPU id MAX_VCPU_ID - 1: %s", kl_errstr(r));
	if (r >= 0)
		close(r);
	v0 = kl_vcpu_add(vm, 0);
	r = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, 0);
	kl_ok(r == -EEXIST, "vCPU id 0 twice: %s", kl_errstr(r));
	r = kl_ioctl(vm->fd, KEEL_CREATE_VCPU, max_id - 1);
	kl_ok(r == -EEXIST, "an id whose fd was closed is still taken: %s", kl_errstr(r));

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, v0->fd, 4096);
	kl_ok(p != MAP_FAILED, "the PIO data page maps at page offset 1");
	if (p != MAP_FAILED)
		munmap(p, 4096);

	r = kl_ioctl(v0->fd, KEEL_RUN, 1);
	kl_ok(r == -EINVAL, "RUN with a non-zero argument: %s", kl_errstr(r));
	if (kl_is_kvm()) {
		kl_skip("unknown vCPU ioctl: keel answers -ENOTTY, KVM -EINVAL");
	} else {
		r = kl_ioctl(v0->fd, _IO(KEELIO, 0xff), 0);
		kl_ok(r == -ENOTTY, "unknown vCPU ioctl: %s", kl_errstr(r));
	}
	r = kl_ioctl(vm->fd, _IO(KEELIO, 0xfe), 0);
	kl_ok(r == -ENOTTY, "unknown VM ioctl: %s", kl_errstr(r));

	/* Two threads call RUN on one vCPU: they take turns, nothing breaks. */
	kl_vm_setup_long_mode(vm);
	kl_vcpu_setup_long_mode(v0, guest_spin, 0, 0);
	kl_runner_start(&a, v0);
	kl_runner_start(&b, v0);
	usleep(100000);
	stopped = kl_runner_stop(&a);
	stopped &= kl_runner_stop(&b);
	kl_ok(stopped && a.r == -EINTR && b.r == -EINTR,
	      "two threads in RUN on one vCPU both return -EINTR (%s, %s)",
	      kl_errstr(a.r), kl_errstr(b.r));

	/* A vCPU fd keeps its VM alive after the VM fd is closed. */
	v1 = kl_vcpu_add(vm, 1);
	kl_vcpu_setup_long_mode(v1, guest_done, 0, 0);
	kl_vcpu_setup_long_mode(v0, guest_spin, 0, 0);
	kl_runner_start(&a, v0);
	close(vm->fd);		/* while v0 runs */
	usleep(100000);
	kl_ok(kl_runner_stop(&a) && a.r == -EINTR,
	      "closing the VM fd under a running vCPU: %s", kl_errstr(a.r));
	r = kl_vcpu_run(v1);
	kl_ok(!r && kl_get_ucall(v1, &uc) == KL_UCALL_DONE,
	      "a vCPU runs after its VM fd was closed: %s", kl_describe_exit(v1));

	/* A process killed while its vCPU runs. */
	child = fork();
	if (!child) {
		struct kl_vcpu *c;
		struct kl_vm *cvm = kl_vm_create_long(KL_MEM_DEFAULT, guest_spin, 1, &c);

		(void)cvm;
		kl_vcpu_run(c);
		_exit(0);
	}
	sleep(1);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	kl_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "a process killed in RUN goes away");
	return kl_finish();
}
