/* dispatch.c: the path policy: picks the best path the CPU runs, SIMDROP_ISA, names, the store rule. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "simdrop.h"
#include "cpu.h"
#include "dispatch.h"
#include "platform.h"

/* This file runs before anything knows what the CPU supports: vector code the compiler might
 * generate here on its own would be a crash on older machines. */
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__) || defined(__ARM_FEATURE_SVE)
#error "dispatch.c must be compiled for the baseline ISA"
#endif

/* Every built path, best first, from meson's one table (simdrop_paths.h); emulated paths come
 * last and "auto" never picks them. "auto" takes the first supported native path, so AVX-512
 * whenever F/BW/VL are there (with AVX512-BF16's rounding where the CPU also has that and DQ:
 * kernels/x86/avx512bf16.c): the 512-bit kernel retires a whole round per register and ran
 * faster than AVX2 at every size measured in a loop of calls, in cache and in DRAM, on both the
 * Zen 5 and the Intel VM (report/REPORT.md); the frequency drop old Skylake-SP parts took on
 * 512-bit code is smaller than that gain for a kernel that spends most cycles waiting on memory.
 * Except for small calls on Intel (SMALL_CALL below). The two entries without kernels stand for
 * the errors a bad SIMDROP_ISA leaves selected. */
typedef struct path {
    const simdrop_kernels *kernels;
    uint32_t needs; /* SIMDROP_CPU_* bits (cpu.h), from the `needs` column of the path's row */
    int emulated;
    int status;
} path;

#define SIMDROP_PATH_ENTRY(id, name, needs, emulated) {&simdrop_kernels_##id, needs, emulated, SIMDROP_OK},
static const path paths[] = {SIMDROP_PATHS(SIMDROP_PATH_ENTRY)};
#undef SIMDROP_PATH_ENTRY
#define NPATHS (sizeof paths / sizeof paths[0])

static const path env_unknown = {NULL, 0, 0, SIMDROP_EISA_UNKNOWN};
static const path env_unavailable = {NULL, 0, 0, SIMDROP_EISA_UNAVAILABLE};

/* Calls of fewer elements than this run, under "auto" on an Intel CPU whose best path is a
 * 512-bit one, on the best path without AVX-512 (AVX2). Why: where 512-bit instructions come
 * seldom, among other code's 256-bit ones (PyTorch's CPU kernels are AVX2), each burst of them
 * waits for the core to power up its upper lanes and change its frequency licence, a cost per
 * call that only a long call repays. Measured on the Intel Xeon VM, one pinned core, a float32
 * forward between 10 us of AVX2 work, auto (avx512bf16) against avx2: 0.8 us slower at 200 and
 * 4096 elements, 0.4 us at 16K, even at 32K, 1.3 us faster at 64K; one element's forward +
 * backward through simdrop.torch 0.7 us, a whole 10-40-1 training step (two calls of 200
 * elements) 9 us. In a loop of calls and nothing else (the benchmark) AVX-512 stays powered and
 * is faster at every size, so the switch sits where the gain per call outweighs that cost.
 * Forcing a path (simdrop_set_isa, SIMDROP_ISA) runs every call on it. Not on AMD: Zen 4 and 5
 * run 512-bit code without a licence change (not measured there yet with this rule). */
#define SMALL_CALL ((size_t)1 << 14)

/* What simdrop_set_isa or SIMDROP_ISA selected: the path of every call, except for calls of
 * fewer than SMALL_CALL elements (`small`: the path itself when forced). */
typedef struct selection {
    const path *all, *small;
} selection;

static const selection env_unknown_selected = {&env_unknown, &env_unknown};
static const selection env_unavailable_selected = {&env_unavailable, &env_unavailable};

/* Every feature name followed by a space: room for the names of any set of them. */
#define SIMDROP_CPU_NAME_SPACE_(id, name) name " "
#define SIMDROP_CPU_NAME_(id, name) name,

/* Written once in init(); `active` and the nt override are the state that changes later. */
static uint32_t features;
static char feature_names[sizeof(SIMDROP_CPU_FEATURES(SIMDROP_CPU_NAME_SPACE_))];
static size_t nt_bytes;
static int bits_bounce;
static _Atomic size_t nt_bytes_override;
static const char *names[NPATHS + 1];
static selection forced_paths[NPATHS], automatic;
static _Atomic(const selection *) active;
static simdrop_once_t once = SIMDROP_ONCE_INIT;

static int path_supported(const path *pt)
{
    return (features & pt->needs) == pt->needs;
}

/* The best native path this CPU runs that needs none of the `without` features (scalar at
 * least: it needs none). */
static const path *best_path(uint32_t without)
{
    size_t i = 0;
    while (paths[i].emulated || !path_supported(&paths[i]) || (paths[i].needs & without))
        i++;
    return &paths[i];
}

/* Resolves a name: "auto", NULL or "" is the best supported native paths (`automatic`). */
static int resolve(const char *name, const selection **out)
{
    if (!name || !*name || !strcmp(name, "auto")) {
        *out = &automatic;
        return SIMDROP_OK;
    }
    for (size_t i = 0; i < NPATHS; i++) {
        if (strcmp(name, paths[i].kernels->name) != 0)
            continue;
        if (!path_supported(&paths[i]))
            return SIMDROP_EISA_UNAVAILABLE;
        *out = &forced_paths[i];
        return SIMDROP_OK;
    }
    static const char *const known[] = {SIMDROP_KNOWN_PATHS};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(name, known[i]))
            return SIMDROP_EISA_UNAVAILABLE; /* a real path, just not in this build */
    return SIMDROP_EISA_UNKNOWN;
}

/* When outputs get non-temporal stores. They skip the read-for-ownership of each output line,
 * so they win once the output cannot stay in cache anyway, and lose before that (the next layer
 * often reads it back). Where that happens depends on the vendor, so the rule does too:
 * - Intel: from the size of one core's L2 on. On the Intel VM (2 MiB L2, 260-480 MiB reported
 *   L3), f32 forward with mask ran, non-temporal vs regular stores: 0.71x vs 0.57x memcpy at
 *   256K floats (1 MiB out), 1.28x vs 0.79x at 512K (2 MiB out), 1.68x vs 0.82x at 16M, and
 *   0.98x vs 0.44x at 64M; f64 and backward alike. Regular stores pay for reading every output
 *   line first, which glibc's memcpy avoids with rep movsb below its threshold. On the Intel VM
 *   of model 207 (bench/store_rule, each kind timed on its second call in a row, with the AVX-512
 *   kernels' output prefetch), regular over non-temporal: 1.19x at 1 MiB out, 0.58-0.67x from 2
 *   to 32 MiB; with the output read back right after (--consume), 2.1x at 1 MiB, 1.3x at 2 to 8
 *   MiB, even at 16, 0.85x at 32: code that reads its output straight back would do better with
 *   the switch at 16 MiB there, a call timed alone with it at L2's size.
 * - Everyone else (AMD): from 3/4 of the last-level cache on, glibc memcpy's own switch, with
 *   that cache taken as 32 MiB at most. Why: Zen's L3 is one per core complex (32 MiB on Zen 2
 *   to 5 without V-Cache), and a core's output can stay in its own complex's only, but the OS
 *   reports the socket's or, in a VM, the host's total (508 MiB on the Zen 5 VM), so outputs of
 *   any size were stored through the cache. Measured there (bench/store_rule, one pinned core,
 *   f32 forward with mask), non-temporal over regular stores: 1.5x at 4 and 16 MiB out, 1.25x at
 *   64 and 256 MiB (bf16, f64 and backward 1.15-1.4x at 16 and 64 MiB; each kind timed right
 *   after the other then, which favoured non-temporal stores); with the output read back
 *   right after (--consume), regular stores win up to 8 MiB (1.1-1.7x), tie at 16 MiB and lose
 *   from 64 MiB (0.88x): from 24 MiB on, streaming is the better side of both.
 * Non-x86 kernels have no non-temporal stores. */
static size_t detect_nt_bytes(void)
{
    const size_t l2 = simdrop_l2_bytes(), complex_l3 = (size_t)32 << 20;
    if (simdrop_cpu_is_intel() && l2)
        return l2;
    size_t llc = simdrop_llc_bytes();
    if (!llc || llc > complex_l3) /* unknown, or more than one core's complex can hold */
        llc = complex_l3;
    return llc / 4 * 3;
}

/* "avx2 f16c ...": the names of the detected features, in cpu.h's order. */
static void name_features(void)
{
    static const char *const all[] = {SIMDROP_CPU_FEATURES(SIMDROP_CPU_NAME_)};
    char *p = feature_names;
    for (unsigned i = 0; i < SIMDROP_CPU_NFEATURES; i++) {
        if (!(features >> i & 1))
            continue;
        const size_t len = strlen(all[i]);
        if (p != feature_names)
            *p++ = ' ';
        memcpy(p, all[i], len + 1);
        p += len;
    }
}

static void init(void)
{
    features = simdrop_cpu_detect();
    name_features();
    nt_bytes = detect_nt_bytes();
    bits_bounce = simdrop_cpu_is_intel();
    for (size_t i = 0; i < NPATHS; i++) {
        names[i] = paths[i].kernels->name;
        forced_paths[i].all = forced_paths[i].small = &paths[i];
    }
    automatic.all = best_path(0);
    automatic.small = simdrop_cpu_is_intel() ? best_path(SIMDROP_CPU_AVX512F) : automatic.all;
    const selection *sel = NULL;
    const int status = resolve(getenv("SIMDROP_ISA"), &sel);
    if (status)
        sel = status == SIMDROP_EISA_UNKNOWN ? &env_unknown_selected : &env_unavailable_selected;
    atomic_store_explicit(&active, sel, memory_order_release);
}

static const selection *current(void)
{
    simdrop_once(&once, init);
    return atomic_load_explicit(&active, memory_order_acquire);
}

size_t simdrop_nt_bytes(void)
{
    simdrop_once(&once, init);
    const size_t forced = atomic_load_explicit(&nt_bytes_override, memory_order_relaxed);
    return forced ? forced : nt_bytes;
}

/* Whether a bits kernel's streaming output that is not aligned for non-temporal stores goes
 * through the kernels' aligned buffer (SIMDROP_NT_ANY) or takes regular stores
 * (SIMDROP_NT_ALIGNED). On the Intel VM the buffer gave backward 0.93x a memcpy of 64M floats
 * (simd_template.h's bounced), where regular stores gave forward 0.47x (backward's were not timed
 * there: Intel keeps the buffer). On the AMD Zen 5 VM, where a bits loop's regular stores keep up
 * with memory, it lost: bench/store_rule --misalign=16, backward, GB/s bounced vs regular (each
 * kind timed in turn, median of 7): f32 37.9 vs 54.0 at 32 MiB, 36.8 vs 46.1 at 64, 25.7 vs 36.5
 * at 256; bf16 43.8 vs 50.5 at 32 MiB, 28.7 vs 37.3 at 128. With regular stores there
 * (simdrop_bench --misalign-y=16, avx512bf16, one pinned core, two rounds interleaved with the
 * build before), backward at 64M elements ran f32 20.9 -> 15.3-16.2 ms, f64 44-46 -> 30-31.5,
 * bf16 10.0 -> 6.7-7.9 (f32 0.85-0.9x a memcpy to the same misaligned output). The generator's
 * loops keep the buffer everywhere: there it beat regular stores on that VM too (f32 forward with
 * mask 51.2 vs 33.1 GB/s at 32 MiB, 28.4 vs 25.2 at 256). */
int simdrop_bits_bounce(void)
{
    simdrop_once(&once, init);
    return bits_bounce;
}

void simdrop_nt_bytes_override(size_t bytes)
{
    atomic_store_explicit(&nt_bytes_override, bytes, memory_order_relaxed);
}

const simdrop_kernels *simdrop_active_kernels(size_t elements, int *status)
{
    const selection *sel = current();
    const path *pt = elements < SMALL_CALL ? sel->small : sel->all;
    *status = pt->status;
    return pt->kernels;
}

const simdrop_kernels *simdrop_kernels_by_name(const char *name)
{
    simdrop_once(&once, init);
    for (size_t i = 0; i < NPATHS; i++)
        if (!strcmp(name, paths[i].kernels->name))
            return path_supported(&paths[i]) ? paths[i].kernels : NULL;
    return NULL;
}

const char *simdrop_cpu_feature_names(void)
{
    simdrop_once(&once, init);
    return feature_names;
}

const char *simdrop_isa(void)
{
    const path *pt = current()->all;
    return pt->kernels ? pt->kernels->name : "none";
}

int simdrop_set_isa(const char *name)
{
    const selection *sel = NULL;
    if (!name)
        return SIMDROP_ENULL;
    simdrop_once(&once, init);
    const int status = resolve(name, &sel);
    if (status)
        return status;
    atomic_store_explicit(&active, sel, memory_order_release);
    return SIMDROP_OK;
}

const char *const *simdrop_isa_list(void)
{
    simdrop_once(&once, init);
    return names;
}

int simdrop_isa_supported(const char *name)
{
    const selection *sel = NULL;
    if (!name)
        return SIMDROP_ENULL;
    simdrop_once(&once, init);
    const int status = resolve(name, &sel);
    return status == SIMDROP_OK ? 1 : status == SIMDROP_EISA_UNAVAILABLE ? 0 : status;
}
