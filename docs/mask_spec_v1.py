# Independent reference implementation of docs/MASK_SPEC.md (version 1), written from that text alone; makes tests/golden_v1.txt and tests/golden_values_v1.txt.
"""
simdrop specification v1 -- plain Python re-implementation.

Written from docs/MASK_SPEC.md only (not from kernels/ or src/), so that tests/golden_v1.txt
(masks, sections 2, 3, 5) and tests/golden_values_v1.txt (output values, section 4) are an
independent check of the C library. Standard library only; runs with any Python 3.7+.

Usage:
    python3 docs/mask_spec_v1.py --selftest        check the generators against tests/vectors/,
                                                   properties of the masks, and unit checks of
                                                   section 4 (exact arithmetic, RN16, W, NaN
                                                   rules, dbias order); exit 1 on failure
    python3 docs/mask_spec_v1.py --golden          print tests/golden_v1.txt to stdout
    python3 docs/mask_spec_v1.py --golden-values   print tests/golden_values_v1.txt to stdout

Section numbers in the comments refer to docs/MASK_SPEC.md.
"""

import math
import os
import struct
import sys
from functools import lru_cache

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

BLOCK = 4096      # B, elements per block (2.2)
LANES = 16        # xoshiro128++ lanes per block (2.2)
ROUNDS = 128      # rounds per block: 128 rounds * 16 lanes * 2 halves = 4096 elements


# --------------------------------------------------------------------------
# 2.1 Generators
# --------------------------------------------------------------------------

def splitmix64_next(x):
    """One splitmix64 step. Returns (new_state, output)."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def rotl32(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def xoshiro128pp_next(s):
    """One xoshiro128++ 1.0 step on the 4-word list s (modified in place). Returns the output."""
    result = (rotl32((s[0] + s[3]) & M32, 7) + s[0]) & M32
    t = (s[1] << 9) & M32
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl32(s[3], 11)
    return result


def lo32(z):
    return z & M32


def hi32(z):
    return (z >> 32) & M32


# --------------------------------------------------------------------------
# 2.2 Blocks, lanes and rounds
# --------------------------------------------------------------------------

def seed_key(seed):
    """k = splitmix64's first output from state x = seed."""
    _, k = splitmix64_next(seed & M64)
    return k


def lane_states(seed, b):
    """The 16 xoshiro128++ lane states at the start of block b (2.2)."""
    k = seed_key(seed)
    x = k ^ b
    _, x = splitmix64_next(x)          # x is now the OUTPUT of next(), not the advanced state
    states = []
    for _j in range(LANES):
        x, z0 = splitmix64_next(x)     # x advances as splitmix64's state
        x, z1 = splitmix64_next(x)
        states.append([lo32(z0), hi32(z0), lo32(z1), hi32(z1)])
    return states


@lru_cache(maxsize=64)
def block_outputs(seed, b):
    """outputs[r][j] = output of lane j in round r (its (r+1)-th output) of block b."""
    states = lane_states(seed, b)
    outputs = []
    for _r in range(ROUNDS):
        outputs.append(tuple(xoshiro128pp_next(states[j]) for j in range(LANES)))
    return tuple(outputs)


# --------------------------------------------------------------------------
# 2.3 Which bits decide element i
# --------------------------------------------------------------------------

def bits16(seed, i):
    b = i // BLOCK
    e = i % BLOCK
    r = e // 32
    q = e % 32
    j = q % 16
    h = q // 16
    w = block_outputs(seed, b)[r][j]
    return (w >> (16 * h)) & 0xFFFF


# --------------------------------------------------------------------------
# 3. Threshold and keep rule
# --------------------------------------------------------------------------

def threshold(p):
    """T(p) = round_half_up(p * 65536), p a double in [0, 1]."""
    p = float(p)
    if not (0.0 <= p <= 1.0):
        raise ValueError("p must be a double in [0, 1], got %r" % (p,))
    v = p * 65536.0                    # exact: multiplication by a power of two
    t = math.trunc(v)
    frac = v - t                       # exact
    return t + (1 if frac >= 0.5 else 0)


def keep(seed, i, p):
    """keep(seed, i, p) in {0, 1} for global element index i (0 <= i < 2^64)."""
    if not (0 <= i <= M64):
        raise ValueError("element index out of range")
    return 1 if bits16(seed & M64, i) >= threshold(p) else 0


# --------------------------------------------------------------------------
# 5. Bitmask layout
# --------------------------------------------------------------------------

def bitmask(seed, offset, n, p):
    """The (n+7)//8 mask bytes of a call (seed, offset, n, p); LSB first, pad bits 0."""
    if offset < 0 or n < 0 or offset + n > (1 << 64):
        raise ValueError("need 0 <= offset and offset + n <= 2^64")
    out = bytearray((n + 7) // 8)
    for k in range(n):
        if keep(seed, offset + k, p):
            out[k // 8] |= 1 << (k % 8)
    return bytes(out)


# --------------------------------------------------------------------------
# 4. Output values
#
# Every value is handled as its IEEE-754 bit pattern (an int), never as a host float, so that
# NaN payloads and signs are exactly what the document says and not what this machine does.
# Arithmetic is exact: a finite value is decoded to (sign, M, E) with value (-1)^sign * M * 2^E
# (M, E integers), products and sums are formed exactly with Python integers, and the exact
# result is rounded once to the target format, to nearest, ties to even, with gradual
# underflow and overflow to infinity (round_exact). No double-rounding argument is needed.
# (The selftest also checks that this equals "compute in double, round to float" for float32
# + and *, the classical result that double rounding is innocuous when 53 >= 2*24 + 2.)
#
# The one result the document leaves to the CPU family is the NaN made by an invalid operation
# (Inf * 0, and Inf - Inf inside additions whose NaN results are canonicalised anyway): x86
# produces the negative default NaN, AArch64 the positive one. Every function below takes
# `arch` ('x86' or 'arm') for that; the golden-values generator runs both and marks the
# elements where they differ.
# --------------------------------------------------------------------------

class Fmt(object):
    """An IEEE-754 binary format: ebits exponent bits, mbits stored fraction bits."""

    def __init__(self, name, ebits, mbits):
        self.name = name
        self.ebits = ebits
        self.mbits = mbits
        self.width = 1 + ebits + mbits
        self.hexw = self.width // 4
        self.bias = (1 << (ebits - 1)) - 1
        self.emin = 1 - self.bias                  # exponent of the smallest normal
        self.sign = 1 << (self.width - 1)
        self.expmask = ((1 << ebits) - 1) << mbits
        self.fracmask = (1 << mbits) - 1
        self.quiet = 1 << (mbits - 1)              # the quiet bit: top fraction bit
        self.canonical = self.expmask | self.quiet  # canonical quiet NaN, positive

    def __repr__(self):
        return self.name


F32 = Fmt("f32", 8, 23)
F64 = Fmt("f64", 11, 52)
F16 = Fmt("f16", 5, 10)      # IEEE binary16
BF16 = Fmt("bf16", 8, 7)     # bfloat16: the top 16 bits of a float32
DTYPES = {"f32": F32, "f64": F64, "bf16": BF16, "f16": F16}


def is_nan(f, u):
    return (u & f.expmask) == f.expmask and (u & f.fracmask) != 0


def is_inf(f, u):
    return (u & ~f.sign) == f.expmask


def is_zero(f, u):
    return (u & ~f.sign) == 0


def sign_of(f, u):
    return 1 if u & f.sign else 0


def default_nan(f, arch):
    """The NaN an invalid operation (Inf * 0, Inf - Inf) produces: negative on x86, positive on
    AArch64 (section 4.1)."""
    return f.canonical | (f.sign if arch == "x86" else 0)


def decode(f, u):
    """A finite pattern -> (sign, M, E), value (-1)^sign * M * 2^E."""
    s = sign_of(f, u)
    e = (u >> f.mbits) & ((1 << f.ebits) - 1)
    m = u & f.fracmask
    if e == 0:
        return s, m, f.emin - f.mbits                        # zero or subnormal
    return s, m | (1 << f.mbits), e - f.bias - f.mbits


def round_exact(f, s, M, E):
    """Round (-1)^s * M * 2^E (M >= 0 an integer) to format f: to nearest, ties to even;
    results below the smallest normal are subnormal multiples of 2^(emin - mbits) (gradual
    underflow); results too large round to infinity. Returns (bits, tie) where tie says the
    exact value lay exactly halfway between two representable values."""
    sbit = f.sign if s else 0
    if M == 0:
        return sbit, False
    e = E + M.bit_length() - 1                  # exponent of the leading bit
    qe = max(e, f.emin) - f.mbits               # exponent of the unit in the last place
    tie = False
    if E >= qe:
        N = M << (E - qe)
    else:
        sh = qe - E
        N = M >> sh
        rem = M & ((1 << sh) - 1)
        half = 1 << (sh - 1)
        tie = rem == half
        if rem > half or (rem == half and (N & 1)):
            N += 1
    if N < (1 << f.mbits):                      # subnormal (or zero after underflow)
        return sbit | N, tie
    if N == (1 << (f.mbits + 1)):               # rounding carried into a new binade
        N >>= 1
        qe += 1
    biased = qe + f.mbits + f.bias
    if biased >= (1 << f.ebits) - 1:            # overflow: infinity
        return sbit | f.expmask, tie
    return sbit | (biased << f.mbits) | (N - (1 << f.mbits)), tie


def convert(src, dst, u):
    """Exact-then-rounded conversion of a non-NaN pattern from format src to format dst."""
    if is_inf(src, u):
        return (dst.sign if sign_of(src, u) else 0) | dst.expmask
    s, M, E = decode(src, u)
    return round_exact(dst, s, M, E)[0]


def mul(f, a, b, arch):
    """One IEEE multiplication in format f. A NaN operand comes back quieted with its sign and
    payload (4.1: x86 and AArch64 both return the NaN operand); Inf * 0 gives the default NaN
    of the CPU family."""
    if is_nan(f, a):
        return a | f.quiet
    if is_nan(f, b):
        return b | f.quiet
    s = sign_of(f, a) ^ sign_of(f, b)
    if is_inf(f, a) or is_inf(f, b):
        if is_zero(f, a) or is_zero(f, b):
            return default_nan(f, arch)
        return (f.sign if s else 0) | f.expmask
    _, ma, ea = decode(f, a)
    _, mb, eb = decode(f, b)
    return round_exact(f, s, ma * mb, ea + eb)[0]


def add(f, a, b, arch, canonical=False):
    """One IEEE addition in format f. With canonical=True any NaN result is the canonical NaN
    (4.5); otherwise exactly one operand may be NaN and it comes back quieted (the document
    pins no payload for two NaN operands, and never needs one)."""
    na, nb = is_nan(f, a), is_nan(f, b)
    if na or nb:
        if canonical:
            return f.canonical
        if na and nb:
            raise ValueError("NaN + NaN payload is not specified")
        return (a if na else b) | f.quiet
    sa, sb = sign_of(f, a), sign_of(f, b)
    if is_inf(f, a) or is_inf(f, b):
        if is_inf(f, a) and is_inf(f, b) and sa != sb:
            return f.canonical if canonical else default_nan(f, arch)
        return a if is_inf(f, a) else b
    _, ma, ea = decode(f, a)
    _, mb, eb = decode(f, b)
    e = min(ea, eb)
    m = (-ma if sa else ma) * (1 << (ea - e)) + (-mb if sb else mb) * (1 << (eb - e))
    if m == 0:
        # An exact zero sum is +0 in round-to-nearest, except (-0) + (-0) = -0.
        return f.sign if (sa and sb) else 0
    return round_exact(f, 1 if m < 0 else 0, abs(m), e)[0]


def double_bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def double_from_bits(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def f32_of_double(v):
    """(float)v for a non-NaN double v: one rounding to nearest even."""
    return convert(F64, F32, double_bits(v))


# ---- 4.2 widening W and narrowing RN16 --------------------------------------

def widen(f, h):
    """W: a bf16/f16 pattern -> the float32 pattern of the same value (exact)."""
    if f is BF16:
        return (h & 0xFFFF) << 16               # bf16 is the top half of a float
    sign = F32.sign if h & F16.sign else 0
    if is_nan(F16, h):                           # NaN: sign and payload kept
        return sign | F32.expmask | ((h & F16.fracmask) << 13)
    return convert(F16, F32, h)                  # subnormals, zeros, infinities: exact


def rn16(f, u):
    """RN16: a float32 pattern -> bf16/f16, rounded to nearest, ties to even (4.2)."""
    if is_nan(F32, u):
        if f is BF16:
            return (u >> 16) | 0x0040
        return (0x8000 if u & F32.sign else 0) | 0x7E00 | ((u >> 13) & 0x01FF)
    r = convert(F32, f, u)
    if _RN16_COUNTING and not is_inf(F32, u):
        key = None
        if is_inf(f, r):
            key = "RN16overflow"                 # a finite float that rounds to infinity
        elif is_zero(f, r) and not is_zero(F32, u):
            key = "RN16underflow"                # a nonzero float that rounds to zero
        elif rn16_tie(f, u):
            key = "RN16tie"                      # exactly halfway: ties to even
        if key:
            RN16_EDGE_COUNTS[(f.name, key)] = RN16_EDGE_COUNTS.get((f.name, key), 0) + 1
    return r


_RN16_COUNTING = False
RN16_EDGE_COUNTS = {}


def rn16_bf16_formula(u):
    """The bit formula the document gives for non-NaN bf16 rounding (used to cross-check)."""
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF


def rn16_tie(f, u):
    """Whether the float32 pattern u (finite) lies exactly halfway between two values of f."""
    if is_nan(F32, u) or is_inf(F32, u):
        return False
    s, M, E = decode(F32, u)
    return round_exact(f, s, M, E)[1]


# ---- 4.1 constants -----------------------------------------------------------

ALPHA = 1.7580993408473766


def scale_bits(p, T):
    """s (T = F32, for f32/bf16/f16) or s64 (T = F64): 1 / (1 - p) in double, 0 when p == 1."""
    p = float(p)
    if p == 1.0:
        return 0
    d = 1.0 / (1.0 - p)                         # two IEEE double operations
    return double_bits(d) if T is F64 else f32_of_double(d)


def alpha_constants(p, T):
    """(A, AB, D) of 4.4 in format T (F32 or F64); p strictly between 0 and 1."""
    p = float(p)
    a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1.0) * (1.0 - p))   # double, sqrt correctly rounded
    aa = ALPHA * a
    ab = ALPHA * a * p                           # (alpha * a) * p, left to right
    if T is F64:
        A, AA, AB = double_bits(a), double_bits(aa), double_bits(ab)
    else:
        A, AA, AB = f32_of_double(a), f32_of_double(aa), f32_of_double(ab)
    D = add(T, AB, AA ^ T.sign, "x86")           # AB - AA in T (both finite: no NaN possible)
    return A, AB, D


def compute_type(dt):
    """The format the arithmetic runs in: double for f64, float for f32, bf16 and f16."""
    return F64 if dt is F64 else F32


def to_compute(dt, u):
    return widen(dt, u) if dt in (BF16, F16) else u


def from_compute(dt, v):
    return rn16(dt, v) if dt in (BF16, F16) else v


# ---- 4.1, 4.2, 4.3, 4.6: element, group and backward values ------------------

def elem_values(dt, xs, keeps, s, arch):
    """y = x * (keep ? s : +0.0) for dtype dt, s in the compute type (forward and backward)."""
    T = compute_type(dt)
    return [from_compute(dt, mul(T, to_compute(dt, x), s if k else 0, arch))
            for x, k in zip(xs, keeps)]


def group_keeps(seed, offset, groups, group_len, p):
    """Per-element keep flags of a group call (4.3): element k belongs to group k // group_len."""
    ks = [keep(seed, offset + g, p) for g in range(groups)]
    return [ks[k // group_len] for k in range(groups * group_len)]


def dropout_values(dt, xs, keeps, p, arch):
    return elem_values(dt, xs, keeps, scale_bits(p, compute_type(dt)), arch)


def unscaled_values(dt, xs, keeps, arch):
    """Dropout without rescaling (4.3): the factor 1 in place of s, forward and backward."""
    T = compute_type(dt)
    return elem_values(dt, xs, keeps, double_bits(1.0) if T is F64 else f32_of_double(1.0), arch)


# ---- 4.4 alpha dropout -------------------------------------------------------

def alpha_forward_values(dt, xs, keeps, p, arch):
    p = float(p)
    if p == 0.0:
        return list(xs)                          # p == 0 returns x unchanged, every bit
    if p == 1.0:
        return elem_values(dt, xs, keeps, 0, arch)   # x * +0.0
    T = compute_type(dt)
    A, AB, D = alpha_constants(p, T)
    out = []
    for x, k in zip(xs, keeps):
        v = to_compute(dt, x)
        if k:
            r = add(T, mul(T, v, A, arch), AB, arch)
        else:
            r = add(T, mul(T, v, 0, arch), D, arch)
        out.append(from_compute(dt, r))
    return out


def alpha_backward_values(dt, dys, keeps, p, arch):
    p = float(p)
    T = compute_type(dt)
    s = 0 if p == 1.0 else alpha_constants(p, T)[0]
    return elem_values(dt, dys, keeps, s, arch)


# ---- 4.5 fused bias + dropout + residual --------------------------------------

def bda_forward_values(dt, xs, bias, residual, rows, cols, keeps, p, arch):
    T = compute_type(dt)
    s = scale_bits(p, T)
    adds = bias is not None or residual is not None
    out = []
    for k in range(rows * cols):
        c = k % cols
        t = to_compute(dt, xs[k])
        if bias is not None:
            t = add(T, t, to_compute(dt, bias[c]), arch, canonical=True)
        u = mul(T, t, s if keeps[k] else 0, arch)
        y = u
        if residual is not None:
            y = add(T, to_compute(dt, residual[k]), u, arch, canonical=True)
        if adds and is_nan(T, y):
            y = T.canonical
        out.append(from_compute(dt, y))
    return out


def dbias_chunks(rows):
    """The 16 (start, count) row chunks of 4.5 (count may be 0)."""
    q, m = divmod(rows, 16)
    return [(j * q + min(j, m), q + (1 if j < m else 0)) for j in range(16)]


def dbias_values(dt, dxs, rows, cols):
    """dbias[c] (float32 patterns; float64 for f64) in the order of 4.5."""
    T = compute_type(dt)
    out = []
    for c in range(cols):
        parts = []
        for start, count in dbias_chunks(rows):
            if count == 0:
                continue
            P = 0                                # +0.0
            for r in range(start, start + count):
                P = add(T, P, to_compute(dt, dxs[r * cols + c]), "x86", canonical=True)
            parts.append(P)
        acc = parts[0] if parts else 0
        for P in parts[1:]:
            acc = add(T, acc, P, "x86", canonical=True)
        out.append(T.canonical if is_nan(T, acc) else acc)
    return out


def granule_partials(dt, dxs, rows, cols, granule):
    """4.7: one row of partial sums per granule of `granule` rows (a NaN sum canonical)."""
    T = compute_type(dt)
    out = []
    for g0 in range(0, rows, granule):
        for c in range(cols):
            P = 0                                    # +0.0
            for r in range(g0, min(g0 + granule, rows)):
                P = add(T, P, to_compute(dt, dxs[r * cols + c]), "x86", canonical=True)
            out.append(T.canonical if is_nan(T, P) else P)
    return out


def dbias_reduce(T, partials, granules, cols):
    """4.7: the partial sums folded in granule order, from +0.0."""
    out = []
    for c in range(cols):
        acc = 0
        for g in range(granules):
            acc = add(T, acc, partials[g * cols + c], "x86", canonical=True)
        out.append(T.canonical if is_nan(T, acc) else acc)
    return out


def site_key(name):
    """Section 8: FNV-1a 64 of the name's bytes."""
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def site_seed(base, key, step):
    """Section 8: three splitmix64 steps."""
    x, z = splitmix64_next(base)
    x, z = splitmix64_next(z ^ key)
    x, z = splitmix64_next((z + step) & M64)
    return z


# ---- float32 helpers on host floats (the original mask-era API) --------------

def to_f32(v):
    """Round a Python float (double) once to IEEE single precision, round to nearest even."""
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        # struct refuses values that round to +-inf; IEEE round-to-nearest gives +-inf.
        return math.copysign(math.inf, v)


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def f32_from_bits(u):
    return struct.unpack("<f", struct.pack("<I", u))[0]


def scale(p):
    """s as a host float: (float)(1.0 / (1.0 - p)), 0 when p == 1."""
    return f32_from_bits(scale_bits(p, F32))


def output(x, keep_bit, p):
    """y = x * (keep ? s : 0.0f) for a float32 value x given as a host float (x86 NaN rule)."""
    return f32_from_bits(dropout_values(F32, [f32_bits(x)], [keep_bit], p, "x86")[0])


def forward(seed, offset, xs, p):
    """Forward pass of an f32 call on host floats: returns (ys, mask_bytes)."""
    ks = [keep(seed, offset + k, p) for k in range(len(xs))]
    ys = [output(x, k, p) for x, k in zip(xs, ks)]
    return ys, bitmask(seed, offset, len(xs), p)


# --------------------------------------------------------------------------
# Self-test
# --------------------------------------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "tests", "vectors")


def parse_vector_file(path):
    """Return list of (directive, args, outputs-or-None) from a tests/vectors/ file."""
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    items = []
    pos = 0
    while pos < len(lines):
        words = lines[pos].split()
        pos += 1
        if words[0] == "outputs":
            count = int(words[1])
            vals = [int(v, 16) for v in lines[pos:pos + count]]
            if len(vals) != count:
                raise ValueError("%s: truncated outputs block" % path)
            pos += count
            items.append(("outputs", [], vals))
        else:
            items.append((words[0], [int(w, 16) for w in words[1:]], None))
    return items


def selftest_values(check):
    """Unit checks of section 4: exact arithmetic, RN16, widening, NaN rules, dbias order."""
    rng = TestRng(0x5EED)

    # -- float32 arithmetic: the exact path equals "double, then one rounding to float" for
    #    + and * of two floats (double rounding is innocuous since 53 >= 2*24 + 2), including
    #    huge exponent gaps, subnormals and overflow. NaN results are left out (host payloads).
    bad = 0
    for i in range(20000):
        a = rng.bits(32) if i % 2 else random_moderate(F32, rng, -150, 128)
        b = rng.bits(32) if i % 3 else random_moderate(F32, rng, -150, 128)
        if is_nan(F32, a) or is_nan(F32, b):
            continue
        fa, fb = f32_from_bits(a), f32_from_bits(b)
        for exact, host in ((mul(F32, a, b, "x86"), fa * fb), (add(F32, a, b, "x86"), fa + fb)):
            if host != host:
                continue
            bad += exact != f32_bits(to_f32(host))
    check(bad == 0, "f32 exact + and * equal double-then-float on 20000 random pairs (%d differ)" % bad)
    bad = 0
    for i in range(20000):
        a, b = rng.bits(64), random_moderate(F64, rng, -1100, 1023) if i % 2 else rng.bits(64)
        if is_nan(F64, a) or is_nan(F64, b):
            continue
        fa, fb = double_from_bits(a), double_from_bits(b)
        for exact, host in ((mul(F64, a, b, "x86"), fa * fb), (add(F64, a, b, "x86"), fa + fb)):
            if host == host:
                bad += exact != double_bits(host)
    check(bad == 0, "f64 exact + and * equal the host's IEEE double on 20000 random pairs (%d differ)" % bad)
    check(add(F32, 0x80000000, 0x80000000, "x86") == 0x80000000 and
          add(F32, 0x3F800000, 0xBF800000, "x86") == 0 and add(F32, 0, 0x80000000, "x86") == 0,
          "zero sums: -0 + -0 = -0, 1 + -1 = +0, +0 + -0 = +0")

    # -- RN16 for bf16: the generic rounding equals the document's bit formula on every
    #    exponent with edge and random low halves; pinned values.
    bad = 0
    for hi in range(0, 0x10000, 1):
        if (hi & 0x7F80) == 0x7F80:
            continue                              # NaN/inf handled by the NaN rule
        for lo in (0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, rng.bits(16)):
            u = (hi << 16) | lo
            bad += rn16(BF16, u) != rn16_bf16_formula(u)
    check(bad == 0, "bf16 RN16 (exact rounding) equals (u + 0x7fff + ((u >> 16) & 1)) >> 16 on 450k patterns")
    pins = [(0x3F808000, 0x3F80, "1 + 2^-8 is a tie: to even"), (0x3F818000, 0x3F82, "tie to even, up"),
            (0x3F808001, 0x3F81, "just above a tie"), (0x3F807FFF, 0x3F80, "just below a tie"),
            (0x7F7F7FFF, 0x7F7F, "below max + half ulp: finite"), (0x7F7F8000, 0x7F80, "max + half ulp: inf"),
            (0xFF7F8000, 0xFF80, "-(max + half ulp): -inf"), (0x7F7FFFFF, 0x7F80, "FLT_MAX: inf"),
            (0x00008000, 0x0000, "subnormal tie to even zero"), (0x00018000, 0x0002, "subnormal tie up"),
            (0x80000000, 0x8000, "-0"), (0x7F800000, 0x7F80, "inf"), (0xFF800000, 0xFF80, "-inf"),
            (0x7F800001, 0x7FC0, "sNaN, payload below bit 16: quiet"),
            (0xFFA12345, 0xFFE1, "negative sNaN: top payload bits kept, quiet bit set"),
            (0x7FC00000, 0x7FC0, "canonical NaN")]
    for u, want, what in pins:
        check(rn16(BF16, u) == want, "bf16 RN16(%08x) = %04x: %s (got %04x)" % (u, want, what, rn16(BF16, u)))

    # -- RN16 for f16: pinned values (ties, subnormals, gradual underflow, overflow, NaN).
    def f32b(v):
        return f32_bits(v)
    pins = [(f32b(1.0), 0x3C00, "1"), (f32b(65504.0), 0x7BFF, "65504 = max"),
            (0x477FEFFF, 0x7BFF, "just below 65520: max"), (f32b(65520.0), 0x7C00, "65520: inf"),
            (f32b(-65520.0), 0xFC00, "-65520: -inf"), (f32b(1e6), 0x7C00, "1e6: inf"),
            (f32b(2.0 ** -24), 0x0001, "2^-24: smallest subnormal"),
            (f32b(2.0 ** -25), 0x0000, "2^-25: tie, to even zero"),
            (f32b(-2.0 ** -25), 0x8000, "-2^-25: -0"), (0x33000001, 0x0001, "just above 2^-25"),
            (f32b(3 * 2.0 ** -25), 0x0002, "3 * 2^-25: tie, to even 2"),
            (f32b(5 * 2.0 ** -25), 0x0002, "5 * 2^-25: tie, to even 2"),
            (f32b(2.0 ** -14), 0x0400, "2^-14: smallest normal"),
            (f32b(2.0 ** -14 - 2.0 ** -25), 0x0400, "tie between 0x03ff and 0x0400: even"),
            (f32b(2.0 ** -14 - 3 * 2.0 ** -25), 0x03FE, "tie between 0x03fe and 0x03ff: even"),
            (f32b(1 + 2.0 ** -11), 0x3C00, "1 + 2^-11: tie to even"),
            (f32b(1 + 3 * 2.0 ** -11), 0x3C02, "1 + 3*2^-11: tie up"),
            (f32b(1e-10), 0x0000, "1e-10: zero"), (f32b(-1e-10), 0x8000, "-1e-10: -0"),
            (0x7F800000, 0x7C00, "inf"), (0xFF800000, 0xFC00, "-inf"),
            (0x7F800001, 0x7E00, "sNaN, low payload: quiet 0x7e00"),
            (0x7F802000, 0x7E01, "NaN payload bit 13 -> f16 payload bit 0"),
            (0xFFFFE000, 0xFFFF, "all payload bits"), (0xFFC00000, 0xFE00, "x86 default NaN")]
    for u, want, what in pins:
        check(rn16(F16, u) == want, "f16 RN16(%08x) = %04x: %s (got %04x)" % (u, want, what, rn16(F16, u)))
    # The document's two thresholds, on a sweep: |v| >= 65520 is inf, |v| <= 2^-25 is zero.
    ok = True
    for u in range(0x477FE000, 0x47800000, 0x10):
        ok &= (rn16(F16, u) == 0x7C00) == (f32_from_bits(u) >= 65520.0)
    for u in range(0x32F00000, 0x33100000, 0x100):
        ok &= (rn16(F16, u) == 0) == (f32_from_bits(u) <= 2.0 ** -25)
    check(ok, "f16 RN16 overflows exactly from 65520 and underflows to zero exactly up to 2^-25")

    # -- W: widening is exact (round trip through RN16 for every non-NaN pattern).
    ok = all(rn16(f, widen(f, h)) == h for f in (BF16, F16) for h in range(0x10000) if not is_nan(f, h))
    check(ok, "RN16(W(h)) == h for every non-NaN bf16 and f16 pattern")
    pins = [(F16, 0x0001, 0x33800000), (F16, 0x8001, 0xB3800000), (F16, 0x03FF, 0x387FC000),
            (F16, 0x7BFF, 0x477FE000), (F16, 0x7C00, 0x7F800000), (F16, 0xFC01, 0xFF802000),
            (F16, 0x7E00, 0x7FC00000), (F16, 0x3C00, 0x3F800000), (BF16, 0x7F81, 0x7F810000)]
    for f, h, want in pins:
        check(widen(f, h) == want, "W_%s(%04x) = %08x (got %08x)" % (f, h, want, widen(f, h)))

    # -- NaN rules of 4.1/4.2 and the family-dependent Inf * 0.
    s = scale_bits(0.5, F32)
    check(mul(F32, 0x7F800001, s, "x86") == 0x7FC00001 and mul(F32, 0xFF800001, 0, "arm") == 0xFFC00001,
          "f32 sNaN times s or 0: quieted, sign and payload kept")
    check(mul(F32, 0x7F800000, 0, "x86") == 0xFFC00000 and mul(F32, 0xFF800000, 0, "arm") == 0x7FC00000,
          "f32 Inf * 0: x86 0xffc00000, AArch64 0x7fc00000")
    check(mul(F64, 0x7FF0000000000001, 0, "x86") == 0x7FF8000000000001 and
          mul(F64, 0x7FF0000000000000, 0, "x86") == 0xFFF8000000000000,
          "f64 sNaN quieted; Inf * 0 on x86 is 0xfff8000000000000")
    check(dropout_values(BF16, [0x7F81, 0xFF80], [1, 0], 0.5, "x86") == [0x7FC1, 0xFFC0],
          "bf16: kept sNaN 7f81 -> 7fc1; dropped -inf -> ffc0 on x86")
    check(dropout_values(F16, [0x7C01, 0x7BFF, 0x7BFF], [1, 1, 0], 0.5, "arm") == [0x7E01, 0x7C00, 0x0000],
          "f16: kept sNaN 7c01 -> 7e01; 65504 * 2 -> inf; dropped 65504 -> +0")
    check(dropout_values(F32, [0x00000001], [1], 1e-6, "x86") == [0x00000001] and
          scale_bits(1e-6, F32) == f32_bits(1.0000010),
          "p = 1e-6: s = 1.0000010f, 2^-149 * s rounds back to 2^-149")

    # -- Alpha dropout: p == 0 copies (a signalling NaN stays signalling), dropped finite -> D.
    A, AB, D = alpha_constants(0.5, F32)
    check(alpha_forward_values(F32, [0x7F800001, 0xFF800001], [1, 1], 0.0, "x86") == [0x7F800001, 0xFF800001],
          "alpha p = 0 returns x unchanged (sNaN stays signalling)")
    a = 1.0 / math.sqrt((ALPHA * ALPHA * 0.5 + 1.0) * (1.0 - 0.5))
    AA = f32_of_double(ALPHA * a)
    check(A == f32_of_double(a) and AB == f32_of_double(ALPHA * a * 0.5) and
          D == add(F32, AB, AA ^ F32.sign, "x86") and f32_from_bits(D) < 0,
          "alpha constants at p = 0.5: A = (float)a, AB = (float)(alpha a p), D = AB - AA < 0")
    check(alpha_forward_values(F32, [0x3F800000, 0xC2000000, 0x80000000, 0x7F7FFFFF], [0] * 4, 0.5, "x86")
          == [D] * 4, "alpha dropped finite x gives D")
    check(alpha_forward_values(F32, [0x7F800000, 0x7FC00005], [0, 0], 0.5, "arm") == [0x7FC00000, 0x7FC00005],
          "alpha dropped inf -> default NaN, dropped NaN -> that NaN")
    check(alpha_backward_values(F64, [0x4000000000000000], [1], 0.0, "x86") == [0x4000000000000000],
          "alpha backward at p = 0: A = 1")
    check(unscaled_values(F32, [0x7FA00001, 0x3F800001, 0x7F800000, 0xC0000000], [1, 1, 0, 0], "x86")
          == [0x7FE00001, 0x3F800001, 0xFFC00000, 0x80000000],
          "unscaled: kept x unchanged (sNaN quiet), dropped x * +0.0 (Inf * 0 the family's NaN)")
    check(unscaled_values(F16, [0x0001, 0x7BFF], [1, 1], "x86") == [0x0001, 0x7BFF] and
          unscaled_values(F64, [0x0000000000000001], [1], "x86") == [0x0000000000000001],
          "unscaled: x * 1 keeps subnormals and the largest values exact")
    check(alpha_forward_values(F32, [0x3F800000], [0], 1.0, "x86") == [0] and
          alpha_backward_values(F32, [0x3F800000], [1], 1.0, "x86") == [0],
          "alpha p = 1: forward x * +0, backward s = 0")

    # -- Fused op: canonical NaN whenever an addition takes part, payload kept otherwise.
    y = bda_forward_values(F32, [0x7F800001, 0x7F800000], [0x3F800000], None, 2, 1, [1, 0], 0.5, "x86")
    check(y == [0x7FC00000, 0x7FC00000], "bias given: NaN x -> canonical; dropped inf + bias -> canonical (not x86's sign)")
    y = bda_forward_values(BF16, [0x3F80, 0x7F7F], [0x3B80, 0x7B00], None, 1, 2, [1, 1], 0.0, "x86")
    check(y == [0x3F80, 0x7F80], "bf16 fused: 1 + 2^-8 is a tie (to even 1); max + 2^119 overflows")
    y = bda_forward_values(F16, [0x0001], None, [0x8001], 1, 1, [1], 1 / 3.0, "x86")
    check(scale_bits(1 / 3.0, F32) == 0x3FC00000 and y == [0x0000],
          "f16 fused: -2^-24 + 1.5 * 2^-24 = 2^-25 rounds to +0 (tie to even)")

    # -- dbias order (4.5).
    ok = True
    for rows in range(0, 100):
        ch = dbias_chunks(rows)
        ok &= sum(c for _, c in ch) == rows
        pos = 0
        for start, count in ch:
            ok &= start == pos or count == 0
            pos += count
    check(ok, "dbias chunks tile the rows in order for rows = 0..99")
    check(dbias_chunks(40)[7] == (21, 3) and dbias_chunks(40)[8] == (24, 2) and dbias_chunks(5)[5] == (5, 0),
          "dbias chunks: rows 40 -> chunk 7 = rows 21..23, chunk 8 = rows 24..25; rows 5 -> chunk 5 empty")
    # rows = 32, one column: 2^24, then 31 ones. A plain running sum stays at 2^24 (each + 1 is a
    # tie to even); the chunked order adds 2^24 + 1 (= 2^24), then fifteen partial sums of 2.
    dx = [f32_bits(2.0 ** 24)] + [f32_bits(1.0)] * 31
    check(dbias_values(F32, dx, 32, 1) == [f32_bits(16777246.0)], "dbias order: 2^24 + 31 ones -> 16777246")
    dx = [f32_bits(1.0)] * 31 + [f32_bits(2.0 ** 24)]
    check(dbias_values(F32, dx, 32, 1) == [f32_bits(2.0 ** 24 + 30)],
          "dbias order: 31 ones + 2^24 -> 2^24 + 30 (the last chunk's 1 + 2^24 ties to even)")
    check(dbias_values(F32, [0x80000000] * 20, 20, 1) == [0] and dbias_values(F64, [], 0, 3) == [0, 0, 0],
          "dbias: all -0 gives +0; rows = 0 gives +0")
    check(dbias_values(F32, [0x7F800000, 0xFF800000, 0x7F800001], 3, 1) == [0x7FC00000] and
          dbias_values(BF16, [0xFFC1], 1, 1) == [0x7FC00000],
          "dbias: inf - inf and NaN payloads give the canonical NaN")


def selftest():
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    # splitmix64: "seed X" then "outputs 64"
    items = parse_vector_file(os.path.join(VECTORS, "splitmix64.txt"))
    seed = None
    nstreams = 0
    for kind, args, vals in items:
        if kind == "seed":
            seed = args[0]
        elif kind == "outputs":
            x = seed
            got = []
            for _ in vals:
                x, z = splitmix64_next(x)
                got.append(z)
            check(got == vals, "splitmix64 seed %016x: %d outputs" % (seed, len(vals)))
            nstreams += 1
    check(nstreams >= 1, "splitmix64.txt has at least one stream")

    # xoshiro128++: "initial_state ..." then "outputs 1000", "state_before_jump ..."
    items = parse_vector_file(os.path.join(VECTORS, "xoshiro128plusplus.txt"))
    kind, init, _ = items[0]
    check(kind == "initial_state" and len(init) == 4, "xoshiro128plusplus.txt starts with initial_state")
    # The file's initial state was seeded from splitmix64 state 0x0123456789abcdef with the
    # same word order as the lane seeding of 2.2: [lo32(z0), hi32(z0), lo32(z1), hi32(z1)].
    x, z0 = splitmix64_next(0x0123456789ABCDEF)
    x, z1 = splitmix64_next(x)
    check(init == [lo32(z0), hi32(z0), lo32(z1), hi32(z1)],
          "xoshiro initial_state = splitmix64(0x0123456789abcdef) words, low half first")
    kind, _, vals = items[1]
    s = list(init)
    got = [xoshiro128pp_next(s) for _ in vals]
    check(kind == "outputs" and got == vals, "xoshiro128++: first %d outputs" % len(vals))
    if len(items) > 2 and items[2][0] == "state_before_jump":
        check(s == items[2][1], "xoshiro128++: state after those outputs = state_before_jump")

    # Threshold (3)
    check(threshold(0.0) == 0 and threshold(1.0) == 65536, "T(0) = 0, T(1) = 65536")
    check(threshold(0.5) == 32768 and threshold(2.0 ** -16) == 1, "T(0.5) = 32768, T(2^-16) = 1")
    check(threshold(2.0 ** -17) == 1 and threshold(2.0 ** -17 - 2.0 ** -70) == 0,
          "T rounds half up at 2^-17")
    check(threshold(1 - 2.0 ** -17) == 65536 and threshold(1 - 2.0 ** -16) == 65535,
          "T(1 - 2^-17) = 65536, T(1 - 2^-16) = 65535")
    check(threshold(1e-6) == 0 and threshold(0.999999) == 65536, "T(1e-6) = 0, T(0.999999) = 65536")

    # Keep-all / drop-all and sharding invariance (3, 6)
    check(bitmask(7, 4090, 20, 0.0) == b"\xff\xff\x0f", "p = 0 keeps all, pad bits 0")
    check(bitmask(7, 4090, 20, 1.0) == b"\x00\x00\x00", "p = 1 drops all")
    whole = bitmask(42, 4000, 200, 0.5)
    bits = []
    for off, cnt in ((4000, 3), (4003, 93), (4096, 1), (4097, 103)):
        mk = bitmask(42, off, cnt, 0.5)
        bits += [(mk[k // 8] >> (k % 8)) & 1 for k in range(cnt)]
    check(bits == [(whole[k // 8] >> (k % 8)) & 1 for k in range(200)], "sharding invariance")
    last_a = bitmask(1, (1 << 64) - 1, 1, 0.5)[0] & 1
    last_b = (bitmask(1, (1 << 64) - 100, 100, 0.5)[99 // 8] >> (99 % 8)) & 1
    check(last_a == last_b, "element 2^64-1 identical from two different call offsets")

    # Output rule (4)
    check(scale(0.5) == 2.0 and scale(0.0) == 1.0 and scale(1.0) == 0.0, "s(0.5)=2, s(0)=1, s(1)=0")
    check(f32_bits(scale(0.1)) == f32_bits(to_f32(1.0 / 0.9)), "s(0.1) = float(1/0.9)")
    check(f32_bits(output(-3.0, 0, 0.5)) == 0x80000000, "dropped -3.0 gives -0.0")
    check(f32_bits(output(3.0, 0, 0.5)) == 0x00000000, "dropped 3.0 gives +0.0")
    check(math.isnan(output(math.inf, 0, 0.5)), "dropped inf gives NaN")
    check(math.isnan(output(math.nan, 0, 0.5)), "dropped NaN stays NaN")
    check(output(1.5, 1, 0.5) == 3.0, "kept 1.5 at p=0.5 gives 3.0")
    big = f32_from_bits(0x7F7FFFFF)
    check(output(big, 1, 0.5) == math.inf, "kept FLT_MAX at p=0.5 overflows to inf")
    x = f32_from_bits(0x3F8CCCCD)  # 1.1f
    check(output(x, 1, 0.1) == to_f32(x * scale(0.1)), "kept value is one rounding of x*s")

    # Keep rate sanity
    mk = bitmask(0x0123456789ABCDEF, 0, 8192, 0.5)
    rate = sum(bin(v).count("1") for v in mk) / 8192.0
    check(0.47 < rate < 0.53, "keep rate at p=0.5 over 8192 elements: %.4f" % rate)

    selftest_values(check)

    print("%d failure(s)" % len(failures))
    return 0 if not failures else 1


# --------------------------------------------------------------------------
# Golden vectors
# --------------------------------------------------------------------------

def golden_cases():
    """(seed, offset, n, p) tuples for tests/golden_v1.txt."""
    T64 = 1 << 64
    T63 = 1 << 63
    S = 0x0123456789ABCDEF
    c = []
    # Edge probabilities
    c += [(42, 0, 64, 0.0), (42, 0, 64, 1.0), (0, 100, 37, 0.0), (T64 - 1, 4095, 3, 1.0)]
    c += [(42, 0, 256, 0.5), (42, 3, 77, 0.5), (0, 0, 128, 0.5), (T64 - 1, 0, 128, 0.5)]
    c += [(1, 13, 300, 1e-6), (1, 7, 45, 0.999999)]
    c += [(S, 0, 160, 0.1), (S, 31, 96, 0.1)]
    c += [(42, 33, 120, 2.0 ** -16), (42, 0, 1, 2.0 ** -16)]
    c += [(42, 33, 120, 1 - 2.0 ** -16), (0, 1, 70, 1 - 2.0 ** -16)]
    c += [(5, 200, 64, 2.0 ** -17), (5, 200, 64, 1 - 2.0 ** -17)]
    c += [(S, 1, 99, 0.25), (S, 1, 99, 0.75)]
    c += [(1, 0, 200, 0.3141592653589793), (2, 0, 200, 0.3141592653589793)]
    # Offsets, unaligned starts, block boundaries
    c += [(0, 1, 8, 0.5), (0, 7, 9, 0.5), (0, 13, 50, 0.5), (0, 31, 2, 0.5), (0, 33, 31, 0.5)]
    c += [(42, 4095, 2, 0.5), (42, 4096, 32, 0.5), (42, 4097, 63, 0.5)]
    c += [(42, 4000, 200, 0.5), (42, 4000, 200, 0.25), (S, 4096 * 5 + 17, 150, 0.5)]
    c += [(S, 3 * 4096 - 500, 1000, 0.5)]
    c += [(1, (1 << 40) + 3, 100, 0.5), (1, (1 << 40) + 3, 100, 0.1)]
    c += [(0, T64 - 1, 1, 0.5), (T64 - 1, T64 - 1, 1, 0.5), (42, T64 - 1, 1, 0.75)]
    c += [(0, T64 - 100, 100, 0.5), (T64 - 1, T64 - 100, 100, 0.5), (S, T64 - 100, 100, 0.3141592653589793)]
    c += [(S, T63 + 12345, 123, 0.5), (S, T63 - 40, 80, 0.5)]
    # Seed / seed+1 pairs (same offset, n, p)
    c += [(0, 0, 96, 0.5), (1, 0, 96, 0.5)]
    c += [(41, 1000, 96, 0.5), (42, 1000, 96, 0.5)]
    c += [(T64 - 2, 5000, 96, 0.5), (T64 - 1, 5000, 96, 0.5)]
    c += [(S, 77, 96, 0.5), (S + 1, 77, 96, 0.5)]
    # Small / degenerate n
    c += [(42, 12345, 0, 0.5), (42, 12345, 1, 0.5), (42, 12345, 8, 0.5), (42, 12345, 9, 0.5)]
    return c


def golden_text():
    lines = [
        "# simdrop golden mask vectors, mask specification version 1 (docs/MASK_SPEC.md).",
        "# Produced by docs/mask_spec_v1.py --golden, an independent Python implementation written",
        "#   from docs/MASK_SPEC.md alone (not from kernels/ or src/).",
        "# Format: '#' lines are comments; one case per line:",
        "#   case <seed: 16 lowercase hex digits> <offset: decimal> <n: decimal> <p: Python repr(float)> <mask>",
        "#   mask = the (n+7)//8 mask bytes in order, each as 2 lowercase hex digits (byte k/8 holds bit k,",
        "#   least significant bit first; bits past n are 0), or '-' when n == 0.",
    ]
    for seed, offset, n, p in golden_cases():
        m = bitmask(seed, offset, n, p)
        lines.append("case %016x %d %d %r %s" % (seed, offset, n, float(p), m.hex() if n else "-"))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Golden values (section 4): tests/golden_values_v1.txt
# --------------------------------------------------------------------------

class TestRng(object):
    """splitmix64 as the generator of test inputs (deterministic, independent of the masks)."""

    def __init__(self, seed):
        self.x = seed & M64

    def next(self):
        self.x, z = splitmix64_next(self.x)
        return z

    def bits(self, k):
        return self.next() >> (64 - k)

    def below(self, n):
        return self.next() % n

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53


def random_moderate(f, rng, lo, hi):
    """A random finite normal of f with unbiased exponent in [lo, hi] (clipped to the format)."""
    lo = max(lo, f.emin)
    hi = min(hi, f.bias)
    e = lo + rng.below(hi - lo + 1)
    return (f.sign if rng.bits(1) else 0) | ((e + f.bias) << f.mbits) | rng.bits(64) >> (64 - f.mbits)


def random_tiny(f, rng):
    """A subnormal or one of the smallest normals (exponent field 0 or 1)."""
    return (f.sign if rng.bits(1) else 0) | (rng.below(2) << f.mbits) | rng.bits(64) >> (64 - f.mbits)


def random_huge(f, rng):
    """A finite value in the top three binades."""
    top = (1 << f.ebits) - 2
    return (f.sign if rng.bits(1) else 0) | ((top - rng.below(3)) << f.mbits) | rng.bits(64) >> (64 - f.mbits)


SPECIALS = {
    "f32": [0x00000000, 0x80000000, 0x7F800000, 0xFF800000,             # zeros, infinities
            0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFD5A5A5,             # quiet NaNs, payloads
            0x7F800001, 0xFF800001, 0x7FA00000, 0xFFBFFFFF,             # signalling NaNs
            0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  # subnormals
            0x00800000, 0x80800000, 0x00800001,                         # smallest normals
            0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000, 0x7EFFFFFF,             # largest finite
            0x3F800000, 0xBF800000, 0x3F7FFFFF, 0x3F800001],
    "f64": [0x0000000000000000, 0x8000000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
            0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000012345678, 0xFFFDEADBEEF00001,
            0x7FF0000000000001, 0xFFF0000000000001, 0x7FF4000000000000, 0xFFF7FFFFFFFFFFFF,
            0x0000000000000001, 0x8000000000000001, 0x000FFFFFFFFFFFFF, 0x0008000000000000,
            0x0010000000000000, 0x8010000000000000, 0x0010000000000001,
            0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x7FE0000000000000, 0x7FDFFFFFFFFFFFFF,
            0x3FF0000000000000, 0xBFF0000000000000, 0x3FEFFFFFFFFFFFFF, 0x3FF0000000000001],
    "bf16": [0x0000, 0x8000, 0x7F80, 0xFF80,
             0x7FC0, 0xFFC0, 0x7FC5, 0xFFE1,
             0x7F81, 0xFF81, 0x7FA0, 0xFFBF,
             0x0001, 0x8001, 0x007F, 0x807F, 0x0040,
             0x0080, 0x8080, 0x0081,
             0x7F7F, 0xFF7F, 0x7F00, 0x7EFF,
             0x3F80, 0xBF80, 0x3F7F, 0x3F81, 0x3F83, 0xC0A5,
             0x7F66, 0xFF66],                                            # * (float)(1/0.9): bf16 overflow
    "f16": [0x0000, 0x8000, 0x7C00, 0xFC00,
            0x7E00, 0xFE00, 0x7E55, 0xFFFF,
            0x7C01, 0xFC01, 0x7D00, 0xFDFF,
            0x0001, 0x8001, 0x03FF, 0x83FF, 0x0200, 0x0003,
            0x0400, 0x8400, 0x0401,
            0x7BFF, 0xFBFF, 0x7800, 0x7AAB,
            0x3C00, 0xBC00, 0x3BFF, 0x3C01, 0x3C03, 0xC155],
}


def random_values(dt, n, rng, lo=-8, hi=8):
    """n test inputs of dtype dt: specials, moderate values, tiny, huge and raw patterns."""
    f = DTYPES[dt]
    out = []
    for _ in range(n):
        r = rng.below(100)
        if r < 25:
            v = rng.pick(SPECIALS[dt])
        elif r < 60:
            v = random_moderate(f, rng, lo, hi)
        elif r < 70:
            v = random_tiny(f, rng)
        elif r < 80:
            v = random_huge(f, rng)
        elif r < 88:
            v = rng.bits(f.width)
        else:                                   # 1.xxx: short products, ties in bf16/f16
            v = random_moderate(f, rng, -1, 1) & ~((1 << max(f.mbits - 4, 0)) - 1)
        out.append(v)
    return out


def both_families(fn):
    """fn('x86') and fn('arm'); RN16's edge cases are counted on the first only."""
    global _RN16_COUNTING
    _RN16_COUNTING = True
    try:
        v86 = fn("x86")
    finally:
        _RN16_COUNTING = False
    return v86, fn("arm")


def hexs(f, vals):
    if not vals:
        return "-"
    return "".join("%0*x" % (f.hexw, v) for v in vals)


def merged_hex(f, v86, varm):
    """Values computed for x86 and AArch64: equal except the sign of a NaN from an invalid
    operation, written as '?' in place of the first hex digit (the AArch64 value's digit is 7,
    x86's is f)."""
    if not v86:
        return "-"
    parts = []
    for a, b in zip(v86, varm):
        h = "%0*x" % (f.hexw, b)
        if a != b:
            assert is_nan(f, a) and a == b | f.sign and h[0] == "7", (f, hex(a), hex(b))
            h = "?" + h[1:]
        parts.append(h)
    return "".join(parts)


def bytes_hex(bs):
    return bs.hex() if bs else "-"


T64 = 1 << 64
T63 = 1 << 63
SX = 0x0123456789ABCDEF


def golden_value_cases():
    """The cases of tests/golden_values_v1.txt, per dtype, with test-input seeds derived from
    the case's position (so the file is a pure function of this list)."""
    r = TestRng(0x600D)
    p_rand = [0.3141592653589793, r.unit(), r.unit(), r.unit()]
    cases = []
    for dt in ("f32", "f64", "bf16", "f16"):
        # Element dropout: (seed, offset, n, p)
        for seed, off, n, p in [
                (42, 0, 100, 0.0), (42, 5, 64, 1.0), (7, 4090, 140, 0.5), (SX, 13, 120, 0.1),
                (1, 3 * 4096 - 7, 90, 2.0 ** -16), (1, 100, 70, 1e-6), (2, 33, 70, 0.999999),
                (SX, T64 - 150, 150, 1 / 3.0), (3, T63 + 5, 100, 0.2), (5, 4000, 200, p_rand[0]),
                (6, 123456789, 80, p_rand[1]), (0, 0, 0, 0.5), (9, 17, 60, -0.0),
                (11, 8191, 50, 0.0025), (T64 - 1, T64 - 64, 64, 0.75), (12, 4095, 300, 1 / 3.0)]:
            cases.append(("dropout", dt, dict(seed=seed, offset=off, groups=n, group_len=1, p=p)))
        # Group dropout: (seed, offset in groups, groups, group_len, p)
        for seed, off, g, gl, p in [
                (42, 4090, 40, 1, 0.5), (SX, 4094, 30, 2, 0.1), (3, 1000, 25, 3, 1 / 3.0),
                (4, T64 - 20, 20, 7, 0.5), (5, 0, 33, 3, 0.0), (6, 7, 17, 7, 1.0),
                (7, 4000, 130, 2, p_rand[2]), (8, 12, 0, 3, 0.5), (9, 64, 40, 7, 0.2)]:
            cases.append(("groups", dt, dict(seed=seed, offset=off, groups=g, group_len=gl, p=p)))
        # Alpha dropout: (seed, offset in groups, groups, group_len, p)
        for seed, off, g, gl, p in [
                (42, 0, 100, 1, 0.0), (42, 0, 60, 1, 1.0), (7, 4090, 150, 1, 0.5), (SX, 13, 100, 1, 0.1),
                (1, 100, 70, 1, 1e-6), (2, 33, 70, 1, 0.999999), (3, 4095, 20, 3, 0.5),
                (4, T64 - 30, 30, 7, p_rand[3]), (5, 9, 40, 2, 0.99999999), (6, 1, 50, 1, -0.0),
                (9, 5000, 80, 1, 2.0 ** -16), (10, 4000, 60, 2, 1 / 3.0), (11, 2, 25, 3, 1.0)]:
            cases.append(("alpha", dt, dict(seed=seed, offset=off, groups=g, group_len=gl, p=p)))
        # Fused bias + dropout + residual: (seed, offset, rows, cols, bias?, residual?, p)
        for seed, off, rows, cols, hb, hr, p in [
                (42, 4000, 300, 1, 1, 1, 0.5), (1, 0, 7, 1, 1, 0, 0.1), (2, 4090, 16, 1, 0, 1, 1 / 3.0),
                (3, 5, 17, 1, 0, 0, 0.2), (4, 4050, 40, 3, 1, 1, 0.1), (5, 0, 33, 3, 1, 0, 0.0),
                (6, 9, 15, 3, 0, 1, 0.5), (7, 100, 5, 3, 0, 0, 1.0), (8, 4080, 37, 5, 1, 1, 1 / 3.0),
                (9, 3, 20, 5, 0, 0, 0.5), (10, 77, 31, 5, 1, 0, 1e-6), (11, 1, 16, 5, 0, 1, 0.999999),
                (SX, T64 - 297, 9, 33, 1, 1, 0.5), (12, 4000, 2, 33, 1, 0, p_rand[1]),
                (13, 0, 4, 33, 0, 1, 0.0), (14, 12, 1, 33, 0, 0, 0.1), (15, 0, 0, 33, 1, 1, 0.5),
                (16, T63, 8, 33, 1, 1, 0.2), (17, 4096, 48, 5, 1, 1, 0.0), (18, 31, 64, 3, 1, 1, 2.0 ** -16),
                (19, 8000, 24, 1, 0, 1, 0.2), (20, 4090, 12, 20, 1, 1, 1 / 3.0), (21, 123, 10, 24, 1, 1, 0.1),
                (22, 0, 40, 2, 0, 1, 1 / 3.0), (23, 77, 200, 2, 1, 0, 0.0), (24, 4000, 90, 3, 0, 0, 0.5)]:
            cases.append(("bias_dropout_add", dt, dict(seed=seed, offset=off, rows=rows, cols=cols,
                                                       bias=hb, residual=hr, p=p)))
        # The bias gradient by granules (4.7): (seed, offset, rows, cols, granule, p)
        for seed, off, rows, cols, gr, p in [
                (30, 0, 37, 5, 4, 0.5), (31, 4090, 64, 3, 16, 0.1), (32, 77, 20, 33, 1, 1 / 3.0),
                (33, T64 - 400, 12, 33, 5, 0.2), (34, 5, 50, 2, 50, 0.5), (35, 9, 9, 7, 64, 0.0),
                (36, 4000, 0, 5, 3, 0.5)]:
            cases.append(("granules", dt, dict(seed=seed, offset=off, rows=rows, cols=cols,
                                               granule=gr, p=p)))
    # Dropout without rescaling: (seed, offset in groups, groups, group_len, p). After all the
    # others, which so keep their positions (each case's inputs come from its position).
    for dt in ("f32", "f64", "bf16", "f16"):
        for seed, off, g, gl, p in [
                (42, 4090, 40, 1, 0.5), (SX, 4094, 30, 2, 0.1), (3, 1000, 25, 3, 1 / 3.0),
                (4, T64 - 20, 20, 7, 0.5), (5, 0, 33, 3, 0.0), (6, 7, 17, 7, 1.0),
                (7, 4000, 130, 2, p_rand[2]), (8, 12, 0, 3, 0.5), (9, 64, 40, 7, 0.2)]:
            cases.append(("unscaled", dt, dict(seed=seed, offset=off, groups=g, group_len=gl, p=p)))
    return cases


# Hand-made (x, bias, residual) triples for the fused op in bf16 and f16 that land on RN16's
# edges when kept (ties to even, rounding past the largest finite value, underflow to zero).
# None: the triple needs no such operand; where the case has one anyway it gets +0 (bias) or -0
# (residual), which leave every value unchanged.
BDA_EDGES = {
    "bf16": [(0x3F80, 0x3B80, None),   # 1 + 2^-8: tie, to even 1 (at s = 1 or 2)
             (0x3F81, 0x3BC0, None),   # tie, up
             (0x7F7F, 0x7B00, None),   # largest + 2^119 = largest + half an ulp: inf
             (0x7F7F, 0x7A80, None),   # largest + 2^118: largest
             (0xFF7F, 0xFB00, None),   # -inf
             (0x3F80, None, 0x3B80),   # tie through the residual
             (0x0001, None, 0x8001),   # -2^-133 + 2^-133 * s: below half the smallest subnormal
             (0x8001, None, 0x0001),   # the same, negative: -0
             (0x0002, None, 0x8002),
             (0x0003, None, 0x8002)],
    "f16": [(0x3C00, 0x1000, None),    # 1 + 2^-11: tie, to even 1
            (0x3C01, 0x1000, None),    # tie, up
            (0x7BFF, 0x4C00, None),    # 65504 + 16 = 65520: inf
            (0x7BFF, 0x4BFF, None),    # 65504 + 15.99: 65504
            (0xFBFF, 0xCC00, None),    # -inf
            (0x0001, None, 0x8001),    # -2^-24 + 2^-24 * s: 2^-25 (a tie, to zero) at s = 1.5
            (0x8001, None, 0x0001),    # the same, negative: -0
            (0x0002, None, 0x8002),
            (0x0003, 0x8002, None),    # 2^-24 * s: subnormal ties at s = 1.5
            (0x3C00, None, 0x1000)],
}
# Every dtype: an infinite or NaN x, or a sum that overflows, with a bias (and maybe a
# residual): dropped, Inf * 0 must come back as the canonical NaN, not the CPU family's.
for _dt, (_inf, _one, _nan, _max) in {"f32": (0x7F800000, 0x3F800000, 0x7FA12345, 0x7F7FFFFF),
                                      "f64": (0x7FF0000000000000, 0x3FF0000000000000,
                                              0x7FF4000000000123, 0x7FEFFFFFFFFFFFFF),
                                      "bf16": (0x7F80, 0x3F80, 0x7F85, 0x7F7F),
                                      "f16": (0x7C00, 0x3C00, 0x7D23, 0x7BFF)}.items():
    _s = 1 << (DTYPES[_dt].width - 1)
    BDA_EDGES.setdefault(_dt, [])
    BDA_EDGES[_dt] += [(_inf, _one, None), (_inf | _s, _s, None), (_one, _inf | _s, None),
                       (_nan | _s, _one, None), (_max, _max, None), (_max | _s, _max | _s, None),
                       (_inf, _inf | _s, None), (_inf, None, _inf | _s), (_nan, None, _one)]


def golden_value_line(family, dt, c, index):
    f = DTYPES[dt]
    rng = TestRng(splitmix64_next(0x7E57DA7A00000000 + index)[1])   # unrelated streams per case
    seed, off, p = c["seed"], c["offset"], float(c["p"])
    head = "%s %s" % (family, dt)
    common = "p=%r seed=%016x offset=%d" % (p, seed, off)
    if family in ("dropout", "groups", "alpha", "unscaled"):
        g, gl = c["groups"], c["group_len"]
        n = g * gl
        xs = random_values(dt, n, rng)
        keeps = group_keeps(seed, off, g, gl, p)
        mask = bitmask(seed, off, g, p)
        if family == "alpha":
            ys = both_families(lambda a: alpha_forward_values(f, xs, keeps, p, a))
            dxs = both_families(lambda a: alpha_backward_values(f, xs, keeps, p, a))
        elif family == "unscaled":
            ys = both_families(lambda a: unscaled_values(f, xs, keeps, a))
        else:
            ys = both_families(lambda a: dropout_values(f, xs, keeps, p, a))
        shape = ("n=%d" % n) if family == "dropout" else ("groups=%d group_len=%d" % (g, gl))
        # Backward with the complemented mask (bits past the groups stay 0): reaches what no
        # forward mask can, e.g. a set bit at p == 1 (s = 0) or a clear one at p == 0.
        inv = [1 - k for k in keeps]
        if family == "alpha":
            dxi = both_families(lambda a: alpha_backward_values(f, xs, inv, p, a))
        elif family == "unscaled":
            dxi = both_families(lambda a: unscaled_values(f, xs, inv, a))
        else:
            dxi = both_families(lambda a: dropout_values(f, xs, inv, p, a))
        line = "%s %s %s x=%s y=%s mask=%s" % (head, shape, common, hexs(f, xs), merged_hex(f, *ys),
                                               bytes_hex(mask))
        if family == "alpha":
            line += " dx=%s" % merged_hex(f, *dxs)
        return line + " dx_inv=%s" % merged_hex(f, *dxi)
    rows, cols = c["rows"], c["cols"]
    n = rows * cols
    if family == "granules":
        return granules_line(f, dt, c, rng, head, common)
    xs = random_values(dt, n, rng, -10, 10)
    bias = random_values(dt, cols, rng, -10, 10) if c["bias"] else None
    res = random_values(dt, n, rng, -10, 10) if c["residual"] else None
    if dt in BDA_EDGES and n:
        # Put the hand-made edge triples at random places that fit this case's bias/residual.
        # Each edge gets its own column when there is a bias (it sets bias[c]), its own element
        # otherwise; the edges are taken in a per-case random order, as many as fit.
        edges = list(BDA_EDGES[dt])
        for i in range(len(edges) - 1, 0, -1):
            j = rng.below(i + 1)
            edges[i], edges[j] = edges[j], edges[i]
        free_cols = list(range(cols))
        used = set()
        for xe, be, re in edges:
            if (be is not None and bias is None) or (re is not None and res is None):
                continue
            if bias is not None:
                if not free_cols:
                    break
                c = free_cols.pop(rng.below(len(free_cols)))
                k = rng.below(rows) * cols + c
            else:
                k = rng.below(n)
                if k in used:
                    continue
            used.add(k)
            xs[k] = xe
            if bias is not None:
                bias[k % cols] = 0x0000 if be is None else be
            if res is not None:
                res[k] = 0x8000 if re is None else re
    dout = random_dout(f, dt, n, cols, rng)
    keeps = [keep(seed, off + k, p) for k in range(n)]
    mask = bitmask(seed, off, n, p)
    ys = both_families(lambda a: bda_forward_values(f, xs, bias, res, rows, cols, keeps, p, a))
    dxs = both_families(lambda a: dropout_values(f, dout, keeps, p, a))
    db = dbias_values(f, dxs[0], rows, cols)
    assert db == dbias_values(f, dxs[1], rows, cols)
    inv = [1 - k for k in keeps]
    dxi = both_families(lambda a: dropout_values(f, dout, inv, p, a))
    dbi = dbias_values(f, dxi[0], rows, cols)
    T = compute_type(f)
    for c in range(cols):                        # does the order of 4.5 matter for this column?
        plain = 0
        for r in range(rows):
            plain = add(T, plain, to_compute(f, dxs[0][r * cols + c]), "x86", canonical=True)
        if plain != db[c]:
            DBIAS_ORDER_COUNTS[dt] = DBIAS_ORDER_COUNTS.get(dt, 0) + 1
    return ("%s rows=%d cols=%d %s x=%s bias=%s residual=%s y=%s mask=%s dout=%s dx=%s dbias=%s "
            "dx_inv=%s dbias_inv=%s" % (
                head, rows, cols, common, hexs(f, xs), hexs(f, bias) if bias is not None else "null",
                hexs(f, res) if res is not None else "null", merged_hex(f, *ys), bytes_hex(mask),
                hexs(f, dout), merged_hex(f, *dxs), hexs(T, db), merged_hex(f, *dxi), hexs(T, dbi)))


DBIAS_ORDER_COUNTS = {}


def random_dout(f, dt, n, cols, rng):
    """dout: finite values spread over many binades, so that the order of the bias-gradient sum
    shows in its rounding; specials (NaN, inf, ...) only in the columns c % 3 == 2."""
    dout = []
    for k in range(n):
        if k % cols % 3 == 2:
            dout += random_values(dt, 1, rng, -12, 12)
        else:
            dout.append(random_moderate(f, rng, -12, 11) if rng.below(8) else random_tiny(f, rng))
    return dout


def granules_line(f, dt, c, rng, head, common):
    """A 'granules' line (4.7): the backward's dx and partial sums per granule over the whole
    tensor, and their reduction."""
    rows, cols, gr, p = c["rows"], c["cols"], c["granule"], float(c["p"])
    n = rows * cols
    dout = random_dout(f, dt, n, cols, rng)
    keeps = [keep(c["seed"], c["offset"] + k, p) for k in range(n)]
    mask = bitmask(c["seed"], c["offset"], n, p)
    dxs = both_families(lambda a: dropout_values(f, dout, keeps, p, a))
    T = compute_type(f)
    parts = granule_partials(f, dxs[0], rows, cols, gr)
    assert parts == granule_partials(f, dxs[1], rows, cols, gr)
    ng = (rows + gr - 1) // gr
    db = dbias_reduce(T, parts, ng, cols)
    return ("%s rows=%d cols=%d granule=%d %s dout=%s mask=%s dx=%s partials=%s dbias=%s" % (
        head, rows, cols, gr, common, hexs(f, dout), bytes_hex(mask), merged_hex(f, *dxs),
        hexs(T, parts), hexs(T, db)))


def site_seed_lines():
    """'site_seed' lines (section 8): the key of a name and the seeds of a few steps."""
    lines = []
    for base, name, steps in [(0, "", (0, 1)), (42, "layers.0.attention.dropout", (0, 1, 2, 1000)),
                              (42, "layers.0.mlp.dropout", (0, 1)),
                              (T64 - 1, "encoder.layer.11.output.dropout", (0, T64 - 1)),
                              (SX, "a", (7,))]:
        for step in steps:
            key = site_key(name)
            lines.append("site_seed - base=%016x name=%s step=%d key=%016x seed=%016x" % (
                base, name.encode().hex() or "-", step, key, site_seed(base, key, step)))
    return lines


GOLDEN_VALUES_HEADER = """\
# simdrop golden output values, docs/MASK_SPEC.md version 1, sections 3 to 6 (masks) and 4 (values).
# Produced by docs/mask_spec_v1.py --golden-values, an independent Python implementation written
#   from docs/MASK_SPEC.md alone (not from kernels/ or src/); checked by tests/kat/ (kat_cpu).
# Format: '#' lines are comments; one case per line, fields separated by single spaces:
#   FAMILY DTYPE SHAPE p=P seed=SEED offset=OFFSET x=X ... (key=value after the first two fields)
#   FAMILY: dropout | groups | alpha | bias_dropout_add | granules | unscaled;
#           DTYPE: f32 | f64 | bf16 | f16
#   SHAPE:  dropout: n=N;  groups, alpha, unscaled: groups=G group_len=L;
#           bias_dropout_add: rows=R cols=C
#   p: Python repr of the double; seed: 16 hex digits; offset: decimal (counts groups for groups,
#   alpha and unscaled, elements otherwise).
#   Arrays: one fixed-width lowercase hex bit pattern per element, concatenated, most significant
#   digit first (8 digits f32, 16 f64, 4 bf16 and f16); '-' for an empty array; 'null' for a
#   NULL bias or residual. mask: the bitmask bytes as in golden_v1.txt, 2 hex digits each.
#   Inputs:  x; bias_dropout_add also bias, residual and dout (the backward input).
#   Outputs: y = forward output; mask = forward's bitmask (also the mask input of backward);
#            dropout, groups and unscaled: backward and backward_regen with dy = x must give
#            dx = y;
#            alpha: dx = backward and backward_regen with dy = x;
#            bias_dropout_add: dx = backward and backward_regen with dout, dbias = their bias
#            gradient (8 hex digits: float; 16 for f64).
#            dx_inv (and dbias_inv): backward given the complement of mask (bits past the last
#            element or group still 0), same dy or dout.
#   granules DTYPE rows=R cols=C granule=G p= seed= offset= dout= mask= dx= partials= dbias=:
#            the bias gradient by granules (section 4.7) over the whole tensor: backward (with
#            mask) and backward_regen of the fused op on one block of all rows with granule G
#            give dx and partials (ceil(R / G) rows of C sums); simdrop_dbias_reduce of the
#            partials gives dbias.
#   site_seed - base=B name=NAME step=S key=K seed=SEED (section 8; NAME as hex bytes, '-' for
#            the empty name): simdrop_site_key(NAME) = K, simdrop_site_seed(B, K, S) = SEED.
#   '?' in place of an output element's first digit: the sign of that NaN is the CPU family's
#   (section 4.1, the NaN of Inf * 0): f on x86 (sign set), 7 on AArch64. All other bits are
#   pinned, NaN payloads included.
"""


def golden_values_text():
    lines = [GOLDEN_VALUES_HEADER.rstrip("\n")]
    RN16_EDGE_COUNTS.clear()
    DBIAS_ORDER_COUNTS.clear()
    for index, (family, dt, c) in enumerate(golden_value_cases()):
        lines.append(golden_value_line(family, dt, c, index))
    cov = coverage([l for l in lines[1:] if not l.startswith("granules ")])
    lines += site_seed_lines()
    lines.append("# coverage (counted over output elements): " + cov)
    return "\n".join(lines) + "\n"


def coverage(lines):
    """A summary of what the cases exercise, checked against minimums so that the file keeps
    covering the edges when cases change."""
    stats = {}
    for line in lines:
        fields = line.split()
        family, dt = fields[0], fields[1]
        kv = dict(w.split("=", 1) for w in fields[2:])
        f = DTYPES[dt]
        for key in ("y", "dx"):
            h = kv.get(key, "-")
            if h == "-":
                continue
            for k in range(0, len(h), f.hexw):
                e = h[k:k + f.hexw]
                if e[0] == "?":
                    cat = "familyNaN"
                else:
                    u = int(e, 16)
                    cat = ("NaN" if is_nan(f, u) else "inf" if is_inf(f, u) else "zero" if is_zero(f, u)
                           else "subnormal" if (u & f.expmask) == 0 else None)
                if cat:
                    stats[(dt, cat)] = stats.get((dt, cat), 0) + 1
    for (dt, cat), cnt in RN16_EDGE_COUNTS.items():
        stats[(dt, cat)] = cnt
    for dt, cnt in DBIAS_ORDER_COUNTS.items():
        stats[(dt, "dbiasNotRunningSum")] = cnt  # dbias columns where a plain running sum differs
    need = [(dt, cat) for dt in ("f32", "f64", "bf16", "f16")
            for cat in ("familyNaN", "NaN", "inf", "zero", "subnormal")]
    need += [(dt, cat) for dt in ("bf16", "f16") for cat in ("RN16tie", "RN16overflow", "RN16underflow")]
    need += [(dt, "dbiasNotRunningSum") for dt in ("f32", "f64", "bf16", "f16")]
    for key in need:
        if stats.get(key, 0) < 5:
            raise AssertionError("golden values cover %s %s only %d times" % (key + (stats.get(key, 0),)))
    return " ".join("%s:%s=%d" % (dt, cat, stats[(dt, cat)]) for dt, cat in sorted(stats))


def main(argv):
    if len(argv) == 2 and argv[1] == "--selftest":
        return selftest()
    if len(argv) == 2 and argv[1] == "--golden":
        sys.stdout.write(golden_text())
        return 0
    if len(argv) == 2 and argv[1] == "--golden-values":
        sys.stdout.write(golden_values_text())
        return 0
    sys.stderr.write("usage: %s --selftest | --golden | --golden-values\n" % argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
