/* entries.h: every public entry point as data: its buffers, their sizes and roles, and one uniform call. */
#ifndef SIMDROP_TEST_ENTRIES_H
#define SIMDROP_TEST_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "simdrop.h"

enum ent_family { FAM_ELEMENT, FAM_GROUPS, FAM_ALPHA, FAM_BDA, FAM_MASK, FAM_BYTES };
enum ent_kind { K_FORWARD, K_BACKWARD, K_REGEN, K_TO_BYTES, K_FROM_BYTES };
enum ent_dtype { E_F32, E_F64, E_BF16, E_F16 }; /* the library's DT_ order */

/* How a buffer is sized from the call's shape. */
enum ent_size {
    SZ_ELEMS,  /* every element, of the dtype */
    SZ_BITS,   /* one bit per unit (element, or group), rounded up to bytes */
    SZ_BYTES,  /* one byte per element */
    SZ_BIAS,   /* cols elements of the dtype */
    SZ_DBIAS   /* cols floats (doubles for f64) */
};

typedef struct ent_arg {
    const char *name;
    unsigned char size;     /* enum ent_size */
    unsigned char is_out;   /* written by the call */
    unsigned char nullable; /* NULL is allowed with elements present */
    unsigned char alias;    /* may be exactly the first buffer (the main output) */
} ent_arg;

/* A call's sizes: n (element and mask functions), groups x group_len, or rows x cols. */
typedef struct ent_shape {
    size_t a, b;
} ent_shape;

typedef struct entry {
    const char *name;
    int family, kind, dt;
    int uses_p, uses_seed; /* uses_seed: takes seed and offset */
    int nargs;
    ent_arg arg[5];
    int (*call)(void *const *buf, ent_shape s, double p, uint64_t seed, uint64_t offset);
} entry;

static inline size_t ent_dtype_size(int dt)
{
    return dt == E_F64 ? 8 : dt == E_F32 ? 4 : 2;
}

/* Elements of the call (SIZE_MAX when the product overflows). */
static inline size_t ent_elements(const entry *e, ent_shape s)
{
    if (e->family == FAM_ELEMENT || e->family == FAM_MASK || e->family == FAM_BYTES)
        return s.a;
    if (s.a && s.b > SIZE_MAX / s.a)
        return SIZE_MAX;
    return s.a * s.b;
}

/* Units that own a mask bit and a global index: groups for group functions, else elements. */
static inline size_t ent_units(const entry *e, ent_shape s)
{
    return e->family == FAM_GROUPS || e->family == FAM_ALPHA ? s.a : ent_elements(e, s);
}

/* Bytes of buffer `i` for a well-formed shape. */
static inline size_t ent_bytes(const entry *e, int i, ent_shape s)
{
    const size_t n = ent_elements(e, s), es = ent_dtype_size(e->dt);
    switch (e->arg[i].size) {
    case SZ_ELEMS: return n * es;
    case SZ_BITS: return (ent_units(e, s) + 7) / 8;
    case SZ_BYTES: return n;
    case SZ_BIAS: return n ? s.b * es : 0;
    default: return s.b * (e->dt == E_F64 ? 8 : 4);
    }
}

/* ---- uniform calls ------------------------------------------------------------------------
 * ENT_NO_CALLS leaves them out (every `call` is NULL): the table alone, for a test that does not
 * link the library (test_check.c). */
#ifdef ENT_NO_CALLS
#define ENT_FN(f) NULL
#else
#define ENT_FN(f) f

#define ENT_CALLS(dt, T, A)                                                                        \
    static int call_forward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)   \
    {                                                                                              \
        return simdrop_forward_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], s.a, p, sd, o);   \
    }                                                                                              \
    static int call_backward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)  \
    {                                                                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_backward_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2], s.a, p);   \
    }                                                                                              \
    static int call_regen_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)     \
    {                                                                                              \
        return simdrop_backward_regen_##dt((T *)b[0], (const T *)b[1], s.a, p, sd, o);             \
    }                                                                                              \
    static int call_gforward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)  \
    {                                                                                              \
        return simdrop_forward_groups_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], s.a, s.b,  \
                                           p, sd, o);                                              \
    }                                                                                              \
    static int call_gbackward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o) \
    {                                                                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_backward_groups_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2],     \
                                            s.a, s.b, p);                                          \
    }                                                                                              \
    static int call_gregen_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)    \
    {                                                                                              \
        return simdrop_backward_groups_regen_##dt((T *)b[0], (const T *)b[1], s.a, s.b, p, sd, o); \
    }                                                                                              \
    static int call_aforward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)  \
    {                                                                                              \
        return simdrop_alpha_forward_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], s.a, s.b,   \
                                          p, sd, o);                                               \
    }                                                                                              \
    static int call_abackward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o) \
    {                                                                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_alpha_backward_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2],      \
                                           s.a, s.b, p);                                           \
    }                                                                                              \
    static int call_aregen_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)    \
    {                                                                                              \
        return simdrop_alpha_backward_regen_##dt((T *)b[0], (const T *)b[1], s.a, s.b, p, sd, o);  \
    }                                                                                              \
    static int call_bda_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)       \
    {                                                                                              \
        return simdrop_bias_dropout_add_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2],          \
                                             (const T *)b[3], (const T *)b[4], s.a, s.b, p, sd,    \
                                             o);                                                   \
    }                                                                                              \
    static int call_bdab_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)      \
    {                                                                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_bias_dropout_add_backward_##dt((T *)b[0], (A *)b[1], (const T *)b[2],       \
                                                      (const uint8_t *)b[3], s.a, s.b, p);         \
    }                                                                                              \
    static int call_bdar_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)      \
    {                                                                                              \
        return simdrop_bias_dropout_add_backward_regen_##dt((T *)b[0], (A *)b[1],                  \
                                                            (const T *)b[2], s.a, s.b, p, sd, o);  \
    }

ENT_CALLS(f32, float, float)
ENT_CALLS(f64, double, double)
ENT_CALLS(bf16, uint16_t, float)
ENT_CALLS(f16, uint16_t, float)

static int call_mask(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)
{
    return simdrop_mask((uint8_t *)b[0], s.a, p, sd, o);
}

static int call_to_bytes(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)
{
    (void)p, (void)sd, (void)o;
    return simdrop_mask_to_bytes((uint8_t *)b[0], (const uint8_t *)b[1], s.a);
}

static int call_from_bytes(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)
{
    (void)p, (void)sd, (void)o;
    return simdrop_mask_from_bytes((uint8_t *)b[0], (const uint8_t *)b[1], s.a);
}
#endif

/* ---- the table ------------------------------------------------------------------------------- */

/* Buffers: name, size, is_out, nullable, alias. */
#define ENT_OUT(name) {name, SZ_ELEMS, 1, 0, 0}
#define ENT_IN(name) {name, SZ_ELEMS, 0, 0, 1}
#define ENT_MASK_OUT {"mask", SZ_BITS, 1, 1, 0}
#define ENT_MASK_IN {"mask", SZ_BITS, 0, 0, 0}

#define ENT_FAMILY(dt, E, fam, fwd, bwd, rgn, prefix)                                              \
    {prefix "forward_" #dt, fam, K_FORWARD, E, 1, 1, 3,                                            \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(fwd##_##dt)},                               \
    {prefix "backward_" #dt, fam, K_BACKWARD, E, 1, 0, 3,                                          \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(bwd##_##dt)},                              \
    {prefix "backward_regen_" #dt, fam, K_REGEN, E, 1, 1, 2, {ENT_OUT("dx"), ENT_IN("dy")},       \
     ENT_FN(rgn##_##dt)}

#define ENT_DTYPE(dt, E)                                                                           \
    ENT_FAMILY(dt, E, FAM_ELEMENT, call_forward, call_backward, call_regen, ""),                   \
    {"forward_groups_" #dt, FAM_GROUPS, K_FORWARD, E, 1, 1, 3,                                     \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(call_gforward_##dt)},                       \
    {"backward_groups_" #dt, FAM_GROUPS, K_BACKWARD, E, 1, 0, 3,                                   \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(call_gbackward_##dt)},                     \
    {"backward_groups_regen_" #dt, FAM_GROUPS, K_REGEN, E, 1, 1, 2,                                \
     {ENT_OUT("dx"), ENT_IN("dy")}, ENT_FN(call_gregen_##dt)},                                     \
    ENT_FAMILY(dt, E, FAM_ALPHA, call_aforward, call_abackward, call_aregen, "alpha_"),            \
    {"bias_dropout_add_" #dt, FAM_BDA, K_FORWARD, E, 1, 1, 5,                                      \
     {ENT_OUT("out"), ENT_MASK_OUT, ENT_IN("x"), {"bias", SZ_BIAS, 0, 1, 0},                       \
      {"residual", SZ_ELEMS, 0, 1, 1}}, ENT_FN(call_bda_##dt)},                                    \
    {"bias_dropout_add_backward_" #dt, FAM_BDA, K_BACKWARD, E, 1, 0, 4,                            \
     {ENT_OUT("dx"), {"dbias", SZ_DBIAS, 1, 1, 0}, ENT_IN("dout"), ENT_MASK_IN},                   \
     ENT_FN(call_bdab_##dt)},                                                                      \
    {"bias_dropout_add_backward_regen_" #dt, FAM_BDA, K_REGEN, E, 1, 1, 3,                         \
     {ENT_OUT("dx"), {"dbias", SZ_DBIAS, 1, 1, 0}, ENT_IN("dout")}, ENT_FN(call_bdar_##dt)}

static const entry entries[] = {
    ENT_DTYPE(f32, E_F32),
    ENT_DTYPE(f64, E_F64),
    ENT_DTYPE(bf16, E_BF16),
    ENT_DTYPE(f16, E_F16),
    {"mask", FAM_MASK, K_FORWARD, E_F32, 1, 1, 1, {{"mask", SZ_BITS, 1, 0, 0}}, ENT_FN(call_mask)},
    {"mask_to_bytes", FAM_BYTES, K_TO_BYTES, E_F32, 0, 0, 2,
     {{"bytes", SZ_BYTES, 1, 0, 0}, {"mask", SZ_BITS, 0, 0, 0}}, ENT_FN(call_to_bytes)},
    {"mask_from_bytes", FAM_BYTES, K_FROM_BYTES, E_F32, 0, 0, 2,
     {{"mask", SZ_BITS, 1, 0, 0}, {"bytes", SZ_BYTES, 0, 0, 0}}, ENT_FN(call_from_bytes)},
};
#define NENTRIES (sizeof entries / sizeof entries[0])

#endif
