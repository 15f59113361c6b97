#!/usr/bin/env bash
# fuzz.sh: the libFuzzer differential target (every entry point on every path and 1-16 threads vs
# scalar on one, ASan+UBSan) for a bounded time.
#   bash .ci/fuzz.sh [SECONDS]        (default 90; FUZZ_SECONDS works too)
# New inputs go to build-ci-fuzz/corpus, never into the committed seed corpus; a finding is
# saved as build-ci-fuzz/artifacts/crash-* and fails the run. See docs/PROMISES.md for longer runs.
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

seconds=${1:-${FUZZ_SECONDS:-90}}
need_pkgs "${BASE_PKGS[@]}" clang libclang-rt-14-dev
echo "== fuzz: build with clang, libFuzzer, ASan+UBSan ($(elapsed))"
# The whole suite is built; the target is fuzz_diff.
CC=clang fresh_build build-ci-fuzz -Dbuildtype=debugoptimized -Dfuzz=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false
mkdir -p build-ci-fuzz/corpus build-ci-fuzz/artifacts
echo "== fuzz: ${seconds}s ($(elapsed))"
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    build-ci-fuzz/tests/reliability/fuzz_diff -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-ci-fuzz/artifacts/ \
    build-ci-fuzz/corpus tests/reliability/corpus >build-ci-fuzz/fuzz.log 2>&1 || status=$?
tail -n 8 build-ci-fuzz/fuzz.log
if [ "$status" != 0 ] || [ -n "$(ls build-ci-fuzz/artifacts)" ]; then
    grep -E "fuzz_diff:|ERROR|runtime error|SUMMARY" build-ci-fuzz/fuzz.log | head -20 || true
    echo "fuzz: FAILED (exit $status); reproduce with:" \
        "build-ci-fuzz/tests/reliability/fuzz_diff build-ci-fuzz/artifacts/<file>" >&2
    exit 1
fi
echo "== fuzz: no finding in ${seconds}s ($(elapsed))"
