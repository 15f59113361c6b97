/* test_api.c: the promises of simdrop.h on every path: sharding invariance, aliasing, backward, values. */
#include <math.h>

#include "common.h"

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
            if (isnan(xi)) /* a dropped NaN keeps its payload, quieted */
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

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "api");
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
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
    }
    for (size_t n = 0; n < 70; n++)
        check_bytes_roundtrip(n);
    check_bytes_roundtrip(100003);
    CHECK(simdrop_set_isa("auto") == 0, "auto");
    CHECK(!strcmp(simdrop_version(), SIMDROP_VERSION_STRING), "version");
    return test_finish("api");
}
