/* values.h: MASK_SPEC.md section 4 as code: dtypes, 16-bit conversions, the value rules.
 * Pure per-element math that device code can include too (compiler.h says how); host.h has the
 * CPU-only pieces: the rules' constants and elements read and written through pointers. */
#ifndef SIMDROP_VALUES_H
#define SIMDROP_VALUES_H

#include "compiler.h"

/* Element types. bf16 and f16 travel as uint16_t bit patterns and are computed in float. */
enum simdrop_dtype { DT_F32, DT_F64, DT_BF16, DT_F16, DT_COUNT };

SIMDROP_SPEC_FN size_t simdrop_dtype_size(int dt)
{
    return dt == DT_F64 ? 8 : dt == DT_F32 ? 4 : 2;
}

/* What a kept or dropped element becomes (MASK_SPEC.md section 4). f = keep ? mul : +0.
 *   RULE_SCALE       y = x * f                         element, group and backward dropout
 *   RULE_AFFINE      y = x * f + (keep ? add : drop)   alpha dropout
 *   RULE_BIAS        y = (x + b) * f                   bias + dropout (residual NULL)
 *   RULE_RESID       y = r + x * f                     dropout + residual (bias NULL)
 *   RULE_BIAS_RESID  y = r + (x + b) * f               the fused transformer op
 * The three rules with an addition of two inputs return the canonical NaN for every NaN: with
 * two NaN operands IEEE 754 leaves open which payload survives, and compilers swap the
 * operands of commutative additions, so nothing else could be the same on every path. */
enum simdrop_rule { RULE_SCALE, RULE_AFFINE, RULE_BIAS, RULE_RESID, RULE_BIAS_RESID, RULE_COUNT };
#define RULE_NONE (-1) /* no values: the keep bits alone (mask, skip) */
#define SIMDROP_BITS_RULES 2 /* SCALE and AFFINE also run from a stored bitmask */

/* Whether the rule's NaN results are the canonical NaN: the rules that add two inputs. */
SIMDROP_SPEC_FN int simdrop_rule_canonical_nan(int rule)
{
    return rule == RULE_BIAS || rule == RULE_RESID || rule == RULE_BIAS_RESID;
}

SIMDROP_SPEC_FN int simdrop_rule_has_bias(int rule)
{
    return rule == RULE_BIAS || rule == RULE_BIAS_RESID;
}

SIMDROP_SPEC_FN int simdrop_rule_has_resid(int rule)
{
    return rule == RULE_RESID || rule == RULE_BIAS_RESID;
}

/* A rule's constants: float ones for f32, bf16 and f16, double ones for f64. */
typedef struct simdrop_consts {
    float mul, add, drop;
    double mul64, add64, drop64;
} simdrop_consts;

#define SIMDROP_F32_NAN 0x7fc00000u
#define SIMDROP_F64_NAN 0x7ff8000000000000u

/* ---- 16-bit conversions (MASK_SPEC.md section 4.2) ---------------------------------------- */

/* bfloat16 is the top half of a float: widening is exact. */
SIMDROP_SPEC_FN float simdrop_bf16_to_f32(uint16_t h)
{
    return simdrop_u2f((uint32_t)h << 16);
}

/* Round to nearest even; a NaN keeps its sign and top payload bits and becomes quiet. Overflow
 * rounds to infinity by itself: the carry walks into the exponent. */
SIMDROP_SPEC_FN uint16_t simdrop_f32_to_bf16(float f)
{
    const uint32_t u = simdrop_f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* IEEE binary16 to float, exact (a NaN keeps sign and payload, quiet or not). */
SIMDROP_SPEC_FN float simdrop_f16_to_f32(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f)
        return simdrop_u2f(sign | 0x7f800000u | man << 13);
    if (exp != 0)
        return simdrop_u2f(sign | (exp + 112u) << 23 | man << 13);
    const float v = (float)man * 0x1p-24f; /* zero or subnormal: exact in float */
    return sign ? -v : v;
}

/* float to IEEE binary16, round to nearest even. NaN: sign and the top 9 payload bits kept,
 * quiet bit set (what F16C's vcvtps2ph and AArch64's fcvt do). |x| >= 65520 gives infinity. */
SIMDROP_SPEC_FN uint16_t simdrop_f32_to_f16(float f)
{
    const uint32_t u = simdrop_f2u(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x1ffu));
    if (a >= 0x477ff000u)
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) { /* a normal half: rebias the exponent, round off 13 bits */
        const uint32_t r = a - 0x38000000u;
        return (uint16_t)(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
    }
    if (a <= 0x33000000u) /* at most 2^-25: rounds to zero (2^-25 itself is a tie, to even) */
        return sign;
    /* a subnormal half: the 24-bit significand times 2^(e - 126) units of 2^-24 */
    const uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u, shift = 126u - e;
    const uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), tie = 1u << (shift - 1u);
    return (uint16_t)(sign | (q + (rem > tie || (rem == tie && (q & 1u)))));
}

/* ---- the value of one element (the reference every vector path matches) --------------------- */

/* The rule in float (f32, bf16, f16) or double (f64): simdrop_rule_f and simdrop_rule_d. The
 * factors are picked by a load, not a branch: keep is a coin flip at p = 0.5. Every step is
 * its own assignment because C lets a compiler evaluate a float expression in wider precision
 * and round only at the end (GCC does on s390x with -std=c11): an assignment must round. */
#define SIMDROP_DEFINE_RULE(name, T, mul_, add_, drop_, nan_bits, from_bits)                    \
    SIMDROP_SPEC_FN T name(int rule, T x, T b, T r, int keep, const simdrop_consts *c)        \
    {                                                                                         \
        const T mul[2] = {0, c->mul_}, add[2] = {c->drop_, c->add_};                         \
        const T f = mul[keep != 0];                                                           \
        const T t = rule == RULE_BIAS || rule == RULE_BIAS_RESID ? x + b : x;                 \
        const T u = t * f;                                                                    \
        T v;                                                                                  \
        switch (rule) {                                                                       \
        case RULE_SCALE: return u;                                                            \
        case RULE_AFFINE: v = u + add[keep != 0]; return v;                                   \
        case RULE_BIAS: v = u; break;                                                         \
        default: v = r + u; break; /* RESID, BIAS_RESID */                                    \
        }                                                                                     \
        return v != v ? from_bits(nan_bits) : v;                                              \
    }
SIMDROP_DEFINE_RULE(simdrop_rule_f, float, mul, add, drop, SIMDROP_F32_NAN, simdrop_u2f)
SIMDROP_DEFINE_RULE(simdrop_rule_d, double, mul64, add64, drop64, SIMDROP_F64_NAN, simdrop_u2d)

#endif /* SIMDROP_VALUES_H */
