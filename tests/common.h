/* common.h: the small test harness shared by simdrop's tests: checks, seeded RNG, guarded buffers. */
#ifndef SIMDROP_TEST_COMMON_H
#define SIMDROP_TEST_COMMON_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdrop.h"
#include "simdrop_paths.h" /* the paths of meson.build's kernel table, generated */
#include "spec/values.h"   /* bit casts */

static unsigned long test_checks, test_failures;

/* Whether NaN results carry the operands' payloads (MASK_SPEC.md 4.1): they do on CPUs whose
 * operations return their NaN operand (x86-64, AArch64, s390x). RISC-V returns the canonical NaN
 * from every operation, scalar and vector alike, so there a NaN result is only a NaN. */
#if defined(__riscv)
#define TEST_NAN_PAYLOADS 0
#else
#define TEST_NAN_PAYLOADS 1
#endif

/* Whether element i of a dtype's array (DT_F32, DT_F64, DT_BF16, DT_F16) is a NaN. */
static inline int test_is_nan(int dt, const void *p, size_t i)
{
    const unsigned char *b = (const unsigned char *)p;
    if (dt == DT_F64) {
        uint64_t u;
        memcpy(&u, b + 8 * i, 8);
        return (u & 0x7fffffffffffffffu) > 0x7ff0000000000000u;
    }
    if (dt == DT_F32) {
        uint32_t u;
        memcpy(&u, b + 4 * i, 4);
        return (u & 0x7fffffffu) > 0x7f800000u;
    }
    uint16_t h;
    memcpy(&h, b + 2 * i, 2);
    return dt == DT_BF16 ? (h & 0x7fffu) > 0x7f80u : (h & 0x7fffu) > 0x7c00u;
}

/* Records one assertion; prints the failing expression with a printf-style context. */
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        test_checks++;                                                                     \
        if (!(cond)) {                                                                     \
            test_failures++;                                                               \
            if (test_failures <= 20) {                                                     \
                fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);          \
                fprintf(stderr, __VA_ARGS__);                                              \
                fputc('\n', stderr);                                                       \
            }                                                                              \
        }                                                                                  \
    } while (0)

/* Ends a test program with a closing line and the exit status meson reads. */
static inline int test_finish(const char *name)
{
    printf("%s: %lu checks, %lu passed, %lu failed\n", name, test_checks,
           test_checks - test_failures, test_failures);
    return test_failures ? 1 : 0;
}

/* splitmix64 as the tests' own RNG: independent of the library's streams by construction. */
static uint64_t test_rng_state;
static inline uint64_t test_rand(void)
{
    uint64_t z = (test_rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static inline uint64_t test_below(uint64_t bound) /* uniform enough for tests, bound > 0 */
{
    return test_rand() % bound;
}
static inline double test_unit(void)
{
    return (double)(test_rand() >> 11) * 0x1.0p-53;
}

/* A numeric option: `prog FLAG N` wins over the environment variable ENV, which wins over
 * `fallback`. */
static inline uint64_t test_option(int argc, char **argv, const char *flag, const char *env,
                                   uint64_t fallback)
{
    uint64_t value = fallback;
    const char *from_env = getenv(env);
    if (from_env && *from_env)
        value = strtoull(from_env, NULL, 0);
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], flag))
            value = strtoull(argv[i + 1], NULL, 0);
    return value;
}

/* Random tests print their seed and take it back: `prog --seed N` or SIMDROP_TEST_SEED=N. */
static inline uint64_t test_seed_init(int argc, char **argv, const char *name)
{
    const uint64_t seed = test_option(argc, argv, "--seed", "SIMDROP_TEST_SEED",
                                      (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32));
    printf("%s: seed %" PRIu64 " (rerun with --seed %" PRIu64 ")\n", name, seed, seed);
    test_rng_state = seed;
    return seed;
}

/* A buffer of `size` bytes between guard zones, all pre-filled with a canary byte, placed at a
 * chosen misalignment from a 64-byte boundary. guarded_ok() says whether the guards survived. */
#define GUARD_BYTES 64
typedef struct guarded {
    unsigned char *base;
    unsigned char *data;
    size_t size;
    unsigned char canary;
} guarded;

static inline guarded guarded_new(size_t size, size_t misalign, unsigned char canary)
{
    guarded g;
    g.base = (unsigned char *)malloc(size + 2 * GUARD_BYTES + 64 + 64);
    if (!g.base) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    const uintptr_t start = ((uintptr_t)g.base + GUARD_BYTES + 63) & ~(uintptr_t)63;
    g.data = (unsigned char *)start + misalign % 64;
    g.size = size;
    g.canary = canary;
    memset(g.base, canary, size + 2 * GUARD_BYTES + 64 + 64);
    return g;
}

static inline int guarded_ok(const guarded *g)
{
    for (size_t i = 1; i <= GUARD_BYTES; i++)
        if (g->data[-(ptrdiff_t)i] != g->canary || g->data[g->size + i - 1] != g->canary)
            return 0;
    return 1;
}

static inline int bytes_all(const void *p, size_t n, unsigned char v)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return 0;
    return 1;
}

static inline void guarded_free(guarded *g)
{
    free(g->base);
    g->base = g->data = NULL;
}

/* Every path this build and CPU can run (out[] has room for max; SIMDROP_PATH_COUNT always
 * suffices); prints the ones it has to skip. Never drops a path quietly: too small an array
 * ends the test. With SIMDROP_ISA naming a runnable path, that path alone, said on stdout:
 * .ci/sanitizers.sh runs the suite once per path that way, and each run is there for its own
 * path (the tests that loop over the paths ran all of them in every run before, six times the
 * same work under ASan). The tests take the scalar reference by name, never from this list. */
static inline size_t test_paths(const char **out, size_t max)
{
    const char *forced = getenv("SIMDROP_ISA");
    if (forced && simdrop_isa_supported(forced) == 1 && max > 0) {
        for (const char *const *name = simdrop_isa_list(); *name; name++)
            if (!strcmp(*name, forced)) {
                printf("  SIMDROP_ISA=%s: that path alone\n", forced);
                out[0] = *name;
                return 1;
            }
    }
    size_t count = 0;
    for (const char *const *name = simdrop_isa_list(); *name; name++) {
        if (simdrop_isa_supported(*name) != 1) {
            printf("  path %s is built but this CPU cannot run it: skipped\n", *name);
        } else if (count == max) {
            printf("FAIL: more than %zu runnable paths: size the array SIMDROP_PATH_COUNT\n", max);
            exit(1);
        } else {
            out[count++] = *name;
        }
    }
    return count;
}

static inline size_t mask_len(size_t n)
{
    return (n + 7) / 8;
}

#define f2u simdrop_f2u
#define u2f simdrop_u2f

#endif
