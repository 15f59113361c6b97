/* rel_common.h: what the reliability tests share: sizes and seeds, random inputs, and the spec oracle for every entry of tests/entries.h. */
#ifndef SIMDROP_REL_COMMON_H
#define SIMDROP_REL_COMMON_H

#include <math.h>

#include "common.h"
#include "entries.h"
#include "spec/host.h" /* simdrop_store_le32 */
#include "spec/spec.h"
#include "spec/values.h"


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

static inline void *rel_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

/* Bytes of the byte-size unit a buffer of entry e moves by: its element (typed buffers must
 * stay aligned to it; a misaligned float is undefined behaviour) or 1 (masks, byte arrays). */
static inline size_t rel_align(const entry *e, int i)
{
    return ent_unit(e, i);
}

/* Argument indices by role: the main input (x, dy, dout) and the input mask of backward. */
static inline int rel_src_arg(const entry *e)
{
    return e->kind == K_FORWARD || e->family == FAM_BDA || e->family == FAM_BDA_BLOCK ? 2 : 1;
}

static inline int rel_mask_in_arg(const entry *e)
{
    return e->kind != K_BACKWARD ? -1 : e->family == FAM_BDA || e->family == FAM_BDA_BLOCK ? 3 : 2;
}

static inline int rel_bit(const uint8_t *mask, size_t k)
{
    return (mask[k / 8] >> (k % 8)) & 1;
}

/* ---- random inputs --------------------------------------------------------------------------- */

static inline void rel_fill_bytes(void *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        ((uint8_t *)p)[k] = (uint8_t)test_rand();
}

/* n elements of dtype dt: mostly ordinary values, with every special class the spec pins down
 * sprinkled in (NaNs quiet and signalling with payloads, infinities, signed zeros, subnormals,
 * the largest finite values) and some raw bit patterns. */
static inline void rel_fill_values(void *p, int dt, size_t n)
{
    static const uint32_t f32s[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fa12345u,
                                    0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                                    0x00000001u, 0x807fffffu, 0x7f7fffffu, 0x00800000u};
    static const uint64_t f64s[] = {0x7ff8000000000000u, 0xfff8000000000001u,
                                    0x7ff0000000000001u, 0x7ff0000000000000u,
                                    0xfff0000000000000u, 0, 0x8000000000000000u, 1,
                                    0x800fffffffffffffu, 0x7fefffffffffffffu,
                                    0x0010000000000000u};
    static const uint16_t h16s[] = {0x7e00u, 0xfe01u, 0x7c01u, 0x7c00u, 0xfc00u, 0x0000u,
                                    0x8000u, 0x0001u, 0x83ffu, 0x7bffu, 0x0400u, 0x7fc0u,
                                    0x7f81u, 0x7f80u, 0x0080u, 0x007fu};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand();
        const int special = r % 16 == 0, raw = r % 16 == 1;
        const double v = ((double)(r >> 11) * 0x1p-53 - 0.5) * 16.0;
        switch (dt) {
        case E_F32:
            ((float *)p)[i] = special ? u2f(f32s[(r >> 8) % 12]) : raw ? u2f((uint32_t)(r >> 32))
                                                                        : (float)v;
            break;
        case E_F64:
            ((double *)p)[i] = special ? simdrop_u2d(f64s[(r >> 8) % 11])
                               : raw   ? simdrop_u2d(r)
                                       : v;
            break;
        default: {
            uint16_t h = special ? h16s[(r >> 8) % 16] : (uint16_t)(r >> 40);
            if (!special && !raw)
                h = dt == E_BF16 ? simdrop_f32_to_bf16((float)v) : simdrop_f32_to_f16((float)v);
            ((uint16_t *)p)[i] = h;
        }
        }
    }
}

/* Fills input buffer i of entry e for shape s: values for element buffers, random bytes (bits
 * past the end included) for masks and byte arrays. */
static inline void rel_fill_input(const entry *e, int i, void *p, ent_shape s)
{
    const size_t bytes = ent_bytes(e, i, s);
    const int sz = e->arg[i].size;
    if (sz == SZ_ELEMS || sz == SZ_BIAS || sz == SZ_LDX || sz == SZ_LDY)
        rel_fill_values(p, e->dt, bytes / ent_dtype_size(e->dt));
    else if (sz == SZ_ACC_ALL) /* partial sums: values of the accumulation type */
        rel_fill_values(p, e->dt == E_F64 ? E_F64 : E_F32, bytes / ent_unit(e, i));
    else
        rel_fill_bytes(p, bytes);
}

/* ---- the oracle: docs/MASK_SPEC.md through spec.h and values.h' conversions only ------------- */

/* Keep flags of units offset .. offset+n-1 into `mask` (bit k of byte k/8, bits past n
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
    memset(mask, 0, n / 8 + (n % 8 != 0));
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

/* The constants of MASK_SPEC.md 4.1 and 4.4, derived here from the text (not values.h). */
typedef struct rel_consts {
    float s, A, AB, D;        /* f32, bf16, f16 */
    double s64, A64, AB64, D64; /* f64 */
} rel_consts;

static inline rel_consts rel_spec_consts(double p)
{
    rel_consts c;
    c.s64 = p == 1.0 ? 0.0 : 1.0 / (1.0 - p);
    c.s = p == 1.0 ? 0.0f : (float)(1.0 / (1.0 - p));
    const double alpha = 1.7580993408473766;
    const double a = 1.0 / sqrt((alpha * alpha * p + 1.0) * (1.0 - p));
    const double aa = alpha * a, ab = alpha * a * p;
    c.A = (float)a;
    c.AB = (float)ab;
    c.D = (float)ab - (float)aa;
    c.A64 = a;
    c.AB64 = ab;
    c.D64 = ab - aa;
    return c;
}

/* Element access in the compute type: float for f32/bf16/f16 (widened exactly), double for f64. */
static inline float rel_load_f(int dt, const void *p, size_t i)
{
    switch (dt) {
    case E_BF16: return simdrop_bf16_to_f32(((const uint16_t *)p)[i]);
    case E_F16: return simdrop_f16_to_f32(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
    }
}

static inline void rel_store_f(int dt, void *p, size_t i, float v)
{
    switch (dt) {
    case E_BF16: ((uint16_t *)p)[i] = simdrop_f32_to_bf16(v); break;
    case E_F16: ((uint16_t *)p)[i] = simdrop_f32_to_f16(v); break;
    default: ((float *)p)[i] = v; break;
    }
}

enum rel_op { ROP_SCALE, ROP_ALPHA, ROP_COPY };

/* y[i] for one element (4.1 - 4.5): op SCALE multiplies by f = keep ? mul : +0 (with the bias
 * and residual additions of 4.5 where b, r are given), ALPHA is 4.4's kept/dropped affine map,
 * COPY copies the bits. */
static inline void rel_element(int dt, int op, void *y, const void *x, const void *b, size_t bi,
                               const void *r, size_t i, int keep, const rel_consts *c,
                               double mul64, float mul)
{
    const size_t es = ent_dtype_size(dt);
    if (op == ROP_COPY) {
        memcpy((char *)y + i * es, (const char *)x + i * es, es);
        return;
    }
    if (dt == E_F64) {
        const double xv = ((const double *)x)[i];
        double v;
        if (op == ROP_ALPHA) {
            v = keep ? xv * c->A64 + c->AB64 : xv * 0.0 + c->D64;
        } else {
            const double t = b ? xv + ((const double *)b)[bi] : xv;
            const double u = t * (keep ? mul64 : 0.0);
            v = r ? ((const double *)r)[i] + u : u;
            if ((b || r) && isnan(v))
                v = simdrop_u2d(0x7ff8000000000000u);
        }
        ((double *)y)[i] = v;
        return;
    }
    const float xv = rel_load_f(dt, x, i);
    float v;
    if (op == ROP_ALPHA) {
        /* Two assignments, each rounding to float: where FLT_EVAL_METHOD is 1 (s390x), one
         * expression would be evaluated in double and rounded once. */
        const float prod = xv * (keep ? c->A : 0.0f);
        v = prod + (keep ? c->AB : c->D);
    } else {
        const float t = b ? xv + rel_load_f(dt, b, bi) : xv;
        const float u = t * (keep ? mul : 0.0f);
        v = r ? rel_load_f(dt, r, i) + u : u;
        if ((b || r) && isnan(v))
            v = u2f(0x7fc00000u);
    }
    rel_store_f(dt, y, i, v);
}

/* A sum of the bias gradient (float, double for f64) into out: the canonical NaN for a NaN. */
static inline void rel_put_sum(int dt, void *out, size_t c, double total64, float total)
{
    if (dt == E_F64)
        ((double *)out)[c] = isnan(total64) ? simdrop_u2d(0x7ff8000000000000u) : total64;
    else
        ((float *)out)[c] = isnan(total) ? u2f(0x7fc00000u) : total;
}

/* MASK_SPEC.md 4.7: each granule of `granule` rows summed from +0 in row order, into its own row
 * of cols partial sums (row r of dx at dx + r * ld). */
static inline void rel_partials(int dt, void *out, const void *dx, size_t rows, size_t cols,
                                size_t ld, size_t granule)
{
    for (size_t g = 0; g * granule < rows; g++)
        for (size_t c = 0; c < cols; c++) {
            double part64 = 0.0;
            float part = 0.0f;
            for (size_t r = g * granule; r < rows && r < (g + 1) * granule; r++) {
                if (dt == E_F64)
                    part64 += ((const double *)dx)[r * ld + c];
                else
                    part += rel_load_f(dt, dx, r * ld + c);
            }
            rel_put_sum(dt, (char *)out + g * cols * (dt == E_F64 ? 8 : 4), c, part64, part);
        }
}

/* MASK_SPEC.md 4.7's reduction: from +0, the granules' partial sums in order. */
static inline void rel_reduce(int dt, void *dbias, const void *partials, size_t granules,
                              size_t cols)
{
    for (size_t c = 0; c < cols; c++) {
        double total64 = 0.0;
        float total = 0.0f;
        for (size_t g = 0; g < granules; g++) {
            if (dt == E_F64)
                total64 += ((const double *)partials)[g * cols + c];
            else
                total += ((const float *)partials)[g * cols + c];
        }
        rel_put_sum(dt, dbias, c, total64, total);
    }
}

/* The bias gradient of MASK_SPEC.md 4.5: 16 row chunks, each summed from +0 in row order, the
 * partial sums folded in chunk order; a NaN result is the canonical NaN; rows == 0 gives +0.
 * Row r of dx is at dx + r * ld. */
static inline void rel_dbias_ld(int dt, void *dbias, const void *dx, size_t rows, size_t cols,
                                size_t ld)
{
    const size_t q = rows / 16, m = rows % 16;
    for (size_t c = 0; c < cols; c++) {
        double total64 = 0.0, part64;
        float total = 0.0f, part;
        for (size_t j = 0; j < 16; j++) {
            const size_t count = q + (j < m), start = j * q + (j < m ? j : m);
            if (!count)
                continue;
            part64 = 0.0, part = 0.0f;
            for (size_t r = start; r < start + count; r++) {
                if (dt == E_F64)
                    part64 += ((const double *)dx)[r * ld + c];
                else
                    part += rel_load_f(dt, dx, r * ld + c);
            }
            if (j == 0)
                total64 = part64, total = part;
            else
                total64 += part64, total += part;
        }
        rel_put_sum(dt, dbias, c, total64, total);
    }
}

static inline void rel_dbias(int dt, void *dbias, const void *dx, size_t rows, size_t cols)
{
    rel_dbias_ld(dt, dbias, dx, rows, cols, cols);
}

/* A block function's part of rel_oracle: element (r, c) is global element offset + (row0 + r)
 * * global_cols + col0 + c (its keep bit from the spec's stream, or bit r * cols + c of the
 * input mask), at r * ldx + c of the x-side input and r * ldy + c of the output and residual;
 * the gaps between rows are not written. */
static inline void rel_oracle_block(const entry *e, void *const out[5], const void *const in[5],
                                    ent_shape s, double p, uint64_t seed, uint64_t offset)
{
    const size_t rows = s.a, cols = s.b, n = rows * cols, es = ent_dtype_size(e->dt);
    const int bda = e->family == FAM_BDA_BLOCK;
    if (!n) { /* a bias gradient over no rows: +0 by 4.5; no granule, nothing, by 4.7 */
        if (bda && e->kind != K_FORWARD && out[1] && !s.granule)
            memset(out[1], 0, ent_bytes(e, 1, s));
        return;
    }
    uint8_t *keep = (uint8_t *)rel_malloc(n / 8 + 1), *row = (uint8_t *)rel_malloc(cols / 8 + 1);
    memset(keep, 0, n / 8 + 1);
    if (e->kind == K_BACKWARD) {
        memcpy(keep, in[rel_mask_in_arg(e)], (n + 7) / 8);
    } else {
        for (size_t r = 0; r < rows; r++) {
            rel_ref_mask(row, cols, p, seed, offset + (uint64_t)(s.row0 + r) * s.global_cols + s.col0);
            for (size_t c = 0; c < cols; c++)
                keep[(r * cols + c) / 8] |= (uint8_t)(rel_bit(row, c) << ((r * cols + c) % 8));
        }
    }
    const rel_consts k = rel_spec_consts(p);
    const char *x = (const char *)in[rel_src_arg(e)];
    const void *bias = bda && e->kind == K_FORWARD ? in[3] : NULL;
    const char *resid = bda && e->kind == K_FORWARD ? (const char *)in[4] : NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            rel_element(e->dt, ROP_SCALE, (char *)out[0] + r * s.ldy * es, x + r * s.ldx * es, bias,
                        c, resid ? resid + r * s.ldy * es : NULL, c, rel_bit(keep, r * cols + c), &k,
                        k.s64, k.s);
    if (e->kind == K_FORWARD && out[1])
        memcpy(out[1], keep, (n + 7) / 8);
    if (bda && e->kind != K_FORWARD && out[1]) {
        if (s.granule)
            rel_partials(e->dt, out[1], out[0], rows, cols, s.ldy, s.granule);
        else
            rel_dbias_ld(e->dt, out[1], out[0], rows, cols, s.ldy);
    }
    free(keep), free(row);
}

/* What a successful call of entry e must write. in[i]: the input buffers as they were before
 * the call (copies, so in-place and overlapping calls are the caller's business), NULL where
 * the argument is NULL or an output; out[i]: output i (NULL where that output is NULL or not an
 * output), ent_bytes(e, i, s) bytes each, holding what the buffer held before the call: the
 * oracle writes what the call writes and leaves the rest (the gaps between a block's rows). */
static inline void rel_oracle(const entry *e, void *const out[5], const void *const in[5],
                              ent_shape s, double p, uint64_t seed, uint64_t offset)
{
    if (ent_is_block(e)) {
        rel_oracle_block(e, out, in, s, p, seed, offset);
        return;
    }
    if (e->family == FAM_REDUCE) {
        if (out[0]) /* NULL only without granules (then it would be +0) */
            rel_reduce(e->dt, out[0], in[1], s.a, s.b);
        return;
    }
    const size_t n = ent_elements(e, s), units = ent_units(e, s);
    if (n == 0) { /* nothing to write but a bias gradient over no rows: +0 */
        if (e->family == FAM_BDA && e->kind != K_FORWARD && out[1])
            memset(out[1], 0, ent_bytes(e, 1, s));
        return;
    }
    if (e->family == FAM_MASK) {
        rel_ref_mask((uint8_t *)out[0], n, p, seed, offset);
        return;
    }
    if (e->kind == K_TO_BYTES) {
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)out[0])[k] = (uint8_t)rel_bit((const uint8_t *)in[1], k);
        return;
    }
    if (e->kind == K_FROM_BYTES) {
        memset(out[0], 0, (n + 7) / 8);
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)out[0])[k / 8] |= (uint8_t)((((const uint8_t *)in[1])[k] != 0) << (k % 8));
        return;
    }
    /* The keep bit of each unit: read from the input mask, or the spec's stream. */
    uint8_t *keep = (uint8_t *)rel_malloc(units / 8 + 1);
    if (e->kind == K_BACKWARD)
        memcpy(keep, in[rel_mask_in_arg(e)], (units + 7) / 8);
    else
        rel_ref_mask(keep, units, p, seed, offset);
    const size_t group_len = ent_grouped(e) ? s.b : 1;
    const rel_consts c = rel_spec_consts(p);
    int op = ROP_SCALE;
    float mul = c.s;
    double mul64 = c.s64;
    if ((e->family == FAM_ALPHA || e->family == FAM_ALPHA_NHWC) && p < 1.0) {
        if (e->kind == K_FORWARD)
            op = p == 0.0 ? ROP_COPY : ROP_ALPHA;
        mul = c.A, mul64 = c.A64; /* backward: dy * (keep ? A : 0) */
    }
    if (e->family == FAM_UNSCALED) /* forward and backward: x * (keep ? 1 : 0) */
        mul = 1.0f, mul64 = 1.0;
    const void *x = in[rel_src_arg(e)];
    const void *bias = e->family == FAM_BDA && e->kind == K_FORWARD ? in[3] : NULL;
    const void *resid = e->family == FAM_BDA && e->kind == K_FORWARD ? in[4] : NULL;
    /* NHWC: element k is (sample k / (spatial * channels), channel k % channels) */
    const int nhwc = ent_is_nhwc(e);
    for (size_t k = 0; k < n; k++)
        rel_element(e->dt, op, out[0], x, bias, s.b ? k % s.b : 0, resid, k,
                    rel_bit(keep, nhwc ? k / (s.b * s.c) * s.c + k % s.c : k / group_len), &c,
                    mul64, mul);
    if (e->kind == K_FORWARD && out[1])
        memcpy(out[1], keep, (units + 7) / 8);
    if (e->family == FAM_BDA && e->kind != K_FORWARD && out[1])
        rel_dbias(e->dt, out[1], out[0], s.a, s.b);
    free(keep);
}

/* ---- calls on ordinary buffers ------------------------------------------------------------- */

/* One call of an entry with its inputs, run into fresh guarded outputs. */
typedef struct rel_call {
    const entry *e;
    ent_shape s;
    double p;
    uint64_t seed, offset;
    int null_arg[5]; /* nullable arguments passed as NULL */
    int alias;       /* 0, or the input argument index that is passed as the main output */
} rel_call;

/* Inputs for call c: in[i] for each input argument (malloc'd, filled), NULL for outputs. */
static inline void rel_inputs_new(const rel_call *c, void *in[5])
{
    for (int i = 0; i < 5; i++) {
        in[i] = NULL;
        if (i < c->e->nargs && !c->e->arg[i].is_out && !c->null_arg[i]) {
            in[i] = rel_malloc(ent_bytes(c->e, i, c->s));
            rel_fill_input(c->e, i, in[i], c->s);
        }
    }
}

static inline void rel_free5(void *p[5])
{
    for (int i = 0; i < 5; i++)
        free(p[i]), p[i] = NULL;
}

/* Call c's arguments ptr[]: inputs in[] copied into guarded buffers g[], outputs canary-filled,
 * each misaligned by mis[i] units of its alignment (NULL where c passes NULL). The caller frees g. */
static inline void rel_prepare(const rel_call *c, void *const in[5], guarded g[5],
                               const size_t mis[5], void *ptr[5])
{
    const entry *e = c->e;
    for (int i = 0; i < 5; i++)
        ptr[i] = NULL;
    for (int i = 0; i < e->nargs; i++) {
        const size_t len = ent_bytes(e, i, c->s);
        g[i] = guarded_new(len, (mis ? mis[i] : 0) * rel_align(e, i), 0xa5);
        if (!e->arg[i].is_out && in[i])
            memcpy(g[i].data, in[i], len);
        ptr[i] = c->null_arg[i] ? NULL : g[i].data;
    }
    if (c->alias) { /* the output starts as a copy of the input and takes its place */
        memcpy(g[0].data, in[c->alias], ent_bytes(e, c->alias, c->s));
        ptr[c->alias] = ptr[0];
    }
}

/* Runs call c on its prepared arguments; returns the status. The caller frees g. */
static inline int rel_run(const rel_call *c, void *const in[5], guarded g[5], const size_t mis[5])
{
    void *ptr[5];
    rel_prepare(c, in, g, mis, ptr);
    return c->e->call(ptr, c->s, c->p, c->seed, c->offset);
}

/* The oracle's outputs for call c on inputs in[] (malloc'd into out[], NULL where none). */
static inline void rel_expected(const rel_call *c, void *const in[5], void *out[5])
{
    const void *cin[5];
    for (int i = 0; i < 5; i++) {
        cin[i] = in[i];
        out[i] = NULL;
        if (i < c->e->nargs && c->e->arg[i].is_out && !c->null_arg[i]) {
            out[i] = rel_malloc(ent_bytes(c->e, i, c->s));
            memset(out[i], 0xa5, ent_bytes(c->e, i, c->s)); /* as rel_run's buffers start */
        }
    }
    if (c->alias && out[0])
        memcpy(out[0], in[c->alias], ent_bytes(c->e, c->alias, c->s));
    rel_oracle(c->e, out, cin, c->s, c->p, c->seed, c->offset);
}

/* Finds an entry by name (NULL if none). */
static inline const entry *rel_entry(const char *name)
{
    for (size_t i = 0; i < NENTRIES; i++)
        if (!strcmp(entries[i].name, name))
            return &entries[i];
    return NULL;
}

#endif
