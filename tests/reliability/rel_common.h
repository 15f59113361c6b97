/* rel_common.h: what the reliability tests share: the entry points as one table, a spec.h oracle, sizes. */
#ifndef SIMDROP_REL_COMMON_H
#define SIMDROP_REL_COMMON_H

#include <math.h>

#include "common.h"
#include "spec.h"
#include "values.h"

/* ---- seeds and sizes ---------------------------------------------------------------------- */

/* Statistical tests must not flake, so unlike test_seed_init() they default to a fixed seed;
 * --seed N or SIMDROP_TEST_SEED=N still override it (and the seed is printed either way). */
static inline uint64_t rel_seed_fixed(int argc, char **argv, const char *name, uint64_t fixed)
{
    const char *env = getenv("SIMDROP_TEST_SEED");
    int given = env && *env;
    for (int i = 1; i + 1 < argc; i++)
        given |= !strcmp(argv[i], "--seed");
    if (given)
        return test_seed_init(argc, argv, name);
    printf("%s: seed %" PRIu64 " (fixed; override with --seed N)\n", name, fixed);
    test_rng_state = fixed;
    return fixed;
}

/* SIMDROP_TEST_SMALL=1 (set by the valgrind and sanitizer CI jobs) shrinks the work of the
 * heavier tests; every check still runs, on fewer or shorter inputs. */
static inline int rel_small(void)
{
    const char *env = getenv("SIMDROP_TEST_SMALL");
    return env && *env && strcmp(env, "0") != 0;
}

/* ---- the entry points as data --------------------------------------------------------------- */

enum rel_kind { REL_F32, REL_MASK, REL_BYTES };

typedef struct rel_arg {
    const char *name;
    unsigned char kind;     /* enum rel_kind: sizes the buffer from n */
    unsigned char is_out;   /* written by the call */
    unsigned char nullable; /* NULL is allowed even when n > 0 */
} rel_arg;

typedef struct rel_op {
    const char *name;
    int nargs;
    rel_arg arg[3];
    int uses_p, uses_seed; /* uses_seed: takes seed and offset */
} rel_op;

enum { OP_FORWARD, OP_BACKWARD, OP_REGEN, OP_MASK, OP_TO_BYTES, OP_FROM_BYTES, OP_COUNT };

/* Argument order is the C signature's order of pointer arguments. */
static const rel_op rel_ops[OP_COUNT] = {
    {"forward_f32", 3, {{"y", REL_F32, 1, 0}, {"mask", REL_MASK, 1, 1}, {"x", REL_F32, 0, 0}}, 1, 1},
    {"backward_f32", 3, {{"dx", REL_F32, 1, 0}, {"dy", REL_F32, 0, 0}, {"mask", REL_MASK, 0, 0}}, 1, 0},
    {"backward_regen_f32", 2, {{"dx", REL_F32, 1, 0}, {"dy", REL_F32, 0, 0}}, 1, 1},
    {"mask", 1, {{"mask", REL_MASK, 1, 0}}, 1, 1},
    {"mask_to_bytes", 2, {{"bytes", REL_BYTES, 1, 0}, {"mask", REL_MASK, 0, 0}}, 0, 0},
    {"mask_from_bytes", 2, {{"mask", REL_MASK, 1, 0}, {"bytes", REL_BYTES, 0, 0}}, 0, 0},
};

static inline size_t rel_bytes(int kind, size_t n)
{
    return kind == REL_F32 ? n * sizeof(float) : kind == REL_MASK ? n / 8 + (n % 8 != 0) : n;
}

/* Calls entry point `op` with the pointers b[0..nargs) in rel_ops order. */
static inline int rel_invoke(int op, void *const b[3], size_t n, double p, uint64_t seed,
                             uint64_t offset)
{
    switch (op) {
    case OP_FORWARD:
        return simdrop_forward_f32((float *)b[0], (uint8_t *)b[1], (const float *)b[2], n, p,
                                   seed, offset);
    case OP_BACKWARD:
        return simdrop_backward_f32((float *)b[0], (const float *)b[1], (const uint8_t *)b[2], n,
                                    p);
    case OP_REGEN:
        return simdrop_backward_regen_f32((float *)b[0], (const float *)b[1], n, p, seed, offset);
    case OP_MASK:
        return simdrop_mask((uint8_t *)b[0], n, p, seed, offset);
    case OP_TO_BYTES:
        return simdrop_mask_to_bytes((uint8_t *)b[0], (const uint8_t *)b[1], n);
    case OP_FROM_BYTES:
        return simdrop_mask_from_bytes((uint8_t *)b[0], (const uint8_t *)b[1], n);
    }
    return 1; /* not a status the library returns */
}

/* ---- the oracle: docs/MASK_SPEC.md through spec.h only, no kernel code ----------------------- */

/* Keep flags of elements offset .. offset+n-1 into `mask` (bit k of byte k/8, bits past n
 * cleared). Steps one round at a time and reseeds at block starts, the slow obvious way. */
static inline void rel_ref_mask(uint8_t *mask, size_t n, double p, uint64_t seed,
                                uint64_t offset)
{
    const uint32_t t = simdrop_threshold(p);
    const uint64_t key = simdrop_seed_key(seed);
    simdrop_lanes st;
    uint32_t out[SIMDROP_LANES];
    uint64_t have_block = 0, have_round = 0;
    int have = 0;
    memset(mask, 0, rel_bytes(REL_MASK, n));
    for (size_t k = 0; k < n; k++) {
        const uint64_t i = offset + k; /* wraps only past the last element, never inside */
        const uint64_t block = i / SIMDROP_BLOCK, round = i % SIMDROP_BLOCK / SIMDROP_ROUND;
        if (!have || block != have_block || round != have_round) {
            if (!have || block != have_block || round < have_round) {
                simdrop_seed_block(&st, key, block);
                simdrop_round(&st, out);
                have_round = 0;
            }
            while (have_round < round) {
                simdrop_round(&st, out);
                have_round++;
            }
            have_block = block;
            have = 1;
        }
        if (simdrop_round_bits16(out, (unsigned)(i % SIMDROP_ROUND)) >= t)
            mask[k / 8] |= (uint8_t)(1u << (k % 8));
    }
}

/* out[k] = in[k] * (bit k of mask ? s : 0), the one output rule of every float entry point. */
static inline void rel_ref_apply(float *out, const float *in, const uint8_t *mask, size_t n,
                                 double p)
{
    const simdrop_consts c = simdrop_dropout_consts(p);
    for (size_t k = 0; k < n; k++)
        out[k] = simdrop_rule_f(RULE_SCALE, in[k], 0.0f, 0.0f, (mask[k / 8] >> (k % 8)) & 1, &c);
}

/* What a successful call of `op` must write into its output buffers, computed from the inputs
 * in[] (copies, so overlapping or in-place calls are handled by the caller) into out[]. */
static inline void rel_reference(int op, void *const out[3], const void *const in[3], size_t n,
                                 double p, uint64_t seed, uint64_t offset)
{
    uint8_t *tmp;
    switch (op) {
    case OP_FORWARD:
    case OP_REGEN:
        tmp = (uint8_t *)malloc(rel_bytes(REL_MASK, n) + 1);
        rel_ref_mask(tmp, n, p, seed, offset);
        rel_ref_apply((float *)out[0], (const float *)in[op == OP_FORWARD ? 2 : 1], tmp, n, p);
        if (op == OP_FORWARD && out[1])
            memcpy(out[1], tmp, rel_bytes(REL_MASK, n));
        free(tmp);
        break;
    case OP_BACKWARD:
        rel_ref_apply((float *)out[0], (const float *)in[1], (const uint8_t *)in[2], n, p);
        break;
    case OP_MASK:
        rel_ref_mask((uint8_t *)out[0], n, p, seed, offset);
        break;
    case OP_TO_BYTES:
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)out[0])[k] = (((const uint8_t *)in[1])[k / 8] >> (k % 8)) & 1;
        break;
    case OP_FROM_BYTES:
        memset(out[0], 0, rel_bytes(REL_MASK, n));
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)out[0])[k / 8] |= (uint8_t)((((const uint8_t *)in[1])[k] != 0) << (k % 8));
        break;
    }
}

/* Fills a float buffer with test_rand() values, including the specials whose dropping the
 * spec pins down (NaN, +-Inf, -0.0, subnormals). */
static inline void rel_fill_floats(float *x, size_t n)
{
    static const uint32_t special[] = {0x7fc00000u, 0xffc00001u, 0x7f800000u, 0xff800000u,
                                       0x80000000u, 0x00000001u, 0x807fffffu, 0x00000000u};
    for (size_t k = 0; k < n; k++) {
        const uint64_t r = test_rand();
        x[k] = r % 16 == 0 ? u2f(special[(r >> 4) % 8]) : u2f((uint32_t)(r >> 32));
    }
}

static inline void rel_fill_bytes(void *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        ((uint8_t *)p)[k] = (uint8_t)test_rand();
}

#endif
