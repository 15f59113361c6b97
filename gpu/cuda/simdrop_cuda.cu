/* simdrop_cuda.cu: libsimdrop_cuda: the kernels of gpu/kernels.h compiled by nvcc, the CUDA executor of gpu/launch.c, and the entry points of gpu/entry_list.h on device pointers. */
#include <stdio.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "simdrop_cuda.h"
#include "kernels.h" /* every kernel, as __global__ functions (gpu/device.h's CUDA branch) */
#include "launch.h"
#include "entry_list.h"

/* Built with -fmad=false -ftz=false -prec-div=true -prec-sqrt=true (gpu/meson.build): no
 * contraction into FMA, denormals kept, IEEE division; MASK_SPEC.md's bits need all four. */

#define BLOCK_THREADS 256 /* a multiple of the warp: the warp kernels' lanes are threadIdx % 32 */

/* The kernels by number (gpu/launch.h), for cudaLaunchKernel. */
#define KERNEL_ADDRESS(name, kind, rule, dt) (const void *)simdrop_k_##name,
static const void *const kernels[SIMDROP_GPU_KERNEL_COUNT] = {SIMDROP_GPU_KERNELS(KERNEL_ADDRESS)};

static thread_local char last_error[1024];

extern "C" const char *simdrop_cuda_last_error(void)
{
    return last_error;
}

extern "C" const char *simdrop_cuda_strerror(int status)
{
    return simdrop_status_text(status);
}

extern "C" const char *simdrop_cuda_version(void)
{
    return SIMDROP_VERSION_STRING;
}

/* "<what>: cudaErrorX: CUDA's text" into why; SIMDROP_ENOMEM for an allocation, else
 * SIMDROP_EDEVICE. */
static int cuda_failed(cudaError_t e, const char *what, char *why, size_t size)
{
    snprintf(why, size, "%s: %s: %s", what, cudaGetErrorName(e), cudaGetErrorString(e));
    /* The runtime also keeps e as this thread's last error, which the caller's next
     * cudaGetLastError() would blame on its own work (PyTorch checks its launches so): the
     * status and simdrop_cuda_last_error() report it, so it is cleared. (An error that breaks
     * the context stays: the runtime returns it again from every later call.) */
    (void)cudaGetLastError();
    return e == cudaErrorMemoryAllocation ? SIMDROP_ENOMEM : SIMDROP_EDEVICE;
}

/* ---- the executor: stream-ordered scratch memory and launches ----------------------------------- */

static int cuda_alloc(void *ctx, uint64_t bytes, void **scratch, char *why, size_t size)
{
    const cudaError_t e = cudaMallocAsync(scratch, (size_t)bytes, *(cudaStream_t *)ctx);
    return e ? cuda_failed(e, "cudaMallocAsync (scratch)", why, size) : SIMDROP_OK;
}

static int cuda_launch(void *ctx, const simdrop_gpu_launch *l, void *const *buf, char *why,
                       size_t size)
{
    void *p[SIMDROP_GPU_SLOTS];
    for (int s = 0; s < SIMDROP_GPU_SLOTS; s++)
        p[s] = l->slot[s] == SIMDROP_GPU_NONE ? NULL : buf[l->slot[s]];
    simdrop_gpu_args a = l->a;
    /* the kernel's parameters in the order of SIMDROP_DEV_PARAMS */
#define U64_ADDRESS(field) &a.field,
    void *args[] = {&p[SIMDROP_GPU_Y], &p[SIMDROP_GPU_X], &p[SIMDROP_GPU_BIAS],
                    &p[SIMDROP_GPU_RESID], &p[SIMDROP_GPU_MASK_OUT], &p[SIMDROP_GPU_MASK_IN],
                    SIMDROP_GPU_U64_ARGS(U64_ADDRESS) &a.mul64, &a.add64, &a.drop64, &a.mul,
                    &a.add, &a.drop, &a.threshold, &a.nan32};
#undef U64_ADDRESS
    const unsigned blocks = (unsigned)((l->threads + BLOCK_THREADS - 1) / BLOCK_THREADS);
    const cudaError_t e = cudaLaunchKernel(kernels[l->kernel], dim3(blocks), dim3(BLOCK_THREADS),
                                           args, 0, *(cudaStream_t *)ctx);
    if (e) {
        char what[128];
        snprintf(what, sizeof what, "cudaLaunchKernel(%s)", simdrop_gpu_kernel_names[l->kernel]);
        return cuda_failed(e, what, why, size);
    }
    return SIMDROP_OK;
}

/* Freed in the stream's order: after the kernels launched before. */
static int cuda_release(void *ctx, void *scratch, char *why, size_t size)
{
    const cudaError_t e = cudaFreeAsync(scratch, *(cudaStream_t *)ctx);
    return e ? cuda_failed(e, "cudaFreeAsync (scratch)", why, size) : SIMDROP_OK;
}

static const simdrop_gpu_backend executor = {"simdrop_cuda_", cuda_alloc, cuda_launch, cuda_release};

/* ---- the entry points ------------------------------------------------------------------------------ */

/* Device pointers share one flat address space with host pointers (unified addressing): the
 * checks see them as the CPU library sees its pointers. */
static int run(int entry, int dtype, const void *const *bufs, size_t nbufs, size_t a, size_t b,
               size_t channels, const simdrop_block *block, size_t granule, double p,
               uint64_t seed, uint64_t offset, cudaStream_t stream)
{
    simdrop_gpu_call call;
    simdrop_gpu_call_init(&call, entry, dtype, a, b, channels, block, granule, p, seed, offset);
    for (size_t i = 0; i < nbufs; i++) {
        call.desc[i] = simdrop_buf_ptr(bufs[i]);
        call.buf[i] = (void *)bufs[i];
    }
    return simdrop_gpu_run(&executor, &stream, &call, last_error, sizeof last_error);
}

#define SIMDROP_GPU_OUT(T) T *
#define SIMDROP_GPU_IN(T) const T *
#define DEFINE_ENTRY(fn, ENTRY, DTYPE, SIG, T, A)                                                  \
    extern "C" int simdrop_cuda_##fn(SIMDROP_GPU_SIG_##SIG(T, A), cudaStream_t stream)            \
    {                                                                                              \
        const void *const bufs[] = SIMDROP_GPU_BUFS_##SIG;                                         \
        return run(SIMDROP_ENTRY_##ENTRY, DTYPE, bufs, sizeof bufs / sizeof bufs[0],               \
                   SIMDROP_GPU_COUNTS_##SIG, stream);                                              \
    }
SIMDROP_GPU_ENTRIES(DEFINE_ENTRY)
