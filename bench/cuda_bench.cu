/* cuda_bench.cu: libsimdrop_cuda at 256M elements against a device copy of the same bytes, and its outputs checked bit for bit against the CPU library. */
// Usage: cuda_bench [n] [reps]. Exits 77 without a CUDA device (docs/GPU.md).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cuda_runtime.h>

#include "simdrop.h"
#include "simdrop_cuda.h"

#define CK(call)                                                                            \
    do {                                                                                    \
        cudaError_t e_ = (call);                                                            \
        if (e_ != cudaSuccess) {                                                            \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)
#define OK(call)                                                                            \
    do {                                                                                    \
        int s_ = (call);                                                                    \
        if (s_ != SIMDROP_OK) {                                                             \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #call, s_);      \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static int reps = 20;
static double copy_gbs; /* bytes read + written per second by cudaMemcpyAsync device to device */

/* Best and median milliseconds of reps launches, timed with CUDA events around each. */
template <class F> static void timed(const char *name, double elems, double bytes, F launch)
{
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    launch(); /* warm-up */
    CK(cudaDeviceSynchronize());
    std::vector<float> ms(reps);
    for (int r = 0; r < reps; r++) {
        CK(cudaEventRecord(a));
        launch();
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        CK(cudaEventElapsedTime(&ms[r], a, b));
    }
    CK(cudaGetLastError());
    std::sort(ms.begin(), ms.end());
    double best = ms[0], med = ms[reps / 2];
    double gbs = bytes / (best * 1e6);
    if (copy_gbs == 0)
        copy_gbs = gbs;
    printf("%-34s best %8.3f ms  median %8.3f ms  %7.2f Gelem/s  %7.1f GB/s  %.3f x copy\n", name, best,
           med, elems / (best * 1e6), gbs, gbs / copy_gbs);
    CK(cudaEventDestroy(a));
    CK(cudaEventDestroy(b));
}

static int failures;
static void same(const char *what, const void *gpu, const void *cpu, size_t bytes)
{
    const unsigned char *g = (const unsigned char *)gpu, *c = (const unsigned char *)cpu;
    if (!memcmp(g, c, bytes)) {
        printf("verify %-28s %zu bytes: identical to libsimdrop\n", what, bytes);
        return;
    }
    size_t i = 0;
    while (g[i] == c[i])
        i++;
    printf("verify %-28s FAIL: first differing byte %zu (gpu %02x, cpu %02x)\n", what, i, g[i], c[i]);
    failures++;
}

template <class T> static T *dev(size_t n)
{
    T *p;
    CK(cudaMalloc(&p, n * sizeof(T)));
    return p;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : (size_t)256 << 20;
    reps = argc > 2 ? atoi(argv[2]) : 20;
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("cuda_bench: no CUDA device: skipped\n");
        return 77;
    }
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    const double p = 0.1;
    const uint64_t seed = 0x5eed1234abcdULL;
    const size_t cols = 4096, rows = n / cols, nm = (n + 7) / 8;
    printf("device: %s (sm_%d%d), n = %zu, p = %.2f, %d reps, simdrop %s\n", prop.name, prop.major,
           prop.minor, n, p, reps, simdrop_version());

    std::vector<float> hx(n), hr(n), hb(cols);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) { /* an LCG: fast, any values but NaN/Inf */
        s = s * 1664525u + 1013904223u;
        hx[i] = (float)(int32_t)s * 0x1p-24f;
        hr[i] = (float)(s >> 8) * 0x1p-20f;
    }
    for (size_t j = 0; j < cols; j++)
        hb[j] = (float)j * 0.001f;
    std::vector<uint16_t> hxb(n);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &hx[i], 4);
        hxb[i] = (uint16_t)(u >> 16);
    }

    float *x = dev<float>(n), *y = dev<float>(n), *r = dev<float>(n), *b = dev<float>(cols);
    uint16_t *xb = dev<uint16_t>(n), *yb = dev<uint16_t>(n);
    uint8_t *m = dev<uint8_t>(nm), *mu = dev<uint8_t>(nm);
    CK(cudaMemcpy(x, hx.data(), n * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(r, hr.data(), n * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(b, hb.data(), cols * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(xb, hxb.data(), n * 2, cudaMemcpyHostToDevice));

    /* Bytes are those read plus written; the copy moves 4n bytes (8n of traffic), the f32 tensor. */
    const double f = 4.0 * n, mb = (double)nm;
    timed("copy f32 (cudaMemcpyAsync D2D)", n, 2 * f,
          [&] { CK(cudaMemcpyAsync(y, x, n * 4, cudaMemcpyDeviceToDevice, 0)); });
    timed("forward f32 + mask", n, 2 * f + mb, [&] { OK(simdrop_cuda_forward_f32(y, m, x, n, p, seed, 0, 0)); });
    timed("forward f32, no mask", n, 2 * f, [&] { OK(simdrop_cuda_forward_f32(y, NULL, x, n, p, seed, 0, 0)); });
    timed("forward f32 + mask, offset 1, +4 B", n - 1, 2 * (f - 4) + mb,
          [&] { OK(simdrop_cuda_forward_f32(y + 1, mu, x + 1, n - 1, p, seed, 1, 0)); });
    timed("forward bf16 + mask", n, f + mb, [&] { OK(simdrop_cuda_forward_bf16(yb, m, xb, n, p, seed, 0, 0)); });
    timed("copy bf16 (cudaMemcpyAsync D2D)", n, f,
          [&] { CK(cudaMemcpyAsync(yb, xb, n * 2, cudaMemcpyDeviceToDevice, 0)); });
    timed("backward f32 from mask", n, 2 * f + mb, [&] { OK(simdrop_cuda_backward_f32(y, x, m, n, p, 0)); });
    timed("backward_regen f32", n, 2 * f, [&] { OK(simdrop_cuda_backward_regen_f32(y, x, n, p, seed, 0, 0)); });
    /* the fused call reads x and residual and writes out: 12n bytes, a copy of 6n */
    uint8_t *c0 = dev<uint8_t>(n * 6), *c1 = dev<uint8_t>(n * 6);
    timed("copy 6n bytes (fused's traffic)", n, 3 * f,
          [&] { CK(cudaMemcpyAsync(c1, c0, n * 6, cudaMemcpyDeviceToDevice, 0)); });
    timed("bias+dropout+residual f32 + mask", n, 3 * f + mb,
          [&] { OK(simdrop_cuda_bias_dropout_add_f32(y, m, x, b, r, rows, cols, p, seed, 0, 0)); });
    CK(cudaDeviceSynchronize());
    CK(cudaFree(c0));
    CK(cudaFree(c1));

    /* Each result of one 256M call against the CPU library on the same input, whole arrays. */
    std::vector<float> gy(n), cy(n);
    std::vector<uint8_t> gm(nm), cm(nm);
    std::vector<uint16_t> gyb(n), cyb(n);
    OK(simdrop_cuda_forward_f32(y, m, x, n, p, seed, 0, 0));
    CK(cudaMemcpy(gy.data(), y, n * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(gm.data(), m, nm, cudaMemcpyDeviceToHost));
    OK(simdrop_forward_f32(cy.data(), cm.data(), hx.data(), n, p, seed, 0));
    same("forward f32 y", gy.data(), cy.data(), n * 4);
    same("forward f32 mask", gm.data(), cm.data(), nm);

    OK(simdrop_cuda_backward_f32(y, r, m, n, p, 0));
    CK(cudaMemcpy(gy.data(), y, n * 4, cudaMemcpyDeviceToHost));
    OK(simdrop_backward_f32(cy.data(), hr.data(), cm.data(), n, p));
    same("backward f32 dx", gy.data(), cy.data(), n * 4);

    OK(simdrop_cuda_forward_f32(y, NULL, x, n, p, seed, 0, 0));
    CK(cudaMemcpy(gy.data(), y, n * 4, cudaMemcpyDeviceToHost));
    OK(simdrop_forward_f32(cy.data(), NULL, hx.data(), n, p, seed, 0));
    same("forward f32 no mask y", gy.data(), cy.data(), n * 4);

    OK(simdrop_cuda_backward_regen_f32(y, x, n, p, seed, 0, 0));
    CK(cudaMemcpy(gy.data(), y, n * 4, cudaMemcpyDeviceToHost));
    OK(simdrop_backward_regen_f32(cy.data(), hx.data(), n, p, seed, 0));
    same("backward_regen f32 dx", gy.data(), cy.data(), n * 4);

    OK(simdrop_cuda_forward_f32(y + 1, mu, x + 1, n - 1, p, seed, 1, 0));
    CK(cudaMemcpy(gy.data(), y + 1, (n - 1) * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(gm.data(), mu, (n - 1 + 7) / 8, cudaMemcpyDeviceToHost));
    OK(simdrop_forward_f32(cy.data(), cm.data(), hx.data() + 1, n - 1, p, seed, 1));
    same("forward f32 offset 1 y", gy.data(), cy.data(), (n - 1) * 4);
    same("forward f32 offset 1 mask", gm.data(), cm.data(), (n - 1 + 7) / 8);

    OK(simdrop_cuda_forward_bf16(yb, m, xb, n, p, seed, 0, 0));
    CK(cudaMemcpy(gyb.data(), yb, n * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(gm.data(), m, nm, cudaMemcpyDeviceToHost));
    OK(simdrop_forward_bf16(cyb.data(), cm.data(), hxb.data(), n, p, seed, 0));
    same("forward bf16 y", gyb.data(), cyb.data(), n * 2);
    same("forward bf16 mask", gm.data(), cm.data(), nm);

    OK(simdrop_cuda_bias_dropout_add_f32(y, m, x, b, r, rows, cols, p, seed, 0, 0));
    CK(cudaMemcpy(gy.data(), y, rows * cols * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(gm.data(), m, (rows * cols + 7) / 8, cudaMemcpyDeviceToHost));
    OK(simdrop_bias_dropout_add_f32(cy.data(), cm.data(), hx.data(), hb.data(), hr.data(), rows, cols, p, seed, 0));
    same("bias+dropout+residual out", gy.data(), cy.data(), rows * cols * 4);
    same("bias+dropout+residual mask", gm.data(), cm.data(), (rows * cols + 7) / 8);

    printf("cuda_bench: %s\n", failures ? "VERIFY FAILED" : "all outputs identical to the CPU library");
    return failures ? 1 : 0;
}
