"""sections.py: the sections of REPORT.md, each a function of the run (report.py's Run) returning
its Markdown lines, in the order the report prints them."""
import os
import platform
import statistics

from . import peers, tables
from .catalog import ENGINE_OPS, OP_TITLES, OPS, case_label, pinning, size_label
from .explain import AT_MEMCPY, FLAT, X86, counted_elsewhere
from .machine import CONVERSION_INSTRUCTIONS, relevant
from .verify import verify_section


def cpu_ids(cpu, with_vendor):
    """"GenuineIntel family 6 model 207" (the vendor where asked), leaving out what this CPU does
    not report ("?": an AArch64 CPU has no family)."""
    fields = ([("", cpu["vendor"])] if with_vendor else []) + [("family ", cpu["family"]),
                                                             ("model ", cpu.get("model_id", "?"))]
    return " ".join(f"{label}{value}" for label, value in fields if value not in ("?", "", None))


def in_brackets(parts):
    """" (a, b)" from the parts given, "" where none is."""
    text = ", ".join(part for part in parts if part)
    return f" ({text})" if text else ""


def cpu_name(run):
    """The CPU as its family and model number name it: one lscpu name ("Intel(R) Xeon(R) Processor")
    covers VMs of different generations, whose reports must not read alike."""
    cpu = run.machine["cpu"]
    return cpu["model"] + in_brackets([cpu_ids(cpu, False), cpu["zen"]])


# Flags the project's builds never use (meson.build): fast-math options give up exact NaNs (-Ofast
# implies -ffast-math), -march=native makes code for the build machine alone. Numbers of a build
# with them are not the library's.
FORBIDDEN_FLAGS = ("-ffast-math", "-Ofast", "-march=native")


def forbidden_flags(flag_rows):
    """The FORBIDDEN_FLAGS that some object of the build was compiled with."""
    used = {flag for _, flags in flag_rows for flag in flags.split()}
    return [flag for flag in FORBIDDEN_FLAGS if flag in used]


def header(run):
    a, ctx = run.args, run.context
    lines = ["# simdrop benchmark report", ""]
    if a.mode == "quick":
        lines += ["> **Quick smoke run**: few sizes, short timings, 2 repetitions. The numbers only show that",
                  "> the suite and the report run; use the full mode for anything you quote.", ""]
    forbidden = forbidden_flags(run.machine["flag_rows"])
    if forbidden:
        lines += [f"> **Built with {' and '.join(forbidden)}**, which the project's builds never use (Machine, "
                  "Flags used): these numbers are not the library's as meson builds it.", ""]
    return lines + [
        f"Made by `{a.command}`" + (f" in {a.elapsed}" if a.elapsed else "") +
        f" on {ctx.get('date', '?')}; simdrop {ctx.get('simdrop_version', '?')} built from "
        f"`{a.source}`, on {cpu_name(run)}; auto path here: `{run.auto}`.", "",
        f"Throughput is the median of the repetitions, from the CPU time of the one thread, {pinning(a.pinned)} "
        "(see Noise for why not wall-clock time). "
        "*Gelem/s* counts elements of the operation's dtype; *GB/s* counts the bytes each call reads and writes "
        "through the API (for f32 element dropout 4 B in + 4 B out per element, plus n/8 mask bytes where a "
        "bitmask is stored or read; the fused bias + dropout + residual also reads the residual and the bias; "
        "memcpy counts the bytes in and out). The baselines count the bytes of the operation they stand in "
        "for, not their own traffic: the two-pass ones dropout's 4 B in + 4 B out per element (their float "
        "noise array makes it 16 B forward, 12 B backward), the unfused composition the fused operation's "
        "(its three passes over the output move about 28 B). *% of memcpy* compares elements per second with "
        "a memcpy of the same n elements of the same dtype: the same bytes, except for the fused bias + dropout "
        "+ residual in all its forms, which also reads the residual (its tables say how many times memcpy's "
        "bytes it moves). "
        "*x two-pass* compares with the naive unfused baseline (a float noise array from a per-element "
        "scalar generator, then a multiply: PyTorch's CPU pattern).", "",
        "![throughput](throughput.png)", ""]


def native_line(run):
    native, arch = run.machine["native"], run.machine["cpu"].get("arch")
    if arch not in X86:  # CONVERSION_INSTRUCTIONS are x86's; other paths convert with their own
        return f"- Native conversion instructions in the build: not checked on this architecture ({arch})"
    if not native["present"]:
        return (f"- Native conversion instructions in the build: unknown (objdump could not disassemble "
                f"{native['library'] or 'the library'})")
    cells = [f"{insns[0]} ({name}) {'yes' if native['present'][f] else 'no'}"
             for f, (name, insns, _) in CONVERSION_INSTRUCTIONS.items()]
    return f"- Native conversion instructions in `{native['library']}` (objdump): " + ", ".join(cells)


def insns_line(run):
    ins = run.insns
    if not ins:
        return f"- Instructions per element: not counted in this run ({run.args.insns_skip or 'no counts given'})"
    elsewhere = counted_elsewhere(ins, run.auto)
    return (f"- Instructions per element: counted by {ins['counter']} on the `{ins['path']}` path"
            + (f" ({elsewhere})" if elsewhere else "") +
            f", {size_label(ins['n'])} elements per call, one thread (section Instructions per element)")


def flags_line(flag_rows):
    forbidden = forbidden_flags(flag_rows)
    if not forbidden:
        return f"- Flags used (from compile_commands.json; none of {', '.join(FORBIDDEN_FLAGS)}):"
    return (f"- Flags used (from compile_commands.json): **{' and '.join(forbidden)}**, which the project's "
            "builds never use (fast-math gives up exact NaNs, -march=native makes code for this machine alone):")


def machine_section(run):
    cpu, ctx, feats = run.machine["cpu"], run.context, run.machine["features"]
    build_type = ctx.get("library_build_type", "?")
    lines = ["## Machine", "",
             f"- CPU: {cpu['model']}{in_brackets([cpu_ids(cpu, True), cpu['zen'] and 'i.e. ' + cpu['zen']])}, "
             f"{ctx.get('num_cpus', '?')} logical CPUs, "
             f"{ctx.get('mhz_per_cpu', '?')} MHz reported; hypervisor: {cpu['hypervisor'] or 'none reported'}",
             f"- CPU features {feats['label']}: {', '.join(relevant(feats)) or 'none of those the report names'}",
             f"- Kernel paths run: {', '.join(run.paths)}; auto path `{run.auto}`"
             + (f"; engine operations on: {', '.join(run.epaths)}" if run.epaths else ""),
             native_line(run), insns_line(run),
             f"- Caches (lscpu, else glibc's cpuid view, which a VM may misreport): {cpu['caches'] or 'not reported'}",
             f"- OS: {platform.system()} {platform.release()}, {' '.join(platform.libc_ver())}; "
             f"{pinning(run.args.pinned)}; load average at start "
             f"{', '.join(f'{x:.2f}' for x in ctx.get('load_avg', [])) or '?'}",
             f"- Compiler: {run.machine['compiler']}; Google Benchmark {run.args.gbench_version} (the library "
             f"reports itself built as {build_type}"
             + (": Debian builds it without NDEBUG, which adds only its own assertions around the timed loop)"
                if build_type == "debug" else ")"),
             flags_line(run.machine["flag_rows"]), ""]
    return lines + [f"  - `{obj}`: `{flags}`" for obj, flags in run.machine["flag_rows"]]


def engine_targets_intro(rows):
    met = sum(1 for t, r, _ in rows if r is not None and r >= t[5])
    measured = sum(1 for _, r, _ in rows if r is not None)
    return (f"{met} of {measured} measured targets met ({len(rows) - measured} not measured in this run). "
            "*measured* is the ratio of the medians, *best reps* that of the fastest repetitions; both "
            "from this one run. A missed target says by how much (the ratio short of the target, and that "
            "as a share of the target). *why* is derived from this run alone (bench/reporting/explain.py): "
            "the two rates the ratio divides; for a target out of cache, at the target's own size, *memory-bound* "
            f"where the operation moves its bytes at >= {AT_MEMCPY:g}x memcpy's bytes per second there, else "
            f"*compute-bound* where its rate there is >= {FLAT:g}x its in-cache rate (at the smallest size "
            "measured); for an in-cache target (the smallest size), *compute-bound* where its rate at the largest "
            f"size measured is >= {FLAT:g}x its in-cache one; bytes and instructions per element against the "
            "yardstick's; "
            "how the timed path converts a 16-bit dtype and, where it converts in integer code, the CPU's "
            "conversion features against the instructions the build contains. A miss whose numbers "
            "show no cause says so.")


# The paths whose kernels have non-temporal stores (src/dispatch.c detect_nt_bytes: the x86 ones).
NT_STORE_PATHS = ("sse2", "avx2", "avx512", "avx512bf16")


def store_policy(auto):
    """The output stores behind the memory speeds on the auto path."""
    if auto not in NT_STORE_PATHS:
        return f"The `{auto}` path's stores are regular ones (only the x86 kernels have non-temporal stores)."
    return ("The store policy behind these (non-temporal stores from one L2 of output on Intel, elsewhere "
            "from 3/4 of the last-level cache taken as 32 MiB at most) is explained, with its measurements, "
            "in `src/dispatch.c`.")


def targets_section(run):
    name, res = cpu_name(run), run.res
    rows = tables.engine_targets(res, run.auto)
    lines = ["## Speed targets", "",
             "Informational: ratios of medians from this one run, no assertion anywhere; in brackets the "
             "ratio of the fastest repetitions, which neighbours' load disturbs least. The f32 targets were set for a "
             f"2-core AMD Zen 3 machine; this run's CPU is {name}, and memcpy, the yardstick of most of them, "
             "is as fast as this CPU makes it.", "", "### f32 element dropout (every path)", ""]
    lines += tables.targets_table(res, run.paths)
    lines += ["", f"### Engine operations (auto path `{run.auto}`, one thread, p = 0.1) on {name}",
              "", engine_targets_intro(rows), ""]
    lines += tables.engine_targets_table(rows, run.evidence)
    lines += ["", f"### Memory speed (auto path `{run.auto}`, one thread, p = 0.1) on {name}", "",
              "Each element operation and dtype against a memcpy of the same bytes, at 16M and 64M elements "
              "(64M only where the run measured it). " + store_policy(run.auto), ""]
    return lines + tables.memory_targets_table(res, run.auto)


def peers_sections(run):
    lines = ["", "## Threads", ""] + peers.scaling_section(run.scaling, run.scaling_png)
    if run.xsmm:
        lines += ["", "## libxsmm (the strongest CPU peer)", ""]
        lines += peers.xsmm_section(run.xsmm, pinning(run.args.pinned))
    return lines


def overview_section(run):
    lines = ["", "## Overview: Gelem/s at p = 0.1", "", "### f32 element dropout", ""]
    lines += tables.overview_table(run.res, run.paths, run.sizes)
    if run.esizes:
        lines += ["", "### Engine operations and dtypes", "",
                  f"Bias + dropout + residual works on rows x {run.context.get('simdrop_bias_cols', '1024')} "
                  "(n / cols rows), the bias broadcast along the rows (the forward also in rows of 256 and 768 "
                  "on the auto path: \"(rows of N)\"); its backward also sums dbias. The unfused "
                  "composition runs three passes in place on the output (a plain C++ bias loop, "
                  "`simdrop_forward_f32` storing the mask on the same path, a plain residual loop). "
                  "Group dropout: n elements in n / group_len groups, one mask bit per group; channels-last "
                  "(`groups_nhwc_*`): n / (group_len x 64) samples of group_len positions x 64 channels, "
                  "one mask bit per (sample, channel), group_len the positions.", ""]
        lines += tables.engine_overview_table(run.res, run.epaths, run.esizes, run.auto)
    lines += ["", "## PyTorch (what users run today)", ""]
    lines += peers.torch_section(run.res, run.torch, run.args.torch_skip_reason, run.paths, run.sizes, run.ps,
                                 pinning(run.args.pinned))
    lines += peers.torch_engine_section(run.res, run.torch, run.auto, run.esizes)
    return lines + peers.torch_module_section(run.torch, run.machine["cpu"]["vendor"], run.supported_paths)


def machine_kind(run):
    hypervisor = run.machine["cpu"]["hypervisor"]
    cpus = run.context.get("num_cpus", "?")
    if hypervisor:
        return (f"This is a {cpus}-CPU virtual machine ({hypervisor}): other guests, the hypervisor and any "
                "build running on another core share the caches and the memory bus")
    return (f"This is a {cpus}-CPU machine with no hypervisor reported: other processes share the caches "
            "and the memory bus")


def spread_summary(cases):
    spreads = sorted(c["spread"] for c in cases.values())
    if not spreads:
        return ""
    return (f"Median spread over all cases {100 * statistics.median(spreads):.1f}%, 90th percentile "
            f"{100 * spreads[int(0.9 * (len(spreads) - 1))]:.1f}%, worst {100 * spreads[-1]:.1f}%. ")


def noise_section(run):
    reps = max((c["reps"] for c in run.res.cases.values()), default=0)
    return ["", "## Noise", "",
            f"Each case ran {reps} repetitions (Google Benchmark, `--benchmark_repetitions`); the tables give the "
            "median, *spread* is (slowest - fastest) / median of the repetitions' CPU times. The repetitions of all "
            "cases run in random interleaved order (`--benchmark_enable_random_interleaving`), so a burst of "
            "interference spreads over many cases instead of shifting one case's median. "
            + spread_summary(run.res.cases) + machine_kind(run) + ", so DRAM-sized cases (16M, 64M) move by "
            "several percent between runs and in-cache cases by more when a neighbour is busy. "
            "Rates come from the thread's CPU time, not wall-clock time: on a small shared machine the thread is "
            "often descheduled for other processes (their time is in the JSON's real_time, and PyTorch is timed "
            "with time.process_time() the same way); cache and memory-bandwidth contention from neighbours "
            "still shows. Ratios taken within one run (% of memcpy, speedups) are steadier than absolute "
            "numbers. Compare two builds with Google Benchmark's tool on the kept JSON: "
            "`/usr/bin/python3 /usr/share/benchmark/compare.py benchmarks old.json new.json`.", ""]


def insns_section(run):
    ins = run.insns
    if not ins:
        return []
    lines = ["## Instructions per element", "",
             f"`simdrop_bench --instructions={ins['n']}`: one call of each operation on {size_label(ins['n'])} "
             f"elements, p = 0.1, one thread, on the `{ins['path']}` path, counted by {ins['counter']}"
             + (f" (the timed auto path is `{run.auto}`: {counted_elsewhere(ins, run.auto)})"
                if ins["path"] != run.auto else "") + ".", "",
             "| operation | instructions/element |", "|---|---:|"]
    lines += [f"| {case_label(*case)} | {count:.2f} |" for case, count in ins["per_element"].items()]
    return lines + [""]


def appendix_sections(run):
    lines = []
    if run.errors:
        lines += ["## Cases that reported an error", ""] + [f"- {e}" for e in run.errors] + [""]
    kb = run.args.kernel_bench
    if kb and os.path.exists(kb):
        with open(kb) as f:
            text = [line.rstrip() for line in f if line.strip()]
        lines += ["## Kernel entries in cache", "",
                  "`checkasm --bench`: each kernel table entry called directly (no dispatch, no threads), "
                  "64K elements in cache, nanoseconds per element, best of 5; gen_<rule>_<dtype> generates the "
                  "mask and applies it, bits_<rule>_<dtype> applies a stored mask; inputs are ordinary values "
                  "in [-1, 1) (subnormals would time the CPU's microcode assists instead).", "", "```"]
        lines += text + ["```", ""]
    return lines + insns_section(run)


def all_cases_section(run):
    res, lines = run.res, ["## All cases", "", "### f32 element dropout", ""]
    for op in OPS:
        lines += [f"#### {op}: {OP_TITLES[op]}", ""] + tables.detail_table(res, op, run.paths, run.sizes, run.ps) + [""]
    if run.esizes:
        lines += ["### Engine operations (p = 0.1)", ""]
        for op, dt, glen, title in ENGINE_OPS:
            rows = tables.engine_detail_table(res, (op, dt, glen), run.epaths, run.esizes)
            if len(rows) > 2:
                lines += [f"#### {case_label(op, dt, glen)}: {title}", ""] + rows + [""]
    all_sizes = sorted(set(run.sizes) | set(run.esizes))
    return lines + ["### Baselines", ""] + tables.baseline_table(res, all_sizes, run.ps) + [""]


def document(run):
    """REPORT.md's lines."""
    return (header(run) + machine_section(run) + [""] + targets_section(run) + peers_sections(run)
            + overview_section(run) + ["", "## Bit-exact verification", ""]
            + verify_section(run.args.verify, run.args.verify_command) + noise_section(run)
            + appendix_sections(run) + all_cases_section(run))
