/* vla_template.h: the one vector-length-agnostic dropout loop (SVE, RISC-V V); each ISA file defines the primitives below, then includes it.
 *
 * Why a second loop: simd_template.h holds a round in arrays of registers, and the sizeless types
 * of SVE (svuint32_t) and RVV (vuint32m1_t) cannot be array elements, struct members or sizeof
 * operands; the decision and its reasons are at the end of simd_template.h's contract. This loop
 * keeps the same primitive names, the same value stage (vector_rules.h) and the same table
 * (table.h), so a reader compares it with simd_template.h line by line.
 *
 * How it holds a round (MASK_SPEC.md section 2): the 16 lanes are independent generators, so it
 * walks them in chunks of V lanes, V = the largest power of two <= min(the vector's 32-bit lanes,
 * 16): 4 chunks on 128-bit vectors, 2 on 256-bit ones, 1 from 512 bits on (a 16-lane predicate,
 * or vl = 16, on longer vectors). Chunk c (lanes c .. c + V - 1) decides two groups of V elements
 * of every round: c .. c + V - 1 (the low halves of its lanes) and 16 + c .. 16 + c + V - 1 (the
 * high halves). Each lane compares straight into its elements' keep masks, never a cross-lane
 * shuffle, so the bits are the same at every vector length from one binary.
 *   gen: a block's rounds at a time (128: 16 KiB of floats per operand, so the later chunks find
 *        the operands in cache), chunk by chunk, each chunk's four state words in four named
 *        variables stepped through those rounds, its two groups written as it goes, its bits
 *        ORed into each round's keep word in an aligned local buffer (the first chunk stores the
 *        word), which is copied out after the last chunk.
 *   bits: round by round (no state to carry, and calls span whole ranges), chunk by chunk within
 *        the round.
 *   accumulate: V elements at a time, the tail as one shorter vector (a predicate or a smaller vl),
 *        not a scalar loop.
 * No non-temporal stores: neither ISA has a form this library has measured (SVE's stnt1 is a hint;
 * no hardware to measure it on), so there is no streaming or bounce-buffer machinery and the fence
 * does nothing.
 *
 * ---- The contract --------------------------------------------------------------------------
 * meson.build passes SIMDROP_PATH_ID and SIMDROP_PATH_NAME. The ISA file includes its compiler's
 * intrinsics header (SIMDe emulates neither ISA: these paths have no twin), checks that the ISA
 * is enabled, defines the following and includes this file last.
 *
 * Vectors are values only: parameters, return values and locals (vector_rules.h's rule). Every
 * primitive is an expression of its operands alone: one that needs the lane count, a governing
 * predicate or vl derives it from constants (svwhilelt of 16 lanes; RVV: an AVL of 16, which is
 * vl = V on every VLEN), so the compiler evaluates it once. Arithmetic may run on lanes past V;
 * only loads, stores and what leaves the chunk through V_WORD_PART look at the control. vmask
 * is the ISA's business: RVV keeps the complement of the decisions in it (see rvv.c).
 *
 * Required (a missing macro is an #error below; the types are checked by their use):
 *   vu32, vf32, vmask, vh16, vf64, vmask64, vbits   as in simd_template.h, with V lanes in use;
 *                              vh16 holds V 16-bit values in whatever layout VH_LOAD gives
 *                              (SVE: one per 32-bit lane, zero-extended by the load)
 *   vctl                       which lanes a load or store touches (a predicate, or vl)
 *   vthresh                    the threshold in the form the compares take
 *   V_LANES()                  V (4, 8 or 16), the same for the whole process
 *   V_CTL_ALL()                the control of all V lanes of a chunk
 *   V_CTL(n)                   the control of the first n < V lanes (a tail)
 *   V_LOAD(k, p), V_STORE(k, p, v), VF_LOAD, VF_STORE, VH_LOAD, VH_STORE   the lanes k names of
 *                              uint32_t, float and 16-bit values at p (unaligned)
 *   V_SET1, V_ADD, V_SUB, V_AND, V_OR, V_XOR, V_SHL, V_SHR, V_ROTL, V_GT, V_BLEND, VF_SET1,
 *   VF_ADD, VF_SUB, VF_MUL, VF_AS_U, VU_AS_F, VF_KEEP, VF_SELECT, VF_ISNAN, VH_WIDEN, VH_NARROW
 *                              as in simd_template.h
 *   V_THRESHOLD(T)             T (0 .. 65536) as a vthresh
 *   V_CMP_LO(v, t), V_CMP_HI(v, t)  the keep decisions "16-bit half >= T" of each lane
 *   V_WORD_PART(k, c, lo, hi)  chunk c's part of a round's keep word: a uint32_t with bit c + j =
 *                              lane j of lo and bit 16 + c + j = lane j of hi for the lanes j < V
 *                              that k (V_CTL_ALL()) names, 0 elsewhere; lo and hi are V_CMP_LO
 *                              and V_CMP_HI of one vector (SVE reads both from lo)
 *   V_BITS_PREP(w)             a round's keep word w as a vbits
 *   V_BITS_LO(b, c), V_BITS_HI(b, c)  the keep masks of chunk c's groups (lanes c + j: bits c + j
 *                              and 16 + c + j of the word)
 *   VD_PARTS                   1 or 2: the vectors a group of V doubles takes (SVE: 2, since a
 *                              vector holds half as many doubles as 32-bit lanes; RVV: 1, doubles
 *                              in a register group twice as wide)
 *   VD_LANES()                 the doubles of part 0: min(V, the doubles of a vector); part 1
 *                              holds the group's elements VD_LANES() .. V - 1 (none when part 0
 *                              has them all)
 *   M64(m, h)                  the mask, or the control, of part h's doubles from the 32-bit
 *                              lane mask or control m
 *   VD_LOAD(k, p), VD_STORE(k, p, v), VD_SET1, VD_ADD, VD_MUL, VD_KEEP, VD_SELECT, VD_ISNAN
 *                              as in simd_template.h, on the doubles of one part
 *
 * Optional, with their defaults (vector_rules.h): VF_FROM_F16, VH_FROM_F32_F16, VF_FROM_BF16,
 * VH_FROM_F32_BF16. */
#include <stdint.h>
#include <string.h>

#include "template/kernel.h"
#include "template/vector_rules.h"

/* ---- the contract, checked ------------------------------------------------------------------ */

#if !defined(V_LANES) || !defined(V_CTL_ALL) || !defined(V_CTL) || !defined(V_LOAD) ||        \
    !defined(V_STORE) || !defined(V_SET1) || !defined(V_ADD) || !defined(V_SUB) ||               \
    !defined(V_AND) || !defined(V_OR) || !defined(V_XOR) || !defined(V_SHL) || !defined(V_SHR) || \
    !defined(V_ROTL) || !defined(V_GT) || !defined(V_BLEND) || !defined(V_THRESHOLD) ||           \
    !defined(V_CMP_LO) || !defined(V_CMP_HI) || !defined(V_WORD_PART) ||                         \
    !defined(V_BITS_PREP) || !defined(V_BITS_LO) || !defined(V_BITS_HI)
#error "a vector-length-agnostic ISA file must define every V_ primitive of vla_template.h"
#endif
#if !defined(VF_LOAD) || !defined(VF_STORE) || !defined(VF_SET1) || !defined(VF_ADD) ||         \
    !defined(VF_SUB) || !defined(VF_MUL) || !defined(VF_AS_U) || !defined(VU_AS_F) ||             \
    !defined(VF_KEEP) || !defined(VF_SELECT) || !defined(VF_ISNAN) || !defined(VH_LOAD) ||        \
    !defined(VH_STORE) || !defined(VH_WIDEN) || !defined(VH_NARROW)
#error "a vector-length-agnostic ISA file must define every VF_ and VH_ primitive of vla_template.h"
#endif
#if !defined(VD_PARTS) || !defined(VD_LANES) || !defined(M64) || !defined(VD_LOAD) || !defined(VD_STORE) ||           \
    !defined(VD_SET1) || !defined(VD_ADD) || !defined(VD_MUL) || !defined(VD_KEEP) ||             \
    !defined(VD_SELECT) || !defined(VD_ISNAN)
#error "a vector-length-agnostic ISA file must define every VD_ primitive, VD_PARTS and M64"
#endif
_Static_assert(VD_PARTS == 1 || VD_PARTS == 2, "VD_PARTS must be 1 or 2");

#if defined(__GNUC__)
#define SIMDROP_UNROLL _Pragma("GCC unroll 2")
#define SIMDROP_UNROLL_CHUNKS _Pragma("GCC unroll 4")
#else
#define SIMDROP_UNROLL
#define SIMDROP_UNROLL_CHUNKS
#endif

/* ---- the value stage: one group of V elements ----------------------------------------------- */

/* The rule's constants are broadcast once per call into locals of the loops (a struct cannot hold
 * sizeless vectors) and handed down as parameters; those a rule or dtype does not use compile
 * away. */
#define SIMDROP_VCONSTS_F vf32 mul, vf32 add, vf32 drop, vf32 nan
#define SIMDROP_VCONSTS_D vf64 mul64, vf64 add64, vf64 drop64, vf64 nan64
#define SIMDROP_VCONSTS mul, add, drop, nan, mul64, add64, drop64, nan64
#define SIMDROP_BROADCAST(c, has)                                                          \
    const vf32 mul = VF_SET1((has) ? (c)->mul : 0.0f), add = VF_SET1((has) ? (c)->add : 0.0f), \
               drop = VF_SET1((has) ? (c)->drop : 0.0f), nan = VU_AS_F(V_SET1(SIMDROP_F32_NAN)); \
    const vf64 mul64 = VD_SET1((has) ? (c)->mul64 : 0.0), add64 = VD_SET1((has) ? (c)->add64 : 0.0), \
               drop64 = VD_SET1((has) ? (c)->drop64 : 0.0),                                \
               nan64 = VD_SET1(simdrop_u2d(SIMDROP_F64_NAN))

/* The lanes k names of dtype dt at element i of p, as floats. */
SIMDROP_INLINE vf32 SIMDROP_FN(load_f)(const int dt, vctl k, const void *p, size_t i)
{
    if (dt == DT_F32)
        return VF_LOAD(k, (const float *)p + i);
    const vh16 h = VH_LOAD(k, (const uint16_t *)p + i);
    return dt == DT_BF16 ? VF_FROM_BF16(h) : VF_FROM_F16(h);
}

SIMDROP_INLINE void SIMDROP_FN(store_f)(const int dt, vctl k, void *p, size_t i, vf32 v)
{
    if (dt == DT_F32)
        VF_STORE(k, (float *)p + i, v);
    else
        VH_STORE(k, (uint16_t *)p + i, dt == DT_BF16 ? VH_FROM_F32_BF16(v) : VH_FROM_F32_F16(v));
}

/* Elements i .. of the operands at y, x, b, r (the lanes k names), whose keep mask is m. */
SIMDROP_INLINE void SIMDROP_FN(group)(const int rule, const int dt, void *y, const void *x,
                                      const void *b, const void *r, size_t i, vctl k, vmask m,
                                      SIMDROP_VCONSTS_F, SIMDROP_VCONSTS_D)
{
    const int with_b = simdrop_rule_has_bias(rule), with_r = simdrop_rule_has_resid(rule);
    if (dt == DT_F64) {
        SIMDROP_UNROLL for (unsigned h = 0; h < VD_PARTS; h++) {
            const size_t j = i + h * VD_LANES();
            const vctl kh = M64(k, h);
            const vf64 bv = with_b ? VD_LOAD(kh, (const double *)b + j) : mul64;
            const vf64 rv = with_r ? VD_LOAD(kh, (const double *)r + j) : mul64;
            VD_STORE(kh, (double *)y + j,
                     SIMDROP_FN(rule_d)(rule, VD_LOAD(kh, (const double *)x + j), bv, rv, M64(m, h),
                                        mul64, add64, drop64, nan64));
        }
        return;
    }
    const vf32 bv = with_b ? VF_LOAD(k, (const float *)b + i) : mul; /* kernel.h: b is float */
    const vf32 rv = with_r ? SIMDROP_FN(load_f)(dt, k, r, i) : mul;
    SIMDROP_FN(store_f)(dt, k, y, i,
                        SIMDROP_FN(rule_f)(rule, SIMDROP_FN(load_f)(dt, k, x, i), bv, rv, m, mul, add,
                                           drop, nan));
}

/* ---- the loops ------------------------------------------------------------------------------ */

/* `rounds` (at most a block's) rounds of generation, chunk by chunk; with rule >= 0 applied to
 * the operands, with with_mask the keep words stored to a->mask_out. */
SIMDROP_INLINE void SIMDROP_FN(gen_piece)(const simdrop_kargs *a, simdrop_lanes *st, size_t rounds,
                                          vthresh t, const int rule, const int dt,
                                          const int with_mask, SIMDROP_VCONSTS_F, SIMDROP_VCONSTS_D)
{
    const unsigned lanes = V_LANES();
    const vctl k = V_CTL_ALL();
    uint32_t words[SIMDROP_ROUNDS_PER_BLOCK]; /* aligned, unlike the mask: one access a chunk */
    /* The high halves' groups through their own base pointers, at the same index as the low
     * halves': one register index serves every access of a round. */
    const size_t hi = rule != RULE_NONE ? SIMDROP_LANES * simdrop_dtype_size(dt) : 0;
    void *const yh = hi ? (char *)a->y + hi : a->y; /* (no value stage: y and x may be NULL, */
    const void *const xh = hi ? (const char *)a->x + hi : a->x; /*  and NULL + 0 is undefined in C) */
    const void *const bh = simdrop_rule_has_bias(rule)
                               ? (const char *)a->b + SIMDROP_LANES * simdrop_bias_size(dt)
                               : NULL;
    const void *const rh = simdrop_rule_has_resid(rule) ? (const char *)a->r + hi : NULL;
    for (unsigned c = 0; c < SIMDROP_LANES; c += lanes) {
        vu32 s0 = V_LOAD(k, st->s[0] + c), s1 = V_LOAD(k, st->s[1] + c);
        vu32 s2 = V_LOAD(k, st->s[2] + c), s3 = V_LOAD(k, st->s[3] + c);
        /* Two rounds a loop iteration: the loop's own instructions are a tenth of a chunk's
         * round on 128-bit vectors. */
        SIMDROP_UNROLL for (size_t i = 0, e = c; i < rounds; i++, e += SIMDROP_ROUND) {
            /* xoshiro128++ next(), lane-parallel, in the reference's order. */
            const vu32 out = V_ADD(V_ROTL(V_ADD(s0, s3), 7), s0);
            const vu32 shifted = V_SHL(s1, 9);
            s2 = V_XOR(s2, s0);
            s3 = V_XOR(s3, s1);
            s1 = V_XOR(s1, s2);
            s0 = V_XOR(s0, s3);
            s2 = V_XOR(s2, shifted);
            s3 = V_ROTL(s3, 11);
            if (rule == RULE_NONE && !with_mask)
                continue;
            const vmask lo = V_CMP_LO(out, t), hm = V_CMP_HI(out, t);
            if (rule != RULE_NONE) {
                SIMDROP_FN(group)(rule, dt, a->y, a->x, a->b, a->r, e, k, lo, SIMDROP_VCONSTS);
                SIMDROP_FN(group)(rule, dt, yh, xh, bh, rh, e, k, hm, SIMDROP_VCONSTS);
            }
            if (with_mask) {
                const uint32_t w = V_WORD_PART(k, c, lo, hm);
                words[i] = c ? words[i] | w : w;
            }
        }
        V_STORE(k, st->s[0] + c, s0);
        V_STORE(k, st->s[1] + c, s1);
        V_STORE(k, st->s[2] + c, s2);
        V_STORE(k, st->s[3] + c, s3);
    }
    if (with_mask)
        for (size_t i = 0; i < rounds; i++)
            simdrop_store_le32(a->mask_out + 4 * i, words[i]);
}

SIMDROP_INLINE void SIMDROP_FN(gen_loop)(const simdrop_kargs *args, simdrop_lanes *st,
                                         size_t rounds, uint32_t threshold, const int rule,
                                         const int dt, const int with_mask)
{
    simdrop_kargs a = *args; /* a local copy: stores through y cannot change it */
    const vthresh t = V_THRESHOLD(threshold);
    SIMDROP_BROADCAST(a.c, rule != RULE_NONE);
    while (rounds) {
        const size_t n = rounds < SIMDROP_ROUNDS_PER_BLOCK ? rounds : SIMDROP_ROUNDS_PER_BLOCK;
        SIMDROP_FN(gen_piece)(&a, st, n, t, rule, dt, with_mask, SIMDROP_VCONSTS);
        if (rule != RULE_NONE)
            SIMDROP_FN(advance)(&a, rule, dt, n);
        if (with_mask)
            a.mask_out += 4 * n;
        rounds -= n;
    }
}

/* The same value stage with keep words read from a bitmask, for chunks of `lanes` lanes: a
 * constant at each call, so that the chunks of a round unroll and whatever depends on the chunk
 * alone (its bit weights) is loaded once per call, not once per round. */
SIMDROP_INLINE void SIMDROP_FN(bits_loop)(const simdrop_kargs *args, size_t rounds,
                                          const int rule, const int dt, const unsigned lanes)
{
    const simdrop_kargs a = *args;
    const vctl k = V_CTL_ALL();
    const size_t hi = SIMDROP_LANES * simdrop_dtype_size(dt); /* the high halves' groups */
    void *const yh = (char *)a.y + hi;
    const void *const xh = (const char *)a.x + hi;
    SIMDROP_BROADCAST(a.c, 1);
    for (size_t i = 0; i < rounds; i++) {
        const vbits b = V_BITS_PREP(simdrop_load_le32(a.mask_in + 4 * i));
        SIMDROP_UNROLL_CHUNKS for (unsigned c = 0; c < SIMDROP_LANES; c += lanes) {
            const size_t e = i * SIMDROP_ROUND + c;
            const vmask lo = V_BITS_LO(b, c), hm = V_BITS_HI(b, c);
            SIMDROP_FN(group)(rule, dt, a.y, a.x, NULL, NULL, e, k, lo, SIMDROP_VCONSTS);
            SIMDROP_FN(group)(rule, dt, yh, xh, NULL, NULL, e, k, hm, SIMDROP_VCONSTS);
        }
    }
}

static void SIMDROP_FN(kernel_skip)(simdrop_lanes *st, size_t rounds)
{
    const simdrop_kargs none = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    SIMDROP_FN(gen_loop)(&none, st, rounds, 0, RULE_NONE, DT_F32, 0);
}

static void SIMDROP_FN(kernel_fence)(void)
{
}

static void SIMDROP_FN(kernel_mask)(uint8_t *out, simdrop_lanes *st, size_t rounds,
                                    uint32_t threshold)
{
    const simdrop_kargs a = {NULL, NULL, NULL, NULL, out, NULL, NULL, 0};
    SIMDROP_FN(gen_loop)(&a, st, rounds, threshold, RULE_NONE, DT_F32, 1);
}

/* The table entries: a specialised loop per mask output (no store kinds: no non-temporal stores). */
#define SIMDROP_KERNEL(name) SIMDROP_FN(name)
#define GEN(rule, dt)                                                                      \
    static void SIMDROP_FN(gen_##rule##_##dt)(const simdrop_kargs *a, simdrop_lanes *st,   \
                                              size_t rounds, uint32_t t)                   \
    {                                                                                      \
        if (a->mask_out)                                                                   \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, RULE_##rule, DT_##dt, 1);               \
        else                                                                               \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, RULE_##rule, DT_##dt, 0);               \
    }
#define BITS(rule, dt)                                                                     \
    static void SIMDROP_FN(bits_##rule##_##dt)(const simdrop_kargs *a, size_t rounds)      \
    {                                                                                      \
        switch (V_LANES()) {                                                               \
        case 4: SIMDROP_FN(bits_loop)(a, rounds, RULE_##rule, DT_##dt, 4); break;          \
        case 8: SIMDROP_FN(bits_loop)(a, rounds, RULE_##rule, DT_##dt, 8); break;          \
        default: SIMDROP_FN(bits_loop)(a, rounds, RULE_##rule, DT_##dt, 16); break;        \
        }                                                                                  \
    }

/* acc[i] += v[i] for the lanes k names from element i on: the scalar rule's additions. */
SIMDROP_INLINE void SIMDROP_FN(accumulate_at)(void *acc, const void *v, size_t i, vctl k, const int dt)
{
    if (dt == DT_F64) {
        double *d = (double *)acc + i;
        SIMDROP_UNROLL for (unsigned h = 0; h < VD_PARTS; h++) {
            const vctl kh = M64(k, h);
            const size_t j = h * VD_LANES();
            VD_STORE(kh, d + j, VD_ADD(VD_LOAD(kh, d + j), VD_LOAD(kh, (const double *)v + i + j)));
        }
        return;
    }
    float *f = (float *)acc + i;
    VF_STORE(k, f, VF_ADD(VF_LOAD(k, f), SIMDROP_FN(load_f)(dt, k, v, i)));
}

/* V elements at a time; the tail is one shorter vector, as predication or vl allows. */
SIMDROP_INLINE void SIMDROP_FN(accumulate)(void *acc, const void *v, size_t n, const int dt)
{
    const unsigned lanes = V_LANES();
    const vctl k = V_CTL_ALL();
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        SIMDROP_FN(accumulate_at)(acc, v, i, k, dt);
    if (i < n)
        SIMDROP_FN(accumulate_at)(acc, v, i, V_CTL(n - i), dt);
}
#define ACCUMULATE(dt)                                                                     \
    static void SIMDROP_FN(accumulate_##dt)(void *acc, const void *v, size_t n)            \
    {                                                                                      \
        SIMDROP_FN(accumulate)(acc, v, n, DT_##dt);                                        \
    }

/* The 16-bit conversions of load_f and store_f, V lanes at a time, the tail one shorter vector:
 * the table's narrow and widen, for checkasm's comparison with scalar. */
#define CONVERT(dt)                                                                        \
    static void SIMDROP_FN(narrow_##dt)(void *dst, const float *src, size_t n)             \
    {                                                                                      \
        const unsigned lanes = V_LANES();                                                  \
        for (size_t i = 0; i < n; i += lanes) {                                            \
            const vctl k = n - i >= lanes ? V_CTL_ALL() : V_CTL(n - i);                    \
            SIMDROP_FN(store_f)(DT_##dt, k, dst, i, VF_LOAD(k, src + i));                  \
        }                                                                                  \
    }                                                                                      \
    static void SIMDROP_FN(widen_##dt)(float *dst, const void *src, size_t n)              \
    {                                                                                      \
        const unsigned lanes = V_LANES();                                                  \
        for (size_t i = 0; i < n; i += lanes) {                                            \
            const vctl k = n - i >= lanes ? V_CTL_ALL() : V_CTL(n - i);                    \
            VF_STORE(k, dst + i, SIMDROP_FN(load_f)(DT_##dt, k, src, i));                  \
        }                                                                                  \
    }

#include "template/table.h"

const simdrop_kernels SIMDROP_CAT(simdrop_kernels_, SIMDROP_PATH_ID) = SIMDROP_TABLE(SIMDROP_PATH_NAME);
