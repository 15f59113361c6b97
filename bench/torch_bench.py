#!/usr/bin/python3
"""torch_bench.py: times PyTorch's CPU dropout (what users run today) on the benchmark suite's sizes, for bench/report.py.

Measures torch.nn.functional.dropout(x, p, training=True) on float32 tensors of n elements with one
intra-op thread (the C suite is one pinned thread too), in process CPU time as the C suite uses
CPU time (a shared machine deschedules us; that is not PyTorch's cost), and writes JSON:
  {"torch_version": ..., "threads": 1, "results": [{"n", "p", "median_s", "min_s", "max_s",
   "calls", "repetitions"}, ...]}
Exits with status 3, writing nothing, if torch or numpy does not import (the report says so).
"""
import argparse
import json
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
    ap.add_argument("--sizes", default="4096,65536,1048576,16777216,67108864")
    ap.add_argument("--p", default="0.1,0.5")
    ap.add_argument("--min-time", type=float, default=0.25)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    try:
        import numpy  # noqa: F401  (the report's condition is "torch and numpy import")
        import torch
    except Exception as exc:  # ImportError, or a broken install raising something else
        print(f"torch_bench: skipped: {exc}", file=sys.stderr)
        return 3

    torch.set_num_threads(1)
    drop = torch.nn.functional.dropout
    results = []
    with torch.no_grad():  # inference-style call: no autograd graph, the cheapest dropout path
        for n in [int(s) for s in args.sizes.split(",")]:
            x = torch.rand(n, dtype=torch.float32) * 2 - 1
            for p in [float(s) for s in args.p.split(",")]:
                fn = lambda: drop(x, p, training=True)  # noqa: E731
                fn()  # warm-up: allocator, first-touch of the output pages
                times, calls = [], 0
                for _ in range(args.repetitions):
                    t, calls = time_calls(fn, args.min_time)
                    times.append(t)
                results.append({"n": n, "p": p, "median_s": statistics.median(times),
                                "min_s": min(times), "max_s": max(times), "calls": calls,
                                "repetitions": args.repetitions})
                print(f"torch_bench: n={n} p={p} {n / results[-1]['median_s'] / 1e9:.3f} Gelem/s",
                      file=sys.stderr)
            del x
    with open(args.out, "w") as f:
        json.dump({"torch_version": torch.__version__, "threads": torch.get_num_threads(),
                   "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
