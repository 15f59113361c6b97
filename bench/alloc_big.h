/* alloc_big.h: the large buffers of bench/scaling.c and bench/store_rule.c. */
#ifndef SIMDROP_BENCH_ALLOC_BIG_H
#define SIMDROP_BENCH_ALLOC_BIG_H

#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* 2 MiB-aligned and, on Linux, backed by transparent huge pages where the kernel allows: DRAM
 * rates then measure memory, not TLB misses (as the benchmark suite's arena does). NULL when
 * there is no memory. */
static void *alloc_big(size_t bytes)
{
    const size_t align = (size_t)2 << 20;
    bytes = (bytes + align - 1) / align * align;
    void *p = aligned_alloc(align, bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

#endif
