"""measure.py: the measurements as the report reads them, and the rates and ratios taken from them.

Inputs: the benchmark suite's JSON (Google Benchmark), checkasm --bench's table of kernel entries,
bench/torch_bench.py's JSON, the "PREFIX key=value ..." lines of bench/scaling.c and
bench/xsmm_bench.c, and the instruction counts of `simdrop_bench --instructions` (from the CPU's
counter, or from callgrind's dumps).
"""
import glob
import json
import os
import re
import statistics

from .catalog import DTYPES, TORCH_OF, TWOPASS_OF


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
    # group_len of group operations; the block cases' row length ("cols") takes the same place
    glen = int(args["group_len"]) if "group_len" in args else int(args["cols"]) if "cols" in args else None
    return op, dt, path, int(args["n"]), p, glen


def case_stats(reps, median):
    """Median rates of one case's repetitions (Google Benchmark's own median aggregate where
    there is one), its fastest repetition, and the spread of their CPU times."""
    times = [r["cpu_time"] for r in reps]  # the rates come from CPU time too
    med = statistics.median(times)
    rate = (lambda key: median[key]) if median else (lambda key: statistics.median(r[key] for r in reps))
    return {"items": rate("items_per_second"), "bytes": rate("bytes_per_second"), "reps": len(reps),
            "best": max(r["items_per_second"] for r in reps),
            "spread": (max(times) - min(times)) / med if med else 0.0}


def load_bench(path):
    """(context, {(op, dtype, path, n, p, group_len): stats}, [errors]) from the suite's JSON."""
    with open(path) as f:
        data = json.load(f)
    runs, aggs, errors = {}, {}, []
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors.append(f"{name}: {b.get('error_message', '')}")
        elif b.get("run_type") == "aggregate":
            aggs.setdefault(name, {})[b["aggregate_name"]] = b
        else:
            runs.setdefault(name, []).append(b)
    cases = {parse_name(name): case_stats(reps, aggs.get(name, {}).get("median"))
             for name, reps in runs.items()}
    return data.get("context", {}), cases, errors


def load_kernel_bench(path):
    """{(entry, path): ns per element} from `checkasm --bench`'s table (a header row naming the
    paths after "kernel", then a row per kernel table entry: each path's time and, in brackets,
    its speed-up over scalar), or None without one."""
    if not path or not os.path.exists(path):
        return None
    times, paths = {}, []
    with open(path) as f:
        for line in f:
            words = line.split()
            if words[:1] == ["kernel"]:
                paths = words[1:]
            elif paths and words:
                values = re.findall(r"(\d+\.\d+) \(\s*[\d.]+x\)", line)
                if len(values) == len(paths):
                    times.update({(words[0], p): float(v) for p, v in zip(paths, values)})
    return times or None


def load_json(path):
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def parse_value(v):
    try:
        return float(v) if "." in v else int(v)
    except ValueError:
        return v


def load_keyvalue_lines(path, prefix):
    """Lines 'PREFIX key=value ...' as dicts (numbers converted)."""
    rows = []
    if not path or not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            if line.startswith(prefix + " "):
                rows.append({k: parse_value(v) for k, _, v in (item.partition("=") for item in line.split()[1:])})
    return rows


def callgrind_total(path):
    """The instructions (Ir) of one callgrind dump, from its summary line."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return None


def load_instructions(listing, callgrind_out=None):
    """{"counter": how counted, "path": path, "n": n, "per_element": {(op, dtype, group_len): x}}
    from `simdrop_bench --instructions` lines; without per_element in them, case k's count is
    callgrind's dump k (callgrind_out.k, e.g. callgrind.out.1234.3). None when nothing was counted."""
    rows = load_keyvalue_lines(listing, "INSNS")
    if not rows:
        return None
    counter = "the CPU's instruction counter (perf_event_open, user mode)"
    if "per_element" not in rows[0]:
        dumps = {int(p.rsplit(".", 1)[1]): p for p in glob.glob(f"{callgrind_out}.*") if p.rsplit(".", 1)[1].isdigit()}
        for row in rows:
            total = callgrind_total(dumps[row["index"]]) if row["index"] in dumps else None
            if total is not None:
                row["per_element"] = total / row["n"]
        counter = "callgrind"
    counts = {(*split_dtype(r["case"]), r.get("group_len")): r["per_element"] for r in rows if "per_element" in r}
    if not counts:
        return None
    return {"counter": counter, "path": rows[0]["path"], "n": rows[0]["n"], "per_element": counts}


class Results:
    """Rates by case, path and size, and the ratios the tables and targets take from them."""

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

    def bytes_per_element(self, case, path, n, p=0.1):
        """Bytes one element costs the case through the API (its GB/s over its Gelem/s);
        path None: memcpy of the case's dtype."""
        op, dt, glen = case
        c = self.cases.get(("memcpy", dt, None, n, None, None) if path is None else (op, dt, path, n, p, glen))
        return c["bytes"] / c["items"] if c and c["items"] else None

    def sizes(self, case, path, p=0.1):
        op, dt, glen = case
        return sorted(k[3] for k in self.cases if k[:3] == (op, dt, path) and k[4] == p and k[5] == glen)

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

    def against_rate(self, case, path, n, p, against, key="items"):
        """The yardstick's rate: memcpy of the case's dtype, the unfused composition, PyTorch's
        counterpart, the scalar path, or another case on the same path."""
        op, dt, glen = case
        if against == "memcpy":
            return self.memcpy(n, key, dt)
        if against == "unfused":
            return self.get("unfused_" + op, dt, path, n, p, None, key)
        if against == "torch":
            t = TORCH_OF.get(case)
            return self.torch_rate(t[0], t[1], n, p, key) if t else None
        if against == "scalar":
            return self.get(op, dt, "scalar", n, p, glen)
        return self.get(against[0], against[1], path, n, p, against[2], key)

    def engine_ratio(self, case, path, n, p, against, key="items"):
        mine = self.get(case[0], case[1], path, n, p, case[2], key)
        other = self.against_rate(case, path, n, p, against, key)
        return mine / other if mine and other else None
