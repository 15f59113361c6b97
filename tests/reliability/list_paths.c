/* list_paths.c: prints the kernel paths this build and CPU can run, one a line, for CI loops. */
#include <stdio.h>
#include <string.h>

#include "simdrop.h"
#include "dispatch.h" /* simdrop_cpu_feature_names */

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--features")) {
        puts(simdrop_cpu_feature_names()); /* "sse2 avx avx2 f16c ...": what this machine has */
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: list_paths [--features]\n");
        return 2;
    }
    for (const char *const *name = simdrop_isa_list(); *name; name++)
        if (simdrop_isa_supported(*name) == 1)
            puts(*name);
    return 0;
}
