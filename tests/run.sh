#!/usr/bin/env bash
# tests/run.sh: the README's test command: installs what is missing, builds, runs every test on
# every path natively and, on x86-64, the whole suite again as AArch64 NEON under qemu-user.
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
if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    need_pkgs "${BASE_PKGS[@]}" python3 cmake binutils gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
else
    need_pkgs "${BASE_PKGS[@]}" python3 cmake binutils
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
meson test -C build-test --no-suite quality --print-errorlogs

if [ "$arch" = x86_64 ] && [ "$native_only" = 0 ]; then
    echo "== aarch64 NEON under qemu-user: build and test every path"
    setup build-test-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dbench=disabled
    meson test -C build-test-aarch64 --no-suite quality --print-errorlogs --timeout-multiplier 4
fi
echo "== all tests passed"
