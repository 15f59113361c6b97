/* test_bounds.c: every entry point on every path with each buffer flush against an inaccessible page: no byte read or written outside.
 *
 *   test_bounds [--seed N]     SIMDROP_TEST_SMALL=1: sizes 0..40 and around 4096 only
 *
 * checkasm's canary bytes catch a stray write; a stray read (a vector load past the last element,
 * an unaligned head loaded from before the first) changes nothing a canary can see, and it faults
 * only where the bytes beyond lie on a page the process cannot read. So each buffer of a call is
 * placed once ending exactly at such a page and once starting exactly after one, for every entry
 * of tests/entries.h, sizes 0..67 and around the boundaries of vectors, rounds, generator blocks
 * and the small-call switch, each shape its family has (rows of one column, one row, groups of
 * one), optional buffers present and NULL, in place, non-temporal stores forced on and off, and
 * split over two threads (the SIMDe twins to 40 elements: main() says why). A fault ends the
 * test with what it was calling. The random part is the block shapes (ent_block): the seed is
 * printed and taken back. POSIX only (mmap, mprotect). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c11 */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "entries.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif

void simdrop_nt_bytes_override(size_t bytes); /* src/dispatch.h: the internal test hook */

/* ---- buffers between inaccessible pages ---------------------------------------------------- */

#define SLOT_BYTES ((size_t)2 << 20) /* the largest buffer of the sweep: 4097 rows of 1 f64 41 apart */

static unsigned char *slot[5]; /* slot i: SLOT_BYTES readable and writable, a locked page each side */

static void slots_map(void)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < 5; i++) {
        unsigned char *m = mmap(NULL, SLOT_BYTES + 2 * page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) ||
            mprotect(m + page + SLOT_BYTES, page, PROT_NONE)) {
            printf("FAIL: cannot map guarded buffers\n");
            exit(1);
        }
        slot[i] = m + page;
        /* 0x3c3c...: a small positive number in every dtype. What the calls write there later
         * (outputs, masks, sums) is read back by other calls as any dtype, NaNs included: only
         * the addresses matter here. */
        memset(slot[i], 0x3c, SLOT_BYTES);
    }
}

/* Where a buffer of `bytes` goes in its slot: its last byte just before the page after
 * (AT_END), or its first just after the page before (AT_START). */
enum placement { AT_END, AT_START };

static void *place(int i, size_t bytes, int where)
{
    return where == AT_END ? slot[i] + SLOT_BYTES - bytes : slot[i];
}

/* ---- what a fault reports ------------------------------------------------------------------ */

static char calling[512]; /* the call under way, written before each call */

static void on_fault(int sig)
{
    static const char head[] = "FAIL: memory fault (a read or write outside a buffer) in ";
    (void)sig;
    if (write(STDOUT_FILENO, head, sizeof head - 1) < 0 ||
        write(STDOUT_FILENO, calling, strlen(calling)) < 0 || write(STDOUT_FILENO, "\n", 1) < 0)
        _exit(2);
    _exit(1);
}

/* ---- the sweep ----------------------------------------------------------------------------- */

/* One pass over the sizes: how the library is set, and which calls it makes. */
typedef struct sweep {
    const char *path;
    int nt;        /* non-temporal stores forced (simdrop_nt_bytes_override) */
    int threads;   /* each call split into two threads' tasks, however small */
    int variants;  /* also optional buffers NULL, and in place */
    int at_start;  /* also every buffer starting right after its page (else only ending at one) */
} sweep;

/* Calls e with shape s: every buffer placed `where`; optional buffers left out when
 * `drop_optional`, the first input that may alias the output passed as it when `in_place`; a
 * combination that would be the plain call again (nothing to drop or alias) is not made. */
static void call_placed(const entry *e, ent_shape s, const sweep *w, int where, int drop_optional,
                        int in_place)
{
    void *b[5] = {NULL, NULL, NULL, NULL, NULL};
    int changed = 0, aliased = 0;
    for (int i = 0; i < e->nargs; i++) {
        const size_t bytes = ent_bytes(e, i, s);
        if (bytes > SLOT_BYTES) {
            printf("FAIL: simdrop_%s: a buffer of %zu bytes does not fit its slot\n", e->name, bytes);
            exit(1);
        }
        if (drop_optional && e->arg[i].nullable && i > 0) {
            changed = 1;
            continue;
        }
        if (in_place && !aliased && ent_can_alias(e, i, s)) {
            b[i] = b[0];
            changed = aliased = 1;
            continue;
        }
        b[i] = place(i, bytes, where);
    }
    if ((drop_optional || in_place) && !changed)
        return;
    char shape[160];
    snprintf(calling, sizeof calling, "simdrop_%s shape %s, path %s, buffers at the %s of their "
             "pages, %s%s%s, %d thread(s)", e->name, ent_shape_text(e, s, shape, sizeof shape),
             w->path, where == AT_END ? "end" : "start", drop_optional ? "optional ones NULL, " : "",
             in_place ? "in place, " : "", w->nt ? "non-temporal stores" : "ordinary stores",
             w->threads);
    const int status = e->call(b, s, 0.3, 7, where == AT_END ? 1000003 : 5);
    CHECK(status == SIMDROP_OK, "%s: status %d (%s)", calling, status, simdrop_last_error());
}

/* The shapes of `units` units that entry e's family has: all in one row and one to a row, and
 * between; blocks get their window from the random bits (ent_block). */
static size_t shapes_of(const entry *e, size_t units, ent_shape *out)
{
    size_t k = 0;
    if (e->family == FAM_ELEMENT || e->family == FAM_MASK || e->family == FAM_BYTES) {
        out[k++] = ent_ab(units, 0);
    } else if (ent_is_nhwc(e)) {
        out[k++] = ent_abc(1, 1, units);
        out[k++] = ent_abc(units / 6, 2, 3);
        out[k++] = ent_abc(2, 3, units / 6);
        out[k++] = ent_abc(1, units / 5 + 1, 5);
    } else {
        const size_t rows_cols[5][2] = {{1, units}, {3, units / 3}, {units / 3, 3},
                                        {units / 17, 17}, {units, 1}};
        /* a block of many short rows moves its strides too: one of each above 4097 units */
        const size_t count = ent_is_block(e) && units > 4097 ? 2 : 5;
        for (size_t i = 0; i < count; i++) {
            /* (a group or row needs a column: none, none of them either) */
            out[k] = ent_ab(rows_cols[i][1] ? rows_cols[i][0] : 0, rows_cols[i][1]);
            if (ent_is_block(e))
                out[k] = ent_block(out[k], test_rand(), e->family == FAM_BDA_BLOCK);
            k++;
        }
    }
    return k;
}

/* Returns the calls made. */
static unsigned long sweep_sizes(const sweep *w, const size_t *sizes, size_t count)
{
    const unsigned long before = test_checks;
    simdrop_nt_bytes_override(w->nt ? 1 : 0);
    simdrop_set_num_threads(w->threads);
    simdrop_set_min_task_bytes(w->threads > 1 ? 1 : 0);
    for (size_t z = 0; z < count; z++)
        for (size_t i = 0; i < NENTRIES; i++) {
            ent_shape shapes[5];
            const size_t n = shapes_of(&entries[i], sizes[z], shapes);
            for (size_t k = 0; k < n; k++)
                for (int where = AT_END; where <= (w->at_start ? AT_START : AT_END); where++)
                    for (int variant = 0; variant < (w->variants ? 3 : 1); variant++)
                        call_placed(&entries[i], shapes[k], w, where, variant == 1, variant == 2);
        }
    simdrop_set_min_task_bytes(0);
    simdrop_set_num_threads(1);
    simdrop_nt_bytes_override(0);
    return test_checks - before;
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_bounds");
    const int small = getenv("SIMDROP_TEST_SMALL") && strcmp(getenv("SIMDROP_TEST_SMALL"), "0");
    slots_map();
    signal(SIGSEGV, on_fault);
    signal(SIGBUS, on_fault);

    /* 0..67: every head and tail of a 16-lane vector, a 32-element round and a 64-bit mask word;
     * then around 128 to 1024 (the kernels' unrolled steps), a generator block (4096) and the
     * small-call switch (16384, dispatch.c); SIMDROP_TEST_SMALL: to 40, and around 4096. */
    size_t sizes[96], count = 0;
    for (size_t n = 0; n <= (small ? 40u : 67u); n++)
        sizes[count++] = n;
    const size_t small_sizes = count;
    const size_t around[] = {128, 256, 512, 1024, 4096, 16384};
    for (size_t a = 0; a < sizeof around / sizeof around[0]; a++)
        if (!small || around[a] == 4096)
            for (size_t d = 0; d < 3; d++)
                sizes[count++] = around[a] - 1 + d;

    const char *paths[SIMDROP_PATH_COUNT];
    const size_t npaths = test_paths(paths, SIMDROP_PATH_COUNT);
    for (size_t i = 0; i < npaths; i++) {
        CHECK(simdrop_set_isa(paths[i]) == SIMDROP_OK, "set_isa %s", paths[i]);
        /* Every call, both placements and variants; the stores that bypass the cache, at the end
         * (where a tail is stored); two threads' task boundaries, in the sizes that have room. */
        /* A SIMDe twin (-simde) loads and stores its vectors' bytes where its native path
         * does, from the same template: its own tails, 0..40, suffice (an emulated AVX-512
         * twin took most of the run through every size). */
        const size_t upto = strstr(paths[i], "-simde") ? 41 : count;
        const sweep every = {paths[i], 0, 1, 1, 1}, streaming = {paths[i], 1, 1, 0, 0},
                    split = {paths[i], 0, 2, 0, 1};
        const unsigned long calls = sweep_sizes(&every, sizes, upto) +
                                    sweep_sizes(&streaming, sizes, upto) +
                                    sweep_sizes(&split, sizes + small_sizes,
                                                upto > small_sizes ? upto - small_sizes : 0);
        printf("  path %s: %lu calls\n", paths[i], calls);
    }
    simdrop_set_isa("auto");
    return test_finish("test_bounds");
}
