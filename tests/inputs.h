/* inputs.h: the random inputs of the equivalence harnesses (checkasm, tests/gpu/): values with every special class, p, offsets and shapes that reach every seam. */
#ifndef SIMDROP_TEST_INPUTS_H
#define SIMDROP_TEST_INPUTS_H

#include "common.h"
#include "entries.h"

/* Mostly ordinary values, with every special class sprinkled in: NaNs (quiet, signalling, both
 * signs, payloads), infinities, signed zeros, subnormals, the largest finite values. */
static void fill_values(void *p, int dt, size_t n)
{
    static const uint32_t f32s[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fa12345u,
                                    0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                                    0x00000001u, 0x807fffffu, 0x7f7fffffu, 0x00800000u};
    static const uint64_t f64s[] = {0x7ff8000000000000u, 0xfff8000000000001u, 0x7ff0000000000001u,
                                    0x7ff0000000000000u, 0xfff0000000000000u, 0, 0x8000000000000000u,
                                    1, 0x800fffffffffffffu, 0x7fefffffffffffffu, 0x0010000000000000u};
    static const uint16_t h16s[] = {0x7e00u, 0xfe01u, 0x7c01u, 0x7c00u, 0xfc00u, 0x0000u, 0x8000u,
                                    0x0001u, 0x83ffu, 0x7bffu, 0x0400u, 0x7fc0u, 0x7f81u, 0x7f80u,
                                    0x0080u, 0x007fu};
    /* Specials (and raw bits) in one element of 16, or of 1024: the bfloat16 roundings of pairs
     * (avx512bf16's; SSE2's and AVX2's, vector_rules.h) test each pair of groups for NaNs (and
     * denormals) and take their exact path for a pair with one, so dense specials would leave
     * the fast path to the plain values of other tests. */
    const uint64_t every = test_rand() % 2 ? 16 : 1024;
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand();
        const int special = r % every == 0, raw = r % every == 1;
        const double v = ((double)(r >> 11) * 0x1p-53 - 0.5) * 16.0;
        switch (dt) {
        case DT_F32:
            ((float *)p)[i] = special ? u2f(f32s[(r >> 8) % 12]) : raw ? u2f((uint32_t)(r >> 32)) : (float)v;
            break;
        case DT_F64:
            ((double *)p)[i] = special ? simdrop_u2d(f64s[(r >> 8) % 11]) : raw ? simdrop_u2d(r) : v;
            break;
        default: {
            uint16_t h = special ? h16s[(r >> 8) % 16] : (uint16_t)(r >> 40);
            if (!special && !raw)
                h = dt == DT_BF16 ? simdrop_f32_to_bf16((float)v) : simdrop_f32_to_f16((float)v);
            ((uint16_t *)p)[i] = h;
        }
        }
    }
}

static double random_p(void)
{
    static const double fixed[] = {0.0, 1.0, 0x1p-16, 0.5, 1.0 - 0x1p-16, 0.1, 0x1p-17, 0.999999};
    const uint64_t pick = test_below(12);
    return pick < 8 ? fixed[pick] : test_unit();
}

static uint64_t random_offset(uint64_t units)
{
    uint64_t o;
    switch (test_below(5)) {
    case 0: o = test_below(1001); break;
    case 1: o = UINT64_MAX - units + 1 - test_below(1001); break; /* ends at or near 2^64 */
    case 2: o = test_rand() >> test_below(64); break;
    case 3: o = 4096 * test_below(100) + 4096 - test_below(64); break; /* a block edge */
    default: o = 0; break;
    }
    if (units && o > UINT64_MAX - (units - 1))
        o = UINT64_MAX - (units - 1);
    return o;
}

/* Shapes that reach every seam: partial rounds, block edges, group_len 1 and around 4096,
 * cols 1 and odd, rows crossing chunk boundaries of the bias gradient; at most about `cap`
 * elements. */
static ent_shape random_shape(const entry *e, size_t cap)
{
    ent_shape s = ent_ab(0, 0);
    if (ent_is_block(e)) { /* rows of every width, in global rows of every kind (ent_block) */
        static const size_t cols[] = {1, 7, 31, 32, 33, 64, 96, 256, 1000, 4095, 4097};
        s.b = test_below(2) ? cols[test_below(11)] : test_below(300);
        const size_t max_rows = cap / (s.b + 1) + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_rows < 400 ? max_rows : 400);
        return ent_block(s, test_rand(), e->kind != K_FORWARD);
    }
    if (e->family == FAM_REDUCE) { /* granules x cols partial sums */
        s.a = test_below(8) == 0 ? 0 : test_below(40);
        s.b = test_below(8) == 0 ? 0 : 1 + test_below(300);
        return s;
    }
    if (ent_is_nhwc(e)) { /* channels around the word, the round and the 4096 window */
        static const size_t chans[] = {1, 2, 3, 7, 8, 31, 32, 33, 64, 100, 4095, 4096, 4097};
        s.c = test_below(2) ? chans[test_below(13)] : 1 + test_below(300);
        s.b = test_below(3) ? 1 + test_below(9) : 1 + test_below(200);
        const size_t max_samples = cap / (s.b * s.c) + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_samples < 300 ? max_samples : 300);
    } else if (ent_grouped(e)) {
        /* 64 and its multiples: groups of whole mask words (8x8 maps and up) */
        static const size_t lens[] = {1, 2, 3, 7, 31, 32, 33, 64, 192, 1000, 1024, 4095, 4096, 4097};
        s.b = test_below(2) ? lens[test_below(14)] : 1 + test_below(70);
        const size_t max_groups = cap / s.b + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_groups < 5000 ? max_groups : 5000);
    } else if (e->family == FAM_BDA) {
        /* 256 and 768: bias rows that the walk runs as rows (simdrop_job_rows_repeat_bias) */
        static const size_t cols[] = {1, 2, 3, 7, 31, 32, 33, 100, 256, 768, 1000, 1024, 4095, 4097};
        s.b = test_below(2) ? cols[test_below(14)] : 1 + test_below(300);
        const size_t max_rows = cap / s.b + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_rows < 3000 ? max_rows : 3000);
    } else {
        const uint64_t kind = test_below(8);
        s.a = kind < 3 ? test_below(130) : kind < 6 ? test_below(9000) : test_below(cap + 1);
    }
    return s;
}

#endif
