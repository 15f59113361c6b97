/* icount.c: calls of one operation on one forced path, for counting instructions under qemu-user (bench/vla_counts.py). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdrop.h"

/* The operands of every operation: 8 bytes an element, any dtype. */
typedef struct operands {
    unsigned char *x, *y, *r, *bias;
    uint8_t *mask;
} operands;

/* One call of `op` over n elements (offset 0, p = 0.1); -1 for an unknown name. */
static int call(const char *op, const operands *o, size_t n)
{
    const double p = 0.1;
    float *y = (float *)(void *)o->y;
    const float *x = (const float *)(void *)o->x;
    if (!strcmp(op, "forward_f32"))
        return simdrop_forward_f32(y, o->mask, x, n, p, 1, 0);
    if (!strcmp(op, "forward_f32_nomask"))
        return simdrop_forward_f32(y, NULL, x, n, p, 1, 0);
    if (!strcmp(op, "backward_f32"))
        return simdrop_backward_f32(y, x, o->mask, n, p);
    if (!strcmp(op, "forward_f64"))
        return simdrop_forward_f64((double *)(void *)o->y, o->mask, (const double *)(void *)o->x,
                                   n, p, 1, 0);
    if (!strcmp(op, "forward_bf16"))
        return simdrop_forward_bf16((uint16_t *)(void *)o->y, o->mask,
                                    (const uint16_t *)(void *)o->x, n, p, 1, 0);
    if (!strcmp(op, "forward_f16"))
        return simdrop_forward_f16((uint16_t *)(void *)o->y, o->mask,
                                   (const uint16_t *)(void *)o->x, n, p, 1, 0);
    if (!strcmp(op, "bias_dropout_add_f32")) /* rows of 1024 */
        return simdrop_bias_dropout_add_f32(y, o->mask, x, (const float *)(void *)o->bias,
                                            (const float *)(void *)o->r, n / 1024, 1024, p, 1, 0);
    if (!strcmp(op, "mask"))
        return simdrop_mask(o->mask, n, p, 1, 0);
    return -1;
}

/* usage: icount PATH OPERATION N CALLS
 * Calls OPERATION CALLS times over the same N elements on PATH (one thread) and prints nothing
 * but errors. Everything else the process does (loading, dispatch, filling the inputs) is the
 * same for every CALLS, so the count of 2 calls less that of 1 call is one call: walk, block
 * seeding and kernel together, as the benchmark report counts it. */
int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: icount PATH OPERATION N CALLS\n");
        return 2;
    }
    const size_t n = strtoull(argv[3], NULL, 10), calls = strtoull(argv[4], NULL, 10);
    int rc = simdrop_set_isa(argv[1]);
    if (rc) {
        fprintf(stderr, "icount: path %s: %s\n", argv[1], simdrop_strerror(rc));
        return 1;
    }
    operands o = {malloc(8 * n), malloc(8 * n), malloc(8 * n), calloc(1024, 8), calloc(n / 8 + 1, 1)};
    if (!o.x || !o.y || !o.r || !o.bias || !o.mask)
        return 2;
    for (size_t i = 0; i < 2 * n; i++) { /* finite values, whatever the dtype reads */
        ((float *)(void *)o.x)[i] = 1.0f + (float)i / (float)n;
        ((float *)(void *)o.r)[i] = 0.5f;
    }
    for (size_t k = 0; k < calls; k++) {
        rc = call(argv[2], &o, n);
        if (rc) {
            fprintf(stderr, "icount: %s on %s: %s\n", argv[2], argv[1],
                    rc < 0 ? "unknown operation" : simdrop_strerror(rc));
            return 1;
        }
    }
    free(o.x);
    free(o.y);
    free(o.r);
    free(o.bias);
    free(o.mask);
    return 0;
}
