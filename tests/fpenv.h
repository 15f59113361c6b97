/* fpenv.h: the tests' floating-point environments: the C rounding modes, and flush-to-zero where the CPU has it (x86-64 MXCSR FTZ + DAZ, AArch64 FPCR.FZ). */
#ifndef SIMDROP_TEST_FPENV_H
#define SIMDROP_TEST_FPENV_H

#include <fenv.h>
#include <stdint.h>
#include <stdio.h>

/* The four IEEE rounding directions, where <fenv.h> has them (every target the suite runs on). */
typedef struct test_rounding {
    int mode;
    const char *name;
} test_rounding;

static const test_rounding test_roundings[] = {
    {FE_TONEAREST, "to nearest"},
#ifdef FE_UPWARD
    {FE_UPWARD, "upward"},
#endif
#ifdef FE_DOWNWARD
    {FE_DOWNWARD, "downward"},
#endif
#ifdef FE_TOWARDZERO
    {FE_TOWARDZERO, "toward zero"},
#endif
};
#define TEST_NROUNDINGS (sizeof test_roundings / sizeof test_roundings[0])

/* Flush-to-zero: on x86-64 both MXCSR bits (FTZ flushes subnormal results, DAZ reads subnormal
 * operands as zero: what torch.set_flush_denormal(True) sets), on AArch64 FPCR.FZ (both at once)
 * with AHP (alternative half precision: binary16 read without Inf and NaN by the native
 * conversions), another FPCR bit a caller may set that could change a result bit (DN, default
 * NaN, the spec assumes off; FZ16 needs FEAT_FP16).
 * test_set_ftz returns whether the setting took: other targets have none, and valgrind keeps
 * neither bit (it computes without them and reads them back as 0). */
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#define TEST_HAS_FTZ 1
#define TEST_FTZ_NAME ", flush-to-zero"
#define TEST_FTZ_BITS 0x8040u
static inline int test_ftz(void)
{
    return (_mm_getcsr() & TEST_FTZ_BITS) == TEST_FTZ_BITS;
}
static inline int test_set_ftz(int on)
{
    const unsigned m = _mm_getcsr();
    _mm_setcsr(on ? m | TEST_FTZ_BITS : m & ~TEST_FTZ_BITS);
    return test_ftz() == on;
}
#elif defined(__aarch64__) && defined(__GNUC__)
#define TEST_HAS_FTZ 1
#define TEST_FPCR_BITS (UINT64_C(1) << 24 | UINT64_C(1) << 26) /* FZ, AHP */
#define TEST_FTZ_NAME ", flush-to-zero, alternative half precision"
static inline uint64_t test_fpcr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
static inline int test_ftz(void)
{
    return (test_fpcr() & TEST_FPCR_BITS) == TEST_FPCR_BITS;
}
static inline int test_set_ftz(int on)
{
    const uint64_t v = test_fpcr();
    const uint64_t w = on ? v | TEST_FPCR_BITS : v & ~TEST_FPCR_BITS;
    __asm__ volatile("msr fpcr, %0" : : "r"(w));
    return test_ftz() == on;
}
#else
#define TEST_HAS_FTZ 0
#define TEST_FTZ_NAME ""
static inline int test_set_ftz(int on)
{
    return !on;
}
static inline int test_ftz(void)
{
    return 0;
}
#endif

/* One environment of the sweeps: a rounding mode, with or without flush-to-zero. */
typedef struct test_fpenv {
    int rounding; /* index into test_roundings */
    int ftz;
} test_fpenv;

/* Every environment this target has: each rounding mode without flush-to-zero, then with it. */
static inline size_t test_fpenvs(test_fpenv *out, size_t max)
{
    size_t n = 0;
    for (int ftz = 0; ftz <= TEST_HAS_FTZ; ftz++)
        for (size_t r = 0; r < TEST_NROUNDINGS && n < max; r++)
            out[n++] = (test_fpenv){(int)r, ftz};
    return n;
}

static inline void test_fpenv_name(test_fpenv e, char *buf, size_t len)
{
    snprintf(buf, len, "rounding %s%s", test_roundings[e.rounding].name,
             e.ftz ? TEST_FTZ_NAME : "");
}

/* Whether flush-to-zero can be set here (it is left off). */
static inline int test_ftz_settable(void)
{
    const int ok = test_set_ftz(1);
    test_set_ftz(0);
    return ok;
}

/* Enters e on this thread; returns 0 if the target refused it. */
static inline int test_fpenv_enter(test_fpenv e)
{
    return fesetround(test_roundings[e.rounding].mode) == 0 && test_set_ftz(e.ftz);
}

static inline void test_fpenv_default(void)
{
    fesetround(FE_TONEAREST);
    test_set_ftz(0);
}

#endif
