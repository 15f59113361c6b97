/* program.cl: the OpenCL program of libsimdrop_opencl: gpu/kernels.h, with contraction into FMA off (OpenCL's default is on). */
#pragma OPENCL FP_CONTRACT OFF
#include "kernels.h"

/* simdrop_cl_create's check that the compiler kept the pragma: a * b + c, whose product rounds
 * away the 2^-24 that a fused multiply-add would keep (host side: contraction_kept). */
__kernel void simdrop_probe_contraction(__global float *v)
{
    v[3] = v[0] * v[1] + v[2];
}
