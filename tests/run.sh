#!/usr/bin/env bash
# tests/run.sh: the README's test command: installs what is missing, builds, runs every test on
# every path natively and, on x86-64, the whole suite again as AArch64 (NEON, SVE and SVE2) and
# as RISC-V with V under qemu-user, the tests of the bits once more at other vector lengths
# (SVE: 128, 256, 384 bits besides 512; RVV: VLEN 256, 512, 1024 besides 128), as big-endian
# s390x under qemu-user (the slow suites trimmed there and on RISC-V: qemu-s390x runs the scalar
# generator about 25 times slower than qemu-aarch64), and as a 64-bit Windows DLL (mingw-w64)
# under Wine, which runs every x86 path natively.
#   bash tests/run.sh [--native-only] [--keep]     (--keep reuses existing build directories)
set -euo pipefail
cd "$(dirname "$0")/.."

native_only=0
keep=0
for arg in "$@"; do
    case "$arg" in
    --native-only) native_only=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: bash tests/run.sh [--native-only] [--keep]" >&2; exit 2 ;;
    esac
done

# Debian packages this needs, installed only when missing (CI starts from a fresh Debian 12):
# cmake for the consumers test (tests/consumers/), binutils' nm for the api-doc test.
# shellcheck source=.ci/lib.sh
. .ci/lib.sh
arch=$(uname -m)
# The Python package's tests (numpy, PyTorch; its wheel: meson-python, venv, pip; torch's C++
# headers for simdrop.torch._glue), the consumer projects (CMake), the API symbol check.
# The OpenCL twin (gpu/opencl/) runs for real on PoCL, the CPU's OpenCL: its loader, headers and
# the PoCL driver.
TEST_PKGS=(python3 python3-numpy python3-torch libtorch-dev pybind11-dev python3-mesonpy python3-venv
           python3-pip cmake binutils ocl-icd-opencl-dev opencl-headers pocl-opencl-icd)
if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    need_pkgs "${BASE_PKGS[@]}" "${TEST_PKGS[@]}" gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
        gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user \
        clang-16 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
        gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine wine64
else
    need_pkgs "${BASE_PKGS[@]}" "${TEST_PKGS[@]}"
fi

# setup DIR ARGS...: a fresh build directory unless --keep and it exists.
setup() {
    local dir=$1
    shift
    if [ "$keep" = 1 ] && [ -d "$dir" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        rm -rf "$dir"
        meson setup "$dir" "$@" >/dev/null
    fi
    meson compile -C "$dir" >/dev/null
}

# vector_lengths DIR CPU:BITS...: the tests of the bits (every path against scalar, the known
# answers, the API's values) again on the qemu CPU (its -cpu) of each pair, trimmed;
# checkasm makes sure its vectors are BITS long.
vector_lengths() {
    local dir=$1 pair
    shift
    for pair in "$@"; do
        echo "== $dir: scalable vectors of ${pair##*:} bits (-cpu ${pair%:*}) ($(elapsed))"
        QEMU_CPU=${pair%:*} SIMDROP_TEST_VECTOR_BITS=${pair##*:} SIMDROP_TEST_SMALL=1 \
            meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier 4 \
            checkasm golden golden_values api
    done
}

# emulated_test DIR: the suite of DIR under an emulator (qemu-user, Wine),
# but the threads suite (the library's pool, the callers' races, the FP environment of its
# threads: C that is the same on every target, run at full scale natively) with
# SIMDROP_TEST_SMALL=1, as under the sanitizers: full-size, it was half of each such leg; and so
# is the bounds suite (every entry point between inaccessible pages: 3 minutes full-size under
# qemu-aarch64, half a minute trimmed).
emulated_test() {
    meson test -C "$1" --no-suite quality --no-suite large --no-suite threads --no-suite bounds \
        --print-errorlogs --timeout-multiplier 4
    SIMDROP_TEST_SMALL=1 meson test -C "$1" --no-rebuild --suite threads --suite bounds \
        --print-errorlogs --timeout-multiplier 4
}

echo "== native ($arch): build and test every path ($(elapsed))"
# -Dopencl=enabled and SIMDROP_TEST_REQUIRE_OPENCL=1: the OpenCL test runs, never skips;
# -Dtorch_glue=enabled: simdrop.torch's C++ route is built, and the Python tests take it;
# SIMDROP_TEST_REQUIRE_PYTHON=1: a Python test whose module (numpy, torch, meson-python, pip,
# gloo) is missing or broken fails, never skips (the packages above are all installed).
setup build-test -Dbench=disabled -Dopencl=enabled -Dtorch_glue=enabled
SIMDROP_TEST_REQUIRE_OPENCL=1 SIMDROP_TEST_REQUIRE_PYTHON=1 meson test -C build-test \
    --no-suite quality --no-suite large --print-errorlogs

if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    echo "== aarch64 under qemu-user (SVE 512 bits): build and test every path (sve2, sve, neon) ($(elapsed))"
    setup build-test-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbench=disabled
    QEMU_CPU=max,sve-max-vq=4 SIMDROP_TEST_VECTOR_BITS=512 emulated_test build-test-aarch64
    # (qemu-user starts a process at sve-default-vector-length, 64 bytes unless set: the lengths
    # past 512 bits, where the code takes branches the shorter ones never reach (more lanes than
    # a 16-lane chunk, zip2 halves of 640 bits, no second f64 half from 1024 on), need it too)
    vector_lengths build-test-aarch64 max,sve-max-vq=1:128 max,sve-max-vq=2:256 \
        max,sve-max-vq=3:384 max,sve-max-vq=5,sve-default-vector-length=80:640 \
        max,sve-max-vq=16,sve-default-vector-length=256:2048

    echo "== riscv64 with V under qemu-user (VLEN 128): every path, trimmed (SIMDROP_TEST_SMALL) ($(elapsed))"
    # (this leg is for rvv and the RISC-V CPU: the x86 and NEON twins run on the native, aarch64
    # and big-endian s390x legs already, and compiling them once more costs CI minutes)
    setup build-test-riscv64 --cross-file cross/riscv64-linux-gnu.ini -Dbench=disabled \
        -Dsimde_emulation=disabled
    QEMU_CPU=rv64,v=true,vlen=128,vext_spec=v1.0 SIMDROP_TEST_VECTOR_BITS=128 SIMDROP_TEST_SMALL=1 \
        meson test -C build-test-riscv64 --no-suite quality --no-suite large --print-errorlogs \
        --timeout-multiplier 4
    vector_lengths build-test-riscv64 rv64,v=true,vlen=256,vext_spec=v1.0:256 \
        rv64,v=true,vlen=512,vext_spec=v1.0:512 rv64,v=true,vlen=1024,vext_spec=v1.0:1024

    echo "== s390x (big-endian) under qemu-user: every path, trimmed (SIMDROP_TEST_SMALL) ($(elapsed))"
    setup build-test-s390x --cross-file cross/s390x-linux-gnu.ini -Dbench=disabled
    SIMDROP_TEST_SMALL=1 meson test -C build-test-s390x --no-suite quality --no-suite large \
        --print-errorlogs --timeout-multiplier 4

    echo "== x86-64 Windows (mingw-w64 DLL) under Wine: every x86 path, Win32 threads ($(elapsed))"
    # (the Windows ports are the DLL, its exports and the Win32 threads: the x86 paths run natively
    # here, their SIMDe twins on the Linux legs)
    setup build-test-win --cross-file cross/x86_64-w64-mingw32.ini -Dbench=disabled \
        -Dsimde_emulation=disabled
    # Wine gets a prefix of the build directory's own, made without a display or a prompt (about
    # 10 s and 700 MB the first time; --keep reuses it), and one wineserver for all the tests,
    # whose services are started before them: the first Wine program of a server starts them and
    # they inherit its stderr, so meson waited for the end of that test's output until they quit.
    export WINEPREFIX="$PWD/build-test-win/wineprefix" WINEDEBUG=-all
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        wineboot --init
        wineserver --wait # wineboot's own server quits 3 s after it
    fi
    # (already up from a run of the last 30 s with --keep: that one serves; stdio closed, else it
    # holds our output open for its 30 s)
    wineserver --persistent=30 </dev/null >/dev/null 2>&1 || true
    wine cmd /c exit >/dev/null 2>&1
    emulated_test build-test-win
    echo "== Windows: the DLL's users again on 3 threads (SIMDROP_NUM_THREADS through Wine) ($(elapsed))"
    SIMDROP_NUM_THREADS=3 meson test -C build-test-win --no-rebuild --print-errorlogs \
        --timeout-multiplier 4 api golden stats
fi
echo "== all tests passed ($(elapsed))"
