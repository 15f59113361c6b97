/* simdrop.h: public API of simdrop, fused SIMD dropout kernels with reproducible masks. */
#ifndef SIMDROP_H
#define SIMDROP_H

#include <stddef.h>
#include <stdint.h>

#define SIMDROP_VERSION_MAJOR 1
#define SIMDROP_VERSION_MINOR 2
#define SIMDROP_VERSION_PATCH 0
#define SIMDROP_VERSION_STRING "1.2.0"
/* One number that orders versions: major * 10000 + minor * 100 + patch (10200 for 1.2.0), e.g.
 * #if SIMDROP_VERSION_NUMBER >= SIMDROP_VERSION_ENCODE(1, 2, 0). simdrop_version_number() is the
 * running library's (docs/API.md, "Errors and version", has the compatibility check). */
#define SIMDROP_VERSION_ENCODE(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define SIMDROP_VERSION_NUMBER                                                                    \
    SIMDROP_VERSION_ENCODE(SIMDROP_VERSION_MAJOR, SIMDROP_VERSION_MINOR, SIMDROP_VERSION_PATCH)

/* Version of docs/MASK_SPEC.md that the masks follow. A change of any mask bit is a new version. */
#define SIMDROP_MASK_SPEC_VERSION 1

#if defined(_WIN32) && defined(SIMDROP_BUILDING_DLL)
#define SIMDROP_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(SIMDROP_STATIC)
#define SIMDROP_API __declspec(dllimport)
#elif defined(__GNUC__) && !defined(SIMDROP_STATIC)
#define SIMDROP_API __attribute__((visibility("default")))
#else
#define SIMDROP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Every function below that returns a status (all int functions except
 * simdrop_isa_supported, simdrop_get_num_threads and simdrop_get_local_threading, which return
 * answers) returns SIMDROP_OK or one of these, and on error writes nothing (but after
 * SIMDROP_EPARALLEL, found once the call ran). When several apply, the first listed wins. */
enum simdrop_status {
    SIMDROP_OK = 0,
    SIMDROP_ENULL = -1,         /* a required pointer is NULL while the call has elements */
    SIMDROP_EPROB = -2,         /* p is NaN or outside [0, 1] (checked even with no elements) */
    SIMDROP_ERANGE = -3,        /* offset + count > 2^64: the global indices would wrap */
    SIMDROP_ESIZE = -4,         /* sizes overflow size_t or the address space, or group_len == 0 with groups > 0 */
    SIMDROP_EOVERLAP = -5,      /* two buffers overlap in a way the function does not allow */
    SIMDROP_EISA_UNKNOWN = -6,  /* no kernel path has this name */
    SIMDROP_EISA_UNAVAILABLE = -7, /* the path exists but was not built or this CPU/OS lacks it */
    SIMDROP_ENOMEM = -8,        /* scratch memory for a bias gradient (dbias) could not be had */
    SIMDROP_ETHREADS = -9,      /* bad thread count, or a thread could not be started */
    SIMDROP_EPARALLEL = -10,    /* the engine's pool (simdrop_set_parallel, or a thread's own)
                                   did not run every task exactly once: the outputs are
                                   unspecified */
    SIMDROP_EDEVICE = -11       /* the GPU libraries only (simdrop_cuda.h, simdrop_opencl.h): the
                                 * device runtime failed; their last-error text has its words */
};

/* ---- Element dropout --------------------------------------------------------------------------
 * Inverted dropout over x[0..n), which are elements offset .. offset+n-1 of a tensor:
 *   y[k] = x[k] * (keep ? s : 0),  keep = keep(seed, offset + k, p)  (docs/MASK_SPEC.md)
 * s = 1 / (1 - p) (0 when p == 1), rounded to float for f32/bf16/f16. f64 computes in double;
 * bf16 and f16 (uint16_t bit patterns) compute the product in float and round it once to the
 * 16-bit type. The mask of an element depends only on (seed, offset + k, p), never on the dtype,
 * path or thread count, so a tensor split into calls with matching offsets gives one call's bits.
 * mask: if not NULL, receives (n + 7) / 8 bytes: bit k%8 of byte k/8 is the keep flag of element
 * k; bits past n are 0. y may equal x (in place); any other overlap is an error.
 * backward: dx = dy * (bit k of mask ? s : 0). dx may equal dy; mask must not overlap dx.
 * backward_regen: the same without a stored mask: regenerated from (seed, offset), bit for bit
 * what backward with forward's mask gives.
 * seed and offset are adjacent uint64_t arguments (as are groups and group_len, size_t, and
 * rows and cols below): swapped, they compile without a warning and give other bits. Pass
 * named variables in the header's order (docs/API.md, "Conventions", shows a safe pattern). */
SIMDROP_API int simdrop_forward_f32(float *y, uint8_t *mask, const float *x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_f64(double *y, uint8_t *mask, const double *x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t n, double p);
SIMDROP_API int simdrop_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t n, double p);
SIMDROP_API int simdrop_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t n, double p);
SIMDROP_API int simdrop_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t n, double p);
SIMDROP_API int simdrop_backward_regen_f32(float *dx, const float *dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_f64(double *dx, const double *dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t n, double p, uint64_t seed, uint64_t offset);

/* ---- Group dropout: channel dropout (Dropout1d/2d/3d) and drop-path --------------------------
 * x holds `groups` groups of `group_len` consecutive elements; the whole group g is kept or
 * dropped by keep(seed, offset + g, p): offset counts groups, and the mask has one bit per group
 * ((groups + 7) / 8 bytes). Values, aliasing and backward as for element dropout of the dtype.
 * Dropout2d on (N, C, H, W) is groups = N*C, group_len = H*W; drop-path on (B, ...) is
 * groups = B. group_len == 1 is element dropout. groups comes first: it counts mask bits and
 * global indices, group_len the elements of one group. */
SIMDROP_API int simdrop_forward_groups_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_backward_groups_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_backward_groups_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_backward_groups_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_backward_groups_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);

/* ---- Alpha dropout (SELU networks): PyTorch's alpha_dropout and feature_alpha_dropout --------
 * Groups as above (group_len == 1: element alpha dropout; > 1: feature alpha dropout). With
 * alpha = 1.7580993408473766, a = 1 / sqrt((alpha^2 p + 1)(1 - p)) and the dtype's constants
 * A = a, AB = (alpha a) p, D = AB - alpha a: kept y = x * A + AB, dropped y = x * 0 + D (a NaN or
 * infinite x gives NaN). p == 0 copies x; p == 1 gives x * 0. bf16/f16 compute in float and
 * round once. backward: dx = dy * (keep ? A : 0). Aliasing as for element dropout. */
SIMDROP_API int simdrop_alpha_forward_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_alpha_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_alpha_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_alpha_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len, double p);
SIMDROP_API int simdrop_alpha_backward_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);

/* ---- Dropout without rescaling: drop-path with scale_by_keep=False ----------------------------
 * The groups, keep decisions, offset and mask of group dropout above (the same bits), with the
 * factor 1 instead of s: y = x * (keep ? 1 : 0), dx = dy * (bit ? 1 : 0), in the dtype as for
 * element dropout (a kept x comes back unchanged, a signalling NaN quiet). group_len == 1 masks
 * elements. Backward needs no p. Aliasing and errors as for group dropout (backward: no
 * SIMDROP_EPROB). */
SIMDROP_API int simdrop_unscaled_forward_f32(float *y, uint8_t *mask, const float *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_forward_f64(double *y, uint8_t *mask, const double *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_forward_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_forward_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t groups, size_t group_len);
SIMDROP_API int simdrop_unscaled_backward_f64(double *dx, const double *dy, const uint8_t *mask, size_t groups, size_t group_len);
SIMDROP_API int simdrop_unscaled_backward_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len);
SIMDROP_API int simdrop_unscaled_backward_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t groups, size_t group_len);
SIMDROP_API int simdrop_unscaled_backward_regen_f32(float *dx, const float *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_backward_regen_f64(double *dx, const double *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_backward_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_unscaled_backward_regen_f16(uint16_t *dx, const uint16_t *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset);
/* ---- Channels-last group dropout: Dropout1d/2d/3d and feature alpha dropout on NHWC ---------
 * x holds `samples` samples of `spatial` positions of `channels` interleaved channels (NHWC,
 * NDHWC, NLC: element (s, i, c) at (s * spatial + i) * channels + c). Channel c of sample s is
 * kept or dropped by keep(seed, offset + s * channels + c, p): exactly the bit of group
 * s * channels + c of the groups functions above on the same tensor in NCHW order (groups =
 * samples * channels, group_len = spatial), so a tensor keeps its mask and values when its
 * memory format changes. The mask has one bit per (sample, channel), ((samples * channels + 7)
 * / 8 bytes); offset counts them. Values, aliasing and backward as for the groups functions
 * (alpha_*: as alpha dropout). spatial == 0 with samples * channels > 0 is SIMDROP_ESIZE, as
 * group_len == 0 is. */
SIMDROP_API int simdrop_forward_groups_nhwc_f32(float *y, uint8_t *mask, const float *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_nhwc_f64(double *y, uint8_t *mask, const double *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_nhwc_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_groups_nhwc_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_nhwc_f32(float *dx, const float *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_backward_groups_nhwc_f64(double *dx, const double *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_backward_groups_nhwc_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_backward_groups_nhwc_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_backward_groups_nhwc_regen_f32(float *dx, const float *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_nhwc_regen_f64(double *dx, const double *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_nhwc_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_groups_nhwc_regen_f16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_nhwc_f32(float *y, uint8_t *mask, const float *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_nhwc_f64(double *y, uint8_t *mask, const double *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_nhwc_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_forward_nhwc_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_nhwc_f32(float *dx, const float *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_alpha_backward_nhwc_f64(double *dx, const double *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_alpha_backward_nhwc_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_alpha_backward_nhwc_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p);
SIMDROP_API int simdrop_alpha_backward_nhwc_regen_f32(float *dx, const float *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_nhwc_regen_f64(double *dx, const double *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_nhwc_regen_bf16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_alpha_backward_nhwc_regen_f16(uint16_t *dx, const uint16_t *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset);

/* ---- Fused bias + dropout + residual: out = residual + dropout(x + bias) ----------------------
 * Over a row-major rows x cols tensor; element k = r*cols + c is global element offset + k and
 * bias[c] is broadcast along the rows. f32/f64 round every step in the dtype (t = x + b;
 * u = t * (keep ? s : 0); out = r + u), PyTorch's eager result; bf16/f16 run the chain in float
 * and round once. bias and residual may each be NULL (skipped: with both NULL this is element
 * dropout). When an addition takes part, every NaN result is the canonical quiet NaN.
 * out may equal x or residual exactly; bias must not overlap out; mask as in element dropout.
 * backward: dx = dout * (keep ? s : 0), and, unless dbias is NULL, dbias[c] = the sum over rows
 * of dx[r][c] in float (double for f64) in the fixed order of docs/MASK_SPEC.md section 4.5
 * (the same on every path and thread count; a NaN sum is the canonical NaN). rows == 0 sets
 * dbias to +0. The residual's gradient is dout itself. dx may equal dout; dbias must not
 * overlap anything. A is float, double for f64. */
SIMDROP_API int simdrop_bias_dropout_add_f32(float *out, uint8_t *mask, const float *x, const float *bias, const float *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_f64(double *out, uint8_t *mask, const double *x, const double *bias, const double *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_bf16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_f16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_f32(float *dx, float *dbias, const float *dout, const uint8_t *mask, size_t rows, size_t cols, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_f64(double *dx, double *dbias, const double *dout, const uint8_t *mask, size_t rows, size_t cols, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, size_t rows, size_t cols, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, size_t rows, size_t cols, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_f32(float *dx, float *dbias, const float *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_f64(double *dx, double *dbias, const double *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_f16(uint16_t *dx, float *dbias, const uint16_t *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset);

/* ---- Blocks of a global tensor (since 1.2; docs/SHARDING.md) ----------------------------------
 * A block is a rows x cols window of a row-major global tensor with global_cols columns, whose
 * element (0, 0) is the global tensor's (row0, col0). Element (r, c) of the block is global
 * element offset + (row0 + r) * global_cols + col0 + c: its keep flag and value are those of one
 * call over the whole global tensor, bit for bit (a tensor- or sequence-parallel shard gets the
 * unsharded masks). In memory, element (r, c) is x[r * ldx + c] and y[r * ldy + c]; the backward
 * functions read dy / dout with ldx and write dx with ldy, and the fused op's residual has the
 * output's stride ldy (out may be residual). Nothing outside the block's elements is written:
 * the gaps between rows (ld > cols) stay as they were. mask holds rows * cols bits in block
 * row-major order (bit k is element (k / cols, k % cols)), laid out as element dropout's; the
 * backward functions read such a mask. bias and dbias cover the block's cols columns.
 * Buffers are compared by their extents ((rows - 1) * ld + cols elements): y may be exactly x
 * (same start and extent: ldx == ldy, or one row), out exactly residual; any other overlap is
 * SIMDROP_EOVERLAP.
 * Errors as the contiguous functions, plus SIMDROP_ENULL for b == NULL, SIMDROP_ERANGE when the
 * block's last global index passes 2^64 - 1, and SIMDROP_ESIZE for col0 + cols > global_cols,
 * ldx or ldy < cols, or (with granule > 0) row0 not a multiple of granule; these geometry checks
 * apply to empty blocks too. */
typedef struct simdrop_block {
    size_t rows, cols;  /* the block's shape */
    size_t row0, col0;  /* its first element's coordinates in the global row-major tensor */
    size_t global_cols; /* the global tensor's row length */
    size_t ldx, ldy;    /* row strides of the input and the output, in elements (>= cols) */
} simdrop_block;

SIMDROP_API int simdrop_forward_block_f32(float *y, uint8_t *mask, const float *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_block_f64(double *y, uint8_t *mask, const double *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_block_bf16(uint16_t *y, uint8_t *mask, const uint16_t *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_forward_block_f16(uint16_t *y, uint8_t *mask, const uint16_t *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_block_f32(float *dx, const float *dy, const uint8_t *mask, const simdrop_block *b, double p);
SIMDROP_API int simdrop_backward_block_f64(double *dx, const double *dy, const uint8_t *mask, const simdrop_block *b, double p);
SIMDROP_API int simdrop_backward_block_bf16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, const simdrop_block *b, double p);
SIMDROP_API int simdrop_backward_block_f16(uint16_t *dx, const uint16_t *dy, const uint8_t *mask, const simdrop_block *b, double p);
SIMDROP_API int simdrop_backward_regen_block_f32(float *dx, const float *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_block_f64(double *dx, const double *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_block_bf16(uint16_t *dx, const uint16_t *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_backward_regen_block_f16(uint16_t *dx, const uint16_t *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);

/* The fused op on a block: bias[c] and dbias[c] are the block's column c (global column col0 + c).
 * backward's bias gradient, unless dbias is NULL:
 *   granule == 0: dbias[c] (cols values) sums the block's rows in docs/MASK_SPEC.md 4.5's order,
 *     as the contiguous backward over these rows does: a column shard (all rows) gets the
 *     unsharded dbias of its columns bit for bit.
 *   granule > 0: row-split invariant partial sums (MASK_SPEC.md 4.7). The global rows form
 *     granules of `granule` rows; dbias receives one row of cols partial sums per granule the
 *     block covers, ceil(rows / granule) rows (row0 must be a multiple of granule). Row shards
 *     cut at granule boundaries, their partials gathered in global row order and folded by
 *     simdrop_dbias_reduce, give the bits of the same reduction over one unsharded call. */
SIMDROP_API int simdrop_bias_dropout_add_block_f32(float *out, uint8_t *mask, const float *x, const float *bias, const float *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_block_f64(double *out, uint8_t *mask, const double *x, const double *bias, const double *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_block_bf16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_block_f16(uint16_t *out, uint8_t *mask, const uint16_t *x, const uint16_t *bias, const uint16_t *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_block_f32(float *dx, float *dbias, const float *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_block_f64(double *dx, double *dbias, const double *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_block_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_block_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_block_f32(float *dx, float *dbias, const float *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_block_f64(double *dx, double *dbias, const double *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_block_bf16(uint16_t *dx, float *dbias, const uint16_t *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_bias_dropout_add_backward_regen_block_f16(uint16_t *dx, float *dbias, const uint16_t *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset);

/* The fixed-order reduction of granule partial sums (MASK_SPEC.md 4.7): dbias[c] = +0, then
 * dbias[c] += partials[g * cols + c] for g = 0 .. granules - 1 in order; a NaN result is the
 * canonical NaN. f32 serves bf16 and f16 too (their partials are float). granules == 0 sets
 * dbias to +0. partials must not overlap dbias. */
SIMDROP_API int simdrop_dbias_reduce_f32(float *dbias, const float *partials, size_t granules, size_t cols);
SIMDROP_API int simdrop_dbias_reduce_f64(double *dbias, const double *partials, size_t granules, size_t cols);

/* ---- Seeds per dropout site and step (since 1.2; MASK_SPEC.md section 8) ------------------------
 * Masks depend on (seed, global index) only, so two dropout sites that share a seed share bits
 * (an element mask at (seed 7, offset 0) is a channel mask at the same pair). The rule: each
 * site and step gets its own seed, seed = simdrop_site_seed(base, simdrop_site_key(name), step),
 * and offsets number the site's own global tensor. simdrop_site_key hashes a site's stable name
 * (e.g. the module's qualified name, "layers.3.mlp.dropout"; NULL reads as ""); for a fixed base
 * and key, distinct steps never give the same seed. Pure functions of their arguments. */
SIMDROP_API uint64_t simdrop_site_key(const char *name);
SIMDROP_API uint64_t simdrop_site_seed(uint64_t base, uint64_t site_key, uint64_t step);

/* ---- Masks ------------------------------------------------------------------------------------
 * simdrop_mask: the bitmask alone, (n + 7) / 8 bytes, exactly as the forward functions store it.
 * to_bytes writes 0 or 1 per element; from_bytes reads any nonzero byte as keep and clears the
 * bits past n. The two buffers must not overlap. */
SIMDROP_API int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset);
SIMDROP_API int simdrop_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n);
SIMDROP_API int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n);

/* ---- Threads ----------------------------------------------------------------------------------
 * Every function above but the two mask conversions (which always run on the caller) and the
 * site seed functions splits large calls across threads at generator block boundaries (block
 * calls: at rows) and runs small ones on the caller; the results are bit-identical for every
 * thread count, whatever floating-point environment any thread had: every task runs in the
 * caller's (rounding mode, flush-to-zero; the thread's own is restored after it). The default
 * is 1 thread (no thread is ever started unless asked for): simdrop_set_num_threads(n),
 * 1 <= n <= 1024, or the environment variable SIMDROP_NUM_THREADS read at first use (a bad value
 * makes every call fail with SIMDROP_ETHREADS, like a bad SIMDROP_ISA). A task moves at least
 * 2 MiB (read plus written): simdrop_set_min_task_bytes (0 restores that). The built-in pool
 * starts its threads lazily and parks them between calls; several engine threads may call at
 * once.
 * simdrop_set_parallel(run, ctx) hands every parallel call to the engine's own pool instead
 * (NULL restores the built-in one): `run` must call task(arg, i) exactly once for every i in
 * [0, ntasks), in any order and on any threads (the caller's included), and return only after
 * all have finished. The number of tasks is at most the thread count. simdrop counts them: an
 * index out of range or repeated is not run, and a call whose tasks did not all run exactly
 * once returns SIMDROP_EPARALLEL (what it wrote is unspecified). A call made on a thread that
 * is inside a parallel call (a task, or the caller while in `run`, where a work-stealing pool
 * runs other work) runs entirely on that thread: `run` is never entered again from within
 * itself, so it may hold a plain mutex.
 * These settings are process-wide. simdrop_set_local_threading(t) gives the calling thread its
 * own instead (copied; NULL returns the thread to the process-wide ones): an engine sets it on
 * the threads it calls from, so two engines in one process keep their own pools, thread counts
 * and task sizes. simdrop_get_local_threading(t) stores what calls on this thread use and
 * returns 1 if that is the thread's own, 0 if the process-wide settings. */
typedef void (*simdrop_parallel_fn)(void *ctx, size_t ntasks, void (*task)(void *arg, size_t i),
                                    void *arg);
SIMDROP_API int simdrop_set_num_threads(int n);
SIMDROP_API int simdrop_get_num_threads(void); /* the process-wide count, or SIMDROP_ETHREADS */
SIMDROP_API int simdrop_set_parallel(simdrop_parallel_fn run, void *ctx);
SIMDROP_API int simdrop_set_min_task_bytes(size_t bytes);

typedef struct simdrop_threading {
    int num_threads;          /* threads per call, the caller included: 1 .. 1024 */
    simdrop_parallel_fn run;  /* the engine's pool, or NULL for the built-in one */
    void *ctx;                /* run's first argument */
    size_t min_task_bytes;    /* bytes a task moves at least; 0: the default, 2 MiB */
} simdrop_threading;
SIMDROP_API int simdrop_set_local_threading(const simdrop_threading *t);
SIMDROP_API int simdrop_get_local_threading(simdrop_threading *t);

/* ---- Kernel paths -----------------------------------------------------------------------------
 * simdrop_isa: name of the path in use, one of simdrop_isa_list() ("scalar", an instruction set
 * such as "avx2", or an emulated "<isa>-simde"), or "none" while a bad SIMDROP_ISA value leaves
 * no path selected.
 * simdrop_set_isa: force a path by name; "auto" (or "") picks the best one this CPU supports
 * (on an Intel CPU whose best path is AVX-512, calls of fewer than 16384 elements run on the best
 * path without it: 512-bit code run seldom costs a frequency change per call). SIMDROP_EISA_UNKNOWN for a name no path has, SIMDROP_EISA_UNAVAILABLE for a path this build or
 * CPU lacks (the selection is then unchanged), SIMDROP_ENULL for NULL. SIMDROP_ISA is applied
 * the same way at first use; while it holds a bad name every call returns that error until a
 * successful simdrop_set_isa. A call racing with it may run on either path (the bits agree).
 * simdrop_isa_list: every path built in, NULL-terminated: native paths best first, scalar, then
 * the SIMDe-emulated ones. simdrop_isa_supported: 1 if this CPU and OS can run the path, 0 if
 * not, or SIMDROP_EISA_UNKNOWN / SIMDROP_ENULL. */
SIMDROP_API const char *simdrop_isa(void);
SIMDROP_API int simdrop_set_isa(const char *name);
SIMDROP_API const char *const *simdrop_isa_list(void);
SIMDROP_API int simdrop_isa_supported(const char *name);

/* ---- Errors and version ----------------------------------------------------------------------
 * simdrop_strerror: a static text for a status code ("unknown status code" for others).
 * simdrop_last_error: the calling thread's description of its latest failed call among the
 * functions above that compute or convert (not the settings functions), naming the function,
 * the argument(s) and their values and ending with the code's name, e.g.
 * "simdrop_forward_f32: y [0x7f3a5c001000, +400 bytes) and mask [0x7f3a5c00118c, +13 bytes)
 * overlap: mask is written and may share no byte with another buffer (SIMDROP_EOVERLAP)". Only a failing call writes it (a
 * successful one costs nothing and leaves it as it was): read it right after a call returned
 * an error. "" before this thread's first failure; never NULL. Each thread has its own; the
 * pointer is valid in this thread until the thread ends, its text until its next failed call.
 * simdrop_version / simdrop_version_number: the running library's version, "1.2.0" and 10200. */
SIMDROP_API const char *simdrop_strerror(int status);
SIMDROP_API const char *simdrop_last_error(void);
SIMDROP_API const char *simdrop_version(void);
SIMDROP_API unsigned simdrop_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDROP_H */
