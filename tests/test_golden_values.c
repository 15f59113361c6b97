/* test_golden_values.c: every path reproduces tests/golden_values_v1.txt, the output values of
 * docs/MASK_SPEC.md section 4 computed by the independent docs/mask_spec_v1.py --golden-values:
 * element, group and alpha dropout and the fused bias + dropout + residual op, forward, backward
 * with the stored mask and backward_regen, in f32, f64, bf16 and f16, through the public API. */
#include "common.h"

/* ---- One calling convention per family, wrapping the public functions of each dtype ---------
 * Element dropout takes (groups = n, group_len = 1). */
typedef int (*fwd_fn)(void *y, uint8_t *mask, const void *x, size_t groups, size_t group_len,
                      double p, uint64_t seed, uint64_t offset);
typedef int (*bwd_fn)(void *dx, const void *dy, const uint8_t *mask, size_t groups,
                      size_t group_len, double p);
typedef int (*regen_fn)(void *dx, const void *dy, size_t groups, size_t group_len, double p,
                        uint64_t seed, uint64_t offset);
typedef int (*bda_fwd_fn)(void *out, uint8_t *mask, const void *x, const void *bias,
                          const void *residual, size_t rows, size_t cols, double p, uint64_t seed,
                          uint64_t offset);
typedef int (*bda_bwd_fn)(void *dx, void *dbias, const void *dout, const uint8_t *mask,
                          size_t rows, size_t cols, double p);
typedef int (*bda_regen_fn)(void *dx, void *dbias, const void *dout, size_t rows, size_t cols,
                            double p, uint64_t seed, uint64_t offset);

typedef struct dtype_ops {
    const char *name;
    unsigned es, dbias_es; /* element and bias-gradient sizes in bytes */
    fwd_fn fwd[3];         /* dropout, groups, alpha */
    bwd_fn bwd[3];
    regen_fn regen[3];
    bda_fwd_fn bda_fwd;
    bda_bwd_fn bda_bwd;
    bda_regen_fn bda_regen;
} dtype_ops;

#define DTYPE_WRAPPERS(S, T, DB)                                                                   \
    static int drop_fwd_##S(void *y, uint8_t *m, const void *x, size_t g, size_t gl, double p,     \
                            uint64_t seed, uint64_t off)                                           \
    {                                                                                              \
        return gl != 1 ? -100 : simdrop_forward_##S((T *)y, m, (const T *)x, g, p, seed, off);     \
    }                                                                                              \
    static int drop_bwd_##S(void *dx, const void *dy, const uint8_t *m, size_t g, size_t gl,       \
                            double p)                                                              \
    {                                                                                              \
        return gl != 1 ? -100 : simdrop_backward_##S((T *)dx, (const T *)dy, m, g, p);            \
    }                                                                                              \
    static int drop_regen_##S(void *dx, const void *dy, size_t g, size_t gl, double p,            \
                              uint64_t seed, uint64_t off)                                         \
    {                                                                                              \
        return gl != 1 ? -100                                                                      \
                       : simdrop_backward_regen_##S((T *)dx, (const T *)dy, g, p, seed, off);      \
    }                                                                                              \
    static int grp_fwd_##S(void *y, uint8_t *m, const void *x, size_t g, size_t gl, double p,      \
                           uint64_t seed, uint64_t off)                                            \
    {                                                                                              \
        return simdrop_forward_groups_##S((T *)y, m, (const T *)x, g, gl, p, seed, off);          \
    }                                                                                              \
    static int grp_bwd_##S(void *dx, const void *dy, const uint8_t *m, size_t g, size_t gl,        \
                           double p)                                                               \
    {                                                                                              \
        return simdrop_backward_groups_##S((T *)dx, (const T *)dy, m, g, gl, p);                  \
    }                                                                                              \
    static int grp_regen_##S(void *dx, const void *dy, size_t g, size_t gl, double p,             \
                             uint64_t seed, uint64_t off)                                          \
    {                                                                                              \
        return simdrop_backward_groups_regen_##S((T *)dx, (const T *)dy, g, gl, p, seed, off);    \
    }                                                                                              \
    static int alpha_fwd_##S(void *y, uint8_t *m, const void *x, size_t g, size_t gl, double p,    \
                             uint64_t seed, uint64_t off)                                          \
    {                                                                                              \
        return simdrop_alpha_forward_##S((T *)y, m, (const T *)x, g, gl, p, seed, off);           \
    }                                                                                              \
    static int alpha_bwd_##S(void *dx, const void *dy, const uint8_t *m, size_t g, size_t gl,      \
                             double p)                                                             \
    {                                                                                              \
        return simdrop_alpha_backward_##S((T *)dx, (const T *)dy, m, g, gl, p);                   \
    }                                                                                              \
    static int alpha_regen_##S(void *dx, const void *dy, size_t g, size_t gl, double p,           \
                               uint64_t seed, uint64_t off)                                        \
    {                                                                                              \
        return simdrop_alpha_backward_regen_##S((T *)dx, (const T *)dy, g, gl, p, seed, off);     \
    }                                                                                              \
    static int bda_fwd_##S(void *out, uint8_t *m, const void *x, const void *b, const void *r,     \
                           size_t rows, size_t cols, double p, uint64_t seed, uint64_t off)        \
    {                                                                                              \
        return simdrop_bias_dropout_add_##S((T *)out, m, (const T *)x, (const T *)b,              \
                                            (const T *)r, rows, cols, p, seed, off);               \
    }                                                                                              \
    static int bda_bwd_##S(void *dx, void *db, const void *dout, const uint8_t *m, size_t rows,    \
                           size_t cols, double p)                                                  \
    {                                                                                              \
        return simdrop_bias_dropout_add_backward_##S((T *)dx, (DB *)db, (const T *)dout, m, rows,  \
                                                     cols, p);                                     \
    }                                                                                              \
    static int bda_regen_##S(void *dx, void *db, const void *dout, size_t rows, size_t cols,       \
                             double p, uint64_t seed, uint64_t off)                                \
    {                                                                                              \
        return simdrop_bias_dropout_add_backward_regen_##S((T *)dx, (DB *)db, (const T *)dout,    \
                                                           rows, cols, p, seed, off);              \
    }

DTYPE_WRAPPERS(f32, float, float)
DTYPE_WRAPPERS(f64, double, double)
DTYPE_WRAPPERS(bf16, uint16_t, float)
DTYPE_WRAPPERS(f16, uint16_t, float)

#define DTYPE_OPS(S, ES, DBES)                                                                     \
    {#S, ES, DBES, {drop_fwd_##S, grp_fwd_##S, alpha_fwd_##S},                                     \
     {drop_bwd_##S, grp_bwd_##S, alpha_bwd_##S}, {drop_regen_##S, grp_regen_##S, alpha_regen_##S}, \
     bda_fwd_##S, bda_bwd_##S, bda_regen_##S}

static const dtype_ops dtypes[] = {DTYPE_OPS(f32, 4, 4), DTYPE_OPS(f64, 8, 8),
                                   DTYPE_OPS(bf16, 2, 4), DTYPE_OPS(f16, 2, 4)};
static const char *const families[] = {"dropout", "groups", "alpha", "bias_dropout_add"};

/* ---- Expected arrays ----------------------------------------------------------------------- */

/* Values of one array from the file: the bit patterns and, per element, whether the file wrote
 * '?' for its first hex digit (a NaN whose sign is the CPU family's, see same_bits). */
typedef struct expected {
    size_t n;
    uint64_t *bits;
    uint8_t *loose;
} expected;

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses `count` elements of `es` bytes; '-' is the empty array. 0 on a malformed field. */
static int parse_array(const char *hex, size_t count, unsigned es, expected *out)
{
    out->n = count;
    out->bits = calloc(count + 1, sizeof(uint64_t));
    out->loose = calloc(count + 1, 1);
    if (!hex)
        return 0;
    if (count == 0)
        return !strcmp(hex, "-");
    if (strlen(hex) != count * 2 * es)
        return 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = 0;
        for (unsigned d = 0; d < 2 * es; d++) {
            const char c = hex[i * 2 * es + d];
            int h = hex_digit(c);
            if (d == 0 && c == '?') {
                out->loose[i] = 1;
                h = 7; /* the file writes the AArch64 (positive) pattern's other digits */
            }
            if (h < 0)
                return 0;
            v = v << 4 | (uint64_t)h;
        }
        out->bits[i] = v;
    }
    return 1;
}

static void free_array(expected *e)
{
    free(e->bits), free(e->loose);
    e->bits = NULL, e->loose = NULL;
}

static uint64_t load_bits(const void *buf, size_t i, unsigned es)
{
    const unsigned char *b = (const unsigned char *)buf + i * es;
    if (es == 2) {
        uint16_t v;
        memcpy(&v, b, 2);
        return v;
    }
    if (es == 4) {
        uint32_t v;
        memcpy(&v, b, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, b, 8);
    return v;
}

static void store_bits(void *buf, size_t i, unsigned es, uint64_t v)
{
    unsigned char *b = (unsigned char *)buf + i * es;
    if (es == 2) {
        const uint16_t w = (uint16_t)v;
        memcpy(b, &w, 2);
    } else if (es == 4) {
        const uint32_t w = (uint32_t)v;
        memcpy(b, &w, 4);
    } else {
        memcpy(b, &v, 8);
    }
}

static unsigned case_no;
static const char *case_family, *case_dtype, *case_path;

static int is_nan_bits(uint64_t v, unsigned es)
{
    if (es == 8)
        return (v & 0x7fffffffffffffffu) > 0x7ff0000000000000u;
    if (es == 4)
        return (v & 0x7fffffffu) > 0x7f800000u;
    return (v & 0x7fffu) > (strcmp(case_dtype, "bf16") == 0 ? 0x7f80u : 0x7c00u);
}

/* Bitwise equality, with one exception that the specification makes: section 4.1 says the NaN
 * produced by Inf * 0 is the negative default NaN on x86 and the positive one on AArch64 (and
 * everything derived from it without a canonicalising addition: alpha's dropped infinity, the
 * 16-bit rounding of it). The file marks exactly those elements with '?'; they must have the
 * sign of this CPU family, and on any other family either sign. Every other output bit,
 * NaN payloads and signs included, is pinned by the document and compared exactly, except on
 * RISC-V (TEST_NAN_PAYLOADS 0), where the specification pins only that a NaN is a NaN. */
static int same_bits(uint64_t got, uint64_t want, int loose, unsigned es)
{
    const uint64_t negative = want | (uint64_t)1 << (8 * es - 1);
    if (!TEST_NAN_PAYLOADS && is_nan_bits(want, es)) /* RISC-V: a NaN of the CPU's choosing */
        return is_nan_bits(got, es);
    if (!loose)
        return got == want;
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
    return got == negative;
#elif defined(__aarch64__) || defined(_M_ARM64)
    (void)negative;
    return got == want;
#else
    return got == want || got == negative;
#endif
}

/* Compares an output buffer with the expected array; reports the first difference. */
static void check_array(const char *what, const void *got, const expected *want, unsigned es)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < want->n; i++)
        if (!same_bits(load_bits(got, i, es), want->bits[i], want->loose[i], es) && !bad++)
            first = i;
    CHECK(bad == 0,
          "line %u %s %s, path %s, %s: %zu of %zu elements differ; first [%zu] got %0*" PRIx64
          " want %s%0*" PRIx64,
          case_no, case_family, case_dtype, case_path, what, bad, want->n, first, (int)(2 * es),
          bad ? load_bits(got, first, es) : 0, bad && want->loose[first] ? "(sign free) " : "",
          (int)(2 * es), bad ? want->bits[first] : 0);
}

static void check_mask(const char *what, const uint8_t *got, const uint8_t *want, size_t bytes)
{
    CHECK(!memcmp(got, want, bytes), "line %u %s %s, path %s, %s: mask differs", case_no,
          case_family, case_dtype, case_path, what);
}

/* ---- One line of the file ------------------------------------------------------------------ */

#define MAX_FIELDS 24
typedef struct fields {
    const char *key[MAX_FIELDS], *val[MAX_FIELDS];
    int count;
} fields;

static const char *field(const fields *f, const char *key)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->key[i], key))
            return f->val[i];
    return NULL;
}

static int field_u64(const fields *f, const char *key, int base, uint64_t *out)
{
    const char *v = field(f, key);
    char *end;
    if (!v || !*v)
        return 0;
    *out = strtoull(v, &end, base);
    return *end == 0;
}

static int parse_mask(const char *hex, size_t bytes, uint8_t *out)
{
    if (!hex)
        return 0;
    if (bytes == 0)
        return !strcmp(hex, "-");
    if (strlen(hex) != 2 * bytes)
        return 0;
    for (size_t i = 0; i < bytes; i++) {
        const int h = hex_digit(hex[2 * i]), l = hex_digit(hex[2 * i + 1]);
        if (h < 0 || l < 0)
            return 0;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return 1;
}

/* A guarded output buffer of n elements at a misalignment that keeps natural alignment. */
static guarded out_buffer(size_t n, unsigned es, unsigned salt)
{
    return guarded_new(n * es + 1, (salt * es) % 64, 0xa5);
}

static void check_guards(const char *what, guarded *g)
{
    CHECK(guarded_ok(g), "line %u %s %s, path %s, %s: wrote outside its buffer", case_no,
          case_family, case_dtype, case_path, what);
}

/* Dropout, group and alpha dropout: forward (with and without mask, in place), backward with
 * the golden mask (also in place) and backward_regen, with dy = x. */
static void run_group_family(int fam, const dtype_ops *d, size_t groups, size_t group_len,
                             double p, uint64_t seed, uint64_t offset, const void *x,
                             const expected *y, const uint8_t *mask, const expected *dx,
                             const uint8_t *mask_inv, const expected *dx_inv, unsigned salt)
{
    const unsigned es = d->es;
    const size_t n = groups * group_len, mbytes = mask_len(groups);
    guarded out = out_buffer(n, es, salt), m = guarded_new(mbytes + 1, salt % 7, 0x5a);

    CHECK(d->fwd[fam](out.data, m.data, x, groups, group_len, p, seed, offset) == SIMDROP_OK,
          "line %u: forward status", case_no);
    check_array("forward y", out.data, y, es);
    check_mask("forward mask", m.data, mask, mbytes);
    check_guards("forward y", &out);
    check_guards("forward mask", &m);

    memcpy(out.data, x, n * es);
    CHECK(d->fwd[fam](out.data, NULL, out.data, groups, group_len, p, seed, offset) == SIMDROP_OK,
          "line %u: forward in place status", case_no);
    check_array("forward in place (y == x, no mask)", out.data, y, es);

    memset(out.data, 0xa5, n * es);
    CHECK(d->bwd[fam](out.data, x, mask, groups, group_len, p) == SIMDROP_OK,
          "line %u: backward status", case_no);
    check_array("backward dx (dy = x, golden mask)", out.data, dx, es);
    check_guards("backward dx", &out);

    memcpy(out.data, x, n * es);
    CHECK(d->bwd[fam](out.data, out.data, mask, groups, group_len, p) == SIMDROP_OK,
          "line %u: backward in place status", case_no);
    check_array("backward in place (dx == dy)", out.data, dx, es);

    memset(out.data, 0xa5, n * es);
    CHECK(d->bwd[fam](out.data, x, mask_inv, groups, group_len, p) == SIMDROP_OK,
          "line %u: backward (complemented mask) status", case_no);
    check_array("backward dx_inv (complemented mask)", out.data, dx_inv, es);

    memset(out.data, 0xa5, n * es);
    CHECK(d->regen[fam](out.data, x, groups, group_len, p, seed, offset) == SIMDROP_OK,
          "line %u: backward_regen status", case_no);
    check_array("backward_regen dx (dy = x)", out.data, dx, es);
    check_guards("backward_regen dx", &out);
    guarded_free(&out), guarded_free(&m);
}

/* The fused op: forward out of place, out == x, out == residual; backward with and without
 * dbias, in place; backward_regen. */
static void run_bda(const dtype_ops *d, size_t rows, size_t cols, double p, uint64_t seed,
                    uint64_t offset, const void *x, const void *bias, const void *residual,
                    const void *dout, const expected *y, const uint8_t *mask, const expected *dx,
                    const expected *dbias, const uint8_t *mask_inv, const expected *dx_inv,
                    const expected *dbias_inv, unsigned salt)
{
    const unsigned es = d->es;
    const size_t n = rows * cols, mbytes = mask_len(n);
    guarded out = out_buffer(n, es, salt), m = guarded_new(mbytes + 1, salt % 7, 0x5a);
    guarded db = out_buffer(cols, d->dbias_es, salt + 3);

    CHECK(d->bda_fwd(out.data, m.data, x, bias, residual, rows, cols, p, seed, offset) ==
              SIMDROP_OK,
          "line %u: forward status", case_no);
    check_array("forward out", out.data, y, es);
    check_mask("forward mask", m.data, mask, mbytes);
    check_guards("forward out", &out);
    check_guards("forward mask", &m);

    memcpy(out.data, x, n * es);
    CHECK(d->bda_fwd(out.data, NULL, out.data, bias, residual, rows, cols, p, seed, offset) ==
              SIMDROP_OK,
          "line %u: forward out == x status", case_no);
    check_array("forward in place (out == x, no mask)", out.data, y, es);
    if (residual) {
        memcpy(out.data, residual, n * es);
        CHECK(d->bda_fwd(out.data, NULL, x, bias, out.data, rows, cols, p, seed, offset) ==
                  SIMDROP_OK,
              "line %u: forward out == residual status", case_no);
        check_array("forward in place (out == residual)", out.data, y, es);
    }

    memset(out.data, 0xa5, n * es);
    memset(db.data, 0xa5, cols * d->dbias_es);
    CHECK(d->bda_bwd(out.data, db.data, dout, mask, rows, cols, p) == SIMDROP_OK,
          "line %u: backward status", case_no);
    check_array("backward dx (golden mask)", out.data, dx, es);
    check_array("backward dbias", db.data, dbias, d->dbias_es);
    check_guards("backward dx", &out);
    check_guards("backward dbias", &db);

    memcpy(out.data, dout, n * es);
    CHECK(d->bda_bwd(out.data, NULL, out.data, mask, rows, cols, p) == SIMDROP_OK,
          "line %u: backward in place, no dbias status", case_no);
    check_array("backward in place (dx == dout, dbias NULL)", out.data, dx, es);

    memset(db.data, 0xa5, cols * d->dbias_es);
    CHECK(d->bda_bwd(out.data, db.data, dout, mask_inv, rows, cols, p) == SIMDROP_OK,
          "line %u: backward (complemented mask) status", case_no);
    check_array("backward dx_inv (complemented mask)", out.data, dx_inv, es);
    check_array("backward dbias_inv (complemented mask)", db.data, dbias_inv, d->dbias_es);

    memset(out.data, 0xa5, n * es);
    memset(db.data, 0xa5, cols * d->dbias_es);
    CHECK(d->bda_regen(out.data, db.data, dout, rows, cols, p, seed, offset) == SIMDROP_OK,
          "line %u: backward_regen status", case_no);
    check_array("backward_regen dx", out.data, dx, es);
    check_array("backward_regen dbias", db.data, dbias, d->dbias_es);
    check_guards("backward_regen dx", &out);
    check_guards("backward_regen dbias", &db);
    guarded_free(&out), guarded_free(&m), guarded_free(&db);
}

/* A whole input array in memory (bit patterns as the file gives them). */
static void *input_array(const expected *e, unsigned es)
{
    void *buf = malloc(e->n * es + 8);
    for (size_t i = 0; i < e->n; i++)
        store_bits(buf, i, es, e->bits[i]);
    return buf;
}

static unsigned seen[4][4];

/* The next space-separated token of *s (NUL-terminated in place), or NULL at the end. */
static char *next_token(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\n' || *p == '\r')
        p++;
    if (!*p)
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\n' && *p != '\r')
        p++;
    if (*p)
        *p++ = 0;
    *s = p;
    return start;
}

static void run_line(char *line, const char *const *paths, size_t npaths)
{
    fields f = {{0}, {0}, 0};
    char *rest = line;
    const char *family = next_token(&rest), *dtype = next_token(&rest);
    for (char *tok; f.count < MAX_FIELDS && (tok = next_token(&rest)); f.count++) {
        char *eq = strchr(tok, '=');
        CHECK(eq != NULL, "line %u: field without '='", case_no);
        if (!eq)
            return;
        *eq = 0;
        f.key[f.count] = tok, f.val[f.count] = eq + 1;
    }
    int fam = -1;
    const dtype_ops *d = NULL;
    for (int i = 0; i < 4; i++)
        if (family && !strcmp(family, families[i]))
            fam = i;
    for (int i = 0; i < 4; i++)
        if (dtype && !strcmp(dtype, dtypes[i].name))
            d = &dtypes[i];
    CHECK(fam >= 0 && d, "line %u: unknown family or dtype", case_no);
    if (fam < 0 || !d)
        return;
    seen[fam][d - dtypes]++;
    case_family = family, case_dtype = dtype;

    uint64_t seed, offset, a = 0, b = 1;
    const char *pstr = field(&f, "p");
    char *pend = NULL;
    const double p = pstr ? strtod(pstr, &pend) : 0.0;
    int ok = pstr && *pend == 0 && field_u64(&f, "seed", 16, &seed) &&
             field_u64(&f, "offset", 10, &offset);
    if (fam == 0)
        ok = ok && field_u64(&f, "n", 10, &a);
    else if (fam < 3)
        ok = ok && field_u64(&f, "groups", 10, &a) && field_u64(&f, "group_len", 10, &b);
    else
        ok = ok && field_u64(&f, "rows", 10, &a) && field_u64(&f, "cols", 10, &b);
    CHECK(ok, "line %u: bad p, seed, offset or shape", case_no);
    if (!ok)
        return;

    const unsigned es = d->es;
    const size_t n = (size_t)(a * b), mask_bits = fam == 3 ? n : (size_t)a;
    expected x, y, dx, bias = {0, NULL, NULL}, res = {0, NULL, NULL}, dbias = {0, NULL, NULL};
    expected dout = {0, NULL, NULL}, dx_inv, dbias_inv = {0, NULL, NULL};
    uint8_t *mask = calloc(mask_len(mask_bits) + 1, 1), *mask_inv = calloc(mask_len(mask_bits) + 1, 1);
    ok = parse_array(field(&f, "x"), n, es, &x) & parse_array(field(&f, "y"), n, es, &y) &
         parse_mask(field(&f, "mask"), mask_len(mask_bits), mask);
    /* dropout and groups: backward with dy = x gives dx = y (4.6: the same product). */
    ok &= fam < 2 ? parse_array(field(&f, "y"), n, es, &dx)
                  : parse_array(field(&f, "dx"), n, es, &dx);
    ok &= parse_array(field(&f, "dx_inv"), n, es, &dx_inv);
    /* The complement of the golden mask, bits past the last element (group) still 0. */
    for (size_t k = 0; k < mask_bits; k++)
        mask_inv[k / 8] |= (uint8_t)((~mask[k / 8] >> (k % 8) & 1) << (k % 8));
    const char *bias_s = field(&f, "bias"), *res_s = field(&f, "residual");
    if (fam == 3) {
        ok &= bias_s && res_s;
        if (bias_s && strcmp(bias_s, "null"))
            ok &= parse_array(bias_s, (size_t)b, es, &bias);
        if (res_s && strcmp(res_s, "null"))
            ok &= parse_array(res_s, n, es, &res);
        ok &= parse_array(field(&f, "dout"), n, es, &dout);
        ok &= parse_array(field(&f, "dbias"), (size_t)b, d->dbias_es, &dbias);
        ok &= parse_array(field(&f, "dbias_inv"), (size_t)b, d->dbias_es, &dbias_inv);
    }
    CHECK(ok, "line %u: malformed array or mask field", case_no);
    for (size_t i = 0; ok && i < n; i++)
        ok &= !x.loose[i] && (!bias.loose || i >= bias.n || !bias.loose[i]) &&
              (!res.loose || !res.loose[i]) && (!dout.loose || !dout.loose[i]);
    CHECK(ok, "line %u: '?' in an input", case_no);

    void *xin = input_array(&x, es), *xcopy = input_array(&x, es);
    void *bin = bias.bits ? input_array(&bias, es) : NULL;
    void *rin = res.bits ? input_array(&res, es) : NULL, *rcopy = rin ? input_array(&res, es) : NULL;
    void *din = dout.bits ? input_array(&dout, es) : NULL, *dcopy = din ? input_array(&dout, es) : NULL;
    for (size_t pi = 0; ok && pi < npaths; pi++) {
        case_path = paths[pi];
        CHECK(simdrop_set_isa(paths[pi]) == SIMDROP_OK, "force path %s", paths[pi]);
        const unsigned salt = case_no * 7 + (unsigned)pi;
        if (fam < 3)
            run_group_family(fam, d, (size_t)a, (size_t)b, p, seed, offset, xin, &y, mask, &dx,
                             mask_inv, &dx_inv, salt);
        else
            run_bda(d, (size_t)a, (size_t)b, p, seed, offset, xin, bin, rin, din, &y, mask, &dx,
                    &dbias, mask_inv, &dx_inv, &dbias_inv, salt);
        CHECK(!memcmp(xin, xcopy, n * es) && (!rin || !memcmp(rin, rcopy, n * es)) &&
                  (!din || !memcmp(din, dcopy, n * es)),
              "line %u, path %s: an input was modified", case_no, paths[pi]);
    }
    free(xin), free(xcopy), free(bin), free(rin), free(rcopy), free(din), free(dcopy), free(mask);
    free(mask_inv), free_array(&dx_inv), free_array(&dbias_inv);
    free_array(&x), free_array(&y), free_array(&dx), free_array(&bias), free_array(&res);
    free_array(&dbias), free_array(&dout);
}

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : "tests/golden_values_v1.txt";
    FILE *fp = fopen(file, "r");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", file);
        return 2;
    }
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
    static char line[1 << 20];
    unsigned lines = 0, cases = 0;
    while (fgets(line, sizeof line, fp)) {
        lines++;
        const size_t len = strlen(line);
        CHECK(len + 1 < sizeof line || line[len - 1] == '\n', "line %u is too long", lines);
        if (line[0] == '#' || line[0] == '\n')
            continue;
        case_no = lines;
        cases++;
        run_line(line, paths, npaths);
    }
    fclose(fp);
    CHECK(simdrop_set_isa("auto") == SIMDROP_OK, "back to auto");
    for (int fam = 0; fam < 4; fam++)
        for (int dt = 0; dt < 4; dt++)
            CHECK(seen[fam][dt] >= 5, "only %u cases of %s %s", seen[fam][dt], families[fam],
                  dtypes[dt].name);
    printf("golden_values: %u cases x %zu paths\n", cases, npaths);
    return test_finish("golden_values");
}
