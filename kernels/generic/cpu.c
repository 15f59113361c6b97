/* generic/cpu.c: the detection of hosts without an architecture folder: no features to report. */
#include "cpu.h"

/* Their paths are scalar and the SIMDe twins, which need nothing; kernels/<arch>/cpu.c replaces
 * this file where meson.build's kernel table has a native path for the host. */
uint32_t simdrop_cpu_detect(void)
{
    return 0;
}

int simdrop_cpu_is_intel(void)
{
    return 0;
}
