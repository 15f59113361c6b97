/* simdrop_opencl.h: simdrop on OpenCL devices: every operation and dtype of simdrop.h on cl_mem buffers, bit for bit the CPU library's results. */
#ifndef SIMDROP_OPENCL_H
#define SIMDROP_OPENCL_H

/* libsimdrop_opencl (docs/GPU.md). Each function is the CPU function of the same name in
 * include/simdrop.h with the prefix simdrop_cl_, a simdrop_cl object and a command queue first,
 * and cl_mem buffers in place of pointers; the other arguments, what it computes (MASK_SPEC.md:
 * the same masks and, NaNs included, the same bits as the CPU library of this machine), the
 * status codes and the order of the argument checks are the CPU function's.
 *   - A buffer is a cl_mem of the simdrop_cl's context, or NULL where the CPU function takes a
 *     NULL pointer. A sub-buffer (clCreateSubBuffer) is the CPU function's pointer into an
 *     array: two buffers overlap when they share bytes of one parent buffer, and a buffer
 *     smaller than the call needs is SIMDROP_ESIZE (the CPU library cannot see that).
 *   - The call is enqueued on `queue` (of the same context and device) and returns without
 *     waiting: clFinish(queue), or an event of a later command, tells when the results are
 *     there. On an in-order queue (the default) it runs after the commands enqueued before it;
 *     on an out-of-order queue order it as any command, with a barrier or a marker.
 *   - Argument errors are returned before anything is enqueued, and nothing is written.
 *     SIMDROP_EDEVICE: an OpenCL call failed (simdrop_cl_last_error() has its name and code);
 *     SIMDROP_ENOMEM: the scratch buffer of a group dropout without mask, a group regeneration,
 *     a block whose rows are apart or a bias gradient could not be created (the keep bits of
 *     such a block's whole global index range: an eighth of a byte per index). A call that
 *     fails after its first kernel was
 *     enqueued may have written part of its outputs.
 *   - A simdrop_cl may be used by several threads at once. */

#include <stddef.h>
#include <stdint.h>

#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif

#include "simdrop.h" /* the status codes and version macros */

#if defined(__GNUC__)
#define SIMDROP_CL_API __attribute__((visibility("default")))
#else
#define SIMDROP_CL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The program ---------------------------------------------------------------------------------
 * simdrop_cl_create: builds simdrop's kernels (their source is inside the library) for `device`
 * in `context`, once: keep the object for the context's life. Returns NULL on failure, with
 * *err (unless err is NULL) set to SIMDROP_ENULL (context or device NULL) or SIMDROP_EDEVICE: an
 * OpenCL call or the build failed, or the device lacks what the kernels need (double precision,
 * cl_khr_fp64; denormals in single precision; the host's byte order; work-groups of 32 work
 * items); simdrop_cl_last_error() says which, with the start of the build log. Else *err is
 * SIMDROP_OK. The context and device are retained until simdrop_cl_destroy. */
typedef struct simdrop_cl simdrop_cl;
SIMDROP_CL_API simdrop_cl *simdrop_cl_create(cl_context context, cl_device_id device, int *err);
SIMDROP_CL_API void simdrop_cl_destroy(simdrop_cl *s); /* NULL is a no-op */

/* ---- Element dropout (simdrop.h) ---------------------------------------------------------------- */
SIMDROP_CL_API int simdrop_cl_forward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t n, double p);
SIMDROP_CL_API int simdrop_cl_backward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t n, double p);
SIMDROP_CL_API int simdrop_cl_backward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t n, double p);
SIMDROP_CL_API int simdrop_cl_backward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t n, double p);
SIMDROP_CL_API int simdrop_cl_backward_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t n, double p, uint64_t seed, uint64_t offset);

/* ---- Group dropout ------------------------------------------------------------------------------ */
SIMDROP_CL_API int simdrop_cl_forward_groups_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);

/* ---- Alpha dropout ------------------------------------------------------------------------------ */
SIMDROP_CL_API int simdrop_cl_alpha_forward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);

/* ---- Fused bias + dropout + residual (dbias: float, double for f64) ----------------------------- */
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_f32(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_f64(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_f16(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, size_t rows, size_t cols, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, size_t rows, size_t cols, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, size_t rows, size_t cols, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, size_t rows, size_t cols, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);

/* ---- Dropout without rescaling (drop-path with scale_by_keep=False) ---------------------------- */
SIMDROP_CL_API int simdrop_cl_unscaled_forward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_forward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_forward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_forward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t groups, size_t group_len);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_unscaled_backward_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);

/* ---- Channels-last group and alpha dropout ----------------------------------------------------- */
SIMDROP_CL_API int simdrop_cl_forward_groups_nhwc_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_nhwc_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_nhwc_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_groups_nhwc_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_groups_nhwc_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_nhwc_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_nhwc_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_nhwc_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_forward_nhwc_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_regen_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_regen_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_regen_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_alpha_backward_nhwc_regen_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);

/* ---- Blocks of a global tensor (the block is a host struct; dbias: float, double for f64) ------ */
SIMDROP_CL_API int simdrop_cl_forward_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_forward_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem y, cl_mem mask, cl_mem x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, const simdrop_block *b, double p);
SIMDROP_CL_API int simdrop_cl_backward_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, const simdrop_block *b, double p);
SIMDROP_CL_API int simdrop_cl_backward_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, const simdrop_block *b, double p);
SIMDROP_CL_API int simdrop_cl_backward_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, cl_mem mask, const simdrop_block *b, double p);
SIMDROP_CL_API int simdrop_cl_backward_regen_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_backward_regen_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem out, cl_mem mask, cl_mem x, cl_mem bias, cl_mem residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, cl_mem mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_block_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_block_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_block_bf16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_bias_dropout_add_backward_regen_block_f16(simdrop_cl *s, cl_command_queue queue, cl_mem dx, cl_mem dbias, cl_mem dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);

/* ---- The fixed-order reduction of granule partial sums ----------------------------------------- */
SIMDROP_CL_API int simdrop_cl_dbias_reduce_f32(simdrop_cl *s, cl_command_queue queue, cl_mem dbias, cl_mem partials, size_t granules, size_t cols);
SIMDROP_CL_API int simdrop_cl_dbias_reduce_f64(simdrop_cl *s, cl_command_queue queue, cl_mem dbias, cl_mem partials, size_t granules, size_t cols);

/* ---- Masks -------------------------------------------------------------------------------------- */
SIMDROP_CL_API int simdrop_cl_mask(simdrop_cl *s, cl_command_queue queue, cl_mem mask, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_CL_API int simdrop_cl_mask_to_bytes(simdrop_cl *s, cl_command_queue queue, cl_mem bytes, cl_mem mask, size_t n);
SIMDROP_CL_API int simdrop_cl_mask_from_bytes(simdrop_cl *s, cl_command_queue queue, cl_mem mask, cl_mem bytes, size_t n);

/* ---- Errors and version ---------------------------------------------------------------------------
 * simdrop_cl_strerror: simdrop_strerror's text. simdrop_cl_last_error: the calling thread's
 * description of its latest failed simdrop_cl_* call, as simdrop_last_error() for the CPU
 * library (argument errors in the same words under the prefix simdrop_cl_), and for
 * SIMDROP_EDEVICE the OpenCL function and its error, e.g. "simdrop_cl_forward_f32:
 * clEnqueueNDRangeKernel(simdrop_k_gen_scale_f32): CL_INVALID_CONTEXT (-34) (SIMDROP_EDEVICE)".
 * "" before the first failure; never NULL. simdrop_cl_version: the library's version, "1.2.0". */
SIMDROP_CL_API const char *simdrop_cl_strerror(int status);
SIMDROP_CL_API const char *simdrop_cl_last_error(void);
SIMDROP_CL_API const char *simdrop_cl_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDROP_OPENCL_H */
