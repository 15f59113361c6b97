/* arm/sve.c: SVE primitives for vla_template.h: chunks of 4, 8 or 16 lanes, the same bits at every vector length (also the sve2 path's). */
#include <arm_sve.h>

#if !defined(__ARM_FEATURE_SVE)
#error "arm/sve.c needs SVE (-march=armv8-a+sve)"
#endif

typedef svuint32_t vu32;
typedef svfloat32_t vf32;
typedef svbool_t vmask; /* a predicate of 32-bit lanes: set in KEPT lanes */
typedef svuint32_t vbits;
typedef svuint32_t vh16; /* one 16-bit value per 32-bit lane: ld1h widens, st1h narrows */
typedef svfloat64_t vf64;
typedef svbool_t vmask64;
typedef svbool_t vctl;
typedef svuint32_t vthresh;

/* Lanes past a chunk compute garbage that nothing reads, so arithmetic runs unpredicated (the _x
 * forms under an all-true predicate compile to the unpredicated instructions). */
#define SVE_ALL svptrue_b32()
#define SVE_ALL64 svptrue_b64()

/* A power of two, so that chunks tile the 16 lanes: an implementation may have 384-bit vectors
 * (12 lanes: 8). Branch-free, so that the compiler hoists it: min(lanes, 16) is 4, 8, 12 or 16,
 * and clearing the bit below the top one turns 12 into 8 and leaves the others. */
static inline __attribute__((always_inline)) unsigned sve_lanes(void)
{
    const unsigned n = svcntw() < 16 ? (unsigned)svcntw() : 16;
    return n & ~(n >> 1);
}
#define V_LANES() sve_lanes()
#define V_CTL_ALL() svwhilelt_b32_u32(0, sve_lanes())
#define V_CTL(n) svwhilelt_b32_u64(0, n)

#define V_LOAD(k, p) svld1_u32(k, p)
#define V_STORE(k, p, v) svst1_u32(k, p, v)
#define V_SET1(u) svdup_n_u32(u)
#define V_ADD(a, b) svadd_u32_x(SVE_ALL, a, b)
#define V_SUB(a, b) svsub_u32_x(SVE_ALL, a, b)
#define V_AND(a, b) svand_u32_x(SVE_ALL, a, b)
#define V_OR(a, b) svorr_u32_x(SVE_ALL, a, b)
#define V_XOR(a, b) sveor_u32_x(SVE_ALL, a, b)
#define V_SHL(v, k) svlsl_n_u32_x(SVE_ALL, v, k)
#define V_SHR(v, k) svlsr_n_u32_x(SVE_ALL, v, k)
#if defined(__ARM_FEATURE_SVE2) /* the sve2 path (arm/sve2.c) */
/* xar (exclusive-or and rotate right) with zero rotates in one instruction, where SVE has no
 * rotate and no shift-and-insert: the generator's two rotations cost 2 instructions, not 6. */
#define V_ROTL(v, k) svxar_n_u32(v, svdup_n_u32(0), 32 - (k))
#else
#define V_ROTL(v, k) V_OR(V_SHL(v, k), V_SHR(v, 32 - (k)))
#endif
#define V_GT(a, b) svcmpgt_u32(SVE_ALL, a, b)
#define V_BLEND(m, a, b) svsel_u32(m, a, b)

/* The keep decisions compare 16-bit elements: one cmphs decides both halves of every lane, and
 * trn2 moves the high halves' results to where a 32-bit lane's predicate bit is (the low half's
 * result already is: a .s operation reads bit 0 of each lane's four and ignores bit 2). The
 * threshold T = 65536 (p = 1: nothing kept) does not fit 16 bits; it turns the compare's
 * governing predicate off instead. Both operands are loop-invariant and hoisted. */
static inline __attribute__((always_inline)) svuint16_t sve_t16(svuint32_t t)
{
    const svuint16_t lo = svreinterpret_u16_u32(svmin_n_u32_x(SVE_ALL, t, 0xffff));
    return svtrn1_u16(lo, lo); /* min(T, 0xffff) in both halves */
}
static inline __attribute__((always_inline)) svbool_t sve_keepable(svuint32_t t)
{
    const svbool_t some = svcmplt_n_u32(SVE_ALL, t, 65536);
    return svtrn1_b16(some, some); /* both 16-bit elements of every lane */
}
#define V_THRESHOLD(t) svdup_n_u32(t)
#define V_CMP_LO(v, t) svcmpge_u16(sve_keepable(t), svreinterpret_u16_u32(v), sve_t16(t))
#define V_CMP_HI(v, t) svtrn2_b16(V_CMP_LO(v, t), V_CMP_LO(v, t))

/* The chunk's bits: lo, as V_CMP_LO returns it, is the 16-bit compare itself, whose odd
 * elements are hi's decisions; it selects weights 1 << (c + j) in both halves of lane j (the
 * chunk's, hoisted out of its rounds), and an OR across the chunk's lanes gives its part of the
 * word. (The template passes V_CMP_LO and V_CMP_HI of one vector; svtrn1_b16(lo, hi) would
 * rebuild the same predicate for any other lo.) */
static inline __attribute__((always_inline)) uint32_t sve_word_part(svbool_t k, unsigned c, svbool_t lo)
{
    const svuint16_t weight = svreinterpret_u16_u32(
        svlsl_u32_x(SVE_ALL, svdup_n_u32(0x10001u), svindex_u32(c, 1)));
    const svuint16_t bits = svsel_u16(lo, weight, svdup_n_u16(0));
    return svorv_u32(k, svreinterpret_u32_u16(bits));
}
#define V_WORD_PART(k, c, lo, hi) sve_word_part(k, c, lo)

/* A stored keep word's bits, the same way round: lane j of chunk c tests bits c + j and 16 + c + j
 * of the word at once (weight 0x10001 << (c + j)), as two 16-bit elements compared with 0. */
static const uint32_t sve_pair_bit[16] = {
    0x10001u << 0,  0x10001u << 1,  0x10001u << 2,  0x10001u << 3,
    0x10001u << 4,  0x10001u << 5,  0x10001u << 6,  0x10001u << 7,
    0x10001u << 8,  0x10001u << 9,  0x10001u << 10, 0x10001u << 11,
    0x10001u << 12, 0x10001u << 13, 0x10001u << 14, 0x10001u << 15,
};
#define V_BITS_PREP(w) svdup_n_u32(w)
#define V_BITS_LO(b, c)                                                                    \
    svcmpne_n_u16(svptrue_b16(), svreinterpret_u16_u32(svand_u32_x(                         \
        SVE_ALL, b, svld1_u32(V_CTL_ALL(), sve_pair_bit + (c)))), 0)
#define V_BITS_HI(b, c) svtrn2_b16(V_BITS_LO(b, c), V_BITS_LO(b, c))

#define VF_LOAD(k, p) svld1_f32(k, p)
#define VF_STORE(k, p, v) svst1_f32(k, p, v)
#define VF_SET1(f) svdup_n_f32(f)
#define VF_ADD(a, b) svadd_f32_x(SVE_ALL, a, b)
#define VF_SUB(a, b) svsub_f32_x(SVE_ALL, a, b)
#define VF_MUL(a, b) svmul_f32_x(SVE_ALL, a, b)
#define VF_AS_U(v) svreinterpret_u32_f32(v)
#define VU_AS_F(u) svreinterpret_f32_u32(u)
/* sel builds the factor (s or +0.0f); a zeroing multiply would give 0 for a dropped NaN. */
#define VF_KEEP(m, s) svsel_f32(m, s, svdup_n_f32(0.0f))
#define VF_SELECT(m, a, b) svsel_f32(m, a, b)
#define VF_ISNAN(v) svcmpuo_f32(SVE_ALL, v, v)

#define VH_LOAD(k, p) svld1uh_u32(k, p)
#define VH_STORE(k, p, h) svst1h_u32(k, p, h)
#define VH_WIDEN(h) (h)
#define VH_NARROW(u) (u)
/* fcvt widens the half in the low 16 bits of each 32-bit lane, keeping NaN payloads (quieted)
 * as F16C does: exact in every mode (SVE's fcvt ignores FPCR.AHP, which NEON's fcvtl follows:
 * arm/neon.c widens in integer code). Narrowing stays vector_rules.h's integer
 * rounding: fcvt rounds by FPCR's mode, which is the caller's (a call made upward would round its
 * halves upward), and MASK_SPEC.md 4.2's binary16 rounding is to nearest even. */
#define VF_FROM_F16(h) svcvt_f32_f16_x(SVE_ALL, svreinterpret_f16_u32(h))

/* A vector holds half as many doubles as 32-bit lanes: part 0 takes the lower half of the 32-bit
 * lanes' mask, part 1 the upper half (zip widens each lane's predicate bits to a double's). With
 * V at most half the vector's lanes (vectors over 512 bits) part 0 holds all V doubles and part
 * 1's control is empty; on 384-bit vectors part 0 holds 6 of V = 8 and part 1 the other 2. */
#define VD_PARTS 2
#define VD_LANES() ((unsigned)(svcntd() < sve_lanes() ? svcntd() : sve_lanes()))
#define M64(m, h) ((h) ? svzip2_b32(m, m) : svzip1_b32(m, m))
#define VD_LOAD(k, p) svld1_f64(k, p)
#define VD_STORE(k, p, v) svst1_f64(k, p, v)
#define VD_SET1(d) svdup_n_f64(d)
#define VD_ADD(a, b) svadd_f64_x(SVE_ALL64, a, b)
#define VD_MUL(a, b) svmul_f64_x(SVE_ALL64, a, b)
#define VD_KEEP(m, s) svsel_f64(m, s, svdup_n_f64(0.0))
#define VD_SELECT(m, a, b) svsel_f64(m, a, b)
#define VD_ISNAN(v) svcmpuo_f64(SVE_ALL64, v, v)

#include "template/vla_template.h"
