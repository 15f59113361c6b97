#!/usr/bin/env bash
# fuzz.sh: the libFuzzer differential target (every entry point on every path and 1-16 threads vs
# scalar on one, ASan+UBSan) for a bounded time.
#   bash .ci/fuzz.sh [SECONDS]        (default 90; FUZZ_SECONDS works too)
# The build is the sanitizers' ASan one (build-ci-asan, .ci/lib.sh's asan_build). New inputs go
# to build-ci-asan/fuzz/corpus, never into the committed seed corpus; a finding is saved as
# build-ci-asan/fuzz/artifacts/crash-* and fails the run. See docs/PROMISES.md for longer runs.
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

seconds=${1:-${FUZZ_SECONDS:-90}}
echo "== fuzz: build with clang, libFuzzer, ASan+UBSan ($(elapsed))"
asan_build
out=build-ci-asan/fuzz
rm -rf "$out"
mkdir -p "$out/corpus" "$out/artifacts"
echo "== fuzz: ${seconds}s ($(elapsed))"
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    build-ci-asan/tests/reliability/fuzz_diff -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" tests/reliability/corpus >"$out/fuzz.log" 2>&1 || status=$?
tail -n 8 "$out/fuzz.log"
if [ "$status" != 0 ] || [ -n "$(ls "$out/artifacts")" ]; then
    grep -E "fuzz_diff:|ERROR|runtime error|SUMMARY" "$out/fuzz.log" | head -20 || true
    echo "fuzz: FAILED (exit $status); reproduce with:" \
        "build-ci-asan/tests/reliability/fuzz_diff $out/artifacts/<file>" >&2
    exit 1
fi
echo "== fuzz: no finding in ${seconds}s ($(elapsed))"
