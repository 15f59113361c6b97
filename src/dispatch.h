/* dispatch.h: the kernel path in use, chosen once from the CPU and SIMDROP_ISA; the store policy. */
#ifndef SIMDROP_DISPATCH_H
#define SIMDROP_DISPATCH_H

#include "template/kernel.h"

/* The active path for a call of `elements` elements (auto picks another path for small calls
 * on some CPUs: dispatch.c's SMALL_CALL); resolves it on first use. Returns NULL and sets
 * *status when SIMDROP_ISA names a path that is unknown or unavailable (until simdrop_set_isa
 * picks a valid one). */
const simdrop_kernels *simdrop_active_kernels(size_t elements, int *status);

/* A path's table by name, or NULL if it is not built or this CPU cannot run it (for the test
 * harness, which calls kernel entries directly). */
const simdrop_kernels *simdrop_kernels_by_name(const char *name);

/* The CPU features detected at first use, space-separated in kernels/cpu.h's order ("sse2 avx
 * avx2 f16c ..."; "" where there are none): what the machine offers, for tools and reports. */
const char *simdrop_cpu_feature_names(void);

/* Output size in bytes from which kernels use non-temporal stores (where the ISA has them). */
size_t simdrop_nt_bytes(void);

/* 1 where bits kernels stream a misaligned output through their aligned buffer (kernel.h's
 * SIMDROP_NT_ANY), 0 where they store it with regular stores (SIMDROP_NT_ALIGNED). */
int simdrop_bits_bounce(void);

/* Tests only: use non-temporal stores from `bytes` on (0 restores the detected size), so the
 * suite runs every kernel's non-temporal branch on small buffers. */
void simdrop_nt_bytes_override(size_t bytes);

#endif
