/* test_bad_input.c: every bad-argument case of every public entry point (tests/entries.h), table-driven: exact status, no byte written, no byte read before the checks.
 *
 *   test_bad_input [--seed N]                  every case on every path (one path with
 *                                              SIMDROP_TEST_SMALL=1: the checks come first)
 *   test_bad_input --env-expect WHAT           run by meson with SIMDROP_ISA or
 *                                              SIMDROP_NUM_THREADS set: WHAT is unknown,
 *                                              unavailable (a bad SIMDROP_ISA), threads (a bad
 *                                              SIMDROP_NUM_THREADS), or the path a good
 *                                              SIMDROP_ISA must select (scalar, auto), where
 *                                              every entry point then makes a valid call
 *   ... --list-cases                           also prints "case<TAB>label<TAB>status" for
 *                                              every call, on one path: what
 *                                              check_promises.py holds docs/PROMISES.md to
 *
 * Every call runs on buffers placed at chosen byte offsets in one arena of random bytes with
 * random margins. Afterwards the whole arena must equal its snapshot, except the outputs of a
 * successful call, which must hold what the spec oracle of rel_common.h (spec.h's stream and
 * the value rules of MASK_SPEC.md section 4, written from the text) computes from the
 * snapshot's inputs. The expected status of each case is written down by the case, and an
 * independent model of the documented rules (model_status) must agree with it; the sweeps
 * (every NULL subset, every overlap placement) take their expectation from the model. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <float.h>
#include <limits.h>

#include "portable.h" /* mmap, also on Windows */

#include "rel_common.h"

#define NOWHERE LONG_MIN /* placement of a NULL argument */
#define MARGIN 64      /* random bytes before and after the buffers, compared like the rest */

__extension__ typedef unsigned __int128 u128;

static const char *cur_path = "?";
static int env_status = SIMDROP_OK; /* what a valid kernel call returns in this process */
static unsigned long cases_run, oracle_runs;
static int list_cases; /* --list-cases */

/* One call: an entry, its shape and scalars, and where each buffer lies in the arena. */
typedef struct bcall {
    const entry *e;
    ent_shape s;
    double p;
    uint64_t seed, offset;
    long off[5];
    size_t arena;
} bcall;

/* ---- the model: the documented rules, in order (include/simdrop.h, README "Errors") --------- */

static u128 model_elements(const entry *e, ent_shape s)
{
    if (e->family == FAM_ELEMENT || e->family == FAM_MASK || e->family == FAM_BYTES)
        return s.a;
    const u128 ab = (u128)s.a * s.b;
    if (!ent_is_nhwc(e))
        return ab;
    return s.c && ab > ~(u128)0 / s.c ? ~(u128)0 : ab * s.c; /* saturated: past any size */
}

static u128 model_units(const entry *e, ent_shape s)
{
    if (ent_is_nhwc(e))
        return (u128)s.a * s.c; /* (sample, channel) pairs */
    return ent_grouped(e) ? s.a : model_elements(e, s);
}

/* Exact byte size of buffer i, which may exceed size_t. */
static u128 model_bytes(const entry *e, int i, ent_shape s)
{
    const u128 n = model_elements(e, s), es = ent_dtype_size(e->dt), as = e->dt == E_F64 ? 8 : 4;
    switch (e->arg[i].size) {
    case SZ_ELEMS: return n * es;
    case SZ_BITS: return (model_units(e, s) + 7) / 8;
    case SZ_BYTES: return n;
    case SZ_BIAS: return n ? (u128)s.b * es : 0;
    case SZ_LDX: return n ? ((u128)(s.a - 1) * s.ldx + s.b) * es : 0;
    case SZ_LDY: return n ? ((u128)(s.a - 1) * s.ldy + s.b) * es : 0;
    case SZ_PARTIALS: return (s.granule ? ((u128)s.a + s.granule - 1) / s.granule : 1) * s.b * as;
    case SZ_ACC_ALL: return n * as;
    default: return (u128)s.b * as;
    }
}

/* One past a block's last global index, from the call's offset: its span (0 without elements). */
static u128 model_span(const entry *e, ent_shape s)
{
    if (!ent_is_block(e))
        return model_units(e, s);
    return s.a && s.b ? ((u128)s.row0 + s.a - 1) * s.global_cols + s.col0 + s.b : 0;
}

/* The block geometry rules (checked even without elements): the block within the global rows,
 * each row stride holding a row, the granules starting where the block does. */
static int model_bad_geometry(const entry *e, ent_shape s)
{
    return ent_is_block(e) && ((u128)s.col0 + s.b > s.global_cols || s.ldx < s.b || s.ldy < s.b ||
                               (s.granule && s.row0 % s.granule));
}

/* The status the documentation gives for call c: ENULL, EPROB, ERANGE, ESIZE, EOVERLAP, then
 * the process's path/thread setting (a bad SIMDROP_ISA or SIMDROP_NUM_THREADS), which the byte
 * conversions do not use. */
static int model_status(const bcall *c)
{
    const entry *e = c->e;
    const u128 n = model_elements(e, c->s);
    for (int i = 0; i < e->nargs && n; i++)
        if (c->off[i] == NOWHERE && !e->arg[i].nullable)
            return SIMDROP_ENULL;
    if (e->uses_p && !(c->p >= 0.0 && c->p <= 1.0))
        return SIMDROP_EPROB;
    if (e->uses_seed && (u128)c->offset + model_span(e, c->s) > ((u128)1 << 64))
        return SIMDROP_ERANGE;
    if (ent_grouped(e) && c->s.a && !c->s.b)
        return SIMDROP_ESIZE;
    if (ent_is_nhwc(e) && c->s.a && c->s.c && !c->s.b) /* spatial 0: NCHW's group_len 0 */
        return SIMDROP_ESIZE;
    if (model_bad_geometry(e, c->s))
        return SIMDROP_ESIZE;
    for (int i = 0; i < e->nargs; i++)
        if (model_bytes(e, i, c->s) > SIZE_MAX)
            return SIMDROP_ESIZE;
    /* A buffer must end below the top of the address space; every buffer of these calls lies
     * at least a page up, so one within a page of SIZE_MAX bytes runs past it (past_top_cases;
     * the other cases' buffers stay far below). */
    for (int i = 0; i < e->nargs; i++)
        if (c->off[i] != NOWHERE && model_bytes(e, i, c->s) > SIZE_MAX - 4096)
            return SIMDROP_ESIZE;
    for (int i = 0; i < e->nargs; i++)
        for (int j = i + 1; j < e->nargs; j++) {
            if (c->off[i] == NOWHERE || c->off[j] == NOWHERE)
                continue;
            const long li = (long)model_bytes(e, i, c->s), lj = (long)model_bytes(e, j, c->s);
            if (!li || !lj || c->off[j] >= c->off[i] + li || c->off[i] >= c->off[j] + lj)
                continue; /* no byte in common */
            if (!e->arg[i].is_out && !e->arg[j].is_out)
                continue; /* two inputs may overlap */
            if (i == 0 && e->arg[j].alias && c->off[i] == c->off[j] && li == lj)
                continue; /* the main output exactly on an input that may be it */
            return SIMDROP_EOVERLAP;
        }
    return e->family == FAM_BYTES ? SIMDROP_OK : env_status;
}

/* ---- running one case --------------------------------------------------------------------- */

static void fill_random(unsigned char *p, size_t n)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const uint64_t r = test_rand();
        memcpy(p + k, &r, 8);
    }
    for (; k < n; k++)
        p[k] = (unsigned char)test_rand();
}

static void describe(char *buf, size_t len, const char *what, const bcall *c)
{
    char shape[120];
    int at = snprintf(buf, len, "[%s] %s %s: shape %s p=%a seed=%" PRIu64 " offset=%" PRIu64
                      " at", cur_path, c->e->name, what, ent_shape_text(c->e, c->s, shape,
                      sizeof shape), c->p, c->seed, c->offset);
    for (int i = 0; i < c->e->nargs && at > 0 && (size_t)at < len; i++)
        at += c->off[i] == NOWHERE ? snprintf(buf + at, len - at, " NULL")
                                   : snprintf(buf + at, len - at, " %ld", c->off[i]);
}

/* Runs c in a fresh arena; the status must be `expect` (and the model must say so too), and
 * the arena must be untouched except for a successful call's outputs, which must be the
 * oracle's. Returns the status. */
static int run_case(const char *what, const bcall *c, int expect)
{
    const entry *e = c->e;
    char ctx[400];
    describe(ctx, sizeof ctx, what, c);
    const int model = model_status(c);
    CHECK(model == expect, "%s: the case expects %d, the model of the rules says %d", ctx, expect,
          model);
    const size_t total = c->arena + 2 * MARGIN;
    unsigned char *arena = rel_malloc(total), *snap = rel_malloc(total), *want = rel_malloc(total);
    fill_random(arena, total);
    memcpy(snap, arena, total);
    memcpy(want, arena, total);
    void *b[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < e->nargs; i++)
        b[i] = c->off[i] == NOWHERE ? NULL : arena + MARGIN + c->off[i];
    const int status = e->call(b, c->s, c->p, c->seed, c->offset);
    cases_run++;
    if (list_cases) {
        static const char *const names[] = {"OK", "SIMDROP_ENULL", "SIMDROP_EPROB",
            "SIMDROP_ERANGE", "SIMDROP_ESIZE", "SIMDROP_EOVERLAP", "SIMDROP_EISA_UNKNOWN",
            "SIMDROP_EISA_UNAVAILABLE", "SIMDROP_ENOMEM", "SIMDROP_ETHREADS"};
        printf("case\t%s\t%s\n", what, status <= 0 && status > -10 ? names[-status] : "?");
    }
    CHECK(status == expect, "%s: got %d (%s), want %d", ctx, status, simdrop_strerror(status),
          expect);
    if (status == SIMDROP_OK && expect == SIMDROP_OK) {
        /* The inputs as they were, the outputs into scratch, laid over the expected image:
         * what in-place and allowed-overlap calls must produce. */
        const void *in[5] = {NULL, NULL, NULL, NULL, NULL};
        void *out[5] = {NULL, NULL, NULL, NULL, NULL};
        for (int i = 0; i < e->nargs; i++) {
            if (c->off[i] == NOWHERE)
                continue;
            if (e->arg[i].is_out) { /* what the buffer held: the oracle writes over it */
                out[i] = rel_malloc(ent_bytes(e, i, c->s));
                memcpy(out[i], snap + MARGIN + c->off[i], ent_bytes(e, i, c->s));
            } else {
                in[i] = snap + MARGIN + c->off[i];
            }
        }
        rel_oracle(e, out, in, c->s, c->p, c->seed, c->offset);
        oracle_runs++;
        for (int i = 0; i < e->nargs; i++)
            if (out[i])
                memcpy(want + MARGIN + c->off[i], out[i], ent_bytes(e, i, c->s));
        rel_free5(out);
    }
    size_t bad = 0;
    while (bad < total && arena[bad] == want[bad])
        bad++;
    CHECK(bad == total, "%s: byte %ld of the arena (from the first buffer's region) is %02x, "
          "want %02x", ctx, (long)bad - MARGIN, bad < total ? arena[bad] : 0,
          bad < total ? want[bad] : 0);
    free(arena), free(snap), free(want);
    return status;
}

/* ---- layouts and shapes ---------------------------------------------------------------------- */

/* A region holds the largest buffer of the call and a gap, 64-byte aligned, so buffers placed
 * in different regions never touch. */
static size_t region(const entry *e, ent_shape s)
{
    size_t most = 0;
    for (int i = 0; i < e->nargs; i++)
        if (ent_bytes(e, i, s) > most)
            most = ent_bytes(e, i, s);
    return (most + 64 + 63) / 64 * 64;
}

static bcall call_apart(const entry *e, ent_shape s, double p, uint64_t seed, uint64_t offset)
{
    bcall c = {e, s, p, seed, offset, {NOWHERE, NOWHERE, NOWHERE, NOWHERE, NOWHERE}, 0};
    const size_t r = region(e, s);
    for (int i = 0; i < e->nargs; i++)
        c.off[i] = (long)(i * r);
    c.arena = e->nargs * r;
    return c;
}

/* For shapes whose sizes overflow: small buffers, 256 bytes apart (the call must not get far
 * enough to touch them). */
static bcall call_huge(const entry *e, ent_shape s, double p, uint64_t offset)
{
    bcall c = {e, s, p, 1, offset, {NOWHERE, NOWHERE, NOWHERE, NOWHERE, NOWHERE}, 5 * 256};
    for (int i = 0; i < e->nargs; i++)
        c.off[i] = i * 256L;
    return c;
}

/* A shape; a block one is a whole-width block from row 0 (global_cols = ld = cols), which
 * block_of gives other geometry. */
static ent_shape shape(size_t a, size_t b)
{
    ent_shape s = ent_ab(a, b);
    s.global_cols = s.ldx = s.ldy = b;
    return s;
}

static ent_shape shape3(size_t samples, size_t spatial, size_t channels)
{
    return ent_abc(samples, spatial, channels);
}

static ent_shape block_of(ent_shape s, size_t row0, size_t col0, size_t global_cols, size_t ldx,
                          size_t ldy, size_t granule)
{
    s.row0 = row0, s.col0 = col0, s.global_cols = global_cols, s.ldx = ldx, s.ldy = ldy;
    s.granule = granule;
    return s;
}

/* Non-empty shapes per family, the last one large (several blocks, sampled placements). Group
 * shapes include group_len 1 (element dropout's route) and groups crossing mask bytes; bias
 * shapes one column, odd columns, and rows * cols across a block. */
#define NSHAPES 4
static ent_shape shape_of(const entry *e, int k)
{
    static const size_t elems[NSHAPES] = {1, 7, 33, 4100};
    static const size_t groups[NSHAPES][2] = {{1, 1}, {3, 5}, {9, 2}, {1030, 4}};
    static const size_t bda[NSHAPES][2] = {{1, 1}, {3, 5}, {4, 9}, {35, 120}};
    static const size_t nhwc[NSHAPES][3] = {{1, 1, 1}, {2, 3, 5}, {3, 2, 9}, {7, 40, 33}};
    if (ent_is_nhwc(e))
        return shape3(nhwc[k][0], nhwc[k][1], nhwc[k][2]);
    if (ent_grouped(e))
        return shape(groups[k][0], groups[k][1]);
    if (e->family == FAM_BDA || e->family == FAM_REDUCE)
        return shape(bda[k][0], bda[k][1]);
    if (ent_is_block(e)) { /* strided blocks inside wider global rows; in place needs ldx == ldy */
        const size_t granule = e->family == FAM_BDA_BLOCK && e->kind != K_FORWARD ? k : 0;
        switch (k) {
        case 0: return block_of(shape(1, 1), 5, 2, 7, 1, 3, granule);
        case 1: return block_of(shape(3, 5), 4, 3, 9, 6, 6, granule);
        case 2: return block_of(shape(4, 9), 6, 40, 100, 9, 12, granule);
        default: return block_of(shape(35, 120), 3, 4000, 4500, 130, 130, granule);
        }
    }
    return shape(elems[k], 0);
}

/* Shapes without elements: 0, and for two-number shapes each factor 0 (group_len == 0 only
 * with groups == 0: with groups > 0 it is an error). */
static int empty_shapes(const entry *e, ent_shape out[3])
{
    out[0] = shape(0, 0);
    if (ent_is_nhwc(e)) { /* no samples, or no channels */
        out[1] = shape3(0, 5, 3);
        out[2] = shape3(4, 5, 0);
        return 3;
    }
    if (ent_grouped(e)) {
        out[1] = shape(0, 5);
        return 2;
    }
    if (e->family == FAM_BDA || e->family == FAM_REDUCE) {
        out[1] = shape(0, 5);
        out[2] = shape(5, 0);
        return 3;
    }
    if (ent_is_block(e)) { /* empty blocks somewhere in the global rows */
        const size_t granule = e->family == FAM_BDA_BLOCK && e->kind != K_FORWARD ? 2 : 0;
        out[0] = block_of(shape(0, 0), 3, 0, 0, 0, 0, 0);
        out[1] = block_of(shape(0, 5), 4, 2, 9, 5, 7, granule);
        out[2] = block_of(shape(5, 0), 4, 9, 9, 0, 3, granule);
        return 3;
    }
    return 1;
}

/* A shape whose buffers overflow size_t while its unit count does not reach 2^64 from offset
 * 0; {0, 0} for entries without one (mask, conversions). */
static ent_shape size_overflow_shape(const entry *e)
{
    const size_t es = ent_dtype_size(e->dt);
    if (e->family == FAM_ELEMENT)
        return shape(SIZE_MAX / es + 1, 0);
    if (ent_is_nhwc(e))
        return shape3(2, SIZE_MAX / 2 / es / 3 + 1, 3);
    if (ent_grouped(e) || e->family == FAM_BDA || ent_is_block(e))
        return shape(2, SIZE_MAX / 2 / es + 1);
    if (e->family == FAM_REDUCE)
        return shape(2, SIZE_MAX / 2 / (e->dt == E_F64 ? 8 : 4) + 1);
    return shape(0, 0);
}

/* ---- the sweeps ------------------------------------------------------------------------------ */

/* Each subset of the pointers NULL: ENULL while the call has elements (unless only nullable
 * ones are NULL), also over a bad p and a bad range, which rank below it; with no elements
 * every subset is fine, at any offset. */
static void null_cases(const entry *e)
{
    for (unsigned subset = 0; subset < (1u << e->nargs); subset++) {
        int only_nullable = 1;
        for (int i = 0; i < e->nargs; i++)
            if (subset >> i & 1)
                only_nullable &= e->arg[i].nullable;
        for (int k = 0; k < NSHAPES; k++) {
            bcall c = call_apart(e, shape_of(e, k), 0.25, 7, 5);
            for (int i = 0; i < e->nargs; i++)
                if (subset >> i & 1)
                    c.off[i] = NOWHERE;
            if (only_nullable)
                run_case("only nullable pointers NULL, or none", &c,
                         e->family == FAM_BYTES ? 0 : env_status);
            else
                run_case("NULL subset", &c, SIMDROP_ENULL);
            if (!only_nullable) {
                c.p = NAN;
                c.offset = UINT64_MAX;
                run_case("NULL outranks bad p and range", &c, SIMDROP_ENULL);
            }
        }
        ent_shape empty[3];
        for (int k = 0, count = empty_shapes(e, empty); k < count; k++) {
            for (int end = 0; end < 2; end++) {
                bcall c = call_apart(e, empty[k], 0.25, 7, end ? UINT64_MAX : 0);
                for (int i = 0; i < e->nargs; i++)
                    if (subset >> i & 1)
                        c.off[i] = NOWHERE;
                run_case("no elements, NULL subset", &c, e->family == FAM_BYTES ? 0 : env_status);
            }
        }
        if (ent_is_nhwc(e)) { /* spatial == 0 with samples and channels: an error */
            bcall c = call_apart(e, shape3(3, 0, 4), 0.25, 7, 5);
            for (int i = 0; i < e->nargs; i++)
                if (subset >> i & 1)
                    c.off[i] = NOWHERE;
            run_case("spatial 0, NULL subset", &c, SIMDROP_ESIZE);
        }
        if (ent_grouped(e)) { /* group_len == 0 with groups: no elements, but an error */
            bcall c = call_apart(e, shape(3, 0), 0.25, 7, 5);
            for (int i = 0; i < e->nargs; i++)
                if (subset >> i & 1)
                    c.off[i] = NOWHERE;
            run_case("group_len 0, NULL subset", &c, SIMDROP_ESIZE);
        }
    }
}

static double signalling_nan(void)
{
    return simdrop_u2d(0x7ff4000000000001u);
}

/* p outside [0, 1] or NaN, with no elements too (the header says p is checked even then), and
 * the edges inside, which must work. */
static void p_cases(const entry *e)
{
    if (!e->uses_p)
        return;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY, -DBL_MIN, -0x1p-1074, -1e-300, -0.5,
                          -1.0, 0x1.0000000000001p0, 1.5, 2.0, DBL_MAX, signalling_nan()};
    const double good[] = {0.0, -0.0, 0x1p-1074, 1e-6, 0x1p-17, 0.1, 0.5, 0.9,
                           0x1.fffffffffffffp-1, 1.0};
    ent_shape empty[3];
    empty_shapes(e, empty);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bcall c = call_apart(e, shape_of(e, 2), bad[i], 3, 0);
        run_case("bad p", &c, SIMDROP_EPROB);
        if (e->uses_seed) {
            c.offset = UINT64_MAX;
            run_case("bad p outranks bad range", &c, SIMDROP_EPROB);
        }
        c = call_apart(e, empty[0], bad[i], 3, 0);
        run_case("bad p, no elements", &c, SIMDROP_EPROB);
        for (int k = 0; k < e->nargs; k++)
            c.off[k] = NOWHERE;
        run_case("bad p, no elements, NULL", &c, SIMDROP_EPROB);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        for (int k = 1; k < NSHAPES; k += 2) {
            bcall c = call_apart(e, shape_of(e, k), good[i], 3, 4090);
            run_case("edge p", &c, env_status);
        }
}

/* A shape with exactly `units` units (elements, groups, rows * cols). */
static ent_shape units_shape(const entry *e, size_t units)
{
    if (ent_is_nhwc(e)) /* samples * channels */
        return units % 2 ? shape3(units, 2, 1) : shape3(units / 2, 2, 2);
    if (ent_grouped(e))
        return shape(units, 2);
    if (e->family == FAM_BDA || ent_is_block(e)) {
        size_t rows = 1;
        for (size_t d = 2; d * d <= units; d++)
            if (units % d == 0)
                rows = d;
        return shape(rows, units / rows);
    }
    return shape(units, 0);
}

/* offset + units around 2^64 (ending exactly there works, bit-exact), units beyond the index
 * space, and rows * cols beyond 2^64 for the bias functions; small buffers, so a call that did
 * not stop would write out of bounds. */
static void range_cases(const entry *e)
{
    if (!e->uses_seed)
        return;
    const size_t ns[] = {1, 2, 5, 33, 4097, 8200};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        const uint64_t end = (uint64_t)0 - ns[k]; /* 2^64 - units */
        bcall c = call_apart(e, units_shape(e, ns[k]), 0.5, 9, end);
        run_case("ends exactly at 2^64", &c, env_status);
        if (ns[k] > 1) { /* for one unit, end + 1 wraps to offset 0 */
            c.offset = end + 1;
            run_case("ends one past 2^64", &c, SIMDROP_ERANGE);
        }
        c.offset = UINT64_MAX;
        if (ns[k] == 1)
            run_case("one unit at the last index", &c, env_status);
        else
            run_case("starts at the last index", &c, SIMDROP_ERANGE);
    }
    if (SIZE_MAX != UINT64_MAX)
        return;
    const int rows = e->family == FAM_BDA || ent_is_block(e);
    const ent_shape many = ent_is_nhwc(e) ? shape3(SIZE_MAX, 1, 1)
                           : ent_grouped(e)  ? shape(SIZE_MAX, 1)
                                             : shape(SIZE_MAX, rows);
    bcall c = call_huge(e, many, 0.5, 2); /* from offset 1 it would end exactly at 2^64 */
    run_case("SIZE_MAX units from offset 2", &c, SIMDROP_ERANGE);
    if (ent_is_block(e)) { /* the block's place in the global rows takes it past 2^64 */
        const size_t half = (size_t)1 << 62;
        c = call_huge(e, block_of(shape(1, 1), 3, 0, half, 1, 1, 0), 0.5, 0);
        run_case("row0 * global_cols = 3 * 2^62", &c, env_status);
        c = call_huge(e, block_of(shape(1, 1), 4, 0, half, 1, 1, 0), 0.5, 0);
        run_case("row0 * global_cols = 4 * 2^62", &c, SIMDROP_ERANGE);
        c = call_huge(e, block_of(shape(1, 1), SIZE_MAX, 0, 2, 1, 1, 0), 0.5, 0);
        run_case("row0 * global_cols = (2^64 - 1) * 2", &c, SIMDROP_ERANGE);
        c = call_huge(e, block_of(shape(2, 1), SIZE_MAX, 0, 1, 1, 1, 0), 0.5, 0);
        run_case("row0 + rows - 1 wraps", &c, SIMDROP_ERANGE);
        c = call_huge(e, block_of(shape(1, 1), 0, SIZE_MAX, SIZE_MAX, 1, 1, 0), 0.5, 1);
        run_case("col0 = 2^64 - 1 from offset 1", &c, SIMDROP_ERANGE);
        c = call_huge(e, block_of(shape(1, 1), 0, SIZE_MAX - 1, SIZE_MAX, 1, 1, 0), 0.5, 1);
        run_case("col0 = 2^64 - 2: the last index 2^64 - 1 from offset 1", &c, env_status);
        c = call_huge(e, block_of(shape(1, 1), 1, 0, SIZE_MAX, 1, 1, 0), 0.5, 1);
        run_case("row 1 of global rows of 2^64 - 1 from offset 1", &c, SIMDROP_ERANGE);
        c = call_huge(e, block_of(shape(0, 1), SIZE_MAX, 0, SIZE_MAX, 1, 1, 0), 0.5, UINT64_MAX);
        run_case("no rows at the end of everything", &c, env_status);
    }
    if (rows) {
        c = call_huge(e, shape((size_t)1 << 33, (size_t)1 << 33), 0.5, 0);
        run_case("rows * cols = 2^66", &c, SIMDROP_ERANGE);
        c = call_huge(e, shape((size_t)1 << 32, (size_t)1 << 32), 0.5, 1);
        run_case("rows * cols = 2^64 from offset 1", &c, SIMDROP_ERANGE);
    }
}

/* Buffers whose sizes overflow size_t: ESIZE, ahead of any overlap (buffers this size cannot
 * be apart, so the test places them all at one address too). */
static void size_cases(const entry *e)
{
    if (e->family == FAM_MASK || e->family == FAM_BYTES)
        return; /* a bit or a byte per element always fits */
    const size_t es = ent_dtype_size(e->dt), as = e->dt == E_F64 ? 8 : 4;
    ent_shape list[6];
    int count = 0;
    list[count++] = size_overflow_shape(e);
    if (e->family == FAM_ELEMENT) {
        list[count++] = shape(SIZE_MAX, 0);
    } else if (ent_is_nhwc(e)) {
        list[count++] = shape3(SIZE_MAX / 2, 2, 2);
        list[count++] = shape3(3, 0, 4); /* spatial == 0 with samples and channels */
        list[count++] = shape3(SIZE_MAX, 0, 1);
    } else if (ent_grouped(e)) {
        list[count++] = shape(SIZE_MAX, 2);
        list[count++] = shape(3, 0); /* group_len == 0 with groups */
        list[count++] = shape(SIZE_MAX, 0);
    } else if (e->family == FAM_REDUCE) {
        list[count++] = shape((size_t)1 << 33, (size_t)1 << 33); /* granules * cols overflows */
    } else {
        list[count++] = shape(SIZE_MAX / es / 3 + 1, 3);
        if (e->kind == K_BACKWARD) /* no offset, so no range check: the sizes overflow */
            list[count++] = shape((size_t)1 << 33, (size_t)1 << 33);
        if (ent_is_block(e)) /* few elements, but rows far apart */
            list[count++] = block_of(shape(3, 1), 0, 0, 1, SIZE_MAX / 2, SIZE_MAX / 2, 0);
    }
    for (int k = 0; k < count; k++) {
        bcall c = call_huge(e, list[k], 0.5, 0);
        run_case("sizes overflow", &c, SIMDROP_ESIZE);
        for (int i = 0; i < e->nargs; i++)
            c.off[i] = 0;
        run_case("sizes overflow, all buffers at one address", &c, SIMDROP_ESIZE);
    }
    if (e->family == FAM_BDA || ent_is_block(e)) {
        /* rows * cols = 2^64 exactly: from offset 0 the indices end exactly at 2^64, so this
         * is no range error, but the buffers overflow. */
        bcall c = call_huge(e, shape((size_t)1 << 32, (size_t)1 << 32), 0.5, 0);
        run_case("rows * cols = 2^64 from offset 0", &c, SIMDROP_ESIZE);
        if (e->kind != K_FORWARD && e->family == FAM_BLOCK) { /* no bias gradient */
            c = call_huge(e, shape(0, SIZE_MAX), 0.5, 0);
            run_case("rows == 0, cols = SIZE_MAX", &c, env_status);
        } else if (e->kind != K_FORWARD) { /* the bias gradient alone overflows, even with no rows */
            c = call_huge(e, shape(0, SIZE_MAX / as + 1), 0.5, 0);
            run_case("cols floats of dbias overflow, rows == 0", &c, SIMDROP_ESIZE);
        } else { /* no elements: no bias is read, whatever cols is */
            c = call_huge(e, shape(0, SIZE_MAX), 0.5, 0);
            run_case("rows == 0, cols = SIZE_MAX", &c, env_status);
            c = call_huge(e, shape(SIZE_MAX, 0), 0.5, 0);
            run_case("rows = SIZE_MAX, cols == 0", &c, env_status);
        }
    }
    if (ent_grouped(e)) {
        bcall c = call_huge(e, shape(0, SIZE_MAX), 0.5, 0);
        run_case("groups == 0, group_len = SIZE_MAX", &c, env_status);
    }
    if (ent_is_nhwc(e)) {
        bcall c = call_huge(e, shape3(0, SIZE_MAX, 7), 0.5, 0);
        run_case("samples == 0, spatial = SIZE_MAX", &c, env_status);
        c = call_huge(e, shape3(2, SIZE_MAX, 0), 0.5, 0); /* samples * spatial overflows */
        run_case("channels == 0, samples * spatial past SIZE_MAX", &c, env_status);
    }
}

/* Sizes that fit size_t but take a buffer past the top of the address space from where it
 * lies: ESIZE, not a wrapped end that makes overlapping buffers look apart (the call then ran
 * into them). The largest buffer is within a page of SIZE_MAX bytes. */
static void past_top_cases(const entry *e)
{
    const size_t es = ent_dtype_size(e->dt);
    ent_shape s;
    if (e->family == FAM_MASK)
        return; /* its largest buffer is n / 8 bytes */
    if (e->family == FAM_BYTES)
        s = shape(SIZE_MAX, 0);
    else if (e->family == FAM_ELEMENT)
        s = shape(SIZE_MAX / es, 0);
    else if (ent_is_nhwc(e))
        s = shape3(1, SIZE_MAX / es, 1);
    else if (e->family == FAM_REDUCE)
        s = shape(1, SIZE_MAX / (e->dt == E_F64 ? 8 : 4));
    else
        s = shape(1, SIZE_MAX / es);
    bcall c = call_huge(e, s, 0.5, 0);
    run_case("a buffer past the top of the address space", &c, SIMDROP_ESIZE);
    for (int i = 1; i < e->nargs; i++) /* each buffer a few bytes into the first */
        c.off[i] = 4L * i;
    run_case("overlapping buffers past the top of the address space", &c, SIMDROP_ESIZE);
}

/* Buffer j placed at a byte distance from buffer i: every partial overlap from one unit either
 * side to exact equality, and the two just-touching placements, which are not overlaps. For
 * the small shapes every distance (in j's alignment unit) is tried; for the large one a
 * spread. The expectation is the model's; allowed placements must give the oracle's bytes. */
static void overlap_cases(const entry *e)
{
    for (int i = 0; i < e->nargs; i++)
        for (int j = i + 1; j < e->nargs; j++)
            for (int k = 0; k < NSHAPES; k++) {
                const ent_shape s = shape_of(e, k);
                const long li = (long)ent_bytes(e, i, s), lj = (long)ent_bytes(e, j, s);
                const long u = (long)rel_align(e, j);
                const size_t r = region(e, s);
                long dists[64];
                int nd = 0;
                if (k < NSHAPES - 1) {
                    for (long d = -lj; d <= li && nd < 64; d += u)
                        dists[nd++] = d;
                    if (nd == 64) /* too many: a spread with the ends */
                        nd = 0;
                }
                if (nd == 0) {
                    const long spread[] = {-lj, -lj + u, -lj + 4 * u, -lj / 2, -4 * u, -u, 0,
                                           u, 4 * u, li / 2, li - 4 * u, li - u, li};
                    for (size_t q = 0; q < sizeof spread / sizeof spread[0]; q++)
                        if (spread[q] >= -lj && spread[q] <= li)
                            dists[nd++] = spread[q] / u * u;
                }
                for (int q = 0; q < nd; q++) {
                    bcall c = call_apart(e, s, 0.3, 11, 77);
                    /* The pair goes past the others' regions: i in region nargs + 1 leaves
                     * room for j on either side, within regions nargs .. nargs + 2. */
                    c.off[i] = (long)((e->nargs + 1) * r);
                    c.off[j] = c.off[i] + dists[q];
                    c.arena = (e->nargs + 3) * r;
                    char what[96];
                    snprintf(what, sizeof what, "%s at %+ld bytes from %s", e->arg[j].name,
                             dists[q], e->arg[i].name);
                    const int expect = model_status(&c);
                    run_case(what, &c, expect);
                    if (expect == SIMDROP_EOVERLAP && e->uses_p && (q % 4 == 0)) {
                        c.p = -1.0;
                        run_case("bad p outranks overlap", &c, SIMDROP_EPROB);
                    }
                }
            }
}

/* The exact aliases the header allows, one by one, with the oracle's result; and the mask
 * inside the buffer that is both output and input. */
static void alias_cases(const entry *e)
{
    if (e->family == FAM_MASK || e->family == FAM_BYTES || e->family == FAM_REDUCE)
        return;
    for (int k = 1; k < NSHAPES; k++) {
        const ent_shape s = shape_of(e, k);
        for (int i = 1; i < e->nargs; i++) {
            if (!e->arg[i].alias)
                continue;
            bcall c = call_apart(e, s, 0.3, 5, 1000);
            c.off[i] = c.off[0];
            char what[64];
            snprintf(what, sizeof what, "%s == %s", e->arg[0].name, e->arg[i].name);
            /* a block in place needs the same row stride for both: the same bytes */
            const int same = ent_can_alias(e, i, s);
            run_case(what, &c, same ? env_status : SIMDROP_EOVERLAP);
            if (!same)
                continue;
            if (e->kind == K_FORWARD) { /* the mask inside y == x */
                c.off[1] = c.off[0] + 1;
                run_case("mask inside the aliased buffer", &c, SIMDROP_EOVERLAP);
            }
        }
        if ((e->family == FAM_BDA || e->family == FAM_BDA_BLOCK) && e->kind == K_FORWARD &&
            ent_can_alias(e, 2, s)) {
            bcall c = call_apart(e, s, 0.3, 5, 1000);
            c.off[2] = c.off[4] = c.off[0];
            run_case("out == x == residual", &c, env_status);
            c.off[3] = NOWHERE;
            run_case("out == x == residual, no bias", &c, env_status);
            c.off[3] = c.off[0];
            run_case("bias inside out == x", &c, SIMDROP_EOVERLAP);
        }
    }
}

/* First error wins: every combination of a NULL required pointer, a bad p, a bad range,
 * overflowing sizes and an overlap (those the entry can have) gives the first of them in the
 * order ENULL, EPROB, ERANGE, ESIZE, EOVERLAP, then the path/thread setting. */
static void order_cases(const entry *e)
{
    enum { E_NULL = 1, E_P = 2, E_RANGE = 4, E_SIZE = 8, E_OVERLAP = 16 };
    static const int codes[] = {SIMDROP_ENULL, SIMDROP_EPROB, SIMDROP_ERANGE, SIMDROP_ESIZE,
                                SIMDROP_EOVERLAP};
    const ent_shape huge = size_overflow_shape(e);
    for (int set = 1; set < 32; set++) {
        if (((set & E_P) && !e->uses_p) || ((set & E_RANGE) && !e->uses_seed) ||
            ((set & E_SIZE) && huge.a == 0))
            continue;
        bcall c = call_huge(e, (set & E_SIZE) ? huge : shape_of(e, 1), (set & E_P) ? NAN : 0.5,
                            (set & E_RANGE) ? UINT64_MAX : 0);
        if (!(set & E_SIZE))
            c = call_apart(e, c.s, c.p, 1, c.offset);
        if (set & E_NULL)
            c.off[0] = NOWHERE;
        if (set & E_OVERLAP) { /* the first pair of present buffers that may not overlap */
            int done = 0;
            for (int i = 0; i < e->nargs && !done; i++)
                for (int j = i + 1; j < e->nargs && !done; j++)
                    if (c.off[i] != NOWHERE && c.off[j] != NOWHERE &&
                        (e->arg[i].is_out || e->arg[j].is_out)) {
                        /* a partial overlap: j starts one unit into i, or ends one unit
                         * into it when i is shorter than that */
                        const long u = (long)rel_align(e, j);
                        const int inside = ent_bytes(e, i, shape_of(e, 1)) > (size_t)u;
                        c.off[j] = c.off[i] + (inside ? u : -u);
                        done = 1;
                    }
            if (!done)
                continue;
        }
        int expect = env_status;
        for (int b = 4; b >= 0; b--)
            if (set >> b & 1)
                expect = codes[b];
        char what[64];
        snprintf(what, sizeof what, "first error wins (set %s%s%s%s%s)", set & E_NULL ? "N" : "",
                 set & E_P ? "P" : "", set & E_RANGE ? "R" : "", set & E_SIZE ? "S" : "",
                 set & E_OVERLAP ? "O" : "");
        run_case(what, &c, expect);
    }
}

/* The bias gradient over no rows: dbias = +0 in all cols entries, nothing else written, also
 * with dx and dout NULL, and for every cols. */
static void dbias_no_rows_cases(const entry *e)
{
    const int reduce = e->family == FAM_REDUCE;
    const int gradient = (e->family == FAM_BDA || e->family == FAM_BDA_BLOCK) && e->kind != K_FORWARD;
    if (!gradient && !reduce)
        return;
    const size_t cols[] = {1, 5, 100, 4097};
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        for (size_t granule = 0; granule < (e->family == FAM_BDA_BLOCK ? 2u : 1u); granule++) {
            /* a block's partial sums over no rows: no granule, so nothing is written */
            bcall c = call_apart(e, block_of(shape(0, cols[k]), 6, 0, cols[k], cols[k], cols[k],
                                             granule * 3), 0.5, 3, 0);
            run_case(granule ? "rows == 0, granule 3: nothing" : "rows == 0: dbias = +0", &c,
                     env_status);
            if (reduce) {
                c.off[1] = NOWHERE;
                run_case("granules == 0, partials NULL: dbias = +0", &c, env_status);
                continue;
            }
            c.off[0] = c.off[2] = NOWHERE;
            if (e->kind == K_BACKWARD)
                c.off[3] = NOWHERE;
            run_case("rows == 0, only dbias given: dbias = +0", &c, env_status);
        }
    }
}

/* A block must lie within the global rows, each row stride hold a row, and granules start at
 * row0: SIMDROP_ESIZE otherwise, even for an empty block, ranked after ERANGE and before the
 * size and overlap errors; the edges that fit work. */
static void geometry_cases(const entry *e)
{
    if (!ent_is_block(e))
        return;
    const int granules = e->family == FAM_BDA_BLOCK && e->kind != K_FORWARD;
    const struct {
        const char *what;
        ent_shape s;
        int bad;
    } cases[] = {
        {"col0 + cols > global_cols", block_of(shape(3, 5), 0, 6, 10, 5, 5, 0), 1},
        {"col0 + cols == global_cols", block_of(shape(3, 5), 0, 5, 10, 5, 5, 0), 0},
        {"cols > global_cols", block_of(shape(3, 11), 0, 0, 10, 11, 11, 0), 1},
        {"col0 near SIZE_MAX (a range error first, where there is an offset)",
         block_of(shape(3, 5), 0, SIZE_MAX - 2, 10, 5, 5, 0), e->uses_seed ? 2 : 1},
        {"ldx < cols", block_of(shape(3, 5), 0, 0, 10, 4, 5, 0), 1},
        {"ldy < cols", block_of(shape(3, 5), 0, 0, 10, 5, 4, 0), 1},
        {"ldx == ldy == cols", block_of(shape(3, 5), 1, 2, 10, 5, 5, 0), 0},
        {"no rows, ldx < cols", block_of(shape(0, 5), 0, 0, 10, 4, 5, 0), 1},
        {"no cols, col0 > global_cols", block_of(shape(3, 0), 0, 11, 10, 0, 0, 0), 1},
        {"no cols, col0 == global_cols", block_of(shape(3, 0), 0, 10, 10, 0, 0, 0), 0},
        {"row0 not a multiple of granule", block_of(shape(3, 5), 5, 0, 5, 5, 5, granules ? 2 : 0),
         granules},
        {"row0 a multiple of granule", block_of(shape(3, 5), 6, 0, 5, 5, 5, granules ? 3 : 0), 0},
        {"granule larger than the block", block_of(shape(3, 5), 0, 0, 5, 5, 5, granules ? 70 : 0), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bcall c = call_apart(e, cases[i].s, 0.5, 3, 77);
        const int status = run_case(cases[i].what, &c, cases[i].bad == 2 ? SIMDROP_ERANGE
                                                       : cases[i].bad ? SIMDROP_ESIZE : env_status);
        if (cases[i].bad == 1 && status == SIMDROP_ESIZE) {
            c.offset = UINT64_MAX; /* a bad range ranks first */
            run_case("bad geometry, bad range", &c, e->uses_seed && ent_elements(e, c.s)
                                                       ? SIMDROP_ERANGE : SIMDROP_ESIZE);
            c.offset = 77;
            c.off[0] = c.off[e->nargs - 1]; /* and an overlap ranks after it */
            run_case("bad geometry and an overlap", &c, SIMDROP_ESIZE);
        }
    }
}

/* A NULL block pointer: SIMDROP_ENULL before anything else, even with every pointer NULL and a
 * bad p; nothing written, the message says so. */
static void block_pointer_cases(void)
{
    float y[8] = {1}, x[8] = {2};
    uint8_t m[1] = {0x5a};
    double d[8] = {3};
    CHECK(simdrop_forward_block_f32(y, m, x, NULL, 0.5, 1, 0) == SIMDROP_ENULL && y[0] == 1 &&
          m[0] == 0x5a, "forward_block_f32 with b NULL");
    CHECK(!strcmp(simdrop_last_error(), "simdrop_forward_block_f32: b (the simdrop_block) is NULL "
                                        "(SIMDROP_ENULL)"), "message: %s", simdrop_last_error());
    CHECK(simdrop_backward_block_f64(d, d, m, NULL, NAN) == SIMDROP_ENULL, "backward_block_f64");
    CHECK(simdrop_backward_regen_block_bf16(NULL, NULL, NULL, -1.0, 1, 0) == SIMDROP_ENULL,
          "backward_regen_block_bf16");
    CHECK(simdrop_bias_dropout_add_block_f16(NULL, NULL, NULL, NULL, NULL, NULL, 0.5, 1, 0) ==
          SIMDROP_ENULL, "bias_dropout_add_block_f16");
    CHECK(simdrop_bias_dropout_add_backward_block_f32(y, y, x, m, NULL, 3, 0.5) == SIMDROP_ENULL &&
          y[0] == 1, "bias_dropout_add_backward_block_f32");
    CHECK(simdrop_bias_dropout_add_backward_regen_block_f64(d, d, d, NULL, 0, 0.5, 1, 0) ==
          SIMDROP_ENULL && d[0] == 3, "bias_dropout_add_backward_regen_block_f64");
    cases_run += 6;
}

/* Alpha dropout at p == 0 is the identity (every bit of x, signalling NaNs included, and an
 * all-ones mask); at p == 1 it is x * 0 with an all-zero mask. Checked against the text
 * directly, not through the oracle. */
static void alpha_edge_cases(const entry *e)
{
    if (e->family != FAM_ALPHA || e->kind != K_FORWARD)
        return;
    const size_t es = ent_dtype_size(e->dt);
    const ent_shape shapes[] = {ent_ab(1000, 1), ent_ab(77, 3), ent_ab(5, 130)};
    for (size_t k = 0; k < 3; k++) {
        const ent_shape s = shapes[k];
        const size_t n = s.a * s.b, mbytes = (s.a + 7) / 8;
        unsigned char *x = rel_malloc(n * es), *y = rel_malloc(n * es), *m = rel_malloc(mbytes);
        rel_fill_values(x, e->dt, n);
        for (int p1 = 0; p1 < 2; p1++) {
            memset(y, 0x5a, n * es), memset(m, 0x5a, mbytes);
            void *b[5] = {y, m, x, NULL, NULL};
            CHECK(e->call(b, s, p1 ? 1.0 : 0.0, 9, 123) == env_status, "[%s] %s p=%d", cur_path,
                  e->name, p1);
            if (env_status)
                continue;
            size_t wrong = 0, wrong_mask = 0;
            for (size_t i = 0; i < n; i++) {
                if (!p1) {
                    wrong += memcmp(y + i * es, x + i * es, es) != 0;
                } else if (e->dt == E_F64) {
                    const double want = ((double *)x)[i] * 0.0;
                    wrong += memcmp(y + i * es, &want, 8) != 0;
                } else {
                    uint32_t want[1];
                    rel_store_f(e->dt, want, 0, rel_load_f(e->dt, x, i) * 0.0f);
                    wrong += memcmp(y + i * es, want, es) != 0;
                }
            }
            for (size_t g = 0; g < s.a; g++)
                wrong_mask += rel_bit(m, g) != !p1;
            wrong_mask += s.a % 8 && (m[s.a / 8] >> (s.a % 8)) != 0;
            CHECK(wrong == 0 && wrong_mask == 0, "[%s] %s shape %zu,%zu p=%d: %zu elements are "
                  "not %s, %zu mask bits wrong", cur_path, e->name, s.a, s.b, p1, wrong,
                  p1 ? "x * 0" : "x's bits", wrong_mask);
        }
        free(x), free(y), free(m);
    }
}

/* ---- nothing is touched before the checks ---------------------------------------------------- */

/* Pages that fault on any access, read or write. */
static unsigned char *untouchable(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

/* Errors are found before any buffer is read or written: the same calls on buffers that fault
 * on any access return their code instead of crashing. A valid call must not touch them either
 * while the path or thread setting is bad; no elements never touches them (except dbias over
 * no rows, which is written: a readable one is passed for that). */
static void no_access_cases(void)
{
    const size_t stride = 1 << 16, span = 6 * stride;
    unsigned char *pages = untouchable(span);
    float dbias[8];
    for (size_t ei = 0; ei < NENTRIES; ei++) {
        const entry *e = &entries[ei];
        const ent_shape s = ent_is_nhwc(e)                                   ? shape3(10, 10, 10)
                            : ent_grouped(e)                                 ? shape(100, 10)
                            : e->family == FAM_BDA || e->family == FAM_REDUCE ? shape(10, 100)
                            : ent_is_block(e) ? block_of(shape(10, 100), 4, 8, 120, 110, 110, 0)
                                              : shape(1000, 0);
        void *b[5], *o[5];
        for (int i = 0; i < 5; i++)
            b[i] = o[i] = pages + i * stride;
        const int kernel = e->family == FAM_BYTES ? SIMDROP_OK : env_status;
        CHECK(e->call(b, shape(0, 0), 0.5, 1, 0) == kernel, "%s no elements on unreadable "
              "buffers", e->name);
        const int reduce = e->family == FAM_REDUCE, at = reduce ? 0 : 1; /* where dbias is */
        if (((e->family == FAM_BDA || e->family == FAM_BDA_BLOCK) && e->kind != K_FORWARD) ||
            reduce) {
            b[at] = NULL;
            CHECK(e->call(b, shape(0, 8), 0.5, 1, 0) == kernel, "%s no rows, dbias NULL", e->name);
            memset(dbias, 0xff, sizeof dbias);
            b[at] = dbias;
            CHECK(e->call(b, shape(0, e->dt == E_F64 ? 4 : 8), 0.5, 1, 0) == kernel &&
                  bytes_all(dbias, sizeof dbias, kernel ? 0xff : 0), "%s no rows, dbias readable",
                  e->name);
            b[at] = o[at];
        }
        if (e->uses_p)
            CHECK(e->call(b, s, NAN, 1, 0) == SIMDROP_EPROB, "%s NaN p", e->name);
        if (e->uses_seed)
            CHECK(e->call(b, s, 0.5, 1, UINT64_MAX) == SIMDROP_ERANGE, "%s range", e->name);
        const ent_shape huge = size_overflow_shape(e);
        if (huge.a)
            CHECK(e->call(b, huge, 0.5, 1, 0) == SIMDROP_ESIZE, "%s size", e->name);
        b[0] = NULL;
        CHECK(e->call(b, s, 0.5, 1, 0) == SIMDROP_ENULL, "%s NULL", e->name);
        b[0] = o[0];
        for (int i = 0; i < e->nargs; i++)
            for (int j = i + 1; j < e->nargs; j++)
                if (e->arg[i].is_out || e->arg[j].is_out) {
                    b[j] = (char *)b[i] + rel_align(e, j);
                    CHECK(e->call(b, s, 0.5, 1, 0) == SIMDROP_EOVERLAP, "%s %s overlapping %s on "
                          "unreadable buffers", e->name, e->arg[j].name, e->arg[i].name);
                    b[j] = o[j];
                }
        if (kernel)
            CHECK(e->call(b, s, 0.5, 1, 0) == kernel, "%s valid call with a bad setting",
                  e->name);
        cases_run += 8;
    }
    munmap(pages, span);
}

/* ---- names for simdrop_set_isa --------------------------------------------------------------- */

/* Names for simdrop_set_isa and simdrop_isa_supported. A failed set must leave the path as it
 * was. Built-but-unsupported paths are found from the list, so this holds on any CPU. */
static void isa_name_cases(void)
{
    const char *before = simdrop_isa();
    CHECK(simdrop_set_isa(NULL) == SIMDROP_ENULL, "set_isa(NULL)");
    CHECK(simdrop_isa_supported(NULL) == SIMDROP_ENULL, "isa_supported(NULL)");
    static char longname[4096];
    memset(longname, 'a', sizeof longname - 1);
    const char *unknown[] = {"bogus", "AVX2", "Scalar", "avx2 ", " sse2", "scalar\n", "avx",
                             "avx512f", "neon64", "simde", "-simde", "avx2-SIMDE", "none",
                             "autox", "auto ", longname};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(simdrop_set_isa(unknown[i]) == SIMDROP_EISA_UNKNOWN, "set_isa(\"%.20s\")",
              unknown[i]);
        CHECK(simdrop_isa_supported(unknown[i]) == SIMDROP_EISA_UNKNOWN, "supported(\"%.20s\")",
              unknown[i]);
        CHECK(!strcmp(simdrop_isa(), before), "a failed set_isa changed the path to %s",
              simdrop_isa());
    }
    /* Every real path name (meson.build's kernel table, through the generated list): OK if
     * built and runnable, else EISA_UNAVAILABLE. */
    const char *known[] = {SIMDROP_KNOWN_PATHS};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int built = 0;
        for (const char *const *l = simdrop_isa_list(); *l; l++)
            built |= !strcmp(*l, known[i]);
        const int runnable = built && simdrop_isa_supported(known[i]) == 1;
        CHECK(simdrop_isa_supported(known[i]) == runnable, "supported(%s)", known[i]);
        const int status = simdrop_set_isa(known[i]);
        CHECK(status == (runnable ? SIMDROP_OK : SIMDROP_EISA_UNAVAILABLE), "set_isa(%s): %d",
              known[i], status);
        CHECK(!strcmp(simdrop_isa(), runnable ? known[i] : before), "set_isa(%s) left path %s",
              known[i], simdrop_isa());
        if (!built)
            printf("  path %s is not built: set_isa must say unavailable\n", known[i]);
        if (simdrop_set_isa(before) != SIMDROP_OK)
            CHECK(0, "cannot go back to %s", before);
    }
    /* "auto" and, like an empty SIMDROP_ISA, "" pick a native path, never an emulated one. */
    const char *autos[] = {"auto", ""};
    for (size_t i = 0; i < 2; i++) {
        CHECK(simdrop_set_isa(autos[i]) == SIMDROP_OK, "set_isa(\"%s\")", autos[i]);
        CHECK(!strstr(simdrop_isa(), "-simde"), "auto picked %s", simdrop_isa());
    }
    CHECK(simdrop_set_isa(before) == SIMDROP_OK, "restore %s", before);
}

/* ---- drivers --------------------------------------------------------------------------------- */

static void all_cases(void)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        const entry *e = &entries[i];
        null_cases(e);
        p_cases(e);
        range_cases(e);
        size_cases(e);
        past_top_cases(e);
        overlap_cases(e);
        alias_cases(e);
        order_cases(e);
        dbias_no_rows_cases(e);
        alpha_edge_cases(e);
        geometry_cases(e);
    }
    no_access_cases();
    block_pointer_cases();
}

/* A valid call of every entry point, checked against the oracle. */
static void valid_calls(const char *label)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        bcall c = call_apart(&entries[i], shape_of(&entries[i], 2), 0.5, 1, 0);
        run_case(label, &c, SIMDROP_OK);
    }
}

/* A bad setting read from the environment at first use (SIMDROP_ISA: `expect` is its error;
 * SIMDROP_NUM_THREADS: SIMDROP_ETHREADS): every kernel call fails with it and writes nothing,
 * even with no elements; argument errors still rank first; the byte conversions use neither
 * and work; the setter recovers. */
static void env_cases(int expect)
{
    const int threads = expect == SIMDROP_ETHREADS;
    const char *var = threads ? "SIMDROP_NUM_THREADS" : "SIMDROP_ISA";
    printf("  %s=\"%s\": expecting %s\n", var, getenv(var) ? getenv(var) : "(unset)",
           simdrop_strerror(expect));
    if (threads) {
        CHECK(simdrop_get_num_threads() == SIMDROP_ETHREADS, "get_num_threads() = %d with a bad "
              "SIMDROP_NUM_THREADS", simdrop_get_num_threads());
        cur_path = simdrop_isa();
    } else {
        CHECK(!strcmp(simdrop_isa(), "none"), "simdrop_isa() is %s with a bad SIMDROP_ISA",
              simdrop_isa());
        cur_path = "none";
    }
    env_status = expect;
    for (size_t i = 0; i < NENTRIES; i++) {
        const entry *e = &entries[i];
        for (int k = 0; k < NSHAPES; k++) {
            bcall c = call_apart(e, shape_of(e, k), 0.5, 1, 0);
            run_case(e->family == FAM_BYTES ? "bad setting, a conversion" : "bad setting", &c,
                     model_status(&c));
        }
        ent_shape empty[3];
        for (int k = 0, count = empty_shapes(e, empty); k < count; k++) {
            bcall c = call_apart(e, empty[k], 0.5, 1, 0);
            run_case(e->family == FAM_BYTES ? "bad setting, a conversion, no elements"
                                            : "bad setting, no elements",
                     &c, model_status(&c));
        }
        order_cases(e);
        dbias_no_rows_cases(e);
    }
    no_access_cases();
    if (threads) {
        const int bad[] = {0, -1, 1025, -1024, 1 << 30};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            CHECK(simdrop_set_num_threads(bad[i]) == SIMDROP_ETHREADS, "set_num_threads(%d)",
                  bad[i]);
        CHECK(simdrop_get_num_threads() == SIMDROP_ETHREADS, "a failed set_num_threads recovered");
        bcall c = call_apart(rel_entry("forward_f32"), shape(100, 0), 0.5, 1, 0);
        run_case("still failing after bad set_num_threads", &c, SIMDROP_ETHREADS);
        CHECK(simdrop_set_num_threads(3) == SIMDROP_OK, "set_num_threads(3) after a bad env");
        CHECK(simdrop_get_num_threads() == 3, "get_num_threads() = %d, want 3",
              simdrop_get_num_threads());
    } else {
        CHECK(simdrop_set_isa("bogus") == SIMDROP_EISA_UNKNOWN, "set_isa(bogus)");
        CHECK(!strcmp(simdrop_isa(), "none"), "a failed set_isa changed the path");
        CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "set_isa(scalar) after a bad SIMDROP_ISA");
        cur_path = simdrop_isa();
    }
    env_status = SIMDROP_OK;
    valid_calls("after recovering");
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_bad_input");
    for (int i = 1; i < argc; i++)
        list_cases |= !strcmp(argv[i], "--list-cases");
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--env-expect"))
            continue;
        /* Only the env runs pass this; nothing may touch the library before env_cases. */
        const char *want = argv[i + 1];
        if (!strcmp(want, "unknown") || !strcmp(want, "unavailable") || !strcmp(want, "threads")) {
            env_cases(!strcmp(want, "unknown")       ? SIMDROP_EISA_UNKNOWN
                      : !strcmp(want, "unavailable") ? SIMDROP_EISA_UNAVAILABLE
                                                     : SIMDROP_ETHREADS);
        } else { /* the path the variable must have selected; "auto": set_isa("auto")'s */
            const char *got = simdrop_isa();
            if (!strcmp(want, "auto") && simdrop_set_isa("auto") == SIMDROP_OK)
                want = simdrop_isa();
            CHECK(!strcmp(got, want), "SIMDROP_ISA selected %s, want %s", got, want);
            cur_path = simdrop_isa();
            /* (the bad-input sweep of a path is the plain run's, which covers every path) */
            valid_calls("on the path SIMDROP_ISA selected");
        }
        printf("test_bad_input: %lu calls, %lu checked against the oracle\n", cases_run,
               oracle_runs);
        return test_finish("test_bad_input");
    }
    isa_name_cases();
    const char *paths[SIMDROP_PATH_COUNT];
    const size_t npaths = test_paths(paths, SIMDROP_PATH_COUNT);
    for (size_t i = 0; i < npaths; i++) {
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa(%s)", paths[i]);
        cur_path = paths[i];
        const unsigned long before = cases_run;
        all_cases();
        printf("  %-14s %lu calls\n", paths[i], cases_run - before);
        if (rel_small() || list_cases)
            break; /* the checks come before any kernel; the kernels are the other tests' job */
    }
    printf("test_bad_input: %zu entry points, %lu calls, %lu checked against the oracle, "
           "\n", (size_t)NENTRIES, cases_run, oracle_runs);
    return test_finish("test_bad_input");
}
