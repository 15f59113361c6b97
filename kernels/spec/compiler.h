/* compiler.h: all the spec headers ask of the compiler that builds them: integer types, a function's qualifiers, bit casts.
 *
 * spec.h and values.h are the per-element math of docs/MASK_SPEC.md in the common subset of C,
 * CUDA C and OpenCL C, so that a GPU kernel includes them unchanged (gpu/kernels.h does;
 * Random123's features/ headers are the model): they use nothing from the C library, declare
 * every function with SIMDROP_SPEC_FN and reinterpret bits only through the casts below. What
 * only a CPU does (memcpy on untyped pointers, byte order, <math.h> constant setup) is in
 * host.h. Each environment gets one branch here; a new environment adds its branch and nothing
 * else:
 *   uint8_t, uint16_t, uint32_t, uint64_t, size_t, uintptr_t   the fixed-width integers
 *   SIMDROP_SPEC_FN                            qualifiers of every spec function
 *   simdrop_f2u, simdrop_u2f, simdrop_u2d      float <-> uint32_t and uint64_t -> double bits,
 *   simdrop_d2u                                double -> uint64_t bits
 * The kernels' own environment layer (kernel qualifiers, threads, the warp's collective) is
 * gpu/device.h, on top of this one. */
#ifndef SIMDROP_SPEC_COMPILER_H
#define SIMDROP_SPEC_COMPILER_H

#if defined(__OPENCL_C_VERSION__) || defined(__OPENCL_VERSION__) /* OpenCL C: the program of gpu/opencl/ */

/* The program's double arithmetic (f64, and p's threshold) needs cl_khr_fp64; the host library
 * refuses a device without it (gpu/opencl/simdrop_opencl.c). */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef uchar uint8_t;
typedef ushort uint16_t;
typedef uint uint32_t;
typedef ulong uint64_t;
typedef long int64_t;

#define SIMDROP_SPEC_FN static inline

SIMDROP_SPEC_FN uint32_t simdrop_f2u(float f) { return as_uint(f); }
SIMDROP_SPEC_FN float simdrop_u2f(uint32_t u) { return as_float(u); }
SIMDROP_SPEC_FN double simdrop_u2d(uint64_t u) { return as_double(u); }
SIMDROP_SPEC_FN uint64_t simdrop_d2u(double d) { return as_ulong(d); }

#elif defined(__CUDACC__) /* CUDA C++ with nvcc: the kernels of gpu/cuda/ and their host code */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SIMDROP_SPEC_FN static __host__ __device__ __forceinline__

/* The device's register moves on the device; memcpy (one move too) in the host pass. */
SIMDROP_SPEC_FN uint32_t simdrop_f2u(float f)
{
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

SIMDROP_SPEC_FN float simdrop_u2f(uint32_t u)
{
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

SIMDROP_SPEC_FN double simdrop_u2d(uint64_t u)
{
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long)u);
#else
    double d;
    memcpy(&d, &u, 8);
    return d;
#endif
}

SIMDROP_SPEC_FN uint64_t simdrop_d2u(double d)
{
#ifdef __CUDA_ARCH__
    return (uint64_t)__double_as_longlong(d);
#else
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
#endif
}

#else /* C: the library, its tests, and gpu/kernels.h compiled as C for the host-C test */

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

SIMDROP_SPEC_FN uint64_t simdrop_d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

#endif

#endif /* SIMDROP_SPEC_COMPILER_H */
