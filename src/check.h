/* check.h: the argument checks of every entry point, as data: one unit for every front end (the CPU library, CUDA and OpenCL). */
#ifndef SIMDROP_CHECK_H
#define SIMDROP_CHECK_H

/* What is an error, in which order, and what the message says, is decided here and nowhere
 * else. Each entry point is a row of simdrop_signatures: its buffers in parameter order, with
 * their names, roles and sizes. A front end describes one call (the row, the dtype, the counts,
 * p, offset and its buffers) and calls simdrop_check() before it touches anything; only when
 * that fails does it ask check.c for the message. The table and the checks are in this header,
 * inline: where a front end's entry point names its row, the compiler folds the row into that
 * function, so the checks cost what hand-written ones would (about 30 instructions for element
 * dropout's three buffers; the data is for the reader and the messages). The unit uses no
 * kernel, dispatcher, thread or global state (check.c: plain C and snprintf), so the CPU
 * library, a CUDA host and an OpenCL host all compile this same header and file.
 *
 * Addresses: a buffer is an address in an address space. Host pointers and CUDA device pointers
 * live in the one flat space 0 (space = 0, addr = the pointer, capacity unknown: 0). OpenCL
 * buffers are memory objects, not addresses: the front end passes the parent object as the
 * space (a sub-buffer's CL_MEM_ASSOCIATED_MEMOBJECT, else the object itself), the origin
 * within it as addr, and the object's size as capacity. Only buffers of one space can overlap;
 * a buffer with space == 0 and addr == 0 is NULL.
 *
 * A front end's entry point, e.g. the CUDA one of issue 14:
 *
 *     int simdrop_cuda_forward_f32(float *y, uint8_t *mask, const float *x, size_t n, double p,
 *                                  uint64_t seed, uint64_t offset, cudaStream_t stream)
 *     {
 *         const simdrop_call c = {SIMDROP_ENTRY_FORWARD, SIMDROP_DTYPE_F32, n, 0, p, offset,
 *                                 {simdrop_buf_ptr(y), simdrop_buf_ptr(mask), simdrop_buf_ptr(x)},
 *                                 NULL, 0};   // the block (a block function's
 *                                             // simdrop_block_shape), the NHWC channels
 *         simdrop_fault f;
 *         if (simdrop_check(&c, &f)) {   // nothing launched, nothing written
 *             simdrop_check_message(&c, &f, "simdrop_cuda_", its_last_error, sizeof its_last_error);
 *             return f.status;
 *         }
 *         ... launch on `stream`
 *     }
 *
 * The CPU library's entry points (src/simdrop.c) are written the same way, with the prefix
 * "simdrop_" and its thread-local buffer behind simdrop_last_error(). meson.build names this
 * unit's sources `check_sources` for the other front ends' libraries to compile. */

#include <stddef.h>
#include <stdint.h>

#include "simdrop.h" /* the status codes */

#ifdef __cplusplus
extern "C" {
#endif

/* What a call does with a buffer, which decides the overlaps that are errors:
 *   IN        read; may overlap other inputs, never an output
 *   IN_ALIAS  read; may also be exactly (same start, same length) the OUT buffer: in place
 *   OUT       the main output (y, dx, out, the mask of simdrop_mask)
 *   SIDE      a further output (forward's mask, dbias): shares no byte with any other buffer */
enum simdrop_role { SIMDROP_IN, SIMDROP_IN_ALIAS, SIMDROP_OUT, SIMDROP_SIDE };

/* How a buffer's size in bytes follows from the call's counts. */
enum simdrop_size_rule {
    SIMDROP_SZ_ELEMENTS,  /* every element, of the dtype */
    SIMDROP_SZ_UNIT_BITS, /* one bit per unit (element, or group), rounded up to bytes */
    SIMDROP_SZ_BYTES,     /* one byte per element */
    SIMDROP_SZ_COLS,      /* cols elements of the dtype; none when the call has no elements */
    SIMDROP_SZ_COLS_ACC,  /* cols of the accumulation type (float; double for f64), even for
                           * rows == 0 */
    SIMDROP_SZ_LDX,       /* a block's rows read with stride ldx: (rows - 1) * ldx + cols
                           * elements of the dtype; none when the block has no elements */
    SIMDROP_SZ_LDY,       /* the same with stride ldy (the output, and the residual) */
    SIMDROP_SZ_PARTIALS,  /* a block's bias gradient, of the accumulation type: cols values, or
                           * with granule > 0 ceil(rows / granule) rows of cols partial sums */
    SIMDROP_SZ_ACC_ALL    /* a * b values of the accumulation type (the partials to reduce) */
};

/* The counts a call takes: (n), (groups, group_len), (rows, cols), (samples, spatial, channels),
 * a block (rows, cols and the call's block fields) or (granules, cols). Units own a mask bit and
 * a global index: elements, groups, rows * cols elements, or samples * channels (sample, channel)
 * pairs. */
enum simdrop_shape { SIMDROP_SHAPE_N, SIMDROP_SHAPE_GROUPS, SIMDROP_SHAPE_ROWS, SIMDROP_SHAPE_NHWC,
                     SIMDROP_SHAPE_BLOCK, SIMDROP_SHAPE_GRANULES };

/* The element types, in the order of the library's dtype enum (src/simdrop.c checks it). */
enum simdrop_check_dtype {
    SIMDROP_DTYPE_F32, SIMDROP_DTYPE_F64, SIMDROP_DTYPE_BF16, SIMDROP_DTYPE_F16,
    SIMDROP_DTYPE_NONE /* the mask functions */
};

typedef struct simdrop_param {
    const char *name;       /* as in include/simdrop.h */
    unsigned char role;     /* enum simdrop_role */
    unsigned char size;     /* enum simdrop_size_rule */
    unsigned char required; /* NULL is an error when the call has elements */
} simdrop_param;

#define SIMDROP_MAX_BUFS 5

typedef struct simdrop_signature {
    const char *name;         /* without prefix and dtype: "forward_groups" */
    unsigned char shape;      /* enum simdrop_shape */
    unsigned char uses_p;     /* takes p */
    unsigned char uses_offset; /* takes (seed, offset): the range check applies */
    unsigned char nbufs;
    simdrop_param buf[SIMDROP_MAX_BUFS]; /* in parameter order */
} simdrop_signature;

/* One row per entry point of include/simdrop.h (each dtype shares its family's row). */
enum simdrop_entry {
    SIMDROP_ENTRY_FORWARD, SIMDROP_ENTRY_BACKWARD, SIMDROP_ENTRY_BACKWARD_REGEN,
    SIMDROP_ENTRY_FORWARD_GROUPS, SIMDROP_ENTRY_BACKWARD_GROUPS,
    SIMDROP_ENTRY_BACKWARD_GROUPS_REGEN,
    SIMDROP_ENTRY_ALPHA_FORWARD, SIMDROP_ENTRY_ALPHA_BACKWARD, SIMDROP_ENTRY_ALPHA_BACKWARD_REGEN,
    SIMDROP_ENTRY_UNSCALED_FORWARD, SIMDROP_ENTRY_UNSCALED_BACKWARD,
    SIMDROP_ENTRY_UNSCALED_BACKWARD_REGEN,
    SIMDROP_ENTRY_BDA, SIMDROP_ENTRY_BDA_BACKWARD, SIMDROP_ENTRY_BDA_BACKWARD_REGEN,
    SIMDROP_ENTRY_MASK, SIMDROP_ENTRY_MASK_TO_BYTES, SIMDROP_ENTRY_MASK_FROM_BYTES,
    /* channels-last group and alpha dropout */
    SIMDROP_ENTRY_FORWARD_GROUPS_NHWC, SIMDROP_ENTRY_BACKWARD_GROUPS_NHWC,
    SIMDROP_ENTRY_BACKWARD_GROUPS_NHWC_REGEN,
    SIMDROP_ENTRY_FORWARD_ALPHA_NHWC, SIMDROP_ENTRY_BACKWARD_ALPHA_NHWC,
    SIMDROP_ENTRY_BACKWARD_ALPHA_NHWC_REGEN,
    /* blocks of a global (rows, cols) tensor, and the reduction of their bias gradients */
    SIMDROP_ENTRY_FORWARD_BLOCK, SIMDROP_ENTRY_BACKWARD_BLOCK, SIMDROP_ENTRY_BACKWARD_REGEN_BLOCK,
    SIMDROP_ENTRY_BDA_BLOCK, SIMDROP_ENTRY_BDA_BACKWARD_BLOCK,
    SIMDROP_ENTRY_BDA_BACKWARD_REGEN_BLOCK, SIMDROP_ENTRY_DBIAS_REDUCE,
    SIMDROP_ENTRY_COUNT
};

/* Buffers: name, role, size rule, required. */
#define OUT_ELEMS(name) {name, SIMDROP_OUT, SIMDROP_SZ_ELEMENTS, 1}
#define IN_ELEMS(name) {name, SIMDROP_IN_ALIAS, SIMDROP_SZ_ELEMENTS, 1}
#define MASK_WRITTEN {"mask", SIMDROP_SIDE, SIMDROP_SZ_UNIT_BITS, 0}
#define MASK_READ {"mask", SIMDROP_IN, SIMDROP_SZ_UNIT_BITS, 1}
#define DBIAS {"dbias", SIMDROP_SIDE, SIMDROP_SZ_COLS_ACC, 0}
#define OUT_ROWS(name) {name, SIMDROP_OUT, SIMDROP_SZ_LDY, 1}
#define IN_ROWS(name) {name, SIMDROP_IN_ALIAS, SIMDROP_SZ_LDX, 1}
#define DBIAS_ROWS {"dbias", SIMDROP_SIDE, SIMDROP_SZ_PARTIALS, 0}
/* forward (y, mask, x), backward (dx, dy, mask), backward_regen (dx, dy) of one shape; the
 * backward takes p unless its factor is 1 (backward_p = 0: dropout without rescaling) */
#define FAMILY(prefix, shape, suffix, backward_p)                                                 \
    {prefix "forward" suffix, shape, 1, 1, 3, {OUT_ELEMS("y"), MASK_WRITTEN, IN_ELEMS("x")}},     \
    {prefix "backward" suffix, shape, backward_p, 0, 3,                                           \
     {OUT_ELEMS("dx"), IN_ELEMS("dy"), MASK_READ}},                                               \
    {prefix "backward" suffix "_regen", shape, 1, 1, 2, {OUT_ELEMS("dx"), IN_ELEMS("dy")}}

/* In the header, not behind a function: with the row known where a front end calls
 * simdrop_check(), the compiler folds the row into that entry point's own code. */
static const simdrop_signature simdrop_signatures[SIMDROP_ENTRY_COUNT] = {
    FAMILY("", SIMDROP_SHAPE_N, "", 1),
    /* the group functions put "groups" after the verb: forward_groups, backward_groups_regen */
    FAMILY("", SIMDROP_SHAPE_GROUPS, "_groups", 1),
    FAMILY("alpha_", SIMDROP_SHAPE_GROUPS, "", 1),
    FAMILY("unscaled_", SIMDROP_SHAPE_GROUPS, "", 0),
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
    FAMILY("", SIMDROP_SHAPE_NHWC, "_groups_nhwc", 1),
    /* alpha_forward_nhwc, alpha_backward_nhwc, alpha_backward_nhwc_regen */
    FAMILY("alpha_", SIMDROP_SHAPE_NHWC, "_nhwc", 1),
    /* blocks: x-side buffers (x, dy, dout) have stride ldx, y-side ones (y, dx, out, residual) ldy */
    {"forward_block", SIMDROP_SHAPE_BLOCK, 1, 1, 3, {OUT_ROWS("y"), MASK_WRITTEN, IN_ROWS("x")}},
    {"backward_block", SIMDROP_SHAPE_BLOCK, 1, 0, 3, {OUT_ROWS("dx"), IN_ROWS("dy"), MASK_READ}},
    {"backward_regen_block", SIMDROP_SHAPE_BLOCK, 1, 1, 2, {OUT_ROWS("dx"), IN_ROWS("dy")}},
    {"bias_dropout_add_block", SIMDROP_SHAPE_BLOCK, 1, 1, 5,
     {OUT_ROWS("out"), MASK_WRITTEN, IN_ROWS("x"), {"bias", SIMDROP_IN, SIMDROP_SZ_COLS, 0},
      {"residual", SIMDROP_IN_ALIAS, SIMDROP_SZ_LDY, 0}}},
    {"bias_dropout_add_backward_block", SIMDROP_SHAPE_BLOCK, 1, 0, 4,
     {OUT_ROWS("dx"), DBIAS_ROWS, IN_ROWS("dout"), MASK_READ}},
    {"bias_dropout_add_backward_regen_block", SIMDROP_SHAPE_BLOCK, 1, 1, 3,
     {OUT_ROWS("dx"), DBIAS_ROWS, IN_ROWS("dout")}},
    {"dbias_reduce", SIMDROP_SHAPE_GRANULES, 0, 0, 2,
     {{"dbias", SIMDROP_OUT, SIMDROP_SZ_COLS_ACC, 1}, {"partials", SIMDROP_IN, SIMDROP_SZ_ACC_ALL, 1}}},
};
#undef OUT_ELEMS
#undef IN_ELEMS
#undef MASK_WRITTEN
#undef MASK_READ
#undef DBIAS
#undef OUT_ROWS
#undef IN_ROWS
#undef DBIAS_ROWS
#undef FAMILY

/* A buffer of a call (see "Addresses" above). */
typedef struct simdrop_buf {
    uintptr_t addr;    /* the start: a pointer, or the origin within `space` */
    uintptr_t space;   /* 0: the flat address space of pointers; else a memory object */
    uint64_t capacity; /* bytes the buffer holds, 0 when unknown (pointers) */
} simdrop_buf;

static inline simdrop_buf simdrop_buf_ptr(const void *p)
{
    simdrop_buf b;
    b.addr = (uintptr_t)p;
    b.space = 0;
    b.capacity = 0;
    return b;
}

/* A block function's block beyond its rows and cols, and the bias gradient's granule. */
typedef struct simdrop_block_shape {
    size_t row0, col0, global_cols, ldx, ldy, granule;
} simdrop_block_shape;

/* Whether a block's rows follow each other in memory and in the index space (one row, or
 * full-width rows with ld == cols): one contiguous range, which the CPU library and the GPU plans
 * run as the contiguous call. */
static inline int simdrop_block_is_one_range(size_t rows, size_t cols, size_t global_cols,
                                             size_t ldx, size_t ldy)
{
    return rows == 1 || (cols == global_cols && ldx == cols && ldy == cols);
}

/* One call, described: the arguments of the entry point `entry`, buffers in its order. */
typedef struct simdrop_call {
    int entry;  /* enum simdrop_entry */
    int dtype;  /* enum simdrop_check_dtype */
    size_t a, b; /* n (b unused) | groups, group_len | rows, cols | samples, spatial |
                  * granules, cols */
    double p;
    uint64_t offset;
    simdrop_buf buf[SIMDROP_MAX_BUFS];
    /* SIMDROP_SHAPE_BLOCK: the rest of the block (a, b are its rows and cols), or NULL when the
     * function's block pointer was NULL (the check then fails first); NULL for other shapes */
    const simdrop_block_shape *block;
    size_t channels; /* SIMDROP_SHAPE_NHWC's third count; 0 for the other shapes */
} simdrop_call;


/* What a failed check found: the status, which rule and which buffers, for the message. */
typedef struct simdrop_fault {
    int status; /* a SIMDROP_E* code of include/simdrop.h's argument checks, or 0 */
    int rule;   /* check.c's fault rules */
    int arg, other; /* buffer indices, -1 when none */
} simdrop_fault;

/* ---- the checks --------------------------------------------------------------------------- */

/* The rule a fault broke, for the message. */
enum simdrop_fault_rule {
    SIMDROP_F_NONE, SIMDROP_F_NULL, SIMDROP_F_PROB, SIMDROP_F_RANGE, SIMDROP_F_GROUP_LEN_ZERO,
    SIMDROP_F_COUNT_SIZE, SIMDROP_F_BUF_SIZE, SIMDROP_F_CAPACITY, SIMDROP_F_OVERLAP,
    SIMDROP_F_BUF_END,     /* a buffer's bytes would run past the last address */
    SIMDROP_F_NO_BLOCK,    /* the block pointer is NULL */
    SIMDROP_F_BLOCK_COLS,  /* col0 + cols > global_cols */
    SIMDROP_F_BLOCK_LDX,   /* ldx < cols */
    SIMDROP_F_BLOCK_LDY,   /* ldy < cols */
    SIMDROP_F_GRANULE      /* row0 is not a multiple of granule */
};

#if defined(__GNUC__) || defined(__clang__)
#define SIMDROP_CHECK_INLINE static inline __attribute__((always_inline))
#else
#define SIMDROP_CHECK_INLINE static inline
#endif

/* a * b, where the product fits in size_t (the counts of a call are size_t values). */
SIMDROP_CHECK_INLINE int simdrop_check_mul(uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__GNUC__) || defined(__clang__) /* no division */
    size_t p;
    if (__builtin_mul_overflow((size_t)a, (size_t)b, &p))
        return 0;
    *r = p;
    return 1;
#else
    if (a && b > SIZE_MAX / a)
        return 0;
    *r = a * b;
    return 1;
#endif
}

/* offset + count <= 2^64, i.e. the last index offset + count - 1 does not wrap. */
SIMDROP_CHECK_INLINE int simdrop_check_range(uint64_t count, uint64_t offset)
{
    return count == 0 || count - 1 <= UINT64_MAX - offset;
}

/* offset + rows * cols <= 2^64, where the product itself may be 2^64 (from offset 0): then
 * rows and cols are powers of two whose exponents add up to 64. */
static inline int simdrop_check_rows_range(uint64_t rows, uint64_t cols, uint64_t offset)
{
    if (!rows || cols <= UINT64_MAX / rows)
        return simdrop_check_range(rows * cols, offset);
    unsigned bits = 0; /* log2(rows) + log2(cols) */
    for (uint64_t r = rows; r >>= 1;)
        bits++;
    for (uint64_t k = cols; k >>= 1;)
        bits++;
    return offset == 0 && !(rows & (rows - 1)) && !(cols & (cols - 1)) && bits == 64;
}

/* a + b and a * b in 64 bits, 0 when they wrap (the global indices of a block). */
SIMDROP_CHECK_INLINE int simdrop_check_add64(uint64_t a, uint64_t b, uint64_t *r)
{
    *r = a + b;
    return *r >= a;
}

SIMDROP_CHECK_INLINE int simdrop_check_mul64(uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__GNUC__) || defined(__clang__)
    return !__builtin_mul_overflow(a, b, r);
#else
    if (a && b > UINT64_MAX / a)
        return 0;
    *r = a * b;
    return 1;
#endif
}

/* A block's last global index, offset + (row0 + rows - 1) * global_cols + col0 + cols - 1, is at
 * most 2^64 - 1 (a block without elements has none). */
SIMDROP_CHECK_INLINE int simdrop_check_block_range(const simdrop_call *c)
{
    const simdrop_block_shape *b = c->block;
    uint64_t i;
    return !c->a || !c->b ||
           (simdrop_check_add64(b->row0, c->a - 1, &i) && simdrop_check_mul64(i, b->global_cols, &i) &&
            simdrop_check_add64(i, b->col0, &i) && simdrop_check_add64(i, c->b - 1, &i) &&
            simdrop_check_add64(i, c->offset, &i));
}

/* Elements of the call: n, groups * group_len, rows * cols (a block's, or the partials') or
 * samples * spatial * channels; 0 when they overflow size_t. */
SIMDROP_CHECK_INLINE int simdrop_check_elements(const simdrop_call *c, uint64_t *n)
{
    const int shape = simdrop_signatures[c->entry].shape;
    if (shape == SIMDROP_SHAPE_N) {
        *n = c->a;
        return 1;
    }
    uint64_t ab;
    if (shape == SIMDROP_SHAPE_NHWC) {
        if (!c->a || !c->channels) { /* no element whatever spatial, which may be any size */
            *n = 0;
            return 1;
        }
        return simdrop_check_mul(c->a, c->b, &ab) && simdrop_check_mul(ab, c->channels, n);
    }
    return simdrop_check_mul(c->a, c->b, n);
}

/* Bytes of buffer i of a call of n elements; 0 when they overflow size_t. */
SIMDROP_CHECK_INLINE int simdrop_check_bytes(const simdrop_call *c, int i, uint64_t n,
                                             uint64_t *bytes)
{
    const simdrop_signature *s = &simdrop_signatures[c->entry];
    const unsigned es = c->dtype == SIMDROP_DTYPE_F64 ? 8 : c->dtype == SIMDROP_DTYPE_F32 ? 4 : 2;
    const unsigned as = c->dtype == SIMDROP_DTYPE_F64 ? 8 : 4; /* the accumulation type */
    /* mask bits; samples * channels fits where the elements do (spatial > 0, or none) */
    const uint64_t units = s->shape == SIMDROP_SHAPE_GROUPS  ? c->a
                           : s->shape == SIMDROP_SHAPE_NHWC ? (uint64_t)(c->a * c->channels)
                                                            : n;
    uint64_t k, g;
    switch (s->buf[i].size) {
    case SIMDROP_SZ_ELEMENTS: return simdrop_check_mul(n, es, bytes);
    case SIMDROP_SZ_UNIT_BITS: *bytes = units / 8 + (units % 8 != 0); return 1;
    case SIMDROP_SZ_BYTES: *bytes = n; return 1;
    case SIMDROP_SZ_COLS: *bytes = 0; return !n || simdrop_check_mul(c->b, es, bytes);
    case SIMDROP_SZ_LDX:
    case SIMDROP_SZ_LDY: /* (rows - 1) * ld + cols elements: the last row ends the extent */
        *bytes = 0;
        return !n || (simdrop_check_mul(c->a - 1, s->buf[i].size == SIMDROP_SZ_LDX ? c->block->ldx : c->block->ldy,
                                        &k) &&
                      simdrop_check_add64(k, c->b, &k) && k <= SIZE_MAX && simdrop_check_mul(k, es, bytes));
    case SIMDROP_SZ_PARTIALS:
        if (!(g = c->block->granule))
            return simdrop_check_mul(c->b, as, bytes);
        return simdrop_check_mul(c->a / g + (c->a % g != 0), c->b, &k) &&
               simdrop_check_mul(k, as, bytes);
    case SIMDROP_SZ_ACC_ALL: return simdrop_check_mul(c->a, c->b, &k) && simdrop_check_mul(k, as, bytes);
    default: return simdrop_check_mul(c->b, as, bytes);
    }
}

/* The geometry of a block, checked even when it has no elements: the block lies within the
 * global rows, each row stride holds a row, and the granules of the bias gradient start where
 * the block does. Returns the fault rule, or SIMDROP_F_NONE. */
SIMDROP_CHECK_INLINE int simdrop_check_block_geometry(const simdrop_call *c)
{
    const simdrop_block_shape *b = c->block;
    if (c->b > b->global_cols || b->col0 > b->global_cols - c->b)
        return SIMDROP_F_BLOCK_COLS;
    if (b->ldx < c->b)
        return SIMDROP_F_BLOCK_LDX;
    if (b->ldy < c->b)
        return SIMDROP_F_BLOCK_LDY;
    if (b->granule && b->row0 % b->granule)
        return SIMDROP_F_GRANULE;
    return SIMDROP_F_NONE;
}

SIMDROP_CHECK_INLINE int simdrop_check_null(const simdrop_buf *b)
{
    return !b->addr && !b->space;
}

SIMDROP_CHECK_INLINE int simdrop_check_fault(simdrop_fault *f, int status, int rule, int arg,
                                             int other)
{
    f->status = status;
    f->rule = rule;
    f->arg = arg;
    f->other = other;
    return status;
}

/* The argument checks of the call, in the documented order: SIMDROP_ENULL, SIMDROP_EPROB,
 * SIMDROP_ERANGE, SIMDROP_ESIZE, SIMDROP_EOVERLAP (docs/API.md, "Status codes"). Returns
 * SIMDROP_OK or the first code that applies, and fills *f. Touches no buffer. */
SIMDROP_CHECK_INLINE int simdrop_check(const simdrop_call *c, simdrop_fault *f)
{
    const simdrop_signature *s = &simdrop_signatures[c->entry];
    const int has_elements = c->a && (s->shape == SIMDROP_SHAPE_N || c->b) &&
                             (s->shape != SIMDROP_SHAPE_NHWC || c->channels);
    const int block = s->shape == SIMDROP_SHAPE_BLOCK;
    if (block && !c->block)
        return simdrop_check_fault(f, SIMDROP_ENULL, SIMDROP_F_NO_BLOCK, -1, -1);
    for (int i = 0; i < s->nbufs; i++)
        if (has_elements && s->buf[i].required && simdrop_check_null(&c->buf[i]))
            return simdrop_check_fault(f, SIMDROP_ENULL, SIMDROP_F_NULL, i, -1);
    if (s->uses_p && !(c->p >= 0.0 && c->p <= 1.0)) /* false for NaN */
        return simdrop_check_fault(f, SIMDROP_EPROB, SIMDROP_F_PROB, -1, -1);
    if (s->uses_offset && !(block                              ? simdrop_check_block_range(c)
                            : s->shape == SIMDROP_SHAPE_ROWS ? simdrop_check_rows_range(c->a, c->b, c->offset)
                            : s->shape == SIMDROP_SHAPE_NHWC /* samples * channels indices */
                                ? simdrop_check_rows_range(c->a, c->channels, c->offset)
                                : simdrop_check_range(c->a, c->offset)))
        return simdrop_check_fault(f, SIMDROP_ERANGE, SIMDROP_F_RANGE, -1, -1);
    /* spatial == 0 with channels is the NCHW form's group_len == 0 */
    if ((s->shape == SIMDROP_SHAPE_GROUPS && c->a && !c->b) ||
        (s->shape == SIMDROP_SHAPE_NHWC && c->a && c->channels && !c->b))
        return simdrop_check_fault(f, SIMDROP_ESIZE, SIMDROP_F_GROUP_LEN_ZERO, -1, -1);
    const int geometry = block ? simdrop_check_block_geometry(c) : SIMDROP_F_NONE;
    if (geometry)
        return simdrop_check_fault(f, SIMDROP_ESIZE, geometry, -1, -1);
    uint64_t n = 0, len[SIMDROP_MAX_BUFS];
    if (!simdrop_check_elements(c, &n))
        return simdrop_check_fault(f, SIMDROP_ESIZE, SIMDROP_F_COUNT_SIZE, -1, -1);
    for (int i = 0; i < s->nbufs; i++)
        if (!simdrop_check_bytes(c, i, n, &len[i]))
            return simdrop_check_fault(f, SIMDROP_ESIZE, SIMDROP_F_BUF_SIZE, i, -1);
    /* A buffer must end below the top of the address space (addr + bytes <= UINTPTR_MAX), so
     * that the ends the overlap test adds up below cannot wrap: a wrapped end made two
     * overlapping buffers look disjoint, and the call ran into them. */
    for (int i = 0; i < s->nbufs; i++)
        if (!simdrop_check_null(&c->buf[i]) && len[i] > UINTPTR_MAX - c->buf[i].addr)
            return simdrop_check_fault(f, SIMDROP_ESIZE, SIMDROP_F_BUF_END, i, -1);
    for (int i = 0; i < s->nbufs; i++) /* a front end that knows its buffers' sizes */
        if (c->buf[i].capacity && !simdrop_check_null(&c->buf[i]) && len[i] > c->buf[i].capacity)
            return simdrop_check_fault(f, SIMDROP_ESIZE, SIMDROP_F_CAPACITY, i, -1);
    /* Buffers that share a byte must be two inputs, or the main output exactly on an input
     * that may be it (the same start and length). */
    for (int i = 0; i < s->nbufs; i++)
        for (int j = i + 1; j < s->nbufs; j++) {
            const int ri = s->buf[i].role, rj = s->buf[j].role;
            const simdrop_buf *a = &c->buf[i], *b = &c->buf[j];
            if ((ri <= SIMDROP_IN_ALIAS && rj <= SIMDROP_IN_ALIAS) || simdrop_check_null(a) ||
                simdrop_check_null(b) || a->space != b->space || !len[i] || !len[j] ||
                a->addr >= b->addr + len[j] || b->addr >= a->addr + len[i])
                continue;
            const int alias = (ri == SIMDROP_OUT && rj == SIMDROP_IN_ALIAS) ||
                              (ri == SIMDROP_IN_ALIAS && rj == SIMDROP_OUT);
            if (!(alias && a->addr == b->addr && len[i] == len[j]))
                return simdrop_check_fault(f, SIMDROP_EOVERLAP, SIMDROP_F_OVERLAP, i, j);
        }
    f->status = SIMDROP_OK;
    return SIMDROP_OK;
}

/* ---- the messages (check.c) ------------------------------------------------------------------ */

/* The entry point's name, "<prefix><signature name>[_<dtype>]", e.g. "simdrop_forward_f32" or
 * "simdrop_cl_forward_f32"; truncated to fit. */
void simdrop_call_name(const simdrop_call *c, const char *prefix, char *buf, size_t size);

/* The message of a failed check: the function, the argument(s) and the values, and the code's
 * name, e.g. "simdrop_forward_f32: y [0x7f31c0001000, +400 bytes) and mask [0x7f31c000118c,
 * +13 bytes) overlap: mask is written and may share no byte with another buffer
 * (SIMDROP_EOVERLAP)". Only for the failure path: it formats text. */
void simdrop_check_message(const simdrop_call *c, const simdrop_fault *f, const char *prefix,
                           char *buf, size_t size);

/* The name of a status code of include/simdrop.h ("SIMDROP_EOVERLAP"), or NULL. */
const char *simdrop_status_name(int status);

/* What simdrop_strerror() says of a status code (and the GPU libraries' strerror functions). */
const char *simdrop_status_text(int status);

#ifdef __cplusplus
}
#endif

#endif
