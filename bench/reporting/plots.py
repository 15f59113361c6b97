"""plots.py: throughput.png (every f32 operation per path, and the engine operations on the auto
path, against size) and scaling.png (threads). matplotlib (Debian's python3-matplotlib), Agg."""
from .catalog import DTYPES, FLOAT_OPS, OP_TITLES, OPS, TWOPASS_OF, case_label, size_label


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


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


def f32_panel(ax, res, paths, sizes, op, p):
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


def dtype_panel(ax, res, xs, auto):
    colors = {"f32": "C0", "f64": "C1", "bf16": "C2", "f16": "C3"}
    for dt in DTYPES:
        line(ax, xs, [res.get("forward_mask", dt, auto, n, 0.1) for n in xs], "-o", color=colors[dt],
             label=f"forward with mask {dt}")
        if dt != "f16":  # the same bytes as bf16
            line(ax, xs, [res.memcpy(n, dt=dt) for n in xs], "--", color=colors[dt],
                 label="memcpy bf16 = f16" if dt == "bf16" else f"memcpy {dt}")
    decorate(ax, xs, f"forward with mask per dtype, {auto}, p = 0.1\n(dashed: memcpy of the same bytes)",
             "elements")


def cases_panel(ax, res, xs, auto, styled, title, torch_label=None):
    """One line per (case, style) on the auto path, memcpy_f32, and PyTorch's fused op if asked."""
    for (op, dt, glen), style in styled:
        line(ax, xs, [res.get(op, dt, auto, n, 0.1, glen) for n in xs], style, label=case_label(op, dt, glen))
    line(ax, xs, [res.memcpy(n) for n in xs], "k--", label="memcpy_f32")
    if torch_label:
        line(ax, xs, [res.torch_rate("bias_dropout_add", "f32", n, 0.1) for n in xs], ":x", color="red",
             label=torch_label)
    decorate(ax, xs, title, "elements")


ENGINE_FORWARDS = [(("forward_mask", "f32", None), "-o"), (("groups_forward", "f32", 1024), "-s"),
                   (("groups_forward", "f32", 4), "-v"), (("alpha_forward", "f32", None), "-^"),
                   (("bias_dropout_add", "f32", None), "-D"), (("unfused_bias_dropout_add", "f32", None), ":D"),
                   (("bias_dropout_add", "bf16", None), "-P")]
ENGINE_BACKWARDS = [(("backward", dt, None), "-o") for dt in DTYPES] + [
    (("groups_backward", "f32", 1024), "-s"), (("groups_backward", "f32", 4), "-v"),
    (("alpha_backward", "f32", None), "-^"), (("bias_dropout_add_backward", "f32", None), "-D"),
    (("bias_dropout_add_backward", "bf16", None), "-P")]


def plot(res, paths, sizes, esizes, auto, pinned, out_png):
    """One panel per f32 operation at p = 0.1, and forward with mask again at p = 0.5; a third
    row for the engine operations on the auto path."""
    plt = pyplot()
    fig, axes = plt.subplots(3, 3, figsize=(15, 13), sharey=True)
    for ax, (op, p) in zip(axes.flat, [(op, 0.1) for op in OPS] + [("forward_mask", 0.5)]):
        f32_panel(ax, res, paths, sizes, op, p)
    xs = esizes or sizes
    dtype_panel(axes[2][0], res, xs, auto)
    cases_panel(axes[2][1], res, xs, auto, ENGINE_FORWARDS, f"engine forwards, {auto}, p = 0.1",
                "PyTorch r + dropout(x + b)")
    cases_panel(axes[2][2], res, xs, auto, ENGINE_BACKWARDS, f"backward from the mask, {auto}, p = 0.1")
    for row in axes:
        row[0].set_ylabel("Gelem/s (median)")
    fig.suptitle(f"simdrop throughput per kernel path vs size, one thread {pinned}; "
                 "memcpy of the same bytes is the roofline")
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)


def plot_scaling(rows, png):
    if not rows:
        return
    plt = pyplot()
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
