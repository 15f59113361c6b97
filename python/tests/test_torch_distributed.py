"""simdrop.torch under torch.distributed: the same dropout masks whatever the parallel layout.

A small two-layer transformer (attention with dropout on the attention probabilities, an MLP with
dropout on its hidden activation, dropout on the residual stream after each sublayer) trains for
STEPS steps of SGD on one machine, in processes forked per layout and joined by the gloo backend:

  data parallel   DP ranks hold samples [r*B/DP, (r+1)*B/DP) of the global batch; gradients are
                  summed over the DP group (all_reduce)
  tensor parallel Megatron style: query/key/value column-parallel (the heads split over TP ranks,
                  so the attention-probability dropout runs on a head shard), the attention output
                  row-parallel; the MLP's first linear column-parallel (its hidden activation, and
                  its dropout, sharded by features), the second row-parallel; the residual stream
                  and its dropout replicated on every TP rank
  pipeline        1 or 2 stages (one layer each), GPipe schedule over 1, 2 or 4 microbatches;
                  without a pipeline, microbatches are gradient accumulation (one layout also
                  recomputes every layer in its backward: torch.utils.checkpoint)

Every dropout call's mask (where its output is zero, its input being nonzero) is recorded with the
place of its input in the global tensor; the parent puts the records of every rank into global
tensors, one per (site, step), checks that every element was covered and that replicas agree, and
compares them bit for bit with the single-process run's. Losses agree within float reassociation.
The same harness with torch.nn.Dropout gives different masks: the comparison can fail.

simdrop.torch's side of it: sdt.site_seeds(base, step, model=...) (seeds from the module's
qualified name and the step, never from a generator), sdt.samples(first_sample, B) around each
microbatch, and set_block() on the two sharded dropouts. Exits 77 where torch.distributed or
gloo is missing."""
import collections
import contextlib
import math
import multiprocessing
import os
import sys
import tempfile
import traceback
import unittest

from _testenv import require, skip

require('torch')
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.utils.checkpoint  # noqa: E402

import simdrop.torch as sdt  # noqa: E402

if not dist.is_available() or not dist.is_gloo_available():
    skip("torch.distributed with the gloo backend is not available")

torch.set_num_threads(1)  # forked workers on a 2-core machine: one thread each

B, S, D, H, FF, LAYERS, STEPS = 8, 4, 16, 4, 32, 2, 10
P, LR, BASE = 0.25, 0.05, 20261204
GLOBAL_SHAPES = {"attn_drop": (B, H, S, S), "drop1": (B, S, D), "mlp_drop": (B, S, FF), "drop2": (B, S, D)}

# (data parallel, tensor parallel, pipeline stages, microbatches per DP rank, recompute)
LAYOUTS = [(1, 1, 1, 1, False),  # the reference: one process, the whole batch at once
           (2, 1, 1, 1, False), (4, 1, 1, 1, False),
           (1, 2, 1, 1, False), (1, 4, 1, 1, False),
           (1, 1, 2, 1, False), (1, 1, 2, 2, False), (1, 1, 2, 4, False),
           (1, 1, 1, 4, True), (1, 2, 1, 2, True),
           (2, 2, 1, 1, False), (2, 1, 2, 2, False), (1, 2, 2, 4, False)]
NN_LAYOUTS = [(1, 1, 1, 1, False), (2, 1, 1, 1, False), (1, 2, 1, 1, False), (1, 1, 2, 2, False)]


# ---- the model, tensor-parallel ------------------------------------------------------------------

class _CopyToTP(torch.autograd.Function):
    """Megatron's f: identity forward, gradient summed over the TP group."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        dist.all_reduce(g, group=ctx.group)
        return g, None


class _ReduceFromTP(torch.autograd.Function):
    """Megatron's g: partial results summed over the TP group, identity backward."""

    @staticmethod
    def forward(ctx, x, group):
        x = x.clone()
        dist.all_reduce(x, group=group)
        return x

    @staticmethod
    def backward(ctx, g):
        return g, None


class Probe(torch.nn.Module):
    """A dropout module that records its mask: (output != 0) where its input is nonzero (an input
    with an exact zero would hide a bit, and is an error), with the input's place in the global
    tensor: the first sample (the harness's current microbatch) and the start of each sharded
    dimension."""

    def __init__(self, drop, starts, log, name):
        super().__init__()
        self.drop, self.starts, self.log, self.name = drop, starts, log, name

    def forward(self, x):
        if not bool((x != 0).all()):
            raise AssertionError(f"{self.name}: an input element is exactly 0; its mask bit cannot be read")
        y = self.drop(x)
        self.log.append((self.name, self.log.step, self.log.first_sample, self.starts, (y != 0).clone()))
        return y


class Log(list):
    step = 0
    first_sample = 0


def global_params(seed=0):
    """The global (unsharded) parameters, the same in every process."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale):
        return torch.randn(*shape, generator=g) * scale

    layers = []
    for _ in range(LAYERS):
        layers.append({"wq": rnd(D, D, scale=D ** -0.5), "wk": rnd(D, D, scale=D ** -0.5),
                       "wv": rnd(D, D, scale=D ** -0.5), "bq": rnd(D, scale=0.1), "bk": rnd(D, scale=0.1),
                       "bv": rnd(D, scale=0.1), "wo": rnd(D, D, scale=D ** -0.5), "bo": rnd(D, scale=0.1),
                       "w1": rnd(FF, D, scale=D ** -0.5), "b1": rnd(FF, scale=0.1),
                       "w2": rnd(D, FF, scale=FF ** -0.5), "b2": rnd(D, scale=0.1)})
    return layers


class Layer(torch.nn.Module):
    """A pre-norm transformer layer holding TP rank tp_rank's shard of the global parameters."""

    def __init__(self, gp, tp_rank, tp, group, make_drop, log, name):
        super().__init__()
        self.group = group if tp > 1 else None
        dh, lh, lf = D // H, H // tp, FF // tp
        h0, f0 = tp_rank * lh, tp_rank * lf
        rows = slice(h0 * dh, (h0 + lh) * dh)
        fr = slice(f0, f0 + lf)
        par = torch.nn.Parameter
        self.ln1, self.ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
        self.wq, self.wk, self.wv = (par(gp[k][rows].clone()) for k in ("wq", "wk", "wv"))
        self.bq, self.bk, self.bv = (par(gp[k][rows].clone()) for k in ("bq", "bk", "bv"))
        self.wo, self.bo = par(gp["wo"][:, rows].clone()), par(gp["bo"].clone())
        self.w1, self.b1 = par(gp["w1"][fr].clone()), par(gp["b1"][fr].clone())
        self.w2, self.b2 = par(gp["w2"][:, fr].clone()), par(gp["b2"].clone())
        self.lh, self.dh = lh, dh
        attn, mlp = make_drop(), make_drop()
        if isinstance(attn, sdt.Dropout):  # the two sharded sites say which block they hold
            attn.set_block(dims={1: (h0, H)})
            mlp.set_block(features=(f0, FF))
        self.attn_drop = Probe(attn, {1: h0}, log, "attn_drop")
        self.mlp_drop = Probe(mlp, {2: f0}, log, "mlp_drop")
        self.drop1 = Probe(make_drop(), {}, log, "drop1")
        self.drop2 = Probe(make_drop(), {}, log, "drop2")
        for probe in (self.attn_drop, self.mlp_drop, self.drop1, self.drop2):
            probe.name = f"{name}.{probe.name}"

    def _f(self, x):
        return x if self.group is None else _CopyToTP.apply(x, self.group)

    def _g(self, x):
        return x if self.group is None else _ReduceFromTP.apply(x, self.group)

    def forward(self, x):
        b = x.shape[0]
        a = self._f(self.ln1(x))

        def heads(w, bias):
            return (a @ w.t() + bias).view(b, S, self.lh, self.dh).transpose(1, 2)
        q, k, v = heads(self.wq, self.bq), heads(self.wk, self.bk), heads(self.wv, self.bv)
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), dim=-1)
        ctx = (self.attn_drop(probs) @ v).transpose(1, 2).reshape(b, S, self.lh * self.dh)
        x = x + self.drop1(self._g(ctx @ self.wo.t()) + self.bo)
        m = self._f(self.ln2(x))
        hidden = self.mlp_drop(torch.nn.functional.gelu(m @ self.w1.t() + self.b1))
        return x + self.drop2(self._g(hidden @ self.w2.t()) + self.b2)


class Model(torch.nn.Module):
    def __init__(self, tp_rank, tp, group, make_drop, log):
        super().__init__()
        gp = global_params()
        self.layers = torch.nn.ModuleList(Layer(gp[i], tp_rank, tp, group, make_drop, log, f"layers.{i}")
                                          for i in range(LAYERS))


def full_recomputation():
    """Every call of a checkpointed layer runs again in its backward. PyTorch 2.x stops a
    non-reentrant recomputation once it has the tensors backward needs (early stop), so a layer's
    last dropout would not be recomputed and the test could not compare its two masks; 1.13
    always recomputes the whole layer."""
    early_stop = getattr(torch.utils.checkpoint, "set_checkpoint_early_stop", None)
    return early_stop(False) if early_stop else contextlib.nullcontext()


def batch(step):
    """The global batch of a step: input and target, the same in every process."""
    g = torch.Generator().manual_seed(1000 + step)
    return torch.randn(B, S, D, generator=g), torch.randn(B, S, D, generator=g)


# ---- one rank of a layout ------------------------------------------------------------------------

def train(rank, layout, use_simdrop):
    dp, tp, pp, mb, recompute = layout
    stage, rest = divmod(rank, dp * tp)
    dpr, tpr = divmod(rest, tp)
    # Every group is made by every rank, in one order (torch.distributed's rule for new_group).
    tp_groups = {(s, d): dist.new_group([(s * dp + d) * tp + t for t in range(tp)])
                 for s in range(pp) for d in range(dp)} if tp > 1 else {}
    dp_groups = {(s, t): dist.new_group([(s * dp + d) * tp + t for d in range(dp)])
                 for s in range(pp) for t in range(tp)} if dp > 1 else {}
    tp_group, dp_group = tp_groups.get((stage, dpr)), dp_groups.get((stage, tpr))
    prev_rank = ((stage - 1) * dp + dpr) * tp + tpr
    next_rank = ((stage + 1) * dp + dpr) * tp + tpr

    log = Log()
    make_drop = (lambda: sdt.Dropout(P)) if use_simdrop else (lambda: torch.nn.Dropout(P))
    model = Model(tpr, tp, tp_group, make_drop, log)
    per_stage = LAYERS // pp
    mine = [model.layers[i] for i in range(stage * per_stage, (stage + 1) * per_stage)]
    params = [p for layer in mine for p in layer.parameters()]
    share, mbs = B // dp, B // (dp * mb)

    def run_layers(x):
        for layer in mine:
            if recompute:
                with full_recomputation():
                    x = torch.utils.checkpoint.checkpoint(layer, x, use_reentrant=False,
                                                          preserve_rng_state=False)
            else:
                x = layer(x)
        return x

    losses = []
    for step in range(STEPS):
        log.step = step
        x_all, t_all = batch(step)
        if not use_simdrop:
            torch.manual_seed(BASE + step)  # what a script does with torch's own dropout
        saved = []
        with sdt.site_seeds(BASE, step, model=model):
            for j in range(mb):  # forwards (GPipe: all of them, then all backwards)
                first = dpr * share + j * mbs
                log.first_sample = first
                with sdt.samples(first, B):
                    if stage == 0:
                        x = x_all[first:first + mbs]
                    else:
                        x = torch.empty(mbs, S, D)
                        dist.recv(x, src=prev_rank)
                        x.requires_grad_()
                    out = run_layers(x)
                if stage == pp - 1:
                    out = ((out - t_all[first:first + mbs]) ** 2).sum() / (B * S * D)
                else:
                    dist.send(out.detach(), dst=next_rank)
                saved.append((x, out, first))
            loss = torch.zeros(())
            for x, out, first in saved:  # backwards (recomputation, if any, runs in here)
                log.first_sample = first
                with sdt.samples(first, B):
                    if stage == pp - 1:
                        out.backward()
                        loss += out.detach()
                    else:
                        g = torch.empty_like(out)
                        dist.recv(g, src=next_rank)
                        out.backward(g)
                if stage > 0:
                    dist.send(x.grad, dst=prev_rank)
        if dp_group is not None:
            for p in params:
                dist.all_reduce(p.grad, group=dp_group)
            dist.all_reduce(loss, group=dp_group)
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        losses.append(float(loss))
    return {"masks": list(log), "losses": losses if stage == pp - 1 and dpr == 0 and tpr == 0 else None}


def _worker(rank, world, layout, use_simdrop, out_dir):
    try:
        # loopback: a CI container's host name may not resolve to an address gloo can use
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        dist.init_process_group("gloo", init_method="file://" + os.path.join(out_dir, "store"),
                                rank=rank, world_size=world)
        result = train(rank, layout, use_simdrop)
        dist.barrier()
        dist.destroy_process_group()
        torch.save(result, os.path.join(out_dir, f"rank{rank}.pt"))
    except BaseException:
        with open(os.path.join(out_dir, f"rank{rank}.err"), "w") as f:
            f.write(traceback.format_exc())
        os._exit(1)
    os._exit(0)


def run_layout(layout, use_simdrop, timeout=120):
    """Fork the layout's processes and return their results, rank by rank."""
    dp, tp, pp = layout[:3]
    world = dp * tp * pp
    ctx = multiprocessing.get_context("fork")  # torch already imported: each worker starts at once
    with tempfile.TemporaryDirectory() as out_dir:
        procs = [ctx.Process(target=_worker, args=(r, world, layout, use_simdrop, out_dir))
                 for r in range(world)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout)
        stuck = [r for r, proc in enumerate(procs) if proc.is_alive()]
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
        errors = []
        for r, proc in enumerate(procs):
            err = os.path.join(out_dir, f"rank{r}.err")
            if os.path.exists(err):
                with open(err) as f:
                    errors.append(f"rank {r}:\n{f.read()}")
            elif proc.exitcode != 0:
                errors.append(f"rank {r}: exit code {proc.exitcode}")
        if stuck or errors:
            raise AssertionError(f"layout {layout}: ranks {stuck} did not finish in {timeout} s; "
                                 + "\n".join(errors))
        return [torch.load(os.path.join(out_dir, f"rank{r}.pt"), weights_only=False) for r in range(world)]


def assemble(results):
    """Every rank's mask records as global tensors {(site, step): bool tensor}, and a list of what
    is wrong with them: an element no rank covered, replicas (TP ranks of the residual stream,
    a recomputed forward) that disagree."""
    masks, seen, problems = {}, {}, []
    for result in results:
        for name, step, first, starts, local in result["masks"]:
            shape = GLOBAL_SHAPES[name.split(".")[-1]]
            key = (name, step)
            if key not in masks:
                masks[key] = torch.zeros(shape, dtype=torch.bool)
                seen[key] = torch.zeros(shape, dtype=torch.bool)
            index = tuple(slice(first, first + local.shape[0]) if d == 0 else
                          slice(starts.get(d, 0), starts.get(d, 0) + local.shape[d]) for d in range(local.dim()))
            old, was = masks[key][index], seen[key][index]
            if bool((was & (old != local)).any()):
                problems.append(f"{key}: two records of the same elements differ")
            masks[key][index] = local
            seen[key][index] = True
    for key, s in seen.items():
        if not bool(s.all()):
            problems.append(f"{key}: {int((~s).sum())} elements never recorded")
    return masks, problems


def compare(masks, ref):
    """The (site, step) keys whose global masks differ from ref's (or are missing)."""
    return sorted(k for k in set(ref) | set(masks) if k not in masks or k not in ref
                  or not torch.equal(masks[k], ref[k]))


def losses_of(results):
    found = [r["losses"] for r in results if r["losses"] is not None]
    assert len(found) == 1
    return found[0]


class TestLayouts(unittest.TestCase):
    def test_simdrop_masks_do_not_depend_on_the_layout(self):
        ref_results = run_layout(LAYOUTS[0], True)
        ref, problems = assemble(ref_results)
        self.assertEqual(problems, [])
        self.assertEqual(len(ref), LAYERS * 4 * STEPS)
        ref_loss = losses_of(ref_results)
        self.assertEqual(len(ref_loss), STEPS)
        self.assertTrue(all(math.isfinite(v) for v in ref_loss))
        self.assertGreater(len(set(ref_loss)), 1)  # it trains: the loss moves
        # the masks are masks: a fair share of drops, and no two sites or steps alike
        kept = torch.cat([m.flatten() for m in ref.values()]).float().mean().item()
        self.assertLess(abs(kept - (1 - P)), 0.02)
        items = sorted(ref.items())
        for i, (a, ma) in enumerate(items):
            for b, mb_ in items[i + 1:]:
                if ma.shape == mb_.shape:
                    self.assertFalse(torch.equal(ma, mb_), f"{a} and {b} share a mask")
        for layout in LAYOUTS[1:]:
            with self.subTest(layout=layout):
                results = run_layout(layout, True)
                masks, problems = assemble(results)
                self.assertEqual(problems, [])
                self.assertEqual(compare(masks, ref), [])
                # recomputation ran every dropout call twice (the records agreed: assemble())
                runs = {2 if layout[4] else 1}
                for r in results:
                    counts = collections.Counter((n, st, first) for n, st, first, _, _ in r["masks"])
                    self.assertEqual(set(counts.values()), runs)
                loss = losses_of(results)
                for step, (a, b) in enumerate(zip(loss, ref_loss)):
                    self.assertAlmostEqual(a, b, delta=1e-5 * abs(b) + 1e-7, msg=f"step {step}")
                print(f"layout dp={layout[0]} tp={layout[1]} pp={layout[2]} microbatches={layout[3]}"
                      f"{' recompute' if layout[4] else ''}: {len(masks)} global masks bit-identical, "
                      f"losses within {max(abs(a - b) / abs(b) for a, b in zip(loss, ref_loss)):.1e}")

    def test_torch_dropout_masks_do(self):
        """The harness can fail: with torch.nn.Dropout (seeded alike in every process at every
        step) the gathered masks differ between layouts."""
        ref, problems = assemble(run_layout(NN_LAYOUTS[0], False))
        self.assertEqual(problems, [])
        for layout in NN_LAYOUTS[1:]:
            with self.subTest(layout=layout):
                masks, problems = assemble(run_layout(layout, False))
                differ = compare(masks, ref)
                self.assertTrue(problems or differ, "torch.nn.Dropout gave the same masks")
                print(f"torch.nn.Dropout, layout dp={layout[0]} tp={layout[1]} pp={layout[2]} "
                      f"microbatches={layout[3]}: {len(differ)} of {len(ref)} global masks differ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
