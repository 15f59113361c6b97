#!/usr/bin/env bash
# dieharder.sh: pipes one quality.c stream through a list of dieharder tests; fails on FAILED, a cut-short test or too little input.
#   dieharder.sh QUALITY MIN_BYTES "TEST_NUMBERS" [QUALITY_ARGS...]
# dieharder runs one -d test per process, so the tests run one after another on the same pipe:
# one continuous stream, each test reading where the previous one stopped (a test's unread
# stdio buffer, at most a few KiB, is skipped). dieharder -g 200 (stdin_input_raw) reads 32-bit
# words with fread and never rewinds; at end of input it prints "# stdin_input_raw(): Error:
# EOF" and exits 0 without that test's results. So each test must print at least one result
# line and never that message, and the generator must have written MIN_BYTES plus the 1 MiB a
# pipe can hold at most when its reader closes it (so dieharder consumed at least MIN_BYTES).
set -uo pipefail
quality=$1 min_bytes=$2 tests=$3
shift 3
command -v dieharder >/dev/null || { echo "dieharder is not installed (Debian: dieharder)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
fail=0
exec 3< <(exec "$quality" "$@" 2>"$tmp/gen.err")
gen=$!
for d in $tests; do
    dieharder -g 200 -d "$d" <&3 >"$tmp/out" 2>"$tmp/err"
    status=$?
    grep -E '\|[[:space:]]*(PASSED|WEAK|FAILED)[[:space:]]*$' "$tmp/out"
    lines=$(grep -cE '\|[[:space:]]*(PASSED|WEAK|FAILED)[[:space:]]*$' "$tmp/out")
    if [ "$status" != 0 ] || [ "$lines" = 0 ] || grep -q stdin_input_raw "$tmp/err"; then
        echo "FAIL: dieharder -d $d: exit $status, $lines result lines:"
        cat "$tmp/err"
        fail=1
    fi
    if grep -q FAILED "$tmp/out"; then
        fail=1
    fi
done
exec 3<&- # the generator sees EPIPE, reports what it wrote and exits
wait "$gen"
wrote=$(sed -n 's/^quality: wrote \([0-9]*\) bytes$/\1/p' "$tmp/gen.err")
echo "dieharder.sh: ${wrote:-?} bytes into tests $tests in $(( $(date +%s) - start ))s"
if [ "${wrote:-0}" -lt $(( min_bytes + (1 << 20) )) ]; then
    echo "FAIL: the generator wrote ${wrote:-0} bytes, want $min_bytes + 1 MiB"
    cat "$tmp/gen.err"
    fail=1
fi
[ "$fail" = 0 ] || echo "FAIL: see the lines above (a FAILED result, or a test cut short)"
exit $fail
