#!/usr/bin/env bash
# gpu_check.sh: on a CUDA machine, build libsimdrop_cuda for its GPU, run the equivalence test, the benchmark, simdrop.torch on CUDA tensors and PyTorch's dropout.
# Usage: bash tools/gpu_check.sh OUT_DIR (from the repository root; results in OUT_DIR/gpu_check.txt).
# Every stage runs and reports even when one before it failed; exit 1 if any failed, 77 if none
# failed but one was skipped (no GPU), else 0. Environment: GPU_CHECK_ARCH (default sm_90),
# GPU_CHECK_CASES (gpu-cuda test cases, default 1000), GPU_CHECK_N (elements, default 256M).
set -uo pipefail
out=${1:?usage: gpu_check.sh OUT_DIR}
mkdir -p "$out"
log="$out/gpu_check.txt"
build='build-gpucheck'
arch=${GPU_CHECK_ARCH:-sm_90}
cases=${GPU_CHECK_CASES:-1000}
n=${GPU_CHECK_N:-268435456}
command -v nvcc > /dev/null || PATH="$PATH:/usr/local/cuda/bin"
# meson and ninja from pip: their scripts directory may not be on PATH
command -v ninja > /dev/null ||
    PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2> /dev/null):$HOME/.local/bin"
if command -v meson > /dev/null; then meson=(meson); else meson=(python3 -m mesonbuild.mesonmain); fi
failed=0
skipped=0

# stage NAME TIMEOUT_S CMD...: runs CMD under a time limit, its output into the log, then a verdict.
stage() {
    local name=$1 limit=$2 start rc
    shift 2
    echo "== $name: $*"
    start=$(date +%s)
    timeout "$limit" "$@" 2>&1
    rc=$?
    case $rc in
        0) echo "== $name: OK ($(($(date +%s) - start)) s)" ;;
        77) echo "== $name: SKIPPED (77)"; skipped=$((skipped + 1)) ;;
        124) echo "== $name: FAILED: over ${limit} s"; failed=$((failed + 1)) ;;
        *) echo "== $name: FAILED (exit $rc)"; failed=$((failed + 1)) ;;
    esac
    return "$rc"
}

{
    echo "== host"
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1 || echo "nvidia-smi: none"
    lscpu | grep -m1 'Model name'; nproc
    nvcc --version 2>&1 | tail -2
    echo "meson $("${meson[@]}" --version 2>&1), ninja $(ninja --version 2>&1)"
    python3 -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)' 2>&1
    git log -1 --format='simdrop %h %s' 2>/dev/null

    built=0
    reconf=()  # a build dir of an earlier run is reconfigured: only what changed is rebuilt
    [ -d "$build" ] && reconf=(--reconfigure)
    if stage configure 120 "${meson[@]}" setup "${reconf[@]}" "$build" -Dcuda=enabled -Dnvcc_arch="$arch" \
        -Dopencl=disabled -Dbench=disabled -Dtests=true -Dfuzz=disabled -Dsimde_emulation=disabled; then
        stage build 240 ninja -C "$build" -j"$(nproc)" && built=1
    fi
    if [ "$built" = 1 ]; then
        SIMDROP_TEST_REQUIRE_CUDA=1 stage "gpu-cuda test ($cases cases)" 180 \
            "$build/tests/gpu/check_gpu_cuda" --cases "$cases"
        stage "cuda_bench (n = $n)" 180 "$build/cuda_bench" "$n" 20
        SIMDROP_TEST_REQUIRE_CUDA=1 SIMDROP_LIBRARY="$build/libsimdrop.so" \
            SIMDROP_CUDA_LIBRARY="$build/gpu/libsimdrop_cuda.so" PYTHONPATH=python \
            PYTHONDONTWRITEBYTECODE=1 stage "simdrop.torch on CUDA tensors" 180 \
            python3 python/tests/test_torch_cuda.py --gpu
    else
        echo "== gpu-cuda test, cuda_bench: FAILED: not built"
        failed=$((failed + 1))
    fi
    SIMDROP_LIBRARY="$build/libsimdrop.so" SIMDROP_CUDA_LIBRARY="$build/gpu/libsimdrop_cuda.so" \
        PYTHONPATH=python PYTHONDONTWRITEBYTECODE=1 \
        stage "PyTorch CUDA dropout and simdrop.torch (n = $n)" 240 python3 bench/torch_cuda_bench.py "$n" 20
    echo "== summary: $failed failed, $skipped skipped"
    date -u
    [ "$failed" = 0 ] || exit 1
    [ "$skipped" = 0 ] || exit 77
} 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
