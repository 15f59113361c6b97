/* list_paths.c: prints the kernel paths this build and CPU can run, one a line, for CI loops. */
#include <stdio.h>

#include "simdrop.h"

int main(void)
{
    for (const char *const *name = simdrop_isa_list(); *name; name++)
        if (simdrop_isa_supported(*name) == 1)
            puts(*name);
    return 0;
}
