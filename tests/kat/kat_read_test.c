/* kat_read_test.c: the known-answer reader alone, linked without the library: every record of both files parses into its calls, and malformed lines are refused with a reason. */
#include "common.h"
#include "kat.h"

static unsigned records, calls_made;

static void read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    static char line[1 << 20];
    unsigned line_no = 0, seen[KAT_FAMILIES] = {0};
    while (fgets(line, sizeof line, f)) {
        kat_record r;
        char err[160];
        const int got = kat_parse(line, ++line_no, &r, err, sizeof err);
        CHECK(got >= 0, "%s line %u: %s", path, line_no, err);
        if (got == 1) {
            records++;
            seen[r.family]++;
            kat_call calls[KAT_MAX_CALLS];
            const size_t k = kat_calls(&r, calls);
            calls_made += (unsigned)k;
            /* mask records: simdrop_mask and forward's mask; granules: backward, regen and the
             * reduction; site seeds: one; the others 6 (the fused op with a residual 7) */
            const size_t want = r.family == KAT_MASK       ? 2
                                : r.family == KAT_GRANULES ? 3
                                : r.family == KAT_SITE     ? 1
                                                           : 6 + (r.family == KAT_BDA && r.residual);
            CHECK(k == want, "%s line %u: %zu calls, want %zu", path, line_no, k, want);
            for (size_t i = 0; i < k; i++) {
                const kat_call *c = &calls[i];
                CHECK(c->want_y || c->want_mask || c->want_dbias, "line %u %s: compares nothing",
                      line_no, c->what);
                CHECK(c->x || c->op == KAT_MASK_ONLY || c->op == KAT_SITE_SEED, "line %u %s: no "
                      "input", line_no, c->what);
                CHECK(!c->want_dbias || c->want_dbias->n == kat_dbias_len(c), "line %u %s: dbias "
                      "size", line_no, c->what);
                CHECK(kat_mask_bytes(c) == r.mask_bytes && (!c->want_y || c->want_y->n ==
                                                            kat_elements(c)),
                      "line %u %s: sizes", line_no, c->what);
            }
        }
        kat_record_free(&r);
    }
    fclose(f);
    printf("  %s: %u lines; records per family:", path, line_no);
    for (int fam = 0; fam < KAT_FAMILIES; fam++)
        printf("%s %s %u", fam ? "," : "", kat_family_names[fam], seen[fam]);
    printf("\n");
}

/* Lines the reader must refuse, and the reason it gives. */
static void malformed(void)
{
    static const char *const bad[][2] = {
        {"case 000000000000002a 0 16 0.5 ffff1", "the mask is not (n + 7) / 8 bytes of hex"},
        {"case 000000000000002a 0 16 0.5 ffzz", "the mask is not (n + 7) / 8 bytes of hex"},
        {"case 2a 0 16", "not 'case SEED OFFSET N P MASK'"},
        {"dropout f99 n=1 p=0.5 seed=0 offset=0", "unknown family or dtype"},
        {"pooling f32 n=1 p=0.5 seed=0 offset=0", "unknown family or dtype"},
        {"dropout f32 n=1 p=0.5x seed=0 offset=0", "bad p, seed, offset or shape"},
        {"dropout f32 n=1 p=0.5 seed=0", "bad p, seed, offset or shape"},
        {"groups f32 groups=1 p=0.5 seed=0 offset=0", "bad p, seed, offset or shape"},
        {"dropout f32 n=1 p=0.5 seed=0 offset=0 x=3f80000 y=3f800000 mask=01 dx_inv=00000000",
         "a malformed array or mask field"},
        {"dropout f32 n=1 p=0.5 seed=0 offset=0 x=?f800000 y=3f800000 mask=01 dx_inv=00000000",
         "'?' in an input"},
        {"dropout f32 n=1 p=0.5 seed=0 offset=0 novalue", "a field without '='"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kat_record r;
        char err[160];
        const int got = kat_parse(bad[i][0], 1, &r, err, sizeof err);
        CHECK(got == -1 && !strcmp(err, bad[i][1]), "\"%s\": %d \"%s\", want -1 \"%s\"",
              bad[i][0], got, err, bad[i][1]);
        kat_record_free(&r);
    }
    /* a well-formed line, for contrast: '?' is allowed in an output */
    kat_record r;
    char err[160];
    CHECK(kat_parse("dropout f32 n=1 p=0.5 seed=0 offset=0 x=3f800000 y=?fc00000 mask=01 "
                    "dx_inv=00000000", 1, &r, err, sizeof err) == 1 && r.y.loose[0] &&
              r.y.bits[0] == 0x7fc00000,
          "a loose output: %s", err);
    kat_record_free(&r);
    CHECK(kat_parse("# a comment\n", 1, &r, err, sizeof err) == 0, "a comment");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        read_file(argv[i]);
    CHECK(argc > 1 && records > 0, "no record read");
    malformed();
    printf("kat reader: %u records, %u calls\n", records, calls_made);
    return test_finish("kat_read_test");
}
