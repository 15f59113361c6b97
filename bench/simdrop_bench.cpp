// simdrop_bench.cpp: Google Benchmark suite timing every operation and dtype of simdrop per kernel path, against memcpy, unfused compositions and scalar.
//
// Names are "<op>_<dtype>/<path>/n:<elements>/p_pct:<100 p>", with "/group_len:<L>" after them
// for group dropout, e.g. "forward_mask_bf16/avx2/n:65536/p_pct:10" or
// "groups_forward_f32/avx512/n:16777216/p_pct:10/group_len:1024"; "mask/<path>/..." has no dtype.
// The baselines are "memcpy_<dtype>/n:<elements>" (2 n sizeof(T) bytes moved),
// "twopass_forward_f32|twopass_backward_f32/n:.../p_pct:..." (PyTorch's unfused CPU pattern) and
// "unfused_bias_dropout_add_f32/<path>/n:.../p_pct:..." (a bias loop, simdrop_forward_f32 on
// <path>, a residual loop). Block cases ("block_forward_mask_f32/<path>/n:.../p_pct:.../cols:C",
// and block_bias_dropout_add_f32) time a column shard of n elements in rows of C (the second of
// four shards of a 4C-wide tensor). n always counts elements of the dtype. bench/report.py
// parses this.
//
// Two groups of cases:
//   f32      the f32 element operations and the bitmask on every path, sizes 4K-64M, p 0.1 and 0.5
//   engine   f64/bf16/f16 element operations, group dropout (group_len 1024 and 4) and its
//            channels-last form (f32, spatial 1024 and 4 of 64 channels), alpha dropout,
//            fused bias + dropout + residual (cols 1024; every dtype) with its backward and dbias,
//            and the unfused composition: p = 0.1, sizes 64K, 1M and 16M, on the auto path, the
//            next native path below it and scalar (--all-paths: every path); the f64/bf16/f16
//            element operations at 64M on the auto path alone, for the memory targets; and, on the
//            auto path, column-shard blocks (forward with mask, the fused op) with rows of 32, 256
//            and 1024 elements
// Extra flags, read before Google Benchmark's own:
//   --ops=f32|engine|all   which groups (default all)
//   --sizes=N,N,...   element counts of every case (default 4K, 64K, 1M, 16M, 64M for f32;
//                     the engine cases take the ones of 64K, 1M, 16M among them, and 64M
//                     on the auto path; with --ops=engine, every size given)
//   --min-time=S      minimum seconds per measurement (default 0.25)
//   --all-paths       engine cases on every path too
//   --misalign-y=B    every output starts B bytes past a 64-byte boundary (0-63; default 0),
//                     as large malloc blocks do (glibc: 16), for memcpy alike
//   --simde           also time the SIMDe-emulated paths (test-only code; named "<isa>-simde")
//   --quick           sizes 4K, 64K, 1M (engine: 64K, 1M) and min-time 0.02: a smoke run
//   --instructions=N  times nothing: runs each f32 element case and each engine case once at
//                     n = N (>= 16384, and >= 65536 for the channels-last groups of 1024) on
//                     the path in use (SIMDROP_ISA, else auto), one thread,
//                     and prints "INSNS index=<k> case=<name> path=<path> n=<made>
//                     [per_element=<x>]", n the elements the call made (whole rows and groups),
//                     per_element from the CPU's instruction counter (perf_event_open, user
//                     mode) where the kernel grants it. --instructions-counter=none leaves it
//                     closed, for a run under callgrind: with --toggle-collect=*count_calls* and
//                     --dump-before=*case_counted*, dump k holds case k's instructions alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "simdrop.h"

namespace {

struct Options {
    std::vector<int64_t> sizes{4096, 65536, 1 << 20, 16 << 20, 64 << 20};
    std::vector<int64_t> engine_sizes{65536, 1 << 20, 16 << 20};
    // The memory targets' other size: the element operations of f64, bf16 and f16 on the auto
    // path alone (the engine sizes cover 16M on every engine path).
    std::vector<int64_t> memory_sizes{64 << 20};
    bool sizes_given = false;
    double min_time = 0.25;
    bool simde = false, all_paths = false, f32 = true, engine = true;
    size_t misalign_y = 0;
    size_t instructions_n = 0;    // --instructions=N: count instead of time
    bool hardware_counter = true; // --instructions-counter=none: callgrind counts instead
};

const std::vector<int64_t> kPercent{10, 50}; // p = 0.1 and 0.5, as integer benchmark arguments
const std::vector<int64_t> kEnginePercent{10};
const uint64_t kSeed = 0x5eed;
const size_t kCols = 1024; // bias_dropout_add: rows x 1024, the bias broadcast along the rows
const size_t kChannels = 64; // groups_nhwc_*: samples x group_len positions x 64 channels (f32)

// ---- dtypes ---------------------------------------------------------------------------------

enum Dt { F32, F64, BF16, F16, DT_COUNT };
const char *const kDtName[DT_COUNT] = {"f32", "f64", "bf16", "f16"};
const size_t kDtSize[DT_COUNT] = {4, 8, 2, 2};

// The public functions of one dtype behind one signature each (void pointers), so that one
// benchmark body serves every dtype.
struct Fns {
    int (*forward)(void *, uint8_t *, const void *, size_t, double, uint64_t, uint64_t);
    int (*backward)(void *, const void *, const uint8_t *, size_t, double);
    int (*regen)(void *, const void *, size_t, double, uint64_t, uint64_t);
    int (*groups_forward)(void *, uint8_t *, const void *, size_t, size_t, double, uint64_t, uint64_t);
    int (*groups_backward)(void *, const void *, const uint8_t *, size_t, size_t, double);
    int (*alpha_forward)(void *, uint8_t *, const void *, size_t, size_t, double, uint64_t, uint64_t);
    int (*alpha_backward)(void *, const void *, const uint8_t *, size_t, size_t, double);
    int (*bda)(void *, uint8_t *, const void *, const void *, const void *, size_t, size_t, double,
               uint64_t, uint64_t);
    int (*bda_backward)(void *, void *, const void *, const uint8_t *, size_t, size_t, double);
};

#define FNS(dt, T, A)                                                                              \
    Fns{[](void *y, uint8_t *m, const void *x, size_t n, double p, uint64_t s, uint64_t o) {       \
            return simdrop_forward_##dt((T *)y, m, (const T *)x, n, p, s, o);                      \
        },                                                                                         \
        [](void *dx, const void *dy, const uint8_t *m, size_t n, double p) {                       \
            return simdrop_backward_##dt((T *)dx, (const T *)dy, m, n, p);                         \
        },                                                                                         \
        [](void *dx, const void *dy, size_t n, double p, uint64_t s, uint64_t o) {                 \
            return simdrop_backward_regen_##dt((T *)dx, (const T *)dy, n, p, s, o);                \
        },                                                                                         \
        [](void *y, uint8_t *m, const void *x, size_t g, size_t l, double p, uint64_t s,           \
           uint64_t o) { return simdrop_forward_groups_##dt((T *)y, m, (const T *)x, g, l, p, s, o); }, \
        [](void *dx, const void *dy, const uint8_t *m, size_t g, size_t l, double p) {             \
            return simdrop_backward_groups_##dt((T *)dx, (const T *)dy, m, g, l, p);               \
        },                                                                                         \
        [](void *y, uint8_t *m, const void *x, size_t g, size_t l, double p, uint64_t s,           \
           uint64_t o) { return simdrop_alpha_forward_##dt((T *)y, m, (const T *)x, g, l, p, s, o); }, \
        [](void *dx, const void *dy, const uint8_t *m, size_t g, size_t l, double p) {             \
            return simdrop_alpha_backward_##dt((T *)dx, (const T *)dy, m, g, l, p);                \
        },                                                                                         \
        [](void *out, uint8_t *m, const void *x, const void *b, const void *r, size_t rows,        \
           size_t cols, double p, uint64_t s, uint64_t o) {                                        \
            return simdrop_bias_dropout_add_##dt((T *)out, m, (const T *)x, (const T *)b,          \
                                                 (const T *)r, rows, cols, p, s, o);               \
        },                                                                                         \
        [](void *dx, void *db, const void *dout, const uint8_t *m, size_t rows, size_t cols,       \
           double p) {                                                                             \
            return simdrop_bias_dropout_add_backward_##dt((T *)dx, (A *)db, (const T *)dout, m,    \
                                                          rows, cols, p);                          \
        }}

const Fns kFns[DT_COUNT] = {FNS(f32, float, float), FNS(f64, double, double),
                            FNS(bf16, uint16_t, float), FNS(f16, uint16_t, float)};

// ---- buffers --------------------------------------------------------------------------------

// One set of buffers for every case, reserved at the largest n of each dtype before any case
// runs (main). Allocating and first-touching hundreds of MiB inside each benchmark call would
// repeat page faults in every iteration estimate, and all contenders then stream through the
// very same pages (same alignment, same page size), whatever order the interleaved repetitions
// run in. Each dtype has its own input (and residual) arrays holding ordinary finite values of
// that dtype, so no path meets denormal or NaN slow cases; the output and the mask are shared.
struct Arena {
    size_t cap[DT_COUNT] = {}, cap2[DT_COUNT] = {}, out_bytes = 0, mask_cap = 0, noise_cap = 0;
    void *x[DT_COUNT] = {}, *r[DT_COUNT] = {}; // input (dy, dout) and residual
    void *bias[DT_COUNT] = {};
    void *y = nullptr;                         // every output: y_base + y_shift bytes
    void *y_base = nullptr;
    size_t y_shift = 0;                        // --misalign-y
    float *noise = nullptr;                    // the two-pass baseline's noise array
    uint8_t *mask = nullptr;
    double dbias[kCols];                       // float or double sums, by dtype

    static void *alloc(size_t bytes)
    {
        // 2 MiB alignment lets the kernel back the buffers with transparent huge pages, so DRAM
        // cases measure memory bandwidth rather than TLB misses (the same for every contender).
        const size_t align = size_t(2) << 20;
        bytes = (bytes + align - 1) / align * align;
        void *p = std::aligned_alloc(align, bytes);
        if (!p) {
            std::fprintf(stderr, "simdrop_bench: cannot allocate %zu bytes\n", bytes);
            std::exit(1);
        }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
        std::memset(p, 0, bytes); // first touch now, not in the timed loop
        return p;
    }

    // Values in [-1, 1) from an LCG, stored in the dtype; 16-bit types get magnitudes of at
    // least 2^-14 (the smallest normal binary16), so none is subnormal.
    static void fill(void *p, Dt dt, size_t n, uint32_t s)
    {
        for (size_t i = 0; i < n; i++) {
            s = s * 1664525u + 1013904223u;
            const float v = static_cast<float>(static_cast<int32_t>(s)) * 0x1p-31f;
            switch (dt) {
            case F32: static_cast<float *>(p)[i] = v; break;
            case F64: static_cast<double *>(p)[i] = static_cast<double>(v); break;
            default: static_cast<uint16_t *>(p)[i] = to_16(dt, v); break;
            }
        }
    }

    static uint16_t to_16(Dt dt, float v)
    {
        if (std::abs(v) < 0x1p-14f)
            v = v < 0 ? -0.5f : 0.5f;
        uint32_t u;
        std::memcpy(&u, &v, sizeof u);
        if (dt == BF16)
            return static_cast<uint16_t>(u >> 16); // truncation: any finite bf16 will do
        const uint32_t sign = (u >> 16) & 0x8000u;
        const int32_t exp = static_cast<int32_t>((u >> 23) & 0xff) - 127 + 15; // 1..15 here
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(exp) << 10 | ((u >> 13) & 0x3ffu));
    }

    // n elements of dtype dt as input; with_residual: a second input array (bias_dropout_add).
    void reserve(Dt dt, size_t n, bool with_residual)
    {
        const size_t es = kDtSize[dt];
        if (n > cap[dt]) {
            std::free(x[dt]);
            x[dt] = alloc(n * es);
            fill(x[dt], dt, n, 1);
            cap[dt] = n;
        }
        if (with_residual && n > cap2[dt]) {
            std::free(r[dt]);
            r[dt] = alloc(n * es);
            fill(r[dt], dt, n, 7);
            cap2[dt] = n;
        }
        if (!bias[dt]) {
            bias[dt] = alloc(kCols * es);
            fill(bias[dt], dt, kCols, 3);
        }
        if (n * es > out_bytes) {
            std::free(y_base);
            y_base = alloc(n * es + 64);
            y = static_cast<char *>(y_base) + y_shift;
            out_bytes = n * es;
        }
        if (n / 8 + 1 > mask_cap) {
            std::free(mask);
            mask = static_cast<uint8_t *>(alloc(n / 8 + 1));
            mask_cap = n / 8 + 1;
        }
    }

    void reserve_noise(size_t n)
    {
        reserve(F32, n, false);
        if (n > noise_cap) {
            std::free(noise);
            noise = static_cast<float *>(alloc(n * sizeof(float)));
            noise_cap = n;
        }
    }
};
Arena arena;

// ---- operations -----------------------------------------------------------------------------

enum class Op {
    forward_mask, forward, backward, backward_regen, mask,
    groups_forward, groups_backward, alpha_forward, alpha_backward,
    bda_forward, bda_backward, unfused_bda,
    nhwc_forward, nhwc_backward, // channels-last group dropout, f32: group_len is `spatial`
    block_forward_mask, block_bda, // f32 column shards: blocks of a global tensor
};

const char *op_name(Op op)
{
    switch (op) {
    case Op::forward_mask: return "forward_mask";
    case Op::forward: return "forward";
    case Op::backward: return "backward";
    case Op::backward_regen: return "backward_regen";
    case Op::mask: return "mask";
    case Op::groups_forward: return "groups_forward";
    case Op::groups_backward: return "groups_backward";
    case Op::alpha_forward: return "alpha_forward";
    case Op::alpha_backward: return "alpha_backward";
    case Op::bda_forward: return "bias_dropout_add";
    case Op::bda_backward: return "bias_dropout_add_backward";
    case Op::unfused_bda: return "unfused_bias_dropout_add";
    case Op::nhwc_forward: return "groups_nhwc_forward";
    case Op::nhwc_backward: return "groups_nhwc_backward";
    case Op::block_forward_mask: return "block_forward_mask";
    case Op::block_bda: return "block_bias_dropout_add";
    }
    return "?";
}

// One benchmark case: what it runs, on which dtype, and the group length of group operations.
struct Case {
    Op op;
    Dt dt;
    size_t group_len; // groups_*: elements per group; block_*: the block's row length;
                      // bias_dropout_add: the bias row's length where not kCols; 1 otherwise
};

bool is_block(Op op)
{
    return op == Op::block_forward_mask || op == Op::block_bda;
}

// The row length of the fused op's rows x cols (the cases named without "cols" have kCols).
size_t bias_cols(const Case &c)
{
    return c.op == Op::bda_forward && c.group_len > 1 ? c.group_len : kCols;
}

size_t mask_bytes(size_t units)
{
    return (units + 7) / 8;
}

// Bytes an operation reads and writes through the API (the elements in and out, the bitmask,
// bias and dbias); the counters are rates of these, so GB/s of different operations compare
// their traffic. The unfused composition counts the fused operation's bytes (the same work).
size_t op_bytes(const Case &c, size_t n)
{
    const size_t es = kDtSize[c.dt], io = 2 * n * es, bits = mask_bytes(n);
    switch (c.op) {
    case Op::forward_mask:
    case Op::backward:
    case Op::alpha_forward:
    case Op::alpha_backward:
        return io + bits;
    case Op::forward:
    case Op::backward_regen:
        return io;
    case Op::mask:
        return bits;
    case Op::groups_forward:
    case Op::groups_backward:
        return io + mask_bytes(n / c.group_len);
    case Op::nhwc_forward:
    case Op::nhwc_backward: // a bit per (sample, channel), as many as the NCHW form's groups
        return io + mask_bytes(n / c.group_len);
    case Op::bda_forward:
    case Op::unfused_bda:
        return io + n * es + bias_cols(c) * es + bits;
    case Op::block_forward_mask:
        return io + bits;
    case Op::block_bda:
        return io + n * es + c.group_len * es + bits;
    case Op::bda_backward:
        return io + bits + kCols * (c.dt == F64 ? 8 : 4);
    }
    return 0;
}

// The unfused composition of bias_dropout_add, as a framework without the fused kernel runs
// it: t = x + b (bias broadcast along the rows), u = dropout(t) with simdrop's own f32 kernel
// storing the mask, out = r + u: three passes. Each pass works in place on `out`, the cheapest
// way to write it (no temporaries), so the baseline is as fast as three plain passes get.
int unfused_bda_f32(float *out, uint8_t *mask, const float *x, const float *b, const float *r,
                    size_t rows, size_t cols, double p, uint64_t seed)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t c = 0; c < cols; c++)
            out[i * cols + c] = x[i * cols + c] + b[c];
    const int status = simdrop_forward_f32(out, mask, out, rows * cols, p, seed, 0);
    const size_t n = rows * cols;
    for (size_t k = 0; k < n; k++)
        out[k] = r[k] + out[k];
    return status;
}

int run_op(const Case &c, size_t n, double p, uint64_t seed)
{
    const Fns &f = kFns[c.dt];
    void *y = arena.y, *x = arena.x[c.dt];
    uint8_t *m = arena.mask;
    const size_t cols = bias_cols(c), rows = n / cols;
    switch (c.op) {
    case Op::forward_mask: return f.forward(y, m, x, n, p, seed, 0);
    case Op::forward: return f.forward(y, nullptr, x, n, p, seed, 0);
    case Op::backward: return f.backward(y, x, m, n, p);
    case Op::backward_regen: return f.regen(y, x, n, p, seed, 0);
    case Op::mask: return simdrop_mask(m, n, p, seed, 0);
    case Op::groups_forward: return f.groups_forward(y, m, x, n / c.group_len, c.group_len, p, seed, 0);
    case Op::groups_backward: return f.groups_backward(y, x, m, n / c.group_len, c.group_len, p);
    case Op::alpha_forward: return f.alpha_forward(y, m, x, n, 1, p, seed, 0);
    case Op::alpha_backward: return f.alpha_backward(y, x, m, n, 1, p);
    case Op::bda_forward:
        return f.bda(y, m, x, arena.bias[c.dt], arena.r[c.dt], rows, cols, p, seed, 0);
    case Op::bda_backward: return f.bda_backward(y, arena.dbias, x, m, rows, kCols, p);
    case Op::nhwc_forward: // (f32 cases only)
        return simdrop_forward_groups_nhwc_f32(static_cast<float *>(y), m, static_cast<const float *>(x),
                                               n / c.group_len / kChannels, c.group_len, kChannels,
                                               p, seed, 0);
    case Op::nhwc_backward:
        return simdrop_backward_groups_nhwc_f32(static_cast<float *>(y), static_cast<const float *>(x),
                                                m, n / c.group_len / kChannels, c.group_len,
                                                kChannels, p);
    case Op::block_forward_mask:
    case Op::block_bda: {
        // This rank's column shard, the second of four, of an (n / cols) x (4 cols) tensor:
        // n elements in rows of `cols`, packed in memory (ld = cols), its rows 3 cols apart in
        // the index space: a tensor-parallel activation.
        const size_t cols = c.group_len;
        const simdrop_block b = {n / cols, cols, 0, cols, 4 * cols, cols, cols};
        float *yf = static_cast<float *>(y);
        const float *xf = static_cast<const float *>(x);
        if (c.op == Op::block_forward_mask)
            return simdrop_forward_block_f32(yf, m, xf, &b, p, seed, 0);
        return simdrop_bias_dropout_add_block_f32(yf, m, xf, static_cast<const float *>(arena.bias[F32]),
                                                  static_cast<const float *>(arena.r[F32]), &b, p, seed, 0);
    }
    case Op::unfused_bda:
        return unfused_bda_f32(static_cast<float *>(y), m, static_cast<const float *>(x),
                               static_cast<const float *>(arena.bias[F32]),
                               static_cast<const float *>(arena.r[F32]), rows, kCols, p, seed);
    }
    return SIMDROP_EISA_UNKNOWN;
}

bool is_groups(Op op)
{
    return op == Op::groups_forward || op == Op::groups_backward || op == Op::nhwc_forward ||
           op == Op::nhwc_backward;
}

bool is_backward(Op op)
{
    return op == Op::backward || op == Op::groups_backward || op == Op::alpha_backward ||
           op == Op::bda_backward || op == Op::nhwc_backward;
}

// Elements a call over n makes: whole rows, groups and samples only (n's remainder is left
// out), so that the rates count the work done: 0 where n is under one of them.
size_t made_elements(const Case &c, size_t n)
{
    size_t unit = 1;
    if (c.op == Op::bda_forward || c.op == Op::unfused_bda || c.op == Op::bda_backward)
        unit = bias_cols(c);
    else if (c.op == Op::nhwc_forward || c.op == Op::nhwc_backward)
        unit = c.group_len * kChannels;
    else if (is_groups(c.op) || is_block(c.op))
        unit = c.group_len;
    return n / unit * unit;
}

void set_rates(benchmark::State &state, size_t n, size_t bytes)
{
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

void bm_path(benchmark::State &state, std::string path, Case c)
{
    const size_t n = static_cast<size_t>(state.range(0));
    const double p = static_cast<double>(state.range(1)) / 100.0;
    const size_t made = made_elements(c, n);
    if (made == 0) { // (an empty call would report a rate for nothing)
        state.SkipWithError("n is under one row, group or sample of this case");
        return;
    }
    arena.reserve(c.dt, n, c.op == Op::bda_forward || c.op == Op::unfused_bda || c.op == Op::block_bda);
    // The path is process-wide state; every case sets its own, so the order of cases is free.
    int status = simdrop_set_isa(path.c_str());
    if (status == SIMDROP_OK && is_backward(c.op)) // a mask of the right units to read
        status = simdrop_mask(arena.mask, is_groups(c.op) ? n / c.group_len : n, p, kSeed, 0);
    if (status == SIMDROP_OK)
        status = run_op(c, n, p, kSeed); // checks the call once, outside the timed loop
    if (status != SIMDROP_OK) {
        state.SkipWithError(simdrop_strerror(status));
        return;
    }
    // A new seed per call, as successive training steps have: with one seed, a branch predictor
    // can learn the whole mask of a small n and flatter paths that branch on it.
    uint64_t seed = kSeed;
    for (auto _ : state) {
        benchmark::DoNotOptimize(run_op(c, n, p, ++seed));
        benchmark::ClobberMemory();
    }
    set_rates(state, made, op_bytes(c, made));
}

// ---- baselines ------------------------------------------------------------------------------

// The roofline: the same bytes in and out (n elements of the dtype), with glibc's best copy for
// this CPU and size.
void bm_memcpy(benchmark::State &state, Dt dt)
{
    const size_t n = static_cast<size_t>(state.range(0));
    arena.reserve(dt, n, false);
    for (auto _ : state) {
        std::memcpy(arena.y, arena.x[dt], n * kDtSize[dt]);
        benchmark::ClobberMemory();
    }
    set_rates(state, n, 2 * n * kDtSize[dt]);
}

// The unfused pattern of PyTorch's CPU dropout (noise = bernoulli(1 - p) / (1 - p); y = x * noise):
// pass one draws each element from a serial per-element scalar generator into a float array,
// pass two multiplies. The noise array stays for the backward pass, as autograd keeps it.
// The generator is xorshift32, one cheap step per element like a Bernoulli sampler; s is its state.
void make_noise(float *noise, size_t n, double p, uint32_t &s)
{
    const float scale = p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p));
    const uint32_t keep_below = static_cast<uint32_t>((1.0 - p) * 16777216.0);
    uint32_t scale_bits;
    std::memcpy(&scale_bits, &scale, sizeof scale);
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        // Branch-free select by integer mask, as a vectorising framework writes it (GCC turns a
        // float "keep ? scale : 0" into a branch): a data-dependent branch would make the
        // baseline slower at p = 0.5 for a reason unrelated to fusing.
        const uint32_t bits = scale_bits & (0u - static_cast<uint32_t>((s >> 8) < keep_below));
        std::memcpy(&noise[i], &bits, sizeof bits);
    }
}

void multiply(float *out, const float *in, const float *noise, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * noise[i];
}

void bm_twopass_forward(benchmark::State &state)
{
    const size_t n = static_cast<size_t>(state.range(0));
    const double p = static_cast<double>(state.range(1)) / 100.0;
    arena.reserve_noise(n);
    float *y = static_cast<float *>(arena.y);
    const float *x = static_cast<const float *>(arena.x[F32]);
    uint32_t s = 0x9e3779b9u; // carried across calls: a new mask each time, as in bm_path
    for (auto _ : state) {
        make_noise(arena.noise, n, p, s);
        multiply(y, x, arena.noise, n);
        benchmark::ClobberMemory();
    }
    set_rates(state, n, 2 * n * sizeof(float));
}

void bm_twopass_backward(benchmark::State &state)
{
    const size_t n = static_cast<size_t>(state.range(0));
    const double p = static_cast<double>(state.range(1)) / 100.0;
    arena.reserve_noise(n);
    float *y = static_cast<float *>(arena.y);
    const float *x = static_cast<const float *>(arena.x[F32]);
    uint32_t s = 0x9e3779b9u;
    make_noise(arena.noise, n, p, s);
    for (auto _ : state) {
        multiply(y, x, arena.noise, n);
        benchmark::ClobberMemory();
    }
    set_rates(state, n, 2 * n * sizeof(float));
}

// ---- registration ---------------------------------------------------------------------------

double stat_min(const std::vector<double> &v)
{
    return *std::min_element(v.begin(), v.end());
}

double stat_max(const std::vector<double> &v)
{
    return *std::max_element(v.begin(), v.end());
}

// Shared settings: rates from the CPU time of the one thread (Google Benchmark's default), not
// wall-clock time: on a shared 2-CPU machine the thread is often descheduled for other work, and
// CPU time leaves those gaps out (both times are in the JSON). Also the extremes of the
// repetitions next to Google Benchmark's mean/median/stddev/cv. Minimum and warm-up times go in
// as flags (see main), not MinTime(), which would put them into every name and stop compare.py
// matching runs of other lengths.
benchmark::internal::Benchmark *setup(benchmark::internal::Benchmark *b)
{
    return b->ComputeStatistics("min", stat_min)
        ->ComputeStatistics("max", stat_max)
        ->Unit(benchmark::kNanosecond); // compare.py prints whole units: 4K cases need ns
}

bool ends_with(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> runtime_paths(const Options &o)
{
    std::vector<std::string> out;
    for (const char *const *name = simdrop_isa_list(); *name; name++)
        if (simdrop_isa_supported(*name) == 1 && (o.simde || !ends_with(*name, "-simde")))
            out.push_back(*name);
    return out;
}

// The path "auto" selects (best first: the first supported native one).
std::string auto_path()
{
    const char *const *name = simdrop_isa_list();
    for (; *name; name++)
        if (simdrop_isa_supported(*name) == 1)
            return *name;
    return "scalar";
}

// Paths of the engine cases: the auto path, the next native path below it, and scalar.
std::vector<std::string> engine_paths(const Options &o)
{
    const std::vector<std::string> all = runtime_paths(o);
    if (o.all_paths)
        return all;
    std::vector<std::string> out{auto_path()};
    const auto it = std::find(all.begin(), all.end(), out[0]);
    if (it != all.end() && it + 1 != all.end() && *(it + 1) != "scalar" && !ends_with(*(it + 1), "-simde"))
        out.push_back(*(it + 1));
    if (out[0] != "scalar")
        out.push_back("scalar");
    return out;
}

// "<op>_<dtype>", or "mask" (the bitmask has no dtype).
std::string case_name(const Case &c)
{
    return c.op == Op::mask ? op_name(c.op) : std::string(op_name(c.op)) + "_" + kDtName[c.dt];
}


void register_path_case(const std::string &path, const Case &c, const std::vector<int64_t> &sizes,
                        const std::vector<int64_t> &percent)
{
    const std::string name = case_name(c) + "/" + path;
    auto *b = setup(benchmark::RegisterBenchmark(name.c_str(), bm_path, path, c));
    if (is_groups(c.op) || is_block(c.op) || bias_cols(c) != kCols)
        b->ArgNames({"n", "p_pct", is_groups(c.op) ? "group_len" : "cols"})
            ->ArgsProduct({sizes, percent, {static_cast<int64_t>(c.group_len)}});
    else
        b->ArgNames({"n", "p_pct"})->ArgsProduct({sizes, percent});
}

void register_memcpy(Dt dt, const std::vector<int64_t> &sizes)
{
    const std::string name = std::string("memcpy_") + kDtName[dt];
    setup(benchmark::RegisterBenchmark(name.c_str(), bm_memcpy, dt))->ArgName("n")->ArgsProduct({sizes});
}

const Op kElementOps[] = {Op::forward_mask, Op::forward, Op::backward, Op::backward_regen};

// The engine cases of one path, in the order they are registered (and counted).
std::vector<Case> engine_cases()
{
    std::vector<Case> out;
    for (Dt dt : {F64, BF16, F16})
        for (Op op : kElementOps)
            out.push_back({op, dt, 1});
    for (size_t len : {size_t(1024), size_t(4)})
        for (Op op : {Op::groups_forward, Op::groups_backward, Op::nhwc_forward, Op::nhwc_backward})
            out.push_back({op, F32, len});
    for (Op op : {Op::groups_forward, Op::groups_backward}) // 3x3 maps: a group a few bits long
        out.push_back({op, F32, 9});
    for (Op op : {Op::alpha_forward, Op::alpha_backward})
        out.push_back({op, F32, 1});
    for (Dt dt : {F32, F64, BF16, F16})
        for (Op op : {Op::bda_forward, Op::bda_backward})
            out.push_back({op, dt, 1});
    out.push_back({Op::unfused_bda, F32, 1});
    return out;
}

// The fused op's other bias widths (auto path only: the report compares them with rows of
// kCols): 256 divides a generator block, 768 (BERT-base's hidden size) does not.
std::vector<Case> bias_width_cases()
{
    std::vector<Case> out;
    for (Dt dt : {F32, BF16})
        for (size_t cols : {size_t(256), size_t(768)})
            out.push_back({Op::bda_forward, dt, cols});
    return out;
}

// The block cases (auto path only: the report compares them with the contiguous calls there).
const size_t kBlockCols[] = {32, 256, 1024};
std::vector<Case> block_cases()
{
    std::vector<Case> out;
    for (Op op : {Op::block_forward_mask, Op::block_bda})
        for (size_t cols : kBlockCols)
            out.push_back({op, F32, cols});
    return out;
}

void register_all(const Options &o)
{
    if (o.f32) {
        register_memcpy(F32, o.sizes);
        setup(benchmark::RegisterBenchmark("twopass_forward_f32", bm_twopass_forward))
            ->ArgNames({"n", "p_pct"})
            ->ArgsProduct({o.sizes, kPercent});
        setup(benchmark::RegisterBenchmark("twopass_backward_f32", bm_twopass_backward))
            ->ArgNames({"n", "p_pct"})
            ->ArgsProduct({o.sizes, kPercent});
        for (Op op : kElementOps)
            for (const std::string &path : runtime_paths(o))
                register_path_case(path, {op, F32, 1}, o.sizes, kPercent);
        for (const std::string &path : runtime_paths(o))
            register_path_case(path, {Op::mask, F32, 1}, o.sizes, kPercent);
    }
    if (o.engine && !o.engine_sizes.empty()) {
        const std::vector<int64_t> &es = o.engine_sizes;
        if (!o.f32) // the f32 forward and memcpy that the engine targets compare with
            register_memcpy(F32, es);
        for (Dt dt : {F64, BF16, F16})
            register_memcpy(dt, es);
        for (const std::string &path : engine_paths(o)) {
            if (!o.f32)
                register_path_case(path, {Op::forward_mask, F32, 1}, es, kEnginePercent);
            for (const Case &c : engine_cases())
                register_path_case(path, c, es, kEnginePercent);
            if (path == engine_paths(o).front())
                for (const std::vector<Case> &cases : {bias_width_cases(), block_cases()})
                    for (const Case &c : cases)
                        register_path_case(path, c, es, kEnginePercent);
        }
        for (Dt dt : {F64, BF16, F16}) {
            if (o.memory_sizes.empty())
                break;
            register_memcpy(dt, o.memory_sizes);
            for (Op op : kElementOps)
                register_path_case(auto_path(), {op, dt, 1}, o.memory_sizes, kEnginePercent);
        }
    }
}

// ---- instruction counts (--instructions) ----------------------------------------------------

// The counted call: a function of its own, never inlined, so that callgrind collects inside it
// alone (--toggle-collect) and the hardware counter brackets nothing else.
__attribute__((noinline)) int count_calls(const Case &c, size_t n, uint64_t seed)
{
    const int status = run_op(c, n, 0.1, seed);
    benchmark::ClobberMemory(); // no tail call: callgrind must see it return
    return status;
}

// Called after each counted call: under callgrind, --dump-before=*case_counted* then writes dump
// k with case k's instructions alone (--toggle-collect=*count_calls* collects nothing else).
__attribute__((noinline)) void case_counted()
{
    __asm__ volatile(""); // not a pure function: the call stays
}

// The CPU's retired-instruction counter for this thread in user mode, or -1 where the kernel
// or the hypervisor does not grant it (perf_event_paranoid, a VM without a virtual PMU).
int open_instruction_counter()
{
#if defined(__linux__) && defined(__NR_perf_event_open)
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    // (with the times it was enabled and running: a counter the PMU never scheduled, all of
    // them busy, reads 0, which is no count)
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return static_cast<int>(syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0));
#else
    return -1;
#endif
}

// Instructions of one call of c (counter fd), or -1 without a counter.
double counted_instructions(int fd, const Case &c, size_t n)
{
    if (fd < 0) {
        count_calls(c, n, kSeed + 1);
        return -1.0;
    }
#if defined(__linux__) && defined(__NR_perf_event_open)
    ioctl(fd, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    count_calls(c, n, kSeed + 1);
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    uint64_t value[3] = {0, 0, 0}; // count, time enabled, time running
    if (read(fd, value, sizeof value) == static_cast<ssize_t>(sizeof value) && value[0] > 0 &&
        value[2] == value[1])
        return static_cast<double>(value[0]);
#endif
    return -1.0;
}

// --instructions=N: every f32 element case, the bitmask and the engine cases (not the unfused
// composition, which is not one library call), once each on the path in use, one thread.
int count_instructions(const Options &o)
{
    const size_t n = o.instructions_n;
    std::vector<Case> cases;
    for (Op op : kElementOps)
        cases.push_back({op, F32, 1});
    cases.push_back({Op::mask, F32, 1});
    for (const Case &c : engine_cases())
        if (c.op != Op::unfused_bda)
            cases.push_back(c);
    for (Dt dt : {F32, F64, BF16, F16})
        arena.reserve(dt, n, true);
    const int fd = o.hardware_counter ? open_instruction_counter() : -1;
    int index = 0;
    for (const Case &c : cases) {
        const size_t made = made_elements(c, n);
        if (made == 0) {
            std::fprintf(stderr, "simdrop_bench: --instructions=%zu is under one sample of %s (group_len %zu)\n",
                         n, case_name(c).c_str(), c.group_len);
            return 2;
        }
        int status = SIMDROP_OK;
        if (is_backward(c.op))
            status = simdrop_mask(arena.mask, is_groups(c.op) ? n / c.group_len : n, 0.1, kSeed, 0);
        if (status == SIMDROP_OK)
            status = run_op(c, n, 0.1, kSeed); // a first call: one-time setup is not counted
        if (status != SIMDROP_OK) {
            std::fprintf(stderr, "simdrop_bench: %s: %s\n", case_name(c).c_str(), simdrop_strerror(status));
            return 1;
        }
        const double count = counted_instructions(fd, c, n);
        case_counted();
        std::printf("INSNS index=%d case=%s", ++index, case_name(c).c_str());
        if (is_groups(c.op))
            std::printf(" group_len=%zu", c.group_len);
        std::printf(" path=%s n=%zu", simdrop_isa(), made);
        if (count >= 0)
            std::printf(" per_element=%.3f", count / static_cast<double>(made));
        std::printf("\n");
    }
    return 0;
}

// Reads our flags; the others are Google Benchmark's and go to `rest` in their order.
Options parse_options(int argc, char **argv, std::vector<std::string> &rest)
{
    Options o;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "--quick") {
            quick = true;
            o.min_time = 0.02;
        } else if (a == "--simde") {
            o.simde = true;
        } else if (a == "--all-paths") {
            o.all_paths = true;
        } else if (a.rfind("--misalign-y=", 0) == 0) {
            o.misalign_y = std::strtoul(a.c_str() + 13, nullptr, 0);
            if (o.misalign_y > 63) {
                std::fprintf(stderr, "simdrop_bench: --misalign-y takes 0 to 63 bytes\n");
                std::exit(2);
            }
        } else if (a.rfind("--ops=", 0) == 0) {
            const std::string v = a.substr(6);
            if (v != "f32" && v != "engine" && v != "all") {
                std::fprintf(stderr, "simdrop_bench: --ops takes f32, engine or all\n");
                std::exit(2);
            }
            o.f32 = v != "engine";
            o.engine = v != "f32";
        } else if (a.rfind("--instructions=", 0) == 0) {
            o.instructions_n = std::strtoul(a.c_str() + 15, nullptr, 0);
            // (>= 16384: smaller calls on Intel take the path below AVX-512, src/dispatch.c's
            // SMALL_CALL, and the lines name the path of large calls)
            if (o.instructions_n < 16384 || o.instructions_n % 4096) {
                std::fprintf(stderr, "simdrop_bench: --instructions takes a multiple of 4096 elements, >= 16384\n");
                std::exit(2);
            }
        } else if (a == "--instructions-counter=none") {
            o.hardware_counter = false;
        } else if (a.rfind("--min-time=", 0) == 0) {
            o.min_time = std::strtod(a.c_str() + 11, nullptr);
        } else if (a.rfind("--sizes=", 0) == 0) {
            o.sizes.clear();
            o.sizes_given = true;
            for (const char *s = a.c_str() + 8; *s;) {
                char *end;
                o.sizes.push_back(std::strtoll(s, &end, 0));
                s = *end == ',' ? end + 1 : end + std::strlen(end);
            }
        } else {
            rest.push_back(a);
        }
    }
    if (quick && !o.sizes_given)
        o.sizes = {4096, 65536, 1 << 20};
    // Engine and memory sizes run only where the f32 sizes do (--quick, --sizes).
    auto within_sizes = [&o](const std::vector<int64_t> &want) {
        std::vector<int64_t> out;
        for (int64_t n : want)
            if (std::find(o.sizes.begin(), o.sizes.end(), n) != o.sizes.end())
                out.push_back(n);
        return out;
    };
    o.engine_sizes = o.sizes_given && !o.f32 ? o.sizes : within_sizes(o.engine_sizes);
    o.memory_sizes = within_sizes(o.memory_sizes);
    return o;
}

int64_t max_of(const std::vector<int64_t> &v)
{
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> rest;
    const Options o = parse_options(argc, argv, rest);
    // One thread: every rate is the CPU time of this thread, which the workers of a split call
    // (SIMDROP_NUM_THREADS in the environment) would escape, inflating it.
    if (simdrop_set_num_threads(1) != SIMDROP_OK) {
        std::fprintf(stderr, "simdrop_bench: cannot set one thread\n");
        return 1;
    }
    if (o.instructions_n)
        return count_instructions(o);
    arena.y_shift = o.misalign_y;
    // Our timing defaults first, so that explicit --benchmark_* flags after them still win.
    // A bare number of seconds is what libbenchmark 1.7 (Debian 12) parses; 1.8 accepts it too.
    std::vector<std::string> args{argv[0], "--benchmark_min_time=" + std::to_string(o.min_time),
                                  "--benchmark_min_warmup_time=" + std::to_string(o.min_time / 5)};
    args.insert(args.end(), rest.begin(), rest.end());
    std::vector<char *> cargs;
    for (std::string &a : args)
        cargs.push_back(&a[0]);
    cargs.push_back(nullptr);
    int cargc = static_cast<int>(args.size());
    benchmark::Initialize(&cargc, cargs.data());
    if (benchmark::ReportUnrecognizedArguments(cargc, cargs.data()))
        return 1;
    // Context for the report: which paths this binary saw and which one "auto" picks.
    std::string paths, epaths;
    for (const std::string &p : runtime_paths(o))
        paths += (paths.empty() ? "" : ",") + p;
    for (const std::string &p : engine_paths(o))
        epaths += (epaths.empty() ? "" : ",") + p;
    benchmark::AddCustomContext("simdrop_version", simdrop_version());
    benchmark::AddCustomContext("simdrop_paths", paths);
    benchmark::AddCustomContext("simdrop_engine_paths", o.engine ? epaths : "");
    // (auto_path(), the path the engine cases are registered on, not simdrop_isa(): that one
    // follows SIMDROP_ISA)
    benchmark::AddCustomContext("simdrop_auto_path", auto_path());
    benchmark::AddCustomContext("simdrop_bias_cols", std::to_string(kCols));
    register_all(o);
    // Every buffer at its largest size now, before the first timed case.
    const int64_t f32_max = std::max(o.f32 ? max_of(o.sizes) : 0, o.engine ? max_of(o.engine_sizes) : 0);
    if (f32_max) {
        arena.reserve(F32, static_cast<size_t>(f32_max), false);
        if (o.f32)
            arena.reserve_noise(static_cast<size_t>(max_of(o.sizes)));
    }
    if (o.engine && !o.engine_sizes.empty()) {
        const size_t emax = static_cast<size_t>(max_of(o.engine_sizes));
        for (Dt dt : {F32, F64, BF16, F16}) {
            arena.reserve(dt, emax, true);
            arena.reserve(dt, static_cast<size_t>(max_of(o.memory_sizes)), false);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
