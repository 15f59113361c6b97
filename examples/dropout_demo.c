/* dropout_demo.c: the dropout notebook's first cells in plain C on simdrop.
 *
 *   1. A 3x4x5 tensor holding 0..59 through dropout with p = 0.5: about half the elements are
 *      zeroed and the survivors are doubled (scaled by 1 / (1 - p)).
 *   2. A hidden layer of 5 samples x 40 units, dropped out one sample per call with
 *      offset = sample * 40: every sample gets its own mask, and the five calls give exactly
 *      the elements and mask bits of one call over the whole 5x40 tensor.
 *   3. Backward from the 1-bit mask, and without it by regenerating the mask from (seed, offset):
 *      the same gradient, bit for bit.
 *
 * Exits 0 when every check holds (meson runs it as a test). Usage: dropout_demo [seed] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simdrop.h>

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "dropout_demo: FAILED: %s\n", what);                                   \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static int bit(const uint8_t *mask, size_t k)
{
    return (mask[k / 8] >> (k % 8)) & 1;
}

int main(int argc, char **argv)
{
    const uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 20240601;
    const double p = 0.5;
    printf("simdrop %s, kernel path %s, seed %" PRIu64 ", p = %.1f\n\n", simdrop_version(),
           simdrop_isa(), seed, p);

    /* 1. The 3x4x5 tensor. */
    float x[60], y[60];
    uint8_t mask[8];
    for (int i = 0; i < 60; i++)
        x[i] = (float)i;
    int rc = simdrop_forward_f32(y, mask, x, 60, p, seed, 0);
    CHECK(rc == 0, simdrop_strerror(rc));
    int zeros = 0;
    printf("dropout(arange(60).reshape(3, 4, 5)):\n");
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 4; b++) {
            printf("  %s", b == 0 ? "[[" : " [");
            for (int c = 0; c < 5; c++) {
                const int i = a * 20 + b * 5 + c;
                printf("%6.1f", y[i]);
                zeros += y[i] == 0.0f;
                CHECK(y[i] == (bit(mask, i) ? 2.0f * x[i] : 0.0f), "survivors doubled, the rest 0");
            }
            printf("%s\n", b == 3 ? "]]" : "]");
        }
    }
    printf("%d of 60 zeroed (%.0f%%), every survivor doubled\n\n", zeros, 100.0 * zeros / 60);
    CHECK(zeros > 15 && zeros < 45, "about half zeroed");

    /* 2. Per-sample masks through the offset. */
    enum { B = 5, H = 40 };
    float hidden[B * H], dropped[B * H], whole[B * H];
    uint8_t masks[B * H / 8], whole_mask[B * H / 8];
    for (int i = 0; i < B * H; i++)
        hidden[i] = 0.05f * (float)(i % 37) + 0.1f;
    for (int s = 0; s < B; s++) {
        rc = simdrop_forward_f32(dropped + s * H, masks + s * H / 8, hidden + s * H, H, p, seed,
                                 (uint64_t)s * H);
        CHECK(rc == 0, simdrop_strerror(rc));
    }
    printf("hidden layer, %d samples x %d units, kept units per sample (offset = sample * %d):\n",
           B, H, H);
    for (int s = 0; s < B; s++) {
        printf("  sample %d: ", s);
        for (int j = 0; j < H; j++)
            putchar(bit(masks, (size_t)s * H + j) ? '1' : '.');
        putchar('\n');
    }
    for (int s = 1; s < B; s++)
        CHECK(memcmp(masks + s * H / 8, masks, H / 8) != 0, "samples have their own masks");
    rc = simdrop_forward_f32(whole, whole_mask, hidden, B * H, p, seed, 0);
    CHECK(rc == 0, simdrop_strerror(rc));
    CHECK(!memcmp(whole, dropped, sizeof whole) && !memcmp(whole_mask, masks, sizeof masks),
          "five calls at offsets s*40 equal one call");
    printf("five per-sample calls == one call over the %d elements (values and mask bits)\n\n", B * H);

    /* 3. Backward from the mask and by regeneration. */
    float dy[B * H], dx_mask[B * H], dx_regen[B * H];
    for (int i = 0; i < B * H; i++)
        dy[i] = 1.0f - 0.01f * (float)i;
    rc = simdrop_backward_f32(dx_mask, dy, whole_mask, B * H, p);
    CHECK(rc == 0, simdrop_strerror(rc));
    rc = simdrop_backward_regen_f32(dx_regen, dy, B * H, p, seed, 0);
    CHECK(rc == 0, simdrop_strerror(rc));
    CHECK(!memcmp(dx_mask, dx_regen, sizeof dx_mask), "regenerated backward equals mask backward");
    printf("backward from the %d-byte mask == backward regenerated from (seed, offset)\n",
           B * H / 8);
    printf("dx[0..7]:");
    for (int i = 0; i < 8; i++)
        printf(" %g", dx_mask[i]);
    printf("\n\nall checks passed\n");
    return 0;
}
