"""tables.py: the report's Markdown tables of rates and ratios (one function per table)."""
import math

from .catalog import (DTYPES, ENGINE_TARGETS, FLOAT_OPS, MEMORY_CASES, MEMORY_TARGETS, OPS, TARGETS,
                      TWOPASS_OF, ENGINE_OPS, TORCH_OF, case_label, size_label)
from .explain import SAME_BYTES, explain, verdict


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def xfmt(value, minimum=None):
    """A ratio as "0.78x"; against a target it misses, with 3 decimals rounded down where 2 would
    print the target itself (0.8996 against 0.9: "0.899x", not "0.90x")."""
    if value is None:
        return "n/a"
    if minimum is not None and value < minimum <= float(f"{value:.2f}"):
        return f"{math.floor(value * 1000) / 1000:.3f}x"
    return f"{value:.2f}x"


def giga(value, digits=2):
    return fmt(value and value / 1e9, digits)


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
                         f"{xfmt(r, minimum)} {'met' if r >= minimum else '**missed**'}"
                         + (f" (best {xfmt(best, minimum)})" if best else ""))
        lines.append(f"| {label} | >= {minimum:g}x | " + " | ".join(cells) + " |")
    return lines


def engine_targets(res, auto):
    """[(target, ratio, best ratio)] on the auto path at p = 0.1."""
    return [(t, res.engine_ratio(t[2], auto, t[3], 0.1, t[4]), res.engine_ratio(t[2], auto, t[3], 0.1, t[4], "best"))
            for t in ENGINE_TARGETS]


def engine_targets_table(rows, evidence):
    lines = ["| id | target (p = 0.1, auto path) | needs | measured | best reps | result | why (if missed) |",
             "|---|---|---|---:|---:|---|---|"]
    for target, r, best in rows:
        tid, label, minimum = target[0], target[1], target[5]
        lines.append(f"| `{tid}` | {label} | >= {minimum:g}x | {xfmt(r, minimum)} | {xfmt(best, minimum)} | "
                     f"{verdict(r, minimum)} | {explain(evidence, target, r, best)} |")
    return lines


def memory_targets_table(res, auto):
    lines = ["| operation | " + " | ".join(f"{size_label(n)} (needs >= {m:g}x)" for n, m in MEMORY_TARGETS)
             + " |", "|---|" + "---|" * len(MEMORY_TARGETS)]
    for op, dt, glen in MEMORY_CASES:
        cells = []
        for n, minimum in MEMORY_TARGETS:
            mine = res.get(op, dt, auto, n, 0.1, glen)
            other = res.memcpy(n, "items", dt)
            r = mine / other if mine and other else None
            cells.append("not measured" if r is None else f"{xfmt(r, minimum)} {verdict(r, minimum)}")
        lines.append(f"| {case_label(op, dt, glen)} | " + " | ".join(cells) + " |")
    return lines


def overview_table(res, paths, sizes):
    cols = paths + ["two-pass", "memcpy", "PyTorch"]
    lines = ["| operation | n | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
    for op in OPS:
        for n in sizes:
            cells = [giga(res.items(op, path, n, 0.1)) for path in paths]
            cells.append(giga(res.get(TWOPASS_OF[op], "f32", None, n, 0.1) if op in TWOPASS_OF else None))
            cells.append(giga(res.memcpy(n)) if op in FLOAT_OPS and res.memcpy(n) else "")
            t = res.torch_rate("dropout", "f32", n, 0.1) if op == "forward_mask" else None
            cells.append(giga(t, 3) if t else "")
            lines.append(f"| {op} | {size_label(n)} | " + " | ".join(cells) + " |")
    return lines


def engine_overview_table(res, epaths, esizes, auto):
    cols = epaths + ["memcpy (same n)", f"x memcpy ({auto})", "PyTorch", f"x PyTorch ({auto})"]
    lines = ["| operation | n | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
    for op, dt, glen, _ in ENGINE_OPS:
        for n in esizes:
            if not any(res.get(op, dt, path, n, 0.1, glen) for path in epaths):
                continue
            cells = [giga(res.get(op, dt, path, n, 0.1, glen)) for path in epaths]
            cells.append(giga(res.memcpy(n, dt=dt)))
            cells.append(fmt(res.engine_ratio((op, dt, glen), auto, n, 0.1, "memcpy")))
            t = TORCH_OF.get((op, dt, glen))
            tr = res.torch_rate(t[0], t[1], n, 0.1) if t else None
            cells.append(giga(tr, 3) if tr else "")
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


def bytes_over_memcpy(res, case, paths, sizes):
    """The case's bytes per element over a memcpy's of as many elements of its dtype (the first
    path and size measured with both), or None."""
    for n in sizes:
        copy = res.bytes_per_element(case, None, n)
        for path in paths:
            mine = res.bytes_per_element(case, path, n)
            if mine and copy:
                return mine / copy
    return None


def memcpy_column(res, case, paths, sizes):
    """What "% of memcpy" compares with: a memcpy of the same n elements, which moves the case's
    bytes except where the case moves more (the fused op also reads the residual)."""
    more = bytes_over_memcpy(res, case, paths, sizes)
    if more is None or abs(more - 1) <= SAME_BYTES:
        return "% of memcpy (same bytes)"
    return f"% of memcpy (same n: this moves {more:.2f}x its bytes)"


def engine_detail_table(res, case, paths, sizes):
    op, dt, glen = case
    lines = [f"| n | path | Gelem/s | GB/s | {memcpy_column(res, case, paths, sizes)} | x scalar | spread |",
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
