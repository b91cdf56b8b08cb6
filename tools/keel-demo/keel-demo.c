// SPDX-License-Identifier: GPL-2.0
/*
 * keel-demo: the smallest useful VMM. It creates a VM on /dev/keel (or the
 * device named on the command line), gives it 2 MiB of memory, puts a
 * 64-bit guest in it and emulates just enough of a 16550 UART at COM1 for
 * the guest to print a line. The guest ends with HLT.
 *
 *   keel-demo [/dev/keel]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/keel.h>

#define MEM_SIZE	(2u << 20)
#define GUEST_CODE	0x10000
#define GUEST_STACK	0x80000
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000
#define GDT		0x4000
#define COM1		0x3f8
#define UART_LSR	5
#define LSR_THRE_TEMT	0x60

/* The guest: print the message through COM1, polling LSR, then HLT. */
extern const char guest_start[], guest_end[];
asm(".pushsection .rodata\n"
	".code64\n"
	"guest_start:\n"
	"  lea msg(%rip), %rsi\n"
	"1: movb (%rsi), %al\n"
	"  testb %al, %al\n"
	"  jz 3f\n"
	"  movw $0x3fd, %dx\n"
	"2: inb %dx, %al\n"
	"  testb $0x20, %al\n"
	"  jz 2b\n"
	"  movb (%rsi), %al\n"
	"  movw $0x3f8, %dx\n"
	"  outb %al, %dx\n"
	"  inc %rsi\n"
	"  jmp 1b\n"
	"3: hlt\n"
	"  jmp 3b\n"
	"msg: .asciz \"Hello from a keel guest\\n\"\n"
	"guest_end:\n"
	".popsection\n");

static void die(const char *what)
{
	fprintf(stderr, "keel-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void setup_long_mode(int vcpu, uint8_t *mem)
{
	uint64_t *pml4 = (void *)(mem + PML4), *pdpt = (void *)(mem + PDPT);
	uint64_t *pd = (void *)(mem + PD), *gdt = (void *)(mem + GDT);
	struct keel_sregs s;
	struct keel_regs r;

	pml4[0] = PDPT | 3;
	pdpt[0] = PD | 3;
	pd[0] = 0x83;			/* 2 MiB identity page */
	gdt[1] = 0x00af9b000000ffffULL;	/* 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;	/* data */

	if (ioctl(vcpu, KEEL_GET_SREGS, &s) < 0)
		die("GET_SREGS");
	memset(&s.cs, 0, sizeof(s.cs));
	s.cs.selector = 8;
	s.cs.limit = 0xffffffff;
	s.cs.type = 11;
	s.cs.present = 1;
	s.cs.s = 1;
	s.cs.l = 1;
	s.cs.g = 1;
	memset(&s.ds, 0, sizeof(s.ds));
	s.ds.selector = 16;
	s.ds.limit = 0xffffffff;
	s.ds.type = 3;
	s.ds.present = 1;
	s.ds.s = 1;
	s.ds.db = 1;
	s.ds.g = 1;
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.ss = s.ds;
	s.gdt.base = GDT;
	s.gdt.limit = 23;
	s.cr0 = 0x80050033;
	s.cr3 = PML4;
	s.cr4 = 0x620;
	s.efer = 0x500;
	if (ioctl(vcpu, KEEL_SET_SREGS, &s) < 0)
		die("SET_SREGS");

	memset(&r, 0, sizeof(r));
	r.rip = GUEST_CODE;
	r.rsp = GUEST_STACK;
	r.rflags = 2;
	if (ioctl(vcpu, KEEL_SET_REGS, &r) < 0)
		die("SET_REGS");
}

/* COM1: THR takes characters, LSR says the transmitter is always empty. */
static int uart_io(struct keel_run *run, char *line, size_t *len)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	if (run->io.port < COM1 || run->io.port > COM1 + 7)
		return -1;
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KEEL_EXIT_IO_IN) {
			*data = run->io.port == COM1 + UART_LSR ? LSR_THRE_TEMT : 0;
		} else if (run->io.port == COM1) {
			if (*data == '\n' || *len == 255) {
				line[*len] = 0;
				printf("keel-demo: guest says: %s\n", line);
				*len = 0;
			} else {
				line[(*len)++] = *data;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/keel";
	int sys, vm, vcpu, mmap_size;
	struct keel_userspace_memory_region region;
	struct keel_run *run;
	char line[256];
	size_t len = 0;
	uint8_t *mem;

	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die(dev);
	if (ioctl(sys, KEEL_GET_API_VERSION, 0) != KEEL_API_VERSION) {
		fprintf(stderr, "keel-demo: unexpected API version\n");
		return 1;
	}
	vm = ioctl(sys, KEEL_CREATE_VM, 0);
	if (vm < 0)
		die("CREATE_VM");

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem + GUEST_CODE, guest_start, guest_end - guest_start);
	region = (struct keel_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KEEL_SET_USER_MEMORY_REGION, &region) < 0)
		die("SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KEEL_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("CREATE_VCPU");
	mmap_size = ioctl(sys, KEEL_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0)
		die("GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap run");
	setup_long_mode(vcpu, mem);

	for (;;) {
		if (ioctl(vcpu, KEEL_RUN, 0) < 0)
			die("RUN");
		switch (run->exit_reason) {
		case KEEL_EXIT_IO:
			if (uart_io(run, line, &len) == 0)
				continue;
			fprintf(stderr, "keel-demo: unexpected I/O port 0x%x\n",
				run->io.port);
			return 1;
		case KEEL_EXIT_HLT:
			printf("keel-demo: guest exited cleanly\n");
			return 0;
		default:
			fprintf(stderr, "keel-demo: unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
	}
}
