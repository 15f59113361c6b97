"""simdrop.torch: drop-in torch.nn dropout modules and functional forms on simdrop's C kernels.

    import simdrop.torch as sdt
    m = sdt.Dropout(p=0.5)                   # torch.nn.Dropout's arguments, repr and train/eval
    y = sdt.functional.dropout(x, 0.1)       # torch.nn.functional.dropout's signature
    with sdt.patch():                        # torch.nn.Dropout etc. are simdrop's inside
        model = ExistingModel()

Pure Python over the C library through ctypes: nothing is compiled against torch, so any torch
with CPU tensors works (tested with Debian's 1.13). CPU tensors of float32, float64, bfloat16 and
float16. Seeds come from torch's generator (one draw per call): torch.manual_seed makes runs
reproducible. See functional.py for the exact semantics and what is refused.
"""
import torch

from . import functional
from ._ops import draw_seed as _draw_seed, keep_mask as _keep_mask
from .modules import (AlphaDropout, BiasDropoutAdd, Dropout, Dropout1d, Dropout2d, Dropout3d,
                      DropPath, FeatureAlphaDropout, _nn)

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
           "DropPath", "BiasDropoutAdd", "functional", "patch", "unpatch", "draw_seed", "keep_mask"]


def draw_seed(generator=None):
    """The seed the next simdrop.torch call on `generator` (default: torch's default CPU generator)
    will use, drawing it (the generator advances exactly as that call would advance it).

    To see the mask a call used: save the generator state (torch.get_rng_state() or
    generator.get_state()), make the call, restore the state, then draw_seed() and keep_mask()."""
    return _draw_seed(generator)


def keep_mask(shape, p, seed, offset=0):
    """bool tensor of keep flags for a call of `shape` elements with (p, seed): element k in memory
    order (row-major for a contiguous tensor) is keep(seed, offset + k, p). For the channel and
    feature forms pass the number of (N, C) groups (and for drop_path the batch size)."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = torch.Size(shape)
    n = shape.numel()
    p = float(p)
    if not (0.0 <= p <= 1.0):
        raise ValueError("dropout probability has to be between 0 and 1, but got {}".format(p))
    return _keep_mask(n, p, int(seed) & 0xFFFFFFFFFFFFFFFF, offset).reshape(shape)


# ---- patch(): swap torch.nn's dropout classes for simdrop's -------------------------------------

_MODULES = {"Dropout": Dropout, "Dropout1d": Dropout1d, "Dropout2d": Dropout2d,
            "Dropout3d": Dropout3d, "AlphaDropout": AlphaDropout,
            "FeatureAlphaDropout": FeatureAlphaDropout}
_FUNCTIONS = {"dropout": functional.dropout, "dropout1d": functional.dropout1d,
              "dropout2d": functional.dropout2d, "dropout3d": functional.dropout3d,
              "alpha_dropout": functional.alpha_dropout,
              "feature_alpha_dropout": functional.feature_alpha_dropout}
_ORIGINAL_FUNCTIONS = {name: getattr(torch.nn.functional, name) for name in _FUNCTIONS}


def _namespaces():
    return (torch.nn, torch.nn.modules, torch.nn.modules.dropout)


def _snapshot():
    state = []
    for ns in _namespaces():
        for name in _MODULES:
            state.append((ns, name, getattr(ns, name)))
    for name in _FUNCTIONS:
        state.append((torch.nn.functional, name, getattr(torch.nn.functional, name)))
    return state


class patch:
    """Swap torch.nn's dropout modules (torch.nn.Dropout, Dropout1d/2d/3d, AlphaDropout,
    FeatureAlphaDropout; also under torch.nn.modules and torch.nn.modules.dropout) for simdrop's,
    so a model class that builds torch.nn.Dropout builds simdrop's without a change.

    A plain call patches until unpatch(); as a context manager, leaving the block restores what
    was there before it. functional=True also swaps torch.nn.functional.dropout and its siblings
    (then every caller of F.dropout in the process runs on simdrop, CPU tensors only). Modules
    built before the patch are not changed."""

    def __init__(self, functional=False):
        self._saved = _snapshot()
        for ns in _namespaces():
            for name, cls in _MODULES.items():
                setattr(ns, name, cls)
        if functional:
            for name, fn in _FUNCTIONS.items():
                setattr(torch.nn.functional, name, fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False

    def restore(self):
        """Put back what this patch replaced."""
        for ns, name, obj in self._saved:
            setattr(ns, name, obj)


def unpatch():
    """Restore PyTorch's own dropout modules and functions, whatever patches are active."""
    for ns in _namespaces():
        for name in _MODULES:
            setattr(ns, name, _nn[name])
    for name, fn in _ORIGINAL_FUNCTIONS.items():
        setattr(torch.nn.functional, name, fn)


def is_patched():
    """True while torch.nn.Dropout is simdrop's."""
    return torch.nn.Dropout is Dropout
