"""_sharding.py: masks that do not depend on the parallel layout: site seeds and blocks.

Two things decide a mask in simdrop: the seed and the global index of each keep decision
(docs/MASK_SPEC.md). A layout-independent run fixes both:

- the seed of a call is site_seed(base, site, step): a pure function of a base seed, the dropout
  site's stable name (a module's qualified name in the model, or a key given to a functional
  call) and a step counter, active inside `with site_seeds(base, step)`. No generator is drawn,
  so the order in which sites run, the microbatch split, the rank that runs a site and activation
  recomputation change nothing.
- the global index: a call told which block of the global tensor its input is (a sample range
  of dimension 0, a feature range, any dimension's range; or a DTensor's placements) runs the
  keep decisions of exactly those global elements, so every shard gets its part of the unsharded
  mask.

A block is kept per dimension as (start, global_size): along that dimension the input is
global[start:start + n] (n its own size) of a global dimension of global_size, and whole along
the others. Inside `with samples(start)` dimension 0 of every
call is samples start.. of the global batch (a microbatch, a data-parallel rank's share).
Everything here is internal; simdrop.torch exports the public names.
"""
import ctypes
import threading
import warnings

import torch

from .. import _lib
from .._core import U64, check_u64, raise_status
from . import _ops

# ---- seeds per site and step: the C library's simdrop_site_key / simdrop_site_seed -----------------

def site_key(name):
    """The 64-bit key of a site name: FNV-1a over its UTF-8 bytes (simdrop_site_key)."""
    if not isinstance(name, str):
        raise TypeError(f"site: must be a str (a stable name such as 'layers.3.mlp.dropout'), "
                        f"got {type(name).__name__}")
    if "\0" in name:
        raise ValueError("site: a name cannot hold a NUL character (the C key ends at the first)")
    return _lib.simdrop_site_key(name.encode("utf-8"))


def site_seed(base, site, step):
    """The seed of `site` (a name, or a key from site_key) at `step` under base seed `base`:
    three splitmix64 steps, each a bijection, so for a fixed base distinct (key, step) pairs of
    one key or of one step never share a seed (simdrop_site_seed)."""
    key = site_key(site) if isinstance(site, str) else check_u64(site, "site")
    return _lib.simdrop_site_seed(check_u64(base, "base"), key, check_u64(step, "step"))


# ---- the active mode (per thread) ------------------------------------------------------------------

class _State(threading.local):
    mode = None      # (base, step) inside site_seeds()
    samples = None   # (start, total or None) inside samples()

    def __init__(self):
        self.saved = []  # what each open context replaced, innermost last (this thread's own)


_state = _State()
# How many site_seeds()/samples() contexts are open in any thread: the one global read on the
# fast path of every call (0: nothing here applies, no thread-local lookup). Changed under a lock:
# `+=` on it is several bytecodes, and a lost update could end the mode of another thread.
ACTIVE = [0]
# Of those, the site_seeds() ones: a call with a site outside them draws from the generator, which
# only matters (and warns) while some thread takes its seeds from the sites.
SITE_SEEDS_ACTIVE = [0]
_count_lock = threading.Lock()


class _Context:
    """One samples() or site_seeds(). What it replaced is kept on the entering thread's stack, not
    on the object: one object may be entered again inside itself, or by several threads at once."""
    __slots__ = ("attr", "value")

    def __init__(self, attr, value):
        self.attr, self.value = attr, value

    def __enter__(self):
        _state.saved.append(getattr(_state, self.attr))
        setattr(_state, self.attr, self.value)
        with _count_lock:
            ACTIVE[0] += 1
            SITE_SEEDS_ACTIVE[0] += self.attr == "mode"
        return self

    def __exit__(self, *exc):
        setattr(_state, self.attr, _state.saved.pop())
        with _count_lock:
            ACTIVE[0] -= 1
            SITE_SEEDS_ACTIVE[0] -= self.attr == "mode"
        return False


def active_mode():
    return _state.mode


def active_samples():
    return _state.samples


def site_seeds_context(base, step):
    return _Context("mode", (check_u64(base, "base"), check_u64(step, "step")))


def samples_context(start, total):
    start = check_u64(start, "start")
    if total is not None:
        total = check_u64(total, "total")
        if start > total:
            raise ValueError(f"samples: start {start} is past the global batch of {total}")
    return _Context("samples", (start, total))


def seed_of(site, generator, fname):
    """The call's seed: site_seed(base, site, step) inside site_seeds(), else one draw of the
    generator (as every other call)."""
    mode = _state.mode
    if mode is None:
        if site is not None and SITE_SEEDS_ACTIVE[0] and _state.samples is None:
            warnings.warn(
                f"simdrop.torch.{fname}: a call with site {site!r} runs on a thread outside "
                "site_seeds() while another thread is inside site_seeds(): its seed is "
                "drawn from the generator, so its mask depends on the layout. Autograd's own threads "
                "(a CUDA backward, DataParallel's replicas) and a checkpoint's recomputation in a "
                "backward run after the with block are such calls: run backward inside the block "
                "on the thread that entered it (docs/PYTORCH.md, Sharded runs).", RuntimeWarning,
                stacklevel=3)
        return _ops.draw_seed(generator)
    if generator is not None:
        raise RuntimeError(f"simdrop.torch.{fname}: generator= and site_seeds() both give the seed; "
                           "inside site_seeds() the seed is site_seed(base, site, step)")
    if site is None:
        raise RuntimeError(
            f"simdrop.torch.{fname}: inside site_seeds() every call needs its site: a module's "
            "site is its qualified name once simdrop.torch.name_sites(model) (or "
            "site_seeds(..., model=model)) has named it; a functional call takes site='a stable "
            "name'. Without one the seed would depend on the call order.")
    return site_seed(mode[0], site, mode[1])


# ---- blocks ----------------------------------------------------------------------------------------

def normalize(block, ndim, fname):
    """block ({dim: (start, global_size)}, dims may be negative) as {dim >= 0: (start, size)}."""
    out = {}
    if block is None:
        return out
    if not isinstance(block, dict):
        raise TypeError(f"simdrop.torch.{fname}: block must be a dict {{dim: (start, global_size)}}, "
                        f"got {type(block).__name__}")
    for dim, where in block.items():
        if not isinstance(dim, int) or not -ndim <= dim < ndim:
            raise ValueError(f"simdrop.torch.{fname}: block dimension {dim!r} is not a dimension of "
                             f"a {ndim}-D input")
        d = dim % ndim
        if d in out:
            raise ValueError(f"simdrop.torch.{fname}: block names dimension {d} twice")
        try:
            start, size = where
        except (TypeError, ValueError):
            raise TypeError(f"simdrop.torch.{fname}: block[{dim}] must be (start, global_size), "
                            f"got {where!r}") from None
        out[d] = (check_u64(start, "block start"), None if size is None else check_u64(size, "block size"))
    return out


def box(input, block, decision_dims, fname):
    """(starts, local, global) over the decision grid (the first decision_dims dimensions of
    input), or None when the input is the whole global tensor. The dimensions after the grid (a
    channel's or a sample's elements) must be whole: a block cannot cut a keep decision."""
    ndim = input.dim()
    where = normalize(block, ndim, fname)
    s = _state.samples
    if s is not None:
        if ndim == 0:
            raise ValueError(f"simdrop.torch.{fname}: inside samples() the input needs a sample "
                             "dimension (got a 0-d tensor)")
        if 0 in where:
            raise ValueError(f"simdrop.torch.{fname}: dimension 0 is given twice: by samples() and "
                             "by the call's block")
        where[0] = s
    if not where:
        return None
    shape = tuple(input.shape)
    starts, glob = [0] * ndim, list(shape)
    for d, (start, size) in where.items():
        if size is None:
            if d != 0:
                raise ValueError(f"simdrop.torch.{fname}: block[{d}] needs the global size")
            size = start + shape[d]
        if start + shape[d] > size:
            raise ValueError(f"simdrop.torch.{fname}: block[{d}] = ({start}, {size}) does not hold "
                             f"the input's {shape[d]} elements of dimension {d}")
        if d >= decision_dims and (start, size) != (0, shape[d]):
            raise ValueError(f"simdrop.torch.{fname}: block[{d}] cuts dimension {d}, inside a keep "
                             f"decision (this form decides per {decision_dims} leading "
                             "dimension(s)); only those can be cut")
        starts[d], glob[d] = start, size
    if all(st == 0 for st in starts) and glob == list(shape):
        return None
    return starts[:decision_dims], list(shape[:decision_dims]), glob[:decision_dims]


def blocks(starts, local, glob):
    """The local grid as 2-D blocks of the row-major global grid: a list of (first local
    decision, rows, cols, row0, col0, global_cols). The last cut dimension d and everything after
    it make the columns; the dimensions before d make the rows, which run in one block up to the
    last cut one among them and one block per index of the dimensions before that."""
    nd = len(local)
    cut = [k for k in range(nd) if starts[k] != 0 or local[k] != glob[k]]
    if any(n == 0 for n in local):
        return []
    if not cut:  # the whole grid: one row of every decision
        total = 1
        for n in local:
            total *= n
        return [(0, 1, total, 0, 0, total)]
    d = cut[-1]
    inner = 1
    for k in range(d + 1, nd):
        inner *= local[k]
    cols, col0, gcols = local[d] * inner, starts[d] * inner, glob[d] * inner
    outer_cut = [k for k in cut if k < d]
    if not outer_cut:  # the rows are the whole outer grid, from row 0
        rows = 1
        for k in range(d):
            rows *= local[k]
        return [(0, rows, cols, 0, col0, gcols)]
    e = outer_cut[-1]
    span = 1  # global rows per index of dimension e
    for k in range(e + 1, d):
        span *= glob[k]
    rows = local[e] * span
    out = []
    first = 0
    for index in _indices(local[:e]):
        row0 = 0
        for k in range(e):  # row-major global row of (index, starts[e], 0, ...)
            row0 = (row0 + starts[k] + index[k]) * glob[k + 1]
        row0 = (row0 + starts[e]) * span
        out.append((first, rows, cols, row0, col0, gcols))
        first += rows * cols
    return out


def _indices(shape):
    if not shape:
        yield ()
        return
    for i in range(shape[0]):
        for rest in _indices(shape[1:]):
            yield (i,) + rest


def check_range(bl, fname):
    """Every global index of the blocks below 2^64 (SIMDROP_ERANGE's rule, said before any call)."""
    for _, rows, cols, row0, col0, gcols in bl:
        last = (row0 + rows - 1) * gcols + col0 + cols - 1
        if last > U64:
            raise ValueError(f"simdrop.torch.{fname}: the block's last global index {last} "
                             "exceeds 2^64 - 1")


# ---- running a call over blocks -----------------------------------------------------------------

class BlockSpec:
    """A call over blocks: kernels (k: element dropout's are the block functions, _ops.BLOCK), p,
    seed, elements per decision, the blocks."""
    __slots__ = ("k", "p", "seed", "glen", "blocks")

    def __init__(self, k, p, seed, glen, bl):
        self.k, self.p, self.seed, self.glen, self.blocks = k, p, seed, glen, bl


def _run(spec, out, src, forward):
    """The call over every block, out and src contiguous (local decision k at element k * glen).
    Element dropout has block functions; the other forms (groups, alpha) one call of the
    contiguous API per block row."""
    k, p, seed, glen = spec.k, spec.p, spec.seed, spec.glen
    esize = out.element_size()
    op, sp = out.data_ptr(), src.data_ptr()
    if not k.grouped:  # element dropout: one C block call per block
        fwd, regen, names = k.fwd, k.regen, (k.names[0], k.names[2])
        b = _lib.simdrop_block()
        for first, rows, cols, row0, col0, gcols in spec.blocks:
            b.rows, b.cols, b.row0, b.col0, b.global_cols, b.ldx, b.ldy = rows, cols, row0, col0, gcols, cols, cols
            at = first * esize
            if forward:
                rc = fwd(op + at, None, sp + at, _byref(b), p, seed, 0)
            else:
                rc = regen(op + at, sp + at, _byref(b), p, seed, 0)
            if rc:
                raise_status(rc, names[0 if forward else 1])
        return out
    fn, name = (k.fwd, k.names[0]) if forward else (k.regen, k.names[2])
    for first, rows, cols, row0, col0, gcols in spec.blocks:
        for r in range(rows):  # a row is one index range of the decisions
            at = (first + r * cols) * glen * esize
            if forward:
                rc = fn(op + at, None, sp + at, cols, glen, p, seed, (row0 + r) * gcols + col0)
            else:
                rc = fn(op + at, sp + at, cols, glen, p, seed, (row0 + r) * gcols + col0)
            if rc:
                raise_status(rc, name)
    return out


_byref = ctypes.byref


def block_forward(x, spec, out):
    return _run(spec, out, x, True)


def block_backward(g, spec):
    g = _ops.plain(g)
    return _run(spec, torch.empty_like(g), g, False)


class BlockFunction(torch.autograd.Function):
    """y = dropout(x) over blocks; the backward regenerates the mask from (seed, blocks)."""

    @staticmethod
    def forward(ctx, x, spec):
        ctx.spec = spec
        return block_forward(x, spec, torch.empty_like(x))

    @staticmethod
    def backward(ctx, g):
        return _ops.backward_autograd(g, ctx.spec, block_backward), None


def run_blocks(kind, input, p, inplace, seed, fname, glen, bl):
    """A call whose input is a block of the global tensor. The result is contiguous; the mask is
    never kept (the backward regenerates it per block). In place on a tensor that is not
    contiguous (a block is addressed in row-major order) the result is computed in a contiguous
    copy and copied in, as PyTorch's own in-place dropout does where it cannot work in place."""
    k = _ops.kernels(_ops.BLOCK if kind is _ops.ELEMENT else kind, input, fname)
    check_range(bl, fname)
    spec = BlockSpec(k, float(p), seed, glen, bl)
    x = _ops.plain(input)
    if input.requires_grad and torch.is_grad_enabled():
        y = BlockFunction.apply(x, spec)
        return input.copy_(y) if inplace else y
    if inplace and x is input:
        block_forward(x, spec, x)
        _ops.bump_version(input)
        return input
    y = block_forward(x, spec, torch.empty_like(x))
    return input.copy_(y) if inplace else y


def plan(input, block, ddims, fname):
    """The blocks of a call whose keep decisions are the grid of input's first ddims dimensions
    (all of them for element dropout, (N, C) for channel dropout, N for drop-path), or None when
    its input is the whole global tensor."""
    b = box(input, block, ddims, fname)
    return None if b is None else blocks(*b)


def whole(input):
    """The blocks of a whole tensor's element decisions in row-major order (its grid uncut)."""
    local = list(input.shape)
    return blocks([0] * len(local), local, local)


def in_mode(block):
    """A block given, or this thread inside site_seeds() or samples()."""
    return block is not None or _state.mode is not None or _state.samples is not None


# ---- the fused bias + dropout + residual op on a block ----------------------------------------------

def fused_block(input, block, fname):
    """The C block of a bias_dropout_add call on a block (rows: every dimension but the last,
    columns: the last, the bias's), or None for the whole global tensor. Only the first and the
    last dimensions may be cut: then the block is one run of global rows."""
    b = box(input, block, input.dim(), fname)
    if b is None:
        return None
    starts, local, glob = b
    n = len(local)
    if any(starts[d] != 0 or local[d] != glob[d] for d in range(1, n - 1)):
        raise NotImplementedError(f"simdrop.torch.{fname}: a block of the fused op may cut the first "
                                  "and the last dimension only (use dropout(x + bias, block=...) + "
                                  "residual for others)")
    rows = 1
    for size in local[:-1]:
        rows *= size
    inner = 1  # global rows per index of dimension 0
    for size in glob[1:-1]:
        inner *= size
    row0 = starts[0] * inner if n > 1 else 0
    blk = _lib.simdrop_block(rows, local[-1], row0, starts[-1], glob[-1], local[-1], local[-1])
    check_range([(0, rows, local[-1], row0, starts[-1], glob[-1])], fname)
    return blk


class FusedBlockFunction(torch.autograd.Function):
    """out = residual + dropout(x + bias) on a block; backward (dx, dbias over the block's rows in
    MASK_SPEC 4.5's order, dresidual) with the mask regenerated. Its backward is not itself
    differentiable (no double backward on a block)."""

    @staticmethod
    def forward(ctx, x, bias, residual, blk, p, seed, dbias_dtype):
        ctx.blk, ctx.p, ctx.seed, ctx.dbias_dtype = blk, p, seed, dbias_dtype
        return fused_forward(x, bias, residual, blk, p, seed)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        need_x, need_b, need_r = ctx.needs_input_grad[:3]
        g = _ops.plain(g)
        dx = torch.empty_like(g)
        db = None
        if need_b:
            db = g.new_empty(ctx.blk.cols, dtype=torch.float64 if g.dtype == torch.float64 else torch.float32)
        k = _ops.kernels(_ops.BIAS_ADD_BLOCK, g, "bias_dropout_add", "grad")
        regen, name = k.regen, k.names[2]
        rc = regen(dx.data_ptr(), None if db is None else db.data_ptr(), g.data_ptr(), _byref(ctx.blk),
                   0, ctx.p, ctx.seed, 0)
        if rc:
            raise_status(rc, name)
        if db is not None and db.dtype != ctx.dbias_dtype:
            db = db.to(ctx.dbias_dtype)
        return (dx if need_x else None), db, (g if need_r else None), None, None, None, None


def fused_forward(x, bias, residual, blk, p, seed):
    k = _ops.kernels(_ops.BIAS_ADD_BLOCK, x, "bias_dropout_add")
    fwd, name = k.fwd, k.names[0]
    out = torch.empty_like(x)
    rc = fwd(out.data_ptr(), None, x.data_ptr(), None if bias is None else bias.data_ptr(),
             None if residual is None else residual.data_ptr(), _byref(blk), p, seed, 0)
    if rc:
        raise_status(rc, name)
    return out


# ---- DTensor (PyTorch 2.x; torch 1.13 has none) ---------------------------------------------------

def is_dtensor(x):
    """True for a torch.distributed DTensor (by name first: no import on the common path)."""
    if type(x).__name__ != "DTensor":
        return False
    cls = _dtensor_api()[0]
    return cls is not None and isinstance(x, cls)


_api = []


def _dtensor_api():
    """(DTensor, compute_local_shape_and_global_offset) of this torch: torch.distributed.tensor
    (2.4 on) or torch.distributed._tensor (2.0 to 2.3); (None, None) without DTensor."""
    if not _api:
        found = (None, None)
        for mod in ("torch.distributed.tensor", "torch.distributed._tensor"):
            try:
                m = __import__(mod, fromlist=["DTensor"])
                u = __import__(mod + "._utils", fromlist=["compute_local_shape_and_global_offset"])
                found = (m.DTensor, u.compute_local_shape_and_global_offset)
                break
            except (ImportError, AttributeError):
                continue
        _api.append(found)
    return _api[0]


def dtensor_block(x, fname):
    """The block a DTensor's local shard is of the global tensor, from its placements: Shard(d)
    cuts dimension d (over one or more mesh dimensions), Replicate leaves the tensor whole. A
    Partial placement (values still to be summed) or any other placement is refused."""
    _, local_and_offset = _dtensor_api()
    for pl in x.placements:
        if type(pl).__name__ not in ("Shard", "Replicate"):
            raise RuntimeError(f"simdrop.torch.{fname}: DTensor placement {pl} is not supported: "
                               "only Shard(dim) and Replicate() say which global elements a rank "
                               "holds (redistribute a Partial tensor first)")
    shape, offset = local_and_offset(x.shape, x.device_mesh, x.placements)
    return {d: (offset[d], x.shape[d]) for d in range(x.dim())
            if offset[d] != 0 or shape[d] != x.shape[d]}


def on_dtensor(x, block, call, fname):
    """A call on a DTensor: call(local, block) on its local shard (differentiable to_local /
    from_local), the result a DTensor of the same mesh and placements."""
    if block is not None:
        raise ValueError(f"simdrop.torch.{fname}: a DTensor says its block itself (its placements); "
                         "block= cannot be given too")
    cls = _dtensor_api()[0]
    local = x.to_local()
    out = call(local, dtensor_block(x, fname))
    if out is local:  # not training, p == 0: the input itself
        return x
    try:
        return cls.from_local(out, x.device_mesh, x.placements, run_check=False, shape=x.shape,
                              stride=x.stride())
    except TypeError:  # before 2.2: no shape/stride arguments
        return cls.from_local(out, x.device_mesh, x.placements, run_check=False)
