#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The style lane: checkpatch --strict on every source file, a W=1 build and
# a sparse (C=2) build that must print no warning, and kernel-doc on the
# internal headers. Tools come from Debian's linux-source-6.1 and sparse.
#
# usage: style_check.sh KVER SCRATCH_DIR
set -uo pipefail

KVER=$1 SCRATCH=$2
TOP=$(cd "$(dirname "$0")/../../../../.." && pwd)
SRC=linux-source-6.1
TOOLS=$SCRATCH/$SRC/scripts
fail=0

result() {	# result OK|FAIL description [findings file]
	[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3"
	if [ "$1" = OK ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		fail=1
	fi
}

if [ ! -x "$TOOLS/checkpatch.pl" ] || [ ! -f "$TOOLS/kernel-doc" ]; then
	mkdir -p "$SCRATCH"
	tar -C "$SCRATCH" -xf "/usr/src/$SRC.tar.xz" --wildcards \
		"$SRC/scripts/checkpatch.pl" "$SRC/scripts/spelling.txt" \
		"$SRC/scripts/const_structs.checkpatch" "$SRC/scripts/kernel-doc"
fi

cd "$TOP"
out=$SCRATCH/findings
# Tracked files and new ones not yet added (but not ignored ones).
files() { git ls-files --cached --others --exclude-standard "$@"; }

checkpatch=("$TOOLS/checkpatch.pl" --strict --no-tree --terse --show-types
	    --no-summary -f)

# Kernel code: no exceptions.
files 'drivers/*.[chS]' 'include/*.h' | xargs "${checkpatch[@]}" > "$out" 2>&1
[ -s "$out" ] && r=FAIL || r=OK
result $r "checkpatch --strict: kernel code" "$out"

# Userspace (selftests, demo VMM). Kernel-only advice does not apply there:
# guest code shares memory with the host through volatile accesses, the
# attribute macros do not exist in userspace (test_util.h defines them),
# C11 and ELF names are not ours to rename, and linker symbols are externs.
files 'tools/*.[chS]' | xargs "${checkpatch[@]}" \
	--ignore VOLATILE,PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE,AVOID_EXTERNS \
	> "$out" 2>&1
[ -s "$out" ] && r=FAIL || r=OK
result $r "checkpatch --strict: selftests and tools" "$out"

# W=1 and sparse: a clean rebuild of every object, so nothing is cached.
make -s -C "$TOP" KVER="$KVER" modclean >/dev/null 2>&1
make -s -C "$TOP" KVER="$KVER" W=1 modules > "$out" 2>&1
st=$?
grep -E 'warning:|error:' "$out" > "$out.w"
[ $st = 0 ] && [ ! -s "$out.w" ] && r=OK || r=FAIL
result $r "W=1 build without warnings" "$out.w"

make -s -C "$TOP" KVER="$KVER" C=2 modules > "$out" 2>&1
st=$?
grep -E 'warning:|error:' "$out" > "$out.w"
[ $st = 0 ] && [ ! -s "$out.w" ] && r=OK || r=FAIL
result $r "sparse (C=2) without warnings" "$out.w"

files 'include/internal/*.h' | xargs perl "$TOOLS/kernel-doc" -none > "$out" 2>&1
st=$?
[ $st = 0 ] && [ ! -s "$out" ] && r=OK || r=FAIL
result $r "kernel-doc on the internal headers" "$out"

exit $fail
