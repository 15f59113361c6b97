/* kat_main.h: the known-answer driver every executor's program includes: each call of each record, on each variant, compared bit for bit. */
#ifndef SIMDROP_KAT_MAIN_H
#define SIMDROP_KAT_MAIN_H

/* An executor's program is its kat_backend and
 *     int main(int argc, char **argv) { return kat_main(argc, argv, &my_backend); }
 * run as `kat_<env> FILE...` with tests/golden_v1.txt and/or tests/golden_values_v1.txt. For
 * every record the driver makes the calls kat_calls() lists on every variant of the backend,
 * each into fresh guarded host buffers (misaligned by a per-record, per-variant salt, the output
 * pre-filled with the input it aliases), and checks the status, every output bit (a '?' NaN
 * with the backend's sign), the guards, and that no input changed. It also checks that each file
 * covers what it must: 20 mask records, or 5 records of every family and dtype. */

#include "common.h"
#include "kat.h"

static const kat_backend *kat_be;
static const char *kat_path = "?", *kat_variant = "?";

static uint64_t kat_load(const void *buf, size_t i, unsigned es)
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

/* Whether bits v of an element of es bytes (dbias of a 16-bit dtype: float) are a NaN. */
static int kat_is_nan(uint64_t v, unsigned es, int dtype)
{
    if (es == 8)
        return (v & 0x7fffffffffffffffu) > 0x7ff0000000000000u;
    if (es == 4)
        return (v & 0x7fffffffu) > 0x7f800000u;
    return (v & 0x7fffu) > (dtype == KAT_BF16 ? 0x7f80u : 0x7c00u);
}

/* Bitwise equality, except where the file wrote '?': the NaN of Inf * 0, whose sign is the
 * machine's (MASK_SPEC.md section 4.1; the file writes AArch64's positive pattern); and on a
 * backend of KAT_NAN_CANONICAL, where the specification pins only that a NaN is a NaN. */
static int kat_same_bits(uint64_t got, uint64_t want, int loose, unsigned es, int dtype)
{
    const uint64_t negative = want | (uint64_t)1 << (8 * es - 1);
    if (kat_be->nan_sign == KAT_NAN_CANONICAL && kat_is_nan(want, es, dtype))
        return kat_is_nan(got, es, dtype);
    if (!loose)
        return got == want;
    switch (kat_be->nan_sign) {
    case KAT_NAN_NEGATIVE: return got == negative;
    case KAT_NAN_POSITIVE: return got == want;
    default: /* KAT_NAN_ANY */ return got == want || got == negative;
    }
}

static void kat_check_array(const kat_record *r, const kat_call *c, const char *what,
                            const void *got, const kat_array *want)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < want->n; i++)
        if (!kat_same_bits(kat_load(got, i, want->es), want->bits[i], want->loose[i], want->es,
                           r->dtype) &&
            !bad++)
            first = i;
    CHECK(bad == 0,
          "%s line %u %s %s, %s %s, %s (%s): %zu of %zu elements differ; first [%zu] got %0*" PRIx64
          " want %s%0*" PRIx64,
          kat_path, r->line, kat_family_names[r->family], kat_dtype_names[r->dtype], kat_be->name,
          kat_variant, c->what, what, bad, want->n, first, (int)(2 * want->es),
          bad ? kat_load(got, first, want->es) : 0,
          bad && want->loose[first] ? "(sign free) " : "", (int)(2 * want->es),
          bad ? want->bits[first] : 0);
}

/* One call into fresh guarded buffers, its outputs against the record's answers. */
static void kat_run_call(const kat_record *r, const kat_call *c, unsigned salt)
{
    const unsigned es = kat_dtype_size(c->dtype), dbes = kat_dbias_size(c->dtype);
    const size_t n = kat_elements(c), mbytes = kat_mask_bytes(c);
    guarded y = guarded_new(n * es, (salt * es) % 64, 0xa5);
    guarded m = guarded_new(mbytes, salt % 7, 0x5a);
    guarded db = guarded_new(kat_dbias_len(c) * dbes, ((salt + 3) * dbes) % 64, 0xa5);
    if (c->alias != KAT_APART)
        memcpy(y.data, c->alias == KAT_OUT_IS_X ? c->x : c->residual, n * es);
    kat_outputs out;
    out.y = c->op == KAT_MASK_ONLY ? NULL : y.data;
    out.mask = c->write_mask || c->op == KAT_MASK_ONLY ? m.data : NULL;
    out.dbias = c->write_dbias ? db.data : NULL;
    const int status = kat_be->run(c, &out);
    CHECK(status == 0, "%s line %u, %s %s, %s: status %d", kat_path, r->line, kat_be->name,
          kat_variant, c->what, status);
    if (status == 0) {
        if (c->want_y)
            kat_check_array(r, c, "y", y.data, c->want_y);
        if (c->want_mask)
            CHECK(!memcmp(m.data, c->want_mask, mbytes), "%s line %u, %s %s, %s: mask differs",
                  kat_path, r->line, kat_be->name, kat_variant, c->what);
        if (c->want_dbias)
            kat_check_array(r, c, "dbias", db.data, c->want_dbias);
    }
    CHECK(guarded_ok(&y) && guarded_ok(&m) && guarded_ok(&db), "%s line %u, %s %s, %s: wrote "
          "outside its buffers", kat_path, r->line, kat_be->name, kat_variant, c->what);
    guarded_free(&y), guarded_free(&m), guarded_free(&db);
}

/* The record's inputs, to see that no call changed them. */
typedef struct kat_inputs {
    const void *at[5];
    void *copy[5];
    size_t bytes[5];
} kat_inputs;

static kat_inputs kat_snapshot(const kat_record *r)
{
    const size_t es = kat_dtype_size(r->dtype);
    kat_inputs s;
    const void *at[5] = {r->x, r->bias, r->residual, r->dout, r->mask};
    const size_t bytes[5] = {r->n * es, r->b * es, r->n * es, r->n * es, r->mask_bytes};
    for (int i = 0; i < 5; i++) {
        s.at[i] = at[i];
        s.bytes[i] = at[i] ? bytes[i] : 0;
        s.copy[i] = malloc(s.bytes[i] + 1);
        if (at[i])
            memcpy(s.copy[i], at[i], s.bytes[i]);
    }
    return s;
}

static int kat_unchanged(const kat_inputs *s)
{
    int same = 1;
    for (int i = 0; i < 5; i++)
        same &= !s->at[i] || !memcmp(s->at[i], s->copy[i], s->bytes[i]);
    return same;
}

/* Every record of one file on every variant; returns the number of records. */
static unsigned kat_run_file(const char *path, size_t nvariants)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return 0;
    kat_path = path;
    static char line[1 << 20];
    unsigned line_no = 0, records = 0, mask_records = 0;
    unsigned seen[KAT_FAMILIES][KAT_DTYPES];
    memset(seen, 0, sizeof seen);
    while (fgets(line, sizeof line, f)) {
        line_no++;
        const size_t len = strlen(line);
        CHECK(len + 1 < sizeof line || line[len - 1] == '\n', "%s line %u is too long", path,
              line_no);
        kat_record r;
        char err[160];
        const int got = kat_parse(line, line_no, &r, err, sizeof err);
        CHECK(got >= 0, "%s line %u: %s", path, line_no, err);
        if (got == 1) {
            records++;
            mask_records += r.family == KAT_MASK;
            seen[r.family][r.dtype]++;
            kat_call calls[KAT_MAX_CALLS];
            const size_t ncalls = kat_calls(&r, calls);
            kat_inputs before = kat_snapshot(&r);
            for (size_t v = 0; v < nvariants; v++) {
                const char *names[KAT_MAX_VARIANTS];
                kat_be->variants(names, KAT_MAX_VARIANTS);
                kat_variant = names[v];
                CHECK(kat_be->select(v) == 0, "%s: cannot select %s", kat_be->name, kat_variant);
                for (size_t k = 0; k < ncalls; k++)
                    kat_run_call(&r, &calls[k], line_no * 7 + (unsigned)v);
                CHECK(kat_unchanged(&before), "%s line %u, %s %s: an input was modified", path,
                      line_no, kat_be->name, kat_variant);
            }
            for (int i = 0; i < 5; i++)
                free(before.copy[i]);
        }
        kat_record_free(&r);
    }
    fclose(f);
    if (mask_records) /* golden_v1.txt */
        CHECK(mask_records >= 20, "%s: expected at least 20 golden mask cases, read %u", path,
              mask_records);
    if (records > mask_records) /* golden_values_v1.txt */
        for (int fam = 0; fam < KAT_MASK; fam++) /* KAT_SITE: dtype-free */
            for (int dt = 0; dt < KAT_DTYPES; dt++)
                CHECK(seen[fam][dt] >= 5, "%s: only %u cases of %s %s", path, seen[fam][dt],
                      kat_family_names[fam], kat_dtype_names[dt]);
    CHECK(records > 0, "%s: no record", path);
    return records;
}

static int kat_main(int argc, char **argv, const kat_backend *be)
{
    kat_be = be;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...  (tests/golden_v1.txt, tests/golden_values_v1.txt)\n",
                argv[0]);
        return 2;
    }
    const char *names[KAT_MAX_VARIANTS];
    const size_t nvariants = be->variants(names, KAT_MAX_VARIANTS);
    CHECK(nvariants > 0, "%s: no variant to run", be->name);
    CHECK(nvariants <= KAT_MAX_VARIANTS, "%s: %zu variants, more than KAT_MAX_VARIANTS (%d)",
          be->name, nvariants, KAT_MAX_VARIANTS);
    for (int i = 1; i < argc; i++) {
        const unsigned records = kat_run_file(argv[i], nvariants);
        printf("kat %s: %s: %u records x %zu variants (", be->name, argv[i], records, nvariants);
        for (size_t v = 0; v < nvariants; v++)
            printf("%s%s", v ? " " : "", names[v]);
        printf(")\n");
    }
    CHECK(be->finish() == 0, "%s: finish", be->name);
    return test_finish("kat");
}

#endif
