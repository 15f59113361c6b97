"""simdrop.torch.functional: torch.nn.functional's dropout functions, run by simdrop's C kernels.

Same signatures, defaults, checks, warnings and eval/p=0 behaviour as PyTorch 1.13's (the input
itself comes back when not training, when p == 0 or when it is empty), plus keyword-only
arguments PyTorch does not have:

  generator  the torch.Generator that the call's 64-bit seed is drawn from (default: torch's
             default CPU generator, so torch.manual_seed(s) reproduces a run)
  save_mask  True (default): autograd keeps the 1-bit mask (n/8 bytes); False: it keeps nothing
             and backward regenerates the mask from the seed

Each call draws one seed and covers the whole tensor as one index space from offset 0 (see
_ops.py): every element, and so every sample of a batch, has its own keep decision. The mask a
call used can be recomputed: draw the same seed (draw_seed with the generator in the same state)
and call keep_mask(numel, p, seed) (numel = number of groups for the channel/feature forms).

Values (docs/MASK_SPEC.md 4): given the mask, f32/f64 results and gradients equal PyTorch's
`input * mask * (1/(1-p))` bit for bit, bf16/f16 ones `(input.float() * mask * s).to(dtype)`
(PyTorch's own bf16 dropout rounds the scale to bf16 first; simdrop does not). Alpha dropout is
PyTorch's `input * noise + b` for f32/f64.

Not supported, with an error saying so (never a silent fallback to PyTorch's kernels): tensors
off the CPU, dtypes other than float32/float64/bfloat16/float16, sparse layouts, inplace=True on a
tensor the kernels cannot write where it lies, drop_path with scale_by_keep=False and 0 < p < 1.
"""
import warnings

import torch

from . import _ops
from ._ops import ALPHA, BIAS_ADD, ELEMENT, GROUPS, Spec

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "drop_path", "bias_dropout_add"]

_P_MSG = "dropout probability has to be between 0 and 1, but got {}"


def _check_p(p):
    if not (0.0 <= p <= 1.0):  # NaN too (PyTorch lets NaN reach its C++ check, which raises)
        raise ValueError(_P_MSG.format(p))


def _run(kind, input, p, inplace, generator, save_mask, fname, groups=0, glen=0):
    """The one path of every element/group/alpha form once dropout is to be applied."""
    k = _ops.kernels(kind, input, fname)
    if inplace:
        _ops.check_inplace_autograd(input)
        if not (k.grouped and glen != 1):
            if not input.is_contiguous() and not _ops.is_dense(input):
                _ops.refuse_inplace(input, fname, "a dense tensor (contiguous, channels_last or "
                                    "another permutation of a dense layout)")
        elif not input.is_contiguous():
            _ops.refuse_inplace(input, fname, "a contiguous tensor (each channel one run of memory)")
    spec = Spec(k, float(p), _ops.draw_seed(generator), groups, glen, fname)
    if input.requires_grad and torch.is_grad_enabled():
        return _ops.DropoutFunction.apply(input, spec, inplace, save_mask)
    y = _ops.forward(input, spec, inplace, False)
    if inplace:
        _ops.bump_version(input)
    return y


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    return _run(ELEMENT, input, p, inplace, generator, save_mask, "dropout")


def _feature_groups(shape):
    """(groups, group_len) of feature dropout on `shape`: one group per (N, C) pair."""
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    groups = shape[0] * shape[1]
    return groups, (shape.numel() // groups if groups else 0)


def _feature(input, p, training, inplace, generator, save_mask, fname, batched, kind=GROUPS):
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = input.shape if batched else torch.Size((1,) + tuple(input.shape))
    groups, glen = _feature_groups(shape)
    return _run(kind, input, p, inplace, generator, save_mask, fname, groups, glen)


def dropout1d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.dropout1d: zero whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                           "spatial dimension, a channel dimension, and an optional batch dimension "
                           "(i.e. 2D or 3D inputs).")
    return _feature(input, p, training, inplace, generator, save_mask, "dropout1d", inp_dim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.dropout2d: zero whole channels of (N, C, H, W) input (and, as PyTorch
    1.13 does, of (N, C, L) input, with its warning)."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warn_msg = (f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
                    "and will result in an error in a future release. To retain the behavior "
                    "and silence this warning, please use dropout instead. Note that dropout2d "
                    "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
                    "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).")
        warnings.warn(warn_msg)
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                      "is the channel dim. This behavior will change in a future release to interpret the "
                      "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d instead.")
    return _feature(input, p, training, inplace, generator, save_mask, "dropout2d", True)


def dropout3d(input, p=0.5, training=True, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.dropout3d: zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warn_msg = (f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
                    "and will result in an error in a future release. To retain the behavior "
                    "and silence this warning, please use dropout instead. Note that dropout3d "
                    "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
                    "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).")
        warnings.warn(warn_msg)
    return _feature(input, p, training, inplace, generator, save_mask, "dropout3d", inp_dim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.alpha_dropout (note PyTorch's default training=False)."""
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    n = input.numel()
    return _run(ALPHA, input, p, inplace, generator, save_mask, "alpha_dropout", n, 1)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None, save_mask=True):
    """torch.nn.functional.feature_alpha_dropout: alpha dropout of whole (N, C) channels."""
    _check_p(p)
    return _feature(input, p, training, inplace, generator, save_mask, "feature_alpha_dropout",
                    True, kind=ALPHA)


def drop_path(x, drop_prob=0.0, training=False, scale_by_keep=True, *, generator=None, save_mask=True):
    """Stochastic depth per sample, timm's drop_path: keep or zero each x[b] whole, survivors
    scaled by 1/(1-drop_prob). scale_by_keep=False (no scaling) is not in the C library: it is
    refused for 0 < drop_prob < 1 (at drop_prob == 1 every sample is zeroed either way)."""
    _check_p(drop_prob)
    if drop_prob == 0.0 or not training:
        return x
    if not scale_by_keep and drop_prob < 1.0:
        raise NotImplementedError("simdrop.torch.drop_path: scale_by_keep=False is not supported: "
                                  "the C library's group dropout always scales the kept samples "
                                  "by 1/(1-p)")
    if x.dim() == 0:
        raise ValueError("simdrop.torch.drop_path: input needs a batch dimension (got a 0-d tensor)")
    if x.numel() == 0:
        return x
    groups = x.shape[0]
    return _run(GROUPS, x, drop_prob, False, generator, save_mask, "drop_path", groups, x.numel() // groups)


def bias_dropout_add(input, bias, residual, p=0.5, training=True, *, generator=None, save_mask=True):
    """residual + dropout(input + bias) in one pass, with its backward (dx, dbias) in one pass.

    input is (..., C); bias is (C,) or None; residual has input's shape, or is None. When not
    training this is residual + (input + bias) (the same kernel with p = 0). f32/f64 results equal
    PyTorch's eager `residual + F.dropout(input + bias)` given the mask; bf16/f16 run the chain in
    float and round once. The gradient of bias is summed in float (double for f64)."""
    _check_p(p)
    fname = "bias_dropout_add"
    k = _ops.kernels(BIAS_ADD, input, fname)
    cols = input.shape[-1] if input.dim() else 1
    numel = input.numel()
    rows = numel // cols if cols else 0
    for name, t in (("bias", bias), ("residual", residual)):
        if t is None:
            continue
        _ops.kernels(BIAS_ADD, t, fname, name)
        if t.dtype != input.dtype:
            raise TypeError(f"simdrop.torch.{fname}: {name} has dtype {t.dtype}, input {input.dtype}")
    if bias is not None and tuple(bias.shape) != (cols,):
        raise ValueError(f"simdrop.torch.{fname}: bias has shape {tuple(bias.shape)}; it must be "
                         f"({cols},), input's last dimension (no other broadcasting)")
    if residual is not None and residual.shape != input.shape:
        raise ValueError(f"simdrop.torch.{fname}: residual has shape {tuple(residual.shape)}, "
                         f"input {tuple(input.shape)}; they must be equal")
    p_run = float(p) if training else 0.0
    elem = Spec(_ops.TABLES[ELEMENT][input.dtype], p_run,
                _ops.draw_seed(generator) if training and p != 0 else 0, 0, 0, fname)
    bspec = _ops.BiasSpec(k, elem, rows, cols, None if bias is None else bias.dtype)
    x = input if input.is_contiguous() else input.contiguous()
    b = None if bias is None else (bias if bias.is_contiguous() else bias.contiguous())
    r = None if residual is None else (residual if residual.is_contiguous() else residual.contiguous())
    if torch.is_grad_enabled() and (input.requires_grad or (bias is not None and bias.requires_grad)
                                    or (residual is not None and residual.requires_grad)):
        return _ops.BiasDropoutAddFunction.apply(x, b, r, bspec, save_mask)
    return _ops.bias_forward(x, b, r, bspec, False)
