/* test_generator.c: splitmix64 and xoshiro128++ in kernels/spec/spec.h against the reference outputs. */
#include "common.h"
#include "spec/spec.h"

/* Reads the next line that is not a comment; returns 0 at end of file. */
static int next_line(FILE *f, char *buf, size_t size)
{
    while (fgets(buf, (int)size, f))
        if (buf[0] != '#' && buf[0] != '\n')
            return 1;
    return 0;
}

static FILE *open_vectors(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    return f;
}

static void check_splitmix64(const char *dir)
{
    FILE *f = open_vectors(dir, "splitmix64.txt");
    char line[8192];
    int streams = 0;
    while (next_line(f, line, sizeof line)) {
        uint64_t x;
        unsigned count;
        if (sscanf(line, "seed %" SCNx64, &x) != 1)
            continue;
        CHECK(next_line(f, line, sizeof line) && sscanf(line, "outputs %u", &count) == 1, "header");
        for (unsigned i = 0; i < count; i++) {
            uint64_t want = 0;
            CHECK(next_line(f, line, sizeof line) && sscanf(line, "%" SCNx64, &want) == 1, "line");
            const uint64_t got = simdrop_splitmix64_next(&x);
            CHECK(got == want, "splitmix64 stream %d output %u: %016" PRIx64 " != %016" PRIx64,
                  streams, i, got, want);
        }
        streams++;
    }
    CHECK(streams == 2, "expected 2 splitmix64 streams, read %d", streams);
    fclose(f);
}

static void check_xoshiro128pp(const char *dir)
{
    FILE *f = open_vectors(dir, "xoshiro128plusplus.txt");
    char line[8192];
    uint32_t s[4];
    unsigned count, checked = 0;
    CHECK(next_line(f, line, sizeof line) &&
              sscanf(line, "initial_state %" SCNx32 " %" SCNx32 " %" SCNx32 " %" SCNx32, &s[0],
                     &s[1], &s[2], &s[3]) == 4,
          "initial_state");
    /* The documented seeding: splitmix64 from 0x0123456789abcdef, low half first. */
    uint64_t x = 0x0123456789abcdefu;
    const uint64_t z0 = simdrop_splitmix64_next(&x), z1 = simdrop_splitmix64_next(&x);
    CHECK(s[0] == (uint32_t)z0 && s[1] == (uint32_t)(z0 >> 32) && s[2] == (uint32_t)z1 &&
              s[3] == (uint32_t)(z1 >> 32),
          "seeding through splitmix64 differs from the vector file");
    CHECK(next_line(f, line, sizeof line) && sscanf(line, "outputs %u", &count) == 1, "outputs");
    for (unsigned i = 0; i < count; i++, checked++) {
        uint32_t want = 0;
        CHECK(next_line(f, line, sizeof line) && sscanf(line, "%" SCNx32, &want) == 1, "line");
        const uint32_t got = simdrop_xoshiro128pp_next(s);
        CHECK(got == want, "xoshiro128++ output %u: %08" PRIx32 " != %08" PRIx32, i, got, want);
    }
    uint32_t before[4];
    CHECK(next_line(f, line, sizeof line) &&
              sscanf(line, "state_before_jump %" SCNx32 " %" SCNx32 " %" SCNx32 " %" SCNx32,
                     &before[0], &before[1], &before[2], &before[3]) == 4,
          "state_before_jump");
    CHECK(!memcmp(before, s, sizeof s), "state after %u outputs differs", count);
    CHECK(checked == 1000, "expected 1000 outputs, checked %u", checked);
    fclose(f);
}

/* The 16-lane round of spec.h is the reference generator run per lane. */
static void check_round_matches_lanes(void)
{
    simdrop_lanes st;
    simdrop_seed_block(&st, simdrop_seed_key(42), 7);
    uint32_t lanes[SIMDROP_LANES][4];
    for (unsigned j = 0; j < SIMDROP_LANES; j++)
        for (unsigned w = 0; w < 4; w++)
            lanes[j][w] = st.s[w][j];
    for (unsigned r = 0; r < 10; r++) {
        uint32_t out[SIMDROP_LANES];
        simdrop_round(&st, out);
        for (unsigned j = 0; j < SIMDROP_LANES; j++) {
            const uint32_t want = simdrop_xoshiro128pp_next(lanes[j]);
            CHECK(out[j] == want, "round %u lane %u", r, j);
        }
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    check_splitmix64(dir);
    check_xoshiro128pp(dir);
    check_round_matches_lanes();
    return test_finish("generator");
}
