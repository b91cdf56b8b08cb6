// SPDX-License-Identifier: GPL-2.0
/*
 * A real-mode guest does OUT and IN of 1, 2 and 4 bytes (DX and immediate
 * ports); data is checked in both directions, including which register
 * bits an IN leaves alone.
 */
#include "keel_util.h"

#define CODE_GPA 0x1000
#define PORT 0x10

extern const u8 rm_start[], rm_end[];
asm(".pushsection .rodata\n"
	".code16\n"
	"rm_start:\n"
	"  mov $0x10, %dx\n"
	"  mov $0x41, %al\n"
	"  out %al, %dx\n"
	"  mov $0x1234, %ax\n"
	"  out %ax, %dx\n"
	"  mov $0xdeadbeef, %eax\n"
	"  out %eax, %dx\n"
	"  mov $0x11111111, %eax\n"
	"  in %dx, %al\n"
	"  mov %eax, %ebx\n"
	"  mov $0x22222222, %eax\n"
	"  in %dx, %ax\n"
	"  mov %eax, %ecx\n"
	"  in %dx, %eax\n"
	"  mov %eax, %esi\n"
	"  in $0x71, %al\n"
	"  hlt\n"
	"rm_end:\n"
	".code64\n"
	".popsection\n");

struct step {
	u8 dir, size;
	u16 port;
	u32 data;
};

static const struct step steps[] = {
	{ KEEL_EXIT_IO_OUT, 1, PORT, 0x41 },
	{ KEEL_EXIT_IO_OUT, 2, PORT, 0x1234 },
	{ KEEL_EXIT_IO_OUT, 4, PORT, 0xdeadbeef },
	{ KEEL_EXIT_IO_IN, 1, PORT, 0x5a },
	{ KEEL_EXIT_IO_IN, 2, PORT, 0x6b7c },
	{ KEEL_EXIT_IO_IN, 4, PORT, 0x12345678 },
	{ KEEL_EXIT_IO_IN, 1, 0x71, 0x99 },
};

int main(void)
{
	struct kl_vm *vm = kl_vm_create(1 << 20);
	struct kl_vcpu *vcpu = kl_vcpu_add(vm, 0);
	struct keel_sregs sregs;
	struct keel_regs regs;
	unsigned int i;
	int r;

	memcpy(kl_gpa_to_hva(vm, CODE_GPA), rm_start, rm_end - rm_start);
	kl_get_sregs(vcpu, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	kl_set_sregs(vcpu, &sregs);
	kl_get_regs(vcpu, &regs);
	regs.rip = CODE_GPA;
	kl_set_regs(vcpu, &regs);

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		const struct step *s = &steps[i];
		struct keel_run *run = vcpu->run;
		u32 got = 0;

		r = kl_vcpu_run(vcpu);
		KL_REQUIRE(!r && run->exit_reason == KEEL_EXIT_IO,
			   "step %u: RUN %s exit %s", i, kl_errstr(r),
			   kl_exit_name(run->exit_reason));
		if (s->dir == KEEL_EXIT_IO_OUT)
			memcpy(&got, kl_pio_data(vcpu), s->size);
		kl_ok(run->io.direction == s->dir && run->io.size == s->size &&
		      run->io.port == s->port && run->io.count == 1 &&
		      (s->dir == KEEL_EXIT_IO_IN || got == s->data),
		      "%s %u byte(s) port 0x%x: dir %u size %u port 0x%x data 0x%x",
		      s->dir ? "out" : "in", s->size, s->port, run->io.direction,
		      run->io.size, run->io.port, got);
		if (s->dir == KEEL_EXIT_IO_IN)
			memcpy(kl_pio_data(vcpu), &s->data, s->size);
	}

	r = kl_vcpu_run(vcpu);
	kl_ok(!r && vcpu->run->exit_reason == KEEL_EXIT_HLT, "guest halts: %s",
	      kl_exit_name(vcpu->run->exit_reason));
	kl_get_regs(vcpu, &regs);
	kl_ok((u32)regs.rbx == 0x1111115a, "IN AL kept EAX[31:8] (0x%x)",
	      (u32)regs.rbx);
	kl_ok((u32)regs.rcx == 0x22226b7c, "IN AX kept EAX[31:16] (0x%x)",
	      (u32)regs.rcx);
	kl_ok((u32)regs.rsi == 0x12345678, "IN EAX (0x%x)", (u32)regs.rsi);
	kl_ok((regs.rax & 0xff) == 0x99, "IN AL from an immediate port (0x%llx)",
	      (unsigned long long)regs.rax);
	kl_ok(regs.rip == (u64)(CODE_GPA + (rm_end - rm_start)),
	      "RIP is past the HLT (0x%llx)", (unsigned long long)regs.rip);
	kl_vm_free(vm);
	return kl_finish();
}
