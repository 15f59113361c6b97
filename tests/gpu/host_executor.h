/* host_executor.h: an executor of gpu/launch.c on the host: gpu/kernels.h compiled as C, a launch being its threads called in turn. */
#ifndef SIMDROP_TEST_GPU_HOST_EXECUTOR_H
#define SIMDROP_TEST_GPU_HOST_EXECUTOR_H

#include <stdint.h>

#include "launch.h"

/* Host memory serves as device memory. Not thread-safe (its knobs and the kernels' thread
 * index are globals): a test's stand-in for a device, run from one thread. Its messages name
 * the entry points with the prefix "simdrop_c_"; simdrop_host_executor_as gives the same
 * executor under another prefix (a stand-in for a GPU library names its calls as that does). */
extern const simdrop_gpu_backend simdrop_host_executor;
simdrop_gpu_backend simdrop_host_executor_as(const char *prefix);

/* How many threads a launch runs at most (a C thread runs a whole warp of a warp kernel): a
 * test varies it so that the kernels' loops over more work than threads run too. */
extern uint64_t simdrop_host_max_threads;

/* Nonzero: the next scratch allocation fails with SIMDROP_ENOMEM, as a device's may. */
extern int simdrop_host_fail_alloc;

#endif
