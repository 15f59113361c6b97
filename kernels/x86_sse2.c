/* x86_sse2.c: SSE2 primitives for simd_template.h: 4 lanes, the x86-64 baseline. */
#include <simde/x86/sse2.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_X86_SSE2_NATIVE)
#error "x86_sse2.c needs SSE2, or SIMDROP_EMULATED for the SIMDe build"
#endif

#define SIMDROP_ISA_ID sse2
#define SIMDROP_ISA_NAME "sse2"
#define SIMDROP_W 4

typedef simde__m128i vu32;
typedef simde__m128 vf32;
typedef simde__m128i vmask; /* all-ones in kept lanes */
typedef simde__m128i vbits;

#define V_LOAD(p) simde_mm_loadu_si128((const simde__m128i *)(const void *)(p))
#define V_STORE(p, v) simde_mm_storeu_si128((simde__m128i *)(void *)(p), v)
#define V_SET1(u) simde_mm_set1_epi32((int32_t)(u))
#define VF_SET1(f) simde_mm_set1_ps(f)
#define V_ADD simde_mm_add_epi32
#define V_XOR simde_mm_xor_si128
#define V_SHL(v, k) simde_mm_slli_epi32(v, k)
#define V_ROTL(v, k) simde_mm_or_si128(simde_mm_slli_epi32(v, k), simde_mm_srli_epi32(v, 32 - (k)))
/* SSE2 compares only signed ">": bits >= T is bits > T - 1, exact because both
 * sides lie in [-1, 65535] (T = 0 wraps to -1: keep all; T = 65536 gives 65535: keep none). */
#define V_THRESHOLD(t) simde_mm_set1_epi32((int32_t)((t) - 1))
#define V_CMP_LO(v, t) simde_mm_cmpgt_epi32(simde_mm_and_si128(v, simde_mm_set1_epi32(0xffff)), t)
#define V_CMP_HI(v, t) simde_mm_cmpgt_epi32(simde_mm_srli_epi32(v, 16), t)
#define FACTOR(m, s) simde_mm_and_ps(simde_mm_castsi128_ps(m), s)
#define V_APPLY(y, x, m, s) simde_mm_storeu_ps(y, simde_mm_mul_ps(simde_mm_loadu_ps(x), FACTOR(m, s)))
#define V_APPLY_NT(y, x, m, s) simde_mm_stream_ps(y, simde_mm_mul_ps(simde_mm_loadu_ps(x), FACTOR(m, s)))
#define V_FENCE() simde_mm_sfence()
#define SIMDROP_HAS_NT 1
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

#include "simd_template.h"
