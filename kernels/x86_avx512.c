/* x86_avx512.c: AVX-512 F/BW/VL primitives for simd_template.h: 16 lanes, a round per register. */
#include <simde/x86/avx512.h>

#if !defined(SIMDROP_EMULATED) && !defined(SIMDE_X86_AVX512F_NATIVE)
#error "x86_avx512.c needs -mavx512f -mavx512bw -mavx512vl, or SIMDROP_EMULATED for SIMDe"
#endif

#define SIMDROP_ISA_ID avx512
#define SIMDROP_ISA_NAME "avx512"
#define SIMDROP_W 16

typedef simde__m512i vu32;
typedef simde__m512 vf32;
typedef simde__mmask16 vmask; /* a keep bit per lane: unsigned compares go straight to k-registers */
typedef uint32_t vbits;

#define V_LOAD(p) simde_mm512_loadu_si512((const void *)(p))
#define V_STORE(p, v) simde_mm512_storeu_si512((void *)(p), v)
#define V_SET1(u) simde_mm512_set1_epi32((int32_t)(u))
#define VF_SET1(f) simde_mm512_set1_ps(f)
#define V_ADD simde_mm512_add_epi32
#define V_XOR simde_mm512_xor_si512
#define V_SHL(v, k) simde_mm512_slli_epi32(v, k)
#define V_ROTL(v, k) simde_mm512_rol_epi32(v, k)
#define V_THRESHOLD(t) simde_mm512_set1_epi32((int32_t)(t))
#define V_CMP_LO(v, t) simde_mm512_cmpge_epu32_mask(simde_mm512_and_si512(v, simde_mm512_set1_epi32(0xffff)), t)
#define V_CMP_HI(v, t) simde_mm512_cmpge_epu32_mask(simde_mm512_srli_epi32(v, 16), t)
/* maskz_mov builds the factor (s or +0.0f); a masked multiply would give 0 for a dropped NaN. */
#define FACTOR(m, s) simde_mm512_maskz_mov_ps(m, s)
#define V_APPLY(y, x, m, s) simde_mm512_storeu_ps(y, simde_mm512_mul_ps(simde_mm512_loadu_ps(x), FACTOR(m, s)))
#ifdef SIMDE_X86_AVX512F_NATIVE /* SIMDe has no portable stream_ps for 512 bits */
#define V_APPLY_NT(y, x, m, s) _mm512_stream_ps(y, simde_mm512_mul_ps(simde_mm512_loadu_ps(x), FACTOR(m, s)))
#define SIMDROP_HAS_NT 1
#else
#define V_APPLY_NT V_APPLY
#define SIMDROP_HAS_NT 0
#endif
#define V_FENCE() simde_mm_sfence()
#define V_WORD(m) ((uint32_t)(m)[0] | (uint32_t)(m)[1] << 16)
#define V_BITS_PREP(w) (w)
#define V_BITS(b, g) ((simde__mmask16)((b) >> (16 * (g))))

#include "simd_template.h"
