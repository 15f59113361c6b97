/* test_api.c: the promises of simdrop.h on every path: sharding invariance, aliasing, backward, values (every op and dtype through tests/entries.h). */
#include <math.h>

#include "common.h"
#include "entries.h"

static int bit(const uint8_t *mask, size_t k)
{
    return (mask[k / 8] >> (k % 8)) & 1;
}

/* Splitting [offset, offset + n) at random points into calls with matching offsets gives the
 * elements and the (bit-concatenated) mask of one call. */
static void check_chunk_invariance(const char *path, size_t n, uint64_t offset, double p,
                                   uint64_t seed)
{
    float *x = malloc(n * sizeof(float)), *whole = malloc(n * sizeof(float));
    float *pieces = malloc(n * sizeof(float));
    uint8_t *mwhole = calloc(mask_len(n) + 1, 1), *mpiece = malloc(mask_len(n) + 1);
    uint8_t *mjoined = calloc(mask_len(n) + 1, 1);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)i - 1000.5f;
    CHECK(simdrop_forward_f32(whole, mwhole, x, n, p, seed, offset) == 0, "whole call");

    size_t at = 0, calls = 0;
    while (at < n) {
        const size_t len = 1 + test_below(test_below(2) ? 70 : 9000);
        const size_t take = len < n - at ? len : n - at;
        CHECK(simdrop_forward_f32(pieces + at, mpiece, x + at, take, p, seed, offset + at) == 0,
              "piece");
        for (size_t k = 0; k < take; k++)
            mjoined[(at + k) / 8] |= (uint8_t)(bit(mpiece, k) << ((at + k) % 8));
        at += take;
        calls++;
    }
    CHECK(!memcmp(whole, pieces, n * sizeof(float)), "%s: pieces (%zu calls) differ from one call, "
          "n=%zu offset=%" PRIu64, path, calls, n, offset);
    CHECK(!memcmp(mwhole, mjoined, mask_len(n)), "%s: joined masks differ, n=%zu offset=%" PRIu64,
          path, n, offset);
    free(x), free(whole), free(pieces), free(mwhole), free(mpiece), free(mjoined);
}

/* In place equals out of place; mask-only equals forward's mask; backward with that mask,
 * backward_regen and forward applied to dy agree; bits past n are zero. */
static void check_consistency(const char *path, size_t n, uint64_t offset, double p, uint64_t seed)
{
    float *x = malloc(n * sizeof(float) + 4), *y = malloc(n * sizeof(float) + 4);
    float *inplace = malloc(n * sizeof(float) + 4), *dx = malloc(n * sizeof(float) + 4);
    float *regen = malloc(n * sizeof(float) + 4);
    uint8_t *mask = malloc(mask_len(n) + 1), *mask2 = malloc(mask_len(n) + 1);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(test_unit() * 4 - 2);
    memset(mask, 0xff, mask_len(n) + 1);
    CHECK(simdrop_forward_f32(y, mask, x, n, p, seed, offset) == 0, "forward");
    memcpy(inplace, x, n * sizeof(float));
    CHECK(simdrop_forward_f32(inplace, NULL, inplace, n, p, seed, offset) == 0, "in place");
    CHECK(!memcmp(y, inplace, n * sizeof(float)), "%s: in place differs, n=%zu", path, n);
    CHECK(simdrop_mask(mask2, n, p, seed, offset) == 0, "mask");
    CHECK(!memcmp(mask, mask2, mask_len(n)), "%s: mask-only differs from forward's mask", path);
    if (n % 8)
        CHECK((mask[n / 8] >> (n % 8)) == 0, "%s: bits past n are not zero (n=%zu)", path, n);
    CHECK(mask[mask_len(n)] == 0xff, "%s: forward wrote past the mask", path);

    CHECK(simdrop_backward_f32(dx, x, mask, n, p) == 0, "backward");
    CHECK(simdrop_backward_regen_f32(regen, x, n, p, seed, offset) == 0, "regen");
    CHECK(!memcmp(dx, y, n * sizeof(float)), "%s: backward(x, mask) != forward(x)", path);
    CHECK(!memcmp(regen, y, n * sizeof(float)), "%s: backward_regen != forward", path);

    /* Each element is x * s or x * 0 according to its bit. */
    const float s = p >= 1.0 ? 0.0f : (float)(1.0 / (1.0 - p));
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++)
        wrong += f2u(y[k]) != f2u(x[k] * (bit(mask, k) ? s : 0.0f));
    CHECK(wrong == 0, "%s: %zu elements differ from x * (keep ? s : 0)", path, wrong);
    free(x), free(y), free(inplace), free(dx), free(regen), free(mask), free(mask2);
}

static void check_bytes_roundtrip(size_t n)
{
    uint8_t *mask = malloc(mask_len(n) + 1), *back = malloc(mask_len(n) + 1);
    uint8_t *bytes = malloc(n + 1);
    for (size_t i = 0; i < mask_len(n); i++)
        mask[i] = (uint8_t)test_rand();
    if (n % 8)
        mask[n / 8] &= (uint8_t)((1u << (n % 8)) - 1);
    CHECK(simdrop_mask_to_bytes(bytes, mask, n) == 0, "to_bytes");
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++)
        wrong += bytes[k] != bit(mask, k);
    CHECK(wrong == 0, "to_bytes: %zu bytes are not the mask bit (n=%zu)", wrong, n);
    CHECK(simdrop_mask_from_bytes(back, bytes, n) == 0, "from_bytes");
    CHECK(!memcmp(mask, back, mask_len(n)), "round trip differs (n=%zu)", n);
    /* Any nonzero byte reads as keep. */
    for (size_t k = 0; k < n; k++)
        bytes[k] = bytes[k] ? (uint8_t)(1 + test_below(255)) : 0;
    CHECK(simdrop_mask_from_bytes(back, bytes, n) == 0, "from_bytes");
    CHECK(!memcmp(mask, back, mask_len(n)), "nonzero bytes: round trip differs (n=%zu)", n);
    free(mask), free(back), free(bytes);
}

/* NaN, Inf, -0, denormals, kept and dropped: the rule of MASK_SPEC.md section 4. */
static void check_special_values(const char *path)
{
    static const uint32_t values[] = {0x7fc00000u, 0xffc00001u, 0x7f800000u, 0xff800000u,
                                      0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu,
                                      0xbf800000u, 0x3f800000u};
    enum { NV = sizeof values / sizeof values[0], N = NV * 64 };
    float x[N], y[N];
    uint8_t mask[N / 8];
    for (size_t i = 0; i < N; i++)
        x[i] = u2f(values[i % NV]);
    CHECK(simdrop_forward_f32(y, mask, x, N, 0.5, 7, 3) == 0, "forward");
    size_t kept = 0, dropped = 0;
    const float s = 2.0f;
    for (size_t i = 0; i < N; i++) {
        const float xi = x[i];
        if (bit(mask, i)) {
            kept++;
            CHECK(isnan(xi) ? isnan(y[i]) : f2u(y[i]) == f2u(xi * s), "%s: kept %08x", path,
                  f2u(xi));
        } else {
            dropped++;
            if (isnan(xi) || isinf(xi))
                CHECK(isnan(y[i]), "%s: dropped %08x must give NaN", path, f2u(xi));
            else
                CHECK(f2u(y[i]) == (f2u(xi) & 0x80000000u), "%s: dropped %08x must give a zero "
                      "of its sign, got %08x", path, f2u(xi), f2u(y[i]));
            if (isnan(xi) && TEST_NAN_PAYLOADS) /* a dropped NaN keeps its payload, quieted */
                CHECK((f2u(y[i]) | 0x00400000u) == (f2u(xi) | 0x00400000u), "%s: NaN payload",
                      path);
        }
    }
    CHECK(kept > 0 && dropped > 0, "%s: both classes must occur (%zu kept)", path, kept);

    /* p = 0 keeps everything as x * 1.0f; p = 1 keeps nothing and y is x * 0.0f. */
    CHECK(simdrop_forward_f32(y, mask, x, N, 0.0, 7, 3) == 0, "p=0");
    for (size_t i = 0; i < N; i++)
        CHECK(bit(mask, i) && (isnan(x[i]) ? isnan(y[i]) : f2u(y[i]) == f2u(x[i])),
              "%s: p=0 element %zu", path, i);
    CHECK(simdrop_forward_f32(y, mask, x, N, 1.0, 7, 3) == 0, "p=1");
    CHECK(bytes_all(mask, N / 8, 0), "%s: p=1 must keep nothing", path);
    for (size_t i = 0; i < N; i++)
        CHECK(isnan(x[i]) || isinf(x[i]) ? isnan(y[i]) : f2u(y[i]) == (f2u(x[i]) & 0x80000000u),
              "%s: p=1 element %zu", path, i);
}

/* The threshold edges: T = round-half-up(p * 65536), keep iff 16 bits >= T. A p just below
 * one quantum keeps everything, p = 2^-16 drops exactly the elements whose bits are 0. */
static void check_threshold_edges(const char *path)
{
    enum { N = 1 << 17 };
    static uint8_t a[N / 8], b[N / 8];
    CHECK(simdrop_mask(a, N, 0x1p-17 * 0.999, 11, 0) == 0 && bytes_all(a, N / 8, 0xff),
          "%s: p < 2^-17 must keep all", path);
    CHECK(simdrop_mask(a, N, 0x1p-17, 11, 0) == 0, "mask");
    CHECK(simdrop_mask(b, N, 0x1p-16, 11, 0) == 0, "mask");
    CHECK(!memcmp(a, b, sizeof a), "%s: 2^-17 rounds half up to T = 1", path);
    CHECK(simdrop_mask(a, N, 1.0 - 0x1p-17, 11, 0) == 0 && bytes_all(a, N / 8, 0),
          "%s: p >= 1 - 2^-17 must drop all", path);
}


/* ---- every op and dtype (tests/entries.h) ---------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* Values of dtype dt: mostly ordinary, some NaN, infinities, signed zeros and subnormals. */
static void fill_typed(void *p, int dt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand();
        const float v = (float)(((double)(r >> 11) * 0x1p-53 - 0.5) * 8.0);
        const int special = r % 32 == 0;
        switch (dt) {
        case E_F32: ((float *)p)[i] = special ? u2f((uint32_t)(r >> 32)) : v; break;
        case E_F64:
            ((double *)p)[i] = special ? simdrop_u2d(r) : (double)v * (1.0 + 0x1p-40);
            break;
        case E_BF16:
            ((uint16_t *)p)[i] = special ? (uint16_t)(r >> 48) : simdrop_f32_to_bf16(v);
            break;
        default: ((uint16_t *)p)[i] = special ? (uint16_t)(r >> 48) : simdrop_f32_to_f16(v); break;
        }
    }
}

static void fill_input(const entry *e, int i, void *p, ent_shape s)
{
    const size_t bytes = ent_bytes(e, i, s);
    if (e->arg[i].size == SZ_ELEMS || e->arg[i].size == SZ_BIAS)
        fill_typed(p, e->dt, bytes / ent_dtype_size(e->dt));
    else
        for (size_t k = 0; k < bytes; k++)
            ((uint8_t *)p)[k] = (uint8_t)test_rand();
}

static ent_shape random_entry_shape(const entry *e)
{
    ent_shape s = ent_ab(0, 0);
    if (ent_is_nhwc(e)) {
        s.a = 1 + test_below(test_below(2) ? 9 : 40);
        s.b = 1 + test_below(test_below(2) ? 4 : 30);
        s.c = 1 + test_below(test_below(2) ? 12 : 100);
    } else if (ent_grouped(e)) {
        s.b = 1 + test_below(test_below(2) ? 4 : 40);
        s.a = 1 + test_below(test_below(2) ? 40 : 3000);
    } else if (e->family == FAM_BDA) {
        /* widths of whole rounds below 1024 too: the walk runs those as rows (walk.c's
         * simdrop_job_rows_repeat_bias), the sharding check's one-row pieces as one range */
        static const size_t rounds_cols[] = {32, 64, 256, 768, 992};
        s.b = test_below(2) ? rounds_cols[test_below(5)] : 1 + test_below(test_below(2) ? 9 : 150);
        s.a = 1 + test_below(test_below(2) ? 20 : 150);
    } else {
        s.a = 1 + test_below(test_below(2) ? 300 : 20000);
    }
    return s;
}

/* Sharding: the call's units (elements, groups, or rows of the bias op) cut at random points
 * into calls with matching offsets (group offsets; r0 * cols for rows: the bias index is
 * relative to each call's first element, so that op splits at row boundaries) give the
 * outputs of one call, and their masks, joined bit by bit, its mask. Backward from a mask gets
 * each piece's bits of the whole mask; the bias gradient is left out (a sum over all rows). */
static void check_entry_sharding(const char *path, const entry *e)
{
    const ent_shape s = random_entry_shape(e);
    const double p = test_below(4) ? test_unit() : (double)test_below(2);
    const uint64_t seed = test_rand(), units_all = ent_units(e, s);
    const int bda = e->family == FAM_BDA;
    uint64_t offset = test_below(3) ? test_below(100000) : (uint64_t)0 - units_all;
    if (bda && test_below(2))
        offset &= ~(uint64_t)31; /* rows on whole rounds, when cols is a multiple of 32 */
    const size_t es = ent_dtype_size(e->dt);
    const int nhwc = ent_is_nhwc(e);                            /* units are samples */
    const size_t units = s.a;                                   /* what the cuts count */
    const size_t elems_per = nhwc ? s.b * s.c : bda || ent_grouped(e) ? s.b : 1; /* per unit */
    const size_t bits_per = bda ? s.b : nhwc ? s.c : 1;         /* mask bits and offset per unit */
    void *in[5] = {NULL}, *whole[5] = {NULL}, *parts[5] = {NULL}, *ptr[5] = {NULL};
    for (int i = 0; i < e->nargs; i++) {
        const size_t bytes = ent_bytes(e, i, s);
        if (e->arg[i].size == SZ_DBIAS)
            continue; /* NULL */
        if (e->arg[i].is_out) {
            whole[i] = xmalloc(bytes);
            parts[i] = xmalloc(bytes);
            memset(parts[i], 0, bytes);
        } else {
            in[i] = xmalloc(bytes);
            fill_input(e, i, in[i], s);
        }
        ptr[i] = e->arg[i].is_out ? whole[i] : in[i];
    }
    CHECK(e->call(ptr, s, p, seed, offset) == 0, "%s: %s whole call", path, e->name);
    size_t at = 0, calls = 0;
    uint8_t *piece_bits = xmalloc(units * bits_per / 8 + 8);
    while (at < units) {
        const size_t len = 1 + test_below(test_below(2) ? 9 : units / 3 + 1);
        ent_shape ps = s;
        ps.a = len < units - at ? len : units - at;
        const size_t e0 = at * elems_per, b0 = at * bits_per, nbits = ps.a * bits_per;
        for (int i = 0; i < e->nargs; i++) {
            switch (e->arg[i].size) {
            case SZ_ELEMS:
                ptr[i] = (char *)(e->arg[i].is_out ? parts[i] : in[i]) + e0 * es;
                break;
            case SZ_BITS:
                memset(piece_bits, 0, (nbits + 7) / 8);
                if (!e->arg[i].is_out) /* this piece's bits of the whole mask, from bit 0 */
                    for (size_t k = 0; k < nbits; k++)
                        piece_bits[k / 8] |= (uint8_t)(bit(in[i], b0 + k) << (k % 8));
                ptr[i] = piece_bits;
                break;
            case SZ_BIAS: ptr[i] = in[i]; break;
            default: ptr[i] = NULL; break;
            }
        }
        CHECK(e->call(ptr, ps, p, seed, offset + b0) == 0, "%s: %s piece", path, e->name);
        for (int i = 0; i < e->nargs; i++)
            if (e->arg[i].size == SZ_BITS && e->arg[i].is_out)
                for (size_t k = 0; k < nbits; k++)
                    ((uint8_t *)parts[i])[(b0 + k) / 8] |=
                        (uint8_t)(bit(piece_bits, k) << ((b0 + k) % 8));
        at += ps.a;
        calls++;
    }
    for (int i = 0; i < e->nargs; i++)
        if (whole[i])
            CHECK(!memcmp(whole[i], parts[i], ent_bytes(e, i, s)), "%s: %s shape %zu,%zu offset %"
                  PRIu64 ": %s of %zu calls differs from one call", path, e->name, s.a, s.b,
                  offset, e->arg[i].name, calls);
    for (int i = 0; i < 5; i++)
        free(in[i]), free(whole[i]), free(parts[i]);
    free(piece_bits);
}

/* In place equals out of place: the main output given as each input that may be it (y == x,
 * dx == dy, out == x, out == residual, dx == dout), every output (mask, dbias) compared. */
static void check_entry_in_place(const char *path, const entry *e)
{
    const ent_shape s = random_entry_shape(e);
    const double p = test_unit();
    const uint64_t seed = test_rand(), offset = test_below(1u << 30);
    void *in[5] = {NULL}, *apart[5] = {NULL}, *inplace[5] = {NULL};
    for (int i = 0; i < e->nargs; i++) {
        const size_t bytes = ent_bytes(e, i, s);
        if (e->arg[i].is_out) {
            apart[i] = xmalloc(bytes);
            inplace[i] = xmalloc(bytes);
        } else {
            in[i] = xmalloc(bytes);
            fill_input(e, i, in[i], s);
        }
    }
    void *ptr[5];
    for (int i = 0; i < 5; i++)
        ptr[i] = i < e->nargs && e->arg[i].is_out ? apart[i] : in[i];
    CHECK(e->call(ptr, s, p, seed, offset) == 0, "%s: %s out of place", path, e->name);
    for (int a = 1; a < e->nargs; a++) {
        if (!e->arg[a].alias)
            continue;
        for (int i = 0; i < 5; i++)
            ptr[i] = i < e->nargs && e->arg[i].is_out ? inplace[i] : in[i];
        memcpy(inplace[0], in[a], ent_bytes(e, a, s));
        ptr[a] = inplace[0];
        CHECK(e->call(ptr, s, p, seed, offset) == 0, "%s: %s in place", path, e->name);
        for (int i = 0; i < e->nargs; i++)
            if (e->arg[i].is_out)
                CHECK(!memcmp(apart[i], inplace[i], ent_bytes(e, i, s)), "%s: %s with %s == %s: "
                      "%s differs from out of place (shape %zu,%zu)", path, e->name,
                      e->arg[0].name, e->arg[a].name, e->arg[i].name, s.a, s.b);
    }
    for (int i = 0; i < 5; i++)
        free(in[i]), free(apart[i]), free(inplace[i]);
}

static const entry *find_entry(int family, int kind, int dt)
{
    for (size_t i = 0; i < NENTRIES; i++)
        if (entries[i].family == family && entries[i].kind == kind && entries[i].dt == dt)
            return &entries[i];
    return NULL;
}

/* One element of dy * f in the dtype: f32/f64 one multiplication, bf16/f16 in float, rounded. */
static int same_scaled(int dt, const void *dx, const void *dy, size_t k, double f64, float f32)
{
    switch (dt) {
    case E_F64: {
        const double want = ((const double *)dy)[k] * f64;
        return !memcmp(&want, (const double *)dx + k, 8);
    }
    case E_F32: return f2u(((const float *)dy)[k] * f32) == f2u(((const float *)dx)[k]);
    case E_BF16:
        return simdrop_f32_to_bf16(simdrop_bf16_to_f32(((const uint16_t *)dy)[k]) * f32) ==
               ((const uint16_t *)dx)[k];
    default:
        return simdrop_f32_to_f16(simdrop_f16_to_f32(((const uint16_t *)dy)[k]) * f32) ==
               ((const uint16_t *)dx)[k];
    }
}

/* backward with forward's mask == backward_regen == the formula dy * (keep ? s : 0) (alpha:
 * A = 1 / sqrt((alpha^2 p + 1)(1 - p)) instead of s; unscaled: 1), for every family and dtype;
 * the bias gradients of the two backward functions agree too; element, group and unscaled
 * backward of x with the mask is forward's y. */
static void check_family_backward(const char *path, int family, int dt)
{
    const entry *fwd = find_entry(family, K_FORWARD, dt), *bwd = find_entry(family, K_BACKWARD, dt);
    const entry *rgn = find_entry(family, K_REGEN, dt);
    const ent_shape s = random_entry_shape(fwd);
    const double p = test_below(5) ? test_unit() : (double)test_below(2);
    const uint64_t seed = test_rand(), offset = test_below(1u << 20);
    const size_t n = ent_elements(fwd, s), units = ent_units(fwd, s), es = ent_dtype_size(dt);
    const size_t group_len = ent_grouped(fwd) ? s.b : 1, as = dt == E_F64 ? 8 : 4;
    const int nhwc = ent_is_nhwc(fwd), alpha = family == FAM_ALPHA || family == FAM_ALPHA_NHWC;
    unsigned char *x = xmalloc(n * es), *y = xmalloc(n * es), *dy = xmalloc(n * es);
    unsigned char *dx1 = xmalloc(n * es), *dx2 = xmalloc(n * es), *mask = xmalloc(units / 8 + 1);
    unsigned char *db1 = xmalloc(s.b * as + 1), *db2 = xmalloc(s.b * as + 1);
    fill_typed(x, dt, n);
    fill_typed(dy, dt, n);
    void *f[5] = {y, mask, x, NULL, NULL};
    CHECK(fwd->call(f, s, p, seed, offset) == 0, "%s: %s", path, fwd->name);
    const int bda = family == FAM_BDA;
    void *b[5] = {dx1, bda ? (void *)db1 : dy, bda ? (void *)dy : mask, bda ? mask : NULL, NULL};
    void *r[5] = {dx2, bda ? (void *)db2 : dy, bda ? (void *)dy : NULL, NULL, NULL};
    CHECK(bwd->call(b, s, p, 0, 0) == 0, "%s: %s", path, bwd->name);
    CHECK(rgn->call(r, s, p, seed, offset) == 0, "%s: %s", path, rgn->name);
    CHECK(!memcmp(dx1, dx2, n * es), "%s: %s and %s differ (shape %zu,%zu p=%g)", path, bwd->name,
          rgn->name, s.a, s.b, p);
    if (bda)
        CHECK(!memcmp(db1, db2, s.b * as), "%s: the bias gradients of %s and %s differ", path,
              bwd->name, rgn->name);
    double f64 = family == FAM_UNSCALED ? 1.0 : p >= 1.0 ? 0.0 : 1.0 / (1.0 - p);
    if (alpha && p < 1.0) {
        const double alpha = 1.7580993408473766;
        f64 = 1.0 / sqrt((alpha * alpha * p + 1.0) * (1.0 - p));
    }
    const float f32 = (float)f64;
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++) {
        /* NHWC: element (sample, i, c) has the bit of (sample, c) */
        const int keep = bit(mask, nhwc ? k / (s.b * s.c) * s.c + k % s.c : k / group_len);
        wrong += !same_scaled(dt, dx1, dy, k, keep ? f64 : 0.0, keep ? f32 : 0.0f);
    }
    CHECK(wrong == 0, "%s: %s: %zu of %zu elements are not dy * (keep ? %s : 0) (p=%g)", path,
          bwd->name, wrong, n, alpha ? "A" : family == FAM_UNSCALED ? "1" : "s", p);
    if (family == FAM_ELEMENT || family == FAM_GROUPS || family == FAM_UNSCALED || family == FAM_NHWC) {
        void *bx[5] = {dx1, x, mask, NULL, NULL};
        CHECK(bwd->call(bx, s, p, 0, 0) == 0 && !memcmp(dx1, y, n * es),
              "%s: %s(x, mask) differs from forward's y", path, bwd->name);
    }
    free(x), free(y), free(dy), free(dx1), free(dx2), free(mask), free(db1), free(db2);
}

/* The block functions against one contiguous call over the global tensor (rows x global_cols
 * from offset): each block element's value and mask bit are the global call's; the gaps between
 * the block's rows are untouched; backward from the block's bits of the global mask and
 * backward_regen give the global backward's dx; a column shard's dbias (granule 0, every row) is
 * the global dbias of its columns; and with granules, row shards' partial sums are the whole
 * tensor's, which simdrop_dbias_reduce folds into one dbias. The element block functions are
 * checked against the global fused op with both bias and residual NULL, element dropout (whose
 * contiguous functions test_api's element checks hold to the formula).
 * Shapes: BLOCK_WIDE, global rows longer than a bias row widened on the stack (1024 columns,
 * simdrop.c's WIDE_STACK_COLS) and a block of one such row, so that the 16-bit global call widens
 * its bias whole into the heap and the block's call piece by piece (walk.c's bias_run);
 * BLOCK_ROUNDS, column shards of whole rounds in global rows of a power of two from 64 to 8192,
 * from an offset on a round, over several generator blocks, so that the walk gives its rows
 * kernels whole generator blocks' rows, and two blocks at once (walk.c's rows2); BLOCK_ANY, any
 * shape. */
enum { BLOCK_WIDE, BLOCK_ROUNDS, BLOCK_ANY };
static void check_blocks(const char *path, int dt, int shape)
{
    const entry *gf = find_entry(FAM_BDA, K_FORWARD, dt), *gb = find_entry(FAM_BDA, K_REGEN, dt);
    const entry *bf = find_entry(FAM_BDA_BLOCK, K_FORWARD, dt);
    const entry *bb = find_entry(FAM_BDA_BLOCK, K_BACKWARD, dt);
    const entry *br = find_entry(FAM_BDA_BLOCK, K_REGEN, dt);
    const entry *ef = find_entry(FAM_BLOCK, K_FORWARD, dt), *eb = find_entry(FAM_BLOCK, K_BACKWARD, dt);
    const entry *red = find_entry(FAM_REDUCE, K_FORWARD, dt == E_F64 ? E_F64 : E_F32);
    const int wide = shape == BLOCK_WIDE, rounds = shape == BLOCK_ROUNDS;
    const size_t gc = wide     ? 1025 + test_below(4000)
                      : rounds ? (size_t)64 << test_below(8)
                               : 1 + test_below(test_below(2) ? 70 : 5000);
    const size_t rows = wide ? 2 + test_below(89) : rounds ? 1 + test_below(3 * (8192 / gc) + 3) : 1 + test_below(90);
    const size_t es = ent_dtype_size(dt), as = dt == E_F64 ? 8 : 4, n = rows * gc;
    const double p = test_below(5) ? test_unit() : (double)test_below(2);
    const uint64_t seed = test_rand(), offset = test_below(3) ? test_below(1u << 30) / (rounds ? 32 : 1) * (rounds ? 32 : 1)
                                                              : 0 - (uint64_t)n;
    unsigned char *x = xmalloc(n * es), *bias = xmalloc(gc * es), *res = xmalloc(n * es);
    unsigned char *y = xmalloc(n * es), *gmask = xmalloc(n / 8 + 1), *dx = xmalloc(n * es);
    unsigned char *db = xmalloc(gc * as);
    fill_typed(x, dt, n), fill_typed(bias, dt, gc), fill_typed(res, dt, n);
    void *g[5] = {y, gmask, x, bias, res};
    CHECK(gf->call(g, ent_ab(rows, gc), p, seed, offset) == 0, "%s: %s", path, gf->name);
    void *gr[5] = {dx, db, x};
    CHECK(gb->call(gr, ent_ab(rows, gc), p, seed, offset) == 0, "%s: %s", path, gb->name);
    unsigned char *y0 = xmalloc(n * es); /* element dropout: the global call without bias, residual */
    void *g0[5] = {y0, NULL, x, NULL, NULL};
    CHECK(gf->call(g0, ent_ab(rows, gc), p, seed, offset) == 0, "%s: %s, no bias or residual", path, gf->name);

    /* a random block, rows ld apart (ldx == ldy: in place is allowed too) */
    ent_shape s = wide ? ent_ab(1, 1025 + test_below(gc - 1024)) : ent_ab(1 + test_below(rows), 1 + test_below(gc));
    s.row0 = test_below(rows - s.a + 1), s.col0 = test_below(gc - s.b + 1), s.global_cols = gc;
    if (rounds) { /* most rows, whole rounds of columns */
        s.row0 = test_below(rows / 4 + 1), s.a = rows - s.row0;
        s.b = 32 * (1 + test_below(gc / 64)), s.col0 = 32 * test_below((gc - s.b) / 32 + 1);
    }
    s.ldx = s.b + test_below(5), s.ldy = test_below(2) ? s.ldx : s.b + test_below(5);
    const size_t xb = ((s.a - 1) * s.ldx + s.b) * es, yb = ((s.a - 1) * s.ldy + s.b) * es;
    unsigned char *bx = xmalloc(xb), *bres = xmalloc(yb), *by = xmalloc(yb), *bm = xmalloc(s.a * s.b / 8 + 1);
    for (size_t r = 0; r < s.a; r++) {
        const size_t gi = (s.row0 + r) * gc + s.col0;
        memcpy(bx + r * s.ldx * es, x + gi * es, s.b * es);
        memcpy(bres + r * s.ldy * es, res + gi * es, s.b * es);
    }
    for (int fused = 0; fused < 2; fused++) {
        memset(by, 0x5a, yb);
        void *b[5] = {by, bm, bx, fused ? bias + s.col0 * es : NULL, fused ? bres : NULL};
        CHECK((fused ? bf : ef)->call(b, s, p, seed, offset) == 0, "%s: block forward", path);
        size_t wrong = 0, wrong_bits = 0, gaps = 0;
        for (size_t r = 0; r < s.a; r++)
            for (size_t c = 0; c < s.ldy && (c < s.b || r + 1 < s.a); c++) {
                const size_t gi = (s.row0 + r) * gc + s.col0 + c, k = r * s.b + c;
                if (c >= s.b) {
                    gaps += by[(r * s.ldy + c) * es] != 0x5a;
                    continue;
                }
                wrong += memcmp(by + (r * s.ldy + c) * es, (fused ? y : y0) + gi * es, es) != 0;
                wrong_bits += bit(bm, k) != bit(gmask, gi);
            }
        CHECK(wrong == 0 && wrong_bits == 0 && gaps == 0, "%s: %s block %zu x %zu at (%zu, %zu) "
              "of %zu x %zu, ld %zu/%zu: %zu values, %zu mask bits differ from one call, %zu gap "
              "elements written", path, (fused ? bf : ef)->name, s.a, s.b, s.row0, s.col0, rows,
              gc, s.ldx, s.ldy, wrong, wrong_bits, gaps);
    }
    /* backward from the block's mask (bm: the forward's) and by regeneration, dy = the block of x */
    unsigned char *bdx = xmalloc(yb), *bdx2 = xmalloc(yb), *bdb = xmalloc(s.b * as), *bdb2 = xmalloc(s.b * as);
    void *bk[5] = {bdx, bdb, bx, bm};
    void *rk[5] = {bdx2, bdb2, bx};
    CHECK(bb->call(bk, s, p, 0, 0) == 0 && br->call(rk, s, p, seed, offset) == 0, "%s: block "
          "backward", path);
    size_t wrong = 0;
    for (size_t r = 0; r < s.a; r++)
        for (size_t c = 0; c < s.b; c++) {
            const size_t gi = (s.row0 + r) * gc + s.col0 + c, at = (r * s.ldy + c) * es;
            wrong += memcmp(bdx + at, dx + gi * es, es) != 0 || memcmp(bdx2 + at, dx + gi * es, es) != 0;
        }
    CHECK(wrong == 0 && !memcmp(bdb, bdb2, s.b * as), "%s: %s / %s: %zu elements differ from the "
          "global backward, or the two bias gradients differ", path, bb->name, br->name, wrong);
    void *ek[5] = {bdx2, bx, bm};
    CHECK(eb->call(ek, s, p, 0, 0) == 0, "%s: %s", path, eb->name);
    for (size_t r = 0; r < s.a; r++)
        CHECK(!memcmp(bdx2 + r * s.ldy * es, bdx + r * s.ldy * es, s.b * es), "%s: %s row %zu",
              path, eb->name, r);
    /* a column shard over every row: the global dbias of its columns */
    ent_shape cs = s;
    cs.a = rows, cs.row0 = 0;
    unsigned char *cdx = xmalloc(((rows - 1) * cs.ldy + cs.b) * es), *cdout = xmalloc(((rows - 1) * cs.ldx + cs.b) * es);
    for (size_t r = 0; r < rows; r++)
        memcpy(cdout + r * cs.ldx * es, x + (r * gc + cs.col0) * es, cs.b * es);
    void *ck[5] = {cdx, bdb, cdout};
    CHECK(br->call(ck, cs, p, seed, offset) == 0 && !memcmp(bdb, db + cs.col0 * as, cs.b * as),
          "%s: %s: a column shard's dbias (cols %zu..%zu) differs from the global one's", path,
          br->name, cs.col0, cs.col0 + cs.b);
    /* granules: all rows at once, and two row shards cut at a granule boundary */
    const size_t granule = 1 + test_below(8), ng = (rows + granule - 1) / granule;
    unsigned char *pall = xmalloc(ng * gc * as), *pcut = xmalloc(ng * gc * as);
    unsigned char *dball = xmalloc(gc * as), *dbcut = xmalloc(gc * as);
    ent_shape w = ent_ab(rows, gc);
    w.global_cols = w.ldx = w.ldy = gc, w.granule = granule;
    void *wk[5] = {dx, pall, x};
    CHECK(br->call(wk, w, p, seed, offset) == 0, "%s: %s granule %zu", path, br->name, granule);
    const size_t cut_at = test_below(ng + 1) * granule, cut = cut_at < rows ? cut_at : rows;
    const size_t cut_g = cut / granule;
    ent_shape top = w, bottom = w;
    top.a = cut, bottom.a = rows - cut, bottom.row0 = cut_at; /* a granule's first row */
    void *tk[5] = {dx, pcut, x};
    void *bk2[5] = {dx + cut * gc * es, pcut + cut_g * gc * as, x + cut * gc * es};
    CHECK(br->call(tk, top, p, seed, offset) == 0 && br->call(bk2, bottom, p, seed, offset) == 0,
          "%s: row shards", path);
    void *ra[5] = {dball, pall}, *rc[5] = {dbcut, pcut};
    CHECK(red->call(ra, ent_ab(ng, gc), 0, 0, 0) == 0 && red->call(rc, ent_ab(ng, gc), 0, 0, 0) == 0,
          "%s: reduce", path);
    CHECK(!memcmp(pall, pcut, ng * gc * as) && !memcmp(dball, dbcut, gc * as), "%s: %s: row "
          "shards cut at row %zu (granule %zu of %zu rows) give other partial sums", path,
          br->name, cut, granule, rows);
    free(x), free(bias), free(res), free(y), free(y0), free(gmask), free(dx), free(db);
    free(bx), free(bres), free(by), free(bm), free(bdx), free(bdx2), free(bdb), free(bdb2);
    free(cdx), free(cdout), free(pall), free(pcut), free(dball), free(dbcut);
}

/* The seed rule of MASK_SPEC.md section 8 by its properties (tests/golden_values_v1.txt pins its
 * values): distinct steps of one site never share a seed, nor distinct sites at one step. */
static void check_site_seeds(void)
{
    const uint64_t base = test_rand();
    const uint64_t a = simdrop_site_key("layers.0.attention.dropout");
    const uint64_t b = simdrop_site_key("layers.0.mlp.dropout");
    CHECK(a != b && simdrop_site_key(NULL) == simdrop_site_key(""), "site keys");
    CHECK(simdrop_site_key("") == UINT64_C(0xcbf29ce484222325), "the empty name's key is FNV-1a's "
          "offset basis: %016" PRIx64, simdrop_site_key(""));
    size_t same = 0;
    for (uint64_t step = 0; step < 1000; step++) {
        same += simdrop_site_seed(base, a, step) == simdrop_site_seed(base, a, step + 1 + test_below(1000));
        same += simdrop_site_seed(base, a, step) == simdrop_site_seed(base, b, step);
    }
    CHECK(same == 0, "%zu coinciding seeds", same);
}

static void check_every_entry(const char *path)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        const entry *e = &entries[i];
        if (e->family == FAM_BYTES || ent_is_block(e) || e->family == FAM_REDUCE)
            continue; /* the block functions: check_blocks */
        for (int k = 0; k < 3; k++) {
            check_entry_sharding(path, e);
            if (e->family != FAM_MASK)
                check_entry_in_place(path, e);
        }
    }
    static const int families[] = {FAM_ELEMENT, FAM_GROUPS, FAM_ALPHA, FAM_UNSCALED, FAM_BDA, FAM_NHWC,
                                   FAM_ALPHA_NHWC};
    for (size_t fi = 0; fi < sizeof families / sizeof families[0]; fi++)
        for (int dt = E_F32, family = families[fi]; dt <= E_F16; dt++)
            for (int k = 0; k < 3; k++)
                check_family_backward(path, family, dt);
    for (int dt = E_F32; dt <= E_F16; dt++)
        for (int k = 0; k < 4; k++)
            check_blocks(path, dt, k == 0 ? BLOCK_WIDE : k < 3 ? BLOCK_ROUNDS : BLOCK_ANY);
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "api");
    const char *paths[SIMDROP_PATH_COUNT];
    const size_t npaths = test_paths(paths, SIMDROP_PATH_COUNT);
    for (size_t pi = 0; pi < npaths; pi++) {
        CHECK(simdrop_set_isa(paths[pi]) == 0, "force %s", paths[pi]);
        CHECK(!strcmp(simdrop_isa(), paths[pi]), "simdrop_isa() says %s", simdrop_isa());
        for (int k = 0; k < 6; k++) {
            const size_t n = 1 + test_below(k < 3 ? 300 : 50000);
            const uint64_t offset = k == 5 ? UINT64_MAX - n + 1 : test_below(20000);
            const double p = k == 0 ? 0.5 : test_unit();
            check_chunk_invariance(paths[pi], n, offset, p, test_rand());
            check_consistency(paths[pi], n, offset, p, test_rand());
        }
        check_special_values(paths[pi]);
        check_threshold_edges(paths[pi]);
        check_every_entry(paths[pi]);
    }
    check_site_seeds();
    for (size_t n = 0; n < 70; n++)
        check_bytes_roundtrip(n);
    check_bytes_roundtrip(100003);
    CHECK(simdrop_set_isa("auto") == 0, "auto");
    CHECK(!strcmp(simdrop_version(), SIMDROP_VERSION_STRING), "version");
    return test_finish("api");
}
