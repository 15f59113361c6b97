/* simdrop_cuda.h: simdrop on NVIDIA GPUs: every operation and dtype of simdrop.h on device memory, asynchronous on a CUDA stream, bit for bit the CPU library's results. */
#ifndef SIMDROP_CUDA_H
#define SIMDROP_CUDA_H

/* libsimdrop_cuda (docs/GPU.md). Each function is the CPU function of the same name in
 * include/simdrop.h with the prefix simdrop_cuda_ and a CUDA stream last; the other arguments,
 * what it computes (MASK_SPEC.md: the same masks and, NaNs included, the same bits as the CPU
 * library of this machine), the status codes and the order of the argument checks are the CPU
 * function's.
 *   - Every buffer is device memory of the current device (cudaMalloc, cudaMallocAsync,
 *     managed memory), or NULL where the CPU function takes NULL; any alignment of the dtype.
 *   - The call is enqueued on `stream` (0: the legacy default stream) and returns without
 *     waiting: cudaStreamSynchronize(stream), or an event recorded after it, tells when the
 *     results are there.
 *   - Argument errors are returned before anything is launched, and nothing is written.
 *     SIMDROP_EDEVICE: a CUDA call failed (simdrop_cuda_last_error() has CUDA's name and text
 *     of the error); SIMDROP_ENOMEM: the scratch memory of a group dropout without mask, a
 *     group regeneration, a block whose rows are apart (the keep bits of its whole global index
 *     range) or a bias gradient could not be had (cudaMallocAsync). A call that
 *     fails after its first kernel was launched may have written part of its outputs.
 *   - Thread-safe: the library keeps no state but the calling thread's last error.
 * Not verified on a GPU yet: see docs/GPU.md for what was checked where. */

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h> /* cudaStream_t */

#include "simdrop.h" /* the status codes and version macros */

#if defined(__GNUC__)
#define SIMDROP_CUDA_API __attribute__((visibility("default")))
#else
#define SIMDROP_CUDA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Element dropout (simdrop.h) ---------------------------------------------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_forward_f32(float *y, uint8_t *mask, const float *x, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_f64(double *y, uint8_t *mask, const double *x, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t n, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t n, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t n, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t n, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_f32(float *dx, const float *dy, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_f64(double *dx, const double *dy, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Group dropout ------------------------------------------------------------------------------ */
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Alpha dropout ------------------------------------------------------------------------------ */
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Fused bias + dropout + residual (dbias: float, double for f64) ----------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_f32(float *out, uint8_t *mask, const float *x, const float *bias, const float *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_f64(double *out, uint8_t *mask, const double *x, const double *bias, const double *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_bf16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_f16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_f32(float *dx, float *dbias, const float *dout, const uint8_t *mask, size_t rows, size_t cols, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_f64(double *dx, double *dbias, const double *dout, const uint8_t *mask, size_t rows, size_t cols, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, size_t rows, size_t cols, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, size_t rows, size_t cols, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_f32(float *dx, float *dbias, const float *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_f64(double *dx, double *dbias, const double *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_f16(uint16_t *dx, float *dbias, const uint16_t *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Dropout without rescaling (drop-path with scale_by_keep=False) ---------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_unscaled_forward_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_forward_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_unscaled_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Channels-last group and alpha dropout ----------------------------------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_nhwc_f32(float *y, uint8_t *mask, const float *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_nhwc_f64(double *y, uint8_t *mask, const double *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_nhwc_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_groups_nhwc_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_f32(float *dx, const float *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_f64(double *dx, const double *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_regen_f32(float *dx, const float *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_regen_f64(double *dx, const double *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_groups_nhwc_regen_f16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_nhwc_f32(float *y, uint8_t *mask, const float *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_nhwc_f64(double *y, uint8_t *mask, const double *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_nhwc_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_forward_nhwc_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_f32(float *dx, const float *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_f64(double *dx, const double *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_regen_f32(float *dx, const float *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_regen_f64(double *dx, const double *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_alpha_backward_nhwc_regen_f16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- Blocks of a global tensor (the block is a host struct; dbias: float, double for f64) ------ */
SIMDROP_CUDA_API int simdrop_cuda_forward_block_f32(float *y, uint8_t *mask, const float *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_block_f64(double *y, uint8_t *mask, const double *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_block_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_forward_block_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_block_f32(float *dx, const float *dy, const uint8_t *mask, const simdrop_block *b, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_block_f64(double *dx, const double *dy, const uint8_t *mask, const simdrop_block *b, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_block_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, const simdrop_block *b, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_block_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, const simdrop_block *b, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_block_f32(float *dx, const float *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_block_f64(double *dx, const double *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_block_bf16(uint16_t *dx, const uint16_t *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_backward_regen_block_f16(uint16_t *dx, const uint16_t *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_block_f32(float *out, uint8_t *mask, const float *x, const float *bias, const float *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_block_f64(double *out, uint8_t *mask, const double *x, const double *bias, const double *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_block_bf16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_block_f16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_block_f32(float *dx, float *dbias, const float *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_block_f64(double *dx, double *dbias, const double *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_block_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_block_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_block_f32(float *dx, float *dbias, const float *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_block_f64(double *dx, double *dbias, const double *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_block_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_bias_dropout_add_backward_regen_block_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);

/* ---- The fixed-order reduction of granule partial sums ----------------------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_dbias_reduce_f32(float *dbias, const float *partials, size_t granules, size_t cols, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_dbias_reduce_f64(double *dbias, const double *partials, size_t granules, size_t cols, cudaStream_t stream);

/* ---- Masks -------------------------------------------------------------------------------------- */
SIMDROP_CUDA_API int simdrop_cuda_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n, cudaStream_t stream);
SIMDROP_CUDA_API int simdrop_cuda_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n, cudaStream_t stream);
/* ---- Errors and version ---------------------------------------------------------------------------
 * simdrop_cuda_strerror: simdrop_strerror's text. simdrop_cuda_last_error: the calling thread's
 * description of its latest failed simdrop_cuda_* call, as simdrop_last_error() for the CPU
 * library (argument errors in the same words under the prefix simdrop_cuda_), and for
 * SIMDROP_EDEVICE the CUDA call and its error, e.g. "simdrop_cuda_forward_f32:
 * cudaLaunchKernel(simdrop_k_gen_scale_f32): cudaErrorInvalidResourceHandle: invalid resource
 * handle (SIMDROP_EDEVICE)". "" before the first failure; never NULL. simdrop_cuda_version: the
 * library's version, "1.2.0". */
SIMDROP_CUDA_API const char *simdrop_cuda_strerror(int status);
SIMDROP_CUDA_API const char *simdrop_cuda_last_error(void);
SIMDROP_CUDA_API const char *simdrop_cuda_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDROP_CUDA_H */
