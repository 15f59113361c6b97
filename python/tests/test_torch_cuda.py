"""simdrop.torch on CUDA tensors: the CUDA route against the CPU route, bit for bit.

Two ways, one list of cases (CASES: every form, dtype, layout, mask or none, in place, traced,
blocks), each run on both routes after the same torch.manual_seed and compared in bits:
  - StandIn: no GPU needed. The CUDA route's code (simdrop.torch with libsimdrop_cuda's tables:
    names, arguments and the stream argument, errors with the library's own text) runs with
    tests/gpu/host_cuda.c loaded in libsimdrop_cuda's place: the same entry points, the same
    launches of the same kernel source, on host memory. What it cannot see is torch's side of a
    GPU: device allocation and streams.
  - OnGpu: real CUDA tensors and the real libsimdrop_cuda (SIMDROP_CUDA_LIBRARY). Skipped where
    torch sees no GPU; run as `test_torch_cuda.py --gpu`, the file then exits 77 (meson's
    "skipped") without one, or fails with SIMDROP_TEST_REQUIRE_CUDA=1.

Usage: test_torch_cuda.py STAND_IN_LIBRARY [--gpu]. Random inputs print their seed;
SIMDROP_TEST_SEED=<seed> replays them. Exits 77 when torch is not installed."""
import contextlib
import ctypes
import os
import random
import sys
import unittest

from _testenv import require

require('torch')
import torch  # noqa: E402

import simdrop  # noqa: E402
import simdrop.torch as sdt  # noqa: E402
from simdrop import _core, _cuda  # noqa: E402
from simdrop.torch import functional as F, _ops  # noqa: E402

SEED = int(os.environ.get("SIMDROP_TEST_SEED", random.SystemRandom().randrange(1 << 31)))
print(f"SIMDROP_TEST_SEED={SEED}")
GPU_ONLY = "--gpu" in sys.argv
STAND_IN = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
DTYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)


# ---- the cases: each takes make(shape, dtype, channels_last=False) and returns its tensors ----

def _grad_of(y, x, make):
    g = make(tuple(y.shape), y.dtype)
    y.backward(g)
    return x.grad


def element(make, dtype, save_mask):
    x = make((37, 129), dtype).requires_grad_()  # 4773 elements: above REGEN_MAX, a mask is kept
    y = F.dropout(x, 0.3, save_mask=save_mask)
    return y, _grad_of(y, x, make)


def element_no_grad(make, dtype):
    return (F.dropout(make((1000, 3), dtype), 0.45),)


def element_inplace(make, dtype):
    x = make((513, 7), dtype)
    y = F.dropout(x, 0.2, inplace=True)
    return x, y


def channels(make, dtype, channels_last, save_mask):
    x = make((6, 8, 5, 7), dtype, channels_last).requires_grad_()
    y = F.dropout2d(x, 0.4, save_mask=save_mask)
    return y, _grad_of(y, x, make)


def channels_no_grad(make, dtype, channels_last):  # group dropout without mask: scratch memory
    return (F.dropout2d(make((4, 16, 3, 9), dtype, channels_last), 0.5),)


def alpha(make, dtype):
    x = make((40, 33), dtype).requires_grad_()
    y = F.alpha_dropout(x, 0.25, True)
    return y, _grad_of(y, x, make)


def feature_alpha(make, dtype, channels_last):
    x = make((3, 10, 4, 4), dtype, channels_last).requires_grad_()
    y = F.feature_alpha_dropout(x, 0.3, True)
    return y, _grad_of(y, x, make)


def drop_path(make, dtype, scale_by_keep):
    x = make((64, 9, 5), dtype).requires_grad_()
    y = F.drop_path(x, 0.3, True, scale_by_keep=scale_by_keep)
    return y, _grad_of(y, x, make)


class Converted:
    """A result PyTorch converted itself (the bias gradient, summed in float by the kernels, then
    .to(bf16/f16)): its NaNs are the device's conversion's (CPU and CUDA write different ones),
    so they compare as NaNs; every other bit exactly."""

    def __init__(self, t):
        self.t = t


def fused(make, dtype, save_mask):
    x = make((70, 48), dtype).requires_grad_()
    bias = make((48,), dtype).requires_grad_()
    residual = make((70, 48), dtype).requires_grad_()
    y = F.bias_dropout_add(x, bias, residual, 0.35, save_mask=save_mask)
    y.backward(make((70, 48), dtype))
    return y, x.grad, Converted(bias.grad), residual.grad


def traced(make, dtype):
    model = torch.nn.Sequential(sdt.Dropout(0.3), sdt.Dropout2d(0.2))
    x = make((8, 12, 6, 6), dtype).requires_grad_()
    traced_model = torch.jit.trace(model, (x,), check_trace=False)
    y = traced_model(x)
    return y, _grad_of(y, x, make)


def blocks(make, dtype):
    x = make((5, 300), dtype).requires_grad_()
    y = F.dropout(x, 0.3, block={0: (7, 40)})  # rows 7..11 of 40: one index range
    cols = make((12, 50), dtype).requires_grad_()
    z = F.dropout(cols, 0.3, block={1: (25, 200)})  # columns 25..74 of 200: rows apart
    xb = make((6, 32), dtype).requires_grad_()
    bias = make((32,), dtype).requires_grad_()
    f = F.bias_dropout_add(xb, bias, None, 0.3, block={0: (2, 10), 1: (16, 64)})
    return (y, _grad_of(y, x, make), z, _grad_of(z, cols, make), f, _grad_of(f, xb, make),
            Converted(bias.grad))


CASES = (
    [(f"element {t} save_mask={m}", element, (t, m)) for t in DTYPES for m in (True, False)]
    + [(f"element {t} no grad", element_no_grad, (t,)) for t in DTYPES]
    + [(f"element {t} inplace", element_inplace, (t,)) for t in DTYPES]
    + [(f"dropout2d {t} channels_last={cl} save_mask={m}", channels, (t, cl, m))
       for t in DTYPES for cl in (False, True) for m in (True, False)]
    + [(f"dropout2d {t} channels_last={cl} no grad", channels_no_grad, (t, cl))
       for t in DTYPES for cl in (False, True)]
    + [(f"alpha {t}", alpha, (t,)) for t in DTYPES]
    + [(f"feature_alpha {t} channels_last={cl}", feature_alpha, (t, cl))
       for t in DTYPES for cl in (False, True)]
    + [(f"drop_path {t} scale_by_keep={s}", drop_path, (t, s)) for t in DTYPES for s in (True, False)]
    + [(f"bias_dropout_add {t} save_mask={m}", fused, (t, m)) for t in DTYPES for m in (True, False)]
    + [(f"traced {t}", traced, (t,)) for t in (torch.float32, torch.bfloat16)]
    + [(f"blocks {t}", blocks, (t,)) for t in DTYPES]
)


def maker(device, case_seed):
    """make(shape, dtype, channels_last): random values drawn on the CPU (with specials: zeros,
    infinities, NaN), then moved to `device`; the same sequence for the same case_seed."""
    gen = torch.Generator().manual_seed(case_seed)

    def make(shape, dtype, channels_last=False):
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * 3
        flat = t.view(-1)
        for i, v in enumerate((0.0, -0.0, float("inf"), float("-inf"), float("nan"))):
            if flat.numel() > 40:
                flat[(i * 11 + case_seed) % flat.numel()] = v
        t = t.to(dtype).to(device)
        if channels_last:
            t = t.contiguous(memory_format=torch.channels_last)
        return t
    return make


def run_case(fn, args, device, case_seed):
    """The case's tensors on the CPU, each with whether its NaNs compare as NaNs only."""
    torch.manual_seed(case_seed)  # the seeds of the calls: torch's default CPU generator
    return [(t.t.detach().cpu(), True) if isinstance(t, Converted) else (t.detach().cpu(), False)
            for t in fn(maker(device, case_seed), *args)]


def bits(t, any_nan=False):
    """t's bits as integers; any_nan: every NaN as one pattern."""
    if any_nan and t.is_floating_point():
        t = torch.where(torch.isnan(t), torch.full_like(t, float("nan")), t)
    view = {8: torch.int64, 4: torch.int32, 2: torch.int16, 1: torch.uint8}[t.element_size()]
    return t.contiguous().view(view)


class Routes:
    """The cases on the CPU and on the route under test (self.device_route()), bit for bit."""

    def compare_all(self, cases=CASES):
        for i, (name, fn, args) in enumerate(cases):
            case_seed = (SEED + i * 7919) % (1 << 31)
            with self.subTest(case=name, seed=SEED):
                want = run_case(fn, args, "cpu", case_seed)
                with self.device_route() as device:
                    got = run_case(fn, args, device, case_seed)
                self.assertEqual(len(got), len(want))
                for k, ((g, any_nan), (w, _)) in enumerate(zip(got, want)):
                    self.assertEqual((g.shape, g.dtype, g.stride()), (w.shape, w.dtype, w.stride()),
                                     f"{name}: tensor {k}")
                    gb, wb = bits(g, any_nan), bits(w, any_nan)
                    self.assertTrue(torch.equal(gb, wb), f"{name}: tensor {k} differs in "
                                    f"{int((gb != wb).sum())} of {g.numel()} elements")


# ---- without a GPU: the stand-in library on CPU memory -------------------------------------------

def _stand_in():
    lib, why = _cuda._open(STAND_IN)
    if lib is None:
        raise RuntimeError(f"{STAND_IN}: {why}")
    return lib


@unittest.skipIf(STAND_IN is None or GPU_ONLY, "the stand-in library's path is not given")
class StandIn(unittest.TestCase, Routes):
    @classmethod
    def setUpClass(cls):
        cls.lib = _stand_in()
        cls.calls = [0]

        def bind(fn):  # as _ops binds a CUDA device's functions, with no stream, and counted
            def call(*args):
                cls.calls[0] += 1
                return fn(*args, None)
            return call
        cls.tables = _ops.tables(_ops.DeviceFunctions(cls.lib, bind, "simdrop_cuda_"))

    @contextlib.contextmanager
    def device_route(self):
        """CPU tensors run through the CUDA route's tables (the stand-in's simdrop_cuda_*), and
        not through the C++ route of CPU calls (simdrop.torch._glue), which a CUDA tensor never
        takes."""
        saved = {kind: dict(table) for kind, table in _ops.TABLES.items()}
        saved_glue = F._glue
        _core.LAST_ERROR["simdrop_cuda_"] = self.lib.last_error
        try:
            for kind, table in self.tables.items():
                _ops.TABLES[kind].update(table)
            F._glue = None
            yield "cpu"
        finally:
            for kind, table in saved.items():
                _ops.TABLES[kind].update(table)
            F._glue = saved_glue
            del _core.LAST_ERROR["simdrop_cuda_"]

    def test_every_case_as_on_the_cpu(self):
        before = self.calls[0]
        self.compare_all()
        # every case called the stand-in, forward and backward: the comparison is not vacuous
        self.assertGreaterEqual(self.calls[0] - before, len(CASES))

    def test_the_route_runs_the_stand_in(self):
        # the comparison above would pass vacuously if the tables were the CPU's: they are not
        with self.device_route():
            k = _ops.kernels(_ops.ELEMENT, torch.ones(3), "dropout")
            self.assertEqual(k.names[0], "simdrop_cuda_forward_f32")
            self.assertEqual(_ops.kernels(_ops.GROUPS, torch.ones(3), "dropout2d").nhwc_names[2],
                             "simdrop_cuda_backward_groups_nhwc_regen_f32")

    def test_a_cuda_device_gets_the_library_tables(self):
        # what a CUDA tensor's first call builds (not called here: that needs a GPU)
        saved = os.environ.get("SIMDROP_CUDA_LIBRARY"), list(_cuda._loaded), dict(_ops._device_tables)
        os.environ["SIMDROP_CUDA_LIBRARY"] = STAND_IN
        _cuda._loaded.clear()
        _ops._device_tables.clear()
        try:
            tables = _ops.device_tables(torch.device("cuda", 1))
            self.assertIs(_ops.device_tables(torch.device("cuda", 1)), tables)  # built once
            self.assertEqual(_cuda.library().path, STAND_IN)
            self.assertEqual(tables[_ops.BIAS_ADD_BLOCK][torch.float16].names[2],
                             "simdrop_cuda_bias_dropout_add_backward_regen_block_f16")
            self.assertIsNone(tables[_ops.ELEMENT][torch.float32].ones)  # the noise route is the CPU's
            self.assertEqual(_core.LAST_ERROR["simdrop_cuda_"](), _cuda.library().last_error())
        finally:
            if saved[0] is None:
                os.environ.pop("SIMDROP_CUDA_LIBRARY")
            else:
                os.environ["SIMDROP_CUDA_LIBRARY"] = saved[0]
            _cuda._loaded[:] = saved[1]
            _ops._device_tables.clear()
            _ops._device_tables.update(saved[2])
            _core.LAST_ERROR.pop("simdrop_cuda_", None)

    def test_device_failures_carry_the_library_text(self):
        # a scratch allocation that fails (a group dropout without mask needs scratch): the
        # exception is the status's class, its text the library's own (simdrop_cuda_last_error)
        with self.device_route():
            x = torch.ones(4, 8, 3, 3)
            before = x.clone()
            self.lib.cdll.simdrop_host_cuda_fail_next_alloc()
            with self.assertRaisesRegex(simdrop.OutOfMemoryError,
                                        "simdrop_cuda_forward_groups_f32: .*out of memory "
                                        r"\(forced by the test\)"):
                F.dropout2d(x, 0.5, inplace=True)
            self.assertTrue(torch.equal(x, before))  # nothing written


class Loader(unittest.TestCase):
    def setUp(self):
        self.saved = os.environ.get("SIMDROP_CUDA_LIBRARY")

    def tearDown(self):
        if self.saved is None:
            os.environ.pop("SIMDROP_CUDA_LIBRARY", None)
        else:
            os.environ["SIMDROP_CUDA_LIBRARY"] = self.saved

    def test_an_explicit_path_that_fails_is_an_error(self):
        os.environ["SIMDROP_CUDA_LIBRARY"] = "/nonexistent/libsimdrop_cuda.so.1"
        with self.assertRaisesRegex(_cuda.CudaLibraryError,
                                    "cannot use SIMDROP_CUDA_LIBRARY=/nonexistent/libsimdrop_cuda"):
            _cuda._load()
        os.environ["SIMDROP_CUDA_LIBRARY"] = simdrop.library_path()  # the CPU library
        with self.assertRaisesRegex(_cuda.CudaLibraryError, "has no simdrop_cuda_version"):
            _cuda._load()

    @unittest.skipIf(STAND_IN is None, "the stand-in library's path is not given")
    def test_a_fitting_library_loads_and_declares_from_the_cpu_twin(self):
        os.environ["SIMDROP_CUDA_LIBRARY"] = STAND_IN
        lib = _cuda._load()
        self.assertEqual(lib.version, simdrop.version())
        fn = lib.function("simdrop_forward_groups_nhwc_bf16")
        self.assertEqual(fn.argtypes, list(simdrop._lib.simdrop_forward_groups_nhwc_bf16.argtypes)
                         + [ctypes.c_void_p])
        with self.assertRaisesRegex(_cuda.CudaLibraryError, "has no simdrop_cuda_set_num_threads"):
            lib.function("simdrop_set_num_threads")  # a CPU-only function has no twin

    def test_search_names_every_place(self):
        os.environ.pop("SIMDROP_CUDA_LIBRARY", None)
        places = [name for _, name in _cuda._candidates()]
        self.assertEqual(places[-1], "libsimdrop_cuda.so.1")
        if os.sep in simdrop.library_path():
            self.assertEqual(places[0], os.path.join(os.path.dirname(simdrop.library_path()),
                                                     "libsimdrop_cuda.so.1"))


# ---- on a GPU ------------------------------------------------------------------------------------

@unittest.skipUnless(GPU_ONLY and torch.cuda.is_available(),
                     "run with --gpu (and SIMDROP_CUDA_LIBRARY) where torch sees a CUDA device")
class OnGpu(unittest.TestCase, Routes):
    @contextlib.contextmanager
    def device_route(self):
        yield "cuda"

    def test_every_case_as_on_the_cpu(self):
        self.compare_all()

    def test_mask_and_stream(self):
        x = torch.randn(4096, device="cuda", requires_grad=True)
        y = F.dropout(x, 0.5)
        fn = y.grad_fn
        self.assertEqual(fn.spec.mask.device, x.device)  # the 1-bit mask kept on the GPU
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())  # x is written on the default stream
        with torch.cuda.stream(s):  # a call on another stream: ordered on it
            torch.manual_seed(3)
            z = F.dropout(x.detach(), 0.5)
        s.synchronize()
        torch.manual_seed(3)
        self.assertTrue(torch.equal(z.cpu(), F.dropout(x.detach().cpu(), 0.5)))

    def test_capture_is_refused(self):
        # a CUDA graph would replay the call's seed: refused by name before anything is launched
        x = torch.ones(1024, device="cuda")
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                F.dropout(x, 0.5)
        except RuntimeError as exc:
            chain = [exc, exc.__context__, exc.__cause__]
            self.assertTrue(any(e is not None and "CUDA graph is being captured" in str(e)
                                for e in chain), chain)
        else:
            self.fail("dropout was captured into a CUDA graph")

    def test_devices_must_agree(self):
        with self.assertRaisesRegex(RuntimeError, "same device"):
            F.bias_dropout_add(torch.ones(4, 3, device="cuda"), torch.ones(3), None, 0.5)


if __name__ == "__main__":
    if GPU_ONLY:
        sys.argv = [a for a in sys.argv if a != "--gpu"]
        if not torch.cuda.is_available():
            if os.environ.get("SIMDROP_TEST_REQUIRE_CUDA") == "1":
                print("FAIL: SIMDROP_TEST_REQUIRE_CUDA=1 and torch sees no CUDA device")
                sys.exit(1)
            print("SKIP: torch sees no CUDA device")
            sys.exit(77)
    sys.argv = sys.argv[:1]
    unittest.main(verbosity=2)
