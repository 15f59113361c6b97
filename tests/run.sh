#!/usr/bin/env bash
# tests/run.sh: the README's test command: installs what is missing, builds, runs every test on
# every path natively and, on x86-64, the whole suite again as AArch64 NEON under qemu-user and
# as big-endian s390x under qemu-user (the slow suites trimmed there: qemu-s390x runs the
# scalar generator about 25 times slower than qemu-aarch64).
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
# The Python package's tests (numpy, PyTorch), the consumer projects (CMake), the API symbol check.
TEST_PKGS=(python3 python3-numpy python3-torch cmake binutils)
if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    need_pkgs "${BASE_PKGS[@]}" "${TEST_PKGS[@]}" gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
        gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user
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

echo "== native ($arch): build and test every path"
setup build-test -Dbench=disabled
meson test -C build-test --no-suite quality --no-suite large --print-errorlogs

if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    echo "== aarch64 NEON under qemu-user: build and test every path"
    setup build-test-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbench=disabled
    meson test -C build-test-aarch64 --no-suite quality --no-suite large --print-errorlogs \
        --timeout-multiplier 4

    echo "== s390x (big-endian) under qemu-user: every path, trimmed (SIMDROP_TEST_SMALL)"
    setup build-test-s390x --cross-file cross/s390x-linux-gnu.ini -Dbench=disabled
    SIMDROP_TEST_SMALL=1 meson test -C build-test-s390x --no-suite quality --no-suite large \
        --print-errorlogs --timeout-multiplier 4
fi
echo "== all tests passed"
