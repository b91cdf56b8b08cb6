#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Every ioctl, capability and exit reason in keel's uapi header has its
section in Documentation/api.rst, and that section names its Capability,
Architectures, Type, Parameters and Returns.

Prints "ok"/"not ok" lines; exits non-zero on a missing section.
"""
import argparse
import os
import re
import sys

import uapi_layout as ul

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), *['..'] * 5))
FIELDS = ('Capability', 'Architectures', 'Type', 'Parameters', 'Returns')


def sections(path):
    """(title, body) for every section of an reStructuredText file."""
    lines = open(path).read().split('\n')
    heads = []
    for i in range(1, len(lines)):
        u = lines[i]
        if len(u) >= 3 and len(set(u)) == 1 and u[0] in '=-~^' and \
                lines[i - 1].strip() and len(u) >= len(lines[i - 1].rstrip()):
            heads.append(i - 1)
    out = []
    for n, h in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        out.append((lines[h], '\n'.join(lines[h + 2:end])))
    return out


def classify(macros):
    """The header's ioctls, capabilities and exit reasons."""
    ioctls = sorted(n for n, b in macros.items() if re.match(r'_IO', b))
    caps = sorted(n for n in macros if n.startswith('KEEL_CAP_') and
                  n != 'KEEL_CAP_PRIVATE_BASE')
    exits = sorted(n for n in macros if n.startswith('KEEL_EXIT_') and
                   not re.match(r'KEEL_EXIT_IO_(IN|OUT)$', n))
    return {'ioctl': ioctls, 'capability': caps, 'exit reason': exits}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--header',
                    default=os.path.join(TOP, 'include/uapi/linux/keel.h'))
    ap.add_argument('--api', default=os.path.join(TOP,
                                                  'Documentation/api.rst'))
    args = ap.parse_args()
    secs = sections(args.api)
    failed = False
    for kind, names in classify(ul.header_macros(args.header)).items():
        findings = []
        for name in names:
            mine = [b for t, b in secs
                    if re.search(r'\b%s\b' % re.escape(name), t)]
            if not mine:
                findings.append('%s %s: no section in api.rst' % (kind, name))
                continue
            if not any(all(re.search(r'^:%s:\s*\S' % f, b, re.M)
                           for f in FIELDS) for b in mine):
                lack = [f for f in FIELDS
                        if not any(re.search(r'^:%s:\s*\S' % f, b, re.M)
                                   for b in mine)]
                findings.append('%s %s: its section lacks :%s:' %
                                (kind, name, ':, :'.join(lack)))
        for f in findings:
            print('# ' + f)
        print('%s - every %s (%d) documented in api.rst' %
              ('not ok' if findings else 'ok', kind, len(names)))
        failed |= bool(findings)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
