/* simd_template.h: the one fixed-width vector dropout loop; each ISA file defines the primitives below, then includes it.
 *
 * A round is 16 xoshiro128++ lanes stepped once (MASK_SPEC.md section 2): NV = 16 / W registers of
 * W 32-bit lanes hold each state word, and the round's 32 elements form NG = 2 * NV groups of W:
 * group v < NV takes the low 16 bits of register v, group NV + v its high 16 bits. So every ISA
 * walks the same lanes in the same order and the keep bits cannot differ. The value stage
 * (vector_rules.h) then turns each group's keep mask into W outputs by one rule (values.h) for
 * one dtype; the rule, the dtype, the mask output and the store kind are compile-time constants
 * at every call, so each table entry is its own loop with nothing dead in it, and no loop is
 * written twice. docs/PORTING.md walks through adding a path.
 *
 * ---- The contract --------------------------------------------------------------------------
 * meson.build passes SIMDROP_PATH_ID and SIMDROP_PATH_NAME (the table's symbol suffix and the
 * name simdrop_isa() reports: "avx2", or "avx2-simde" for the SIMDe build at the baseline ISA,
 * which also gets SIMDROP_EMULATED). The ISA file includes its intrinsics header (SIMDe's, so that
 * the twin builds too), checks that its ISA is native unless SIMDROP_EMULATED, defines the
 * following and includes this file last.
 *
 * Width. SIMDROP_W, the 32-bit lanes of one register, divides 16 and is even: 4, 8 or 16 (checked
 * below). Every vector type is a complete C type of fixed size: the loops keep a round's state in
 * arrays (vu32 s0[NV]), its keep masks in an array (vmask m[NG]), the rule's broadcast constants
 * in a struct, and align streamed output to sizeof(vf32) = 4 W bytes (checked). Sizeless types
 * (SVE's svuint32_t, RVV's vuint32m1_t) can do none of that: see "Vector-length-agnostic paths".
 *
 * Required (a missing macro is an #error below; the types are checked by their use):
 *   vu32, vf32                 W uint32_t lanes, W float lanes
 *   vmask                      a keep mask in the form the ISA compares into (all-ones lanes, or
 *                              a k-register bit per lane)
 *   vbits                      a bitmask word in the form V_BITS reads
 *   vh16                       W packed 16-bit values
 *   vf64, vmask64              W/2 double lanes, and the mask of W/2 of them
 *   V_LOAD(p), V_STORE(p, v)   unaligned loads/stores of W uint32_t
 *   V_SET1(u), V_ADD, V_SUB, V_AND, V_OR, V_XOR, V_SHL(v, k), V_SHR(v, k) (logical)
 *   V_GT(a, b)                 a > b as a vmask, for lanes below 2^31 (signed compares suffice)
 *   V_BLEND(m, a, b)           m ? a : b per lane
 *   V_THRESHOLD(T)             T in the form the compares take: a vthresh (below)
 *   V_CMP_LO(v, t), V_CMP_HI(v, t)  the keep decisions "16-bit half >= T" of each lane
 *                              (all three from V_GT where SIMDROP_SIGNED_GT is defined, below)
 *   V_WORD(m)                  the round's 32-bit keep word from its NG masks (bit q = element q)
 *   V_BITS_PREP(w)             the 32-bit bitmask word w as a vbits
 *   V_BITS(b, g)               the keep mask of group g of that word (LANE_BITS(g), below, is
 *                              lane i's bit of group g, for ISAs that test bits in lanes)
 *   VF_LOAD(p), VF_STORE(p, v) unaligned loads/stores of W floats
 *   VF_SET1(f), VF_ADD, VF_SUB, VF_MUL, VF_AS_U(v), VU_AS_F(u) (bit casts)
 *   VF_KEEP(m, s)              m ? s : +0.0f per lane (the factor; never a masked multiply, which
 *                              would turn a dropped NaN into 0)
 *   VF_SELECT(m, a, b)         m ? a : b;  VF_ISNAN(v): a vmask of the NaN lanes
 *   VH_LOAD(p), VH_STORE(p, h) unaligned loads/stores of W 16-bit values
 *   VH_WIDEN(h), VH_NARROW(u)  zero-extend to 32-bit lanes, and keep the low 16 bits of each
 *   M64_LO(m), M64_HI(m)       the masks of a group's first and last W/2 elements, as vmask64
 *   VD_LOAD, VD_STORE, VD_SET1, VD_ADD, VD_MUL, VD_KEEP, VD_SELECT, VD_ISNAN  as VF_, on doubles
 *
 * Optional, with their defaults (the defaults give the same bits; an ISA overrides one only
 * where it is faster or exact in fewer instructions):
 *   VF_FROM_F16(h), VH_FROM_F32_F16(v)    binary16 widening and rounding, each on its own: the
 *                              exact versions of vector_rules.h; a native one only where it keeps
 *                              NaN payloads and gives the same bits in every rounding mode, with
 *                              flush-to-zero and whatever else the caller's FP control word holds
 *                              (F16C's both are; AArch64's fcvtl widening reads binary16 as
 *                              FPCR.AHP says and its fcvtn narrowing rounds by FPCR's mode: not)
 *   VF_FROM_BF16(h)            bfloat16 widening: a 16-bit shift
 *   VH_FROM_F32_BF16(v)        bfloat16 rounding: the integer version of vector_rules.h
 *   V_ROTL(v, k)               rotate left by k (a shift each way, or-ed; NEON inserts, AVX-512
 *                              rotates in one)
 *   V_XOR3(a, b, c)            a ^ b ^ c (two V_XORs; AVX-512's ternary logic does it in one)
 *   SIMDROP_SIGNED_GT          defined where V_GT compares signed lanes (SSE2, AVX2 have no
 *                              other): the template then makes the keep decisions with it
 *   vthresh, SIMDROP_VTHRESH   the type V_THRESHOLD returns, defined with SIMDROP_VTHRESH by an
 *                              ISA whose compares need more than one vector (default: vu32)
 *   VH2_FROM_F32_BF16(lo, hi), VH2_STORE(p, h), VH2_STORE_NT(p, h)   two groups rounded to
 *                              bfloat16 at once (2W halves, lo's first) and stored unaligned /
 *                              non-temporally to a 4W-byte aligned p (default: one group at a
 *                              time; AVX512-BF16 rounds 32 floats in one instruction; with
 *                              V_PACK_TOPS, vector_rules.h's integer rounding of pairs)
 *   V_PACK_TOPS(a, b), V_ANY(m)   the top halves of a's lanes, then b's, in one vector; whether
 *                              any lane of m is set (SSE2, AVX2: for that pair rounding)
 *   VF2_FROM_BF16(p, lo, hi)   the 2W bfloat16 values at p widened into two groups (lvalues lo
 *                              and hi), where a pair's shuffles cost less than two groups'
 *                              (default: VF_FROM_BF16 of each; used by the generating loops
 *                              where pairs are rounded, VH2_FROM_F32_BF16: round_values)
 *   VH2_FROM_F32_BF16_NAN(lo, hi, nan)   the same with NaN lanes first made the canonical nan
 *                              (the rules that add two inputs), for a rounding that tests its
 *                              lanes anyway: one test for both, where a select costs two
 *                              operations a group
 *   SIMDROP_STREAMS            2 where one run's generator waits on its own latency (one register
 *                              per state word: W = 16), so that gen2 interleaves two runs; the
 *                              default 1 makes gen2 two gen calls (table.h)
 *   SIMDROP_PREFETCH_BYTES(_16) how far ahead the streaming loops prefetch (4096; 16384 for 16-bit dtypes)
 *   Non-temporal stores, all five or none (none: plain stores everywhere, no fence, and
 *   SIMDROP_HAS_NT is 0, so the streaming and bounce-buffer branches compile away):
 *   VF_STORE_NT(p, v), VH_STORE_NT(p, h), VD_STORE_NT(p, v)   stores that bypass the caches, to
 *                              an address aligned to the vector (VH_STORE_NT may be the plain
 *                              store where the ISA has no form worth having)
 *   V_STREAM32(p, w)           a 4-byte non-temporal store of uint32_t w at 4-byte aligned p
 *                              (the edges of a streamed misaligned output)
 *   V_FENCE()                  orders the non-temporal stores before later loads and stores (the
 *                              walk calls it once a range, through the table's fence)
 *
 * ---- Vector-length-agnostic paths (SVE, RISC-V V: issue 17) ---------------------------------
 * Decided: such a path is its own loop, kernels/template/vla_template.h (written with the first
 * one), over the same primitive names and the same value stage (vector_rules.h, which holds
 * vectors only where sizeless types may be), filling the same table (table.h); not a build per
 * vector length. Why: the bits must be the same at every vector length from one binary (SVE
 * allows any multiple of 128 bits up to 2048); a build per length (gcc's -msve-vector-bits) is one
 * path per length and none for the lengths not built; and RVV has no fixed-length types before
 * clang 17 (Debian 12 has clang 16, whose sizeless types cannot be array elements, and gcc 12 has
 * no RVV intrinsics), so it can only be length-agnostic here. How the loop holds a round: the
 * lanes are independent generators, so it walks the 16 lanes in chunks of V = min(vector lanes,
 * 16) lanes (a predicate of 16 lanes, or vl = 16, on longer vectors; RVV with LMUL = 4 holds all
 * 16 in one register group from VLEN = 128 on), each chunk's four state words in four named
 * variables stepped through all `rounds` rounds, its groups (chunk c: groups c and 16 / V + c)
 * written as it goes and its bits ORed into the keep words; the constants are broadcast into
 * locals. Its row in meson.build has `twin: false` where SIMDe cannot emulate the ISA (SIMDe 0.7
 * has a few SVE functions and no RVV), and its tests run under qemu-user at several vector
 * lengths. docs/PORTING.md lists the steps. */
#include <stdint.h>

#include "template/kernel.h"
#include "template/vector_rules.h"

#define NV (SIMDROP_LANES / SIMDROP_W)
#define NG (SIMDROP_ROUND / SIMDROP_W)
#define W2 (SIMDROP_W / 2) /* doubles per register */

/* ---- the contract, checked ------------------------------------------------------------------ */

/* The optional primitives that the required ones can make (before the check: it counts them). */
#ifndef V_ROTL
#define V_ROTL(v, k) V_OR(V_SHL(v, k), V_SHR(v, 32 - (k)))
#endif

/* The keep decisions from a signed ">" alone: bits >= T is bits > T - 1, exact because both
 * sides lie in [-1, 65535] (T = 0 wraps to -1: keep all; T = 65536 gives 65535: keep none). */
#ifdef SIMDROP_SIGNED_GT
#if defined(V_THRESHOLD) || defined(V_CMP_LO) || defined(V_CMP_HI)
#error "SIMDROP_SIGNED_GT defines V_THRESHOLD, V_CMP_LO and V_CMP_HI itself"
#endif
#define V_THRESHOLD(t) V_SET1((uint32_t)(t) - 1u)
#define V_CMP_LO(v, t) V_GT(V_AND(v, V_SET1(0xffffu)), t)
#define V_CMP_HI(v, t) V_GT(V_SHR(v, 16), t)
#endif

_Static_assert(SIMDROP_W == 4 || SIMDROP_W == 8 || SIMDROP_W == 16, "SIMDROP_W must be 4, 8 or 16");
_Static_assert(sizeof(vf32) == 4 * SIMDROP_W, "vf32 must be W floats: the streaming alignment");

#if !defined(V_LOAD) || !defined(V_STORE) || !defined(V_SET1) || !defined(V_ADD) ||            \
    !defined(V_SUB) || !defined(V_AND) || !defined(V_OR) || !defined(V_XOR) || !defined(V_SHL) || \
    !defined(V_SHR) || !defined(V_ROTL) || !defined(V_GT) || !defined(V_BLEND) ||                 \
    !defined(V_THRESHOLD) || !defined(V_CMP_LO) || !defined(V_CMP_HI) || !defined(V_WORD) ||      \
    !defined(V_BITS_PREP) || !defined(V_BITS)
#error "an ISA file must define every V_ primitive of simd_template.h's contract"
#endif
#if !defined(VF_LOAD) || !defined(VF_STORE) || !defined(VF_SET1) || !defined(VF_ADD) ||         \
    !defined(VF_SUB) || !defined(VF_MUL) || !defined(VF_AS_U) || !defined(VU_AS_F) ||             \
    !defined(VF_KEEP) || !defined(VF_SELECT) || !defined(VF_ISNAN) || !defined(VH_LOAD) ||        \
    !defined(VH_STORE) || !defined(VH_WIDEN) || !defined(VH_NARROW)
#error "an ISA file must define every VF_ and VH_ primitive of simd_template.h's contract"
#endif
#if !defined(VD_LOAD) || !defined(VD_STORE) || !defined(VD_SET1) || !defined(VD_ADD) ||         \
    !defined(VD_MUL) || !defined(VD_KEEP) || !defined(VD_SELECT) || !defined(VD_ISNAN) ||         \
    !defined(M64_LO) || !defined(M64_HI)
#error "an ISA file must define every VD_ and M64_ primitive of simd_template.h's contract"
#endif

#ifndef SIMDROP_VTHRESH
typedef vu32 vthresh;
#endif

/* Non-temporal stores: all five primitives or none. None: plain stores, and nothing to fence. */
#ifdef VF_STORE_NT
#if !defined(VH_STORE_NT) || !defined(VD_STORE_NT) || !defined(V_STREAM32) || !defined(V_FENCE)
#error "VF_STORE_NT needs VH_STORE_NT, VD_STORE_NT, V_STREAM32 and V_FENCE as well"
#endif
#define SIMDROP_HAS_NT 1
#else
#if defined(VH_STORE_NT) || defined(VD_STORE_NT) || defined(V_STREAM32) || defined(V_FENCE)
#error "non-temporal primitives without VF_STORE_NT: define all five or none"
#endif
#define SIMDROP_HAS_NT 0
#define VF_STORE_NT VF_STORE /* never reached: use_nt() is 0 without SIMDROP_HAS_NT */
#define VH_STORE_NT VH_STORE
#define VD_STORE_NT VD_STORE
#define V_STREAM32(p, w) memcpy(p, &(w), 4)
#define V_FENCE() ((void)0)
#ifdef VH2_STORE_NT
#error "VH2_STORE_NT without VF_STORE_NT: non-temporal stores are all or none"
#endif
#define VH2_STORE_NT VH2_STORE
#endif

/* Rounding two groups to bfloat16 at once: the four primitives together or none. */
#if defined(VH2_FROM_F32_BF16) &&                                                          \
    (!defined(VH2_FROM_F32_BF16_NAN) || !defined(VH2_STORE) || !defined(VH2_STORE_NT))
#error "VH2_FROM_F32_BF16 needs VH2_FROM_F32_BF16_NAN, VH2_STORE and (with non-temporal stores) VH2_STORE_NT"
#endif

#ifndef SIMDROP_STREAMS
#define SIMDROP_STREAMS 1
#endif
#if SIMDROP_STREAMS != 1 && SIMDROP_STREAMS != 2
#error "SIMDROP_STREAMS is 1 or 2"
#endif

/* a ^ b ^ c; the default's inner xors are shared between the generator's words (see gen_loop) */
#ifndef V_XOR3
#define V_XOR3(a, b, c) V_XOR(a, V_XOR(b, c))
#endif

#if defined(__GNUC__)
#define SIMDROP_UNROLL _Pragma("GCC unroll 16")
#else
#define SIMDROP_UNROLL
#endif

/* Bit g*W + i of a bitmask word selects lane i of group g (for ISAs that test bits in lanes). */
static const uint32_t SIMDROP_FN(lane_bit)[SIMDROP_ROUND] = {
    1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
    1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
    1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
    1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31,
};
#define LANE_BITS(g) V_LOAD(SIMDROP_FN(lane_bit) + (g) * SIMDROP_W)

/* ---- the value stage: one group of W elements ----------------------------------------------- */

/* The rule's constants, broadcast once per call. */
typedef struct SIMDROP_FN(vconsts) {
    vf32 mul, add, drop, nan;
    vf64 mul64, add64, drop64, nan64;
} SIMDROP_FN(vconsts);

SIMDROP_INLINE SIMDROP_FN(vconsts) SIMDROP_FN(broadcast)(const simdrop_consts *c)
{
    SIMDROP_FN(vconsts) k;
    k.mul = VF_SET1(c->mul);
    k.add = VF_SET1(c->add);
    k.drop = VF_SET1(c->drop);
    k.nan = VU_AS_F(V_SET1(SIMDROP_F32_NAN));
    k.mul64 = VD_SET1(c->mul64);
    k.add64 = VD_SET1(c->add64);
    k.drop64 = VD_SET1(c->drop64);
    k.nan64 = VD_SET1(simdrop_u2d(SIMDROP_F64_NAN));
    return k;
}

/* W elements of dtype dt at element i of p, as floats. */
SIMDROP_INLINE vf32 SIMDROP_FN(load_f)(const int dt, const void *p, size_t i)
{
    if (dt == DT_F32)
        return VF_LOAD((const float *)p + i);
    const vh16 h = VH_LOAD((const uint16_t *)p + i);
    return dt == DT_BF16 ? VF_FROM_BF16(h) : VF_FROM_F16(h);
}

SIMDROP_INLINE void SIMDROP_FN(store_f)(const int dt, const int nt, void *p, size_t i, vf32 v)
{
    if (dt == DT_F32) {
        if (nt)
            VF_STORE_NT((float *)p + i, v);
        else
            VF_STORE((float *)p + i, v);
        return;
    }
    const vh16 h = dt == DT_BF16 ? VH_FROM_F32_BF16(v) : VH_FROM_F32_F16(v);
    if (nt)
        VH_STORE_NT((uint16_t *)p + i, h);
    else
        VH_STORE((uint16_t *)p + i, h);
}

/* The rule on group xv (elements i .. i + W - 1 of x, as floats) with the bias at b and the
 * residual rv, under keep mask m; raw: rule_f_raw's, NaNs not made canonical. */
SIMDROP_INLINE vf32 SIMDROP_FN(group_rule)(const int rule, vf32 xv, const void *b, vf32 rv,
                                           size_t i, vmask m, const SIMDROP_FN(vconsts) *k,
                                           const int raw)
{
    const vf32 bv = simdrop_rule_has_bias(rule) ? VF_LOAD((const float *)b + i) : k->mul;
    if (raw)
        return SIMDROP_FN(rule_f_raw)(rule, xv, bv, rv, m, k->mul, k->add, k->drop);
    return SIMDROP_FN(rule_f)(rule, xv, bv, rv, m, k->mul, k->add, k->drop, k->nan);
}

/* Elements i .. i + W - 1 of the operands at x, b, r under keep mask m, as floats (dtype f32,
 * bf16 or f16); raw: rule_f_raw's, NaNs not made canonical. */
SIMDROP_INLINE vf32 SIMDROP_FN(group_f)(const int rule, const int dt, const void *x, const void *b,
                                        const void *r, size_t i, vmask m,
                                        const SIMDROP_FN(vconsts) *k, const int raw)
{
    const vf32 rv = simdrop_rule_has_resid(rule) ? SIMDROP_FN(load_f)(dt, r, i) : k->mul;
    return SIMDROP_FN(group_rule)(rule, SIMDROP_FN(load_f)(dt, x, i), b, rv, i, m, k, raw);
}

/* The same for f64, in two halves of W/2 doubles, stored to y. */
SIMDROP_INLINE void SIMDROP_FN(group_d)(const int rule, const int nt, void *y, const void *x,
                                        const void *b, const void *r, size_t i, vmask m,
                                        const SIMDROP_FN(vconsts) *k)
{
    SIMDROP_UNROLL for (unsigned h = 0; h < 2; h++) {
        const size_t j = i + h * W2;
        const vmask64 mh = h ? M64_HI(m) : M64_LO(m);
        const vf64 bv = simdrop_rule_has_bias(rule) ? VD_LOAD((const double *)b + j) : k->mul64;
        const vf64 rv = simdrop_rule_has_resid(rule) ? VD_LOAD((const double *)r + j) : k->mul64;
        const vf64 v = SIMDROP_FN(rule_d)(rule, VD_LOAD((const double *)x + j), bv, rv, mh,
                                          k->mul64, k->add64, k->drop64, k->nan64);
        if (nt)
            VD_STORE_NT((double *)y + j, v);
        else
            VD_STORE((double *)y + j, v);
    }
}

/* The NG groups of one round at y, x, b, r, group g under keep mask m[g]. generating: the
 * caller's loop runs the generator, whose arithmetic keeps both vector ports busy, so the bf16
 * pairs are widened with VF2_FROM_BF16, whose shuffles use the one that has room; the loops from a
 * bitmask, with little else a round, widen each group as loads do (on the Intel Xeon VM of
 * model 167, checkasm --bench: the bf16 backward from a mask 0.083 -> 0.093 ns an element with
 * VF2_FROM_BF16, the generating bf16 entries 4-9% faster). */
SIMDROP_INLINE void SIMDROP_FN(round_values)(const int rule, const int dt, const int nt, void *y,
                                             const void *x, const void *b, const void *r,
                                             const vmask m[NG], const SIMDROP_FN(vconsts) *k,
                                             const int generating)
{
    (void)generating;
    SIMDROP_UNROLL for (unsigned g = 0; g < NG; g++) {
        const size_t i = g * SIMDROP_W;
        if (dt == DT_F64) {
            SIMDROP_FN(group_d)(rule, nt, y, x, b, r, i, m[g], k);
            continue;
        }
#ifdef VH2_FROM_F32_BF16
        if (dt == DT_BF16) { /* groups g and g + 1 rounded at once */
            if (g % 2 == 0) {
                const int raw = simdrop_rule_canonical_nan(rule); /* the rounding's NaN test makes them canonical */
                vf32 lo, hi;
                if (generating) {
                    vf32 x_lo, x_hi, r_lo = k->mul, r_hi = k->mul;
                    VF2_FROM_BF16((const uint16_t *)x + i, x_lo, x_hi);
                    if (simdrop_rule_has_resid(rule))
                        VF2_FROM_BF16((const uint16_t *)r + i, r_lo, r_hi);
                    lo = SIMDROP_FN(group_rule)(rule, x_lo, b, r_lo, i, m[g], k, raw);
                    hi = SIMDROP_FN(group_rule)(rule, x_hi, b, r_hi, i + SIMDROP_W, m[g + 1], k, raw);
                } else {
                    lo = SIMDROP_FN(group_f)(rule, dt, x, b, r, i, m[g], k, raw);
                    hi = SIMDROP_FN(group_f)(rule, dt, x, b, r, i + SIMDROP_W, m[g + 1], k, raw);
                }
                if (nt)
                    VH2_STORE_NT((uint16_t *)y + i, raw ? VH2_FROM_F32_BF16_NAN(lo, hi, k->nan)
                                                        : VH2_FROM_F32_BF16(lo, hi));
                else
                    VH2_STORE((uint16_t *)y + i, raw ? VH2_FROM_F32_BF16_NAN(lo, hi, k->nan)
                                                     : VH2_FROM_F32_BF16(lo, hi));
            }
            continue;
        }
#endif
        SIMDROP_FN(store_f)(dt, nt, y, i, SIMDROP_FN(group_f)(rule, dt, x, b, r, i, m[g], k, 0));
    }
}

/* How a loop stores its output: regular stores; non-temporal ones (and prefetching the inputs);
 * regular stores with that prefetching (into the L1 buffer of a misaligned streaming output). */
enum { STORE_REGULAR, STORE_NT, STORE_BOUNCE };

/* Loops with non-temporal stores also prefetch their inputs this far ahead, into L2: with the
 * generator's arithmetic in the loop the out-of-order window holds too few loads to keep DRAM
 * busy, and the hardware prefetchers alone left forward at 0.75x a memcpy of 64M floats on the
 * Intel VM; 4 KiB ahead reached 0.9-1.0x (2 and 8 KiB ahead did nearly as well). The 16-bit
 * dtypes prefetch further, SIMDROP_PREFETCH_BYTES_16: their arithmetic per byte is twice the
 * floats', so at 64M they run barely faster than DRAM delivers, and a line that comes late
 * stalls them. On the Intel Xeon VM of model 207 (avx512bf16; each op over a memcpy of the same
 * bytes timed in the same process, median of 4 rounds interleaved with the 2 KiB build), 16 KiB:
 * at 64M bf16 forward with mask 0.80x -> 0.92x memcpy, forward 0.81x -> 0.94x, backward 0.89x
 * -> 0.96x, by regeneration 0.80x -> 0.94x, f16 0.82x, 0.84x, 0.86x, 0.86x -> 0.94x, 1.00x,
 * 0.98x, 1.00x; at 16M 0-4% better; the fused 16-bit ops at 1M and 16M the same. 32 KiB did
 * no better (3 rounds); for f32 and f64, 32 KiB against 4 KiB moved nothing beyond the noise. */
#ifndef SIMDROP_PREFETCH_BYTES
#define SIMDROP_PREFETCH_BYTES 4096
#endif
#ifndef SIMDROP_PREFETCH_BYTES_16
#define SIMDROP_PREFETCH_BYTES_16 16384
#endif
SIMDROP_INLINE size_t SIMDROP_FN(prefetch_ahead)(const int dt)
{
    return simdrop_dtype_size(dt) == 2 ? SIMDROP_PREFETCH_BYTES_16 : SIMDROP_PREFETCH_BYTES;
}

/* rows_loop's streaming rows prefetch at least this far ahead: a rows call ends at each generator
 * block, and the next one first seeds its block and steps its lanes to the shard's columns, a
 * stretch without loads of its own, so with rows of a generator block's width (1024 f32 of a
 * 4096-wide tensor: one row a call) 4 KiB ahead was the next row only, and memory idled through
 * each seek. On the AMD Zen 5 VM (column shard 1 of 4, 16M f32 in compact rows, one pinned core,
 * median of 5, three rounds interleaved with the 4 KiB build), 8 KiB took rows of 1024 from
 * 1.29-1.37x to 1.05-1.12x a contiguous call's time (forward with mask) and from 1.17-1.20x to
 * 0.98-1.02x (the fused op); rows of 32 and 256 ran the same. Every loop at 8 KiB or 16 KiB (two
 * test builds) left the contiguous calls unchanged, and 16 KiB did the rows no better than 8.
 * The 16-bit dtypes already prefetch further. */
#ifndef SIMDROP_ROWS_PREFETCH_BYTES
#define SIMDROP_ROWS_PREFETCH_BYTES 8192
#endif

/* Prefetches one round of the input at x and, with a residual, of the one at r. */
SIMDROP_INLINE void SIMDROP_FN(prefetch_round)(const void *x, const void *r, const int rule,
                                               const int dt)
{
    for (size_t o = 0; o < SIMDROP_ROUND * simdrop_dtype_size(dt); o += 64) {
        __builtin_prefetch((const char *)x + o, 0, 1);
        if (simdrop_rule_has_resid(rule))
            __builtin_prefetch((const char *)r + o, 0, 1);
    }
}

/* Loops with regular stores prefetch their output instead, this far ahead, into L1: a store
 * waits in the store buffer until its line is in L1, and L1's prefetcher follows loads, not
 * stores, so without the hint each line of y came up from L2 in its store's turn. On the Intel
 * Xeon VM (model 207; a timing loop, best of 5, ns an element), 64K elements (y in L2): f32
 * forward with mask 0.170 -> 0.117, the fused f32 op 0.252 -> 0.152, f64 forward with mask (32K)
 * 0.286 -> 0.222; 256K: 0.24 -> 0.18 and 0.55 -> 0.40; 4K (in L1) and the forward without mask
 * unchanged. 1 KiB ahead beat 2 and 4 KiB. The generating loops only: the loops from a bitmask
 * (group dropout, backward), with a few operations a round, ran 4-11% slower with it at 64K
 * (their stores keep up). The hint is a write prefetch, which GCC emits as prefetcht0 without
 * -mprfchw; prefetchw itself measured the same. A kernel asks for it with SIMDROP_PREFETCH_OUT:
 * AVX-512's do (x86/avx512.h); avx2's, compute-bound at half the width, ran 4% slower with it
 * (f32 forward with mask, 64K), and no ARM or RISC-V core was at hand to measure. */
#ifndef SIMDROP_PREFETCHW_BYTES
#define SIMDROP_PREFETCHW_BYTES 1024
#endif
#ifndef SIMDROP_PREFETCH_OUT
#define SIMDROP_PREFETCH_OUT 0
#endif
/* rows_loop's prefetch cursor moves a round's bytes at a time and wraps exactly at a row's end:
 * every distance a whole number of rounds of the widest dtype. */
_Static_assert(SIMDROP_PREFETCH_BYTES % (SIMDROP_ROUND * 8) == 0 &&
                   SIMDROP_PREFETCH_BYTES_16 % (SIMDROP_ROUND * 8) == 0 &&
                   SIMDROP_PREFETCHW_BYTES % (SIMDROP_ROUND * 8) == 0 &&
                   SIMDROP_ROWS_PREFETCH_BYTES % (SIMDROP_ROUND * 8) == 0,
               "prefetch distances are whole rounds of f64 (256 bytes)");

/* Prefetches one round of the output at y for writing (where the kernel asks; else nothing). */
SIMDROP_INLINE void SIMDROP_FN(prefetch_out_round)(const void *y, const int dt)
{
    if (SIMDROP_PREFETCH_OUT)
        for (size_t o = 0; o < SIMDROP_ROUND * simdrop_dtype_size(dt); o += 64)
            __builtin_prefetch((const char *)y + o, 1, 3);
}

/* A loop's prefetch for one round, by its store kind: the inputs ahead for non-temporal stores
 * (or a bounced output), the output ahead for regular ones. */
SIMDROP_INLINE void SIMDROP_FN(prefetch)(const simdrop_kargs *a, const int rule, const int dt,
                                         const int store)
{
    if (store != STORE_REGULAR) {
        const size_t ahead = SIMDROP_FN(prefetch_ahead)(dt);
        SIMDROP_FN(prefetch_round)((const char *)a->x + ahead,
                                   simdrop_rule_has_resid(rule) ? (const char *)a->r + ahead : NULL,
                                   rule, dt);
    } else {
        SIMDROP_FN(prefetch_out_round)((const char *)a->y + SIMDROP_PREFETCHW_BYTES, dt);
    }
}

/* ---- the loops ------------------------------------------------------------------------------ */

/* xoshiro128++ next() on a vector of lanes: out gets the output, the state words (lvalues) move
 * on. The reference's xors, each new word written as the xor of old ones (s1 ^= s2 ^= s0 is
 * s1 ^ s2 ^ s0), so that a three-input xor does them in four operations and two deep instead of
 * five and three. */
#define XOSHIRO_STEP(s0, s1, s2, s3, out)                                                  \
    do {                                                                                   \
        (out) = V_ADD(V_ROTL(V_ADD(s0, s3), 7), s0);                                       \
        const vu32 shifted_ = V_SHL(s1, 9);                                                \
        const vu32 s1_next_ = V_XOR3(s1, s2, s0);                                          \
        const vu32 s0_next_ = V_XOR3(s0, s3, s1);                                          \
        (s2) = V_XOR3(shifted_, s2, s0);                                                   \
        (s3) = V_ROTL(V_XOR(s3, s1), 11);                                                  \
        (s1) = s1_next_;                                                                   \
        (s0) = s0_next_;                                                                   \
    } while (0)

/* Two rounds of the state alone, for the rounds a call steps over (a seek within a generator
 * block, a column shard's gap): 10 operations where two XOSHIRO_STEPs without their outputs take
 * 12, and the same depth (4). With x = s3 ^ s1, y = s2 ^ s0, R = rotl 11 and L = << 9, the
 * reference's update applied twice is (the s0, s1 and L(s1) terms cancel in pairs):
 *   s0'' = s3 ^ s2 ^ R(x)          s1'' = s0 ^ s3 ^ L(s1)
 *   s2'' = s2 ^ x ^ L(y)           s3'' = R(R(x) ^ s1 ^ y)
 * checkasm's skip and rows checks compare it with scalar's rounds, odd and even counts. */
#define XOSHIRO_SKIP2(s0, s1, s2, s3)                                                      \
    do {                                                                                   \
        const vu32 x_ = V_XOR(s3, s1), y_ = V_XOR(s2, s0), rx_ = V_ROTL(x_, 11);           \
        const vu32 s3_next_ = V_ROTL(V_XOR3(rx_, s1, y_), 11);                             \
        const vu32 s2_next_ = V_XOR3(s2, x_, V_SHL(y_, 9));                                \
        (s1) = V_XOR3(s0, s3, V_SHL(s1, 9));                                               \
        (s0) = V_XOR3(s3, s2, rx_);                                                        \
        (s2) = s2_next_;                                                                   \
        (s3) = s3_next_;                                                                   \
    } while (0)

/* A run's lanes into registers (NV a state word) and back. */
SIMDROP_INLINE void SIMDROP_FN(lanes_load)(const simdrop_lanes *st, vu32 s0[NV], vu32 s1[NV],
                                           vu32 s2[NV], vu32 s3[NV])
{
    SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
        s0[v] = V_LOAD(st->s[0] + v * SIMDROP_W);
        s1[v] = V_LOAD(st->s[1] + v * SIMDROP_W);
        s2[v] = V_LOAD(st->s[2] + v * SIMDROP_W);
        s3[v] = V_LOAD(st->s[3] + v * SIMDROP_W);
    }
}

SIMDROP_INLINE void SIMDROP_FN(lanes_store)(simdrop_lanes *st, const vu32 s0[NV], const vu32 s1[NV],
                                            const vu32 s2[NV], const vu32 s3[NV])
{
    SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
        V_STORE(st->s[0] + v * SIMDROP_W, s0[v]);
        V_STORE(st->s[1] + v * SIMDROP_W, s1[v]);
        V_STORE(st->s[2] + v * SIMDROP_W, s2[v]);
        V_STORE(st->s[3] + v * SIMDROP_W, s3[v]);
    }
}

/* `rounds` rounds stepped over by `streams` (1 or 2) runs' lanes: two rounds at a time, an odd
 * one by a plain step. The runs' steps interleave: a step's words wait on the last step's
 * through two operations, so one run's skipping is bound by their latency, not by its five
 * operations a round (AVX-512 on the AMD Zen 5 VM: about half a made round's time a round). */
SIMDROP_INLINE void SIMDROP_FN(step_over)(vu32 s0[][NV], vu32 s1[][NV], vu32 s2[][NV],
                                          vu32 s3[][NV], const unsigned streams, size_t rounds)
{
    for (; rounds >= 2; rounds -= 2)
        SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
            SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++)
                XOSHIRO_SKIP2(s0[q][v], s1[q][v], s2[q][v], s3[q][v]);
    if (rounds)
        SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
            SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
                vu32 out;
                XOSHIRO_STEP(s0[q][v], s1[q][v], s2[q][v], s3[q][v], out);
                (void)out;
            }
}

/* `rounds` rounds of generation of `streams` (1 or 2) independent runs, run q from lanes st[q]
 * with operands args[q]; with rule >= 0 applied to the operands, with with_mask the keep words
 * stored to args[q].mask_out (one of the two at least: rounds that make neither are
 * step_over's); nt is a STORE_ kind. Two runs in one loop give the out-of-order core two
 * generators to overlap: each round's state words depend on the last round's through two
 * operations, so one run with a single register per word (W = 16) waits on their latency. */
SIMDROP_INLINE void SIMDROP_FN(gen_loop)(const simdrop_kargs *args, simdrop_lanes *st,
                                         size_t rounds, uint32_t threshold, const int rule,
                                         const int dt, const int with_mask, const int nt,
                                         const unsigned streams)
{
    vu32 s0[2][NV], s1[2][NV], s2[2][NV], s3[2][NV];
    simdrop_kargs a[2];
    uint8_t *mp[2];
    SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++) {
        SIMDROP_FN(lanes_load)(&st[q], s0[q], s1[q], s2[q], s3[q]);
        a[q] = args[q];
        mp[q] = with_mask ? a[q].mask_out : NULL;
    }
    const vthresh t = V_THRESHOLD(threshold);
    SIMDROP_FN(vconsts) k;
    if (rule != RULE_NONE)
        k = SIMDROP_FN(broadcast)(args[0].c);

    for (size_t i = 0; i < rounds; i++) {
        SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++) {
            vmask m[NG];
            SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
                vu32 out;
                XOSHIRO_STEP(s0[q][v], s1[q][v], s2[q][v], s3[q][v], out);
                m[v] = V_CMP_LO(out, t);
                m[NV + v] = V_CMP_HI(out, t);
            }
            if (rule != RULE_NONE) {
                SIMDROP_FN(prefetch)(&a[q], rule, dt, nt);
                SIMDROP_FN(round_values)(rule, dt, nt == STORE_NT, a[q].y, a[q].x, a[q].b, a[q].r, m, &k, 1);
                SIMDROP_FN(advance)(&a[q], rule, dt, 1);
            }
            if (with_mask) {
                simdrop_store_le32(mp[q], V_WORD(m));
                mp[q] += 4;
            }
        }
    }

    SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
        SIMDROP_FN(lanes_store)(&st[q], s0[q], s1[q], s2[q], s3[q]);
}

/* The same value stage with keep words read from a bitmask. */
SIMDROP_INLINE void SIMDROP_FN(bits_loop)(const simdrop_kargs *args, size_t rounds,
                                          const int rule, const int dt, const int nt)
{
    simdrop_kargs a = *args;
    const SIMDROP_FN(vconsts) k = SIMDROP_FN(broadcast)(a.c);
    for (size_t i = 0; i < rounds; i++) {
        const vbits bits = V_BITS_PREP(simdrop_load_le32(a.mask_in + 4 * i));
        vmask m[NG];
        SIMDROP_UNROLL for (unsigned g = 0; g < NG; g++)
            m[g] = V_BITS(bits, g);
        if (nt) /* (no output prefetch for regular stores: prefetch()) */
            SIMDROP_FN(prefetch)(&a, rule, dt, nt);
        SIMDROP_FN(round_values)(rule, dt, nt == STORE_NT, a.y, a.x, a.b, a.r, m, &k, 0);
        SIMDROP_FN(advance)(&a, rule, dt, 1);
    }
}

/* The bytes of one vector store of y. */
SIMDROP_INLINE size_t SIMDROP_FN(store_bytes)(int dt)
{
#ifdef VH2_FROM_F32_BF16
    return (size_t)(dt == DT_F16 ? 2 : 4) * SIMDROP_W; /* bf16: two groups a store */
#else
    return (size_t)(dt == DT_BF16 || dt == DT_F16 ? 2 : 4) * SIMDROP_W;
#endif
}

/* Non-temporal stores pay off only for outputs far larger than the caches, and need y aligned
 * to the store; the caller decides the first, we check the second. */
SIMDROP_INLINE int SIMDROP_FN(use_nt)(const simdrop_kargs *a, int dt)
{
    return SIMDROP_HAS_NT && a->nt && (uintptr_t)a->y % SIMDROP_FN(store_bytes)(dt) == 0;
}

/* Whether a misaligned output that should stream goes through bounced (below): where the caller
 * allows it (kernel.h's SIMDROP_NT_ANY); else it takes regular stores. */
SIMDROP_INLINE int SIMDROP_FN(use_bounce)(const simdrop_kargs *a, int dt)
{
    return SIMDROP_HAS_NT && a->nt == SIMDROP_NT_ANY && !SIMDROP_FN(use_nt)(a, dt);
}

/* Non-temporal stores need y aligned to the vector, and large malloc blocks are not (glibc's
 * start 16 bytes into a page). So a misaligned output that should stream is made BOUNCE_BYTES
 * at a time, with regular stores into an aligned buffer that stays in L1, and streamed out from
 * there as memcpy does it: the bytes up to the first aligned address with plain stores, then
 * aligned non-temporal ones from unaligned loads. The values are the same loops' (the buffer is
 * only where they land), and y == x or y == r still works: each chunk is read before it is
 * written. On the Intel VM, f32 forward with mask with y 16 bytes past a 64-byte boundary
 * (simdrop_bench --misalign-y=16) went from regular stores' 0.47x to 0.82x a memcpy of 64M
 * floats and 1.41x at 16M; backward 0.93x and 1.54x (aligned: 0.92x and 2.03x in that run). */
#ifndef SIMDROP_BOUNCE_BYTES
#define SIMDROP_BOUNCE_BYTES 8192
#endif
/* The bytes before the first and after the last whole vector: 4-byte non-temporal stores where
 * dst allows them, so the partial lines at chunk edges stream too (a regular store there waits
 * for its line to be read, and holds up every store behind it). */
SIMDROP_INLINE void SIMDROP_FN(stream_edge)(char *dst, const char *src, size_t bytes)
{
    if ((uintptr_t)dst % 4 || bytes % 4) { /* a 16-bit output 2 bytes off a word */
        memcpy(dst, src, bytes);
        return;
    }
    for (size_t i = 0; i < bytes; i += 4) {
        uint32_t w;
        memcpy(&w, src + i, 4);
        V_STREAM32(dst + i, w);
    }
}

SIMDROP_INLINE void SIMDROP_FN(stream_out)(void *dst, const void *src, size_t bytes)
{
    const size_t vb = sizeof(vf32);
    size_t i = (vb - (uintptr_t)dst % vb) % vb;
    if (i > bytes)
        i = bytes;
    SIMDROP_FN(stream_edge)((char *)dst, (const char *)src, i);
    for (; i + vb <= bytes; i += vb)
        VF_STORE_NT((float *)(void *)((char *)dst + i),
                    VF_LOAD((const float *)(const void *)((const char *)src + i)));
    SIMDROP_FN(stream_edge)((char *)dst + i, (const char *)src + i, bytes - i);
}

/* The loops for a misaligned streaming output (a->nt set, y not aligned): gen when with_mask or
 * rule says so, bits when bits is set, chunk by chunk through the aligned buffer. */
SIMDROP_INLINE void SIMDROP_FN(bounced)(const simdrop_kargs *args, simdrop_lanes *st, size_t rounds,
                                        uint32_t threshold, const int rule, const int dt,
                                        const int with_mask, const int bits)
{
    _Alignas(64) unsigned char buf[SIMDROP_BOUNCE_BYTES];
    const size_t round_bytes = SIMDROP_ROUND * simdrop_dtype_size(dt);
    const size_t per = SIMDROP_BOUNCE_BYTES / round_bytes;
    simdrop_kargs a = *args;
    char *y = (char *)args->y;
    while (rounds) {
        const size_t n = rounds < per ? rounds : per;
        a.y = buf;
        if (bits)
            SIMDROP_FN(bits_loop)(&a, n, rule, dt, STORE_BOUNCE);
        else
            SIMDROP_FN(gen_loop)(&a, st, n, threshold, rule, dt, with_mask, STORE_BOUNCE, 1);
        SIMDROP_FN(stream_out)(y, buf, n * round_bytes);
        SIMDROP_FN(advance)(&a, rule, dt, n);
        if (with_mask)
            a.mask_out += 4 * n;
        if (bits)
            a.mask_in += 4 * n;
        y += n * round_bytes;
        rounds -= n;
    }
}

static void SIMDROP_FN(kernel_skip)(simdrop_lanes *st, size_t rounds)
{
    vu32 s0[1][NV], s1[1][NV], s2[1][NV], s3[1][NV];
    SIMDROP_FN(lanes_load)(st, s0[0], s1[0], s2[0], s3[0]);
    SIMDROP_FN(step_over)(s0, s1, s2, s3, 1, rounds);
    SIMDROP_FN(lanes_store)(st, s0[0], s1[0], s2[0], s3[0]);
}

/* One fence per walk range, not per kernel call: sfence waits for the write-combining buffers
 * to drain, and once every block (16 KiB of floats) it cost a fifth of the non-temporal speed. */
static void SIMDROP_FN(kernel_fence)(void)
{
    V_FENCE();
}

static void SIMDROP_FN(kernel_mask)(uint8_t *out, simdrop_lanes *st, size_t rounds,
                                    uint32_t threshold)
{
    simdrop_kargs a = {NULL, NULL, NULL, NULL, out, NULL, NULL, 0};
    SIMDROP_FN(gen_loop)(&a, st, rounds, threshold, RULE_NONE, DT_F32, 1, 0, 1);
}

/* The table entries: a specialised loop per (mask output, store kind). */
#define SIMDROP_KERNEL(name) SIMDROP_FN(name)
#define GEN_LOOPS(a, st, rounds, t, rule, dt, nt, streams)                                 \
    do {                                                                                   \
        if ((a)->mask_out && (nt))                                                         \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, rule, dt, 1, 1, streams);               \
        else if ((a)->mask_out)                                                            \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, rule, dt, 1, 0, streams);               \
        else if (nt)                                                                       \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, rule, dt, 0, 1, streams);               \
        else                                                                               \
            SIMDROP_FN(gen_loop)(a, st, rounds, t, rule, dt, 0, 0, streams);               \
    } while (0)
#define GEN(rule, dt)                                                                      \
    static void SIMDROP_FN(gen_##rule##_##dt)(const simdrop_kargs *a, simdrop_lanes *st,   \
                                              size_t rounds, uint32_t t)                   \
    {                                                                                      \
        const int nt = SIMDROP_FN(use_nt)(a, DT_##dt);                                     \
        if (SIMDROP_FN(use_bounce)(a, DT_##dt))                                            \
            SIMDROP_FN(bounced)(a, st, rounds, t, RULE_##rule, DT_##dt, a->mask_out != NULL, 0); \
        else                                                                               \
            GEN_LOOPS(a, st, rounds, t, RULE_##rule, DT_##dt, nt, 1);                      \
    }
#if SIMDROP_STREAMS == 2
/* Two runs in one loop where both store the same way (their outputs lie a whole number of
 * rounds apart in the walk's use, so they share alignment); else one after the other. */
#define GEN2(rule, dt)                                                                     \
    static void SIMDROP_FN(gen2_##rule##_##dt)(const simdrop_kargs a[2], simdrop_lanes st[2], \
                                               size_t rounds, uint32_t t)                  \
    {                                                                                      \
        const int nt = SIMDROP_FN(use_nt)(&a[0], DT_##dt);                                 \
        if (SIMDROP_FN(use_bounce)(&a[0], DT_##dt) || nt != SIMDROP_FN(use_nt)(&a[1], DT_##dt) || \
            (a[0].mask_out == NULL) != (a[1].mask_out == NULL)) {                          \
            SIMDROP_FN(gen_##rule##_##dt)(&a[0], &st[0], rounds, t);                       \
            SIMDROP_FN(gen_##rule##_##dt)(&a[1], &st[1], rounds, t);                       \
        } else {                                                                           \
            GEN_LOOPS(a, st, rounds, t, RULE_##rule, DT_##dt, nt, 2);                      \
        }                                                                                  \
    }
#endif
/* The rows of a column shard (kernel.h's rows) in one call, with the lanes in registers from
 * the lead to the last row: each row's rounds, then the gap's rounds stepped without outputs.
 * A narrow row costs its rounds and its gap, where a table call a row, a walk step and a seek
 * cost more than its 32 elements, and a call a row for the rounds and one for the gap moved the
 * lanes through memory twice a row. nt: y's stores are non-temporal (every row aligned for
 * them), and the inputs are prefetched through the rows (SIMDROP_ROWS_PREFETCH_BYTES ahead at
 * least). The keep words are stored or not by a test a round: one instantiation, not two (a
 * loop each way doubled the library, 7.2 to 13.8 MB, for 5-8% on the first shards in rows of
 * 1024, which take one block a call; paired rows spend their time skipping). streams = 2: two
 * generator blocks' rows of the same shape (kernel.h's rows2) in lockstep, so that each block's
 * stepping over the lead and the gaps, bound by the generator's latency, overlaps the other's
 * (step_over). */
SIMDROP_INLINE void SIMDROP_FN(rows_loop)(const simdrop_kargs *args, simdrop_lanes *st,
                                          const simdrop_rows *g, uint32_t threshold,
                                          const int rule, const int dt, const int nt,
                                          const unsigned streams)
{
    vu32 s0[2][NV], s1[2][NV], s2[2][NV], s3[2][NV], out;
    const vthresh t = V_THRESHOLD(threshold);
    const SIMDROP_FN(vconsts) k = SIMDROP_FN(broadcast)(args[0].c);
    simdrop_kargs row[2];
    /* The prefetch cursors: byte pf_col of the rows at pf_x and pf_r (the inputs, where the
     * stores are non-temporal) or at pf_x alone (the output, where they are regular: prefetch()'s
     * choice, at its distances), so a row's last rounds fetch the next rows' first bytes (beyond
     * this call's rows too: the walk's next call makes them), not the columns of other shards
     * past its end. */
    const size_t es = simdrop_dtype_size(dt), row_bytes = g->rounds * SIMDROP_ROUND * es;
    size_t ahead = SIMDROP_FN(prefetch_ahead)(dt);
    if (ahead < SIMDROP_ROWS_PREFETCH_BYTES)
        ahead = SIMDROP_ROWS_PREFETCH_BYTES;
    if (!nt)
        ahead = SIMDROP_PREFETCHW_BYTES;
    const size_t ahead_rows = ahead / row_bytes, pf_ld = (nt ? g->ldx : g->ldy) * es;
    const char *pf_x[2], *pf_r[2];
    size_t pf_col = ahead % row_bytes;
    SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++) {
        SIMDROP_FN(lanes_load)(&st[q], s0[q], s1[q], s2[q], s3[q]);
        row[q] = args[q];
        pf_x[q] = (nt ? (const char *)args[q].x : (const char *)args[q].y) + ahead_rows * pf_ld;
        pf_r[q] = nt && simdrop_rule_has_resid(rule) ? (const char *)args[q].r + ahead_rows * g->ldy * es
                                                     : pf_x[q];
    }
    for (size_t r = 0; r < g->rows; r++) {
        SIMDROP_FN(step_over)(s0, s1, s2, s3, streams, r ? g->gap : g->lead);
        if (r)
            SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
                simdrop_rows_next(&row[q], g, dt);
        simdrop_kargs a[2];
        SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
            a[q] = row[q];
        for (size_t i = 0; i < g->rounds; i++) {
            SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++) {
                vmask m[NG];
                SIMDROP_UNROLL for (unsigned v = 0; v < NV; v++) {
                    XOSHIRO_STEP(s0[q][v], s1[q][v], s2[q][v], s3[q][v], out);
                    m[v] = V_CMP_LO(out, t);
                    m[NV + v] = V_CMP_HI(out, t);
                }
                if (nt)
                    SIMDROP_FN(prefetch_round)(pf_x[q] + pf_col, pf_r[q] + pf_col, rule, dt);
                else
                    SIMDROP_FN(prefetch_out_round)(pf_x[q] + pf_col, dt);
                SIMDROP_FN(round_values)(rule, dt, nt, a[q].y, a[q].x, a[q].b, a[q].r, m, &k, 1);
                SIMDROP_FN(advance)(&a[q], rule, dt, 1);
                if (a[q].mask_out) {
                    simdrop_store_le32(a[q].mask_out, V_WORD(m));
                    a[q].mask_out += 4;
                }
            }
            if (nt || SIMDROP_PREFETCH_OUT) {
                if ((pf_col += SIMDROP_ROUND * es) == row_bytes) {
                    pf_col = 0;
                    SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++) {
                        pf_x[q] += pf_ld;
                        pf_r[q] += g->ldy * es;
                    }
                }
            }
        }
    }
    SIMDROP_UNROLL for (unsigned q = 0; q < streams; q++)
        SIMDROP_FN(lanes_store)(&st[q], s0[q], s1[q], s2[q], s3[q]);
}
/* A streaming call whose rows are all aligned for non-temporal stores (the first, and the row
 * stride a whole number of stores) streams them from the one loop, which then prefetches through
 * the rows (kernel.h's rows_prefetch); one with misaligned rows goes a row at a time through
 * gen, where each row's alignment picks its stores. */
#define SIMDROP_ROWS_PREFETCH SIMDROP_HAS_NT
#define GEN_ROWS(rule, dt)                                                                 \
    static void SIMDROP_FN(rows_##rule##_##dt)(const simdrop_kargs *a, simdrop_lanes *st,  \
                                               const simdrop_rows *g, uint32_t t)          \
    {                                                                                      \
        if (!(SIMDROP_HAS_NT && a->nt))                                                    \
            SIMDROP_FN(rows_loop)(a, st, g, t, RULE_##rule, DT_##dt, 0, 1);                \
        else if (SIMDROP_FN(use_nt)(a, DT_##dt) &&                                         \
                 g->ldy * simdrop_dtype_size(DT_##dt) % SIMDROP_FN(store_bytes)(DT_##dt) == 0) \
            SIMDROP_FN(rows_loop)(a, st, g, t, RULE_##rule, DT_##dt, 1, 1);                \
        else                                                                               \
            SIMDROP_ROWS_BY_CALLS(SIMDROP_FN(gen_##rule##_##dt), SIMDROP_FN(kernel_skip), a, st, \
                                  g, t, DT_##dt);                                          \
    }
#if SIMDROP_STREAMS == 2 && !defined(SIMDROP_EMULATED)
/* Two blocks' rows in one loop where both store normally (the walk pairs rows of jobs without
 * non-temporal stores alone: walk.c's PAIR_SKIPPED); else one after the other. Not in the SIMDe
 * twins (table.h's two rows calls): they exist to run the native paths' arithmetic on other
 * hosts, and this loop, twice the size of the rows loop, took their build from 4.4 to 6.6 MB
 * for a speed no host of theirs uses. */
#define GEN_ROWS2(rule, dt)                                                                \
    static void SIMDROP_FN(rows2_##rule##_##dt)(const simdrop_kargs a[2], simdrop_lanes st[2], \
                                                const simdrop_rows *g, uint32_t t)         \
    {                                                                                      \
        if (!(SIMDROP_HAS_NT && (a[0].nt || a[1].nt))) {                                   \
            SIMDROP_FN(rows_loop)(a, st, g, t, RULE_##rule, DT_##dt, 0, 2);                \
        } else {                                                                           \
            SIMDROP_FN(rows_##rule##_##dt)(&a[0], &st[0], g, t);                           \
            SIMDROP_FN(rows_##rule##_##dt)(&a[1], &st[1], g, t);                           \
        }                                                                                  \
    }
#endif
#define BITS(rule, dt)                                                                     \
    static void SIMDROP_FN(bits_##rule##_##dt)(const simdrop_kargs *a, size_t rounds)      \
    {                                                                                      \
        if (SIMDROP_FN(use_nt)(a, DT_##dt))                                                \
            SIMDROP_FN(bits_loop)(a, rounds, RULE_##rule, DT_##dt, 1);                     \
        else if (SIMDROP_FN(use_bounce)(a, DT_##dt))                                       \
            SIMDROP_FN(bounced)(a, NULL, rounds, 0, RULE_##rule, DT_##dt, 0, 1);           \
        else                                                                               \
            SIMDROP_FN(bits_loop)(a, rounds, RULE_##rule, DT_##dt, 0);                     \
    }

/* acc[i] += v[i]: W lanes at a time, the tail by the scalar rule (the same additions). */
SIMDROP_INLINE void SIMDROP_FN(accumulate)(void *acc, const void *v, size_t n, const int dt)
{
    size_t i = 0;
    if (dt == DT_F64) {
        double *a = (double *)acc;
        for (; i + W2 <= n; i += W2)
            VD_STORE(a + i, VD_ADD(VD_LOAD(a + i), VD_LOAD((const double *)v + i)));
        for (; i < n; i++)
            a[i] += ((const double *)v)[i];
        return;
    }
    float *a = (float *)acc;
    for (; i + SIMDROP_W <= n; i += SIMDROP_W)
        VF_STORE(a + i, VF_ADD(VF_LOAD(a + i), SIMDROP_FN(load_f)(dt, v, i)));
    for (; i < n; i++)
        a[i] += simdrop_load_f(dt, v, i);
}
#define ACCUMULATE(dt)                                                                     \
    static void SIMDROP_FN(accumulate_##dt)(void *acc, const void *v, size_t n)            \
    {                                                                                      \
        SIMDROP_FN(accumulate)(acc, v, n, DT_##dt);                                        \
    }

/* The 16-bit conversions of load_f, store_f and round_values (two groups at a time where the ISA
 * rounds pairs to bfloat16), W lanes at a time, the tail by the scalar ones: the table's narrow
 * and widen, for checkasm's exhaustive comparison with scalar. */
#ifdef VH2_FROM_F32_BF16
#define NARROW_PAIRS(dt, dst, src, n, i)                                                   \
    for (; DT_##dt == DT_BF16 && i + 2 * SIMDROP_W <= n; i += 2 * SIMDROP_W)               \
        VH2_STORE((uint16_t *)dst + i, VH2_FROM_F32_BF16(VF_LOAD(src + i), VF_LOAD(src + i + SIMDROP_W)))
#define WIDEN_PAIRS(dt, dst, src, n, i)                                                    \
    for (vf32 lo_, hi_; DT_##dt == DT_BF16 && i + 2 * SIMDROP_W <= n; i += 2 * SIMDROP_W) { \
        VF2_FROM_BF16((const uint16_t *)src + i, lo_, hi_);                                \
        VF_STORE(dst + i, lo_);                                                            \
        VF_STORE(dst + i + SIMDROP_W, hi_);                                                \
    }
#else
#define NARROW_PAIRS(dt, dst, src, n, i)
#define WIDEN_PAIRS(dt, dst, src, n, i)
#endif
#define CONVERT(dt)                                                                        \
    static void SIMDROP_FN(narrow_##dt)(void *dst, const float *src, size_t n)             \
    {                                                                                      \
        size_t i = 0;                                                                      \
        NARROW_PAIRS(dt, dst, src, n, i);                                                  \
        for (; i + SIMDROP_W <= n; i += SIMDROP_W)                                         \
            SIMDROP_FN(store_f)(DT_##dt, 0, dst, i, VF_LOAD(src + i));                     \
        for (; i < n; i++)                                                                 \
            simdrop_store_f(DT_##dt, dst, i, src[i]);                                      \
    }                                                                                      \
    static void SIMDROP_FN(widen_##dt)(float *dst, const void *src, size_t n)              \
    {                                                                                      \
        size_t i = 0;                                                                      \
        WIDEN_PAIRS(dt, dst, src, n, i);                                                   \
        for (; i + SIMDROP_W <= n; i += SIMDROP_W)                                         \
            VF_STORE(dst + i, SIMDROP_FN(load_f)(DT_##dt, src, i));                        \
        for (; i < n; i++)                                                                 \
            dst[i] = simdrop_load_f(DT_##dt, src, i);                                      \
    }

#include "template/table.h"

const simdrop_kernels SIMDROP_CAT(simdrop_kernels_, SIMDROP_PATH_ID) = SIMDROP_TABLE(SIMDROP_PATH_NAME);
