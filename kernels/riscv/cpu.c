/* riscv/cpu.c: which RISC-V features this CPU and OS can run: the V bit of AT_HWCAP, and riscv_hwprobe where the headers have it. */
#include "cpu.h"

#if defined(__linux__)
#include <sys/auxv.h> /* getauxval, AT_HWCAP */
#if defined(__has_include)
#if __has_include(<asm/hwprobe.h>) /* Linux 6.4 on; Debian 12's headers (6.1) lack it */
#include <asm/hwprobe.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif
#endif

/* This runs before anything knows what the CPU supports (the dispatcher's rule, see x86/cpu.c). */
#if defined(__riscv_vector)
#error "riscv/cpu.c must be compiled for the baseline ISA (rv64gc)"
#endif

/* Single-letter extensions are bits of AT_HWCAP, bit 'X' - 'A' for extension X. */
#define RISCV_HWCAP_V (1ul << ('V' - 'A'))

#if defined(__linux__) && defined(AT_HWCAP)
/* Whether riscv_hwprobe, where this build knows it, also says V: 1 when it does or cannot be
 * asked (an older kernel, or headers without it). */
static int hwprobe_allows_v(void)
{
#if defined(RISCV_HWPROBE_KEY_IMA_EXT_0) && defined(RISCV_HWPROBE_IMA_V) && defined(__NR_riscv_hwprobe)
    struct riscv_hwprobe pair = {RISCV_HWPROBE_KEY_IMA_EXT_0, 0};
    if (syscall(__NR_riscv_hwprobe, &pair, 1, 0, NULL, 0) != 0 || pair.key < 0)
        return 1;
    return (pair.value & RISCV_HWPROBE_IMA_V) != 0;
#else
    return 1;
#endif
}
#endif

uint32_t simdrop_cpu_detect(void)
{
    uint32_t features = 0;
#if defined(__linux__) && defined(AT_HWCAP)
    /* The kernel sets the V bit only when it saves the vector registers and lets this process use
     * them (prctl PR_RISCV_V_SET_CONTROL, the abi.riscv_v_default_allow sysctl); boards with the
     * pre-1.0 T-Head vector extension do not get it. hwprobe, where it answers, must agree: V is
     * used only when both say so. */
    if ((getauxval(AT_HWCAP) & RISCV_HWCAP_V) && hwprobe_allows_v())
        features |= SIMDROP_CPU_RVV;
#endif
    return features;
}

int simdrop_cpu_is_intel(void)
{
    return 0;
}
