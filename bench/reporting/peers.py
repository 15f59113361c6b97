"""peers.py: the report's sections on what simdrop is compared with beyond memcpy: PyTorch, the
library's own threads against a threaded memcpy, and libxsmm."""
import os

from .catalog import FWD_BWD, TORCH_OF, TORCH_TITLES, case_label, size_label
from .explain import verdict
from .tables import fmt, xfmt


def torch_section(res, torch, skip_reason, paths, sizes, ps, pinned):
    """PyTorch's dropout against simdrop's forward with mask; pinned: how both ran (catalog.pinning)."""
    if not torch:
        return [f"PyTorch was **skipped**: {skip_reason or 'python3-torch / python3-numpy did not import'}."]
    vector = [p for p in paths if p != "scalar"]
    results = torch["results"]
    lines = [f"`torch.nn.functional.dropout(x, p, training=True)`, float32, PyTorch {torch['torch_version']} "
             f"(Debian python3-torch), {torch['threads']} thread, {pinned}, as simdrop's; median of "
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


def torch_row(title, dtype, n, torch_rate, simdrop_name, mine):
    return (f"| {title} | {dtype} | {size_label(n)} | {fmt(torch_rate and torch_rate / 1e9, 4)} | "
            f"{simdrop_name} | {fmt(mine and mine / 1e9, 3)} | "
            f"{fmt(mine / torch_rate, 1) if mine and torch_rate else 'n/a'} |")


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
            t, mine = res.torch_rate(top, tdt, n, 0.1), res.get(case[0], case[1], auto, n, 0.1, case[2])
            if t is not None or mine is not None:
                lines.append(torch_row(TORCH_TITLES[top], tdt, n, t, case_label(*case), mine))
    for top, fwd, bwd in FWD_BWD:
        for n in esizes:
            t = res.torch_rate(top, "f32", n, 0.1)
            a, b = res.get(*fwd[:2], auto, n, 0.1, fwd[2]), res.get(*bwd[:2], auto, n, 0.1, bwd[2])
            mine = 1 / (1 / a + 1 / b) if a and b else None
            if t is not None or mine is not None:
                lines.append(torch_row(TORCH_TITLES[top], "f32", n, t, f"{fwd[0]} + {bwd[0]}", mine))
    for s in torch.get("skipped", []):
        lines += ["", f"PyTorch {s['op']} on {s['dtype']} is not available on the CPU: `{s['reason']}`."]
    return lines


def seconds(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} us"


def module_label(row):
    """A drop-in row's name: its dtype, or the Dropout2d shape and layout, or the training step."""
    if row["case"] == "mlp step":
        return f"training step {row['net']}, float32"
    if row["case"] == "dropout2d fwd+bwd":
        return f"Dropout2d ({', '.join(map(str, row['shape']))}) {row['layout']}, {row['dtype']}"
    return row["dtype"]


def module_row(row):
    if row.get("torch_s") is None:
        return f"| {row['dtype']} | all | | | | PyTorch cannot run it: `{row['torch_error']}` |"
    what = f"{module_label(row)} | " + (size_label(row["n"]) if row["case"] != "mlp step" else "")
    return (f"| {what} | {seconds(row['simdrop_s'])} | {seconds(row['torch_s'])} | "
            f"{xfmt(row['speedup'])} | {row['simdrop_faults']:.0f} / {row['torch_faults']:.0f} |")


# Calls of fewer elements than this run "auto" on its small-call path (src/dispatch.c SMALL_CALL).
SMALL_CALL = 1 << 14


def small_call_path(vendor, isa, paths):
    """The path "auto" runs calls of fewer than SMALL_CALL elements on, where isa is its path for
    larger ones; paths: the run's supported paths, best first (the suite's simdrop_paths). The C
    rule (src/dispatch.c init(): automatic.small = best_path(SIMDROP_CPU_AVX512F) on Intel, i.e.
    simdrop_cpu_is_intel(), a GenuineIntel CPU): on Intel, a best path of AVX-512 gives way to the
    best native path without it; elsewhere, and for any other path, isa itself."""
    if vendor != "GenuineIntel" or not isa.startswith("avx512"):
        return isa
    return next((p for p in paths if not p.startswith("avx512") and not p.endswith("-simde")), isa)


def module_paths(modules, vendor, paths):
    """The drop-in's paths in words: the one simdrop.isa() named and, where "auto" ran small calls
    elsewhere, that one; a path SIMDROP_ISA forced runs every call (torch.json before
    simdrop_isa_forced came from bench/report.sh, which unsets SIMDROP_ISA)."""
    isa = modules["simdrop_isa"]
    small = isa if modules.get("simdrop_isa_forced") else small_call_path(vendor, isa, paths)
    if small == isa:
        return f"`{isa}`"
    return (f"`{isa}` (calls under {SMALL_CALL} elements: `{small}`, as on every Intel CPU whose best path "
            "is AVX-512)")


def torch_module_section(torch, vendor="?", paths=()):
    """simdrop.torch.Dropout against torch.nn.Dropout (bench/torch_bench.py's "modules"); vendor
    and paths (the CPU's vendor_id, the run's paths best first) say where small calls ran."""
    modules = (torch or {}).get("modules")
    if not modules:
        return []
    lines = ["", "### simdrop.torch.Dropout and Dropout2d against torch.nn's (the drop-in)", ""]
    if "skipped" in modules:
        return lines + [f"Not measured: {modules['skipped']}."]
    rows = modules["rows"]
    lines += [f"`y = m(x); y.backward(g)` with `x` a leaf that requires grad, p = 0.5, PyTorch "
              f"{torch['torch_version']}, one thread, simdrop on {module_paths(modules, vendor, paths)}"
              + (f", its tiny calls through {modules['route']}" if "route" in modules else "")
              + "; process CPU time "
              f"per call, the best of short timings over {modules['budget_s']:g} s each, the two interleaved "
              "(bench/torch_module_bench.py's cases); the "
              "training steps are zero_grad, forward, MSE, backward and SGD with momentum. x torch above 1: "
              "simdrop is faster. Page faults: minor faults per call in the best repetition, first touches "
              "of memory the allocator took fresh from the kernel (where they appear at one size and not "
              "the next, that size falls off).", "",
              "| dtype (or step) | n | simdrop | torch | x torch | page faults per call (simdrop / torch) |",
              "|---|---|---:|---:|---:|---:|"]
    lines += [module_row(row) for row in rows]
    sized = [r for r in rows if r["case"] == "dropout fwd+bwd" and r.get("n")]
    largest = max((r["n"] for r in sized), default=0)
    refaulted = [r for r in sized if r["n"] < largest and r.get("simdrop_faults", 0) >= 1]
    if refaulted:  # below the largest size the buffers of one call can be those of the last
        lines += ["", "simdrop faults in pages below the largest size (" + ", ".join(
            f"{r['dtype']} n = {size_label(r['n'])}: {r['simdrop_faults']:.0f} a call" for r in refaulted)
            + "): its buffers came fresh from the kernel on every call, where the allocator could have "
            "reused the last call's. glibc's malloc gives the heap's top back to the system once more than "
            "its trim threshold lies free there, which a loop of forward + backward can leave; "
            "`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728` "
            "keeps the heap (docs/PYTORCH.md, \"At 1M elements\": seen under PyTorch 2.6, nn.Dropout alike)."]
    slower = [r for r in rows if r.get("speedup") is not None and r["speedup"] < 1]
    if slower:
        lines += ["", "Slower than PyTorch on this run: " + ", ".join(
            (r.get("net") or module_label(r) + f" n = {size_label(r['n'])}") + f" ({xfmt(r['speedup'])})"
            for r in slower) + "."]
    return lines


def scaling_section(rows, png):
    if not rows:
        return ["No thread-scaling run in this report."]
    n = rows[0]["n"]
    lines = [f"One call of {n // (1 << 20)}M floats on the library's own threads (`simdrop_set_num_threads`), "
             "against a memcpy of the same bytes split over as many threads; wall-clock time, best of the "
             "repetitions, unpinned (`bench/scaling.c`). *bits* says whether output and mask equal the "
             "one-thread call's. Target: forward with mask on all cores >= 0.9x the threaded memcpy.", "",
             f"![thread scaling]({os.path.basename(png)})", "",
             "| operation | threads | simdrop Gelem/s | memcpy Gelem/s | ratio | bits |",
             "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['op']} | {r['threads']} | {r['simdrop']:.2f} | {r['memcpy']:.2f} | "
                     f"{r['ratio']:.2f}x | {'identical' if r['identical'] else '**DIFFER**'} |")
    top = max(r["threads"] for r in rows)
    fwd = [r for r in rows if r["op"] == "forward_mask" and r["threads"] == top]
    if fwd:
        lines += ["", f"Forward with mask on {top} threads: {xfmt(fwd[0]['ratio'], 0.9)} the threaded memcpy: "
                  f"{verdict(fwd[0]['ratio'], 0.9)}."]
    return lines


def xsmm_section(rows, pinned):
    """libxsmm's dropout against simdrop's; pinned: how both ran (catalog.pinning)."""
    lines = ["libxsmm's dropout TPP (`LIBXSMM_MELTW_TYPE_UNARY_DROPOUT` / `_DROPOUT_INV` with a bitmask; JIT "
             "kernels; libxsmm main built from source, as `LIBXSMM_DIR` named) beside simdrop's forward with "
             f"mask and backward, one thread {pinned}, p = 0.1, thread CPU time, best of the interleaved "
             "repetitions (`bench/xsmm_bench.c`). The semantics differ: libxsmm turns a dropped NaN or Inf "
             "into +0 and its masks change with the ISA, the split and the thread count. Target: simdrop "
             ">= 1.1x libxsmm at every size.", "",
             "| n | libxsmm fwd | simdrop fwd | simdrop / libxsmm | libxsmm bwd | simdrop bwd | simdrop / libxsmm "
             "| memcpy |",
             "|---|---:|---:|---|---:|---:|---|---:|"]
    for r in rows:
        f = r["simdrop_forward"] / r["libxsmm_forward"]
        b = r["simdrop_backward"] / r["libxsmm_backward"]
        lines.append(f"| {size_label(r['n'])} | {r['libxsmm_forward']:.2f} | {r['simdrop_forward']:.2f} | "
                     f"{xfmt(f, 1.1)} {verdict(f, 1.1)} | {r['libxsmm_backward']:.2f} | {r['simdrop_backward']:.2f} | "
                     f"{xfmt(b, 1.1)} {verdict(b, 1.1)} | {r['memcpy']:.2f} |")
    return lines
