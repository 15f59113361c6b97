/* arm/sve2.c: the SVE primitives built for SVE2, whose xar makes each rotation one instruction (Neoverse N2/V2-class cores). */
#if !defined(__ARM_FEATURE_SVE2)
#error "arm/sve2.c needs SVE2 (-march=armv8-a+sve2)"
#endif

#include "arm/sve.c"
