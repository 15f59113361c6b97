/* scaling.c: multi-core scaling of forward dropout, sharded over threads by offset, checked bit-exact.
 *
 * Each thread count T splits one tensor of n floats into T contiguous shards; thread t calls
 * simdrop_forward_f32 on its shard with offset = its first index. The output and mask must equal
 * a single call's (sharding invariance), and the best of several runs gives GB/s (x read + y
 * written + mask written), next to a multi-threaded memcpy of the same bytes.
 *   scaling [n] [max_threads] [reps]        (defaults 67108864, all cores, 5)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simdrop.h"

typedef struct shard {
    float *y;
    uint8_t *mask;
    const float *x;
    size_t begin, count;
    int copy; /* 1: memcpy baseline instead of dropout */
    pthread_barrier_t *start;
    double t_begin, t_end;
} shard;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *run_shard(void *arg)
{
    shard *s = (shard *)arg;
    pthread_barrier_wait(s->start);
    s->t_begin = now();
    if (s->copy)
        memcpy(s->y + s->begin, s->x + s->begin, s->count * sizeof(float));
    else if (simdrop_forward_f32(s->y + s->begin, s->mask + s->begin / 8, s->x + s->begin,
                                 s->count, 0.1, 1234, s->begin) != 0)
        abort();
    s->t_end = now();
    return NULL;
}

/* Runs one sharded pass over T threads; returns its wall time, from the first worker's start to
 * the last one's end (the workers time themselves: on a small machine the main thread may not
 * run again until they are done). Shards start at multiples of 8 so each writes whole bytes. */
static double pass(float *y, uint8_t *mask, const float *x, size_t n, int threads, int copy)
{
    pthread_t tid[256];
    shard sh[256];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    const size_t per = (n / (size_t)threads) & ~(size_t)7;
    for (int t = 0; t < threads; t++) {
        const size_t begin = per * (size_t)t;
        sh[t] = (shard){y, mask, x, begin, t == threads - 1 ? n - begin : per, copy, &start, 0, 0};
        pthread_create(&tid[t], NULL, run_shard, &sh[t]);
    }
    pthread_barrier_wait(&start);
    double first = 1e300, last = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        first = sh[t].t_begin < first ? sh[t].t_begin : first;
        last = sh[t].t_end > last ? sh[t].t_end : last;
    }
    pthread_barrier_destroy(&start);
    return last - first;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : (size_t)1 << 26;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int max_threads = argc > 2 ? atoi(argv[2]) : (int)(cores > 0 ? cores : 1);
    const int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (max_threads > 256)
        max_threads = 256;

    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    float *ref = malloc(n * sizeof(float));
    uint8_t *mask = malloc(n / 8 + 1), *ref_mask = malloc(n / 8 + 1);
    if (!x || !y || !ref || !mask || !ref_mask)
        return 2;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(i % 1000) * 0.01f - 5.0f;
    if (simdrop_forward_f32(ref, ref_mask, x, n, 0.1, 1234, 0) != 0)
        return 2;

    const double bytes = (double)n * (2 * sizeof(float)) + (double)n / 8;
    printf("scaling: path %s, n = %zu floats, %d cores, best of %d\n", simdrop_isa(), n,
           (int)cores, reps);
    printf("%8s %12s %12s %10s %s\n", "threads", "GB/s", "memcpy GB/s", "vs memcpy", "bits");
    int failures = 0;
    for (int threads = 1; threads <= max_threads; threads *= 2) {
        double best = 1e30, best_copy = 1e30;
        for (int r = 0; r < reps; r++) {
            memset(mask, 0, n / 8 + 1);
            const double t = pass(y, mask, x, n, threads, 0);
            best = t < best ? t : best;
            const double c = pass(y, mask, x, n, threads, 1);
            best_copy = c < best_copy ? c : best_copy;
            pass(y, mask, x, n, threads, 0); /* leave the dropout result for the check */
        }
        const int same = !memcmp(y, ref, n * sizeof(float)) && !memcmp(mask, ref_mask, n / 8);
        failures += !same;
        printf("%8d %12.1f %12.1f %9.2fx %s\n", threads, bytes / best / 1e9,
               (double)n * 2 * sizeof(float) / best_copy / 1e9,
               best_copy / best,
               same ? "identical to one call" : "DIFFERENT");
        if (threads < max_threads && threads * 2 > max_threads)
            threads = max_threads / 2; /* end on max_threads itself */
    }
    printf("scaling: %d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    free(x), free(y), free(ref), free(mask), free(ref_mask);
    return failures != 0;
}
