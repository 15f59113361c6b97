/* xsmm_bench.c: libxsmm's dropout TPP (JIT, bitmask) beside simdrop, one thread, p = 0.1: the optional peer baseline of the report.
 *
 * Built by bench/report.sh only when LIBXSMM_DIR names a libxsmm build that has the dropout TPP
 * (libxsmm main; Debian's 1.17 predates it):
 *   xsmm_bench N [reps]  ->  XSMM n=N libxsmm_forward=G simdrop_forward=G libxsmm_backward=G
 *                            simdrop_backward=G memcpy=G   (Gelem/s, thread CPU time, best of reps)
 * The semantics differ (libxsmm turns a dropped NaN or Inf into +0, and its masks change with
 * the ISA, the split and the thread count), so only the speed is compared. */
#define _GNU_SOURCE
#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdrop.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 65536;
    const int reps = argc > 2 ? atoi(argv[2]) : 7;
    /* libxsmm's TPPs take an M x N matrix: rows of 4096 (or the whole call when smaller). */
    const libxsmm_blasint m = n >= 4096 ? 4096 : (libxsmm_blasint)n, cols = (libxsmm_blasint)(n / (size_t)m);
    float *x = aligned_alloc(64, n * 4 + 64), *y = aligned_alloc(64, n * 4 + 64);
    unsigned char *mask_x = aligned_alloc(64, n / 8 + 64), *mask_s = aligned_alloc(64, n / 8 + 64);
    if (!x || !y || !mask_x || !mask_s || (size_t)m * (size_t)cols != n) {
        fprintf(stderr, "xsmm_bench: n must be a multiple of 4096 (or smaller), memory must suffice\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(int)(i % 2001 - 1000) * 1e-3f;
    memset(y, 0, n * 4);
    memset(mask_x, 0, n / 8 + 64);
    /* One thread: the clock is this thread's CPU time, which a split call's workers would escape
     * (SIMDROP_NUM_THREADS in the environment). */
    int status = simdrop_set_num_threads(1);
    if (status == SIMDROP_OK)
        status = simdrop_mask(mask_s, n, 0.1, 7, 0);
    if (status != SIMDROP_OK) {
        fprintf(stderr, "xsmm_bench: %s\n", simdrop_strerror(status));
        return 2;
    }

    libxsmm_init();
    float p = 0.1f;
    unsigned int *rng = libxsmm_rng_create_extstate(555);
    const libxsmm_meltw_unary_shape shape = libxsmm_create_meltw_unary_shape(
        m, cols, m, m, LIBXSMM_DATATYPE_F32, LIBXSMM_DATATYPE_F32, LIBXSMM_DATATYPE_F32);
    const libxsmm_meltw_unary_flags bits = LIBXSMM_MELTW_FLAG_UNARY_BITMASK_2BYTEMULT;
    libxsmm_meltwfunction_unary fwd = libxsmm_dispatch_meltw_unary(LIBXSMM_MELTW_TYPE_UNARY_DROPOUT, shape, bits);
    libxsmm_meltwfunction_unary bwd = libxsmm_dispatch_meltw_unary(LIBXSMM_MELTW_TYPE_UNARY_DROPOUT_INV, shape, bits);
    if (!fwd || !bwd) {
        fprintf(stderr, "xsmm_bench: this libxsmm has no dropout TPP\n");
        return 2;
    }
    libxsmm_meltw_unary_param pf, pb;
    memset(&pf, 0, sizeof pf);
    memset(&pb, 0, sizeof pb);
    pf.op.primary = &p;
    pf.op.secondary = rng;
    pf.in.primary = x;
    pf.out.primary = y;
    pf.out.secondary = mask_x;
    pb.op.primary = &p;
    pb.in.primary = x;
    pb.in.secondary = mask_x;
    pb.out.primary = y;

    double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
    const int iters = n <= 65536 ? 2000 : n <= ((size_t)1 << 20) ? 100 : 6;
    uint64_t seed = 1;
    for (int r = 0; r < reps; r++) /* interleaved, so drift hits every contender alike */
        for (int k = 0; k < 5; k++) {
            const double t0 = cpu_now();
            for (int i = 0; i < iters; i++) {
                switch (k) {
                case 0: fwd(&pf); break;
                case 1: status |= simdrop_forward_f32(y, mask_s, x, n, 0.1, seed++, 0); break;
                case 2: bwd(&pb); break;
                case 3: status |= simdrop_backward_f32(y, x, mask_s, n, 0.1); break;
                default: memcpy(y, x, n * 4); break;
                }
            }
            const double t = (cpu_now() - t0) / iters;
            best[k] = t < best[k] ? t : best[k];
        }
    if (status != SIMDROP_OK) { /* a failed call returns at once: its "rate" would be a lie */
        fprintf(stderr, "xsmm_bench: a simdrop call failed (status bits %d)\n", status);
        return 2;
    }
    printf("XSMM n=%zu libxsmm_forward=%.3f simdrop_forward=%.3f libxsmm_backward=%.3f "
           "simdrop_backward=%.3f memcpy=%.3f\n",
           n, n / best[0] * 1e-9, n / best[1] * 1e-9, n / best[2] * 1e-9, n / best[3] * 1e-9,
           n / best[4] * 1e-9);
    libxsmm_rng_destroy_extstate(rng);
    return 0;
}
