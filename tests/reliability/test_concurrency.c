/* test_concurrency.c: threads calling every entry point at once on every path get the single-threaded bits. */
#define _POSIX_C_SOURCE 200809L
#include "portable.h" /* pthreads */
#include <stdatomic.h>

#include "rel_common.h"

#define THREADS 4 /* more than the CI machine's 2 cores, so threads are preempted mid-call */
#define CANARY 0xa5

/* One call: an entry point with its arguments; inputs are shared read-only by all threads. */
typedef struct job {
    int op, in_place, no_mask;
    size_t n, misalign;
    double p;
    uint64_t seed, offset;
    void *in[3];            /* input buffers by argument index, NULL for outputs */
    unsigned char *want[3]; /* the single-threaded result, by output argument index */
} job;

/* Runs job j into fresh guarded output buffers; with record set, stores the outputs as the
 * expected result, else compares with it. Returns 0, or 1 after writing why into err. */
static int run_job(job *j, int record, char *err, size_t errlen)
{
    const rel_op *d = &rel_ops[j->op];
    guarded out[3];
    void *b[3] = {NULL, NULL, NULL};
    int bad = 0;
    for (int i = 0; i < d->nargs; i++) {
        if (!d->arg[i].is_out) {
            b[i] = j->in[i];
        } else if (!(i == 1 && j->no_mask)) {
            out[i] = guarded_new(rel_bytes(d->arg[i].kind, j->n), j->misalign * 4, CANARY);
            b[i] = out[i].data;
        }
    }
    if (j->in_place) { /* y == x: the output starts as a copy of the input */
        const int src = j->op == OP_FORWARD ? 2 : 1;
        memcpy(b[0], j->in[src], j->n * sizeof(float));
        b[src] = b[0];
    }
    const int status = rel_invoke(j->op, b, j->n, j->p, j->seed, j->offset);
    if (status != SIMDROP_OK) {
        snprintf(err, errlen, "%s n=%zu: status %d", d->name, j->n, status);
        bad = 1;
    }
    for (int i = 0; i < d->nargs; i++) {
        if (!d->arg[i].is_out || !b[i])
            continue;
        const size_t bytes = rel_bytes(d->arg[i].kind, j->n);
        if (record) {
            j->want[i] = malloc(bytes + 1);
            memcpy(j->want[i], b[i], bytes);
        } else if (!bad && (memcmp(b[i], j->want[i], bytes) || !guarded_ok(&out[i]))) {
            snprintf(err, errlen, "%s n=%zu offset=%" PRIu64 " seed=%" PRIu64 " in_place=%d: %s "
                     "differs from the single-threaded result or its guards were hit", d->name,
                     j->n, j->offset, j->seed, j->in_place, d->arg[i].name);
            bad = 1;
        }
        guarded_free(&out[i]);
    }
    return bad;
}

/* A job of op `op` with random sizes, offsets (some near 2^64 or a block edge) and p. */
static void job_new(job *j, int op, int variant)
{
    static const size_t edge_n[] = {0, 1, 31, 32, 33, 4095, 4096, 4097, 8200};
    memset(j, 0, sizeof *j);
    j->op = op;
    j->n = variant % 3 == 0 ? edge_n[test_below(9)] : (size_t)test_below(rel_small() ? 3000 : 12000);
    j->misalign = (size_t)test_below(16);
    const double ps[] = {0.0, 1.0, 0.5, 0.1, 0.9, test_unit()};
    j->p = ps[test_below(6)];
    j->seed = test_rand();
    switch (test_below(4)) {
    case 0: j->offset = test_rand(); break;
    case 1: j->offset = (uint64_t)0 - j->n; break;
    case 2: j->offset = test_below(1u << 20) * SIMDROP_BLOCK - test_below(64); break;
    default: j->offset = test_below(100000); break;
    }
    if (j->offset > (uint64_t)0 - j->n) /* keep offset + n <= 2^64: errors are not this test */
        j->offset = (uint64_t)0 - j->n;
    j->in_place = (op == OP_FORWARD || op == OP_BACKWARD || op == OP_REGEN) && variant % 2;
    j->no_mask = op == OP_FORWARD && variant % 4 == 3;
    const rel_op *d = &rel_ops[op];
    for (int i = 0; i < d->nargs; i++) {
        if (d->arg[i].is_out)
            continue;
        const size_t bytes = rel_bytes(d->arg[i].kind, j->n);
        j->in[i] = malloc(bytes + 1);
        if (d->arg[i].kind == REL_F32)
            rel_fill_floats(j->in[i], j->n);
        else
            rel_fill_bytes(j->in[i], bytes);
    }
}

static atomic_int workers_done;

typedef struct worker {
    job *jobs;
    size_t njobs, first, reps;
    unsigned long failures;
    char err[256];
    pthread_t tid;
} worker;

/* Each thread walks the job list from its own starting point, so at any moment the threads are
 * in different entry points with different sizes. Failures are counted per thread (CHECK's
 * counters are not thread-safe) and reported by the main thread after the join. */
static void *work(void *arg)
{
    worker *w = arg;
    char err[256];
    for (size_t r = 0; r < w->reps; r++) {
        for (size_t k = 0; k < w->njobs; k++) {
            if (run_job(&w->jobs[(w->first + k) % w->njobs], 0, err, sizeof err)) {
                if (!w->failures++)
                    memcpy(w->err, err, sizeof err);
            }
        }
    }
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
        w[t] = (worker){jobs, njobs, t * njobs / THREADS, reps, 0, "", 0};
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

/* One shard of a tensor split across threads: its own offset into the same seed's stream. */
typedef struct shard {
    float *y;
    uint8_t *mask;
    const float *x;
    size_t n;
    double p;
    uint64_t seed, offset;
    int status;
    pthread_t tid;
} shard;

static void *run_shard(void *arg)
{
    shard *s = arg;
    s->status = simdrop_forward_f32(s->y, s->mask, s->x, s->n, s->p, s->seed, s->offset);
    return NULL;
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* A tensor cut at random points into one shard per thread gives the bits of one call: the
 * sharding promise, exercised concurrently. Mask shards must start on a byte, so with a mask
 * the cuts are multiples of 8; without one they fall anywhere. */
static void sharding(const char *path, int with_mask)
{
    const size_t n = rel_small() ? 40000 : 300000;
    float *x = malloc(n * sizeof(float)), *want = malloc(n * sizeof(float));
    float *y = malloc(n * sizeof(float));
    uint8_t *want_mask = malloc(n / 8 + 1), *mask = malloc(n / 8 + 1);
    rel_fill_floats(x, n);
    const uint64_t seed = test_rand(), offset = test_rand() >> 1;
    const double p = test_unit();
    CHECK(simdrop_forward_f32(want, with_mask ? want_mask : NULL, x, n, p, seed, offset) == 0,
          "whole call");
    size_t cut[THREADS + 1];
    cut[0] = 0;
    cut[THREADS] = n;
    for (int t = 1; t < THREADS; t++)
        cut[t] = (size_t)test_below(n + 1) & (with_mask ? ~(size_t)7 : ~(size_t)0);
    qsort(cut + 1, THREADS - 1, sizeof cut[0], cmp_size);
    shard s[THREADS];
    for (int t = 0; t < THREADS; t++) {
        s[t] = (shard){y + cut[t], with_mask ? mask + cut[t] / 8 : NULL, x + cut[t],
                       cut[t + 1] - cut[t], p, seed, offset + cut[t], -99, 0};
        if (pthread_create(&s[t].tid, NULL, run_shard, &s[t])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(s[t].tid, NULL);
        CHECK(s[t].status == SIMDROP_OK, "[%s] shard %d: status %d", path, t, s[t].status);
    }
    CHECK(!memcmp(y, want, n * sizeof(float)), "[%s] sharded y differs (cuts %zu %zu %zu)", path,
          cut[1], cut[2], cut[3]);
    if (with_mask)
        CHECK(!memcmp(mask, want_mask, n / 8 + (n % 8 != 0)), "[%s] sharded mask differs", path);
    free(x), free(want), free(y), free(want_mask), free(mask);
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_concurrency");
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
    const size_t per_op = rel_small() ? 3 : 8, reps = rel_small() ? 1 : 3;

    /* The expected results: one thread, scalar path. Every path must give these bits. */
    job jobs[OP_COUNT * 8];
    size_t njobs = 0;
    CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "set_isa(scalar)");
    for (int op = 0; op < OP_COUNT; op++) {
        for (size_t v = 0; v < per_op; v++) {
            char err[256];
            job_new(&jobs[njobs], op, (int)v);
            CHECK(!run_job(&jobs[njobs], 1, err, sizeof err), "recording: %s", err);
            njobs++;
        }
    }

    for (size_t i = 0; i < npaths; i++) {
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa(%s)", paths[i]);
        hammer(paths[i], jobs, njobs, reps, paths, npaths, 0);
        sharding(paths[i], 1);
        sharding(paths[i], 0);
    }
    hammer("all paths, switching", jobs, njobs, reps, paths, npaths, 1);

    for (size_t k = 0; k < njobs; k++)
        for (int i = 0; i < 3; i++)
            free(jobs[k].in[i]), free(jobs[k].want[i]);
    return test_finish("test_concurrency");
}
