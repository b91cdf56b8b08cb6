#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""keel's imports from the kernel it is built for.

keel is an out-of-tree module that must keep loading on stock kernels, so
it may use only what any GPL module may: every symbol keel.ko leaves
undefined must be in the target kernel's Module.symvers, exported with
EXPORT_SYMBOL or EXPORT_SYMBOL_GPL, and in no namespace. A namespace
(``module:`` ones included, which name the only modules allowed) limits a
symbol to modules that import it or are named, which a distribution
kernel may tighten at any time.

usage: symbols_check.py KVER KEEL_KO MODULE_SYMVERS
"""
import subprocess
import sys

OPEN = ("EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL")


def exports(path):
    """symbol -> (module, export type, namespace) from Module.symvers."""
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 4:
                continue
            ns = fields[4] if len(fields) > 4 else ""
            table[fields[1]] = (fields[2], fields[3], ns)
    return table


def undefined(ko):
    """The symbols keel.ko needs from elsewhere (nm -u)."""
    out = subprocess.run(["nm", "-u", ko], capture_output=True, text=True,
                         check=True).stdout
    return sorted({line.split()[-1] for line in out.splitlines() if line})


def main():
    kver, ko, symvers = sys.argv[1:4]
    table = exports(symvers)
    syms = undefined(ko)
    bad = []
    modules = set()
    for sym in syms:
        if sym not in table:
            bad.append(f"{sym}: not exported by {kver}")
            continue
        mod, kind, ns = table[sym]
        if kind not in OPEN:
            bad.append(f"{sym}: {kind} in {mod}")
        elif ns:
            bad.append(f"{sym}: in namespace {ns} ({mod}), closed to keel")
        elif mod != "vmlinux":
            modules.add(mod)
    for line in bad:
        print(f"# {line}")
    if modules:
        print(f"# from modules, not the kernel: {' '.join(sorted(modules))}")
    if bad:
        print(f"not ok - {len(bad)} of keel's {len(syms)} imports are not "
              f"open to every GPL module on {kver}")
        return 1
    print(f"ok - keel's {len(syms)} imports are all open to GPL modules "
          f"on {kver}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
