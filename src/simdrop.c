/* simdrop.c: the public entry points: argument checks, then the walk over blocks and rounds. */
#include <string.h>

#include "simdrop.h"
#include "dispatch.h"
#include "kernel.h"

/* ---- argument checks ---------------------------------------------------------------------- */

static int p_is_valid(double p)
{
    return p >= 0.0 && p <= 1.0; /* false for NaN */
}

/* offset + n <= 2^64, i.e. the last index offset + n - 1 does not wrap. */
static int range_is_valid(size_t n, uint64_t offset)
{
    return n == 0 || (uint64_t)(n - 1) <= UINT64_MAX - offset;
}

/* Byte ranges [a, a + la) and [b, b + lb) share a byte. */
static int overlaps(const void *a, size_t la, const void *b, size_t lb)
{
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return la && lb && pa < pb + lb && pb < pa + la;
}

static size_t mask_bytes(size_t n)
{
    return n / 8 + (n % 8 != 0);
}

/* The checks shared by the float entry points: out may equal in exactly; a mask that is written
 * (forward) may touch neither buffer, a mask that is read (backward) may not touch out. */
static int check_float_call(float *out, const float *in, const uint8_t *mask, int mask_is_input,
                            size_t n, double p, uint64_t offset)
{
    if (n && (!out || !in || (mask_is_input && !mask)))
        return SIMDROP_ENULL;
    if (!p_is_valid(p))
        return SIMDROP_EPROB;
    if (!range_is_valid(n, offset))
        return SIMDROP_ERANGE;
    if (n > SIZE_MAX / sizeof(float))
        return SIMDROP_ESIZE;
    const size_t bytes = n * sizeof(float);
    if (out != in && overlaps(out, bytes, in, bytes))
        return SIMDROP_EOVERLAP;
    if (mask && overlaps(mask, mask_bytes(n), out, bytes))
        return SIMDROP_EOVERLAP;
    if (mask && !mask_is_input && overlaps(mask, mask_bytes(n), in, bytes))
        return SIMDROP_EOVERLAP;
    return SIMDROP_OK;
}

/* ---- the walk ----------------------------------------------------------------------------- */

/* Elements [from, to) of the next round, one at a time with the scalar rules: the heads and
 * tails of a call that do not fill a round. */
static void partial_round(simdrop_lanes *st, unsigned from, unsigned to, float *y, const float *x,
                          simdrop_bitw *bw, uint32_t threshold, float scale)
{
    uint32_t out[SIMDROP_LANES];
    simdrop_round(st, out);
    for (unsigned q = from; q < to; q++) {
        const int keep = simdrop_round_bits16(out, q) >= threshold;
        if (x)
            y[q - from] = simdrop_apply(x[q - from], keep, scale);
        if (bw)
            simdrop_bitw_put_bit(bw, (uint32_t)keep);
    }
}

/* Forward (x != NULL) or mask only (x == NULL) over elements offset .. offset + n - 1. Each
 * block is seeded from (seed, block index) and skipped forward to the first round needed, so
 * a call costs the same wherever it starts (at most 127 skipped rounds). */
static void walk(const simdrop_kernels *k, float *y, const float *x, uint8_t *mask, size_t n,
                 double p, uint64_t seed, uint64_t offset)
{
    const uint32_t threshold = simdrop_threshold(p);
    const float scale = simdrop_scale(p);
    const uint64_t key = simdrop_seed_key(seed);
    const int stream = n * sizeof(float) >= simdrop_stream_bytes();
    simdrop_bitw bits = {mask, 0, 0};
    simdrop_bitw *bw = mask ? &bits : NULL;
    simdrop_lanes st;

    while (n) {
        const uint64_t block = offset / SIMDROP_BLOCK;
        const unsigned start = (unsigned)(offset % SIMDROP_BLOCK);
        const size_t count = n < SIMDROP_BLOCK - start ? n : SIMDROP_BLOCK - start;
        size_t done = 0;

        simdrop_seed_block(&st, key, block);
        k->skip(&st, start / SIMDROP_ROUND);
        const unsigned head = start % SIMDROP_ROUND;
        if (head) {
            done = count < SIMDROP_ROUND - head ? count : SIMDROP_ROUND - head;
            partial_round(&st, head, head + (unsigned)done, y, x, bw, threshold, scale);
        }
        const size_t rounds = (count - done) / SIMDROP_ROUND;
        if (rounds) {
            if (x)
                k->forward(y + done, x + done, bw, &st, rounds, threshold, scale, stream);
            else
                k->mask(bw, &st, rounds, threshold);
            done += rounds * SIMDROP_ROUND;
        }
        if (done < count)
            partial_round(&st, 0, (unsigned)(count - done), x ? y + done : NULL,
                          x ? x + done : NULL, bw, threshold, scale);

        if (x) {
            x += count;
            y += count;
        }
        n -= count;
        offset += count; /* may wrap to 0 exactly when the call ends at 2^64 */
    }
    if (bw)
        simdrop_bitw_flush(bw);
}

/* ---- public API --------------------------------------------------------------------------- */

int simdrop_forward_f32(float *y, uint8_t *mask, const float *x, size_t n, double p,
                        uint64_t seed, uint64_t offset)
{
    int status = check_float_call(y, x, mask, 0, n, p, offset);
    const simdrop_kernels *k = status ? NULL : simdrop_active_kernels(&status);
    if (status || !n)
        return status;
    walk(k, y, x, mask, n, p, seed, offset);
    return SIMDROP_OK;
}

int simdrop_backward_regen_f32(float *dx, const float *dy, size_t n, double p, uint64_t seed,
                               uint64_t offset)
{
    /* The regenerated mask is the forward mask, and dx = dy * f is forward's formula. */
    return simdrop_forward_f32(dx, NULL, dy, n, p, seed, offset);
}

int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset)
{
    int status = SIMDROP_OK;
    if (n && !mask)
        status = SIMDROP_ENULL;
    else if (!p_is_valid(p))
        status = SIMDROP_EPROB;
    else if (!range_is_valid(n, offset))
        status = SIMDROP_ERANGE;
    const simdrop_kernels *k = status ? NULL : simdrop_active_kernels(&status);
    if (status || !n)
        return status;
    walk(k, NULL, NULL, mask, n, p, seed, offset);
    return SIMDROP_OK;
}

int simdrop_backward_f32(float *dx, const float *dy, const uint8_t *mask, size_t n, double p)
{
    int status = check_float_call(dx, dy, mask, 1, n, p, 0);
    const simdrop_kernels *k = status ? NULL : simdrop_active_kernels(&status);
    if (status || !n)
        return status;
    const float scale = simdrop_scale(p);
    const size_t groups = n / 32;
    k->backward(dx, dy, mask, groups, scale, n * sizeof(float) >= simdrop_stream_bytes());
    for (size_t i = groups * 32; i < n; i++)
        dx[i] = simdrop_apply(dy[i], (mask[i / 8] >> (i % 8)) & 1, scale);
    return SIMDROP_OK;
}

/* The byte conversions are 64-bit SWAR in portable code: a handful of integer operations per 8
 * elements already runs at memory speed, so they need no per-ISA kernels. */

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#define BYTES_01 0x0101010101010101u

int simdrop_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n)
{
    if (n && (!bytes || !mask))
        return SIMDROP_ENULL;
    if (overlaps(bytes, n, mask, mask_bytes(n)))
        return SIMDROP_EOVERLAP;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* Byte j of the product is the mask byte; keep only bit j in byte j, then map a nonzero
         * byte (at most 0x80) to 1 by carrying it into bit 7. */
        const uint64_t spread = (mask[i / 8] * BYTES_01) & 0x8040201008040201u;
        store_le64(bytes + i, ((spread + 0x7f7f7f7f7f7f7f7fu) >> 7) & BYTES_01);
    }
    for (; i < n; i++)
        bytes[i] = (mask[i / 8] >> (i % 8)) & 1;
    return SIMDROP_OK;
}

int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n)
{
    if (n && (!bytes || !mask))
        return SIMDROP_ENULL;
    if (overlaps(mask, mask_bytes(n), bytes, n))
        return SIMDROP_EOVERLAP;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint64_t v = load_le64(bytes + i);
        /* Bit 7 of each byte: set iff the byte is nonzero (low 7 bits carried in, or bit 7). */
        const uint64_t nonzero = (((v & 0x7f7f7f7f7f7f7f7fu) + 0x7f7f7f7f7f7f7f7fu) | v) >> 7;
        /* Gather bit 0 of byte j into bit 56 + j; no two partial products meet in that byte. */
        mask[i / 8] = (uint8_t)(((nonzero & BYTES_01) * 0x0102040810204080u) >> 56);
    }
    if (i < n) {
        const size_t last_byte = i / 8;
        uint8_t last = 0;
        for (; i < n; i++)
            last |= (uint8_t)((bytes[i] != 0) << (i % 8));
        mask[last_byte] = last;
    }
    return SIMDROP_OK;
}

const char *simdrop_strerror(int status)
{
    switch (status) {
    case SIMDROP_OK: return "success";
    case SIMDROP_ENULL: return "a required pointer is NULL while n > 0";
    case SIMDROP_EPROB: return "p is NaN or outside [0, 1]";
    case SIMDROP_ERANGE: return "offset + n exceeds 2^64";
    case SIMDROP_ESIZE: return "n elements do not fit in the address space";
    case SIMDROP_EOVERLAP: return "buffers overlap (only out == in is allowed)";
    case SIMDROP_EISA_UNKNOWN: return "unknown kernel path name";
    case SIMDROP_EISA_UNAVAILABLE: return "kernel path not built or not supported by this CPU/OS";
    default: return "unknown status code";
    }
}

const char *simdrop_version(void)
{
    return SIMDROP_VERSION_STRING;
}
