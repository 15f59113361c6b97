"""machine.py: what the machine and the build are, as this run finds them.

The CPU (lscpu, /proc/cpuinfo), the CPU features the library detected (its own report where the
build has one; else /proc/cpuinfo's flags, labelled as such), which native conversion instructions
the built library contains (objdump), and the compiler flags (compile_commands.json).
"""
import glob
import json
import os
import platform
import re
import shlex
import subprocess

# The features the report names, by their /proc/cpuinfo spelling (x86, then AArch64). Feature
# names are compared without case, "_" or "-", so "avx512_bf16", "AVX512BF16" and "avx512-bf16" match.
RELEVANT_FEATURES = ["sse2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
                     "avx512fp16", "avx512_vbmi2", "gfni", "neon", "asimd", "fp16", "fphp", "asimdhp", "bf16",
                     "sve", "sve2"]

# Instructions whose presence in the library says it uses a feature for a conversion:
# feature -> (its name in prose, the mnemonics, what they do for simdrop).
CONVERSION_INSTRUCTIONS = {
    # simdrop's avx512bf16 path rounds two groups at once with the two-source form
    "avx512_bf16": ("AVX512-BF16", ["vcvtne2ps2bf16", "vcvtneps2bf16"], "float to bf16 rounding"),
    "f16c": ("F16C", ["vcvtps2ph", "vcvtph2ps"], "float <-> f16 conversion"),
    "avx512fp16": ("AVX512-FP16", ["vcvtps2phx", "vcvtph2psx"], "float <-> f16 conversion"),
}


def norm(feature):
    return re.sub(r"[-_\s]", "", feature.lower())


def run_text(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def key_values(text, sep=":"):
    """The first value of each "key: value" line."""
    out = {}
    for line in text.splitlines():
        if sep in line:
            key, value = (s.strip() for s in line.split(sep, 1))
            out.setdefault(key, value)
    return out


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def getconf_caches():
    """Cache sizes from glibc (cpuid), for VMs where lscpu and sysfs show none."""
    conf = dict(line.split(None, 1) for line in run_text(["getconf", "-a"]).splitlines()
                if "CACHE_SIZE" in line and len(line.split()) == 2)
    names = [("LEVEL1_DCACHE_SIZE", "L1d"), ("LEVEL2_CACHE_SIZE", "L2"), ("LEVEL3_CACHE_SIZE", "L3")]
    return ", ".join(f"{label} {int(conf[key]) // 1024} KiB" for key, label in names
                     if conf.get(key, "0").isdigit() and int(conf[key]) > 0)


def cpu_info():
    """The CPU as lscpu and /proc/cpuinfo describe it; "flags" are all of cpuinfo's flags."""
    info = key_values(read_text("/proc/cpuinfo"))
    lscpu = key_values(run_text(["lscpu"]))
    flags = info.get("flags", info.get("Features", lscpu.get("Flags", ""))).split()
    family = info.get("cpu family", lscpu.get("CPU family", "?"))
    vendor = info.get("vendor_id", lscpu.get("Vendor ID", "?"))
    model = info.get("model name", lscpu.get("Model name", platform.processor() or "unknown"))
    return {
        "model": lscpu.get("Model name", model), "vendor": vendor, "family": family,
        "model_id": info.get("model", lscpu.get("Model", "?")), "arch": platform.machine(),
        "hypervisor": lscpu.get("Hypervisor vendor") or ("unnamed hypervisor" if "hypervisor" in flags else None),
        "caches": ", ".join(f"{k.split()[0]} {lscpu[k]}" for k in
                            ("L1d cache", "L1i cache", "L2 cache", "L3 cache") if k in lscpu) or getconf_caches(),
        "flags": flags,
        # AMD family 0x19 is Zen 3/4, 0x1a is Zen 5: the name alone ("AMD EPYC") may not say.
        "zen": {"23": "Zen / Zen 2", "25": "Zen 3 / Zen 4", "26": "Zen 5"}.get(family) if "AMD" in vendor else None,
    }


def detected_features(cpu, library_report=None):
    """{"source", "label", "from_library", "names"}: the features the library reports it detected
    (library_report: the output of its feature tool, names separated by spaces, commas or lines,
    # comments skipped), else the CPU's /proc/cpuinfo flags, labelled as a fallback."""
    text = read_text(library_report) if library_report else ""
    names = [w for line in text.splitlines() if not line.lstrip().startswith("#")
             for w in re.split(r"[\s,]+", line) if w]
    if names:
        return {"source": "library", "from_library": True, "names": names,
                "label": "as the library detected them (its feature report)"}
    return {"source": "cpuinfo", "from_library": False, "names": cpu["flags"],
            "label": "from /proc/cpuinfo's flags (fallback: this build reports no detected features), "
                     "not necessarily what the library checks"}


def has_feature(features, name):
    """True or False by the detected features; None where the source cannot say (no names)."""
    if not features or not features["names"]:
        return None
    return norm(name) in {norm(f) for f in features["names"]}


def relevant(features):
    """The features worth naming, spelled as their source spells them: all the library reports,
    the ones of RELEVANT_FEATURES among /proc/cpuinfo's many flags."""
    if features["from_library"]:
        return features["names"]
    wanted = {norm(f) for f in RELEVANT_FEATURES}
    return [f for f in features["names"] if norm(f) in wanted]


def library_file(build_dir):
    found = sorted(glob.glob(os.path.join(build_dir, "libsimdrop.so*")) +
                   glob.glob(os.path.join(build_dir, "libsimdrop*.dll")), key=len)
    return found[0] if found else None


def native_instructions(build_dir):
    """{"library": file, "tool": "objdump", "present": {feature: bool}} for CONVERSION_INSTRUCTIONS,
    from the disassembly of the built library; present is empty where objdump could not read it."""
    lib = library_file(build_dir)
    text = run_text(["objdump", "-d", "--no-show-raw-insn", lib]) if lib else ""
    mnemonics = set(re.findall(r"^\s*[0-9a-f]+:\s+(\S+)", text, re.M))
    present = {f: any(m in mnemonics for m in insns) for f, (_, insns, _) in CONVERSION_INSTRUCTIONS.items()} \
        if mnemonics else {}
    return {"library": os.path.basename(lib) if lib else None, "tool": "objdump", "present": present}


def build_flags(build_dir):
    """Compiler and the flags each object of interest was built with, from compile_commands."""
    try:
        with open(os.path.join(build_dir, "compile_commands.json")) as f:
            commands = json.load(f)
    except OSError:
        return "unknown", []
    keep = re.compile(r"^(-O\S*|-m\S+|-f(no-)?(fp-contract|fast-math|PIC)\S*|-std=\S+|-DSIMDROP_EMULATED|-DNDEBUG)$")
    rows, compilers = [], {}
    for c in commands:
        args = shlex.split(c["command"]) if "command" in c else c["arguments"]
        obj = next((args[i + 1] for i, a in enumerate(args) if a == "-o" and i + 1 < len(args)), "")
        # The library, the kernels, the suite and checkasm; not the other tests.
        if obj.startswith("tests/") and "checkasm" not in obj:
            continue
        rows.append((os.path.basename(obj.split(".p/")[0]) + ": " + os.path.basename(c["file"]),
                     " ".join(a for a in args if keep.match(a))))
        compilers[args[0]] = None
    versions = []
    for cc in compilers:
        first = run_text([cc, "--version"]).splitlines()
        versions.append(f"{cc}: {first[0] if first else '?'}")
    return "; ".join(versions), rows


def describe(build_dir, library_report=None):
    """Everything above in one dict (written to raw/machine.json beside the report)."""
    cpu = cpu_info()
    compiler, flag_rows = build_flags(build_dir)
    return {"cpu": cpu, "features": detected_features(cpu, library_report),
            "native": native_instructions(build_dir), "compiler": compiler, "flag_rows": flag_rows}
