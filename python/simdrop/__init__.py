"""simdrop: fused SIMD dropout kernels with reproducible masks, from Python.

    import simdrop                  # needs neither numpy nor torch
    y, mask = simdrop.dropout(x, 0.1, seed=1234, return_mask=True)    # numpy arrays
    dx = simdrop.dropout_backward(dy, mask, 0.1)

    import simdrop.torch as sdt     # torch.nn-compatible modules and functional forms
    model = torch.nn.Sequential(torch.nn.Linear(10, 40), sdt.Dropout(0.5))

The mask of global element i depends only on (seed, i, p) (docs/MASK_SPEC.md); the numpy
functions take the seed and the offset (the global index of the first element) explicitly.
The C library is found through $SIMDROP_LIBRARY, inside the package (a wheel's), next to the
installed package (meson install), or on the system (see simdrop/_lib.py);
simdrop.library_path() says which file was loaded.
"""
import sys as _sys

from . import _lib
from ._core import (  # noqa: F401
    SimdropError, NullPointerError, ProbabilityError, RangeError, SizeError, OverlapError,
    IsaUnknownError, IsaUnavailableError, OutOfMemoryError, DeviceError, ThreadsError, ParallelError,
    strerror, version, library_path, set_num_threads, get_num_threads,
    isa, set_isa, isa_list, isa_supported,
)
from ._api import (  # noqa: F401
    dropout, dropout_backward, dropout_backward_regen,
    dropout_groups, dropout_groups_backward, dropout_groups_backward_regen,
    dropout_groups_nhwc, dropout_groups_nhwc_backward, dropout_groups_nhwc_backward_regen,
    alpha_dropout, alpha_dropout_backward, alpha_dropout_backward_regen,
    unscaled_dropout, unscaled_dropout_backward, unscaled_dropout_backward_regen,
    bias_dropout_add, bias_dropout_add_backward, bias_dropout_add_backward_regen,
    mask, mask_to_bytes, mask_from_bytes, mask_bytes, dbias_reduce, site_seed,
)

__version__ = "1.2.0"
MASK_SPEC_VERSION = _lib.SIMDROP_MASK_SPEC_VERSION

__all__ = [
    "SimdropError", "NullPointerError", "ProbabilityError", "RangeError", "SizeError",
    "OverlapError", "IsaUnknownError", "IsaUnavailableError", "OutOfMemoryError", "DeviceError",
    "ThreadsError", "ParallelError",
    "strerror", "version", "library_path", "set_num_threads", "get_num_threads",
    "isa", "set_isa", "isa_list", "isa_supported",
    "dropout", "dropout_backward", "dropout_backward_regen",
    "dropout_groups", "dropout_groups_backward", "dropout_groups_backward_regen",
    "dropout_groups_nhwc", "dropout_groups_nhwc_backward", "dropout_groups_nhwc_backward_regen",
    "alpha_dropout", "alpha_dropout_backward", "alpha_dropout_backward_regen",
    "unscaled_dropout", "unscaled_dropout_backward", "unscaled_dropout_backward_regen",
    "bias_dropout_add", "bias_dropout_add_backward", "bias_dropout_add_backward_regen",
    "mask", "mask_to_bytes", "mask_from_bytes", "mask_bytes", "dbias_reduce", "site_seed",
    "MASK_SPEC_VERSION", "__version__",
]

# A TorchScript model that uses simdrop's operators needs them registered before torch.jit.load:
# when torch is already imported, `import simdrop` registers them (importing simdrop.torch).
if _sys.modules.get("torch") is not None:
    from . import torch as _torch  # noqa: F401,E402
