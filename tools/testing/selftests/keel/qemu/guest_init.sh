#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the Linux guest that QEMU boots on keel (qemu_boot_test). Every
# line the test checks starts with "KEEL-GUEST:"; the test timestamps them
# on arrival to compare the guest's clock with the host's.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "KEEL-GUEST: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# Local APIC timer interrupts per CPU.
loc() {
	awk '$1 == "LOC:" {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++)
			printf " %s", $i
	}' /proc/interrupts
}

say "up"
say "cpus $(nproc)"
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
say "loc0$(loc)"
say "t0 $(uptime_s)"

# One busy loop pinned to each vCPU; each reports where it ran.
n=$(nproc)
c=0
while [ $c -lt "$n" ]; do
	taskset -c $c sh -c 'i=0
		while [ $i -lt 2000 ]; do i=$((i + 1)); done
		echo "KEEL-GUEST: ran on cpu $(cut -d" " -f39 /proc/self/stat)"' &
	c=$((c + 1))
done
wait

# Sleeping needs the timer interrupt on an idle vCPU.
sleep 3
say "t1 $(uptime_s)"
say "loc1$(loc)"
say "bye"
poweroff -f
