#!/usr/bin/python3
"""loop_insns.py: instructions per element of each kernel's inner loops, counted in a disassembly.

Usage: tools/loop_insns.py OBJDUMP LIBRARY FUNCTION... (e.g. aarch64-linux-gnu-objdump
build-arm/libsimdrop.so forward_neon mask_neon backward_neon). A loop is the span from a backward
conditional branch's target to the branch; every loop of these kernels handles one round of 32 elements.
"""
import re
import subprocess
import sys

ELEMENTS_PER_ITERATION = 32


def disassemble(objdump, library, function):
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", library],
                         capture_output=True, text=True, check=True).stdout
    body = re.search(r"^[0-9a-f]+ <%s>:\n(.*?)(?:\n\n|\Z)" % re.escape(function), out, re.S | re.M)
    if not body:
        sys.exit("%s not found in %s" % (function, library))
    insns = []
    for line in body.group(1).splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return insns


def loops(insns):
    addresses = [a for a, _, _ in insns]
    for i, (addr, op, args) in enumerate(insns):
        target = re.match(r"([0-9a-f]+)\s+<", args)
        conditional = (op.startswith("b.") or op.startswith("cb") or op.startswith("tb")
                       or (op.startswith("j") and op not in ("jmp", "jmpq")))
        if conditional and target:
            dest = int(target.group(1), 16)
            if dest < addr and dest in addresses:
                yield dest, addr, i - addresses.index(dest) + 1


def main():
    objdump, library, functions = sys.argv[1], sys.argv[2], sys.argv[3:]
    for function in functions:
        for start, end, count in loops(disassemble(objdump, library, function)):
            print("%-16s loop %x-%x: %3d instructions / %d elements = %.2f per element"
                  % (function, start, end, count, ELEMENTS_PER_ITERATION,
                     count / ELEMENTS_PER_ITERATION))


if __name__ == "__main__":
    main()
