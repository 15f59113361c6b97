/* gpu_c.c: the GPU kernels compiled as plain C, run through gpu/launch.c as the CUDA and OpenCL libraries run them (host_executor.c): the host-C backend of the GPU tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_executor.h" /* the kernels as C, run through gpu/launch.c */
#include "entry_list.h"
#include "backend.h"

/* ---- the test backend --------------------------------------------------------------------------- */

static char last_error[512];

/* The entry points of gpu/entry_list.h: their rows of check.h and dtypes. */
static const struct {
    int entry, dtype;
} entry_rows[] = {
#define ENTRY_ROW(fn, ENTRY, DTYPE, SIG, T, A) {SIMDROP_ENTRY_##ENTRY, DTYPE},
    SIMDROP_GPU_ENTRIES(ENTRY_ROW)
#undef ENTRY_ROW
};

static int c_call(size_t entry, void *const *h, ent_shape s, double p, uint64_t seed, uint64_t offset)
{
    simdrop_gpu_call call;
    const simdrop_block blk = {s.a, s.b, s.row0, s.col0, s.global_cols, s.ldx, s.ldy};
    const int with_block = simdrop_signatures[entry_rows[entry].entry].shape == SIMDROP_SHAPE_BLOCK;
    simdrop_gpu_call_init(&call, entry_rows[entry].entry, entry_rows[entry].dtype, s.a, s.b, s.c,
                          with_block ? &blk : NULL, s.granule, p, seed, offset);
    for (int i = 0; i < simdrop_signatures[call.entry].nbufs; i++) {
        call.desc[i] = simdrop_buf_ptr(h[i]);
        call.buf[i] = h[i];
    }
    /* Every 13th call's scratch allocation fails, as a device's may: the call must fail cleanly,
     * with nothing written. The calls run on 1, 2 or 3 threads in turn. */
    static unsigned calls;
    calls++;
    simdrop_host_fail_alloc = calls % 13 == 0;
    simdrop_host_max_threads = 1 + calls % 3;
    const int status = simdrop_gpu_run(&simdrop_host_executor, NULL, &call, last_error,
                                       sizeof last_error);
    simdrop_host_fail_alloc = 0;
    return status;
}

/* Host memory as device memory: 64-byte aligned blocks. */
static void *c_alloc_buf(size_t bytes)
{
    unsigned char *base = (unsigned char *)malloc(bytes + 64 + sizeof(void *));
    if (!base)
        return NULL;
    unsigned char *p = base + sizeof(void *);
    p += (64 - (uintptr_t)p % 64) % 64;
    memcpy(p - sizeof(void *), &base, sizeof base);
    return p;
}

static void c_release_buf(void *buf)
{
    void *base;
    memcpy(&base, (unsigned char *)buf - sizeof(void *), sizeof base);
    free(base);
}

static void *c_view(void *buf, size_t offset, size_t bytes)
{
    (void)bytes;
    return (unsigned char *)buf + offset;
}

static void c_unview(void *view)
{
    (void)view;
}

static void c_upload(void *buf, size_t offset, const void *src, size_t bytes)
{
    memcpy((unsigned char *)buf + offset, src, bytes);
}

static void c_download(void *dst, void *buf, size_t offset, size_t bytes)
{
    memcpy(dst, (unsigned char *)buf + offset, bytes);
}

static int c_init(void)
{
    return 0;
}

static const char *c_device(void)
{
    return "the host CPU, gpu/kernels.h compiled as C (a thread runs a warp's 32 lanes)";
}

static int c_finish(void)
{
    return 0;
}

static const char *c_last_error(void)
{
    return last_error;
}

gpu_backend gpu_this = {"host-C", "simdrop_c_", 1, 0, 1, c_init, c_device, c_alloc_buf,
                              c_release_buf, c_view, c_unview, c_upload, c_download, c_call,
                              c_finish, c_last_error, NULL};
