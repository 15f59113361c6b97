#!/usr/bin/env bash
# device_check.sh: on a bigger x86 host, run the bit-exact tests natively and the multi-core scaling.
# Usage: bash tools/device_check.sh BUILD_DIR OUT_DIR, with BUILD_DIR a static build made by
#   meson setup build-device -Ddefault_library=static -Dc_link_args=-static -Dbench=disabled
#   ninja -C build-device tests/test_generator tests/kat/kat_cpu tests/test_api \
#         tests/test_checkasm tests/test_stats scaling
set -uo pipefail
b=$1
out=$2
mkdir -p "$out"
{
    echo "== cpu"; grep -m1 'model name' /proc/cpuinfo; nproc
    grep -m1 -o -w 'avx512f\|avx512bw\|avx512vl\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
    echo "== tests (every path this CPU runs vs scalar)"
    "$b/tests/test_generator" tests/vectors | tail -1
    "$b/tests/kat/kat_cpu" tests/golden_v1.txt | tail -2
    "$b/tests/test_api" | tail -1
    "$b/tests/test_checkasm" --cases 300 | tail -9
    "$b/tests/test_stats" | tail -1
    for isa in auto avx2; do
        echo "== scaling, SIMDROP_ISA=$isa, 64M floats"
        SIMDROP_ISA=$isa "$b/scaling" 67108864 "$(nproc)" 5
    done
    echo "== single thread, in cache (64K floats) and DRAM (16M floats)"
    for isa in auto avx2; do
        SIMDROP_ISA=$isa "$b/scaling" 65536 1 2000 | sed -n 3p
        SIMDROP_ISA=$isa "$b/scaling" 16777216 1 10 | sed -n 3p
    done
    echo "== PyTorch CPU dropout on the same host"
    python3 - <<'PY'
import time, torch
import torch.nn.functional as F
for threads in (1, torch.get_num_threads()):
    torch.set_num_threads(threads)
    for n in (65536, 1 << 24, 1 << 26):
        x = torch.randn(n)
        reps = 200 if n == 65536 else 5
        best = 1e9
        for _ in range(reps):
            t = time.perf_counter(); F.dropout(x, 0.1, training=True); best = min(best, time.perf_counter() - t)
        print(f"torch {torch.__version__} threads={threads} n={n}: {n / best / 1e9:.3f} Gelem/s")
PY
} 2>&1 | tee "$out/device_check.txt"
