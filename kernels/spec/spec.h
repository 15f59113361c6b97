/* spec.h: docs/MASK_SPEC.md v1 in executable form: generator, stream derivation, threshold, keep.
 * Pure per-element math that device code can include too (compiler.h says how); host.h has the
 * CPU-only pieces. */
#ifndef SIMDROP_SPEC_H
#define SIMDROP_SPEC_H

#include "compiler.h"

/* Geometry of the mask stream (MASK_SPEC.md section 2). 16 lanes make one round of 16 generator
 * outputs; each 32-bit output decides two elements through its 16-bit halves, so a round covers
 * 32 elements. AVX-512 holds a round in one register, AVX2 in two and NEON/SSE2 in four, and no
 * lane ever feeds another lane's elements: no cross-lane shuffles. */
#define SIMDROP_LANES 16u
#define SIMDROP_ROUND 32u                    /* elements per round */
#define SIMDROP_BLOCK 4096u                  /* elements per block: 128 rounds, then reseed */
#define SIMDROP_ROUNDS_PER_BLOCK (SIMDROP_BLOCK / SIMDROP_ROUND)

/* The xoshiro128++ state of the 16 lanes, word-major: s[w][lane]. */
typedef struct simdrop_lanes {
    uint32_t s[4][SIMDROP_LANES];
} simdrop_lanes;

/* splitmix64 next(), exactly as the reference splitmix64.c. */
SIMDROP_SPEC_FN uint64_t simdrop_splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

SIMDROP_SPEC_FN uint32_t simdrop_rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* xoshiro128++ 1.0 next(), exactly as the reference xoshiro128plusplus.c. */
SIMDROP_SPEC_FN uint32_t simdrop_xoshiro128pp_next(uint32_t s[4])
{
    const uint32_t result = simdrop_rotl32(s[0] + s[3], 7) + s[0];
    const uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = simdrop_rotl32(s[3], 11);
    return result;
}

/* The per-seed key: splitmix64's first output from state `seed`. Computed once per call. */
SIMDROP_SPEC_FN uint64_t simdrop_seed_key(uint64_t seed)
{
    return simdrop_splitmix64_next(&seed);
}

/* Lane states at the start of block `block` (MASK_SPEC.md section 2.2): a splitmix64 stream whose
 * start mixes the seed key with the block index feeds the 16 lanes in order, two outputs per lane.
 * Consecutive splitmix64 outputs are how the xoshiro authors seed; the extra mix of the block index
 * keeps neighbouring blocks and seeds on unrelated splitmix64 streams. */
SIMDROP_SPEC_FN void simdrop_seed_block(simdrop_lanes *st, uint64_t key, uint64_t block)
{
    uint64_t x = key ^ block;
    x = simdrop_splitmix64_next(&x);
    for (unsigned lane = 0; lane < SIMDROP_LANES; lane++) {
        const uint64_t z0 = simdrop_splitmix64_next(&x);
        const uint64_t z1 = simdrop_splitmix64_next(&x);
        st->s[0][lane] = (uint32_t)z0;
        st->s[1][lane] = (uint32_t)(z0 >> 32);
        st->s[2][lane] = (uint32_t)z1;
        st->s[3][lane] = (uint32_t)(z1 >> 32);
    }
}

/* One round: the next output of every lane, in lane order. */
SIMDROP_SPEC_FN void simdrop_round(simdrop_lanes *st, uint32_t out[SIMDROP_LANES])
{
    for (unsigned lane = 0; lane < SIMDROP_LANES; lane++) {
        uint32_t s[4] = {st->s[0][lane], st->s[1][lane], st->s[2][lane], st->s[3][lane]};
        out[lane] = simdrop_xoshiro128pp_next(s);
        for (unsigned w = 0; w < 4; w++)
            st->s[w][lane] = s[w];
    }
}

/* The 16 random bits of element q (0..31) of a round: low halves of lanes 0..15 decide elements
 * 0..15, high halves decide elements 16..31. */
SIMDROP_SPEC_FN uint32_t simdrop_round_bits16(const uint32_t out[SIMDROP_LANES], unsigned q)
{
    const uint32_t w = out[q % SIMDROP_LANES];
    return q < SIMDROP_LANES ? (w & 0xffffu) : (w >> 16);
}

/* T(p) = round-half-up(p * 2^16), in [0, 65536]; an element is kept iff its 16 bits are >= T.
 * p * 65536 is exact for every double, and so are the truncation and the fraction. */
SIMDROP_SPEC_FN uint32_t simdrop_threshold(double p)
{
    const double v = p * 65536.0;
    uint32_t t = (uint32_t)v;
    if (v - (double)t >= 0.5)
        t++;
    return t;
}

#endif /* SIMDROP_SPEC_H */
