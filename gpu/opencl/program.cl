/* program.cl: the OpenCL program of libsimdrop_opencl: gpu/kernels.h, with contraction into FMA off (OpenCL's default is on). */
#pragma OPENCL FP_CONTRACT OFF
#include "kernels.h"
