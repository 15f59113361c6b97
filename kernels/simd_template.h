/* simd_template.h: the one vector dropout loop; each ISA file defines the primitives, then includes it.
 *
 * A round is 16 xoshiro128++ lanes stepped once (MASK_SPEC.md section 2): NV = 16 / W registers of
 * W 32-bit lanes hold each state word, and the round's 32 elements form NG = 2 * NV groups of W:
 * group v < NV takes the low 16 bits of register v, group NV + v its high 16 bits. So every ISA
 * walks the same lanes in the same order and the bits cannot differ.
 *
 * The includer defines:
 *   SIMDROP_W                  32-bit lanes per register (4, 8 or 16)
 *   SIMDROP_ISA_ID, _NAME      table symbol suffix and the name simdrop_isa() reports; built with
 *                              SIMDROP_EMULATED (SIMDe without the ISA's flags) they gain "-simde"
 *   vu32, vf32, vmask          integer vector, float vector, and a keep mask in the form the ISA
 *                              compares into (all-ones lanes, or a k-register bit per lane)
 *   V_LOAD(p), V_STORE(p, v)   unaligned loads/stores of uint32_t lanes
 *   V_SET1(u), VF_SET1(f)      broadcasts
 *   V_ADD, V_XOR, V_SHL(v, k), V_ROTL(v, k)   the generator's operations
 *   V_THRESHOLD(T)             T in the form the compares take
 *   V_CMP_LO(v, t), V_CMP_HI(v, t)            the keep decisions "16-bit half >= T" of each lane,
 *                              as a vmask (all-ones lanes, or a k-register bit per lane)
 *   V_APPLY(y, x, m, s)        y[0..W) = x * (keep ? s : +0.0f), unaligned
 *   V_APPLY_NT(y, x, m, s)     the same with a non-temporal store to W*4-aligned y
 *   V_FENCE()                  orders the non-temporal stores before the function returns
 *   V_WORD(m)                  the round's 32-bit keep word from its NG masks (bit q = element q)
 *   vbits, V_BITS_PREP(w)      a 32-bit bitmask word w in the form V_BITS reads (vector or scalar)
 *   V_BITS(b, g)               the mask of group g of that word
 *   SIMDROP_HAS_NT             1 if V_APPLY_NT differs from V_APPLY
 */
#include <stdint.h>

#include "kernel.h"

#ifdef SIMDROP_EMULATED
#define SIMDROP_PATH_ID SIMDROP_CAT(SIMDROP_ISA_ID, _simde)
#define SIMDROP_PATH_NAME SIMDROP_ISA_NAME "-simde"
#else
#define SIMDROP_PATH_ID SIMDROP_ISA_ID
#define SIMDROP_PATH_NAME SIMDROP_ISA_NAME
#endif

#define NV (SIMDROP_LANES / SIMDROP_W)
#define NG (SIMDROP_ROUND / SIMDROP_W)

#if defined(__GNUC__)
#define SIMDROP_INLINE static inline __attribute__((always_inline))
#define SIMDROP_UNROLL _Pragma("GCC unroll 16")
#else
#define SIMDROP_INLINE static inline
#define SIMDROP_UNROLL
#endif

#define SIMDROP_CAT_(a, b) a##b
#define SIMDROP_CAT(a, b) SIMDROP_CAT_(a, b)
#define SIMDROP_FN(name) SIMDROP_CAT(SIMDROP_CAT(name, _), SIMDROP_PATH_ID)

/* Bit g*W + i of a bitmask word selects lane i of group g (for ISAs that test bits in lanes). */
static const uint32_t SIMDROP_FN(lane_bit)[SIMDROP_ROUND] = {
    1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
    1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
    1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
    1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31,
};
#define LANE_BITS(g) V_LOAD(SIMDROP_FN(lane_bit) + (g) * SIMDROP_W)

/* How a loop writes keep words: not at all, to a byte boundary (one plain 32-bit store), or
 * shifted by the 1..7 bits a call's head left pending in the bit writer. */
enum { MASK_NONE, MASK_ALIGNED, MASK_SHIFTED };

/* The core: `rounds` rounds of generation, optionally applied to data and/or written as bits.
 * with_data, mask_mode and nt are compile-time constants at every call site, so each use gets
 * its own loop with nothing dead in it. */
SIMDROP_INLINE void SIMDROP_FN(rounds)(float *y, const float *x, simdrop_bitw *bw,
                                       simdrop_lanes *st, size_t rounds, uint32_t threshold,
                                       float scale, const int with_data, const int mask_mode,
                                       const int nt)
{
    vu32 s0[NV], s1[NV], s2[NV], s3[NV];
    SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
        s0[v] = V_LOAD(st->s[0] + v * SIMDROP_W);
        s1[v] = V_LOAD(st->s[1] + v * SIMDROP_W);
        s2[v] = V_LOAD(st->s[2] + v * SIMDROP_W);
        s3[v] = V_LOAD(st->s[3] + v * SIMDROP_W);
    }
    const vu32 t = V_THRESHOLD(threshold);
    const vf32 s = VF_SET1(scale);
    uint8_t *mp = mask_mode != MASK_NONE ? bw->p : NULL;
    uint32_t acc = mask_mode == MASK_SHIFTED ? bw->acc : 0;
    const unsigned nbits = mask_mode == MASK_SHIFTED ? bw->nbits : 0;

    for (size_t r = 0; r < rounds; r++) {
        vmask m[NG];
        SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
            /* xoshiro128++ next(), lane-parallel, in the reference's order. */
            const vu32 out = V_ADD(V_ROTL(V_ADD(s0[v], s3[v]), 7), s0[v]);
            const vu32 shifted = V_SHL(s1[v], 9);
            s2[v] = V_XOR(s2[v], s0[v]);
            s3[v] = V_XOR(s3[v], s1[v]);
            s1[v] = V_XOR(s1[v], s2[v]);
            s0[v] = V_XOR(s0[v], s3[v]);
            s2[v] = V_XOR(s2[v], shifted);
            s3[v] = V_ROTL(s3[v], 11);
            if (with_data || mask_mode != MASK_NONE) {
                m[v] = V_CMP_LO(out, t);
                m[NV + v] = V_CMP_HI(out, t);
            }
        }
        if (with_data) {
            SIMDROP_UNROLL for (unsigned g = 0; g < NG; g++) {
                if (nt)
                    V_APPLY_NT(y + g * SIMDROP_W, x + g * SIMDROP_W, m[g], s);
                else
                    V_APPLY(y + g * SIMDROP_W, x + g * SIMDROP_W, m[g], s);
            }
            x += SIMDROP_ROUND;
            y += SIMDROP_ROUND;
        }
        if (mask_mode == MASK_ALIGNED) {
            simdrop_store_le32(mp, V_WORD(m));
            mp += 4;
        } else if (mask_mode == MASK_SHIFTED) {
            simdrop_bitw_put32(&mp, &acc, nbits, V_WORD(m));
        }
    }

    SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
        V_STORE(st->s[0] + v * SIMDROP_W, s0[v]);
        V_STORE(st->s[1] + v * SIMDROP_W, s1[v]);
        V_STORE(st->s[2] + v * SIMDROP_W, s2[v]);
        V_STORE(st->s[3] + v * SIMDROP_W, s3[v]);
    }
    if (mask_mode != MASK_NONE)
        bw->p = mp;
    if (mask_mode == MASK_SHIFTED)
        bw->acc = acc;
    if (nt)
        V_FENCE();
}

/* Non-temporal stores pay off only for buffers far larger than the caches, and need y aligned
 * to the vector; the caller decides the first, we check the second. */
SIMDROP_INLINE int SIMDROP_FN(use_nt)(const float *y, int stream)
{
    return SIMDROP_HAS_NT && stream && ((uintptr_t)y % (SIMDROP_W * sizeof(float))) == 0;
}

static void SIMDROP_FN(skip)(simdrop_lanes *st, size_t rounds)
{
    SIMDROP_FN(rounds)(NULL, NULL, NULL, st, rounds, 0, 0.0f, 0, MASK_NONE, 0);
}

#define SIMDROP_MASK_MODE(bw) (!(bw) ? MASK_NONE : (bw)->nbits ? MASK_SHIFTED : MASK_ALIGNED)

/* One call per (mask mode, nt) pair so that each gets its specialised loop. */
#define SIMDROP_DISPATCH_MASK_MODE(call_with_mode)                                         \
    switch (SIMDROP_MASK_MODE(bw)) {                                                       \
    case MASK_NONE: call_with_mode(MASK_NONE); break;                                      \
    case MASK_ALIGNED: call_with_mode(MASK_ALIGNED); break;                                \
    default: call_with_mode(MASK_SHIFTED); break;                                          \
    }

static void SIMDROP_FN(forward)(float *y, const float *x, simdrop_bitw *bw, simdrop_lanes *st,
                                size_t rounds, uint32_t threshold, float scale, int stream)
{
#define FORWARD_NT(mode) SIMDROP_FN(rounds)(y, x, bw, st, rounds, threshold, scale, 1, mode, 1)
#define FORWARD(mode) SIMDROP_FN(rounds)(y, x, bw, st, rounds, threshold, scale, 1, mode, 0)
    if (SIMDROP_FN(use_nt)(y, stream)) {
        SIMDROP_DISPATCH_MASK_MODE(FORWARD_NT)
    } else {
        SIMDROP_DISPATCH_MASK_MODE(FORWARD)
    }
#undef FORWARD_NT
#undef FORWARD
}

static void SIMDROP_FN(mask)(simdrop_bitw *bw, simdrop_lanes *st, size_t rounds,
                             uint32_t threshold)
{
#define MASK_ONLY(mode) SIMDROP_FN(rounds)(NULL, NULL, bw, st, rounds, threshold, 0.0f, 0, mode, 0)
    if (bw->nbits)
        MASK_ONLY(MASK_SHIFTED);
    else
        MASK_ONLY(MASK_ALIGNED);
#undef MASK_ONLY
}

SIMDROP_INLINE void SIMDROP_FN(backward_groups)(float *dx, const float *dy, const uint8_t *mask,
                                                size_t groups, float scale, const int nt)
{
    const vf32 s = VF_SET1(scale);
    for (size_t i = 0; i < groups; i++, dx += SIMDROP_ROUND, dy += SIMDROP_ROUND, mask += 4) {
        const vbits bits = V_BITS_PREP(simdrop_load_le32(mask));
        SIMDROP_UNROLL for (unsigned g = 0; g < NG; g++) {
            if (nt)
                V_APPLY_NT(dx + g * SIMDROP_W, dy + g * SIMDROP_W, V_BITS(bits, g), s);
            else
                V_APPLY(dx + g * SIMDROP_W, dy + g * SIMDROP_W, V_BITS(bits, g), s);
        }
    }
    if (nt)
        V_FENCE();
}

static void SIMDROP_FN(backward)(float *dx, const float *dy, const uint8_t *mask, size_t groups,
                                 float scale, int stream)
{
    if (SIMDROP_FN(use_nt)(dx, stream))
        SIMDROP_FN(backward_groups)(dx, dy, mask, groups, scale, 1);
    else
        SIMDROP_FN(backward_groups)(dx, dy, mask, groups, scale, 0);
}

const simdrop_kernels SIMDROP_CAT(simdrop_kernels_, SIMDROP_PATH_ID) = {
    SIMDROP_PATH_NAME,  SIMDROP_FN(skip),     SIMDROP_FN(forward),
    SIMDROP_FN(mask),   SIMDROP_FN(backward),
};
