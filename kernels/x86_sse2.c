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
typedef simde__m128i vmask; /* all-ones in DROPPED lanes: SSE2 compares only signed ">" */
typedef simde__m128i vbits;

#define V_LOAD(p) simde_mm_loadu_si128((const simde__m128i *)(const void *)(p))
#define V_STORE(p, v) simde_mm_storeu_si128((simde__m128i *)(void *)(p), v)
#define V_SET1(u) simde_mm_set1_epi32((int32_t)(u))
#define VF_SET1(f) simde_mm_set1_ps(f)
#define V_ADD simde_mm_add_epi32
#define V_XOR simde_mm_xor_si128
#define V_SHL(v, k) simde_mm_slli_epi32(v, k)
#define V_ROTL(v, k) simde_mm_or_si128(simde_mm_slli_epi32(v, k), simde_mm_srli_epi32(v, 32 - (k)))
/* Both sides lie in [0, 65536], so the signed compare is exact; it yields T > bits, i.e. drop. */
#define V_CMP_LO(v, t) simde_mm_cmpgt_epi32(t, simde_mm_and_si128(v, simde_mm_set1_epi32(0xffff)))
#define V_CMP_HI(v, t) simde_mm_cmpgt_epi32(t, simde_mm_srli_epi32(v, 16))
#define FACTOR(m, s) simde_mm_andnot_ps(simde_mm_castsi128_ps(m), s)
#define V_APPLY(y, x, m, s) simde_mm_storeu_ps(y, simde_mm_mul_ps(simde_mm_loadu_ps(x), FACTOR(m, s)))
#define V_APPLY_NT(y, x, m, s) simde_mm_stream_ps(y, simde_mm_mul_ps(simde_mm_loadu_ps(x), FACTOR(m, s)))
#define V_FENCE() simde_mm_sfence()
#define SIMDROP_HAS_NT 1
#define V_GROUP_BITS(m) simde_mm_movemask_ps(simde_mm_castsi128_ps(m))
#define V_GROUP_BITS_XOR 0xffffffffu
#define V_BITS_PREP(w) simde_mm_set1_epi32((int32_t)(w))
#define V_BITS(b, g) simde_mm_cmpeq_epi32(simde_mm_and_si128(b, LANE_BITS(g)), simde_mm_setzero_si128())

#include "simd_template.h"
