/* test_checkasm.c: every built kernel path against the scalar reference, byte for byte (dav1d-style).
 *
 * Each random case fixes (n, offset, p, seed, pointer misalignments, input values); the scalar
 * path computes every entry point once, then each other path computes them into canary-filled
 * buffers with guard zones. Outputs, masks and guards must match exactly. Usage:
 *   test_checkasm [--seed N] [--cases N]      (SIMDROP_TEST_CASES also sets the count)
 * Float buffers are misaligned by whole floats, masks and byte buffers by single bytes.
 */
#include <math.h>

#include "common.h"

enum { MAX_PATHS = 16 };

typedef struct tcase {
    size_t n;
    uint64_t offset;
    double p;
    uint64_t seed;
    size_t misalign[4]; /* bytes from a 64-byte boundary: x, y, mask, dy */
} tcase;

/* Inputs: mostly ordinary floats, with every special class sprinkled in at random spots. */
static float random_input(void)
{
    static const uint32_t specials[] = {
        0x7fc00000u, 0xffc00001u, 0x7f800001u, /* quiet NaNs, a signalling NaN */
        0x7f800000u, 0xff800000u,              /* +-Inf */
        0x00000000u, 0x80000000u,              /* +-0 */
        0x00000001u, 0x807fffffu,              /* denormals */
        0x7f7fffffu, 0x00800000u,              /* largest finite, smallest normal */
    };
    if (test_below(16) == 0)
        return u2f(specials[test_below(sizeof specials / sizeof specials[0])]);
    return (float)((test_unit() - 0.5) * 8.0);
}

static double random_p(void)
{
    static const double fixed[] = {0.0, 1.0, 0x1p-16, 0.5, 1.0 - 0x1p-16, 0.1, 0x1p-17, 0.999999};
    const uint64_t pick = test_below(10);
    return pick < 8 ? fixed[pick] : test_unit();
}

static tcase random_case(void)
{
    tcase c;
    const uint64_t kind = test_below(8);
    c.n = kind < 3 ? test_below(130) : kind < 6 ? test_below(9000) : test_below(120001);
    switch (test_below(4)) {
    case 0: c.offset = test_below(1001); break;
    case 1: c.offset = UINT64_MAX - c.n + 1 - test_below(1001); break; /* ends at or near 2^64 */
    case 2: c.offset = test_rand() >> test_below(64); break;
    default: c.offset = 4096 * test_below(100) + 4096 - test_below(64); break; /* block edge */
    }
    if (c.n && c.offset > UINT64_MAX - (c.n - 1))
        c.offset = UINT64_MAX - (c.n - 1);
    c.p = random_p();
    c.seed = test_below(4) == 0 ? (test_below(2) ? 0 : UINT64_MAX) : test_rand();
    /* Float buffers move in whole floats (a float at an odd address is undefined behaviour in
     * C, and no engine hands one over); the mask moves byte by byte. */
    for (int i = 0; i < 4; i++)
        c.misalign[i] = test_below(4) == 0 ? 0 : test_below(16) * (i == 2 ? 1 : sizeof(float));
    return c;
}

/* The results of every entry point for one case and one path. */
typedef struct results {
    guarded y, mask, y_nomask, y_inplace, mask_only, dx, dx_inplace, dx_regen, bytes, mask_back;
} results;

static const unsigned char CANARY = 0xa5;

static results compute(const tcase *c, const float *x, const float *dy, const uint8_t *rmask)
{
    const size_t fb = c->n * sizeof(float), mb = mask_len(c->n);
    results r;
    r.y = guarded_new(fb, c->misalign[1], CANARY);
    r.mask = guarded_new(mb, c->misalign[2], CANARY);
    r.y_nomask = guarded_new(fb, c->misalign[1], CANARY);
    r.y_inplace = guarded_new(fb, c->misalign[0], CANARY);
    r.mask_only = guarded_new(mb, c->misalign[2], CANARY);
    r.dx = guarded_new(fb, c->misalign[3], CANARY);
    r.dx_inplace = guarded_new(fb, c->misalign[3], CANARY);
    r.dx_regen = guarded_new(fb, c->misalign[3], CANARY);
    r.bytes = guarded_new(c->n, c->misalign[2] + 1, CANARY);
    r.mask_back = guarded_new(mb, c->misalign[2], CANARY);

    float *y = (float *)r.y.data, *yn = (float *)r.y_nomask.data, *yi = (float *)r.y_inplace.data;
    float *dx = (float *)r.dx.data, *dxi = (float *)r.dx_inplace.data;
    int st = simdrop_forward_f32(y, r.mask.data, x, c->n, c->p, c->seed, c->offset);
    st |= simdrop_forward_f32(yn, NULL, x, c->n, c->p, c->seed, c->offset);
    memcpy(yi, x, fb);
    st |= simdrop_forward_f32(yi, NULL, yi, c->n, c->p, c->seed, c->offset);
    st |= simdrop_mask(r.mask_only.data, c->n, c->p, c->seed, c->offset);
    st |= simdrop_backward_f32(dx, dy, rmask, c->n, c->p);
    memcpy(dxi, dy, fb);
    st |= simdrop_backward_f32(dxi, dxi, rmask, c->n, c->p);
    st |= simdrop_backward_regen_f32((float *)r.dx_regen.data, dy, c->n, c->p, c->seed, c->offset);
    st |= simdrop_mask_to_bytes(r.bytes.data, rmask, c->n);
    st |= simdrop_mask_from_bytes(r.mask_back.data, r.bytes.data, c->n);
    CHECK(st == SIMDROP_OK, "an entry point failed on path %s: status %d", simdrop_isa(), st);
    return r;
}

static guarded *field(results *r, int i)
{
    guarded *f[] = {&r->y, &r->mask, &r->y_nomask, &r->y_inplace, &r->mask_only,
                    &r->dx, &r->dx_inplace, &r->dx_regen, &r->bytes, &r->mask_back};
    return f[i];
}
static const char *const field_names[] = {"forward y", "forward mask", "forward y (no mask)",
                                          "forward in place", "mask", "backward",
                                          "backward in place", "backward_regen", "mask_to_bytes",
                                          "mask_from_bytes"};
enum { NFIELDS = 10 };

static void results_free(results *r)
{
    for (int i = 0; i < NFIELDS; i++)
        guarded_free(field(r, i));
}

/* Prints the first differing byte of a failed comparison. */
static void report_diff(const char *path, const char *what, const tcase *c, const guarded *a,
                        const guarded *b)
{
    size_t i = 0;
    while (i < a->size && a->data[i] == b->data[i])
        i++;
    fprintf(stderr,
            "  %s: %s differs at byte %zu (scalar %02x, got %02x): n=%zu offset=%" PRIu64
            " p=%.17g seed=%" PRIu64 " misalign=%zu/%zu/%zu/%zu\n",
            path, what, i, i < a->size ? a->data[i] : 0, i < b->size ? b->data[i] : 0, c->n,
            c->offset, c->p, c->seed, c->misalign[0], c->misalign[1], c->misalign[2],
            c->misalign[3]);
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "checkasm");
    /* SIMDROP_TEST_SMALL (set by the valgrind and sanitizer runs) trims the count. */
    const long cases = (long)test_option(argc, argv, "--cases", "SIMDROP_TEST_CASES",
                                         getenv("SIMDROP_TEST_SMALL") ? 60 : 400);

    const char *paths[MAX_PATHS];
    const size_t npaths = test_paths(paths, MAX_PATHS);
    unsigned long compared[MAX_PATHS] = {0};
    printf("checkasm: %ld cases x %zu paths:", cases, npaths);
    for (size_t i = 0; i < npaths; i++)
        printf(" %s", paths[i]);
    printf("\n");

    for (long k = 0; k < cases; k++) {
        const tcase c = random_case();
        guarded gx = guarded_new(c.n * sizeof(float), c.misalign[0], 0);
        guarded gdy = guarded_new(c.n * sizeof(float), c.misalign[3], 0);
        guarded gmask = guarded_new(mask_len(c.n), c.misalign[2], 0);
        float *x = (float *)gx.data, *dy = (float *)gdy.data;
        uint8_t *rmask = gmask.data;
        for (size_t i = 0; i < c.n; i++) {
            x[i] = random_input();
            dy[i] = random_input();
        }
        for (size_t i = 0; i < mask_len(c.n); i++)
            rmask[i] = (uint8_t)test_rand();

        CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "scalar path must exist");
        results ref = compute(&c, x, dy, rmask);
        for (size_t pi = 0; pi < npaths; pi++) {
            if (!strcmp(paths[pi], "scalar"))
                continue;
            CHECK(simdrop_set_isa(paths[pi]) == SIMDROP_OK, "cannot force %s", paths[pi]);
            results got = compute(&c, x, dy, rmask);
            for (int f = 0; f < NFIELDS; f++) {
                const guarded *a = field(&ref, f), *b = field(&got, f);
                const int same = !memcmp(a->data, b->data, a->size);
                CHECK(same, "path %s: %s", paths[pi], field_names[f]);
                if (!same)
                    report_diff(paths[pi], field_names[f], &c, a, b);
                CHECK(guarded_ok(b), "path %s: %s wrote outside its buffer (n=%zu)", paths[pi],
                      field_names[f], c.n);
                compared[pi]++;
            }
            results_free(&got);
        }
        for (int f = 0; f < NFIELDS; f++)
            CHECK(guarded_ok(field(&ref, f)), "scalar: %s wrote outside its buffer",
                  field_names[f]);
        results_free(&ref);
        guarded_free(&gx);
        guarded_free(&gdy);
        guarded_free(&gmask);
    }
    for (size_t pi = 0; pi < npaths; pi++)
        if (strcmp(paths[pi], "scalar"))
            printf("  %-14s %lu comparisons with scalar\n", paths[pi], compared[pi]);
    CHECK(simdrop_set_isa("auto") == SIMDROP_OK, "auto");
    return test_finish("checkasm");
}
