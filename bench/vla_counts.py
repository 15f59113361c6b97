#!/usr/bin/python3
"""vla_counts.py: instructions per element of the scalable-vector paths (sve, rvv) against neon, counted under qemu-user.

Speed cannot be measured under emulation, and callgrind does not run there, so this counts what
the emulated CPU executes: qemu-user logs every translation block it translates (-d in_asm: its
guest instructions) and, with chaining off, every block it executes (-d exec,nochain); the sum
over executed blocks of their instruction counts is the dynamic instruction count of the run.
Each operation runs once and twice over the same N elements (bench/icount.c, one thread, offset
0, p = 0.1); (count(2 calls) - count(1 call)) / N is its cost per element, the walk, block
seeding and kernel together, as the benchmark report counts instructions on real CPUs; loading,
dispatch and filling the inputs cancel out. Builds its own cross build directories (build-icount-<arch>) and writes the
table to report/VLA_INSTRUCTIONS.md (or stdout with --stdout).

    /usr/bin/python3 bench/vla_counts.py [--stdout]
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 16 * 4096
OPERATIONS = ["forward_f32", "forward_f32_nomask", "backward_f32", "forward_bf16", "forward_f16",
              "forward_f64", "bias_dropout_add_f32", "mask"]
# (column, build arch, path, qemu -cpu): neon is 128 bits whatever the CPU's SVE length.
COLUMNS = [("neon", "aarch64", "neon", "max,sve-max-vq=1")]
COLUMNS += [(f"{path} {bits}", "aarch64", path, f"max,sve-max-vq={bits // 128}")
            for path in ("sve", "sve2") for bits in (128, 256, 512)]
COLUMNS += [(f"rvv {bits}", "riscv64", "rvv", f"rv64,v=true,vlen={bits},vext_spec=v1.0")
            for bits in (128, 256, 512)]
RATIOS = ["sve 128", "sve2 128", "rvv 128"]  # against neon, the same 128 bits
ARCHES = {"aarch64": ("cross/aarch64-linux-gnu.ini", "qemu-aarch64"),
          "riscv64": ("cross/riscv64-linux-gnu.ini", "qemu-riscv64")}
INSN = re.compile(r"^0x([0-9a-f]+):")
TRACE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")


def build(arch):
    """The build directory of arch with the library and bench/icount, set up once."""
    bdir = os.path.join(ROOT, "build-icount-" + arch)
    if not os.path.isdir(bdir):
        subprocess.run(["meson", "setup", bdir, "--cross-file", ARCHES[arch][0], "-Dtests=false",
                        "-Dbench=disabled", "-Dsimde_emulation=disabled"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", bdir, "bench/icount"], check=True, stdout=subprocess.DEVNULL)
    return bdir


def executed(log):
    """Guest instructions executed, from a qemu -d in_asm,exec,nochain log."""
    size, block, pc = {}, None, None
    total = 0
    with open(log, errors="replace") as f:
        for line in f:
            m = TRACE.match(line)
            if m:
                total += size[int(m.group(1), 16)]
                continue
            if line.startswith("IN:"):
                block = None
                continue
            m = INSN.match(line)
            if m:
                pc = int(m.group(1), 16)
                if block is None:
                    block = pc
                    size[block] = 0
                size[block] += 1
    return total


def count(arch, bdir, path, cpu, op, calls):
    qemu = ARCHES[arch][1]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "qemu.log")
        env = dict(os.environ, LD_LIBRARY_PATH=bdir, QEMU_CPU=cpu)
        subprocess.run([qemu, "-L", "/usr/" + arch + "-linux-gnu", "-d", "in_asm,exec,nochain",
                        "-D", log, os.path.join(bdir, "bench", "icount"), path, op, str(N), str(calls)],
                       env=env, check=True)
        return executed(log)


def per_element(arch, bdir, path, cpu, op):
    return (count(arch, bdir, path, cpu, op, 2) - count(arch, bdir, path, cpu, op, 1)) / N


def versions():
    def first_line(cmd):
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    return [first_line(["qemu-aarch64", "--version"]),
            first_line(["aarch64-linux-gnu-gcc", "--version"]),
            first_line(["clang-16", "--version"])]


def table(counts):
    head = ("| operation | " + " | ".join(c[0] for c in COLUMNS) + " | " +
            " | ".join(r + " / neon" for r in RATIOS) + " |")
    lines = [head, "|" + "---|" * (len(COLUMNS) + len(RATIOS) + 1)]
    for op in OPERATIONS:
        cells = [f"{counts[(op, c[0])]:.2f}" for c in COLUMNS]
        cells += [f"{counts[(op, r)] / counts[(op, 'neon')]:.2f}" for r in RATIOS]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return lines


def main():
    dirs = {arch: build(arch) for arch in ARCHES}
    counts = {}
    for op in OPERATIONS:
        for col, arch, path, cpu in COLUMNS:
            counts[(op, col)] = per_element(arch, dirs[arch], path, cpu, op)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    doc = ["# Scalable-vector paths: instructions per element", "",
           "Made by `/usr/bin/python3 bench/vla_counts.py` from `" + commit + "`. The sve and rvv "
           "paths run here only under qemu-user, where time means nothing and callgrind does not "
           "run, so this counts instructions instead: qemu logs the guest instructions of every "
           "block it translates (`-d in_asm`) and every block it executes (`-d exec,nochain`), "
           "and their sum is the dynamic instruction count. Each operation runs once and twice "
           f"over the same {N} elements (`bench/icount.c`: one thread, offset 0, p = 0.1); the "
           "difference of the two counts over the elements is the instructions per element of the whole call (walk, block seeding, kernel), as the "
           "benchmark report counts them on real CPUs. Columns: the path and its vector length "
           "in bits (qemu `-cpu max,sve-max-vq=1|2|4` and `-cpu rv64,v=true,vlen=128|256|512`); "
           "neon is 128 bits.", "",
           "Tools: " + "; ".join(versions()) + ".", ""]
    doc += table(counts)
    doc += ["", "At 128 bits a column below 1.00 in the ratios is fewer instructions than NEON for "
            "the same elements; longer vectors divide the vector work by the chunks saved "
            "(4, 2, 1 chunks of the 16 lanes at 128, 256, 512 bits), not the scalar work of the "
            "walk.", ""]
    text = "\n".join(doc)
    if "--stdout" in sys.argv[1:]:
        print(text, end="")
    else:
        with open(os.path.join(ROOT, "report", "VLA_INSTRUCTIONS.md"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
