"""_ops.py: the C kernels on torch tensors, and the eager autograd Functions around them.

Everything here is internal to simdrop.torch; functional.py holds the PyTorch-shaped entry points
and _library.py the registered operators (torch.ops.simdrop.*), whose CPU kernels run the
forward() and backward() below too, so both routes give the same bits for the same seed.

Per-call cost is kept to what one call needs: the C functions are looked up once per dtype (the
tables below), pointers come from data_ptr(), the seed is drawn into one reused 0-d tensor, a
dense input or gradient is never copied, and the 1-bit mask is allocated only when autograd will
need it (never under no_grad or for inputs that do not require grad).

Index space: a call covers one tensor, elements 0 .. n-1 in memory order of the result, at offset
0 of a fresh seed. For a contiguous tensor that is row-major order, so sample b of a batch owns
elements b*per_sample .. and every sample gets its own mask. The result has the layout PyTorch's
own dropout gives (plan() below); a dense input in another layout (channels_last, a permutation)
is processed in its own memory order, any other strided input is first copied. Channel dropout
keeps one bit per (sample, channel), index n * C + c, whatever the layout: channels_last and
channels_last_3d memory runs the C library's NHWC functions (the same bits as the NCHW ones), so
a tensor keeps its mask when its memory format changes (group_layout()).

Devices: a CPU tensor runs the C library; a CUDA tensor its twin libsimdrop_cuda (the same
masks and bits, docs/GPU.md), on torch's current stream of the tensor's device, loaded on the
first CUDA call (device_tables()). Everything else here is the same code for both: results and
masks are allocated on the input's device, the seed is drawn from the same generator (torch's
default CPU one), so torch.manual_seed(s) gives a model the same masks on either device.
"""
import ctypes
import importlib.machinery
import importlib.util
import os
import threading

import torch

from .. import _core, _cuda, _lib
from .._core import raise_status
from .._hugepages import THRESHOLD as _HUGE_BYTES, advise as _advise

_SUFFIX = {torch.float32: "f32", torch.float64: "f64", torch.bfloat16: "bf16", torch.float16: "f16"}
_SIZE = {torch.float32: 4, torch.float64: 8, torch.bfloat16: 2, torch.float16: 2}

ELEMENT, GROUPS, ALPHA, UNSCALED, BIAS_ADD = "element", "groups", "alpha", "unscaled", "bias_dropout_add"
BLOCK, BIAS_ADD_BLOCK = "block", "bias_dropout_add_block"  # blocks of a global tensor (_sharding.py)

# The C functions of each operation: forward, backward from the mask, backward by regeneration.
_NAMES = {
    ELEMENT: ("simdrop_forward_{}", "simdrop_backward_{}", "simdrop_backward_regen_{}"),
    GROUPS: ("simdrop_forward_groups_{}", "simdrop_backward_groups_{}", "simdrop_backward_groups_regen_{}"),
    ALPHA: ("simdrop_alpha_forward_{}", "simdrop_alpha_backward_{}", "simdrop_alpha_backward_regen_{}"),
    # dropout without rescaling (drop-path with scale_by_keep=False): group-shaped, group_len 1
    # being element dropout
    UNSCALED: ("simdrop_unscaled_forward_{}", "simdrop_unscaled_backward_{}",
               "simdrop_unscaled_backward_regen_{}"),
    BIAS_ADD: ("simdrop_bias_dropout_add_{}", "simdrop_bias_dropout_add_backward_{}",
               "simdrop_bias_dropout_add_backward_regen_{}"),
    BLOCK: ("simdrop_forward_block_{}", "simdrop_backward_block_{}", "simdrop_backward_regen_block_{}"),
    BIAS_ADD_BLOCK: ("simdrop_bias_dropout_add_block_{}", "simdrop_bias_dropout_add_backward_block_{}",
                     "simdrop_bias_dropout_add_backward_regen_block_{}"),
}


# Their channels-last forms (samples, spatial, channels): channel dropout on NHWC memory.
_NHWC_NAMES = {
    GROUPS: ("simdrop_forward_groups_nhwc_{}", "simdrop_backward_groups_nhwc_{}",
             "simdrop_backward_groups_nhwc_regen_{}"),
    ALPHA: ("simdrop_alpha_forward_nhwc_{}", "simdrop_alpha_backward_nhwc_{}",
            "simdrop_alpha_backward_nhwc_regen_{}"),
}


class Kernels:
    """The C functions of one operation for one dtype, bound once (nfwd, nbwd, nregen: the NHWC
    forms, None for element dropout and the fused op), from `lib`: the C library (_lib), or a
    device's twin of it (DeviceFunctions). names: the functions' names in that library, for
    errors. misalign: the low address bits that must be 0 for the dtype (C reads and writes
    aligned elements only; a tensor made by torch.frombuffer at a byte offset, or from a
    misaligned numpy array, is not)."""
    __slots__ = ("fwd", "bwd", "regen", "nfwd", "nbwd", "nregen", "grouped", "names",
                 "nhwc_names", "misalign", "ones")

    def __init__(self, names, nhwc_names, grouped, size, ones=None, lib=_lib):
        self.fwd, self.bwd, self.regen = (getattr(lib, name) for name in names)
        if names[1].startswith("simdrop_unscaled_"):
            self.bwd = _without_p(self.bwd)
        self.nfwd, self.nbwd, self.nregen = (getattr(lib, name) for name in nhwc_names) \
            if nhwc_names else (None, None, None)
        prefix = getattr(lib, "prefix", "simdrop_")
        self.names = tuple(prefix + name[len("simdrop_"):] for name in names)
        self.nhwc_names = tuple(prefix + name[len("simdrop_"):] for name in nhwc_names)
        self.grouped = grouped
        self.misalign = size - 1
        self.ones = ones  # NOISE_MAX ones for noise_dropout(), or None where it does not apply


# A tiny element call under autograd costs less as PyTorch's own y = x * noise than through an
# autograd.Function: the noise (keep ? s : +0.0, the kernel's regenerated backward of a gradient
# of ones) is one kernel call, the product and its backward (dy * noise) are C++ all the way, and
# for float32 and float64 both are MASK_SPEC 4.1's value rule, bit for bit (a dropped x gives
# x * +0.0 there too). Below this many elements the Python of a Function's forward and backward
# is most of a call (1 element, forward + backward on the AMD EPYC VM: 14.2 us against 10.0 us;
# nn.Dropout 11.8 us); the noise tensor autograd keeps is at most 4 KiB. bfloat16 and float16
# products would round twice (PyTorch rounds in the dtype), so they keep the Function.
NOISE_MAX = 512
_EXACT_PRODUCT = (torch.float32, torch.float64)


def _table(kind, lib=_lib):
    return {dtype: Kernels(tuple(name.format(t) for name in _NAMES[kind]),
                           tuple(name.format(t) for name in _NHWC_NAMES.get(kind, ())),
                           kind not in (ELEMENT, BLOCK), _SIZE[dtype],
                           torch.ones(NOISE_MAX, dtype=dtype)
                           if lib is _lib and kind == ELEMENT and dtype in _EXACT_PRODUCT else None,
                           lib)
            for dtype, t in _SUFFIX.items()}


def _without_p(bwd):
    """simdrop_unscaled_backward_<t> takes no p (its factor is 1): called as the other group
    backward functions are, it drops the p they take."""
    return lambda dx, dy, mask, groups, glen, p: bwd(dx, dy, mask, groups, glen)


def tables(lib=_lib):
    """Every operation's kernels by kind and dtype, from lib."""
    return {kind: _table(kind, lib) for kind in _NAMES}


TABLES = tables()  # the CPU's


class DeviceFunctions:
    """A device library's functions under the C library's names (simdrop_forward_f32, ...):
    library.function(name) is the device twin of that C function, which takes the C function's
    arguments then a queue; bind(fn) returns it as the C function is called, the device's
    current queue added (and the device made current)."""

    def __init__(self, library, bind, prefix):
        self.library, self.bind, self.prefix = library, bind, prefix

    def __getattr__(self, name):  # (only for names not yet bound: then they are attributes)
        if not name.startswith("simdrop_"):
            raise AttributeError(name)
        fn = self.bind(self.library.function(name))
        setattr(self, name, fn)
        return fn


def _cuda_bind(index):
    """bind() of CUDA device `index`: the call gets torch's current stream of the device, and
    runs with the device current (libsimdrop_cuda launches on the current device)."""
    current_stream, current_device, device = (torch.cuda.current_stream, torch.cuda.current_device,
                                              torch.cuda.device)

    def bind(fn):
        def call(*args):
            if current_device() == index:
                return fn(*args, current_stream(index).cuda_stream)
            with device(index):
                return fn(*args, current_stream(index).cuda_stream)
        return call
    return bind


_device_tables = {}
_capturing = torch.cuda.is_current_stream_capturing


def device_tables(device):
    """tables() of a CUDA device: libsimdrop_cuda's functions on its current stream."""
    found = _device_tables.get(device)
    if found is None:
        library = _cuda.library()
        _core.LAST_ERROR["simdrop_cuda_"] = library.last_error
        found = _device_tables[device] = tables(DeviceFunctions(library, _cuda_bind(device.index),
                                                                "simdrop_cuda_"))
    return found


def kernels(kind, x, fname, what="input"):
    """The kernels of `kind` for x's dtype and device; a clear error for what simdrop cannot run."""
    k = TABLES[kind].get(x.dtype)
    if k is not None and x.layout is torch.strided:
        if x.is_cpu:
            return k
        if x.is_cuda:
            if _capturing():
                raise RuntimeError(
                    f"simdrop.torch.{fname}: called while a CUDA graph is being captured: the "
                    "graph would replay this call's seed, the same mask on every replay. Run "
                    "simdrop's dropout outside the captured region.")
            return device_tables(x.device)[kind][x.dtype]
    if not x.is_cpu and not x.is_cuda:
        raise RuntimeError(f"simdrop.torch.{fname}: {what} is on {x.device}: simdrop runs on CPU "
                           "tensors (the C library) and CUDA tensors (libsimdrop_cuda) only")
    check_meta(x, fname, what)


def same_device(x, t, fname, what):
    """PyTorch's refusal of tensors on two devices, made before a kernel reads the wrong one."""
    if t.device != x.device:
        raise RuntimeError(f"simdrop.torch.{fname}: expected all tensors to be on the same device, "
                           f"but {what} is on {t.device} and input on {x.device}")


def check_meta(x, fname, what="input"):
    """kernels()'s layout and dtype checks without the device's: what a Meta kernel refuses, so
    that shape propagation fails where the CPU kernel would."""
    if x.layout is not torch.strided:
        raise RuntimeError(f"simdrop.torch.{fname}: {what} has layout {x.layout}: simdrop takes "
                           "strided (dense) tensors only")
    if x.dtype not in _SUFFIX:
        raise TypeError(f"simdrop.torch.{fname}: {what} has dtype {x.dtype}: the C library has "
                        "kernels for float32, float64, bfloat16 and float16 only")


# ---- which route a call takes ------------------------------------------------------------------

_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_tracing = torch._C._is_tracing
_dispatch_modes = torch._C._len_torch_dispatch_stack
_compiler = getattr(torch, "compiler", None)
_compiling = getattr(_compiler, "is_compiling", None) or getattr(torch._utils, "is_compiling", None)

# graph_mode(x): True when a call on x must go through the registered operator rather than the
# direct ctypes route: torch.compile/torch.export are tracing (2.x), torch.jit.trace is recording,
# a torch dispatch mode is active (make_fx, FakeTensorMode, ...), or x is not a plain tensor (an
# FX Proxy, a FakeTensor, a subclass with __torch_function__; an nn.Parameter is plain). Those
# tools see only operators; a ctypes call would be invisible to them (a traced graph would keep
# only the allocation). A handful of cheap checks, so plain eager calls keep their speed.
if _compiling is None:  # torch < 2.1: no torch.compile to look for
    def graph_mode(x):
        return ((type(x) is not _Tensor and type(x) is not _Parameter) or _tracing()
                or _dispatch_modes() != 0)
else:
    def graph_mode(x):
        # (torch.compile first: Dynamo knows is_compiling() but not the two C functions)
        return ((type(x) is not _Tensor and type(x) is not _Parameter) or _compiling() or _tracing()
                or _dispatch_modes() != 0)


# ---- seeds ---------------------------------------------------------------------------------------

_tls = threading.local()


def _seed_buffer():
    """This thread's seed buffer: a 0-d int64 tensor the generator draws into, and a view of its
    8 bytes as an unsigned 64-bit integer (reading the view costs a third of item() & U64)."""
    buf = torch.empty((), dtype=torch.int64)
    _tls.seed = buf, _lib.u64_at(buf.data_ptr())
    return _tls.seed


def draw_seed(generator=None):
    """A fresh 64-bit seed from `generator` (default: torch's default CPU generator).

    One draw of the generator per call, so torch.manual_seed(s) makes a run reproducible and
    consecutive calls get different seeds. The 0-d buffer is reused (one per thread)."""
    try:
        buf, bits = _tls.seed
    except AttributeError:
        buf, bits = _seed_buffer()
    if generator is None:  # (the same draw: no keyword argument to parse on the common path)
        buf.random_(_INT64_MIN, None)  # the full 64-bit range
    elif generator.device.type != "cpu":  # a CUDA generator draws on its device: one sync
        return torch.empty((), dtype=torch.int64, device=generator.device).random_(
            _INT64_MIN, None, generator=generator).item() & U64
    else:
        buf.random_(_INT64_MIN, None, generator=generator)
    return bits.value


def seed_tensor(device=None):
    """(0-d int64 tensor, seed) drawn as draw_seed() draws it, for an operator to return: on
    `device` (an operator's outputs are on its input's device), drawn on the CPU. (On a GPU a
    fill with the value, which does not wait for the stream as a copy from the CPU would.)"""
    t = torch.empty((), dtype=torch.int64).random_(_INT64_MIN, None)
    if device is None or device.type == "cpu":
        return t, t.item() & U64
    signed = t.item()
    return torch.full((), signed, dtype=torch.int64, device=device), signed & U64


U64 = (1 << 64) - 1
_INT64_MIN = -(1 << 63)


# ---- allocation and layouts ------------------------------------------------------------------------

def empty_same(x, n):
    """An uninitialised tensor with x's shape, dtype and strides, for a dense x of n elements: the
    fastest allocation (torch.empty_like). Huge pages are advised for a large buffer before its
    first touch."""
    t = _empty_like(x)
    return t if n < _HUGE_ELEMENTS else _advised(t)


_empty_like = torch.empty_like


def empty_strided(x, strides):
    """An uninitialised tensor of x's shape and dtype with `strides` (None: contiguous)."""
    if strides is None:
        return _advised(torch.empty_like(x, memory_format=torch.contiguous_format))
    return _advised(torch.empty_strided(x.shape, strides, dtype=x.dtype, device=x.device))


def _advised(t):
    if t.numel() >= _HUGE_ELEMENTS and t.is_cpu:
        nbytes = t.numel() * t.element_size()
        if nbytes >= _HUGE_BYTES:
            _advise(t.data_ptr(), nbytes)
    return t


_HUGE_ELEMENTS = _HUGE_BYTES // 8   # no dtype has more than 8 bytes: a cheap first test


def is_dense(x):
    """True if x's elements fill a block of memory exactly once, in some dimension order."""
    return _dense(x.shape, x.stride())


def _dense(shape, strides):
    expect = 1
    for st, sz in sorted((st, sz) for sz, st in zip(shape, strides) if sz != 1):
        if st != expect:
            return False
        expect *= sz
    return True


def _noise_shape(shape, groups):
    """The shape of the noise tensor PyTorch multiplies by for `groups` keep decisions over
    `shape`: the leading dimensions whose sizes multiply to `groups`, then ones (the whole shape
    for element dropout, (N, C, 1, ..) for channel dropout, (B, 1, ..) for drop-path). None if
    no leading dimensions give `groups`."""
    n = 1
    for k, size in enumerate(shape):
        if n == groups:
            return tuple(shape[:k]) + (1,) * (len(shape) - k)
        n *= size
    return tuple(shape) if n == groups else None


def _lead(shape, groups):
    """How many leading dimensions the keep decisions span: 2 for (N, C, ...) channel forms, 1
    for (B, ...) drop-path or an unbatched (C, ...) channel call; None for anything else."""
    if len(shape) >= 3 and shape[0] * shape[1] == groups:
        return 2
    if len(shape) >= 2 and shape[0] == groups:
        return 1
    return None


def group_layout(shape, strides, groups):
    """The channels of the NHWC functions for memory with `strides` (> 1 only when it is
    channels-last: N outermost, the spatial positions dense in any order, then C, innermost); 1
    when each group is one run of memory in group order (contiguous, the NCHW functions); 0 when
    neither kernel can run on it as it lies. Dimensions of size 1 lie anywhere."""
    lead = _lead(shape, groups)
    if lead is None:
        return 0
    rest = [(sz, st) for sz, st in zip(shape[lead:], strides[lead:]) if sz != 1]
    spatial = 1
    for sz, _ in rest:
        spatial *= sz
    n, c = shape[0], (shape[1] if lead == 2 else 1)
    sn, sc = strides[0], (strides[1] if lead == 2 else 0)
    if ((n == 1 or sn == c * spatial) and (c == 1 or sc == spatial)
            and _dense([sz for sz, _ in rest], [st for _, st in rest])):
        return 1
    if (c > 1 and sc == 1 and (n == 1 or sn == c * spatial) and all(st % c == 0 for _, st in rest)
            and _dense([sz for sz, _ in rest], [st // c for _, st in rest])):
        return c
    return 0


def inplace_ok(x, groups, runs):
    """Whether the kernels can run on x where it lies: any dense layout for element dropout
    (memory order), a group layout (group_layout) for channel dropout and drop-path."""
    if x.is_contiguous():
        return True
    if not runs:
        return is_dense(x)
    return group_layout(x.shape, x.stride(), groups) != 0


_plans = {}


def plan(x, groups, runs, feature=False):
    """How forward() lays out a call on a non-contiguous x: (kernel_strides, result_strides,
    direct), strides None meaning contiguous. feature: a channel form or drop-path (implied by
    runs), whose noise aten makes differently from element dropout's even where their shapes
    agree (one element per channel).

    result_strides are those of PyTorch's `x * noise` (noise as aten's _dropout_impl makes it:
    for element dropout contiguous in 1.13 and empty_like(x) in 2.x, which follows a non-dense x's
    dimension order; a contiguous _noise_shape() tensor for the feature forms),
    which is what nn.Dropout and its siblings return: computed by PyTorch itself on meta tensors (no data),
    once per (shape, strides, groups), so a broadcast or expanded input gets exactly PyTorch's
    layout. kernel_strides are those of the memory the kernel runs over: the result's, except when
    groups (`runs`: channel dropout, drop-path) cannot run in it (group_layout() is 0: neither
    each group one run nor channels-last), then contiguous. direct: x itself can be read in that
    order (dense, same order), no copy needed first."""
    key = (tuple(x.shape), tuple(x.stride()), groups, runs, feature or runs)
    try:
        found = _plans.get(key)
    except TypeError:  # symbolic sizes (torch.compile with dynamic shapes): not cacheable
        return _make_plan(*key)
    if found is None:
        if len(_plans) >= 1024:
            _plans.clear()
        found = _plans[key] = _make_plan(*key)
    return found


# aten's element dropout noise: empty_like(input) in 2.x (checked on 2.11), empty_like(input,
# LEGACY_CONTIGUOUS_MEMORY_FORMAT) in 1.13; they differ for inputs that are not dense.
_NOISE_LIKE_INPUT = int(torch.__version__.split(".")[0]) >= 2


def _make_plan(shape, strides, groups, runs, feature):
    noise = _noise_shape(shape, groups)
    result = None
    if noise is not None:
        x = torch.empty_strided(shape, strides, device="meta")
        noise_t = (torch.empty_like(x) if _NOISE_LIKE_INPUT and not feature
                   else torch.empty(noise, device="meta"))
        result = (x * noise_t).stride()
        if result == torch.empty(shape, device="meta").stride():
            result = None
    kernel = result
    if runs and result is not None and not group_layout(shape, result, groups):
        kernel = None  # (copied into contiguous memory, then into the result's layout)
    # (a dense input's result follows its order: the same strides but on dimensions of size 1)
    direct = _dense(shape, strides) and kernel is not None and all(
        a == b for a, b, size in zip(strides, kernel, shape) if size != 1)
    return kernel, result, direct


def kernel_layout(x, groups, runs):
    """The strides of the memory forward() runs its kernel over for x, as a list ([] when
    contiguous): what the backward needs to pair gradient elements with mask bits."""
    if x.is_contiguous():
        return []
    strides = plan(x, groups, runs)[0]
    return [] if strides is None else list(strides)


def check_inplace_autograd(x):
    """PyTorch's refusal of an in-place op on a leaf that requires grad, made before anything is
    written (autograd would raise it only after the kernel had overwritten the tensor). Views
    never get here: functional._inplace_aside lets PyTorch check them."""
    if x.requires_grad and x.is_leaf and torch.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def bump_version(x):
    """Advance x's version counter, as every in-place op of PyTorch does, so that a graph that saved
    x for its backward notices the change. (torch.autograd.Function would do it too, but returns an
    alias rather than x itself when no input requires grad; PyTorch's inplace dropout returns x.)
    An in-place op on an empty view of x shares x's counter and touches no element."""
    x.as_strided((0,), (1,)).zero_()


def plain(t):
    """t as the C kernels take a tensor they read whole: contiguous, without PyTorch's lazy
    negation (a view such as x.conj().imag, whose memory holds -t), aligned for its dtype."""
    if t.is_neg():
        t = t.resolve_neg()
    if not t.is_contiguous():
        return t.contiguous()
    return t.clone() if t.data_ptr() % t.element_size() else t


# ---- what backward needs -------------------------------------------------------------------------

class Spec:
    """One call's parameters: kernels, p, seed, the group split (groups = keep decisions: numel
    for element dropout, group_len 1), the eager route's inplace and whether autograd keeps the
    mask; after forward the mask (or None: backward regenerates it) and the strides of the memory
    the kernel ran over (None: contiguous)."""
    __slots__ = ("k", "p", "seed", "groups", "glen", "inplace", "want_mask", "mask", "strides",
                 "channels")

    def __init__(self, k, p, seed, groups, glen, inplace=False, want_mask=False):
        self.k = k
        self.p = p
        self.seed = seed
        self.groups = groups
        self.glen = glen
        self.inplace = inplace
        self.want_mask = want_mask
        self.mask = None
        self.strides = None
        self.channels = 1  # > 1: the kernel memory is channels-last, run by the NHWC functions


# The eager route keeps no mask for a call of at most this many elements: allocating its tensor
# costs more than regenerating the bits in the backward (at most one 64-byte cache line of them).
REGEN_MAX = 512


def _new_mask(x, bits):
    """An uninitialised 1-bit mask of `bits` bits on x's device."""
    return x.new_empty((bits + 7) >> 3, dtype=torch.uint8)


def runs_layout(spec):
    """True if the kernels need each group as one run of memory (groups longer than 1 element);
    otherwise every element stands alone and any dense layout works in its memory order."""
    return spec.k.grouped and spec.glen != 1


# The call a drop-in module makes most: element dropout of a contiguous tensor into a new one,
# keeping no mask (a small one is regenerated), below the huge-page size. At a few hundred
# elements the fixed cost per call decides the speed against nn.Dropout, and inside a model each
# Python step costs more than in a loop of dropout calls alone (colder caches: about twice), so
# forward() and backward() take this call straight to the kernel, then fall back to the general
# code for anything else (a misaligned tensor included).

def forward(x, spec, inplace, want_mask):
    """Run the forward kernel of spec on x; returns the result tensor (x itself when inplace).

    The caller has checked dtype/device, and for inplace that x can be written where it lies.
    Sets spec.mask (when want_mask) and spec.strides (the kernel's layout, None: contiguous)."""
    k = spec.k
    if not (inplace or want_mask or k.grouped) and spec.groups < _HUGE_ELEMENTS and x.is_contiguous():
        sp = x.data_ptr()
        if not sp & k.misalign:  # the plain call (above)
            y = _empty_like(x)
            rc = k.fwd(y.data_ptr(), None, sp, spec.groups, spec.p, spec.seed, 0)
            if rc:
                raise_status(rc, k.names[0])
            return y
    final = None
    if x.is_contiguous():  # (spec.strides stays None)
        src = x
        dst = x if inplace else empty_same(x, spec.groups * spec.glen)
    elif inplace:  # the caller checked inplace_ok(): the kernels run where x lies
        src = dst = x
        spec.strides = x.stride()
    else:
        kstrides, rstrides, direct = plan(x, spec.groups, runs_layout(spec))
        if direct:  # channels_last, permutations: read and written in memory order
            src = x
            dst = x if inplace else empty_strided(x, rstrides)
        else:  # copied into the kernel's layout first, the kernel then runs in place on the copy
            src = dst = empty_strided(x, kstrides)
            dst.copy_(x)
            if rstrides != kstrides:
                final = empty_strided(x, rstrides)
        spec.strides = None if dst.is_contiguous() else dst.stride()
    if spec.strides is not None and runs_layout(spec):
        spec.channels = group_layout(x.shape, spec.strides, spec.groups)
    mask = None
    if want_mask:
        spec.mask = _new_mask(x, spec.groups)
        mask = spec.mask.data_ptr()
    sp = src.data_ptr()
    if sp & k.misalign:  # (dst is new, or x itself only where the caller checked it)
        src = src.clone()
        sp = src.data_ptr()
    if spec.channels > 1:
        rc = k.nfwd(dst.data_ptr(), mask, sp, spec.groups // spec.channels, spec.glen,
                    spec.channels, spec.p, spec.seed, 0)
        if rc:
            raise_status(rc, k.nhwc_names[0])
    elif k.grouped:
        rc = k.fwd(dst.data_ptr(), mask, sp, spec.groups, spec.glen, spec.p, spec.seed, 0)
    else:
        rc = k.fwd(dst.data_ptr(), mask, sp, spec.groups, spec.p, spec.seed, 0)
    if rc:
        raise_status(rc, k.names[0])
    if final is not None:  # give the result PyTorch's layout
        final.copy_(dst)
        return final
    return dst


def backward(g, spec):
    """dx from the gradient g of forward's result: from the saved mask, or regenerated. dx has the
    layout the forward kernel ran in (g is copied into it first when it differs)."""
    k = spec.k
    strides = spec.strides
    if g.is_neg():  # a lazily negated gradient (its memory holds -g)
        g = g.resolve_neg()
    if strides is None and spec.mask is None and not k.grouped and spec.groups < _HUGE_ELEMENTS \
            and g.is_contiguous():
        gp = g.data_ptr()
        if not gp & k.misalign:  # the plain call (above forward())
            dx = _empty_like(g)
            rc = k.regen(dx.data_ptr(), gp, spec.groups, spec.p, spec.seed, 0)
            if rc:
                raise_status(rc, k.names[2])
            return dx
    if strides is None:
        if not g.is_contiguous():
            g = g.contiguous()
        dx = empty_same(g, spec.groups * spec.glen)
    else:
        if g.stride() != strides:
            g2 = torch.empty_strided(g.shape, strides, dtype=g.dtype, device=g.device)
            g2.copy_(g)
            g = g2
        dx = empty_strided(g, strides)
    gp = g.data_ptr()
    if gp & k.misalign:
        g = g.clone()
        gp = g.data_ptr()
    mask = spec.mask
    if strides is not None and runs_layout(spec):  # the forward's kernel: NHWC or NCHW
        spec.channels = group_layout(g.shape, strides, spec.groups)
    if spec.channels > 1:
        n, c = spec.groups // spec.channels, spec.channels
        if mask is not None:
            rc = k.nbwd(dx.data_ptr(), gp, mask.data_ptr(), n, spec.glen, c, spec.p)
        else:
            rc = k.nregen(dx.data_ptr(), gp, n, spec.glen, c, spec.p, spec.seed, 0)
        if rc:
            raise_status(rc, k.nhwc_names[2] if mask is None else k.nhwc_names[1])
        return dx
    if k.grouped:
        if mask is not None:
            rc = k.bwd(dx.data_ptr(), gp, mask.data_ptr(), spec.groups, spec.glen, spec.p)
        else:
            rc = k.regen(dx.data_ptr(), gp, spec.groups, spec.glen, spec.p, spec.seed, 0)
    elif mask is not None:
        rc = k.bwd(dx.data_ptr(), gp, mask.data_ptr(), spec.groups, spec.p)
    else:
        rc = k.regen(dx.data_ptr(), gp, spec.groups, spec.p, spec.seed, 0)
    if rc:
        raise_status(rc, k.names[2] if mask is None else k.names[1])
    return dx


def noise_dropout(x, k, p, seed, inplace):
    """Element dropout of a contiguous x of at most NOISE_MAX elements that requires grad, by
    x * noise (NOISE_MAX's comment): autograd records PyTorch's multiplication, which also makes
    inplace=True PyTorch's own x.mul_(noise), with its checks of views and leaves."""
    noise = _empty_like(x)
    rc = k.regen(noise.data_ptr(), k.ones.data_ptr(), x.numel(), p, seed, 0)
    if rc:
        raise_status(rc, k.names[2])
    return x.mul_(noise) if inplace else x * noise


def backward_autograd(g, spec, run=None):
    """backward() (or run(g, spec): the block calls' backward, _sharding.py), recorded for
    autograd when the graph of the gradient is being built (create_graph=True): the backward is
    linear in g, its own adjoint, so this gives double (and higher) backward."""
    run = run or backward
    if g.requires_grad and torch.is_grad_enabled():
        return DropoutGrad.apply(g, spec, run)
    return run(g, spec)


def _dropout_backward(ctx, g):
    # backward_autograd(), inline: the hot path (grad mode is off in a backward without create_graph)
    if _grad_enabled() and g.requires_grad:
        return DropoutGrad.apply(g, ctx.spec, backward), None
    return backward(g, ctx.spec), None


_grad_enabled = torch.is_grad_enabled


class DropoutFunction(torch.autograd.Function):
    """y = dropout(x) by the kernels of spec (spec.inplace: x itself; spec.want_mask: the 1-bit
    mask is kept, else nothing and the backward regenerates it). Applied only to an x that
    requires grad, with grad mode on."""

    @staticmethod
    def forward(ctx, x, spec):
        y = forward(x, spec, spec.inplace, spec.want_mask)
        if spec.inplace:
            ctx.mark_dirty(x)
        ctx.spec = spec
        return y

    backward = staticmethod(_dropout_backward)


# The autograd engine calls a node's apply(); torch's (BackwardCFunction.apply, 1.13 and 2.x) looks
# up backward and vjp and compares them with the base class's on every call before calling
# backward. This node's apply is the backward itself (0.4 us of a 1-element forward + backward's
# 13 us on the AMD EPYC VM; torch.compile's compiled autograd calls backward, the same function).
DropoutFunction._backward_cls.apply = _dropout_backward


class DropoutGrad(torch.autograd.Function):
    """dx = run(g, spec), a dropout backward: what DropoutFunction.backward records under
    create_graph."""

    @staticmethod
    def forward(ctx, g, spec, run):
        ctx.spec, ctx.run = spec, run
        return run(g, spec)

    @staticmethod
    def backward(ctx, gg):
        return backward_autograd(gg, ctx.spec, ctx.run), None, None


# ---- fused bias + dropout + residual -------------------------------------------------------------

class BiasSpec:
    """A bias_dropout_add call: its kernels, the element spec for dx, the shape for dbias."""
    __slots__ = ("k", "elem", "rows", "cols", "bias_dtype")

    def __init__(self, k, elem, rows, cols, bias_dtype):
        self.k = k
        self.elem = elem
        self.rows = rows
        self.cols = cols
        self.bias_dtype = bias_dtype


def bias_forward(x, bias, residual, bspec, want_mask):
    e = bspec.elem
    if want_mask:
        e.mask = _new_mask(x, x.numel())
    out = empty_same(x, x.numel())
    rc = bspec.k.fwd(out.data_ptr(), e.mask.data_ptr() if want_mask else None, x.data_ptr(),
                     None if bias is None else bias.data_ptr(),
                     None if residual is None else residual.data_ptr(),
                     bspec.rows, bspec.cols, e.p, e.seed, 0)
    if rc:
        raise_status(rc, bspec.k.names[0])
    return out


def bias_backward(g, bspec):
    """(dx, dbias) in one pass; dbias summed in float (double for f64) in the C library's fixed
    order, then given the bias's dtype."""
    g = plain(g)
    dx = empty_same(g, g.numel())
    db = g.new_empty(bspec.cols, dtype=torch.float64 if g.dtype == torch.float64 else torch.float32)
    e = bspec.elem
    if e.mask is not None:
        rc = bspec.k.bwd(dx.data_ptr(), db.data_ptr(), g.data_ptr(), e.mask.data_ptr(),
                         bspec.rows, bspec.cols, e.p)
    else:
        rc = bspec.k.regen(dx.data_ptr(), db.data_ptr(), g.data_ptr(), bspec.rows, bspec.cols,
                           e.p, e.seed, 0)
    if rc:
        raise_status(rc, bspec.k.names[1] if e.mask is not None else bspec.k.names[2])
    if db.dtype != bspec.bias_dtype:
        db = db.to(bspec.bias_dtype)
    return dx, db


class BiasDropoutAddFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bias, residual, bspec, save_mask):
        need = ctx.needs_input_grad
        out = bias_forward(x, bias, residual, bspec, save_mask and (need[0] or need[1]))
        ctx.bspec = bspec
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_b, need_r = ctx.needs_input_grad[:3]
        bspec = ctx.bspec
        dx = db = None
        if need_b:
            if torch.is_grad_enabled() and g.requires_grad:
                dx, db = BiasDropoutAddGrad.apply(g, bspec)
            else:
                dx, db = bias_backward(g, bspec)
        elif need_x:
            dx = backward_autograd(g, bspec.elem)
        return (dx if need_x else None), db, (g if need_r else None), None, None


class BiasDropoutAddGrad(torch.autograd.Function):
    """(dx, dbias) = bias_dropout_add's backward, recorded under create_graph. Its adjoint:
    d(dout) = dropout_backward(g_dx + g_dbias broadcast over the rows)."""

    @staticmethod
    def forward(ctx, g, bspec):
        ctx.bspec = bspec
        return bias_backward(g, bspec)

    @staticmethod
    def backward(ctx, gdx, gdb):
        bspec = ctx.bspec
        total = gdx + gdb.to(gdx.dtype)  # broadcast over the rows: bias is x's last dimension
        return backward_autograd(total, bspec.elem), None


# ---- masks as tensors ----------------------------------------------------------------------------

def keep_mask(n, p, seed, offset=0):
    """bool tensor of n keep flags: keep(seed, offset + k, p) for k < n (docs/MASK_SPEC.md)."""
    bits = torch.empty((n + 7) >> 3, dtype=torch.uint8)
    rc = _lib.simdrop_mask(bits.data_ptr(), n, p, seed, offset)
    if rc:
        raise_status(rc, "simdrop_mask")
    out = torch.empty(n, dtype=torch.uint8)
    rc = _lib.simdrop_mask_to_bytes(out.data_ptr(), bits.data_ptr(), n)
    if rc:
        raise_status(rc, "simdrop_mask_to_bytes")
    return out.bool()


# ---- the C++ route of tiny calls (_glue.cpp) -----------------------------------------------------

def _load_glue():
    """(simdrop.torch._glue's dropout, or None; what NATIVE says). The module is the one
    $SIMDROP_TORCH_GLUE names (the build tree's, for the tests: then it must load, or import
    fails saying why), else the package's own (a wheel or meson install puts it beside this
    file). It is used only with the torch it was compiled against: its C++ calls into torch
    assume that torch's types."""
    path = os.environ.get("SIMDROP_TORCH_GLUE")
    try:
        if path:  # (loaded as an extension module whatever its name: never run as Python source)
            loader = importlib.machinery.ExtensionFileLoader("simdrop.torch._glue", path)
            spec = importlib.util.spec_from_file_location("simdrop.torch._glue", path, loader=loader)
            glue = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(glue)
        else:
            from . import _glue as glue
    except ImportError as e:
        if path:
            raise ImportError(f"simdrop.torch: cannot use SIMDROP_TORCH_GLUE={path}: {e}") from e
        return None, f"Python (simdrop.torch._glue is not in this installation: {e})"
    built, running = glue.torch_version(), ".".join(torch.__version__.split(".")[:2])
    if built != running:
        why = f"simdrop.torch._glue was compiled against torch {built}, this is torch {running}"
        if path:
            raise ImportError(f"simdrop.torch: cannot use SIMDROP_TORCH_GLUE={path}: {why}")
        return None, f"Python ({why})"
    glue.bind(torch.Tensor, GLUE_MAX, REGEN_MAX,
              *(ctypes.cast(getattr(_lib, name.format(t)), ctypes.c_void_p).value
                for t in _SUFFIX.values()
                for name in _NAMES[ELEMENT] + _NAMES[GROUPS] + _NHWC_NAMES[GROUPS]))
    return glue.dropout, f"C++ (simdrop.torch._glue, compiled against torch {built})"


# glue_dropout(x, p, inplace, group_len, save_mask): the result of functional.dropout (group_len
# 0) or of dropout1d/2d/3d (group_len: the elements of a channel) for a call it takes (contiguous
# or channels-last, at most GLUE_MAX elements, ...: _glue.cpp), else None. Up to GLUE_MAX
# because the buffers of larger calls get huge pages advised (empty_same), which the Python
# route does.
GLUE_MAX = _HUGE_ELEMENTS - 1
glue_dropout, NATIVE = _load_glue()


def saved_mask(grad_fn):
    """The 1-bit mask (a uint8 tensor) the autograd node of a dropout keeps for its backward,
    None where the backward regenerates it: the C++ route's node or DropoutFunction's."""
    if glue_dropout is not None and grad_fn.name() == "SimdropDropoutBackward":
        return glue_dropout.__self__.saved_mask(grad_fn)
    return grad_fn.spec.mask
