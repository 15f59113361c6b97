/* kernel.h: the internal interface every kernel path implements, and the table of paths. */
#ifndef SIMDROP_KERNEL_H
#define SIMDROP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* A cursor into a bitmask being written: `nbits` (0..7) bits of the byte at `p` are pending in
 * `acc`. Keep words of whole rounds are appended 32 bits at a time even when the call started
 * mid-byte, so kernels never read back what they wrote. */
typedef struct simdrop_bitw {
    uint8_t *p;
    uint32_t acc;
    unsigned nbits;
} simdrop_bitw;

static inline void simdrop_bitw_put32(uint8_t **p, uint32_t *acc, unsigned nbits, uint32_t word)
{
    const uint64_t w = (uint64_t)*acc | (uint64_t)word << nbits;
    simdrop_store_le32(*p, (uint32_t)w);
    *p += 4;
    *acc = (uint32_t)(w >> 32);
}

static inline void simdrop_bitw_put_bit(simdrop_bitw *bw, uint32_t bit)
{
    bw->acc |= bit << bw->nbits;
    if (++bw->nbits == 8) {
        *bw->p++ = (uint8_t)bw->acc;
        bw->acc = 0;
        bw->nbits = 0;
    }
}

static inline void simdrop_bitw_flush(simdrop_bitw *bw)
{
    if (bw->nbits)
        *bw->p = (uint8_t)bw->acc;   /* bits past the end are 0 */
}

/* One kernel path. All functions work on whole rounds (32 elements); the caller handles partial
 * rounds with the scalar rules of spec.h, seeds each block and keeps the lane state between calls.
 *   skip:      advance the lanes by `rounds` rounds.
 *   forward:   y = x * f for 32 * rounds elements; appends the keep words to *bw unless bw is NULL.
 *              x == y is allowed. `stream` asks for non-temporal stores where the ISA has them
 *              (the kernel uses them only when y is suitably aligned, and fences before returning).
 *   mask:      appends the keep words of `rounds` rounds to *bw.
 *   backward:  dx = dy * f for 32 * groups elements, f from the bitmask words at `mask`. */
typedef struct simdrop_kernels {
    const char *name;
    void (*skip)(simdrop_lanes *st, size_t rounds);
    void (*forward)(float *y, const float *x, simdrop_bitw *bw, simdrop_lanes *st, size_t rounds,
                    uint32_t threshold, float scale, int stream);
    void (*mask)(simdrop_bitw *bw, simdrop_lanes *st, size_t rounds, uint32_t threshold);
    void (*backward)(float *dx, const float *dy, const uint8_t *mask, size_t groups, float scale,
                     int stream);
} simdrop_kernels;

/* Every path's table. Paths that are not built in this configuration are still declared; the
 * dispatcher learns from SIMDROP_HAVE_* which ones exist. */
extern const simdrop_kernels simdrop_kernels_scalar;
extern const simdrop_kernels simdrop_kernels_sse2;
extern const simdrop_kernels simdrop_kernels_avx2;
extern const simdrop_kernels simdrop_kernels_avx512;
extern const simdrop_kernels simdrop_kernels_neon;
extern const simdrop_kernels simdrop_kernels_sse2_simde;
extern const simdrop_kernels simdrop_kernels_avx2_simde;
extern const simdrop_kernels simdrop_kernels_avx512_simde;
extern const simdrop_kernels simdrop_kernels_neon_simde;

#endif /* SIMDROP_KERNEL_H */
