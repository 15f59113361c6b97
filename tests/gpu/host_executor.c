/* host_executor.c: gpu/launch.c's executor on the host: the kernels of gpu/kernels.h compiled as plain C, scratch from malloc (host_executor.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h" /* gpu/: every kernel, as C functions (gpu/device.h's C branch) */
#include "host_executor.h"

typedef void (*kernel_fn)(SIMDROP_DEV_PARAMS);
#define KERNEL_FN(name, kind, rule, dt) simdrop_k_##name,
static const kernel_fn kernels[SIMDROP_GPU_KERNEL_COUNT] = {SIMDROP_GPU_KERNELS(KERNEL_FN)};

uint64_t simdrop_host_max_threads = 3;
int simdrop_host_fail_alloc;

static int host_alloc(void *ctx, uint64_t bytes, void **scratch, char *why, size_t size)
{
    (void)ctx;
    if (simdrop_host_fail_alloc) {
        simdrop_host_fail_alloc = 0;
        snprintf(why, size, "scratch of %llu bytes: out of memory (forced by the test)",
                 (unsigned long long)bytes);
        return SIMDROP_ENOMEM;
    }
    /* The host's "device" holds 1 TiB at most, as a real one holds what it has: a larger scratch
     * (a block over 2^64 global indices asks for 2^61 bytes) fails as it would on a device,
     * and never reaches malloc, which ASan aborts on rather than return NULL. */
    *scratch = bytes <= (uint64_t)1 << 40 ? malloc((size_t)bytes) : NULL;
    if (!*scratch) {
        snprintf(why, size, "scratch of %llu bytes: out of memory", (unsigned long long)bytes);
        return SIMDROP_ENOMEM;
    }
    memset(*scratch, 0xcd, bytes); /* no kernel may read what it did not write */
    return SIMDROP_OK;
}

#define U64_ARG(field) a->field,
static int host_launch(void *ctx, const simdrop_gpu_launch *l, void *const *buf, char *why,
                       size_t size)
{
    uint8_t *p[SIMDROP_GPU_SLOTS];
    (void)ctx, (void)why, (void)size;
    for (int s = 0; s < SIMDROP_GPU_SLOTS; s++)
        p[s] = l->slot[s] == SIMDROP_GPU_NONE ? NULL : (uint8_t *)buf[l->slot[s]];
    const simdrop_gpu_args *a = &l->a;
    const uint64_t planned = l->warp ? l->threads / 32 : l->threads;
    simdrop_dev_items = planned < simdrop_host_max_threads ? planned : simdrop_host_max_threads;
    for (simdrop_dev_item = 0; simdrop_dev_item < simdrop_dev_items; simdrop_dev_item++)
        kernels[l->kernel](p[SIMDROP_GPU_Y], p[SIMDROP_GPU_X], p[SIMDROP_GPU_BIAS],
                           p[SIMDROP_GPU_RESID], p[SIMDROP_GPU_MASK_OUT], p[SIMDROP_GPU_MASK_IN],
                           SIMDROP_GPU_U64_ARGS(U64_ARG) a->mul64, a->add64, a->drop64, a->mul,
                           a->add, a->drop, a->threshold, a->nan32);
    simdrop_dev_item = 0;
    simdrop_dev_items = 1;
    return SIMDROP_OK;
}

static int host_release(void *ctx, void *scratch, char *why, size_t size)
{
    (void)ctx, (void)why, (void)size;
    free(scratch);
    return SIMDROP_OK;
}

const simdrop_gpu_backend simdrop_host_executor = {"simdrop_c_", host_alloc, host_launch,
                                                   host_release};

simdrop_gpu_backend simdrop_host_executor_as(const char *prefix)
{
    simdrop_gpu_backend named = simdrop_host_executor;
    named.prefix = prefix;
    return named;
}
