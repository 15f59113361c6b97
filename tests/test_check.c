/* test_check.c: the argument-check unit (src/check.c) alone, as a GPU front end will use it: linked without the library. */
#include <math.h>

#include "common.h"
#define ENT_NO_CALLS /* the table of tests/entries.h without its calls into the library */
#include "entries.h"
#include "check.h"

/* ---- the unit's rows agree with the test suite's own table of the entry points -------------- */

static int entry_of(const entry *e)
{
    static const int base[] = {SIMDROP_ENTRY_FORWARD, SIMDROP_ENTRY_FORWARD_GROUPS,
                               SIMDROP_ENTRY_ALPHA_FORWARD, SIMDROP_ENTRY_UNSCALED_FORWARD,
                               SIMDROP_ENTRY_BDA, -1, -1,
                               SIMDROP_ENTRY_FORWARD_GROUPS_NHWC, SIMDROP_ENTRY_FORWARD_ALPHA_NHWC,
                               SIMDROP_ENTRY_FORWARD_BLOCK, SIMDROP_ENTRY_BDA_BLOCK}; /* by ent_family */
    if (e->family == FAM_MASK)
        return SIMDROP_ENTRY_MASK;
    if (e->family == FAM_BYTES)
        return e->kind == K_TO_BYTES ? SIMDROP_ENTRY_MASK_TO_BYTES : SIMDROP_ENTRY_MASK_FROM_BYTES;
    if (e->family == FAM_REDUCE)
        return SIMDROP_ENTRY_DBIAS_REDUCE;
    return base[e->family] + e->kind; /* K_FORWARD, K_BACKWARD, K_REGEN */
}

static void check_table(void)
{
    static const int sizes[] = {SIMDROP_SZ_ELEMENTS, SIMDROP_SZ_UNIT_BITS, SIMDROP_SZ_BYTES,
                                SIMDROP_SZ_COLS, SIMDROP_SZ_COLS_ACC, SIMDROP_SZ_LDX,
                                SIMDROP_SZ_LDY, SIMDROP_SZ_PARTIALS,
                                SIMDROP_SZ_ACC_ALL}; /* by ent_size */
    static const int shapes[] = {SIMDROP_SHAPE_N,      SIMDROP_SHAPE_GROUPS, SIMDROP_SHAPE_GROUPS,
                                 SIMDROP_SHAPE_GROUPS, SIMDROP_SHAPE_ROWS,   SIMDROP_SHAPE_N,
                                 SIMDROP_SHAPE_N,      SIMDROP_SHAPE_NHWC,   SIMDROP_SHAPE_NHWC,
                                 SIMDROP_SHAPE_BLOCK,  SIMDROP_SHAPE_BLOCK,
                                 SIMDROP_SHAPE_GRANULES}; /* by ent_family */
    int seen[SIMDROP_ENTRY_COUNT] = {0};
    for (size_t i = 0; i < NENTRIES; i++) {
        const entry *e = &entries[i];
        const simdrop_signature *s = &simdrop_signatures[entry_of(e)];
        seen[entry_of(e)]++;
        const int typed = e->family != FAM_MASK && e->family != FAM_BYTES;
        simdrop_call c = {entry_of(e), typed ? e->dt : SIMDROP_DTYPE_NONE, 1, 1, 0.5, 0, {{0}}, NULL, 1};
        char name[96], want[96];
        simdrop_call_name(&c, "simdrop_", name, sizeof name);
        snprintf(want, sizeof want, "simdrop_%s", e->name);
        CHECK(!strcmp(name, want), "entry %s is called %s by the unit", want, name);
        CHECK(s->shape == shapes[e->family] && s->uses_p == e->uses_p &&
                  s->uses_offset == e->uses_seed && s->nbufs == e->nargs,
              "%s: shape, p, offset or buffer count", e->name);
        for (int k = 0; k < e->nargs && k < s->nbufs; k++) {
            const simdrop_param *a = &s->buf[k];
            const ent_arg *b = &e->arg[k];
            /* entries.h: the main output is buffer 0; any other written buffer is a side one */
            const int role = b->is_out ? (k == 0 ? SIMDROP_OUT : SIMDROP_SIDE)
                                       : (b->alias ? SIMDROP_IN_ALIAS : SIMDROP_IN);
            CHECK(!strcmp(a->name, b->name) && a->role == role && a->size == sizes[b->size] &&
                      a->required == !b->nullable,
                  "%s buffer %d: the unit has %s role %d size %d required %d, entries.h %s role %d "
                  "size %d required %d", e->name, k, a->name, a->role, a->size, a->required,
                  b->name, role, sizes[b->size], !b->nullable);
        }
    }
    for (int k = 0; k < SIMDROP_ENTRY_COUNT; k++) {
        const int per_dtype = k < SIMDROP_ENTRY_MASK ||
                              (k >= SIMDROP_ENTRY_FORWARD_GROUPS_NHWC && k < SIMDROP_ENTRY_DBIAS_REDUCE);
        CHECK(seen[k] == (per_dtype ? 4 : k == SIMDROP_ENTRY_DBIAS_REDUCE ? 2 : 1),
              "row %s is used by %d entries", simdrop_signatures[k].name, seen[k]);
    }
}

/* ---- exact messages, from calls with made-up addresses ---------------------------------------- */

static simdrop_buf at(uintptr_t addr)
{
    simdrop_buf b = {addr, 0, 0};
    return b;
}

/* In an OpenCL-style address space: `origin` within the memory object `space`. */
static simdrop_buf in_object(uintptr_t space, uintptr_t origin, uint64_t capacity)
{
    simdrop_buf b = {origin, space, capacity};
    return b;
}

static simdrop_call call3(int entry, int dt, size_t a, size_t b, double p, uint64_t offset,
                          simdrop_buf b0, simdrop_buf b1, simdrop_buf b2)
{
    simdrop_call c = {entry, dt, a, b, p, offset, {b0, b1, b2}, NULL, 0};
    return c;
}

/* The status and message of call c, against the expected ones. */
static void expect(const char *prefix, const simdrop_call *c, int status, const char *message)
{
    simdrop_fault f;
    const int got = simdrop_check(c, &f);
    char text[400] = "";
    if (got)
        simdrop_check_message(c, &f, prefix, text, sizeof text);
    CHECK(got == status && f.status == got, "status %d (fault %d), want %d: %s", got, f.status,
          status, text);
    CHECK(!strcmp(text, message), "message\n    got  \"%s\"\n    want \"%s\"", text, message);
}

static void check_messages(void)
{
    const int F = SIMDROP_ENTRY_FORWARD, G = SIMDROP_ENTRY_FORWARD_GROUPS;
    simdrop_call c = call3(F, SIMDROP_DTYPE_F32, 100, 0, 0.5, 7, at(0x1000), at(0), at(0));
    expect("simdrop_", &c, SIMDROP_ENULL, "simdrop_forward_f32: x is NULL while the call has "
           "elements (n = 100) (SIMDROP_ENULL)");
    c.buf[2] = at(0x2000);
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.p = NAN;
    expect("simdrop_", &c, SIMDROP_EPROB, "simdrop_forward_f32: p = NaN is not a probability in "
           "[0, 1] (SIMDROP_EPROB)");
    c.p = -INFINITY;
    expect("simdrop_cl_", &c, SIMDROP_EPROB, "simdrop_cl_forward_f32: p = -inf is not a "
           "probability in [0, 1] (SIMDROP_EPROB)");
    c.p = 1.5;
    expect("simdrop_cuda_", &c, SIMDROP_EPROB, "simdrop_cuda_forward_f32: p = 1.5 is not a "
           "probability in [0, 1] (SIMDROP_EPROB)");
    c.p = 0.5;
    c.offset = UINT64_MAX - 98;
    expect("simdrop_", &c, SIMDROP_ERANGE, "simdrop_forward_f32: offset + n = "
           "18446744073709551517 + 100 exceeds 2^64: the global element indices would wrap "
           "(SIMDROP_ERANGE)");
    c.offset = UINT64_MAX - 99; /* the last index is 2^64 - 1 */
    expect("simdrop_", &c, SIMDROP_OK, "");

    /* The mask overlapping y: named as such, not "only out == in is allowed". */
    c.offset = 0;
    c.buf[1] = at(0x1000 + 396);
    expect("simdrop_", &c, SIMDROP_EOVERLAP, "simdrop_forward_f32: y [0x1000, +400 bytes) and "
           "mask [0x118c, +13 bytes) overlap: mask is written and may share no byte with another "
           "buffer (SIMDROP_EOVERLAP)");
    c.buf[1] = at(0x1000 + 400); /* touching is not overlapping */
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.buf[1] = at(0);
    c.buf[2] = at(0x1004);
    expect("simdrop_", &c, SIMDROP_EOVERLAP, "simdrop_forward_f32: y [0x1000, +400 bytes) and "
           "x [0x1004, +400 bytes) overlap: y may be exactly x (the same start: in place) but "
           "not overlap it otherwise (SIMDROP_EOVERLAP)");
    c.buf[2] = at(0x1000);
    expect("simdrop_", &c, SIMDROP_OK, "");

    simdrop_call b = call3(SIMDROP_ENTRY_BACKWARD, SIMDROP_DTYPE_F64, 16, 0, 0.5, 0, at(0x100),
                           at(0x200), at(0x17f));
    expect("simdrop_", &b, SIMDROP_EOVERLAP, "simdrop_backward_f64: dx [0x100, +128 bytes) and "
           "mask [0x17f, +2 bytes) overlap: mask is read while dx is written, so they may not "
           "overlap (SIMDROP_EOVERLAP)");
    b.buf[2] = at(0x200); /* the mask may overlap dy: both are read */
    expect("simdrop_", &b, SIMDROP_OK, "");

    simdrop_call g = call3(G, SIMDROP_DTYPE_BF16, 3, 0, 0.5, 0, at(0x10), at(0), at(0x20));
    expect("simdrop_", &g, SIMDROP_ESIZE, "simdrop_forward_groups_bf16: group_len is 0 with "
           "groups = 3 (SIMDROP_ESIZE)");
    g.a = SIZE_MAX, g.b = 2;
    expect("simdrop_", &g, SIMDROP_ESIZE, "simdrop_forward_groups_bf16: the element count "
           "groups = 18446744073709551615, group_len = 2 overflows size_t (SIMDROP_ESIZE)");
    g.a = 2, g.b = SIZE_MAX / 4 + 1;
    expect("simdrop_", &g, SIMDROP_ESIZE, "simdrop_forward_groups_bf16: the size of y, "
           "groups * group_len * 2 bytes with groups = 2, group_len = 4611686018427387904, "
           "overflows size_t (SIMDROP_ESIZE)");
    g.a = 5, g.b = 3, g.offset = UINT64_MAX - 3;
    expect("simdrop_", &g, SIMDROP_ERANGE, "simdrop_forward_groups_bf16: offset + groups = "
           "18446744073709551612 + 5 exceeds 2^64: the global group indices would wrap "
           "(SIMDROP_ERANGE)");

    /* Dropout without rescaling: its backward takes no p, so no p is an error there. */
    simdrop_call u = call3(SIMDROP_ENTRY_UNSCALED_BACKWARD, SIMDROP_DTYPE_F16, 3, 4, NAN, 0,
                           at(0x100), at(0x200), at(0));
    expect("simdrop_", &u, SIMDROP_ENULL, "simdrop_unscaled_backward_f16: mask is NULL while the "
           "call has elements (groups = 3, group_len = 4) (SIMDROP_ENULL)");
    u.buf[2] = at(0x300);
    expect("simdrop_", &u, SIMDROP_OK, "");
    u.entry = SIMDROP_ENTRY_UNSCALED_FORWARD;
    expect("simdrop_", &u, SIMDROP_EPROB, "simdrop_unscaled_forward_f16: p = NaN is not a "
           "probability in [0, 1] (SIMDROP_EPROB)");

    simdrop_call r = {SIMDROP_ENTRY_BDA_BACKWARD_REGEN, SIMDROP_DTYPE_F16, (size_t)1 << 32,
                      (size_t)1 << 32, 0.5, 1, {at(0x10), at(0), at(0x20)}, NULL, 0};
    expect("simdrop_", &r, SIMDROP_ERANGE, "simdrop_bias_dropout_add_backward_regen_f16: offset "
           "+ rows * cols = 1 + 4294967296 * 4294967296 exceeds 2^64: the global element indices "
           "would wrap (SIMDROP_ERANGE)");
    r.offset = 0; /* the indices end exactly at 2^64, but no buffer that size exists */
    expect("simdrop_", &r, SIMDROP_ESIZE, "simdrop_bias_dropout_add_backward_regen_f16: the "
           "element count rows = 4294967296, cols = 4294967296 overflows size_t (SIMDROP_ESIZE)");
    r.a = 0, r.b = SIZE_MAX / 4 + 1, r.buf[1] = at(0x40);
    expect("simdrop_", &r, SIMDROP_ESIZE, "simdrop_bias_dropout_add_backward_regen_f16: the size "
           "of dbias, cols * 4 bytes with rows = 0, cols = 4611686018427387904, overflows size_t "
           "(SIMDROP_ESIZE)");
    r.a = 4, r.b = 8, r.buf[0] = at(0x1000), r.buf[1] = at(0x24);
    expect("simdrop_", &r, SIMDROP_EOVERLAP, "simdrop_bias_dropout_add_backward_regen_f16: dbias "
           "[0x24, +32 bytes) and dout [0x20, +64 bytes) overlap: dbias is written and may share "
           "no byte with another buffer (SIMDROP_EOVERLAP)");

    /* channels-last: three counts; the mask bits and indices are samples * channels */
    simdrop_call h = call3(SIMDROP_ENTRY_FORWARD_GROUPS_NHWC, SIMDROP_DTYPE_F32, 3, 0, 0.5, 0,
                           at(0x1000), at(0x2000), at(0x3000));
    h.channels = 5;
    expect("simdrop_", &h, SIMDROP_ESIZE, "simdrop_forward_groups_nhwc_f32: spatial is 0 with "
           "samples = 3, channels = 5 (SIMDROP_ESIZE)");
    h.b = 4, h.buf[1] = at(0x1000 + 4 * 59); /* the mask (2 bytes) in y's last element */
    expect("simdrop_", &h, SIMDROP_EOVERLAP, "simdrop_forward_groups_nhwc_f32: y [0x1000, +240 "
           "bytes) and mask [0x10ec, +2 bytes) overlap: mask is written and may share no byte "
           "with another buffer (SIMDROP_EOVERLAP)");
    h.buf[1] = at(0x2000), h.offset = UINT64_MAX - 13;
    expect("simdrop_", &h, SIMDROP_ERANGE, "simdrop_forward_groups_nhwc_f32: offset + samples * "
           "channels = 18446744073709551602 + 3 * 5 exceeds 2^64: the global group indices would "
           "wrap (SIMDROP_ERANGE)");
    h.offset = UINT64_MAX - 14; /* the last index is 2^64 - 1 */
    expect("simdrop_", &h, SIMDROP_OK, "");
    h.a = 2, h.b = SIZE_MAX / 8, h.channels = 4, h.offset = 0;
    expect("simdrop_", &h, SIMDROP_ESIZE, "simdrop_forward_groups_nhwc_f32: the size of y, "
           "samples * spatial * channels * 4 bytes with samples = 2, spatial = "
           "2305843009213693951, channels = 4, overflows size_t (SIMDROP_ESIZE)");
    h.b = SIZE_MAX / 4;
    expect("simdrop_", &h, SIMDROP_ESIZE, "simdrop_forward_groups_nhwc_f32: the element count "
           "samples = 2, spatial = 4611686018427387903, channels = 4 overflows size_t "
           "(SIMDROP_ESIZE)");
    h.channels = 0; /* no channel: no element, nothing checked but p */
    expect("simdrop_", &h, SIMDROP_OK, "");
    h.b = SIZE_MAX; /* also where samples * spatial overflows */
    expect("simdrop_", &h, SIMDROP_OK, "");

    /* A buffer past the top of the address space, alone or over another one: a wrapped end
     * must not make them look apart. */
    c = call3(F, SIMDROP_DTYPE_F32, 100, 0, 0.5, 0, at(UINTPTR_MAX - 399), at(0), at(0x2000));
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_forward_f32: y [0xfffffffffffffe70, +400 "
           "bytes) would run past the end of the address space (SIMDROP_ESIZE)");
    c.buf[0] = at(UINTPTR_MAX - 400); /* the last byte at 2^64 - 2 */
    expect("simdrop_", &c, SIMDROP_OK, "");
    c = call3(F, SIMDROP_DTYPE_F32, SIZE_MAX / 4, 0, 0.5, 0, at(0x1004), at(0), at(0x1000));
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_forward_f32: y [0x1004, +18446744073709551612 "
           "bytes) would run past the end of the address space (SIMDROP_ESIZE)");

    simdrop_call m = call3(SIMDROP_ENTRY_MASK_TO_BYTES, SIMDROP_DTYPE_NONE, 20, 0, 0.0, 0,
                           at(0x100), at(0x110), at(0));
    expect("simdrop_", &m, SIMDROP_EOVERLAP, "simdrop_mask_to_bytes: bytes [0x100, +20 bytes) "
           "and mask [0x110, +3 bytes) overlap: mask is read while bytes is written, so they may "
           "not overlap (SIMDROP_EOVERLAP)");
    m.p = NAN; /* the conversions take no p */
    m.buf[1] = at(0x114);
    expect("simdrop_", &m, SIMDROP_OK, "");

    /* Truncated to the buffer, and always terminated. */
    c = call3(F, SIMDROP_DTYPE_F32, 100, 0, 0.5, 0, at(0x1000), at(0), at(0));
    simdrop_fault f;
    CHECK(simdrop_check(&c, &f) == SIMDROP_ENULL, "ENULL");
    char small[12];
    memset(small, 'z', sizeof small);
    simdrop_check_message(&c, &f, "simdrop_", small, sizeof small);
    CHECK(!strcmp(small, "simdrop_for"), "truncated to \"%.12s\"", small);
}

/* ---- blocks: the geometry, the range, the extents ------------------------------------------------ */

static void check_blocks(void)
{
    const int B = SIMDROP_ENTRY_BDA_BLOCK;
    simdrop_block_shape g = {2, 3, 20, 9, 9, 0}; /* row0, col0, global_cols, ldx, ldy, granule */
    simdrop_call c = {B, SIMDROP_DTYPE_F32, 4, 9, 0.5, 7, {at(0x1000), at(0), at(0x2000), at(0),
                      at(0)}, NULL, 0};
    expect("simdrop_", &c, SIMDROP_ENULL, "simdrop_bias_dropout_add_block_f32: b (the "
           "simdrop_block) is NULL (SIMDROP_ENULL)");
    c.block = &g;
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.offset = UINT64_MAX - 111; /* the last index, offset + 5 * 20 + 3 + 8, is 2^64 - 1 */
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.offset++;
    expect("simdrop_", &c, SIMDROP_ERANGE, "simdrop_bias_dropout_add_block_f32: offset + (row0 + "
           "rows - 1) * global_cols + col0 + cols = 18446744073709551505 + (2 + 4 - 1) * 20 + 3 + 9 "
           "exceeds 2^64: the global element indices would wrap (SIMDROP_ERANGE)");
    c.offset = 0;
    g.col0 = 12;
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_bias_dropout_add_block_f32: col0 + cols = 12 + "
           "9 exceeds global_cols = 20: the block leaves the global rows (SIMDROP_ESIZE)");
    c.a = 0; /* also without elements */
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_bias_dropout_add_block_f32: col0 + cols = 12 + "
           "9 exceeds global_cols = 20: the block leaves the global rows (SIMDROP_ESIZE)");
    c.a = 4, g.col0 = 11, g.ldx = 8;
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_bias_dropout_add_block_f32: ldx = 8 is less "
           "than cols = 9: the rows would overlap (SIMDROP_ESIZE)");
    g.ldx = 9, g.ldy = 2;
    expect("simdrop_", &c, SIMDROP_ESIZE, "simdrop_bias_dropout_add_block_f32: ldy = 2 is less "
           "than cols = 9: the rows would overlap (SIMDROP_ESIZE)");
    g.ldy = 10; /* out [0x1000, +(3 * 10 + 9) * 4) and x [0x2000, +(3 * 9 + 9) * 4) */
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.buf[2] = at(0x1000); /* in place with other strides: the extents differ */
    expect("simdrop_", &c, SIMDROP_EOVERLAP, "simdrop_bias_dropout_add_block_f32: out [0x1000, "
           "+156 bytes) and x [0x1000, +144 bytes) overlap: out may be exactly x (the same start: "
           "in place) but not overlap it otherwise (SIMDROP_EOVERLAP)");
    g.ldx = 10;
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.buf[4] = at(0x1000 + 156); /* the residual, of stride ldy, just past out */
    expect("simdrop_", &c, SIMDROP_OK, "");
    c.buf[4] = at(0x1000 + 152);
    expect("simdrop_", &c, SIMDROP_EOVERLAP, "simdrop_bias_dropout_add_block_f32: out [0x1000, "
           "+156 bytes) and residual [0x1098, +156 bytes) overlap: out may be exactly residual (the "
           "same start: in place) but not overlap it otherwise (SIMDROP_EOVERLAP)");

    /* the bias gradient by granules: row0 a multiple of granule, ceil(rows / granule) rows */
    simdrop_block_shape h = {6, 0, 5, 5, 5, 4};
    simdrop_call r = {SIMDROP_ENTRY_BDA_BACKWARD_REGEN_BLOCK, SIMDROP_DTYPE_F64, 7, 5, 0.5, 0,
                      {at(0x1000), at(0x2000), at(0x3000)}, &h, 0};
    expect("simdrop_", &r, SIMDROP_ESIZE, "simdrop_bias_dropout_add_backward_regen_block_f64: "
           "row0 = 6 is not a multiple of granule = 4: the partial sums must start at a granule of "
           "the global rows (SIMDROP_ESIZE)");
    h.row0 = 8;
    expect("simdrop_", &r, SIMDROP_OK, "");
    r.buf[1] = at(0x3000 - 79); /* dbias: 2 rows of 5 doubles, its last byte on dout's first */
    expect("simdrop_", &r, SIMDROP_EOVERLAP, "simdrop_bias_dropout_add_backward_regen_block_f64: "
           "dbias [0x2fb1, +80 bytes) and dout [0x3000, +280 bytes) overlap: dbias is written and "
           "may share no byte with another buffer (SIMDROP_EOVERLAP)");
    r.buf[1] = at(0x3000 - 80);
    expect("simdrop_", &r, SIMDROP_OK, "");
    r.a = 2, r.b = SIZE_MAX / 16 + 1; /* the extents overflow */
    h.global_cols = h.ldx = h.ldy = r.b;
    expect("simdrop_", &r, SIMDROP_ESIZE, "simdrop_bias_dropout_add_backward_regen_block_f64: the "
           "size of dx, ((rows - 1) * ldy + cols) * 8 bytes with rows = 2, cols = "
           "1152921504606846976, overflows size_t (SIMDROP_ESIZE)");

    simdrop_call d = call3(SIMDROP_ENTRY_DBIAS_REDUCE, SIMDROP_DTYPE_F32, 3, 4, 0.0, 0, at(0x100),
                           at(0x108), at(0));
    expect("simdrop_", &d, SIMDROP_EOVERLAP, "simdrop_dbias_reduce_f32: dbias [0x100, +16 bytes) "
           "and partials [0x108, +48 bytes) overlap: partials is read while dbias is written, so "
           "they may not overlap (SIMDROP_EOVERLAP)");
    d.buf[0] = at(0);
    expect("simdrop_", &d, SIMDROP_ENULL, "simdrop_dbias_reduce_f32: dbias is NULL while the call "
           "has elements (granules = 3, cols = 4) (SIMDROP_ENULL)");
    d.a = 0; /* no granules: dbias, when given, becomes +0 */
    expect("simdrop_", &d, SIMDROP_OK, "");
}

/* ---- what the GPU front ends add: memory objects and known capacities -------------------------- */

static void check_objects(void)
{
    const int F = SIMDROP_ENTRY_FORWARD;
    /* Buffers at the same origin in different objects never overlap; a buffer at origin 0 of an
     * object is not NULL; within one object, origins decide. */
    simdrop_call c = call3(F, SIMDROP_DTYPE_F32, 64, 0, 0.5, 0, in_object(0xa0, 0, 0),
                           in_object(0xb0, 0, 0), in_object(0xc0, 0, 0));
    expect("simdrop_cl_", &c, SIMDROP_OK, "");
    c.buf[1] = in_object(0xa0, 256, 0);
    expect("simdrop_cl_", &c, SIMDROP_OK, "");
    c.buf[1] = in_object(0xa0, 255, 0);
    expect("simdrop_cl_", &c, SIMDROP_EOVERLAP, "simdrop_cl_forward_f32: y [object 0xa0: 0x0, "
           "+256 bytes) and mask [object 0xa0: 0xff, +8 bytes) overlap: mask is written and may "
           "share no byte with another buffer (SIMDROP_EOVERLAP)");
    c.buf[1] = in_object(0, 0, 0); /* no mask */
    c.buf[2] = in_object(0xa0, 0, 0); /* in place: the same object and origin */
    expect("simdrop_cl_", &c, SIMDROP_OK, "");

    /* Known capacities: a buffer smaller than the call needs is a size error, after the
     * overflow checks and before the overlap check. */
    c = call3(F, SIMDROP_DTYPE_F32, 64, 0, 0.5, 0, in_object(0xa0, 0, 256),
              in_object(0xb0, 0, 7), in_object(0xc0, 0, 256));
    expect("simdrop_cl_", &c, SIMDROP_ESIZE, "simdrop_cl_forward_f32: mask needs 8 bytes (n = 64) "
           "but holds 7 (SIMDROP_ESIZE)");
    c.buf[1] = in_object(0xa0, 4, 8); /* large enough, but inside y */
    expect("simdrop_cl_", &c, SIMDROP_EOVERLAP, "simdrop_cl_forward_f32: y [object 0xa0: 0x0, "
           "+256 bytes) and mask [object 0xa0: 0x4, +8 bytes) overlap: mask is written and may "
           "share no byte with another buffer (SIMDROP_EOVERLAP)");
    c.buf[1] = in_object(0xa0, 4, 7); /* too small and inside y: the size error ranks first */
    expect("simdrop_cl_", &c, SIMDROP_ESIZE, "simdrop_cl_forward_f32: mask needs 8 bytes (n = 64) "
           "but holds 7 (SIMDROP_ESIZE)");
    c.buf[1] = in_object(0, 0, 7); /* a NULL buffer has no capacity to check */
    expect("simdrop_cl_", &c, SIMDROP_OK, "");
    c.a = 0; /* no elements: nothing is needed */
    c.buf[0].capacity = 1;
    expect("simdrop_cl_", &c, SIMDROP_OK, "");
}

/* ---- the order: the first of ENULL, EPROB, ERANGE, ESIZE, EOVERLAP -------------------------- */

static void check_order(void)
{
    static const int codes[] = {SIMDROP_ENULL, SIMDROP_EPROB, SIMDROP_ERANGE, SIMDROP_ESIZE,
                                SIMDROP_EOVERLAP};
    for (int set = 1; set < 32; set++) {
        /* groups: group_len == 0 is the size error that leaves the call without elements, so
         * the NULL error needs elements: a different size error then (the bytes overflow). */
        simdrop_call c = call3(SIMDROP_ENTRY_FORWARD_GROUPS, SIMDROP_DTYPE_F64, 4, 16, 0.5, 0,
                               at(0x1000), at(0), at(0x9000));
        if (set & 1)
            c.buf[2] = at(0);
        if (set & 2)
            c.p = -0.5;
        if (set & 4)
            c.offset = UINT64_MAX;
        if (set & 8)
            c.b = SIZE_MAX / 8;
        if (set & 16)
            c.buf[1] = at(0x1001);
        int want = 0;
        for (int k = 4; k >= 0; k--)
            if (set >> k & 1)
                want = codes[k];
        simdrop_fault f;
        CHECK(simdrop_check(&c, &f) == want, "error set %d: got %d, want %d", set,
              simdrop_check(&c, &f), want);
    }
    for (int s = 0; s >= SIMDROP_EPARALLEL; s--)
        CHECK(simdrop_status_name(s) && !strncmp(simdrop_status_name(s), "SIMDROP_", 8),
              "status %d has no name", s);
    CHECK(!strcmp(simdrop_status_name(SIMDROP_EPARALLEL), "SIMDROP_EPARALLEL"), "EPARALLEL");
    CHECK(!strcmp(simdrop_status_name(SIMDROP_EDEVICE), "SIMDROP_EDEVICE"), "EDEVICE");
    CHECK(!simdrop_status_name(1) && !simdrop_status_name(SIMDROP_EDEVICE - 1),
          "names for unknown codes");
}

int main(void)
{
    check_table();
    check_messages();
    check_blocks();
    check_objects();
    check_order();
    return test_finish("test_check");
}
