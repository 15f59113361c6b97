#!/usr/bin/python3
"""report.py: turns the benchmark JSON, checkasm's verification and the PyTorch timings into REPORT.md and throughput.png.

Called by bench/report.sh, which says where they go (--out); only Debian packages (python3-matplotlib)
and the standard library.
Benchmark names follow bench/simdrop_bench.cpp: "<op>_<dtype>/<path>/n:<n>/p_pct:<100p>[/group_len:<L>]",
"mask/<path>/n:<n>/p_pct:<100p>", "memcpy_<dtype>/n:<n>", "twopass_forward_f32|twopass_backward_f32/n:<n>/p_pct:<100p>",
"unfused_bias_dropout_add_f32/<path>/n:<n>/p_pct:<100p>".
The verification is `checkasm --verify` output (VERIFY and VERIFY_TOTAL lines); the PyTorch timings
are bench/torch_bench.py's JSON. Optional notes explaining missed targets: bench/target_notes.txt.
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess

DTYPES = ["f32", "f64", "bf16", "f16"]
DTYPE_BYTES = {"f32": 4, "f64": 8, "bf16": 2, "f16": 2}

# ---- the f32 element operations (every path, every size) -------------------------------------
OPS = ["forward_mask", "forward", "backward", "backward_regen", "mask"]
OP_TITLES = {
    "forward_mask": "forward, storing the bitmask",
    "forward": "forward without mask",
    "backward": "backward from the bitmask",
    "backward_regen": "backward regenerating the mask",
    "mask": "bitmask only",
}
# The unfused baseline each operation is measured against (mask only has none: it is one pass).
TWOPASS_OF = {"forward_mask": "twopass_forward", "forward": "twopass_forward",
              "backward_regen": "twopass_forward", "backward": "twopass_backward"}
FLOAT_OPS = {"forward_mask", "forward", "backward", "backward_regen"}

# The project's f32 speed targets, p = 0.1: (label, operation, n, what the ratio is against, minimum).
TARGETS = [
    ("forward with mask, 64K: x PyTorch", "forward_mask", 65536, "torch", 35.0),
    ("forward with mask, 64K: x memcpy", "forward_mask", 65536, "memcpy", 0.40),
    ("forward with mask, 16M: x memcpy", "forward_mask", 16 << 20, "memcpy", 0.95),
    ("forward with mask, 64M: x memcpy", "forward_mask", 64 << 20, "memcpy", 0.90),
    ("backward from mask, 16M: x memcpy", "backward", 16 << 20, "memcpy", 0.90),
    ("backward from mask, 64K: x memcpy", "backward", 65536, "memcpy", 0.35),
]

# ---- the engine operations (auto path, the next path below it and scalar; p = 0.1) -----------
# (op, dtype, group_len, title); group_len None where the operation has none.
ELEMENT_OPS = ["forward_mask", "forward", "backward", "backward_regen"]
ENGINE_OPS = [(op, dt, None, f"{OP_TITLES[op]}, {dt}") for dt in ("f64", "bf16", "f16") for op in ELEMENT_OPS] + [
    ("groups_forward", "f32", 1024, "group dropout forward with mask, group_len 1024 (Dropout2d 32x32)"),
    ("groups_backward", "f32", 1024, "group dropout backward from the mask, group_len 1024"),
    ("groups_forward", "f32", 4, "group dropout forward with mask, group_len 4"),
    ("groups_backward", "f32", 4, "group dropout backward from the mask, group_len 4"),
    ("alpha_forward", "f32", None, "alpha dropout forward with mask (element)"),
    ("alpha_backward", "f32", None, "alpha dropout backward from the mask"),
    ("bias_dropout_add", "f32", None, "fused residual + dropout(x + bias), with mask"),
    ("bias_dropout_add_backward", "f32", None, "its backward from the mask, with dbias"),
    ("unfused_bias_dropout_add", "f32", None, "unfused: bias loop, simdrop_forward_f32, residual loop"),
    ("bias_dropout_add", "bf16", None, "fused residual + dropout(x + bias), with mask"),
    ("bias_dropout_add_backward", "bf16", None, "its backward from the mask, with dbias (float)"),
]
# simdrop operation -> the PyTorch operation it replaces (bench/torch_bench.py's names).
TORCH_OF = {("forward_mask", "f32", None): ("dropout", "f32"),
            ("forward_mask", "f64", None): ("dropout", "f64"),
            ("forward_mask", "bf16", None): ("dropout", "bf16"),
            ("forward_mask", "f16", None): ("dropout", "f16"),
            ("groups_forward", "f32", 1024): ("dropout2d", "f32"),
            ("alpha_forward", "f32", None): ("alpha_dropout", "f32"),
            ("bias_dropout_add", "f32", None): ("bias_dropout_add", "f32")}
TORCH_TITLES = {"dropout": "F.dropout(x, p, training=True)",
                "alpha_dropout": "F.alpha_dropout(x, p, training=True)",
                "dropout2d": "F.dropout2d(x, p, training=True) on (N, C, 32, 32)",
                "bias_dropout_add": "r + F.dropout(x + b, p, training=True), b broadcast along rows",
                "dropout_fwd_bwd": "F.dropout forward + autograd backward",
                "bias_dropout_add_fwd_bwd": "r + F.dropout(x + b) forward + autograd backward (x.grad, b.grad)"}
# Forward + backward pairs: the PyTorch training step against simdrop's two calls.
FWD_BWD = [("dropout_fwd_bwd", ("forward_mask", "f32", None), ("backward", "f32", None)),
           ("bias_dropout_add_fwd_bwd", ("bias_dropout_add", "f32", None),
            ("bias_dropout_add_backward", "f32", None))]

N16M, N64K = 16 << 20, 65536
# The engine targets, p = 0.1, auto path, one thread: (id, label, case, n, against, minimum).
# A case is (op, dtype, group_len); against: "memcpy" (of the case's dtype), "unfused",
# "torch", or a case (the same path and n).
F32_FWD = ("forward_mask", "f32", None)
ENGINE_TARGETS = [
    ("bf16_fwd_16M", "bf16 forward with mask, 16M: x memcpy of the same bytes",
     ("forward_mask", "bf16", None), N16M, "memcpy", 0.9),
    ("f16_fwd_16M", "f16 forward with mask, 16M: x memcpy of the same bytes",
     ("forward_mask", "f16", None), N16M, "memcpy", 0.9),
    ("f64_fwd_16M", "f64 forward with mask, 16M: x memcpy of the same bytes",
     ("forward_mask", "f64", None), N16M, "memcpy", 0.95),
    ("groups1024_fwd_16M", "groups (group_len 1024) f32 forward with mask, 16M: x memcpy",
     ("groups_forward", "f32", 1024), N16M, "memcpy", 0.9),
    ("alpha_fwd_16M", "alpha f32 forward with mask, 16M: x memcpy",
     ("alpha_forward", "f32", None), N16M, "memcpy", 0.9),
    ("bda_vs_unfused_16M", "fused bias+dropout+residual f32, 16M: x unfused (3 passes)",
     ("bias_dropout_add", "f32", None), N16M, "unfused", 1.6),
    ("bda_vs_torch_16M", "fused bias+dropout+residual f32, 16M: x PyTorch r + F.dropout(x + b)",
     ("bias_dropout_add", "f32", None), N16M, "torch", 30.0),
] + [
    (tid, f"{title}, 64K: x f32 forward with mask, same path", (op, dt, glen), N64K, F32_FWD, 0.7)
    for tid, op, dt, glen, title in [
        ("f64_fwd_64K", "forward_mask", "f64", None, "f64 forward with mask"),
        ("bf16_fwd_64K", "forward_mask", "bf16", None, "bf16 forward with mask"),
        ("f16_fwd_64K", "forward_mask", "f16", None, "f16 forward with mask"),
        ("groups1024_fwd_64K", "groups_forward", "f32", 1024, "groups (group_len 1024) f32 forward"),
        ("groups4_fwd_64K", "groups_forward", "f32", 4, "groups (group_len 4) f32 forward"),
        ("alpha_fwd_64K", "alpha_forward", "f32", None, "alpha f32 forward"),
        ("bda_f32_64K", "bias_dropout_add", "f32", None, "fused bias+dropout+residual f32"),
        ("bda_bf16_64K", "bias_dropout_add", "bf16", None, "fused bias+dropout+residual bf16"),
    ]]


def size_label(n):
    for unit, shift in (("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def case_label(op, dt, glen):
    return f"{op}_{dt}" + (f" (group_len {glen})" if glen else "") if dt else op


# ---- inputs ---------------------------------------------------------------------------------

def split_dtype(name):
    """("forward_mask", "bf16") from "forward_mask_bf16"; (name, None) without a dtype suffix."""
    for dt in DTYPES:
        if name.endswith("_" + dt):
            return name[:-len(dt) - 1], dt
    return name, None


def parse_name(run_name):
    """(op, dtype, path, n, p, group_len) from a benchmark name; path None for memcpy and the
    two-pass baselines, p None for memcpy, group_len None except for group operations."""
    parts = run_name.split("/")
    args = dict(part.split(":", 1) for part in parts if ":" in part)
    # Google Benchmark appends modifiers such as "real_time" to the name; they are not ours.
    plain = [part for part in parts if ":" not in part and part not in ("real_time", "manual_time")]
    op, dt = split_dtype(plain[0])
    path = plain[1] if len(plain) > 1 else None
    p = int(args["p_pct"]) / 100 if "p_pct" in args else None
    glen = int(args["group_len"]) if "group_len" in args else None
    return op, dt, path, int(args["n"]), p, glen


def load_bench(path):
    """{(op, dtype, path, n, p, group_len): stats} with median rates, and the spread of the repetitions."""
    with open(path) as f:
        data = json.load(f)
    runs, aggs, errors = {}, {}, []
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors.append(f"{name}: {b.get('error_message', '')}")
            continue
        if b.get("run_type") == "aggregate":
            aggs.setdefault(name, {})[b["aggregate_name"]] = b
        else:
            runs.setdefault(name, []).append(b)
    cases = {}
    for name, reps in runs.items():
        times = [r["cpu_time"] for r in reps]  # the rates come from CPU time too
        med = statistics.median(times)
        # Google Benchmark's own median aggregate where there are repetitions, else the one run.
        median = aggs.get(name, {}).get("median")
        rate = (lambda key: median[key]) if median else \
            (lambda key: statistics.median(r[key] for r in reps))
        cases[parse_name(name)] = {
            "items": rate("items_per_second"), "bytes": rate("bytes_per_second"), "reps": len(reps),
            "best": max(r["items_per_second"] for r in reps),
            "spread": (max(times) - min(times)) / med if med else 0.0,
        }
    return data.get("context", {}), cases, errors


def load_verify(path):
    paths, total = [], None
    if not path or not os.path.exists(path):
        return paths, total
    with open(path) as f:
        for line in f:
            fields = dict(re.findall(r"(\w+)=(\S+)", line))
            if line.startswith("VERIFY "):
                paths.append(fields)
            elif line.startswith("VERIFY_TOTAL "):
                total = fields
    return paths, total


def load_torch(path):
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def load_notes(path):
    """{target id: note} from lines "id: note" (# comments and blank lines skipped)."""
    notes = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and ":" in line:
                    key, note = line.split(":", 1)
                    notes[key.strip()] = note.strip()
    return notes


# ---- machine --------------------------------------------------------------------------------

def run_text(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def getconf_caches():
    """Cache sizes from glibc (cpuid), for VMs where lscpu and sysfs show none."""
    conf = dict(line.split(None, 1) for line in run_text(["getconf", "-a"]).splitlines()
                if "CACHE_SIZE" in line and len(line.split()) == 2)
    names = [("LEVEL1_DCACHE_SIZE", "L1d"), ("LEVEL2_CACHE_SIZE", "L2"), ("LEVEL3_CACHE_SIZE", "L3")]
    return ", ".join(f"{label} {int(conf[key]) // 1024} KiB" for key, label in names
                     if conf.get(key, "0").isdigit() and int(conf[key]) > 0)


def cpu_info():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    key, value = (s.strip() for s in line.split(":", 1))
                    info.setdefault(key, value)
    except OSError:
        pass
    lscpu = dict((s.strip() for s in line.split(":", 1))
                 for line in run_text(["lscpu"]).splitlines() if ":" in line)
    flags = set(info.get("flags", lscpu.get("Flags", "")).split())
    wanted = ["sse2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
              "avx512fp16", "asimd"]
    family = info.get("cpu family", lscpu.get("CPU family", "?"))
    vendor = info.get("vendor_id", lscpu.get("Vendor ID", "?"))
    model = info.get("model name", lscpu.get("Model name", platform.processor() or "unknown"))
    return {
        "model": model,
        "lscpu_model": lscpu.get("Model name", model),
        "vendor": vendor,
        "family": family, "model_id": info.get("model", lscpu.get("Model", "?")),
        "hypervisor": lscpu.get("Hypervisor vendor") or
                      ("unnamed hypervisor" if "hypervisor" in flags else "bare metal"),
        "caches": ", ".join(f"{k.split()[0]} {lscpu[k]}" for k in
                            ("L1d cache", "L1i cache", "L2 cache", "L3 cache") if k in lscpu)
                  or getconf_caches(),
        "flags": [f for f in wanted if f in flags],
        # AMD family 0x19 is Zen 3/4, 0x1a is Zen 5: the name alone ("AMD EPYC") may not say.
        "zen": {"23": "Zen / Zen 2", "25": "Zen 3 / Zen 4", "26": "Zen 5"}.get(family)
               if "AMD" in vendor else None,
    }


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
        flags = " ".join(a for a in args if keep.match(a))
        rows.append((os.path.basename(obj.split(".p/")[0]) + ": " + os.path.basename(c["file"]), flags))
        compilers[args[0]] = None
    versions = []
    for cc in compilers:
        first = run_text([cc, "--version"]).splitlines()
        versions.append(f"{cc}: {first[0] if first else '?'}")
    return "; ".join(versions), rows


# ---- tables ---------------------------------------------------------------------------------

def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def xfmt(value):
    return "n/a" if value is None else f"{value:.2f}x"


class Results:
    def __init__(self, cases, torch):
        self.cases = cases
        self.torch, self.torch_best = {}, {}
        for r in (torch or {}).get("results", []):
            key = (r.get("op", "dropout"), r.get("dtype", "f32"), r["n"], round(r["p"], 2))
            self.torch[key] = r["n"] / r["median_s"]
            self.torch_best[key] = r["n"] / r["min_s"]

    def get(self, op, dt, path, n, p, glen=None, key="items"):
        c = self.cases.get((op, dt, path, n, p, glen))
        return c[key] if c else None

    # The f32 element operations (and the dtype-free bitmask).
    def items(self, op, path, n, p, key="items"):
        return self.get(op, None if op == "mask" else "f32", path, n, p, None, key)

    def memcpy(self, n, key="items", dt="f32"):
        return self.get("memcpy", dt, None, n, None, None, key)

    def torch_rate(self, op, dt, n, p, key="items"):
        return (self.torch_best if key == "best" else self.torch).get((op, dt, n, round(p, 2)))

    def ratio(self, op, path, n, p, against, key="items"):
        """Rate of an f32 case over a baseline's; key "best" compares the fastest repetitions."""
        mine = self.items(op, path, n, p, key)
        if against == "memcpy":
            other = self.memcpy(n, key)
        elif against == "torch":
            other = self.torch_rate("dropout", "f32", n, p)
        elif against == "scalar":
            other = self.items(op, "scalar", n, p)
        else:
            other = self.get(TWOPASS_OF.get(op), "f32", None, n, p) if op in TWOPASS_OF else None
        return mine / other if mine and other else None

    def engine_ratio(self, case, path, n, p, against, key="items"):
        """Rate of an engine case over memcpy of its dtype, the unfused composition, PyTorch's
        counterpart or another case on the same path."""
        op, dt, glen = case
        mine = self.get(op, dt, path, n, p, glen, key)
        if against == "memcpy":
            other = self.memcpy(n, key, dt)
        elif against == "unfused":
            other = self.get("unfused_" + op, dt, path, n, p, None, key)
        elif against == "torch":
            t = TORCH_OF.get(case)
            other = self.torch_rate(t[0], t[1], n, p, key) if t else None
        elif against == "scalar":
            other = self.get(op, dt, "scalar", n, p, glen)
        else:
            other = self.get(against[0], against[1], path, n, p, against[2], key)
        return mine / other if mine and other else None


def targets_table(res, paths):
    vector = [p for p in paths if p != "scalar"]
    lines = ["| target (p = 0.1) | needs | " + " | ".join(vector) + " |",
             "|---|---|" + "---|" * len(vector)]
    for label, op, n, against, minimum in TARGETS:
        cells = []
        for path in vector:
            r = res.ratio(op, path, n, 0.1, against)
            best = res.ratio(op, path, n, 0.1, against, "best") if against == "memcpy" else None
            cells.append("not measured" if r is None else
                         f"{r:.2f}x {'met' if r >= minimum else '**missed**'}"
                         + (f" (best {best:.2f}x)" if best else ""))
        lines.append(f"| {label} | >= {minimum:g}x | " + " | ".join(cells) + " |")
    return lines


def verdict(r, minimum):
    """"met", or how far below the target a ratio is."""
    if r is None:
        return "not measured"
    if r >= minimum:
        return "met"
    return f"**missed** by {minimum - r:.2f}x ({100 * (1 - r / minimum):.0f}% short)"


def engine_targets(res, auto):
    """[(id, label, minimum, ratio, best ratio)] on the auto path at p = 0.1."""
    out = []
    for tid, label, case, n, against, minimum in ENGINE_TARGETS:
        out.append((tid, label, minimum, res.engine_ratio(case, auto, n, 0.1, against),
                    res.engine_ratio(case, auto, n, 0.1, against, "best")))
    return out


def engine_targets_table(rows, notes):
    lines = ["| id | target (p = 0.1, auto path) | needs | measured | best reps | result | why (if missed) |",
             "|---|---|---|---:|---:|---|---|"]
    for tid, label, minimum, r, best in rows:
        note = notes.get(tid, "")
        if r is not None and r < minimum and not note:
            note = f"_not yet explained (add `{tid}: ...` to bench/target_notes.txt)_"
        lines.append(f"| `{tid}` | {label} | >= {minimum:g}x | {xfmt(r)} | {xfmt(best)} | "
                     f"{verdict(r, minimum)} | {note} |")
    return lines


def overview_table(res, paths, sizes):
    cols = paths + ["two-pass", "memcpy", "PyTorch"]
    lines = ["| operation | n | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
    for op in OPS:
        for n in sizes:
            cells = [fmt(res.items(op, path, n, 0.1) and res.items(op, path, n, 0.1) / 1e9)
                     for path in paths]
            two = res.get(TWOPASS_OF[op], "f32", None, n, 0.1) if op in TWOPASS_OF else None
            cells.append(fmt(two and two / 1e9))
            cells.append(fmt(res.memcpy(n) / 1e9) if op in FLOAT_OPS and res.memcpy(n) else "")
            t = res.torch_rate("dropout", "f32", n, 0.1) if op == "forward_mask" else None
            cells.append(fmt(t and t / 1e9, 3) if t else "")
            lines.append(f"| {op} | {size_label(n)} | " + " | ".join(cells) + " |")
    return lines


def engine_overview_table(res, epaths, esizes, auto):
    cols = epaths + ["memcpy (same bytes)", f"x memcpy ({auto})", "PyTorch", f"x PyTorch ({auto})"]
    lines = ["| operation | n | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
    for op, dt, glen, _ in ENGINE_OPS:
        for n in esizes:
            if not any(res.get(op, dt, path, n, 0.1, glen) for path in epaths):
                continue
            cells = [fmt(res.get(op, dt, path, n, 0.1, glen) and res.get(op, dt, path, n, 0.1, glen) / 1e9)
                     for path in epaths]
            m = res.memcpy(n, dt=dt)
            cells.append(fmt(m and m / 1e9))
            cells.append(fmt(res.engine_ratio((op, dt, glen), auto, n, 0.1, "memcpy")))
            t = TORCH_OF.get((op, dt, glen))
            tr = res.torch_rate(t[0], t[1], n, 0.1) if t else None
            cells.append(fmt(tr / 1e9, 3) if tr else "")
            cells.append(fmt(res.engine_ratio((op, dt, glen), auto, n, 0.1, "torch"), 1) if tr else "")
            lines.append(f"| {case_label(op, dt, glen)} | {size_label(n)} | " + " | ".join(cells) + " |")
    return lines


def detail_table(res, op, paths, sizes, ps):
    lines = ["| n | p | path | Gelem/s | GB/s | % of memcpy | x scalar | x two-pass | spread |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    dt = None if op == "mask" else "f32"
    for n in sizes:
        for p in ps:
            for path in paths:
                c = res.cases.get((op, dt, path, n, p, None))
                if not c:
                    continue
                pct = res.ratio(op, path, n, p, "memcpy")
                lines.append(
                    f"| {size_label(n)} | {p:g} | {path} | {c['items'] / 1e9:.3f} | {c['bytes'] / 1e9:.2f} | "
                    f"{fmt(pct and 100 * pct, 1) if op in FLOAT_OPS else '-'} | "
                    f"{fmt(res.ratio(op, path, n, p, 'scalar'))} | "
                    f"{fmt(res.ratio(op, path, n, p, 'twopass')) if op in TWOPASS_OF else '-'} | "
                    f"{100 * c['spread']:.1f}% |")
    return lines


def engine_detail_table(res, case, paths, sizes):
    op, dt, glen = case
    lines = ["| n | path | Gelem/s | GB/s | % of memcpy (same bytes) | x scalar | spread |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for n in sizes:
        for path in paths:
            c = res.cases.get((op, dt, path, n, 0.1, glen))
            if not c:
                continue
            pct = res.engine_ratio(case, path, n, 0.1, "memcpy")
            lines.append(f"| {size_label(n)} | {path} | {c['items'] / 1e9:.3f} | {c['bytes'] / 1e9:.2f} | "
                         f"{fmt(pct and 100 * pct, 1)} | {fmt(res.engine_ratio(case, path, n, 0.1, 'scalar'))} | "
                         f"{100 * c['spread']:.1f}% |")
    return lines


def baseline_table(res, sizes, ps):
    lines = ["| baseline | n | p | Gelem/s | GB/s | spread |", "|---|---|---|---:|---:|---:|"]
    for op, dt in [("memcpy", d) for d in DTYPES] + [("twopass_forward", "f32"), ("twopass_backward", "f32")]:
        for n in sizes:
            for p in ([None] if op == "memcpy" else ps):
                c = res.cases.get((op, dt, None, n, p, None))
                if c:
                    lines.append(f"| {op}_{dt} | {size_label(n)} | {'' if p is None else f'{p:g}'} | "
                                 f"{c['items'] / 1e9:.3f} | {c['bytes'] / 1e9:.2f} | {100 * c['spread']:.1f}% |")
    return lines


def torch_section(res, torch, skip_reason, paths, sizes, ps):
    if not torch:
        return [f"PyTorch was **skipped**: {skip_reason or 'python3-torch / python3-numpy did not import'}."]
    vector = [p for p in paths if p != "scalar"]
    results = torch["results"]
    lines = [f"`torch.nn.functional.dropout(x, p, training=True)`, float32, PyTorch {torch['torch_version']} "
             f"(Debian python3-torch), {torch['threads']} thread, same pinned core; median of "
             f"{results[0]['repetitions'] if results else 0} repetitions. "
             "Speedup is simdrop's forward *with* bitmask (which also stores the mask) over PyTorch.", "",
             "| n | p | PyTorch Gelem/s | " + " | ".join(f"x {p}" for p in ["scalar"] + vector) + " |",
             "|---|---|---:|" + "---:|" * (len(vector) + 1)]
    for n in sizes:
        for p in ps:
            t = res.torch_rate("dropout", "f32", n, p)
            if t is None:
                continue
            cells = [fmt(res.ratio("forward_mask", path, n, p, "torch"), 1) for path in ["scalar"] + vector]
            lines.append(f"| {size_label(n)} | {p:g} | {t / 1e9:.4f} | " + " | ".join(cells) + " |")
    return lines


def torch_engine_section(res, torch, auto, esizes):
    """PyTorch's other operations and dtypes against simdrop's counterparts on the auto path."""
    if not torch:
        return []
    lines = ["", "### Other operations and dtypes (p = 0.1)", "",
             f"simdrop on the auto path (`{auto}`), with the mask stored; forward + backward compares "
             "PyTorch's autograd step with simdrop's forward-with-mask call followed by its backward "
             "call (the two times added).", "",
             "| PyTorch operation | dtype | n | PyTorch Gelem/s | simdrop | simdrop Gelem/s | x PyTorch |",
             "|---|---|---|---:|---|---:|---:|"]
    for case, (top, tdt) in TORCH_OF.items():
        if case == ("forward_mask", "f32", None):
            continue  # the table above
        for n in esizes:
            t = res.torch_rate(top, tdt, n, 0.1)
            mine = res.get(case[0], case[1], auto, n, 0.1, case[2])
            if t is None and mine is None:
                continue
            lines.append(f"| {TORCH_TITLES[top]} | {tdt} | {size_label(n)} | {fmt(t and t / 1e9, 4)} | "
                         f"{case_label(*case)} | {fmt(mine and mine / 1e9, 3)} | "
                         f"{fmt(mine / t, 1) if mine and t else 'n/a'} |")
    for top, fwd, bwd in FWD_BWD:
        for n in esizes:
            t = res.torch_rate(top, "f32", n, 0.1)
            a, b = res.get(*fwd[:2], auto, n, 0.1, fwd[2]), res.get(*bwd[:2], auto, n, 0.1, bwd[2])
            mine = 1 / (1 / a + 1 / b) if a and b else None
            if t is None and mine is None:
                continue
            lines.append(f"| {TORCH_TITLES[top]} | f32 | {size_label(n)} | {fmt(t and t / 1e9, 4)} | "
                         f"{fwd[0]} + {bwd[0]} | {fmt(mine and mine / 1e9, 3)} | "
                         f"{fmt(mine / t, 1) if mine and t else 'n/a'} |")
    for s in torch.get("skipped", []):
        lines.append("")
        lines.append(f"PyTorch {s['op']} on {s['dtype']} is not available on the CPU: `{s['reason']}`.")
    return lines


# ---- memory speed, threads and peers ----------------------------------------------------------

# Memory-speed targets: every element operation and dtype at 16M and 64M against a memcpy of the
# same bytes, on the auto path, one thread.
MEMORY_CASES = [("forward_mask", "f32", None), ("forward", "f32", None), ("backward", "f32", None),
                ("backward_regen", "f32", None), ("forward_mask", "f64", None),
                ("forward_mask", "bf16", None), ("forward_mask", "f16", None),
                ("backward", "f64", None), ("backward", "bf16", None), ("backward", "f16", None)]
MEMORY_TARGETS = [(16 << 20, 0.95), (64 << 20, 0.9)]


def memory_targets_table(res, auto):
    lines = ["| operation | " + " | ".join(f"{size_label(n)} (needs >= {m:g}x)" for n, m in MEMORY_TARGETS)
             + " |", "|---|" + "---|" * len(MEMORY_TARGETS)]
    for op, dt, glen in MEMORY_CASES:
        cells = []
        for n, minimum in MEMORY_TARGETS:
            mine = res.get(op, dt, auto, n, 0.1, glen)
            other = res.memcpy(n, "items", dt)
            r = mine / other if mine and other else None
            cells.append("not measured" if r is None else f"{r:.2f}x {verdict(r, minimum)}")
        lines.append(f"| {case_label(op, dt, glen)} | " + " | ".join(cells) + " |")
    return lines


def load_keyvalue_lines(path, prefix):
    """Lines 'PREFIX key=value ...' as dicts (numbers converted)."""
    rows = []
    if not path or not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            if not line.startswith(prefix + " "):
                continue
            row = {}
            for item in line.split()[1:]:
                k, _, v = item.partition("=")
                try:
                    row[k] = float(v) if "." in v else int(v)
                except ValueError:
                    row[k] = v
            rows.append(row)
    return rows


def scaling_section(rows, png):
    if not rows:
        return ["No thread-scaling run in this report."]
    n = rows[0]["n"]
    lines = [f"One call of {n // (1 << 20)}M floats on the library's own threads (`simdrop_set_num_threads`), "
             "against a memcpy of the same bytes split over as many threads; wall-clock time, best of the "
             "repetitions, unpinned (`bench/scaling.c`). *bits* says whether output and mask equal the "
             "one-thread call's. Target: forward with mask on all cores >= 0.9x the threaded memcpy.", "",
             f"![thread scaling]({os.path.basename(png)})", "",
             "| operation | threads | simdrop Gelem/s | memcpy Gelem/s | ratio | bits |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['op']} | {r['threads']} | {r['simdrop']:.2f} | {r['memcpy']:.2f} | "
                     f"{r['ratio']:.2f}x | {'identical' if r['identical'] else '**DIFFER**'} |")
    top = max(r["threads"] for r in rows)
    fwd = [r for r in rows if r["op"] == "forward_mask" and r["threads"] == top]
    if fwd:
        lines += ["", f"Forward with mask on {top} threads: {fwd[0]['ratio']:.2f}x the threaded memcpy: "
                  f"{verdict(fwd[0]['ratio'], 0.9)}."]
    return lines


def plot_scaling(rows, png):
    if not rows:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for op, color in (("forward_mask", "tab:blue"), ("backward", "tab:green")):
        pts = [(r["threads"], r["simdrop"]) for r in rows if r["op"] == op]
        if pts:
            ax.plot(*zip(*pts), "o-", color=color, label=f"simdrop {op}")
    pts = sorted({(r["threads"], r["memcpy"]) for r in rows if r["op"] == "forward_mask"})
    if pts:
        ax.plot(*zip(*pts), "s--", color="gray", label="memcpy on as many threads")
    ax.set_xlabel("threads")
    ax.set_ylabel("Gelem/s (f32)")
    ax.set_title(f"Thread scaling, {rows[0]['n'] // (1 << 20)}M floats, p = 0.1")
    ax.set_xticks(sorted({r["threads"] for r in rows}))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def xsmm_section(rows):
    lines = ["libxsmm's dropout TPP (`LIBXSMM_MELTW_TYPE_UNARY_DROPOUT` / `_DROPOUT_INV` with a bitmask; JIT "
             "kernels; libxsmm main built from source, as `LIBXSMM_DIR` named) beside simdrop's forward with "
             "mask and backward, one pinned thread, p = 0.1, thread CPU time, best of the interleaved "
             "repetitions (`bench/xsmm_bench.c`). The semantics differ: libxsmm turns a dropped NaN or Inf "
             "into +0 and its masks change with the ISA, the split and the thread count. Target: simdrop "
             ">= 1.1x libxsmm at every size.", "",
             "| n | libxsmm fwd | simdrop fwd | simdrop / libxsmm | libxsmm bwd | simdrop bwd | simdrop / libxsmm | memcpy |",
             "|---|---:|---:|---|---:|---:|---|---:|"]
    for r in rows:
        f = r["simdrop_forward"] / r["libxsmm_forward"]
        b = r["simdrop_backward"] / r["libxsmm_backward"]
        lines.append(f"| {size_label(r['n'])} | {r['libxsmm_forward']:.2f} | {r['simdrop_forward']:.2f} | "
                     f"{f:.2f}x {verdict(f, 1.1)} | {r['libxsmm_backward']:.2f} | {r['simdrop_backward']:.2f} | "
                     f"{b:.2f}x {verdict(b, 1.1)} | {r['memcpy']:.2f} |")
    return lines


# ---- plot -----------------------------------------------------------------------------------

def plot(res, paths, sizes, esizes, auto, out_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # One panel per f32 operation at p = 0.1, and forward with mask again at p = 0.5; a third
    # row for the engine operations on the auto path.
    panels = [(op, 0.1) for op in OPS] + [("forward_mask", 0.5)]
    fig, axes = plt.subplots(3, 3, figsize=(15, 13), sharey=True)

    def line(ax, xs, values, *style, **kw):
        pts = [(n, v / 1e9) for n, v in zip(xs, values) if v]
        if pts:
            ax.plot(*zip(*pts), *style, **kw)

    def decorate(ax, xs, title, xlabel):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([size_label(n) for n in xs])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)

    for ax, (op, p) in zip(axes.flat, panels):
        for path in paths:
            line(ax, sizes, [res.items(op, path, n, p) for n in sizes], marker="o", label=path)
        if op in FLOAT_OPS:
            line(ax, sizes, [res.memcpy(n) for n in sizes], "k--", linewidth=2, label="memcpy (roofline)")
        if op in TWOPASS_OF:
            line(ax, sizes, [res.get(TWOPASS_OF[op], "f32", None, n, p) for n in sizes], ":", color="grey",
                 marker="s", label="two-pass (unfused)")
        if op == "forward_mask":
            line(ax, sizes, [res.torch_rate("dropout", "f32", n, p) for n in sizes], ":", color="red",
                 marker="x", label="PyTorch dropout")
        decorate(ax, sizes, f"{OP_TITLES[op]}, f32, p = {p:g}", "elements (float32)")

    xs = esizes or sizes
    colors = {"f32": "C0", "f64": "C1", "bf16": "C2", "f16": "C3"}
    ax = axes[2][0]
    for dt in DTYPES:
        line(ax, xs, [res.get("forward_mask", dt, auto, n, 0.1) for n in xs], "-o", color=colors[dt],
             label=f"forward with mask {dt}")
        if dt != "f16":  # the same bytes as bf16
            line(ax, xs, [res.memcpy(n, dt=dt) for n in xs], "--", color=colors[dt],
                 label="memcpy bf16 = f16" if dt == "bf16" else f"memcpy {dt}")
    decorate(ax, xs, f"forward with mask per dtype, {auto}, p = 0.1\n(dashed: memcpy of the same bytes)",
             "elements")
    ax = axes[2][1]
    for (op, dt, glen), style in [(("forward_mask", "f32", None), "-o"), (("groups_forward", "f32", 1024), "-s"),
                                  (("groups_forward", "f32", 4), "-v"), (("alpha_forward", "f32", None), "-^"),
                                  (("bias_dropout_add", "f32", None), "-D"),
                                  (("unfused_bias_dropout_add", "f32", None), ":D"),
                                  (("bias_dropout_add", "bf16", None), "-P")]:
        line(ax, xs, [res.get(op, dt, auto, n, 0.1, glen) for n in xs], style, label=case_label(op, dt, glen))
    line(ax, xs, [res.memcpy(n) for n in xs], "k--", label="memcpy_f32")
    line(ax, xs, [res.torch_rate("bias_dropout_add", "f32", n, 0.1) for n in xs], ":x", color="red",
         label="PyTorch r + dropout(x + b)")
    decorate(ax, xs, f"engine forwards, {auto}, p = 0.1", "elements")
    ax = axes[2][2]
    for (op, dt, glen), style in [(("backward", dt, None), "-o") for dt in DTYPES] + [
            (("groups_backward", "f32", 1024), "-s"), (("groups_backward", "f32", 4), "-v"),
            (("alpha_backward", "f32", None), "-^"), (("bias_dropout_add_backward", "f32", None), "-D"),
            (("bias_dropout_add_backward", "bf16", None), "-P")]:
        line(ax, xs, [res.get(op, dt, auto, n, 0.1, glen) for n in xs], style, label=case_label(op, dt, glen))
    line(ax, xs, [res.memcpy(n) for n in xs], "k--", label="memcpy_f32")
    decorate(ax, xs, f"backward from the mask, {auto}, p = 0.1", "elements")
    for row in axes:
        row[0].set_ylabel("Gelem/s (median)")
    fig.suptitle("simdrop throughput per kernel path vs size, one pinned core; "
                 "memcpy of the same bytes is the roofline")
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--verify", required=True, help="checkasm --verify output")
    ap.add_argument("--verify-command", default="checkasm --verify")
    ap.add_argument("--kernel-bench", help="checkasm --bench output (ns per element per kernel entry)")
    ap.add_argument("--torch")
    ap.add_argument("--torch-skip-reason", default="")
    ap.add_argument("--notes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "target_notes.txt"),
                    help="id: note lines explaining missed targets")
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--out", required=True, help="directory for REPORT.md and throughput.png")
    ap.add_argument("--mode", choices=["quick", "full"], default="full")
    ap.add_argument("--pinned", default="not pinned")
    ap.add_argument("--command", default="bench/report.sh")
    ap.add_argument("--elapsed", default="")
    ap.add_argument("--gbench-version", default="")
    ap.add_argument("--source", default="unknown", help="git describe of the sources built")
    ap.add_argument("--scaling", help="bench/scaling.c output (SCALING lines)")
    ap.add_argument("--xsmm", help="bench/xsmm_bench.c output (XSMM lines)")
    args = ap.parse_args()

    context, cases, errors = load_bench(args.bench)
    torch = load_torch(args.torch)
    res = Results(cases, torch)
    vpaths, vtotal = load_verify(args.verify)
    notes = load_notes(args.notes)
    paths = [p for p in context.get("simdrop_paths", "").split(",") if p]
    f32_paths = [p for p in paths if any(k[2] == p and k[1] == "f32" and k[0] in FLOAT_OPS and k[4] == 0.5
                                         for k in cases)]
    paths = f32_paths or sorted({k[2] for k in cases if k[2]})
    auto = context.get("simdrop_auto_path", "?")
    epaths = [p for p in context.get("simdrop_engine_paths", "").split(",") if p]
    sizes = sorted({k[3] for k in cases if k[1] in ("f32", None) and k[0] in OPS + ["memcpy"]})
    esizes = sorted({k[3] for k in cases if k[1] in ("f64", "bf16", "f16") or k[5]})
    ps = sorted({k[4] for k in cases if k[4] is not None})
    cpu = cpu_info()
    compiler, flag_rows = build_flags(args.build_dir)
    reps = max((c["reps"] for c in cases.values()), default=0)
    spreads = sorted(c["spread"] for c in cases.values())

    plot(res, paths, sizes, esizes, auto, os.path.join(args.out, "throughput.png"))
    scaling = load_keyvalue_lines(args.scaling, "SCALING")
    scaling_png = os.path.join(args.out, "scaling.png")
    plot_scaling(scaling, scaling_png)
    xsmm = load_keyvalue_lines(args.xsmm, "XSMM")

    L = ["# simdrop benchmark report", ""]
    if args.mode == "quick":
        L += ["> **Quick smoke run**: few sizes, short timings, 2 repetitions. The numbers only show that",
              "> the suite and the report run; use the full mode for anything you quote.", ""]
    L += [f"Made by `{args.command}`" + (f" in {args.elapsed}" if args.elapsed else "") +
          f" on {context.get('date', '?')}; simdrop {context.get('simdrop_version', '?')} built from "
          f"`{args.source}`, on {cpu['lscpu_model']}; "
          f"auto path here: `{auto}`.", "",
          "Throughput is the median of the repetitions, from the CPU time of the one thread, pinned to one core "
          "(see Noise for why not wall-clock time). "
          "*Gelem/s* counts elements of the operation's dtype; *GB/s* counts the bytes each call reads and writes "
          "through the API (for f32 element dropout 4 B in + 4 B out per element, plus n/8 mask bytes where a "
          "bitmask is stored or read; the fused bias + dropout + residual also reads the residual and the bias; "
          "memcpy counts the bytes in and out). *% of memcpy* compares elements per second with a memcpy of the "
          "same n elements of the same dtype (the same bytes). "
          "*x two-pass* compares with the naive unfused baseline (a float noise array from a per-element "
          "scalar generator, then a multiply: PyTorch's CPU pattern).", "",
          "![throughput](throughput.png)", "",
          "## Machine", "",
          f"- CPU: {cpu['lscpu_model']} ({cpu['vendor']} family {cpu['family']} model {cpu['model_id']}"
          + (f", i.e. {cpu['zen']}" if cpu["zen"] else "") + f"), {context.get('num_cpus', '?')} logical CPUs, "
          f"{context.get('mhz_per_cpu', '?')} MHz reported; hypervisor: {cpu['hypervisor']}",
          f"- SIMD flags the CPU reports: {', '.join(cpu['flags']) or 'none'}; kernel paths run: {', '.join(paths)}"
          + (f"; engine operations on: {', '.join(epaths)}" if epaths else ""),
          f"- Caches (lscpu, else glibc's cpuid view, which a VM may misreport): {cpu['caches'] or 'not reported'}",
          f"- OS: {platform.system()} {platform.release()}, {' '.join(platform.libc_ver())}; "
          f"pinned to CPU {args.pinned}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in context.get('load_avg', [])) or '?'}",
          f"- Compiler: {compiler}; Google Benchmark {args.gbench_version} (the library reports "
          f"itself built as {context.get('library_build_type', '?')}: Debian builds it without NDEBUG, which "
          "adds only its own assertions around the timed loop)",
          "- Flags used (from compile_commands.json; never -ffast-math or -march=native):", ""]
    L += [f"  - `{obj}`: `{flags}`" for obj, flags in flag_rows]
    L += ["", "## Speed targets", "",
          "Informational: ratios of medians from this one run, no assertion anywhere; in brackets the "
          "ratio of the fastest repetitions, which neighbours' load disturbs least. The f32 targets were set for a "
          f"2-core AMD Zen 3 machine; this run's CPU is {cpu['lscpu_model']} (family {cpu['family']}"
          + (f", {cpu['zen']}" if cpu["zen"] else "") + "), and memcpy, the yardstick of most of them, "
          "is as fast as this CPU makes it.", "",
          "### f32 element dropout (every path)", ""]
    L += targets_table(res, paths)
    erows = engine_targets(res, auto)
    met = sum(1 for r in erows if r[3] is not None and r[3] >= r[2])
    measured = sum(1 for r in erows if r[3] is not None)
    L += ["", f"### Engine operations (auto path `{auto}`, one thread, p = 0.1) on {cpu['lscpu_model']}", "",
          f"{met} of {measured} measured targets met ({len(erows) - measured} not measured in this run). "
          "*measured* is the ratio of the medians, *best reps* that of the fastest repetitions; both "
          "from this one run. A missed target says by how much (the ratio short of the target, and that "
          "as a share of the target); *why* comes from `bench/target_notes.txt` (`id: note` lines).", ""]
    L += engine_targets_table(erows, notes)
    L += ["", f"### Memory speed (auto path `{auto}`, one thread, p = 0.1) on {cpu['lscpu_model']}", "",
          "Each element operation and dtype against a memcpy of the same bytes, at 16M and 64M elements "
          "(64M only where the run measured it). The store policy behind these (non-temporal stores from "
          "one L2 of output on Intel, from 3/4 of the last-level cache elsewhere) is explained, with its "
          "measurements, in `src/dispatch.c`.", ""]
    L += memory_targets_table(res, auto)
    L += ["", "## Threads", ""] + scaling_section(scaling, scaling_png)
    if xsmm:
        L += ["", "## libxsmm (the strongest CPU peer)", ""] + xsmm_section(xsmm)
    L += ["", "## Overview: Gelem/s at p = 0.1", "", "### f32 element dropout", ""]
    L += overview_table(res, paths, sizes)
    if esizes:
        L += ["", "### Engine operations and dtypes", "",
              f"Bias + dropout + residual works on rows x {context.get('simdrop_bias_cols', '1024')} "
              "(n / cols rows), the bias broadcast along the rows; its backward also sums dbias. The unfused "
              "composition runs three passes in place on the output (a plain C++ bias loop, "
              "`simdrop_forward_f32` storing the mask on the same path, a plain residual loop). "
              "Group dropout: n elements in n / group_len groups, one mask bit per group.", ""]
        L += engine_overview_table(res, epaths, esizes, auto)
    L += ["", "## PyTorch (what users run today)", ""]
    L += torch_section(res, torch, args.torch_skip_reason, paths, sizes, ps)
    L += torch_engine_section(res, torch, auto, esizes)
    L += ["", "## Bit-exact verification", ""]
    if vtotal:
        L += [f"`{args.verify_command}` (tests/checkasm.c, built with the tests) compared every built and "
              f"supported path with the `{vtotal.get('reference', 'scalar')}` reference: each kernel table entry "
              f"directly, then {vtotal.get('entries', '?')} public entry points (every operation and dtype) "
              "on random shapes, offsets, p, seeds, misalignments, NULL optional buffers and aliasing, "
              "with the non-temporal stores forced in some cases and 1 to 16 threads; outputs, masks, "
              "status codes and guard bytes compared byte for byte. Seed "
              f"{vtotal.get('seed')} (`--seed` replays it).", "",
              "| path | checks | failures | result |", "|---|---:|---:|---|"]
        L += [f"| {v['path']}{' (SIMDe emulation, test-only)' if v['path'].endswith('-simde') else ''} | "
              f"{v.get('checks', '?')} | {v.get('failures', '?')} | **{v.get('result')}** |" for v in vpaths]
        L += ["", f"**Overall: {vtotal.get('result')}**: {vtotal.get('paths')} paths, "
              f"{vtotal.get('checks')} checks, {vtotal.get('failures')} failures."]
    else:
        L += [f"**The verification did not produce a result: FAIL** (see {args.verify}). Its last lines:", "", "```"]
        for name in (args.verify, os.path.splitext(args.verify)[0] + ".err"):
            if os.path.exists(name):
                with open(name) as f:
                    L += [line.rstrip() for line in f.readlines()[-4:]]
        L += ["```"]
    L += ["", "## Noise", "",
          f"Each case ran {reps} repetitions (Google Benchmark, `--benchmark_repetitions`); the tables give the "
          "median, *spread* is (slowest - fastest) / median of the repetitions' CPU times. The repetitions of all "
          "cases run in random interleaved order (`--benchmark_enable_random_interleaving`), so a burst of "
          "interference spreads over many cases instead of shifting one case's median. "
          + (f"Median spread over all cases {100 * statistics.median(spreads):.1f}%, 90th percentile "
             f"{100 * spreads[int(0.9 * (len(spreads) - 1))]:.1f}%, worst {100 * spreads[-1]:.1f}%. " if spreads else "")
          + f"This is a {context.get('num_cpus', '?')}-CPU virtual machine ({cpu['hypervisor']}): other guests, "
          "the hypervisor and any build running on the other core share the caches and the memory bus, so DRAM-sized "
          "cases (16M, 64M) move by several percent between runs and in-cache cases by more when a neighbour is busy. "
          "Rates come from the thread's CPU time, not wall-clock time: on a small shared machine the thread is "
          "often descheduled for other processes (their time is in the JSON's real_time, and PyTorch is timed "
          "with time.process_time() the same way); cache and memory-bandwidth contention from neighbours "
          "still shows. Ratios taken within one run (% of memcpy, speedups) are steadier than absolute "
          "numbers. Compare two builds "
          "with Google Benchmark's tool on the kept JSON: "
          "`/usr/bin/python3 /usr/share/benchmark/compare.py benchmarks old.json new.json`.", ""]
    if errors:
        L += ["## Cases that reported an error", ""] + [f"- {e}" for e in errors] + [""]
    if args.kernel_bench and os.path.exists(args.kernel_bench):
        with open(args.kernel_bench) as f:
            kb = [line.rstrip() for line in f if line.strip()]
        L += ["## Kernel entries in cache", "",
              "`checkasm --bench`: each kernel table entry called directly (no dispatch, no threads), "
              "64K elements in cache, nanoseconds per element, best of 5; gen_<rule>_<dtype> generates the "
              "mask and applies it, bits_<rule>_<dtype> applies a stored mask; inputs are ordinary values "
              "in [-1, 1) (subnormals would time the CPU's microcode assists instead).", "", "```"] + kb + ["```", ""]
    L += ["## All cases", "", "### f32 element dropout", ""]
    for op in OPS:
        L += [f"#### {op}: {OP_TITLES[op]}", ""] + detail_table(res, op, paths, sizes, ps) + [""]
    if esizes:
        L += ["### Engine operations (p = 0.1)", ""]
        for op, dt, glen, title in ENGINE_OPS:
            rows = engine_detail_table(res, (op, dt, glen), epaths, esizes)
            if len(rows) > 2:
                L += [f"#### {case_label(op, dt, glen)}: {title}", ""] + rows + [""]
    L += ["### Baselines", ""] + baseline_table(res, sorted(set(sizes) | set(esizes)), ps) + [""]

    with open(os.path.join(args.out, "REPORT.md"), "w") as f:
        f.write("\n".join(L))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
