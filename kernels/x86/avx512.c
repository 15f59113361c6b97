/* x86/avx512.c: the AVX-512 F/BW/VL path: x86/avx512.h's primitives in simd_template.h. */
#include "x86/avx512.h"

#include "template/simd_template.h"
