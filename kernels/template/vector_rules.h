/* vector_rules.h: the value stage of one vector: exact 16-bit conversions and the rules of values.h, on the ISA's primitives.
 *
 * Shared by the vector templates: simd_template.h and the vector-length-agnostic loop
 * (vla_template.h) include it after the ISA file has defined its primitives. So it holds vectors
 * only in parameters, return values and locals, never in arrays, structs, sizeof or static
 * storage: SVE's and RVV's sizeless types allow nothing else.
 * Also the naming of a path's functions and the pointer arithmetic of their loops, which every
 * template uses. */
#ifndef SIMDROP_VECTOR_RULES_H
#define SIMDROP_VECTOR_RULES_H

#if defined(__GNUC__)
#define SIMDROP_INLINE static inline __attribute__((always_inline))
#else
#define SIMDROP_INLINE static inline
#endif

/* SIMDROP_FN(name): name_<path id>, so that every path's functions and table differ. */
#define SIMDROP_CAT_(a, b) a##b
#define SIMDROP_CAT(a, b) SIMDROP_CAT_(a, b)
#define SIMDROP_FN(name) SIMDROP_CAT(SIMDROP_CAT(name, _), SIMDROP_PATH_ID)

/* Moves the operand pointers of a kargs copy on by `rounds` rounds. */
SIMDROP_INLINE void SIMDROP_FN(advance)(simdrop_kargs *a, const int rule, const int dt, size_t rounds)
{
    const size_t bytes = rounds * SIMDROP_ROUND * simdrop_dtype_size(dt);
    a->y = (char *)a->y + bytes;
    a->x = (const char *)a->x + bytes;
    if (simdrop_rule_has_bias(rule))
        a->b = (const char *)a->b + rounds * SIMDROP_ROUND * simdrop_bias_size(dt);
    if (simdrop_rule_has_resid(rule))
        a->r = (const char *)a->r + bytes;
}

/* ---- 16-bit conversions, exact (values.h has the scalar twins), branching only on NaN pairs -- */

/* bfloat16, round to nearest even: adding 0x7fff plus the lowest kept bit leaves the result in
 * the top half (for every float but NaN). */
SIMDROP_INLINE vu32 SIMDROP_FN(bf16_add_half)(vu32 u)
{
    return V_ADD(V_ADD(u, V_SET1(0x7fffu)), V_AND(V_SHR(u, 16), V_SET1(1)));
}

#ifndef VH_FROM_F32_BF16
/* One group: that addition; NaN keeps its top bits and gets the quiet bit. */
SIMDROP_INLINE vh16 SIMDROP_FN(to_bf16)(vf32 v)
{
    const vu32 u = VF_AS_U(v);
    const vu32 rounded = V_SHR(SIMDROP_FN(bf16_add_half)(u), 16);
    const vmask nan = V_GT(V_AND(u, V_SET1(0x7fffffffu)), V_SET1(0x7f800000u));
    return VH_NARROW(V_BLEND(nan, V_OR(V_SHR(u, 16), V_SET1(0x40u)), rounded));
}
#define VH_FROM_F32_BF16(v) SIMDROP_FN(to_bf16)(v)
#endif

#if defined(V_PACK_TOPS) && !defined(VH2_FROM_F32_BF16)
/* bfloat16 rounding of two groups at once (simd_template.h's VH2_FROM_F32_BF16), for an ISA that
 * packs the top halves of two vectors' lanes into one (V_PACK_TOPS) and tests a mask for any set
 * lane (V_ANY): bf16_add_half on both, one pack for the pair, and one NaN test
 * and branch per pair instead of a NaN select per group. A pair with a NaN, which data without
 * NaNs never has, first gets those lanes' low halves cleared and the quiet bit set, so that the
 * addition cannot carry into their exponent and they come out as the spec's (u >> 16) | 0x40.
 * On the Intel Xeon VM of model 167 (one pinned core, checkasm --bench, 64K elements in cache,
 * ns an element), avx2: gen_SCALE_bf16 (forward) 0.326 -> 0.262-0.268, gen_BIAS_RESID_bf16 (the
 * fused op) 0.460 -> 0.297-0.313, bits_SCALE_bf16 (backward from a mask) 0.234 -> 0.163-0.168;
 * sse2: 0.670 -> 0.477-0.509, 0.939 -> 0.571-0.574, 0.512 -> 0.329. A pair's widening by
 * shuffles (VF2_FROM_BF16) gained nothing beyond the noise on either. */
SIMDROP_INLINE vu32 SIMDROP_FN(bf16_quiet)(vf32 v)
{
    const vu32 u = VF_AS_U(v);
    return V_BLEND(VF_ISNAN(v), V_OR(V_AND(u, V_SET1(0xffff0000u)), V_SET1(0x00400000u)), u);
}
SIMDROP_INLINE vu32 SIMDROP_FN(to_bf16_pair)(vf32 lo, vf32 hi)
{
    vu32 a = VF_AS_U(lo), b = VF_AS_U(hi);
    if (__builtin_expect(V_ANY(V_OR(VF_ISNAN(lo), VF_ISNAN(hi))), 0)) {
        a = SIMDROP_FN(bf16_quiet)(lo);
        b = SIMDROP_FN(bf16_quiet)(hi);
    }
    return V_PACK_TOPS(SIMDROP_FN(bf16_add_half)(a), SIMDROP_FN(bf16_add_half)(b));
}
/* The same with NaN lanes made the canonical nan (0x7fc00000: its low half is clear already). */
SIMDROP_INLINE vu32 SIMDROP_FN(to_bf16_pair_nan)(vf32 lo, vf32 hi, vf32 nan)
{
    const vmask nan_lo = VF_ISNAN(lo), nan_hi = VF_ISNAN(hi);
    if (__builtin_expect(V_ANY(V_OR(nan_lo, nan_hi)), 0)) {
        lo = VF_SELECT(nan_lo, nan, lo);
        hi = VF_SELECT(nan_hi, nan, hi);
    }
    return V_PACK_TOPS(SIMDROP_FN(bf16_add_half)(VF_AS_U(lo)), SIMDROP_FN(bf16_add_half)(VF_AS_U(hi)));
}
#define VH2_FROM_F32_BF16(lo, hi) SIMDROP_FN(to_bf16_pair)(lo, hi)
#define VH2_FROM_F32_BF16_NAN(lo, hi, nan) SIMDROP_FN(to_bf16_pair_nan)(lo, hi, nan)
#endif

#ifndef VF_FROM_BF16
#define VF_FROM_BF16(h) VU_AS_F(V_SHL(VH_WIDEN(h), 16)) /* the top half of a float */
#endif
#ifndef VF2_FROM_BF16
#define VF2_FROM_BF16(p, lo, hi)                                                           \
    ((lo) = VF_FROM_BF16(VH_LOAD(p)), (hi) = VF_FROM_BF16(VH_LOAD((const uint16_t *)(p) + SIMDROP_W)))
#endif

#ifndef VF_FROM_F16
/* binary16 to float: move exponent and mantissa into place and rebias; subnormals go through
 * one exact float subtraction (2^-14 + m 2^-24 - 2^-14), whose zero loses its sign bit to the
 * AND: rounding downward makes x - x a -0. */
SIMDROP_INLINE vf32 SIMDROP_FN(from_f16)(vh16 h16)
{
    const vu32 h = VH_WIDEN(h16);
    const vu32 sign = V_SHL(V_AND(h, V_SET1(0x8000u)), 16);
    const vu32 em = V_SHL(V_AND(h, V_SET1(0x7fffu)), 13);
    const vu32 exp = V_AND(h, V_SET1(0x7c00u));
    const vu32 normal = V_ADD(em, V_SET1(112u << 23));
    const vu32 special = V_ADD(em, V_SET1(224u << 23)); /* infinity and NaN */
    const vf32 magic = VU_AS_F(V_SET1(113u << 23));
    const vu32 small = V_AND(VF_AS_U(VF_SUB(VU_AS_F(V_ADD(em, V_SET1(113u << 23))), magic)),
                             V_SET1(0x7fffffffu));
    vu32 r = V_BLEND(V_GT(exp, V_SET1(0x7bffu)), special, normal);
    r = V_BLEND(V_GT(V_SET1(0x0400u), exp), small, r);
    return VU_AS_F(V_OR(r, sign));
}
#define VF_FROM_F16(h) SIMDROP_FN(from_f16)(h)
#endif

#ifndef VH_FROM_F32_F16
/* float to binary16, round to nearest even, the same in every rounding mode and with flush-to-
 * zero: normal halves round off 13 bits after rebiasing, in integers. A subnormal half is a =
 * |v| (below 2^-14) rounded to a multiple of 2^-24, and no float operation may do that rounding
 * (it would follow the caller's mode), so the float operations are all exact but the first:
 * t = a + 2^-3 puts a on the grid of 2^-26 (t's unit in the last place), rounded either way;
 * t - 2^-3 is exact (Sterbenz), and so is rest = a - (t - 2^-3), the part of a below the grid or
 * its complement: its sign says whether t was rounded up. In integers, q = a in units of 2^-26
 * rounded down, with bit 0 set when rest != 0 (round to odd), loses its two low bits to nearest
 * even: exact, since round-to-odd kept two bits more than the result. Every operand is a normal
 * float (an a below 2^-126, read as 0 by DAZ or flushed in rest by FTZ, gives 0 either way), and
 * the other lanes enter as 0, so an infinity raises no invalid operation. */
SIMDROP_INLINE vh16 SIMDROP_FN(to_f16)(vf32 v)
{
    const vu32 u = VF_AS_U(v);
    const vu32 sign = V_AND(V_SHR(u, 16), V_SET1(0x8000u));
    const vu32 a = V_AND(u, V_SET1(0x7fffffffu));
    const vu32 normal = V_SHR(V_ADD(V_SUB(a, V_SET1(0x38000000u - 0xfffu)), V_AND(V_SHR(a, 13), V_SET1(1))), 13);
    const vmask is_small = V_GT(V_SET1(0x38800000u), a);
    const vf32 as = VU_AS_F(V_BLEND(is_small, a, V_SET1(0)));
    const vf32 t = VF_ADD(as, VF_SET1(0x1p-3f));
    const vu32 rest = VF_AS_U(VF_SUB(as, VF_SUB(t, VF_SET1(0x1p-3f))));
    const vu32 inexact = V_SHR(V_ADD(V_AND(rest, V_SET1(0x7fffffffu)), V_SET1(0x7fffffffu)), 31);
    const vu32 rounded_up = V_AND(V_SHR(rest, 31), inexact);
    const vu32 q = V_OR(V_SUB(V_SUB(VF_AS_U(t), V_SET1(0x3e000000u)), rounded_up), inexact);
    const vu32 small = V_SHR(V_ADD(V_ADD(q, V_SET1(1)), V_AND(V_SHR(q, 2), V_SET1(1))), 2);
    vu32 r = V_BLEND(is_small, small, normal);
    r = V_BLEND(V_GT(a, V_SET1(0x477fefffu)), V_SET1(0x7c00u), r);
    r = V_BLEND(V_GT(a, V_SET1(0x7f800000u)), V_OR(V_AND(V_SHR(a, 13), V_SET1(0x1ffu)), V_SET1(0x7e00u)), r);
    return VH_NARROW(V_OR(r, sign));
}
#define VH_FROM_F32_F16(v) SIMDROP_FN(to_f16)(v)
#endif

/* ---- the rules (values.h), W lanes at a time ------------------------------------------------ */

/* Rule `rule` on W float lanes: x, bias b and residual r as floats, factor from the keep mask;
 * mul, add, drop: the rule's constants (values.h), nan: the canonical NaN, all broadcast. */
SIMDROP_INLINE vf32 SIMDROP_FN(rule_f_raw)(const int rule, vf32 x, vf32 b, vf32 r, vmask m,
                                           vf32 mul, vf32 add, vf32 drop)
{
    const vf32 f = VF_KEEP(m, mul);
    switch (rule) {
    case RULE_SCALE: return VF_MUL(x, f);
    case RULE_AFFINE: return VF_ADD(VF_MUL(x, f), VF_SELECT(m, add, drop));
    case RULE_BIAS: return VF_MUL(VF_ADD(x, b), f);
    case RULE_RESID: return VF_ADD(r, VF_MUL(x, f));
    default: return VF_ADD(r, VF_MUL(VF_ADD(x, b), f));
    }
}

/* rule_f_raw's NaNs made the canonical one where the rule says so (values.h). A path whose
 * bfloat16 rounding tests its floats anyway makes them canonical only where that test finds a
 * NaN (simd_template.h's VH2_FROM_F32_BF16_NAN), and starts from rule_f_raw. */
SIMDROP_INLINE vf32 SIMDROP_FN(rule_f)(const int rule, vf32 x, vf32 b, vf32 r, vmask m, vf32 mul,
                                       vf32 add, vf32 drop, vf32 nan)
{
    const vf32 v = SIMDROP_FN(rule_f_raw)(rule, x, b, r, m, mul, add, drop);
    return simdrop_rule_canonical_nan(rule) ? VF_SELECT(VF_ISNAN(v), nan, v) : v;
}

SIMDROP_INLINE vf64 SIMDROP_FN(rule_d)(const int rule, vf64 x, vf64 b, vf64 r, vmask64 m,
                                       vf64 mul, vf64 add, vf64 drop, vf64 nan)
{
    const vf64 f = VD_KEEP(m, mul);
    vf64 v;
    switch (rule) {
    case RULE_SCALE: return VD_MUL(x, f);
    case RULE_AFFINE: return VD_ADD(VD_MUL(x, f), VD_SELECT(m, add, drop));
    case RULE_BIAS: v = VD_MUL(VD_ADD(x, b), f); break;
    case RULE_RESID: v = VD_ADD(r, VD_MUL(x, f)); break;
    default: v = VD_ADD(r, VD_MUL(VD_ADD(x, b), f)); break;
    }
    return VD_SELECT(VD_ISNAN(v), nan, v);
}

#endif /* SIMDROP_VECTOR_RULES_H */
