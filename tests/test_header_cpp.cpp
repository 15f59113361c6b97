// test_header_cpp.cpp: simdrop.h compiles as C++ on its own and its extern "C" names link.
#include "simdrop.h"

#include <cstdio>
#include <cstring>

int main()
{
    float x[3] = {1.0f, 2.0f, 3.0f}, y[3];
    uint8_t mask[1];
    const bool ok = simdrop_forward_f32(y, mask, x, 3, 0.0, 1, 0) == SIMDROP_OK &&
                    mask[0] == 0x07 && std::memcmp(x, y, sizeof x) == 0;
    std::printf("header_cpp: 1 checks, %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    return ok ? 0 : 1;
}
