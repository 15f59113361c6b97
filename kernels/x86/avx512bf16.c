/* x86/avx512bf16.c: the avx512 path with AVX512-BF16's float-to-bfloat16 rounding (vcvtne2ps2bf16), its denormal lanes fixed up. */
#define VH2_FROM_F32_BF16 avx512bf16_round_pair /* below; the rest is avx512's */
#define VH2_FROM_F32_BF16_NAN avx512bf16_round_pair_nan
#include "x86/avx512.h"

/* A path of its own (a row of the kernel table, ranked above avx512), not a run-time choice
 * inside avx512: the dispatcher then picks it like any path from the CPU's features, the tests
 * force it and avx512 on the same machine and compare both with scalar (checkasm, golden
 * values, the exhaustive conversion checks), SIMDROP_ISA and the benchmark name which rounding
 * ran, and the kernels carry no per-call flag. The cost is the avx512 kernels compiled twice;
 * everything but this rounding is avx512's, from x86/avx512.h. */
#if !defined(SIMDROP_EMULATED) && !(defined(SIMDE_X86_AVX512BF16_NATIVE) && defined(SIMDE_X86_AVX512DQ_NATIVE))
#error "x86/avx512bf16.c needs -mavx512bf16 -mavx512dq besides avx512's flags, or SIMDROP_EMULATED for SIMDe"
#endif

/* vcvtne2ps2bf16 rounds two groups (32 floats) in one instruction, for what vcvtneps2bf16 costs
 * for 16 (about one a cycle on the Zen 5 VM), to nearest even as MASK_SPEC.md 4.2 does, and
 * quiets NaNs to the spec's (u >> 16) | 0x40; but it reads denormal inputs as zero (Intel's
 * pseudo-code; on the Zen 5 VM every one of the 2^32 floats agrees with the spec except the
 * 16711678 denormals whose spec result is not zero). So a class test per group (vfpclassps,
 * denormal), and one test and branch per pair that data without denormals never takes, to
 * avx512.h's exact integer rounding of both groups. Measured on the Zen 5 VM (checkasm --bench,
 * 64K elements, ns per element, bf16 forward with mask / backward from the mask): integer
 * rounding 0.105 / 0.066; vcvtneps2bf16 a group with a branch-free fix-up (set bit 23 of zero-
 * exponent lanes, take 0x0080 off their results) 0.093 / 0.057; vcvtne2ps2bf16 with that fix-up
 * 0.079 / 0.062; vcvtne2ps2bf16 with the test and branch 0.069 / 0.047 (f32: 0.068 / 0.060).
 * The pair's test is one kortestw of the two class masks: or-ed as integers, gcc 12 moved both
 * to general registers first, two more operations on the port the arithmetic needs, and the
 * Intel Xeon VM's bf16 forward with mask at 64K ran 7.9 Gelem/s against 8.1 with kortestw
 * (backward 12.9 against 13.6; f32 forward 10.1). */
#ifdef SIMDROP_EMULATED
/* SIMDe 0.7 has no AVX512-BF16: the twin runs the instruction as the pseudo-code defines it (zero
 * and denormal inputs give a signed zero, the others the exact rounding) and tests for denormals
 * with AVX512F compares, so that every host runs the fix-up. The exhaustive checks compare the
 * real instruction and this twin with scalar on a machine that has AVX512-BF16. */
static inline vh16 avx512bf16_cvtne(vf32 v)
{
    const simde__m512i u = simde_mm512_castps_si512(v);
    const simde__mmask16 zero_exponent = simde_mm512_cmpeq_epi32_mask(
        simde_mm512_and_si512(u, simde_mm512_set1_epi32(0x7f800000)), simde_mm512_setzero_si512());
    const vh16 sign = VH_NARROW(simde_mm512_and_si512(simde_mm512_srli_epi32(u, 16), simde_mm512_set1_epi32(0x8000)));
    return simde_mm256_mask_mov_epi16(avx512_to_bf16(v), zero_exponent, sign);
}
#define AVX512BF16_CVTNE2(hi, lo)                                                          \
    simde_mm512_inserti64x4(simde_mm512_castsi256_si512(avx512bf16_cvtne(lo)), avx512bf16_cvtne(hi), 1)
#define AVX512BF16_DENORMAL(v) /* 0 < |v| < 2^-126: |u| - 1 <= 0x007ffffe, unsigned */     \
    simde_mm512_cmple_epu32_mask(                                                          \
        simde_mm512_sub_epi32(simde_mm512_and_si512(simde_mm512_castps_si512(v),           \
                                                    simde_mm512_set1_epi32(0x7fffffff)),   \
                              simde_mm512_set1_epi32(1)),                                  \
        simde_mm512_set1_epi32(0x007ffffe))
#define AVX512BF16_DENORMAL_OR_NAN(v) (AVX512BF16_DENORMAL(v) | simde_mm512_cmp_ps_mask(v, v, SIMDE_CMP_UNORD_Q))
#define AVX512BF16_ANY(a, b) (((a) | (b)) != 0)
#define VH2_STORE(p, h) simde_mm512_storeu_si512((void *)(p), h)
#else
#define AVX512BF16_CVTNE2(hi, lo) ((__m512i)_mm512_cvtne2ps_pbh(hi, lo))
#define AVX512BF16_DENORMAL(v) _mm512_fpclass_ps_mask(v, 0x20) /* imm 0x20: denormal */
#define AVX512BF16_DENORMAL_OR_NAN(v) _mm512_fpclass_ps_mask(v, 0xa1) /* and quiet, signalling NaN */
#define AVX512BF16_ANY(a, b) (!_kortestz_mask16_u8(a, b))
#define VH2_STORE(p, h) _mm512_storeu_si512((void *)(p), h)
#define VH2_STORE_NT(p, h) _mm512_stream_si512((void *)(p), h)
#endif

static inline __attribute__((always_inline)) simde__m512i avx512bf16_round_pair(vf32 lo, vf32 hi)
{
    if (__builtin_expect(AVX512BF16_ANY(AVX512BF16_DENORMAL(lo), AVX512BF16_DENORMAL(hi)), 0))
        return simde_mm512_inserti64x4(simde_mm512_castsi256_si512(avx512_to_bf16(lo)), avx512_to_bf16(hi), 1);
    return AVX512BF16_CVTNE2(hi, lo);
}

/* The same for the rules whose NaNs become the canonical nan: the class test takes NaNs too,
 * and a pair with one (as rare as denormals) is made canonical and rounded as above. The fast
 * path then has no NaN compare and select, two operations a group on the ports the arithmetic
 * needs. */
static inline __attribute__((always_inline)) simde__m512i avx512bf16_round_pair_nan(vf32 lo, vf32 hi, vf32 nan)
{
    if (__builtin_expect(AVX512BF16_ANY(AVX512BF16_DENORMAL_OR_NAN(lo), AVX512BF16_DENORMAL_OR_NAN(hi)), 0))
        return avx512bf16_round_pair(simde_mm512_mask_mov_ps(lo, VF_ISNAN(lo), nan),
                                     simde_mm512_mask_mov_ps(hi, VF_ISNAN(hi), nan));
    return AVX512BF16_CVTNE2(hi, lo);
}

#include "template/simd_template.h"
