/* dispatch.h: the kernel path in use, chosen once from the CPU and SIMDROP_ISA. */
#ifndef SIMDROP_DISPATCH_H
#define SIMDROP_DISPATCH_H

#include "kernel.h"

/* The active path; resolves it on first use. Returns NULL and sets *status when SIMDROP_ISA
 * names a path that is unknown or unavailable (until simdrop_set_isa picks a valid one). */
const simdrop_kernels *simdrop_active_kernels(int *status);

/* Output size in bytes from which kernels use non-temporal stores (where the ISA has them). */
size_t simdrop_stream_bytes(void);

#endif
