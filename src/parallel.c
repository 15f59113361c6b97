/* parallel.c: runs a job on the caller (first version: one thread). */
#include <stdlib.h>

#include "simdrop.h"
#include "parallel.h"

int simdrop_parallel_status(void)
{
    return SIMDROP_OK;
}

int simdrop_run(simdrop_job *j)
{
    void *slots = NULL;
    if (j->kind == JOB_DBIAS && j->dbias) {
        j->progressive = 1;
        slots = malloc(j->cols * (j->dt == DT_F64 ? sizeof(double) : sizeof(float)));
        if (!slots)
            return SIMDROP_ENOMEM;
        j->slots = slots;
    }
    simdrop_job_run(j, 0, j->units);
    simdrop_job_finish(j);
    free(slots);
    return SIMDROP_OK;
}
