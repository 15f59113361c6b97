/* fuzz_diff.c: libFuzzer target: every built path against the scalar path, bit for bit, in guarded buffers. */
#define _POSIX_C_SOURCE 200809L
#include "rel_common.h"

/* The input, little-endian; shorter inputs read as zero-padded, bytes past the header are the
 * data of the input buffers (repeated), or, with none, data comes from the seed.
 *   0      operation (rel_ops index, mod OP_COUNT)
 *   1      flags: bit 0 in place (y == x, dx == dy), bit 1 forward without a mask,
 *          bits 2-3 offset mode, bits 4-6 p mode
 *   2      path: 0 = every runnable path, k = only the (k-1 mod count)-th, always vs scalar
 *   3-4    n, taken mod MAX_N
 *   5-12   offset (mode 0 raw, 1 ending at or just before 2^64, 2 at a block edge, 3 small)
 *   13-14  misalignment of the three buffers, 4 bits each: float buffers in floats, masks in
 *          bytes, from a 64-byte boundary
 *   15-22  p (mode 0 raw double bits, NaN and out of range included; 1 k/65536; 2 uniform;
 *          3 a special value; 4 a threshold rounding edge (k + 1/2)/65536 and its neighbours)
 *   23-30  seed */
#define HEADER 31
#define MAX_N 12289 /* three blocks and a bit */

typedef struct input {
    int op, in_place, no_mask, path;
    size_t n, misalign[3];
    double p;
    uint64_t seed, offset;
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

static double bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static input decode(const uint8_t *data, size_t size)
{
    uint8_t h[HEADER] = {0};
    memcpy(h, data, size < HEADER ? size : HEADER);
    input in;
    in.op = h[0] % OP_COUNT;
    in.in_place = h[1] & 1;
    in.no_mask = h[1] >> 1 & 1;
    in.path = h[2];
    in.n = (size_t)(le(h, 3, 2) % MAX_N);
    const uint64_t raw_offset = le(h, 5, 8), raw_p = le(h, 15, 8);
    switch (h[1] >> 2 & 3) {
    case 0: in.offset = raw_offset; break;
    case 1: in.offset = (uint64_t)0 - in.n - raw_offset % 64; break;
    case 2: in.offset = (raw_offset >> 8) * SIMDROP_BLOCK - raw_offset % 256; break;
    default: in.offset = raw_offset % 100000; break;
    }
    static const double special[] = {0.0, 1.0, 0.5, 0x1p-16, 1 - 0x1p-16, 0x1p-17, 1e-6,
                                     0.999999, -0.0, 0.1, 0.9, 1 - 0x1p-17};
    const double edge = ((double)(raw_p % 65536) + 0.5) / 65536.0;
    switch (h[1] >> 4 & 7) {
    case 0: in.p = bits_to_double(raw_p); break;
    case 1: in.p = (double)(raw_p % 65537) / 65536.0; break;
    case 2: in.p = (double)(raw_p >> 11) * 0x1p-53; break;
    case 3: in.p = special[raw_p % (sizeof special / sizeof special[0])]; break;
    default: in.p = raw_p >> 32 & 1 ? nextafter(edge, raw_p >> 33 & 1 ? 2.0 : -1.0) : edge; break;
    }
    for (int i = 0; i < 3; i++)
        in.misalign[i] = (size_t)(le(h, 13, 2) >> (4 * i) & 15);
    in.seed = le(h, 23, 8);
    in.data = size > HEADER ? data + HEADER : NULL;
    in.data_len = size > HEADER ? size - HEADER : 0;
    return in;
}

/* Runnable paths, scalar excluded (it is the reference), found once. */
static const char *paths[16];
static size_t npaths;

static void find_paths(void)
{
    if (npaths)
        return;
    for (const char *const *l = simdrop_isa_list(); *l && npaths < 16; l++)
        if (strcmp(*l, "scalar") && simdrop_isa_supported(*l) == 1)
            paths[npaths++] = *l;
}

/* The buffers of one run: inputs filled from the input's data, outputs all canary. */
typedef struct run {
    guarded buf[3];
    void *arg[3];
    int status;
} run;

static void prepare(const input *in, run *r)
{
    const rel_op *d = &rel_ops[in->op];
    for (int i = 0; i < d->nargs; i++) {
        const size_t bytes = rel_bytes(d->arg[i].kind, in->n);
        const size_t mis = in->misalign[i] * (d->arg[i].kind == REL_F32 ? 4 : 1);
        r->buf[i] = guarded_new(bytes, mis, 0xa5);
        r->arg[i] = r->buf[i].data;
        if (d->arg[i].is_out)
            continue;
        if (in->data_len) {
            for (size_t k = 0; k < bytes; k++)
                r->buf[i].data[k] = in->data[(k + (size_t)i * 7) % in->data_len];
        } else if (d->arg[i].kind == REL_F32) {
            test_rng_state = in->seed + (uint64_t)i;
            rel_fill_floats(r->arg[i], in->n);
        } else {
            test_rng_state = in->seed + (uint64_t)i;
            rel_fill_bytes(r->arg[i], bytes);
        }
    }
    if (in->op == OP_FORWARD && in->no_mask)
        r->arg[1] = NULL;
    const int src = in->op == OP_FORWARD ? 2 : 1;
    if (in->in_place && d->arg[0].kind == REL_F32 && d->nargs > src &&
        d->arg[src].kind == REL_F32) {
        memcpy(r->arg[0], r->arg[src], in->n * sizeof(float));
        r->arg[src] = r->arg[0];
    }
}

static void run_on(const input *in, run *r)
{
    prepare(in, r);
    r->status = rel_invoke(in->op, r->arg, in->n, in->p, in->seed, in->offset);
}

static void run_free(const input *in, run *r)
{
    for (int i = 0; i < rel_ops[in->op].nargs; i++)
        guarded_free(&r->buf[i]);
}

static void report(const input *in, const char *path, const char *what)
{
    fprintf(stderr,
            "fuzz_diff: %s on path %s: %s n=%zu p=%a seed=%" PRIu64 " offset=%" PRIu64
            " in_place=%d no_mask=%d misalign=%zu/%zu/%zu\n",
            what, path, rel_ops[in->op].name, in->n, in->p, in->seed, in->offset, in->in_place,
            in->no_mask, in->misalign[0], in->misalign[1], in->misalign[2]);
    abort(); /* libFuzzer saves the input as a crash */
}

/* Guard zones and data of every buffer, as bytes: equal runs give equal images. */
static int same_buffers(const input *in, const run *a, const run *b)
{
    for (int i = 0; i < rel_ops[in->op].nargs; i++) {
        const size_t len = a->buf[i].size + 2 * GUARD_BYTES;
        if (memcmp(a->buf[i].data - GUARD_BYTES, b->buf[i].data - GUARD_BYTES, len))
            return 0;
    }
    return 1;
}

/* The scalar run against the spec.h oracle, so a bug shared by every path is caught too. */
static void check_scalar(const input *in, const run *r)
{
    const rel_op *d = &rel_ops[in->op];
    for (int i = 0; i < d->nargs; i++)
        if (!guarded_ok(&r->buf[i]))
            report(in, "scalar", "guard bytes overwritten");
    if (r->status != SIMDROP_OK || !in->n)
        return;
    input apart = *in; /* the inputs as they were before an in-place call */
    apart.in_place = 0;
    run inputs;
    prepare(&apart, &inputs);
    void *out[3] = {NULL, NULL, NULL};
    const void *src[3] = {NULL, NULL, NULL};
    for (int i = 0; i < d->nargs; i++) {
        if (!d->arg[i].is_out)
            src[i] = inputs.buf[i].data;
        else if (r->arg[i])
            out[i] = malloc(rel_bytes(d->arg[i].kind, in->n));
    }
    rel_reference(in->op, out, src, in->n, in->p, in->seed, in->offset);
    for (int i = 0; i < d->nargs; i++) {
        if (out[i] && memcmp(out[i], r->arg[i], rel_bytes(d->arg[i].kind, in->n)))
            report(in, "scalar", "result differs from the spec.h oracle");
        free(out[i]);
    }
    run_free(&apart, &inputs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const input in = decode(data, size);
    find_paths();
    if (simdrop_set_isa("scalar"))
        report(&in, "scalar", "cannot select");
    run ref;
    run_on(&in, &ref);
    check_scalar(&in, &ref);
    for (size_t k = 0; k < npaths; k++) {
        if (in.path && k != (in.path - 1u) % npaths)
            continue;
        if (simdrop_set_isa(paths[k]))
            report(&in, paths[k], "cannot select");
        run r;
        run_on(&in, &r);
        if (r.status != ref.status)
            report(&in, paths[k], "status differs from scalar");
        if (!same_buffers(&in, &r, &ref))
            report(&in, paths[k], "buffers (data or guards) differ from scalar");
        run_free(&in, &r);
    }
    run_free(&in, &ref);
    return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Without libFuzzer (gcc, or the default test suite): run the files named on the command line,
 * or with --write-corpus DIR, write the seed corpus: one input per interesting shape. */
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

static int write_corpus(const char *dir)
{
    /* op x {in place, no mask} x n x offset mode x p mode: a spread, not a product. */
    static const unsigned ns[] = {0, 1, 7, 31, 32, 33, 95, 4095, 4096, 4097, 8192 + 77, 12288};
    int count = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        for (unsigned v = 0; v < 8; v++) {
            uint8_t h[HEADER + 8] = {0};
            h[0] = (uint8_t)op;
            h[1] = (uint8_t)((v & 1) | (v == 2) << 1 | (v % 4) << 2 | (v % 5) << 4);
            h[2] = 0;
            put_le(h, 3, 2, ns[(op * 5 + v * 3) % 12]);
            put_le(h, 5, 8, 0x9e3779b97f4a7c15u * (v + 1) + (uint64_t)op);
            put_le(h, 13, 2, 0x1f3u * (v + 1));
            put_le(h, 15, 8, v == 5 ? 0x7ff8000000000000u : 0x3fd5555555555555u + v);
            put_le(h, 23, 8, (uint64_t)v * 1000003u + (uint64_t)op);
            /* Half the inputs carry their own data bytes, half take it from the seed. */
            const size_t len = v % 2 ? HEADER + 8 : HEADER;
            for (size_t i = HEADER; i < len; i++)
                h[i] = (uint8_t)(i * 37 + v);
            char name[512];
            snprintf(name, sizeof name, "%s/%s-%u", dir, rel_ops[op].name, v);
            FILE *f = fopen(name, "wb");
            if (!f || fwrite(h, 1, len, f) != len) {
                perror(name);
                return 1;
            }
            fclose(f);
            count++;
        }
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
    printf("fuzz_replay: %zu inputs, %zu paths against scalar\n", runs, npaths);
    CHECK(runs > 0, "no inputs found");
    return test_finish("fuzz_replay");
}
#endif
