/* test_nhwc.c: channels-last group and alpha dropout against the NCHW groups form of the same tensor, bit for bit, on every path. */
#include "common.h"

#define SIMDROP_PATH_MAX 16

/* One dtype's six NCHW and six NHWC functions, called through void pointers. */
typedef struct fns {
    const char *name;
    size_t es;
    int (*fwd[2])(void *, uint8_t *, const void *, size_t, size_t, double, uint64_t, uint64_t);
    int (*bwd[2])(void *, const void *, const uint8_t *, size_t, size_t, double);
    int (*rgn[2])(void *, const void *, size_t, size_t, double, uint64_t, uint64_t);
    int (*nfwd[2])(void *, uint8_t *, const void *, size_t, size_t, size_t, double, uint64_t,
                   uint64_t);
    int (*nbwd[2])(void *, const void *, const uint8_t *, size_t, size_t, size_t, double);
    int (*nrgn[2])(void *, const void *, size_t, size_t, size_t, double, uint64_t, uint64_t);
} fns;

#define FNS(dt, T)                                                                                 \
    {#dt, sizeof(T),                                                                               \
     {(void *)simdrop_forward_groups_##dt, (void *)simdrop_alpha_forward_##dt},                    \
     {(void *)simdrop_backward_groups_##dt, (void *)simdrop_alpha_backward_##dt},                  \
     {(void *)simdrop_backward_groups_regen_##dt, (void *)simdrop_alpha_backward_regen_##dt},      \
     {(void *)simdrop_forward_groups_nhwc_##dt, (void *)simdrop_alpha_forward_nhwc_##dt},          \
     {(void *)simdrop_backward_groups_nhwc_##dt, (void *)simdrop_alpha_backward_nhwc_##dt},        \
     {(void *)simdrop_backward_groups_nhwc_regen_##dt,                                             \
      (void *)simdrop_alpha_backward_nhwc_regen_##dt}}

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpedantic" /* function pointers through void * */
#endif
static const fns dtypes[] = {FNS(f32, float), FNS(f64, double), FNS(bf16, uint16_t),
                             FNS(f16, uint16_t)};

/* Element (s, i, c) of the NHWC tensor is element (s, c, i) of the NCHW one. */
static void to_nhwc(unsigned char *dst, const unsigned char *src, size_t samples, size_t spatial,
                    size_t channels, size_t es)
{
    for (size_t s = 0; s < samples; s++)
        for (size_t i = 0; i < spatial; i++)
            for (size_t c = 0; c < channels; c++)
                memcpy(dst + ((s * spatial + i) * channels + c) * es,
                       src + ((s * channels + c) * spatial + i) * es, es);
}

/* Random bits, with NaNs, infinities and denormals among them (the dtype's own patterns). */
static void fill_random(unsigned char *p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)test_rand();
}

typedef struct shape {
    size_t samples, spatial, channels;
} shape;

static shape random_shape(void)
{
    static const size_t chans[] = {1, 2, 3, 5, 7, 8, 9, 16, 31, 32, 33, 64, 100, 255, 1000,
                                   4095, 4096, 4097, 5000, 9000};
    static const size_t spat[] = {1, 2, 3, 4, 7, 9, 25, 49, 64, 100, 1025};
    shape s;
    s.channels = test_below(3) ? chans[test_below(20)] : 1 + test_below(300);
    s.spatial = test_below(3) ? spat[test_below(11)] : 1 + test_below(200);
    const size_t cap = 60000 / (s.channels * s.spatial) + 1;
    s.samples = test_below(10) == 0 ? 0 : 1 + test_below(cap < 40 ? cap : 40);
    if (test_below(10) == 0) /* an empty channel axis */
        s.channels = 0;
    return s;
}

static double random_p(void)
{
    static const double ps[] = {0.0, 1.0, 0.5, 0.1, 1e-5, 0.99999};
    return test_below(3) ? ps[test_below(6)] : test_unit();
}

/* One case on one path: forward with and without mask, in place, backward from the mask and by
 * regeneration, each against the NCHW functions on the scalar path, transposed. */
/* Calls from here on run on `path` with `threads` threads (checked: a failed switch would leave
 * the reference's scalar path in force, and the checks would compare scalar with itself). */
static void on_path(const char *path, int threads)
{
    CHECK(simdrop_set_isa(path) == SIMDROP_OK && !strcmp(simdrop_isa(), path), "set_isa(%s)", path);
    CHECK(simdrop_set_num_threads(threads) == SIMDROP_OK, "set_num_threads(%d)", threads);
}

static void check_case(const char *path, const fns *f, int alpha, shape sh, int threads)
{
    const size_t es = f->es, groups = sh.samples * sh.channels;
    const size_t n = groups * sh.spatial, bytes = n * es, mbytes = mask_len(groups);
    const double p = random_p();
    const uint64_t seed = test_rand(), offset = test_below(2) ? test_below(1000) : test_rand() >> 1;
    const size_t mis = test_below(4) * es;
    char ctx[200];
    snprintf(ctx, sizeof ctx, "%s %s %s samples %zu spatial %zu channels %zu p %.17g seed %" PRIu64
             " offset %" PRIu64 " threads %d", path, alpha ? "alpha" : "groups", f->name,
             sh.samples, sh.spatial, sh.channels, p, seed, offset, threads);

    unsigned char *x = malloc(bytes + 1), *dy = malloc(bytes + 1), *ref = malloc(bytes + 1);
    unsigned char *ref_t = malloc(bytes + 1), *xn = malloc(bytes + 1), *dyn = malloc(bytes + 1);
    uint8_t *ref_mask = malloc(mbytes + 1);
    fill_random(x, bytes);
    fill_random(dy, bytes);
    to_nhwc(xn, x, sh.samples, sh.spatial, sh.channels, es);
    to_nhwc(dyn, dy, sh.samples, sh.spatial, sh.channels, es);
    guarded y = guarded_new(bytes, mis, 0xa5), m = guarded_new(mbytes, test_below(8), 0x5a);

    /* forward with mask */
    on_path("scalar", 1);
    CHECK(f->fwd[alpha](ref, ref_mask, x, groups, sh.spatial, p, seed, offset) == 0, "%s: NCHW", ctx);
    to_nhwc(ref_t, ref, sh.samples, sh.spatial, sh.channels, es);
    on_path(path, threads);
    CHECK(f->nfwd[alpha](y.data, m.data, xn, sh.samples, sh.spatial, sh.channels, p, seed,
                         offset) == 0, "%s: forward", ctx);
    CHECK(!memcmp(m.data, ref_mask, mbytes), "%s: forward mask", ctx);
    CHECK(!memcmp(y.data, ref_t, bytes), "%s: forward values", ctx);
    CHECK(guarded_ok(&y) && guarded_ok(&m), "%s: forward wrote out of bounds", ctx);

    /* forward without mask, in place */
    memcpy(y.data, xn, bytes);
    CHECK(f->nfwd[alpha](y.data, NULL, y.data, sh.samples, sh.spatial, sh.channels, p, seed,
                         offset) == 0, "%s: in place", ctx);
    CHECK(!memcmp(y.data, ref_t, bytes), "%s: in-place values", ctx);

    /* backward from the mask, and by regeneration */
    on_path("scalar", 1);
    CHECK(f->bwd[alpha](ref, dy, ref_mask, groups, sh.spatial, p) == 0, "%s: NCHW backward", ctx);
    to_nhwc(ref_t, ref, sh.samples, sh.spatial, sh.channels, es);
    on_path(path, threads);
    CHECK(f->nbwd[alpha](y.data, dyn, m.data, sh.samples, sh.spatial, sh.channels, p) == 0,
          "%s: backward", ctx);
    CHECK(!memcmp(y.data, ref_t, bytes), "%s: backward values", ctx);
    on_path("scalar", 1);
    CHECK(f->rgn[alpha](ref, dy, groups, sh.spatial, p, seed, offset) == 0, "%s: NCHW regen", ctx);
    to_nhwc(ref_t, ref, sh.samples, sh.spatial, sh.channels, es);
    on_path(path, threads);
    memcpy(y.data, dyn, bytes);
    CHECK(f->nrgn[alpha](y.data, y.data, sh.samples, sh.spatial, sh.channels, p, seed, offset) == 0,
          "%s: regen", ctx);
    CHECK(!memcmp(y.data, ref_t, bytes), "%s: regen values", ctx);
    CHECK(guarded_ok(&y) && guarded_ok(&m), "%s: wrote out of bounds", ctx);

    guarded_free(&y);
    guarded_free(&m);
    free(x), free(dy), free(ref), free(ref_t), free(xn), free(dyn), free(ref_mask);
}

/* spatial == 0 is the NCHW form's group_len == 0; no channels or samples is an empty call. */
static void check_edges(void)
{
    float v = 1.0f;
    uint8_t mask = 0x77;
    CHECK(simdrop_forward_groups_nhwc_f32(&v, &mask, &v, 2, 0, 3, 0.5, 1, 0) == SIMDROP_ESIZE,
          "spatial 0 with channels");
    CHECK(!strcmp(simdrop_last_error(), "simdrop_forward_groups_nhwc_f32: spatial is 0 with "
                  "samples = 2, channels = 3 (SIMDROP_ESIZE)"), "message: \"%s\"",
          simdrop_last_error());
    CHECK(simdrop_forward_groups_nhwc_f32(NULL, NULL, NULL, 2, 0, 0, 0.5, 1, 0) == 0 &&
              simdrop_forward_groups_nhwc_f32(NULL, NULL, NULL, 0, 5, 3, 0.5, 1, 0) == 0,
          "empty calls");
    CHECK(simdrop_alpha_forward_nhwc_f32(&v, &mask, &v, 1, 1, 2, 0.5, 1, UINT64_MAX) ==
              SIMDROP_ERANGE, "the range counts samples * channels");
    CHECK(!strcmp(simdrop_last_error(), "simdrop_alpha_forward_nhwc_f32: offset + samples * "
                  "channels = 18446744073709551615 + 1 * 2 exceeds 2^64: the global group "
                  "indices would wrap (SIMDROP_ERANGE)"), "message: \"%s\"", simdrop_last_error());
    CHECK(simdrop_forward_groups_nhwc_f32(&v, &mask, &v, SIZE_MAX / 4, 5, 3, 0.5, 1, 0) ==
              SIMDROP_ESIZE && v == 1.0f && mask == 0x77, "the element count overflows");
    CHECK(!strcmp(simdrop_last_error(), "simdrop_forward_groups_nhwc_f32: the element count "
                  "samples = 4611686018427387903, spatial = 5, channels = 3 overflows size_t "
                  "(SIMDROP_ESIZE)") || sizeof(size_t) < 8, "message: \"%s\"", simdrop_last_error());
    CHECK(simdrop_backward_groups_nhwc_f32(&v, &v, NULL, 1, 1, 1, 0.5) == SIMDROP_ENULL,
          "backward needs its mask");
    CHECK(!strcmp(simdrop_last_error(), "simdrop_backward_groups_nhwc_f32: mask is NULL while "
                  "the call has elements (samples = 1, spatial = 1, channels = 1) "
                  "(SIMDROP_ENULL)"), "message: \"%s\"", simdrop_last_error());
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_nhwc");
    const long cases = (long)test_option(argc, argv, "--cases", "SIMDROP_TEST_CASES", 40);
    const char *paths[SIMDROP_PATH_MAX];
    const size_t npaths = test_paths(paths, SIMDROP_PATH_MAX);
    check_edges();
    for (size_t k = 0; k < npaths; k++)
        for (long i = 0; i < cases; i++) {
            static const int threads[] = {1, 1, 2, 3, 7};
            check_case(paths[k], &dtypes[test_below(4)], (int)test_below(2), random_shape(),
                       threads[test_below(5)]);
        }
    CHECK(simdrop_set_isa("auto") == SIMDROP_OK && simdrop_set_num_threads(1) == SIMDROP_OK, "auto");
    return test_finish("test_nhwc");
}
