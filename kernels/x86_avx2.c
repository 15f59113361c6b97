/* x86_avx2.c: AVX2 primitives for simd_template.h: 8 lanes, a round in two registers. */
#include <simde/x86/avx2.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_X86_AVX2_NATIVE)
#error "x86_avx2.c needs -mavx2, or SIMDROP_EMULATED for the SIMDe build"
#endif

#define SIMDROP_ISA_ID avx2
#define SIMDROP_ISA_NAME "avx2"
#define SIMDROP_W 8

typedef simde__m256i vu32;
typedef simde__m256 vf32;
typedef simde__m256i vmask; /* all-ones in kept lanes */
typedef simde__m256i vbits;

#define V_LOAD(p) simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p))
#define V_STORE(p, v) simde_mm256_storeu_si256((simde__m256i *)(void *)(p), v)
#define V_SET1(u) simde_mm256_set1_epi32((int32_t)(u))
#define VF_SET1(f) simde_mm256_set1_ps(f)
#define V_ADD simde_mm256_add_epi32
#define V_XOR simde_mm256_xor_si256
#define V_SHL(v, k) simde_mm256_slli_epi32(v, k)
#define V_ROTL(v, k) simde_mm256_or_si256(simde_mm256_slli_epi32(v, k), simde_mm256_srli_epi32(v, 32 - (k)))
/* AVX2 compares only signed ">": bits >= T is bits > T - 1, exact because both
 * sides lie in [-1, 65535] (T = 0 wraps to -1: keep all; T = 65536 gives 65535: keep none). */
#define V_THRESHOLD(t) simde_mm256_set1_epi32((int32_t)((t) - 1))
#define V_CMP_LO(v, t) simde_mm256_cmpgt_epi32(simde_mm256_and_si256(v, simde_mm256_set1_epi32(0xffff)), t)
#define V_CMP_HI(v, t) simde_mm256_cmpgt_epi32(simde_mm256_srli_epi32(v, 16), t)
#define FACTOR(m, s) simde_mm256_and_ps(simde_mm256_castsi256_ps(m), s)
#define V_APPLY(y, x, m, s) simde_mm256_storeu_ps(y, simde_mm256_mul_ps(simde_mm256_loadu_ps(x), FACTOR(m, s)))
#define V_APPLY_NT(y, x, m, s) simde_mm256_stream_ps(y, simde_mm256_mul_ps(simde_mm256_loadu_ps(x), FACTOR(m, s)))
#define V_FENCE() simde_mm_sfence()
#define SIMDROP_HAS_NT 1
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

#include "simd_template.h"
