/* test_errors.c: what a failed call tells: simdrop_last_error() per thread, the strerror texts of docs/API.md, and the version numbers.
 *
 *   test_errors [--version V] [--api-md PATH]   V: meson's project version; PATH: docs/API.md
 *   test_errors --env unknown|threads           run by meson with a bad SIMDROP_ISA or
 *                                               SIMDROP_NUM_THREADS: the message names it
 *
 * The messages of the argument errors are checked for every entry point of tests/entries.h: the
 * function, the argument that is NULL, p, the range, the size, and each pair of buffers that
 * may not overlap, with the addresses and sizes the test placed them at. */
#include <stdarg.h>

#include "portable.h" /* threads, also on Windows */

#include "common.h"
#include "entries.h"

static char expected[512];

/* The thread's message must be `want` (a printf format). */
#if defined(__GNUC__) && !defined(__MINGW32__)
__attribute__((format(printf, 2, 3)))
#endif
static void expect_message(const char *ctx, const char *want, ...)
{
    va_list ap;
    va_start(ap, want);
    vsnprintf(expected, sizeof expected, want, ap);
    va_end(ap);
    CHECK(!strcmp(simdrop_last_error(), expected), "%s:\n    got  \"%s\"\n    want \"%s\"", ctx,
          simdrop_last_error(), expected);
}

static int starts_ends(const char *s, const char *head, const char *tail)
{
    const size_t ls = strlen(s), lh = strlen(head), lt = strlen(tail);
    return ls >= lh + lt && !strncmp(s, head, lh) && !strcmp(s + ls - lt, tail);
}

/* ---- every entry point: the argument named, with its values ---------------------------------- */

static ent_shape small_shape(const entry *e)
{
    ent_shape s = ent_ab(33, 0);
    if (ent_is_nhwc(e))
        s.a = 3, s.b = 2, s.c = 5;
    else if (ent_grouped(e))
        s.a = 9, s.b = 2;
    else if (e->family == FAM_BDA || e->family == FAM_REDUCE || ent_is_block(e))
        s.a = 4, s.b = 9;
    if (ent_is_block(e)) /* rows 2..5, columns 3..11 of rows of 20, 9 apart in memory */
        s.row0 = 2, s.col0 = 3, s.global_cols = 20, s.ldx = s.ldy = 9;
    return s;
}

static void counts_text(const entry *e, ent_shape s, char *out, size_t len)
{
    if (ent_is_nhwc(e))
        snprintf(out, len, "samples = %" PRIu64 ", spatial = %" PRIu64 ", channels = %" PRIu64,
                 (uint64_t)s.a, (uint64_t)s.b, (uint64_t)s.c);
    else if (ent_grouped(e))
        snprintf(out, len, "groups = %" PRIu64 ", group_len = %" PRIu64, (uint64_t)s.a,
                 (uint64_t)s.b);
    else if (e->family == FAM_BDA || ent_is_block(e))
        snprintf(out, len, "rows = %" PRIu64 ", cols = %" PRIu64, (uint64_t)s.a, (uint64_t)s.b);
    else if (e->family == FAM_REDUCE)
        snprintf(out, len, "granules = %" PRIu64 ", cols = %" PRIu64, (uint64_t)s.a, (uint64_t)s.b);
    else
        snprintf(out, len, "n = %" PRIu64, (uint64_t)s.a);
}

static size_t unit_of(const entry *e, int i) /* a typed buffer moves by its element */
{
    return ent_unit(e, i);
}

/* Why buffers i < j may not overlap, in the words of src/check.c. */
static void reason(const entry *e, int i, int j, char *out, size_t len)
{
    const int side_i = e->arg[i].is_out && i > 0, side_j = e->arg[j].is_out && j > 0;
    const ent_arg *a = &e->arg[i], *b = &e->arg[j];
    if (side_i || side_j)
        snprintf(out, len, "%s is written and may share no byte with another buffer",
                 (side_i ? a : b)->name);
    else if (b->alias)
        snprintf(out, len, "%s may be exactly %s (the same start: in place) but not overlap it "
                 "otherwise", a->name, b->name);
    else
        snprintf(out, len, "%s is read while %s is written, so they may not overlap",
                 (a->is_out ? b : a)->name, (a->is_out ? a : b)->name);
}

static void entry_messages(const entry *e, unsigned char *arena, size_t region)
{
    const ent_shape s = small_shape(e);
    char counts[96], why[160], ctx[160];
    counts_text(e, s, counts, sizeof counts);
    void *b[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < e->nargs; i++)
        b[i] = arena + i * region;

    /* each required pointer NULL: that argument, with the counts */
    for (int i = 0; i < e->nargs; i++) {
        if (e->arg[i].nullable)
            continue;
        void *keep = b[i];
        b[i] = NULL;
        snprintf(ctx, sizeof ctx, "%s, %s NULL", e->name, e->arg[i].name);
        CHECK(e->call(b, s, 0.5, 1, 0) == SIMDROP_ENULL, "%s: status", ctx);
        expect_message(ctx, "simdrop_%s: %s is NULL while the call has elements (%s) "
                       "(SIMDROP_ENULL)", e->name, e->arg[i].name, counts);
        b[i] = keep;
    }
    if (e->uses_p) {
        snprintf(ctx, sizeof ctx, "%s, p = 2", e->name);
        CHECK(e->call(b, s, 2.0, 1, 0) == SIMDROP_EPROB, "%s: status", ctx);
        expect_message(ctx, "simdrop_%s: p = 2 is not a probability in [0, 1] (SIMDROP_EPROB)",
                       e->name);
    }
    if (e->uses_seed) {
        snprintf(ctx, sizeof ctx, "%s, offset 2^64 - 1", e->name);
        CHECK(e->call(b, s, 0.5, 1, UINT64_MAX) == SIMDROP_ERANGE, "%s: status", ctx);
        if (e->family == FAM_BDA)
            expect_message(ctx, "simdrop_%s: offset + rows * cols = 18446744073709551615 + 4 * 9 "
                           "exceeds 2^64: the global element indices would wrap (SIMDROP_ERANGE)",
                           e->name);
        else if (ent_is_nhwc(e))
            expect_message(ctx, "simdrop_%s: offset + samples * channels = 18446744073709551615 "
                           "+ 3 * 5 exceeds 2^64: the global group indices would wrap "
                           "(SIMDROP_ERANGE)", e->name);
        else if (ent_is_block(e))
            expect_message(ctx, "simdrop_%s: offset + (row0 + rows - 1) * global_cols + col0 + "
                           "cols = 18446744073709551615 + (2 + 4 - 1) * 20 + 3 + 9 exceeds 2^64: "
                           "the global element indices would wrap (SIMDROP_ERANGE)", e->name);
        else
            expect_message(ctx, "simdrop_%s: offset + %s = 18446744073709551615 + %u exceeds "
                           "2^64: the global %s indices would wrap (SIMDROP_ERANGE)", e->name,
                           ent_grouped(e) ? "groups" : "n", (unsigned)s.a,
                           ent_grouped(e) ? "group" : "element");
    }
    if (e->family != FAM_MASK && e->family != FAM_BYTES) { /* the first buffer overflows */
        ent_shape huge = ent_ab(SIZE_MAX / ent_dtype_size(e->dt) + 1, 0);
        if (e->family != FAM_ELEMENT)
            huge.a = 2, huge.b = SIZE_MAX / 2 / ent_dtype_size(e->dt) + 1;
        if (ent_is_nhwc(e))
            huge.c = 1;
        if (e->family == FAM_REDUCE) /* dbias, the first buffer, overflows */
            huge.b = SIZE_MAX / (e->dt == E_F64 ? 8 : 4) + 1;
        huge.global_cols = huge.ldx = huge.ldy = huge.b; /* a block: whole rows */
        snprintf(ctx, sizeof ctx, "%s, sizes overflow", e->name);
        CHECK(e->call(b, huge, 0.5, 1, 0) == SIMDROP_ESIZE, "%s: status", ctx);
        char head[96];
        snprintf(head, sizeof head, "simdrop_%s: the size of %s, ", e->name, e->arg[0].name);
        CHECK(starts_ends(simdrop_last_error(), head, ", overflows size_t (SIMDROP_ESIZE)"),
              "%s: \"%s\"", ctx, simdrop_last_error());
    }
    /* each pair that may not overlap: j starts one unit into i (or ends one unit into it) */
    for (int i = 0; i < e->nargs; i++)
        for (int j = i + 1; j < e->nargs; j++) {
            if (!e->arg[i].is_out && !e->arg[j].is_out)
                continue;
            const size_t li = ent_bytes(e, i, s), lj = ent_bytes(e, j, s), u = unit_of(e, j);
            void *keep = b[j];
            b[j] = (unsigned char *)b[i] + (li > u ? (ptrdiff_t)u : -(ptrdiff_t)u);
            snprintf(ctx, sizeof ctx, "%s, %s overlapping %s", e->name, e->arg[j].name,
                     e->arg[i].name);
            CHECK(e->call(b, s, 0.5, 1, 0) == SIMDROP_EOVERLAP, "%s: status", ctx);
            reason(e, i, j, why, sizeof why);
            expect_message(ctx, "simdrop_%s: %s [0x%" PRIx64 ", +%" PRIu64 " bytes) and %s [0x%"
                           PRIx64 ", +%" PRIu64 " bytes) overlap: %s (SIMDROP_EOVERLAP)", e->name,
                           e->arg[i].name, (uint64_t)(uintptr_t)b[i], (uint64_t)li,
                           e->arg[j].name, (uint64_t)(uintptr_t)b[j], (uint64_t)lj, why);
            b[j] = keep;
        }
    /* a successful call leaves the last message alone */
    char before[512];
    snprintf(before, sizeof before, "%s", simdrop_last_error());
    CHECK(e->call(b, s, 0.5, 1, 0) == SIMDROP_OK, "%s: a valid call", e->name);
    CHECK(!strcmp(simdrop_last_error(), before), "%s: a successful call changed the message to "
          "\"%s\"", e->name, simdrop_last_error());
}

static void all_entry_messages(void)
{
    const size_t region = 4096; /* the buffers apart, with room before the first */
    unsigned char *base = calloc(7, region);
    for (size_t i = 0; i < NENTRIES; i++)
        entry_messages(&entries[i], base + region, region);
    free(base);
}

/* ---- per thread -------------------------------------------------------------------------------- */

static float tx[64], ty[64];
static uint8_t tmask[8];
static char thread_saw[2][512];

static void *other_thread(void *arg)
{
    (void)arg;
    snprintf(thread_saw[0], sizeof thread_saw[0], "%s", simdrop_last_error());
    /* the mask inside y: the message says so (no "only out == in" here) */
    simdrop_forward_f32(ty, (uint8_t *)(ty + 60), tx, 64, 0.5, 1, 0);
    snprintf(thread_saw[1], sizeof thread_saw[1], "%s", simdrop_last_error());
    return NULL;
}

static void per_thread(void)
{
    CHECK(simdrop_forward_f32(ty, tmask, NULL, 64, 0.5, 1, 0) == SIMDROP_ENULL, "ENULL");
    char mine[512];
    snprintf(mine, sizeof mine, "%s", simdrop_last_error());
    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0, "start a thread");
    pthread_join(t, NULL);
    CHECK(!strcmp(thread_saw[0], ""), "a new thread's last error is \"%s\", not \"\"",
          thread_saw[0]);
    CHECK(strstr(thread_saw[1], "simdrop_forward_f32: y [") == thread_saw[1] &&
              strstr(thread_saw[1], "overlap: mask is written and may share no byte with another "
                                    "buffer (SIMDROP_EOVERLAP)"),
          "the other thread's message: \"%s\"", thread_saw[1]);
    CHECK(!strcmp(simdrop_last_error(), mine), "another thread's failure changed this thread's "
          "message to \"%s\"", simdrop_last_error());
    CHECK(!strcmp(mine, "simdrop_forward_f32: x is NULL while the call has elements (n = 64) "
                        "(SIMDROP_ENULL)"), "\"%s\"", mine);
}

/* ---- an engine's pool that broke its contract: found after the call ran ------------------- */

static void run_nothing(void *ctx, size_t ntasks, void (*task)(void *arg, size_t i), void *arg)
{
    (void)ctx, (void)ntasks, (void)task, (void)arg;
}

static void failed_pool(void)
{
    /* on this thread only: 2 threads, every call split, a pool that returns at once */
    const simdrop_threading t = {2, run_nothing, NULL, 1};
    CHECK(simdrop_set_local_threading(&t) == SIMDROP_OK, "set_local_threading");
    const int status = simdrop_unscaled_forward_f32(ty, NULL, tx, 16, 4, 0.5, 1, 0);
    CHECK(status == SIMDROP_EPARALLEL, "a pool that ran no task: status %d", status);
    expect_message("a pool that ran no task", "simdrop_unscaled_forward_f32: the engine's thread "
                   "pool did not run every task exactly once; what the call wrote is unspecified "
                   "(SIMDROP_EPARALLEL)");
    CHECK(simdrop_set_local_threading(NULL) == SIMDROP_OK, "back to the process-wide settings");
    CHECK(simdrop_unscaled_forward_f32(ty, NULL, tx, 16, 4, 0.5, 1, 0) == SIMDROP_OK,
          "without the pool");
}

/* ---- a bad setting: the message names the variable ------------------------------------------ */

static void env_messages(const char *what)
{
    const int threads = !strcmp(what, "threads");
    CHECK(!strcmp(simdrop_last_error(), ""), "before any failure: \"%s\"", simdrop_last_error());
    CHECK(simdrop_mask_to_bytes((uint8_t *)tx, tmask, 64) == SIMDROP_OK &&
              !strcmp(simdrop_last_error(), ""), "a conversion needs no path or thread");
    const int status = simdrop_forward_f32(ty, NULL, tx, 64, 0.5, 1, 0);
    CHECK(status == (threads ? SIMDROP_ETHREADS : SIMDROP_EISA_UNKNOWN), "status %d", status);
    if (threads)
        expect_message("bad SIMDROP_NUM_THREADS", "simdrop_forward_f32: SIMDROP_NUM_THREADS is "
                       "not a count from 1 to 1024 (every call fails until "
                       "simdrop_set_num_threads succeeds) (SIMDROP_ETHREADS)");
    else
        expect_message("bad SIMDROP_ISA", "simdrop_forward_f32: SIMDROP_ISA names no kernel path "
                       "(every call fails until simdrop_set_isa succeeds) (SIMDROP_EISA_UNKNOWN)");
    CHECK(simdrop_mask(NULL, 10, 0.5, 1, 0) == SIMDROP_ENULL, "an argument error ranks first");
    expect_message("bad setting, NULL mask", "simdrop_mask: mask is NULL while the call has "
                   "elements (n = 10) (SIMDROP_ENULL)");
}

/* ---- docs/API.md's status table: the strerror texts ------------------------------------------ */

static void strerror_table(const char *path)
{
    static const struct { const char *name; int value; } codes[] = {
        {"SIMDROP_OK", SIMDROP_OK}, {"SIMDROP_ENULL", SIMDROP_ENULL},
        {"SIMDROP_EPROB", SIMDROP_EPROB}, {"SIMDROP_ERANGE", SIMDROP_ERANGE},
        {"SIMDROP_ESIZE", SIMDROP_ESIZE}, {"SIMDROP_EOVERLAP", SIMDROP_EOVERLAP},
        {"SIMDROP_EISA_UNKNOWN", SIMDROP_EISA_UNKNOWN},
        {"SIMDROP_EISA_UNAVAILABLE", SIMDROP_EISA_UNAVAILABLE},
        {"SIMDROP_ENOMEM", SIMDROP_ENOMEM}, {"SIMDROP_ETHREADS", SIMDROP_ETHREADS},
        {"SIMDROP_EPARALLEL", SIMDROP_EPARALLEL},
        {"SIMDROP_EDEVICE", SIMDROP_EDEVICE}};
    const size_t ncodes = sizeof codes / sizeof codes[0];
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    char line[1024];
    unsigned rows = 0;
    int seen[16] = {0};
    while (fgets(line, sizeof line, f)) {
        char name[64], text[512];
        int value;
        /* | `SIMDROP_X` | -N | "the strerror text" | when ... | */
        if (sscanf(line, "| `%63[A-Z_]` | %d | \"%511[^\"]\" |", name, &value, text) != 3)
            continue;
        rows++;
        size_t k = 0;
        while (k < ncodes && strcmp(codes[k].name, name))
            k++;
        CHECK(k < ncodes && codes[k].value == value, "API.md: %s = %d is not the header's", name,
              value);
        if (k < ncodes)
            seen[k]++;
        CHECK(!strcmp(simdrop_strerror(value), text), "API.md says simdrop_strerror(%s) is "
              "\"%s\", the library \"%s\"", name, text, simdrop_strerror(value));
    }
    fclose(f);
    for (size_t k = 0; k < ncodes; k++)
        CHECK(seen[k] == 1, "API.md's status table has %d rows for %s", seen[k], codes[k].name);
    printf("  docs/API.md: %u status codes, each with simdrop_strerror's text\n", rows);
}

/* ---- versions ---------------------------------------------------------------------------------- */

static void versions(const char *project_version)
{
    char text[32];
    snprintf(text, sizeof text, "%d.%d.%d", SIMDROP_VERSION_MAJOR, SIMDROP_VERSION_MINOR,
             SIMDROP_VERSION_PATCH);
    CHECK(!strcmp(text, SIMDROP_VERSION_STRING), "SIMDROP_VERSION_STRING %s, the numbers say %s",
          SIMDROP_VERSION_STRING, text);
    CHECK(SIMDROP_VERSION_NUMBER == SIMDROP_VERSION_MAJOR * 10000 + SIMDROP_VERSION_MINOR * 100 +
                                        SIMDROP_VERSION_PATCH,
          "SIMDROP_VERSION_NUMBER %d", SIMDROP_VERSION_NUMBER);
    CHECK(SIMDROP_VERSION_ENCODE(1, 2, 0) == 10200 && SIMDROP_VERSION_ENCODE(1, 10, 3) >
                                                          SIMDROP_VERSION_ENCODE(1, 9, 99),
          "SIMDROP_VERSION_ENCODE orders versions");
    CHECK(simdrop_version_number() == SIMDROP_VERSION_NUMBER, "simdrop_version_number() %u",
          simdrop_version_number());
    CHECK(!strcmp(simdrop_version(), SIMDROP_VERSION_STRING), "simdrop_version() %s",
          simdrop_version());
    if (project_version)
        CHECK(!strcmp(project_version, simdrop_version()), "meson's project version %s, the "
              "library's %s", project_version, simdrop_version());
}

static const char *option(int argc, char **argv, const char *flag)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], flag))
            return argv[i + 1];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *env = option(argc, argv, "--env"), *api = option(argc, argv, "--api-md");
    if (env) {
        env_messages(env);
        return test_finish("test_errors");
    }
    CHECK(!strcmp(simdrop_last_error(), ""), "before any failure: \"%s\"", simdrop_last_error());
    versions(option(argc, argv, "--version"));
    if (api)
        strerror_table(api);
    all_entry_messages();
    per_thread();
    failed_pool();
    return test_finish("test_errors");
}
