"""simdrop.torch modules: torch.nn's dropout modules, run by simdrop's C kernels.

Each class subclasses its PyTorch twin (so isinstance(m, torch.nn.Dropout) holds, and the
constructor's check, __constants__, extra_repr and state handling are PyTorch's own) and only
replaces forward with one call into simdrop.torch.functional, the shape of
torch/nn/modules/dropout.py. The one addition is the keyword-only save_mask (default True),
shown by repr only when False.

forward is TorchScript-ready: compiled by torch.jit.script it calls the registered operator
(torch.ops.simdrop.dropout and its siblings, _library.py) instead of the Python function, so a
scripted model holds simdrop's operator and runs wherever simdrop is imported. A module unpickled
from a checkpoint saved before save_mask existed (or saved as a torch.nn.Dropout and loaded under
patch()) gets save_mask=True.
"""
from typing import Optional

import torch
from torch import Tensor

from . import _sharding as _sh, functional as F

# The originals (patch() leaves torch.nn's names alone, so these are torch.nn's classes).
_nn = {name: getattr(torch.nn, name) for name in
       ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")}

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
           "DropPath", "BiasDropoutAdd"]


class _Placed:
    """site and block, shared by every module here: where a module's masks come from when the
    run's layout must not change them (simdrop.torch.site_seeds, docs/PYTORCH.md).

    site: the module's stable name, the key of its seed inside site_seeds() (name_sites(model)
    sets it to the module's qualified name). block: {dim: (start, global_size)}, the part of the
    global tensor the module's input is (a tensor-parallel shard); set_block() sets it by sample
    and feature range. Both default to None."""
    __jit_unused_properties__ = ["site", "block"]
    _place = None  # (site, block) once either is set; None keeps forward's plain call

    @property
    def site(self) -> Optional[str]:
        return None if self._place is None else self._place[0]

    @site.setter
    def site(self, name):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"site: must be a str or None, got {type(name).__name__}")
        self._set_place(name, self.block)

    @property
    def block(self):
        return None if self._place is None else self._place[1]

    @block.setter
    def block(self, block):
        if block is not None:
            _sh.normalize(block, 64, type(self).__name__)  # checked now, against its input later
            block = dict(block)
        self._set_place(self.site, block)

    def _set_place(self, site, block):
        self.__dict__["_place"] = None if site is None and block is None else (site, block)

    def set_block(self, samples=None, features=None, dims=None):
        """Say which block of the global tensor this module's input is: samples=(start, total)
        for dimension 0, features=(start, total) for the last dimension, dims={dim: (start,
        total)} for any other (attention heads: {1: (first_head, heads)}). None of them: the
        whole tensor. Returns the module."""
        block = dict(dims or {})
        for dim, where in ((0, samples), (-1, features)):
            if where is not None:
                if dim in block:
                    raise ValueError(f"set_block: dimension {dim} is given twice")
                block[dim] = where
        self.block = block or None
        return self


class _SaveMask(_Placed):
    __constants__ = ["p", "inplace", "save_mask"]
    save_mask: bool = True

    def _init_save_mask(self, save_mask):
        self.save_mask = bool(save_mask)

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("save_mask", True)

    def extra_repr(self):
        r = super().extra_repr()
        return r if self.save_mask else r + ", save_mask=False"


class Dropout(_SaveMask, _nn["Dropout"]):
    """torch.nn.Dropout(p=0.5, inplace=False) on simdrop."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            out = torch.ops.simdrop.dropout(input, self.p, self.training, self.save_mask)
            return F.inplace_result(out, input, self.inplace)
        if self._place is None:  # (no site or block: the call of least overhead)
            return F.dropout(input, self.p, self.training, self.inplace, save_mask=self.save_mask)
        return F.dropout(input, self.p, self.training, self.inplace, save_mask=self.save_mask,
                         site=self._place[0], block=self._place[1])


class Dropout1d(_SaveMask, _nn["Dropout1d"]):
    """torch.nn.Dropout1d(p=0.5, inplace=False) on simdrop: whole channels of (N, C, L) / (C, L)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            out = torch.ops.simdrop.dropout1d(input, self.p, self.training, self.save_mask)
            return F.inplace_result(out, input, self.inplace)
        if self._place is None:
            return F.dropout1d(input, self.p, self.training, self.inplace, save_mask=self.save_mask)
        return F.dropout1d(input, self.p, self.training, self.inplace, save_mask=self.save_mask,
                           site=self._place[0], block=self._place[1])


class Dropout2d(_SaveMask, _nn["Dropout2d"]):
    """torch.nn.Dropout2d(p=0.5, inplace=False) on simdrop: whole channels of (N, C, H, W)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            out = torch.ops.simdrop.dropout2d(input, self.p, self.training, self.save_mask)
            return F.inplace_result(out, input, self.inplace)
        if self._place is None:
            return F.dropout2d(input, self.p, self.training, self.inplace, save_mask=self.save_mask)
        return F.dropout2d(input, self.p, self.training, self.inplace, save_mask=self.save_mask,
                           site=self._place[0], block=self._place[1])


class Dropout3d(_SaveMask, _nn["Dropout3d"]):
    """torch.nn.Dropout3d(p=0.5, inplace=False) on simdrop: whole channels of (N, C, D, H, W)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            out = torch.ops.simdrop.dropout3d(input, self.p, self.training, self.save_mask)
            return F.inplace_result(out, input, self.inplace)
        if self._place is None:
            return F.dropout3d(input, self.p, self.training, self.inplace, save_mask=self.save_mask)
        return F.dropout3d(input, self.p, self.training, self.inplace, save_mask=self.save_mask,
                           site=self._place[0], block=self._place[1])


class AlphaDropout(_SaveMask, _nn["AlphaDropout"]):
    """torch.nn.AlphaDropout(p=0.5, inplace=False) on simdrop (like PyTorch's, forward ignores inplace)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            return torch.ops.simdrop.alpha_dropout(input, self.p, self.training, self.save_mask)
        if self._place is None:
            return F.alpha_dropout(input, self.p, self.training, save_mask=self.save_mask)
        return F.alpha_dropout(input, self.p, self.training, save_mask=self.save_mask,
                               site=self._place[0], block=self._place[1])


class FeatureAlphaDropout(_SaveMask, _nn["FeatureAlphaDropout"]):
    """torch.nn.FeatureAlphaDropout(p=0.5, inplace=False) on simdrop (forward ignores inplace, as PyTorch's)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, save_mask: bool = True) -> None:
        super().__init__(p, inplace)
        self._init_save_mask(save_mask)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            return torch.ops.simdrop.feature_alpha_dropout(input, self.p, self.training, self.save_mask)
        if self._place is None:
            return F.feature_alpha_dropout(input, self.p, self.training, save_mask=self.save_mask)
        return F.feature_alpha_dropout(input, self.p, self.training, save_mask=self.save_mask,
                                       site=self._place[0], block=self._place[1])


class DropPath(_Placed, torch.nn.Module):
    """Stochastic depth per sample (timm's DropPath(drop_prob=0., scale_by_keep=True)) on simdrop;
    scale_by_keep=False leaves the kept samples unscaled (the C library's simdrop_unscaled_*)."""

    __constants__ = ["drop_prob", "scale_by_keep", "save_mask"]

    def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True, *, save_mask: bool = True):
        super().__init__()
        self.drop_prob = float(drop_prob)
        self.scale_by_keep = bool(scale_by_keep)
        self.save_mask = bool(save_mask)

    def forward(self, x: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            return torch.ops.simdrop.drop_path(x, self.drop_prob, self.training, self.scale_by_keep,
                                               self.save_mask)
        if self._place is None:
            return F.drop_path(x, self.drop_prob, self.training, self.scale_by_keep, save_mask=self.save_mask)
        return F.drop_path(x, self.drop_prob, self.training, self.scale_by_keep, save_mask=self.save_mask,
                           site=self._place[0], block=self._place[1])

    def extra_repr(self):
        return f"drop_prob={round(self.drop_prob, 3):0.3f}"


class BiasDropoutAdd(_Placed, torch.nn.Module):
    """residual + dropout(input + bias), fused (Megatron's bias_dropout_add); eval: residual + input + bias.

    forward(input, bias, residual): input (..., C), bias (C,) or None, residual like input or None."""

    __constants__ = ["p", "save_mask"]

    def __init__(self, p: float = 0.5, *, save_mask: bool = True) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("dropout probability has to be between 0 and 1, but got {}".format(p))
        self.p = float(p)
        self.save_mask = bool(save_mask)

    def forward(self, input: Tensor, bias: Optional[Tensor], residual: Optional[Tensor]) -> Tensor:
        if torch.jit.is_scripting():
            return torch.ops.simdrop.bias_dropout_add(input, bias, residual, self.p, self.training,
                                                      self.save_mask)
        if self._place is None:
            return F.bias_dropout_add(input, bias, residual, self.p, self.training, save_mask=self.save_mask)
        return F.bias_dropout_add(input, bias, residual, self.p, self.training, save_mask=self.save_mask,
                                  site=self._place[0], block=self._place[1])

    def extra_repr(self):
        return f"p={self.p}" + ("" if self.save_mask else ", save_mask=False")
