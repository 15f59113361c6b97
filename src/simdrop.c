/* simdrop.c: the public entry points: every argument check in one place, then one job per call. */
#include <string.h>

#include "simdrop.h"
#include "dispatch.h"
#include "job.h"
#include "parallel.h"

/* ---- argument checks ---------------------------------------------------------------------- */

static int p_is_valid(double p)
{
    return p >= 0.0 && p <= 1.0; /* false for NaN */
}

/* offset + count <= 2^64, i.e. the last index offset + count - 1 does not wrap. */
static int range_is_valid(uint64_t count, uint64_t offset)
{
    return count == 0 || count - 1 <= UINT64_MAX - offset;
}

static unsigned log2_u64(uint64_t v)
{
    unsigned k = 0;
    while (v >>= 1)
        k++;
    return k;
}

/* offset + rows * cols <= 2^64, where the product itself may be 2^64 (from offset 0): then
 * rows and cols are powers of two whose exponents add up to 64. */
static int rows_range_is_valid(uint64_t rows, uint64_t cols, uint64_t offset)
{
    if (!rows || cols <= UINT64_MAX / rows)
        return range_is_valid(rows * cols, offset);
    return offset == 0 && !(rows & (rows - 1)) && !(cols & (cols - 1)) &&
           log2_u64(rows) + log2_u64(cols) == 64;
}

static size_t mask_bytes(size_t n)
{
    return n / 8 + (n % 8 != 0);
}

/* The buffers of a call and what the call does with them. OUT is the main output, which may be
 * exactly (same start, same length) an IN_ALIAS input; SIDE outputs (masks, dbias) may touch
 * nothing; IN inputs may overlap other inputs but no output. */
enum role { IN, IN_ALIAS, OUT, SIDE };
typedef struct operand {
    const void *p;
    size_t bytes;
    int role;
} operand;

static int overlaps(const operand *a, const operand *b)
{
    const uintptr_t pa = (uintptr_t)a->p, pb = (uintptr_t)b->p;
    return a->p && b->p && a->bytes && b->bytes && pa < pb + b->bytes && pb < pa + a->bytes;
}

static int check_overlaps(const operand *ops, int count)
{
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++) {
            const operand *a = &ops[i], *b = &ops[j];
            if ((a->role <= IN_ALIAS && b->role <= IN_ALIAS) || !overlaps(a, b))
                continue;
            const int alias = (a->role == OUT && b->role == IN_ALIAS) ||
                              (a->role == IN_ALIAS && b->role == OUT);
            if (!(alias && a->p == b->p && a->bytes == b->bytes))
                return SIMDROP_EOVERLAP;
        }
    return SIMDROP_OK;
}

/* The checks every call ends with: the path (a bad SIMDROP_ISA) and the thread setting (a bad
 * SIMDROP_NUM_THREADS) fail every call, even an empty one. */
static int ready(int status, const simdrop_kernels **k)
{
    if (status)
        return status;
    *k = simdrop_active_kernels(&status);
    return status ? status : simdrop_parallel_status();
}

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
    j->nt = n * simdrop_dtype_size(j->dt) >= simdrop_nt_bytes();
}

/* ---- element dropout -------------------------------------------------------------------------- */

static int element_forward(int dt, void *y, uint8_t *mask, const void *x, size_t n, double p,
                           uint64_t seed, uint64_t offset)
{
    const size_t es = simdrop_dtype_size(dt);
    const simdrop_kernels *k = NULL;
    int status = SIMDROP_OK;
    if (n && (!y || !x))
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (!range_is_valid(n, offset))
        status = SIMDROP_ERANGE;
    else if (n > SIZE_MAX / es)
        status = SIMDROP_ESIZE;
    else {
        const operand ops[] = {{y, n * es, OUT}, {x, n * es, IN_ALIAS}, {mask, mask_bytes(n), SIDE}};
        status = check_overlaps(ops, 3);
    }
    if ((status = ready(status, &k)) || !n)
        return status;
    simdrop_job j = job_new(k, JOB_GEN, RULE_SCALE, dt, n);
    set_keep(&j, p, seed, offset);
    set_output(&j, y, x, n);
    j.mask_out = mask;
    j.c = simdrop_dropout_consts(p);
    return simdrop_run(&j);
}

/* Backward from a stored mask, by `rule` with constants c (dropout's s, or alpha's A). */
static int element_backward(int dt, void *dx, const void *dy, const uint8_t *mask, size_t n,
                            double p, simdrop_consts c)
{
    const size_t es = simdrop_dtype_size(dt);
    const simdrop_kernels *k = NULL;
    int status = SIMDROP_OK;
    if (n && (!dx || !dy || !mask))
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (n > SIZE_MAX / es)
        status = SIMDROP_ESIZE;
    else {
        const operand ops[] = {{dx, n * es, OUT}, {dy, n * es, IN_ALIAS}, {mask, mask_bytes(n), IN}};
        status = check_overlaps(ops, 3);
    }
    if ((status = ready(status, &k)) || !n)
        return status;
    simdrop_job j = job_new(k, JOB_BITS, RULE_SCALE, dt, n);
    set_output(&j, dx, dy, n);
    j.mask_in = mask;
    j.c = c;
    return simdrop_run(&j);
}

/* ---- groups: channel dropout, drop-path and alpha dropout ----------------------------------- */

/* What a group family makes of a kept element: dropout scales it by s = 1 / (1 - p), alpha
 * dropout maps it affinely, and dropout without rescaling (drop-path with scale_by_keep=False)
 * multiplies it by 1. The same keep bits for all three. */
enum group_family { SCALED, ALPHA, UNSCALED };

/* The constants and rule of group and alpha dropout forward. */
static void group_rule(int family, double p, int *rule, simdrop_consts *c)
{
    *rule = family == ALPHA && p < 1.0 ? RULE_AFFINE : RULE_SCALE;
    *c = family == ALPHA && p < 1.0 ? simdrop_alpha_consts(p)
                                    : simdrop_dropout_consts(family == UNSCALED ? 0.0 : p);
}

/* Backward's factor: dropout's s, alpha's A (and 0 at p == 1, where nothing is kept), 1 for
 * dropout without rescaling (simdrop_dropout_consts(0.0): s = 1 / 1 exactly). */
static simdrop_consts backward_consts(int family, double p)
{
    simdrop_consts c = simdrop_dropout_consts(family == UNSCALED ? 0.0 : p);
    if (family == ALPHA && p < 1.0) {
        const simdrop_consts a = simdrop_alpha_consts(p);
        c.mul = a.mul;
        c.mul64 = a.mul64;
    }
    return c;
}

/* The checks of the group functions; *n gets groups * group_len. */
static int check_groups(int dt, void *y, const void *x, const uint8_t *mask, int mask_is_input,
                        size_t groups, size_t group_len, double p, uint64_t offset, size_t *n)
{
    const size_t es = simdrop_dtype_size(dt);
    if (groups && group_len && (!y || !x || (mask_is_input && !mask)))
        return SIMDROP_ENULL;
    if (!p_is_valid(p))
        return SIMDROP_EPROB;
    if (!range_is_valid(groups, offset))
        return SIMDROP_ERANGE;
    if (groups && (!group_len || group_len > SIZE_MAX / es / groups))
        return SIMDROP_ESIZE;
    *n = groups * group_len;
    const operand ops[] = {{y, *n * es, OUT},
                           {x, *n * es, IN_ALIAS},
                           {mask, mask_bytes(groups), mask_is_input ? IN : SIDE}};
    return check_overlaps(ops, 3);
}

static int groups_forward(int dt, int family, void *y, uint8_t *mask, const void *x, size_t groups,
                          size_t group_len, double p, uint64_t seed, uint64_t offset)
{
    const simdrop_kernels *k = NULL;
    size_t n = 0;
    int status = check_groups(dt, y, x, mask, 0, groups, group_len, p, offset, &n);
    if ((status = ready(status, &k)) || !groups)
        return status;
    /* group_len == 1 is element dropout: the same bits, without expanding group bits. */
    simdrop_job j = job_new(k, group_len == 1 ? JOB_GEN : JOB_GROUPS, RULE_SCALE, dt,
                            group_len == 1 ? n : groups);
    set_keep(&j, p, seed, offset);
    set_output(&j, y, x, n);
    j.group_len = group_len;
    j.mask_out = mask;
    group_rule(family, p, &j.rule, &j.c);
    /* alpha dropout at p == 0 is the identity: a copy, every bit kept */
    if (family == ALPHA && p == 0.0) {
        j.kind = JOB_COPY;
        j.units = n;
        if ((status = simdrop_run(&j)) || !mask) /* fails, if at all, before writing anything */
            return status;
        memset(mask, 0xff, groups / 8);
        if (groups % 8)
            mask[groups / 8] = (uint8_t)((1u << (groups % 8)) - 1); /* bits past the end are 0 */
        return SIMDROP_OK;
    }
    return simdrop_run(&j);
}

static int groups_backward(int dt, int family, void *dx, const void *dy, const uint8_t *mask,
                           size_t groups, size_t group_len, double p)
{
    if (group_len == 1 || !groups) /* element backward; no groups: its checks are the same */
        return element_backward(dt, dx, dy, mask, groups, p, backward_consts(family, p));
    const simdrop_kernels *k = NULL;
    size_t n = 0;
    int status = check_groups(dt, dx, dy, mask, 1, groups, group_len, p, 0, &n);
    if ((status = ready(status, &k)))
        return status;
    simdrop_job j = job_new(k, JOB_GROUPS, RULE_SCALE, dt, groups);
    set_output(&j, dx, dy, n);
    j.group_len = group_len;
    j.from_bits = 1;
    j.mask_in = mask;
    j.c = backward_consts(family, p);
    return simdrop_run(&j);
}

static int groups_regen(int dt, int family, void *dx, const void *dy, size_t groups,
                        size_t group_len, double p, uint64_t seed, uint64_t offset)
{
    const simdrop_kernels *k = NULL;
    size_t n = 0;
    int status = check_groups(dt, dx, dy, NULL, 0, groups, group_len, p, offset, &n);
    if ((status = ready(status, &k)) || !groups)
        return status;
    simdrop_job j = job_new(k, group_len == 1 ? JOB_GEN : JOB_GROUPS, RULE_SCALE, dt,
                            group_len == 1 ? n : groups);
    set_keep(&j, p, seed, offset);
    set_output(&j, dx, dy, n);
    j.group_len = group_len;
    j.c = backward_consts(family, p);
    return simdrop_run(&j);
}

/* ---- fused bias + dropout + residual ---------------------------------------------------------- */

static int bda_forward(int dt, void *out, uint8_t *mask, const void *x, const void *bias,
                       const void *resid, size_t rows, size_t cols, double p, uint64_t seed,
                       uint64_t offset)
{
    const size_t es = simdrop_dtype_size(dt);
    const simdrop_kernels *k = NULL;
    int status = SIMDROP_OK;
    const size_t n = rows * cols; /* meaningful once the checks below pass */
    if (rows && cols && (!out || !x))
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (!rows_range_is_valid(rows, cols, offset))
        status = SIMDROP_ERANGE;
    else if ((rows && cols > SIZE_MAX / rows) || n > SIZE_MAX / es)
        status = SIMDROP_ESIZE;
    else {
        const operand ops[] = {{out, n * es, OUT},
                               {x, n * es, IN_ALIAS},
                               {resid, n * es, IN_ALIAS},
                               {bias, n ? cols * es : 0, IN},
                               {mask, mask_bytes(n), SIDE}};
        status = check_overlaps(ops, 5);
    }
    if ((status = ready(status, &k)) || !n)
        return status;
    const int rule = bias ? (resid ? RULE_BIAS_RESID : RULE_BIAS) : (resid ? RULE_RESID : RULE_SCALE);
    simdrop_job j = job_new(k, JOB_GEN, rule, dt, n);
    set_keep(&j, p, seed, offset);
    set_output(&j, out, x, n);
    j.bias = bias;
    j.resid = resid;
    j.rows = rows;
    j.cols = cols;
    j.mask_out = mask;
    j.c = simdrop_dropout_consts(p);
    return simdrop_run(&j);
}

/* Backward from `mask`, or regenerated from (seed, offset) when mask is NULL and regen is set. */
static int bda_backward(int dt, void *dx, void *dbias, const void *dout, const uint8_t *mask,
                        int regen, size_t rows, size_t cols, double p, uint64_t seed,
                        uint64_t offset)
{
    const size_t es = simdrop_dtype_size(dt), as = dt == DT_F64 ? sizeof(double) : sizeof(float);
    const simdrop_kernels *k = NULL;
    int status = SIMDROP_OK;
    const size_t n = rows * cols;
    if (rows && cols && (!dx || !dout || (!regen && !mask)))
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (regen && !rows_range_is_valid(rows, cols, offset))
        status = SIMDROP_ERANGE;
    else if ((rows && cols > SIZE_MAX / rows) || n > SIZE_MAX / es || cols > SIZE_MAX / as)
        status = SIMDROP_ESIZE;
    else {
        const operand ops[] = {{dx, n * es, OUT},
                               {dout, n * es, IN_ALIAS},
                               {mask, regen ? 0 : mask_bytes(n), IN},
                               {dbias, cols * as, SIDE}};
        status = check_overlaps(ops, 4);
    }
    if ((status = ready(status, &k)))
        return status;
    if (!n) {
        if (dbias) /* a sum over no rows */
            memset(dbias, 0, cols * as);
        return SIMDROP_OK;
    }
    simdrop_job j = job_new(k, dbias ? JOB_DBIAS : regen ? JOB_GEN : JOB_BITS, RULE_SCALE, dt,
                            dbias ? SIMDROP_DBIAS_CHUNKS : n);
    if (regen)
        set_keep(&j, p, seed, offset);
    set_output(&j, dx, dout, n);
    j.from_bits = !regen;
    j.mask_in = mask;
    j.rows = rows;
    j.cols = cols;
    j.dbias = dbias;
    j.c = simdrop_dropout_consts(p);
    return simdrop_run(&j);
}

/* ---- the public functions, one line each per dtype ------------------------------------------ */

#define SIMDROP_DTYPE_API(dt, T, DT)                                                                 \
    int simdrop_forward_##dt(T *y, uint8_t *mask, const T *x, size_t n, double p, uint64_t seed,     \
                             uint64_t offset)                                                        \
    {                                                                                                \
        return element_forward(DT, y, mask, x, n, p, seed, offset);                                  \
    }                                                                                                \
    int simdrop_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t n, double p)           \
    {                                                                                                \
        return element_backward(DT, dx, dy, mask, n, p, simdrop_dropout_consts(p));                  \
    }                                                                                                \
    int simdrop_backward_regen_##dt(T *dx, const T *dy, size_t n, double p, uint64_t seed,           \
                                    uint64_t offset)                                                 \
    {                                                                                                \
        /* The regenerated mask is the forward mask, and dx = dy * f is forward's formula. */        \
        return element_forward(DT, dx, NULL, dy, n, p, seed, offset);                                \
    }                                                                                                \
    int simdrop_forward_groups_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                  \
                                    size_t group_len, double p, uint64_t seed, uint64_t offset)      \
    {                                                                                                \
        return groups_forward(DT, SCALED, y, mask, x, groups, group_len, p, seed, offset);                \
    }                                                                                                \
    int simdrop_backward_groups_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,         \
                                     size_t group_len, double p)                                     \
    {                                                                                                \
        return groups_backward(DT, SCALED, dx, dy, mask, groups, group_len, p);                           \
    }                                                                                                \
    int simdrop_backward_groups_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,      \
                                           double p, uint64_t seed, uint64_t offset)                 \
    {                                                                                                \
        return groups_regen(DT, SCALED, dx, dy, groups, group_len, p, seed, offset);                      \
    }                                                                                                \
    int simdrop_alpha_forward_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                   \
                                   size_t group_len, double p, uint64_t seed, uint64_t offset)       \
    {                                                                                                \
        return groups_forward(DT, ALPHA, y, mask, x, groups, group_len, p, seed, offset);                \
    }                                                                                                \
    int simdrop_alpha_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,          \
                                    size_t group_len, double p)                                      \
    {                                                                                                \
        return groups_backward(DT, ALPHA, dx, dy, mask, groups, group_len, p);                           \
    }                                                                                                \
    int simdrop_alpha_backward_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,       \
                                          double p, uint64_t seed, uint64_t offset)                  \
    {                                                                                                \
        return groups_regen(DT, ALPHA, dx, dy, groups, group_len, p, seed, offset);                      \
    }                                                                                                \
    int simdrop_unscaled_forward_##dt(T *y, uint8_t *mask, const T *x, size_t groups,                \
                                      size_t group_len, double p, uint64_t seed, uint64_t offset)    \
    {                                                                                                \
        return groups_forward(DT, UNSCALED, y, mask, x, groups, group_len, p, seed, offset);         \
    }                                                                                                \
    int simdrop_unscaled_backward_##dt(T *dx, const T *dy, const uint8_t *mask, size_t groups,       \
                                       size_t group_len)                                             \
    {                                                                                                \
        return groups_backward(DT, UNSCALED, dx, dy, mask, groups, group_len, 0.0);                  \
    }                                                                                                \
    int simdrop_unscaled_backward_regen_##dt(T *dx, const T *dy, size_t groups, size_t group_len,    \
                                             double p, uint64_t seed, uint64_t offset)               \
    {                                                                                                \
        return groups_regen(DT, UNSCALED, dx, dy, groups, group_len, p, seed, offset);               \
    }                                                                                                \
    int simdrop_bias_dropout_add_##dt(T *out, uint8_t *mask, const T *x, const T *bias,              \
                                      const T *residual, size_t rows, size_t cols, double p,         \
                                      uint64_t seed, uint64_t offset)                                \
    {                                                                                                \
        return bda_forward(DT, out, mask, x, bias, residual, rows, cols, p, seed, offset);           \
    }

/* The bias gradient's type A: double for f64, float otherwise. */
#define SIMDROP_BDA_BACKWARD_API(dt, T, A, DT)                                                       \
    int simdrop_bias_dropout_add_backward_##dt(T *dx, A *dbias, const T *dout, const uint8_t *mask,  \
                                               size_t rows, size_t cols, double p)                   \
    {                                                                                                \
        return bda_backward(DT, dx, dbias, dout, mask, 0, rows, cols, p, 0, 0);                      \
    }                                                                                                \
    int simdrop_bias_dropout_add_backward_regen_##dt(T *dx, A *dbias, const T *dout, size_t rows,    \
                                                     size_t cols, double p, uint64_t seed,           \
                                                     uint64_t offset)                                \
    {                                                                                                \
        return bda_backward(DT, dx, dbias, dout, NULL, 1, rows, cols, p, seed, offset);              \
    }

SIMDROP_DTYPE_API(f32, float, DT_F32)
SIMDROP_DTYPE_API(f64, double, DT_F64)
SIMDROP_DTYPE_API(bf16, uint16_t, DT_BF16)
SIMDROP_DTYPE_API(f16, uint16_t, DT_F16)
SIMDROP_BDA_BACKWARD_API(f32, float, float, DT_F32)
SIMDROP_BDA_BACKWARD_API(f64, double, double, DT_F64)
SIMDROP_BDA_BACKWARD_API(bf16, uint16_t, float, DT_BF16)
SIMDROP_BDA_BACKWARD_API(f16, uint16_t, float, DT_F16)

/* ---- masks ------------------------------------------------------------------------------------ */

int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset)
{
    const simdrop_kernels *k = NULL;
    int status = SIMDROP_OK;
    if (n && !mask)
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (!range_is_valid(n, offset))
        status = SIMDROP_ERANGE;
    if ((status = ready(status, &k)) || !n)
        return status;
    simdrop_job j = job_new(k, JOB_GEN, RULE_NONE, DT_F32, n);
    set_keep(&j, p, seed, offset);
    j.n = n;
    j.mask_out = mask;
    return simdrop_run(&j);
}

/* The conversions use no kernel path and no threads (they run at memory speed on the caller),
 * so a bad SIMDROP_ISA or SIMDROP_NUM_THREADS does not fail them. */
static int convert(int kind, uint8_t *out, const uint8_t *in, size_t n)
{
    int status = SIMDROP_OK;
    const int to_bytes = kind == JOB_TO_BYTES;
    if (n && (!out || !in))
        status = SIMDROP_ENULL;
    else {
        const operand ops[] = {{out, to_bytes ? n : mask_bytes(n), OUT},
                               {in, to_bytes ? mask_bytes(n) : n, IN}};
        status = check_overlaps(ops, 2);
    }
    if (status || !n)
        return status;
    simdrop_job j = job_new(NULL, kind, RULE_NONE, DT_F32, n);
    j.n = n;
    if (to_bytes) {
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
    return convert(JOB_TO_BYTES, bytes, mask, n);
}

int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n)
{
    return convert(JOB_FROM_BYTES, mask, bytes, n);
}

const char *simdrop_strerror(int status)
{
    switch (status) {
    case SIMDROP_OK: return "success";
    case SIMDROP_ENULL: return "a required pointer is NULL while the call has elements";
    case SIMDROP_EPROB: return "p is NaN or outside [0, 1]";
    case SIMDROP_ERANGE: return "offset + count exceeds 2^64";
    case SIMDROP_ESIZE: return "the sizes overflow, or group_len is 0 with groups > 0";
    case SIMDROP_EOVERLAP: return "buffers overlap (only out == in is allowed)";
    case SIMDROP_EISA_UNKNOWN: return "unknown kernel path name";
    case SIMDROP_EISA_UNAVAILABLE: return "kernel path not built or not supported by this CPU/OS";
    case SIMDROP_ENOMEM: return "out of memory for scratch space";
    case SIMDROP_ETHREADS: return "bad thread count, or a thread could not be started";
    case SIMDROP_EPARALLEL: return "the engine's thread pool did not run every task exactly once";
    default: return "unknown status code";
    }
}

const char *simdrop_version(void)
{
    return SIMDROP_VERSION_STRING;
}
