/* launch.c: what a GPU call runs: the checks of src/check.c, the plan of kernels and arguments (src/simdrop.c's decisions, for gpu/kernels.h), the errors. */
#include <stdio.h>
#include <string.h>

#include "simdrop.h"
#include "launch.h"
#include "spec/host.h"
#include "spec/spec.h"

#define SIMDROP_GPU_KERNEL_NAME(name, kind, rule, dt) "simdrop_k_" #name,
const char *const simdrop_gpu_kernel_names[SIMDROP_GPU_KERNEL_COUNT] = {
    SIMDROP_GPU_KERNELS(SIMDROP_GPU_KERNEL_NAME)};

/* The kernels by kind, rule and dtype, from the list. */
enum { KIND_gen, KIND_bits, KIND_colsum, KIND_fold, KIND_to_bytes, KIND_from_bytes };
static const struct {
    int kind, rule, dt;
} kernel_keys[SIMDROP_GPU_KERNEL_COUNT] = {
#define SIMDROP_GPU_KERNEL_KEY(name, kind, rule, dt) {KIND_##kind, rule, dt},
    SIMDROP_GPU_KERNELS(SIMDROP_GPU_KERNEL_KEY)
#undef SIMDROP_GPU_KERNEL_KEY
};

static int kernel_id(int kind, int rule, int dt)
{
    for (int k = 0; k < SIMDROP_GPU_KERNEL_COUNT; k++)
        if (kernel_keys[k].kind == kind && kernel_keys[k].rule == rule && kernel_keys[k].dt == dt)
            return k;
    return -1; /* not reached: the plan asks only for listed kernels */
}

/* x86 returns its negative default NaN for Inf * 0, AArch64 (and the others the library knows)
 * the positive one: the GPU follows the CPU it is attached to (MASK_SPEC.md section 4.1). */
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define HOST_NAN_SIGN 1u
#else
#define HOST_NAN_SIGN 0u
#endif

uint32_t simdrop_gpu_inf_zero_nan32(void)
{
    return SIMDROP_F32_NAN | HOST_NAN_SIGN << 31;
}

uint64_t simdrop_gpu_inf_zero_nan64(void)
{
    return SIMDROP_F64_NAN | (uint64_t)HOST_NAN_SIGN << 63;
}

/* ---- the plan ------------------------------------------------------------------------------------ */

/* Threads of a launch: enough for the work, capped (the kernels loop over the rest). */
#define MAX_THREADS ((uint64_t)1 << 26)

typedef struct plan {
    const simdrop_gpu_call *c;
    simdrop_gpu_launch *l;
    size_t count;
    uint64_t scratch;
} plan;

static uint64_t cap(uint64_t threads)
{
    return threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
}

static simdrop_gpu_launch *add(plan *pl, int kind, int rule, int dt, uint64_t threads)
{
    simdrop_gpu_launch *l = &pl->l[pl->count++];
    memset(l, 0, sizeof *l);
    l->kernel = kernel_id(kind, rule, dt);
    l->warp = kind == KIND_gen;
    l->threads = cap(threads);
    for (int s = 0; s < SIMDROP_GPU_SLOTS; s++)
        l->slot[s] = SIMDROP_GPU_NONE;
    l->a.nan32 = simdrop_gpu_inf_zero_nan32();
    l->a.nan64 = simdrop_gpu_inf_zero_nan64();
    return l;
}

static void set_consts(simdrop_gpu_launch *l, simdrop_consts c)
{
    l->a.mul = c.mul;
    l->a.add = c.add;
    l->a.drop = c.drop;
    l->a.mul64 = c.mul64;
    l->a.add64 = c.add64;
    l->a.drop64 = c.drop64;
}

/* keep bits from the generator for `units` units from global index `offset` on (the units are
 * elements, or groups for their bits alone): a warp of 32 threads per two blocks */
static simdrop_gpu_launch *gen(plan *pl, int rule, int dt, uint64_t units, uint64_t offset)
{
    const uint64_t first = offset / SIMDROP_BLOCK, last = (offset + (units - 1)) / SIMDROP_BLOCK;
    simdrop_gpu_launch *l = add(pl, KIND_gen, rule, rule == RULE_NONE ? DT_F32 : dt,
                                ((last - first) / 2 + 1) * 32);
    l->threads = (l->threads + 31) / 32 * 32; /* whole warps, also when capped */
    l->a.n = units;
    l->a.offset = offset;
    l->a.key = simdrop_seed_key(pl->c->seed);
    l->a.threshold = simdrop_threshold(pl->c->p);
    return l;
}

/* keep bits from a bitmask, one per group_len elements, over n elements */
static simdrop_gpu_launch *bits(plan *pl, int rule, int dt, uint64_t n, uint64_t group_len,
                                int y, int x, int mask_in)
{
    simdrop_gpu_launch *l = add(pl, KIND_bits, rule, dt, (n + 7) / 8);
    l->a.n = n;
    l->a.group_len = group_len;
    l->slot[SIMDROP_GPU_Y] = y;
    l->slot[SIMDROP_GPU_X] = x;
    l->slot[SIMDROP_GPU_MASK_IN] = mask_in;
    return l;
}

/* Group dropout and alpha dropout forward: src/simdrop.c's groups_forward. Buffers y, mask, x. */
static void groups_forward(plan *pl, int alpha)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t groups = c->a, len = c->b, n = groups * len;
    const int dt = c->dtype, mask = c->desc[1].addr || c->desc[1].space ? 1 : SIMDROP_GPU_NONE;
    if (!groups)
        return;
    if (alpha && c->p == 0.0) { /* the identity: a copy, every bit kept (T = 0 keeps all) */
        bits(pl, SIMDROP_DEV_RULE_COPY, dt, n, 1, 0, 2, SIMDROP_GPU_NONE);
        if (mask != SIMDROP_GPU_NONE)
            gen(pl, RULE_NONE, dt, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = 1;
        return;
    }
    const int rule = alpha && c->p < 1.0 ? RULE_AFFINE : RULE_SCALE;
    const simdrop_consts k = rule == RULE_AFFINE ? simdrop_alpha_consts(c->p) : simdrop_dropout_consts(c->p);
    if (len == 1) { /* element dropout: the same bits */
        simdrop_gpu_launch *l = gen(pl, rule, dt, n, c->offset);
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_X] = 2;
        l->slot[SIMDROP_GPU_MASK_OUT] = mask;
        set_consts(l, k);
        return;
    }
    /* the group bits into the mask (or scratch), then the elements from them */
    const int target = mask != SIMDROP_GPU_NONE ? 1 : SIMDROP_GPU_SCRATCH;
    if (target == SIMDROP_GPU_SCRATCH)
        pl->scratch = (groups + 7) / 8;
    gen(pl, RULE_NONE, dt, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = target;
    set_consts(bits(pl, rule, dt, n, len, 0, 2, target), k);
}

/* Group backward by regeneration: the group bits into scratch, then the elements. */
static void groups_regen(plan *pl, int alpha)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t groups = c->a, len = c->b, n = groups * len;
    if (!groups)
        return;
    if (len == 1) {
        simdrop_gpu_launch *l = gen(pl, RULE_SCALE, c->dtype, n, c->offset);
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_X] = 1;
        set_consts(l, simdrop_backward_consts(alpha, c->p));
        return;
    }
    pl->scratch = (groups + 7) / 8;
    gen(pl, RULE_NONE, c->dtype, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = SIMDROP_GPU_SCRATCH;
    set_consts(bits(pl, RULE_SCALE, c->dtype, n, len, 0, 1, SIMDROP_GPU_SCRATCH),
               simdrop_backward_consts(alpha, c->p));
}

/* The fused forward: the rule follows which of bias and residual are given. */
static void bda_forward(plan *pl)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t n = (uint64_t)c->a * c->b;
    const int has_bias = c->desc[3].addr || c->desc[3].space;
    const int has_resid = c->desc[4].addr || c->desc[4].space;
    if (!n)
        return;
    simdrop_gpu_launch *l = gen(pl, has_bias ? (has_resid ? RULE_BIAS_RESID : RULE_BIAS)
                                             : (has_resid ? RULE_RESID : RULE_SCALE),
                                c->dtype, n, c->offset);
    l->slot[SIMDROP_GPU_Y] = 0;
    l->slot[SIMDROP_GPU_MASK_OUT] = c->desc[1].addr || c->desc[1].space ? 1 : SIMDROP_GPU_NONE;
    l->slot[SIMDROP_GPU_X] = 2;
    l->slot[SIMDROP_GPU_BIAS] = has_bias ? 3 : SIMDROP_GPU_NONE;
    l->slot[SIMDROP_GPU_RESID] = has_resid ? 4 : SIMDROP_GPU_NONE;
    l->a.cols = c->b;
    set_consts(l, simdrop_dropout_consts(c->p));
}

/* The fused backward: dx (buffer 0) from the mask (buffer 3) or regenerated, then, when dbias
 * (buffer 1) is given, the partial sums of its chunks into scratch and their fold. */
static void bda_backward(plan *pl, int regen)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t rows = c->a, cols = c->b, n = rows * cols;
    const int dt = c->dtype, acc_dt = dt == DT_F64 ? DT_F64 : DT_F32;
    const uint64_t chunks = rows < 16 ? rows : 16;
    if (n) {
        simdrop_gpu_launch *l = regen ? gen(pl, RULE_SCALE, dt, n, c->offset)
                                      : bits(pl, RULE_SCALE, dt, n, 1, 0, 2, 3);
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_X] = 2;
        set_consts(l, simdrop_dropout_consts(c->p));
    }
    if (!(c->desc[1].addr || c->desc[1].space) || !cols)
        return;
    if (n) {
        simdrop_gpu_launch *l = add(pl, KIND_colsum, RULE_NONE, dt, chunks * cols);
        l->slot[SIMDROP_GPU_Y] = SIMDROP_GPU_SCRATCH;
        l->slot[SIMDROP_GPU_X] = 0;
        l->a.rows = rows;
        l->a.cols = cols;
        pl->scratch = chunks * cols * (dt == DT_F64 ? 8 : 4);
    }
    simdrop_gpu_launch *l = add(pl, KIND_fold, RULE_NONE, acc_dt, cols); /* rows == 0: +0 */
    l->slot[SIMDROP_GPU_Y] = 1;
    l->slot[SIMDROP_GPU_X] = n ? SIMDROP_GPU_SCRATCH : SIMDROP_GPU_NONE;
    l->a.rows = n ? rows : 0;
    l->a.cols = cols;
}

size_t simdrop_gpu_plan(const simdrop_gpu_call *c, simdrop_gpu_launch *out, uint64_t *scratch)
{
    plan pl = {c, out, 0, 0};
    const int dt = c->dtype;
    const uint64_t n = c->a;
    simdrop_gpu_launch *l;
    switch (c->entry) {
    case SIMDROP_ENTRY_FORWARD:
    case SIMDROP_ENTRY_BACKWARD_REGEN: /* the regenerated mask is forward's: dx = dy * f */
        if (!n)
            break;
        l = gen(&pl, RULE_SCALE, dt, n, c->offset);
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_X] = c->entry == SIMDROP_ENTRY_FORWARD ? 2 : 1;
        if (c->entry == SIMDROP_ENTRY_FORWARD && (c->desc[1].addr || c->desc[1].space))
            l->slot[SIMDROP_GPU_MASK_OUT] = 1;
        set_consts(l, simdrop_dropout_consts(c->p));
        break;
    case SIMDROP_ENTRY_BACKWARD:
    case SIMDROP_ENTRY_BACKWARD_GROUPS:
    case SIMDROP_ENTRY_ALPHA_BACKWARD: {
        const int groups = c->entry != SIMDROP_ENTRY_BACKWARD;
        const uint64_t len = groups ? c->b : 1;
        if (!n || !len)
            break;
        set_consts(bits(&pl, RULE_SCALE, dt, n * len, len, 0, 1, 2),
                   simdrop_backward_consts(c->entry == SIMDROP_ENTRY_ALPHA_BACKWARD, c->p));
        break;
    }
    case SIMDROP_ENTRY_FORWARD_GROUPS: groups_forward(&pl, 0); break;
    case SIMDROP_ENTRY_ALPHA_FORWARD: groups_forward(&pl, 1); break;
    case SIMDROP_ENTRY_BACKWARD_GROUPS_REGEN: groups_regen(&pl, 0); break;
    case SIMDROP_ENTRY_ALPHA_BACKWARD_REGEN: groups_regen(&pl, 1); break;
    case SIMDROP_ENTRY_BDA: bda_forward(&pl); break;
    case SIMDROP_ENTRY_BDA_BACKWARD: bda_backward(&pl, 0); break;
    case SIMDROP_ENTRY_BDA_BACKWARD_REGEN: bda_backward(&pl, 1); break;
    case SIMDROP_ENTRY_MASK:
        if (n)
            gen(&pl, RULE_NONE, DT_F32, n, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = 0;
        break;
    case SIMDROP_ENTRY_MASK_TO_BYTES:
        if (!n)
            break;
        l = add(&pl, KIND_to_bytes, RULE_NONE, DT_F32, n);
        l->a.n = n;
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_MASK_IN] = 1;
        break;
    case SIMDROP_ENTRY_MASK_FROM_BYTES:
        if (!n)
            break;
        l = add(&pl, KIND_from_bytes, RULE_NONE, DT_F32, n / 8 + 1);
        l->a.n = n;
        l->slot[SIMDROP_GPU_MASK_OUT] = 0;
        l->slot[SIMDROP_GPU_X] = 1;
        break;
    }
    *scratch = pl.scratch;
    return pl.count;
}

/* ---- the run ------------------------------------------------------------------------------------- */

/* "<prefix><function>: <why> (<code>)" */
static int failed(const simdrop_gpu_backend *be, const simdrop_call *c, int status,
                  const char *why, char *err, size_t size)
{
    simdrop_call_name(c, be->prefix, err, size);
    const size_t len = strlen(err);
    const char *name = simdrop_status_name(status);
    snprintf(err + len, size - len, ": %s (%s)", why, name ? name : "?");
    return status;
}

void simdrop_gpu_call_init(simdrop_gpu_call *call, int entry, int dtype, size_t a, size_t b,
                           double p, uint64_t seed, uint64_t offset)
{
    memset(call, 0, sizeof *call);
    call->entry = entry;
    call->dtype = dtype;
    call->a = a;
    call->b = b;
    call->p = p;
    call->seed = seed;
    call->offset = offset;
}

int simdrop_gpu_run(const simdrop_gpu_backend *be, void *ctx, simdrop_gpu_call *call, char *err,
                    size_t err_size)
{
    simdrop_call c;
    memset(&c, 0, sizeof c);
    c.entry = call->entry;
    c.dtype = call->dtype;
    c.a = call->a;
    c.b = call->b;
    c.p = call->p;
    c.offset = call->offset;
    memcpy(c.buf, call->desc, sizeof c.buf);
    simdrop_fault f;
    if (simdrop_check(&c, &f)) { /* nothing allocated, launched or written */
        simdrop_check_message(&c, &f, be->prefix, err, err_size);
        return f.status;
    }
    simdrop_gpu_launch launches[SIMDROP_GPU_MAX_LAUNCHES];
    uint64_t scratch_bytes;
    const size_t count = simdrop_gpu_plan(call, launches, &scratch_bytes);
    char why[384] = "";
    int status = SIMDROP_OK;
    call->buf[SIMDROP_GPU_SCRATCH] = NULL;
    if (scratch_bytes &&
        (status = be->alloc(ctx, scratch_bytes, &call->buf[SIMDROP_GPU_SCRATCH], why, sizeof why)))
        return failed(be, &c, status, why, err, err_size);
    for (size_t i = 0; i < count && !status; i++)
        status = be->launch(ctx, &launches[i], call->buf, why, sizeof why);
    if (scratch_bytes) { /* after the launches in the queue's order; reported if nothing else is */
        char why_release[256] = "";
        const int released = be->release(ctx, call->buf[SIMDROP_GPU_SCRATCH], why_release,
                                         sizeof why_release);
        if (released && !status) {
            status = released;
            memcpy(why, why_release, sizeof why_release);
        }
    }
    return status ? failed(be, &c, status, why, err, err_size) : SIMDROP_OK;
}
