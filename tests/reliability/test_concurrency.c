/* test_concurrency.c: engine threads calling every entry point (every op and dtype) at once on every path get the single-threaded bits; a tensor sharded across threads gives one call's bits.
 *
 * The library runs single-threaded here (its own pool is test_threads.c's subject): this is
 * about callers. Expected results are recorded on the scalar path by one thread first. */
#define _POSIX_C_SOURCE 200809L
#include "portable.h" /* pthreads */
#include <stdatomic.h>

#include "rel_common.h"

#define THREADS 4 /* more than the CI machine's 2 cores, so threads are preempted mid-call */

/* One call with its inputs, shared read-only by all threads, and the recorded result. */
typedef struct job {
    rel_call c;
    size_t mis[5];
    void *in[5];
    void *want[5];
    int want_status;
} job;

/* Runs job j into fresh guarded buffers; with record set, stores the outputs as the expected
 * result, else compares with it. Returns 0, or 1 after writing why into err. */
static int run_job(job *j, int record, char *err, size_t errlen)
{
    const entry *e = j->c.e;
    guarded g[5];
    const int status = rel_run(&j->c, j->in, g, j->mis);
    int bad = 0;
    if (record)
        j->want_status = status;
    if (status != j->want_status || status != SIMDROP_OK) {
        char shape[120];
        snprintf(err, errlen, "%s shape %s: status %d (recorded %d)", e->name,
                 ent_shape_text(e, j->c.s, shape, sizeof shape), status, j->want_status);
        bad = 1;
    }
    for (int i = 0; i < e->nargs; i++) {
        const size_t bytes = ent_bytes(e, i, j->c.s);
        if (e->arg[i].is_out && !j->c.null_arg[i]) {
            if (record) {
                j->want[i] = rel_malloc(bytes);
                memcpy(j->want[i], g[i].data, bytes);
            } else if (!bad && (memcmp(g[i].data, j->want[i], bytes) || !guarded_ok(&g[i]))) {
                char shape[120];
                snprintf(err, errlen, "%s shape %s offset=%" PRIu64 " seed=%" PRIu64
                         " alias=%d: %s differs from the single-threaded result or its guards "
                         "were hit", e->name, ent_shape_text(e, j->c.s, shape, sizeof shape),
                         j->c.offset, j->c.seed, j->c.alias, e->arg[i].name);
                bad = 1;
            }
        }
        guarded_free(&g[i]);
    }
    return bad;
}

/* A random shape around the seams: partial rounds, block edges, groups and rows of all sizes. */
static ent_shape random_shape(const entry *e)
{
    static const size_t edge_n[] = {0, 1, 31, 32, 33, 4095, 4096, 4097, 8200};
    const size_t cap = rel_small() ? 3000 : 12000;
    ent_shape s = ent_ab(0, 0);
    if (ent_is_block(e)) {
        s.b = test_below(3) == 0 ? edge_n[test_below(6)] : 1 + test_below(test_below(2) ? 40 : 600);
        s.a = test_below(cap / (s.b + 1) + 2);
        return ent_block(s, test_rand(), e->kind != K_FORWARD);
    }
    if (e->family == FAM_REDUCE) {
        s.a = test_below(30), s.b = test_below(600);
        return s;
    }
    if (ent_is_nhwc(e)) {
        s.c = 1 + test_below(test_below(2) ? 8 : 300);
        s.b = 1 + test_below(test_below(2) ? 4 : 50);
        s.a = test_below(cap / (s.b * s.c) + 2);
    } else if (ent_grouped(e)) {
        s.b = 1 + test_below(test_below(2) ? 8 : 300);
        s.a = test_below(cap / s.b + 2);
    } else if (e->family == FAM_BDA) {
        s.b = 1 + test_below(test_below(2) ? 8 : 700);
        s.a = test_below(cap / s.b + 2);
    } else {
        s.a = test_below(3) == 0 ? edge_n[test_below(9)] : test_below(cap);
    }
    return s;
}

/* A job of entry e with random shape, offset (some near 2^64 or a block edge), p, NULL
 * optional buffers, aliasing and misalignment. */
static void job_new(job *j, const entry *e)
{
    memset(j, 0, sizeof *j);
    rel_call *c = &j->c;
    c->e = e;
    c->s = random_shape(e);
    const double ps[] = {0.0, 1.0, 0.5, 0.1, 0.9, test_unit()};
    c->p = ps[test_below(6)];
    c->seed = test_rand();
    const uint64_t units = ent_span(e, c->s);
    switch (test_below(4)) {
    case 0: c->offset = test_rand(); break;
    case 1: c->offset = (uint64_t)0 - units; break;
    case 2: c->offset = test_below(1u << 20) * SIMDROP_BLOCK - test_below(64); break;
    default: c->offset = test_below(100000); break;
    }
    if (units && c->offset > (uint64_t)0 - units) /* errors are not this test */
        c->offset = (uint64_t)0 - units;
    for (int i = 0; i < e->nargs; i++) {
        c->null_arg[i] = e->arg[i].nullable && test_below(3) == 0;
        j->mis[i] = test_below(16);
    }
    for (int i = 1; i < e->nargs && !c->alias; i++)
        if (ent_can_alias(e, i, c->s) && !c->null_arg[i] && test_below(3) == 0)
            c->alias = i;
    rel_inputs_new(c, j->in);
}

static atomic_int workers_done;

typedef struct worker {
    job *jobs;
    size_t njobs, first, reps;
    unsigned long failures;
    char err[300];
    pthread_t tid;
} worker;

/* Each thread walks the job list from its own starting point, so at any moment the threads are
 * in different entry points with different sizes. Failures are counted per thread (CHECK's
 * counters are not thread-safe) and reported by the main thread after the join. */
static void *work(void *arg)
{
    worker *w = arg;
    char err[300];
    for (size_t r = 0; r < w->reps; r++)
        for (size_t k = 0; k < w->njobs; k++)
            if (run_job(&w->jobs[(w->first + k) % w->njobs], 0, err, sizeof err) &&
                !w->failures++)
                memcpy(w->err, err, sizeof err);
    atomic_fetch_add(&workers_done, 1);
    return NULL;
}

/* Runs all jobs on THREADS threads; with flip set, the main thread meanwhile switches the path
 * round and round, which the header allows ("a call racing with it may run on either path"). */
static void hammer(const char *what, job *jobs, size_t njobs, size_t reps, const char **paths,
                   size_t npaths, int flip)
{
    worker w[THREADS];
    atomic_store(&workers_done, 0);
    for (int t = 0; t < THREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].jobs = jobs, w[t].njobs = njobs, w[t].first = t * njobs / THREADS, w[t].reps = reps;
        if (pthread_create(&w[t].tid, NULL, work, &w[t])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    size_t flips = 0, flip_errors = 0;
    while (flip && atomic_load(&workers_done) < THREADS)
        flip_errors += simdrop_set_isa(paths[flips++ % npaths]) != SIMDROP_OK;
    CHECK(flip_errors == 0, "[%s] %zu of %zu path switches failed", what, flip_errors, flips);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(w[t].tid, NULL);
        CHECK(w[t].failures == 0, "[%s] thread %d: %lu failures, first: %s", what, t,
              w[t].failures, w[t].err);
    }
    if (flip)
        printf("  %s: %zu path switches while the threads ran\n", what, flips);
}

/* ---- sharding across threads ----------------------------------------------------------------- */

/* One piece of a forward call: units [u0, u1) (elements, groups, or rows for the bias op). */
typedef struct shard {
    const entry *e;
    void *ptr[5];
    ent_shape s;
    double p;
    uint64_t seed, offset;
    int status;
    pthread_t tid;
} shard;

static void *run_shard(void *arg)
{
    shard *s = arg;
    s->status = s->e->call(s->ptr, s->s, s->p, s->seed, s->offset);
    return NULL;
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* A forward call cut at random points into one piece per thread, run at once, gives the bits
 * of one call: elements, groups (group offsets) or rows (offset r0 * cols: the bias index is
 * relative to each call's first element, so the bias op splits at row boundaries). Mask
 * pieces must start on a byte, so with a mask the cuts fall where the mask bit index is a
 * multiple of 8; without one they fall anywhere. */
static void sharding(const char *path, const entry *e, int with_mask)
{
    const int bda = e->family == FAM_BDA;
    const int groups = ent_grouped(e);
    const size_t es = ent_dtype_size(e->dt);
    ent_shape s = ent_ab(rel_small() ? 20000 : 150000, 0);
    if (groups)
        s = ent_ab(s.a / 7, 7);
    if (bda)
        s = ent_ab(s.a / 13, 13);
    if (ent_is_nhwc(e)) /* units are samples of 3 positions of 5 channels */
        s = ent_abc(s.a / 15, 3, 5);
    const size_t n = ent_elements(e, s), units = s.a; /* rows for bda, samples for nhwc */
    const size_t per_unit = groups || bda ? s.b : ent_is_nhwc(e) ? s.b * s.c : 1; /* elements */
    const size_t bits_per = bda ? per_unit : ent_is_nhwc(e) ? s.c : 1; /* mask bits, indices */
    const size_t mask_bits = units * bits_per;
    rel_call c = {e, s, test_unit(), test_rand(), test_rand() >> 1, {0, !with_mask, 0, 0, 0}, 0};
    void *in[5], *want[5];
    rel_inputs_new(&c, in);
    guarded g[5];
    CHECK(rel_run(&c, in, g, NULL) == SIMDROP_OK, "[%s] %s whole call", path, e->name);
    for (int i = 0; i < 5; i++)
        want[i] = i < e->nargs && e->arg[i].is_out ? g[i].data : NULL;
    unsigned char *y = rel_malloc(n * es), *mask = rel_malloc(mask_bits / 8 + 1);
    size_t cut[THREADS + 1];
    cut[0] = 0;
    cut[THREADS] = units;
    for (int t = 1; t < THREADS; t++) {
        size_t at = (size_t)test_below(units + 1);
        while (with_mask && at * bits_per % 8) /* mask bit on a byte */
            at--;
        cut[t] = at;
    }
    qsort(cut + 1, THREADS - 1, sizeof cut[0], cmp_size);
    shard sh[THREADS];
    for (int t = 0; t < THREADS; t++) {
        const size_t u0 = cut[t], e0 = u0 * per_unit; /* first unit and element of the piece */
        memset(&sh[t], 0, sizeof sh[t]);
        sh[t].e = e;
        sh[t].s = s;
        sh[t].s.a = cut[t + 1] - u0;
        sh[t].p = c.p, sh[t].seed = c.seed;
        sh[t].offset = c.offset + u0 * bits_per;
        sh[t].ptr[0] = y + e0 * es;
        sh[t].ptr[1] = with_mask ? mask + u0 * bits_per / 8 : NULL;
        sh[t].ptr[2] = (char *)in[2] + e0 * es;
        if (bda) {
            sh[t].ptr[3] = in[3]; /* the same bias row for every piece */
            sh[t].ptr[4] = (char *)in[4] + e0 * es;
        }
        if (pthread_create(&sh[t].tid, NULL, run_shard, &sh[t])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(sh[t].tid, NULL);
        CHECK(sh[t].status == SIMDROP_OK, "[%s] %s shard %d: status %d", path, e->name, t,
              sh[t].status);
    }
    CHECK(!memcmp(y, want[0], n * es), "[%s] %s: sharded output differs (cuts %zu %zu %zu)", path,
          e->name, cut[1], cut[2], cut[3]);
    if (with_mask)
        CHECK(!memcmp(mask, want[1], (mask_bits + 7) / 8), "[%s] %s: sharded mask differs", path,
              e->name);
    for (int i = 0; i < e->nargs; i++)
        guarded_free(&g[i]);
    rel_free5(in);
    free(y), free(mask);
}

/* One global rows x cols tensor cut into a grid of blocks at random row and column cuts, each
 * block run by its own thread through the block functions (forward of the fused op, with mask,
 * into the one global output: ldx = ldy = cols, bias and residual of the block's columns),
 * gives one contiguous call's output and mask, bit for bit (the block masks reassembled); the
 * backward of row shards cut at granule boundaries, its partial sums gathered in row order and
 * folded by simdrop_dbias_reduce, gives one block call's bias gradient over all rows. */
static void block_sharding(const char *path, int dt)
{
    const size_t rows = 20 + test_below(rel_small() ? 40 : 120), cols = 1 + test_below(300);
    const size_t es = ent_dtype_size(dt), as = dt == E_F64 ? 8 : 4, n = rows * cols;
    const entry *fwd = NULL, *bwd = NULL, *whole = NULL, *red = NULL;
    for (size_t i = 0; i < NENTRIES; i++) {
        const entry *e = &entries[i];
        if (e->dt == dt && e->family == FAM_BDA_BLOCK && e->kind == K_FORWARD)
            fwd = e;
        if (e->dt == dt && e->family == FAM_BDA_BLOCK && e->kind == K_REGEN)
            bwd = e;
        if (e->dt == dt && e->family == FAM_BDA && e->kind == K_FORWARD)
            whole = e;
        if (e->family == FAM_REDUCE && e->dt == (dt == E_F64 ? E_F64 : E_F32))
            red = e;
    }
    const double p = test_unit();
    const uint64_t seed = test_rand(), offset = test_below(1u << 30);
    void *x = rel_malloc(n * es), *bias = rel_malloc(cols * es), *res = rel_malloc(n * es);
    rel_fill_values(x, dt, n), rel_fill_values(bias, dt, cols), rel_fill_values(res, dt, n);
    unsigned char *want = rel_malloc(n * es), *wmask = rel_malloc(n / 8 + 1);
    void *args[5] = {want, wmask, x, bias, res};
    CHECK(whole->call(args, ent_ab(rows, cols), p, seed, offset) == SIMDROP_OK, "[%s] whole", path);

    /* a 2 x 2 grid of blocks, one thread each */
    const size_t rcut = test_below(rows + 1), ccut = test_below(cols + 1);
    unsigned char *y = rel_malloc(n * es), *masks[THREADS];
    shard sh[THREADS];
    for (int t = 0; t < THREADS; t++) {
        const size_t r0 = t / 2 ? rcut : 0, r1 = t / 2 ? rows : rcut;
        const size_t c0 = t % 2 ? ccut : 0, c1 = t % 2 ? cols : ccut;
        memset(&sh[t], 0, sizeof sh[t]);
        sh[t].e = fwd, sh[t].p = p, sh[t].seed = seed, sh[t].offset = offset;
        sh[t].s = ent_ab(r1 - r0, c1 - c0);
        sh[t].s.row0 = r0, sh[t].s.col0 = c0, sh[t].s.global_cols = cols;
        sh[t].s.ldx = sh[t].s.ldy = cols;
        masks[t] = rel_malloc(sh[t].s.a * sh[t].s.b / 8 + 1);
        sh[t].ptr[0] = y + (r0 * cols + c0) * es;
        sh[t].ptr[1] = masks[t];
        sh[t].ptr[2] = (char *)x + (r0 * cols + c0) * es;
        sh[t].ptr[3] = (char *)bias + c0 * es;
        sh[t].ptr[4] = (char *)res + (r0 * cols + c0) * es;
        if (pthread_create(&sh[t].tid, NULL, run_shard, &sh[t])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    size_t wrong_bits = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(sh[t].tid, NULL);
        CHECK(sh[t].status == SIMDROP_OK, "[%s] block %d: status %d", path, t, sh[t].status);
        for (size_t r = 0; r < sh[t].s.a; r++)
            for (size_t c = 0; c < sh[t].s.b; c++) {
                const size_t g = (sh[t].s.row0 + r) * cols + sh[t].s.col0 + c;
                wrong_bits += rel_bit(masks[t], r * sh[t].s.b + c) != rel_bit(wmask, g);
            }
        free(masks[t]);
    }
    CHECK(!memcmp(y, want, n * es) && wrong_bits == 0, "[%s] %s: a 2 x 2 grid of blocks (cuts "
          "row %zu, col %zu of %zu x %zu) differs from one call (%zu mask bits)", path, fwd->name,
          rcut, ccut, rows, cols, wrong_bits);

    /* row shards of the backward at granule boundaries, rows ld apart in memory: partials,
     * gathered, reduced */
    const size_t granule = 1 + test_below(9), granules = (rows + granule - 1) / granule;
    const size_t ld = cols + test_below(4);
    unsigned char *dx = rel_malloc(rows * ld * es), *dout = rel_malloc(rows * ld * es);
    unsigned char *part = rel_malloc(granules * cols * as), *db = rel_malloc(cols * as);
    unsigned char *part_one = rel_malloc(granules * cols * as), *db_one = rel_malloc(cols * as);
    rel_fill_values(dout, dt, rows * ld);
    ent_shape all = ent_ab(rows, cols);
    all.global_cols = cols, all.ldx = all.ldy = ld, all.granule = granule;
    void *one[5] = {dx, part_one, dout};
    CHECK(bwd->call(one, all, p, seed, offset) == SIMDROP_OK, "[%s] backward, one call", path);
    void *red_one[5] = {db_one, part_one};
    CHECK(red->call(red_one, ent_ab(granules, cols), 0, 0, 0) == SIMDROP_OK, "[%s] reduce", path);
    const size_t cut = test_below(granules + 1) * granule; /* a granule boundary */
    for (int t = 0; t < 2; t++) {
        const size_t mid = cut < rows ? cut : rows; /* the bottom shard starts at row `cut` */
        const size_t r0 = t ? mid : 0, r1 = t ? rows : mid;
        memset(&sh[t], 0, sizeof sh[t]);
        sh[t].e = bwd, sh[t].p = p, sh[t].seed = seed, sh[t].offset = offset;
        sh[t].s = all;
        sh[t].s.a = r1 - r0, sh[t].s.row0 = t ? cut : 0;
        sh[t].ptr[0] = dx + r0 * ld * es;
        sh[t].ptr[1] = part + r0 / granule * cols * as;
        sh[t].ptr[2] = dout + r0 * ld * es;
        if (pthread_create(&sh[t].tid, NULL, run_shard, &sh[t])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(sh[t].tid, NULL);
        CHECK(sh[t].status == SIMDROP_OK, "[%s] row shard %d: status %d", path, t, sh[t].status);
    }
    void *red_args[5] = {db, part};
    CHECK(red->call(red_args, ent_ab(granules, cols), 0, 0, 0) == SIMDROP_OK, "[%s] reduce", path);
    CHECK(!memcmp(part, part_one, granules * cols * as) && !memcmp(db, db_one, cols * as),
          "[%s] %s: row shards cut at row %zu (granule %zu) give other partial sums or dbias",
          path, bwd->name, cut, granule);
    free(x), free(bias), free(res), free(want), free(wmask), free(y);
    free(dx), free(dout), free(part), free(part_one), free(db), free(db_one);
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_concurrency");
    const char *paths[SIMDROP_PATH_COUNT];
    const size_t npaths = test_paths(paths, SIMDROP_PATH_COUNT);
    const size_t per_entry = rel_small() ? 1 : 3, reps = rel_small() ? 1 : 2;

    /* The expected results: one thread, scalar path. Every path must give these bits. */
    job *jobs = rel_malloc(NENTRIES * per_entry * sizeof(job));
    size_t njobs = 0;
    CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "set_isa(scalar)");
    for (size_t i = 0; i < NENTRIES; i++)
        for (size_t v = 0; v < per_entry; v++) {
            char err[300];
            job_new(&jobs[njobs], &entries[i]);
            CHECK(!run_job(&jobs[njobs], 1, err, sizeof err), "recording: %s", err);
            njobs++;
        }
    printf("  %zu jobs (%zu per entry point), %d threads, %zu repetitions\n", njobs, per_entry,
           THREADS, reps);

    for (size_t i = 0; i < npaths; i++) {
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa(%s)", paths[i]);
        hammer(paths[i], jobs, njobs, reps, paths, npaths, 0);
        for (size_t k = 0; k < NENTRIES; k++)
            if (entries[k].kind == K_FORWARD && entries[k].family != FAM_MASK &&
                !ent_is_block(&entries[k]) && entries[k].family != FAM_REDUCE && /* blocks: below */
                (!rel_small() || entries[k].dt == E_F32 || entries[k].dt == (int)(i % 4)))
                sharding(paths[i], &entries[k], (int)(k % 2 == i % 2));
        for (int dt = 0; dt < 4; dt++)
            if (!rel_small() || dt == (int)(i % 4))
                block_sharding(paths[i], dt);
    }
    hammer("all paths, switching", jobs, njobs, reps, paths, npaths, 1);

    for (size_t k = 0; k < njobs; k++)
        rel_free5(jobs[k].in), rel_free5(jobs[k].want);
    free(jobs);
    return test_finish("test_concurrency");
}
