// simdrop_bench.cpp: Google Benchmark suite timing every runtime kernel path of simdrop against memcpy, a naive two-pass dropout and scalar.
//
// Names are "<operation>/<path>/n:<elements>/p_pct:<100 p>", e.g. "forward_mask/avx2/n:65536/p_pct:10";
// the baselines are "memcpy/n:<elements>" and "twopass_forward|twopass_backward/n:.../p_pct:...".
// bench/report.py parses exactly this shape. Extra flags, read before Google Benchmark's own:
//   --sizes=N,N,...   element counts (default 4K, 64K, 1M, 16M, 64M)
//   --min-time=S      minimum seconds per measurement (default 0.25)
//   --simde           also time the SIMDe-emulated paths (test-only code; named "<isa>-simde")
//   --quick           sizes 4K, 64K, 1M and min-time 0.02: a smoke run
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "simdrop.h"

namespace {

struct Options {
    std::vector<int64_t> sizes{4096, 65536, 1 << 20, 16 << 20, 64 << 20};
    double min_time = 0.25;
    bool simde = false;
};

const std::vector<int64_t> kPercent{10, 50}; // p = 0.1 and 0.5, as integer benchmark arguments
const uint64_t kSeed = 0x5eed;

// ---- buffers --------------------------------------------------------------------------------

// One set of buffers for every case, reserved at the largest n before any case runs (main).
// Allocating and first-touching 256 MiB inside each benchmark call would repeat page faults in
// every iteration estimate, and all contenders then stream through the very same pages (same
// alignment, same page size), whatever order the interleaved repetitions run in.
struct Arena {
    size_t cap = 0;
    float *x = nullptr, *y = nullptr, *noise = nullptr;
    uint8_t *mask = nullptr;

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

    void reserve(size_t n)
    {
        if (n <= cap)
            return;
        std::free(x);
        std::free(y);
        std::free(noise);
        std::free(mask);
        x = static_cast<float *>(alloc(n * sizeof(float)));
        y = static_cast<float *>(alloc(n * sizeof(float)));
        noise = static_cast<float *>(alloc(n * sizeof(float)));
        mask = static_cast<uint8_t *>(alloc(n / 8 + 1));
        // Inputs in [-1, 1): ordinary finite floats, so no path meets denormal or NaN slow cases.
        uint32_t s = 1;
        for (size_t i = 0; i < n; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = static_cast<float>(static_cast<int32_t>(s)) * 0x1p-31f;
        }
        cap = n;
    }
};
Arena arena;

// ---- operations -----------------------------------------------------------------------------

enum class Op { forward_mask, forward, backward, backward_regen, mask };

struct OpInfo {
    Op op;
    const char *name;
};
const OpInfo kOps[] = {
    {Op::forward_mask, "forward_mask"},     {Op::forward, "forward"},
    {Op::backward, "backward"},             {Op::backward_regen, "backward_regen"},
    {Op::mask, "mask"},
};

size_t mask_bytes(size_t n)
{
    return (n + 7) / 8;
}

// Bytes an operation reads and writes through the API (the floats in and out, the bitmask);
// the counters are rates of these, so GB/s of different operations compare their traffic.
size_t op_bytes(Op op, size_t n)
{
    const size_t floats = 2 * n * sizeof(float);
    switch (op) {
    case Op::forward_mask:
    case Op::backward:
        return floats + mask_bytes(n);
    case Op::forward:
    case Op::backward_regen:
        return floats;
    case Op::mask:
        return mask_bytes(n);
    }
    return 0;
}

int run_op(Op op, size_t n, double p, uint64_t seed)
{
    switch (op) {
    case Op::forward_mask:
        return simdrop_forward_f32(arena.y, arena.mask, arena.x, n, p, seed, 0);
    case Op::forward:
        return simdrop_forward_f32(arena.y, nullptr, arena.x, n, p, seed, 0);
    case Op::backward:
        return simdrop_backward_f32(arena.y, arena.x, arena.mask, n, p);
    case Op::backward_regen:
        return simdrop_backward_regen_f32(arena.y, arena.x, n, p, seed, 0);
    case Op::mask:
        return simdrop_mask(arena.mask, n, p, seed, 0);
    }
    return SIMDROP_EISA_UNKNOWN;
}

void set_rates(benchmark::State &state, size_t n, size_t bytes)
{
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

void bm_path(benchmark::State &state, std::string path, Op op)
{
    const size_t n = static_cast<size_t>(state.range(0));
    const double p = static_cast<double>(state.range(1)) / 100.0;
    arena.reserve(n);
    // The path is process-wide state; every case sets its own, so the order of cases is free.
    int status = simdrop_set_isa(path.c_str());
    if (status == SIMDROP_OK && op == Op::backward)
        status = simdrop_mask(arena.mask, n, p, kSeed, 0);
    if (status == SIMDROP_OK)
        status = run_op(op, n, p, kSeed); // checks the call once, outside the timed loop
    if (status != SIMDROP_OK) {
        state.SkipWithError(simdrop_strerror(status));
        return;
    }
    // A new seed per call, as successive training steps have: with one seed, a branch predictor
    // can learn the whole mask of a small n and flatter paths that branch on it.
    uint64_t seed = kSeed;
    for (auto _ : state) {
        benchmark::DoNotOptimize(run_op(op, n, p, ++seed));
        benchmark::ClobberMemory();
    }
    set_rates(state, n, op_bytes(op, n));
}

// ---- baselines ------------------------------------------------------------------------------

// The roofline: the same floats in and out, with glibc's best copy for this CPU and size.
void bm_memcpy(benchmark::State &state)
{
    const size_t n = static_cast<size_t>(state.range(0));
    arena.reserve(n);
    for (auto _ : state) {
        std::memcpy(arena.y, arena.x, n * sizeof(float));
        benchmark::ClobberMemory();
    }
    set_rates(state, n, 2 * n * sizeof(float));
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
    arena.reserve(n);
    uint32_t s = 0x9e3779b9u; // carried across calls: a new mask each time, as in bm_path
    for (auto _ : state) {
        make_noise(arena.noise, n, p, s);
        multiply(arena.y, arena.x, arena.noise, n);
        benchmark::ClobberMemory();
    }
    set_rates(state, n, 2 * n * sizeof(float));
}

void bm_twopass_backward(benchmark::State &state)
{
    const size_t n = static_cast<size_t>(state.range(0));
    const double p = static_cast<double>(state.range(1)) / 100.0;
    arena.reserve(n);
    uint32_t s = 0x9e3779b9u;
    make_noise(arena.noise, n, p, s);
    for (auto _ : state) {
        multiply(arena.y, arena.x, arena.noise, n);
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

void register_all(const Options &o)
{
    setup(benchmark::RegisterBenchmark("memcpy", bm_memcpy))->ArgName("n")->ArgsProduct({o.sizes});
    setup(benchmark::RegisterBenchmark("twopass_forward", bm_twopass_forward))
        ->ArgNames({"n", "p_pct"})
        ->ArgsProduct({o.sizes, kPercent});
    setup(benchmark::RegisterBenchmark("twopass_backward", bm_twopass_backward))
        ->ArgNames({"n", "p_pct"})
        ->ArgsProduct({o.sizes, kPercent});
    for (const OpInfo &op : kOps)
        for (const std::string &path : runtime_paths(o)) {
            const std::string name = std::string(op.name) + "/" + path;
            setup(benchmark::RegisterBenchmark(name.c_str(), bm_path, path, op.op))
                ->ArgNames({"n", "p_pct"})
                ->ArgsProduct({o.sizes, kPercent});
        }
}

// Reads our flags; the others are Google Benchmark's and go to `rest` in their order.
Options parse_options(int argc, char **argv, std::vector<std::string> &rest)
{
    Options o;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "--quick") {
            o.sizes = {4096, 65536, 1 << 20};
            o.min_time = 0.02;
        } else if (a == "--simde") {
            o.simde = true;
        } else if (a.rfind("--min-time=", 0) == 0) {
            o.min_time = std::strtod(a.c_str() + 11, nullptr);
        } else if (a.rfind("--sizes=", 0) == 0) {
            o.sizes.clear();
            for (const char *s = a.c_str() + 8; *s;) {
                char *end;
                o.sizes.push_back(std::strtoll(s, &end, 0));
                s = *end == ',' ? end + 1 : end + std::strlen(end);
            }
        } else {
            rest.push_back(a);
        }
    }
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> rest;
    const Options o = parse_options(argc, argv, rest);
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
    std::string paths;
    for (const std::string &p : runtime_paths(o))
        paths += (paths.empty() ? "" : ",") + p;
    benchmark::AddCustomContext("simdrop_version", simdrop_version());
    benchmark::AddCustomContext("simdrop_paths", paths);
    benchmark::AddCustomContext("simdrop_auto_path", simdrop_isa());
    register_all(o);
    if (!o.sizes.empty())
        arena.reserve(static_cast<size_t>(*std::max_element(o.sizes.begin(), o.sizes.end())));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
