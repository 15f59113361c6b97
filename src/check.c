/* check.c: the argument checks of every entry point from its row of data, and the message of a failed one. */
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "simdrop.h"
#include "check.h"

/* ---- the entry points as data ------------------------------------------------------------- */

/* name, role, size rule, required */
#define OUT_ELEMS(name) {name, SIMDROP_OUT, SIMDROP_SZ_ELEMENTS, 1}
#define IN_ELEMS(name) {name, SIMDROP_IN_ALIAS, SIMDROP_SZ_ELEMENTS, 1}
#define MASK_WRITTEN {"mask", SIMDROP_SIDE, SIMDROP_SZ_UNIT_BITS, 0}
#define MASK_READ {"mask", SIMDROP_IN, SIMDROP_SZ_UNIT_BITS, 1}
#define DBIAS {"dbias", SIMDROP_SIDE, SIMDROP_SZ_COLS_ACC, 0}

/* forward (y, mask, x), backward (dx, dy, mask), backward_regen (dx, dy) of one shape. */
#define FAMILY(prefix, shape, suffix)                                                             \
    {prefix "forward" suffix, shape, 1, 1, 3, {OUT_ELEMS("y"), MASK_WRITTEN, IN_ELEMS("x")}},     \
    {prefix "backward" suffix, shape, 1, 0, 3, {OUT_ELEMS("dx"), IN_ELEMS("dy"), MASK_READ}},     \
    {prefix "backward" suffix "_regen", shape, 1, 1, 2, {OUT_ELEMS("dx"), IN_ELEMS("dy")}}

const simdrop_signature simdrop_signatures[SIMDROP_ENTRY_COUNT] = {
    FAMILY("", SIMDROP_SHAPE_N, ""),
    /* the group functions put "groups" after the verb: forward_groups, backward_groups_regen */
    FAMILY("", SIMDROP_SHAPE_GROUPS, "_groups"),
    FAMILY("alpha_", SIMDROP_SHAPE_GROUPS, ""),
    {"bias_dropout_add", SIMDROP_SHAPE_ROWS, 1, 1, 5,
     {OUT_ELEMS("out"), MASK_WRITTEN, IN_ELEMS("x"), {"bias", SIMDROP_IN, SIMDROP_SZ_COLS, 0},
      {"residual", SIMDROP_IN_ALIAS, SIMDROP_SZ_ELEMENTS, 0}}},
    {"bias_dropout_add_backward", SIMDROP_SHAPE_ROWS, 1, 0, 4,
     {OUT_ELEMS("dx"), DBIAS, IN_ELEMS("dout"), MASK_READ}},
    {"bias_dropout_add_backward_regen", SIMDROP_SHAPE_ROWS, 1, 1, 3,
     {OUT_ELEMS("dx"), DBIAS, IN_ELEMS("dout")}},
    {"mask", SIMDROP_SHAPE_N, 1, 1, 1, {{"mask", SIMDROP_OUT, SIMDROP_SZ_UNIT_BITS, 1}}},
    {"mask_to_bytes", SIMDROP_SHAPE_N, 0, 0, 2,
     {{"bytes", SIMDROP_OUT, SIMDROP_SZ_BYTES, 1}, {"mask", SIMDROP_IN, SIMDROP_SZ_UNIT_BITS, 1}}},
    {"mask_from_bytes", SIMDROP_SHAPE_N, 0, 0, 2,
     {{"mask", SIMDROP_OUT, SIMDROP_SZ_UNIT_BITS, 1}, {"bytes", SIMDROP_IN, SIMDROP_SZ_BYTES, 1}}},
};

static const char *const dtype_names[] = {"f32", "f64", "bf16", "f16"};
static const unsigned char dtype_sizes[] = {4, 8, 2, 2};

/* ---- counts and sizes ------------------------------------------------------------------------ */

/* The rule a fault broke, for the message. */
enum fault_rule {
    F_NONE, F_NULL, F_PROB, F_RANGE, F_GROUP_LEN_ZERO, F_COUNT_SIZE, F_BUF_SIZE, F_CAPACITY,
    F_OVERLAP
};

static int mul_fits(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a && b > SIZE_MAX / a)
        return 0;
    *r = a * b;
    return 1;
}

/* offset + count <= 2^64, i.e. the last index offset + count - 1 does not wrap. */
static int range_fits(uint64_t count, uint64_t offset)
{
    return count == 0 || count - 1 <= UINT64_MAX - offset;
}

static unsigned log2_u64(uint64_t v)
{
    unsigned k = 0;
    while (v >>= 1)
        k++;
    return k;
}

/* offset + rows * cols <= 2^64, where the product itself may be 2^64 (from offset 0): then
 * rows and cols are powers of two whose exponents add up to 64. */
static int rows_range_fits(uint64_t rows, uint64_t cols, uint64_t offset)
{
    if (!rows || cols <= UINT64_MAX / rows)
        return range_fits(rows * cols, offset);
    return offset == 0 && !(rows & (rows - 1)) && !(cols & (cols - 1)) &&
           log2_u64(rows) + log2_u64(cols) == 64;
}

static const simdrop_signature *sig_of(const simdrop_call *c)
{
    return &simdrop_signatures[c->entry];
}

static int has_elements(const simdrop_call *c)
{
    return c->a && (sig_of(c)->shape == SIMDROP_SHAPE_N || c->b);
}

static unsigned elem_size(const simdrop_call *c)
{
    return c->dtype < SIMDROP_DTYPE_NONE ? dtype_sizes[c->dtype] : 1;
}

static unsigned acc_size(const simdrop_call *c)
{
    return c->dtype == SIMDROP_DTYPE_F64 ? 8 : 4;
}

/* Elements of the call; 0 when the count overflows size_t (a fault checked first). */
static int elements(const simdrop_call *c, uint64_t *n)
{
    if (sig_of(c)->shape == SIMDROP_SHAPE_N) {
        *n = c->a;
        return 1;
    }
    return mul_fits(c->a, c->b, n);
}

/* Bytes of buffer i; 0 when they overflow size_t. */
static int buf_bytes(const simdrop_call *c, int i, uint64_t *bytes)
{
    uint64_t n = 0;
    if (!elements(c, &n))
        return 0;
    switch (sig_of(c)->buf[i].size) {
    case SIMDROP_SZ_ELEMENTS: return mul_fits(n, elem_size(c), bytes);
    case SIMDROP_SZ_UNIT_BITS: {
        const uint64_t units = sig_of(c)->shape == SIMDROP_SHAPE_GROUPS ? c->a : n;
        *bytes = units / 8 + (units % 8 != 0);
        return 1;
    }
    case SIMDROP_SZ_BYTES: *bytes = n; return 1;
    case SIMDROP_SZ_COLS: *bytes = 0; return !n || mul_fits(c->b, elem_size(c), bytes);
    default: return mul_fits(c->b, acc_size(c), bytes);
    }
}

static int is_null(const simdrop_buf *b)
{
    return !b->addr && !b->space;
}

/* Two buffers share a byte: both present, in one space, neither empty, and their ranges meet. */
static int overlaps(const simdrop_buf *a, uint64_t la, const simdrop_buf *b, uint64_t lb)
{
    return !is_null(a) && !is_null(b) && a->space == b->space && la && lb &&
           a->addr < b->addr + lb && b->addr < a->addr + la;
}

/* ---- the checks, in the documented order --------------------------------------------------- */

static int fault(simdrop_fault *f, int status, int rule, int arg, int other)
{
    f->status = status;
    f->rule = rule;
    f->arg = arg;
    f->other = other;
    return status;
}

static int check_overlaps(const simdrop_call *c, simdrop_fault *f)
{
    const simdrop_signature *s = sig_of(c);
    uint64_t len[SIMDROP_MAX_BUFS] = {0};
    for (int i = 0; i < s->nbufs; i++)
        buf_bytes(c, i, &len[i]); /* all fit: the size checks ran first */
    for (int i = 0; i < s->nbufs; i++)
        for (int j = i + 1; j < s->nbufs; j++) {
            const int ri = s->buf[i].role, rj = s->buf[j].role;
            if ((ri <= SIMDROP_IN_ALIAS && rj <= SIMDROP_IN_ALIAS) ||
                !overlaps(&c->buf[i], len[i], &c->buf[j], len[j]))
                continue;
            const int alias = (ri == SIMDROP_OUT && rj == SIMDROP_IN_ALIAS) ||
                              (ri == SIMDROP_IN_ALIAS && rj == SIMDROP_OUT);
            if (!(alias && c->buf[i].addr == c->buf[j].addr && len[i] == len[j]))
                return fault(f, SIMDROP_EOVERLAP, F_OVERLAP, i, j);
        }
    return fault(f, SIMDROP_OK, F_NONE, -1, -1);
}

int simdrop_check(const simdrop_call *c, simdrop_fault *f)
{
    const simdrop_signature *s = sig_of(c);
    if (has_elements(c))
        for (int i = 0; i < s->nbufs; i++)
            if (s->buf[i].required && is_null(&c->buf[i]))
                return fault(f, SIMDROP_ENULL, F_NULL, i, -1);
    if (s->uses_p && !(c->p >= 0.0 && c->p <= 1.0)) /* false for NaN */
        return fault(f, SIMDROP_EPROB, F_PROB, -1, -1);
    if (s->uses_offset && !(s->shape == SIMDROP_SHAPE_ROWS ? rows_range_fits(c->a, c->b, c->offset)
                                                           : range_fits(c->a, c->offset)))
        return fault(f, SIMDROP_ERANGE, F_RANGE, -1, -1);
    if (s->shape == SIMDROP_SHAPE_GROUPS && c->a && !c->b)
        return fault(f, SIMDROP_ESIZE, F_GROUP_LEN_ZERO, -1, -1);
    uint64_t n = 0, bytes = 0;
    if (!elements(c, &n))
        return fault(f, SIMDROP_ESIZE, F_COUNT_SIZE, -1, -1);
    for (int i = 0; i < s->nbufs; i++)
        if (!buf_bytes(c, i, &bytes))
            return fault(f, SIMDROP_ESIZE, F_BUF_SIZE, i, -1);
    for (int i = 0; i < s->nbufs; i++) /* a front end that knows its buffers' sizes */
        if (buf_bytes(c, i, &bytes) && c->buf[i].capacity && !is_null(&c->buf[i]) &&
            bytes > c->buf[i].capacity)
            return fault(f, SIMDROP_ESIZE, F_CAPACITY, i, -1);
    return check_overlaps(c, f);
}

/* ---- messages ---------------------------------------------------------------------------------- */

const char *simdrop_status_name(int status)
{
    static const char *const names[] = {
        "SIMDROP_OK", "SIMDROP_ENULL", "SIMDROP_EPROB", "SIMDROP_ERANGE", "SIMDROP_ESIZE",
        "SIMDROP_EOVERLAP", "SIMDROP_EISA_UNKNOWN", "SIMDROP_EISA_UNAVAILABLE", "SIMDROP_ENOMEM",
        "SIMDROP_ETHREADS"};
    return status <= 0 && -status < (int)(sizeof names / sizeof names[0]) ? names[-status] : NULL;
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

/* "n = 5", "groups = 3, group_len = 5", "rows = 3, cols = 5" */
static void put_counts(text *t, const simdrop_call *c)
{
    static const char *const names[][2] = {{"n", ""}, {"groups", "group_len"}, {"rows", "cols"}};
    const int shape = sig_of(c)->shape;
    put(t, "%s = %" PRIu64, names[shape][0], (uint64_t)c->a);
    if (shape != SIMDROP_SHAPE_N)
        put(t, ", %s = %" PRIu64, names[shape][1], (uint64_t)c->b);
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
    uint64_t bytes = 0;
    buf_bytes(c, i, &bytes);
    put(t, "%s [", sig_of(c)->buf[i].name);
    if (c->buf[i].space)
        put(t, "object 0x%" PRIx64 ": ", (uint64_t)c->buf[i].space);
    put(t, "0x%" PRIx64 ", +%" PRIu64 " bytes)", (uint64_t)c->buf[i].addr, bytes);
}

/* "n * 4", "groups * group_len * 2", "cols * 4": the size formula of buffer i */
static void put_size_formula(text *t, const simdrop_call *c, int i)
{
    static const char *const counts[] = {"n", "groups * group_len", "rows * cols"};
    switch (sig_of(c)->buf[i].size) {
    case SIMDROP_SZ_COLS: put(t, "cols * %u", elem_size(c)); break;
    case SIMDROP_SZ_COLS_ACC: put(t, "cols * %u", acc_size(c)); break;
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
    simdrop_call_name(c, prefix, buf, size);
    text t = {buf, size, 0};
    while (t.len < size && buf[t.len])
        t.len++;
    put(&t, ": ");
    uint64_t bytes = 0;
    switch (f->rule) {
    case F_NULL:
        put(&t, "%s is NULL while the call has elements (", s->buf[f->arg].name);
        put_counts(&t, c);
        put(&t, ")");
        break;
    case F_PROB:
        put(&t, "p = ");
        put_double(&t, c->p);
        put(&t, " is not a probability in [0, 1]");
        break;
    case F_RANGE:
        if (s->shape == SIMDROP_SHAPE_ROWS)
            put(&t, "offset + rows * cols = %" PRIu64 " + %" PRIu64 " * %" PRIu64, c->offset,
                (uint64_t)c->a, (uint64_t)c->b);
        else
            put(&t, "offset + %s = %" PRIu64 " + %" PRIu64,
                s->shape == SIMDROP_SHAPE_GROUPS ? "groups" : "n", c->offset, (uint64_t)c->a);
        put(&t, " exceeds 2^64: the global %s indices would wrap",
            s->shape == SIMDROP_SHAPE_GROUPS ? "group" : "element");
        break;
    case F_GROUP_LEN_ZERO:
        put(&t, "group_len is 0 with groups = %" PRIu64, (uint64_t)c->a);
        break;
    case F_COUNT_SIZE:
        put(&t, "the element count ");
        put_counts(&t, c);
        put(&t, " overflows size_t");
        break;
    case F_BUF_SIZE:
        put(&t, "the size of %s, ", s->buf[f->arg].name);
        put_size_formula(&t, c, f->arg);
        put(&t, " bytes with ");
        put_counts(&t, c);
        put(&t, ", overflows size_t");
        break;
    case F_CAPACITY:
        buf_bytes(c, f->arg, &bytes);
        put(&t, "%s needs %" PRIu64 " bytes (", s->buf[f->arg].name, bytes);
        put_counts(&t, c);
        put(&t, ") but holds %" PRIu64, c->buf[f->arg].capacity);
        break;
    case F_OVERLAP:
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
