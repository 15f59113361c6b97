/* sharded.c: one global tensor cut into row and column blocks, each run by its own thread through the block API, compared with one call bit for bit (docs/SHARDING.md).
 *
 *   sharded [--rows R] [--cols C] [--p P] [--step S]
 *
 * The fused op out = residual + dropout(x + bias) of a transformer layer, R tokens x C features
 * in f32, forward and backward (dx and the bias gradient), in four layouts:
 *   one call        the reference: the whole tensor in one call
 *   row shards      data or sequence parallel: 4 threads, each a range of rows (cut at granules
 *                   of GRANULE rows), its own packed buffers; the bias gradient as granule
 *                   partial sums, gathered in row order and folded by simdrop_dbias_reduce
 *   column shards   tensor parallel: 4 threads, each a range of columns, its own packed buffers
 *                   (ld = its width); each shard's bias gradient is its columns' sum over all
 *                   rows (granule 0: the order of one call)
 *   2 x 3 grid      6 threads, each a rectangle, reading and writing the global arrays in place
 *                   through row strides (ld = C)
 * Every layout must give the reference's output, mask bits, dx and bias gradient bit for bit.
 * The seed is the site rule's: simdrop_site_seed(base, simdrop_site_key(site), step). Exit
 * status 0 when every comparison holds. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simdrop.h>

enum { GRANULE = 8, MAX_THREADS = 8 };

static const char *const site = "layers.0.mlp.dropout";

/* The global tensor and the reference results of one call. */
struct global {
    size_t rows, cols;
    double p;
    uint64_t seed;
    float *x, *bias, *res, *dout;           /* inputs (dout: the gradient arriving at out) */
    float *out, *dx, *dbias, *dbias_granules; /* one call's results */
    uint8_t *mask;
};

/* A thread's share: a block of the global tensor and where its results go. */
struct shard {
    const struct global *g;
    simdrop_block b;
    int packed;       /* own buffers, copied in and out (a rank's memory); else the global ones */
    size_t granule;   /* the bias gradient's: 0 for column shards */
    float *out, *dx, *dbias; /* results: packed block, or global arrays at the block */
    uint8_t *mask;    /* rows * cols bits, block row-major */
    int status;
};

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "sharded: out of memory\n");
        exit(2);
    }
    return p;
}

static int bit(const uint8_t *mask, size_t k)
{
    return mask[k / 8] >> (k % 8) & 1;
}

/* Element (r, c) of the block in the global arrays. */
static size_t at(const simdrop_block *b, size_t r, size_t c)
{
    return (b->row0 + r) * b->global_cols + b->col0 + c;
}

/* A rank's forward and backward on its block. A packed shard copies its inputs out of the
 * global arrays first, as a rank holds only its part. */
static void *run_shard(void *arg)
{
    struct shard *s = arg;
    const struct global *g = s->g;
    const simdrop_block *b = &s->b;
    const size_t n = b->rows * b->cols;
    const float *x = g->x + at(b, 0, 0), *res = g->res + at(b, 0, 0), *dout = g->dout + at(b, 0, 0);
    float *xp = NULL, *resp = NULL, *doutp = NULL;
    if (s->packed) {
        xp = xmalloc(n * sizeof *xp), resp = xmalloc(n * sizeof *resp), doutp = xmalloc(n * sizeof *doutp);
        for (size_t r = 0; r < b->rows; r++) {
            memcpy(xp + r * b->cols, g->x + at(b, r, 0), b->cols * sizeof *xp);
            memcpy(resp + r * b->cols, g->res + at(b, r, 0), b->cols * sizeof *resp);
            memcpy(doutp + r * b->cols, g->dout + at(b, r, 0), b->cols * sizeof *doutp);
        }
        x = xp, res = resp, dout = doutp;
    }
    s->status = simdrop_bias_dropout_add_block_f32(s->out, s->mask, x, g->bias + b->col0, res, b,
                                                   g->p, g->seed, 0);
    if (s->status == SIMDROP_OK) /* the backward regenerates the mask: nothing kept */
        s->status = simdrop_bias_dropout_add_backward_regen_block_f32(s->dx, s->dbias, dout, b,
                                                                      s->granule, g->p, g->seed, 0);
    free(xp), free(resp), free(doutp);
    return NULL;
}

/* The shards' results against the reference; returns the number of differences. */
static size_t compare(const char *layout, const struct global *g, const struct shard *s, size_t count)
{
    size_t bad = 0, elements = 0;
    const size_t gcols = g->cols;
    float *dbias = xmalloc(gcols * sizeof *dbias);
    for (size_t i = 0; i < count; i++) {
        const simdrop_block *b = &s[i].b;
        if (s[i].status != SIMDROP_OK) {
            printf("  %s shard %zu: %s\n", layout, i, simdrop_strerror(s[i].status));
            bad++;
            continue;
        }
        const size_t ld = s[i].packed ? b->cols : gcols;
        for (size_t r = 0; r < b->rows; r++)
            for (size_t c = 0; c < b->cols; c++, elements++) {
                const size_t k = at(b, r, c), mine = (s[i].packed ? 0 : at(b, 0, 0)) + r * ld + c;
                bad += memcmp(&s[i].out[mine], &g->out[k], sizeof(float)) != 0;
                bad += memcmp(&s[i].dx[mine], &g->dx[k], sizeof(float)) != 0;
                bad += bit(s[i].mask, r * b->cols + c) != bit(g->mask, k);
            }
    }
    /* the bias gradient: column shards hold their columns' sums, row shards granule partials */
    if (s[0].granule == 0) {
        for (size_t i = 0; i < count; i++)
            memcpy(dbias + s[i].b.col0, s[i].dbias, s[i].b.cols * sizeof *dbias);
        bad += memcmp(dbias, g->dbias, gcols * sizeof *dbias) != 0;
    } else {
        /* gathered in row order: the shards' partials follow each other in one array */
        const size_t granules = (g->rows + GRANULE - 1) / GRANULE;
        float *partials = xmalloc(granules * gcols * sizeof *partials);
        size_t row = 0;
        for (size_t i = 0; i < count; i++) {
            const size_t mine = (s[i].b.rows + GRANULE - 1) / GRANULE;
            memcpy(partials + row / GRANULE * gcols, s[i].dbias, mine * gcols * sizeof *partials);
            row += s[i].b.rows;
        }
        const int rc = simdrop_dbias_reduce_f32(dbias, partials, granules, gcols);
        bad += rc != SIMDROP_OK || memcmp(dbias, g->dbias_granules, gcols * sizeof *dbias) != 0;
        free(partials);
    }
    printf("  %-14s %zu threads, %zu elements: %s\n", layout, count, elements,
           bad ? "DIFFERENT from one call" : "output, mask, dx and dbias equal one call's bits");
    free(dbias);
    return bad;
}

/* Starts a thread per shard and waits for them. */
static void run_all(struct shard *s, size_t count)
{
    pthread_t t[MAX_THREADS];
    for (size_t i = 0; i < count; i++)
        if (pthread_create(&t[i], NULL, run_shard, &s[i])) {
            fprintf(stderr, "sharded: cannot start a thread\n");
            exit(2);
        }
    for (size_t i = 0; i < count; i++)
        pthread_join(t[i], NULL);
}

/* A shard of rows [r0, r1) x columns [c0, c1). packed: its own buffers; else the global ones at
 * the block, strides C (the reference's arrays are copied, so that they stay the reference). */
static struct shard make_shard(const struct global *g, size_t r0, size_t r1, size_t c0, size_t c1,
                               int packed, size_t granule, float *gout, float *gdx)
{
    struct shard s;
    memset(&s, 0, sizeof s);
    s.g = g;
    s.b.rows = r1 - r0, s.b.cols = c1 - c0, s.b.row0 = r0, s.b.col0 = c0, s.b.global_cols = g->cols;
    s.b.ldx = s.b.ldy = packed ? s.b.cols : g->cols;
    s.packed = packed;
    s.granule = granule;
    const size_t n = s.b.rows * s.b.cols;
    s.out = packed ? xmalloc(n * sizeof(float)) : gout + r0 * g->cols + c0;
    s.dx = packed ? xmalloc(n * sizeof(float)) : gdx + r0 * g->cols + c0;
    s.mask = xmalloc(n / 8 + 1);
    s.dbias = xmalloc((granule ? (s.b.rows + granule - 1) / granule : 1) * s.b.cols * sizeof(float));
    return s;
}

static void free_shards(struct shard *s, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (s[i].packed)
            free(s[i].out), free(s[i].dx);
        free(s[i].mask), free(s[i].dbias);
    }
}

static void fill(float *a, size_t n, uint32_t state)
{
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        a[i] = (float)(int32_t)state * 0x1p-28f;
    }
}

int main(int argc, char **argv)
{
    struct global g;
    memset(&g, 0, sizeof g);
    g.rows = 96, g.cols = 1000, g.p = 0.1;
    uint64_t step = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            g.rows = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cols"))
            g.cols = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--p"))
            g.p = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--step"))
            step = strtoull(argv[i + 1], NULL, 10);
    }
    /* (R >= 2 granules: the grid's row cut, on a granule, must leave both halves rows) */
    if (g.rows < 2 * GRANULE || g.cols < 12) {
        fprintf(stderr, "usage: sharded [--rows R] [--cols C] [--p P] [--step S] (R >= 16, C >= 12)\n");
        return 2;
    }
    /* The site rule (MASK_SPEC.md section 8): the seed of this site at this step; offset 0
     * numbers the site's own global tensor. */
    g.seed = simdrop_site_seed(2024, simdrop_site_key(site), step);
    const size_t n = g.rows * g.cols, granules = (g.rows + GRANULE - 1) / GRANULE;
    g.x = xmalloc(n * sizeof(float)), g.res = xmalloc(n * sizeof(float));
    g.dout = xmalloc(n * sizeof(float)), g.bias = xmalloc(g.cols * sizeof(float));
    g.out = xmalloc(n * sizeof(float)), g.dx = xmalloc(n * sizeof(float));
    g.dbias = xmalloc(g.cols * sizeof(float)), g.dbias_granules = xmalloc(g.cols * sizeof(float));
    g.mask = xmalloc(n / 8 + 1);
    fill(g.x, n, 1), fill(g.res, n, 2), fill(g.dout, n, 3), fill(g.bias, g.cols, 4);

    /* one call: forward, backward with dbias in 4.5's order, and in 4.7's (granules) */
    const simdrop_block all = {g.rows, g.cols, 0, 0, g.cols, g.cols, g.cols};
    float *partials = xmalloc(granules * g.cols * sizeof(float));
    int rc = simdrop_bias_dropout_add_f32(g.out, g.mask, g.x, g.bias, g.res, g.rows, g.cols, g.p, g.seed, 0);
    if (!rc)
        rc = simdrop_bias_dropout_add_backward_regen_f32(g.dx, g.dbias, g.dout, g.rows, g.cols, g.p, g.seed, 0);
    /* (into a buffer of its own: dx is the reference the shards are held to, and the block
     * form must equal it too, not overwrite it) */
    float *dx_block = xmalloc(n * sizeof(float));
    if (!rc)
        rc = simdrop_bias_dropout_add_backward_regen_block_f32(dx_block, partials, g.dout, &all, GRANULE, g.p, g.seed, 0);
    if (!rc && memcmp(dx_block, g.dx, n * sizeof(float))) {
        fprintf(stderr, "sharded: FAILED: the block form's dx differs from one call's\n");
        return 1;
    }
    free(dx_block);
    if (!rc)
        rc = simdrop_dbias_reduce_f32(g.dbias_granules, partials, granules, g.cols);
    if (rc) {
        fprintf(stderr, "sharded: one call: %s\n", simdrop_last_error());
        return 1;
    }
    printf("sharded: %zu x %zu f32, p = %g, site \"%s\" step %" PRIu64 ": seed %016" PRIx64 "\n",
           g.rows, g.cols, g.p, site, step, g.seed);

    size_t bad = 0;
    struct shard s[MAX_THREADS];
    float *gout = xmalloc(n * sizeof(float)), *gdx = xmalloc(n * sizeof(float));

    /* up to 4 row shards cut at granule boundaries, the last taking the rest */
    const size_t per = (g.rows / 4 + GRANULE - 1) / GRANULE * GRANULE;
    size_t count = 0;
    for (size_t r0 = 0, r1; r0 < g.rows; r0 = r1, count++) {
        r1 = count == 3 || r0 + per > g.rows ? g.rows : r0 + per;
        s[count] = make_shard(&g, r0, r1, 0, g.cols, 1, GRANULE, gout, gdx);
    }
    run_all(s, count);
    bad += compare("row shards", &g, s, count);
    free_shards(s, count);

    /* 4 column shards (widths not multiples of 32: rows start inside generator rounds) */
    for (size_t i = 0; i < 4; i++)
        s[i] = make_shard(&g, 0, g.rows, i * g.cols / 4, (i + 1) * g.cols / 4, 1, 0, gout, gdx);
    run_all(s, 4);
    bad += compare("column shards", &g, s, 4);
    free_shards(s, 4);

    /* a 2 x 3 grid in place in the global arrays (strides: ld = C), the row cut on a granule */
    memset(gout, 0, n * sizeof(float)), memset(gdx, 0, n * sizeof(float));
    const size_t cut = g.rows / 2 / GRANULE * GRANULE;
    for (size_t i = 0; i < 6; i++)
        s[i] = make_shard(&g, i / 3 ? cut : 0, i / 3 ? g.rows : cut, i % 3 * g.cols / 3,
                          (i % 3 + 1) * g.cols / 3, 0, GRANULE, gout, gdx);
    run_all(s, 6);
    size_t grid_bad = 0;
    for (size_t i = 0; i < 6; i++)
        grid_bad += s[i].status != SIMDROP_OK;
    grid_bad += memcmp(gout, g.out, n * sizeof(float)) != 0 || memcmp(gdx, g.dx, n * sizeof(float)) != 0;
    for (size_t i = 0; i < 6; i++)
        for (size_t k = 0; k < s[i].b.rows * s[i].b.cols; k++)
            grid_bad += bit(s[i].mask, k) != bit(g.mask, at(&s[i].b, k / s[i].b.cols, k % s[i].b.cols));
    /* each column of the grid: the top shard's partials, then the bottom one's, reduced */
    for (size_t j = 0; j < 3; j++) {
        const size_t w = s[j].b.cols, top = (cut + GRANULE - 1) / GRANULE;
        float *gathered = xmalloc(granules * w * sizeof(float)), *db = xmalloc(w * sizeof(float));
        memcpy(gathered, s[j].dbias, top * w * sizeof(float));
        memcpy(gathered + top * w, s[j + 3].dbias, (granules - top) * w * sizeof(float));
        grid_bad += simdrop_dbias_reduce_f32(db, gathered, granules, w) != SIMDROP_OK ||
                    memcmp(db, g.dbias_granules + s[j].b.col0, w * sizeof(float)) != 0;
        free(gathered), free(db);
    }
    printf("  %-14s 6 threads, %zu elements: %s\n", "2 x 3 grid", n,
           grid_bad ? "DIFFERENT from one call" : "output, mask, dx and dbias equal one call's bits, in place");
    bad += grid_bad;
    free_shards(s, 6);

    free(gout), free(gdx), free(partials);
    free(g.x), free(g.res), free(g.dout), free(g.bias), free(g.out), free(g.dx), free(g.dbias);
    free(g.dbias_granules), free(g.mask);
    printf("sharded: %s\n", bad ? "FAILED" : "every layout gives one call's bits");
    return bad ? 1 : 0;
}
