# Independent reference implementation of docs/MASK_SPEC.md (version 1), written from that text alone; makes tests/golden_v1.txt.
"""
simdrop mask specification v1 -- plain Python re-implementation.

Written from docs/MASK_SPEC.md only (no look at kernels/, src/ or tests/*.c),
so that tests/golden_v1.txt is an independent check of the C library.
Standard library only; runs with any Python 3.7+.

Usage:
    python3 docs/mask_spec_v1.py --selftest    check the generators against tests/vectors/
                                               and a few properties of the spec; exit 1 on failure
    python3 docs/mask_spec_v1.py --golden      print the golden file (tests/golden_v1.txt) to stdout

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
# 4. Output values (float32)
# --------------------------------------------------------------------------

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
    """s = (float)(1.0 / (1.0 - p)) computed in double, rounded once; s = 0 when p == 1."""
    p = float(p)
    if p == 1.0:
        return 0.0
    return to_f32(1.0 / (1.0 - p))


def output(x, keep_bit, p):
    """y = x * (keep ? s : 0.0f), one float32 multiplication (x must be a float32 value).

    The product of two float32 values is exact in double (<= 48 significand bits), so
    computing it in double and rounding once to float32 is the IEEE single product.
    NaN payloads/signs are whatever the host produces (the spec leaves Inf*0 platform-defined).
    """
    m = scale(p) if keep_bit else 0.0
    return to_f32(x * m)


def forward(seed, offset, xs, p):
    """Forward pass of a call: returns (ys, mask_bytes)."""
    ys = [output(x, keep(seed, offset + k, p), p) for k, x in enumerate(xs)]
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


def main(argv):
    if len(argv) == 2 and argv[1] == "--selftest":
        return selftest()
    if len(argv) == 2 and argv[1] == "--golden":
        sys.stdout.write(golden_text())
        return 0
    sys.stderr.write("usage: %s --selftest | --golden\n" % argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
