/* test_stream.c: the non-temporal store path of huge calls, on every path, equals the scalar bits. */
#include "rel_common.h"

/* The kernels switch to non-temporal stores when the output is at least 3/4 of the last-level
 * cache (src/dispatch.c), 384 MiB on a VM that reports 512 MiB: no other test comes near, and
 * there is no knob to lower it. 2^27 floats (512 MiB) cross it for any cache up to 682 MiB;
 * the odd tail and offset put partial rounds and a mid-block start around the streamed part. */
#define N (((size_t)1 << 27) + 77)
#define OFFSET 4093

static float *xalloc(size_t bytes)
{
    float *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "test_stream: cannot allocate %zu bytes\n", bytes);
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    const uint64_t seed = test_seed_init(argc, argv, "test_stream");
    const double p = 0.3;
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
    /* One spare float in front of y gives a y misaligned for every vector width, which must
     * fall back to ordinary stores. */
    float *x = xalloc(N * sizeof(float)), *want = xalloc(N * sizeof(float));
    float *ybuf = xalloc((N + 16) * sizeof(float));
    float *y = (float *)(((uintptr_t)ybuf + 63) & ~(uintptr_t)63);
    uint8_t *want_mask = (uint8_t *)xalloc(N / 8 + 1), *mask = (uint8_t *)xalloc(N / 8 + 1);
    rel_fill_floats(x, N);
    CHECK(y + N + 1 <= ybuf + N + 16, "layout");

    CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "set_isa(scalar)");
    CHECK(simdrop_forward_f32(want, want_mask, x, N, p, seed, OFFSET) == SIMDROP_OK, "scalar");

    for (size_t i = 0; i < npaths; i++) {
        if (!strcmp(paths[i], "scalar"))
            continue;
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa(%s)", paths[i]);
        for (int mis = 0; mis < 2; mis++) {
            float *yy = y + mis;
            memset(mask, 0xa5, N / 8 + 1);
            CHECK(simdrop_forward_f32(yy, mask, x, N, p, seed, OFFSET) == SIMDROP_OK, "forward");
            CHECK(!memcmp(yy, want, N * sizeof(float)), "[%s] forward y, misaligned %d", paths[i],
                  mis);
            CHECK(!memcmp(mask, want_mask, N / 8 + 1),
                  "[%s] forward mask", paths[i]);
            memcpy(yy, x, N * sizeof(float));
            CHECK(simdrop_backward_regen_f32(yy, yy, N, p, seed, OFFSET) == SIMDROP_OK, "regen");
            CHECK(!memcmp(yy, want, N * sizeof(float)), "[%s] regen in place, misaligned %d",
                  paths[i], mis);
            CHECK(simdrop_backward_f32(yy, x, want_mask, N, p) == SIMDROP_OK, "backward");
            CHECK(!memcmp(yy, want, N * sizeof(float)), "[%s] backward, misaligned %d", paths[i],
                  mis);
        }
        printf("  %s: forward, regen in place, backward: aligned and misaligned y\n", paths[i]);
    }
    free(x), free(want), free(ybuf), free(want_mask), free(mask);
    return test_finish("test_stream");
}
