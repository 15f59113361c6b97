// test_check_cpp.cpp: src/check.h compiles as C++ (as the CUDA front end's host code will, under nvcc) and decides as in C.
#include "check.h"

#include <cstdio>
#include <cstring>

int main()
{
    float y[64], x[64];
    uint8_t mask[8];
    simdrop_call c = {SIMDROP_ENTRY_FORWARD, SIMDROP_DTYPE_F32, 64, 0, 0.5, 0,
                      {simdrop_buf_ptr(y), simdrop_buf_ptr(mask), simdrop_buf_ptr(x)}, NULL, 0};
    simdrop_fault f;
    int failed = simdrop_check(&c, &f) != SIMDROP_OK;
    c.buf[1] = simdrop_buf_ptr(y + 60); // the mask inside y
    char text[256] = "";
    failed += simdrop_check(&c, &f) != SIMDROP_EOVERLAP;
    simdrop_check_message(&c, &f, "simdrop_cuda_", text, sizeof text);
    failed += std::strncmp(text, "simdrop_cuda_forward_f32: y [", 29) != 0;
    c.buf[1] = simdrop_buf_ptr(nullptr);
    c.p = -1.0;
    failed += simdrop_check(&c, &f) != SIMDROP_EPROB;
    std::printf("check-cpp: 4 checks, %d failed (%s)\n", failed, text);
    return failed != 0;
}
