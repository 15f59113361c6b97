"""The C library's ops against PyTorch, given the mask the C function reports.

Each op is called straight through the ctypes binding (simdrop._lib) on torch tensors, with an
offset, the bitmask it writes is unpacked with torch ops, and the result is compared with
PyTorch's formulas of docs/MASK_SPEC.md section 4:
  element/groups f32, f64   x * mask * s                                     bit for bit
  bf16, f16                 (x.float() * mask * s).to(dtype)                  NaN as NaN
  alpha f32, f64            input * noise + b, torch ops in the dtype (as _dropout_impl)
  alpha bf16, f16           the same in float, rounded once
  fused f32, f64            residual + (x + bias) * mask * s  (PyTorch eager)
  fused bf16, f16           the same chain in float, rounded once
  dbias                     the 16-row-chunk sum of 4.5, computed in torch in that order

Exits 77 (meson's "skipped") when torch is not installed."""
import itertools
import math
import sys
import unittest

from _testenv import require

require('torch')
import torch  # noqa: E402

from simdrop import _lib

DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.bfloat16: "bf16", torch.float16: "f16"}
INT_VIEW = {torch.float32: torch.int32, torch.float64: torch.int64, torch.bfloat16: torch.int16,
            torch.float16: torch.int16}
CANON_NAN = {torch.float32: 0x7FC00000, torch.float64: 0x7FF8000000000000, torch.bfloat16: 0x7FC0,
             torch.float16: 0x7E00}
ALPHA = 1.7580993408473766
PS = (0.1, 0.5, 2.0 ** -16, 0.999, 0.15)


def fn(name, dtype):
    return getattr(_lib, f"simdrop_{name}_{DTYPES[dtype]}")


def unpack(mask, n):
    """Bit k % 8 of byte k // 8, with torch ops (independent of the C conversion)."""
    k = torch.arange(n)
    return ((mask[k // 8].long() >> (k % 8)) & 1).bool()


def inputs(n, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, generator=g, dtype=torch.float64) * 4).to(dtype)
    vals = [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, -3.0, 1e-30, -1e-42]
    x[: len(vals)] = torch.tensor(vals, dtype=torch.float64).to(dtype)
    return x


def scale(p):
    return 0.0 if p == 1 else 1.0 / (1.0 - p)


def wide(dtype):
    return dtype in (torch.bfloat16, torch.float16)


def chunk_sum(dx, acc):
    rows, cols = dx.shape
    q, m = divmod(rows, 16)
    total = torch.zeros(cols, dtype=acc)
    start = 0
    first = True
    for j in range(16):
        cnt = q + (1 if j < m else 0)
        if cnt == 0:
            continue
        part = torch.zeros(cols, dtype=acc)
        for r in range(start, start + cnt):
            part = part + dx[r].to(acc)
        start += cnt
        total = part if first else total + part
        first = False
    return total


class Agreement(unittest.TestCase):
    def assertSame(self, a, b, msg):
        self.assertEqual(a.dtype, b.dtype, msg)
        v = INT_VIEW[a.dtype]
        ok = (a.view(v) == b.view(v)) | (torch.isnan(a) & torch.isnan(b))
        bad = (~ok).nonzero().flatten()[:4]
        self.assertTrue(bool(ok.all()), f"{msg}: at {bad.tolist()}: {a[bad].tolist()} vs {b[bad].tolist()}")


    def test_element(self):
        n, offset, seed = 4096 * 2 + 37, 4093, 0x0123456789ABCDEF
        for dtype, p in itertools.product(DTYPES, PS):
            x = inputs(n, dtype, 1)
            y = torch.empty_like(x)
            mask = torch.empty((n + 7) // 8, dtype=torch.uint8)
            self.assertEqual(fn("forward", dtype)(y.data_ptr(), mask.data_ptr(), x.data_ptr(), n, p, seed, offset), 0)
            keep = unpack(mask, n)
            s = scale(p)
            ref = x * keep * s if not wide(dtype) else (x.float() * keep * s).to(dtype)
            self.assertSame(y, ref, f"element {dtype} p={p}")
            dy = inputs(n, dtype, 2)
            dx = torch.empty_like(dy)
            self.assertEqual(fn("backward", dtype)(dx.data_ptr(), dy.data_ptr(), mask.data_ptr(), n, p), 0)
            refd = dy * keep * s if not wide(dtype) else (dy.float() * keep * s).to(dtype)
            self.assertSame(dx, refd, f"element backward {dtype} p={p}")
            dx2 = torch.empty_like(dy)
            self.assertEqual(fn("backward_regen", dtype)(dx2.data_ptr(), dy.data_ptr(), n, p, seed, offset), 0)
            self.assertSame(dx2, dx, f"regen {dtype}")

    def test_groups(self):
        groups, glen, offset, seed = 301, 7, 12345, 99
        n = groups * glen
        for dtype, p in itertools.product(DTYPES, (0.3, 0.5)):
            x = inputs(n, dtype, 3)
            y = torch.empty_like(x)
            mask = torch.empty((groups + 7) // 8, dtype=torch.uint8)
            self.assertEqual(fn("forward_groups", dtype)(y.data_ptr(), mask.data_ptr(), x.data_ptr(),
                                                         groups, glen, p, seed, offset), 0)
            keep = unpack(mask, groups)[:, None]
            x2 = x.view(groups, glen)
            s = scale(p)
            ref = x2 * keep * s if not wide(dtype) else (x2.float() * keep * s).to(dtype)
            self.assertSame(y.view(groups, glen), ref, f"groups {dtype} p={p}")
            # the group decisions are element decisions at the group indices
            m2 = torch.empty((groups + 7) // 8, dtype=torch.uint8)
            self.assertEqual(_lib.simdrop_mask(m2.data_ptr(), groups, p, seed, offset), 0)
            self.assertTrue(torch.equal(m2, mask))

    def test_alpha(self):
        n, offset, seed = 5000, 17, 2024
        for dtype, p, glen in itertools.product(DTYPES, (0.1, 0.5, 0.8), (1, 10)):
            groups = n // glen
            x = inputs(n, dtype, 4)
            y = torch.empty_like(x)
            mask = torch.empty((groups + 7) // 8, dtype=torch.uint8)
            self.assertEqual(fn("alpha_forward", dtype)(y.data_ptr(), mask.data_ptr(), x.data_ptr(),
                                                        groups, glen, p, seed, offset), 0)
            keep = unpack(mask, groups).repeat_interleave(glen)
            # torch's _dropout_impl, alpha branch, on the reported mask
            xt = x.float() if wide(dtype) else x
            a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
            noise = keep.to(xt.dtype)
            b = noise.add(-1).mul_(ALPHA * a).add_(ALPHA * a * p)
            noise.mul_(a)
            ref = xt * noise + b
            if wide(dtype):
                ref = ref.to(dtype)
            self.assertSame(y, ref, f"alpha {dtype} p={p} group_len={glen}")
            dy = inputs(n, dtype, 5)
            dx = torch.empty_like(dy)
            self.assertEqual(fn("alpha_backward", dtype)(dx.data_ptr(), dy.data_ptr(), mask.data_ptr(),
                                                         groups, glen, p), 0)
            dyt = dy.float() if wide(dtype) else dy
            refd = dyt * noise
            self.assertSame(dx, refd.to(dtype) if wide(dtype) else refd, f"alpha backward {dtype} p={p}")

    def test_bias_dropout_add(self):
        rows, cols, offset, seed = 77, 13, 4090, 7
        n = rows * cols
        for dtype, p, with_b, with_r in itertools.product(DTYPES, (0.1, 0.5), (True, False), (True, False)):
            x = inputs(n, dtype, 6).view(rows, cols)
            bias = inputs(cols, dtype, 7) if with_b else None
            res = inputs(n, dtype, 8).view(rows, cols).flip(0).contiguous() if with_r else None
            out = torch.empty_like(x)
            mask = torch.empty((n + 7) // 8, dtype=torch.uint8)
            rc = fn("bias_dropout_add", dtype)(out.data_ptr(), mask.data_ptr(), x.data_ptr(),
                                               None if bias is None else bias.data_ptr(),
                                               None if res is None else res.data_ptr(),
                                               rows, cols, p, seed, offset)
            self.assertEqual(rc, 0)
            keep = unpack(mask, n).view(rows, cols)
            s = scale(p)
            if wide(dtype):
                t = x.float() + bias.float() if with_b else x.float()
                u = t * keep * s
                ref = (res.float() + u if with_r else u).to(dtype)
            else:
                t = x + bias if with_b else x
                u = t * keep * s
                ref = res + u if with_r else u
            what = f"fused {dtype} p={p} bias={with_b} residual={with_r}"
            self.assertSame(out, ref, what)
            if with_b or with_r:  # with an addition, NaN results are the canonical NaN
                nan = torch.isnan(out)
                self.assertTrue(bool(nan.any()))
                self.assertTrue(bool((out.view(INT_VIEW[dtype])[nan] == CANON_NAN[dtype]).all()), what)

    def test_dbias_chunk_order(self):
        p, seed = 0.3, 5
        order_shown = False  # these inputs tell the chunk order from a row-by-row sum
        for dtype, (rows, cols) in itertools.product(DTYPES, ((0, 5), (1, 3), (15, 4), (16, 4), (17, 9),
                                                             (100, 8), (333, 13), (1000, 1))):
            n = rows * cols
            g = torch.Generator().manual_seed(rows * 31 + cols)
            # large and small magnitudes so that the summation order shows in the low bits
            dout = (torch.randn(rows, cols, generator=g, dtype=torch.float64)
                    * torch.logspace(-3, 4, max(rows, 1), dtype=torch.float64)[:rows, None]).to(dtype)
            mask = torch.empty((n + 7) // 8, dtype=torch.uint8)
            self.assertEqual(_lib.simdrop_mask(mask.data_ptr(), n, p, seed, 0), 0)
            dx = torch.empty_like(dout)
            acc = torch.float64 if dtype == torch.float64 else torch.float32
            db = torch.empty(cols, dtype=acc)
            self.assertEqual(fn("bias_dropout_add_backward", dtype)(dx.data_ptr(), db.data_ptr(), dout.data_ptr(),
                                                                    mask.data_ptr(), rows, cols, p), 0)
            keep = unpack(mask, n).view(rows, cols)
            s = scale(p)
            ref_dx = dout * keep * s if not wide(dtype) else (dout.float() * keep * s).to(dtype)
            self.assertSame(dx, ref_dx, f"dx {dtype} {rows}x{cols}")
            self.assertSame(db, chunk_sum(ref_dx, acc), f"dbias {dtype} {rows}x{cols}")
            if rows >= 16 and dtype == torch.float32:
                naive = ref_dx.sum(0, dtype=acc)
                self.assertTrue(torch.allclose(db, naive, rtol=1e-4, atol=1e-3))  # the same sum
                plain = torch.zeros(cols, dtype=acc)  # row by row, in the rows' order
                for r in range(rows):
                    plain += ref_dx[r].to(acc)
                order_shown |= not torch.equal(db, plain)
            db2 = torch.empty(cols, dtype=acc)
            dx2 = torch.empty_like(dout)
            self.assertEqual(fn("bias_dropout_add_backward_regen", dtype)(dx2.data_ptr(), db2.data_ptr(),
                                                                          dout.data_ptr(), rows, cols, p, seed, 0), 0)
            self.assertSame(db2, db, f"dbias regen {dtype}")
        self.assertTrue(order_shown, "no case's dbias differs from a row-by-row sum: the inputs "
                                     "cannot tell the chunk order from it")
        # a NaN in a column gives the canonical NaN
        dout = torch.ones(40, 3)
        dout[7, 1] = float("nan")
        mask = torch.full((15,), 255, dtype=torch.uint8)
        db = torch.empty(3)
        dx = torch.empty_like(dout)
        self.assertEqual(_lib.simdrop_bias_dropout_add_backward_f32(dx.data_ptr(), db.data_ptr(), dout.data_ptr(),
                                                                    mask.data_ptr(), 40, 3, 0.5), 0)
        self.assertEqual(db.view(torch.int32)[1].item(), CANON_NAN[torch.float32])
        self.assertEqual(db[0].item(), 80.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
