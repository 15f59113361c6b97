/* entries.h: every public entry point as data: its buffers, their sizes and roles, and one uniform call. */
#ifndef SIMDROP_TEST_ENTRIES_H
#define SIMDROP_TEST_ENTRIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "simdrop.h"

enum ent_family { FAM_ELEMENT, FAM_GROUPS, FAM_ALPHA, FAM_UNSCALED, FAM_BDA, FAM_MASK, FAM_BYTES,
                  FAM_NHWC, FAM_ALPHA_NHWC, /* channels-last group and alpha dropout */
                  FAM_BLOCK, FAM_BDA_BLOCK, FAM_REDUCE };
enum ent_kind { K_FORWARD, K_BACKWARD, K_REGEN, K_TO_BYTES, K_FROM_BYTES };
enum ent_dtype { E_F32, E_F64, E_BF16, E_F16 }; /* the library's DT_ order */

/* How a buffer is sized from the call's shape. */
enum ent_size {
    SZ_ELEMS,  /* every element, of the dtype */
    SZ_BITS,   /* one bit per unit (element, or group), rounded up to bytes */
    SZ_BYTES,  /* one byte per element */
    SZ_BIAS,   /* cols elements of the dtype */
    SZ_DBIAS,  /* cols floats (doubles for f64) */
    SZ_LDX,    /* a block's rows with stride ldx: (rows - 1) * ldx + cols elements */
    SZ_LDY,    /* the same with stride ldy */
    SZ_PARTIALS, /* a block's dbias: cols floats, or ceil(rows / granule) * cols */
    SZ_ACC_ALL /* a * b floats (doubles for f64): the partial sums to reduce */
};

typedef struct ent_arg {
    const char *name;
    unsigned char size;     /* enum ent_size */
    unsigned char is_out;   /* written by the call */
    unsigned char nullable; /* NULL is allowed with elements present */
    unsigned char alias;    /* may be exactly the first buffer (the main output) */
} ent_arg;

/* A call's sizes: n (element and mask functions), groups x group_len, rows x cols,
 * samples x spatial x c (channels: the NHWC families only, 0 elsewhere), a block (a = rows,
 * b = cols and the fields after c; granule: its bias gradient's), or granules x cols (the
 * reduction). */
typedef struct ent_shape {
    size_t a, b, c;
    size_t row0, col0, global_cols, ldx, ldy, granule;
} ent_shape;

static inline ent_shape ent_ab(size_t a, size_t b)
{
    ent_shape s;
    memset(&s, 0, sizeof s);
    s.a = a;
    s.b = b;
    return s;
}

/* The NHWC families' (samples, spatial, channels). */
static inline ent_shape ent_abc(size_t a, size_t b, size_t c)
{
    ent_shape s = ent_ab(a, b);
    s.c = c;
    return s;
}

typedef struct entry {
    const char *name;
    int family, kind, dt;
    int uses_p, uses_seed; /* uses_seed: takes seed and offset */
    int nargs;
    ent_arg arg[5];
    int (*call)(void *const *buf, ent_shape s, double p, uint64_t seed, uint64_t offset);
} entry;

/* The families whose calls are groups x group_len elements with a mask bit per group. */
static inline int ent_grouped(const entry *e)
{
    return e->family == FAM_GROUPS || e->family == FAM_ALPHA || e->family == FAM_UNSCALED;
}

static inline size_t ent_dtype_size(int dt)
{
    return dt == E_F64 ? 8 : dt == E_F32 ? 4 : 2;
}

static inline int ent_is_nhwc(const entry *e)
{
    return e->family == FAM_NHWC || e->family == FAM_ALPHA_NHWC;
}

static inline int ent_is_block(const entry *e)
{
    return e->family == FAM_BLOCK || e->family == FAM_BDA_BLOCK;
}

/* Elements of the call (SIZE_MAX when the product overflows). */
static inline size_t ent_elements(const entry *e, ent_shape s)
{
    if (e->family == FAM_ELEMENT || e->family == FAM_MASK || e->family == FAM_BYTES)
        return s.a;
    if (ent_is_nhwc(e) && !s.c) /* no channel: no element, however many positions */
        return 0;
    if (s.a && s.b > SIZE_MAX / s.a)
        return SIZE_MAX;
    if (ent_is_nhwc(e) && s.a * s.b != 0 && s.c > SIZE_MAX / (s.a * s.b))
        return SIZE_MAX;
    return s.a * s.b * (ent_is_nhwc(e) ? s.c : 1);
}

/* Units that own a mask bit and a global index: groups for group functions, (sample, channel)
 * pairs for the NHWC ones, else elements. */
static inline size_t ent_units(const entry *e, ent_shape s)
{
    if (ent_is_nhwc(e))
        return s.a * s.c;
    return ent_grouped(e) ? s.a : ent_elements(e, s);
}

/* The global indices a call spans from its offset: its units, or for a block the distance
 * from the global tensor's element (0, 0) to one past the block's last element (0 without
 * elements); the caller's offset + span must stay within 2^64. Valid shapes only. */
static inline uint64_t ent_span(const entry *e, ent_shape s)
{
    if (!ent_is_block(e))
        return ent_units(e, s);
    if (!s.a || !s.b)
        return 0;
    return (uint64_t)(s.row0 + s.a - 1) * s.global_cols + s.col0 + s.b;
}

/* Bytes of buffer `i` for a well-formed shape. */
static inline size_t ent_bytes(const entry *e, int i, ent_shape s)
{
    const size_t n = ent_elements(e, s), es = ent_dtype_size(e->dt), as = e->dt == E_F64 ? 8 : 4;
    switch (e->arg[i].size) {
    case SZ_ELEMS: return n * es;
    case SZ_BITS: return (ent_units(e, s) + 7) / 8;
    case SZ_BYTES: return n;
    case SZ_BIAS: return n ? s.b * es : 0;
    case SZ_LDX: return n ? ((s.a - 1) * s.ldx + s.b) * es : 0;
    case SZ_LDY: return n ? ((s.a - 1) * s.ldy + s.b) * es : 0;
    case SZ_PARTIALS: return (s.granule ? (s.a + s.granule - 1) / s.granule : 1) * s.b * as;
    case SZ_ACC_ALL: return s.a * s.b * as;
    default: return s.b * as;
    }
}

/* Bytes a typed buffer moves by (its element, or the accumulation type), 1 for bytes and bits:
 * what a test misaligns it by, since a misaligned float is undefined behaviour. */
static inline size_t ent_unit(const entry *e, int i)
{
    switch (e->arg[i].size) {
    case SZ_ELEMS:
    case SZ_BIAS:
    case SZ_LDX:
    case SZ_LDY: return ent_dtype_size(e->dt);
    case SZ_DBIAS:
    case SZ_PARTIALS:
    case SZ_ACC_ALL: return e->dt == E_F64 ? 8 : 4;
    default: return 1;
    }
}

/* Whether input i may be passed as the main output (buffer 0) for shape s: it may alias, and
 * the two are the same bytes (a block's x-side and y-side strides must agree). */
static inline int ent_can_alias(const entry *e, int i, ent_shape s)
{
    return i > 0 && e->arg[i].alias && ent_bytes(e, i, s) == ent_bytes(e, 0, s);
}

/* "3,5", "3,5,7" for channels-last, or for a block "3,5 block=row0,col0/global_cols ld=ldx,ldy
 * granule=g": the shape for a test's messages. */
static inline const char *ent_shape_text(const entry *e, ent_shape s, char *buf, size_t len)
{
    if (ent_is_block(e))
        snprintf(buf, len, "%zu,%zu block=%zu,%zu/%zu ld=%zu,%zu granule=%zu", s.a, s.b, s.row0,
                 s.col0, s.global_cols, s.ldx, s.ldy, s.granule);
    else if (ent_is_nhwc(e))
        snprintf(buf, len, "%zu,%zu,%zu", s.a, s.b, s.c);
    else
        snprintf(buf, len, "%zu,%zu", s.a, s.b);
    return buf;
}

/* A valid block of s.a rows and s.b columns (block entries), its other fields drawn from the
 * random bits r: global rows from cols to a few times wider, or past a generator block (4096),
 * aligned to rounds (32) half the time so that the walk's whole-round path runs; col0 anywhere
 * it fits; row0 up to 99, a multiple of the granule; row strides cols or up to 40 more, the
 * same for x and y half the time (in place needs it); with_granule: granule 0 (dbias by 4.5's
 * chunks) half the time, else 1 to 9 rows. */
static inline ent_shape ent_block(ent_shape s, uint64_t r, int with_granule)
{
    const size_t cols = s.b;
    const int aligned = r & 1;
    r >>= 1;
    size_t extra;
    switch (r % 4) {
    case 0: extra = 0; break;
    case 1: extra = (r >> 2) % (3 * cols + 70); break;
    case 2: extra = 4096 + (r >> 2) % 5000; break;
    default: extra = (r >> 2) % 200; break;
    }
    r >>= 20;
    if (aligned)
        extra = (extra + 31) / 32 * 32 + (cols % 32 ? 32 - cols % 32 : 0);
    s.global_cols = cols + extra;
    s.col0 = extra ? (size_t)(r % (extra + 1)) : 0;
    if (aligned)
        s.col0 = s.col0 / 32 * 32;
    r >>= 13;
    s.granule = with_granule && (r & 1) ? 1 + (size_t)((r >> 1) % 9) : 0;
    r >>= 5;
    s.row0 = (size_t)(r % 100);
    if (s.granule)
        s.row0 -= s.row0 % s.granule;
    r >>= 7;
    s.ldx = cols + ((r & 3) ? 0 : (size_t)((r >> 2) % 41));
    r >>= 8;
    s.ldy = (r & 1) ? s.ldx : cols + ((r & 2) ? 0 : (size_t)((r >> 2) % 41));
    return s;
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
    static int call_uforward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)  \
    {                                                                                              \
        return simdrop_unscaled_forward_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], s.a,     \
                                             s.b, p, sd, o);                                       \
    }                                                                                              \
    static int call_ubackward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o) \
    {                                                                                              \
        (void)p, (void)sd, (void)o;                                                                \
        return simdrop_unscaled_backward_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2],   \
                                              s.a, s.b);                                           \
    }                                                                                              \
    static int call_uregen_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)    \
    {                                                                                              \
        return simdrop_unscaled_backward_regen_##dt((T *)b[0], (const T *)b[1], s.a, s.b, p, sd,   \
                                                    o);                                            \
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

/* The channels-last families: forward, backward, regen of group (g) and alpha (a) dropout. */
#define ENT_NHWC_CALLS(dt, T)                                                                      \
    ENT_NHWC_FAMILY(dt, T, ng, forward_groups_nhwc, backward_groups_nhwc,                        \
                    backward_groups_nhwc_regen)                                                    \
    ENT_NHWC_FAMILY(dt, T, na, alpha_forward_nhwc, alpha_backward_nhwc, alpha_backward_nhwc_regen)
#define ENT_NHWC_FAMILY(dt, T, id, fwd, bwd, rgn)                                                  \
    static int call_##id##forward_##dt(void *const *b, ent_shape s, double p, uint64_t sd,         \
                                       uint64_t o)                                                 \
    {                                                                                              \
        return simdrop_##fwd##_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], s.a, s.b, s.c, p, \
                                    sd, o);                                                        \
    }                                                                                              \
    static int call_##id##backward_##dt(void *const *b, ent_shape s, double p, uint64_t sd,        \
                                        uint64_t o)                                                \
    {                                                                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_##bwd##_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2], s.a, s.b,   \
                                    s.c, p);                                                       \
    }                                                                                              \
    static int call_##id##regen_##dt(void *const *b, ent_shape s, double p, uint64_t sd,           \
                                     uint64_t o)                                                   \
    {                                                                                              \
        return simdrop_##rgn##_##dt((T *)b[0], (const T *)b[1], s.a, s.b, s.c, p, sd, o);          \
    }

ENT_NHWC_CALLS(f32, float)
ENT_NHWC_CALLS(f64, double)
ENT_NHWC_CALLS(bf16, uint16_t)
ENT_NHWC_CALLS(f16, uint16_t)

/* The block functions: the shape's block fields as a simdrop_block. */
static inline simdrop_block ent_simdrop_block(ent_shape s)
{
    simdrop_block b = {s.a, s.b, s.row0, s.col0, s.global_cols, s.ldx, s.ldy};
    return b;
}

#define ENT_BLOCK_CALLS(dt, T, A)                                                                  \
    static int call_bforward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)  \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        return simdrop_forward_block_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2], &k, p, sd,  \
                                          o);                                                      \
    }                                                                                              \
    static int call_bbackward_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o) \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_backward_block_##dt((T *)b[0], (const T *)b[1], (const uint8_t *)b[2], &k,  \
                                           p);                                                     \
    }                                                                                              \
    static int call_bregen_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)    \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        return simdrop_backward_regen_block_##dt((T *)b[0], (const T *)b[1], &k, p, sd, o);        \
    }                                                                                              \
    static int call_bbda_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)      \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        return simdrop_bias_dropout_add_block_##dt((T *)b[0], (uint8_t *)b[1], (const T *)b[2],    \
                                                   (const T *)b[3], (const T *)b[4], &k, p, sd,    \
                                                   o);                                             \
    }                                                                                              \
    static int call_bbdab_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)     \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        (void)sd, (void)o;                                                                         \
        return simdrop_bias_dropout_add_backward_block_##dt((T *)b[0], (A *)b[1], (const T *)b[2], \
                                                            (const uint8_t *)b[3], &k, s.granule,  \
                                                            p);                                    \
    }                                                                                              \
    static int call_bbdar_##dt(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)     \
    {                                                                                              \
        const simdrop_block k = ent_simdrop_block(s);                                              \
        return simdrop_bias_dropout_add_backward_regen_block_##dt(                                 \
            (T *)b[0], (A *)b[1], (const T *)b[2], &k, s.granule, p, sd, o);                       \
    }

ENT_CALLS(f32, float, float)
ENT_CALLS(f64, double, double)
ENT_CALLS(bf16, uint16_t, float)
ENT_CALLS(f16, uint16_t, float)
ENT_BLOCK_CALLS(f32, float, float)
ENT_BLOCK_CALLS(f64, double, double)
ENT_BLOCK_CALLS(bf16, uint16_t, float)
ENT_BLOCK_CALLS(f16, uint16_t, float)

static int call_reduce_f32(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)
{
    (void)p, (void)sd, (void)o;
    return simdrop_dbias_reduce_f32((float *)b[0], (const float *)b[1], s.a, s.b);
}

static int call_reduce_f64(void *const *b, ent_shape s, double p, uint64_t sd, uint64_t o)
{
    (void)p, (void)sd, (void)o;
    return simdrop_dbias_reduce_f64((double *)b[0], (const double *)b[1], s.a, s.b);
}

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

#define ENT_FAMILY(dt, E, fam, fwd, bwd, rgn, prefix, bwd_p)                                       \
    {prefix "forward_" #dt, fam, K_FORWARD, E, 1, 1, 3,                                            \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(fwd##_##dt)},                               \
    {prefix "backward_" #dt, fam, K_BACKWARD, E, bwd_p, 0, 3,                                      \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(bwd##_##dt)},                              \
    {prefix "backward_regen_" #dt, fam, K_REGEN, E, 1, 1, 2, {ENT_OUT("dx"), ENT_IN("dy")},       \
     ENT_FN(rgn##_##dt)}

#define ENT_DTYPE(dt, E)                                                                           \
    ENT_FAMILY(dt, E, FAM_ELEMENT, call_forward, call_backward, call_regen, "", 1),                \
    {"forward_groups_" #dt, FAM_GROUPS, K_FORWARD, E, 1, 1, 3,                                     \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(call_gforward_##dt)},                       \
    {"backward_groups_" #dt, FAM_GROUPS, K_BACKWARD, E, 1, 0, 3,                                   \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(call_gbackward_##dt)},                     \
    {"backward_groups_regen_" #dt, FAM_GROUPS, K_REGEN, E, 1, 1, 2,                                \
     {ENT_OUT("dx"), ENT_IN("dy")}, ENT_FN(call_gregen_##dt)},                                     \
    ENT_FAMILY(dt, E, FAM_ALPHA, call_aforward, call_abackward, call_aregen, "alpha_", 1),         \
    ENT_FAMILY(dt, E, FAM_UNSCALED, call_uforward, call_ubackward, call_uregen, "unscaled_", 0),   \
    {"bias_dropout_add_" #dt, FAM_BDA, K_FORWARD, E, 1, 1, 5,                                      \
     {ENT_OUT("out"), ENT_MASK_OUT, ENT_IN("x"), {"bias", SZ_BIAS, 0, 1, 0},                       \
      {"residual", SZ_ELEMS, 0, 1, 1}}, ENT_FN(call_bda_##dt)},                                    \
    {"bias_dropout_add_backward_" #dt, FAM_BDA, K_BACKWARD, E, 1, 0, 4,                            \
     {ENT_OUT("dx"), {"dbias", SZ_DBIAS, 1, 1, 0}, ENT_IN("dout"), ENT_MASK_IN},                   \
     ENT_FN(call_bdab_##dt)},                                                                      \
    {"bias_dropout_add_backward_regen_" #dt, FAM_BDA, K_REGEN, E, 1, 1, 3,                         \
     {ENT_OUT("dx"), {"dbias", SZ_DBIAS, 1, 1, 0}, ENT_IN("dout")}, ENT_FN(call_bdar_##dt)}

#define ENT_NHWC_DTYPE(dt, E)                                                                      \
    {"forward_groups_nhwc_" #dt, FAM_NHWC, K_FORWARD, E, 1, 1, 3,                                  \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(call_ngforward_##dt)},                      \
    {"backward_groups_nhwc_" #dt, FAM_NHWC, K_BACKWARD, E, 1, 0, 3,                                \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(call_ngbackward_##dt)},                    \
    {"backward_groups_nhwc_regen_" #dt, FAM_NHWC, K_REGEN, E, 1, 1, 2,                             \
     {ENT_OUT("dx"), ENT_IN("dy")}, ENT_FN(call_ngregen_##dt)},                                    \
    {"alpha_forward_nhwc_" #dt, FAM_ALPHA_NHWC, K_FORWARD, E, 1, 1, 3,                             \
     {ENT_OUT("y"), ENT_MASK_OUT, ENT_IN("x")}, ENT_FN(call_naforward_##dt)},                      \
    {"alpha_backward_nhwc_" #dt, FAM_ALPHA_NHWC, K_BACKWARD, E, 1, 0, 3,                           \
     {ENT_OUT("dx"), ENT_IN("dy"), ENT_MASK_IN}, ENT_FN(call_nabackward_##dt)},                    \
    {"alpha_backward_nhwc_regen_" #dt, FAM_ALPHA_NHWC, K_REGEN, E, 1, 1, 2,                        \
     {ENT_OUT("dx"), ENT_IN("dy")}, ENT_FN(call_naregen_##dt)}

/* The block functions: x-side buffers (x, dy, dout) have stride ldx, y-side ones ldy. */
#define ENT_OUT_Y(name) {name, SZ_LDY, 1, 0, 0}
#define ENT_IN_X(name) {name, SZ_LDX, 0, 0, 1}
#define ENT_DTYPE_BLOCKS(dt, E)                                                                    \
    {"forward_block_" #dt, FAM_BLOCK, K_FORWARD, E, 1, 1, 3,                                       \
     {ENT_OUT_Y("y"), ENT_MASK_OUT, ENT_IN_X("x")}, ENT_FN(call_bforward_##dt)},                   \
    {"backward_block_" #dt, FAM_BLOCK, K_BACKWARD, E, 1, 0, 3,                                     \
     {ENT_OUT_Y("dx"), ENT_IN_X("dy"), ENT_MASK_IN}, ENT_FN(call_bbackward_##dt)},                 \
    {"backward_regen_block_" #dt, FAM_BLOCK, K_REGEN, E, 1, 1, 2,                                  \
     {ENT_OUT_Y("dx"), ENT_IN_X("dy")}, ENT_FN(call_bregen_##dt)},                                 \
    {"bias_dropout_add_block_" #dt, FAM_BDA_BLOCK, K_FORWARD, E, 1, 1, 5,                          \
     {ENT_OUT_Y("out"), ENT_MASK_OUT, ENT_IN_X("x"), {"bias", SZ_BIAS, 0, 1, 0},                   \
      {"residual", SZ_LDY, 0, 1, 1}}, ENT_FN(call_bbda_##dt)},                                     \
    {"bias_dropout_add_backward_block_" #dt, FAM_BDA_BLOCK, K_BACKWARD, E, 1, 0, 4,                \
     {ENT_OUT_Y("dx"), {"dbias", SZ_PARTIALS, 1, 1, 0}, ENT_IN_X("dout"), ENT_MASK_IN},            \
     ENT_FN(call_bbdab_##dt)},                                                                     \
    {"bias_dropout_add_backward_regen_block_" #dt, FAM_BDA_BLOCK, K_REGEN, E, 1, 1, 3,             \
     {ENT_OUT_Y("dx"), {"dbias", SZ_PARTIALS, 1, 1, 0}, ENT_IN_X("dout")},                         \
     ENT_FN(call_bbdar_##dt)}

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
    ENT_NHWC_DTYPE(f32, E_F32),
    ENT_NHWC_DTYPE(f64, E_F64),
    ENT_NHWC_DTYPE(bf16, E_BF16),
    ENT_NHWC_DTYPE(f16, E_F16),
    /* blocks since 1.2, after the others: an entry keeps its index (fuzz_diff's corpus names it) */
    ENT_DTYPE_BLOCKS(f32, E_F32),
    ENT_DTYPE_BLOCKS(f64, E_F64),
    ENT_DTYPE_BLOCKS(bf16, E_BF16),
    ENT_DTYPE_BLOCKS(f16, E_F16),
    {"dbias_reduce_f32", FAM_REDUCE, K_FORWARD, E_F32, 0, 0, 2,
     {{"dbias", SZ_DBIAS, 1, 0, 0}, {"partials", SZ_ACC_ALL, 0, 0, 0}}, ENT_FN(call_reduce_f32)},
    {"dbias_reduce_f64", FAM_REDUCE, K_FORWARD, E_F64, 0, 0, 2,
     {{"dbias", SZ_DBIAS, 1, 0, 0}, {"partials", SZ_ACC_ALL, 0, 0, 0}}, ENT_FN(call_reduce_f64)},
};
#define NENTRIES (sizeof entries / sizeof entries[0])

#endif
