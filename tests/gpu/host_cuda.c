/* host_cuda.c: libsimdrop_cuda's entry points over host memory (gpu/kernels.h as C, host_executor.c), so that simdrop.torch's CUDA route is tested where no GPU is. */
#include <stdio.h>

#include "host_executor.h"
#include "entry_list.h"

/* Not libsimdrop_cuda: the same exported names and arguments (include/simdrop_cuda.h), the
 * stream an opaque pointer the calls ignore, every pointer a host pointer. Python's tests load
 * it in the CUDA library's place (python/tests/test_torch_cuda.py): each call then runs what
 * the real one enqueues on a GPU, the same launches of the same kernel source. One thread at a
 * time (host_executor.h). */
typedef void *cudaStream_t;

#if defined(_WIN32)
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

static char last_error[512];

EXPORT const char *simdrop_cuda_last_error(void)
{
    return last_error;
}

EXPORT const char *simdrop_cuda_strerror(int status)
{
    return simdrop_status_text(status);
}

EXPORT const char *simdrop_cuda_version(void)
{
    return SIMDROP_VERSION_STRING;
}

/* The test's way to make the next call's scratch allocation fail (host_executor.h). */
EXPORT void simdrop_host_cuda_fail_next_alloc(void)
{
    simdrop_host_fail_alloc = 1;
}

static int run(int entry, int dtype, const void *const *bufs, size_t nbufs, size_t a, size_t b,
               size_t channels, const simdrop_block *block, size_t granule, double p,
               uint64_t seed, uint64_t offset, cudaStream_t stream)
{
    simdrop_gpu_call call;
    (void)stream;
    simdrop_gpu_call_init(&call, entry, dtype, a, b, channels, block, granule, p, seed, offset);
    for (size_t i = 0; i < nbufs; i++) {
        call.desc[i] = simdrop_buf_ptr(bufs[i]);
        call.buf[i] = (void *)bufs[i];
    }
    const simdrop_gpu_backend executor = simdrop_host_executor_as("simdrop_cuda_");
    return simdrop_gpu_run(&executor, NULL, &call, last_error, sizeof last_error);
}

#define SIMDROP_GPU_OUT(T) T *
#define SIMDROP_GPU_IN(T) const T *
#define DEFINE_ENTRY(fn, ENTRY, DTYPE, SIG, T, A)                                                  \
    EXPORT int simdrop_cuda_##fn(SIMDROP_GPU_SIG_##SIG(T, A), cudaStream_t stream)                \
    {                                                                                              \
        const void *const bufs[] = SIMDROP_GPU_BUFS_##SIG;                                         \
        return run(SIMDROP_ENTRY_##ENTRY, DTYPE, bufs, sizeof bufs / sizeof bufs[0],               \
                   SIMDROP_GPU_COUNTS_##SIG, stream);                                              \
    }
SIMDROP_GPU_ENTRIES(DEFINE_ENTRY)
