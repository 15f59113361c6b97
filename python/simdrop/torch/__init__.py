"""simdrop.torch: drop-in torch.nn dropout modules and functional forms on simdrop's C kernels.

    import simdrop.torch as sdt
    m = sdt.Dropout(p=0.5)                   # torch.nn.Dropout's arguments, repr and train/eval
    y = sdt.functional.dropout(x, 0.1)       # torch.nn.functional.dropout's signature
    with sdt.patch():                        # torch.nn.Dropout(...) builds simdrop's inside
        model = ExistingModel()
    sdt.convert(model)                       # or swap the dropout modules of a built model

Python over the C library through ctypes, so any torch with CPU tensors works (tested with
Debian's 1.13); where the installation has simdrop.torch._glue (C++, compiled against this torch:
_glue.cpp), element and channel dropout of contiguous tensors below the huge-page size runs
through it, one call into C++ each way.
NATIVE says which of the two routes this installation has, and why. CPU tensors of float32, float64, bfloat16 and
float16. Seeds come from torch's generator (one draw per call): torch.manual_seed makes runs
reproducible. See functional.py for the exact semantics and what is refused.

Masks that do not change with the parallel layout (data, tensor, pipeline parallel, microbatches,
recomputation; docs/PYTORCH.md, "Sharded runs"):
    sdt.name_sites(model)                    # each dropout module's site: its qualified name
    with sdt.site_seeds(base_seed, step):    # seed of a call = site_seed(base_seed, site, step)
        with sdt.samples(first_sample):      # this microbatch's place in the global batch
            loss = model(x)
    mlp.drop.set_block(features=(first, F))  # a tensor-parallel shard: its columns of the global


Importing this package registers the operators torch.ops.simdrop.* (_library.py): what
torch.jit.trace / script, torch.fx, torch.compile and torch.export record, and what a saved
TorchScript model that uses simdrop needs before torch.jit.load (`import simdrop` registers them
too when torch is already imported).
"""
import torch

from . import _library, _sharding, functional  # noqa: F401  (_library registers torch.ops.simdrop.*)
from .._core import U64 as _U64, check_offset as _check_offset
from ._ops import NATIVE, draw_seed as _draw_seed, keep_mask as _keep_mask
from . import modules
from .modules import (AlphaDropout, BiasDropoutAdd, Dropout, Dropout1d, Dropout2d, Dropout3d,
                      DropPath, FeatureAlphaDropout, _nn)

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
           "DropPath", "BiasDropoutAdd", "functional", "patch", "unpatch", "is_patched", "convert",
           "revert", "draw_seed", "keep_mask", "site_key", "site_seed", "site_seeds", "name_sites",
           "samples", "NATIVE"]


def draw_seed(generator=None):
    """The seed the next simdrop.torch call on `generator` (default: torch's default CPU generator)
    will use, drawing it (the generator advances exactly as that call would advance it).

    To see the mask a call used: save the generator state (torch.get_rng_state() or
    generator.get_state()), make the call, restore the state, then draw_seed() and keep_mask()."""
    return _draw_seed(generator)


def keep_mask(shape, p, seed, offset=0):
    """bool tensor of keep flags for a call of `shape` elements with (p, seed): element k in memory
    order (row-major for a contiguous tensor) is keep(seed, offset + k, p). For the channel and
    feature forms pass the number of (N, C) groups (and for drop_path the batch size).

    seed: an integer in [0, 2^64), or a negative one down to -2^63 (the bits of an int64 seed
    tensor, as the operators return it); offset: an integer with offset + numel <= 2^64 (checked
    as simdrop.mask checks it: nothing wraps around)."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = torch.Size(shape)
    n = shape.numel()
    p = float(p)
    if not (0.0 <= p <= 1.0):
        raise ValueError("dropout probability has to be between 0 and 1, but got {}".format(p))
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed: must be an integer, got {type(seed).__name__}")
    seed = seed.__index__()
    if not -(1 << 63) <= seed < 1 << 64:
        raise ValueError(f"seed: must be in [-2^63, 2^64) (a negative seed is an int64's bits), got {seed}")
    return _keep_mask(n, p, seed & _U64, _check_offset(offset, n)).reshape(shape)


# ---- patch(), convert(), revert() ------------------------------------------------------------------

_MODULES = {"Dropout": Dropout, "Dropout1d": Dropout1d, "Dropout2d": Dropout2d,
            "Dropout3d": Dropout3d, "AlphaDropout": AlphaDropout,
            "FeatureAlphaDropout": FeatureAlphaDropout}
_TWINS = {_nn[name]: cls for name, cls in _MODULES.items()}   # PyTorch's class -> simdrop's
_active = {}   # the part of _TWINS in force: filled while a patch() is active


def _new(cls, *args, **kwargs):
    """__new__ of PyTorch's dropout classes once patch() has been used: while a patch is active,
    constructing (or unpickling, or deep-copying) exactly torch.nn.Dropout gives simdrop's Dropout,
    which Python then initialises with the same arguments; any other class, including subclasses
    of PyTorch's, is made as usual."""
    return object.__new__(_active.get(cls, cls))


def _hook_classes():
    # Installed once and never removed: CPython cannot take a __new__ off a class again cleanly
    # (object.__new__ then rejects the constructor's arguments), so unpatch() empties _active.
    for torch_cls in _TWINS:
        if torch_cls.__dict__.get("__new__") is not _new:
            if torch_cls.__new__ is not object.__new__:
                raise RuntimeError(f"simdrop.torch.patch: {torch_cls.__qualname__} has its own __new__ "
                                   "in this torch version; patch() cannot hook it (use convert(model))")
            torch_cls.__new__ = _new


def _signature_twin(name, training_default):
    """simdrop's functional form with exactly torch.nn.functional's signature (no keyword-only
    arguments), so that TorchScript can still compile torch code that calls it while
    patch(functional=True) is active: compiled, it is the operator torch.ops.simdrop.<name>."""
    eager = getattr(functional, name)

    def twin(input: torch.Tensor, p: float = 0.5, training: bool = training_default,
             inplace: bool = False) -> torch.Tensor:
        if torch.jit.is_scripting():
            return functional.inplace_result(op(input, p, training, True), input, inplace)
        return eager(input, p, training, inplace)

    op = getattr(torch.ops.simdrop, name)
    twin.__name__ = name
    twin.__qualname__ = "_patched_" + name
    twin.__doc__ = eager.__doc__
    globals()[twin.__qualname__] = twin   # pickled by reference, as simdrop.torch._patched_<name>
    return twin


_FUNCTIONS = {name: _signature_twin(name, default) for name, default in (
    ("dropout", True), ("dropout1d", True), ("dropout2d", True), ("dropout3d", True),
    ("alpha_dropout", False), ("feature_alpha_dropout", False))}
_ORIGINAL_FUNCTIONS = {name: getattr(torch.nn.functional, name) for name in _FUNCTIONS}


class patch:
    """Make PyTorch's dropout modules simdrop's, for models built (or loaded) while it is active.

    While a patch is active, constructing torch.nn.Dropout, Dropout1d/2d/3d, AlphaDropout or
    FeatureAlphaDropout (by any name: torch.nn.Dropout, torch.nn.modules.dropout.Dropout, the
    names torch's own modules imported, so nn.TransformerEncoderLayer and nn.Transformer too)
    gives simdrop's module of the same arguments; so does unpickling or deep-copying one
    (torch.load of a whole-model checkpoint saved with torch's Dropout runs on simdrop). A plain
    call patches until unpatch(); as a context manager, leaving the block restores what was
    there before it. torch.nn's names are never rebound, so models holding torch's modules and
    models holding simdrop's both pickle as themselves (simdrop's as
    simdrop.torch.modules.Dropout, which loads wherever simdrop is installed; revert(model)
    turns them back into torch's). Modules built before the patch are not changed: convert(model)
    swaps them.

    functional=True also rebinds torch.nn.functional.dropout, dropout1d/2d/3d, alpha_dropout and
    feature_alpha_dropout to simdrop's (with PyTorch's exact signatures, so TorchScript still
    compiles code that calls them: compiled, they are simdrop's operators). That reaches whatever
    looks them up at call time: torch.nn's own dropout modules built before the patch, the
    attention-weight dropout of nn.MultiheadAttention (and so of nn.Transformer*:
    F.multi_head_attention_forward calls F.dropout; in PyTorch 2.x the fused
    scaled_dot_product_attention path drops inside C++ and is not reached), and user code calling
    torch.nn.functional.dropout. Not reached: names bound by `from torch.nn.functional import
    dropout` before the patch, torch.dropout / torch.ops.aten.dropout and C++ callers. CPU
    tensors only: every caller in the process then runs on simdrop. While it is active, pickling
    a reference to PyTorch's original F.dropout function object fails (pickle finds simdrop's
    function under its name); models, modules and tensors are not affected."""

    def __init__(self, functional=False):
        _hook_classes()
        self._saved = (dict(_active), {name: getattr(torch.nn.functional, name) for name in _FUNCTIONS})
        _active.update(_TWINS)
        if functional:
            for name, fn in _FUNCTIONS.items():
                setattr(torch.nn.functional, name, fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False

    def restore(self):
        """Put back what was in force before this patch."""
        active, functions = self._saved
        _active.clear()
        _active.update(active)
        for name, fn in functions.items():
            setattr(torch.nn.functional, name, fn)


def unpatch():
    """Restore PyTorch's own dropout modules and functions, whatever patches are active."""
    _active.clear()
    for name, fn in _ORIGINAL_FUNCTIONS.items():
        setattr(torch.nn.functional, name, fn)


def is_patched():
    """True while constructing torch.nn.Dropout gives simdrop's Dropout."""
    return bool(_active)


def _swap(model, table, make):
    """Replace every module of `model` whose type is a key of `table` (model itself too)."""
    if type(model) in table:
        return make(model, table[type(model)])
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) in table:
                setattr(parent, name, make(child, table[type(child)]))
    return model


def convert(model, *, save_mask=True):
    """Swap every PyTorch dropout module in `model` (exactly torch.nn.Dropout, Dropout1d/2d/3d,
    AlphaDropout, FeatureAlphaDropout) for simdrop's, keeping p, inplace and train/eval; returns
    the model (changed in place; a lone dropout module comes back replaced)."""
    def make(old, cls):
        new = cls(old.p, old.inplace, save_mask=save_mask)
        new.train(old.training)
        return new
    return _swap(model, _TWINS, make)


def revert(model):
    """The reverse of convert(): simdrop's dropout modules become PyTorch's again (p, inplace,
    train/eval kept), e.g. to save a model for a machine without simdrop."""
    def make(old, cls):
        new = cls(old.p, old.inplace)
        new.train(old.training)
        return new
    saved = dict(_active)
    _active.clear()   # build torch's own even inside a patch
    try:
        return _swap(model, {cls: torch_cls for torch_cls, cls in _TWINS.items()}, make)
    finally:
        _active.update(saved)


# ---- layout-independent masks: site seeds and blocks (_sharding.py) --------------------------------

def site_key(name):
    """The 64-bit key of a site name (FNV-1a of its UTF-8 bytes; the C library's simdrop_site_key)."""
    return _sharding.site_key(name)


def site_seed(base, site, step):
    """The seed a call at `site` (a name or a site_key) uses at `step` inside site_seeds(base, step):
    the C library's simdrop_site_seed(base, key, step) (docs/MASK_SPEC.md). Pure: it depends on
    its three arguments only."""
    return _sharding.site_seed(base, site, step)


def site_seeds(base, step, model=None):
    """Context manager: inside it (this thread) every simdrop.torch call takes the seed
    site_seed(base, site, step) instead of drawing one from a generator. site is a module's
    `site` (name_sites(model), or model= here, sets each module's to its qualified name) or a
    functional call's site= keyword; a call without one raises. So the masks of a step depend on
    (base, site, step, global index) only: not on the order sites run in, how the batch is cut
    into microbatches, which rank runs a site, or whether an activation is recomputed."""
    if model is not None:
        name_sites(model)
    return _sharding.site_seeds_context(base, step)


# The names wrappers put into qualified names: DistributedDataParallel's and DataParallel's
# "module", FSDP's inner attribute (and, in PyTorch 1.13, its FlattenParamsWrapper's) and
# checkpoint_wrapper's. A site leaves them out, so that a wrapped model's sites (and masks) are
# the bare model's whatever wraps it on this run.
_WRAPPER_NAMES = {"_fsdp_wrapped_module", "_fpw_module", "_checkpoint_wrapped_module"}


def _bare(model):
    while isinstance(model, (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)):
        model = model.module
    return model


def name_sites(model, prefix=""):
    """Set the site of every simdrop.torch module in `model` that has none to its qualified name
    (prefix + the name model.named_modules() gives; model itself: prefix, or "" ), leaving out
    what wrappers add (a DistributedDataParallel or DataParallel model is named as its module,
    FSDP's and checkpoint_wrapper's inner names are skipped). Sites set before are kept. Returns
    the model."""
    for name, m in _bare(model).named_modules(prefix=prefix):
        if isinstance(m, modules._Placed) and m.site is None:
            m.site = ".".join(part for part in name.split(".") if part not in _WRAPPER_NAMES)
    return model


def samples(start, total=None):
    """Context manager: inside it (this thread) dimension 0 of every simdrop.torch call's input
    is samples start, start + 1, ... of the global batch of `total` samples (a microbatch of a
    pipeline or of gradient accumulation, a data-parallel rank's share). Each sample then gets
    the mask it gets in the whole batch: keep decisions at global indices, the samples before
    start skipped."""
    return _sharding.samples_context(start, total)
