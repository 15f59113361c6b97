/* scaling.c: thread scaling of one simdrop call (the library's own threads) against a memcpy split over as many threads.
 *
 *   scaling [n] [max_threads] [reps] [op]     (defaults 67108864, all cores, 5, forward_mask)
 *
 * For T = 1 .. max_threads: simdrop_set_num_threads(T), then the best of `reps` calls of the
 * operation on n floats (forward with mask, or backward), checked bit for bit against the
 * one-thread result (output and mask), next to T threads each copying n/T floats with memcpy
 * (the same bytes: x read, y written). Wall-clock time, since the work spans threads. Prints one
 * line per T for bench/report.py:
 *   SCALING op=forward_mask threads=2 n=67108864 simdrop=5.12 memcpy=5.30 ratio=0.966 identical=1
 * (rates in Gelem/s). Exit status 1 if any thread count changed a bit. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simdrop.h"
#include "alloc_big.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The memcpy baseline: thread t copies its share; all start at a barrier. */
typedef struct copy_share {
    float *y;
    const float *x;
    size_t count;
    pthread_barrier_t *start;
    double t_begin, t_end;
} copy_share;

static void *copy_main(void *arg)
{
    copy_share *c = arg;
    pthread_barrier_wait(c->start);
    c->t_begin = now();
    memcpy(c->y, c->x, c->count * sizeof(float));
    c->t_end = now();
    return NULL;
}

static double threaded_memcpy(float *y, const float *x, size_t n, int threads)
{
    pthread_t tid[256];
    copy_share share[256];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int t = 0; t < threads; t++) {
        const size_t b = n / threads * t, e = t == threads - 1 ? n : n / threads * (t + 1);
        share[t] = (copy_share){y + b, x + b, e - b, &start, 0, 0};
        pthread_create(&tid[t], NULL, copy_main, &share[t]);
    }
    /* From the first copy's start to the last one's end: thread start-up is not memcpy's cost
     * (the library's pool is parked, not started, between calls). */
    double first = 1e300, last = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        first = share[t].t_begin < first ? share[t].t_begin : first;
        last = share[t].t_end > last ? share[t].t_end : last;
    }
    pthread_barrier_destroy(&start);
    return last - first;
}

static int run(int backward, float *y, uint8_t *mask, const float *x, size_t n, uint64_t seed)
{
    return backward ? simdrop_backward_f32(y, x, mask, n, 0.1)
                    : simdrop_forward_f32(y, mask, x, n, 0.1, seed, 0);
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : (size_t)1 << 26;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const int max_threads = argc > 2 ? atoi(argv[2]) : (int)(cores > 0 ? cores : 1);
    const int reps = argc > 3 ? atoi(argv[3]) : 5;
    const int backward = argc > 4 && !strcmp(argv[4], "backward");
    if (max_threads < 1 || max_threads > 256 || reps < 1 ||
        (argc > 4 && !backward && strcmp(argv[4], "forward_mask"))) {
        fprintf(stderr, "usage: scaling [n] [max_threads 1..256] [reps] [forward_mask|backward]\n");
        return 2;
    }
    float *x = alloc_big(n * sizeof(float)), *y = alloc_big(n * sizeof(float));
    float *y1 = alloc_big(n * sizeof(float));
    uint8_t *mask = alloc_big(n / 8 + 1), *mask1 = alloc_big(n / 8 + 1);
    if (!x || !y || !y1 || !mask || !mask1) {
        fprintf(stderr, "scaling: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++) /* first touch of every page, outside the timings */
        x[i] = (float)(int)(i % 2001 - 1000) * 1e-3f;
    memset(y, 0, n * sizeof(float));
    memset(y1, 0, n * sizeof(float));
    memset(mask, 0, n / 8 + 1);
    simdrop_mask(mask1, n, 0.1, 42, 0); /* backward's input mask */
    memcpy(mask, mask1, n / 8 + 1);

    int all_identical = 1;
    for (int threads = 1; threads <= max_threads; threads++) {
        if (simdrop_set_num_threads(threads) != SIMDROP_OK)
            return 2;
        double best = 1e30, best_copy = 1e30;
        for (int r = 0; r < reps; r++) { /* interleaved, so drift hits both alike */
            const double t0 = now();
            if (run(backward, y, mask, x, n, 42) != SIMDROP_OK)
                return 2;
            const double dt = now() - t0;
            best = dt < best ? dt : best;
            const double dc = threaded_memcpy(y1, x, n, threads);
            best_copy = dc < best_copy ? dc : best_copy;
        }
        /* The bits of one thread: recompute on one thread and compare. */
        simdrop_set_num_threads(1);
        if (run(backward, y1, mask1, x, n, 42) != SIMDROP_OK)
            return 2;
        const int identical = !memcmp(y, y1, n * sizeof(float)) && !memcmp(mask, mask1, n / 8 + 1);
        all_identical &= identical;
        printf("SCALING op=%s threads=%d n=%zu simdrop=%.3f memcpy=%.3f ratio=%.3f identical=%d\n",
               backward ? "backward" : "forward_mask", threads, n, (double)n / best * 1e-9,
               (double)n / best_copy * 1e-9, best_copy / best, identical);
        fflush(stdout);
    }
    free(x), free(y), free(y1), free(mask), free(mask1);
    return all_identical ? 0 : 1;
}
