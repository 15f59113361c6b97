/* simdrop.c: the public entry points: each one's checks (src/check.c, from its row of data), then one job per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdrop.h"
#include "check.h"
#include "dispatch.h"
#include "job.h"
#include "parallel.h"
#include "platform.h"

/* The call descriptions pass the library's dtype as it is. */
_Static_assert((int)DT_F32 == SIMDROP_DTYPE_F32 && (int)DT_F64 == SIMDROP_DTYPE_F64 &&
                   (int)DT_BF16 == SIMDROP_DTYPE_BF16 && (int)DT_F16 == SIMDROP_DTYPE_F16,
               "check.h's dtypes are values.h's");

/* ---- errors: the code, and the thread's last message --------------------------------------- */

/* Written only when a call fails, so a successful call never touches it (docs/API.md,
 * "Errors and version"). */
static SIMDROP_THREAD_LOCAL char last_error[384];

const char *simdrop_last_error(void)
{
    return last_error;
}

/* ---- the failure paths: the message, then the code --------------------------------------- */

/* An argument error: check.c's message. */
static int rejected(const simdrop_call *c, const simdrop_fault *f)
{
    simdrop_check_message(c, f, "simdrop_", last_error, sizeof last_error);
    return f->status;
}

/* Any other failure: "<function>: <why> (<code>)". */
static int failed(const simdrop_call *c, int status, const char *why)
{
    simdrop_call_name(c, "simdrop_", last_error, sizeof last_error);
    const size_t len = strlen(last_error);
    snprintf(last_error + len, sizeof last_error - len, ": %s (%s)", why,
             simdrop_status_name(status));
    return status;
}

/* A bad setting, found by ready(). */
static int unready(const simdrop_call *c, int status)
{
    if (status == SIMDROP_ETHREADS)
        return failed(c, status, "SIMDROP_NUM_THREADS is not a count from 1 to 1024 (every call "
                                 "fails until simdrop_set_num_threads succeeds)");
    return failed(c, status, status == SIMDROP_EISA_UNKNOWN
                                 ? "SIMDROP_ISA names no kernel path (every call fails until "
                                   "simdrop_set_isa succeeds)"
                                 : "SIMDROP_ISA names a kernel path that is not built or that "
                                   "this CPU/OS cannot run (every call fails until "
                                   "simdrop_set_isa succeeds)");
}

/* A job that failed: before writing anything (SIMDROP_ENOMEM, SIMDROP_ETHREADS), or after it
 * ran, when the engine's pool did not run every task exactly once (SIMDROP_EPARALLEL). */
static int ran(const simdrop_call *c, int status)
{
    if (status == SIMDROP_EPARALLEL)
        return failed(c, status, "the engine's thread pool did not run every task exactly once; "
                                 "what the call wrote is unspecified");
    return failed(c, status, status == SIMDROP_ENOMEM
                                 ? "no memory for the bias gradient's scratch space"
                                 : "a worker thread could not be started");
}

/* The elements a call covers (its counts multiplied, SIZE_MAX where that overflows): what
 * picks the path of a small call (dispatch.c's SMALL_CALL). */
static size_t call_elements(const simdrop_call *c)
{
    const size_t more[2] = {c->b, c->channels};
    size_t n = c->a;
    for (int i = 0; i < 2; i++)
        if (more[i])
            n = n > SIZE_MAX / more[i] ? SIZE_MAX : n * more[i];
    return n;
}

/* What every call that runs kernels needs after its argument checks: the path (a bad
 * SIMDROP_ISA) and the thread setting (a bad SIMDROP_NUM_THREADS) fail every such call, even
 * an empty one. */
static int ready(const simdrop_call *c, const simdrop_kernels **k)
{
    int status;
    *k = simdrop_active_kernels(call_elements(c), &status);
    return status ? status : simdrop_parallel_status();
}

/* The body of every entry point: the checks of the call described by the initializer (its row of
 * check.h's table, the dtype, the counts, p, offset and its buffers in parameter order; check.h
 * is inline, so the row folds into this function), the settings, then `run`, which may use k.
 * Only the failure paths write the thread's message. */
#define ENTRY_BODY(run, ...) ENTRY_CALL(run, NULL, 0, __VA_ARGS__)

/* The same for a block function: its block b (which may be NULL: the check refuses that
 * before anything reads it) and the bias gradient's granule. */
#define BLK(b, field) ((b) ? (b)->field : 0)
#define BLOCK_ENTRY_BODY(run, b, granule, ...)                                                     \
    const simdrop_block_shape shape = {BLK(b, row0), BLK(b, col0), BLK(b, global_cols),            \
                                       BLK(b, ldx), BLK(b, ldy), granule};                         \
    ENTRY_CALL(run, (b) ? &shape : NULL, 0, __VA_ARGS__)

/* The same for a channels-last function: SIMDROP_SHAPE_NHWC's third count. */
#define NHWC_ENTRY_BODY(run, channels, ...) ENTRY_CALL(run, NULL, channels, __VA_ARGS__)

/* The call's fields after the buffers: the block (or NULL) and the channels (or 0). */
#define ENTRY_CALL(run, block, channels, ...)                                                      \
    const simdrop_call c = {__VA_ARGS__, block, channels};                                         \
    const simdrop_kernels *k = NULL;                                                               \
    simdrop_fault f;                                                                               \
    int status;                                                                                    \
    if ((status = simdrop_check(&c, &f)))                                                          \
        return rejected(&c, &f);                                                                   \
    if ((status = ready(&c, &k)))                                                                  \
        return unready(&c, status);                                                                \
    return (status = (run)) ? ran(&c, status) : SIMDROP_OK

#define PTR(p) simdrop_buf_ptr(p)

/* A job with the fields every kind shares. */
static simdrop_job job_new(const simdrop_kernels *k, int kind, int rule, int dt, size_t units)
{
    simdrop_job j;
    memset(&j, 0, sizeof j);
    j.k = k;
    j.kind = kind;
    j.rule = rule;
    j.dt = dt;
    j.units = units;
    return j;
}

static void set_keep(simdrop_job *j, double p, uint64_t seed, uint64_t offset)
{
    j->threshold = simdrop_threshold(p);
    j->key = simdrop_seed_key(seed);
    j->offset = offset;
}

/* Non-temporal stores for outputs far larger than the caches (dispatch.c says how large). */
static void set_output(simdrop_job *j, void *y, const void *x, size_t n)
{
    j->y = y;
    j->x = x;
    j->n = n;
    j->nt = n * simdrop_dtype_size(j->dt) >= simdrop_nt_bytes() ? SIMDROP_NT_ANY : SIMDROP_NT_NONE;
}

/* ---- element dropout ------------------------------------------------------------------------
 * The runners below take checked arguments (ENTRY_BODY's checks passed) and return
 * simdrop_run's status. */

static int element_forward(const simdrop_kernels *k, int dt, void *y, uint8_t *mask,
                           const void *x, size_t n, double p, uint64_t seed, uint64_t offset)
{
    if (!n)
        return SIMDROP_OK;
    simdrop_job j = job_new(k, JOB_GEN, RULE_SCALE, dt, n);
    set_keep(&j, p, seed, offset);
    set_output(&j, y, x, n);
    j.mask_out = mask;
    j.c = simdrop_dropout_consts(p);
    return simdrop_run(&j);
}

/* Backward from a stored mask, by `rule` with constants c (dropout's s, or alpha's A). */
static int element_backward(const simdrop_kernels *k, int dt, void *dx, const void *dy,
                            const uint8_t *mask, size_t n, simdrop_consts c)
{
    if (!n)
        return SIMDROP_OK;
    simdrop_job j = job_new(k, JOB_BITS, RULE_SCALE, dt, n);
    set_output(&j, dx, dy, n);
    j.mask_in = mask;
    j.c = c;
    return simdrop_run(&j);
}

/* ---- groups: channel dropout, drop-path and alpha dropout ----------------------------------- */

static int groups_forward(const simdrop_kernels *k, int dt, int family, void *y, uint8_t *mask,
                          const void *x, size_t groups, size_t group_len, double p,
                          uint64_t seed, uint64_t offset)
{
    if (!groups)
        return SIMDROP_OK;
    const size_t n = groups * group_len;
    /* group_len == 1 is element dropout: the same bits, without expanding group bits. */
    simdrop_job j = job_new(k, group_len == 1 ? JOB_GEN : JOB_GROUPS, RULE_SCALE, dt,
                            group_len == 1 ? n : groups);
    set_keep(&j, p, seed, offset);
    set_output(&j, y, x, n);
    j.group_len = group_len;
    j.mask_out = mask;
    j.rule = simdrop_family_rule(family, p);
    j.c = simdrop_family_consts(family, p);
    /* alpha dropout at p == 0 is the identity: a copy, every bit kept */
    if (family == FAMILY_ALPHA && p == 0.0) {
        j.kind = JOB_COPY;
        j.units = n;
        int status;
        if ((status = simdrop_run(&j)) || !mask) /* a failed copy leaves the mask alone */
            return status;
        memset(mask, 0xff, groups / 8);
        if (groups % 8)
            mask[groups / 8] = (uint8_t)((1u << (groups % 8)) - 1); /* bits past the end are 0 */
        return SIMDROP_OK;
    }
    return simdrop_run(&j);
}

static int groups_backward(const simdrop_kernels *k, int dt, int family, void *dx,
                           const void *dy, const uint8_t *mask, size_t groups, size_t group_len,
                           double p)
{
    if (group_len == 1 || !groups) /* element backward */
        return element_backward(k, dt, dx, dy, mask, groups, simdrop_backward_consts(family, p));
    simdrop_job j = job_new(k, JOB_GROUPS, RULE_SCALE, dt, groups);
    set_output(&j, dx, dy, groups * group_len);
    j.group_len = group_len;
    j.from_bits = 1;
    j.mask_in = mask;
    j.c = simdrop_backward_consts(family, p);
    return simdrop_run(&j);
}

static int groups_regen(const simdrop_kernels *k, int dt, int family, void *dx, const void *dy,
                        size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
{
    if (!groups)
        return SIMDROP_OK;
    const size_t n = groups * group_len;
    simdrop_job j = job_new(k, group_len == 1 ? JOB_GEN : JOB_GROUPS, RULE_SCALE, dt,
                            group_len == 1 ? n : groups);
    set_keep(&j, p, seed, offset);
    set_output(&j, dx, dy, n);
    j.group_len = group_len;
    j.c = simdrop_backward_consts(family, p);
    return simdrop_run(&j);
}

/* ---- channels-last groups: (samples, spatial..., channels), a keep bit per (sample, channel) -----
 * With one channel or one spatial position, the memory order is the NCHW one: the groups
 * runners above give the same bits and values (and alpha dropout at p == 0 is a copy whatever
 * the order). Otherwise the job walks samples (walk.c, nhwc_range). */

static int nhwc_is_nchw(int family, size_t spatial, size_t channels, double p)
{
    return spatial == 1 || channels == 1 || (family == FAMILY_ALPHA && p == 0.0);
}

static simdrop_job nhwc_job(const simdrop_kernels *k, int dt, void *y, const void *x,
                            size_t samples, size_t spatial, size_t channels)
{
    simdrop_job j = job_new(k, JOB_NHWC, RULE_SCALE, dt, samples);
    set_output(&j, y, x, samples * spatial * channels);
    j.spatial = spatial;
    j.channels = channels;
    return j;
}

static int nhwc_forward(const simdrop_kernels *k, int dt, int family, void *y, uint8_t *mask,
                        const void *x, size_t samples, size_t spatial, size_t channels, double p,
                        uint64_t seed, uint64_t offset)
{
    if (!samples || !channels || nhwc_is_nchw(family, spatial, channels, p))
        return groups_forward(k, dt, family, y, mask, x, samples * channels, spatial, p, seed,
                              offset);
    simdrop_job j = nhwc_job(k, dt, y, x, samples, spatial, channels);
    set_keep(&j, p, seed, offset);
    j.mask_out = mask;
    j.rule = simdrop_family_rule(family, p);
    j.c = simdrop_family_consts(family, p);
    return simdrop_run(&j);
}

static int nhwc_backward(const simdrop_kernels *k, int dt, int family, void *dx, const void *dy,
                         const uint8_t *mask, size_t samples, size_t spatial, size_t channels,
                         double p)
{
    if (!samples || !channels || nhwc_is_nchw(FAMILY_SCALED, spatial, channels, p))
        return groups_backward(k, dt, family, dx, dy, mask, samples * channels, spatial, p);
    simdrop_job j = nhwc_job(k, dt, dx, dy, samples, spatial, channels);
    j.from_bits = 1;
    j.mask_in = mask;
    j.c = simdrop_backward_consts(family, p);
    return simdrop_run(&j);
}

static int nhwc_regen(const simdrop_kernels *k, int dt, int family, void *dx, const void *dy,
                      size_t samples, size_t spatial, size_t channels, double p, uint64_t seed,
                      uint64_t offset)
{
    if (!samples || !channels || nhwc_is_nchw(FAMILY_SCALED, spatial, channels, p))
        return groups_regen(k, dt, family, dx, dy, samples * channels, spatial, p, seed, offset);
    simdrop_job j = nhwc_job(k, dt, dx, dy, samples, spatial, channels);
    set_keep(&j, p, seed, offset);
    j.c = simdrop_backward_consts(family, p);
    return simdrop_run(&j);
}

/* ---- fused bias + dropout + residual ---------------------------------------------------------- */

/* The fused op's rule: which of bias and residual take part. */
static int bda_rule(const void *bias, const void *resid)
{
    return bias ? (resid ? RULE_BIAS_RESID : RULE_BIAS) : (resid ? RULE_RESID : RULE_SCALE);
}

/* ---- blocks of a global tensor ----------------------------------------------------------------- */

/* A block's fields of its job: rows and strides, and the global index of element (0, 0) (only
 * for a block with elements: the range check holds it below 2^64 then). A block whose rows
 * follow each other in memory and in the index space (one row, or full-width rows with
 * ld == cols) is one contiguous range and runs as the contiguous job, with no work per row,
 * unless the walk would lay its bias row out again for each kernel call (walk.c's
 * simdrop_job_rows_repeat_bias). */
static void set_block(simdrop_job *j, int rows_kind, const simdrop_block *b, uint64_t offset)
{
    j->rows = b->rows;
    j->cols = b->cols;
    j->ldx = b->ldx;
    j->ldy = b->ldy;
    j->row_step = b->global_cols;
    j->offset = offset + (uint64_t)b->row0 * b->global_cols + b->col0;
    j->strided = !simdrop_block_is_one_range(b->rows, b->cols, b->global_cols, b->ldx, b->ldy) ||
                 (rows_kind && simdrop_job_rows_repeat_bias(j));
    if (j->strided && rows_kind) {
        j->kind = JOB_ROWS;
        j->units = b->rows;
    }
}

/* A 16-bit bias row is widened to float once per call, and every row and thread reads that
 * copy: a row of at most WIDE_STACK_COLS columns on the caller's stack (4 KiB: a call's stack
 * use grew from 38.7 to 42.6 KB, where 16 KiB for 4096 columns made it 54.9), a longer one of a
 * call with more than one row in a heap buffer. Otherwise (one row, or no memory: never an
 * error) the walk widens it a kernel call's elements at a time (bias_run), as the rows use it. */
#define WIDE_STACK_COLS 1024

/* The bias row of job j as its kernels read it (kernel.h's simdrop_kargs), widened into
 * on_stack or a buffer it allocates into *on_heap (the caller frees it), or left for the walk. */
static void set_bias(simdrop_job *j, const void *bias, const simdrop_block *b,
                     float on_stack[WIDE_STACK_COLS], float **on_heap)
{
    j->bias = bias;
    j->bias_dt = j->dt == DT_F64 ? DT_F64 : DT_F32;
    if (!bias || simdrop_bias_size(j->dt) == simdrop_dtype_size(j->dt))
        return;
    float *wide = b->cols <= WIDE_STACK_COLS ? on_stack
                  : b->rows > 1                ? (*on_heap = malloc(b->cols * sizeof(float)))
                                               : NULL;
    if (wide) {
        j->k->widen[j->dt](wide, bias, b->cols); /* the path's own conversion, exact */
        j->bias = wide;
    } else {
        j->bias_dt = j->dt;
    }
}

/* Forward and regen of element dropout and of the fused op on a block: keep bits from the
 * generator. */
static int block_gen(const simdrop_kernels *k, int dt, void *y, uint8_t *mask, const void *x,
                     const void *bias, const void *resid, const simdrop_block *b, double p,
                     uint64_t seed, uint64_t offset)
{
    const size_t n = b->rows * b->cols;
    if (!n)
        return SIMDROP_OK;
    simdrop_job j = job_new(k, JOB_GEN, bda_rule(bias, resid), dt, n);
    set_keep(&j, p, seed, offset);
    set_output(&j, y, x, n);
    float wide[WIDE_STACK_COLS], *wide_heap = NULL;
    set_bias(&j, bias, b, wide, &wide_heap);
    j.resid = resid;
    j.mask_out = mask;
    j.c = simdrop_dropout_consts(p);
    set_block(&j, 1, b, offset);
    const int status = simdrop_run(&j);
    free(wide_heap);
    return status;
}

/* Backward on a block, from `mask` or regenerated (regen), with the bias gradient when dbias is
 * not NULL: 4.5's chunks of the block's rows (granule 0) or 4.7's partial sums. */
static int block_backward(const simdrop_kernels *k, int dt, void *dx, void *dbias,
                          const void *dout, const uint8_t *mask, int regen,
                          const simdrop_block *b, size_t granule, double p, uint64_t seed,
                          uint64_t offset)
{
    const size_t n = b->rows * b->cols;
    if (!n) {
        if (dbias && !granule) /* a sum over no rows; with granules, no granule at all */
            memset(dbias, 0, b->cols * (dt == DT_F64 ? sizeof(double) : sizeof(float)));
        return SIMDROP_OK;
    }
    const int kind = !dbias ? (regen ? JOB_GEN : JOB_BITS) : granule ? JOB_PARTIALS : JOB_DBIAS;
    const size_t units = kind == JOB_PARTIALS ? b->rows / granule + (b->rows % granule != 0)
                         : kind == JOB_DBIAS  ? SIMDROP_DBIAS_CHUNKS
                                              : n;
    simdrop_job j = job_new(k, kind, RULE_SCALE, dt, units);
    if (regen)
        set_keep(&j, p, seed, offset);
    set_output(&j, dx, dout, n);
    /* With dbias, each span or row of dx is read back for its column sums right after it is
     * made: non-temporal stores would send it to memory first, and the sums fetch it back. On
     * the AMD Zen 5 VM (16M f32 elements, one core), from the mask: 5.1 ms against 3.5 with
     * regular stores; a column shard 1 of 4 by regeneration: 11.2 against 6.1. */
    if (dbias)
        j.nt = SIMDROP_NT_NONE;
    j.from_bits = !regen;
    j.mask_in = mask;
    j.dbias = dbias;
    j.granule = granule;
    j.c = simdrop_dropout_consts(p);
    set_block(&j, !dbias, b, offset);
    return simdrop_run(&j);
}

static int dbias_reduce(const simdrop_kernels *k, int dt, void *dbias, const void *partials,
                        size_t granules, size_t cols)
{
    if (!cols)
        return SIMDROP_OK;
    if (!granules) {
        if (dbias)
            memset(dbias, 0, cols * (dt == DT_F64 ? sizeof(double) : sizeof(float)));
        return SIMDROP_OK;
    }
    simdrop_job j = job_new(k, JOB_REDUCE, RULE_NONE, dt, cols);
    j.dbias = dbias;
    j.x = partials;
    j.rows = granules;
    j.cols = cols;
    return simdrop_run(&j);
}

/* The fused op over rows x cols is the block of all rows of a rows x cols tensor, which
 * set_block runs as the contiguous job: one implementation for both. */
static int bda_forward(const simdrop_kernels *k, int dt, void *out, uint8_t *mask, const void *x,
                       const void *bias, const void *resid, size_t rows, size_t cols, double p,
                       uint64_t seed, uint64_t offset)
{
    const simdrop_block b = {rows, cols, 0, 0, cols, cols, cols};
    return block_gen(k, dt, out, mask, x, bias, resid, &b, p, seed, offset);
}

/* Backward from `mask`, or regenerated from (seed, offset) when mask is NULL and regen is set:
 * MASK_SPEC.md 4.5's chunks over all rows. */
static int bda_backward(const simdrop_kernels *k, int dt, void *dx, void *dbias, const void *dout,
                        const uint8_t *mask, int regen, size_t rows, size_t cols, double p,
                        uint64_t seed, uint64_t offset)
{
    const simdrop_block b = {rows, cols, 0, 0, cols, cols, cols};
    return block_backward(k, dt, dx, dbias, dout, mask, regen, &b, 0, p, seed, offset);
}

/* ---- the public functions: ENTRY_BODY, one per function and dtype --------------------------- */

#define SIMDROP_DTYPE_API(dt, T, DT)                                                                 \
    int simdrop_forward_##dt(T *y, uint8_t *mask, const T *x, size_t n, double p, uint64_t seed,     \
                             uint64_t offset)                                                        \
    {                                                                                                \
        ENTRY_BODY(element_forward(k, DT, y, mask, x, n, p, seed, offset),                           \
                   SIMDROP_ENTRY_FORWARD, DT, n, 0, p, offset, {PTR(y), PTR(mask), PTR(x)});         \
    }                                                                                                \
    int simdrop_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t n, double p)           \
    {                                                                                                \
        ENTRY_BODY(element_backward(k, DT, dx, dy, mask, n, simdrop_dropout_consts(p)),              \
                   SIMDROP_ENTRY_BACKWARD, DT, n, 0, p, 0, {PTR(dx), PTR(dy), PTR(mask)});           \
    }                                                                                                \
    int simdrop_backward_regen_##dt(T *dx, const T *dy, size_t n, double p, uint64_t seed,           \
                                    uint64_t offset)                                                 \
    {                                                                                                \
        /* The regenerated mask is the forward mask, and dx = dy * f is forward's formula. */        \
        ENTRY_BODY(element_forward(k, DT, dx, NULL, dy, n, p, seed, offset),                         \
                   SIMDROP_ENTRY_BACKWARD_REGEN, DT, n, 0, p, offset, {PTR(dx), PTR(dy)});           \
    }                                                                                                \
    int simdrop_forward_groups_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                  \
                                    size_t group_len, double p, uint64_t seed, uint64_t offset)      \
    {                                                                                                \
        ENTRY_BODY(groups_forward(k, DT, FAMILY_SCALED, y, mask, x, groups, group_len, p, seed,      \
                                  offset),                                                           \
                   SIMDROP_ENTRY_FORWARD_GROUPS, DT, groups, group_len, p, offset,                   \
                   {PTR(y), PTR(mask), PTR(x)});                                                     \
    }                                                                                                \
    int simdrop_backward_groups_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,         \
                                     size_t group_len, double p)                                     \
    {                                                                                                \
        ENTRY_BODY(groups_backward(k, DT, FAMILY_SCALED, dx, dy, mask, groups, group_len, p),        \
                   SIMDROP_ENTRY_BACKWARD_GROUPS, DT, groups, group_len, p, 0,                       \
                   {PTR(dx), PTR(dy), PTR(mask)});                                                   \
    }                                                                                                \
    int simdrop_backward_groups_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,      \
                                           double p, uint64_t seed, uint64_t offset)                 \
    {                                                                                                \
        ENTRY_BODY(groups_regen(k, DT, FAMILY_SCALED, dx, dy, groups, group_len, p, seed, offset),   \
                   SIMDROP_ENTRY_BACKWARD_GROUPS_REGEN, DT, groups, group_len, p, offset,            \
                   {PTR(dx), PTR(dy)});                                                              \
    }                                                                                                \
    int simdrop_alpha_forward_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                   \
                                   size_t group_len, double p, uint64_t seed, uint64_t offset)       \
    {                                                                                                \
        ENTRY_BODY(groups_forward(k, DT, FAMILY_ALPHA, y, mask, x, groups, group_len, p, seed,       \
                                  offset),                                                           \
                   SIMDROP_ENTRY_ALPHA_FORWARD, DT, groups, group_len, p, offset,                    \
                   {PTR(y), PTR(mask), PTR(x)});                                                     \
    }                                                                                                \
    int simdrop_alpha_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,          \
                                    size_t group_len, double p)                                      \
    {                                                                                                \
        ENTRY_BODY(groups_backward(k, DT, FAMILY_ALPHA, dx, dy, mask, groups, group_len, p),         \
                   SIMDROP_ENTRY_ALPHA_BACKWARD, DT, groups, group_len, p, 0,                        \
                   {PTR(dx), PTR(dy), PTR(mask)});                                                   \
    }                                                                                                \
    int simdrop_alpha_backward_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,       \
                                          double p, uint64_t seed, uint64_t offset)                  \
    {                                                                                                \
        ENTRY_BODY(groups_regen(k, DT, FAMILY_ALPHA, dx, dy, groups, group_len, p, seed, offset),    \
                   SIMDROP_ENTRY_ALPHA_BACKWARD_REGEN, DT, groups, group_len, p, offset,             \
                   {PTR(dx), PTR(dy)});                                                              \
    }                                                                                                \
    int simdrop_unscaled_forward_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                \
                                      size_t group_len, double p, uint64_t seed, uint64_t offset)    \
    {                                                                                                \
        ENTRY_BODY(groups_forward(k, DT, FAMILY_UNSCALED, y, mask, x, groups, group_len, p, seed,    \
                                  offset),                                                           \
                   SIMDROP_ENTRY_UNSCALED_FORWARD, DT, groups, group_len, p, offset,                 \
                   {PTR(y), PTR(mask), PTR(x)});                                                     \
    }                                                                                                \
    int simdrop_unscaled_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,       \
                                       size_t group_len)                                             \
    {                                                                                                \
        /* no p: the factor is 1 */                                                                  \
        ENTRY_BODY(groups_backward(k, DT, FAMILY_UNSCALED, dx, dy, mask, groups, group_len, 0.0),    \
                   SIMDROP_ENTRY_UNSCALED_BACKWARD, DT, groups, group_len, 0.0, 0,                   \
                   {PTR(dx), PTR(dy), PTR(mask)});                                                   \
    }                                                                                                \
    int simdrop_unscaled_backward_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,    \
                                             double p, uint64_t seed, uint64_t offset)               \
    {                                                                                                \
        ENTRY_BODY(groups_regen(k, DT, FAMILY_UNSCALED, dx, dy, groups, group_len, p, seed, offset), \
                   SIMDROP_ENTRY_UNSCALED_BACKWARD_REGEN, DT, groups, group_len, p, offset,          \
                   {PTR(dx), PTR(dy)});                                                              \
    }                                                                                                \
    int simdrop_bias_dropout_add_##dt(T *out, uint8_t *mask, const T *x, const T *bias,              \
                                      const T *residual, size_t rows, size_t cols, double p,         \
                                      uint64_t seed, uint64_t offset)                                \
    {                                                                                                \
        ENTRY_BODY(bda_forward(k, DT, out, mask, x, bias, residual, rows, cols, p, seed, offset),    \
                   SIMDROP_ENTRY_BDA, DT, rows, cols, p, offset,                                     \
                   {PTR(out), PTR(mask), PTR(x), PTR(bias), PTR(residual)});                         \
    }

/* The bias gradient's type A: double for f64, float otherwise. */
#define SIMDROP_BDA_BACKWARD_API(dt, T, A, DT)                                                       \
    int simdrop_bias_dropout_add_backward_##dt(T *dx, A *dbias, const T *dout, const uint8_t *mask,  \
                                               size_t rows, size_t cols, double p)                   \
    {                                                                                                \
        ENTRY_BODY(bda_backward(k, DT, dx, dbias, dout, mask, 0, rows, cols, p, 0, 0),               \
                   SIMDROP_ENTRY_BDA_BACKWARD, DT, rows, cols, p, 0,                                 \
                   {PTR(dx), PTR(dbias), PTR(dout), PTR(mask)});                                     \
    }                                                                                                \
    int simdrop_bias_dropout_add_backward_regen_##dt(T *dx, A *dbias, const T *dout, size_t rows,    \
                                                     size_t cols, double p, uint64_t seed,           \
                                                     uint64_t offset)                                \
    {                                                                                                \
        ENTRY_BODY(bda_backward(k, DT, dx, dbias, dout, NULL, 1, rows, cols, p, seed, offset),       \
                   SIMDROP_ENTRY_BDA_BACKWARD_REGEN, DT, rows, cols, p, offset,                      \
                   {PTR(dx), PTR(dbias), PTR(dout)});                                                \
    }

/* Channels-last group and alpha dropout: (forward, backward, regen) x (dropout, alpha). The call
 * description's counts are (samples, spatial), and channels its third. */
#define SIMDROP_NHWC_API(dt, T, DT)                                                                  \
    SIMDROP_NHWC_FAMILY(dt, T, DT, forward_groups_nhwc, backward_groups_nhwc,                        \
                        backward_groups_nhwc_regen, FAMILY_SCALED, GROUPS_NHWC)                      \
    SIMDROP_NHWC_FAMILY(dt, T, DT, alpha_forward_nhwc, alpha_backward_nhwc,                          \
                        alpha_backward_nhwc_regen, FAMILY_ALPHA, ALPHA_NHWC)
#define SIMDROP_NHWC_FAMILY(dt, T, DT, fwd, bwd, rgn, family, E)                                     \
    int simdrop_##fwd##_##dt(T *y, uint8_t *mask, const T *x, size_t samples, size_t spatial,        \
                             size_t channels, double p, uint64_t seed, uint64_t offset)              \
    {                                                                                                \
        NHWC_ENTRY_BODY(nhwc_forward(k, DT, family, y, mask, x, samples, spatial, channels, p, seed, \
                                     offset),                                                        \
                        channels, SIMDROP_ENTRY_FORWARD_##E, DT, samples, spatial, p, offset,        \
                        {PTR(y), PTR(mask), PTR(x)});                                                \
    }                                                                                                \
    int simdrop_##bwd##_##dt(T *dx, const T *dy, const uint8_t *mask, size_t samples,                \
                             size_t spatial, size_t channels, double p)                              \
    {                                                                                                \
        NHWC_ENTRY_BODY(nhwc_backward(k, DT, family, dx, dy, mask, samples, spatial, channels, p),   \
                        channels, SIMDROP_ENTRY_BACKWARD_##E, DT, samples, spatial, p, 0,            \
                        {PTR(dx), PTR(dy), PTR(mask)});                                              \
    }                                                                                                \
    int simdrop_##rgn##_##dt(T *dx, const T *dy, size_t samples, size_t spatial, size_t channels,    \
                             double p, uint64_t seed, uint64_t offset)                               \
    {                                                                                                \
        NHWC_ENTRY_BODY(nhwc_regen(k, DT, family, dx, dy, samples, spatial, channels, p, seed,       \
                                   offset),                                                          \
                        channels, SIMDROP_ENTRY_BACKWARD_##E##_REGEN, DT, samples, spatial, p,       \
                        offset, {PTR(dx), PTR(dy)});                                                 \
    }

#define SIMDROP_BLOCK_API(dt, T, A, DT)                                                              \
    int simdrop_forward_block_##dt(T *y, uint8_t *mask, const T *x, const simdrop_block *b,          \
                                   double p, uint64_t seed, uint64_t offset)                         \
    {                                                                                                \
        BLOCK_ENTRY_BODY(block_gen(k, DT, y, mask, x, NULL, NULL, b, p, seed, offset), b, 0,         \
                         SIMDROP_ENTRY_FORWARD_BLOCK, DT, BLK(b, rows), BLK(b, cols), p, offset,     \
                         {PTR(y), PTR(mask), PTR(x)});                                               \
    }                                                                                                \
    int simdrop_backward_block_##dt(T *dx, const T *dy, const uint8_t *mask, const simdrop_block *b, \
                                    double p)                                                        \
    {                                                                                                \
        BLOCK_ENTRY_BODY(block_backward(k, DT, dx, NULL, dy, mask, 0, b, 0, p, 0, 0), b, 0,          \
                         SIMDROP_ENTRY_BACKWARD_BLOCK, DT, BLK(b, rows), BLK(b, cols), p, 0,         \
                         {PTR(dx), PTR(dy), PTR(mask)});                                             \
    }                                                                                                \
    int simdrop_backward_regen_block_##dt(T *dx, const T *dy, const simdrop_block *b, double p,      \
                                          uint64_t seed, uint64_t offset)                            \
    {                                                                                                \
        /* The regenerated mask is the forward mask, and dx = dy * f is forward's formula. */        \
        BLOCK_ENTRY_BODY(block_gen(k, DT, dx, NULL, dy, NULL, NULL, b, p, seed, offset), b, 0,       \
                         SIMDROP_ENTRY_BACKWARD_REGEN_BLOCK, DT, BLK(b, rows), BLK(b, cols), p,      \
                         offset, {PTR(dx), PTR(dy)});                                                \
    }                                                                                                \
    int simdrop_bias_dropout_add_block_##dt(T *out, uint8_t *mask, const T *x, const T *bias,        \
                                            const T *residual, const simdrop_block *b, double p,     \
                                            uint64_t seed, uint64_t offset)                          \
    {                                                                                                \
        BLOCK_ENTRY_BODY(block_gen(k, DT, out, mask, x, bias, residual, b, p, seed, offset), b, 0,   \
                         SIMDROP_ENTRY_BDA_BLOCK, DT, BLK(b, rows), BLK(b, cols), p, offset,         \
                         {PTR(out), PTR(mask), PTR(x), PTR(bias), PTR(residual)});                   \
    }                                                                                                \
    int simdrop_bias_dropout_add_backward_block_##dt(T *dx, A *dbias, const T *dout,                 \
                                                     const uint8_t *mask, const simdrop_block *b,    \
                                                     size_t granule, double p)                       \
    {                                                                                                \
        BLOCK_ENTRY_BODY(block_backward(k, DT, dx, dbias, dout, mask, 0, b, granule, p, 0, 0), b,    \
                         granule, SIMDROP_ENTRY_BDA_BACKWARD_BLOCK, DT, BLK(b, rows), BLK(b, cols),  \
                         p, 0, {PTR(dx), PTR(dbias), PTR(dout), PTR(mask)});                         \
    }                                                                                                \
    int simdrop_bias_dropout_add_backward_regen_block_##dt(T *dx, A *dbias, const T *dout,           \
                                                           const simdrop_block *b, size_t granule,   \
                                                           double p, uint64_t seed, uint64_t offset) \
    {                                                                                                \
        BLOCK_ENTRY_BODY(block_backward(k, DT, dx, dbias, dout, NULL, 1, b, granule, p, seed,        \
                                        offset),                                                     \
                         b, granule, SIMDROP_ENTRY_BDA_BACKWARD_REGEN_BLOCK, DT, BLK(b, rows),       \
                         BLK(b, cols), p, offset, {PTR(dx), PTR(dbias), PTR(dout)});                 \
    }

SIMDROP_DTYPE_API(f32, float, DT_F32)
SIMDROP_DTYPE_API(f64, double, DT_F64)
SIMDROP_DTYPE_API(bf16, uint16_t, DT_BF16)
SIMDROP_DTYPE_API(f16, uint16_t, DT_F16)
SIMDROP_BDA_BACKWARD_API(f32, float, float, DT_F32)
SIMDROP_BDA_BACKWARD_API(f64, double, double, DT_F64)
SIMDROP_BDA_BACKWARD_API(bf16, uint16_t, float, DT_BF16)
SIMDROP_BDA_BACKWARD_API(f16, uint16_t, float, DT_F16)
SIMDROP_NHWC_API(f32, float, DT_F32)
SIMDROP_NHWC_API(f64, double, DT_F64)
SIMDROP_NHWC_API(bf16, uint16_t, DT_BF16)
SIMDROP_NHWC_API(f16, uint16_t, DT_F16)
SIMDROP_BLOCK_API(f32, float, float, DT_F32)
SIMDROP_BLOCK_API(f64, double, double, DT_F64)
SIMDROP_BLOCK_API(bf16, uint16_t, float, DT_BF16)
SIMDROP_BLOCK_API(f16, uint16_t, float, DT_F16)

int simdrop_dbias_reduce_f32(float *dbias, const float *partials, size_t granules, size_t cols)
{
    ENTRY_BODY(dbias_reduce(k, DT_F32, dbias, partials, granules, cols), SIMDROP_ENTRY_DBIAS_REDUCE,
               DT_F32, granules, cols, 0.0, 0, {PTR(dbias), PTR(partials)});
}

int simdrop_dbias_reduce_f64(double *dbias, const double *partials, size_t granules, size_t cols)
{
    ENTRY_BODY(dbias_reduce(k, DT_F64, dbias, partials, granules, cols), SIMDROP_ENTRY_DBIAS_REDUCE,
               DT_F64, granules, cols, 0.0, 0, {PTR(dbias), PTR(partials)});
}

/* ---- seeds per site and step (MASK_SPEC.md section 8) ------------------------------------------ */

uint64_t simdrop_site_key(const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a, 64 bits */
    for (const unsigned char *c = (const unsigned char *)(name ? name : ""); *c; c++)
        h = (h ^ *c) * UINT64_C(0x100000001b3);
    return h;
}

/* Three splitmix64 steps, each a bijection of its input: for a fixed base and key, distinct
 * steps give distinct seeds, and for a fixed base and step, distinct keys do. */
uint64_t simdrop_site_seed(uint64_t base, uint64_t site_key, uint64_t step)
{
    uint64_t x = base;
    x = simdrop_splitmix64_next(&x) ^ site_key;
    x = simdrop_splitmix64_next(&x) + step;
    return simdrop_splitmix64_next(&x);
}

/* ---- masks ------------------------------------------------------------------------------------ */

static int mask_only(const simdrop_kernels *k, uint8_t *mask, size_t n, double p, uint64_t seed,
                     uint64_t offset)
{
    if (!n)
        return SIMDROP_OK;
    simdrop_job j = job_new(k, JOB_GEN, RULE_NONE, DT_F32, n);
    set_keep(&j, p, seed, offset);
    j.n = n;
    j.mask_out = mask;
    return simdrop_run(&j);
}

int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset)
{
    ENTRY_BODY(mask_only(k, mask, n, p, seed, offset),
               SIMDROP_ENTRY_MASK, SIMDROP_DTYPE_NONE, n, 0, p, offset, {PTR(mask)});
}

/* The conversions use no kernel path and no threads (they run at memory speed on the caller),
 * so a bad SIMDROP_ISA or SIMDROP_NUM_THREADS does not fail them. Inline, so that each
 * caller's row of check.h is a constant. */
static inline int convert(int entry, int kind, uint8_t *out, const uint8_t *in, size_t n)
{
    const simdrop_call c = {entry, SIMDROP_DTYPE_NONE, n, 0, 0.0, 0, {PTR(out), PTR(in)}, NULL, 0};
    simdrop_fault f;
    if (simdrop_check(&c, &f))
        return rejected(&c, &f);
    if (!n)
        return SIMDROP_OK;
    simdrop_job j = job_new(NULL, kind, RULE_NONE, DT_F32, n);
    j.n = n;
    if (kind == JOB_TO_BYTES) {
        j.y = out;
        j.mask_in = in;
    } else {
        j.mask_out = out;
        j.x = in;
    }
    simdrop_job_run(&j, 0, n);
    return SIMDROP_OK;
}

int simdrop_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n)
{
    return convert(SIMDROP_ENTRY_MASK_TO_BYTES, JOB_TO_BYTES, bytes, mask, n);
}

int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n)
{
    return convert(SIMDROP_ENTRY_MASK_FROM_BYTES, JOB_FROM_BYTES, mask, bytes, n);
}

/* ---- status texts and versions ------------------------------------------------------------ */

const char *simdrop_strerror(int status)
{
    return simdrop_status_text(status); /* check.c: the GPU libraries' texts are the same */
}

const char *simdrop_version(void)
{
    return SIMDROP_VERSION_STRING;
}

unsigned simdrop_version_number(void)
{
    return SIMDROP_VERSION_NUMBER;
}
