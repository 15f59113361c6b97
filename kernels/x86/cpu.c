/* x86/cpu.c: which x86 features this CPU has and the OS saves the registers of (cpuid, XCR0). */
#include <cpuid.h>
#include <stddef.h>

#include "cpu.h"

/* This runs before anything knows what the CPU supports: vector code the compiler might generate
 * here on its own would be a crash on older machines. */
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__)
#error "x86/cpu.c must be compiled for the baseline ISA"
#endif

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static uint32_t bit(unsigned reg, unsigned k, uint32_t feature)
{
    return (reg >> k) & 1 ? feature : 0;
}

uint32_t simdrop_cpu_detect(void)
{
    uint32_t features = 0;
#ifdef __SSE2__
    features |= SIMDROP_CPU_SSE2; /* the compiler's baseline: x86-64 always has it */
#endif
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return features;
    /* cpuid says what the CPU has; XCR0 says whether the OS saves the registers on a context
     * switch. Without the second, the first AVX instruction faults. */
    const int osxsave = (c >> 27) & 1;
    const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    const int os_ymm = (xcr0 & 0x6) == 0x6;             /* XMM and YMM */
    const int os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (!os_ymm || !((c >> 28) & 1))
        return features; /* no AVX: nothing VEX- or EVEX-encoded runs */
    features |= SIMDROP_CPU_AVX | bit(c, 29, SIMDROP_CPU_F16C) | bit(c, 12, SIMDROP_CPU_FMA);
    if (__get_cpuid_max(0, NULL) < 7)
        return features;
    __cpuid_count(7, 0, a, b, c, d);
    features |= bit(b, 5, SIMDROP_CPU_AVX2);
    if (os_zmm) {
        features |= bit(b, 16, SIMDROP_CPU_AVX512F) | bit(b, 30, SIMDROP_CPU_AVX512BW) |
                    bit(b, 31, SIMDROP_CPU_AVX512VL) | bit(b, 17, SIMDROP_CPU_AVX512DQ) |
                    bit(d, 23, SIMDROP_CPU_AVX512FP16);
        const unsigned subleaves = a;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            features |= bit(a, 5, SIMDROP_CPU_AVX512BF16);
        }
    }
    return features;
}

int simdrop_cpu_is_intel(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547u && d == 0x49656e69u &&
           c == 0x6c65746eu; /* "GenuineIntel" */
}
