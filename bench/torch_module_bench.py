#!/usr/bin/python3
"""torch_module_bench.py: simdrop.torch.Dropout against torch.nn.Dropout, forward + backward through autograd.

    SIMDROP_LIBRARY=build/libsimdrop.so PYTHONPATH=python /usr/bin/python3 bench/torch_module_bench.py [--json PATH]

One intra-op thread (torch.set_num_threads(1); simdrop's default is one thread too). Time is the
process's CPU time (user + system, so page faults count; the time it waits for a core on a
machine shared with other jobs is nobody's cost), per call, the best of many short timings
(--target seconds each, at least --reps rounds and until each variant has run --budget seconds)
with the variants interleaved: each round times every variant once, so drift hits them alike.
Cases:
  - dropout p = 0.5 on n = 1, 10, 200, 1K, 64K, 1M, 16M elements (--sizes), float32, float64,
    bfloat16 and float16 (--dtypes): y = m(x); y.backward(g) with x a leaf. The tiny sizes are
    where the fixed cost per call decides (Python, ctypes, autograd): the drop-in must not be
    slower there either. inplace=True (float32 and bfloat16, --inplace-dtypes) runs
    m(x.clone()) (an in-place op needs a non-leaf), so the clone (forward, with its graph) is
    timed alone too and the table also gives the ratio without it ("net");
  - with each timing, the minor page faults per call (first touches of memory the allocator took
    fresh from the kernel: on a VM each costs microseconds, and whether a size gets fresh memory
    on every call depends on the allocator's state, which is what makes one size, often 1M,
    fall off on one machine and not another);
  - Dropout2d p = 0.5, float32, forward + backward, on (8, 16, 2, 2), (32, 64, 8, 8),
    (8, 256, 14, 14) and (16, 256, 16, 16) maps, contiguous and channels_last (the layout
    convolution engines prefer);
  - the bytes autograd keeps for backward per element: simdrop's 1-bit mask against the noise
    tensor PyTorch saves;
  - one SGD(momentum) training step (zero_grad, forward, MSE, backward, step) of the notebook's
    10-40-1 network (batch 5) and of a wide one (batch 256, 256-4096-1), with each dropout.
Prints a table; --json PATH also writes the numbers. bench/torch_bench.py runs the same cases
(module_results) for the benchmark report.
"""
import argparse
import json
import math
import platform
import resource
import sys
import time

import torch

import simdrop
import simdrop.torch as sdt


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def calibrate(fn, target):
    """Calls per timing so one timing lasts about `target` seconds (at least 1)."""
    fn()
    t = time.process_time()
    fn()
    dt = time.process_time() - t
    return max(1, int(target / max(dt, 1e-7)))


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def interleaved(variants, reps, target, budget):
    """{name: best CPU seconds per call}, every variant timed once per round, at least `reps`
    rounds and until each has run `budget` seconds; and {name: minor page faults per call in that
    best timing} (first touches of memory the allocator got fresh from the kernel: what makes one
    size fall off on one machine and not another)."""
    inner = {name: calibrate(fn, target) for name, fn in variants.items()}
    best = {name: float("inf") for name in variants}
    spent = {name: 0.0 for name in variants}
    faults = {}
    rounds = 0
    while rounds < reps or (min(spent.values()) < budget and rounds < 100000):
        for name, fn in variants.items():
            k = inner[name]
            f = minor_faults()
            t = time.process_time()
            for _ in range(k):
                fn()
            took = time.process_time() - t
            spent[name] += took
            if took / k < best[name]:
                best[name], faults[name] = took / k, (minor_faults() - f) / k
        rounds += 1
    return best, faults


def dropout_case(n, dtype, inplace, reps, target, budget):
    x = torch.randn(n, dtype=torch.float32).to(dtype).requires_grad_()
    g = torch.randn(n, dtype=torch.float32).to(dtype)
    torch.manual_seed(0)
    ours, theirs = sdt.Dropout(0.5, inplace=inplace), torch.nn.Dropout(0.5, inplace=inplace)

    def run(m):
        if inplace:
            def f():
                x.grad = None
                m(x.clone()).backward(g)
        else:
            def f():
                x.grad = None
                m(x).backward(g)
        return f

    variants = {"simdrop": run(ours), "torch": run(theirs)}
    if inplace:  # the clone's own cost: its backward is a pass-through, x.grad takes dx as is
        variants["clone alone"] = lambda: x.clone()
    return interleaved(variants, reps, target, budget)


def channel_case(shape, memory_format, reps, target, budget):
    """Dropout2d forward + backward, simdrop.torch's against torch.nn's, x in memory_format."""
    x = torch.randn(shape).to(memory_format=memory_format).requires_grad_()
    g = torch.randn(shape).to(memory_format=memory_format)
    torch.manual_seed(0)

    def run(m):
        def f():
            x.grad = None
            m(x).backward(g)
        return f
    return interleaved({"simdrop": run(sdt.Dropout2d(0.5)), "torch": run(torch.nn.Dropout2d(0.5))},
                       reps, target, budget)


def saved_bytes(dtype):
    n = 1 << 16
    x = torch.randn(n).to(dtype).requires_grad_()
    ours = sdt._ops.saved_mask(sdt.functional.dropout(x, 0.5).grad_fn)
    noise = torch.nn.functional.dropout(x, 0.5).grad_fn._saved_other
    return ours.numel() * ours.element_size() / n, noise.numel() * noise.element_size() / n


class MLP(torch.nn.Module):
    def __init__(self, d_in, hidden, drop):
        super().__init__()
        self.fc1 = torch.nn.Linear(d_in, hidden)
        self.relu = torch.nn.ReLU()
        self.dropout = drop
        self.fc2 = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


def mlp_case(batch, d_in, hidden, reps, target, budget, trials=3):
    """The training step with each dropout: best per variant over `trials` fresh pairs of models
    (one pair's times can sit 20% apart from the next pair's, in both directions, on the same
    machine: where its tensors happen to lie in memory)."""
    x, y = torch.randn(batch, d_in), torch.randn(batch, 1)
    best, faults = {}, {}
    for _ in range(trials):
        variants = {}
        for name, drop in (("simdrop", sdt.Dropout(0.5)), ("torch", torch.nn.Dropout(0.5))):
            torch.manual_seed(0)
            model = MLP(d_in, hidden, drop)
            opt = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
            loss_fn = torch.nn.MSELoss()

            def step(model=model, opt=opt, loss_fn=loss_fn):
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
            variants[name] = step
        t, f = interleaved(variants, reps, target, budget)
        for name in t:
            if t[name] < best.get(name, float("inf")):
                best[name], faults[name] = t[name], f[name]
    return best, faults


def fmt_time(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} us"


DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16,
          "float16": torch.float16}
SIZES = "1,10,200,1024,65536,1048576,16777216"
STEPS = (("10-40-1, batch 5", (5, 10, 40)), ("256-4096-1, batch 256", (256, 256, 4096)))
# Dropout2d (float32) on maps of a small, a mid and a late CNN layer, and one of 1M elements
# (past the C++ route's GLUE_MAX: the Python route, and non-temporal stores), in both memory
# formats that convolution engines hand it.
CHANNEL_SHAPES = ((8, 16, 2, 2), (32, 64, 8, 8), (8, 256, 14, 14), (16, 256, 16, 16))
LAYOUTS = (("contiguous", torch.contiguous_format), ("channels_last", torch.channels_last))


def module_results(sizes, dtypes, inplace_dtypes, reps, target, budget, show=print):
    """The dropout and training-step cases as rows ({"case", "dtype", "n", "inplace",
    "simdrop_s", "torch_s", "speedup", ...}); show(row) is called as each is measured."""
    rows = []
    for name in dtypes:
        try:
            torch.nn.functional.dropout(torch.ones(8, dtype=DTYPES[name]), 0.5)
        except RuntimeError as exc:  # torch 1.13: "bernoulli_scalar_cpu_" not implemented for 'Half'
            rows.append({"case": "dropout fwd+bwd", "dtype": name, "torch_s": None,
                         "torch_error": str(exc).splitlines()[0]})
            show(rows[-1])
            continue
        for n in sizes:
            for inplace in (False, True) if name in inplace_dtypes else (False,):
                t, faults = dropout_case(n, DTYPES[name], inplace, reps, target, budget)
                row = {"case": "dropout fwd+bwd", "dtype": name, "n": n, "inplace": inplace,
                       "simdrop_s": t["simdrop"], "torch_s": t["torch"], "speedup": t["torch"] / t["simdrop"],
                       "simdrop_faults": faults["simdrop"], "torch_faults": faults["torch"]}
                if inplace:
                    c = row["clone_s"] = t["clone alone"]
                    if t["simdrop"] > c:
                        row["speedup_net_of_clone"] = (t["torch"] - c) / (t["simdrop"] - c)
                rows.append(row)
                show(row)
    for shape in CHANNEL_SHAPES:
        for layout, fmt in LAYOUTS:
            t, faults = channel_case(shape, fmt, reps, target, budget)
            rows.append({"case": "dropout2d fwd+bwd", "dtype": "float32", "shape": list(shape),
                         "layout": layout, "n": math.prod(shape), "simdrop_s": t["simdrop"],
                         "torch_s": t["torch"], "speedup": t["torch"] / t["simdrop"],
                         "simdrop_faults": faults["simdrop"], "torch_faults": faults["torch"]})
            show(rows[-1])
    for label, (batch, d_in, hidden) in STEPS:
        t, faults = mlp_case(batch, d_in, hidden, reps, target, budget)
        rows.append({"case": "mlp step", "net": label, "dtype": "float32", "simdrop_s": t["simdrop"],
                     "torch_s": t["torch"], "speedup": t["torch"] / t["simdrop"],
                     "simdrop_faults": faults["simdrop"], "torch_faults": faults["torch"]})
        show(rows[-1])
    return rows


def show_row(row):
    faults = f"{row['simdrop_faults']:7.0f} {row['torch_faults']:7.0f}" if "torch_faults" in row else ""
    if row["case"] == "dropout2d fwd+bwd":
        print(f"Dropout2d {tuple(row['shape'])} {row['layout']:13s} {fmt_time(row['simdrop_s']):>11s} "
              f"{fmt_time(row['torch_s']):>11s} {row['speedup']:7.2f}x  {faults}", flush=True)
        return
    if row["case"] == "mlp step":
        print(f"  {row['net']:24s} simdrop {fmt_time(row['simdrop_s']):>11s}  torch "
              f"{fmt_time(row['torch_s']):>11s}  {row['speedup']:.2f}x  {faults}", flush=True)
        return
    if row["torch_s"] is None:
        print(f"{row['dtype']:9s} {'':9s} {'':12s} not timed: PyTorch cannot run it ({row['torch_error']})",
              flush=True)
        return
    net = ""
    if "speedup_net_of_clone" in row:
        net = f"{row['speedup_net_of_clone']:.2f}x (clone {fmt_time(row['clone_s'])})"
    print(f"{row['dtype']:9s} {row['n']:9d} {'inplace' if row['inplace'] else 'out of place':12s} "
          f"{fmt_time(row['simdrop_s']):>11s} {fmt_time(row['torch_s']):>11s} {row['speedup']:7.2f}x  {faults}  {net}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--sizes", default=SIZES)
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    ap.add_argument("--inplace-dtypes", default="float32,bfloat16")
    ap.add_argument("--reps", type=int, default=5, help="rounds at least; the best timing is kept (default 5)")
    ap.add_argument("--target", type=float, default=0.001, help="seconds per timing (default 0.001)")
    ap.add_argument("--budget", type=float, default=0.5, help="seconds each variant runs at least (default 0.5)")
    ap.add_argument("--quick", action="store_true", help="fewer sizes, shorter runs (a smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.reps, args.budget = "1,200,65536", 2, 0.05
    torch.set_num_threads(1)
    simdrop.set_num_threads(1)
    info = {"cpu": cpu_name(), "torch_version": torch.__version__, "simdrop_version": simdrop.version(),
            "simdrop_isa": simdrop.isa(), "python": sys.version.split()[0], "threads": 1,
            "reps": args.reps, "budget_s": args.budget, "target_s": args.target,
            "timing": "process CPU time, best timing, variants interleaved"}
    print(f"CPU: {info['cpu']}; torch {info['torch_version']}; simdrop {info['simdrop_version']} "
          f"({info['simdrop_isa']}); 1 thread; process CPU time, best {args.target * 1e3:g} ms timing of at least "
          f"{args.budget:g} s per variant, interleaved\n")
    print(f"{'dtype':9s} {'n':>9s} {'mode':12s} {'simdrop':>11s} {'torch':>11s} {'speedup':>8s}  "
          "page faults per call (simdrop torch)  net of clone")
    sizes = [int(s) for s in args.sizes.split(",")]
    dtypes = [d for d in args.dtypes.split(",") if d]
    steps_header = []

    def show(row):
        if row["case"] == "mlp step" and not steps_header:
            steps_header.append(1)
            print("\ntraining step (zero_grad, forward, MSE, backward, SGD momentum), float32:")
        show_row(row)
    results = module_results(sizes, dtypes, args.inplace_dtypes.split(","), args.reps, args.target,
                             args.budget, show)
    print("\nbytes kept for backward per element (p = 0.5, 64K elements):")
    for name in ("float32", "bfloat16"):
        ours, theirs = saved_bytes(DTYPES[name])
        results.append({"case": "saved bytes per element", "dtype": name, "simdrop": ours, "torch": theirs})
        print(f"  {name:9s} simdrop {ours:.3f} (1-bit mask), torch {theirs:.3f} (noise tensor)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**info, "results": results}, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
