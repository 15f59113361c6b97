"""simdrop.torch against PyTorch: every module and functional form given the same mask (forward and
gradient, bitwise for f32/f64, bf16/f16 against (x.float() * mask * s).to(dtype)); the checks
PyTorch's own test suite makes of its dropout modules (test/nn/test_dropout.py); reproducibility;
double backward; every bad argument; patch(). (Tracing, scripting, FX, pickling, layouts and the
registered operators: test_torch_tools.py.)

Exits 77 (meson's "skipped") when torch is not installed; nothing else skips."""
import itertools
import math
import os
import random
import sys
import unittest
import warnings

from _testenv import require

require('torch')
import torch  # noqa: E402

import simdrop.torch as sdt
from simdrop.torch import functional as F

FLOATS = [torch.float32, torch.float64, torch.bfloat16, torch.float16]
INT_VIEW = {torch.float32: torch.int32, torch.float64: torch.int64, torch.bfloat16: torch.int16,
            torch.float16: torch.int16}
ALPHA = 1.7580993408473766

# The random sizes and layouts of these tests come from one seed, printed; SIMDROP_TEST_SEED=N
# runs them again.
SEED = int(os.environ.get("SIMDROP_TEST_SEED") or random.SystemRandom().randrange(1 << 32))
print(f"test_torch: seed {SEED} (rerun with SIMDROP_TEST_SEED={SEED})", flush=True)
RNG = random.Random(SEED)


def special(shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 3).to(dtype)
    flat = x.view(-1)
    vals = [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, -1.5]
    k = min(len(vals), flat.numel() // 4)
    flat[:k] = torch.tensor(vals[:k], dtype=torch.float64).to(dtype)
    return x


def with_mask(call, nbits, p, shape_of_mask):
    """Run call() on the default generator, then replay the generator to get the mask it used."""
    state = torch.get_rng_state()
    out = call()
    torch.set_rng_state(state)
    seed = sdt.draw_seed()
    return out, sdt.keep_mask(nbits, p, seed).reshape(shape_of_mask)


def ref_scale(x, mask, s):
    """PyTorch's formula given the mask: input * mask * scale; in float, rounded once, for bf16/f16."""
    if x.dtype in (torch.float32, torch.float64):
        return x * mask * s
    return (x.float() * mask * s).to(x.dtype)


def ref_alpha(x, mask, p):
    """torch's _dropout_impl for alpha dropout given the noise, in the dtype (float for bf16/f16,
    rounded once, as MASK_SPEC 4.4 says)."""
    wide = x.dtype in (torch.bfloat16, torch.float16)
    xt = x.float() if wide else x
    if p == 1:  # _dropout_impl: input * zeros({})
        y = xt * torch.zeros((), dtype=xt.dtype)
        return y.to(x.dtype) if wide else y
    a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
    noise = mask.to(xt.dtype).expand_as(xt).clone() if mask.dim() == xt.dim() else mask.to(xt.dtype)
    b = noise.add(-1).mul_(ALPHA * a).add_(ALPHA * a * p)
    noise.mul_(a)
    y = xt * noise + b
    return y.to(x.dtype) if wide else y


class Same:
    def assertSame(self, a, b, msg=""):
        """Bitwise, NaN equal to NaN."""
        self.assertEqual(a.dtype, b.dtype, msg)
        self.assertEqual(tuple(a.shape), tuple(b.shape), msg)
        a = a.detach().contiguous()
        b = b.detach().contiguous()
        v = INT_VIEW[a.dtype]
        ok = (a.view(v) == b.view(v)) | (torch.isnan(a) & torch.isnan(b))
        self.assertTrue(bool(ok.all()), f"{msg}: {a[~ok][:4]} vs {b[~ok][:4]}")


# ---- every module and functional form given the same mask -----------------------------------------

class TestAgainstPyTorchGivenMask(unittest.TestCase, Same):
    def check(self, name, fwd, ref, x, nbits, mask_shape, p):
        """fwd(x) under autograd vs ref(x, mask) under autograd: output and input gradient."""
        xa = x.clone().requires_grad_()
        y, mask = with_mask(lambda: fwd(xa), nbits, p, mask_shape)
        xb = x.clone().requires_grad_()
        yr = ref(xb, mask)
        self.assertSame(y, yr, f"{name} forward {x.dtype}")
        g = torch.randn(x.shape, dtype=torch.float64).to(x.dtype)
        y.backward(g)
        yr.backward(g)
        self.assertSame(xa.grad, xb.grad, f"{name} grad {x.dtype}")

    def test_dropout(self):
        for dtype, p in itertools.product(FLOATS, (0.1, 0.5, 0.15, 1.0)):
            x = special((7, 33), dtype)
            s = 0.0 if p == 1 else 1 / (1 - p)
            self.check("Dropout", sdt.Dropout(p), lambda t, m: ref_scale(t, m, s), x, x.numel(), x.shape, p)
            self.check("F.dropout", lambda t: F.dropout(t, p), lambda t, m: ref_scale(t, m, s), x,
                       x.numel(), x.shape, p)
            self.check("F.dropout save_mask=False", lambda t: F.dropout(t, p, save_mask=False),
                       lambda t, m: ref_scale(t, m, s), x, x.numel(), x.shape, p)

    def test_channel_dropout(self):
        cases = [(sdt.Dropout1d, F.dropout1d, (3, 4, 5), (3, 4, 1)),
                 (sdt.Dropout1d, F.dropout1d, (4, 5), (4, 1)),
                 (sdt.Dropout2d, F.dropout2d, (3, 4, 2, 5), (3, 4, 1, 1)),
                 (sdt.Dropout3d, F.dropout3d, (2, 3, 2, 2, 3), (2, 3, 1, 1, 1)),
                 (sdt.Dropout3d, F.dropout3d, (3, 2, 2, 3), (3, 1, 1, 1))]
        for (mod, fn, shape, mshape), dtype in itertools.product(cases, FLOATS):
            p = 0.4
            x = special(shape, dtype)
            nb = torch.Size(mshape).numel()
            ref = lambda t, m: ref_scale(t, m, 1 / (1 - p))  # noqa: E731
            self.check(mod.__name__, mod(p), ref, x, nb, mshape, p)
            self.check(fn.__name__, lambda t: fn(t, p), ref, x, nb, mshape, p)

    def test_alpha_dropout(self):
        for dtype, p in itertools.product(FLOATS, (0.2, 0.5, 1.0)):
            x = special((6, 40), dtype)
            self.check("AlphaDropout", sdt.AlphaDropout(p), lambda t, m: ref_alpha(t, m, p), x,
                       x.numel(), x.shape, p)
            self.check("F.alpha_dropout", lambda t: F.alpha_dropout(t, p, True),
                       lambda t, m: ref_alpha(t, m, p), x, x.numel(), x.shape, p)
            xf = special((3, 4, 5), dtype)
            self.check("FeatureAlphaDropout", sdt.FeatureAlphaDropout(p),
                       lambda t, m: ref_alpha(t, m, p), xf, 12, (3, 4, 1), p)
            self.check("F.feature_alpha_dropout", lambda t: F.feature_alpha_dropout(t, p, True),
                       lambda t, m: ref_alpha(t, m, p), xf, 12, (3, 4, 1), p)

    def test_drop_path(self):
        for dtype in FLOATS:
            x = special((8, 3, 5), dtype)
            ref = lambda t, m: ref_scale(t, m, 1 / (1 - 0.3))  # noqa: E731
            self.check("DropPath", sdt.DropPath(0.3), ref, x, 8, (8, 1, 1), 0.3)
            self.check("drop_path", lambda t: F.drop_path(t, 0.3, True), ref, x, 8, (8, 1, 1), 0.3)
            # scale_by_keep=False: timm's x * random_tensor (a tensor of 0s and 1s of x's dtype),
            # kept samples bit for bit x, in every dtype; the same keep decisions
            timm = lambda t, m: t * m.to(t.dtype)  # noqa: E731
            self.check("DropPath unscaled", sdt.DropPath(0.3, scale_by_keep=False), timm, x, 8,
                       (8, 1, 1), 0.3)
            for save_mask in (True, False):
                self.check("drop_path unscaled",
                           lambda t: F.drop_path(t, 0.3, True, False, save_mask=save_mask), timm,
                           x, 8, (8, 1, 1), 0.3)
            self.check("drop_path unscaled, p = 1", lambda t: F.drop_path(t, 1.0, True, False),
                       timm, x, 8, (8, 1, 1), 1.0)
            # one sample per batch: element dropout without rescaling (group_len 1)
            x1 = special((40,), dtype)
            self.check("drop_path unscaled, 1-d", lambda t: F.drop_path(t, 0.5, True, False),
                       timm, x1, 40, (40,), 0.5)

    def test_bias_dropout_add(self):
        for dtype in FLOATS:
            p = 0.3
            x = special((5, 7, 8), dtype)
            b0 = torch.randn(8, dtype=torch.float64).to(dtype)
            r0 = torch.randn(5, 7, 8, dtype=torch.float64).to(dtype)
            xa, ba, ra = (t.clone().requires_grad_() for t in (x, b0, r0))
            y, mask = with_mask(lambda: sdt.BiasDropoutAdd(p)(xa, ba, ra), x.numel(), p, x.shape)
            xb, bb, rb = (t.clone().requires_grad_() for t in (x, b0, r0))
            s = 1 / (1 - p)
            if dtype in (torch.float32, torch.float64):
                yr = rb + (xb + bb) * mask * s
            else:
                yr = (rb.float() + (xb.float() + bb.float()) * mask * s).to(dtype)
            self.assertSame(y, yr, f"BiasDropoutAdd {dtype}")
            g = torch.randn(x.shape, dtype=torch.float64).to(dtype)
            y.backward(g)
            dx_ref = ref_scale(g, mask, s)
            self.assertSame(xa.grad, dx_ref, f"BiasDropoutAdd dx {dtype}")
            self.assertSame(ra.grad, g, f"BiasDropoutAdd dresidual {dtype}")
            acc = torch.float64 if dtype == torch.float64 else torch.float32
            db_ref = chunk_sum(dx_ref.reshape(-1, 8).to(acc)).to(dtype)
            self.assertSame(ba.grad, db_ref, f"BiasDropoutAdd dbias {dtype}")
            # eval: residual + (input + bias), no seed drawn
            m = sdt.BiasDropoutAdd(p).eval()
            st = torch.get_rng_state()
            ye = m(x, b0, r0)
            self.assertTrue(torch.equal(st, torch.get_rng_state()))
            if dtype in (torch.float32, torch.float64):
                self.assertSame(ye, r0 + (x + b0) * 1.0)
            # no bias, no residual: element dropout
            y2, mask2 = with_mask(lambda: F.bias_dropout_add(x, None, None, p), x.numel(), p, x.shape)
            self.assertSame(y2, ref_scale(x, mask2, s))


def chunk_sum(dx):
    """MASK_SPEC 4.5: rows cut into 16 chunks, each summed from +0 in row order, then the chunk sums
    added in chunk order (a NaN result compared as NaN)."""
    rows = dx.shape[0]
    q, m = divmod(rows, 16)
    total = None
    start = 0
    for j in range(16):
        cnt = q + (1 if j < m else 0)
        if cnt == 0:
            continue
        part = torch.zeros(dx.shape[1], dtype=dx.dtype)
        for r in range(start, start + cnt):
            part = part + dx[r]
        start += cnt
        total = part if total is None else total + part
    return torch.zeros(dx.shape[1], dtype=dx.dtype) if total is None else total


# ---- what PyTorch's test/nn/test_dropout.py checks of its modules -----------------------------------

class TestPyTorchSuiteChecks(unittest.TestCase, Same):
    def _test_dropout(self, cls, input, memory_format=torch.contiguous_format):
        p = 0.2
        input = input.fill_(1 - p)
        module = cls(p)
        input_var = input.clone(memory_format=memory_format).requires_grad_()
        output = module(input_var)
        self.assertTrue(output.is_contiguous(memory_format=memory_format))
        self.assertLess(abs(output.data.mean() - (1 - p)), 0.05)
        output.backward(input)
        self.assertTrue(input_var.grad.is_contiguous(memory_format=memory_format))
        self.assertLess(abs(input_var.grad.data.mean() - (1 - p)), 0.05)

        module = cls(p, True)
        input_var = input.clone(memory_format=memory_format).requires_grad_()
        output = module(input_var + 0)
        self.assertTrue(output.is_contiguous(memory_format=memory_format))
        self.assertLess(abs(output.data.mean() - (1 - p)), 0.05)
        output.backward(input)
        self.assertTrue(input_var.grad.is_contiguous(memory_format=memory_format))
        self.assertLess(abs(input_var.grad.data.mean() - (1 - p)), 0.05)

        for inplace in [True, False]:  # eval mode changes nothing
            module = cls(p, inplace).eval()
            self.assertTrue(torch.equal(input, module(input)))
        module.__repr__()
        str(module)

    def _test_dropout_discontiguous(self, cls, memory_format=torch.contiguous_format):
        for p in [0, 1e-10]:
            inp = torch.ones(2, 3, 3, 3)
            inp_discontiguous = torch.empty(2, 3, 3, 6, memory_format=memory_format)[..., ::2]
            inp_discontiguous.copy_(inp)
            out = cls(p=p)(inp_discontiguous)
            if p != 0:
                self.assertTrue(out.is_contiguous(memory_format=memory_format))
            self.assertTrue(torch.equal(inp_discontiguous, out))

    def _test_dropout_stride_mean_preserve(self, cls):
        def invert_perm(p):
            d = {x: i for i, x in enumerate(p)}
            return (d[0], d[1], d[2], d[3])

        inp = torch.ones(2, 3, 4, 5)
        for perm in itertools.permutations((0, 1, 2, 3), r=4):
            for shift in [(0, 0), (1, 0), (0, 1), (1, 1)]:
                for p in [1e-10, 0.3, 0.5, 0.7]:
                    permuted_inp = inp.permute(perm).contiguous().permute(invert_perm(perm))
                    permuted_inp = permuted_inp[shift[0]:, shift[1]:, :, :]
                    out = cls(p=p)(permuted_inp)
                    self.assertTrue(out.permute(perm).is_contiguous())
                    self.assertLess(abs(inp.mean() - out.mean()), 0.5 + 0.5 * inp.mean().abs())
                    if p == 1e-10:
                        self.assertTrue(torch.equal(permuted_inp, out))
                    else:
                        self.assertFalse(torch.equal(permuted_inp, out))

    def test_Dropout(self):
        input = torch.empty(1000)
        self._test_dropout(sdt.Dropout, input)
        self._test_dropout_discontiguous(sdt.Dropout)
        self._test_dropout_discontiguous(sdt.Dropout, memory_format=torch.channels_last)
        self._test_dropout_stride_mean_preserve(sdt.Dropout)
        self._test_dropout(sdt.Dropout, input.bfloat16())
        self._test_dropout(sdt.Dropout, input.half())

    def _no_batch(self, dropout, input):
        input_clone = input.clone()
        st = torch.get_rng_state()
        res_no_batch = dropout(input)
        torch.set_rng_state(st)
        res_batched = dropout(input_clone.unsqueeze(0)).squeeze(0)
        self.assertTrue(torch.equal(res_no_batch, res_batched))

    def _channel_zero(self, dropout, input):
        shape = input.shape
        channel_numel = torch.tensor(shape[2:]).prod()
        result = dropout(input)
        for b, c in itertools.product(range(shape[0]), range(shape[1])):
            self.assertIn(result[b, c].count_nonzero(), (0, channel_numel))

    def test_Dropout1d(self):
        N, C, L = (RNG.randint(10, 15) for _ in range(3))
        self._test_dropout(sdt.Dropout1d, torch.empty(N, C, L, dtype=torch.double))
        with self.assertRaisesRegex(RuntimeError, "Expected 2D or 3D input, but received a 4D input"):
            sdt.Dropout1d(p=0.5)(torch.rand(1, 2, 2, 2))
        with self.assertRaisesRegex(RuntimeError, "Expected 2D or 3D input, but received a 1D input"):
            sdt.Dropout1d(p=0.5)(torch.rand(2))
        input = torch.rand(50, 2)
        self._no_batch(sdt.Dropout1d(p=0.5), input)
        self._no_batch(sdt.Dropout1d(p=0.5, inplace=True), input)
        input = torch.ones(10, 4, 2)
        self._channel_zero(sdt.Dropout1d(p=0.5), input)
        self._channel_zero(sdt.Dropout1d(p=0.5, inplace=True), input)

    def test_Dropout2d(self):
        # PyTorch draws the sizes at random, so every run tries another layout; here from a
        # printed seed (SIMDROP_TEST_SEED gives it back)
        b, w, h = (RNG.randint(1, 5) for _ in range(3))
        input = torch.empty(1000, b, w, h)
        self._test_dropout(sdt.Dropout2d, input)
        # channels_last: in place too, by the NHWC kernels
        self._test_dropout(sdt.Dropout2d, input, memory_format=torch.channels_last)
        self._test_dropout_discontiguous(sdt.Dropout2d)
        self._test_dropout_discontiguous(sdt.Dropout2d, memory_format=torch.channels_last)
        with self.assertWarnsRegex(UserWarning, "Received a 5-D input to dropout2d"):
            sdt.Dropout2d(p=0.5)(torch.rand(1, 2, 2, 2, 2))
        with self.assertWarnsRegex(UserWarning, "Received a 2-D input to dropout2d"):
            sdt.Dropout2d(p=0.5)(torch.rand(1, 2))
        with self.assertWarnsRegex(UserWarning, "assuming that channel-wise 1D dropout behavior is desired"):
            sdt.Dropout2d(p=0.5)(torch.rand(1, 2, 2))
        input = torch.ones(10, 4, 2, 2)
        self._channel_zero(sdt.Dropout2d(p=0.5), input)
        self._channel_zero(sdt.Dropout2d(p=0.5, inplace=True), input)

    def test_Dropout3d(self):
        b, w, h = (RNG.randint(1, 5) for _ in range(3))
        d = RNG.randint(1, 2)
        self._test_dropout(sdt.Dropout3d, torch.empty(1000, b, d, w, h))
        self._test_dropout(sdt.Dropout3d, torch.empty(1000, b, d, w, h),
                           memory_format=torch.channels_last_3d)
        self._test_dropout_discontiguous(sdt.Dropout3d)
        self._test_dropout_discontiguous(sdt.Dropout3d, memory_format=torch.channels_last)
        with self.assertWarnsRegex(UserWarning, "Received a 6-D input to dropout3d"):
            sdt.Dropout3d(p=0.5)(torch.rand(1, 2, 2, 2, 2, 2))
        with self.assertWarnsRegex(UserWarning, "Received a 3-D input to dropout3d"):
            sdt.Dropout3d(p=0.5)(torch.rand(1, 2, 2))
        input = torch.rand(50, 2, 2, 2)
        self._no_batch(sdt.Dropout3d(p=0.5), input)
        self._no_batch(sdt.Dropout3d(p=0.5, inplace=True), input)
        input = torch.ones(10, 4, 2, 2, 2)
        self._channel_zero(sdt.Dropout3d(p=0.5), input)
        self._channel_zero(sdt.Dropout3d(p=0.5, inplace=True), input)

    def test_warnings_match_pytorch(self):
        for ours, theirs, shape in ((F.dropout2d, torch.nn.functional.dropout2d, (1, 2, 2)),
                                    (F.dropout2d, torch.nn.functional.dropout2d, (1, 2)),
                                    (F.dropout3d, torch.nn.functional.dropout3d, (1, 2, 2))):
            with warnings.catch_warnings(record=True) as a:
                warnings.simplefilter("always")
                ours(torch.rand(shape), 0.5)
            with warnings.catch_warnings(record=True) as b:
                warnings.simplefilter("always")
                theirs(torch.rand(shape), 0.5)
            self.assertEqual([str(w.message) for w in a], [str(w.message) for w in b])

    def test_empty_dropout(self):
        x = torch.tensor([])
        self.assertEqual(F.dropout(x).size(), x.size())

    def _alpha(self, cls, input):
        mean, std = input.mean(), input.std()
        for p in [0.2, 0.5, 0.8]:
            input_var = input.detach().clone().requires_grad_()
            output = cls(p)(input_var)
            self.assertLess(abs(output.data.mean() - mean), 0.1)
            self.assertLess(abs(output.data.std() - std), 0.1)
            output.backward(input)

    def test_AlphaDropout(self):
        self._alpha(sdt.AlphaDropout, torch.randn(5000))

    def test_FeatureAlphaDropout(self):
        b, w, h = (RNG.randint(1, 5) for _ in range(3))
        d = RNG.randint(1, 2)
        self._alpha(sdt.FeatureAlphaDropout, torch.randn(1000, b, d, w, h))
        self._alpha(sdt.FeatureAlphaDropout, torch.randn(50, 20, 64, 64))

    def test_invalid_dropout_p(self):
        v = torch.ones(1)
        for cls in (sdt.Dropout, sdt.Dropout1d, sdt.Dropout2d, sdt.Dropout3d, sdt.AlphaDropout,
                    sdt.FeatureAlphaDropout, sdt.BiasDropoutAdd):
            self.assertRaises(ValueError, lambda: cls(-0.1))
            self.assertRaises(ValueError, lambda: cls(1.1))
        for fn in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
                   F.feature_alpha_dropout, F.drop_path):
            for p in (-0.1, 1.1, float("nan")):
                with self.assertRaisesRegex(ValueError, r"dropout probability has to be between 0 and 1, but got"):
                    fn(v.reshape(1, 1, 1), p)
        with self.assertRaises(ValueError) as ours:
            F.dropout(v, 1.1)
        with self.assertRaises(ValueError) as theirs:
            torch.nn.functional.dropout(v, 1.1)
        self.assertEqual(str(ours.exception), str(theirs.exception))

    def test_p0_p1_fraction_and_mean(self):
        x = torch.ones(1 << 16)
        for p in (0.1, 0.3, 0.5, 0.9):
            y = F.dropout(x, p)
            self.assertLess(abs((y == 0).float().mean().item() - p), 0.01)
            self.assertLess(abs(y.mean().item() - 1), 0.03)
        self.assertIs(F.dropout(x, 0.0), x)          # p = 0: the input itself, as PyTorch
        y1 = F.dropout(x.clone().requires_grad_(), 1.0)
        self.assertTrue(bool((y1 == 0).all()))
        y1.sum().backward()
        nanx = torch.tensor([float("nan"), float("inf"), -2.0])
        out = F.dropout(nanx, 1.0)
        ref = torch.nn.functional.dropout(nanx, 1.0)
        self.assertSame(out, ref)  # x * 0 like PyTorch: NaN, NaN, -0.0

    def test_eval_identity(self):
        for m in (sdt.Dropout(), sdt.Dropout1d(), sdt.Dropout2d(), sdt.Dropout3d(), sdt.AlphaDropout(),
                  sdt.FeatureAlphaDropout(), sdt.DropPath(0.3)):
            x = torch.randn((4, 5, 6) if isinstance(m, sdt.Dropout1d) else (4, 5, 6, 7, 2))
            if isinstance(m, sdt.Dropout2d):
                x = x[..., 0]
            m.eval()
            self.assertIs(m(x), x, type(m).__name__)
            self.assertFalse(m.training)
            m.train()
            self.assertFalse(torch.equal(m(x), x), type(m).__name__)
        self.assertIs(F.alpha_dropout(x, 0.5), x)  # PyTorch's default training=False
        self.assertIs(F.dropout(x, 0.5, inplace=True, training=False), x)

    def test_repr_and_constructor(self):
        pairs = [(sdt.Dropout(p=0.5, inplace=False), torch.nn.Dropout(p=0.5, inplace=False)),
                 (sdt.Dropout(0.2, True), torch.nn.Dropout(0.2, True)),
                 (sdt.Dropout1d(0.1), torch.nn.Dropout1d(0.1)),
                 (sdt.Dropout2d(), torch.nn.Dropout2d()),
                 (sdt.Dropout3d(0.3, True), torch.nn.Dropout3d(0.3, True)),
                 (sdt.AlphaDropout(0.2), torch.nn.AlphaDropout(0.2)),
                 (sdt.FeatureAlphaDropout(0.2), torch.nn.FeatureAlphaDropout(0.2))]
        for ours, theirs in pairs:
            self.assertEqual(repr(ours), repr(theirs))
            self.assertIsInstance(ours, type(theirs))
            self.assertEqual(ours.state_dict(), theirs.state_dict())
        self.assertEqual(repr(sdt.Dropout(0.5)), "Dropout(p=0.5, inplace=False)")
        self.assertEqual(repr(sdt.Dropout(0.5, save_mask=False)), "Dropout(p=0.5, inplace=False, save_mask=False)")
        self.assertEqual(repr(sdt.DropPath(0.1)), "DropPath(drop_prob=0.100)")
        self.assertEqual(repr(sdt.BiasDropoutAdd(0.1)), "BiasDropoutAdd(p=0.1)")
        seq = torch.nn.Sequential(torch.nn.Linear(10, 40), torch.nn.ReLU(), sdt.Dropout(0.5), torch.nn.Linear(40, 1))
        self.assertIn("(2): Dropout(p=0.5, inplace=False)", repr(seq))


# ---- every stride layout PyTorch takes: permutations, slices, channels_last, in place ---------------

def random_layout(rng, shape):
    """A tensor of `shape` whose memory is a random permutation of its dimensions, sometimes
    sliced (a gap in one dimension, or an offset start): what PyTorch's own Dropout2d/3d tests
    draw, and more."""
    perm = list(range(len(shape)))
    rng.shuffle(perm)
    gap = rng.randrange(len(shape)) if rng.random() < 0.3 else None
    step = [2 if k == gap else 1 for k in range(len(shape))]
    start = [1 if rng.random() < 0.2 else 0 for _ in shape]
    big = [b + st * s for b, st, s in zip(start, step, shape)]
    mem = torch.randn([big[k] for k in perm])
    inv = [perm.index(k) for k in range(len(shape))]
    t = mem.permute(inv)[tuple(slice(b, b + st * s, st) for b, st, s in zip(start, step, shape))]
    assert tuple(t.shape) == tuple(shape), (t.shape, shape)
    return t, perm


def layout(t):
    """t's strides where they matter: on the dimensions of more than one element."""
    return [st for st, sz in zip(t.stride(), t.shape) if sz != 1]


class TestLayouts(unittest.TestCase):
    """Channel dropout (Dropout1d/2d/3d, FeatureAlphaDropout) gives the same bits in every
    layout (one keep bit per (sample, channel)); element dropout (Dropout, AlphaDropout) keeps or
    drops each element whole; both in place where PyTorch is, and with PyTorch's result layout."""
    CHANNEL = {"dropout1d": (F.dropout1d, torch.nn.functional.dropout1d, 3),
               "dropout2d": (F.dropout2d, torch.nn.functional.dropout2d, 4),
               "dropout3d": (F.dropout3d, torch.nn.functional.dropout3d, 5),
               "feature_alpha_dropout": (F.feature_alpha_dropout,
                                         torch.nn.functional.feature_alpha_dropout, 4)}

    def test_channel_forms_every_layout(self):
        rng = random.Random(SEED + 1)
        for trial in range(120):
            name = rng.choice(sorted(self.CHANNEL))
            ours, theirs, dims = self.CHANNEL[name]
            shape = [rng.randint(1, 6) for _ in range(dims)]
            x, perm = random_layout(rng, shape)
            p, seed = rng.choice([0.2, 0.5, 0.9]), rng.randrange(1 << 62)
            inplace = rng.random() < 0.5
            ctx = f"seed {SEED} trial {trial}: {name} shape {shape} strides {x.stride()} p {p} inplace {inplace}"
            want = ours(x.contiguous(), p, True, generator=torch.Generator().manual_seed(seed))
            before, ptr = x.clone(), x.data_ptr()
            got = ours(x, p, True, inplace, generator=torch.Generator().manual_seed(seed))
            self.assertTrue(torch.equal(got, want), ctx)
            if inplace:
                self.assertIs(got, x, ctx)
                self.assertEqual(x.data_ptr(), ptr, ctx)
            else:
                self.assertTrue(torch.equal(x, before), ctx)
                self.assertEqual(layout(got), layout(theirs(before, p, True)), ctx)

    def test_channels_last_runs_in_place_without_a_copy(self):
        for name, fmt, shape in (("dropout2d", torch.channels_last, (4, 6, 5, 7)),
                                 ("feature_alpha_dropout", torch.channels_last, (3, 9, 2, 4)),
                                 ("dropout3d", torch.channels_last_3d, (2, 5, 3, 4, 6))):
            ours = self.CHANNEL[name][0]
            x = torch.randn(shape).to(memory_format=fmt)
            want = ours(x.contiguous(), 0.5, True, generator=torch.Generator().manual_seed(9))
            with torch.autograd.profiler.profile() as prof:
                out = ours(x, 0.5, True, generator=torch.Generator().manual_seed(9))
                ours(x, 0.5, True, True, generator=torch.Generator().manual_seed(9))
            ops = {e.name for e in prof.function_events}
            self.assertFalse(ops & {"aten::copy_", "aten::contiguous", "aten::clone"}, (name, ops))
            self.assertTrue(out.is_contiguous(memory_format=fmt), name)
            self.assertTrue(torch.equal(out, want) and torch.equal(x, want), name)

    def test_channels_last_backward_keeps_the_mask(self):
        for ours, fmt, shape in ((F.dropout2d, torch.channels_last, (3, 8, 4, 5)),
                                 (F.feature_alpha_dropout, torch.channels_last, (2, 17, 3, 3)),
                                 (F.dropout3d, torch.channels_last_3d, (2, 9, 2, 3, 4))):
            for save_mask in (True, False):
                grads = []
                for layout in (torch.contiguous_format, fmt):
                    x = torch.randn(shape, generator=torch.Generator().manual_seed(2))
                    x = x.to(memory_format=layout).requires_grad_()
                    y = ours(x, 0.4, True, generator=torch.Generator().manual_seed(4),
                             save_mask=save_mask)
                    y.backward(torch.arange(y.numel(), dtype=y.dtype).reshape(shape))
                    self.assertTrue(x.grad.is_contiguous(memory_format=layout))
                    grads.append(x.grad)
                self.assertTrue(torch.equal(grads[0], grads[1]), (ours.__name__, save_mask))

    def test_element_forms_every_layout(self):
        rng = random.Random(SEED + 2)
        forms = {"dropout": (F.dropout, torch.nn.functional.dropout),
                 "alpha_dropout": (F.alpha_dropout, torch.nn.functional.alpha_dropout)}
        for trial in range(80):
            name = rng.choice(sorted(forms))
            ours, theirs = forms[name]
            shape = [rng.randint(1, 7) for _ in range(rng.randint(1, 4))]
            x, perm = random_layout(rng, shape)
            p, inplace = rng.choice([0.25, 0.5]), rng.random() < 0.5
            ctx = f"seed {SEED} trial {trial}: {name} shape {shape} strides {x.stride()} p {p} inplace {inplace}"
            before = x.clone()
            got = ours(x, p, True, inplace, generator=torch.Generator().manual_seed(trial))
            if inplace:
                self.assertIs(got, x, ctx)
            else:
                self.assertTrue(torch.equal(x, before), ctx)
                self.assertEqual(layout(got), layout(theirs(before, p, True)), ctx)
            # each element kept or dropped: PyTorch's values for the keep flags the result shows
            if name == "dropout":
                keep = got != 0
                want = torch.where(keep, before * (1 / (1 - p)), torch.zeros_like(before))
            else:
                a = 1 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
                b = ALPHA * a * p
                kept = before * a + b
                keep = (got - kept).abs() <= 1e-5 * (1 + kept.abs())
                want = torch.where(keep, kept, torch.full_like(before, b - ALPHA * a))
            self.assertTrue(torch.allclose(got, want, rtol=1e-6, atol=1e-6), ctx)


# ---- autograd: saved mask, regeneration, inplace, double backward ----------------------------------

class TestAutograd(unittest.TestCase, Same):
    def test_saved_mask_is_one_bit(self):
        """Above REGEN_MAX elements a call autograd records keeps a 1-bit mask (none with
        save_mask=False), on the Python route and the C++ one where it is built."""
        glue = F._glue
        try:
            for route in [None] + ([glue] if glue is not None else []):
                F._glue = route

                def mask(y):
                    self.assertEqual(y.grad_fn.name(), "SimdropDropoutBackward" if route else
                                     "DropoutFunctionBackward")
                    return sdt._ops.saved_mask(y.grad_fn)
                x = torch.randn(1000, requires_grad=True)
                m = mask(F.dropout(x, 0.3))
                self.assertEqual(m.dtype, torch.uint8)
                self.assertEqual(m.numel(), 125)
                self.assertIsNone(mask(F.dropout(x, 0.3, save_mask=False)))
                y3 = F.dropout2d(torch.randn(4, 6, 5, 5, requires_grad=True), 0.3)
                self.assertEqual(mask(y3).numel(), 3)  # 24 channels
                if route is not None:  # (the Python route's tiny calls record x * noise)
                    self.assertIsNone(mask(F.dropout(x[:sdt._ops.REGEN_MAX] * 1, 0.3)))
                with torch.no_grad():  # no mask at all when autograd will not need it
                    self.assertFalse(F.dropout(x, 0.3).requires_grad)
        finally:
            F._glue = glue

    def test_regen_equals_mask(self):
        for dtype in FLOATS:
            for fn, shape in ((F.dropout, (50, 20)), (F.dropout2d, (5, 6, 4, 4)),
                              (lambda t, p, **k: F.alpha_dropout(t, p, True, **k), (50, 20))):
                x = torch.randn(shape).to(dtype)
                grads = []
                for save in (True, False):
                    xa = x.clone().requires_grad_()
                    fn(xa, 0.4, generator=torch.Generator().manual_seed(5), save_mask=save).sum().backward()
                    grads.append(xa.grad)
                self.assertSame(grads[0], grads[1])

    def test_tiny_calls_record_pytorchs_product_with_the_kernels_bits(self):
        # up to NOISE_MAX float32/float64 elements under autograd, dropout records PyTorch's
        # x * noise (MulBackward0) instead of simdrop's Function: result and gradient must still
        # be the kernel's bits (specials included; the backward rule is the forward's on dy)
        tiny = sdt._ops.NOISE_MAX
        for dtype, n, p, inplace in itertools.product((torch.float32, torch.float64), (1, 7, tiny, tiny + 1),
                                                      (0.3, 1.0), (False, True)):
            case = f"{dtype} n={n} p={p} inplace={inplace}"
            x, g = special((n,), dtype, seed=n), special((n,), dtype, seed=n + 1)
            leaf = x.clone().requires_grad_()
            z = leaf * 1 if inplace else leaf
            y = F.dropout(z, p, inplace=inplace, generator=torch.Generator().manual_seed(n))
            self.assertEqual(type(y.grad_fn).__name__,
                             "MulBackward0" if n <= tiny else "DropoutFunctionBackward", case)
            self.assertIs(y is z, inplace, case)
            y.backward(g)
            with torch.no_grad():  # the kernel itself
                ref_y = F.dropout(x, p, generator=torch.Generator().manual_seed(n))
                ref_dx = F.dropout(g, p, generator=torch.Generator().manual_seed(n))
            v = INT_VIEW[dtype]
            self.assertTrue(torch.equal(y.detach().view(v), ref_y.view(v)), case)
            self.assertTrue(torch.equal(leaf.grad.view(v), ref_dx.view(v)), case)

    def test_double_backward(self):
        gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731  the same mask on every call
        x = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
        b = torch.randn(5, dtype=torch.float64, requires_grad=True)
        r = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
        fns = {
            "dropout": lambda t: F.dropout(t, 0.4, generator=gen()),
            "dropout regen": lambda t: F.dropout(t, 0.4, generator=gen(), save_mask=False),
            "dropout1d": lambda t: F.dropout1d(t, 0.4, generator=gen()),
            "dropout2d": lambda t: F.dropout2d(t.unsqueeze(-1), 0.4, generator=gen()),
            "dropout3d": lambda t: F.dropout3d(t.unsqueeze(-1), 0.4, generator=gen()),
            "alpha": lambda t: F.alpha_dropout(t, 0.4, True, generator=gen()),
            "feature alpha": lambda t: F.feature_alpha_dropout(t, 0.4, True, generator=gen()),
            "drop_path": lambda t: F.drop_path(t, 0.4, True, generator=gen()),
            "inplace": lambda t: F.dropout(t * 1, 0.4, inplace=True, generator=gen()),
        }
        for name, fn in fns.items():
            self.assertTrue(torch.autograd.gradcheck(fn, (x,)), name)
            self.assertTrue(torch.autograd.gradgradcheck(lambda t: fn(t) ** 2, (x,)), name)
        bda = lambda t, b_, r_: F.bias_dropout_add(t, b_, r_, 0.4, generator=gen()) ** 2  # noqa: E731
        self.assertTrue(torch.autograd.gradcheck(bda, (x, b, r)))
        self.assertTrue(torch.autograd.gradgradcheck(bda, (x, b, r)))
        bda2 = lambda t, b_: F.bias_dropout_add(t, b_, None, 0.4, generator=gen(), save_mask=False) ** 2  # noqa: E731
        self.assertTrue(torch.autograd.gradgradcheck(bda2, (x, b)))

    def test_inplace(self):
        h = torch.randn(30, 40, requires_grad=True)
        z = h * 1
        v = z._version
        st = torch.get_rng_state()
        out = F.dropout(z, 0.5, inplace=True)
        self.assertIs(out, z)
        self.assertGreater(z._version, v)
        torch.set_rng_state(st)
        ref = F.dropout(h.detach() * 1, 0.5)
        self.assertSame(out, ref)
        out.sum().backward()
        self.assertSame(h.grad, (ref != 0).float() * 2)
        # no grad: still in place and the version counter moves (saved tensors stay checked)
        t = torch.randn(100)
        v = t._version
        self.assertIs(sdt.Dropout(0.5, inplace=True)(t), t)
        self.assertGreater(t._version, v)
        # a tensor saved for backward and then dropped out in place is caught as in PyTorch
        w = torch.randn(10, requires_grad=True)
        a = torch.randn(10)
        prod = w * a
        F.dropout(a, 0.5, inplace=True)
        with self.assertRaisesRegex(RuntimeError, "modified by an inplace operation"):
            prod.sum().backward()
        # channels_last element dropout works in place (memory order)
        cl = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
        self.assertIs(F.dropout(cl, 0.5, inplace=True), cl)

    def test_noncontiguous_input_and_gradient(self):
        base = torch.randn(20, 30, dtype=torch.float64)
        view = base[:, ::2]
        y = F.dropout(view, 0.5, generator=torch.Generator().manual_seed(1))
        yc = F.dropout(view.contiguous(), 0.5, generator=torch.Generator().manual_seed(1))
        self.assertSame(y, yc)
        x = view.clone().requires_grad_()
        F.dropout(x, 0.5).sum().backward()  # expanded (stride 0) gradient
        self.assertTrue(bool(((x.grad == 0) | (x.grad == 2)).all()))
        x2 = torch.randn(6, 8, requires_grad=True)
        y2 = F.dropout(x2, 0.5)
        g = torch.randn(8, 6).t()  # transposed gradient
        y2.backward(g)
        self.assertSame(x2.grad, g * (y2 != 0) * 2.0)


class TestNativeRoute(unittest.TestCase):
    """simdrop.torch._glue (_glue.cpp), the C++ route of element and channel calls below the
    huge-page size: taken where it was built (meson sets SIMDROP_TORCH_GLUE), with the bits, the
    generator's draws and the double backward of the Python route (from a kept mask above
    REGEN_MAX elements, unless save_mask=False), and declining every call that route would run
    differently."""

    def setUp(self):
        if os.environ.get("SIMDROP_TORCH_GLUE"):
            self.assertTrue(sdt.NATIVE.startswith("C++ (simdrop.torch._glue"), sdt.NATIVE)
        else:
            self.assertTrue(sdt.NATIVE.startswith("Python ("), sdt.NATIVE)
            self.skipTest(f"not built here: {sdt.NATIVE}")

    def run_route(self, glue, fn, x, g, gg, p, inplace, grad, save_mask=True):
        """(y, dx, ddy, grad_fn name, generator state after) of fn (F.dropout, ...) through one route.
        dx: x's gradient for g; ddy: the gradient, through that backward, of g for gg. In place
        under autograd the input is a product of the leaf (PyTorch refuses a leaf)."""
        saved = F._glue
        F._glue = saved if glue else None
        try:
            torch.manual_seed(1234)
            leaf = x.clone().requires_grad_(grad)
            gl = g.clone().requires_grad_()
            z = leaf * 1 if grad and inplace else leaf
            y = fn(z, p, inplace=inplace, save_mask=save_mask)
            self.assertIs(y is z, inplace)
            state = torch.get_rng_state()
            name = y.grad_fn.name() if y.grad_fn is not None else None
            if not grad:
                return y, None, None, name, state
            (dx,) = torch.autograd.grad(y, leaf, gl, create_graph=True)
            (ddy,) = torch.autograd.grad(dx, gl, gg)
            return y, dx, ddy, name, state
        finally:
            F._glue = saved

    def test_same_bits_as_the_python_route(self):
        tiny = sdt._ops.REGEN_MAX
        cl, cl3 = torch.channels_last, torch.channels_last_3d
        shapes = [(F.dropout, (n,), None) for n in (1, 2, 31, 64, tiny, tiny + 1, 3000)] + [
            (F.dropout1d, (3, 5), None), (F.dropout1d, (2, 3, 5), None), (F.dropout2d, (2, 4, 3, 3), None),
            (F.dropout2d, (1, 1, 16, 32), None), (F.dropout3d, (2, 2, 2, 2, 2), None),
            (F.dropout3d, (3, 1, 2, 2), None),
            (F.dropout2d, (3, 7, 5, 9), None), (F.dropout1d, (40, 20), None)] + [  # (> REGEN_MAX)
            # channels-last memory: the NHWC functions for channels, memory order for elements
            (F.dropout2d, (2, 4, 3, 3), cl), (F.dropout2d, (3, 7, 5, 9), cl), (F.dropout2d, (2, 5, 1, 1), cl),
            (F.dropout3d, (2, 3, 2, 2, 2), cl3), (F.dropout3d, (2, 6, 3, 4, 5), cl3), (F.dropout, (2, 3, 4, 5), cl),
            (F.dropout, (3, 6, 5, 7), cl)]
        for (fn, shape, fmt), dtype, p, grad, inplace, save_mask in itertools.product(
                shapes, FLOATS, (0.3, 1.0), (False, True), (False, True), (True, False)):
            case = (f"{fn.__name__} {shape} {fmt or ''} {dtype} p={p} grad={grad} inplace={inplace} "
                    f"save_mask={save_mask}")
            x, g, gg = (special(shape, dtype, seed=len(shape) + k) for k in range(3))
            if fmt is not None:  # (the gradient stays contiguous: the backward converts it)
                x, gg = x.contiguous(memory_format=fmt), gg.contiguous(memory_format=fmt)
            native = self.run_route(True, fn, x, g, gg, p, inplace, grad, save_mask)
            python = self.run_route(False, fn, x, g, gg, p, inplace, grad, save_mask)
            self.assertEqual(native[3], "SimdropDropoutBackward" if grad else None, case)
            self.assertTrue(torch.equal(native[4], python[4]), f"{case}: the generator's draws")
            v = INT_VIEW[dtype]
            for what, a, b in zip(("y", "dx", "ddy"), native[:3], python[:3]):
                if a is not None:
                    self.assertTrue(torch.equal(a.detach().view(v), b.detach().view(v)), f"{case}: {what}")
                    self.assertEqual(a.stride(), b.stride(), f"{case}: {what}'s layout")

    def test_a_named_module_that_does_not_load_is_an_error(self):
        import subprocess
        for path, why in (("/nonexistent/_glue.so", "cannot open shared object file"),
                          (__file__, "invalid ELF header")):  # (never run as Python source)
            env = dict(os.environ, SIMDROP_TORCH_GLUE=path)
            r = subprocess.run([sys.executable, "-c", "import simdrop.torch"], env=env,
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(f"cannot use SIMDROP_TORCH_GLUE={path}: ", r.stderr)
            self.assertIn(why, r.stderr)

    def test_a_failing_kernel_raises(self):
        """A kernel call that fails (SIMDROP_ISA names no path: every call fails) raises
        RuntimeError naming the C function and its status, from a small call (the GIL held) and a
        large one (the GIL let go around the kernel, taken back as the error leaves)."""
        import subprocess
        code = ("import torch, simdrop.torch as sdt\n"
                "for n in (100, 100000):\n"
                "    try:\n"
                "        sdt.functional.dropout(torch.randn(n, requires_grad=True), 0.3)\n"
                "    except RuntimeError as e:\n"
                "        print(n, e)\n")
        r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, SIMDROP_ISA="no-such-path"),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([line.split(" ", 1)[0] for line in r.stdout.splitlines()], ["100", "100000"])
        for line in r.stdout.splitlines():
            self.assertIn("simdrop_forward_f32 failed with status -", line)

    def test_inplace_moves_the_version_counter(self):
        t = torch.randn(100)
        v = t._version
        self.assertIs(sdt._ops.glue_dropout(t, 0.5, True, 0, True), t)
        self.assertGreater(t._version, v)

    def test_declined(self):
        glue = sdt._ops.glue_dropout
        x = torch.randn(8, 8)
        leaf = torch.randn(8, requires_grad=True)
        big = torch.randn(sdt._ops.GLUE_MAX)
        self.assertIsInstance(glue(x, 0.5, False, 0, True), torch.Tensor)  # (the calls below, done right)
        self.assertIsInstance(glue(x, 0.5, False, 4, True), torch.Tensor)
        self.assertIsInstance(glue(big, 0.5, False, 0, True), torch.Tensor)
        for case, args in {
                "empty": (torch.empty(0), 0.5, False, 0, True),
                "above GLUE_MAX (huge pages advised)": (torch.cat([big, big[:1]]), 0.5, False, 0, True),
                "not contiguous": (x.t(), 0.5, False, 0, True),
                "int dtype": (torch.ones(4, dtype=torch.int32), 0.5, False, 0, True),
                "complex": (torch.ones(4, dtype=torch.complex64), 0.5, False, 0, True),
                "p an int": (x, 1, False, 0, True),
                "a Parameter": (torch.nn.Parameter(torch.randn(4)), 0.5, False, 0, True),
                "lazily negated": (torch.randn(4, dtype=torch.complex64).conj().imag, 0.5, False, 0, True),
                "in place on a leaf that requires grad": (leaf, 0.5, True, 0, True),
                "in place on a view": (x[1], 0.5, True, 0, True),
                "groups that do not divide the elements": (x, 0.5, False, 5, True),
                "a negative group length": (x, 0.5, False, -4, True),
                "a group length past 2^63": (x, 0.5, False, 1 << 64, True),
                "no save_mask": (x, 0.5, False, 0),
        }.items():
            self.assertIsNone(glue(*args), case)
        with torch.inference_mode():
            self.assertIsNone(glue(torch.randn(4), 0.5, True, 0, True), "in place on an inference tensor")
        with torch.autograd.forward_ad.dual_level():
            dual = torch.autograd.forward_ad.make_dual(torch.randn(4), torch.randn(4))
            self.assertIsNone(glue(dual, 0.5, False, 0, True), "forward-mode gradient")


# ---- seeds ----------------------------------------------------------------------------------------

class TestReproducibility(unittest.TestCase):
    def test_manual_seed(self):
        x = torch.randn(1000)
        torch.manual_seed(7)
        a = [F.dropout(x, 0.5), sdt.Dropout2d(0.5)(x.reshape(10, 10, 5, 2)), F.alpha_dropout(x, 0.5, True)]
        torch.manual_seed(7)
        b = [F.dropout(x, 0.5), sdt.Dropout2d(0.5)(x.reshape(10, 10, 5, 2)), F.alpha_dropout(x, 0.5, True)]
        for u, v in zip(a, b):
            self.assertTrue(torch.equal(u, v))
        self.assertFalse(torch.equal(F.dropout(x, 0.5), F.dropout(x, 0.5)))  # consecutive calls differ

    def test_generator_argument(self):
        x = torch.randn(1000)
        g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
        st = torch.get_rng_state()
        self.assertTrue(torch.equal(F.dropout(x, 0.5, generator=g1), F.dropout(x, 0.5, generator=g2)))
        self.assertTrue(torch.equal(st, torch.get_rng_state()))  # the default generator untouched

    def test_seed_is_64_bit(self):
        seeds = {sdt.draw_seed() for _ in range(200)}
        self.assertEqual(len(seeds), 200)
        self.assertTrue(any(s >= 1 << 63 for s in seeds))
        self.assertTrue(all(0 <= s < 1 << 64 for s in seeds))

    def test_independent_masks_per_sample(self):
        x = torch.ones(64, 40)
        y = F.dropout(x, 0.5)
        rows = {tuple((y[i] != 0).tolist()) for i in range(64)}
        self.assertEqual(len(rows), 64)


# ---- what is refused ------------------------------------------------------------------------------

class TestErrors(unittest.TestCase):
    def test_device_dtype_layout(self):
        # device "meta" (shapes only, e.g. a model built under torch.device("meta")): the
        # operator's Meta kernel answers, with PyTorch's layout; other devices are refused
        # (test_other_device_message)
        meta = torch.empty(4, 10, device="meta").t()
        for y in (F.dropout(meta, 0.5), sdt.Dropout2d(0.5)(meta.reshape(5, 2, 2, 2)),
                  F.bias_dropout_add(meta, None, meta, 0.5)):
            self.assertEqual(y.device.type, "meta")
        self.assertEqual(F.dropout(meta, 0.5).stride(), torch.nn.functional.dropout(meta, 0.5).stride())
        for t in (torch.arange(10), torch.ones(10, dtype=torch.complex64), torch.ones(10, dtype=torch.bool)):
            with self.assertRaisesRegex(TypeError, "float32, float64, bfloat16 and float16 only"):
                F.dropout(t, 0.5)
        with self.assertRaisesRegex(RuntimeError, "layout"):
            F.dropout(torch.eye(3).to_sparse(), 0.5)

    def test_other_device_message(self):
        # CUDA tensors run libsimdrop_cuda (test_torch_cuda.py); any other device is refused by
        # name. No such device here: a stand-in with a tensor's attributes reaches the check.
        class OnXpu:
            dtype, is_cpu, is_cuda, layout = torch.float32, False, False, torch.strided
            device = torch.device("xpu", 0)
        from simdrop.torch import _ops
        with self.assertRaisesRegex(RuntimeError, "input is on xpu:0: simdrop runs on CPU tensors "
                                    r"\(the C library\) and CUDA tensors \(libsimdrop_cuda\) only"):
            _ops.kernels(_ops.ELEMENT, OnXpu(), "dropout")

    def test_inplace_refusals(self):
        base = torch.randn(10, 10)
        before = base.clone()
        with self.assertRaisesRegex(RuntimeError, "leaf Variable that requires grad"):
            F.dropout(base.clone().requires_grad_(), 0.5, inplace=True)
        leaf = base.clone().requires_grad_()
        with self.assertRaisesRegex(RuntimeError, "view of a leaf Variable"):
            F.dropout(leaf[1:], 0.5, inplace=True)
        self.assertTrue(torch.equal(base, before))
        self.assertTrue(torch.equal(leaf.detach(), before))  # nothing written before the refusal

    def test_feature_shapes(self):
        with self.assertRaisesRegex(RuntimeError, "Feature dropout requires at least 2 dimensions"):
            F.feature_alpha_dropout(torch.ones(3), 0.5, True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with self.assertRaisesRegex(RuntimeError, "Feature dropout requires at least 2 dimensions"):
                F.dropout2d(torch.ones(3), 0.5)
            # p = 1 multiplies by zero before PyTorch looks at the dimensions: the same here
            import torch.nn.functional as TF
            for name in ("dropout2d", "dropout3d", "feature_alpha_dropout"):
                for x in (torch.tensor([-1.5, 2.0, float("nan"), -float("inf"), 0.0]), torch.tensor(-3.0)):
                    want = getattr(TF, name)(x, 1.0, True)
                    got = getattr(F, name)(x, 1.0, True)
                    self.assertTrue(torch.equal(got.view(torch.int32), want.view(torch.int32)), (name, x))
                    inplace = x.clone()
                    self.assertIs(getattr(F, name)(inplace, 1.0, True, True), inplace)
                    self.assertTrue(torch.equal(inplace.view(torch.int32), want.view(torch.int32)), (name, x))

    def test_drop_path_and_bias_add(self):
        ones = torch.ones(64, 3)  # scale_by_keep=False: kept samples stay 1, dropped ones 0
        y = F.drop_path(ones, 0.5, True, scale_by_keep=False)
        self.assertTrue(bool(((y == 1).all(1) | (y == 0).all(1)).all()) and 0 < y.sum() < 192, y)
        self.assertTrue(torch.equal(F.drop_path(torch.ones(4, 3), 1.0, True, scale_by_keep=False), torch.zeros(4, 3)))
        x = torch.ones(4, 3)
        with self.assertRaisesRegex(ValueError, "bias has shape"):
            F.bias_dropout_add(x, torch.ones(4), None, 0.5)
        with self.assertRaisesRegex(ValueError, "residual has shape"):
            F.bias_dropout_add(x, None, torch.ones(3), 0.5)
        with self.assertRaisesRegex(TypeError, "dtype"):
            F.bias_dropout_add(x, torch.ones(3, dtype=torch.float64), None, 0.5)
        with self.assertRaisesRegex(RuntimeError, "expected all tensors to be on the same device, "
                                    "but bias is on meta and input on cpu"):
            F.bias_dropout_add(x, torch.ones(3, device="meta"), None, 0.5)

    def test_forward_mode_ad_is_refused_not_dropped(self):
        # A dual tensor's tangent would leave the kernels missing or unmasked: an error instead,
        # on every route to them (plain, sharded, the fused op), also where the input does
        # not require grad; eval mode and p = 0 return the input, tangent and all.
        import torch.autograd.forward_ad as fwAD
        x, t = torch.randn(4, 3, 8, 8, dtype=torch.float64), torch.randn(4, 3, 8, 8, dtype=torch.float64)
        calls = [("dropout", lambda d: F.dropout(d, 0.5)), ("dropout2d", lambda d: F.dropout2d(d, 0.5)),
                 ("alpha_dropout", lambda d: F.alpha_dropout(d, 0.5, True)),
                 ("feature_alpha_dropout", lambda d: F.feature_alpha_dropout(d, 0.5, True)),
                 ("drop_path", lambda d: F.drop_path(d, 0.5, True)),
                 ("bias_dropout_add", lambda d: F.bias_dropout_add(d, None, None, 0.5, False))]
        for name, call in calls:
            for grad in (False, True):
                with fwAD.dual_level():
                    dual = fwAD.make_dual(x.clone().requires_grad_(grad), t)
                    with self.assertRaisesRegex(NotImplementedError, f"simdrop.torch.{name}: forward-mode AD"):
                        call(dual)
                    with sdt.samples(0, 4), self.assertRaisesRegex(NotImplementedError, "forward-mode AD"):
                        call(dual)  # the sharded route
        with fwAD.dual_level():
            dual = fwAD.make_dual(x, t)
            self.assertIs(fwAD.unpack_dual(F.dropout(dual, 0.5, False)).tangent, fwAD.unpack_dual(dual).tangent)
            self.assertIs(fwAD.unpack_dual(F.dropout(dual, 0.0)).tangent, fwAD.unpack_dual(dual).tangent)


# ---- views, tensor flags, alignment and mask arguments (issue 20) -----------------------------

def gen(seed=1):
    return torch.Generator().manual_seed(seed)


class TestViewsFlagsAndArguments(unittest.TestCase, Same):
    def pytorch_error(self, call):
        try:
            call()
        except RuntimeError as exc:
            return str(exc)
        self.fail("PyTorch accepted it")

    def test_inplace_on_views_of_multi_output_functions_refused_as_pytorch_refuses(self):
        # the issue: simdrop wrote the data, then PyTorch failed with an INTERNAL ASSERT
        # (creation_meta == CreationMeta::DEFAULT); PyTorch refuses before writing anything
        tf = torch.nn.functional
        forms = {  # name: (shape of the view, simdrop's call, PyTorch's call)
            "dropout": ((4, 6), lambda v: F.dropout(v, 0.5, inplace=True),
                        lambda v: tf.dropout(v, 0.5, inplace=True)),
            "alpha_dropout": ((4, 6), lambda v: F.alpha_dropout(v, 0.5, True, inplace=True),
                              lambda v: tf.alpha_dropout(v, 0.5, True, inplace=True)),
            "dropout1d (C, L)": ((6, 5), lambda v: F.dropout1d(v, 0.5, inplace=True),
                                 lambda v: tf.dropout1d(v, 0.5, inplace=True)),
            "dropout2d": ((2, 4, 5, 5), lambda v: F.dropout2d(v, 0.5, inplace=True),
                          lambda v: tf.dropout2d(v, 0.5, inplace=True)),
            "feature_alpha_dropout": ((2, 4, 5), lambda v: F.feature_alpha_dropout(v, 0.5, True, inplace=True),
                                      lambda v: tf.feature_alpha_dropout(v, 0.5, True, inplace=True)),
        }
        views = {  # how: (base shape for a view of `shape`, the view)
            "unbind": (lambda shape: (2,) + shape, lambda b: b.unbind(0)[1]),
            "split": (lambda shape: (2 * shape[0],) + shape[1:], lambda b: b.split(b.shape[0] // 2)[1]),
            "chunk": (lambda shape: (2 * shape[0],) + shape[1:], lambda b: b.chunk(2, 0)[0]),
        }
        for (form, (shape, ours, theirs)), (how, (base_shape, view)) in itertools.product(forms.items(),
                                                                                          views.items()):
            leaf = torch.ones(base_shape(shape), requires_grad=True)
            base = leaf * 1
            self.assertEqual(tuple(view(base).shape), shape)
            want = self.pytorch_error(lambda: theirs(view(base)))
            self.assertIn("returns multiple views", want)
            with self.assertRaises(RuntimeError, msg=f"{form} on {how}") as cm:
                ours(view(base))
            self.assertEqual(str(cm.exception), want, f"{form} on {how}")
            self.assertTrue(bool((base == 1).all()), f"{form} on {how}: written before the refusal")

    def test_inplace_on_a_view_made_in_no_grad_mode_refused_as_pytorch_refuses(self):
        leaf = torch.ones(4, 6, requires_grad=True)
        base = leaf * 1
        with torch.no_grad():
            v = base[1]
        want = self.pytorch_error(lambda: torch.nn.functional.dropout(v, 0.5, inplace=True))
        self.assertIn("created in no_grad mode", want)
        with self.assertRaises(RuntimeError) as cm:
            F.dropout(v, 0.5, inplace=True)
        self.assertEqual(str(cm.exception), want)
        self.assertTrue(bool((base == 1).all()))

    def test_inplace_on_a_tracked_view_stays_in_place(self):
        leaf = torch.randn(4, 6, requires_grad=True)
        base = leaf * 1
        v = base[1:3]
        out = F.dropout(v, 0.5, inplace=True, generator=gen())
        self.assertIs(out, v)
        ref = F.dropout(leaf.detach()[1:3], 0.5, generator=gen())
        self.assertSame(base[1:3], ref)
        self.assertSame(base[0], leaf.detach()[0])
        base.sum().backward()
        want = torch.ones(4, 6)
        want[1:3] = (ref != 0).float() * 2
        self.assertSame(leaf.grad, want)

    def test_negated_views(self):
        # the issue: data_ptr() ignores PyTorch's lazy negation: dropout gave 8 where -8 is right
        v = torch.tensor([3 + 4j]).conj().imag
        self.assertTrue(v.is_neg())
        seen = {F.dropout(v, 0.5).item() for _ in range(64)}
        self.assertEqual({math.copysign(1, s) for s in seen}, {-1.0})
        self.assertEqual({abs(s) for s in seen}, {0.0, 8.0})
        x = special((4, 6, 3, 2), torch.float32)
        neg = torch._neg_view(x.neg())  # reads as x, memory holds -x
        calls = {
            "dropout": lambda t, **kw: F.dropout(t, 0.3, **kw),
            "alpha_dropout": lambda t, **kw: F.alpha_dropout(t, 0.3, True, **kw),
            "dropout2d": lambda t, **kw: F.dropout2d(t, 0.3, **kw),
            "feature_alpha_dropout": lambda t, **kw: F.feature_alpha_dropout(t, 0.3, True, **kw),
            "drop_path": lambda t, **kw: F.drop_path(t, 0.3, True, **kw),
            "bias_dropout_add": lambda t, **kw: F.bias_dropout_add(t, t[0, 0, 0], t, 0.3, **kw),
        }
        for name, call in calls.items():
            self.assertSame(call(neg, generator=gen()), call(x, generator=gen()), name)
            if name not in ("drop_path", "bias_dropout_add"):  # (no inplace argument)
                mem = x.neg()
                target = torch._neg_view(mem)
                self.assertIs(call(target, inplace=True, generator=gen()), target, name)
                self.assertSame(mem.neg(), call(x, generator=gen()), f"{name} in place")
        # the operator route (what tracing records) and a negated gradient
        torch.manual_seed(3)
        a = torch.ops.simdrop.dropout(neg, 0.3, True, True)
        torch.manual_seed(3)
        self.assertSame(a, F.dropout(x, 0.3))
        for save_mask in (True, False):
            for xs in (torch.randn(8, requires_grad=True), torch.randn(1000, requires_grad=True)):
                g = torch.randn(xs.shape)
                y = F.dropout(xs, 0.3, generator=gen(), save_mask=save_mask)
                y.backward(torch._neg_view(g.neg()))
                self.assertSame(xs.grad, g * (y != 0) * (1 / 0.7), f"negated gradient, save_mask={save_mask}")

    def test_conjugate_views_are_complex_and_refused_by_dtype(self):
        # a conjugate bit exists only on complex tensors, which the kernels do not take
        with self.assertRaisesRegex(TypeError, "float32, float64, bfloat16 and float16 only"):
            F.dropout(torch.ones(4, dtype=torch.complex64).conj(), 0.5)

    def test_misaligned_tensors(self):
        # torch.frombuffer at a byte offset gives elements at addresses C must not read as floats:
        # such an input (or gradient) is copied first, an in-place call copies the result back
        def misaligned(values):
            buf = bytearray(values.numel() * values.element_size() + 1)
            t = torch.frombuffer(buf, dtype=values.dtype, offset=1, count=values.numel()).view(values.shape)
            t.copy_(values)
            self.assertNotEqual(t.data_ptr() % t.element_size(), 0)
            return t
        for dtype in FLOATS:
            x = special((6, 8), dtype)
            mis = misaligned(x)
            self.assertSame(F.dropout(mis, 0.4, generator=gen()), F.dropout(x, 0.4, generator=gen()), str(dtype))
            self.assertSame(F.dropout2d(mis.view(2, 3, 2, 4), 0.4, generator=gen()),
                            F.dropout2d(x.view(2, 3, 2, 4), 0.4, generator=gen()), str(dtype))
            self.assertSame(F.bias_dropout_add(mis, mis[0], mis, 0.4, generator=gen()),
                            F.bias_dropout_add(x, x[0], x, 0.4, generator=gen()), str(dtype))
            self.assertIs(F.dropout(mis, 0.4, inplace=True, generator=gen()), mis)
            self.assertSame(mis, F.dropout(x, 0.4, generator=gen()), f"{dtype} in place")
            xs = x.clone().requires_grad_()
            y = F.dropout(xs, 0.4, generator=gen())
            g = torch.randn(x.shape).to(dtype)
            y.backward(misaligned(g))
            xr = x.clone().requires_grad_()
            F.dropout(xr, 0.4, generator=gen()).backward(g)
            self.assertSame(xs.grad, xr.grad, f"{dtype} misaligned gradient")

    def test_keep_mask_arguments(self):
        # the issue: offset=2**64 wrapped to 0 and -1 became 2^64-1; checked as simdrop.mask does
        for offset, exc, text in ((2**64, ValueError, "offset: must be in [0, 2^64)"),
                                  (-1, ValueError, "offset: must be in [0, 2^64)"),
                                  (2**64 - 3, ValueError, "offset: offset + count exceeds 2^64"),
                                  (1.5, TypeError, "offset: must be an integer"),
                                  (True, TypeError, "offset: must be an integer")):
            with self.assertRaises(exc, msg=repr(offset)) as cm:
                sdt.keep_mask(4, 0.5, 1, offset)
            self.assertIn(text, str(cm.exception))
        self.assertTrue(torch.equal(sdt.keep_mask(4, 0.5, 1, 2**64 - 4), sdt.keep_mask(8, 0.5, 1, 2**64 - 8)[4:]))
        for seed, exc in ((1.5, TypeError), (None, TypeError), (2**64, ValueError), (-2**63 - 1, ValueError)):
            self.assertRaises(exc, sdt.keep_mask, 4, 0.5, seed)
        self.assertTrue(torch.equal(sdt.keep_mask(64, 0.5, -5), sdt.keep_mask(64, 0.5, 2**64 - 5)))
        self.assertTrue(torch.equal(sdt.keep_mask(64, 0.5, torch.tensor(-5)), sdt.keep_mask(64, 0.5, 2**64 - 5)))


# ---- patch() --------------------------------------------------------------------------------------

class Net(torch.nn.Module):
    """An existing model class that names torch.nn.Dropout."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(10, 40)
        self.drop = torch.nn.Dropout(p=0.5)
        self.drop2 = torch.nn.Dropout2d(0.1)

    def forward(self, x):
        return self.drop(self.fc(x))


class TestPatch(unittest.TestCase):
    def test_context_manager_and_call(self):
        original = torch.nn.Dropout
        with sdt.patch():
            net = Net()
            self.assertIs(type(net.drop), sdt.Dropout)
            self.assertIs(type(net.drop2), sdt.Dropout2d)
            self.assertIs(torch.nn.modules.dropout.Dropout, original)  # names are not rebound
            self.assertTrue(sdt.is_patched())
            net(torch.randn(5, 10)).sum().backward()
        self.assertIs(torch.nn.Dropout, original)
        self.assertIs(type(Net().drop), original)
        sdt.patch()
        try:
            self.assertIs(type(Net().drop), sdt.Dropout)
            self.assertIs(torch.nn.functional.dropout, original_fd)
        finally:
            sdt.unpatch()
        self.assertIs(torch.nn.Dropout, original)
        self.assertFalse(sdt.is_patched())

    def test_functional(self):
        with sdt.patch(functional=True):
            self.assertEqual(torch.nn.functional.dropout.__module__, "simdrop.torch")
            torch.manual_seed(2)
            a = torch.nn.functional.dropout(torch.ones(100), 0.5)
            torch.manual_seed(2)
            self.assertTrue(torch.equal(a, F.dropout(torch.ones(100), 0.5)))
        self.assertIs(torch.nn.functional.dropout, original_fd)


original_fd = torch.nn.functional.dropout

if __name__ == "__main__":
    unittest.main(verbosity=2)
