#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""keel's uapi contract, checked (Documentation/review-checklist.rst).

  abi_check.py rules      fixed-width types, natural alignment, no implicit
                          padding, identical layout for -m32 and -m64
  abi_check.py baseline   the frozen description still holds; additions
                          must be recorded (--update appends them)
  abi_check.py kvm        everything keel shares with <linux/kvm.h> is
                          byte-identical to it

Prints one "ok"/"not ok" line per check and a "#" line per finding; exits
non-zero when a check fails.
"""
import argparse
import os
import sys

import uapi_layout as ul

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), *['..'] * 5))
HEADER = os.path.join(TOP, 'include/uapi/linux/keel.h')
BASELINE = os.path.join(TOP, 'Documentation/abi/uapi-baseline.txt')
KEEL_ONLY = os.path.join(os.path.dirname(__file__), 'keel-only.txt')

failed = False


def report(ok, what, findings=()):
    global failed
    for f in findings:
        print('# ' + f)
    print('%s - %s' % ('ok' if ok else 'not ok', what))
    failed |= not ok


def keel_probe(bits, header=HEADER):
    macros = ul.header_macros(header)
    types, consts = ul.probe(['"%s"' % os.path.abspath(header)],
                             {n: n for n in macros}, bits, [],
                             file_match=os.path.basename(header))
    return types, consts, macros


def check_rules(header):
    findings = []
    descs = {}
    for bits in (64, 32):
        types, consts, macros = keel_probe(bits, header)
        descs[bits] = ul.describe_lines(types, consts, macros)
        if bits == 32:
            continue
        for name, t in sorted(types.items()):
            findings += type_rules(name, t)
    report(not findings, 'uapi types: fixed-width, naturally aligned, '
           'explicitly padded', findings)
    diff = []
    for a, b in zip(descs[64], descs[32]):
        if a != b:
            diff.append('-m64: %s' % a)
            diff.append('-m32: %s' % b)
    if len(descs[64]) != len(descs[32]):
        diff.append('-m64 has %d entries, -m32 %d' %
                    (len(descs[64]), len(descs[32])))
    report(not diff, 'uapi layout identical for -m64 and -m32', diff)


def type_rules(name, t):
    out = []
    level = [(t.kind, t.fields, 0, t.size, name)]
    while level:
        kind, fields, base, size, where = level.pop()
        cursor = base
        for f in sorted(fields, key=lambda f: f.off):
            what = '%s.%s' % (name, f.path)
            leaf = f.leaf
            if f.bitfield:
                out.append('%s: bit-field' % what)
            if not (leaf in ul.FIXED_WIDTH or leaf.startswith('struct ') or
                    leaf.startswith('union ')):
                out.append('%s: type %s is not __u8/__u16/__u32/__u64 '
                           '(or signed)' % (what, f.tname))
            if f.off % f.align:
                out.append('%s: offset %d is not a multiple of its alignment '
                           '%d' % (what, f.off, f.align))
            if kind == 'struct':
                if f.off > cursor:
                    out.append('%s: %d bytes of implicit padding before it; '
                               'declare them' % (what, f.off - cursor))
                cursor = max(cursor, f.off + f.size)
            if f.children:
                level.append((f.kind, f.children, f.off, f.size, what))
        end = base + size
        if kind == 'struct' and fields and cursor < end:
            out.append('%s: %d bytes of implicit tail padding; declare them'
                       % (where, end - cursor))
        if kind == 'union' and fields and \
                max(f.size for f in fields) != size:
            out.append('%s: union larger than all its members' % where)
    if t.size % t.align:
        out.append('%s: size %d not a multiple of alignment %d' %
                   (name, t.size, t.align))
    return out


def check_baseline(header, baseline, update):
    types, consts, macros = keel_probe(64, header)
    now = ul.describe_lines(types, consts, macros)
    try:
        with open(baseline) as fh:
            old = [l.rstrip('\n') for l in fh
                   if l.strip() and not l.startswith('#')]
    except FileNotFoundError:
        old = []
    nowset = set(now)
    gone = [l for l in old if l not in nowset]
    gone_keys = {' '.join(l.split()[:2]) for l in gone}
    # A changed entry is reported once, as changed, not also as an addition.
    added = [l for l in now if l not in set(old) and
             ' '.join(l.split()[:2]) not in gone_keys]
    findings = []
    for l in gone:
        key = ' '.join(l.split()[:2])
        repl = [n for n in now if ' '.join(n.split()[:2]) == key]
        findings.append('released entry changed or removed: %s' % l)
        for r in repl:
            findings.append('                           now: %s' % r)
    report(not gone, 'released uapi entries unchanged (%d in %s)' %
           (len(old), os.path.relpath(baseline, TOP)), findings)
    if update:
        if gone:
            print('# refusing to update: released entries changed')
            return
        with open(baseline, 'w') as fh:
            fh.write('# keel uapi baseline: generated by "make abi-baseline"'
                     ' from include/uapi/linux/keel.h.\n'
                     '# Entries are frozen once committed; see '
                     'Documentation/review-checklist.rst.\n')
            fh.write('\n'.join(now) + '\n')
        print('# recorded %d new entries' % len(added))
        return
    report(not added, 'every uapi entry is recorded in the baseline',
           ['not in the baseline: %s' % l for l in added] +
           (['record deliberate additions with "make abi-baseline"']
            if added else []))


def load_keel_only():
    names = set()
    with open(KEEL_ONLY) as fh:
        for l in fh:
            l = l.split('#')[0].strip()
            if l:
                names.add(l)
    return names


def kvm_name(name):
    if name.startswith('keel_'):
        return 'kvm_' + name[5:]
    if name.startswith('KEEL_'):
        return 'KVM_' + name[5:]
    if name.startswith('KEEL'):
        return 'KVM' + name[4:]
    return name


def check_kvm(header):
    types, consts, macros = keel_probe(64, header)
    only = load_keel_only()
    kvm_consts = {n: kvm_name(n) for n in consts if n not in only}
    ktypes, kconsts = ul.probe(['<linux/kvm.h>'], kvm_consts, 64, [],
                               const_guard=True)
    findings = []
    for name in sorted(kvm_consts):
        k = kvm_consts[name]
        if name not in kconsts:
            findings.append('%s: <linux/kvm.h> has no %s (keel-private names '
                            'go in %s)' % (name, k, os.path.basename(KEEL_ONLY)))
        elif kconsts[name] != consts[name]:
            findings.append('%s = 0x%x but %s = 0x%x' %
                            (name, consts[name], k, kconsts[name]))
    nconst = len(kvm_consts)
    report(not findings, '%d constants identical to <linux/kvm.h>' % nconst,
           findings)

    findings = []
    shared = [n for n in sorted(types) if n not in only]
    for name in shared:
        kn = kvm_name(name)
        if kn not in ktypes:
            findings.append('struct %s: <linux/kvm.h> has no struct %s' %
                            (name, kn))
            continue
        findings += compare_type(name, types[name], ktypes[kn])
    report(not findings, '%d structs byte-identical to <linux/kvm.h>' %
           len(shared), findings)


def compare_type(name, t, k):
    out = []
    if t.size != k.size:
        out.append('sizeof(struct %s) = %d but sizeof(struct %s) = %d' %
                   (name, t.size, kvm_name(name), k.size))
    kf = {f.path: f for f in k.walk()}
    for f in t.walk():
        if f.path.rsplit('.', 1)[-1].startswith('<anon'):
            continue
        g = kf.get(f.path)
        if g is None:
            if f.path.rsplit('.', 1)[-1].startswith('pad') and \
                    not overlaps_kvm(f, k):
                continue    # keel names padding KVM leaves implicit
            out.append('%s.%s: KVM has no such field' % (name, f.path))
        elif (g.off, g.size) != (f.off, f.size):
            out.append('%s.%s: offset %d size %d, KVM\'s: offset %d size %d'
                       % (name, f.path, f.off, f.size, g.off, g.size))
    return out


def overlaps_kvm(f, k):
    """Does keel's extra field F cover bytes KVM uses in the same branch?"""
    parent = f.path.rsplit('.', 1)[0] + '.' if '.' in f.path else ''
    for g in k.walk():
        if not g.path.startswith(parent) or g.children:
            continue
        if parent == '' and '.' in g.path:
            continue
        if g.off < f.off + f.size and f.off < g.off + g.size:
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('check', choices=['rules', 'baseline', 'kvm'])
    ap.add_argument('--header', default=HEADER)
    ap.add_argument('--baseline', default=BASELINE)
    ap.add_argument('--update', action='store_true',
                    help='baseline: append new entries (never changes one)')
    args = ap.parse_args()
    if args.check == 'rules':
        check_rules(args.header)
    elif args.check == 'baseline':
        check_baseline(args.header, args.baseline, args.update)
    else:
        check_kvm(args.header)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
