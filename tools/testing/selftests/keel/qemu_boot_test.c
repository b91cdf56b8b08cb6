// SPDX-License-Identifier: GPL-2.0
/*
 * An unmodified QEMU boots Linux on keel: pc, q35 (full in-kernel irqchip
 * and PIT) and microvm (split irqchip). The guest (qemu/guest_init.sh)
 * reports its CPUs, clocksource and timer interrupts, runs a busy loop
 * on each vCPU, sleeps, and powers off. Its "KEEL-GUEST:" lines are
 * timestamped here as they arrive, so the guest's clock is checked
 * against the host's.
 *
 * Needs QEMU staged in the emulated host by vmtest.sh (/usr/bin,
 * /qemu/vmlinuz, /qemu/guest.gz); QEMU opens /dev/kvm, which is made for
 * keel's device number if keel was not loaded with devname=kvm.
 * KEEL_QEMU_MACHINES lists the runs ("pc:2,q35:2,microvm:1" by default).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keel_util.h"

#define QEMU		"/usr/bin/qemu-system-x86_64"
#define STRACE		"/usr/bin/strace"
#define MONITOR		"/tmp/qemu-monitor"
#define BOOT_LIMIT_S	150
/* Guest and host clocks over the sleep: at most 2% + 100 ms apart. */
#define CLOCK_PCT	2
#define CLOCK_SLACK_S	0.1

struct boot {
	const char *machine;
	int cpus;
	char *console;		/* everything QEMU printed */
	size_t len;
	double start, up, t0_host, t1_host, t0, t1;
	long loc0[2], loc1[2];
	int nloc0, nloc1, guest_cpus, ran_on_mask;
	char clocksource[32];
	bool bye, powered_off;
	int status;		/* QEMU's wait status, -1 if killed */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_loc(const char *s, long *v)
{
	int n = 0, used;

	while (n < 2 && sscanf(s, " %ld%n", &v[n], &used) == 1) {
		s += used;
		n++;
	}
	return n;
}

/* One "KEEL-GUEST: ..." line, seen at host time @t. */
static void guest_line(struct boot *b, const char *l, double t)
{
	int cpu;

	if (!strcmp(l, "up"))
		b->up = t;
	else if (sscanf(l, "cpus %d", &b->guest_cpus) == 1)
		;
	else if (sscanf(l, "clocksource %31s", b->clocksource) == 1)
		;
	else if (!strncmp(l, "loc0", 4))
		b->nloc0 = parse_loc(l + 4, b->loc0);
	else if (!strncmp(l, "loc1", 4))
		b->nloc1 = parse_loc(l + 4, b->loc1);
	else if (sscanf(l, "t0 %lf", &b->t0) == 1)
		b->t0_host = t;
	else if (sscanf(l, "t1 %lf", &b->t1) == 1)
		b->t1_host = t;
	else if (sscanf(l, "ran on cpu %d", &cpu) == 1 && cpu >= 0 && cpu < 2)
		b->ran_on_mask |= 1 << cpu;
	else if (!strcmp(l, "bye"))
		b->bye = true;
}

static void scan_lines(struct boot *b, size_t from, double t)
{
	char *p = b->console + from, *nl, *m;
	bool cr;

	/* Restart from the beginning of the first incomplete line. */
	while (p > b->console && p[-1] != '\n')
		p--;
	while ((nl = strchr(p, '\n'))) {
		*nl = 0;
		/* The serial console ends lines with CR LF. */
		cr = nl > p && nl[-1] == '\r';
		if (cr)
			nl[-1] = 0;
		m = strstr(p, "KEEL-GUEST: ");
		if (m)
			guest_line(b, m + 12, t);
		if (strstr(p, "reboot: Power down"))
			b->powered_off = true;
		if (cr)
			nl[-1] = '\r';
		*nl = '\n';
		p = nl + 1;
	}
}

/*
 * Debug aids: KEEL_QEMU_STRACE=1 runs QEMU under strace (failed calls
 * only), KEEL_QEMU_DEBUGCON=1 adds SeaBIOS's debug port to the console.
 */
static pid_t spawn_qemu(struct boot *b, int *out)
{
	char smp[16];
	const char *argv[40];
	int pipefd[2], n = 0;
	pid_t pid;

	snprintf(smp, sizeof(smp), "%d", b->cpus);
	if (getenv("KEEL_QEMU_STRACE")) {
		argv[n++] = STRACE;
		argv[n++] = "-f";
		argv[n++] = "-Z";
		argv[n++] = "-e";
		argv[n++] = "trace=ioctl";
	}
	argv[n++] = QEMU;
	argv[n++] = "-accel";
	argv[n++] = "kvm";
	argv[n++] = "-M";
	argv[n++] = b->machine;
	argv[n++] = "-smp";
	argv[n++] = smp;
	argv[n++] = "-m";
	argv[n++] = "256M";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-monitor";
	argv[n++] = "unix:" MONITOR ",server=on,wait=off";
	argv[n++] = "-no-reboot";
	argv[n++] = "-kernel";
	argv[n++] = "/qemu/vmlinuz";
	argv[n++] = "-initrd";
	argv[n++] = "/qemu/guest.gz";
	argv[n++] = "-append";
	/*
	 * kvm_amd on QEMU's emulated SVM loses wake-ups at "sti; hlt"
	 * (see halt_wake_test): its guest polls instead of halting.
	 */
	argv[n++] = (kl_is_kvm() && kl_host_is_qemu_tcg()) || getenv("KEEL_QEMU_IDLE_POLL") ?
		    "console=ttyS0 panic=-1 idle=poll" : "console=ttyS0 panic=-1";
	if (getenv("KEEL_QEMU_DEBUGCON")) {
		argv[n++] = "-chardev";
		argv[n++] = "stdio,id=con,mux=on";
		argv[n++] = "-serial";
		argv[n++] = "chardev:con";
		argv[n++] = "-device";
		argv[n++] = "isa-debugcon,iobase=0x402,chardev=con";
	} else {
		argv[n++] = "-serial";
		argv[n++] = "stdio";
	}
	argv[n] = NULL;
	KL_REQUIRE(pipe(pipefd) == 0, "pipe");
	pid = fork();
	KL_REQUIRE(pid >= 0, "fork");
	if (!pid) {
		/*
		 * -serial stdio reads stdin. vmtest.sh --bench runs this
		 * test in the foreground, stdin the host's console: there
		 * the first boot's console stopped mid-line, every time.
		 */
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	*out = pipefd[0];
	return pid;
}

/* Where QEMU's threads sit in the kernel: why a guest stopped talking. */
static void dump_qemu_stacks(pid_t pid)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 "for t in /proc/%d/task/*; do echo \"# thread ${t##*/}:\"; "
		 "sed 's/^/#   /' $t/stack; done", pid);
	fflush(stdout);
	if (system(cmd))
		kl_diag("no stacks for QEMU (%d)", pid);
}

/*
 * What QEMU says of its vCPUs (registers, local APICs) over the monitor.
 * A vCPU that does not answer QEMU's kick leaves the reply short.
 */
static void dump_qemu_cpus(const struct boot *b)
{
	static const char cmds[] = "info cpus\ninfo registers -a\n"
				   "info lapic 0\ninfo lapic 1\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double end = now() + 10;
	char buf[4096];
	int fd, n;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, MONITOR);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, cmds, sizeof(cmds) - 1) != sizeof(cmds) - 1) {
		kl_diag("%s: no monitor: %s", b->machine, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while (now() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		buf[n] = 0;
		for (char *l = strtok(buf, "\r\n"); l; l = strtok(NULL, "\r\n"))
			kl_diag("monitor| %s", l);
	}
	close(fd);
}

static void run_boot(struct boot *b)
{
	size_t cap = 1 << 16;
	struct pollfd pfd;
	int fd, n;
	pid_t pid;

	b->console = malloc(cap);
	KL_REQUIRE(b->console, "malloc");
	b->start = now();
	pid = spawn_qemu(b, &fd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		double left = b->start + BOOT_LIMIT_S - now();

		if (left <= 0) {
			kl_diag("%s: no power-off after %d s; killing QEMU",
				b->machine, BOOT_LIMIT_S);
			dump_qemu_stacks(pid);
			dump_qemu_cpus(b);
			dump_qemu_stacks(pid);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (b->len + 4096 + 1 > cap) {
			cap *= 2;
			b->console = realloc(b->console, cap);
			KL_REQUIRE(b->console, "realloc");
		}
		n = read(fd, b->console + b->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				kl_diag("%s: console read: %s", b->machine, strerror(errno));
			break;
		}
		b->console[b->len + n] = 0;
		b->len += n;
		scan_lines(b, b->len - n, now());
	}
	close(fd);
	KL_REQUIRE(waitpid(pid, &b->status, 0) == pid, "waitpid");
}

static bool timer_ticked(const struct boot *b)
{
	int i;

	if (b->nloc0 != b->cpus || b->nloc1 != b->cpus)
		return false;
	for (i = 0; i < b->cpus; i++)
		if (b->loc1[i] <= b->loc0[i])
			return false;
	return true;
}

static void check_boot(struct boot *b)
{
	const char *m = b->machine;
	double host = b->t1_host - b->t0_host, guest = b->t1 - b->t0;
	double bound = host * CLOCK_PCT / 100 + CLOCK_SLACK_S;
	bool ok;

	kl_ok(b->up > 0, "%s -smp %d: the guest reaches userspace (%.1f s after QEMU starts)",
	      m, b->cpus, b->up > 0 ? b->up - b->start : 0);
	kl_ok(b->guest_cpus == b->cpus, "%s -smp %d: the guest runs %d CPUs", m, b->cpus,
	      b->guest_cpus);
	kl_ok(b->ran_on_mask == (1 << b->cpus) - 1,
	      "%s -smp %d: a task ran on each vCPU (mask %#x)", m, b->cpus, b->ran_on_mask);
	kl_ok(timer_ticked(b), "%s -smp %d: every CPU's LAPIC timer ticks (LOC %ld.. -> %ld..)",
	      m, b->cpus, b->loc0[0], b->loc1[0]);
	ok = b->t0_host > 0 && b->t1_host > 0 && host > 2 && guest > 0 &&
	     guest - host < bound && host - guest < bound;
	kl_ok(ok, "%s -smp %d: guest clock (%s) %.3f s vs host %.3f s (bound %.3f s)",
	      m, b->cpus, b->clocksource, guest, host, bound);
	kl_ok(b->bye && b->powered_off && b->status == 0,
	      "%s -smp %d: the guest powers off and QEMU exits with 0 (status %#x)",
	      m, b->cpus, b->status);
}

static void dump_console(const struct boot *b)
{
	const char *p = b->console, *nl;

	kl_diag("console of %s -smp %d:", b->machine, b->cpus);
	while (p && *p) {
		nl = strchrnul(p, '\n');
		kl_diag("| %.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* QEMU opens /dev/kvm: make one for keel's device unless it exists. */
static bool ensure_dev_kvm(void)
{
	unsigned int major, minor;
	char path[128];
	FILE *f;

	if (!access("/dev/kvm", F_OK))
		return false;
	snprintf(path, sizeof(path), "/sys/class/misc/%s/dev",
		 strrchr(kl_dev_path(), '/') + 1);
	f = fopen(path, "r");
	KL_REQUIRE(f, "open %s", path);
	KL_REQUIRE(fscanf(f, "%u:%u", &major, &minor) == 2, "read %s", path);
	fclose(f);
	KL_REQUIRE(mknod("/dev/kvm", S_IFCHR | 0600, makedev(major, minor)) == 0,
		   "mknod /dev/kvm: %s", strerror(errno));
	return true;
}

int main(void)
{
	const char *list = getenv("KEEL_QEMU_MACHINES");
	char *copy, *tok, *save = NULL;
	bool made;

	if (access(QEMU, X_OK) || access("/qemu/guest.gz", R_OK)) {
		kl_skip("QEMU and its guest are not staged here (vmtest.sh does it)");
		return kl_finish();
	}
	made = ensure_dev_kvm();
	copy = strdup(list && *list ? list : "pc:2,q35:2,microvm:1");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct boot b = { .machine = tok, .cpus = 1 };
		char *colon = strchr(tok, ':');
		int failed_before;

		if (colon) {
			*colon = 0;
			b.cpus = atoi(colon + 1);
		}
		KL_REQUIRE(b.cpus == 1 || b.cpus == 2, "cpus %d", b.cpus);
		failed_before = kl_failures();
		run_boot(&b);
		check_boot(&b);
		/* vmtest.sh --bench: time to the guest's userspace, in ns. */
		if (getenv("KEEL_QEMU_BENCH") && b.up > 0)
			printf("bench: qemu_%s_%d %s %.0f\n", b.machine, b.cpus,
			       kl_is_kvm() ? "kvm" : "keel", (b.up - b.start) * 1e9);
		if (kl_failures() != failed_before || getenv("KEEL_QEMU_VERBOSE"))
			dump_console(&b);
		free(b.console);
	}
	free(copy);
	if (made)
		unlink("/dev/kvm");
	return kl_finish();
}
