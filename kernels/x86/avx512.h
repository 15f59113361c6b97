/* x86/avx512.h: AVX-512 F/BW/VL primitives for simd_template.h: 16 lanes, a round per register; the avx512 and avx512bf16 paths include it. */
#ifndef SIMDROP_X86_AVX512_H
#define SIMDROP_X86_AVX512_H

#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_X86_AVX512F_NATIVE)
#error "x86/avx512.h needs -mavx512f -mavx512bw -mavx512vl, or SIMDROP_EMULATED for SIMDe"
#endif

#define SIMDROP_W 16
#ifndef SIMDROP_EMULATED
#define SIMDROP_SEED_IN_PATH 1 /* table.h: a block's seeding 5-10 ns with AVX-512, 40 at the baseline */
#endif
/* A round is one register per state word, so one run's rounds wait on each other's two-deep xor
 * and rotate chain: gen2 interleaves two runs (simd_template.h). */
#define SIMDROP_STREAMS 2
/* The generating loops prefetch an output they store normally (simd_template.h's prefetch():
 * f32 forward with mask 1.4x in cache on the Intel Xeon VM). */
#define SIMDROP_PREFETCH_OUT 1

typedef simde__m512i vu32;
typedef simde__m512 vf32;
typedef simde__mmask16 vmask; /* a keep bit per lane: unsigned compares go straight to k-registers */
typedef uint32_t vbits;
typedef simde__m256i vh16;
typedef simde__m512d vf64;
typedef simde__mmask8 vmask64;

#define V_LOAD(p) simde_mm512_loadu_si512((const void *)(p))
#define V_STORE(p, v) simde_mm512_storeu_si512((void *)(p), v)
#define V_SET1(u) simde_mm512_set1_epi32((int32_t)(u))
#define V_ADD simde_mm512_add_epi32
#define V_SUB simde_mm512_sub_epi32
#define V_AND simde_mm512_and_si512
#define V_OR simde_mm512_or_si512
#define V_XOR simde_mm512_xor_si512
#define V_SHL(v, k) simde_mm512_slli_epi32(v, k)
#define V_SHR(v, k) simde_mm512_srli_epi32(v, k)
#define V_ROTL(v, k) simde_mm512_rol_epi32(v, k)
#define V_XOR3(a, b, c) simde_mm512_ternarylogic_epi32(a, b, c, 0x96) /* 0x96: a ^ b ^ c */
#define V_GT simde_mm512_cmpgt_epi32_mask
#define V_BLEND(m, a, b) simde_mm512_mask_mov_epi32(b, m, a)
/* The keep decisions compare whole lanes with T << 16: a high half is >= T iff its lane is >= T << 16
 * (one compare, no shift), a low half iff the lane shifted up by 16 is. T = 65536 (p = 1) does not
 * fit: its compares are masked off (`live` = 0), which also makes them no-ops that drop every
 * element, and for T = 0 every lane is >= 0. One operation a round fewer than shifting the high
 * halves down and masking the low ones (18 to 17 in the f32 forward with mask). */
typedef struct {
    simde__m512i t16;   /* T << 16 */
    simde__mmask16 live; /* every lane, or none for T = 65536 */
} vthresh;
#define SIMDROP_VTHRESH 1
#define V_THRESHOLD(t) ((vthresh){simde_mm512_set1_epi32((int32_t)((uint32_t)(t) << 16)), \
                                  (simde__mmask16)((t) < 65536u ? 0xffffu : 0u)})
#define V_CMP_LO(v, t) simde_mm512_mask_cmpge_epu32_mask((t).live, simde_mm512_slli_epi32(v, 16), (t).t16)
#define V_CMP_HI(v, t) simde_mm512_mask_cmpge_epu32_mask((t).live, v, (t).t16)
#ifdef SIMDE_X86_AVX512BW_NATIVE
/* The word from the k-registers (kunpckwd, kmovd). Not the two masks moved to general registers,
 * shifted and or-ed: with two runs in the loop (SIMDROP_STREAMS), gcc 12 spilled the masks with
 * 16-bit kmovw stores and read them back with 32-bit loads, so the word's top half took stack
 * garbage (checkasm's gen2 test caught it). */
#define V_WORD(m) _cvtmask32_u32(_mm512_kunpackw((m)[1], (m)[0]))
#else
#define V_WORD(m) ((uint32_t)(m)[0] | (uint32_t)(m)[1] << 16)
#endif
#define V_BITS_PREP(w) (w)
#define V_BITS(b, g) ((simde__mmask16)((b) >> (16 * (g))))

#define VF_LOAD simde_mm512_loadu_ps
#define VF_STORE simde_mm512_storeu_ps
#define VF_SET1 simde_mm512_set1_ps
#define VF_ADD simde_mm512_add_ps
#define VF_SUB simde_mm512_sub_ps
#define VF_MUL simde_mm512_mul_ps
#define VF_AS_U simde_mm512_castps_si512
#define VU_AS_F simde_mm512_castsi512_ps
/* maskz_mov builds the factor (s or +0.0f); a masked multiply would give 0 for a dropped NaN. */
#define VF_KEEP(m, s) simde_mm512_maskz_mov_ps(m, s)
#define VF_SELECT(m, a, b) simde_mm512_mask_mov_ps(b, m, a)
#define VF_ISNAN(v) simde_mm512_cmp_ps_mask(v, v, SIMDE_CMP_UNORD_Q)

#define VH_LOAD(p) simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p))
#define VH_STORE(p, h) simde_mm256_storeu_si256((simde__m256i *)(void *)(p), h)

#define VD_LOAD simde_mm512_loadu_pd
#define VD_STORE simde_mm512_storeu_pd
#define VD_SET1 simde_mm512_set1_pd
#define VD_ADD simde_mm512_add_pd
#define VD_MUL simde_mm512_mul_pd
#define M64_LO(m) ((simde__mmask8)(m))
#define M64_HI(m) ((simde__mmask8)((m) >> 8))
#define VD_KEEP(m, s) simde_mm512_maskz_mov_pd(m, s)
#define VD_SELECT(m, a, b) simde_mm512_mask_mov_pd(b, m, a)
#define VD_ISNAN(v) simde_mm512_cmp_pd_mask(v, v, SIMDE_CMP_UNORD_Q)

#ifdef SIMDE_X86_AVX512F_NATIVE /* SIMDe 0.7 lacks these: non-temporal stores, 16-bit widening */
#define VH_WIDEN _mm512_cvtepu16_epi32
#define VH_NARROW _mm512_cvtepi32_epi16
#define VF_STORE_NT(p, v) _mm512_stream_ps(p, v)
#define VD_STORE_NT(p, v) _mm512_stream_pd(p, v)
#define VH_STORE_NT(p, h) _mm256_stream_si256((__m256i *)(void *)(p), h)
#define V_STREAM32(p, w) simde_mm_stream_si32((int32_t *)(void *)(p), (int32_t)(w))
#define V_FENCE() simde_mm_sfence()
/* SIMDe's portable conversion drops NaN payloads; the native one is exact like the template's.
 * AVX512-FP16's vcvtph2psx and vcvtps2phx do the same conversions at the same cost, so no path
 * asks for them: on the Intel Xeon VM of model 167, eight independent zmm conversions a loop
 * iteration, one pinned core, each of the four took 0.31-0.33 ns (about one a cycle), against
 * 0.144 ns for a vpaddd (two a cycle). */
#define VF_FROM_F16(h) _mm512_cvtph_ps(h)
#define VH_FROM_F32_F16(v) _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)
#else /* the same from two 256-bit halves, and no non-temporal stores (the template's default) */
static inline vu32 avx512_widen(vh16 h)
{
    const simde__m256i lo = simde_mm256_cvtepu16_epi32(simde_mm256_castsi256_si128(h));
    const simde__m256i hi = simde_mm256_cvtepu16_epi32(simde_mm256_extracti128_si256(h, 1));
    return simde_mm512_inserti64x4(simde_mm512_castsi256_si512(lo), hi, 1);
}
static inline simde__m128i avx512_narrow_half(simde__m256i u)
{
    return simde_mm256_castsi256_si128(simde_mm256_permute4x64_epi64(simde_mm256_packus_epi32(u, u), 0x08));
}
static inline vh16 avx512_narrow(vu32 u)
{
    const simde__m128i lo = avx512_narrow_half(simde_mm512_extracti64x4_epi64(u, 0));
    const simde__m128i hi = avx512_narrow_half(simde_mm512_extracti64x4_epi64(u, 1));
    return simde_mm256_inserti128_si256(simde_mm256_castsi128_si256(lo), hi, 1);
}
#define VH_WIDEN avx512_widen
#define VH_NARROW avx512_narrow
#endif

/* bfloat16 in fewer operations than the template's generic version (the generation and value
 * stage keep ports 0 and 5 busy, so every operation counts). Widening: one masked word permute
 * moves half i into the top of lane i and zeroes the bottom. Rounding, exact for every float
 * (MASK_SPEC.md 4.2): NaN lanes first get their low half cleared and the quiet bit set (one
 * masked ternary-logic operation), so the rounding addition cannot carry into their exponent and
 * they come out as the spec's (u >> 16) | 0x40; then u + 0x7fff + lsb, and a word permute picks
 * the top halves, instead of a shift and a narrowing move. The permutes treat half 2i+1 as the
 * top of 32-bit lane i, which is x86's little-endian lane layout; SIMDe on a big-endian host
 * (s390x) lays lanes out in host order, so there the widening is the template's and the rounding
 * ends in a shift and a narrowing move. avx512bf16.c uses the rounding for the lanes its
 * instruction gets wrong. The permute indices are tables loaded as vectors: gcc 12 built SIMDe's
 * _mm512_set_epi16 a word at a time with masked broadcasts (over 600 instructions in one kernel),
 * which cost the fused bf16 op 7% in cache (Intel Xeon VM). */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline __attribute__((always_inline)) vf32 avx512_from_bf16(vh16 h)
{
    static const uint16_t top_index[32] = {0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7,
                                           0, 8, 0, 9, 0, 10, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15};
    const simde__m512i top = simde_mm512_loadu_si512(top_index);
    return simde_mm512_castsi512_ps(simde_mm512_maskz_permutexvar_epi16(0xaaaaaaaau, top, simde_mm512_castsi256_si512(h)));
}
#define VF_FROM_BF16 avx512_from_bf16

/* A pair of groups (32 values, one 64-byte load) in three shuffles rather than two of those word
 * permutes: a quadword permute puts quarters i and 4 + i of the values in 128-bit lane i, then
 * the word unpacks with zero, which work within lanes, put the low quarters (elements 0-15) and
 * the high ones (16-31) into the top halves of two registers' lanes, in order. On the Intel Xeon
 * VM of model 167 a zmm vpermw takes both vector ports for a cycle (one a cycle alone, and it
 * halved the rate of any operation paired with it), vpermq and the unpacks the shuffle port
 * only. There, one pinned core, 64K elements: gen2_SCALE_bf16 0.133 -> 0.125 ns an element
 * (checkasm --bench), bf16 forward with mask 7.2 -> 7.6 Gelem/s, the fused bf16 op 5.5 -> 5.8.
 * Not measured on AMD, where a vpermw may be one operation and the pair then one more. */
static inline __attribute__((always_inline)) void avx512_from_bf16_pair(const void *p, vf32 *lo, vf32 *hi)
{
    static const uint64_t quarters[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    const simde__m512i v = simde_mm512_permutexvar_epi64(simde_mm512_loadu_si512(quarters), simde_mm512_loadu_si512(p));
    *lo = simde_mm512_castsi512_ps(simde_mm512_unpacklo_epi16(simde_mm512_setzero_si512(), v));
    *hi = simde_mm512_castsi512_ps(simde_mm512_unpackhi_epi16(simde_mm512_setzero_si512(), v));
}
#define VF2_FROM_BF16(p, lo, hi) avx512_from_bf16_pair(p, &(lo), &(hi))
#endif

static inline __attribute__((always_inline)) vh16 avx512_to_bf16(vf32 v)
{
    simde__m512i u = simde_mm512_castps_si512(v);
    /* imm 0xea = (A & B) | C, with A = u (the source), B = 0xffff0000, C = the quiet bit
     * 0x00400000 (bit 4A + 2B + C of the immediate is the result for those bits) */
    u = simde_mm512_mask_ternarylogic_epi32(u, simde_mm512_cmp_ps_mask(v, v, SIMDE_CMP_UNORD_Q),
                                            simde_mm512_set1_epi32((int32_t)0xffff0000u),
                                            simde_mm512_set1_epi32(0x00400000), 0xea);
    const simde__m512i lsb = simde_mm512_and_si512(simde_mm512_srli_epi32(u, 16), simde_mm512_set1_epi32(1));
    u = simde_mm512_add_epi32(simde_mm512_add_epi32(u, simde_mm512_set1_epi32(0x7fff)), lsb);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    static const uint16_t odd_index[32] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
                                           1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
    const simde__m512i odd = simde_mm512_loadu_si512(odd_index);
    return simde_mm512_castsi512_si256(simde_mm512_permutexvar_epi16(odd, u));
#else
    return VH_NARROW(simde_mm512_srli_epi32(u, 16));
#endif
}
#ifndef VH_FROM_F32_BF16 /* avx512bf16.c has its own */
#define VH_FROM_F32_BF16 avx512_to_bf16
#endif

#endif /* SIMDROP_X86_AVX512_H */
