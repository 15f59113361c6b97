/* test_api_snippets.c: the examples docs/API.md marks as snippets, compiled and run: the version check and the swap-safe call pattern. */
#include "common.h"

/* The version check reads the running library's version; here it reads the version this test
 * plays, to try it against older, equal, newer and next-major libraries. */
static unsigned played_number;
static char played_string[32];
static unsigned play_version_number(void)
{
    return played_number;
}
static const char *play_version(void)
{
    return played_string;
}
#define simdrop_version_number play_version_number
#define simdrop_version play_version
#include "api_snippets.h"
#undef simdrop_version_number
#undef simdrop_version

static void play(unsigned major, unsigned minor, unsigned patch)
{
    played_number = major * 10000 + minor * 100 + patch;
    snprintf(played_string, sizeof played_string, "%u.%u.%u", major, minor, patch);
}

static void version_check(void)
{
#ifdef SNIPPET_VERSION_CHECK
    const unsigned M = SIMDROP_VERSION_MAJOR, m = SIMDROP_VERSION_MINOR, p = SIMDROP_VERSION_PATCH;
    /* running library: accepted? (the header is M.m.p) */
    const struct { unsigned major, minor, patch; int accept; } cases[] = {
        {M, m, p, 1}, {M, m, p + 1, 1}, {M, m + 1, 0, 1}, {M, 99, 99, 1},
        {M + 1, 0, 0, 0}, {M + 1, m, p, 0}, {M - 1, 99, 99, 0}, {0, 0, 0, 0},
        {M, m ? m - 1 : 0, m ? 99 : 0, m == 0}, /* the minor release before */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        play(cases[i].major, cases[i].minor, cases[i].patch);
        printf("  version check: header %s, library %s: %s expected\n", SIMDROP_VERSION_STRING,
               played_string, cases[i].accept ? "accept" : "refuse");
        fflush(stdout);
        const int refused = snippet_version_check();
        CHECK(refused == !cases[i].accept, "docs/API.md's version check %s library %s with "
              "header %s", refused ? "refuses" : "accepts", played_string, SIMDROP_VERSION_STRING);
    }
    /* and the real library */
    played_number = simdrop_version_number();
    snprintf(played_string, sizeof played_string, "%s", simdrop_version());
    CHECK(snippet_version_check() == 0, "the version check refuses this library %s",
          simdrop_version());
#else
    CHECK(0, "docs/API.md has no version_check snippet");
#endif
}

static void swap_safe(void)
{
#ifdef SNIPPET_SWAP_SAFE
    enum { N = 2, C = 3, H = 2, W = 5, ELEMS = N * C * H * W };
    float x[ELEMS], y1[ELEMS], y2[ELEMS], y3[ELEMS];
    uint8_t m1[1], m2[2], m3[2];
    for (int i = 0; i < ELEMS; i++)
        x[i] = (float)(i + 1);
    const uint64_t seed = 0x1234, step = 7;
    /* The pattern gives the direct call's bits... */
    CHECK(dropout2d_f32(y1, m1, x, (drop_groups){.groups = N * C, .group_len = H * W}, 0.5,
                        (drop_stream){.seed = seed, .offset = step * N * C}) == SIMDROP_OK,
          "the wrapper's call");
    CHECK(simdrop_forward_groups_f32(y2, m2, x, N * C, H * W, 0.5, seed, step * N * C) ==
              SIMDROP_OK && !memcmp(y1, y2, sizeof y1) && m1[0] == m2[0],
          "the wrapper and the direct call differ");
    /* ...while the swaps it guards against pass every check and give other bits. */
    CHECK(simdrop_forward_groups_f32(y3, m3, x, H * W, N * C, 0.5, seed, step * N * C) ==
              SIMDROP_OK && memcmp(y1, y3, sizeof y1), "groups and group_len swapped");
    CHECK(simdrop_forward_groups_f32(y3, m3, x, N * C, H * W, 0.5, step * N * C, seed) ==
              SIMDROP_OK && memcmp(y1, y3, sizeof y1), "seed and offset swapped");
#else
    CHECK(0, "docs/API.md has no swap_safe snippet");
#endif
}

int main(void)
{
    version_check();
    swap_safe();
    return test_finish("api_snippets");
}
