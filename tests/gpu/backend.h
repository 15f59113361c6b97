/* backend.h: a GPU backend as its tests see it: device memory, one call of any entry point, the queue's end; each backend implements it once. */
#ifndef SIMDROP_TEST_GPU_BACKEND_H
#define SIMDROP_TEST_GPU_BACKEND_H

/* The equivalence harness (check_gpu.c) is written against this interface; the backends are
 * gpu_c.c (gpu/kernels.h compiled as C, run through gpu/launch.c as the GPU libraries run it),
 * gpu_opencl.c and gpu_cuda.cu. The entry points are numbered in the order of
 * gpu/entry_list.h's list. */

#include <stddef.h>
#include <stdint.h>

#include "entries.h" /* tests/: ent_shape */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gpu_backend {
    const char *name;
    const char *prefix;   /* of its entry points, as its messages start: "simdrop_cl_" */
    size_t align;         /* a view's offset is a multiple of this (OpenCL sub-buffers: set
                           * by init); 1: any */
    int has_capacity;     /* its checks know a buffer's size: a small one is SIMDROP_ESIZE */
    int forces_failures;  /* some of its device allocations fail on purpose (gpu_c.c): a call may
                           * then fail cleanly (SIMDROP_ENOMEM or _EDEVICE, nothing written);
                           * on the others such a failure is a failed check */
    /* 0 when ready, 77 when there is no device to run on (the program then skips) */
    int (*init)(void);
    const char *(*device)(void); /* the device's name, after init */
    void *(*alloc)(size_t bytes); /* device memory, aligned to at least 64 bytes; NULL: failed */
    void (*release)(void *buf);
    /* `bytes` bytes at `offset` of buf as a buffer of their own (a pointer, or a sub-buffer) */
    void *(*view)(void *buf, size_t offset, size_t bytes);
    void (*unview)(void *view);
    void (*upload)(void *buf, size_t offset, const void *src, size_t bytes);
    void (*download)(void *dst, void *buf, size_t offset, size_t bytes);
    /* entry `entry` of gpu/entry_list.h on views h[] (NULL for absent buffers) */
    int (*call)(size_t entry, void *const *h, ent_shape s, double p, uint64_t seed,
                uint64_t offset);
    int (*finish)(void);          /* waits for the queue: 0, or the device's failure */
    const char *(*last_error)(void);
    /* what only this backend can check, each result through expect(); or NULL */
    void (*extra_checks)(void (*expect)(int ok, const char *what));
} gpu_backend;

extern gpu_backend gpu_this; /* the backend a test program is linked with */

#ifdef __cplusplus
}
#endif

#endif
