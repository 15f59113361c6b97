/* compiler.h: all the spec headers ask of the compiler that builds them: integer types, a function's qualifiers, bit casts.
 *
 * spec.h and values.h are the per-element math of docs/MASK_SPEC.md in the common subset of C,
 * CUDA C and OpenCL C, so that a GPU kernel can include them unchanged (issue 14; Random123's
 * features/ headers are the model): they use nothing from the C library, declare every
 * function with SIMDROP_SPEC_FN and reinterpret bits only through the casts below. What only a
 * CPU does (memcpy on untyped pointers, byte order, <math.h> constant setup) is in host.h.
 * Each environment gets one branch here; a new environment adds its branch and nothing else:
 *   uint16_t, uint32_t, uint64_t, size_t       the fixed-width integers
 *   SIMDROP_SPEC_FN                            qualifiers of every spec function
 *   simdrop_f2u, simdrop_u2f, simdrop_u2d      float <-> uint32_t and uint64_t -> double bits */
#ifndef SIMDROP_SPEC_COMPILER_H
#define SIMDROP_SPEC_COMPILER_H

#if defined(__CUDACC__) || defined(__OPENCL_C_VERSION__)
#error "spec/compiler.h has no branch for this compiler yet (issue 14 adds CUDA's and OpenCL's)"
#else /* C: the library and its tests */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SIMDROP_SPEC_FN static inline

/* memcpy is how C reinterprets bits without undefined behaviour; compilers make it one move. */
SIMDROP_SPEC_FN uint32_t simdrop_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

SIMDROP_SPEC_FN float simdrop_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

SIMDROP_SPEC_FN double simdrop_u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

#endif

#endif /* SIMDROP_SPEC_COMPILER_H */
