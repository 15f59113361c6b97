/* scalar.c: the reference kernels, a direct transcription of docs/MASK_SPEC.md; they define the bits. */
#include "template/kernel.h"

void simdrop_seed_baseline(simdrop_lanes *st, uint64_t key, uint64_t block)
{
    simdrop_seed_block(st, key, block);
}

static void kernel_skip(simdrop_lanes *st, size_t rounds)
{
    uint32_t out[SIMDROP_LANES];
    while (rounds--)
        simdrop_round(st, out);
}

static uint32_t keep_word(const uint32_t out[SIMDROP_LANES], uint32_t threshold)
{
    uint32_t word = 0;
    for (unsigned q = 0; q < SIMDROP_ROUND; q++)
        word |= (uint32_t)(simdrop_round_bits16(out, q) >= threshold) << q;
    return word;
}

static void kernel_fence(void)
{
    /* plain stores only */
}

static void kernel_mask(uint8_t *mask, simdrop_lanes *st, size_t rounds, uint32_t threshold)
{
    uint32_t out[SIMDROP_LANES];
    for (size_t i = 0; i < rounds; i++, mask += 4) {
        simdrop_round(st, out);
        simdrop_store_le32(mask, keep_word(out, threshold));
    }
}

/* Round `i` of a call: its 32 elements, each by the rule of values.h. Inlined into each
 * (rule, dtype) entry so that the rule is a constant there. Why: given a rule only at run time,
 * clang 16 merges values.h's `return u` (SCALE) and `return u + add` (AFFINE) into one
 * `u + (AFFINE ? add : -0.0)`, which equals u only when rounding to nearest (+0 + -0 is -0
 * rounding downward). -frounding-math would forbid that, but clang 16 ignores it on RISC-V and
 * GCC's x86 kernels nearly double in size under it. */
static inline __attribute__((always_inline)) void apply_round(const simdrop_kargs *a, int rule,
                                                              int dt, size_t i, uint32_t word)
{
    for (unsigned q = 0; q < SIMDROP_ROUND; q++)
        simdrop_value(rule, dt, a->y, a->x, a->b, a->r, i * SIMDROP_ROUND + q, (word >> q) & 1,
                      a->c);
}

static inline __attribute__((always_inline)) void scalar_gen(const simdrop_kargs *a,
                                                             simdrop_lanes *st, size_t rounds,
                                                             uint32_t threshold, int rule, int dt)
{
    uint32_t out[SIMDROP_LANES];
    for (size_t i = 0; i < rounds; i++) {
        simdrop_round(st, out);
        const uint32_t word = keep_word(out, threshold);
        apply_round(a, rule, dt, i, word);
        if (a->mask_out)
            simdrop_store_le32(a->mask_out + 4 * i, word);
    }
}

static inline __attribute__((always_inline)) void scalar_bits(const simdrop_kargs *a,
                                                              size_t rounds, int rule, int dt)
{
    for (size_t i = 0; i < rounds; i++)
        apply_round(a, rule, dt, i, simdrop_load_le32(a->mask_in + 4 * i));
}

static void scalar_accumulate(void *acc, const void *v, size_t n, int dt)
{
    for (size_t i = 0; i < n; i++) {
        if (dt == DT_F64)
            ((double *)acc)[i] += ((const double *)v)[i];
        else
            ((float *)acc)[i] += simdrop_load_f(dt, v, i);
    }
}

/* The table's entries: one small function per (rule, dtype). */
#define SIMDROP_KERNEL(name) name
#define GEN(rule, dt)                                                                      \
    static void gen_##rule##_##dt(const simdrop_kargs *a, simdrop_lanes *st, size_t rounds, \
                                  uint32_t threshold)                                      \
    {                                                                                      \
        scalar_gen(a, st, rounds, threshold, RULE_##rule, DT_##dt);                        \
    }
#define BITS(rule, dt)                                                                     \
    static void bits_##rule##_##dt(const simdrop_kargs *a, size_t rounds)                  \
    {                                                                                      \
        scalar_bits(a, rounds, RULE_##rule, DT_##dt);                                      \
    }
#define ACCUMULATE(dt)                                                                     \
    static void accumulate_##dt(void *acc, const void *v, size_t n)                        \
    {                                                                                      \
        scalar_accumulate(acc, v, n, DT_##dt);                                             \
    }
#define CONVERT(dt)                                                                        \
    static void narrow_##dt(void *dst, const float *src, size_t n)                         \
    {                                                                                      \
        for (size_t i = 0; i < n; i++)                                                     \
            simdrop_store_f(DT_##dt, dst, i, src[i]);                                      \
    }                                                                                      \
    static void widen_##dt(float *dst, const void *src, size_t n)                          \
    {                                                                                      \
        for (size_t i = 0; i < n; i++)                                                     \
            dst[i] = simdrop_load_f(DT_##dt, src, i);                                      \
    }
#include "template/table.h"

const simdrop_kernels simdrop_kernels_scalar = SIMDROP_TABLE("scalar");
