/* arm/cpu.c: which AArch64 features this CPU and OS can run, from the kernel's HWCAP bits. */
#include "cpu.h"

#if defined(__linux__)
#include <sys/auxv.h> /* getauxval, AT_HWCAP, AT_HWCAP2, and glibc's HWCAP_* bits */
#endif

/* This runs before anything knows what the CPU supports (the dispatcher's rule, see x86/cpu.c). */
#if defined(__ARM_FEATURE_SVE) || defined(__ARM_FEATURE_SVE2)
#error "arm/cpu.c must be compiled for the baseline ISA"
#endif

/* The kernel's bit numbers (arch/arm64/include/uapi/asm/hwcap.h), for C libraries that do not
 * name them all. The kernel sets a bit only when it also saves the registers (SVE's Z and P). */
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1ul << 10)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1ul << 22)
#endif
#ifndef HWCAP2_SVE2
#define HWCAP2_SVE2 (1ul << 1)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1ul << 14)
#endif

uint32_t simdrop_cpu_detect(void)
{
    uint32_t features = 0;
#if defined(__ARM_NEON)
    /* Advanced SIMD (with its binary16 conversions) is part of the AArch64 baseline: every
     * AArch64 compiler assumes it, so it needs no asking. */
    features |= SIMDROP_CPU_NEON;
#endif
#if defined(__linux__) && defined(AT_HWCAP) && defined(AT_HWCAP2)
    const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    if (hw & HWCAP_ASIMDHP)
        features |= SIMDROP_CPU_FP16; /* half-precision arithmetic in Advanced SIMD */
    if (hw2 & HWCAP2_BF16)
        features |= SIMDROP_CPU_BF16;
    if (hw & HWCAP_SVE)
        features |= SIMDROP_CPU_SVE;
    if (hw2 & HWCAP2_SVE2)
        features |= SIMDROP_CPU_SVE2;
#endif
    return features;
}

int simdrop_cpu_is_intel(void)
{
    return 0;
}
