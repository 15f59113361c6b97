"""_api.py: simdrop on numpy arrays (float32, float64, float16).

Every function takes the C function's arguments in the C order, with arrays for pointers and the
element count taken from the arrays. The element with flat index k of an array (C order) is global
element offset + k (offset counts groups for the group and feature functions), so a tensor split
into calls with matching offsets gives one call's result bit for bit (docs/MASK_SPEC.md).

- Inputs that are not C-contiguous, or not aligned for their dtype (a view at an odd byte offset
  into a bytes buffer: np.frombuffer(buf, np.float64, offset=1)), are copied first: C may only
  read a double from an address that is a multiple of its alignment. Outputs (`out=`) must be
  C-contiguous, aligned, writable, of the input's dtype and shape (another shape of the same
  size is refused, as numpy's ufuncs refuse it), and may be the input itself (in place).
- Masks are uint8 arrays of ceil(bits / 8) bytes: bit k % 8 of byte k // 8 is the keep flag of
  element (or group) k.
- Bad arguments raise TypeError (wrong type or dtype) or ValueError (bad value or size) naming the
  argument, before anything is written; a C error status raises a simdrop.SimdropError subclass
  (ValueError subclasses for bad arguments) with simdrop_strerror's message.

Blocks of a global tensor (docs/SHARDING.md): the element functions and the fused op take
`block=(row0, col0, global_cols)` for a 2-D input of any row stride (rows of unit stride, such as
a column slice `g[:, a:b]`, are read in place; other layouts are copied): element (r, c) of the
array is global element offset + (row0 + r) * global_cols + col0 + c, so a shard gets the bits of
one call over the whole global tensor. The output (new, or `out=` of the same shape with rows of
unit stride, e.g. a view into the global array) gets only the block's elements; the mask has
rows * cols bits in block row-major order. The fused backward also takes `granule=` (docs/
MASK_SPEC.md 4.7): dbias is then ceil(rows / granule) rows of partial sums, which dbias_reduce
folds after they are gathered in global row order.

bfloat16: the C library has it, numpy 1.24 has no bfloat16 dtype, so this API does not take
bf16 arrays; simdrop.torch takes torch.bfloat16 tensors.
"""
from . import _lib
from ._core import check, check_offset, check_p, check_u64

try:
    import numpy as np
except ImportError:  # simdrop imports without numpy; these functions then say what is missing
    np = None

__all__ = [
    "dropout", "dropout_backward", "dropout_backward_regen",
    "dropout_groups", "dropout_groups_backward", "dropout_groups_backward_regen",
    "dropout_groups_nhwc", "dropout_groups_nhwc_backward", "dropout_groups_nhwc_backward_regen",
    "alpha_dropout", "alpha_dropout_backward", "alpha_dropout_backward_regen",
    "unscaled_dropout", "unscaled_dropout_backward", "unscaled_dropout_backward_regen",
    "bias_dropout_add", "bias_dropout_add_backward", "bias_dropout_add_backward_regen",
    "mask", "mask_to_bytes", "mask_from_bytes", "mask_bytes", "dbias_reduce", "site_seed",
]

_SUFFIX = {}
if np is not None:
    _SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64", np.dtype(np.float16): "f16"}


def _need_numpy(fn):
    if np is None:
        raise ImportError(f"simdrop.{fn} needs numpy, which is not installed "
                          "(simdrop.torch works without it)")


def _c(name, t):
    return getattr(_lib, f"simdrop_{name}_{t}")


def mask_bytes(bits):
    """Bytes of a bitmask of `bits` bits: (bits + 7) // 8."""
    return (bits + 7) // 8


def _suffix(a, name):
    """(array, dtype suffix); TypeError for a bad dtype."""
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    t = _SUFFIX.get(a.dtype)
    if t is None:
        raise TypeError(f"{name}: dtype {a.dtype} is not supported: simdrop takes float32, float64 "
                        "and float16 arrays (bfloat16 only through simdrop.torch: numpy has no "
                        "bfloat16 dtype)")
    return a, t


def _array(a, name):
    """(C-contiguous aligned array, dtype suffix); copies other input; TypeError for a bad dtype."""
    a, t = _suffix(a, name)
    if not (a.flags.c_contiguous and a.flags.aligned):
        a = a.copy(order="C")  # (np.ascontiguousarray keeps a contiguous misaligned array as is)
    return a, t


def _out(out, like, name="out"):
    """A new array like `like`, or `out` checked against it (dtype, shape, contiguity, writable)."""
    if out is None:
        return np.empty(like.shape, like.dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: must be a numpy array, got {type(out).__name__}")
    if out.dtype != like.dtype:
        raise TypeError(f"{name}: dtype {out.dtype} does not match the input's {like.dtype}")
    if out.shape != like.shape:  # as numpy's ufuncs: the result's shape, not just its size
        raise ValueError(f"{name}: has shape {out.shape}, the result has the input's shape "
                         f"{like.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name}: must be C-contiguous")
    if not out.flags.aligned:
        raise ValueError(f"{name}: is not aligned for {out.dtype} (address {out.ctypes.data:#x} is "
                         f"not a multiple of {out.dtype.alignment}); the C library writes aligned "
                         "elements only")
    if not out.flags.writeable:
        raise ValueError(f"{name}: is read-only")
    return out


def _mask_in(m, bits, name="mask"):
    """A uint8 bitmask of exactly mask_bytes(bits) bytes (copied if not contiguous)."""
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name}: must be a numpy uint8 array, got {type(m).__name__}")
    if m.dtype != np.uint8:
        raise TypeError(f"{name}: dtype must be uint8, got {m.dtype}")
    if m.size != mask_bytes(bits):
        raise ValueError(f"{name}: has {m.size} bytes, {bits} bits need {mask_bytes(bits)}")
    return np.ascontiguousarray(m)


def _new_mask(bits, want):
    return np.empty(mask_bytes(bits), np.uint8) if want else None


def _ptr(a):
    return None if a is None else a.ctypes.data


def _groups(n, groups, name="groups"):
    """group_len for n elements in `groups` equal groups; ValueError naming `groups` if it does not divide."""
    groups = check_u64(groups, name)
    if groups == 0:
        if n:
            raise ValueError(f"{name}: 0 groups cannot hold {n} elements")
        return 0, 1
    if n % groups:
        raise ValueError(f"{name}: {n} elements do not split into {groups} equal groups")
    return groups, n // groups


def _result(y, m, return_mask):
    return (y, m) if return_mask else y


# ---- blocks ------------------------------------------------------------------------------------

def _walkable(a):
    """Whether the C library can walk a 2-D array's rows in place: aligned, unit-stride rows that
    follow each other upward at least a row apart (ld >= cols)."""
    rows, cols = a.shape
    es = a.itemsize
    return (a.flags.aligned and (cols <= 1 or a.strides[1] == es) and
            (rows <= 1 or (a.strides[0] % es == 0 and a.strides[0] >= cols * es)))


def _ld(a):
    return a.strides[0] // a.itemsize if a.shape[0] > 1 else a.shape[1]


def _block_in(a, name):
    """(2-D array with walkable rows, dtype suffix, its row stride in elements); copies others."""
    a, t = _suffix(a, name)
    if a.ndim != 2:
        raise ValueError(f"{name}: block= takes a 2-D array, got shape {a.shape}")
    if not _walkable(a):
        a = a.copy(order="C")
    return a, t, _ld(a)


def _block_out(out, like, name="out"):
    """A new (rows, cols) array, or `out` checked (dtype, shape, unit-stride rows, writable), and
    its row stride in elements."""
    if out is None:
        out = np.empty(like.shape, like.dtype)
        return out, _ld(out)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: must be a numpy array, got {type(out).__name__}")
    if out.dtype != like.dtype:
        raise TypeError(f"{name}: dtype {out.dtype} does not match the input's {like.dtype}")
    if out.shape != like.shape:
        raise ValueError(f"{name}: has shape {out.shape}, the result has the input's shape {like.shape}")
    if not _walkable(out):
        raise ValueError(f"{name}: its rows must be aligned, of unit stride and at least a row apart "
                         f"(strides {out.strides})")
    if not out.flags.writeable:
        raise ValueError(f"{name}: is read-only")
    return out, _ld(out)


def _block(block, rows, cols, ldx, ldy):
    """The simdrop_block of a block=(row0, col0, global_cols) argument."""
    if not isinstance(block, (tuple, list)) or len(block) != 3:
        raise TypeError(f"block: must be a tuple (row0, col0, global_cols), got {block!r}")
    row0, col0, gcols = (check_u64(v, n) for v, n in zip(block, ("row0", "col0", "global_cols")))
    return _lib.simdrop_block(rows, cols, row0, col0, gcols, ldx, ldy)


def _same_layout(r, ld, name):
    """r (2-D, like the output) with row stride ld, copied into such a layout if it has another."""
    if _walkable(r) and _ld(r) == ld:
        return r
    rows, cols = r.shape
    c = np.empty((rows, max(ld, cols)), r.dtype)[:, :cols]
    c[...] = r
    return c


def _dropout_block(kind, a, mask, p, seed, offset, out, return_mask, block):
    """forward ("forward"), backward from a mask ("backward") or regen ("backward_regen") on a block."""
    a, t, ldx = _block_in(a, "x" if kind == "forward" else "dy")
    rows, cols = a.shape
    p = check_p(p)
    y, ldy = _block_out(out, a)
    b = _block(block, rows, cols, ldx, ldy)
    fn = f"simdrop_{kind}_block_{t}"
    if kind == "forward":
        m = _new_mask(a.size, return_mask)
        check(_c("forward_block", t)(y.ctypes.data, _ptr(m), a.ctypes.data, b, p, check_u64(seed, "seed"),
                                     check_u64(offset, "offset")), fn)
        return _result(y, m, return_mask)
    if kind == "backward":
        m = _mask_in(mask, a.size)
        check(_c("backward_block", t)(y.ctypes.data, a.ctypes.data, m.ctypes.data, b, p), fn)
    else:
        check(_c("backward_regen_block", t)(y.ctypes.data, a.ctypes.data, b, p, check_u64(seed, "seed"),
                                            check_u64(offset, "offset")), fn)
    return y


def dbias_reduce(partials):
    """dbias from granule partial sums (rows of them, gathered in global row order): the fixed
    order of docs/MASK_SPEC.md 4.7. partials: 2-D float32 (bf16/f16/f32 gradients) or float64."""
    _need_numpy("dbias_reduce")
    if not isinstance(partials, np.ndarray) or partials.dtype not in (np.float32, np.float64):
        raise TypeError("partials: must be a float32 or float64 numpy array")
    if partials.ndim != 2:
        raise ValueError(f"partials: must be 2-D (granules, cols), got shape {partials.shape}")
    if not (partials.flags.c_contiguous and partials.flags.aligned):
        partials = partials.copy(order="C")  # (np.ascontiguousarray keeps a misaligned one as is)
    t = "f64" if partials.dtype == np.float64 else "f32"
    db = np.empty(partials.shape[1], partials.dtype)
    check(getattr(_lib, f"simdrop_dbias_reduce_{t}")(db.ctypes.data, partials.ctypes.data,
                                                     partials.shape[0], partials.shape[1]),
          f"simdrop_dbias_reduce_{t}")
    return db


def site_seed(base, site, step):
    """The seed of dropout site `site` (a stable name, e.g. a module's qualified name) at `step`:
    simdrop_site_seed(base, simdrop_site_key(site), step) (docs/MASK_SPEC.md section 8)."""
    if not isinstance(site, str):
        raise TypeError(f"site: must be a str, got {type(site).__name__}")
    name = site.encode()
    if b"\0" in name:
        raise ValueError("site: contains a NUL character")
    return _lib.simdrop_site_seed(check_u64(base, "base"), _lib.simdrop_site_key(name),
                                  check_u64(step, "step"))


# ---- element dropout ---------------------------------------------------------------------------

def dropout(x, p, seed, offset=0, out=None, return_mask=False, block=None):
    """y = x * (keep ? 1/(1-p) : 0) elementwise; returns y, or (y, mask) with return_mask=True.

    keep(seed, offset + k, p) per docs/MASK_SPEC.md. out may be x (in place). block=(row0, col0,
    global_cols): x is that block of a global tensor (see the module's docstring)."""
    _need_numpy("dropout")
    if block is not None:
        return _dropout_block("forward", x, None, p, seed, offset, out, return_mask, block)
    x, t = _array(x, "x")
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, x.size)
    y = _out(out, x)
    m = _new_mask(x.size, return_mask)
    check(_c("forward", t)(y.ctypes.data, _ptr(m), x.ctypes.data, x.size, p, seed, offset),
          f"simdrop_forward_{t}")
    return _result(y, m, return_mask)


def dropout_backward(dy, mask, p, out=None, block=None):
    """dx = dy * (bit k of mask ? 1/(1-p) : 0): the gradient of dropout from its mask."""
    _need_numpy("dropout_backward")
    if block is not None:
        return _dropout_block("backward", dy, mask, p, 0, 0, out, False, block)
    dy, t = _array(dy, "dy")
    p = check_p(p)
    m = _mask_in(mask, dy.size)
    dx = _out(out, dy)
    check(_c("backward", t)(dx.ctypes.data, dy.ctypes.data, m.ctypes.data, dy.size, p),
          f"simdrop_backward_{t}")
    return dx


def dropout_backward_regen(dy, p, seed, offset=0, out=None, block=None):
    """dropout_backward without a stored mask: regenerated from (seed, offset), bit for bit."""
    _need_numpy("dropout_backward_regen")
    if block is not None:
        return _dropout_block("backward_regen", dy, None, p, seed, offset, out, False, block)
    dy, t = _array(dy, "dy")
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, dy.size)
    dx = _out(out, dy)
    check(_c("backward_regen", t)(dx.ctypes.data, dy.ctypes.data, dy.size, p, seed, offset),
          f"simdrop_backward_regen_{t}")
    return dx


# ---- group dropout (channel dropout, drop-path) ------------------------------------------------

def dropout_groups(x, groups, p, seed, offset=0, out=None, return_mask=False):
    """Keep or drop `groups` equal runs of consecutive elements of x (C order) as wholes.

    Dropout2d on (N, C, H, W) is groups = N*C; drop-path on (B, ...) is groups = B. offset counts
    groups and the mask has one bit per group."""
    _need_numpy("dropout_groups")
    x, t = _array(x, "x")
    groups, glen = _groups(x.size, groups)
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, groups)
    y = _out(out, x)
    m = _new_mask(groups, return_mask)
    check(_c("forward_groups", t)(y.ctypes.data, _ptr(m), x.ctypes.data, groups, glen, p, seed, offset),
          f"simdrop_forward_groups_{t}")
    return _result(y, m, return_mask)


def dropout_groups_backward(dy, mask, groups, p, out=None):
    """Gradient of dropout_groups from its mask (one bit per group)."""
    _need_numpy("dropout_groups_backward")
    dy, t = _array(dy, "dy")
    groups, glen = _groups(dy.size, groups)
    p = check_p(p)
    m = _mask_in(mask, groups)
    dx = _out(out, dy)
    check(_c("backward_groups", t)(dx.ctypes.data, dy.ctypes.data, m.ctypes.data, groups, glen, p),
          f"simdrop_backward_groups_{t}")
    return dx


def dropout_groups_backward_regen(dy, groups, p, seed, offset=0, out=None):
    """dropout_groups_backward with the mask regenerated from (seed, offset)."""
    _need_numpy("dropout_groups_backward_regen")
    dy, t = _array(dy, "dy")
    groups, glen = _groups(dy.size, groups)
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, groups)
    dx = _out(out, dy)
    check(_c("backward_groups_regen", t)(dx.ctypes.data, dy.ctypes.data, groups, glen, p, seed, offset),
          f"simdrop_backward_groups_regen_{t}")
    return dx


# ---- channels-last group dropout (NHWC: Dropout2d and feature alpha dropout) -------------------

def _nhwc(n, samples, channels):
    """(samples, spatial, channels) of n elements; ValueError naming the count that does not fit."""
    samples, channels = check_u64(samples, "samples"), check_u64(channels, "channels")
    pairs = samples * channels
    if pairs == 0:
        if n:
            raise ValueError(f"samples, channels: {samples} x {channels} cannot hold {n} elements")
        return samples, 1, channels
    if n % pairs or n == 0:
        raise ValueError(f"samples, channels: {n} elements are not {samples} samples of whole "
                         f"positions of {channels} channels")
    return samples, n // pairs, channels


def _nhwc_call(function, op, a, name, samples, channels, p, alpha, out):
    """What the channels-last functions share (`function` is the public one's name): the checked
    array, (samples, spatial, channels), p and output, and the C function of `op` (its alpha_
    form with alpha=True) with its name."""
    _need_numpy(function)
    a, t = _array(a, name)
    shape = _nhwc(a.size, samples, channels)
    cname = ("alpha_" + op.replace("groups_", "")) if alpha else op
    return a, shape, check_p(p), _out(out, a), _c(cname, t), f"simdrop_{cname}_{t}"


def dropout_groups_nhwc(x, samples, channels, p, seed, offset=0, out=None, return_mask=False,
                        alpha=False):
    """Channel dropout of x laid out (samples, positions..., channels), C order (NHWC): channel c
    of sample s kept or dropped at every position by keep(seed, offset + s * channels + c, p),
    the bits dropout_groups gives the same tensor in NCHW order. alpha=True: feature alpha
    dropout (alpha_dropout's values). offset counts (sample, channel) pairs, the mask has a bit
    per pair."""
    x, (n, spatial, c), p, y, fn, name = _nhwc_call("dropout_groups_nhwc", "forward_groups_nhwc",
                                                    x, "x", samples, channels, p, alpha, out)
    seed, offset = check_u64(seed, "seed"), check_offset(offset, n * c)
    m = _new_mask(n * c, return_mask)
    check(fn(y.ctypes.data, _ptr(m), x.ctypes.data, n, spatial, c, p, seed, offset), name)
    return _result(y, m, return_mask)


def dropout_groups_nhwc_backward(dy, mask, samples, channels, p, out=None, alpha=False):
    """Gradient of dropout_groups_nhwc from its mask (one bit per (sample, channel))."""
    dy, (n, spatial, c), p, dx, fn, name = _nhwc_call("dropout_groups_nhwc_backward",
                                                      "backward_groups_nhwc", dy, "dy", samples,
                                                      channels, p, alpha, out)
    m = _mask_in(mask, n * c)
    check(fn(dx.ctypes.data, dy.ctypes.data, m.ctypes.data, n, spatial, c, p), name)
    return dx


def dropout_groups_nhwc_backward_regen(dy, samples, channels, p, seed, offset=0, out=None,
                                       alpha=False):
    """dropout_groups_nhwc_backward with the mask regenerated from (seed, offset)."""
    dy, (n, spatial, c), p, dx, fn, name = _nhwc_call("dropout_groups_nhwc_backward_regen",
                                                      "backward_groups_nhwc_regen", dy, "dy",
                                                      samples, channels, p, alpha, out)
    seed, offset = check_u64(seed, "seed"), check_offset(offset, n * c)
    check(fn(dx.ctypes.data, dy.ctypes.data, n, spatial, c, p, seed, offset), name)
    return dx


# ---- alpha dropout and dropout without rescaling: one decision per element, or per group ------

def _per_group_forward(fname, c, x, p, seed, offset, out, return_mask, groups):
    """The forward of a family whose groups= is optional (None: one decision per element)."""
    _need_numpy(fname)
    x, t = _array(x, "x")
    groups, glen = _groups(x.size, x.size if groups is None else groups)
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, groups)
    y = _out(out, x)
    m = _new_mask(groups, return_mask)
    check(_c(c, t)(y.ctypes.data, _ptr(m), x.ctypes.data, groups, glen, p, seed, offset),
          f"simdrop_{c}_{t}")
    return _result(y, m, return_mask)


def _per_group_regen(fname, c, dy, p, seed, offset, out, groups):
    """Its backward with the mask regenerated from (seed, offset)."""
    _need_numpy(fname)
    dy, t = _array(dy, "dy")
    groups, glen = _groups(dy.size, dy.size if groups is None else groups)
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, groups)
    dx = _out(out, dy)
    check(_c(c, t)(dx.ctypes.data, dy.ctypes.data, groups, glen, p, seed, offset),
          f"simdrop_{c}_{t}")
    return dx


def _per_group_mask(fname, dy, mask, out, groups):
    """(dy array, dtype suffix, groups, group_len, mask, dx) of a backward from a stored mask."""
    _need_numpy(fname)
    dy, t = _array(dy, "dy")
    groups, glen = _groups(dy.size, dy.size if groups is None else groups)
    return dy, t, groups, glen, _mask_in(mask, groups), _out(out, dy)


def alpha_dropout(x, p, seed, offset=0, out=None, return_mask=False, groups=None):
    """PyTorch's alpha_dropout (groups=None: per element) or feature_alpha_dropout (groups=N*C).

    kept: x * A + AB; dropped: x * 0 + D, with the constants of docs/MASK_SPEC.md 4.4."""
    return _per_group_forward("alpha_dropout", "alpha_forward", x, p, seed, offset, out,
                              return_mask, groups)


def alpha_dropout_backward(dy, mask, p, out=None, groups=None):
    """dx = dy * (keep ? A : 0): the gradient of alpha_dropout from its mask."""
    dy, t, groups, glen, m, dx = _per_group_mask("alpha_dropout_backward", dy, mask, out, groups)
    p = check_p(p)
    check(_c("alpha_backward", t)(dx.ctypes.data, dy.ctypes.data, m.ctypes.data, groups, glen, p),
          f"simdrop_alpha_backward_{t}")
    return dx


def alpha_dropout_backward_regen(dy, p, seed, offset=0, out=None, groups=None):
    """alpha_dropout_backward with the mask regenerated from (seed, offset)."""
    return _per_group_regen("alpha_dropout_backward_regen", "alpha_backward_regen", dy, p, seed,
                            offset, out, groups)


def unscaled_dropout(x, p, seed, offset=0, out=None, return_mask=False, groups=None):
    """y = x * (keep ? 1 : 0): dropout that leaves the kept elements as they are (groups=None: per
    element; drop-path on (B, ...) is groups=B, timm's drop_path(scale_by_keep=False)).

    The mask bits are dropout_groups' for the same (groups, p, seed, offset)."""
    return _per_group_forward("unscaled_dropout", "unscaled_forward", x, p, seed, offset, out,
                              return_mask, groups)


def unscaled_dropout_backward(dy, mask, out=None, groups=None):
    """dx = dy * (keep ? 1 : 0): the gradient of unscaled_dropout from its mask (no p: the factor
    of a kept element is 1 whatever p was)."""
    dy, t, groups, glen, m, dx = _per_group_mask("unscaled_dropout_backward", dy, mask, out, groups)
    check(_c("unscaled_backward", t)(dx.ctypes.data, dy.ctypes.data, m.ctypes.data, groups, glen),
          f"simdrop_unscaled_backward_{t}")
    return dx


def unscaled_dropout_backward_regen(dy, p, seed, offset=0, out=None, groups=None):
    """unscaled_dropout_backward with the mask regenerated from (seed, offset)."""
    return _per_group_regen("unscaled_dropout_backward_regen", "unscaled_backward_regen", dy, p,
                            seed, offset, out, groups)


# ---- fused bias + dropout + residual -----------------------------------------------------------

def _rows_cols(a):
    cols = a.shape[-1] if a.ndim else 1
    rows = a.size // cols if cols else (int(np.prod(a.shape[:-1])) if a.ndim else 1)
    return rows, cols


def bias_dropout_add(x, bias, residual, p, seed, offset=0, out=None, return_mask=False, block=None):
    """out = residual + dropout(x + bias): x is (..., cols), bias (cols,) or None, residual like x or None.

    f32/f64 round every step as PyTorch's eager `residual + dropout(x + bias)`; f16 runs the chain
    in float and rounds once. out may be x or residual (in place). block=(row0, col0,
    global_cols): x (2-D) is that block of a global tensor, bias its columns' bias."""
    _need_numpy("bias_dropout_add")
    if block is not None:
        x, t, ldx = _block_in(x, "x")
    else:
        x, t = _array(x, "x")
    rows, cols = _rows_cols(x)
    if bias is not None:
        bias, tb = _array(bias, "bias")
        if tb != t:
            raise TypeError(f"bias: dtype {bias.dtype} does not match x's {x.dtype}")
        if bias.shape != (cols,):
            raise ValueError(f"bias: shape {bias.shape} is not ({cols},), x's last dimension")
    if residual is not None:
        residual, tr = (_suffix if block is not None else _array)(residual, "residual")
        if tr != t:
            raise TypeError(f"residual: dtype {residual.dtype} does not match x's {x.dtype}")
        if residual.shape != x.shape:
            raise ValueError(f"residual: shape {residual.shape} is not x's {x.shape}")
    p = check_p(p)
    seed = check_u64(seed, "seed")
    if block is not None:
        y, ldy = _block_out(out, x)
        if residual is not None and residual is not y:
            residual = _same_layout(residual, ldy, "residual")
        m = _new_mask(x.size, return_mask)
        check(_c("bias_dropout_add_block", t)(y.ctypes.data, _ptr(m), x.ctypes.data, _ptr(bias),
                                              _ptr(residual), _block(block, rows, cols, ldx, ldy),
                                              p, seed, check_u64(offset, "offset")),
              f"simdrop_bias_dropout_add_block_{t}")
        return _result(y, m, return_mask)
    offset = check_offset(offset, x.size)
    y = _out(out, x)
    m = _new_mask(x.size, return_mask)
    check(_c("bias_dropout_add", t)(y.ctypes.data, _ptr(m), x.ctypes.data, _ptr(bias), _ptr(residual),
                                    rows, cols, p, seed, offset),
          f"simdrop_bias_dropout_add_{t}")
    return _result(y, m, return_mask)


def _dbias_out(t, cols, want):
    if not want:
        return None
    return np.empty(cols, np.float64 if t == "f64" else np.float32)


def _bda_backward_block(dout, mask, p, seed, offset, out, dbias, block, granule):
    """The fused backward on a block, from mask (not None) or regenerated."""
    dout, t, ldx = _block_in(dout, "dout")
    rows, cols = dout.shape
    p = check_p(p)
    granule = check_u64(granule, "granule")
    dx, ldy = _block_out(out, dout)
    b = _block(block, rows, cols, ldx, ldy)
    db = None
    if dbias:
        acc = np.float64 if t == "f64" else np.float32
        db = np.empty(((rows + granule - 1) // granule, cols) if granule else cols, acc)
    if mask is not None:
        m = _mask_in(mask, dout.size)
        check(_c("bias_dropout_add_backward_block", t)(dx.ctypes.data, _ptr(db), dout.ctypes.data,
                                                       m.ctypes.data, b, granule, p),
              f"simdrop_bias_dropout_add_backward_block_{t}")
    else:
        check(_c("bias_dropout_add_backward_regen_block", t)(dx.ctypes.data, _ptr(db), dout.ctypes.data,
                                                             b, granule, p, check_u64(seed, "seed"),
                                                             check_u64(offset, "offset")),
              f"simdrop_bias_dropout_add_backward_regen_block_{t}")
    return dx, db


def bias_dropout_add_backward(dout, mask, p, out=None, dbias=True, block=None, granule=0):
    """(dx, dbias) from the gradient of bias_dropout_add's output and its mask.

    dx = dout * (keep ? 1/(1-p) : 0); dbias (float32, float64 for f64; None with dbias=False) is
    the sum of dx over the rows in the fixed 16-chunk order of docs/MASK_SPEC.md 4.5. The
    residual's gradient is dout itself. With block= (2-D dout), granule > 0 makes dbias the
    (ceil(rows / granule), cols) partial sums of 4.7 (fold them with dbias_reduce)."""
    _need_numpy("bias_dropout_add_backward")
    if mask is None:
        raise TypeError("mask: must be a numpy uint8 array, got NoneType")
    if block is not None:
        return _bda_backward_block(dout, mask, p, 0, 0, out, dbias, block, granule)
    if granule:
        raise ValueError("granule: takes effect with block= only")
    dout, t = _array(dout, "dout")
    rows, cols = _rows_cols(dout)
    p = check_p(p)
    m = _mask_in(mask, dout.size)
    dx = _out(out, dout)
    db = _dbias_out(t, cols, dbias)
    check(_c("bias_dropout_add_backward", t)(dx.ctypes.data, _ptr(db), dout.ctypes.data, m.ctypes.data,
                                             rows, cols, p),
          f"simdrop_bias_dropout_add_backward_{t}")
    return dx, db


def bias_dropout_add_backward_regen(dout, p, seed, offset=0, out=None, dbias=True, block=None,
                                    granule=0):
    """bias_dropout_add_backward with the mask regenerated from (seed, offset)."""
    _need_numpy("bias_dropout_add_backward_regen")
    if block is not None:
        return _bda_backward_block(dout, None, p, seed, offset, out, dbias, block, granule)
    if granule:
        raise ValueError("granule: takes effect with block= only")
    dout, t = _array(dout, "dout")
    rows, cols = _rows_cols(dout)
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, dout.size)
    dx = _out(out, dout)
    db = _dbias_out(t, cols, dbias)
    check(_c("bias_dropout_add_backward_regen", t)(dx.ctypes.data, _ptr(db), dout.ctypes.data,
                                                   rows, cols, p, seed, offset),
          f"simdrop_bias_dropout_add_backward_regen_{t}")
    return dx, db


# ---- masks -------------------------------------------------------------------------------------

def mask(n, p, seed, offset=0):
    """The bitmask alone: uint8 array of (n + 7) // 8 bytes, as the forward functions store it."""
    _need_numpy("mask")
    n = check_u64(n, "n")
    p = check_p(p)
    seed = check_u64(seed, "seed")
    offset = check_offset(offset, n)
    m = np.empty(mask_bytes(n), np.uint8)
    check(_lib.simdrop_mask(m.ctypes.data, n, p, seed, offset), "simdrop_mask")
    return m


def mask_to_bytes(mask, n):
    """One uint8 per element (0 or 1) from a bitmask of n bits."""
    _need_numpy("mask_to_bytes")
    n = check_u64(n, "n")
    m = _mask_in(mask, n)
    out = np.empty(n, np.uint8)
    check(_lib.simdrop_mask_to_bytes(out.ctypes.data, m.ctypes.data, n), "simdrop_mask_to_bytes")
    return out


def mask_from_bytes(values):
    """A bitmask from one value per element (bool, uint8 or int8: any nonzero byte is keep)."""
    _need_numpy("mask_from_bytes")
    if not isinstance(values, np.ndarray):
        values = np.asarray(values)
    if values.dtype not in (np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.int8)):
        raise TypeError(f"values: dtype must be bool, uint8 or int8, got {values.dtype}")
    values = np.ascontiguousarray(values)
    n = values.size
    m = np.empty(mask_bytes(n), np.uint8)
    check(_lib.simdrop_mask_from_bytes(m.ctypes.data, values.ctypes.data, n), "simdrop_mask_from_bytes")
    return m
