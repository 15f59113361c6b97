/* kernels.h: the one kernel source of the GPU backends: every operation and dtype of the CPU API, in the common subset of C, CUDA C and OpenCL C.
 *
 * Compiled unchanged by nvcc (gpu/cuda/), by the OpenCL compiler of the device at run time (the
 * host library embeds this file and its includes: gpu/opencl/), and by the C compiler for the
 * test that runs it against the CPU library (tests/gpu/); gpu/device.h is the one place that
 * differs between them, and kernels/spec/ (spec.h, values.h) is the per-element math they
 * share with the CPU paths. The kernels are listed in gpu/kernel_list.h; gpu/launch.c decides
 * which ones a call runs, with which arguments.
 *
 * What makes the generator kernel fast (issue 14, measured on an H200 with a first version):
 * one thread per (block, lane), each lane's state reached in O(1) from its two splitmix64
 * outputs; the loads of SIMDROP_DEV_PREFETCH rounds issued before their arithmetic; the warp's
 * ballot building the 32-bit mask words; an unaligned offset costs one partial round at each
 * end, never a slow path for the bulk.
 *
 * Bits: every value is MASK_SPEC.md's: the rules of values.h in the dtype's arithmetic, with no
 * contraction into FMA (the CUDA build passes -fmad=false, the OpenCL program starts with
 * FP_CONTRACT OFF) and denormals kept; the NaNs a device would pick differently are made
 * explicit in simdrop_dev_rule_f/_d below. */
#ifndef SIMDROP_GPU_KERNELS_H
#define SIMDROP_GPU_KERNELS_H

#include "device.h"
#include "kernel_list.h"
#include "spec/spec.h"
#include "spec/values.h"

/* ---- the arguments: one parameter list for every kernel --------------------------------------
 * Every kernel takes the same parameters, so that each host sets them in one place (OpenCL's
 * kernel arguments allow no size_t, no bool and no struct with pointers: plain scalars). */
#define SIMDROP_DEV_PARAMS                                                                        \
    SIMDROP_DEV_GLOBAL uint8_t *y, SIMDROP_DEV_GLOBAL const uint8_t *x,                           \
        SIMDROP_DEV_GLOBAL const uint8_t *bias, SIMDROP_DEV_GLOBAL const uint8_t *resid,          \
        SIMDROP_DEV_GLOBAL uint8_t *mask_out, SIMDROP_DEV_GLOBAL const uint8_t *mask_in,          \
        uint64_t n, uint64_t offset, uint64_t key, uint64_t cols, uint64_t group_len,             \
        uint64_t rows, uint64_t ldx, uint64_t ldy, uint64_t bit_ld, uint64_t row_group,           \
        uint64_t granule, uint64_t nan64, double mul64, double add64, double drop64, float mul,   \
        float add, float drop, uint32_t threshold, uint32_t nan32

typedef struct simdrop_dev_args {
    SIMDROP_DEV_GLOBAL uint8_t *y;             /* elements written (y, dx, out, bytes, sums) */
    SIMDROP_DEV_GLOBAL const uint8_t *x;       /* elements read (x, dy, dout, bytes, sums) */
    SIMDROP_DEV_GLOBAL const uint8_t *bias;    /* cols elements: the bias rules */
    SIMDROP_DEV_GLOBAL const uint8_t *resid;   /* the residual rules */
    SIMDROP_DEV_GLOBAL uint8_t *mask_out;      /* keep bits written (gen), or NULL */
    SIMDROP_DEV_GLOBAL const uint8_t *mask_in; /* keep bits read (bits, to_bytes) */
    uint64_t n;                                /* units: elements, or groups for their bits */
    uint64_t offset;                           /* global index of unit 0 */
    uint64_t key;                              /* simdrop_seed_key(seed) */
    uint64_t cols, group_len, rows;            /* the kinds below say what each means */
    uint64_t ldx, ldy;                         /* row strides of what is read and written */
    uint64_t bit_ld, row_group;                /* bits: where a row's keep bits are */
    uint64_t granule;                          /* colsum: rows per partial sum, or 0 */
    uint64_t nan64;                            /* the NaN of Inf * 0, double (see below) */
    simdrop_consts c;                          /* the rule's constants (host.h) */
    uint32_t threshold;                        /* T(p) */
    uint32_t nan32;                            /* the NaN of Inf * 0, float */
} simdrop_dev_args;

#define SIMDROP_DEV_ARGS_INIT                                                                     \
    {y, x, bias, resid, mask_out, mask_in, n, offset, key, cols, group_len, rows, ldx, ldy,       \
     bit_ld, row_group, granule, nan64, {mul, add, drop, mul64, add64, drop64}, threshold, nan32}

/* ---- the generator: one lane in O(1) --------------------------------------------------------- */

/* Lane `lane` of block `block` (MASK_SPEC.md section 2.2), equal to simdrop_seed_block's: the
 * lanes take the block's splitmix64 outputs two by two, and splitmix64's state after m steps is
 * its start plus m * 0x9e3779b97f4a7c15, so a lane jumps over the 2 * lane outputs before its
 * own instead of computing them. */
SIMDROP_DEV_FN void simdrop_dev_seed_lane(uint32_t s[4], uint64_t key, uint64_t block,
                                          unsigned lane)
{
    uint64_t x = key ^ block;
    x = simdrop_splitmix64_next(&x);                 /* the block's stream starts at an output */
    x += (uint64_t)(2u * lane) * 0x9e3779b97f4a7c15u;
    const uint64_t z0 = simdrop_splitmix64_next(&x);
    const uint64_t z1 = simdrop_splitmix64_next(&x);
    s[0] = (uint32_t)z0;
    s[1] = (uint32_t)(z0 >> 32);
    s[2] = (uint32_t)z1;
    s[3] = (uint32_t)(z1 >> 32);
}

/* The 32-bit keep words of a warp's two blocks from the warp's OR of its lanes' bits (lane l's
 * low-half bit at bit l of lo, its high-half bit at bit l of hi): elements 0..15 of a round are
 * the low halves of the block's lanes 0..15, elements 16..31 their high halves. */
SIMDROP_DEV_FN uint32_t simdrop_dev_word(uint32_t lo, uint32_t hi, unsigned second_block)
{
    return second_block ? (lo >> 16) | (hi & 0xffff0000u) : (lo & 0xffffu) | (hi << 16);
}

/* ---- elements by dtype ----------------------------------------------------------------------- */

/* Element k, widened to float (f32, bf16, f16: MASK_SPEC.md section 4.2). */
SIMDROP_DEV_FN float simdrop_dev_load_f(int dt, SIMDROP_DEV_GLOBAL const uint8_t *p, uint64_t k)
{
    if (dt == DT_BF16)
        return simdrop_bf16_to_f32(((SIMDROP_DEV_GLOBAL const uint16_t *)p)[k]);
    if (dt == DT_F16)
        return simdrop_f16_to_f32(((SIMDROP_DEV_GLOBAL const uint16_t *)p)[k]);
    return ((SIMDROP_DEV_GLOBAL const float *)p)[k];
}

SIMDROP_DEV_FN void simdrop_dev_store_f(int dt, SIMDROP_DEV_GLOBAL uint8_t *p, uint64_t k, float v)
{
    if (dt == DT_BF16)
        ((SIMDROP_DEV_GLOBAL uint16_t *)p)[k] = simdrop_f32_to_bf16(v);
    else if (dt == DT_F16)
        ((SIMDROP_DEV_GLOBAL uint16_t *)p)[k] = simdrop_f32_to_f16(v);
    else
        ((SIMDROP_DEV_GLOBAL float *)p)[k] = v;
}

SIMDROP_DEV_FN double simdrop_dev_load_d(SIMDROP_DEV_GLOBAL const uint8_t *p, uint64_t k)
{
    return ((SIMDROP_DEV_GLOBAL const double *)p)[k];
}

/* The NaNs, made explicit. A rule's arithmetic is IEEE's on every device, but not which NaN it
 * returns: NVIDIA GPUs return one canonical NaN (0x7fffffff) from any operation whose result is
 * NaN, where x86 and AArch64 return the NaN operand, quieted (MASK_SPEC.md section 4.1). So
 * SCALE and AFFINE, whose only NaN operand can be x, return x quieted themselves, and an
 * infinite x times a zero factor returns nan32/nan64: the NaN of Inf * 0 of the host CPU's
 * family (x86's negative default NaN, AArch64's positive one), which the host passes in. The
 * other three rules make every NaN canonical already (values.h). */
SIMDROP_DEV_FN float simdrop_dev_rule_f(int rule, float x, float b, float r, int keep,
                                        const simdrop_consts *c, uint32_t nan32)
{
    const float v = simdrop_rule_f(rule, x, b, r, keep, c);
    const uint32_t u = simdrop_f2u(x), mag = u & 0x7fffffffu;
    if (rule != RULE_SCALE && rule != RULE_AFFINE)
        return v;
    if (mag > 0x7f800000u)
        return simdrop_u2f(u | 0x00400000u);
    if (mag == 0x7f800000u && !(keep && c->mul != 0.0f))
        return simdrop_u2f(nan32);
    return v;
}

SIMDROP_DEV_FN double simdrop_dev_rule_d(int rule, double x, double b, double r, int keep,
                                         const simdrop_consts *c, uint64_t nan64)
{
    const double v = simdrop_rule_d(rule, x, b, r, keep, c);
    const uint64_t u = simdrop_d2u(x), mag = u & 0x7fffffffffffffffu;
    if (rule != RULE_SCALE && rule != RULE_AFFINE)
        return v;
    if (mag > 0x7ff0000000000000u)
        return simdrop_u2d(u | 0x0008000000000000u);
    if (mag == 0x7ff0000000000000u && !(keep && c->mul64 != 0.0))
        return simdrop_u2d(nan64);
    return v;
}

/* y[k] from the loaded operands (xf, bf, rf for the float dtypes, xd, bd, rd for f64). */
SIMDROP_DEV_FN void simdrop_dev_put(int rule, int dt, const simdrop_dev_args *a, uint64_t k,
                                    int keep, float xf, float bf, float rf, double xd, double bd,
                                    double rd)
{
    if (dt == DT_F64)
        ((SIMDROP_DEV_GLOBAL double *)a->y)[k] =
            simdrop_dev_rule_d(rule, xd, bd, rd, keep, &a->c, a->nan64);
    else
        simdrop_dev_store_f(dt, a->y, k, simdrop_dev_rule_f(rule, xf, bf, rf, keep, &a->c, a->nan32));
}

/* ---- the bitmask: 32-bit slots ---------------------------------------------------------------- */

/* Call bits P .. P + 31 (P a multiple of 8, negative before the call's bit 0) at mask + P / 8,
 * a 4-byte aligned address: only the bytes that hold bits 0 .. nbits - 1, with the bits past
 * nbits cleared (MASK_SPEC.md section 5). Whole slots are one aligned store. */
SIMDROP_DEV_FN void simdrop_dev_put_slot(SIMDROP_DEV_GLOBAL uint8_t *mask, uint64_t nbits,
                                         int64_t P, uint32_t word)
{
    if (SIMDROP_DEV_LITTLE_ENDIAN && P >= 0 && (uint64_t)P + 32 <= nbits) {
        *(SIMDROP_DEV_GLOBAL uint32_t *)(mask + P / 8) = word;
        return;
    }
    for (int k = 0; k < 4; k++) {
        const int64_t bit = P + 8 * k;
        if (bit < 0 || (uint64_t)bit >= nbits)
            continue;
        uint32_t v = (word >> (8 * k)) & 0xffu;
        if (nbits - (uint64_t)bit < 8)
            v &= (1u << (nbits - (uint64_t)bit)) - 1u;
        mask[bit / 8] = (uint8_t)v;
    }
}

/* The slot of two consecutive rounds' words: bits sh.. of `first`, then `second`'s. */
SIMDROP_DEV_FN uint32_t simdrop_dev_slot(uint32_t first, uint32_t second, uint32_t sh)
{
    return sh ? (first >> sh) | (second << (32 - sh)) : first;
}

/* The bias column of call element K (negative before the call) modulo cols. */
SIMDROP_DEV_FN uint64_t simdrop_dev_column(int64_t K, uint64_t cols)
{
    if (K >= 0)
        return (uint64_t)K % cols;
    const uint64_t back = (uint64_t)(-K) % cols;
    return back ? cols - back : 0;
}

SIMDROP_DEV_FN uint64_t simdrop_dev_col_add(uint64_t col, uint64_t step, uint64_t cols)
{
    col += step; /* col < cols and step < cols */
    return col >= cols ? col - cols : col;
}

/* ---- gen: keep bits from the generator ---------------------------------------------------------
 * Rule `rule` on dtype `dt` over the call's units 0 .. n - 1, global indices offset + k: y[k]
 * from x[k] (and residual[k], bias[k % cols]) with keep(seed, offset + k, p), and the keep bits
 * to mask_out unless it is NULL. RULE_NONE: the bits alone.
 *
 * Warp w runs blocks b0 = first + 2w and b0 + 1: lane l is lane l % 16 of block b0 + l / 16,
 * so the 16 lanes of a block touch 16 consecutive elements in each half of a round. All 32
 * lanes walk the same rounds (the union of the two blocks' rounds in the call) and take part in
 * every SIMDROP_DEV_WARP_OR2; a lane skips the elements that are not the call's.
 *
 * The bitmask is written in 32-bit slots aligned in memory: with d = mask_out % 4, slot
 * boundaries fall at call bit -8d (mod 32), so each slot holds bits sh.. of one round's word
 * and the low bits of the next round's, sh = (offset - 8d) % 32. The slot of a round is written
 * after the next round, and that of a block's last round with the first word of the next
 * block, which each lane computes up front (one more seeding, in O(1)). The slot before the
 * call's first round holds no bit of the call below sh: it is written by warp 0 alone. */
SIMDROP_DEV_FN void simdrop_dev_gen(int rule, int dt, const simdrop_dev_args *a,
                                    SIMDROP_DEV_WARP_PARAM)
{
    const uint64_t last = a->offset + (a->n - 1); /* offset + n <= 2^64: no wrap */
    const uint64_t first_block = a->offset / SIMDROP_BLOCK, last_block = last / SIMDROP_BLOCK;
    const uint64_t warps = (last_block - first_block) / 2 + 1;
    const uint32_t start = (uint32_t)(a->offset % SIMDROP_BLOCK); /* in the first block */
    const int with_mask = a->mask_out != 0;
    const uint32_t sh = ((uint32_t)a->offset - 8u * (uint32_t)((uintptr_t)a->mask_out & 3u)) & 31u;
    const int bias_rule = rule == RULE_BIAS || rule == RULE_BIAS_RESID;
    const int resid_rule = rule == RULE_RESID || rule == RULE_BIAS_RESID;
    const uint64_t cols = bias_rule ? a->cols : 1;
    const uint64_t step16 = 16 % cols, step32 = 32 % cols;
    (void)simdrop_warp;
    for (uint64_t w = SIMDROP_DEV_WARP_ID; w < warps; w += SIMDROP_DEV_WARPS) {
        const uint64_t b0 = first_block + 2 * w;
        const int two = b0 < last_block; /* the warp's second block is the call's */
        const unsigned r_lo = two || b0 != first_block ? 0 : start / SIMDROP_ROUND;
        const unsigned r_hi = two ? SIMDROP_ROUNDS_PER_BLOCK - 1
                                  : (unsigned)(last % SIMDROP_BLOCK) / SIMDROP_ROUND;
        /* call bit of the slot that starts in round 0 of b0 (bit sh of its word) */
        const int64_t p0 = (int64_t)(2 * w * SIMDROP_BLOCK) + (int64_t)sh - (int64_t)start;

        uint32_t s[SIMDROP_DEV_SLOTS][4], ahead[SIMDROP_DEV_SLOTS];
        uint64_t e0[SIMDROP_DEV_SLOTS], col[SIMDROP_DEV_SLOTS];
        int own[SIMDROP_DEV_SLOTS];
        for (unsigned i = 0; i < SIMDROP_DEV_SLOTS; i++) {
            const unsigned lane = SIMDROP_DEV_FIRST_LANE + i;
            const uint64_t b = b0 + lane / 16;
            simdrop_dev_seed_lane(s[i], a->key, b, lane % 16);
            ahead[i] = 0;
            if (with_mask) { /* the lane's first output in the next block */
                uint32_t t[4];
                simdrop_dev_seed_lane(t, a->key, b + 1, lane % 16);
                ahead[i] = simdrop_xoshiro128pp_next(t);
            }
            for (unsigned r = 0; r < r_lo; r++)
                (void)simdrop_xoshiro128pp_next(s[i]);
            own[i] = b <= last_block; /* b * 4096 is in range */
            e0[i] = own[i] ? b * SIMDROP_BLOCK + lane % 16 : 0;
            col[i] = bias_rule && own[i]
                         ? simdrop_dev_column((int64_t)(e0[i] + SIMDROP_ROUND * r_lo - a->offset), cols)
                         : 0;
        }
        uint32_t ahead0 = 0, ahead1 = 0; /* the first words of blocks b0 + 1 and b0 + 2 */
        if (with_mask) {
            uint32_t lo = 0, hi = 0;
            for (unsigned i = 0; i < SIMDROP_DEV_SLOTS; i++) {
                const unsigned lane = SIMDROP_DEV_FIRST_LANE + i;
                lo |= (uint32_t)((ahead[i] & 0xffffu) >= a->threshold) << lane;
                hi |= (uint32_t)((ahead[i] >> 16) >= a->threshold) << lane;
            }
            SIMDROP_DEV_WARP_OR2(lo, hi);
            ahead0 = simdrop_dev_word(lo, hi, 0);
            ahead1 = simdrop_dev_word(lo, hi, 1);
        }

        uint32_t prev0 = 0, prev1 = 0; /* the words of the round before */
        for (unsigned r = r_lo; r <= r_hi; r += SIMDROP_DEV_PREFETCH) {
            /* 1. the loads of up to SIMDROP_DEV_PREFETCH rounds */
            float xf[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            float bf[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            float rf[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            double xd[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            double bd[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            double rd[SIMDROP_DEV_SLOTS][SIMDROP_DEV_PREFETCH][2];
            SIMDROP_DEV_UNROLL
            for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH; u++) {
                for (unsigned i = 0; i < SIMDROP_DEV_SLOTS; i++) {
                    const uint64_t c_lo = col[i];
                    const uint64_t c_hi = simdrop_dev_col_add(c_lo, step16, cols);
                    for (unsigned h = 0; h < 2; h++) {
                        const uint64_t e = e0[i] + SIMDROP_ROUND * (r + u) + 16u * h;
                        xf[i][u][h] = bf[i][u][h] = rf[i][u][h] = 0.0f;
                        xd[i][u][h] = bd[i][u][h] = rd[i][u][h] = 0.0;
                        if (rule == RULE_NONE || r + u > r_hi || !own[i] || e < a->offset || e > last)
                            continue;
                        const uint64_t k = e - a->offset, c = h ? c_hi : c_lo;
                        if (dt == DT_F64) {
                            xd[i][u][h] = simdrop_dev_load_d(a->x, k);
                            bd[i][u][h] = bias_rule ? simdrop_dev_load_d(a->bias, c) : 0.0;
                            rd[i][u][h] = resid_rule ? simdrop_dev_load_d(a->resid, k) : 0.0;
                        } else {
                            xf[i][u][h] = simdrop_dev_load_f(dt, a->x, k);
                            bf[i][u][h] = bias_rule ? simdrop_dev_load_f(dt, a->bias, c) : 0.0f;
                            rf[i][u][h] = resid_rule ? simdrop_dev_load_f(dt, a->resid, k) : 0.0f;
                        }
                    }
                    if (bias_rule)
                        col[i] = simdrop_dev_col_add(c_lo, step32, cols);
                }
            }
            /* 2. each round's keep bits, values and mask slots */
            SIMDROP_DEV_UNROLL
            /* the same round count on every lane: uniform. In the loop's condition, not a
             * break: PoCL skipped the barriers' stores after such a break (its barrier loops
             * want one exit) */
            for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH && r + u <= r_hi; u++) {
                uint32_t lo = 0, hi = 0;
                for (unsigned i = 0; i < SIMDROP_DEV_SLOTS; i++) {
                    const unsigned lane = SIMDROP_DEV_FIRST_LANE + i;
                    const uint32_t out = simdrop_xoshiro128pp_next(s[i]);
                    const int keep_lo = (out & 0xffffu) >= a->threshold;
                    const int keep_hi = (out >> 16) >= a->threshold;
                    lo |= (uint32_t)keep_lo << lane;
                    hi |= (uint32_t)keep_hi << lane;
                    for (unsigned h = 0; rule != RULE_NONE && h < 2; h++) {
                        const uint64_t e = e0[i] + SIMDROP_ROUND * (r + u) + 16u * h;
                        if (own[i] && e >= a->offset && e <= last)
                            simdrop_dev_put(rule, dt, a, e - a->offset, h ? keep_hi : keep_lo,
                                            xf[i][u][h], bf[i][u][h], rf[i][u][h], xd[i][u][h],
                                            bd[i][u][h], rd[i][u][h]);
                    }
                }
                if (!with_mask)
                    continue;
                SIMDROP_DEV_WARP_OR2(lo, hi);
                const uint32_t w0 = simdrop_dev_word(lo, hi, 0), w1 = simdrop_dev_word(lo, hi, 1);
                const int64_t p = p0 + (int64_t)SIMDROP_ROUND * (r + u) - SIMDROP_ROUND;
                /* the slots of the round before, by the thread of lane 0: every thread holds
                 * both words after the exchange */
                if (SIMDROP_DEV_FIRST_LANE == 0 && (r + u > r_lo || w == 0))
                    simdrop_dev_put_slot(a->mask_out, a->n, p, simdrop_dev_slot(prev0, w0, sh));
                if (SIMDROP_DEV_FIRST_LANE == 0 && two && r + u > r_lo)
                    simdrop_dev_put_slot(a->mask_out, a->n, p + SIMDROP_BLOCK,
                                         simdrop_dev_slot(prev1, w1, sh));
                prev0 = w0;
                prev1 = w1;
            }
        }
        if (with_mask) { /* the slots of the last round, with the next blocks' first words */
            const int64_t p = p0 + (int64_t)SIMDROP_ROUND * r_hi;
            if (SIMDROP_DEV_FIRST_LANE == 0)
                simdrop_dev_put_slot(a->mask_out, a->n, p, simdrop_dev_slot(prev0, ahead0, sh));
            if (SIMDROP_DEV_FIRST_LANE == 0 && two)
                simdrop_dev_put_slot(a->mask_out, a->n, p + SIMDROP_BLOCK,
                                     simdrop_dev_slot(prev1, ahead1, sh));
        }
    }
}

/* ---- bits: keep bits from a bitmask -----------------------------------------------------------
 * Element k (0 <= k < n) of a bits launch is (row r, column c) of a 2-D view: with cols == 0
 * the call is one row (r = 0, c = k), else r = k / cols and c = k % cols. It reads x[r * ldx + c]
 * (and the residual at its output place, bias[c]), writes y[r * ldy + c], and its keep bit is bit
 * (r / row_group) * bit_ld + c / group_len of mask_in:
 *   element and group dropout   cols 0, group_len the group's length (1: element)
 *   channels-last groups        cols = channels, row_group = spatial, bit_ld = channels
 *   a block of a global tensor  cols = the block's, bit_ld = cols for its own mask, or the
 *                               global row length for bits of the global index range */
typedef struct simdrop_dev_at {
    uint64_t x, y, bit, col;
} simdrop_dev_at;

SIMDROP_DEV_FN simdrop_dev_at simdrop_dev_locate(const simdrop_dev_args *a, uint64_t k)
{
    simdrop_dev_at at;
    if (!a->cols) { /* one row: no division by the row length */
        at.x = at.y = at.col = k;
        at.bit = a->group_len == 1 ? k : k / a->group_len;
        return at;
    }
    const uint64_t r = k / a->cols, c = k % a->cols;
    at.x = r * a->ldx + c;
    at.y = r * a->ldy + c;
    at.col = c;
    at.bit = (a->row_group == 1 ? r : r / a->row_group) * a->bit_ld +
             (a->group_len == 1 ? c : c / a->group_len);
    return at;
}

/* Rule SCALE, AFFINE, the fused op's BIAS, RESID, BIAS_RESID (blocks), or
 * SIMDROP_DEV_RULE_COPY. Consecutive threads take consecutive elements; each has
 * SIMDROP_DEV_PREFETCH in flight. */
SIMDROP_DEV_FN void simdrop_dev_bits(int rule, int dt, const simdrop_dev_args *a,
                                     SIMDROP_DEV_WARP_PARAM)
{
    const uint64_t stride = SIMDROP_DEV_ITEMS;
    const int bias_rule = rule == RULE_BIAS || rule == RULE_BIAS_RESID;
    const int resid_rule = rule == RULE_RESID || rule == RULE_BIAS_RESID;
    (void)simdrop_warp;
    for (uint64_t base = SIMDROP_DEV_ITEM_ID; base < a->n; base += SIMDROP_DEV_PREFETCH * stride) {
        float xf[SIMDROP_DEV_PREFETCH], bf[SIMDROP_DEV_PREFETCH], rf[SIMDROP_DEV_PREFETCH];
        double xd[SIMDROP_DEV_PREFETCH], bd[SIMDROP_DEV_PREFETCH], rd[SIMDROP_DEV_PREFETCH];
        int keep[SIMDROP_DEV_PREFETCH];
        simdrop_dev_at at[SIMDROP_DEV_PREFETCH];
        SIMDROP_DEV_UNROLL
        for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH; u++) {
            const uint64_t k = base + u * stride;
            xf[u] = bf[u] = rf[u] = 0.0f;
            xd[u] = bd[u] = rd[u] = 0.0;
            keep[u] = 0;
            if (k >= a->n)
                continue;
            at[u] = simdrop_dev_locate(a, k);
            if (rule == SIMDROP_DEV_RULE_COPY) /* a copy has no mask_in (NULL) */
                continue;
            keep[u] = (a->mask_in[at[u].bit / 8] >> (at[u].bit % 8)) & 1;
            if (dt == DT_F64) {
                xd[u] = simdrop_dev_load_d(a->x, at[u].x);
                bd[u] = bias_rule ? simdrop_dev_load_d(a->bias, at[u].col) : 0.0;
                rd[u] = resid_rule ? simdrop_dev_load_d(a->resid, at[u].y) : 0.0;
            } else {
                xf[u] = simdrop_dev_load_f(dt, a->x, at[u].x);
                bf[u] = bias_rule ? simdrop_dev_load_f(dt, a->bias, at[u].col) : 0.0f;
                rf[u] = resid_rule ? simdrop_dev_load_f(dt, a->resid, at[u].y) : 0.0f;
            }
        }
        SIMDROP_DEV_UNROLL
        for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH; u++) {
            const uint64_t k = base + u * stride;
            if (k >= a->n)
                continue;
            const uint64_t i = at[u].x, o = at[u].y;
            if (rule != SIMDROP_DEV_RULE_COPY)
                simdrop_dev_put(rule, dt, a, o, keep[u], xf[u], bf[u], rf[u], xd[u], bd[u], rd[u]);
            else if (dt == DT_F64)
                ((SIMDROP_DEV_GLOBAL uint64_t *)a->y)[o] = ((SIMDROP_DEV_GLOBAL const uint64_t *)a->x)[i];
            else if (dt == DT_F32)
                ((SIMDROP_DEV_GLOBAL uint32_t *)a->y)[o] = ((SIMDROP_DEV_GLOBAL const uint32_t *)a->x)[i];
            else
                ((SIMDROP_DEV_GLOBAL uint16_t *)a->y)[o] = ((SIMDROP_DEV_GLOBAL const uint16_t *)a->x)[i];
        }
    }
}

/* gather: a block's own mask from bits of its global index range: mask_out byte i holds the
 * keep bits of elements 8i .. 8i + 7 (those below n; the bits past n cleared), each read from
 * mask_in where simdrop_dev_locate puts it. One byte per thread. */
SIMDROP_DEV_FN void simdrop_dev_gather(int rule, int dt, const simdrop_dev_args *a,
                                       SIMDROP_DEV_WARP_PARAM)
{
    (void)rule, (void)dt, (void)simdrop_warp;
    for (uint64_t i = SIMDROP_DEV_ITEM_ID; i < a->n / 8 + (a->n % 8 != 0); i += SIMDROP_DEV_ITEMS) {
        uint32_t v = 0;
        for (unsigned t = 0; t < 8 && 8 * i + t < a->n; t++) {
            const uint64_t g = simdrop_dev_locate(a, 8 * i + t).bit;
            v |= (uint32_t)((a->mask_in[g / 8] >> (g % 8)) & 1u) << t;
        }
        a->mask_out[i] = (uint8_t)v;
    }
}

/* ---- the bias gradient (MASK_SPEC.md sections 4.5 and 4.7) ------------------------------------
 * colsum: the partial sum of each (chunk j, column c) of a rows x cols tensor read with row
 * stride ldx (x = dx as stored, widened): +0, then its rows in order, a NaN made canonical; y
 * receives them chunk-major, in float (double for f64). With granule == 0 the chunks are 4.5's
 * (min(rows, 16) of them), else 4.7's granules of `granule` rows. fold: dbias[c] = the sums of
 * the first `rows` chunks added in chunk order, a NaN made canonical; +0 when rows == 0 (4.5's
 * fold, and simdrop_dbias_reduce). */
SIMDROP_DEV_FN void simdrop_dev_colsum(int rule, int dt, const simdrop_dev_args *a,
                                       SIMDROP_DEV_WARP_PARAM)
{
    const uint64_t g = a->granule, q = a->rows / 16, m = a->rows % 16;
    const uint64_t chunks = g ? a->rows / g + (a->rows % g != 0) : a->rows < 16 ? a->rows : 16;
    (void)rule, (void)simdrop_warp;
    for (uint64_t i = SIMDROP_DEV_ITEM_ID; i < chunks * a->cols; i += SIMDROP_DEV_ITEMS) {
        const uint64_t j = i / a->cols, c = i % a->cols;
        const uint64_t r0 = g ? j * g : j * q + (j < m ? j : m);
        const uint64_t r1 = g ? (a->rows - r0 < g ? a->rows : r0 + g) : r0 + q + (j < m ? 1 : 0);
        float sf = 0.0f;
        double sd = 0.0;
        uint64_t r = r0;
        for (; r + SIMDROP_DEV_PREFETCH <= r1; r += SIMDROP_DEV_PREFETCH) { /* loads first */
            float vf[SIMDROP_DEV_PREFETCH];
            double vd[SIMDROP_DEV_PREFETCH];
            SIMDROP_DEV_UNROLL
            for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH; u++) {
                vf[u] = dt == DT_F64 ? 0.0f : simdrop_dev_load_f(dt, a->x, (r + u) * a->ldx + c);
                vd[u] = dt == DT_F64 ? simdrop_dev_load_d(a->x, (r + u) * a->ldx + c) : 0.0;
            }
            SIMDROP_DEV_UNROLL
            for (unsigned u = 0; u < SIMDROP_DEV_PREFETCH; u++) {
                sf += vf[u];
                sd += vd[u];
            }
        }
        for (; r < r1; r++) {
            if (dt == DT_F64)
                sd += simdrop_dev_load_d(a->x, r * a->ldx + c);
            else
                sf += simdrop_dev_load_f(dt, a->x, r * a->ldx + c);
        }
        if (dt == DT_F64)
            ((SIMDROP_DEV_GLOBAL double *)a->y)[i] = sd != sd ? simdrop_u2d(SIMDROP_F64_NAN) : sd;
        else
            ((SIMDROP_DEV_GLOBAL float *)a->y)[i] = sf != sf ? simdrop_u2f(SIMDROP_F32_NAN) : sf;
    }
}

SIMDROP_DEV_FN void simdrop_dev_fold(int rule, int dt, const simdrop_dev_args *a,
                                     SIMDROP_DEV_WARP_PARAM)
{
    const uint64_t chunks = a->rows;
    (void)rule, (void)simdrop_warp;
    for (uint64_t c = SIMDROP_DEV_ITEM_ID; c < a->cols; c += SIMDROP_DEV_ITEMS) {
        if (dt == DT_F64) {
            SIMDROP_DEV_GLOBAL const double *sums = (SIMDROP_DEV_GLOBAL const double *)a->x;
            double acc = 0.0;
            for (uint64_t j = 0; j < chunks; j++)
                acc += sums[j * a->cols + c];
            ((SIMDROP_DEV_GLOBAL double *)a->y)[c] = acc != acc ? simdrop_u2d(SIMDROP_F64_NAN) : acc;
        } else {
            SIMDROP_DEV_GLOBAL const float *sums = (SIMDROP_DEV_GLOBAL const float *)a->x;
            float acc = 0.0f;
            for (uint64_t j = 0; j < chunks; j++)
                acc += sums[j * a->cols + c];
            ((SIMDROP_DEV_GLOBAL float *)a->y)[c] = acc != acc ? simdrop_u2f(SIMDROP_F32_NAN) : acc;
        }
    }
}

/* ---- the mask conversions: bitmask <-> one byte per element ----------------------------------- */

SIMDROP_DEV_FN void simdrop_dev_to_bytes(int rule, int dt, const simdrop_dev_args *a,
                                         SIMDROP_DEV_WARP_PARAM)
{
    (void)rule, (void)dt, (void)simdrop_warp;
    for (uint64_t k = SIMDROP_DEV_ITEM_ID; k < a->n; k += SIMDROP_DEV_ITEMS)
        a->y[k] = (uint8_t)((a->mask_in[k / 8] >> (k % 8)) & 1u);
}

/* One mask byte per thread, from 8 consecutive bytes (the bits past n cleared). */
SIMDROP_DEV_FN void simdrop_dev_from_bytes(int rule, int dt, const simdrop_dev_args *a,
                                           SIMDROP_DEV_WARP_PARAM)
{
    (void)rule, (void)dt, (void)simdrop_warp;
    for (uint64_t i = SIMDROP_DEV_ITEM_ID; i < a->n / 8 + (a->n % 8 != 0); i += SIMDROP_DEV_ITEMS) {
        uint32_t v = 0;
        for (unsigned bit = 0; bit < 8 && 8 * i + bit < a->n; bit++)
            v |= (uint32_t)(a->x[8 * i + bit] != 0) << bit;
        a->mask_out[i] = (uint8_t)v;
    }
}

/* ---- the kernels: one per entry of gpu/kernel_list.h ------------------------------------------ */

#define SIMDROP_DEV_DEFINE_KERNEL(name, kind, rule, dt)                                           \
    SIMDROP_DEV_KERNEL void simdrop_k_##name(SIMDROP_DEV_PARAMS)                                  \
    {                                                                                             \
        SIMDROP_DEV_WARP_DECL                                                                     \
        const simdrop_dev_args a = SIMDROP_DEV_ARGS_INIT;                                         \
        simdrop_dev_##kind(rule, dt, &a, SIMDROP_DEV_WARP_ARG);                                   \
    }
SIMDROP_GPU_KERNELS(SIMDROP_DEV_DEFINE_KERNEL)

#endif /* SIMDROP_GPU_KERNELS_H */
