/* consumer.c: the program every consumer project (tests/consumers/{cmake,pkgconfig,meson}/)
 * builds against an installed or subproject simdrop and runs: a few API calls, checked against
 * what docs/API.md and docs/MASK_SPEC.md promise. Plain C99, only the public header.
 *   consumer LABEL        prints "consumer LABEL: N checks passed (...)" or the failures */
#include <simdrop.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures, checks;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "consumer: FAILED: %s\n", what);
    }
}

static int bit(const uint8_t *mask, size_t k)
{
    return mask[k / 8] >> (k % 8) & 1;
}

static float bf16_to_float(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Round to nearest even (docs/MASK_SPEC.md 4.2); the values here are finite. */
static uint16_t float_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

int main(int argc, char **argv)
{
    const char *label = argc > 1 ? argv[1] : "?";
    enum { N = 1000, ROWS = 8, COLS = 24 };
    const double p = 0.25;
    const uint64_t seed = 42, offset = 1000;
    static float x[N], y[N], dx[N];
    static uint8_t mask[(N + 7) / 8], regen_mask[(N + 7) / 8];

    check(strcmp(simdrop_version(), SIMDROP_VERSION_STRING) == 0,
          "simdrop_version() is the header's SIMDROP_VERSION_STRING");
    check(simdrop_version_number() == SIMDROP_VERSION_NUMBER,
          "simdrop_version_number() is the header's SIMDROP_VERSION_NUMBER");

    /* Element dropout f32: y = x * (keep ? s : 0), the kept bits in the mask. */
    for (int i = 0; i < N; i++)
        x[i] = (float)(i + 1) * 0.5f;
    check(simdrop_forward_f32(y, mask, x, N, p, seed, offset) == SIMDROP_OK, "forward_f32 returns OK");
    const float s = (float)(1.0 / (1.0 - p));
    int kept = 0, values_ok = 1;
    for (int i = 0; i < N; i++) {
        kept += bit(mask, (size_t)i);
        values_ok &= y[i] == (bit(mask, (size_t)i) ? x[i] * s : 0.0f);
    }
    check(values_ok, "forward_f32: y = x * s where the mask keeps, 0 elsewhere");
    check(kept > 650 && kept < 850, "forward_f32 keeps about 75% at p = 0.25");
    check(simdrop_mask(regen_mask, N, p, seed, offset) == SIMDROP_OK &&
              memcmp(mask, regen_mask, sizeof mask) == 0,
          "simdrop_mask gives forward's mask");
    check(simdrop_backward_regen_f32(dx, x, N, p, seed, offset) == SIMDROP_OK &&
              memcmp(dx, y, sizeof dx) == 0,
          "backward_regen_f32 regenerates forward's mask");

    /* Fused bias + dropout + residual, bf16: out = RN16(r + (x + b) * (keep ? s : 0)) in float. */
    static uint16_t bx[ROWS * COLS], bias[COLS], resid[ROWS * COLS], out[ROWS * COLS];
    static uint8_t bmask[(ROWS * COLS + 7) / 8];
    for (int c = 0; c < COLS; c++)
        bias[c] = float_to_bf16(0.125f * (float)(c - 12));
    for (int k = 0; k < ROWS * COLS; k++) {
        bx[k] = float_to_bf16((float)(k % 37) - 18.0f);
        resid[k] = float_to_bf16(1.0f / (float)(k + 1));
    }
    check(simdrop_bias_dropout_add_bf16(out, bmask, bx, bias, resid, ROWS, COLS, p, seed, 7) ==
              SIMDROP_OK,
          "bias_dropout_add_bf16 returns OK");
    int bda_ok = 1;
    for (int k = 0; k < ROWS * COLS; k++) {
        volatile float t = bf16_to_float(bx[k]) + bf16_to_float(bias[k % COLS]); /* no FMA */
        volatile float u = t * (bit(bmask, (size_t)k) ? s : 0.0f);
        const float r = bf16_to_float(resid[k]) + u;
        bda_ok &= out[k] == float_to_bf16(r);
    }
    check(bda_ok, "bias_dropout_add_bf16 matches r + (x + b) * (keep ? s : 0) rounded once");
    check(simdrop_mask(regen_mask, ROWS * COLS, p, seed, 7) == SIMDROP_OK &&
              memcmp(bmask, regen_mask, sizeof bmask) == 0,
          "bias_dropout_add_bf16's mask is element dropout's");

    /* Errors: the documented codes, and nothing written. */
    y[0] = 123.0f;
    check(simdrop_forward_f32(y, NULL, NULL, N, p, seed, 0) == SIMDROP_ENULL && y[0] == 123.0f,
          "NULL x gives SIMDROP_ENULL and writes nothing");
    check(strstr(simdrop_last_error(), "simdrop_forward_f32: x is NULL") == simdrop_last_error(),
          "simdrop_last_error() names the function and the NULL argument");
    check(simdrop_forward_f32(y, NULL, x, N, 1.5, seed, 0) == SIMDROP_EPROB, "p = 1.5 gives SIMDROP_EPROB");
    check(simdrop_forward_f32(y, NULL, x, N, p, seed, UINT64_MAX) == SIMDROP_ERANGE,
          "offset + n > 2^64 gives SIMDROP_ERANGE");
    check(simdrop_strerror(SIMDROP_EPROB) != NULL && simdrop_set_isa("no-such-path") == SIMDROP_EISA_UNKNOWN,
          "strerror and set_isa's error");
    check(simdrop_isa() != NULL && simdrop_isa_supported("scalar") == 1, "a kernel path is selected");

    if (failures) {
        fprintf(stderr, "consumer %s: %d of %d checks FAILED\n", label, failures, checks);
        return 1;
    }
    printf("consumer %s: %d checks passed (simdrop %s, path %s)\n", label, checks, simdrop_version(),
           simdrop_isa());
    return 0;
}
