/* verify.c: bit-exact verification of every built and supported kernel path against "scalar", for the benchmark report.
 *
 * For many (n, offset, p, seed, pointer misalignment) cases it calls every entry point on the
 * scalar path, then on each other path (native and SIMDe-emulated), and compares the floats and
 * the bitmasks byte for byte, the status codes, and canary bytes around every output buffer.
 * Output, one line per path and a total, for bench/report.py:
 *   VERIFY path=avx2 cases=14000 elements=123456 failures=0 result=PASS
 *   VERIFY_TOTAL paths=6 cases=84000 failures=0 seed=42 result=PASS
 * Flags: --quick (fewer cases, no 16M-element case), --seed N (default: from the clock; printed).
 * Exit status 0 iff every path passed. tests/ holds the unit tests; this is the report's proof. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdrop.h"

#define GUARD 64           /* canary bytes on each side of every output buffer */
#define CANARY 0xa5
#define MAX_MISALIGN 15    /* elements (or bytes for masks) past a 64-byte boundary */
#define MAX_PATHS 16
#define BIG_N ((size_t)(16u << 20) + 37) /* past the 64 MiB streaming threshold of src/simdrop.c */

/* splitmix64: the verifier's own generator, independent of the library's streams. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t bound)
{
    return rng() % bound;
}

/* ---- cases ------------------------------------------------------------------------------- */

typedef struct vcase {
    size_t n;
    uint64_t offset;
    double p;
    uint64_t seed;
    unsigned mis_x, mis_y, mis_m; /* misalignment of input floats, output floats, mask bytes */
} vcase;

static double pick_p(void)
{
    /* The edges of the threshold: never drop, always drop, one step from either end, the
     * benchmark's p, a value that rounds at half a step, and anything. */
    static const double fixed[] = {0.0, 1.0, 0x1p-16, 1.0 - 0x1p-16, 0.1, 0.5, 1000.5 / 65536.0};
    const uint64_t k = below(sizeof fixed / sizeof fixed[0] + 2);
    return k < sizeof fixed / sizeof fixed[0] ? fixed[k] : (double)(rng() >> 11) * 0x1p-53;
}

static size_t pick_n(size_t i)
{
    /* Every tail length first, then the edges of rounds (32) and blocks (4096), then anything
     * up to past 10^5 elements. */
    static const size_t edges[] = {127, 128, 129, 4063, 4095, 4096, 4097, 8191, 8192, 8193, 12305};
    if (i <= 100)
        return i;
    if (i % 3 == 0)
        return edges[below(sizeof edges / sizeof edges[0])] + below(3);
    return (size_t)below(i % 3 == 1 ? 2000 : 140000);
}

static uint64_t pick_offset(size_t n)
{
    switch (below(6)) {
    case 0: return 0;
    case 1: return below(1001);
    case 2: return below(1000) * 4096 + below(64);        /* near block starts */
    case 3: return rng() >> below(64);                    /* anywhere */
    case 4: return n ? 0 - (uint64_t)n : 0;               /* ends exactly at 2^64 */
    default: return 0 - (uint64_t)n - below(5000) - 1;    /* just below 2^64 */
    }
}

static vcase make_case(size_t i)
{
    vcase c;
    c.n = pick_n(i);
    c.offset = pick_offset(c.n);
    c.p = pick_p();
    c.seed = rng();
    c.mis_x = (unsigned)below(MAX_MISALIGN + 1);
    c.mis_y = below(2) ? 0 : (unsigned)below(MAX_MISALIGN + 1);
    c.mis_m = (unsigned)below(MAX_MISALIGN + 1);
    return c;
}

/* ---- guarded buffers --------------------------------------------------------------------- */

typedef struct region {
    unsigned char *base, *data;
    size_t total, len; /* whole allocation; bytes at data that a call may write */
} region;

static void region_init(region *r, size_t len, unsigned misalign_bytes)
{
    r->total = GUARD + 64 + len + GUARD;
    r->base = aligned_alloc(64, (r->total + 63) / 64 * 64);
    if (!r->base) {
        fprintf(stderr, "verify: cannot allocate %zu bytes\n", r->total);
        exit(2);
    }
    r->data = r->base + GUARD + misalign_bytes;
    r->len = len;
}

static void region_arm(region *r)
{
    memset(r->base, CANARY, r->total);
}

static int region_guards_ok(const region *r)
{
    for (const unsigned char *q = r->base; q < r->data; q++)
        if (*q != CANARY)
            return 0;
    for (const unsigned char *q = r->data + r->len; q < r->base + r->total; q++)
        if (*q != CANARY)
            return 0;
    return 1;
}

/* ---- entry points ------------------------------------------------------------------------ */

enum entry {
    EP_FORWARD_MASK,
    EP_FORWARD,
    EP_FORWARD_INPLACE,
    EP_MASK,
    EP_BACKWARD,
    EP_BACKWARD_INPLACE,
    EP_BACKWARD_REGEN,
    EP_COUNT
};
static const char *const entry_names[EP_COUNT] = {
    "forward_mask", "forward", "forward_inplace", "mask", "backward", "backward_inplace",
    "backward_regen",
};

/* What one call produced: status, output floats (n) and bitmask ((n + 7) / 8), if it has them. */
typedef struct outcome {
    int status;
    float *y;
    uint8_t *mask;
} outcome;

static size_t mask_bytes(size_t n)
{
    return (n + 7) / 8;
}

static int has_floats(int ep)
{
    return ep != EP_MASK;
}
static int has_mask(int ep)
{
    return ep == EP_FORWARD_MASK || ep == EP_FORWARD_INPLACE || ep == EP_MASK;
}

/* Calls entry point ep with outputs in the armed regions y and m. */
static int call_entry(int ep, const vcase *c, const float *x, const uint8_t *mask_in, region *y,
                      region *m)
{
    float *yf = (float *)(void *)y->data;
    uint8_t *mb = m->data;
    region_arm(y);
    region_arm(m);
    if (ep == EP_FORWARD_INPLACE || ep == EP_BACKWARD_INPLACE)
        memcpy(yf, x, c->n * sizeof(float));
    switch (ep) {
    case EP_FORWARD_MASK: return simdrop_forward_f32(yf, mb, x, c->n, c->p, c->seed, c->offset);
    case EP_FORWARD: return simdrop_forward_f32(yf, NULL, x, c->n, c->p, c->seed, c->offset);
    case EP_FORWARD_INPLACE: return simdrop_forward_f32(yf, mb, yf, c->n, c->p, c->seed, c->offset);
    case EP_MASK: return simdrop_mask(mb, c->n, c->p, c->seed, c->offset);
    case EP_BACKWARD: return simdrop_backward_f32(yf, x, mask_in, c->n, c->p);
    case EP_BACKWARD_INPLACE: return simdrop_backward_f32(yf, yf, mask_in, c->n, c->p);
    default: return simdrop_backward_regen_f32(yf, x, c->n, c->p, c->seed, c->offset);
    }
}

/* ---- per-path tallies -------------------------------------------------------------------- */

typedef struct tally {
    const char *name;
    unsigned long cases, failures;
    unsigned long long elements;
} tally;

static void report_failure(const tally *t, int ep, const vcase *c, const char *what)
{
    if (t->failures > 10)
        return;
    fprintf(stderr,
            "verify: FAIL path=%s entry=%s n=%zu offset=%" PRIu64 " p=%.17g seed=%" PRIu64
            " mis=%u/%u/%u: %s\n",
            t->name, entry_names[ep], c->n, c->offset, c->p, c->seed, c->mis_x, c->mis_y, c->mis_m,
            what);
}

/* Input floats: mostly ordinary values, with the specials whose products must match too
 * (signed zeros, infinities, NaN payloads, denormals, the largest finite values). */
static void fill_input(float *x, size_t n)
{
    static const uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
                                        0x7fc00001u, 0xffc12345u, 0x00000001u, 0x807fffffu,
                                        0x7f7fffffu, 0xff7fffffu};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = rng();
        uint32_t bits;
        if (r % 64 == 0) {
            bits = specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
        } else {
            /* Random sign and mantissa, exponent within 2^-27 .. 2^22: products stay normal. */
            bits = ((uint32_t)(r >> 32) & 0x807fffffu) | (uint32_t)(100 + (r >> 8) % 50) << 23;
        }
        memcpy(&x[i], &bits, sizeof bits);
    }
}

/* Runs one case on the reference, then on every path, and tallies each path's result. */
static void run_case(const vcase *c, tally *paths, size_t npaths)
{
    const size_t n = c->n, mb = mask_bytes(n);
    region xin, min, y, m;
    region_init(&xin, n * sizeof(float), 4 * c->mis_x);
    region_init(&min, mb, c->mis_m);
    region_init(&y, n * sizeof(float), 4 * c->mis_y);
    region_init(&m, mb, c->mis_m);
    float *x = (float *)(void *)xin.data;
    fill_input(x, n);
    for (size_t i = 0; i < mb; i++)
        min.data[i] = (uint8_t)rng(); /* backward reads any bits, the ones past n included */

    outcome ref[EP_COUNT];
    simdrop_set_isa("scalar");
    for (int ep = 0; ep < EP_COUNT; ep++) {
        ref[ep].status = call_entry(ep, c, x, min.data, &y, &m);
        if (!region_guards_ok(&y) || !region_guards_ok(&m) || ref[ep].status != SIMDROP_OK) {
            fprintf(stderr, "verify: reference path failed on %s (n=%zu): status %d\n",
                    entry_names[ep], n, ref[ep].status);
            exit(2);
        }
        ref[ep].y = has_floats(ep) ? malloc(n * sizeof(float) + 1) : NULL;
        ref[ep].mask = has_mask(ep) ? malloc(mb + 1) : NULL;
        if (ref[ep].y)
            memcpy(ref[ep].y, y.data, n * sizeof(float));
        if (ref[ep].mask)
            memcpy(ref[ep].mask, m.data, mb);
    }

    for (size_t k = 0; k < npaths; k++) {
        tally *t = &paths[k];
        simdrop_set_isa(t->name);
        for (int ep = 0; ep < EP_COUNT; ep++) {
            const int status = call_entry(ep, c, x, min.data, &y, &m);
            const char *bad = NULL;
            if (status != ref[ep].status)
                bad = "status differs";
            else if (!region_guards_ok(&y) || !region_guards_ok(&m))
                bad = "wrote outside its buffer";
            else if (ref[ep].y && memcmp(ref[ep].y, y.data, n * sizeof(float)) != 0)
                bad = "floats differ";
            else if (ref[ep].mask && memcmp(ref[ep].mask, m.data, mb) != 0)
                bad = "mask differs";
            t->cases++;
            t->elements += n;
            if (bad) {
                t->failures++;
                report_failure(t, ep, c, bad);
            }
        }
    }

    for (int ep = 0; ep < EP_COUNT; ep++) {
        free(ref[ep].y);
        free(ref[ep].mask);
    }
    free(xin.base);
    free(min.base);
    free(y.base);
    free(m.base);
}

int main(int argc, char **argv)
{
    int quick = 0;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: %s [--quick] [--seed N]\n", argv[0]);
            return 2;
        }
    }
    rng_state = seed;
    printf("verify: seed %" PRIu64 " (rerun with --seed %" PRIu64 ")\n", seed, seed);

    /* Every path this library has and this CPU runs, except the reference itself. */
    tally paths[MAX_PATHS];
    size_t npaths = 0;
    for (const char *const *name = simdrop_isa_list(); *name && npaths < MAX_PATHS; name++)
        if (strcmp(*name, "scalar") != 0 && simdrop_isa_supported(*name) == 1)
            paths[npaths++] = (tally){*name, 0, 0, 0};

    const size_t ncases = quick ? 400 : 3000;
    for (size_t i = 0; i < ncases; i++) {
        const vcase c = make_case(i);
        run_case(&c, paths, npaths);
    }
    if (!quick) {
        /* Past the streaming threshold, with the output aligned (non-temporal stores) and not. */
        for (unsigned mis = 0; mis < 2; mis++) {
            vcase c = make_case(ncases);
            c.n = BIG_N;
            c.offset = rng() >> 1;
            c.mis_y = mis;
            run_case(&c, paths, npaths);
        }
    }

    unsigned long cases = 0, failures = 0;
    for (size_t k = 0; k < npaths; k++) {
        const tally *t = &paths[k];
        printf("VERIFY path=%s cases=%lu elements=%llu failures=%lu result=%s\n", t->name, t->cases,
               t->elements, t->failures, t->failures ? "FAIL" : "PASS");
        cases += t->cases;
        failures += t->failures;
    }
    printf("VERIFY_TOTAL reference=scalar paths=%zu cases=%lu entry_points=%d failures=%lu seed=%" PRIu64
           " result=%s\n",
           npaths, cases, EP_COUNT, failures, seed, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
