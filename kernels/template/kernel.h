/* kernel.h: the internal interface every kernel path implements, and the table of paths. */
#ifndef SIMDROP_KERNEL_H
#define SIMDROP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "spec/host.h"
#include "spec/spec.h"
#include "spec/values.h"

/* The operands of one kernel call over whole rounds (32 elements each). Pointers are to the
 * call's first element; b is already laid out element by element (the walk repeats the bias
 * row), so every operand advances in step with x. b is in the type the rule computes in
 * (simdrop_bias_size): float for f32, bf16 and f16, double for f64. Why: a 16-bit bias row is
 * widened once per call (simdrop.c) instead of once per row in every kernel, which on the Intel
 * Xeon VM was 2 of the fused bf16 op's 33 vector operations per round (8-10% at 64K). */
typedef struct simdrop_kargs {
    void *y;                 /* output elements (may equal x or r) */
    const void *x, *b, *r;   /* input; bias (as float or double) and residual where the rule reads them */
    uint8_t *mask_out;       /* gen: the keep words are stored here (4 bytes a round), or NULL */
    const uint8_t *mask_in;  /* bits: the keep words are read from here (4 bytes a round) */
    const simdrop_consts *c; /* the rule's constants */
    int nt;                  /* non-temporal stores wanted (SIMDROP_NT_*): the output is far
                                larger than the caches (the caller fences) */
} simdrop_kargs;

/* simdrop_kargs.nt. Non-temporal stores need y aligned to the vector; a kernel given
 * SIMDROP_NT_ANY makes a misaligned y through an aligned buffer it streams out (bounced, in the
 * x86 template), one given SIMDROP_NT_ALIGNED stores a misaligned y with regular stores (the
 * walk's choice for bits kernels where dispatch.c's simdrop_bits_bounce says so). */
enum { SIMDROP_NT_NONE, SIMDROP_NT_ANY, SIMDROP_NT_ALIGNED };

/* Keep decisions from the generator: steps the 16 lanes `rounds` times from *st (and leaves
 * them there), applies rule R to dtype D. */
typedef void (*simdrop_gen_fn)(const simdrop_kargs *a, simdrop_lanes *st, size_t rounds,
                               uint32_t threshold);

/* The bytes of one bias element as kernels read it (simdrop_kargs.b): double for f64, float
 * for the dtypes computed in float. */
static inline size_t simdrop_bias_size(int dt)
{
    return dt == DT_F64 ? sizeof(double) : sizeof(float);
}

/* Two independent runs of gen at once: a[0] with st[0] and a[1] with st[1], each `rounds`
 * rounds with its own operands and keep words, the same bits as two gen calls. Both runs share
 * the rule's constants (a[0].c: the walk passes one call's to both) and the threshold. */
typedef void (*simdrop_gen2_fn)(const simdrop_kargs a[2], simdrop_lanes st[2], size_t rounds,
                                uint32_t threshold);
/* The rows of a block of a global tensor that are whole rounds of one generator block: the
 * generator first skipping `lead` rounds (the columns before the first row), then `rows` runs
 * of `rounds` rounds (rows >= 1, rounds >= 1: the walk sends no empty row), skipping `gap`
 * rounds between them (the other columns' elements), row i's operands ldx (x) and ldy (y and r)
 * elements after row i - 1's, b the same row for every row, the keep words of the rows one
 * after the other. */
typedef struct simdrop_rows {
    size_t lead, rows, rounds, gap, ldx, ldy;
} simdrop_rows;
typedef void (*simdrop_rows_fn)(const simdrop_kargs *a, simdrop_lanes *st, const simdrop_rows *g,
                                uint32_t threshold);
/* The rows of g twice at once, from two generator blocks: a[0] with st[0] and a[1] with st[1],
 * the same bits as two rows calls (the constants a[0].c, as gen2). */
typedef void (*simdrop_rows2_fn)(const simdrop_kargs a[2], simdrop_lanes st[2],
                                 const simdrop_rows *g, uint32_t threshold);

/* a moved from one row of g to the next. */
static inline void simdrop_rows_next(simdrop_kargs *a, const simdrop_rows *g, int dt)
{
    const size_t es = simdrop_dtype_size(dt);
    a->y = (char *)a->y + g->ldy * es;
    a->x = (const char *)a->x + g->ldx * es;
    if (a->r)
        a->r = (const char *)a->r + g->ldy * es;
    if (a->mask_out)
        a->mask_out += 4 * g->rounds;
}

/* rows as skip(st, lead), then one call of gen(row, st, rounds, threshold) a row and skip(st, gap)
 * between rows. */
#define SIMDROP_ROWS_BY_CALLS(gen, skip, a, st, g, threshold, dt)                          \
    do {                                                                                   \
        simdrop_kargs row_ = *(a);                                                         \
        if ((g)->lead)                                                                     \
            skip(st, (g)->lead);                                                           \
        for (size_t i_ = 0; i_ < (g)->rows; i_++, simdrop_rows_next(&row_, g, dt)) {       \
            if (i_)                                                                        \
                skip(st, (g)->gap);                                                        \
            gen(&row_, st, (g)->rounds, threshold);                                        \
        }                                                                                  \
    } while (0)

/* Keep decisions from a stored bitmask, little-endian words at a->mask_in. */
typedef void (*simdrop_bits_fn)(const simdrop_kargs *a, size_t rounds);

/* One kernel path.
 *   seed:        the lanes of a generator block (simdrop_seed_block, compiled for the path).
 *   skip:        advance the lanes by `rounds` rounds.
 *   mask:        the keep words of `rounds` rounds, 4 bytes each, little-endian, to `out`.
 *   fence:       orders the non-temporal stores of earlier calls before later loads and stores
 *                (once at the end of every range that asked for them).
 *   gen[R][D]:   rule R on dtype D with keep decisions from the generator.
 *   gen2[R][D]:  two such runs at once (the walk gives it two whole blocks, 64 KiB apart where
 *                the call is that long: walk.c's pair_apart): a path whose one run waits on the
 *                generator's latency interleaves them (SIMDROP_STREAMS in simd_template.h); the
 *                others' is two gen calls (table.h's default).
 *   rows[R][D]:  gen over the rows of simdrop_rows, the lanes skipping the gaps, left after the
 *                last row (the walk's column shards: one call per generator block, where one
 *                per row cost more than a narrow row's elements); table.h's default is a gen
 *                and a skip call a row.
 *   rows2[R][D]: rows twice at once, for two generator blocks with rows of the same shape: a
 *                path whose skipping waits on the generator's latency interleaves them where
 *                neither streams (SIMDROP_STREAMS in simd_template.h; native builds only); the
 *                others' is two rows calls (table.h's default).
 *   rows_prefetch: 1 where rows[R][D] of a large job (a->nt) whose rows of y are all 64-byte
 *                aligned prefetches its inputs through the rows, past its last row into the
 *                next ones (simd_template.h's rows_loop); 0 where the walk prefetches the rows.
 *   bits[R][D]:  rule R (RULE_SCALE or RULE_AFFINE) on dtype D with keep decisions read from a
 *                bitmask (backward, and group dropout after expanding the group bits).
 *   accumulate:  acc[i] += v[i] for i < n, in float (double for f64): the bias gradient.
 *   narrow[D], widen[D]: for D = DT_BF16 and DT_F16 (NULL for the others), dst[i] = src[i] for
 *                i < n, floats rounded to D and elements of D widened to float, by the very
 *                conversions the path's kernels use: checkasm compares them with scalar's over
 *                every float and every half. */
typedef struct simdrop_kernels {
    const char *name;
    void (*seed)(simdrop_lanes *st, uint64_t key, uint64_t block);
    void (*skip)(simdrop_lanes *st, size_t rounds);
    void (*mask)(uint8_t *out, simdrop_lanes *st, size_t rounds, uint32_t threshold);
    void (*fence)(void);
    simdrop_gen_fn gen[RULE_COUNT][DT_COUNT];
    simdrop_gen2_fn gen2[RULE_COUNT][DT_COUNT];
    simdrop_rows_fn rows[RULE_COUNT][DT_COUNT];
    simdrop_rows2_fn rows2[RULE_COUNT][DT_COUNT];
    int rows_prefetch;
    simdrop_bits_fn bits[SIMDROP_BITS_RULES][DT_COUNT];
    void (*accumulate[DT_COUNT])(void *acc, const void *v, size_t n);
    void (*narrow[DT_COUNT])(void *dst, const float *src, size_t n);
    void (*widen[DT_COUNT])(float *dst, const void *src, size_t n);
} simdrop_kernels;

/* Every path's table, from the one list meson generates (simdrop_paths.h). */
#include "simdrop_paths.h"
#define SIMDROP_DECLARE_TABLE(id, name, needs, emulated) extern const simdrop_kernels simdrop_kernels_##id;
extern const simdrop_kernels simdrop_kernels_scalar;
/* simdrop_seed_block built at the baseline ISA (generic/scalar.c): the seed entry of every path
 * that does not compile its own (table.h). */
void simdrop_seed_baseline(simdrop_lanes *st, uint64_t key, uint64_t block);
SIMDROP_PATHS(SIMDROP_DECLARE_TABLE)
#undef SIMDROP_DECLARE_TABLE

#endif /* SIMDROP_KERNEL_H */
