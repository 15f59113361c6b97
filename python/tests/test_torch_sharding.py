"""simdrop.torch's layout-independent masks in one process: site seeds (sdt.site_seeds,
name_sites, the site= keyword), blocks (set_block, block=, sdt.samples) against one call over the
global tensor, recomputation, DTensor (PyTorch 2.x; skipped on 1.13), and every refusal.
(The same under torch.distributed, over whole training runs: test_torch_distributed.py.)

Random shapes and blocks print their seed; SIMDROP_TEST_SEED=<seed> replays them.
Exits 77 (meson's "skipped") when torch is not installed."""
import copy
import os
import pickle
import random
import unittest

from _testenv import require

require('torch')
import torch  # noqa: E402
import torch.utils.checkpoint  # noqa: E402

import simdrop  # noqa: E402
import simdrop.torch as sdt  # noqa: E402
from simdrop.torch import functional as F  # noqa: E402

SEED = int(os.environ.get("SIMDROP_TEST_SEED", random.SystemRandom().randrange(1 << 31)))
print(f"SIMDROP_TEST_SEED={SEED}")
U64 = (1 << 64) - 1


def splitmix64(x):
    """(state, output): one splitmix64 step (docs/MASK_SPEC.md 2.1), written out again here."""
    x = (x + 0x9e3779b97f4a7c15) & U64
    z = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & U64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & U64
    return x, z ^ (z >> 31)


class TestSiteSeed(unittest.TestCase):
    def test_the_documented_rule(self):
        # site_key: FNV-1a 64 of the UTF-8 bytes; its published test values
        self.assertEqual(sdt.site_key(""), 0xcbf29ce484222325)
        self.assertEqual(sdt.site_key("a"), 0xaf63dc4c8601ec8c)
        self.assertEqual(sdt.site_key("foobar"), 0x85944171f73967e8)
        for base, name, step in ((0, "", 0), (7, "layers.3.mlp.dropout", 12), (U64, "ü", U64)):
            _, x = splitmix64(base)
            _, x = splitmix64(x ^ sdt.site_key(name))
            _, x = splitmix64((x + step) & U64)
            self.assertEqual(sdt.site_seed(base, name, step), x)
            self.assertEqual(sdt.site_seed(base, sdt.site_key(name), step), x)

    def test_the_c_functions(self):
        lib = simdrop._lib
        for base, name, step in ((0, "", 0), (7, "layers.3.mlp.dropout", 12), (U64, "x", U64)):
            key = lib.simdrop_site_key(name.encode())
            self.assertEqual(key, sdt.site_key(name))
            self.assertEqual(lib.simdrop_site_seed(base, key, step), sdt.site_seed(base, name, step))

    def test_distinct_sites_and_steps(self):
        names = [f"layers.{i}.{s}" for i in range(20) for s in ("attn.drop", "mlp.drop", "drop")]
        seeds = {sdt.site_seed(5, n, step) for n in names for step in range(50)}
        self.assertEqual(len(seeds), len(names) * 50)

    def test_bad_arguments(self):
        for bad in (-1, 1 << 64):
            with self.assertRaises(ValueError):
                sdt.site_seed(bad, "a", 0)
            with self.assertRaises(ValueError):
                sdt.site_seed(0, "a", bad)
        for bad in (1.5, True, None):
            with self.assertRaises(TypeError):
                sdt.site_seed(0, "a", bad)
        with self.assertRaises(TypeError):
            sdt.site_key(b"a")
        with self.assertRaisesRegex(ValueError, "NUL"):
            sdt.site_key("a\0b")


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(6, 12), sdt.Dropout(0.4), torch.nn.Linear(12, 12),
                               sdt.Dropout(0.4), torch.nn.Linear(12, 3))


class TestSiteSeeds(unittest.TestCase):
    def test_the_mask_is_keep_mask_of_the_site_seed(self):
        x = torch.randn(5, 7)
        for fn, n in ((F.dropout, 35), (F.dropout1d, 5), (F.alpha_dropout, 35)):
            with sdt.site_seeds(11, 4):
                y = fn(x, 0.3, True, site="s")
            mask = sdt.keep_mask(n, 0.3, sdt.site_seed(11, "s", 4))
            if fn is F.dropout1d:
                mask = mask.reshape(5, 1).expand(5, 7)
            elif fn is F.dropout:
                mask = mask.reshape(5, 7)
            if fn is F.alpha_dropout:
                self.assertTrue(torch.equal(y == y[~mask.reshape(5, 7)][0], ~mask.reshape(5, 7)))
            else:
                self.assertTrue(torch.equal(y != 0, mask))

    def test_no_generator_and_no_call_order(self):
        x = torch.randn(4, 6)
        a, b = mlp(), mlp()
        b.load_state_dict(a.state_dict())
        torch.manual_seed(1)
        with sdt.site_seeds(3, 9, model=a):
            ya = a(x)
        torch.manual_seed(2)
        torch.rand(5)  # another generator state: nothing changes
        with sdt.site_seeds(3, 9, model=b):
            yb = b(x)
        self.assertTrue(torch.equal(ya, yb))
        self.assertEqual((a[1].site, a[3].site), ("1", "3"))
        # the order sites run in: b's two sites swapped in time give the same masks per site
        z = torch.randn(4, 12)
        with sdt.site_seeds(3, 9):
            first = (a[1](z), a[3](z))
            second = (b[3](z), b[1](z))
        self.assertTrue(torch.equal(first[0], second[1]) and torch.equal(first[1], second[0]))
        self.assertFalse(torch.equal(first[0], first[1]))  # two sites, two masks
        with sdt.site_seeds(3, 10):
            self.assertFalse(torch.equal(a[1](z), first[0]))  # another step, another mask

    def test_element_and_channel_sites_do_not_share(self):
        x = torch.ones(64, 64, 1, 1)
        m = torch.nn.Sequential(sdt.Dropout(0.5), sdt.Dropout2d(0.5))
        with sdt.site_seeds(7, 0, model=m):
            e = m[0](x).flatten() != 0
            c = m[1](x).flatten() != 0
        self.assertFalse(torch.equal(e, c))
        # the same (seed, offset) would give the same bits: that is what distinct sites prevent
        with sdt.site_seeds(7, 0):
            c_as_e = F.dropout2d(x, 0.5, site="0").flatten() != 0
        self.assertTrue(torch.equal(e, c_as_e))

    def test_recomputation_gets_the_same_mask(self):
        x = torch.randn(6, 6)
        net = mlp()
        sdt.name_sites(net)
        grads = []
        for checkpoint in (False, True):
            net.zero_grad()
            xx = x.clone().requires_grad_()
            with sdt.site_seeds(1, 2):
                if checkpoint:
                    y = torch.utils.checkpoint.checkpoint(net, xx, preserve_rng_state=False)
                else:
                    y = net(xx)
                y.square().sum().backward()
            grads.append((y.detach(), xx.grad, [p.grad.clone() for p in net.parameters()]))
        (y0, g0, p0), (y1, g1, p1) = grads
        self.assertTrue(torch.equal(y0, y1) and torch.equal(g0, g1))
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(p0, p1)))
        # torch's own dropout, recomputed without its generator state, gets another mask
        ref = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Dropout(0.4), torch.nn.Linear(12, 3))
        plain = x.clone().requires_grad_()
        torch.manual_seed(0)
        out = ref(plain)
        out.sum().backward()
        xx2 = x.clone().requires_grad_()
        torch.manual_seed(0)
        torch.utils.checkpoint.checkpoint(ref, xx2, preserve_rng_state=False).sum().backward()
        self.assertFalse(torch.equal(plain.grad, xx2.grad))

    def test_sites_survive_pickling_and_are_kept(self):
        m = mlp()
        m[1].site = "mine"
        sdt.name_sites(m, prefix="net")
        self.assertEqual((m[1].site, m[3].site), ("mine", "net.3"))
        m[3].set_block(features=(4, 24))
        for copied in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
            self.assertEqual((copied[1].site, copied[3].site), ("mine", "net.3"))
            self.assertEqual(copied[3].block, {-1: (4, 24)})
        m[3].site = None
        m[3].block = None
        self.assertIsNone(m[3].site)
        self.assertIsNone(m[3].block)
        self.assertIn("Dropout(p=0.4", repr(m[3]))
        torch.jit.script(m)  # the modules still compile (site and block are eager-only)

    def test_refusals(self):
        x = torch.randn(3, 4)
        with sdt.site_seeds(1, 1):
            with self.assertRaisesRegex(RuntimeError, "needs its site"):
                F.dropout(x, 0.5)
            with self.assertRaisesRegex(RuntimeError, "needs its site"):
                sdt.Dropout(0.5)(x)
            with self.assertRaisesRegex(RuntimeError, "generator= and site_seeds"):
                F.dropout(x, 0.5, site="a", generator=torch.Generator())
            with self.assertRaisesRegex(RuntimeError, "eager calls"):
                torch.jit.trace(lambda t: F.dropout(t, 0.5, site="a"), x)
            self.assertIs(F.dropout(x, 0.5, False), x)  # eval and p == 0 need no site
            self.assertIs(F.dropout(x, 0.0), x)
        with self.assertRaisesRegex(TypeError, "site"):
            sdt.Dropout(0.5).site = 3
        with self.assertRaises(ValueError):
            sdt.site_seeds(-1, 0)
        with self.assertRaisesRegex(ValueError, "start 5 is past"):
            sdt.samples(5, 4)

    def test_scripted_and_recorded_graphs_are_refused_in_the_mode(self):
        # A scripted module (and a graph recorded outside the mode) reaches the operators'
        # kernels directly: they drew from the generator inside site_seeds() and samples(),
        # a mask that depends on the layout, with no error.
        x = torch.randn(4, 6)
        scripted = torch.jit.script(sdt.name_sites(mlp()))
        traced = torch.jit.trace(lambda t: F.dropout(t, 0.5), x)
        for mode in (lambda: sdt.site_seeds(1, 1), lambda: sdt.samples(0, 8)):
            with mode():
                with self.assertRaisesRegex(RuntimeError, "apply to eager calls"):
                    torch.ops.simdrop.bias_dropout_add(x, None, None, 0.5, True)
                for graph in (scripted, traced):
                    with self.assertRaises(RuntimeError):  # (PyTorch 1.13's interpreter drops its text)
                        graph(x)
        self.assertEqual(scripted(x).shape, (4, 3))  # outside the mode they run

    def test_a_context_object_entered_again_or_by_two_threads(self):
        # what a context replaced was kept on the object: entered inside itself, the outer exit
        # restored the inner's value (the mode stayed on); shared by two threads, one thread
        # restored the other's
        import threading
        ctx = sdt.samples(4, 8)
        with ctx:
            with ctx:
                pass
            self.assertEqual(sdt._sharding.active_samples(), (4, 8))
        self.assertIsNone(sdt._sharding.active_samples())
        self.assertEqual(sdt._sharding.ACTIVE[0], 0)
        shared, inside, after = sdt.samples(0, 100), threading.Barrier(2), {}

        def run(name, outer):
            with sdt.samples(*outer):
                with shared:
                    inside.wait()
                after[name] = sdt._sharding.active_samples()
        threads = [threading.Thread(target=run, args=(n, o)) for n, o in (("a", (1, 9)), ("b", (2, 9)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(after, {"a": (1, 9), "b": (2, 9)})
        self.assertEqual(sdt._sharding.ACTIVE[0], 0)

    def test_wrappers_leave_the_sites_unchanged(self):
        # DistributedDataParallel and DataParallel prefix every name with "module.", FSDP and
        # checkpoint_wrapper add their inner attribute: the sites, so the masks, changed with them
        bare = sdt.name_sites(mlp())
        wrapped = sdt.name_sites(torch.nn.DataParallel(mlp()))
        self.assertEqual([m.site for m in bare.modules() if isinstance(m, sdt.Dropout)], ["1", "3"])
        self.assertEqual([m.site for m in wrapped.module.modules() if isinstance(m, sdt.Dropout)], ["1", "3"])
        inner = torch.nn.Module()
        inner._checkpoint_wrapped_module = sdt.Dropout(0.5)
        outer = torch.nn.Sequential(inner)
        self.assertEqual(sdt.name_sites(outer, "net")[0]._checkpoint_wrapped_module.site, "net.0")

    def test_a_site_outside_the_mode_on_another_thread_warns(self):
        # the mode is per thread: a call with a site on another thread (autograd's, or a
        # checkpoint's recomputation after the block) draws from the generator, now not silently
        import threading
        x, caught = torch.randn(8), []

        def other():
            import warnings
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                F.dropout(x, 0.5, site="a")
            caught.extend(str(m.message) for m in w)
        with sdt.site_seeds(1, 1):
            t = threading.Thread(target=other)
            t.start()
            t.join()
        self.assertEqual(len([m for m in caught if "runs on a thread outside site_seeds()" in m]), 1, caught)
        # another thread inside samples() alone draws from the generator as this one does: no
        # seed comes from a site anywhere, so nothing to warn about
        del caught[:]
        with sdt.samples(0, 16):
            t = threading.Thread(target=other)
            t.start()
            t.join()
        self.assertFalse([m for m in caught if "outside site_seeds()" in m], caught)
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            F.dropout(x, 0.5, site="a")  # nothing open anywhere: the plain call, no warning
        self.assertFalse([m for m in w if "outside site_seeds" in str(m.message)])

    def test_the_mode_is_per_thread_and_nests(self):
        import threading
        x = torch.randn(8)
        with sdt.site_seeds(1, 1):
            with sdt.site_seeds(2, 2):
                inner = F.dropout(x, 0.5, site="a")
            outer = F.dropout(x, 0.5, site="a")
            seen = []
            t = threading.Thread(target=lambda: seen.append(F.dropout(x, 0.5)))  # no mode there
            t.start()
            t.join()
        self.assertEqual(len(seen), 1)
        self.assertTrue(torch.equal(inner != 0, sdt.keep_mask(8, 0.5, sdt.site_seed(2, "a", 2))))
        self.assertTrue(torch.equal(outer != 0, sdt.keep_mask(8, 0.5, sdt.site_seed(1, "a", 1))))
        self.assertEqual(sdt._sharding.ACTIVE[0], 0)


def random_box(rng, shape, cut_dims):
    """(index, block): a random sub-box of a tensor of `shape` cutting only cut_dims."""
    index, block = [], {}
    for d, n in enumerate(shape):
        if d in cut_dims and rng.random() < 0.7:
            a = rng.randrange(n)
            b = rng.randrange(a + 1, n + 1)
            index.append(slice(a, b))
            block[d] = (a, n)
        else:
            index.append(slice(None))
    return tuple(index), block


def drop_path_unscaled(x, p, training, *, site=None, block=None):
    """drop_path(scale_by_keep=False): the unscaled kernels, drop_path's blocks."""
    return F.drop_path(x, p, training, False, site=site, block=block)


class TestBlocks(unittest.TestCase):
    FORMS = [  # (function, decision dims, input rank)
        (F.dropout, None, 4), (F.alpha_dropout, None, 3), (F.dropout1d, 2, 3), (F.dropout2d, 2, 4),
        (F.dropout3d, 2, 5), (F.feature_alpha_dropout, 2, 4), (F.drop_path, 1, 3),
        (drop_path_unscaled, 1, 3)]

    def test_random_blocks_equal_the_global_call(self):
        rng = random.Random(SEED)
        for trial in range(60):
            fn, ddims, rank = self.FORMS[trial % len(self.FORMS)]
            shape = tuple(rng.randrange(1, 6) for _ in range(rank))
            ddims = rank if ddims is None else ddims
            dtype = rng.choice([torch.float32, torch.float64, torch.bfloat16, torch.float16])
            x = torch.randn(shape).to(dtype)
            p = rng.choice([0.2, 0.5, 0.9])
            with sdt.site_seeds(SEED, trial):
                full = fn(x, p, True, site="f")
                index, block = random_box(rng, shape, range(ddims))
                part = x[index].clone().requires_grad_()
                y = fn(part, p, True, site="f", block=block)
                y.backward(torch.ones_like(y))
            msg = f"{fn.__name__} shape {shape} block {block} seed {SEED}"
            self.assertTrue(torch.equal(y.detach(), full[index]), msg)
            if fn in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.drop_path, drop_path_unscaled):
                self.assertTrue(torch.equal(part.grad != 0, full[index] != 0) or
                                bool((x[index] == 0).any()), msg)

    def test_samples_and_set_block_make_shards_of_one_call(self):
        x = torch.randn(8, 3, 5, 6)
        m = sdt.Dropout(0.5)
        m.site = "d"
        with sdt.site_seeds(0, 0):
            full = m(x)
            out = torch.empty_like(x)
            for b0 in range(0, 8, 3):  # microbatches of 3, 3, 2
                for c0 in (0, 2, 4):  # feature shards of 2 columns
                    m.set_block(features=(c0, 6))
                    with sdt.samples(b0, 8):
                        out[b0:b0 + 3, ..., c0:c0 + 2] = m(x[b0:b0 + 3, ..., c0:c0 + 2])
            m.set_block()
            self.assertIsNone(m.block)
        self.assertTrue(torch.equal(out, full))
        # heads: a block of dimension 1
        m.set_block(dims={1: (1, 3)})
        with sdt.site_seeds(0, 0):
            self.assertTrue(torch.equal(m(x[:, 1:3]), full[:, 1:3]))

    def test_generator_seeds_take_blocks_too(self):
        x = torch.randn(6, 10)
        g = torch.Generator().manual_seed(5)
        full = F.dropout(x, 0.5, generator=g)
        g.manual_seed(5)
        part = F.dropout(x[:, 3:7].contiguous(), 0.5, generator=g, block={1: (3, 10)})
        self.assertTrue(torch.equal(part, full[:, 3:7]))

    def test_inplace_and_layouts(self):
        x = torch.randn(4, 6)
        with sdt.site_seeds(1, 1):
            full = F.dropout(x, 0.5, site="a")
            part = x[:, 2:5].clone()
            out = F.dropout(part, 0.5, True, True, site="a", block={1: (2, 6)})
            self.assertIs(out, part)
            self.assertTrue(torch.equal(part, full[:, 2:5]))
            view = x.t()[2:5].t()  # a non-contiguous block: read through a copy
            self.assertTrue(torch.equal(F.dropout(view, 0.5, site="a", block={1: (2, 6)}), full[:, 2:5]))
            out = F.dropout(view, 0.5, True, True, site="a", block={1: (2, 6)})  # computed aside
            self.assertIs(out, view)
            self.assertTrue(torch.equal(view, full[:, 2:5]))
            self.assertTrue(torch.equal(x[:, 2:5], full[:, 2:5]))

    def test_whole_tensor_in_another_layout_decides_as_its_blocks(self):
        # A rank holding the whole tensor in channels_last (or any permuted) memory gets the
        # row-major decisions that ranks holding parts of it get (the plain route would run
        # them in memory order): with samples(), a block naming all of it, or neither.
        x = torch.randn(8, 3, 4, 5)
        for layout in (x.contiguous(memory_format=torch.channels_last), x.permute(3, 1, 0, 2).contiguous().permute(2, 1, 3, 0)):
            self.assertFalse(layout.is_contiguous())
            for fn in (F.dropout, F.alpha_dropout):
                with sdt.site_seeds(1234, 0):
                    want = fn(x, 0.5, True, site="act")
                    halves = []
                    for first in (0, 4):
                        with sdt.samples(first, 8):
                            halves.append(fn(layout[first:first + 4], 0.5, True, site="act"))
                    self.assertTrue(torch.equal(torch.cat(halves), want))
                    with sdt.samples(0, 8):
                        self.assertTrue(torch.equal(fn(layout, 0.5, True, site="act"), want))
                    self.assertTrue(torch.equal(fn(layout, 0.5, True, site="act", block={0: (0, 8)}), want))
                    self.assertTrue(torch.equal(fn(layout, 0.5, True, site="act"), want))
                    inplace = layout.clone(memory_format=torch.preserve_format)
                    self.assertIs(fn(inplace, 0.5, True, True, site="act"), inplace)
                    self.assertTrue(torch.equal(inplace, want))

    def test_bias_dropout_add_on_a_block(self):
        for dtype in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
            x = torch.randn(8, 3, 12).to(dtype)
            bias, res = torch.randn(12).to(dtype), torch.randn(8, 3, 12).to(dtype)
            g = torch.randn(8, 3, 12).to(dtype)
            args = [t.clone().requires_grad_() for t in (x, bias, res)]
            with sdt.site_seeds(9, 1):
                full = F.bias_dropout_add(*args, 0.3, site="f")
                full.backward(g)
                for c0 in (0, 4, 8):  # column shards, every row: output, dx and dbias bit for bit
                    part = [x[..., c0:c0 + 4].contiguous().requires_grad_(),
                            bias[c0:c0 + 4].clone().requires_grad_(),
                            res[..., c0:c0 + 4].contiguous().requires_grad_()]
                    y = F.bias_dropout_add(*part, 0.3, site="f", block={-1: (c0, 12)})
                    y.backward(g[..., c0:c0 + 4].contiguous())
                    self.assertTrue(torch.equal(y, full[..., c0:c0 + 4]), dtype)
                    self.assertTrue(torch.equal(part[0].grad, args[0].grad[..., c0:c0 + 4]), dtype)
                    self.assertTrue(torch.equal(part[1].grad, args[1].grad[c0:c0 + 4]), dtype)
                    self.assertTrue(torch.equal(part[2].grad, args[2].grad[..., c0:c0 + 4]), dtype)
                with sdt.samples(4, 8):  # a microbatch: the output and dx of its rows
                    xs = x[4:].clone().requires_grad_()
                    y = F.bias_dropout_add(xs, bias, res[4:], 0.3, site="f")
                    y.backward(g[4:])
                self.assertTrue(torch.equal(y, full[4:]), dtype)
                self.assertTrue(torch.equal(xs.grad, args[0].grad[4:]), dtype)
                no_res = F.bias_dropout_add(x, bias, None, 0.3, site="f")
                m = sdt.BiasDropoutAdd(0.3)  # the module, told its columns
                m.site = "f"
                m.set_block(features=(4, 12))
                self.assertTrue(torch.equal(m(x[..., 4:8].contiguous(), bias[4:8], None), no_res[..., 4:8]))

    def test_double_backward(self):
        x = torch.randn(3, 8, dtype=torch.float64, requires_grad=True)
        with sdt.site_seeds(2, 3):
            def fn(t):
                return F.dropout(t[:, 2:6], 0.3, site="g", block={1: (2, 8)})
            torch.autograd.gradcheck(fn, (x,))
            torch.autograd.gradgradcheck(fn, (x,))

    def test_refusals(self):
        x = torch.randn(4, 6, 5)
        with self.assertRaisesRegex(ValueError, "does not hold"):
            F.dropout(x, 0.5, block={1: (2, 7)})
        with self.assertRaisesRegex(ValueError, "not a dimension"):
            F.dropout(x, 0.5, block={3: (0, 6)})
        with self.assertRaisesRegex(ValueError, "inside a keep decision"):
            F.dropout1d(x, 0.5, block={2: (0, 9)})
        with self.assertRaisesRegex(ValueError, "inside a keep decision"):
            F.drop_path(x, 0.5, True, block={1: (0, 9)})
        with self.assertRaisesRegex(ValueError, "needs the global size"):
            F.dropout(x, 0.5, block={1: (2, None)})
        with self.assertRaisesRegex(TypeError, "must be a dict"):
            F.dropout(x, 0.5, block=[(0, 4)])
        with self.assertRaisesRegex(TypeError, r"\(start, global_size\)"):
            F.dropout(x, 0.5, block={0: 3})
        with self.assertRaisesRegex(ValueError, "exceeds 2\\^64"):
            F.dropout(x, 0.5, block={0: ((1 << 62), (1 << 62) + 4)})
        with sdt.samples(4):
            with self.assertRaisesRegex(ValueError, "given twice"):
                F.dropout(x, 0.5, block={0: (0, 8)})
            with self.assertRaisesRegex(NotImplementedError, "first and the last dimension"):
                F.bias_dropout_add(x, None, None, 0.5, block={1: (0, 7)})
            with self.assertRaisesRegex(ValueError, "batch dimension"):
                F.dropout1d(torch.randn(3, 4), 0.5)
        with self.assertRaisesRegex(ValueError, "given twice"):
            sdt.Dropout().set_block(features=(0, 4), dims={-1: (0, 4)})


def _dtensor_worker(rank, out_dir):
    """One of two ranks: every placement of a 1-D mesh, an uneven shard, the gradient."""
    import traceback
    import torch.distributed as dist
    try:
        import importlib
        for name in ("torch.distributed.tensor", "torch.distributed._tensor"):  # 2.4 on, 2.0-2.3
            mod = importlib.import_module(name)
            if hasattr(mod, "Shard") and hasattr(mod, "distribute_tensor"):
                break
        mesh_type = getattr(mod, "DeviceMesh", None) or importlib.import_module(
            "torch.distributed.device_mesh").DeviceMesh
        # loopback: a CI container's host name may not resolve to an address gloo can use
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        dist.init_process_group("gloo", init_method="file://" + os.path.join(out_dir, "store"),
                                rank=rank, world_size=2)
        mesh = mesh_type("cpu", [0, 1])
        checked = 0
        for shape in ((6, 8), (5, 7)):
            x = torch.randn(shape, generator=torch.Generator().manual_seed(3))
            with sdt.site_seeds(4, 4):
                full = F.dropout(x, 0.5, site="t")
                for placement in (mod.Shard(0), mod.Shard(1), mod.Replicate()):
                    dx = mod.distribute_tensor(x, mesh, [placement]).detach().requires_grad_()
                    y = F.dropout(dx, 0.5, site="t")
                    assert isinstance(y, type(dx)), type(y)
                    assert y.placements == dx.placements, (y.placements, dx.placements)
                    whole = y.redistribute(mesh, [mod.Replicate()]).to_local()
                    assert torch.equal(whole, full), (shape, placement)
                    y.sum().backward()
                    grad = dx.grad.redistribute(mesh, [mod.Replicate()]).to_local()
                    assert torch.equal(grad != 0, full != 0), (shape, placement)
                    checked += 1
                try:
                    F.dropout(dx, 0.5, site="t", block={0: (0, 6)})
                    raise AssertionError("block= with a DTensor was not refused")
                except ValueError:
                    pass
        dist.destroy_process_group()
        with open(os.path.join(out_dir, f"ok{rank}"), "w") as f:
            f.write(str(checked))
    except BaseException:
        with open(os.path.join(out_dir, f"err{rank}"), "w") as f:
            f.write(traceback.format_exc())
        os._exit(1)
    os._exit(0)


class TestDTensor(unittest.TestCase):
    def setUp(self):
        if sdt._sharding._dtensor_api()[0] is None:
            self.skipTest(f"torch {torch.__version__} has no DTensor (torch.distributed.tensor, "
                          "PyTorch 2.x): the DTensor route cannot run here")

    def test_placements_give_the_unsharded_masks(self):
        """Two processes (gloo) hold a DTensor as Shard(0), Shard(1) (even and uneven) and
        Replicate(): the dropout of each, gathered, is the dropout of the whole tensor."""
        import multiprocessing
        import tempfile
        import torch.distributed as dist
        if not dist.is_available() or not dist.is_gloo_available():
            self.skipTest("torch.distributed with gloo is not available")
        # spawn, not fork: autograd has run threads in this process by now, and torch 2.x refuses
        # a backward in a child forked after that ("Autograd and Fork")
        ctx = multiprocessing.get_context("spawn")
        with tempfile.TemporaryDirectory() as d:
            procs = [ctx.Process(target=_dtensor_worker, args=(r, d)) for r in range(2)]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join(120)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            errors = [open(os.path.join(d, f"err{r}")).read() for r in range(2)
                      if os.path.exists(os.path.join(d, f"err{r}"))]
            self.assertEqual(errors, [])
            for r in range(2):
                with open(os.path.join(d, f"ok{r}")) as f:
                    self.assertEqual(f.read(), "6")


if __name__ == "__main__":
    unittest.main(verbosity=2)
