"""simdrop's numpy API: values against numpy formulas (docs/MASK_SPEC.md 4), masks, regeneration,
sharding, every bad argument (named, nothing written), and the library search.

Exits 77 (meson's "skipped") when numpy is not installed; nothing else skips."""
import os
import subprocess
import sys
import unittest

from _testenv import require

require('numpy')
import numpy as np  # noqa: E402

import simdrop

FLOATS = [np.float32, np.float64, np.float16]
UINT = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64, np.dtype(np.float16): np.uint16}


def scale(p, dtype):
    s = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return np.float64(s) if dtype == np.float64 else np.float32(s)


def keep(n, p, seed, offset=0):
    return simdrop.mask_to_bytes(simdrop.mask(n, p, seed, offset), n).astype(bool)


def special(n, dtype, rng):
    x = (rng.standard_normal(n) * 3).astype(dtype)
    vals = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, -1.5, 1e-40, 65504.0], dtype=np.float64)
    with np.errstate(over="ignore"):
        x[: len(vals)] = vals.astype(dtype)
    return x


def ref_dropout(x, m, p):
    """MASK_SPEC 4.1/4.2: one product in the dtype (float for f16, rounded once)."""
    s = scale(p, x.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        if x.dtype == np.float16:
            return (x.astype(np.float32) * np.where(m, s, np.float32(0))).astype(np.float16)
        return x * np.where(m, s, x.dtype.type(0))


class Same:
    def assertSame(self, a, b, msg=""):
        """Bit for bit, NaN equal to NaN (whatever payload)."""
        self.assertEqual(a.dtype, b.dtype, msg)
        self.assertEqual(a.shape, b.shape, msg)
        u = UINT[a.dtype]
        ok = (a.view(u) == b.view(u)) | (np.isnan(a) & np.isnan(b))
        self.assertTrue(ok.all(), f"{msg}: {np.flatnonzero(~ok)[:8]} {a[~ok][:4]} vs {b[~ok][:4]}")


class TestValues(unittest.TestCase, Same):
    def test_dropout_all_dtypes(self):
        rng = np.random.default_rng(1)
        for dtype in FLOATS:
            for p in (0.0, 0.1, 0.5, 0.15, 1.0):
                x = special(1000, dtype, rng)
                y, m = simdrop.dropout(x, p, seed=77, offset=5, return_mask=True)
                self.assertEqual(m.dtype, np.uint8)
                self.assertEqual(m.size, 125)
                k = keep(1000, p, 77, 5)
                self.assertTrue((simdrop.mask_to_bytes(m, 1000).astype(bool) == k).all())
                self.assertSame(y, ref_dropout(x, k, p), f"{dtype} p={p}")
                dy = rng.standard_normal(1000).astype(dtype)
                dx = simdrop.dropout_backward(dy, m, p)
                self.assertSame(dx, ref_dropout(dy, k, p), f"backward {dtype} p={p}")
                self.assertSame(simdrop.dropout_backward_regen(dy, p, 77, 5), dx, "regen")

    def test_shape_kept_and_in_place(self):
        x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
        y = simdrop.dropout(x, 0.5, seed=3)
        self.assertEqual(y.shape, (3, 4, 5))
        x2 = x.copy()
        r = simdrop.dropout(x2, 0.5, seed=3, out=x2)
        self.assertIs(r, x2)
        self.assertSame(x2, y)
        kept = y != 0
        self.assertTrue(np.array_equal(y[kept], 2 * x[kept]))

    def test_sharding_equals_one_call(self):
        x = np.random.default_rng(2).standard_normal(10000).astype(np.float32)
        y, m = simdrop.dropout(x, 0.3, 9, offset=100, return_mask=True)
        parts = [simdrop.dropout(x[a:b], 0.3, 9, offset=100 + a) for a, b in ((0, 4095), (4095, 4101), (4101, 10000))]
        self.assertSame(np.concatenate(parts), y)
        self.assertTrue(np.array_equal(simdrop.mask(10000, 0.3, 9, 100), m))

    def test_noncontiguous_is_copied(self):
        base = np.random.default_rng(3).standard_normal((40, 30)).astype(np.float64)
        view = base[:, ::3]
        y = simdrop.dropout(view, 0.4, 5)
        self.assertSame(y, simdrop.dropout(np.ascontiguousarray(view), 0.4, 5))
        yf = simdrop.dropout(np.asfortranarray(base), 0.4, 5)
        self.assertSame(yf, simdrop.dropout(base, 0.4, 5))  # flat index = C order

    def test_groups(self):
        rng = np.random.default_rng(4)
        for dtype in FLOATS:
            x = special(4 * 6 * 5, dtype, rng).reshape(4, 6, 5)
            y, m = simdrop.dropout_groups(x, 24, 0.5, 11, offset=3, return_mask=True)
            self.assertEqual(m.size, 3)
            k = np.repeat(keep(24, 0.5, 11, 3), 5).reshape(x.shape)
            self.assertSame(y, ref_dropout(x, k, 0.5))
            dy = rng.standard_normal(x.shape).astype(dtype)
            dx = simdrop.dropout_groups_backward(dy, m, 24, 0.5)
            self.assertSame(dx, ref_dropout(dy, k, 0.5))
            self.assertSame(simdrop.dropout_groups_backward_regen(dy, 24, 0.5, 11, 3), dx)
            # group_len 1 is element dropout
            self.assertSame(simdrop.dropout_groups(x, x.size, 0.5, 11), simdrop.dropout(x, 0.5, 11))

    def test_groups_nhwc(self):
        """Channels-last: the NCHW group functions' bits and values on the transposed array."""
        rng = np.random.default_rng(6)
        for dtype in FLOATS:
            for alpha in (False, True):
                x = special(3 * 4 * 5 * 7, dtype, rng).reshape(3, 7, 4, 5)  # (N, C, H, W)
                nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
                fwd = simdrop.alpha_dropout if alpha else simdrop.dropout_groups
                args = dict(groups=21) if alpha else {}
                want, wm = (fwd(x, 0.4, 11, offset=5, return_mask=True, **args) if alpha else
                            fwd(x, 21, 0.4, 11, offset=5, return_mask=True))
                y, m = simdrop.dropout_groups_nhwc(nhwc, 3, 7, 0.4, 11, offset=5, return_mask=True,
                                                   alpha=alpha)
                self.assertSame(y, np.ascontiguousarray(want.transpose(0, 2, 3, 1)))
                self.assertTrue(np.array_equal(m, wm))
                dy = rng.standard_normal(nhwc.shape).astype(dtype)
                dx = simdrop.dropout_groups_nhwc_backward(dy, m, 3, 7, 0.4, alpha=alpha)
                self.assertSame(simdrop.dropout_groups_nhwc_backward_regen(dy, 3, 7, 0.4, 11, 5,
                                                                           alpha=alpha), dx)
                back = (simdrop.alpha_dropout_backward(np.ascontiguousarray(dy.transpose(0, 3, 1, 2)),
                                                       wm, 0.4, groups=21) if alpha else
                        simdrop.dropout_groups_backward(np.ascontiguousarray(dy.transpose(0, 3, 1, 2)),
                                                        wm, 21, 0.4))
                self.assertSame(dx, np.ascontiguousarray(back.transpose(0, 2, 3, 1)))
                out = nhwc.copy()  # in place
                simdrop.dropout_groups_nhwc(out, 3, 7, 0.4, 11, offset=5, out=out, alpha=alpha)
                self.assertSame(out, y)
        with self.assertRaisesRegex(ValueError, "samples, channels"):
            simdrop.dropout_groups_nhwc(np.zeros(10, np.float32), 3, 2, 0.5, 1)

    def test_alpha(self):
        rng = np.random.default_rng(5)
        alpha = 1.7580993408473766
        for dtype in (np.float32, np.float64):
            p = 0.2
            a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
            A, AA, AB = dtype(a), dtype(alpha * a), dtype(alpha * a * p)
            D = AB - AA
            x = special(500, dtype, rng)
            y, m = simdrop.alpha_dropout(x, p, 21, return_mask=True)
            k = keep(500, p, 21)
            with np.errstate(invalid="ignore", over="ignore"):
                ref = np.where(k, x * A + AB, x * dtype(0) + D)
            self.assertSame(y, ref.astype(dtype))
            dy = rng.standard_normal(500).astype(dtype)
            dx = simdrop.alpha_dropout_backward(dy, m, p)
            self.assertSame(dx, np.where(k, dy * A, dy * dtype(0)).astype(dtype))
            self.assertSame(simdrop.alpha_dropout_backward_regen(dy, p, 21), dx)
            # feature alpha dropout: one decision per group
            xg = special(60, dtype, rng).reshape(3, 4, 5)
            yg = simdrop.alpha_dropout(xg, p, 8, groups=12)
            kg = np.repeat(keep(12, p, 8), 5).reshape(3, 4, 5)
            with np.errstate(invalid="ignore", over="ignore"):
                self.assertSame(yg, np.where(kg, xg * A + AB, xg * dtype(0) + D).astype(dtype))
        x = np.ones(10, np.float32)
        self.assertSame(simdrop.alpha_dropout(x, 0.0, 1), x)

    def test_unscaled(self):
        # dropout without rescaling (drop-path with scale_by_keep=False): dropout_groups' keep
        # decisions, kept elements times 1 (x * 1 in the dtype: bit for bit x, NaN payloads and
        # all), dropped ones x * 0 (a NaN stays NaN, -1.5 gives -0)
        rng = np.random.default_rng(6)
        for dtype in FLOATS:
            x = special(4 * 6 * 5, dtype, rng).reshape(4, 6, 5)
            y, m = simdrop.unscaled_dropout(x, 0.5, 11, offset=3, return_mask=True, groups=4)
            self.assertEqual(m.size, 1)
            self.assertTrue(np.array_equal(m, simdrop.dropout_groups(x, 4, 0.5, 11, offset=3, return_mask=True)[1]))
            k = np.repeat(keep(4, 0.5, 11, 3), 30).reshape(x.shape)
            self.assertTrue(k.any() and not k.all(), "the case keeps some samples and drops some")
            with np.errstate(invalid="ignore"):
                ref = np.where(k, x, x * dtype(0))
            self.assertSame(y, ref)
            self.assertTrue((y.view(UINT[y.dtype])[k] == x.view(UINT[x.dtype])[k]).all())
            dy = rng.standard_normal(x.shape).astype(dtype)
            dx = simdrop.unscaled_dropout_backward(dy, m, groups=4)
            self.assertSame(dx, np.where(k, dy, dy * dtype(0)))
            self.assertSame(simdrop.unscaled_dropout_backward_regen(dy, 0.5, 11, 3, groups=4), dx)
            # per element by default; in place
            ye, me = simdrop.unscaled_dropout(x, 0.3, 2, return_mask=True)
            ke = keep(x.size, 0.3, 2).reshape(x.shape)
            with np.errstate(invalid="ignore"):
                self.assertSame(ye, np.where(ke, x, x * dtype(0)))
            self.assertSame(simdrop.unscaled_dropout_backward(x, me), ye)
            xi = x.copy()
            self.assertIs(simdrop.unscaled_dropout(xi, 0.3, 2, out=xi), xi)
            self.assertSame(xi, ye)
        self.assertRaises(ValueError, simdrop.unscaled_dropout, np.ones(6, np.float32), 0.5, 1, groups=4)
        self.assertRaises(ValueError, simdrop.unscaled_dropout_backward, np.ones(8, np.float32),
                          np.zeros(2, np.uint8), groups=8)  # a mask of 16 bits for 8 groups

    def test_bias_dropout_add(self):
        rng = np.random.default_rng(6)
        for dtype in (np.float32, np.float64):
            x = special(37 * 8, dtype, rng).reshape(37, 8)
            b = rng.standard_normal(8).astype(dtype)
            r = rng.standard_normal((37, 8)).astype(dtype)
            y, m = simdrop.bias_dropout_add(x, b, r, 0.3, 5, offset=2, return_mask=True)
            k = keep(x.size, 0.3, 5, 2).reshape(x.shape)
            s = scale(0.3, dtype)
            with np.errstate(invalid="ignore", over="ignore"):
                ref = r + (x + b) * np.where(k, s, dtype(0))
            self.assertSame(y, ref.astype(dtype))
            self.assertSame(simdrop.bias_dropout_add(x, None, None, 0.3, 5, 2), simdrop.dropout(x, 0.3, 5, 2))
            dout = rng.standard_normal((37, 8)).astype(dtype)
            dx, db = simdrop.bias_dropout_add_backward(dout, m, 0.3)
            self.assertSame(dx, ref_dropout(dout, k, 0.3))
            self.assertEqual(db.dtype, np.float64 if dtype == np.float64 else np.float32)
            dx2, db2 = simdrop.bias_dropout_add_backward_regen(dout, 0.3, 5, 2)
            self.assertSame(dx2, dx)
            self.assertSame(db2, db)
            self.assertIsNone(simdrop.bias_dropout_add_backward(dout, m, 0.3, dbias=False)[1])
            # in place on the residual
            r2 = r.copy()
            simdrop.bias_dropout_add(x, b, r2, 0.3, 5, 2, out=r2)
            self.assertSame(r2, y)

    def test_masks(self):
        m = simdrop.mask(13, 0.5, 1)
        self.assertEqual(m.size, 2)
        self.assertEqual(int(m[1]) >> 5, 0)  # bits past n are 0
        b = simdrop.mask_to_bytes(m, 13)
        self.assertTrue(set(b.tolist()) <= {0, 1})
        self.assertTrue(np.array_equal(simdrop.mask_from_bytes(b), m))
        self.assertTrue(np.array_equal(simdrop.mask_from_bytes(b.astype(bool)), m))
        self.assertTrue(np.array_equal(simdrop.mask_from_bytes(b * 7), m))
        self.assertEqual(simdrop.mask(0, 0.5, 1).size, 0)
        self.assertTrue((simdrop.mask_to_bytes(simdrop.mask(100, 0.0, 1), 100) == 1).all())
        self.assertTrue((simdrop.mask_to_bytes(simdrop.mask(100, 1.0, 1), 100) == 0).all())
        # offset near 2^64: ending exactly at 2^64 is fine
        self.assertEqual(simdrop.mask(8, 0.5, 1, 2**64 - 8).size, 1)

    def test_statistics(self):
        for p in (0.1, 0.5, 0.9):
            k = keep(1 << 18, p, 123)
            self.assertLess(abs(1 - k.mean() - p), 0.005)
            x = np.ones(1 << 18, np.float32)
            self.assertLess(abs(simdrop.dropout(x, p, 5).mean() - 1), 0.02)


class TestBlocks(unittest.TestCase, Same):
    """block=(row0, col0, global_cols): a shard of a global tensor gets one call's bits."""

    def setUp(self):
        self.seed = int(os.environ.get("SIMDROP_TEST_SEED", "0")) or int.from_bytes(os.urandom(4), "little")
        print(f"TestBlocks seed {self.seed} (SIMDROP_TEST_SEED={self.seed} repeats it)")
        self.rng = np.random.default_rng(self.seed)

    def test_column_and_row_shards_equal_one_call(self):
        rng = self.rng
        for dtype in FLOATS:
            R, C = int(rng.integers(3, 40)), int(rng.integers(5, 300))
            g = (rng.standard_normal((R, C)) * 2).astype(dtype)
            bias = rng.standard_normal(C).astype(dtype)
            res = rng.standard_normal((R, C)).astype(dtype)
            p, seed, off = 0.3, int(rng.integers(0, 2**63)), int(rng.integers(0, 2**40))
            y, m = simdrop.dropout(g, p, seed, off, return_mask=True)
            o, om = simdrop.bias_dropout_add(g, bias, res, p, seed, off, return_mask=True)
            dx, db = simdrop.bias_dropout_add_backward_regen(g, p, seed, off)
            gbits = simdrop.mask_to_bytes(m, g.size).reshape(R, C)
            for c0, c1, r0, r1 in [(0, C // 3, 0, R), (C // 3, C - 1, 1, R - 1), (C - 1, C, 0, 1)]:
                view = g[r0:r1, c0:c1]  # strided: read in place
                blk = (r0, c0, C)
                ys, ms = simdrop.dropout(view, p, seed, off, return_mask=True, block=blk)
                self.assertSame(ys, y[r0:r1, c0:c1], f"{dtype} dropout block {blk}")
                bits = simdrop.mask_to_bytes(ms, view.size).reshape(view.shape)
                self.assertTrue((bits == gbits[r0:r1, c0:c1]).all(), f"{dtype} mask bits {blk}")
                self.assertSame(simdrop.dropout_backward(view, ms, p, block=blk), y[r0:r1, c0:c1])
                self.assertSame(simdrop.dropout_backward_regen(view, p, seed, off, block=blk),
                                y[r0:r1, c0:c1])
                os_ = simdrop.bias_dropout_add(view, bias[c0:c1], res[r0:r1, c0:c1], p, seed, off,
                                               block=blk)
                self.assertSame(os_, o[r0:r1, c0:c1], f"{dtype} bias_dropout_add block {blk}")
                dxs, dbs = simdrop.bias_dropout_add_backward_regen(view, p, seed, off, block=blk)
                self.assertSame(dxs, dx[r0:r1, c0:c1])
                dxm, _ = simdrop.bias_dropout_add_backward(view, ms, p, block=blk, dbias=False)
                self.assertSame(dxm, dx[r0:r1, c0:c1])
                if r0 == 0 and r1 == R:  # a column shard of all rows: one call's dbias
                    self.assertSame(dbs, db[c0:c1], f"{dtype} column shard dbias {blk}")

    def test_out_view_writes_the_block_only(self):
        g = np.arange(48, dtype=np.float32).reshape(6, 8) + 1
        y = simdrop.dropout(g, 0.5, 7)
        out = np.full((6, 8), -7.0, np.float32)
        simdrop.dropout(g[1:4, 2:5], 0.5, 7, out=out[1:4, 2:5], block=(1, 2, 8))
        self.assertSame(out[1:4, 2:5], y[1:4, 2:5])
        rest = out.copy()
        rest[1:4, 2:5] = -7.0
        self.assertTrue((rest == -7.0).all(), "an element outside the block was written")

    def test_granule_partials_reduce_to_one_call(self):
        rng = self.rng
        R, C, G = 37, 19, 4
        g = rng.standard_normal((R, C)).astype(np.float32)
        seed = int(rng.integers(0, 2**63))
        _, whole = simdrop.bias_dropout_add_backward_regen(g, 0.2, seed, block=(0, 0, C), granule=G)
        self.assertEqual(whole.shape, ((R + G - 1) // G, C))
        for cut in (0, 8, 20, 36):
            _, top = simdrop.bias_dropout_add_backward_regen(g[:cut], 0.2, seed, block=(0, 0, C), granule=G)
            _, bot = simdrop.bias_dropout_add_backward_regen(g[cut:], 0.2, seed, block=(cut, 0, C), granule=G)
            self.assertSame(np.concatenate([top, bot]), whole, f"cut at {cut}")
        db = simdrop.dbias_reduce(whole)
        ref = np.float32(0) + np.zeros(C, np.float32)
        for row in whole:
            ref = ref + row
        self.assertSame(db, ref, "the reduction is the running float sum of the granules in order")
        with self.assertRaises(simdrop.SizeError):  # row0 off a granule
            simdrop.bias_dropout_add_backward_regen(g[3:], 0.2, seed, block=(3, 0, C), granule=G)

    def test_bad_blocks_refused_nothing_written(self):
        x = np.ones((4, 5), np.float32)
        out = np.full((4, 5), 3.0, np.float32)
        for blk, exc in [((0, 1, 5), simdrop.SizeError), ((0, 0, 4), simdrop.SizeError),
                         ((2**62, 0, 5), simdrop.RangeError), ((0, 0), TypeError),
                         ((-1, 0, 5), ValueError)]:
            with self.assertRaises(exc, msg=str(blk)):
                simdrop.dropout(x, 0.5, 1, out=out, block=blk)
            self.assertTrue((out == 3.0).all(), f"{blk}: out was written")
        with self.assertRaises(ValueError):
            simdrop.dropout(np.ones(5, np.float32), 0.5, 1, block=(0, 0, 5))  # not 2-D
        with self.assertRaises(ValueError):  # an output whose rows are not unit-stride
            simdrop.dropout(x, 0.5, 1, out=np.empty((4, 10), np.float32)[:, ::2], block=(0, 0, 5))

    def test_site_seed(self):
        self.assertEqual(simdrop.site_seed(0, "", 0), 0xa6bbc8dcbe30928c)  # golden_values_v1.txt
        self.assertNotEqual(simdrop.site_seed(42, "a", 1), simdrop.site_seed(42, "a", 2))
        self.assertNotEqual(simdrop.site_seed(42, "a", 1), simdrop.site_seed(42, "b", 1))


class TestErrors(unittest.TestCase):
    def assertRaisesNaming(self, exc, name, fn, *a, **kw):
        with self.assertRaises(exc) as cm:
            fn(*a, **kw)
        self.assertIn(name, str(cm.exception))

    def test_bad_arguments_named_and_nothing_written(self):
        x = np.ones(16, np.float32)
        out = np.full(16, 7, np.float32)
        for p in (-0.1, 1.5, float("nan")):
            self.assertRaisesNaming(ValueError, "p", simdrop.dropout, x, p, 1, out=out)
        self.assertRaisesNaming(TypeError, "p", simdrop.dropout, x, "a", 1, out=out)
        self.assertRaisesNaming(TypeError, "x", simdrop.dropout, np.ones(4, np.int32), 0.5, 1)
        self.assertRaisesNaming(TypeError, "x", simdrop.dropout, np.ones(4, np.complex64), 0.5, 1)
        self.assertRaisesNaming(TypeError, "bfloat16", simdrop.dropout, np.ones(4, np.uint16), 0.5, 1)
        self.assertRaisesNaming(ValueError, "out", simdrop.dropout, x, 0.5, 1, out=np.empty(15, np.float32))
        self.assertRaisesNaming(TypeError, "out", simdrop.dropout, x, 0.5, 1, out=np.empty(16, np.float64))
        self.assertRaisesNaming(ValueError, "out", simdrop.dropout, x, 0.5, 1, out=np.empty(32, np.float32)[::2])
        ro = np.empty(16, np.float32)
        ro.flags.writeable = False
        self.assertRaisesNaming(ValueError, "out", simdrop.dropout, x, 0.5, 1, out=ro)
        self.assertRaisesNaming(ValueError, "seed", simdrop.dropout, x, 0.5, -1, out=out)
        self.assertRaisesNaming(ValueError, "seed", simdrop.dropout, x, 0.5, 2**64, out=out)
        self.assertRaisesNaming(TypeError, "seed", simdrop.dropout, x, 0.5, 1.5, out=out)
        self.assertRaisesNaming(ValueError, "offset", simdrop.dropout, x, 0.5, 1, 2**64 - 8, out=out)
        self.assertTrue((out == 7).all(), "an error wrote into out")
        m = simdrop.mask(16, 0.5, 1)
        self.assertRaisesNaming(ValueError, "mask", simdrop.dropout_backward, x, m[:1], 0.5, out=out)
        self.assertRaisesNaming(TypeError, "mask", simdrop.dropout_backward, x, m.astype(np.int16), 0.5)
        self.assertRaisesNaming(ValueError, "groups", simdrop.dropout_groups, x, 3, 0.5, 1, out=out)
        self.assertRaisesNaming(ValueError, "groups", simdrop.dropout_groups, x, 0, 0.5, 1, out=out)
        self.assertRaisesNaming(ValueError, "bias", simdrop.bias_dropout_add, x.reshape(4, 4), np.ones(3, np.float32), None, 0.5, 1)
        self.assertRaisesNaming(TypeError, "bias", simdrop.bias_dropout_add, x.reshape(4, 4), np.ones(4), None, 0.5, 1)
        self.assertRaisesNaming(ValueError, "residual", simdrop.bias_dropout_add, x.reshape(4, 4), None, np.ones(16, np.float32), 0.5, 1)
        self.assertRaisesNaming(TypeError, "values", simdrop.mask_from_bytes, np.ones(3, np.float32))
        self.assertTrue((out == 7).all(), "an error wrote into out")

    def test_what_only_converts_to_a_number_is_refused(self):
        # float() and __index__ accept text, bools and one-element arrays of any dimension; they
        # ran as p = 0.5 or 1, seed 1, row0 1. A real number, an int and 0-d values still work.
        x = np.ones(16, np.float32)
        out = np.full(16, 7, np.float32)
        for p in ("0.5", b"0.5", " 1e-0 ", True, np.True_, np.array([[0.5]]), np.array([0.5])):
            self.assertRaisesNaming(TypeError, "p: dropout probability must be a real number",
                                    simdrop.dropout, x, p, 1, out=out)
        for seed in (True, np.True_, np.array([1]), "1"):
            self.assertRaisesNaming(TypeError, "seed", simdrop.dropout, x, 0.5, seed, out=out)
        for field in (True, np.True_):
            self.assertRaisesNaming(TypeError, "row0", simdrop.dropout, x.reshape(4, 4), 0.5, 1,
                                    block=(field, 0, 4))
        self.assertTrue((out == 7).all(), "an error wrote into out")
        ref = simdrop.dropout(x, 0.5, 3)
        for p in (np.float32(0.5), np.float64(0.5), np.array(0.5), 0.5):
            self.assertTrue(np.array_equal(simdrop.dropout(x, p, np.uint64(3)), ref), repr(p))
        self.assertTrue(np.array_equal(simdrop.dropout(x, 1, np.array(3)), np.zeros(16, np.float32)))

    def test_dbias_reduce_copies_a_misaligned_partials(self):
        # np.ascontiguousarray kept a contiguous array at an odd address, a misaligned double *
        # in C (undefined); now it is copied like every other input.
        values = np.arange(12, dtype=np.float64).reshape(3, 4)
        buf = bytearray(values.nbytes + 1)
        mis = np.frombuffer(buf, np.float64, count=12, offset=1).reshape(3, 4)
        mis[...] = values
        seen = []
        real = simdrop._api._lib.simdrop_dbias_reduce_f64
        try:
            simdrop._api._lib.simdrop_dbias_reduce_f64 = lambda db, pp, g, c: seen.append(pp) or real(db, pp, g, c)
            db = simdrop.dbias_reduce(mis)
        finally:
            simdrop._api._lib.simdrop_dbias_reduce_f64 = real
        self.assertEqual([a % 8 for a in seen], [0])
        self.assertTrue(np.array_equal(db, values.sum(axis=0)))

    def test_settings_and_codes_out_of_range(self):
        with self.assertRaises(ValueError) as cm:
            simdrop.set_num_threads(2**31)
        self.assertIn("between 1 and 2^31 - 1", str(cm.exception))
        for status in (2**31, -2**31 - 1, 2**32 - 2, 2**40):  # ctypes wrapped them onto -2, 0
            self.assertRaisesNaming(ValueError, "status", simdrop.strerror, status)
        self.assertEqual(simdrop.strerror(-2**31), simdrop.strerror(-1000))  # both unknown codes

    def test_out_of_another_shape_is_refused(self):
        # as numpy's ufuncs refuse it (np.negative(x, out=...) needs the result's shape): an out=
        # of the right size but another shape would give the result in out's shape
        x = np.ones((4, 6), np.float32)
        m = simdrop.mask(24, 0.5, 1)
        calls = {
            "dropout": lambda out: simdrop.dropout(x, 0.5, 1, out=out),
            "dropout_backward": lambda out: simdrop.dropout_backward(x, m, 0.5, out=out),
            "dropout_backward_regen": lambda out: simdrop.dropout_backward_regen(x, 0.5, 1, out=out),
            "dropout_groups": lambda out: simdrop.dropout_groups(x, 4, 0.5, 1, out=out),
            "alpha_dropout": lambda out: simdrop.alpha_dropout(x, 0.5, 1, out=out),
            "unscaled_dropout": lambda out: simdrop.unscaled_dropout(x, 0.5, 1, out=out, groups=4),
            "unscaled_dropout_backward": lambda out: simdrop.unscaled_dropout_backward(x, m, out=out),
            "bias_dropout_add": lambda out: simdrop.bias_dropout_add(x, None, None, 0.5, 1, out=out),
            "bias_dropout_add_backward": lambda out: simdrop.bias_dropout_add_backward(x, m, 0.5, out=out),
        }
        for name, call in calls.items():
            for shape in ((24,), (6, 4), (2, 3, 4), (1, 4, 6)):
                out = np.full(shape, 7, np.float32)
                with self.assertRaises(ValueError, msg=f"{name} out={shape}") as cm:
                    call(out)
                self.assertIn("out", str(cm.exception))
                self.assertIn(f"shape {shape}", str(cm.exception))
                self.assertTrue((out == 7).all(), f"{name}: an error wrote into out")
            out = np.full((4, 6), 7, np.float32)
            r = call(out)
            self.assertIs(r[0] if isinstance(r, tuple) else r, out, name)
        flat = np.ones(24, np.float32)  # and the other way round
        self.assertRaisesNaming(ValueError, "out", simdrop.dropout, flat, 0.5, 1, out=np.empty((4, 6), np.float32))

    def test_c_status_becomes_exception(self):
        big = np.zeros(64, np.float32)
        with self.assertRaises(simdrop.OverlapError) as cm:  # out partially overlaps x
            simdrop.dropout(big[:32], 0.5, 1, out=big[16:48])
        self.assertIsInstance(cm.exception, ValueError)
        self.assertEqual(cm.exception.status, -5)
        self.assertIn("overlap", str(cm.exception))
        self.assertIn("simdrop_forward_f32", str(cm.exception))
        # the library's own account of the call (simdrop_last_error), not the code's static text
        self.assertRegex(str(cm.exception), r"^simdrop_forward_f32: y \[0x[0-9a-f]+, \+128 bytes\) "
                         r"and x \[0x[0-9a-f]+, \+128 bytes\) overlap: .* \(SIMDROP_EOVERLAP\)$")
        with self.assertRaises(simdrop.SizeError) as cm:
            simdrop.dropout(np.ones((4, 8), np.float32), 0.5, 1, block=(0, 4, 8))
        self.assertEqual(str(cm.exception), "simdrop_forward_block_f32: col0 + cols = 4 + 8 exceeds "
                         "global_cols = 8: the block leaves the global rows (SIMDROP_ESIZE)")
        # a status without a fresh account of it keeps the static text
        self.assertEqual(str(simdrop.SizeError(-4, "simdrop_forward_f64")),
                         "simdrop_forward_f64: " + simdrop.strerror(-4))
        with self.assertRaises(simdrop.IsaUnknownError):
            simdrop.set_isa("no-such-path")
        self.assertEqual(simdrop.strerror(-2), "p is NaN or outside [0, 1]")
        for code, cls in ((-1, simdrop.NullPointerError), (-2, simdrop.ProbabilityError),
                          (-3, simdrop.RangeError), (-4, simdrop.SizeError)):
            self.assertTrue(issubclass(cls, ValueError) and issubclass(cls, simdrop.SimdropError), code)
        self.assertRaises(ValueError, simdrop.set_num_threads, 0)

    def test_broken_engine_pool_raises_parallel_error(self):
        # SIMDROP_EPARALLEL: an engine's pool (simdrop_set_parallel) that runs none of the tasks
        # of a call split in two (2 threads, 8 MiB moved: tasks of at least 2 MiB)
        from simdrop import _lib

        @_lib.simdrop_parallel_fn
        def run_nothing(ctx, ntasks, task, arg):
            pass
        x = np.ones(1 << 20, np.float32)
        threads = simdrop.get_num_threads()
        self.assertEqual(_lib.simdrop_set_parallel(run_nothing, None), 0)
        try:
            simdrop.set_num_threads(2)
            with self.assertRaises(simdrop.ParallelError) as cm:
                simdrop.dropout(x, 0.5, 1)
        finally:
            self.assertEqual(_lib.simdrop_set_parallel(_lib.simdrop_parallel_fn(), None), 0)
            simdrop.set_num_threads(threads)
        self.assertIsInstance(cm.exception, RuntimeError)
        self.assertEqual(cm.exception.status, -10)
        self.assertIn("simdrop_forward_f32", str(cm.exception))
        self.assertIn("the engine's thread pool did not run every task exactly once",
                      str(cm.exception))
        simdrop.set_num_threads(2)  # the built-in pool again: every task runs
        try:
            y = simdrop.dropout(x, 0.5, 1)
        finally:
            simdrop.set_num_threads(threads)
        self.assertTrue(np.array_equal(y, np.where(keep(x.size, 0.5, 1), np.float32(2), np.float32(0))))


class TestAlignmentAndNames(unittest.TestCase, Same):
    def test_misaligned_arrays_copied_in_refused_as_out(self):
        # issue 20: an array at an odd byte offset into a buffer reached C as it was (undefined
        # for a double in C). Inputs are copied, as non-contiguous ones are; an out= that is not
        # aligned is refused, nothing written.
        def misaligned(values):
            buf = bytearray(values.nbytes + values.itemsize)
            a = np.frombuffer(buf, values.dtype, count=values.size, offset=1).reshape(values.shape)
            a[...] = values
            self.assertFalse(a.flags.aligned)
            return a
        rng = np.random.default_rng(11)
        for dt in FLOATS:
            x = special(48, dt, rng).reshape(6, 8)
            y, m = simdrop.dropout(x, 0.3, 5, return_mask=True)
            calls = {
                "dropout": lambda a: simdrop.dropout(a, 0.3, 5),
                "dropout_backward": lambda a: simdrop.dropout_backward(a, m, 0.3),
                "dropout_backward_regen": lambda a: simdrop.dropout_backward_regen(a, 0.3, 5),
                "dropout_groups": lambda a: simdrop.dropout_groups(a, 6, 0.3, 5),
                "alpha_dropout": lambda a: simdrop.alpha_dropout(a, 0.3, 5),
                "unscaled_dropout": lambda a: simdrop.unscaled_dropout(a, 0.3, 5, groups=6),
                "unscaled_dropout_backward_regen":
                    lambda a: simdrop.unscaled_dropout_backward_regen(a, 0.3, 5, groups=6),
                "bias_dropout_add": lambda a: simdrop.bias_dropout_add(a, a[0], a, 0.3, 5),
                "bias_dropout_add_backward": lambda a: simdrop.bias_dropout_add_backward(a, m, 0.3)[0],
            }
            for name, call in calls.items():
                mis = misaligned(x)
                self.assertSame(call(mis), call(x), f"{name} {dt.__name__}")
                self.assertSame(mis, x, f"{name} {dt.__name__}: the input was written")
            out = misaligned(np.full(x.shape, 7, dt))
            with self.assertRaises(ValueError) as cm:
                simdrop.dropout(x, 0.3, 5, out=out)
            self.assertIn("out: is not aligned for", str(cm.exception))
            self.assertTrue((out == 7).all(), "an error wrote into out")
            mis = misaligned(x)
            self.assertRaises(ValueError, simdrop.dropout, mis, 0.3, 5, out=mis)  # in place
            self.assertSame(mis, x)

    def test_isa_names_with_a_nul_are_refused(self):
        # issue 20: the C string ended at the NUL, so "avx2\x00junk" selected avx2
        for fn in (simdrop.set_isa, simdrop.isa_supported):
            for name in ("scalar\x00junk", "\x00", "auto\x00"):
                with self.assertRaises(simdrop.IsaUnknownError, msg=repr(name)) as cm:
                    fn(name)
                self.assertIsInstance(cm.exception, ValueError)
                self.assertIn("NUL character", str(cm.exception))
        before = simdrop.isa()
        self.assertRaises(simdrop.IsaUnknownError, simdrop.set_isa, "scalar\x00")
        self.assertEqual(simdrop.isa(), before)  # the path did not change


class TestLibraryAndSettings(unittest.TestCase):
    def test_settings(self):
        self.assertEqual(simdrop.version(), "1.2.0")
        self.assertEqual(simdrop.MASK_SPEC_VERSION, 1)
        paths = simdrop.isa_list()
        self.assertIn("scalar", paths)
        self.assertTrue(simdrop.isa_supported("scalar"))
        self.assertIn(simdrop.isa(), paths)
        x = np.random.default_rng(7).standard_normal(5000).astype(np.float32)
        ref = simdrop.dropout(x, 0.3, 4)
        try:
            for path in paths:
                if simdrop.isa_supported(path):
                    simdrop.set_isa(path)
                    self.assertTrue(np.array_equal(simdrop.dropout(x, 0.3, 4), ref), path)
            simdrop.set_num_threads(2)
            self.assertEqual(simdrop.get_num_threads(), 2)
            big = np.ones(1 << 20, np.float32)
            simdrop.set_num_threads(1)
            one = simdrop.dropout(big, 0.5, 2)
            simdrop.set_num_threads(2)
            self.assertTrue(np.array_equal(simdrop.dropout(big, 0.5, 2), one))
        finally:
            simdrop.set_isa("auto")
            simdrop.set_num_threads(1)

    def _python(self, code, env):
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    def test_env_var_names_the_place(self):
        env = dict(os.environ, SIMDROP_LIBRARY="/nonexistent/libsimdrop.so")
        r = self._python("import simdrop", env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/libsimdrop.so", r.stderr)
        self.assertIn("SIMDROP_LIBRARY", r.stderr)

    def test_search_lists_every_place(self):
        env = dict(os.environ)
        env.pop("SIMDROP_LIBRARY", None)
        env["LD_LIBRARY_PATH"] = ""
        r = self._python("import simdrop", env)
        if r.returncode == 0:
            self.skipTest("a simdrop library is installed system-wide")
        self.assertIn("next to the package", r.stderr)
        self.assertIn("dynamic loader", r.stderr)

    def test_every_header_function_is_declared(self):
        # _lib.py declares every SIMDROP_API function of include/simdrop.h (four were missing)
        import re
        from simdrop import _lib
        header = os.path.join(os.path.dirname(__file__), "..", "..", "include", "simdrop.h")
        if not os.path.exists(header):
            self.skipTest("no include/simdrop.h beside this test (an installed package)")
        with open(header) as f:
            names = re.findall(r"SIMDROP_API[^;(]*?\b(simdrop_\w+)\(", f.read())
        self.assertGreater(len(names), 100)
        self.assertEqual([n for n in names if not callable(getattr(_lib, n, None))], [])
        self.assertEqual(_lib.simdrop_version_number(), 10200)
        t = _lib.simdrop_threading()
        self.assertEqual(_lib.simdrop_get_local_threading(t), 0)  # the process-wide settings
        self.assertEqual(t.num_threads, simdrop.get_num_threads())

    def test_nhwc_functions_name_themselves_without_numpy(self):
        code = ("import sys; sys.modules['numpy'] = None\nimport simdrop\n"
                "for f in ('dropout_groups_nhwc', 'dropout_groups_nhwc_backward',"
                " 'dropout_groups_nhwc_backward_regen'):\n"
                "    try:\n        getattr(simdrop, f)([1.0], *([None] * 5))\n"
                "    except ImportError as e:\n        print(f, '->', str(e).split()[0])\n")
        r = self._python(code, dict(os.environ))
        self.assertEqual(r.returncode, 0, r.stderr)
        for f in ("dropout_groups_nhwc", "dropout_groups_nhwc_backward", "dropout_groups_nhwc_backward_regen"):
            self.assertIn(f"{f} -> simdrop.{f}\n", r.stdout)

    def test_imports_without_numpy_and_torch(self):
        code = ("import sys; sys.modules['numpy'] = None; sys.modules['torch'] = None\n"
                "import simdrop\n"
                "print(simdrop.version(), simdrop.isa())\n"
                "try:\n    simdrop.dropout([1.0], 0.5, 1)\nexcept ImportError as e:\n    print('ImportError', e)\n")
        r = self._python(code, dict(os.environ))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1.2.0", r.stdout)
        self.assertIn("needs numpy", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
