#!/usr/bin/env bash
# torch2_check.sh: simdrop.torch's test files under the PyTorch of this host, for a host with
# PyTorch 2.x: there the torch.compile, torch.export and torch.library.opcheck tests run too (on
# Debian's 1.13 they skip, saying why); then forward + backward overhead at 200 elements against
# torch.nn.Dropout. Needs the repository and a built library, nothing installed. First it
# compiles simdrop.torch's C++ route (python/simdrop/torch/_glue.cpp) against this torch with
# meson (build-torch2-glue, or $GLUE_BUILD; meson's python is /usr/bin/python3 where there is
# one) and runs everything through it; where that build fails it says so and goes on with the
# Python route. Last, forward + backward at 1M elements with the page faults per call, as glibc
# allocates and with its heap kept (see "At 1M elements" in docs/PYTORCH.md).
# tools/torch2_chroot.sh runs this on a Debian 12 host under Debian 13's PyTorch 2.x.
# Usage: bash tools/torch2_check.sh [LIBRARY [OUT_DIR]]
#   LIBRARY  a built libsimdrop.so (default: $SIMDROP_LIBRARY, else the first build*/libsimdrop.so,
#            else one built now with meson into build-torch2, library only)
#   OUT_DIR  where torch2_check.txt goes (default: no file, the terminal only)
#   PYTHON   the interpreter that has torch (default python3)
# Exit status: 0 when every test file passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
py=${PYTHON:-python3}
lib=${1:-${SIMDROP_LIBRARY:-}}
out=${2:-}
if [ -z "$lib" ]; then
    for f in build*/libsimdrop.so; do
        if [ -e "$f" ]; then lib=$f; break; fi
    done
fi
if [ -z "$lib" ]; then
    echo "== no library given or built: building build-torch2 (meson, library only)"
    if ! { meson setup build-torch2 -Dtests=false -Dbench=disabled >/dev/null &&
           meson compile -C build-torch2 >/dev/null; }; then
        echo "meson build failed" >&2
        exit 2
    fi
    lib=build-torch2/libsimdrop.so
fi
export SIMDROP_LIBRARY
SIMDROP_LIBRARY=$(realpath "$lib")
export PYTHONPATH=$PWD/python PYTHONDONTWRITEBYTECODE=1 SIMDROP_NUM_THREADS=1
glue_note="not built"
glue_build=${GLUE_BUILD:-build-torch2-glue}
mkdir -p build-logs
if { [ -f "$glue_build/build.ninja" ] ||
     meson setup "$glue_build" -Dtests=false -Dbench=disabled -Dtorch_glue=enabled \
         >build-logs/torch2-glue.log 2>&1; } && meson compile -C "$glue_build" >>build-logs/torch2-glue.log 2>&1; then
    for f in "$glue_build"/python/_glue*.so; do
        [ -e "$f" ] || continue
        glue_note="built ($f), but $py does not load it: "
        if why=$(SIMDROP_TORCH_GLUE=$(realpath "$f") "$py" -c 'import simdrop.torch' 2>&1); then
            export SIMDROP_TORCH_GLUE
            SIMDROP_TORCH_GLUE=$(realpath "$f")
            glue_note="built: $SIMDROP_TORCH_GLUE"
        else
            glue_note+=$(echo "$why" | tail -n 1)
        fi
    done
else
    glue_note="its build failed (build-logs/torch2-glue.log): $(tail -n 3 build-logs/torch2-glue.log | tr '\n' ' ')"
fi

run() {
    local failed=0
    echo "== $("$py" -c 'import sys, torch; print("torch", torch.__version__, "python", sys.version.split()[0])')"
    echo "== cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) ($(nproc) cores)"
    echo "== library: $SIMDROP_LIBRARY"
    echo "== simdrop.torch route: $("$py" -c 'import simdrop.torch as t; print(t.NATIVE)' 2>&1 | tail -n 1) (C++ route $glue_note)"
    for t in test_torch test_torch_tools test_torch_sharding test_torch_distributed; do
        echo "== python/tests/$t.py"
        "$py" "python/tests/$t.py" 2>&1 | grep -E '\.\.\. |^(FAIL|ERROR):|^Ran |^OK|^FAILED|Error|SEED'
        [ "${PIPESTATUS[0]}" = 0 ] || failed=1
    done
    echo "== forward + backward through autograd, 200 float32, one thread, best of 2000 x 10 calls"
    "$py" - <<'PY'
import time, torch
import simdrop.torch as sdt
torch.set_num_threads(1)
x, g = torch.randn(200, requires_grad=True), torch.randn(200)
mods = {"torch.nn.Dropout": torch.nn.Dropout(0.5), "simdrop.torch.Dropout": sdt.Dropout(0.5)}
def step(m):
    x.grad = None
    m(x).backward(g)
best = dict.fromkeys(mods, float("inf"))
for m in mods.values():
    for _ in range(200):
        step(m)
for _ in range(2000):
    for name, m in mods.items():
        t = time.perf_counter()
        for _ in range(10):
            step(m)
        best[name] = min(best[name], (time.perf_counter() - t) / 10)
for name, t in best.items():
    print(f"{name}: {t * 1e6:.2f} us")
print(f"simdrop speed relative to torch: {best['torch.nn.Dropout'] / best['simdrop.torch.Dropout']:.3f}x")
PY
    # glibc returns a freed heap top above its trim threshold to the system, and the next call
    # faults it back in; the tunables keep allocations below 32 MiB on the heap and the heap kept
    local keep=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728
    for tunables in "" "$keep"; do
        echo "== forward + backward through autograd, 1M float32, one thread, best of 5 x 20 calls," \
             "GLIBC_TUNABLES=${tunables:-(unset)}"
        GLIBC_TUNABLES=$tunables "$py" - <<'PY'
import resource, time, torch
import simdrop.torch as sdt
torch.set_num_threads(1)
x, g = torch.randn(1 << 20, requires_grad=True), torch.randn(1 << 20)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for name, m in (("torch.nn.Dropout", torch.nn.Dropout(0.5)), ("simdrop.torch.Dropout", sdt.Dropout(0.5))):
    best, flt = float("inf"), 0
    for rep in range(6):
        f0, t = faults(), time.perf_counter()
        for _ in range(20):
            x.grad = None
            m(x).backward(g)
        if rep:  # the first round warms up
            best, flt = min(best, (time.perf_counter() - t) / 20), flt + (faults() - f0) / 100
    print(f"{name}: {best * 1e3:.3f} ms, {flt:.0f} page faults per call")
PY
    done
    return $failed
}

if [ -n "$out" ]; then
    mkdir -p "$out"
    run 2>&1 | tee "$out/torch2_check.txt"
    exit "${PIPESTATUS[0]}"
fi
run
