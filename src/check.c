/* check.c: the message of a failed argument check: the function, the argument(s) and their values. */
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "simdrop.h"
#include "check.h"

static const char *const dtype_names[] = {"f32", "f64", "bf16", "f16"};

static const simdrop_signature *sig_of(const simdrop_call *c)
{
    return &simdrop_signatures[c->entry];
}

static unsigned elem_size(const simdrop_call *c)
{
    return c->dtype == SIMDROP_DTYPE_F64 ? 8 : c->dtype == SIMDROP_DTYPE_F32 ? 4 : 2;
}

/* Bytes of buffer i, for a call whose sizes fit. */
static uint64_t buf_bytes(const simdrop_call *c, int i)
{
    uint64_t n = 0, bytes = 0;
    if (simdrop_check_elements(c, &n))
        simdrop_check_bytes(c, i, n, &bytes);
    return bytes;
}

/* ---- messages ---------------------------------------------------------------------------------- */

const char *simdrop_status_name(int status)
{
    static const char *const names[] = {
        "SIMDROP_OK", "SIMDROP_ENULL", "SIMDROP_EPROB", "SIMDROP_ERANGE", "SIMDROP_ESIZE",
        "SIMDROP_EOVERLAP", "SIMDROP_EISA_UNKNOWN", "SIMDROP_EISA_UNAVAILABLE", "SIMDROP_ENOMEM",
        "SIMDROP_ETHREADS", "SIMDROP_EPARALLEL", "SIMDROP_EDEVICE"};
    return status <= 0 && -status < (int)(sizeof names / sizeof names[0]) ? names[-status] : NULL;
}

const char *simdrop_status_text(int status)
{
    switch (status) {
    case SIMDROP_OK: return "success";
    case SIMDROP_ENULL: return "a required pointer is NULL while the call has elements";
    case SIMDROP_EPROB: return "p is NaN or outside [0, 1]";
    case SIMDROP_ERANGE: return "offset + count exceeds 2^64";
    case SIMDROP_ESIZE: return "the sizes overflow, or group_len is 0 with groups > 0";
    /* which buffers, and why not: simdrop_last_error() */
    case SIMDROP_EOVERLAP: return "two buffers overlap in a way the function does not allow";
    case SIMDROP_EISA_UNKNOWN: return "unknown kernel path name";
    case SIMDROP_EISA_UNAVAILABLE: return "kernel path not built or not supported by this CPU/OS";
    case SIMDROP_ENOMEM: return "out of memory for scratch space";
    case SIMDROP_ETHREADS: return "bad thread count, or a thread could not be started";
    case SIMDROP_EPARALLEL: return "the engine's thread pool did not run every task exactly once";
    /* the CUDA or OpenCL runtime's words: simdrop_cuda_last_error() / simdrop_cl_last_error() */
    case SIMDROP_EDEVICE: return "the GPU runtime (CUDA or OpenCL) reported an error";
    default: return "unknown status code";
    }
}

/* Appends to a message: snprintf that never runs past the end. */
typedef struct text {
    char *buf;
    size_t size, len;
} text;

#if defined(__GNUC__) && !defined(__MINGW32__) /* mingw: its PRIu64 is msvcrt's I64u */
__attribute__((format(printf, 2, 3)))
#endif
static void put(text *t, const char *fmt, ...)
{
    if (t->len + 1 >= t->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
    va_end(ap);
    /* A C library that returns -1 on truncation (msvcrt) may leave no terminator: set one. */
    t->len = k >= 0 && t->len + (size_t)k < t->size ? t->len + (size_t)k : t->size - 1;
    t->buf[t->len] = 0;
}

void simdrop_call_name(const simdrop_call *c, const char *prefix, char *buf, size_t size)
{
    text t = {buf, size, 0};
    if (size)
        buf[0] = 0;
    put(&t, "%s%s", prefix, sig_of(c)->name);
    if (c->dtype < SIMDROP_DTYPE_NONE)
        put(&t, "_%s", dtype_names[c->dtype]);
}

/* "n = 5", "groups = 3, group_len = 5", "rows = 3, cols = 5",
 * "samples = 2, spatial = 3, channels = 5", "granules = 2, cols = 5" */
static void put_counts(text *t, const simdrop_call *c)
{
    /* by enum simdrop_shape: N, GROUPS, ROWS, NHWC, BLOCK, GRANULES */
    static const char *const names[][2] = {{"n", ""},           {"groups", "group_len"},
                                           {"rows", "cols"},    {"samples", "spatial"},
                                           {"rows", "cols"},    {"granules", "cols"}};
    const int shape = sig_of(c)->shape;
    put(t, "%s = %" PRIu64, names[shape][0], (uint64_t)c->a);
    if (shape != SIMDROP_SHAPE_N)
        put(t, ", %s = %" PRIu64, names[shape][1], (uint64_t)c->b);
    if (shape == SIMDROP_SHAPE_NHWC)
        put(t, ", channels = %" PRIu64, (uint64_t)c->channels);
}

/* A double in C99 %.17g, with NaN and infinities spelt the same on every C library. */
static void put_double(text *t, double v)
{
    if (v != v)
        put(t, "NaN");
    else if (v > DBL_MAX || v < -DBL_MAX)
        put(t, "%sinf", v < 0 ? "-" : "");
    else
        put(t, "%.17g", v);
}

/* "x [0x7f31c0001000, +400 bytes)", or within a memory object "[object 0x55d0..: 0x40, ...)" */
static void put_buf(text *t, const simdrop_call *c, int i)
{
    const uint64_t bytes = buf_bytes(c, i);
    put(t, "%s [", sig_of(c)->buf[i].name);
    if (c->buf[i].space)
        put(t, "object 0x%" PRIx64 ": ", (uint64_t)c->buf[i].space);
    put(t, "0x%" PRIx64 ", +%" PRIu64 " bytes)", (uint64_t)c->buf[i].addr, bytes);
}

/* "n * 4", "groups * group_len * 2", "cols * 4": the size formula of buffer i */
static void put_size_formula(text *t, const simdrop_call *c, int i)
{
    /* by enum simdrop_shape */
    static const char *const counts[] = {"n", "groups * group_len", "rows * cols",
                                         "samples * spatial * channels", "rows * cols",
                                         "granules * cols"};
    const unsigned as = c->dtype == SIMDROP_DTYPE_F64 ? 8 : 4;
    switch (sig_of(c)->buf[i].size) {
    case SIMDROP_SZ_COLS: put(t, "cols * %u", elem_size(c)); break;
    case SIMDROP_SZ_COLS_ACC: put(t, "cols * %u", as); break;
    case SIMDROP_SZ_LDX: put(t, "((rows - 1) * ldx + cols) * %u", elem_size(c)); break;
    case SIMDROP_SZ_LDY: put(t, "((rows - 1) * ldy + cols) * %u", elem_size(c)); break;
    case SIMDROP_SZ_PARTIALS:
        put(t, c->block->granule ? "ceil(rows / granule) * cols * %u" : "cols * %u", as);
        break;
    case SIMDROP_SZ_ACC_ALL: put(t, "granules * cols * %u", as); break;
    default: put(t, "%s * %u", counts[sig_of(c)->shape], elem_size(c));
    }
}

static void put_overlap_reason(text *t, const simdrop_call *c, int i, int j)
{
    const simdrop_param *a = &sig_of(c)->buf[i], *b = &sig_of(c)->buf[j];
    if (a->role == SIMDROP_SIDE || b->role == SIMDROP_SIDE)
        put(t, "%s is written and may share no byte with another buffer",
            (a->role == SIMDROP_SIDE ? a : b)->name);
    else if (a->role == SIMDROP_IN_ALIAS || b->role == SIMDROP_IN_ALIAS)
        put(t, "%s may be exactly %s (the same start: in place) but not overlap it otherwise",
            (a->role == SIMDROP_OUT ? a : b)->name, (a->role == SIMDROP_OUT ? b : a)->name);
    else
        put(t, "%s is read while %s is written, so they may not overlap",
            (a->role == SIMDROP_OUT ? b : a)->name, (a->role == SIMDROP_OUT ? a : b)->name);
}

void simdrop_check_message(const simdrop_call *c, const simdrop_fault *f, const char *prefix,
                           char *buf, size_t size)
{
    const simdrop_signature *s = sig_of(c);
    const simdrop_block_shape *b = c->block; /* block functions only */
    simdrop_call_name(c, prefix, buf, size);
    text t = {buf, size, 0};
    while (t.len < size && buf[t.len])
        t.len++;
    put(&t, ": ");
    switch (f->rule) {
    case SIMDROP_F_NULL:
        put(&t, "%s is NULL while the call has elements (", s->buf[f->arg].name);
        put_counts(&t, c);
        put(&t, ")");
        break;
    case SIMDROP_F_PROB:
        put(&t, "p = ");
        put_double(&t, c->p);
        put(&t, " is not a probability in [0, 1]");
        break;
    case SIMDROP_F_RANGE:
        if (s->shape == SIMDROP_SHAPE_BLOCK)
            put(&t, "offset + (row0 + rows - 1) * global_cols + col0 + cols = %" PRIu64 " + (%" PRIu64
                    " + %" PRIu64 " - 1) * %" PRIu64 " + %" PRIu64 " + %" PRIu64,
                c->offset, (uint64_t)b->row0, (uint64_t)c->a, (uint64_t)b->global_cols,
                (uint64_t)b->col0, (uint64_t)c->b);
        else if (s->shape == SIMDROP_SHAPE_ROWS)
            put(&t, "offset + rows * cols = %" PRIu64 " + %" PRIu64 " * %" PRIu64, c->offset,
                (uint64_t)c->a, (uint64_t)c->b);
        else if (s->shape == SIMDROP_SHAPE_NHWC)
            put(&t, "offset + samples * channels = %" PRIu64 " + %" PRIu64 " * %" PRIu64,
                c->offset, (uint64_t)c->a, (uint64_t)c->channels);
        else
            put(&t, "offset + %s = %" PRIu64 " + %" PRIu64,
                s->shape == SIMDROP_SHAPE_GROUPS ? "groups" : "n", c->offset, (uint64_t)c->a);
        put(&t, " exceeds 2^64: the global %s indices would wrap",
            s->shape == SIMDROP_SHAPE_GROUPS || s->shape == SIMDROP_SHAPE_NHWC ? "group"
                                                                                : "element");
        break;
    case SIMDROP_F_GROUP_LEN_ZERO:
        if (s->shape == SIMDROP_SHAPE_NHWC)
            put(&t, "spatial is 0 with samples = %" PRIu64 ", channels = %" PRIu64,
                (uint64_t)c->a, (uint64_t)c->channels);
        else
            put(&t, "group_len is 0 with groups = %" PRIu64, (uint64_t)c->a);
        break;
    case SIMDROP_F_NO_BLOCK:
        put(&t, "b (the simdrop_block) is NULL");
        break;
    case SIMDROP_F_BLOCK_COLS:
        put(&t, "col0 + cols = %" PRIu64 " + %" PRIu64 " exceeds global_cols = %" PRIu64
                ": the block leaves the global rows", (uint64_t)b->col0, (uint64_t)c->b,
            (uint64_t)b->global_cols);
        break;
    case SIMDROP_F_BLOCK_LDX:
    case SIMDROP_F_BLOCK_LDY:
        put(&t, "%s = %" PRIu64 " is less than cols = %" PRIu64 ": the rows would overlap",
            f->rule == SIMDROP_F_BLOCK_LDX ? "ldx" : "ldy",
            (uint64_t)(f->rule == SIMDROP_F_BLOCK_LDX ? b->ldx : b->ldy), (uint64_t)c->b);
        break;
    case SIMDROP_F_GRANULE:
        put(&t, "row0 = %" PRIu64 " is not a multiple of granule = %" PRIu64
                ": the partial sums must start at a granule of the global rows",
            (uint64_t)b->row0, (uint64_t)b->granule);
        break;
    case SIMDROP_F_COUNT_SIZE:
        put(&t, "the element count ");
        put_counts(&t, c);
        put(&t, " overflows size_t");
        break;
    case SIMDROP_F_BUF_SIZE:
        put(&t, "the size of %s, ", s->buf[f->arg].name);
        put_size_formula(&t, c, f->arg);
        put(&t, " bytes with ");
        put_counts(&t, c);
        put(&t, ", overflows size_t");
        break;
    case SIMDROP_F_BUF_END:
        put_buf(&t, c, f->arg);
        put(&t, " would run past the end of the address space");
        break;
    case SIMDROP_F_CAPACITY:
        put(&t, "%s needs %" PRIu64 " bytes (", s->buf[f->arg].name, buf_bytes(c, f->arg));
        put_counts(&t, c);
        put(&t, ") but holds %" PRIu64, c->buf[f->arg].capacity);
        break;
    case SIMDROP_F_OVERLAP:
        put_buf(&t, c, f->arg);
        put(&t, " and ");
        put_buf(&t, c, f->other);
        put(&t, " overlap: ");
        put_overlap_reason(&t, c, f->arg, f->other);
        break;
    default:
        put(&t, "no argument error");
    }
    const char *code = simdrop_status_name(f->status);
    put(&t, " (%s)", code ? code : "?");
}
