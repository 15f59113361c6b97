/* fuzz_diff.c: libFuzzer target: every public entry point (tests/entries.h) on every built path and 1..16 threads against the scalar path on one thread, bit for bit, in guarded buffers; scalar against the spec oracle.
 *
 * simdrop_set_min_task_bytes(1) splits even tiny calls across the threads; it links the static
 * library for the test hook simdrop_nt_bytes_override(1), which sends every output through the
 * kernels' non-temporal store branch.
 *
 * The input, little-endian; shorter inputs read as zero-padded, bytes past the header are the
 * data of the input buffers (repeated), or, with none, the data comes from the seed.
 *   0      entry: index into tests/entries.h, mod its count
 *   1      flags: bit 0 alias (the main output is an input that may be it: y == x, dx == dy,
 *          out == x or residual, dx == dout), bit 1 which one (out == residual), bits 2-5 the
 *          entry's nullable buffers NULL (bit 2 + k: its k-th nullable buffer), bit 6 non-temporal
 *          stores forced, bit 7 every call split across the threads (min task bytes 1)
 *   2      path: 0 = every runnable path, k = only the (k-1 mod count)-th; always vs scalar
 *   3      threads of the compared runs: 1 + (byte mod 16)
 *   4      modes: bits 0-1 offset, bits 2-4 p
 *   5-6    a: n (mod 12289), groups (mod 2049), rows (mod 257) or granules (mod 65)
 *   7-8    b: group_len (mod 70) or cols (mod 300); elements capped at 20000; a block's other
 *          fields (tests/entries.h, ent_block) come from splitmix64 of the seed
 *   9-11   misalignment of the five buffers, 4 bits each, in elements (typed) or bytes
 *   12-19  offset (mode 0 raw, 1 ending at or just before 2^64, 2 at a block edge, 3 small)
 *   20-27  p (mode 0 raw double bits, NaN and out of range included; 1 k/65536; 2 uniform;
 *          3 a special value; 4 a threshold rounding edge (k + 1/2)/65536 and its neighbours)
 *   28-35  seed */
#define _POSIX_C_SOURCE 200809L
#include "rel_common.h"
#include "dispatch.h"

#define HEADER 36
#define MAX_N 12289  /* three blocks and a bit */
#define MAX_ELEMS 20000

typedef struct input {
    rel_call c;
    int path, threads, nt, split;
    size_t mis[5];
    const uint8_t *data;
    size_t data_len;
} input;

static uint64_t le(const uint8_t *h, int at, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | h[at + i];
    return v;
}

static input decode(const uint8_t *data, size_t size)
{
    uint8_t h[HEADER] = {0};
    memcpy(h, data, size < HEADER ? size : HEADER);
    input in;
    memset(&in, 0, sizeof in);
    const entry *e = &entries[h[0] % NENTRIES];
    rel_call *c = &in.c;
    c->e = e;
    const size_t a = (size_t)le(h, 5, 2), b = (size_t)le(h, 7, 2);
    c->s = ent_ab(0, 0);
    if (ent_is_nhwc(e)) { /* samples, spatial, channels */
        c->s.a = a % 65;
        c->s.b = b % 40;
        c->s.c = (a >> 6) % 600;
        if (c->s.a * c->s.b * c->s.c > MAX_ELEMS)
            c->s.c = MAX_ELEMS / (c->s.a * c->s.b);
    } else if (ent_grouped(e)) {
        c->s.a = a % 2049;
        c->s.b = b % 70;
    } else if (e->family == FAM_BDA || ent_is_block(e)) {
        c->s.a = a % 257;
        c->s.b = b % 300;
    } else if (e->family == FAM_REDUCE) {
        c->s.a = a % 65;
        c->s.b = b % 300;
    } else {
        c->s.a = a % MAX_N;
    }
    if (c->s.b && c->s.a * c->s.b > MAX_ELEMS && !ent_is_nhwc(e))
        c->s.b = MAX_ELEMS / c->s.a;
    if (ent_is_block(e)) {
        uint64_t x = le(h, 28, 8);
        c->s = ent_block(c->s, simdrop_splitmix64_next(&x), e->kind != K_FORWARD);
    }
    /* nullable buffers, then at most one alias among the inputs still present */
    for (int i = 0, k = 0; i < e->nargs; i++)
        if (e->arg[i].nullable)
            c->null_arg[i] = h[1] >> (2 + k++) & 1;
    if (h[1] & 1) {
        int choices[5], count = 0;
        for (int i = 1; i < e->nargs; i++)
            if (ent_can_alias(e, i, c->s) && !c->null_arg[i])
                choices[count++] = i;
        if (count)
            c->alias = choices[(h[1] >> 1 & 1) % count];
    }
    in.nt = h[1] >> 6 & 1;
    in.split = h[1] >> 7 & 1;
    in.path = h[2];
    in.threads = 1 + h[3] % 16;
    const uint64_t units = ent_span(e, c->s), raw_offset = le(h, 12, 8), raw_p = le(h, 20, 8);
    switch (h[4] & 3) {
    case 0: c->offset = raw_offset; break;
    case 1: c->offset = (uint64_t)0 - units - raw_offset % 64; break;
    case 2: c->offset = (raw_offset >> 8) * SIMDROP_BLOCK - raw_offset % 256; break;
    default: c->offset = raw_offset % 100000; break;
    }
    static const double special[] = {0.0, 1.0, 0.5, 0x1p-16, 1 - 0x1p-16, 0x1p-17, 1e-6,
                                     0.999999, -0.0, 0.1, 0.9, 1 - 0x1p-17};
    const double edge = ((double)(raw_p % 65536) + 0.5) / 65536.0;
    switch (h[4] >> 2 & 7) {
    case 0: c->p = simdrop_u2d(raw_p); break;
    case 1: c->p = (double)(raw_p % 65537) / 65536.0; break;
    case 2: c->p = (double)(raw_p >> 11) * 0x1p-53; break;
    case 3: c->p = special[raw_p % (sizeof special / sizeof special[0])]; break;
    default: c->p = raw_p >> 32 & 1 ? nextafter(edge, raw_p >> 33 & 1 ? 2.0 : -1.0) : edge; break;
    }
    for (int i = 0; i < 5; i++)
        in.mis[i] = (size_t)(le(h, 9, 3) >> (4 * i) & 15);
    c->seed = le(h, 28, 8);
    in.data = size > HEADER ? data + HEADER : NULL;
    in.data_len = size > HEADER ? size - HEADER : 0;
    return in;
}

/* The input buffers: from the input's data bytes, else values and bytes from the seed. */
static void make_inputs(const input *in, void *buf[5])
{
    const rel_call *c = &in->c;
    for (int i = 0; i < 5; i++) {
        buf[i] = NULL;
        if (i >= c->e->nargs || c->e->arg[i].is_out || c->null_arg[i])
            continue;
        const size_t bytes = ent_bytes(c->e, i, c->s);
        buf[i] = rel_malloc(bytes);
        if (in->data_len) {
            for (size_t k = 0; k < bytes; k++)
                ((uint8_t *)buf[i])[k] = in->data[(k + (size_t)i * 7) % in->data_len];
        } else {
            test_rng_state = c->seed + (uint64_t)i;
            rel_fill_input(c->e, i, buf[i], c->s);
        }
    }
}

/* Runnable paths, scalar included (it runs threaded too), found once. */
static const char *paths[SIMDROP_PATH_COUNT];
static size_t npaths;

static void find_paths(void)
{
    if (!npaths)
        npaths = test_paths(paths, SIMDROP_PATH_COUNT);
}

static void report(const input *in, const char *path, const char *what)
{
    const rel_call *c = &in->c;
    char shape[120];
    fprintf(stderr,
            "fuzz_diff: %s on path %s, %d threads: %s shape=%s p=%a seed=%" PRIu64
            " offset=%" PRIu64 " null=%d%d%d%d%d alias=%d nt=%d split=%d mis=%zu/%zu/%zu/%zu/%zu\n",
            what, path, in->threads, c->e->name, ent_shape_text(c->e, c->s, shape, sizeof shape),
            c->p, c->seed, c->offset,
            c->null_arg[0], c->null_arg[1], c->null_arg[2], c->null_arg[3], c->null_arg[4],
            c->alias, in->nt, in->split, in->mis[0], in->mis[1], in->mis[2], in->mis[3],
            in->mis[4]);
    abort(); /* libFuzzer saves the input as a crash */
}

/* Data and guard zones of every buffer, as bytes: equal runs give equal images. */
static int same_buffers(const entry *e, const guarded *a, const guarded *b)
{
    for (int i = 0; i < e->nargs; i++)
        if (memcmp(a[i].data - GUARD_BYTES, b[i].data - GUARD_BYTES, a[i].size + 2 * GUARD_BYTES))
            return 0;
    return 1;
}

static void free_guarded(const entry *e, guarded *g)
{
    for (int i = 0; i < e->nargs; i++)
        guarded_free(&g[i]);
}

/* The scalar run against the spec oracle, so a bug shared by every path is caught too; a
 * failed call must have left every output canary. */
static void check_scalar(const input *in, void *const inputs[5], const guarded *g, int status)
{
    const rel_call *c = &in->c;
    const entry *e = c->e;
    for (int i = 0; i < e->nargs; i++) {
        if (!guarded_ok(&g[i]))
            report(in, "scalar", "guard bytes overwritten");
        if (status == SIMDROP_OK || !e->arg[i].is_out)
            continue;
        const int untouched = i == 0 && c->alias ? !memcmp(g[0].data, inputs[c->alias], g[0].size)
                                                 : bytes_all(g[i].data, g[i].size, 0xa5);
        if (!untouched)
            report(in, "scalar", "a failed call wrote");
    }
    if (status != SIMDROP_OK)
        return;
    void *out[5];
    rel_expected(c, inputs, out);
    for (int i = 0; i < e->nargs; i++)
        if (out[i] && memcmp(out[i], g[i].data, ent_bytes(e, i, c->s)))
            report(in, "scalar", "result differs from the spec oracle");
    rel_free5(out);
}

static int verbose; /* fuzz_replay -v: one line per input */

static void settings(int threads, int split, int nt)
{
    simdrop_set_num_threads(threads);
    simdrop_set_min_task_bytes(split ? 1 : 0);
    simdrop_nt_bytes_override(nt ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const input in = decode(data, size);
    const entry *e = in.c.e;
    find_paths();
    void *inputs[5];
    make_inputs(&in, inputs);
    if (simdrop_set_isa("scalar"))
        report(&in, "scalar", "cannot select");
    settings(1, 0, 0);
    guarded ref[5];
    const int ref_status = rel_run(&in.c, inputs, ref, in.mis);
    check_scalar(&in, inputs, ref, ref_status);
    if (verbose)
        printf("  %-34s shape %5zu,%-4zu p=%-10.4g offset=%-20" PRIu64 " threads %2d%s%s%s: %s\n",
               e->name, in.c.s.a, in.c.s.b, in.c.p, in.c.offset, in.threads,
               in.c.alias ? " alias" : "", in.nt ? " nt" : "", in.split ? " split" : "",
               simdrop_strerror(ref_status));
    for (size_t k = 0; k < npaths; k++) {
        if (in.path && k != (in.path - 1u) % npaths)
            continue;
        if (simdrop_set_isa(paths[k]))
            report(&in, paths[k], "cannot select");
        settings(in.threads, in.split, in.nt);
        guarded got[5];
        const int status = rel_run(&in.c, inputs, got, in.mis);
        settings(1, 0, 0);
        if (status != ref_status)
            report(&in, paths[k], "status differs from scalar");
        if (!same_buffers(e, ref, got))
            report(&in, paths[k], "buffers (data or guards) differ from scalar on one thread");
        free_guarded(e, got);
    }
    free_guarded(e, ref);
    rel_free5(inputs);
    return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Without libFuzzer (gcc, or the default test suite): run the files named on the command line,
 * or with --write-corpus DIR, write the seed corpus: inputs covering every entry point. */
#include <dirent.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static uint8_t buf[1 << 16];
    const size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    return 1;
}

static void put_le(uint8_t *h, int at, int bytes, uint64_t v)
{
    for (int i = 0; i < bytes; i++)
        h[at + i] = (uint8_t)(v >> (8 * i));
}

/* One input per entry point, the other fields spread over their modes (aliases, NULL optional
 * buffers, forced non-temporal stores, split calls, 1 to 16 threads, shapes crossing a block
 * or a mask byte, offsets near 2^64 and block edges, every p mode), plus a few bad calls. */
static int write_corpus(const char *dir)
{
    static const unsigned as[] = {1, 7, 33, 95, 300, 4097, 12, 3, 64, 1000, 9000, 40, 0};
    static const unsigned bs[] = {1, 3, 31, 2, 33, 5, 69, 7, 64, 1, 9, 299, 0};
    int count = 0;
    for (unsigned v = 0; v < NENTRIES + 8; v++) {
        uint8_t h[HEADER + 16] = {0};
        const unsigned ei = v % NENTRIES;
        h[0] = (uint8_t)ei;
        /* alias on odd variants; nullable buffers from the variant's bits; nt, split */
        h[1] = (uint8_t)((v & 1) | (v >> 1 & 1) << 1 | (v * 5 % 16) << 2 | (v % 3 == 0) << 6 |
                         (v % 4 != 3) << 7);
        if (v >= NENTRIES) /* the extra ones: bad p (raw NaN bits) and ranges past 2^64 */
            h[1] = (uint8_t)(h[1] & 0xc3);
        h[2] = 0;
        h[3] = (uint8_t)(v * 7 % 16);
        const unsigned pmode = v >= NENTRIES ? 0 : 1 + v % 4;
        h[4] = (uint8_t)(v % 4 | pmode << 2);
        put_le(h, 5, 2, as[v * 5 % 13]);
        put_le(h, 7, 2, bs[(v * 7 + 3) % 13]);
        put_le(h, 9, 3, 0x5a3c1fu * (v + 1));
        put_le(h, 12, 8, 0x9e3779b97f4a7c15u * (v + 1));
        put_le(h, 20, 8, v >= NENTRIES ? (v % 2 ? 0x7ff8000000000000u : 0xbff0000000000000u)
                                       : 0x3fd5555555555555u + v * 0x0123456789abu);
        put_le(h, 28, 8, (uint64_t)v * 1000003u);
        const size_t len = v % 2 ? HEADER + 16 : HEADER;
        for (size_t i = HEADER; i < len; i++)
            h[i] = (uint8_t)(i * 37 + v);
        char name[512];
        snprintf(name, sizeof name, "%s/%s-%u", dir, entries[ei].name, v / (unsigned)NENTRIES);
        FILE *f = fopen(name, "wb");
        if (!f || fwrite(h, 1, len, f) != len) {
            perror(name);
            return 1;
        }
        fclose(f);
        count++;
    }
    printf("wrote %d inputs to %s\n", count, dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
        return write_corpus(argv[2]);
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = 1;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            CHECK(replay_file(argv[i]), "cannot read %s", argv[i]);
            runs++;
            continue;
        }
        for (struct dirent *e; (e = readdir(d));) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (e->d_name[0] == '.')
                continue;
            CHECK(replay_file(path), "cannot read %s", path); /* a mismatch aborts inside */
            runs++;
        }
        closedir(d);
    }
    /* Every mismatch aborts, so reaching here means every input agreed on every path. */
    printf("fuzz_replay: %zu inputs, %zu paths (on 1..16 threads) against scalar on one\n", runs,
           npaths);
    CHECK(runs > 0, "no inputs found");
    return test_finish("fuzz_replay");
}
#endif
