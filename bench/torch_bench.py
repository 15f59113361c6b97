#!/usr/bin/python3
"""torch_bench.py: times PyTorch's CPU dropout operations (what users run today) on the benchmark suite's sizes, for bench/report.py.

Measures, with one intra-op thread (the C suite is one pinned thread too), in process CPU time
as the C suite uses CPU time (a shared machine deschedules us; that is not PyTorch's cost):
  dropout            F.dropout(x, p, training=True): float32 on --sizes at every --p; bfloat16
                     and float64 on --engine-sizes at p = 0.1 (float16 where PyTorch has it)
  alpha_dropout      F.alpha_dropout(x, p, training=True), float32
  bias_dropout_add   r + F.dropout(x + b, p, training=True), float32, x and r (n / cols, cols),
                     b (cols,) broadcast along the rows
  dropout2d          F.dropout2d(x, p, training=True), float32 (N, C, 32, 32): groups of 1024
  dropout_fwd_bwd, bias_dropout_add_fwd_bwd
                     the same forward, then backward of a given gradient through autograd
                     (x.grad, and b.grad for the bias), float32
The engine operations run at p = 0.1 on --engine-sizes. Then, unless --no-modules, the drop-in
against what it replaces: simdrop.torch.Dropout against torch.nn.Dropout, forward + backward
through autograd at --module-sizes (1 element to 16M: at the small end the fixed cost per call
decides) in --module-dtypes, and the two training steps (bench/torch_module_bench.py's cases:
process CPU time, the best of short timings over --module-budget seconds per variant, the two
interleaved, with the page faults per call); it needs
simdrop.torch importable (report.sh sets PYTHONPATH and SIMDROP_LIBRARY to the build's library).
JSON written to --out:
  {"torch_version": ..., "threads": 1, "results": [{"op", "dtype", "n", "p", "median_s", "min_s",
   "max_s", "calls", "repetitions"}, ...], "skipped": [{"op", "dtype", "reason"}, ...],
   "modules": {"rows": [torch_module_bench.module_results() rows], "simdrop_isa", ...}
              or {"skipped": reason}}
(n counts elements; "cols" / "group_len" where they apply.) Exits with status 3, writing
nothing, if torch or numpy does not import (the report says so).
"""
import argparse
import json
import os
import statistics
import sys
import time


def time_calls(fn, min_time):
    """Seconds per call of fn, from enough calls to last min_time (and at least one)."""
    calls = 1
    while True:
        start = time.process_time()
        for _ in range(calls):
            fn()
        elapsed = time.process_time() - start
        if elapsed >= min_time:
            return elapsed / calls, calls
        # Aim past min_time in one step, as Google Benchmark does, without overshooting wildly.
        calls = max(calls + 1, min(calls * 10, int(calls * min_time * 1.4 / max(elapsed, 1e-9))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4096,65536,1048576,16777216,67108864",
                    help="sizes of float32 F.dropout")
    ap.add_argument("--engine-sizes", default="65536,1048576,16777216",
                    help="sizes of the other operations and dtypes")
    ap.add_argument("--p", default="0.1,0.5", help="p of float32 F.dropout (the others: 0.1)")
    ap.add_argument("--cols", type=int, default=1024, help="bias length of bias_dropout_add")
    ap.add_argument("--min-time", type=float, default=0.25)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--no-modules", dest="modules", action="store_false",
                    help="skip simdrop.torch.Dropout against torch.nn.Dropout")
    ap.add_argument("--module-sizes", default="1,10,200,1024,65536,1048576,16777216")
    ap.add_argument("--module-dtypes", default="float32,float64,bfloat16,float16")
    ap.add_argument("--module-reps", type=int, default=5, help="rounds at least")
    ap.add_argument("--module-target", type=float, default=0.001, help="seconds per timing")
    ap.add_argument("--module-budget", type=float, default=0.5, help="seconds per variant at least")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    try:
        import numpy  # noqa: F401  (the report's condition is "torch and numpy import")
        import torch
        import torch.nn.functional as F
    except Exception as exc:  # ImportError, or a broken install raising something else
        print(f"torch_bench: skipped: {exc}", file=sys.stderr)
        return 3

    torch.set_num_threads(1)
    dtypes = {"f32": torch.float32, "f64": torch.float64, "bf16": torch.bfloat16, "f16": torch.float16}
    results, skipped = [], []

    def measure(op, dtype, n, p, fn, **extra):
        try:
            fn()  # warm-up: allocator, first-touch of the output pages; and does it run at all
        except Exception as exc:  # e.g. "bernoulli_scalar_cpu_" not implemented for 'Half'
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not any(s["op"] == op and s["dtype"] == dtype for s in skipped):
                skipped.append({"op": op, "dtype": dtype, "reason": reason})
            print(f"torch_bench: {op} {dtype}: not available: {reason}", file=sys.stderr)
            return
        times, calls = [], 0
        for _ in range(args.repetitions):
            t, calls = time_calls(fn, args.min_time)
            times.append(t)
        results.append({"op": op, "dtype": dtype, "n": n, "p": p, **extra,
                        "median_s": statistics.median(times), "min_s": min(times),
                        "max_s": max(times), "calls": calls, "repetitions": args.repetitions})
        print(f"torch_bench: {op} {dtype} n={n} p={p} {n / results[-1]['median_s'] / 1e9:.4f} Gelem/s",
              file=sys.stderr)

    def values(shape, dtype, requires_grad=False):
        return (torch.rand(shape, dtype=torch.float32) * 2 - 1).to(dtype).requires_grad_(requires_grad)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    engine_sizes = [int(s) for s in args.engine_sizes.split(",") if s]
    # Forward calls as inference-style calls, without an autograd graph: the cheapest path.
    with torch.no_grad():
        for n in sizes:
            x = values(n, torch.float32)
            for p in [float(s) for s in args.p.split(",")]:
                measure("dropout", "f32", n, p, lambda: F.dropout(x, p, training=True))
            del x
        for n in engine_sizes:
            for name in ("bf16", "f64", "f16"):
                x = values(n, dtypes[name])
                measure("dropout", name, n, 0.1, lambda: F.dropout(x, 0.1, training=True))
                del x
            x = values(n, torch.float32)
            measure("alpha_dropout", "f32", n, 0.1, lambda: F.alpha_dropout(x, 0.1, training=True))
            groups = n // 1024
            batch = 16 if groups % 16 == 0 else 1
            x4 = x.view(batch, groups // batch, 32, 32)
            measure("dropout2d", "f32", n, 0.1, lambda: F.dropout2d(x4, 0.1, training=True),
                    group_len=1024)
            rows = n // args.cols
            x2, r = x.view(rows, args.cols), values((rows, args.cols), torch.float32)
            b = values(args.cols, torch.float32)
            measure("bias_dropout_add", "f32", n, 0.1,
                    lambda: r + F.dropout(x2 + b, 0.1, training=True), cols=args.cols)
            del x, x4, x2, r, b
    # Forward and backward through autograd: what a training step pays for the layer.
    for n in engine_sizes:
        x = values(n, torch.float32, requires_grad=True)
        g = values(n, torch.float32)

        def dropout_step():
            F.dropout(x, 0.1, training=True).backward(g)
            x.grad = None

        measure("dropout_fwd_bwd", "f32", n, 0.1, dropout_step)
        rows = n // args.cols
        x2 = values((rows, args.cols), torch.float32, requires_grad=True)
        b = values(args.cols, torch.float32, requires_grad=True)
        r = values((rows, args.cols), torch.float32)
        g2 = g.view(rows, args.cols)

        def bda_step():
            (r + F.dropout(x2 + b, 0.1, training=True)).backward(g2)
            x2.grad = b.grad = None

        measure("bias_dropout_add_fwd_bwd", "f32", n, 0.1, bda_step, cols=args.cols)
        del x, g, x2, b, r, g2
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(),
           "results": results, "skipped": skipped}
    if args.modules:
        out["modules"] = module_comparison(args)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    return 0


def module_comparison(args):
    """simdrop.torch.Dropout against torch.nn.Dropout (torch_module_bench.py's cases), or why not."""
    try:
        import simdrop
        import torch_module_bench as cases  # (this directory: imports simdrop.torch)
    except Exception as exc:  # ImportError, or simdrop's own error naming the library it tried
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"torch_bench: simdrop.torch against torch.nn skipped: {reason}", file=sys.stderr)
        return {"skipped": f"simdrop.torch did not import: {reason}"}
    simdrop.set_num_threads(1)

    def show(row):
        what = row.get("net") or f"{row['dtype']} n={row.get('n', '')}"
        ratio = f"{row['speedup']:.2f}x" if "speedup" in row else row.get("torch_error", "")
        print(f"torch_bench: simdrop.torch against torch.nn, {row['case']} {what}: {ratio}", file=sys.stderr)
    rows = cases.module_results([int(n) for n in args.module_sizes.split(",") if n],
                                [d for d in args.module_dtypes.split(",") if d], (), args.module_reps,
                                args.module_target, args.module_budget, show)
    import simdrop.torch as sdt
    # simdrop.isa() names the path of large calls; under "auto" small ones may run on another
    # (bench/reporting/peers.py small_call_path), under a forced SIMDROP_ISA they do not.
    forced = os.environ.get("SIMDROP_ISA", "") not in ("", "auto")
    return {"rows": rows, "simdrop_version": simdrop.version(), "simdrop_isa": simdrop.isa(),
            "simdrop_isa_forced": forced,
            "route": sdt.NATIVE,
            "budget_s": args.module_budget, "target_s": args.module_target,
            "timing": "process CPU time, best timing, the two interleaved"}


if __name__ == "__main__":
    sys.exit(main())
