#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run keel's selftests in an emulated AMD host: a stock Debian kernel under
# qemu-system-x86_64 -accel tcg -cpu max (SVM with nested paging). Installs
# what is missing, builds keel through DKMS for that kernel, boots it with a
# busybox initramfs, loads keel with modprobe and runs every selftest; then
# (differential mode) runs them again against the in-tree kvm_amd. Fails on
# any failed test or kernel splat. See Documentation/testing.rst.
set -euo pipefail

usage() {
	cat <<EOF
usage: $0 [options]
  --test NAME       run only this selftest (e.g. mmio_test)
  --mode MODE       host (uapi contract, docs and style checks), keel,
                    kvm (differential), kvmqemu (qemu_boot_test on
                    kvm_amd), nosvm/nonpt (load refusal),
                    reboot (with a guest running) or all (the default)
  --kver SERIES     the kernel to test: 6.1 (default, bookworm's), 6.12
                    (bookworm-backports, installed from the machine's own
                    Debian mirror if missing) or 7.2 (sid's, with its
                    headers, compiler and DKMS in a debootstrap'd sid
                    chroot cached in \$KEEL_SID_ROOT, default
                    /var/cache/keel/sid)
  --kernel PATH     boot this vmlinuz (its headers must be installed)
  --append ARGS     extra kernel command line arguments
  --shell           boot with keel loaded and give a shell; no tests
  --demo            run the demo VMM (README's main job) instead of tests
  --bench           measure exit costs on keel and kvm_amd in one boot
  --no-dkms         load the module built in-tree instead of the DKMS one
EOF
	exit 2
}

TOP=$(cd "$(dirname "$0")/../../../.." && pwd)
SELF=$TOP/tools/testing/selftests/keel
OUT=$TOP/build/vmtest
ONLY= MODE=all KERNEL= APPEND= SHELL_MODE=0 DEMO=0 DKMS=1 BENCH=0 SERIES=6.1
QEMU_ALL=0
# Where the target kernel's /boot, /lib/modules and /usr/src live: the
# machine itself, or for 7.2 the sid chroot.
ROOTFS=
SID_ROOT=${KEEL_SID_ROOT:-/var/cache/keel/sid}

while [ $# -gt 0 ]; do
	case "$1" in
	--test) ONLY=$2; shift ;;
	--mode) MODE=$2; shift ;;
	--kernel) KERNEL=$2; shift ;;
	--kver) SERIES=$2; shift ;;
	--append) APPEND=$2; shift ;;
	--shell) SHELL_MODE=1 ;;
	--demo) DEMO=1 ;;
	--bench) BENCH=1 ;;
	--no-dkms) DKMS=0 ;;
	--qemu-all) QEMU_ALL=1
		APPEND="$APPEND KEEL_QEMU_MACHINES=pc:1,pc:2,q35:1,q35:2,microvm:1,microvm:2" ;;
	-h|--help) usage ;;
	*) echo "unknown option $1" >&2; usage ;;
	esac
	shift
done

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "vmtest: $*" >&2; }

ensure_packages() {
	local want=(qemu-system-x86 linux-image-amd64 linux-headers-amd64
		    busybox-static cpio kmod xz-utils zstd dkms gcc make libc6-dev git
		    gcc-multilib python3 python3-pyelftools abigail-tools
		    linux-source-6.1 sparse)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# The newest installed kernel of $SERIES that has its headers.
installed_kver() {
	ls "$ROOTFS"/boot/vmlinuz-"$SERIES".* 2>/dev/null | sed 's|.*/vmlinuz-||' |
		while read -r v; do
			[ -d "$ROOTFS/lib/modules/$v/build/" ] ||
				[ -d "$ROOTFS/usr/src/linux-headers-$v" ] && echo "$v"
		done | sort -V | tail -n 1
}

# The machine's own Debian mirror, from its apt sources.
debian_mirror() {
	{ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
	  grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'
	} | grep -v security | head -n 1 || true
}

# A kernel series other than the machine's: image and headers from the
# suite that carries it, on the machine's mirror, with apt pointed at a
# private source list so the machine's own stays untouched.
install_series() {
	local suite mirror d=$OUT/apt img
	case $SERIES in
	6.12) suite=bookworm-backports ;;
	*) log "kernel series $SERIES: not supported (6.1, 6.12, 7.2)"; exit 2 ;;
	esac
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || { log "no Debian mirror in the apt sources"; exit 1; }
	mkdir -p "$d/lists/partial"
	cat > "$d/keel.sources" <<EOS
Types: deb
URIs: $mirror
Suites: bookworm $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	local opt=(-o Dir::Etc::sourcelist="$d/keel.sources" -o Dir::Etc::sourceparts=-
		   -o Dir::State::Lists="$d/lists")
	log "installing Linux $SERIES from $mirror $suite"
	$SUDO apt-get "${opt[@]}" update -qq
	# The versioned package, not linux-image-amd64, whose version would move.
	img=$(apt-cache "${opt[@]}" depends "linux-image-amd64/$suite" 2>/dev/null |
	      sed -n "s/.*Depends: \(linux-image-$SERIES[.][^ ]*\)$/\1/p" | head -n 1)
	[ -n "$img" ] || { log "no linux-image-$SERIES in $suite"; exit 1; }
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${opt[@]}" install -y -qq \
		--no-install-recommends "$img" "${img/image/headers}" >/dev/null
}

# A command inside the sid chroot, with /proc for DKMS and apt.
in_sid() {
	$SUDO mount -t proc proc "$SID_ROOT/proc" 2>/dev/null || true
	$SUDO chroot "$SID_ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	local st=$?
	$SUDO umount "$SID_ROOT/proc" 2>/dev/null || true
	return $st
}

# 7.2's kbuild tools need glibc 2.38, newer than bookworm's: sid's
# headers, compiler and DKMS run in a chroot of sid from the machine's
# own mirror, made once and kept in $SID_ROOT. Its kernel image boots in
# the emulated host like the others.
sid_prepare() {
	local mirror pkgs
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || { log "no Debian mirror in the apt sources"; exit 1; }
	if [ ! -x "$SID_ROOT/usr/bin/apt-get" ]; then
		command -v debootstrap >/dev/null ||
			DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
				--no-install-recommends debootstrap >/dev/null
		log "making a sid chroot in $SID_ROOT from $mirror"
		$SUDO rm -rf "$SID_ROOT.new"
		$SUDO mkdir -p "$(dirname "$SID_ROOT")"
		$SUDO debootstrap --variant=minbase sid "$SID_ROOT.new" "$mirror" \
			> "$OUT/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$OUT/debootstrap.log"; exit 1; }
		$SUDO mv "$SID_ROOT.new" "$SID_ROOT"
	fi
	ROOTFS=$SID_ROOT
	# openssl: DKMS signs the module with its own key, as on a real host.
	[ -n "$(installed_kver)" ] && [ -x "$SID_ROOT/usr/bin/openssl" ] && return
	log "installing Linux $SERIES, its headers and DKMS in the sid chroot"
	# A mirror snapshot may be older than its Release's Valid-Until.
	in_sid apt-get -o Acquire::Check-Valid-Until=false update -qq
	pkgs=$(in_sid apt-cache depends linux-image-amd64 2>/dev/null |
	       sed -n "s/.*Depends: \(linux-image-$SERIES[.][^ ]*\)$/\1/p" |
	       head -n 1)
	[ -n "$pkgs" ] || { log "no linux-image-$SERIES in sid"; exit 1; }
	in_sid apt-get install -y -qq --no-install-recommends "$pkgs" \
		"${pkgs/image/headers}" dkms make kmod xz-utils openssl >/dev/null
}

pick_kernel() {
	[ "$SERIES" = 7.2 ] && sid_prepare
	if [ -n "$KERNEL" ]; then
		KVER=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
		return
	fi
	KVER=$(installed_kver)
	if [ -z "$KVER" ] && [ "$SERIES" != 6.1 ]; then
		install_series
		KVER=$(installed_kver)
	fi
	[ -n "$KVER" ] || { log "no $SERIES kernel with headers in /boot"; exit 1; }
	KERNEL=$ROOTFS/boot/vmlinuz-$KVER
}

# keel for a kernel of the sid chroot: the build and DKMS run inside it.
build_module_sid() {
	local ver=$1 src=$SID_ROOT/usr/src/keel-$1
	$SUDO rm -rf "$src"
	$SUDO mkdir -p "$src"
	(cd "$TOP" && $SUDO cp -r Kbuild Makefile dkms.conf include drivers "$src/")
	# W=1 first, as on the host: build_module() fails on any warning.
	in_sid make -s -C "/usr/src/keel-$ver" KVER="$KVER" W=1 modules \
		> "$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
	if [ "$DKMS" != 1 ]; then
		KEEL_KO=$src/keel.ko
		return
	fi
	in_sid make -s -C "/usr/src/keel-$ver" KVER="$KVER" modclean >/dev/null
	log "dkms build and install keel/$ver for $KVER (sid chroot)"
	in_sid dkms remove -m keel -v "$ver" --all >/dev/null 2>&1 || true
	in_sid dkms add -m keel -v "$ver" >/dev/null
	in_sid dkms build -m keel -v "$ver" -k "$KVER" > "$OUT/dkms.log" 2>&1 ||
		{ cat "$OUT/dkms.log"; exit 1; }
	in_sid dkms install -m keel -v "$ver" -k "$KVER" --force \
		>> "$OUT/dkms.log" 2>&1 || { cat "$OUT/dkms.log"; exit 1; }
	# DKMS 3 keeps its make.log under the kernel's directory.
	cat "$SID_ROOT/var/lib/dkms/keel/$ver/$KVER"/*/log/make.log \
		>> "$OUT/build.log" 2>/dev/null || true
	KEEL_KO=$(find "$SID_ROOT/lib/modules/$KVER/updates" -name 'keel.ko*' | head -n 1)
	[ -n "$KEEL_KO" ] || { log "dkms installed no keel.ko"; exit 1; }
}

# keel builds without a warning on every kernel it supports.
check_build_log() {
	if grep -q 'warning:' "$OUT/build.log"; then
		grep 'warning:' "$OUT/build.log" >&2
		log "FAIL: keel builds with warnings for $KVER"
		exit 1
	fi
}

build_module() {
	local ver
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
	if [ -n "$ROOTFS" ]; then
		build_module_sid "$ver"
		check_build_log
		return
	fi
	make -s -C "$TOP" KVER="$KVER" W=1 modules > "$OUT/build.log" 2>&1 ||
		{ cat "$OUT/build.log"; exit 1; }
	check_build_log
	KEEL_KO=$TOP/keel.ko
	[ "$DKMS" = 1 ] || return 0
	log "dkms build and install keel/$ver for $KVER"
	$SUDO dkms remove -m keel -v "$ver" --all >/dev/null 2>&1 || true
	$SUDO rm -rf "/usr/src/keel-$ver"
	$SUDO mkdir -p "/usr/src/keel-$ver"
	(cd "$TOP" && $SUDO cp -r Kbuild Makefile dkms.conf include drivers \
		"/usr/src/keel-$ver/")
	$SUDO dkms add -m keel -v "$ver" >/dev/null
	$SUDO dkms build -m keel -v "$ver" -k "$KVER" >"$OUT/dkms.log" 2>&1 ||
		{ cat "$OUT/dkms.log"; exit 1; }
	$SUDO dkms install -m keel -v "$ver" -k "$KVER" --force \
		>>"$OUT/dkms.log" 2>&1 || { cat "$OUT/dkms.log"; exit 1; }
	KEEL_KO=$(find "/lib/modules/$KVER/updates" -name 'keel.ko*' | head -n 1)
	[ -n "$KEEL_KO" ] || { log "dkms installed no keel.ko"; exit 1; }
}

# Newer Debian kernels ship modules compressed; busybox loads plain ones.
copy_module() {
	mkdir -p "$(dirname "$2")"
	if [ -e "$1" ]; then
		cp "$1" "$2"
	elif [ -e "$1.xz" ]; then
		xz -dc "$1.xz" > "$2"
	elif [ -e "$1.zst" ]; then
		zstd -qdc "$1.zst" > "$2"
	else
		log "no module $1"
		return 1
	fi
}

# QEMU with its libraries and firmware, and the Linux guest it boots on keel
# (qemu_boot_test): the same kernel with a busybox initramfs.
stage_qemu() {
	local root=$1 guest=$OUT/qemu-guest bin lib
	mkdir -p "$root/usr/bin" "$root/usr/share" "$root/qemu"
	# strace, when installed, for KEEL_QEMU_STRACE=1 (see qemu_boot_test.c).
	for bin in /usr/bin/qemu-system-x86_64 /usr/bin/strace; do
		[ -x "$bin" ] || continue
		cp "$bin" "$root/usr/bin/"
		for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
	cp -rL /usr/share/qemu /usr/share/seabios "$root/usr/share/"
	rm -rf "$guest"
	mkdir -p "$guest"/{bin,dev,proc,sys}
	cp /bin/busybox "$guest/bin/busybox"
	cp "$SELF/qemu/guest_init.sh" "$guest/init"
	(cd "$guest" && find . | cpio -o -H newc --quiet | gzip -1) > "$root/qemu/guest.gz"
	cp "$KERNEL" "$root/qemu/vmlinuz"
}

build_initramfs() {
	local root=$OUT/root m
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests} "$root/lib/modules/$KVER"
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$SELF/vm_init.sh" "$root/init"
	cp "$OUT"/tests/* "$root/tests/"
	cp "$OUT/keel-demo" "$root/tests/keel-demo"
	for m in kernel/virt/lib/irqbypass.ko kernel/arch/x86/kvm/kvm.ko \
		 kernel/arch/x86/kvm/kvm-amd.ko kernel/drivers/crypto/ccp/ccp.ko; do
		# One missing (a kernel that moved it) shows in kvm mode.
		copy_module "$ROOTFS/lib/modules/$KVER/$m" "$root/lib/modules/$KVER/$m" ||
			true
	done
	copy_module "${KEEL_KO%.*z*}" "$root/lib/modules/$KVER/updates/dkms/keel.ko"
	cp "$ROOTFS"/lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} \
		"$root/lib/modules/$KVER/" 2>/dev/null || true
	depmod -b "$root" "$KVER"
	stage_qemu "$root"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.gz"
}

# boot MODE -> console in $OUT/console-MODE.log, results in $OUT/results-MODE.log
#
# Single-threaded TCG, except where kvm_amd runs QEMU's Linux guests
# (kvmqemu, benchqemu): under it they stall in early boot, with
# multi-threaded TCG they run. kvmqemu is the kvm mode of qemu_boot_test,
# which the kvm boot leaves out.
boot() {
	local mode=$1 console=$OUT/console-$1.log res=$OUT/results-$1.log
	local args="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 tsc=reliable"
	local vmode=$mode only=$ONLY thread=single
	case "$mode" in
	kvmqemu) vmode=kvm only=qemu_boot_test thread=multi ;;
	benchqemu) thread=multi ;;
	kvm) [ -n "$only" ] || args="$args vmtest.skip=qemu_boot_test" ;;
	esac
	args="$args loglevel=6 vmtest.mode=$vmode${only:+ vmtest.only=$only} $APPEND"
	: > "$res"
	log "booting $KVER ($mode)"
	local cpu=max
	[ "$mode" = nosvm ] && cpu=qemu64,-svm
	[ "$mode" = nonpt ] && cpu=max,-npt
	local qemu=(qemu-system-x86_64 -accel "tcg,thread=$thread" -cpu $cpu -smp 2
		    -m 2G -kernel "$KERNEL" -initrd "$OUT/initramfs.gz"
		    -append "$args" -no-reboot)
	if [ "$mode" = shell ]; then
		"${qemu[@]}" -nographic -serial mon:stdio \
			-chardev "file,id=res,path=$res" -device isa-serial,chardev=res
		return
	fi
	: > "$console"
	tail -n +1 -f "$console" | sed -u 's/^/  | /' >&2 &
	TAILER=$!
	timeout 2400 "${qemu[@]}" -display none -monitor none \
		-chardev "file,id=con,path=$console" -serial chardev:con \
		-chardev "file,id=res,path=$res" -device isa-serial,chardev=res \
		</dev/null &
	QEMU=$!
	wait "$QEMU" || log "qemu exited with status $?"
	QEMU=
	sleep 0.2
	kill "$TAILER" 2>/dev/null || true
	wait "$TAILER" 2>/dev/null || true
	TAILER=
}

QEMU= TAILER=
cleanup() {
	[ -z "$QEMU" ] || kill "$QEMU" 2>/dev/null || true
	[ -z "$TAILER" ] || kill "$TAILER" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0 FAILED=0 SKIPPED=0
SPLAT='BUG:|WARNING:|Oops|general protection|KASAN|lockdep|kmemleak|Kernel panic|Call Trace:'

# The host lane: no emulated host, results straight from the checks.
host_checks() {
	local res=$OUT/results-host.log
	if [ -n "$ROOTFS" ]; then
		# The rest does not depend on the kernel: the 6.1 lane has it.
		log "host check: keel's imports against $KVER's exports"
		copy_module "${KEEL_KO%.*z*}" "$OUT/keel-symbols.ko"
		python3 "$SELF/host/symbols_check.py" "$KVER" "$OUT/keel-symbols.ko" \
			"$ROOTFS/usr/src/linux-headers-$KVER/Module.symvers" |
			sed 's|^\(not \)\?ok|host/symbols: &|' | tee "$res" |
			sed 's/^/  | /' >&2 || true
	else
		log "host checks: uapi contract, documentation, style"
		bash "$SELF/host/run.sh" "$KVER" "$OUT/host" | tee "$res" |
			sed 's/^/  | /' >&2 || true
	fi
	PASSED=$((PASSED + $(grep -E ': ok ' "$res" | grep -vc '# SKIP' || true)))
	SKIPPED=$((SKIPPED + $(grep -E ': ok ' "$res" | grep -c '# SKIP' || true)))
	FAILED=$((FAILED + $(grep -c ': not ok' "$res" || true)))
	grep ': not ok' "$res" | sed "s/^/vmtest: FAIL /" >&2 || true
}

tally() {
	local mode=$1 console=$OUT/console-$1.log res=$OUT/results-$1.log
	local splat
	tr -d '\r' < "$res" > "$res.clean"
	PASSED=$((PASSED + $(grep -E ': ok ' "$res.clean" | grep -vc '# SKIP' || true)))
	SKIPPED=$((SKIPPED + $(grep -E ': ok ' "$res.clean" | grep -c '# SKIP' || true)))
	FAILED=$((FAILED + $(grep -c ': not ok' "$res.clean" || true)))
	grep ': not ok' "$res.clean" | sed "s/^/vmtest: FAIL ($mode) /" >&2 || true
	if ! grep -q VMTEST-DONE "$res.clean"; then
		log "FAIL ($mode): the emulated host did not finish"
		FAILED=$((FAILED + 1))
	fi
	if [ "$mode" = reboot ]; then
		if grep -q "reboot: Restarting system" "$console"; then
			PASSED=$((PASSED + 1))
		else
			log "FAIL (reboot): the emulated host did not restart"
			FAILED=$((FAILED + 1))
		fi
	fi
	# Lines "# | " are a nested guest's console (qemu_boot_test), not ours.
	splat=$(grep -nE "$SPLAT" "$console" | grep -vE '^[0-9]+:# \| ' | head -n 5 || true)
	if [ -n "$splat" ]; then
		log "FAIL ($mode): kernel splat:"
		echo "$splat" >&2
		FAILED=$((FAILED + 1))
	fi
}

ensure_packages
pick_kernel
rm -rf "$OUT/tests"
mkdir -p "$OUT/tests"
if [ "$MODE" = host ]; then
	[ -z "$ROOTFS" ] || build_module
	host_checks
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" = 0 ]
	exit
fi
build_module
make -s -C "$SELF" OUT="$OUT/tests"
make -s -C "$TOP/tools/keel-demo" OUT="$OUT"
build_initramfs

if [ "$SHELL_MODE" = 1 ]; then
	boot shell
	exit 0
fi

if [ "$BENCH" = 1 ]; then
	boot bench
	boot benchqemu
	cat "$OUT/console-bench.log" "$OUT/console-benchqemu.log" | tr -d '\r' | awk '
		/^bench: / { v[$2, $3] = $4; names[$2] = 1 }
		END {
			printf "%-16s %12s %12s %10s\n", "exit", "keel ns", "kvm ns", "keel/kvm"
			for (n in names)
				if (v[n, "kvm"] > 0)
					printf "%-16s %12.0f %12.0f %10.2f\n", n, v[n, "keel"],
					       v[n, "kvm"], v[n, "keel"] / v[n, "kvm"]
		}'
	exit 0
fi

if [ "$DEMO" = 1 ]; then
	boot demo
	if grep -q "keel-demo: guest says: Hello from a keel guest" "$OUT/console-demo.log" &&
	   grep -q "keel-demo: guest exited cleanly" "$OUT/console-demo.log" &&
	   grep -q "qemu| KEEL-GUEST: bye" "$OUT/console-demo.log" &&
	   grep -q "keel-demo: QEMU exit status 0" "$OUT/console-demo.log" &&
	   ! grep -qE "$SPLAT" "$OUT/console-demo.log"; then
		log "demo guests ran on keel: keel-demo's, and Linux under QEMU"
		exit 0
	fi
	log "demo failed; see $OUT/console-demo.log"
	exit 1
fi

case "$MODE" in
all)	# kvm_amd's nested Linux guests stall now and then in the emulated
	# host: their lane (kvmqemu) is part of the longer QEMU lane only.
	modes="keel kvm"
	[ "$QEMU_ALL" = 1 ] && modes="$modes kvmqemu"
	[ -n "$ONLY" ] || modes="host $modes nosvm nonpt reboot" ;;
host|keel|kvm|kvmqemu|nosvm|nonpt|reboot) modes=$MODE ;;
*) usage ;;
esac
# qemu_boot_test's kvm mode is the kvmqemu boot; other tests have none.
if [ "$ONLY" = qemu_boot_test ]; then
	modes=$(echo " $modes " | sed 's/ kvm / kvmqemu /; s/ kvmqemu kvmqemu / kvmqemu /')
elif [ -n "$ONLY" ]; then
	modes=$(echo " $modes " | sed 's/ kvmqemu / /')
fi
for m in $modes; do
	if [ "$m" = host ]; then
		host_checks
		continue
	fi
	boot "$m"
	tally "$m"
done
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
