/* test_header.c: simdrop.h compiles on its own (first include, nothing before it) and links. */
#include "simdrop.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    const int ok = !strcmp(simdrop_version(), SIMDROP_VERSION_STRING) && SIMDROP_MASK_SPEC_VERSION == 1 &&
                   simdrop_strerror(SIMDROP_EOVERLAP) != simdrop_strerror(SIMDROP_ENULL);
    printf("header: 1 checks, %d passed, %d failed\n", ok, !ok);
    return !ok;
}
