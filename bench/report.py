#!/usr/bin/python3
"""report.py: writes REPORT.md and throughput.png from one run's measurements (bench/report.sh calls it).

The measurements: the benchmark JSON, checkasm's verification, the PyTorch timings, the thread
scaling and the instruction counts.

Called by bench/report.sh, which says where they go (--out); only Debian packages (python3-matplotlib)
and the standard library. The work is in bench/reporting/ (one module per concern: catalog, measure,
machine, verify, explain, tables, sections, peers, plots); this file is the command line.
Explanations of missed targets are derived from this run's numbers and this machine's facts
(bench/reporting/explain.py); raw/machine.json keeps the facts they used.
"""
import argparse
import json
import os
import types

from reporting import machine, measure, plots, sections
from reporting.catalog import FLOAT_OPS, OPS, pinning
from reporting.explain import Evidence


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--verify", required=True, help="checkasm --verify output")
    ap.add_argument("--verify-command", default="checkasm --verify")
    ap.add_argument("--kernel-bench", help="checkasm --bench output (ns per element per kernel entry)")
    ap.add_argument("--torch")
    ap.add_argument("--torch-skip-reason", default="")
    ap.add_argument("--instructions", help="simdrop_bench --instructions output (INSNS lines)")
    ap.add_argument("--callgrind-out", help="callgrind's output file name, whose dumps .1, .2, ... hold "
                                            "the counts when the INSNS lines have none")
    ap.add_argument("--instructions-skip", dest="insns_skip", default="",
                    help="why no instructions were counted, for the report")
    ap.add_argument("--features", help="the library's report of the CPU features it detected "
                                       "(else /proc/cpuinfo's flags are shown, labelled as such)")
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
    return ap.parse_args()


def load_run(args):
    """Everything the sections read, in one namespace."""
    context, cases, errors = measure.load_bench(args.bench)
    torch = measure.load_json(args.torch)
    res = measure.Results(cases, torch)
    paths = [p for p in context.get("simdrop_paths", "").split(",") if p]
    f32_paths = [p for p in paths if any(k[2] == p and k[1] == "f32" and k[0] in FLOAT_OPS and k[4] == 0.5
                                         for k in cases)]
    auto = context.get("simdrop_auto_path", "?")
    insns = measure.load_instructions(args.instructions, args.callgrind_out)
    facts = machine.describe(args.build_dir, args.features)
    return types.SimpleNamespace(
        args=args, context=context, errors=errors, torch=torch, res=res, auto=auto, machine=facts, insns=insns,
        paths=f32_paths or sorted({k[2] for k in cases if k[2]}),
        supported_paths=paths,  # every path this CPU ran, best first (the drop-in's small calls)
        epaths=[p for p in context.get("simdrop_engine_paths", "").split(",") if p],
        sizes=sorted({k[3] for k in cases if k[1] in ("f32", None) and k[0] in OPS + ["memcpy"]}),
        esizes=sorted({k[3] for k in cases if k[1] in ("f64", "bf16", "f16") or k[5]}),
        ps=sorted({k[4] for k in cases if k[4] is not None}),
        scaling=measure.load_keyvalue_lines(args.scaling, "SCALING"),
        scaling_png=os.path.join(args.out, "scaling.png"),
        xsmm=measure.load_keyvalue_lines(args.xsmm, "XSMM"),
        evidence=Evidence(res, auto, facts, insns, measure.load_kernel_bench(args.kernel_bench)))


def save_facts(run):
    """raw/machine.json: the machine facts and instruction counts the explanations used."""
    raw = os.path.join(run.args.out, "raw")
    os.makedirs(raw, exist_ok=True)
    insns = dict(run.insns, per_element={"_".join(str(x) for x in k if x): v
                                         for k, v in run.insns["per_element"].items()}) if run.insns else None
    with open(os.path.join(raw, "machine.json"), "w") as f:
        json.dump({"machine": run.machine, "instructions": insns, "auto_path": run.auto}, f, indent=1)


def main():
    run = load_run(parse_args())
    plots.plot(run.res, run.paths, run.sizes, run.esizes, run.auto, pinning(run.args.pinned),
               os.path.join(run.args.out, "throughput.png"))
    plots.plot_scaling(run.scaling, run.scaling_png)
    save_facts(run)
    with open(os.path.join(run.args.out, "REPORT.md"), "w") as f:
        f.write("\n".join(sections.document(run)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
