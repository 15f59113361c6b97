/* check.h: the argument checks of every entry point, as data: one unit for every front end (CPU now, CUDA and OpenCL later). */
#ifndef SIMDROP_CHECK_H
#define SIMDROP_CHECK_H

/* What is an error, in which order, and what the message says, is decided here and nowhere
 * else. Each entry point is a row of simdrop_signatures: its buffers in parameter order, with
 * their names, roles and sizes. A front end describes one call (the row, the dtype, the counts,
 * p, offset and its buffers) and calls simdrop_check() before it touches anything; only when
 * that fails does it ask for the message. The unit uses no kernel, dispatcher, thread or global
 * state (it is plain C99 plus <stdio.h>'s snprintf for the message), so the CPU library, a
 * CUDA host and an OpenCL host all compile and link this same file.
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
 *                                 {simdrop_buf_ptr(y), simdrop_buf_ptr(mask), simdrop_buf_ptr(x)}};
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
    SIMDROP_SZ_COLS_ACC   /* cols of the accumulation type (float; double for f64), even for
                           * rows == 0 */
};

/* The counts a call takes: (n), (groups, group_len) or (rows, cols). Units own a mask bit and
 * a global index: elements, groups, or rows * cols elements. */
enum simdrop_shape { SIMDROP_SHAPE_N, SIMDROP_SHAPE_GROUPS, SIMDROP_SHAPE_ROWS };

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
    SIMDROP_ENTRY_BDA, SIMDROP_ENTRY_BDA_BACKWARD, SIMDROP_ENTRY_BDA_BACKWARD_REGEN,
    SIMDROP_ENTRY_MASK, SIMDROP_ENTRY_MASK_TO_BYTES, SIMDROP_ENTRY_MASK_FROM_BYTES,
    SIMDROP_ENTRY_COUNT
};

extern const simdrop_signature simdrop_signatures[SIMDROP_ENTRY_COUNT];

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

/* One call, described: the arguments of the entry point `entry`, buffers in its order. */
typedef struct simdrop_call {
    int entry;  /* enum simdrop_entry */
    int dtype;  /* enum simdrop_check_dtype */
    size_t a, b; /* n (b unused) | groups, group_len | rows, cols */
    double p;
    uint64_t offset;
    simdrop_buf buf[SIMDROP_MAX_BUFS];
} simdrop_call;

/* What a failed check found: the status, which rule and which buffers, for the message. */
typedef struct simdrop_fault {
    int status; /* a SIMDROP_E* code of include/simdrop.h's argument checks, or 0 */
    int rule;   /* check.c's fault rules */
    int arg, other; /* buffer indices, -1 when none */
} simdrop_fault;

/* The argument checks of the call, in the documented order: SIMDROP_ENULL, SIMDROP_EPROB,
 * SIMDROP_ERANGE, SIMDROP_ESIZE, SIMDROP_EOVERLAP (docs/API.md, "Status codes"). Returns
 * SIMDROP_OK or the first code that applies, and fills *f. Touches no buffer. */
int simdrop_check(const simdrop_call *c, simdrop_fault *f);

/* The entry point's name, "<prefix><signature name>[_<dtype>]", e.g. "simdrop_forward_f32" or
 * "simdrop_cl_forward_f32"; truncated to fit. */
void simdrop_call_name(const simdrop_call *c, const char *prefix, char *buf, size_t size);

/* The message of a failed check: the function, the argument(s) and the values, and the code's
 * name, e.g. "simdrop_forward_f32: mask [0x7f31c0001000, +13 bytes) overlaps x [...]: ...
 * (SIMDROP_EOVERLAP)". Only for the failure path: it formats text. */
void simdrop_check_message(const simdrop_call *c, const simdrop_fault *f, const char *prefix,
                           char *buf, size_t size);

/* The name of a status code of include/simdrop.h ("SIMDROP_EOVERLAP"), or NULL. */
const char *simdrop_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif
