/* job.h: one checked call as data: what to compute, over which units; walk.c runs any range of units. */
#ifndef SIMDROP_JOB_H
#define SIMDROP_JOB_H

#include "template/kernel.h"

/* What a job walks over. A unit is the piece the parallel runner may hand to one task:
 *   JOB_GEN      elements, keep bits from the generator (forward, regen, mask only)
 *   JOB_BITS     elements, keep bits read from mask_in (backward)
 *   JOB_GROUPS   groups of group_len elements (channel dropout, drop-path, feature alpha)
 *   JOB_NHWC     samples of spatial x channels interleaved elements, one keep bit per
 *                (sample, channel): channel dropout on channels-last tensors
 *   JOB_COPY     elements copied unchanged (alpha dropout at p == 0)
 *   JOB_DBIAS    row chunks of the bias gradient (MASK_SPEC.md section 4.5): dx from the
 *                generator or mask_in, and each chunk's column sums into its own slot
 *   JOB_ROWS     rows of a block (strided), keep bits from the generator or mask_in
 *   JOB_PARTIALS granules of a block's bias gradient (MASK_SPEC.md section 4.7): dx of their
 *                rows, and each granule's column sums into its own row of dbias
 *   JOB_REDUCE   columns of simdrop_dbias_reduce: the partial sums (x, rows of them) folded
 *   JOB_TO_BYTES, JOB_FROM_BYTES   bitmask <-> one byte per element, by bytes of the bitmask */
enum simdrop_job_kind { JOB_GEN, JOB_BITS, JOB_GROUPS, JOB_COPY, JOB_DBIAS, JOB_ROWS,
                        JOB_PARTIALS, JOB_REDUCE, JOB_TO_BYTES, JOB_FROM_BYTES, JOB_NHWC };

#define SIMDROP_DBIAS_CHUNKS 16 /* row chunks of the bias gradient's summation order */

typedef struct simdrop_job {
    const simdrop_kernels *k;
    int kind;
    int rule;             /* values.h rule, or RULE_NONE (-1) for the mask alone */
    int dt;
    int from_bits;        /* JOB_GROUPS, JOB_NHWC, JOB_DBIAS: keep bits from mask_in, not the generator */
    void *y;              /* output elements (dx for the backward jobs) */
    const void *x;        /* input elements (dy) */
    const void *bias;     /* cols elements, repeated along the rows (bias rules), of dtype bias_dt */
    int bias_dt;          /* the kernels' bias type (DT_F32, DT_F64: kernel.h's simdrop_kargs),
                             or the 16-bit dt of a row not widened whole (simdrop.c): the walk then
                             widens it a kernel call's elements at a time */
    const void *resid;    /* residual, n elements */
    uint8_t *mask_out;    /* bit u of the call's units, or NULL */
    const uint8_t *mask_in;
    size_t n;             /* elements */
    size_t units;         /* elements, groups, or row chunks */
    size_t group_len;     /* JOB_GROUPS */
    size_t rows, cols;    /* bias rules, blocks, the bias gradient jobs (JOB_REDUCE: granules, cols) */
    size_t spatial, channels; /* JOB_NHWC: units are samples; group s * channels + c is the
                                 keep bit of channel c of sample s */
    uint64_t key;         /* simdrop_seed_key(seed) */
    uint64_t offset;      /* global index of unit 0 (elements, or groups) */
    uint32_t threshold;
    simdrop_consts c;
    int nt;               /* the output is large enough for non-temporal stores: kernel.h's
                             SIMDROP_NT_ANY, else SIMDROP_NT_NONE */
    void *dbias;          /* JOB_DBIAS: the gradient (float, double for f64), or NULL */
    void *slots;          /* JOB_DBIAS: chunk c > 0 sums into slot c - 1 (cols each) */
    int progressive;      /* JOB_DBIAS run as one range: one slot, each chunk folded at once */
    /* A strided job (the rows of a block): element k is (k / cols, k % cols), at global index
     * offset + (k / cols) * row_step + k % cols, at (k / cols) * ldx + k % cols of x and at
     * (k / cols) * ldy + k % cols of y and resid. Otherwise element k is k of every array and
     * has global index offset + k. */
    int strided;
    size_t ldx, ldy;
    uint64_t row_step;    /* the global tensor's row length */
    size_t granule;       /* JOB_PARTIALS: rows per partial sum */
} simdrop_job;

/* Units [u0, u1) of the job; u0 must be a multiple of simdrop_job_grain(), which also makes
 * the bytes that tasks of one job write disjoint. */
void simdrop_job_run(const simdrop_job *j, size_t u0, size_t u1);
size_t simdrop_job_grain(const simdrop_job *j);

/* Whether a contiguous job with a bias row runs faster as the rows of a block (JOB_ROWS). */
int simdrop_job_rows_repeat_bias(const simdrop_job *j);

/* After every range has run: folds the bias gradient's chunk slots in chunk order. */
void simdrop_job_finish(const simdrop_job *j);

#endif
