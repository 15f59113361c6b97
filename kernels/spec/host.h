/* host.h: the CPU side of the spec: bitmask words in memory, per-call constants, elements by dtype.
 *
 * Not for device code, unlike spec.h and values.h: memcpy on untyped pointers and the host's
 * byte order, <math.h>, loads and stores by dtype. A GPU backend computes the constants here on
 * its host (once per call, as the CPU entry points do) and passes them to its kernels. */
#ifndef SIMDROP_SPEC_HOST_H
#define SIMDROP_SPEC_HOST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "values.h"

/* ---- bitmask words (MASK_SPEC.md section 5: little-endian in memory) ------------------------ */

/* Unaligned little-endian stores and loads for bitmask words: one plain access on little-endian
 * hosts (GCC does not always see through the portable byte-by-byte form), a byte swap on
 * big-endian ones, and the byte-by-byte form where the compiler does not say. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && defined(__ORDER_BIG_ENDIAN__)
#define SIMDROP_LE_HOST (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define SIMDROP_BE_HOST (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#else
#define SIMDROP_LE_HOST 0
#define SIMDROP_BE_HOST 0
#endif

static inline void simdrop_store_le32(uint8_t *p, uint32_t v)
{
#if SIMDROP_LE_HOST || SIMDROP_BE_HOST
#if SIMDROP_BE_HOST
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
#else
    const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    memcpy(p, b, 4);
#endif
}

static inline void simdrop_store_le64(uint8_t *p, uint64_t v)
{
    simdrop_store_le32(p, (uint32_t)v);
    simdrop_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t simdrop_load_le32(const uint8_t *p)
{
#if SIMDROP_LE_HOST || SIMDROP_BE_HOST
    uint32_t v;
    memcpy(&v, p, 4);
#if SIMDROP_BE_HOST
    v = __builtin_bswap32(v);
#endif
    return v;
#else
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

/* ---- constants (MASK_SPEC.md sections 4.1 and 4.4) ---------------------------------------- */

/* Dropout: s = 1 / (1 - p) in double, then rounded to float for f32, bf16 and f16; 0 at p == 1. */
static inline simdrop_consts simdrop_dropout_consts(double p)
{
    const double s = p >= 1.0 ? 0.0 : 1.0 / (1.0 - p);
    const simdrop_consts c = {(float)s, 0.0f, 0.0f, s, 0.0, 0.0};
    return c;
}

/* Alpha dropout, as PyTorch's _dropout_impl computes it: a = 1 / sqrt((alpha^2 p + 1)(1 - p))
 * in double; each dtype rounds A = a, AA = alpha a and AB = alpha a p, and D = AB - AA is
 * computed in that dtype. Kept: x * A + AB; dropped: x * 0 + D. (p == 0 and p == 1 never get
 * here: they copy x and scale by zero.) */
#define SIMDROP_SELU_ALPHA 1.7580993408473766
static inline simdrop_consts simdrop_alpha_consts(double p)
{
    const double alpha = SIMDROP_SELU_ALPHA;
    const double a = 1.0 / sqrt((alpha * alpha * p + 1.0) * (1.0 - p));
    const double aa = alpha * a, ab = alpha * a * p;
    const float aa32 = (float)aa, ab32 = (float)ab;
    const simdrop_consts c = {(float)a, ab32, ab32 - aa32, a, ab, ab - aa};
    return c;
}

/* ---- the group families: what a kept element becomes -------------------------------------
 * Dropout scales it by s = 1 / (1 - p), alpha dropout maps it affinely (4.4), and dropout
 * without rescaling (drop-path with scale_by_keep=False) multiplies it by 1; the same keep bits
 * for all three. The CPU library and the GPU plans (gpu/launch.c) both take the rules from here. */
enum simdrop_family { FAMILY_SCALED, FAMILY_ALPHA, FAMILY_UNSCALED };

/* Forward's rule and constants (alpha dropout at p == 1 scales by zero; at p == 0 the callers
 * copy). */
static inline int simdrop_family_rule(int family, double p)
{
    return family == FAMILY_ALPHA && p < 1.0 ? RULE_AFFINE : RULE_SCALE;
}

static inline simdrop_consts simdrop_family_consts(int family, double p)
{
    if (family == FAMILY_ALPHA && p < 1.0)
        return simdrop_alpha_consts(p);
    return simdrop_dropout_consts(family == FAMILY_UNSCALED ? 0.0 : p);
}

/* Backward's factor: dropout's s, alpha's A (and 0 at p == 1, where nothing is kept), 1 without
 * rescaling (simdrop_dropout_consts(0.0): s = 1 / 1 exactly). */
static inline simdrop_consts simdrop_backward_consts(int family, double p)
{
    simdrop_consts c = simdrop_dropout_consts(family == FAMILY_UNSCALED ? 0.0 : p);
    if (family == FAMILY_ALPHA && p < 1.0) {
        const simdrop_consts a = simdrop_alpha_consts(p);
        c.mul = a.mul;
        c.mul64 = a.mul64;
    }
    return c;
}

/* ---- elements by dtype (the scalar reference's loads and stores) ------------------------- */

/* Inputs of one element: x, and the bias and residual where the rule has them. */
static inline float simdrop_load_f(int dt, const void *p, size_t i)
{
    switch (dt) {
    case DT_BF16: return simdrop_bf16_to_f32(((const uint16_t *)p)[i]);
    case DT_F16: return simdrop_f16_to_f32(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
    }
}

static inline void simdrop_store_f(int dt, void *p, size_t i, float v)
{
    switch (dt) {
    case DT_BF16: ((uint16_t *)p)[i] = simdrop_f32_to_bf16(v); break;
    case DT_F16: ((uint16_t *)p)[i] = simdrop_f32_to_f16(v); break;
    default: ((float *)p)[i] = v; break;
    }
}

/* y[i] from x[i] (and b[i], r[i] where the rule reads them) for one keep decision; b is
 * float, double for f64 (kernel.h's simdrop_kargs: the walk widens a 16-bit bias). */
static inline void simdrop_value(int rule, int dt, void *y, const void *x, const void *b,
                                 const void *r, size_t i, int keep, const simdrop_consts *c)
{
    if (dt == DT_F64) {
        const double bv = simdrop_rule_has_bias(rule) ? ((const double *)b)[i] : 0.0;
        const double rv = simdrop_rule_has_resid(rule) ? ((const double *)r)[i] : 0.0;
        ((double *)y)[i] = simdrop_rule_d(rule, ((const double *)x)[i], bv, rv, keep, c);
    } else {
        const float bv = simdrop_rule_has_bias(rule) ? ((const float *)b)[i] : 0.0f;
        const float rv = simdrop_rule_has_resid(rule) ? simdrop_load_f(dt, r, i) : 0.0f;
        simdrop_store_f(dt, y, i, simdrop_rule_f(rule, simdrop_load_f(dt, x, i), bv, rv, keep, c));
    }
}

#endif /* SIMDROP_SPEC_HOST_H */
