"""simdrop.torch under what people do with whole models: torch.jit.trace and torch.jit.script,
torch.fx, pickling after patch(), checkpoints loaded under patch(), PyTorch's own Transformer
layers under patch(), result layouts; the registered operators (torch.ops.simdrop.*) themselves;
and, on PyTorch 2.x, torch.compile and torch.export. The first six classes are issue 15's
reproductions 1-6 (7, the library's version check, is test_load.py; 8, numpy's out=, is
test_numpy_api.py).

Runs on Debian's torch 1.13 (the python suite) and unchanged on 2.x (tools/torch2_check.sh); the
torch.compile / torch.export tests skip on 1.13 and say why. Random layouts come from
SIMDROP_TEST_SEED (printed; set it to replay a run). Exits 77 when torch is missing."""
import copy
import io
import os
import pickle
import random
import subprocess
import sys
import tempfile
import unittest
import warnings

from _testenv import require

require('torch')
import torch  # noqa: E402
from torch import nn  # noqa: E402

import simdrop.torch as sdt  # noqa: E402
from simdrop.torch import functional as F  # noqa: E402

SEED = int(os.environ.get("SIMDROP_TEST_SEED", random.randrange(1 << 30)))
print(f"SIMDROP_TEST_SEED={SEED}")
TORCH_MAJOR = int(torch.__version__.split(".")[0])
INT_VIEW = {torch.float32: torch.int32, torch.float64: torch.int64}


def assert_same(tc, a, b, msg=""):
    """Bitwise equal (NaN equal to NaN), same shape and dtype."""
    tc.assertEqual((a.dtype, tuple(a.shape)), (b.dtype, tuple(b.shape)), msg)
    a, b = a.detach().contiguous(), b.detach().contiguous()
    v = INT_VIEW[a.dtype]
    tc.assertTrue(bool(((a.view(v) == b.view(v)) | (a.isnan() & b.isnan())).all()), msg)


def seeded(seed, fn, *args):
    torch.manual_seed(seed)
    return fn(*args)


def simdrop_nodes(module):
    """Names of the simdrop operators a traced TorchScript module calls (submodules inlined)."""
    return {n.kind() for n in module.inlined_graph.nodes() if n.kind().startswith("simdrop::")}


class Every(nn.Module):
    """One of each simdrop module (and the fused bias + dropout + residual) on a (B, 6) input."""

    def __init__(self, inplace=False):
        super().__init__()
        self.fc = nn.Linear(6, 24)
        self.drop = sdt.Dropout(0.5, inplace)
        self.d1 = sdt.Dropout1d(0.3, inplace)
        self.d2 = sdt.Dropout2d(0.3)
        self.d3 = sdt.Dropout3d(0.3)
        self.alpha = sdt.AlphaDropout(0.2)
        self.falpha = sdt.FeatureAlphaDropout(0.2)
        self.path = sdt.DropPath(0.25)
        self.path_unscaled = sdt.DropPath(0.25, scale_by_keep=False)
        self.bda = sdt.BiasDropoutAdd(0.1)
        self.bias = nn.Parameter(torch.randn(24))

    def forward(self, x):
        h = self.drop(self.fc(x) * 2)  # (not relu's output: relu saves it, inplace=True would spoil it)
        h = self.d1(h.reshape(-1, 4, 6)).reshape(-1, 24)
        h = self.d2(h.reshape(-1, 4, 2, 3)).reshape(-1, 24)
        h = self.d3(h.reshape(-1, 2, 2, 2, 3)).reshape(-1, 24)
        h = self.falpha(self.alpha(h).reshape(-1, 4, 6)).reshape(-1, 24)
        h = self.path_unscaled(self.path(h))
        return self.bda(h, self.bias, h * 0.5)


ALL_OPS = {"simdrop::dropout", "simdrop::dropout1d", "simdrop::dropout2d", "simdrop::dropout3d",
           "simdrop::alpha_dropout", "simdrop::feature_alpha_dropout", "simdrop::drop_path",
           "simdrop::bias_dropout_add"}


class Twice(nn.Module):
    """The same dropout module twice on the same input: two calls, two masks."""

    def __init__(self):
        super().__init__()
        self.d = sdt.Dropout(0.5)

    def forward(self, x):
        return torch.stack([self.d(x), self.d(x)])


class AgainstEager:
    def assert_runs_as_eager(self, transformed, model, x, what, exact=True):
        """transformed(x) and model(x) under the same torch.manual_seed: the same outputs and the
        same gradients, bit for bit (the operator draws its seed as the eager route does); with
        exact=False to rounding (a compiler may sum a bias gradient in another order), which the
        same masks still have to meet."""
        for seed in (1, 2):
            xa = x.clone().requires_grad_()
            xb = x.clone().requires_grad_()
            model.zero_grad()
            ya = seeded(seed, transformed, xa)
            ya.sum().backward()
            grads_a = [xa.grad] + [p.grad.clone() for p in model.parameters()]
            model.zero_grad()
            yb = seeded(seed, model, xb)
            yb.sum().backward()
            grads_b = [xb.grad] + [p.grad.clone() for p in model.parameters()]
            same = assert_same if exact else (lambda tc, a, b, msg: torch.testing.assert_close(
                a, b, rtol=1e-5, atol=1e-5, msg=msg))
            same(self, ya, yb, f"{what}: output")
            for i, (ga, gb) in enumerate(zip(grads_a, grads_b)):
                same(self, ga, gb, f"{what}: gradient {i}")

    def assert_fresh_masks(self, fn, x, what):
        """A transformed model gets a new mask on every call, never a seed baked in."""
        outs = [fn(x) for _ in range(4)]
        for a, b in zip(outs, outs[1:]):
            self.assertFalse(torch.equal(a, b), f"{what}: two calls gave the same mask")


# ---- 1. torch.jit.trace -----------------------------------------------------------------------------

class TestTrace(unittest.TestCase, AgainstEager):
    def test_issue_case_records_the_operator(self):
        # the issue: the traced graph held only aten::empty_like and returned uninitialised memory
        d = torch.jit.trace(sdt.Dropout(0.5), torch.ones(64), check_trace=False)
        self.assertEqual(simdrop_nodes(d), {"simdrop::dropout"})
        self.assertNotIn("aten::empty_like", str(d.graph))
        y = d(torch.ones(64))
        self.assertTrue(set(y.unique().tolist()) <= {0.0, 2.0}, y)
        self.assertTrue(10 < int((y == 0).sum()) < 54, y)
        self.assert_fresh_masks(d, torch.ones(64), "traced Dropout")

    def test_every_module_runs_as_eager(self):
        torch.manual_seed(SEED)
        model = Every()
        x = torch.randn(8, 6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the trace check's "outputs do not match": dropout is random
            traced = torch.jit.trace(model, x)
        self.assertEqual(simdrop_nodes(traced), ALL_OPS)
        self.assert_runs_as_eager(traced, model, x, "traced Every")
        self.assert_fresh_masks(traced, x, "traced Every")
        inplace = Every(inplace=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(inplace, x)
        self.assert_runs_as_eager(traced, inplace, x, "traced Every(inplace=True)")

    def test_requires_grad_trace_saves_and_loads_in_a_fresh_process(self):
        # the issue: with an input that requires grad, torch.jit.save raised "Could not export
        # Python function call 'DropoutFunction'"
        x = torch.ones(64, requires_grad=True)
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            traced = torch.jit.trace(nn.Sequential(nn.Linear(64, 64), sdt.Dropout(0.5)), x)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "traced.pt")
            torch.jit.save(traced, path)
            code = ("import torch, simdrop\n"   # torch first: `import simdrop` registers the ops
                    f"m = torch.jit.load({path!r})\n"
                    "x = torch.ones(64, requires_grad=True)\n"
                    "y = m(x); y.sum().backward()\n"
                    "print(int((y == 0).sum()), bool(x.grad.abs().sum() > 0), torch.equal(m(x), m(x)))\n")
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            zeros, grad, same = r.stdout.split()
            self.assertTrue(10 < int(zeros) < 54, r.stdout)
            self.assertEqual((grad, same), ("True", "False"))
            # without simdrop, torch.jit.load says which operator is missing
            r = subprocess.run([sys.executable, "-c", f"import torch; torch.jit.load({path!r})"],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("simdrop::dropout", r.stderr)

    def test_two_calls_are_never_merged(self):
        # TorchScript's common-subexpression pass would give both calls one mask: the random
        # operators are declared with CONSERVATIVE alias analysis
        x = torch.ones(4096)
        traced = torch.jit.trace(Twice(), x, check_trace=False)
        for _ in range(4):  # the profiling executor optimises the graph after the first runs
            y = traced(x)
            self.assertFalse(torch.equal(y[0], y[1]))

    def test_eval_mode(self):
        # recorded with train=False, as aten::dropout is: the operator gives the input back
        model = nn.Sequential(nn.Linear(4, 4), sdt.Dropout(0.5)).eval()
        traced = torch.jit.trace(model, torch.ones(2, 4))
        self.assertEqual(simdrop_nodes(traced), {"simdrop::dropout"})
        self.assertTrue(torch.equal(traced(torch.ones(2, 4)), model(torch.ones(2, 4))))


# ---- 2. torch.jit.script and torch.fx ------------------------------------------------------------------

class TestScript(unittest.TestCase, AgainstEager):
    def test_issue_case_eval(self):
        # the issue: scripting failed on any model with a simdrop module, even in eval mode
        model = nn.Sequential(nn.Linear(4, 4), sdt.Dropout(0.5), sdt.Dropout1d(0.2)).eval()
        scripted = torch.jit.script(model)
        x = torch.randn(3, 4)
        self.assertTrue(torch.equal(scripted(x), model(x)))

    def test_every_module_runs_as_eager(self):
        torch.manual_seed(SEED)
        for inplace in (False, True):
            model = Every(inplace)
            scripted = torch.jit.script(model)
            code = "\n".join(m.code for m in scripted.modules())
            for op in ALL_OPS:
                self.assertIn("ops." + op.replace("::", "."), code)
            x = torch.randn(8, 6)
            self.assert_runs_as_eager(scripted, model, x, f"scripted Every(inplace={inplace})")
            self.assert_fresh_masks(scripted, x, "scripted Every")
            scripted.eval()
            model.eval()
            self.assertTrue(torch.equal(scripted(x), model(x)))
            buf = io.BytesIO()
            torch.jit.save(scripted, buf)
            buf.seek(0)
            loaded = torch.jit.load(buf)
            self.assertTrue(torch.equal(loaded(x), model(x)))
            loaded.train()
            self.assert_fresh_masks(loaded, x, "loaded scripted Every")

    def test_two_calls_are_never_merged(self):
        scripted = torch.jit.script(Twice())
        for _ in range(4):
            y = scripted(torch.ones(4096))
            self.assertFalse(torch.equal(y[0], y[1]))

    def test_operators_callable_from_torchscript(self):
        def f(x: torch.Tensor, train: bool) -> torch.Tensor:
            return torch.ops.simdrop.dropout(x, 0.5, train) + torch.ops.simdrop.drop_path(x, 0.5, train)
        g = torch.jit.script(f)
        self.assertTrue(torch.equal(g(torch.ones(4, 3), False), torch.full((4, 3), 2.0)))
        y = g(torch.ones(64, 3), True)
        self.assertTrue(set(y.unique().tolist()) <= {0.0, 2.0, 4.0})


class TestFX(unittest.TestCase, AgainstEager):
    def test_issue_case_training_mode(self):
        # the issue: "symbolically traced variables cannot be used as inputs to control flow"
        model = Every()
        gm = torch.fx.symbolic_trace(model)
        targets = {str(n.target) for n in gm.graph.nodes if n.op == "call_function"}
        self.assertTrue({"simdrop." + op.split("::")[1] for op in ALL_OPS} <= targets, targets)
        self.assertFalse(any(n.op == "call_module" and "drop" in str(n.target) for n in gm.graph.nodes))
        x = torch.randn(8, 6)
        self.assert_runs_as_eager(gm, model, x, "FX Every")
        self.assert_fresh_masks(gm, x, "FX Every")
        # an FX graph of simdrop operators compiles with TorchScript
        self.assert_runs_as_eager(torch.jit.script(gm), model, x, "scripted FX Every")

    def test_inplace_and_eval(self):
        model = Every(inplace=True)
        self.assert_runs_as_eager(torch.fx.symbolic_trace(model), model, torch.randn(8, 6), "FX inplace")
        model.eval()
        gm = torch.fx.symbolic_trace(model)  # eval: the operators with train=False
        self.assertTrue(all(n.args[2] is False for n in gm.graph.nodes
                            if str(n.target).startswith("simdrop.") and "bias" not in str(n.target)))
        x = torch.randn(8, 6)
        self.assertTrue(torch.equal(gm(x), model(x)))

    def test_generator_cannot_be_recorded(self):
        class WithGenerator(nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5, generator=torch.Generator())
        with self.assertRaisesRegex(RuntimeError, "generator= cannot be used while the call is traced"):
            torch.fx.symbolic_trace(WithGenerator())


# ---- 3. pickling after patch() ---------------------------------------------------------------------

def net():
    return nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Dropout1d(0.1), nn.AlphaDropout(0.2))


def saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def loaded(data):
    return torch.load(io.BytesIO(data), weights_only=False)  # whole modules (2.6 made True the default)


class TestPickle(unittest.TestCase):
    def test_issue_case_plain_patch_call(self):
        # the issue: after sdt.patch(), torch.save of a model holding a torch Dropout failed with
        # "Can't pickle <class 'torch.nn.modules.dropout.Dropout'>: it's not the same object"
        original = torch.nn.Dropout
        before = net()
        sdt.patch()
        try:
            self.assertIs(torch.nn.Dropout, original)  # torch's names are never rebound
            self.assertIs(torch.nn.modules.dropout.Dropout, original)
            after = net()
            self.assertIs(type(after[1]), sdt.Dropout)
            self.assertIs(type(before[1]), original)
            data = {name: saved(m) for name, m in (("before", before), ("after", after))}
            for name, m in (("before", before), ("after", after)):
                pickle.loads(pickle.dumps(m))
                copy.deepcopy(m)
            for m in (loaded(data["before"]), loaded(data["after"])):  # under the patch: simdrop's
                self.assertEqual([type(c) for c in m][1:], [sdt.Dropout, sdt.Dropout1d, sdt.AlphaDropout])
                m(torch.randn(2, 4))
        finally:
            sdt.unpatch()
        m = loaded(data["before"])  # without it: each as it was saved
        self.assertEqual([type(c) for c in m][1:], [nn.Dropout, nn.Dropout1d, nn.AlphaDropout])
        m = loaded(data["after"])
        self.assertEqual([type(c) for c in m][1:], [sdt.Dropout, sdt.Dropout1d, sdt.AlphaDropout])
        m(torch.randn(2, 4))

    def test_functional_patch_keeps_models_picklable(self):
        with sdt.patch(functional=True):
            m = net()
            m2 = loaded(saved(m))
            self.assertIs(pickle.loads(pickle.dumps(torch.nn.functional.dropout)), torch.nn.functional.dropout)
        self.assertEqual(type(m2[1]), sdt.Dropout)


# ---- 4. checkpoints saved with torch's modules, loaded under patch() --------------------------------

class TestCheckpoints(unittest.TestCase):
    def test_issue_case_torch_checkpoint_under_patch(self):
        # the issue: "AttributeError: 'Dropout' object has no attribute 'save_mask'"
        data = saved(net())
        with sdt.patch():
            m = loaded(data)
        self.assertIs(type(m[1]), sdt.Dropout)
        self.assertTrue(m[1].save_mask)
        x = torch.randn(5, 4, requires_grad=True)
        y = m(x)
        self.assertEqual(type(y.grad_fn).__name__, "DropoutFunctionBackward")  # simdrop's autograd
        y.sum().backward()
        torch.jit.script(m)  # the filled-in save_mask is a proper attribute
        self.assertEqual(repr(m[1]), "Dropout(p=0.5, inplace=False)")

    def test_state_dict_both_ways(self):
        torch_model = net()
        with sdt.patch():
            simdrop_model = net()
        simdrop_model.load_state_dict(torch_model.state_dict())
        torch_model.load_state_dict(simdrop_model.state_dict())
        self.assertTrue(torch.equal(simdrop_model[0].weight, torch_model[0].weight))

    def test_convert_and_revert(self):
        m = net()
        m[2].eval()
        self.assertIs(sdt.convert(m), m)
        self.assertEqual([type(c) for c in m][1:], [sdt.Dropout, sdt.Dropout1d, sdt.AlphaDropout])
        self.assertEqual((m[1].p, m[2].p, m[2].training, m[1].training), (0.5, 0.1, False, True))
        data = saved(sdt.revert(m))  # for a machine without simdrop
        self.assertEqual([type(c) for c in m][1:], [nn.Dropout, nn.Dropout1d, nn.AlphaDropout])
        self.assertNotIn(b"simdrop", data)
        self.assertIs(type(sdt.convert(nn.Dropout(0.3))), sdt.Dropout)
        with sdt.patch():
            self.assertIs(type(sdt.revert(sdt.Dropout(0.3))), nn.Dropout)


# ---- 5. patch() reaches PyTorch's own layers --------------------------------------------------------

def simdrop_backward_nodes(y):
    seen, stack, count = set(), [y.grad_fn], 0
    while stack:
        f = stack.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        # (the Python route's autograd.Function, or the C++ route's node)
        count += type(f).__name__ == "DropoutFunctionBackward" or f.name() == "SimdropDropoutBackward"
        stack.extend(nf for nf, _ in f.next_functions)
    return count


class TestPatchReach(unittest.TestCase):
    def test_issue_case_transformer_layers(self):
        # the issue: nn.TransformerEncoderLayer built under patch() kept three torch Dropouts
        with sdt.patch():
            enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1)
            dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.1)
        for layer, count in ((enc, 3), (dec, 4)):
            drops = [m for m in layer.modules() if isinstance(m, nn.Dropout)]
            self.assertEqual([type(m) for m in drops], [sdt.Dropout] * count)
        # (40 x 3 x 8: every dropout call above NOISE_MAX elements, where a node is simdrop's own;
        # a smaller call records PyTorch's MulBackward0, with simdrop's bits)
        x = torch.randn(40, 3, 8, requires_grad=True)
        self.assertEqual(simdrop_backward_nodes(enc(x)), 3)
        # functional=True: also the attention-weight dropout inside nn.MultiheadAttention, which
        # calls F.dropout in PyTorch 1.13 (2.x drops inside scaled_dot_product_attention, in C++)
        with sdt.patch(functional=True):
            self.assertEqual(simdrop_backward_nodes(enc(x)), 4 if TORCH_MAJOR < 2 else 3)
            plain = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1)  # (a patch within a patch)
        torch_layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1)
        self.assertEqual(simdrop_backward_nodes(torch_layer(x)), 0)
        with sdt.patch(functional=True):  # torch's own modules call F.dropout at call time
            self.assertEqual(simdrop_backward_nodes(torch_layer(x)), 4 if TORCH_MAJOR < 2 else 3)
        self.assertIs(type(plain.dropout), sdt.Dropout)

    def test_context_nesting_and_unpatch(self):
        original_f = torch.nn.functional.dropout
        self.assertFalse(sdt.is_patched())
        with sdt.patch():
            self.assertTrue(sdt.is_patched())
            with sdt.patch(functional=True):
                self.assertIsNot(torch.nn.functional.dropout, original_f)
            self.assertIs(torch.nn.functional.dropout, original_f)
            self.assertTrue(sdt.is_patched())
        self.assertFalse(sdt.is_patched())
        self.assertIs(type(nn.Dropout(0.1)), nn.Dropout)
        sdt.patch(functional=True)
        sdt.patch()
        sdt.unpatch()
        self.assertFalse(sdt.is_patched())
        self.assertIs(torch.nn.functional.dropout, original_f)

    def test_subclasses_are_left_alone(self):
        class MyDropout(nn.Dropout):
            pass
        with sdt.patch():
            self.assertIs(type(MyDropout(0.2)), MyDropout)
            self.assertIs(type(sdt.Dropout2d(0.2)), sdt.Dropout2d)
            self.assertIs(type(nn.Dropout(p=0.2, inplace=True)), sdt.Dropout)
            self.assertTrue(nn.Dropout(p=0.2, inplace=True).inplace)

    def test_functional_patch_scripts_stock_modules(self):
        with sdt.patch(functional=True):
            scripted = torch.jit.script(nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)))
        self.assertIn("simdrop", "\n".join(m.code for m in scripted.modules()))
        y = scripted(torch.ones(64, 4))
        self.assertEqual(y.shape, (64, 4))


# ---- 6. result layouts follow PyTorch's -----------------------------------------------------------

def random_view(rng, ndim):
    """A tensor view: some dimension order, maybe sliced, maybe a broadcast (expanded) dimension."""
    shape = [rng.randint(1, 4) for _ in range(ndim)]
    perm = list(range(ndim))
    rng.shuffle(perm)
    sizes = [s + rng.randint(0, 1) for s in shape]
    base = torch.randn([sizes[d] for d in perm]).permute([perm.index(d) for d in range(ndim)])
    v = base[tuple(slice(0, s) for s in shape)]
    if rng.random() < 0.3:
        d = rng.randrange(ndim)
        v = v.narrow(d, 0, 1).expand(*[rng.randint(2, 4) if i == d else s for i, s in enumerate(v.shape)])
    return v


LAYOUT_CASES = [  # (simdrop module, PyTorch module, input dimensions, element-wise)
    (sdt.Dropout, nn.Dropout, (1, 2, 3, 4, 5), True),
    (sdt.AlphaDropout, nn.AlphaDropout, (1, 2, 3, 4), True),
    (sdt.Dropout1d, nn.Dropout1d, (2, 3), False),
    (sdt.Dropout2d, nn.Dropout2d, (4,), False),
    (sdt.Dropout3d, nn.Dropout3d, (4, 5), False),
    (sdt.FeatureAlphaDropout, nn.FeatureAlphaDropout, (2, 3, 4, 5), False),
]


def memory_offsets(shape, strides):
    """Each element's offset in memory: the index of its keep bit when the kernel ran there."""
    off = torch.zeros(shape, dtype=torch.long)
    for d, (size, st) in enumerate(zip(shape, strides)):
        off += (torch.arange(size) * st).view([-1 if i == d else 1 for i in range(len(shape))])
    return off


def layout(strides, shape):
    """The strides that place elements: those of dimensions longer than 1 (a dimension of size 1
    addresses nothing, and PyTorch itself gives it different strides for the same layout)."""
    return [st for st, size in zip(strides, shape) if size != 1]


class TestLayouts(unittest.TestCase):
    def test_issue_case_broadcast_input(self):
        x = torch.randn(1, 48).expand(64, 48)
        for y in (sdt.Dropout(0.5)(x), F.dropout(x, 0.5), torch.ops.simdrop.dropout(x, 0.5, True)):
            self.assertEqual(y.stride(), nn.Dropout(0.5)(x).stride())  # (48, 1)
            self.assertEqual(y.view(-1).shape, (64 * 48,))

    def test_one_element_per_channel_is_not_element_dropout(self):
        """Dropout1d over (N, C, 1) has the noise shape of element dropout, but aten makes a
        channel form's noise contiguous, and element dropout's like the input on torch 2.x: the
        result of a strided input follows the former (on 2.6 it had followed the latter)."""
        v = torch.randn(20).as_strided((3, 3, 1), (1, 0, 4))
        want = nn.Dropout1d(0.5)(v).stride()
        self.assertEqual(sdt.Dropout1d(0.5)(v).stride(), want)
        self.assertEqual(sdt.Dropout1d(0.5)(v.detach().requires_grad_()).stride(), want)
        meta = torch.empty_strided(v.shape, v.stride(), device="meta")
        self.assertEqual(layout(torch.ops.simdrop.dropout1d(meta, 0.5, True).stride(), v.shape),
                         layout(want, v.shape))

    def test_strides_as_pytorch_random_layouts(self):
        rng = random.Random(SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for ours, theirs, dims, _ in LAYOUT_CASES:
                for _ in range(60):
                    v = random_view(rng, rng.choice(dims))
                    want = layout(theirs(0.5)(v).stride(), v.shape)
                    msg = f"{ours.__name__} shape {tuple(v.shape)} strides {v.stride()} (SIMDROP_TEST_SEED={SEED})"
                    self.assertEqual(layout(ours(0.5)(v).stride(), v.shape), want, msg)
                    y = ours(0.5)(v.detach().requires_grad_())
                    self.assertEqual(layout(y.stride(), v.shape), want, msg + " (autograd)")
                    meta = torch.empty_strided(v.shape, v.stride(), device="meta")
                    op = getattr(torch.ops.simdrop, {"Dropout": "dropout", "AlphaDropout": "alpha_dropout",
                                                     "Dropout1d": "dropout1d", "Dropout2d": "dropout2d",
                                                     "Dropout3d": "dropout3d",
                                                     "FeatureAlphaDropout": "feature_alpha_dropout"}[ours.__name__])
                    self.assertEqual(layout(op(meta, 0.5, True).stride(), v.shape), want, msg + " (meta)")

    def test_values_and_gradients_random_layouts(self):
        """Given the mask: bit k belongs to the element at memory position k of the result (element
        forms) or to (sample, channel) k in row-major order (channel forms, in every layout, single
        elements per channel too); gradients use the same bits."""
        rng = random.Random(SEED + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for ours, _, dims, elementwise in LAYOUT_CASES:
                if ours in (sdt.AlphaDropout, sdt.FeatureAlphaDropout):
                    continue  # the dropped value is not 0 (values covered in test_torch.py)
                for _ in range(30):
                    v = random_view(rng, rng.choice(dims))
                    x = v.clone() if rng.random() < 0.5 else v
                    p = 0.4
                    xg = x.detach().requires_grad_() if rng.random() < 0.5 else x
                    state = torch.get_rng_state()
                    y = ours(p)(xg)
                    torch.set_rng_state(state)
                    seed = sdt.draw_seed()
                    n = y.numel()
                    unbatched = (ours, y.dim()) in ((sdt.Dropout1d, 2), (sdt.Dropout3d, 4))
                    shape = (1,) + tuple(y.shape) if unbatched else y.shape
                    groups = n if elementwise else shape[0] * shape[1]
                    if elementwise:
                        keep = sdt.keep_mask(n, p, seed)[memory_offsets(y.shape, y.stride())]
                    else:
                        keep = sdt.keep_mask(groups, p, seed).reshape(tuple(shape[:2]) + (1,) * (len(shape) - 2))
                        keep = keep.expand(shape).reshape(y.shape)
                    expect = x * keep * (1 / (1 - p))
                    msg = f"{ours.__name__} shape {tuple(x.shape)} strides {x.stride()} (SIMDROP_TEST_SEED={SEED})"
                    assert_same(self, y, expect, msg)
                    if xg.requires_grad:
                        gout = torch.randn(y.shape)
                        y.backward(gout)
                        assert_same(self, xg.grad, gout * keep * (1 / (1 - p)), msg + " grad")


# ---- the operators themselves --------------------------------------------------------------------------

class TestOperators(unittest.TestCase):
    def test_native_dropout_returns_mask_and_seed(self):
        x = torch.randn(6, 7)
        state = torch.get_rng_state()
        out, mask, seed = torch.ops.simdrop.native_dropout(x, 0.3, x.numel(), False, True)
        torch.set_rng_state(state)
        self.assertEqual(int(seed) & ((1 << 64) - 1), sdt.draw_seed())  # one draw, as eager draws
        self.assertEqual((mask.dtype, mask.shape), (torch.uint8, ((42 + 7) // 8,)))
        self.assertEqual(torch.ops.simdrop.native_dropout(x, 0.3, 42, False, False)[1].numel(), 0)
        g = torch.randn(6, 7)
        for m in (mask, mask[:0]):  # from the mask, and regenerated from the seed
            dx = torch.ops.simdrop.native_dropout_backward(g, m, seed, 0.3, 42, False, [])
            assert_same(self, dx, g * (out != 0) * (1 / 0.7))
        # scale=False: dropout without rescaling (drop_path's scale_by_keep=False), 6 samples; the
        # keep decisions of the scaled group dropout of the same seed
        x = torch.randn(6, 7) + 10  # (no element is 0: out != 0 is the mask)
        torch.set_rng_state(state)
        out, mask, seed = torch.ops.simdrop.native_dropout(x, 0.3, 6, False, True, False)
        torch.set_rng_state(state)
        scaled, scaled_mask, _ = torch.ops.simdrop.native_dropout(x, 0.3, 6, False, True)
        self.assertTrue(torch.equal(mask, scaled_mask))
        keep = (out != 0).all(1, keepdim=True)
        assert_same(self, out, x * keep)
        for m in (mask, mask[:0]):
            dx = torch.ops.simdrop.native_dropout_backward(g, m, seed, 0.3, 6, False, [], False)
            assert_same(self, dx, g * keep)

    def test_bad_arguments_are_refused_before_anything_runs(self):
        x = torch.randn(6, 7)
        out, mask, seed = torch.ops.simdrop.native_dropout(x, 0.3, 6, False, True)
        g = torch.randn(6, 7)
        nb = torch.ops.simdrop.native_dropout_backward
        with self.assertRaisesRegex(ValueError, "groups=5 does not split"):
            torch.ops.simdrop.native_dropout(x, 0.3, 5, False, True)
        with self.assertRaisesRegex(ValueError, "probability"):
            torch.ops.simdrop.native_dropout(x, 1.5, 6, False, True)
        with self.assertRaisesRegex(ValueError, "mask must be the forward's 1-bit mask"):
            nb(g, mask.view(1, 1), seed, 0.3, 6, False, [])
        with self.assertRaisesRegex(ValueError, "mask must be the forward's 1-bit mask"):
            nb(g, mask, seed, 0.3, 42, False, [])  # a 1-byte mask for 42 bits would be read past its end
        with self.assertRaisesRegex(ValueError, "seed must be"):
            nb(g, mask, torch.zeros(2, dtype=torch.int64), 0.3, 6, False, [])
        with self.assertRaisesRegex(ValueError, "layout"):
            nb(g, mask, seed, 0.3, 6, False, [1, 1])
        for device in ("cpu", "meta"):  # shape propagation refuses what the CPU kernel refuses
            with self.assertRaisesRegex(TypeError, "float32, float64, bfloat16 and float16 only"):
                torch.ops.simdrop.dropout(torch.arange(6, device=device), 0.3, True)
        with self.assertRaisesRegex(ValueError, "bias has shape"):
            torch.ops.simdrop.bias_dropout_add(x, torch.ones(6), None, 0.3, True)

    def test_meta_kernels_give_the_cpu_results_metadata(self):
        rng = random.Random(SEED + 2)
        for _ in range(40):
            v = random_view(rng, rng.choice((1, 2, 3, 4)))
            m = torch.empty_strided(v.shape, v.stride(), device="meta")
            for alpha, scale in ((False, True), (True, True), (False, False)):
                for groups in {v.numel(), v.shape[0]}:
                    real = torch.ops.simdrop.native_dropout(v, 0.5, groups, alpha, True, scale)
                    fake = torch.ops.simdrop.native_dropout(m, 0.5, groups, alpha, True, scale)
                    for r, f in zip(real, fake):
                        self.assertEqual((r.shape, layout(r.stride(), r.shape), r.dtype),
                                         (f.shape, layout(f.stride(), f.shape), f.dtype),
                                         f"{tuple(v.shape)} {v.stride()} groups={groups}")
        x = torch.randn(5, 8)
        real = torch.ops.simdrop.native_bias_dropout_add(x, torch.randn(8), x, 0.5, True)
        fake = torch.ops.simdrop.native_bias_dropout_add(x.to("meta"), torch.randn(8, device="meta"),
                                                        x.to("meta"), 0.5, True)
        for r, f in zip(real, fake):
            self.assertEqual((r.shape, r.stride(), r.dtype), (f.shape, f.stride(), f.dtype))

    def test_double_backward_through_the_operators(self):
        def seeded_op(op, *extra):
            def fn(t, *more):
                torch.manual_seed(3)  # the same mask on every evaluation
                return op(t, *more, *extra) ** 2
            return fn
        x = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
        b = torch.randn(5, dtype=torch.float64, requires_grad=True)
        ops = torch.ops.simdrop
        cases = {
            "dropout": (seeded_op(ops.dropout, 0.4, True), (x,)),
            "dropout regen": (seeded_op(ops.dropout, 0.4, True, False), (x,)),
            "dropout1d": (seeded_op(ops.dropout1d, 0.4, True), (x,)),
            "alpha_dropout": (seeded_op(ops.alpha_dropout, 0.4, True), (x,)),
            "drop_path": (seeded_op(ops.drop_path, 0.4, True), (x,)),
            "drop_path unscaled": (seeded_op(ops.drop_path, 0.4, True, False), (x,)),
            "bias_dropout_add": (seeded_op(ops.bias_dropout_add, None, 0.4, True), (x, b)),
        }
        for name, (fn, args) in cases.items():
            self.assertTrue(torch.autograd.gradcheck(fn, args), name)
            self.assertTrue(torch.autograd.gradgradcheck(fn, args), name)

    def test_autograd_only_keeps_what_it_needs(self):
        x = torch.randn(100)
        with torch.no_grad():
            self.assertFalse(torch.ops.simdrop.dropout(x.requires_grad_(), 0.5, True).requires_grad)
        y = torch.ops.simdrop.dropout(torch.randn(100), 0.5, True)
        self.assertIsNone(y.grad_fn)


# ---- PyTorch 2.x: torch.compile and torch.export ---------------------------------------------------------

NEEDS_2X = (f"torch.compile and torch.export need PyTorch 2.x; this is {torch.__version__} "
            "(tools/torch2_check.sh runs these tests where 2.x is installed)")


@unittest.skipUnless(hasattr(torch, "compile") and hasattr(torch, "export"), NEEDS_2X)
class TestCompileAndExport(unittest.TestCase, AgainstEager):
    def test_compile_keeps_the_operators_in_one_graph(self):
        graphs = []

        def recording(gm, example_inputs):
            graphs.append(gm)
            return gm.forward

        torch._dynamo.reset()
        model = Every()
        x = torch.randn(8, 6)
        torch.compile(model, backend=recording, fullgraph=True)(x)
        targets = {str(n.target) for gm in graphs for n in gm.graph.nodes if n.op == "call_function"}
        self.assertTrue(any("simdrop" in t for t in targets), targets)

    def test_compile_runs_as_eager(self):
        for backend in ("eager", "aot_eager", "inductor"):
            with self.subTest(backend=backend):
                torch._dynamo.reset()
                model = Every()
                compiled = torch.compile(model, backend=backend, fullgraph=True)
                x = torch.randn(8, 6)
                self.assert_runs_as_eager(compiled, model, x, f"torch.compile backend={backend}",
                                          exact=backend != "inductor")
                self.assert_fresh_masks(compiled, x, f"torch.compile backend={backend}")
                twice = torch.compile(Twice(), backend=backend, fullgraph=True)
                y = twice(torch.ones(4096))
                self.assertFalse(torch.equal(y[0], y[1]), f"backend={backend} merged two dropouts")

    def test_export_keeps_the_operators(self):
        model = Every()
        x = torch.randn(8, 6)
        ep = torch.export.export(model, (x,))
        self.assertIn("simdrop", str(ep.graph))
        run = ep.module()
        for seed in (1, 2):
            assert_same(self, seeded(seed, run, x), seeded(seed, model, x), "exported Every")
        self.assert_fresh_masks(run, x, "exported Every")

    @unittest.skipUnless(hasattr(torch.library, "opcheck"), "torch.library.opcheck is in PyTorch 2.4+")
    def test_opcheck(self):
        x = torch.randn(6, 7, requires_grad=True)
        out, mask, seed = torch.ops.simdrop.native_dropout(x, 0.3, 42, False, True)
        g = torch.randn(6, 7, requires_grad=True)
        # the random operators: everything but the checks that compare two runs' values
        some = ("test_schema", "test_autograd_registration", "test_faketensor")
        torch.library.opcheck(torch.ops.simdrop.native_dropout.default, (x, 0.3, 42, False, True),
                              test_utils=some)
        torch.library.opcheck(torch.ops.simdrop.native_bias_dropout_add.default,
                              (x, torch.randn(7), None, 0.3, True), test_utils=some)
        torch.library.opcheck(torch.ops.simdrop.native_dropout_backward.default,
                              (g, mask.detach(), seed.detach(), 0.3, 42, False, []))
        torch.library.opcheck(torch.ops.simdrop.native_bias_dropout_add_backward.default,
                              (g, mask.detach(), seed.detach(), 0.3, True))


if __name__ == "__main__":
    unittest.main(verbosity=2)
