/* store_rule.c: the measurement behind src/dispatch.c's store rule: each size with non-temporal and with regular stores forced, against memcpy.
 *
 *   store_rule [--consume] [--misalign=B] [reps] [op] [dtype] [MiB ...]
 *                                       (defaults 9, forward_mask, f32, 16 32 64 128 256 512)
 *
 * op: forward_mask, forward or backward; dtype: f32, f64 or bf16. For each output size (MiB of
 * the dtype's elements) the call runs on one thread, `reps` times with each store kind in turn
 * (interleaved, so that a neighbour's burst of load hits both), and memcpy of the same bytes; it
 * prints the best and the median CPU time of each as GB/s of bytes in + out (bitmask left out),
 * and regular / non-temporal of the medians:
 *   STORE op=forward_mask dtype=f32 mib=64 nt_best=.. nt_med=.. regular_best=.. regular_med=..
 *         memcpy_best=.. memcpy_med=.. regular_over_nt=..
 * --consume times each call together with a pass that reads its output (a sum, as the next layer
 * would read it), which is where regular stores win while the output still fits in the cache.
 * --misalign=B puts y (and memcpy's destination) B bytes past a 64-byte boundary, as glibc's large
 * malloc blocks are (16): non-temporal stores forced then go through the kernels' aligned
 * buffer (simd_template.h's bounced loops), which is what the store rule chooses for such a y.
 * The library's own rule (simdrop_nt_bytes) is printed first. Outputs are checked to be the
 * same bits with either store kind. Links the static library: it forces the store kind through
 * simdrop_nt_bytes_override, the tests' hook. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdrop.h"
#include "dispatch.h"
#include "alloc_big.h"

static void *alloc_zeroed(size_t bytes)
{
    void *p = alloc_big(bytes);
    if (!p) {
        fprintf(stderr, "store_rule: cannot allocate %zu bytes\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { NT, REGULAR, MEMCPY, KINDS };

static int run(const char *op, const char *dtype, void *y, uint8_t *m, const void *x, size_t n)
{
    const int fwd = strcmp(op, "backward") != 0, with_mask = !strcmp(op, "forward_mask");
    uint8_t *mask = with_mask ? m : NULL;
    if (!strcmp(dtype, "f64"))
        return fwd ? simdrop_forward_f64(y, mask, x, n, 0.1, 7, 0) : simdrop_backward_f64(y, x, m, n, 0.1);
    if (!strcmp(dtype, "bf16"))
        return fwd ? simdrop_forward_bf16(y, mask, x, n, 0.1, 7, 0) : simdrop_backward_bf16(y, x, m, n, 0.1);
    return fwd ? simdrop_forward_f32(y, mask, x, n, 0.1, 7, 0) : simdrop_backward_f32(y, x, m, n, 0.1);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The next layer's read of the output: a sum of its 64-bit words. */
static uint64_t consume(const void *y, size_t bytes)
{
    const uint64_t *w = y;
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes / 8; i++)
        sum += w[i];
    return sum;
}

int main(int argc, char **argv)
{
    const int consuming = argc > 1 && !strcmp(argv[1], "--consume");
    if (consuming)
        argc--, argv++;
    size_t misalign = 0;
    if (argc > 1 && !strncmp(argv[1], "--misalign=", 11)) {
        misalign = strtoul(argv[1] + 11, NULL, 10);
        argc--, argv++;
    }
    volatile uint64_t sink = 0; /* keeps the consuming reads */
    const int reps = argc > 1 ? atoi(argv[1]) : 9;
    const char *op = argc > 2 ? argv[2] : "forward_mask", *dtype = argc > 3 ? argv[3] : "f32";
    static const size_t default_mib[] = {16, 32, 64, 128, 256, 512};
    const size_t es = !strcmp(dtype, "f64") ? 8 : !strcmp(dtype, "bf16") ? 2 : 4;
    if (reps < 1 || misalign >= 64 || (strcmp(dtype, "f32") && strcmp(dtype, "f64") && strcmp(dtype, "bf16")) ||
        (strcmp(op, "forward_mask") && strcmp(op, "forward") && strcmp(op, "backward"))) {
        fprintf(stderr, "usage: store_rule [--consume] [--misalign=B] [reps] [forward_mask|forward|backward] [f32|f64|bf16] [MiB ...]\n");
        return 2;
    }
    /* One thread: the clock is this thread's CPU time, which a split call's workers would escape. */
    if (simdrop_set_num_threads(1) != SIMDROP_OK) {
        fprintf(stderr, "store_rule: cannot set one thread\n");
        return 1;
    }
    const int nsizes = argc > 4 ? argc - 4 : (int)(sizeof default_mib / sizeof default_mib[0]);
    printf("STORE_RULE path=%s nt_bytes=%zu%s misalign=%zu\n", simdrop_isa(), simdrop_nt_bytes(),
           consuming ? " consume=1" : "", misalign);
    for (int s = 0; s < nsizes; s++) {
        const size_t mib = argc > 4 ? (size_t)strtoul(argv[4 + s], NULL, 10) : default_mib[s];
        const size_t bytes = mib << 20, n = bytes / es;
        void *x = alloc_zeroed(bytes), *y_base = alloc_zeroed(bytes + 64), *want = alloc_zeroed(bytes);
        void *y = (char *)y_base + misalign;
        uint8_t *m = alloc_zeroed(n / 8 + 1), *want_m = alloc_zeroed(n / 8 + 1);
        for (size_t i = 0; i < bytes; i += 4) /* ordinary finite values of every dtype */
            memcpy((char *)x + i, &(uint32_t){0x3f003f00u + (uint32_t)(i * 2654435761u >> 20) % 0x3ff}, 4);
        simdrop_mask(m, n, 0.1, 7, 0);
        double t[KINDS][64];
        const int r = reps < 64 ? reps : 64;
        for (int i = 0; i < r; i++) {
            for (int k = 0; k < KINDS; k++) {
                simdrop_nt_bytes_override(k == NT ? 1 : SIZE_MAX);
                /* Timed the second time in a row: each kind then finds y where its own stores
                 * leave it (regular ones in the cache, non-temporal ones in DRAM), as in a loop
                 * of calls, not where the kind before it left y (timed right after a
                 * non-temporal call, a regular one read every line of y back from DRAM: 0.4-0.6x
                 * of its own speed on the Intel VM of model 207). */
                int status = 0;
                double t0 = 0;
                for (int pass = 0; pass < 2 && !status; pass++) {
                    t0 = cpu_seconds();
                    status = k == MEMCPY ? (memcpy(y, x, bytes), 0) : run(op, dtype, y, m, x, n);
                    if (consuming)
                        sink += consume(y, bytes);
                }
                t[k][i] = cpu_seconds() - t0;
                if (status) {
                    fprintf(stderr, "store_rule: %s\n", simdrop_strerror(status));
                    return 1;
                }
                if (i == 0 && k == NT)
                    memcpy(want, y, bytes), memcpy(want_m, m, n / 8 + 1);
                /* (m: forward_mask writes it too; the others read it, unchanged) */
                if (i == 0 && k == REGULAR && (memcmp(want, y, bytes) || memcmp(want_m, m, n / 8 + 1))) {
                    fprintf(stderr, "store_rule: the store kinds gave different bits\n");
                    return 1;
                }
            }
        }
        simdrop_nt_bytes_override(0);
        double best[KINDS], med[KINDS];
        for (int k = 0; k < KINDS; k++) {
            qsort(t[k], (size_t)r, sizeof t[k][0], cmp_double);
            best[k] = 2.0 * (double)bytes / t[k][0] * 1e-9;
            med[k] = 2.0 * (double)bytes / t[k][r / 2] * 1e-9;
        }
        printf("STORE op=%s dtype=%s mib=%zu nt_best=%.1f nt_med=%.1f regular_best=%.1f regular_med=%.1f "
               "memcpy_best=%.1f memcpy_med=%.1f regular_over_nt=%.2f\n", op, dtype, mib, best[NT],
               med[NT], best[REGULAR], med[REGULAR], best[MEMCPY], med[MEMCPY], med[REGULAR] / med[NT]);
        fflush(stdout);
        free(x), free(y_base), free(want), free(m), free(want_m);
    }
    return 0;
}
