/* simdrop_opencl.c: libsimdrop_opencl: the program built once from the embedded kernel source, the entry points of gpu/entry_list.h on cl_mem buffers, and the OpenCL executor of gpu/launch.c. */
#define CL_TARGET_OPENCL_VERSION 120
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdrop_opencl.h"
#include "entry_list.h"
#include "launch.h"

/* gpu/kernels.h and its includes as one string, made at build time (embed.py). */
extern const char simdrop_cl_program_source[];

#define LOCAL_ITEMS 64 /* work-group of the kernels without warps (a warp kernel's is 32) */

struct simdrop_cl {
    cl_context context;
    cl_device_id device;
    cl_program program;
    cl_kernel kernels[SIMDROP_GPU_KERNEL_COUNT];
    pthread_mutex_t lock; /* a kernel's arguments are set, then it is enqueued: one at a time */
};

static _Thread_local char last_error[1024];

const char *simdrop_cl_last_error(void)
{
    return last_error;
}

const char *simdrop_cl_strerror(int status)
{
    return simdrop_status_text(status);
}

const char *simdrop_cl_version(void)
{
    return SIMDROP_VERSION_STRING;
}

/* "CL_INVALID_CONTEXT (-34)" */
static const char *cl_error_name(cl_int e, char *buf, size_t size)
{
    static const struct {
        cl_int code;
        const char *name;
    } names[] = {
        {CL_DEVICE_NOT_FOUND, "CL_DEVICE_NOT_FOUND"},
        {CL_DEVICE_NOT_AVAILABLE, "CL_DEVICE_NOT_AVAILABLE"},
        {CL_COMPILER_NOT_AVAILABLE, "CL_COMPILER_NOT_AVAILABLE"},
        {CL_MEM_OBJECT_ALLOCATION_FAILURE, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
        {CL_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES"},
        {CL_OUT_OF_HOST_MEMORY, "CL_OUT_OF_HOST_MEMORY"},
        {CL_BUILD_PROGRAM_FAILURE, "CL_BUILD_PROGRAM_FAILURE"},
        {CL_MISALIGNED_SUB_BUFFER_OFFSET, "CL_MISALIGNED_SUB_BUFFER_OFFSET"},
        {CL_INVALID_VALUE, "CL_INVALID_VALUE"},
        {CL_INVALID_DEVICE, "CL_INVALID_DEVICE"},
        {CL_INVALID_CONTEXT, "CL_INVALID_CONTEXT"},
        {CL_INVALID_COMMAND_QUEUE, "CL_INVALID_COMMAND_QUEUE"},
        {CL_INVALID_MEM_OBJECT, "CL_INVALID_MEM_OBJECT"},
        {CL_INVALID_BUILD_OPTIONS, "CL_INVALID_BUILD_OPTIONS"},
        {CL_INVALID_PROGRAM, "CL_INVALID_PROGRAM"},
        {CL_INVALID_PROGRAM_EXECUTABLE, "CL_INVALID_PROGRAM_EXECUTABLE"},
        {CL_INVALID_KERNEL_NAME, "CL_INVALID_KERNEL_NAME"},
        {CL_INVALID_KERNEL, "CL_INVALID_KERNEL"},
        {CL_INVALID_ARG_INDEX, "CL_INVALID_ARG_INDEX"},
        {CL_INVALID_ARG_VALUE, "CL_INVALID_ARG_VALUE"},
        {CL_INVALID_ARG_SIZE, "CL_INVALID_ARG_SIZE"},
        {CL_INVALID_KERNEL_ARGS, "CL_INVALID_KERNEL_ARGS"},
        {CL_INVALID_WORK_DIMENSION, "CL_INVALID_WORK_DIMENSION"},
        {CL_INVALID_WORK_GROUP_SIZE, "CL_INVALID_WORK_GROUP_SIZE"},
        {CL_INVALID_WORK_ITEM_SIZE, "CL_INVALID_WORK_ITEM_SIZE"},
        {CL_INVALID_GLOBAL_WORK_SIZE, "CL_INVALID_GLOBAL_WORK_SIZE"},
        {CL_INVALID_EVENT_WAIT_LIST, "CL_INVALID_EVENT_WAIT_LIST"},
        {CL_INVALID_EVENT, "CL_INVALID_EVENT"},
        {CL_INVALID_BUFFER_SIZE, "CL_INVALID_BUFFER_SIZE"},
    };
    const char *name = "an OpenCL error";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e)
            name = names[i].name;
    snprintf(buf, size, "%s (%d)", name, (int)e);
    return buf;
}

/* "<what>: CL_... (code)" into why; SIMDROP_EDEVICE, or SIMDROP_ENOMEM for an allocation (a
 * scratch over the device's largest allocation is CL_INVALID_BUFFER_SIZE). */
static int cl_failed(cl_int e, const char *what, char *why, size_t size)
{
    char name[64];
    snprintf(why, size, "%s: %s", what, cl_error_name(e, name, sizeof name));
    return e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES ||
                   e == CL_OUT_OF_HOST_MEMORY || e == CL_INVALID_BUFFER_SIZE
               ? SIMDROP_ENOMEM
               : SIMDROP_EDEVICE;
}

/* ---- the program ----------------------------------------------------------------------------------- */

/* What the kernels need of the device, or why it cannot run them. */
static const char *unfit(cl_device_id device)
{
    cl_device_fp_config single = 0, dbl = 0;
    cl_bool little = CL_FALSE;
    size_t group = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof single, &single, NULL) ||
        clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof dbl, &dbl, NULL) ||
        clGetDeviceInfo(device, CL_DEVICE_ENDIAN_LITTLE, sizeof little, &little, NULL) ||
        clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof group, &group, NULL))
        return "clGetDeviceInfo failed";
    if (!dbl)
        return "the device has no double precision (cl_khr_fp64): f64 and the thresholds need it";
    if (!(single & CL_FP_DENORM))
        return "the device flushes single-precision denormals to zero: the bits would differ";
    const uint16_t one = 1;
    unsigned char host_little;
    memcpy(&host_little, &one, 1);
    if ((little == CL_TRUE) != (host_little == 1))
        return "the device's byte order is not the host's";
    if (group < 32)
        return "the device's work-groups hold fewer than 32 work items (a warp)";
    return NULL;
}

/* Whether the device's compiler kept the program's FP_CONTRACT OFF: some contract whatever the
 * pragma says (PoCL's CUDA driver builds with -ffp-contract=fast), and the fused rules (r + t * f)
 * would then differ from the CPU's bits. The probe: a = b = 1 + 2^-12, c = -(1 + 2^-11); a * b
 * is 1 + 2^-11 + 2^-24, which rounds (a tie, to even) to 1 + 2^-11, so a * b + c is 0; fused it
 * is 2^-24. NULL when kept, else why not (or what failed). */
static const char *contraction_kept(cl_context context, cl_device_id device, cl_program program)
{
    static const float in[4] = {0x1.001p0f, 0x1.001p0f, -0x1.002p0f, -1.0f};
    float out[4] = {0};
    const char *problem = "the check of FP_CONTRACT OFF could not run";
    cl_int e;
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &e);
    cl_kernel kernel = e ? NULL : clCreateKernel(program, "simdrop_probe_contraction", &e);
    cl_mem v = e ? NULL : clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof in,
                                         (void *)in, &e);
    if (!e)
        e = clSetKernelArg(kernel, 0, sizeof v, &v);
    if (!e) {
        const size_t one = 1;
        e = clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &one, &one, 0, NULL, NULL);
    }
    if (!e)
        e = clEnqueueReadBuffer(queue, v, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL);
    if (!e)
        problem = out[3] == 0.0f      ? NULL
                  : out[3] == 0x1p-24f ? "the device's compiler contracts a * b + c into a fused "
                                         "multiply-add despite FP_CONTRACT OFF: the bits would differ"
                                       : "the device computes a * b + c wrong (the check of "
                                         "FP_CONTRACT OFF): the bits would differ";
    if (v)
        clReleaseMemObject(v);
    if (kernel)
        clReleaseKernel(kernel);
    if (queue)
        clReleaseCommandQueue(queue);
    return problem;
}

static int create_failed(int *err, int status, const char *fmt, const char *what)
{
    snprintf(last_error, sizeof last_error, fmt, what);
    if (err)
        *err = status;
    return status;
}

simdrop_cl *simdrop_cl_create(cl_context context, cl_device_id device, int *err)
{
    char name[64], why[256];
    if (!context || !device) {
        create_failed(err, SIMDROP_ENULL, "simdrop_cl_create: %s is NULL (SIMDROP_ENULL)",
                      context ? "device" : "context");
        return NULL;
    }
    const char *problem = unfit(device);
    if (problem) {
        create_failed(err, SIMDROP_EDEVICE, "simdrop_cl_create: %s (SIMDROP_EDEVICE)", problem);
        return NULL;
    }
    simdrop_cl *s = (simdrop_cl *)calloc(1, sizeof *s);
    if (!s) {
        create_failed(err, SIMDROP_ENOMEM, "simdrop_cl_create: %s (SIMDROP_ENOMEM)", "out of memory");
        return NULL;
    }
    cl_int e;
    const char *source = simdrop_cl_program_source;
    s->program = clCreateProgramWithSource(context, 1, &source, NULL, &e);
    if (e) {
        snprintf(why, sizeof why, "clCreateProgramWithSource: %s", cl_error_name(e, name, sizeof name));
        create_failed(err, SIMDROP_EDEVICE, "simdrop_cl_create: %s (SIMDROP_EDEVICE)", why);
        free(s);
        return NULL;
    }
    /* No -cl-fast-relaxed-math, -cl-mad-enable or -cl-denorms-are-zero: the program's own
     * FP_CONTRACT OFF and the device's IEEE arithmetic give MASK_SPEC.md's bits. */
    e = clBuildProgram(s->program, 1, &device, "-cl-std=CL1.2", NULL, NULL);
    if (e) {
        char log[600] = "";
        clGetProgramBuildInfo(s->program, device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL);
        snprintf(last_error, sizeof last_error,
                 "simdrop_cl_create: clBuildProgram: %s; build log: %.600s (SIMDROP_EDEVICE)",
                 cl_error_name(e, name, sizeof name), log);
        if (err)
            *err = SIMDROP_EDEVICE;
        clReleaseProgram(s->program);
        free(s);
        return NULL;
    }
    problem = contraction_kept(context, device, s->program);
    if (problem) {
        create_failed(err, SIMDROP_EDEVICE, "simdrop_cl_create: %s (SIMDROP_EDEVICE)", problem);
        clReleaseProgram(s->program);
        free(s);
        return NULL;
    }
    for (int k = 0; k < SIMDROP_GPU_KERNEL_COUNT; k++) {
        s->kernels[k] = clCreateKernel(s->program, simdrop_gpu_kernel_names[k] , &e);
        size_t group = 0;
        if (!e)
            e = clGetKernelWorkGroupInfo(s->kernels[k], device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof group, &group, NULL);
        if (e || group < LOCAL_ITEMS) {
            snprintf(why, sizeof why, "clCreateKernel(%s): %s", simdrop_gpu_kernel_names[k],
                     e ? cl_error_name(e, name, sizeof name) : "work-groups smaller than 64");
            create_failed(err, SIMDROP_EDEVICE, "simdrop_cl_create: %s (SIMDROP_EDEVICE)", why);
            s->context = NULL;
            simdrop_cl_destroy(s);
            return NULL;
        }
    }
    pthread_mutex_init(&s->lock, NULL);
    clRetainContext(context);
    clRetainDevice(device);
    s->context = context;
    s->device = device;
    if (err)
        *err = SIMDROP_OK;
    return s;
}

void simdrop_cl_destroy(simdrop_cl *s)
{
    if (!s)
        return;
    for (int k = 0; k < SIMDROP_GPU_KERNEL_COUNT; k++)
        if (s->kernels[k])
            clReleaseKernel(s->kernels[k]);
    clReleaseProgram(s->program);
    if (s->context) { /* a created object, not one torn down halfway through creation */
        pthread_mutex_destroy(&s->lock);
        clReleaseContext(s->context);
        clReleaseDevice(s->device);
    }
    free(s);
}

/* ---- the executor --------------------------------------------------------------------------------- */

typedef struct run_ctx {
    simdrop_cl *s;
    cl_command_queue queue;
    cl_event last; /* the call's latest kernel: the next one waits for it (out-of-order queues) */
} run_ctx;

static int cl_alloc(void *ctx, uint64_t bytes, void **scratch, char *why, size_t size)
{
    run_ctx *r = (run_ctx *)ctx;
    cl_int e;
    *scratch = clCreateBuffer(r->s->context, CL_MEM_READ_WRITE, (size_t)bytes, NULL, &e);
    return e ? cl_failed(e, "clCreateBuffer (scratch)", why, size) : SIMDROP_OK;
}

static int cl_launch(void *ctx, const simdrop_gpu_launch *l, void *const *buf, char *why, size_t size)
{
    run_ctx *r = (run_ctx *)ctx;
    cl_kernel k = r->s->kernels[l->kernel];
    const simdrop_gpu_args *a = &l->a;
    const size_t local = l->warp ? 32 : LOCAL_ITEMS;
    const size_t global = (size_t)((l->threads + local - 1) / local * local);
#define U64_VALUE(field) a->field,
    const cl_ulong u64[] = {SIMDROP_GPU_U64_ARGS(U64_VALUE)};
#undef U64_VALUE
    const cl_double f64[3] = {a->mul64, a->add64, a->drop64};
    const cl_float f32[3] = {a->mul, a->add, a->drop};
    const cl_uint u32[2] = {a->threshold, a->nan32};
    cl_int e = CL_SUCCESS;
    cl_uint arg = 0;
    cl_event done = NULL;
    pthread_mutex_lock(&r->s->lock);
    for (int slot = 0; slot < SIMDROP_GPU_SLOTS && !e; slot++) {
        const cl_mem mem = l->slot[slot] == SIMDROP_GPU_NONE ? NULL : (cl_mem)buf[l->slot[slot]];
        e = clSetKernelArg(k, arg++, sizeof mem, mem ? (const void *)&mem : NULL);
    }
    for (size_t i = 0; i < sizeof u64 / sizeof u64[0] && !e; i++)
        e = clSetKernelArg(k, arg++, sizeof u64[i], &u64[i]);
    for (int i = 0; i < 3 && !e; i++)
        e = clSetKernelArg(k, arg++, sizeof f64[i], &f64[i]);
    for (int i = 0; i < 3 && !e; i++)
        e = clSetKernelArg(k, arg++, sizeof f32[i], &f32[i]);
    for (int i = 0; i < 2 && !e; i++)
        e = clSetKernelArg(k, arg++, sizeof u32[i], &u32[i]);
    const char *what = "clSetKernelArg";
    if (!e) {
        what = "clEnqueueNDRangeKernel";
        e = clEnqueueNDRangeKernel(r->queue, k, 1, NULL, &global, &local, r->last ? 1 : 0,
                                   r->last ? &r->last : NULL, &done);
    }
    pthread_mutex_unlock(&r->s->lock);
    if (r->last)
        clReleaseEvent(r->last);
    r->last = e ? NULL : done;
    if (e) {
        char where[128];
        snprintf(where, sizeof where, "%s(%s)", what, simdrop_gpu_kernel_names[l->kernel]);
        return cl_failed(e, where, why, size);
    }
    return SIMDROP_OK;
}

/* The scratch buffer goes once the kernels enqueued before are done (OpenCL keeps it so far). */
static int cl_release(void *ctx, void *scratch, char *why, size_t size)
{
    (void)ctx;
    const cl_int e = clReleaseMemObject((cl_mem)scratch);
    return e ? cl_failed(e, "clReleaseMemObject (scratch)", why, size) : SIMDROP_OK;
}

static const simdrop_gpu_backend executor = {"simdrop_cl_", cl_alloc, cl_launch, cl_release};

/* ---- the entry points ----------------------------------------------------------------------------- */

/* A buffer as check.h sees it: within its parent buffer, with its size. */
static cl_int describe(cl_mem m, simdrop_buf *d)
{
    cl_mem parent = NULL;
    size_t origin = 0, bytes = 0;
    memset(d, 0, sizeof *d);
    if (!m)
        return CL_SUCCESS;
    cl_int e = clGetMemObjectInfo(m, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof parent, &parent, NULL);
    if (!e)
        e = clGetMemObjectInfo(m, CL_MEM_OFFSET, sizeof origin, &origin, NULL);
    if (!e)
        e = clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
    d->space = (uintptr_t)(parent ? parent : m);
    d->addr = origin;
    d->capacity = bytes ? bytes : 1; /* 0 would mean "unknown" */
    return e;
}

static int run(simdrop_cl *s, cl_command_queue queue, int entry, int dtype, const void *const *bufs,
               size_t nbufs, size_t a, size_t b, size_t channels, const simdrop_block *block,
               size_t granule, double p, uint64_t seed, uint64_t offset)
{
    simdrop_gpu_call call;
    simdrop_gpu_call_init(&call, entry, dtype, a, b, channels, block, granule, p, seed, offset);
    char name[96];
    simdrop_call named;
    memset(&named, 0, sizeof named);
    named.entry = entry;
    named.dtype = dtype;
    if (!s || !queue) { /* not the check unit's: the CPU functions have no such argument */
        simdrop_call_name(&named, "simdrop_cl_", name, sizeof name);
        snprintf(last_error, sizeof last_error, "%s: %s is NULL (SIMDROP_ENULL)", name,
                 s ? "queue" : "s");
        return SIMDROP_ENULL;
    }
    for (size_t i = 0; i < nbufs; i++) {
        call.buf[i] = (void *)bufs[i];
        const cl_int e = describe((cl_mem)bufs[i], &call.desc[i]);
        if (e) {
            char why[128], code[64];
            simdrop_call_name(&named, "simdrop_cl_", name, sizeof name);
            snprintf(why, sizeof why, "clGetMemObjectInfo(%s): %s",
                     simdrop_signatures[entry].buf[i].name, cl_error_name(e, code, sizeof code));
            snprintf(last_error, sizeof last_error, "%s: %s (SIMDROP_EDEVICE)", name, why);
            return SIMDROP_EDEVICE;
        }
    }
    run_ctx ctx = {s, queue, NULL};
    const int status = simdrop_gpu_run(&executor, &ctx, &call, last_error, sizeof last_error);
    if (ctx.last)
        clReleaseEvent(ctx.last);
    return status;
}

#define SIMDROP_GPU_OUT(T) cl_mem
#define SIMDROP_GPU_IN(T) cl_mem
#define DEFINE_ENTRY(fn, ENTRY, DTYPE, SIG, T, A)                                                  \
    int simdrop_cl_##fn(simdrop_cl *s, cl_command_queue queue, SIMDROP_GPU_SIG_##SIG(T, A))        \
    {                                                                                              \
        const void *const bufs[] = SIMDROP_GPU_BUFS_##SIG;                                         \
        return run(s, queue, SIMDROP_ENTRY_##ENTRY, DTYPE, bufs, sizeof bufs / sizeof bufs[0],     \
                   SIMDROP_GPU_COUNTS_##SIG);                                                      \
    }
SIMDROP_GPU_ENTRIES(DEFINE_ENTRY)
