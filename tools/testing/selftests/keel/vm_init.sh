#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the emulated host built by vmtest.sh. Kernel command line:
#   vmtest.mode=keel|kvm|demo|shell   vmtest.only=<test name>
#   vmtest.skip=<test name>
# Test output goes to the console; one result line per TAP test point goes
# to the second serial port, which vmtest.sh reads.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo 1 > /proc/sys/kernel/printk_ratelimit 2>/dev/null

mode=keel
only=
skip=
limit=600
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	vmtest.mode=*) mode=${arg#vmtest.mode=} ;;
	vmtest.only=*) only=${arg#vmtest.only=} ;;
	vmtest.skip=*) skip=${arg#vmtest.skip=} ;;
	vmtest.timeout=*) limit=${arg#vmtest.timeout=} ;;
	esac
done

# Run a test with a time limit; on timeout show where its threads sit.
run_limited() {
	"$1" > /tmp/out 2>&1 &
	pid=$!
	waited=0
	while kill -0 $pid 2>/dev/null; do
		if [ $waited -ge $limit ]; then
			echo "### $1 timed out after ${limit}s; kernel stacks:"
			for task in /proc/$pid/task/*; do
				echo "# thread ${task##*/}:"
				cat $task/stack 2>/dev/null
			done
			kill -9 $pid
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait $pid
}

RES=/dev/ttyS1
result() { echo "$*" > $RES; }
finish() { result "VMTEST-DONE"; sync; poweroff -f; }

case "$mode" in
reboot)
	# Reboot with a guest running: keel turns SVM off on every CPU first.
	modprobe keel || { result "vmtest: not ok - modprobe keel"; finish; }
	/tests/spin-vm &
	sleep 3
	result "vmtest: ok - a guest is running when the host reboots"
	result "VMTEST-DONE"
	sync
	reboot -f
	sleep 60 ;;
bench)
	# keel and kvm_amd side by side in one boot, one after the other.
	modprobe keel && KEEL_DEV=/dev/keel /tests/exit_bench &&
		KEEL_DEV=/dev/keel /tests/irq_bench
	rmmod keel
	modprobe kvm_amd && KEEL_DEV=/dev/kvm KEEL_IMPL=kvm /tests/exit_bench &&
		KEEL_DEV=/dev/kvm KEEL_IMPL=kvm /tests/irq_bench
	modprobe -r kvm_amd
	finish ;;
benchqemu)
	# QEMU's time to the guest's userspace, keel then kvm_amd; both
	# guests poll when idle, as kvm_amd's must here (qemu_boot_test.c).
	export KEEL_QEMU_BENCH=1 KEEL_QEMU_IDLE_POLL=1
	modprobe keel && KEEL_DEV=/dev/keel /tests/qemu_boot_test
	rmmod keel
	modprobe kvm_amd && KEEL_DEV=/dev/kvm KEEL_IMPL=kvm /tests/qemu_boot_test
	modprobe -r kvm_amd
	finish ;;
nosvm|nonpt)
	# The emulated CPU lacks SVM or NPT: keel must refuse, and say why.
	want="CPU has no AMD SVM"
	[ "$mode" = nonpt ] && want="without nested paging"
	# One load attempt (busybox's insmod and modprobe retry a failure).
	if /tests/load-module "$(modinfo -F filename keel)" 2>/dev/null; then
		result "vmtest: not ok - keel loaded on a CPU with $mode"
	else
		result "vmtest: ok - keel refuses to load on a CPU with $mode"
	fi
	if [ "$(dmesg | grep -c "keel: .*$want")" = 1 ]; then
		result "vmtest: ok - one dmesg line says why ($mode)"
	else
		dmesg | grep keel
		result "vmtest: not ok - one dmesg line says why ($mode)"
	fi
	finish ;;
shell)
	modprobe keel
	echo "keel loaded; tests are in /tests. 'poweroff -f' leaves."
	setsid cttyhack sh
	poweroff -f ;;
kvm)
	if ! modprobe kvm_amd; then
		result "vmtest: not ok - modprobe kvm_amd"
		finish
	fi
	export KEEL_DEV=/dev/kvm KEEL_IMPL=kvm ;;
*)
	# The DKMS-installed module, loaded the way users load it.
	if ! modprobe keel; then
		result "vmtest: not ok - modprobe keel"
		finish
	fi
	modinfo -F filename keel
	export KEEL_DEV=/dev/keel KEEL_IMPL=keel ;;
esac

if [ "$mode" = demo ]; then
	/tests/keel-demo /dev/keel
	echo "keel-demo exit status $?"
	# A real VMM: unmodified QEMU boots Linux on keel through /dev/kvm.
	mknod /dev/kvm c $(tr : ' ' < /sys/class/misc/keel/dev)
	echo "keel-demo: QEMU boots Linux (pc, 2 vCPUs) on keel:"
	set -o pipefail
	qemu-system-x86_64 -accel kvm -M pc -smp 2 -m 256M -nodefaults \
		-no-user-config -display none -monitor none -serial stdio \
		-no-reboot -kernel /qemu/vmlinuz -initrd /qemu/guest.gz \
		-append "console=ttyS0 panic=-1 quiet" 2>&1 | sed 's/^/  qemu| /'
	echo "keel-demo: QEMU exit status $?"
	set +o pipefail
	rm /dev/kvm
	rmmod keel && echo "keel unloaded"
	finish
fi

for t in /tests/*_test; do
	name=${t##*/}
	[ -n "$only" ] && [ "$name" != "$only" ] && continue
	[ "$name" = "$skip" ] && continue
	echo "=== $name ($mode)"
	run_limited "$t"
	rc=$?
	cat /tmp/out
	grep -E '^(not )?ok ' /tmp/out | sed "s|^|$name: |" > $RES
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' /tmp/out; then
		result "$name: not ok - exited with status $rc"
	elif ! grep -qE '^(not )?ok ' /tmp/out; then
		result "$name: not ok - printed no test result"
	fi
done

if [ "$mode" = keel ] && [ -z "$only" ]; then
	# Nothing may keep the module: every fd is closed by now.
	if rmmod keel; then
		result "vmtest: ok - rmmod keel after the last fd closed"
	else
		result "vmtest: not ok - rmmod keel after the last fd closed"
	fi
fi
finish
