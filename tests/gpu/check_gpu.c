/* check_gpu.c: a GPU backend's entry points against the CPU library, bit for bit, and its argument errors: checkasm's entry part, for a device.
 *
 *   check_gpu_<backend> [--seed N] [--cases N] [--only NAME]
 *
 * Linked with one backend (backend.h: gpu_c.c, gpu_opencl.c, gpu_cuda.cu). For every entry point
 * of gpu/entry_list.h, `cases` random calls (tests/inputs.h: shapes that reach every seam,
 * offsets at block edges and near 2^64, every p class, seeds 0 and 2^64 - 1, values of every
 * special class, NULL optional buffers, in-place calls, misaligned views where the backend
 * allows them) run on the device and through the CPU library (tests/entries.h); the status, every
 * output byte, the guard bytes around each device buffer and the unchanged inputs are compared.
 * A call that fails on the device with SIMDROP_ENOMEM or SIMDROP_EDEVICE (gpu_c.c makes some
 * scratch allocations fail) must have written nothing. Then the argument errors: codes, messages
 * and nothing written. Exits 77 when the backend finds no device. */
#include <math.h>

#include "common.h"
#include "entries.h"
#include "inputs.h"
#include "entry_list.h" /* gpu/ */
#include "backend.h"

enum { CANARY = 0xa5, GUARD = 256 };

#define GPU_ENTRY_NAME(fn, ENTRY, DTYPE, SIG, T, A) #fn,
static const char *const gpu_names[] = {SIMDROP_GPU_ENTRIES(GPU_ENTRY_NAME)};
#define NGPU (sizeof gpu_names / sizeof gpu_names[0])

static gpu_backend *const be = &gpu_this;
static unsigned long failed_cleanly;

static size_t gpu_find(const char *name)
{
    for (size_t i = 0; i < NGPU; i++)
        if (!strcmp(gpu_names[i], name))
            return i;
    return SIZE_MAX;
}

static size_t gpu_index(const char *name)
{
    const size_t i = gpu_find(name);
    if (i == SIZE_MAX) {
        fprintf(stderr, "check_gpu: gpu/entry_list.h has no %s\n", name);
        exit(1);
    }
    return i;
}

/* Where the host CPU returns a canonical NaN from every operation (RISC-V), the CPU library's
 * NaN results are that NaN, and the twins' are still x86's and AArch64's (the input NaN quieted:
 * MASK_SPEC.md 4.1, docs/GPU.md): an element NaN on both sides is taken as equal there. */
static void nan_as_nan(int dt, const unsigned char *cpu, unsigned char *device, size_t bytes)
{
    const size_t es = ent_dtype_size(dt);
    for (size_t k = 0; k < bytes / es; k++)
        if (test_is_nan(dt, cpu, k) && test_is_nan(dt, device, k))
            memcpy(device + k * es, cpu + k * es, es);
}

/* ---- device buffers between guard zones -------------------------------------------------------- */

typedef struct dbuf {
    void *mem, *view;
    size_t start, len, total; /* the view is bytes [start, start + len) of mem's total */
} dbuf;

static size_t guard_bytes(void)
{
    return (GUARD + be->align - 1) / be->align * be->align;
}

/* len bytes at misalignment mis (a multiple of be->align) between guards of CANARY; `data`
 * (len bytes) or CANARY inside. A view has at least one byte (OpenCL has no empty buffers). */
static dbuf dbuf_new(size_t len, size_t mis, const void *data)
{
    dbuf b;
    b.start = guard_bytes() + mis;
    b.len = len;
    b.total = b.start + len + guard_bytes();
    b.mem = be->alloc(b.total);
    if (!b.mem) {
        fprintf(stderr, "check_gpu: cannot allocate %zu bytes on the device\n", b.total);
        exit(2);
    }
    unsigned char *host = (unsigned char *)malloc(b.total);
    memset(host, CANARY, b.total);
    if (data)
        memcpy(host + b.start, data, len);
    be->upload(b.mem, 0, host, b.total);
    free(host);
    b.view = be->view(b.mem, b.start, len ? len : 1);
    return b;
}

static void dbuf_free(dbuf *b)
{
    be->unview(b->view);
    be->release(b->mem);
}

/* The whole buffer, guards included. */
static unsigned char *dbuf_fetch(const dbuf *b)
{
    unsigned char *host = (unsigned char *)malloc(b->total);
    be->download(host, b->mem, 0, b->total);
    return host;
}

static int guards_ok(const dbuf *b, const unsigned char *host)
{
    return bytes_all(host, b->start, CANARY) &&
           bytes_all(host + b->start + b->len, b->total - b->start - b->len, CANARY);
}

/* ---- one random call on the device and on the CPU ---------------------------------------------- */

typedef struct gcase {
    ent_shape s;
    double p;
    uint64_t seed, offset;
    int null_arg[5], alias_arg[5];
    size_t mis[5];
} gcase;

static gcase random_gcase(const entry *e, size_t cap)
{
    gcase c;
    c.s = random_shape(e, cap);
    c.p = random_p();
    c.seed = test_below(4) == 0 ? (test_below(2) ? 0 : UINT64_MAX) : test_rand();
    c.offset = e->uses_seed ? random_offset(ent_span(e, c.s)) : 0;
    for (int i = 0; i < 5; i++) {
        const ent_arg *a = &e->arg[i];
        c.null_arg[i] = i < e->nargs && a->nullable && test_below(3) == 0;
        c.alias_arg[i] = i < e->nargs && ent_can_alias(e, i, c.s) && test_below(4) == 0;
        const size_t mis = test_below(4) == 0 ? 0 : test_below(16) * (i < e->nargs ? ent_unit(e, i) : 1);
        c.mis[i] = mis / be->align * be->align;
    }
    for (int i = 0, taken = 0; i < 5; i++) { /* only one input can be the output */
        c.alias_arg[i] &= !c.null_arg[i] && !taken;
        taken |= c.alias_arg[i];
    }
    return c;
}

static void check_case(size_t gi, const entry *e, size_t cap)
{
    const gcase c = random_gcase(e, cap);
    char ctx[400], shape[160];
    snprintf(ctx, sizeof ctx, "%s shape=%s p=%.17g seed=%" PRIu64 " offset=%" PRIu64
             " null=%d%d%d%d%d alias=%d%d%d%d%d mis=%zu,%zu,%zu,%zu,%zu", e->name,
             ent_shape_text(e, c.s, shape, sizeof shape), c.p, c.seed, c.offset, c.null_arg[0], c.null_arg[1], c.null_arg[2], c.null_arg[3],
             c.null_arg[4], c.alias_arg[0], c.alias_arg[1], c.alias_arg[2], c.alias_arg[3],
             c.alias_arg[4], c.mis[0], c.mis[1], c.mis[2], c.mis[3], c.mis[4]);
    unsigned char *in[5] = {NULL, NULL, NULL, NULL, NULL};
    size_t len[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < e->nargs; i++) {
        len[i] = ent_bytes(e, i, c.s);
        in[i] = (unsigned char *)malloc(len[i] + 1);
        if (e->arg[i].size == SZ_ELEMS || e->arg[i].size == SZ_BIAS)
            fill_values(in[i], e->dt, len[i] / ent_dtype_size(e->dt));
        else
            for (size_t k = 0; k < len[i]; k++) /* masks (bits past the end too), bytes */
                in[i][k] = (uint8_t)(test_below(4) ? test_rand() : test_below(2));
    }
    const int alias = c.alias_arg[1] ? 1 : c.alias_arg[2] ? 2 : c.alias_arg[3] ? 3 : c.alias_arg[4] ? 4 : 0;

    /* the CPU library: outputs canary-filled, an aliased input copied into the output */
    guarded host[5];
    void *hp[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < e->nargs; i++) {
        host[i] = guarded_new(len[i], 0, CANARY);
        if (!e->arg[i].is_out)
            memcpy(host[i].data, in[i], len[i]);
        hp[i] = c.null_arg[i] ? NULL : host[i].data;
    }
    if (alias) {
        memcpy(host[0].data, in[alias], len[alias]);
        hp[alias] = hp[0];
    }
    const int want = e->call(hp, c.s, c.p, c.seed, c.offset);

    /* the device, the same way */
    dbuf dev[5];
    void *h[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < e->nargs; i++) {
        const void *data = !e->arg[i].is_out ? in[i] : i == 0 && alias ? in[alias] : NULL;
        dev[i] = dbuf_new(len[i], c.mis[i], data);
        h[i] = c.null_arg[i] ? NULL : dev[i].view;
    }
    if (alias)
        h[alias] = h[0];
    const int got = be->call(gi, h, c.s, c.p, c.seed, c.offset);
    const int done = be->finish();
    CHECK(done == 0, "%s: the device failed after the call (status %d): %s", be->name, done, ctx);
    /* (only where the backend makes its allocations fail: elsewhere a device whose every launch
     * failed, a library without a kernel image for it say, would pass having written nothing) */
    const int clean_failure = be->forces_failures && want == SIMDROP_OK &&
                              (got == SIMDROP_ENOMEM || got == SIMDROP_EDEVICE);
    CHECK(got == want || clean_failure, "%s: status %d, the CPU library's %d (%s): %s", be->name,
          got, want, be->last_error(), ctx);
    failed_cleanly += clean_failure;
    for (int i = 0; i < e->nargs; i++) {
        unsigned char *bytes = dbuf_fetch(&dev[i]);
        const unsigned char *data = bytes + dev[i].start;
        CHECK(guards_ok(&dev[i], bytes), "%s: %s written outside: %s", be->name, e->arg[i].name, ctx);
        if (e->arg[i].is_out && !c.null_arg[i] && got == SIMDROP_OK && want == SIMDROP_OK) {
            const int sz = e->arg[i].size;
            if (!TEST_NAN_PAYLOADS &&
                (sz == SZ_ELEMS || sz == SZ_BIAS || sz == SZ_LDX || sz == SZ_LDY))
                nan_as_nan(e->dt, host[i].data, bytes + dev[i].start, len[i]);
            size_t k = 0;
            while (k < len[i] && data[k] == host[i].data[k])
                k++;
            CHECK(k == len[i], "%s: %s differs at byte %zu of %zu (CPU %02x, device %02x): %s",
                  be->name, e->arg[i].name, k, len[i], k < len[i] ? host[i].data[k] : 0,
                  k < len[i] ? data[k] : 0, ctx);
        } else if (e->arg[i].is_out) { /* a failed call writes nothing */
            const int as_input = i == 0 && alias;
            CHECK(as_input ? !memcmp(data, in[alias], len[i]) : bytes_all(data, len[i], CANARY),
                  "%s: %s written by a call that failed (status %d): %s", be->name,
                  e->arg[i].name, got, ctx);
        } else if (!c.alias_arg[i]) {
            CHECK(!memcmp(data, in[i], len[i]), "%s: input %s modified: %s", be->name,
                  e->arg[i].name, ctx);
        }
        free(bytes);
        dbuf_free(&dev[i]);
        guarded_free(&host[i]);
        free(in[i]);
    }
}

/* ---- argument errors: the CPU library's codes and messages, and nothing written ---------------- */

/* forward_f32 on device buffers y (400 bytes), mask and x, with one argument made bad. */
static void check_error(const char *what, int want_status, const char *want_message, double p,
                        uint64_t offset, int y_null, int x_null, int overlap, size_t y_bytes)
{
    const size_t n = 100, fwd = gpu_index("forward_f32");
    float x[100];
    for (int i = 0; i < 100; i++)
        x[i] = (float)i;
    dbuf y = dbuf_new(overlap ? 400 + 13 : y_bytes, 0, NULL), xb = dbuf_new(400, 0, x);
    dbuf m = dbuf_new(13, 0, NULL);
    /* the mask inside y's bytes, at the first aligned place past 12 bytes (a sub-buffer on
     * OpenCL, whose origin must be a multiple of be->align) */
    const size_t inside = (12 + be->align - 1) / be->align * be->align;
    void *mask_view = overlap ? be->view(y.mem, y.start + (inside < 400 ? inside : 0), 13) : m.view;
    void *h[3] = {y_null ? NULL : y.view, mask_view, x_null ? NULL : xb.view};
    const ent_shape s = ent_ab(n, 0);
    const int got = be->call(fwd, h, s, p, 7, offset);
    CHECK(be->finish() == 0, "%s: the device failed", what);
    CHECK(got == want_status, "%s %s: status %d, want %d", be->name, what, got, want_status);
    char message[512];
    snprintf(message, sizeof message, want_message, be->prefix);
    CHECK(!strncmp(be->last_error(), message, strlen(message)), "%s %s: message \"%s\", want "
          "\"%s...\"", be->name, what, be->last_error(), message);
    unsigned char *yb = dbuf_fetch(&y), *mb = dbuf_fetch(&m);
    CHECK(bytes_all(yb, y.total, CANARY) && bytes_all(mb, m.total, CANARY),
          "%s %s: a rejected call wrote to its outputs", be->name, what);
    free(yb), free(mb);
    if (overlap)
        be->unview(mask_view);
    dbuf_free(&y), dbuf_free(&xb), dbuf_free(&m);
}

static void check_errors(void)
{
    check_error("p = NaN", SIMDROP_EPROB,
                "%sforward_f32: p = NaN is not a probability in [0, 1] (SIMDROP_EPROB)", NAN, 0,
                0, 0, 0, 400);
    check_error("x = NULL", SIMDROP_ENULL,
                "%sforward_f32: x is NULL while the call has elements (n = 100) (SIMDROP_ENULL)",
                0.5, 0, 0, 1, 0, 400);
    check_error("offset + n > 2^64", SIMDROP_ERANGE,
                "%sforward_f32: offset + n = 18446744073709551615 + 100 exceeds 2^64",
                0.5, UINT64_MAX, 0, 0, 0, 400);
    check_error("mask overlapping y", SIMDROP_EOVERLAP, "%sforward_f32: y [", 0.5, 0, 0, 0, 1, 400);
    if (be->has_capacity)
        check_error("y too small", SIMDROP_ESIZE,
                    "%sforward_f32: y needs 400 bytes (n = 100) but holds 16 (SIMDROP_ESIZE)",
                    0.5, 0, 0, 0, 0, 16);
    printf("  argument errors: codes, messages (%s...) and nothing written\n", be->prefix);
}

/* A block whose columns pass the global row (col0 + cols > global_cols): SIMDROP_ESIZE from the
 * CPU library and from the device, in the same words, nothing written. */
static void check_block_geometry(void)
{
    const size_t gi = gpu_index("forward_block_f32");
    const entry *e = NULL;
    for (size_t i = 0; i < NENTRIES; i++)
        if (!strcmp(entries[i].name, "forward_block_f32"))
            e = &entries[i];
    ent_shape s = ent_ab(2, 8);
    s.col0 = 4;
    s.global_cols = 10;
    s.ldx = s.ldy = 8;
    float x[16] = {0};
    uint8_t cpu_y[64], cpu_mask[2];
    void *hp[3] = {cpu_y, cpu_mask, x};
    const int want = e->call(hp, s, 0.5, 7, 0);
    char message[512];
    snprintf(message, sizeof message, "%s%s", be->prefix, simdrop_last_error() + strlen("simdrop_"));
    dbuf y = dbuf_new(64, 0, NULL), m = dbuf_new(2, 0, NULL), xb = dbuf_new(64, 0, x);
    void *h[3] = {y.view, m.view, xb.view};
    const int got = be->call(gi, h, s, 0.5, 7, 0);
    CHECK(be->finish() == 0, "%s: the device failed", be->name);
    CHECK(want == SIMDROP_ESIZE && got == want, "%s block past its global row: status %d, the CPU "
          "library's %d", be->name, got, want);
    CHECK(!strcmp(be->last_error(), message), "%s block past its global row: message \"%s\", want "
          "\"%s\"", be->name, be->last_error(), message);
    unsigned char *yb = dbuf_fetch(&y), *mb = dbuf_fetch(&m);
    CHECK(bytes_all(yb, y.total, CANARY) && bytes_all(mb, m.total, CANARY),
          "%s block past its global row: the rejected call wrote to its outputs", be->name);
    free(yb), free(mb);
    dbuf_free(&y), dbuf_free(&m), dbuf_free(&xb);
    printf("  a block past its global row: SIMDROP_ESIZE, the CPU library's message, nothing written\n");
}

/* Strided blocks whose global index range is 2^64 - 7 and 2^64 indices (two rows of one column,
 * global rows of 2^64 - 8 and 2^64 - 1): the CPU library computes their two elements; a device
 * would need a scratch of the range's keep bits (2^61 bytes), so the call fails cleanly with
 * SIMDROP_ENOMEM and writes nothing. Its size once wrapped to 0 (or the bias gradient's 8 bytes):
 * the generator ran over the range unbounded, and wrote past the scratch. */
static void check_block_index_range(void)
{
    static const char *const names[] = {"forward_block_f32", "bias_dropout_add_backward_regen_block_f32"};
    static const size_t global_cols[] = {UINT64_MAX - 7, UINT64_MAX};
    for (size_t n = 0; n < 2; n++) {
        const entry *e = NULL;
        for (size_t i = 0; i < NENTRIES; i++)
            if (!strcmp(entries[i].name, names[n]))
                e = &entries[i];
        for (size_t k = 0; k < 2; k++) {
            ent_shape s = ent_ab(2, 1);
            s.global_cols = global_cols[k];
            s.ldx = s.ldy = 1;
            float x[2] = {1.0f, 2.0f};
            unsigned char cpu[5][16];
            void *hp[5] = {cpu[0], cpu[1], cpu[2], cpu[3], cpu[4]};
            dbuf dev[5];
            void *h[5] = {NULL, NULL, NULL, NULL, NULL};
            for (int i = 0; i < e->nargs; i++) {
                if (!e->arg[i].is_out)
                    memcpy(cpu[i], x, sizeof x);
                dev[i] = dbuf_new(ent_bytes(e, i, s), 0, e->arg[i].is_out ? NULL : x);
                h[i] = dev[i].view;
            }
            const int want = e->call(hp, s, 0.5, 7, 0);
            const int got = be->call(gpu_index(names[n]), h, s, 0.5, 7, 0);
            CHECK(be->finish() == 0, "%s: the device failed", be->name);
            CHECK(want == SIMDROP_OK && got == SIMDROP_ENOMEM, "%s %s, global_cols = %zu: status "
                  "%d (%s), the CPU library's %d; want SIMDROP_ENOMEM", be->name, names[n],
                  global_cols[k], got, be->last_error(), want);
            for (int i = 0; i < e->nargs; i++) {
                unsigned char *bytes = dbuf_fetch(&dev[i]);
                if (e->arg[i].is_out)
                    CHECK(bytes_all(bytes, dev[i].total, CANARY), "%s %s: %s written by a call "
                          "that failed", be->name, names[n], e->arg[i].name);
                free(bytes);
                dbuf_free(&dev[i]);
            }
        }
    }
    printf("  blocks over 2^64 - 7 and 2^64 global indices: SIMDROP_ENOMEM, nothing written\n");
}

static void expect(int ok, const char *what)
{
    CHECK(ok, "%s %s", be->name, what);
}

int main(int argc, char **argv)
{
    const int ready = be->init();
    if (ready) {
        printf("check_gpu %s: %s (%s)\n", be->name, ready == 77 ? "no device: skipped" : "FAILED to start",
               be->last_error());
        return ready;
    }
    test_seed_init(argc, argv, "check_gpu");
    const long cases = (long)test_option(argc, argv, "--cases", "SIMDROP_TEST_CASES", 12);
    const size_t cap = getenv("SIMDROP_TEST_SMALL") ? 6000 : 30000;
    const char *only = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--only"))
            only = argv[i + 1];
    printf("check_gpu %s on %s: %zu entry points x %ld cases against the CPU library\n", be->name,
           be->device(), NGPU, cases);
    for (size_t i = 0; i < NENTRIES; i++) {
        if (only && !strstr(entries[i].name, only))
            continue;
        const size_t gi = gpu_find(entries[i].name);
        CHECK(gi != SIZE_MAX, "%s: a CPU entry point the GPU libraries lack", entries[i].name);
        if (gi == SIZE_MAX)
            continue;
        const unsigned long before = test_checks;
        for (long k = 0; k < cases; k++)
            check_case(gi, &entries[i], cap);
        printf("  %-34s %lu checks\n", entries[i].name, test_checks - before);
    }
    if (failed_cleanly)
        printf("  %lu calls failed on the device (SIMDROP_ENOMEM, SIMDROP_EDEVICE) and wrote "
               "nothing\n", failed_cleanly);
    if (!only) {
        check_errors();
        check_block_geometry();
        check_block_index_range();
        if (be->extra_checks)
            be->extra_checks(expect);
    }
    return test_finish("check_gpu");
}
