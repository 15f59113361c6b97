/* launch.c: what a GPU call runs: the checks of src/check.c, the plan of kernels and arguments (src/simdrop.c's decisions, for gpu/kernels.h), the errors. */
#include <inttypes.h>
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
enum { KIND_gen, KIND_bits, KIND_gather, KIND_colsum, KIND_fold, KIND_to_bytes, KIND_from_bytes };
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

/* Whether buffer i of the call was given (an optional one may be NULL). */
static int given(const simdrop_gpu_call *c, int i)
{
    return c->desc[i].addr || c->desc[i].space;
}

/* Element-wise with keep bits from the generator: y (buffer 0) from x (buffer `x`), the mask
 * to buffer `mask` when given; n elements from global index `offset`. */
static simdrop_gpu_launch *elements(plan *pl, int rule, uint64_t n, uint64_t offset, int x,
                                   int mask, simdrop_consts k)
{
    simdrop_gpu_launch *l = gen(pl, rule, pl->c->dtype, n, offset);
    l->slot[SIMDROP_GPU_Y] = 0;
    l->slot[SIMDROP_GPU_X] = x;
    l->slot[SIMDROP_GPU_MASK_OUT] = mask >= 0 && given(pl->c, mask) ? mask : SIMDROP_GPU_NONE;
    set_consts(l, k);
    return l;
}

/* Group forward of a family (src/simdrop.c's groups_forward) over `groups` groups of `len`
 * elements. Buffers y, mask, x. */
static void groups_forward(plan *pl, int family, uint64_t groups, uint64_t len)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t n = groups * len;
    const int dt = c->dtype, mask = given(c, 1) ? 1 : SIMDROP_GPU_NONE;
    if (!groups)
        return;
    if (family == FAMILY_ALPHA && c->p == 0.0) { /* the identity: a copy, every bit kept (T = 0) */
        bits(pl, SIMDROP_DEV_RULE_COPY, dt, n, 1, 0, 2, SIMDROP_GPU_NONE);
        if (mask != SIMDROP_GPU_NONE)
            gen(pl, RULE_NONE, dt, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = 1;
        return;
    }
    const int rule = simdrop_family_rule(family, c->p);
    const simdrop_consts k = simdrop_family_consts(family, c->p);
    if (len == 1) { /* element dropout: the same bits */
        elements(pl, rule, n, c->offset, 2, 1, k);
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
static void groups_regen(plan *pl, int family, uint64_t groups, uint64_t len)
{
    const simdrop_gpu_call *c = pl->c;
    const simdrop_consts k = simdrop_backward_consts(family, c->p);
    if (!groups)
        return;
    if (len == 1) {
        elements(pl, RULE_SCALE, groups, c->offset, 1, -1, k);
        return;
    }
    pl->scratch = (groups + 7) / 8;
    gen(pl, RULE_NONE, c->dtype, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = SIMDROP_GPU_SCRATCH;
    set_consts(bits(pl, RULE_SCALE, c->dtype, groups * len, len, 0, 1, SIMDROP_GPU_SCRATCH), k);
}

/* Backward from a mask of group bits (group_len 1: element backward). Buffers dx, dy, mask. */
static void groups_backward(plan *pl, int family, uint64_t groups, uint64_t len)
{
    if (groups && len)
        set_consts(bits(pl, RULE_SCALE, pl->c->dtype, groups * len, len, 0, 1, 2),
                   simdrop_backward_consts(family, pl->c->p));
}

/* ---- channels-last groups: a keep bit per (sample, channel) ------------------------------------
 * With one channel or one spatial position the memory order is the NCHW one (src/simdrop.c's
 * nhwc_is_nchw); otherwise the bits kernel reads element (sample, position, channel)'s bit at
 * sample * channels + channel: its rows are the (sample, position) pairs. */

static int nhwc_is_nchw(int family, const simdrop_gpu_call *c)
{
    return c->b == 1 || c->channels == 1 || (family == FAMILY_ALPHA && c->p == 0.0);
}

static void nhwc_view(simdrop_gpu_launch *l, const simdrop_gpu_call *c)
{
    l->a.cols = l->a.ldx = l->a.ldy = l->a.bit_ld = c->channels;
    l->a.row_group = c->b;
    l->a.group_len = 1;
}

/* forward (regen == 0: buffers y, mask, x) or backward by regeneration (dx, dy) */
static void nhwc_gen(plan *pl, int family, int regen)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t groups = (uint64_t)c->a * c->channels, n = groups * c->b;
    if (!groups || nhwc_is_nchw(regen ? FAMILY_SCALED : family, c)) {
        (regen ? groups_regen : groups_forward)(pl, family, groups, c->b);
        return;
    }
    const int target = !regen && given(c, 1) ? 1 : SIMDROP_GPU_SCRATCH;
    if (target == SIMDROP_GPU_SCRATCH)
        pl->scratch = (groups + 7) / 8;
    gen(pl, RULE_NONE, c->dtype, groups, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = target;
    simdrop_gpu_launch *l = bits(pl, regen ? RULE_SCALE : simdrop_family_rule(family, c->p),
                                 c->dtype, n, 1, 0, regen ? 1 : 2, target);
    set_consts(l, regen ? simdrop_backward_consts(family, c->p) : simdrop_family_consts(family, c->p));
    nhwc_view(l, c);
}

static void nhwc_backward(plan *pl, int family)
{
    const simdrop_gpu_call *c = pl->c;
    const uint64_t groups = (uint64_t)c->a * c->channels;
    if (!groups || nhwc_is_nchw(FAMILY_SCALED, c)) {
        groups_backward(pl, family, groups, c->b);
        return;
    }
    simdrop_gpu_launch *l = bits(pl, RULE_SCALE, c->dtype, groups * c->b, 1, 0, 1, 2);
    set_consts(l, simdrop_backward_consts(family, c->p));
    nhwc_view(l, c);
}

/* ---- the fused op, and blocks of a global tensor -----------------------------------------------
 * A block whose rows follow each other in memory and in the index space (check.h's
 * simdrop_block_is_one_range, the CPU library's rule too) runs as the contiguous plans run the
 * fused op. Otherwise keep bits are generated for the block's whole global index range (its
 * rows and the columns of other blocks between them: MASK_SPEC.md 2.2's lanes step through those
 * anyway) into scratch, and the bits kernel reads each element's bit there (row stride
 * global_cols); the gather kernel packs the block's own mask from them. */

/* The fused op's rule: which of bias (buffer 3) and residual (buffer 4) are given. */
static int bda_rule(const simdrop_gpu_call *c)
{
    const int bias = given(c, 3), resid = given(c, 4);
    return bias ? (resid ? RULE_BIAS_RESID : RULE_BIAS) : (resid ? RULE_RESID : RULE_SCALE);
}

/* The block's shape: rows, cols, its first element's global index and whether its rows are
 * apart (`strided`); for the fused op, all rows of a rows x cols tensor, and for element
 * dropout one row of n. */
typedef struct block_geo {
    uint64_t rows, cols, first, global_cols, ldx, ldy, granule;
    int strided;
} block_geo;

static block_geo geometry(const simdrop_gpu_call *c)
{
    block_geo g = {c->a, c->b, c->offset, c->b, c->b, c->b, 0, 0};
    if (simdrop_signatures[c->entry].shape == SIMDROP_SHAPE_N) {
        g.rows = 1;
        g.cols = g.global_cols = g.ldx = g.ldy = c->a;
    } else if (c->block) {
        const simdrop_block_shape *b = c->block;
        g.first = c->offset + (uint64_t)b->row0 * b->global_cols + b->col0;
        g.global_cols = b->global_cols;
        g.ldx = b->ldx;
        g.ldy = b->ldy;
        g.granule = b->granule;
        g.strided = !simdrop_block_is_one_range(g.rows, g.cols, g.global_cols, g.ldx, g.ldy);
    }
    return g;
}

static void block_view(simdrop_gpu_launch *l, const block_geo *g, uint64_t bit_ld)
{
    l->a.cols = g->cols;
    l->a.ldx = g->ldx;
    l->a.ldy = g->ldy;
    l->a.bit_ld = bit_ld;
    l->a.row_group = 1;
    l->a.group_len = 1;
}

/* Keep bits from the generator for y (buffer 0) from x (buffer `x`), with the rule's bias (3)
 * and residual (4), and the mask (buffer `mask` when given): forward, fused forward, regen. */
static void block_gen(plan *pl, int rule, int x, int mask, const simdrop_consts *k)
{
    const simdrop_gpu_call *c = pl->c;
    const block_geo g = geometry(c);
    const uint64_t n = g.rows * g.cols;
    if (!n)
        return;
    simdrop_gpu_launch *l;
    if (!g.strided) {
        l = elements(pl, rule, n, g.first, x, mask, *k);
    } else {
        /* The block's index range, 1 to 2^64 indices (the range check's limit; 2^64 is 0 here),
         * and its keep bits in bytes, counted without wrapping: (span + 7) / 8 made 0 bytes of
         * a span near 2^64, and the generator ran over it unbounded. No device allocates such a
         * scratch: SIMDROP_ENOMEM. */
        const uint64_t span = (g.rows - 1) * g.global_cols + g.cols;
        pl->scratch = span ? span / 8 + (span % 8 != 0) : (uint64_t)1 << 61;
        gen(pl, RULE_NONE, c->dtype, span, g.first)->slot[SIMDROP_GPU_MASK_OUT] = SIMDROP_GPU_SCRATCH;
        l = bits(pl, rule, c->dtype, n, 1, 0, x, SIMDROP_GPU_SCRATCH);
        set_consts(l, *k);
        block_view(l, &g, g.global_cols);
        if (mask >= 0 && given(c, mask)) {
            simdrop_gpu_launch *m = add(pl, KIND_gather, RULE_NONE, DT_F32, (n + 7) / 8);
            m->a.n = n;
            m->slot[SIMDROP_GPU_MASK_OUT] = mask;
            m->slot[SIMDROP_GPU_MASK_IN] = SIMDROP_GPU_SCRATCH;
            block_view(m, &g, g.global_cols);
        }
    }
    if (rule == RULE_BIAS || rule == RULE_BIAS_RESID)
        l->slot[SIMDROP_GPU_BIAS] = 3;
    if (rule == RULE_RESID || rule == RULE_BIAS_RESID)
        l->slot[SIMDROP_GPU_RESID] = 4;
    l->a.cols = g.cols; /* gen: the bias's columns; bits: the row length */
}

/* MASK_SPEC.md 4.5's non-empty row chunks of a bias gradient over `rows` rows. */
static uint64_t dbias_chunks(uint64_t rows)
{
    return rows < 16 ? rows : 16;
}

/* Backward from the block's mask (buffer `mask`) or regenerated, dx (0) from dy / dout (x), and
 * with dbias (buffer 1 of the fused backward, when given) its sums: 4.5's chunks folded, or 4.7's
 * granule partials straight into dbias. The scratch of the regenerated bits is dead once dx is
 * written, so the chunk sums reuse it. */
static void block_backward(plan *pl, int regen, int x, int mask, int with_dbias)
{
    const simdrop_gpu_call *c = pl->c;
    const block_geo g = geometry(c);
    const uint64_t n = g.rows * g.cols;
    const simdrop_consts k = simdrop_dropout_consts(c->p);
    const int dt = c->dtype, acc_dt = dt == DT_F64 ? DT_F64 : DT_F32, acc = dt == DT_F64 ? 8 : 4;
    if (regen) {
        block_gen(pl, RULE_SCALE, x, -1, &k);
    } else if (n) {
        simdrop_gpu_launch *l = bits(pl, RULE_SCALE, dt, n, 1, 0, x, mask);
        set_consts(l, k);
        if (g.strided)
            block_view(l, &g, g.cols);
    }
    if (!with_dbias || !given(c, 1) || !g.cols)
        return;
    if (n) {
        const uint64_t chunks = g.granule ? g.rows / g.granule + (g.rows % g.granule != 0)
                                          : dbias_chunks(g.rows);
        simdrop_gpu_launch *l = add(pl, KIND_colsum, RULE_NONE, dt, chunks * g.cols);
        l->slot[SIMDROP_GPU_Y] = g.granule ? 1 : SIMDROP_GPU_SCRATCH;
        l->slot[SIMDROP_GPU_X] = 0;
        l->a.rows = g.rows;
        l->a.cols = g.cols;
        l->a.ldx = g.ldy; /* dx as stored */
        l->a.granule = g.granule;
        if (g.granule)
            return;
        if (chunks * g.cols * acc > pl->scratch)
            pl->scratch = chunks * g.cols * acc;
    } else if (g.granule) {
        return; /* no granule at all: nothing to write */
    }
    simdrop_gpu_launch *l = add(pl, KIND_fold, RULE_NONE, acc_dt, g.cols); /* rows == 0: +0 */
    l->slot[SIMDROP_GPU_Y] = 1;
    l->slot[SIMDROP_GPU_X] = n ? SIMDROP_GPU_SCRATCH : SIMDROP_GPU_NONE;
    l->a.rows = n ? dbias_chunks(g.rows) : 0;
    l->a.cols = g.cols;
}

size_t simdrop_gpu_plan(const simdrop_gpu_call *c, simdrop_gpu_launch *out, uint64_t *scratch)
{
    plan pl = {c, out, 0, 0};
    const simdrop_consts dropout = simdrop_dropout_consts(c->p);
    simdrop_gpu_launch *l;
    switch (c->entry) {
    case SIMDROP_ENTRY_FORWARD:
    case SIMDROP_ENTRY_FORWARD_BLOCK: block_gen(&pl, RULE_SCALE, 2, 1, &dropout); break;
    case SIMDROP_ENTRY_BDA:
    case SIMDROP_ENTRY_BDA_BLOCK: block_gen(&pl, bda_rule(c), 2, 1, &dropout); break;
    /* the regenerated mask is forward's, and dx = dy * f is forward's formula */
    case SIMDROP_ENTRY_BACKWARD_REGEN:
    case SIMDROP_ENTRY_BACKWARD_REGEN_BLOCK: block_backward(&pl, 1, 1, -1, 0); break;
    case SIMDROP_ENTRY_BACKWARD:
    case SIMDROP_ENTRY_BACKWARD_BLOCK: block_backward(&pl, 0, 1, 2, 0); break;
    case SIMDROP_ENTRY_BDA_BACKWARD:
    case SIMDROP_ENTRY_BDA_BACKWARD_BLOCK: block_backward(&pl, 0, 2, 3, 1); break;
    case SIMDROP_ENTRY_BDA_BACKWARD_REGEN:
    case SIMDROP_ENTRY_BDA_BACKWARD_REGEN_BLOCK: block_backward(&pl, 1, 2, -1, 1); break;
    case SIMDROP_ENTRY_FORWARD_GROUPS: groups_forward(&pl, FAMILY_SCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_ALPHA_FORWARD: groups_forward(&pl, FAMILY_ALPHA, c->a, c->b); break;
    case SIMDROP_ENTRY_UNSCALED_FORWARD: groups_forward(&pl, FAMILY_UNSCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_BACKWARD_GROUPS: groups_backward(&pl, FAMILY_SCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_ALPHA_BACKWARD: groups_backward(&pl, FAMILY_ALPHA, c->a, c->b); break;
    case SIMDROP_ENTRY_UNSCALED_BACKWARD: groups_backward(&pl, FAMILY_UNSCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_BACKWARD_GROUPS_REGEN: groups_regen(&pl, FAMILY_SCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_ALPHA_BACKWARD_REGEN: groups_regen(&pl, FAMILY_ALPHA, c->a, c->b); break;
    case SIMDROP_ENTRY_UNSCALED_BACKWARD_REGEN: groups_regen(&pl, FAMILY_UNSCALED, c->a, c->b); break;
    case SIMDROP_ENTRY_FORWARD_GROUPS_NHWC: nhwc_gen(&pl, FAMILY_SCALED, 0); break;
    case SIMDROP_ENTRY_FORWARD_ALPHA_NHWC: nhwc_gen(&pl, FAMILY_ALPHA, 0); break;
    case SIMDROP_ENTRY_BACKWARD_GROUPS_NHWC_REGEN: nhwc_gen(&pl, FAMILY_SCALED, 1); break;
    case SIMDROP_ENTRY_BACKWARD_ALPHA_NHWC_REGEN: nhwc_gen(&pl, FAMILY_ALPHA, 1); break;
    case SIMDROP_ENTRY_BACKWARD_GROUPS_NHWC: nhwc_backward(&pl, FAMILY_SCALED); break;
    case SIMDROP_ENTRY_BACKWARD_ALPHA_NHWC: nhwc_backward(&pl, FAMILY_ALPHA); break;
    case SIMDROP_ENTRY_DBIAS_REDUCE: /* fold's order is 4.7's reduction; no granule: +0 */
        if (!c->b)
            break;
        l = add(&pl, KIND_fold, RULE_NONE, c->dtype, c->b);
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_X] = c->a ? 1 : SIMDROP_GPU_NONE;
        l->a.rows = c->a;
        l->a.cols = c->b;
        break;
    case SIMDROP_ENTRY_MASK:
        if (c->a)
            gen(&pl, RULE_NONE, DT_F32, c->a, c->offset)->slot[SIMDROP_GPU_MASK_OUT] = 0;
        break;
    case SIMDROP_ENTRY_MASK_TO_BYTES:
        if (!c->a)
            break;
        l = add(&pl, KIND_to_bytes, RULE_NONE, DT_F32, c->a);
        l->a.n = c->a;
        l->slot[SIMDROP_GPU_Y] = 0;
        l->slot[SIMDROP_GPU_MASK_IN] = 1;
        break;
    case SIMDROP_ENTRY_MASK_FROM_BYTES:
        if (!c->a)
            break;
        l = add(&pl, KIND_from_bytes, RULE_NONE, DT_F32, c->a / 8 + 1);
        l->a.n = c->a;
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
                           size_t channels, const simdrop_block *block, size_t granule, double p,
                           uint64_t seed, uint64_t offset)
{
    memset(call, 0, sizeof *call);
    call->entry = entry;
    call->dtype = dtype;
    call->a = block ? block->rows : a;
    call->b = block ? block->cols : b;
    call->channels = channels;
    if (block) {
        const simdrop_block_shape shape = {block->row0, block->col0, block->global_cols,
                                           block->ldx, block->ldy, granule};
        call->block_shape = shape;
        call->block = &call->block_shape;
    }
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
    c.block = call->block;
    c.channels = call->channels;
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
    if ((size_t)scratch_bytes != scratch_bytes) { /* a 32-bit host: the allocators take a size_t */
        snprintf(why, sizeof why, "the scratch of %" PRIu64 " bytes exceeds size_t", scratch_bytes);
        return failed(be, &c, SIMDROP_ENOMEM, why, err, err_size);
    }
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
