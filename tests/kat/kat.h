/* kat.h: the known-answer vectors (tests/golden_v1.txt, tests/golden_values_v1.txt) as backend-neutral calls, and the interface an executor implements. */
#ifndef SIMDROP_KAT_H
#define SIMDROP_KAT_H

/* The model is Random123's tests: one reader of the vector files, one driver that runs every
 * call and compares, and one small executor per environment. Here:
 *   kat_read.c   parses a record into a kat_record and expands it into the kat_calls it implies
 *                (forward with and without mask, in place, backward with the mask and its
 *                complement, regen, ...), each with its expected outputs: plain C, no library;
 *   kat_main.h   the driver: runs every call on every variant of a backend into guarded host
 *                buffers and compares them bit for bit (included by each executor's program);
 *   kat_cpu.c    the CPU executor: a call is one simdrop_* function; a variant is a kernel path.
 * A CUDA or OpenCL executor (issue 14) implements kat_backend (copy the inputs in, make the one
 * call, copy the outputs back) in its own kat_<env> program that includes kat_main.h; nothing
 * else changes. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* KAT_UNSCALED: dropout without rescaling (simdrop_unscaled_*), groups like KAT_GROUPS;
 * KAT_GRANULES: the fused backward's bias gradient by granules (MASK_SPEC.md 4.7) on a block of
 * all rows, and simdrop_dbias_reduce; KAT_SITE: the seed rule of MASK_SPEC.md section 8. */
enum kat_family {
    KAT_DROPOUT, KAT_GROUPS, KAT_ALPHA, KAT_UNSCALED, KAT_BDA, KAT_GRANULES, KAT_MASK, KAT_SITE,
    KAT_FAMILIES
};
/* KAT_REDUCE: dbias from the partial sums in x; KAT_SITE_SEED: y = {site_key, site_seed} */
enum kat_op { KAT_FORWARD, KAT_BACKWARD, KAT_REGEN, KAT_MASK_ONLY, KAT_REDUCE, KAT_SITE_SEED };
enum kat_dtype { KAT_F32, KAT_F64, KAT_BF16, KAT_F16, KAT_DTYPES };
/* The output buffer of a call holds this input on entry and is passed as both (in place). */
enum kat_alias { KAT_APART, KAT_OUT_IS_X, KAT_OUT_IS_RESIDUAL };

/* An array of element bit patterns as the file gives them; loose[i]: the file wrote '?' for the
 * first digit (a NaN whose sign is the machine's, MASK_SPEC.md section 4.1). */
typedef struct kat_array {
    size_t n;
    unsigned es; /* bytes per element: 2, 4 or 8 */
    uint64_t *bits;
    uint8_t *loose;
} kat_array;

/* One record (line) of a vector file: the inputs in memory, ready to pass, and the answers. */
typedef struct kat_record {
    unsigned line;
    int family, dtype;   /* KAT_MASK records (golden_v1.txt) are f32 forward with x = 1 */
    size_t a, b;         /* n (b = 1) | groups, group_len (groups, alpha, unscaled) | rows, cols |
                          * 2, 1 (KAT_SITE) */
    size_t granule;      /* KAT_GRANULES */
    double p;
    uint64_t seed, offset; /* KAT_SITE: the base seed and the step */
    char *site;          /* KAT_SITE: the site's name */
    void *x, *bias, *residual, *dout; /* inputs (dtype elements); NULL when absent */
    void *partials_in;   /* KAT_GRANULES: the partial sums in memory, the reduction's input */
    size_t n, mask_bytes;             /* elements; bytes of the mask (bits per element/group) */
    kat_array y, dx, dx_inv, dbias, dbias_inv;
    kat_array partials;  /* KAT_GRANULES (dbias is their reduction) */
    uint8_t *mask, *mask_inv;         /* the golden mask and its complement (bits past the end 0) */
} kat_record;

/* One call and what it must produce. Buffers are host memory; sizes follow from the fields. */
typedef struct kat_call {
    const char *what;                 /* "backward in place (dx == dy)" */
    int family, op, dtype;
    size_t a, b;
    size_t granule;                   /* KAT_GRANULES: the block backward's granule */
    double p;
    uint64_t seed, offset;            /* KAT_SITE: the base seed and the step */
    const char *site;                 /* KAT_SITE: the site's name */
    const void *x;                    /* the input: x, dy, dout, or the partial sums to reduce */
    const void *bias, *residual;      /* the fused forward's, NULL when absent */
    const uint8_t *mask_in;           /* backward's mask */
    int alias;                        /* enum kat_alias */
    int write_mask, write_dbias;      /* pass an output mask (forward) / dbias (fused backward) */
    const kat_array *want_y;          /* expected y, dx or out; NULL: not compared */
    const uint8_t *want_mask;         /* expected mask; NULL: not compared */
    const kat_array *want_dbias;
} kat_call;

/* Output sizes of a call. */
size_t kat_elements(const kat_call *c);
size_t kat_mask_bytes(const kat_call *c);
unsigned kat_dtype_size(int dtype);
unsigned kat_dbias_size(int dtype); /* float, or double for f64 */
size_t kat_dbias_len(const kat_call *c);

/* ---- the reader ------------------------------------------------------------------------------ */

/* Parses one line of either file into *r. Returns 1 for a record, 0 for a comment or an empty
 * line, -1 for a malformed one (err says why). Free a record with kat_record_free. */
int kat_parse(const char *line, unsigned line_no, kat_record *r, char *err, size_t err_size);
void kat_record_free(kat_record *r);

/* The calls a record implies, with their expected outputs; at most KAT_MAX_CALLS. They point
 * into the record. */
#define KAT_MAX_CALLS 8
size_t kat_calls(const kat_record *r, kat_call *calls);

extern const char *const kat_family_names[KAT_FAMILIES];
extern const char *const kat_dtype_names[KAT_DTYPES];

/* ---- an executor ------------------------------------------------------------------------------ */

/* Which sign the NaN of Inf * 0 has where the file writes '?' (MASK_SPEC.md section 4.1), or
 * KAT_NAN_CANONICAL: the backend returns a NaN of its own choosing from every operation (RISC-V's
 * canonical NaN), so every NaN answer, '?' or not, matches any NaN and nothing else. */
enum kat_nan_sign { KAT_NAN_ANY, KAT_NAN_NEGATIVE, KAT_NAN_POSITIVE, KAT_NAN_CANONICAL };

/* The outputs a call writes, in host memory: y (n elements), mask (kat_mask_bytes) when
 * write_mask or a mask-only call, dbias (cols) when write_dbias; NULL otherwise. With an alias,
 * y holds that input on entry. */
typedef struct kat_outputs {
    void *y;
    uint8_t *mask;
    void *dbias;
} kat_outputs;

/* The most variants a backend may report; kat_main fails (never truncates) beyond it. */
#define KAT_MAX_VARIANTS 64

typedef struct kat_backend {
    const char *name;
    int nan_sign;                                        /* enum kat_nan_sign */
    /* CPU paths, devices, ...: stores the first `max` names, returns how many there are */
    size_t (*variants)(const char **names, size_t max);
    int (*select)(size_t variant);                       /* 0 on success */
    int (*run)(const kat_call *c, kat_outputs *out);     /* the call's status (0: success) */
    int (*finish)(void);                                 /* 0 on success */
} kat_backend;

#ifdef __cplusplus
}
#endif

#endif
