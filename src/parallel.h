/* parallel.h: runs a job on the caller or split across threads (the built-in pool or the engine's). */
#ifndef SIMDROP_PARALLEL_H
#define SIMDROP_PARALLEL_H

#include "job.h"

/* Runs every unit of the job, then its finish step. Returns SIMDROP_OK, SIMDROP_ENOMEM or
 * SIMDROP_ETHREADS before anything is written, or SIMDROP_EPARALLEL after an engine's pool
 * did not run every task exactly once. */
int simdrop_run(simdrop_job *j);

/* SIMDROP_OK, or SIMDROP_ETHREADS while SIMDROP_NUM_THREADS holds a bad value. */
int simdrop_parallel_status(void);

#endif
