"""_library.py: simdrop's operations as PyTorch operators, torch.ops.simdrop.*, through torch.library.

The tools that work on whole models (torch.jit.trace and script, torch.fx, torch.compile and
torch.export) see operators, never a ctypes call, so every operation is registered here, laid out
the way ATen lays out aten::dropout:

  dropout(input, p, train, save_mask)         the public operators, one per functional form, with
  dropout1d / dropout2d / dropout3d            its argument checks, warnings and eval/p=0 identity;
  alpha_dropout / feature_alpha_dropout        CompositeImplicitAutograd kernels that call the
  drop_path / bias_dropout_add                 native operators below (what aten::dropout does
                                               with aten::native_dropout)
  native_dropout(input, p, groups, alpha, save_mask, scale) -> (output, mask, seed)
  native_dropout_backward(grad, mask, seed, p, groups, alpha, layout, scale) -> grad_input
  (scale=False: dropout without rescaling, drop_path's scale_by_keep=False; a trailing argument
  with a default, so graphs recorded before it existed still load)
  native_bias_dropout_add(input, bias, residual, p, save_mask) -> (output, mask, seed)
  native_bias_dropout_add_backward(grad, mask, seed, p, dbias) -> (grad_input, grad_bias)

Each native operator has a CPU kernel (the C library, through _ops.forward/backward: the same
code as the eager route, so both give the same bits), the same function as its CUDA kernel (_ops
runs libsimdrop_cuda for a CUDA tensor), a Meta kernel (shapes, strides and dtypes without data:
shape propagation, FakeTensor, torch.compile) and an Autograd kernel (an autograd.Function whose
forward calls the operator below autograd and whose backward calls the backward operator; the
backward operators have one too, so double backward works).

The seed is drawn inside native_dropout's kernel from torch's default CPU generator (one draw, as
the eager route draws it, whatever the device), the way aten::dropout draws its randomness: a
traced, scripted or compiled model gets a fresh mask on every call, never a seed baked into the
graph. The seed comes back as a 0-d int64 tensor on the input's device with the 1-bit mask (empty
with save_mask=False: the backward then regenerates the mask from the seed), which is all the
backward needs (on a GPU, reading it back costs the backward operator one wait for the stream).

The random operators are declared with CONSERVATIVE alias analysis (and, where the torch version
has operator tags, nondeterministic_seeded): TorchScript would otherwise treat two identical calls
as one common subexpression and give both the same mask.
"""
import torch

from . import _ops, _sharding as _sh, functional as F
from ._ops import ALPHA, ELEMENT, GROUPS, UNSCALED, Spec

_lib = torch.library.Library("simdrop", "DEF")

_RANDOM = [
    "dropout(Tensor input, float p=0.5, bool train=True, bool save_mask=True) -> Tensor",
    "dropout1d(Tensor input, float p=0.5, bool train=True, bool save_mask=True) -> Tensor",
    "dropout2d(Tensor input, float p=0.5, bool train=True, bool save_mask=True) -> Tensor",
    "dropout3d(Tensor input, float p=0.5, bool train=True, bool save_mask=True) -> Tensor",
    "alpha_dropout(Tensor input, float p=0.5, bool train=False, bool save_mask=True) -> Tensor",
    "feature_alpha_dropout(Tensor input, float p=0.5, bool train=False, bool save_mask=True) -> Tensor",
    "drop_path(Tensor input, float p=0.0, bool train=False, bool scale_by_keep=True, "
    "bool save_mask=True) -> Tensor",
    "bias_dropout_add(Tensor input, Tensor? bias, Tensor? residual, float p=0.5, bool train=True, "
    "bool save_mask=True) -> Tensor",
    "native_dropout(Tensor input, float p, int groups, bool alpha, bool save_mask, bool scale=True) "
    "-> (Tensor output, Tensor mask, Tensor seed)",
    "native_bias_dropout_add(Tensor input, Tensor? bias, Tensor? residual, float p, bool save_mask) "
    "-> (Tensor output, Tensor mask, Tensor seed)",
]
_DETERMINISTIC = [
    "native_dropout_backward(Tensor grad, Tensor mask, Tensor seed, float p, int groups, bool alpha, "
    "int[] layout, bool scale=True) -> Tensor",
    "native_bias_dropout_add_backward(Tensor grad, Tensor mask, Tensor seed, float p, bool dbias) "
    "-> (Tensor grad_input, Tensor grad_bias)",
]

_seeded = getattr(getattr(torch, "Tag", None), "nondeterministic_seeded", None)
for _schema in _RANDOM:
    try:
        _lib.define(_schema, "CONSERVATIVE", tags=() if _seeded is None else (_seeded,))
    except TypeError:  # torch < 2.1: Library.define takes no tags
        _lib.define(_schema, "CONSERVATIVE")
for _schema in _DETERMINISTIC:
    _lib.define(_schema)

# The overloads themselves: calling an OpOverloadPacket resolves the overload on every call.
_native_dropout = torch.ops.simdrop.native_dropout.default
_native_dropout_backward = torch.ops.simdrop.native_dropout_backward.default
_native_bias_dropout_add = torch.ops.simdrop.native_bias_dropout_add.default
_native_bias_dropout_add_backward = torch.ops.simdrop.native_bias_dropout_add_backward.default


if hasattr(torch._C._AutoDispatchBelowAutograd, "__enter__"):
    _BelowAutograd = torch._C._AutoDispatchBelowAutograd  # 2.x: a context manager
else:
    class _BelowAutograd:
        """`with _BelowAutograd():` calls an operator's own kernels from its Autograd kernel
        (torch 1.13 has the guard as an object that acts while it lives)."""
        __slots__ = ("guard",)

        def __enter__(self):
            self.guard = torch._C._AutoDispatchBelowAutograd()

        def __exit__(self, *exc):
            del self.guard
            return False


def _below_autograd(ctx, op, *args):
    """A random operator's forward inside its autograd.Function: op's own kernels, its mask and
    seed kept for the backward (not differentiable)."""
    with _BelowAutograd():
        out, mask, seed = op(*args)
    ctx.mark_non_differentiable(mask, seed)
    ctx.save_for_backward(mask, seed)
    return out, mask, seed


def _autograd_kernel(function, op, inputs):
    """The Autograd kernel of op: the autograd.Function `function` when autograd records the call
    (grad mode on, one of the first `inputs` arguments requires grad), else op's own kernels."""
    def kernel(*args):
        if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in args[:inputs]):
            return function.apply(*args)
        with _BelowAutograd():
            return op(*args)
    return kernel


# ---- argument checks shared by the CPU and Meta kernels -----------------------------------------

def _split(input, groups, fname):
    """group_len of input's elements in `groups` equal groups, checked (the operators are public)."""
    n = input.numel()
    if groups < 0 or (groups == 0 and n) or (groups and n % groups):
        raise ValueError(f"simdrop::{fname}: groups={groups} does not split the input's {n} "
                         "elements into equal groups")
    return n // groups if groups else 1


def _kernels(input, groups, alpha, scale, fname, what="input"):
    if alpha:
        kind = ALPHA
    elif not scale:
        kind = UNSCALED  # (group_len 1 is its element dropout)
    else:
        kind = ELEMENT if groups == input.numel() else GROUPS
    return _ops.kernels(kind, input, fname, what)


def _check_mask(mask, seed, bits, fname, grad):
    """The mask and seed a backward operator got: the forward's, or it would read out of bounds
    (or on another device)."""
    _ops.same_device(grad, mask, fname, "mask")
    if mask.dtype != torch.uint8 or mask.dim() != 1 or not mask.is_contiguous() or \
            mask.numel() not in (0, (bits + 7) >> 3):
        raise ValueError(f"simdrop::{fname}: mask must be the forward's 1-bit mask, a contiguous "
                         f"uint8 tensor of {(bits + 7) >> 3} bytes (or 0 bytes: regenerated from "
                         f"the seed), got {mask.dtype} of shape {tuple(mask.shape)}")
    if seed.dtype != torch.int64 or seed.numel() != 1:
        raise ValueError(f"simdrop::{fname}: seed must be the forward's 0-d int64 seed tensor")


def _check_layout(grad, layout, fname):
    if layout and (len(layout) != grad.dim() or not _ops._dense(grad.shape, layout)):
        raise ValueError(f"simdrop::{fname}: layout {list(layout)} is not the strides of a dense "
                         f"tensor of shape {tuple(grad.shape)}")


def _contiguous_like(t):
    """What the CPU kernels allocate for a result in contiguous layout: t's strides when t is
    contiguous (_ops.empty_same), else the contiguous ones (_ops.empty_strided(t, None))."""
    if t.is_contiguous():
        return torch.empty_like(t)
    return torch.empty_like(t, memory_format=torch.contiguous_format)


# ---- native_dropout ------------------------------------------------------------------------------

def _native_dropout_cpu(input, p, groups, alpha, save_mask, scale=True):
    glen = _split(input, groups, "native_dropout")
    k = _kernels(input, groups, alpha, scale, "native_dropout")
    p = F.check_p(p)
    seed_t, seed = _seed(p, input, "native_dropout")
    spec = Spec(k, p, seed, groups, glen)
    out = _ops.forward(input, spec, False, save_mask)
    mask = spec.mask if save_mask else input.new_empty(0, dtype=torch.uint8)
    return out, mask, seed_t


def _native_dropout_meta(input, p, groups, alpha, save_mask, scale=True):
    glen = _split(input, groups, "native_dropout")
    _ops.check_meta(input, "native_dropout")
    F.check_p(p)
    strides = None if input.is_contiguous() else _ops.plan(input, groups, glen != 1)[1]
    out = _contiguous_like(input) if strides is None else input.new_empty_strided(input.shape, strides)
    mask = input.new_empty(((groups + 7) >> 3) if save_mask else 0, dtype=torch.uint8)
    return out, mask, input.new_empty((), dtype=torch.int64)


class _NativeDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, p, groups, alpha, save_mask, scale=True):
        runs = groups != 0 and input.numel() // groups != 1  # groups as runs of memory: contiguous
        ctx.args = (p, groups, alpha, _ops.kernel_layout(input, groups, runs), scale)
        return _below_autograd(ctx, _native_dropout, input, p, groups, alpha, save_mask, scale)

    @staticmethod
    def backward(ctx, grad, _grad_mask, _grad_seed):
        mask, seed = ctx.saved_tensors
        return ((_native_dropout_backward(grad, mask, seed, *ctx.args),)
                + (None,) * (len(ctx.needs_input_grad) - 1))


def _native_dropout_backward_cpu(grad, mask, seed, p, groups, alpha, layout, scale=True):
    glen = _split(grad, groups, "native_dropout_backward")
    k = _kernels(grad, groups, alpha, scale, "native_dropout_backward", "grad")
    _check_mask(mask, seed, groups, "native_dropout_backward", grad)
    _check_layout(grad, layout, "native_dropout_backward")
    spec = Spec(k, F.check_p(p), int(seed) & _ops.U64, groups, glen)
    spec.mask = mask if mask.numel() else None
    spec.strides = tuple(layout) if layout else None
    if grad.numel() == 0:
        return torch.empty_like(grad)
    return _ops.backward(grad, spec)


def _native_dropout_backward_meta(grad, mask, seed, p, groups, alpha, layout, scale=True):
    _split(grad, groups, "native_dropout_backward")
    _ops.check_meta(grad, "native_dropout_backward", "grad")
    _check_mask(mask, seed, groups, "native_dropout_backward", grad)
    _check_layout(grad, layout, "native_dropout_backward")
    return grad.new_empty_strided(grad.shape, layout) if layout else _contiguous_like(grad)


class _NativeDropoutBackward(torch.autograd.Function):
    """The backward is linear in grad and its own adjoint: its gradient is itself again."""

    @staticmethod
    def forward(ctx, grad, mask, seed, *args):
        with _BelowAutograd():
            out = _native_dropout_backward(grad, mask, seed, *args)
        ctx.save_for_backward(mask, seed)
        ctx.args = args
        return out

    @staticmethod
    def backward(ctx, gg):
        mask, seed = ctx.saved_tensors
        return (_native_dropout_backward(gg, mask, seed, *ctx.args),) + (None,) * (2 + len(ctx.args))


# ---- native_bias_dropout_add -----------------------------------------------------------------------

def _seed(p, input, fname):
    """(seed tensor on input's device, seed): one draw, none for p == 0. Refused inside samples()
    or site_seeds() on this thread: the eager route never reaches here there, a scripted model or
    a graph recorded earlier does, and its draw would give a mask that depends on the layout."""
    if _sh.ACTIVE[0] and _sh.in_mode(None):
        raise F.operator_refusal(fname)
    if p == 0:
        return input.new_zeros((), dtype=torch.int64), 0
    return _ops.seed_tensor(input.device)


def _native_bias_dropout_add_cpu(input, bias, residual, p, save_mask):
    p = F.check_p(p)
    k, rows, cols = F.check_bias_dropout_add(input, bias, residual, "native_bias_dropout_add")
    seed_t, seed = _seed(p, input, "native_bias_dropout_add")
    elem = Spec(_ops.kernels(ELEMENT, input, "native_bias_dropout_add"), p, seed, input.numel(), 1)
    bspec = _ops.BiasSpec(k, elem, rows, cols, None)
    out = _ops.bias_forward(*F.plain3(input, bias, residual), bspec, save_mask)
    mask = elem.mask if save_mask else input.new_empty(0, dtype=torch.uint8)
    return out, mask, seed_t


def _native_bias_dropout_add_meta(input, bias, residual, p, save_mask):
    F.check_p(p)
    for name, t in (("input", input), ("bias", bias), ("residual", residual)):
        if t is not None:
            _ops.check_meta(t, "native_bias_dropout_add", name)
    F.bias_args(input, bias, residual, "native_bias_dropout_add")
    mask = input.new_empty(((input.numel() + 7) >> 3) if save_mask else 0, dtype=torch.uint8)
    return _contiguous_like(input), mask, input.new_empty((), dtype=torch.int64)


class _NativeBiasDropoutAdd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, bias, residual, p, save_mask):
        ctx.p = p
        ctx.bias_dtype = None if bias is None else bias.dtype
        return _below_autograd(ctx, _native_bias_dropout_add, input, bias, residual, p, save_mask)

    @staticmethod
    def backward(ctx, grad, _grad_mask, _grad_seed):
        need_x, need_b, need_r = ctx.needs_input_grad[:3]
        mask, seed = ctx.saved_tensors
        dx = db = None
        if need_x or need_b:
            dx, db = _native_bias_dropout_add_backward(grad, mask, seed, ctx.p, need_b)
            db = db.to(ctx.bias_dtype) if need_b else None
        return (dx if need_x else None), db, (grad if need_r else None), None, None


def _native_bias_dropout_add_backward_cpu(grad, mask, seed, p, dbias):
    k = _ops.kernels(_ops.BIAS_ADD, grad, "native_bias_dropout_add_backward", "grad")
    _check_mask(mask, seed, grad.numel(), "native_bias_dropout_add_backward", grad)
    rows, cols = F.rows_cols(grad)
    p = F.check_p(p)
    elem = Spec(_ops.kernels(ELEMENT, grad, "native_bias_dropout_add_backward", "grad"), p,
                int(seed) & _ops.U64, grad.numel(), 1)
    elem.mask = mask if mask.numel() else None
    if not dbias:
        return _ops.backward(grad, elem), grad.new_empty(0)
    return _ops.bias_backward(grad, _ops.BiasSpec(k, elem, rows, cols, _dbias_dtype(grad)))


def _dbias_dtype(grad):
    return torch.float64 if grad.dtype == torch.float64 else torch.float32


def _native_bias_dropout_add_backward_meta(grad, mask, seed, p, dbias):
    _ops.check_meta(grad, "native_bias_dropout_add_backward", "grad")
    _check_mask(mask, seed, grad.numel(), "native_bias_dropout_add_backward", grad)
    cols = F.rows_cols(grad)[1] if dbias else 0
    return _contiguous_like(grad), grad.new_empty(cols, dtype=_dbias_dtype(grad))


class _NativeBiasDropoutAddBackward(torch.autograd.Function):
    """(dx, dbias), recorded under create_graph. Its adjoint: d(grad) = dropout_backward(g_dx +
    g_dbias broadcast over the rows), the element dropout backward of the same mask and seed."""

    @staticmethod
    def forward(ctx, grad, mask, seed, p, dbias):
        with _BelowAutograd():
            out = _native_bias_dropout_add_backward(grad, mask, seed, p, dbias)
        ctx.save_for_backward(mask, seed)
        ctx.p = p
        ctx.dbias = dbias
        return out

    @staticmethod
    def backward(ctx, gdx, gdb):
        mask, seed = ctx.saved_tensors
        total = gdx + gdb.to(gdx.dtype) if ctx.dbias else gdx
        dgrad = _native_dropout_backward(total, mask, seed, ctx.p, total.numel(), False, [])
        return dgrad, None, None, None, None


# ---- the public operators (CompositeImplicitAutograd: they decompose into the native ones) -------

def _wants_mask(save_mask, *tensors):
    """Keep a mask only when autograd will use it (as the eager route does)."""
    return save_mask and torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in tensors)


def _native(input, p, groups, alpha, save_mask, scale=True):
    return _native_dropout(input, p, groups, alpha, _wants_mask(save_mask, input), scale)[0]


def _dropout(input, p=0.5, train=True, save_mask=True):
    split = F.element_split(input, p, train)
    return input if split is None else _native(input, p, split[0], False, save_mask)


def _feature(fname, alpha=False):
    def kernel(input, p=0.5, train=True if not alpha else False, save_mask=True):
        split = F.feature_split(input, p, train, fname)
        if split is None:
            return input
        groups, glen, batched = split
        if glen == 1 and not input.is_contiguous():  # (functional._channels_as_elements)
            out = _native(input.contiguous(), p, groups, alpha, save_mask)
            strides = _ops.plan(input, groups, False, True)[1]
            return out if strides is None else out.new_empty_strided(input.shape, strides).copy_(out)
        if batched:
            return _native(input, p, groups, alpha, save_mask)
        return _native(input.unsqueeze(0), p, groups, alpha, save_mask).squeeze(0)
    return kernel


def _alpha_dropout(input, p=0.5, train=False, save_mask=True):
    split = F.element_split(input, p, train)
    return input if split is None else _native(input, p, split[0], True, save_mask)


def _drop_path(input, p=0.0, train=False, scale_by_keep=True, save_mask=True):
    split = F.drop_path_split(input, p, train)
    return input if split is None else _native(input, p, split[0], False, save_mask, scale_by_keep)


def _bias_dropout_add(input, bias, residual, p=0.5, train=True, save_mask=True):
    F.check_p(p)
    return _native_bias_dropout_add(input, bias, residual, float(p) if train else 0.0,
                                       _wants_mask(save_mask, input, bias))[0]


_KERNELS = {  # operator: (CPU, Meta, Autograd kernels)
    "native_dropout": (_native_dropout_cpu, _native_dropout_meta,
                       _autograd_kernel(_NativeDropout, _native_dropout, 1)),
    "native_dropout_backward": (_native_dropout_backward_cpu, _native_dropout_backward_meta,
                                _autograd_kernel(_NativeDropoutBackward, _native_dropout_backward, 1)),
    "native_bias_dropout_add": (_native_bias_dropout_add_cpu, _native_bias_dropout_add_meta,
                                _autograd_kernel(_NativeBiasDropoutAdd, _native_bias_dropout_add, 3)),
    "native_bias_dropout_add_backward": (
        _native_bias_dropout_add_backward_cpu, _native_bias_dropout_add_backward_meta,
        _autograd_kernel(_NativeBiasDropoutAddBackward, _native_bias_dropout_add_backward, 1)),
}
_COMPOSITE = {"dropout": _dropout, "dropout1d": _feature("dropout1d"), "dropout2d": _feature("dropout2d"),
              "dropout3d": _feature("dropout3d"), "alpha_dropout": _alpha_dropout,
              "feature_alpha_dropout": _feature("feature_alpha_dropout", alpha=True), "drop_path": _drop_path,
              "bias_dropout_add": _bias_dropout_add}
for _name, _by_key in _KERNELS.items():
    for _key, _fn in zip(("CPU", "Meta", "Autograd"), _by_key):
        _lib.impl(_name, _fn, _key)
    _lib.impl(_name, _by_key[0], "CUDA")  # the same code: _ops picks libsimdrop_cuda by device
for _name, _fn in _COMPOSITE.items():
    _lib.impl(_name, _fn, "CompositeImplicitAutograd")
