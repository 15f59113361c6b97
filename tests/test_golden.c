/* test_golden.c: every path reproduces tests/golden_v1.txt (made by tools/mask_spec_v1.py). */
#include "common.h"

static int hex_byte(const char *s, uint8_t *out)
{
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1)
        return 0;
    *out = (uint8_t)v;
    return 1;
}

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : "tests/golden_v1.txt";
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", file);
        return 2;
    }
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
    static char line[1 << 16], hex[1 << 16];
    unsigned cases = 0;
    while (fgets(line, sizeof line, f)) {
        uint64_t seed, offset;
        size_t n;
        double p;
        if (sscanf(line, "case %" SCNx64 " %" SCNu64 " %zu %lf %65535s", &seed, &offset, &n, &p,
                   hex) != 5)
            continue;
        cases++;
        uint8_t *want = calloc(mask_len(n) + 1, 1), *got = malloc(mask_len(n) + 1);
        float *x = malloc(n * sizeof(float) + 1), *y = malloc(n * sizeof(float) + 1);
        CHECK(n == 0 ? !strcmp(hex, "-") : strlen(hex) == 2 * mask_len(n), "case %u: hex length",
              cases);
        for (size_t i = 0; n && i < mask_len(n); i++)
            CHECK(hex_byte(hex + 2 * i, &want[i]), "case %u: bad hex", cases);
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0f;
        for (size_t pi = 0; pi < npaths; pi++) {
            CHECK(simdrop_set_isa(paths[pi]) == 0, "force %s", paths[pi]);
            memset(got, 0x5a, mask_len(n) + 1);
            CHECK(simdrop_mask(got, n, p, seed, offset) == 0, "mask");
            CHECK(!memcmp(got, want, mask_len(n)) && got[mask_len(n)] == 0x5a,
                  "%s: mask differs from golden case %u (seed %016" PRIx64 " offset %" PRIu64
                  " n %zu p %.17g)", paths[pi], cases, seed, offset, n, p);
            memset(got, 0x5a, mask_len(n) + 1);
            CHECK(simdrop_forward_f32(y, got, x, n, p, seed, offset) == 0, "forward");
            CHECK(!memcmp(got, want, mask_len(n)), "%s: forward mask differs from golden case %u",
                  paths[pi], cases);
        }
        free(want), free(got), free(x), free(y);
    }
    fclose(f);
    CHECK(cases >= 20, "expected at least 20 golden cases, read %u", cases);
    printf("golden: %u cases x %zu paths\n", cases, npaths);
    return test_finish("golden");
}
