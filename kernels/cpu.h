/* cpu.h: the CPU features a kernel path can need, one bit each, and what every <arch>/cpu.c provides. */
#ifndef SIMDROP_CPU_H
#define SIMDROP_CPU_H

#include <stdint.h>

/* X(ID, "name") for every feature any architecture's detection reports. A feature is reported
 * only when the CPU has it AND the OS saves the registers it uses, so a path whose row in
 * meson.build's kernel table lists it under `needs` can run. The names are what
 * simdrop_cpu_feature_names() prints (the benchmark report's "this machine has") and what the
 * kernel table's `needs` column spells (in lower case; SIMDROP_CPU_<ID> is the bit). Baseline
 * features (sse2 on x86-64, neon on AArch64) are reported too, from the compiler's own target:
 * the library would not run at all without them. */
#define SIMDROP_CPU_FEATURES(X)                                                            \
    /* x86 (kernels/x86/cpu.c: cpuid, and XCR0 for the OS side) */                         \
    X(SSE2, "sse2")                                                                        \
    X(AVX, "avx")                                                                          \
    X(AVX2, "avx2")                                                                        \
    X(F16C, "f16c")                                                                        \
    X(FMA, "fma")                                                                          \
    X(AVX512F, "avx512f")                                                                  \
    X(AVX512BW, "avx512bw")                                                                \
    X(AVX512VL, "avx512vl")                                                                \
    X(AVX512DQ, "avx512dq")                                                                \
    X(AVX512BF16, "avx512bf16")                                                            \
    X(AVX512FP16, "avx512fp16")                                                            \
    /* AArch64 (kernels/arm/cpu.c: the kernel's HWCAP bits) */                             \
    X(NEON, "neon")                                                                        \
    X(FP16, "fp16")                                                                        \
    X(BF16, "bf16")                                                                        \
    X(SVE, "sve")                                                                          \
    X(SVE2, "sve2")                                                                        \
    /* RISC-V (kernels/riscv/cpu.c: the kernel's HWCAP bits, riscv_hwprobe) */             \
    X(RVV, "rvv")

#define SIMDROP_CPU_BIT_(id, name) SIMDROP_CPU_BIT_##id,
enum simdrop_cpu_bit { SIMDROP_CPU_FEATURES(SIMDROP_CPU_BIT_) SIMDROP_CPU_NFEATURES };
#undef SIMDROP_CPU_BIT_
#define SIMDROP_CPU_FLAG_(id, name) SIMDROP_CPU_##id = 1u << SIMDROP_CPU_BIT_##id,
enum simdrop_cpu_feature { SIMDROP_CPU_FEATURES(SIMDROP_CPU_FLAG_) };
#undef SIMDROP_CPU_FLAG_
/* (31, not 32: the flags are enum constants, which C11 keeps within int) */
_Static_assert(SIMDROP_CPU_NFEATURES <= 31, "the features are bits of a uint32_t, below bit 31");

/* Implemented once per architecture by kernels/<arch>/cpu.c (kernels/generic/cpu.c on hosts
 * without a folder), compiled at the baseline ISA like the dispatcher. Each does the work anew:
 * src/dispatch.c calls them once and keeps the answers. */
uint32_t simdrop_cpu_detect(void); /* the SIMDROP_CPU_* bits this CPU and OS can run */
int simdrop_cpu_is_intel(void);    /* 1 on a GenuineIntel CPU: the store rule differs there */

#endif /* SIMDROP_CPU_H */
