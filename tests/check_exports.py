#!/usr/bin/env python3
"""check_exports.py: the shared library exports exactly the SIMDROP_API functions of simdrop.h (a DLL imports from Windows' own DLLs alone).

    check_exports.py include/simdrop.h LIBRARY

LIBRARY is an ELF shared object (its defined global dynamic symbols) or a PE DLL (its export
table), read here directly, so no binutils of the host's architecture are needed."""
import re
import struct
import sys


def header_api(path):
    text = open(path, encoding="utf-8").read()
    return set(re.findall(r"^SIMDROP_API\b[^;(]*?\b(simdrop_\w+)\s*\(", text, re.M))


def elf_exports(data):
    bits, order = {1: 32, 2: 64}[data[4]], {1: "<", 2: ">"}[data[5]]
    if bits == 64:
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)

    def section(i):
        at = shoff + i * shentsize
        if bits == 64:
            _, typ, _, _, off, size, link, _, _, entsize = struct.unpack_from(order + "IIQQQQIIQQ", data, at)
        else:
            _, typ, _, _, off, size, link, _, _, entsize = struct.unpack_from(order + "IIIIIIIIII", data, at)
        return typ, off, size, link, entsize

    names = set()
    for i in range(shnum):
        typ, off, size, link, entsize = section(i)
        if typ != 11:  # SHT_DYNSYM
            continue
        _, stroff, _, _, _ = section(link)
        for at in range(off + entsize, off + size, entsize):  # entry 0 is the null symbol
            if bits == 64:
                name, info, other, shndx = struct.unpack_from(order + "IBBH", data, at)
            else:
                name, = struct.unpack_from(order + "I", data, at)
                info, other, shndx = struct.unpack_from(order + "BBH", data, at + 12)
            if shndx == 0 or info >> 4 not in (1, 2, 10) or other & 3 in (1, 2):
                continue  # undefined, local, or hidden/internal
            if shndx == 0xFFF1 and info & 0xF == 1:
                continue  # SHN_ABS objects: the version nodes of src/simdrop.map (SIMDROP_1.0 ...)
            end = data.index(b"\0", stroff + name)
            names.add(data[stroff + name:end].decode())
    return names


def pe_directories(data):
    """(offset of an RVA in the file, [(rva, size) of each data directory]) of a PE image."""
    pe, = struct.unpack_from("<I", data, 0x3C)
    nsections, = struct.unpack_from("<H", data, pe + 6)
    optsize, = struct.unpack_from("<H", data, pe + 20)
    opt = pe + 24
    magic, = struct.unpack_from("<H", data, opt)
    first = opt + (112 if magic == 0x20B else 96)
    directories = [struct.unpack_from("<II", data, first + 8 * i) for i in range(2)]
    sections = [struct.unpack_from("<IIII", data, opt + optsize + 40 * i + 8) for i in range(nsections)]

    def offset(rva):
        for vsize, vaddr, rawsize, rawptr in sections:
            if vaddr <= rva < vaddr + max(vsize, rawsize):
                return rva - vaddr + rawptr
        raise ValueError("RVA %#x is in no section" % rva)
    return offset, directories


def c_string(data, at):
    return data[at:data.index(b"\0", at)].decode()


def pe_exports(data):
    offset, ((export_rva, _), _) = pe_directories(data)
    if not export_rva:
        return set()
    nnames, = struct.unpack_from("<I", data, offset(export_rva) + 24)
    names_rva, = struct.unpack_from("<I", data, offset(export_rva) + 32)
    names = set()
    for i in range(nnames):
        rva, = struct.unpack_from("<I", data, offset(names_rva) + 4 * i)
        names.add(c_string(data, offset(rva)))
    return names


def pe_imported_dlls(data):
    """The DLLs a PE image imports from (its import descriptors, 20 bytes each, zero-ended)."""
    offset, (_, (import_rva, _)) = pe_directories(data)
    dlls, at = [], offset(import_rva) if import_rva else None
    while at is not None:
        name_rva, = struct.unpack_from("<I", data, at + 12)
        if not name_rva:
            break
        dlls.append(c_string(data, offset(name_rva)))
        at += 20
    return dlls


# What a DLL may import: Windows' own. A mingw DLL that imports libgcc_s_seh-1.dll or
# libwinpthread-1.dll does not start where only it was installed (meson.build links libgcc in).
SYSTEM_DLL = re.compile(r"(kernel32|msvcrt|ucrtbase|ntdll|advapi32|api-ms-win-.*)\.dll", re.I)


def main():
    header, library = sys.argv[1], sys.argv[2]
    data = open(library, "rb").read()
    if data[:4] == b"\x7fELF":
        exported = elf_exports(data)
    elif data[:2] == b"MZ":
        exported = pe_exports(data)
        dlls = pe_imported_dlls(data)
        print("%s imports from %s" % (library, ", ".join(dlls)))
        others = [d for d in dlls if not SYSTEM_DLL.fullmatch(d)]
        if others or not dlls:
            sys.exit("%s imports from DLLs that are not Windows' own: %s" % (library, ", ".join(others)))
    else:
        sys.exit("%s: neither ELF nor PE" % library)
    api = header_api(header)
    print("%s: %d exported symbols; %s: %d SIMDROP_API functions" % (library, len(exported), header, len(api)))
    for name in sorted(exported - api):
        print("exported but not API: " + name)
    for name in sorted(api - exported):
        print("API but not exported: " + name)
    sys.exit(0 if exported == api and api else 1)


if __name__ == "__main__":
    main()
