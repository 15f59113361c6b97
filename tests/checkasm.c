/* checkasm.c: every kernel table entry and every public entry point, on every path, against scalar, bit for bit (dav1d-style).
 *
 *   checkasm [--seed N] [--cases N] [--only NAME] [--exhaustive] [--bench] [--large] [--verify]
 *
 * 1. kernels: each entry of each path's table (gen, gen2, bits, mask, seed, skip, accumulate, and the
 *    conversions of 3.) called directly
 *    with the same random lane states, constants and inputs as the scalar table's entry, plain and
 *    non-temporal stores, in place and not; outputs, masks, lane states and guard bytes compared.
 * 2. entries: each public function (every op and dtype) on random shapes, offsets, p, seeds,
 *    misalignments, NULL optional buffers and aliasing, through the library's dispatch on each
 *    path, with the non-temporal threshold forced low in a quarter of the cases so every kernel's
 *    non-temporal branch runs, and on 1, 2, 3, 7 or 16 threads (each call split as finely as it
 *    goes); outputs, status and guards compared with the scalar path's on one thread.
 * 3. conversions: the scalar binary16/bfloat16 conversions against the CPU's own (F16C, AArch64)
 *    and against the branch-free algorithm the vector paths use, and every path's own (the
 *    conversions its kernels run: native F16C, AVX512-BF16 with its fix-up, the templates'
 *    integer versions) against scalar's, over a stride of all 2^32 floats (--exhaustive: every
 *    one) and all 2^16 halves. --only conversions runs these alone.
 * 4. floating-point environments: under each rounding mode, without and with flush-to-zero, every
 *    path's binary16 narrowing on windows of consecutive floats (--exhaustive: every float whose
 *    half is subnormal) and round trips of every half and bfloat16, the kernels and the entry
 *    points against scalar, and the transcription of 3. again.
 * --large adds calls of 2^27 + 77 floats that cross the real non-temporal threshold unforced.
 * --bench times each kernel entry per path (64K elements, in cache; gen2 as two runs of 32K; skip
 * the 2048 rounds the others make) and
 * prints the ratio to scalar.
 * --verify ends with one VERIFY line per path and a VERIFY_TOTAL line (the benchmark report's proof).
 * Random cases print their seed; --seed N replays them. --only NAME runs the entries whose name
 * contains NAME. SIMDROP_TEST_CASES sets --cases; SIMDROP_TEST_SMALL trims everything;
 * SIMDROP_TEST_VECTOR_BITS=N fails unless SVE's or RVV's vectors are N bits (tests/run.sh). */
#include <math.h>
#include <time.h>

#include "portable.h" /* clock_gettime */

#if defined(__linux__) && (defined(__aarch64__) || defined(__riscv))
#include <sys/auxv.h>  /* getauxval: the vector length printed */
#include <sys/prctl.h>
#endif

#include "common.h"
#include "dispatch.h"
#include "fpenv.h"
#include "entries.h"
#include "inputs.h"
#include "cpu.h" /* simdrop_cpu_is_intel: the small-call rule */
#include "template/kernel.h"

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
    k.nt = (int)test_below(3); /* SIMDROP_NT_NONE, _ANY (a misaligned y bounced) or _ALIGNED */
    k.in_place = test_below(4) == 0;
    k.with_mask = test_below(3) != 0;
    k.mis_y = test_below(3) ? 0 : 1 + test_below(15); /* aligned, so the nt branch really runs */
    k.mis_m = test_below(8);
    (void)dt;
    return k;
}

/* The type of a kernel call's bias (kernel.h's simdrop_kargs: float, double for f64). The kernel
 * checks fill it with any value of that type, specials included, not only widened 16-bit ones. */
static int bias_dt(int dt)
{
    return dt == DT_F64 ? DT_F64 : DT_F32;
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
    const size_t n = k.rounds * SIMDROP_ROUND, es = simdrop_dtype_size(dt), bs = simdrop_bias_size(dt);
    guarded x = guarded_new(n * es, test_below(16) * es, 0), b = guarded_new(n * bs, 0, 0);
    guarded r = guarded_new(n * es, test_below(16) * es, 0), bits = guarded_new(4 * k.rounds, test_below(8), 0);
    fill_values(x.data, dt, n);
    fill_values(b.data, bias_dt(dt), n);
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

/* gen2[rule][dt] of table t against two gen calls of ref: two runs of one case's rounds,
 * threshold, constants and store kind, each with its own lanes, inputs and outputs. */
static void check_gen2(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t,
                       int rule, int dt)
{
    const kcase k = random_kcase(dt);
    const size_t n = k.rounds * SIMDROP_ROUND, es = simdrop_dtype_size(dt);
    guarded in[2][3], y[2][2], mask[2][2];
    simdrop_lanes st[2][2];
    simdrop_kargs a[2][2];
    for (int q = 0; q < 2; q++) {
        for (int i = 0; i < 3; i++) { /* x, bias, residual */
            const int idt = i == 1 ? bias_dt(dt) : dt;
            const size_t is = simdrop_dtype_size(idt);
            in[q][i] = guarded_new(n * is, test_below(16) * is, 0);
            fill_values(in[q][i].data, idt, n);
        }
        for (int w = 0; w < 4; w++)
            for (unsigned l = 0; l < SIMDROP_LANES; l++)
                st[0][q].s[w][l] = (uint32_t)test_rand();
        st[1][q] = st[0][q];
        for (int r = 0; r < 2; r++) { /* r = 0: scalar's, 1: the path's */
            y[r][q] = guarded_new(n * es, k.mis_y * es, CANARY);
            mask[r][q] = guarded_new(4 * k.rounds, k.mis_m, CANARY);
            if (k.in_place)
                memcpy(y[r][q].data, in[q][0].data, n * es);
            a[r][q] = (simdrop_kargs){y[r][q].data, k.in_place ? y[r][q].data : in[q][0].data,
                                      in[q][1].data, in[q][2].data,
                                      k.with_mask ? mask[r][q].data : NULL, NULL, &k.c, k.nt};
        }
    }
    for (int q = 0; q < 2; q++)
        ref->gen[rule][dt](&a[0][q], &st[0][q], k.rounds, k.threshold);
    t->gen2[rule][dt](a[1], st[1], k.rounds, k.threshold);
    char ctx[200];
    snprintf(ctx, sizeof ctx, "gen2[%s][%s] rounds=%zu T=%u nt=%d in_place=%d mask=%d mis_y=%zu",
             rule_names[rule], dt_names[dt], k.rounds, k.threshold, k.nt, k.in_place, k.with_mask, k.mis_y);
    for (int q = 0; q < 2; q++) {
        same_bytes(path, q ? "y of run 1" : "y of run 0", y[0][q].data, y[1][q].data, n * es, ctx);
        if (k.with_mask)
            same_bytes(path, q ? "mask of run 1" : "mask of run 0", mask[0][q].data, mask[1][q].data,
                       4 * k.rounds, ctx);
        same_bytes(path, "lane state", &st[0][q], &st[1][q], sizeof st[0][q], ctx);
        CHECK(guarded_ok(&y[1][q]) && guarded_ok(&mask[1][q]), "path %s: %s wrote outside its buffers", path, ctx);
        for (int r = 0; r < 2; r++)
            guarded_free(&y[r][q]), guarded_free(&mask[r][q]);
        for (int i = 0; i < 3; i++)
            guarded_free(&in[q][i]);
    }
}

/* rows[rule][dt] (runs = 1) or rows2[rule][dt] (runs = 2) of table t against scalar's rows
 * calls (a gen call a row and a skip call a lead and a gap, table.h): random leads, rows, row
 * lengths, gaps and row strides, each run with its own lanes, operands and outputs, the
 * elements between rows left as they were. */
static void check_rows(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t,
                       int rule, int dt, int runs)
{
    const kcase k = random_kcase(dt);
    simdrop_rows g;
    g.lead = test_below(2) ? test_below(8) : 0;
    g.rows = 1 + test_below(small ? 5 : 9);
    g.rounds = 1 + test_below(4);
    g.gap = test_below(4) ? test_below(6) : 0;
    g.ldx = g.rounds * SIMDROP_ROUND + (test_below(2) ? test_below(40) : 0);
    g.ldy = g.rounds * SIMDROP_ROUND + (test_below(2) ? test_below(40) : 0);
    const size_t es = simdrop_dtype_size(dt), row = g.rounds * SIMDROP_ROUND;
    const size_t nx = (g.rows - 1) * g.ldx + row, ny = (g.rows - 1) * g.ldy + row;
    const size_t words = g.rounds * g.rows;
    guarded x[2], b = guarded_new(row * simdrop_bias_size(dt), 0, 0), r[2], y[2][2], mask[2][2];
    fill_values(b.data, bias_dt(dt), row);
    simdrop_lanes st[2][2];
    simdrop_kargs a[2][2];
    for (int u = 0; u < runs; u++) {
        x[u] = guarded_new(nx * es, test_below(16) * es, 0);
        r[u] = guarded_new(ny * es, test_below(16) * es, 0);
        fill_values(x[u].data, dt, nx);
        fill_values(r[u].data, dt, ny);
        for (int w = 0; w < 4; w++)
            for (unsigned l = 0; l < SIMDROP_LANES; l++)
                st[0][u].s[w][l] = (uint32_t)test_rand();
        st[1][u] = st[0][u];
        for (int q = 0; q < 2; q++) { /* q = 0: scalar's, 1: the path's */
            y[q][u] = guarded_new(ny * es, k.mis_y * es, CANARY);
            mask[q][u] = guarded_new(4 * words, k.mis_m, CANARY);
            a[q][u] = (simdrop_kargs){y[q][u].data, x[u].data, b.data, r[u].data,
                                      k.with_mask ? mask[q][u].data : NULL, NULL, &k.c, k.nt};
        }
    }
    for (int u = 0; u < runs; u++)
        ref->rows[rule][dt](&a[0][u], &st[0][u], &g, k.threshold);
    if (runs == 2)
        t->rows2[rule][dt](a[1], st[1], &g, k.threshold);
    else
        t->rows[rule][dt](&a[1][0], &st[1][0], &g, k.threshold);
    char ctx[200];
    snprintf(ctx, sizeof ctx, "%s[%s][%s] lead=%zu rows=%zu rounds=%zu gap=%zu ldx=%zu ldy=%zu T=%u "
             "nt=%d mask=%d mis_y=%zu", runs == 2 ? "rows2" : "rows", rule_names[rule], dt_names[dt],
             g.lead, g.rows, g.rounds, g.gap, g.ldx, g.ldy, k.threshold, k.nt, k.with_mask, k.mis_y);
    for (int u = 0; u < runs; u++) {
        same_bytes(path, u ? "y of run 1" : "y", y[0][u].data, y[1][u].data, ny * es, ctx);
        for (size_t i = 0; i + 1 < g.rows; i++)
            CHECK(bytes_all(y[0][u].data + (i * g.ldy + row) * es, (g.ldy - row) * es, CANARY),
                  "scalar: rows wrote between rows: %s", ctx);
        if (k.with_mask)
            same_bytes(path, u ? "mask of run 1" : "mask", mask[0][u].data, mask[1][u].data, 4 * words, ctx);
        same_bytes(path, "lane state", &st[0][u], &st[1][u], sizeof st[0][u], ctx);
        CHECK(guarded_ok(&y[1][u]) && guarded_ok(&mask[1][u]), "path %s: %s wrote outside its buffers",
              path, ctx);
        for (int q = 0; q < 2; q++)
            guarded_free(&y[q][u]), guarded_free(&mask[q][u]);
        guarded_free(&x[u]), guarded_free(&r[u]);
    }
    guarded_free(&b);
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

/* seed of table t against scalar's, for random and edge (key, block) pairs. */
static void check_seed(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t)
{
    const uint64_t edges[] = {0, 1, UINT64_MAX, UINT64_MAX / SIMDROP_BLOCK};
    const uint64_t key = test_below(4) ? test_rand() : edges[test_below(4)];
    const uint64_t block = test_below(4) ? test_rand() : edges[test_below(4)];
    simdrop_lanes want, got;
    memset(&want, 0xa5, sizeof want);
    memset(&got, 0x5a, sizeof got);
    ref->seed(&want, key, block);
    t->seed(&got, key, block);
    char ctx[80];
    snprintf(ctx, sizeof ctx, "seed key=%#llx block=%#llx", (unsigned long long)key,
             (unsigned long long)block);
    same_bytes(path, "lane state", &want, &got, sizeof want, ctx);
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
            for (int rule = 0; rule < RULE_COUNT; rule++) {
                check_kernel(path, ref, t, 0, rule, dt);
                check_gen2(path, ref, t, rule, dt);
                check_rows(path, ref, t, rule, dt, 1);
                check_rows(path, ref, t, rule, dt, 2);
            }
            for (int rule = 0; rule < SIMDROP_BITS_RULES; rule++)
                check_kernel(path, ref, t, 1, rule, dt);
            check_accumulate(path, ref, t, dt);
        }
        check_kernel(path, ref, t, 2, 0, 0);
        check_kernel(path, ref, t, 3, 0, 0);
        check_seed(path, ref, t);
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

static ecase random_ecase(const entry *e)
{
    ecase c;
    c.s = random_shape(e, small ? 9000 : 140000);
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
    simdrop_set_min_task_bytes(threads > 1 ? 1 : 0);
    eresult r = run_entry(e, c, in);
    simdrop_set_min_task_bytes(0);
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

/* The vector paths' branch-free binary16 rounding (template/vector_rules.h), one lane at a time:
 * the same exact float steps for subnormal halves, so it must round to nearest even in every
 * floating-point environment too. */
static uint16_t f16_branch_free(uint32_t u)
{
    const uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    const uint32_t normal = (a - (0x38000000u - 0xfffu) + ((a >> 13) & 1u)) >> 13;
    const float as = u2f(0x38800000u > a ? a : 0);
    const float t = as + 0x1p-3f;
    const uint32_t rest = f2u(as - (t - 0x1p-3f));
    const uint32_t inexact = ((rest & 0x7fffffffu) + 0x7fffffffu) >> 31;
    const uint32_t q = ((f2u(t) - 0x3e000000u) - ((rest >> 31) & inexact)) | inexact;
    const uint32_t small_ = (q + 1u + ((q >> 2) & 1u)) >> 2;
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

/* The bits a widened half must have: NaNs compared with the quiet bit set (F16C and fcvt quiet a
 * signalling NaN as they widen; MASK_SPEC.md 4.2: that never shows in a result). */
static uint32_t widened_bits(float f)
{
    const uint32_t u = f2u(f);
    return (u & 0x7fffffffu) > 0x7f800000u ? u | 0x00400000u : u;
}

/* Every path's 16-bit conversions, the very ones its kernels use (the tables' narrow and widen
 * entries), against scalar's: all 2^16 halves widened, and a stride of the floats (--exhaustive:
 * all 2^32) rounded, 64K at a time. */
static void check_path_conversions(const char *const *paths, size_t npaths, int exhaustive)
{
    enum { CHUNK = 65536 };
    const simdrop_kernels *ref = simdrop_kernels_by_name("scalar");
    uint32_t *src = malloc(CHUNK * sizeof *src);
    float *want_w = malloc(CHUNK * sizeof *want_w), *got_w = malloc(CHUNK * sizeof *got_w);
    uint16_t *halves = malloc(CHUNK * sizeof *halves), *want_h = malloc(CHUNK * sizeof *want_h),
             *got_h = malloc(CHUNK * sizeof *got_h);
    if (!ref || !src || !want_w || !got_w || !halves || !want_h || !got_h) {
        fprintf(stderr, "checkasm: out of memory for the conversion checks\n");
        exit(2);
    }
    const uint32_t stride = exhaustive ? 1 : small ? 65521 : 4093;
    for (uint32_t h = 0; h < CHUNK; h++)
        halves[h] = (uint16_t)h;
    for (int dt = DT_BF16; dt <= DT_F16; dt++) {
        unsigned long bad_w[MAX_PATHS] = {0}, bad_h[MAX_PATHS] = {0}, checked = 0;
        uint32_t first_bad[MAX_PATHS] = {0};
        ref->widen[dt](want_w, halves, CHUNK);
        for (size_t p = 0; p < npaths; p++) {
            if (!strcmp(paths[p], "scalar"))
                continue;
            simdrop_kernels_by_name(paths[p])->widen[dt](got_w, halves, CHUNK);
            for (uint32_t h = 0; h < CHUNK; h++)
                bad_w[p] += widened_bits(got_w[h]) != widened_bits(want_w[h]);
        }
        for (uint64_t u = test_below(stride); u <= UINT32_MAX;) {
            size_t n = 0;
            for (; n < CHUNK && u <= UINT32_MAX; n++, u += stride)
                src[n] = (uint32_t)u;
            ref->narrow[dt](want_h, (const float *)(const void *)src, n);
            for (size_t p = 0; p < npaths; p++) {
                if (!strcmp(paths[p], "scalar"))
                    continue;
                simdrop_kernels_by_name(paths[p])->narrow[dt](got_h, (const float *)(const void *)src, n);
                for (size_t i = 0; i < n; i++)
                    if (got_h[i] != want_h[i] && !bad_h[p]++)
                        first_bad[p] = src[i];
            }
            checked += n;
        }
        for (size_t p = 0; p < npaths; p++) {
            if (!strcmp(paths[p], "scalar"))
                continue;
            const unsigned long checks0 = test_checks, failures0 = test_failures;
            CHECK(bad_w[p] == 0, "path %s: %lu of 65536 %s halves widen unlike scalar", paths[p],
                  bad_w[p], dt_names[dt]);
            CHECK(bad_h[p] == 0, "path %s: %lu of %lu floats round to %s unlike scalar (the first: %08x)",
                  paths[p], bad_h[p], checked, dt_names[dt], first_bad[p]);
            tally(p, checks0, failures0);
        }
        printf("  convert  %-5s %lu floats (stride %u) and all 65536 halves, every path\n",
               dt_names[dt], checked, stride);
    }
    free(src), free(want_w), free(got_w), free(halves), free(want_h), free(got_h);
}

/* ---- 4. floating-point environments ------------------------------------------------------- */

/* Path t's binary16 narrowing on windows of 2048 consecutive floats F = c + i u (u the unit in
 * the last place of c's binade, i < 2048): the AFFINE rule builds them in exact steps (x = i as
 * a half, A = u, AB = c, every keep bit set; all negated for the negative side), so every
 * environment converts the same floats, and each half must be the reference's integer rounding.
 * Binades 2^-27 .. 2^16: below, across and above the subnormal halves, the normal ones, overflow;
 * of each, its first and last window and two random ones, or with `all`, every window of the
 * binades whose halves are subnormal (the ones the vector paths round with float operations).
 * Returns the floats checked. */
static unsigned long check_f16_windows(const char *path, const simdrop_kernels *t, int all,
                                       const char *env)
{
    enum { WIN = 2048, ROUNDS = WIN / SIMDROP_ROUND, WINDOWS = (1 << 23) / WIN };
    static uint16_t x[WIN], y[WIN];
    static uint8_t bits[4 * ROUNDS];
    memset(bits, 0xff, sizeof bits);
    for (uint32_t i = 0; i < WIN; i++)
        x[i] = simdrop_f32_to_f16((float)i);
    unsigned long checked = 0, bad = 0;
    for (int e = -27; e <= 16; e++) {
        const uint32_t pick1 = (uint32_t)test_below(WINDOWS), pick2 = (uint32_t)test_below(WINDOWS);
        for (uint32_t w = 0; w < WINDOWS; w++) {
            if (!(all && e >= -26 && e <= -15) && w != 0 && w != WINDOWS - 1 && w != pick1 &&
                w != pick2)
                continue;
            for (uint32_t neg = 0; neg < 2; neg++) {
                const uint32_t c = (uint32_t)(e + 127) << 23 | w * WIN, sign = neg << 31;
                simdrop_consts k;
                memset(&k, 0, sizeof k);
                k.mul = u2f(sign | (uint32_t)(e + 104) << 23); /* 2^(e - 23) */
                k.add = u2f(sign | c);
                simdrop_kargs a = {y, x, NULL, NULL, NULL, bits, &k, 0};
                t->bits[RULE_AFFINE][DT_F16](&a, ROUNDS);
                for (uint32_t i = 0; i < WIN; i++) {
                    const uint16_t want = simdrop_f32_to_f16(u2f(sign | (c + i)));
                    if (y[i] != want && bad++ == 0)
                        CHECK(0, "path %s, %s: the float %08x became the half %04x, want %04x",
                              path, env, sign | (c + i), y[i], want);
                }
                checked += WIN;
            }
        }
    }
    CHECK(bad == 0, "path %s, %s: %lu of %lu floats narrowed wrongly to binary16", path, env, bad,
          checked);
    return checked;
}

/* Every half and every bfloat16 through path t's widening, x * 1 and narrowing (the SCALE rule,
 * every keep bit set): a half comes back as itself (a NaN quiet; some NaN where the CPU's
 * operations return a canonical NaN), in any environment; a bfloat16
 * as the scalar table gives it (flush-to-zero flushes its subnormals: they are floats). */
static void check_roundtrips(const char *path, const simdrop_kernels *ref, const simdrop_kernels *t,
                             const char *env)
{
    enum { N = 65536 };
    static uint16_t x[N], y[N], want[N];
    static uint8_t bits[N / 8];
    memset(bits, 0xff, sizeof bits);
    for (uint32_t h = 0; h < N; h++)
        x[h] = (uint16_t)h;
    const simdrop_consts one = simdrop_dropout_consts(0.0);
    simdrop_kargs a = {y, x, NULL, NULL, NULL, bits, &one, 0};
    t->bits[RULE_SCALE][DT_F16](&a, N / SIMDROP_ROUND);
    unsigned long bad = 0;
    for (uint32_t h = 0; h < N; h++) {
        const int nan = (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu);
        bad += nan && !TEST_NAN_PAYLOADS ? !test_is_nan(DT_F16, y, h) /* the CPU's NaN */
                                         : y[h] != (nan ? (h | 0x200u) : h);
    }
    CHECK(bad == 0, "path %s, %s: %lu of 65536 halves do not come back from x * 1", path, env, bad);
    simdrop_kargs w = {want, x, NULL, NULL, NULL, bits, &one, 0};
    ref->bits[RULE_SCALE][DT_BF16](&w, N / SIMDROP_ROUND);
    t->bits[RULE_SCALE][DT_BF16](&a, N / SIMDROP_ROUND);
    same_bytes(path, "bf16 x * 1", want, y, sizeof y, env);
}

/* The reference conversions against the vector algorithm's transcription over a stride of the
 * floats (all of them with `all`), in the environment the caller set. */
static unsigned long check_f16_transcription(uint32_t stride, const char *env)
{
    unsigned long checked = 0, bad = 0;
    for (uint64_t u = test_below(stride); u <= UINT32_MAX; u += stride, checked++)
        bad += f16_branch_free((uint32_t)u) != simdrop_f32_to_f16(u2f((uint32_t)u));
    CHECK(bad == 0, "%s: binary16: %lu of %lu floats differ from the branch-free algorithm", env,
          bad, checked);
    return checked;
}

/* Under each rounding mode, and with flush-to-zero (FTZ + DAZ on x86-64, FZ on AArch64): the
 * binary16 conversions of every path are exact, and every path equals scalar, in its kernels
 * (every rule and dtype: the rules follow the caller's rounding mode, identically everywhere)
 * and in the public entry points, each in half the environments, on 1 to 16 threads (the
 * pool's workers, started in another environment, compute in the caller's). */
static void check_fp_environments(const char *const *paths, size_t npaths, long cases, int all)
{
    const simdrop_kernels *ref = simdrop_kernels_by_name("scalar");
    test_fpenv envs[2 * TEST_NROUNDINGS];
    const size_t nenvs = test_fpenvs(envs, 2 * TEST_NROUNDINGS);
    for (size_t k = 0; k < nenvs; k++) {
        char env[80];
        test_fpenv_name(envs[k], env, sizeof env);
        if (!test_fpenv_enter(envs[k])) {
            test_fpenv_default();
            printf("  fp env   %-34s not available on this target: skipped\n", env);
            continue;
        }
        const unsigned long before = test_checks;
        unsigned long floats = 0;
        for (size_t i = 0; i < npaths; i++) {
            const unsigned long checks0 = test_checks, failures0 = test_failures;
            const simdrop_kernels *t = simdrop_kernels_by_name(paths[i]);
            floats += check_f16_windows(paths[i], t, all, env);
            check_roundtrips(paths[i], ref, t, env);
            if (strcmp(paths[i], "scalar"))
                check_kernels(paths[i], cases / 2);
            tally(i, checks0, failures0);
        }
        for (size_t i = k % 2; i < NENTRIES; i += 2) /* each entry in half the environments */
            check_entry(&entries[i], paths, npaths);
        const unsigned long transcribed = check_f16_transcription(all ? 1 : small ? 65521 : 4093, env);
        const int still = test_ftz() == envs[k].ftz && fegetround() == test_roundings[envs[k].rounding].mode;
        test_fpenv_default();
        CHECK(still, "%s: the library changed the caller's floating-point environment", env);
        printf("  fp env   %-36s %lu checks: %lu floats narrowed on %zu paths, %lu by the "
               "transcription\n", env, test_checks - before, floats, npaths, transcribed);
    }
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
    const size_t bs = simdrop_bias_size(dt);
    char *x = malloc(n * es + 64), *y = malloc(n * es + 64), *b = malloc(n * bs), *r = malloc(n * es);
    uint8_t *mask = malloc(rounds * 4);
    fill_plain(x, dt, n);
    fill_plain(b, bias_dt(dt), n);
    fill_plain(r, dt, n);
    memset(mask, 0x5a, rounds * 4);
    const simdrop_consts c = simdrop_dropout_consts(0.1);
    simdrop_kargs a = {y, x, b, r, mask, mask, &c, 0};
    const size_t half = n / 2 * es; /* gen2: two runs of half the rounds each */
    simdrop_kargs a2[2] = {a, {y + half, x + half, b + n / 2 * bs, r + half, mask + rounds * 2, mask, &c, 0}};
    simdrop_lanes st, st2[2];
    memset(&st, 0x3c, sizeof st);
    memset(st2, 0x3c, sizeof st2);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_seconds();
        for (int it = 0; it < 20; it++) {
            if (kind == 0)
                t->gen[rule][dt](&a, &st, rounds, 6554);
            else if (kind == 3)
                t->gen2[rule][dt](a2, st2, rounds / 2, 6554);
            else if (kind == 1)
                t->bits[rule][dt](&a, rounds);
            else if (kind == 2)
                t->mask(mask, &st, rounds, 6554);
            else
                t->skip(&st, rounds);
        }
        const double dt_ns = (now_seconds() - t0) * 1e9 / (20.0 * (double)n);
        best = dt_ns < best ? dt_ns : best;
    }
    free(x), free(y), free(b), free(r), free(mask);
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
    static const char *const kind_names[] = {"gen_", "bits_", "mask", "gen2_", "skip"};
    for (int kind = 0; kind < 5; kind++) {
        const int one = kind == 2 || kind == 4; /* mask and skip: no rule, no dtype */
        for (int rule = 0; rule < (kind == 1 ? SIMDROP_BITS_RULES : one ? 1 : RULE_COUNT); rule++)
            for (int dt = 0; dt < (one ? 1 : DT_COUNT); dt++) {
                char name[40];
                snprintf(name, sizeof name, "%s%s%s%s", kind_names[kind], one ? "" : rule_names[rule],
                         one ? "" : "_", one ? "" : dt_names[dt]);
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
}

/* ---- main ----------------------------------------------------------------------------------------- */

/* The scalable vectors' length in bits as the OS reports it to this process: SVE's (prctl) on
 * AArch64, RVV's VLEN (the vlenb CSR, readable when the kernel reports V) on RISC-V; 0 without
 * them. qemu-user takes it from its -cpu (tests/run.sh runs several), and the sve and rvv paths
 * must give the same bits at every one; SIMDROP_TEST_VECTOR_BITS=N makes sure the run had N. */
static unsigned vector_bits(void)
{
#if defined(__linux__) && defined(__aarch64__)
    if (getauxval(AT_HWCAP) & (1ul << 22)) /* HWCAP_SVE */
        return 8 * ((unsigned)prctl(51 /* PR_SVE_GET_VL */) & 0xffff /* PR_SVE_VL_LEN_MASK */);
#elif defined(__linux__) && defined(__riscv)
    if (getauxval(AT_HWCAP) & (1ul << ('V' - 'A'))) {
        unsigned long vlenb;
        __asm__ volatile("csrr %0, 0xc22" : "=r"(vlenb)); /* vlenb, by number: no V needed */
        return 8 * (unsigned)vlenb;
    }
#endif
    return 0;
}

/* The path each call size runs on (dispatch.c's SMALL_CALL): a forced path runs every call;
 * auto runs calls of 2^14 elements and more on simdrop_isa()'s path, and smaller ones too,
 * except on an Intel CPU whose auto path is a 512-bit one: those on the best native path
 * without AVX-512 (the first supported one of the list that is neither avx512* nor emulated). */
static void check_small_calls(void)
{
    static const size_t sizes[] = {0, 1, 200, ((size_t)1 << 14) - 1, (size_t)1 << 14, SIZE_MAX};
    const char *const *names = simdrop_isa_list();
    int status;
    for (size_t i = 0; names[i]; i++) {
        if (simdrop_isa_supported(names[i]) != 1)
            continue;
        CHECK(simdrop_set_isa(names[i]) == SIMDROP_OK, "force %s", names[i]);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const simdrop_kernels *k = simdrop_active_kernels(sizes[s], &status);
            CHECK(status == SIMDROP_OK && k && !strcmp(k->name, names[i]),
                  "forced %s: a call of %zu elements runs on %s", names[i], sizes[s], k ? k->name : "none");
        }
    }
    CHECK(simdrop_set_isa("auto") == SIMDROP_OK, "auto");
    const char *best = simdrop_isa(), *narrow = best;
    if (simdrop_cpu_is_intel() && !strncmp(best, "avx512", 6))
        for (size_t i = 0; names[i]; i++)
            if (strncmp(names[i], "avx512", 6) && !strstr(names[i], "-simde") &&
                simdrop_isa_supported(names[i]) == 1) {
                narrow = names[i];
                break;
            }
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const char *want = sizes[s] < ((size_t)1 << 14) ? narrow : best;
        const simdrop_kernels *k = simdrop_active_kernels(sizes[s], &status);
        CHECK(status == SIMDROP_OK && k && !strcmp(k->name, want),
              "auto: a call of %zu elements runs on %s, not %s", sizes[s], k ? k->name : "none", want);
    }
    printf("  dispatch small calls on %s, the rest on %s\n", narrow, best);
}

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
    const unsigned vbits = vector_bits();
    if (vbits)
        printf("checkasm: scalable vectors of %u bits\n", vbits);
    if (getenv("SIMDROP_TEST_VECTOR_BITS"))
        CHECK(vbits == strtoul(getenv("SIMDROP_TEST_VECTOR_BITS"), NULL, 10),
              "vector length %u bits, SIMDROP_TEST_VECTOR_BITS=%s", vbits,
              getenv("SIMDROP_TEST_VECTOR_BITS"));

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
    if (!only || !strcmp(only, "conversions")) {
        check_conversions(has_flag(argc, argv, "--exhaustive"));
        check_path_conversions(paths, npaths, has_flag(argc, argv, "--exhaustive"));
    }
    if (!only) {
        check_fp_environments(paths, npaths, cases, has_flag(argc, argv, "--exhaustive"));
        check_small_calls();
    }
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
