# SPDX-License-Identifier: GPL-2.0
"""Describe a uapi header's types and constants from what the compiler saw.

Types come from the DWARF of a probe object compiled with every declared
type kept (-fno-eliminate-unused-debug-types), so nothing is parsed by hand
and the layout is the compiler's. Constants are evaluated by the compiler
into the probe's data section and read back, so -m32 needs no 32-bit
runtime.
"""
import os
import re
import subprocess
import tempfile

from elftools.elf.elffile import ELFFile

FIXED_WIDTH = {'__u8', '__u16', '__u32', '__u64',
               '__s8', '__s16', '__s32', '__s64'}
IOC_DIR = {0: 'none', 1: 'write', 2: 'read', 3: 'read|write'}


class Field:
    """One member, at an offset from the start of the top-level type."""

    def __init__(self, path, off, size, tname, leaf, align):
        self.path, self.off, self.size = path, off, size
        self.tname, self.leaf, self.align = tname, leaf, align
        self.children = []
        self.kind = None        # 'struct'/'union' when it has members
        self.bitfield = False


class Type:
    def __init__(self, kind, name, size):
        self.kind, self.name, self.size = kind, name, size
        self.fields = []        # top-level members; children nested
        self.align = 1

    def walk(self):
        stack = list(reversed(self.fields))
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.children))


def _attr(die, name, default=None):
    a = die.attributes.get(name)
    return a.value if a is not None else default


def _type_die(die):
    return die.get_DIE_from_attribute('DW_AT_type')


def _name(die):
    n = _attr(die, 'DW_AT_name')
    return n.decode() if n is not None else None


class _Walker:
    def __init__(self):
        self.problems = []

    def tname(self, die):
        """A C spelling of a type, and its leaf (the element type)."""
        tag = die.tag
        if tag in ('DW_TAG_base_type', 'DW_TAG_typedef'):
            return _name(die)
        if tag in ('DW_TAG_structure_type', 'DW_TAG_union_type',
                   'DW_TAG_enumeration_type'):
            kw = {'DW_TAG_structure_type': 'struct',
                  'DW_TAG_union_type': 'union',
                  'DW_TAG_enumeration_type': 'enum'}[tag]
            return '%s %s' % (kw, _name(die) or '{...}')
        if tag == 'DW_TAG_pointer_type':
            return 'pointer'
        if tag in ('DW_TAG_const_type', 'DW_TAG_volatile_type'):
            return '%s %s' % (tag[7:-5], self.tname(_type_die(die)))
        if tag == 'DW_TAG_array_type':
            dims = ''
            for sub in die.iter_children():
                if 'DW_AT_count' in sub.attributes:
                    dims += '[%d]' % _attr(sub, 'DW_AT_count')
                elif 'DW_AT_upper_bound' in sub.attributes:
                    dims += '[%d]' % (_attr(sub, 'DW_AT_upper_bound') + 1)
                else:
                    dims += '[]'
            return self.tname(_type_die(die)) + dims
        return tag

    def size(self, die):
        while 'DW_AT_byte_size' not in die.attributes:
            if die.tag == 'DW_TAG_array_type':
                n = 1
                for sub in die.iter_children():
                    if 'DW_AT_count' in sub.attributes:
                        n *= _attr(sub, 'DW_AT_count')
                    elif 'DW_AT_upper_bound' in sub.attributes:
                        n *= _attr(sub, 'DW_AT_upper_bound') + 1
                    else:
                        n = 0
                return n * self.size(_type_die(die))
            if 'DW_AT_type' not in die.attributes:
                return 0
            die = _type_die(die)
        return _attr(die, 'DW_AT_byte_size')

    def strip(self, die):
        """Follow typedefs of fixed-width types only to decide the leaf."""
        while die.tag in ('DW_TAG_array_type', 'DW_TAG_const_type',
                          'DW_TAG_volatile_type'):
            die = _type_die(die)
        return die

    def members(self, top, die, base, prefix, out):
        """Append the members of struct/union DIE at offset BASE to OUT."""
        anon = 0
        for m in die.iter_children():
            if m.tag != 'DW_TAG_member':
                continue
            off = base + (_attr(m, 'DW_AT_data_member_location', 0) or 0)
            t = _type_die(m)
            leaf = self.strip(t)
            name = _name(m)
            if name is None:
                path = '%s<anon%d>' % (prefix, anon)
                anon += 1
            else:
                path = prefix + name
            f = Field(path, off, self.size(t), self.tname(t),
                      self.tname(leaf), 1)
            f.bitfield = 'DW_AT_bit_size' in m.attributes
            if leaf.tag in ('DW_TAG_structure_type', 'DW_TAG_union_type'):
                f.kind = 'struct' if leaf.tag == 'DW_TAG_structure_type' \
                    else 'union'
                if _name(leaf) is None:
                    # Anonymous aggregates keep C's access path.
                    sub = prefix if name is None else path + '.'
                    self.members(top, leaf, off, sub, f.children)
                    f.align = max([c.align for c in f.children] or [1])
                else:
                    f.align = self.aggregate_align(leaf)
            elif leaf.tag in ('DW_TAG_base_type', 'DW_TAG_typedef',
                              'DW_TAG_pointer_type',
                              'DW_TAG_enumeration_type'):
                f.align = self.size(leaf) or 1
            out.append(f)

    def aggregate_align(self, die):
        fields = []
        self.members(None, die, 0, '', fields)
        return max([f.align for f in fields] or [1])

    def describe(self, die):
        kind = 'struct' if die.tag == 'DW_TAG_structure_type' else 'union'
        t = Type(kind, _name(die), _attr(die, 'DW_AT_byte_size', 0))
        self.members(t, die, 0, '', t.fields)
        t.align = max([f.align for f in t.fields] or [1])
        return t


def _decl_file(cu, die, cache):
    idx = _attr(die, 'DW_AT_decl_file')
    if idx is None:
        return None
    if cu.cu_offset not in cache:
        lp = cu.dwarfinfo.line_program_for_CU(cu)
        cache[cu.cu_offset] = [e.name.decode() for e in lp['file_entry']]
    names = cache[cu.cu_offset]
    # DWARF 4 numbers files from 1 (we compile with -gdwarf-4).
    return names[idx - 1] if 0 < idx <= len(names) else None


def _symbols(elf):
    """Constants the probe stored as 64-bit values, by name."""
    vals = {}
    symtab = elf.get_section_by_name('.symtab')
    for sym in symtab.iter_symbols():
        if not sym.name.startswith('keel_abi_c_'):
            continue
        sec = elf.get_section(sym['st_shndx'])
        data = sec.data()
        off = sym['st_value']
        vals[sym.name[len('keel_abi_c_'):]] = int.from_bytes(
            data[off:off + 8], 'little')
    return vals


def compile_probe(source, bits, incdirs, workdir):
    obj = os.path.join(workdir, 'probe%d.o' % bits)
    cmd = ['gcc', '-m%d' % bits, '-gdwarf-4', '-O0',
           '-fno-eliminate-unused-debug-types', '-c', '-x', 'c', '-',
           '-o', obj]
    for d in incdirs:
        cmd += ['-I', d]
    subprocess.run(cmd, input=source.encode(), check=True)
    return obj


def header_macros(path):
    """Object-like macros a header defines, with their replacement text."""
    text = open(path).read().replace('\\\n', ' ')
    out = {}
    for m in re.finditer(r'^\s*#\s*define\s+([A-Za-z_]\w*)(\(?)(.*)$',
                         text, re.M):
        if m.group(2) or m.group(1).startswith('_'):
            continue
        out[m.group(1)] = ' '.join(m.group(3).split())
    return out


def probe(includes, constants, bits, incdirs, file_match=None,
          const_guard=False):
    """Compile INCLUDES; return ({type name: Type}, {const: value})."""
    src = ''.join('#include %s\n' % i for i in includes)
    for name, expr in constants.items():
        body = 'const unsigned long long keel_abi_c_%s = ' \
               '(unsigned long long)(%s);\n' % (name, expr)
        if const_guard:
            body = '#ifdef %s\n%s#endif\n' % (expr, body)
        src += body
    with tempfile.TemporaryDirectory() as wd:
        obj = compile_probe(src, bits, incdirs, wd)
        with open(obj, 'rb') as fh:
            elf = ELFFile(fh)
            consts = _symbols(elf)
            types = {}
            walker = _Walker()
            cache = {}
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                for die in cu.get_top_DIE().iter_children():
                    if die.tag not in ('DW_TAG_structure_type',
                                       'DW_TAG_union_type'):
                        continue
                    if _name(die) is None or \
                            'DW_AT_declaration' in die.attributes:
                        continue
                    if file_match:
                        f = _decl_file(cu, die, cache)
                        if not f or os.path.basename(f) != file_match:
                            continue
                    types[_name(die)] = walker.describe(die)
    return types, consts


def ioctl_fields(value):
    return {'dir': IOC_DIR[(value >> 30) & 3], 'size': (value >> 16) & 0x3fff,
            'type': (value >> 8) & 0xff, 'nr': value & 0xff}


def describe_lines(types, consts, macros):
    """The canonical, line-per-entry description (the baseline format)."""
    lines = []
    for name in sorted(types):
        t = types[name]
        lines.append('%s %s size=%d align=%d' %
                     (t.kind, name, t.size, t.align))
        for f in t.walk():
            lines.append('%s %s.%s off=%d size=%d type=%s' %
                         (t.kind, name, f.path, f.off, f.size, f.tname))
    for name in sorted(consts):
        v = consts[name]
        body = macros.get(name, '')
        m = re.match(r'_IO(WR|R|W)?\s*\(\s*\w+\s*,\s*(\w+)\s*(?:,\s*(.*))?\)$',
                     body)
        if m:
            io = ioctl_fields(v)
            arg = (' arg=%s' % ' '.join(m.group(3).split())) \
                if m.group(3) else ''
            lines.append('ioctl %s value=0x%08x dir=%s type=0x%02x nr=0x%02x '
                         'size=%d%s' % (name, v, io['dir'], io['type'],
                                        io['nr'], io['size'], arg))
        else:
            lines.append('const %s value=0x%x' % (name, v))
    return lines
