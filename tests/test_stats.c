/* test_stats.c: keep rates and correlations of the masks, with fixed seeds and 6-sigma bounds.
 *
 * The seeds are fixed so the test is deterministic; the 6-sigma bounds mean a correct generator
 * would fail one check in about 5e8 seeds, so a failure is a real defect, not noise.
 */
#include <math.h>

#include "common.h"
#include "spec/spec.h"

#define N_ELEMS 10000000u /* >= 10^7 per keep-rate check */

static int bit(const uint8_t *mask, size_t k)
{
    return (mask[k / 8] >> (k % 8)) & 1;
}

static uint8_t *make_mask(size_t n, double p, uint64_t seed, uint64_t offset)
{
    uint8_t *m = malloc(mask_len(n));
    CHECK(simdrop_mask(m, n, p, seed, offset) == 0, "mask");
    return m;
}

static size_t popcount_bytes(const uint8_t *m, size_t nbytes)
{
    size_t c = 0;
    for (size_t i = 0; i < nbytes; i++)
        c += (size_t)__builtin_popcount(m[i]);
    return c;
}

/* |count - n q| within 6 standard deviations of Binomial(n, q). */
static void check_rate(const char *what, size_t count, size_t n, double q)
{
    const double mean = n * q, sd = sqrt(n * q * (1 - q));
    const double z = sd > 0 ? (count - mean) / sd : (count == mean ? 0 : INFINITY);
    CHECK(fabs(z) <= 6.0, "%s: %zu of %zu, expected %.1f (z = %.2f)", what, count, n, mean, z);
}

/* Keep rate for each p over 10^7 elements, against the exact keep probability 1 - T/65536. */
static void check_keep_rates(void)
{
    static const double ps[] = {1e-4, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint8_t *m = make_mask(N_ELEMS, ps[i], 1000 + i, 12345);
        const double q = 1.0 - simdrop_threshold(ps[i]) / 65536.0;
        char what[64];
        snprintf(what, sizeof what, "keep rate p=%g", ps[i]);
        check_rate(what, popcount_bytes(m, N_ELEMS / 8), N_ELEMS, q);
        CHECK(fabs((1.0 - q) - ps[i]) <= 0x1p-16, "p_eff of %g is off by more than 2^-16", ps[i]);
        free(m);
    }
}

/* Keep rate per round position (lane j, half h: q = 16 h + j) and per bit position in a byte. */
static void check_positions(void)
{
    const double p = 0.3, q = 1.0 - simdrop_threshold(p) / 65536.0;
    uint8_t *m = make_mask(N_ELEMS, p, 77, 0);
    size_t per_q[SIMDROP_ROUND] = {0}, per_bit[8] = {0};
    for (size_t k = 0; k < N_ELEMS; k++) {
        per_q[k % SIMDROP_ROUND] += (size_t)bit(m, k);
        per_bit[k % 8] += (size_t)bit(m, k);
    }
    for (unsigned i = 0; i < SIMDROP_ROUND; i++) {
        char what[64];
        snprintf(what, sizeof what, "lane %u half %u", i % 16, i / 16);
        check_rate(what, per_q[i], N_ELEMS / SIMDROP_ROUND, q);
    }
    for (unsigned i = 0; i < 8; i++) {
        char what[64];
        snprintf(what, sizeof what, "bit position %u", i);
        check_rate(what, per_bit[i], N_ELEMS / 8, q);
    }
    free(m);
}

/* Pearson correlation of pairs (a_k, b_k) over n pairs, bound 6 / sqrt(n). */
typedef struct corr {
    double sa, sb, sab, saa, sbb;
    size_t n;
} corr;

static void corr_add(corr *c, int a, int b)
{
    c->sa += a, c->sb += b, c->sab += a * b, c->saa += a * a, c->sbb += b * b, c->n++;
}

static void check_corr(const char *what, const corr *c)
{
    const double n = (double)c->n;
    const double cov = c->sab / n - (c->sa / n) * (c->sb / n);
    const double va = c->saa / n - (c->sa / n) * (c->sa / n);
    const double vb = c->sbb / n - (c->sb / n) * (c->sb / n);
    const double r = cov / sqrt(va * vb), bound = 6.0 / sqrt(n);
    CHECK(fabs(r) <= bound, "%s: correlation %.5f exceeds %.5f over %zu pairs", what, r, bound,
          c->n);
}

static void check_correlations(void)
{
    const double p = 0.5;
    const size_t n = N_ELEMS;
    uint8_t *m = make_mask(n, p, 2024, 0);
    uint8_t *m_seed1 = make_mask(n, p, 2025, 0);      /* seed + 1 */
    uint8_t *m_shift = make_mask(n, p, 2024, 1);      /* the same stream one element later */
    uint8_t *m_far = make_mask(n, p, 2024, n + 37);   /* the next tensor of a sharded run */
    corr neighbour = {0}, lanes = {0}, halves = {0}, blocks = {0}, seeds = {0}, offsets = {0};
    for (size_t k = 0; k + SIMDROP_BLOCK < n; k++) {
        const int a = bit(m, k);
        corr_add(&neighbour, a, bit(m, k + 1));
        if (k % SIMDROP_LANES != SIMDROP_LANES - 1) /* lane j and j + 1, same half, same round */
            corr_add(&lanes, a, bit(m, k + 1));
        if (k % SIMDROP_ROUND < SIMDROP_LANES) /* the two halves of one output word */
            corr_add(&halves, a, bit(m, k + SIMDROP_LANES));
        corr_add(&blocks, a, bit(m, k + SIMDROP_BLOCK)); /* same position, next block */
        corr_add(&seeds, a, bit(m_seed1, k));
        corr_add(&offsets, a, bit(m_far, k));
    }
    check_corr("neighbouring elements", &neighbour);
    check_corr("neighbouring lanes", &lanes);
    check_corr("low and high half of one output", &halves);
    check_corr("neighbouring blocks", &blocks);
    check_corr("seed vs seed + 1", &seeds);
    check_corr("offset 0 vs offset n + 37", &offsets);
    /* The shifted call must also be exactly the same stream: bit k of offset 1 = bit k+1. */
    size_t mismatched = 0;
    for (size_t k = 0; k + 1 < n; k++)
        mismatched += bit(m_shift, k) != bit(m, k + 1);
    CHECK(mismatched == 0, "offset 1 is not the stream shifted by one (%zu differ)", mismatched);
    free(m), free(m_seed1), free(m_shift), free(m_far);
}

int main(void)
{
    printf("stats: fixed seeds, %u elements per keep-rate check\n", N_ELEMS);
    check_keep_rates();
    check_positions();
    check_correlations();
    return test_finish("stats");
}
