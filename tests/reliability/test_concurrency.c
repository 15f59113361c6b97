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
        snprintf(err, errlen, "%s shape %zu,%zu: status %d (recorded %d)", e->name, j->c.s.a,
                 j->c.s.b, status, j->want_status);
        bad = 1;
    }
    for (int i = 0; i < e->nargs; i++) {
        const size_t bytes = ent_bytes(e, i, j->c.s);
        if (e->arg[i].is_out && !j->c.null_arg[i]) {
            if (record) {
                j->want[i] = rel_malloc(bytes);
                memcpy(j->want[i], g[i].data, bytes);
            } else if (!bad && (memcmp(g[i].data, j->want[i], bytes) || !guarded_ok(&g[i]))) {
                snprintf(err, errlen, "%s shape %zu,%zu offset=%" PRIu64 " seed=%" PRIu64
                         " alias=%d: %s differs from the single-threaded result or its guards "
                         "were hit", e->name, j->c.s.a, j->c.s.b, j->c.offset, j->c.seed,
                         j->c.alias, e->arg[i].name);
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
    ent_shape s = {0, 0, 0};
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
    const uint64_t units = ent_units(e, c->s);
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
        if (e->arg[i].alias && !c->null_arg[i] && test_below(3) == 0)
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
    ent_shape s = {rel_small() ? 20000 : 150000, 0, 0};
    if (groups)
        s = (ent_shape){s.a / 7, 7, 0};
    if (bda)
        s = (ent_shape){s.a / 13, 13, 0};
    if (ent_is_nhwc(e)) /* units are samples of 3 positions of 5 channels */
        s = (ent_shape){s.a / 15, 3, 5};
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
                (!rel_small() || entries[k].dt == E_F32 || entries[k].dt == (int)(i % 4)))
                sharding(paths[i], &entries[k], (int)(k % 2 == i % 2));
    }
    hammer("all paths, switching", jobs, njobs, reps, paths, npaths, 1);

    for (size_t k = 0; k < njobs; k++)
        rel_free5(jobs[k].in), rel_free5(jobs[k].want);
    free(jobs);
    return test_finish("test_concurrency");
}
