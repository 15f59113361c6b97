/* scalar.c: the reference kernels, a direct transcription of docs/MASK_SPEC.md; they define the bits. */
#include "kernel.h"

static void scalar_skip(simdrop_lanes *st, size_t rounds)
{
    uint32_t out[SIMDROP_LANES];
    while (rounds--)
        simdrop_round(st, out);
}

static uint32_t keep_word(const uint32_t out[SIMDROP_LANES], uint32_t threshold)
{
    uint32_t word = 0;
    for (unsigned q = 0; q < SIMDROP_ROUND; q++)
        word |= (uint32_t)(simdrop_round_bits16(out, q) >= threshold) << q;
    return word;
}

static void scalar_forward(float *y, const float *x, simdrop_bitw *bw, simdrop_lanes *st,
                           size_t rounds, uint32_t threshold, float scale, int stream)
{
    (void)stream;
    uint32_t out[SIMDROP_LANES];
    for (size_t r = 0; r < rounds; r++, x += SIMDROP_ROUND, y += SIMDROP_ROUND) {
        simdrop_round(st, out);
        const uint32_t word = keep_word(out, threshold);
        for (unsigned q = 0; q < SIMDROP_ROUND; q++)
            y[q] = simdrop_apply(x[q], (word >> q) & 1, scale);
        if (bw)
            simdrop_bitw_put32(&bw->p, &bw->acc, bw->nbits, word);
    }
}

static void scalar_mask(simdrop_bitw *bw, simdrop_lanes *st, size_t rounds, uint32_t threshold)
{
    uint32_t out[SIMDROP_LANES];
    while (rounds--) {
        simdrop_round(st, out);
        simdrop_bitw_put32(&bw->p, &bw->acc, bw->nbits, keep_word(out, threshold));
    }
}

static void scalar_backward(float *dx, const float *dy, const uint8_t *mask, size_t groups,
                            float scale, int stream)
{
    (void)stream;
    for (size_t g = 0; g < groups; g++, dx += 32, dy += 32, mask += 4) {
        const uint32_t word = simdrop_load_le32(mask);
        for (unsigned q = 0; q < 32; q++)
            dx[q] = simdrop_apply(dy[q], (word >> q) & 1, scale);
    }
}

const simdrop_kernels simdrop_kernels_scalar = {
    "scalar", scalar_skip, scalar_forward, scalar_mask, scalar_backward,
};
