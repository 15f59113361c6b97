/* launch.h: the host side every GPU backend shares: a call's checks (src/check.h), which kernels of gpu/kernels.h it runs with which arguments, and its error messages.
 *
 * A backend (gpu/cuda/, gpu/opencl/, the host-C test in tests/gpu/) is an executor: it
 * allocates scratch memory, launches one kernel with the arguments of a simdrop_gpu_launch and
 * frees the scratch, in the order of its queue or stream. Everything else is decided here, once
 * for all of them, so that the backends cannot differ in what they compute:
 *   simdrop_gpu_run()  checks the call with the CPU library's own unit (src/check.c: the same
 *                      rows, order, codes and messages, under the backend's prefix), returns
 *                      an argument error before anything is launched or written, plans the
 *                      launches (the same decisions as src/simdrop.c: group_len 1 is element
 *                      dropout, alpha dropout at p = 0 copies, ...) and runs them. */
#ifndef SIMDROP_GPU_LAUNCH_H
#define SIMDROP_GPU_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "kernel_list.h"
#include "spec/values.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernels, numbered in the order of gpu/kernel_list.h. */
#define SIMDROP_GPU_KERNEL_ID(name, kind, rule, dt) SIMDROP_K_##name,
enum simdrop_gpu_kernel { SIMDROP_GPU_KERNELS(SIMDROP_GPU_KERNEL_ID) SIMDROP_GPU_KERNEL_COUNT };
#undef SIMDROP_GPU_KERNEL_ID

extern const char *const simdrop_gpu_kernel_names[SIMDROP_GPU_KERNEL_COUNT]; /* "simdrop_k_..." */

/* The kernels' buffer parameters, in their order (gpu/kernels.h, SIMDROP_DEV_PARAMS). */
enum simdrop_gpu_slot {
    SIMDROP_GPU_Y, SIMDROP_GPU_X, SIMDROP_GPU_BIAS, SIMDROP_GPU_RESID, SIMDROP_GPU_MASK_OUT,
    SIMDROP_GPU_MASK_IN, SIMDROP_GPU_SLOTS
};

/* What a slot is bound to: one of the call's buffers (0 .. SIMDROP_MAX_BUFS - 1, in the entry
 * point's parameter order), the call's scratch memory, or nothing (a NULL pointer). */
#define SIMDROP_GPU_NONE (-1)
#define SIMDROP_GPU_SCRATCH SIMDROP_MAX_BUFS

/* The scalar parameters of every kernel (SIMDROP_DEV_PARAMS after the buffers; gpu/kernels.h
 * says what each kind makes of them). */
typedef struct simdrop_gpu_args {
    uint64_t n, offset, key, cols, group_len, rows, ldx, ldy, bit_ld, row_group, granule, nan64;
    double mul64, add64, drop64;
    float mul, add, drop;
    uint32_t threshold, nan32;
} simdrop_gpu_args;

/* X(field) for the 64-bit integers of simdrop_gpu_args in the kernels' parameter order: how
 * each executor passes them. */
#define SIMDROP_GPU_U64_ARGS(X)                                                                   \
    X(n) X(offset) X(key) X(cols) X(group_len) X(rows) X(ldx) X(ldy) X(bit_ld) X(row_group)       \
    X(granule) X(nan64)

/* One kernel launch. Warp kernels (gen) run `threads` threads in warps of 32 (a multiple of
 * 32; an OpenCL work-group is one warp); the others any number. A kernel loops over its work,
 * so fewer threads than the work is still complete. */
typedef struct simdrop_gpu_launch {
    int kernel;                  /* enum simdrop_gpu_kernel */
    int warp;                    /* a warp kernel */
    uint64_t threads;
    int slot[SIMDROP_GPU_SLOTS]; /* a buffer index, SIMDROP_GPU_SCRATCH or SIMDROP_GPU_NONE */
    simdrop_gpu_args a;
} simdrop_gpu_launch;

/* An executor. Each function returns 0, or a status code (SIMDROP_EDEVICE, SIMDROP_ENOMEM) with
 * the device runtime's own words in why[] (e.g. "cudaMallocAsync: out of memory
 * (cudaErrorMemoryAllocation)"). buf[] holds the call's buffers as the backend passed them
 * (device pointers, cl_mem objects; NULL when absent), and buf[SIMDROP_GPU_SCRATCH] the
 * scratch memory. */
typedef struct simdrop_gpu_backend {
    const char *prefix; /* of the entry points, for the messages: "simdrop_cuda_" */
    int (*alloc)(void *ctx, uint64_t bytes, void **scratch, char *why, size_t why_size);
    int (*launch)(void *ctx, const simdrop_gpu_launch *l, void *const *buf, char *why,
                  size_t why_size);
    int (*release)(void *ctx, void *scratch, char *why, size_t why_size);
} simdrop_gpu_backend;

/* One call of an entry point: its row of check.h, dtype, counts, p, seed, offset, and its
 * buffers described for the checks (desc: pointers, or memory object and origin) and as the
 * backend passes them to its kernels (buf). */
typedef struct simdrop_gpu_call {
    int entry, dtype;        /* enum simdrop_entry, enum simdrop_check_dtype */
    size_t a, b;             /* n | groups, group_len | rows, cols | samples, spatial |
                              * granules, cols */
    size_t channels;         /* the channels-last functions' third count */
    const simdrop_block_shape *block; /* a block function's block (a, b its rows and cols), or
                                       * NULL (the check refuses it for a block function) */
    simdrop_block_shape block_shape;  /* what block points to */
    double p;
    uint64_t seed, offset;
    simdrop_buf desc[SIMDROP_MAX_BUFS];
    void *buf[SIMDROP_MAX_BUFS + 1]; /* + 1: the scratch, filled in by simdrop_gpu_run */
} simdrop_gpu_call;

/* A call with no buffers yet: the entry point's row, dtype, counts (a, b, channels), p, seed,
 * offset, and a block function's block and granule: a and b are then the block's rows and cols.
 * block is NULL for the other functions, and where a block function was passed NULL (which its
 * check refuses). */
void simdrop_gpu_call_init(simdrop_gpu_call *call, int entry, int dtype, size_t a, size_t b,
                           size_t channels, const simdrop_block *block, size_t granule, double p,
                           uint64_t seed, uint64_t offset);

/* Checks, plans and runs a call on `be`; returns SIMDROP_OK or a status code, with the message
 * of a failure in err (check.c's text for an argument error, "<function>: <why> (<code>)" for
 * a device error). Argument errors are found before anything is allocated or launched. */
int simdrop_gpu_run(const simdrop_gpu_backend *be, void *ctx, simdrop_gpu_call *call, char *err,
                    size_t err_size);

/* The launches a checked call needs, at most SIMDROP_GPU_MAX_LAUNCHES, and its scratch bytes (0
 * when none). Separate from simdrop_gpu_run for the tests. */
#define SIMDROP_GPU_MAX_LAUNCHES 4
size_t simdrop_gpu_plan(const simdrop_gpu_call *call, simdrop_gpu_launch *out,
                        uint64_t *scratch_bytes);

/* The NaN of Inf * 0 of the host CPU's family, float and double bits (MASK_SPEC.md section 4.1):
 * the GPU kernels return it, so that a GPU gives the bits of the CPU library of its host. */
uint32_t simdrop_gpu_inf_zero_nan32(void);
uint64_t simdrop_gpu_inf_zero_nan64(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDROP_GPU_LAUNCH_H */
