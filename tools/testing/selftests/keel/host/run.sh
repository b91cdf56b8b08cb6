#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# keel's host-side checks: the uapi contract (layout rules, -m32/-m64,
# frozen baseline, KVM byte-compatibility, abidiff against the last
# release tag), the documentation check, the style lane, the check
# that keel imports only symbols open to any GPL module and the unit
# tests of kernel code that runs in userspace (unit/). Every line is
# "CHECK: ok - ..." or "CHECK: not ok - ...", with "# ..." findings.
#
# usage: run.sh KVER SCRATCH_DIR [CHECK...]
#   CHECK: rules baseline kvm abidiff docs style symbols unit (default: all)
set -uo pipefail

KVER=$1 SCRATCH=$2
shift 2
HOST=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HOST/../../../../.." && pwd)
PY=/usr/bin/python3
checks=${*:-rules baseline kvm abidiff docs style symbols unit}
fail=0

# abidiff between the header at the newest release tag and HEAD, as the
# kernel's scripts/check-uapi.sh does; it sees types, the baseline sees
# the #defines. Without a release tag there is nothing to compare.
abidiff_check() {
	local tag d=$SCRATCH/abidiff st
	tag=$(git -C "$TOP" describe --tags --abbrev=0 --match 'v*' 2>/dev/null)
	if [ -z "$tag" ]; then
		echo "ok - abidiff against the last release # SKIP no release tag yet"
		return 0
	fi
	rm -rf "$d" && mkdir -p "$d/old/linux" "$d/new/linux"
	git -C "$TOP" show "$tag:include/uapi/linux/keel.h" > "$d/old/linux/keel.h"
	cp "$TOP/include/uapi/linux/keel.h" "$d/new/linux/keel.h"
	for v in old new; do
		# One symbol: abidiff reads nothing from an object without.
		printf '#include <linux/keel.h>\nint keel_uapi_probe;\n' |
			gcc -g -O0 -fno-eliminate-unused-debug-types -c -x c - \
				-I "$d/$v" -o "$d/$v.o" || return 1
	done
	abidiff --non-reachable-types "$d/old.o" "$d/new.o" > "$d/report" 2>&1
	st=$?
	sed 's/^/# /' "$d/report"
	# Bit 3: an incompatible change. Bit 2 alone is an addition, which
	# the baseline check asks to be recorded.
	if [ $((st & 11)) -ne 0 ]; then
		echo "not ok - abidiff $tag..HEAD: incompatible uapi change"
		return 1
	fi
	echo "ok - abidiff $tag..HEAD: no incompatible uapi change"
}

# keel.ko for KVER, checked against that kernel's exports.
symbols_check() {
	make -s -C "$TOP" KVER="$KVER" modules > "$SCRATCH/symbols-build" 2>&1 ||
		{ cat "$SCRATCH/symbols-build"; echo "not ok - build"; return 1; }
	"$PY" "$HOST/symbols_check.py" "$KVER" "$TOP/keel.ko" \
		"/lib/modules/$KVER/build/Module.symvers"
}

for c in $checks; do
	out=$SCRATCH/host-$c.out
	mkdir -p "$SCRATCH"
	case $c in
	rules|baseline|kvm) "$PY" "$HOST/abi_check.py" "$c" ;;
	abidiff) abidiff_check ;;
	docs) "$PY" "$HOST/docs_check.py" ;;
	style) bash "$HOST/style_check.sh" "$KVER" "$SCRATCH" ;;
	symbols) symbols_check ;;
	unit) make -s -C "$HOST/../unit" OUT="$SCRATCH/unit" &&
		"$SCRATCH/unit/emulator_unit" ;;
	*) echo "not ok - unknown check"; false ;;
	esac > "$out" 2>&1
	st=$?
	# A crash must count as a failure even if it printed no verdict.
	[ $st = 0 ] || grep -q '^not ok' "$out" ||
		echo "not ok - exited with status $st" >> "$out"
	sed "s|^|host/$c: |" "$out"
	[ $st = 0 ] || fail=1
done
exit $fail
