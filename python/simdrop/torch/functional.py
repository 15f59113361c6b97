"""simdrop.torch.functional: torch.nn.functional's dropout functions, run by simdrop's C kernels.

Same signatures, defaults, checks, warnings and eval/p=0 behaviour as PyTorch 1.13's (the input
itself comes back when not training, when p == 0 or when it is empty), plus keyword-only
arguments PyTorch does not have:

  generator  the torch.Generator that the call's 64-bit seed is drawn from (default: torch's
             default CPU generator, so torch.manual_seed(s) reproduces a run)
  save_mask  True (default): autograd keeps the 1-bit mask (n/8 bytes); False: it keeps nothing
             and backward regenerates the mask from the seed
  site       the call's stable name: inside simdrop.torch.site_seeds(base, step) its seed is
             site_seed(base, site, step) (ignored outside)
  block      {dim: (start, global_size)}: input is that block of a global tensor, and gets the
             global tensor's keep decisions there (with samples(), a DTensor's placements: see
             _sharding.py and docs/PYTORCH.md, "Sharded runs")

Each call draws one seed and covers the whole tensor as one index space from offset 0 (see
_ops.py): every element, and so every sample of a batch, has its own keep decision. The mask a
call used can be recomputed: draw the same seed (draw_seed with the generator in the same state)
and call keep_mask(numel, p, seed) (numel = number of groups for the channel/feature forms).

Two routes, the same bits: a plain eager call goes straight to the C library (ctypes and an
autograd.Function: the least overhead per call; an element or channel call on a contiguous
tensor below the huge-page size, one call into C++ where the package has simdrop.torch._glue:
_ops.glue_dropout); while torch.jit.trace, torch.fx, torch.compile
or torch.export is tracing, or for a tensor subclass, the call is the registered operator
torch.ops.simdrop.<name> (_library.py), which those tools record, and whose CPU kernel runs the
same code (a tensor on device "meta" gets the operator's Meta kernel: shapes and layout only). On that route generator= cannot be given (the operator draws from torch's default
generator, as aten::dropout does), and inplace=True is the operator followed by input.copy_().
TorchScript code calls the operators itself: torch.ops.simdrop.dropout(x, p, train) and so on
(the modules do). The result has the layout PyTorch's own dropout gives the same input.

Values (docs/MASK_SPEC.md 4): given the mask, f32/f64 results and gradients equal PyTorch's
`input * mask * (1/(1-p))` bit for bit, bf16/f16 ones `(input.float() * mask * s).to(dtype)`
(PyTorch's own bf16 dropout rounds the scale to bf16 first; simdrop does not). Alpha dropout is
PyTorch's `input * noise + b` for f32/f64.

Layouts: every strided tensor PyTorch's functions take. Dense ones run where they lie (element
dropout in memory order; channel dropout on channels_last / channels_last_3d memory by the C
library's NHWC functions, with the mask bits of the contiguous tensor); others are copied once.
inplace=True writes the input's own memory, computing aside and copying in only where the
kernels cannot run on it.

Devices: CPU tensors run the C library, CUDA tensors libsimdrop_cuda (found beside it, or at
$SIMDROP_CUDA_LIBRARY) on torch's current stream, with the same masks and bits: the seed comes
from the same generator, so torch.manual_seed(s) gives the same masks on either device; the
1-bit mask autograd keeps lives on the tensor's device.

Not supported, with an error saying so (never a silent fallback to PyTorch's kernels): other
devices, dtypes other than float32/float64/bfloat16/float16, sparse layouts.
"""
import warnings

import torch
from torch import Tensor
from torch.autograd import forward_ad as _fwad

from . import _ops, _sharding as _sh
from ._ops import ALPHA, BIAS_ADD, ELEMENT, GROUPS, UNSCALED, Spec

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "drop_path", "bias_dropout_add"]

_P_MSG = "dropout probability has to be between 0 and 1, but got {}"
_graph_mode = _ops.graph_mode


def check_p(p):
    """p as a float; PyTorch's ValueError for NaN or outside [0, 1]."""
    if not (0.0 <= p <= 1.0):  # NaN too (PyTorch lets NaN reach its C++ check, which raises)
        raise ValueError(_P_MSG.format(p))
    return float(p)


# ---- what each form does with its input: shared by the eager route and the operators -------------
# Each returns None when the input itself is the result (not training, p == 0, empty), else
# (groups, group_len): the number of keep decisions and the elements each covers (feature_split
# also says whether the input has its batch dimension).

def element_split(input, p, training):
    check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return None
    return input.numel(), 1


_DIMS = {"dropout1d": (2, 3), "dropout2d": (3, 4), "dropout3d": (4, 5)}


def feature_split(input, p, training, fname):
    """Channel dropout (dropout1d/2d/3d) and feature alpha dropout: one decision per (N, C).
    An input without its batch dimension is run as PyTorch runs it: with one in front (unsqueeze
    and squeeze: the same bits, and PyTorch's result layout)."""
    check_p(p)
    inp_dim = input.dim()
    batched = True
    if fname == "dropout1d":
        if inp_dim not in (2, 3):
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
                               "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                               "spatial dimension, a channel dimension, and an optional batch dimension "
                               "(i.e. 2D or 3D inputs).")
        batched = inp_dim == 3
    elif fname in _DIMS:
        spatial = "2" if fname == "dropout2d" else "3"
        if inp_dim not in _DIMS[fname]:
            warnings.warn(f"{fname}: Received a {inp_dim}-D input to {fname}, which is deprecated "
                          "and will result in an error in a future release. To retain the behavior "
                          f"and silence this warning, please use dropout instead. Note that {fname} "
                          f"exists to provide channel-wise dropout on inputs with {spatial} spatial "
                          "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                          f"{int(spatial) + 1}D or {int(spatial) + 2}D inputs).")
        if fname == "dropout2d" and inp_dim == 3:
            warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                          "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                          "is the channel dim. This behavior will change in a future release to interpret the "
                          "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
                          "channel-wise dropout behavior, please switch to using dropout1d instead.")
        batched = fname == "dropout2d" or inp_dim == 5
    if not training or p == 0 or input.numel() == 0:
        return None
    shape = input.shape if batched else (1,) + tuple(input.shape)
    if len(shape) < 2:
        if p == 1:  # PyTorch returns input * 0 before it checks the dimensions: one group, dropped
            return 1, input.numel(), batched
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    groups = shape[0] * shape[1]
    return groups, input.numel() // groups, batched


def drop_path_split(x, drop_prob, training):
    """Drop-path: one decision per sample x[b]."""
    check_p(drop_prob)
    if drop_prob == 0.0 or not training:
        return None
    if x.dim() == 0:
        raise ValueError("simdrop.torch.drop_path: input needs a batch dimension (got a 0-d tensor)")
    if x.numel() == 0:
        return None
    return x.shape[0], x.numel() // x.shape[0]


def rows_cols(x):
    """(rows, cols) of bias_dropout_add: cols is the last dimension."""
    cols = x.shape[-1] if x.dim() else 1
    return (x.numel() // cols if cols else 0), cols


def bias_args(input, bias, residual, fname):
    """(rows, cols) of a bias_dropout_add call, the dtypes and shapes checked."""
    rows, cols = rows_cols(input)
    for name, t in (("bias", bias), ("residual", residual)):
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"simdrop.torch.{fname}: {name} has dtype {t.dtype}, input {input.dtype}")
    if bias is not None and tuple(bias.shape) != (cols,):
        raise ValueError(f"simdrop.torch.{fname}: bias has shape {tuple(bias.shape)}; it must be "
                         f"({cols},), input's last dimension (no other broadcasting)")
    if residual is not None and residual.shape != input.shape:
        raise ValueError(f"simdrop.torch.{fname}: residual has shape {tuple(residual.shape)}, "
                         f"input {tuple(input.shape)}; they must be equal")
    return rows, cols


def check_bias_dropout_add(input, bias, residual, fname):
    """(kernels, rows, cols) of a bias_dropout_add call, every argument checked."""
    k = _ops.kernels(BIAS_ADD, input, fname)
    for name, t in (("bias", bias), ("residual", residual)):
        if t is not None:
            _ops.same_device(input, t, fname, name)
            _ops.kernels(BIAS_ADD, t, fname, name)
    return (k,) + bias_args(input, bias, residual, fname)


def plain3(*tensors):
    """The tensors (or None) as the kernels read them (_ops.plain)."""
    return tuple(t if t is None else _ops.plain(t) for t in tensors)


# ---- the two routes ---------------------------------------------------------------------------------

def _refuse_tangents(fname, *tensors):
    """Forward-mode AD (torch.autograd.forward_ad) is refused, not dropped: the kernels would
    return no tangent, or one that ignores the mask. The check costs one read outside a
    dual_level() (torch's _current_level; where a torch lacks it, every call unpacks)."""
    if getattr(_fwad, "_current_level", 0) >= 0 and any(
            t is not None and _fwad.unpack_dual(t).tangent is not None for t in tensors):
        raise NotImplementedError(
            f"simdrop.torch.{fname}: forward-mode AD (torch.autograd.forward_ad) is not supported: "
            "the input is a dual tensor, whose tangent the kernels would not carry. Use "
            "reverse-mode autograd, or torch.nn.functional's dropout for forward-mode AD.")


def _run(kind, input, p, inplace, generator, save_mask, fname, groups, glen, seed=None):
    """The eager route of every element/group/alpha form once dropout is to be applied (seed:
    the call's seed when already known, else one draw of generator)."""
    _refuse_tangents(fname, input)
    k = _TABLES[kind].get(input.dtype)
    if k is None or not input.is_cpu or input.layout is not _strided:
        if not input.is_cuda:
            return _unusual(kind, input, p, inplace, generator, save_mask, fname, groups)
        k = _ops.kernels(kind, input, fname)  # libsimdrop_cuda's; the rest is the same code
    if inplace:
        # The kernels write where the input lies when they can run on its memory (any dense
        # layout; channel dropout: each channel a run, or channels-last); otherwise the result is
        # computed aside and copied in, which is what PyTorch's own in-place dropout does there.
        if (input.is_neg() or input.data_ptr() & k.misalign
                or not _ops.inplace_ok(input, groups, k.grouped and glen != 1)
                or (input._base is not None and input.requires_grad and torch.is_grad_enabled())):
            return _inplace_aside(kind, input, p, generator, save_mask, fname, groups, glen, seed)
        _ops.check_inplace_autograd(input)
    elif input.is_neg():  # a lazily negated view (x.conj().imag): its memory holds -input
        input = input.resolve_neg()
    if seed is None:
        seed = _ops.draw_seed(generator)
    if input.requires_grad and torch.is_grad_enabled():
        # (a mask of at most REGEN_MAX elements' bits costs more to allocate than to regenerate)
        return _ops.DropoutFunction.apply(input, Spec(k, float(p), seed, groups, glen, inplace,
                                                      save_mask and groups * glen > _ops.REGEN_MAX))
    y = _ops.forward(input, Spec(k, float(p), seed, groups, glen), inplace, False)
    if inplace:
        _ops.bump_version(input)
    return y


_TABLES = _ops.TABLES
_NOISE_MAX = _ops.NOISE_MAX
_NOISE_KERNELS = {dtype: k for dtype, k in _TABLES[ELEMENT].items() if k.ones is not None}
_grad_enabled = torch.is_grad_enabled
_strided = torch.strided
_glue = _ops.glue_dropout


def _unusual(kind, input, p, inplace, generator, save_mask, fname, groups):
    """_run on an input the kernels cannot take: a meta tensor (a model run on device="meta" for
    its shapes) gets the operator's Meta kernel; anything else the error that says why."""
    try:
        _ops.kernels(kind, input, fname)
    except RuntimeError:
        if not input.is_meta:
            raise
    _no_generator(generator, fname)
    out = torch.ops.simdrop.native_dropout(input, p, groups, kind is ALPHA, save_mask,
                                           kind is not UNSCALED)[0]
    return inplace_result(out, input, inplace)


def _inplace_aside(kind, input, p, generator, save_mask, fname, groups, glen, seed):
    """inplace=True on a tensor whose memory the kernel must not write directly: a lazily negated
    one (its memory holds -input), one not aligned for its dtype, one whose layout the kernels
    cannot run in (a view with gaps, channels in no run and not channels-last: computed in a
    dense copy, the only way), or a view that autograd tracks. PyTorch checks a view's
    in-place use (a view from unbind or split, one made in no_grad mode, a view of a leaf) when
    an in-place op is recorded, which for an autograd.Function is after its forward has written.
    So the result is computed out of place and written by input.copy_(), PyTorch's own in-place
    op: it refuses such a view with PyTorch's message before writing anything, records the
    gradient, and negates into a negated tensor."""
    out = _run(kind, input.resolve_neg(), p, False, generator, save_mask, fname, groups, glen, seed)
    return input.copy_(out)


def _no_generator(generator, fname):
    if generator is not None:
        raise RuntimeError(
            f"simdrop.torch.{fname}: generator= cannot be used while the call is traced, scripted "
            "or compiled (torch.jit.trace, torch.fx, torch.compile, torch.export, tensor "
            "subclasses): the recorded operator torch.ops.simdrop." + fname + " draws its seed "
            "from torch's default CPU generator, as aten::dropout does. Seed that one with "
            "torch.manual_seed, or call without generator=.")


def inplace_result(out: Tensor, input: Tensor, inplace: bool) -> Tensor:
    """The operator route's inplace=True: the result written back into input (TorchScript too)."""
    return input.copy_(out) if inplace else out


def _sharded(kind, input, p, inplace, generator, save_mask, fname, groups, glen, site, block, ddims):
    """An eager call while site_seeds()/samples() is open somewhere or with a block: the seed
    from the site (or the generator), and the global indices from the block (_sharding.py; the
    keep decisions are the grid of input's first ddims dimensions)."""
    _refuse_tangents(fname, input)
    seed = _sh.seed_of(site, generator, fname)
    bl = _sh.plan(input, block, ddims, fname)
    if bl is None:  # the whole global tensor: the plain route with this seed
        if kind is not ELEMENT and ddims == 2 and glen == 1 and not input.is_contiguous():
            return _channels_as_elements(kind, input, p, inplace, generator, save_mask, fname, groups, seed)
        if ddims != input.dim() or input.is_contiguous() or not _sh.in_mode(block):
            return _run(kind, input, p, inplace, generator, save_mask, fname, groups, glen, seed)
        # Element decisions of a tensor in another layout (channels_last, a permutation): the
        # plain route makes them in memory order, a block in row-major order, so in the mode
        # the whole tensor runs as a block, or a rank holding all of it would not get the masks
        # of ranks holding parts of it.
        bl = _sh.whole(input)
    return _sh.run_blocks(kind, input, p, inplace, seed, fname, glen, bl)


def _operator_route(input, generator, site, block, fname, call):
    """What a call on the operator route cannot do: a DTensor runs eagerly on its local shard as
    the block its placements say (call(local, block) is the eager call); generator=, blocks and
    site seeds cannot go into the recorded operator (it draws from the default generator)."""
    if call is not None and _sh.is_dtensor(input):
        return _sh.on_dtensor(input, block, call, fname)
    _no_generator(generator, fname)
    if block is not None or (_sh.ACTIVE[0] and _sh.in_mode(None)):
        raise operator_refusal(fname)
    return None


def operator_refusal(fname):
    """The error of a call that would reach a recorded operator with a block or in a layout mode:
    the operator cannot carry them (the eager route's check, and the operators' own kernels',
    which a scripted model or a graph recorded earlier reaches directly)."""
    return RuntimeError(
        f"simdrop.torch.{fname}: blocks, samples() and site_seeds() apply to eager calls (and "
        "DTensors) only: this call is traced, scripted or compiled (torch.jit.trace, torch.jit.script, "
        "torch.fx, a dispatch mode, a tensor subclass), and the recorded operator "
        f"torch.ops.simdrop.{fname} draws its seed from torch's default CPU generator over the "
        "whole tensor. Run the model eagerly for layout-independent masks.")


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True,
            site=None, block=None):
    """torch.nn.functional.dropout: zero each element with probability p, scale the rest by 1/(1-p).
    site: the call's stable name inside site_seeds(); block: {dim: (start, global_size)}, the
    part of the global tensor that input is (simdrop.torch.site_seeds, docs/PYTORCH.md)."""
    if _graph_mode(input):
        out = _operator_route(input, generator, site, block, "dropout", lambda x, b: dropout(
            x, p, training, inplace, generator=generator, save_mask=save_mask, site=site, block=b))
        if out is not None:
            return out
        return inplace_result(torch.ops.simdrop.dropout(input, p, training, save_mask), input, inplace)
    if not (0.0 <= p <= 1.0):  # element_split's checks, inline: the hottest path
        raise ValueError(_P_MSG.format(p))
    if not training or p == 0:
        return input
    if _glue is not None and generator is None and block is None and not _sh.ACTIVE[0]:
        out = _glue(input, p, inplace, 0, save_mask)  # one call into C++ (_ops.glue_dropout)
        if out is not None:
            return out
    n = input.numel()
    if _sh.ACTIVE[0] or block is not None:
        if n == 0:
            return input
        return _sharded(ELEMENT, input, p, inplace, generator, save_mask, "dropout", n, 1, site, block,
                        input.dim())
    if n <= _NOISE_MAX:
        if n == 0:
            return input
        # a tiny call under autograd: PyTorch's x * noise (_ops.NOISE_MAX says why), float32/float64
        k = _NOISE_KERNELS.get(input.dtype)
        if k is not None and input.requires_grad and _grad_enabled() and input.is_cpu \
                and input.layout is _strided and input.is_contiguous():
            return _ops.noise_dropout(input, k, float(p), _ops.draw_seed(generator), inplace)
    return _run(ELEMENT, input, p, inplace, generator, save_mask, "dropout", n, 1)


def _feature(fname, input, p, training, inplace, generator, save_mask, site, block, kind=GROUPS):
    if _graph_mode(input):
        out = _operator_route(input, generator, site, block, fname, lambda x, b: _feature(
            fname, x, p, training, inplace, generator, save_mask, site, b, kind))
        if out is not None:
            return out
        out = getattr(torch.ops.simdrop, fname)(input, p, training, save_mask)
        return inplace_result(out, input, inplace)
    split = feature_split(input, p, training, fname)
    if split is None:
        return input
    groups, glen, batched = split
    if kind is GROUPS and _glue is not None and generator is None and block is None and not _sh.ACTIVE[0]:
        out = _glue(input, p, inplace, glen, save_mask)  # (as in dropout(): one call into C++)
        if out is not None:
            return out
    if _sh.ACTIVE[0] or block is not None:
        if not batched:
            if block is not None or _sh.active_samples():
                raise ValueError(f"simdrop.torch.{fname}: a block needs the input with its batch "
                                 f"dimension (got a {input.dim()}-D input without one)")
            out = _sharded(kind, input.unsqueeze(0), p, False, generator, save_mask, fname, groups,
                           glen, site, None, 2).squeeze(0)
            return input.copy_(out) if inplace else out
        return _sharded(kind, input, p, inplace, generator, save_mask, fname, groups, glen, site, block, 2)
    if glen == 1 and not input.is_contiguous():
        return _channels_as_elements(kind, input, p, inplace, generator, save_mask, fname, groups)
    if batched or inplace:  # (in place the input is contiguous: the same memory either way)
        return _run(kind, input, p, inplace, generator, save_mask, fname, groups, glen)
    return _run(kind, input.unsqueeze(0), p, False, generator, save_mask, fname, groups, glen).squeeze(0)


def _channels_as_elements(kind, input, p, inplace, generator, save_mask, fname, groups, seed=None):
    """Channel dropout with one element per channel on a non-contiguous input: the element
    kernels would take the bits in memory order, not in (sample, channel) order, so the call runs
    on the contiguous tensor, and the result goes back where PyTorch puts it (the input, in place;
    else PyTorch's layout)."""
    out = _run(kind, input.contiguous(), p, False, generator, save_mask, fname, groups, 1, seed)
    if inplace:
        return input.copy_(out)
    strides = _ops.plan(input, groups, False, True)[1]
    return out if strides is None else _ops.empty_strided(input, strides).copy_(out)


def dropout1d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True,
              site=None, block=None):
    """torch.nn.functional.dropout1d: zero whole channels of (N, C, L) or (C, L) input."""
    return _feature("dropout1d", input, p, training, inplace, generator, save_mask, site, block)


def dropout2d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True,
              site=None, block=None):
    """torch.nn.functional.dropout2d: zero whole channels of (N, C, H, W) input (and, as PyTorch
    1.13 does, of (N, C, L) input, with its warning)."""
    return _feature("dropout2d", input, p, training, inplace, generator, save_mask, site, block)


def dropout3d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True,
              site=None, block=None):
    """torch.nn.functional.dropout3d: zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature("dropout3d", input, p, training, inplace, generator, save_mask, site, block)


def alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None, save_mask=True,
                  site=None, block=None):
    """torch.nn.functional.alpha_dropout (note PyTorch's default training=False)."""
    if _graph_mode(input):
        out = _operator_route(input, generator, site, block, "alpha_dropout", lambda x, b: alpha_dropout(
            x, p, training, inplace, generator=generator, save_mask=save_mask, site=site, block=b))
        if out is not None:
            return out
        out = torch.ops.simdrop.alpha_dropout(input, p, training, save_mask)
        return inplace_result(out, input, inplace)
    split = element_split(input, p, training)
    if split is None:
        return input
    if _sh.ACTIVE[0] or block is not None:
        return _sharded(ALPHA, input, p, inplace, generator, save_mask, "alpha_dropout", *split, site, block,
                        input.dim())
    return _run(ALPHA, input, p, inplace, generator, save_mask, "alpha_dropout", *split)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None, save_mask=True,
                          site=None, block=None):
    """torch.nn.functional.feature_alpha_dropout: alpha dropout of whole (N, C) channels."""
    return _feature("feature_alpha_dropout", input, p, training, inplace, generator, save_mask, site,
                    block, ALPHA)


def drop_path(x, drop_prob=0.0, training=False, scale_by_keep=True, *, generator=None, save_mask=True,
              site=None, block=None):
    """Stochastic depth per sample, timm's drop_path: keep or zero each x[b] whole, survivors
    scaled by 1/(1-drop_prob), or left as they are with scale_by_keep=False (timm's x * mask:
    the C library's dropout without rescaling, the same keep decisions)."""
    if _graph_mode(x):
        out = _operator_route(x, generator, site, block, "drop_path", lambda t, b: drop_path(
            t, drop_prob, training, scale_by_keep, generator=generator, save_mask=save_mask, site=site,
            block=b))
        if out is not None:
            return out
        return torch.ops.simdrop.drop_path(x, drop_prob, training, scale_by_keep, save_mask)
    split = drop_path_split(x, drop_prob, training)
    if split is None:
        return x
    kind = GROUPS if scale_by_keep else UNSCALED
    if _sh.ACTIVE[0] or block is not None:
        return _sharded(kind, x, drop_prob, False, generator, save_mask, "drop_path", *split, site, block, 1)
    return _run(kind, x, drop_prob, False, generator, save_mask, "drop_path", *split)


def bias_dropout_add(input, bias, residual, p=0.5, training=True, *, generator=None, save_mask=True,
                     site=None, block=None):
    """residual + dropout(input + bias) in one pass, with its backward (dx, dbias) in one pass.

    input is (..., C); bias is (C,) or None; residual has input's shape, or is None. When not
    training this is residual + (input + bias) (the same kernel with p = 0). f32/f64 results equal
    PyTorch's eager `residual + F.dropout(input + bias)` given the mask; bf16/f16 run the chain in
    float and round once. The gradient of bias is summed in float (double for f64).

    site: the call's name inside site_seeds(); block= and samples(): the part of the global
    tensor input (and residual) is, cutting its first and last dimensions only (bias: the
    block's columns); on a block the backward is not differentiable again."""
    fname = "bias_dropout_add"
    if (_graph_mode(input) or input.is_meta
            or any(t is not None and _graph_mode(t) for t in (bias, residual))):
        _operator_route(input, generator, site, block, fname, None)
        return torch.ops.simdrop.bias_dropout_add(input, bias, residual, p, training, save_mask)
    check_p(p)
    k, rows, cols = check_bias_dropout_add(input, bias, residual, fname)
    _refuse_tangents(fname, input, bias, residual)
    p_run = float(p) if training else 0.0
    seed = 0
    if training and p != 0:
        if _sh.ACTIVE[0] or block is not None:
            seed = _sh.seed_of(site, generator, fname)
            blk = _sh.fused_block(input, block, fname)
            if blk is not None:
                x, b, r = plain3(input, bias, residual)
                if torch.is_grad_enabled() and any(t is not None and t.requires_grad
                                                   for t in (input, bias, residual)):
                    return _sh.FusedBlockFunction.apply(x, b, r, blk, float(p), seed,
                                                        None if bias is None else bias.dtype)
                return _sh.fused_forward(x, b, r, blk, float(p), seed)
        else:
            seed = _ops.draw_seed(generator)
    elem = Spec(_ops.kernels(ELEMENT, input, fname), p_run, seed, input.numel(), 1)
    bspec = _ops.BiasSpec(k, elem, rows, cols, None if bias is None else bias.dtype)
    x, b, r = plain3(input, bias, residual)
    if torch.is_grad_enabled() and (input.requires_grad or (bias is not None and bias.requires_grad)
                                    or (residual is not None and residual.requires_grad)):
        return _ops.BiasDropoutAddFunction.apply(x, b, r, bspec, save_mask)
    return _ops.bias_forward(x, b, r, bspec, False)
