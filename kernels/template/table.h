/* table.h: instantiates a path's kernels for every rule and dtype and builds its table.
 *
 * The includer (scalar.c, simd_template.h, vla_template.h) defines SIMDROP_KERNEL(name), the
 * name its functions get (the path's suffix added), the functions SIMDROP_KERNEL(kernel_skip) and
 * SIMDROP_KERNEL(kernel_mask) and SIMDROP_KERNEL(kernel_fence), and the macros GEN(rule, dt), BITS(rule, dt),
 * ACCUMULATE(dt) and CONVERT(dt) that define SIMDROP_KERNEL(gen_<rule>_<dt>),
 * SIMDROP_KERNEL(bits_<rule>_<dt>), SIMDROP_KERNEL(accumulate_<dt>) and, for the 16-bit dtypes,
 * SIMDROP_KERNEL(narrow_<dt>) and SIMDROP_KERNEL(widen_<dt>). SIMDROP_TABLE(name) is then the
 * path's table; its seed entry is chosen here (SIMDROP_SEED_IN_PATH). */
#define SIMDROP_EACH_DTYPE(M, rule) M(rule, F32) M(rule, F64) M(rule, BF16) M(rule, F16)

/* The seeding of a generator block. A path whose instructions vectorize its 64-bit
 * multiplies well defines SIMDROP_SEED_IN_PATH and gets simdrop_seed_block compiled with its
 * flags (the same integer math): a block's 33 splitmix64 outputs (MASK_SPEC.md 2.4) cost 40 ns
 * at the x86-64 baseline, 23 with AVX2, about 9 with AVX-512F and 5-7 with AVX512DQ's vpmullq
 * (AMD EPYC Zen 5 VM), where the baseline cost was a tenth of an in-cache f32 block and more of
 * a narrow column shard's, which seeds a block for a few rows. The others share the baseline
 * build (kernel.h's simdrop_seed_baseline): NEON has no 64-bit vector multiply, and the vector
 * forms ran slower under qemu, the only place here that runs them. */
#ifdef SIMDROP_SEED_IN_PATH
static void SIMDROP_KERNEL(kernel_seed)(simdrop_lanes *st, uint64_t key, uint64_t block)
{
    simdrop_seed_block(st, key, block);
}
#define SIMDROP_SEED_ENTRY SIMDROP_KERNEL(kernel_seed)
#else
#define SIMDROP_SEED_ENTRY simdrop_seed_baseline
#endif

SIMDROP_EACH_DTYPE(GEN, SCALE)
SIMDROP_EACH_DTYPE(GEN, AFFINE)
SIMDROP_EACH_DTYPE(GEN, BIAS)
SIMDROP_EACH_DTYPE(GEN, RESID)
SIMDROP_EACH_DTYPE(GEN, BIAS_RESID)

/* GEN2(rule, dt) defines SIMDROP_KERNEL(gen2_<rule>_<dt>); where the includer has no better
 * one, it is the two gen calls. */
#ifndef GEN2
#define GEN2(rule, dt)                                                                     \
    static void SIMDROP_KERNEL(gen2_##rule##_##dt)(const simdrop_kargs a[2], simdrop_lanes st[2], \
                                                   size_t rounds, uint32_t threshold)      \
    {                                                                                      \
        SIMDROP_KERNEL(gen_##rule##_##dt)(&a[0], &st[0], rounds, threshold);               \
        SIMDROP_KERNEL(gen_##rule##_##dt)(&a[1], &st[1], rounds, threshold);               \
    }
#endif
SIMDROP_EACH_DTYPE(GEN2, SCALE)
SIMDROP_EACH_DTYPE(GEN2, AFFINE)
SIMDROP_EACH_DTYPE(GEN2, BIAS)
SIMDROP_EACH_DTYPE(GEN2, RESID)
SIMDROP_EACH_DTYPE(GEN2, BIAS_RESID)
/* GEN_ROWS(rule, dt) defines SIMDROP_KERNEL(rows_<rule>_<dt>); where the includer has no better
 * one, it is a gen call a row and a skip call a gap. */
#ifndef GEN_ROWS
#define GEN_ROWS(rule, dt)                                                                 \
    static void SIMDROP_KERNEL(rows_##rule##_##dt)(const simdrop_kargs *a, simdrop_lanes *st, \
                                                   const simdrop_rows *g, uint32_t threshold) \
    {                                                                                      \
        SIMDROP_ROWS_BY_CALLS(SIMDROP_KERNEL(gen_##rule##_##dt), SIMDROP_KERNEL(kernel_skip), \
                              a, st, g, threshold, DT_##dt);                               \
    }
#endif
#ifndef SIMDROP_ROWS_PREFETCH
#define SIMDROP_ROWS_PREFETCH 0
#endif
SIMDROP_EACH_DTYPE(GEN_ROWS, SCALE)
SIMDROP_EACH_DTYPE(GEN_ROWS, AFFINE)
SIMDROP_EACH_DTYPE(GEN_ROWS, BIAS)
SIMDROP_EACH_DTYPE(GEN_ROWS, RESID)
SIMDROP_EACH_DTYPE(GEN_ROWS, BIAS_RESID)
/* GEN_ROWS2(rule, dt) defines SIMDROP_KERNEL(rows2_<rule>_<dt>); by default two rows calls. */
#ifndef GEN_ROWS2
#define GEN_ROWS2(rule, dt)                                                                \
    static void SIMDROP_KERNEL(rows2_##rule##_##dt)(const simdrop_kargs a[2], simdrop_lanes st[2], \
                                                    const simdrop_rows *g, uint32_t threshold) \
    {                                                                                      \
        SIMDROP_KERNEL(rows_##rule##_##dt)(&a[0], &st[0], g, threshold);                   \
        SIMDROP_KERNEL(rows_##rule##_##dt)(&a[1], &st[1], g, threshold);                   \
    }
#endif
SIMDROP_EACH_DTYPE(GEN_ROWS2, SCALE)
SIMDROP_EACH_DTYPE(GEN_ROWS2, AFFINE)
SIMDROP_EACH_DTYPE(GEN_ROWS2, BIAS)
SIMDROP_EACH_DTYPE(GEN_ROWS2, RESID)
SIMDROP_EACH_DTYPE(GEN_ROWS2, BIAS_RESID)
SIMDROP_EACH_DTYPE(BITS, SCALE)
SIMDROP_EACH_DTYPE(BITS, AFFINE)
ACCUMULATE(F32)
ACCUMULATE(F64)
ACCUMULATE(BF16)
ACCUMULATE(F16)
CONVERT(BF16)
CONVERT(F16)

#define SIMDROP_ROW(kind, rule)                                                            \
    [RULE_##rule] = {[DT_F32] = SIMDROP_KERNEL(kind##_##rule##_F32),                       \
                     [DT_F64] = SIMDROP_KERNEL(kind##_##rule##_F64),                       \
                     [DT_BF16] = SIMDROP_KERNEL(kind##_##rule##_BF16),                     \
                     [DT_F16] = SIMDROP_KERNEL(kind##_##rule##_F16)}

#define SIMDROP_TABLE(path_name)                                                           \
    {                                                                                      \
        .name = path_name,                                                                 \
        .seed = SIMDROP_SEED_ENTRY,                                                        \
        .skip = SIMDROP_KERNEL(kernel_skip),                                               \
        .mask = SIMDROP_KERNEL(kernel_mask),                                               \
        .fence = SIMDROP_KERNEL(kernel_fence),                                             \
        .gen = {SIMDROP_ROW(gen, SCALE), SIMDROP_ROW(gen, AFFINE), SIMDROP_ROW(gen, BIAS),  \
                SIMDROP_ROW(gen, RESID), SIMDROP_ROW(gen, BIAS_RESID)},                    \
        .gen2 = {SIMDROP_ROW(gen2, SCALE), SIMDROP_ROW(gen2, AFFINE), SIMDROP_ROW(gen2, BIAS), \
                 SIMDROP_ROW(gen2, RESID), SIMDROP_ROW(gen2, BIAS_RESID)},                 \
        .rows = {SIMDROP_ROW(rows, SCALE), SIMDROP_ROW(rows, AFFINE), SIMDROP_ROW(rows, BIAS), \
                 SIMDROP_ROW(rows, RESID), SIMDROP_ROW(rows, BIAS_RESID)},                 \
        .rows2 = {SIMDROP_ROW(rows2, SCALE), SIMDROP_ROW(rows2, AFFINE), SIMDROP_ROW(rows2, BIAS), \
                  SIMDROP_ROW(rows2, RESID), SIMDROP_ROW(rows2, BIAS_RESID)},              \
        .rows_prefetch = SIMDROP_ROWS_PREFETCH,                                            \
        .bits = {SIMDROP_ROW(bits, SCALE), SIMDROP_ROW(bits, AFFINE)},                     \
        .accumulate = {[DT_F32] = SIMDROP_KERNEL(accumulate_F32),                          \
                       [DT_F64] = SIMDROP_KERNEL(accumulate_F64),                          \
                       [DT_BF16] = SIMDROP_KERNEL(accumulate_BF16),                        \
                       [DT_F16] = SIMDROP_KERNEL(accumulate_F16)},                         \
        .narrow = {[DT_BF16] = SIMDROP_KERNEL(narrow_BF16), [DT_F16] = SIMDROP_KERNEL(narrow_F16)}, \
        .widen = {[DT_BF16] = SIMDROP_KERNEL(widen_BF16), [DT_F16] = SIMDROP_KERNEL(widen_F16)},    \
    }
