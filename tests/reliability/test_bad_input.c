/* test_bad_input.c: every bad-argument case of issue 5, table-driven: exact status, no byte written. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <float.h>
#include "portable.h" /* mmap */

#include "rel_common.h"

#define NOWHERE (-1L) /* placement of a NULL argument */
#define MARGIN 64      /* random bytes before and after the buffers, compared like the rest */

static const char *cur_path = "?";

/* One call on buffers placed at byte offsets inside one arena of random bytes. Afterwards the
 * whole arena, margins included, must equal its snapshot, except the output buffers of a
 * successful call, which must hold the oracle's result computed from the snapshot's inputs.
 * A random fill (not one canary byte) means a stray write of any value is almost surely seen. */
static void run_case(const char *what, int op, const long off[3], size_t arena_size, size_t n,
                     double p, uint64_t seed, uint64_t offset, int expect)
{
    const rel_op *d = &rel_ops[op];
    const size_t total = arena_size + 2 * MARGIN;
    unsigned char *arena = malloc(total), *snap = malloc(total), *want = malloc(total);
    if (!arena || !snap || !want) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    rel_fill_bytes(arena, total);
    memcpy(snap, arena, total);
    memcpy(want, arena, total);
    void *b[3] = {NULL, NULL, NULL};
    for (int i = 0; i < d->nargs; i++)
        b[i] = off[i] == NOWHERE ? NULL : arena + MARGIN + off[i];

    const int status = rel_invoke(op, b, n, p, seed, offset);
    CHECK(status == expect, "[%s] %s %s: n=%zu p=%a offset=%" PRIu64 ": got %d, want %d", cur_path,
          d->name, what, n, p, offset, status, expect);

    if (status == SIMDROP_OK && expect == SIMDROP_OK && n) {
        /* Inputs as they were before the call, outputs into separate scratch, then laid over
         * the expected image: this is what in-place and allowed-overlap calls must produce. */
        const void *in[3] = {NULL, NULL, NULL};
        void *out[3] = {NULL, NULL, NULL};
        for (int i = 0; i < d->nargs; i++) {
            if (off[i] == NOWHERE)
                continue;
            if (d->arg[i].is_out)
                out[i] = calloc(1, rel_bytes(d->arg[i].kind, n) + 1);
            else
                in[i] = snap + MARGIN + off[i];
        }
        rel_reference(op, out, in, n, p, seed, offset);
        for (int i = 0; i < d->nargs; i++) {
            if (out[i])
                memcpy(want + MARGIN + off[i], out[i], rel_bytes(d->arg[i].kind, n));
            free(out[i]);
        }
    }
    size_t bad = 0;
    while (bad < total && arena[bad] == want[bad])
        bad++;
    CHECK(bad == total, "[%s] %s %s: n=%zu: byte %ld of the arena (buffers start at %ld) differs",
          cur_path, d->name, what, n, (long)bad - MARGIN, (long)(off[0] == NOWHERE ? 0 : off[0]));
    free(arena);
    free(snap);
    free(want);
}

/* The arena of a call with n elements: each argument in its own region, 64-byte aligned and
 * separated by a gap, so that only the pair a case moves on purpose can overlap. */
static size_t region(size_t n)
{
    return (rel_bytes(REL_F32, n) + 64 + 63) / 64 * 64;
}

static size_t layout_apart(int op, size_t n, long off[3])
{
    for (int i = 0; i < 3; i++)
        off[i] = i < rel_ops[op].nargs ? (long)(i * region(n)) : NOWHERE;
    return 3 * region(n);
}

static const size_t sizes[] = {1, 7, 33, 4100};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* Each subset of the pointers NULL: ENULL while n > 0 (unless only nullable ones are NULL),
 * also over a bad p and a bad range, which rank below it; with n == 0 every subset is fine. */
static void null_cases(int op)
{
    const rel_op *d = &rel_ops[op];
    for (unsigned subset = 0; subset < (1u << d->nargs); subset++) {
        int only_nullable = 1;
        for (int i = 0; i < d->nargs; i++)
            if (subset >> i & 1)
                only_nullable &= d->arg[i].nullable;
        for (size_t s = 0; s < NSIZES; s++) {
            long off[3];
            const size_t size = layout_apart(op, sizes[s], off);
            for (int i = 0; i < d->nargs; i++)
                if (subset >> i & 1)
                    off[i] = NOWHERE;
            const int expect = only_nullable ? SIMDROP_OK : SIMDROP_ENULL;
            run_case("NULL subset", op, off, size, sizes[s], 0.25, 7, 5, expect);
            if (expect == SIMDROP_ENULL)
                run_case("NULL outranks bad p and range", op, off, size, sizes[s], NAN, 7,
                         UINT64_MAX, expect);
            run_case("n == 0 with NULL", op, off, size, 0, 0.25, 7, 5, SIMDROP_OK);
            run_case("n == 0 at the last index", op, off, size, 0, 0.25, 7, UINT64_MAX,
                     SIMDROP_OK);
        }
    }
}

static double signalling_nan(void)
{
    const uint64_t bits = 0x7ff4000000000001u;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* p outside [0, 1] or NaN, with n == 0 too (the header says p is checked even then). */
static void p_cases(int op)
{
    if (!rel_ops[op].uses_p)
        return;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY, -DBL_MIN, -0x1p-1074, -1e-300, -0.5,
                          -1.0, 0x1.0000000000001p0, 1.5, 2.0, DBL_MAX, signalling_nan()};
    const double good[] = {0.0, -0.0, 0x1p-1074, 1e-6, 0.1, 0.5, 0.9, 0x1.fffffffffffffp-1, 1.0};
    for (size_t s = 0; s < NSIZES; s++) {
        long off[3];
        const size_t size = layout_apart(op, sizes[s], off);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            run_case("bad p", op, off, size, sizes[s], bad[i], 3, 0, SIMDROP_EPROB);
            run_case("bad p, n == 0", op, off, size, 0, bad[i], 3, 0, SIMDROP_EPROB);
            if (rel_ops[op].uses_seed)
                run_case("bad p outranks bad range", op, off, size, sizes[s], bad[i], 3,
                         UINT64_MAX, SIMDROP_EPROB);
        }
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
            run_case("edge p", op, off, size, sizes[s], good[i], 3, 4090, SIMDROP_OK);
    }
}

/* The status a call must return when args i and j share bytes: two inputs may overlap, an
 * output may equal its float input exactly (in place), everything else is an overlap. */
static int overlap_status(int op, int i, int j, long dist)
{
    const rel_arg *a = &rel_ops[op].arg[i], *b = &rel_ops[op].arg[j];
    if (!a->is_out && !b->is_out)
        return SIMDROP_OK;
    if (dist == 0 && a->kind == REL_F32 && b->kind == REL_F32)
        return SIMDROP_OK;
    return SIMDROP_EOVERLAP;
}

/* Arg j placed at a byte distance from arg i: every partial overlap from one byte either side
 * to exact equality, and the just-touching placements, which are not overlaps. */
static void overlap_cases(int op)
{
    const rel_op *d = &rel_ops[op];
    for (int i = 0; i < d->nargs; i++) {
        for (int j = i + 1; j < d->nargs; j++) {
            for (size_t s = 0; s < NSIZES; s++) {
                const size_t n = sizes[s];
                const long li = (long)rel_bytes(d->arg[i].kind, n);
                const long lj = (long)rel_bytes(d->arg[j].kind, n);
                const long dists[] = {-lj, -lj + 1, -lj + 4, -lj / 2, -4, -1, 0, 1, 4,
                                      li / 2, li - 4, li - 1, li};
                for (size_t k = 0; k < sizeof dists / sizeof dists[0]; k++) {
                    const long dist = dists[k];
                    if (d->arg[j].kind == REL_F32 && dist % 4) /* floats stay aligned */
                        continue;
                    long off[3];
                    layout_apart(op, n, off);
                    /* The pair goes past the others' regions [0, 3R): i at 4R leaves room
                     * for j on either side, up to 6R. */
                    off[i] = (long)(4 * region(n));
                    off[j] = off[i] + dist;
                    const int shares = dist < li && -dist < lj;
                    const int expect = shares ? overlap_status(op, i, j, dist) : SIMDROP_OK;
                    char what[96];
                    snprintf(what, sizeof what, "%s at %+ld bytes from %s", d->arg[j].name, dist,
                             d->arg[i].name);
                    run_case(what, op, off, 6 * region(n), n, 0.3, 11, 77, expect);
                    if (expect == SIMDROP_EOVERLAP && d->uses_p)
                        run_case("bad p outranks overlap", op, off, 6 * region(n), n, -1.0,
                                 11, 77, SIMDROP_EPROB);
                }
            }
        }
    }
    if (op == OP_FORWARD) {
        /* In place, and the mask inside the one buffer that is both y and x. */
        long off[3] = {0, 16, 0};
        run_case("in place with the mask inside y == x", op, off, region(100), 100, 0.3, 1, 0,
                 SIMDROP_EOVERLAP);
        off[1] = NOWHERE;
        run_case("in place without a mask", op, off, region(100), 100, 0.3, 1, 0, SIMDROP_OK);
    }
}

/* offset + n around 2^64 (ending exactly there is fine), and n too large for the address
 * space; the buffers are small, so a call that did not stop would write out of bounds. */
static void range_cases(int op)
{
    const rel_op *d = &rel_ops[op];
    long off[3];
    const size_t size = layout_apart(op, 8200, off);
    if (d->uses_seed) {
        const size_t ns[] = {1, 2, 5, 33, 4097, 8200};
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            const uint64_t end = (uint64_t)0 - ns[k]; /* 2^64 - n */
            run_case("ends exactly at 2^64", op, off, size, ns[k], 0.5, 9, end, SIMDROP_OK);
            if (ns[k] > 1) /* for n == 1, end + 1 wraps to offset 0 */
                run_case("ends one past 2^64", op, off, size, ns[k], 0.5, 9, end + 1,
                         SIMDROP_ERANGE);
            run_case("starts at the last index", op, off, size, ns[k], 0.5, 9, UINT64_MAX,
                     ns[k] == 1 ? SIMDROP_OK : SIMDROP_ERANGE);
        }
        if (SIZE_MAX == UINT64_MAX) /* from offset 1 it would end exactly at 2^64 */
            run_case("n = SIZE_MAX from offset 2", op, off, size, SIZE_MAX, 0.5, 9, 2,
                     SIMDROP_ERANGE);
    }
    if (d->arg[0].kind == REL_F32) {
        /* Also ranks ESIZE above EOVERLAP: buffers this size cannot be apart. */
        run_case("n floats overflow size_t", op, off, size, SIZE_MAX / sizeof(float) + 1, 0.5,
                 9, 0, SIMDROP_ESIZE);
        run_case("n = SIZE_MAX", op, off, size, SIZE_MAX, 0.5, 9, 0, SIMDROP_ESIZE);
    }
}

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
    /* Every real path name: OK if built and runnable, else EISA_UNAVAILABLE. */
    const char *known[] = {"scalar", "sse2", "avx2", "avx512", "neon",
                           "sse2-simde", "avx2-simde", "avx512-simde", "neon-simde"};
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

/* Errors are found before any buffer is read: the same calls on buffers that fault on any
 * access return their code instead of crashing. `expect_kernel` is what a valid call returns
 * (an error while SIMDROP_ISA is bad), so a call with good arguments must not touch them
 * either then; n == 0 never touches them. */
static void no_access_cases(int expect_kernel)
{
    const size_t n = 1000, span = 4 * 4 * n;
    unsigned char *pages = untouchable(span);
    for (int op = 0; op < OP_COUNT; op++) {
        const rel_op *d = &rel_ops[op];
        void *b[3] = {pages, pages + 4 * n, pages + 8 * n};
        void *overlapping[3] = {pages, pages + 4, pages + 8 * n};
        const int kernel = d->uses_p ? expect_kernel : SIMDROP_OK;
        CHECK(rel_invoke(op, b, 0, 0.5, 1, 0) == kernel,
              "%s n == 0 on unreadable buffers", d->name);
        if (d->uses_p)
            CHECK(rel_invoke(op, b, n, NAN, 1, 0) == SIMDROP_EPROB, "%s NaN p", d->name);
        if (d->uses_seed)
            CHECK(rel_invoke(op, b, n, 0.5, 1, UINT64_MAX) == SIMDROP_ERANGE, "%s range",
                  d->name);
        if (d->arg[0].kind == REL_F32)
            CHECK(rel_invoke(op, b, SIZE_MAX / 4 + 1, 0.5, 1, 0) == SIMDROP_ESIZE, "%s size",
                  d->name);
        if (d->nargs > 1)
            CHECK(rel_invoke(op, overlapping, n, 0.5, 1, 0) == SIMDROP_EOVERLAP,
                  "%s overlap on unreadable buffers", d->name);
        if (kernel)
            CHECK(rel_invoke(op, b, n, 0.5, 1, 0) == kernel, "%s bad SIMDROP_ISA", d->name);
    }
    munmap(pages, span);
}

static void all_cases(void)
{
    for (int op = 0; op < OP_COUNT; op++) {
        null_cases(op);
        p_cases(op);
        overlap_cases(op);
        range_cases(op);
    }
    no_access_cases(SIMDROP_OK);
}

/* SIMDROP_ISA holds a bad name (meson sets it per test): kernel calls fail with `expect` and
 * write nothing, even for n == 0; argument errors still rank first; the byte conversions need
 * no kernel and work; simdrop_set_isa recovers. */
static void env_cases(int expect)
{
    const char *env = getenv("SIMDROP_ISA");
    printf("  SIMDROP_ISA=\"%s\": expecting %s\n", env ? env : "(unset)", simdrop_strerror(expect));
    CHECK(!strcmp(simdrop_isa(), "none"), "simdrop_isa() is %s with a bad SIMDROP_ISA",
          simdrop_isa());
    cur_path = "none";
    for (int op = 0; op < OP_COUNT; op++) {
        const int uses_kernel = rel_ops[op].uses_p; /* exactly the ops with a p */
        long off[3];
        for (size_t s = 0; s < NSIZES; s++) {
            const size_t size = layout_apart(op, sizes[s], off);
            run_case("bad SIMDROP_ISA", op, off, size, sizes[s], 0.5, 1, 0,
                     uses_kernel ? expect : SIMDROP_OK);
            run_case("bad SIMDROP_ISA, n == 0", op, off, size, 0, 0.5, 1, 0,
                     uses_kernel ? expect : SIMDROP_OK);
        }
        if (!uses_kernel)
            continue;
        const size_t size = layout_apart(op, 40, off);
        run_case("bad p outranks bad SIMDROP_ISA", op, off, size, 40, NAN, 1, 0, SIMDROP_EPROB);
        long shifted[3] = {off[0], off[1], off[2]};
        shifted[1] = rel_ops[op].nargs > 1 ? off[0] + 4 : NOWHERE;
        if (rel_ops[op].nargs > 1)
            run_case("overlap outranks bad SIMDROP_ISA", op, shifted, size, 40, 0.5, 1, 0,
                     SIMDROP_EOVERLAP);
        off[0] = NOWHERE;
        run_case("NULL outranks bad SIMDROP_ISA", op, off, size, 40, 0.5, 1, 0, SIMDROP_ENULL);
    }
    no_access_cases(expect);
    CHECK(simdrop_set_isa("bogus") == SIMDROP_EISA_UNKNOWN, "set_isa(bogus)");
    CHECK(!strcmp(simdrop_isa(), "none"), "a failed set_isa changed the path");
    CHECK(simdrop_set_isa("scalar") == SIMDROP_OK, "set_isa(scalar) after a bad SIMDROP_ISA");
    cur_path = simdrop_isa();
    for (int op = 0; op < OP_COUNT; op++) {
        long off[3];
        const size_t size = layout_apart(op, 100, off);
        run_case("after recovering with set_isa", op, off, size, 100, 0.5, 1, 0, SIMDROP_OK);
    }
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_bad_input");
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--env-expect"))
            continue;
        /* Only the env runs pass this; nothing may touch the library before env_cases. */
        const char *want = argv[i + 1];
        if (!strcmp(want, "unknown") || !strcmp(want, "unavailable")) {
            env_cases(!strcmp(want, "unknown") ? SIMDROP_EISA_UNKNOWN
                                               : SIMDROP_EISA_UNAVAILABLE);
        } else { /* the path the variable must have selected; "auto": set_isa("auto")'s */
            const char *got = simdrop_isa();
            if (!strcmp(want, "auto") && simdrop_set_isa("auto") == SIMDROP_OK)
                want = simdrop_isa();
            CHECK(!strcmp(got, want), "SIMDROP_ISA selected %s, want %s", got, want);
            cur_path = simdrop_isa();
            all_cases();
        }
        return test_finish("test_bad_input");
    }
    isa_name_cases();
    const char *paths[16];
    const size_t npaths = test_paths(paths, 16);
    for (size_t i = 0; i < npaths; i++) {
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa(%s)", paths[i]);
        cur_path = paths[i];
        all_cases();
        if (rel_small())
            break; /* the checks come before any kernel; the kernels are the other tests' job */
    }
    return test_finish("test_bad_input");
}
