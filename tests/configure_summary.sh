#!/usr/bin/env bash
# tests/configure_summary.sh: meson setup's summary says truthfully why a part is not built, one
# fresh setup per reason: the benchmark suite disabled by its option, left out with the tests
# (its `auto`), without a C++ compiler, without libbenchmark (pkg-config and cmake hidden); the
# tests, examples and emulated twins left out by -Dtests=false.
#   bash tests/configure_summary.sh SOURCE_DIR WORKDIR
# WORKDIR is wiped first and kept afterwards. meson test runs it as "configure-summary".
set -euo pipefail

# Under `meson test --wrap=valgrind` leave valgrind at once (as tests/consumers/run.sh does):
# this script checks meson's output, and bash does not free what it allocates.
if [[ "${LD_PRELOAD:-}" == *vgpreload* ]] && [ -z "${SIMDROP_SUMMARY_REEXEC:-}" ]; then
    SIMDROP_SUMMARY_REEXEC=1 exec bash "$0" "$@"
fi

if [ "$#" -ne 2 ]; then
    echo "usage: bash tests/configure_summary.sh SOURCE_DIR WORKDIR" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
work=$2
rm -rf "$work"
mkdir -p "$work"

fail() {
    echo "configure-summary: FAILED: $*" >&2
    exit 1
}
# setup NAME MESON-ARGS...: a fresh build directory WORK/NAME; its summary goes to WORK/NAME.txt.
setup() {
    local name=$1
    shift
    if ! meson setup "$work/$name" "$src" "$@" >"$work/$name.log" 2>&1; then
        tail -n 30 "$work/$name.log" >&2
        fail "meson setup $* (log: $work/$name.log)"
    fi
    sed -n '/^  simdrop$/,/^$/p' "$work/$name.log" >"$work/$name.txt"
    [ -s "$work/$name.txt" ] || fail "meson setup $* printed no simdrop summary (log: $work/$name.log)"
}
# expect NAME KEY TEXT: the summary of NAME has the line "KEY : TEXT" (TEXT taken literally).
expect() {
    local got
    got=$(sed -n "s/^ *$2 *: //p" "$work/$1.txt")
    [ "$got" = "$3" ] || fail "$1: '$2' says '$got', not '$3' (summary: $work/$1.txt)"
    echo "== $1: $2: $3"
}

setup bench-disabled -Dbench=disabled -Dtests=false
expect bench-disabled 'benchmark suite' 'no (disabled: -Dbench=disabled)'

setup lean -Dtests=false
expect lean 'benchmark suite' 'no (auto: only with the tests)'
expect lean 'tests and examples' 'no (-Dtests=false)'
expect lean 'meson install' 'YES'
! grep -q -- '-simde' "$work/lean.txt" || fail "lean: the emulated twins are built without the tests"
echo "== lean: no emulated twins in the kernel paths"

CXX=/nonexistent/c++ setup no-cxx -Dbench=auto -Dtests=true
expect no-cxx 'benchmark suite' 'no (no C++ compiler found)'
expect no-cxx 'tests and examples' 'YES'

# pkg-config and cmake are how meson finds libbenchmark: a native file names neither.
printf "[binaries]\npkgconfig = '/nonexistent/pkg-config'\ncmake = '/nonexistent/cmake'\n" \
    >"$work/no-finders.ini"
setup no-libbenchmark -Dbench=auto -Dtests=true --native-file "$work/no-finders.ini"
if grep -q 'no C++ compiler found' "$work/no-libbenchmark.txt"; then
    for cxx in c++ g++ clang++; do
        ! command -v "$cxx" >/dev/null || fail "no-libbenchmark: says no C++ compiler, but $cxx exists"
    done
    echo "== no-libbenchmark: not checked (no C++ compiler on this machine)"
else
    expect no-libbenchmark 'benchmark suite' 'no (libbenchmark not found: Debian libbenchmark-dev)'
fi
echo "== configure-summary: all passed"
