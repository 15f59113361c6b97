/* x86/sse2.c: SSE2 primitives for simd_template.h: 4 lanes, the x86-64 baseline. */
#include <simde/x86/sse2.h>
#include <simde/x86/sse4.1.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_X86_SSE2_NATIVE)
#error "x86/sse2.c needs SSE2, or SIMDROP_EMULATED for the SIMDe build"
#endif

#define SIMDROP_W 4

typedef simde__m128i vu32;
typedef simde__m128 vf32;
typedef simde__m128i vmask; /* all-ones in kept lanes */
typedef simde__m128i vbits;
typedef simde__m128i vh16; /* four halves in the low quadword */
typedef simde__m128d vf64;
typedef simde__m128i vmask64;

#define V_LOAD(p) simde_mm_loadu_si128((const simde__m128i *)(const void *)(p))
#define V_STORE(p, v) simde_mm_storeu_si128((simde__m128i *)(void *)(p), v)
#define V_SET1(u) simde_mm_set1_epi32((int32_t)(u))
#define V_ADD simde_mm_add_epi32
#define V_SUB simde_mm_sub_epi32
#define V_AND simde_mm_and_si128
#define V_OR simde_mm_or_si128
#define V_XOR simde_mm_xor_si128
#define V_SHL(v, k) simde_mm_slli_epi32(v, k)
#define V_SHR(v, k) simde_mm_srli_epi32(v, k)
#define V_GT simde_mm_cmpgt_epi32
#define V_BLEND(m, a, b) simde_mm_or_si128(simde_mm_and_si128(m, a), simde_mm_andnot_si128(m, b))
#define SIMDROP_SIGNED_GT 1 /* SSE2 compares only signed ">": the template's keep decisions */
/* Signed saturating packs turn all-ones/zero lanes into all-ones/zero bytes, in element order,
 * so one byte movemask per 16 elements replaces a movemask, shift and or per 4. */
static inline uint32_t sse2_word(const vmask m[8])
{
    const simde__m128i lo = simde_mm_packs_epi16(simde_mm_packs_epi32(m[0], m[1]), simde_mm_packs_epi32(m[2], m[3]));
    const simde__m128i hi = simde_mm_packs_epi16(simde_mm_packs_epi32(m[4], m[5]), simde_mm_packs_epi32(m[6], m[7]));
    return (uint32_t)simde_mm_movemask_epi8(lo) | (uint32_t)simde_mm_movemask_epi8(hi) << 16;
}
#define V_WORD(m) sse2_word(m)
#define V_BITS_PREP(w) simde_mm_set1_epi32((int32_t)(w))
#define V_BITS(b, g) simde_mm_cmpeq_epi32(simde_mm_and_si128(b, LANE_BITS(g)), LANE_BITS(g))

#define VF_LOAD simde_mm_loadu_ps
#define VF_STORE simde_mm_storeu_ps
#define VF_STORE_NT simde_mm_stream_ps
#define VF_SET1 simde_mm_set1_ps
#define VF_ADD simde_mm_add_ps
#define VF_SUB simde_mm_sub_ps
#define VF_MUL simde_mm_mul_ps
#define VF_AS_U simde_mm_castps_si128
#define VU_AS_F simde_mm_castsi128_ps
#define VF_KEEP(m, s) simde_mm_and_ps(simde_mm_castsi128_ps(m), s)
#define VF_SELECT(m, a, b) simde_mm_castsi128_ps(V_BLEND(m, simde_mm_castps_si128(a), simde_mm_castps_si128(b)))
#define VF_ISNAN(v) simde_mm_castps_si128(simde_mm_cmpunord_ps(v, v))

#define VH_LOAD(p) simde_mm_loadl_epi64((const simde__m128i *)(const void *)(p))
#define VH_STORE(p, h) simde_mm_storel_epi64((simde__m128i *)(void *)(p), h)
#define VH_STORE_NT VH_STORE /* 8-byte stores: no non-temporal form worth having */
#ifdef SIMDROP_EMULATED
/* Interleaving with zeros widens on x86, whose lanes are little-endian by definition; SIMDe on a
 * big-endian host reads the interleaved 16-bit lanes back as 32-bit ones in host order (its
 * casts between lane widths are memcpys), so its twin widens lane by lane. */
#define VH_WIDEN simde_mm_cvtepu16_epi32
#else
#define VH_WIDEN(h) simde_mm_unpacklo_epi16(h, simde_mm_setzero_si128())
#endif
/* SSE2 packs only with signed saturation: sign-extend the low halves first so they pass unchanged. */
#define VH_NARROW(u) simde_mm_packs_epi32(simde_mm_srai_epi32(simde_mm_slli_epi32(u, 16), 16), simde_mm_setzero_si128())
/* Pairs of groups to bfloat16 (vector_rules.h): the top halves, sign-extended, in one signed pack. */
#define V_PACK_TOPS(a, b) simde_mm_packs_epi32(simde_mm_srai_epi32(a, 16), simde_mm_srai_epi32(b, 16))
#define V_ANY(m) (simde_mm_movemask_epi8(m) != 0)
#define VH2_STORE V_STORE
#define VH2_STORE_NT(p, h) simde_mm_stream_si128((simde__m128i *)(void *)(p), h)

#define VD_LOAD simde_mm_loadu_pd
#define VD_STORE simde_mm_storeu_pd
#define VD_STORE_NT simde_mm_stream_pd
#define VD_SET1 simde_mm_set1_pd
#define VD_ADD simde_mm_add_pd
#define VD_MUL simde_mm_mul_pd
#define M64_LO(m) simde_mm_unpacklo_epi32(m, m)
#define M64_HI(m) simde_mm_unpackhi_epi32(m, m)
#define VD_KEEP(m, s) simde_mm_and_pd(simde_mm_castsi128_pd(m), s)
#define VD_SELECT(m, a, b) simde_mm_castsi128_pd(V_BLEND(m, simde_mm_castpd_si128(a), simde_mm_castpd_si128(b)))
#define VD_ISNAN(v) simde_mm_castpd_si128(simde_mm_cmpunord_pd(v, v))

#define V_FENCE() simde_mm_sfence()
#define V_STREAM32(p, w) simde_mm_stream_si32((int32_t *)(void *)(p), (int32_t)(w))

#include "template/simd_template.h"
