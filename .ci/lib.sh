# shellcheck shell=bash
# .ci/lib.sh: what every script of the repository shares (the .ci/ steps, tests/run.sh,
# bench/report.sh): Debian package installs, build setup for the CI steps, timing.
# Sourced, not run:
#   # shellcheck source=.ci/lib.sh
#   . "$(dirname "$0")/../.ci/lib.sh"      (from a script one directory below the root)
# Sets ROOT (the repository) and cds there.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || return 1
ci_start=$(date +%s)

# need_pkgs PKG...: makes sure the Debian packages are installed, installing the missing ones
# with apt-get (CI runs as root on a fresh Debian 12). A package counts as installed only when
# dpkg reports "install ok installed": dpkg -s alone also succeeds for a removed package whose
# configuration files remain.
#   - as root, or as a user with passwordless sudo: apt-get update (once per process) and
#     apt-get install --no-install-recommends of the missing packages;
#   - otherwise, or with SIMDROP_NO_INSTALL=1 in the environment (bench/report.sh --no-install),
#     nothing is installed: the missing packages and the command to install them go to stderr.
# Returns 0 when every package is installed, 1 otherwise (a script under set -e stops there;
# `need_pkgs PKG || ...` makes a package optional). Without dpkg (not Debian) it assumes the
# packages are there and says so.
need_pkgs() {
    local missing=() pkg sudo=() log
    if ! command -v dpkg-query >/dev/null; then
        echo "== no dpkg (not Debian): assuming these are installed: $*" >&2
        return 0
    fi
    for pkg in "$@"; do
        [ "$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
            missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "${SIMDROP_NO_INSTALL:-0}" = 1 ]; then
        echo "missing Debian packages (not installing them: SIMDROP_NO_INSTALL=1 or --no-install)." >&2
        echo "install them with: apt-get install ${missing[*]}" >&2
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "missing Debian packages; run as root, or install them with:" >&2
            echo "    sudo apt-get install ${missing[*]}" >&2
            return 1
        fi
    fi
    echo "== installing: ${missing[*]}"
    log=$(mktemp)
    if [ -z "${_need_pkgs_updated:-}" ]; then
        "${sudo[@]}" apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; return 1; }
        _need_pkgs_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; rm -f "$log"; echo "apt-get install ${missing[*]} failed" >&2; return 1; }
    rm -f "$log"
}

# The library and its tests need these whatever the job.
# shellcheck disable=SC2034 # used by the scripts that source this file
BASE_PKGS=(meson ninja-build pkg-config gcc libc6-dev libsimde-dev)

# fresh_build DIR MESON-ARGS...: a new build directory (never a stale one: options differ per
# job); its setup and build output goes to build-ci-logs/ and is shown only on failure.
fresh_build() {
    local dir=$1 log=build-ci-logs/$1
    shift
    rm -rf "$dir"
    mkdir -p build-ci-logs
    # (no CUDA twin and no C++ route of simdrop.torch: these jobs never run them, CUDA needs a GPU
    # and the Python tests skip under the sanitizers, and their compiles were a minute of CI)
    meson setup "$dir" -Dbench=disabled -Dcuda=disabled -Dtorch_glue=disabled "$@" \
        >"$log.setup.log" 2>&1 || { cat "$log.setup.log"; exit 1; }
    ninja -C "$dir" >"$log.build.log" 2>&1 || { tail -50 "$log.build.log"; exit 1; }
}

# asan_build: the clang ASan+UBSan build, build-ci-asan, with the libFuzzer target: shared by
# the sanitizers' ASan job and the fuzzer (.ci/fuzz.sh), which run the same sources under the
# same sanitizers. The first of them in a checkout builds it, the second brings it up to date
# (ninja): its build is CI's costliest (4 minutes on the 2-core VM before -Dskip_twins), once is enough.
asan_build() {
    need_pkgs "${BASE_PKGS[@]}" clang libclang-rt-14-dev
    # clang links the sanitizer runtime into executables only, so the shared library keeps
    # undefined __asan symbols: b_lundef=false lets it link.
    if [ -f build-ci-asan/build.ninja ]; then
        mkdir -p build-ci-logs
        ninja -C build-ci-asan >build-ci-logs/build-ci-asan.build.log 2>&1 ||
            { tail -50 build-ci-logs/build-ci-asan.build.log; exit 1; }
    else
        CC=clang fresh_build build-ci-asan -Dbuildtype=debugoptimized -Dfuzz=enabled \
            -Db_sanitize=address,undefined -Db_lundef=false -Dskip_twins="$(native_twins)"
        check_skipped_twins build-ci-asan
    fi
}

# native_twins: the kernel paths (meson's array syntax, comma-separated) whose SIMDe twin a
# sanitizer build leaves out because this CPU runs the path natively, by /proc/cpuinfo's flags
# (the features of the kernel table's `needs`). The twin is the same template source through
# SIMDe; instrumenting SIMDe's emulation of AVX-512 was 2.5 of the 4 minutes of the ASan build.
# check_skipped_twins verifies the guess against the library's own detection after the build.
native_twins() {
    local flags skip=()
    flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
    has() { local f; for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done; }
    has avx512f avx512bw avx512vl avx512dq avx512_bf16 && skip+=(avx512bf16)
    has avx512f avx512bw avx512vl && skip+=(avx512)
    has avx2 f16c && skip+=(avx2)
    local IFS=,
    echo "${skip[*]}"
}

# check_skipped_twins DIR: every path whose twin DIR left out must run natively here (else
# neither form of it would run under the sanitizer); where one does not, DIR is set up again
# with every twin, and says so.
check_skipped_twins() {
    local dir=$1 path runnable
    runnable=$(runnable_paths "$dir")
    for path in $(meson introspect --buildoptions "$dir" |
                  python3 -c 'import json,sys; print(*[o["value"] for o in json.load(sys.stdin) if o["name"] == "skip_twins"][0])'); do
        if ! grep -qx "$path" <<<"$runnable"; then
            echo "== $dir: path $path does not run on this CPU: building its SIMDe twin after all"
            meson configure "$dir" -Dskip_twins= >/dev/null
            ninja -C "$dir" >"build-ci-logs/$dir.build.log" 2>&1 ||
                { tail -50 "build-ci-logs/$dir.build.log"; exit 1; }
            return
        fi
    done
}

# runnable_paths DIR: the kernel paths this build and CPU can run, one per line.
runnable_paths() {
    "$1/tests/reliability/list_paths"
}

elapsed() {
    echo "$(( $(date +%s) - ci_start ))s"
}
