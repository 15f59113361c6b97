/* gpu_opencl.c: libsimdrop_opencl as a backend of the GPU tests: the first OpenCL device (PoCL in CI), one program built per process, buffers as sub-buffers. */
#define CL_TARGET_OPENCL_VERSION 120
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdrop_opencl.h"
#include "entry_list.h" /* gpu/ */
#include "backend.h"

static cl_context context;
static cl_device_id device;
static cl_command_queue queue;
static simdrop_cl *program; /* built once for the whole process: PoCL compiles for seconds */
extern gpu_backend gpu_this;
static char device_name[256], why[512];

static void fail(const char *what, cl_int e)
{
    fprintf(stderr, "gpu_opencl: %s failed: %d\n", what, (int)e);
    exit(2);
}

/* The first device of the first platform that has one. No platform or device: skipped (77),
 * unless SIMDROP_TEST_REQUIRE_OPENCL=1 (tests/run.sh: CI must run these tests). */
static int cl_init(void)
{
    cl_platform_id platforms[8];
    cl_uint count = 0;
    device = NULL;
    if (clGetPlatformIDs(8, platforms, &count) != CL_SUCCESS)
        count = 0;
    for (cl_uint i = 0; i < count && !device; i++)
        if (clGetDeviceIDs(platforms[i], CL_DEVICE_TYPE_ALL, 1, &device, NULL) != CL_SUCCESS)
            device = NULL;
    if (!device) {
        snprintf(why, sizeof why, "no OpenCL platform with a device (%u platforms)", count);
        const char *req = getenv("SIMDROP_TEST_REQUIRE_OPENCL");
        return req && !strcmp(req, "1") ? 1 : 77;
    }
    clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof device_name, device_name, NULL);
    cl_uint bits = 8;
    clGetDeviceInfo(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, NULL);
    gpu_this.align = bits / 8 ? bits / 8 : 1;
    cl_int e;
    context = clCreateContext(NULL, 1, &device, NULL, NULL, &e);
    if (e)
        fail("clCreateContext", e);
    queue = clCreateCommandQueue(context, device, 0, &e);
    if (e)
        fail("clCreateCommandQueue", e);
    const clock_t t0 = clock();
    int status;
    program = simdrop_cl_create(context, device, &status);
    if (!program) {
        snprintf(why, sizeof why, "%s", simdrop_cl_last_error());
        fprintf(stderr, "gpu_opencl: %s\n", why);
        return 1;
    }
    printf("  simdrop_cl_create on %s: %.2f s of CPU time\n", device_name,
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    return 0;
}

static const char *cl_device(void)
{
    return device_name;
}

static void *cl_alloc(size_t bytes)
{
    cl_int e;
    cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, NULL, &e);
    return e ? NULL : m;
}

static void cl_release(void *buf)
{
    clReleaseMemObject((cl_mem)buf);
}

static void *cl_view(void *buf, size_t offset, size_t bytes)
{
    const cl_buffer_region region = {offset, bytes};
    cl_int e;
    cl_mem m = clCreateSubBuffer((cl_mem)buf, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                 &region, &e);
    if (e)
        fail("clCreateSubBuffer", e);
    return m;
}

static void cl_upload(void *buf, size_t offset, const void *src, size_t bytes)
{
    const cl_int e = clEnqueueWriteBuffer(queue, (cl_mem)buf, CL_TRUE, offset, bytes, src, 0, NULL, NULL);
    if (e)
        fail("clEnqueueWriteBuffer", e);
}

static void cl_download(void *dst, void *buf, size_t offset, size_t bytes)
{
    const cl_int e = clEnqueueReadBuffer(queue, (cl_mem)buf, CL_TRUE, offset, bytes, dst, 0, NULL, NULL);
    if (e)
        fail("clEnqueueReadBuffer", e);
}

/* Entry `entry` of gpu/entry_list.h through its simdrop_cl_ function. */
#define SIMDROP_GPU_OUT(T) cl_mem
#define SIMDROP_GPU_IN(T) cl_mem
enum {
#define ENTRY_ID(fn, ENTRY, DTYPE, SIG, T, A) ENTRY_##fn,
    SIMDROP_GPU_ENTRIES(ENTRY_ID)
#undef ENTRY_ID
};

static int cl_call(size_t entry, void *const *h, ent_shape s, double p, uint64_t seed, uint64_t offset)
{
    /* the block of the block functions (entry_list.h's FROM shapes take &blk) */
    const simdrop_block blk = {s.a, s.b, s.row0, s.col0, s.global_cols, s.ldx, s.ldy};
    switch (entry) {
#define ENTRY_CALL(fn, ENTRY, DTYPE, SIG, T, A)                                                    \
    case ENTRY_##fn: return simdrop_cl_##fn(program, queue, SIMDROP_GPU_FROM_##SIG(T, A));
        SIMDROP_GPU_ENTRIES(ENTRY_CALL)
#undef ENTRY_CALL
    }
    return -100;
}

static int cl_finish(void)
{
    return clFinish(queue);
}

static const char *cl_last_error(void)
{
    return program ? simdrop_cl_last_error() : why;
}

/* What only OpenCL can get wrong: a queue of another context (the OpenCL error in the message,
 * nothing written), a NULL program, and a second program in the same process. */
static void cl_extra_checks(void (*expect)(int ok, const char *what))
{
    cl_int e;
    cl_context other = clCreateContext(NULL, 1, &device, NULL, NULL, &e);
    cl_command_queue other_queue = clCreateCommandQueue(other, device, 0, &e);
    cl_mem y = clCreateBuffer(context, CL_MEM_READ_WRITE, 64, NULL, &e);
    cl_mem x = clCreateBuffer(context, CL_MEM_READ_WRITE, 64, NULL, &e);
    unsigned char zeros[64] = {0}, back[64];
    cl_upload(y, 0, zeros, 64);
    cl_upload(x, 0, zeros, 64);
    const int status = simdrop_cl_forward_f32(program, other_queue, y, NULL, x, 16, 0.5, 1, 0);
    clFinish(other_queue);
    printf("  a queue of another context: status %d, \"%s\"\n", status, simdrop_cl_last_error());
    cl_download(back, y, 0, 64);
    const char *msg = simdrop_cl_last_error();
    expect(status == SIMDROP_EDEVICE, "a queue of another context: SIMDROP_EDEVICE");
    static const char start[] = "simdrop_cl_forward_f32: clEnqueueNDRangeKernel(";
    expect(!strncmp(msg, start, sizeof start - 1) &&
               strstr(msg, "CL_INVALID_CONTEXT") && strstr(msg, "(SIMDROP_EDEVICE)"),
           "a queue of another context: the message names the OpenCL call and its error");
    expect(!memcmp(back, zeros, 64), "a queue of another context: nothing written");
    expect(simdrop_cl_forward_f32(NULL, queue, y, NULL, x, 16, 0.5, 1, 0) == SIMDROP_ENULL &&
               !strcmp(simdrop_cl_last_error(), "simdrop_cl_forward_f32: s is NULL (SIMDROP_ENULL)"),
           "a NULL simdrop_cl: SIMDROP_ENULL");
    clReleaseMemObject(y);
    clReleaseMemObject(x);
    clReleaseCommandQueue(other_queue);
    clReleaseContext(other);
    const clock_t t0 = clock();
    simdrop_cl *again = simdrop_cl_create(context, device, &e);
    printf("  a second simdrop_cl_create: %.2f s of CPU time\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    expect(again != NULL && e == SIMDROP_OK, "a second simdrop_cl_create");
    simdrop_cl_destroy(again);
}

gpu_backend gpu_this = {"opencl", "simdrop_cl_", 1, 1, 0, cl_init, cl_device, cl_alloc, cl_release,
                        cl_view, cl_release, cl_upload, cl_download, cl_call, cl_finish,
                        cl_last_error, cl_extra_checks};
