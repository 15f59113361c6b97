/* checkasm.c: every kernel table entry and every public entry point, on every path, against scalar, bit for bit (dav1d-style).
 *
 *   checkasm [--seed N] [--cases N] [--only NAME] [--exhaustive] [--bench] [--large] [--verify]
 *
 * 1. kernels: each entry of each path's table (gen, bits, mask, skip, accumulate) called directly
 *    with the same random lane states, constants and inputs as the scalar table's entry, plain and
 *    non-temporal stores, in place and not; outputs, masks, lane states and guard bytes compared.
 * 2. entries: each public function (every op and dtype) on random shapes, offsets, p, seeds,
 *    misalignments, NULL optional buffers and aliasing, through the library's dispatch on each
 *    path, with the non-temporal threshold forced low in a quarter of the cases so every kernel's
 *    non-temporal branch runs, and on 1, 2, 3, 7 or 16 threads (each call split as finely as it
 *    goes); outputs, status and guards compared with the scalar path's on one thread.
 * 3. conversions: the scalar binary16/bfloat16 conversions against the CPU's own (F16C, AArch64)
 *    and against the branch-free algorithm the vector paths use, over a stride of all 2^32 floats
 *    (--exhaustive: every one) and all 2^16 halves.
 * --large adds calls of 2^27 + 77 floats that cross the real non-temporal threshold unforced.
 * --bench times each kernel entry per path (64K elements, in cache) and prints the ratio to scalar.
 * --verify ends with one VERIFY line per path and a VERIFY_TOTAL line (the benchmark report's proof).
 * Random cases print their seed; --seed N replays them. --only NAME runs the entries whose name
 * contains NAME. SIMDROP_TEST_CASES sets --cases; SIMDROP_TEST_SMALL trims everything. */
#include <math.h>
#include <time.h>

#include "portable.h" /* clock_gettime */

#include "common.h"
#include "dispatch.h"
#include "entries.h"
#include "template/kernel.h"
#include "parallel.h"

enum { MAX_PATHS = SIMDROP_PATH_COUNT, CANARY = 0xa5 };

static const char *only = NULL;
static uint64_t test_rng_seed;
static int small = 0;

/* Checks and failures per path, for the --verify summary the benchmark report reads. */
static unsigned long path_checks[MAX_PATHS], path_failures[MAX_PATHS];
static void tally(size_t path, unsigned long checks_before, unsigned long failures_before)
{
    path_checks[path] += test_checks - checks_before;
    path_failures[path] += test_failures - failures_before;
}

/* ---- random inputs ---------------------------------------------------------------------------- */

/* Mostly ordinary values, with every special class sprinkled in: NaNs (quiet, signalling, both
 * signs, payloads), infinities, signed zeros, subnormals, the largest finite values. */
static void fill_values(void *p, int dt, size_t n)
{
    static const uint32_t f32s[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fa12345u,
                                    0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                                    0x00000001u, 0x807fffffu, 0x7f7fffffu, 0x00800000u};
    static const uint64_t f64s[] = {0x7ff8000000000000u, 0xfff8000000000001u, 0x7ff0000000000001u,
                                    0x7ff0000000000000u, 0xfff0000000000000u, 0, 0x8000000000000000u,
                                    1, 0x800fffffffffffffu, 0x7fefffffffffffffu, 0x0010000000000000u};
    static const uint16_t h16s[] = {0x7e00u, 0xfe01u, 0x7c01u, 0x7c00u, 0xfc00u, 0x0000u, 0x8000u,
                                    0x0001u, 0x83ffu, 0x7bffu, 0x0400u, 0x7fc0u, 0x7f81u, 0x7f80u,
                                    0x0080u, 0x007fu};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand();
        const int special = r % 16 == 0, raw = r % 16 == 1;
        const double v = ((double)(r >> 11) * 0x1p-53 - 0.5) * 16.0;
        switch (dt) {
        case DT_F32:
            ((float *)p)[i] = special ? u2f(f32s[(r >> 8) % 12]) : raw ? u2f((uint32_t)(r >> 32)) : (float)v;
            break;
        case DT_F64:
            ((double *)p)[i] = special ? simdrop_u2d(f64s[(r >> 8) % 11]) : raw ? simdrop_u2d(r) : v;
            break;
        default: {
            uint16_t h = special ? h16s[(r >> 8) % 16] : (uint16_t)(r >> 40);
            if (!special && !raw)
                h = dt == DT_BF16 ? simdrop_f32_to_bf16((float)v) : simdrop_f32_to_f16((float)v);
            ((uint16_t *)p)[i] = h;
        }
        }
    }
}

static double random_p(void)
{
    static const double fixed[] = {0.0, 1.0, 0x1p-16, 0.5, 1.0 - 0x1p-16, 0.1, 0x1p-17, 0.999999};
    const uint64_t pick = test_below(12);
    return pick < 8 ? fixed[pick] : test_unit();
}

static uint64_t random_offset(uint64_t units)
{
    uint64_t o;
    switch (test_below(5)) {
    case 0: o = test_below(1001); break;
    case 1: o = UINT64_MAX - units + 1 - test_below(1001); break; /* ends at or near 2^64 */
    case 2: o = test_rand() >> test_below(64); break;
    case 3: o = 4096 * test_below(100) + 4096 - test_below(64); break; /* a block edge */
    default: o = 0; break;
    }
    if (units && o > UINT64_MAX - (units - 1))
        o = UINT64_MAX - (units - 1);
    return o;
}

/* ---- comparing ----------------------------------------------------------------------------- */

static int same_bytes(const char *path, const char *what, const void *want, const void *got,
                      size_t len, const char *context)
{
    const unsigned char *a = want, *b = got;
    size_t i = 0;
    while (i < len && a[i] == b[i])
        i++;
    CHECK(i == len, "path %s: %s differs at byte %zu of %zu (scalar %02x, got %02x): %s", path,
          what, i, len, i < len ? a[i] : 0, i < len ? b[i] : 0, context);
    return i == len;
}

/* ---- 1. kernel table entries -------------------------------------------------------------- */

static const char *const rule_names[RULE_COUNT] = {"SCALE", "AFFINE", "BIAS", "RESID", "BIAS_RESID"};
static const char *const dt_names[DT_COUNT] = {"f32", "f64", "bf16", "f16"};

/* One kernel call's world: lane state, constants, operands in guarded buffers. */
typedef struct kcase {
    size_t rounds;
    uint32_t threshold;
    simdrop_consts c;
    simdrop_lanes st;
    int nt, in_place, with_mask;
    size_t mis_y, mis_m; /* elements / bytes past a 64-byte boundary */
} kcase;

static kcase random_kcase(int dt)
{
    kcase k;
    static const uint32_t thresholds[] = {0, 1, 6554, 32768, 65535, 65536};
    k.rounds = small ? 1 + test_below(20) : 1 + test_below(test_below(4) ? 40 : 260);
    k.threshold = test_below(3) ? thresholds[test_below(6)] : (uint32_t)test_below(65537);
    const double p = random_p();
    k.c = test_below(2) || p >= 1.0 || p == 0.0 ? simdrop_dropout_consts(p) : simdrop_alpha_consts(p);
    for (int w = 0; w < 4; w++)
        for (unsigned l = 0; l < SIMDROP_LANES; l++)
            k.st.s[w][l] = (uint32_t)test_rand();
    k.nt = test_below(2);
    k.in_place = test_below(4) == 0;
    k.with_mask = test_below(3) != 0;
    k.mis_y = test_below(3) ? 0 : 1 + test_below(15); /* aligned, so the nt branch really runs */
    k.mis_m = test_below(8);
    (void)dt;
    return k;
}

/* Runs one gen/bits/mask/skip entry of table t on case k; returns the buffers it wrote. */
typedef struct kresult {
    guarded y, mask;
    simdrop_lanes st;
} kresult;

static kresult run_kernel(const simdrop_kernels *t, int kind, int rule, int dt, const kcase *k,
                          const void *x, const void *b, const void *r, const uint8_t *bits)
{
    const size_t n = k->rounds * SIMDROP_ROUND, es = simdrop_dtype_size(dt);
    kresult out;
    out.y = guarded_new(n * es, k->mis_y * es, CANARY);
    out.mask = guarded_new(4 * k->rounds, k->mis_m, CANARY);
    out.st = k->st;
    simdrop_kargs a = {out.y.data, x, b, r, k->with_mask ? out.mask.data : NULL, bits, &k->c, k->nt};
    if (k->in_place) { /* y == x: the kernel must read each element before writing it */
        memcpy(out.y.data, x, n * es);
        a.x = out.y.data;
    }
    switch (kind) {
    case 0: t->gen[rule][dt](&a, &out.st, k->rounds, k->threshold); break;
    case 1: t->bits[rule][dt](&a, k->rounds); break;
    case 2: t->mask(out.mask.data, &out.st, k->rounds, k->threshold); break;
    default: t->skip(&out.st, k->rounds); break;
    }
    return out;
}

static void check_kernel(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t,
                         int kind, int rule, int dt)
{
    static const char *const kinds[] = {"gen", "bits", "mask", "skip"};
    const kcase k = random_kcase(dt);
    const size_t n = k.rounds * SIMDROP_ROUND, es = simdrop_dtype_size(dt);
    guarded x = guarded_new(n * es, test_below(16) * es, 0), b = guarded_new(n * es, 0, 0);
    guarded r = guarded_new(n * es, test_below(16) * es, 0), bits = guarded_new(4 * k.rounds, test_below(8), 0);
    fill_values(x.data, dt, n);
    fill_values(b.data, dt, n);
    fill_values(r.data, dt, n);
    for (size_t i = 0; i < 4 * k.rounds; i++)
        bits.data[i] = (uint8_t)test_rand();
    kresult want = run_kernel(ref, kind, rule, dt, &k, x.data, b.data, r.data, bits.data);
    kresult got = run_kernel(t, kind, rule, dt, &k, x.data, b.data, r.data, bits.data);
    char ctx[200];
    snprintf(ctx, sizeof ctx, "%s[%s][%s] rounds=%zu T=%u nt=%d in_place=%d mask=%d mis_y=%zu",
             kinds[kind], kind < 2 ? rule_names[rule] : "-", kind < 2 ? dt_names[dt] : "-",
             k.rounds, k.threshold, k.nt, k.in_place, k.with_mask, k.mis_y);
    if (kind <= 1)
        same_bytes(path, "y", want.y.data, got.y.data, n * es, ctx);
    if ((kind == 0 && k.with_mask) || kind == 2)
        same_bytes(path, "mask", want.mask.data, got.mask.data, 4 * k.rounds, ctx);
    same_bytes(path, "lane state", &want.st, &got.st, sizeof want.st, ctx);
    CHECK(guarded_ok(&got.y) && guarded_ok(&got.mask), "path %s: %s wrote outside its buffers", path, ctx);
    guarded_free(&want.y), guarded_free(&want.mask), guarded_free(&got.y), guarded_free(&got.mask);
    guarded_free(&x), guarded_free(&b), guarded_free(&r), guarded_free(&bits);
}

static void check_accumulate(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t, int dt)
{
    const size_t n = test_below(small ? 70 : 300), as = dt == DT_F64 ? 8 : 4;
    const size_t es = simdrop_dtype_size(dt);
    guarded v = guarded_new(n * es, test_below(16) * es, 0);
    guarded a0 = guarded_new(n * as, 0, 0), a1 = guarded_new(n * as, test_below(16) * as, CANARY);
    fill_values(v.data, dt, n);
    fill_values(a0.data, dt == DT_F64 ? DT_F64 : DT_F32, n);
    memcpy(a1.data, a0.data, n * as);
    ref->accumulate[dt](a0.data, v.data, n);
    t->accumulate[dt](a1.data, v.data, n);
    char ctx[64];
    snprintf(ctx, sizeof ctx, "accumulate[%s] n=%zu", dt_names[dt], n);
    /* NaN + NaN may return either payload (the bias gradient makes every NaN canonical at the
     * end, values.h), so lanes where both sums are NaN compare as equal. */
    for (size_t i = 0; i < n; i++) {
        const int nan = dt == DT_F64 ? isnan(((double *)a0.data)[i]) && isnan(((double *)a1.data)[i])
                                     : isnan(((float *)a0.data)[i]) && isnan(((float *)a1.data)[i]);
        if (nan)
            memcpy(a1.data + i * as, a0.data + i * as, as);
    }
    same_bytes(path, "acc", a0.data, a1.data, n * as, ctx);
    CHECK(guarded_ok(&a1), "path %s: %s wrote outside acc", path, ctx);
    guarded_free(&v), guarded_free(&a0), guarded_free(&a1);
}

static void check_kernels(const char *path, long cases)
{
    const simdrop_kernels *ref = simdrop_kernels_by_name("scalar"), *t = simdrop_kernels_by_name(path);
    CHECK(ref && t, "kernel tables for scalar and %s", path);
    if (!ref || !t)
        return;
    const long reps = cases / 40 > 2 ? cases / 40 : 2;
    for (long i = 0; i < reps; i++) {
        for (int dt = 0; dt < DT_COUNT; dt++) {
            for (int rule = 0; rule < RULE_COUNT; rule++)
                check_kernel(path, ref, t, 0, rule, dt);
            for (int rule = 0; rule < SIMDROP_BITS_RULES; rule++)
                check_kernel(path, ref, t, 1, rule, dt);
            check_accumulate(path, ref, t, dt);
        }
        check_kernel(path, ref, t, 2, 0, 0);
        check_kernel(path, ref, t, 3, 0, 0);
    }
}

/* ---- 2. public entry points ------------------------------------------------------------------ */

typedef struct ecase {
    ent_shape s;
    double p;
    uint64_t seed, offset;
    int nt_forced;
    int threads; /* the compared path runs on this many threads; scalar always on one */
    int null_arg[5], alias_arg[5];
    size_t mis[5];
} ecase;

/* Shapes that reach every seam: partial rounds, block edges, group_len 1 and around 4096,
 * cols 1 and odd, rows crossing chunk boundaries of the bias gradient. */
static ent_shape random_shape(const entry *e)
{
    ent_shape s = ent_ab(0, 0);
    const size_t cap = small ? 9000 : 140000;
    if (ent_is_block(e)) { /* rows of every width, in global rows of every kind (ent_block) */
        static const size_t cols[] = {1, 7, 31, 32, 33, 64, 96, 256, 1000, 4095, 4097};
        s.b = test_below(2) ? cols[test_below(11)] : test_below(300);
        const size_t max_rows = cap / (s.b + 1) + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_rows < 400 ? max_rows : 400);
        return ent_block(s, test_rand(), e->kind != K_FORWARD);
    }
    if (e->family == FAM_REDUCE) { /* granules x cols partial sums */
        s.a = test_below(8) == 0 ? 0 : test_below(40);
        s.b = test_below(8) == 0 ? 0 : 1 + test_below(300);
        return s;
    }
    if (e->family == FAM_GROUPS || e->family == FAM_ALPHA) {
        static const size_t lens[] = {1, 2, 3, 7, 31, 32, 33, 1000, 4095, 4096, 4097};
        s.b = test_below(2) ? lens[test_below(11)] : 1 + test_below(70);
        const size_t max_groups = cap / s.b + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_groups < 5000 ? max_groups : 5000);
    } else if (e->family == FAM_BDA) {
        static const size_t cols[] = {1, 2, 3, 7, 31, 32, 33, 100, 1000, 4095, 4097};
        s.b = test_below(2) ? cols[test_below(11)] : 1 + test_below(300);
        const size_t max_rows = cap / s.b + 1;
        s.a = test_below(8) == 0 ? 0 : test_below(max_rows < 3000 ? max_rows : 3000);
    } else {
        const uint64_t kind = test_below(8);
        s.a = kind < 3 ? test_below(130) : kind < 6 ? test_below(9000) : test_below(cap + 1);
    }
    return s;
}

static ecase random_ecase(const entry *e)
{
    ecase c;
    c.s = random_shape(e);
    c.p = random_p();
    c.seed = test_below(4) == 0 ? (test_below(2) ? 0 : UINT64_MAX) : test_rand();
    c.offset = e->uses_seed ? random_offset(ent_span(e, c.s)) : 0;
    c.nt_forced = test_below(4) == 0;
    static const int thread_counts[] = {1, 2, 3, 7, 16}; /* more threads than cores included */
    c.threads = thread_counts[test_below(5)];
    for (int i = 0; i < 5; i++) {
        const ent_arg *a = &e->arg[i];
        c.null_arg[i] = i < e->nargs && a->nullable && test_below(3) == 0;
        c.alias_arg[i] = i < e->nargs && ent_can_alias(e, i, c.s) && test_below(4) == 0;
        /* typed buffers move by whole elements (a misaligned float is undefined behaviour) */
        c.mis[i] = test_below(4) == 0 || i >= e->nargs ? 0 : test_below(16) * ent_unit(e, i);
    }
    /* Only one input can be the output. */
    for (int i = 0, taken = 0; i < 5; i++) {
        c.alias_arg[i] &= !c.null_arg[i] && !taken;
        taken |= c.alias_arg[i];
    }
    return c;
}

typedef struct eresult {
    int status;
    guarded buf[5];
} eresult;

/* Calls entry e on case c with inputs in[] (outputs canary-filled); aliased inputs become the
 * main output, prefilled with the input. */
static eresult run_entry(const entry *e, const ecase *c, guarded *const in)
{
    eresult r;
    void *ptr[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < e->nargs; i++) {
        const size_t len = ent_bytes(e, i, c->s);
        r.buf[i] = guarded_new(len, c->mis[i], CANARY);
        if (!e->arg[i].is_out)
            memcpy(r.buf[i].data, in[i].data, len);
        ptr[i] = c->null_arg[i] ? NULL : r.buf[i].data;
    }
    for (int i = 1; i < e->nargs; i++)
        if (c->alias_arg[i]) {
            memcpy(r.buf[0].data, in[i].data, ent_bytes(e, i, c->s));
            ptr[i] = ptr[0];
        }
    simdrop_nt_bytes_override(c->nt_forced ? 1 : 0);
    r.status = e->call(ptr, c->s, c->p, c->seed, c->offset);
    simdrop_nt_bytes_override(0);
    return r;
}

/* Runs entry e on `threads` threads, each call split into as many tasks as it has units for. */
static eresult run_entry_threads(const entry *e, const ecase *c, guarded *const in, int threads)
{
    simdrop_set_num_threads(threads);
    simdrop_min_task_bytes_override(threads > 1 ? 1 : 0);
    eresult r = run_entry(e, c, in);
    simdrop_min_task_bytes_override(0);
    simdrop_set_num_threads(1);
    return r;
}

static void eresult_free(const entry *e, eresult *r)
{
    for (int i = 0; i < e->nargs; i++)
        guarded_free(&r->buf[i]);
}

static void check_entry(const entry *e, const char *const *paths, size_t npaths)
{
    const ecase c = random_ecase(e);
    guarded in[5];
    for (int i = 0; i < e->nargs; i++) {
        const size_t len = ent_bytes(e, i, c.s);
        in[i] = guarded_new(len, 0, 0);
        const int sz = e->arg[i].size;
        if (sz == SZ_ELEMS || sz == SZ_BIAS || sz == SZ_LDX || sz == SZ_LDY)
            fill_values(in[i].data, e->dt, len / ent_dtype_size(e->dt));
        else if (sz == SZ_ACC_ALL) /* partial sums to reduce */
            fill_values(in[i].data, e->dt == E_F64 ? DT_F64 : DT_F32, len / ent_unit(e, i));
        else
            for (size_t k = 0; k < len; k++) /* masks (bits past the end too) and byte arrays */
                in[i].data[k] = (uint8_t)(test_below(4) ? test_rand() : test_below(2));
    }
    char ctx[400], shape[120];
    snprintf(ctx, sizeof ctx, "%s shape=%s p=%.17g seed=%" PRIu64 " offset=%" PRIu64
             " nt=%d threads=%d null=%d%d%d%d%d alias=%d%d%d%d%d",
             e->name, ent_shape_text(e, c.s, shape, sizeof shape), c.p, c.seed, c.offset,
             c.nt_forced, c.threads, c.null_arg[0],
             c.null_arg[1], c.null_arg[2], c.null_arg[3], c.null_arg[4], c.alias_arg[0],
             c.alias_arg[1], c.alias_arg[2], c.alias_arg[3], c.alias_arg[4]);
    CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "scalar path");
    eresult want = run_entry(e, &c, in);
    CHECK(want.status == SIMDROP_OK, "scalar: %s: status %d", ctx, want.status);
    for (size_t pi = 0; pi < npaths; pi++) {
        if (!strcmp(paths[pi], "scalar"))
            continue;
        const unsigned long checks0 = test_checks, failures0 = test_failures;
        CHECK(simdrop_set_isa(paths[pi]) == SIMDROP_OK, "cannot force %s", paths[pi]);
        eresult got = run_entry_threads(e, &c, in, c.threads);
        CHECK(got.status == want.status, "path %s: status %d, scalar %d: %s", paths[pi],
              got.status, want.status, ctx);
        for (int i = 0; i < e->nargs; i++) {
            if (!e->arg[i].is_out || c.null_arg[i])
                continue;
            same_bytes(paths[pi], e->arg[i].name, want.buf[i].data, got.buf[i].data,
                       ent_bytes(e, i, c.s), ctx);
            CHECK(guarded_ok(&got.buf[i]), "path %s: %s written outside: %s", paths[pi],
                  e->arg[i].name, ctx);
        }
        eresult_free(e, &got);
        tally(pi, checks0, failures0);
    }
    for (int i = 0; i < e->nargs; i++)
        CHECK(guarded_ok(&want.buf[i]), "scalar: %s written outside: %s", e->arg[i].name, ctx);
    eresult_free(e, &want);
    for (int i = 0; i < e->nargs; i++)
        guarded_free(&in[i]);
}

/* ---- 3. conversions --------------------------------------------------------------------------- */

/* The vector paths' branch-free binary16 rounding (template/vector_rules.h), one lane at a time. */
static uint16_t f16_branch_free(uint32_t u)
{
    const uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    const uint32_t normal = (a - (0x38000000u - 0xfffu) + ((a >> 13) & 1u)) >> 13;
    const uint32_t small_ = f2u(u2f(a) + 0.5f) - 0x3f000000u;
    uint32_t r = 0x38800000u > a ? small_ : normal;
    r = a > 0x477fefffu ? 0x7c00u : r;
    r = a > 0x7f800000u ? (((a >> 13) & 0x1ffu) | 0x7e00u) : r;
    return (uint16_t)(r | sign);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_NATIVE_F16 1
__attribute__((target("f16c"))) static uint16_t f16_native(float f)
{
    return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0);
}
__attribute__((target("f16c"))) static float f16_native_widen(uint16_t h)
{
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
/* cpuid's F16C bit, and the OS saving YMM state (F16C is VEX-encoded). Not
 * __builtin_cpu_supports("f16c"): clang 14 does not know that name. */
#include <cpuid.h>
static int native_f16_supported(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c >> 29 & 1) || !(c >> 27 & 1))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0x6) == 0x6;
}
#elif defined(__aarch64__)
#define HAVE_NATIVE_F16 1
static uint16_t f16_native(float f)
{
    __fp16 h = (__fp16)f;
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}
static float f16_native_widen(uint16_t u)
{
    __fp16 h;
    memcpy(&h, &u, 2);
    return (float)h;
}
static int native_f16_supported(void)
{
    return 1;
}
#endif

static void check_conversions(int exhaustive)
{
    /* Fixed points of the rounding rules, in bits. */
    static const struct {
        uint32_t f;
        uint16_t h, bf;
    } pins[] = {
        {0x477fefffu, 0x7bffu, 0x4780u}, /* just below 65520: the largest half */
        {0x477ff000u, 0x7c00u, 0x4780u}, /* 65520: rounds to infinity */
        {0x33000000u, 0x0000u, 0x3300u}, /* 2^-25: a tie, to even zero */
        {0x33000001u, 0x0001u, 0x3300u}, /* just above: the smallest subnormal */
        {0x387fc000u, 0x03ffu, 0x3880u}, /* the largest subnormal half */
        {0x387fe000u, 0x0400u, 0x3880u}, /* half-way to 2^-14: a tie, to the even normal */
        {0x38800000u, 0x0400u, 0x3880u}, /* 2^-14: the smallest normal half */
        {0x7fa12345u, 0x7f09u, 0x7fe1u}, /* a signalling NaN: quieted, top payload kept */
        {0xff800000u, 0xfc00u, 0xff80u}, /* -infinity */
        {0x3f808000u, 0x3c04u, 0x3f80u}, /* 1 + 2^-8: bf16 tie to even */
        {0x3f818000u, 0x3c0cu, 0x3f82u}, /* 1 + 3 * 2^-8: bf16 tie, rounds up to even */
        {0x7f7fffffu, 0x7c00u, 0x7f80u}, /* the largest float: bf16 overflows to infinity */
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        CHECK(simdrop_f32_to_f16(u2f(pins[i].f)) == pins[i].h, "f16(%08x) = %04x, want %04x",
              pins[i].f, simdrop_f32_to_f16(u2f(pins[i].f)), pins[i].h);
        CHECK(simdrop_f32_to_bf16(u2f(pins[i].f)) == pins[i].bf, "bf16(%08x) = %04x, want %04x",
              pins[i].f, simdrop_f32_to_bf16(u2f(pins[i].f)), pins[i].bf);
    }
    int native = 0;
#ifdef HAVE_NATIVE_F16
    native = native_f16_supported();
#endif
    /* Every half widens exactly and narrows back to itself (NaNs come back quiet). */
    unsigned long bad = 0;
    for (uint32_t h = 0; h < 0x10000u; h++) {
        const float f = simdrop_f16_to_f32((uint16_t)h);
        const int nan = (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu);
        const uint16_t back = simdrop_f32_to_f16(f);
        bad += back != (nan ? (uint16_t)(h | 0x200u) : (uint16_t)h);
        bad += simdrop_f32_to_bf16(simdrop_bf16_to_f32((uint16_t)h)) != (((h & 0x7f80u) == 0x7f80u && (h & 0x7fu)) ? (uint16_t)(h | 0x40u) : (uint16_t)h);
#ifdef HAVE_NATIVE_F16
        if (native && !nan)
            bad += f2u(f16_native_widen((uint16_t)h)) != f2u(f);
#endif
    }
    CHECK(bad == 0, "%lu of 2^16 halves do not round-trip or widen like the CPU", bad);
    /* A stride (or all) of the floats: the reference against the CPU and the vector algorithm. */
    const uint32_t stride = exhaustive ? 1 : small ? 65521 : 4093;
    unsigned long checked = 0, bad_cpu = 0, bad_vec = 0;
    for (uint64_t u = test_below(stride); u <= UINT32_MAX; u += stride, checked++) {
        const uint16_t want = simdrop_f32_to_f16(u2f((uint32_t)u));
        bad_vec += f16_branch_free((uint32_t)u) != want;
#ifdef HAVE_NATIVE_F16
        if (native)
            bad_cpu += f16_native(u2f((uint32_t)u)) != want;
#endif
    }
    CHECK(bad_vec == 0, "binary16: %lu of %lu floats differ from the branch-free algorithm", bad_vec, checked);
    CHECK(bad_cpu == 0, "binary16: %lu of %lu floats differ from the CPU's conversion", bad_cpu, checked);
    printf("  conversions: %lu floats (stride %u)%s, all 65536 halves\n", checked, stride,
           native ? " also against the CPU" : "");
}

/* ---- --large: the real non-temporal threshold --------------------------------------------------- */

static void check_large(const char *const *paths, size_t npaths)
{
    const size_t n = ((size_t)1 << 27) + 77;
    float *x = malloc(n * 4), *want = malloc(n * 4), *y = malloc(n * 4 + 64);
    uint8_t *mw = malloc(n / 8 + 1), *m = malloc(n / 8 + 1);
    if (!x || !want || !y || !mw || !m) {
        fprintf(stderr, "checkasm --large: out of memory\n");
        exit(2);
    }
    fill_values(x, DT_F32, n);
    CHECK(simdrop_set_isa("scalar") == 0 && simdrop_forward_f32(want, mw, x, n, 0.3, 7, 4093) == 0, "scalar");
    for (size_t i = 0; i < npaths; i++) {
        if (!strcmp(paths[i], "scalar"))
            continue;
        CHECK(simdrop_set_isa(paths[i]) == 0, "%s", paths[i]);
        for (int mis = 0; mis < 2; mis++) {
            float *yy = (float *)(((uintptr_t)y + 63) & ~(uintptr_t)63) + mis;
            CHECK(simdrop_forward_f32(yy, m, x, n, 0.3, 7, 4093) == 0, "forward");
            same_bytes(paths[i], "large forward y", want, yy, n * 4, mis ? "misaligned" : "aligned");
            same_bytes(paths[i], "large forward mask", mw, m, n / 8 + 1, "");
            CHECK(simdrop_backward_f32(yy, x, mw, n, 0.3) == 0, "backward");
            same_bytes(paths[i], "large backward", want, yy, n * 4, mis ? "misaligned" : "aligned");
        }
    }
    free(x), free(want), free(y), free(mw), free(m);
}

/* ---- --bench ------------------------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Nanoseconds per element of one kernel entry over 64K elements in cache (best of 5). */
/* Ordinary values in [-1, 1): subnormals would time the CPU's microcode assists instead. */
static void fill_plain(void *p, int dt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double v = test_unit() * 2.0 - 1.0;
        switch (dt) {
        case DT_F32: ((float *)p)[i] = (float)v; break;
        case DT_F64: ((double *)p)[i] = v; break;
        case DT_BF16: ((uint16_t *)p)[i] = simdrop_f32_to_bf16((float)v); break;
        default: ((uint16_t *)p)[i] = simdrop_f32_to_f16((float)v); break;
        }
    }
}

static double time_kernel(const simdrop_kernels *t, int kind, int rule, int dt)
{
    const size_t rounds = 2048, n = rounds * SIMDROP_ROUND, es = simdrop_dtype_size(dt);
    char *x = malloc(n * es + 64), *y = malloc(n * es + 64), *b = malloc(n * es);
    uint8_t *mask = malloc(rounds * 4);
    fill_plain(x, dt, n);
    fill_plain(b, dt, n);
    memset(mask, 0x5a, rounds * 4);
    const simdrop_consts c = simdrop_dropout_consts(0.1);
    simdrop_kargs a = {y, x, b, b, mask, mask, &c, 0};
    simdrop_lanes st;
    memset(&st, 0x3c, sizeof st);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_seconds();
        for (int it = 0; it < 20; it++) {
            if (kind == 0)
                t->gen[rule][dt](&a, &st, rounds, 6554);
            else if (kind == 1)
                t->bits[rule][dt](&a, rounds);
            else
                t->mask(mask, &st, rounds, 6554);
        }
        const double dt_ns = (now_seconds() - t0) * 1e9 / (20.0 * (double)n);
        best = dt_ns < best ? dt_ns : best;
    }
    free(x), free(y), free(b), free(mask);
    return best;
}

static void bench(const char *const *paths, size_t npaths)
{
    printf("bench: ns per element, 64K elements in cache, best of 5; (x) = speed-up over scalar\n");
    printf("%-22s", "kernel");
    for (size_t i = 0; i < npaths; i++)
        printf(" %16s", paths[i]);
    printf("\n");
    const simdrop_kernels *ref = simdrop_kernels_by_name("scalar");
    for (int kind = 0; kind < 3; kind++)
        for (int rule = 0; rule < (kind == 0 ? RULE_COUNT : kind == 1 ? SIMDROP_BITS_RULES : 1); rule++)
            for (int dt = 0; dt < (kind == 2 ? 1 : DT_COUNT); dt++) {
                char name[40];
                snprintf(name, sizeof name, "%s%s%s%s", kind == 0 ? "gen_" : kind == 1 ? "bits_" : "mask",
                         kind < 2 ? rule_names[rule] : "", kind < 2 ? "_" : "", kind < 2 ? dt_names[dt] : "");
                if (only && !strstr(name, only))
                    continue;
                printf("%-22s", name);
                const double base = time_kernel(ref, kind, rule, dt);
                for (size_t i = 0; i < npaths; i++) {
                    const double ns = strcmp(paths[i], "scalar") ? time_kernel(simdrop_kernels_by_name(paths[i]), kind, rule, dt) : base;
                    printf("  %7.3f (%5.1fx)", ns, base / ns);
                }
                printf("\n");
            }
}

/* ---- main ----------------------------------------------------------------------------------------- */

static int has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], flag))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    small = getenv("SIMDROP_TEST_SMALL") && strcmp(getenv("SIMDROP_TEST_SMALL"), "0");
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--only"))
            only = argv[i + 1];
    const char *paths[MAX_PATHS];
    const size_t npaths = test_paths(paths, MAX_PATHS);
    if (has_flag(argc, argv, "--bench")) {
        bench(paths, npaths);
        return 0;
    }
    test_rng_seed = test_seed_init(argc, argv, "checkasm");
    const long cases = (long)test_option(argc, argv, "--cases", "SIMDROP_TEST_CASES", small ? 8 : 40);
    printf("checkasm: %zu paths:", npaths);
    for (size_t i = 0; i < npaths; i++)
        printf(" %s", paths[i]);
    printf("\n");

    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], "scalar") && (!only || !strcmp(only, "kernels"))) {
            const unsigned long before = test_checks, failures0 = test_failures;
            check_kernels(paths[i], cases);
            tally(i, before, failures0);
            printf("  kernels  %-14s %lu checks\n", paths[i], test_checks - before);
        }
    for (size_t i = 0; i < NENTRIES; i++) {
        if (only && !strstr(entries[i].name, only))
            continue;
        const unsigned long before = test_checks;
        for (long k = 0; k < cases; k++)
            check_entry(&entries[i], paths, npaths);
        printf("  entry    %-34s %lu checks\n", entries[i].name, test_checks - before);
    }
    if (!only)
        check_conversions(has_flag(argc, argv, "--exhaustive"));
    if (has_flag(argc, argv, "--large"))
        check_large(paths, npaths);
    CHECK(simdrop_set_isa("auto") == SIMDROP_OK, "auto");
    if (has_flag(argc, argv, "--verify")) { /* one line per path for bench/report.py */
        unsigned long all = 0;
        for (size_t i = 0; i < npaths; i++)
            if (strcmp(paths[i], "scalar")) {
                printf("VERIFY path=%s checks=%lu failures=%lu result=%s\n", paths[i],
                       path_checks[i], path_failures[i], path_failures[i] ? "FAIL" : "PASS");
                all += path_checks[i];
            }
        printf("VERIFY_TOTAL reference=scalar paths=%zu entries=%zu checks=%lu failures=%lu seed=%" PRIu64
               " result=%s\n", npaths - 1, (size_t)NENTRIES, all, test_failures, test_rng_seed,
               test_failures ? "FAIL" : "PASS");
    }
    return test_finish("checkasm");
}
