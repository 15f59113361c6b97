/* device.h: the environment layer of the GPU kernels (gpu/kernels.h): one branch per compiler, C, CUDA and OpenCL, as Random123's features/ headers.
 *
 * gpu/kernels.h is written once, in the common subset of C, CUDA C and OpenCL C, and asks its
 * environment only for what follows. A new environment (HIP, SYCL, Metal) adds a branch here
 * (and one to kernels/spec/compiler.h) and nothing else:
 *   SIMDROP_DEV_FN            qualifiers of a device function (inlined into its kernel)
 *   SIMDROP_DEV_KERNEL        qualifiers of a kernel, before its void (C: a plain function)
 *   SIMDROP_DEV_GLOBAL        the address space of the kernels' buffers (OpenCL's __global)
 *   SIMDROP_DEV_ITEM_ID       this thread's index in the launch, and SIMDROP_DEV_ITEMS the
 *                             threads launched (C: the threads of a launch run in turn)
 *   SIMDROP_DEV_SLOTS         lanes of a warp one thread runs: 1 on a GPU, where each thread is
 *                             one lane, 32 in C, where one thread runs the warp's 32 lanes in a
 *                             loop (so the C compile checks the warp's arithmetic, and the
 *                             OpenCL run checks the thread-per-lane form with a real collective)
 *   SIMDROP_DEV_WARP_PARAM    the last parameter of a device function that calls
 *                             SIMDROP_DEV_WARP_OR2, SIMDROP_DEV_WARP_ARG what a caller passes
 *                             for it, SIMDROP_DEV_WARP_DECL what a kernel declares first
 *   SIMDROP_DEV_WARP_OR2(lo, hi)  lo and hi (uint32_t lvalues) become the OR of their values
 *                             over the 32 lanes of the warp, on every thread of the warp; each
 *                             thread's lo and hi hold only its own lanes' bits. Every thread of
 *                             a warp calls it at the same point (uniform control flow): CUDA's
 *                             ballots and OpenCL's barriers both need that.
 *   SIMDROP_DEV_PREFETCH      rounds (gen) or elements (bits) whose loads go out before their
 *                             arithmetic
 *   SIMDROP_DEV_UNROLL        unroll the next loop fully: the rounds whose loads are issued
 *                             ahead stay in registers, not in local memory
 *   SIMDROP_DEV_LITTLE_ENDIAN 1 where a 32-bit store writes its low byte first
 * A warp is 32 lanes: the 16 lanes of two consecutive blocks (MASK_SPEC.md section 2.2). A GPU
 * launch gives the warp kernels a multiple of 32 threads, lane = thread % 32. */
#ifndef SIMDROP_GPU_DEVICE_H
#define SIMDROP_GPU_DEVICE_H

#include "spec/compiler.h"

#if defined(__OPENCL_C_VERSION__) || defined(__OPENCL_VERSION__)

/* Work-groups of exactly one warp (the host launches them so): the lanes exchange their bits
 * through local memory between two barriers. No prefetch and no unrolling: a CPU's OpenCL
 * compiler (PoCL) turns each barrier region into a loop over the work-group's items and keeps
 * what lives across a barrier in per-item arrays, and 8 unrolled rounds of 2 barriers each took
 * it minutes per kernel on a 2-core VM; rolled and with one exchange per round it takes seconds.
 * A GPU's OpenCL compiler unrolls on its own where it pays. */
#define SIMDROP_DEV_FN static inline
#define SIMDROP_DEV_KERNEL __kernel
#define SIMDROP_DEV_GLOBAL __global
#define SIMDROP_DEV_ITEM_ID ((uint64_t)get_global_id(0))
#define SIMDROP_DEV_ITEMS ((uint64_t)get_global_size(0))
#define SIMDROP_DEV_SLOTS 1
#define SIMDROP_DEV_WARP_PARAM __local uint32_t *simdrop_warp
#define SIMDROP_DEV_WARP_ARG simdrop_warp
#define SIMDROP_DEV_WARP_DECL __local uint32_t simdrop_warp[64];
#define SIMDROP_DEV_WARP_OR2(lo, hi) simdrop_dev_warp_or2(&(lo), &(hi), simdrop_warp)
#define SIMDROP_DEV_PREFETCH 1
#define SIMDROP_DEV_UNROLL
#ifdef __ENDIAN_LITTLE__
#define SIMDROP_DEV_LITTLE_ENDIAN 1
#else
#define SIMDROP_DEV_LITTLE_ENDIAN 0
#endif

SIMDROP_DEV_FN void simdrop_dev_warp_or2(uint32_t *lo, uint32_t *hi, __local uint32_t *lanes)
{
    const size_t me = get_local_id(0);
    lanes[me] = *lo;
    lanes[32 + me] = *hi;
    barrier(CLK_LOCAL_MEM_FENCE);
    uint32_t all_lo = 0, all_hi = 0;
    for (int i = 0; i < 32; i++) {
        all_lo |= lanes[i];
        all_hi |= lanes[32 + i];
    }
    barrier(CLK_LOCAL_MEM_FENCE); /* everyone has read before the next call writes */
    *lo = all_lo;
    *hi = all_hi;
}

#elif defined(__CUDACC__)

/* A ballot: the lane's bit is its own v's, since v holds no other lane's bits. */
#define SIMDROP_DEV_FN static __device__ __forceinline__
#define SIMDROP_DEV_KERNEL __global__
#define SIMDROP_DEV_GLOBAL
#define SIMDROP_DEV_ITEM_ID ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x)
#define SIMDROP_DEV_ITEMS ((uint64_t)gridDim.x * blockDim.x)
#define SIMDROP_DEV_SLOTS 1
#define SIMDROP_DEV_WARP_PARAM int simdrop_warp
#define SIMDROP_DEV_WARP_ARG 0
#define SIMDROP_DEV_WARP_DECL
#define SIMDROP_DEV_WARP_OR2(lo, hi)                                                              \
    do {                                                                                          \
        (lo) = __ballot_sync(0xffffffffu, (lo) != 0);                                             \
        (hi) = __ballot_sync(0xffffffffu, (hi) != 0);                                             \
    } while (0)
#define SIMDROP_DEV_PREFETCH 8 /* 0.58x a copy without it, on an H200 (issue 14) */
#define SIMDROP_DEV_UNROLL _Pragma("unroll")
#define SIMDROP_DEV_LITTLE_ENDIAN 1

#else /* C: the host-C test of the kernels (tests/gpu/gpu_c.c) */

/* A launch of T threads is T calls of the kernel, thread simdrop_dev_item of simdrop_dev_items
 * in turn (one thread by default: the kernels loop over all their work). */
static uint64_t simdrop_dev_item = 0, simdrop_dev_items = 1;
#define SIMDROP_DEV_FN static inline
#define SIMDROP_DEV_KERNEL static
#define SIMDROP_DEV_GLOBAL
#define SIMDROP_DEV_ITEM_ID simdrop_dev_item
#define SIMDROP_DEV_ITEMS simdrop_dev_items
#define SIMDROP_DEV_SLOTS 32
#define SIMDROP_DEV_WARP_PARAM int simdrop_warp
#define SIMDROP_DEV_WARP_ARG 0
#define SIMDROP_DEV_WARP_DECL
#define SIMDROP_DEV_WARP_OR2(lo, hi) ((void)0) /* the thread holds every lane */
#define SIMDROP_DEV_PREFETCH 8 /* as CUDA: the host-C test runs CUDA's loop structure */
#define SIMDROP_DEV_UNROLL
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#define SIMDROP_DEV_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#else
#define SIMDROP_DEV_LITTLE_ENDIAN 0 /* unknown: byte stores, right everywhere */
#endif

#endif

/* Derived: the warp a thread runs and its first lane, for every environment alike. */
#define SIMDROP_DEV_WARP_THREADS (32 / SIMDROP_DEV_SLOTS) /* threads that share a warp */
#define SIMDROP_DEV_WARP_ID (SIMDROP_DEV_ITEM_ID / SIMDROP_DEV_WARP_THREADS)
#define SIMDROP_DEV_WARPS (SIMDROP_DEV_ITEMS / SIMDROP_DEV_WARP_THREADS)
#define SIMDROP_DEV_FIRST_LANE ((unsigned)(SIMDROP_DEV_ITEM_ID % SIMDROP_DEV_WARP_THREADS) * SIMDROP_DEV_SLOTS)

#endif /* SIMDROP_GPU_DEVICE_H */
