/* gpu_cuda.cu: libsimdrop_cuda as a backend of the GPU tests: the current CUDA device, device pointers as views, one stream. Exits 77 (skipped) where there is no GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "simdrop_cuda.h"
#include "entry_list.h" /* gpu/ */
#include "backend.h"

static cudaStream_t stream;
static char device_name[300], why[512];

static void fail(const char *what, cudaError_t e)
{
    fprintf(stderr, "gpu_cuda: %s failed: %s: %s\n", what, cudaGetErrorName(e), cudaGetErrorString(e));
    exit(2);
}

/* No CUDA device (or no driver): skipped, unless SIMDROP_TEST_REQUIRE_CUDA=1. */
static int cuda_init(void)
{
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e || count == 0) {
        snprintf(why, sizeof why, "no CUDA device (%s)", e ? cudaGetErrorString(e) : "0 devices");
        const char *req = getenv("SIMDROP_TEST_REQUIRE_CUDA");
        return req && !strcmp(req, "1") ? 1 : 77;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        snprintf(device_name, sizeof device_name, "%s (sm_%d%d)", prop.name, prop.major, prop.minor);
    const cudaError_t s = cudaStreamCreate(&stream);
    if (s)
        fail("cudaStreamCreate", s);
    return 0;
}

static const char *cuda_device(void)
{
    return device_name;
}

static void *cuda_alloc(size_t bytes)
{
    void *p = NULL;
    return cudaMalloc(&p, bytes) == cudaSuccess ? p : NULL; /* 256-byte aligned */
}

static void cuda_release(void *buf)
{
    cudaFree(buf);
}

static void *cuda_view(void *buf, size_t offset, size_t bytes)
{
    (void)bytes;
    return (unsigned char *)buf + offset;
}

static void cuda_unview(void *view)
{
    (void)view;
}

static void cuda_upload(void *buf, size_t offset, const void *src, size_t bytes)
{
    const cudaError_t e = cudaMemcpy((unsigned char *)buf + offset, src, bytes, cudaMemcpyHostToDevice);
    if (e)
        fail("cudaMemcpy", e);
}

static void cuda_download(void *dst, void *buf, size_t offset, size_t bytes)
{
    cudaStreamSynchronize(stream);
    const cudaError_t e = cudaMemcpy(dst, (unsigned char *)buf + offset, bytes, cudaMemcpyDeviceToHost);
    if (e)
        fail("cudaMemcpy", e);
}

/* Entry `entry` of gpu/entry_list.h through its simdrop_cuda_ function. */
#define SIMDROP_GPU_OUT(T) T *
#define SIMDROP_GPU_IN(T) const T *
enum {
#define ENTRY_ID(fn, ENTRY, DTYPE, SIG, T, A) ENTRY_##fn,
    SIMDROP_GPU_ENTRIES(ENTRY_ID)
#undef ENTRY_ID
};

static int cuda_call(size_t entry, void *const *h, ent_shape s, double p, uint64_t seed,
                     uint64_t offset)
{
    /* the block of the block functions (entry_list.h's FROM shapes take &blk) */
    const simdrop_block blk = {s.a, s.b, s.row0, s.col0, s.global_cols, s.ldx, s.ldy};
    switch (entry) {
#define ENTRY_CALL(fn, ENTRY, DTYPE, SIG, T, A)                                                    \
    case ENTRY_##fn: return simdrop_cuda_##fn(SIMDROP_GPU_FROM_##SIG(T, A), stream);
        SIMDROP_GPU_ENTRIES(ENTRY_CALL)
#undef ENTRY_CALL
    }
    return -100;
}

static int cuda_finish(void)
{
    return (int)cudaStreamSynchronize(stream);
}

static const char *cuda_last_error(void)
{
    return device_name[0] ? simdrop_cuda_last_error() : why;
}

gpu_backend gpu_this = {"cuda", "simdrop_cuda_", 1, 0, 0, cuda_init, cuda_device,
                      cuda_alloc, cuda_release, cuda_view, cuda_unview, cuda_upload,
                      cuda_download, cuda_call, cuda_finish, cuda_last_error, NULL};
