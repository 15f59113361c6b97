#!/usr/bin/python3
"""report.py: turns the benchmark JSON, the verifier's output and the PyTorch timings into REPORT.md and throughput.png.

Called by bench/report.sh, which says where they go (--out); only Debian packages (python3-matplotlib)
and the standard library.
Benchmark names follow bench/simdrop_bench.cpp: "<op>/<path>/n:<n>/p_pct:<100p>", "memcpy/n:<n>",
"twopass_forward|twopass_backward/n:<n>/p_pct:<100p>".
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess

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

# The project's speed targets, p = 0.1: (label, operation, n, what the ratio is against, minimum).
TARGETS = [
    ("forward with mask, 64K: x PyTorch", "forward_mask", 65536, "torch", 35.0),
    ("forward with mask, 64K: x memcpy", "forward_mask", 65536, "memcpy", 0.40),
    ("forward with mask, 16M: x memcpy", "forward_mask", 16 << 20, "memcpy", 0.95),
    ("forward with mask, 64M: x memcpy", "forward_mask", 64 << 20, "memcpy", 0.90),
    ("backward from mask, 16M: x memcpy", "backward", 16 << 20, "memcpy", 0.90),
    ("backward from mask, 64K: x memcpy", "backward", 65536, "memcpy", 0.35),
]


def size_label(n):
    for unit, shift in (("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


# ---- inputs ---------------------------------------------------------------------------------

def parse_name(run_name):
    """(op, path, n, p) from a benchmark name; path is None for baselines, p None for memcpy."""
    parts = run_name.split("/")
    args = dict(part.split(":", 1) for part in parts if ":" in part)
    # Google Benchmark appends modifiers such as "real_time" to the name; they are not ours.
    plain = [part for part in parts if ":" not in part and part not in ("real_time", "manual_time")]
    op = plain[0]
    path = plain[1] if len(plain) > 1 else None
    p = int(args["p_pct"]) / 100 if "p_pct" in args else None
    return op, path, int(args["n"]), p


def load_bench(path):
    """{(op, path, n, p): stats} with median rates, and the spread of the repetitions."""
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
    wanted = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "asimd"]
    family = info.get("cpu family", lscpu.get("CPU family", "?"))
    return {
        "model": info.get("model name", lscpu.get("Model name", platform.processor() or "unknown")),
        "vendor": info.get("vendor_id", lscpu.get("Vendor ID", "?")),
        "family": family, "model_id": info.get("model", lscpu.get("Model", "?")),
        "hypervisor": lscpu.get("Hypervisor vendor") or
                      ("unnamed hypervisor" if "hypervisor" in flags else "bare metal"),
        "caches": ", ".join(f"{k.split()[0]} {lscpu[k]}" for k in
                            ("L1d cache", "L1i cache", "L2 cache", "L3 cache") if k in lscpu)
                  or getconf_caches(),
        "flags": [f for f in wanted if f in flags],
        # AMD family 0x19 is Zen 3/4, 0x1a is Zen 5: the name alone ("AMD EPYC") may not say.
        "zen": {"23": "Zen / Zen 2", "25": "Zen 3 / Zen 4", "26": "Zen 5"}.get(family)
               if "AMD" in info.get("vendor_id", "") else None,
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


class Results:
    def __init__(self, cases, torch):
        self.cases = cases
        self.torch = {}
        for r in (torch or {}).get("results", []):
            self.torch[(r["n"], round(r["p"], 2))] = r["n"] / r["median_s"]

    def items(self, op, path, n, p, key="items"):
        c = self.cases.get((op, path, n, p))
        return c[key] if c else None

    def memcpy(self, n, key="items"):
        return self.items("memcpy", None, n, None, key)

    def ratio(self, op, path, n, p, against, key="items"):
        """Rate of a case over a baseline's; key "best" compares the fastest repetitions."""
        mine = self.items(op, path, n, p, key)
        if against == "memcpy":
            other = self.memcpy(n, key)
        elif against == "torch":
            other = self.torch.get((n, round(p, 2)))
        elif against == "scalar":
            other = self.items(op, "scalar", n, p)
        else:
            other = self.items(TWOPASS_OF.get(op), None, n, p) if op in TWOPASS_OF else None
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


def overview_table(res, paths, sizes):
    cols = paths + ["two-pass", "memcpy", "PyTorch"]
    lines = ["| operation | n | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
    for op in OPS:
        for n in sizes:
            cells = [fmt(res.items(op, path, n, 0.1) and res.items(op, path, n, 0.1) / 1e9)
                     for path in paths]
            two = res.items(TWOPASS_OF[op], None, n, 0.1) if op in TWOPASS_OF else None
            cells.append(fmt(two and two / 1e9))
            cells.append(fmt(res.memcpy(n) / 1e9) if op in FLOAT_OPS and res.memcpy(n) else "")
            t = res.torch.get((n, 0.1)) if op == "forward_mask" else None
            cells.append(fmt(t and t / 1e9, 3) if t else "")
            lines.append(f"| {op} | {size_label(n)} | " + " | ".join(cells) + " |")
    return lines


def detail_table(res, op, paths, sizes, ps):
    lines = ["| n | p | path | Gelem/s | GB/s | % of memcpy | x scalar | x two-pass | spread |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        for p in ps:
            for path in paths:
                c = res.cases.get((op, path, n, p))
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


def baseline_table(res, sizes, ps):
    lines = ["| baseline | n | p | Gelem/s | GB/s | spread |", "|---|---|---|---:|---:|---:|"]
    for op in ["memcpy", "twopass_forward", "twopass_backward"]:
        for n in sizes:
            for p in ([None] if op == "memcpy" else ps):
                c = res.cases.get((op, None, n, p))
                if c:
                    lines.append(f"| {op} | {size_label(n)} | {'' if p is None else f'{p:g}'} | "
                                 f"{c['items'] / 1e9:.3f} | {c['bytes'] / 1e9:.2f} | {100 * c['spread']:.1f}% |")
    return lines


def torch_section(res, torch, skip_reason, paths, sizes, ps):
    if not torch:
        return [f"PyTorch was **skipped**: {skip_reason or 'python3-torch / python3-numpy did not import'}."]
    vector = [p for p in paths if p != "scalar"]
    lines = [f"`torch.nn.functional.dropout(x, p, training=True)`, float32, PyTorch {torch['torch_version']} "
             f"(Debian python3-torch), {torch['threads']} thread, same pinned core; median of "
             f"{torch['results'][0]['repetitions'] if torch['results'] else 0} repetitions. "
             "Speedup is simdrop's forward *with* bitmask (which also stores the mask) over PyTorch.", "",
             "| n | p | PyTorch Gelem/s | " + " | ".join(f"x {p}" for p in ["scalar"] + vector) + " |",
             "|---|---|---:|" + "---:|" * (len(vector) + 1)]
    for n in sizes:
        for p in ps:
            t = res.torch.get((n, round(p, 2)))
            if t is None:
                continue
            cells = [fmt(res.ratio("forward_mask", path, n, p, "torch"), 1) for path in ["scalar"] + vector]
            lines.append(f"| {size_label(n)} | {p:g} | {t / 1e9:.4f} | " + " | ".join(cells) + " |")
    return lines


# ---- plot -----------------------------------------------------------------------------------

def plot(res, paths, sizes, out_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # One panel per operation at p = 0.1, and forward with mask again at p = 0.5.
    panels = [(op, 0.1) for op in OPS] + [("forward_mask", 0.5)]
    fig, axes = plt.subplots(2, 3, figsize=(15, 9), sharey=True)

    def line(ax, values, *style, **kw):
        pts = [(n, v / 1e9) for n, v in zip(sizes, values) if v]
        if pts:
            ax.plot(*zip(*pts), *style, **kw)

    for ax, (op, p) in zip(axes.flat, panels):
        for path in paths:
            line(ax, [res.items(op, path, n, p) for n in sizes], marker="o", label=path)
        if op in FLOAT_OPS:
            line(ax, [res.memcpy(n) for n in sizes], "k--", linewidth=2, label="memcpy (roofline)")
        if op in TWOPASS_OF:
            line(ax, [res.items(TWOPASS_OF[op], None, n, p) for n in sizes], ":", color="grey",
                 marker="s", label="two-pass (unfused)")
        if op == "forward_mask":
            line(ax, [res.torch.get((n, p)) for n in sizes], ":", color="red", marker="x",
                 label="PyTorch dropout")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([size_label(n) for n in sizes])
        ax.set_title(f"{OP_TITLES[op]}, p = {p:g}", fontsize=10)
        ax.set_xlabel("elements (float32)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for row in axes:
        row[0].set_ylabel("Gelem/s (median)")
    fig.suptitle("simdrop throughput per kernel path vs size, one pinned core; "
                 "memcpy of the same floats is the roofline")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--verify", required=True)
    ap.add_argument("--torch")
    ap.add_argument("--torch-skip-reason", default="")
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--out", required=True, help="directory for REPORT.md and throughput.png")
    ap.add_argument("--mode", choices=["quick", "full"], default="full")
    ap.add_argument("--pinned", default="not pinned")
    ap.add_argument("--command", default="bench/report.sh")
    ap.add_argument("--elapsed", default="")
    ap.add_argument("--gbench-version", default="")
    ap.add_argument("--source", default="unknown", help="git describe of the sources built")
    args = ap.parse_args()

    context, cases, errors = load_bench(args.bench)
    torch = load_torch(args.torch)
    res = Results(cases, torch)
    vpaths, vtotal = load_verify(args.verify)
    paths = [p for p in context.get("simdrop_paths", "").split(",") if p]
    paths = [p for p in paths if any(k[1] == p for k in cases)] or sorted({k[1] for k in cases if k[1]})
    sizes = sorted({k[2] for k in cases})
    ps = sorted({k[3] for k in cases if k[3] is not None})
    cpu = cpu_info()
    compiler, flag_rows = build_flags(args.build_dir)
    reps = max((c["reps"] for c in cases.values()), default=0)
    spreads = sorted(c["spread"] for c in cases.values())

    plot(res, paths, sizes, os.path.join(args.out, "throughput.png"))

    L = ["# simdrop benchmark report", ""]
    if args.mode == "quick":
        L += ["> **Quick smoke run**: few sizes, short timings, 2 repetitions. The numbers only show that",
              "> the suite and the report run; use the full mode for anything you quote.", ""]
    L += [f"Made by `{args.command}`" + (f" in {args.elapsed}" if args.elapsed else "") +
          f" on {context.get('date', '?')}; simdrop {context.get('simdrop_version', '?')} built from "
          f"`{args.source}`, "
          f"auto path here: `{context.get('simdrop_auto_path', '?')}`.", "",
          "Throughput is the median of the repetitions, from the CPU time of the one thread, pinned to one core "
          "(see Noise for why not wall-clock time). "
          "*Gelem/s* counts float elements; *GB/s* counts the bytes each call reads and writes through the API "
          "(4 B in + 4 B out per element, plus n/8 mask bytes where a bitmask is stored or read; memcpy counts "
          "4 B in + 4 B out). *% of memcpy* compares elements per second with a memcpy of the same n floats. "
          "*x two-pass* compares with the naive unfused baseline (a float noise array from a per-element "
          "scalar generator, then a multiply: PyTorch's CPU pattern).", "",
          "![throughput](throughput.png)", "",
          "## Machine", "",
          f"- CPU: {cpu['model']} ({cpu['vendor']} family {cpu['family']} model {cpu['model_id']}"
          + (f", i.e. {cpu['zen']}" if cpu["zen"] else "") + f"), {context.get('num_cpus', '?')} logical CPUs, "
          f"{context.get('mhz_per_cpu', '?')} MHz reported; hypervisor: {cpu['hypervisor']}",
          f"- SIMD flags the CPU reports: {', '.join(cpu['flags']) or 'none'}; kernel paths run: {', '.join(paths)}",
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
          "ratio of the fastest repetitions, which neighbours' load disturbs least. The targets were set for a "
          f"2-core AMD Zen 3 machine; this run's CPU is family {cpu['family']}"
          + (f" ({cpu['zen']})" if cpu["zen"] else "") + ", and memcpy, the yardstick of most of them, "
          "is as fast as this CPU makes it.", ""]
    L += targets_table(res, paths)
    L += ["", "## Overview: Gelem/s at p = 0.1", ""]
    L += overview_table(res, paths, sizes)
    L += ["", "## PyTorch (what users run today)", ""]
    L += torch_section(res, torch, args.torch_skip_reason, paths, sizes, ps)
    L += ["", "## Bit-exact verification", ""]
    if vtotal:
        L += [f"`simdrop_verify` compared every built and supported path with the `{vtotal.get('reference', 'scalar')}` "
              f"reference, {vtotal.get('entry_points', '?')} entry points per case (forward with/without mask, in place, "
              "mask only, backward from a random bitmask, in place, backward regenerating), random n with every tail, "
              "offsets up to 2^64, p at the threshold edges, misaligned pointers, canary guards around every output; "
              f"floats and masks compared byte for byte. Seed {vtotal.get('seed')}.", "",
              "| path | cases | elements | failures | result |", "|---|---:|---:|---:|---|"]
        L += [f"| {v['path']}{' (SIMDe emulation, test-only)' if v['path'].endswith('-simde') else ''} | "
              f"{v['cases']} | {v['elements']} | {v['failures']} | **{v['result']}** |" for v in vpaths]
        L += ["", f"**Overall: {vtotal.get('result')}**: {vtotal.get('paths')} paths, {vtotal.get('cases')} cases, "
              f"{vtotal.get('failures')} failures."]
    else:
        L += [f"**The verifier did not produce a result** (see {args.verify})."]
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
    L += ["## All cases", ""]
    for op in OPS:
        L += [f"### {op}: {OP_TITLES[op]}", ""] + detail_table(res, op, paths, sizes, ps) + [""]
    L += ["### Baselines", ""] + baseline_table(res, sizes, ps) + [""]

    with open(os.path.join(args.out, "REPORT.md"), "w") as f:
        f.write("\n".join(L))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
