/* simdrop.h: public API of simdrop, fused SIMD dropout kernels with reproducible masks. */
#ifndef SIMDROP_H
#define SIMDROP_H

#include <stddef.h>
#include <stdint.h>

#define SIMDROP_VERSION_MAJOR 1
#define SIMDROP_VERSION_MINOR 0
#define SIMDROP_VERSION_PATCH 0
#define SIMDROP_VERSION_STRING "1.0.0"

/* Version of docs/MASK_SPEC.md that the masks follow. A change of any mask bit is a new version. */
#define SIMDROP_MASK_SPEC_VERSION 1

#if defined(_WIN32) && defined(SIMDROP_BUILDING_DLL)
#define SIMDROP_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(SIMDROP_STATIC)
#define SIMDROP_API __declspec(dllimport)
#elif defined(__GNUC__)
#define SIMDROP_API __attribute__((visibility("default")))
#else
#define SIMDROP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Every function that returns int returns SIMDROP_OK or one of these, and on error
 * writes nothing. When several apply, the first in this list is returned. */
enum simdrop_status {
    SIMDROP_OK = 0,
    SIMDROP_ENULL = -1,         /* a required pointer is NULL while n > 0 */
    SIMDROP_EPROB = -2,         /* p is NaN or outside [0, 1] (checked even when n == 0) */
    SIMDROP_ERANGE = -3,        /* offset + n > 2^64: the element indices would wrap */
    SIMDROP_ESIZE = -4,         /* n elements do not fit in the address space */
    SIMDROP_EOVERLAP = -5,      /* two buffers overlap in a way the function does not allow */
    SIMDROP_EISA_UNKNOWN = -6,  /* no kernel path has this name */
    SIMDROP_EISA_UNAVAILABLE = -7 /* the path exists but was not built or this CPU/OS lacks it */
};

/* Inverted dropout forward over x[0..n), elements offset .. offset+n-1 of the tensor:
 *   y[k] = x[k] * (keep ? s : 0.0f),  s = (float)(1 / (1 - p)), s = 0 when p == 1,
 * keep = keep(seed, offset + k, p) as docs/MASK_SPEC.md defines it (drop probability p, quantised
 * to a multiple of 2^-16). The mask of an element depends only on (seed, offset + k, p), so a tensor
 * split into several calls with matching offsets gives the bits of one call.
 * mask: if not NULL, receives (n + 7) / 8 bytes: bit k%8 of byte k/8 is the keep flag of element k;
 * bits past n are 0. y may equal x (in place); any other overlap between y, x and mask is an error. */
SIMDROP_API int simdrop_forward_f32(float *y, uint8_t *mask, const float *x, size_t n, double p,
                                    uint64_t seed, uint64_t offset);

/* Backward from a stored bitmask: dx[k] = dy[k] * (bit k of mask ? s : 0.0f), s as in forward.
 * dx may equal dy; mask must not overlap dx. */
SIMDROP_API int simdrop_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t n,
                                     double p);

/* Backward without a stored mask: regenerates it from (seed, offset). Bit for bit equal to
 * simdrop_backward_f32 with the mask simdrop_forward_f32 would have stored. dx may equal dy. */
SIMDROP_API int simdrop_backward_regen_f32(float *dx, const float *dy, size_t n, double p,
                                           uint64_t seed, uint64_t offset);

/* The bitmask alone, (n + 7) / 8 bytes, exactly as simdrop_forward_f32 would store it. */
SIMDROP_API int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset);

/* Bitmask <-> one byte per element. to_bytes writes 0 or 1; from_bytes reads any nonzero byte as
 * keep and clears the bits past n. The two buffers must not overlap. */
SIMDROP_API int simdrop_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n);
SIMDROP_API int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n);

/* Name of the kernel path in use ("scalar", "sse2", "avx2", "avx512", "neon", or an emulated
 * "<isa>-simde"), or "none" while a bad SIMDROP_ISA value leaves no path selected. */
SIMDROP_API const char *simdrop_isa(void);

/* Force a path by name; "auto" picks the best one this CPU supports. Returns
 * SIMDROP_EISA_UNKNOWN for a name no path has, SIMDROP_EISA_UNAVAILABLE for a path this build
 * or CPU lacks (the selection is then unchanged), SIMDROP_ENULL for NULL. The environment
 * variable SIMDROP_ISA is applied the same way at first use; while it holds a bad name, every
 * kernel call returns that error instead of silently falling back, until a successful
 * simdrop_set_isa. Safe to call from any thread; a call racing with it may run on either path
 * (all paths give identical bits). */
SIMDROP_API int simdrop_set_isa(const char *name);

/* Names of every path built into this library, NULL-terminated: native paths best first, then
 * scalar, then the SIMDe-emulated ones. simdrop_isa_supported() returns 1 if this CPU and OS can
 * run the named path, 0 if not, or SIMDROP_EISA_UNKNOWN / SIMDROP_ENULL. */
SIMDROP_API const char *const *simdrop_isa_list(void);
SIMDROP_API int simdrop_isa_supported(const char *name);

SIMDROP_API const char *simdrop_strerror(int status);
SIMDROP_API const char *simdrop_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDROP_H */
