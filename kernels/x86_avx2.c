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
typedef simde__m256i vmask; /* all-ones in DROPPED lanes: AVX2 compares only signed ">" */
typedef simde__m256i vbits;

#define V_LOAD(p) simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p))
#define V_STORE(p, v) simde_mm256_storeu_si256((simde__m256i *)(void *)(p), v)
#define V_SET1(u) simde_mm256_set1_epi32((int32_t)(u))
#define VF_SET1(f) simde_mm256_set1_ps(f)
#define V_ADD simde_mm256_add_epi32
#define V_XOR simde_mm256_xor_si256
#define V_SHL(v, k) simde_mm256_slli_epi32(v, k)
#define V_ROTL(v, k) simde_mm256_or_si256(simde_mm256_slli_epi32(v, k), simde_mm256_srli_epi32(v, 32 - (k)))
/* Both sides lie in [0, 65536], so the signed compare is exact; it yields T > bits, i.e. drop. */
#define V_CMP_LO(v, t) simde_mm256_cmpgt_epi32(t, simde_mm256_and_si256(v, simde_mm256_set1_epi32(0xffff)))
#define V_CMP_HI(v, t) simde_mm256_cmpgt_epi32(t, simde_mm256_srli_epi32(v, 16))
#define FACTOR(m, s) simde_mm256_andnot_ps(simde_mm256_castsi256_ps(m), s)
#define V_APPLY(y, x, m, s) simde_mm256_storeu_ps(y, simde_mm256_mul_ps(simde_mm256_loadu_ps(x), FACTOR(m, s)))
#define V_APPLY_NT(y, x, m, s) simde_mm256_stream_ps(y, simde_mm256_mul_ps(simde_mm256_loadu_ps(x), FACTOR(m, s)))
#define V_FENCE() simde_mm_sfence()
#define SIMDROP_HAS_NT 1
#define V_GROUP_BITS(m) simde_mm256_movemask_ps(simde_mm256_castsi256_ps(m))
#define V_GROUP_BITS_XOR 0xffffffffu
#define V_BITS_PREP(w) simde_mm256_set1_epi32((int32_t)(w))
#define V_BITS(b, g) simde_mm256_cmpeq_epi32(simde_mm256_and_si256(b, LANE_BITS(g)), simde_mm256_setzero_si256())

#include "simd_template.h"
