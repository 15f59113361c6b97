/* x86/avx2.c: AVX2 (+F16C) primitives for simd_template.h: 8 lanes, a round in two registers. */
#include <simde/x86/avx2.h>
#include <simde/x86/f16c.h>

#if !defined(SIMDROP_EMULATED) && !(defined(SIMDE_X86_AVX2_NATIVE) && defined(SIMDE_X86_F16C_NATIVE))
#error "x86/avx2.c needs -mavx2 -mf16c, or SIMDROP_EMULATED for the SIMDe build"
#endif

#define SIMDROP_W 8
#ifndef SIMDROP_EMULATED
#define SIMDROP_SEED_IN_PATH 1 /* table.h: a block's seeding 23 ns with AVX2, 40 at the baseline */
#endif

typedef simde__m256i vu32;
typedef simde__m256 vf32;
typedef simde__m256i vmask; /* all-ones in kept lanes */
typedef simde__m256i vbits;
typedef simde__m128i vh16;
typedef simde__m256d vf64;
typedef simde__m256i vmask64;

#define V_LOAD(p) simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p))
#define V_STORE(p, v) simde_mm256_storeu_si256((simde__m256i *)(void *)(p), v)
#define V_SET1(u) simde_mm256_set1_epi32((int32_t)(u))
#define V_ADD simde_mm256_add_epi32
#define V_SUB simde_mm256_sub_epi32
#define V_AND simde_mm256_and_si256
#define V_OR simde_mm256_or_si256
#define V_XOR simde_mm256_xor_si256
#define V_SHL(v, k) simde_mm256_slli_epi32(v, k)
#define V_SHR(v, k) simde_mm256_srli_epi32(v, k)
#define V_GT simde_mm256_cmpgt_epi32
#define V_BLEND(m, a, b) simde_mm256_blendv_epi8(b, a, m)
#define SIMDROP_SIGNED_GT 1 /* AVX2 compares only signed ">": the template's keep decisions */
/* Signed saturating packs turn all-ones/zero lanes into all-ones/zero bytes, but within each
 * 128-bit half, so the bytes come out as dwords (4 elements each) in the order 0 2 4 6 1 3 5 7;
 * one cross-lane permute restores element order for a single byte movemask. */
static inline uint32_t avx2_word(const vmask m[4])
{
    const simde__m256i bytes = simde_mm256_packs_epi16(simde_mm256_packs_epi32(m[0], m[1]),
                                                       simde_mm256_packs_epi32(m[2], m[3]));
    const simde__m256i order = simde_mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    return (uint32_t)simde_mm256_movemask_epi8(simde_mm256_permutevar8x32_epi32(bytes, order));
}
#define V_WORD(m) avx2_word(m)
#define V_BITS_PREP(w) simde_mm256_set1_epi32((int32_t)(w))
#define V_BITS(b, g) simde_mm256_cmpeq_epi32(simde_mm256_and_si256(b, LANE_BITS(g)), LANE_BITS(g))

#define VF_LOAD simde_mm256_loadu_ps
#define VF_STORE simde_mm256_storeu_ps
#define VF_STORE_NT simde_mm256_stream_ps
#define VF_SET1 simde_mm256_set1_ps
#define VF_ADD simde_mm256_add_ps
#define VF_SUB simde_mm256_sub_ps
#define VF_MUL simde_mm256_mul_ps
#define VF_AS_U simde_mm256_castps_si256
#define VU_AS_F simde_mm256_castsi256_ps
#define VF_KEEP(m, s) simde_mm256_and_ps(simde_mm256_castsi256_ps(m), s)
#define VF_SELECT(m, a, b) simde_mm256_blendv_ps(b, a, simde_mm256_castsi256_ps(m))
#define VF_ISNAN(v) simde_mm256_castps_si256(simde_mm256_cmp_ps(v, v, SIMDE_CMP_UNORD_Q))

#define VH_LOAD(p) simde_mm_loadu_si128((const simde__m128i *)(const void *)(p))
#define VH_STORE(p, h) simde_mm_storeu_si128((simde__m128i *)(void *)(p), h)
#define VH_STORE_NT(p, h) simde_mm_stream_si128((simde__m128i *)(void *)(p), h)
#define VH_WIDEN simde_mm256_cvtepu16_epi32
/* packus works within 128-bit halves: lanes 0-3 and 4-7 land in the two low quadwords. */
#define VH_NARROW(u) simde_mm256_castsi256_si128(simde_mm256_permute4x64_epi64(simde_mm256_packus_epi32(u, u), 0x08))
/* Pairs of groups to bfloat16 (vector_rules.h): the top halves sign-extended pass a signed pack
 * unchanged, which leaves a's and b's quarters interleaved by 128-bit half; one quadword permute
 * puts them in order. */
#define V_PACK_TOPS(a, b)                                                                  \
    simde_mm256_permute4x64_epi64(simde_mm256_packs_epi32(simde_mm256_srai_epi32(a, 16),   \
                                                          simde_mm256_srai_epi32(b, 16)),  \
                                  0xd8)
#define V_ANY(m) (simde_mm256_movemask_epi8(m) != 0)
#define VH2_STORE V_STORE
#define VH2_STORE_NT(p, h) simde_mm256_stream_si256((simde__m256i *)(void *)(p), h)
#ifndef SIMDROP_EMULATED /* SIMDe's portable conversion drops NaN payloads: the template's is exact */
#define VF_FROM_F16(h) _mm256_cvtph_ps(h)
#define VH_FROM_F32_F16(v) _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)
#endif

#define VD_LOAD simde_mm256_loadu_pd
#define VD_STORE simde_mm256_storeu_pd
#define VD_STORE_NT simde_mm256_stream_pd
#define VD_SET1 simde_mm256_set1_pd
#define VD_ADD simde_mm256_add_pd
#define VD_MUL simde_mm256_mul_pd
#define M64_LO(m) simde_mm256_cvtepi32_epi64(simde_mm256_castsi256_si128(m))
#define M64_HI(m) simde_mm256_cvtepi32_epi64(simde_mm256_extracti128_si256(m, 1))
#define VD_KEEP(m, s) simde_mm256_and_pd(simde_mm256_castsi256_pd(m), s)
#define VD_SELECT(m, a, b) simde_mm256_blendv_pd(b, a, simde_mm256_castsi256_pd(m))
#define VD_ISNAN(v) simde_mm256_castpd_si256(simde_mm256_cmp_pd(v, v, SIMDE_CMP_UNORD_Q))

#define V_FENCE() simde_mm_sfence()
#define V_STREAM32(p, w) simde_mm_stream_si32((int32_t *)(void *)(p), (int32_t)(w))

#include "template/simd_template.h"
