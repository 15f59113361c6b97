/* arm/neon.c: AArch64 NEON primitives for simd_template.h: 4 lanes, a round in four registers. */
#include <simde/arm/neon.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_ARM_NEON_A64V8_NATIVE)
#error "arm/neon.c needs AArch64 NEON, or SIMDROP_EMULATED for the SIMDe build"
#endif

#define SIMDROP_W 4

typedef simde_uint32x4_t vu32;
typedef simde_float32x4_t vf32;
typedef simde_uint32x4_t vmask; /* all-ones in KEPT lanes */
typedef simde_uint32x4_t vbits;
typedef simde_uint16x4_t vh16;
typedef simde_float64x2_t vf64;
typedef simde_uint64x2_t vmask64;

#define V_LOAD(p) simde_vld1q_u32(p)
#define V_STORE(p, v) simde_vst1q_u32(p, v)
#define V_SET1(u) simde_vdupq_n_u32(u)
#define V_ADD simde_vaddq_u32
#define V_SUB simde_vsubq_u32
#define V_AND simde_vandq_u32
#define V_OR simde_vorrq_u32
#define V_XOR simde_veorq_u32
#define V_SHL(v, k) simde_vshlq_n_u32(v, k)
#define V_SHR(v, k) simde_vshrq_n_u32(v, k)
/* Shift-right-and-insert makes the rotate two instructions instead of three. The extra
 * parentheses around the count matter: SIMDe 0.7's portable vsriq_n_u32 uses it unparenthesised. */
#define V_ROTL(v, k) simde_vsriq_n_u32(simde_vshlq_n_u32(v, k), v, (32 - (k)))
#define V_GT simde_vcgtq_u32
#define V_BLEND simde_vbslq_u32
#define V_THRESHOLD(t) simde_vdupq_n_u32(t)
#define V_CMP_LO(v, t) simde_vcgeq_u32(simde_vandq_u32(v, simde_vdupq_n_u32(0xffff)), t)
#define V_CMP_HI(v, t) simde_vcgeq_u32(simde_vshrq_n_u32(v, 16), t)
#define V_BITS_PREP(w) simde_vdupq_n_u32(w)
#define V_BITS(b, g) simde_vtstq_u32(b, LANE_BITS(g))

/* NEON has no movemask: narrow the eight lane masks to 32 bytes of 0x00/0xff in element order,
 * keep one weighted bit per byte and add neighbours pairwise three times, leaving byte k = the
 * keep bits of elements 8k .. 8k+7. */
static inline simde_uint8x16_t neon_narrow(simde_uint32x4_t a, simde_uint32x4_t b,
                                           simde_uint32x4_t c, simde_uint32x4_t d)
{
    const simde_uint16x8_t ab = simde_vcombine_u16(simde_vmovn_u32(a), simde_vmovn_u32(b));
    const simde_uint16x8_t cd = simde_vcombine_u16(simde_vmovn_u32(c), simde_vmovn_u32(d));
    return simde_vcombine_u8(simde_vmovn_u16(ab), simde_vmovn_u16(cd));
}

/* Bytes 0..3 of v as one word, byte k in bits 8k .. 8k+7. ACLE's vreinterpret is a bit-cast of
 * the register, so real NEON gives exactly that from lane 0 of the u32 view on either byte order
 * (one fmov). SIMDe's portable simde_vreinterpretq_u32_u8 (simde/arm/neon/reinterpret.h, as of
 * 0.7.4) memcpys its lane arrays instead, which on a big-endian host (s390x) makes byte 0 the
 * top byte; so wherever SIMDe emulates NEON, build the word from byte lanes (little-endian hosts
 * run this too, as neon-simde, so it is tested everywhere). */
static inline uint32_t neon_le32(simde_uint8x16_t v)
{
#if defined(SIMDE_ARM_NEON_A32V7_NATIVE)
    return simde_vgetq_lane_u32(simde_vreinterpretq_u32_u8(v), 0);
#else
    return (uint32_t)simde_vgetq_lane_u8(v, 0) | (uint32_t)simde_vgetq_lane_u8(v, 1) << 8 |
           (uint32_t)simde_vgetq_lane_u8(v, 2) << 16 | (uint32_t)simde_vgetq_lane_u8(v, 3) << 24;
#endif
}

static inline uint32_t neon_word(const vmask m[8])
{
    static const uint8_t weight[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const simde_uint8x16_t w = simde_vld1q_u8(weight);
    const simde_uint8x16_t lo = simde_vandq_u8(neon_narrow(m[0], m[1], m[2], m[3]), w);
    const simde_uint8x16_t hi = simde_vandq_u8(neon_narrow(m[4], m[5], m[6], m[7]), w);
    simde_uint8x16_t sum = simde_vpaddq_u8(lo, hi);
    sum = simde_vpaddq_u8(sum, sum);
    sum = simde_vpaddq_u8(sum, sum);
    return neon_le32(sum);
}
#define V_WORD(m) neon_word(m)

#define VF_LOAD simde_vld1q_f32
#define VF_STORE simde_vst1q_f32
#define VF_SET1 simde_vdupq_n_f32
#define VF_ADD simde_vaddq_f32
#define VF_SUB simde_vsubq_f32
#define VF_MUL simde_vmulq_f32
#define VF_AS_U simde_vreinterpretq_u32_f32
#define VU_AS_F simde_vreinterpretq_f32_u32
#define VF_KEEP(m, s) simde_vreinterpretq_f32_u32(simde_vandq_u32(m, simde_vreinterpretq_u32_f32(s)))
#define VF_SELECT simde_vbslq_f32
#define VF_ISNAN(v) simde_vmvnq_u32(simde_vceqq_f32(v, v))

#define VH_LOAD simde_vld1_u16
#define VH_STORE simde_vst1_u16
#define VH_WIDEN simde_vmovl_u16
#define VH_NARROW simde_vmovn_u32
/* Both f16 conversions are vector_rules.h's integer ones, exact in every floating-point
 * environment: fcvtl reads binary16 as FPCR.AHP says (alternative half precision: no Inf or NaN,
 * 0x7c00 a finite 65536), and fcvtn rounds by FPCR's mode; FPCR is the caller's (platform.c
 * hands it to the worker threads as it is), so with AHP set a native widening made 0x7e01 (a NaN)
 * an ordinary number and the results differed from scalar's. */

#define VD_LOAD simde_vld1q_f64
#define VD_STORE simde_vst1q_f64
#define VD_SET1 simde_vdupq_n_f64
#define VD_ADD simde_vaddq_f64
#define VD_MUL simde_vmulq_f64
#define M64_LO(m) simde_vreinterpretq_u64_s64(simde_vmovl_s32(simde_vget_low_s32(simde_vreinterpretq_s32_u32(m))))
#define M64_HI(m) simde_vreinterpretq_u64_s64(simde_vmovl_s32(simde_vget_high_s32(simde_vreinterpretq_s32_u32(m))))
#define VD_KEEP(m, s) simde_vreinterpretq_f64_u64(simde_vandq_u64(m, simde_vreinterpretq_u64_f64(s)))
#define VD_SELECT simde_vbslq_f64
#define VD_ISNAN(v) simde_vreinterpretq_u64_u32(simde_vmvnq_u32(simde_vreinterpretq_u32_u64(simde_vceqq_f64(v, v))))

/* No non-temporal primitives, so the template's default: plain stores (NEON has no non-temporal
 * store worth the name for this pattern). */

#include "template/simd_template.h"
