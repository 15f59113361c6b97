/* clang14_cpu_supports.h: force-included (-include) into the clang builds of .ci/sanitizers.sh and
 * .ci/fuzz.sh. clang 14 (Debian 12) rejects __builtin_cpu_supports("f16c"), which
 * tests/checkasm.c asks for, so those builds would stop there; this maps the builtin to CPUID for
 * that one feature and aborts for any other. It includes no header (it comes before each file's
 * feature-test macros). Harmless once checkasm asks CPUID itself: then nothing expands it, and
 * the shim can go. */
#ifndef SIMDROP_CLANG14_CPU_SUPPORTS_H
#define SIMDROP_CLANG14_CPU_SUPPORTS_H
#if defined(__clang__) && __clang_major__ < 15 && defined(__x86_64__)
static inline int simdrop_ci_cpu_supports(const char *feature)
{
    unsigned a = 1, b, c = 0, d;
    if (__builtin_strcmp(feature, "f16c") != 0)
        __builtin_abort(); /* only the feature the shim was written for */
    __asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    (void)b, (void)d;
    return (int)(c >> 29 & 1); /* CPUID.1:ECX.F16C */
}
#define __builtin_cpu_supports(feature) simdrop_ci_cpu_supports(feature)
#endif
#endif
